//! Each way a server can fail a request, through every transport: the
//! kind each transport reports must be the same, so code that matches on
//! `TransportErrorKind` works whatever transport it runs on.

#![allow(
    clippy::unwrap_used,
    reason = "test code: a failed setup should panic loudly"
)]

mod support;

use std::io::Write;
use std::time::Duration;

use routy::http::Request;
use routy::transport::RequestLimits;
use routy::{Transport, TransportErrorKind};
use support::{raw, respond, ScriptServer};

fn transports() -> Vec<(&'static str, Box<dyn Transport>)> {
    #[allow(unused_mut, reason = "pushed to only with the optional transports")]
    let mut all: Vec<(&'static str, Box<dyn Transport>)> =
        vec![("ureq", Box::new(routy::UreqTransport::new()))];
    #[cfg(feature = "curl")]
    all.push(("curl", Box::new(routy::CurlTransport::new())));
    #[cfg(feature = "reqwest")]
    all.push(("reqwest", Box::new(routy::ReqwestTransport::new().unwrap())));
    all
}

fn send(transport: &dyn Transport, url: &str, cap: u64) -> Result<u16, TransportErrorKind> {
    let mut request = Request::get(url).body(Vec::new()).unwrap();
    request
        .extensions_mut()
        .insert(RequestLimits::new(cap, Some(Duration::from_millis(500))));
    transport
        .send(request)
        .map(|r| r.status().as_u16())
        .map_err(|e| e.kind())
}

#[test]
fn every_transport_reports_each_failure_as_the_same_kind() {
    let garbage = ScriptServer::start("127.0.0.1", |_, stream| {
        raw(stream, b"SPDY/9 what\r\n\r\n");
    });
    let silent_close = ScriptServer::start("127.0.0.1", |_, stream| {
        let _ = stream.shutdown(std::net::Shutdown::Both);
    });
    let short_body = ScriptServer::start("127.0.0.1", |_, stream| {
        raw(
            stream,
            b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten b",
        );
    });
    let too_long = ScriptServer::start("127.0.0.1", |_, stream| {
        respond(stream, "200 OK", &[], &[b'x'; 4096]);
    });
    let unframed = ScriptServer::start("127.0.0.1", |_, stream| {
        let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n");
        let _ = stream.write_all(&[b'y'; 4096]);
        let _ = stream.shutdown(std::net::Shutdown::Both);
    });
    let stall = ScriptServer::start("127.0.0.1", |_, _| {
        std::thread::sleep(Duration::from_secs(2));
    });
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let refused = format!("http://{}/", closed.local_addr().unwrap());
    drop(closed);

    let cases: [(&str, String, u64, &[TransportErrorKind]); 7] = [
        (
            "not http",
            garbage.url("/"),
            1 << 20,
            &[TransportErrorKind::Protocol],
        ),
        (
            "closed without an answer",
            silent_close.url("/"),
            1 << 20,
            &[TransportErrorKind::Io],
        ),
        (
            "body shorter than Content-Length",
            short_body.url("/"),
            1 << 20,
            &[TransportErrorKind::Io],
        ),
        (
            "Content-Length over the cap",
            too_long.url("/"),
            1024,
            &[TransportErrorKind::BodyTooLarge],
        ),
        (
            "unframed body over the cap",
            unframed.url("/"),
            1024,
            &[TransportErrorKind::BodyTooLarge],
        ),
        (
            "no answer within the deadline",
            stall.url("/"),
            1 << 20,
            &[TransportErrorKind::Timeout],
        ),
        (
            "nothing listening",
            refused,
            1 << 20,
            &[TransportErrorKind::Connect],
        ),
    ];
    let mut wrong = Vec::new();
    for (name, transport) in transports() {
        for (case, url, cap, allowed) in &cases {
            match send(transport.as_ref(), url, *cap) {
                Err(kind) if allowed.contains(&kind) => {}
                other => wrong.push(format!(
                    "{name}, {case}: {other:?}, expected one of {allowed:?}"
                )),
            }
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

/// Custom roots are read and checked by one piece of code for every
/// transport: the same bad input gives the same error text on each.
#[test]
fn bad_ca_input_gives_the_same_error_on_every_transport() {
    let dir = std::env::temp_dir().join(format!("routy-ca-same-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let key_only = dir.join("key-only.pem");
    std::fs::write(
        &key_only,
        "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
    )
    .unwrap();
    let broken = dir.join("broken.pem");
    std::fs::write(&broken, "-----BEGIN CERTIFICATE-----\n!!!!\n").unwrap();
    let files = [
        dir.join("missing.pem"),
        key_only,
        broken,
        "/dev/zero".into(),
    ];
    let mut cases: Vec<(String, Vec<String>)> = Vec::new();
    for file in &files {
        #[allow(unused_mut, reason = "pushed to only with the optional transports")]
        let mut errors = vec![routy::UreqTransport::builder()
            .ca_file(file)
            .build()
            .unwrap_err()
            .to_string()];
        #[cfg(feature = "curl")]
        errors.push(
            routy::CurlTransport::builder()
                .ca_file(file)
                .build()
                .unwrap_err()
                .to_string(),
        );
        #[cfg(feature = "reqwest")]
        errors.push(
            routy::ReqwestTransport::builder()
                .ca_file(file)
                .build()
                .unwrap_err()
                .to_string(),
        );
        cases.push((file.display().to_string(), errors));
    }
    #[allow(unused_mut, reason = "pushed to only with the optional transports")]
    let mut junk = vec![routy::UreqTransport::builder()
        .ca_pem(b"junk".to_vec())
        .build()
        .unwrap_err()
        .to_string()];
    #[cfg(feature = "curl")]
    junk.push(
        routy::CurlTransport::builder()
            .ca_pem(b"junk".to_vec())
            .build()
            .unwrap_err()
            .to_string(),
    );
    #[cfg(feature = "reqwest")]
    junk.push(
        routy::ReqwestTransport::builder()
            .ca_pem(b"junk".to_vec())
            .build()
            .unwrap_err()
            .to_string(),
    );
    cases.push(("PEM bytes".to_owned(), junk));
    for (from, errors) in &cases {
        assert!(
            errors[0].starts_with(&format!(
                "invalid client configuration: cannot use the ca certificates from {from}: "
            )),
            "{errors:?}"
        );
        assert!(
            errors.iter().all(|e| e == &errors[0]),
            "{from}: {errors:#?}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A response cut short after the request went out (by a FIN or an RST,
/// whichever the server's crash gives) is retried for a GET and not for a
/// POST, the same over every transport: what the conformance suite's
/// "cut short is Io" rule is for.
#[test]
fn a_get_cut_short_is_retried_on_every_transport_and_a_post_is_not() {
    use routy::clock::ManualClock;
    use routy::{http::Method, ApiKey, ClientBuilder, Error};

    let cuts: [(&str, &[u8]); 3] = [
        (
            "a body shorter than its length",
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n[{\"id\":",
        ),
        (
            "a chunked body without its last chunk",
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n[{\r\n",
        ),
        ("no answer at all", b""),
    ];
    let mut wrong = Vec::new();
    for (what, cut) in cuts {
        for (name, transport) in transports() {
            // Every connection but the second is cut short: the GET's
            // first attempt, then its retry answers; the POST is cut.
            let server = ScriptServer::start("127.0.0.1", move |n, stream| {
                if n == 1 {
                    respond(
                        stream,
                        "200 OK",
                        &[("content-type", "application/json")],
                        b"[]",
                    );
                } else {
                    raw(stream, cut);
                }
            });
            let client = ClientBuilder::new()
                .api_key(ApiKey::new(support::TOKEN).unwrap())
                .base_url(&server.url("/api"))
                .clock(ManualClock::new())
                .build_with(transport)
                .unwrap();
            match client.accounts() {
                Ok(accounts) if accounts.is_empty() && server.connections() == 2 => {}
                other => wrong.push(format!(
                    "{name}, GET after {what}: {other:?} over {} connections",
                    server.connections()
                )),
            }
            match client.execute_any_status(Method::POST, "/v1/things", None) {
                Err(Error::Transport(t))
                    if t.kind() == TransportErrorKind::Io && server.connections() == 3 => {}
                other => wrong.push(format!(
                    "{name}, POST after {what}: {other:?} over {} connections in all",
                    server.connections()
                )),
            }
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}
