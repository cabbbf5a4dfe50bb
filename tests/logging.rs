//! Secret-leak proof through logs. A capturing logger at TRACE records
//! every log line of every crate over full request, retry, error and
//! redirect cycles; then: routy's own lines never hold the key (nor any
//! 8-character window of it, in any encoding) at any level, ureq's
//! INFO-or-above lines and every other crate's DEBUG-or-above lines do not
//! either, and ureq's TRACE wire dump does (the documented caveat). Its
//! own file, so its own process: a logger is global.

#![allow(
    clippy::unwrap_used,
    reason = "a test helper that fails should panic loudly"
)]

mod support;

use std::sync::Mutex;
use std::time::Duration;

use log::{Level, LevelFilter, Log, Metadata, Record};
use routy::clock::ManualClock;
use routy::ApiKey;
use routy_sandbox::{Fault, NewToken, Sandbox};
use support::{respond, ScriptServer};

struct Capture {
    lines: Mutex<Vec<(String, Level, String)>>,
}

impl Log for Capture {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }

    fn log(&self, record: &Record<'_>) {
        let line = (
            record.target().to_owned(),
            record.level(),
            record.args().to_string(),
        );
        self.lines.lock().unwrap().push(line);
    }

    fn flush(&self) {}
}

static CAPTURE: Capture = Capture {
    lines: Mutex::new(Vec::new()),
};

fn windows(secret: &str) -> Vec<&str> {
    (0..=secret.len() - 8).map(|i| &secret[i..i + 8]).collect()
}

/// Whether `text` holds 8 bytes of `secret`, as written or in any encoding
/// it can be read back from.
fn leaks(text: &str, secret: &str) -> bool {
    windows(secret).iter().any(|w| text.contains(w)) || ApiKey::new(secret).unwrap().found_in(text)
}

#[test]
fn logs_never_carry_the_key_except_ureqs_trace_wire_dump() {
    log::set_logger(&CAPTURE).unwrap();
    log::set_max_level(LevelFilter::Trace);

    let sandbox = Sandbox::start().unwrap();
    let token = sandbox
        .issue_token(NewToken::named("logging proof"))
        .unwrap();
    let secret = token.secret().to_owned();
    let client = routy::Client::builder()
        .api_key(ApiKey::new(&secret).unwrap())
        .base_url(&sandbox.base_url())
        .clock(ManualClock::new())
        .build()
        .unwrap();
    let mut errors = Vec::new();

    // A plain success.
    client.accounts().unwrap();
    // A retried 503, then success.
    sandbox.push_fault(Fault::status(503).header("Retry-After", "1"));
    client.accounts().unwrap();
    // Retries exhausted.
    for _ in 0..3 {
        sandbox.push_fault(Fault::status(503).body(&format!("echo {secret}")));
    }
    errors.push(client.accounts().unwrap_err());
    // A dropped connection, retried.
    sandbox.push_fault(Fault::Drop);
    client.accounts().unwrap();
    // A rejected key.
    let stranger = routy::Client::builder()
        .api_key(ApiKey::new(&format!("{secret}x")).unwrap())
        .base_url(&sandbox.base_url())
        .build()
        .unwrap();
    errors.push(stranger.accounts().unwrap_err());
    // A cross-origin redirect chain.
    let target = sandbox.base_url().replace("127.0.0.1", "localhost") + "/v1/accounts";
    let redirector = ScriptServer::start("127.0.0.1", move |_, stream| {
        respond(stream, "302 Found", &[("Location", &target)], b"");
    });
    let redirected = routy::Client::builder()
        .api_key(ApiKey::new(&secret).unwrap())
        .base_url(&redirector.url("/api"))
        .build()
        .unwrap();
    // Off-origin, the key is dropped, so the sandbox refuses: 401.
    errors.push(redirected.accounts().unwrap_err());
    // A server that echoes the key in its request id and redirects to a
    // URL holding it, as written and percent-encoded: the redirect is
    // refused, so neither routy nor ureq logs or requests it.
    let percent: String = secret.bytes().map(|b| format!("%{b:02X}")).collect();
    for location in [
        format!("/api/v1/accounts?token={secret}"),
        format!("/api/v1/accounts?token={percent}"),
        format!("https://evil.example/{}", &secret[3..15]),
    ] {
        let echo = format!("req-{secret}");
        let echoer = ScriptServer::start("127.0.0.1", move |_, stream| {
            respond(
                stream,
                "302 Found",
                &[("Location", &location), ("X-Request-Id", &echo)],
                b"",
            );
        });
        let client = routy::Client::builder()
            .api_key(ApiKey::new(&secret).unwrap())
            .base_url(&echoer.url("/api"))
            .build()
            .unwrap();
        let err = client.accounts().unwrap_err();
        assert!(
            matches!(
                err,
                routy::Error::Redirect(ref r) if r.kind() == routy::RedirectErrorKind::LocationHoldsKey
            ),
            "{err:?}"
        );
        assert_eq!(echoer.heads().len(), 1, "the redirect was not followed");
        errors.push(err);
    }
    // A refused connection.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let nowhere = routy::Client::builder()
        .api_key(ApiKey::new(&secret).unwrap())
        .base_url(&format!("http://{closed}/api"))
        .clock(ManualClock::new())
        .timeout(Duration::from_secs(2))
        .build()
        .unwrap();
    errors.push(nowhere.accounts().unwrap_err());
    // Each wait says how long and why, as it starts: backoff, then the
    // server's Retry-After.
    let answers = std::sync::Mutex::new(vec![(429, Some("2")), (503, None)]);
    let waiting = routy::Client::builder()
        .api_key(ApiKey::new(&secret).unwrap())
        .clock(ManualClock::new())
        .build_with(routy::transport_fn(move |_req| {
            let (status, after) = answers.lock().unwrap().pop().unwrap_or((200, None));
            let mut response = routy::http::Response::builder().status(status);
            if let Some(after) = after {
                response = response.header("retry-after", after);
            }
            Ok(response.body(b"[]".to_vec()).unwrap())
        }))
        .unwrap();
    waiting.accounts().unwrap();
    // A server that lies about its quota: a reset of no readable unit is
    // ignored, a century is cut to the hold limit, and each is named.
    let lies = std::sync::Mutex::new(vec![
        (429, vec![("retry-after", "18446744073709551615")]),
        (
            200,
            vec![
                ("x-ratelimit-remaining", "0"),
                ("x-ratelimit-reset", "99999999999"),
            ],
        ),
    ]);
    let lied_to = routy::Client::builder()
        .api_key(ApiKey::new(&secret).unwrap())
        .clock(ManualClock::new())
        .build_with(routy::transport_fn(move |_req| {
            let (status, fields) = lies.lock().unwrap().pop().unwrap_or((200, vec![]));
            let mut response = routy::http::Response::builder().status(status);
            for (name, value) in fields {
                response = response.header(name, value);
            }
            Ok(response.body(b"[]".to_vec()).unwrap())
        }))
        .unwrap();
    lied_to.accounts().unwrap();
    let _ = lied_to.accounts().unwrap_err();

    log::set_max_level(LevelFilter::Off);
    let lines = CAPTURE.lines.lock().unwrap().clone();

    let ours: Vec<_> = lines
        .iter()
        .filter(|(t, _, _)| t.starts_with("routy"))
        .collect();
    assert!(
        ours.iter().any(|(_, _, m)| m.contains("retrying")),
        "routy logged its retries"
    );
    let waits: Vec<&str> = ours
        .iter()
        .filter(|(_, _, m)| m.starts_with("waiting ") && m.contains("platform.routy.app"))
        .map(|(_, _, m)| m.as_str())
        .collect();
    assert_eq!(waits.len(), 2, "{waits:?}");
    assert!(
        waits[0].ends_with(": backoff (attempt 1 gave 503)") && waits[0].contains(" ms before"),
        "{waits:?}"
    );
    assert_eq!(
        waits[1],
        "waiting 2.0 s before retrying GET https://platform.routy.app/api/v1/accounts: \
         the server's retry-after (attempt 2 gave 429)"
    );
    assert!(
        ours.iter()
            .any(|(_, _, m)| m.contains("authorization dropped")),
        "and the dropped key"
    );
    let warned = |text: &str| {
        ours.iter()
            .any(|(_, level, m)| *level == Level::Warn && m.contains(text))
    };
    assert!(
        warned("ignored a rate-limit reset of 99999999999: not a time a server can mean"),
        "{ours:?}"
    );
    assert!(
        warned(
            "the server said to wait 18446744073709551615 s; held for 3600 s (the hold limit), then one request probes"
        ),
        "{ours:?}"
    );
    for (target, level, message) in &ours {
        assert!(
            !leaks(message, &secret),
            "routy line leaks the key: {target} {level} {message}"
        );
    }
    // ureq logs each response's headers at DEBUG (a hostile server's
    // `Location` echo included) and the request at TRACE: the README's
    // logging caveat caps it at INFO. Every other crate is clean at DEBUG.
    for (target, level, message) in &lines {
        let cap = if target.starts_with("ureq") {
            Level::Info
        } else {
            Level::Debug
        };
        assert!(
            *level > cap || !leaks(message, &secret),
            "{level} line of {target} leaks the key: {message}"
        );
    }
    let wire_dumps = lines
        .iter()
        .filter(|(t, l, m)| t.starts_with("ureq") && *l == Level::Trace && leaks(m, &secret))
        .count();
    assert!(
        wire_dumps > 0,
        "ureq's TRACE level dumps the request, key included: the README's logging caveat"
    );

    for err in &errors {
        let mut text = format!("{err} {err:?} {err:#?}");
        let mut source = std::error::Error::source(err);
        while let Some(cause) = source {
            text.push_str(&format!(" {cause} {cause:?}"));
            source = cause.source();
        }
        assert!(!leaks(&text, &secret), "error leaks the key: {text}");
    }
}
