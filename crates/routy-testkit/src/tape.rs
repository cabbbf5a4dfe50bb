//! Record or replay with one switch: a [`Tape`] is a transport that
//! replays a cassette file, or records one through a live transport, as
//! the [`RecordMode`] (in code, or `ROUTY_RECORD`) and the cassette's age
//! decide.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use routy_core::http::{Request, Response};
use routy_core::{ApiKey, KeyError, Transport, TransportError};

use crate::{Cassette, CassetteError, Recorder, ReplayError, ReplayOrder, Replayer};

/// The environment variable that picks the [`RecordMode`].
pub const RECORD_ENV: &str = "ROUTY_RECORD";

/// The key a replaying tape hands out: replay never needs a real one.
pub const REPLAY_KEY: &str = "replayed-cassette-needs-no-key";

/// When a [`Tape`] records.
///
/// # Examples
///
/// ```
/// use routy_testkit::RecordMode;
/// assert_eq!(RecordMode::parse("missing"), Some(RecordMode::Missing));
/// assert_eq!(RecordMode::parse("all"), Some(RecordMode::All));
/// assert_eq!(RecordMode::parse("none"), Some(RecordMode::Replay));
/// assert_eq!(RecordMode::parse("sometimes"), None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordMode {
    /// Replay only; a missing or too old cassette is an error.
    /// `ROUTY_RECORD=none` (or `replay`); the default when `CI` is set.
    Replay,
    /// Record when the cassette is missing or too old, else replay.
    /// `ROUTY_RECORD=missing`; the default otherwise.
    Missing,
    /// Record every cassette again. `ROUTY_RECORD=all`.
    All,
}

impl RecordMode {
    /// The mode a value of `ROUTY_RECORD` names.
    pub fn parse(value: &str) -> Option<Self> {
        match value.trim().to_ascii_lowercase().as_str() {
            "none" | "replay" => Some(RecordMode::Replay),
            "missing" | "new" | "once" => Some(RecordMode::Missing),
            "all" => Some(RecordMode::All),
            _ => None,
        }
    }

    /// The mode `ROUTY_RECORD` names; unset or empty, [`Replay`](Self::Replay)
    /// when `CI` is set (to anything but `false` or `0`) and
    /// [`Missing`](Self::Missing) otherwise.
    ///
    /// # Errors
    ///
    /// [`TapeError::Mode`] for a value that names no mode.
    pub fn from_env() -> Result<Self, TapeError> {
        let value = std::env::var(RECORD_ENV).unwrap_or_default();
        if value.trim().is_empty() {
            let ci = std::env::var("CI").unwrap_or_default();
            let on_ci = !ci.is_empty() && ci != "false" && ci != "0";
            return Ok(if on_ci {
                RecordMode::Replay
            } else {
                RecordMode::Missing
            });
        }
        RecordMode::parse(&value).ok_or(TapeError::Mode(value))
    }
}

/// Why a [`Tape`] could not start or finish.
///
/// # Examples
///
/// ```
/// use routy_testkit::{RecordMode, Tape, TapeError};
/// let err = Tape::builder("/no/such/cassette.json").mode(RecordMode::Replay).open(|| unreachable_transport()).unwrap_err();
/// assert!(matches!(err, TapeError::Missing(_)));
/// assert!(err.to_string().contains("ROUTY_RECORD=missing"));
/// # fn unreachable_transport() -> routy::TransportFn<fn(routy::http::Request<Vec<u8>>) -> Result<routy::http::Response<Vec<u8>>, routy::TransportError>> {
/// #     routy::transport_fn(|_| Err(routy::TransportErrorKind::Connect.into()))
/// # }
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TapeError {
    /// `ROUTY_RECORD` names no mode.
    #[error("{RECORD_ENV}={:?} is not a record mode: use none, missing or all", routy_core::text::mask_tokens(.0))]
    Mode(String),
    /// Replay only, and there is no cassette.
    #[error("no cassette at {}: record it with {RECORD_ENV}=missing (and a real key in ROUTY_API_KEY)", routy_core::text::shown_path(.0))]
    Missing(PathBuf),
    /// Replay only, and the cassette is older than the maximum age.
    #[error("the cassette {} was recorded {} ago, past its maximum age of {}: record it again with {RECORD_ENV}=all (and a real key in ROUTY_API_KEY)", routy_core::text::shown_path(path), days(*age), days(*max_age))]
    Stale {
        /// The cassette.
        path: PathBuf,
        /// How old it is.
        age: Duration,
        /// The most it may be.
        max_age: Duration,
    },
    /// Recording needs a real key, and there is none.
    #[error("recording {} needs a real api key", path.display())]
    NoKey {
        /// The cassette.
        path: PathBuf,
        /// Why the key could not be had.
        #[source]
        source: KeyError,
    },
    /// Reading or writing the cassette failed (a key survived scrubbing
    /// included: nothing was written).
    #[error(transparent)]
    Cassette(#[from] CassetteError),
    /// Replay ended with interactions never used.
    #[error(transparent)]
    Unused(#[from] ReplayError),
}

fn days(d: Duration) -> String {
    let days = d.as_secs() / 86_400;
    if days >= 1 {
        format!("{days} day(s)")
    } else {
        format!("{} hour(s)", d.as_secs() / 3600)
    }
}

/// Opens a [`Tape`]: the cassette's path, the mode, a maximum age.
///
/// # Examples
///
/// See [`Tape`].
#[derive(Debug, Clone)]
pub struct TapeBuilder {
    path: PathBuf,
    mode: Option<RecordMode>,
    max_age: Option<Duration>,
    order: ReplayOrder,
    repeats: bool,
    scrub: Vec<String>,
    now: Option<SystemTime>,
    key_env: String,
}

impl TapeBuilder {
    /// Reads the real key for recording from `var` instead of
    /// `ROUTY_API_KEY`.
    pub fn key_env(mut self, var: &str) -> Self {
        var.clone_into(&mut self.key_env);
        self
    }

    /// Record or replay as `mode` says, instead of `ROUTY_RECORD`.
    pub fn mode(mut self, mode: RecordMode) -> Self {
        self.mode = Some(mode);
        self
    }

    /// A cassette older than `age` is not replayed: replay-only fails
    /// with a message that says to re-record, record-missing records it
    /// again. An undated cassette counts as too old.
    pub fn max_age(mut self, age: Duration) -> Self {
        self.max_age = Some(age);
        self
    }

    /// How replayed interactions are picked (default
    /// [`ReplayOrder::InOrder`]); identical requests are answered in the
    /// order recorded either way.
    pub fn order(mut self, order: ReplayOrder) -> Self {
        self.order = order;
        self
    }

    /// Lets replay answer a repeated request with its last recording
    /// again ([`Replayer::allow_repeats`]).
    pub fn allow_repeats(mut self, on: bool) -> Self {
        self.repeats = on;
        self
    }

    /// Also scrubs header `name` when recording.
    pub fn scrub_header(mut self, name: &str) -> Self {
        self.scrub.push(name.to_owned());
        self
    }

    /// Measures the cassette's age from `now` rather than the system
    /// clock (for tests of the age rule).
    pub fn now(mut self, now: SystemTime) -> Self {
        self.now = Some(now);
        self
    }

    /// Opens the tape: replays the cassette, or records one through the
    /// transport `live` makes (called only when recording).
    ///
    /// # Errors
    ///
    /// [`TapeError::Mode`], [`TapeError::Missing`] or [`TapeError::Stale`]
    /// in replay-only mode, or the cassette could not be read.
    pub fn open<T: Transport + 'static>(self, live: impl FnOnce() -> T) -> Result<Tape, TapeError> {
        let mode = match self.mode {
            Some(mode) => mode,
            None => RecordMode::from_env()?,
        };
        #[allow(clippy::disallowed_methods, reason = "a cassette's age is wall time")]
        let now = self.now.unwrap_or_else(SystemTime::now);
        let record = match mode {
            RecordMode::All => true,
            RecordMode::Replay | RecordMode::Missing => match self.replayable(now)? {
                Ok(()) => false,
                Err(why) if mode == RecordMode::Missing => {
                    let _ = why;
                    true
                }
                Err(why) => return Err(why),
            },
        };
        let inner = if record {
            let mut recorder = Recorder::new(Box::new(live()) as Box<dyn Transport>);
            for name in &self.scrub {
                recorder = recorder.scrub_header(name);
            }
            if let Some(at) = self.now {
                recorder = recorder.recorded_at(at);
            }
            Inner::Recording(recorder)
        } else {
            let replayer = Replayer::load(&self.path)?
                .order(self.order)
                .allow_repeats(self.repeats);
            Inner::Replaying(replayer)
        };
        Ok(Tape {
            path: self.path,
            key_env: self.key_env,
            inner,
        })
    }

    /// `Ok(Ok(()))` when the cassette can be replayed, `Ok(Err(why))`
    /// when it is missing or too old.
    fn replayable(&self, now: SystemTime) -> Result<Result<(), TapeError>, TapeError> {
        if !self.path.exists() {
            return Ok(Err(TapeError::Missing(self.path.clone())));
        }
        let Some(max_age) = self.max_age else {
            return Ok(Ok(()));
        };
        let cassette = Cassette::load(&self.path)?;
        let age = cassette.age(now).unwrap_or(Duration::MAX);
        if age > max_age {
            return Ok(Err(TapeError::Stale {
                path: self.path.clone(),
                age,
                max_age,
            }));
        }
        Ok(Ok(()))
    }
}

/// A transport that replays a cassette file or records one, by mode: the
/// one constructor a test needs.
///
/// ```no_run
/// use std::sync::Arc;
/// use std::time::Duration;
/// use routy_testkit::Tape;
///
/// // ROUTY_RECORD=missing (the default off CI) records the cassette if it is
/// // missing or older than 30 days, with the real key in ROUTY_API_KEY;
/// // on CI (or ROUTY_RECORD=none) it only replays, with no key at all.
/// let tape = Arc::new(
///     Tape::builder("tests/cassettes/accounts.json")
///         .max_age(Duration::from_secs(30 * 86_400))
///         .open(routy::UreqTransport::new)?,
/// );
/// let client = routy::ClientBuilder::new()
///     .api_key(tape.api_key()?)
///     .build_with(tape.clone())?;
/// let accounts = client.accounts()?;
/// # let _ = accounts;
/// tape.finish()?; // saves what was recorded, or checks every interaction was used
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Tape {
    path: PathBuf,
    key_env: String,
    inner: Inner,
}

enum Inner {
    Recording(Recorder<Box<dyn Transport>>),
    Replaying(Replayer),
}

impl fmt::Debug for Tape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tape")
            .field("path", &self.path)
            .field("recording", &self.is_recording())
            .finish()
    }
}

impl Tape {
    /// A builder for the cassette at `path`.
    pub fn builder(path: impl AsRef<Path>) -> TapeBuilder {
        TapeBuilder {
            path: path.as_ref().to_owned(),
            mode: None,
            max_age: None,
            order: ReplayOrder::InOrder,
            repeats: false,
            scrub: Vec::new(),
            now: None,
            key_env: routy_core::API_KEY_ENV.to_owned(),
        }
    }

    /// Whether it is recording (else replaying).
    pub fn is_recording(&self) -> bool {
        matches!(self.inner, Inner::Recording(_))
    }

    /// The key to build the client with: the real one from
    /// `ROUTY_API_KEY` (or [`TapeBuilder::key_env`]) when recording, [`REPLAY_KEY`] when replaying.
    ///
    /// # Errors
    ///
    /// [`TapeError::NoKey`] when recording without a usable
    /// `ROUTY_API_KEY`.
    pub fn api_key(&self) -> Result<ApiKey, TapeError> {
        match self.inner {
            Inner::Recording(_) => {
                ApiKey::from_env_var(&self.key_env).map_err(|source| TapeError::NoKey {
                    path: self.path.clone(),
                    source,
                })
            }
            Inner::Replaying(_) => {
                Ok(ApiKey::new(REPLAY_KEY).map_err(|source| TapeError::NoKey {
                    path: self.path.clone(),
                    source,
                })?)
            }
        }
    }

    /// Ends the tape: a recording is saved (scrubbed, refused if a key
    /// survived); a replay checks every interaction was used.
    ///
    /// # Errors
    ///
    /// [`TapeError::Cassette`] or [`TapeError::Unused`].
    pub fn finish(&self) -> Result<(), TapeError> {
        match &self.inner {
            Inner::Recording(recorder) => {
                if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir).map_err(|source| CassetteError::Io {
                        path: dir.to_owned(),
                        source,
                    })?;
                }
                Ok(recorder.save(&self.path)?)
            }
            Inner::Replaying(replayer) => Ok(replayer.finish()?),
        }
    }
}

impl Transport for Tape {
    fn send(&self, request: Request<Vec<u8>>) -> Result<Response<Vec<u8>>, TransportError> {
        match &self.inner {
            Inner::Recording(recorder) => recorder.send(request),
            Inner::Replaying(replayer) => replayer.send(request),
        }
    }
}
