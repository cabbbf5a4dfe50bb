//! Credentials: the [`ApiKey`] and the [`SharedKey`] a running client
//! rotates. What keeps a key out of everything routy shows is in
//! [`shown`](crate::shown).

pub(crate) mod key;

pub use key::{ApiKey, KeyError, SharedKey, API_KEY_ENV};

/// A well-formed token, shaped like the ones the Routy web UI generates:
/// what routy-core's unit tests share.
#[cfg(test)]
pub(crate) const TEST_TOKEN: &str = "OaBw1+4DqFfDLXOLpWthbfp502Wc0D4tICsxNcT+aeQ=";
