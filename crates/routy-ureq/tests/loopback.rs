//! `UreqTransport` against real servers on 127.0.0.1: tiny_http for
//! well-formed HTTP, raw `TcpListener`s for misbehaving peers.

#![allow(
    clippy::unwrap_used,
    reason = "a test helper that fails should panic loudly"
)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use routy_core::http::{Method, Request, Response};
use routy_core::{RequestLimits, Transport, TransportErrorKind};
use routy_ureq::UreqTransport;

/// What the server saw of one request.
#[derive(Debug, Clone)]
struct Seen {
    peer: SocketAddr,
    method: String,
    url: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

/// A tiny_http server answering with `respond` until dropped.
struct Server {
    addr: SocketAddr,
    server: Arc<tiny_http::Server>,
    seen: Arc<Mutex<Vec<Seen>>>,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    fn start(respond: impl Fn(&Seen) -> tiny_http::ResponseBox + Send + 'static) -> Server {
        let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").unwrap());
        let addr = server.server_addr().to_ip().unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let thread = {
            let server = Arc::clone(&server);
            let seen = Arc::clone(&seen);
            std::thread::spawn(move || {
                for mut request in server.incoming_requests() {
                    let mut body = Vec::new();
                    request.as_reader().read_to_end(&mut body).unwrap();
                    let entry = Seen {
                        peer: *request.remote_addr().unwrap(),
                        method: request.method().to_string(),
                        url: request.url().to_owned(),
                        headers: request
                            .headers()
                            .iter()
                            .map(|h| {
                                (
                                    h.field.to_string().to_ascii_lowercase(),
                                    h.value.to_string(),
                                )
                            })
                            .collect(),
                        body,
                    };
                    let response = respond(&entry);
                    seen.lock().unwrap().push(entry);
                    let _ = request.respond(response);
                }
            })
        };
        Server {
            addr,
            server,
            seen,
            thread: Some(thread),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.server.unblock();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn get(url: &str, limits: RequestLimits) -> Request<Vec<u8>> {
    let mut request = Request::builder()
        .method(Method::GET)
        .uri(url)
        .body(Vec::new())
        .unwrap();
    request.extensions_mut().insert(limits);
    request
}

fn header(name: &str, value: &str) -> tiny_http::Header {
    tiny_http::Header::from_bytes(name.as_bytes(), value.as_bytes()).unwrap()
}

fn limits(max_body: u64, timeout_ms: u64) -> RequestLimits {
    RequestLimits::new(max_body, Some(Duration::from_millis(timeout_ms)))
}

#[test]
fn keep_alive_reuses_one_connection() {
    let server = Server::start(|_| tiny_http::Response::from_string("[]").boxed());
    let transport = UreqTransport::new();
    for _ in 0..5 {
        let response = transport
            .send(get(&server.url("/api/v1/accounts"), limits(1 << 20, 5000)))
            .unwrap();
        assert_eq!(response.status(), 200);
    }
    let peers: std::collections::HashSet<SocketAddr> =
        server.seen().iter().map(|s| s.peer).collect();
    assert_eq!(server.seen().len(), 5);
    assert_eq!(
        peers.len(),
        1,
        "all five requests on one connection: {peers:?}"
    );
}

#[test]
fn headers_and_body_round_trip_for_every_status() {
    let server = Server::start(|seen| {
        let status: u16 = seen.url.trim_start_matches("/status/").parse().unwrap();
        tiny_http::Response::from_data(seen.body.clone())
            .with_status_code(status)
            .with_header(header("Content-Type", "application/problem+json"))
            .with_header(header("X-Request-Id", "req-1"))
            .with_header(header("Set-Cookie", "a=1"))
            .with_header(header("Set-Cookie", "b=2"))
            .boxed()
    });
    let transport = UreqTransport::new();
    for status in [200u16, 201, 400, 401, 404, 429, 500, 503] {
        let mut request = get(
            &server.url(&format!("/status/{status}")),
            limits(1 << 20, 5000),
        );
        *request.method_mut() = Method::POST;
        *request.body_mut() = format!("{{\"status\":{status}}}").into_bytes();
        request
            .headers_mut()
            .insert("authorization", "ApiKey test-token".parse().unwrap());
        request
            .headers_mut()
            .append("x-multi", "one".parse().unwrap());
        request
            .headers_mut()
            .append("x-multi", "two".parse().unwrap());
        let response: Response<Vec<u8>> = transport.send(request).unwrap();
        assert_eq!(response.status(), status, "4xx/5xx come back as responses");
        assert_eq!(
            response.headers()["content-type"],
            "application/problem+json"
        );
        assert_eq!(response.headers()["x-request-id"], "req-1");
        let cookies: Vec<_> = response.headers().get_all("set-cookie").iter().collect();
        assert_eq!(cookies, ["a=1", "b=2"]);
        assert_eq!(
            response.body(),
            format!("{{\"status\":{status}}}").as_bytes()
        );
    }
    let seen = server.seen();
    let first = &seen[0];
    assert_eq!(first.method, "POST");
    let values = |name: &str| -> Vec<String> {
        first
            .headers
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    };
    assert_eq!(values("authorization"), ["ApiKey test-token"]);
    assert_eq!(values("x-multi"), ["one", "two"]);
}

#[test]
fn redirects_are_not_followed() {
    let server = Server::start(|seen| {
        if seen.url == "/start" {
            tiny_http::Response::empty(302)
                .with_header(header("Location", "/elsewhere"))
                .boxed()
        } else {
            tiny_http::Response::from_string("followed").boxed()
        }
    });
    let response = UreqTransport::new()
        .send(get(&server.url("/start"), limits(1 << 20, 5000)))
        .unwrap();
    assert_eq!(response.status(), 302);
    assert_eq!(response.headers()["location"], "/elsewhere");
    assert_eq!(server.seen().len(), 1);
}

#[test]
fn gzip_bomb_is_capped_on_decompressed_bytes() {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(&vec![b'0'; 50 * 1024 * 1024]).unwrap();
    let bomb = encoder.finish().unwrap();
    assert!(bomb.len() < 100 * 1024, "{} compressed bytes", bomb.len());
    let server = Server::start(move |_| {
        tiny_http::Response::from_data(bomb.clone())
            .with_header(header("Content-Encoding", "gzip"))
            .with_header(header("Content-Type", "application/json"))
            .boxed()
    });
    let started = Instant::now();
    let err = UreqTransport::new()
        .send(get(&server.url("/bomb"), limits(1 << 20, 10_000)))
        .unwrap_err();
    assert_eq!(err.kind(), TransportErrorKind::BodyTooLarge, "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(10));

    // A body exactly at the cap is fine.
    let server = Server::start(|_| tiny_http::Response::from_data(vec![b'a'; 1000]).boxed());
    let response = UreqTransport::new()
        .send(get(&server.url("/exact"), limits(1000, 5000)))
        .unwrap();
    assert_eq!(response.body().len(), 1000);
    let err = UreqTransport::new()
        .send(get(&server.url("/exact"), limits(999, 5000)))
        .unwrap_err();
    assert_eq!(err.kind(), TransportErrorKind::BodyTooLarge);
}

/// A raw server that accepts one connection and runs `script` on it.
fn raw_server(
    script: impl FnOnce(std::net::TcpStream) + Send + 'static,
) -> (SocketAddr, JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let handle = std::thread::spawn(move || {
        if let Ok((stream, _)) = listener.accept() {
            script(stream);
        }
    });
    (addr, handle)
}

fn read_request_head(stream: &mut std::net::TcpStream) {
    let mut buf = [0u8; 4096];
    let mut head = Vec::new();
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut buf).unwrap_or(0);
        if n == 0 {
            return;
        }
        head.extend_from_slice(&buf[..n]);
    }
}

#[test]
fn overall_deadline_stops_a_dripping_server() {
    let (addr, handle) = raw_server(|mut stream| {
        read_request_head(&mut stream);
        let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n");
        // One byte every 50 ms: each read succeeds, so only an overall
        // deadline ends this. Bounded: 100 bytes at most, 5 s.
        for _ in 0..100 {
            if stream.write_all(b"x").is_err() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    });
    let started = Instant::now();
    let err = UreqTransport::new()
        .send(get(&format!("http://{addr}/drip"), limits(1 << 20, 500)))
        .unwrap_err();
    let elapsed = started.elapsed();
    assert_eq!(err.kind(), TransportErrorKind::Timeout, "{err:?}");
    assert!(elapsed < Duration::from_secs(3), "took {elapsed:?}");
    handle.join().unwrap();
}

#[test]
fn oversized_content_length_is_refused_before_reading() {
    let (addr, handle) = raw_server(|mut stream| {
        read_request_head(&mut stream);
        let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 10000000000\r\n\r\n[");
        std::thread::sleep(Duration::from_millis(200));
    });
    let err = UreqTransport::new()
        .send(get(&format!("http://{addr}/huge"), limits(1 << 20, 5000)))
        .unwrap_err();
    assert_eq!(err.kind(), TransportErrorKind::BodyTooLarge, "{err:?}");
    handle.join().unwrap();
}

#[test]
fn refused_connection_is_a_connect_error() {
    // Bind then drop, so the port is (almost surely) closed.
    let addr = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let err = UreqTransport::new()
        .send(get(&format!("http://{addr}/"), limits(1 << 20, 5000)))
        .unwrap_err();
    assert_eq!(err.kind(), TransportErrorKind::Connect, "{err:?}");
    assert!(err.is_connect());
}

#[test]
fn broken_responses_are_protocol_or_io_errors() {
    let cases: Vec<&'static [u8]> = vec![
        b"NOT HTTP AT ALL\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n",
    ];
    for bytes in cases {
        let (addr, handle) = raw_server(move |mut stream| {
            read_request_head(&mut stream);
            let _ = stream.write_all(bytes);
        });
        let err = UreqTransport::new()
            .send(get(&format!("http://{addr}/"), limits(1 << 20, 5000)))
            .unwrap_err();
        assert!(
            matches!(
                err.kind(),
                TransportErrorKind::Protocol | TransportErrorKind::Io
            ),
            "{:?}: {err:?}",
            String::from_utf8_lossy(bytes)
        );
        handle.join().unwrap();
    }
}
