//! The fault schedule: what happens to each request, drawn from the
//! schedule's seed, so the same seed gives the same day.

use std::fmt;
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng as _, SeedableRng as _};

/// How a `Retry-After` is written.
///
/// # Examples
///
/// ```
/// use routy_testkit::sim::RetryAfterForm;
/// assert_ne!(RetryAfterForm::Seconds, RetryAfterForm::Date);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryAfterForm {
    /// Whole seconds: `Retry-After: 2`.
    Seconds,
    /// An HTTP date: `Retry-After: Thu, 01 Jan 2026 00:00:02 GMT`.
    Date,
}

/// One thing that goes wrong with one request.
///
/// # Examples
///
/// ```
/// use routy_testkit::sim::SimFault;
/// assert_eq!(SimFault::Refused.to_string(), "connection refused (nothing sent)");
/// assert!(SimFault::ResetAfterApply.reaches_server());
/// assert!(!SimFault::Refused.reaches_server());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SimFault {
    /// No connection: nothing was sent.
    Refused,
    /// The server applied the request, then the connection reset before
    /// the response (the ambiguous case).
    ResetAfterApply,
    /// The server applied the request and never answered: the request's
    /// deadline passes (a request without one would hang for ever).
    Stall,
    /// The server applied the request; the body was cut short (an
    /// [`Io`](routy_core::TransportErrorKind::Io) error, retried for an
    /// idempotent request as a reset is).
    CutBody,
    /// A gateway answered 429 with a `Retry-After` of `secs`.
    RateLimited {
        /// The seconds asked for.
        secs: u64,
        /// How they are written.
        form: RetryAfterForm,
    },
    /// A gateway answered 503 with a `Retry-After` of `secs`.
    Unavailable {
        /// The seconds asked for.
        secs: u64,
        /// How they are written.
        form: RetryAfterForm,
    },
    /// A gateway answered 500 with a problem body.
    ServerError,
    /// 307 to the same URL on the same origin (GET only).
    Redirect,
    /// 307 to the same path on another origin, a public mirror (GET only).
    RedirectElsewhere,
    /// The token expired just before this request.
    TokenExpired,
    /// The token was deleted just before this request.
    TokenDeleted,
}

impl SimFault {
    /// Whether the request reaches the API (and is applied there).
    pub fn reaches_server(self) -> bool {
        matches!(
            self,
            SimFault::ResetAfterApply
                | SimFault::Stall
                | SimFault::CutBody
                | SimFault::TokenExpired
                | SimFault::TokenDeleted
        )
    }
}

impl fmt::Display for SimFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let form = |form: &RetryAfterForm| match form {
            RetryAfterForm::Seconds => "seconds",
            RetryAfterForm::Date => "a date",
        };
        match self {
            SimFault::Refused => f.write_str("connection refused (nothing sent)"),
            SimFault::ResetAfterApply => f.write_str("reset after the server applied it"),
            SimFault::Stall => f.write_str("server stalls past the deadline"),
            SimFault::CutBody => f.write_str("body cut short"),
            SimFault::RateLimited { secs, form: how } => {
                write!(f, "429 with retry-after {secs} s as {}", form(how))
            }
            SimFault::Unavailable { secs, form: how } => {
                write!(f, "503 with retry-after {secs} s as {}", form(how))
            }
            SimFault::ServerError => f.write_str("500 with a problem body"),
            SimFault::Redirect => f.write_str("307 to the same origin"),
            SimFault::RedirectElsewhere => f.write_str("307 to another origin"),
            SimFault::TokenExpired => f.write_str("the token expired"),
            SimFault::TokenDeleted => f.write_str("the token was deleted"),
        }
    }
}

/// How likely each fault is, per request, and the latency range.
/// Probabilities are per request and tried in the order of the fields;
/// their sum must be at most 1 (the rest of the requests go through
/// clean).
///
/// [`FaultMix::bad_day`] is the documented default.
///
/// # Examples
///
/// ```
/// use routy_testkit::sim::FaultMix;
/// let calm = FaultMix::calm();
/// assert_eq!(calm.total(), 0.0);
/// let stormy = FaultMix::bad_day().with_refused(0.2);
/// assert!(stormy.total() > FaultMix::bad_day().total());
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct FaultMix {
    /// Latency of every request, drawn uniformly from this range.
    pub latency: (Duration, Duration),
    /// [`SimFault::Refused`].
    pub refused: f64,
    /// [`SimFault::ResetAfterApply`].
    pub reset_after_apply: f64,
    /// [`SimFault::Stall`].
    pub stall: f64,
    /// [`SimFault::CutBody`].
    pub cut_body: f64,
    /// [`SimFault::RateLimited`], `Retry-After` drawn from
    /// [`retry_after_secs`](Self::retry_after_secs), a date one time in four.
    pub rate_limited: f64,
    /// [`SimFault::Unavailable`], as for `rate_limited`.
    pub unavailable: f64,
    /// [`SimFault::ServerError`].
    pub server_error: f64,
    /// [`SimFault::Redirect`] (GET only).
    pub redirect: f64,
    /// [`SimFault::RedirectElsewhere`] (GET only).
    pub redirect_elsewhere: f64,
    /// [`SimFault::TokenExpired`].
    pub token_expired: f64,
    /// [`SimFault::TokenDeleted`].
    pub token_deleted: f64,
    /// The `Retry-After` values drawn from, in seconds.
    pub retry_after_secs: &'static [u64],
}

impl FaultMix {
    /// A bad day, the default: one request in about five meets a fault.
    ///
    /// | fault | per request |
    /// |---|---|
    /// | latency | 5–300 ms, every request |
    /// | refused | 3 % |
    /// | reset after apply | 2 % |
    /// | stall past the deadline | 1 % |
    /// | body cut short | 2 % |
    /// | 429 (retry-after 1, 2, 5 or 30 s; a date one time in four) | 4 % |
    /// | 503 (the same) | 3 % |
    /// | 500 with a problem body | 2 % |
    /// | 307 same origin / other origin (GET) | 1 % / 0.5 % |
    /// | token expired / deleted | 0.2 % / 0.2 % |
    pub fn bad_day() -> Self {
        FaultMix {
            latency: (Duration::from_millis(5), Duration::from_millis(300)),
            refused: 0.03,
            reset_after_apply: 0.02,
            stall: 0.01,
            cut_body: 0.02,
            rate_limited: 0.04,
            unavailable: 0.03,
            server_error: 0.02,
            redirect: 0.01,
            redirect_elsewhere: 0.005,
            token_expired: 0.002,
            token_deleted: 0.002,
            retry_after_secs: &[1, 2, 5, 30],
        }
    }

    /// No faults, 5–300 ms latency: the job's good day.
    pub fn calm() -> Self {
        FaultMix {
            refused: 0.0,
            reset_after_apply: 0.0,
            stall: 0.0,
            cut_body: 0.0,
            rate_limited: 0.0,
            unavailable: 0.0,
            server_error: 0.0,
            redirect: 0.0,
            redirect_elsewhere: 0.0,
            token_expired: 0.0,
            token_deleted: 0.0,
            ..FaultMix::bad_day()
        }
    }

    /// Sets the chance of [`SimFault::Refused`] per request.
    pub fn with_refused(mut self, probability: f64) -> Self {
        self.refused = probability;
        self
    }

    /// Sets the chance of [`SimFault::ResetAfterApply`] per request.
    pub fn with_reset_after_apply(mut self, probability: f64) -> Self {
        self.reset_after_apply = probability;
        self
    }

    /// Sets the chance of [`SimFault::Stall`] per request.
    pub fn with_stall(mut self, probability: f64) -> Self {
        self.stall = probability;
        self
    }

    /// Sets the chance of [`SimFault::CutBody`] per request.
    pub fn with_cut_body(mut self, probability: f64) -> Self {
        self.cut_body = probability;
        self
    }

    /// Sets the chance of [`SimFault::RateLimited`] per request.
    pub fn with_rate_limited(mut self, probability: f64) -> Self {
        self.rate_limited = probability;
        self
    }

    /// Sets the chance of [`SimFault::Unavailable`] per request.
    pub fn with_unavailable(mut self, probability: f64) -> Self {
        self.unavailable = probability;
        self
    }

    /// Sets the chance of [`SimFault::ServerError`] per request.
    pub fn with_server_error(mut self, probability: f64) -> Self {
        self.server_error = probability;
        self
    }

    /// Sets the chance of [`SimFault::Redirect`] per request.
    pub fn with_redirect(mut self, probability: f64) -> Self {
        self.redirect = probability;
        self
    }

    /// Sets the chance of [`SimFault::RedirectElsewhere`] per request.
    pub fn with_redirect_elsewhere(mut self, probability: f64) -> Self {
        self.redirect_elsewhere = probability;
        self
    }

    /// Sets the chance of [`SimFault::TokenExpired`] per request.
    pub fn with_token_expired(mut self, probability: f64) -> Self {
        self.token_expired = probability;
        self
    }

    /// Sets the chance of [`SimFault::TokenDeleted`] per request.
    pub fn with_token_deleted(mut self, probability: f64) -> Self {
        self.token_deleted = probability;
        self
    }

    /// Sets the latency range.
    pub fn with_latency(mut self, low: Duration, high: Duration) -> Self {
        self.latency = (low, high.max(low));
        self
    }

    /// The chance that a request meets some fault.
    pub fn total(&self) -> f64 {
        self.weights().iter().map(|(p, _)| p).sum()
    }

    fn weights(&self) -> [(f64, Kind); 11] {
        [
            (self.refused, Kind::Refused),
            (self.reset_after_apply, Kind::Reset),
            (self.stall, Kind::Stall),
            (self.cut_body, Kind::Cut),
            (self.rate_limited, Kind::RateLimited),
            (self.unavailable, Kind::Unavailable),
            (self.server_error, Kind::ServerError),
            (self.redirect, Kind::Redirect),
            (self.redirect_elsewhere, Kind::Elsewhere),
            (self.token_expired, Kind::Expired),
            (self.token_deleted, Kind::Deleted),
        ]
    }
}

impl Default for FaultMix {
    fn default() -> Self {
        FaultMix::bad_day()
    }
}

#[derive(Debug, Clone, Copy)]
enum Kind {
    Refused,
    Reset,
    Stall,
    Cut,
    RateLimited,
    Unavailable,
    ServerError,
    Redirect,
    Elsewhere,
    Expired,
    Deleted,
}

/// The draws of one schedule.
#[derive(Debug)]
pub(crate) struct Schedule {
    mix: FaultMix,
    rng: StdRng,
}

impl Schedule {
    pub(crate) fn new(mix: FaultMix, seed: u64) -> Self {
        Schedule {
            mix,
            rng: StdRng::seed_from_u64(seed),
        }
    }

    /// The next request's latency and fault; `get` says whether redirects
    /// may be drawn.
    pub(crate) fn next(&mut self, get: bool) -> (Duration, Option<SimFault>) {
        let (low, high) = self.mix.latency;
        let latency = if high > low {
            self.rng.random_range(low..=high)
        } else {
            low
        };
        let mut roll: f64 = self.rng.random();
        for (p, kind) in self.mix.weights() {
            if roll < p {
                return (latency, self.fault(kind, get));
            }
            roll -= p;
        }
        (latency, None)
    }

    fn fault(&mut self, kind: Kind, get: bool) -> Option<SimFault> {
        let mut after = || {
            let secs = *self
                .mix
                .retry_after_secs
                .get(
                    self.rng
                        .random_range(0..self.mix.retry_after_secs.len().max(1)),
                )
                .unwrap_or(&1);
            let form = if self.rng.random_ratio(1, 4) {
                RetryAfterForm::Date
            } else {
                RetryAfterForm::Seconds
            };
            (secs, form)
        };
        Some(match kind {
            Kind::Refused => SimFault::Refused,
            Kind::Reset => SimFault::ResetAfterApply,
            Kind::Stall => SimFault::Stall,
            Kind::Cut => SimFault::CutBody,
            Kind::RateLimited => {
                let (secs, form) = after();
                SimFault::RateLimited { secs, form }
            }
            Kind::Unavailable => {
                let (secs, form) = after();
                SimFault::Unavailable { secs, form }
            }
            Kind::ServerError => SimFault::ServerError,
            Kind::Redirect if get => SimFault::Redirect,
            Kind::Elsewhere if get => SimFault::RedirectElsewhere,
            Kind::Redirect | Kind::Elsewhere => return None,
            Kind::Expired => SimFault::TokenExpired,
            Kind::Deleted => SimFault::TokenDeleted,
        })
    }
}
