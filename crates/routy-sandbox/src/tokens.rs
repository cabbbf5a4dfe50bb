//! The token lifecycle of Routy's guide: issue (secret shown once, only its
//! hash kept), list, search, filter, delete, authenticate (constant-time
//! hash comparison, last-used tracking), and an optional state file.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use base64::Engine as _;
use rand::rngs::StdRng;
use rand::{RngCore, SeedableRng};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::clock::{rfc3339, rfc3339_opt};
use crate::error::SandboxError;

/// Token names are 2 to 50 characters, as in the Routy web UI.
pub const NAME_CHARS: std::ops::RangeInclusive<usize> = 2..=50;

/// The creator recorded when none is given.
pub const DEFAULT_CREATOR: &str = "sandbox";

/// The state file's format version.
const STATE_VERSION: u32 = 1;

/// What is known about a token, never its secret.
///
/// # Examples
///
/// ```
/// let sandbox = routy_sandbox::Sandbox::start()?;
/// let issued = sandbox.issue_token(routy_sandbox::NewToken::named("Reporting Script"))?;
/// assert_eq!(issued.info.name, "Reporting Script");
/// assert_eq!(issued.info.last_used_at, None);
/// # Ok::<(), routy_sandbox::SandboxError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct TokenInfo {
    /// The token's id (not a secret), e.g. `tok_0001`.
    pub id: String,
    /// Its name, 2 to 50 characters.
    pub name: String,
    /// Who created it.
    pub creator: String,
    /// When it was issued.
    #[serde(with = "rfc3339")]
    pub created_at: SystemTime,
    /// When it expires, if ever.
    #[serde(with = "rfc3339_opt", default)]
    pub expires_at: Option<SystemTime>,
    /// When it last authenticated a call, if ever.
    #[serde(with = "rfc3339_opt", default)]
    pub last_used_at: Option<SystemTime>,
}

/// A token just issued: its details and the secret, which is shown this
/// once and never stored. `Debug` does not show the secret.
#[derive(Clone)]
pub struct IssuedToken {
    /// The token's details.
    pub info: TokenInfo,
    secret: String,
}

impl IssuedToken {
    /// The secret to send as `Authorization: ApiKey <secret>`.
    ///
    /// # Examples
    ///
    /// ```
    /// let sandbox = routy_sandbox::Sandbox::start()?;
    /// let issued = sandbox.issue_token(routy_sandbox::NewToken::named("CI"))?;
    /// assert_eq!(issued.secret().len(), 44); // 32 random bytes, base64
    /// # Ok::<(), routy_sandbox::SandboxError>(())
    /// ```
    pub fn secret(&self) -> &str {
        &self.secret
    }

    /// How the sandbox's journal shows this token in an `Authorization`
    /// header: `ApiKey ` and routy's fingerprint of it (`…` and its last
    /// four characters), never the secret.
    ///
    /// # Examples
    ///
    /// ```
    /// let sandbox = routy_sandbox::Sandbox::start()?;
    /// let issued = sandbox.issue_token(routy_sandbox::NewToken::named("CI"))?;
    /// assert!(issued.journal_label().starts_with("ApiKey …"));
    /// assert!(!issued.journal_label().contains(issued.secret()));
    /// # Ok::<(), routy_sandbox::SandboxError>(())
    /// ```
    pub fn journal_label(&self) -> String {
        crate::journal::authorization_label(format!("ApiKey {}", self.secret).as_bytes())
    }
}

impl fmt::Debug for IssuedToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IssuedToken")
            .field("info", &self.info)
            .field("secret", &"[redacted]")
            .finish()
    }
}

/// What to issue.
///
/// # Examples
///
/// ```
/// use std::time::{Duration, SystemTime};
/// let new = routy_sandbox::NewToken::named("Production Integration")
///     .creator("ops@example.com")
///     .expires_at(SystemTime::now() + Duration::from_secs(86_400));
/// # let _ = new;
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct NewToken {
    /// The name, 2 to 50 characters.
    pub name: String,
    /// Who creates it; defaults to [`DEFAULT_CREATOR`].
    pub creator: Option<String>,
    /// When it expires; `None` for never.
    pub expires_at: Option<SystemTime>,
}

impl NewToken {
    /// A token called `name`, by the default creator, never expiring.
    pub fn named(name: impl Into<String>) -> Self {
        NewToken {
            name: name.into(),
            creator: None,
            expires_at: None,
        }
    }

    /// Sets the creator.
    pub fn creator(mut self, creator: impl Into<String>) -> Self {
        self.creator = Some(creator.into());
        self
    }

    /// Sets the expiry.
    pub fn expires_at(mut self, at: SystemTime) -> Self {
        self.expires_at = Some(at);
        self
    }
}

/// Which tokens to list: every set criterion must hold. The default lists
/// all tokens; build one with `..Default::default()` so new criteria added
/// later leave your code compiling.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// let filter = routy_sandbox::TokenFilter {
///     search: Some("report".into()),
///     expiring_within: Some(Duration::from_secs(7 * 86_400)),
///     ..Default::default()
/// };
/// # let _ = filter;
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TokenFilter {
    /// Names containing this, ignoring case.
    pub search: Option<String>,
    /// Created by exactly this creator.
    pub creator: Option<String>,
    /// Created at or after.
    pub created_from: Option<SystemTime>,
    /// Created at or before.
    pub created_to: Option<SystemTime>,
    /// Last used at or after.
    pub last_used_from: Option<SystemTime>,
    /// Last used at or before.
    pub last_used_to: Option<SystemTime>,
    /// Not yet expired, and expiring within this long from now.
    pub expiring_within: Option<Duration>,
    /// Used within this long before now.
    pub recently_used_within: Option<Duration>,
}

impl TokenFilter {
    fn matches(&self, info: &TokenInfo, now: SystemTime) -> bool {
        let within = |t: SystemTime, from: Option<SystemTime>, to: Option<SystemTime>| {
            from.is_none_or(|f| t >= f) && to.is_none_or(|to| t <= to)
        };
        let search_ok = self
            .search
            .as_ref()
            .is_none_or(|s| info.name.to_lowercase().contains(&s.trim().to_lowercase()));
        let creator_ok = self.creator.as_ref().is_none_or(|c| &info.creator == c);
        let created_ok = within(info.created_at, self.created_from, self.created_to);
        let used_range = self.last_used_from.is_some() || self.last_used_to.is_some();
        let used_ok = !used_range
            || info
                .last_used_at
                .is_some_and(|t| within(t, self.last_used_from, self.last_used_to));
        let expiring_ok = self
            .expiring_within
            .is_none_or(|d| info.expires_at.is_some_and(|at| at > now && at <= now + d));
        let recent_ok = self.recently_used_within.is_none_or(|d| {
            info.last_used_at
                .is_some_and(|t| now.duration_since(t).map_or(true, |ago| ago <= d))
        });
        search_ok && creator_ok && created_ok && used_ok && expiring_ok && recent_ok
    }
}

/// Why a call's token was refused; each gets its own 401 detail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AuthFailure {
    Missing,
    WrongScheme,
    Unknown,
    Deleted,
    Expired(SystemTime),
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Record {
    #[serde(flatten)]
    info: TokenInfo,
    /// SHA-256 of the secret, base64.
    hash: String,
    #[serde(with = "rfc3339_opt", default)]
    deleted_at: Option<SystemTime>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct StateFile {
    version: u32,
    next_id: u64,
    tokens: Vec<Record>,
}

/// The token table. Not synchronised: the sandbox holds it in a mutex.
pub(crate) struct Store {
    records: Vec<Record>,
    next_id: u64,
    rng: StdRng,
    state_path: Option<PathBuf>,
}

impl Store {
    /// An empty store kept in memory only.
    pub(crate) fn in_memory(seed: Option<u64>) -> Self {
        let rng = match seed {
            Some(seed) => StdRng::seed_from_u64(seed),
            None => StdRng::from_os_rng(),
        };
        Store {
            records: Vec::new(),
            next_id: 1,
            rng,
            state_path: None,
        }
    }

    /// A store, loading `state_path` when it exists.
    pub(crate) fn open(
        seed: Option<u64>,
        state_path: Option<PathBuf>,
    ) -> Result<Self, SandboxError> {
        let mut store = Store::in_memory(seed);
        store.state_path = state_path;
        if let Some(path) = &store.state_path {
            if path.exists() {
                let state = load_state(path)?;
                store.records = state.tokens;
                store.next_id = state.next_id;
            }
        }
        Ok(store)
    }

    pub(crate) fn issue(
        &mut self,
        new: NewToken,
        now: SystemTime,
    ) -> Result<IssuedToken, SandboxError> {
        let mut errors = BTreeMap::new();
        let name = new.name.trim().to_owned();
        if !NAME_CHARS.contains(&name.chars().count()) {
            errors.insert(
                "Name".to_owned(),
                vec!["The token name must be between 2 and 50 characters.".to_owned()],
            );
        }
        let creator = new
            .creator
            .map(|c| c.trim().to_owned())
            .filter(|c| !c.is_empty())
            .unwrap_or_else(|| DEFAULT_CREATOR.to_owned());
        if creator.chars().count() > 254 {
            errors.insert(
                "Creator".to_owned(),
                vec!["The creator must be at most 254 characters.".to_owned()],
            );
        }
        if new.expires_at.is_some_and(|at| at <= now) {
            errors.insert(
                "ExpiresAt".to_owned(),
                vec!["The expiry must be in the future.".to_owned()],
            );
        }
        if !errors.is_empty() {
            return Err(SandboxError::Validation(errors));
        }
        let mut secret_bytes = [0u8; 32];
        self.rng.fill_bytes(&mut secret_bytes);
        let secret = base64::engine::general_purpose::STANDARD.encode(secret_bytes);
        let info = TokenInfo {
            id: format!("tok_{:04}", self.next_id),
            name,
            creator,
            created_at: now,
            expires_at: new.expires_at,
            last_used_at: None,
        };
        self.next_id += 1;
        self.records.push(Record {
            info: info.clone(),
            hash: hash(&secret),
            deleted_at: None,
        });
        self.save()?;
        Ok(IssuedToken { info, secret })
    }

    pub(crate) fn list(&self, filter: &TokenFilter, now: SystemTime) -> Vec<TokenInfo> {
        self.records
            .iter()
            .filter(|r| r.deleted_at.is_none() && filter.matches(&r.info, now))
            .map(|r| r.info.clone())
            .collect()
    }

    /// The live (not deleted) record with this id.
    fn live(&mut self, id: &str) -> Result<&mut Record, SandboxError> {
        self.records
            .iter_mut()
            .find(|r| r.info.id == id && r.deleted_at.is_none())
            .ok_or_else(|| SandboxError::NoSuchToken(id.to_owned()))
    }

    pub(crate) fn delete(&mut self, id: &str, now: SystemTime) -> Result<(), SandboxError> {
        let record = self.live(id)?;
        // Keep a tombstone so a later call can be told "deleted", not
        // merely "unknown".
        record.deleted_at = Some(now);
        self.save()
    }

    /// Makes a live token expire at `now`: the next call with it gets the
    /// "expired" 401.
    pub(crate) fn expire(&mut self, id: &str, now: SystemTime) -> Result<(), SandboxError> {
        self.live(id)?.info.expires_at = Some(now);
        self.save()
    }

    /// Checks an `Authorization` header value and records the use.
    pub(crate) fn authenticate(
        &mut self,
        header: Option<&[u8]>,
        now: SystemTime,
    ) -> Result<TokenInfo, AuthFailure> {
        let header = header
            .map(|h| std::str::from_utf8(h).map_err(|_| AuthFailure::Unknown))
            .transpose()?;
        let header = header
            .map(str::trim)
            .filter(|h| !h.is_empty())
            .ok_or(AuthFailure::Missing)?;
        let (scheme, secret) = header.split_once(' ').ok_or(AuthFailure::WrongScheme)?;
        if !scheme.eq_ignore_ascii_case("ApiKey") {
            return Err(AuthFailure::WrongScheme);
        }
        let presented = hash(secret.trim());
        // Compare against every record without stopping early, in constant
        // time per comparison.
        let mut found = None;
        for (i, record) in self.records.iter().enumerate() {
            if bool::from(record.hash.as_bytes().ct_eq(presented.as_bytes())) {
                found = Some(i);
            }
        }
        let i = found.ok_or(AuthFailure::Unknown)?;
        let record = &mut self.records[i];
        if record.deleted_at.is_some() {
            return Err(AuthFailure::Deleted);
        }
        if let Some(at) = record.info.expires_at.filter(|at| *at <= now) {
            return Err(AuthFailure::Expired(at));
        }
        record.info.last_used_at = Some(now);
        let info = record.info.clone();
        // Last-used survives a restart only if written; a failed write must
        // not fail the call it records.
        let _ = self.save();
        Ok(info)
    }

    fn save(&self) -> Result<(), SandboxError> {
        let Some(path) = &self.state_path else {
            return Ok(());
        };
        let state = StateFile {
            version: STATE_VERSION,
            next_id: self.next_id,
            tokens: self.records.clone(),
        };
        let bytes = serde_json::to_vec_pretty(&state).map_err(|e| SandboxError::State {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        write_atomically(path, &bytes).map_err(|e| SandboxError::State {
            path: path.clone(),
            reason: e.to_string(),
        })
    }
}

fn hash(secret: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(Sha256::digest(secret.as_bytes()))
}

fn load_state(path: &Path) -> Result<StateFile, SandboxError> {
    let state_error = |reason: String| SandboxError::State {
        path: path.to_owned(),
        reason,
    };
    let bytes =
        crate::files::read_regular(path, 64 << 20).map_err(|e| state_error(e.to_string()))?;
    let state: StateFile = serde_json::from_slice(&bytes)
        .map_err(|e| state_error(format!("not a sandbox state file: {e}")))?;
    if state.version != STATE_VERSION {
        return Err(state_error(format!(
            "state file version {} is not {STATE_VERSION}",
            state.version
        )));
    }
    Ok(state)
}

/// Writes to a temporary file beside `path`, then renames it over `path`,
/// so a crash leaves the old file or the new one, never half of one.
fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let file_name = path.file_name().unwrap_or_default().to_string_lossy();
    let tmp = dir.join(format!(".{file_name}.tmp-{}", std::process::id()));
    {
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
    }
    std::fs::rename(&tmp, path)
}
