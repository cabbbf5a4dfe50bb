//! The `routy` binary as a script uses it over minutes: a spent rate-limit
//! window, retry waits under `-v`, extra headers, one meaning of
//! `--timeout`, and help that lists only what a command takes.

#![allow(
    clippy::unwrap_used,
    reason = "a test helper that fails should panic loudly"
)]

#[path = "../../../tests/support/mod.rs"]
mod support;

mod common;

use std::time::{Duration, SystemTime};

use common::{call, routy, run, sandbox_serving};
use routy_sandbox::{ManualWallClock, NewToken, RateWindow, Sandbox};
use support::{busy_or_ok, respond, ScriptServer};

/// One request per 30 s window, accounts listed twice: the second run
/// ends at once with when to come back, and the hint does not suggest
/// more retries.
#[test]
fn a_spent_rate_limit_window_says_when_to_try_again() {
    let clock = ManualWallClock::new(SystemTime::now());
    let sandbox = Sandbox::builder().clock(clock.clone()).start().unwrap();
    let token = sandbox.issue_token(NewToken::named("limited")).unwrap();
    sandbox.set_rate_limit(Some(RateWindow::new(1, Duration::from_secs(30))));
    let base = sandbox.base_url();
    let (code, _, stderr) = call(&base, token.secret(), &["accounts", "list"]);
    assert_eq!(code, 0, "{stderr}");
    let (code, stdout, stderr) = call(&base, token.secret(), &["-v", "accounts", "list"]);
    assert_eq!((code, stdout.as_str()), (4, ""), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "error: GET {base}/v1/accounts: api returned 429 too many requests: The rate limit \
             was exceeded. Retry after the time in Retry-After. (retry after 30 s)\n"
        )),
        "{stderr}"
    );
    assert!(
        stderr.ends_with("hint: the rate limit is spent: try again in 30 s\n"),
        "{stderr}"
    );
    assert!(!stderr.contains("max-retries"), "{stderr}");
    assert_eq!(
        stderr.matches("> GET ").count(),
        1,
        "no retry into the window: {stderr}"
    );
    clock.advance(Duration::from_secs(30));
    let (code, _, stderr) = call(&base, token.secret(), &["accounts", "list"]);
    assert_eq!(code, 0, "{stderr}");
}

/// `-v` shows each wait as it starts: how long, and why.
#[test]
fn verbose_shows_each_retry_wait_and_its_reason() {
    let server = ScriptServer::start("127.0.0.1", |n, stream| {
        busy_or_ok(stream, n == 0, "429 Too Many Requests", "0", b"[]");
    });
    let base = server.url("/api");
    let key = "Vw3Rt6Yu9Io2Pa5Sd8Fg";
    let (code, _, stderr) = call(&base, key, &["accounts", "list", "--verbose"]);
    assert_eq!(code, 0, "{stderr}");
    // `Retry-After: 0` is "now": retried after the base delay and its
    // jitter (200 to 400 ms), never in a hot loop. (This process runs on
    // the wall clock: the one real wait in these tests, kept short.)
    let reason = format!(
        " ms before retrying GET {base}/v1/accounts: the server's retry-after \
         (attempt 1 gave 429)\n"
    );
    let at = stderr.find("* waiting ").expect("the wait is shown");
    let line = &stderr[at..];
    let ms: u64 = line["* waiting ".len()..]
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!((200..=400).contains(&ms), "{stderr}");
    assert!(line.contains(&reason), "{stderr}");
    // The wait is logged between the 429 and the second request.
    assert!(stderr[..at].contains("< 429"), "{stderr}");
    assert!(stderr[at..].contains("> GET "), "{stderr}");
    // Without -v, nothing.
    let (code, _, stderr) = call(&base, key, &["accounts", "list"]);
    assert_eq!((code, stderr.as_str()), (0, ""));
}

#[test]
fn headers_are_sent_and_reserved_ones_refused_before_sending() {
    let server = ScriptServer::start("127.0.0.1", |_, stream| {
        respond(
            stream,
            "200 OK",
            &[("Content-Type", "application/json")],
            b"{}",
        );
    });
    let base = server.url("/api");
    let key = "Hd4Jk7Lm1Qw3Er6Ty9Ui";
    let (code, stdout, stderr) = call(
        &base,
        key,
        &[
            "api",
            "GET",
            "/v1/reports",
            "-H",
            "X-Correlation-Id: job-42",
            "--header",
            "Accept:application/x-ndjson",
        ],
    );
    assert_eq!((code, stdout.as_str()), (0, "{}\n"), "{stderr}");
    let head = server.heads().pop().unwrap().to_ascii_lowercase();
    assert!(head.contains("\r\nx-correlation-id: job-42\r\n"), "{head}");
    assert!(
        head.contains("\r\naccept: application/x-ndjson\r\n"),
        "a caller's header replaces routy's: {head}"
    );

    for refused in [
        "Authorization: ApiKey other",
        "host: evil.example",
        "Content-Length: 5",
        "Transfer-Encoding: chunked",
    ] {
        let (code, _, stderr) = call(&base, key, &["api", "GET", "/v1/x", "-H", refused]);
        assert_eq!(code, 2, "{refused}: {stderr}");
        assert!(stderr.contains("header"), "{refused}: {stderr}");
    }
    for malformed in ["no colon here", "bad name: x", "X-Line: a\u{7}b"] {
        let (code, _, stderr) = call(&base, key, &["api", "GET", "/v1/x", "-H", malformed]);
        assert_eq!(code, 2, "{malformed}: {stderr}");
    }
    assert_eq!(server.connections(), 1, "only the good call was sent");
}

/// `--timeout` is one deadline for the whole call, and the message names
/// it as the help does.
#[test]
fn the_timeout_is_the_whole_call_deadline_in_help_and_message() {
    let server = ScriptServer::start("127.0.0.1", |_, stream| {
        std::thread::sleep(Duration::from_secs(4));
        let _ = stream.shutdown(std::net::Shutdown::Both);
    });
    let key = "Tm2Yh5Nb8Vc1Xz4As7Df";
    let (code, _, stderr) = call(
        &server.url("/api"),
        key,
        &["--timeout", "1", "auth", "check"],
    );
    assert_eq!(code, 5, "{stderr}");
    assert!(
        stderr.contains("(the whole-call deadline of 1s passed)"),
        "{stderr}"
    );
    let (_, help, _) = run(routy().args(["auth", "check", "--help"]), "", None);
    assert!(
        help.contains("Deadline of the whole call in seconds")
            && help.contains("the whole-call deadline"),
        "{help}"
    );
}

#[test]
fn plain_http_is_refused_with_what_a_shell_user_can_do() {
    let key = "Ph6Gf9Ds2Aq5Wz8Xc1Vb";
    let (code, _, stderr) = call("http://api.example.com/api", key, &["auth", "check"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains(
            "error: refusing plain http to api.example.com: the api key would cross the network \
             unencrypted\n"
        ),
        "{stderr}"
    );
    assert!(!stderr.contains("allow_insecure_http"), "{stderr}");
    assert!(
        stderr.contains("hint: use an https:// base URL"),
        "{stderr}"
    );
}

#[test]
fn the_sandbox_help_lists_only_what_the_sandbox_takes() {
    let (code, help, _) = run(routy().args(["sandbox", "--help"]), "", None);
    assert_eq!(code, 0);
    for client_only in [
        "--api-key-file",
        "--ca-file",
        "--max-retries",
        "--profile",
        "--timeout",
    ] {
        assert!(!help.contains(client_only), "{client_only}:\n{help}");
    }
    assert!(help.contains("--port"), "{help}");
    // Client options given to it are an error, not silently dropped.
    let (code, _, stderr) = run(routy().args(["--timeout", "5", "sandbox"]), "", None);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("do nothing for `routy sandbox`"),
        "{stderr}"
    );
    // Where client options are taken, before and after the command.
    let (sandbox, token) = sandbox_serving(None);
    let (code, _, stderr) = call(
        &sandbox.base_url(),
        token.secret(),
        &["--max-retries", "0", "accounts", "list", "--timeout", "10"],
    );
    assert_eq!(code, 0, "{stderr}");
    let (_, help, _) = run(routy().arg("--help"), "", None);
    assert!(help.contains("highest first"), "{help}");
}
