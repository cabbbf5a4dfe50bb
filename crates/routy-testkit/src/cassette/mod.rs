//! Cassettes: record and replay, by concept. The format ([`format`]: what
//! a cassette file holds), recording ([`record`]), the key check before
//! anything is written ([`secrets`]), replay ([`replay`]) and the switch
//! between them ([`tape`]).
//!
//! Record and replay. A [`Recorder`] wraps any transport and keeps every
//! exchange; [`Recorder::save`] writes them as a JSON [`Cassette`] with
//! secrets scrubbed (and refuses to write if a key survived anywhere). A
//! [`Replayer`] serves a cassette with no network.
//!
//! # The cassette format (version 1)
//!
//! ```json
//! {
//!   "version": 1,
//!   "interactions": [
//!     {
//!       "request": {
//!         "method": "GET",
//!         "uri": "https://platform.routy.app/api/v1/accounts",
//!         "headers": [["accept", "application/json"], ["authorization", "[redacted]"]],
//!         "body": ""
//!       },
//!       "response": {
//!         "status": 200,
//!         "headers": [["content-type", "application/json"]],
//!         "body": "[{\"id\":1}]"
//!       }
//!     }
//!   ]
//! }
//! ```
//!
//! Headers keep their order and repeats. A body that is UTF-8 is stored as
//! `body`; any other is stored as `body_base64` instead.

pub(crate) mod format;
pub(crate) mod record;
pub(crate) mod replay;
pub(crate) mod secrets;
pub(crate) mod tape;

pub use format::{
    Cassette, CassetteError, Interaction, RecordedBody, RecordedRequest, RecordedResponse,
    CASSETTE_VERSION, DEFAULT_SCRUBBED, REDACTED,
};
pub use record::Recorder;
pub use replay::{ReplayError, ReplayOrder, Replayer};
pub use tape::{RecordMode, Tape, TapeBuilder, TapeError, RECORD_ENV, REPLAY_KEY};
