//! HTTP structured field values (RFC 9651), read as far as the rate-limit
//! fields need: a List or a Dictionary, checked against the whole grammar
//! (every bare item type, inner lists, parameters), with only Integers
//! kept. Nothing is allocated; a field that breaks the grammar anywhere
//! is `None` whole, as the RFC asks.
//!
//! Why not the `sfv` crate: it is the reference this parser is held to
//! (the `rate_limit` fuzz target compares the two on every input), but it
//! brings a second version of base64 and a general parser into every
//! binary, several kilobytes over the size goal, for fields of which
//! routy reads a handful of integers.

/// A member's value or a parameter's, as far as routy looks at it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Bare {
    /// An Integer (at most 15 digits, so it fits).
    Integer(i64),
    /// Any other bare item (String, Token, Decimal, Boolean, Byte
    /// Sequence, Date, Display String), or an inner list.
    Other,
}

/// The parameters of one member, read again on demand: `get` finds the
/// last value of a key, as the RFC says duplicates resolve.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Params<'a> {
    text: &'a [u8],
}

impl Params<'_> {
    /// The Integer value of parameter `name`, if it has one (the last, if
    /// given twice).
    pub(crate) fn int(&self, name: &str) -> Option<i64> {
        let mut cursor = Cursor {
            text: self.text,
            at: 0,
        };
        let mut found = None;
        cursor.params(&mut |key, value| {
            if key == name.as_bytes() {
                found = Some(value);
            }
        })?;
        match found? {
            Bare::Integer(n) => Some(n),
            Bare::Other => None,
        }
    }
}

/// Calls `each` with every member of the List `field` (its value and
/// parameters), in order; `None` (and no call at all) when the field is
/// not a valid List.
pub(crate) fn list<'a>(field: &'a [u8], each: &mut dyn FnMut(Bare, Params<'a>)) -> Option<()> {
    // Checked whole first: a field that breaks anywhere is ignored whole.
    walk(field, false, &mut |_, _, _| {})?;
    walk(field, false, &mut |_, value, params| each(value, params))
}

/// Calls `each` with every member of the Dictionary `field` (its key,
/// value and parameters), in order; `None` (and no call at all) when the
/// field is not a valid Dictionary. A key given twice is given twice:
/// the later call is the one that counts.
pub(crate) fn dictionary<'a>(field: &'a [u8], each: Each<'_, 'a>) -> Option<()> {
    walk(field, true, &mut |_, _, _| {})?;
    walk(field, true, each)
}

/// What a pass over a field calls with each member.
type Each<'e, 'a> = &'e mut dyn FnMut(&'a [u8], Bare, Params<'a>);

/// One pass over a List or (`keyed`) a Dictionary: one copy of the
/// parser, whoever calls it.
#[inline(never)]
fn walk<'a>(field: &'a [u8], keyed: bool, each: Each<'_, 'a>) -> Option<()> {
    let mut cursor = Cursor { text: field, at: 0 };
    cursor.skip(b" ");
    while cursor.peek().is_some() {
        let key = if keyed { cursor.key()? } else { &[][..] };
        let value = if !keyed || cursor.eat(b'=') {
            cursor.member()?
        } else {
            // A key alone is Boolean true.
            Bare::Other
        };
        let start = cursor.at;
        cursor.params(&mut |_, _| {})?;
        let params = Params {
            text: &field[start..cursor.at],
        };
        each(key, value, params);
        cursor.skip(b" \t");
        if cursor.peek().is_none() {
            break;
        }
        if !cursor.eat(b',') {
            return None;
        }
        cursor.skip(b" \t");
        // A trailing comma is invalid.
        cursor.peek()?;
    }
    Some(())
}

/// A position in a field's bytes.
struct Cursor<'a> {
    text: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn peek(&self) -> Option<u8> {
        self.text.get(self.at).copied()
    }

    fn eat(&mut self, byte: u8) -> bool {
        let found = self.peek() == Some(byte);
        self.at += usize::from(found);
        found
    }

    fn skip(&mut self, set: &[u8]) {
        while self.peek().is_some_and(|b| set.contains(&b)) {
            self.at += 1;
        }
    }

    /// Bytes while `keep` holds, at least one.
    fn run(&mut self, keep: impl Fn(u8) -> bool) -> Option<&'a [u8]> {
        let start = self.at;
        while self.peek().is_some_and(&keep) {
            self.at += 1;
        }
        (self.at > start).then(|| &self.text[start..self.at])
    }

    /// A member's value: an Item's bare item or an Inner List (its items'
    /// parameters are checked and dropped).
    fn member(&mut self) -> Option<Bare> {
        if !self.eat(b'(') {
            return self.bare();
        }
        loop {
            self.skip(b" ");
            if self.eat(b')') {
                return Some(Bare::Other);
            }
            self.bare()?;
            self.params(&mut |_, _| {})?;
            if !matches!(self.peek(), Some(b' ' | b')')) {
                return None;
            }
        }
    }

    /// Parameters: `;key` or `;key=value`, each after optional spaces.
    fn params(&mut self, each: &mut dyn FnMut(&'a [u8], Bare)) -> Option<()> {
        while self.eat(b';') {
            self.skip(b" ");
            let key = self.key()?;
            let value = if self.eat(b'=') {
                self.bare()?
            } else {
                Bare::Other
            };
            each(key, value);
        }
        Some(())
    }

    /// A key: a lowercase letter or `*`, then lowercase letters, digits,
    /// `_`, `-`, `.` and `*`.
    fn key(&mut self) -> Option<&'a [u8]> {
        if !self
            .peek()
            .is_some_and(|b| b.is_ascii_lowercase() || b == b'*')
        {
            return None;
        }
        self.run(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"_-.*".contains(&b))
    }

    fn bare(&mut self) -> Option<Bare> {
        let first = self.peek()?;
        match first {
            b'-' | b'0'..=b'9' => self.number(),
            b'"' => {
                self.at += 1;
                self.string(|b| matches!(b, 0x20..=0x7e) && b != b'\\')
            }
            b'%' => {
                self.at += 1;
                self.display_string()
            }
            b':' => {
                self.at += 1;
                self.skip(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=");
                self.eat(b':').then_some(Bare::Other)
            }
            b'?' => {
                self.at += 1;
                matches!(self.peek(), Some(b'0' | b'1')).then(|| self.at += 1)?;
                Some(Bare::Other)
            }
            b'@' => {
                self.at += 1;
                matches!(self.number()?, Bare::Integer(_)).then_some(Bare::Other)
            }
            b'*' | b'A'..=b'Z' | b'a'..=b'z' => {
                self.run(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~:/".contains(&b))?;
                Some(Bare::Other)
            }
            _ => None,
        }
    }

    /// An Integer (at most 15 digits) or a Decimal (at most 12 digits,
    /// a dot, 1 to 3 more).
    fn number(&mut self) -> Option<Bare> {
        let negative = self.eat(b'-');
        let whole = self.run(|b| b.is_ascii_digit())?;
        if self.eat(b'.') {
            let fraction = self.run(|b| b.is_ascii_digit())?;
            return (whole.len() <= 12 && fraction.len() <= 3).then_some(Bare::Other);
        }
        if whole.len() > 15 {
            return None;
        }
        let value = whole.iter().fold(0i64, |n, d| n * 10 + i64::from(d - b'0'));
        Some(Bare::Integer(if negative { -value } else { value }))
    }

    /// The rest of a String after its opening quote: printable ASCII,
    /// with `\"` and `\\` the only escapes.
    fn string(&mut self, plain: impl Fn(u8) -> bool) -> Option<Bare> {
        loop {
            match self.peek()? {
                b'"' => {
                    self.at += 1;
                    return Some(Bare::Other);
                }
                b'\\' => {
                    self.at += 1;
                    matches!(self.peek(), Some(b'"' | b'\\')).then(|| self.at += 1)?;
                }
                b if plain(b) => self.at += 1,
                _ => return None,
            }
        }
    }

    /// The rest of a Display String after its `%`: a quoted text whose
    /// non-ASCII bytes are percent-encoded in lowercase hex, each
    /// character decoding to UTF-8.
    fn display_string(&mut self) -> Option<Bare> {
        if !self.eat(b'"') {
            return None;
        }
        // The character being decoded, and its length.
        let (mut char, mut len) = ([0u8; 4], 0);
        loop {
            let byte = match self.peek()? {
                b'"' if len == 0 => {
                    self.at += 1;
                    return Some(Bare::Other);
                }
                b'%' => {
                    let hex = |at: usize| match self.text.get(at) {
                        Some(b @ b'0'..=b'9') => Some(b - b'0'),
                        Some(b @ b'a'..=b'f') => Some(b - b'a' + 10),
                        _ => None,
                    };
                    let byte = hex(self.at + 1)? << 4 | hex(self.at + 2)?;
                    self.at += 3;
                    byte
                }
                0x20..=0x7e if len == 0 => {
                    self.at += 1;
                    continue;
                }
                _ => return None,
            };
            char[len] = byte;
            len += 1;
            let needed = match char[0] {
                0x00..=0x7f => 1,
                0xc0..=0xdf => 2,
                0xe0..=0xef => 3,
                _ => 4,
            };
            if len == needed {
                std::str::from_utf8(&char[..len]).ok()?;
                len = 0;
            } else if len == 4 {
                return None;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn members(field: &str) -> Option<Vec<(Bare, Option<i64>)>> {
        let mut out = Vec::new();
        list(field.as_bytes(), &mut |value, params| {
            out.push((value, params.int("r")));
        })?;
        Some(out)
    }

    #[test]
    fn lists_of_items_with_parameters() {
        assert_eq!(
            members(r#""default";r=0;t=3, "burst";r=5"#),
            Some(vec![(Bare::Other, Some(0)), (Bare::Other, Some(5))])
        );
        assert_eq!(
            members("10, 50;w=60;r=1;r=2"),
            Some(vec![
                (Bare::Integer(10), None),
                (Bare::Integer(50), Some(2))
            ])
        );
        assert_eq!(members(""), Some(vec![]));
        assert_eq!(members("  "), Some(vec![]));
        assert_eq!(
            members(r#"(1 "a" b);r=4, ?1, @1700000000, :aGk=:, 1.5, %"caf%c3%a9", tok/en:x"#)
                .map(|m| m.len()),
            Some(7)
        );
    }

    #[test]
    fn a_field_that_breaks_anywhere_is_refused_whole() {
        for bad in [
            "1,",
            ",1",
            "1 2",
            r#""unterminated"#,
            "\"bad\\escape\"",
            "1234567890123456",
            "1.2345",
            "1;R=2",
            "1;r=",
            "(1 2",
            "(1,2)",
            "?2",
            "%\"caf%C3%A9\"",
            "%\"%ff\"",
            "é",
            "1;;r=2",
        ] {
            assert_eq!(members(bad), None, "{bad:?}");
            let mut called = false;
            let _ = list(bad.as_bytes(), &mut |_, _| called = true);
            assert!(!called, "no member of {bad:?} reaches the caller");
        }
    }

    #[test]
    fn dictionaries_keep_every_key_in_order() {
        let mut seen = Vec::new();
        dictionary(
            b"limit=10, remaining=0, reset=3, flag",
            &mut |key, value, _| {
                seen.push((String::from_utf8_lossy(key).into_owned(), value));
            },
        )
        .unwrap();
        assert_eq!(
            seen,
            [
                ("limit".to_owned(), Bare::Integer(10)),
                ("remaining".to_owned(), Bare::Integer(0)),
                ("reset".to_owned(), Bare::Integer(3)),
                ("flag".to_owned(), Bare::Other),
            ]
        );
        assert!(dictionary(br#""default";r=0"#, &mut |_, _, _| {}).is_none());
        assert!(dictionary(b"Limit=1", &mut |_, _, _| {}).is_none());
    }
}
