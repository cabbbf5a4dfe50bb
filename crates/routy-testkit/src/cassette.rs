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
//!         "headers": [["accept", "application/json"], ["authorization", "[REDACTED]"]],
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

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use base64::Engine as _;
use routy_core::http::{HeaderName, HeaderValue, Method, Request, Response, StatusCode};
use routy_core::{ApiKey, Transport, TransportError, TransportErrorKind};
use serde::{Deserialize, Serialize};

/// The cassette format version this crate reads and writes.
pub const CASSETTE_VERSION: u32 = 1;

/// What scrubbed header values are replaced with.
pub const REDACTED: &str = "[REDACTED]";

/// Headers scrubbed by default.
pub const DEFAULT_SCRUBBED: [&str; 4] = [
    "authorization",
    "proxy-authorization",
    "cookie",
    "set-cookie",
];

/// A recorded session: requests and the responses they got.
///
/// # Examples
///
/// ```
/// let cassette: routy_testkit::Cassette = serde_json::from_str(r#"{"version": 1, "interactions": []}"#)?;
/// assert!(cassette.interactions.is_empty());
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cassette {
    /// The format version, [`CASSETTE_VERSION`].
    pub version: u32,
    /// When it was recorded (RFC 3339, UTC), if known: what
    /// [`Tape`](crate::Tape)'s maximum age is measured from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recorded_at: Option<String>,
    /// The exchanges, in the order they happened.
    pub interactions: Vec<Interaction>,
}

/// One request and its response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Interaction {
    /// The request as sent (scrubbed).
    pub request: RecordedRequest,
    /// The response as received (scrubbed).
    pub response: RecordedResponse,
}

/// A request in a cassette.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordedRequest {
    /// The method.
    pub method: String,
    /// The full URI.
    pub uri: String,
    /// Headers in order, repeats kept.
    pub headers: Vec<(String, String)>,
    /// The body.
    #[serde(flatten)]
    pub body: RecordedBody,
}

/// A response in a cassette.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordedResponse {
    /// The status code.
    pub status: u16,
    /// Headers in order, repeats kept.
    pub headers: Vec<(String, String)>,
    /// The body.
    #[serde(flatten)]
    pub body: RecordedBody,
}

/// A body: text when it is UTF-8, base64 otherwise.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum RecordedBody {
    /// A UTF-8 body.
    #[serde(rename = "body")]
    Text(String),
    /// Any other body, base64-encoded.
    #[serde(rename = "body_base64")]
    Base64(String),
}

impl RecordedBody {
    fn from_bytes(bytes: &[u8]) -> Self {
        match std::str::from_utf8(bytes) {
            Ok(text) => RecordedBody::Text(text.to_owned()),
            Err(_) => RecordedBody::Base64(base64::engine::general_purpose::STANDARD.encode(bytes)),
        }
    }

    /// The body's bytes.
    ///
    /// # Errors
    ///
    /// [`CassetteError::Format`] when a base64 body does not decode.
    ///
    /// # Examples
    ///
    /// ```
    /// let body = routy_testkit::RecordedBody::Base64("AAE=".into());
    /// assert_eq!(body.to_bytes()?, [0, 1]);
    /// # Ok::<(), routy_testkit::CassetteError>(())
    /// ```
    pub fn to_bytes(&self) -> Result<Vec<u8>, CassetteError> {
        match self {
            RecordedBody::Text(text) => Ok(text.as_bytes().to_vec()),
            RecordedBody::Base64(encoded) => base64::engine::general_purpose::STANDARD
                .decode(encoded)
                .map_err(|e| CassetteError::Format(format!("a body_base64 does not decode: {e}"))),
        }
    }
}

/// Why a cassette could not be written or read.
///
/// # Examples
///
/// ```
/// let err = routy_testkit::Cassette::load("/no/such/cassette.json").unwrap_err();
/// assert!(matches!(err, routy_testkit::CassetteError::Io { .. }));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CassetteError {
    /// A recorded key, or any 8 bytes of one, is still in the cassette after
    /// scrubbing, in any form it can be read back from (as written, behind
    /// JSON, JavaScript, HTML or percent escapes, or as base64; see
    /// `ApiKey::found_in`), in a body, a URL or an unscrubbed header:
    /// nothing was written.
    #[error("refusing to write the cassette: a recorded api key appears in {location}")]
    SecretFound {
        /// Where: e.g. `interactions[0].response.body`.
        location: String,
    },
    /// Reading or writing the file failed.
    #[error("cassette file {}", routy_core::text::shown_path(path))]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The file is not a cassette this crate can read.
    #[error("not a valid cassette: {0}")]
    Format(String),
}

/// A transport that passes requests to `inner` and records every exchange.
///
/// # Examples
///
/// ```
/// use routy::{http, ApiKey, ClientBuilder, TransportError};
/// use routy_testkit::Recorder;
///
/// let inner = routy::transport_fn(|_req| {
///     Ok(http::Response::new(br#"[{"id": 1}]"#.to_vec()))
/// });
/// let recorder = std::sync::Arc::new(Recorder::new(inner));
/// let client = ClientBuilder::new()
///     .api_key(ApiKey::new("OaBw1+4DqFfDLXOLpWthbfp502Wc0D4tICsxNcT+aeQ=")?)
///     .build_with(recorder.clone())?;
/// client.accounts()?;
/// let cassette = recorder.cassette()?;
/// assert_eq!(cassette.interactions.len(), 1);
/// let auth = &cassette.interactions[0].request.headers.iter().find(|(k, _)| k == "authorization").unwrap().1;
/// assert_eq!(auth, "[REDACTED]");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Recorder<T> {
    inner: T,
    scrubbed: BTreeSet<String>,
    recorded_at: Option<SystemTime>,
    state: Mutex<RecorderState>,
}

#[allow(
    clippy::disallowed_methods,
    reason = "a cassette is dated by the wall clock"
)]
fn now() -> SystemTime {
    SystemTime::now()
}

#[derive(Default)]
struct RecorderState {
    interactions: Vec<Interaction>,
    /// Every API key seen in an `Authorization` header.
    secrets: BTreeSet<String>,
}

impl<T: Transport> Recorder<T> {
    /// Records through `inner`, scrubbing [`DEFAULT_SCRUBBED`] headers.
    pub fn new(inner: T) -> Self {
        Recorder {
            inner,
            scrubbed: DEFAULT_SCRUBBED.iter().map(|h| (*h).to_owned()).collect(),
            recorded_at: None,
            state: Mutex::default(),
        }
    }

    /// Dates the cassette `at` instead of the time it is written (for
    /// tests of cassette age).
    ///
    /// # Examples
    ///
    /// ```
    /// # let inner = routy::transport_fn(|_req| { Err(routy::TransportErrorKind::Connect.into()) });
    /// let recorder = routy_testkit::Recorder::new(inner).recorded_at(std::time::SystemTime::UNIX_EPOCH);
    /// assert_eq!(recorder.cassette()?.recorded_at.as_deref(), Some("1970-01-01T00:00:00Z"));
    /// # Ok::<(), routy_testkit::CassetteError>(())
    /// ```
    pub fn recorded_at(mut self, at: SystemTime) -> Self {
        self.recorded_at = Some(at);
        self
    }

    /// Also scrubs the header `name` (in requests and responses).
    ///
    /// # Examples
    ///
    /// ```
    /// # let inner = routy::transport_fn(|_req| { Err(routy::TransportErrorKind::Connect.into()) });
    /// let recorder = routy_testkit::Recorder::new(inner).scrub_header("X-Internal-Token");
    /// # let _ = recorder;
    /// ```
    pub fn scrub_header(mut self, name: &str) -> Self {
        self.scrubbed.insert(name.to_ascii_lowercase());
        self
    }

    /// The exchanges so far, scrubbed.
    ///
    /// # Errors
    ///
    /// [`CassetteError::SecretFound`] if a recorded key, or any 8 bytes of
    /// one, survived scrubbing.
    pub fn cassette(&self) -> Result<Cassette, CassetteError> {
        let state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let mut cassette = Cassette::new(state.interactions.clone());
        cassette.recorded_at = Some(
            humantime::format_rfc3339_seconds(self.recorded_at.unwrap_or_else(now)).to_string(),
        );
        check_for_secrets(&cassette, &state.secrets)?;
        Ok(cassette)
    }

    /// Writes the cassette as pretty JSON to `path`.
    ///
    /// # Errors
    ///
    /// [`CassetteError::SecretFound`] (nothing is written) or
    /// [`CassetteError::Io`].
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # let inner = routy::transport_fn(|_req| { Err(routy::TransportErrorKind::Connect.into()) });
    /// let recorder = routy_testkit::Recorder::new(inner);
    /// // ... calls through a client over the recorder ...
    /// recorder.save("tests/cassettes/accounts.json")?;
    /// # Ok::<(), routy_testkit::CassetteError>(())
    /// ```
    pub fn save(&self, path: impl AsRef<Path>) -> Result<(), CassetteError> {
        self.cassette()?.save(path)
    }

    fn record(&self, request: &Request<Vec<u8>>, response: &Response<Vec<u8>>) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        for value in request.headers().get_all("authorization") {
            if let Some(token) = value
                .to_str()
                .ok()
                .and_then(|v| v.split_once(' '))
                .map(|(_, t)| t.trim())
            {
                if !token.is_empty() {
                    state.secrets.insert(token.to_owned());
                }
            }
        }
        let headers = |map: &routy_core::http::HeaderMap| -> Vec<(String, String)> {
            map.iter()
                .map(|(name, value)| {
                    let shown = if self.scrubbed.contains(name.as_str()) {
                        REDACTED.to_owned()
                    } else {
                        String::from_utf8_lossy(value.as_bytes()).into_owned()
                    };
                    (name.to_string(), shown)
                })
                .collect()
        };
        state.interactions.push(Interaction {
            request: RecordedRequest {
                method: request.method().to_string(),
                uri: request.uri().to_string(),
                headers: headers(request.headers()),
                body: RecordedBody::from_bytes(request.body()),
            },
            response: RecordedResponse {
                status: response.status().as_u16(),
                headers: headers(response.headers()),
                body: RecordedBody::from_bytes(response.body()),
            },
        });
    }
}

impl<T: Transport> Transport for Recorder<T> {
    fn send(&self, request: Request<Vec<u8>>) -> Result<Response<Vec<u8>>, TransportError> {
        // The request is consumed by the transport; keep a copy to record.
        let mut copy = Request::new(request.body().clone());
        *copy.method_mut() = request.method().clone();
        *copy.uri_mut() = request.uri().clone();
        *copy.headers_mut() = request.headers().clone();
        let response = self.inner.send(request)?;
        self.record(&copy, &response);
        Ok(response)
    }
}

impl<T> fmt::Debug for Recorder<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        f.debug_struct("Recorder")
            .field("interactions", &state.interactions.len())
            .field("scrubbed", &self.scrubbed)
            .finish_non_exhaustive()
    }
}

fn check_for_secrets(cassette: &Cassette, secrets: &BTreeSet<String>) -> Result<(), CassetteError> {
    // As routy-core counts it, any 8 bytes of a key are a leak, in any form
    // they can be read back from: as written, behind JSON, JavaScript, HTML
    // or percent escapes (whether or not the text parses), or as base64
    // (`ApiKey::found_in`). A token that is not a valid ApiKey is searched
    // for whole.
    let keys: Vec<Result<ApiKey, &str>> = secrets
        .iter()
        .filter(|s| !s.is_empty())
        .map(|s| ApiKey::new(s).map_err(|_| s.as_str()))
        .collect();
    let found = |text: &[u8]| {
        keys.iter().any(|key| match key {
            Ok(key) => key.found_in(text),
            Err(whole) => contains(text, whole.as_bytes()),
        })
    };
    for (i, interaction) in cassette.interactions.iter().enumerate() {
        let request = &interaction.request;
        let response = &interaction.response;
        let mut places: Vec<(String, Cow<'_, [u8]>)> = vec![(
            format!("interactions[{i}].request.uri"),
            Cow::Borrowed(request.uri.as_bytes()),
        )];
        for (side, body) in [("request", &request.body), ("response", &response.body)] {
            // As written (base64 for a binary body) and as decoded.
            let written = match body {
                RecordedBody::Text(text) | RecordedBody::Base64(text) => text.as_bytes(),
            };
            places.push((
                format!("interactions[{i}].{side}.body"),
                Cow::Borrowed(written),
            ));
            places.push((
                format!("interactions[{i}].{side}.body"),
                Cow::Owned(body_bytes(body)),
            ));
        }
        for (side, headers) in [
            ("request", &request.headers),
            ("response", &response.headers),
        ] {
            for (name, value) in headers {
                let location = format!("interactions[{i}].{side}.headers.{name}");
                places.push((location.clone(), Cow::Borrowed(name.as_bytes())));
                places.push((location, Cow::Borrowed(value.as_bytes())));
            }
        }
        if let Some((location, _)) = places.into_iter().find(|(_, text)| found(text)) {
            return Err(CassetteError::SecretFound { location });
        }
    }
    // Last, the file exactly as it would be written: fail closed on
    // anything the field-by-field scan did not see.
    let written =
        serde_json::to_vec_pretty(cassette).map_err(|e| CassetteError::Format(e.to_string()))?;
    if found(&written) {
        return Err(CassetteError::SecretFound {
            location: "the cassette as written".to_owned(),
        });
    }
    Ok(())
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || haystack.windows(needle.len()).any(|w| w == needle)
}

/// The body's bytes, base64 decoded (nothing, if it does not decode).
fn body_bytes(body: &RecordedBody) -> Vec<u8> {
    body.to_bytes().unwrap_or_default()
}

impl Cassette {
    /// A cassette of these interactions, version [`CASSETTE_VERSION`], not
    /// dated.
    ///
    /// # Examples
    ///
    /// ```
    /// let cassette = routy_testkit::Cassette::new(Vec::new());
    /// assert_eq!(cassette.version, routy_testkit::CASSETTE_VERSION);
    /// ```
    pub fn new(interactions: Vec<Interaction>) -> Self {
        Cassette {
            version: CASSETTE_VERSION,
            recorded_at: None,
            interactions,
        }
    }

    /// How long before `now` it was recorded; `None` when it is not dated
    /// (or the date does not parse).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, SystemTime};
    /// let mut cassette = routy_testkit::Cassette::new(Vec::new());
    /// cassette.recorded_at = Some("1970-01-01T00:00:00Z".into());
    /// let now = SystemTime::UNIX_EPOCH + Duration::from_secs(86_400);
    /// assert_eq!(cassette.age(now), Some(Duration::from_secs(86_400)));
    /// ```
    pub fn age(&self, now: SystemTime) -> Option<Duration> {
        let at = humantime::parse_rfc3339_weak(self.recorded_at.as_deref()?).ok()?;
        Some(now.duration_since(at).unwrap_or_default())
    }

    /// Replaces the values of headers `names` (and of
    /// [`DEFAULT_SCRUBBED`]) with [`REDACTED`], in requests and responses;
    /// returns how many values changed.
    ///
    /// # Examples
    ///
    /// See [`Cassette::rescrub_file`].
    pub fn scrub_headers(&mut self, names: &[&str]) -> usize {
        let names: BTreeSet<String> = names
            .iter()
            .map(|n| n.to_ascii_lowercase())
            .chain(DEFAULT_SCRUBBED.iter().map(|n| (*n).to_owned()))
            .collect();
        let mut changed = 0;
        for interaction in &mut self.interactions {
            for headers in [
                &mut interaction.request.headers,
                &mut interaction.response.headers,
            ] {
                for (name, value) in headers.iter_mut() {
                    if names.contains(&name.to_ascii_lowercase()) && value != REDACTED {
                        REDACTED.clone_into(value);
                        changed += 1;
                    }
                }
            }
        }
        changed
    }

    /// Whether any of `keys`, or 8 bytes of one, is anywhere in the
    /// cassette, by the same fail-closed check [`Recorder::save`] makes.
    ///
    /// # Errors
    ///
    /// [`CassetteError::SecretFound`] with where.
    pub fn check_keys(&self, keys: &[ApiKey]) -> Result<(), CassetteError> {
        let secrets = keys.iter().map(|k| k.expose_secret().to_owned()).collect();
        check_for_secrets(self, &secrets)
    }

    /// Re-scrubs a cassette file: the headers `names` (a header to scrub
    /// added after it was recorded) and the defaults, then the same
    /// fail-closed check as saving, for `keys`; the file is rewritten only
    /// when the check passes. Returns how many values were scrubbed.
    ///
    /// # Errors
    ///
    /// [`CassetteError::SecretFound`] (the file is left as it was), or as
    /// [`Cassette::load`] and [`Cassette::save`].
    ///
    /// # Examples
    ///
    /// ```
    /// use routy_testkit::Cassette;
    /// let path = std::env::temp_dir().join(format!("routy-doc-rescrub-{}.json", std::process::id()));
    /// std::fs::write(&path, r#"{"version": 1, "interactions": [{
    ///     "request": {"method": "GET", "uri": "https://h.example/api/v1/accounts", "headers": [["x-internal-token", "s3cret"]], "body": ""},
    ///     "response": {"status": 200, "headers": [], "body": "[]"}}]}"#)?;
    /// let key = routy::ApiKey::new("OaBw1+4DqFfDLXOLpWthbfp502Wc0D4tICsxNcT+aeQ=")?;
    /// assert_eq!(Cassette::rescrub_file(&path, &["X-Internal-Token"], &[key])?, 1);
    /// assert!(!std::fs::read_to_string(&path)?.contains("s3cret"));
    /// # std::fs::remove_file(&path)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn rescrub_file(
        path: impl AsRef<Path>,
        names: &[&str],
        keys: &[ApiKey],
    ) -> Result<usize, CassetteError> {
        let path = path.as_ref();
        let mut cassette = Cassette::load(path)?;
        let changed = cassette.scrub_headers(names);
        cassette.check_keys(keys)?;
        cassette.save(path)?;
        Ok(changed)
    }

    /// Reads a cassette file.
    ///
    /// # Errors
    ///
    /// [`CassetteError::Io`], or [`CassetteError::Format`] for a file that
    /// is not a version-1 cassette.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, CassetteError> {
        let path = path.as_ref();
        let mut bytes = Vec::new();
        routy_core::file::read_regular(path, 1 << 30, &mut bytes).map_err(|source| {
            CassetteError::Io {
                path: path.to_owned(),
                source,
            }
        })?;
        let cassette: Cassette =
            serde_json::from_slice(&bytes).map_err(|e| CassetteError::Format(e.to_string()))?;
        if cassette.version != CASSETTE_VERSION {
            return Err(CassetteError::Format(format!(
                "version {} (this crate reads {CASSETTE_VERSION})",
                cassette.version
            )));
        }
        Ok(cassette)
    }

    /// Writes the cassette as pretty JSON.
    ///
    /// # Errors
    ///
    /// [`CassetteError::Io`].
    ///
    /// # Examples
    ///
    /// ```
    /// let path = std::env::temp_dir().join(format!("routy-doc-cassette-{}.json", std::process::id()));
    /// let cassette = routy_testkit::Cassette::new(vec![]);
    /// cassette.save(&path)?;
    /// assert_eq!(routy_testkit::Cassette::load(&path)?, cassette);
    /// # std::fs::remove_file(&path).unwrap();
    /// # Ok::<(), routy_testkit::CassetteError>(())
    /// ```
    pub fn save(&self, path: impl AsRef<Path>) -> Result<(), CassetteError> {
        let path = path.as_ref();
        let mut json =
            serde_json::to_vec_pretty(self).map_err(|e| CassetteError::Format(e.to_string()))?;
        json.push(b'\n');
        std::fs::write(path, json).map_err(|source| CassetteError::Io {
            path: path.to_owned(),
            source,
        })
    }
}

/// How a [`Replayer`] picks the interaction for a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReplayOrder {
    /// Requests must come in the recorded order.
    InOrder,
    /// Any unused interaction that matches serves the request.
    ByMatch,
}

/// A transport that answers from a cassette, with no network.
///
/// Requests are matched on method, path and query (and, with
/// [`match_body`](Self::match_body), the body). In strict mode (the
/// default) a request that does not match fails with a readable diff, and
/// [`finish`](Self::finish) reports interactions never used.
///
/// # Examples
///
/// ```
/// use routy::{ApiKey, ClientBuilder};
/// use routy_testkit::{Cassette, Replayer, ReplayOrder};
///
/// let cassette: Cassette = serde_json::from_str(r#"{"version": 1, "interactions": [{
///     "request": {"method": "GET", "uri": "https://platform.routy.app/api/v1/accounts", "headers": [], "body": ""},
///     "response": {"status": 200, "headers": [["content-type", "application/json"]], "body": "[{\"id\": 1}]"}
/// }]}"#)?;
/// let replayer = std::sync::Arc::new(Replayer::new(cassette).order(ReplayOrder::ByMatch));
/// let client = ClientBuilder::new().api_key(ApiKey::new("any")?).build_with(replayer.clone())?;
/// assert_eq!(client.accounts()?.len(), 1);
/// replayer.finish()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Replayer {
    cassette: Cassette,
    order: ReplayOrder,
    strict: bool,
    match_body: bool,
    repeats: bool,
    used: Mutex<Vec<bool>>,
}

/// A request the cassette could not answer, or interactions never used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{report}")]
pub struct ReplayError {
    report: String,
}

impl ReplayError {
    /// The full report (a diff, or the unused interactions).
    pub fn report(&self) -> &str {
        &self.report
    }
}

impl Replayer {
    /// Serves `cassette` in recorded order, strictly, not matching bodies.
    pub fn new(cassette: Cassette) -> Self {
        let used = Mutex::new(vec![false; cassette.interactions.len()]);
        Replayer {
            cassette,
            order: ReplayOrder::InOrder,
            strict: true,
            match_body: false,
            repeats: false,
            used,
        }
    }

    /// Loads and serves the cassette at `path`.
    ///
    /// # Errors
    ///
    /// As [`Cassette::load`].
    ///
    /// # Examples
    ///
    /// ```no_run
    /// let replayer = routy_testkit::Replayer::load("tests/cassettes/accounts.json")?;
    /// # let _ = replayer;
    /// # Ok::<(), routy_testkit::CassetteError>(())
    /// ```
    pub fn load(path: impl AsRef<Path>) -> Result<Self, CassetteError> {
        Ok(Self::new(Cassette::load(path)?))
    }

    /// How interactions are picked. Defaults to [`ReplayOrder::InOrder`].
    pub fn order(mut self, order: ReplayOrder) -> Self {
        self.order = order;
        self
    }

    /// Strict mode (the default): mismatches fail with a diff. Off, a
    /// request that does not match the next interaction in order is served
    /// by any unused match instead, and failing that fails without a diff.
    ///
    /// # Examples
    ///
    /// ```
    /// let replayer = routy_testkit::Replayer::new(routy_testkit::Cassette::new(vec![])).strict(false);
    /// # let _ = replayer;
    /// ```
    pub fn strict(mut self, strict: bool) -> Self {
        self.strict = strict;
        self
    }

    /// Also require the body to match. Defaults to off.
    ///
    /// # Examples
    ///
    /// ```
    /// let replayer = routy_testkit::Replayer::new(routy_testkit::Cassette::new(vec![])).match_body(true);
    /// # let _ = replayer;
    /// ```
    pub fn match_body(mut self, on: bool) -> Self {
        self.match_body = on;
        self
    }

    /// Lets a request that matches only interactions already used be
    /// answered again by the last of them (vcrpy's
    /// `allow_playback_repeats`). Identical requests are still answered in
    /// recorded order first. Defaults to off.
    ///
    /// # Examples
    ///
    /// ```
    /// use routy::{ApiKey, ClientBuilder};
    /// use routy_testkit::{Cassette, Replayer};
    ///
    /// let cassette: Cassette = serde_json::from_str(r#"{"version": 1, "interactions": [{
    ///     "request": {"method": "GET", "uri": "https://h.example/api/v1/accounts", "headers": [], "body": ""},
    ///     "response": {"status": 200, "headers": [], "body": "[]"}}]}"#)?;
    /// let replayer = std::sync::Arc::new(Replayer::new(cassette).allow_repeats(true));
    /// let client = ClientBuilder::new().api_key(ApiKey::new("any")?).build_with(replayer.clone())?;
    /// for _ in 0..3 {
    ///     assert!(client.accounts()?.is_empty());
    /// }
    /// replayer.finish()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn allow_repeats(mut self, on: bool) -> Self {
        self.repeats = on;
        self
    }

    /// Checks every interaction was used.
    ///
    /// # Errors
    ///
    /// A [`ReplayError`] listing the unused ones.
    ///
    /// # Examples
    ///
    /// ```
    /// # use routy_testkit::{Cassette, Replayer};
    /// let cassette: Cassette = serde_json::from_str(r#"{"version": 1, "interactions": [{
    ///     "request": {"method": "GET", "uri": "https://h.example/api/v1/accounts", "headers": [], "body": ""},
    ///     "response": {"status": 200, "headers": [], "body": "[]"}
    /// }]}"#)?;
    /// let err = Replayer::new(cassette).finish().unwrap_err();
    /// assert!(err.report().contains("never used: #0 GET /api/v1/accounts"));
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub fn finish(&self) -> Result<(), ReplayError> {
        let used = self.used.lock().unwrap_or_else(PoisonError::into_inner);
        let unused: Vec<String> = used
            .iter()
            .enumerate()
            .filter(|(_, used)| !**used)
            .map(|(i, _)| {
                let request = &self.cassette.interactions[i].request;
                format!("#{i} {} {}", request.method, path_and_query(&request.uri))
            })
            .collect();
        if unused.is_empty() {
            Ok(())
        } else {
            Err(ReplayError {
                report: format!(
                    "{} interaction(s) never used: {}",
                    unused.len(),
                    unused.join(", ")
                ),
            })
        }
    }

    fn matches(
        &self,
        recorded: &RecordedRequest,
        method: &Method,
        target: &str,
        body: &[u8],
    ) -> bool {
        recorded.method == method.as_str()
            && path_and_query(&recorded.uri) == target
            && (!self.match_body || recorded.body.to_bytes().is_ok_and(|b| b == body))
    }

    fn diff(
        &self,
        recorded: &RecordedRequest,
        method: &Method,
        target: &str,
        body: &[u8],
    ) -> String {
        let mut lines = vec!["request does not match the cassette:".to_owned()];
        let mut line = |what: &str, expected: &str, actual: &str| {
            if expected == actual {
                lines.push(format!("  {what}: {actual}"));
            } else {
                lines.push(format!("- {what}: {expected}"));
                lines.push(format!("+ {what}: {actual}"));
            }
        };
        line("method", &recorded.method, method.as_str());
        line("path", path_and_query(&recorded.uri), target);
        if self.match_body {
            let expected = String::from_utf8_lossy(&body_bytes(&recorded.body)).into_owned();
            line("body", &expected, &String::from_utf8_lossy(body));
        }
        lines.join("\n")
    }
}

impl Transport for Replayer {
    fn send(&self, request: Request<Vec<u8>>) -> Result<Response<Vec<u8>>, TransportError> {
        let method = request.method().clone();
        let target = request
            .uri()
            .path_and_query()
            .map_or("/", |p| p.as_str())
            .to_owned();
        let body = request.body();
        let mut used = self.used.lock().unwrap_or_else(PoisonError::into_inner);
        let pick = self.pick(&used, &method, &target, body)?;
        let Some(i) = pick else {
            let report = format!(
                "no unused interaction matches {method} {target} ({} of {} used)",
                used.iter().filter(|u| **u).count(),
                used.len()
            );
            return Err(TransportError::with_source(
                TransportErrorKind::Other,
                ReplayError { report },
            ));
        };
        used[i] = true;
        drop(used);
        build_response(&self.cassette.interactions[i].response)
            .map_err(|e| TransportError::with_source(TransportErrorKind::Other, e))
    }
}

impl Replayer {
    /// The interaction that answers the request, if any; a diff in strict
    /// in-order mode.
    fn pick(
        &self,
        used: &[bool],
        method: &Method,
        target: &str,
        body: &[u8],
    ) -> Result<Option<usize>, TransportError> {
        let next = used.iter().position(|u| !u);
        let pick = match (self.order, next) {
            (_, None) => None,
            // Repeats of an earlier request are answered again before the
            // order is held against them.
            (ReplayOrder::InOrder, Some(i))
                if self.repeats
                    && !self.matches(
                        &self.cassette.interactions[i].request,
                        method,
                        target,
                        body,
                    )
                    && self.cassette.interactions[..i]
                        .iter()
                        .any(|x| self.matches(&x.request, method, target, body)) =>
            {
                None
            }
            (ReplayOrder::InOrder, Some(i)) => {
                let recorded = &self.cassette.interactions[i].request;
                if self.matches(recorded, method, target, body) {
                    Some(i)
                } else if self.strict {
                    let diff = self.diff(recorded, method, target, body);
                    return Err(TransportError::with_source(
                        TransportErrorKind::Other,
                        ReplayError {
                            report: format!("interaction #{i}: {diff}"),
                        },
                    ));
                } else {
                    self.find_unused(used, method, target, body)
                }
            }
            (ReplayOrder::ByMatch, Some(_)) => self.find_unused(used, method, target, body),
        };
        let pick = pick.or_else(|| {
            // Every match used: with repeats allowed, the last one again.
            self.repeats
                .then(|| {
                    self.cassette.interactions.iter().rposition(|interaction| {
                        self.matches(&interaction.request, method, target, body)
                    })
                })
                .flatten()
                .filter(|i| used[*i])
        });
        Ok(pick)
    }

    fn find_unused(
        &self,
        used: &[bool],
        method: &Method,
        target: &str,
        body: &[u8],
    ) -> Option<usize> {
        self.cassette
            .interactions
            .iter()
            .enumerate()
            .find(|(i, interaction)| {
                !used[*i] && self.matches(&interaction.request, method, target, body)
            })
            .map(|(i, _)| i)
    }
}

fn build_response(recorded: &RecordedResponse) -> Result<Response<Vec<u8>>, CassetteError> {
    let mut response = Response::new(recorded.body.to_bytes()?);
    *response.status_mut() = StatusCode::from_u16(recorded.status)
        .map_err(|_| CassetteError::Format(format!("status {} is not valid", recorded.status)))?;
    for (name, value) in &recorded.headers {
        let name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| CassetteError::Format(format!("header name {name:?} is not valid")))?;
        let value = HeaderValue::from_str(value)
            .map_err(|_| CassetteError::Format(format!("header {name} has an invalid value")))?;
        response.headers_mut().append(name, value);
    }
    Ok(response)
}

/// The path and query of a recorded URI (the whole string if it does not
/// parse).
fn path_and_query(uri: &str) -> &str {
    let after_scheme = uri.find("://").map_or(uri, |i| &uri[i + 3..]);
    after_scheme.find('/').map_or("/", |i| &after_scheme[i..])
}
