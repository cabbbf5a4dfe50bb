//! Fault injection: scripted responses, delays and dropped connections for
//! the next API calls, and a fixed-window rate limit.

use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

/// What to do to one upcoming API call (admin calls are never faulted).
///
/// As JSON for the admin surface: `{"kind": "respond", "status": 503,
/// "headers": {"Retry-After": "1"}, "body": "..."}`, `{"kind": "delay",
/// "ms": 200}`, `{"kind": "drop"}`.
///
/// # Examples
///
/// ```
/// use routy_sandbox::Fault;
///
/// let fault: Fault = serde_json::from_str(r#"{"kind": "respond", "status": 429, "headers": {"Retry-After": "2"}}"#)?;
/// assert_eq!(fault, Fault::status(429).header("Retry-After", "2"));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
#[non_exhaustive]
pub enum Fault {
    /// Answer with this response instead of the real one (before
    /// authentication, as a proxy or an overloaded server would).
    Respond {
        /// The status code.
        status: u16,
        /// Response headers.
        #[serde(default)]
        headers: BTreeMap<String, String>,
        /// The body.
        #[serde(default)]
        body: String,
    },
    /// Wait this many milliseconds, then answer normally.
    Delay {
        /// The delay in milliseconds.
        ms: u64,
    },
    /// Send the status line, the headers and part of the body, then close
    /// the connection.
    Drop,
}

impl Fault {
    /// A scripted response with `status`, no headers and an empty body.
    pub fn status(status: u16) -> Self {
        Fault::Respond {
            status,
            headers: BTreeMap::new(),
            body: String::new(),
        }
    }

    /// Adds a header to a scripted response (other faults are unchanged).
    pub fn header(mut self, name: &str, value: &str) -> Self {
        if let Fault::Respond { headers, .. } = &mut self {
            headers.insert(name.to_owned(), value.to_owned());
        }
        self
    }

    /// Sets the body of a scripted response (other faults are unchanged).
    ///
    /// # Examples
    ///
    /// ```
    /// let fault = routy_sandbox::Fault::status(500).body("boom");
    /// # let _ = fault;
    /// ```
    pub fn body(mut self, text: &str) -> Self {
        if let Fault::Respond { body, .. } = &mut self {
            *body = text.to_owned();
        }
        self
    }

    /// A delay of `by` before the normal answer.
    ///
    /// # Examples
    ///
    /// ```
    /// let fault = routy_sandbox::Fault::delay(std::time::Duration::from_millis(50));
    /// # let _ = fault;
    /// ```
    pub fn delay(by: Duration) -> Self {
        Fault::Delay {
            ms: u64::try_from(by.as_millis()).unwrap_or(u64::MAX),
        }
    }
}

/// At most `requests` API calls per `window`; beyond that, 429 with a
/// `Retry-After` of the seconds left in the window.
///
/// # Examples
///
/// ```
/// let limit = routy_sandbox::RateWindow::new(10, std::time::Duration::from_secs(60));
/// # let _ = limit;
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct RateWindow {
    /// Calls allowed per window.
    pub requests: u32,
    /// The window's length.
    pub window: Duration,
}

impl RateWindow {
    /// `requests` per `window`.
    pub fn new(requests: u32, window: Duration) -> Self {
        RateWindow { requests, window }
    }
}

/// What the `RateLimit-Limit`, `-Remaining` and `-Reset` headers say.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Quota {
    pub(crate) limit: u32,
    pub(crate) remaining: u32,
    pub(crate) reset_secs: u64,
}

/// What the fault layer decided for one call.
#[derive(Debug)]
pub(crate) enum Decision {
    RateLimited { retry_after_secs: u64 },
    Fault(Fault),
    Proceed,
}

#[derive(Debug, Default)]
pub(crate) struct Faults {
    queue: VecDeque<Fault>,
    rate: Option<RateState>,
}

#[derive(Debug)]
struct RateState {
    limit: RateWindow,
    window_start: SystemTime,
    used: u32,
}

impl Faults {
    pub(crate) fn push(&mut self, fault: Fault) {
        self.queue.push_back(fault);
    }

    pub(crate) fn clear(&mut self) {
        self.queue.clear();
        self.rate = None;
    }

    pub(crate) fn pending(&self) -> usize {
        self.queue.len()
    }

    pub(crate) fn set_rate_limit(&mut self, limit: Option<RateWindow>, now: SystemTime) {
        self.rate = limit.map(|limit| RateState {
            limit,
            window_start: now,
            used: 0,
        });
    }

    /// The rate limit's state at `now`, for the `RateLimit-*` headers of
    /// a reply: requests per window, requests left, and whole seconds
    /// until the window resets (rounded up).
    pub(crate) fn quota(&self, now: SystemTime) -> Option<Quota> {
        let rate = self.rate.as_ref()?;
        let elapsed = now.duration_since(rate.window_start).unwrap_or_default();
        let left = rate.limit.window.saturating_sub(elapsed);
        Some(Quota {
            limit: rate.limit.requests,
            remaining: rate.limit.requests.saturating_sub(rate.used),
            reset_secs: left.as_secs() + u64::from(left.subsec_nanos() > 0),
        })
    }

    /// Decides the fate of one API call at `now`.
    pub(crate) fn next(&mut self, now: SystemTime) -> Decision {
        if let Some(rate) = &mut self.rate {
            let elapsed = now.duration_since(rate.window_start).unwrap_or_default();
            if elapsed >= rate.limit.window {
                rate.window_start = now;
                rate.used = 0;
            }
            if rate.used >= rate.limit.requests {
                let left = rate.limit.window.saturating_sub(elapsed);
                // Round up: a client waiting the whole of it must land in
                // the next window.
                let secs = left.as_secs() + u64::from(left.subsec_nanos() > 0);
                return Decision::RateLimited {
                    retry_after_secs: secs.max(1),
                };
            }
            rate.used += 1;
        }
        match self.queue.pop_front() {
            Some(fault) => Decision::Fault(fault),
            None => Decision::Proceed,
        }
    }
}
