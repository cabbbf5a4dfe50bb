//! The simulated quota store a process fleet shares: what Valkey/Redis
//! does for `routy-redis`, in virtual time: the word "spent until"
//! (kept on the store's clock, published as time left), a read of it when
//! a process starts or reconnects, and paced turns (GCRA), all of it lost
//! by a restart, none of it reachable while the store is down, turns
//! refused while it is slower than a client waits for it.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use routy_core::policy::{QuotaInbox, QuotaStore};
use routy_core::ApiKey;

use crate::sim::trace::StoreState;

/// How late news published at a moment of a slow store arrives.
pub(crate) const SLOW_DELAY: Duration = Duration::from_millis(80);
/// How late news arrives otherwise.
pub(crate) const DELAY: Duration = Duration::from_millis(1);

/// One change of the store's state, at a virtual time.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Change {
    pub(crate) at: Duration,
    pub(crate) to: StoreState,
}

/// A piece of news on its way to a process.
#[derive(Debug, Clone)]
pub(crate) struct News {
    pub(crate) to: usize,
    pub(crate) at: Duration,
    pub(crate) id: u64,
    pub(crate) wait: Duration,
}

/// The store, and what the fleet's processes are owed by it.
#[derive(Debug, Default)]
pub(crate) struct StoreWorld {
    /// Virtual time now (the runner sets it before each step).
    pub(crate) now: Duration,
    pub(crate) state: Option<StoreState>,
    /// key id → spent until (virtual time); lost on restart.
    spent: Vec<(u64, Duration)>,
    /// key id → the fleet's next free turn; lost on restart.
    turns: Vec<(u64, Duration)>,
    inboxes: Vec<Option<QuotaInbox>>,
    /// Published, not yet delivered.
    pub(crate) outbox: Vec<News>,
    /// News the store could not take (it was away).
    pub(crate) dropped: u64,
}

/// What the runner and every process's store handle share.
pub(crate) type Shared = Arc<Mutex<StoreWorld>>;

pub(crate) fn lock(shared: &Shared) -> MutexGuard<'_, StoreWorld> {
    shared.lock().unwrap_or_else(PoisonError::into_inner)
}

impl StoreWorld {
    pub(crate) fn new(processes: usize) -> Self {
        StoreWorld {
            state: Some(StoreState::Up),
            inboxes: vec![None; processes],
            ..StoreWorld::default()
        }
    }

    fn reachable(&self) -> bool {
        matches!(self.state, Some(StoreState::Up | StoreState::Slow))
    }

    fn delay(&self) -> Duration {
        match self.state {
            Some(StoreState::Slow) => SLOW_DELAY,
            _ => DELAY,
        }
    }

    /// The store becomes `to`; a restart forgets everything.
    pub(crate) fn change(&mut self, to: StoreState) {
        if to == StoreState::Restarted {
            self.spent.clear();
            self.turns.clear();
        }
        self.state = Some(to);
    }

    /// Process `to` reads what is held of `id` (at start, on reconnect).
    pub(crate) fn read(&mut self, to: usize, id: u64) {
        if !self.reachable() {
            return;
        }
        let now = self.now;
        let held = self.spent.iter().find(|(k, _)| *k == id).map(|s| s.1);
        if let Some(until) = held.filter(|until| *until > now) {
            let at = now + self.delay();
            self.outbox.push(News {
                to,
                at,
                id,
                wait: until - now,
            });
        }
    }

    /// Hands `news` to its process's gate.
    pub(crate) fn deliver(&self, news: &News) {
        if let Some(inbox) = &self.inboxes[news.to] {
            inbox.spent(news.id, "", news.wait);
        }
    }
}

/// How every process names `key` in the store: SipHash with fixed keys
/// over its fingerprint, never the key itself.
pub(crate) fn key_id(key: &ApiKey) -> u64 {
    use std::hash::{Hash as _, Hasher as _};
    let mut hasher = std::hash::DefaultHasher::new();
    key.fingerprint().hash(&mut hasher);
    hasher.finish()
}

/// One process's handle on the store (each process has a connection of
/// its own).
#[derive(Debug)]
pub(crate) struct SimStore {
    pub(crate) shared: Shared,
    pub(crate) me: usize,
}

impl QuotaStore for SimStore {
    fn key_id(&self, key: &ApiKey) -> u64 {
        key_id(key)
    }

    fn spent(&self, key_id: u64, _route: &str, wait: Duration) {
        let mut world = lock(&self.shared);
        if !world.reachable() {
            world.dropped += 1;
            return;
        }
        let now = world.now;
        let until = now + wait;
        match world.spent.iter_mut().find(|(k, _)| *k == key_id) {
            Some((_, held)) if *held >= until => return,
            Some((_, held)) => *held = until,
            None => world.spent.push((key_id, until)),
        }
        let at = now + world.delay();
        for to in 0..world.inboxes.len() {
            world.outbox.push(News {
                to,
                at,
                id: key_id,
                wait,
            });
        }
    }

    fn attach(&self, inbox: QuotaInbox) {
        lock(&self.shared).inboxes[self.me] = Some(inbox);
    }

    fn watch(&self, key_id: u64) {
        lock(&self.shared).read(self.me, key_id);
    }

    fn turn(&self, key_id: u64, _route: &str, spacing: Duration) -> Option<Duration> {
        let mut world = lock(&self.shared);
        // Slower than the client waits for a turn: none booked.
        if world.state != Some(StoreState::Up) {
            return None;
        }
        let now = world.now;
        let next = match world.turns.iter_mut().find(|(k, _)| *k == key_id) {
            Some((_, next)) => next,
            None => {
                world.turns.push((key_id, now));
                &mut world.turns.last_mut()?.1
            }
        };
        let turn = (*next).max(now);
        *next = turn + spacing;
        Some(turn - now)
    }
}
