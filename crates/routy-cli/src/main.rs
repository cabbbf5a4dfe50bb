//! `routy`: check a Routy API token, list accounts, make raw API calls and
//! run the local sandbox from a shell.
//!
//! The key comes from `ROUTY_API_KEY`, a token file or standard input, never
//! from an argument (`ps` would show it). Results go to stdout, one clear
//! line of error (and a hint) to stderr, and the exit code says what kind of
//! failure it was: 2 usage or credentials, 3 authentication, 4 other API
//! errors, 5 network.

mod verbose;

use std::io::{self, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};
use routy::http::Method;
use routy::{ApiErrorKind, ApiKey, Body, ConfigError, Error, KeyError, TransportErrorKind};
use routy_sandbox::{NewToken, Sandbox};

use crate::verbose::Verbose;

/// Exit codes, as documented in the README.
mod exit {
    pub(crate) const USAGE: u8 = 2;
    pub(crate) const AUTH: u8 = 3;
    pub(crate) const API: u8 = 4;
    pub(crate) const NETWORK: u8 = 5;
}

#[derive(Debug, Parser)]
#[command(name = "routy", version, about = "The Routy platform API from your shell", long_about = None)]
struct Cli {
    #[command(flatten)]
    global: Global,
    #[command(subcommand)]
    command: Command,
}

/// Options every API command takes. There is deliberately no option that
/// takes the key itself.
#[derive(Debug, Args)]
struct Global {
    /// API base URL.
    #[arg(
        long,
        global = true,
        env = "ROUTY_BASE_URL",
        value_name = "URL",
        hide_env_values = true
    )]
    base_url: Option<String>,
    // An `OsString`, not a `PathBuf`: clap refuses an empty `PathBuf`, and
    // an empty ROUTY_API_KEY_FILE (a .env line) must mean "not set".
    /// Read the API key from this file (e.g. the downloaded .txt).
    #[arg(
        long,
        global = true,
        env = "ROUTY_API_KEY_FILE",
        value_name = "PATH",
        value_hint = clap::ValueHint::FilePath,
        hide_env_values = true
    )]
    api_key_file: Option<std::ffi::OsString>,
    /// Read the API key from standard input.
    #[arg(long, global = true, conflicts_with = "api_key_file")]
    api_key_stdin: bool,
    /// Overall deadline of the command, in seconds, retries included.
    #[arg(long, global = true, value_name = "SECS")]
    timeout: Option<f64>,
    /// Retries after a failed attempt (idempotent requests only).
    #[arg(long, global = true, value_name = "N")]
    max_retries: Option<u32>,
    /// Trust the CA certificates in this PEM file instead of the bundled
    /// roots (a TLS-inspecting proxy's CA, a private CA).
    #[arg(
        long,
        global = true,
        env = "SSL_CERT_FILE",
        value_name = "PATH",
        value_hint = clap::ValueHint::FilePath
    )]
    ca_file: Option<std::ffi::OsString>,
    /// Log each request and response to stderr (secrets redacted).
    #[arg(long, short, global = true)]
    verbose: bool,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Accounts.
    #[command(subcommand)]
    Accounts(AccountsCommand),
    /// An authenticated call to any endpoint; prints the body.
    Api {
        /// GET, POST, PUT, PATCH, DELETE …
        method: String,
        /// Path under the base URL, e.g. /v1/accounts.
        path: String,
        /// A JSON body, or @FILE to read it from a file (@- for stdin).
        #[arg(long, short, value_name = "JSON|@FILE")]
        data: Option<String>,
        /// Also print the status line and response headers.
        #[arg(long, short)]
        include: bool,
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
    },
    /// Print a shell completion script.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
}

#[derive(Debug, Subcommand)]
enum AccountsCommand {
    /// List the accounts the key can see.
    List {
        /// Output format.
        #[arg(long, short, value_enum, default_value_t = Output::Table)]
        output: Output,
    },
}

#[derive(Debug, Subcommand)]
enum AuthCommand {
    /// Check the key with one authenticated call.
    Check,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Output {
    Table,
    Json,
}

/// A failure: its exit code, one line for stderr, and maybe a hint.
#[derive(Debug)]
struct Failure {
    code: u8,
    message: String,
    hint: Option<String>,
}

impl Failure {
    fn usage(message: impl Into<String>) -> Self {
        Failure {
            code: exit::USAGE,
            message: message.into(),
            hint: None,
        }
    }
}

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
    match cli.command {
        Command::Completions { shell } => {
            clap_complete::generate(shell, &mut Cli::command(), "routy", &mut io::stdout());
            Ok(())
        }
        Command::Sandbox {
            port,
            accounts,
            state,
        } => sandbox(port, accounts, state),
        Command::Accounts(AccountsCommand::List { output }) => {
            let (client, _) = connect(&cli.global)?;
            accounts_list(&client, output)
        }
        Command::Api {
            method,
            path,
            data,
            include,
        } => {
            let method = Method::from_bytes(method.to_ascii_uppercase().as_bytes())
                .map_err(|_| Failure::usage(format!("{method:?} is not an HTTP method")))?;
            let body = data.map(|d| read_data(&d)).transpose()?;
            let (client, _) = connect(&cli.global)?;
            api(&client, method, &path, body, include)
        }
        Command::Auth(AuthCommand::Check) => {
            let (client, key) = connect(&cli.global)?;
            auth_check(&client, &key)
        }
    }
}

type Client = routy_core::Client<Verbose>;

/// Loads the key and builds the client. Nothing is sent here.
fn connect(global: &Global) -> Result<(Client, ApiKey), Failure> {
    let key = load_key(global)?;
    let mut builder = routy::Client::builder()
        .api_key(key.clone())
        .app_name(concat!("routy-cli/", env!("CARGO_PKG_VERSION")));
    // An empty ROUTY_BASE_URL (`ROUTY_BASE_URL=` in a .env file) means the
    // default, as it does for Client::from_env.
    if let Some(url) = global.base_url.as_deref().filter(|u| !u.trim().is_empty()) {
        builder = builder.base_url(url);
    }
    if let Some(secs) = global.timeout {
        // More than a Duration holds (`inf` too) is as long as can be; the
        // client cuts it to routy::config::MAX_DURATION.
        let timeout = if secs > 0.0 {
            Duration::try_from_secs_f64(secs).unwrap_or(Duration::MAX)
        } else {
            Duration::ZERO
        };
        if timeout.is_zero() {
            return Err(Failure::usage(format!(
                "--timeout {secs} is not a positive number of seconds"
            )));
        }
        builder = builder.timeout(timeout).call_timeout(timeout);
    }
    if let Some(retries) = global.max_retries {
        builder = builder.max_retries(retries);
    }
    let mut transport = routy::UreqTransport::builder();
    // An empty SSL_CERT_FILE means "not set", as for the other variables.
    if let Some(path) = global.ca_file.as_ref().filter(|p| !p.is_empty()) {
        transport = transport.ca_file(path);
    }
    let transport = transport.build().map_err(failure)?;
    let transport = Verbose::new(transport, global.verbose, &key);
    let client = builder.build_with(transport).map_err(failure)?;
    Ok((client, key))
}

fn load_key(global: &Global) -> Result<ApiKey, Failure> {
    let key = if global.api_key_stdin {
        let mut text = String::new();
        io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| Failure::usage(format!("cannot read the api key from stdin: {e}")))?;
        ApiKey::try_from(text)
    } else if let Some(path) = global.api_key_file.as_ref().filter(|p| !p.is_empty()) {
        ApiKey::from_file(path)
    } else {
        ApiKey::from_env()
    };
    key.map_err(|e| failure(Error::from(e)))
}

/// Reads `--data`: literal JSON, `@FILE`, or `@-` for stdin.
fn read_data(data: &str) -> Result<Body, Failure> {
    let bytes = match data.strip_prefix('@') {
        Some("-") => {
            let mut bytes = Vec::new();
            io::stdin()
                .read_to_end(&mut bytes)
                .map_err(|e| Failure::usage(format!("cannot read --data from stdin: {e}")))?;
            bytes
        }
        Some(path) => std::fs::read(path)
            .map_err(|e| Failure::usage(format!("cannot read --data file {path}: {e}")))?,
        None => data.as_bytes().to_vec(),
    };
    serde_json::from_slice::<serde::de::IgnoredAny>(&bytes)
        .map_err(|e| Failure::usage(format!("--data is not valid JSON: {e}")))?;
    Body::new("application/json", bytes).map_err(failure)
}

fn accounts_list(client: &Client, output: Output) -> Result<(), Failure> {
    match output {
        Output::Table => {
            let accounts = client.accounts().map_err(failure)?;
            // Account data is the server's text too: an echo of the key
            // in it is not printed either.
            let scrub = |text: &str| one_line(&client.transport().scrub(text));
            let ids: Vec<String> = accounts.iter().map(|a| scrub(&a.id.to_string())).collect();
            let width = ids
                .iter()
                .map(|id| id.chars().count())
                .max()
                .unwrap_or(0)
                .max(2);
            let mut text = format!("{:<width$}  NAME\n", "ID");
            for (id, account) in ids.iter().zip(&accounts) {
                text.push_str(&format!(
                    "{id:<width$}  {}\n",
                    scrub(account.name().unwrap_or("-"))
                ));
            }
            print(text.as_bytes())
        }
        Output::Json => {
            // Each account exactly as the API sent it (order, unknown
            // members, escapes), in one array whatever envelope held them.
            let accounts = client.accounts().map_err(failure)?;
            let mut out = Vec::with_capacity(
                2 + accounts
                    .iter()
                    .map(|a| a.raw_json().len() + 1)
                    .sum::<usize>(),
            );
            out.push(b'[');
            for (i, account) in accounts.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                out.extend_from_slice(account.raw_json().as_bytes());
            }
            out.extend_from_slice(b"]\n");
            print(&client.transport().scrub_bytes(&out))
        }
    }
}

/// The server's `text` for one line of output (a table cell, a header
/// line): routy's own rule, so it can neither forge a line nor drive the
/// terminal.
pub(crate) fn one_line(text: &str) -> String {
    routy::text::one_line(text, usize::MAX).into_owned()
}

fn api(
    client: &Client,
    method: Method,
    path: &str,
    body: Option<Body>,
    include: bool,
) -> Result<(), Failure> {
    let response = client.raw(method, path, body).map_err(failure)?;
    let mut out = Vec::new();
    if include {
        out.extend_from_slice(format!("HTTP/1.1 {}\n", response.status()).as_bytes());
        for (name, value) in response.headers() {
            let value = String::from_utf8_lossy(value.as_bytes());
            out.extend_from_slice(
                format!("{name}: {}\n", one_line(&client.transport().scrub(&value))).as_bytes(),
            );
        }
        out.push(b'\n');
    }
    // A server that echoes the key does not get it printed.
    out.extend_from_slice(&client.transport().scrub_bytes(&pretty(response.body())));
    if !out.ends_with(b"\n") {
        out.push(b'\n');
    }
    print(&out)?;
    if response.status().is_success() {
        return Ok(());
    }
    // Printed above for the caller; the exit code says what class it was.
    let key = client.api_key();
    Err(failure(Error::from(
        routy::ApiError::from_response_redacting(&response, &key),
    )))
}

/// JSON pretty-printed with its member order kept; anything else as is.
fn pretty(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() + body.len() / 4);
    let mut de = serde_json::Deserializer::from_slice(body);
    let mut ser = serde_json::Serializer::pretty(&mut out);
    match serde_transcode::transcode(&mut de, &mut ser).and_then(|()| de.end()) {
        Ok(()) => out,
        Err(_) => body.to_vec(),
    }
}

fn auth_check(client: &Client, key: &ApiKey) -> Result<(), Failure> {
    let fingerprint = key.fingerprint();
    let base = client.config().base_url().to_string();
    match client.accounts() {
        Ok(accounts) => print(
            format!(
                "api key {fingerprint} is valid: {} account(s) visible at {base}\n",
                accounts.len()
            )
            .as_bytes(),
        ),
        Err(Error::Api(err)) if err.kind() == ApiErrorKind::Unauthorized => {
            let why = err
                .server_message()
                .unwrap_or("invalid, expired or deleted");
            Err(Failure {
                code: exit::AUTH,
                message: format!("api key {fingerprint} was rejected (401): {why}"),
                hint: Some("generate a new token in the Routy web UI (avatar → API Tokens)".into()),
            })
        }
        Err(Error::Api(err)) if err.kind() == ApiErrorKind::Forbidden => Err(Failure {
            code: exit::AUTH,
            message: format!(
                "api key {fingerprint} is valid but forbidden here (403): {}",
                err.server_message().unwrap_or("no detail")
            ),
            hint: None,
        }),
        Err(other) => Err(failure(other)),
    }
}

fn sandbox(port: u16, accounts: Option<PathBuf>, state: Option<PathBuf>) -> Result<(), Failure> {
    let mut builder = Sandbox::builder().addr(([127, 0, 0, 1], port).into());
    if let Some(path) = accounts {
        builder = builder.accounts_file(path);
    }
    if let Some(path) = state {
        builder = builder.state_file(path);
    }
    let sandbox = builder.start().map_err(|e| {
        let code = match e {
            routy_sandbox::SandboxError::Start { .. } => exit::NETWORK,
            _ => exit::USAGE,
        };
        Failure {
            code,
            message: routy::error_chain(&e),
            hint: None,
        }
    })?;
    let token = sandbox
        .issue_token(NewToken::named("routy sandbox").creator("routy-cli"))
        .map_err(|e| Failure::usage(routy::error_chain(&e)))?;
    let (tx, rx) = std::sync::mpsc::channel();
    ctrlc::set_handler(move || {
        let _ = tx.send(());
    })
    .map_err(|e| Failure::usage(format!("cannot handle Ctrl-C: {e}")))?;
    print(
        format!(
            "# routy sandbox at {base} (Ctrl-C to stop)\n\
             # admin surface: {admin} with header {header}: {secret}\n\
             # a token was issued for you; it is shown this once:\n\
             export ROUTY_BASE_URL={base} ROUTY_API_KEY={token}\n",
            base = sandbox.base_url(),
            admin = sandbox.admin_url(),
            header = routy_sandbox::ADMIN_HEADER,
            secret = sandbox.admin_secret(),
            token = token.secret(),
        )
        .as_bytes(),
    )?;
    let _ = rx.recv();
    sandbox.stop();
    let _ = writeln!(io::stderr(), "sandbox stopped");
    Ok(())
}

/// Writes to stdout; a closed pipe (`| head`) ends quietly.
fn print(bytes: &[u8]) -> Result<(), Failure> {
    let mut stdout = io::stdout().lock();
    match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => Err(Failure {
            code: exit::USAGE,
            message: format!("cannot write output: {e}"),
            hint: None,
        }),
        _ => Ok(()),
    }
}

/// Classifies a routy error into an exit code, a line and a hint.
fn failure(err: Error) -> Failure {
    let message = routy::error_chain(&err);
    let (code, hint) = match &err {
        Error::Key(KeyError::MissingEnv { .. }) => (
            exit::USAGE,
            Some("export ROUTY_API_KEY=<token>, or pass --api-key-file PATH or --api-key-stdin"),
        ),
        Error::Key(KeyError::PastedPrefix { .. }) => (
            exit::USAGE,
            Some("the token is what follows 'ApiKey ' in the Authorization header"),
        ),
        Error::Key(KeyError::InnerWhitespace { .. } | KeyError::ControlCharacter { .. }) => (
            exit::USAGE,
            Some("the key has a stray space or line break inside; copy the token again"),
        ),
        Error::Key(_) | Error::Request(_) => (exit::USAGE, None),
        Error::Config(ConfigError::CaCertificates { .. }) => (
            exit::USAGE,
            Some("--ca-file (SSL_CERT_FILE) must name a PEM file of CA certificates"),
        ),
        Error::Config(ConfigError::InsecureHttp { .. }) => (
            exit::USAGE,
            Some("use an https:// base URL (plain http is only for 127.0.0.1 and localhost)"),
        ),
        Error::Config(_) => (exit::USAGE, None),
        Error::Api(api) => match api.kind() {
            ApiErrorKind::Unauthorized => (
                exit::AUTH,
                Some("the token is invalid, expired or deleted; check it with `routy auth check`"),
            ),
            ApiErrorKind::Forbidden => (exit::AUTH, Some("the token is valid but may not do this")),
            ApiErrorKind::RateLimited => (exit::API, Some("retry later, or raise --max-retries")),
            _ => (exit::API, None),
        },
        Error::Transport(t) => match t.kind() {
            TransportErrorKind::Timeout => {
                (exit::NETWORK, Some("raise --timeout, or check the server"))
            }
            TransportErrorKind::Connect => (
                exit::NETWORK,
                Some("check --base-url (ROUTY_BASE_URL) and your network"),
            ),
            TransportErrorKind::Tls => (
                exit::NETWORK,
                Some(
                    "the server's certificate is not trusted; behind a proxy that inspects \
                     TLS, pass its CA with --ca-file PATH (or SSL_CERT_FILE)",
                ),
            ),
            _ => (exit::NETWORK, None),
        },
        _ => (exit::API, None),
    };
    Failure {
        code,
        message,
        hint: hint.map(str::to_owned),
    }
}
