//! Replays the committed seeds of the `profile_config` fuzz target
//! through the same property check, so a stable `cargo test` holds it too.

#![allow(
    clippy::unwrap_used,
    reason = "a test helper that fails should panic loudly"
)]

#[path = "../../../fuzz/src/profile.rs"]
mod checks;

#[path = "../../../fuzz/src/replay.rs"]
mod replay;

#[test]
fn profile_config_seeds() {
    replay::replay(
        env!("CARGO_MANIFEST_DIR"),
        "profile_config",
        checks::check_profile_config,
    );
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
