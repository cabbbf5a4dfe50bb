//! What the CLI writes to stdout, and the one rule for server text on a
//! line of it.

use std::io::{self, Write};

use crate::failure::{exit, Failure};

/// The server's `text` for one line of output (a table cell, a header
/// line): routy's own rule, so it can neither forge a line nor drive the
/// terminal.
pub(crate) fn one_line(text: &str) -> String {
    routy_core::shown::one_line(text, usize::MAX).into_owned()
}

/// Writes to stdout; a closed pipe (`| head`) ends quietly.
pub(crate) fn print(bytes: &[u8]) -> Result<(), Failure> {
    let mut stdout = io::stdout().lock();
    match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => Err(Failure {
            code: exit::USAGE,
            message: format!("cannot write output: {e}"),
            hint: None,
        }),
        _ => Ok(()),
    }
}
