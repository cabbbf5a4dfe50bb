//! The command line: every command, its options, and the client options
//! they share (clap's derive).

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Where settings come from, for `--help` (and the README).
pub(crate) const PRECEDENCE: &str = "\
Where the key, base URL and CA file come from, highest first:
  1. flags: --api-key-file, --api-key-stdin, --base-url, --ca-file
  2. the profile --profile names
  3. environment: ROUTY_API_KEY_FILE, ROUTY_API_KEY, ROUTY_BASE_URL, SSL_CERT_FILE
  4. the profile ROUTY_PROFILE names, else the profile called \"default\"
  5. routy's defaults (https://platform.routy.app/api, the bundled CA roots)
Profiles are read from ROUTY_CONFIG, else routy/config.toml in your config
folder ($XDG_CONFIG_HOME or ~/.config on Linux). Each names where its key is
kept, never the key: api_key_command = [\"pass\", \"show\", \"routy/reporting\"],
api_key_file = \"PATH\" or api_key_env = \"VAR\"; optionally base_url and ca_file.
The key is never taken from an argument: `ps` would show it.";

#[derive(Debug, Parser)]
#[command(
    name = "routy",
    version,
    about = "The Routy platform API from your shell",
    long_about = None,
    after_help = PRECEDENCE
)]
pub(crate) struct Cli {
    /// The client options may also come before the command.
    #[command(flatten)]
    pub(crate) client: ClientArgs,
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// Options every API command takes (before or after the command's name).
/// There is deliberately no option that takes the key itself.
#[derive(Debug, Default, Clone, Args)]
#[command(next_help_heading = "Client options")]
pub(crate) struct ClientArgs {
    /// Use this profile of the config file (one per integration)
    /// [env: ROUTY_PROFILE].
    #[arg(long, value_name = "NAME")]
    pub(crate) profile: Option<String>,
    /// API base URL [env: ROUTY_BASE_URL].
    #[arg(long, value_name = "URL")]
    pub(crate) base_url: Option<String>,
    // An `OsString`, not a `PathBuf`: clap refuses an empty `PathBuf`, and
    // an empty value must mean "not set".
    /// Read the API key from this file, e.g. the downloaded .txt
    /// [env: ROUTY_API_KEY_FILE].
    #[arg(long, value_name = "PATH", value_hint = clap::ValueHint::FilePath)]
    pub(crate) api_key_file: Option<OsString>,
    /// Read the API key from standard input.
    #[arg(long, conflicts_with = "api_key_file")]
    pub(crate) api_key_stdin: bool,
    /// Deadline of the whole call in seconds: every attempt and every wait
    /// between them included (an error names it "the whole-call
    /// deadline").
    #[arg(long, value_name = "SECS")]
    pub(crate) timeout: Option<f64>,
    /// Retries after a failed attempt (idempotent requests only).
    #[arg(long, value_name = "N")]
    pub(crate) max_retries: Option<u32>,
    /// Trust the CA certificates in this PEM file instead of the bundled
    /// roots: a TLS-inspecting proxy's CA, a private CA [env:
    /// SSL_CERT_FILE].
    #[arg(long, value_name = "PATH", value_hint = clap::ValueHint::FilePath)]
    pub(crate) ca_file: Option<OsString>,
    /// Log each request, response and retry wait to stderr (secrets
    /// redacted).
    #[arg(long, short)]
    pub(crate) verbose: bool,
}

impl ClientArgs {
    /// These options, with `outer`'s (given before the command) where
    /// these leave one unset.
    pub(crate) fn or(self, outer: ClientArgs) -> ClientArgs {
        ClientArgs {
            profile: self.profile.or(outer.profile),
            base_url: self.base_url.or(outer.base_url),
            api_key_file: self.api_key_file.or(outer.api_key_file),
            api_key_stdin: self.api_key_stdin || outer.api_key_stdin,
            timeout: self.timeout.or(outer.timeout),
            max_retries: self.max_retries.or(outer.max_retries),
            ca_file: self.ca_file.or(outer.ca_file),
            verbose: self.verbose || outer.verbose,
        }
    }

    /// Whether any option was given (`routy --timeout 5 sandbox` is an error).
    pub(crate) fn any(&self) -> bool {
        self.profile.is_some()
            || self.base_url.is_some()
            || self.api_key_file.is_some()
            || self.api_key_stdin
            || self.timeout.is_some()
            || self.max_retries.is_some()
            || self.ca_file.is_some()
            || self.verbose
    }
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Accounts.
    #[command(subcommand)]
    Accounts(AccountsCommand),
    /// An authenticated call to any endpoint; prints the body of a success.
    /// On a failure stdout stays empty: the message, and the body, go to
    /// stderr.
    Api {
        /// GET, POST, PUT, PATCH, DELETE …
        method: String,
        /// Path under the base URL, e.g. /v1/accounts.
        path: String,
        /// A JSON body, or @FILE to read it from a file (@- for stdin).
        #[arg(long, short, value_name = "JSON|@FILE")]
        data: Option<String>,
        /// An extra request header, 'Name: value' (repeatable);
        /// Authorization, Host and the framing headers are refused.
        #[arg(long = "header", short = 'H', value_name = "NAME: VALUE")]
        headers: Vec<String>,
        /// Also print the status line and response headers (to stderr,
        /// with the body, when the call fails).
        #[arg(long, short)]
        include: bool,
        #[command(flatten)]
        client: ClientArgs,
    },
    /// Token commands.
    #[command(subcommand)]
    Auth(AuthCommand),
    /// Run the local Routy sandbox in the foreground (Ctrl-C stops it).
    Sandbox {
        /// Port on 127.0.0.1 (0 picks a free one).
        #[arg(long, default_value_t = 0)]
        port: u16,
        /// Serve these accounts (a JSON array) instead of the seed data.
        #[arg(long, value_name = "FILE")]
        accounts: Option<PathBuf>,
        /// Keep tokens in this file across restarts.
        #[arg(long, value_name = "FILE")]
        state: Option<PathBuf>,
        /// Answer routes the sandbox does not model from this JSON file: a
        /// stub or an array of them, e.g. [{"method": "GET", "path":
        /// "/v1/reports", "response": {"status": 200, "json": []}}]. Behind
        /// the same ApiKey authentication as the real routes.
        #[arg(long, value_name = "FILE")]
        stubs: Option<PathBuf>,
        /// Misbehave from the start, by the fault rules in this JSON file
        /// (a rule or an array), e.g. [{"kind": "reset", "times": 2},
        /// {"kind": "drop", "probability": 0.1, "seed": 7}].
        #[arg(long, value_name = "FILE")]
        faults: Option<PathBuf>,
        /// One fault rule as JSON, e.g. '{"kind": "stall", "ms": 5000,
        /// "times": 1}'; repeatable, added after --faults. Kinds: respond,
        /// delay, drop, reset, stall, drip, badChunked, empty.
        #[arg(long, value_name = "JSON")]
        fault: Vec<String>,
    },
    /// Print a shell completion script.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum AccountsCommand {
    /// List the accounts the key can see.
    List {
        /// Output format.
        #[arg(long, short, value_enum, default_value_t = Output::Table)]
        output: Output,
        #[command(flatten)]
        client: ClientArgs,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum AuthCommand {
    /// Check the key with one authenticated call.
    Check {
        #[command(flatten)]
        client: ClientArgs,
    },
    /// Which profile and key source are in use, the key's fingerprint,
    /// the base URL, and whether the API accepts the key.
    Status {
        #[command(flatten)]
        client: ClientArgs,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum Output {
    Table,
    Json,
}
