//! The path (`data[3].name`) to the place in a JSON text where decoding
//! failed, worked out from the text and serde_json's error position after
//! the fact.
//!
//! serde_json reads each container member by member, every member as its
//! raw text (`&RawValue`, a slice of the input, so its place is known);
//! the member whose stretch holds the position is read in turn. Tracking
//! the path while decoding (serde_path_to_error) would compile a second
//! copy of the type's decoder, for a path only a failure needs (9 KB for
//! an account's two members).
//!
//! Used for routy's own derived types only: serde_json places an error at
//! the failure when it is raised inside one of its own calls (every
//! derived struct and visitor), but an error raised after a value was
//! read whole (an untagged enum, a type built from a `RawValue` or a
//! `Value`) is placed wherever reading had got to, which may be the next
//! member. A caller's types keep serde_path_to_error.

use std::fmt::{self, Write as _};

use serde::de::{Deserializer as _, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

use crate::shown::text::byte_offset;

/// At most this many times the text's length is read again to find a path
/// (each level reads the member it goes into once more): a deeply nested
/// body cannot make an error cost more than a few parses.
const BUDGET: usize = 8;

/// The path to byte `at` of `text` (the last byte serde_json read when it
/// failed), as serde_path_to_error writes it: `.` for the top, `[i]` for
/// an element, the key for a member (joined by `.`), and `?` where a key
/// could not be read.
///
/// Within a container, the stretch of a member runs from the end of the
/// one before to its own last byte, so an error at a value's first byte
/// (serde_json reports `invalid type: map` before reading the map) or
/// while reading its key names that member, and one at the closing
/// bracket (`missing field`) names the container itself. In text that is
/// not well-formed, the path goes into the member that holds the break.
/// Past [`BUDGET`] the path ends in `?`.
pub(crate) fn json_path(text: &[u8], at: usize) -> String {
    let mut path = Vec::new();
    let mut start = 0;
    let mut budget = text.len().saturating_mul(BUDGET);
    while let Some(value) = text.get(start..).filter(|_| at >= start) {
        let mut found = Found::default();
        let mut de = serde_json::Deserializer::from_slice(value);
        let read = de.deserialize_any(Locate {
            text: value,
            at: at - start,
            found: &mut found,
        });
        // Text broken where serde_json failed: the member being read when
        // it broke (none, if it broke between members). Otherwise the
        // member whose stretch holds the place, or, if the text breaks
        // after it, the member being read then.
        let member = match read {
            Err(err) if byte_offset(value, err.line(), err.column()) == at - start => found.broken,
            Err(_) => found.holding.or(found.broken),
            Ok(()) => found.holding,
        };
        let Some((segment, member)) = member else {
            break;
        };
        path.push(segment);
        match member {
            Some(offset) if offset > 0 && budget >= value.len() => {
                budget -= value.len();
                start += offset;
            }
            Some(_) => {
                // There is more, but finding it costs too much: say so.
                path.push(Segment::Unknown);
                break;
            }
            None => break,
        }
    }
    render(&path)
}

/// A member of a container, and the offset its value starts at when that
/// is known.
type Member = Option<(Segment, Option<usize>)>;

/// What reading one container found.
#[derive(Default)]
struct Found {
    /// The member whose stretch holds the place.
    holding: Member,
    /// The member being read when the text broke.
    broken: Member,
}

/// One step of a path.
enum Segment {
    Index(usize),
    Key(String),
    Unknown,
}

fn render(path: &[Segment]) -> String {
    if path.is_empty() {
        return ".".to_owned();
    }
    let mut out = String::new();
    for segment in path {
        let dot = if out.is_empty() { "" } else { "." };
        // Writing to a String cannot fail.
        let _ = match segment {
            Segment::Index(i) => write!(out, "[{i}]"),
            Segment::Key(key) => write!(out, "{dot}{key}"),
            Segment::Unknown => write!(out, "{dot}?"),
        };
    }
    out
}

/// Reads one container to its end (or to where its text breaks), noting
/// the member whose stretch holds `at`.
struct Locate<'t, 'f> {
    /// The text being read, this container first.
    text: &'t [u8],
    at: usize,
    found: &'f mut Found,
}

/// Where `raw` (a slice of `text`) starts and ends in it.
fn span_in(text: &[u8], raw: &RawValue) -> Option<(usize, usize)> {
    let start = (raw.get().as_ptr() as usize).checked_sub(text.as_ptr() as usize)?;
    let end = start + raw.get().len();
    (end <= text.len()).then_some((start, end))
}

/// The first byte at or after `from` that is not JSON whitespace or one of
/// `also`: where the next value starts after a separator.
fn skip(text: &[u8], from: usize, also: &[u8]) -> usize {
    let rest = text.get(from..).unwrap_or_default();
    let n = rest
        .iter()
        .take_while(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r') || also.contains(b))
        .count();
    from + n
}

/// The first byte after the JSON string that starts at `from` (one
/// serde_json has just read as a key, so it is well-formed).
fn after_string(text: &[u8], from: usize) -> usize {
    let mut i = from + 1;
    while let Some(&b) = text.get(i) {
        match b {
            b'\\' => i += 2,
            b'"' => return i + 1,
            _ => i += 1,
        }
    }
    i
}

impl<'t> Visitor<'t> for Locate<'t, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    // A scalar holds no member: nothing to note.
    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'t>>(self, mut seq: A) -> Result<(), A::Error> {
        let text = self.text;
        let mut from = skip(text, 0, b"") + 1; // after the `[`
        for index in 0.. {
            let raw: &'t RawValue = match seq.next_element() {
                Ok(Some(raw)) => raw,
                Ok(None) => break,
                Err(err) => {
                    // Broken in this element if one was begun (after a
                    // comma, and not a trailing one), else between them.
                    let sep = skip(text, from, b"");
                    let start = if index == 0 {
                        sep
                    } else {
                        skip(text, sep + 1, b"")
                    };
                    let begun = (index == 0 || text.get(sep) == Some(&b','))
                        && !matches!(text.get(start), Some(b']') | None);
                    self.found.broken = begun.then_some((Segment::Index(index), Some(start)));
                    return Err(err);
                }
            };
            let Some((start, end)) = span_in(text, raw) else {
                break;
            };
            if (from..end).contains(&self.at) {
                self.found.holding = Some((Segment::Index(index), Some(start)));
            }
            from = end;
        }
        Ok(())
    }

    fn visit_map<A: MapAccess<'t>>(self, mut map: A) -> Result<(), A::Error> {
        let text = self.text;
        let mut from = skip(text, 0, b"") + 1; // after the `{`
        loop {
            self.found.broken = Some((Segment::Unknown, None));
            let Some(key) = map.next_key::<String>()? else {
                break;
            };
            let raw: &'t RawValue = match map.next_value() {
                Ok(raw) => raw,
                Err(err) => {
                    let key_start = skip(text, from, b",");
                    let colon = skip(text, after_string(text, key_start), b"");
                    // No `:` after the key: no value was begun.
                    self.found.broken = (text.get(colon) == Some(&b':'))
                        .then(|| (Segment::Key(key), Some(skip(text, colon + 1, b""))));
                    return Err(err);
                }
            };
            let Some((start, end)) = span_in(text, raw) else {
                break;
            };
            if (from..end).contains(&self.at) {
                self.found.holding = Some((Segment::Key(key), Some(start)));
            }
            from = end;
        }
        self.found.broken = None;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde::de::DeserializeOwned;
    use serde::Deserialize;

    use super::json_path;
    use crate::shown::text::byte_offset;

    /// The path `json_path` gives for decoding `text` as `T`, and the one
    /// serde_path_to_error gives while decoding.
    fn both<T: DeserializeOwned>(text: &str) -> (String, String) {
        let err = serde_json::from_str::<T>(text)
            .err()
            .expect("the text does not decode");
        let at = byte_offset(text.as_bytes(), err.line(), err.column());
        let ours = json_path(text.as_bytes(), at);
        let mut de = serde_json::Deserializer::from_str(text);
        let theirs = match serde_path_to_error::deserialize::<_, T>(&mut de) {
            Err(err) => err.path().to_string(),
            // Trailing characters: the value itself decoded.
            Ok(_) => ".".to_owned(),
        };
        (ours, theirs)
    }

    #[derive(Deserialize)]
    #[allow(dead_code)]
    struct Item {
        id: u64,
        name: String,
        #[serde(default)]
        tags: Vec<String>,
        #[serde(default)]
        owner: Option<Owner>,
    }

    #[derive(Deserialize)]
    #[allow(dead_code)]
    struct Owner {
        email: String,
        #[serde(default)]
        roles: BTreeMap<String, Vec<u8>>,
    }

    #[derive(Deserialize)]
    #[allow(dead_code)]
    struct Page {
        data: Vec<Item>,
        total: u32,
    }

    #[test]
    fn the_path_is_the_one_tracking_while_decoding_gives() {
        let cases = [
            // Wrong types, at every depth and position.
            r#"{"data": [{"id": 1, "name": "a"}, {"id": "2", "name": "b"}], "total": 2}"#,
            r#"{"data": [{"id": 1, "name": 5}], "total": 1}"#,
            r#"{"data":[{"id":1,"name":"a","tags":["x",7]}],"total":1}"#,
            r#"{"data": [{"id": 1, "name": "a", "owner": {"email": false}}], "total": 1}"#,
            r#"{"data": [{"id": 1, "name": "a", "owner": {"email": "e", "roles": {"r\"x": [1, 300]}}}], "total": 1}"#,
            r#"{"data": [{"id": 1, "name": "a", "tags": {"x": 1}}], "total": 1}"#,
            r#"{"data": {"id": 1}, "total": 1}"#,
            r#"{"data": [], "total": -1}"#,
            r#"{"data": [[1]], "total": 1}"#,
            r#"{"data": [ {"id" : 1 , "name" : [ "a" ] } ] , "total" : 1 }"#,
            "{\n  \"data\": [\n    {\"id\": 1,\n     \"name\": null}\n  ],\n  \"total\": 1\n}",
            // Missing members: the object that lacks them.
            r#"{"data": [{"id": 1}], "total": 1}"#,
            r#"{"data": [{"id": 1, "name": "a"}, {"name": "b"}], "total": 2}"#,
            r#"{"data": []}"#,
            r#"{"data":[{"id":1,"name":"a","owner":{}}],"total":1}"#,
            // Not an object, or not JSON at all.
            r#"[1, 2]"#,
            r#""text""#,
            "",
            "   ",
            "{not json",
            r#"{"data": [{"id": 1, "name": "a"}, {"id": 2, "name": "b"#,
            r#"{"data": [{"id": 1, "name": "a"}, {"id": 2, "na"#,
            r#"{"data": [{"id": 1, "name": "a"}, {"id": 2 "name": "b"}], "total": 2}"#,
            r#"{"data": [{"id": 1, "name": "a"},, {"id": 2}], "total": 2}"#,
            r#"{"data": [{"id": 1, "name": "a\q"}], "total": 2}"#,
            r#"{"data": [{"id": 1, "name": "a"}], "total": 2} trailing"#,
            r#"{"data": [{"id": tru}], "total": 1}"#,
            r#"{"data": [{"id": 1, "name": "a", "tags": ["x", ]}], "total": 1}"#,
            r#"{"data": [{"id": 1, "name": "a"}], "total": 1,}"#,
            r#"{"da\"ta": 1}"#,
        ];
        for text in cases {
            let (ours, theirs) = both::<Page>(text);
            assert_eq!(ours, theirs, "{text}");
        }
        // A top-level list, and a map keyed by the server.
        for text in [
            r#"[{"id": 1, "name": "a"}, {"id": 2}]"#,
            r#"[{"id": 1, "name": "a"}, 3]"#,
        ] {
            let (ours, theirs) = both::<Vec<Item>>(text);
            assert_eq!(ours, theirs, "{text}");
        }
        let (ours, theirs) = both::<BTreeMap<String, u32>>(r#"{"ok": 1, "a\u001b[31mb": "x"}"#);
        assert_eq!(
            (ours.as_str(), theirs.as_str()),
            ("a\u{1b}[31mb", "a\u{1b}[31mb")
        );
    }

    #[test]
    fn every_break_of_a_valid_text_gives_the_same_path() {
        let texts = [
            r#"{"data": [{"id": 1, "name": "a\"b", "tags": ["x"]}, {"id": 2, "name": "c", "owner": {"email": "e", "roles": {"k": [1]}}}], "total": 2}"#,
            "{\n \"total\": 1,\n \"data\": [\n  {\"name\": \"\\u00e9t\u{e9}\", \"id\": 10,\n   \"owner\": {\"roles\": {\"a\": [], \"b\": [2, 3]}, \"email\": \"x\"}}\n ]\n}",
        ];
        let mut mismatches = Vec::new();
        let mut checked = 0;
        for valid in texts {
            assert!(serde_json::from_str::<Page>(valid).is_ok(), "{valid}");
            for i in (0..valid.len())
                .filter(|&i| valid.is_char_boundary(i) && valid.is_char_boundary(i + 1))
            {
                let (head, tail) = valid.split_at(i);
                let broken = [
                    head.to_owned(),
                    format!("{head}{}", &tail[1..]),
                    format!("{head}x{}", &tail[1..]),
                    format!("{head}\"{tail}"),
                    format!("{head}7{tail}"),
                ];
                for text in broken {
                    if serde_json::from_str::<Page>(&text).is_ok() {
                        continue;
                    }
                    checked += 1;
                    let (ours, theirs) = both::<Page>(&text);
                    if ours != theirs {
                        mismatches.push(format!("{text}\n  ours {ours}, theirs {theirs}"));
                    }
                }
            }
        }
        assert!(checked > 1000, "{checked}");
        assert!(
            mismatches.is_empty(),
            "{} of {checked}:\n{}",
            mismatches.len(),
            mismatches.join("\n")
        );
    }

    #[test]
    fn any_position_in_any_text_gives_a_path_and_no_panic() {
        let texts = [
            &br#"{"a": [1, {"b": [true, null, "x\"y"]}], "c": {}}"#[..],
            b"[[[[[[[[[[]]]]]]]]]]",
            b"{\"a\":",
            b"\xff\xfe[1,",
            b"",
            b"{\"a\\",
        ];
        for text in texts {
            for at in 0..text.len() + 3 {
                let path = json_path(text, at);
                assert!(!path.is_empty());
            }
        }
        let deep = format!("{}1{}", "[".repeat(5000), "]".repeat(5000));
        // Past serde_json's depth limit, each level is read again: the
        // budget ends the path early, and says so.
        let path = json_path(deep.as_bytes(), 5000);
        assert!(path.starts_with("[0][0]") && path.ends_with(".?"), "{path}");
        assert!(path.len() < 128, "{path}");
        assert_eq!(json_path(b"[[[1]]]", 3), "[0][0][0]");
    }
}
