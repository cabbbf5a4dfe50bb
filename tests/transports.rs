//! The same end-to-end scenarios against the sandbox through every
//! transport routy ships: the seam is proven by the plugins behind it.
//! Each transport must list accounts, surface a 401 as a typed error,
//! be retried after a 503 and redirected by the core, stop at the body
//! cap and the deadline, and keep the key out of every error.

#![allow(
    clippy::unwrap_used,
    reason = "test code: a failed setup should panic loudly"
)]

use std::time::Duration;

use routy::clock::ManualClock;
use routy::transport::Deadline;
use routy::Endpoint as _;
use routy::{ApiErrorKind, ApiKey, ClientBuilder, Error, Transport, TransportErrorKind};
use routy_sandbox::{Fault, NewToken, Sandbox};

/// Runs every scenario through transports `make` builds, `name` naming
/// it in failures.
fn scenarios<T: Transport + 'static>(name: &str, make: impl Fn() -> T) {
    let sandbox = Sandbox::start().unwrap();
    let issued = sandbox
        .issue_token(NewToken::named("transport test"))
        .unwrap();
    let secret = issued.secret().to_owned();
    let client = |max_body: u64, timeout: Duration| {
        ClientBuilder::new()
            .api_key(ApiKey::new(&secret).unwrap())
            .base_url(&sandbox.base_url())
            .max_body_bytes(max_body)
            .timeout(timeout)
            .clock(ManualClock::new())
            .build_with(make())
            .unwrap()
    };
    let normal = client(1 << 20, Duration::from_secs(10));

    // The list.
    let (accounts, info) = normal.call(routy::endpoint::Accounts.with_info()).unwrap();
    assert_eq!(accounts.len(), 40, "{name}");
    assert_eq!(info.attempts(), 1, "{name}");

    // A 503, retried by the core, then the list again.
    sandbox.push_fault(Fault::status(503).header("Retry-After", "0"));
    let (accounts, info) = normal.call(routy::endpoint::Accounts.with_info()).unwrap();
    assert_eq!((accounts.len(), info.attempts()), (40, 2), "{name}");

    // A redirect on the same origin, followed by the core with the key.
    sandbox.push_fault(Fault::status(307).header("Location", "/api/v1/accounts?from=redirect"));
    assert_eq!(normal.accounts().unwrap().len(), 40, "{name}");

    // A deadline that passes while the sandbox holds the answer.
    sandbox.push_fault(Fault::delay(Duration::from_secs(2)));
    let quick = client(1 << 20, Duration::from_millis(300));
    let err = quick
        .execute_any_status(routy::http::Method::POST, "/v1/accounts", None)
        .unwrap_err();
    let timeout = err
        .as_transport()
        .unwrap_or_else(|| panic!("{name}: {err:?}"));
    assert_eq!(timeout.kind(), TransportErrorKind::Timeout, "{name}: {err}");
    assert_eq!(
        timeout.deadline(),
        Some(Deadline::Attempt(Duration::from_millis(300))),
        "{name}"
    );
    sandbox.clear_faults();

    // The body cap.
    let err = client(64, Duration::from_secs(10)).accounts().unwrap_err();
    assert!(
        err.as_transport().is_some_and(|t| t.is_body_too_large()),
        "{name}: {err:?}"
    );

    // A key the sandbox does not know.
    let stranger = ClientBuilder::new()
        .api_key(ApiKey::new("OaBw1+4DqFfDLXOLpWthbfp502Wc0D4tICsxNcT+aeQ=").unwrap())
        .base_url(&sandbox.base_url())
        .build_with(make())
        .unwrap();
    let err = stranger.accounts().unwrap_err();
    assert!(
        matches!(&err, Error::Api(api) if api.kind() == ApiErrorKind::Unauthorized),
        "{name}: {err:?}"
    );
    for shown in [
        err.to_string(),
        format!("{err:?}"),
        routy::error_chain(&err),
    ] {
        assert!(!shown.contains("OaBw1+4D"), "{name}: {shown}");
    }

    // Nothing listening.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let refused = ClientBuilder::new()
        .api_key(ApiKey::new(&secret).unwrap())
        .base_url(&format!("http://127.0.0.1:{port}/api"))
        .retry(routy::RetryPolicy::none())
        .build_with(make())
        .unwrap();
    let err = refused.accounts().unwrap_err();
    assert!(
        err.as_transport().is_some_and(|t| t.is_connect()),
        "{name}: {err:?}"
    );
    assert!(!routy::error_chain(&err).contains(&secret), "{name}");
}

#[test]
fn ureq_runs_every_scenario() {
    scenarios("ureq", routy::UreqTransport::new);
}

#[cfg(feature = "curl")]
#[test]
fn curl_runs_every_scenario() {
    scenarios("curl", routy::CurlTransport::new);
}

#[cfg(feature = "reqwest")]
#[test]
fn reqwest_runs_every_scenario() {
    scenarios("reqwest", || routy::ReqwestTransport::new().unwrap());
}

/// The child half of `libcurl_prints_nothing`: calls that succeed, fail
/// with a status, time out and are refused, through libcurl.
#[cfg(feature = "curl")]
#[test]
#[ignore = "run by libcurl_prints_nothing in a child process"]
fn curl_child_makes_calls() {
    let sandbox = Sandbox::start().unwrap();
    let issued = sandbox.issue_token(NewToken::named("quiet test")).unwrap();
    for key in [
        issued.secret(),
        "OaBw1+4DqFfDLXOLpWthbfp502Wc0D4tICsxNcT+aeQ=",
    ] {
        let client = ClientBuilder::new()
            .api_key(ApiKey::new(key).unwrap())
            .base_url(&sandbox.base_url())
            .timeout(Duration::from_millis(300))
            .retry(routy::RetryPolicy::none())
            .build_with(routy::CurlTransport::new())
            .unwrap();
        let _ = client.accounts();
        sandbox.push_fault(Fault::delay(Duration::from_secs(1)));
        let _ = client.accounts();
    }
}

/// libcurl writes to the process's own stdout and stderr when verbose or
/// showing progress; the transport turns both off. A child process makes
/// the calls with output uncaptured, and nothing but the test harness's
/// own lines may appear.
#[cfg(feature = "curl")]
#[test]
fn libcurl_prints_nothing() {
    let output = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "curl_child_makes_calls",
            "--include-ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("1 passed"), "the child ran: {stdout}");
    let harness = |line: &&str| {
        line.is_empty()
            || line.starts_with("running ")
            || line.starts_with("test ")
            || line.starts_with("test result:")
    };
    let extra: Vec<&str> = stdout.lines().filter(|l| !harness(l)).collect();
    assert!(extra.is_empty(), "libcurl printed: {extra:#?}");
    assert!(stderr.trim().is_empty(), "libcurl printed: {stderr}");
}
