//! Replays the committed seeds of the `cassette` fuzz target through the
//! same property check, so a stable `cargo test` holds it too.

#![allow(
    clippy::unwrap_used,
    reason = "a test helper that fails should panic loudly"
)]

#[path = "../../../fuzz/src/cassette.rs"]
mod checks;

use std::path::Path;

#[test]
fn cassette_seeds() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/seeds/cassette");
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let data = std::fs::read(&path).unwrap();
        let outcome = std::panic::catch_unwind(|| checks::check_cassette(&data));
        assert!(outcome.is_ok(), "{} fails its check", path.display());
        count += 1;
    }
    assert!(count > 0, "no seeds in {}", dir.display());
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
