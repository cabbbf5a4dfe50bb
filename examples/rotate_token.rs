//! Rotating a token on a running client, as Routy's guide recommends: issue
//! a new token, swap it into the shared client, delete the old one. Threads
//! using the client carry on; the next request uses the new token.
//!
//! ```sh
//! cargo run --example rotate_token
//! ```

use routy::{ApiKey, Error};
use routy_sandbox::{NewToken, Sandbox};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let sandbox = Sandbox::start()?;
    let old = sandbox.issue_token(NewToken::named("Integration (2026-Q3)"))?;
    let client = routy::Client::builder()
        .api_key(ApiKey::new(old.secret())?)
        .base_url(&sandbox.base_url())
        .build()?;
    println!("with the old token: {} accounts", client.accounts()?.len());

    // The old token is deleted (say, by the rotation job) before the client
    // learns of the new one: calls fail with 401 until it does.
    sandbox.delete_token(&old.info.id)?;
    match client.accounts() {
        Err(Error::Api(err)) => println!("old token after deletion: {err}"),
        other => println!("unexpected: {other:?}"),
    }

    let new = sandbox.issue_token(NewToken::named("Integration (2026-Q4)"))?;
    // Every clone of the client, on every thread, sees the new key.
    let worker = client.clone();
    client.set_api_key(ApiKey::new(new.secret())?);
    let count = std::thread::spawn(move || worker.accounts().map(|a| a.len()))
        .join()
        .map_err(|_| "worker thread panicked")??;
    println!(
        "with the new token ({}): {count} accounts",
        client.api_key()
    );
    Ok(())
}
