//! The sandbox as a test kit, the way a user's tests use it: stubs for
//! routes it does not model (behind the real authentication), the request
//! journal, expectations, and connection faults (through every transport)
//! for the first N calls or by a seeded probability.

#![allow(
    clippy::unwrap_used,
    reason = "test code: a failed setup should panic loudly"
)]

use std::time::Duration;

use routy::clock::ManualClock;
use routy::http::Method;
use routy::{
    ApiErrorKind, ApiKey, ClientBuilder, Endpoint as _, RetryPolicy, Transport, TransportErrorKind,
};
use routy_sandbox::{Fault, FaultRule, NewToken, Sandbox, Stub, ADMIN_HEADER};
use serde_json::{json, Value};

fn client<T: Transport>(sandbox: &Sandbox, key: &str, transport: T) -> routy::ClientWith<T> {
    ClientBuilder::new()
        .api_key(ApiKey::new(key).unwrap())
        .base_url(&sandbox.base_url())
        .timeout(Duration::from_millis(800))
        .clock(ManualClock::new())
        .build_with(transport)
        .unwrap()
}

#[test]
fn a_stub_answers_a_route_the_sandbox_does_not_model_behind_the_same_auth() {
    let sandbox = Sandbox::start().unwrap();
    let token = sandbox.issue_token(NewToken::named("stubs")).unwrap();
    sandbox
        .add_stub(
            Stub::get("/v1/reports")
                .query("day", "2026-01-01")
                .respond_json(200, json!([{"id": "r1", "day": "2026-01-01"}]))
                .expect(1),
        )
        .unwrap();
    sandbox
        .add_stub(
            Stub::post("/v1/reports")
                .body_json(json!({"day": "2026-01-02"}))
                .respond_json(201, json!({"id": "r2"}))
                .times(1),
        )
        .unwrap();
    let client = client(&sandbox, token.secret(), routy::UreqTransport::new());

    let reports: Vec<Value> = client.get("/v1/reports?day=2026-01-01").unwrap();
    assert_eq!(reports[0]["id"], "r1");
    // Another query: no stub, so the sandbox's own 404, which names the
    // nearest stub and what differed (wiremock's near misses).
    let err = client
        .get::<Value>("/v1/reports?day=2026-03-03")
        .unwrap_err();
    assert_eq!(err.as_api().unwrap().kind(), ApiErrorKind::NotFound);
    let near = |err: &routy::Error| {
        let problem = err.as_api().and_then(|api| api.problem().cloned());
        problem.and_then(|p| p.detail).unwrap_or_default()
    };
    assert_eq!(
        near(&err),
        "No stub answered GET /v1/reports. The nearest, GET /v1/reports, differs: \
         the query has no day=2026-01-01."
    );
    // A typo in the path, two edits away, is a near miss too; a path
    // nothing like a stub's is the plain 404.
    let err = client
        .get::<Value>("/v1/report?day=2026-01-01")
        .unwrap_err();
    assert_eq!(
        near(&err),
        "No stub answered GET /v1/report. The nearest, GET /v1/reports, differs: \
         the path is /v1/report, not /v1/reports."
    );
    let err = client.get::<Value>("/v2/invoices").unwrap_err();
    assert_eq!(near(&err), "");
    // The POST stub matches its body, once.
    let body = routy::Body::json(&json!({"day": "2026-01-02"})).unwrap();
    let created = client
        .execute(Method::POST, "/v1/reports", Some(body.clone()))
        .unwrap();
    assert_eq!(created.status(), 201);
    let spent = client
        .execute(Method::POST, "/v1/reports", Some(body))
        .unwrap_err();
    assert_eq!(
        near(&spent),
        "No stub answered POST /v1/reports. The nearest, POST /v1/reports, differs: \
         it has answered its 1 call(s).",
        "times(1)"
    );

    // A wrong key gets the real 401, stub or not.
    let stranger = self::client(&sandbox, "not-a-real-key", routy::UreqTransport::new());
    let err = stranger
        .get::<Value>("/v1/reports?day=2026-01-01")
        .unwrap_err();
    assert_eq!(err.as_api().unwrap().kind(), ApiErrorKind::Unauthorized);

    sandbox.verify_stubs().unwrap();
}

#[test]
fn an_unmet_expectation_fails_verify_and_the_drop() {
    let sandbox = Sandbox::start().unwrap();
    sandbox
        .add_stub(Stub::get("/v1/reports").expect(2))
        .unwrap();
    let unmet = sandbox.verify_stubs().unwrap_err();
    assert_eq!(
        unmet.to_string(),
        "stub GET /v1/reports expected 2 call(s), got 0"
    );
    let dropped = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || drop(sandbox)));
    let message = dropped.unwrap_err();
    let message = message.downcast_ref::<String>().unwrap();
    assert_eq!(
        message,
        "routy-sandbox: stub GET /v1/reports expected 2 call(s), got 0"
    );
}

#[test]
fn the_journal_holds_every_request_with_the_key_as_its_fingerprint() {
    let sandbox = Sandbox::start().unwrap();
    let token = sandbox.issue_token(NewToken::named("journal")).unwrap();
    sandbox
        .add_stub(Stub::post("/v1/reports").respond_status(202))
        .unwrap();
    let client = client(&sandbox, token.secret(), routy::UreqTransport::new());
    client.accounts().unwrap();
    let body = routy::Body::json(&json!({"day": "2026-01-01"})).unwrap();
    client
        .execute(Method::POST, "/v1/reports?dry=1", Some(body))
        .unwrap();

    let journal = sandbox.journal();
    assert_eq!(journal.len(), 2);
    let (list, post) = (&journal[0], &journal[1]);
    assert_eq!(
        (list.method.as_str(), list.path.as_str(), list.status),
        ("GET", "/api/v1/accounts", 200)
    );
    assert_eq!(
        (post.method.as_str(), post.query.as_deref()),
        ("POST", Some("dry=1"))
    );
    assert_eq!(post.body, r#"{"day":"2026-01-01"}"#);
    assert_eq!(post.status, 202);
    assert_eq!(post.token_id.as_deref(), Some(token.info.id.as_str()));
    assert_eq!(
        post.header("authorization"),
        Some(token.journal_label().as_str())
    );
    assert!(post
        .header("user-agent")
        .unwrap()
        .starts_with("routy-rust/"));

    // The admin surface serves the same journal, and never the key.
    let (status, value) = admin(&sandbox, "GET", "/journal", None);
    assert_eq!(status, 200);
    assert_eq!(value.as_array().unwrap().len(), 2);
    assert!(!value.to_string().contains(token.secret()));
    assert_eq!(value[1]["tokenId"], token.info.id.as_str());
    sandbox.clear_journal();
    assert!(sandbox.journal().is_empty());
}

#[test]
fn stubs_and_fault_rules_from_the_admin_surface() {
    let sandbox = Sandbox::start().unwrap();
    let token = sandbox.issue_token(NewToken::named("admin")).unwrap();
    let (status, _) = admin(
        &sandbox,
        "POST",
        "/stubs",
        Some(
            json!([{"method": "GET", "path": "/v1/reports", "response": {"status": 200, "json": []}, "expect": 3}]),
        ),
    );
    assert_eq!(status, 204);
    let (status, value) = admin(
        &sandbox,
        "POST",
        "/stubs",
        Some(json!({"method": "GET", "path": "no-slash", "response": {"status": 200}})),
    );
    assert_eq!(status, 400);
    assert!(
        value["errors"]["Stub"][0]
            .as_str()
            .unwrap()
            .contains("must start with /"),
        "{value}"
    );
    let (status, value) = admin(&sandbox, "GET", "/stubs/verify", None);
    assert_eq!(status, 409);
    assert_eq!(
        value["detail"],
        "stub GET /v1/reports expected 3 call(s), got 0"
    );

    let (status, value) = admin(
        &sandbox,
        "POST",
        "/faults",
        Some(json!({"kind": "reset", "times": 2})),
    );
    assert_eq!((status, value["pending"].as_u64()), (200, Some(2)));
    let (status, _) = admin(
        &sandbox,
        "POST",
        "/faults",
        Some(json!({"kind": "drop", "probability": 2.0})),
    );
    assert_eq!(status, 400);

    // Two resets, then the stub: the default policy retries a GET through.
    // A connection fault breaks a real answer (the request was applied),
    // so the stub answered all three.
    let client = client(&sandbox, token.secret(), routy::UreqTransport::new());
    let (reports, info) = client
        .call(routy::endpoint::Json::<Value>::get("/v1/reports").with_info())
        .unwrap();
    assert_eq!((reports, info.attempts()), (json!([]), 3));
    let (status, value) = admin(&sandbox, "GET", "/stubs/verify", None);
    assert_eq!(status, 204, "{value}");
}

#[test]
fn a_seeded_probability_faults_the_same_calls_every_run() {
    let pattern = || {
        let sandbox = Sandbox::start().unwrap();
        let token = sandbox.issue_token(NewToken::named("seeded")).unwrap();
        sandbox
            .add_fault(FaultRule::probability(0.4, 7, Fault::Reset))
            .unwrap();
        let client = ClientBuilder::new()
            .api_key(ApiKey::new(token.secret()).unwrap())
            .base_url(&sandbox.base_url())
            .retry(RetryPolicy::none())
            .build_with(routy::UreqTransport::new())
            .unwrap();
        (0..24)
            .map(|_| client.accounts().is_ok())
            .collect::<Vec<bool>>()
    };
    let first = pattern();
    assert_eq!(first, pattern());
    assert!(first.contains(&true) && first.contains(&false), "{first:?}");
}

/// Each connection fault through `make`'s transport: the typed error a
/// client sees, never a panic; the journal shows the request was applied.
fn connection_faults<T: Transport>(name: &str, make: impl Fn() -> T) {
    let sandbox = Sandbox::start().unwrap();
    let token = sandbox.issue_token(NewToken::named("faults")).unwrap();
    let once = |fault: Fault| {
        sandbox.add_fault(fault).unwrap();
        let client = ClientBuilder::new()
            .api_key(ApiKey::new(token.secret()).unwrap())
            .base_url(&sandbox.base_url())
            .retry(RetryPolicy::none())
            .timeout(Duration::from_millis(700))
            .build_with(make())
            .unwrap();
        client.accounts()
    };
    use TransportErrorKind::{Io, Protocol, Timeout};
    let cases: [(Fault, &[TransportErrorKind]); 6] = [
        (Fault::Reset, &[Io]),
        (Fault::Empty, &[Io]),
        (Fault::Drop, &[Io]),
        // Malformed, not cut short: ureq says Protocol, while libcurl and
        // hyper report a bad chunk size as a read error (Io).
        (Fault::BadChunked, &[Io, Protocol]),
        (Fault::Stall { ms: 3000 }, &[Timeout]),
        (
            Fault::Drip {
                bytes_per_second: 200,
            },
            &[Timeout],
        ),
    ];
    for (fault, kinds) in cases {
        let err = once(fault.clone()).unwrap_err();
        let kind = err.as_transport().map(|t| t.kind());
        assert!(
            kind.is_some_and(|k| kinds.contains(&k)),
            "{name} {fault:?}: {err}"
        );
        assert!(!routy::error_chain(&err).contains(token.secret()), "{name}");
        let last = sandbox.journal().pop().unwrap();
        assert_eq!(
            (last.status, last.fault.is_some()),
            (200, true),
            "{name} {fault:?}: applied"
        );
    }
    // A drip fast enough for the deadline delivers the whole answer.
    let accounts = once(Fault::Drip {
        bytes_per_second: 1 << 20,
    })
    .unwrap();
    assert_eq!(accounts.len(), 40, "{name}");
    // And the sandbox is still well.
    assert_eq!(
        once(Fault::delay(Duration::ZERO)).unwrap().len(),
        40,
        "{name}"
    );
}

#[test]
fn connection_faults_through_ureq() {
    connection_faults("ureq", routy::UreqTransport::new);
}

#[cfg(feature = "curl")]
#[test]
fn connection_faults_through_curl() {
    connection_faults("curl", routy::CurlTransport::new);
}

#[cfg(feature = "reqwest")]
#[test]
fn connection_faults_through_reqwest() {
    connection_faults("reqwest", || routy::ReqwestTransport::new().unwrap());
}

fn admin(sandbox: &Sandbox, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
    let agent = ureq::Agent::new_with_config(
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(10)))
            .build(),
    );
    let request = routy::http::Request::builder()
        .method(method)
        .uri(format!("{}{path}", sandbox.admin_url()))
        .header(ADMIN_HEADER, sandbox.admin_secret())
        .header("content-type", "application/json")
        .body(
            body.map(|b| serde_json::to_vec(&b).unwrap())
                .unwrap_or_default(),
        )
        .unwrap();
    let mut response = agent.run(request).unwrap();
    let status = response.status().as_u16();
    let text = response.body_mut().read_to_string().unwrap();
    let value = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap()
    };
    (status, value)
}

#[test]
fn stopping_the_sandbox_does_not_wait_out_a_long_stall() {
    let sandbox = Sandbox::start().unwrap();
    let token = sandbox.issue_token(NewToken::named("stall")).unwrap();
    sandbox.add_fault(Fault::Stall { ms: 600_000 }).unwrap();
    let client = ClientBuilder::new()
        .api_key(ApiKey::new(token.secret()).unwrap())
        .base_url(&sandbox.base_url())
        .retry(RetryPolicy::none())
        .timeout(Duration::from_millis(300))
        .build_with(routy::UreqTransport::new())
        .unwrap();
    let err = client.accounts().unwrap_err();
    assert_eq!(
        err.as_transport().map(|t| t.kind()),
        Some(TransportErrorKind::Timeout)
    );
    let stopping = std::time::Instant::now();
    sandbox.stop();
    assert!(
        stopping.elapsed() < Duration::from_secs(5),
        "stop waited for the stall"
    );
}

#[test]
fn a_body_over_a_mebibyte_is_refused_and_the_journal_stays_bounded() {
    let sandbox = Sandbox::start().unwrap();
    let token = sandbox.issue_token(NewToken::named("big")).unwrap();
    let client = client(&sandbox, token.secret(), routy::UreqTransport::new());
    let big = routy::Body::json(&"x".repeat(1 << 21)).unwrap();
    let err = client
        .execute(Method::POST, "/v1/reports", Some(big))
        .unwrap_err();
    assert_eq!(err.as_api().unwrap().status(), 413);
    // Refused before the model: nothing journaled.
    assert!(sandbox.journal().is_empty());
    let body = routy::Body::json(&"y".repeat(100_000)).unwrap();
    let _ = client.execute(Method::POST, "/v1/reports", Some(body));
    let kept = &sandbox.journal()[0];
    assert_eq!(kept.body.len(), routy_sandbox::JOURNAL_BODY_BYTES);
}
