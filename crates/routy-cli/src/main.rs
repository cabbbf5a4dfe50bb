//! `routy`: check a Routy API token, list accounts, make raw API calls and
//! run the local sandbox from a shell.
//!
//! The key comes from `ROUTY_API_KEY`, a token file or standard input, never
//! from an argument (`ps` would show it). Results go to stdout, one clear
//! line of error (and a hint) to stderr, and the exit code says what kind of
//! failure it was: 2 usage or credentials, 3 authentication, 4 other API
//! errors, 5 network.

mod args;
mod commands;
mod failure;
mod output;
mod setup;
mod verbose;

use std::io::{self, Write};
use std::process::ExitCode;

use clap::{CommandFactory, Parser};
use routy::http::Method;

use crate::args::{AccountsCommand, AuthCommand, Cli, Command};
use crate::commands::sandbox::Misbehaviour;
use crate::commands::{accounts, api, auth, connect, no_client_options, sandbox};
use crate::failure::Failure;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            let mut stderr = io::stderr().lock();
            let _ = writeln!(stderr, "error: {}", failure.message);
            if let Some(hint) = failure.hint {
                let _ = writeln!(stderr, "hint: {hint}");
            }
            ExitCode::from(failure.code)
        }
    }
}

fn run(cli: Cli) -> Result<(), Failure> {
    let outer = cli.client;
    match cli.command {
        Command::Completions { shell } => {
            no_client_options(&outer, "completions")?;
            clap_complete::generate(shell, &mut Cli::command(), "routy", &mut io::stdout());
            Ok(())
        }
        Command::Sandbox {
            port,
            accounts,
            state,
            stubs,
            faults,
            fault,
        } => {
            no_client_options(&outer, "sandbox")?;
            let misbehaviour = Misbehaviour::read(stubs, faults, &fault)?;
            sandbox::run(port, accounts, state, misbehaviour)
        }
        Command::Accounts(AccountsCommand::List { output, client }) => {
            let (client, _) = connect(&client.or(outer))?;
            accounts::list(&client, output)
        }
        Command::Api {
            method,
            path,
            data,
            headers,
            include,
            client,
        } => {
            let method = Method::from_bytes(method.to_ascii_uppercase().as_bytes())
                .map_err(|_| Failure::usage(format!("{method:?} is not an HTTP method")))?;
            let options = api::header_options(&headers)?;
            let body = data.map(|d| api::read_data(&d)).transpose()?;
            let (client, _) = connect(&client.or(outer))?;
            api::call(&client, method, &path, body, &options, include)
        }
        Command::Auth(AuthCommand::Check { client }) => {
            let (client, setup) = connect(&client.or(outer))?;
            auth::check(&client, &setup.key)
        }
        Command::Auth(AuthCommand::Status { client }) => {
            let (client, setup) = connect(&client.or(outer))?;
            auth::status(&client, &setup)
        }
    }
}
