//! Replays the committed seeds of the `sandbox_files` fuzz target through
//! the same property check, so a stable `cargo test` holds it too.

#![allow(
    clippy::unwrap_used,
    reason = "a test helper that fails should panic loudly"
)]

#[path = "../../../fuzz/src/sandbox_files.rs"]
mod checks;

#[path = "../../../fuzz/src/replay.rs"]
mod replay;

#[test]
fn sandbox_files_seeds() {
    replay::replay(
        env!("CARGO_MANIFEST_DIR"),
        "sandbox_files",
        checks::check_sandbox_file,
    );
}
