//! The one error type callers handle, and the smaller errors it wraps.
//!
//! Messages are short and lowercase and do not repeat their cause (walk
//! `source()` for that). None of them ever contains the API key.

use crate::api_error::ApiError;
use crate::config::ConfigError;
use crate::decode::DecodeError;
use crate::key::KeyError;
use crate::redirect::RedirectError;
use crate::request::RequestError;
use crate::transport::TransportError;

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
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The API key could not be loaded or is malformed. Nothing was sent.
    #[error("no usable api key")]
    Key(#[from] KeyError),
    /// The client configuration is invalid. Nothing was sent.
    #[error("invalid client configuration")]
    Config(#[from] ConfigError),
    /// The request could not be built (a bad path, a body that will not
    /// serialise). Nothing was sent.
    #[error("invalid request")]
    Request(#[from] RequestError),
    /// No response was received: connection, TLS, timeout, protocol or size
    /// failure.
    #[error("request failed")]
    Transport(#[from] TransportError),
    /// The API answered with a non-success status.
    #[error("{0}")]
    Api(Box<ApiError>),
    /// A success response did not have the expected shape.
    #[error("could not decode response")]
    Decode(#[source] Box<DecodeError>),
    /// A redirect was refused (too many, https to http, a bad `Location`).
    #[error("redirect refused")]
    Redirect(#[from] RedirectError),
}

impl Error {
    /// The API error, when the API answered with a non-success status.
    ///
    /// # Examples
    ///
    /// See [`Error`].
    pub fn as_api(&self) -> Option<&ApiError> {
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
            Error::Decode(_) | Error::Redirect(_) => 1,
            Error::Key(_) | Error::Config(_) | Error::Request(_) => 0,
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
    pub fn as_transport(&self) -> Option<&TransportError> {
        match self {
            Error::Transport(err) => Some(err),
            _ => None,
        }
    }
}

impl From<ApiError> for Error {
    fn from(err: ApiError) -> Self {
        Error::Api(Box::new(err))
    }
}

impl From<DecodeError> for Error {
    fn from(err: DecodeError) -> Self {
        Error::Decode(Box::new(err))
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
/// assert_eq!(routy::error_chain(&err), "request failed: connection failed: connection refused");
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
