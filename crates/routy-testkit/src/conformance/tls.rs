//! The TLS part of the suite, for transports that take a custom root: a
//! loopback https server whose certificate chains to a CA made for the
//! run, and one whose certificate comes from another CA.

use routy_core::{Transport, TransportErrorKind};

use crate::https::HttpsServer;

use super::{catch, get, limits, send, wrong_kind, CheckResult, Level, Report};

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
    let servers = HttpsServer::start("text/plain", b"trusted".to_vec()).and_then(|trusted| {
        Ok((
            trusted,
            HttpsServer::start("text/plain", b"trusted".to_vec())?,
        ))
    });
    let (trusted, stranger) = match servers {
        Ok(servers) => servers,
        Err(e) => {
            return Report {
                results: vec![CheckResult {
                    name: "start the suite's loopback https servers",
                    level: Level::Required,
                    outcome: Err(e),
                }],
            }
        }
    };
    let transport = make(trusted.ca_pem().as_bytes());
    let results = vec![
        CheckResult {
            name: "a certificate from the given root is trusted",
            level: Level::Required,
            outcome: catch(|| trusts(&transport, &trusted)),
        },
        CheckResult {
            name: "a certificate from another root is refused as Tls",
            level: Level::Required,
            outcome: catch(|| refuses(&transport, &stranger)),
        },
    ];
    Report { results }
}

fn trusts<T: Transport + ?Sized>(transport: &T, server: &HttpsServer) -> Result<(), String> {
    for host in ["127.0.0.1", "localhost"] {
        let url = format!("https://{host}:{}/tls", server.port());
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

fn refuses<T: Transport + ?Sized>(transport: &T, server: &HttpsServer) -> Result<(), String> {
    let url = server.url("/tls");
    match transport.send(get(&url, limits())) {
        Ok(response) => Err(format!(
            "an untrusted certificate was accepted: got {}",
            response.status()
        )),
        Err(err) if err.kind() == TransportErrorKind::Tls => Ok(()),
        Err(err) => Err(wrong_kind("Tls", &err)),
    }
}
