//! What a cassette file holds, and reading and writing one.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use base64::Engine as _;
use routy_core::ApiKey;
use serde::{Deserialize, Serialize};

/// The cassette format version this crate reads and writes.
pub const CASSETTE_VERSION: u32 = 1;

/// What scrubbed header values are replaced with: the one marker routy
/// leaves wherever it withholds a secret.
pub use routy_core::shown::REDACTED;

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
    pub(super) fn from_bytes(bytes: &[u8]) -> Self {
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
    #[error("cassette file {}", routy_core::shown::shown_path(path))]
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
