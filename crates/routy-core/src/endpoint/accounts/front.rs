//! Where an account's `id` and `name` are, found in the plain front of
//! text serde_json has already checked.
//!
//! This is not a JSON parser and never decides what is valid: the text it
//! reads is one account object that serde_json accepted a moment before
//! (the list's one validating pass). It only recognises the common shape,
//! members whose keys have no escapes and whose values before `id` and
//! `name` are strings without escapes or bare literals, and answers `None`
//! for anything else (an escape, a nested value in the way, a duplicate, a
//! number that is not an `i64`), which sends the account to serde_json's
//! own reading. The `account` fuzz target holds it to serde_json's
//! answer for every object serde_json accepts.
//!
//! Why by hand: serde_json has no way to stop reading an object part way
//! without building an error, and reading the front again with it cost
//! 51 k of 215 k instructions per request of the perf baseline's 40
//! accounts (measured 2026-12-04, callgrind); this costs 19 k.

use std::ops::Range;

/// Where an account's members are, as byte ranges of its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Front {
    /// The `id` value as written: a string with its quotes (no escapes
    /// inside), or an integer that fits an `i64`.
    pub(super) id: Range<usize>,
    /// The `name` string's contents (no escapes inside), when `name` is a
    /// string; `None` when it is absent or another kind of value.
    pub(super) name: Option<Range<usize>>,
}

/// The [`Front`] of `text`, one JSON object serde_json has accepted, or
/// `None` when it is not of the plain shape (see the module).
pub(super) fn read_front(text: &str) -> Option<Front> {
    let bytes = text.as_bytes();
    if bytes.first() != Some(&b'{') {
        return None;
    }
    let (mut id, mut name) = (None, None);
    let mut at = skip_space(bytes, 1);
    if bytes.get(at) == Some(&b'}') {
        return None;
    }
    loop {
        let key = plain_string(bytes, at)?;
        at = skip_space(bytes, key.end + 1);
        if bytes.get(at) != Some(&b':') {
            return None;
        }
        at = skip_space(bytes, at + 1);
        let value = scalar(bytes, at)?;
        match &bytes[key] {
            b"id" if id.is_none() => id = Some(value.clone()),
            b"name" if name.is_none() => name = Some(value.clone()),
            b"id" | b"name" => return None,
            _ => {}
        }
        at = skip_space(bytes, value.end);
        if id.is_some() && name.is_some() {
            break;
        }
        match bytes.get(at) {
            Some(b',') => at = skip_space(bytes, at + 1),
            Some(b'}') => break,
            _ => return None,
        }
    }
    let id = id.filter(|id| is_plain_id(&text[id.clone()]))?;
    let name = match name {
        Some(value) if bytes[value.start] == b'"' => Some(value.start + 1..value.end - 1),
        _ => None,
    };
    Some(Front { id, name })
}

/// An id serde_json would read as [`AccountId`](super::AccountId): a
/// string, or an integer in `i64` (serde_json reads `-0` as a float).
fn is_plain_id(token: &str) -> bool {
    token.starts_with('"') || (!token.starts_with("-0") && token.parse::<i64>().is_ok())
}

/// JSON's whitespace from `at` on.
fn skip_space(bytes: &[u8], mut at: usize) -> usize {
    while matches!(bytes.get(at), Some(b' ' | b'\t' | b'\n' | b'\r')) {
        at += 1;
    }
    at
}

/// The contents of the string whose opening quote is at `at`, when it has
/// no escapes (the text is valid, so the next quote closes it).
fn plain_string(bytes: &[u8], at: usize) -> Option<Range<usize>> {
    if bytes.get(at) != Some(&b'"') {
        return None;
    }
    let rest = bytes.get(at + 1..)?;
    let len = rest.iter().position(|&b| b == b'"' || b == b'\\')?;
    (rest[len] == b'"').then_some(at + 1..at + 1 + len)
}

/// The value at `at` as written, when it is a string without escapes or a
/// bare literal (number, `true`, `false`, `null`); `None` for an object,
/// an array or an escaped string.
fn scalar(bytes: &[u8], at: usize) -> Option<Range<usize>> {
    match bytes.get(at)? {
        b'"' => plain_string(bytes, at).map(|inner| at..inner.end + 1),
        b'{' | b'[' => None,
        _ => {
            let len = bytes[at..]
                .iter()
                .position(|b| matches!(b, b',' | b'}' | b' ' | b'\t' | b'\n' | b'\r'))?;
            Some(at..at + len)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn front(text: &str) -> Option<(&str, Option<&str>)> {
        read_front(text).map(|f| (&text[f.id], f.name.map(|n| &text[n])))
    }

    #[test]
    fn the_plain_shape_is_read_wherever_id_and_name_stand() {
        assert_eq!(front(r#"{"id":1,"name":"A"}"#), Some(("1", Some("A"))));
        assert_eq!(
            front("{ \"kind\" : \"acct\" ,\n\t\"name\": \"Ünï ✓\", \"id\" : \"acc_1\" }"),
            Some(("\"acc_1\"", Some("Ünï ✓")))
        );
        assert_eq!(front(r#"{"x": null, "id": -7}"#), Some(("-7", None)));
        assert_eq!(front(r#"{"id": 7, "name": 3}"#), Some(("7", None)));
        assert_eq!(
            front(r#"{"id": 7, "name": null, "id": 8}"#),
            Some(("7", None))
        );
        // Past both, nothing more is looked at: serde_json checked it.
        assert_eq!(
            front(r#"{"id": 5, "name": "E", "id": "again", "x": {"y": [1]}}"#),
            Some(("5", Some("E")))
        );
    }

    #[test]
    fn anything_else_is_left_to_serde_json() {
        for text in [
            r#"{"name": "no id"}"#,
            r#"{}"#,
            r#"{"id": true}"#,
            r#"{"id": 1.5}"#,
            r#"{"id": 1e3}"#,
            r#"{"id": -0}"#,
            r#"{"id": 9223372036854775808}"#,
            r#"{"id": "a\"b", "name": "x"}"#,
            r#"{"id": 1, "name": "Tab\there"}"#,
            r#"{"i\u0064": 1, "name": "x"}"#,
            r#"{"x": {"id": 2}, "id": 1}"#,
            r#"{"x": [1], "id": 1}"#,
            r#"{"id": 1, "id": 2, "name": "x"}"#,
            r#"{"name": {"first": "x"}, "id": 1}"#,
            r#"[{"id": 1}]"#,
        ] {
            assert_eq!(read_front(text), None, "{text}");
        }
    }
}
