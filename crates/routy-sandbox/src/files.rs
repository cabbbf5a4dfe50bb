//! Reading the sandbox's own files (an accounts body, a state file): a
//! regular file only, bounded, so a FIFO or a device named by mistake is
//! an error at once rather than a start that never comes. (routy-core's
//! `file::read_regular` does the same for the client; the sandbox does
//! not depend on routy-core.)

use std::io::{self, Read as _};
use std::path::Path;

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
