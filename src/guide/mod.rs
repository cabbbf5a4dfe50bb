//! The guides: longer reads than the front page, one chapter each. Their
//! examples are compiled and run as tests, like every example in these
//! docs.
//!
//! | chapter | for |
//! |---|---|
//! | [`testing`] | testing code that uses routy: closures, mocks, cassettes, the sandbox, simulated bad days |
//! | [`reliability`] | what a call does on its own (retries, rate limits, redirects, limits), TLS behind a proxy, rotating a token, logging safely |
//! | [`fleet`] | one quota for many processes of one token, through Valkey/Redis (`routy-redis`), and what happens when the store fails |
//! | [`transports`] | choosing a transport, and writing and certifying one of your own |
//! | [`cli`] | the `routy` command and named profiles |
//!
//! How routy's cost is measured, and against what, is in the repository's
//! `docs/PERFORMANCE.md`.

#[doc = include_str!("testing.md")]
pub mod testing {}

#[doc = include_str!("reliability.md")]
pub mod reliability {}

#[doc = include_str!("fleet.md")]
#[doc = ""]
#[doc = include_str!("fleet-timeline.svg")]
pub mod fleet {}

pub mod transports;

#[doc = include_str!("cli.md")]
pub mod cli {}
