//! What every routy-core integration test shares: the token and the
//! builder with no default transport.

/// A well-formed token, shaped like the ones the Routy web UI generates.
pub(crate) const TOKEN: &str = "OaBw1+4DqFfDLXOLpWthbfp502Wc0D4tICsxNcT+aeQ=";

/// A builder with no default transport: every test names its own.
pub(crate) type ClientBuilder = routy_core::ClientBuilder<()>;
