//! Replays a fuzz target's committed seeds through its property check,
//! so a stable `cargo test` holds the property too. Included by path by
//! each crate's `tests/fuzz_seeds.rs`.

use std::path::Path;

/// Runs `check` on every file in `fuzz/seeds/<target>` (`manifest_dir` is
/// the including crate's `CARGO_MANIFEST_DIR`, two folders below the
/// root); a panic names the seed.
pub(crate) fn replay(manifest_dir: &str, target: &str, check: fn(&[u8])) {
    let dir = Path::new(manifest_dir)
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
