//! Named profiles, one per integration: the same setup for a program
//! (`routy::profile`, feature `profiles` of routy) and for the `routy`
//! command.
//!
//! A TOML file in the platform's config directory (`$XDG_CONFIG_HOME` or
//! `~/.config` on Linux, `~/Library/Application Support` on macOS,
//! `%APPDATA%` on Windows), `routy/config.toml`, or the file
//! `ROUTY_CONFIG` names. Each profile says where its key comes from, never
//! the key itself:
//!
//! ```toml
//! [profiles.reporting]
//! base_url = "https://platform.routy.app/api"
//! api_key_command = ["pass", "show", "routy/reporting"]  # its stdout is the key
//!
//! [profiles.billing-sync]
//! api_key_file = "~/.config/routy/billing-sync.txt"      # the downloaded .txt
//!
//! [profiles.ci]
//! api_key_env = "ROUTY_CI_KEY"                           # an environment variable
//! ca_file = "/usr/local/share/ca-certificates/corp-root.pem"
//! ```
//!
//! Members: `base_url`, `ca_file`, exactly one of `api_key_command` (a
//! program and its arguments, run without a shell), `api_key_file` or
//! `api_key_env`, and `api_key_command_timeout` (seconds, default 10, at
//! most 3600). A
//! relative path is read from the config file's folder, `~/` from the
//! home folder. A literal `api_key` is refused, and so is any other
//! member.
//!
//! This crate reads the environment (`ROUTY_CONFIG`, `ROUTY_PROFILE`, a
//! profile's `api_key_env`), files, and runs a profile's key command; it
//! is the only part of routy that starts a process (routy-core starts
//! none). The command's
//! timeout is kept with the `wait-timeout` crate, which on Unix installs a
//! `SIGCHLD` handler (chained to any earlier one) the first time a key
//! command runs.
//!
//! ```
//! use routy::profile::{ClientBuilderExt as _, Profiles};
//!
//! let dir = std::env::temp_dir().join(format!("routy-profile-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir)?;
//! std::fs::write(dir.join("reporting.txt"), "OaBw1+4DqFfDLXOLpWthbfp502Wc0D4tICsxNcT+aeQ=\n")?;
//! std::fs::write(
//!     dir.join("config.toml"),
//!     "[profiles.reporting]\nbase_url = \"http://127.0.0.1:8080/api\"\napi_key_file = \"reporting.txt\"\n",
//! )?;
//! let profiles = Profiles::load_from(dir.join("config.toml"))?;
//! let reporting = profiles.get("reporting")?;
//! assert_eq!(reporting.key_source().to_string(), format!("file {}", dir.join("reporting.txt").display()));
//! let client = routy::Client::builder().profile(reporting).build()?;
//! assert_eq!(client.config().base_url().to_string(), "http://127.0.0.1:8080/api");
//! # std::fs::remove_dir_all(&dir)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use serde::Deserialize;
use wait_timeout::ChildExt as _;
use zeroize::Zeroizing;

use routy_core::defaults::MAX_KEY_LEN;
use routy_core::shown::{mask_tokens, shown_path, user_text};
use routy_core::{ApiKey, ClientBuilder, KeyError};

/// The variable that names the config file, over the platform's default.
pub const CONFIG_ENV: &str = "ROUTY_CONFIG";

/// The variable that names the profile to use when the program does not.
pub const PROFILE_ENV: &str = "ROUTY_PROFILE";

/// The profile used when none is named, if the config file has one.
pub const DEFAULT_PROFILE: &str = "default";

/// How long a key command may run unless its profile says otherwise.
pub const DEFAULT_COMMAND_TIMEOUT: Duration = Duration::from_secs(10);

/// The longest a key command may be given (an hour: time to unlock a
/// password manager by hand, not a hang).
const MAX_COMMAND_TIMEOUT_SECS: u64 = 3600;

/// The largest config file read.
const MAX_CONFIG_BYTES: u64 = 1024 * 1024;

/// The most of a key command's line a message shows.
const COMMAND_SHOWN: usize = 300;

/// How much of a failed key command's stderr an error keeps.
const STDERR_KEPT: usize = 300;

/// The profiles of one config file.
///
/// # Examples
///
/// ```
/// let profiles = routy::profile::Profiles::from_toml(
///     "[profiles.ci]\napi_key_env = \"ROUTY_CI_KEY\"\n",
///     "/etc/routy/config.toml",
/// )?;
/// assert_eq!(profiles.names().collect::<Vec<_>>(), ["ci"]);
/// assert!(profiles.get("nightly").is_err());
/// # Ok::<(), routy::profile::ProfileError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Profiles {
    path: PathBuf,
    /// Whether the file existed (a missing default file is no profiles).
    found: bool,
    profiles: BTreeMap<String, Profile>,
}

/// One profile: where its key comes from, and optionally a base URL and
/// a CA file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    name: String,
    base_url: Option<String>,
    ca_file: Option<PathBuf>,
    key: KeySource,
}

/// Where a profile's key comes from. `Display` names it without the key
/// ("command `pass show routy/reporting`", "file /path", "environment
/// variable ROUTY_CI_KEY").
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeySource {
    /// A program and its arguments, run without a shell; its stdout (one
    /// line, trailing newline trimmed) is the key.
    Command {
        /// The program, then its arguments.
        argv: Vec<String>,
        /// How long it may run before it is killed.
        timeout: Duration,
    },
    /// A file that holds the key.
    File(PathBuf),
    /// An environment variable that holds the key.
    Env(String),
}

/// A config file, profile or key command that cannot be used. No message
/// holds a key: a key command's stderr is kept only in part, with anything
/// that looks like a token masked.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProfileError {
    /// The config file could not be read.
    #[error("cannot read the routy config file {}", shown_path(path))]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The config file is not valid: bad TOML, an unknown member, a value
    /// of the wrong type.
    #[error("invalid routy config file {}: {message}", shown_path(path))]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong, and where (no value from the file is quoted).
        message: String,
    },
    /// A profile holds the key itself.
    #[error(
        "profile {} in {} holds an api key in plain text; remove it and name where the \
         key is kept instead: api_key_command (a password manager), api_key_file or api_key_env",
        name(profile),
        shown_path(path)
    )]
    LiteralKey {
        /// The file.
        path: PathBuf,
        /// The profile.
        profile: String,
    },
    /// A profile names no key source, or more than one.
    #[error(
        "profile {} in {} must name exactly one of api_key_command, api_key_file and \
         api_key_env",
        name(profile),
        shown_path(path)
    )]
    KeySources {
        /// The file.
        path: PathBuf,
        /// The profile.
        profile: String,
    },
    /// No profile of that name.
    #[error("no profile {} in {}{}", self::name(name), shown_path(path), known_names(known, *found))]
    Missing {
        /// The name asked for.
        name: String,
        /// The file looked in.
        path: PathBuf,
        /// Whether that file exists.
        found: bool,
        /// The profiles it has.
        known: Vec<String>,
    },
    /// No profile was named (`ROUTY_PROFILE` included) and the file has
    /// none called `default`.
    #[error(
        "no profile was named (ROUTY_PROFILE is not set) and {} has no \"default\" profile",
        shown_path(path)
    )]
    NoneSelected {
        /// The file looked in.
        path: PathBuf,
    },
    /// The platform has no config directory (no home folder) and
    /// `ROUTY_CONFIG` is not set.
    #[error("no config directory on this system; set ROUTY_CONFIG to the config file's path")]
    NoConfigDir,
    /// The key command could not be started.
    #[error(
        "cannot run the api key command `{command}` of profile {}",
        name(profile)
    )]
    CommandStart {
        /// The profile.
        profile: String,
        /// The command, as written in the profile.
        command: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The key command failed.
    #[error(
        "the api key command `{command}` of profile {} failed ({status}){}",
        name(profile),
        stderr_part(stderr)
    )]
    CommandFailed {
        /// The profile.
        profile: String,
        /// The command.
        command: String,
        /// How it ended.
        status: String,
        /// The last line of its stderr, bounded, anything token-like masked.
        stderr: String,
    },
    /// The key command ran past its timeout and was killed.
    #[error(
        "the api key command `{command}` of profile {} did not finish in {timeout:?} \
         (api_key_command_timeout)",
        name(profile)
    )]
    CommandTimedOut {
        /// The profile.
        profile: String,
        /// The command.
        command: String,
        /// Its timeout.
        timeout: Duration,
    },
    /// The key command printed nothing, or not a key.
    #[error(
        "the api key command `{command}` of profile {} printed {what}",
        name(profile)
    )]
    CommandOutput {
        /// The profile.
        profile: String,
        /// The command.
        command: String,
        /// What was wrong with it ("nothing", "more than one line" …).
        what: &'static str,
    },
    /// The key the profile's source gave is not a valid key.
    #[error(
        "profile {}: the key from its {source_name} is not valid",
        name(profile)
    )]
    Key {
        /// The profile.
        profile: String,
        /// Its key source, named.
        source_name: String,
        /// What is wrong with the key.
        #[source]
        source: KeyError,
    },
}

/// The member list of a profile in the file.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    profiles: BTreeMap<String, RawProfile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProfile {
    base_url: Option<String>,
    ca_file: Option<PathBuf>,
    api_key_command: Option<Vec<String>>,
    api_key_command_timeout: Option<u64>,
    api_key_file: Option<PathBuf>,
    api_key_env: Option<String>,
    /// Refused: read only to say so (its value is never looked at).
    api_key: Option<serde::de::IgnoredAny>,
}

impl Profiles {
    /// The config file's path: `ROUTY_CONFIG` if set (and not empty), else
    /// `routy/config.toml` in the platform's config directory.
    ///
    /// # Errors
    ///
    /// [`ProfileError::NoConfigDir`] when neither exists.
    pub fn default_path() -> Result<PathBuf, ProfileError> {
        match std::env::var_os(CONFIG_ENV).filter(|p| !p.is_empty()) {
            Some(path) => Ok(PathBuf::from(path)),
            None => dirs::config_dir()
                .map(|dir| dir.join("routy").join("config.toml"))
                .ok_or(ProfileError::NoConfigDir),
        }
    }

    /// The profiles of the [default file](Self::default_path). A missing
    /// file is no profiles, unless `ROUTY_CONFIG` named it.
    ///
    /// # Errors
    ///
    /// The file cannot be read or is not valid.
    pub fn load() -> Result<Self, ProfileError> {
        let path = Self::default_path()?;
        let named = std::env::var_os(CONFIG_ENV).is_some_and(|p| !p.is_empty());
        match std::fs::metadata(&path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !named => Ok(Profiles {
                path,
                found: false,
                profiles: BTreeMap::new(),
            }),
            _ => Self::load_from(path),
        }
    }

    /// The profiles of the file at `path`.
    ///
    /// # Errors
    ///
    /// The file cannot be read (or is over 1 MiB), or is not valid.
    pub fn load_from(path: impl AsRef<Path>) -> Result<Self, ProfileError> {
        let path = path.as_ref();
        let read = |source| ProfileError::Read {
            path: path.to_owned(),
            source,
        };
        let mut bytes = Vec::new();
        routy_core::file::read_regular(path, MAX_CONFIG_BYTES, &mut bytes).map_err(read)?;
        let text = String::from_utf8(bytes).map_err(|_| {
            read(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "not UTF-8 text",
            ))
        })?;
        Self::from_toml(&text, path)
    }

    /// The profiles of `text`, a config file's content read from `path`
    /// (which relative paths in it are resolved against).
    ///
    /// # Errors
    ///
    /// `text` is not valid.
    pub fn from_toml(text: &str, path: impl AsRef<Path>) -> Result<Self, ProfileError> {
        let path = path.as_ref();
        let raw: RawFile = toml::from_str(text).map_err(|e| ProfileError::Invalid {
            path: path.to_owned(),
            message: invalid_message(&e, text),
        })?;
        let base = path.parent().unwrap_or(Path::new(""));
        let mut profiles = BTreeMap::new();
        for (name, raw) in raw.profiles {
            let profile = Profile::from_raw(&name, raw, path, base)?;
            profiles.insert(name, profile);
        }
        Ok(Profiles {
            path: path.to_owned(),
            found: true,
            profiles,
        })
    }

    /// The file these profiles came from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The profiles' names, in order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.profiles.keys().map(String::as_str)
    }

    /// The profile called `name`.
    ///
    /// # Errors
    ///
    /// [`ProfileError::Missing`], naming the profiles there are.
    pub fn get(&self, name: &str) -> Result<&Profile, ProfileError> {
        self.profiles
            .get(name)
            .ok_or_else(|| ProfileError::Missing {
                name: name.to_owned(),
                path: self.path.clone(),
                found: self.found,
                known: self.profiles.keys().cloned().collect(),
            })
    }

    /// The profile a program should use: `name` if given, else the one
    /// `ROUTY_PROFILE` names, else `default` if the file has one, else
    /// none.
    ///
    /// # Errors
    ///
    /// A profile was named and is not there.
    ///
    /// # Examples
    ///
    /// ```
    /// let profiles = routy::profile::Profiles::from_toml(
    ///     "[profiles.default]\napi_key_env = \"MY_KEY\"\n",
    ///     "config.toml",
    /// )?;
    /// assert_eq!(profiles.select(None)?.map(|p| p.name()), Some("default"));
    /// assert!(profiles.select(Some("other")).is_err());
    /// # Ok::<(), routy::profile::ProfileError>(())
    /// ```
    pub fn select(&self, name: Option<&str>) -> Result<Option<&Profile>, ProfileError> {
        // (The examples above run with ROUTY_PROFILE unset.)
        let from_env = std::env::var(PROFILE_ENV).ok().filter(|n| !n.is_empty());
        match name.map(str::to_owned).or(from_env) {
            Some(name) => self.get(&name).map(Some),
            None => Ok(self.profiles.get(DEFAULT_PROFILE)),
        }
    }
}

impl Profile {
    fn from_raw(
        name: &str,
        raw: RawProfile,
        path: &Path,
        base: &Path,
    ) -> Result<Self, ProfileError> {
        if raw.api_key.is_some() {
            return Err(ProfileError::LiteralKey {
                path: path.to_owned(),
                profile: name.to_owned(),
            });
        }
        let timeout = raw
            .api_key_command_timeout
            .map_or(DEFAULT_COMMAND_TIMEOUT, |secs| {
                Duration::from_secs(secs.min(MAX_COMMAND_TIMEOUT_SECS))
            });
        let key = match (raw.api_key_command, raw.api_key_file, raw.api_key_env) {
            (Some(argv), None, None) if !argv.is_empty() && !argv[0].is_empty() => {
                KeySource::Command { argv, timeout }
            }
            (None, Some(file), None) => KeySource::File(resolve(base, &file)),
            (None, None, Some(var)) if !var.is_empty() => KeySource::Env(var),
            _ => {
                return Err(ProfileError::KeySources {
                    path: path.to_owned(),
                    profile: name.to_owned(),
                })
            }
        };
        Ok(Profile {
            name: name.to_owned(),
            base_url: raw.base_url,
            ca_file: raw.ca_file.map(|file| resolve(base, &file)),
            key,
        })
    }

    /// The profile's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Its base URL, if it sets one.
    pub fn base_url(&self) -> Option<&str> {
        self.base_url.as_deref()
    }

    /// Its CA file (for a transport's `ca_file`), if it sets one.
    pub fn ca_file(&self) -> Option<&Path> {
        self.ca_file.as_deref()
    }

    /// Where its key comes from.
    pub fn key_source(&self) -> &KeySource {
        &self.key
    }

    /// Loads the key: reads the file or the variable, or runs the command
    /// (stdin closed, stdout read as the key, killed at its timeout).
    ///
    /// # Errors
    ///
    /// The source cannot be read, the command fails, times out or prints
    /// nothing, or what it gave is not a valid key.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[cfg(unix)]
    /// # {
    /// let profiles = routy::profile::Profiles::from_toml(
    ///     "[profiles.echo]\napi_key_command = [\"echo\", \"OaBw1+4DqFfDLXOLpWthbfp502Wc0D4tICsxNcT+aeQ=\"]\n",
    ///     "config.toml",
    /// )?;
    /// let key = profiles.get("echo")?.api_key()?;
    /// assert_eq!(key.fingerprint(), "…aeQ=");
    /// # }
    /// # Ok::<(), routy::profile::ProfileError>(())
    /// ```
    pub fn api_key(&self) -> Result<ApiKey, ProfileError> {
        let key = match &self.key {
            KeySource::File(path) => ApiKey::from_file(path),
            KeySource::Env(var) => ApiKey::from_env_var(var),
            KeySource::Command { argv, timeout } => return self.run(argv, *timeout),
        };
        key.map_err(|source| self.key_error(source))
    }

    fn key_error(&self, source: KeyError) -> ProfileError {
        ProfileError::Key {
            profile: self.name.clone(),
            source_name: self.key.to_string(),
            source,
        }
    }

    /// Runs the key command and reads its stdout as the key.
    fn run(&self, argv: &[String], timeout: Duration) -> Result<ApiKey, ProfileError> {
        let command = user_text(&argv.join(" "), COMMAND_SHOWN);
        let mut child = Command::new(&argv[0])
            .args(&argv[1..])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|source| ProfileError::CommandStart {
                profile: self.name.clone(),
                command: command.clone(),
                source,
            })?;
        // Both pipes are drained on threads, so a chatty command cannot
        // block on a full pipe; a grandchild that keeps one open after a
        // timeout holds only its thread, never this call.
        let stdout = drain(child.stdout.take(), MAX_KEY_LEN + 2);
        let stderr = drain(child.stderr.take(), 64 * 1024);
        let status = match child.wait_timeout(timeout) {
            Ok(Some(status)) => status,
            Ok(None) | Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(ProfileError::CommandTimedOut {
                    profile: self.name.clone(),
                    command,
                    timeout,
                });
            }
        };
        let output = Zeroizing::new(stdout.join().unwrap_or_default());
        if !status.success() {
            let stderr = stderr.join().unwrap_or_default();
            return Err(ProfileError::CommandFailed {
                profile: self.name.clone(),
                command,
                status: status.to_string(),
                stderr: last_line_masked(&stderr),
            });
        }
        self.key_from_output(&output, command)
    }

    fn key_from_output(&self, output: &[u8], command: String) -> Result<ApiKey, ProfileError> {
        let problem = |what| ProfileError::CommandOutput {
            profile: self.name.clone(),
            command: command.clone(),
            what,
        };
        let text = std::str::from_utf8(output).map_err(|_| problem("bytes that are not text"))?;
        let text = text.trim();
        if text.is_empty() {
            return Err(problem("nothing"));
        }
        if output.len() > MAX_KEY_LEN + 1 {
            return Err(problem("more than a key can hold"));
        }
        if text.contains('\n') {
            return Err(problem("more than one line"));
        }
        ApiKey::new(text).map_err(|source| self.key_error(source))
    }
}

/// A profile as a source of a client's settings: `builder.profile(p)`.
///
/// # Examples
///
/// ```
/// # std::env::set_var("ROUTY_DOC_KEY", "OaBw1+4DqFfDLXOLpWthbfp502Wc0D4tICsxNcT+aeQ=");
/// use routy::profile::{ClientBuilderExt as _, Profiles};
/// use routy::TransportErrorKind;
///
/// let profiles = Profiles::from_toml(
///     "[profiles.ci]\napi_key_env = \"ROUTY_DOC_KEY\"\nbase_url = \"http://127.0.0.1:9/api\"\n",
///     "config.toml",
/// )?;
/// let client = routy::ClientBuilder::new()
///     .profile(profiles.get("ci")?)
///     .build_with(routy::transport_fn(|_req| Err(TransportErrorKind::Connect.into())))?;
/// assert_eq!(client.api_key().fingerprint(), "…aeQ=");
/// assert_eq!(client.config().base_url().to_string(), "http://127.0.0.1:9/api");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait ClientBuilderExt: Sized {
    /// Takes the key and the base URL from `profile`: the key is loaded
    /// now (its file or variable read, its command run) unless the builder
    /// has one already, and a failure is reported by `build()` as
    /// [`routy_core::Error::Profile`]; a key and base URL set in code
    /// before or after win over the profile's. The profile's
    /// [`ca_file`](Profile::ca_file) is the transport's to use
    /// (`routy::from_profile` does so).
    fn profile(self, profile: &Profile) -> Self;
}

impl<T> ClientBuilderExt for ClientBuilder<T> {
    fn profile(self, profile: &Profile) -> Self {
        let builder = self.api_key_or_else(|| Ok(profile.api_key()?));
        match profile.base_url() {
            Some(url) => builder.base_url_or(url),
            None => builder,
        }
    }
}

impl From<ProfileError> for routy_core::Error {
    fn from(err: ProfileError) -> Self {
        routy_core::Error::Profile(Box::new(err))
    }
}

impl fmt::Display for KeySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeySource::Command { argv, .. } => {
                write!(f, "command `{}`", user_text(&argv.join(" "), COMMAND_SHOWN))
            }
            KeySource::File(path) => write!(f, "file {}", shown_path(path)),
            KeySource::Env(var) => write!(f, "environment variable {}", user_text(var, 200)),
        }
    }
}

/// Reads up to `max` bytes of `pipe` on a thread (the rest is drained and
/// dropped).
fn drain(pipe: Option<impl Read + Send + 'static>, max: usize) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut kept = Vec::new();
        if let Some(mut pipe) = pipe {
            let _ = (&mut pipe).take(max as u64).read_to_end(&mut kept);
            let _ = std::io::copy(&mut pipe, &mut std::io::sink());
        }
        kept
    })
}

/// `file` against the config file's folder, `~/` against the home folder.
fn resolve(base: &Path, file: &Path) -> PathBuf {
    if let Ok(rest) = file.strip_prefix("~") {
        if let Some(home) = dirs::home_dir() {
            return home.join(rest);
        }
    }
    base.join(file)
}

/// The TOML error's message and line, without the file's text (which the
/// parser quotes, and which could hold a key).
fn invalid_message(err: &toml::de::Error, text: &str) -> String {
    let message = user_text(err.message(), usize::MAX);
    match err.span() {
        Some(span) => {
            let line = text[..span.start.min(text.len())].matches('\n').count() + 1;
            format!("line {line}: {message}")
        }
        None => message,
    }
}

/// The last non-empty line of a failed command's stderr, bounded, with
/// control characters escaped and anything token-like masked.
fn last_line_masked(stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    let line = text
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("");
    user_text(line, STDERR_KEPT)
}

/// A profile's name as a message shows it: quoted, anything token-like
/// masked, one line.
fn name(profile: &str) -> String {
    format!("{:?}", mask_tokens(profile))
}

fn known_names(known: &[String], found: bool) -> String {
    match (found, known.is_empty()) {
        (false, _) => " (the file does not exist)".to_owned(),
        (true, true) => " (it has no profiles)".to_owned(),
        (true, false) => format!(" (it has: {})", user_text(&known.join(", "), usize::MAX)),
    }
}

fn stderr_part(stderr: &str) -> String {
    if stderr.is_empty() {
        String::new()
    } else {
        format!(": {stderr}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "OaBw1+4DqFfDLXOLpWthbfp502Wc0D4tICsxNcT+aeQ=";

    fn parse(text: &str) -> Result<Profiles, ProfileError> {
        Profiles::from_toml(text, "/etc/routy/config.toml")
    }

    #[test]
    fn each_key_source_and_paths_resolved_against_the_file() {
        let profiles = parse(
            "[profiles.a]\napi_key_file = \"keys/a.txt\"\nca_file = \"/ca.pem\"\n\
             [profiles.b]\napi_key_env = \"B_KEY\"\nbase_url = \"https://x.example/api\"\n\
             [profiles.c]\napi_key_command = [\"pass\", \"show\", \"routy/c\"]\napi_key_command_timeout = 3\n",
        )
        .unwrap();
        let a = profiles.get("a").unwrap();
        assert_eq!(
            a.key_source(),
            &KeySource::File(PathBuf::from("/etc/routy/keys/a.txt"))
        );
        assert_eq!(a.ca_file(), Some(Path::new("/ca.pem")));
        let b = profiles.get("b").unwrap();
        assert_eq!(b.base_url(), Some("https://x.example/api"));
        assert_eq!(b.key_source().to_string(), "environment variable B_KEY");
        let c = profiles.get("c").unwrap();
        assert_eq!(c.key_source().to_string(), "command `pass show routy/c`");
        assert!(matches!(
            c.key_source(),
            KeySource::Command { timeout, .. } if *timeout == Duration::from_secs(3)
        ));
    }

    #[test]
    fn bad_files_are_refused_without_quoting_them() {
        let literal = parse(&format!("[profiles.x]\napi_key = \"{KEY}\"\n")).unwrap_err();
        assert!(matches!(literal, ProfileError::LiteralKey { .. }));
        assert!(!literal.to_string().contains(&KEY[..8]), "{literal}");
        assert!(literal.to_string().contains("api_key_command"), "{literal}");

        let unknown = parse("[profiles.x]\napi_key_fil = \"a\"\n").unwrap_err();
        assert!(unknown.to_string().contains("line 2"), "{unknown}");
        assert!(unknown.to_string().contains("api_key_fil"), "{unknown}");

        for none_or_two in [
            "[profiles.x]\nbase_url = \"https://a\"\n",
            "[profiles.x]\napi_key_env = \"A\"\napi_key_file = \"b\"\n",
            "[profiles.x]\napi_key_command = []\n",
        ] {
            assert!(
                matches!(parse(none_or_two), Err(ProfileError::KeySources { .. })),
                "{none_or_two}"
            );
        }

        // A key pasted into the wrong member, or a broken line holding it:
        // the parser's message would quote it.
        for pasted in [
            format!("[profiles.x]\napi_key_command = \"{KEY}\"\n"),
            format!("[profiles.x]\napi_key_env = {KEY}\n"),
            format!("[profiles.x]\napi_key_env = \"{KEY}\n"),
        ] {
            let err = parse(&pasted).unwrap_err().to_string();
            assert!(!err.contains(&KEY[..8]), "{err}");
            assert!(!err.contains(&KEY[20..28]), "{err}");
        }
    }

    #[test]
    fn a_missing_profile_names_the_ones_there_are() {
        let profiles =
            parse("[profiles.b]\napi_key_env = \"B\"\n[profiles.a]\napi_key_env = \"A\"\n")
                .unwrap();
        assert_eq!(
            profiles.get("c").unwrap_err().to_string(),
            "no profile \"c\" in /etc/routy/config.toml (it has: a, b)"
        );
    }

    #[test]
    fn tokens_are_masked_and_the_rest_is_kept() {
        assert_eq!(
            mask_tokens(&format!("Error: {KEY} is wrong")),
            "Error: [redacted] is wrong"
        );
        assert_eq!(
            mask_tokens("Error: routy/reporting is not in the password store."),
            "Error: routy/reporting is not in the password store."
        );
    }
}
