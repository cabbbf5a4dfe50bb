//! Replays the committed seeds of the `profile_config` fuzz target
//! through the same property check, so a stable `cargo test` holds it too.

#![allow(
    clippy::unwrap_used,
    reason = "a test helper that fails should panic loudly"
)]

#[path = "../../../fuzz/src/profile.rs"]
mod checks;

use std::path::Path;

#[test]
fn profile_config_seeds() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/seeds/profile_config");
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let data = std::fs::read(&path).unwrap();
        let outcome = std::panic::catch_unwind(|| checks::check_profile_config(&data));
        assert!(outcome.is_ok(), "{} fails its check", path.display());
        count += 1;
    }
    assert!(count > 0, "no seeds in {}", dir.display());
}

#[test]
fn the_key_at_every_place_of_a_careless_config() {
    let config = b"[profiles.careless]\napi_key_command = [\"sh\", \"-c\", \"echo x\"]\n[profiles.b]\napi_key_file = \"/k/\"\n[profiles.c]\napi_key_env = \"\"\n";
    for at in 0..=255u8 {
        let mut data = vec![at];
        data.extend_from_slice(config);
        checks::check_profile_config(&data);
    }
}
