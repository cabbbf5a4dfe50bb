//! Replays the committed seeds of the `cassette` fuzz target through the
//! same property check, so a stable `cargo test` holds it too.

#![allow(
    clippy::unwrap_used,
    reason = "a test helper that fails should panic loudly"
)]

#[path = "../../../fuzz/src/cassette.rs"]
mod checks;

#[path = "../../../fuzz/src/replay.rs"]
mod replay;

#[test]
fn cassette_seeds() {
    replay::replay(
        env!("CARGO_MANIFEST_DIR"),
        "cassette",
        checks::check_cassette,
    );
}

#[test]
fn every_encoding_at_every_place() {
    for encoding in 0..checks::ENCODINGS {
        for place in 0..3 {
            for piece in [0u8, 17, 200] {
                checks::check_cassette(&[
                    encoding,
                    piece,
                    piece / 3,
                    place,
                    b'x',
                    b'=',
                    b'\\',
                    b'%',
                ]);
            }
        }
    }
}
