//! The transport passes routy-testkit's conformance suite, with no advice
//! unmet, and its TLS checks (a certificate from the given root trusted,
//! one from another refused as Tls).

#![allow(
    clippy::unwrap_used,
    reason = "a test helper that fails should panic loudly"
)]

use routy_testkit::conformance::{check, check_tls};
use routy_ureq::UreqTransport;

#[test]
fn passes_the_conformance_suite_and_its_advice() {
    let report = check(&UreqTransport::new());
    assert!(report.passed(), "{report}");
    assert_eq!(report.advice_unmet().count(), 0, "{report}");
}

#[test]
fn trusts_exactly_the_given_root() {
    let report = check_tls(|ca_pem| {
        UreqTransport::builder()
            .ca_pem(ca_pem.to_vec())
            .build()
            .unwrap()
    });
    assert!(report.passed(), "{report}");
}
