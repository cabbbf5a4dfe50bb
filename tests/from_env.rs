//! `Client::from_env`. One test in its own file (so its own process): it
//! changes the environment, which no other test may see half-done.

#![allow(
    clippy::unwrap_used,
    reason = "a test helper that fails should panic loudly"
)]

use routy::{ConfigError, Error, KeyError};

mod support;
use support::TOKEN;

#[test]
fn from_env_reads_key_and_base_url() {
    std::env::remove_var("ROUTY_API_KEY");
    std::env::remove_var("ROUTY_BASE_URL");
    match routy::Client::from_env() {
        Err(Error::Key(KeyError::MissingEnv { var })) => assert_eq!(var, "ROUTY_API_KEY"),
        other => panic!("expected a missing-variable error, got {other:?}"),
    }

    // A key pasted with its line ending, as from the downloaded file.
    std::env::set_var("ROUTY_API_KEY", format!("{TOKEN}\r\n"));
    let client = routy::Client::from_env().unwrap();
    assert_eq!(
        client.config().base_url().to_string(),
        routy::defaults::DEFAULT_BASE_URL
    );
    assert_eq!(client.api_key().expose_secret(), TOKEN);

    std::env::set_var("ROUTY_BASE_URL", "http://127.0.0.1:9/api/");
    let client = routy::Client::from_env().unwrap();
    assert_eq!(
        client.config().base_url().to_string(),
        "http://127.0.0.1:9/api"
    );

    std::env::set_var("ROUTY_BASE_URL", "http://api.example.com/api");
    assert!(matches!(
        routy::Client::from_env(),
        Err(Error::Config(ConfigError::InsecureHttp { .. }))
    ));

    std::env::set_var("ROUTY_API_KEY", format!("ApiKey {TOKEN}"));
    let err = routy::Client::from_env().unwrap_err();
    assert!(
        matches!(err, Error::Key(KeyError::PastedPrefix { prefix: "ApiKey" })),
        "{err:?}"
    );
    assert!(!format!("{err:?}{err}").contains(TOKEN));

    // A base URL that is not Unicode is refused by name; after a bad key
    // it is the key's error that is reported, the first one met.
    #[cfg(unix)]
    not_unicode_base_url();
}

#[cfg(unix)]
fn not_unicode_base_url() {
    use std::os::unix::ffi::OsStrExt as _;

    let not_unicode = std::ffi::OsStr::from_bytes(b"http://127.0.0.1:9/\xff");
    std::env::set_var("ROUTY_BASE_URL", not_unicode);
    assert!(matches!(
        routy::Client::from_env(),
        Err(Error::Key(KeyError::PastedPrefix { .. }))
    ));
    std::env::set_var("ROUTY_API_KEY", TOKEN);
    let err = routy::Client::from_env().unwrap_err();
    assert!(
        matches!(
            err,
            Error::Config(ConfigError::InvalidBaseUrl {
                reason: "ROUTY_BASE_URL is not valid unicode"
            })
        ),
        "{err:?}"
    );
}
