//! The rate-limit fields read by routy's own structured-field parser,
//! held to what the `sfv` crate (RFC 9651's reference parser for Rust)
//! makes of the same bytes. Only the fuzz crate builds this: routy does
//! not ship sfv (see `response/structured_field.rs`).

use routy_core::http::{HeaderMap, HeaderValue};
use routy_core::RateLimit;
use sfv::{BareItem, Dictionary, List, ListEntry, Parameters, Parser};

fn int(item: Option<&BareItem>) -> Option<u64> {
    item?
        .as_integer()
        .and_then(|n| u64::try_from(i64::from(n)).ok())
}

fn params(entry: &ListEntry) -> &Parameters {
    match entry {
        ListEntry::Item(item) => &item.params,
        ListEntry::InnerList(list) => &list.params,
    }
}

/// Byte 0 even: the rest after byte 1 (the input as the `rate_limit`
/// check lays it out) is a `RateLimit` field; odd: a `RateLimit-Policy`.
/// routy's reading must be sfv's.
pub fn check_structured(data: &[u8]) {
    let (Some(&pick), Some(field)) = (data.first(), data.get(2..)) else {
        return;
    };
    let Ok(value) = HeaderValue::from_bytes(field) else {
        return;
    };
    let mut headers = HeaderMap::new();
    let policy = pick % 2 == 1;
    headers.insert(
        if policy {
            "ratelimit-policy"
        } else {
            "ratelimit"
        },
        value,
    );
    let read = RateLimit::from_headers(&headers).unwrap_or_default();
    let list = Parser::new(field).parse_list::<List>();
    if policy {
        // The lowest rate of those with q > 0 and a w.
        let mut best: Option<(u64, u64)> = None;
        for entry in list.iter().flatten() {
            let p = params(entry);
            let quota = match entry {
                ListEntry::Item(item) if item.bare_item.as_integer().is_some() => {
                    int(Some(&item.bare_item))
                }
                _ => int(p.get("q")),
            };
            let (Some(q), Some(w)) = (quota, int(p.get("w"))) else {
                continue;
            };
            let lower = best.is_none_or(|(bq, bw)| {
                u128::from(q) * u128::from(bw) < u128::from(bq) * u128::from(w)
            });
            if q > 0 && lower {
                best = Some((q, w));
            }
        }
        assert_eq!(
            (read.limit, read.window),
            (best.map(|b| b.0), best.map(|b| b.1)),
            "{field:?}"
        );
        return;
    }
    let expected = match &list {
        Ok(list) => {
            // The fewest left; at a tie, the latest reset.
            let mut tightest: Option<(u64, u64)> = None;
            let mut reset = None;
            for entry in list {
                let p = params(entry);
                let Some(r) = int(p.get("r")) else { continue };
                let t = int(p.get("t"));
                let this = (r, t.unwrap_or(0));
                if tightest.is_none_or(|(kr, kt)| this.0 < kr || (this.0 == kr && this.1 > kt)) {
                    tightest = Some(this);
                    reset = t;
                }
            }
            (None, tightest.map(|t| t.0), reset)
        }
        Err(_) => match Parser::new(field).parse_dictionary::<Dictionary>() {
            Ok(dict) => {
                let member = |key: &str| match dict.get(key) {
                    Some(ListEntry::Item(item)) => int(Some(&item.bare_item)),
                    _ => None,
                };
                (member("limit"), member("remaining"), member("reset"))
            }
            Err(_) => (None, None, None),
        },
    };
    // A byte sequence sfv cannot decode as base64 is the one thing routy's
    // parser lets through (it keeps no byte sequence).
    let got = (read.limit, read.remaining, read.reset);
    if got != expected {
        assert!(
            field.contains(&b':'),
            "routy read {got:?}, sfv {expected:?}: {:?}",
            String::from_utf8_lossy(field)
        );
    }
}
