#![cfg(feature = "conformance")]
//! The conformance suite itself: it passes the example logging/metrics
//! wrapper and a transport that never reuses a connection (advice only),
//! and fails transports that break the rules, each in its own check.
//! (Each transport's own run lives beside it: `crates/routy-*/tests/conformance.rs`.)

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
fn the_tls_checks_catch_a_transport_that_ignores_the_root_or_trusts_anything() {
    let failing = |report: conformance::Report| -> Vec<&'static str> {
        report.failures().map(|f| f.name).collect()
    };
    // The bundled roots only: the run's CA is unknown to it.
    let ignores_root = failing(conformance::check_tls(|_| UreqTransport::new()));
    assert_eq!(
        ignores_root,
        ["a certificate from the given root is trusted"]
    );
    // No verification at all: it trusts the stranger too.
    let trusts_anything = failing(conformance::check_tls(|_| {
        let tls = ureq::tls::TlsConfig::builder()
            .disable_verification(true)
            .build();
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .tls_config(tls)
            .build();
        UreqTransport::with_agent(ureq::Agent::new_with_config(config))
    }));
    assert_eq!(
        trusts_anything,
        ["a certificate from another root is refused as Tls"]
    );
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
    // The suite has 13 checks: 12 required, 1 advice (connection reuse).
    assert_eq!(
        report.failures().count(),
        11,
        "only 'refused is Connect' passes:\n{report}"
    );
    assert_eq!(report.advice_unmet().count(), 1, "{report}");
    assert!(report
        .to_string()
        .contains("FAIL    a stalled server times out as Timeout: expected Timeout, got Connect"));
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

/// A transport that breaks one rule: it wraps ureq and changes what one
/// check's requests get, keyed on that check's URL so every other check
/// still passes.
struct Broken {
    inner: UreqTransport,
    breaks: Breakage,
}

/// How a [`Broken`] transport sends, given the real one.
type Breakage = fn(&UreqTransport, Request<Vec<u8>>) -> Result<Response<Vec<u8>>, TransportError>;

impl Transport for Broken {
    fn send(&self, request: Request<Vec<u8>>) -> Result<Response<Vec<u8>>, TransportError> {
        (self.breaks)(&self.inner, request)
    }
}

fn path(request: &Request<Vec<u8>>) -> String {
    request.uri().path().to_owned()
}

#[test]
fn each_check_catches_the_transport_that_breaks_its_rule_and_only_that() {
    type Breakage =
        fn(&UreqTransport, Request<Vec<u8>>) -> Result<Response<Vec<u8>>, TransportError>;
    let cases: [(&str, Breakage); 12] = [
        (
            "status, headers and body round trip for 2xx, 4xx and 5xx",
            |t, req| {
                // Keeps only the first of repeated response headers.
                let status_path = path(&req).starts_with("/status/");
                let mut response = t.send(req)?;
                if status_path {
                    let first = response.headers().get("x-repeated").cloned();
                    response.headers_mut().remove("x-repeated");
                    if let Some(first) = first {
                        response.headers_mut().insert("x-repeated", first);
                    }
                }
                Ok(response)
            },
        ),
        (
            "every method's request arrives byte for byte",
            |t, mut req| {
                // Drops the query string.
                if path(&req).starts_with("/echo/") {
                    let without = req.uri().to_string().split('?').next().unwrap().to_owned();
                    *req.uri_mut() = without.parse().unwrap();
                }
                t.send(req)
            },
        ),
        ("redirects are not followed", |t, req| {
            // Follows a redirect itself.
            let base = req.uri().clone();
            let limits = RequestLimits::of(&req);
            let response = t.send(req)?;
            match response.headers().get("location") {
                Some(location) if response.status() == 302 => {
                    let next = format!(
                        "http://{}{}",
                        base.authority().unwrap(),
                        location.to_str().unwrap()
                    );
                    let mut again = Request::new(Vec::new());
                    *again.uri_mut() = next.parse().unwrap();
                    again.extensions_mut().insert(limits);
                    t.send(again)
                }
                _ => Ok(response),
            }
        }),
        (
            "a body comes back decoded, encoded only when asked",
            |t, req| {
                // Hands back the body still gzip-encoded.
                let gzip = path(&req) == "/maybe-gzip";
                let mut response = t.send(req)?;
                if gzip {
                    use std::io::Write as _;
                    let mut encoder =
                        flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
                    encoder.write_all(response.body()).unwrap();
                    *response.body_mut() = encoder.finish().unwrap();
                }
                Ok(response)
            },
        ),
        ("a stalled server times out as Timeout", |t, mut req| {
            // Ignores the deadline it is given.
            if path(&req) == "/stall" {
                let limits = RequestLimits::of(&req);
                req.extensions_mut()
                    .insert(RequestLimits::new(limits.max_body_bytes, None));
            }
            t.send(req)
        }),
        (
            "a server dripping a byte at a time is stopped by the deadline",
            |t, mut req| {
                // Restarts its timeout at every read: here, no deadline
                // for the dripping route, as if each byte reset it.
                if path(&req) == "/drip" {
                    let limits = RequestLimits::of(&req);
                    req.extensions_mut()
                        .insert(RequestLimits::new(limits.max_body_bytes, None));
                }
                t.send(req)
            },
        ),
        ("a refused connection is Connect", |t, req| {
            // Reports a refused connection as a generic I/O failure.
            t.send(req).map_err(|e| {
                if e.is_connect() {
                    TransportError::new(TransportErrorKind::Io)
                } else {
                    e
                }
            })
        }),
        ("an exchange cut short is Io", |t, req| {
            // Calls a connection closed before the answer ended a protocol
            // error, as routy-curl and routy-reqwest once did: a GET would
            // then be retried over one transport and not over another.
            let hangup = path(&req) == "/hangup";
            match t.send(req) {
                Err(e) if hangup => {
                    Err(TransportError::with_source(TransportErrorKind::Protocol, e))
                }
                other => other,
            }
        }),
        ("an exchange cut short is Io", |t, req| {
            // Hands back whatever arrived as a success.
            let truncated = path(&req) == "/truncated";
            match t.send(req) {
                Err(_) if truncated => Ok(Response::new(b"only ten b".to_vec())),
                other => other,
            }
        }),
        (
            "chunked, HEAD and 1xx responses are framed right",
            |t, req| {
                // Loses the last byte of a chunked body.
                let chunked = path(&req) == "/chunked";
                let mut response = t.send(req)?;
                if chunked {
                    response.body_mut().pop();
                }
                Ok(response)
            },
        ),
        (
            "a connection is reused after an error response",
            |_, req| {
                // A new connection for every request.
                UreqTransport::new().send(req)
            },
        ),
        ("a large body arrives intact", |t, req| {
            // Loses the end of a large body.
            let large = path(&req) == "/large";
            let mut response = t.send(req)?;
            if large {
                let keep = response.body().len() - 1;
                response.body_mut().truncate(keep);
            }
            Ok(response)
        }),
    ];
    for (check, breaks) in cases {
        let report = conformance::check(&Broken {
            inner: UreqTransport::new(),
            breaks,
        });
        // Required or advice: each breakage is seen by its own check.
        let failed: Vec<_> = report
            .results
            .iter()
            .filter(|r| r.outcome.is_err())
            .map(|r| r.name)
            .collect();
        assert_eq!(failed, [check], "{report}");
    }
}

/// A transport written as a new user might: a fresh connection for every
/// request. Connection reuse is advice, not something routy relies on, so
/// it conforms, and the report says what it could do better.
#[test]
fn a_transport_that_never_reuses_a_connection_conforms_with_advice() {
    let config = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .max_idle_connections(0)
        .max_idle_connections_per_host(0)
        .build();
    let fresh_each_time = UreqTransport::with_agent(ureq::Agent::new_with_config(config));
    let report = conformance::check(&fresh_each_time);
    assert!(report.passed(), "{report}");
    let advice: Vec<&str> = report.advice_unmet().map(|r| r.name).collect();
    assert_eq!(
        advice,
        ["a connection is reused after an error response"],
        "{report}"
    );
    assert!(
        report
            .to_string()
            .contains("advice  a connection is reused after an error response: "),
        "{report}"
    );
    conformance::assert_conforms(&fresh_each_time);
}
