//! `--verbose`: a transport wrapper that logs each exchange to stderr with
//! the key redacted, whatever header or body it turns up in.

use std::io::Write;
use std::time::Instant;

use routy::http::{Request, Response};
use routy::{ApiKey, Transport, TransportError};

/// Headers whose values are never shown.
const SECRET_HEADERS: [&str; 4] = [
    "authorization",
    "proxy-authorization",
    "cookie",
    "set-cookie",
];

pub(crate) struct Verbose {
    inner: routy::UreqTransport,
    enabled: bool,
    /// Kept as the key itself (zeroed on drop), not as a copied string.
    key: ApiKey,
}

impl Verbose {
    pub(crate) fn new(inner: routy::UreqTransport, enabled: bool, key: &ApiKey) -> Self {
        Verbose {
            inner,
            enabled,
            key: key.clone(),
        }
    }

    /// `text` with the key replaced, should a server have echoed it.
    pub(crate) fn scrub(&self, text: &str) -> String {
        text.replace(self.key.expose_secret(), "[redacted]")
    }

    /// `bytes` with the key replaced (as text when it is UTF-8).
    pub(crate) fn scrub_bytes(&self, bytes: &[u8]) -> Vec<u8> {
        match std::str::from_utf8(bytes) {
            Ok(text) => self.scrub(text).into_bytes(),
            Err(_) => {
                let secret = self.key.expose_secret().as_bytes();
                let mut out = Vec::with_capacity(bytes.len());
                let mut rest = bytes;
                while let Some(at) = rest.windows(secret.len()).position(|w| w == secret) {
                    out.extend_from_slice(&rest[..at]);
                    out.extend_from_slice(b"[redacted]");
                    rest = &rest[at + secret.len()..];
                }
                out.extend_from_slice(rest);
                out
            }
        }
    }

    fn log(&self, line: &str) {
        let _ = writeln!(std::io::stderr().lock(), "{}", self.scrub(line));
    }
}

impl Transport for Verbose {
    fn send(&self, request: Request<Vec<u8>>) -> Result<Response<Vec<u8>>, TransportError> {
        if !self.enabled {
            return self.inner.send(request);
        }
        self.log(&format!("> {} {}", request.method(), request.uri()));
        for (name, value) in request.headers() {
            let shown = if name == "authorization" {
                format!("ApiKey {} (redacted)", self.key.fingerprint())
            } else if SECRET_HEADERS.contains(&name.as_str()) {
                "[redacted]".to_owned()
            } else {
                String::from_utf8_lossy(value.as_bytes()).into_owned()
            };
            self.log(&format!("> {name}: {shown}"));
        }
        if !request.body().is_empty() {
            self.log(&format!("> ({} byte body)", request.body().len()));
        }
        let started = Instant::now();
        let result = self.inner.send(request);
        match &result {
            Ok(response) => {
                self.log(&format!(
                    "< {} ({} bytes, {:.1?})",
                    response.status(),
                    response.body().len(),
                    started.elapsed()
                ));
                for (name, value) in response.headers() {
                    let shown = if SECRET_HEADERS.contains(&name.as_str()) {
                        "[redacted]".into()
                    } else {
                        String::from_utf8_lossy(value.as_bytes())
                    };
                    self.log(&format!("< {name}: {shown}"));
                }
            }
            Err(err) => self.log(&format!("< failed after {:.1?}: {err}", started.elapsed())),
        }
        result
    }
}
