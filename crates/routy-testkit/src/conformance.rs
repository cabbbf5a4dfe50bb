//! A conformance suite for [`Transport`] implementations: run it against
//! your transport plugin to check it behaves as the routy client relies
//! on. It starts its own server on 127.0.0.1 and checks that the transport:
//!
//! 1. hands back status, headers (repeated ones too) and body for 2xx, 4xx
//!    and 5xx alike, and sends repeated request headers;
//! 2. does not follow redirects;
//! 3. enforces [`RequestLimits::max_body_bytes`] on decompressed bytes (a
//!    gzip bomb stops at the cap);
//! 4. reports a stalled server as [`TransportErrorKind::Timeout`] within
//!    [`RequestLimits::timeout`];
//! 5. reports a refused connection as [`TransportErrorKind::Connect`];
//! 6. delivers a large body intact;
//! 7. works with no deadline and with one of `Duration::MAX` set by hand
//!    (the client never sends more than [`MAX_DURATION`], but the field is
//!    public), where `Instant::now() + timeout` would overflow.
//!
//! A check in which the transport panics fails with the panic's message;
//! the other checks still run.

use std::fmt;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use routy_core::http::{Method, Request, Response};
#[cfg(doc)]
use routy_core::MAX_DURATION;
use routy_core::{RequestLimits, Transport, TransportErrorKind};

/// Size of the large body check.
const LARGE_BODY: usize = 4 << 20;
/// Decompressed size of the gzip bomb.
const BOMB_BYTES: usize = 16 << 20;
/// The cap the bomb is checked against.
const BOMB_CAP: u64 = 1 << 20;
/// The deadline given to the stall check.
const STALL_TIMEOUT: Duration = Duration::from_millis(300);
/// How long the stalled handler holds a request (bounded, so the server
/// always winds down).
const STALL_HOLD: Duration = Duration::from_secs(1);

/// One check's result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckResult {
    /// What was checked.
    pub name: &'static str,
    /// `Err` with what went wrong.
    pub outcome: Result<(), String>,
}

/// The suite's results.
///
/// # Examples
///
/// ```
/// let report = routy_testkit::conformance::check(&routy_ureq::UreqTransport::new());
/// assert!(report.passed(), "{report}");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// Every check, in order.
    pub results: Vec<CheckResult>,
}

impl Report {
    /// Whether every check passed.
    ///
    /// # Examples
    ///
    /// See [`Report`].
    pub fn passed(&self) -> bool {
        self.results.iter().all(|r| r.outcome.is_ok())
    }

    /// The checks that failed.
    ///
    /// # Examples
    ///
    /// ```
    /// let report = routy_testkit::conformance::check(&routy_ureq::UreqTransport::new());
    /// assert_eq!(report.failures().count(), 0);
    /// ```
    pub fn failures(&self) -> impl Iterator<Item = &CheckResult> {
        self.results.iter().filter(|r| r.outcome.is_err())
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for result in &self.results {
            match &result.outcome {
                Ok(()) => writeln!(f, "ok    {}", result.name)?,
                Err(why) => writeln!(f, "FAIL  {}: {why}", result.name)?,
            }
        }
        Ok(())
    }
}

/// One check: the transport and the suite's server in, what failed out.
type Check<T> = fn(&T, &Server) -> Result<(), String>;

/// Runs every check against `transport`.
///
/// # Examples
///
/// See [`Report`].
pub fn check<T: Transport + ?Sized>(transport: &T) -> Report {
    let server = match Server::start() {
        Ok(server) => server,
        Err(e) => {
            return Report {
                results: vec![CheckResult {
                    name: "start the suite's loopback server",
                    outcome: Err(e.to_string()),
                }],
            }
        }
    };
    let checks: [(&'static str, Check<T>); 7] = [
        (
            "status, headers and body round trip for 2xx, 4xx and 5xx",
            round_trip,
        ),
        ("redirects are not followed", no_redirects),
        ("the body cap counts decompressed bytes", body_cap),
        ("a stalled server times out as Timeout", stall),
        ("a refused connection is Connect", refused),
        ("a large body arrives intact", large_body),
        (
            "no deadline and a Duration::MAX deadline both work",
            extreme_deadlines,
        ),
    ];
    let results = checks
        .iter()
        .map(|(name, check)| CheckResult {
            name,
            outcome: catch_unwind(AssertUnwindSafe(|| check(transport, &server))).unwrap_or_else(
                |panic| Err(format!("the transport panicked: {}", message(&*panic))),
            ),
        })
        .collect();
    Report { results }
}

/// Runs the suite and panics with the report if any check fails.
///
/// # Panics
///
/// When `transport` fails a check.
///
/// # Examples
///
/// ```
/// routy_testkit::conformance::assert_conforms(&routy_ureq::UreqTransport::new());
/// ```
pub fn assert_conforms<T: Transport + ?Sized>(transport: &T) {
    let report = check(transport);
    assert!(report.passed(), "transport does not conform:\n{report}");
}

fn get(url: &str, limits: RequestLimits) -> Request<Vec<u8>> {
    let mut request = Request::new(Vec::new());
    *request.method_mut() = Method::GET;
    if let Ok(uri) = url.parse() {
        *request.uri_mut() = uri;
    }
    request.extensions_mut().insert(limits);
    request
}

fn limits() -> RequestLimits {
    RequestLimits::new(64 << 20, Some(Duration::from_secs(10)))
}

fn send<T: Transport + ?Sized>(
    transport: &T,
    request: Request<Vec<u8>>,
) -> Result<Response<Vec<u8>>, String> {
    transport
        .send(request)
        .map_err(|e| format!("unexpected {:?} error: {e}", e.kind()))
}

fn round_trip<T: Transport + ?Sized>(transport: &T, server: &Server) -> Result<(), String> {
    for status in [200u16, 201, 204, 400, 401, 404, 429, 500, 503] {
        let mut request = get(&server.url(&format!("/status/{status}")), limits());
        request
            .headers_mut()
            .append("x-multi", "one".parse().map_err(|_| "header")?);
        request
            .headers_mut()
            .append("x-multi", "two".parse().map_err(|_| "header")?);
        let response = send(transport, request)?;
        if response.status() != status {
            return Err(format!("asked for {status}, got {}", response.status()));
        }
        let repeated: Vec<_> = response.headers().get_all("x-repeated").iter().collect();
        if repeated != ["a", "b"] {
            return Err(format!(
                "{status}: repeated response header came back as {repeated:?}"
            ));
        }
        let seen = response
            .headers()
            .get("x-seen-multi")
            .and_then(|v| v.to_str().ok());
        if seen != Some("one,two") {
            return Err(format!(
                "{status}: the server saw the repeated request header as {seen:?}"
            ));
        }
        let expected = if status == 204 {
            String::new()
        } else {
            format!("body of {status}")
        };
        if response.body() != expected.as_bytes() {
            return Err(format!(
                "{status}: body was {:?}",
                String::from_utf8_lossy(response.body())
            ));
        }
    }
    Ok(())
}

fn no_redirects<T: Transport + ?Sized>(transport: &T, server: &Server) -> Result<(), String> {
    let response = send(transport, get(&server.url("/redirect"), limits()))?;
    if response.status() != 302 {
        return Err(format!(
            "got {} (followed the redirect?)",
            response.status()
        ));
    }
    match response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
    {
        Some("/status/200") => Ok(()),
        other => Err(format!("location header came back as {other:?}")),
    }
}

fn body_cap<T: Transport + ?Sized>(transport: &T, server: &Server) -> Result<(), String> {
    let request = get(
        &server.url("/gzip-bomb"),
        RequestLimits::new(BOMB_CAP, Some(Duration::from_secs(20))),
    );
    match transport.send(request) {
        Err(e) if e.kind() == TransportErrorKind::BodyTooLarge => Ok(()),
        Err(e) => Err(format!("expected BodyTooLarge, got {:?}: {e}", e.kind())),
        Ok(response) => Err(format!(
            "a {} byte decompressed body passed a {BOMB_CAP} byte cap",
            response.body().len()
        )),
    }
}

fn stall<T: Transport + ?Sized>(transport: &T, server: &Server) -> Result<(), String> {
    let started = Instant::now();
    let result = transport.send(get(
        &server.url("/stall"),
        RequestLimits::new(1 << 20, Some(STALL_TIMEOUT)),
    ));
    let elapsed = started.elapsed();
    match result {
        Err(e) if e.kind() == TransportErrorKind::Timeout => {
            if elapsed < STALL_TIMEOUT * 5 {
                Ok(())
            } else {
                Err(format!(
                    "timed out, but only after {elapsed:?} for a {STALL_TIMEOUT:?} deadline"
                ))
            }
        }
        Err(e) => Err(format!("expected Timeout, got {:?}: {e}", e.kind())),
        Ok(response) => Err(format!(
            "got {} after {elapsed:?} instead of a timeout",
            response.status()
        )),
    }
}

fn refused<T: Transport + ?Sized>(transport: &T, _server: &Server) -> Result<(), String> {
    // Bind, note the port, close: nothing listens there now.
    let addr = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| e.to_string())?;
    match transport.send(get(&format!("http://{addr}/"), limits())) {
        Err(e) if e.kind() == TransportErrorKind::Connect => Ok(()),
        Err(e) => Err(format!("expected Connect, got {:?}: {e}", e.kind())),
        Ok(response) => Err(format!("a closed port answered {}", response.status())),
    }
}

fn large_body<T: Transport + ?Sized>(transport: &T, server: &Server) -> Result<(), String> {
    let response = send(transport, get(&server.url("/large"), limits()))?;
    if *response.body() == *server.large {
        Ok(())
    } else {
        Err(format!(
            "{} bytes arrived, not the {LARGE_BODY} sent intact",
            response.body().len()
        ))
    }
}

fn extreme_deadlines<T: Transport + ?Sized>(transport: &T, server: &Server) -> Result<(), String> {
    let mut longest = limits();
    longest.timeout = Some(Duration::MAX);
    for limits in [longest, RequestLimits::new(1 << 20, None)] {
        let response = send(transport, get(&server.url("/status/200"), limits))
            .map_err(|e| format!("with a timeout of {:?}: {e}", limits.timeout))?;
        if response.status() != 200 {
            return Err(format!(
                "with a timeout of {:?}: got {}",
                limits.timeout,
                response.status()
            ));
        }
    }
    Ok(())
}

/// What a panic said, when it said it with a string.
fn message(panic: &(dyn std::any::Any + Send)) -> &str {
    panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(no message)")
}

/// The suite's server, on tiny_http.
struct Server {
    addr: SocketAddr,
    http: Arc<tiny_http::Server>,
    large: Arc<Vec<u8>>,
    threads: Vec<JoinHandle<()>>,
}

impl Server {
    fn start() -> Result<Server, Box<dyn std::error::Error + Send + Sync>> {
        let http = Arc::new(tiny_http::Server::http("127.0.0.1:0")?);
        let addr = http.server_addr().to_ip().ok_or("no ip address")?;
        let large: Arc<Vec<u8>> = Arc::new((0..LARGE_BODY).map(|i| (i * 31 % 251) as u8).collect());
        let bomb = {
            let mut encoder =
                flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
            let chunk = vec![b'0'; 1 << 20];
            for _ in 0..BOMB_BYTES >> 20 {
                encoder.write_all(&chunk)?;
            }
            Arc::new(encoder.finish()?)
        };
        // Several workers, so the stalled request does not hold up others.
        let threads = (0..4)
            .map(|_| {
                let (http, large, bomb) =
                    (Arc::clone(&http), Arc::clone(&large), Arc::clone(&bomb));
                std::thread::spawn(move || {
                    while let Ok(request) = http.recv() {
                        answer(request, &large, &bomb);
                    }
                })
            })
            .collect();
        Ok(Server {
            addr,
            http,
            large,
            threads,
        })
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        for _ in 0..self.threads.len() {
            self.http.unblock();
        }
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}

fn header(name: &str, value: &str) -> tiny_http::Header {
    tiny_http::Header::from_bytes(name.as_bytes(), value.as_bytes()).unwrap_or_else(|()| {
        tiny_http::Header::from_bytes(&b"X-Invalid"[..], &b"1"[..])
            .expect("a constant, valid header")
    })
}

fn answer(mut request: tiny_http::Request, large: &[u8], bomb: &[u8]) {
    let mut ignored = Vec::new();
    let _ = request.as_reader().take(1 << 20).read_to_end(&mut ignored);
    let url = request.url().to_owned();
    let reply = if let Some(code) = url
        .strip_prefix("/status/")
        .and_then(|c| c.parse::<u16>().ok())
    {
        let seen: Vec<String> = request
            .headers()
            .iter()
            .filter(|h| h.field.equiv("x-multi"))
            .map(|h| h.value.to_string())
            .collect();
        let body = if code == 204 {
            Vec::new()
        } else {
            format!("body of {code}").into_bytes()
        };
        tiny_http::Response::from_data(body)
            .with_status_code(code)
            .with_header(header("X-Repeated", "a"))
            .with_header(header("X-Repeated", "b"))
            .with_header(header("X-Seen-Multi", &seen.join(",")))
    } else if url == "/redirect" {
        tiny_http::Response::from_data(Vec::new())
            .with_status_code(302)
            .with_header(header("Location", "/status/200"))
    } else if url == "/gzip-bomb" {
        tiny_http::Response::from_data(bomb.to_vec())
            .with_header(header("Content-Encoding", "gzip"))
            .with_header(header("Content-Type", "application/json"))
    } else if url == "/stall" {
        std::thread::sleep(STALL_HOLD);
        tiny_http::Response::from_data(b"too late".to_vec())
    } else if url == "/large" {
        tiny_http::Response::from_data(large.to_vec())
    } else {
        tiny_http::Response::from_data(Vec::new()).with_status_code(404)
    };
    let _ = request.respond(reply);
}
