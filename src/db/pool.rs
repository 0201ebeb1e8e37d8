//! The connection pool's manager: it opens the backend the URL names, sets SQLite's pragmas on
//! every new connection, and stamps each with the pool's epoch. A storage fault advances the
//! epoch, and every connection opened before it is closed at its next use: after a database
//! restart none of the dead connections is handed out again, and after a read-only spell none of
//! those opened read-only. SQLite shares one view of a file's shared memory among all of a
//! process's connections to it, and a view opened read-only stays so while any connection holds
//! it: a new SQLite connection therefore waits (briefly) until every older one is closed.

use std::collections::BTreeMap;
use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::r2d2::ManageConnection;
use diesel::{Connection, ConnectionError, PgConnection, SqliteConnection};

use super::{Backend, DbConnection};

/// An r2d2 manager that opens the variant the URL names, so PostgreSQL's own error text
/// reaches the operator, and sets SQLite's pragmas on every new connection.
pub struct Manager {
    pub(super) backend: Backend,
    pub(super) target: String,
    pub(super) synchronous: Synchronous,
    pub(super) epoch: Arc<AtomicU64>,
    pub(super) census: Arc<Census>,
}

/// How long a new SQLite connection waits for older ones to close before it opens anyway.
const DRAIN_WAIT: Duration = Duration::from_secs(2);

/// The open connections of each epoch.
#[derive(Debug, Default)]
pub struct Census(Mutex<BTreeMap<u64, usize>>);

impl Census {
    fn count(&self, epoch: u64, change: impl FnOnce(&mut usize)) {
        let mut open = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let n = open.entry(epoch).or_default();
        change(n);
        if *n == 0 {
            open.remove(&epoch);
        }
    }

    fn older_open(&self, epoch: u64) -> bool {
        let open = self.0.lock().unwrap_or_else(|p| p.into_inner());
        open.range(..epoch).next().is_some()
    }

    /// Waits until no connection older than `epoch` is open, or `wait` has passed.
    fn drain(&self, epoch: u64, wait: Duration) {
        let deadline = Instant::now() + wait;
        while self.older_open(epoch) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

/// A pooled connection and the epoch it was opened in.
pub struct Pooled {
    conn: DbConnection,
    epoch: u64,
    census: Arc<Census>,
}

impl Drop for Pooled {
    fn drop(&mut self) {
        self.census.count(self.epoch, |n| *n = n.saturating_sub(1));
    }
}

impl Pooled {
    /// Opened before the last storage fault.
    pub fn is_stale(&self, epoch: &AtomicU64) -> bool {
        self.epoch < epoch.load(Ordering::Acquire)
    }
}

impl Deref for Pooled {
    type Target = DbConnection;
    fn deref(&self) -> &DbConnection {
        &self.conn
    }
}

impl DerefMut for Pooled {
    fn deref_mut(&mut self) -> &mut DbConnection {
        &mut self.conn
    }
}

/// How SQLite commits (its `synchronous` setting, in WAL mode): `Normal` keeps every committed
/// transaction through a crash of the process, `Full` also through a power loss or an OS crash.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Synchronous {
    #[default]
    Normal,
    Full,
}

impl Synchronous {
    pub const NAMES: &'static [&'static str] = &["normal", "full"];

    pub fn parse(text: &str) -> Option<Synchronous> {
        match text.to_ascii_lowercase().as_str() {
            "normal" => Some(Synchronous::Normal),
            "full" => Some(Synchronous::Full),
            _ => None,
        }
    }

    pub(super) fn pragma(self) -> &'static str {
        match self {
            Synchronous::Normal => "NORMAL",
            Synchronous::Full => "FULL",
        }
    }
}

/// How the database is opened.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Most connections the pool opens.
    pub pool_size: u32,
    pub synchronous: Synchronous,
}

impl ManageConnection for Manager {
    type Connection = Pooled;
    type Error = ConnectionError;

    fn connect(&self) -> Result<Pooled, ConnectionError> {
        let epoch = self.epoch.load(Ordering::Acquire);
        if self.backend == Backend::Sqlite {
            self.census.drain(epoch, DRAIN_WAIT);
        }
        let conn = self.open()?;
        self.census.count(epoch, |n| *n += 1);
        Ok(Pooled {
            conn,
            epoch,
            census: self.census.clone(),
        })
    }

    fn is_valid(&self, conn: &mut Pooled) -> Result<(), ConnectionError> {
        conn.batch_execute("SELECT 1")
            .map_err(ConnectionError::CouldntSetupConfiguration)
    }

    fn has_broken(&self, conn: &mut Pooled) -> bool {
        use diesel::r2d2::R2D2Connection;
        conn.is_stale(&self.epoch)
            || match &mut conn.conn {
                DbConnection::Postgresql(c) => c.is_broken(),
                DbConnection::Sqlite(c) => c.is_broken(),
            }
    }
}

impl Manager {
    fn open(&self) -> Result<DbConnection, ConnectionError> {
        match self.backend {
            Backend::Postgres => {
                PgConnection::establish(&self.target).map(DbConnection::Postgresql)
            }
            Backend::Sqlite => {
                let mut conn = SqliteConnection::establish(&self.target)?;
                // WAL is a property of the file, set once in `Db::open`: asking for it on every
                // new connection takes a lock that busy_timeout does not cover.
                conn.batch_execute(&format!(
                    "PRAGMA busy_timeout = 5000; PRAGMA synchronous = {}; PRAGMA foreign_keys = ON;",
                    self.synchronous.pragma()
                ))
                .map_err(ConnectionError::CouldntSetupConfiguration)?;
                Ok(DbConnection::Sqlite(conn))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::Db;
    use diesel::RunQueryDsl;

    #[derive(diesel::QueryableByName)]
    struct Level {
        #[diesel(sql_type = diesel::sql_types::Integer)]
        synchronous: i32,
    }

    /// SQLite's `synchronous` setting on every pooled connection: 1 is NORMAL, 2 is FULL.
    #[test]
    fn each_connection_commits_as_configured() {
        let dir = tempfile::tempdir().unwrap();
        for (synchronous, level) in [(Synchronous::Normal, 1), (Synchronous::Full, 2)] {
            let url = format!("sqlite://{}", dir.path().join("s.sqlite3").display());
            let db = Db::open_with(
                &url,
                crate::db::Options {
                    pool_size: 2,
                    synchronous,
                },
            )
            .unwrap();
            let mut conn = db.get().unwrap();
            let got: Level = diesel::sql_query("PRAGMA synchronous")
                .get_result(&mut **conn)
                .unwrap();
            assert_eq!(got.synchronous, level, "{synchronous:?}");
        }
    }
}
