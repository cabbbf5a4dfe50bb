//! The seam between the gate's rule and where its word is kept: a
//! [`QuotaStore`] shares what one client's gate learns with every other
//! process that uses the same token, and tells the gate what they
//! learned, through its [`QuotaInbox`].
//!
//! The rule stays in the gate, in-process: a call that meets no limit
//! reads one atomic and nothing else, store or not. Only news crosses:
//! "the server said this key's quota is spent for so long" goes out when
//! the gate closes, and comes in from the fleet to close this gate too.
//! A store that is down, slow or gone costs nothing but that sharing:
//! each gate still honours every answer it gets itself.

use std::fmt;
use std::sync::{Arc, Weak};
use std::time::Duration;

use super::QuotaGate;
use crate::auth::ApiKey;
use crate::clock::Clock;

/// Where one quota is shared beyond this process: the other processes of
/// a fleet that use one token (cron jobs that overlap, a worker pool,
/// pods). `routy-redis` keeps it in Valkey or Redis; an engine of your
/// own needs three methods (`key_id`, `spent`, `attach`), and may give
/// two more (`watch`, `turn`).
///
/// Every method is called on a caller's thread, some while a call waits
/// to be sent: none but [`turn`](Self::turn) may block on the network.
/// Queue the work for a thread of your own (`routy-redis` does) and drop
/// it if the queue is full: the gate still holds on its own answers.
///
/// # Examples
///
/// A store that only counts what it is told (a real one sends it on):
///
/// ```
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use std::sync::Arc;
/// use std::time::Duration;
/// use routy::policy::{QuotaInbox, QuotaStore};
/// use routy::ApiKey;
///
/// #[derive(Debug, Default)]
/// struct Counting(AtomicUsize);
///
/// impl QuotaStore for Counting {
///     fn key_id(&self, key: &ApiKey) -> u64 {
///         // A real store uses a hash every process computes alike
///         // (routy-redis: SHA-256); never the key itself.
///         key.expose_secret().len() as u64
///     }
///     fn spent(&self, _key_id: u64, _route: &str, _wait: Duration) {
///         self.0.fetch_add(1, Ordering::Relaxed);
///     }
///     fn attach(&self, _inbox: QuotaInbox) {}
/// }
///
/// let store = Arc::new(Counting::default());
/// let client = routy::ClientBuilder::new()
///     .api_key(ApiKey::new("test-token")?)
///     .quota_store(store.clone())
///     .build_with(routy::transport_fn(|_req| {
///         let mut answer = routy::http::Response::new(Vec::new());
///         *answer.status_mut() = routy::http::StatusCode::TOO_MANY_REQUESTS;
///         answer.headers_mut().insert("retry-after", "30".parse().unwrap());
///         Ok(answer)
///     }))?;
/// // The 429 ends the call (30 s is more than its deadline) and is shared.
/// assert!(client.accounts().is_err());
/// assert_eq!(store.0.load(Ordering::Relaxed), 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait QuotaStore: Send + Sync + fmt::Debug {
    /// How the fleet names `key`: the same number in every process, from
    /// which the key cannot be read back (a hash of it). Called when the
    /// gate meets a key; keep it cheap.
    fn key_id(&self, key: &ApiKey) -> u64;

    /// This process's gate learned that the quota of `key_id` on `route`
    /// (`""`: every route, the default scope) is spent for `wait` from
    /// now (already cut to the gate's hold limit). Tell the fleet.
    fn spent(&self, key_id: u64, route: &str, wait: Duration);

    /// The gate's inbox: what the fleet learns goes to it. Called once,
    /// when a client is built with this store (a store shared by several
    /// clients is attached to each).
    fn attach(&self, inbox: QuotaInbox);

    /// A client started using `key_id` (at build, and after each
    /// [`set_api_key`](crate::Client::set_api_key)): what the fleet already
    /// knows of it should reach the inbox. Does nothing by default.
    fn watch(&self, key_id: u64) {
        let _ = key_id;
    }

    /// With [pacing](crate::ClientBuilder::pace) in force (the server
    /// named what is left of a window), one paced call of `key_id` on
    /// `route` asks for the fleet's next turn: book the first one at
    /// least `spacing` after the fleet's last booked turn (or now) and
    /// return how long until it (zero: go now). So the whole fleet leaves
    /// `spacing` apart, as one client's threads do.
    ///
    /// This is the one method that may wait for the store (it is called
    /// only for a paced call, which waits anyway): for at most a short
    /// timeout of the store's own. `None` when the store cannot say (the
    /// default): the gate paces on its own, as without a store.
    fn turn(&self, key_id: u64, route: &str, spacing: Duration) -> Option<Duration> {
        let _ = (key_id, route, spacing);
        None
    }
}

/// Where a [`QuotaStore`] delivers what the fleet learned: a handle to one
/// client's gate that does not keep the client alive.
#[derive(Clone)]
pub struct QuotaInbox {
    gate: Weak<QuotaGate>,
    clock: Arc<dyn Clock>,
}

impl QuotaInbox {
    /// The inbox of `gate`, reading `clock` when news arrives: for a
    /// driver of its own (an async runtime, a simulator) that runs
    /// [`Call`](crate::call::Call)s over a gate it keeps, and attaches it
    /// to a store with this. A [`Client`](crate::Client) built with
    /// [`quota_store`](crate::ClientBuilder::quota_store) does it itself.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use std::time::Duration;
    /// use routy::clock::{Clock as _, ManualClock};
    /// use routy::policy::{QuotaGate, QuotaInbox};
    /// use routy::{ApiKey, QuotaScope};
    ///
    /// let gate = Arc::new(QuotaGate::new(QuotaScope::Client));
    /// let clock = ManualClock::new();
    /// let inbox = QuotaInbox::new(&gate, Arc::new(clock.clone()));
    /// // The fleet says key 7 is spent for 2 s (the store names keys).
    /// assert!(inbox.spent(7, "", Duration::from_secs(2)));
    /// drop(gate);
    /// assert!(!inbox.is_open());
    /// ```
    pub fn new(gate: &Arc<QuotaGate>, clock: Arc<dyn Clock>) -> Self {
        QuotaInbox {
            gate: Arc::downgrade(gate),
            clock,
        }
    }

    /// Another process was told the quota of `key_id` on `route` is spent
    /// for `wait` from now: this client holds too (within its hold
    /// limit). Returns false once the client is gone, so a store can stop
    /// delivering to it.
    pub fn spent(&self, key_id: u64, route: &str, wait: Duration) -> bool {
        let Some(gate) = self.gate.upgrade() else {
            return false;
        };
        gate.learned(key_id, route, self.clock.now(), wait);
        true
    }

    /// Whether the client is still there.
    pub fn is_open(&self) -> bool {
        self.gate.strong_count() > 0
    }
}

impl fmt::Debug for QuotaInbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("QuotaInbox")
            .field("open", &self.is_open())
            .finish_non_exhaustive()
    }
}
