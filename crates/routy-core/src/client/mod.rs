//! The generic blocking client: a short driver over the sans-IO
//! [`Call`] machine that sends through a [`Transport`] and waits through a
//! [`Clock`], then maps what comes back to values or typed errors.

pub(crate) mod builder;

pub use builder::ClientBuilder;

use builder::Checked;

use std::cell::OnceCell;
use std::fmt;
use std::sync::Arc;

use http::{Method, Request, Response, StatusCode, Uri};
use serde::de::DeserializeOwned;

use crate::auth::key::{ApiKey, SharedKey};
use crate::call::{build_request, Call, Event, Finished, Step};
use crate::clock::Clock;
use crate::config::options::CallOptions;
use crate::config::Config;
use crate::endpoint::accounts::{Account, Accounts};
use crate::endpoint::{Endpoint, Json, Raw, Reply};
use crate::error::call_site::CallSite;
use crate::error::Error;
use crate::policy::retry::{Jitter, RetryBudget};
use crate::policy::{QuotaGate, QuotaInbox};
use crate::request::Body;
use crate::response::api_error::ApiError;
use crate::shown::redact::Redactor;
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

struct Inner<T: ?Sized> {
    config: Config,
    key: SharedKey,
    clock: Arc<dyn Clock>,
    jitter: Jitter,
    budget: RetryBudget,
    /// The server's word about the key's quota, for every clone (and,
    /// through a store, every process of the fleet).
    quota: Arc<QuotaGate>,
    /// Last, so that a `&Inner<T>` is a `&Inner<dyn Transport>` to the
    /// call driver.
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
    /// set (else [`DEFAULT_BASE_URL`](crate::defaults::DEFAULT_BASE_URL)).
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

    pub(crate) fn from_parts(checked: Checked, transport: T) -> Self {
        let Checked {
            config,
            key,
            clock,
            jitter_seed,
            quota_store,
        } = checked;
        let budget = RetryBudget::new(config.retry_budget);
        let mut quota = QuotaGate::new(config.quota_scope)
            .pacing(config.pace)
            .hold_limit(config.max_quota_hold);
        if let Some(store) = &quota_store {
            quota = quota.store(Arc::clone(store));
        }
        let quota = Arc::new(quota);
        if let Some(store) = quota_store {
            store.attach(QuotaInbox::new(&quota, Arc::clone(&clock)));
            quota.watch(&key.get());
        }
        Client {
            inner: Arc::new(Inner {
                key,
                clock,
                jitter: Jitter::new(jitter_seed),
                budget,
                quota,
                config,
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
        self.inner.quota.watch(&key);
        self.inner.key.set(key);
    }

    /// Runs `endpoint`: builds its request, sends it under the client's
    /// retry, redirect and deadline rules, and interprets the final
    /// response with [`Endpoint::parse`]. A non-success status is an
    /// [`Error::Api`] unless the endpoint takes any status
    /// ([`Raw`]). Every error says where the call was
    /// (method, URL, attempts). The one way every call is made; the other
    /// call methods are one-line conveniences over it.
    ///
    /// # Errors
    ///
    /// [`Error::Request`] when the path is refused, [`Error::Transport`]
    /// when no response came, [`Error::Redirect`] for a refused redirect,
    /// [`Error::Api`] for a non-success status, and what the endpoint's
    /// `parse` reports ([`Error::Decode`], [`Error::IncompleteList`]).
    ///
    /// # Examples
    ///
    /// ```
    /// use routy::endpoint::Accounts;
    /// use routy::Endpoint;
    /// use routy::{http, ApiKey};
    ///
    /// let client = routy::ClientBuilder::new()
    ///     .api_key(ApiKey::new("test-token")?)
    ///     .build_with(routy::transport_fn(|_req| {
    ///         Ok(http::Response::builder()
    ///             .header("ratelimit-remaining", "41")
    ///             .body(br#"[{"id": 1}]"#.to_vec())
    ///             .expect("static response is valid"))
    ///     }))?;
    /// let (accounts, info) = client.call(Accounts.with_info())?;
    /// assert_eq!(accounts.len(), 1);
    /// assert_eq!(info.rate_limit().and_then(|r| r.remaining), Some(41));
    /// # Ok::<(), routy::Error>(())
    /// ```
    pub fn call<E: Endpoint>(&self, endpoint: E) -> Result<E::Output, Error> {
        self.run(&endpoint, None)
    }

    /// [`call`](Self::call) with `options` over the client's settings for
    /// this call only: a timeout, a retry policy, extra headers.
    ///
    /// # Errors
    ///
    /// As [`call`](Self::call), and [`Error::Request`] or
    /// [`Error::Config`] for options that cannot be used (nothing is sent).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use routy::{endpoint::Accounts, http, ApiKey, CallOptions, RetryPolicy};
    ///
    /// let client = routy::ClientBuilder::new()
    ///     .api_key(ApiKey::new("test-token")?)
    ///     .build_with(routy::transport_fn(|req| {
    ///         assert_eq!(req.headers()["x-correlation-id"], "job-42");
    ///         Ok(http::Response::new(b"[]".to_vec()))
    ///     }))?;
    /// let options = CallOptions::new()
    ///     .timeout(Duration::from_secs(5))
    ///     .retry(RetryPolicy::none())
    ///     .header("x-correlation-id", "job-42");
    /// assert!(client.call_with(Accounts, &options)?.is_empty());
    /// # Ok::<(), routy::Error>(())
    /// ```
    pub fn call_with<E: Endpoint>(
        &self,
        endpoint: E,
        options: &CallOptions,
    ) -> Result<E::Output, Error> {
        self.run(&endpoint, Some(options))
    }

    /// Lists the accounts the key can see (`GET /v1/accounts`): a call of
    /// [`Accounts`].
    ///
    /// # Errors
    ///
    /// [`Error::Transport`] when no response came, [`Error::Api`] for a
    /// non-success status, [`Error::Decode`] when the body is not a list of
    /// accounts (see [the assumed shape](crate::endpoint::Accounts)),
    /// [`Error::IncompleteList`] when it says there are more.
    pub fn accounts(&self) -> Result<Vec<Account>, Error> {
        self.call(Accounts)
    }

    /// `GET`s `path_and_query` (joined to the base URL) and decodes the JSON
    /// body into `R`: a call of [`Json`], the way to reach endpoints routy
    /// does not model yet.
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
        self.call(Json::get(path_and_query))
    }

    /// Sends any request and returns the response whatever its status: the
    /// raw escape hatch, a call of [`Raw`]. Only failures to get a response
    /// are errors; check the status yourself (or use
    /// [`ApiError::from_response`](crate::ApiError::from_response)).
    /// Retries and redirects follow the client's policy, as for every call.
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
    /// let response = client.execute_any_status(http::Method::POST, "/v1/things", Some(body))?;
    /// assert_eq!(response.status(), 201);
    /// assert_eq!(response.body(), br#"{"name":"Reporting Script"}"#);
    /// # Ok::<(), routy::Error>(())
    /// ```
    pub fn execute_any_status(
        &self,
        method: Method,
        path_and_query: &str,
        body: Option<Body>,
    ) -> Result<Response<Vec<u8>>, Error> {
        self.call(Raw::new(method, path_and_query).with_body(body))
    }

    /// Sends any request and returns a success response whole (status,
    /// headers, undecoded body); any other status is an [`Error::Api`],
    /// as for the typed calls: a call of [`Raw::success_only`].
    ///
    /// # Errors
    ///
    /// As [`execute_any_status`](Self::execute_any_status), and [`Error::Api`] for a non-success status.
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
    /// assert_eq!(client.execute(http::Method::GET, "/v1/numbers", None)?.body(), b"[1,2]");
    /// assert!(client.execute(http::Method::GET, "/v1/missing", None).is_err());
    /// # Ok::<(), routy::Error>(())
    /// ```
    pub fn execute(
        &self,
        method: Method,
        path_and_query: &str,
        body: Option<Body>,
    ) -> Result<Response<Vec<u8>>, Error> {
        self.call(
            Raw::new(method, path_and_query)
                .with_body(body)
                .success_only(),
        )
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
    /// let request = client.prepare(http::Method::GET, "/v1/accounts", None)?;
    /// assert_eq!(request.uri(), "https://platform.routy.app/api/v1/accounts");
    /// assert!(request.headers()["authorization"].is_sensitive());
    /// # Ok::<(), routy::Error>(())
    /// ```
    pub fn prepare(
        &self,
        method: Method,
        path_and_query: &str,
        body: Option<Body>,
    ) -> Result<Request<Vec<u8>>, Error> {
        let config = &self.inner.config;
        let uri = config.base_url.join(path_and_query)?;
        let key = self.inner.key.get();
        Ok(build_request(
            config,
            Some(&key),
            &method,
            &uri,
            body.as_ref(),
            config.limits,
            None,
        ))
    }

    /// Runs `endpoint` in the call's span. The endpoint's own code is only
    /// its `parse`: everything else (the exchange, the driver, placing an
    /// error) runs over `&dyn Transport` in [`Inner`]'s methods, compiled
    /// once in routy-core, not once per transport and endpoint in the
    /// user's crate with its own copies of every drop that code does.
    fn run<E: Endpoint + ?Sized>(
        &self,
        endpoint: &E,
        options: Option<&CallOptions>,
    ) -> Result<E::Output, Error> {
        let inner: &Inner<dyn Transport + '_> = &*self.inner;
        let method = endpoint.method();
        let path = endpoint.path();
        let ctx = inner.open(&method, path);
        let result = ctx.in_scope(|| {
            let (body, takes) = (endpoint.body(), endpoint.requires_success());
            let (reply, at) = inner.exchange(&ctx, &method, path, body, takes, options)?;
            endpoint.parse(reply).map_err(|err| at.locate(err, &method))
        });
        ctx.close(result.as_ref().err());
        result
    }
}

/// Where a call ended, to place an error its endpoint's reading of the
/// reply returns.
struct Ended<'k> {
    uri: Uri,
    attempts: u32,
    redactor: Redactor<'k>,
}

impl Ended<'_> {
    fn locate(&self, err: Error, method: &Method) -> Error {
        err.located(
            CallSite::new(method, &self.uri, self.redactor),
            self.attempts,
        )
    }
}

impl Inner<dyn Transport + '_> {
    /// The call's context: the key it starts with and, with the `tracing`
    /// feature, its `routy.call` span.
    #[cfg_attr(not(feature = "tracing"), allow(unused_variables))]
    fn open(&self, method: &Method, path_and_query: &str) -> CallContext {
        let key = self.key.get();
        #[cfg(feature = "tracing")]
        {
            let base = &self.config.base_url;
            let span =
                crate::call::logging::span::open(method, base, path_and_query, key.redactor());
            CallContext {
                key,
                rotated: OnceCell::new(),
                span,
            }
        }
        #[cfg(not(feature = "tracing"))]
        CallContext {
            key,
            rotated: OnceCell::new(),
        }
    }

    /// Sends the call and reads what its final response means: an
    /// [`Error::Api`] for a non-success status when the endpoint takes
    /// only successes, else the reply for the endpoint to read, and where
    /// the call ended.
    fn exchange<'k>(
        &self,
        ctx: &'k CallContext,
        method: &Method,
        path_and_query: &str,
        body: Option<&Body>,
        success_only: bool,
        options: Option<&CallOptions>,
    ) -> Result<(Reply<'k>, Ended<'k>), Error> {
        let uri = self.config.base_url.join(path_and_query)?;
        let finished = self.drive(ctx, options, method.clone(), uri, body)?;
        let at = Ended {
            uri: finished.uri.clone(),
            attempts: finished.attempts,
            redactor: ctx.redactor(),
        };
        let status = finished.response.status();
        if !status.is_success() && success_only {
            let base = &self.config.base_url;
            let hint = (status == StatusCode::NOT_FOUND)
                .then(|| base.not_found_hint(path_and_query))
                .flatten();
            let (parts, body) = finished.response.into_parts();
            let err =
                ApiError::from_parts(status, &parts.headers, &body, at.redactor).with_hint(hint);
            return Err(at.locate(err.into(), method));
        }
        let reply = Reply::new(
            finished.response,
            finished.attempts,
            finished.uri,
            at.redactor,
        );
        Ok((reply, at))
    }
    fn drive(
        &self,
        ctx: &CallContext,
        options: Option<&CallOptions>,
        method: Method,
        uri: Uri,
        body: Option<&Body>,
    ) -> Result<Finished, Error> {
        let clock = &*self.clock;
        let mut call = Call::new(&self.config, &ctx.key, method, uri, body)
            .key_source(&self.key)
            .budget(&self.budget)
            .quota(&self.quota)
            .jitter_seed(self.jitter.call_seed());
        if let Some(options) = options {
            call = call.options(options)?;
        }
        // The driver: send when the call says send, wait when it says wait.
        let mut event = Event::Start {
            now: clock.now(),
            wall: clock.wall(),
        };
        let mut result = loop {
            event = match call.next(event) {
                Step::Send(request) => Event::Sent {
                    result: self.transport.send(request),
                    now: clock.now(),
                },
                Step::Wait(delay) => {
                    clock.sleep(delay);
                    Event::Waited { now: clock.now() }
                }
                Step::Done(result) => break result,
            };
        };
        if let Ok(Some(key)) = result.as_mut().map(|f| f.rotated_to.take()) {
            let _ = ctx.rotated.set(key);
        }
        #[cfg(feature = "tracing")]
        if let Ok(finished) = &result {
            crate::call::logging::span::finished(&ctx.span, finished, ctx.redactor());
        }
        result
    }
}

/// What one call carries through the client: the key it started with,
/// the one it ended with when a rotation came between, and, with the
/// `tracing` feature, its span.
struct CallContext {
    key: ApiKey,
    rotated: OnceCell<ApiKey>,
    #[cfg(feature = "tracing")]
    span: tracing::Span,
}

impl CallContext {
    /// The rules that keep the call's keys out of what it shows.
    #[inline(never)]
    fn redactor(&self) -> Redactor<'_> {
        match self.rotated.get() {
            Some(now) => now
                .redactor()
                .with_earlier(self.key.expose_secret().as_bytes()),
            None => self.key.redactor(),
        }
    }

    /// Runs `f` in the call's span.
    fn in_scope<R>(&self, f: impl FnOnce() -> R) -> R {
        #[cfg(feature = "tracing")]
        return self.span.in_scope(f);
        #[cfg(not(feature = "tracing"))]
        f()
    }

    /// Records how the call failed, if it did.
    #[cfg_attr(not(feature = "tracing"), allow(unused_variables))]
    fn close(&self, failed: Option<&Error>) {
        #[cfg(feature = "tracing")]
        if let Some(err) = failed {
            crate::call::logging::span::failed(&self.span, err);
        }
    }
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
