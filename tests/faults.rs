//! The fault-injection suite: `routy::Client` (core over ureq) against
//! misbehaving servers on loopback. Each case asserts the typed error, or
//! the retry count and success, and that it ended in bounded time. Retries
//! sleep on a `ManualClock`, so no case waits for a backoff.

#![allow(
    clippy::unwrap_used,
    reason = "a test helper that fails should panic loudly"
)]

mod support;

use std::io::Write;
use std::time::{Duration, Instant};

use routy::clock::ManualClock;
use routy::{ApiKey, Error, RedirectErrorKind, TransportErrorKind};
use support::{busy_or_ok, header_of, raw, respond, ScriptServer, TOKEN};

fn client_for(base: &str, clock: &ManualClock) -> routy::Client {
    routy::Client::builder()
        .api_key(ApiKey::new(TOKEN).unwrap())
        .base_url(base)
        .timeout(Duration::from_millis(800))
        .clock(clock.clone())
        .build()
        .unwrap()
}

/// Runs `accounts()` against a server running `script` for every
/// connection; returns the error, the connections made and the time taken.
fn run_case(
    script: impl Fn(usize, &mut std::net::TcpStream) + Send + Sync + 'static,
) -> (Error, usize, Duration) {
    let server = ScriptServer::start("127.0.0.1", script);
    let clock = ManualClock::new();
    let client = client_for(&server.url("/api"), &clock);
    let started = Instant::now();
    let err = client.accounts().unwrap_err();
    let elapsed = started.elapsed();
    (err, server.connections(), elapsed)
}

/// A body that ends before its framing says it does is an I/O error,
/// whether the connection ended with a FIN or an RST.
fn assert_cut_short(err: &Error) {
    assert_eq!(transport_kind(err), TransportErrorKind::Io, "{err:?}");
}

fn transport_kind(err: &Error) -> TransportErrorKind {
    err.as_transport()
        .unwrap_or_else(|| panic!("expected a transport error, got {err:?}"))
        .kind()
}

#[test]
fn reset_after_headers_is_an_io_error_and_is_retried() {
    let (err, connections, elapsed) = run_case(|_, stream| {
        let _ = stream.write_all(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 50\r\n\r\n",
        );
        let _ = stream.flush();
        std::thread::sleep(Duration::from_millis(20));
        // A zero linger turns the close (when the script returns) into a reset.
        let _ = socket2::SockRef::from(&*stream).set_linger(Some(Duration::ZERO));
    });
    assert_eq!(transport_kind(&err), TransportErrorKind::Io, "{err:?}");
    assert_eq!(connections, 3, "an idempotent GET is retried on resets");
    assert_eq!(err.attempts(), 3);
    assert!(elapsed < Duration::from_secs(5));
}

#[test]
fn truncated_content_length_body() {
    let (err, _, elapsed) = run_case(|_, stream| {
        raw(
            stream,
            b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n[{\"id\": 1}",
        );
    });
    assert_cut_short(&err);
    assert!(elapsed < Duration::from_secs(5));
}

#[test]
fn chunked_body_without_terminator() {
    let (err, _, elapsed) = run_case(|_, stream| {
        raw(
            stream,
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n[{\"id\r\n",
        );
    });
    assert_cut_short(&err);
    assert!(elapsed < Duration::from_secs(5));
}

#[test]
fn bad_status_line() {
    let (err, connections, _) = run_case(|_, stream| raw(stream, b"HTTP/1.1 OK-ISH\r\n\r\n"));
    assert_eq!(
        transport_kind(&err),
        TransportErrorKind::Protocol,
        "{err:?}"
    );
    assert_eq!(connections, 1, "protocol errors are not retried");
}

#[test]
fn a_hundred_kilobytes_of_headers() {
    let (err, _, _) = run_case(|_, stream| {
        let mut head = b"HTTP/1.1 200 OK\r\n".to_vec();
        for i in 0..2000 {
            head.extend_from_slice(format!("X-Filler-{i}: {}\r\n", "a".repeat(40)).as_bytes());
        }
        head.extend_from_slice(b"Content-Length: 2\r\n\r\n[]");
        assert!(head.len() > 100_000);
        raw(stream, &head);
    });
    assert_eq!(
        transport_kind(&err),
        TransportErrorKind::Protocol,
        "{err:?}"
    );
}

#[test]
fn a_server_that_accepts_and_never_replies() {
    let (err, connections, elapsed) = run_case(|_, stream| {
        // Hold the connection (bounded), say nothing.
        std::thread::sleep(Duration::from_secs(3));
        let _ = stream.shutdown(std::net::Shutdown::Both);
    });
    assert_eq!(transport_kind(&err), TransportErrorKind::Timeout, "{err:?}");
    assert_eq!(connections, 3, "timeouts of a GET are retried");
    assert!(
        elapsed < Duration::from_secs(4),
        "three 800 ms attempts: {elapsed:?}"
    );
}

#[test]
fn one_byte_every_fifty_milliseconds() {
    let (err, _, elapsed) = run_case(|_, stream| {
        let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n");
        for _ in 0..60 {
            if stream.write_all(b" ").is_err() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    });
    assert_eq!(transport_kind(&err), TransportErrorKind::Timeout, "{err:?}");
    assert!(elapsed < Duration::from_secs(4), "{elapsed:?}");
}

#[test]
fn gzip_bomb_is_stopped_at_the_cap() {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(&vec![b' '; 50 << 20]).unwrap();
    let bomb = std::sync::Arc::new(encoder.finish().unwrap());
    let (err, connections, elapsed) = run_case(move |_, stream| {
        respond(
            stream,
            "200 OK",
            &[
                ("Content-Encoding", "gzip"),
                ("Content-Type", "application/json"),
            ],
            &bomb,
        );
    });
    assert_eq!(
        transport_kind(&err),
        TransportErrorKind::BodyTooLarge,
        "{err:?}"
    );
    assert_eq!(connections, 1, "not retried");
    assert!(elapsed < Duration::from_secs(10));
}

#[test]
fn twenty_megabytes_of_plain_body() {
    let body = std::sync::Arc::new(vec![b' '; 20 << 20]);
    let (err, _, _) = run_case(move |_, stream| respond(stream, "200 OK", &[], &body));
    assert_eq!(
        transport_kind(&err),
        TransportErrorKind::BodyTooLarge,
        "{err:?}"
    );
}

#[test]
fn ten_gigabyte_content_length_is_refused_before_reading() {
    let (err, _, elapsed) = run_case(|_, stream| {
        let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 10000000000\r\n\r\n[");
        std::thread::sleep(Duration::from_millis(300));
    });
    assert_eq!(
        transport_kind(&err),
        TransportErrorKind::BodyTooLarge,
        "{err:?}"
    );
    assert!(elapsed < Duration::from_secs(2));
}

#[test]
fn invalid_json_in_a_200() {
    let (err, connections, _) = run_case(|_, stream| {
        respond(
            stream,
            "200 OK",
            &[("Content-Type", "application/json")],
            b"[{\"id\": 1,}",
        );
    });
    match err {
        Error::Decode(decode) => assert!(decode.snippet().contains("\"id\": 1,"), "{decode}"),
        other => panic!("expected a decode error, got {other:?}"),
    }
    assert_eq!(connections, 1);
}

#[test]
fn rate_limits_and_unavailability_with_every_retry_after_form_then_success() {
    // Wall time of the manual clock: 2026-01-01T00:00:00Z. A date already
    // past means "now", which is retried after the base delay and its
    // jitter (200 to 400 ms), never at once.
    let forms = [
        ("429 Too Many Requests", "2", 2000..=2000),
        (
            "503 Service Unavailable",
            "Thu, 01 Jan 2026 00:00:05 GMT",
            5000..=5000,
        ),
        (
            "429 Too Many Requests",
            "Mon, 01 Jan 2001 00:00:00 GMT",
            200..=400,
        ),
    ];
    for (status, retry_after, expected_ms) in forms {
        let server = ScriptServer::start("127.0.0.1", move |n, stream| {
            busy_or_ok(stream, n == 0, status, retry_after, b"[{\"id\": 1}]");
        });
        let clock = ManualClock::new();
        let accounts = client_for(&server.url("/api"), &clock).accounts().unwrap();
        assert_eq!(accounts.len(), 1);
        assert_eq!(server.connections(), 2, "{status} {retry_after}");
        let slept: Vec<u128> = clock.sleeps().iter().map(Duration::as_millis).collect();
        assert!(
            slept.len() == 1 && expected_ms.contains(&slept[0]),
            "{status} {retry_after}: {slept:?}"
        );
    }
    // Longer than the policy waits: no request before the server said,
    // so none at all; the error says when to come back.
    let server = ScriptServer::start("127.0.0.1", move |n, stream| {
        busy_or_ok(
            stream,
            n == 0,
            "503 Service Unavailable",
            "99999999999",
            b"[]",
        );
    });
    let clock = ManualClock::new();
    let err = client_for(&server.url("/api"), &clock)
        .accounts()
        .unwrap_err();
    assert_eq!(server.connections(), 1);
    assert!(clock.sleeps().is_empty());
    assert!(
        err.to_string().ends_with("(retry after 99999999999 s)"),
        "{err}"
    );
    for junk in ["-5", "1.5", "abc"] {
        let server = ScriptServer::start("127.0.0.1", move |n, stream| {
            busy_or_ok(stream, n == 0, "503 Service Unavailable", junk, b"[]");
        });
        let clock = ManualClock::new();
        client_for(&server.url("/api"), &clock).accounts().unwrap();
        let slept = clock.sleeps();
        assert!(
            slept.len() == 1 && slept[0] < Duration::from_millis(200),
            "{junk}: {slept:?}"
        );
    }
}

#[test]
fn cross_origin_redirect_chain_never_carries_the_key() {
    // B on 127.0.0.2: /1 redirects to /2 on itself, /2 serves the accounts.
    let b = ScriptServer::start("127.0.0.2", |n, stream| {
        if n == 0 {
            respond(stream, "302 Found", &[("Location", "/2")], b"");
        } else {
            respond(
                stream,
                "200 OK",
                &[("Content-Type", "application/json")],
                b"[{\"id\": 2}]",
            );
        }
    });
    let to_b = b.url("/1");
    // A on 127.0.0.1: first a same-origin hop, then off to B.
    let a = ScriptServer::start("127.0.0.1", move |n, stream| {
        if n == 0 {
            respond(
                stream,
                "301 Moved Permanently",
                &[("Location", "/api/moved")],
                b"",
            );
        } else {
            respond(
                stream,
                "307 Temporary Redirect",
                &[("Location", &to_b)],
                b"",
            );
        }
    });
    let clock = ManualClock::new();
    let accounts = client_for(&a.url("/api"), &clock).accounts().unwrap();
    assert_eq!(accounts[0].id(), routy::AccountId::Number(2));
    let a_heads = a.heads();
    assert_eq!(a_heads.len(), 2);
    for head in &a_heads {
        let auth = header_of(head, "authorization");
        assert_eq!(
            auth.as_deref(),
            Some(&*format!("ApiKey {TOKEN}")),
            "same origin keeps the key"
        );
    }
    let b_heads = b.heads();
    assert_eq!(b_heads.len(), 2, "A -> B/1 -> B/2");
    for head in &b_heads {
        assert_eq!(
            header_of(head, "authorization"),
            None,
            "B never sees the key: {head}"
        );
        assert!(!head.contains(TOKEN));
    }
}

#[test]
fn same_host_other_port_is_another_origin() {
    let other = ScriptServer::start("127.0.0.1", |_, stream| {
        respond(
            stream,
            "200 OK",
            &[("Content-Type", "application/json")],
            b"[]",
        );
    });
    let target = other.url("/api/v1/accounts");
    let first = ScriptServer::start("127.0.0.1", move |_, stream| {
        respond(stream, "302 Found", &[("Location", &target)], b"");
    });
    let clock = ManualClock::new();
    client_for(&first.url("/api"), &clock).accounts().unwrap();
    assert!(header_of(&first.heads()[0], "authorization").is_some());
    assert_eq!(header_of(&other.heads()[0], "authorization"), None);
}

#[test]
fn a_redirect_loop_ends_in_a_typed_error() {
    let server = ScriptServer::start("127.0.0.1", |n, stream| {
        let location = if n % 2 == 0 { "/api/b" } else { "/api/a" };
        respond(stream, "302 Found", &[("Location", location)], b"");
    });
    let clock = ManualClock::new();
    let started = Instant::now();
    let err = client_for(&server.url("/api"), &clock)
        .accounts()
        .unwrap_err();
    assert!(
        matches!(&err, Error::Redirect(r) if r.kind() == RedirectErrorKind::TooMany { max: 5 }),
        "{err:?}"
    );
    assert_eq!(server.connections(), 6);
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn a_post_is_not_redirected_and_not_resent() {
    let server = ScriptServer::start("127.0.0.1", |_, stream| {
        respond(
            stream,
            "503 Service Unavailable",
            &[("Retry-After", "1")],
            b"",
        );
    });
    let clock = ManualClock::new();
    let client = client_for(&server.url("/api"), &clock);
    let response = client
        .execute_any_status(routy::http::Method::POST, "/v1/things", None)
        .unwrap();
    assert_eq!(response.status(), 503);
    assert_eq!(server.connections(), 1);
    assert!(clock.sleeps().is_empty());
}
