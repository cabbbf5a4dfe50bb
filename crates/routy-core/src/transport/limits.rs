//! What the client asks of a transport for each request, carried in the
//! request's extensions: the [`RequestLimits`] to enforce, the
//! [`AttemptNumber`] it stands at, and [`read_body`], the one way every
//! transport reads a body under the cap.

use std::time::Duration;

use http::Request;

use super::error::{TransportError, TransportErrorKind};

/// Limits the client wants enforced while a response is read. The client
/// puts one in every request's extensions; transports read it with
/// [`RequestLimits::of`] and read the body with [`read_body`].
///
/// # Examples
///
/// ```
/// use routy::{http, transport::RequestLimits};
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
    /// Where the request stands in its call, read with
    /// [`AttemptNumber::of`]: carried in the same extension, so a request
    /// is stamped once.
    pub(crate) number: AttemptNumber,
}

impl RequestLimits {
    /// Limits of `max_body_bytes` and `timeout`; a timeout longer than
    /// [`MAX_DURATION`](crate::defaults::MAX_DURATION) is cut to it.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let limits = routy::transport::RequestLimits::new(1024, Some(Duration::from_secs(5)));
    /// assert_eq!(limits.max_body_bytes, 1024);
    /// ```
    pub fn new(max_body_bytes: u64, timeout: Option<Duration>) -> Self {
        RequestLimits {
            max_body_bytes,
            timeout: timeout.map(crate::defaults::capped),
            number: AttemptNumber::default(),
        }
    }

    /// The limits attached to `request`, or the defaults when it has none.
    ///
    /// # Examples
    ///
    /// ```
    /// use routy::{http, transport::RequestLimits};
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
}

impl Default for RequestLimits {
    /// The client's defaults: [`DEFAULT_MAX_BODY_BYTES`](crate::defaults::DEFAULT_MAX_BODY_BYTES)
    /// and [`DEFAULT_TIMEOUT`](crate::defaults::DEFAULT_TIMEOUT).
    fn default() -> Self {
        RequestLimits {
            max_body_bytes: crate::defaults::DEFAULT_MAX_BODY_BYTES,
            timeout: Some(crate::defaults::DEFAULT_TIMEOUT),
            number: AttemptNumber::default(),
        }
    }
}

/// Where a request stands in its call, for transports that count or trace
/// retries (nothing to enforce): the client stamps it on every request it
/// sends, with the request's [`RequestLimits`].
///
/// # Examples
///
/// ```
/// use routy::{http, transport::AttemptNumber};
///
/// let request = http::Request::new(Vec::<u8>::new());
/// // A request no client sent is attempt 0.
/// assert_eq!(AttemptNumber::of(&request), AttemptNumber::default());
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct AttemptNumber {
    /// Which attempt of its call this request is, from 1; a redirect hop
    /// keeps its attempt's number. 0 when no client set it.
    pub attempt: u32,
    /// Which redirect hop of its attempt this request is: 0 for the
    /// request itself, 1 for the first redirect followed, and so on.
    pub hop: u32,
}

impl AttemptNumber {
    /// Attempt `attempt` of its call, redirect hop `hop` of that attempt.
    pub fn new(attempt: u32, hop: u32) -> Self {
        AttemptNumber { attempt, hop }
    }

    /// The number attached to `request`, or attempt 0, hop 0 when it has
    /// none.
    pub fn of<B>(request: &Request<B>) -> Self {
        request
            .extensions()
            .get::<RequestLimits>()
            .map(|limits| limits.number)
            .unwrap_or_default()
    }
}

/// Reads a response body under `limits`, the one way every transport
/// does: a `Content-Length` (`announced`) over the cap is refused before
/// anything is read; `body` (the *decompressed* bytes) is read one byte
/// past the cap, so an exact fit passes and anything more is
/// [`TransportErrorKind::BodyTooLarge`]; the buffer grows as the body
/// arrives (at most 1 MiB is reserved up front, whatever the announced
/// length). `read_error` maps the library's I/O errors.
///
/// # Errors
///
/// `BodyTooLarge` as above, or what `read_error` makes of a failed read.
///
/// # Examples
///
/// ```
/// use routy::transport::{read_body, RequestLimits};
/// use routy::{TransportError, TransportErrorKind};
///
/// let limits = RequestLimits::new(4, None);
/// let read = |body: &[u8], announced| read_body(&limits, body, announced, TransportError::from_io);
/// assert_eq!(read(b"four", None)?, b"four");
/// assert_eq!(read(b"fives", None).unwrap_err().kind(), TransportErrorKind::BodyTooLarge);
/// assert_eq!(read(b"", Some(5)).unwrap_err().kind(), TransportErrorKind::BodyTooLarge);
/// # Ok::<(), TransportError>(())
/// ```
pub fn read_body(
    limits: &RequestLimits,
    body: impl std::io::Read,
    announced: Option<u64>,
    read_error: impl FnOnce(std::io::Error) -> TransportError,
) -> Result<Vec<u8>, TransportError> {
    use std::io::Read as _;
    let max = limits.max_body_bytes;
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

/// The most [`read_body`] reserves before bytes arrive: a hostile
/// `Content-Length` under the cap cannot make it allocate more.
const MAX_PREALLOCATION: u64 = 1 << 20;
