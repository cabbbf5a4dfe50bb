//! Requests to loopback never go through a proxy from the environment: a
//! proxy would see the `Authorization` header of a plain-http request. Its
//! own file (so its own process): it sets the environment before building
//! agents.

#![allow(
    clippy::unwrap_used,
    reason = "a test helper that fails should panic loudly"
)]

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use routy_core::http::Request;
use routy_core::{RequestLimits, Transport};
use routy_ureq::UreqTransport;

/// A listener that counts the connections it is offered and answers none.
fn trap(addr: &str) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind(addr).unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let seen = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&seen);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            counter.fetch_add(1, Ordering::SeqCst);
            drop(stream);
        }
    });
    (addr, seen)
}

/// A target on 127.0.0.1 that answers `n` requests, one per connection.
fn target(n: usize) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(n) {
            let mut stream = stream.unwrap();
            let mut head = Vec::new();
            let mut byte = [0u8; 1];
            while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).unwrap_or(0) == 1 {
                head.push(byte[0]);
            }
            let _ = stream.write_all(
                b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\nConnection: close\r\n\r\ndirect",
            );
        }
    });
    port
}

#[test]
fn loopback_targets_bypass_every_proxy_variable() {
    let (proxy, seen) = trap("127.0.0.2:0");
    for var in [
        "HTTP_PROXY",
        "http_proxy",
        "HTTPS_PROXY",
        "https_proxy",
        "ALL_PROXY",
        "all_proxy",
    ] {
        std::env::set_var(var, format!("http://{proxy}"));
    }
    for var in ["NO_PROXY", "no_proxy"] {
        std::env::remove_var(var);
    }
    let port = target(4);
    let own_agent = UreqTransport::with_agent(ureq::Agent::new_with_defaults());
    for (transport, host) in [
        (UreqTransport::new(), "127.0.0.1"),
        (UreqTransport::new(), "localhost"),
        (UreqTransport::new(), "LocalHost"),
        (own_agent, "127.0.0.1"),
    ] {
        let mut request = Request::get(format!("http://{host}:{port}/api/v1/accounts"))
            .header(
                "authorization",
                "ApiKey OaBw1+4DqFfDLXOLpWthbfp502Wc0D4tICsxNcT+aeQ=",
            )
            .body(Vec::new())
            .unwrap();
        request
            .extensions_mut()
            .insert(RequestLimits::new(1 << 20, Some(Duration::from_secs(10))));
        let response = transport.send(request).unwrap();
        assert_eq!(response.body(), b"direct", "{host}");
    }
    // A sentinel connection queues behind any the transports made: once
    // it is counted, every earlier one is too.
    drop(std::net::TcpStream::connect(&proxy).unwrap());
    while seen.load(Ordering::SeqCst) == 0 {
        std::thread::yield_now();
    }
    assert_eq!(seen.load(Ordering::SeqCst), 1, "the proxy was contacted");

    // A name that is not loopback still goes through the proxy.
    let mut request = Request::get("http://routy-target.invalid/api")
        .body(Vec::new())
        .unwrap();
    request
        .extensions_mut()
        .insert(RequestLimits::new(1 << 20, Some(Duration::from_secs(10))));
    let _ = UreqTransport::new().send(request);
    assert!(
        seen.load(Ordering::SeqCst) >= 2,
        "the proxy was not used at all"
    );
}
