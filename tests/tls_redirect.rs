//! An https origin on loopback (a self-signed certificate the test's agent
//! trusts) redirecting to plain http: the client refuses the downgrade and
//! the http server never hears from it; an https-to-https redirect on the
//! same origin is followed with the key.

#![allow(
    clippy::unwrap_used,
    reason = "a test helper that fails should panic loudly"
)]

mod support;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::thread::JoinHandle;

use routy::{ApiKey, Error, RedirectErrorKind, UreqTransport};
use support::{respond, ScriptServer, TOKEN};

/// A request's path and its `Authorization` header.
type Seen = (String, Option<String>);

/// A TLS server on 127.0.0.1 answering each connection with
/// `answer(path, authorization)`; returns its port, the certificate to
/// trust, and the thread (which ends after `connections`).
fn tls_server(
    connections: usize,
    answer: impl Fn(&str, Option<&str>) -> String + Send + 'static,
) -> (u16, Vec<u8>, JoinHandle<Vec<Seen>>) {
    let cert = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()]).unwrap();
    let cert_der = cert.cert.der().to_vec();
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(cert.key_pair.serialize_der().into());
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert.cert.der().clone()], key)
        .unwrap();
    let config = Arc::new(config);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let handle = std::thread::spawn(move || {
        let mut seen = Vec::new();
        for _ in 0..connections {
            let (tcp, _) = listener.accept().unwrap();
            tcp.set_read_timeout(Some(std::time::Duration::from_secs(5)))
                .unwrap();
            let conn = rustls::ServerConnection::new(Arc::clone(&config)).unwrap();
            let mut tls = rustls::StreamOwned::new(conn, tcp);
            let mut reader = BufReader::new(&mut tls);
            let mut head = Vec::new();
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                head.push(line);
            }
            let path = head
                .first()
                .and_then(|l| l.split(' ').nth(1))
                .unwrap_or("")
                .to_owned();
            let auth = head.iter().find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.eq_ignore_ascii_case("authorization")
                    .then(|| v.trim().to_owned())
            });
            let response = answer(&path, auth.as_deref());
            let _ = tls.write_all(response.as_bytes());
            let _ = tls.flush();
            tls.conn.send_close_notify();
            let _ = tls.flush();
            seen.push((path, auth));
        }
        seen
    });
    (port, cert_der, handle)
}

fn client_trusting(cert_der: Vec<u8>, base: &str) -> routy_core::Client<UreqTransport> {
    let der: &'static [u8] = Box::leak(cert_der.into_boxed_slice());
    let tls = ureq::tls::TlsConfig::builder()
        .root_certs(ureq::tls::RootCerts::new_with_certs(&[
            ureq::tls::Certificate::from_der(der),
        ]))
        .build();
    let agent = ureq::Agent::new_with_config(
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .max_redirects_will_error(false)
            .tls_config(tls)
            .build(),
    );
    routy::Client::builder()
        .api_key(ApiKey::new(TOKEN).unwrap())
        .base_url(base)
        .retry(routy::RetryPolicy::none())
        .build_with(UreqTransport::with_agent(agent))
        .unwrap()
}

#[test]
fn https_to_http_redirect_is_refused_and_nothing_reaches_the_http_server() {
    let plain = ScriptServer::start("127.0.0.2", |_, stream| {
        respond(stream, "200 OK", &[], b"[]")
    });
    let target = plain.url("/api/v1/accounts");
    let (port, cert, handle) = tls_server(1, move |_, _| {
        format!("HTTP/1.1 302 Found\r\nLocation: {target}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
    });
    let client = client_trusting(cert, &format!("https://127.0.0.1:{port}/api"));
    let err = client.accounts().unwrap_err();
    assert!(
        matches!(&err, Error::Redirect(r) if r.kind() == RedirectErrorKind::Downgrade),
        "{err:?}"
    );
    let seen = handle.join().unwrap();
    assert_eq!(
        seen[0].1.as_deref(),
        Some(&*format!("ApiKey {TOKEN}")),
        "the https origin had the key"
    );
    assert_eq!(
        plain.connections(),
        0,
        "the http server never heard from the client"
    );
}

#[test]
fn https_redirect_on_the_same_origin_keeps_the_key() {
    let (port, cert, handle) = tls_server(2, |path, _| {
        if path == "/api/v1/accounts" {
            "HTTP/1.1 301 Moved Permanently\r\nLocation: /api/v2/accounts\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_owned()
        } else {
            let body = r#"[{"id":1,"name":"Over TLS"}]"#;
            format!("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len())
        }
    });
    let client = client_trusting(cert, &format!("https://127.0.0.1:{port}/api"));
    assert_eq!(client.accounts().unwrap()[0].name(), Some("Over TLS"));
    let seen = handle.join().unwrap();
    assert_eq!(seen.len(), 2);
    assert!(seen
        .iter()
        .all(|(_, auth)| auth.as_deref() == Some(&*format!("ApiKey {TOKEN}"))));
}
