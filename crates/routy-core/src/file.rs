//! Reading a file a user named (a key file, a config, CA roots, a
//! cassette): only a regular file, and only so much of it. A FIFO, a
//! socket, a device or a folder where a file was expected is an error at
//! once, naming what it is, rather than a read that blocks for ever or
//! never ends.

use std::fs::{File, FileType, Metadata};
use std::io::{self, Read as _};
use std::path::Path;

/// Reads the regular file at `path` (a symlink to one is fine) into
/// `into`, at most `max` bytes.
///
/// The type is checked before opening (opening a FIFO blocks until a
/// writer comes) and again on the opened file, so a path swapped to a
/// device in between is caught too; a FIFO swapped in within that window
/// by someone who can write to the folder is the one case left, and they
/// could replace the file itself.
///
/// # Errors
///
/// The file cannot be opened or read (the I/O error); it is not a regular
/// file (`InvalidInput`: "is a FIFO, not a regular file", and so on); it
/// is larger than `max` (`InvalidData`: "larger than N bytes"). The
/// message never quotes the contents, nor the path (the caller names it).
///
/// # Examples
///
/// ```
/// use routy_core::file::read_regular;
///
/// let err = read_regular("/dev/null".as_ref(), 1024, &mut Vec::new()).unwrap_err();
/// assert_eq!(err.to_string(), "is a character device, not a regular file");
/// let err = read_regular(std::env::temp_dir().as_ref(), 1024, &mut Vec::new()).unwrap_err();
/// assert_eq!(err.to_string(), "is a folder, not a regular file");
/// ```
pub fn read_regular(path: &Path, max: u64, into: &mut Vec<u8>) -> io::Result<()> {
    regular(&std::fs::metadata(path)?)?;
    let file = File::open(path)?;
    regular(&file.metadata()?)?;
    // One byte past the cap tells a full file from an oversized one
    // without reading (or allocating for) the rest of it.
    file.take(max.saturating_add(1)).read_to_end(into)?;
    if into.len() as u64 > max {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("larger than {max} bytes"),
        ));
    }
    Ok(())
}

/// An error unless `metadata` is a regular file's.
fn regular(metadata: &Metadata) -> io::Result<()> {
    let kind = metadata.file_type();
    if kind.is_file() {
        return Ok(());
    }
    Err(io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("is {}, not a regular file", describe(kind)),
    ))
}

/// What a file that is not regular is, with its article.
fn describe(kind: FileType) -> &'static str {
    if kind.is_dir() {
        return "a folder";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt as _;
        if kind.is_fifo() {
            return "a FIFO";
        }
        if kind.is_socket() {
            return "a socket";
        }
        if kind.is_char_device() {
            return "a character device";
        }
        if kind.is_block_device() {
            return "a block device";
        }
    }
    "something else"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_regular_file_is_read_up_to_its_cap_and_not_past_it() {
        let dir = std::env::temp_dir().join(format!("routy-file-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("four.txt");
        std::fs::write(&path, "abcd").unwrap();
        let mut read = Vec::new();
        read_regular(&path, 4, &mut read).unwrap();
        assert_eq!(read, b"abcd");
        let err = read_regular(&path, 3, &mut Vec::new()).unwrap_err();
        assert_eq!(err.to_string(), "larger than 3 bytes");
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        let err = read_regular(&dir.join("missing"), 3, &mut Vec::new()).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[cfg(unix)]
    #[test]
    #[allow(
        clippy::disallowed_methods,
        reason = "the test makes its FIFO with mkfifo; the library starts no process"
    )]
    fn a_fifo_is_refused_at_once_rather_than_waited_on() {
        let dir = std::env::temp_dir().join(format!("routy-fifo-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let fifo = dir.join("key.fifo");
        // No writer ever comes: opening it for reading would block.
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        assert!(made.is_ok_and(|s| s.success()), "mkfifo");
        let err = read_regular(&fifo, 1024, &mut Vec::new()).unwrap_err();
        assert_eq!(err.to_string(), "is a FIFO, not a regular file");
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
