//! `routy`: check a Routy API token, list accounts, make raw API calls and
//! run the local sandbox from a shell.
//!
//! The key comes from `ROUTY_API_KEY`, a token file or standard input, never
//! from an argument (`ps` would show it). Results go to stdout, one clear
//! line of error (and a hint) to stderr, and the exit code says what kind of
//! failure it was: 2 usage or credentials, 3 authentication, 4 other API
//! errors, 5 network.

mod setup;
mod verbose;

use std::ffi::OsString;
use std::io::{self, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};
use routy::endpoint::Raw;
use routy::http::Method;
use routy::{
    ApiErrorKind, ApiKey, Body, CallOptions, ConfigError, Error, KeyError, TransportErrorKind,
};
use routy_sandbox::{NewToken, Sandbox};

use crate::setup::Setup;
use crate::verbose::Verbose;

/// Exit codes, as documented in the README.
mod exit {
    /// `routy sandbox` ended with stub expectations not met.
    pub(crate) const FAILURE: u8 = 1;
    pub(crate) const USAGE: u8 = 2;
    pub(crate) const AUTH: u8 = 3;
    pub(crate) const API: u8 = 4;
    pub(crate) const NETWORK: u8 = 5;
}

/// Where settings come from, for `--help` (and the README).
const PRECEDENCE: &str = "\
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
struct Cli {
    /// The client options may also come before the command.
    #[command(flatten)]
    client: ClientArgs,
    #[command(subcommand)]
    command: Command,
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
    fn or(self, outer: ClientArgs) -> ClientArgs {
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
    fn any(&self) -> bool {
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
enum Command {
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
enum AccountsCommand {
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
enum AuthCommand {
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
enum Output {
    Table,
    Json,
}

/// A failure: its exit code, one line for stderr, and maybe a hint.
#[derive(Debug)]
pub(crate) struct Failure {
    pub(crate) code: u8,
    pub(crate) message: String,
    pub(crate) hint: Option<String>,
}

impl Failure {
    pub(crate) fn usage(message: impl Into<String>) -> Self {
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
            sandbox(port, accounts, state, misbehaviour)
        }
        Command::Accounts(AccountsCommand::List { output, client }) => {
            let (client, _) = connect(&client.or(outer))?;
            accounts_list(&client, output)
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
            let options = header_options(&headers)?;
            let body = data.map(|d| read_data(&d)).transpose()?;
            let (client, _) = connect(&client.or(outer))?;
            api(&client, method, &path, body, &options, include)
        }
        Command::Auth(AuthCommand::Check { client }) => {
            let (client, setup) = connect(&client.or(outer))?;
            auth_check(&client, &setup.key)
        }
        Command::Auth(AuthCommand::Status { client }) => {
            let (client, setup) = connect(&client.or(outer))?;
            auth_status(&client, &setup)
        }
    }
}

/// Client options before a command that makes no API call do nothing:
/// say so rather than ignore them.
fn no_client_options(outer: &ClientArgs, command: &str) -> Result<(), Failure> {
    if outer.any() {
        return Err(Failure::usage(format!(
            "client options (--base-url, --timeout, --profile …) do nothing for `routy {command}`"
        )));
    }
    Ok(())
}

type Client = routy_core::Client<Verbose>;

/// Resolves the key and settings and builds the client. Nothing is sent
/// here (a profile's key command may run).
fn connect(args: &ClientArgs) -> Result<(Client, Setup), Failure> {
    let setup = Setup::resolve(args)?;
    let mut builder = routy::Client::builder()
        .api_key(setup.key.clone())
        .app_name(concat!("routy-cli/", env!("CARGO_PKG_VERSION")));
    if let Some(url) = &setup.base_url {
        builder = builder.base_url(url);
    }
    if let Some(secs) = args.timeout {
        let timeout = positive_seconds(secs)?;
        // One deadline for the whole call: each attempt's timeout is what
        // is left of it.
        builder = builder.timeout(timeout).call_timeout(timeout);
    }
    if let Some(retries) = args.max_retries {
        builder = builder.max_retries(retries);
    }
    let mut transport = routy::UreqTransport::builder();
    if let Some(path) = &setup.ca_file {
        transport = transport.ca_file(path);
    }
    let transport = transport.build().map_err(failure)?;
    let transport = Verbose::new(transport, args.verbose, &setup.key);
    let client = builder.build_with(transport).map_err(failure)?;
    Ok((client, setup))
}

/// `--timeout SECS` as a duration: more than a Duration holds (`inf` too)
/// is as long as can be (the client cuts it to routy::defaults::MAX_DURATION).
fn positive_seconds(secs: f64) -> Result<Duration, Failure> {
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
    Ok(timeout)
}

/// `-H 'Name: value'` as call options; the library refuses the headers it
/// owns when the call is made, before anything is sent.
fn header_options(headers: &[String]) -> Result<CallOptions, Failure> {
    let mut options = CallOptions::new();
    for header in headers {
        let Some((name, value)) = header.split_once(':') else {
            return Err(Failure::usage(format!(
                "--header {:?} is not 'Name: value'",
                one_line(header)
            )));
        };
        options = options.header(name.trim(), value.trim());
    }
    Ok(options)
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
    Body::new("application/json", bytes).map_err(|err| failure(err.into()))
}

fn accounts_list(client: &Client, output: Output) -> Result<(), Failure> {
    match output {
        Output::Table => {
            let accounts = client.accounts().map_err(failure)?;
            // Account data is the server's text too: an echo of the key
            // in it is not printed either.
            let scrub = |text: &str| one_line(&client.transport().scrub(text));
            let ids: Vec<String> = accounts
                .iter()
                .map(|a| scrub(&a.id().to_string()))
                .collect();
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
    options: &CallOptions,
    include: bool,
) -> Result<(), Failure> {
    let endpoint = Raw::new(method, path).with_body(body).success_only();
    match client.call_with(endpoint, options) {
        Ok(response) => {
            let mut out = Vec::new();
            if include {
                head(&mut out, client, response.status(), response.headers());
            }
            body_lines(&mut out, client, response.body());
            print(&out)
        }
        Err(Error::Api(err)) => {
            // stdout stays empty, so `| jq` only ever sees a success; the
            // body (redacted) goes to stderr, above the message.
            let mut out = Vec::new();
            if include {
                head(&mut out, client, err.status(), err.headers());
            }
            body_lines(&mut out, client, err.body().as_bytes());
            let _ = io::stderr().lock().write_all(&out);
            Err(failure(Error::Api(err)))
        }
        Err(other) => Err(failure(other)),
    }
}

/// The status line and headers, each value the server's text for one line.
fn head(
    out: &mut Vec<u8>,
    client: &Client,
    status: routy::http::StatusCode,
    headers: &routy::http::HeaderMap,
) {
    out.extend_from_slice(format!("HTTP/1.1 {status}\n").as_bytes());
    for (name, value) in headers {
        let value = String::from_utf8_lossy(value.as_bytes());
        let value = one_line(&client.transport().scrub(&value));
        out.extend_from_slice(format!("{name}: {value}\n").as_bytes());
    }
    out.push(b'\n');
}

/// The body, pretty if JSON, with a final newline; a server that echoes
/// the key does not get it printed.
fn body_lines(out: &mut Vec<u8>, client: &Client, body: &[u8]) {
    if body.is_empty() {
        return;
    }
    out.extend_from_slice(&client.transport().scrub_bytes(&pretty(body)));
    if !out.ends_with(b"\n") {
        out.push(b'\n');
    }
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
    let accepted = check_key(client, key)?;
    print(format!("api key {} is valid: {accepted}\n", key.fingerprint()).as_bytes())
}

/// What `routy auth status` prints: where everything came from, then
/// whether the API accepts the key (exit 3 if not).
fn auth_status(client: &Client, setup: &Setup) -> Result<(), Failure> {
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

/// The stubs and fault rules `routy sandbox` starts with, read and
/// checked before anything listens.
struct Misbehaviour {
    stubs: Vec<routy_sandbox::Stub>,
    faults: Vec<routy_sandbox::FaultRule>,
}

impl Misbehaviour {
    fn read(
        stubs: Option<PathBuf>,
        faults: Option<PathBuf>,
        inline: &[String],
    ) -> Result<Self, Failure> {
        let mut rules: Vec<routy_sandbox::FaultRule> = match faults {
            Some(path) => one_or_many(&routy::text::shown_path(&path), &read_file(&path)?)?,
            None => Vec::new(),
        };
        for json in inline {
            rules.extend(one_or_many::<routy_sandbox::FaultRule>(
                "--fault",
                json.as_bytes(),
            )?);
        }
        let stubs = match stubs {
            Some(path) => one_or_many(&routy::text::shown_path(&path), &read_file(&path)?)?,
            None => Vec::new(),
        };
        Ok(Misbehaviour {
            stubs,
            faults: rules,
        })
    }

    fn apply(self, sandbox: &Sandbox) -> Result<(), Failure> {
        for stub in self.stubs {
            let what = format!("stub {} {}", stub.method, stub.path);
            sandbox
                .add_stub(stub)
                .map_err(|e| Failure::usage(format!("{what}: {e}")))?;
        }
        for rule in self.faults {
            sandbox
                .add_fault(rule)
                .map_err(|e| Failure::usage(format!("fault rule: {e}")))?;
        }
        Ok(())
    }
}

/// A stub or fault file: a regular file (never a FIFO to wait on), at
/// most 16 MiB.
fn read_file(path: &std::path::Path) -> Result<Vec<u8>, Failure> {
    let mut bytes = Vec::new();
    routy_core::file::read_regular(path, 16 << 20, &mut bytes).map_err(|e| {
        Failure::usage(format!(
            "cannot read {}: {e}",
            routy::text::shown_path(path)
        ))
    })?;
    Ok(bytes)
}

/// One item or an array of them, from JSON; errors name `source`, the
/// line and the parser's words (one line).
fn one_or_many<T: serde::de::DeserializeOwned>(
    source: &str,
    bytes: &[u8],
) -> Result<Vec<T>, Failure> {
    routy_sandbox::items_from_json(bytes).map_err(|e| Failure::usage(format!("{source}: {e}")))
}

fn sandbox(
    port: u16,
    accounts: Option<PathBuf>,
    state: Option<PathBuf>,
    misbehaviour: Misbehaviour,
) -> Result<(), Failure> {
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
    misbehaviour.apply(&sandbox)?;
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
    let unmet = sandbox.verify_stubs();
    // Reported here, not by the sandbox's drop (which panics, for tests).
    sandbox.clear_stubs();
    sandbox.stop();
    let _ = writeln!(io::stderr(), "sandbox stopped");
    unmet.map_err(|unmet| Failure {
        code: exit::FAILURE,
        message: format!("stub expectations not met: {unmet}"),
        hint: None,
    })
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
    let mut message = routy::error_chain(&err);
    let (code, hint) = match &err {
        Error::Key(KeyError::MissingEnv { .. }) => (
            exit::USAGE,
            Some(
                "export ROUTY_API_KEY=<token>, pass --api-key-file PATH or --api-key-stdin, or \
                 use a profile (--profile NAME; see `routy --help`)"
                    .to_owned(),
            ),
        ),
        Error::Key(_) | Error::Request(_) => (exit::USAGE, key_hint(&err)),
        Error::Config(ConfigError::InsecureHttp { host }) => {
            // The library's message names a builder method a shell user
            // cannot call.
            message = format!(
                "refusing plain http to {host}: the api key would cross the network unencrypted"
            );
            (
                exit::USAGE,
                Some(
                    "use an https:// base URL (plain http is only for 127.0.0.1, [::1] and \
                     localhost)"
                        .to_owned(),
                ),
            )
        }
        Error::Config(ConfigError::CaCertificates { .. }) => (
            exit::USAGE,
            Some("--ca-file (SSL_CERT_FILE) must name a PEM file of CA certificates".to_owned()),
        ),
        Error::Config(_) | Error::Profile(_) => (exit::USAGE, None),
        Error::Api(api) => api_hint(api),
        Error::Transport(t) => (exit::NETWORK, transport_hint(t.kind())),
        _ => (exit::API, None),
    };
    Failure {
        code,
        message,
        hint,
    }
}

fn key_hint(err: &Error) -> Option<String> {
    let hint = match err {
        Error::Key(KeyError::PastedPrefix { .. }) => {
            "the token is what follows 'ApiKey ' in the Authorization header"
        }
        Error::Key(KeyError::InnerWhitespace { .. } | KeyError::ControlCharacter { .. }) => {
            "the key has a stray space or line break inside; copy the token again"
        }
        _ => return None,
    };
    Some(hint.to_owned())
}

/// The exit code and hint for an API error. A rate limit says when to come
/// back: more retries would only meet the same limit sooner.
fn api_hint(api: &routy::ApiError) -> (u8, Option<String>) {
    let when = api.retry_after().map(|after| match after {
        routy::RetryAfter::Delay(delay) => format!("in {} s", delay.as_secs()),
        routy::RetryAfter::At(_) => format!("after {after}"),
    });
    match api.kind() {
        ApiErrorKind::Unauthorized => (
            exit::AUTH,
            Some(
                "the token is invalid, expired or deleted; check it with `routy auth status`"
                    .to_owned(),
            ),
        ),
        ApiErrorKind::Forbidden => (
            exit::AUTH,
            Some("the token is valid but may not do this".to_owned()),
        ),
        ApiErrorKind::RateLimited => (
            exit::API,
            Some(match when {
                Some(when) => format!("the rate limit is spent: try again {when}"),
                None => "the rate limit is spent: wait a while before trying again".to_owned(),
            }),
        ),
        _ => (
            exit::API,
            when.map(|when| format!("the server asks to be called again {when}")),
        ),
    }
}

fn transport_hint(kind: TransportErrorKind) -> Option<String> {
    let hint = match kind {
        TransportErrorKind::Timeout => "raise --timeout, or check the server",
        TransportErrorKind::Connect => "check --base-url (ROUTY_BASE_URL) and your network",
        TransportErrorKind::Tls => {
            "the server's certificate is not trusted; behind a proxy that inspects TLS, pass \
             its CA with --ca-file PATH (or SSL_CERT_FILE)"
        }
        _ => return None,
    };
    Some(hint.to_owned())
}
