//! The properties the fuzz targets check, shared with a stable `cargo test`
//! in routy-core that replays the committed seeds (it includes this file by
//! path). Each check panics when a property fails; the fuzzer reports that.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    unreachable_pub
)]

use std::time::{Duration, SystemTime};

use routy_core::clock::ManualClock;
use routy_core::defaults::SNIPPET_MAX_BYTES;
use routy_core::http::{self, HeaderName, HeaderValue, Method, StatusCode};
use routy_core::policy::{Attempt, Decision, Outcome, RetryAfter};
use routy_core::{ApiKey, BaseUrl, Problem, RetryPolicy, TransportError};

#[path = "common.rs"]
mod common;
pub use common::{ClientBuilder, KEY};

/// Longest `Display` of an error we accept.
const MAX_ERROR_DISPLAY: usize = 600;

/// Whether `text` holds any 8-byte run of `secret`.
fn leaks(text: &str, secret: &str) -> bool {
    let (text, secret) = (text.as_bytes(), secret.as_bytes());
    secret.len() >= 8 && secret.windows(8).any(|w| text.windows(8).any(|t| t == w))
}

/// Input: byte 0-1 status, then header lines up to a blank line, then the
/// body. Classifies the response through a real client.
pub fn check_response(data: &[u8]) {
    if data.len() < 2 {
        return;
    }
    let status = u16::from_be_bytes([data[0], data[1]]) % 1000;
    let Ok(status) = StatusCode::from_u16(status.max(100)) else {
        return;
    };
    let rest = &data[2..];
    let split = rest
        .windows(2)
        .position(|w| w == b"\n\n")
        .unwrap_or(rest.len());
    let (head, body) = (&rest[..split], rest.get(split + 2..).unwrap_or_default());
    let mut response = http::Response::new(body.to_vec());
    *response.status_mut() = status;
    for line in head.split(|b| *b == b'\n') {
        let Some(colon) = line.iter().position(|b| *b == b':') else {
            continue;
        };
        let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(&line[..colon]),
            HeaderValue::from_bytes(line[colon + 1..].trim_ascii()),
        ) else {
            continue;
        };
        response.headers_mut().append(name, value);
    }
    let template = response;
    let transport = routy_core::transport_fn(
        move |_req: http::Request<Vec<u8>>| -> Result<_, TransportError> {
            let mut copy = http::Response::new(template.body().clone());
            *copy.status_mut() = template.status();
            *copy.headers_mut() = template.headers().clone();
            Ok(copy)
        },
    );
    // A 429 with `Retry-After` holds the client's next call (the quota
    // gate): on a manual clock that wait costs nothing, where the system
    // clock would sleep it out and make a slow unit.
    let client = ClientBuilder::new()
        .api_key(ApiKey::new(KEY).unwrap())
        .retry(RetryPolicy::none())
        .max_redirects(0)
        .clock(ManualClock::new())
        .build_with(transport)
        .unwrap();
    let outcomes = [
        client.accounts().map(|_| ()),
        client.get::<serde_json::Value>("/v1/x").map(|_| ()),
    ];
    for outcome in outcomes {
        let Err(err) = outcome else { continue };
        let display = err.to_string();
        assert!(
            display.len() <= MAX_ERROR_DISPLAY,
            "error display too long: {}: {display}",
            display.len()
        );
        // Display texts and the raw strings an error keeps, each checked on
        // its own: two fields that each hold 4 bytes of the key are not a
        // leak, but gluing them together would fake one. (Debug output is
        // these strings escaped, and an escape such as `\0` next to a piece
        // of the key can fake a match, so it is not searched.)
        let mut shown = vec![display];
        let mut source = std::error::Error::source(&err);
        while let Some(cause) = source {
            shown.push(cause.to_string());
            source = cause.source();
        }
        // A message and its causes are one line each, whatever the server
        // sent: no raw newline or terminal escape.
        for line in &shown {
            assert!(
                !line.chars().any(char::is_control),
                "an error message holds a control character: {line:?}"
            );
        }
        if let Some(api) = err.as_api() {
            shown.push(api.body_snippet().to_owned());
            shown.extend(api.request_id().map(str::to_owned));
            shown.extend(api.content_type().map(str::to_owned));
            if let Some(problem) = api.problem() {
                let texts = [
                    &problem.type_uri,
                    &problem.title,
                    &problem.detail,
                    &problem.instance,
                    &problem.trace_id,
                ];
                shown.extend(texts.into_iter().flatten().cloned());
                for (field, messages) in &problem.errors {
                    shown.push(field.to_owned());
                    shown.extend(messages.iter().cloned());
                }
                for (name, value) in problem.extensions.iter() {
                    shown.push(name.to_owned());
                    shown.push(value.get().to_owned());
                    let value = serde_json::from_str(value.get()).expect("kept as valid JSON");
                    push_strings(&value, &mut shown);
                }
            }
        }
        if let routy_core::Error::Decode(decode) = &err {
            assert!(decode.snippet().len() <= SNIPPET_MAX_BYTES);
            shown.push(decode.snippet().to_owned());
            shown.extend(decode.path().map(str::to_owned));
            shown.extend(decode.content_type().map(str::to_owned));
        }
        let key = ApiKey::new(KEY).unwrap();
        for text in &shown {
            assert!(!leaks(text, KEY), "an error shows the key: {text}");
            // Nor spells it in an encoded form (escapes, percent, base64).
            assert!(!key.found_in(text), "an error spells the key: {text}");
        }
        if let Some(api) = err.as_api() {
            assert!(api.body_snippet().len() <= SNIPPET_MAX_BYTES);
            // A call the quota gate held (an earlier 429 or 503 named a
            // time too far off to wait for) was never sent: no status of
            // the server's.
            if !api.is_held() {
                assert_eq!(api.status(), status);
            }
        }
    }
    // The raw escape hatch hands every response back whole, unless the
    // gate held the call for a window the server said was spent.
    match client.execute_any_status(Method::GET, "/v1/x", None) {
        Ok(raw) => assert_eq!(raw.status(), status),
        Err(err) => assert!(err.as_api().is_some_and(|api| api.is_held()), "{err}"),
    }
}

/// Every string inside `value`, raw (not JSON-escaped), each on its own.
fn push_strings(value: &serde_json::Value, out: &mut Vec<String>) {
    match value {
        serde_json::Value::String(s) => out.push(s.clone()),
        serde_json::Value::Array(items) => items.iter().for_each(|v| push_strings(v, out)),
        serde_json::Value::Object(map) => map.iter().for_each(|(k, v)| {
            out.push(k.clone());
            push_strings(v, out);
        }),
        _ => {}
    }
}

/// Parses a `Retry-After` value and plans a retry with it.
pub fn check_retry_after(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let parsed = RetryAfter::parse(text);
    let policy = RetryPolicy::default().max_total_delay(Duration::from_secs(3600));
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_767_225_600);
    let outcome = Outcome::Status {
        status: StatusCode::TOO_MANY_REQUESTS,
        retry_after: parsed,
    };
    let attempt = Attempt {
        number: 1,
        method: &Method::GET,
        outcome,
        slept: Duration::ZERO,
        now,
        random: 0.5,
    };
    match policy.plan(&attempt) {
        Decision::RetryIn(delay) => {
            assert!(
                delay <= Duration::from_secs(10),
                "retry-after beyond the cap: {delay:?}"
            );
        }
        // Never sooner than the server asked: a longer wait than the
        // policy's is no retry.
        Decision::GiveUp => assert!(
            parsed.is_some_and(|after| after.delay_from(now) > Duration::from_secs(10)),
            "a first 429 of a GET must be retried unless it asks for more than 10 s: {parsed:?}"
        ),
    }
    if let Some(RetryAfter::Delay(d)) = parsed {
        assert!(
            text.trim().bytes().all(|b| b.is_ascii_digit()),
            "{text:?} -> {d:?}"
        );
    }
}

/// Builds a key from arbitrary text; checks the header and what shows.
pub fn check_api_key(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match ApiKey::new(text) {
        Ok(key) => {
            let token = text.trim();
            let header = key.header_value().as_bytes();
            assert!(!header.contains(&b'\r') && !header.contains(&b'\n'));
            assert_eq!(header, format!("ApiKey {token}").as_bytes());
            assert!(key.header_value().is_sensitive());
            let shown = format!("{key} {key:?}");
            assert!(!leaks(&shown, token), "{shown}");
            assert!(token.len() < 16 || shown.contains(&token[token.len() - 4..]));
        }
        Err(err) => {
            // The message is one of a fixed set of texts, with at most a
            // number (a length or a position) filled in: so it can hold
            // nothing of the input.
            let shown = collapse_digits(&format!("{err} {err:?}"));
            assert!(key_error_templates().contains(&shown), "{shown}");
        }
    }
}

fn collapse_digits(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii_digit() {
            if !out.ends_with('#') {
                out.push('#');
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn key_error_templates() -> Vec<String> {
    use routy_core::KeyError as E;
    [
        E::Empty,
        E::TooLong { len: 0 },
        E::PastedPrefix { prefix: "ApiKey" },
        E::PastedPrefix { prefix: "Bearer" },
        E::PastedPrefix {
            prefix: "Authorization:",
        },
        E::Quoted,
        E::InnerWhitespace { position: 0 },
        E::ControlCharacter { position: 0 },
        E::NonAscii { position: 0 },
        E::InvalidCharacter { position: 0 },
    ]
    .iter()
    .map(|e| collapse_digits(&format!("{e} {e:?}")))
    .collect()
}

/// Decodes a problem body; what decodes must re-encode.
pub fn check_problem(data: &[u8]) {
    if let Ok(problem) = serde_json::from_slice::<Problem>(data) {
        let again = serde_json::to_vec(&problem).expect("a problem re-encodes");
        let back: Problem = serde_json::from_slice(&again).expect("and decodes again");
        assert_eq!(back.title, problem.title);
        assert_eq!(back.errors, problem.errors);
    }
}

/// Input: flag byte, base URL, a newline, a path. Joined URLs stay under
/// the base and never carry CR/LF.
pub fn check_base_url(data: &[u8]) {
    let Some((&flag, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let (base, path) = text.split_once('\n').unwrap_or((text, "/v1/accounts"));
    let Ok(base_url) = BaseUrl::parse_with(base, flag & 1 == 1) else {
        return;
    };
    let shown = base_url.to_string();
    assert!(!shown.contains(['\r', '\n', '?', '#']), "{shown}");
    let parsed: http::Uri = shown.parse().expect("a base url displays as a url");
    let authority = parsed.authority().expect("with an authority");
    assert!(!authority.as_str().contains('@'), "credentials in {shown}");
    assert_eq!(authority.host(), base_url.host());
    if let Ok(uri) = base_url.join(path) {
        let joined = uri.to_string();
        assert!(joined.bytes().all(|b| b.is_ascii_graphic()), "{joined:?}");
        assert!(joined.starts_with(&shown), "{joined} is not under {shown}");
        let tail = &joined[shown.len()..];
        assert!(tail.starts_with('/'), "{joined}");
        let path_only = tail.split('?').next().unwrap_or_default();
        assert!(
            !path_only
                .split('/')
                .any(|s| s == "." || s == ".." || s.eq_ignore_ascii_case("%2e%2e")),
            "{joined} escapes the base"
        );
    }
}

/// An account object serde_json accepts reads the same `id`, `name` and
/// text through routy, alone and in a list (where accounts point into the
/// body and their members are found by routy's own reading of the plain
/// front), as by serde_json's strict parse of the whole object. Where the
/// strict parse refuses only a duplicate member, a number past f64's range
/// or a lone surrogate escape, routy may accept (it stops reading once `id`
/// and `name` are in hand, and reads a name that is a number as none).
pub fn check_account(data: &[u8]) {
    #[derive(serde::Deserialize)]
    struct Strict {
        id: routy_core::AccountId,
        #[serde(default)]
        name: Option<serde_json::Value>,
    }

    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(raw) = serde_json::from_str::<&serde_json::value::RawValue>(text) else {
        return;
    };
    if !raw.get().starts_with('{') {
        return;
    }
    let strict = serde_json::from_str::<Strict>(text);
    let alone = serde_json::from_str::<routy_core::Account>(text);
    match (&strict, &alone) {
        (Ok(strict), Ok(alone)) => {
            assert_eq!(alone.id(), strict.id, "{text}");
            let name = strict.name.as_ref().and_then(serde_json::Value::as_str);
            assert_eq!(alone.name(), name, "{text}");
            assert_eq!(alone.raw_json(), raw.get());
        }
        (Ok(_), Err(err)) => panic!("routy refused what serde_json reads: {err}: {text}"),
        // What the strict parse alone refuses: a duplicate member, a
        // number past f64's range (serde_json's `Value`; routy reads any
        // number as no name), a lone surrogate escape (the whole-body
        // check keeps those, as serde_json's `RawValue` does) in a member
        // routy does not read.
        (Err(err), Ok(alone)) => {
            let tolerated = |e: &serde_json::Error| {
                let e = e.to_string();
                [
                    "duplicate field",
                    "number out of range",
                    "surrogate",
                    "end of hex escape",
                ]
                .iter()
                .any(|m| e.contains(m))
            };
            assert!(
                tolerated(err),
                "routy read what serde_json refuses: {err}: {text}"
            );
            #[derive(serde::Deserialize)]
            struct IdOnly {
                id: routy_core::AccountId,
            }
            match serde_json::from_str::<IdOnly>(text) {
                Ok(id_only) => assert_eq!(alone.id(), id_only.id, "{text}"),
                Err(e) => assert!(
                    tolerated(&e),
                    "routy read an id serde_json refuses: {e}: {text}"
                ),
            }
        }
        (Err(_), Err(_)) => {}
    }
    // In a list, twice (the second far from the body's start).
    let body = format!("[{text},\n {text}]").into_bytes();
    let transport = routy_core::transport_fn(
        move |_req: http::Request<Vec<u8>>| -> Result<_, TransportError> {
            Ok(http::Response::new(body.clone()))
        },
    );
    let client = ClientBuilder::new()
        .api_key(ApiKey::new(KEY).unwrap())
        .retry(RetryPolicy::none())
        .build_with(transport)
        .unwrap();
    match (alone, client.accounts()) {
        (Ok(alone), Ok(listed)) => {
            assert_eq!(listed.len(), 2);
            for account in &listed {
                assert_eq!(account.id(), alone.id(), "{text}");
                assert_eq!(account.name(), alone.name(), "{text}");
                assert_eq!(account.raw_json(), alone.raw_json());
            }
        }
        (Err(_), Err(_)) => {}
        (alone, listed) => panic!("alone {alone:?}, listed {listed:?}: {text}"),
    }
}

/// The fields a rate-limit input is given as, by its first byte.
const RATE_LIMIT_FIELDS: [&str; 6] = [
    "ratelimit",
    "ratelimit-policy",
    "ratelimit-remaining",
    "ratelimit-reset",
    "x-ratelimit-remaining",
    "x-ratelimit-reset",
];

/// Input: byte 0 picks the status (200, 429, 403, 503) and which field
/// the rest is; byte 1 the other fields sent beside it. Reads the fields
/// (no panic, numbers as the grammar allows) and answers two calls of a
/// pacing client on a manual clock with them: neither loops hot, and no
/// hold or pacing wait passes the hold limit.
pub fn check_rate_limit(data: &[u8]) {
    let (Some(&pick), Some(&extra)) = (data.first(), data.get(1)) else {
        return;
    };
    let Ok(value) = HeaderValue::from_bytes(&data[2..]) else {
        return;
    };
    let field = RATE_LIMIT_FIELDS[usize::from(pick) % RATE_LIMIT_FIELDS.len()];
    let status = [200, 429, 403, 503][usize::from(pick / 8) % 4];
    let mut headers = http::HeaderMap::new();
    headers.insert(field, value);
    if extra & 1 == 1 {
        headers.insert("ratelimit-remaining", HeaderValue::from_static("0"));
    }
    if extra & 2 == 2 {
        headers.insert("ratelimit-reset", HeaderValue::from_static("2"));
    }
    if let Some(limit) = routy_core::RateLimit::from_headers(&headers) {
        let _ = limit.reset_after().map(|after| after.to_string());
        // The grammar's Integers have at most 15 digits.
        for n in [limit.limit, limit.remaining, limit.reset, limit.window]
            .into_iter()
            .flatten()
        {
            assert!(n < 1_000_000_000_000_000, "{n} from {headers:?}");
        }
    }
    let hold_limit = Duration::from_secs(300);
    let clock = ManualClock::new();
    let sends = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let transport = {
        let (headers, sends) = (headers.clone(), std::sync::Arc::clone(&sends));
        routy_core::transport_fn(
            move |_req: http::Request<Vec<u8>>| -> Result<_, TransportError> {
                sends.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let mut response = http::Response::new(b"[]".to_vec());
                *response.status_mut() = StatusCode::from_u16(status).unwrap();
                *response.headers_mut() = headers.clone();
                Ok(response)
            },
        )
    };
    let client = ClientBuilder::new()
        .api_key(ApiKey::new(KEY).unwrap())
        .pace(true)
        .max_quota_hold(hold_limit)
        .retry(
            RetryPolicy::default()
                .max_retry_after(Duration::from_secs(3600))
                .max_total_delay(Duration::from_secs(3600)),
        )
        .call_timeout(None)
        .clock(clock.clone())
        .build_with(transport)
        .unwrap();
    for _ in 0..2 {
        let _ = client.accounts();
    }
    // At most three requests a call answered at once, and waits of a
    // second or more (the server's pacing) within the policy's hour.
    let sleeps = clock.sleeps();
    let quick = sleeps
        .iter()
        .filter(|d| **d < Duration::from_secs(1))
        .count();
    assert!(quick <= 4, "{quick} quick retries: {sleeps:?}");
    assert!(
        sleeps
            .iter()
            .all(|d| *d <= Duration::from_secs(3600) + Duration::from_millis(100)),
        "{sleeps:?}"
    );
    assert!(sends.load(std::sync::atomic::Ordering::Relaxed) <= 2 + sleeps.len());
}
