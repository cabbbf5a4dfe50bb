//! What a caller puts in a request: a [`Body`], and the [`RequestError`]
//! for a request that cannot be built.

use http::header::CONTENT_TYPE;
use http::HeaderValue;
use serde::Serialize;

/// `application/json`: the `Accept` of every request and the type of a
/// [`Body::json`].
pub(crate) const ACCEPT_JSON: HeaderValue = HeaderValue::from_static("application/json");

/// A request body for [`Client::execute_any_status`](crate::Client::execute_any_status): bytes and their content type.
///
/// # Examples
///
/// ```
/// let body = routy::Body::json(&serde_json::json!({"name": "Reporting Script"}))?;
/// assert_eq!(body.content_type(), "application/json");
/// let text = routy::Body::new("text/csv", b"a,b\n1,2\n".to_vec())?;
/// assert_eq!(text.bytes(), b"a,b\n1,2\n");
/// # Ok::<(), routy::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Body {
    content_type: HeaderValue,
    bytes: Vec<u8>,
}

impl Body {
    /// `bytes` sent with `Content-Type: content_type`.
    ///
    /// # Errors
    ///
    /// [`RequestError::InvalidHeader`] when `content_type` is not a valid
    /// header value.
    pub fn new(content_type: &str, bytes: Vec<u8>) -> Result<Self, RequestError> {
        let content_type =
            HeaderValue::from_str(content_type).map_err(|_| RequestError::InvalidHeader {
                name: CONTENT_TYPE.to_string(),
            })?;
        Ok(Body {
            content_type,
            bytes,
        })
    }

    /// `value` serialised as JSON.
    ///
    /// # Errors
    ///
    /// [`RequestError::Serialize`] when `value` cannot be serialised.
    pub fn json<V: Serialize + ?Sized>(value: &V) -> Result<Self, RequestError> {
        let bytes = serde_json::to_vec(value).map_err(RequestError::Serialize)?;
        Ok(Body {
            content_type: ACCEPT_JSON,
            bytes,
        })
    }

    /// The content type.
    pub fn content_type(&self) -> &str {
        self.content_type.to_str().unwrap_or_default()
    }

    /// The bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    pub(crate) fn content_type_value(&self) -> &HeaderValue {
        &self.content_type
    }
}

/// Why a request could not be built.
///
/// # Examples
///
/// ```
/// let base = routy::BaseUrl::parse("https://platform.routy.app/api")?;
/// let err = base.join("v1/accounts").unwrap_err();
/// assert!(matches!(err, routy::RequestError::InvalidPath { .. }));
/// # Ok::<(), routy::Error>(())
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RequestError {
    /// The path cannot be joined to the base URL.
    #[error("invalid path: {reason}")]
    InvalidPath {
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The body could not be serialised to JSON.
    #[error("could not serialize the request body")]
    Serialize(#[source] serde_json::Error),
    /// A header name or value is invalid.
    #[error("invalid header {name:?}")]
    InvalidHeader {
        /// The header's name.
        name: String,
    },
    /// A header routy or the transport owns (`Authorization`, `Host`, the
    /// framing headers) was given in [`CallOptions`](crate::CallOptions).
    #[error("header {name:?} is set by routy and cannot be given per call")]
    ReservedHeader {
        /// The header's name.
        name: Box<str>,
    },
}
