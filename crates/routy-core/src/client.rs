//! The generic blocking client: a short driver over the sans-IO
//! [`Call`] machine that sends through a [`Transport`] and waits through a
//! [`Clock`], then maps what comes back to values or typed errors.

use std::fmt;
use std::sync::Arc;

use http::header::{CONTENT_TYPE, LINK};
use http::{HeaderMap, Method, Request, Response, StatusCode, Uri};
use serde::de::DeserializeOwned;

use crate::api_error::ApiError;
use crate::builder::ClientBuilder;
use crate::call::{build_request, Call, Event, Finished, Step};
use crate::clock::Clock;
use crate::config::Config;
use crate::decode::{decode_slice, Shape};
use crate::error::Error;
use crate::key::{ApiKey, SharedKey};
use crate::meta::ResponseInfo;
use crate::model::{
    link_has_next, Account, AccountList, IncompleteList, ACCOUNTS_SHAPE, LINK_SIGNAL,
};
use crate::options::CallOptions;
use crate::redact::Redactor;
use crate::request::Body;
use crate::retry::{Jitter, RetryBudget};
use crate::site::Site;
use crate::transport::Transport;

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
    pub fn accounts(&self) -> Result<Vec<Account>, Error> {
        Ok(self.list_accounts(None, no_info)?.0)
    }

    /// As [`accounts`](Self::accounts), with what the response came with:
    /// its request id and rate-limit headers.
    ///
    /// # Errors
    ///
    /// As [`accounts`](Self::accounts).
    pub fn accounts_with_info(&self) -> Result<(Vec<Account>, ResponseInfo), Error> {
        self.list_accounts(None, ResponseInfo::new)
    }

    /// This client with `options` for the calls made through the value
    /// returned: a per-call timeout, retry policy or extra headers,
    /// without building a second client.
    pub fn with_options<'c>(&'c self, options: &'c CallOptions) -> WithOptions<'c, T> {
        WithOptions {
            client: self,
            options,
        }
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
        Ok(self.get_json(None, path_and_query, no_info)?.0)
    }

    /// As [`get`](Self::get), with what the response came with: its
    /// request id and rate-limit headers.
    ///
    /// # Errors
    ///
    /// As [`get`](Self::get).
    ///
    /// # Examples
    ///
    /// ```
    /// # use routy::{http, ApiKey};
    /// let client = routy::ClientBuilder::new()
    ///     .api_key(ApiKey::new("t")?)
    ///     .build_with(routy::transport_fn(|_req| {
    ///         Ok(http::Response::builder()
    ///             .header("request-id", "r-1")
    ///             .body(br#"{"count": 3}"#.to_vec())
    ///             .expect("valid"))
    ///     }))?;
    /// let (report, info) = client.get_with_info::<serde_json::Value>("/v1/reports")?;
    /// assert_eq!((report["count"].as_u64(), info.request_id()), (Some(3), Some("r-1")));
    /// # Ok::<(), routy::Error>(())
    /// ```
    pub fn get_with_info<R: DeserializeOwned>(
        &self,
        path_and_query: &str,
    ) -> Result<(R, ResponseInfo), Error> {
        self.get_json(None, path_and_query, ResponseInfo::new)
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
        self.respond(None, method, path_and_query, body.as_ref(), Status::Any)
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
        self.respond(None, method, path_and_query, body.as_ref(), Status::Success)
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

    /// `GET /v1/accounts`, refusing a partial list, with what `info` makes
    /// of the response's head.
    fn list_accounts<I>(
        &self,
        options: Option<&CallOptions>,
        info: impl FnOnce(StatusCode, &HeaderMap, u32, Redactor<'_>) -> I,
    ) -> Result<(Vec<Account>, I), Error> {
        let path = "/v1/accounts";
        self.traced(&Method::GET, path, |ctx| {
            self.accounts_from(ctx, options, path, info)
        })
    }

    fn accounts_from<I>(
        &self,
        ctx: &Ctx,
        options: Option<&CallOptions>,
        path: &str,
        info: impl FnOnce(StatusCode, &HeaderMap, u32, Redactor<'_>) -> I,
    ) -> Result<(Vec<Account>, I), Error> {
        let (AccountList(accounts, paging), parts, attempts, uri) =
            self.fetch(ctx, options, path, ACCOUNTS)?;
        let redactor = ctx.key.redactor();
        let linked = parts
            .headers
            .get_all(LINK)
            .iter()
            .any(|value| link_has_next(value.as_bytes()));
        let signal = if linked {
            Some(LINK_SIGNAL)
        } else {
            paging.signal(accounts.len())
        };
        if let Some(signal) = signal {
            let site = Site::new(&Method::GET, &uri, redactor);
            return Err(IncompleteList::new(signal, accounts.len(), site).into());
        }
        Ok((
            accounts,
            info(parts.status, &parts.headers, attempts, redactor),
        ))
    }

    fn get_json<R: DeserializeOwned, I>(
        &self,
        options: Option<&CallOptions>,
        path_and_query: &str,
        info: impl FnOnce(StatusCode, &HeaderMap, u32, Redactor<'_>) -> I,
    ) -> Result<(R, I), Error> {
        self.traced(&Method::GET, path_and_query, |ctx| {
            self.json_from(ctx, options, path_and_query, info)
        })
    }

    fn json_from<R: DeserializeOwned, I>(
        &self,
        ctx: &Ctx,
        options: Option<&CallOptions>,
        path_and_query: &str,
        info: impl FnOnce(StatusCode, &HeaderMap, u32, Redactor<'_>) -> I,
    ) -> Result<(R, I), Error> {
        let shape = Shape {
            rust_type: std::any::type_name::<R>(),
            expected: std::any::type_name::<R>(),
        };
        let (value, parts, attempts, _) = self.fetch(ctx, options, path_and_query, shape)?;
        let info = info(parts.status, &parts.headers, attempts, ctx.key.redactor());
        Ok((value, info))
    }

    /// A `GET` whose success body decodes as `shape`: the value, the
    /// response's head, the attempts and the URL that answered.
    fn fetch<R: DeserializeOwned>(
        &self,
        ctx: &Ctx,
        options: Option<&CallOptions>,
        path_and_query: &str,
        shape: Shape,
    ) -> Result<(R, http::response::Parts, u32, Uri), Error> {
        let finished = self.checked(ctx, options, Method::GET, path_and_query, None)?;
        let (parts, body) = finished.response.into_parts();
        let redactor = ctx.key.redactor();
        let value = decode_slice(parts.headers.get(CONTENT_TYPE), &body, shape, redactor)
            .map_err(|err| err.at(Site::new(&Method::GET, &finished.uri, redactor)))?;
        Ok((value, parts, finished.attempts, finished.uri))
    }

    /// [`raw`](Self::raw) (`Status::Any`) or [`send`](Self::send)
    /// (`Status::Success`).
    fn respond(
        &self,
        options: Option<&CallOptions>,
        method: Method,
        path_and_query: &str,
        body: Option<&Body>,
        status: Status,
    ) -> Result<Response<Vec<u8>>, Error> {
        self.traced(&method.clone(), path_and_query, |ctx| {
            let finished = match status {
                Status::Success => self.checked(ctx, options, method, path_and_query, body)?,
                Status::Any => {
                    let uri = self.inner.config.base_url.join(path_and_query)?;
                    self.execute(ctx, options, method, uri, body)?
                }
            };
            Ok(finished.response)
        })
    }

    /// A call whose non-success answer is an [`Error::Api`].
    fn checked(
        &self,
        ctx: &Ctx,
        options: Option<&CallOptions>,
        method: Method,
        path_and_query: &str,
        body: Option<&Body>,
    ) -> Result<Finished, Error> {
        let base = &self.inner.config.base_url;
        let uri = base.join(path_and_query)?;
        let finished = self.execute(ctx, options, method.clone(), uri, body)?;
        let status = finished.response.status();
        if status.is_success() {
            return Ok(finished);
        }
        let redactor = ctx.key.redactor();
        let (parts, body) = finished.response.into_parts();
        let hint = (status == StatusCode::NOT_FOUND)
            .then(|| base.not_found_hint(path_and_query))
            .flatten();
        let err = ApiError::from_parts(status, &parts.headers, &body, redactor)
            .with_attempts(finished.attempts)
            .at(Site::new(&method, &finished.uri, redactor), hint);
        Err(err.into())
    }

    fn build_request(
        &self,
        key: &ApiKey,
        method: Method,
        path_and_query: &str,
        body: Option<Body>,
    ) -> Result<Request<Vec<u8>>, Error> {
        let config = &self.inner.config;
        let uri = config.base_url.join(path_and_query)?;
        Ok(build_request(
            config,
            Some(key),
            &method,
            &uri,
            body.as_ref(),
            config.limits,
            None,
        ))
    }

    fn execute(
        &self,
        ctx: &Ctx,
        options: Option<&CallOptions>,
        method: Method,
        uri: Uri,
        body: Option<&Body>,
    ) -> Result<Finished, Error> {
        let inner = &*self.inner;
        let clock = &*inner.clock;
        let mut call = Call::new(&inner.config, &ctx.key, method, uri, body)
            .budget(&inner.budget)
            .jitter_seed(inner.jitter.call_seed());
        if let Some(options) = options {
            call = call.options(options)?;
        }
        // The driver: send when the call says send, wait when it says wait.
        let mut event = Event::Start {
            now: clock.now(),
            wall: clock.wall(),
        };
        let result = loop {
            event = match call.next(event) {
                Step::Send(request) => Event::Sent {
                    result: inner.transport.send(request),
                    now: clock.now(),
                },
                Step::Wait(delay) => {
                    clock.sleep(delay);
                    Event::Waited { now: clock.now() }
                }
                Step::Done(result) => break result,
            };
        };
        #[cfg(feature = "tracing")]
        if let Ok(finished) = &result {
            crate::logging::span::finished(&ctx.span, finished, ctx.key.redactor());
        }
        result
    }

    /// Runs `call` in the `routy.call` span (with the `tracing` feature),
    /// recording how it failed if it did.
    #[cfg_attr(not(feature = "tracing"), allow(unused_variables))]
    fn traced<R>(
        &self,
        method: &Method,
        path_and_query: &str,
        call: impl FnOnce(&Ctx) -> Result<R, Error>,
    ) -> Result<R, Error> {
        let key = self.inner.key.get();
        #[cfg(feature = "tracing")]
        {
            let base = &self.inner.config.base_url;
            let span = crate::logging::span::open(method, base, path_and_query, key.redactor());
            let ctx = Ctx { key, span };
            let result = ctx.span.in_scope(|| call(&ctx));
            if let Err(err) = &result {
                crate::logging::span::failed(&ctx.span, err);
            }
            result
        }
        #[cfg(not(feature = "tracing"))]
        call(&Ctx { key })
    }
}

/// Which responses a raw call returns: any, or success only (others are
/// an [`Error::Api`]).
#[derive(Debug, Clone, Copy)]
enum Status {
    Any,
    Success,
}

/// What one call carries through the client: the key it started with
/// and, with the `tracing` feature, its span.
struct Ctx {
    key: ApiKey,
    #[cfg(feature = "tracing")]
    span: tracing::Span,
}

/// A client with [`CallOptions`] for the calls made through it: from
/// [`Client::with_options`]. Each method is the client's own, under the
/// options.
#[derive(Debug)]
pub struct WithOptions<'c, T> {
    client: &'c Client<T>,
    options: &'c CallOptions,
}

impl<T: Transport> WithOptions<'_, T> {
    /// [`Client::accounts`] under the options.
    ///
    /// # Errors
    ///
    /// As [`Client::accounts`], and [`Error::Request`] or
    /// [`Error::Config`] for options that cannot be used.
    pub fn accounts(&self) -> Result<Vec<Account>, Error> {
        Ok(self.client.list_accounts(Some(self.options), no_info)?.0)
    }

    /// [`Client::accounts_with_info`] under the options.
    ///
    /// # Errors
    ///
    /// As [`accounts`](Self::accounts).
    pub fn accounts_with_info(&self) -> Result<(Vec<Account>, ResponseInfo), Error> {
        self.client
            .list_accounts(Some(self.options), ResponseInfo::new)
    }

    /// [`Client::get`] under the options.
    ///
    /// # Errors
    ///
    /// As [`accounts`](Self::accounts).
    pub fn get<R: DeserializeOwned>(&self, path_and_query: &str) -> Result<R, Error> {
        Ok(self
            .client
            .get_json(Some(self.options), path_and_query, no_info)?
            .0)
    }

    /// [`Client::get_with_info`] under the options.
    ///
    /// # Errors
    ///
    /// As [`accounts`](Self::accounts).
    pub fn get_with_info<R: DeserializeOwned>(
        &self,
        path_and_query: &str,
    ) -> Result<(R, ResponseInfo), Error> {
        self.client
            .get_json(Some(self.options), path_and_query, ResponseInfo::new)
    }

    /// [`Client::raw`] under the options.
    ///
    /// # Errors
    ///
    /// As [`Client::raw`], and as [`accounts`](Self::accounts) for the
    /// options.
    pub fn raw(
        &self,
        method: Method,
        path_and_query: &str,
        body: Option<Body>,
    ) -> Result<Response<Vec<u8>>, Error> {
        self.client.respond(
            Some(self.options),
            method,
            path_and_query,
            body.as_ref(),
            Status::Any,
        )
    }

    /// [`Client::send`] under the options.
    ///
    /// # Errors
    ///
    /// As [`raw`](Self::raw), and [`Error::Api`] for a non-success status.
    pub fn send(
        &self,
        method: Method,
        path_and_query: &str,
        body: Option<Body>,
    ) -> Result<Response<Vec<u8>>, Error> {
        self.client.respond(
            Some(self.options),
            method,
            path_and_query,
            body.as_ref(),
            Status::Success,
        )
    }
}

/// What `accounts()` decodes its body as.
const ACCOUNTS: Shape = Shape {
    rust_type: "Vec<Account>",
    expected: ACCOUNTS_SHAPE,
};

/// What the plain calls keep of a response's head: nothing.
fn no_info(_: StatusCode, _: &HeaderMap, _: u32, _: Redactor<'_>) {}

impl<T> fmt::Debug for Client<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("config", &self.inner.config)
            .field("key", &self.inner.key)
            .field("transport", &std::any::type_name::<T>())
            .finish()
    }
}
