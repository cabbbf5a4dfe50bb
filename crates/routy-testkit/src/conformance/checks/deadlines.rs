//! Time: a stalled server and a dripping one meet the deadline, a
//! refused connection is `Connect`, and extreme deadlines do not panic.

use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

use routy_core::{RequestLimits, Transport, TransportErrorKind};

use super::super::server::{Answer, Incoming, Reply, Server, Shared};
use super::super::{get, limits, send, STALL_HOLD, STALL_TIMEOUT};
use super::wrong_kind;

pub(in crate::conformance) fn stall<T: Transport + ?Sized>(
    transport: &T,
    server: &Server,
) -> Result<(), String> {
    times_out(transport, &server.url("/stall"))
}

/// `/stall`: nothing for a second, then an answer too late.
pub(super) fn stall_route(request: &Incoming, _: &mut TcpStream, _: &Shared) -> Option<Answer> {
    (request.target == "/stall").then(|| {
        std::thread::sleep(STALL_HOLD);
        Answer::Reply(Reply::new(200, b"too late".to_vec()))
    })
}

/// A server that sends a byte every 50 ms: a transport that restarts its
/// timeout at each read would never stop.
pub(in crate::conformance) fn drip<T: Transport + ?Sized>(
    transport: &T,
    server: &Server,
) -> Result<(), String> {
    times_out(transport, &server.url("/drip"))
}

/// `/drip`: one byte every 50 ms: each read succeeds, so only the whole
/// deadline ends it. Bounded: 100 bytes, 5 s at most.
pub(super) fn drip_route(request: &Incoming, stream: &mut TcpStream, _: &Shared) -> Option<Answer> {
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

pub(in crate::conformance) fn refused<T: Transport + ?Sized>(
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

pub(in crate::conformance) fn extreme_deadlines<T: Transport + ?Sized>(
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
