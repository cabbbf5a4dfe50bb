//! The profile config property: whatever a user writes in their config
//! file, loading it never panics, and no message about it (an invalid
//! file, a missing profile, a key source named) shows a key written into
//! it, is more than one line, or holds a control character. The input is
//! the file's text with the key spliced in at a place the input picks.
//! Shared by the `profile_config` fuzz target and a stable `cargo test`
//! in routy-profile that replays the committed seeds (both include this
//! file by path). No key command is run and no key file read.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    unreachable_pub
)]

use routy_profile::Profiles;

/// A key a careless user wrote into their config.
pub const KEY: &str = "FuZzK3yOaBw1+4DqFfDLXOLpWthbfp502Wc0D4tICs=";

fn leaks(text: &str) -> bool {
    let (text, key) = (text.as_bytes(), KEY.as_bytes());
    key.windows(8).any(|w| text.windows(8).any(|t| t == w))
}

/// `text` is one line, and, when `whole_key_only` (the input held no
/// piece of the key besides the one spliced in), shows no 8 bytes of the
/// key. Pieces the input writes itself (the fuzzer learns them from this
/// very comparison) are too short to be told from other text, and are
/// not the key the user wrote.
fn check_shown(text: &str, what: &str, whole_key_only: bool) {
    assert!(
        !(whole_key_only && leaks(text)),
        "{what} shows the key: {text:?}"
    );
    assert!(
        !text.chars().any(char::is_control),
        "{what} is not one line of text: {text:?}"
    );
}

/// Input: byte 0 picks where the key goes (as a share of the text), the
/// rest is the config file's text.
pub fn check_profile_config(data: &[u8]) {
    let Some((&at, rest)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest);
    let clean = !leaks(&text);
    let mut cut = text.len() * usize::from(at) / 255;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    let text = format!("{}{KEY}{}", &text[..cut], &text[cut..]);
    let profiles = match Profiles::from_toml(&text, "/etc/routy/config.toml") {
        Ok(profiles) => profiles,
        Err(err) => return check_shown(&err.to_string(), "the error", clean),
    };
    let names: Vec<String> = profiles.names().map(str::to_owned).collect();
    for name in &names {
        let profile = profiles.get(name).unwrap();
        check_shown(&profile.key_source().to_string(), "a key source", clean);
    }
    // A missing profile's error lists the ones there are.
    let missing = profiles.get("fuzz-no-such-profile").unwrap_err();
    check_shown(&missing.to_string(), "the missing-profile error", clean);
    if let Err(err) = profiles.select(None) {
        check_shown(&err.to_string(), "the selection error", clean);
    }
}
