//! What routy-core's unit tests share.

/// A well-formed token, shaped like the ones the Routy web UI generates.
pub(crate) const TOKEN: &str = "OaBw1+4DqFfDLXOLpWthbfp502Wc0D4tICsxNcT+aeQ=";
