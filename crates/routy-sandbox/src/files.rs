//! Reading the sandbox's own files (an accounts body, a state file): a
//! regular file only, bounded, so a FIFO or a device named by mistake is
//! an error at once rather than a start that never comes. (routy-core's
//! `file::read_regular` does the same for the client; the sandbox does
//! not depend on routy-core.) And the stubs or fault rules a file written
//! by hand holds.

use std::io::{self, Read as _};
use std::path::Path;

use crate::error::SandboxError;

/// The regular file at `path`, at most `max` bytes.
pub(crate) fn read_regular(path: &Path, max: u64) -> io::Result<Vec<u8>> {
    let not_regular = |kind: std::fs::FileType| {
        let what = if kind.is_dir() {
            "a folder"
        } else {
            "not a regular file (a FIFO, socket or device)"
        };
        io::Error::new(io::ErrorKind::InvalidInput, format!("is {what}"))
    };
    let kind = std::fs::metadata(path)?.file_type();
    if !kind.is_file() {
        return Err(not_regular(kind));
    }
    let file = std::fs::File::open(path)?;
    let kind = file.metadata()?.file_type();
    if !kind.is_file() {
        return Err(not_regular(kind));
    }
    let mut bytes = Vec::new();
    file.take(max.saturating_add(1)).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("larger than {max} bytes"),
        ));
    }
    Ok(bytes)
}

/// The stubs or fault rules of a file written by hand (what `routy
/// sandbox --stubs` and `--faults` read): one JSON item, or an array of
/// them.
///
/// # Errors
///
/// [`SandboxError::File`]: not JSON, or not items of that kind; the
/// parser's words, one line.
///
/// # Examples
///
/// ```
/// use routy_sandbox::{items_from_json, Stub};
///
/// let one: Vec<Stub> = items_from_json(br#"{"method":"GET","path":"/v1/x","response":{"status":204}}"#)?;
/// assert_eq!(one[0].path, "/v1/x");
/// let err = items_from_json::<Stub>(b"{\"meth\x7fd\": 1}").unwrap_err();
/// assert!(err.to_string().contains("unknown field `meth\\u{7f}d`"), "{err}");
/// # Ok::<(), routy_sandbox::SandboxError>(())
/// ```
pub fn items_from_json<T: serde::de::DeserializeOwned>(
    bytes: &[u8],
) -> Result<Vec<T>, SandboxError> {
    let fail = |e: serde_json::Error, what: &str| {
        let text = format!("{what}{e}");
        let one_line: String = text
            .chars()
            .flat_map(|c| {
                let escaped: Vec<char> = if c.is_control() {
                    c.escape_debug().collect()
                } else {
                    vec![c]
                };
                escaped
            })
            .collect();
        SandboxError::File(one_line)
    };
    let value: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| fail(e, "not JSON: "))?;
    match value {
        serde_json::Value::Array(_) => serde_json::from_value(value),
        other => serde_json::from_value(other).map(|item| vec![item]),
    }
    .map_err(|e| fail(e, ""))
}
