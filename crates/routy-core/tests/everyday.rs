//! Everyday calls: per-call options, what a success came with, lists that
//! say they are incomplete, and errors a test's `unwrap()` can show.

#![allow(
    clippy::unwrap_used,
    reason = "test code: a failed setup should panic loudly"
)]

mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use http::{Request, Response};
use routy_core::clock::ManualClock;
use routy_core::endpoint::Accounts;
use routy_core::endpoint::{Json, Raw};
use routy_core::Endpoint as _;
use routy_core::{
    ApiKey, CallOptions, Client, Deadline, Error, RequestError, RequestLimits, RetryPolicy,
    Transport, TransportError, TransportErrorKind,
};
use support::{ClientBuilder, TOKEN};

type Seen = Arc<Mutex<Vec<Request<Vec<u8>>>>>;
type Answer = Result<Response<Vec<u8>>, TransportError>;

/// A client whose transport records each request and answers with
/// `answer(n, request)` (n counts from 0), never sleeping.
fn recording(
    answer: impl Fn(usize, &Request<Vec<u8>>) -> Answer + Send + Sync + 'static,
) -> (Client<impl Transport>, Seen) {
    let seen: Seen = Arc::default();
    let log = Arc::clone(&seen);
    let client = ClientBuilder::new()
        .api_key(ApiKey::new(TOKEN).unwrap())
        .clock(ManualClock::new())
        .build_with(routy_core::transport_fn(move |req: Request<Vec<u8>>| {
            let mut log = log.lock().unwrap();
            let n = log.len();
            let result = answer(n, &req);
            log.push(req);
            result
        }))
        .unwrap();
    (client, seen)
}

fn json(body: &str) -> Answer {
    Ok(Response::builder()
        .header("content-type", "application/json")
        .body(body.as_bytes().to_vec())
        .unwrap())
}

fn status(code: u16) -> Answer {
    Ok(Response::builder().status(code).body(Vec::new()).unwrap())
}

#[test]
fn per_call_options_change_one_call_only() {
    let (client, seen) = recording(|_, _| status(503));
    let options = CallOptions::new()
        .retry(RetryPolicy::none())
        .timeout(Duration::from_secs(2))
        .header("x-correlation-id", "batch-7")
        .header("accept", "application/vnd.routy+json");
    let err = client.call_with(Accounts, &options).unwrap_err();
    assert_eq!(err.attempts(), 1, "the call's policy: no retry");
    {
        let seen = seen.lock().unwrap();
        let request = &seen[0];
        assert_eq!(request.headers()["x-correlation-id"], "batch-7");
        assert_eq!(
            request.headers().get_all("accept").iter().count(),
            1,
            "a caller's header replaces routy's"
        );
        assert_eq!(request.headers()["accept"], "application/vnd.routy+json");
        assert!(request.headers()["x-correlation-id"].is_sensitive());
        assert_eq!(
            RequestLimits::of(request).timeout,
            Some(Duration::from_secs(2))
        );
    }
    seen.lock().unwrap().clear();
    let err = client.accounts().unwrap_err();
    assert_eq!(err.attempts(), 3, "the client's policy is untouched");
    let seen = seen.lock().unwrap();
    assert!(seen
        .iter()
        .all(|r| !r.headers().contains_key("x-correlation-id")));
    assert_eq!(
        RequestLimits::of(&seen[0]).timeout,
        Some(routy_core::defaults::DEFAULT_TIMEOUT)
    );
}

#[test]
fn extra_headers_stay_with_the_first_origin_like_the_key() {
    let (client, seen) = recording(|n, _| match n {
        0 => Ok(Response::builder()
            .status(302)
            .header("location", "https://cdn.example/accounts.json")
            .body(Vec::new())
            .unwrap()),
        _ => json("[]"),
    });
    let options = CallOptions::new().header("x-tenant-secret", "s");
    assert!(client.call_with(Accounts, &options).unwrap().is_empty());
    let seen = seen.lock().unwrap();
    assert!(seen[0].headers().contains_key("x-tenant-secret"));
    assert!(!seen[1].headers().contains_key("x-tenant-secret"));
    assert!(!seen[1].headers().contains_key("authorization"));
}

#[test]
fn options_that_cannot_work_fail_before_anything_is_sent() {
    let (client, seen) = recording(|_, _| json("[]"));
    for (options, expect) in [
        (
            CallOptions::new().header("Authorization", "Bearer x"),
            "reserved",
        ),
        (
            CallOptions::new().header("host", "evil.example"),
            "reserved",
        ),
        (CallOptions::new().header("bad name", "1"), "invalid"),
        (CallOptions::new().header("x-a", "a\r\nb"), "invalid"),
        (CallOptions::new().call_timeout(Duration::ZERO), "zero"),
    ] {
        let err = client.call_with(Accounts, &options).unwrap_err();
        let ok = matches!(
            (&err, expect),
            (
                Error::Request(RequestError::ReservedHeader { .. }),
                "reserved"
            ) | (
                Error::Request(RequestError::InvalidHeader { .. }),
                "invalid"
            ) | (Error::Config(routy_core::ConfigError::ZeroTimeout), "zero")
        );
        assert!(ok, "{expect}: {err:?}");
        assert_eq!(err.attempts(), 0);
    }
    assert!(seen.lock().unwrap().is_empty(), "nothing was sent");
}

#[test]
fn a_per_call_deadline_is_named_with_its_value() {
    let (client, _) = recording(|_, _| Err(TransportErrorKind::Timeout.into()));
    let options = CallOptions::new()
        .timeout(Duration::from_secs(20))
        .call_timeout(Duration::from_secs(4));
    let err = client
        .call_with(Raw::new(http::Method::POST, "/v1/things"), &options)
        .unwrap_err();
    let deadline = err.as_transport().and_then(|t| t.deadline());
    assert_eq!(deadline, Some(Deadline::Call(Duration::from_secs(4))));
    // A POST whose deadline passed may have reached the server: said so.
    assert!(
        err.to_string().ends_with(
            "request timed out (the whole-call deadline of 4s passed); \
             the POST may have been applied: check before sending it again"
        ),
        "{err}"
    );
}

#[test]
fn a_dropped_connection_says_its_cause_and_whether_a_post_may_have_been_applied() {
    let reset = || {
        let cause =
            std::io::Error::new(std::io::ErrorKind::ConnectionReset, "reset by peer\r\nX: 1");
        Err(routy_core::TransportError::from_io(cause))
    };
    let (client, _) = recording(move |_, _| reset());
    let err = client.accounts().unwrap_err();
    // The cause in `{e}`, one line; `source()` does not repeat it.
    assert!(
        err.to_string()
            .ends_with("/v1/accounts: connection error after 3 attempts: reset by peer\\r\\nX: 1"),
        "{err}"
    );
    assert!(std::error::Error::source(&err).is_none());
    assert_eq!(routy_core::error_chain(&err), err.to_string());
    // A POST is not sent again, and the message says it may have landed.
    let err = client
        .call(Raw::new(http::Method::POST, "/v1/things"))
        .unwrap_err();
    assert!(
        err.to_string().ends_with(
            "connection error: reset by peer\\r\\nX: 1; \
             the POST may have been applied: check before sending it again"
        ),
        "{err}"
    );
    // Refused before anything was sent: nothing to check.
    let (client, _) = recording(|_, _| Err(TransportErrorKind::Connect.into()));
    let err = client
        .call(Raw::new(http::Method::POST, "/v1/things"))
        .unwrap_err();
    assert!(!err.to_string().contains("may have been applied"), "{err}");
}

#[test]
fn a_success_brings_its_request_id_and_rate_limits_on_request() {
    let (client, _) = recording(|_, _| {
        Ok(Response::builder()
            .header("content-type", "application/json")
            .header("x-request-id", "req-1")
            .header("x-ratelimit-limit", "100")
            .header("x-ratelimit-remaining", "99")
            .header("x-ratelimit-reset", "1800000000")
            .body(br#"[{"id": 1}]"#.to_vec())
            .unwrap())
    });
    let (accounts, info) = client.call(Accounts.with_info()).unwrap();
    assert_eq!(accounts.len(), 1);
    assert_eq!(info.status(), 200);
    assert_eq!(info.request_id(), Some("req-1"));
    let limit = info.rate_limit().unwrap();
    assert_eq!(
        (limit.limit, limit.remaining, limit.reset),
        (Some(100), Some(99), Some(1_800_000_000))
    );
    let (value, info) = client
        .call(Json::<serde_json::Value>::get("/v1/x").with_info())
        .unwrap();
    assert_eq!(value[0]["id"], 1);
    assert_eq!(info.attempts(), 1);
}

#[test]
fn a_request_id_that_echoes_the_key_is_redacted_on_success_too() {
    let (client, _) = recording(|_, _| {
        Ok(Response::builder()
            .header("x-request-id", format!("id-{TOKEN}"))
            .body(b"[]".to_vec())
            .unwrap())
    });
    let (_, info) = client.call(Accounts.with_info()).unwrap();
    assert!(!format!("{info:?}").contains(&TOKEN[..12]), "{info:?}");
}

#[test]
fn a_list_that_signals_more_is_an_error_not_page_one() {
    let link = |_: usize, _: &Request<Vec<u8>>| {
        Ok(Response::builder()
            .header(
                "link",
                r#"<https://platform.routy.app/api/v1/accounts?page=2>; rel="next""#,
            )
            .body(br#"[{"id": 1}, {"id": 2}]"#.to_vec())
            .unwrap())
    };
    let (client, _) = recording(link);
    let Err(Error::IncompleteList(err)) = client.accounts() else {
        panic!("a Link: rel=next is refused")
    };
    assert_eq!((err.signal(), err.received()), ("Link", 2));

    let (client, _) = recording(|_, _| json(r#"{"data": [{"id": 1}], "total": 40}"#));
    let Err(Error::IncompleteList(err)) = client.accounts() else {
        panic!("a total above the count is refused")
    };
    assert_eq!(err.signal(), "total");
    assert!(err.to_string().contains("the `total` member"), "{err}");

    let (client, _) =
        recording(|_, _| json(r#"{"value": [{"id": 1}], "@odata.nextLink": null, "total": 1}"#));
    assert_eq!(
        client.accounts().unwrap().len(),
        1,
        "nothing more: no error"
    );

    // A caller who knows better reads the page through `get`.
    let (client, _) = recording(|_, _| json(r#"{"data": [{"id": 1}], "next": "/p2"}"#));
    let page: serde_json::Value = client.get("/v1/accounts").unwrap();
    assert_eq!(page["next"], "/p2");
}

#[test]
fn a_large_error_body_is_whole_through_body_and_short_in_debug() {
    let body = "x".repeat(50_000);
    let (client, _) = recording(move |_, _| {
        Ok(Response::builder()
            .status(400)
            .body(body.as_bytes().to_vec())
            .unwrap())
    });
    let err = client.accounts().unwrap_err();
    let api = err.as_api().unwrap();
    assert_eq!(api.body().len(), 50_000);
    assert!(!api.is_truncated());
    let debug = format!("{err:?}");
    assert!(debug.len() < 1024, "{} bytes of Debug", debug.len());
    assert!(debug.contains("50000 bytes in all"), "{debug}");
}
