//! Keeping the key out of everything routy stores, shows or logs of what a
//! server sent. One [`Redactor`] holds the rules; every place that keeps
//! server-chosen text (errors, log lines, redirect targets) goes through it.
//!
//! Two rules, both fail-closed:
//! - any run of [`REDACT_WINDOW`] bytes of the key, as written, is replaced
//!   by a marker ([`Redactor::bytes`], [`Redactor::text`]);
//! - text that still *means* the key once decoded (JSON and JavaScript
//!   escapes, HTML character references, percent-encoding, up to
//!   [`DECODE_ROUNDS`] layers of them, or base64 of 11 or more of its
//!   bytes) is not kept at all ([`Redactor::found_in`],
//!   [`Redactor::scrub_owned`]).
//!
//! A key shorter than [`REDACT_WINDOW`] (a test key like `t` or `abc123`;
//! real Routy keys are 44 characters) cannot be told apart from ordinary
//! text, so it counts only where it stands whole, as a word of its own:
//! not inside a longer run of letters and digits. `t` is found in
//! `token=t&x` but not in `https`, so messages stay readable.

use std::borrow::Cow;

use base64::Engine as _;

/// What stands in anything routy keeps or shows (errors, logs, traces,
/// cassettes) for an echoed token or a run that may be one.
///
/// # Examples
///
/// ```
/// use routy_core::shown::{mask_tokens, REDACTED};
///
/// let masked = mask_tokens("key OaBw1+4DqFfDLXOLpWthbfp502Wc0D4tICsxNcT+aeQ= in argv");
/// assert_eq!(masked, format!("key {REDACTED} in argv"));
/// ```
pub const REDACTED: &str = "[redacted]";

/// What replaces a whole text that spells the token in an encoded form.
pub(crate) const WITHHELD: &str = "[withheld: it may spell the api key]";

/// Any run of this many bytes of the token is a leak, not only the whole
/// token: a server that echoes part of it leaks it too.
pub(crate) const REDACT_WINDOW: usize = 8;

/// How many layers of encoding are peeled off before searching (a
/// percent-encoded JSON escape is two).
const DECODE_ROUNDS: usize = 4;

/// Base64 is searched as the encodings of every 9-byte piece of the key:
/// any 11 or more of its bytes, at any alignment, hold one such piece that
/// starts on a 3-byte boundary and so encodes to the same 12 characters.
const BASE64_PIECE: usize = 9;

/// The redaction rules for one key, or none (no key: nothing to hide),
/// and for the key it replaced while a call was under way.
#[derive(Clone, Copy)]
pub(crate) struct Redactor<'a> {
    secret: Option<&'a [u8]>,
    earlier: Option<&'a [u8]>,
}

impl<'a> Redactor<'a> {
    /// Rules that change nothing, for responses to no key.
    pub(crate) const NONE: Redactor<'static> = Redactor {
        secret: None,
        earlier: None,
    };

    /// Rules for `secret` (an empty one hides nothing).
    pub(crate) fn new(secret: &'a [u8]) -> Self {
        Redactor {
            secret: Some(secret).filter(|s| !s.is_empty()),
            earlier: None,
        }
    }

    /// These rules, hiding `earlier` as well: the key a rotation replaced
    /// while a call was under way, which the server may still echo.
    pub(crate) fn with_earlier(mut self, earlier: &'a [u8]) -> Self {
        self.earlier = Some(earlier).filter(|s| !s.is_empty());
        self
    }

    /// `text` with every run of [`REDACT_WINDOW`] or more bytes of the
    /// secret (the whole secret included) replaced by a marker. A secret
    /// shorter than the window is replaced where it occurs whole.
    pub(crate) fn bytes<'t>(&self, text: &'t [u8]) -> Cow<'t, [u8]> {
        let once = redact(text, self.secret);
        match (once, self.earlier) {
            (once, None) => once,
            (Cow::Borrowed(text), earlier) => redact(text, earlier),
            (Cow::Owned(text), earlier) => Cow::Owned(redact(&text, earlier).into_owned()),
        }
    }

    /// [`bytes`](Self::bytes) for text.
    pub(crate) fn text<'t>(&self, text: &'t str) -> Cow<'t, str> {
        match self.bytes(text.as_bytes()) {
            Cow::Borrowed(_) => Cow::Borrowed(text),
            // The marker replaces whole runs of an ASCII secret, so the
            // result is UTF-8; the lossy path is never taken.
            Cow::Owned(bytes) => Cow::Owned(
                String::from_utf8(bytes)
                    .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()),
            ),
        }
    }

    /// Whether `text` holds the secret, or [`REDACT_WINDOW`] bytes of it, in
    /// any form it can be read back from: as written, behind layers of JSON
    /// or JavaScript escapes, HTML character references or
    /// percent-encoding, or as base64 (standard or URL-safe) of 11 or more
    /// of its bytes.
    pub(crate) fn found_in(&self, text: &[u8]) -> bool {
        [self.secret, self.earlier]
            .into_iter()
            .flatten()
            .any(|secret| found(text, secret))
    }

    /// `text` redacted, or [`WITHHELD`] in its place when what is left
    /// still spells the secret in an encoded form: what every stored piece
    /// of server text goes through.
    #[inline(never)]
    pub(crate) fn scrub_owned(&self, text: &str) -> String {
        self.scrub(text).into_owned()
    }

    /// [`scrub_owned`](Self::scrub_owned), borrowing when nothing changes.
    /// A borrowed answer does not mean an unchanged text: [`WITHHELD`] is
    /// borrowed too, so a caller that keeps the text compares or takes
    /// [`scrub_owned`](Self::scrub_owned).
    pub(crate) fn scrub<'t>(&self, text: &'t str) -> Cow<'t, str> {
        let redacted = self.text(text);
        if self.found_in(redacted.as_bytes()) {
            Cow::Borrowed(WITHHELD)
        } else {
            redacted
        }
    }

    /// [`scrub`](Self::scrub) for bytes.
    pub(crate) fn scrub_bytes<'t>(&self, bytes: &'t [u8]) -> Cow<'t, [u8]> {
        let redacted = self.bytes(bytes);
        if self.found_in(&redacted) {
            Cow::Borrowed(WITHHELD.as_bytes())
        } else {
            redacted
        }
    }
}

impl std::fmt::Debug for Redactor<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.secret.is_some() {
            "Redactor(..)"
        } else {
            "Redactor(none)"
        })
    }
}

/// `text` with every run of `secret` marked (see [`Redactor::bytes`]).
fn redact<'t>(text: &'t [u8], secret: Option<&[u8]>) -> Cow<'t, [u8]> {
    let Some(secret) = secret else {
        return Cow::Borrowed(text);
    };
    let marked = covered_runs(text, secret);
    if marked.is_empty() {
        return Cow::Borrowed(text);
    }
    let mut out = Vec::with_capacity(text.len());
    let mut from = 0;
    for (start, end) in marked {
        out.extend_from_slice(&text[from..start]);
        out.extend_from_slice(REDACTED.as_bytes());
        from = end;
    }
    out.extend_from_slice(&text[from..]);
    Cow::Owned(out)
}

/// Whether `text` holds `secret` in any form (see [`Redactor::found_in`]).
fn found(text: &[u8], secret: &[u8]) -> bool {
    let encoded = base64_patterns(secret);
    let patterns = Pieces::new(encoded.iter().map(Vec::as_slice));
    let holds = |form: &[u8]| !covered_runs(form, secret).is_empty() || patterns.found_in(form);
    let mut form = Cow::Borrowed(text);
    for _ in 0..=DECODE_ROUNDS {
        if holds(&form) {
            return true;
        }
        match decode_layer(&form) {
            Some(next) => form = Cow::Owned(next),
            None => return false,
        }
    }
    holds(&form)
}

/// The byte ranges of `text` covered by runs of `secret` (every window of
/// it looked for in one pass, [`Pieces`]), merged. For a
/// secret shorter than [`REDACT_WINDOW`], only the runs that stand as a
/// word of their own.
fn covered_runs(text: &[u8], secret: &[u8]) -> Vec<(usize, usize)> {
    let mut marked = all_covered_runs(text, secret);
    if secret.len() < REDACT_WINDOW {
        marked.retain(|&(start, end)| stands_alone(text, start, end));
    }
    marked
}

/// Whether `text[start..end]` has no ASCII letter or digit on either side.
fn stands_alone(text: &[u8], start: usize, end: usize) -> bool {
    let word = |at: Option<&u8>| at.is_some_and(u8::is_ascii_alphanumeric);
    let before = start.checked_sub(1).and_then(|i| text.get(i));
    !word(before) && !word(text.get(end))
}

/// [`covered_runs`] before the rule for short secrets.
fn all_covered_runs(text: &[u8], secret: &[u8]) -> Vec<(usize, usize)> {
    let mut covered = vec![false; text.len()];
    let run = secret.len().min(REDACT_WINDOW);
    let windows = Pieces::new(secret.windows(run));
    let mut any = false;
    for at in windows.starts(text) {
        covered[at..at + run].iter_mut().for_each(|c| *c = true);
        any = true;
    }
    let mut marked: Vec<(usize, usize)> = Vec::new();
    if !any {
        return marked;
    }
    for (i, &c) in covered.iter().enumerate() {
        match (c, marked.last_mut()) {
            (true, Some(last)) if last.1 == i => last.1 = i + 1,
            (true, _) => marked.push((i, i + 1)),
            (false, _) => {}
        }
    }
    marked
}

/// The standard and URL-safe base64 of every [`BASE64_PIECE`]-byte piece
/// of `secret`.
fn base64_patterns(secret: &[u8]) -> Vec<Vec<u8>> {
    use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};
    let mut patterns = Vec::new();
    for piece in secret.windows(BASE64_PIECE) {
        patterns.push(STANDARD_NO_PAD.encode(piece).into_bytes());
        patterns.push(URL_SAFE_NO_PAD.encode(piece).into_bytes());
    }
    patterns
}

/// Byte strings of one length, looked for at every position of a text in
/// one pass: the pieces are grouped by their first byte (a counting sort),
/// so a position is compared only with the few pieces that start with its
/// byte, where a substring search per piece would pass over the text once
/// per piece. (It replaced memchr's `memmem`, whose searchers were 10 KB of
/// the binary for texts of at most a few KiB; grouping rather than sorting
/// saves a sort's 4 KB more.)
struct Pieces<'p> {
    /// The pieces, those starting with byte `b` at `grouped[starts[b]..starts[b + 1]]`.
    grouped: Vec<&'p [u8]>,
    starts: [usize; 257],
    len: usize,
}

impl<'p> Pieces<'p> {
    /// `pieces`, which all have one length.
    fn new(pieces: impl IntoIterator<Item = &'p [u8]> + Clone) -> Self {
        let mut starts = [0usize; 257];
        let mut len = 0;
        for piece in pieces.clone() {
            len = piece.len();
            if let Some(&b) = piece.first() {
                starts[usize::from(b) + 1] += 1;
            }
        }
        for b in 1..starts.len() {
            starts[b] += starts[b - 1];
        }
        let mut next = starts;
        let mut grouped = vec![&[][..]; starts[256]];
        for piece in pieces {
            if let Some(&b) = piece.first() {
                let slot = &mut next[usize::from(b)];
                grouped[*slot] = piece;
                *slot += 1;
            }
        }
        debug_assert!(grouped.iter().all(|p| p.len() == len));
        Pieces {
            grouped,
            starts,
            len,
        }
    }

    /// Where a piece starts in `text`, in order.
    fn starts<'t>(&'t self, text: &'t [u8]) -> impl Iterator<Item = usize> + 't {
        let positions = if self.len == 0 || self.grouped.is_empty() {
            0
        } else {
            (text.len() + 1).saturating_sub(self.len)
        };
        (0..positions).filter(move |&at| {
            let b = usize::from(text[at]);
            let group = &self.grouped[self.starts[b]..self.starts[b + 1]];
            let here = &text[at..at + self.len];
            group.contains(&here)
        })
    }

    fn found_in(&self, text: &[u8]) -> bool {
        self.starts(text).next().is_some()
    }
}

/// One layer of encoding peeled off `text`, or `None` when there was none:
/// percent-decoding, then every escape form JSON, JavaScript and HTML use
/// for a character. Lenient on purpose: what is not a well-formed escape is
/// kept as it is, and text need not parse as JSON or HTML to be decoded.
fn decode_layer(text: &[u8]) -> Option<Vec<u8>> {
    let percent: Cow<'_, [u8]> = percent_encoding::percent_decode(text).into();
    let unescaped = unescape(&percent);
    match (percent, unescaped) {
        (_, Some(out)) => Some(out),
        (Cow::Owned(out), None) => Some(out),
        (Cow::Borrowed(_), None) => None,
    }
}

/// `\uXXXX` (surrogate pairs joined), `\u{X…}`, `\xHH`, the one-character
/// escapes (`\/`, `\"`, `\n` …), and HTML's `&#NN;`, `&#xHH;` and the named
/// references for the characters a token holds (`&plus;`, `&sol;`,
/// `&equals;`, `&amp;`), decoded; `None` when there were none.
fn unescape(text: &[u8]) -> Option<Vec<u8>> {
    // Nothing to decode without an escape's first byte.
    text.iter().position(|&b| b == b'\\' || b == b'&')?;
    let mut out = Vec::with_capacity(text.len());
    let mut i = 0;
    let mut changed = false;
    while i < text.len() {
        let decoded = match text[i] {
            b'\\' => backslash_escape(&text[i..]),
            b'&' => character_reference(&text[i..]),
            _ => None,
        };
        match decoded {
            Some((c, used)) => {
                let mut buf = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                i += used;
                changed = true;
            }
            None => {
                out.push(text[i]);
                i += 1;
            }
        }
    }
    changed.then_some(out)
}

/// The character a backslash escape at the start of `text` stands for, and
/// how many bytes it took.
fn backslash_escape(text: &[u8]) -> Option<(char, usize)> {
    let simple = match *text.get(1)? {
        b'"' => '"',
        b'\'' => '\'',
        b'\\' => '\\',
        b'/' => '/',
        b'b' => '\u{8}',
        b'f' => '\u{c}',
        b'n' => '\n',
        b'r' => '\r',
        b't' => '\t',
        b'0' => '\0',
        b'x' => return hex_char(text.get(2..4)?).map(|c| (c, 4)),
        b'u' if text.get(2) == Some(&b'{') => {
            let close = text.iter().take(12).position(|&b| b == b'}')?;
            return hex_char(&text[3..close]).map(|c| (c, close + 1));
        }
        b'u' => {
            let unit = hex_u32(text.get(2..6)?)?;
            if (0xD800..0xDC00).contains(&unit) {
                // A high surrogate: joined with the low one that follows.
                let low = text
                    .get(6..8)
                    .filter(|p| *p == b"\\u")
                    .and_then(|_| hex_u32(text.get(8..12)?))
                    .filter(|low| (0xDC00..0xE000).contains(low));
                if let Some(low) = low {
                    let c = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
                    return char::from_u32(c).map(|c| (c, 12));
                }
                return Some(('\u{fffd}', 6));
            }
            return Some((char::from_u32(unit).unwrap_or('\u{fffd}'), 6));
        }
        _ => return None,
    };
    Some((simple, 2))
}

/// The character an HTML character reference at the start of `text` stands
/// for, and how many bytes it took.
fn character_reference(text: &[u8]) -> Option<(char, usize)> {
    let end = text.iter().take(12).position(|&b| b == b';')?;
    let name = &text[1..end];
    let c = match name {
        b"plus" => '+',
        b"sol" => '/',
        b"equals" => '=',
        b"amp" => '&',
        b"quot" => '"',
        b"apos" => '\'',
        b"lt" => '<',
        b"gt" => '>',
        _ => {
            let number = name.strip_prefix(b"#")?;
            match number.split_first() {
                Some((b'x' | b'X', hex)) => hex_char(hex)?,
                _ => {
                    let digits = std::str::from_utf8(number).ok()?;
                    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                        return None;
                    }
                    char::from_u32(digits.parse().ok()?)?
                }
            }
        }
    };
    Some((c, end + 1))
}

fn hex_u32(digits: &[u8]) -> Option<u32> {
    if digits.is_empty() || digits.len() > 8 || !digits.iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    u32::from_str_radix(std::str::from_utf8(digits).ok()?, 16).ok()
}

fn hex_char(digits: &[u8]) -> Option<char> {
    char::from_u32(hex_u32(digits)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = "OaBw1+4DqFfDLXOLpWthbfp502Wc0D4tICsxNcT+aeQ=".as_bytes();

    fn json_escaped(text: &[u8]) -> String {
        text.iter().map(|b| format!("\\u{b:04x}")).collect()
    }

    fn percent_encoded(text: &[u8]) -> String {
        text.iter().map(|b| format!("%{b:02X}")).collect()
    }

    #[test]
    fn redacts_every_echo_and_every_piece() {
        let r = Redactor::new(b"SECRET");
        // Back-to-back echoes merge into one marker.
        assert_eq!(
            &*r.bytes(b"a SECRET b SECRETSECRET"),
            b"a [redacted] b [redacted]"
        );
        let r = Redactor::new(b"0123456789abcdefghij");
        let out = r.bytes(b"x 0123456789abcdefghij y 456789abZZ 789abcdefgh");
        assert_eq!(&*out, b"x [redacted] y [redacted]ZZ [redacted]");
        // Seven bytes of it are not enough to redact.
        assert_eq!(&*r.bytes(b"0123456"), b"0123456");
        assert!(matches!(
            Redactor::new(b"SECRET").bytes(b"clean"),
            Cow::Borrowed(_)
        ));
        assert!(matches!(Redactor::NONE.bytes(b"SECRET"), Cow::Borrowed(_)));
    }

    #[test]
    fn a_short_key_counts_only_as_a_word_of_its_own() {
        let t = Redactor::new(b"t");
        let url = b"GET https://platform.routy.app/api/v1/accounts: transport error";
        assert!(matches!(t.bytes(url), Cow::Borrowed(_)));
        assert!(!t.found_in(url));
        assert_eq!(
            &*t.bytes(b"token=t&next=t"),
            b"token=[redacted]&next=[redacted]"
        );
        assert!(t.found_in(b"token=t"));
        assert!(t.found_in(b"token=%74"), "decoded, it stands alone");
        let test = Redactor::new(b"test");
        assert_eq!(
            &*test.bytes(b"tests: the test, latest testtest"),
            b"tests: the [redacted], latest [redacted]"
        );
        let abc = Redactor::new(b"abc123");
        assert_eq!(
            &*abc.bytes(b"xabc123 abc1234 /abc123/"),
            b"xabc123 abc1234 /[redacted]/"
        );
        assert!(!abc.found_in(b"id abc1234"));
        // From eight bytes on, the usual rule: any run of 8, wherever.
        let eight = Redactor::new(b"abcd1234");
        assert_eq!(&*eight.bytes(b"xabcd1234y"), b"x[redacted]y");
    }

    #[test]
    fn finds_the_key_behind_every_encoding() {
        use base64::engine::general_purpose::{STANDARD, URL_SAFE};
        let r = Redactor::new(KEY);
        let key = std::str::from_utf8(KEY).unwrap();
        let piece = &KEY[5..20];
        let forms: Vec<String> = vec![
            key.to_owned(),
            format!("token {}", json_escaped(KEY)),
            format!("{{\"t\":\"{}\"}}", json_escaped(piece)),
            format!("x={}", percent_encoded(KEY)),
            format!("x={}", percent_encoded(json_escaped(KEY).as_bytes())),
            // Double percent-encoding.
            percent_encoded(percent_encoded(KEY).as_bytes()),
            key.replace('+', "\\u002B").replace('/', "\\/"),
            KEY.iter().map(|b| format!("\\x{b:02x}")).collect(),
            KEY.iter().map(|b| format!("\\u{{{b:x}}}")).collect(),
            KEY.iter().map(|b| format!("&#{b};")).collect(),
            KEY.iter().map(|b| format!("&#x{b:X};")).collect(),
            key.replace('+', "&plus;").replace('=', "&equals;"),
            STANDARD.encode(KEY),
            URL_SAFE.encode(KEY),
            // Base64 of the key inside other bytes, at every alignment.
            STANDARD.encode([b"a".as_slice(), KEY].concat()),
            STANDARD.encode([b"ab".as_slice(), KEY, b"z"].concat()),
            URL_SAFE.encode([b"{\"k\":\"".as_slice(), &KEY[3..16], b"\"}"].concat()),
        ];
        for form in &forms {
            assert!(r.found_in(form.as_bytes()), "not found in {form:?}");
            let kept = r.scrub_owned(form);
            assert!(!r.found_in(kept.as_bytes()), "{form:?} kept as {kept:?}");
            if form.starts_with('%') || form.starts_with('&') {
                assert_eq!(kept, WITHHELD, "{form:?}");
            }
        }
        for clean in [
            "nothing to see",
            "OaBw1+4",                      // seven bytes
            "%4F%61%42%77%31%2B%34",        // seven bytes, encoded
            "\\u004f\\u0061\\u0042\\u0077", // four
            "T2FCdzEr",                     // base64 of 6 bytes
            "\\u{zz} &#xZZ; &unknown; %zz \\q",
        ] {
            assert!(!r.found_in(clean.as_bytes()), "false positive in {clean:?}");
        }
        assert!(!Redactor::NONE.found_in(KEY));
    }

    #[test]
    fn lenient_decoding_never_panics_on_broken_escapes() {
        for junk in [
            "\\",
            "\\u",
            "\\u12",
            "\\ud800",
            "\\ud800\\u",
            "\\ud800\\ud800",
            "\\u{",
            "\\u{110000}",
            "\\x",
            "\\xZ",
            "&",
            "&#",
            "&#;",
            "&#x;",
            "&#99999999999;",
            "%",
            "%4",
            "&#1114112;",
        ] {
            let _ = Redactor::new(KEY).found_in(junk.as_bytes());
            let _ = unescape(junk.as_bytes());
        }
        assert_eq!(
            unescape(b"\\ud83d\\ude00 \\n").as_deref(),
            Some("\u{1f600} \n".as_bytes())
        );
    }
}
