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
    pub fn delay_from(&self, now: SystemTime) -> Duration {
        match *self {
            RetryAfter::Delay(delay) => delay,
            RetryAfter::At(at) => at.duration_since(now).unwrap_or(Duration::ZERO),
        }
    }
}

/// 10000-01-01T00:00:00Z, in seconds since the epoch: past the last date
/// HTTP can write.
const LAST_HTTP_DATE: u64 = 253_402_300_800;

/// "30 s", or the date as the server gave it (`Tue, 01 Dec 2026 10:00:00
/// GMT`): what an error says about when to come back.
///
/// # Examples
///
/// ```
/// use routy::RetryAfter;
/// assert_eq!(RetryAfter::parse("30").unwrap().to_string(), "30 s");
/// let date = "Tue, 01 Dec 2026 10:00:00 GMT";
/// assert_eq!(RetryAfter::parse(date).unwrap().to_string(), date);
/// ```
impl std::fmt::Display for RetryAfter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            RetryAfter::Delay(delay) => write!(f, "{} s", delay.as_secs()),
            // httpdate panics outside 1970..=9999; a parsed date is inside,
            // a hand-made one may not be.
            RetryAfter::At(at) => match at.duration_since(SystemTime::UNIX_EPOCH) {
                Ok(since) if since.as_secs() < LAST_HTTP_DATE => {
                    f.write_str(&httpdate::fmt_http_date(at))
                }
                _ => f.write_str("a date out of range"),
            },
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
        for odd in [
            SystemTime::UNIX_EPOCH - Duration::from_secs(1),
            SystemTime::UNIX_EPOCH + Duration::from_secs(LAST_HTTP_DATE),
        ] {
            assert_eq!(RetryAfter::At(odd).to_string(), "a date out of range");
        }
        let at = RetryAfter::parse("Wed, 21 Oct 2015 07:28:00 GMT").unwrap();
        let before = httpdate::parse_http_date("Wed, 21 Oct 2015 07:27:50 GMT").unwrap();
        assert_eq!(at.delay_from(before), Duration::from_secs(10));
    }
}
