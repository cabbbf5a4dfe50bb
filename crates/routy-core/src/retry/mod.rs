//! Retry planning, as a pure function of the attempt, the method, what
//! happened, the policy, the time and a random number; plus the retry
//! budget that bounds retries across calls. The client's loop asks
//! [`RetryPolicy::plan`] what to do and sleeps through its [`Clock`](crate::Clock).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use http::{Method, StatusCode};

use crate::response::RetryAfter;
use crate::transport::TransportErrorKind;

/// When and how often to retry. The default retries idempotent requests up
/// to 3 attempts in all, backing off exponentially (base 200 ms, each delay
/// at most 5 s) with full jitter, honouring `Retry-After` up to 10 s, and
/// spending at most 20 s sleeping in one call.
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
            max_attempts: 3,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(5),
            max_retry_after: Duration::from_secs(10),
            max_total_delay: Duration::from_secs(20),
        }
    }
}

/// What one attempt came to, as the planner sees it.
///
/// # Examples
///
/// ```
/// use routy::{http::StatusCode, Outcome};
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

/// The planner's answer.
///
/// # Examples
///
/// See [`RetryPolicy::plan`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Sleep this long, then send again.
    RetryAfter(Duration),
    /// Stop and report the outcome.
    GiveUp,
}

impl RetryPolicy {
    /// No retries: one attempt.
    ///
    /// # Examples
    ///
    /// See [`RetryPolicy`].
    pub fn none() -> Self {
        RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        }
    }

    /// Attempts in all, the first included (at least 1). Defaults to 3.
    ///
    /// # Examples
    ///
    /// See [`RetryPolicy`].
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// The first backoff's upper bound; each retry doubles it. Defaults to
    /// 200 ms.
    ///
    /// # Examples
    ///
    /// See [`RetryPolicy`].
    pub fn base_delay(mut self, delay: Duration) -> Self {
        self.base_delay = delay;
        self
    }

    /// The most one backoff may be. Defaults to 5 s.
    ///
    /// # Examples
    ///
    /// See [`RetryPolicy`].
    pub fn max_delay(mut self, delay: Duration) -> Self {
        self.max_delay = delay;
        self
    }

    /// The most a server's `Retry-After` is honoured for; longer ones are
    /// clamped to it. Defaults to 10 s.
    ///
    /// # Examples
    ///
    /// ```
    /// let policy = routy::RetryPolicy::default().max_retry_after(std::time::Duration::from_secs(5));
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
    ///
    /// # Examples
    ///
    /// See [`RetryPolicy`].
    pub fn attempts(&self) -> u32 {
        self.max_attempts
    }

    /// Decides what follows attempt number `attempt` (1 for the first) of
    /// a `method` request that came to `outcome`, having already slept
    /// `slept` in this call. `now` dates a `Retry-After` given as a date;
    /// `random` in `[0, 1)` draws the jitter.
    ///
    /// Retried: a failed connection (nothing was sent) for any method; for
    /// idempotent methods (GET, HEAD, OPTIONS, PUT, DELETE, TRACE) also
    /// timeouts, I/O errors such as resets, and 408, 429, 502, 503, 504.
    /// A request that may have reached the server is never re-sent when
    /// its method is not idempotent.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, SystemTime};
    /// use routy::{http::{Method, StatusCode}, Decision, Outcome, RetryAfter, RetryPolicy};
    ///
    /// let policy = RetryPolicy::default();
    /// let busy = Outcome::Status {
    ///     status: StatusCode::TOO_MANY_REQUESTS,
    ///     retry_after: Some(RetryAfter::Delay(Duration::from_secs(2))),
    /// };
    /// let now = SystemTime::UNIX_EPOCH;
    /// assert_eq!(policy.plan(1, &Method::GET, &busy, Duration::ZERO, now, 0.5), Decision::RetryAfter(Duration::from_secs(2)));
    /// assert_eq!(policy.plan(1, &Method::POST, &busy, Duration::ZERO, now, 0.5), Decision::GiveUp);
    /// assert_eq!(policy.plan(3, &Method::GET, &busy, Duration::ZERO, now, 0.5), Decision::GiveUp);
    /// ```
    pub fn plan(
        &self,
        attempt: u32,
        method: &Method,
        outcome: &Outcome,
        slept: Duration,
        now: SystemTime,
        random: f64,
    ) -> Decision {
        if !self.may_retry(attempt, method, outcome) {
            return Decision::GiveUp;
        }
        let retry_after = match *outcome {
            Outcome::Status { retry_after, .. } => retry_after,
            Outcome::Failed(_) => None,
        };
        let delay = match retry_after {
            Some(after) => after.delay_from(now).min(self.max_retry_after),
            None => self.backoff(attempt, random),
        }
        .min(crate::MAX_DURATION);
        if slept.saturating_add(delay) > self.max_total_delay {
            return Decision::GiveUp;
        }
        Decision::RetryAfter(delay)
    }

    /// Whether [`plan`](Self::plan) could answer anything but give up,
    /// before paying for the time and the random draw it needs: false for
    /// successes and for failures that are never retried.
    ///
    /// # Examples
    ///
    /// ```
    /// use routy::{http::{Method, StatusCode}, Outcome, RetryPolicy};
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
        let random = if random.is_finite() {
            random.clamp(0.0, 1.0)
        } else {
            0.0
        };
        ceiling.mul_f64(random)
    }
}

/// Methods that may be repeated without changing the outcome (RFC 9110
/// section 9.2.2).
///
/// # Examples
///
/// ```
/// use routy::{http::Method, is_idempotent};
/// assert!(is_idempotent(&Method::PUT));
/// assert!(!is_idempotent(&Method::POST));
/// ```
pub fn is_idempotent(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::PUT | Method::DELETE | Method::TRACE
    )
}

/// A token bucket shared by all calls of a client (and its clones): each
/// retry spends a token, each successful call earns back a tenth of one.
/// When the bucket is empty, failures are reported at once instead of
/// retried, so an outage does not multiply the load a client sends.
///
/// # Examples
///
/// ```
/// let budget = routy::RetryBudget::new(2);
/// assert!(budget.try_spend());
/// assert!(budget.try_spend());
/// assert!(!budget.try_spend()); // empty: no more retries
/// for _ in 0..10 {
///     budget.record_success();
/// }
/// assert!(budget.try_spend()); // ten successes earn one retry back
/// ```
#[derive(Debug)]
pub struct RetryBudget {
    /// Tenths of a retry.
    tenths: AtomicU64,
    capacity_tenths: u64,
}

/// Retries the default budget holds.
pub const DEFAULT_RETRY_BUDGET: u32 = 10;

impl RetryBudget {
    /// A full bucket of `retries` retries.
    ///
    /// # Examples
    ///
    /// See [`RetryBudget`].
    pub fn new(retries: u32) -> Self {
        let capacity_tenths = u64::from(retries) * 10;
        RetryBudget {
            tenths: AtomicU64::new(capacity_tenths),
            capacity_tenths,
        }
    }

    /// Takes one retry's worth, if there is one.
    ///
    /// # Examples
    ///
    /// See [`RetryBudget`].
    pub fn try_spend(&self) -> bool {
        self.tenths
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |t| t.checked_sub(10))
            .is_ok()
    }

    /// Earns back a tenth of a retry, up to the capacity.
    ///
    /// # Examples
    ///
    /// See [`RetryBudget`].
    pub fn record_success(&self) {
        let _ = self
            .tenths
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |t| {
                (t < self.capacity_tenths).then_some(t + 1)
            });
    }

    /// Whole retries left.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(routy::RetryBudget::new(3).remaining(), 3);
    /// ```
    pub fn remaining(&self) -> u32 {
        u32::try_from(self.tenths.load(Ordering::Acquire) / 10).unwrap_or(u32::MAX)
    }
}

impl Default for RetryBudget {
    fn default() -> Self {
        RetryBudget::new(DEFAULT_RETRY_BUDGET)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: SystemTime = SystemTime::UNIX_EPOCH;

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
                policy.plan(1, method, &outcome, Duration::ZERO, NOW, 0.5),
                Decision::RetryAfter(_)
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
        let delay = |attempt, random| match policy.plan(
            attempt,
            &Method::GET,
            &outcome,
            Duration::ZERO,
            NOW,
            random,
        ) {
            Decision::RetryAfter(d) => d,
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
    fn retry_after_is_honoured_and_clamped_and_never_negative() {
        let policy = RetryPolicy::default().max_retry_after(Duration::from_secs(10));
        let plan = |after| {
            policy.plan(
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
            Decision::RetryAfter(Duration::from_secs(3))
        );
        assert_eq!(
            plan(Some(RetryAfter::Delay(Duration::from_secs(u64::MAX)))),
            Decision::RetryAfter(Duration::from_secs(10))
        );
        assert_eq!(
            plan(Some(RetryAfter::At(NOW + Duration::from_secs(104)))),
            Decision::RetryAfter(Duration::from_secs(4))
        );
        assert_eq!(
            plan(Some(RetryAfter::At(NOW))),
            Decision::RetryAfter(Duration::ZERO),
            "a past date means now"
        );
    }

    #[test]
    fn attempts_and_total_delay_are_bounded() {
        let policy = RetryPolicy::default()
            .max_attempts(3)
            .max_total_delay(Duration::from_secs(5));
        let after = status(503, Some(RetryAfter::Delay(Duration::from_secs(2))));
        assert_eq!(
            policy.plan(2, &Method::GET, &after, Duration::ZERO, NOW, 0.5),
            Decision::RetryAfter(Duration::from_secs(2))
        );
        assert_eq!(
            policy.plan(3, &Method::GET, &after, Duration::ZERO, NOW, 0.5),
            Decision::GiveUp
        );
        assert_eq!(
            policy.plan(1, &Method::GET, &after, Duration::from_secs(4), NOW, 0.5),
            Decision::GiveUp
        );
        assert_eq!(
            RetryPolicy::none().plan(1, &Method::GET, &after, Duration::ZERO, NOW, 0.5),
            Decision::GiveUp
        );
    }

    #[test]
    fn budget_bounds_retries_and_refills() {
        let budget = RetryBudget::new(10);
        let spent = (0..100).filter(|_| budget.try_spend()).count();
        assert_eq!(spent, 10);
        for _ in 0..1000 {
            budget.record_success();
        }
        assert_eq!(budget.remaining(), 10, "refills up to capacity only");
    }
}
