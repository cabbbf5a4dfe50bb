//! Record or replay with one switch: a [`Tape`] is a transport that
//! replays a cassette file, or records one through a live transport, as
//! the [`RecordMode`] (in code, or `ROUTY_RECORD`) and the cassette's age
//! decide.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use routy_core::http::{Request, Response};
use routy_core::{ApiKey, KeyError, Transport, TransportError};

use super::format::{Cassette, CassetteError};
use super::record::Recorder;
use super::replay::{ReplayError, ReplayOrder, Replayer};

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
///
/// A mode set in code ([`TapeBuilder::mode`]) is a developer's: on CI
/// (`CI` set to anything but `false` or `0`) [`Missing`](Self::Missing)
/// and [`All`](Self::All) replay only, so a `.mode(RecordMode::Missing)`
/// left in a test never records there. A test that records on CI on
/// purpose (against a local server that CI has, such as the sandbox)
/// says so by name: [`MissingEvenOnCi`](Self::MissingEvenOnCi) or
/// [`AllEvenOnCi`](Self::AllEvenOnCi). `ROUTY_RECORD` set on CI is taken
/// at its word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RecordMode {
    /// Replay only; a missing or too old cassette is an error.
    /// `ROUTY_RECORD=none` (or `replay`); the default when `CI` is set.
    Replay,
    /// Record when the cassette is missing or too old, else replay.
    /// `ROUTY_RECORD=missing`; the default otherwise. Set in code, on CI
    /// it replays only.
    Missing,
    /// Record every cassette again. `ROUTY_RECORD=all`. Set in code, on
    /// CI it replays only.
    All,
    /// [`Missing`](Self::Missing), on CI too.
    MissingEvenOnCi,
    /// [`All`](Self::All), on CI too.
    AllEvenOnCi,
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
            return Ok(if on_ci() {
                RecordMode::Replay
            } else {
                RecordMode::Missing
            });
        }
        RecordMode::parse(&value).ok_or(TapeError::Mode(value))
    }

    /// The mode a tape set to `self` in code runs in, `on_ci` or not.
    fn in_code(self, on_ci: bool) -> Self {
        match self {
            RecordMode::Missing | RecordMode::All if on_ci => RecordMode::Replay,
            RecordMode::MissingEvenOnCi => RecordMode::Missing,
            RecordMode::AllEvenOnCi => RecordMode::All,
            mode => mode,
        }
    }
}

/// Whether this runs on CI: `CI` set to anything but `false` or `0`.
fn on_ci() -> bool {
    let ci = std::env::var("CI").unwrap_or_default();
    !ci.is_empty() && ci != "false" && ci != "0"
}

/// Where a recording takes its key from, as a message names it.
fn key_source(key_env: &str, key_given: bool) -> String {
    if key_given {
        "the key given to TapeBuilder::api_key".to_owned()
    } else {
        format!("a real key in {}", routy_core::shown::mask_tokens(key_env))
    }
}

/// Why a [`Tape`] could not start or finish.
///
/// # Examples
///
/// ```
/// use routy_testkit::{RecordMode, Tape, TapeError};
/// let err = Tape::builder("/no/such/cassette.json").mode(RecordMode::Replay).open(|| unreachable_transport()).unwrap_err();
/// assert!(matches!(err, TapeError::Missing { .. }));
/// assert!(err.to_string().contains("ROUTY_RECORD=missing"));
/// # fn unreachable_transport() -> routy::TransportFn<fn(routy::http::Request<Vec<u8>>) -> Result<routy::http::Response<Vec<u8>>, routy::TransportError>> {
/// #     routy::transport_fn(|_| Err(routy::TransportErrorKind::Connect.into()))
/// # }
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TapeError {
    /// `ROUTY_RECORD` names no mode.
    #[error("{RECORD_ENV}={:?} is not a record mode: use none, missing or all", routy_core::shown::mask_tokens(.0))]
    Mode(String),
    /// Replay only, and there is no cassette.
    #[error(
        "no cassette at {}: record it with {RECORD_ENV}=missing (and {key})",
        routy_core::shown::shown_path(path)
    )]
    Missing {
        /// The cassette.
        path: PathBuf,
        /// Where recording takes its key from, in words.
        key: String,
    },
    /// Replay only, and the cassette is older than the maximum age.
    #[error("the cassette {} was recorded {} ago, past its maximum age of {}: record it again with {RECORD_ENV}=all (and {key})", routy_core::shown::shown_path(path), days(*age), days(*max_age))]
    Stale {
        /// The cassette.
        path: PathBuf,
        /// How old it is.
        age: Duration,
        /// The most it may be.
        max_age: Duration,
        /// Where recording takes its key from, in words.
        key: String,
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
    key: Option<ApiKey>,
    on_ci: Option<bool>,
}

impl TapeBuilder {
    /// Reads the real key for recording from `var` instead of
    /// `ROUTY_API_KEY`.
    pub fn key_env(mut self, var: &str) -> Self {
        var.clone_into(&mut self.key_env);
        self
    }

    /// Records with `key` rather than one read from the environment: for
    /// a test that records against a local server with a key it made
    /// (no `std::env::set_var`, which races other tests).
    ///
    /// # Examples
    ///
    /// ```
    /// use routy_testkit::{RecordMode, Tape};
    ///
    /// let path = std::env::temp_dir().join("routy-doc-tape-key.json");
    /// # let _ = std::fs::remove_file(&path);
    /// let tape = Tape::builder(&path)
    ///     .mode(RecordMode::MissingEvenOnCi)
    ///     .api_key(routy::ApiKey::new("a-key-the-test-made")?)
    ///     .open(|| routy::transport_fn(|_req| Ok(routy::http::Response::new(b"[]".to_vec()))))?;
    /// assert!(tape.is_recording());
    /// assert_eq!(tape.api_key()?.expose_secret(), "a-key-the-test-made");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn api_key(mut self, key: ApiKey) -> Self {
        self.key = Some(key);
        self
    }

    /// Record or replay as `mode` says, instead of `ROUTY_RECORD` (see
    /// [`RecordMode`] for what a mode set in code does on CI).
    pub fn mode(mut self, mode: RecordMode) -> Self {
        self.mode = Some(mode);
        self
    }

    /// Runs as on CI (or not) whatever the `CI` variable says: for tests
    /// of the rule, which should not set a process-wide variable.
    pub fn on_ci(mut self, on_ci: bool) -> Self {
        self.on_ci = Some(on_ci);
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
            Some(mode) => mode.in_code(self.on_ci.unwrap_or_else(on_ci)),
            None => RecordMode::from_env()?,
        };
        #[allow(clippy::disallowed_methods, reason = "a cassette's age is wall time")]
        let now = self.now.unwrap_or_else(SystemTime::now);
        let record = match mode {
            RecordMode::All | RecordMode::AllEvenOnCi => true,
            RecordMode::Replay | RecordMode::Missing | RecordMode::MissingEvenOnCi => {
                match self.replayable(now)? {
                    Ok(()) => false,
                    Err(why) if mode != RecordMode::Replay => {
                        let _ = why;
                        true
                    }
                    Err(why) => return Err(why),
                }
            }
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
            key: self.key,
            inner,
        })
    }

    /// `Ok(Ok(()))` when the cassette can be replayed, `Ok(Err(why))`
    /// when it is missing or too old.
    fn replayable(&self, now: SystemTime) -> Result<Result<(), TapeError>, TapeError> {
        let key = key_source(&self.key_env, self.key.is_some());
        if !self.path.exists() {
            return Ok(Err(TapeError::Missing {
                path: self.path.clone(),
                key,
            }));
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
                key,
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
    key: Option<ApiKey>,
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
            key: None,
            on_ci: None,
        }
    }

    /// Whether it is recording (else replaying).
    pub fn is_recording(&self) -> bool {
        matches!(self.inner, Inner::Recording(_))
    }

    /// The key to build the client with: when recording, the one given
    /// to [`TapeBuilder::api_key`] or the real one from `ROUTY_API_KEY`
    /// (or [`TapeBuilder::key_env`]); [`REPLAY_KEY`] when replaying.
    ///
    /// # Errors
    ///
    /// [`TapeError::NoKey`] when recording without a usable
    /// `ROUTY_API_KEY`.
    pub fn api_key(&self) -> Result<ApiKey, TapeError> {
        let no_key = |source| TapeError::NoKey {
            path: self.path.clone(),
            source,
        };
        match (&self.inner, &self.key) {
            (Inner::Recording(_), Some(key)) => Ok(key.clone()),
            (Inner::Recording(_), None) => ApiKey::from_env_var(&self.key_env).map_err(no_key),
            (Inner::Replaying(_), _) => ApiKey::new(REPLAY_KEY).map_err(no_key),
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
