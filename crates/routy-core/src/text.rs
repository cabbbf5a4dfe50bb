//! Server text made safe to keep and show: cut to a bound, kept to one
//! line, and redacted so the key never rides along. routy's errors use
//! these rules; [`one_line`] is public so a program that prints server
//! text itself (the `routy` CLI does) applies the same one.

use std::borrow::Cow;

use http::HeaderValue;

use crate::auth::redact::{Redactor, REDACT_WINDOW, WITHHELD};
use crate::defaults::SNIPPET_MAX_BYTES;

pub(crate) fn header_str(value: Option<&HeaderValue>) -> Option<&str> {
    value.and_then(|v| v.to_str().ok())
}

/// `application/json`, `application/problem+json`, `text/json` and the like.
pub(crate) fn is_json(content_type: &str) -> bool {
    let essence = content_type.split(';').next().unwrap_or_default().trim();
    let suffix = essence
        .len()
        .checked_sub(5)
        .and_then(|at| essence.get(at..));
    essence.eq_ignore_ascii_case("application/json")
        || essence.eq_ignore_ascii_case("text/json")
        || suffix.is_some_and(|s| s.eq_ignore_ascii_case("+json"))
}

pub(crate) fn is_text_plain(content_type: &str) -> bool {
    let essence = content_type.split(';').next().unwrap_or_default().trim();
    essence.eq_ignore_ascii_case("text/plain")
}

/// At most `max` bytes of `text`, cut on a character boundary.
pub(crate) fn truncate(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

/// `text` fit for one line of a terminal or a log: control characters and
/// bidirectional overrides are escaped (`\n`, `\u{1b}`), so a server's text
/// can neither forge a line nor drive the terminal, and the result is cut to
/// `max` bytes, escapes included, plus an ellipsis (`usize::MAX`: no cut).
///
/// # Examples
///
/// ```
/// use routy::text::one_line;
///
/// assert_eq!(one_line("ok\r\nX-Forged: 1", usize::MAX), "ok\\r\\nX-Forged: 1");
/// assert_eq!(one_line("\u{202e}gnp.exe", usize::MAX), "\\u{202e}gnp.exe");
/// assert_eq!(one_line("abcdef", 3), "abc…");
/// ```
pub fn one_line(text: &str, max: usize) -> Cow<'_, str> {
    let unsafe_to_show = |c: char| {
        c.is_control()
            || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    };
    if text.len() <= max && !text.chars().any(unsafe_to_show) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len().min(max) + 3);
    for c in text.chars() {
        let before = out.len();
        if unsafe_to_show(c) {
            out.extend(c.escape_debug());
        } else {
            out.push(c);
        }
        if out.len() > max {
            out.truncate(before);
            out.push('…');
            break;
        }
    }
    Cow::Owned(out)
}

/// Up to [`SNIPPET_MAX_BYTES`] of `body` as text, starting a little before
/// `around` so a decode error's position is in view, scrubbed by
/// `redactor` (withheld whole when it spells the key in an encoded form).
/// Returns whether bytes were left out.
pub(crate) fn snippet(body: &[u8], around: usize, redactor: Redactor<'_>) -> (String, bool) {
    snippet_of(body, around, SNIPPET_MAX_BYTES, redactor)
}

/// As [`snippet`], keeping up to `max` bytes.
pub(crate) fn snippet_of(
    body: &[u8],
    around: usize,
    max: usize,
    redactor: Redactor<'_>,
) -> (String, bool) {
    let start = around.saturating_sub(max / 4).min(body.len());
    let end = (start + max).min(body.len());
    // Redact with a window's margin on each side, so a piece of the secret
    // that straddles the cut is still seen whole, then cut to size.
    let margin_start = start.saturating_sub(REDACT_WINDOW);
    let margin_end = (end + REDACT_WINDOW).min(body.len());
    let redacted = redactor.bytes(&body[margin_start..margin_end]);
    let lead = start - margin_start;
    let keep = (end - start).min(redacted.len().saturating_sub(lead));
    let region = redacted.get(lead..lead + keep).unwrap_or(&redacted[..]);
    if redactor.found_in(region) {
        return (WITHHELD.to_owned(), true);
    }
    // A multi-byte character cut at either end shows as U+FFFD; that is fine.
    let mut text = String::from_utf8_lossy(region).into_owned();
    // Replacement characters (3 bytes for each bad byte) and redaction
    // markers can grow the text; the bound is on what is kept.
    let mut cut = text.len() > max;
    if cut {
        let mut at = max;
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        text.truncate(at);
    }
    cut |= start > 0 || end < body.len();
    (text, cut)
}

/// The byte offset of serde_json's 1-based line and column.
pub(crate) fn byte_offset(body: &[u8], line: usize, column: usize) -> usize {
    let line_start = if line <= 1 {
        0
    } else {
        body.iter()
            .enumerate()
            .filter(|(_, b)| **b == b'\n')
            .nth(line - 2)
            .map_or(body.len(), |(i, _)| i + 1)
    };
    (line_start + column.saturating_sub(1)).min(body.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snippet_is_bounded_and_centred() {
        let body = vec![b'a'; 100_000];
        let (text, truncated) = snippet(&body, 50_000, Redactor::NONE);
        assert_eq!(text.len(), SNIPPET_MAX_BYTES);
        assert!(truncated);
        let (text, truncated) = snippet(&[0xff; 5000], 0, Redactor::NONE);
        assert!(
            text.len() <= SNIPPET_MAX_BYTES && truncated,
            "{}",
            text.len()
        );
        let (text, truncated) = snippet(b"short", 3, Redactor::new(b"0123456789"));
        assert_eq!(text, "short");
        assert!(!truncated);
    }

    #[test]
    fn byte_offset_follows_lines() {
        let body = b"[\n  1,\n  x]";
        assert_eq!(byte_offset(body, 3, 3), 9);
        assert_eq!(body[9], b'x');
        assert_eq!(byte_offset(body, 99, 99), body.len());
    }
}
