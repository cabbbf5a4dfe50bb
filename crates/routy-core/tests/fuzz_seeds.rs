//! Replays the committed fuzz seeds through the same property checks the
//! fuzz targets run, so a stable `cargo test` holds those properties too.

#![allow(
    clippy::unwrap_used,
    reason = "a test helper that fails should panic loudly"
)]

#[path = "../../../fuzz/src/lib.rs"]
mod checks;

#[path = "../../../fuzz/src/replay.rs"]
mod replay;

fn replay(target: &str, check: fn(&[u8])) {
    replay::replay(env!("CARGO_MANIFEST_DIR"), target, check);
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

#[test]
fn account_seeds() {
    replay("account", checks::check_account);
}

#[test]
fn rate_limit_seeds() {
    replay("rate_limit", checks::check_rate_limit);
}
