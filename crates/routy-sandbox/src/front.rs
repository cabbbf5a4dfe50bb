//! The sandbox's public socket. Connections are accepted here and their
//! bytes copied to and from the internal tiny_http server untouched (no
//! HTTP is parsed here). Owning the client socket is what lets a fault
//! drop a connection halfway through a response, which tiny_http alone
//! cannot do.

use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;

/// Client sockets by the address tiny_http sees them from (the local end
/// of our connection to it).
type Registry = Arc<Mutex<HashMap<SocketAddr, TcpStream>>>;

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

    /// Writes `partial` to the client behind `peer`, then closes its
    /// connection.
    pub(crate) fn drop_connection(&self, peer: SocketAddr, partial: &[u8]) {
        let stream = self
            .registry
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&peer);
        if let Some(mut stream) = stream {
            let _ = stream.write_all(partial);
            let _ = stream.flush();
            let _ = stream.shutdown(Shutdown::Both);
        }
    }

    pub(crate) fn stop(&self) {
        if self.stop.swap(true, Ordering::SeqCst) {
            return;
        }
        // Wake the accept loop.
        let _ = TcpStream::connect(self.addr);
        let accept = self
            .accept
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(accept) = accept {
            let _ = accept.join();
        }
        let open: Vec<TcpStream> = self
            .registry
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .drain()
            .map(|(_, s)| s)
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
    for client in listener.incoming() {
        if stop.load(Ordering::SeqCst) {
            return;
        }
        let Ok(client) = client else { continue };
        if let Err(_unreachable_backend) = connect(client, backend, registry) {
            continue;
        }
    }
}

fn connect(client: TcpStream, backend: SocketAddr, registry: &Registry) -> io::Result<()> {
    let server = TcpStream::connect(backend)?;
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    let key = server.local_addr()?;
    registry
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .insert(key, client.try_clone()?);
    let (client_read, server_write) = (client.try_clone()?, server.try_clone()?);
    let registry = Arc::clone(registry);
    std::thread::Builder::new()
        .name("routy-sandbox-up".into())
        .spawn(move || pipe(client_read, server_write))?;
    std::thread::Builder::new()
        .name("routy-sandbox-down".into())
        .spawn(move || {
            pipe_acking(server, client);
            registry
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .remove(&key);
        })?;
    Ok(())
}

/// Copies until either side ends, then closes both directions so the
/// other pipe ends too.
fn pipe(mut from: TcpStream, mut to: TcpStream) {
    let _ = io::copy(&mut from, &mut to);
    let _ = to.shutdown(Shutdown::Both);
    let _ = from.shutdown(Shutdown::Both);
}

/// As [`pipe`], for responses from tiny_http, acknowledging every segment
/// at once. tiny_http writes a response's head and body in two writes with
/// Nagle's algorithm on; if the receiver delays its ACK of the head (as
/// Linux does after a connection's first few segments), the body waits
/// ~40 ms for it. Quick ACKs remove that stall.
fn pipe_acking(mut from: TcpStream, mut to: TcpStream) {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        quick_ack(&from);
        match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                if to.write_all(&buf[..n]).is_err() {
                    break;
                }
            }
        }
    }
    let _ = to.shutdown(Shutdown::Both);
    let _ = from.shutdown(Shutdown::Both);
}

#[cfg(any(target_os = "linux", target_os = "android"))]
fn quick_ack(stream: &TcpStream) {
    // The kernel clears the flag as it sees fit, so it is set before each read.
    let _ = socket2::SockRef::from(stream).set_tcp_quickack(true);
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn quick_ack(_stream: &TcpStream) {}
