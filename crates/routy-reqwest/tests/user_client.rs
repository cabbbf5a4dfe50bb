//! A reqwest client the program brings: used for its requests, and
//! refused (never trusted) when it follows a redirect routy did not.

#![allow(
    clippy::unwrap_used,
    reason = "test code: a failed setup should panic loudly"
)]

use std::io::{Read, Write};
use std::net::TcpListener;
use std::time::Duration;

use routy_core::http::Request;
use routy_core::{RequestLimits, Transport, TransportErrorKind};
use routy_reqwest::ReqwestTransport;

/// A server on 127.0.0.1 answering `/` with a redirect to `/moved` and
/// anything else with `moved here`.
fn server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
            let mut head = Vec::new();
            let mut byte = [0u8; 1];
            while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).unwrap_or(0) == 1 {
                head.push(byte[0]);
            }
            let reply: &[u8] = if head.starts_with(b"GET / ") {
                b"HTTP/1.1 302 Found\r\nLocation: /moved\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            } else {
                b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\nConnection: close\r\n\r\nmoved here"
            };
            let _ = stream.write_all(reply);
        }
    });
    format!("http://{addr}/")
}

fn get(transport: &ReqwestTransport, url: &str) -> Result<u16, routy_core::TransportError> {
    let mut request = Request::get(url).body(Vec::new()).unwrap();
    request
        .extensions_mut()
        .insert(RequestLimits::new(1 << 20, Some(Duration::from_secs(5))));
    transport.send(request).map(|r| r.status().as_u16())
}

#[test]
fn a_client_that_follows_redirects_is_caught_and_ours_follows_none() {
    let url = server();
    // Loopback requests go through the transport's own proxy-less client,
    // so the user's client is exercised through a non-loopback name that
    // the user's client resolves to the server.
    let port = url
        .rsplit(':')
        .next()
        .unwrap()
        .trim_end_matches('/')
        .to_owned();
    let addr: std::net::SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let following = reqwest::blocking::Client::builder()
        .no_proxy()
        .resolve("routy-test.invalid", addr)
        .build()
        .unwrap();
    let theirs = ReqwestTransport::with_client(following).unwrap();
    let err = get(&theirs, &format!("http://routy-test.invalid:{port}/")).unwrap_err();
    assert_eq!(err.kind(), TransportErrorKind::Protocol);
    let why = std::error::Error::source(&err).unwrap().to_string();
    assert!(why.contains("Policy::none()"), "{why}");

    let ours = ReqwestTransport::new().unwrap();
    assert_eq!(
        get(&ours, &url).unwrap(),
        302,
        "the redirect is handed back"
    );
}
