//! The facade over the real ureq transport against the sandbox: the token
//! lifecycle, search and filters, validation, concurrency, faults, state.

#![allow(
    clippy::unwrap_used,
    reason = "a test helper that fails should panic loudly"
)]

use std::time::{Duration, Instant, SystemTime};

use routy::Endpoint as _;
use routy::{ApiErrorKind, ApiKey, Error};
use routy_sandbox::{
    Fault, ManualWallClock, NewToken, RateWindow, Sandbox, TokenFilter, ADMIN_HEADER,
};
use serde_json::{json, Value};

const DAY: Duration = Duration::from_secs(86_400);

fn t0() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000)
}

/// A client without retries: these tests look at what the sandbox sends.
fn client(sandbox: &Sandbox, secret: &str) -> routy::Client {
    routy::Client::builder()
        .api_key(ApiKey::new(secret).unwrap())
        .base_url(&sandbox.base_url())
        .timeout(Duration::from_secs(10))
        .retry(routy::RetryPolicy::none())
        .build()
        .unwrap()
}

fn unauthorized_detail(result: Result<Vec<routy::Account>, Error>) -> String {
    match result {
        Err(Error::Api(err)) => {
            assert_eq!(err.kind(), ApiErrorKind::Unauthorized);
            assert!(err.request_id().is_some_and(|id| id.starts_with("00-")));
            err.problem().unwrap().detail.clone().unwrap()
        }
        other => panic!("expected 401, got {other:?}"),
    }
}

/// A plain HTTP call (ureq, no routy) for the admin surface and raw checks.
fn http(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: Option<Value>,
) -> (u16, Vec<(String, String)>, Value) {
    let agent = ureq::Agent::new_with_config(
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(10)))
            .build(),
    );
    let mut request = routy::http::Request::builder().method(method).uri(url);
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    let bytes = body
        .map(|b| serde_json::to_vec(&b).unwrap())
        .unwrap_or_default();
    let request = request
        .header("content-type", "application/json")
        .body(bytes)
        .unwrap();
    let mut response = agent.run(request).unwrap();
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap().to_owned()))
        .collect();
    let text = response.body_mut().read_to_string().unwrap();
    let value = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap()
    };
    (status, headers, value)
}

fn admin(sandbox: &Sandbox, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
    let (status, _, value) = http(
        method,
        &format!("{}{path}", sandbox.admin_url()),
        &[(ADMIN_HEADER, sandbox.admin_secret())],
        body,
    );
    (status, value)
}

#[test]
fn lifecycle_issue_call_last_used_delete() {
    let clock = ManualWallClock::new(t0());
    let sandbox = Sandbox::builder().clock(clock.clone()).start().unwrap();
    let token = sandbox
        .issue_token(NewToken::named("Reporting Script"))
        .unwrap();
    assert_eq!(token.info.last_used_at, None);
    assert_eq!(token.info.created_at, t0());

    clock.advance(Duration::from_secs(90));
    let client = client(&sandbox, token.secret());
    let accounts = client.accounts().unwrap();
    assert_eq!(accounts.len(), routy_sandbox::SEED_ACCOUNTS);

    let listed = sandbox.tokens(&TokenFilter::default());
    assert_eq!(listed[0].last_used_at, Some(t0() + Duration::from_secs(90)));

    sandbox.delete_token(&token.info.id).unwrap();
    assert!(sandbox.tokens(&TokenFilter::default()).is_empty());
    assert_eq!(
        unauthorized_detail(client.accounts()),
        "The API token has been deleted."
    );
}

#[test]
fn expiry_with_the_fake_clock() {
    let clock = ManualWallClock::new(t0());
    let sandbox = Sandbox::builder().clock(clock.clone()).start().unwrap();
    let token = sandbox
        .issue_token(NewToken::named("Short lived").expires_at(t0() + DAY))
        .unwrap();
    let client = client(&sandbox, token.secret());
    client.accounts().unwrap();
    clock.advance(DAY);
    let detail = unauthorized_detail(client.accounts());
    assert!(
        detail.starts_with("The API token expired at 2027-01-16"),
        "{detail}"
    );
}

#[test]
fn every_401_is_told_apart_and_never_echoes_the_token() {
    let sandbox = Sandbox::start().unwrap();
    let accounts_url = format!("{}/v1/accounts", sandbox.base_url());
    let cases: [(&[(&str, &str)], &str); 4] = [
        (&[], "The Authorization header is missing."),
        (
            &[("authorization", "Bearer not-a-routy-token")],
            "must use the ApiKey scheme",
        ),
        (&[("authorization", "ApiKey")], "must use the ApiKey scheme"),
        (
            &[("authorization", "ApiKey made-up-token-value")],
            "The API token is not valid.",
        ),
    ];
    for (headers, expected) in cases {
        let (status, response_headers, body) = http("GET", &accounts_url, headers, None);
        assert_eq!(status, 401);
        assert!(response_headers
            .iter()
            .any(|(k, v)| k == "content-type" && v.starts_with("application/problem+json")));
        assert!(response_headers
            .iter()
            .any(|(k, v)| k == "www-authenticate" && v == "ApiKey"));
        assert_eq!(body["status"], 401);
        assert_eq!(body["title"], "Unauthorized");
        assert!(body["traceId"].as_str().unwrap().starts_with("00-"));
        let detail = body["detail"].as_str().unwrap();
        assert!(detail.contains(expected), "{detail}");
        let text = body.to_string();
        assert!(!text.contains("made-up-token-value") && !text.contains("not-a-routy-token"));
    }
}

#[test]
fn secrets_are_random_base64_and_deterministic_with_a_seed() {
    let a = Sandbox::builder().seed(42).start().unwrap();
    let b = Sandbox::builder().seed(42).start().unwrap();
    let ta = a.issue_token(NewToken::named("one")).unwrap();
    let tb = b.issue_token(NewToken::named("one")).unwrap();
    assert_eq!(ta.secret(), tb.secret(), "same seed, same secret");
    assert_eq!(ta.secret().len(), 44);
    assert!(ta.secret().ends_with('='));
    assert!(
        !format!("{ta:?}").contains(ta.secret()),
        "Debug hides the secret"
    );
    let tc = Sandbox::start()
        .unwrap()
        .issue_token(NewToken::named("one"))
        .unwrap();
    assert_ne!(ta.secret(), tc.secret());
    // Listing never shows a secret.
    let (_, listed) = admin(&a, "GET", "/tokens", None);
    assert!(!listed.to_string().contains(ta.secret()));
}

#[test]
fn search_and_every_filter() {
    let clock = ManualWallClock::new(t0());
    let sandbox = Sandbox::builder().clock(clock.clone()).start().unwrap();
    let issue = |name: &str, creator: &str, expires: Option<Duration>| {
        let mut new = NewToken::named(name).creator(creator);
        if let Some(d) = expires {
            new = new.expires_at(clock_now(&clock) + d);
        }
        sandbox.issue_token(new).unwrap()
    };
    let report = issue("Reporting Script", "ana", Some(3 * DAY));
    clock.advance(10 * DAY);
    let prod = issue("Production Integration", "ben", Some(30 * DAY));
    clock.advance(10 * DAY);
    let _old = issue("Old export", "ana", None);
    // Use the production token now, the report token never.
    client(&sandbox, prod.secret()).accounts().unwrap();
    clock.advance(2 * DAY);

    let names = |filter: TokenFilter| -> Vec<String> {
        sandbox
            .tokens(&filter)
            .into_iter()
            .map(|t| t.name)
            .collect()
    };
    assert_eq!(
        names(TokenFilter {
            search: Some("rePORT".into()),
            ..Default::default()
        }),
        ["Reporting Script"]
    );
    assert_eq!(
        names(TokenFilter {
            creator: Some("ana".into()),
            ..Default::default()
        }),
        ["Reporting Script", "Old export"]
    );
    assert_eq!(
        names(TokenFilter {
            created_from: Some(t0() + 5 * DAY),
            created_to: Some(t0() + 15 * DAY),
            ..Default::default()
        }),
        ["Production Integration"]
    );
    assert_eq!(
        names(TokenFilter {
            last_used_from: Some(t0() + 19 * DAY),
            ..Default::default()
        }),
        ["Production Integration"]
    );
    assert!(names(TokenFilter {
        last_used_to: Some(t0() + 19 * DAY),
        ..Default::default()
    })
    .is_empty());
    // Report expired on day 3; prod expires on day 40, i.e. 18 days from day 22.
    assert_eq!(
        names(TokenFilter {
            expiring_within: Some(20 * DAY),
            ..Default::default()
        }),
        ["Production Integration"]
    );
    assert!(names(TokenFilter {
        expiring_within: Some(7 * DAY),
        ..Default::default()
    })
    .is_empty());
    assert_eq!(
        names(TokenFilter {
            recently_used_within: Some(3 * DAY),
            ..Default::default()
        }),
        ["Production Integration"]
    );
    assert!(names(TokenFilter {
        recently_used_within: Some(DAY),
        ..Default::default()
    })
    .is_empty());
    let _ = report;

    // The same through the admin surface.
    let http_names = |query: &str| -> Vec<String> {
        let (status, body) = admin(&sandbox, "GET", &format!("/tokens?{query}"), None);
        assert_eq!(status, 200, "{query}: {body}");
        body.as_array()
            .unwrap()
            .iter()
            .map(|t| t["name"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(http_names("search=integration"), ["Production Integration"]);
    assert_eq!(
        http_names("creator=ana"),
        ["Reporting Script", "Old export"]
    );
    assert_eq!(
        http_names("createdFrom=2027-01-20&createdTo=2027-01-27T00:00:00Z"),
        ["Production Integration"]
    );
    assert_eq!(
        http_names("lastUsedFrom=2027-02-04T00:00:00Z"),
        ["Production Integration"]
    );
    assert_eq!(
        http_names("expiringWithinDays=20"),
        ["Production Integration"]
    );
    assert_eq!(
        http_names("recentlyUsedWithinDays=3"),
        ["Production Integration"]
    );
    assert_eq!(http_names("").len(), 3);
}

fn clock_now(clock: &ManualWallClock) -> SystemTime {
    use routy_sandbox::WallClock;
    clock.now()
}

#[test]
fn admin_surface_issues_and_deletes_tokens_that_then_work_and_fail() {
    let sandbox = Sandbox::start().unwrap();
    let (status, issued) = admin(
        &sandbox,
        "POST",
        "/tokens",
        Some(json!({"name": "Via HTTP", "creator": "ci", "expiresInDays": 30})),
    );
    assert_eq!(status, 201, "{issued}");
    let secret = issued["token"].as_str().unwrap();
    assert_eq!(issued["creator"], "ci");
    assert!(issued["expiresAt"].is_string());
    let client = client(&sandbox, secret);
    assert_eq!(
        client.accounts().unwrap().len(),
        routy_sandbox::SEED_ACCOUNTS
    );

    let id = issued["id"].as_str().unwrap();
    let (status, _) = admin(&sandbox, "DELETE", &format!("/tokens/{id}"), None);
    assert_eq!(status, 204);
    let (status, body) = admin(&sandbox, "DELETE", &format!("/tokens/{id}"), None);
    assert_eq!(status, 404, "{body}");
    assert_eq!(
        unauthorized_detail(client.accounts()),
        "The API token has been deleted."
    );
}

#[test]
fn admin_surface_needs_its_own_secret() {
    let sandbox = Sandbox::start().unwrap();
    let token = sandbox.issue_token(NewToken::named("api token")).unwrap();
    for headers in [
        vec![],
        vec![(ADMIN_HEADER, "wrong")],
        // An API key is not an admin secret.
        vec![("authorization", &*format!("ApiKey {}", token.secret()))],
    ] {
        let (status, _, body) = http(
            "GET",
            &format!("{}/tokens", sandbox.admin_url()),
            &headers,
            None,
        );
        assert_eq!(status, 401, "{body}");
    }
}

#[test]
fn validation_errors_are_400_with_an_errors_map() {
    let sandbox = Sandbox::start().unwrap();
    for (body, field) in [
        (json!({"name": "x"}), "Name"),
        (json!({"name": "x".repeat(51)}), "Name"),
        (json!({}), "Name"),
        (
            json!({"name": "fine name", "expiresAt": "next tuesday"}),
            "ExpiresAt",
        ),
        (
            json!({"name": "fine name", "expiresAt": "2001-01-01T00:00:00Z"}),
            "ExpiresAt",
        ),
        (
            json!({"name": "fine name", "expiresInDays": -3}),
            "ExpiresInDays",
        ),
    ] {
        let (status, problem) = admin(&sandbox, "POST", "/tokens", Some(body.clone()));
        assert_eq!(status, 400, "{body}");
        assert_eq!(problem["title"], "One or more validation errors occurred.");
        assert!(problem["errors"][field].is_array(), "{body} -> {problem}");
    }
    // Exactly 2 and 50 characters are fine (characters, not bytes).
    for name in ["ab".to_owned(), "é".repeat(50)] {
        let (status, _) = admin(&sandbox, "POST", "/tokens", Some(json!({"name": name})));
        assert_eq!(status, 201, "{name}");
    }
    let (status, problem) = admin(
        &sandbox,
        "GET",
        "/tokens?createdFrom=yesterday&expiringWithinDays=soon",
        None,
    );
    assert_eq!(status, 400);
    assert!(
        problem["errors"]["createdFrom"].is_array()
            && problem["errors"]["expiringWithinDays"].is_array()
    );

    // Through the client, a 400 problem becomes a typed validation error.
    let err = routy::ApiError::from_response_unredacted(
        &routy::http::Response::builder()
            .status(400)
            .header("content-type", "application/problem+json")
            .body(serde_json::to_vec(&problem).unwrap())
            .unwrap(),
    );
    assert_eq!(err.kind(), ApiErrorKind::Validation);
    assert!(err.problem().unwrap().errors.contains_key("createdFrom"));

    // And from Rust.
    let err = sandbox
        .issue_token(NewToken::named("x".repeat(51)))
        .unwrap_err();
    assert!(
        matches!(err, routy_sandbox::SandboxError::Validation(ref e) if e.contains_key("Name")),
        "{err}"
    );
}

#[test]
fn one_shared_client_16_threads_200_calls_each() {
    let sandbox = Sandbox::start().unwrap();
    let token = sandbox.issue_token(NewToken::named("load")).unwrap();
    let client = client(&sandbox, token.secret());
    let ok = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|s| {
        for _ in 0..16 {
            let client = client.clone();
            let ok = &ok;
            s.spawn(move || {
                for _ in 0..200 {
                    assert_eq!(
                        client.accounts().unwrap().len(),
                        routy_sandbox::SEED_ACCOUNTS
                    );
                    ok.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
            });
        }
    });
    assert_eq!(ok.into_inner(), 3200);
}

#[test]
fn sixty_four_simultaneous_clients_and_concurrent_token_changes_lose_nothing() {
    let sandbox = Sandbox::start().unwrap();
    let barrier = std::sync::Barrier::new(64);
    std::thread::scope(|s| {
        for i in 0..64 {
            let sandbox = &sandbox;
            let barrier = &barrier;
            s.spawn(move || {
                let token = sandbox
                    .issue_token(NewToken::named(format!("client {i}")))
                    .unwrap();
                let client = client(sandbox, token.secret());
                barrier.wait();
                assert_eq!(
                    client.accounts().unwrap().len(),
                    routy_sandbox::SEED_ACCOUNTS
                );
                if i % 2 == 0 {
                    sandbox.delete_token(&token.info.id).unwrap();
                }
            });
        }
    });
    let left = sandbox.tokens(&TokenFilter::default());
    assert_eq!(left.len(), 32);
    assert!(left.iter().all(|t| t.last_used_at.is_some()));
    let mut ids: Vec<_> = left.iter().map(|t| t.id.clone()).collect();
    ids.dedup();
    assert_eq!(ids.len(), 32, "ids are unique");
}

#[test]
fn fault_scripted_responses_then_normal_service() {
    let sandbox = Sandbox::start().unwrap();
    let token = sandbox.issue_token(NewToken::named("faults")).unwrap();
    let client = client(&sandbox, token.secret());
    sandbox.push_fault(
        Fault::status(503)
            .header("Retry-After", "3")
            .body("maintenance"),
    );
    sandbox.push_fault(
        Fault::status(429)
            .header("Retry-After", "Wed, 21 Oct 2026 07:28:00 GMT")
            .header("Content-Type", "application/problem+json")
            .body(r#"{"title":"Too Many Requests","status":429}"#),
    );
    let err = client.accounts().unwrap_err();
    let api = err.as_api().unwrap();
    assert_eq!(
        (api.status().as_u16(), api.kind()),
        (503, ApiErrorKind::Server)
    );
    assert_eq!(
        api.retry_after(),
        Some(routy::RetryAfter::Delay(Duration::from_secs(3)))
    );
    assert_eq!(api.body_snippet(), "maintenance");
    let err = client.accounts().unwrap_err();
    let api = err.as_api().unwrap();
    assert_eq!(api.kind(), ApiErrorKind::RateLimited);
    assert!(matches!(api.retry_after(), Some(routy::RetryAfter::At(_))));
    assert_eq!(sandbox.pending_faults(), 0);
    assert_eq!(
        client.accounts().unwrap().len(),
        routy_sandbox::SEED_ACCOUNTS
    );

    // The same faults queued over HTTP.
    let (status, body) = admin(
        &sandbox,
        "POST",
        "/faults",
        Some(json!([{"kind": "respond", "status": 502}, {"kind": "respond", "status": 504}])),
    );
    assert_eq!((status, body["pending"].as_u64()), (200, Some(2)));
    assert_eq!(
        client.accounts().unwrap_err().as_api().unwrap().status(),
        502
    );
    let (status, _) = admin(&sandbox, "DELETE", "/faults", None);
    assert_eq!(status, 204);
    client.accounts().unwrap();
    let (status, problem) = admin(
        &sandbox,
        "POST",
        "/faults",
        Some(json!({"kind": "explode"})),
    );
    assert_eq!(status, 400, "{problem}");
}

#[test]
fn fault_delay_is_waited_out_or_times_out() {
    let sandbox = Sandbox::start().unwrap();
    let token = sandbox.issue_token(NewToken::named("slow")).unwrap();
    sandbox.push_fault(Fault::delay(Duration::from_millis(300)));
    let started = Instant::now();
    client(&sandbox, token.secret()).accounts().unwrap();
    assert!(started.elapsed() >= Duration::from_millis(300));

    sandbox.push_fault(Fault::delay(Duration::from_millis(1500)));
    let impatient = routy::Client::builder()
        .api_key(ApiKey::new(token.secret()).unwrap())
        .base_url(&sandbox.base_url())
        .timeout(Duration::from_millis(200))
        .retry(routy::RetryPolicy::none())
        .build()
        .unwrap();
    let err = impatient.accounts().unwrap_err();
    assert!(err.as_transport().unwrap().is_timeout(), "{err:?}");
}

#[test]
fn fault_drop_cuts_the_connection_mid_response() {
    let sandbox = Sandbox::start().unwrap();
    let token = sandbox.issue_token(NewToken::named("dropped")).unwrap();
    let client = client(&sandbox, token.secret());
    sandbox.push_fault(Fault::Drop);
    let started = Instant::now();
    let err = client.accounts().unwrap_err();
    let kind = err.as_transport().unwrap().kind();
    assert!(kind == routy::TransportErrorKind::Io, "{err:?}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "failed fast, not by timeout"
    );
    // The next call gets a fresh connection and works.
    assert_eq!(
        client.accounts().unwrap().len(),
        routy_sandbox::SEED_ACCOUNTS
    );
}

#[test]
fn rate_limit_answers_429_with_retry_after_until_the_window_passes() {
    let clock = ManualWallClock::new(t0());
    let sandbox = Sandbox::builder().clock(clock.clone()).start().unwrap();
    let token = sandbox.issue_token(NewToken::named("limited")).unwrap();
    // The sandbox's own answers, with no client holding calls back for
    // the window the second answer says is spent.
    let client = routy::Client::builder()
        .api_key(ApiKey::new(token.secret()).unwrap())
        .base_url(&sandbox.base_url())
        .retry(routy::RetryPolicy::none())
        .quota_scope(routy::QuotaScope::Off)
        .build()
        .unwrap();
    sandbox.set_rate_limit(Some(RateWindow::new(2, Duration::from_secs(10))));
    client.accounts().unwrap();
    client.accounts().unwrap();
    clock.advance(Duration::from_millis(2500));
    let err = client.accounts().unwrap_err();
    let api = err.as_api().unwrap();
    assert_eq!(api.kind(), ApiErrorKind::RateLimited);
    assert_eq!(
        api.retry_after(),
        Some(routy::RetryAfter::Delay(Duration::from_secs(8)))
    );
    clock.advance(Duration::from_secs(8));
    client.accounts().unwrap();

    // Over HTTP.
    let (status, _) = admin(
        &sandbox,
        "PUT",
        "/rate-limit",
        Some(json!({"requests": 0, "windowSeconds": 60})),
    );
    assert_eq!(status, 204);
    assert_eq!(
        client.accounts().unwrap_err().as_api().unwrap().status(),
        429
    );
    let (status, _) = admin(&sandbox, "DELETE", "/rate-limit", None);
    assert_eq!(status, 204);
    client.accounts().unwrap();
}

/// One request per 30 s window, accounts listed twice with the default
/// retry policy. The first call's success says the quota is spent for
/// 30 s; the second call ends at once, never sent (the client holds it
/// back: 30 s is longer than the policy waits), and says when to come
/// back. The sandbox's clock and the client's move together.
#[test]
fn a_rate_limit_window_longer_than_the_policy_waits_ends_the_call_at_once() {
    let clock = ManualWallClock::new(t0());
    let sandbox = Sandbox::builder().clock(clock.clone()).start().unwrap();
    let token = sandbox.issue_token(NewToken::named("limited")).unwrap();
    sandbox.set_rate_limit(Some(RateWindow::new(1, Duration::from_secs(30))));
    let client_clock = routy::clock::ManualClock::new();
    let client = routy::Client::builder()
        .api_key(ApiKey::new(token.secret()).unwrap())
        .base_url(&sandbox.base_url())
        .clock(client_clock.clone())
        .build()
        .unwrap();
    let (_, info) = client.call(routy::endpoint::Accounts.with_info()).unwrap();
    let quota = info.rate_limit().unwrap();
    assert!(quota.is_spent());
    assert_eq!(quota.limit, Some(1));
    assert_eq!(
        quota.reset_after(),
        Some(routy::RetryAfter::Delay(Duration::from_secs(30)))
    );

    let err = client.accounts().unwrap_err();
    let api = err.as_api().unwrap();
    assert_eq!(api.kind(), ApiErrorKind::RateLimited);
    assert!(api.is_held());
    assert_eq!(api.attempts(), 0, "nothing sent into the window");
    assert_eq!(
        api.retry_after(),
        Some(routy::RetryAfter::Delay(Duration::from_secs(30)))
    );
    assert!(
        err.to_string().ends_with(
            "not sent: the client held the call for the server's rate-limit window \
             (retry after 30 s)"
        ),
        "{err}"
    );
    assert_eq!(
        sandbox.journal().len(),
        1,
        "the server saw the first call only"
    );
    assert!(client_clock.sleeps().is_empty(), "ended at once");
    clock.advance(Duration::from_secs(30));
    client_clock.advance(Duration::from_secs(30));
    client.accounts().unwrap();
}

#[test]
fn fixture_accounts_pass_through_untouched() {
    let fixture = r#"[{"id":"acc_9","name":"Fixture Freight","zeta":{"nested":[1,2,3]},"alpha":null,"unicode":"Grüße ✓"}]"#.as_bytes();
    let sandbox = Sandbox::builder()
        .accounts_json(fixture.to_vec())
        .start()
        .unwrap();
    let token = sandbox.issue_token(NewToken::named("fixture")).unwrap();
    let client = client(&sandbox, token.secret());
    let response = client
        .execute_any_status(routy::http::Method::GET, "/v1/accounts", None)
        .unwrap();
    assert_eq!(response.body(), fixture, "served byte for byte");
    let accounts = client.accounts().unwrap();
    assert_eq!(accounts[0].fields()["zeta"]["nested"][2], 3);
    assert_eq!(accounts[0].fields()["unicode"], "Grüße ✓");

    for bad in [&b"{}"[..], b"[{\"name\": \"no id\"}]", b"not json"] {
        let err = Sandbox::builder()
            .accounts_json(bad.to_vec())
            .start()
            .unwrap_err();
        assert!(
            matches!(err, routy_sandbox::SandboxError::Accounts(_)),
            "{err}"
        );
    }
}

#[test]
fn state_file_keeps_tokens_across_restarts_and_refuses_corruption() {
    let dir = std::env::temp_dir().join(format!("routy-state-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("state.json");
    let _ = std::fs::remove_file(&path);

    let (secret, deleted_secret) = {
        let sandbox = Sandbox::builder().state_file(&path).start().unwrap();
        let kept = sandbox.issue_token(NewToken::named("kept")).unwrap();
        let gone = sandbox.issue_token(NewToken::named("gone")).unwrap();
        sandbox.delete_token(&gone.info.id).unwrap();
        (kept.secret().to_owned(), gone.secret().to_owned())
    };
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(!text.contains(&secret), "only hashes are stored");

    let sandbox = Sandbox::builder().state_file(&path).start().unwrap();
    let tokens = sandbox.tokens(&TokenFilter::default());
    assert_eq!(tokens.len(), 1);
    client(&sandbox, &secret).accounts().unwrap();
    assert_eq!(
        unauthorized_detail(client(&sandbox, &deleted_secret).accounts()),
        "The API token has been deleted."
    );
    let next = sandbox
        .issue_token(NewToken::named("after restart"))
        .unwrap();
    assert_eq!(next.info.id, "tok_0003", "ids continue");
    drop(sandbox);

    std::fs::write(&path, b"{ this is not json").unwrap();
    let err = Sandbox::builder().state_file(&path).start().unwrap_err();
    assert!(
        matches!(err, routy_sandbox::SandboxError::State { .. }),
        "{err}"
    );
    assert!(err.to_string().contains("state.json"), "{err}");
    assert_eq!(
        std::fs::read(&path).unwrap(),
        b"{ this is not json",
        "never silently replaced"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn unknown_routes_and_methods() {
    let sandbox = Sandbox::start().unwrap();
    let token = sandbox.issue_token(NewToken::named("routes")).unwrap();
    let client = client(&sandbox, token.secret());
    let response = client
        .execute_any_status(routy::http::Method::POST, "/v1/accounts", None)
        .unwrap();
    assert_eq!(response.status(), 405);
    assert_eq!(response.headers()["allow"], "GET");
    let err = client.get::<Value>("/v1/nope").unwrap_err();
    assert_eq!(err.as_api().unwrap().kind(), ApiErrorKind::NotFound);
}
