//! The conformance suite passes the ureq transport and the example
//! logging/metrics wrapper, and fails transports that break the rules.

#![allow(
    clippy::unwrap_used,
    reason = "a test helper that fails should panic loudly"
)]

use std::time::Instant;

use routy_core::http::{Request, Response};
use routy_core::{RequestLimits, Transport, TransportError, TransportErrorKind};
use routy_testkit::conformance;
use routy_ureq::UreqTransport;

#[allow(dead_code, reason = "the example's main is not called here")]
#[path = "../../../examples/metrics_transport.rs"]
mod example;

#[test]
fn ureq_transport_conforms() {
    conformance::assert_conforms(&UreqTransport::new());
}

#[test]
fn the_example_logging_and_metrics_transport_conforms() {
    let transport = example::Instrumented::new(UreqTransport::new());
    conformance::assert_conforms(&transport);
    let metrics = transport.metrics();
    assert!(metrics.requests >= 10, "{metrics:?}");
    assert!(
        metrics.errors >= 3,
        "the failure checks were counted: {metrics:?}"
    );
}

/// A transport that ignores the body cap it is given.
struct IgnoresLimits(UreqTransport);

impl Transport for IgnoresLimits {
    fn send(&self, mut request: Request<Vec<u8>>) -> Result<Response<Vec<u8>>, TransportError> {
        let limits = RequestLimits::of(&request);
        request
            .extensions_mut()
            .insert(RequestLimits::new(u64::MAX, limits.timeout));
        self.0.send(request)
    }
}

#[test]
fn the_suite_catches_a_transport_that_breaks_the_rules() {
    let report = conformance::check(&IgnoresLimits(UreqTransport::new()));
    let failed: Vec<_> = report.failures().map(|r| r.name).collect();
    assert_eq!(
        failed,
        ["the body cap counts decompressed bytes"],
        "{report}"
    );

    let always_refused = routy_core::transport_fn(|_req| Err(TransportErrorKind::Connect.into()));
    let report = conformance::check(&always_refused);
    assert!(!report.passed());
    assert_eq!(
        report.failures().count(),
        6,
        "only 'refused is Connect' passes:\n{report}"
    );
    assert!(report
        .to_string()
        .contains("FAIL  a stalled server times out as Timeout: expected Timeout, got Connect"));
}

/// A transport that works out its deadline as `Instant::now() + timeout`,
/// which overflows, and panics, for a deadline of `Duration::MAX`.
struct AddsTheDeadline(UreqTransport);

impl Transport for AddsTheDeadline {
    fn send(&self, request: Request<Vec<u8>>) -> Result<Response<Vec<u8>>, TransportError> {
        if let Some(timeout) = RequestLimits::of(&request).timeout {
            let _deadline = Instant::now() + timeout;
        }
        self.0.send(request)
    }
}

#[test]
fn a_panicking_transport_fails_its_check_and_the_rest_still_run() {
    let report = conformance::check(&AddsTheDeadline(UreqTransport::new()));
    let failures: Vec<_> = report.failures().collect();
    assert_eq!(failures.len(), 1, "{report}");
    assert_eq!(
        failures[0].name,
        "no deadline and a Duration::MAX deadline both work"
    );
    let why = failures[0].outcome.as_ref().unwrap_err();
    assert!(
        why.starts_with("the transport panicked: ") && why.contains("overflow"),
        "{why}"
    );
}
