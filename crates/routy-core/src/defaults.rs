//! Every default and every limit routy works with, in one place: what a
//! client does when nothing else is said, and the bounds it holds
//! whatever it is told.
//!
//! Each setting's builder method says which of these it starts from
//! ([`ClientBuilder`](crate::ClientBuilder), [`RetryPolicy`](crate::RetryPolicy)).

use std::time::Duration;

/// The Routy platform API, the default base URL.
pub const DEFAULT_BASE_URL: &str = "https://platform.routy.app/api";

/// The `User-Agent` every request sends, before any
/// [`ClientBuilder::app_name`](crate::ClientBuilder::app_name).
pub const USER_AGENT: &str = concat!("routy-rust/", env!("CARGO_PKG_VERSION"));

/// The default deadline of one HTTP exchange: 30 seconds.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// The default deadline of a whole call, retries and redirects included:
/// 60 seconds.
pub const DEFAULT_CALL_TIMEOUT: Duration = Duration::from_secs(60);

/// The default cap on a response body, after decompression: 16 MiB.
pub const DEFAULT_MAX_BODY_BYTES: u64 = 16 * 1024 * 1024;

/// The default most redirects one call follows: 5.
pub const DEFAULT_MAX_REDIRECTS: u32 = 5;

/// The default most attempts of one call, the first included: 3.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 3;

/// The default first backoff between attempts, doubled at each retry
/// (with jitter): 200 ms.
pub const DEFAULT_BASE_DELAY: Duration = Duration::from_millis(200);

/// The default longest backoff between two attempts: 5 s.
pub const DEFAULT_MAX_DELAY: Duration = Duration::from_secs(5);

/// The default longest `Retry-After` a call waits out: 10 s.
pub const DEFAULT_MAX_RETRY_AFTER: Duration = Duration::from_secs(10);

/// The default most time one call spends waiting between attempts: 20 s.
pub const DEFAULT_MAX_TOTAL_DELAY: Duration = Duration::from_secs(20);

/// How widely calls held back for a spent rate-limit window are spread
/// when it opens: each waits a further seeded share of this, so they do
/// not all leave at the instant the server named.
pub const QUOTA_SPREAD: Duration = Duration::from_millis(100);

/// In a fleet (a client with a quota store), how widely held calls are
/// spread when a window opens: half of [`QUOTA_SPREAD`]. Fresh calls of
/// every process wait until it is over, so the calls the fleet held go
/// first; kept short, as every millisecond of it is a millisecond of the
/// window a server that counts from the first request loses.
pub const FLEET_SPREAD: Duration = Duration::from_millis(50);

/// The longest a client's quota gate holds calls back, or paces them, on
/// one word of the server: one hour, the longest window most APIs name.
/// A server that asks for longer (a `Retry-After` of years, a reset
/// misread) is held to it, and then one request goes out as a probe,
/// whose answer decides. Set with
/// [`ClientBuilder::max_quota_hold`](crate::ClientBuilder::max_quota_hold).
pub const DEFAULT_MAX_QUOTA_HOLD: Duration = Duration::from_secs(60 * 60);

/// A rate-limit reset further ahead than this (a year and a day) is not
/// a time a server means: it is ignored (and named in the `log` and
/// `tracing` events), never waited for.
pub const MAX_PLAUSIBLE_RESET: Duration = Duration::from_secs(366 * 24 * 60 * 60);

/// The shortest wait a 429's `Retry-After` (or reset) may name for its
/// retry to be the server pacing, which spends no attempt and nothing of
/// the retry budget: one second, the field's own unit. A shorter one (0,
/// a date already past) is an answer at once, and its retry counts like
/// any other.
pub const MIN_PACED_WAIT: Duration = Duration::from_secs(1);

/// How many keys a client's quota gate remembers what the server said
/// about: the current one and those rotations replaced while calls made
/// with them may still be under way; past that, the key whose word ends
/// first is forgotten.
pub const QUOTA_KEYS: usize = 16;

/// How many routes per key a client's quota gate remembers under
/// [`QuotaScope::Route`](crate::QuotaScope::Route); past that, the route
/// whose word ends first is forgotten.
pub const QUOTA_ROUTES: usize = 256;

/// Retries the default retry budget holds (shared by a client's calls).
pub const DEFAULT_RETRY_BUDGET: u32 = 10;

/// The longest duration the client works with: 100 years of 365 days.
/// Timeouts and retry waits longer than this, `Duration::MAX` included, are
/// cut to it, so a deadline always fits in an [`Instant`](std::time::Instant)
/// and a transport never has to guard against overflow; in practice it
/// means "never".
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use routy::{defaults::MAX_DURATION, ClientBuilder};
///
/// let config = ClientBuilder::new().timeout(Duration::MAX).build_config()?;
/// assert_eq!(config.timeout(), Some(MAX_DURATION));
/// # Ok::<(), routy::Error>(())
/// ```
pub const MAX_DURATION: Duration = Duration::from_secs(100 * 365 * 24 * 60 * 60);

/// Keys longer than this are refused: real tokens are 44 characters, and an
/// unbounded key would be an unbounded header.
pub const MAX_KEY_LEN: usize = 1024;

/// The most bytes of a response body kept in an error.
pub const SNIPPET_MAX_BYTES: usize = 2048;

/// The most bytes of a CA certificate file
/// `config::read_ca_file` reads: a full system bundle is about 200 KB.
pub const MAX_CA_FILE_BYTES: u64 = 4 << 20;

/// `duration` cut to [`MAX_DURATION`]: the one clamp every timeout and
/// wait goes through.
pub(crate) fn capped(duration: Duration) -> Duration {
    duration.min(MAX_DURATION)
}
