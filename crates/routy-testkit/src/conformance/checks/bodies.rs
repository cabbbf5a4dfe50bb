//! The body cap, counted on decoded bytes and refused from
//! `Content-Length`, decompression, and a large body read whole.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use routy_core::{RequestLimits, Transport, TransportErrorKind};

use super::super::server::{Answer, Incoming, Reply, Server, Shared};
use super::super::{get, limits, send, BOMB_BYTES, BOMB_CAP, LARGE_BODY, PLAIN_TEXT, REFUSAL_WAIT};
use super::wrong_kind;

pub(in crate::conformance) fn body_cap<T: Transport + ?Sized>(
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
pub(super) fn bomb_route(
    request: &Incoming,
    stream: &mut TcpStream,
    shared: &Shared,
) -> Option<Answer> {
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
pub(super) fn over_cap_route(
    request: &Incoming,
    stream: &mut TcpStream,
    shared: &Shared,
) -> Option<Answer> {
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

pub(in crate::conformance) fn content_encoding<T: Transport + ?Sized>(
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
pub(super) fn maybe_gzip_route(
    request: &Incoming,
    _: &mut TcpStream,
    _: &Shared,
) -> Option<Answer> {
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

pub(in crate::conformance) fn large_body<T: Transport + ?Sized>(
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

pub(super) fn large_route(
    request: &Incoming,
    _: &mut TcpStream,
    shared: &Shared,
) -> Option<Answer> {
    (request.target == "/large").then(|| Answer::Reply(Reply::new(200, shared.large.clone())))
}
