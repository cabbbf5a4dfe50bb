//! Offline testing for code that uses [routy](https://docs.rs/routy).
//!
//! - [`Tape`]: record or replay by one switch ([`RecordMode`], or
//!   `ROUTY_RECORD`; replay-only when `CI` is set), with a maximum age.
//! - [`Recorder`] and [`Replayer`]: record real exchanges into a JSON
//!   [`Cassette`] (keys scrubbed; writing refuses if one survived) and
//!   replay them with no network, strictly, with a diff on mismatch.
//! - [`conformance`]: a suite a transport plugin author runs against their
//!   [`Transport`](routy_core::Transport) to check it behaves as the client
//!   relies on.
//! - [`sim`]: a job across thousands of seeded bad days (faults, rate
//!   limits, expiring keys) in virtual time, against the sandbox's API
//!   model, with routy's invariants checked on every one.
//! - [`https::HttpsServer`]: a loopback https server with a CA of its own,
//!   for testing custom roots and refused certificates offline.
//!
//! The other two ways to test offline need nothing from this crate: a
//! closure is a transport, and `routy::MockTransport` (feature `mock`)
//! is a mockall mock. And `routy-sandbox` is a whole local API.
//!
//! # Features
//!
//! Cassettes ([`Tape`], [`Recorder`], [`Replayer`]) are always there and
//! need nothing heavy. The rest is opt-in, so a test suite that only
//! replays cassettes compiles neither rustls nor the sandbox:
//!
//! | feature | what it adds | what it compiles |
//! |---|---|---|
//! | `sim` | [`sim`] | routy-sandbox, rand |
//! | `conformance` | [`conformance`] (and `https`) | httparse, flate2, rustls, rcgen |
//! | `https` | [`https::HttpsServer`] | rustls, rcgen |
//!
//! ```toml
//! [dev-dependencies]
//! routy-testkit = { version = "0.1", features = ["sim"] }
//! ```

// On docs.rs, label each feature-gated item with its feature.
#![cfg_attr(docsrs, feature(doc_cfg))]
// Libraries report through return values, never the terminal.
#![deny(clippy::print_stdout, clippy::print_stderr)]

mod cassette;
#[cfg(feature = "conformance")]
#[cfg_attr(docsrs, doc(cfg(feature = "conformance")))]
pub mod conformance;
#[cfg(feature = "https")]
#[cfg_attr(docsrs, doc(cfg(feature = "https")))]
pub mod https;
#[cfg(feature = "sim")]
#[cfg_attr(docsrs, doc(cfg(feature = "sim")))]
pub mod sim;

pub use cassette::{
    Cassette, CassetteError, Interaction, RecordMode, RecordedBody, RecordedRequest,
    RecordedResponse, Recorder, ReplayError, ReplayOrder, Replayer, Tape, TapeBuilder, TapeError,
    CASSETTE_VERSION, DEFAULT_SCRUBBED, RECORD_ENV, REDACTED, REPLAY_KEY,
};
