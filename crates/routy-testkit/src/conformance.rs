//! A conformance suite for [`Transport`] implementations: run it against
//! your transport plugin to check it behaves as the routy client relies
//! on. It starts its own servers on 127.0.0.1 and checks that the
//! transport:
//!
//! 1. hands back status, headers (repeated ones too) and body for 2xx, 4xx
//!    and 5xx alike, and sends repeated request headers;
//! 2. sends every method (GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS)
//!    with its path, query, headers and body (empty and 1 MiB) byte for
//!    byte;
//! 3. does not follow redirects;
//! 4. enforces [`RequestLimits::max_body_bytes`] on decompressed bytes (a
//!    gzip bomb stops at the cap, for a transport that asks for gzip), on a
//!    body with no length, and refuses a `Content-Length` over the cap
//!    before reading the body;
//! 5. hands back a body decoded, and is sent an encoding only when it asks
//!    for one;
//! 6. reports a stalled server, and one that drips a byte every 50 ms, as
//!    [`TransportErrorKind::Timeout`] within [`RequestLimits::timeout`];
//! 7. reports a refused connection as [`TransportErrorKind::Connect`];
//! 8. reports a body cut short as [`TransportErrorKind::Protocol`] or
//!    [`TransportErrorKind::Io`], never as a success;
//! 9. frames chunked responses, a `HEAD` response with a `Content-Length`
//!    and a `1xx` interim response right;
//! 10. *advice*: reuses a connection after an error response (keep-alive:
//!     a performance property, which [`assert_conforms`] reports but does
//!     not require);
//! 11. delivers a large body intact;
//! 12. works with no deadline and with one of `Duration::MAX` set by hand
//!     (the client never sends more than [`MAX_DURATION`], but the field is
//!     public), where `Instant::now() + timeout` would overflow.
//!
//! Every other check is *required*: routy relies on it for correctness,
//! and [`assert_conforms`] fails a transport that fails one. A failing
//! check reports the transport's own error and its `source()`
//! chain. A check in which the transport panics fails with the panic's
//! message; the other checks still run.
//!
//! For a transport that can be told which root to trust, [`check_tls`]
//! adds TLS against loopback https servers: a certificate from that root
//! is trusted, one from another root refused as
//! [`TransportErrorKind::Tls`].
//!
//! Not checked here: a DNS failure (a lookup would leave the machine; a
//! transport should report one as `Connect`, see
//! [`TransportError::from_io`](routy_core::TransportError::from_io)).

use std::hash::Hasher;
use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

#[cfg(doc)]
use routy_core::config::MAX_DURATION;
use routy_core::http::{Method, Request, Response};
use routy_core::{RequestLimits, Transport, TransportErrorKind};

mod report;
mod tls;

pub use report::{CheckResult, Level, Report};

pub use tls::check_tls;

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
/// Size of the request bodies sent by the echo check.
const ECHO_BODY: usize = 1 << 20;
/// What `/maybe-gzip` says, compressed only for a transport that asks.
const PLAIN_TEXT: &str = "the same text, gzip or not";
/// How long the raw server waits to see a transport refuse an oversized
/// `Content-Length` (by closing) before it sends the body anyway.
const REFUSAL_WAIT: Duration = Duration::from_secs(2);
/// The methods the echo check sends.
const METHODS: [Method; 7] = [
    Method::GET,
    Method::HEAD,
    Method::POST,
    Method::PUT,
    Method::PATCH,
    Method::DELETE,
    Method::OPTIONS,
];

/// One check: the transport and the suite's server in, what failed out.
type Check<T> = fn(&T, &Server) -> Result<(), String>;

/// Runs every check against `transport`.
pub fn check<T: Transport + ?Sized>(transport: &T) -> Report {
    let server = match Server::start() {
        Ok(server) => server,
        Err(e) => {
            return Report {
                results: vec![CheckResult {
                    name: "start the suite's loopback server",
                    level: Level::Required,
                    outcome: Err(e.to_string()),
                }],
            }
        }
    };
    let results = checks::<T>()
        .iter()
        .map(|(name, level, check)| CheckResult {
            name,
            level: *level,
            outcome: catch(|| check(transport, &server)),
        })
        .collect();
    Report { results }
}

/// Every check: its name, whether routy relies on it, and the check.
fn checks<T: Transport + ?Sized>() -> [(&'static str, Level, Check<T>); 13] {
    use Level::{Advice, Required};
    [
        (
            "status, headers and body round trip for 2xx, 4xx and 5xx",
            Required,
            round_trip,
        ),
        (
            "every method's request arrives byte for byte",
            Required,
            exact_requests,
        ),
        ("redirects are not followed", Required, no_redirects),
        ("the body cap counts decompressed bytes", Required, body_cap),
        (
            "a body comes back decoded, encoded only when asked",
            Required,
            content_encoding,
        ),
        ("a stalled server times out as Timeout", Required, stall),
        (
            "a server dripping a byte at a time is stopped by the deadline",
            Required,
            drip,
        ),
        ("a refused connection is Connect", Required, refused),
        ("a body cut short is Protocol or Io", Required, truncated),
        (
            "chunked, HEAD and 1xx responses are framed right",
            Required,
            framing,
        ),
        // Reuse saves a handshake per call; nothing routy does depends
        // on it (a transport that sends `Connection: close` is correct).
        (
            "a connection is reused after an error response",
            Advice,
            keep_alive,
        ),
        ("a large body arrives intact", Required, large_body),
        (
            "no deadline and a Duration::MAX deadline both work",
            Required,
            extreme_deadlines,
        ),
    ]
}

/// `check`'s result, or a failure with its panic's message.
fn catch(check: impl FnOnce() -> Result<(), String>) -> Result<(), String> {
    catch_unwind(AssertUnwindSafe(check))
        .unwrap_or_else(|panic| Err(format!("the transport panicked: {}", message(&*panic))))
}

/// Runs the suite and panics with the report if any required check fails
/// (unmet advice is shown, not failed).
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
    transport.send(request).map_err(|e| {
        format!(
            "unexpected {:?} error: {}",
            e.kind(),
            routy_core::error_chain(&e)
        )
    })
}

/// The error a check expected a different kind for, with its chain.
fn wrong_kind(expected: &str, err: &routy_core::TransportError) -> String {
    format!(
        "expected {expected}, got {:?}: {}",
        err.kind(),
        routy_core::error_chain(err)
    )
}

/// The request body the echo check sends: every byte value, repeated.
fn echo_body() -> Vec<u8> {
    (0..ECHO_BODY).map(|i| (i % 256) as u8).collect()
}

/// A hash both the check and the server compute of a body.
fn body_hash(body: &[u8]) -> String {
    let mut hasher = std::hash::DefaultHasher::new();
    hasher.write(body);
    format!("{:016x}", hasher.finish())
}

/// The target the exact-request check sends: an encoded slash, a
/// repeated query key, an empty value, a `;`.
const EXACT_TARGET: &str = "/echo/a%2Fb?q=a%20b&x=1&x=2&empty=&semi=a;b";

fn exact_requests<T: Transport + ?Sized>(transport: &T, server: &Server) -> Result<(), String> {
    let big = echo_body();
    for method in METHODS {
        for body in [Vec::new(), big.clone()] {
            let what = format!("{method} with a {} byte body", body.len());
            let (len, hash) = (body.len(), body_hash(&body));
            let request = exact_request(server, &method, body)?;
            let response = send(transport, request).map_err(|e| format!("{what}: {e}"))?;
            if let Some(problem) = echo_problem(&response, &method, len, &hash) {
                return Err(format!("{what}: {problem}"));
            }
        }
    }
    Ok(())
}

/// A `method` request to [`EXACT_TARGET`] with repeated and
/// space-sensitive headers and `body`.
fn exact_request(
    server: &Server,
    method: &Method,
    body: Vec<u8>,
) -> Result<Request<Vec<u8>>, String> {
    let mut request = get(&server.url(EXACT_TARGET), limits());
    *request.method_mut() = method.clone();
    let headers = request.headers_mut();
    headers.append("x-multi", "one".parse().map_err(|_| "header")?);
    headers.append("x-multi", "two".parse().map_err(|_| "header")?);
    headers.append(
        "x-exact",
        "Keep  these  Spaces".parse().map_err(|_| "header")?,
    );
    if !body.is_empty() {
        headers.append(
            "content-type",
            "application/octet-stream".parse().map_err(|_| "header")?,
        );
    }
    *request.body_mut() = body;
    Ok(request)
}

/// What the echo server saw that differs from what
/// [`exact_request`] sent, if anything.
fn echo_problem(
    response: &Response<Vec<u8>>,
    method: &Method,
    len: usize,
    hash: &str,
) -> Option<String> {
    let echoed = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("(missing)")
            .to_owned()
    };
    let seen_headers: Vec<String> = response
        .headers()
        .get_all("x-echo-header")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(str::to_ascii_lowercase)
        .collect();
    let mine: Vec<&String> = seen_headers
        .iter()
        .filter(|h| h.starts_with("x-multi:") || h.starts_with("x-exact:"))
        .collect();
    let problems = [
        (echoed("x-echo-method") != method.as_str())
            .then(|| format!("the method arrived as {}", echoed("x-echo-method"))),
        (echoed("x-echo-url") != EXACT_TARGET)
            .then(|| format!("the target arrived as {}", echoed("x-echo-url"))),
        (mine
            != [
                "x-multi: one",
                "x-multi: two",
                "x-exact: keep  these  spaces",
            ])
        .then(|| format!("the headers arrived as {mine:?}")),
        (echoed("x-echo-body-len") != len.to_string() || echoed("x-echo-body-hash") != hash).then(
            || {
                format!(
                    "{} body bytes arrived, not the {len} sent intact",
                    echoed("x-echo-body-len")
                )
            },
        ),
    ];
    problems.into_iter().flatten().next()
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
    // A gzip bomb for a transport that asks for gzip, the same bytes
    // unencoded and with no length for one that does not.
    too_large(transport, &server.url("/gzip-bomb"), "a body over the cap")?;
    // An announced length over the cap: refused before the body is read.
    too_large(
        transport,
        &server.raw_url("/over-cap"),
        "a Content-Length over the cap",
    )?;
    match server.over_cap_outcome() {
        OverCap::Refused => Ok(()),
        OverCap::ReadBody => Err(format!(
            "a Content-Length over the cap was not refused before reading: the connection stayed open {REFUSAL_WAIT:?} for the body"
        )),
        OverCap::NotSeen => Err("the over-cap request never reached the server".to_owned()),
    }
}

/// Sends a GET to `url` under a [`BOMB_CAP`] cap, which must end in
/// `BodyTooLarge`.
fn too_large<T: Transport + ?Sized>(transport: &T, url: &str, what: &str) -> Result<(), String> {
    let request = get(
        url,
        RequestLimits::new(BOMB_CAP, Some(Duration::from_secs(20))),
    );
    match transport.send(request) {
        Err(e) if e.kind() == TransportErrorKind::BodyTooLarge => Ok(()),
        Err(e) => Err(format!("{what}: {}", wrong_kind("BodyTooLarge", &e))),
        Ok(response) => Err(format!(
            "{what}: a {} byte body (after decoding) passed a {BOMB_CAP} byte cap",
            response.body().len()
        )),
    }
}

fn content_encoding<T: Transport + ?Sized>(transport: &T, server: &Server) -> Result<(), String> {
    let response = send(transport, get(&server.url("/maybe-gzip"), limits()))?;
    let sent_gzip = response
        .headers()
        .get("x-sent-gzip")
        .is_some_and(|v| v == "yes");
    if response.body() == PLAIN_TEXT.as_bytes() {
        Ok(())
    } else if sent_gzip {
        Err(format!(
            "it asked for gzip but handed back {} undecoded bytes",
            response.body().len()
        ))
    } else {
        Err(format!(
            "the body came back as {:?}",
            String::from_utf8_lossy(response.body())
        ))
    }
}

fn truncated<T: Transport + ?Sized>(transport: &T, server: &Server) -> Result<(), String> {
    match transport.send(get(&server.raw_url("/truncated"), limits())) {
        Err(e)
            if matches!(
                e.kind(),
                TransportErrorKind::Protocol | TransportErrorKind::Io
            ) =>
        {
            Ok(())
        }
        Err(e) => Err(wrong_kind("Protocol or Io", &e)),
        Ok(response) => Err(format!(
            "10 of 100 announced bytes were handed back as a {} response",
            response.status()
        )),
    }
}

fn framing<T: Transport + ?Sized>(transport: &T, server: &Server) -> Result<(), String> {
    let response = send(transport, get(&server.raw_url("/chunked"), limits()))
        .map_err(|e| format!("chunked: {e}"))?;
    if response.body() != b"chunked body" {
        return Err(format!(
            "a chunked body came back as {:?}",
            String::from_utf8_lossy(response.body())
        ));
    }
    let mut head = get(&server.raw_url("/head"), limits());
    *head.method_mut() = Method::HEAD;
    let started = Instant::now();
    let response = send(transport, head).map_err(|e| format!("HEAD: {e}"))?;
    if started.elapsed() >= Duration::from_secs(1) || !response.body().is_empty() {
        return Err(format!(
            "a HEAD response with a Content-Length took {:?} and handed back {} body bytes (it waited for a body that never comes)",
            started.elapsed(),
            response.body().len()
        ));
    }
    if response
        .headers()
        .get("content-length")
        .is_none_or(|v| v != "1234")
    {
        return Err("a HEAD response lost its Content-Length".to_owned());
    }
    let response = send(transport, get(&server.raw_url("/interim"), limits()))
        .map_err(|e| format!("1xx: {e}"))?;
    if response.status() != 200 || response.body() != b"final" {
        return Err(format!(
            "after a 103 interim response, got {} {:?}",
            response.status(),
            String::from_utf8_lossy(response.body())
        ));
    }
    Ok(())
}

fn keep_alive<T: Transport + ?Sized>(transport: &T, server: &Server) -> Result<(), String> {
    let peer = |path: &str| -> Result<String, String> {
        let response = send(transport, get(&server.url(path), limits()))?;
        Ok(response
            .headers()
            .get("x-peer")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned())
    };
    let first = peer("/peer/500")?;
    let second = peer("/peer/200")?;
    if first == second {
        Ok(())
    } else {
        Err(format!(
            "after a 500 the next request came from a new connection ({first} then {second})"
        ))
    }
}

fn stall<T: Transport + ?Sized>(transport: &T, server: &Server) -> Result<(), String> {
    times_out(transport, &server.url("/stall"))
}

/// A server that sends a byte every 50 ms: a transport that restarts its
/// timeout at each read would never stop.
fn drip<T: Transport + ?Sized>(transport: &T, server: &Server) -> Result<(), String> {
    times_out(transport, &server.raw_url("/drip"))
}

fn times_out<T: Transport + ?Sized>(transport: &T, url: &str) -> Result<(), String> {
    let started = Instant::now();
    let result = transport.send(get(url, RequestLimits::new(1 << 20, Some(STALL_TIMEOUT))));
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
        Err(e) => Err(wrong_kind("Timeout", &e)),
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
        Err(e) => Err(wrong_kind("Connect", &e)),
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

/// What the transport did with a `Content-Length` over its cap.
enum OverCap {
    /// It closed the connection before the body was sent.
    Refused,
    /// It kept the connection open, waiting for the body.
    ReadBody,
    /// The request never arrived.
    NotSeen,
}

/// The suite's servers: tiny_http for well-formed responses, and a raw
/// socket for the ones tiny_http will not send (cut short, interim, a
/// length it does not honour).
struct Server {
    addr: SocketAddr,
    http: Arc<tiny_http::Server>,
    large: Arc<Vec<u8>>,
    threads: Vec<JoinHandle<()>>,
    raw: RawServer,
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
            raw: RawServer::start()?,
        })
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    fn raw_url(&self, path: &str) -> String {
        format!("http://{}{path}", self.raw.addr)
    }

    /// What the raw server saw of the over-cap request. Its thread notes
    /// the close a moment after the transport returns, so this waits for
    /// the note (bounded by how long that thread itself waits).
    fn over_cap_outcome(&self) -> OverCap {
        let until = Instant::now() + REFUSAL_WAIT + Duration::from_secs(1);
        loop {
            match self.raw.over_cap.load(Ordering::SeqCst) {
                1 => return OverCap::Refused,
                2 => return OverCap::ReadBody,
                _ if Instant::now() >= until => return OverCap::NotSeen,
                _ => std::thread::sleep(Duration::from_millis(5)),
            }
        }
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

/// A loopback socket that reads each request head with `httparse` and
/// answers with canned bytes, one thread per connection, each bounded in
/// time.
struct RawServer {
    addr: SocketAddr,
    /// 0 not seen, 1 refused before the body, 2 waited for the body.
    over_cap: Arc<AtomicU8>,
    stop: Arc<AtomicBool>,
    accept: Option<JoinHandle<()>>,
}

impl RawServer {
    fn start() -> std::io::Result<RawServer> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let over_cap = Arc::new(AtomicU8::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let accept = {
            let (over_cap, stop) = (Arc::clone(&over_cap), Arc::clone(&stop));
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        return;
                    }
                    let Ok(stream) = stream else { continue };
                    let over_cap = Arc::clone(&over_cap);
                    std::thread::spawn(move || raw_answer(stream, &over_cap));
                }
            })
        };
        Ok(RawServer {
            addr,
            over_cap,
            stop,
            accept: Some(accept),
        })
    }
}

impl Drop for RawServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(self.addr);
        if let Some(accept) = self.accept.take() {
            let _ = accept.join();
        }
    }
}

/// Answers each request head on a connection by its path, keeping the
/// connection open between them as a keep-alive server does.
fn raw_answer(mut stream: TcpStream, over_cap: &AtomicU8) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let mut pending = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let (path, used) = loop {
            let mut headers = [httparse::EMPTY_HEADER; 64];
            let mut request = httparse::Request::new(&mut headers);
            match request.parse(&pending) {
                Ok(httparse::Status::Complete(used)) => {
                    break (request.path.unwrap_or("/").to_owned(), used)
                }
                Ok(httparse::Status::Partial) if pending.len() < 64 * 1024 => {}
                _ => return,
            }
            match stream.read(&mut buf) {
                Ok(0) | Err(_) => return,
                Ok(n) => pending.extend_from_slice(&buf[..n]),
            }
        };
        // The suite's requests to this server carry no body.
        pending.drain(..used);
        let reply: &[u8] = match path.as_str() {
            "/truncated" => {
                // The end of the connection is what cuts the body short.
                let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten b");
                let _ = stream.shutdown(Shutdown::Both);
                return;
            }
            "/over-cap" => {
                let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 4194304\r\n\r\n");
                // A transport that refuses the length closes now; one that
                // reads on waits for the body, which comes after a pause.
                let _ = stream.set_read_timeout(Some(REFUSAL_WAIT));
                let closed = match stream.read(&mut buf) {
                    Ok(0) => true,
                    Ok(_) => false,
                    Err(e) => !matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ),
                };
                over_cap.store(if closed { 1 } else { 2 }, Ordering::SeqCst);
                if !closed {
                    let _ = stream.write_all(&vec![b'x'; 4 << 20]);
                }
                let _ = stream.shutdown(Shutdown::Both);
                return;
            }
            "/drip" => return drip_bytes(&mut stream),
            "/chunked" => b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n8\r\nchunked \r\n4\r\nbody\r\n0\r\nX-Trailer: yes\r\n\r\n",
            // No body follows: a transport that waits for one gets none.
            "/head" => b"HTTP/1.1 200 OK\r\nContent-Length: 1234\r\nX-Head: yes\r\n\r\n",
            "/interim" => b"HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfinal",
            _ => b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n",
        };
        if stream.write_all(reply).is_err() {
            return;
        }
    }
}

/// One byte every 50 ms: each read succeeds, so only the whole deadline
/// ends it. Bounded: 100 bytes, 5 s at most.
fn drip_bytes(stream: &mut TcpStream) {
    let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n");
    for _ in 0..100 {
        if stream.write_all(b"x").is_err() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn header(name: &str, value: &str) -> tiny_http::Header {
    tiny_http::Header::from_bytes(name.as_bytes(), value.as_bytes()).unwrap_or_else(|()| {
        tiny_http::Header::from_bytes(&b"X-Invalid"[..], &b"1"[..])
            .expect("a constant, valid header")
    })
}

type Reply = tiny_http::Response<std::io::Cursor<Vec<u8>>>;

fn answer(mut request: tiny_http::Request, large: &[u8], bomb: &[u8]) {
    let mut body = Vec::new();
    let _ = request
        .as_reader()
        .take(2 * ECHO_BODY as u64)
        .read_to_end(&mut body);
    let url = request.url().to_owned();
    let asked_gzip = request.headers().iter().any(|h| {
        h.field.equiv("accept-encoding") && h.value.as_str().to_ascii_lowercase().contains("gzip")
    });
    let code_after = |prefix: &str| url.strip_prefix(prefix).and_then(|c| c.parse::<u16>().ok());
    let reply = if url.starts_with("/echo/") {
        echo(&request, &url, &body)
    } else if let Some(code) = code_after("/peer/") {
        let peer = request
            .remote_addr()
            .map(|a| a.to_string())
            .unwrap_or_default();
        tiny_http::Response::from_data(format!("peer {peer}").into_bytes())
            .with_status_code(code)
            .with_header(header("X-Peer", &peer))
    } else if url == "/maybe-gzip" {
        maybe_gzip(asked_gzip)
    } else if let Some(code) = code_after("/status/") {
        status(&request, code)
    } else if url == "/redirect" {
        tiny_http::Response::from_data(Vec::new())
            .with_status_code(302)
            .with_header(header("Location", "/status/200"))
    } else if url == "/gzip-bomb" && asked_gzip {
        tiny_http::Response::from_data(bomb.to_vec())
            .with_header(header("Content-Encoding", "gzip"))
            .with_header(header("Content-Type", "application/json"))
    } else if url == "/gzip-bomb" {
        // The same bytes unencoded, with no length: only the cap stops it.
        let _ = request.respond(tiny_http::Response::new(
            tiny_http::StatusCode(200),
            vec![header("Content-Type", "application/json")],
            std::io::repeat(b'0').take(BOMB_BYTES as u64),
            None,
            None,
        ));
        return;
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

/// What arrived, in `X-Echo-*` headers: method, target, body length and
/// hash, every header in order.
fn echo(request: &tiny_http::Request, url: &str, body: &[u8]) -> Reply {
    let mut reply = tiny_http::Response::from_data(b"echo".to_vec())
        .with_header(header("X-Echo-Method", request.method().as_str()))
        .with_header(header("X-Echo-Url", url))
        .with_header(header("X-Echo-Body-Len", &body.len().to_string()))
        .with_header(header("X-Echo-Body-Hash", &body_hash(body)));
    for h in request.headers() {
        reply = reply.with_header(header(
            "X-Echo-Header",
            &format!("{}: {}", h.field, h.value),
        ));
    }
    reply
}

/// [`PLAIN_TEXT`], gzipped only when the request asked for gzip.
fn maybe_gzip(asked_gzip: bool) -> Reply {
    if asked_gzip {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        let _ = encoder.write_all(PLAIN_TEXT.as_bytes());
        tiny_http::Response::from_data(encoder.finish().unwrap_or_default())
            .with_header(header("Content-Encoding", "gzip"))
            .with_header(header("X-Sent-Gzip", "yes"))
    } else {
        tiny_http::Response::from_data(PLAIN_TEXT.as_bytes().to_vec())
    }
}

/// A `code` response with a repeated header, saying which `X-Multi`
/// values arrived.
fn status(request: &tiny_http::Request, code: u16) -> Reply {
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
}
