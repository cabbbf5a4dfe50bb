//! The Routy API without sockets: a function of (state, request, now) to
//! an answer. The socket server ([`Sandbox`](crate::Sandbox)) is a thin
//! front over it, and `routy-testkit`'s simulator calls it directly, so
//! the two can never disagree about what the API does.
//!
//! What it models: `GET /api/v1/accounts` and `GET /api/v1/accounts/{id}`
//! behind `Authorization: ApiKey <token>`; the token lifecycle (expiry,
//! deletion, last-used); RFC 9457 problem bodies; a fixed-window rate
//! limit with `RateLimit-*` headers; [`Stub`]s for routes it does not
//! model; queued [`Fault`]s; and a [`Received`] journal of every request.
//!
//! ```
//! use std::time::{Duration, SystemTime};
//! use routy_sandbox::{model::Api, NewToken};
//!
//! let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
//! let mut api = Api::new(Some(7));
//! let token = api.issue_token(NewToken::named("model doc"), now)?;
//! let request = http::Request::get("/api/v1/accounts")
//!     .header("authorization", format!("ApiKey {}", token.secret()))
//!     .body(Vec::new())?;
//! let answer = api.handle(&request, now);
//! assert_eq!(answer.response.status(), 200);
//! assert_eq!(api.journal()[0].header("authorization"), Some(token.journal_label().as_str()));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use http::header::{HeaderName, HeaderValue, AUTHORIZATION, CONTENT_TYPE};
use http::{Method, Request, Response, StatusCode};
use serde_json::{json, Value};

use crate::accounts::{self, Accounts};
use crate::clock::format_time;
use crate::error::SandboxError;
use crate::faults::{Decision, Fault, FaultRule, Faults, RateWindow};
use crate::journal::{authorization_label, Journal, Received, JOURNAL_BODY_BYTES};
use crate::stubs::Stub;
use crate::stubs::{StubResponse, Stubs, UnmetExpectations};
use crate::tokens::{AuthFailure, IssuedToken, NewToken, Store, TokenFilter, TokenInfo};

/// The API's state: tokens, accounts, faults, the rate limit, stubs and
/// the journal. Not synchronised: the socket server holds it in a mutex,
/// the simulator owns it.
///
/// # Examples
///
/// See the [module docs](self).
pub struct Api {
    store: Store,
    faults: Faults,
    accounts: Arc<Accounts>,
    stubs: Stubs,
    journal: Journal,
    trace: u64,
}

impl std::fmt::Debug for Api {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Api")
            .field("pending_faults", &self.faults.pending())
            .field("journal", &self.journal.len())
            .finish_non_exhaustive()
    }
}

/// What the API answers one request with, and what a front end is to do to
/// the connection carrying it.
///
/// # Examples
///
/// ```
/// let mut api = routy_sandbox::model::Api::new(Some(1));
/// let request = http::Request::get("/api/v1/accounts").body(Vec::new())?;
/// let answer = api.handle(&request, std::time::SystemTime::UNIX_EPOCH);
/// assert_eq!(answer.response.status(), 401);
/// assert_eq!(answer.delay, std::time::Duration::ZERO);
/// assert!(answer.connection.is_none());
/// # Ok::<(), http::Error>(())
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub struct Answer {
    /// The response.
    pub response: Response<Vec<u8>>,
    /// How long to wait before answering (a [`Fault::Delay`]).
    pub delay: Duration,
    /// A connection fault to break the response with, if one is due
    /// (always one for which [`Fault::is_connection`] holds).
    pub connection: Option<Fault>,
}

impl Api {
    /// An API with the seed accounts and no tokens. Token secrets come
    /// from `seed` when given (runs repeat exactly), else from the
    /// operating system.
    ///
    /// # Examples
    ///
    /// See the [module docs](self).
    pub fn new(seed: Option<u64>) -> Self {
        Api::with_accounts(Arc::clone(seed_accounts()), seed)
    }

    /// An API serving `accounts_json` (a JSON array of objects with an
    /// `id`) byte for byte.
    ///
    /// # Errors
    ///
    /// [`SandboxError::Accounts`] when the JSON is not such an array.
    ///
    /// # Examples
    ///
    /// ```
    /// let api = routy_sandbox::model::Api::from_accounts_json(br#"[{"id": "a1"}]"#.to_vec(), None)?;
    /// # let _ = api;
    /// # Ok::<(), routy_sandbox::SandboxError>(())
    /// ```
    pub fn from_accounts_json(
        accounts_json: Vec<u8>,
        seed: Option<u64>,
    ) -> Result<Self, SandboxError> {
        Ok(Api::with_accounts(
            Arc::new(accounts::validate(accounts_json)?),
            seed,
        ))
    }

    pub(crate) fn with_accounts(accounts: Arc<Accounts>, seed: Option<u64>) -> Self {
        Api::with_store(accounts, Store::in_memory(seed))
    }

    pub(crate) fn with_store(accounts: Arc<Accounts>, store: Store) -> Self {
        Api {
            store,
            faults: Faults::default(),
            accounts,
            stubs: Stubs::new(),
            journal: Journal::default(),
            trace: 0,
        }
    }

    /// Issues a token at `now`; its secret is in the result and nowhere
    /// else.
    ///
    /// # Errors
    ///
    /// As [`Sandbox::issue_token`](crate::Sandbox::issue_token).
    pub fn issue_token(
        &mut self,
        new: NewToken,
        now: SystemTime,
    ) -> Result<IssuedToken, SandboxError> {
        self.store.issue(new, now)
    }

    /// Live tokens matching `filter` at `now`, oldest first.
    pub fn tokens(&self, filter: &TokenFilter, now: SystemTime) -> Vec<TokenInfo> {
        self.store.list(filter, now)
    }

    /// Deletes a token for good at `now`.
    ///
    /// # Errors
    ///
    /// [`SandboxError::NoSuchToken`] when no live token has `id`.
    pub fn delete_token(&mut self, id: &str, now: SystemTime) -> Result<(), SandboxError> {
        self.store.delete(id, now)
    }

    /// Makes a live token expire at `now`.
    ///
    /// # Errors
    ///
    /// [`SandboxError::NoSuchToken`] when no live token has `id`.
    pub fn expire_token(&mut self, id: &str, now: SystemTime) -> Result<(), SandboxError> {
        self.store.expire(id, now)
    }

    /// Queues a fault rule.
    ///
    /// # Errors
    ///
    /// [`SandboxError::Validation`] for a probability outside 0 to 1, a
    /// rule with neither a count nor a probability, or a bad status.
    pub fn add_fault(&mut self, rule: impl Into<FaultRule>) -> Result<(), SandboxError> {
        let rule = rule.into();
        rule.check().map_err(|e| field_error("Fault", e))?;
        self.faults.push(rule);
        Ok(())
    }

    /// Calls still to be faulted (see [`Sandbox::pending_faults`](crate::Sandbox::pending_faults)).
    pub fn pending_faults(&self) -> usize {
        self.faults.pending()
    }

    /// Clears fault rules and the rate limit.
    pub fn clear_faults(&mut self) {
        self.faults.clear();
    }

    /// Sets (or with `None` clears) the rate limit, its window starting at
    /// `now`.
    pub fn set_rate_limit(&mut self, limit: Option<RateWindow>, now: SystemTime) {
        self.faults.set_rate_limit(limit, now);
    }

    /// Adds a stub.
    ///
    /// # Errors
    ///
    /// [`SandboxError::Validation`] for a bad method, path, status or
    /// header.
    pub fn add_stub(&mut self, stub: Stub) -> Result<(), SandboxError> {
        self.stubs.add(stub).map_err(|e| field_error("Stub", e))
    }

    /// Removes every stub.
    pub fn clear_stubs(&mut self) {
        self.stubs.clear();
    }

    /// Whether every stub with an expectation got exactly its calls.
    ///
    /// # Errors
    ///
    /// [`UnmetExpectations`], a line per stub that did not.
    pub fn verify_stubs(&self) -> Result<(), UnmetExpectations> {
        self.stubs.verify()
    }

    /// Every API request received, oldest first (at most
    /// [`JOURNAL_CAPACITY`](crate::JOURNAL_CAPACITY)).
    pub fn journal(&self) -> Vec<Received> {
        self.journal.entries()
    }

    /// How many requests the journal holds.
    pub fn journal_len(&self) -> usize {
        self.journal.len()
    }

    /// Empties the journal.
    pub fn clear_journal(&mut self) {
        self.journal.clear();
    }

    /// Answers one request at `now`. The request's path is read from its
    /// URI (`/api/v1/accounts` or `https://host/api/v1/accounts`).
    ///
    /// Order: a due rate limit (429) or [`Fault::Respond`] answers first;
    /// then authentication (401); then stubs; then the modelled routes
    /// (404 and 405 otherwise). Every request is written to the journal.
    ///
    /// # Examples
    ///
    /// See the [module docs](self).
    pub fn handle(&mut self, request: &Request<Vec<u8>>, now: SystemTime) -> Answer {
        let path = request.uri().path();
        let mut delay = Duration::ZERO;
        let mut connection = None;
        let mut token_id = None;
        let mut fault_kind = None;
        let response = if path == "/api" || path.starts_with("/api/") {
            match self.faults.next(now) {
                Decision::RateLimited { retry_after_secs } => {
                    fault_kind = Some("rateLimit".to_owned());
                    let reply = self.rate_limited(retry_after_secs);
                    self.with_quota(reply, now)
                }
                Decision::Fault(Fault::Respond {
                    status,
                    headers,
                    body,
                }) => {
                    fault_kind = Some("respond".to_owned());
                    self.with_quota(scripted(status, &headers, body.into_bytes()), now)
                }
                decision => {
                    if let Decision::Fault(fault) = decision {
                        fault_kind = Some(fault_name(&fault).to_owned());
                        match fault {
                            Fault::Delay { ms } => delay = Duration::from_millis(ms),
                            other => connection = Some(other),
                        }
                    }
                    match self.authenticated(request, now) {
                        Ok(id) => {
                            token_id = Some(id);
                            let reply = self.route(request, now);
                            self.with_quota(reply, now)
                        }
                        Err(failure) => self.unauthorized(failure),
                    }
                }
            }
        } else {
            self.problem(
                404,
                "Not Found",
                Some(format!("No route for {path}. The API is under /api.")),
                None,
            )
        };
        self.journal.push(received(
            request,
            now,
            token_id,
            response.status(),
            fault_kind,
        ));
        Answer {
            response,
            delay,
            connection,
        }
    }

    /// Answers a request without authentication or faults, as a public
    /// mirror of the API would (the simulator's other origin). Not
    /// journaled.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut api = routy_sandbox::model::Api::new(Some(1));
    /// let request = http::Request::get("/api/v1/accounts/1001").body(Vec::new())?;
    /// assert_eq!(api.handle_public(&request, std::time::SystemTime::UNIX_EPOCH).status(), 200);
    /// # Ok::<(), http::Error>(())
    /// ```
    pub fn handle_public(
        &mut self,
        request: &Request<Vec<u8>>,
        now: SystemTime,
    ) -> Response<Vec<u8>> {
        self.route(request, now)
    }

    /// The id of the token `request` carries (recording its use).
    fn authenticated(
        &mut self,
        request: &Request<Vec<u8>>,
        now: SystemTime,
    ) -> Result<String, AuthFailure> {
        let header = request
            .headers()
            .get(AUTHORIZATION)
            .map(HeaderValue::as_bytes);
        self.store.authenticate(header, now).map(|info| info.id)
    }

    /// The 401 for a refused token, each failure with its own detail.
    fn unauthorized(&mut self, failure: AuthFailure) -> Response<Vec<u8>> {
        let detail = match failure {
            AuthFailure::Missing => "The Authorization header is missing. Send 'Authorization: ApiKey <token>'.".to_owned(),
            AuthFailure::WrongScheme => "The Authorization header must use the ApiKey scheme: 'Authorization: ApiKey <token>'.".to_owned(),
            AuthFailure::Unknown => "The API token is not valid.".to_owned(),
            AuthFailure::Deleted => "The API token has been deleted.".to_owned(),
            AuthFailure::Expired(at) => format!("The API token expired at {}.", format_time(at)),
        };
        let mut reply = self.problem(401, "Unauthorized", Some(detail), None);
        reply.headers_mut().insert(
            http::header::WWW_AUTHENTICATE,
            HeaderValue::from_static("ApiKey"),
        );
        reply
    }

    /// Stubs first, then the modelled routes.
    fn route(&mut self, request: &Request<Vec<u8>>, _now: SystemTime) -> Response<Vec<u8>> {
        let path = request.uri().path();
        let relative = path.strip_prefix("/api").unwrap_or(path);
        let method = request.method();
        if !self.stubs.is_empty() {
            let query = request.uri().query().unwrap_or("");
            if let Some(stub) = self
                .stubs
                .answer(method.as_str(), relative, query, request.body())
            {
                return stub_reply(stub);
            }
        }
        let relative = relative.trim_end_matches('/');
        let accounts = Arc::clone(&self.accounts);
        match (method, relative) {
            (&Method::GET, "/v1/accounts") => json_bytes(200, accounts.list.clone()),
            (_, "/v1/accounts") => self.not_allowed(),
            (method, one)
                if one.starts_with("/v1/accounts/")
                    && !one["/v1/accounts/".len()..].contains('/') =>
            {
                let id = &one["/v1/accounts/".len()..];
                if method != Method::GET {
                    return self.not_allowed();
                }
                let id = percent_decoded(id);
                match accounts.get(&id) {
                    Some(account) => json_bytes(200, account.to_vec()),
                    None => self.problem(
                        404,
                        "Not Found",
                        Some(format!("No account with id {id}.")),
                        None,
                    ),
                }
            }
            _ => {
                let query = request.uri().query().unwrap_or("");
                let body = request.body();
                let near = self.stubs.near_miss(method.as_str(), relative, query, body);
                self.problem(404, "Not Found", near, None)
            }
        }
    }

    fn not_allowed(&mut self) -> Response<Vec<u8>> {
        let mut reply = self.problem(405, "Method Not Allowed", None, None);
        reply
            .headers_mut()
            .insert(http::header::ALLOW, HeaderValue::from_static("GET"));
        reply
    }

    fn rate_limited(&mut self, retry_after_secs: u64) -> Response<Vec<u8>> {
        let mut reply = self.problem(
            429,
            "Too Many Requests",
            Some("The rate limit was exceeded. Retry after the time in Retry-After.".into()),
            None,
        );
        reply.headers_mut().insert(
            http::header::RETRY_AFTER,
            HeaderValue::from(retry_after_secs),
        );
        reply
    }

    /// `reply` with the `RateLimit-*` headers (IETF draft) while a rate
    /// limit is set: a client can see the window's quota spent before it
    /// meets a 429.
    fn with_quota(&self, mut reply: Response<Vec<u8>>, now: SystemTime) -> Response<Vec<u8>> {
        if let Some(quota) = self.faults.quota(now) {
            let headers = reply.headers_mut();
            headers.insert("ratelimit-limit", HeaderValue::from(quota.limit));
            headers.insert("ratelimit-remaining", HeaderValue::from(quota.remaining));
            headers.insert("ratelimit-reset", HeaderValue::from(quota.reset_secs));
        }
        reply
    }

    /// An RFC 9457 problem response as the API writes them (ASP.NET's
    /// shape, a fresh trace id), for a front end or simulator that answers
    /// in the API's place: a gateway's 503, a 500.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut api = routy_sandbox::model::Api::new(Some(1));
    /// let reply = api.problem_response(503, "Service Unavailable", "Down for a moment.");
    /// assert_eq!(reply.status(), 503);
    /// assert!(String::from_utf8_lossy(reply.body()).contains("Down for a moment."));
    /// ```
    pub fn problem_response(
        &mut self,
        status: u16,
        title: &str,
        detail: &str,
    ) -> Response<Vec<u8>> {
        self.problem(status, title, Some(detail.to_owned()), None)
    }

    /// An RFC 9457 problem shaped like ASP.NET's, with a fresh trace id.
    pub(crate) fn problem(
        &mut self,
        status: u16,
        title: &str,
        detail: Option<String>,
        errors: Option<BTreeMap<String, Vec<String>>>,
    ) -> Response<Vec<u8>> {
        let mut body = json!({
            "type": type_uri(status),
            "title": title,
            "status": status,
        });
        if let Some(detail) = detail {
            body["detail"] = Value::String(detail);
        }
        if let Some(errors) = errors {
            body["errors"] = json!(errors);
        }
        self.trace += 1;
        let n = self.trace;
        body["traceId"] = Value::String(format!("00-{n:032x}-{n:016x}-00"));
        problem_response(status, &body)
    }
}

/// The seed accounts, indexed once per process.
fn seed_accounts() -> &'static Arc<Accounts> {
    static SEED: std::sync::OnceLock<Arc<Accounts>> = std::sync::OnceLock::new();
    SEED.get_or_init(|| {
        Arc::new(
            accounts::validate(accounts::seed_accounts_json())
                .unwrap_or_else(|_| unreachable!("the seed accounts are valid")),
        )
    })
}

pub(crate) fn shared_seed_accounts() -> Arc<Accounts> {
    Arc::clone(seed_accounts())
}

fn field_error(field: &str, message: String) -> SandboxError {
    let mut errors = BTreeMap::new();
    errors.insert(field.to_owned(), vec![message]);
    SandboxError::Validation(errors)
}

/// A fault's JSON `kind`.
fn fault_name(fault: &Fault) -> &'static str {
    match fault {
        Fault::Respond { .. } => "respond",
        Fault::Delay { .. } => "delay",
        Fault::Drop => "drop",
        Fault::Reset => "reset",
        Fault::Stall { .. } => "stall",
        Fault::Drip { .. } => "drip",
        Fault::BadChunked => "badChunked",
        Fault::Empty => "empty",
    }
}

fn received(
    request: &Request<Vec<u8>>,
    now: SystemTime,
    token_id: Option<String>,
    status: StatusCode,
    fault: Option<String>,
) -> Received {
    let headers = request
        .headers()
        .iter()
        .map(|(name, value)| {
            let value = if name == AUTHORIZATION {
                authorization_label(value.as_bytes())
            } else {
                String::from_utf8_lossy(value.as_bytes()).into_owned()
            };
            (name.as_str().to_owned(), value)
        })
        .collect();
    let body = request.body();
    Received {
        seq: 0,
        at: now,
        method: request.method().as_str().to_owned(),
        path: request.uri().path().to_owned(),
        query: request.uri().query().map(str::to_owned),
        headers,
        body: String::from_utf8_lossy(&body[..body.len().min(JOURNAL_BODY_BYTES)]).into_owned(),
        token_id,
        status: status.as_u16(),
        fault,
    }
}

fn percent_decoded(text: &str) -> String {
    form_urlencoded::parse(format!("x={text}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// The RFC 9110 section each status's problem `type` points at, as ASP.NET
/// does.
pub(crate) fn type_uri(status: u16) -> &'static str {
    match status {
        400 => "https://tools.ietf.org/html/rfc9110#section-15.5.1",
        401 => "https://tools.ietf.org/html/rfc9110#section-15.5.2",
        404 => "https://tools.ietf.org/html/rfc9110#section-15.5.5",
        405 => "https://tools.ietf.org/html/rfc9110#section-15.5.6",
        429 => "https://tools.ietf.org/html/rfc6585#section-4",
        _ => "https://tools.ietf.org/html/rfc9110#section-15.6.1",
    }
}

pub(crate) fn problem_response(status: u16, body: &Value) -> Response<Vec<u8>> {
    let mut reply = with_status(status, serde_json::to_vec(body).unwrap_or_default());
    reply.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json; charset=utf-8"),
    );
    reply
}

pub(crate) fn json_bytes(status: u16, body: Vec<u8>) -> Response<Vec<u8>> {
    let mut reply = with_status(status, body);
    reply.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    reply
}

fn with_status(status: u16, body: Vec<u8>) -> Response<Vec<u8>> {
    let mut reply = Response::new(body);
    *reply.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    reply
}

/// A scripted fault's response; a header the `http` crate refuses becomes
/// a marker rather than a panic.
fn scripted(status: u16, headers: &BTreeMap<String, String>, body: Vec<u8>) -> Response<Vec<u8>> {
    let mut reply = with_status(status, body);
    for (name, value) in headers {
        match (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            (Ok(name), Ok(value)) => {
                reply.headers_mut().append(name, value);
            }
            _ => {
                reply
                    .headers_mut()
                    .insert("x-sandbox-invalid-header", HeaderValue::from_static("1"));
            }
        }
    }
    reply
}

fn stub_reply(stub: &StubResponse) -> Response<Vec<u8>> {
    let mut reply = match (&stub.json, &stub.body) {
        (Some(json), _) => json_bytes(stub.status, serde_json::to_vec(json).unwrap_or_default()),
        (None, Some(text)) => with_status(stub.status, text.clone().into_bytes()),
        (None, None) => with_status(stub.status, Vec::new()),
    };
    for (name, value) in &stub.headers {
        // Checked when the stub was added.
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            reply.headers_mut().insert(name, value);
        }
    }
    reply
}
