//! Credentials: the [`ApiKey`] and the [`SharedKey`] a running client
//! rotates, and the redaction that keeps a key out of everything routy
//! shows (errors, logs, traces), however a server echoes it.

pub(crate) mod key;
pub(crate) mod redact;

pub use key::{ApiKey, KeyError, SharedKey, API_KEY_ENV};
