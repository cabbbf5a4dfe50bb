//! The one error type callers handle, and the smaller errors it wraps.
//!
//! Messages are short and lowercase and do not repeat their cause (walk
//! `source()` for that). None of them ever contains the API key.

pub(crate) mod call_site;
pub(crate) mod located;

pub use located::Located;

use std::fmt;

use http::Method;

use crate::auth::key::KeyError;
use crate::config::ConfigError;
use crate::error::call_site::CallSite;
use crate::policy::is_idempotent;
use crate::policy::redirect::{RedirectError, RedirectErrorKind};
use crate::request::RequestError;
use crate::response::api_error::ApiError;
use crate::response::decode::DecodeError;
use crate::response::IncompleteList;
use crate::transport::{TransportError, TransportErrorKind};

/// Everything that can go wrong in a routy call.
///
/// # Examples
///
/// ```
/// use routy::{http, ApiErrorKind, ApiKey, Client, Error, TransportError};
///
/// let client = routy::ClientBuilder::new()
///     .api_key(ApiKey::new("revoked-token")?)
///     .build_with(routy::transport_fn(|_req| {
///         Ok(http::Response::builder()
///             .status(401)
///             .header("content-type", "application/problem+json")
///             .body(br#"{"title":"Unauthorized","status":401,"detail":"token expired"}"#.to_vec())
///             .expect("static response is valid"))
///     }))?;
/// match client.accounts() {
///     Err(Error::Api(err)) if err.kind() == ApiErrorKind::Unauthorized => {
///         assert_eq!(err.problem().and_then(|p| p.detail.as_deref()), Some("token expired"));
///     }
///     other => panic!("expected a 401, got {other:?}"),
/// }
/// # Ok::<(), routy::Error>(())
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The API key could not be loaded or is malformed. Nothing was sent.
    Key(KeyError),
    /// The client configuration is invalid. Nothing was sent.
    Config(ConfigError),
    /// The request could not be built (a bad path, a body that will not
    /// serialise, a reserved header). Nothing was sent.
    Request(RequestError),
    /// No response was received: connection, TLS, timeout, protocol or size
    /// failure.
    Transport(Located<TransportError>),
    /// The API answered with a non-success status.
    Api(Located<ApiError>),
    /// A success response did not have the expected shape.
    Decode(Located<DecodeError>),
    /// A redirect was refused (too many, https to http, a bad `Location`).
    Redirect(Located<RedirectError>),
    /// A list response said there is more than it holds (a next link, a
    /// total above its count): routy returns no partial list.
    IncompleteList(Located<IncompleteList>),
    /// A named profile could not be used: a bad config file, a missing
    /// profile, a key command that failed. Nothing was sent. Profiles are
    /// routy-profile's (`routy::profile`, feature `profiles`); the error
    /// inside is its `ProfileError`, to downcast to for the detail.
    Profile(Box<dyn std::error::Error + Send + Sync>),
    /// A driver gave the call machine (`call::Call`) an event it was not
    /// waiting for: a bug in the driver, not the server's or the
    /// network's. The call is over.
    OutOfOrder {
        /// The event the machine was waiting for.
        expected: &'static str,
    },
}

/// `{}` says what failed and where on its own: the method and URL (query
/// values that could be secrets hidden), what went wrong, and the attempts
/// when there were several. `source()` adds the detail below that, never
/// repeating it.
impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(site) = self.site() {
            write!(f, "{site}: ")?;
        }
        match self {
            Error::Key(err) => write!(f, "{err}"),
            Error::Config(err) => write!(f, "invalid client configuration: {err}"),
            Error::Request(err) => write!(f, "invalid request: {err}"),
            Error::Transport(err) => self.describe_transport(f, err),
            Error::Api(err) => err.describe(f, err.attempts()),
            Error::Decode(err) => write!(f, "{}", err.error()),
            Error::Redirect(err) => write!(f, "{}", err.error()),
            Error::IncompleteList(err) => write!(f, "{}", err.error()),
            Error::Profile(err) => write!(f, "{err}"),
            Error::OutOfOrder { expected } => {
                write!(f, "call driven out of order: expected the {expected} event")
            }
        }
    }
}

impl From<crate::config::options::Unusable> for Error {
    fn from(err: crate::config::options::Unusable) -> Self {
        match err {
            crate::config::options::Unusable::Config(err) => Error::Config(err),
            crate::config::options::Unusable::Request(err) => Error::Request(err),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        // The inner error's own text is already in `Display`: its causes
        // come next.
        match self {
            Error::Key(err) => err.source(),
            Error::Config(err) => err.source(),
            Error::Request(err) => err.source(),
            // A deadline of the client's is the whole story of a timeout:
            // said in the message, and no cause after it.
            Error::Transport(err) if err.deadline().is_some() => None,
            // Its first cause is in `Display` already.
            Error::Transport(err) => err.error().source().and_then(|cause| cause.source()),
            Error::Api(err) => err.error().source(),
            Error::Decode(err) => err.error().source(),
            Error::Redirect(err) => err.error().source(),
            Error::IncompleteList(err) => err.error().source(),
            Error::Profile(err) => err.source(),
            Error::OutOfOrder { .. } => None,
        }
    }
}

impl Error {
    /// A transport failure in words: routy's word for it, the attempts
    /// and the deadline that passed; the transport's own words for its
    /// cause (one line, bounded), so `{e}` says why without `source()`;
    /// and, when a request that is not safe to repeat may have reached
    /// the server, that it may have been applied.
    fn describe_transport(
        &self,
        f: &mut fmt::Formatter<'_>,
        err: &Located<TransportError>,
    ) -> fmt::Result {
        err.describe(f, err.attempts(), err.deadline())?;
        if err.deadline().is_none() {
            if let Some(cause) = std::error::Error::source(err.error()) {
                write!(
                    f,
                    ": {}",
                    crate::shown::text::one_line(&cause.to_string(), 300)
                )?;
            }
        }
        let reached = !matches!(
            err.kind(),
            TransportErrorKind::Connect | TransportErrorKind::Tls
        );
        match self.method() {
            Some(method) if reached && !is_idempotent(method) => write!(
                f,
                "; the {method} may have been applied: check before sending it again"
            ),
            _ => Ok(()),
        }
    }

    /// The API error, when the API answered with a non-success status.
    pub fn as_api(&self) -> Option<&Located<ApiError>> {
        match self {
            Error::Api(err) => Some(err),
            _ => None,
        }
    }

    /// How many attempts the call made (1 when it was not retried, 0 when
    /// nothing was sent).
    ///
    /// # Examples
    ///
    /// ```
    /// let err = routy::Error::from(routy::ConfigError::MissingApiKey);
    /// assert_eq!(err.attempts(), 0);
    /// ```
    pub fn attempts(&self) -> u32 {
        match self {
            Error::Api(err) => err.attempts(),
            Error::Transport(err) => err.attempts(),
            Error::Decode(err) => err.attempts(),
            Error::Redirect(err) => err.attempts(),
            Error::IncompleteList(err) => err.attempts(),
            Error::Key(_) | Error::Config(_) | Error::Request(_) => 0,
            Error::Profile(_) | Error::OutOfOrder { .. } => 0,
        }
    }

    /// The method of the call that failed; `None` when nothing was sent.
    ///
    /// # Examples
    ///
    /// ```
    /// use routy::{http, ApiKey, TransportErrorKind};
    ///
    /// let client = routy::ClientBuilder::new()
    ///     .api_key(ApiKey::new("test-token")?)
    ///     .build_with(routy::transport_fn(|_req| Err(TransportErrorKind::Connect.into())))?;
    /// let err = client.get::<serde_json::Value>("/v1/accounts?page=2&token=abc").unwrap_err();
    /// assert_eq!(err.method(), Some(&http::Method::GET));
    /// assert_eq!(
    ///     err.url(),
    ///     Some("https://platform.routy.app/api/v1/accounts?page=2&token=[hidden]")
    /// );
    /// assert_eq!(
    ///     err.to_string(),
    ///     "GET https://platform.routy.app/api/v1/accounts?page=2&token=[hidden]: \
    ///      connection failed after 3 attempts"
    /// );
    /// # Ok::<(), routy::Error>(())
    /// ```
    pub fn method(&self) -> Option<&Method> {
        self.site().map(CallSite::method)
    }

    /// The URL of the call that failed (where redirects led, if they
    /// did), with the value of any query parameter whose name could hold a
    /// secret hidden and any spelling of the key redacted; `None` when
    /// nothing was sent.
    pub fn url(&self) -> Option<&str> {
        self.site().map(CallSite::url)
    }

    /// This error, with where its call was (`site`, after `attempts`)
    /// when that is not said yet: the one way context is attached, by the
    /// call machine to what it ends with and by the client to what an
    /// endpoint's `parse` returns. Errors raised before anything was sent
    /// carry none.
    pub(crate) fn located(self, site: CallSite, attempts: u32) -> Self {
        match self {
            Error::Transport(err) => Error::Transport(err.at(site, attempts)),
            Error::Api(err) => Error::Api(err.at(site, attempts)),
            Error::Decode(err) => Error::Decode(err.at(site, attempts)),
            Error::Redirect(err) => Error::Redirect(err.at(site, attempts)),
            Error::IncompleteList(err) => Error::IncompleteList(err.at(site, attempts)),
            other => other,
        }
    }

    fn site(&self) -> Option<&CallSite> {
        match self {
            Error::Api(err) => err.site(),
            Error::Transport(err) => err.site(),
            Error::Decode(err) => err.site(),
            Error::Redirect(err) => err.site(),
            Error::IncompleteList(err) => err.site(),
            _ => None,
        }
    }

    /// The transport error, when no response was received.
    ///
    /// # Examples
    ///
    /// ```
    /// let err = routy::Error::from(routy::TransportError::new(
    ///     routy::TransportErrorKind::Timeout,
    /// ));
    /// assert!(err.as_transport().is_some_and(|t| t.is_timeout()));
    /// ```
    pub fn as_transport(&self) -> Option<&Located<TransportError>> {
        match self {
            Error::Transport(err) => Some(err),
            _ => None,
        }
    }
}

impl From<KeyError> for Error {
    fn from(err: KeyError) -> Self {
        Error::Key(err)
    }
}

impl From<ConfigError> for Error {
    fn from(err: ConfigError) -> Self {
        Error::Config(err)
    }
}

impl From<RequestError> for Error {
    fn from(err: RequestError) -> Self {
        Error::Request(err)
    }
}

impl From<TransportError> for Error {
    fn from(err: TransportError) -> Self {
        Error::Transport(err.into())
    }
}

impl From<RedirectError> for Error {
    fn from(err: RedirectError) -> Self {
        Error::Redirect(err.into())
    }
}

impl From<RedirectErrorKind> for Error {
    fn from(kind: RedirectErrorKind) -> Self {
        Error::Redirect(RedirectError::from(kind).into())
    }
}

impl From<IncompleteList> for Error {
    fn from(err: IncompleteList) -> Self {
        Error::IncompleteList(err.into())
    }
}

impl From<ApiError> for Error {
    fn from(err: ApiError) -> Self {
        Error::Api(err.into())
    }
}

impl From<DecodeError> for Error {
    fn from(err: DecodeError) -> Self {
        Error::Decode(err.into())
    }
}

/// `err` and every cause in its `source()` chain, joined with `: ` on one
/// line: what to print or log for any error, routy's or a transport's.
/// routy's messages are written not to repeat their causes, so nothing
/// shows twice.
///
/// # Examples
///
/// ```
/// let err = routy::Error::from(routy::TransportError::with_source(
///     routy::TransportErrorKind::Connect,
///     std::io::Error::from(std::io::ErrorKind::ConnectionRefused),
/// ));
/// assert_eq!(routy::error_chain(&err), "connection failed: connection refused");
/// ```
pub fn error_chain(err: &dyn std::error::Error) -> String {
    let mut line = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        line.push_str(": ");
        line.push_str(&cause.to_string());
        source = cause.source();
    }
    line
}
