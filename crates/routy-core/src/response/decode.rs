//! Decoding a success body into the type asked for, with errors that say
//! what was expected and where ([`DecodeError`]).

use std::fmt;

use http::header::CONTENT_TYPE;
use http::{HeaderValue, Response};
use serde::de::DeserializeOwned;

use crate::response::api_error::BodyStart;
use crate::shown::redact::Redactor;
use crate::shown::text::{
    byte_offset, header_str, is_json, is_text_plain, kept, one_line, snippet,
};

/// A success response whose body is not what was expected.
///
/// # Examples
///
/// ```
/// use routy::{http, DecodeError};
///
/// let response = http::Response::builder()
///     .header("content-type", "application/json")
///     .body(br#"[{"id": 1}, {"id": true}]"#.to_vec())?;
/// let err = routy::decode_json::<Vec<routy::Account>>(&response, "a list of accounts").unwrap_err();
/// assert_eq!(err.path(), Some("[1]"));
/// assert_eq!(err.expected(), "a list of accounts");
/// assert_eq!(err.rust_type(), "Vec<Account>");
/// assert_eq!(
///     err.to_string(),
///     "could not decode the response as `Vec<Account>` (a list of accounts): \
///      failed at `[1]` (line 1 column 25)"
/// );
/// let why = std::error::Error::source(&err).unwrap().to_string();
/// assert!(why.starts_with("member `id`: invalid type: boolean"), "{why}");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct DecodeError {
    expected: &'static str,
    /// `std::any::type_name` of the type asked for.
    rust_type: &'static str,
    content_type: Option<String>,
    path: Option<String>,
    snippet: String,
    source: Option<Box<JsonError>>,
}

/// The JSON parser's complaint, kept as redacted text.
#[derive(Debug, Clone)]
struct JsonError {
    message: String,
    line: usize,
    column: usize,
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for JsonError {}

impl JsonError {
    /// serde_json's complaint, as yet unredacted.
    fn of(err: &serde_json::Error) -> JsonError {
        JsonError {
            message: err.to_string(),
            line: err.line(),
            column: err.column(),
        }
    }

    /// A body whose bytes stop being UTF-8 at `offset`.
    fn not_utf8(body: &[u8], offset: usize) -> JsonError {
        let before = &body[..offset.min(body.len())];
        let line_start = before
            .iter()
            .rposition(|b| *b == b'\n')
            .map_or(0, |n| n + 1);
        JsonError {
            message: "the body is not UTF-8, as JSON must be (RFC 8259)".to_owned(),
            line: before.iter().filter(|b| **b == b'\n').count() + 1,
            column: offset - line_start + 1,
        }
    }
}

impl DecodeError {
    /// What the body should have been.
    pub fn expected(&self) -> &'static str {
        self.expected
    }

    /// The Rust type the body was decoded into, without module paths
    /// (`Vec<Account>`).
    pub fn rust_type(&self) -> String {
        short_type_name(self.rust_type)
    }

    /// Where in the JSON decoding failed (`.` for the root, `[3].id` …);
    /// `None` when the body was refused for its content type.
    pub fn path(&self) -> Option<&str> {
        self.path.as_deref()
    }

    /// The response's `Content-Type`.
    ///
    /// # Examples
    ///
    /// ```
    /// # use routy::http;
    /// let response = http::Response::builder().header("content-type", "text/html").body(b"<html>".to_vec())?;
    /// let err = routy::decode_json::<serde_json::Value>(&response, "json").unwrap_err();
    /// assert_eq!(err.content_type(), Some("text/html"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn content_type(&self) -> Option<&str> {
        self.content_type.as_deref()
    }

    /// A bounded piece of the body around the failure.
    ///
    /// # Examples
    ///
    /// ```
    /// # use routy::http;
    /// let response = http::Response::builder().body(b"not json".to_vec())?;
    /// let err = routy::decode_json::<serde_json::Value>(&response, "json").unwrap_err();
    /// assert_eq!(err.snippet(), "not json");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn snippet(&self) -> &str {
        &self.snippet
    }
}

/// The most of a JSON path or content type a message shows, escapes
/// included.
const SHOWN_PATH_BYTES: usize = 200;

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "could not decode the response as `{}`",
            short_type_name(self.rust_type)
        )?;
        if self.expected != self.rust_type {
            write!(f, " ({})", self.expected)?;
        }
        match (&self.path, &self.source) {
            (Some(path), Some(source)) => write!(
                f,
                ": failed at `{}` (line {} column {})",
                // Escapes can make a path of 200 bytes several times
                // longer: the bound holds for what is shown.
                one_line(path, SHOWN_PATH_BYTES),
                source.line,
                source.column
            ),
            _ => write!(
                f,
                ": the content type is {}",
                one_line(
                    self.content_type.as_deref().unwrap_or("missing"),
                    SHOWN_PATH_BYTES
                )
            ),
        }
    }
}

impl fmt::Debug for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DecodeError")
            .field("rust_type", &self.rust_type)
            .field("expected", &self.expected)
            .field("content_type", &self.content_type)
            .field("path", &self.path)
            .field("snippet", &BodyStart(&self.snippet))
            .field("source", &self.source)
            .finish()
    }
}

/// `name` (from `std::any::type_name`) without module paths:
/// `alloc::vec::Vec<routy_core::Account>` is `Vec<Account>`.
fn short_type_name(name: &str) -> String {
    let mut short = String::with_capacity(name.len());
    let mut rest = name;
    while !rest.is_empty() {
        let end = rest
            .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
            .unwrap_or(rest.len());
        let (path, tail) = rest.split_at(end);
        short.push_str(path.rsplit("::").next().unwrap_or(path));
        let mut chars = tail.chars();
        if let Some(delimiter) = chars.next() {
            short.push(delimiter);
        }
        rest = chars.as_str();
    }
    short
}

impl std::error::Error for DecodeError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

/// Decodes a success body as JSON into `T`. Accepts `application/json`,
/// any `*/*+json`, `text/plain` and `text/json` (Routy's own examples ask for
/// `text/plain`), or no `Content-Type` at all; anything else (an HTML login
/// page from a proxy, say) is refused. `expected` names the shape for the
/// error message.
///
/// # Errors
///
/// A [`DecodeError`] saying what was expected, where decoding failed and
/// showing a bounded snippet.
///
/// # Examples
///
/// ```
/// # use routy::http;
/// let response = http::Response::builder()
///     .header("content-type", "text/plain; charset=utf-8")
///     .body(br#"{"ok": true}"#.to_vec())?;
/// let value: serde_json::Value = routy::decode_json(&response, "an object")?;
/// assert_eq!(value["ok"], true);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn decode_json<T: DeserializeOwned>(
    response: &Response<Vec<u8>>,
    expected: &'static str,
) -> Result<T, DecodeError> {
    decode_json_redacted(response, expected, Redactor::NONE)
}

pub(crate) fn decode_json_redacted<T: DeserializeOwned>(
    response: &Response<Vec<u8>>,
    expected: &'static str,
    redactor: Redactor<'_>,
) -> Result<T, DecodeError> {
    let shape = DecodeAs {
        rust_type: std::any::type_name::<T>(),
        expected,
    };
    decode_slice(
        response.headers().get(CONTENT_TYPE),
        response.body(),
        shape,
        redactor,
    )
}

/// What a body is decoded as, for the error: the Rust type as the caller
/// knows it, and the JSON shape in words.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DecodeAs {
    pub(crate) rust_type: &'static str,
    pub(crate) expected: &'static str,
}

/// A body decoded, or serde_json's error and the path to where it failed
/// (`data[3].name`, `.` for the top).
pub(crate) type Decoded<T> = Result<T, (serde_json::Error, String)>;

/// [`decode_json`] of a body and its `Content-Type`.
pub(crate) fn decode_slice<T: DeserializeOwned>(
    content_type: Option<&HeaderValue>,
    body: &[u8],
    shape: DecodeAs,
    redactor: Redactor<'_>,
) -> Result<T, DecodeError> {
    decode_with(content_type, body, shape, redactor, tracked::<T>)
}

/// [`decode_slice`] with `decode` doing the decoding (and finding the
/// path of a failure).
pub(crate) fn decode_with<T>(
    content_type: Option<&HeaderValue>,
    body: &[u8],
    DecodeAs {
        rust_type,
        expected,
    }: DecodeAs,
    redactor: Redactor<'_>,
    decode: impl FnOnce(&[u8]) -> Decoded<T>,
) -> Result<T, DecodeError> {
    let content_type = json_content_type(content_type, body, rust_type, expected, redactor)?;
    decode(body).map_err(|(source, path)| {
        failed(
            JsonError::of(&source),
            &path,
            body,
            content_type,
            rust_type,
            expected,
            redactor,
        )
    })
}

/// A decoder that kept the body failed: serde_json's error, the path to
/// where, and the body's text, handed back for the error's snippet.
pub(crate) struct Failure {
    pub(crate) error: serde_json::Error,
    pub(crate) path: String,
    pub(crate) text: String,
}

/// [`decode_with`] for a decoder that keeps the body (what it returns
/// points into it rather than copying out of it). The body is JSON, so
/// UTF-8 (RFC 8259, section 8.1): one that is not is refused, naming the
/// first byte that is not.
pub(crate) fn decode_owned<T>(
    content_type: Option<&HeaderValue>,
    body: Vec<u8>,
    DecodeAs {
        rust_type,
        expected,
    }: DecodeAs,
    redactor: Redactor<'_>,
    keeping: impl FnOnce(String) -> Result<T, Failure>,
) -> Result<T, DecodeError> {
    let content_type = json_content_type(content_type, &body, rust_type, expected, redactor)?;
    let (source, path, body) = match String::from_utf8(body) {
        Ok(text) => match keeping(text) {
            Ok(decoded) => return Ok(decoded),
            Err(f) => (JsonError::of(&f.error), f.path, f.text.into_bytes()),
        },
        Err(not_text) => {
            let offset = not_text.utf8_error().valid_up_to();
            let body = not_text.into_bytes();
            (JsonError::not_utf8(&body, offset), ".".to_owned(), body)
        }
    };
    Err(failed(
        source,
        &path,
        &body,
        content_type,
        rust_type,
        expected,
        redactor,
    ))
}

/// Decodes `body` as a `T`; only a failure pays for tracking the path
/// (serde_path_to_error, exact for any type: a second copy of `T`'s
/// decoder, which routy's own lists do without).
pub(crate) fn tracked<T: DeserializeOwned>(body: &[u8]) -> Decoded<T> {
    serde_json::from_slice(body).map_err(|plain| {
        let mut de = serde_json::Deserializer::from_slice(body);
        match serde_path_to_error::deserialize::<_, T>(&mut de) {
            Err(err) => {
                let path = err.path().to_string();
                (err.into_inner(), path)
            }
            // Cannot happen (same input, same type), but if it does the
            // first error is still the right one to report.
            Ok(_) => (plain, ".".to_owned()),
        }
    })
}

/// The `Content-Type` as text, or the error when it says the body is not
/// JSON (nor plain text, which some servers send JSON as).
fn json_content_type<'h>(
    content_type: Option<&'h HeaderValue>,
    body: &[u8],
    rust_type: &'static str,
    expected: &'static str,
    redactor: Redactor<'_>,
) -> Result<Option<&'h str>, DecodeError> {
    let content_type = header_str(content_type);
    match content_type {
        Some(ct) if !is_json(ct) && !is_text_plain(ct) => Err(DecodeError {
            expected,
            rust_type,
            content_type: Some(kept(ct, 200, redactor)),
            path: None,
            snippet: snippet(body, 0, redactor).0,
            source: None,
        }),
        _ => Ok(content_type),
    }
}

/// The error for a body that did not decode: not generic, so one copy
/// serves every type decoded.
fn failed(
    source: JsonError,
    path: &str,
    body: &[u8],
    content_type: Option<&str>,
    rust_type: &'static str,
    expected: &'static str,
    redactor: Redactor<'_>,
) -> DecodeError {
    let offset = byte_offset(body, source.line, source.column);
    // serde_json quotes the offending value in its message, and the path
    // names map keys: both may hold what the server echoed.
    let source = Box::new(JsonError {
        message: redactor.scrub_owned(&source.message),
        ..source
    });
    DecodeError {
        expected,
        rust_type,
        content_type: content_type.map(|ct| kept(ct, 200, redactor)),
        path: Some(kept(path, 200, redactor)),
        snippet: snippet(body, offset, redactor).0,
        source: Some(source),
    }
}

#[cfg(test)]
mod tests {
    use super::short_type_name;

    #[test]
    fn type_names_lose_their_module_paths() {
        assert_eq!(
            short_type_name(std::any::type_name::<Vec<crate::Account>>()),
            "Vec<Account>"
        );
        assert_eq!(
            short_type_name("std::collections::HashMap<alloc::string::String, (u8, [core::option::Option<i32>; 2])>"),
            "HashMap<String, (u8, [Option<i32>; 2])>"
        );
        assert_eq!(short_type_name("&str"), "&str");
    }
}
