//! The transport passes routy-testkit's conformance suite and its TLS
//! checks (a certificate from the given root trusted, one from another
//! refused as Tls).

use routy_reqwest::ReqwestTransport;
use routy_testkit::conformance::{assert_conforms, check_tls};

#[test]
fn passes_the_conformance_suite() {
    assert_conforms(&ReqwestTransport::new().expect("reqwest builds its client"));
}

#[test]
fn trusts_exactly_the_given_root() {
    let report = check_tls(|ca_pem| {
        ReqwestTransport::builder()
            .ca_pem(ca_pem.to_vec())
            .build()
            .expect("the suite's CA is a valid PEM")
    });
    assert!(report.passed(), "{report}");
}
