//! Telling errors apart, against the local sandbox: a rejected token
//! (401), a rate-limit window that is spent (the call held back, unsent,
//! with when to come back), and the quota a success reports before the
//! limit is met.
//!
//! ```sh
//! cargo run --example error_handling
//! ```

use std::time::Duration;

use routy::Endpoint as _;
use routy::{ApiErrorKind, ApiKey, Error};
use routy_sandbox::{NewToken, RateWindow, Sandbox};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let sandbox = Sandbox::start()?;

    // 401: a token the server does not know.
    let stranger = routy::Client::builder()
        .api_key(ApiKey::new("OaBw1+4DqFfDLXOLpWthbfp502Wc0D4tICsxNcT+aeQ=")?)
        .base_url(&sandbox.base_url())
        .build()?;
    explain(stranger.accounts());

    // A spent window: two calls a minute. The first two succeed, and the
    // second says the window is spent for a minute. The client holds its
    // next calls back until then; a minute is longer than the default
    // policy waits (10 s), so the third call fails at once, never sent
    // (the server would have answered 429), and says when to come back.
    let token = sandbox.issue_token(NewToken::named("error handling example"))?;
    let client = routy::Client::builder()
        .api_key(ApiKey::new(token.secret())?)
        .base_url(&sandbox.base_url())
        .build()?;
    sandbox.set_rate_limit(Some(RateWindow::new(2, Duration::from_secs(60))));
    for _ in 0..2 {
        let (accounts, info) = client.call(routy::endpoint::Accounts.with_info())?;
        match info.rate_limit() {
            Some(quota) if quota.is_spent() => println!(
                "ok: {} accounts; the quota is spent until {}",
                accounts.len(),
                quota
                    .reset_after()
                    .map_or("the server says".to_owned(), |r| format!("{r} from now"))
            ),
            Some(quota) => println!(
                "ok: {} accounts; {} call(s) left in this window",
                accounts.len(),
                quota.remaining.map_or("?".to_owned(), |n| n.to_string())
            ),
            None => println!("ok: {} accounts", accounts.len()),
        }
    }
    explain(client.accounts());
    Ok(())
}

fn explain(result: Result<Vec<routy::Account>, Error>) {
    match result {
        Ok(accounts) => println!("ok: {} accounts", accounts.len()),
        Err(Error::Api(err)) => match err.kind() {
            ApiErrorKind::Unauthorized => println!(
                "the token was rejected ({}); generate a new one in the Routy web UI",
                err.server_message().unwrap_or("no detail")
            ),
            ApiErrorKind::RateLimited if err.is_held() => println!(
                "held back, not sent: the window is spent; come back in {} ({err})",
                err.retry_after()
                    .map_or("a while".to_owned(), |r| r.to_string()),
            ),
            ApiErrorKind::RateLimited => println!(
                "rate limited after {} attempt(s): come back in {} ({err})",
                err.attempts(),
                err.retry_after()
                    .map_or("a while".to_owned(), |r| r.to_string()),
            ),
            _ => println!("api error: {err} (request id {:?})", err.request_id()),
        },
        Err(Error::Transport(err)) if err.is_timeout() => println!("timed out: {err}"),
        Err(other) => println!("other error: {other}"),
    }
}
