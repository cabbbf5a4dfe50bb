//! [`ClientBuilder`]: collects a client's settings (in code or from the
//! environment) and reports the first bad one when it builds.

use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

use http::HeaderValue;

use crate::auth::key::{ApiKey, SharedKey};
use crate::client::Client;
use crate::clock::{Clock, SystemClock};
use crate::config::{BaseUrl, BASE_URL_ENV};
use crate::config::{Config, ConfigError};
use crate::defaults::{
    capped, DEFAULT_BASE_URL, DEFAULT_CALL_TIMEOUT, DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_QUOTA_HOLD,
    DEFAULT_MAX_REDIRECTS, DEFAULT_RETRY_BUDGET, DEFAULT_TIMEOUT, USER_AGENT,
};
use crate::error::Error;
use crate::policy::{QuotaScope, QuotaStore, RetryPolicy};
use crate::transport::{RequestLimits, Transport};

/// Builds a [`Client`]. Settings are checked at [`build`](Self::build) (or
/// [`build_with`](Self::build_with)), which reports the first bad one.
///
/// `T` is the transport [`build`](Self::build) creates by default;
/// [`build_with`](Self::build_with) takes any transport.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use routy::{ApiKey, Client};
///
/// let client = routy::ClientBuilder::new()
///     .api_key(ApiKey::new("test-token")?)
///     .base_url("http://127.0.0.1:8080/api")
///     .timeout(Duration::from_secs(5))
///     .build_with(routy::transport_fn(|_req| Err(routy::TransportErrorKind::Connect.into())))?;
/// # let _ = client;
/// # Ok::<(), routy::Error>(())
/// ```
pub struct ClientBuilder<T = ()> {
    /// What the builder has collected. Its work is done by [`Settings`]'
    /// methods, compiled once in routy-core whatever `T` is, rather than
    /// once per transport in the crate that builds a client.
    settings: Settings,
    _transport: PhantomData<fn() -> T>,
}

/// A client's settings as collected, not checked yet.
struct Settings {
    key: Option<SharedKey>,
    base_url: Option<String>,
    allow_insecure_http: bool,
    app_name: Option<String>,
    timeout: Option<Duration>,
    max_body_bytes: u64,
    call_timeout: Option<Duration>,
    retry: RetryPolicy,
    retry_budget: u32,
    max_redirects: u32,
    quota_scope: QuotaScope,
    pace: bool,
    max_quota_hold: Duration,
    quota_store: Option<Arc<dyn QuotaStore>>,
    clock: Arc<dyn Clock>,
    jitter_seed: Option<u64>,
    /// The first error met while collecting settings, reported by `build`.
    pending: Option<Error>,
}

impl<T> Default for ClientBuilder<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> ClientBuilder<T> {
    /// A builder with every setting at its default, whose
    /// [`build`](Self::build) creates a `T` (`routy::ClientBuilder::new()`:
    /// a ureq transport); [`build_with`](Self::build_with) takes any
    /// transport instead.
    pub fn new() -> Self {
        ClientBuilder {
            settings: Settings::new(),
            _transport: PhantomData,
        }
    }

    /// The key to authenticate with. Required (this or
    /// [`shared_key`](Self::shared_key)).
    pub fn api_key(mut self, key: ApiKey) -> Self {
        self.settings.key = Some(SharedKey::new(key));
        self
    }

    /// A key slot you keep a handle to, to rotate the key later from
    /// anywhere; see [`SharedKey`].
    ///
    /// # Examples
    ///
    /// ```
    /// use routy::{ApiKey, Client, SharedKey};
    ///
    /// let slot = SharedKey::new(ApiKey::new("old-token")?);
    /// let client = routy::ClientBuilder::new()
    ///     .shared_key(slot.clone())
    ///     .build_with(routy::transport_fn(|_req| Err(routy::TransportErrorKind::Connect.into())))?;
    /// slot.set(ApiKey::new("new-token")?);
    /// assert_eq!(client.api_key().expose_secret(), "new-token");
    /// # Ok::<(), routy::Error>(())
    /// ```
    pub fn shared_key(mut self, key: SharedKey) -> Self {
        self.settings.key = Some(key);
        self
    }

    /// The API's base URL. Defaults to [`DEFAULT_BASE_URL`]. Plain `http://`
    /// is refused unless the host is loopback or
    /// [`allow_insecure_http`](Self::allow_insecure_http) is set.
    pub fn base_url(mut self, url: &str) -> Self {
        self.settings.base_url = Some(url.to_owned());
        self
    }

    /// Accept a plain `http://` base URL on any host. Off by default: the
    /// key would cross the network in clear text.
    ///
    /// # Examples
    ///
    /// ```
    /// # use routy::{ApiKey, Client};
    /// let client = routy::ClientBuilder::new()
    ///     .api_key(ApiKey::new("t")?)
    ///     .base_url("http://gateway.internal/api")
    ///     .allow_insecure_http(true)
    ///     .build_with(routy::transport_fn(|_req| Err(routy::TransportErrorKind::Connect.into())))?;
    /// # let _ = client;
    /// # Ok::<(), routy::Error>(())
    /// ```
    pub fn allow_insecure_http(mut self, allow: bool) -> Self {
        self.settings.allow_insecure_http = allow;
        self
    }

    /// Appends your application's name (say `report-job/2.1`) to the
    /// `User-Agent`, which defaults to [`USER_AGENT`].
    pub fn app_name(mut self, name: &str) -> Self {
        self.settings.app_name = Some(name.to_owned());
        self
    }

    /// The deadline of one HTTP exchange, from connecting to the last body
    /// byte; `None` for none. Defaults to [`DEFAULT_TIMEOUT`]; longer than
    /// [`MAX_DURATION`](crate::defaults::MAX_DURATION) is cut to it.
    pub fn timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.settings.timeout = timeout.into().map(capped);
        self
    }

    /// The cap on a response body, after decompression. Defaults to
    /// [`DEFAULT_MAX_BODY_BYTES`].
    pub fn max_body_bytes(mut self, max: u64) -> Self {
        self.settings.max_body_bytes = max;
        self
    }

    /// The deadline of a whole call, every attempt, redirect and backoff
    /// included; `None` for none. Defaults to [`DEFAULT_CALL_TIMEOUT`];
    /// longer than [`MAX_DURATION`](crate::defaults::MAX_DURATION) is cut to it. Each attempt's own
    /// deadline ([`timeout`](Self::timeout)) is cut to what is left of it.
    ///
    /// # Examples
    ///
    /// ```
    /// # use routy::{ApiKey, ClientBuilder};
    /// let client = ClientBuilder::new()
    ///     .api_key(ApiKey::new("t")?)
    ///     .call_timeout(std::time::Duration::from_secs(10))
    ///     .build_with(routy::transport_fn(|_req| Err(routy::TransportErrorKind::Connect.into())))?;
    /// assert_eq!(client.config().call_timeout(), Some(std::time::Duration::from_secs(10)));
    /// # Ok::<(), routy::Error>(())
    /// ```
    pub fn call_timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.settings.call_timeout = timeout.into().map(capped);
        self
    }

    /// The retry policy. Defaults to [`RetryPolicy::default`]; turn
    /// retries off with [`RetryPolicy::none`].
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.settings.retry = policy;
        self
    }

    /// Shorthand for a default policy allowing `retries` retries after
    /// the first attempt (0 turns retries off).
    ///
    /// # Examples
    ///
    /// ```
    /// # use routy::{ApiKey, ClientBuilder};
    /// let client = ClientBuilder::new()
    ///     .api_key(ApiKey::new("t")?)
    ///     .max_retries(4)
    ///     .build_with(routy::transport_fn(|_req| Err(routy::TransportErrorKind::Connect.into())))?;
    /// assert_eq!(client.config().retry().attempts(), 5);
    /// # Ok::<(), routy::Error>(())
    /// ```
    pub fn max_retries(mut self, retries: u32) -> Self {
        self.settings.retry = self.settings.retry.max_attempts(retries.saturating_add(1));
        self
    }

    /// How many retries the client's shared budget holds (see
    /// [`RetryBudget`](crate::policy::retry::RetryBudget)). Defaults to
    /// [`DEFAULT_RETRY_BUDGET`].
    ///
    /// # Examples
    ///
    /// ```
    /// # use routy::{ApiKey, ClientBuilder};
    /// let client = ClientBuilder::new()
    ///     .api_key(ApiKey::new("t")?)
    ///     .retry_budget(50)
    ///     .build_with(routy::transport_fn(|_req| Err(routy::TransportErrorKind::Connect.into())))?;
    /// # let _ = client;
    /// # Ok::<(), routy::Error>(())
    /// ```
    pub fn retry_budget(mut self, retries: u32) -> Self {
        self.settings.retry_budget = retries;
        self
    }

    /// The most redirects one call follows (GET and HEAD only). Defaults to
    /// [`DEFAULT_MAX_REDIRECTS`]; 0 follows none, handing redirects back
    /// as responses (from [`execute_any_status`](Client::execute_any_status)) or as API errors.
    pub fn max_redirects(mut self, max: u32) -> Self {
        self.settings.max_redirects = max;
        self
    }

    /// Which calls the server's word about its quota holds back. When an
    /// answer says the quota is spent (a 429 or 503 with `Retry-After`, or
    /// a success with `RateLimit-Remaining: 0` and a reset), no request of
    /// this client (any clone, any thread) leaves before the time named: a
    /// call that arrives meanwhile waits, through the client's clock, when
    /// the wait fits its deadline and its policy's
    /// [`max_retry_after`](RetryPolicy::max_retry_after) and
    /// [`max_total_delay`](RetryPolicy::max_total_delay), and otherwise
    /// fails at once without sending, with an [`Error::Api`] whose kind is
    /// `RateLimited`, whose `retry_after()` says when, with 0 attempts.
    /// Waiting calls leave spread over
    /// [`QUOTA_SPREAD`](crate::defaults::QUOTA_SPREAD), not all at once.
    ///
    /// Defaults to [`QuotaScope::Client`]: Routy's limits are per token.
    /// [`QuotaScope::Route`] holds back only calls to the same path;
    /// [`QuotaScope::Off`] lets each call learn only from its own answers.
    /// A new key ([`Client::set_api_key`]) is a new quota. The per-call
    /// policy ([`RetryPolicy::none`] included) decides how long a call may
    /// be held, not whether: set its `max_retry_after` to zero to fail at
    /// once rather than wait.
    ///
    /// # Examples
    ///
    /// ```
    /// let config = routy::ClientBuilder::new().quota_scope(routy::QuotaScope::Off).build_config()?;
    /// assert_eq!(config.quota_scope(), routy::QuotaScope::Off);
    /// # Ok::<(), routy::Error>(())
    /// ```
    pub fn quota_scope(mut self, scope: QuotaScope) -> Self {
        self.settings.quota_scope = scope;
        self
    }

    /// Paces calls over what is left of the server's window (off by
    /// default). With it, what each answer says is left (`RateLimit`'s
    /// `r` and `t`, `RateLimit-Remaining` and `-Reset`, or the `X-`
    /// ones) spaces the client's next requests evenly over the time to
    /// the reset, rather than spending the window at once and waiting for
    /// it to open; and a `RateLimit-Policy` (`q` requests per `w`
    /// seconds, the tightest of those named) spaces them before any 429.
    /// Each word lapses at the reset (or after the window) it named,
    /// unless a later answer renews it, and never lasts past
    /// [`max_quota_hold`](Self::max_quota_hold). Within the
    /// [quota scope](Self::quota_scope); nothing changes against a server
    /// that sends no such fields.
    ///
    /// # Examples
    ///
    /// ```
    /// let config = routy::ClientBuilder::new().pace(true).build_config()?;
    /// assert!(config.paces());
    /// # Ok::<(), routy::Error>(())
    /// ```
    pub fn pace(mut self, pace: bool) -> Self {
        self.settings.pace = pace;
        self
    }

    /// The longest the client holds calls back (or paces them) on one
    /// word of the server, whatever it said. Defaults to
    /// [`DEFAULT_MAX_QUOTA_HOLD`] (one hour). A server that asks for
    /// longer (a `Retry-After` of years, a reset in the wrong unit) is
    /// held to this; then one request goes out as a probe and its answer
    /// decides: another "spent" closes the gate again, anything else
    /// opens it. Each call still waits only as long as its own policy and
    /// deadline allow.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let config = routy::ClientBuilder::new()
    ///     .max_quota_hold(Duration::from_secs(300))
    ///     .build_config()?;
    /// assert_eq!(config.quota_hold_limit(), Duration::from_secs(300));
    /// # Ok::<(), routy::Error>(())
    /// ```
    pub fn max_quota_hold(mut self, limit: Duration) -> Self {
        self.settings.max_quota_hold = limit;
        self
    }

    /// Shares the quota gate's word with every process that uses the same
    /// token, through `store` (`routy-redis` keeps it in Valkey or Redis;
    /// see [`QuotaStore`]): a 429 one process meets holds the whole fleet,
    /// as it holds every thread of one client. Not set: the gate is this
    /// client's alone. A store that fails costs only the sharing: each
    /// process still honours every answer it gets.
    ///
    /// # Examples
    ///
    /// See [`QuotaStore`].
    pub fn quota_store(mut self, store: Arc<dyn QuotaStore>) -> Self {
        self.settings.quota_store = Some(store);
        self
    }

    /// The clock for deadlines, `Retry-After` dates and waiting between
    /// retries. Defaults to [`SystemClock`]; tests pass a
    /// [`ManualClock`](crate::clock::ManualClock) and never wait.
    ///
    /// # Examples
    ///
    /// ```
    /// use routy::{clock::ManualClock, http, ApiKey, ClientBuilder, TransportError};
    ///
    /// let clock = ManualClock::new();
    /// let calls = std::sync::atomic::AtomicU32::new(0);
    /// let client = ClientBuilder::new()
    ///     .api_key(ApiKey::new("t")?)
    ///     .clock(clock.clone())
    ///     .build_with(routy::transport_fn(move |_req| {
    ///         let status = if calls.fetch_add(1, std::sync::atomic::Ordering::Relaxed) == 0 { 503 } else { 200 };
    ///         Ok(http::Response::builder().status(status).header("retry-after", "2").body(b"[]".to_vec()).expect("valid"))
    ///     }))?;
    /// assert!(client.accounts()?.is_empty());
    /// assert_eq!(clock.sleeps(), [std::time::Duration::from_secs(2)]);
    /// # Ok::<(), routy::Error>(())
    /// ```
    pub fn clock(mut self, clock: impl Clock + 'static) -> Self {
        self.settings.clock = Arc::new(clock);
        self
    }

    /// Fixes the seed of the backoff jitter so delays repeat exactly.
    /// Defaults to a random seed.
    ///
    /// # Examples
    ///
    /// ```
    /// # use routy::{ApiKey, ClientBuilder};
    /// let client = ClientBuilder::new()
    ///     .api_key(ApiKey::new("t")?)
    ///     .jitter_seed(42)
    ///     .build_with(routy::transport_fn(|_req| Err(routy::TransportErrorKind::Connect.into())))?;
    /// # let _ = client;
    /// # Ok::<(), routy::Error>(())
    /// ```
    pub fn jitter_seed(mut self, seed: u64) -> Self {
        self.settings.jitter_seed = Some(seed);
        self
    }

    /// Checks the settings and builds a client over `transport`, which
    /// need not be the builder's default transport `T`.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when no key was given, the base URL is refused, the
    /// app name is not a valid header value, or the timeout is zero.
    pub fn build_with<U: Transport>(self, transport: U) -> Result<Client<U>, Error> {
        Ok(Client::from_parts(self.settings.checked()?, transport))
    }

    /// The settings checked as [`build`](Self::build) checks them, as a
    /// [`Config`], without a key, a transport or a client: what a
    /// [`Call`](crate::call::Call) runs under, for a test of the call
    /// machine or a driver of your own. ([`Config::default`] is every
    /// default.)
    ///
    /// # Errors
    ///
    /// As [`build_with`](Self::build_with), except that no key is needed.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let config = routy::ClientBuilder::new().timeout(Duration::from_secs(5)).build_config()?;
    /// assert_eq!(config.timeout(), Some(Duration::from_secs(5)));
    /// assert!(routy::ClientBuilder::new().timeout(Duration::ZERO).build_config().is_err());
    /// # Ok::<(), routy::Error>(())
    /// ```
    pub fn build_config(self) -> Result<Config, Error> {
        self.settings.config()
    }

    /// Checks the settings and builds a client over `T`'s default
    /// transport (for `routy::Client`, a ureq agent).
    ///
    /// # Errors
    ///
    /// As [`build_with`](Self::build_with).
    ///
    /// # Examples
    ///
    /// ```
    /// # use routy::{ApiKey, ClientWith, Transport, TransportError, http};
    /// #[derive(Default)]
    /// struct Offline;
    /// impl Transport for Offline {
    ///     fn send(&self, _: http::Request<Vec<u8>>) -> Result<http::Response<Vec<u8>>, TransportError> {
    ///         Err(routy::TransportErrorKind::Connect.into())
    ///     }
    /// }
    /// let client = ClientWith::<Offline>::builder().api_key(ApiKey::new("t")?).build()?;
    /// # let _ = client;
    /// # Ok::<(), routy::Error>(())
    /// ```
    pub fn build(self) -> Result<Client<T>, Error>
    where
        T: Transport + Default,
    {
        // The settings first: a transport is made only for a client.
        let checked = self.settings.checked()?;
        Ok(Client::from_parts(checked, T::default()))
    }

    /// The key `load` gives, unless a key is set already (in code, or by
    /// an earlier source such as [`env`](Self::env)): `load` runs only
    /// then, and its error is reported by `build()`. For key sources that
    /// live outside routy-core (routy-profile's profiles fill the key this
    /// way).
    ///
    /// # Examples
    ///
    /// ```
    /// # use routy::{ApiKey, ClientBuilder, TransportErrorKind};
    /// let offline = routy::transport_fn(|_req| Err(TransportErrorKind::Connect.into()));
    /// let client = ClientBuilder::new()
    ///     .api_key(ApiKey::new("from-code")?)
    ///     .api_key_or_else(|| unreachable!("a key is set already"))
    ///     .build_with(&offline)?;
    /// assert_eq!(client.api_key().expose_secret(), "from-code");
    ///
    /// let failed = ClientBuilder::new()
    ///     .api_key_or_else(|| Err(ApiKey::new("").unwrap_err().into()))
    ///     .build_with(&offline);
    /// assert!(matches!(failed, Err(routy::Error::Key(_))));
    /// # Ok::<(), routy::Error>(())
    /// ```
    pub fn api_key_or_else(mut self, load: impl FnOnce() -> Result<ApiKey, Error>) -> Self {
        if self.settings.wants_key() {
            self.settings.key_from(load());
        }
        self
    }

    /// `url` as the base URL, unless one is set already (checked by
    /// `build()`, as [`base_url`](Self::base_url)).
    ///
    /// # Examples
    ///
    /// ```
    /// let config = routy::ClientBuilder::new()
    ///     .base_url("http://127.0.0.1:8080/api")
    ///     .base_url_or("https://elsewhere.example/api")
    ///     .build_config()?;
    /// assert_eq!(config.base_url().to_string(), "http://127.0.0.1:8080/api");
    /// # Ok::<(), routy::Error>(())
    /// ```
    pub fn base_url_or(mut self, url: &str) -> Self {
        if self.settings.base_url.is_none() {
            self.settings.base_url = Some(url.to_owned());
        }
        self
    }

    /// Fills what is not set yet from the environment: the key from
    /// `ROUTY_API_KEY` and the base URL from `ROUTY_BASE_URL` (when that is
    /// set and not empty). A missing or malformed key is reported by
    /// `build()`.
    ///
    /// # Examples
    ///
    /// ```
    /// # use routy::{ApiKey, ClientBuilder, TransportErrorKind};
    /// // A key set in code wins over the environment.
    /// let client = ClientBuilder::new()
    ///     .api_key(ApiKey::new("from-code")?)
    ///     .env()
    ///     .build_with(routy::transport_fn(|_req| Err(TransportErrorKind::Connect.into())))?;
    /// assert_eq!(client.api_key().expose_secret(), "from-code");
    /// # Ok::<(), routy::Error>(())
    /// ```
    pub fn env(mut self) -> Self {
        self.settings.env();
        self
    }
}

impl Settings {
    fn new() -> Settings {
        Settings {
            key: None,
            base_url: None,
            allow_insecure_http: false,
            app_name: None,
            timeout: Some(DEFAULT_TIMEOUT),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            call_timeout: Some(DEFAULT_CALL_TIMEOUT),
            retry: RetryPolicy::default(),
            retry_budget: DEFAULT_RETRY_BUDGET,
            max_redirects: DEFAULT_MAX_REDIRECTS,
            quota_scope: QuotaScope::default(),
            pace: false,
            max_quota_hold: DEFAULT_MAX_QUOTA_HOLD,
            quota_store: None,
            clock: Arc::new(SystemClock),
            jitter_seed: None,
            pending: None,
        }
    }

    /// Whether a key source should be asked: no key yet, and no error
    /// that `build` will report anyway.
    fn wants_key(&self) -> bool {
        self.key.is_none() && self.pending.is_none()
    }

    /// The key a source gave, or its error for `build` to report.
    fn key_from(&mut self, loaded: Result<ApiKey, Error>) {
        match loaded {
            Ok(key) => self.key = Some(SharedKey::new(key)),
            Err(err) => self.pending = Some(err),
        }
    }

    /// Fills what is not set yet from the environment (see
    /// [`ClientBuilder::env`]).
    fn env(&mut self) {
        if self.wants_key() {
            self.key_from(ApiKey::from_env().map_err(Error::from));
        }
        if self.base_url.is_none() {
            match std::env::var(BASE_URL_ENV) {
                Ok(url) if !url.trim().is_empty() => self.base_url = Some(url),
                Ok(_) | Err(std::env::VarError::NotPresent) => {}
                Err(std::env::VarError::NotUnicode(_)) if self.pending.is_none() => {
                    self.pending = Some(
                        ConfigError::InvalidBaseUrl {
                            reason: "ROUTY_BASE_URL is not valid unicode",
                        }
                        .into(),
                    );
                }
                // Only the first error is reported.
                Err(std::env::VarError::NotUnicode(_)) => {}
            }
        }
    }

    /// The settings checked, as a [`Config`].
    fn config(self) -> Result<Config, Error> {
        if let Some(err) = self.pending {
            return Err(err);
        }
        let base_url = match &self.base_url {
            Some(url) => BaseUrl::parse_with(url, self.allow_insecure_http)?,
            None => BaseUrl::parse(DEFAULT_BASE_URL)?,
        };
        let user_agent = match &self.app_name {
            None => HeaderValue::from_static(USER_AGENT),
            Some(name) => HeaderValue::try_from(format!("{USER_AGENT} {}", name.trim()))
                .map_err(|_| ConfigError::InvalidAppName)?,
        };
        if self.timeout == Some(Duration::ZERO) || self.call_timeout == Some(Duration::ZERO) {
            return Err(ConfigError::ZeroTimeout.into());
        }
        Ok(Config {
            base_url,
            user_agent,
            limits: RequestLimits::new(self.max_body_bytes, self.timeout),
            call_timeout: self.call_timeout,
            retry: self.retry,
            retry_budget: self.retry_budget,
            max_redirects: self.max_redirects,
            quota_scope: self.quota_scope,
            pace: self.pace,
            max_quota_hold: capped(self.max_quota_hold),
        })
    }

    /// The settings checked, with the key a client needs: all of a
    /// client but its transport.
    fn checked(mut self) -> Result<Checked, Error> {
        let key = self.key.take();
        let quota_store = self.quota_store.take();
        let (clock, jitter_seed) = (Arc::clone(&self.clock), self.jitter_seed);
        let config = self.config()?;
        let key = key.ok_or(ConfigError::MissingApiKey)?;
        Ok(Checked {
            config,
            key,
            clock,
            jitter_seed,
            quota_store,
        })
    }
}

/// A client's settings, checked: what [`Client::from_parts`] puts beside
/// the transport.
pub(crate) struct Checked {
    pub(crate) config: Config,
    pub(crate) key: SharedKey,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) jitter_seed: Option<u64>,
    pub(crate) quota_store: Option<Arc<dyn QuotaStore>>,
}

impl<T> fmt::Debug for ClientBuilder<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("key", &self.settings.key)
            .field("base_url", &self.settings.base_url)
            .field("allow_insecure_http", &self.settings.allow_insecure_http)
            .field("app_name", &self.settings.app_name)
            .field("timeout", &self.settings.timeout)
            .field("max_body_bytes", &self.settings.max_body_bytes)
            .field("call_timeout", &self.settings.call_timeout)
            .field("retry", &self.settings.retry)
            .field("retry_budget", &self.settings.retry_budget)
            .field("max_redirects", &self.settings.max_redirects)
            .field("quota_scope", &self.settings.quota_scope)
            .field("pace", &self.settings.pace)
            .field("max_quota_hold", &self.settings.max_quota_hold)
            .field("clock", &self.settings.clock)
            .field("pending", &self.settings.pending)
            .finish()
    }
}
