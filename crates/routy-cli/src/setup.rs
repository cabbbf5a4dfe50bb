//! Where the key, the base URL and the CA file come from: flags, the
//! environment and profiles, in the order `--help` and the README give.
//!
//! Highest first: a flag (`--api-key-file`, `--api-key-stdin`,
//! `--base-url`, `--ca-file`); the profile `--profile` names; an
//! environment variable (`ROUTY_API_KEY_FILE`, `ROUTY_API_KEY`,
//! `ROUTY_BASE_URL`, `SSL_CERT_FILE`); the profile `ROUTY_PROFILE` names,
//! else the config file's `default` profile; routy's defaults.

use std::ffi::OsString;
use std::io::{self, Read};

use routy::profile::{Profile, ProfileError, Profiles, PROFILE_ENV};
use routy::{ApiKey, Error, KeyError};

use crate::args::ClientArgs;
use crate::failure::{failure, Failure};

/// What a command runs with, and where each part came from.
#[derive(Debug)]
pub(crate) struct Setup {
    pub(crate) key: ApiKey,
    /// Where the key came from, in words (never the key).
    pub(crate) key_source: String,
    pub(crate) base_url: Option<String>,
    /// Where the base URL came from; `None`: routy's default.
    pub(crate) base_url_source: Option<String>,
    pub(crate) ca_file: Option<OsString>,
    /// The profile in use, and the file it is in.
    pub(crate) profile: Option<(String, String)>,
}

/// The profile named by `--profile` (a flag) or, below the environment,
/// by `ROUTY_PROFILE` or the `default` entry.
struct Chosen {
    flag: Option<Profile>,
    fallback: Option<Profile>,
    file: String,
}

impl Setup {
    pub(crate) fn resolve(args: &ClientArgs) -> Result<Setup, Failure> {
        let chosen = choose_profile(args.profile.as_deref())?;
        let (key, key_source) = key(args, &chosen)?;
        let (base_url, base_url_source) = base_url(args, &chosen);
        let ca_file = args
            .ca_file
            .clone()
            .filter(|p| !p.is_empty())
            .or_else(|| profile_ca(chosen.flag.as_ref()))
            .or_else(|| env_os("SSL_CERT_FILE"))
            .or_else(|| profile_ca(chosen.fallback.as_ref()));
        let profile = chosen.flag.as_ref().or(chosen.fallback.as_ref()).map(|p| {
            (
                routy_core::shown::user_text(p.name(), usize::MAX),
                chosen.file.clone(),
            )
        });
        Ok(Setup {
            key,
            key_source,
            base_url,
            base_url_source,
            ca_file,
            profile,
        })
    }
}

fn choose_profile(flag: Option<&str>) -> Result<Chosen, Failure> {
    let named_by_env = std::env::var(PROFILE_ENV).ok().filter(|n| !n.is_empty());
    let profiles = match Profiles::load() {
        Ok(profiles) => profiles,
        // No home folder and no ROUTY_CONFIG: no profiles, unless one was asked for.
        Err(ProfileError::NoConfigDir) if flag.is_none() && named_by_env.is_none() => {
            return Ok(Chosen {
                flag: None,
                fallback: None,
                file: String::new(),
            })
        }
        Err(err) => return Err(profile_failure(err)),
    };
    let file = profiles.path().display().to_string();
    let flag = flag
        .map(|name| profiles.get(name).cloned())
        .transpose()
        .map_err(profile_failure)?;
    let fallback = if flag.is_some() {
        None
    } else {
        profiles.select(None).map_err(profile_failure)?.cloned()
    };
    Ok(Chosen {
        flag,
        fallback,
        file,
    })
}

fn key(args: &ClientArgs, chosen: &Chosen) -> Result<(ApiKey, String), Failure> {
    if args.api_key_stdin {
        let mut text = String::new();
        io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| Failure::usage(format!("cannot read the api key from stdin: {e}")))?;
        let key = ApiKey::try_from(text).map_err(|e| failure(Error::from(e)))?;
        return Ok((key, "standard input (--api-key-stdin)".to_owned()));
    }
    if let Some(path) = args.api_key_file.as_ref().filter(|p| !p.is_empty()) {
        return from_file(path, "--api-key-file");
    }
    if let Some(profile) = &chosen.flag {
        return from_profile(profile, "--profile");
    }
    if let Some(path) = env_os("ROUTY_API_KEY_FILE") {
        return from_file(&path, "ROUTY_API_KEY_FILE");
    }
    if std::env::var_os(routy::API_KEY_ENV).is_some() {
        let key = ApiKey::from_env().map_err(|e| failure(Error::from(e)))?;
        return Ok((key, routy::API_KEY_ENV.to_owned()));
    }
    if let Some(profile) = &chosen.fallback {
        return from_profile(profile, fallback_by());
    }
    Err(failure(Error::from(KeyError::MissingEnv {
        var: routy::API_KEY_ENV.to_owned(),
    })))
}

fn from_file(path: &OsString, by: &str) -> Result<(ApiKey, String), Failure> {
    let key = ApiKey::from_file(path).map_err(|e| failure(Error::from(e)))?;
    let shown = routy_core::shown::shown_path(std::path::Path::new(path));
    Ok((key, format!("file {shown} ({by})")))
}

fn from_profile(profile: &Profile, by: &str) -> Result<(ApiKey, String), Failure> {
    let key = profile.api_key().map_err(profile_failure)?;
    let source = format!(
        "{} of profile {} ({by})",
        profile.key_source(),
        routy_core::shown::user_text(profile.name(), usize::MAX)
    );
    Ok((key, source))
}

fn base_url(args: &ClientArgs, chosen: &Chosen) -> (Option<String>, Option<String>) {
    let from_profile = |profile: Option<&Profile>, by: &str| {
        let profile = profile?;
        let url = profile.base_url()?;
        Some((
            url.to_owned(),
            format!(
                "profile {} ({by})",
                routy_core::shown::user_text(profile.name(), usize::MAX)
            ),
        ))
    };
    let nonempty = |url: &String| !url.trim().is_empty();
    args.base_url
        .clone()
        .filter(nonempty)
        .map(|url| (url, "--base-url".to_owned()))
        .or_else(|| from_profile(chosen.flag.as_ref(), "--profile"))
        .or_else(|| {
            std::env::var(routy::BASE_URL_ENV)
                .ok()
                .filter(nonempty)
                .map(|url| (url, routy::BASE_URL_ENV.to_owned()))
        })
        .or_else(|| from_profile(chosen.fallback.as_ref(), fallback_by()))
        .map_or((None, None), |(url, source)| (Some(url), Some(source)))
}

/// What chose the profile used below the environment.
fn fallback_by() -> &'static str {
    if std::env::var_os(PROFILE_ENV).is_some_and(|n| !n.is_empty()) {
        PROFILE_ENV
    } else {
        "the default profile"
    }
}

fn profile_ca(profile: Option<&Profile>) -> Option<OsString> {
    profile?.ca_file().map(|p| p.as_os_str().to_owned())
}

/// An environment variable's value; empty means unset (a `.env` line).
fn env_os(var: &str) -> Option<OsString> {
    std::env::var_os(var).filter(|v| !v.is_empty())
}

/// A config or profile that cannot be used: exit 2, with a hint.
pub(crate) fn profile_failure(err: ProfileError) -> Failure {
    let hint = match &err {
        ProfileError::Missing { .. } | ProfileError::NoneSelected { .. } => Some(
            "profiles live in the config file (ROUTY_CONFIG, or routy/config.toml in your \
             config folder); see `routy --help`",
        ),
        ProfileError::CommandFailed { .. } | ProfileError::CommandOutput { .. } => {
            Some("run the profile's api_key_command yourself: its stdout must be the key alone")
        }
        ProfileError::CommandTimedOut { .. } => Some(
            "a password manager may be waiting to be unlocked; unlock it, or raise \
             api_key_command_timeout",
        ),
        _ => None,
    };
    Failure {
        code: crate::failure::exit::USAGE,
        message: routy::error_chain(&err),
        hint: hint.map(str::to_owned),
    }
}
