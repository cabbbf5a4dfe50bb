//! How a command fails: an exit code (documented in the README), one
//! line for stderr and maybe a hint, and how each routy error maps to
//! them.

use routy::{ApiErrorKind, ConfigError, Error, KeyError, TransportErrorKind};

/// Exit codes, as documented in the README.
pub(crate) mod exit {
    /// `routy sandbox` ended with stub expectations not met.
    pub(crate) const FAILURE: u8 = 1;
    pub(crate) const USAGE: u8 = 2;
    pub(crate) const AUTH: u8 = 3;
    pub(crate) const API: u8 = 4;
    pub(crate) const NETWORK: u8 = 5;
}

/// A failure: its exit code, one line for stderr, and maybe a hint.
#[derive(Debug)]
pub(crate) struct Failure {
    pub(crate) code: u8,
    pub(crate) message: String,
    pub(crate) hint: Option<String>,
}

impl Failure {
    pub(crate) fn usage(message: impl Into<String>) -> Self {
        Failure {
            code: exit::USAGE,
            message: message.into(),
            hint: None,
        }
    }
}

/// Classifies a routy error into an exit code, a line and a hint.
pub(crate) fn failure(err: Error) -> Failure {
    let mut message = routy::error_chain(&err);
    let (code, hint) = match &err {
        Error::Key(KeyError::MissingEnv { .. }) => (
            exit::USAGE,
            Some(
                "export ROUTY_API_KEY=<token>, pass --api-key-file PATH or --api-key-stdin, or \
                 use a profile (--profile NAME; see `routy --help`)"
                    .to_owned(),
            ),
        ),
        Error::Key(_) | Error::Request(_) => (exit::USAGE, key_hint(&err)),
        Error::Config(ConfigError::InsecureHttp { host }) => {
            // The library's message names a builder method a shell user
            // cannot call.
            message = format!(
                "refusing plain http to {host}: the api key would cross the network unencrypted"
            );
            (
                exit::USAGE,
                Some(
                    "use an https:// base URL (plain http is only for 127.0.0.1, [::1] and \
                     localhost)"
                        .to_owned(),
                ),
            )
        }
        Error::Config(ConfigError::CaCertificates { .. }) => (
            exit::USAGE,
            Some("--ca-file (SSL_CERT_FILE) must name a PEM file of CA certificates".to_owned()),
        ),
        Error::Config(_) | Error::Profile(_) => (exit::USAGE, None),
        Error::Api(api) => api_hint(api),
        Error::Transport(t) => (exit::NETWORK, transport_hint(t.kind())),
        _ => (exit::API, None),
    };
    Failure {
        code,
        message,
        hint,
    }
}

fn key_hint(err: &Error) -> Option<String> {
    let hint = match err {
        Error::Key(KeyError::PastedPrefix { .. }) => {
            "the token is what follows 'ApiKey ' in the Authorization header"
        }
        Error::Key(KeyError::InnerWhitespace { .. } | KeyError::ControlCharacter { .. }) => {
            "the key has a stray space or line break inside; copy the token again"
        }
        _ => return None,
    };
    Some(hint.to_owned())
}

/// The exit code and hint for an API error. A rate limit says when to come
/// back: more retries would only meet the same limit sooner.
fn api_hint(api: &routy::ApiError) -> (u8, Option<String>) {
    let when = api.retry_after().map(|after| match after {
        routy::RetryAfter::Delay(delay) => format!("in {} s", delay.as_secs()),
        routy::RetryAfter::At(_) => format!("after {after}"),
    });
    match api.kind() {
        ApiErrorKind::Unauthorized => (
            exit::AUTH,
            Some(
                "the token is invalid, expired or deleted; check it with `routy auth status`"
                    .to_owned(),
            ),
        ),
        ApiErrorKind::Forbidden => (
            exit::AUTH,
            Some("the token is valid but may not do this".to_owned()),
        ),
        ApiErrorKind::RateLimited => (
            exit::API,
            Some(match when {
                Some(when) => format!("the rate limit is spent: try again {when}"),
                None => "the rate limit is spent: wait a while before trying again".to_owned(),
            }),
        ),
        _ => (
            exit::API,
            when.map(|when| format!("the server asks to be called again {when}")),
        ),
    }
}

fn transport_hint(kind: TransportErrorKind) -> Option<String> {
    let hint = match kind {
        TransportErrorKind::Timeout => "raise --timeout, or check the server",
        TransportErrorKind::Connect => "check --base-url (ROUTY_BASE_URL) and your network",
        TransportErrorKind::Tls => {
            "the server's certificate is not trusted; behind a proxy that inspects TLS, pass \
             its CA with --ca-file PATH (or SSL_CERT_FILE)"
        }
        _ => return None,
    };
    Some(hint.to_owned())
}
