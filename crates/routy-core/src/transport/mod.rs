//! The one seam between the sans-IO core and the network: [`Transport`]
//! sends an `http::Request` and returns an `http::Response`, and reports
//! failure as a [`TransportError`] whose kind the client can classify.

mod error;
mod limits;

use std::fmt;
use std::sync::Arc;

use http::{Request, Response};

pub use error::{Deadline, TransportError, TransportErrorKind};
pub use limits::{read_body, AttemptNumber, RequestLimits};

/// Sends one HTTP request and returns the response, whatever its status.
///
/// A transport must not follow redirects (the client owns that policy), must
/// hand back 4xx and 5xx responses as `Ok`, and should honour the
/// [`RequestLimits`] found in the request's extensions: stop reading once the
/// decompressed body exceeds `max_body_bytes` (with
/// [`TransportErrorKind::BodyTooLarge`]) and give up when `timeout` has
/// passed since the request started (with [`TransportErrorKind::Timeout`]).
/// A request to a loopback host (`127.0.0.0/8`, `[::1]`, `localhost`) must
/// never go through a proxy, and `localhost` must reach loopback without
/// asking DNS: plain http is allowed there only because the bytes never
/// leave the machine (see `SECURITY.md`).
///
/// The guide (`routy::guide::transports`) spells out the whole contract with a complete
/// transport, and how to certify one with routy-testkit's conformance suite.
///
/// A closure is a transport through [`transport_fn`]; `&T`, `Box<T>` and
/// `Arc<T>` of a transport are transports too, `Box<dyn Transport>` and
/// `Arc<dyn Transport>` included, so the transport can be chosen at run
/// time.
///
/// # Examples
///
/// A closure transport that answers every request locally:
///
/// ```
/// use routy::{http, transport_fn, ApiKey, ClientBuilder};
///
/// let transport = transport_fn(|req| {
///     assert_eq!(req.uri().path(), "/api/v1/accounts");
///     Ok(http::Response::builder()
///         .header("content-type", "application/json")
///         .body(br#"[{"id": 1, "name": "Acme"}]"#.to_vec())
///         .expect("static response is valid"))
/// });
/// let client = ClientBuilder::new()
///     .api_key(ApiKey::new("test-token")?)
///     .build_with(transport)?;
/// assert_eq!(client.accounts()?[0].name(), Some("Acme"));
/// # Ok::<(), routy::Error>(())
/// ```
///
/// A transport chosen at run time:
///
/// ```
/// use routy::{http, transport_fn, ApiKey, ClientBuilder, ClientWith, Transport};
///
/// let offline = std::env::var_os("ROUTY_DOC_ONLINE").is_none();
/// let transport: Box<dyn Transport> = if offline {
///     Box::new(transport_fn(|_req| Ok(http::Response::new(b"[]".to_vec()))))
/// } else {
///     Box::new(routy::UreqTransport::new())
/// };
/// let client: ClientWith<Box<dyn Transport>> = ClientBuilder::new()
///     .api_key(ApiKey::new("test-token")?)
///     .build_with(transport)?;
/// # if offline { assert!(client.accounts()?.is_empty()); }
/// # Ok::<(), routy::Error>(())
/// ```
pub trait Transport: Send + Sync {
    /// Sends `request` and returns the full response.
    ///
    /// # Errors
    ///
    /// A [`TransportError`] when no complete response could be had.
    fn send(&self, request: Request<Vec<u8>>) -> Result<Response<Vec<u8>>, TransportError>;
}

#[cfg(feature = "mock")]
mockall::mock! {
    /// A [`Transport`] whose answers and expectations a test sets, generated
    /// by [mockall](https://docs.rs/mockall) (feature `mock`).
    ///
    /// Set what each request gets with `expect_send()`: a count
    /// (`.times(n)`), a check on the request (`.withf(|req| ...)`), and the
    /// answer (`.returning(|req| ...)`). Expectations are checked when the
    /// mock is dropped, so a call that never came fails the test; a request
    /// no expectation matches panics in the transport with mockall's
    /// message.
    ///
    /// `expect_send`, `withf`, `times` and `returning` come with the mock.
    /// For ordering across expectations (`mockall::Sequence`) or mockall's
    /// predicates (`mockall::predicate::*`), add mockall itself to your
    /// dev-dependencies, at the version routy uses (0.15):
    ///
    /// ```toml
    /// [dev-dependencies]
    /// routy = { version = "0.1", features = ["mock"] }
    /// mockall = "0.15"
    /// ```
    ///
    /// # Examples
    ///
    /// A 503 and then the list, in that order, each request checked:
    ///
    /// ```
    /// use mockall::Sequence;
    /// use routy::http::{Method, Response};
    /// use routy::{ApiKey, MockTransport};
    ///
    /// let mut mock = MockTransport::new();
    /// let mut order = Sequence::new();
    /// mock.expect_send()
    ///     .times(1)
    ///     .in_sequence(&mut order)
    ///     .returning(|_| Ok(Response::builder().status(503).body(Vec::new()).expect("valid")));
    /// mock.expect_send()
    ///     .times(1)
    ///     .in_sequence(&mut order)
    ///     .withf(|req| {
    ///         req.method() == Method::GET
    ///             && req.uri().path() == "/api/v1/accounts"
    ///             && req.headers()["authorization"] == "ApiKey test-token"
    ///     })
    ///     .returning(|_| Ok(Response::new(br#"[{"id": 7}]"#.to_vec())));
    /// let client = routy::ClientBuilder::new()
    ///     .api_key(ApiKey::new("test-token")?)
    ///     .clock(routy::clock::ManualClock::new()) // the retry waits no wall-clock time
    ///     .build_with(mock)?;
    /// assert_eq!(client.accounts()?.len(), 1);
    /// # Ok::<(), routy::Error>(())
    /// ```
    pub Transport {}

    impl Transport for Transport {
        fn send(&self, request: Request<Vec<u8>>) -> Result<Response<Vec<u8>>, TransportError>;
    }
}

/// A transport made of a closure: see [`transport_fn`].
#[derive(Clone, Copy)]
pub struct TransportFn<F> {
    f: F,
}

/// Makes a [`Transport`] of a closure, for tests, stubs and small adapters.
///
/// An adapter rather than a blanket `impl Transport for F`: such an impl
/// would keep `&T` and `Box<T>` from being transports, because a reference
/// to (or box of) a closure is a closure too. The adapter also fixes the
/// argument's type, so the closure needs no annotations.
///
/// # Examples
///
/// ```
/// use routy::{http, transport_fn, ApiKey, ClientBuilder, TransportErrorKind};
///
/// let down = transport_fn(|_req| Err(TransportErrorKind::Connect.into()));
/// let client = ClientBuilder::new().api_key(ApiKey::new("t")?).build_with(down)?;
/// assert!(client.accounts().is_err());
/// # Ok::<(), routy::Error>(())
/// ```
pub fn transport_fn<F>(f: F) -> TransportFn<F>
where
    F: Fn(Request<Vec<u8>>) -> Result<Response<Vec<u8>>, TransportError> + Send + Sync,
{
    TransportFn { f }
}

impl<F> Transport for TransportFn<F>
where
    F: Fn(Request<Vec<u8>>) -> Result<Response<Vec<u8>>, TransportError> + Send + Sync,
{
    fn send(&self, request: Request<Vec<u8>>) -> Result<Response<Vec<u8>>, TransportError> {
        (self.f)(request)
    }
}

impl<F> fmt::Debug for TransportFn<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TransportFn(..)")
    }
}

impl<T: Transport + ?Sized> Transport for &T {
    fn send(&self, request: Request<Vec<u8>>) -> Result<Response<Vec<u8>>, TransportError> {
        (**self).send(request)
    }
}

impl<T: Transport + ?Sized> Transport for Box<T> {
    fn send(&self, request: Request<Vec<u8>>) -> Result<Response<Vec<u8>>, TransportError> {
        (**self).send(request)
    }
}

impl<T: Transport + ?Sized> Transport for Arc<T> {
    fn send(&self, request: Request<Vec<u8>>) -> Result<Response<Vec<u8>>, TransportError> {
        (**self).send(request)
    }
}
