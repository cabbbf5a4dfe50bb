//! Client configuration: the base URL (parsed and checked once), headers
//! every request carries, and limits. [`ClientBuilder`] collects settings and
//! reports the first bad one at `build()`.

use std::fmt;
use std::marker::PhantomData;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use http::uri::{Authority, PathAndQuery, Scheme};
use http::{HeaderValue, Uri};

use std::sync::Arc;

use crate::clock::{Clock, SystemClock};
use crate::error::{ConfigError, Error, RequestError};
use crate::key::{ApiKey, SharedKey};
use crate::retry::{RetryPolicy, DEFAULT_RETRY_BUDGET};
use crate::transport::{RequestLimits, Transport};
use crate::Client;

/// The Routy platform API, the default base URL.
pub const DEFAULT_BASE_URL: &str = "https://platform.routy.app/api";

/// The environment variable [`Client::from_env`] reads an optional base URL
/// from.
pub const BASE_URL_ENV: &str = "ROUTY_BASE_URL";

/// The default deadline of one HTTP exchange: 30 seconds.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// The default cap on a response body, after decompression: 16 MiB.
pub const DEFAULT_MAX_BODY_BYTES: u64 = 16 * 1024 * 1024;

/// The default deadline of a whole call, retries and redirects included:
/// 60 seconds.
pub const DEFAULT_CALL_TIMEOUT: Duration = Duration::from_secs(60);

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
/// use routy::{ApiKey, ClientBuilder, MAX_DURATION};
///
/// let client = ClientBuilder::new()
///     .api_key(ApiKey::new("t")?)
///     .timeout(Duration::MAX)
///     .build_with(routy::transport_fn(|_req| Err(routy::TransportErrorKind::Connect.into())))?;
/// assert_eq!(client.config().timeout(), Some(MAX_DURATION));
/// # Ok::<(), routy::Error>(())
/// ```
pub const MAX_DURATION: Duration = Duration::from_secs(100 * 365 * 24 * 60 * 60);

/// The default most redirects one call follows: 5.
pub const DEFAULT_MAX_REDIRECTS: u32 = 5;

/// The `User-Agent` every request sends, before any
/// [`ClientBuilder::app_name`].
pub const USER_AGENT: &str = concat!("routy-rust/", env!("CARGO_PKG_VERSION"));

/// A checked base URL: `http` or `https`, a host, an optional port and path,
/// no credentials, query or fragment. Parsed once; requests join their path
/// onto it.
///
/// # Examples
///
/// ```
/// use routy::BaseUrl;
///
/// let base = BaseUrl::parse("https://platform.routy.app/api/")?;
/// assert_eq!(base.join("/v1/accounts")?, "https://platform.routy.app/api/v1/accounts");
/// assert!(BaseUrl::parse("http://example.com/api").is_err()); // plain http off loopback
/// assert!(BaseUrl::parse("http://127.0.0.1:8080/api").is_ok());
/// # Ok::<(), routy::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct BaseUrl {
    scheme: Scheme,
    authority: Authority,
    /// The path without its trailing slash ("" for the root).
    path: String,
}

impl BaseUrl {
    /// Parses and checks `url`, refusing plain `http://` unless the host is
    /// loopback (`localhost`, `127.0.0.0/8`, `[::1]`).
    ///
    /// # Errors
    ///
    /// [`ConfigError::InvalidBaseUrl`] or [`ConfigError::InsecureHttp`].
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(routy::BaseUrl::parse("https://user:pw@example.com/api").is_err());
    /// ```
    pub fn parse(url: &str) -> Result<Self, ConfigError> {
        Self::parse_with(url, false)
    }

    /// Parses and checks `url`; with `allow_insecure_http`, plain `http://`
    /// to any host is accepted.
    ///
    /// # Errors
    ///
    /// As [`BaseUrl::parse`].
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(routy::BaseUrl::parse_with("http://gateway.internal/api", true).is_ok());
    /// ```
    pub fn parse_with(url: &str, allow_insecure_http: bool) -> Result<Self, ConfigError> {
        let invalid = |reason| ConfigError::InvalidBaseUrl { reason };
        let url = url.trim();
        if url.contains('#') {
            return Err(invalid("it must not have a fragment"));
        }
        // http::Uri accepts non-ASCII in a path; on the wire it must be ASCII.
        if !url.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(invalid(
                "it must be printable ascii: percent-encode a path, write a host in punycode",
            ));
        }
        let uri: Uri = url
            .parse()
            .map_err(|_| invalid("it is not a valid absolute url"))?;
        let scheme = uri
            .scheme()
            .cloned()
            .ok_or(invalid("it needs a scheme, https:// or http://"))?;
        let authority = uri.authority().cloned().ok_or(invalid("it needs a host"))?;
        if authority.as_str().contains('@') {
            return Err(invalid("it must not contain credentials"));
        }
        if uri.query().is_some() {
            return Err(invalid("it must not have a query"));
        }
        let host = authority.host();
        if host.is_empty() {
            return Err(invalid("it needs a host"));
        }
        // With credentials refused, the authority is the host and an
        // optional `:port`.
        let port = authority.as_str().get(host.len()..).unwrap_or_default();
        let port_ok = port.is_empty()
            || port.strip_prefix(':').is_some_and(|p| {
                !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) && p.parse::<u16>().is_ok()
            });
        if !port_ok {
            return Err(invalid("its port is not a number from 0 to 65535"));
        }
        if scheme == Scheme::HTTP {
            if !allow_insecure_http && !is_loopback_host(host) {
                return Err(ConfigError::InsecureHttp {
                    host: host.to_owned(),
                });
            }
        } else if scheme != Scheme::HTTPS {
            return Err(invalid("its scheme must be https or http"));
        }
        let path = uri.path().trim_end_matches('/').to_owned();
        Ok(BaseUrl {
            scheme,
            authority,
            path,
        })
    }

    /// The URL of `path_and_query` under this base: `/v1/accounts` under
    /// `https://h/api` is `https://h/api/v1/accounts`, with or without a
    /// trailing slash on the base.
    ///
    /// # Errors
    ///
    /// [`RequestError::InvalidPath`] when the path does not start with `/`,
    /// has a fragment, a `.` or `..` segment (plain or percent-encoded), a
    /// backslash, or characters not allowed in a URL, non-ASCII ones
    /// included (percent-encode them: `é` is `%C3%A9`). The result
    /// therefore always stays under the base.
    ///
    /// # Examples
    ///
    /// ```
    /// let base = routy::BaseUrl::parse("https://platform.routy.app/api")?;
    /// assert_eq!(base.join("/v1/accounts?page=2")?.query(), Some("page=2"));
    /// assert!(base.join("/v1/../../admin").is_err());
    /// assert!(base.join("/v1/accounts/Grüße").is_err());
    /// assert!(base.join("/v1/accounts/Gr%C3%BC%C3%9Fe").is_ok());
    /// # Ok::<(), routy::Error>(())
    /// ```
    pub fn join(&self, path_and_query: &str) -> Result<Uri, RequestError> {
        let invalid = |reason| RequestError::InvalidPath { reason };
        if !path_and_query.starts_with('/') {
            return Err(invalid("it must start with '/'"));
        }
        if path_and_query.contains('#') {
            return Err(invalid("it must not have a fragment"));
        }
        if path_and_query.contains('\\') {
            return Err(invalid("it must not contain a backslash"));
        }
        // http::Uri accepts these, but a request target is ASCII on the wire.
        if !path_and_query.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(invalid(
                "it must be printable ascii: percent-encode other characters (é as %C3%A9, a space as %20)",
            ));
        }
        let path = path_and_query
            .split_once('?')
            .map_or(path_and_query, |(p, _)| p);
        if path.split('/').any(is_dot_segment) {
            return Err(invalid("it must not have '.' or '..' segments"));
        }
        let mut joined = String::with_capacity(self.path.len() + path_and_query.len());
        joined.push_str(&self.path);
        joined.push_str(path_and_query);
        let path_and_query = PathAndQuery::from_maybe_shared(joined)
            .map_err(|_| invalid("it has characters not allowed in a url"))?;
        let mut parts = http::uri::Parts::default();
        parts.scheme = Some(self.scheme.clone());
        parts.authority = Some(self.authority.clone());
        parts.path_and_query = Some(path_and_query);
        Uri::from_parts(parts).map_err(|_| invalid("it does not form a valid url"))
    }

    /// The host, without port.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(routy::BaseUrl::parse("https://platform.routy.app/api")?.host(), "platform.routy.app");
    /// # Ok::<(), routy::Error>(())
    /// ```
    pub fn host(&self) -> &str {
        self.authority.host()
    }

    /// Whether requests go out over TLS.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(routy::BaseUrl::parse("https://platform.routy.app/api")?.is_https());
    /// # Ok::<(), routy::Error>(())
    /// ```
    pub fn is_https(&self) -> bool {
        self.scheme == Scheme::HTTPS
    }
}

impl fmt::Display for BaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://{}{}", self.scheme, self.authority, self.path)
    }
}

impl fmt::Debug for BaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BaseUrl({self})")
    }
}

impl std::str::FromStr for BaseUrl {
    type Err = ConfigError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        BaseUrl::parse(s)
    }
}

fn is_dot_segment(segment: &str) -> bool {
    let lower = segment.to_ascii_lowercase();
    let decoded = lower.replace("%2e", ".");
    decoded == "." || decoded == ".."
}

/// Whether `host` (as `http::Uri::host` gives it, IPv6 in brackets) names
/// this machine in a way nothing outside it can change: an IP literal in
/// `127.0.0.0/8` or `::1`, or the name `localhost`, which transports must
/// resolve to loopback without asking DNS (RFC 6761 section 6.3). Not
/// `localhost.`: resolvers send a trailing-dot name to DNS, which could
/// answer with any address and receive the key in clear text.
///
/// Plain http is allowed to these hosts only; a transport uses the same
/// test to never send them through a proxy.
///
/// # Examples
///
/// ```
/// use routy::is_loopback_host;
///
/// assert!(is_loopback_host("127.0.0.1") && is_loopback_host("[::1]") && is_loopback_host("localhost"));
/// assert!(!is_loopback_host("localhost.") && !is_loopback_host("10.0.0.1"));
/// ```
pub fn is_loopback_host(host: &str) -> bool {
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    if let Ok(ip) = host.parse::<Ipv4Addr>() {
        return ip.is_loopback();
    }
    host.strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .and_then(|h| h.parse::<Ipv6Addr>().ok())
        .is_some_and(|ip| ip.is_loopback())
}

/// Everything a client needs besides its key and transport. Built by
/// [`ClientBuilder`]; read it back with [`Client::config`].
///
/// # Examples
///
/// ```
/// use routy::{ApiKey, Client};
///
/// let client = routy::ClientBuilder::new()
///     .api_key(ApiKey::new("test-token")?)
///     .build_with(routy::transport_fn(|_req| Err(routy::TransportErrorKind::Connect.into())))?;
/// assert_eq!(client.config().base_url().to_string(), "https://platform.routy.app/api");
/// assert_eq!(client.config().timeout(), Some(routy::DEFAULT_TIMEOUT));
/// # Ok::<(), routy::Error>(())
/// ```
#[derive(Clone)]
pub struct Config {
    pub(crate) base_url: BaseUrl,
    pub(crate) user_agent: HeaderValue,
    pub(crate) limits: RequestLimits,
    pub(crate) call_timeout: Option<Duration>,
    pub(crate) retry: RetryPolicy,
    pub(crate) retry_budget: u32,
    pub(crate) max_redirects: u32,
}

impl Config {
    /// The base URL every path is joined to.
    ///
    /// # Examples
    ///
    /// See [`Config`].
    pub fn base_url(&self) -> &BaseUrl {
        &self.base_url
    }

    /// The `User-Agent` header value.
    ///
    /// # Examples
    ///
    /// ```
    /// # use routy::{ApiKey, Client};
    /// let client = routy::ClientBuilder::new()
    ///     .api_key(ApiKey::new("t")?)
    ///     .app_name("report-job/2.1")
    ///     .build_with(routy::transport_fn(|_req| Err(routy::TransportErrorKind::Connect.into())))?;
    /// assert!(client.config().user_agent().ends_with(" report-job/2.1"));
    /// # Ok::<(), routy::Error>(())
    /// ```
    pub fn user_agent(&self) -> &str {
        self.user_agent.to_str().unwrap_or(USER_AGENT)
    }

    /// The deadline of one HTTP exchange.
    ///
    /// # Examples
    ///
    /// See [`Config`].
    pub fn timeout(&self) -> Option<Duration> {
        self.limits.timeout
    }

    /// The cap on a response body, after decompression.
    ///
    /// # Examples
    ///
    /// ```
    /// # use routy::{ApiKey, Client};
    /// let client = routy::ClientBuilder::new()
    ///     .api_key(ApiKey::new("t")?)
    ///     .max_body_bytes(1 << 20)
    ///     .build_with(routy::transport_fn(|_req| Err(routy::TransportErrorKind::Connect.into())))?;
    /// assert_eq!(client.config().max_body_bytes(), 1 << 20);
    /// # Ok::<(), routy::Error>(())
    /// ```
    pub fn max_body_bytes(&self) -> u64 {
        self.limits.max_body_bytes
    }

    /// The deadline of a whole call, retries and redirects included.
    ///
    /// # Examples
    ///
    /// See [`Config`].
    pub fn call_timeout(&self) -> Option<Duration> {
        self.call_timeout
    }

    /// The retry policy.
    ///
    /// # Examples
    ///
    /// ```
    /// # use routy::{ApiKey, ClientBuilder, RetryPolicy};
    /// let client = ClientBuilder::new()
    ///     .api_key(ApiKey::new("t")?)
    ///     .retry(RetryPolicy::none())
    ///     .build_with(routy::transport_fn(|_req| Err(routy::TransportErrorKind::Connect.into())))?;
    /// assert_eq!(client.config().retry().attempts(), 1);
    /// # Ok::<(), routy::Error>(())
    /// ```
    pub fn retry(&self) -> &RetryPolicy {
        &self.retry
    }

    /// The most redirects one call follows.
    ///
    /// # Examples
    ///
    /// See [`Config`].
    pub fn max_redirects(&self) -> u32 {
        self.max_redirects
    }

    /// The limits attached to every request.
    ///
    /// # Examples
    ///
    /// See [`RequestLimits`].
    pub fn limits(&self) -> RequestLimits {
        self.limits
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("base_url", &self.base_url)
            .field("user_agent", &self.user_agent())
            .field("timeout", &self.limits.timeout)
            .field("max_body_bytes", &self.limits.max_body_bytes)
            .field("call_timeout", &self.call_timeout)
            .field("retry", &self.retry)
            .field("retry_budget", &self.retry_budget)
            .field("max_redirects", &self.max_redirects)
            .finish()
    }
}

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
    clock: Arc<dyn Clock>,
    jitter_seed: Option<u64>,
    /// The first error met while collecting settings, reported by `build`.
    pending: Option<Error>,
    _transport: PhantomData<fn() -> T>,
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
    ///
    /// # Examples
    ///
    /// See [`ClientBuilder`].
    pub fn new() -> Self {
        ClientBuilder {
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
            clock: Arc::new(SystemClock),
            jitter_seed: None,
            pending: None,
            _transport: PhantomData,
        }
    }

    /// The key to authenticate with. Required (this or
    /// [`shared_key`](Self::shared_key)).
    ///
    /// # Examples
    ///
    /// See [`ClientBuilder`].
    pub fn api_key(mut self, key: ApiKey) -> Self {
        self.key = Some(SharedKey::new(key));
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
        self.key = Some(key);
        self
    }

    /// The API's base URL. Defaults to [`DEFAULT_BASE_URL`]. Plain `http://`
    /// is refused unless the host is loopback or
    /// [`allow_insecure_http`](Self::allow_insecure_http) is set.
    ///
    /// # Examples
    ///
    /// See [`ClientBuilder`].
    pub fn base_url(mut self, url: &str) -> Self {
        self.base_url = Some(url.to_owned());
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
        self.allow_insecure_http = allow;
        self
    }

    /// Appends your application's name (say `report-job/2.1`) to the
    /// `User-Agent`, which defaults to [`USER_AGENT`].
    ///
    /// # Examples
    ///
    /// See [`Config::user_agent`].
    pub fn app_name(mut self, name: &str) -> Self {
        self.app_name = Some(name.to_owned());
        self
    }

    /// The deadline of one HTTP exchange, from connecting to the last body
    /// byte; `None` for none. Defaults to [`DEFAULT_TIMEOUT`]; longer than
    /// [`MAX_DURATION`] is cut to it.
    ///
    /// # Examples
    ///
    /// See [`ClientBuilder`].
    pub fn timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.timeout = timeout.into().map(|t| t.min(MAX_DURATION));
        self
    }

    /// The cap on a response body, after decompression. Defaults to
    /// [`DEFAULT_MAX_BODY_BYTES`].
    ///
    /// # Examples
    ///
    /// See [`Config::max_body_bytes`].
    pub fn max_body_bytes(mut self, max: u64) -> Self {
        self.max_body_bytes = max;
        self
    }

    /// The deadline of a whole call, every attempt, redirect and backoff
    /// included; `None` for none. Defaults to [`DEFAULT_CALL_TIMEOUT`];
    /// longer than [`MAX_DURATION`] is cut to it. Each attempt's own
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
        self.call_timeout = timeout.into().map(|t| t.min(MAX_DURATION));
        self
    }

    /// The retry policy. Defaults to [`RetryPolicy::default`]; turn
    /// retries off with [`RetryPolicy::none`].
    ///
    /// # Examples
    ///
    /// See [`Config::retry`].
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
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
        self.retry = self.retry.max_attempts(retries.saturating_add(1));
        self
    }

    /// How many retries the client's shared budget holds (see
    /// [`RetryBudget`](crate::RetryBudget)). Defaults to
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
        self.retry_budget = retries;
        self
    }

    /// The most redirects one call follows (GET and HEAD only). Defaults to
    /// [`DEFAULT_MAX_REDIRECTS`]; 0 follows none, handing redirects back
    /// as responses (from [`raw`](Client::raw)) or as API errors.
    ///
    /// # Examples
    ///
    /// See [`Config`].
    pub fn max_redirects(mut self, max: u32) -> Self {
        self.max_redirects = max;
        self
    }

    /// The clock for deadlines, `Retry-After` dates and waiting between
    /// retries. Defaults to [`SystemClock`]; tests pass a
    /// [`ManualClock`](crate::ManualClock) and never wait.
    ///
    /// # Examples
    ///
    /// ```
    /// use routy::{http, ApiKey, ClientBuilder, ManualClock, TransportError};
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
        self.clock = Arc::new(clock);
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
        self.jitter_seed = Some(seed);
        self
    }

    /// Checks the settings and builds a client over `transport`, which
    /// need not be the builder's default transport `T`.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when no key was given, the base URL is refused, the
    /// app name is not a valid header value, or the timeout is zero.
    ///
    /// # Examples
    ///
    /// See [`ClientBuilder`].
    pub fn build_with<U: Transport>(self, transport: U) -> Result<Client<U>, Error> {
        if let Some(err) = self.pending {
            return Err(err);
        }
        let key = self.key.ok_or(ConfigError::MissingApiKey)?;
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
        let config = Config {
            base_url,
            user_agent,
            limits: RequestLimits::new(self.max_body_bytes, self.timeout),
            call_timeout: self.call_timeout,
            retry: self.retry,
            retry_budget: self.retry_budget,
            max_redirects: self.max_redirects,
        };
        Ok(Client::from_parts(
            config,
            key,
            self.clock,
            self.jitter_seed,
            transport,
        ))
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
        self.build_with(T::default())
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
        if self.key.is_none() && self.pending.is_none() {
            match ApiKey::from_env() {
                Ok(key) => self.key = Some(SharedKey::new(key)),
                Err(err) => self.pending = Some(err.into()),
            }
        }
        if self.base_url.is_none() {
            match std::env::var(BASE_URL_ENV) {
                Ok(url) if !url.trim().is_empty() => self.base_url = Some(url),
                Ok(_) | Err(std::env::VarError::NotPresent) => {}
                Err(std::env::VarError::NotUnicode(_)) => {
                    self.pending.get_or_insert(
                        ConfigError::InvalidBaseUrl {
                            reason: "ROUTY_BASE_URL is not valid unicode",
                        }
                        .into(),
                    );
                }
            }
        }
        self
    }
}

impl<T> fmt::Debug for ClientBuilder<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("key", &self.key)
            .field("base_url", &self.base_url)
            .field("allow_insecure_http", &self.allow_insecure_http)
            .field("app_name", &self.app_name)
            .field("timeout", &self.timeout)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("call_timeout", &self.call_timeout)
            .field("retry", &self.retry)
            .field("retry_budget", &self.retry_budget)
            .field("max_redirects", &self.max_redirects)
            .field("clock", &self.clock)
            .field("pending", &self.pending)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_with_or_without_trailing_slash() {
        for base in [
            "https://platform.routy.app/api",
            "https://platform.routy.app/api/",
            "https://platform.routy.app/api//",
        ] {
            let url = BaseUrl::parse(base).unwrap().join("/v1/accounts").unwrap();
            assert_eq!(url, "https://platform.routy.app/api/v1/accounts", "{base}");
        }
        let root = BaseUrl::parse("https://h.example").unwrap();
        assert_eq!(
            root.join("/v1/accounts").unwrap(),
            "https://h.example/v1/accounts"
        );
    }

    #[test]
    fn refuses_bad_base_urls() {
        for bad in [
            "",
            "platform.routy.app/api",
            "/api",
            "ftp://platform.routy.app/api",
            "https://user:pw@platform.routy.app/api",
            "https://user@platform.routy.app/api",
            "https://platform.routy.app/api?x=1",
            "https://platform.routy.app/api#top",
            "https://platform.routy.app:99999/api",
            "https://platform.routy.app:abc/api",
            "https:// /api",
            "https://platform.routy.app/äpi",
            "https://plätform.routy.app/api",
        ] {
            assert!(
                matches!(BaseUrl::parse(bad), Err(ConfigError::InvalidBaseUrl { .. })),
                "{bad:?} was accepted"
            );
        }
    }

    #[test]
    fn plain_http_only_for_loopback() {
        for ok in [
            "http://localhost/api",
            "http://LOCALHOST:8080/api",
            "http://127.0.0.1:1/api",
            "http://127.255.0.9/api",
            "http://[::1]:8080/api",
        ] {
            assert!(BaseUrl::parse(ok).is_ok(), "{ok}");
        }
        for refused in [
            "http://localhost.evil.com/api",
            "http://localhost./api",
            "http://LOCALHOST.:8080/api",
            "http://api.localhost/api",
            "http://127.1/api",
            "http://2130706433/api",
            "http://0.0.0.0/api",
            "http://128.0.0.1/api",
            "http://10.0.0.1/api",
            "http://[::]/api",
            "http://[::ffff:127.0.0.1]/api",
            "http://platform.routy.app/api",
            "http://127.0.0.1.nip.io/api",
        ] {
            assert!(
                matches!(
                    BaseUrl::parse(refused),
                    Err(ConfigError::InsecureHttp { .. })
                ),
                "{refused} was accepted"
            );
            assert!(BaseUrl::parse_with(refused, true).is_ok(), "{refused}");
        }
    }

    #[test]
    fn joined_paths_stay_under_the_base() {
        let base = BaseUrl::parse("https://h.example/api").unwrap();
        for bad in [
            "v1/accounts",
            "//evil.example/x",
            "/v1/../../x",
            "/..",
            "/./x",
            "/%2e%2e/x",
            "/%2E./x",
            "/v1/x#frag",
            "/v1\\..\\x",
            "/v1/a b",
            "/v1/\r\nHost: evil",
        ] {
            let joined = base.join(bad);
            match &joined {
                Err(err) => assert!(matches!(err, RequestError::InvalidPath { .. }), "{err:?}"),
                Ok(uri) => {
                    assert_eq!(uri.host(), Some("h.example"), "{bad:?} -> {uri}");
                    assert!(uri.path().starts_with("/api/"), "{bad:?} -> {uri}");
                }
            }
            if bad.contains("..")
                || bad.contains("%2")
                || bad.contains('#')
                || !bad.starts_with('/')
            {
                assert!(joined.is_err(), "{bad:?} -> {joined:?}");
            }
        }
        // Dots inside a segment, and a query, are fine.
        let uri = base.join("/v1/a..b/.well?x=../y").unwrap();
        assert_eq!(uri, "https://h.example/api/v1/a..b/.well?x=../y");
    }

    #[test]
    fn a_path_is_ascii_and_says_how_to_be() {
        let base = BaseUrl::parse("https://h.example/api").unwrap();
        // http::Uri lets these through, but a request target is ASCII on
        // the wire (RFC 9112): sent raw, servers drop or garble them.
        for bad in ["/v1/accounts/Grüße", "/v1/x?name=é", "/v1/\u{7f}"] {
            match base.join(bad) {
                Err(RequestError::InvalidPath { reason }) => {
                    assert!(reason.contains("percent-encode"), "{reason}")
                }
                other => panic!("{bad:?} -> {other:?}"),
            }
        }
        let uri = base.join("/v1/accounts/Gr%C3%BC%C3%9Fe").unwrap();
        assert_eq!(uri.path(), "/api/v1/accounts/Gr%C3%BC%C3%9Fe");
    }
}
