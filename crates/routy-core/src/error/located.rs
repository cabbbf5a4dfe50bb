//! [`Located`]: an error with where its call was. The error types say
//! only what went wrong; the driver attaches the rest once, to whatever
//! error ends the call.

use std::fmt;
use std::ops::Deref;

use http::Method;

use crate::error::call_site::CallSite;
use crate::transport::Deadline;

/// An error together with where its call was when it ended: the method
/// and the URL as messages show it (query values whose names could hold a
/// secret hidden, the key redacted), the attempts made, and which of the
/// client's deadlines passed, if one did. It dereferences to the error
/// itself, so `err.kind()` reads through it.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use routy::{transport::Deadline, ApiKey, Error, TransportErrorKind};
///
/// let client = routy::ClientBuilder::new()
///     .api_key(ApiKey::new("test-token")?)
///     .timeout(Duration::from_secs(5))
///     .build_with(routy::transport_fn(|_req| Err(TransportErrorKind::Timeout.into())))?;
/// let Err(Error::Transport(err)) = client.execute_any_status(routy::http::Method::POST, "/v1/things", None) else {
///     panic!("a timeout")
/// };
/// assert!(err.is_timeout()); // the TransportError's own query, through Deref
/// assert_eq!(err.attempts(), 1); // a POST that may have arrived is not retried
/// assert_eq!(err.deadline(), Some(Deadline::Attempt(Duration::from_secs(5))));
/// assert_eq!(err.url(), Some("https://platform.routy.app/api/v1/things"));
/// # Ok::<(), routy::Error>(())
/// ```
pub struct Located<E> {
    inner: Box<Inner<E>>,
}

struct Inner<E> {
    error: E,
    site: Option<CallSite>,
    attempts: u32,
    deadline: Option<Deadline>,
}

impl<E> Located<E> {
    /// `error`, not tied to a call yet: one attempt, no site.
    pub(crate) fn new(error: E) -> Self {
        Located {
            inner: Box::new(Inner {
                error,
                site: None,
                attempts: 1,
                deadline: None,
            }),
        }
    }

    /// Where the call was, unless that was said already (the first
    /// attachment is the one nearest the failure).
    pub(crate) fn at(mut self, site: CallSite, attempts: u32) -> Self {
        if self.inner.site.is_none() {
            self.inner.site = Some(site);
            self.inner.attempts = attempts;
        }
        self
    }

    /// The deadline that passed.
    pub(crate) fn with_deadline(mut self, deadline: Option<Deadline>) -> Self {
        self.inner.deadline = deadline;
        self
    }

    /// The error itself.
    pub fn error(&self) -> &E {
        &self.inner.error
    }

    /// The error itself, owned.
    pub fn into_error(self) -> E {
        self.inner.error
    }

    /// How many attempts the call made; this error is the last one's.
    pub fn attempts(&self) -> u32 {
        self.inner.attempts
    }

    /// The call's method, once a call is attached.
    pub fn method(&self) -> Option<&Method> {
        self.inner.site.as_ref().map(CallSite::method)
    }

    /// The call's URL as messages show it (where redirects led, if they
    /// did), once a call is attached.
    pub fn url(&self) -> Option<&str> {
        self.inner.site.as_ref().map(CallSite::url)
    }

    /// Which of the client's deadlines passed, for a timeout they caused.
    pub fn deadline(&self) -> Option<Deadline> {
        self.inner.deadline
    }

    pub(crate) fn site(&self) -> Option<&CallSite> {
        self.inner.site.as_ref()
    }
}

impl<E> Deref for Located<E> {
    type Target = E;

    fn deref(&self) -> &E {
        &self.inner.error
    }
}

impl<E> From<E> for Located<E> {
    fn from(error: E) -> Self {
        Located::new(error)
    }
}

/// The error's own message (what went wrong); `routy::Error`'s adds the
/// method, URL and attempts.
impl<E: fmt::Display> fmt::Display for Located<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.error.fmt(f)
    }
}

impl<E: std::error::Error> std::error::Error for Located<E> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.inner.error.source()
    }
}

impl<E: fmt::Debug> fmt::Debug for Located<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Located");
        d.field("error", &self.inner.error);
        if let Some(site) = &self.inner.site {
            d.field("site", site);
        }
        d.field("attempts", &self.inner.attempts);
        if let Some(deadline) = &self.inner.deadline {
            d.field("deadline", deadline);
        }
        d.finish()
    }
}
