//! The one seam between the sans-IO core and the network: [`Transport`]
//! sends an `http::Request` and returns an `http::Response`, and reports
//! failure as a [`TransportError`] whose kind the client can classify.

use std::error::Error as StdError;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use http::{Request, Response};

use crate::redact::Redactor;

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
/// [The guide](crate::guide) spells out the whole contract with a complete
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

/// Limits the client wants enforced while a response is read. The client
/// puts one in every request's extensions; transports read it with
/// [`RequestLimits::of`].
///
/// # Examples
///
/// ```
/// use routy::{http, RequestLimits};
///
/// let request = http::Request::new(Vec::<u8>::new());
/// // A request without limits gets the defaults.
/// assert_eq!(RequestLimits::of(&request), RequestLimits::default());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct RequestLimits {
    /// The most body bytes to accept, counted after decompression.
    pub max_body_bytes: u64,
    /// The deadline for the whole exchange, from connecting to the last
    /// body byte; `None` for no deadline.
    pub timeout: Option<Duration>,
    /// Which attempt of its call this request is, from 1; a redirect hop
    /// keeps its attempt's number. 0 when no client set it. For
    /// transports that count or trace retries; nothing to enforce.
    pub attempt: u32,
    /// Which redirect hop of its attempt this request is: 0 for the
    /// request itself, 1 for the first redirect followed, and so on.
    pub hop: u32,
}

impl RequestLimits {
    /// Limits of `max_body_bytes` and `timeout`; a timeout longer than
    /// [`MAX_DURATION`](crate::config::MAX_DURATION) is cut to it.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let limits = routy::RequestLimits::new(1024, Some(Duration::from_secs(5)));
    /// assert_eq!(limits.max_body_bytes, 1024);
    /// ```
    pub fn new(max_body_bytes: u64, timeout: Option<Duration>) -> Self {
        RequestLimits {
            max_body_bytes,
            timeout: timeout.map(|t| t.min(crate::config::MAX_DURATION)),
            attempt: 0,
            hop: 0,
        }
    }

    /// The limits attached to `request`, or the defaults when it has none.
    ///
    /// # Examples
    ///
    /// ```
    /// use routy::{http, RequestLimits};
    ///
    /// let mut request = http::Request::new(Vec::<u8>::new());
    /// request.extensions_mut().insert(RequestLimits::new(10, None));
    /// assert_eq!(RequestLimits::of(&request).max_body_bytes, 10);
    /// ```
    pub fn of<B>(request: &Request<B>) -> Self {
        request
            .extensions()
            .get::<RequestLimits>()
            .copied()
            .unwrap_or_default()
    }

    /// Reads a response body under the cap, the one way every transport
    /// does: a `Content-Length` (`announced`) over the cap is refused
    /// before anything is read; `body` (the *decompressed* bytes) is read
    /// one byte past the cap, so an exact fit passes and anything more is
    /// [`TransportErrorKind::BodyTooLarge`]; the buffer grows as the body
    /// arrives (at most 1 MiB is reserved up front, whatever the
    /// announced length). `read_error` maps the library's I/O errors.
    ///
    /// # Errors
    ///
    /// `BodyTooLarge` as above, or what `read_error` makes of a failed
    /// read.
    ///
    /// # Examples
    ///
    /// ```
    /// use routy::{RequestLimits, TransportError, TransportErrorKind};
    ///
    /// let limits = RequestLimits::new(4, None);
    /// let read = |body: &[u8], announced| limits.read_body(body, announced, TransportError::from_io);
    /// assert_eq!(read(b"four", None)?, b"four");
    /// assert_eq!(read(b"fives", None).unwrap_err().kind(), TransportErrorKind::BodyTooLarge);
    /// assert_eq!(read(b"", Some(5)).unwrap_err().kind(), TransportErrorKind::BodyTooLarge);
    /// # Ok::<(), TransportError>(())
    /// ```
    pub fn read_body(
        &self,
        body: impl std::io::Read,
        announced: Option<u64>,
        read_error: impl FnOnce(std::io::Error) -> TransportError,
    ) -> Result<Vec<u8>, TransportError> {
        use std::io::Read as _;
        let max = self.max_body_bytes;
        let too_large = |what: &str| {
            TransportError::with_source(
                TransportErrorKind::BodyTooLarge,
                format!("{what} exceeds the {max} byte limit"),
            )
        };
        if announced.is_some_and(|len| len > max) {
            return Err(too_large("content-length"));
        }
        let capacity = announced.unwrap_or(0).min(MAX_PREALLOCATION).min(max);
        let mut bytes = Vec::with_capacity(usize::try_from(capacity).unwrap_or(0));
        body.take(max.saturating_add(1))
            .read_to_end(&mut bytes)
            .map_err(read_error)?;
        if bytes.len() as u64 > max {
            return Err(too_large("the body"));
        }
        Ok(bytes)
    }
}

/// The most [`RequestLimits::read_body`] reserves before bytes arrive: a
/// hostile `Content-Length` under the cap cannot make it allocate more.
const MAX_PREALLOCATION: u64 = 1 << 20;

impl Default for RequestLimits {
    /// The client's defaults: [`DEFAULT_MAX_BODY_BYTES`](crate::config::DEFAULT_MAX_BODY_BYTES)
    /// and [`DEFAULT_TIMEOUT`](crate::config::DEFAULT_TIMEOUT).
    fn default() -> Self {
        RequestLimits {
            max_body_bytes: crate::config::DEFAULT_MAX_BODY_BYTES,
            timeout: Some(crate::config::DEFAULT_TIMEOUT),
            attempt: 0,
            hop: 0,
        }
    }
}

/// What went wrong below HTTP. New kinds may be added.
///
/// # Examples
///
/// ```
/// use routy::{TransportError, TransportErrorKind};
///
/// let err = TransportError::new(TransportErrorKind::Timeout);
/// assert_eq!(err.kind(), TransportErrorKind::Timeout);
/// assert!(err.is_timeout());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TransportErrorKind {
    /// No connection could be made (refused, unreachable, DNS failure). The
    /// request was not sent, so retrying is safe for any method.
    Connect,
    /// The deadline passed.
    Timeout,
    /// The exchange broke once connected: a reset, or the connection
    /// closed before the response ended (a body shorter than announced,
    /// no answer at all). Retried for idempotent methods.
    Io,
    /// TLS failed (handshake, certificate).
    Tls,
    /// The peer broke the HTTP protocol (bad status line, bad chunking,
    /// oversized headers). A body cut short by the connection's end is
    /// [`Io`](TransportErrorKind::Io).
    Protocol,
    /// The response body is larger than the limit.
    BodyTooLarge,
    /// Anything else.
    Other,
}

impl TransportErrorKind {
    fn as_str(self) -> &'static str {
        match self {
            TransportErrorKind::Connect => "connection failed",
            TransportErrorKind::Timeout => "request timed out",
            TransportErrorKind::Io => "connection error",
            TransportErrorKind::Tls => "tls error",
            TransportErrorKind::Protocol => "http protocol error",
            TransportErrorKind::BodyTooLarge => "response body too large",
            TransportErrorKind::Other => "transport error",
        }
    }
}

impl fmt::Display for TransportErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A failure to get a response: a kind the client can act on, and the
/// underlying error (reachable through `source()`).
///
/// # Examples
///
/// ```
/// use routy::{TransportError, TransportErrorKind};
///
/// let io = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
/// let err = TransportError::with_source(TransportErrorKind::Connect, io);
/// assert!(err.is_connect());
/// assert_eq!(err.to_string(), "connection failed");
/// assert!(std::error::Error::source(&err).is_some());
/// ```
pub struct TransportError {
    kind: TransportErrorKind,
    source: Option<Box<dyn StdError + Send + Sync>>,
}

impl TransportError {
    /// An error of `kind` with no underlying cause.
    ///
    /// # Examples
    ///
    /// ```
    /// let err = routy::TransportError::new(routy::TransportErrorKind::Other);
    /// # let _ = err;
    /// ```
    pub fn new(kind: TransportErrorKind) -> Self {
        TransportError { kind, source: None }
    }

    /// An error classified from an `io::Error`, which becomes its source:
    /// what most transports need for their socket, DNS and read errors.
    ///
    /// | `io::ErrorKind` | kind | why |
    /// |---|---|---|
    /// | `ConnectionRefused`, `AddrNotAvailable`, `NetworkUnreachable`, `HostUnreachable`, `NetworkDown`, `NotFound` (a name that does not resolve) | [`Connect`](TransportErrorKind::Connect) | nothing was sent: safe to retry any method |
    /// | `TimedOut`, `WouldBlock` | [`Timeout`](TransportErrorKind::Timeout) | a read or write deadline passed |
    /// | `InvalidData` | [`Protocol`](TransportErrorKind::Protocol) | the peer sent a malformed response |
    /// | anything else (`UnexpectedEof`, `ConnectionReset`, `BrokenPipe`, …) | [`Io`](TransportErrorKind::Io) | the exchange broke after it started: a response cut short, by a FIN or an RST alike |
    ///
    /// A DNS failure that the platform reports without a kind (glibc's
    /// `failed to lookup address information`) cannot be told apart here:
    /// a transport that resolves names itself should report it as
    /// [`Connect`](TransportErrorKind::Connect), as routy-ureq does.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io;
    /// use routy::{TransportError, TransportErrorKind};
    ///
    /// let refused = TransportError::from_io(io::ErrorKind::ConnectionRefused.into());
    /// assert!(refused.is_connect());
    /// let slow = TransportError::from_io(io::Error::new(io::ErrorKind::TimedOut, "read timed out"));
    /// assert!(slow.is_timeout());
    /// // A body cut short is an exchange that broke, as a reset is.
    /// for cut in [io::ErrorKind::UnexpectedEof, io::ErrorKind::ConnectionReset] {
    ///     assert_eq!(TransportError::from_io(cut.into()).kind(), TransportErrorKind::Io);
    /// }
    /// assert_eq!(TransportError::from_io(io::ErrorKind::InvalidData.into()).kind(), TransportErrorKind::Protocol);
    /// assert_eq!(std::error::Error::source(&slow).unwrap().to_string(), "read timed out");
    /// ```
    pub fn from_io(err: std::io::Error) -> Self {
        use std::io::ErrorKind as Io;
        let kind = match err.kind() {
            Io::ConnectionRefused
            | Io::AddrNotAvailable
            | Io::NetworkUnreachable
            | Io::HostUnreachable
            | Io::NetworkDown
            | Io::NotFound => TransportErrorKind::Connect,
            Io::TimedOut | Io::WouldBlock => TransportErrorKind::Timeout,
            Io::InvalidData => TransportErrorKind::Protocol,
            _ => TransportErrorKind::Io,
        };
        TransportError::with_source(kind, err)
    }

    /// An error of `kind` caused by `source`.
    ///
    /// # Examples
    ///
    /// ```
    /// use routy::{TransportError, TransportErrorKind};
    /// let err = TransportError::with_source(TransportErrorKind::Io, "reset by peer");
    /// # let _ = err;
    /// ```
    pub fn with_source(
        kind: TransportErrorKind,
        source: impl Into<Box<dyn StdError + Send + Sync>>,
    ) -> Self {
        TransportError {
            kind,
            source: Some(source.into()),
        }
    }

    /// What went wrong.
    ///
    /// # Examples
    ///
    /// ```
    /// use routy::{TransportError, TransportErrorKind};
    /// assert_eq!(TransportError::new(TransportErrorKind::Tls).kind(), TransportErrorKind::Tls);
    /// ```
    pub fn kind(&self) -> TransportErrorKind {
        self.kind
    }

    fn source_error(&self) -> Option<&(dyn StdError + Send + Sync + 'static)> {
        self.source.as_deref()
    }

    /// Whether the deadline passed.
    ///
    /// # Examples
    ///
    /// ```
    /// use routy::{TransportError, TransportErrorKind};
    /// assert!(TransportError::new(TransportErrorKind::Timeout).is_timeout());
    /// ```
    pub fn is_timeout(&self) -> bool {
        self.kind == TransportErrorKind::Timeout
    }

    /// Whether no connection could be made (so nothing was sent).
    ///
    /// # Examples
    ///
    /// ```
    /// use routy::{TransportError, TransportErrorKind};
    /// assert!(TransportError::new(TransportErrorKind::Connect).is_connect());
    /// ```
    pub fn is_connect(&self) -> bool {
        self.kind == TransportErrorKind::Connect
    }

    /// Whether the response body exceeded the limit.
    ///
    /// # Examples
    ///
    /// ```
    /// use routy::{TransportError, TransportErrorKind};
    /// assert!(TransportError::new(TransportErrorKind::BodyTooLarge).is_body_too_large());
    /// ```
    pub fn is_body_too_large(&self) -> bool {
        self.kind == TransportErrorKind::BodyTooLarge
    }
}

impl fmt::Debug for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("TransportError");
        d.field("kind", &self.kind);
        if let Some(source) = self.source_error() {
            d.field("source", &source);
        }
        d.finish()
    }
}

impl TransportError {
    /// This error, with its cause replaced by its redacted text when any
    /// message in the chain holds the key: a transport's error may quote
    /// what the server sent (a malformed header, say).
    pub(crate) fn scrubbed(mut self, redactor: Redactor<'_>) -> Self {
        let mut chain = Vec::new();
        let mut cause = StdError::source(&self);
        while let Some(err) = cause {
            chain.push(err.to_string());
            cause = err.source();
        }
        let text = chain.join(": ");
        if redactor.found_in(text.as_bytes()) {
            self.source = Some(redactor.scrub_owned(&text).into());
        }
        self
    }
}

impl TransportError {
    /// The message, with the call's `attempts` (when several) and the
    /// deadline that passed (what `routy::Error` shows).
    pub(crate) fn describe(
        &self,
        f: &mut fmt::Formatter<'_>,
        attempts: u32,
        deadline: Option<Deadline>,
    ) -> fmt::Result {
        f.write_str(self.kind.as_str())?;
        if attempts > 1 {
            write!(f, " after {attempts} attempts")?;
        }
        if let Some(deadline) = deadline {
            write!(f, " ({deadline})")?;
        }
        Ok(())
    }
}

/// What went wrong, in routy's words for its kind; the transport's own
/// words are the `source()`.
impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.describe(f, 1, None)
    }
}

impl StdError for TransportError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.source_error().map(|e| e as &(dyn StdError + 'static))
    }
}

/// Which of the client's deadlines a timed-out call ran into, with its
/// configured value: see [`Located::deadline`](crate::Located::deadline).
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// let deadline = routy::Deadline::Call(Duration::from_secs(30));
/// assert_eq!(deadline.to_string(), "the whole-call deadline of 30s passed");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Deadline {
    /// One attempt ran past the per-attempt timeout
    /// ([`ClientBuilder::timeout`](crate::ClientBuilder::timeout)).
    Attempt(Duration),
    /// The call, retries and waits included, ran past its deadline
    /// ([`ClientBuilder::call_timeout`](crate::ClientBuilder::call_timeout)).
    Call(Duration),
}

impl fmt::Display for Deadline {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Deadline::Attempt(limit) => write!(f, "the per-attempt timeout of {limit:?} passed"),
            Deadline::Call(limit) => write!(f, "the whole-call deadline of {limit:?} passed"),
        }
    }
}

impl From<std::io::Error> for TransportError {
    /// As [`TransportError::from_io`].
    fn from(err: std::io::Error) -> Self {
        TransportError::from_io(err)
    }
}

impl From<TransportErrorKind> for TransportError {
    fn from(kind: TransportErrorKind) -> Self {
        TransportError::new(kind)
    }
}
