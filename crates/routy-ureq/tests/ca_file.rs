//! Custom roots from a file: trusted end to end over loopback TLS, and
//! every way a CA file can be wrong is a typed error, not a panic.

#![allow(
    clippy::unwrap_used,
    reason = "a test helper that fails should panic loudly"
)]

use std::path::PathBuf;

use routy_core::{ConfigError, Error};
use routy_testkit::conformance;
use routy_ureq::UreqTransport;

fn temp_file(name: &str, contents: &[u8]) -> PathBuf {
    let path = std::env::temp_dir().join(format!("routy-ureq-{}-{name}", std::process::id()));
    std::fs::write(&path, contents).unwrap();
    path
}

fn ca_error(result: Result<UreqTransport, Error>) -> String {
    match result {
        Err(Error::Config(err @ ConfigError::CaCertificates { .. })) => err.to_string(),
        other => panic!("expected a CA error, got {other:?}"),
    }
}

#[test]
fn a_ca_file_is_trusted_end_to_end() {
    let mut path = None;
    let report = conformance::check_tls(|ca_pem| {
        let file = temp_file("ca.pem", ca_pem);
        let transport = UreqTransport::builder().ca_file(&file).build().unwrap();
        path = Some(file);
        transport
    });
    if let Some(path) = path {
        let _ = std::fs::remove_file(path);
    }
    assert!(report.passed(), "{report}");
}

#[test]
fn a_bad_ca_file_is_a_typed_error_naming_the_file_and_the_problem() {
    let missing = std::env::temp_dir().join("routy-ureq-no-such-ca.pem");
    let why = ca_error(UreqTransport::builder().ca_file(&missing).build());
    assert!(why.contains("routy-ureq-no-such-ca.pem"), "{why}");

    let empty = temp_file("empty.pem", b"");
    let why = ca_error(UreqTransport::builder().ca_file(&empty).build());
    assert!(why.contains("no PEM certificate"), "{why}");
    let _ = std::fs::remove_file(empty);

    let key_only = temp_file(
        "key.pem",
        b"-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIA==\n-----END PRIVATE KEY-----\n",
    );
    let why = ca_error(UreqTransport::builder().ca_file(&key_only).build());
    assert!(why.contains("no PEM certificate"), "{why}");
    let _ = std::fs::remove_file(key_only);

    let garbage = b"-----BEGIN CERTIFICATE-----\n%%%not base64%%%\n-----END CERTIFICATE-----\n";
    let why = ca_error(UreqTransport::builder().ca_pem(garbage.to_vec()).build());
    assert!(why.contains("PEM bytes"), "{why}");

    // A device that never ends is refused before a byte is read; an
    // oversized file is read up to a bound, then refused.
    let why = ca_error(UreqTransport::builder().ca_file("/dev/zero").build());
    assert!(
        why.contains("/dev/zero: is a character device, not a regular file"),
        "{why}"
    );
    let big = std::env::temp_dir().join(format!("routy-big-ca-{}.pem", std::process::id()));
    std::fs::File::create(&big)
        .and_then(|f| f.set_len(routy_core::defaults::MAX_CA_FILE_BYTES + 1))
        .unwrap();
    let why = ca_error(UreqTransport::builder().ca_file(&big).build());
    assert!(why.contains("larger than"), "{why}");
    let _ = std::fs::remove_file(big);

    let directory = ca_error(
        UreqTransport::builder()
            .ca_file(std::env::temp_dir())
            .build(),
    );
    assert!(
        directory.contains("cannot use the ca certificates"),
        "{directory}"
    );
}
