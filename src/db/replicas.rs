//! Reads from PostgreSQL streaming replicas. A watcher samples the primary's WAL position and each
//! replica's replayed position several times a second: a replica is *fresh as of* the latest
//! instant whose primary position it has replayed, so it holds every transaction committed before
//! then. Positions, not `pg_last_xact_replay_timestamp()`, because an idle primary commits nothing
//! and a replay timestamp would age although the replica misses nothing.
//!
//! A read goes to a replica only when that replica is fresh as of less than the lag bound ago and
//! as of a moment after the reader's last write through this server, so a user reads their own
//! writes; anything else, and any read a replica fails, goes to the primary.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use diesel::RunQueryDsl;
use diesel::r2d2::Pool;

use super::transaction::mark_broken;
use super::{Backend, DbConnection, Faulty, Manager, StorageError, Synchronous};

/// How often the watcher samples the primary and the replicas.
pub const POLL: Duration = Duration::from_millis(100);
/// How long a read waits for one of a replica's connections before it goes to the primary.
const REPLICA_WAIT: Duration = Duration::from_secs(1);
/// Writers remembered before the ones older than the lag bound are forgotten.
const WRITERS_KEPT: usize = 10_000;

/// A replica: its pool and the instant its data is complete up to.
struct Standby {
    pool: Pool<Manager>,
    epoch: Arc<AtomicU64>,
    fresh_as_of: Mutex<Option<Instant>>,
}

impl Standby {
    fn fresh_as_of(&self) -> Option<Instant> {
        *self.fresh_as_of.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn set_fresh_as_of(&self, at: Option<Instant>) {
        *self.fresh_as_of.lock().unwrap_or_else(|p| p.into_inner()) = at;
    }
}

/// The replicas of one primary, which users wrote when, and the lag bound.
pub struct Replicas {
    primary: Pool<Manager>,
    standbys: Vec<Standby>,
    max_lag: Duration,
    writers: Mutex<HashMap<i64, Instant>>,
    turn: AtomicUsize,
}

#[derive(diesel::QueryableByName)]
struct Position {
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::BigInt>)]
    lsn: Option<i64>,
}

fn position(pool: &Pool<Manager>, sql: &str) -> Option<i64> {
    let mut conn = pool.get_timeout(REPLICA_WAIT).ok()?;
    match diesel::sql_query(sql).get_result::<Position>(&mut **conn) {
        Ok(p) => p.lsn,
        Err(_) => {
            mark_broken(&mut conn);
            None
        }
    }
}

/// The primary's position now; NULL on a server in recovery.
const PRIMARY_POSITION: &str = "SELECT CASE WHEN pg_is_in_recovery() THEN NULL \
     ELSE pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint END AS lsn";
/// What a replica has replayed; NULL on a server that is not one.
const REPLAYED_POSITION: &str =
    "SELECT pg_wal_lsn_diff(pg_last_wal_replay_lsn(), '0/0')::bigint AS lsn";

impl Replicas {
    /// Pools for `urls` (opened lazily: a replica that is down only waits to be fresh) and a
    /// watcher thread that lives as long as they do.
    pub(super) fn start(
        primary: Pool<Manager>,
        urls: &[String],
        max_lag: Duration,
        pool_size: u32,
    ) -> Result<Arc<Replicas>, StorageError> {
        let mut standbys = Vec::new();
        for url in urls {
            let (backend, target) = Backend::parse(url)?;
            if backend != Backend::Postgres {
                return Err(StorageError::Replica(format!(
                    "{}: a replica is a PostgreSQL server",
                    super::redact(url)
                )));
            }
            let epoch = Arc::new(AtomicU64::new(0));
            let pool = Pool::builder()
                .max_size(pool_size)
                .min_idle(Some(0))
                .connection_timeout(REPLICA_WAIT)
                .test_on_check_out(false)
                .build_unchecked(Manager {
                    backend,
                    target,
                    synchronous: Synchronous::default(),
                    epoch: epoch.clone(),
                    census: Default::default(),
                });
            standbys.push(Standby {
                pool,
                epoch,
                fresh_as_of: Mutex::new(None),
            });
        }
        let replicas = Arc::new(Replicas {
            primary,
            standbys,
            max_lag,
            writers: Mutex::new(HashMap::new()),
            turn: AtomicUsize::new(0),
        });
        let watched = Arc::downgrade(&replicas);
        std::thread::Builder::new()
            .name("replica-watch".into())
            .spawn(move || watch(watched))
            .map_err(|e| StorageError::Replica(format!("cannot start the replica watcher: {e}")))?;
        Ok(replicas)
    }

    /// Remembers that `user` has just written, so their reads stay on the primary until a
    /// replica has replayed it.
    pub fn note_write(&self, user: i64) {
        let now = Instant::now();
        let mut writers = self.writers.lock().unwrap_or_else(|p| p.into_inner());
        if writers.len() >= WRITERS_KEPT {
            // A write older than the bound is in every replica still in use.
            writers.retain(|_, at| now.duration_since(*at) <= self.max_lag);
        }
        writers.insert(user, now);
    }

    /// How far behind each replica is, in the order configured; `None` for one that is down or
    /// has never caught up.
    pub fn lags(&self) -> Vec<Option<Duration>> {
        let now = Instant::now();
        self.standbys
            .iter()
            .map(|s| s.fresh_as_of().map(|at| now.duration_since(at)))
            .collect()
    }

    /// A replica that holds everything `reader` wrote and is within the lag bound, taken in turn.
    fn choose(&self, reader: i64) -> Option<&Standby> {
        let wrote = {
            let writers = self.writers.lock().unwrap_or_else(|p| p.into_inner());
            writers.get(&reader).copied()
        };
        let now = Instant::now();
        let usable = |s: &&Standby| {
            s.fresh_as_of().is_some_and(|at| {
                now.duration_since(at) <= self.max_lag && wrote.is_none_or(|w| at > w)
            })
        };
        let n = self.standbys.len();
        let first = self.turn.fetch_add(1, Ordering::Relaxed);
        (0..n)
            .map(|i| &self.standbys[(first + i) % n])
            .find(|s| usable(s))
    }

    /// Runs `f` on a replica fit for `reader`; `None` when there is none, or when the replica's
    /// connection or query failed (it then counts as behind until the watcher sees it again).
    pub(super) fn read<T, E>(
        &self,
        reader: i64,
        f: impl FnOnce(&mut DbConnection) -> Result<T, E>,
    ) -> Option<Result<T, E>>
    where
        E: Faulty,
    {
        let standby = self.choose(reader)?;
        let Ok(mut conn) = standby.pool.get_timeout(REPLICA_WAIT) else {
            standby.set_fresh_as_of(None);
            return None;
        };
        if conn.is_stale(&standby.epoch) {
            mark_broken(&mut conn);
            return None;
        }
        let outcome = f(&mut conn);
        match &outcome {
            Err(e) if e.fault().is_some() => {
                standby.set_fresh_as_of(None);
                standby.epoch.fetch_add(1, Ordering::AcqRel);
                mark_broken(&mut conn);
                None
            }
            _ => Some(outcome),
        }
    }

    /// One round of the watcher: the primary's position now, then each replica's replay.
    fn sample(&self, history: &mut VecDeque<(Instant, i64)>) {
        let at = Instant::now();
        if let Some(lsn) = position(&self.primary, PRIMARY_POSITION) {
            history.push_back((at, lsn));
        }
        // Samples older than the bound cannot make a replica usable again.
        while history.len() > 1
            && history
                .get(1)
                .is_some_and(|(t, _)| at.duration_since(*t) > self.max_lag)
        {
            history.pop_front();
        }
        for standby in &self.standbys {
            let replayed = position(&standby.pool, REPLAYED_POSITION);
            let fresh = replayed.and_then(|r| {
                history
                    .iter()
                    .rev()
                    .find(|(_, lsn)| *lsn <= r)
                    .map(|(t, _)| *t)
            });
            match (fresh, replayed) {
                (Some(t), _) => standby.set_fresh_as_of(Some(t)),
                // Reachable but behind every sample kept: it stays as fresh as it was.
                (None, Some(_)) => {}
                (None, None) => standby.set_fresh_as_of(None),
            }
        }
    }
}

fn watch(replicas: Weak<Replicas>) {
    let mut history = VecDeque::new();
    while let Some(r) = replicas.upgrade() {
        r.sample(&mut history);
        drop(r);
        std::thread::sleep(POLL);
    }
}

#[cfg(test)]
mod tests {
    use crate::db::{Db, StorageError};

    #[test]
    fn replicas_need_a_postgresql_primary() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("r.sqlite3").display());
        let mut db = Db::open(&url, 2).unwrap();
        let replica = ["postgres://postgres@127.0.0.1:1/x".to_owned()];
        let refused = db.attach_replicas(&replica, std::time::Duration::from_secs(1), 2);
        assert!(
            matches!(refused, Err(StorageError::Replica(_))),
            "{refused:?}"
        );
        assert!(db.replica_lags().is_empty());
    }
}
