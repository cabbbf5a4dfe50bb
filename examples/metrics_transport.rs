//! A transport plugin: wraps the ureq transport with logging and metrics,
//! and checks itself with routy-testkit's conformance suite.
//!
//! ```sh
//! cargo run --example metrics_transport
//! ```

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use routy::http::{Request, Response};
use routy::{Transport, TransportError};

/// Counts requests, errors, bytes and time; logs each exchange to stderr.
pub(crate) struct Instrumented<T> {
    inner: T,
    requests: AtomicU64,
    errors: AtomicU64,
    bytes: AtomicU64,
    micros: AtomicU64,
}

/// A snapshot of the counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Metrics {
    /// Requests sent.
    pub(crate) requests: u64,
    /// Requests that got no response.
    pub(crate) errors: u64,
    /// Response body bytes received.
    pub(crate) bytes: u64,
    /// Total time in the inner transport, in microseconds.
    pub(crate) micros: u64,
}

impl<T: Transport> Instrumented<T> {
    /// Wraps `inner`.
    pub(crate) fn new(inner: T) -> Self {
        Instrumented {
            inner,
            requests: AtomicU64::new(0),
            errors: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
            micros: AtomicU64::new(0),
        }
    }

    /// The counters now.
    pub(crate) fn metrics(&self) -> Metrics {
        Metrics {
            requests: self.requests.load(Ordering::Relaxed),
            errors: self.errors.load(Ordering::Relaxed),
            bytes: self.bytes.load(Ordering::Relaxed),
            micros: self.micros.load(Ordering::Relaxed),
        }
    }
}

impl<T: Transport> Transport for Instrumented<T> {
    fn send(&self, request: Request<Vec<u8>>) -> Result<Response<Vec<u8>>, TransportError> {
        // Log the method and URL only: headers carry the key.
        let line = format!("{} {}", request.method(), request.uri());
        let started = Instant::now();
        let result = self.inner.send(request);
        let elapsed = started.elapsed();
        self.requests.fetch_add(1, Ordering::Relaxed);
        self.micros.fetch_add(
            u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX),
            Ordering::Relaxed,
        );
        match &result {
            Ok(response) => {
                self.bytes
                    .fetch_add(response.body().len() as u64, Ordering::Relaxed);
                eprintln!("{line} -> {} in {elapsed:.1?}", response.status());
            }
            Err(err) => {
                self.errors.fetch_add(1, Ordering::Relaxed);
                eprintln!("{line} -> {err} in {elapsed:.1?}");
            }
        }
        result
    }
}

fn main() {
    let transport = Instrumented::new(routy::UreqTransport::new());
    let report = routy_testkit::conformance::check(&transport);
    println!("{report}");
    println!("{:?}", transport.metrics());
    if !report.passed() {
        std::process::exit(1);
    }
}
