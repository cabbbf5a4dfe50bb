//! The default transport honours proxy environment variables. Its own file
//! (so its own process): it sets the environment before building agents.

#![allow(
    clippy::unwrap_used,
    reason = "a test helper that fails should panic loudly"
)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

use routy_core::http::Request;
use routy_core::{RequestLimits, Transport};
use routy_ureq::UreqTransport;

#[test]
fn http_proxy_from_the_environment_is_used() {
    // A scripted proxy on loopback: it accepts CONNECT (tunnelling) or an
    // absolute-form request, answers, and reports the request lines it saw.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let proxy_addr = listener.local_addr().unwrap();
    for var in [
        "HTTP_PROXY",
        "http_proxy",
        "HTTPS_PROXY",
        "https_proxy",
        "NO_PROXY",
        "no_proxy",
    ] {
        std::env::remove_var(var);
    }
    std::env::set_var("ALL_PROXY", format!("http://{proxy_addr}"));

    let handle = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let mut lines = Vec::new();
        loop {
            let head = read_head(&mut stream);
            let first = head.lines().next().unwrap_or_default().to_owned();
            lines.push(first.clone());
            if first.starts_with("CONNECT ") {
                stream
                    .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
                    .unwrap();
                continue;
            }
            stream
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nvia proxy")
                .unwrap();
            return lines;
        }
    });

    // `.invalid` never resolves: only the proxy on loopback can answer.
    let mut request = Request::get("http://routy-target.invalid/api/v1/accounts")
        .body(Vec::new())
        .unwrap();
    request
        .extensions_mut()
        .insert(RequestLimits::new(1 << 20, Some(Duration::from_secs(10))));
    let response = UreqTransport::new().send(request).unwrap();
    assert_eq!(response.body(), b"via proxy");
    let lines = handle.join().unwrap();
    assert!(
        lines.iter().any(|l| l.contains("routy-target.invalid")),
        "the proxy was asked for the target: {lines:?}"
    );
}

fn read_head(stream: &mut TcpStream) -> String {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => break,
        }
    }
    String::from_utf8_lossy(&head).into_owned()
}
