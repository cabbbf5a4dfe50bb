//! `Retry-After` (RFC 9110 section 10.2.3): the server's own word on when
//! to come back, which the planner honours up to a bound.

use std::time::{Duration, SystemTime};

use http::header::RETRY_AFTER;
use http::HeaderMap;

/// A `Retry-After` value: a delay in seconds or an HTTP date.
///
/// # Examples
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use routy::retry::RetryAfter;
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
    /// assert!(routy::retry::RetryAfter::from_headers(&headers).is_some());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_headers(headers: &HeaderMap) -> Option<Self> {
        headers
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(Self::parse)
    }

    /// How long to wait from `now`; a date in the past gives zero.
    pub fn delay_from(&self, now: SystemTime) -> Duration {
        match *self {
            RetryAfter::Delay(delay) => delay,
            RetryAfter::At(at) => at.duration_since(now).unwrap_or(Duration::ZERO),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
