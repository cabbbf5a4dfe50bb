//! Telling errors apart: a rejected token (401) and rate limiting (429 with
//! Retry-After), against the local sandbox.
//!
//! ```sh
//! cargo run --example error_handling
//! ```

use routy::{ApiErrorKind, ApiKey, Error};
use routy_sandbox::{Fault, NewToken, Sandbox};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let sandbox = Sandbox::start()?;

    // 401: a token the server does not know.
    let stranger = routy::Client::builder()
        .api_key(ApiKey::new("OaBw1+4DqFfDLXOLpWthbfp502Wc0D4tICsxNcT+aeQ=")?)
        .base_url(&sandbox.base_url())
        .build()?;
    explain(stranger.accounts());

    // 429: the server asks us to slow down.
    let token = sandbox.issue_token(NewToken::named("error handling example"))?;
    let client = routy::Client::builder()
        .api_key(ApiKey::new(token.secret())?)
        .base_url(&sandbox.base_url())
        .build()?;
    sandbox.push_fault(
        Fault::status(429)
            .header("Retry-After", "2")
            .header("Content-Type", "application/problem+json")
            .body(r#"{"title":"Too Many Requests","status":429}"#),
    );
    explain(client.accounts());

    // And then it works.
    explain(client.accounts());
    Ok(())
}

fn explain(result: Result<Vec<routy::Account>, Error>) {
    match result {
        Ok(accounts) => println!("ok: {} accounts", accounts.len()),
        Err(Error::Api(err)) => match err.kind() {
            ApiErrorKind::Unauthorized => println!(
                "the token was rejected ({}); generate a new one in the Routy web UI",
                err.problem()
                    .and_then(|p| p.detail.as_deref())
                    .unwrap_or("no detail")
            ),
            ApiErrorKind::RateLimited => println!(
                "rate limited; the server asks us to wait {:?}",
                err.retry_after()
                    .map(|r| r.delay_from(std::time::SystemTime::now()))
            ),
            _ => println!("api error: {err} (request id {:?})", err.request_id()),
        },
        Err(Error::Transport(err)) if err.is_timeout() => println!("timed out: {err}"),
        Err(other) => println!("other error: {other}"),
    }
}
