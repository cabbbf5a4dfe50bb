//! Endpoints as values: a request to build and a response to interpret.
//!
//! Every call the client makes is an [`Endpoint`] run by
//! [`Client::call`](crate::Client::call): the client owns the transport,
//! the retries, redirects, deadlines, redaction and error context; the
//! endpoint says only what to send ([`method`](Endpoint::method),
//! [`path`](Endpoint::path), [`body`](Endpoint::body)) and what the answer
//! means ([`parse`](Endpoint::parse), given a [`Reply`]). The built-in ones
//! are [`Accounts`], [`Json`] (a `GET` decoded
//! into any type) and [`Raw`] (any request, the response whole); a program
//! defines its own the same way and gets every guarantee they have.
//!
//! ```
//! use routy::endpoint::Reply;
//! use routy::Endpoint;
//! use routy::{http, ApiKey, Error};
//!
//! /// `GET /v1/reports?since=…`: an endpoint Routy may document one day.
//! struct Reports {
//!     path: String,
//! }
//!
//! #[derive(serde::Deserialize)]
//! struct Report {
//!     id: u64,
//!     title: String,
//! }
//!
//! impl Reports {
//!     fn since(date: &str) -> Self {
//!         Reports { path: format!("/v1/reports?since={date}") }
//!     }
//! }
//!
//! impl Endpoint for Reports {
//!     type Output = Vec<Report>;
//!
//!     fn method(&self) -> http::Method {
//!         http::Method::GET
//!     }
//!
//!     fn path(&self) -> &str {
//!         &self.path
//!     }
//!
//!     fn parse(&self, reply: Reply<'_>) -> Result<Vec<Report>, Error> {
//!         // A JSON array, or one in an envelope; a list that says it has
//!         // more pages is refused, as for accounts.
//!         reply.list()
//!     }
//! }
//!
//! let client = routy::ClientBuilder::new()
//!     .api_key(ApiKey::new("test-token")?)
//!     .build_with(routy::transport_fn(|req| {
//!         assert_eq!(req.uri().path_and_query().unwrap(), "/api/v1/reports?since=2026-11-01");
//!         Ok(http::Response::new(br#"{"data": [{"id": 1, "title": "November"}]}"#.to_vec()))
//!     }))?;
//! let reports = client.call(Reports::since("2026-11-01"))?;
//! assert_eq!((reports[0].id, reports[0].title.as_str()), (1, "November"));
//! // The response's metadata composes on any endpoint.
//! let (_reports, info) = client.call(Reports::since("2026-11-01").with_info())?;
//! assert_eq!(info.attempts(), 1);
//! # Ok::<(), routy::Error>(())
//! ```

pub(crate) mod accounts;

pub use accounts::{Account, AccountId, Accounts};

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use http::header::{CONTENT_TYPE, LINK};
use http::{HeaderMap, Method, Response, StatusCode, Uri};
use serde::de::DeserializeOwned;

use crate::error::Error;
use crate::request::Body;
use crate::response::decode::{decode_owned, decode_slice, decode_with, DecodeAs, Failure};
use crate::response::info::ResponseInfo;
use crate::response::paging::{link_has_next, AnyList, Envelope, ListBody, LINK_SIGNAL};
use crate::response::IncompleteList;
use crate::shown::redact::Redactor;

/// A request to build and a response to interpret: one endpoint of the
/// API, run by [`Client::call`](crate::Client::call). See [the
/// module](self) for an endpoint of your own.
pub trait Endpoint {
    /// What a successful call gives.
    type Output;

    /// The request's method.
    fn method(&self) -> Method;

    /// The path and query under the base URL (`/v1/accounts`), as for
    /// [`BaseUrl::join`](crate::BaseUrl::join).
    fn path(&self) -> &str;

    /// The request body, if any. Defaults to none.
    fn body(&self) -> Option<&Body> {
        None
    }

    /// Whether only a success reaches [`parse`](Self::parse): a
    /// non-success status is then an [`Error::Api`], with the call's
    /// method, URL and hints. Defaults to true; [`Raw`] says false.
    fn requires_success(&self) -> bool {
        true
    }

    /// Interprets the final response (redirects followed, retries done).
    ///
    /// # Errors
    ///
    /// Whatever the response cannot be made into: [`Reply::json`]'s and
    /// [`Reply::list`]'s errors. The client adds where the call was.
    fn parse(&self, reply: Reply<'_>) -> Result<Self::Output, Error>;

    /// This endpoint, answering with its output and the response's
    /// [`ResponseInfo`] (request id, rate limits, any header).
    fn with_info(self) -> WithInfo<Self>
    where
        Self: Sized,
    {
        WithInfo(self)
    }
}

impl<E: Endpoint + ?Sized> Endpoint for &E {
    type Output = E::Output;

    fn method(&self) -> Method {
        (**self).method()
    }

    fn path(&self) -> &str {
        (**self).path()
    }

    fn body(&self) -> Option<&Body> {
        (**self).body()
    }

    fn requires_success(&self) -> bool {
        (**self).requires_success()
    }

    fn parse(&self, reply: Reply<'_>) -> Result<Self::Output, Error> {
        (**self).parse(reply)
    }
}

/// The final response of a call, for an [`Endpoint`] to interpret: the
/// status, headers and body as received, and the means to read them the
/// way routy's own endpoints do (with errors that quote nothing of the
/// key).
pub struct Reply<'a> {
    response: Response<Vec<u8>>,
    attempts: u32,
    uri: Uri,
    redactor: Redactor<'a>,
}

impl<'a> Reply<'a> {
    pub(crate) fn new(
        response: Response<Vec<u8>>,
        attempts: u32,
        uri: Uri,
        redactor: Redactor<'a>,
    ) -> Self {
        Reply {
            response,
            attempts,
            uri,
            redactor,
        }
    }

    /// The status.
    pub fn status(&self) -> StatusCode {
        self.response.status()
    }

    /// The headers, as received.
    pub fn headers(&self) -> &HeaderMap {
        self.response.headers()
    }

    /// The body, as received (decompressed by the transport).
    pub fn body(&self) -> &[u8] {
        self.response.body()
    }

    /// The attempts the call took, the first included.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// The URL that answered: the call's own, or where redirects led.
    pub fn uri(&self) -> &Uri {
        &self.uri
    }

    /// What the response came with besides its body (request id, rate
    /// limits, any header by name), redacted.
    pub fn info(&self) -> ResponseInfo {
        ResponseInfo::new(self.status(), self.headers(), self.attempts, self.redactor)
    }

    /// `text` (server text: a header, a piece of the body) as routy keeps
    /// such text: any echo of the key redacted, the whole withheld when it
    /// still spells the key once decoded.
    pub fn scrub<'t>(&self, text: &'t str) -> Cow<'t, str> {
        self.redactor.scrub(text)
    }

    /// The response, whole.
    pub fn into_response(self) -> Response<Vec<u8>> {
        self.response
    }

    /// The body decoded as JSON into `R` (`application/json`, `*/*+json`,
    /// `text/plain`, or no content type; anything else is refused).
    ///
    /// # Errors
    ///
    /// [`Error::Decode`], naming `R`, the JSON path where decoding failed
    /// and a redacted snippet.
    pub fn json<R: DeserializeOwned>(&self) -> Result<R, Error> {
        let name = std::any::type_name::<R>();
        self.decode(DecodeAs {
            rust_type: name,
            expected: name,
        })
    }

    /// The body as a list of `T`: a JSON array, or an object holding one
    /// under `items`, `data`, `value` or `results`. A list that signals
    /// more pages (a `Link: rel="next"` header, a `next` or `nextLink`
    /// member, `has_more`, a `total` above its count: see
    /// [`IncompleteList`]) is refused, never returned as if it were
    /// all.
    ///
    /// # Errors
    ///
    /// [`Error::Decode`] for another shape, [`Error::IncompleteList`] for
    /// a list that says it has more.
    pub fn list<T: DeserializeOwned>(&self) -> Result<Vec<T>, Error> {
        self.list_in::<T, AnyList>()
    }

    /// [`list`](Self::list) with the envelope `E` names.
    pub(crate) fn list_in<T: DeserializeOwned, E: Envelope>(&self) -> Result<Vec<T>, Error> {
        let content_type = self.headers().get(CONTENT_TYPE);
        let list = decode_with(
            content_type,
            self.body(),
            list_shape::<T, E>(),
            self.redactor,
            E::decode::<T>,
        )?;
        whole(self.headers(), list)
    }

    /// [`list_in`](Self::list_in) by a decoder that keeps the body, its
    /// items pointing into it rather than copying out of it.
    pub(crate) fn into_list_with<T, E: Envelope>(
        mut self,
        keeping: impl FnOnce(String) -> Result<ListBody<T, E>, Failure>,
    ) -> Result<Vec<T>, Error> {
        let body = std::mem::take(self.response.body_mut());
        let list = decode_owned(
            self.headers().get(CONTENT_TYPE),
            body,
            list_shape::<T, E>(),
            self.redactor,
            keeping,
        )?;
        whole(self.headers(), list)
    }

    fn decode<R: DeserializeOwned>(&self, shape: DecodeAs) -> Result<R, Error> {
        let content_type = self.headers().get(CONTENT_TYPE);
        Ok(decode_slice(
            content_type,
            self.body(),
            shape,
            self.redactor,
        )?)
    }
}

/// How a list of `T` in the envelope `E` is named in a decode error.
fn list_shape<T, E: Envelope>() -> DecodeAs {
    DecodeAs {
        rust_type: std::any::type_name::<Vec<T>>(),
        expected: E::SHAPE,
    }
}

/// The items of a list, or the error when the response says there are
/// more pages than this one (a `Link: rel="next"` header, or the
/// envelope).
fn whole<T, E: Envelope>(
    headers: &HeaderMap,
    ListBody(items, paging, _): ListBody<T, E>,
) -> Result<Vec<T>, Error> {
    let linked = headers
        .get_all(LINK)
        .iter()
        .any(|value| link_has_next(value.as_bytes()));
    let signal = if linked {
        Some(LINK_SIGNAL)
    } else {
        paging.signal(items.len())
    };
    match signal {
        Some(signal) => Err(IncompleteList::new(signal, items.len(), E::NOUN).into()),
        None => Ok(items),
    }
}

impl fmt::Debug for Reply<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reply")
            .field("status", &self.status())
            .field("attempts", &self.attempts)
            .field("body_bytes", &self.body().len())
            .finish_non_exhaustive()
    }
}

/// An endpoint whose output comes with the response's [`ResponseInfo`]:
/// from [`Endpoint::with_info`].
#[derive(Debug, Clone)]
pub struct WithInfo<E>(pub E);

impl<E: Endpoint> Endpoint for WithInfo<E> {
    type Output = (E::Output, ResponseInfo);

    fn method(&self) -> Method {
        self.0.method()
    }

    fn path(&self) -> &str {
        self.0.path()
    }

    fn body(&self) -> Option<&Body> {
        self.0.body()
    }

    fn requires_success(&self) -> bool {
        self.0.requires_success()
    }

    fn parse(&self, reply: Reply<'_>) -> Result<Self::Output, Error> {
        let info = reply.info();
        Ok((self.0.parse(reply)?, info))
    }
}

/// `GET path`, the body decoded as JSON into `R`: the endpoint behind
/// [`Client::get`](crate::Client::get).
///
/// # Examples
///
/// ```
/// use routy::endpoint::Json;
/// use routy::Endpoint;
/// use routy::{http, ApiKey};
///
/// let client = routy::ClientBuilder::new()
///     .api_key(ApiKey::new("test-token")?)
///     .build_with(routy::transport_fn(|_req| Ok(http::Response::new(br#"{"count": 3}"#.to_vec()))))?;
/// let (report, info) = client.call(Json::<serde_json::Value>::get("/v1/reports").with_info())?;
/// assert_eq!((report["count"].as_u64(), info.attempts()), (Some(3), 1));
/// # Ok::<(), routy::Error>(())
/// ```
pub struct Json<'p, R> {
    path: Cow<'p, str>,
    _output: PhantomData<fn() -> R>,
}

impl<'p, R: DeserializeOwned> Json<'p, R> {
    /// `GET path_and_query`, decoded into `R`.
    pub fn get(path_and_query: impl Into<Cow<'p, str>>) -> Self {
        Json {
            path: path_and_query.into(),
            _output: PhantomData,
        }
    }
}

impl<R: DeserializeOwned> Endpoint for Json<'_, R> {
    type Output = R;

    fn method(&self) -> Method {
        Method::GET
    }

    fn path(&self) -> &str {
        &self.path
    }

    fn parse(&self, reply: Reply<'_>) -> Result<R, Error> {
        reply.json()
    }
}

impl<R> fmt::Debug for Json<'_, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Json")
            .field("path", &self.path)
            .field("output", &std::any::type_name::<R>())
            .finish()
    }
}

/// Any request, answered with the response whole: the endpoint behind
/// [`Client::execute_any_status`](crate::Client::execute_any_status) (any status) and
/// [`Client::execute`](crate::Client::execute) ([`success_only`](Self::success_only)).
///
/// # Examples
///
/// ```
/// use routy::endpoint::Raw;
/// use routy::{http, ApiKey, Body};
///
/// let client = routy::ClientBuilder::new()
///     .api_key(ApiKey::new("test-token")?)
///     .build_with(routy::transport_fn(|req| {
///         Ok(http::Response::builder().status(409).body(req.into_body()).expect("valid"))
///     }))?;
/// let body = Body::json(&serde_json::json!({"name": "Reporting Script"}))?;
/// let response = client.call(Raw::new(http::Method::POST, "/v1/things").with_body(body))?;
/// assert_eq!(response.status(), 409);
/// assert!(client.call(Raw::new(http::Method::GET, "/v1/things").success_only()).is_err());
/// # Ok::<(), routy::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Raw<'p> {
    method: Method,
    path: Cow<'p, str>,
    body: Option<Body>,
    success_only: bool,
}

impl<'p> Raw<'p> {
    /// `method path_and_query`, with no body, answered whatever its status.
    pub fn new(method: Method, path_and_query: impl Into<Cow<'p, str>>) -> Self {
        Raw {
            method,
            path: path_and_query.into(),
            body: None,
            success_only: false,
        }
    }

    /// With `body`.
    pub fn with_body(mut self, body: impl Into<Option<Body>>) -> Self {
        self.body = body.into();
        self
    }

    /// Only a success is an answer; any other status is an
    /// [`Error::Api`].
    pub fn success_only(mut self) -> Self {
        self.success_only = true;
        self
    }
}

impl Endpoint for Raw<'_> {
    type Output = Response<Vec<u8>>;

    fn method(&self) -> Method {
        self.method.clone()
    }

    fn path(&self) -> &str {
        &self.path
    }

    fn body(&self) -> Option<&Body> {
        self.body.as_ref()
    }

    fn requires_success(&self) -> bool {
        self.success_only
    }

    fn parse(&self, reply: Reply<'_>) -> Result<Response<Vec<u8>>, Error> {
        Ok(reply.into_response())
    }
}
