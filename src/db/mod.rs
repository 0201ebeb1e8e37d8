//! Storage: one connection enum over SQLite and PostgreSQL, an r2d2 pool, embedded migrations, and
//! the few backend-specific operations (pragmas, immediate transactions), all kept in this module.

pub mod allocations;
pub mod audit;
pub mod beamtime;
pub mod blackouts;
pub mod booking_events;
pub mod bookings;
pub mod console_sessions;
pub mod dialect;
pub mod due;
pub mod fault;
pub mod feeds;
mod group;
pub mod idempotency;
pub mod jurisdictions;
pub mod opening_hours;
pub mod operation;
pub mod organizations;
pub mod outbox;
mod pool;
pub mod qualifications;
mod replicas;
pub mod reports;
pub mod resources;
pub mod schema;
pub mod series;
pub mod service_orders;
pub mod services;
pub mod sessions;
pub mod settings;
pub mod settlements;
pub mod sign_in;
pub mod statements;
pub mod tokens;
mod transaction;
pub mod types;
pub mod users;
pub mod vouchers;
pub mod webhooks;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::r2d2::{self, Pool, PooledConnection};
use diesel::{Connection, ConnectionError, PgConnection, SqliteConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

pub use fault::{Fault, Faulty};
pub use pool::{Manager, Options, Pooled, Synchronous};
use transaction::{immediate_transaction, mark_broken};

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// Inserts `rows` into `table` in statements of a thousand rows. MultiConnection has no
/// multi-row insert, so each backend runs its own; a thousand rows stay under SQLite's limit of
/// 32 766 bound parameters for tables of up to 32 columns.
#[macro_export]
macro_rules! insert_in_chunks {
    ($conn:expr, $table:expr, $rows:expr) => {{
        let mut inserted = 0;
        for chunk in $rows.chunks(1_000) {
            let insert = diesel::insert_into($table).values(chunk);
            inserted += match &mut *$conn {
                $crate::db::DbConnection::Postgresql(pg) => insert.execute(pg)?,
                $crate::db::DbConnection::Sqlite(lite) => insert.execute(lite)?,
            };
        }
        inserted
    }};
}

/// Runs `$body` with `$c` bound to the backend's own connection. Through the connection enum
/// diesel writes a statement's SQL out again at every execution, even when the prepared
/// statement is cached; on the backend's own connection a cached statement only binds its
/// values. For the statements every booking and every request runs.
#[macro_export]
macro_rules! native {
    ($conn:expr, $c:ident => $body:expr) => {
        match &mut *$conn {
            $crate::db::DbConnection::Postgresql($c) => $body,
            $crate::db::DbConnection::Sqlite($c) => $body,
        }
    };
}

/// A connection to either backend; diesel's DSL works on it unchanged.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Postgresql(PgConnection),
    Sqlite(SqliteConnection),
}

/// Which database engine a URL selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Failures of the storage layer itself (not of a query's meaning).
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error(
        "unsupported database URL scheme in {0:?}: use sqlite://PATH or postgres://USER@HOST/DB"
    )]
    UnknownScheme(String),
    #[error("cannot open the database pool: {0}")]
    Pool(#[from] r2d2::PoolError),
    #[error("cannot apply migrations: {0}")]
    Migration(String),
    #[error("database error: {0}")]
    Query(#[from] diesel::result::Error),
    #[error("cannot open the database: {0}")]
    Connect(#[from] ConnectionError),
    #[error("replicas: {0}")]
    Replica(String),
}

impl Backend {
    /// Picks the backend from the URL scheme and returns the target the driver expects.
    /// An unknown scheme is refused rather than read as a SQLite file name.
    pub fn parse(url: &str) -> Result<(Backend, String), StorageError> {
        if let Some(path) = url.strip_prefix("sqlite://") {
            return Ok((Backend::Sqlite, path.to_owned()));
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok((Backend::Postgres, url.to_owned()));
        }
        Err(StorageError::UnknownScheme(redact(url)))
    }
}

/// Hides a password in a URL before it reaches a log or an error message.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.find(':') {
                Some(c) => format!("{}{}:***{}", &url[..s + 3], &creds[..c], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

pub type Conn = PooledConnection<Manager>;

/// How long a request waits for a pooled connection before it is answered 503.
const POOL_WAIT: Duration = Duration::from_secs(5);

/// The shared database handle: a pool plus, on SQLite, one lock that serialises writers so that
/// they queue in the application instead of spinning on `SQLITE_BUSY`.
#[derive(Clone)]
pub struct Db {
    pool: Pool<Manager>,
    backend: Backend,
    write_lock: Arc<Mutex<()>>,
    /// Advanced by each storage fault; connections opened before it are closed (see `pool`).
    epoch: Arc<AtomicU64>,
    /// On SQLite, the queue of the writer thread that commits requests' writes together.
    writer: Option<std::sync::mpsc::Sender<group::Job>>,
    /// On PostgreSQL, the streaming replicas that may answer reads.
    replicas: Option<Arc<replicas::Replicas>>,
}

impl Db {
    /// Opens the pool with SQLite's default durability and applies pending migrations.
    pub fn open(url: &str, pool_size: u32) -> Result<Db, StorageError> {
        let synchronous = Synchronous::default();
        Db::open_with(
            url,
            Options {
                pool_size,
                synchronous,
            },
        )
    }

    /// Opens the pool and applies pending migrations.
    pub fn open_with(url: &str, options: Options) -> Result<Db, StorageError> {
        let (backend, target) = Backend::parse(url)?;
        if backend == Backend::Sqlite {
            create_parent_dir(&target);
            let mut first = SqliteConnection::establish(&target)?;
            first
                .batch_execute("PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL;")
                .map_err(StorageError::Query)?;
        }
        let epoch = Arc::new(AtomicU64::new(0));
        let pool = Pool::builder()
            .max_size(options.pool_size)
            .connection_timeout(POOL_WAIT)
            // A `SELECT 1` round trip on every checkout would double the cost of a simple read;
            // a broken connection fails its query instead and is replaced.
            .test_on_check_out(false)
            .build(Manager {
                backend,
                target,
                synchronous: options.synchronous,
                epoch: epoch.clone(),
                census: Default::default(),
            })?;
        let mut db = Db {
            pool,
            backend,
            write_lock: Arc::new(Mutex::new(())),
            epoch,
            writer: None,
            replicas: None,
        };
        db.migrate()?;
        if backend == Backend::Sqlite {
            let (queue, jobs) = std::sync::mpsc::channel();
            let core = db.clone();
            std::thread::Builder::new()
                .name("sqlite-writer".into())
                .spawn(move || group::writer(core, jobs))
                .map_err(|e| {
                    StorageError::Query(diesel::result::Error::QueryBuilderError(e.into()))
                })?;
            db.writer = Some(queue);
        }
        Ok(db)
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Lets the streaming replicas at `urls` answer routed reads (see [`Db::read_routed`]) while
    /// they are no more than `max_lag` behind this primary.
    pub fn attach_replicas(
        &mut self,
        urls: &[String],
        max_lag: Duration,
        pool_size: u32,
    ) -> Result<(), StorageError> {
        if urls.is_empty() {
            return Ok(());
        }
        if self.backend != Backend::Postgres {
            return Err(StorageError::Replica(
                "read replicas need a PostgreSQL primary in DATABASE_URL".into(),
            ));
        }
        self.replicas = Some(replicas::Replicas::start(
            self.pool.clone(),
            urls,
            max_lag,
            pool_size,
        )?);
        Ok(())
    }

    /// Whether routed reads may go to a replica.
    pub fn has_replicas(&self) -> bool {
        self.replicas.is_some()
    }

    /// How far behind each replica is (`None`: down or not yet caught up).
    pub fn replica_lags(&self) -> Vec<Option<Duration>> {
        self.replicas.as_ref().map(|r| r.lags()).unwrap_or_default()
    }

    /// Remembers that `user` has just written: their routed reads stay on the primary until a
    /// replica has replayed the write.
    pub fn note_write(&self, user: i64) {
        if let Some(r) = &self.replicas {
            r.note_write(user);
        }
    }

    /// The pool's connections: open, idle among them, and the most it opens.
    pub fn pool_use(&self) -> (u32, u32, u32) {
        let state = self.pool.state();
        (
            state.connections,
            state.idle_connections,
            self.pool.max_size(),
        )
    }

    /// Applies every embedded migration not yet applied.
    pub fn migrate(&self) -> Result<usize, StorageError> {
        let mut conn = self.checkout(POOL_WAIT)?;
        let migrations = match self.backend {
            Backend::Sqlite => SQLITE_MIGRATIONS,
            Backend::Postgres => POSTGRES_MIGRATIONS,
        };
        let applied = conn
            .run_pending_migrations(migrations)
            .map_err(|e| StorageError::Migration(e.to_string()))?;
        Ok(applied.len())
    }

    /// Refreshes the planners' statistics (same statement on both backends), worth doing after a
    /// bulk import: without them PostgreSQL may pick a slow plan for catalogue searches until autovacuum catches up.
    pub fn analyze(&self) -> Result<(), StorageError> {
        let mut conn = self.checkout(POOL_WAIT)?;
        conn.batch_execute("ANALYZE")?;
        Ok(())
    }

    /// Keeps SQLite's planner statistics in step with the data: re-analyses (with a bounded
    /// sample) each growing table whose statistics describe far fewer rows than it now has. Stale
    /// statistics (bookings analysed when they held one row, now a million) make SQLite choose
    /// full scans. Cheap when nothing is stale; PostgreSQL's autovacuum does this itself.
    pub fn optimize(&self) -> Result<(), StorageError> {
        if self.backend != Backend::Sqlite {
            return Ok(());
        }
        let mut conn = self.checkout(POOL_WAIT)?;
        for table in [
            "bookings",
            "booking_events",
            "voucher_ledger",
            "outbox",
            "resources",
        ] {
            if stale(&mut conn, table)? {
                let _guard = self.write_lock.lock().unwrap_or_else(|p| p.into_inner());
                conn.batch_execute(&format!("PRAGMA analysis_limit = 1000; ANALYZE {table};"))?;
            }
        }
        Ok(())
    }

    /// Succeeds when the database takes a write within `wait`: a write transaction is begun, a
    /// write statement prepared and run (it changes nothing), and the whole rolled back. A
    /// connection that fails it is discarded, so the next check sees the database afresh.
    pub fn ready(&self, wait: Duration) -> Result<(), StorageError> {
        let mut conn = self.checkout(wait)?;
        let probe = match self.backend {
            Backend::Sqlite => "BEGIN IMMEDIATE; DELETE FROM outbox WHERE id < 0; ROLLBACK;",
            Backend::Postgres => "BEGIN; DELETE FROM outbox WHERE id < 0; ROLLBACK;",
        };
        let outcome = conn.batch_execute(probe).map_err(StorageError::Query);
        if outcome.is_err() {
            let _ = conn.batch_execute("ROLLBACK");
            self.discard_all(&mut conn);
        }
        outcome
    }

    pub fn get(&self) -> Result<Conn, r2d2::PoolError> {
        self.checkout(POOL_WAIT)
    }

    /// A pooled connection opened since the last storage fault; older ones are closed as they
    /// come up.
    fn checkout(&self, wait: Duration) -> Result<Conn, r2d2::PoolError> {
        loop {
            let mut conn = self.pool.get_timeout(wait)?;
            if !conn.is_stale(&self.epoch) {
                return Ok(conn);
            }
            mark_broken(&mut conn);
        }
    }

    /// Runs `f` on a pooled connection, outside any explicit transaction.
    pub fn read_blocking<T, E>(
        &self,
        f: impl FnOnce(&mut DbConnection) -> Result<T, E>,
    ) -> Result<T, E>
    where
        E: From<r2d2::PoolError> + Faulty,
    {
        let mut conn = self.checkout(POOL_WAIT)?;
        let outcome = f(&mut conn);
        self.discard_on_fault(&mut conn, &outcome);
        outcome
    }

    /// Runs read-only `f` on a replica fit for `reader` when there is one (see [`replicas`]),
    /// else on the primary. For reads that guard no invariant: the catalogue, listings, reports.
    pub fn read_routed<T, E, F>(&self, reader: i64, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Clone,
        E: From<r2d2::PoolError> + Faulty,
    {
        if let Some(r) = &self.replicas
            && let Some(outcome) = r.read(reader, f.clone())
        {
            return outcome;
        }
        self.read_blocking(f)
    }

    /// Queues `f` as one write on SQLite's writer thread, which commits it together with the
    /// other writes waiting then (see [`group`]); the future is its answer. Without a writer
    /// thread (PostgreSQL, where writers lock only the rows they change) `f` is handed back.
    #[allow(clippy::type_complexity)]
    pub fn queue_write<T, E, F>(
        &self,
        f: F,
    ) -> Result<std::pin::Pin<Box<dyn Future<Output = Result<T, E>> + Send>>, F>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<diesel::result::Error> + Faulty + Send + 'static,
    {
        let Some(queue) = &self.writer else {
            return Err(f);
        };
        let (tx, rx) = tokio::sync::oneshot::channel();
        let job = group::job(f, move |answer| {
            let _ = tx.send(answer);
        });
        let gone = || E::from(group::failure("the database writer has stopped".into()));
        let sent = queue.send(job).is_ok();
        Ok(Box::pin(async move {
            match sent {
                // No answer means the write panicked; the transaction went on without it.
                true => rx.await.unwrap_or_else(|_| Err(gone())),
                false => Err(gone()),
            }
        }))
    }

    /// Runs `f` as one write off the async threads: on SQLite's writer thread, committed with the
    /// writes waiting alongside; elsewhere on the blocking pool, in a transaction of its own.
    pub async fn write<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<r2d2::PoolError> + From<diesel::result::Error> + Faulty + Send + 'static,
    {
        match self.queue_write(f) {
            Ok(answer) => answer.await,
            Err(f) => {
                let db = self.clone();
                tokio::task::spawn_blocking(move || db.write_blocking(f))
                    .await
                    .unwrap_or_else(|_| Err(E::from(group::failure("the write panicked".into()))))
            }
        }
    }

    /// Runs `f` inside one write transaction: `BEGIN IMMEDIATE` under the writer lock on SQLite,
    /// a plain transaction on PostgreSQL (writers there lock the rows they change).
    pub fn write_blocking<T, E>(
        &self,
        f: impl FnOnce(&mut DbConnection) -> Result<T, E>,
    ) -> Result<T, E>
    where
        E: From<r2d2::PoolError> + From<diesel::result::Error> + Faulty,
    {
        let mut conn = self.checkout(POOL_WAIT)?;
        let _guard = match self.backend {
            // A poisoned lock only means another writer panicked; the database rolled it back.
            Backend::Sqlite => Some(self.write_lock.lock().unwrap_or_else(|p| p.into_inner())),
            Backend::Postgres => None,
        };
        let outcome = immediate_transaction(&mut conn, f);
        self.discard_on_fault(&mut conn, &outcome);
        outcome
    }
}

impl Db {
    /// After a storage fault, closes this connection and every other opened before it.
    fn discard_on_fault<T, E: Faulty>(&self, conn: &mut DbConnection, outcome: &Result<T, E>) {
        if let Err(e) = outcome
            && let Some(fault) = e.fault()
        {
            tracing::warn!(
                ?fault,
                "storage fault: the pool's connections are opened afresh"
            );
            self.discard_all(conn);
        }
    }

    fn discard_all(&self, conn: &mut DbConnection) {
        self.epoch.fetch_add(1, Ordering::AcqRel);
        mark_broken(conn);
    }
}

fn create_parent_dir(path: &str) {
    if let Some(parent) = std::path::Path::new(path).parent() {
        // If this fails, opening the file reports the real reason.
        let _ = std::fs::create_dir_all(parent);
    }
}

/// Current time truncated to microseconds, the precision both backends keep.
pub fn now() -> chrono::NaiveDateTime {
    truncate(chrono::Utc::now().naive_utc())
}

pub fn truncate(t: chrono::NaiveDateTime) -> chrono::NaiveDateTime {
    use chrono::Timelike;
    let micros = t.nanosecond() / 1_000 * 1_000;
    t.with_nanosecond(micros).unwrap_or(t)
}

#[derive(diesel::QueryableByName)]
struct Rows {
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::BigInt>)]
    n: Option<i64>,
}

/// True when a table's analysed row count is far below its size (its largest id, a free lookup).
fn stale(conn: &mut DbConnection, table: &str) -> Result<bool, diesel::result::Error> {
    use diesel::{OptionalExtension, RunQueryDsl};
    let size: Rows =
        diesel::sql_query(format!("SELECT MAX(rowid) AS n FROM {table}")).get_result(conn)?;
    let analysed: Option<Rows> = diesel::sql_query(
        "SELECT CAST(stat AS INTEGER) AS n FROM sqlite_stat1 WHERE tbl = ?1 LIMIT 1",
    )
    .bind::<diesel::sql_types::Text, _>(table)
    .get_result(conn)
    .optional()
    .or_else(|e| match e {
        // No statistics table until the first ANALYZE.
        diesel::result::Error::DatabaseError(..) => Ok(None),
        other => Err(other),
    })?;
    let size = size.n.unwrap_or(0);
    let known = analysed.and_then(|r| r.n).unwrap_or(0);
    // Sampled statistics undercount large tables: only a fourfold gap counts as stale.
    Ok(size > 1_000 && size > 4 * known)
}
