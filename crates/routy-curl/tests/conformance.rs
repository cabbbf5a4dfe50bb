//! The transport passes routy-testkit's conformance suite and its TLS
//! checks (a certificate from the given root trusted, one from another
//! refused as Tls).

use routy_curl::CurlTransport;
use routy_testkit::conformance::{assert_conforms, check_tls};

#[test]
fn passes_the_conformance_suite() {
    assert_conforms(&CurlTransport::new());
}

#[test]
fn trusts_exactly_the_given_root() {
    let report = check_tls(|ca_pem| {
        CurlTransport::builder()
            .ca_pem(ca_pem.to_vec())
            .build()
            .expect("the suite's CA is a valid PEM")
    });
    assert!(report.passed(), "{report}");
}
