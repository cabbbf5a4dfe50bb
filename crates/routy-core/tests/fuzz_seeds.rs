//! Replays the committed fuzz seeds through the same property checks the
//! fuzz targets run, so a stable `cargo test` holds those properties too.

#![allow(
    clippy::unwrap_used,
    reason = "a test helper that fails should panic loudly"
)]

#[path = "../../../fuzz/src/lib.rs"]
mod checks;

use std::path::Path;

fn replay(target: &str, check: fn(&[u8])) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/seeds")
        .join(target);
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let data = std::fs::read(&path).unwrap();
        let outcome = std::panic::catch_unwind(|| check(&data));
        assert!(outcome.is_ok(), "{} fails its check", path.display());
        count += 1;
    }
    assert!(count > 0, "no seeds in {}", dir.display());
}

#[test]
fn response_seeds() {
    replay("response", checks::check_response);
}

#[test]
fn retry_after_seeds() {
    replay("retry_after", checks::check_retry_after);
}

#[test]
fn api_key_seeds() {
    replay("api_key", checks::check_api_key);
}

#[test]
fn problem_seeds() {
    replay("problem", checks::check_problem);
}

#[test]
fn base_url_seeds() {
    replay("base_url", checks::check_base_url);
}
