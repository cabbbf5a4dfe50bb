//! `--verbose`: a transport wrapper that logs each exchange to stderr with
//! the key redacted, whatever header or body it turns up in.

use std::borrow::Cow;
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

/// What is printed instead of server text that spells the key.
const WITHHELD: &str = "[withheld: it may spell the api key]";

impl Verbose {
    pub(crate) fn new(inner: routy::UreqTransport, enabled: bool, key: &ApiKey) -> Self {
        Verbose {
            inner,
            enabled,
            key: key.clone(),
        }
    }

    /// The key (or 8 bytes or more of it) replaced in `text`, should a
    /// server have echoed it; the whole text withheld when what is left
    /// still spells the key once decoded (escapes, percent-encoding,
    /// base64).
    pub(crate) fn scrub<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let redacted = self.key.redact(text);
        if self.key.found_in(redacted.as_bytes()) {
            return Cow::Borrowed(WITHHELD);
        }
        redacted
    }

    /// [`scrub`](Self::scrub) for bytes.
    pub(crate) fn scrub_bytes<'a>(&self, bytes: &'a [u8]) -> Cow<'a, [u8]> {
        let redacted = self.key.redact_bytes(bytes);
        if self.key.found_in(&redacted) {
            return Cow::Borrowed(WITHHELD.as_bytes());
        }
        redacted
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
                        crate::one_line(&String::from_utf8_lossy(value.as_bytes()))
                    };
                    self.log(&format!("< {name}: {shown}"));
                }
            }
            Err(err) => self.log(&format!("< failed after {:.1?}: {err}", started.elapsed())),
        }
        result
    }
}
