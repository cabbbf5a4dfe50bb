//! [`ApiError`]: the API answered, with a non-success status. Everything
//! kept from the response is bounded and redacted.

use std::fmt;

use http::header::CONTENT_TYPE;
use http::{HeaderMap, Response, StatusCode};

use crate::problem::Problem;
use crate::redact::Redactor;
use crate::retry::RetryAfter;
use crate::text::{header_str, is_json, one_line, snippet, truncate};

/// Longest server-provided text shown in an error's `Display`.
const DISPLAY_DETAIL_MAX: usize = 200;

/// Problem bodies larger than this are not parsed (real ones are small),
/// which bounds the redaction work a hostile error body can cause.
const MAX_PROBLEM_BYTES: usize = 64 * 1024;

/// Response headers that carry a request id, most specific first.
const REQUEST_ID_HEADERS: [&str; 3] = ["x-request-id", "request-id", "x-correlation-id"];

/// The class of an API failure, from the status code.
///
/// # Examples
///
/// ```
/// use routy::{http::StatusCode, ApiErrorKind};
///
/// assert_eq!(ApiErrorKind::from_status(StatusCode::UNAUTHORIZED), ApiErrorKind::Unauthorized);
/// assert_eq!(ApiErrorKind::from_status(StatusCode::BAD_GATEWAY), ApiErrorKind::Server);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ApiErrorKind {
    /// 401: the key is missing, invalid, expired or deleted.
    Unauthorized,
    /// 403: the key is valid but may not do this.
    Forbidden,
    /// 404 (and 410).
    NotFound,
    /// 409: the request conflicts with what exists (a duplicate, a stale
    /// version).
    Conflict,
    /// 400 and 422: the request was refused as invalid.
    Validation,
    /// 429: too many requests; see [`ApiError::retry_after`].
    RateLimited,
    /// 5xx.
    Server,
    /// Any other non-success status (including redirects not followed).
    Other,
}

impl ApiErrorKind {
    /// The kind of a non-success `status`.
    ///
    /// # Examples
    ///
    /// See [`ApiErrorKind`].
    pub fn from_status(status: StatusCode) -> Self {
        match status.as_u16() {
            400 | 422 => ApiErrorKind::Validation,
            401 => ApiErrorKind::Unauthorized,
            403 => ApiErrorKind::Forbidden,
            404 | 410 => ApiErrorKind::NotFound,
            409 => ApiErrorKind::Conflict,
            429 => ApiErrorKind::RateLimited,
            500..=599 => ApiErrorKind::Server,
            _ => ApiErrorKind::Other,
        }
    }
}

/// The API answered with a non-success status.
///
/// # Examples
///
/// ```
/// use routy::{http, ApiError, ApiErrorKind};
///
/// let response = http::Response::builder()
///     .status(429)
///     .header("retry-after", "7")
///     .header("x-request-id", "req-42")
///     .body(b"slow down".to_vec())?;
/// let err = ApiError::from_response(&response);
/// assert_eq!(err.kind(), ApiErrorKind::RateLimited);
/// assert_eq!(err.request_id(), Some("req-42"));
/// assert_eq!(err.body_snippet(), "slow down");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct ApiError {
    status: StatusCode,
    kind: ApiErrorKind,
    problem: Option<Problem>,
    retry_after: Option<RetryAfter>,
    request_id: Option<String>,
    content_type: Option<String>,
    snippet: String,
    truncated: bool,
    attempts: u32,
}

impl ApiError {
    /// Builds the error for `response`, whatever its status.
    ///
    /// # Examples
    ///
    /// See [`ApiError`].
    pub fn from_response(response: &Response<Vec<u8>>) -> Self {
        Self::from_parts(
            response.status(),
            response.headers(),
            response.body(),
            Redactor::NONE,
        )
    }

    /// As [`from_response`](Self::from_response), with any echo of `key`
    /// (or of any 8 bytes of it) redacted from everything kept: what the
    /// client's own calls do. Use it on responses from
    /// [`Client::raw`](crate::Client::raw).
    ///
    /// # Examples
    ///
    /// ```
    /// # use routy::{http, ApiError, ApiKey};
    /// let key = ApiKey::new("OaBw1+4DqFfDLXOLpWthbfp502Wc0D4tICsxNcT+aeQ=")?;
    /// let response = http::Response::builder()
    ///     .status(401)
    ///     .body(format!("you sent {}", key.expose_secret()).into_bytes())?;
    /// let err = ApiError::from_response_redacting(&response, &key);
    /// assert_eq!(err.body_snippet(), "you sent [redacted]");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_response_redacting(response: &Response<Vec<u8>>, key: &crate::ApiKey) -> Self {
        Self::from_parts(
            response.status(),
            response.headers(),
            response.body(),
            key.redactor(),
        )
    }

    /// As [`from_response`](Self::from_response), with everything kept
    /// vouched for by `redactor`.
    pub(crate) fn from_parts(
        status: StatusCode,
        headers: &HeaderMap,
        body: &[u8],
        redactor: Redactor<'_>,
    ) -> Self {
        let content_type =
            header_str(headers.get(CONTENT_TYPE)).map(|ct| redactor.vouch(&truncate(ct, 200)));
        let problem = content_type
            .as_deref()
            .filter(|ct| is_json(ct) && body.len() <= MAX_PROBLEM_BYTES)
            .and_then(|_| serde_json::from_slice::<Problem>(&redactor.bytes(body)).ok())
            // JSON escapes can spell the token in ways the byte scan does
            // not see; the decoded strings are vouched for again.
            .map(|problem| problem.redacted(redactor));
        let request_id = REQUEST_ID_HEADERS
            .iter()
            .find_map(|name| header_str(headers.get(*name)))
            .map(|id| redactor.vouch(&truncate(id, 200)));
        let (snippet, truncated) = snippet(body, 0, redactor);
        ApiError {
            status,
            kind: ApiErrorKind::from_status(status),
            problem,
            retry_after: RetryAfter::from_headers(headers),
            request_id,
            content_type,
            snippet,
            truncated,
            attempts: 1,
        }
    }

    pub(crate) fn with_attempts(mut self, attempts: u32) -> Self {
        self.attempts = attempts;
        self
    }

    /// How many attempts the call made; this error is the last one's.
    ///
    /// # Examples
    ///
    /// ```
    /// # use routy::{http, ApiError};
    /// let response = http::Response::builder().status(503).body(Vec::new())?;
    /// assert_eq!(ApiError::from_response(&response).attempts(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// The HTTP status.
    ///
    /// # Examples
    ///
    /// See [`ApiError`].
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The class of failure.
    ///
    /// # Examples
    ///
    /// See [`ApiError`].
    pub fn kind(&self) -> ApiErrorKind {
        self.kind
    }

    /// The parsed problem details, when the body was JSON of that shape.
    ///
    /// # Examples
    ///
    /// See [`Error`](crate::Error).
    pub fn problem(&self) -> Option<&Problem> {
        self.problem.as_ref()
    }

    /// The `Retry-After` the server sent, if any.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// # use routy::{http, retry::RetryAfter, ApiError};
    /// let response = http::Response::builder().status(503).header("retry-after", "2").body(Vec::new())?;
    /// assert_eq!(ApiError::from_response(&response).retry_after(), Some(RetryAfter::Delay(Duration::from_secs(2))));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn retry_after(&self) -> Option<RetryAfter> {
        self.retry_after
    }

    /// The request id the server sent (`x-request-id`, `request-id` or
    /// `x-correlation-id`), else the problem's `traceId`.
    ///
    /// # Examples
    ///
    /// See [`ApiError`].
    pub fn request_id(&self) -> Option<&str> {
        self.request_id
            .as_deref()
            .or_else(|| self.problem.as_ref()?.trace_id.as_deref())
    }

    /// The response's `Content-Type`.
    ///
    /// # Examples
    ///
    /// ```
    /// # use routy::{http, ApiError};
    /// let response = http::Response::builder().status(500).header("content-type", "text/html").body(Vec::new())?;
    /// assert_eq!(ApiError::from_response(&response).content_type(), Some("text/html"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn content_type(&self) -> Option<&str> {
        self.content_type.as_deref()
    }

    /// The start of the body (at most [`SNIPPET_MAX_BYTES`](crate::text::SNIPPET_MAX_BYTES), lossily
    /// decoded as UTF-8).
    ///
    /// # Examples
    ///
    /// See [`ApiError`].
    pub fn body_snippet(&self) -> &str {
        &self.snippet
    }

    /// Whether the body was longer than the snippet.
    ///
    /// # Examples
    ///
    /// ```
    /// # use routy::{http, ApiError};
    /// let response = http::Response::builder().status(500).body(vec![b'x'; 10_000])?;
    /// assert!(ApiError::from_response(&response).is_truncated());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_truncated(&self) -> bool {
        self.truncated
    }

    /// The server's own words, if any: the problem's detail, else its
    /// title (redacted, as everything kept from the response). Show it
    /// with [`one_line`](crate::text::one_line): it is the server's text.
    ///
    /// # Examples
    ///
    /// ```
    /// let response = routy::http::Response::builder()
    ///     .status(401)
    ///     .header("content-type", "application/problem+json")
    ///     .body(br#"{"title": "Unauthorized", "detail": "token expired"}"#.to_vec())?;
    /// let err = routy::ApiError::from_response(&response);
    /// assert_eq!(err.server_message(), Some("token expired"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn server_message(&self) -> Option<&str> {
        let problem = self.problem.as_ref()?;
        problem.detail.as_deref().or(problem.title.as_deref())
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "api returned {}", self.status.as_u16())?;
        if let Some(reason) = self.status.canonical_reason() {
            write!(f, " {}", reason.to_ascii_lowercase())?;
        }
        if let Some(message) = self.server_message() {
            write!(f, ": {}", one_line(message, DISPLAY_DETAIL_MAX))?;
        }
        Ok(())
    }
}

impl fmt::Debug for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiError")
            .field("status", &self.status)
            .field("kind", &self.kind)
            .field("problem", &self.problem)
            .field("retry_after", &self.retry_after)
            .field("request_id", &self.request_id)
            .field("content_type", &self.content_type)
            .field("snippet", &self.snippet)
            .field("truncated", &self.truncated)
            .field("attempts", &self.attempts)
            .finish()
    }
}

impl std::error::Error for ApiError {}
