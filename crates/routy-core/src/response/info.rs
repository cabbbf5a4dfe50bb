//! What a response came with besides its body: the request id and the
//! rate-limit headers, on success ([`ResponseInfo`]) as on failure
//! ([`ApiError`](crate::ApiError)).

use http::{HeaderMap, HeaderValue, StatusCode};

use crate::response::rate_limit::RateLimit;
use crate::shown::redact::{Redactor, WITHHELD};
use crate::shown::text::{header_str, kept};

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

    /// The rate-limit fields, when the response had any (every form
    /// servers send: see [`RateLimit`]). A success can say the quota is
    /// spent ([`RateLimit::is_spent`]); the client's quota gate then holds
    /// its next calls until the reset on its own (see
    /// [`ClientBuilder::quota_scope`](crate::ClientBuilder::quota_scope)),
    /// so a job need not wait out [`RateLimit::reset_after`] itself.
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
        let token = crate::auth::TEST_TOKEN;
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
}
