//! `platform_roots` trusts what the operating system trusts. On Linux the
//! platform verifier reads the system's CA bundle, and like OpenSSL it
//! takes `SSL_CERT_FILE` as the bundle's path: this test points it at a
//! CA made for the run, so "the OS store" is one the test controls. Its
//! own file (so its own process), as it sets the environment.

#![cfg(all(feature = "platform-verifier", target_os = "linux"))]
#![allow(
    clippy::unwrap_used,
    reason = "test code: a failed setup should panic loudly"
)]

use std::time::Duration;

use routy_core::http::Request;
use routy_core::{RequestLimits, Transport, TransportErrorKind};
use routy_testkit::https::HttpsServer;
use routy_ureq::UreqTransport;

fn get(transport: &UreqTransport, url: &str) -> Result<Vec<u8>, TransportErrorKind> {
    let mut request = Request::get(url).body(Vec::new()).unwrap();
    request
        .extensions_mut()
        .insert(RequestLimits::new(1 << 20, Some(Duration::from_secs(10))));
    transport
        .send(request)
        .map(|r| r.into_body())
        .map_err(|e| e.kind())
}

#[test]
fn the_platform_store_decides_and_the_bundled_roots_do_not_apply() {
    let server = HttpsServer::start("text/plain", b"trusted by the os".to_vec()).unwrap();
    let dir = std::env::temp_dir().join(format!("routy-platform-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bundle = dir.join("ca.pem");
    std::fs::write(&bundle, server.ca_pem()).unwrap();
    std::env::set_var("SSL_CERT_FILE", &bundle);
    std::env::remove_var("SSL_CERT_DIR");

    let platform = UreqTransport::builder().platform_roots().build().unwrap();
    assert_eq!(
        get(&platform, &server.url("/")).unwrap(),
        b"trusted by the os"
    );
    // The bundled Mozilla roots know nothing of the run's CA.
    let bundled = UreqTransport::new();
    assert_eq!(
        get(&bundled, &server.url("/")).unwrap_err(),
        TransportErrorKind::Tls
    );
    let _ = std::fs::remove_dir_all(&dir);
}
