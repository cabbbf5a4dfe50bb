//! Lists Routy accounts: the README's run command.
//!
//! With `ROUTY_API_KEY` set, it calls `ROUTY_BASE_URL` (default: the Routy
//! platform). With nothing set, it starts the local sandbox in-process,
//! issues itself a token there, and lists the sandbox's accounts through
//! the same client and transport, so it works offline on a fresh machine.
//!
//! ```sh
//! cargo run --example accounts                      # offline, sandbox
//! ROUTY_API_KEY=... cargo run --example accounts    # the real platform
//! ```

use std::process::ExitCode;

use routy_sandbox::{NewToken, Sandbox};

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {}", routy::error_chain(&*err));
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    // Kept alive until the end of `run`: dropping it stops the server.
    let mut sandbox = None;
    let client = if std::env::var_os(routy::API_KEY_ENV).is_some() {
        routy::Client::from_env()?
    } else {
        let local = Sandbox::start()?;
        let token = local.issue_token(NewToken::named("accounts example"))?;
        let client = routy::Client::builder()
            .api_key(routy::ApiKey::new(token.secret())?)
            .base_url(&local.base_url())
            .build()?;
        eprintln!(
            "ROUTY_API_KEY is not set: using a local sandbox at {} with a fresh token.\n\
             To list your real accounts: export ROUTY_API_KEY=<your token> (and optionally\n\
             ROUTY_BASE_URL, default {}).\n",
            local.base_url(),
            routy::defaults::DEFAULT_BASE_URL
        );
        sandbox = Some(local);
        client
    };

    let accounts = client.accounts()?;
    println!(
        "{} account(s) at {}",
        accounts.len(),
        client.config().base_url()
    );
    for account in &accounts {
        println!("{:>10}  {}", account.id(), account.name().unwrap_or("-"));
    }
    drop(sandbox);
    Ok(())
}
