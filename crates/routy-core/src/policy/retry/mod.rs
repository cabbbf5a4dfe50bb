//! Retry planning, as a pure function of an [`Attempt`] (its number, the
//! method, what happened, the time already slept, the time and a random
//! number) and the [`RetryPolicy`]; the [`RetryBudget`] that bounds
//! retries across calls; the server's [`RetryAfter`]. A
//! call (the call machine, `call::Call`) asks [`RetryPolicy::plan`] what to do, and
//! its driver does the waiting.

mod after;
mod budget;
mod jitter;

use std::time::{Duration, SystemTime};

use http::{Method, StatusCode};

use crate::defaults;
use crate::transport::TransportErrorKind;

pub use after::RetryAfter;
pub use budget::RetryBudget;
pub(crate) use jitter::{unit_draw, Jitter};

/// When and how often to retry. The default retries idempotent requests up
/// to 3 attempts in all, backing off exponentially (base 200 ms, each delay
/// at most 5 s) with full jitter, waiting out a `Retry-After` of up to
/// 10 s, and spending at most 20 s sleeping in one call.
///
/// A request never goes out before the server's `Retry-After` has passed:
/// when the server asks for a longer wait than the policy allows (or than
/// is left of the call's deadline), the call ends at once with the
/// server's answer, whose [`retry_after`](crate::ApiError::retry_after)
/// says when to come back. A job that would rather wait raises
/// [`max_retry_after`](Self::max_retry_after) and
/// [`max_total_delay`](Self::max_total_delay), bounded by its
/// `call_timeout`.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use routy::RetryPolicy;
///
/// let policy = RetryPolicy::default()
///     .max_attempts(5)
///     .base_delay(Duration::from_millis(100))
///     .max_delay(Duration::from_secs(2));
/// assert_eq!(policy.attempts(), 5);
/// assert_eq!(RetryPolicy::none().attempts(), 1);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    max_attempts: u32,
    base_delay: Duration,
    max_delay: Duration,
    max_retry_after: Duration,
    max_total_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: defaults::DEFAULT_MAX_ATTEMPTS,
            base_delay: defaults::DEFAULT_BASE_DELAY,
            max_delay: defaults::DEFAULT_MAX_DELAY,
            max_retry_after: defaults::DEFAULT_MAX_RETRY_AFTER,
            max_total_delay: defaults::DEFAULT_MAX_TOTAL_DELAY,
        }
    }
}

/// What one attempt came to, as the planner sees it.
///
/// # Examples
///
/// ```
/// use routy::{http::StatusCode, policy::Outcome};
/// let outcome = Outcome::Status { status: StatusCode::SERVICE_UNAVAILABLE, retry_after: None };
/// # let _ = outcome;
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outcome {
    /// A response arrived with this status.
    Status {
        /// The status.
        status: StatusCode,
        /// Its `Retry-After`, if any.
        retry_after: Option<RetryAfter>,
    },
    /// No response: the transport failed this way.
    Failed(TransportErrorKind),
}

/// What the planner is asked about: one attempt of a call and what it came
/// to.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Attempt<'a> {
    /// Its number in the call, 1 for the first.
    pub number: u32,
    /// The request's method.
    pub method: &'a Method,
    /// What it came to.
    pub outcome: Outcome,
    /// Time already spent waiting between this call's attempts.
    pub slept: Duration,
    /// The wall-clock time now, which dates a `Retry-After` given as a date.
    pub now: SystemTime,
    /// A number in `[0, 1)` that draws the jitter.
    pub random: f64,
}

/// The planner's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Wait this long, then send again.
    RetryIn(Duration),
    /// Stop and report the outcome.
    GiveUp,
}

impl RetryPolicy {
    /// No retries: one attempt.
    pub fn none() -> Self {
        RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        }
    }

    /// Attempts in all, the first included (at least 1). Defaults to 3. A
    /// 429 whose `Retry-After` the call waits out is the server pacing
    /// and is not counted: only the time waited
    /// ([`max_total_delay`](Self::max_total_delay)) and the call's
    /// deadline bound those.
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// The first backoff's upper bound; each retry doubles it. Defaults to
    /// 200 ms.
    pub fn base_delay(mut self, delay: Duration) -> Self {
        self.base_delay = delay;
        self
    }

    /// The most one backoff may be. Defaults to 5 s.
    pub fn max_delay(mut self, delay: Duration) -> Self {
        self.max_delay = delay;
        self
    }

    /// The longest `Retry-After` the call waits out. A server that asks
    /// for longer gets no retry (never one sent early): the call ends with
    /// its answer. Defaults to 10 s.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// // A nightly job that would rather wait out a one-minute rate-limit
    /// // window than fail (its whole call may then take that long).
    /// let policy = routy::RetryPolicy::default()
    ///     .max_retry_after(Duration::from_secs(60))
    ///     .max_total_delay(Duration::from_secs(90));
    /// # let _ = policy;
    /// ```
    pub fn max_retry_after(mut self, delay: Duration) -> Self {
        self.max_retry_after = delay;
        self
    }

    /// The most one call may spend sleeping between attempts; a retry that
    /// would pass it is not made. Defaults to 20 s.
    ///
    /// # Examples
    ///
    /// ```
    /// let policy = routy::RetryPolicy::default().max_total_delay(std::time::Duration::from_secs(3));
    /// # let _ = policy;
    /// ```
    pub fn max_total_delay(mut self, delay: Duration) -> Self {
        self.max_total_delay = delay;
        self
    }

    /// Attempts in all.
    pub fn attempts(&self) -> u32 {
        self.max_attempts
    }

    /// The most one call sleeps between attempts in all (set with
    /// [`max_total_delay`](Self::max_total_delay)).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let policy = routy::RetryPolicy::default().max_total_delay(Duration::from_secs(3));
    /// assert_eq!(policy.total_delay_limit(), Duration::from_secs(3));
    /// ```
    pub fn total_delay_limit(&self) -> Duration {
        self.max_total_delay
    }

    /// The longest `Retry-After` a call waits out (set with
    /// [`max_retry_after`](Self::max_retry_after)).
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(routy::RetryPolicy::default().retry_after_limit(), std::time::Duration::from_secs(10));
    /// ```
    pub fn retry_after_limit(&self) -> Duration {
        self.max_retry_after
    }

    /// Decides what follows `attempt`.
    ///
    /// Retried: a failed connection (nothing was sent) for any method; for
    /// idempotent methods (GET, HEAD, OPTIONS, PUT, DELETE, TRACE) also
    /// timeouts, I/O errors such as resets, and 408, 429, 502, 503, 504.
    /// A request that may have reached the server is never re-sent when
    /// its method is not idempotent. The wait is the server's
    /// `Retry-After` (never less than [`base_delay`](Self::base_delay)
    /// and its jitter, so a `Retry-After: 0` is no hot loop) or else a
    /// jittered backoff; no retry is planned when
    /// the `Retry-After` is longer than
    /// [`max_retry_after`](Self::max_retry_after), nor past
    /// [`max_attempts`](Self::max_attempts) or
    /// [`max_total_delay`](Self::max_total_delay).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, SystemTime};
    /// use routy::http::{Method, StatusCode};
    /// use routy::policy::{Attempt, Decision, Outcome};
    /// use routy::{RetryAfter, RetryPolicy};
    ///
    /// let policy = RetryPolicy::default();
    /// let busy = Attempt {
    ///     number: 1,
    ///     method: &Method::GET,
    ///     outcome: Outcome::Status {
    ///         status: StatusCode::TOO_MANY_REQUESTS,
    ///         retry_after: Some(RetryAfter::Delay(Duration::from_secs(2))),
    ///     },
    ///     slept: Duration::ZERO,
    ///     now: SystemTime::UNIX_EPOCH,
    ///     random: 0.5,
    /// };
    /// assert_eq!(policy.plan(&busy), Decision::RetryIn(Duration::from_secs(2)));
    /// assert_eq!(policy.plan(&Attempt { method: &Method::POST, ..busy }), Decision::GiveUp);
    /// // Asked to come back in 30 s, past the policy's 10: no early retry.
    /// let later = Outcome::Status {
    ///     status: StatusCode::TOO_MANY_REQUESTS,
    ///     retry_after: Some(RetryAfter::Delay(Duration::from_secs(30))),
    /// };
    /// assert_eq!(policy.plan(&Attempt { outcome: later, ..busy }), Decision::GiveUp);
    /// assert_eq!(policy.plan(&Attempt { number: 3, ..busy }), Decision::GiveUp);
    /// ```
    pub fn plan(&self, attempt: &Attempt<'_>) -> Decision {
        let Attempt {
            number: attempt,
            method,
            ref outcome,
            slept,
            now,
            random,
        } = *attempt;
        if !self.may_retry(attempt, method, outcome) {
            return Decision::GiveUp;
        }
        let retry_after = match *outcome {
            Outcome::Status { retry_after, .. } => retry_after,
            Outcome::Failed(_) => None,
        };
        let delay = match retry_after {
            // Never earlier than the server asked, nor sooner than the
            // base delay (jittered) however it words it: no hot loop.
            // Longer than the policy waits is no retry at all.
            Some(after) => match after.delay_from(now) {
                delay if delay > self.max_retry_after => return Decision::GiveUp,
                delay => {
                    let base = defaults::capped(self.base_delay);
                    delay.max(base.saturating_add(base.mul_f64(unit(random))))
                }
            },
            None => self.backoff(attempt, random),
        };
        let delay = defaults::capped(delay);
        if slept.saturating_add(delay) > self.max_total_delay {
            return Decision::GiveUp;
        }
        Decision::RetryIn(delay)
    }

    /// Whether [`plan`](Self::plan) could answer anything but give up,
    /// before paying for the time and the random draw it needs: false for
    /// successes and for failures that are never retried.
    ///
    /// # Examples
    ///
    /// ```
    /// use routy::{http::{Method, StatusCode}, policy::Outcome, RetryPolicy};
    /// let ok = Outcome::Status { status: StatusCode::OK, retry_after: None };
    /// assert!(!RetryPolicy::default().may_retry(1, &Method::GET, &ok));
    /// ```
    pub fn may_retry(&self, attempt: u32, method: &Method, outcome: &Outcome) -> bool {
        if attempt >= self.max_attempts {
            return false;
        }
        let idempotent = is_idempotent(method);
        match *outcome {
            Outcome::Failed(TransportErrorKind::Connect) => true,
            Outcome::Failed(TransportErrorKind::Timeout | TransportErrorKind::Io) => idempotent,
            Outcome::Failed(_) => false,
            Outcome::Status { status, .. } => {
                idempotent && matches!(status.as_u16(), 408 | 429 | 502 | 503 | 504)
            }
        }
    }

    /// Full jitter: uniform in `[0, min(max_delay, base * 2^(attempt-1)))`.
    fn backoff(&self, attempt: u32, random: f64) -> Duration {
        let exponent = attempt.saturating_sub(1).min(31);
        let ceiling = self
            .base_delay
            .saturating_mul(1u32 << exponent)
            .min(self.max_delay);
        ceiling.mul_f64(unit(random))
    }
}

/// `random` as a number in `[0, 1]`: 0 when it is not a number.
fn unit(random: f64) -> f64 {
    if random.is_finite() {
        random.clamp(0.0, 1.0)
    } else {
        0.0
    }
}

/// Methods that may be repeated without changing the outcome (RFC 9110
/// section 9.2.2).
///
/// # Examples
///
/// ```
/// use routy::{http::Method, policy::is_idempotent};
/// assert!(is_idempotent(&Method::PUT));
/// assert!(!is_idempotent(&Method::POST));
/// ```
pub fn is_idempotent(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::PUT | Method::DELETE | Method::TRACE
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: SystemTime = SystemTime::UNIX_EPOCH;

    fn plan(
        policy: &RetryPolicy,
        number: u32,
        method: &Method,
        outcome: &Outcome,
        slept: Duration,
        now: SystemTime,
        random: f64,
    ) -> Decision {
        policy.plan(&Attempt {
            number,
            method,
            outcome: *outcome,
            slept,
            now,
            random,
        })
    }

    fn status(code: u16, retry_after: Option<RetryAfter>) -> Outcome {
        Outcome::Status {
            status: StatusCode::from_u16(code).unwrap(),
            retry_after,
        }
    }

    #[test]
    fn which_outcomes_are_retried_for_which_methods() {
        let policy = RetryPolicy::default();
        let retried = |method: &Method, outcome: Outcome| {
            matches!(
                plan(&policy, 1, method, &outcome, Duration::ZERO, NOW, 0.5),
                Decision::RetryIn(_)
            )
        };
        for method in [
            Method::GET,
            Method::HEAD,
            Method::OPTIONS,
            Method::PUT,
            Method::DELETE,
        ] {
            for code in [408, 429, 502, 503, 504] {
                assert!(retried(&method, status(code, None)), "{method} {code}");
            }
            for code in [400, 401, 403, 404, 409, 500, 501] {
                assert!(!retried(&method, status(code, None)), "{method} {code}");
            }
            assert!(retried(
                &method,
                Outcome::Failed(TransportErrorKind::Timeout)
            ));
            assert!(retried(&method, Outcome::Failed(TransportErrorKind::Io)));
        }
        for method in [Method::POST, Method::PATCH] {
            assert!(retried(
                &method,
                Outcome::Failed(TransportErrorKind::Connect)
            ));
            assert!(!retried(
                &method,
                Outcome::Failed(TransportErrorKind::Timeout)
            ));
            assert!(!retried(&method, Outcome::Failed(TransportErrorKind::Io)));
            assert!(!retried(&method, status(503, None)));
            assert!(!retried(&method, status(429, None)));
        }
        for kind in [
            TransportErrorKind::Tls,
            TransportErrorKind::Protocol,
            TransportErrorKind::BodyTooLarge,
            TransportErrorKind::Other,
        ] {
            assert!(!retried(&Method::GET, Outcome::Failed(kind)), "{kind:?}");
        }
    }

    #[test]
    fn backoff_is_exponential_capped_and_jittered() {
        let policy = RetryPolicy::default()
            .max_attempts(20)
            .base_delay(Duration::from_millis(100))
            .max_delay(Duration::from_secs(1))
            .max_total_delay(Duration::from_secs(3600));
        let outcome = status(503, None);
        let delay = |attempt, random| match plan(
            &policy,
            attempt,
            &Method::GET,
            &outcome,
            Duration::ZERO,
            NOW,
            random,
        ) {
            Decision::RetryIn(d) => d,
            Decision::GiveUp => panic!("gave up"),
        };
        assert_eq!(
            delay(1, 0.999_999),
            Duration::from_millis(100).mul_f64(0.999_999)
        );
        assert_eq!(delay(2, 0.5), Duration::from_millis(100));
        assert_eq!(delay(3, 0.5), Duration::from_millis(200));
        assert_eq!(
            delay(10, 0.5),
            Duration::from_millis(500),
            "capped at max_delay"
        );
        assert_eq!(delay(19, 0.5), Duration::from_millis(500), "no overflow");
        assert_eq!(delay(5, 0.0), Duration::ZERO);
        for bad in [f64::NAN, f64::INFINITY, -1.0, 7.0] {
            assert!(delay(2, bad) <= Duration::from_millis(200), "{bad}");
        }
    }

    #[test]
    fn retry_after_is_honoured_never_shortened_and_never_negative() {
        let policy = RetryPolicy::default().max_retry_after(Duration::from_secs(10));
        let plan = |after| {
            plan(
                &policy,
                1,
                &Method::GET,
                &status(429, after),
                Duration::ZERO,
                NOW + Duration::from_secs(100),
                0.5,
            )
        };
        assert_eq!(
            plan(Some(RetryAfter::Delay(Duration::from_secs(3)))),
            Decision::RetryIn(Duration::from_secs(3))
        );
        assert_eq!(
            plan(Some(RetryAfter::Delay(Duration::from_secs(10)))),
            Decision::RetryIn(Duration::from_secs(10)),
            "the bound itself is waited out"
        );
        for longer in [11, 30, u64::MAX] {
            assert_eq!(
                plan(Some(RetryAfter::Delay(Duration::from_secs(longer)))),
                Decision::GiveUp,
                "{longer} s is longer than the policy waits: no early retry"
            );
        }
        assert_eq!(
            plan(Some(RetryAfter::At(NOW + Duration::from_secs(104)))),
            Decision::RetryIn(Duration::from_secs(4))
        );
        assert_eq!(
            plan(Some(RetryAfter::At(NOW + Duration::from_secs(130)))),
            Decision::GiveUp,
            "a date 30 s ahead"
        );
        // A past date or a zero means now: at the base delay and its
        // jitter (200 ms, and half of it again at 0.5), never at once.
        for now in [RetryAfter::At(NOW), RetryAfter::Delay(Duration::ZERO)] {
            assert_eq!(
                plan(Some(now)),
                Decision::RetryIn(Duration::from_millis(300)),
                "{now:?}"
            );
        }
    }

    #[test]
    fn attempts_and_total_delay_are_bounded() {
        let policy = RetryPolicy::default()
            .max_attempts(3)
            .max_total_delay(Duration::from_secs(5));
        let after = status(503, Some(RetryAfter::Delay(Duration::from_secs(2))));
        assert_eq!(
            plan(&policy, 2, &Method::GET, &after, Duration::ZERO, NOW, 0.5),
            Decision::RetryIn(Duration::from_secs(2))
        );
        assert_eq!(
            plan(&policy, 3, &Method::GET, &after, Duration::ZERO, NOW, 0.5),
            Decision::GiveUp
        );
        assert_eq!(
            plan(
                &policy,
                1,
                &Method::GET,
                &after,
                Duration::from_secs(4),
                NOW,
                0.5
            ),
            Decision::GiveUp
        );
        assert_eq!(
            plan(
                &RetryPolicy::none(),
                1,
                &Method::GET,
                &after,
                Duration::ZERO,
                NOW,
                0.5
            ),
            Decision::GiveUp
        );
    }
}
