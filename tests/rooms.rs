//! The house keeps its shape: each check reads the tree (or asks cargo)
//! and fails when a room grows a circle, an arrow back up, a second
//! marker, or a dependency it promised not to have.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every `.rs` file under `dir`, sorted.
fn sources(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// The code of a file: comment lines dropped, and everything from its
/// `#[cfg(test)]` module on (tests may reach anywhere).
fn code(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("#[cfg(test)]") {
            break;
        }
        if !trimmed.starts_with("//") {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// The `crate::name` paths a file's code uses: `(name, what follows)`.
fn crate_paths(code: &str) -> Vec<(String, char)> {
    let mut out = Vec::new();
    for (at, _) in code.match_indices("crate::") {
        if at > 0 && code[..at].ends_with(|c: char| c.is_alphanumeric() || c == '_' || c == '(') {
            continue; // `pub(crate)`, `routy_core::`, `in crate::x`
        }
        let rest = &code[at + "crate::".len()..];
        let name: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        let next = rest[name.len()..].chars().next().unwrap_or(' ');
        out.push((name, next));
    }
    out
}

#[test]
fn routy_core_has_at_most_14_rooms_each_importing_only_rooms_beneath_it() {
    let src = root().join("crates/routy-core/src");
    let lib = read(&src.join("lib.rs"));
    let rooms: Vec<&str> = lib
        .lines()
        .filter_map(|l| {
            let l = l.trim();
            l.strip_prefix("pub mod ")
                .or_else(|| l.strip_prefix("mod "))
                .and_then(|r| r.strip_suffix(';'))
        })
        .collect();
    assert!(
        rooms.len() <= 14,
        "routy-core has {} top-level modules: {rooms:?}",
        rooms.len()
    );
    // The order the crate root declares, bottom first.
    let order_text = lib
        .split("bottom\n// first:")
        .nth(1)
        .expect("lib.rs names its rooms bottom first")
        .split('.')
        .next()
        .unwrap()
        .replace("//", "");
    let order: Vec<String> = order_text.split(',').map(|r| r.trim().to_owned()).collect();
    let mut declared = rooms.iter().map(|r| (*r).to_owned()).collect::<Vec<_>>();
    declared.sort();
    let mut listed = order.clone();
    listed.sort();
    assert_eq!(declared, listed, "lib.rs's order names every room once");
    let floor = |room: &str| order.iter().position(|r| r == room);
    let mut up = Vec::new();
    for file in sources(&src) {
        let rel = file.strip_prefix(&src).unwrap();
        let first = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy();
        let room = first.trim_end_matches(".rs").to_owned();
        let Some(own) = floor(&room) else { continue };
        for (name, _) in crate_paths(&code(&read(&file))) {
            if let Some(theirs) = floor(&name) {
                if theirs > own {
                    up.push(format!("{} uses crate::{name}", rel.display()));
                }
            }
        }
    }
    assert!(
        up.is_empty(),
        "arrows that run up or round:\n{}",
        up.join("\n")
    );
}

#[test]
fn one_redacted_marker_in_the_workspace() {
    let mut found = Vec::new();
    for dir in ["src", "crates"] {
        for file in sources(&root().join(dir)) {
            if file.components().any(|c| c.as_os_str() == "target") {
                continue;
            }
            for line in code(&read(&file)).lines() {
                if line.contains("const REDACTED") {
                    found.push(file.display().to_string());
                }
            }
        }
    }
    assert_eq!(found.len(), 1, "REDACTED defined in: {found:?}");
    assert!(
        found[0].ends_with("routy-core/src/shown/redact.rs"),
        "{found:?}"
    );
    assert_eq!(routy_testkit::REDACTED, routy_core::shown::REDACTED);
}

/// In a crate whose root holds no items of its own, every `crate::x` in
/// another file names a module, never an item of the root.
fn no_arrow_back_up_into_the_root(src: &Path, root_file: &str) -> Vec<String> {
    let mut up = Vec::new();
    for file in sources(src) {
        let rel = file.strip_prefix(src).unwrap().display().to_string();
        if rel == root_file {
            continue;
        }
        for (name, next) in crate_paths(&code(&read(&file))) {
            let module = src.join(format!("{name}.rs")).exists() || src.join(&name).is_dir();
            if !module || next != ':' {
                up.push(format!("{rel} uses crate::{name}"));
            }
        }
    }
    up
}

#[test]
fn the_sandbox_rooms_do_not_reach_back_into_its_root() {
    let up = no_arrow_back_up_into_the_root(&root().join("crates/routy-sandbox/src"), "lib.rs");
    assert!(up.is_empty(), "{}", up.join("\n"));
}

#[test]
fn the_cli_main_is_small_and_imported_by_no_one() {
    let src = root().join("crates/routy-cli/src");
    let main = read(&src.join("main.rs"));
    assert!(
        main.lines().count() < 250,
        "main.rs has {} lines",
        main.lines().count()
    );
    assert!(!main.contains("pub(crate)"), "main.rs exports items");
    assert!(
        src.join("commands").is_dir(),
        "the commands live in commands/"
    );
    let up = no_arrow_back_up_into_the_root(&src, "main.rs");
    assert!(up.is_empty(), "{}", up.join("\n"));
}

#[test]
fn testkit_cassettes_are_a_room_of_their_own() {
    let dir = root().join("crates/routy-testkit/src/cassette");
    for part in ["format.rs", "record.rs", "replay.rs", "tape.rs"] {
        assert!(dir.join(part).exists(), "cassette/{part}");
    }
}

#[test]
fn a_cassette_only_user_compiles_neither_rustls_nor_the_sandbox_nor_the_simulator() {
    let out = std::process::Command::new(env!("CARGO"))
        .args([
            "tree",
            "--offline",
            "-p",
            "routy-testkit",
            "--no-default-features",
        ])
        .args(["-e", "normal", "--prefix", "none", "--format", "{p}"])
        .current_dir(root())
        .output()
        .expect("cargo tree runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let tree = String::from_utf8_lossy(&out.stdout);
    for heavy in ["rustls ", "routy-sandbox ", "rand ", "rcgen ", "tiny_http "] {
        assert!(
            !tree.lines().any(|l| l.starts_with(heavy)),
            "{heavy}is in a cassette-only build:\n{tree}"
        );
    }
}

#[test]
fn doc_examples_for_users_of_routy_name_routy_paths() {
    let mut found = Vec::new();
    for dir in [
        "src",
        "crates/routy-testkit/src/sim",
        "crates/routy-testkit/src/cassette",
    ] {
        for file in sources(&root().join(dir)) {
            let mut in_code = false;
            for (n, line) in read(&file).lines().enumerate() {
                let doc = line.trim_start();
                let Some(doc) = doc.strip_prefix("///").or_else(|| doc.strip_prefix("//!")) else {
                    continue;
                };
                if doc.trim_start().starts_with("```") {
                    in_code = !in_code;
                } else if in_code && doc.contains("routy_core::") {
                    found.push(format!("{}:{}: {doc}", file.display(), n + 1));
                }
            }
        }
    }
    assert!(found.is_empty(), "{}", found.join("\n"));
}

#[test]
fn the_readme_lists_every_example() {
    let readme = read(&root().join("README.md"));
    for file in fs::read_dir(root().join("examples")).unwrap() {
        let name = file.unwrap().file_name().to_string_lossy().into_owned();
        let Some(example) = name.strip_suffix(".rs") else {
            continue;
        };
        let listed = readme.contains(&format!("| `{example}` |"))
            || example
                .split('_')
                .next()
                .is_some_and(|kind| readme.contains(&format!("`{kind}_*`")))
            || readme.contains(&format!("`{example}`"));
        assert!(listed, "README does not list examples/{name}");
    }
}

/// `routy::ClientBuilder` is one type with or without the `ureq` feature
/// (CI also builds this file's twin in the library with no default
/// features).
#[test]
fn client_builder_is_one_type() {
    fn same(b: routy::ClientBuilder) -> routy_core::ClientBuilder<routy::DefaultTransport> {
        b
    }
    let _ = same(routy::ClientBuilder::new());
}
