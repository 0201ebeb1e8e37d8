//! A short-lived cache of what nearly every request reads again: the caller's account check and a
//! resource's catalogue view. Any request through this server that may write (any method but
//! GET, HEAD and OPTIONS) empties it, so a change made here is seen by the next request, the
//! writer's or anyone's; a change made through another server, a background job or the command
//! line is seen after at most the cache's lifetime, as with a read replica's lag bound.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::db::resources::ResourceView;
use crate::domain::actor::Actor;
use crate::domain::ids::{ResourceId, UserId};
use crate::domain::types::Locale;

/// Entries kept per map before it is emptied.
const MOST: usize = 50_000;

/// One map of values, each stamped with the generation and moment it was read.
struct Fresh<K, V> {
    entries: Mutex<HashMap<K, (V, u64, Instant)>>,
}

impl<K: Eq + Hash, V: Clone> Fresh<K, V> {
    fn new() -> Self {
        Fresh {
            entries: Mutex::new(HashMap::new()),
        }
    }

    fn get(&self, key: &K, generation: u64, ttl: Duration) -> Option<V> {
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries
            .get(key)
            .filter(|(_, g, at)| *g == generation && at.elapsed() < ttl)
            .map(|(v, _, _)| v.clone())
    }

    fn put(&self, key: K, value: V, generation: u64) {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries.len() >= MOST {
            entries.clear();
        }
        entries.insert(key, (value, generation, Instant::now()));
    }
}

/// What an account check found: the actor and their language, or that the token is refused.
pub type AccountCheck = Option<(Actor, Locale)>;

/// The cache of one server.
pub struct ReadCache {
    ttl: Duration,
    generation: AtomicU64,
    accounts: Fresh<(UserId, i64), AccountCheck>,
    resources: Fresh<ResourceId, Option<ResourceView>>,
}

impl ReadCache {
    /// A cache whose entries live `ttl`; zero turns it off.
    pub fn new(ttl: Duration) -> ReadCache {
        ReadCache {
            ttl,
            generation: AtomicU64::new(0),
            accounts: Fresh::new(),
            resources: Fresh::new(),
        }
    }

    /// Forgets everything read before now.
    pub fn written(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    /// The generation a read about to start belongs to: a value read in it is stored under it,
    /// so a write that lands while the read runs makes the value stale at once.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    pub fn account(&self, user: UserId, version: i64) -> Option<AccountCheck> {
        self.enabled()
            .then(|| {
                self.accounts
                    .get(&(user, version), self.generation(), self.ttl)
            })
            .flatten()
    }

    pub fn keep_account(&self, user: UserId, version: i64, found: AccountCheck, generation: u64) {
        if self.enabled() {
            self.accounts.put((user, version), found, generation);
        }
    }

    pub fn resource(&self, id: ResourceId) -> Option<Option<ResourceView>> {
        self.enabled()
            .then(|| self.resources.get(&id, self.generation(), self.ttl))
            .flatten()
    }

    pub fn keep_resource(&self, id: ResourceId, found: Option<ResourceView>, generation: u64) {
        if self.enabled() {
            self.resources.put(id, found, generation);
        }
    }

    fn enabled(&self) -> bool {
        !self.ttl.is_zero()
    }
}

impl Default for ReadCache {
    fn default() -> ReadCache {
        ReadCache::new(Duration::ZERO)
    }
}
