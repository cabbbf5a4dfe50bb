//! A client's settings, fixed at build time: the base URL, the headers
//! every request carries, limits, deadlines, the retry and redirect
//! policies; and the [`ConfigError`] for settings that cannot work.

pub(crate) mod base_url;
#[cfg(feature = "ca")]
pub(crate) mod ca;
pub(crate) mod options;

pub use base_url::{is_loopback_host, BaseUrl, BASE_URL_ENV};
#[cfg(feature = "ca")]
pub use ca::{CaRoots, CaSource};
pub use options::CallOptions;

use std::fmt;
use std::time::Duration;

use http::HeaderValue;

use crate::defaults::{
    DEFAULT_CALL_TIMEOUT, DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_QUOTA_HOLD, DEFAULT_MAX_REDIRECTS,
    DEFAULT_RETRY_BUDGET, DEFAULT_TIMEOUT, MAX_CA_FILE_BYTES, USER_AGENT,
};
use crate::policy::retry::RetryPolicy;
use crate::policy::QuotaScope;
use crate::transport::RequestLimits;

/// Everything a client needs besides its key and transport. Built by
/// [`ClientBuilder`](crate::ClientBuilder); read it back with [`Client::config`](crate::Client::config).
///
/// # Examples
///
/// ```
/// let config = routy::ClientBuilder::new().build_config()?;
/// assert_eq!(config.base_url().to_string(), "https://platform.routy.app/api");
/// assert_eq!(config.timeout(), Some(routy::defaults::DEFAULT_TIMEOUT));
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
    pub(crate) quota_scope: QuotaScope,
    pub(crate) pace: bool,
    pub(crate) max_quota_hold: Duration,
}

/// Every default: what `ClientBuilder::new().build_config()` gives.
///
/// # Examples
///
/// ```
/// let config = routy::Config::default();
/// assert_eq!(config.base_url().to_string(), routy::defaults::DEFAULT_BASE_URL);
/// assert_eq!(config.call_timeout(), Some(routy::defaults::DEFAULT_CALL_TIMEOUT));
/// ```
impl Default for Config {
    fn default() -> Self {
        Config {
            base_url: BaseUrl::default_url(),
            user_agent: HeaderValue::from_static(USER_AGENT),
            limits: RequestLimits::new(DEFAULT_MAX_BODY_BYTES, Some(DEFAULT_TIMEOUT)),
            call_timeout: Some(DEFAULT_CALL_TIMEOUT),
            retry: RetryPolicy::default(),
            retry_budget: DEFAULT_RETRY_BUDGET,
            max_redirects: DEFAULT_MAX_REDIRECTS,
            quota_scope: QuotaScope::default(),
            pace: false,
            max_quota_hold: DEFAULT_MAX_QUOTA_HOLD,
        }
    }
}

impl Config {
    /// The base URL every path is joined to.
    pub fn base_url(&self) -> &BaseUrl {
        &self.base_url
    }

    /// The `User-Agent` header value.
    ///
    /// # Examples
    ///
    /// ```
    /// let config = routy::ClientBuilder::new().app_name("report-job/2.1").build_config()?;
    /// assert!(config.user_agent().ends_with(" report-job/2.1"));
    /// # Ok::<(), routy::Error>(())
    /// ```
    pub fn user_agent(&self) -> &str {
        self.user_agent.to_str().unwrap_or(USER_AGENT)
    }

    /// The deadline of one HTTP exchange.
    pub fn timeout(&self) -> Option<Duration> {
        self.limits.timeout
    }

    /// The cap on a response body, after decompression.
    ///
    /// # Examples
    ///
    /// ```
    /// let config = routy::ClientBuilder::new().max_body_bytes(1 << 20).build_config()?;
    /// assert_eq!(config.max_body_bytes(), 1 << 20);
    /// # Ok::<(), routy::Error>(())
    /// ```
    pub fn max_body_bytes(&self) -> u64 {
        self.limits.max_body_bytes
    }

    /// The deadline of a whole call, retries and redirects included.
    pub fn call_timeout(&self) -> Option<Duration> {
        self.call_timeout
    }

    /// The retry policy.
    ///
    /// # Examples
    ///
    /// ```
    /// # use routy::{ClientBuilder, RetryPolicy};
    /// let config = ClientBuilder::new().retry(RetryPolicy::none()).build_config()?;
    /// assert_eq!(config.retry().attempts(), 1);
    /// # Ok::<(), routy::Error>(())
    /// ```
    pub fn retry(&self) -> &RetryPolicy {
        &self.retry
    }

    /// The most redirects one call follows.
    pub fn max_redirects(&self) -> u32 {
        self.max_redirects
    }

    /// The limits attached to every request.
    pub fn limits(&self) -> RequestLimits {
        self.limits
    }

    /// Which calls a spent quota holds back
    /// ([`ClientBuilder::quota_scope`](crate::ClientBuilder::quota_scope)).
    pub fn quota_scope(&self) -> QuotaScope {
        self.quota_scope
    }

    /// Whether calls are paced over what is left of the server's window
    /// ([`ClientBuilder::pace`](crate::ClientBuilder::pace)).
    pub fn paces(&self) -> bool {
        self.pace
    }

    /// The longest one word of the server holds calls back
    /// ([`ClientBuilder::max_quota_hold`](crate::ClientBuilder::max_quota_hold)).
    pub fn quota_hold_limit(&self) -> Duration {
        self.max_quota_hold
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
            .field("quota_scope", &self.quota_scope)
            .field("pace", &self.pace)
            .field("max_quota_hold", &self.max_quota_hold)
            .finish()
    }
}

/// Reads a PEM file of CA certificates for a transport's custom roots
/// (what every transport's `ca_file` does): a regular file only, at most
/// [`MAX_CA_FILE_BYTES`], so a path to a FIFO or a device that never
/// ends cannot hang the build.
///
/// # Errors
///
/// [`ConfigError::CaCertificates`] naming the path and what is wrong (it
/// cannot be opened or read, or it is too large); never its contents.
///
/// # Examples
///
/// ```
/// let err = routy::transport::read_ca_file("/dev/zero".as_ref()).unwrap_err();
/// assert!(err.to_string().contains("/dev/zero: is a character device, not a regular file"), "{err}");
/// ```
pub fn read_ca_file(path: &std::path::Path) -> Result<Vec<u8>, ConfigError> {
    let mut pem = Vec::new();
    crate::file::read_regular(path, MAX_CA_FILE_BYTES, &mut pem).map_err(|e| {
        ConfigError::CaCertificates {
            what: format!("{}: {e}", crate::shown::text::shown_path(path)).into(),
        }
    })?;
    Ok(pem)
}

/// Why a client could not be built.
///
/// # Examples
///
/// ```
/// let err = routy::BaseUrl::parse("http://example.com/api").unwrap_err();
/// assert!(matches!(err, routy::ConfigError::InsecureHttp { .. }));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// No API key was given to the builder.
    #[error("no api key was configured")]
    MissingApiKey,
    /// The base URL is malformed.
    #[error("invalid base url: {reason}")]
    InvalidBaseUrl {
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The base URL is plain `http://` to a host that is not loopback.
    #[error("refusing plain http to {host}: the api key would cross the network unencrypted (use https, or allow_insecure_http)")]
    InsecureHttp {
        /// The refused host.
        host: String,
    },
    /// The app name cannot go in a `User-Agent` header.
    #[error("app name is not a valid header value")]
    InvalidAppName,
    /// A zero timeout would fail every request.
    #[error("timeout must be greater than zero")]
    ZeroTimeout,
    /// The CA certificates a transport was told to trust cannot be used
    /// (an unreadable file, no certificate in it, a malformed one).
    #[error("cannot use the ca certificates from {what}")]
    CaCertificates {
        /// Where they were to come from (a path, or "PEM bytes") and what
        /// is wrong, as `FROM: REASON` (one boxed field keeps [`Error`]
        /// small).
        ///
        /// [`Error`]: crate::Error
        what: Box<str>,
    },
}
