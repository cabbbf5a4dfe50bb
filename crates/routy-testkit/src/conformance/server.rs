//! The suite's one test server: a loopback socket that frames each
//! request with `httparse` (its head, a `Content-Length` or chunked body,
//! `Expect: 100-continue`) and hands it to the routes the checks define
//! beside themselves (the suite passes them to [`Server::start`]). A route answers with a
//! [`Reply`], or writes to the socket itself for the answers no
//! well-behaved server sends (cut short, dripped, a length it does not
//! honour). Connections are kept alive between requests, one thread each,
//! every wait bounded.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

/// The most a request head may be.
const HEAD_MAX: usize = 64 * 1024;
/// The most of a request body kept (the echo check sends 1 MiB).
const BODY_MAX: usize = 4 << 20;

/// What every connection shares: the canned bodies and what the over-cap
/// route saw.
pub(super) struct Shared {
    pub(super) large: Vec<u8>,
    pub(super) bomb: Vec<u8>,
    /// 0 not seen, 1 refused before the body, 2 waited for the body.
    pub(super) over_cap: AtomicU8,
}

/// One request as it arrived.
pub(super) struct Incoming {
    pub(super) method: String,
    /// The request target, as sent (path and query).
    pub(super) target: String,
    /// Every header in order, names as sent.
    pub(super) headers: Vec<(String, String)>,
    pub(super) body: Vec<u8>,
    pub(super) peer: SocketAddr,
}

impl Incoming {
    /// The values of the header `name` (any case), in order.
    pub(super) fn all(&self, name: &str) -> impl Iterator<Item = &str> {
        let name = name.to_owned();
        self.headers
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(&name))
            .map(|(_, v)| v.as_str())
    }

    /// Whether the request asked for gzip.
    pub(super) fn asks_gzip(&self) -> bool {
        self.all("accept-encoding")
            .any(|v| v.to_ascii_lowercase().contains("gzip"))
    }
}

/// A well-formed answer: its status, headers, and body (with a
/// `Content-Length`, except for a 204).
pub(super) struct Reply {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
}

impl Reply {
    pub(super) fn new(status: u16, body: impl Into<Vec<u8>>) -> Self {
        Reply {
            status,
            headers: Vec::new(),
            body: body.into(),
        }
    }

    pub(super) fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }
}

/// What a route made of a request.
pub(super) enum Answer {
    /// Write this, then read the next request on the connection.
    Reply(Reply),
    /// The route wrote a whole answer itself; read the next request.
    Written,
    /// The route wrote to the socket itself; the connection is over.
    Done,
}

/// A route: `Some` when the request is its to answer.
pub(super) type Route = fn(&Incoming, &mut TcpStream, &Shared) -> Option<Answer>;

/// The server, stopped when dropped.
pub(super) struct Server {
    addr: SocketAddr,
    pub(super) shared: Arc<Shared>,
    stop: Arc<AtomicBool>,
    accept: Option<JoinHandle<()>>,
}

impl Server {
    /// A server on a free loopback port that answers each request with the
    /// first of `routes` that takes it (404 when none does).
    pub(super) fn start(
        routes: &'static [Route],
        large: Vec<u8>,
        bomb: Vec<u8>,
    ) -> io::Result<Server> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            large,
            bomb,
            over_cap: AtomicU8::new(0),
        });
        let stop = Arc::new(AtomicBool::new(false));
        let accept = {
            let (shared, stop) = (Arc::clone(&shared), Arc::clone(&stop));
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        return;
                    }
                    let Ok(stream) = stream else { continue };
                    let shared = Arc::clone(&shared);
                    std::thread::spawn(move || serve(stream, routes, &shared));
                }
            })
        };
        Ok(Server {
            addr,
            shared,
            stop,
            accept: Some(accept),
        })
    }

    pub(super) fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(self.addr);
        if let Some(accept) = self.accept.take() {
            let _ = accept.join();
        }
    }
}

/// Answers each request on a connection in turn, keeping it open between
/// them as a keep-alive server does.
fn serve(mut stream: TcpStream, routes: &[Route], shared: &Shared) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let Ok(peer) = stream.peer_addr() else { return };
    let mut pending = Vec::new();
    while let Some(request) = next_request(&mut stream, &mut pending, peer) {
        let answer = routes
            .iter()
            .find_map(|route| route(&request, &mut stream, shared))
            .unwrap_or_else(|| Answer::Reply(Reply::new(404, Vec::new())));
        let written = match answer {
            Answer::Reply(reply) => write_reply(&mut stream, &reply, request.method == "HEAD"),
            Answer::Written => Ok(()),
            Answer::Done => return,
        };
        let closing = request
            .all("connection")
            .any(|v| v.eq_ignore_ascii_case("close"));
        if written.is_err() || closing {
            return;
        }
    }
}

/// The next request on the connection (its head from `pending` and the
/// socket, then its body), `None` when the peer is done or broke the
/// protocol.
fn next_request(
    stream: &mut TcpStream,
    pending: &mut Vec<u8>,
    peer: SocketAddr,
) -> Option<Incoming> {
    let mut buf = [0u8; 8192];
    let (method, target, headers, used) = loop {
        let mut slots = [httparse::EMPTY_HEADER; 64];
        let mut head = httparse::Request::new(&mut slots);
        match head.parse(pending) {
            Ok(httparse::Status::Complete(used)) => {
                let headers = head
                    .headers
                    .iter()
                    .map(|h| {
                        (
                            h.name.to_owned(),
                            String::from_utf8_lossy(h.value).into_owned(),
                        )
                    })
                    .collect::<Vec<_>>();
                break (
                    head.method?.to_owned(),
                    head.path?.to_owned(),
                    headers,
                    used,
                );
            }
            Ok(httparse::Status::Partial) if pending.len() < HEAD_MAX => {}
            _ => return None,
        }
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => return None,
            Ok(n) => pending.extend_from_slice(&buf[..n]),
        }
    };
    pending.drain(..used);
    let mut request = Incoming {
        method,
        target,
        headers,
        body: Vec::new(),
        peer,
    };
    if request
        .all("expect")
        .any(|v| v.eq_ignore_ascii_case("100-continue"))
    {
        stream.write_all(b"HTTP/1.1 100 Continue\r\n\r\n").ok()?;
    }
    request.body = read_body(stream, pending, &request)?;
    Some(request)
}

/// The request body: `Content-Length` bytes, or a chunked body decoded
/// (chunk sizes framed by `httparse`), or none.
fn read_body(stream: &mut TcpStream, pending: &mut Vec<u8>, request: &Incoming) -> Option<Vec<u8>> {
    let chunked = request
        .all("transfer-encoding")
        .any(|v| v.to_ascii_lowercase().contains("chunked"));
    if chunked {
        return read_chunked(stream, pending);
    }
    let length: usize = match request.all("content-length").next() {
        Some(value) => value.trim().parse().ok()?,
        None => 0,
    };
    if length > BODY_MAX {
        return None;
    }
    fill(stream, pending, length)?;
    Some(pending.drain(..length).collect())
}

fn read_chunked(stream: &mut TcpStream, pending: &mut Vec<u8>) -> Option<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let (used, size) = loop {
            match httparse::parse_chunk_size(pending) {
                Ok(httparse::Status::Complete(found)) => break found,
                Ok(httparse::Status::Partial) => fill(stream, pending, pending.len() + 1)?,
                Err(_) => return None,
            }
        };
        pending.drain(..used);
        let size = usize::try_from(size)
            .ok()
            .filter(|s| body.len() + s <= BODY_MAX)?;
        // The chunk, then its CRLF; the last (empty) chunk's CRLF ends the
        // body (the suite's transports send no trailers).
        fill(stream, pending, size + 2)?;
        body.extend_from_slice(&pending[..size]);
        pending.drain(..size + 2);
        if size == 0 {
            return Some(body);
        }
    }
}

/// Reads until `pending` holds `at_least` bytes.
fn fill(stream: &mut TcpStream, pending: &mut Vec<u8>, at_least: usize) -> Option<()> {
    let mut buf = [0u8; 8192];
    while pending.len() < at_least {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => return None,
            Ok(n) => pending.extend_from_slice(&buf[..n]),
        }
    }
    Some(())
}

fn write_reply(stream: &mut TcpStream, reply: &Reply, head_only: bool) -> io::Result<()> {
    let reason = routy_core::http::StatusCode::from_u16(reply.status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("Status");
    let mut head = format!("HTTP/1.1 {} {reason}\r\n", reply.status);
    for (name, value) in &reply.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    if reply.status != 204 {
        head.push_str(&format!("Content-Length: {}\r\n", reply.body.len()));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())?;
    if !head_only {
        stream.write_all(&reply.body)?;
    }
    stream.flush()
}
