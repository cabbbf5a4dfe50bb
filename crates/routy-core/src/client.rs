//! The generic blocking client: builds requests (sans-IO), hands them to a
//! [`Transport`], and maps what comes back to values or typed errors.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use http::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, LOCATION, USER_AGENT};
use http::{HeaderValue, Method, Request, Response, Uri};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::clock::{Clock, Jitter};
use crate::config::{ClientBuilder, Config};
use crate::error::{Error, RedirectError, RequestError};
use crate::key::{ApiKey, SharedKey};
use crate::model::{Account, AccountList, ACCOUNTS_SHAPE};
use crate::redirect;
use crate::response::{decode_json_redacted, ApiError, RetryAfter};
use crate::retry::{Decision, Outcome, RetryBudget};
use crate::transport::{RequestLimits, Transport, TransportError, TransportErrorKind};

/// The `Accept` header every request sends.
const ACCEPT_JSON: HeaderValue = HeaderValue::from_static("application/json");

/// A Routy API client over the transport `T`.
///
/// Cloning is cheap (a reference count) and clones share the transport,
/// configuration and key; the client is `Send + Sync` when `T` is, so one
/// client can serve many threads. `routy::Client` is this client over the
/// ureq transport.
///
/// # Examples
///
/// ```
/// use routy::{http, ApiKey, Client, TransportError};
///
/// let client = routy::ClientBuilder::new()
///     .api_key(ApiKey::new("test-token")?)
///     .build_with(routy::transport_fn(|req| {
///         assert_eq!(req.headers()["authorization"], "ApiKey test-token");
///         Ok(http::Response::new(br#"[{"id": 7, "name": "Acme"}]"#.to_vec()))
///     }))?;
/// let accounts = client.accounts()?;
/// assert_eq!(accounts[0].name(), Some("Acme"));
/// # Ok::<(), routy::Error>(())
/// ```
pub struct Client<T> {
    inner: Arc<Inner<T>>,
}

struct Inner<T> {
    config: Config,
    key: SharedKey,
    clock: Arc<dyn Clock>,
    jitter: Jitter,
    budget: RetryBudget,
    transport: T,
}

impl<T> Clone for Client<T> {
    fn clone(&self) -> Self {
        Client {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<T: Transport> Client<T> {
    /// A builder whose [`build`](ClientBuilder::build) creates `T`'s
    /// default transport; see [`ClientBuilder`] for every setting and its
    /// default. To finish with a transport value instead (a closure, a mock),
    /// use [`ClientBuilder::new`] and [`build_with`](ClientBuilder::build_with).
    ///
    /// # Examples
    ///
    /// See [`ClientBuilder::build`].
    pub fn builder() -> ClientBuilder<T> {
        ClientBuilder::new()
    }

    /// A client over `T`'s default transport, with the key from
    /// `ROUTY_API_KEY` and the base URL from `ROUTY_BASE_URL` when that is
    /// set (else [`DEFAULT_BASE_URL`](crate::DEFAULT_BASE_URL)).
    ///
    /// # Errors
    ///
    /// [`Error::Key`] when `ROUTY_API_KEY` is unset or malformed,
    /// [`Error::Config`] when `ROUTY_BASE_URL` is refused.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// // `routy::Client` is this client over ureq.
    /// let client = routy::Client::from_env()?;
    /// # let _ = client;
    /// # Ok::<(), routy::Error>(())
    /// ```
    pub fn from_env() -> Result<Self, Error>
    where
        T: Default,
    {
        Self::builder().env().build()
    }

    pub(crate) fn from_parts(
        config: Config,
        key: SharedKey,
        clock: Arc<dyn Clock>,
        jitter_seed: Option<u64>,
        transport: T,
    ) -> Self {
        let budget = RetryBudget::new(config.retry_budget);
        Client {
            inner: Arc::new(Inner {
                config,
                key,
                clock,
                jitter: Jitter::new(jitter_seed),
                budget,
                transport,
            }),
        }
    }

    /// The configuration.
    ///
    /// # Examples
    ///
    /// See [`Config`].
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// The transport.
    ///
    /// # Examples
    ///
    /// ```
    /// # use routy::{ApiKey, Client, TransportErrorKind};
    /// let client = routy::ClientBuilder::new()
    ///     .api_key(ApiKey::new("t")?)
    ///     .build_with(std::sync::Arc::new(routy::transport_fn(|_req| Err(TransportErrorKind::Connect.into()))))?;
    /// let _transport = client.transport();
    /// # Ok::<(), routy::Error>(())
    /// ```
    pub fn transport(&self) -> &T {
        &self.inner.transport
    }

    /// The key the next request will send.
    ///
    /// # Examples
    ///
    /// See [`set_api_key`](Self::set_api_key).
    pub fn api_key(&self) -> ApiKey {
        self.inner.key.get()
    }

    /// Rotates the key: every request started after this call, on any
    /// clone of this client and any thread, sends `key`.
    ///
    /// # Examples
    ///
    /// ```
    /// # use routy::{ApiKey, Client, TransportErrorKind};
    /// let client = routy::ClientBuilder::new()
    ///     .api_key(ApiKey::new("old-token")?)
    ///     .build_with(routy::transport_fn(|_req| Err(TransportErrorKind::Connect.into())))?;
    /// client.set_api_key(ApiKey::new("new-token")?);
    /// assert_eq!(client.api_key().expose_secret(), "new-token");
    /// # Ok::<(), routy::Error>(())
    /// ```
    pub fn set_api_key(&self, key: ApiKey) {
        self.inner.key.set(key);
    }

    /// Lists the accounts the key can see (`GET /v1/accounts`).
    ///
    /// # Errors
    ///
    /// [`Error::Transport`] when no response came, [`Error::Api`] for a
    /// non-success status, [`Error::Decode`] when the body is not a list of
    /// accounts (see [the assumed shape](crate::model)).
    ///
    /// # Examples
    ///
    /// See [`Client`].
    pub fn accounts(&self) -> Result<Vec<Account>, Error> {
        let AccountList(accounts) = self.get_as("/v1/accounts", ACCOUNTS_SHAPE)?;
        Ok(accounts)
    }

    /// `GET`s `path_and_query` (joined to the base URL) and decodes the JSON
    /// body into `R`: the way to reach endpoints routy does not model yet.
    ///
    /// # Errors
    ///
    /// As [`accounts`](Self::accounts), and [`Error::Request`] when the path
    /// is refused (see [`BaseUrl::join`](crate::BaseUrl::join)).
    ///
    /// # Examples
    ///
    /// ```
    /// # use routy::{http, ApiKey, Client, TransportError};
    /// let client = routy::ClientBuilder::new()
    ///     .api_key(ApiKey::new("t")?)
    ///     .build_with(routy::transport_fn(|req| {
    ///         assert_eq!(req.uri().path_and_query().map(|p| p.as_str()), Some("/api/v1/reports?since=2026-01-01"));
    ///         Ok(http::Response::new(br#"{"count": 3}"#.to_vec()))
    ///     }))?;
    /// let report: serde_json::Value = client.get("/v1/reports?since=2026-01-01")?;
    /// assert_eq!(report["count"], 3);
    /// # Ok::<(), routy::Error>(())
    /// ```
    pub fn get<R: DeserializeOwned>(&self, path_and_query: &str) -> Result<R, Error> {
        self.get_as(path_and_query, "the json value the caller asked for")
    }

    /// Sends any request and returns the response whatever its status: the
    /// raw escape hatch. Only failures to get a response are errors; check
    /// the status yourself (or use [`ApiError::from_response`]). Retries and
    /// redirects follow the client's policy, as for every call.
    ///
    /// # Errors
    ///
    /// [`Error::Request`] when the path is refused, [`Error::Transport`]
    /// when no response came.
    ///
    /// # Examples
    ///
    /// ```
    /// # use routy::{http, ApiKey, Body, Client, TransportError};
    /// let client = routy::ClientBuilder::new()
    ///     .api_key(ApiKey::new("t")?)
    ///     .build_with(routy::transport_fn(|req| {
    ///         assert_eq!(req.method(), http::Method::POST);
    ///         assert_eq!(req.headers()["content-type"], "application/json");
    ///         Ok(http::Response::builder().status(201).body(req.into_body()).expect("valid"))
    ///     }))?;
    /// let body = Body::json(&serde_json::json!({"name": "Reporting Script"}))?;
    /// let response = client.raw(http::Method::POST, "/v1/things", Some(body))?;
    /// assert_eq!(response.status(), 201);
    /// assert_eq!(response.body(), br#"{"name":"Reporting Script"}"#);
    /// # Ok::<(), routy::Error>(())
    /// ```
    pub fn raw(
        &self,
        method: Method,
        path_and_query: &str,
        body: Option<Body>,
    ) -> Result<Response<Vec<u8>>, Error> {
        let key = self.inner.key.get();
        let uri = self.inner.config.base_url.join(path_and_query)?;
        Ok(self.execute(&key, method, uri, body)?.response)
    }

    /// Sends any request and returns a success response whole (status,
    /// headers, undecoded body); any other status is an [`Error::Api`],
    /// as for the typed calls. Between [`raw`](Self::raw) and
    /// [`get`](Self::get): for bodies you want as bytes.
    ///
    /// # Errors
    ///
    /// As [`raw`](Self::raw), and [`Error::Api`] for a non-success status.
    ///
    /// # Examples
    ///
    /// ```
    /// # use routy::{http, ApiKey, ClientBuilder, TransportError};
    /// let client = ClientBuilder::new()
    ///     .api_key(ApiKey::new("t")?)
    ///     .build_with(routy::transport_fn(|req| {
    ///         let status = if req.uri().path().ends_with("/missing") { 404 } else { 200 };
    ///         Ok(http::Response::builder().status(status).body(b"[1,2]".to_vec()).expect("valid"))
    ///     }))?;
    /// assert_eq!(client.send(http::Method::GET, "/v1/numbers", None)?.body(), b"[1,2]");
    /// assert!(client.send(http::Method::GET, "/v1/missing", None).is_err());
    /// # Ok::<(), routy::Error>(())
    /// ```
    pub fn send(
        &self,
        method: Method,
        path_and_query: &str,
        body: Option<Body>,
    ) -> Result<Response<Vec<u8>>, Error> {
        self.send_checked(&self.inner.key.get(), method, path_and_query, body)
    }

    /// Builds the request a call would send, without sending it: for
    /// inspecting, or for sending through a transport of your own.
    ///
    /// # Errors
    ///
    /// [`Error::Request`] when the path is refused.
    ///
    /// # Examples
    ///
    /// ```
    /// # use routy::{http, ApiKey, Client, TransportErrorKind};
    /// let client = routy::ClientBuilder::new()
    ///     .api_key(ApiKey::new("t")?)
    ///     .build_with(routy::transport_fn(|_req| Err(TransportErrorKind::Connect.into())))?;
    /// let request = client.request(http::Method::GET, "/v1/accounts", None)?;
    /// assert_eq!(request.uri(), "https://platform.routy.app/api/v1/accounts");
    /// assert!(request.headers()["authorization"].is_sensitive());
    /// # Ok::<(), routy::Error>(())
    /// ```
    pub fn request(
        &self,
        method: Method,
        path_and_query: &str,
        body: Option<Body>,
    ) -> Result<Request<Vec<u8>>, Error> {
        self.build_request(&self.inner.key.get(), method, path_and_query, body)
    }

    fn get_as<R: DeserializeOwned>(
        &self,
        path_and_query: &str,
        expected: &'static str,
    ) -> Result<R, Error> {
        let key = self.inner.key.get();
        let response = self.send_checked(&key, Method::GET, path_and_query, None)?;
        Ok(decode_json_redacted(&response, expected, key.redactor())?)
    }

    fn send_checked(
        &self,
        key: &ApiKey,
        method: Method,
        path_and_query: &str,
        body: Option<Body>,
    ) -> Result<Response<Vec<u8>>, Error> {
        let uri = self.inner.config.base_url.join(path_and_query)?;
        let Sent { response, attempts } = self.execute(key, method, uri, body)?;
        if response.status().is_success() {
            return Ok(response);
        }
        let redactor = key.redactor();
        let (parts, body) = response.into_parts();
        let err = ApiError::from_parts(parts.status, &parts.headers, &body, redactor);
        Err(err.with_attempts(attempts).into())
    }

    fn build_request(
        &self,
        key: &ApiKey,
        method: Method,
        path_and_query: &str,
        body: Option<Body>,
    ) -> Result<Request<Vec<u8>>, Error> {
        let uri = self.inner.config.base_url.join(path_and_query)?;
        let limits = self.inner.config.limits;
        Ok(self.attempt(Some(key), &method, &uri, body.as_ref(), limits))
    }

    /// One attempt's request, built fresh (cheaper than keeping a built
    /// one to clone for a retry that rarely comes). `key` is `None` once a
    /// redirect has left the first origin. The body is copied: the
    /// transport takes it, and a retry needs it again (a GET's is empty,
    /// which costs nothing).
    fn attempt(
        &self,
        key: Option<&ApiKey>,
        method: &Method,
        uri: &Uri,
        body: Option<&Body>,
        limits: RequestLimits,
    ) -> Request<Vec<u8>> {
        let mut request = Request::new(body.map(|b| b.bytes.clone()).unwrap_or_default());
        *request.method_mut() = method.clone();
        *request.uri_mut() = uri.clone();
        let headers = request.headers_mut();
        headers.reserve(4);
        if let Some(key) = key {
            headers.insert(AUTHORIZATION, key.header_value().clone());
        }
        headers.insert(ACCEPT, ACCEPT_JSON);
        headers.insert(USER_AGENT, self.inner.config.user_agent.clone());
        if let Some(body) = body {
            headers.insert(CONTENT_TYPE, body.content_type.clone());
        }
        request.extensions_mut().insert(limits);
        request
    }

    /// Sends the request, retrying and following redirects as configured.
    fn execute(
        &self,
        key: &ApiKey,
        method: Method,
        mut uri: Uri,
        body: Option<Body>,
    ) -> Result<Sent, Error> {
        let inner = &*self.inner;
        let config = &inner.config;
        let clock = &*inner.clock;
        let started = clock.now();
        // Past the end of what an Instant holds is never: no deadline.
        let deadline = config.call_timeout.and_then(|t| started.checked_add(t));
        // Server-chosen text that reaches a log line or an error goes
        // through this, whichever origin the call has reached.
        let redactor = key.redactor();
        let mut key = Some(key);
        let mut attempt = 0u32;
        let mut hops = 0u32;
        let mut slept = Duration::ZERO;
        loop {
            attempt += 1;
            let mut limits = config.limits;
            if let Some(deadline) = deadline {
                let left = deadline.saturating_duration_since(clock.now());
                if left.is_zero() {
                    return Err(TransportError::with_source(
                        TransportErrorKind::Timeout,
                        "the call's overall deadline passed",
                    )
                    .with_attempts(attempt - 1)
                    .into());
                }
                limits.timeout = Some(limits.timeout.map_or(left, |t| t.min(left)));
            }
            let request = self.attempt(key, &method, &uri, body.as_ref(), limits);
            log_event!(debug, "{method} {uri} (attempt {attempt})");
            let result = inner.transport.send(request).and_then(|response| {
                // Transports should stop reading at the cap; this holds the
                // line for one that does not.
                if response.body().len() as u64 > limits.max_body_bytes {
                    Err(TransportError::new(TransportErrorKind::BodyTooLarge))
                } else {
                    Ok(response)
                }
            });

            let outcome = match &result {
                Ok(response) => {
                    log_event!(
                        debug,
                        "{method} {uri} -> {} ({} bytes, request id {:?})",
                        response.status(),
                        response.body().len(),
                        response
                            .headers()
                            .get("x-request-id")
                            .map(|id| redactor.vouch(&String::from_utf8_lossy(id.as_bytes())))
                    );
                    if config.max_redirects > 0
                        && redirect::is_redirect(response.status())
                        && redirect::follows(&method)
                    {
                        if let Some(location) = response.headers().get(LOCATION) {
                            hops += 1;
                            if hops > config.max_redirects {
                                return Err(RedirectError::TooMany {
                                    max: config.max_redirects,
                                }
                                .into());
                            }
                            // Refused before anything parses, sends or logs it.
                            if redactor.found_in(location.as_bytes()) {
                                return Err(RedirectError::LocationHoldsKey.into());
                            }
                            let location = location
                                .to_str()
                                .map_err(|_| RedirectError::InvalidLocation)?;
                            let next = redirect::resolve(&uri, location)?;
                            if !redirect::same_origin(&uri, &next) && key.take().is_some() {
                                log_event!(
                                    debug,
                                    "redirect to another origin: authorization dropped"
                                );
                            }
                            log_event!(debug, "following redirect {} -> {next}", response.status());
                            uri = next;
                            // A hop is not a failed attempt.
                            attempt -= 1;
                            continue;
                        }
                    }
                    Outcome::Status {
                        status: response.status(),
                        retry_after: RetryAfter::from_headers(response.headers()),
                    }
                }
                Err(err) => {
                    log_event!(debug, "{method} {uri} failed: {}", err.kind());
                    Outcome::Failed(err.kind())
                }
            };

            // Most calls end here: no time read, no random draw.
            let decision = if config.retry.may_retry(attempt, &method, &outcome) {
                config.retry.plan(
                    attempt,
                    &method,
                    &outcome,
                    slept,
                    clock.wall(),
                    inner.jitter.unit(),
                )
            } else {
                Decision::GiveUp
            };
            if let Decision::RetryAfter(delay) = decision {
                let fits = deadline
                    .is_none_or(|d| clock.now().checked_add(delay).is_some_and(|end| end < d));
                if fits && inner.budget.try_spend() {
                    log_event!(
                        info,
                        "retrying {method} {uri} in {delay:?} (attempt {attempt} gave {outcome:?})"
                    );
                    clock.sleep(delay);
                    slept += delay;
                    continue;
                }
            }
            return match result {
                Ok(response) => {
                    if response.status().is_success() {
                        inner.budget.record_success();
                    }
                    Ok(Sent {
                        response,
                        attempts: attempt,
                    })
                }
                Err(err) => Err(err.vouched(redactor).with_attempts(attempt).into()),
            };
        }
    }
}

/// A response and how many attempts it took.
struct Sent {
    response: Response<Vec<u8>>,
    attempts: u32,
}

impl<T> fmt::Debug for Client<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("config", &self.inner.config)
            .field("key", &self.inner.key)
            .field("transport", &std::any::type_name::<T>())
            .finish()
    }
}

/// A request body for [`Client::raw`]: bytes and their content type.
///
/// # Examples
///
/// ```
/// let body = routy::Body::json(&serde_json::json!({"name": "Reporting Script"}))?;
/// assert_eq!(body.content_type(), "application/json");
/// let text = routy::Body::new("text/csv", b"a,b\n1,2\n".to_vec())?;
/// assert_eq!(text.bytes(), b"a,b\n1,2\n");
/// # Ok::<(), routy::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Body {
    content_type: HeaderValue,
    bytes: Vec<u8>,
}

impl Body {
    /// `bytes` sent with `Content-Type: content_type`.
    ///
    /// # Errors
    ///
    /// [`Error::Request`] when `content_type` is not a valid header value.
    ///
    /// # Examples
    ///
    /// See [`Body`].
    pub fn new(content_type: &str, bytes: Vec<u8>) -> Result<Self, Error> {
        let content_type =
            HeaderValue::from_str(content_type).map_err(|_| RequestError::InvalidHeader {
                name: CONTENT_TYPE.to_string(),
            })?;
        Ok(Body {
            content_type,
            bytes,
        })
    }

    /// `value` serialised as JSON.
    ///
    /// # Errors
    ///
    /// [`Error::Request`] when `value` cannot be serialised.
    ///
    /// # Examples
    ///
    /// See [`Body`].
    pub fn json<V: Serialize + ?Sized>(value: &V) -> Result<Self, Error> {
        let bytes = serde_json::to_vec(value).map_err(RequestError::Serialize)?;
        Ok(Body {
            content_type: ACCEPT_JSON,
            bytes,
        })
    }

    /// The content type.
    ///
    /// # Examples
    ///
    /// See [`Body`].
    pub fn content_type(&self) -> &str {
        self.content_type.to_str().unwrap_or_default()
    }

    /// The bytes.
    ///
    /// # Examples
    ///
    /// See [`Body`].
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }
}
