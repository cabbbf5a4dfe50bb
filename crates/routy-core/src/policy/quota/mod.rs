//! The server's word about a key's quota, held for every caller of one
//! client: when an answer says the quota is spent (a 429 or 503 with
//! `Retry-After`, or one whose rate-limit fields say no request is left),
//! no request of that client leaves before the time named (within a
//! ceiling), whichever thread or clone sends it. One small state behind the client, read and
//! advanced in one step under a lock; a client whose quota was never
//! spent pays one atomic load per request.

use std::hash::{BuildHasher, RandomState};
use std::mem;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::auth::ApiKey;
use crate::defaults::{
    DEFAULT_MAX_QUOTA_HOLD, FLEET_SPREAD, QUOTA_KEYS, QUOTA_ROUTES, QUOTA_SPREAD,
};

mod store;

pub use store::{QuotaInbox, QuotaStore};

/// Which calls one "quota spent" answer holds back. Routy's limits are
/// per token, so the default is the whole client.
///
/// # Examples
///
/// ```
/// use routy::QuotaScope;
///
/// // An API that limits each route on its own.
/// let client = routy::ClientBuilder::new()
///     .api_key(routy::ApiKey::new("test-token")?)
///     .quota_scope(QuotaScope::Route)
///     .build()?;
/// assert_eq!(client.config().quota_scope(), QuotaScope::Route);
/// # Ok::<(), routy::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum QuotaScope {
    /// Every call of the client, all its clones and threads (the default).
    #[default]
    Client,
    /// Calls to the same path (the query aside): for APIs that limit each
    /// route on its own.
    Route,
    /// No call waits for another's answer: each learns only from its own
    /// (its retries still honour `Retry-After`).
    Off,
}

/// The quota state one client shares across its calls: who may send
/// now, and until when the server said to wait. A [`Call`](crate::call::Call)
/// consults it before each request and tells it what each answer said;
/// [`Client`](crate::Client) keeps one for all its clones.
///
/// The server's word is obeyed within bounds. No hold lasts longer than
/// the gate's [hold limit](Self::hold_limit) (by default
/// [`DEFAULT_MAX_QUOTA_HOLD`]): a longer one is cut to it, and when it
/// ends one request goes out first, as a probe, while the others wait for
/// its answer (a second at most): another "spent" closes the gate again,
/// anything else opens it. What a response said about the quota left
/// ([`pace`](Self::pace)) lapses at the reset it named.
///
/// A new key is a new quota: what was said about one key does not hold
/// back calls made with another (after
/// [`set_api_key`](crate::Client::set_api_key) or a rotated
/// [`SharedKey`](crate::SharedKey)). The gate remembers
/// [`QUOTA_KEYS`] keys and, per key, [`QUOTA_ROUTES`] routes, forgetting
/// first the one whose word ends first, so a long-lived client's state
/// stays small.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use routy::clock::{Clock as _, ManualClock};
/// use routy::policy::QuotaGate;
/// use routy::{ApiKey, QuotaScope};
///
/// let gate = QuotaGate::new(QuotaScope::Client);
/// let key = ApiKey::new("test-token")?;
/// let now = ManualClock::new().now();
/// let spread = Duration::ZERO;
/// assert_eq!(gate.admit(&key, "/v1/accounts", now, spread, false), None);
/// // A 429 saying "come back in 2 s", to a request sent just now.
/// gate.close(&key, "/v1/accounts", now, now, Duration::from_secs(2));
/// let wait = gate.admit(&key, "/v1/accounts/7", now, spread, false);
/// assert_eq!(wait, Some(Duration::from_secs(2)));
/// // Another key is another quota.
/// let other = ApiKey::new("other-token")?;
/// assert_eq!(gate.admit(&other, "/v1/accounts", now, spread, false), None);
/// # Ok::<(), routy::KeyError>(())
/// ```
#[derive(Debug)]
pub struct QuotaGate {
    scope: QuotaScope,
    pace: bool,
    /// The longest any hold or pacing lasts, whatever the server said.
    hold_limit: Duration,
    /// Whether the gate ever held anything: the lock is taken only then.
    active: AtomicBool,
    /// Probes out, in every scope: an answer takes the lock to end one
    /// only while there are.
    probes: AtomicUsize,
    /// Hashes keys, so the gate tells them apart without keeping one.
    hasher: RandomState,
    /// Where the gate's news is shared with other processes, if anywhere
    /// (then keys are told apart by the store's hash, the same in each).
    store: Option<Arc<dyn QuotaStore>>,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    /// The keys told about, each as a hash: the gate keeps no copy of a
    /// key.
    keys: Vec<KeyState>,
}

#[derive(Debug)]
struct KeyState {
    id: u64,
    /// One entry (the empty route) for the whole client, one per path for
    /// [`QuotaScope::Route`].
    scopes: Vec<Scope>,
}

#[derive(Debug, Default)]
struct Scope {
    route: Box<str>,
    /// No request before this: the server said the quota is spent.
    closed_until: Option<Instant>,
    /// When the gate last closed from open: an answer to a request sent
    /// before it is news of the same event, not another.
    closed_since: Option<Instant>,
    /// The hold was cut to the limit: when it ends, a probe goes first.
    probe: bool,
    /// The probe is out: its answer decides.
    probing: bool,
    /// When the last request held so far is released: newcomers wait
    /// behind it.
    released_until: Option<Instant>,
    /// With pacing, the next request's turn, the room between turns, and
    /// when the word that set the room lapses.
    next_turn: Option<Instant>,
    spacing: Duration,
    paced_until: Option<Instant>,
    /// With a fleet, how many turns the store gave this process that no
    /// call has taken yet, and when the last of them is: a call coming
    /// back from its wait for one takes one.
    booked: u16,
    last_booked: Option<Instant>,
}

/// The most turns a paced call waits behind in a fleet's queue: a store
/// that names a turn further off is not believed (the call is paced by
/// this gate alone, so a broken store cannot hold calls until they fail).
const FLEET_QUEUE: u32 = 1_000;

/// What [`QuotaGate::admit`] found under the lock.
enum Admit {
    Go,
    Wait(Duration),
    /// Paced, with a fleet: ask the store for a turn (off the lock).
    FleetTurn(Duration),
}

/// How long the others wait for a probe's answer before going anyway.
const PROBE_WAIT: Duration = Duration::from_secs(1);

impl QuotaGate {
    /// A gate with nothing closed, holding for at most
    /// [`DEFAULT_MAX_QUOTA_HOLD`].
    pub fn new(scope: QuotaScope) -> Self {
        QuotaGate {
            scope,
            pace: false,
            hold_limit: DEFAULT_MAX_QUOTA_HOLD,
            active: AtomicBool::new(false),
            probes: AtomicUsize::new(0),
            hasher: RandomState::new(),
            store: None,
            state: Mutex::new(State::default()),
        }
    }

    /// This gate, sharing what it learns through `store` and holding on
    /// what the store says other processes learned (through the
    /// [`QuotaInbox`] a client attaches). The rule stays here: a call that
    /// meets no limit still reads one atomic, and no store round trip.
    pub fn store(mut self, store: Arc<dyn QuotaStore>) -> Self {
        self.store = Some(store);
        self
    }

    /// The store it shares through, if any.
    pub fn shared_through(&self) -> Option<&Arc<dyn QuotaStore>> {
        self.store.as_ref()
    }

    /// Tells the store, if any, that a client now uses `key`, so what the
    /// fleet knows of it reaches this gate.
    pub fn watch(&self, key: &ApiKey) {
        if let Some(store) = &self.store {
            store.watch(store.key_id(key));
        }
    }

    /// The scope it holds calls back in.
    pub fn scope(&self) -> QuotaScope {
        self.scope
    }

    /// This gate, pacing requests over what the server says is left of
    /// its window ([`pace`](Self::pace)) when `pace` is true.
    pub fn pacing(mut self, pace: bool) -> Self {
        self.pace = pace;
        self
    }

    /// Whether it paces.
    pub fn paces(&self) -> bool {
        self.pace
    }

    /// This gate, never holding (nor pacing) longer than `limit` at a
    /// time, whatever the server says; past it a probe goes first.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use routy::clock::{Clock as _, ManualClock};
    /// use routy::{policy::QuotaGate, ApiKey, QuotaScope};
    ///
    /// let gate = QuotaGate::new(QuotaScope::Client).hold_limit(Duration::from_secs(60));
    /// let key = ApiKey::new("test-token")?;
    /// let now = ManualClock::new().now();
    /// // A server asking for a century gets a minute.
    /// gate.close(&key, "/", now, now, Duration::from_secs(3_153_600_000));
    /// assert_eq!(gate.admit(&key, "/", now, Duration::ZERO, false), Some(Duration::from_secs(60)));
    /// // Then one request goes as a probe; the next waits for its answer.
    /// let later = now + Duration::from_secs(60);
    /// assert_eq!(gate.admit(&key, "/", later, Duration::ZERO, false), None);
    /// assert!(gate.admit(&key, "/", later, Duration::ZERO, false).is_some());
    /// # Ok::<(), routy::KeyError>(())
    /// ```
    pub fn hold_limit(mut self, limit: Duration) -> Self {
        self.hold_limit = limit;
        self
    }

    /// How long a request made with `key` to `path` must wait at `now`
    /// before it may leave, `spread` (a share of
    /// [`QUOTA_SPREAD`](crate::defaults::QUOTA_SPREAD) the caller draws;
    /// with a store, the same share of
    /// [`FLEET_SPREAD`](crate::defaults::FLEET_SPREAD))
    /// included; `None` when it may leave now (with pacing, it then takes
    /// the next turn; after a hold cut to the limit, it is the probe). A
    /// request `returning` from a wait the gate or the server imposed goes
    /// as soon as the window opens; a newcomer also waits until every held
    /// request has been released, so none is held twice while newcomers
    /// pass.
    pub fn admit(
        &self,
        key: &ApiKey,
        path: &str,
        now: Instant,
        spread: Duration,
        returning: bool,
    ) -> Option<Duration> {
        if self.scope == QuotaScope::Off || !self.active.load(Ordering::Acquire) {
            return None;
        }
        let id = self.key_id(key);
        let route = self.route(path);
        let spacing = {
            let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
            let told = state.keys.iter_mut().find(|k| k.id == id)?;
            if let Some(wait) = self.held_key_wide(told, route, now, spread) {
                return Some(wait);
            }
            let scope = told.scopes.iter_mut().find(|s| *s.route == *route)?;
            match self.admit_in(scope, now, spread, returning) {
                Admit::Go => return None,
                Admit::Wait(wait) => return Some(wait),
                Admit::FleetTurn(spacing) => spacing,
            }
        };
        self.fleet_turn(id, route, now, spacing)
    }

    /// With [`QuotaScope::Route`], a word the fleet said of every route
    /// (the route `""`: a process of the fleet scoped to the whole
    /// client, or a store failing closed) holds each route too.
    #[inline(never)]
    fn held_key_wide(
        &self,
        told: &KeyState,
        route: &str,
        now: Instant,
        spread: Duration,
    ) -> Option<Duration> {
        if route.is_empty() {
            return None;
        }
        let all = told.scopes.iter().find(|s| s.route.is_empty())?;
        let until = all.closed_until.filter(|at| *at > now)?;
        Some(until.saturating_duration_since(now).saturating_add(spread))
    }

    /// [`admit`](Self::admit)'s rule over one scope's state.
    fn admit_in(
        &self,
        scope: &mut Scope,
        now: Instant,
        spread: Duration,
        returning: bool,
    ) -> Admit {
        // In a fleet, held calls go in the shorter FLEET_SPREAD, the same
        // share of it.
        let spread = match self.store {
            Some(_) => spread * FLEET_SPREAD.subsec_millis() / QUOTA_SPREAD.subsec_millis(),
            None => spread,
        };
        if scope.probe && scope.closed_until.is_some_and(|at| at <= now) {
            // The hold the limit cut is over: this request finds out
            // whether the server still says so; the rest wait for it.
            scope.probe = false;
            scope.probing = true;
            self.probes.fetch_add(1, Ordering::AcqRel);
            scope.closed_until = now.checked_add(PROBE_WAIT);
            return Admit::Go;
        }
        let pacing = scope.paced_until.is_some_and(|at| at > now);
        // With a fleet, turns are the fleet's, not this gate's.
        let own_turns = pacing && self.store.is_none();
        let closed = scope
            .closed_until
            .max(scope.next_turn.filter(|_| own_turns))
            .filter(|at| *at > now);
        let queue = scope.released_until.filter(|at| *at > now && !returning);
        // Held for the window: released spread after it opens. Else, a
        // newcomer while held ones are still being released: after them.
        if let Some(open_at) = closed.or(queue) {
            let wait = open_at
                .saturating_duration_since(now)
                .saturating_add(spread);
            // Only a hold moves the end of the queue: newcomers behind it
            // are spread after it, not chained one after another.
            if closed.is_some() {
                scope.released_until = scope.released_until.max(now.checked_add(wait));
            }
            return Admit::Wait(wait);
        }
        if !(self.pace && pacing) || scope.spacing.is_zero() {
            return Admit::Go;
        }
        if self.store.is_none() {
            scope.next_turn = now.checked_add(scope.spacing);
            return Admit::Go;
        }
        take_fleet_turn(scope, now, returning)
    }

    /// Books the fleet's next turn through the store for a paced call:
    /// `None` when it is now; else the wait for it, and the turn is this
    /// process's. A store that cannot say leaves the gate pacing on its
    /// own, as without one.
    #[cold]
    #[inline(never)]
    fn fleet_turn(
        &self,
        id: u64,
        route: &str,
        now: Instant,
        spacing: Duration,
    ) -> Option<Duration> {
        // A turn further off than FLEET_QUEUE turns, or than the hold
        // limit, is not one a sound store gives: pace on our own.
        let furthest = spacing.saturating_mul(FLEET_QUEUE).min(self.hold_limit);
        let booked = self
            .store
            .as_ref()
            .and_then(|store| store.turn(id, route, spacing))
            .filter(|wait| *wait <= furthest);
        let mut wait = None;
        self.with_scope(id, route, &mut |scope| {
            wait = match booked {
                Some(at) if at.is_zero() => None,
                Some(at) => {
                    scope.booked = scope.booked.saturating_add(1);
                    scope.last_booked = scope.last_booked.max(now.checked_add(at));
                    Some(at)
                }
                None => match scope.next_turn.filter(|turn| *turn > now) {
                    Some(turn) => Some(turn - now),
                    None => {
                        scope.next_turn = now.checked_add(spacing);
                        None
                    }
                },
            };
        });
        wait
    }

    /// Records that the server, answering at `now` a request sent at
    /// `sent`, said no request made with `key` to `path` (or to any path,
    /// as the scope says) should leave for `wait`, cut to the
    /// [hold limit](Self::hold_limit). A later time wins over an earlier
    /// one; what was said about other keys stands for calls made with
    /// them.
    ///
    /// Returns whether the answer is news: false when the gate had
    /// already closed for it after that request left (answers that were
    /// on their way together are one event, and spend the retry budget
    /// once).
    pub fn close(
        &self,
        key: &ApiKey,
        path: &str,
        sent: Instant,
        now: Instant,
        wait: Duration,
    ) -> bool {
        let mut news = true;
        let Some(until) = now.checked_add(wait.min(self.hold_limit)) else {
            return news;
        };
        let mut extended = false;
        let id = self.key_id(key);
        let route = self.route(path);
        self.with_scope(id, route, &mut |scope| {
            let closed = !scope.probing && scope.closed_until.is_some_and(|at| at > now);
            let since = scope.closed_since.filter(|_| closed);
            // Not news only when the closing answer came between this
            // request leaving and its answer (callers may report out of
            // the order of their clocks: an earlier answer is the first).
            news = since.is_none_or(|since| since > now || sent >= since);
            scope.closed_since = Some(since.map_or(now, |since| since.min(now)));
            if scope.probing || scope.closed_until.is_none_or(|at| at < until) {
                scope.closed_until = Some(until);
                scope.probe = wait > self.hold_limit;
                extended = true;
                if self.store.is_some() {
                    fleet_first(scope, until);
                }
            }
            if mem::take(&mut scope.probing) {
                self.probes.fetch_sub(1, Ordering::AcqRel);
            }
        });
        if let (true, Some(store)) = (extended, &self.store) {
            store.spent(id, route, wait.min(self.hold_limit));
        }
        news
    }

    /// Another process (through the [`QuotaStore`]) was told the quota of
    /// the key the store calls `key_id` on `route` is spent for `wait`
    /// from `now`: hold as if this gate had been told, within the limit.
    pub(crate) fn learned(&self, key_id: u64, route: &str, now: Instant, wait: Duration) {
        let Some(until) = now.checked_add(wait.min(self.hold_limit)) else {
            return;
        };
        self.with_scope(key_id, route, &mut |scope| {
            if scope.closed_until.is_none_or(|at| at < until) {
                if scope.closed_until.is_none_or(|at| at <= now) {
                    scope.closed_since = Some(now);
                }
                scope.closed_until = Some(until);
                scope.probe = wait > self.hold_limit;
                fleet_first(scope, until);
            }
        });
    }

    /// Records an answer that said nothing of the quota being spent: if
    /// it answered a probe, the gate opens.
    pub fn answered(&self, key: &ApiKey, path: &str) {
        if self.probes.load(Ordering::Acquire) == 0 {
            return;
        }
        self.with_scope(self.key_id(key), self.route(path), &mut |scope| {
            if mem::take(&mut scope.probing) {
                self.probes.fetch_sub(1, Ordering::AcqRel);
                scope.closed_until = None;
                scope.released_until = None;
            }
        });
    }

    /// With pacing on, records that the server says the next requests
    /// should leave `spacing` apart (what is left of a window spread over
    /// the time to its reset, or a policy's rate), for the next `lasting`:
    /// after that the word lapses unless an answer renews it. Both are cut
    /// to the hold limit. Does nothing without pacing.
    pub fn pace(
        &self,
        key: &ApiKey,
        path: &str,
        now: Instant,
        spacing: Duration,
        lasting: Duration,
    ) {
        if !self.pace || spacing.is_zero() {
            return;
        }
        let limit = self.hold_limit;
        self.with_scope(self.key_id(key), self.route(path), &mut |scope| {
            scope.spacing = spacing.min(limit);
            scope.paced_until = now.checked_add(lasting.min(limit));
            // The request that brought the word took a turn: the next one
            // is `spacing` after it (in a fleet, the store keeps turns).
            if self.store.is_none() && scope.next_turn.is_none_or(|turn| turn <= now) {
                scope.next_turn = now.checked_add(scope.spacing);
            }
        });
    }

    /// Runs `change` on the scope of the key the gate calls `id` and
    /// `route` (the scope's part of a path), made if need be: one copy,
    /// whichever change.
    #[inline(never)]
    fn with_scope(&self, id: u64, route: &str, change: &mut dyn FnMut(&mut Scope)) {
        if self.scope == QuotaScope::Off {
            return;
        }
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let keys = &mut state.keys;
        let told = match keys.iter().position(|k| k.id == id) {
            Some(at) => at,
            None => {
                // Full: forget the key whose word ends first (likely
                // already past).
                if keys.len() == QUOTA_KEYS {
                    forget_earliest(keys, KeyState::until);
                }
                keys.push(KeyState {
                    id,
                    scopes: Vec::new(),
                });
                keys.len() - 1
            }
        };
        let scopes = &mut keys[told].scopes;
        let at = match scopes.iter().position(|s| *s.route == *route) {
            Some(at) => at,
            None => {
                if scopes.len() == QUOTA_ROUTES {
                    forget_earliest(scopes, Scope::until);
                }
                scopes.push(Scope {
                    route: route.into(),
                    ..Scope::default()
                });
                scopes.len() - 1
            }
        };
        change(&mut scopes[at]);
        self.active.store(true, Ordering::Release);
    }

    /// Which key `key` is, as the gate tells keys apart: the store's
    /// name for it when there is a store (the same in every process).
    fn key_id(&self, key: &ApiKey) -> u64 {
        match &self.store {
            Some(store) => store.key_id(key),
            None => self.hasher.hash_one(key.header_value().as_bytes()),
        }
    }

    /// The part of `path` the scope keys on.
    fn route<'p>(&self, path: &'p str) -> &'p str {
        match self.scope {
            QuotaScope::Route => path,
            QuotaScope::Client | QuotaScope::Off => "",
        }
    }
}

impl KeyState {
    /// When the last of what was said about this key stops holding.
    fn until(&self) -> Option<Instant> {
        self.scopes.iter().filter_map(Scope::until).max()
    }
}

impl Scope {
    /// When the last of what was said about this scope stops holding.
    #[inline(never)]
    fn until(&self) -> Option<Instant> {
        self.closed_until
            .max(self.released_until)
            .max(self.next_turn)
            .max(self.paced_until)
    }
}

/// A paced call in a fleet: one coming back from its wait for a turn
/// the fleet gave this process takes it (any call coming back may: turns
/// are the process's); any other asks the store for one. Turns all
/// missed by more than the spacing are forgotten: they would bunch.
#[cold]
#[inline(never)]
fn take_fleet_turn(scope: &mut Scope, now: Instant, returning: bool) -> Admit {
    let spacing = scope.spacing;
    let kept = scope
        .last_booked
        .and_then(|last| last.checked_add(spacing))
        .is_some_and(|end| end > now);
    if !kept {
        scope.booked = 0;
    }
    if returning && scope.booked > 0 {
        scope.booked -= 1;
        return Admit::Go;
    }
    Admit::FleetTurn(spacing)
}

/// With a fleet, calls other processes hold are released in the spread
/// after the window opens at `until`, unseen by this gate: its newcomers
/// wait behind them as behind its own, so no call is held again and
/// again while fresh ones of a quicker process take the window.
fn fleet_first(scope: &mut Scope, until: Instant) {
    scope.released_until = scope.released_until.max(until.checked_add(FLEET_SPREAD));
}

/// Removes the entry of `entries` whose word stops holding first.
fn forget_earliest<T>(entries: &mut Vec<T>, until: impl Fn(&T) -> Option<Instant>) {
    let first = (0..entries.len()).min_by_key(|&at| until(&entries[at]));
    if let Some(at) = first {
        entries.swap_remove(at);
    }
}

impl Default for QuotaGate {
    fn default() -> Self {
        QuotaGate::new(QuotaScope::default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::{Clock as _, ManualClock};

    const S: fn(u64) -> Duration = Duration::from_secs;

    fn key(n: usize) -> ApiKey {
        ApiKey::new(&format!("test-token-{n}")).unwrap()
    }

    #[test]
    fn a_rotation_leaves_calls_still_on_the_old_key_held() {
        let gate = QuotaGate::new(QuotaScope::Client);
        let now = ManualClock::new().now();
        let (old, new) = (key(0), key(1));
        gate.close(&old, "/v1/accounts", now, now, S(30));
        // The new key is told about (a 503 for 2 s) after the rotation.
        gate.close(&new, "/v1/accounts", now, now, S(2));
        assert_eq!(gate.admit(&new, "/", now, S(0), false), Some(S(2)));
        // A retry still made with the old key waits for the old key's word.
        assert_eq!(gate.admit(&old, "/", now, S(0), true), Some(S(30)));
    }

    #[test]
    fn only_an_answer_behind_the_closing_one_is_an_echo_whatever_order_they_are_told_in() {
        let gate = QuotaGate::new(QuotaScope::Client);
        let t0 = ManualClock::new().now();
        let ms = Duration::from_millis;
        let key = key(0);
        // Three requests leave at 0, 10 and 20 ms. The one answered at
        // 300 ms is told first; then the one answered at 150 ms (before
        // it: news, the event's first); then the one answered at 400 ms
        // (after both: an echo of the same event).
        assert!(gate.close(&key, "/", t0 + ms(20), t0 + ms(300), S(2)));
        assert!(gate.close(&key, "/", t0, t0 + ms(150), S(2)));
        assert!(!gate.close(&key, "/", t0 + ms(10), t0 + ms(400), S(2)));
        // A request that left after the event was known is news again.
        assert!(gate.close(&key, "/", t0 + ms(500), t0 + ms(600), S(2)));
        // And once the window is over, the next closing is a new event.
        assert!(gate.close(&key, "/", t0 + ms(10), t0 + S(4), S(2)));
    }

    /// A store that shares nothing: the gate as one process of a fleet.
    #[derive(Debug)]
    struct Quiet;

    impl QuotaStore for Quiet {
        fn key_id(&self, key: &ApiKey) -> u64 {
            key.expose_secret().len() as u64
        }
        fn spent(&self, _: u64, _: &str, _: Duration) {}
        fn attach(&self, _: QuotaInbox) {}
    }

    #[test]
    fn in_a_fleet_newcomers_wait_while_the_calls_other_processes_held_are_released() {
        let now = ManualClock::new().now();
        let ms = Duration::from_millis;
        let key = key(0);
        // Told by the fleet (this process held nothing), and told by its
        // own answer: either way, the other processes' held calls go first.
        let learned = QuotaGate::new(QuotaScope::Client).store(Arc::new(Quiet));
        learned.learned(learned.key_id(&key), "", now, S(2));
        let told = QuotaGate::new(QuotaScope::Client).store(Arc::new(Quiet));
        told.close(&key, "/", now, now, S(2));
        for gate in [&learned, &told] {
            let open = now + S(2);
            // A held call comes back as the window opens and goes.
            assert_eq!(gate.admit(&key, "/", open, ms(0), true), None);
            // A fresh call waits out the spread the held ones go in.
            let wait = gate.admit(&key, "/", open + ms(10), ms(0), false);
            assert_eq!(wait, Some(FLEET_SPREAD - ms(10)));
            assert_eq!(
                gate.admit(&key, "/", open + FLEET_SPREAD, ms(0), false),
                None
            );
        }
        // Alone, a gate that held no call lets a fresh one go at once.
        let alone = QuotaGate::new(QuotaScope::Client);
        alone.close(&key, "/", now, now, S(2));
        assert_eq!(alone.admit(&key, "/", now + S(2), ms(0), false), None);
    }

    #[test]
    fn with_route_scope_a_word_the_fleet_said_of_every_route_holds_each() {
        let now = ManualClock::new().now();
        let key = key(0);
        let gate = QuotaGate::new(QuotaScope::Route).store(Arc::new(Quiet));
        // A store failing closed, or a process scoped to the whole client.
        gate.learned(gate.key_id(&key), "", now, S(2));
        assert_eq!(
            gate.admit(&key, "/v1/accounts", now, S(0), false),
            Some(S(2))
        );
        assert_eq!(gate.admit(&key, "/v1/other", now, S(0), true), Some(S(2)));
        assert_eq!(gate.admit(&key, "/v1/other", now + S(2), S(0), false), None);
        // A word of one route holds that route only.
        gate.learned(gate.key_id(&key), "/v1/accounts", now, S(9));
        assert_eq!(gate.admit(&key, "/v1/other", now + S(3), S(0), false), None);
        assert_eq!(
            gate.admit(&key, "/v1/accounts", now + S(3), S(0), false),
            Some(S(6))
        );
    }

    /// A fleet's turns kept on the store's own clock, as GCRA keeps
    /// them: each turn `spacing` after the last booked one, or now.
    #[derive(Debug)]
    struct Turns {
        clock: ManualClock,
        last: Mutex<Option<Instant>>,
        up: AtomicBool,
    }

    impl QuotaStore for Turns {
        fn key_id(&self, key: &ApiKey) -> u64 {
            key.expose_secret().len() as u64
        }
        fn spent(&self, _: u64, _: &str, _: Duration) {}
        fn attach(&self, _: QuotaInbox) {}
        fn turn(&self, _: u64, _: &str, spacing: Duration) -> Option<Duration> {
            if !self.up.load(Ordering::Relaxed) {
                return None;
            }
            let now = self.clock.now();
            let mut last = self.last.lock().unwrap();
            let turn = last.map_or(now, |at| (at + spacing).max(now));
            *last = Some(turn);
            Some(turn - now)
        }
    }

    #[test]
    fn paced_gates_of_a_fleet_take_turns_the_store_books_one_spacing_apart() {
        use crate::clock::Clock as _;
        let clock = ManualClock::new();
        let t0 = clock.now();
        let ms = Duration::from_millis;
        let store = Arc::new(Turns {
            clock: clock.clone(),
            last: Mutex::new(None),
            up: AtomicBool::new(true),
        });
        let key = key(0);
        let fleet: Vec<QuotaGate> = (0..2)
            .map(|_| {
                let gate = QuotaGate::new(QuotaScope::Client)
                    .pacing(true)
                    .store(store.clone());
                // Each process heard "spread what is left 100 ms apart".
                gate.pace(&key, "/", t0, ms(100), S(2));
                gate
            })
            .collect();
        let (a, b) = (&fleet[0], &fleet[1]);
        // Process a goes now; b is given the turn after; a the one after.
        assert_eq!(a.admit(&key, "/", t0, ms(5), false), None);
        assert_eq!(b.admit(&key, "/", t0, ms(5), false), Some(ms(100)));
        assert_eq!(a.admit(&key, "/", t0, ms(5), false), Some(ms(200)));
        // Each comes back at its turn and goes (no second booking).
        clock.advance(ms(100));
        assert_eq!(b.admit(&key, "/", t0 + ms(100), ms(5), true), None);
        clock.advance(ms(100));
        assert_eq!(a.admit(&key, "/", t0 + ms(200), ms(5), true), None);
        // The next of either process is after them.
        assert_eq!(
            b.admit(&key, "/", t0 + ms(200), ms(5), false),
            Some(ms(100))
        );
        // The store away: each paces on its own (its first call goes).
        store.up.store(false, Ordering::Relaxed);
        let t = t0 + ms(200);
        assert_eq!(a.admit(&key, "/", t, ms(5), false), None);
        assert_eq!(a.admit(&key, "/", t, ms(5), false), Some(ms(100)));
    }

    #[test]
    fn a_turn_no_sound_store_would_give_is_not_believed() {
        let clock = ManualClock::new();
        let t0 = clock.now();
        let ms = Duration::from_millis;
        let store = Arc::new(Turns {
            clock: clock.clone(),
            // The fleet's queue is a day long: a broken (or hostile) store.
            last: Mutex::new(Some(t0 + S(86_400))),
            up: AtomicBool::new(true),
        });
        let key = key(0);
        let gate = QuotaGate::new(QuotaScope::Client).pacing(true).store(store);
        gate.pace(&key, "/", t0, ms(100), S(2));
        // Paced on its own, as without a store: a call now, the next 100 ms on.
        assert_eq!(gate.admit(&key, "/", t0, ms(0), false), None);
        assert_eq!(gate.admit(&key, "/", t0, ms(0), false), Some(ms(100)));
    }

    #[test]
    fn a_full_gate_forgets_the_key_and_the_route_whose_word_ends_first() {
        let gate = QuotaGate::new(QuotaScope::Route);
        let now = ManualClock::new().now();
        // Key 1's word ends first (at 5 s, the others' at 9 s).
        for n in 0..QUOTA_KEYS {
            let until = if n == 1 { S(5) } else { S(9) };
            gate.close(&key(n), "/a", now, now, until);
        }
        gate.close(&key(QUOTA_KEYS), "/a", now, now, S(9));
        assert_eq!(gate.admit(&key(1), "/a", now, S(0), true), None);
        assert_eq!(gate.admit(&key(0), "/a", now, S(0), true), Some(S(9)));
        assert_eq!(gate.admit(&key(2), "/a", now, S(0), true), Some(S(9)));
        let k = key(QUOTA_KEYS);
        for n in 0..=QUOTA_ROUTES {
            let until = if n == 7 { S(5) } else { S(9) };
            gate.close(&k, &format!("/r/{n}"), now, now, until);
        }
        assert_eq!(gate.admit(&k, "/r/7", now, S(0), true), None);
        assert_eq!(gate.admit(&k, "/r/0", now, S(0), true), Some(S(9)));
        let state = gate.state.lock().unwrap();
        assert_eq!(state.keys.len(), QUOTA_KEYS);
        assert!(state.keys.iter().all(|k| k.scopes.len() <= QUOTA_ROUTES));
    }
}
