//! What routy shows people: the one room for text that leaves the client
//! as words (errors, log lines, traces, CLI output, cassettes).
//!
//! Two rules meet here. Redaction keeps the key out of whatever a server
//! echoes, however it encodes it; the text rules cut server text to a bound,
//! keep it to one line, and mask runs that may be a token routy does not
//! know. Every place that keeps server-chosen text goes through them, and
//! [`REDACTED`] is the one marker they leave.
//!
//! [`one_line`], [`mask_tokens`], [`user_text`] and [`shown_path`] are
//! public so a program that prints such text itself (the `routy` CLI, the
//! test kit) applies the same rules.

pub(crate) mod redact;
pub(crate) mod text;

pub use redact::REDACTED;
pub use text::{mask_tokens, one_line, shown_path, user_text};
