//! Every transport follows the proxy environment for other hosts and
//! never sends a loopback request through it (a proxy would see the
//! `Authorization` header of a plain-http request). Its own file, so its
//! own process: it sets the environment before building transports.

#![allow(
    clippy::unwrap_used,
    reason = "test code: a failed setup should panic loudly"
)]

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use routy::http::Request;
use routy::transport::RequestLimits;
use routy::Transport;

/// A "proxy" that counts connections and answers each with a 502 (no
/// request ever leaves the machine).
fn proxy() -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.2:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let seen = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&seen);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            counter.fetch_add(1, Ordering::SeqCst);
            answer(
                stream,
                b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 5\r\nConnection: close\r\n\r\nproxy",
            );
        }
    });
    (addr, seen)
}

/// A loopback target that answers `direct`.
fn target() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            answer(
                stream,
                b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\nConnection: close\r\n\r\ndirect",
            );
        }
    });
    port
}

fn answer(mut stream: std::net::TcpStream, reply: &[u8]) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).unwrap_or(0) == 1 {
        head.push(byte[0]);
    }
    let _ = stream.write_all(reply);
}

fn get(transport: &dyn Transport, url: &str) -> String {
    let mut request = Request::get(url)
        .header("authorization", "ApiKey not-for-proxies")
        .body(Vec::new())
        .unwrap();
    request
        .extensions_mut()
        .insert(RequestLimits::new(1 << 20, Some(Duration::from_secs(10))));
    let response = transport.send(request).unwrap();
    String::from_utf8_lossy(response.body()).into_owned()
}

#[test]
fn loopback_bypasses_the_proxy_and_other_hosts_use_it() {
    let (proxy, seen) = proxy();
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
    let port = target();
    // ureq with the caller's own agent (whose resolver routy does not
    // replace) obeys the same rule.
    let own_agent = routy::UreqTransport::with_agent(ureq::Agent::new_with_defaults());
    let mut transports: Vec<(&str, Box<dyn Transport>)> = vec![
        ("ureq", Box::new(routy::UreqTransport::new())),
        ("ureq with the caller's agent", Box::new(own_agent)),
    ];
    #[cfg(feature = "curl")]
    transports.push(("curl", Box::new(routy::CurlTransport::new())));
    #[cfg(feature = "reqwest")]
    transports.push(("reqwest", Box::new(routy::ReqwestTransport::new().unwrap())));
    for (name, transport) in &transports {
        for host in ["127.0.0.1", "localhost", "LocalHost", "[::1]"] {
            if host == "[::1]" && TcpListener::bind("[::1]:0").is_err() {
                continue;
            }
            let url = format!("http://{host}:{port}/api/v1/accounts");
            if host == "[::1]" {
                // Nothing listens on ::1 here: a refused connection, not
                // the proxy, is the right answer.
                let mut request = Request::get(&url).body(Vec::new()).unwrap();
                request
                    .extensions_mut()
                    .insert(RequestLimits::new(1 << 20, Some(Duration::from_secs(5))));
                match transport.send(request) {
                    Err(err) => assert!(err.is_connect(), "{name} {host}: {err:?}"),
                    Ok(response) => panic!("{name} {host}: {response:?}"),
                }
                continue;
            }
            assert_eq!(get(transport.as_ref(), &url), "direct", "{name} {host}");
        }
        assert_eq!(
            seen.load(Ordering::SeqCst),
            0,
            "{name}: loopback went through the proxy"
        );
        // Another host goes through the proxy, which answers itself (a
        // tunnelling client gets its 502 as an error): no lookup, no
        // traffic leaves the machine.
        let mut request = Request::get("http://routy.invalid/api/v1/accounts")
            .body(Vec::new())
            .unwrap();
        request
            .extensions_mut()
            .insert(RequestLimits::new(1 << 20, Some(Duration::from_secs(10))));
        match transport.send(request) {
            Ok(response) => assert_eq!(response.body(), b"proxy", "{name}"),
            Err(err) => assert!(format!("{err:?}").contains("502"), "{name}: {err:?}"),
        }
        assert_eq!(
            seen.swap(0, Ordering::SeqCst),
            1,
            "{name}: the proxy was used"
        );
    }
}
