//! `--verbose`: a transport wrapper that logs each exchange to stderr, and
//! routy's own log lines for each retry wait as it starts (its length and
//! reason), all through the key's redaction rule.

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

impl Verbose {
    pub(crate) fn new(inner: routy::UreqTransport, enabled: bool, key: &ApiKey) -> Self {
        if enabled {
            WaitLog::install(key);
        }
        Verbose {
            inner,
            enabled,
            key: key.clone(),
        }
    }

    /// `text` through routy's rule for server text
    /// ([`ApiKey::scrub`]): echoes of the key redacted, the whole text
    /// withheld when it still spells the key once decoded.
    pub(crate) fn scrub<'a>(&self, text: &'a str) -> Cow<'a, str> {
        self.key.scrub(text)
    }

    /// [`scrub`](Self::scrub) for bytes.
    pub(crate) fn scrub_bytes<'a>(&self, bytes: &'a [u8]) -> Cow<'a, [u8]> {
        self.key.scrub_bytes(bytes)
    }

    fn log(&self, line: &str) {
        let _ = writeln!(std::io::stderr().lock(), "{}", self.scrub(line));
    }

    fn log_request(&self, request: &Request<Vec<u8>>) {
        self.log(&format!("> {} {}", request.method(), request.uri()));
        for (name, value) in request.headers() {
            let shown = if name == "authorization" {
                format!("ApiKey {} (redacted)", self.key.fingerprint())
            } else if SECRET_HEADERS.contains(&name.as_str()) {
                "[redacted]".to_owned()
            } else {
                crate::output::one_line(&String::from_utf8_lossy(value.as_bytes()))
            };
            self.log(&format!("> {name}: {shown}"));
        }
        if !request.body().is_empty() {
            self.log(&format!("> ({} byte body)", request.body().len()));
        }
    }

    fn log_response(&self, response: &Response<Vec<u8>>, started: Instant) {
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
                crate::output::one_line(&String::from_utf8_lossy(value.as_bytes()))
            };
            self.log(&format!("< {name}: {shown}"));
        }
    }
}

impl Transport for Verbose {
    fn send(&self, request: Request<Vec<u8>>) -> Result<Response<Vec<u8>>, TransportError> {
        if !self.enabled {
            return self.inner.send(request);
        }
        self.log_request(&request);
        let started = Instant::now();
        let result = self.inner.send(request);
        match &result {
            Ok(response) => self.log_response(response, started),
            Err(err) => self.log(&format!("< failed after {:.1?}: {err}", started.elapsed())),
        }
        result
    }
}

/// Prints routy's `info` lines (target `routy`): the retry waits, as
/// each starts. routy's lines hold only allow-listed facts; they go
/// through the key's rule all the same. Requests and responses are the
/// transport wrapper's to show, so routy's `debug` lines are not printed.
struct WaitLog {
    key: ApiKey,
}

impl WaitLog {
    fn install(key: &ApiKey) {
        let logger = Box::new(WaitLog { key: key.clone() });
        if log::set_boxed_logger(logger).is_ok() {
            log::set_max_level(log::LevelFilter::Info);
        }
    }
}

impl log::Log for WaitLog {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        metadata.target() == "routy" && metadata.level() <= log::Level::Info
    }

    fn log(&self, record: &log::Record<'_>) {
        if self.enabled(record.metadata()) {
            let line = record.args().to_string();
            let line = crate::output::one_line(&self.key.scrub(&line));
            let _ = writeln!(std::io::stderr().lock(), "* {line}");
        }
    }

    fn flush(&self) {}
}
