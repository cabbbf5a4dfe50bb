//! `routy auth check` and `routy auth status`: one authenticated call,
//! and where the key and settings came from.

use routy::{ApiErrorKind, ApiKey, Error};

use super::Client;
use crate::failure::{exit, failure, Failure};
use crate::output::{one_line, print};
use crate::setup::Setup;

pub(crate) fn check(client: &Client, key: &ApiKey) -> Result<(), Failure> {
    let accepted = check_key(client, key)?;
    print(format!("api key {} is valid: {accepted}\n", key.fingerprint()).as_bytes())
}

/// What `routy auth status` prints: where everything came from, then
/// whether the API accepts the key (exit 3 if not).
pub(crate) fn status(client: &Client, setup: &Setup) -> Result<(), Failure> {
    let profile = match &setup.profile {
        Some((name, file)) => format!("{name} (in {file})"),
        None => "none".to_owned(),
    };
    let base_source = setup
        .base_url_source
        .as_deref()
        .unwrap_or("routy's default");
    let text = format!(
        "profile:  {profile}\nkey:      {} from {}\nbase url: {} from {base_source}\n",
        setup.key.fingerprint(),
        setup.key_source,
        client.config().base_url(),
    );
    // A key written into a profile's command line is the user's text: the
    // key is not printed even so.
    print(client.transport().scrub(&text).as_bytes())?;
    let accepted = check_key(client, &setup.key)?;
    print(format!("api:      accepts the key: {accepted}\n").as_bytes())
}

/// One authenticated call: "N account(s) visible at URL", or why the key
/// was refused.
fn check_key(client: &Client, key: &ApiKey) -> Result<String, Failure> {
    let fingerprint = key.fingerprint();
    let base = client.config().base_url().to_string();
    match client.accounts() {
        Ok(accounts) => Ok(format!("{} account(s) visible at {base}", accounts.len())),
        Err(Error::Api(err)) if err.kind() == ApiErrorKind::Unauthorized => {
            let why = err
                .server_message()
                .unwrap_or("invalid, expired or deleted");
            Err(Failure {
                code: exit::AUTH,
                message: format!(
                    "api key {fingerprint} was rejected (401): {}",
                    one_line(why)
                ),
                hint: Some("generate a new token in the Routy web UI (avatar → API Tokens)".into()),
            })
        }
        Err(Error::Api(err)) if err.kind() == ApiErrorKind::Forbidden => Err(Failure {
            code: exit::AUTH,
            message: format!(
                "api key {fingerprint} is valid but forbidden here (403): {}",
                one_line(err.server_message().unwrap_or("no detail"))
            ),
            hint: None,
        }),
        Err(other) => Err(failure(other)),
    }
}
