//! The TLS part of the suite, for transports that take a custom root: a
//! loopback https server whose certificate chains to a CA made for the
//! run, and one whose certificate comes from another CA.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
use routy_core::{Transport, TransportErrorKind};

use super::{catch, get, limits, send, wrong_kind, CheckResult, Report};

/// Runs the TLS checks against the transport `make` builds from a CA
/// certificate (PEM) it must trust, in place of its usual roots:
///
/// 1. a server whose certificate that CA signed (for `127.0.0.1` and
///    `localhost`) is trusted, by address and by name;
/// 2. a server whose certificate another CA signed, for the same names, is
///    refused as [`TransportErrorKind::Tls`], before any response.
///
/// # Examples
///
/// ```
/// use routy_testkit::conformance::check_tls;
///
/// let report = check_tls(|ca_pem| {
///     routy_ureq::UreqTransport::builder().ca_pem(ca_pem.to_vec()).build().expect("a valid PEM")
/// });
/// assert!(report.passed(), "{report}");
/// ```
pub fn check_tls<T, F>(make: F) -> Report
where
    T: Transport,
    F: FnOnce(&[u8]) -> T,
{
    let servers = TlsServer::start().and_then(|trusted| Ok((trusted, TlsServer::start()?)));
    let (trusted, stranger) = match servers {
        Ok(servers) => servers,
        Err(e) => {
            return Report {
                results: vec![CheckResult {
                    name: "start the suite's loopback https servers",
                    outcome: Err(e),
                }],
            }
        }
    };
    let transport = make(trusted.ca_pem.as_bytes());
    let results = vec![
        CheckResult {
            name: "a certificate from the given root is trusted",
            outcome: catch(|| trusts(&transport, &trusted)),
        },
        CheckResult {
            name: "a certificate from another root is refused as Tls",
            outcome: catch(|| refuses(&transport, &stranger)),
        },
    ];
    Report { results }
}

fn trusts<T: Transport + ?Sized>(transport: &T, server: &TlsServer) -> Result<(), String> {
    for host in ["127.0.0.1", "localhost"] {
        let url = format!("https://{host}:{}/tls", server.addr.port());
        let response = send(transport, get(&url, limits())).map_err(|e| format!("{url}: {e}"))?;
        if response.status() != 200 || response.body() != b"trusted" {
            return Err(format!(
                "{url}: expected 200 \"trusted\", got {} {:?}",
                response.status(),
                String::from_utf8_lossy(response.body())
            ));
        }
    }
    Ok(())
}

fn refuses<T: Transport + ?Sized>(transport: &T, server: &TlsServer) -> Result<(), String> {
    let url = format!("https://127.0.0.1:{}/tls", server.addr.port());
    match transport.send(get(&url, limits())) {
        Ok(response) => Err(format!(
            "an untrusted certificate was accepted: got {}",
            response.status()
        )),
        Err(err) if err.kind() == TransportErrorKind::Tls => Ok(()),
        Err(err) => Err(wrong_kind("Tls", &err)),
    }
}

/// An https server on 127.0.0.1 with a CA of its own, answering every
/// request `200 trusted` and closing. Stops when dropped.
struct TlsServer {
    addr: SocketAddr,
    ca_pem: String,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl TlsServer {
    fn start() -> Result<TlsServer, String> {
        let (ca_pem, config) = certificates().map_err(|e| format!("certificates: {e}"))?;
        let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stopping.load(Ordering::Acquire) {
                    return;
                }
                let Ok(tcp) = stream else { continue };
                let config = Arc::clone(&config);
                std::thread::spawn(move || answer(tcp, config));
            }
        });
        Ok(TlsServer {
            addr,
            ca_pem,
            stop,
            thread: Some(thread),
        })
    }
}

impl Drop for TlsServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        // Wake the accept loop so it sees the flag.
        let _ = std::net::TcpStream::connect(self.addr);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A CA made for this run (its PEM), and a server config with a leaf it
/// signed for `127.0.0.1` and `localhost`.
fn certificates() -> Result<(String, Arc<rustls::ServerConfig>), Box<dyn std::error::Error>> {
    let ca_key = KeyPair::generate()?;
    let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key)?;
    let leaf_key = KeyPair::generate()?;
    let leaf = CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])?
        .signed_by(&leaf_key, &ca, &ca_key)?;
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(leaf_key.serialize_der().into());
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(vec![leaf.der().clone(), ca.der().clone()], key)?;
    Ok((ca.pem(), Arc::new(config)))
}

/// One connection: the handshake, one request head, `200 trusted`. A
/// client that refuses the certificate ends the handshake; that is fine.
fn answer(tcp: std::net::TcpStream, config: Arc<rustls::ServerConfig>) {
    let _ = tcp.set_read_timeout(Some(Duration::from_secs(5)));
    let Ok(conn) = rustls::ServerConnection::new(config) else {
        return;
    };
    let mut tls = rustls::StreamOwned::new(conn, tcp);
    let mut reader = BufReader::new(&mut tls);
    let mut line = String::new();
    loop {
        line.clear();
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => return,
            Ok(_) if line == "\r\n" => break,
            Ok(_) => {}
        }
    }
    let _ =
        tls.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 7\r\nConnection: close\r\n\r\ntrusted");
    let _ = tls.flush();
    tls.conn.send_close_notify();
    let _ = tls.flush();
}
