//! One Routy quota for a fleet of processes, kept in Valkey or Redis.
//!
//! Routy's quota is per token, and one integration often runs as many
//! processes: cron jobs that overlap, a worker pool, pods sharing one
//! token. Each client's quota gate holds every thread of that client
//! when the server says the quota is spent; a [`RedisQuotaStore`] makes
//! the whole fleet hold as one client does. What one process learns
//! ("spent for 20 s") is written to the store in one atomic script and
//! published; every process using that token hears it and holds its
//! calls too, without sending them into the 429.
//!
//! ```no_run
//! use std::sync::Arc;
//! use routy_redis::RedisQuotaStore;
//!
//! let store = RedisQuotaStore::builder("redis://127.0.0.1:6379/").build()?;
//! let client = routy::ClientBuilder::new()
//!     .api_key(routy::ApiKey::from_env()?)
//!     .quota_store(Arc::new(store))
//!     .build()?;
//! # let _ = client;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # What it promises
//!
//! - **No store on the hot path.** A call made while no window is spent
//!   reads one atomic in its own process, as without a store: news comes
//!   to each process by subscription (and one read of what is held when
//!   a client starts using a key), never by a round trip per request.
//! - **A paced fleet paces as one.** With
//!   [`pace(true)`](routy_core::ClientBuilder::pace) and the server's word
//!   on what is left of its window, each paced call books the fleet's
//!   next turn (one EVALSHA: GCRA on the store's clock, turns `spacing`
//!   apart whichever process asks), so the fleet leaves the gaps one
//!   client would. That is the one round trip on a caller's thread, and
//!   only for a call that is paced, so waits anyway; while the store is
//!   away the process paces on its own.
//! - **The store failing is not the call failing.** Connect and read
//!   timeouts are short (50 ms by default); every store operation runs on
//!   this crate's two threads, never a caller's. When the store is down,
//!   slow or restarted, each process holds on its own gate at once (which
//!   still honours every 429 it gets), reconnects with backoff, says so
//!   once through `log`, and counts it ([`StoreStats::fallbacks`]). On
//!   its return every process reads again what is held. Failing closed
//!   (holding every call while the store is away) is only on request
//!   ([`RedisQuotaStoreBuilder::fail_closed`]).
//! - **One clock: the store's.** The scripts compute every time from the
//!   store's `TIME` and publish how long is left, so processes with
//!   skewed clocks still agree.
//! - **The store sees no secret.** A token is named by its SHA-256 (the
//!   first 8 bytes, in hex): no key, no body, no URL; a route only when a
//!   client's [`QuotaScope`](routy_core::QuotaScope) is `Route`. Keys are
//!   hash-tagged (`routy:{…}:spent`), so a key and its channel share a
//!   Redis Cluster slot.
//! - **Scripts survive restarts.** They run as EVALSHA; after a restart
//!   that lost them (NOSCRIPT) they are loaded again.
//!
//! # Why the `redis` crate
//!
//! It is the maintained Rust client for Redis and Valkey; with its
//! default features off it brings no async runtime, no TLS stack and no
//! cluster client, only the synchronous connection and the script
//! support (EVALSHA with the NOSCRIPT reload) this crate uses. It is the
//! 0.32 line: redis 1.x asks for Rust 1.88, past routy's MSRV. No TLS: a
//! store across a network you do not trust wants a TLS tunnel (the data
//! is hashes and times, but a password in the URL would cross in clear).

// On docs.rs, label each feature-gated item with its feature.
#![cfg_attr(docsrs, feature(doc_cfg))]
// Libraries report through return values, never the terminal.
#![deny(clippy::print_stdout, clippy::print_stderr)]

mod link;
mod script;
mod turn;

use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use routy_core::policy::{QuotaInbox, QuotaStore};
use routy_core::ApiKey;
use sha2::{Digest, Sha256};

use crate::link::{Job, Shared};
use crate::script::Names;
use crate::turn::Turns;

/// How long connecting to the store may take before the process holds
/// on its own gate.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_millis(50);

/// How long one store read or write may take.
pub const DEFAULT_IO_TIMEOUT: Duration = Duration::from_millis(50);

/// The longest wait between attempts to reach a store that is away.
pub const DEFAULT_MAX_BACKOFF: Duration = Duration::from_secs(5);

/// How many pieces of news may wait for the store; more are dropped.
const QUEUE: usize = 256;

/// Why a store could not be set up (it is never reached here: the
/// connection is made by the store's own thread).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The URL is not a `redis://` URL the `redis` crate accepts (the URL
    /// is not repeated: it may hold a password).
    #[error("not a usable redis:// URL for the quota store ({kind:?})")]
    Url {
        /// What the `redis` crate said of it.
        kind: redis::ErrorKind,
    },
    /// The store's threads could not be started.
    #[error("cannot start the quota store's thread")]
    Thread(#[source] std::io::Error),
}

/// The settings of a [`RedisQuotaStore`].
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub(crate) connect_timeout: Duration,
    pub(crate) io_timeout: Duration,
    pub(crate) max_backoff: Duration,
    pub(crate) poll: Duration,
    pub(crate) fail_closed: bool,
}

/// Configures a [`RedisQuotaStore`].
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// let store = routy_redis::RedisQuotaStore::builder("redis://127.0.0.1:6379/")
///     .connect_timeout(Duration::from_millis(20))
///     .io_timeout(Duration::from_millis(20))
///     .prefix("billing-sync")
///     .build()?;
/// # drop(store);
/// # Ok::<(), routy_redis::StoreError>(())
/// ```
#[derive(Debug, Clone)]
pub struct RedisQuotaStoreBuilder {
    url: String,
    prefix: String,
    settings: Settings,
}

impl RedisQuotaStoreBuilder {
    /// How long connecting may take ([`DEFAULT_CONNECT_TIMEOUT`]).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.settings.connect_timeout = timeout.max(Duration::from_millis(1));
        self
    }

    /// How long one read or write may take ([`DEFAULT_IO_TIMEOUT`]).
    pub fn io_timeout(mut self, timeout: Duration) -> Self {
        self.settings.io_timeout = timeout.max(Duration::from_millis(1));
        self
    }

    /// The longest wait between attempts to reach a store that is away
    /// ([`DEFAULT_MAX_BACKOFF`]).
    pub fn max_backoff(mut self, backoff: Duration) -> Self {
        self.settings.max_backoff = backoff.max(Duration::from_millis(1));
        self
    }

    /// What the store's keys and channels begin with (`routy`): one
    /// prefix per fleet that should share a quota.
    pub fn prefix(mut self, prefix: &str) -> Self {
        prefix.clone_into(&mut self.prefix);
        self
    }

    /// While the store is away, hold every call (retried each backoff)
    /// rather than let each process go on its own answers. Off by
    /// default: a store is there to spare the API 429s, not to stop the
    /// fleet.
    pub fn fail_closed(mut self, fail_closed: bool) -> Self {
        self.settings.fail_closed = fail_closed;
        self
    }

    /// The store, its two threads started. Nothing is sent yet: the
    /// first connection is made by the store's thread, so a store that is
    /// down at start-up costs a caller nothing.
    ///
    /// # Errors
    ///
    /// [`StoreError::Url`] for a URL the `redis` crate refuses;
    /// [`StoreError::Thread`] if a thread cannot be spawned.
    pub fn build(self) -> Result<RedisQuotaStore, StoreError> {
        let client = redis::Client::open(self.url.as_str())
            .map_err(|e| StoreError::Url { kind: e.kind() })?;
        let (jobs, queue) = std::sync::mpsc::sync_channel(QUEUE);
        let shared = Arc::new(Shared {
            settings: self.settings,
            names: Names::new(&self.prefix),
            inboxes: Mutex::new(Vec::new()),
            watched: Mutex::new(Default::default()),
            up: AtomicBool::new(true),
            fallbacks: AtomicU64::new(0),
            shared: AtomicU64::new(0),
            heard: AtomicU64::new(0),
            dropped: AtomicU64::new(0),
            reconnects: AtomicU64::new(0),
            turns: AtomicU64::new(0),
            closed_until: Mutex::new(None),
            jobs,
        });
        let turns = Arc::new(Turns::new(client.clone()));
        let (weak, writer_client) = (Arc::downgrade(&shared), client.clone());
        std::thread::Builder::new()
            .name("routy-redis-writer".into())
            .spawn(move || link::writer(&weak, &writer_client, &queue))
            .map_err(StoreError::Thread)?;
        let weak = Arc::downgrade(&shared);
        std::thread::Builder::new()
            .name("routy-redis-listener".into())
            .spawn(move || link::listener(&weak, &client))
            .map_err(StoreError::Thread)?;
        Ok(RedisQuotaStore { shared, turns })
    }
}

/// A [`QuotaStore`] in Valkey or Redis: one quota for every process of a
/// fleet that uses the same token. See the [crate docs](crate) for what
/// it promises; give it to
/// [`ClientBuilder::quota_store`](routy_core::ClientBuilder::quota_store).
///
/// # Examples
///
/// A store that cannot be reached costs nothing but the sharing:
///
/// ```
/// use std::sync::Arc;
/// use std::time::Duration;
/// use routy_redis::RedisQuotaStore;
///
/// // Nothing listens on port 9 of loopback.
/// let store = Arc::new(RedisQuotaStore::builder("redis://127.0.0.1:9/").build()?);
/// let client = routy::ClientBuilder::new()
///     .api_key(routy::ApiKey::new("test-token")?)
///     .quota_store(store.clone())
///     .build_with(routy::transport_fn(|_req| Ok(routy::http::Response::new(b"[]".to_vec()))))?;
/// assert!(client.accounts()?.is_empty());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct RedisQuotaStore {
    shared: Arc<Shared>,
    turns: Arc<Turns>,
}

/// What a store has done, for a dashboard or a test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct StoreStats {
    /// Whether the store was reachable at last contact.
    pub connected: bool,
    /// How many times the store became unreachable (each process then
    /// held on its own gate).
    pub fallbacks: u64,
    /// How many times it came back after that.
    pub reconnects: u64,
    /// News this process wrote to the store.
    pub shared: u64,
    /// News this process heard from the store (published or read).
    pub heard: u64,
    /// News that never reached the store: the queue to it was full, or
    /// the store was away when it was to be written.
    pub dropped: u64,
    /// Paced turns this process booked in the store (one round trip
    /// each).
    pub turns: u64,
}

impl RedisQuotaStore {
    /// A builder for the store at `url` (`redis://[:password@]host:port/[db]`).
    pub fn builder(url: &str) -> RedisQuotaStoreBuilder {
        RedisQuotaStoreBuilder {
            url: url.to_owned(),
            prefix: "routy".to_owned(),
            settings: Settings {
                connect_timeout: DEFAULT_CONNECT_TIMEOUT,
                io_timeout: DEFAULT_IO_TIMEOUT,
                max_backoff: DEFAULT_MAX_BACKOFF,
                poll: Duration::from_millis(100),
                fail_closed: false,
            },
        }
    }

    /// What the store has done so far.
    pub fn stats(&self) -> StoreStats {
        let s = &self.shared;
        StoreStats {
            connected: s.up.load(Ordering::Acquire),
            fallbacks: s.fallbacks.load(Ordering::Relaxed),
            reconnects: s.reconnects.load(Ordering::Relaxed),
            shared: s.shared.load(Ordering::Relaxed),
            heard: s.heard.load(Ordering::Relaxed),
            dropped: s.dropped.load(Ordering::Relaxed),
            turns: s.turns.load(Ordering::Relaxed),
        }
    }

    /// The store key that holds `key`'s word (`routy:{<hash>}:spent`),
    /// for an operator who wants to look.
    pub fn store_key(&self, key: &ApiKey) -> String {
        self.shared.names.word(key_hash(key))
    }
}

/// A token's name in the fleet: the first 8 bytes of SHA-256 over a
/// domain tag and the token.
fn key_hash(key: &ApiKey) -> u64 {
    let digest = Sha256::new()
        .chain_update(b"routy quota key v1\0")
        .chain_update(key.expose_secret().as_bytes())
        .finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_be_bytes(first)
}

impl QuotaStore for RedisQuotaStore {
    fn key_id(&self, key: &ApiKey) -> u64 {
        key_hash(key)
    }

    fn spent(&self, key_id: u64, route: &str, wait: Duration) {
        self.shared.send(Job::Spent {
            id: key_id,
            route: route.into(),
            wait,
        });
    }

    fn attach(&self, inbox: QuotaInbox) {
        self.shared
            .inboxes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(inbox);
    }

    /// The listener subscribes to `key_id`'s news within its poll (100
    /// ms), then asks for one read of what is held.
    fn watch(&self, key_id: u64) {
        self.shared.watch(key_id);
    }

    /// One round trip (EVALSHA of a GCRA step on the store's clock),
    /// within the io timeout; `None` while the store is away.
    fn turn(&self, key_id: u64, route: &str, spacing: Duration) -> Option<Duration> {
        self.turns.book(&self.shared, key_id, route, spacing)
    }
}

impl fmt::Debug for RedisQuotaStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisQuotaStore")
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_is_named_by_a_hash_the_same_in_every_process() {
        let key = ApiKey::new("OaBw1+4DqFfDLXOLpWthbfp502Wc0D4tICsxNcT+aeQ=").unwrap();
        let again = ApiKey::new("OaBw1+4DqFfDLXOLpWthbfp502Wc0D4tICsxNcT+aeQ=").unwrap();
        let other = ApiKey::new("other-token").unwrap();
        assert_eq!(key_hash(&key), key_hash(&again));
        assert_ne!(key_hash(&key), key_hash(&other));
        let store = RedisQuotaStore::builder("redis://127.0.0.1:9/")
            .build()
            .unwrap();
        let name = store.store_key(&key);
        assert!(
            name.starts_with("routy:{") && name.ends_with("}:spent"),
            "{name}"
        );
        assert!(!key.found_in(&name));
        // The URL's password is never repeated.
        let err = RedisQuotaStore::builder("mysql://:hunter2@x/")
            .build()
            .unwrap_err();
        assert!(!err.to_string().contains("hunter2"), "{err}");
    }
}
