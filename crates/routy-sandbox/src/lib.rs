//! A local server that behaves like the Routy API as far as Routy documents
//! it, for development and tests with no network and no real token — the
//! way stripe-mock serves Stripe users.
//!
//! - `GET /api/v1/accounts` behind `Authorization: ApiKey <token>`, with
//!   RFC 9457 problem bodies telling a missing header, a wrong scheme, and
//!   unknown, deleted and expired tokens apart (never echoing the token).
//! - The token lifecycle of Routy's guide: issue (the secret shown once, 32
//!   random bytes in base64, only its SHA-256 kept), list, search, filter,
//!   delete; last-used updated on every authenticated call.
//! - [`Stub`]s for routes it does not model, behind the same
//!   authentication, with expectations checked at drop.
//! - A request journal ([`Sandbox::journal`]): every request, the key as
//!   its fingerprint.
//! - [`Fault`]s: scripted responses, delays, and connection faults (reset,
//!   cut or stalled mid-body, slow drip, broken chunking, empty reply),
//!   for the next N calls or by a seeded probability ([`FaultRule`]); a
//!   rate limit.
//! - The behaviour itself is [`model::Api`], a function of (state,
//!   request, now) with no sockets: this server is a thin front over it,
//!   and `routy-testkit`'s simulator runs the same model.
//! - Determinism: an injectable [`WallClock`] and a seeded token generator.
//!
//! Everything is reachable from Rust and from an admin HTTP surface under
//! `/_sandbox/`, guarded by its own secret in the `X-Routy-Sandbox-Admin`
//! header so it can never be mistaken for a Routy endpoint.
//!
//! ```
//! use routy_sandbox::{NewToken, Sandbox};
//!
//! let sandbox = Sandbox::start()?;
//! let token = sandbox.issue_token(NewToken::named("Reporting Script"))?;
//! // Point a client at sandbox.base_url() with token.secret().
//! assert!(sandbox.base_url().starts_with("http://127.0.0.1:"));
//! assert!(sandbox.base_url().ends_with("/api"));
//! # let _ = token;
//! # Ok::<(), routy_sandbox::SandboxError>(())
//! ```
//!
//! # The admin surface
//!
//! All under `/_sandbox`, all with `X-Routy-Sandbox-Admin: <admin secret>`:
//!
//! | call | does |
//! |---|---|
//! | `POST /_sandbox/tokens` `{"name", "creator"?, "expiresAt"? (RFC 3339), "expiresInDays"?}` | issues a token: `201` with `token` (the secret, this once) and its details |
//! | `GET /_sandbox/tokens?search=&creator=&createdFrom=&createdTo=&lastUsedFrom=&lastUsedTo=&expiringWithinDays=&recentlyUsedWithinDays=` | lists tokens (never secrets) |
//! | `DELETE /_sandbox/tokens/{id}` | deletes a token for good: `204`, or `404` |
//! | `POST /_sandbox/faults` a [`FaultRule`] or an array of them (`{"kind": "reset", "times": 2}`) | queues fault rules: `200` with `pending` |
//! | `DELETE /_sandbox/faults` | clears faults and the rate limit |
//! | `POST /_sandbox/stubs` a [`Stub`] or an array of them | adds stubs: `204` |
//! | `DELETE /_sandbox/stubs` | removes every stub |
//! | `GET /_sandbox/stubs/verify` | `204` when every expectation is met, else `409` with the unmet ones in `detail` |
//! | `GET /_sandbox/journal` / `DELETE` | the request journal ([`Received`] as JSON) / empties it |
//! | `PUT /_sandbox/rate-limit` `{"requests", "windowSeconds"}` / `DELETE` | sets or clears the rate limit |
//!
//! Invalid input gets `400` with an ASP.NET-style validation problem
//! (`errors` by field).

// On docs.rs, label each feature-gated item with its feature.
#![cfg_attr(docsrs, feature(doc_cfg))]
// Libraries report through return values, never the terminal.
#![deny(clippy::print_stdout, clippy::print_stderr)]

mod accounts;
mod clock;
mod error;
mod faults;
mod files;
mod front;
mod journal;
pub mod model;
mod server;
mod stubs;
mod sync;
mod tokens;

use std::fmt;
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use base64::Engine as _;

use rand::{RngCore, SeedableRng};

pub use accounts::{seed_accounts_json, SEED_ACCOUNTS};
pub use clock::{ManualWallClock, SystemWallClock, WallClock};
pub use error::SandboxError;
pub use faults::{Fault, FaultRule, RateWindow};
pub use files::items_from_json;
pub use journal::{Received, JOURNAL_BODY_BYTES, JOURNAL_CAPACITY};
pub use server::ADMIN_HEADER;
pub use stubs::{Stub, StubResponse, UnmetExpectations};
pub use tokens::{IssuedToken, NewToken, TokenFilter, TokenInfo, DEFAULT_CREATOR, NAME_CHARS};

/// How many threads answer requests by default.
pub const DEFAULT_WORKERS: usize = 8;

/// Configures a [`Sandbox`] before starting it.
///
/// # Examples
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use routy_sandbox::{ManualWallClock, Sandbox};
///
/// let clock = ManualWallClock::new(SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000));
/// let sandbox = Sandbox::builder()
///     .clock(clock.clone())
///     .seed(7)
///     .admin_secret("local-admin")
///     .accounts_json(br#"[{"id": "a1", "name": "Fixture Co", "extra": {"kept": true}}]"#.to_vec())
///     .start()?;
/// assert_eq!(sandbox.admin_secret(), "local-admin");
/// # Ok::<(), routy_sandbox::SandboxError>(())
/// ```
#[derive(Debug)]
pub struct SandboxBuilder {
    addr: SocketAddr,
    accounts: AccountsSource,
    clock: Arc<dyn WallClock>,
    seed: Option<u64>,
    admin_secret: Option<String>,
    state_file: Option<PathBuf>,
    workers: usize,
}

#[derive(Debug)]
enum AccountsSource {
    Seed,
    Json(Vec<u8>),
    File(PathBuf),
}

impl SandboxBuilder {
    /// Listen on `addr`. Defaults to `127.0.0.1:0` (any free port).
    ///
    /// # Examples
    ///
    /// ```
    /// let sandbox = routy_sandbox::Sandbox::builder().addr(([127, 0, 0, 1], 0).into()).start()?;
    /// # let _ = sandbox;
    /// # Ok::<(), routy_sandbox::SandboxError>(())
    /// ```
    pub fn addr(mut self, addr: SocketAddr) -> Self {
        self.addr = addr;
        self
    }

    /// Serve these accounts (a JSON array of objects with an `id`) instead
    /// of the seed data, byte for byte.
    pub fn accounts_json(mut self, json: Vec<u8>) -> Self {
        self.accounts = AccountsSource::Json(json);
        self
    }

    /// Serve the accounts in this JSON file instead of the seed data.
    ///
    /// # Examples
    ///
    /// ```
    /// let path = std::env::temp_dir().join("routy-sandbox-doc-accounts.json");
    /// std::fs::write(&path, r#"[{"id": 1, "name": "From File"}]"#)?;
    /// let sandbox = routy_sandbox::Sandbox::builder().accounts_file(&path).start()?;
    /// # let _ = sandbox;
    /// # std::fs::remove_file(&path)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn accounts_file(mut self, path: impl AsRef<Path>) -> Self {
        self.accounts = AccountsSource::File(path.as_ref().to_owned());
        self
    }

    /// Read time from `clock`. Defaults to [`SystemWallClock`].
    pub fn clock(mut self, clock: impl WallClock + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Generate token secrets (and a default admin secret) from this seed,
    /// so runs repeat exactly. Defaults to the operating system's randomness.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }

    /// The admin secret. Defaults to a random one; read it back with
    /// [`Sandbox::admin_secret`].
    pub fn admin_secret(mut self, secret: impl Into<String>) -> Self {
        self.admin_secret = Some(secret.into());
        self
    }

    /// Keep tokens in this JSON file across restarts (written atomically
    /// after every change). A missing file starts empty; a corrupt one is
    /// an error, never silently replaced.
    ///
    /// # Examples
    ///
    /// ```
    /// let path = std::env::temp_dir().join(format!("routy-sandbox-doc-state-{}.json", std::process::id()));
    /// let secret = {
    ///     let sandbox = routy_sandbox::Sandbox::builder().state_file(&path).start()?;
    ///     sandbox.issue_token(routy_sandbox::NewToken::named("kept"))?.secret().to_owned()
    /// };
    /// let again = routy_sandbox::Sandbox::builder().state_file(&path).start()?;
    /// assert_eq!(again.tokens(&Default::default())[0].name, "kept");
    /// # let _ = secret;
    /// # std::fs::remove_file(&path)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn state_file(mut self, path: impl AsRef<Path>) -> Self {
        self.state_file = Some(path.as_ref().to_owned());
        self
    }

    /// How many threads answer requests. Defaults to [`DEFAULT_WORKERS`].
    ///
    /// # Examples
    ///
    /// ```
    /// let sandbox = routy_sandbox::Sandbox::builder().workers(2).start()?;
    /// # let _ = sandbox;
    /// # Ok::<(), routy_sandbox::SandboxError>(())
    /// ```
    pub fn workers(mut self, workers: usize) -> Self {
        self.workers = workers.max(1);
        self
    }

    /// Starts the server.
    ///
    /// # Errors
    ///
    /// [`SandboxError::Start`] when the address cannot be bound,
    /// [`SandboxError::Accounts`] for an unusable fixture,
    /// [`SandboxError::State`] for a corrupt state file.
    pub fn start(self) -> Result<Sandbox, SandboxError> {
        let accounts = self.accounts.load()?;
        let store = tokens::Store::open(self.seed, self.state_file)?;
        let seed = self.seed;
        let admin_secret = self
            .admin_secret
            .unwrap_or_else(|| random_admin_secret(seed));

        let start_error = |source| SandboxError::Start {
            addr: self.addr,
            source,
        };
        let listener = TcpListener::bind(self.addr).map_err(start_error)?;
        let http = tiny_http::Server::http("127.0.0.1:0")
            .map_err(|e| start_error(std::io::Error::other(e.to_string())))?;
        let backend = http
            .server_addr()
            .to_ip()
            .ok_or_else(|| start_error(std::io::Error::other("no ip address")))?;
        let front = front::Front::start(listener, backend).map_err(start_error)?;
        let addr = front.addr();

        let shared = Arc::new(server::Shared {
            api: Mutex::new(model::Api::with_store(accounts, store)),
            admin_secret,
            clock: self.clock,
            front,
        });
        let http = Arc::new(http);
        let workers = (0..self.workers)
            .map(|i| {
                let http = Arc::clone(&http);
                let shared = Arc::clone(&shared);
                std::thread::Builder::new()
                    .name(format!("routy-sandbox-{i}"))
                    .spawn(move || {
                        while let Ok(request) = http.recv() {
                            server::handle(&shared, request);
                        }
                    })
                    .map_err(start_error)
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Sandbox {
            addr,
            shared,
            http,
            workers,
        })
    }
}

/// A running sandbox. Stops when dropped (or with [`Sandbox::stop`]).
///
/// # Examples
///
/// See the [crate docs](crate).
pub struct Sandbox {
    addr: SocketAddr,
    shared: Arc<server::Shared>,
    http: Arc<tiny_http::Server>,
    workers: Vec<JoinHandle<()>>,
}

impl Sandbox {
    /// Starts a sandbox with every default: `127.0.0.1`, a free port, the
    /// seed accounts, the system clock, random secrets.
    ///
    /// # Errors
    ///
    /// As [`SandboxBuilder::start`].
    ///
    /// # Examples
    ///
    /// See the [crate docs](crate).
    pub fn start() -> Result<Sandbox, SandboxError> {
        Self::builder().start()
    }

    /// A builder for a sandbox that is not all defaults.
    pub fn builder() -> SandboxBuilder {
        SandboxBuilder {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            accounts: AccountsSource::Seed,
            clock: Arc::new(SystemWallClock),
            seed: None,
            admin_secret: None,
            state_file: None,
            workers: DEFAULT_WORKERS,
        }
    }

    /// The address it listens on.
    ///
    /// # Examples
    ///
    /// ```
    /// let sandbox = routy_sandbox::Sandbox::start()?;
    /// assert!(sandbox.addr().ip().is_loopback());
    /// # Ok::<(), routy_sandbox::SandboxError>(())
    /// ```
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The API base URL to give a client: `http://127.0.0.1:PORT/api`.
    ///
    /// # Examples
    ///
    /// See the [crate docs](crate).
    pub fn base_url(&self) -> String {
        format!("http://{}/api", self.addr)
    }

    /// The admin surface's URL: `http://127.0.0.1:PORT/_sandbox`.
    ///
    /// # Examples
    ///
    /// ```
    /// let sandbox = routy_sandbox::Sandbox::start()?;
    /// assert!(sandbox.admin_url().ends_with("/_sandbox"));
    /// # Ok::<(), routy_sandbox::SandboxError>(())
    /// ```
    pub fn admin_url(&self) -> String {
        format!("http://{}/_sandbox", self.addr)
    }

    /// The secret the admin surface wants in [`ADMIN_HEADER`].
    pub fn admin_secret(&self) -> &str {
        &self.shared.admin_secret
    }

    /// Issues a token; its secret is in the result and nowhere else.
    ///
    /// # Errors
    ///
    /// [`SandboxError::Validation`] for a name outside 2–50 characters or
    /// an expiry in the past; [`SandboxError::State`] when the state file
    /// cannot be written.
    ///
    /// # Examples
    ///
    /// See the [crate docs](crate).
    pub fn issue_token(&self, new: NewToken) -> Result<IssuedToken, SandboxError> {
        let now = self.shared.clock.now();
        self.shared.api().issue_token(new, now)
    }

    /// Lists live tokens matching `filter`, oldest first.
    ///
    /// # Examples
    ///
    /// ```
    /// let sandbox = routy_sandbox::Sandbox::start()?;
    /// sandbox.issue_token(routy_sandbox::NewToken::named("Reporting Script"))?;
    /// sandbox.issue_token(routy_sandbox::NewToken::named("Production Integration"))?;
    /// let filter = routy_sandbox::TokenFilter { search: Some("REPORT".into()), ..Default::default() };
    /// assert_eq!(sandbox.tokens(&filter).len(), 1);
    /// # Ok::<(), routy_sandbox::SandboxError>(())
    /// ```
    pub fn tokens(&self, filter: &TokenFilter) -> Vec<TokenInfo> {
        let now = self.shared.clock.now();
        self.shared.api().tokens(filter, now)
    }

    /// Deletes a token for good: the next call with it gets 401.
    ///
    /// # Errors
    ///
    /// [`SandboxError::NoSuchToken`] when no live token has `id`.
    ///
    /// # Examples
    ///
    /// ```
    /// let sandbox = routy_sandbox::Sandbox::start()?;
    /// let token = sandbox.issue_token(routy_sandbox::NewToken::named("old"))?;
    /// sandbox.delete_token(&token.info.id)?;
    /// assert!(sandbox.delete_token(&token.info.id).is_err());
    /// # Ok::<(), routy_sandbox::SandboxError>(())
    /// ```
    pub fn delete_token(&self, id: &str) -> Result<(), SandboxError> {
        let now = self.shared.clock.now();
        self.shared.api().delete_token(id, now)
    }

    /// Makes a live token expire now: the next call with it gets the
    /// "expired" 401.
    ///
    /// # Errors
    ///
    /// [`SandboxError::NoSuchToken`] when no live token has `id`.
    ///
    /// # Examples
    ///
    /// ```
    /// let sandbox = routy_sandbox::Sandbox::start()?;
    /// let token = sandbox.issue_token(routy_sandbox::NewToken::named("short-lived"))?;
    /// sandbox.expire_token(&token.info.id)?;
    /// assert!(sandbox.tokens(&Default::default())[0].expires_at.is_some());
    /// # Ok::<(), routy_sandbox::SandboxError>(())
    /// ```
    pub fn expire_token(&self, id: &str) -> Result<(), SandboxError> {
        let now = self.shared.clock.now();
        self.shared.api().expire_token(id, now)
    }

    /// Queues a fault for the next API call.
    ///
    /// # Examples
    ///
    /// ```
    /// let sandbox = routy_sandbox::Sandbox::start()?;
    /// sandbox.push_fault(routy_sandbox::Fault::status(503).header("Retry-After", "1"));
    /// assert_eq!(sandbox.pending_faults(), 1);
    /// # Ok::<(), routy_sandbox::SandboxError>(())
    /// ```
    pub fn push_fault(&self, fault: Fault) {
        // A single-use rule with no probability always passes the check.
        let _ = self.shared.api().add_fault(fault);
    }

    /// Adds a fault rule: a fault for the next N API calls, or for each
    /// with a seeded probability.
    ///
    /// # Errors
    ///
    /// [`SandboxError::Validation`] for a probability outside 0 to 1 or a
    /// rule with neither a count nor a probability.
    ///
    /// # Examples
    ///
    /// ```
    /// use routy_sandbox::{Fault, FaultRule, Sandbox};
    /// let sandbox = Sandbox::start()?;
    /// sandbox.add_fault(FaultRule::first(2, Fault::Reset))?;
    /// assert_eq!(sandbox.pending_faults(), 2);
    /// assert!(sandbox.add_fault(FaultRule::probability(1.5, 7, Fault::Drop)).is_err());
    /// # Ok::<(), routy_sandbox::SandboxError>(())
    /// ```
    pub fn add_fault(&self, rule: impl Into<FaultRule>) -> Result<(), SandboxError> {
        self.shared.api().add_fault(rule)
    }

    /// How many API calls queued faults are still due for (counted rules),
    /// plus one for each rule with a probability and no count.
    pub fn pending_faults(&self) -> usize {
        self.shared.api().pending_faults()
    }

    /// Adds a stub: an answer for a route the sandbox does not model,
    /// behind the same authentication as the real ones.
    ///
    /// # Errors
    ///
    /// [`SandboxError::Validation`] for a bad method, path, status or
    /// header.
    ///
    /// # Examples
    ///
    /// ```
    /// use routy_sandbox::{Sandbox, Stub};
    /// let sandbox = Sandbox::start()?;
    /// sandbox.add_stub(Stub::get("/v1/reports").respond_json(200, serde_json::json!([])))?;
    /// assert!(sandbox.add_stub(Stub::get("no-slash")).is_err());
    /// # Ok::<(), routy_sandbox::SandboxError>(())
    /// ```
    pub fn add_stub(&self, stub: Stub) -> Result<(), SandboxError> {
        self.shared.api().add_stub(stub)
    }

    /// Removes every stub (and with them their expectations).
    pub fn clear_stubs(&self) {
        self.shared.api().clear_stubs();
    }

    /// Whether every stub with an [`expect`](Stub::expect)ed count got
    /// exactly that many calls. The same check runs when the sandbox is
    /// dropped, and panics there (unless the thread is already panicking).
    ///
    /// # Errors
    ///
    /// [`UnmetExpectations`]: a line per stub that did not.
    ///
    /// # Examples
    ///
    /// See [`UnmetExpectations`].
    pub fn verify_stubs(&self) -> Result<(), UnmetExpectations> {
        self.shared.api().verify_stubs()
    }

    /// Every API request received so far, in order: method, path, query,
    /// headers (the key as its fingerprint), body, the token that
    /// authenticated it, the status and fault it got.
    ///
    /// # Examples
    ///
    /// ```
    /// use routy_sandbox::{NewToken, Sandbox};
    /// let sandbox = Sandbox::start()?;
    /// let token = sandbox.issue_token(NewToken::named("journal"))?;
    /// // ... the code under test calls the sandbox here ...
    /// for request in sandbox.journal() {
    ///     assert_eq!(request.header("authorization"), Some(token.journal_label().as_str()));
    /// }
    /// # Ok::<(), routy_sandbox::SandboxError>(())
    /// ```
    pub fn journal(&self) -> Vec<Received> {
        self.shared.api().journal()
    }

    /// Empties the journal.
    pub fn clear_journal(&self) {
        self.shared.api().clear_journal();
    }

    /// Clears queued faults and the rate limit.
    ///
    /// # Examples
    ///
    /// ```
    /// let sandbox = routy_sandbox::Sandbox::start()?;
    /// sandbox.push_fault(routy_sandbox::Fault::Drop);
    /// sandbox.clear_faults();
    /// assert_eq!(sandbox.pending_faults(), 0);
    /// # Ok::<(), routy_sandbox::SandboxError>(())
    /// ```
    pub fn clear_faults(&self) {
        self.shared.api().clear_faults();
    }

    /// Sets (or with `None` clears) the rate limit on API calls.
    ///
    /// # Examples
    ///
    /// ```
    /// let sandbox = routy_sandbox::Sandbox::start()?;
    /// sandbox.set_rate_limit(Some(routy_sandbox::RateWindow::new(5, std::time::Duration::from_secs(1))));
    /// # Ok::<(), routy_sandbox::SandboxError>(())
    /// ```
    pub fn set_rate_limit(&self, limit: Option<RateWindow>) {
        let now = self.shared.clock.now();
        self.shared.api().set_rate_limit(limit, now);
    }

    /// Stops the server and waits for its threads.
    ///
    /// # Examples
    ///
    /// ```
    /// let sandbox = routy_sandbox::Sandbox::start()?;
    /// let addr = sandbox.addr();
    /// sandbox.stop();
    /// assert!(std::net::TcpStream::connect(addr).is_err());
    /// # Ok::<(), routy_sandbox::SandboxError>(())
    /// ```
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        if self.workers.is_empty() {
            return;
        }
        self.shared.stop_front();
        for _ in 0..self.workers.len() {
            self.http.unblock();
        }
        for worker in self.workers.drain(..) {
            let _ = worker.join();
        }
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        self.shutdown();
        if !std::thread::panicking() {
            if let Err(unmet) = self.shared.api().verify_stubs() {
                panic!("routy-sandbox: {unmet}");
            }
        }
    }
}

impl fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sandbox")
            .field("base_url", &self.base_url())
            .field("workers", &self.workers.len())
            .finish_non_exhaustive()
    }
}

impl AccountsSource {
    /// The accounts body to serve, checked.
    fn load(self) -> Result<Arc<accounts::Accounts>, SandboxError> {
        match self {
            AccountsSource::Seed => Ok(model::shared_seed_accounts()),
            AccountsSource::Json(bytes) => accounts::validate(bytes).map(Arc::new),
            AccountsSource::File(path) => {
                // A regular file only (a FIFO would hang the start), and
                // bounded: big lists are the point, a device is not.
                let bytes = files::read_regular(&path, 1 << 30).map_err(|e| {
                    SandboxError::Accounts(format!("cannot read {}: {e}", path.display()))
                })?;
                accounts::validate(bytes).map(Arc::new)
            }
        }
    }
}

/// An admin secret: from the seed when there is one (reproducible
/// sandboxes), else from the OS.
fn random_admin_secret(seed: Option<u64>) -> String {
    let mut bytes = [0u8; 24];
    let mut rng = match seed {
        Some(seed) => rand::rngs::StdRng::seed_from_u64(seed ^ 0xad41_5ec2),
        None => rand::rngs::StdRng::from_os_rng(),
    };
    rng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}
