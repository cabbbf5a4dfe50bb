//! Turning `http::Response`s into values or typed errors: status
//! classification, RFC 9457 problem details, `Retry-After`, and JSON decoding
//! whose errors say what was expected and where.
//!
//! Error bodies may be hostile: everything kept from them is bounded, and any
//! echo of the caller's token is redacted before it is stored.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::time::{Duration, SystemTime};

use http::header::{CONTENT_TYPE, RETRY_AFTER};
use http::{HeaderMap, HeaderValue, Response, StatusCode};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};

use crate::redact::{Redactor, REDACT_WINDOW, WITHHELD};

/// The most bytes of a response body kept in an error.
pub const SNIPPET_MAX_BYTES: usize = 2048;

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
    /// 409.
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

/// An RFC 9457 problem details body (`application/problem+json`), with the
/// extensions ASP.NET adds (`traceId`, a validation `errors` map) and any
/// other members kept.
///
/// # Examples
///
/// ```
/// let problem: routy::Problem = serde_json::from_str(r#"{
///     "type": "https://tools.ietf.org/html/rfc9110#section-15.5.1",
///     "title": "One or more validation errors occurred.",
///     "status": 400,
///     "errors": {"Name": ["The name must be 2 to 50 characters."]},
///     "traceId": "00-abc-def-00",
///     "tenant": "acme"
/// }"#)?;
/// assert_eq!(problem.errors["Name"][0], "The name must be 2 to 50 characters.");
/// assert_eq!(problem.trace_id.as_deref(), Some("00-abc-def-00"));
/// assert_eq!(problem.extensions["tenant"], "acme");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Problem {
    /// A URI identifying the problem type.
    #[serde(
        rename = "type",
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient_string"
    )]
    pub type_uri: Option<String>,
    /// A short summary of the problem type.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient_string"
    )]
    pub title: Option<String>,
    /// The status code the server meant.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient_status"
    )]
    pub status: Option<u16>,
    /// What went wrong this time.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient_string"
    )]
    pub detail: Option<String>,
    /// A URI identifying this occurrence.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient_string"
    )]
    pub instance: Option<String>,
    /// ASP.NET's trace id, to quote to support.
    #[serde(
        rename = "traceId",
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient_string"
    )]
    pub trace_id: Option<String>,
    /// Validation errors by field (ASP.NET's `errors` map).
    #[serde(
        default,
        skip_serializing_if = "BTreeMap::is_empty",
        deserialize_with = "lenient_errors"
    )]
    pub errors: BTreeMap<String, Vec<String>>,
    /// Every other member, as sent.
    #[serde(flatten)]
    pub extensions: serde_json::Map<String, serde_json::Value>,
}

impl Problem {
    /// This problem with every string in it vouched for by `redactor`.
    fn redacted(mut self, redactor: Redactor<'_>) -> Self {
        let fix = |text: &mut String| *text = redactor.vouch(text);
        let texts = [
            &mut self.type_uri,
            &mut self.title,
            &mut self.detail,
            &mut self.instance,
            &mut self.trace_id,
        ];
        texts.into_iter().flatten().for_each(fix);
        // Rebuilt by insertion (not collect), which reuses the map code the
        // decoder already needs instead of instantiating bulk building.
        let mut errors = BTreeMap::new();
        for (mut field, mut messages) in std::mem::take(&mut self.errors) {
            fix(&mut field);
            messages.iter_mut().for_each(fix);
            errors.insert(field, messages);
        }
        self.errors = errors;
        let mut extensions = serde_json::Map::new();
        for (name, value) in std::mem::take(&mut self.extensions) {
            extensions.insert(redactor.vouch(&name), redact_value(value, redactor));
        }
        self.extensions = extensions;
        self
    }
}

fn redact_value(value: serde_json::Value, redactor: Redactor<'_>) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::String(text) => Value::String(redactor.vouch(&text)),
        Value::Array(items) => Value::Array(
            items
                .into_iter()
                .map(|v| redact_value(v, redactor))
                .collect(),
        ),
        Value::Object(map) => {
            let mut out = serde_json::Map::new();
            for (k, v) in map {
                out.insert(redactor.vouch(&k), redact_value(v, redactor));
            }
            Value::Object(out)
        }
        other => other,
    }
}

fn lenient_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match serde_json::Value::deserialize(d)? {
        serde_json::Value::String(s) => Some(s),
        _ => None,
    })
}

fn lenient_status<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u16>, D::Error> {
    let value = serde_json::Value::deserialize(d)?;
    Ok(match value {
        serde_json::Value::Number(n) => n.as_u64().and_then(|n| u16::try_from(n).ok()),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    })
}

/// Accepts `{"field": ["msg", …]}` and `{"field": "msg"}`; anything else is
/// dropped rather than failing the whole problem.
fn lenient_errors<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<BTreeMap<String, Vec<String>>, D::Error> {
    let value = serde_json::Value::deserialize(d)?;
    let mut out = BTreeMap::new();
    if let serde_json::Value::Object(map) = value {
        for (field, messages) in map {
            let messages = match messages {
                serde_json::Value::String(s) => vec![s],
                serde_json::Value::Array(items) => items
                    .into_iter()
                    .map(|m| match m {
                        serde_json::Value::String(s) => s,
                        other => other.to_string(),
                    })
                    .collect(),
                other => vec![other.to_string()],
            };
            out.insert(field, messages);
        }
    }
    Ok(out)
}

/// A `Retry-After` value: a delay in seconds or an HTTP date.
///
/// # Examples
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use routy::RetryAfter;
///
/// assert_eq!(RetryAfter::parse("120"), Some(RetryAfter::Delay(Duration::from_secs(120))));
/// let date = RetryAfter::parse("Sun, 06 Nov 1994 08:49:37 GMT").unwrap();
/// assert_eq!(date.delay_from(SystemTime::now()), Duration::ZERO); // long past
/// assert_eq!(RetryAfter::parse("-5"), None);
/// assert_eq!(RetryAfter::parse("1.5"), None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryAfter {
    /// Wait this long.
    Delay(Duration),
    /// Wait until this time.
    At(SystemTime),
}

impl RetryAfter {
    /// Parses a header value; `None` when it is neither a non-negative whole
    /// number of seconds nor an HTTP date.
    ///
    /// # Examples
    ///
    /// See [`RetryAfter`].
    pub fn parse(value: &str) -> Option<Self> {
        let value = value.trim();
        if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
            // Absurdly long digit strings saturate rather than fail.
            let secs = value.parse::<u64>().unwrap_or(u64::MAX);
            return Some(RetryAfter::Delay(Duration::from_secs(secs)));
        }
        httpdate::parse_http_date(value).ok().map(RetryAfter::At)
    }

    /// The header of `headers`, parsed.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut headers = routy::http::HeaderMap::new();
    /// headers.insert("retry-after", "3".parse()?);
    /// assert!(routy::RetryAfter::from_headers(&headers).is_some());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_headers(headers: &HeaderMap) -> Option<Self> {
        headers
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(Self::parse)
    }

    /// How long to wait from `now`; a date in the past gives zero.
    ///
    /// # Examples
    ///
    /// See [`RetryAfter`].
    pub fn delay_from(&self, now: SystemTime) -> Duration {
        match *self {
            RetryAfter::Delay(delay) => delay,
            RetryAfter::At(at) => at.duration_since(now).unwrap_or(Duration::ZERO),
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
    /// # use routy::{http, ApiError, RetryAfter};
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

    /// The start of the body (at most [`SNIPPET_MAX_BYTES`], lossily
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

    /// The server's own words, if any: the problem's detail, else its title.
    fn server_message(&self) -> Option<&str> {
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

/// A success response whose body is not what was expected.
///
/// # Examples
///
/// ```
/// use routy::{http, DecodeError};
///
/// let response = http::Response::builder()
///     .header("content-type", "application/json")
///     .body(br#"[{"id": 1}, {"id": true}]"#.to_vec())?;
/// let err = routy::decode_json::<Vec<routy::Account>>(&response, "a list of accounts").unwrap_err();
/// assert_eq!(err.path(), Some("[1]"));
/// assert_eq!(err.expected(), "a list of accounts");
/// let why = std::error::Error::source(&err).unwrap().to_string();
/// assert!(why.starts_with("member `id`: invalid type: boolean"), "{why}");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct DecodeError {
    expected: &'static str,
    content_type: Option<String>,
    path: Option<String>,
    snippet: String,
    source: Option<Box<JsonError>>,
}

/// The JSON parser's complaint, kept as redacted text.
#[derive(Debug, Clone)]
struct JsonError {
    message: String,
    line: usize,
    column: usize,
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for JsonError {}

impl DecodeError {
    /// What the body should have been.
    ///
    /// # Examples
    ///
    /// See [`DecodeError`].
    pub fn expected(&self) -> &'static str {
        self.expected
    }

    /// Where in the JSON decoding failed (`.` for the root, `[3].id` …);
    /// `None` when the body was refused for its content type.
    ///
    /// # Examples
    ///
    /// See [`DecodeError`].
    pub fn path(&self) -> Option<&str> {
        self.path.as_deref()
    }

    /// The response's `Content-Type`.
    ///
    /// # Examples
    ///
    /// ```
    /// # use routy::http;
    /// let response = http::Response::builder().header("content-type", "text/html").body(b"<html>".to_vec())?;
    /// let err = routy::decode_json::<serde_json::Value>(&response, "json").unwrap_err();
    /// assert_eq!(err.content_type(), Some("text/html"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn content_type(&self) -> Option<&str> {
        self.content_type.as_deref()
    }

    /// A bounded piece of the body around the failure.
    ///
    /// # Examples
    ///
    /// ```
    /// # use routy::http;
    /// let response = http::Response::builder().body(b"not json".to_vec())?;
    /// let err = routy::decode_json::<serde_json::Value>(&response, "json").unwrap_err();
    /// assert_eq!(err.snippet(), "not json");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn snippet(&self) -> &str {
        &self.snippet
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.path, &self.source) {
            (Some(path), Some(source)) => write!(
                f,
                "expected {} but decoding failed at `{}` (line {} column {})",
                self.expected,
                one_line(path, usize::MAX),
                source.line,
                source.column
            ),
            _ => write!(
                f,
                "expected {} but the content type is {}",
                self.expected,
                one_line(
                    self.content_type.as_deref().unwrap_or("missing"),
                    usize::MAX
                )
            ),
        }
    }
}

impl std::error::Error for DecodeError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

/// Decodes a success body as JSON into `T`. Accepts `application/json`,
/// any `*/*+json`, `text/plain` and `text/json` (Routy's own examples ask for
/// `text/plain`), or no `Content-Type` at all; anything else (an HTML login
/// page from a proxy, say) is refused. `expected` names the shape for the
/// error message.
///
/// # Errors
///
/// A [`DecodeError`] saying what was expected, where decoding failed and
/// showing a bounded snippet.
///
/// # Examples
///
/// ```
/// # use routy::http;
/// let response = http::Response::builder()
///     .header("content-type", "text/plain; charset=utf-8")
///     .body(br#"{"ok": true}"#.to_vec())?;
/// let value: serde_json::Value = routy::decode_json(&response, "an object")?;
/// assert_eq!(value["ok"], true);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn decode_json<T: DeserializeOwned>(
    response: &Response<Vec<u8>>,
    expected: &'static str,
) -> Result<T, DecodeError> {
    decode_json_redacted(response, expected, Redactor::NONE)
}

pub(crate) fn decode_json_redacted<T: DeserializeOwned>(
    response: &Response<Vec<u8>>,
    expected: &'static str,
    redactor: Redactor<'_>,
) -> Result<T, DecodeError> {
    let content_type = header_str(response.headers().get(CONTENT_TYPE));
    let body = response.body();
    if let Some(ct) = content_type {
        if !is_json(ct) && !is_text_plain(ct) {
            return Err(DecodeError {
                expected,
                content_type: Some(redactor.vouch(&truncate(ct, 200))),
                path: None,
                snippet: snippet(body, 0, redactor).0,
                source: None,
            });
        }
    }
    // The fast path decodes directly; only a failure pays for path tracking.
    match serde_json::from_slice(body) {
        Ok(value) => Ok(value),
        Err(plain) => {
            let mut de = serde_json::Deserializer::from_slice(body);
            let (path, source) = match serde_path_to_error::deserialize::<_, T>(&mut de) {
                Err(err) => (err.path().to_string(), err.into_inner()),
                // Cannot happen (same input, same type), but if it does the
                // first error is still the right one to report.
                Ok(_) => (".".to_owned(), plain),
            };
            let offset = byte_offset(body, source.line(), source.column());
            // serde_json quotes the offending value in its message, and the
            // path names map keys: both may hold what the server echoed.
            let source = Box::new(JsonError {
                message: redactor.vouch(&source.to_string()),
                line: source.line(),
                column: source.column(),
            });
            Err(DecodeError {
                expected,
                content_type: content_type.map(|ct| redactor.vouch(&truncate(ct, 200))),
                path: Some(redactor.vouch(&truncate(&path, 200))),
                snippet: snippet(body, offset, redactor).0,
                source: Some(source),
            })
        }
    }
}

fn header_str(value: Option<&HeaderValue>) -> Option<&str> {
    value.and_then(|v| v.to_str().ok())
}

/// `application/json`, `application/problem+json`, `text/json` and the like.
fn is_json(content_type: &str) -> bool {
    let essence = content_type.split(';').next().unwrap_or_default().trim();
    let suffix = essence
        .len()
        .checked_sub(5)
        .and_then(|at| essence.get(at..));
    essence.eq_ignore_ascii_case("application/json")
        || essence.eq_ignore_ascii_case("text/json")
        || suffix.is_some_and(|s| s.eq_ignore_ascii_case("+json"))
}

fn is_text_plain(content_type: &str) -> bool {
    let essence = content_type.split(';').next().unwrap_or_default().trim();
    essence.eq_ignore_ascii_case("text/plain")
}

/// At most `max` bytes of `text`, cut on a character boundary.
fn truncate(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

/// `text` fit for one line of a terminal or a log: control characters and
/// bidirectional overrides are escaped (`\n`, `\u{1b}`), so a server's text
/// can neither forge a line nor drive the terminal, and the result is cut to
/// `max` bytes, escapes included, plus an ellipsis.
fn one_line(text: &str, max: usize) -> Cow<'_, str> {
    let unsafe_to_show = |c: char| {
        c.is_control()
            || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    };
    if text.len() <= max && !text.chars().any(unsafe_to_show) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len().min(max) + 3);
    for c in text.chars() {
        let before = out.len();
        if unsafe_to_show(c) {
            out.extend(c.escape_debug());
        } else {
            out.push(c);
        }
        if out.len() > max {
            out.truncate(before);
            out.push('…');
            break;
        }
    }
    Cow::Owned(out)
}

/// Up to [`SNIPPET_MAX_BYTES`] of `body` as text, starting a little before
/// `around` so a decode error's position is in view, vouched for by
/// `redactor` (withheld whole when it spells the key in an encoded form).
/// Returns whether bytes were left out.
fn snippet(body: &[u8], around: usize, redactor: Redactor<'_>) -> (String, bool) {
    let start = around.saturating_sub(SNIPPET_MAX_BYTES / 4).min(body.len());
    let end = (start + SNIPPET_MAX_BYTES).min(body.len());
    // Redact with a window's margin on each side, so a piece of the secret
    // that straddles the cut is still seen whole, then cut to size.
    let margin_start = start.saturating_sub(REDACT_WINDOW);
    let margin_end = (end + REDACT_WINDOW).min(body.len());
    let redacted = redactor.bytes(&body[margin_start..margin_end]);
    let lead = start - margin_start;
    let keep = (end - start).min(redacted.len().saturating_sub(lead));
    let region = redacted.get(lead..lead + keep).unwrap_or(&redacted[..]);
    if redactor.found_in(region) {
        return (WITHHELD.to_owned(), true);
    }
    // A multi-byte character cut at either end shows as U+FFFD; that is fine.
    let mut text = String::from_utf8_lossy(region).into_owned();
    // Replacement characters (3 bytes for each bad byte) and redaction
    // markers can grow the text; the bound is on what is kept.
    let mut cut = text.len() > SNIPPET_MAX_BYTES;
    if cut {
        let mut at = SNIPPET_MAX_BYTES;
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        text.truncate(at);
    }
    cut |= start > 0 || end < body.len();
    (text, cut)
}

/// The byte offset of serde_json's 1-based line and column.
fn byte_offset(body: &[u8], line: usize, column: usize) -> usize {
    let line_start = if line <= 1 {
        0
    } else {
        body.iter()
            .enumerate()
            .filter(|(_, b)| **b == b'\n')
            .nth(line - 2)
            .map_or(body.len(), |(i, _)| i + 1)
    };
    (line_start + column.saturating_sub(1)).min(body.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snippet_is_bounded_and_centred() {
        let body = vec![b'a'; 100_000];
        let (text, truncated) = snippet(&body, 50_000, Redactor::NONE);
        assert_eq!(text.len(), SNIPPET_MAX_BYTES);
        assert!(truncated);
        let (text, truncated) = snippet(&[0xff; 5000], 0, Redactor::NONE);
        assert!(
            text.len() <= SNIPPET_MAX_BYTES && truncated,
            "{}",
            text.len()
        );
        let (text, truncated) = snippet(b"short", 3, Redactor::new(b"0123456789"));
        assert_eq!(text, "short");
        assert!(!truncated);
    }

    #[test]
    fn byte_offset_follows_lines() {
        let body = b"[\n  1,\n  x]";
        assert_eq!(byte_offset(body, 3, 3), 9);
        assert_eq!(body[9], b'x');
        assert_eq!(byte_offset(body, 99, 99), body.len());
    }

    #[test]
    fn retry_after_forms() {
        assert_eq!(
            RetryAfter::parse(" 5 "),
            Some(RetryAfter::Delay(Duration::from_secs(5)))
        );
        assert_eq!(
            RetryAfter::parse("99999999999999999999999"),
            Some(RetryAfter::Delay(Duration::from_secs(u64::MAX)))
        );
        for bad in [
            "",
            "-5",
            "1.5",
            "abc",
            "5s",
            "Sun, 99 Nov 1994 08:49:37 GMT",
        ] {
            assert_eq!(RetryAfter::parse(bad), None, "{bad:?}");
        }
        let at = RetryAfter::parse("Wed, 21 Oct 2015 07:28:00 GMT").unwrap();
        let before = httpdate::parse_http_date("Wed, 21 Oct 2015 07:27:50 GMT").unwrap();
        assert_eq!(at.delay_from(before), Duration::from_secs(10));
    }
}
