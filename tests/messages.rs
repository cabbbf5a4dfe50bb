//! What a program that prints only `{e}` shows for each way a call can
//! fail: every message must say what failed and where on its own, and
//! `source()` must add detail without repeating it. Run with
//! `--nocapture` to see the table.

#![allow(
    clippy::unwrap_used,
    clippy::print_stderr,
    reason = "test code: a failed setup should panic loudly; the table is printed for people"
)]

mod support;

use std::time::Duration;

use routy::clock::ManualClock;
use routy::{http, ApiKey, Error};
use routy_sandbox::{Fault, Sandbox};
use support::{ScriptServer, TOKEN};

/// A client for `base` that never sleeps on the wall clock between
/// retries.
fn client(base: &str) -> routy::Client {
    routy::Client::builder()
        .api_key(ApiKey::new(TOKEN).unwrap())
        .base_url(base)
        .clock(ManualClock::new())
        .build()
        .unwrap()
}

/// A client over a closure transport, on Routy's own base URL.
fn scripted(
    base: &str,
    answer: impl Fn(&http::Request<Vec<u8>>) -> http::Response<Vec<u8>> + Send + Sync + 'static,
) -> routy::ClientWith<impl routy::Transport> {
    routy::ClientBuilder::new()
        .api_key(ApiKey::new(TOKEN).unwrap())
        .base_url(base)
        .clock(ManualClock::new())
        .build_with(routy::transport_fn(move |req| Ok(answer(&req))))
        .unwrap()
}

/// Checks the rules every message keeps, and returns it.
fn checked(case: &str, err: &Error) -> String {
    let shown = err.to_string();
    let chain = routy::error_chain(err);
    assert!(
        !shown.contains(TOKEN) && !chain.contains(TOKEN),
        "{case}: {chain}"
    );
    assert!(!shown.starts_with("request failed"), "{case}: {shown}");
    // No cause repeats what is already said.
    let mut seen = vec![shown.clone()];
    let mut cause = std::error::Error::source(err);
    while let Some(c) = cause {
        let text = c.to_string();
        assert!(
            !seen.iter().any(|s| s.contains(&text)),
            "{case}: `{text}` repeats in {chain}"
        );
        seen.push(text);
        cause = c.source();
    }
    // Debug is bounded whatever the body was.
    assert!(format!("{err:?}").len() < 2048, "{case}: {err:?}");
    eprintln!("| {case} | `{chain}` |");
    shown
}

#[test]
fn every_failure_says_what_and_where() {
    eprintln!("| failure | `{{e}}` and its causes (`error_chain`) |\n|---|---|");

    // Nothing listening: retried, then given up.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let base = format!("http://127.0.0.1:{port}/api");
    let err = client(&base).accounts().unwrap_err();
    let shown = checked("connection refused", &err);
    assert!(
        shown.starts_with(&format!(
            "GET {base}/v1/accounts: connection failed after 3 attempts"
        )),
        "{shown}"
    );
    assert_eq!(err.method(), Some(&http::Method::GET));
    assert_eq!(err.url(), Some(format!("{base}/v1/accounts").as_str()));

    // A server that never answers: the per-attempt timeout, by value.
    let silent = ScriptServer::start("127.0.0.1", |_, _| {
        std::thread::sleep(Duration::from_secs(3));
    });
    let quick = routy::Client::builder()
        .api_key(ApiKey::new(TOKEN).unwrap())
        .base_url(&silent.url("/api"))
        .timeout(Duration::from_millis(300))
        .retry(routy::RetryPolicy::none())
        .build()
        .unwrap();
    let err = quick.accounts().unwrap_err();
    let shown = checked("no answer in time", &err);
    assert!(
        shown.ends_with("request timed out (the per-attempt timeout of 300ms passed)"),
        "{shown}"
    );
    assert!(!routy::error_chain(&err).contains("global"), "ureq's words");

    // The sandbox refusing an unknown key.
    let sandbox = Sandbox::start().unwrap();
    let err = client(&sandbox.base_url()).accounts().unwrap_err();
    let shown = checked("unknown key (sandbox)", &err);
    assert!(
        shown.contains("/api/v1/accounts: api returned 401 unauthorized"),
        "{shown}"
    );

    // Three 404s that used to read the same.
    let not_found = |_: &http::Request<Vec<u8>>| {
        http::Response::builder()
            .status(404)
            .header("content-type", "application/problem+json")
            .body(br#"{"title": "Not Found", "status": 404}"#.to_vec())
            .unwrap()
    };
    let routy = scripted(routy::defaults::DEFAULT_BASE_URL, not_found);
    let twice = checked(
        "path repeats /api",
        &routy
            .get::<serde_json::Value>("/api/v1/accounts")
            .unwrap_err(),
    );
    let missing = checked(
        "path does not exist",
        &routy.get::<serde_json::Value>("/v1/acounts").unwrap_err(),
    );
    let bare = scripted("https://platform.routy.app", not_found);
    let no_api = checked("base url without /api", &bare.accounts().unwrap_err());
    assert!(twice.contains("/api/api/v1/accounts") && twice.contains("repeats the base url"));
    assert!(missing.contains("/api/v1/acounts: api returned 404 not found: Not Found"));
    assert!(!missing.contains('('), "no hint for a real 404: {missing}");
    assert!(no_api.contains("app/v1/accounts") && no_api.contains("lives under /api"));

    // A server that is down, retried to the end.
    let down = scripted(routy::defaults::DEFAULT_BASE_URL, |_| {
        http::Response::builder()
            .status(503)
            .body(b"maintenance".to_vec())
            .unwrap()
    });
    let shown = checked("503 each time", &down.accounts().unwrap_err());
    assert!(
        shown.contains("api returned 503 service unavailable after 3 attempts"),
        "{shown}"
    );

    // Bodies that are not what was asked for.
    let garbage = scripted(routy::defaults::DEFAULT_BASE_URL, |_| {
        http::Response::builder()
            .header("content-type", "application/json")
            .body(br#"[{"id": 1}, {"id": true}]"#.to_vec())
            .unwrap()
    });
    let shown = checked("wrong json", &garbage.accounts().unwrap_err());
    assert!(
        shown.contains("as `AccountList`") || shown.contains("`[1]`"),
        "{shown}"
    );
    #[derive(Debug, serde::Deserialize)]
    struct Report {
        #[allow(dead_code, reason = "decoded, not read")]
        count: u32,
    }
    let shown = checked(
        "wrong json for the caller's type",
        &garbage.get::<Report>("/v1/reports").unwrap_err(),
    );
    assert!(shown.contains("as `Report`"), "{shown}");
    let typo = scripted(routy::defaults::DEFAULT_BASE_URL, |_| {
        http::Response::builder()
            .header("content-type", "application/json")
            .body(br#"{"count": "three"}"#.to_vec())
            .unwrap()
    });
    let shown = checked(
        "a member of the wrong type",
        &typo.get::<Report>("/v1/reports").unwrap_err(),
    );
    assert!(shown.contains("as `Report`: failed at `count`"), "{shown}");
    let html = scripted(routy::defaults::DEFAULT_BASE_URL, |_| {
        http::Response::builder()
            .header("content-type", "text/html")
            .body(b"<html>login</html>".to_vec())
            .unwrap()
    });
    let shown = checked("an html login page", &html.accounts().unwrap_err());
    assert!(shown.contains("the content type is text/html"), "{shown}");

    // A redirect that would downgrade to plain http.
    let downgrade = scripted(routy::defaults::DEFAULT_BASE_URL, |_| {
        http::Response::builder()
            .status(302)
            .header("location", "http://platform.routy.app/api/v1/accounts")
            .body(Vec::new())
            .unwrap()
    });
    let shown = checked("redirect to http", &downgrade.accounts().unwrap_err());
    assert!(
        shown.ends_with("redirect refused: redirect from https to http"),
        "{shown}"
    );

    // A list that says it is only the first page.
    sandbox.push_fault(
        Fault::status(200)
            .header("Content-Type", "application/json")
            .header(
                "Link",
                "<https://platform.routy.app/api/v1/accounts?page=2>; rel=\"next\"",
            )
            .body(r#"[{"id": 1}]"#),
    );
    let shown = checked(
        "paged list (Link header)",
        &client(&sandbox.base_url()).accounts().unwrap_err(),
    );
    assert!(shown.contains("the list is incomplete"), "{shown}");

    // A body too large.
    let big = routy::Client::builder()
        .api_key(ApiKey::new(TOKEN).unwrap())
        .base_url(&sandbox.base_url())
        .max_body_bytes(4)
        .retry(routy::RetryPolicy::none())
        .build()
        .unwrap();
    let shown = checked("body over the cap", &big.accounts().unwrap_err());
    // With the transport's own words for it, on the same line.
    assert!(
        shown.ends_with("response body too large: content-length exceeds the 4 byte limit"),
        "{shown}"
    );

    // Nothing sent: a bad path, a bad key, no key, a bad base URL.
    let shown = checked(
        "a path without /",
        &client(routy::defaults::DEFAULT_BASE_URL)
            .get::<serde_json::Value>("v1/accounts")
            .unwrap_err(),
    );
    assert!(
        shown.starts_with("invalid request: invalid path"),
        "{shown}"
    );
    let shown = checked(
        "a key with a space",
        &Error::from(ApiKey::new("abc def").unwrap_err()),
    );
    assert!(shown.contains("whitespace"), "{shown}");
    let shown = checked(
        "no key configured",
        &routy::Client::builder()
            .base_url(routy::defaults::DEFAULT_BASE_URL)
            .build()
            .unwrap_err(),
    );
    assert!(shown.contains("no api key"), "{shown}");
    let shown = checked(
        "plain http off loopback",
        &routy::Client::builder()
            .api_key(ApiKey::new(TOKEN).unwrap())
            .base_url("http://example.com/api")
            .build()
            .unwrap_err(),
    );
    assert!(shown.contains("refusing plain http"), "{shown}");
}

#[test]
fn query_values_that_may_be_secrets_never_reach_a_message() {
    let routy = scripted(routy::defaults::DEFAULT_BASE_URL, |_| {
        http::Response::builder()
            .status(400)
            .body(Vec::new())
            .unwrap()
    });
    let err = routy
        .get::<serde_json::Value>("/v1/export?format=csv&signature=s3cr3t&access_token=t0k3n")
        .unwrap_err();
    let all = format!("{} {:?} {}", err, err, routy::error_chain(&err));
    assert!(!all.contains("s3cr3t") && !all.contains("t0k3n"), "{all}");
    assert!(
        err.url().unwrap().contains("format=csv"),
        "the rest is kept"
    );
}
