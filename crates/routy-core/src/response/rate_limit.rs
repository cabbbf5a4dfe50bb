//! What a response says about the key's quota, in every form servers
//! send it: the IETF httpapi draft's structured `RateLimit` and
//! `RateLimit-Policy` (current, several named policies; and its draft-06
//! Dictionary form), the older separate `RateLimit-Limit`, `-Remaining`
//! and `-Reset`, and `X-RateLimit-*`; and when a reset can be read as a
//! time at all.

use std::time::{Duration, SystemTime};

use http::header::{HeaderMap, HeaderName};

use crate::policy::retry::RetryAfter;
use crate::response::structured_field::{self as sf, Bare, Params};

/// The rate-limit fields of a response, as numbers: the IETF draft's
/// structured `RateLimit` (`"default";r=0;t=3`, or the draft-06
/// `limit=10, remaining=0, reset=3`) and `RateLimit-Policy`
/// (`"default";q=10;w=60`), then the separate `RateLimit-Limit`,
/// `-Remaining` and `-Reset`, then `X-RateLimit-*`: the first form that
/// gives a number gives it. Where a field names several policies, the
/// most restrictive wins (the fewest requests left, the latest reset, the
/// lowest rate). A field that is missing, malformed or negative is `None`.
///
/// `reset` is kept as sent: a number of seconds in the draft, often a
/// Unix time (in seconds or milliseconds) in `X-RateLimit-Reset`;
/// [`reset_after`](Self::reset_after) reads it.
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
///
/// // The draft's structured fields, two policies: the tighter one wins.
/// let mut headers = http::HeaderMap::new();
/// headers.insert("ratelimit", http::HeaderValue::from_static(r#""hour";r=40;t=1800, "burst";r=0;t=3"#));
/// headers.insert("ratelimit-policy", http::HeaderValue::from_static(r#""hour";q=1000;w=3600, "burst";q=10;w=60"#));
/// let limit = RateLimit::from_headers(&headers).expect("headers were sent");
/// assert_eq!((limit.remaining, limit.reset), (Some(0), Some(3)));
/// assert_eq!((limit.limit, limit.window), (Some(10), Some(60)));
/// assert!(RateLimit::from_headers(&http::HeaderMap::new()).is_none());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct RateLimit {
    /// Requests allowed in the window (`q`, `limit`).
    pub limit: Option<u64>,
    /// Requests left in the window (`r`, `remaining`).
    pub remaining: Option<u64>,
    /// When the window resets, as the server sent it (`t`, `reset`).
    pub reset: Option<u64>,
    /// The window's length in seconds, when a policy names it (`w`):
    /// the tightest policy's.
    pub window: Option<u64>,
    /// The tightest policy: `q` requests per `w` seconds.
    policy: Option<(u64, u64)>,
}

/// The separate fields, each in its two spellings, the draft's first.
const LIMIT: [&str; 2] = ["ratelimit-limit", "x-ratelimit-limit"];
const REMAINING: [&str; 2] = ["ratelimit-remaining", "x-ratelimit-remaining"];
const RESET: [&str; 2] = ["ratelimit-reset", "x-ratelimit-reset"];

impl RateLimit {
    /// The rate-limit fields in `headers`; `None` when there are none.
    pub fn from_headers(headers: &HeaderMap) -> Option<Self> {
        read(headers, true)
    }

    /// Whether the window's requests are all spent (`remaining` is 0): the
    /// next call will likely meet a 429 until [`reset_after`](Self::reset_after).
    /// The client's quota gate holds its next calls back until then (see
    /// [`ClientBuilder::quota_scope`](crate::ClientBuilder::quota_scope)),
    /// for at most its [hold limit](crate::ClientBuilder::max_quota_hold).
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
    /// seconds (the IETF draft); a Unix time in seconds when the number is
    /// one from 2001 to 2286 (10 digits: GitHub-style `X-RateLimit-Reset`),
    /// or in milliseconds when it is one of those in milliseconds (13
    /// digits). `None` for anything else (11, 12 or 14+ digits): not a
    /// time routy can read, so nothing waits for it.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, SystemTime};
    /// use routy::{http, RateLimit, RetryAfter};
    ///
    /// let reset = |value: &'static str| {
    ///     let mut headers = http::HeaderMap::new();
    ///     headers.insert("x-ratelimit-reset", http::HeaderValue::from_static(value));
    ///     RateLimit::from_headers(&headers).and_then(|limit| limit.reset_after())
    /// };
    /// let at = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
    /// assert_eq!(reset("1800000000"), Some(RetryAfter::At(at)));
    /// assert_eq!(reset("1800000000000"), Some(RetryAfter::At(at)), "milliseconds");
    /// assert_eq!(reset("253402300799"), None, "year 9999: not a time to wait for");
    /// ```
    pub fn reset_after(&self) -> Option<RetryAfter> {
        let since_epoch =
            |n: u64| RetryAfter::At(SystemTime::UNIX_EPOCH + Duration::from_millis(n));
        match self.reset? {
            n @ ..UNIX_SECONDS_FROM => Some(RetryAfter::Delay(Duration::from_secs(n))),
            n @ UNIX_SECONDS_FROM..UNIX_SECONDS_TO => Some(since_epoch(n * 1000)),
            n @ UNIX_MILLIS_FROM..UNIX_MILLIS_TO => Some(since_epoch(n)),
            _ => None,
        }
    }

    /// The time between requests that keeps within the tightest policy
    /// named (`window / limit`), when one is.
    pub(crate) fn policy_spacing(&self) -> Option<Duration> {
        let (quota, window) = self.policy?;
        let quota = u32::try_from(quota).ok()?;
        Some(Duration::from_secs(window) / quota)
    }
}

/// Unix times in seconds are read from 10^9 (2001-09-09) up to 10^10
/// (2286); the same span in milliseconds is 10^12 to 10^13. No window is
/// 31 years long, so a delay never reaches the first.
const UNIX_SECONDS_FROM: u64 = 1_000_000_000;
const UNIX_SECONDS_TO: u64 = 10_000_000_000;
const UNIX_MILLIS_FROM: u64 = 1_000_000_000_000;
const UNIX_MILLIS_TO: u64 = 10_000_000_000_000;

/// The rate-limit fields of `headers`, the policy too when `policy`; a
/// response without any costs the lookups of the fields that say what is
/// left (three), and of `RateLimit-Policy` when asked.
pub(crate) fn read(headers: &HeaderMap, policy: bool) -> Option<RateLimit> {
    let mut limit = RateLimit::default();
    for field in headers.get_all(HeaderName::from_static("ratelimit")) {
        structured(field.as_bytes(), &mut limit);
    }
    if policy {
        for field in headers.get_all(HeaderName::from_static("ratelimit-policy")) {
            policies(field.as_bytes(), &mut limit);
        }
    }
    limit.remaining = limit.remaining.or_else(|| first(headers, REMAINING));
    if limit == RateLimit::default() && !policy {
        return None;
    }
    limit.reset = limit.reset.or_else(|| first(headers, RESET));
    if limit.limit.is_none() {
        if let Some(field) = field(headers, LIMIT) {
            limit.limit = first(headers, LIMIT);
            // Older drafts list the policies after the limit:
            // `10, 10;w=1, 50;w=60`.
            if limit.policy.is_none() {
                policies(field.as_bytes(), &mut limit);
            }
        }
    }
    (limit != RateLimit::default()).then_some(limit)
}

/// `RateLimit`: the current draft's List of named limits (`r`, `t`),
/// the most restrictive kept; or draft-06's Dictionary.
#[inline(never)]
fn structured(field: &[u8], into: &mut RateLimit) {
    let mut tightest: Option<(u64, u64)> = None;
    let listed = sf::list(field, &mut |_, params| {
        let remaining = non_negative(params.int("r"));
        let reset = non_negative(params.int("t"));
        if let Some(remaining) = remaining {
            let this = (remaining, reset.unwrap_or(0));
            // Fewest left; at a tie, the latest reset.
            if tightest.is_none_or(|(r, t)| this.0 < r || (this.0 == r && this.1 > t)) {
                tightest = Some(this);
                into.reset = reset;
            }
        }
    });
    if listed.is_some() {
        into.remaining = tightest.map(|(r, _)| r).or(into.remaining);
        return;
    }
    let _ = sf::dictionary(field, &mut |key, value, _| {
        let value = match value {
            Bare::Integer(n) => u64::try_from(n).ok(),
            Bare::Other => None,
        };
        match key {
            b"limit" => into.limit = value,
            b"remaining" => into.remaining = value,
            b"reset" => into.reset = value,
            _ => {}
        }
    });
}

/// `RateLimit-Policy`: named policies (`q` requests per `w` seconds), or
/// draft-06's Integers with a `w`; the lowest rate kept (and its quota
/// as the limit, when no other field gives one).
#[inline(never)]
fn policies(field: &[u8], into: &mut RateLimit) {
    let _ = sf::list(field, &mut |value, params: Params<'_>| {
        let quota = match value {
            Bare::Integer(q) => Some(q),
            Bare::Other => params.int("q"),
        };
        let (Some(q), Some(w)) = (non_negative(quota), non_negative(params.int("w"))) else {
            return;
        };
        // q / w below the kept one's: q * kept_w < kept_q * w.
        let lower = into
            .policy
            .is_none_or(|(kq, kw)| u128::from(q) * u128::from(kw) < u128::from(kq) * u128::from(w));
        if q > 0 && lower {
            into.policy = Some((q, w));
        }
    });
    if let Some((q, w)) = into.policy {
        into.limit = into.limit.or(Some(q));
        into.window = Some(w);
    }
}

/// The first of `names` present in `headers`.
fn field<'h>(headers: &'h HeaderMap, names: [&str; 2]) -> Option<&'h http::HeaderValue> {
    names.iter().find_map(|name| headers.get(*name))
}

/// The first of `names` present in `headers`, as a number: the first
/// member of its List (older drafts list `10, 10;w=1, 50;w=60`).
#[inline(never)]
fn first(headers: &HeaderMap, names: [&str; 2]) -> Option<u64> {
    let mut found = None;
    sf::list(field(headers, names)?.as_bytes(), &mut |value, _| {
        if let (None, Bare::Integer(n)) = (found, value) {
            found = Some(u64::try_from(n).ok());
        }
    })?;
    found.flatten()
}

fn non_negative(n: Option<i64>) -> Option<u64> {
    n.and_then(|n| u64::try_from(n).ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn limit(fields: &[(&'static str, &'static str)]) -> Option<RateLimit> {
        let mut headers = HeaderMap::new();
        for (name, value) in fields {
            headers.append(*name, HeaderValue::from_static(value));
        }
        RateLimit::from_headers(&headers)
    }

    fn numbers(limit: Option<RateLimit>) -> [Option<u64>; 4] {
        let l = limit.unwrap_or_default();
        [l.limit, l.remaining, l.reset, l.window]
    }

    #[test]
    fn every_form_servers_send() {
        type Fields = &'static [(&'static str, &'static str)];
        let cases: &[(Fields, [Option<u64>; 4])] = &[
            // The current draft: a List of named limits, and policies.
            (
                &[
                    ("ratelimit", r#""default";r=0;t=3"#),
                    ("ratelimit-policy", r#""default";q=10;w=60"#),
                ],
                [Some(10), Some(0), Some(3), Some(60)],
            ),
            // Draft-06: a Dictionary, and Integer policies.
            (
                &[
                    ("ratelimit", "limit=10, remaining=0, reset=3"),
                    ("ratelimit-policy", "10;w=1, 50;w=60"),
                ],
                [Some(10), Some(0), Some(3), Some(60)],
            ),
            // The separate fields, older drafts' Lists included.
            (
                &[
                    ("ratelimit-limit", "10, 10;w=1, 50;w=60"),
                    ("ratelimit-remaining", "4"),
                    ("ratelimit-reset", "7"),
                ],
                [Some(10), Some(4), Some(7), Some(60)],
            ),
            // GitHub's.
            (
                &[
                    ("x-ratelimit-limit", "5000"),
                    ("x-ratelimit-remaining", "0"),
                    ("x-ratelimit-reset", "1800000000"),
                ],
                [Some(5000), Some(0), Some(1_800_000_000), None],
            ),
            // The structured field wins over the separate ones.
            (
                &[
                    ("ratelimit", r#""a";r=2;t=9"#),
                    ("ratelimit-remaining", "50"),
                    ("x-ratelimit-reset", "1"),
                ],
                [None, Some(2), Some(9), None],
            ),
            // The most restrictive of several: fewest left, then latest reset.
            (
                &[
                    ("ratelimit", r#""a";r=5;t=1, "b";r=0;t=2"#),
                    ("ratelimit", r#""c";r=0;t=30"#),
                ],
                [None, Some(0), Some(30), None],
            ),
            // Junk is nothing, and a broken structured field falls back.
            (
                &[
                    ("ratelimit", r#""a";r=-1;t=x"#),
                    ("ratelimit-remaining", "-1"),
                ],
                [None; 4],
            ),
            (
                &[
                    ("ratelimit", r#""a";r=0;t=3,"#),
                    ("x-ratelimit-remaining", "1"),
                ],
                [None, Some(1), None, None],
            ),
        ];
        for (fields, expected) in cases {
            assert_eq!(numbers(limit(fields)), *expected, "{fields:?}");
        }
        assert_eq!(limit(&[]), None);
    }

    #[test]
    fn the_lowest_rate_is_the_policy_kept() {
        // 10 a minute is a lower rate than 1000 an hour; a quota of 0 is
        // no policy.
        let l = limit(&[(
            "ratelimit-policy",
            r#""hour";q=1000;w=3600, "minute";q=10;w=60, "x";q=0;w=1"#,
        )]);
        assert_eq!(numbers(l), [Some(10), None, None, Some(60)]);
        assert_eq!(l.unwrap().policy_spacing(), Some(Duration::from_secs(6)));
        // 1000 a day is lower than 100 a minute: one request every 86.4 s
        // keeps within both.
        let l = limit(&[(
            "ratelimit-policy",
            r#""day";q=1000;w=86400, "minute";q=100;w=60"#,
        )]);
        assert_eq!(numbers(l), [Some(1000), None, None, Some(86400)]);
        assert_eq!(
            l.unwrap().policy_spacing(),
            Some(Duration::from_millis(86_400))
        );
    }

    #[test]
    fn a_reset_is_read_as_seconds_a_unix_time_or_milliseconds_or_not_at_all() {
        let reset = |n: u64| {
            RateLimit {
                reset: Some(n),
                ..RateLimit::default()
            }
            .reset_after()
        };
        let at = |s: u64| {
            Some(RetryAfter::At(
                SystemTime::UNIX_EPOCH + Duration::from_secs(s),
            ))
        };
        assert_eq!(reset(30), Some(RetryAfter::Delay(Duration::from_secs(30))));
        assert_eq!(reset(1_800_000_000), at(1_800_000_000));
        assert_eq!(reset(1_800_000_000_000), at(1_800_000_000));
        for nonsense in [
            253_402_300_799,
            99_999_999_999,
            10_000_000_000_000,
            u64::MAX,
        ] {
            assert_eq!(reset(nonsense), None, "{nonsense}");
        }
    }
}
