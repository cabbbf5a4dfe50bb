//! Server text made safe to keep and show: cut to a bound, kept to one
//! line, and redacted so the key never rides along.

use std::borrow::Cow;

use http::HeaderValue;

use super::redact::{Redactor, REDACTED, REDACT_WINDOW, WITHHELD};
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

/// At most `max` bytes of server-chosen `text`, scrubbed by `redactor`:
/// how a short piece of it (a header value, a URL, a path) is kept.
pub(crate) fn kept(text: &str, max: usize, redactor: Redactor<'_>) -> String {
    redactor.scrub_owned(&truncate(text, max))
}

/// `text` fit for one line of a terminal or a log: control characters and
/// bidirectional overrides are escaped (`\n`, `\u{1b}`), so a server's text
/// can neither forge a line nor drive the terminal, and the result is cut to
/// `max` bytes, escapes included, plus an ellipsis (`usize::MAX`: no cut).
///
/// # Examples
///
/// ```
/// use routy_core::shown::one_line;
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

/// `text` with every run that may be a token replaced by
/// [`REDACTED`]: 20 or more characters of what tokens are made of
/// (letters, digits, `+/=_-.`) that hold `+` or `=`, or upper- and
/// lower-case letters and digits (base64, as routy's tokens are), or 32
/// or more hex digits. For text that may quote a key routy does not know
/// (yet): a command line, a path, a parser's message, a command's stderr.
/// Long plain names (`billing-sync-credentials.txt`,
/// `routy-ci-20261203`) are kept.
///
/// # Examples
///
/// ```
/// use routy_core::shown::mask_tokens;
///
/// let line = "sh -c echo OaBw1+4DqFfDLXOLpWthbfp502Wc0D4tICsxNcT+aeQ= >&2";
/// assert_eq!(mask_tokens(line), "sh -c echo [redacted] >&2");
/// assert_eq!(mask_tokens("~/.config/routy/billing-sync-credentials.txt"), "~/.config/routy/billing-sync-credentials.txt");
/// ```
pub fn mask_tokens(text: &str) -> Cow<'_, str> {
    const MIN_RUN: usize = 20;
    let is_token = |c: char| c.is_ascii_alphanumeric() || "+/=_-.".contains(c);
    let looks_like_one = |run: &str| {
        let has = |f: fn(&char) -> bool| run.chars().any(|c| f(&c));
        let hex = run.len() >= 32 && run.chars().all(|c| c.is_ascii_hexdigit());
        run.len() >= MIN_RUN
            && (has(|c| "+=".contains(*c))
                || (has(char::is_ascii_uppercase)
                    && has(char::is_ascii_lowercase)
                    && has(char::is_ascii_digit))
                || (hex && has(char::is_ascii_digit)))
    };
    let mut runs = text.split(|c: char| !is_token(c));
    if !runs.any(looks_like_one) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut start = 0;
    for (at, c) in text
        .char_indices()
        .chain(std::iter::once((text.len(), ' ')))
    {
        if is_token(c) && at < text.len() {
            continue;
        }
        let run = &text[start..at];
        out.push_str(if looks_like_one(run) { REDACTED } else { run });
        if at < text.len() {
            out.push(c);
        }
        start = at + c.len_utf8();
    }
    Cow::Owned(out)
}

/// Text that echoes a user's own configuration (a command line, a path,
/// a value from a file or a variable), made fit for a message: anything
/// token-like masked ([`mask_tokens`]), then one line ([`one_line`]), at
/// most `max` bytes.
///
/// # Examples
///
/// ```
/// use routy_core::shown::user_text;
///
/// assert_eq!(user_text("sh -c exit 3 line\none", usize::MAX), "sh -c exit 3 line\\none");
/// ```
pub fn user_text(text: &str, max: usize) -> String {
    one_line(&mask_tokens(text), max).into_owned()
}

/// A path as a message shows it: each part between slashes masked on its
/// own ([`mask_tokens`]), so a long path of plain folder names with a
/// digit somewhere stays readable, then one line ([`one_line`]).
///
/// # Examples
///
/// ```
/// use routy_core::shown::shown_path;
///
/// assert_eq!(shown_path("/tmp/routy-ci-20261203/config.toml".as_ref()), "/tmp/routy-ci-20261203/config.toml");
/// assert_eq!(shown_path("/tmp/key\n.txt".as_ref()), "/tmp/key\\n.txt");
/// assert_eq!(
///     shown_path("/keys/OaBw1+4DqFfDLXOLpWthbfp502Wc0D4tICsxNcT+aeQ=.txt".as_ref()),
///     "/keys/[redacted]"
/// );
/// ```
pub fn shown_path(path: &std::path::Path) -> String {
    let text = path.display().to_string();
    let masked: Vec<Cow<'_, str>> = text.split('/').map(mask_tokens).collect();
    one_line(&masked.join("/"), usize::MAX).into_owned()
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
