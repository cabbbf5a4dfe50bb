//! Lists the accounts the token in `ROUTY_API_KEY` can see, at
//! `ROUTY_BASE_URL` (default: the Routy platform).
//!
//! ```sh
//! ROUTY_API_KEY=... cargo run --example accounts
//! ```

use std::process::ExitCode;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            let mut message = format!("error: {err}");
            let mut source = std::error::Error::source(&err);
            while let Some(cause) = source {
                message.push_str(&format!(": {cause}"));
                source = cause.source();
            }
            eprintln!("{message}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), routy::Error> {
    let client = routy::Client::from_env()?;
    let accounts = client.accounts()?;
    println!(
        "{} account(s) at {}",
        accounts.len(),
        client.config().base_url()
    );
    for account in accounts {
        println!("{:>12}  {}", account.id, account.name().unwrap_or("-"));
    }
    Ok(())
}
