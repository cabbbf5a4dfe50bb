//! The checks, each beside the route of the suite's server it needs.

use std::hash::Hasher;
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use routy_core::http::{Method, Request, Response};
use routy_core::{RequestLimits, Transport, TransportErrorKind};

use super::server::{Answer, Incoming, Reply, Route, Server, Shared};
use super::{
    get, limits, send, BOMB_BYTES, BOMB_CAP, ECHO_BODY, LARGE_BODY, METHODS, PLAIN_TEXT,
    REFUSAL_WAIT, STALL_HOLD, STALL_TIMEOUT,
};

/// Every route of the suite's server, in the order they are asked.
pub(super) const ROUTES: [Route; 12] = [
    status_route,
    echo_route,
    redirect_route,
    bomb_route,
    over_cap_route,
    maybe_gzip_route,
    truncated_route,
    framing_route,
    peer_route,
    stall_route,
    drip_route,
    large_route,
];

/// The error a check expected a different kind for, with its chain.
pub(super) fn wrong_kind(expected: &str, err: &routy_core::TransportError) -> String {
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

pub(super) fn exact_requests<T: Transport + ?Sized>(
    transport: &T,
    server: &Server,
) -> Result<(), String> {
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

/// `/echo/…`: what arrived, in `X-Echo-*` headers: method, target, body
/// length and hash, every header in order.
fn echo_route(request: &Incoming, _: &mut TcpStream, _: &Shared) -> Option<Answer> {
    if !request.target.starts_with("/echo/") {
        return None;
    }
    let mut reply = Reply::new(200, b"echo".to_vec())
        .header("X-Echo-Method", request.method.as_str())
        .header("X-Echo-Url", request.target.as_str())
        .header("X-Echo-Body-Len", request.body.len().to_string())
        .header("X-Echo-Body-Hash", body_hash(&request.body));
    for (name, value) in &request.headers {
        reply = reply.header("X-Echo-Header", format!("{name}: {value}"));
    }
    Some(Answer::Reply(reply))
}

pub(super) fn round_trip<T: Transport + ?Sized>(
    transport: &T,
    server: &Server,
) -> Result<(), String> {
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

/// `/status/CODE`: that status with a repeated header, saying which
/// `X-Multi` values arrived.
fn status_route(request: &Incoming, _: &mut TcpStream, _: &Shared) -> Option<Answer> {
    let code: u16 = request.target.strip_prefix("/status/")?.parse().ok()?;
    let seen: Vec<&str> = request.all("x-multi").collect();
    let body = if code == 204 {
        Vec::new()
    } else {
        format!("body of {code}").into_bytes()
    };
    Some(Answer::Reply(
        Reply::new(code, body)
            .header("X-Repeated", "a")
            .header("X-Repeated", "b")
            .header("X-Seen-Multi", seen.join(",")),
    ))
}

pub(super) fn no_redirects<T: Transport + ?Sized>(
    transport: &T,
    server: &Server,
) -> Result<(), String> {
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

fn redirect_route(request: &Incoming, _: &mut TcpStream, _: &Shared) -> Option<Answer> {
    (request.target == "/redirect")
        .then(|| Answer::Reply(Reply::new(302, Vec::new()).header("Location", "/status/200")))
}

pub(super) fn body_cap<T: Transport + ?Sized>(
    transport: &T,
    server: &Server,
) -> Result<(), String> {
    // A gzip bomb for a transport that asks for gzip, the same bytes
    // unencoded and with no length for one that does not.
    too_large(transport, &server.url("/gzip-bomb"), "a body over the cap")?;
    // An announced length over the cap: refused before the body is read.
    too_large(
        transport,
        &server.url("/over-cap"),
        "a Content-Length over the cap",
    )?;
    match over_cap_outcome(&server.shared) {
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

/// `/gzip-bomb`: 16 MiB of zeros, gzipped for a transport that asks for
/// gzip, else the same bytes unencoded with no length (only the cap stops
/// it).
fn bomb_route(request: &Incoming, stream: &mut TcpStream, shared: &Shared) -> Option<Answer> {
    if request.target != "/gzip-bomb" {
        return None;
    }
    if request.asks_gzip() {
        return Some(Answer::Reply(
            Reply::new(200, shared.bomb.clone())
                .header("Content-Encoding", "gzip")
                .header("Content-Type", "application/json"),
        ));
    }
    let _ = stream.write_all(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n",
    );
    let zeros = vec![b'0'; 1 << 20];
    for _ in 0..BOMB_BYTES >> 20 {
        if stream.write_all(&zeros).is_err() {
            break;
        }
    }
    let _ = stream.shutdown(Shutdown::Both);
    Some(Answer::Done)
}

/// `/over-cap`: announces 4 MiB over a 1 MiB cap. A transport that
/// refuses the length closes now; one that reads on waits for the body,
/// which comes after a pause.
fn over_cap_route(request: &Incoming, stream: &mut TcpStream, shared: &Shared) -> Option<Answer> {
    if request.target != "/over-cap" {
        return None;
    }
    let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 4194304\r\n\r\n");
    let _ = stream.set_read_timeout(Some(REFUSAL_WAIT));
    let mut buf = [0u8; 64];
    let closed = match stream.read(&mut buf) {
        Ok(0) => true,
        Ok(_) => false,
        Err(e) => !matches!(
            e.kind(),
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
        ),
    };
    shared
        .over_cap
        .store(if closed { 1 } else { 2 }, Ordering::SeqCst);
    if !closed {
        let _ = stream.write_all(&vec![b'x'; 4 << 20]);
    }
    let _ = stream.shutdown(Shutdown::Both);
    Some(Answer::Done)
}

/// What a transport did with a `Content-Length` over its cap.
enum OverCap {
    /// It closed the connection before the body was sent.
    Refused,
    /// It kept the connection open, waiting for the body.
    ReadBody,
    /// The request never arrived.
    NotSeen,
}

/// What the over-cap route saw. Its thread notes the close a moment after
/// the transport returns, so this waits for the note (bounded by how long
/// that thread itself waits).
fn over_cap_outcome(shared: &Shared) -> OverCap {
    let until = Instant::now() + REFUSAL_WAIT + Duration::from_secs(1);
    loop {
        match shared.over_cap.load(Ordering::SeqCst) {
            1 => return OverCap::Refused,
            2 => return OverCap::ReadBody,
            _ if Instant::now() >= until => return OverCap::NotSeen,
            _ => std::thread::sleep(Duration::from_millis(5)),
        }
    }
}

pub(super) fn content_encoding<T: Transport + ?Sized>(
    transport: &T,
    server: &Server,
) -> Result<(), String> {
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

/// `/maybe-gzip`: [`PLAIN_TEXT`], gzipped only when the request asked.
fn maybe_gzip_route(request: &Incoming, _: &mut TcpStream, _: &Shared) -> Option<Answer> {
    if request.target != "/maybe-gzip" {
        return None;
    }
    if !request.asks_gzip() {
        return Some(Answer::Reply(Reply::new(200, PLAIN_TEXT.as_bytes())));
    }
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let _ = encoder.write_all(PLAIN_TEXT.as_bytes());
    Some(Answer::Reply(
        Reply::new(200, encoder.finish().unwrap_or_default())
            .header("Content-Encoding", "gzip")
            .header("X-Sent-Gzip", "yes"),
    ))
}

/// The ways the suite's server cuts an exchange short, by path: the
/// request was sent and read each time, so each is an exchange that
/// broke, [`Io`](TransportErrorKind::Io), retried for idempotent methods
/// as a reset is (whether the peer ended with a FIN or an RST is chance).
const CUT_SHORT: [(&str, &str); 3] = [
    ("/truncated", "10 of 100 announced bytes"),
    (
        "/truncated-chunked",
        "a chunked body without its last chunk",
    ),
    ("/hangup", "a connection closed with no answer"),
];

pub(super) fn truncated<T: Transport + ?Sized>(
    transport: &T,
    server: &Server,
) -> Result<(), String> {
    for (path, what) in CUT_SHORT {
        match transport.send(get(&server.url(path), limits())) {
            Err(e) if e.kind() == TransportErrorKind::Io => {}
            Err(e) => return Err(format!("{what}: {}", wrong_kind("Io", &e))),
            Ok(response) => {
                return Err(format!(
                    "{what} were handed back as a {} response",
                    response.status()
                ))
            }
        }
    }
    Ok(())
}

/// [`CUT_SHORT`]'s paths: the answer begun (or not), then the connection
/// ends.
fn truncated_route(request: &Incoming, stream: &mut TcpStream, _: &Shared) -> Option<Answer> {
    let sent: &[u8] = match request.target.as_str() {
        "/truncated" => b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten b",
        "/truncated-chunked" => {
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nfirst\r\n"
        }
        "/hangup" => b"",
        _ => return None,
    };
    let _ = stream.write_all(sent);
    let _ = stream.shutdown(Shutdown::Both);
    Some(Answer::Done)
}

pub(super) fn framing<T: Transport + ?Sized>(transport: &T, server: &Server) -> Result<(), String> {
    let response = send(transport, get(&server.url("/chunked"), limits()))
        .map_err(|e| format!("chunked: {e}"))?;
    if response.body() != b"chunked body" {
        return Err(format!(
            "a chunked body came back as {:?}",
            String::from_utf8_lossy(response.body())
        ));
    }
    let mut head = get(&server.url("/head"), limits());
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
    let response =
        send(transport, get(&server.url("/interim"), limits())).map_err(|e| format!("1xx: {e}"))?;
    if response.status() != 200 || response.body() != b"final" {
        return Err(format!(
            "after a 103 interim response, got {} {:?}",
            response.status(),
            String::from_utf8_lossy(response.body())
        ));
    }
    Ok(())
}

/// `/chunked`, `/head` (a length and no body, as a `HEAD` answer has),
/// `/interim` (a 103 before the answer): bytes a transport must frame.
fn framing_route(request: &Incoming, stream: &mut TcpStream, _: &Shared) -> Option<Answer> {
    let bytes: &[u8] = match request.target.as_str() {
        "/chunked" => b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n8\r\nchunked \r\n4\r\nbody\r\n0\r\nX-Trailer: yes\r\n\r\n",
        "/head" => b"HTTP/1.1 200 OK\r\nContent-Length: 1234\r\nX-Head: yes\r\n\r\n",
        "/interim" => b"HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfinal",
        _ => return None,
    };
    // Written as they are; the connection stays open for the next request.
    if stream.write_all(bytes).is_err() {
        return Some(Answer::Done);
    }
    Some(Answer::Written)
}

pub(super) fn keep_alive<T: Transport + ?Sized>(
    transport: &T,
    server: &Server,
) -> Result<(), String> {
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

/// `/peer/CODE`: that status, saying which connection it came on.
fn peer_route(request: &Incoming, _: &mut TcpStream, _: &Shared) -> Option<Answer> {
    let code: u16 = request.target.strip_prefix("/peer/")?.parse().ok()?;
    let peer = request.peer.to_string();
    Some(Answer::Reply(
        Reply::new(code, format!("peer {peer}")).header("X-Peer", peer),
    ))
}

pub(super) fn stall<T: Transport + ?Sized>(transport: &T, server: &Server) -> Result<(), String> {
    times_out(transport, &server.url("/stall"))
}

/// `/stall`: nothing for a second, then an answer too late.
fn stall_route(request: &Incoming, _: &mut TcpStream, _: &Shared) -> Option<Answer> {
    (request.target == "/stall").then(|| {
        std::thread::sleep(STALL_HOLD);
        Answer::Reply(Reply::new(200, b"too late".to_vec()))
    })
}

/// A server that sends a byte every 50 ms: a transport that restarts its
/// timeout at each read would never stop.
pub(super) fn drip<T: Transport + ?Sized>(transport: &T, server: &Server) -> Result<(), String> {
    times_out(transport, &server.url("/drip"))
}

/// `/drip`: one byte every 50 ms: each read succeeds, so only the whole
/// deadline ends it. Bounded: 100 bytes, 5 s at most.
fn drip_route(request: &Incoming, stream: &mut TcpStream, _: &Shared) -> Option<Answer> {
    if request.target != "/drip" {
        return None;
    }
    let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n");
    for _ in 0..100 {
        if stream.write_all(b"x").is_err() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Some(Answer::Done)
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

pub(super) fn refused<T: Transport + ?Sized>(
    transport: &T,
    _server: &Server,
) -> Result<(), String> {
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

pub(super) fn large_body<T: Transport + ?Sized>(
    transport: &T,
    server: &Server,
) -> Result<(), String> {
    let response = send(transport, get(&server.url("/large"), limits()))?;
    if *response.body() == *server.shared.large {
        Ok(())
    } else {
        Err(format!(
            "{} bytes arrived, not the {LARGE_BODY} sent intact",
            response.body().len()
        ))
    }
}

fn large_route(request: &Incoming, _: &mut TcpStream, shared: &Shared) -> Option<Answer> {
    (request.target == "/large").then(|| Answer::Reply(Reply::new(200, shared.large.clone())))
}

pub(super) fn extreme_deadlines<T: Transport + ?Sized>(
    transport: &T,
    server: &Server,
) -> Result<(), String> {
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
