//! HTTP framing: exchanges cut short, chunked and interim responses,
//! connections kept alive.

use std::io::Write;
use std::net::{Shutdown, TcpStream};
use std::time::{Duration, Instant};

use routy_core::http::Method;
use routy_core::{Transport, TransportErrorKind};

use super::super::server::{Answer, Incoming, Reply, Server, Shared};
use super::super::{get, limits, send};
use super::wrong_kind;

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

pub(in crate::conformance) fn truncated<T: Transport + ?Sized>(
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
pub(super) fn truncated_route(
    request: &Incoming,
    stream: &mut TcpStream,
    _: &Shared,
) -> Option<Answer> {
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

pub(in crate::conformance) fn framing<T: Transport + ?Sized>(
    transport: &T,
    server: &Server,
) -> Result<(), String> {
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
pub(super) fn framing_route(
    request: &Incoming,
    stream: &mut TcpStream,
    _: &Shared,
) -> Option<Answer> {
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

pub(in crate::conformance) fn keep_alive<T: Transport + ?Sized>(
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
pub(super) fn peer_route(request: &Incoming, _: &mut TcpStream, _: &Shared) -> Option<Answer> {
    let code: u16 = request.target.strip_prefix("/peer/")?.parse().ok()?;
    let peer = request.peer.to_string();
    Some(Answer::Reply(
        Reply::new(code, format!("peer {peer}")).header("X-Peer", peer),
    ))
}
