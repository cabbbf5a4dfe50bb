//! Memory stays bounded against hostile bodies. Its own file (so its own
//! process): it reads the process's peak resident size, which other tests
//! running alongside would disturb.

#![allow(
    clippy::unwrap_used,
    reason = "a test helper that fails should panic loudly"
)]

mod support;

use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use routy::clock::ManualClock;
use routy::{ApiKey, TransportErrorKind};
use support::{respond, ScriptServer};

/// Peak resident set size in KiB (Linux), or `None` elsewhere.
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[test]
fn hostile_bodies_cost_at_most_a_small_multiple_of_the_cap() {
    // 50 MiB of JSON-ish whitespace, gzipped a mebibyte at a time so this
    // test itself never holds it.
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let chunk = vec![b' '; 1 << 20];
    for _ in 0..50 {
        encoder.write_all(&chunk).unwrap();
    }
    let bomb = Arc::new(encoder.finish().unwrap());
    drop(chunk);

    let server = ScriptServer::start("127.0.0.1", move |n, stream| {
        if n % 2 == 0 {
            respond(stream, "200 OK", &[("Content-Encoding", "gzip")], &bomb);
        } else {
            // A body that never ends, announced as endless too.
            let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
            let piece = format!("{:x}\r\n{}\r\n", 64 * 1024, " ".repeat(64 * 1024));
            for _ in 0..400 {
                if stream.write_all(piece.as_bytes()).is_err() {
                    return;
                }
            }
        }
    });
    let cap: u64 = 1 << 20;
    let client = routy::Client::builder()
        .api_key(ApiKey::new("memory-test-token").unwrap())
        .base_url(&server.url("/api"))
        .max_body_bytes(cap)
        .timeout(Duration::from_secs(10))
        .clock(ManualClock::new())
        .build()
        .unwrap();

    let before = peak_rss_kib();
    for _ in 0..4 {
        let err = client.accounts().unwrap_err();
        assert_eq!(
            err.as_transport().unwrap().kind(),
            TransportErrorKind::BodyTooLarge,
            "{err:?}"
        );
    }
    if let (Some(before), Some(after)) = (before, peak_rss_kib()) {
        let grown_mib = (after.saturating_sub(before)) / 1024;
        // 25 MiB of hostile bytes per call; the cap is 1 MiB. Allow for
        // buffer doubling, the decoder's window and allocator slack.
        assert!(grown_mib < 12, "peak memory grew by {grown_mib} MiB");
    }
}
