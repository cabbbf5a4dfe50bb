//! A loopback https server with a CA made for the run: for testing TLS
//! (custom roots, refused certificates) offline.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};

/// An https server on 127.0.0.1 whose certificate (for `127.0.0.1` and
/// `localhost`) a CA made for this server signed. It answers every request
/// with `200` and the body it was given, then closes the connection; it
/// stops when dropped.
///
/// # Examples
///
/// ```
/// use routy::{http, Transport};
/// use routy_testkit::https::HttpsServer;
///
/// let server = HttpsServer::start("application/json", b"[]".to_vec())?;
/// let transport = routy::UreqTransport::builder().ca_pem(server.ca_pem()).build()?;
/// let request = http::Request::get(server.url("/api/v1/accounts")).body(Vec::new())?;
/// assert_eq!(transport.send(request)?.body(), b"[]");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct HttpsServer {
    addr: SocketAddr,
    ca_pem: String,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl HttpsServer {
    /// Starts a server answering `200` with `body` as `content_type`.
    ///
    /// # Errors
    ///
    /// When the certificates cannot be made or no port can be bound.
    pub fn start(content_type: &str, body: Vec<u8>) -> Result<HttpsServer, String> {
        let (ca_pem, config) = certificates().map_err(|e| format!("certificates: {e}"))?;
        let head = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        );
        let mut reply = head.into_bytes();
        reply.extend_from_slice(&body);
        let reply: Arc<[u8]> = reply.into();
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
                let reply = Arc::clone(&reply);
                std::thread::spawn(move || answer(tcp, config, &reply));
            }
        });
        Ok(HttpsServer {
            addr,
            ca_pem,
            stop,
            thread: Some(thread),
        })
    }

    /// The CA certificate to trust, as PEM.
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    /// `https://127.0.0.1:PORT` followed by `path`.
    pub fn url(&self, path: &str) -> String {
        format!("https://127.0.0.1:{}{path}", self.addr.port())
    }

    /// The port.
    ///
    /// # Examples
    ///
    /// ```
    /// let server = routy_testkit::https::HttpsServer::start("text/plain", b"ok".to_vec())?;
    /// assert_ne!(server.port(), 0);
    /// # Ok::<(), String>(())
    /// ```
    pub fn port(&self) -> u16 {
        self.addr.port()
    }
}

impl Drop for HttpsServer {
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
    // Distinct names: rcgen gives every certificate the same default one,
    // and OpenSSL takes a leaf whose issuer is its own subject for
    // self-signed (libcurl then refuses it whatever the roots).
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "routy-testkit CA");
    let ca = ca_params.self_signed(&ca_key)?;
    let leaf_key = KeyPair::generate()?;
    let mut leaf_params =
        CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])?;
    leaf_params
        .distinguished_name
        .push(DnType::CommonName, "routy-testkit server");
    let leaf = leaf_params.signed_by(&leaf_key, &ca, &ca_key)?;
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(leaf_key.serialize_der().into());
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(vec![leaf.der().clone(), ca.der().clone()], key)?;
    Ok((ca.pem(), Arc::new(config)))
}

/// One connection: the handshake, one request head, `reply`. A client
/// that refuses the certificate ends the handshake; that is fine.
fn answer(tcp: std::net::TcpStream, config: Arc<rustls::ServerConfig>, reply: &[u8]) {
    let _ = tcp.set_read_timeout(Some(Duration::from_secs(5)));
    let Ok(conn) = rustls::ServerConnection::new(config) else {
        return;
    };
    let mut tls = rustls::StreamOwned::new(conn, tcp);
    // The head ends at its first empty line; a connection that ends (or
    // fails the handshake) first gets no answer.
    let head_ended = BufReader::new(&mut tls)
        .lines()
        .map_while(Result::ok)
        .any(|line| line.is_empty());
    if !head_ended {
        return;
    }
    let _ = tls.write_all(reply);
    let _ = tls.flush();
    tls.conn.send_close_notify();
    let _ = tls.flush();
}
