//! [`ApiError`]: the API answered, with a non-success status. Everything
//! kept from the response is bounded and redacted.

use std::fmt;

use http::header::CONTENT_TYPE;
use http::{HeaderMap, Response, StatusCode};

use crate::defaults::SNIPPET_MAX_BYTES;
use crate::policy::retry::RetryAfter;
use crate::response::info::{redacted_headers, request_id};
use crate::response::problem::Problem;
use crate::response::rate_limit::RateLimit;
use crate::shown::redact::Redactor;
use crate::shown::text::{header_str, is_json, kept, one_line, snippet_of};

/// Longest server-provided text shown in an error's `Display`.
const DISPLAY_DETAIL_MAX: usize = 200;

/// Problem bodies larger than this are not parsed (real ones are small),
/// which bounds the redaction work a hostile error body can cause.
const MAX_PROBLEM_BYTES: usize = 64 * 1024;

/// Most of the body an error keeps (redacted), for [`ApiError::body`].
const BODY_MAX_BYTES: usize = 64 * 1024;

/// Most of the body an error's `Debug` shows.
const DEBUG_BODY_MAX: usize = 160;

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
/// let err = ApiError::from_response_unredacted(&response);
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
    rate_limit: Option<RateLimit>,
    content_type: Option<String>,
    /// The response's headers, each value redacted.
    headers: HeaderMap,
    /// Up to [`BODY_MAX_BYTES`] of the body, redacted.
    body: String,
    truncated: bool,
    hint: Option<&'static str>,
    /// Made by the client, not sent by the server: the call was held back
    /// for a spent rate-limit window and never sent.
    held: bool,
}

impl ApiError {
    /// Builds the error for `response`, whatever its status, keeping the
    /// server's text as sent. Prefer [`from_response`](Self::from_response)
    /// with the key the request was made with: a server that echoes the
    /// key would otherwise have it kept in the error.
    pub fn from_response_unredacted(response: &Response<Vec<u8>>) -> Self {
        Self::from_parts(
            response.status(),
            response.headers(),
            response.body(),
            Redactor::NONE,
        )
    }

    /// Builds the error for `response`, whatever its status, with any echo
    /// of `key` (or of any 8 bytes of it) redacted from everything kept:
    /// what the client's own calls do. Use it on responses from
    /// [`Client::execute_any_status`](crate::Client::execute_any_status).
    ///
    /// # Examples
    ///
    /// ```
    /// # use routy::{http, ApiError, ApiKey};
    /// let key = ApiKey::new("OaBw1+4DqFfDLXOLpWthbfp502Wc0D4tICsxNcT+aeQ=")?;
    /// let response = http::Response::builder()
    ///     .status(401)
    ///     .body(format!("you sent {}", key.expose_secret()).into_bytes())?;
    /// let err = ApiError::from_response(&response, &key);
    /// assert_eq!(err.body_snippet(), "you sent [redacted]");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_response(response: &Response<Vec<u8>>, key: &crate::auth::ApiKey) -> Self {
        Self::from_parts(
            response.status(),
            response.headers(),
            response.body(),
            key.redactor(),
        )
    }

    /// As [`from_response`](Self::from_response), with everything kept
    /// scrubbed by `redactor`.
    pub(crate) fn from_parts(
        status: StatusCode,
        headers: &HeaderMap,
        body: &[u8],
        redactor: Redactor<'_>,
    ) -> Self {
        let content_type = header_str(headers.get(CONTENT_TYPE)).map(|ct| kept(ct, 200, redactor));
        let problem = content_type
            .as_deref()
            .filter(|ct| is_json(ct) && body.len() <= MAX_PROBLEM_BYTES)
            .and_then(|_| serde_json::from_slice::<Problem>(&redactor.bytes(body)).ok())
            // JSON escapes can spell the token in ways the byte scan does
            // not see; the decoded strings are scrubbed again.
            .map(|problem| problem.redacted(redactor));
        let (body, truncated) = snippet_of(body, 0, BODY_MAX_BYTES, redactor);
        ApiError {
            status,
            kind: ApiErrorKind::from_status(status),
            problem,
            retry_after: RetryAfter::from_headers(headers),
            request_id: request_id(headers, redactor),
            rate_limit: RateLimit::from_headers(headers),
            content_type,
            headers: redacted_headers(headers, redactor),
            body,
            truncated,
            hint: None,
            held: false,
        }
    }

    /// The error of a call the client held back, unsent, because the
    /// server said the quota is spent until `retry_after` and the call
    /// could not wait that long: `429`, `RateLimited`, no body.
    pub(crate) fn held(retry_after: RetryAfter) -> Self {
        ApiError {
            status: StatusCode::TOO_MANY_REQUESTS,
            kind: ApiErrorKind::RateLimited,
            problem: None,
            retry_after: Some(retry_after),
            request_id: None,
            rate_limit: None,
            content_type: None,
            headers: HeaderMap::new(),
            body: String::new(),
            truncated: false,
            hint: None,
            held: true,
        }
    }

    /// Whether the client made this error itself, without sending: the
    /// call was held back for a rate-limit window the server said is
    /// spent, and could not wait until it opens (see
    /// [`ClientBuilder::quota_scope`](crate::ClientBuilder::quota_scope)).
    /// [`retry_after`](Self::retry_after) says when to come back.
    pub fn is_held(&self) -> bool {
        self.held
    }

    pub(crate) fn with_hint(mut self, hint: Option<&'static str>) -> Self {
        self.hint = hint;
        self
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The class of failure.
    pub fn kind(&self) -> ApiErrorKind {
        self.kind
    }

    /// The parsed problem details, when the body was JSON of that shape.
    pub fn problem(&self) -> Option<&Problem> {
        self.problem.as_ref()
    }

    /// The `Retry-After` the server sent, if any: when to try again. The
    /// call ends with it, unretried, when the server asks for longer than
    /// the [`RetryPolicy`](crate::RetryPolicy) waits or than the call's
    /// deadline allows; `Display` shows it as "(retry after 30 s)" or
    /// with the date the server gave.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// # use routy::{http, ApiError, RetryAfter};
    /// let response = http::Response::builder().status(503).header("retry-after", "2").body(Vec::new())?;
    /// assert_eq!(ApiError::from_response_unredacted(&response).retry_after(), Some(RetryAfter::Delay(Duration::from_secs(2))));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn retry_after(&self) -> Option<RetryAfter> {
        self.retry_after
    }

    /// The request id the server sent (`x-request-id`, `request-id` or
    /// `x-correlation-id`), else the problem's `traceId`.
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
    /// assert_eq!(ApiError::from_response_unredacted(&response).content_type(), Some("text/html"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn content_type(&self) -> Option<&str> {
        self.content_type.as_deref()
    }

    /// The response's headers as received, except that a value holding
    /// the key (as written or encoded) is redacted or withheld, as
    /// everything else kept from the response.
    ///
    /// # Examples
    ///
    /// ```
    /// # use routy::{http, ApiError, ApiKey};
    /// let key = ApiKey::new("OaBw1+4DqFfDLXOLpWthbfp502Wc0D4tICsxNcT+aeQ=")?;
    /// let response = http::Response::builder()
    ///     .status(403)
    ///     .header("x-policy", "reports-read")
    ///     .header("x-echo", key.expose_secret())
    ///     .body(Vec::new())?;
    /// let err = ApiError::from_response(&response, &key);
    /// assert_eq!(err.headers()["x-policy"], "reports-read");
    /// assert_eq!(err.headers()["x-echo"], "[redacted]");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The start of the body (at most [`SNIPPET_MAX_BYTES`](crate::defaults::SNIPPET_MAX_BYTES), lossily
    /// decoded as UTF-8).
    pub fn body_snippet(&self) -> &str {
        prefix(&self.body, SNIPPET_MAX_BYTES)
    }

    /// The body as kept: up to 64 KiB, lossily decoded as UTF-8, any
    /// spelling of the key redacted (withheld whole for an encoded one).
    /// `Debug` shows only its start.
    ///
    /// # Examples
    ///
    /// ```
    /// # use routy::{http, ApiError};
    /// let response = http::Response::builder().status(500).body(vec![b'x'; 10_000])?;
    /// let err = ApiError::from_response_unredacted(&response);
    /// assert_eq!(err.body().len(), 10_000);
    /// assert_eq!(err.body_snippet().len(), routy::defaults::SNIPPET_MAX_BYTES);
    /// assert!(format!("{err:?}").len() < 600);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn body(&self) -> &str {
        &self.body
    }

    /// Whether the body was longer than what [`body`](Self::body) kept.
    ///
    /// # Examples
    ///
    /// ```
    /// # use routy::{http, ApiError};
    /// let response = http::Response::builder().status(500).body(vec![b'x'; 100_000])?;
    /// assert!(ApiError::from_response_unredacted(&response).is_truncated());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_truncated(&self) -> bool {
        self.truncated
    }

    /// The rate-limit headers the response carried.
    ///
    /// # Examples
    ///
    /// ```
    /// # use routy::{http, ApiError};
    /// let response = http::Response::builder()
    ///     .status(429)
    ///     .header("x-ratelimit-remaining", "0")
    ///     .body(Vec::new())?;
    /// let limit = ApiError::from_response_unredacted(&response).rate_limit();
    /// assert_eq!(limit.and_then(|l| l.remaining), Some(0));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn rate_limit(&self) -> Option<RateLimit> {
        self.rate_limit
    }

    /// What the caller may have got wrong, for a 404 that looks like a
    /// mistake in the path or the base URL (also shown in `Display`).
    ///
    /// # Examples
    ///
    /// ```
    /// use routy::{http, ApiKey, Error};
    ///
    /// let client = routy::ClientBuilder::new()
    ///     .api_key(ApiKey::new("test-token")?)
    ///     .build_with(routy::transport_fn(|_req| {
    ///         Ok(http::Response::builder().status(404).body(Vec::new()).expect("valid"))
    ///     }))?;
    /// let err = client.get::<serde_json::Value>("/api/v1/accounts").unwrap_err();
    /// assert!(err.as_api().and_then(|e| e.hint()).is_some());
    /// assert_eq!(
    ///     err.to_string(),
    ///     "GET https://platform.routy.app/api/api/v1/accounts: api returned 404 not found \
    ///      (the path repeats the base url's own path: leave that part out of the path)"
    /// );
    /// # Ok::<(), routy::Error>(())
    /// ```
    pub fn hint(&self) -> Option<&'static str> {
        self.hint
    }

    /// The server's own words, if any: the problem's detail, else its
    /// title (redacted, as everything kept from the response). Show it
    /// with [`one_line`](crate::shown::text::one_line): it is the server's text.
    ///
    /// # Examples
    ///
    /// ```
    /// let response = routy::http::Response::builder()
    ///     .status(401)
    ///     .header("content-type", "application/problem+json")
    ///     .body(br#"{"title": "Unauthorized", "detail": "token expired"}"#.to_vec())?;
    /// let err = routy::ApiError::from_response_unredacted(&response);
    /// assert_eq!(err.server_message(), Some("token expired"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn server_message(&self) -> Option<&str> {
        let problem = self.problem.as_ref()?;
        problem.detail.as_deref().or(problem.title.as_deref())
    }
}

impl ApiError {
    /// The message, with the call's `attempts` said when there were
    /// several (what `routy::Error` shows).
    pub(crate) fn describe(&self, f: &mut fmt::Formatter<'_>, attempts: u32) -> fmt::Result {
        if self.held {
            f.write_str("not sent: the client held the call for the server's rate-limit window")?;
            if let Some(after) = self.retry_after {
                write!(f, " (retry after {after})")?;
            }
            return Ok(());
        }
        write!(f, "api returned {}", self.status.as_u16())?;
        if let Some(reason) = self.status.canonical_reason() {
            write!(f, " {}", reason.to_ascii_lowercase())?;
        }
        if attempts > 1 {
            write!(f, " after {attempts} attempts")?;
        }
        if let Some(message) = self.server_message() {
            write!(f, ": {}", one_line(message, DISPLAY_DETAIL_MAX))?;
        }
        if let Some(hint) = self.hint {
            write!(f, " ({hint})")?;
        }
        if let Some(after) = self.retry_after {
            write!(f, " (retry after {after})")?;
        }
        Ok(())
    }
}

/// What the API said: the status, the server's words and any hint. Where
/// the call was and how many attempts it made are the
/// [`Located`](crate::Located) error's.
impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.describe(f, 1)
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
            .field("rate_limit", &self.rate_limit)
            .field("content_type", &self.content_type)
            .field("body", &BodyStart(&self.body))
            .field("truncated", &self.truncated)
            .field("hint", &self.hint)
            .field("held", &self.held)
            .finish()
    }
}

impl std::error::Error for ApiError {}

/// The start of a kept body, for `Debug`: a test's failed `unwrap()` shows
/// a line, not a page.
pub(crate) struct BodyStart<'a>(pub(crate) &'a str);

impl fmt::Debug for BodyStart<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let start = prefix(self.0, DEBUG_BODY_MAX);
        if start.len() < self.0.len() {
            write!(f, "{start:?}… ({} bytes in all)", self.0.len())
        } else {
            write!(f, "{start:?}")
        }
    }
}

/// At most `max` bytes from the start of `text`, cut at a character.
fn prefix(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}
