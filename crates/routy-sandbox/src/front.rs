//! The sandbox's public socket. Connections are accepted here and their
//! bytes copied to and from the internal tiny_http server. Owning the
//! client socket is what lets a fault drop a connection halfway through a
//! response, which tiny_http alone cannot do; it is also where the limits
//! tiny_http lacks are kept against hostile clients:
//!
//! - at most [`MAX_CONNECTIONS`] at once (two small threads each); one more
//!   is answered 503 and closed, so memory stays flat however many come;
//! - each request head is framed with `httparse` (not parsed by hand) and
//!   capped at [`MAX_HEAD_BYTES`] (431 past it) and [`HEAD_DEADLINE`] (408),
//!   so one endless header line cannot grow the process; bodies are
//!   passed on by their `Content-Length` (a chunked upload is 411);
//! - a client that half-closes after its request still gets the response.

use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::sync::Locked;

/// The most client connections served at once.
pub(crate) const MAX_CONNECTIONS: usize = 256;

/// The longest request head (request line and headers) accepted.
pub(crate) const MAX_HEAD_BYTES: usize = 64 * 1024;

/// How long a request head may take to arrive, from its first byte.
pub(crate) const HEAD_DEADLINE: Duration = Duration::from_secs(10);

/// How long a connection may sit with no request bytes before it is
/// closed: longer than any response the sandbox takes (fault delays
/// included), so only a client that holds a slot doing nothing is dropped.
const IDLE_TIMEOUT: Duration = Duration::from_secs(300);

/// Stack size of the two threads that serve each connection: they only
/// copy bytes and frame heads.
const PIPE_STACK: usize = 128 * 1024;

/// The most headers one request may have.
const MAX_HEADERS: usize = 100;

/// Client sockets by the address tiny_http sees them from (the local end
/// of our connection to it).
type Registry = Arc<Mutex<HashMap<SocketAddr, (TcpStream, Broken)>>>;

/// Set once a fault has taken a connection over: its pipes then drop
/// whatever tiny_http still sends and leave the socket to the fault.
type Broken = Arc<AtomicBool>;

/// One step of a broken response.
#[derive(Debug)]
pub(crate) enum Step {
    /// Send these bytes.
    Write(Vec<u8>),
    /// Wait this long.
    Pause(Duration),
}

pub(crate) struct Front {
    addr: SocketAddr,
    registry: Registry,
    stop: Arc<AtomicBool>,
    accept: Mutex<Option<JoinHandle<()>>>,
}

impl Front {
    pub(crate) fn start(listener: TcpListener, backend: SocketAddr) -> io::Result<Front> {
        let addr = listener.local_addr()?;
        let registry: Registry = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let accept = {
            let registry = Arc::clone(&registry);
            let stop = Arc::clone(&stop);
            std::thread::Builder::new()
                .name("routy-sandbox-accept".into())
                .spawn(move || accept_loop(&listener, backend, &registry, &stop))?
        };
        Ok(Front {
            addr,
            registry,
            stop,
            accept: Mutex::new(Some(accept)),
        })
    }

    pub(crate) fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Plays `steps` to the client behind `peer`, then ends its
    /// connection: with a reset (RST) when `reset`, else a close.
    pub(crate) fn break_connection(&self, peer: SocketAddr, steps: &[Step], reset: bool) {
        let entry = self.registry.locked().remove(&peer);
        let Some((mut stream, broken)) = entry else {
            return;
        };
        broken.store(true, Ordering::SeqCst);
        for step in steps {
            match step {
                Step::Write(bytes) => {
                    if stream
                        .write_all(bytes)
                        .and_then(|()| stream.flush())
                        .is_err()
                    {
                        break;
                    }
                }
                Step::Pause(pause) => {
                    // In slices, so stopping the sandbox does not wait out
                    // a long stall or drip.
                    let until = Instant::now() + *pause;
                    while !self.stop.load(Ordering::SeqCst) {
                        let left = until.saturating_duration_since(Instant::now());
                        if left.is_zero() {
                            break;
                        }
                        std::thread::sleep(left.min(Duration::from_millis(50)));
                    }
                    if self.stop.load(Ordering::SeqCst) {
                        break;
                    }
                }
            }
        }
        if reset {
            // A zero linger makes the last close a reset (RST, no FIN).
            // Shutting the read side wakes the pipe reading the client,
            // which then drops its handle; the other pipe drops its own
            // as tiny_http's late answer comes, unsent.
            let _ = socket2::SockRef::from(&stream).set_linger(Some(Duration::ZERO));
            let _ = stream.shutdown(Shutdown::Read);
            drop(stream);
        } else {
            let _ = stream.shutdown(Shutdown::Both);
        }
    }

    pub(crate) fn stop(&self) {
        if self.stop.swap(true, Ordering::SeqCst) {
            return;
        }
        // Wake the accept loop.
        let _ = TcpStream::connect(self.addr);
        let accept = self.accept.locked().take();
        if let Some(accept) = accept {
            let _ = accept.join();
        }
        let open: Vec<TcpStream> = self
            .registry
            .locked()
            .drain()
            .map(|(_, (s, _))| s)
            .collect();
        for stream in open {
            let _ = stream.shutdown(Shutdown::Both);
        }
    }
}

impl Drop for Front {
    fn drop(&mut self) {
        self.stop();
    }
}

fn accept_loop(
    listener: &TcpListener,
    backend: SocketAddr,
    registry: &Registry,
    stop: &AtomicBool,
) {
    let open = Arc::new(AtomicUsize::new(0));
    for client in listener.incoming() {
        if stop.load(Ordering::SeqCst) {
            return;
        }
        let Ok(mut client) = client else { continue };
        if open.load(Ordering::SeqCst) >= MAX_CONNECTIONS {
            // A fresh socket's send buffer takes this whole without blocking.
            let _ = client.write_all(&refusal(503, "Service Unavailable", "too many connections"));
            let _ = client.shutdown(Shutdown::Write);
            continue;
        }
        open.fetch_add(1, Ordering::SeqCst);
        let slot = Slot(Arc::clone(&open));
        if let Err(_unreachable_backend) = connect(client, backend, registry, slot) {
            continue;
        }
    }
}

/// One of the [`MAX_CONNECTIONS`]; given back when dropped.
struct Slot(Arc<AtomicUsize>);

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

fn connect(
    client: TcpStream,
    backend: SocketAddr,
    registry: &Registry,
    slot: Slot,
) -> io::Result<()> {
    let server = TcpStream::connect(backend)?;
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    let key = server.local_addr()?;
    let broken: Broken = Arc::default();
    registry
        .locked()
        .insert(key, (client.try_clone()?, Arc::clone(&broken)));
    let (client_read, server_write) = (client.try_clone()?, server.try_clone()?);
    let registry = Arc::clone(registry);
    let up_broken = Arc::clone(&broken);
    std::thread::Builder::new()
        .name("routy-sandbox-up".into())
        .stack_size(PIPE_STACK)
        .spawn(move || pipe_requests(client_read, server_write, &up_broken))?;
    std::thread::Builder::new()
        .name("routy-sandbox-down".into())
        .stack_size(PIPE_STACK)
        .spawn(move || {
            pipe_acking(server, client, &broken);
            registry.locked().remove(&key);
            drop(slot);
        })?;
    Ok(())
}

/// What the client is sending next.
enum Framing {
    /// A request head, which has been arriving since the instant given.
    Head(Option<Instant>),
    /// This many more bytes of a request body.
    Body(u64),
}

/// Copies requests from the client to tiny_http, head by head within the
/// limits. On the client's end of input, only tiny_http's read side is
/// closed: the response still comes back through [`pipe_acking`].
fn pipe_requests(mut client: TcpStream, mut server: TcpStream, broken: &AtomicBool) {
    let _ = client.set_read_timeout(Some(IDLE_TIMEOUT.min(HEAD_DEADLINE)));
    let mut pending: Vec<u8> = Vec::new();
    let mut chunk = vec![0u8; 16 * 1024];
    let mut framing = Framing::Head(None);
    let mut idle_since = Instant::now();
    let stop = loop {
        let n = match client.read(&mut chunk) {
            Ok(0) => {
                let _ = server.shutdown(Shutdown::Write);
                return;
            }
            Ok(n) => n,
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                match framing {
                    Framing::Head(Some(started)) if started.elapsed() >= HEAD_DEADLINE => {
                        break Stop::Refuse(HEAD_TIMEOUT);
                    }
                    Framing::Head(Some(_)) => {}
                    _ if idle_since.elapsed() >= IDLE_TIMEOUT => break Stop::Close,
                    _ => {}
                }
                continue;
            }
            Err(_) => break Stop::Close,
        };
        idle_since = Instant::now();
        pending.extend_from_slice(&chunk[..n]);
        if let Err(stop) = forward(&mut framing, &mut pending, &mut server) {
            break stop;
        }
    };
    if !broken.load(Ordering::SeqCst) {
        if let Stop::Refuse((status, reason, detail)) = stop {
            let _ = client.write_all(&refusal(status, reason, detail));
        }
        let _ = client.shutdown(Shutdown::Both);
    }
    let _ = server.shutdown(Shutdown::Both);
}

/// Why [`pipe_requests`] stops copying.
enum Stop {
    /// The connection is over (an I/O error, idle too long).
    Close,
    /// A head broke a limit: answer with this, then close.
    Refuse(Refusal),
}

/// Frames everything that has arrived: bodies pass through to `server`,
/// heads are checked whole first. Leaves in `pending` what cannot be
/// framed yet.
fn forward(
    framing: &mut Framing,
    pending: &mut Vec<u8>,
    server: &mut TcpStream,
) -> Result<(), Stop> {
    while !pending.is_empty() {
        let (len, next) = match *framing {
            Framing::Body(left) => {
                let take = usize::try_from(left)
                    .unwrap_or(usize::MAX)
                    .min(pending.len());
                (take, left - take as u64)
            }
            Framing::Head(started) => match frame_head(pending) {
                Ok(Some((len, body))) => (len, body),
                Ok(None) if pending.len() > MAX_HEAD_BYTES => {
                    return Err(Stop::Refuse(HEAD_TOO_LARGE))
                }
                Ok(None) => {
                    if started.is_some_and(|t| t.elapsed() >= HEAD_DEADLINE) {
                        return Err(Stop::Refuse(HEAD_TIMEOUT));
                    }
                    *framing = Framing::Head(started.or_else(|| Some(Instant::now())));
                    return Ok(());
                }
                Err(why) => return Err(Stop::Refuse(why)),
            },
        };
        server.write_all(&pending[..len]).map_err(|_| Stop::Close)?;
        pending.drain(..len);
        *framing = if next == 0 {
            Framing::Head(None)
        } else {
            Framing::Body(next)
        };
    }
    Ok(())
}

/// A refusal of a head: status, reason phrase, detail.
type Refusal = (u16, &'static str, &'static str);

const HEAD_TIMEOUT: Refusal = (408, "Request Timeout", "the request head took too long");
const HEAD_TOO_LARGE: Refusal = (
    431,
    "Request Header Fields Too Large",
    "the request head is over 64 KiB",
);

/// The length of the complete request head at the start of `bytes` and of
/// the body that follows it; `None` while the head is incomplete.
fn frame_head(bytes: &[u8]) -> Result<Option<(usize, u64)>, Refusal> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut request = httparse::Request::new(&mut headers);
    let len = match request.parse(bytes) {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(httparse::Error::TooManyHeaders) => {
            return Err((
                431,
                "Request Header Fields Too Large",
                "too many request headers",
            ))
        }
        Err(_) => return Err((400, "Bad Request", "the request head is malformed")),
    };
    if len > MAX_HEAD_BYTES {
        return Err(HEAD_TOO_LARGE);
    }
    let mut body: Option<u64> = None;
    for header in request.headers.iter() {
        if header.name.eq_ignore_ascii_case("transfer-encoding") {
            return Err((
                411,
                "Length Required",
                "send the request body with a content-length",
            ));
        }
        if header.name.eq_ignore_ascii_case("content-length") {
            let value = std::str::from_utf8(header.value)
                .ok()
                .filter(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|v| v.parse::<u64>().ok())
                .ok_or((400, "Bad Request", "the content-length is not a number"))?;
            if body.is_some_and(|b| b != value) {
                return Err((400, "Bad Request", "conflicting content-length headers"));
            }
            body = Some(value);
        }
    }
    Ok(Some((len, body.unwrap_or(0))))
}

/// A complete `Connection: close` response with an RFC 9457 body, for the
/// refusals made here before tiny_http sees a request.
fn refusal(status: u16, reason: &str, detail: &str) -> Vec<u8> {
    let body = serde_json::json!({
        "type": "about:blank",
        "title": reason,
        "status": status,
        "detail": detail,
    })
    .to_string();
    format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: application/problem+json\r\nContent-Length: {}\r\nRetry-After: 1\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// Copies responses from tiny_http to the client, acknowledging every segment
/// at once. tiny_http writes a response's head and body in two writes with
/// Nagle's algorithm on; if the receiver delays its ACK of the head (as
/// Linux does after a connection's first few segments), the body waits
/// ~40 ms for it. Quick ACKs remove that stall.
fn pipe_acking(mut from: TcpStream, mut to: TcpStream, broken: &AtomicBool) {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        quick_ack(&from);
        match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(_) if broken.load(Ordering::SeqCst) => break,
            Ok(n) => {
                if to.write_all(&buf[..n]).is_err() {
                    break;
                }
            }
        }
    }
    let _ = from.shutdown(Shutdown::Both);
    if !broken.load(Ordering::SeqCst) {
        let _ = to.shutdown(Shutdown::Both);
    }
}

#[cfg(any(target_os = "linux", target_os = "android"))]
fn quick_ack(stream: &TcpStream) {
    // The kernel clears the flag as it sees fit, so it is set before each read.
    let _ = socket2::SockRef::from(stream).set_tcp_quickack(true);
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn quick_ack(_stream: &TcpStream) {}
