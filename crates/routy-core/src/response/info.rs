//! What a response came with besides its body: the request id and the
//! rate-limit headers, on success ([`ResponseInfo`]) as on failure
//! ([`ApiError`](crate::ApiError)).

use std::time::{Duration, SystemTime};

use http::{HeaderMap, HeaderValue, StatusCode};

use crate::auth::redact::{Redactor, WITHHELD};
use crate::policy::retry::RetryAfter;
use crate::text::{header_str, kept};

/// Response headers that carry a request id, most specific first.
const REQUEST_ID_HEADERS: [&str; 3] = ["x-request-id", "request-id", "x-correlation-id"];

/// The request id a response carries, redacted and bounded.
pub(crate) fn request_id(headers: &HeaderMap, redactor: Redactor<'_>) -> Option<String> {
    REQUEST_ID_HEADERS
        .iter()
        .find_map(|name| header_str(headers.get(*name)))
        .map(|id| kept(id, 200, redactor))
}

/// `headers` with every value that holds the key redacted (withheld when
/// it still spells it once decoded).
pub(crate) fn redacted_headers(headers: &HeaderMap, redactor: Redactor<'_>) -> HeaderMap {
    let mut kept = headers.clone();
    for value in kept.values_mut() {
        if redactor.found_in(value.as_bytes()) {
            let shown = redactor.scrub_owned(&String::from_utf8_lossy(value.as_bytes()));
            *value = HeaderValue::try_from(shown).unwrap_or(HeaderValue::from_static(WITHHELD));
        }
    }
    kept
}

/// The rate-limit headers of a response, as numbers: the IETF draft's
/// `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset`, or the
/// older `X-RateLimit-*` (the unprefixed ones win when both are sent). A
/// header that is missing or not a number is `None`.
///
/// `reset` is kept as sent: a number of seconds in the draft, often a Unix
/// time in `X-RateLimit-Reset`.
///
/// # Examples
///
/// ```
/// use routy::{http, RateLimit};
///
/// let mut headers = http::HeaderMap::new();
/// headers.insert("x-ratelimit-limit", http::HeaderValue::from_static("100"));
/// headers.insert("x-ratelimit-remaining", http::HeaderValue::from_static("7"));
/// let limit = RateLimit::from_headers(&headers).expect("headers were sent");
/// assert_eq!((limit.limit, limit.remaining, limit.reset), (Some(100), Some(7), None));
/// assert!(RateLimit::from_headers(&http::HeaderMap::new()).is_none());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct RateLimit {
    /// Requests allowed in the window.
    pub limit: Option<u64>,
    /// Requests left in the window.
    pub remaining: Option<u64>,
    /// When the window resets, as the server sent it.
    pub reset: Option<u64>,
}

impl RateLimit {
    /// The rate-limit headers in `headers`; `None` when there are none.
    pub fn from_headers(headers: &HeaderMap) -> Option<Self> {
        let limit = RateLimit {
            limit: number(headers, ["ratelimit-limit", "x-ratelimit-limit"]),
            remaining: number(headers, ["ratelimit-remaining", "x-ratelimit-remaining"]),
            reset: number(headers, ["ratelimit-reset", "x-ratelimit-reset"]),
        };
        (limit != RateLimit::default()).then_some(limit)
    }

    /// Whether the window's requests are all spent (`remaining` is 0): the
    /// next call will likely meet a 429 until [`reset_after`](Self::reset_after).
    /// The client holds its next calls back until then on its own (see
    /// [`ClientBuilder::quota_scope`](crate::ClientBuilder::quota_scope)).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use routy::{http, RateLimit, RetryAfter};
    ///
    /// let mut headers = http::HeaderMap::new();
    /// headers.insert("ratelimit-remaining", http::HeaderValue::from_static("0"));
    /// headers.insert("ratelimit-reset", http::HeaderValue::from_static("30"));
    /// let limit = RateLimit::from_headers(&headers).expect("headers were sent");
    /// assert!(limit.is_spent());
    /// assert_eq!(limit.reset_after(), Some(RetryAfter::Delay(Duration::from_secs(30))));
    /// ```
    pub fn is_spent(&self) -> bool {
        self.remaining == Some(0)
    }

    /// When the window resets, read the way servers send it: a number of
    /// seconds (the IETF draft), or a Unix time when the number is too
    /// large to be a delay (GitHub-style `X-RateLimit-Reset`; anything
    /// from 2001-09-09, 10^9 seconds, on).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, SystemTime};
    /// use routy::{http, RateLimit, RetryAfter};
    ///
    /// let mut headers = http::HeaderMap::new();
    /// headers.insert("x-ratelimit-reset", http::HeaderValue::from_static("1800000000"));
    /// let limit = RateLimit::from_headers(&headers).expect("headers were sent");
    /// assert_eq!(
    ///     limit.reset_after(),
    ///     Some(RetryAfter::At(SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000)))
    /// );
    /// ```
    pub fn reset_after(&self) -> Option<RetryAfter> {
        let reset = self.reset?;
        Some(if reset >= UNIX_TIME_FROM {
            RetryAfter::At(SystemTime::UNIX_EPOCH + Duration::from_secs(reset.min(MAX_UNIX_TIME)))
        } else {
            RetryAfter::Delay(Duration::from_secs(reset))
        })
    }
}

/// When a success says the window is spent (`remaining` 0), how long until
/// it resets; and otherwise what is left of it, for pacing: the
/// remaining count and the reset. Two header lookups when the server
/// sends no such fields.
pub(crate) fn quota_left(headers: &HeaderMap) -> Option<(u64, Option<RetryAfter>)> {
    let remaining = number(headers, ["ratelimit-remaining", "x-ratelimit-remaining"])?;
    let reset = RateLimit {
        limit: None,
        remaining: Some(remaining),
        reset: number(headers, ["ratelimit-reset", "x-ratelimit-reset"]),
    };
    Some((remaining, reset.reset_after()))
}

/// A reset this large is a Unix time, not seconds to wait (no window is
/// 31 years long).
const UNIX_TIME_FROM: u64 = 1_000_000_000;

/// The last second HTTP can date (9999-12-31T23:59:59Z): larger resets are
/// read as that, so no `SystemTime` overflows.
const MAX_UNIX_TIME: u64 = 253_402_300_799;

/// The first of `names` present in `headers`, as a number.
fn number(headers: &HeaderMap, names: [&str; 2]) -> Option<u64> {
    names
        .iter()
        .find_map(|name| header_str(headers.get(*name)))
        .and_then(|value| value.trim().parse().ok())
}

/// What a successful call came with besides its value: from
/// any endpoint called [`with_info`](crate::Endpoint::with_info).
///
/// # Examples
///
/// ```
/// use routy::{http, ApiKey, Endpoint};
///
/// let client = routy::ClientBuilder::new()
///     .api_key(ApiKey::new("test-token")?)
///     .build_with(routy::transport_fn(|_req| {
///         Ok(http::Response::builder()
///             .header("x-request-id", "req-9")
///             .header("ratelimit-remaining", "41")
///             .body(b"[]".to_vec())
///             .expect("static response is valid"))
///     }))?;
/// let (accounts, info) = client.call(routy::endpoint::Accounts.with_info())?;
/// assert!(accounts.is_empty());
/// assert_eq!(info.request_id(), Some("req-9"));
/// assert_eq!(info.rate_limit().and_then(|r| r.remaining), Some(41));
/// assert_eq!(info.attempts(), 1);
/// # Ok::<(), routy::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseInfo {
    status: StatusCode,
    request_id: Option<String>,
    rate_limit: Option<RateLimit>,
    attempts: u32,
    /// Every header, each value redacted.
    headers: HeaderMap,
}

impl ResponseInfo {
    pub(crate) fn new(
        status: StatusCode,
        headers: &HeaderMap,
        attempts: u32,
        redactor: Redactor<'_>,
    ) -> Self {
        ResponseInfo {
            status,
            request_id: request_id(headers, redactor),
            rate_limit: RateLimit::from_headers(headers),
            attempts,
            headers: redacted_headers(headers, redactor),
        }
    }

    /// The first value of the header `name` (any case), as text, with any
    /// echo of the key redacted; `None` when it is absent or not text.
    ///
    /// # Examples
    ///
    /// ```
    /// use routy::{http, ApiKey, Endpoint};
    ///
    /// let key = ApiKey::new("OaBw1+4DqFfDLXOLpWthbfp502Wc0D4tICsxNcT+aeQ=")?;
    /// let echo = format!("you sent {}", key.expose_secret());
    /// let client = routy::ClientBuilder::new()
    ///     .api_key(key)
    ///     .build_with(routy::transport_fn(move |_req| {
    ///         Ok(http::Response::builder()
    ///             .header("x-served-by", "edge-3")
    ///             .header("x-echo", echo.as_str())
    ///             .body(b"[]".to_vec())
    ///             .expect("static response is valid"))
    ///     }))?;
    /// let (_, info) = client.call(routy::endpoint::Accounts.with_info())?;
    /// assert_eq!(info.header("X-Served-By"), Some("edge-3"));
    /// assert_eq!(info.header("x-echo"), Some("you sent [redacted]"));
    /// assert_eq!(info.header("x-missing"), None);
    /// # Ok::<(), routy::Error>(())
    /// ```
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name)?.to_str().ok()
    }

    /// Every header, each value redacted as [`header`](Self::header)'s.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The response's status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The request id (`X-Request-Id`, `Request-Id` or `X-Correlation-Id`),
    /// redacted and bounded: quote it to support.
    pub fn request_id(&self) -> Option<&str> {
        self.request_id.as_deref()
    }

    /// The rate-limit headers, when the response had any. A success can
    /// say the quota is spent ([`RateLimit::is_spent`]); the client does
    /// not wait on its own before the next call, so a job that paces
    /// itself waits out [`RateLimit::reset_after`].
    pub fn rate_limit(&self) -> Option<RateLimit> {
        self.rate_limit
    }

    /// Attempts the call took, the first included.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    #[test]
    fn redacted_headers_keep_every_value_in_order_and_redact_only_the_key() {
        let token = crate::test_support::TOKEN;
        let mut headers = HeaderMap::new();
        headers.append("x-echo", HeaderValue::from_static("first"));
        headers.append("set-cookie", HeaderValue::from_static("a=1"));
        headers.append(
            "x-echo",
            HeaderValue::from_str(&format!("ApiKey {token}")).unwrap(),
        );
        headers.append("x-echo", HeaderValue::from_static("third"));
        let kept = redacted_headers(&headers, Redactor::new(token.as_bytes()));
        let names: Vec<_> = kept.keys().map(|n| n.as_str()).collect();
        assert_eq!(names, ["x-echo", "set-cookie"]);
        let echoes: Vec<_> = kept
            .get_all("x-echo")
            .iter()
            .map(|v| v.to_str().unwrap())
            .collect();
        assert_eq!(echoes, ["first", "ApiKey [redacted]", "third"]);
        assert_eq!(kept["set-cookie"], "a=1");
    }

    #[test]
    fn the_draft_headers_win_and_junk_is_none() {
        let mut headers = HeaderMap::new();
        headers.insert("ratelimit-limit", HeaderValue::from_static("10"));
        headers.insert("x-ratelimit-limit", HeaderValue::from_static("99"));
        headers.insert("x-ratelimit-remaining", HeaderValue::from_static("-1"));
        headers.insert("ratelimit-reset", HeaderValue::from_static(" 30 "));
        let limit = RateLimit::from_headers(&headers).unwrap();
        assert_eq!(limit.limit, Some(10));
        assert_eq!(limit.remaining, None);
        assert_eq!(limit.reset, Some(30));
    }
}
