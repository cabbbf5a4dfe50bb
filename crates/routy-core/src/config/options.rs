//! [`CallOptions`]: what one call may change about the client's settings
//! (its deadlines, its retry policy, extra headers) without building a
//! second client.

use std::time::Duration;

use http::header::{
    AUTHORIZATION, CONNECTION, CONTENT_LENGTH, HOST, PROXY_AUTHORIZATION, TE, TRANSFER_ENCODING,
    UPGRADE,
};
use http::{HeaderMap, HeaderName, HeaderValue};

use crate::config::{Config, ConfigError};
use crate::defaults::capped;
use crate::policy::retry::RetryPolicy;
use crate::request::RequestError;

/// Headers a caller may not set: routy owns the credential, and the
/// transport owns the framing.
const RESERVED: [HeaderName; 8] = [
    AUTHORIZATION,
    PROXY_AUTHORIZATION,
    HOST,
    CONTENT_LENGTH,
    TRANSFER_ENCODING,
    CONNECTION,
    TE,
    UPGRADE,
];

/// Settings for one call, over the client's: pass them to
/// [`Client::call_with`](crate::Client::call_with).
///
/// Unset settings keep the client's. Extra headers go with every attempt
/// to the client's origin and are dropped, like the key, when a redirect
/// leaves it. A header the client owns (`Authorization`, `Host`, the
/// framing headers) is refused when the call is made, as is a zero
/// timeout.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use routy::{http, ApiKey, CallOptions, RetryPolicy};
///
/// let client = routy::ClientBuilder::new()
///     .api_key(ApiKey::new("test-token")?)
///     .build_with(routy::transport_fn(|req| {
///         assert_eq!(req.headers()["x-correlation-id"], "batch-7");
///         Ok(http::Response::new(b"[]".to_vec()))
///     }))?;
/// let options = CallOptions::new()
///     .timeout(Duration::from_secs(2))
///     .call_timeout(Duration::from_secs(5))
///     .retry(RetryPolicy::none())
///     .header("x-correlation-id", "batch-7");
/// assert!(client.call_with(routy::endpoint::Accounts, &options)?.is_empty());
///
/// let refused = CallOptions::new().header("authorization", "Bearer x");
/// assert!(client.call_with(routy::endpoint::Accounts, &refused).is_err());
/// # Ok::<(), routy::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct CallOptions {
    timeout: Option<Option<Duration>>,
    call_timeout: Option<Option<Duration>>,
    retry: Option<RetryPolicy>,
    headers: HeaderMap,
    /// The first header that could not be used, reported when the call is
    /// made (so the builder chains without `?` at each step).
    invalid: Option<Refused>,
}

/// A header [`CallOptions::header`] could not use, by name.
#[derive(Debug, Clone)]
enum Refused {
    Invalid(String),
    Reserved(String),
}

impl Refused {
    fn error(&self) -> RequestError {
        match self {
            Refused::Invalid(name) => RequestError::InvalidHeader { name: name.clone() },
            Refused::Reserved(name) => RequestError::ReservedHeader {
                name: name.as_str().into(),
            },
        }
    }
}

/// The settings a call runs with: the client's, with a call's options
/// laid over them.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Settings<'a> {
    pub(crate) timeout: Option<Duration>,
    pub(crate) call_timeout: Option<Duration>,
    pub(crate) retry: &'a RetryPolicy,
    pub(crate) headers: Option<&'a HeaderMap>,
}

impl<'a> Settings<'a> {
    pub(crate) fn of(config: &'a Config) -> Self {
        Settings {
            timeout: config.limits.timeout,
            call_timeout: config.call_timeout,
            retry: &config.retry,
            headers: None,
        }
    }
}

/// Why [`CallOptions`] cannot apply: a setting that cannot work, or a
/// header that cannot be sent.
#[derive(Debug)]
pub(crate) enum Unusable {
    Config(ConfigError),
    Request(RequestError),
}

impl CallOptions {
    /// Options that change nothing.
    pub fn new() -> Self {
        CallOptions::default()
    }

    /// This call's per-attempt timeout (`None`: none), instead of the
    /// client's [`timeout`](crate::ClientBuilder::timeout). Longer than
    /// [`MAX_DURATION`](crate::defaults::MAX_DURATION) is cut to it.
    pub fn timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.timeout = Some(timeout.into().map(capped));
        self
    }

    /// This call's whole-call deadline (`None`: none), instead of the
    /// client's [`call_timeout`](crate::ClientBuilder::call_timeout).
    pub fn call_timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.call_timeout = Some(timeout.into().map(capped));
        self
    }

    /// This call's retry policy, instead of the client's. The client's
    /// retry budget still applies.
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = Some(policy);
        self
    }

    /// Adds a header to every attempt of this call (appended: a name may
    /// repeat). A name or value that is not valid, or a header routy or
    /// the transport owns, fails the call with
    /// [`RequestError::InvalidHeader`] or [`RequestError::ReservedHeader`].
    pub fn header(mut self, name: &str, value: &str) -> Self {
        if self.invalid.is_some() {
            return self;
        }
        let Ok(name) = HeaderName::try_from(name) else {
            self.invalid = Some(Refused::Invalid(
                crate::shown::text::one_line(name, 100).into_owned(),
            ));
            return self;
        };
        if RESERVED.contains(&name) {
            self.invalid = Some(Refused::Reserved(name.to_string()));
            return self;
        }
        match HeaderValue::try_from(value) {
            Ok(mut value) => {
                // Whatever it holds, no layer below logs it.
                value.set_sensitive(true);
                self.headers.append(name, value);
            }
            Err(_) => {
                self.invalid = Some(Refused::Invalid(name.to_string()));
            }
        }
        self
    }

    /// These options over `config`'s settings.
    pub(crate) fn over<'a>(&'a self, config: &'a Config) -> Result<Settings<'a>, Unusable> {
        if let Some(err) = &self.invalid {
            return Err(Unusable::Request(err.error()));
        }
        let mut settings = Settings::of(config);
        if let Some(timeout) = self.timeout {
            settings.timeout = timeout;
        }
        if let Some(timeout) = self.call_timeout {
            settings.call_timeout = timeout;
        }
        if settings.timeout.is_some_and(|t| t.is_zero())
            || settings.call_timeout.is_some_and(|t| t.is_zero())
        {
            return Err(Unusable::Config(ConfigError::ZeroTimeout));
        }
        if let Some(retry) = &self.retry {
            settings.retry = retry;
        }
        if !self.headers.is_empty() {
            settings.headers = Some(&self.headers);
        }
        Ok(settings)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Error;

    fn config() -> Config {
        crate::ClientBuilder::<()>::new()
            .api_key(crate::ApiKey::new("t0ken").unwrap())
            .build_with(crate::transport_fn(|_req| {
                Err(crate::TransportErrorKind::Connect.into())
            }))
            .unwrap()
            .config()
            .clone()
    }

    #[test]
    fn unset_options_keep_the_clients_settings() {
        let config = config();
        let options = CallOptions::new();
        let settings = options.over(&config).unwrap();
        assert_eq!(settings.timeout, config.timeout());
        assert_eq!(settings.call_timeout, config.call_timeout());
        assert!(settings.headers.is_none());
    }

    #[test]
    fn set_options_win_and_bad_ones_are_typed_errors() {
        let config = config();
        let options = CallOptions::new()
            .timeout(None)
            .call_timeout(Duration::from_secs(3))
            .header("x-a", "1")
            .header("x-a", "2");
        let settings = options.over(&config).unwrap();
        assert_eq!(settings.timeout, None);
        assert_eq!(settings.call_timeout, Some(Duration::from_secs(3)));
        assert_eq!(settings.headers.unwrap().get_all("x-a").iter().count(), 2);

        let reserved = CallOptions::new().header("Authorization", "ApiKey other");
        assert!(matches!(
            reserved.over(&config).map_err(Error::from),
            Err(Error::Request(RequestError::ReservedHeader { .. }))
        ));
        let bad = CallOptions::new().header("x-a", "line\nbreak");
        assert!(matches!(
            bad.over(&config).map_err(Error::from),
            Err(Error::Request(RequestError::InvalidHeader { .. }))
        ));
        let zero = CallOptions::new().timeout(Duration::ZERO);
        assert!(matches!(
            zero.over(&config).map_err(Error::from),
            Err(Error::Config(ConfigError::ZeroTimeout))
        ));
    }
}
