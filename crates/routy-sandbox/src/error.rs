//! Why the sandbox could not do what was asked: the one error type every
//! room of the sandbox returns.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;

/// Why the sandbox could not do what was asked.
///
/// # Examples
///
/// ```
/// let sandbox = routy_sandbox::Sandbox::start()?;
/// let err = sandbox.issue_token(routy_sandbox::NewToken::named("x")).unwrap_err();
/// assert!(matches!(err, routy_sandbox::SandboxError::Validation(_)));
/// # Ok::<(), routy_sandbox::SandboxError>(())
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SandboxError {
    /// The server could not start.
    #[error("cannot start the sandbox on {addr}")]
    Start {
        /// The address it tried.
        addr: SocketAddr,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The accounts fixture is unusable.
    #[error("invalid accounts fixture: {0}")]
    Accounts(String),
    /// The state file is unreadable, corrupt or unwritable.
    #[error("sandbox state file {}: {reason}", path.display())]
    State {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// Input failed validation; messages by field.
    #[error("validation failed: {}", summary(.0))]
    Validation(BTreeMap<String, Vec<String>>),
    /// No live token has this id.
    #[error("no token with id {0}")]
    NoSuchToken(String),
    /// A stubs or faults file is not JSON, or not stubs or fault rules;
    /// one line, control characters escaped.
    #[error("{0}")]
    File(String),
}

fn summary(errors: &BTreeMap<String, Vec<String>>) -> String {
    errors
        .iter()
        .map(|(field, messages)| format!("{field}: {}", messages.join(" ")))
        .collect::<Vec<_>>()
        .join("; ")
}
