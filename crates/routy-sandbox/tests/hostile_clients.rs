//! The sandbox against hostile clients: a half-closed request is still
//! answered, an endless request head is cut off at 64 KiB, and a thousand
//! slow connections leave memory and threads flat. One test in its own
//! file (so its own process): it measures the process's memory and threads.

#![allow(
    clippy::unwrap_used,
    reason = "a test helper that fails should panic loudly"
)]

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::{Duration, Instant};

use routy_sandbox::{NewToken, Sandbox};

/// A field of /proc/self/status, in its own unit (kB for memory).
fn status(field: &str) -> u64 {
    let text = std::fs::read_to_string("/proc/self/status").unwrap();
    text.lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap()
}

fn connect(sandbox: &Sandbox) -> TcpStream {
    let stream = TcpStream::connect(sandbox.addr()).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    stream
}

fn read_all(stream: &mut TcpStream) -> String {
    let mut out = Vec::new();
    let _ = stream.read_to_end(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

/// Reads one response with a `Content-Length` and returns its head.
fn read_response(stream: &mut TcpStream) -> String {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        stream.read_exact(&mut byte).unwrap();
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    let len: usize = head
        .to_ascii_lowercase()
        .lines()
        .find_map(|l| {
            l.strip_prefix("content-length:")
                .map(|v| v.trim().to_owned())
        })
        .unwrap()
        .parse()
        .unwrap();
    let mut body = vec![0u8; len];
    stream.read_exact(&mut body).unwrap();
    head
}

#[test]
fn hostile_clients_get_answers_and_limits() {
    let sandbox = Sandbox::start().unwrap();
    let token = sandbox.issue_token(NewToken::named("hostile")).unwrap();
    let request = format!(
        "GET /api/v1/accounts HTTP/1.1\r\nHost: sandbox\r\nAuthorization: ApiKey {}\r\n\r\n",
        token.secret()
    );

    // 1. A client that half-closes after its request is still answered.
    let mut stream = connect(&sandbox);
    stream.write_all(request.as_bytes()).unwrap();
    stream.shutdown(Shutdown::Write).unwrap();
    let answer = read_all(&mut stream);
    assert!(
        answer.starts_with("HTTP/1.1 200"),
        "half-closed: {answer:.200}"
    );

    // Keep-alive, pipelining and request bodies still pass the framing.
    let mut stream = connect(&sandbox);
    let post = "POST /api/v1/nowhere HTTP/1.1\r\nHost: sandbox\r\nContent-Length: 5\r\n\r\nhello";
    stream
        .write_all(format!("{request}{post}{request}").as_bytes())
        .unwrap();
    assert!(read_response(&mut stream).starts_with("HTTP/1.1 200"));
    assert!(!read_response(&mut stream).starts_with("HTTP/1.1 200"));
    assert!(read_response(&mut stream).starts_with("HTTP/1.1 200"));
    // A chunked upload is refused rather than framed wrongly.
    let mut stream = connect(&sandbox);
    stream
        .write_all(
            b"POST /api/v1/x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
        )
        .unwrap();
    assert!(read_all(&mut stream).starts_with("HTTP/1.1 411"));

    let before_kb = status("VmRSS");
    let before_threads = status("Threads");

    // 2. One header line that never ends: refused at 64 KiB with 431, and
    // the connection closed long before 256 MiB could be sent.
    let mut stream = connect(&sandbox);
    stream
        .write_all(b"GET /api/v1/accounts HTTP/1.1\r\nX-Endless: ")
        .unwrap();
    let line = vec![b'a'; 64 * 1024];
    let mut sent = 0usize;
    while sent < 256 << 20 {
        if stream.write_all(&line).is_err() {
            break;
        }
        sent += line.len();
    }
    assert!(
        sent < 16 << 20,
        "the sandbox took {sent} bytes of one header"
    );
    // Sent in one piece, the 431 is seen for sure.
    let mut stream = connect(&sandbox);
    let mut big = b"GET / HTTP/1.1\r\nX-Big: ".to_vec();
    big.extend(vec![b'b'; 70 * 1024]);
    let _ = stream.write_all(&big);
    let answer = read_all(&mut stream);
    assert!(
        answer.starts_with("HTTP/1.1 431"),
        "big header: {answer:.200}"
    );

    // 3. A thousand slow clients, each holding a half-sent head: the
    // sandbox serves what it can, refuses the rest with 503, and neither
    // memory nor threads grow with the count.
    let slow: Vec<TcpStream> = (0..1000)
        .map(|_| {
            let mut s = connect(&sandbox);
            s.write_all(b"GET /api/v1/accounts HTTP/1.1\r\nX-Slow: ")
                .unwrap();
            s
        })
        .collect();
    let mut refused = 0;
    for s in slow.iter().rev().take(50) {
        let mut s = s.try_clone().unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let mut head = [0u8; 12];
        if s.read_exact(&mut head).is_ok() && &head == b"HTTP/1.1 503" {
            refused += 1;
        }
    }
    assert_eq!(refused, 50, "connections past the limit were not refused");
    let after_kb = status("VmRSS");
    let after_threads = status("Threads");
    assert!(
        after_kb < before_kb + 64 * 1024,
        "memory grew from {before_kb} kB to {after_kb} kB"
    );
    // Two pipe threads and one tiny_http thread per served connection.
    assert!(
        after_threads <= before_threads + 3 * 256 + 16,
        "threads grew from {before_threads} to {after_threads}"
    );

    // Once they go, the sandbox serves again.
    drop(slow);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let mut stream = connect(&sandbox);
        stream.write_all(request.as_bytes()).unwrap();
        stream.shutdown(Shutdown::Write).unwrap();
        let answer = read_all(&mut stream);
        if answer.starts_with("HTTP/1.1 200") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "not serving again: {answer:.200}"
        );
        std::thread::yield_now();
    }
}
