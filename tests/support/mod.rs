//! What the facade's tests share: the token, and scripted loopback
//! servers for fault tests (each accepted connection's request head is
//! recorded, then a script writes whatever bytes the case needs,
//! well-formed or not; every script is bounded in time; the server stops
//! when dropped).

#![allow(dead_code, reason = "each test file uses a different part")]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// A well-formed token, shaped like the ones the Routy web UI generates.
pub(crate) const TOKEN: &str = "OaBw1+4DqFfDLXOLpWthbfp502Wc0D4tICsxNcT+aeQ=";

pub(crate) type Script = dyn Fn(usize, &mut TcpStream) + Send + Sync;

pub(crate) struct ScriptServer {
    pub(crate) addr: SocketAddr,
    heads: Arc<Mutex<Vec<String>>>,
    connections: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl ScriptServer {
    /// Serves on `ip` (e.g. "127.0.0.1" or "127.0.0.2"), any port.
    pub(crate) fn start(
        ip: &str,
        script: impl Fn(usize, &mut TcpStream) + Send + Sync + 'static,
    ) -> Self {
        let listener = TcpListener::bind((ip, 0)).expect("bind loopback");
        let addr = listener.local_addr().expect("local addr");
        let heads: Arc<Mutex<Vec<String>>> = Arc::default();
        let connections = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let script: Arc<Script> = Arc::new(script);
        let thread = {
            let (heads, connections, stop) = (
                Arc::clone(&heads),
                Arc::clone(&connections),
                Arc::clone(&stop),
            );
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        return;
                    }
                    let Ok(mut stream) = stream else { continue };
                    let n = connections.fetch_add(1, Ordering::SeqCst);
                    let (heads, script) = (Arc::clone(&heads), Arc::clone(&script));
                    std::thread::spawn(move || {
                        let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
                        // One request per connection: every script closes it.
                        let head = read_head(&mut stream);
                        if !head.is_empty() {
                            heads.lock().expect("heads").push(head);
                            script(n, &mut stream);
                        }
                    });
                }
            })
        };
        ScriptServer {
            addr,
            heads,
            connections,
            stop,
            thread: Some(thread),
        }
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// The request heads received so far.
    pub(crate) fn heads(&self) -> Vec<String> {
        self.heads.lock().expect("heads").clone()
    }

    pub(crate) fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

impl Drop for ScriptServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.addr);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Reads up to the blank line ending a request head (empty on EOF).
pub(crate) fn read_head(stream: &mut TcpStream) -> String {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => return String::new(),
        }
        if head.len() > 64 * 1024 {
            break;
        }
    }
    String::from_utf8_lossy(&head).into_owned()
}

/// Writes a whole response and closes the connection.
pub(crate) fn respond(stream: &mut TcpStream, status: &str, headers: &[(&str, &str)], body: &[u8]) {
    let mut out = format!(
        "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (k, v) in headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str("\r\n");
    let _ = stream.write_all(out.as_bytes());
    let _ = stream.write_all(body);
    let _ = stream.flush();
    let _ = stream.shutdown(std::net::Shutdown::Both);
}

/// A busy answer (`status` with `Retry-After: retry_after`) when `busy`,
/// else `200 OK` with the JSON `ok_body`: a server to be retried.
pub(crate) fn busy_or_ok(
    stream: &mut TcpStream,
    busy: bool,
    status: &str,
    retry_after: &str,
    ok_body: &[u8],
) {
    if busy {
        respond(
            stream,
            status,
            &[("Retry-After", retry_after)],
            b"slow down",
        );
    } else {
        respond(
            stream,
            "200 OK",
            &[("Content-Type", "application/json")],
            ok_body,
        );
    }
}

/// Writes raw bytes and closes the connection.
pub(crate) fn raw(stream: &mut TcpStream, bytes: &[u8]) {
    let _ = stream.write_all(bytes);
    let _ = stream.flush();
    let _ = stream.shutdown(std::net::Shutdown::Both);
}

/// The value of `name` in a request head, if present.
pub(crate) fn header_of(head: &str, name: &str) -> Option<String> {
    head.lines().find_map(|line| {
        let (k, v) = line.split_once(':')?;
        k.trim()
            .eq_ignore_ascii_case(name)
            .then(|| v.trim().to_owned())
    })
}
