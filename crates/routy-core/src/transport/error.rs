//! How a transport says an exchange failed: a [`TransportError`] whose
//! [`TransportErrorKind`] the client classifies, the library's own error
//! kept as its source; and the [`Deadline`] a timed-out call names.

use std::error::Error as StdError;
use std::fmt;
use std::time::Duration;

use crate::shown::redact::Redactor;

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
/// let deadline = routy::transport::Deadline::Call(Duration::from_secs(30));
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
