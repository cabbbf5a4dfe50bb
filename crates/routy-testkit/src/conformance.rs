//! A conformance suite for [`Transport`] implementations: run it against
//! your transport plugin to check it behaves as the routy client relies
//! on. Three small parts: the report (`report`), the checks, each beside
//! the route of the test server it needs (`checks`), and that one server
//! (`server`, on 127.0.0.1, framing requests with `httparse`). It checks
//! that the transport:
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
//! 8. reports an exchange cut short after the request was sent (a body
//!    shorter than its `Content-Length`, a chunked body without its last
//!    chunk, a connection closed with no answer) as
//!    [`TransportErrorKind::Io`], never as a success, so the client
//!    retries an idempotent request the same way over every transport;
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

use std::io::Write;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Duration;

#[cfg(doc)]
use routy_core::defaults::MAX_DURATION;
use routy_core::http::{Method, Request, Response};
#[cfg(doc)]
use routy_core::TransportErrorKind;
use routy_core::{RequestLimits, Transport};

mod checks;
mod report;
mod server;
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

use checks::*;
use server::Server;

/// Runs every check against `transport`.
pub fn check<T: Transport + ?Sized>(transport: &T) -> Report {
    let server = match start_server() {
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
    let results = all_checks::<T>()
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
fn all_checks<T: Transport + ?Sized>() -> [(&'static str, Level, Check<T>); 13] {
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
        ("an exchange cut short is Io", Required, truncated),
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

/// The suite's server, with its large body and its gzip bomb made.
fn start_server() -> Result<Server, Box<dyn std::error::Error + Send + Sync>> {
    let large = (0..LARGE_BODY).map(|i| (i * 31 % 251) as u8).collect();
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let chunk = vec![b'0'; 1 << 20];
    for _ in 0..BOMB_BYTES >> 20 {
        encoder.write_all(&chunk)?;
    }
    Ok(Server::start(&checks::ROUTES, large, encoder.finish()?)?)
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

/// What a panic said, when it said it with a string.
fn message(panic: &(dyn std::any::Any + Send)) -> &str {
    panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(no message)")
}
