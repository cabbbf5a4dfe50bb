//! The generic blocking client: builds requests (sans-IO), hands them to a
//! [`Transport`], and maps what comes back to values or typed errors.

use std::fmt;
use std::sync::Arc;

use http::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, USER_AGENT};
use http::{HeaderValue, Method, Request, Response};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::config::{ClientBuilder, Config};
use crate::error::{Error, RequestError};
use crate::key::{ApiKey, SharedKey};
use crate::model::{Account, AccountList, ACCOUNTS_SHAPE};
use crate::response::{decode_json_redacted, ApiError};
use crate::transport::{Transport, TransportError, TransportErrorKind};

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
/// use routy_core::{http, ApiKey, Client, TransportError};
///
/// let client = routy_core::ClientBuilder::new()
///     .api_key(ApiKey::new("test-token")?)
///     .build_with(|req: http::Request<Vec<u8>>| -> Result<_, TransportError> {
///         assert_eq!(req.headers()["authorization"], "ApiKey test-token");
///         Ok(http::Response::new(br#"[{"id": 7, "name": "Acme"}]"#.to_vec()))
///     })?;
/// let accounts = client.accounts()?;
/// assert_eq!(accounts[0].name(), Some("Acme"));
/// # Ok::<(), routy_core::Error>(())
/// ```
pub struct Client<T> {
    inner: Arc<Inner<T>>,
}

struct Inner<T> {
    config: Config,
    key: SharedKey,
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
        ClientBuilder::with_default_transport()
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
    /// # fn demo<T: routy_core::Transport + Default>() -> Result<(), routy_core::Error> {
    /// let client = routy_core::Client::<T>::from_env()?;
    /// # let _ = client; Ok(()) }
    /// ```
    pub fn from_env() -> Result<Self, Error>
    where
        T: Default,
    {
        Self::builder().env().build()
    }

    pub(crate) fn from_parts(config: Config, key: SharedKey, transport: T) -> Self {
        Client {
            inner: Arc::new(Inner {
                config,
                key,
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
    /// # use routy_core::{ApiKey, Client, TransportErrorKind};
    /// let client = routy_core::ClientBuilder::new()
    ///     .api_key(ApiKey::new("t")?)
    ///     .build_with(std::sync::Arc::new(|_req| Err(TransportErrorKind::Connect.into())))?;
    /// let _transport = client.transport();
    /// # Ok::<(), routy_core::Error>(())
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
    /// # use routy_core::{ApiKey, Client, TransportErrorKind};
    /// let client = routy_core::ClientBuilder::new()
    ///     .api_key(ApiKey::new("old-token")?)
    ///     .build_with(|_req| Err(TransportErrorKind::Connect.into()))?;
    /// client.set_api_key(ApiKey::new("new-token")?);
    /// assert_eq!(client.api_key().expose_secret(), "new-token");
    /// # Ok::<(), routy_core::Error>(())
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
    /// # use routy_core::{http, ApiKey, Client, TransportError};
    /// let client = routy_core::ClientBuilder::new()
    ///     .api_key(ApiKey::new("t")?)
    ///     .build_with(|req: http::Request<Vec<u8>>| -> Result<_, TransportError> {
    ///         assert_eq!(req.uri().path_and_query().map(|p| p.as_str()), Some("/api/v1/reports?since=2026-01-01"));
    ///         Ok(http::Response::new(br#"{"count": 3}"#.to_vec()))
    ///     })?;
    /// let report: serde_json::Value = client.get("/v1/reports?since=2026-01-01")?;
    /// assert_eq!(report["count"], 3);
    /// # Ok::<(), routy_core::Error>(())
    /// ```
    pub fn get<R: DeserializeOwned>(&self, path_and_query: &str) -> Result<R, Error> {
        self.get_as(path_and_query, "the json value the caller asked for")
    }

    /// Sends any request and returns the response whatever its status: the
    /// raw escape hatch. Only failures to get a response are errors; check
    /// the status yourself (or use [`ApiError::from_response`]).
    ///
    /// # Errors
    ///
    /// [`Error::Request`] when the path is refused, [`Error::Transport`]
    /// when no response came.
    ///
    /// # Examples
    ///
    /// ```
    /// # use routy_core::{http, ApiKey, Body, Client, TransportError};
    /// let client = routy_core::ClientBuilder::new()
    ///     .api_key(ApiKey::new("t")?)
    ///     .build_with(|req: http::Request<Vec<u8>>| -> Result<_, TransportError> {
    ///         assert_eq!(req.method(), http::Method::POST);
    ///         assert_eq!(req.headers()["content-type"], "application/json");
    ///         Ok(http::Response::builder().status(201).body(req.into_body()).expect("valid"))
    ///     })?;
    /// let body = Body::json(&serde_json::json!({"name": "Reporting Script"}))?;
    /// let response = client.raw(http::Method::POST, "/v1/things", Some(body))?;
    /// assert_eq!(response.status(), 201);
    /// assert_eq!(response.body(), br#"{"name":"Reporting Script"}"#);
    /// # Ok::<(), routy_core::Error>(())
    /// ```
    pub fn raw(
        &self,
        method: Method,
        path_and_query: &str,
        body: Option<Body>,
    ) -> Result<Response<Vec<u8>>, Error> {
        let key = self.inner.key.get();
        let request = self.build_request(&key, method, path_and_query, body)?;
        self.send(request)
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
    /// # use routy_core::{http, ApiKey, Client, TransportErrorKind};
    /// let client = routy_core::ClientBuilder::new()
    ///     .api_key(ApiKey::new("t")?)
    ///     .build_with(|_req| Err(TransportErrorKind::Connect.into()))?;
    /// let request = client.request(http::Method::GET, "/v1/accounts", None)?;
    /// assert_eq!(request.uri(), "https://platform.routy.app/api/v1/accounts");
    /// assert!(request.headers()["authorization"].is_sensitive());
    /// # Ok::<(), routy_core::Error>(())
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
        let request = self.build_request(&key, Method::GET, path_and_query, None)?;
        let response = self.send(request)?;
        let secret = Some(key.expose_secret().as_bytes());
        if !response.status().is_success() {
            let (parts, body) = response.into_parts();
            return Err(ApiError::from_parts(parts.status, &parts.headers, &body, secret).into());
        }
        Ok(decode_json_redacted(&response, expected, secret)?)
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
        let mut request = Request::new(Vec::new());
        *request.method_mut() = method;
        *request.uri_mut() = uri;
        let headers = request.headers_mut();
        headers.reserve(4);
        headers.insert(AUTHORIZATION, key.header_value().clone());
        headers.insert(ACCEPT, ACCEPT_JSON);
        headers.insert(USER_AGENT, config.user_agent.clone());
        if let Some(body) = body {
            headers.insert(CONTENT_TYPE, body.content_type);
            *request.body_mut() = body.bytes;
        }
        request.extensions_mut().insert(config.limits);
        Ok(request)
    }

    fn send(&self, request: Request<Vec<u8>>) -> Result<Response<Vec<u8>>, Error> {
        let response = self.inner.transport.send(request)?;
        // Transports should stop reading at the cap; this holds the line for
        // one that does not.
        if response.body().len() as u64 > self.inner.config.limits.max_body_bytes {
            return Err(TransportError::new(TransportErrorKind::BodyTooLarge).into());
        }
        Ok(response)
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

/// A request body for [`Client::raw`]: bytes and their content type.
///
/// # Examples
///
/// ```
/// let body = routy_core::Body::json(&serde_json::json!({"name": "Reporting Script"}))?;
/// assert_eq!(body.content_type(), "application/json");
/// let text = routy_core::Body::new("text/csv", b"a,b\n1,2\n".to_vec())?;
/// assert_eq!(text.bytes(), b"a,b\n1,2\n");
/// # Ok::<(), routy_core::Error>(())
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
