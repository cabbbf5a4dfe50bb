//! The exact requests the client builds, checked through mockall's
//! `MockTransport` against an expected request rendered as text, so a
//! mismatch shows as a line diff.

#![allow(
    clippy::unwrap_used,
    reason = "a test helper that fails should panic loudly"
)]

use std::time::Duration;

use pretty_assertions::assert_eq;
use routy_core::defaults::USER_AGENT;
use routy_core::http::{self, Method, Request, Response};
use routy_core::{ApiKey, Body, MockTransport, RequestLimits};

mod support;
use support::{ClientBuilder, TOKEN};

/// Method, URI, then every header sorted, then the body: one line each.
fn render(request: &Request<Vec<u8>>) -> String {
    let mut lines = vec![format!("{} {}", request.method(), request.uri())];
    let mut headers: Vec<String> = request
        .headers()
        .iter()
        .map(|(name, value)| format!("{name}: {}", value.to_str().expect("ascii header")))
        .collect();
    headers.sort();
    lines.extend(headers);
    lines.push(String::new());
    lines.push(String::from_utf8_lossy(request.body()).into_owned());
    lines.join("\n")
}

fn ok_json(body: &str) -> Response<Vec<u8>> {
    Response::builder()
        .header("content-type", "application/json")
        .body(body.as_bytes().to_vec())
        .expect("valid response")
}

/// A mock that expects exactly one request, rendered as `expected` (see
/// [`render`]) and passing `check`, and answers it with `response`.
fn expecting_once(
    expected: String,
    check: impl Fn(&Request<Vec<u8>>) + Send + Sync + 'static,
    response: impl Fn() -> Response<Vec<u8>> + Send + 'static,
) -> MockTransport {
    let mut mock = MockTransport::new();
    mock.expect_send()
        .times(1)
        .withf(move |req| {
            assert_eq!(render(req), expected);
            check(req);
            true
        })
        .returning(move |_| Ok(response()));
    mock
}

#[test]
fn accounts_sends_exactly_the_documented_request() {
    let expected = format!(
        "GET https://platform.routy.app/api/v1/accounts\n\
         accept: application/json\n\
         authorization: ApiKey {TOKEN}\n\
         user-agent: {USER_AGENT}\n\
         \n"
    );
    let mock = expecting_once(
        expected,
        |_| {},
        || ok_json(r#"[{"id": 1, "name": "Acme"}]"#),
    );
    let client = ClientBuilder::new()
        .api_key(ApiKey::new(TOKEN).unwrap())
        .build_with(mock)
        .unwrap();
    let accounts = client.accounts().unwrap();
    assert_eq!(accounts.len(), 1);
}

#[test]
fn base_url_app_name_and_limits_travel_with_the_request() {
    let mock = expecting_once(
        format!(
            "GET http://127.0.0.1:4010/api/v1/accounts\n\
             accept: application/json\n\
             authorization: ApiKey {TOKEN}\n\
             user-agent: {USER_AGENT} nightly-report/1.0\n\
             \n"
        ),
        |req| {
            assert!(req.headers()["authorization"].is_sensitive());
            let limits = RequestLimits::of(req);
            assert_eq!(
                (limits.max_body_bytes, limits.timeout),
                (4096, Some(Duration::from_secs(3)))
            );
            // The first attempt of its call, no redirect yet.
            let number = routy::transport::AttemptNumber::of(req);
            assert_eq!((number.attempt, number.hop), (1, 0));
        },
        || ok_json("[]"),
    );
    let client = ClientBuilder::new()
        .api_key(ApiKey::new(TOKEN).unwrap())
        .base_url("http://127.0.0.1:4010/api/")
        .app_name("nightly-report/1.0")
        .timeout(Duration::from_secs(3))
        .max_body_bytes(4096)
        .build_with(mock)
        .unwrap();
    assert!(client.accounts().unwrap().is_empty());
}

#[test]
fn raw_sends_method_path_query_and_body() {
    let mock = expecting_once(
        format!(
            "DELETE https://platform.routy.app/api/v1/tokens/42?reason=rotated\n\
             accept: application/json\n\
             authorization: ApiKey {TOKEN}\n\
             content-type: application/json\n\
             user-agent: {USER_AGENT}\n\
             \n\
             {{\"confirm\":true}}"
        ),
        |_| {},
        || {
            Response::builder()
                .status(409)
                .header("x-request-id", "r-1")
                .body(b"busy".to_vec())
                .expect("valid")
        },
    );
    let client = ClientBuilder::new()
        .api_key(ApiKey::new(TOKEN).unwrap())
        .build_with(mock)
        .unwrap();
    let body = Body::json(&serde_json::json!({"confirm": true})).unwrap();
    // The escape hatch hands back every status as a response.
    let response = client
        .execute_any_status(Method::DELETE, "/v1/tokens/42?reason=rotated", Some(body))
        .unwrap();
    assert_eq!(response.status(), 409);
    assert_eq!(response.headers()["x-request-id"], "r-1");
    assert_eq!(response.body(), b"busy");
}

#[test]
fn rotated_key_is_used_by_the_next_request_on_every_thread() {
    let mut mock = MockTransport::new();
    let mut seq = mockall::Sequence::new();
    mock.expect_send()
        .times(8)
        .in_sequence(&mut seq)
        .withf(|req| req.headers()["authorization"] == "ApiKey old-token")
        .returning(|_| Ok(ok_json("[]")));
    mock.expect_send()
        .times(8)
        .in_sequence(&mut seq)
        .withf(|req| req.headers()["authorization"] == "ApiKey new-token")
        .returning(|_| Ok(ok_json("[]")));
    let client = ClientBuilder::new()
        .api_key(ApiKey::new("old-token").unwrap())
        .build_with(mock)
        .unwrap();
    let run_batch = |client: &routy_core::Client<MockTransport>| {
        std::thread::scope(|s| {
            for _ in 0..8 {
                let client = client.clone();
                s.spawn(move || client.accounts().unwrap());
            }
        });
    };
    run_batch(&client);
    client.set_api_key(ApiKey::new("new-token").unwrap());
    run_batch(&client);
}

#[test]
fn refused_paths_send_nothing() {
    let mut mock = MockTransport::new();
    mock.expect_send().times(0);
    let client = ClientBuilder::new()
        .api_key(ApiKey::new(TOKEN).unwrap())
        .build_with(mock)
        .unwrap();
    for path in [
        "v1/accounts",
        "/v1/../../admin",
        "/v1/%2e%2e/x",
        "/a#b",
        "/a b",
    ] {
        let err = client.get::<serde_json::Value>(path).unwrap_err();
        assert!(
            matches!(err, routy_core::Error::Request(_)),
            "{path}: {err:?}"
        );
    }
    let _: http::Uri = client
        .prepare(Method::GET, "/v1/accounts", None)
        .unwrap()
        .uri()
        .clone();
}

#[test]
fn mock_matches_on_method_path_and_the_authorization_header() {
    let mut mock = MockTransport::new();
    mock.expect_send()
        .withf(|req| {
            req.method() == Method::GET
                && req.uri().path() == "/api/v1/accounts"
                && req.headers()["authorization"] == format!("ApiKey {TOKEN}").as_str()
        })
        .times(1)
        .returning(|_| Ok(ok_json("[]")));
    // A request that matches no expectation fails the test loudly.
    mock.expect_send()
        .withf(|req| req.uri().path() != "/api/v1/accounts")
        .times(1)
        .returning(|_| Ok(Response::builder().status(404).body(Vec::new()).unwrap()));
    let client = ClientBuilder::new()
        .api_key(ApiKey::new(TOKEN).unwrap())
        .build_with(mock)
        .unwrap();
    assert!(client.accounts().unwrap().is_empty());
    assert_eq!(
        client
            .execute_any_status(Method::GET, "/v1/other", None)
            .unwrap()
            .status(),
        404
    );
}
