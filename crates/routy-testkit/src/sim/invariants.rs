//! The rules routy itself must keep, checked as a schedule runs, call by
//! call (a call's first request is attempt 1, hop 0; the client marks
//! each request with [`RequestLimits`](routy_core::RequestLimits)):
//!
//! - a non-idempotent request that reached the server is never sent again;
//! - attempts stay within `max_attempts` (a 429 whose `Retry-After` is a
//!   second or more is the server pacing and allows one more, as does an
//!   answer of an event the client already knew of: a window another
//!   answer, received after the request left, said is spent), waiting
//!   within `max_total_delay`;
//! - no attempt goes out before the `Retry-After` the last answer gave;
//! - every call ends by its whole-call deadline, every attempt by its own;
//! - `Authorization` never goes to another origin.
//!
//! The runner adds the last two: no error or trace holds the key, and
//! nothing panics.

use std::collections::HashMap;
use std::time::Duration;

use http::{HeaderValue, Method};
use routy_core::policy::is_idempotent;

/// What the client was configured to keep to.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Policy {
    pub(crate) max_attempts: u32,
    pub(crate) total_delay_limit: Duration,
    pub(crate) call_timeout: Option<Duration>,
}

/// One call as seen so far.
#[derive(Debug)]
struct CallState {
    method: Method,
    started: Duration,
    attempt: u32,
    /// A non-idempotent request of this call reached the server.
    applied_unsafe: bool,
    /// No attempt may start before this (a `Retry-After`).
    earliest_next: Duration,
    /// Answers that were a 429 with `Retry-After`: each allows one attempt
    /// past `max_attempts`.
    paced: u32,
    /// Answers with a `Retry-After` that may be of an event the client
    /// already knew of (when each request left, when its answer came,
    /// the key it carried): settled by [`Calls::settle`] once every
    /// earlier answer is known.
    echoes: Vec<Echo>,
    waited: Duration,
}

/// An answer that may be of an event already known: when its request
/// left, when it came, and the key the request carried.
type Echo = (Duration, Duration, Option<HeaderValue>);

/// The calls of one schedule, and the rules they broke.
#[derive(Debug)]
pub(crate) struct Calls {
    policy: Policy,
    current: Option<CallState>,
    count: u64,
    /// Waits not yet known to belong to a call (when each ended, how long
    /// it was): a wait belongs to the call whose request follows it, which
    /// may be a new call held back for the quota before its first request.
    pending: Vec<(Duration, Duration)>,
    pub(crate) broken: Vec<String>,
}

impl Calls {
    pub(crate) fn new(policy: Policy) -> Self {
        Calls {
            policy,
            current: None,
            count: 0,
            pending: Vec::new(),
            broken: Vec::new(),
        }
    }

    /// A request goes out at `now`: returns its call's number.
    pub(crate) fn request(
        &mut self,
        now: Duration,
        method: &Method,
        attempt: u32,
        hop: u32,
    ) -> u64 {
        if attempt <= 1 && hop == 0 || self.current.is_none() {
            self.count += 1;
            // A call held before its first request started when the hold
            // did: the waits that run on, without a gap, into this request.
            // Earlier ones were a call's that ended unsent.
            let mut started = now;
            let mut kept = Vec::new();
            for (end, by) in std::mem::take(&mut self.pending).into_iter().rev() {
                if end != started {
                    break;
                }
                started = end - by;
                kept.push((end, by));
            }
            kept.reverse();
            self.pending = kept;
            self.current = Some(CallState {
                method: method.clone(),
                started,
                attempt: attempt.max(1),
                applied_unsafe: false,
                earliest_next: Duration::ZERO,
                paced: 0,
                echoes: Vec::new(),
                waited: Duration::ZERO,
            });
        }
        for (end, by) in std::mem::take(&mut self.pending) {
            self.count_wait(end, by);
        }
        let count = self.count;
        let mut broken = Vec::new();
        if let Some(call) = &mut self.current {
            if hop == 0 && attempt > call.attempt {
                if call.applied_unsafe {
                    broken.push(format!(
                        "call {count}: the {} reached the server and was sent again (attempt {attempt})",
                        call.method
                    ));
                }
                if now < call.earliest_next {
                    broken.push(format!(
                        "call {count}: attempt {attempt} went out at {:.3} s, before the retry-after at {:.3} s",
                        now.as_secs_f64(),
                        call.earliest_next.as_secs_f64()
                    ));
                }
            }
            call.attempt = attempt.max(call.attempt);
            if attempt > self.policy.max_attempts + call.paced {
                broken.push(format!(
                    "call {count}: attempt {attempt} is past max_attempts {}",
                    self.policy.max_attempts
                ));
            }
        }
        self.broken.extend(broken);
        self.check_deadline(now, "sent a request");
        count
    }

    /// The request's answer (or failure) arrived at `now`.
    pub(crate) fn answered(
        &mut self,
        now: Duration,
        applied: bool,
        retry_after: Option<Duration>,
        paced: bool,
    ) {
        if let Some(call) = &mut self.current {
            call.paced += u32::from(paced);
            if applied && !is_idempotent(&call.method) {
                call.applied_unsafe = true;
            }
            if let Some(at) = retry_after {
                call.earliest_next = call.earliest_next.max(at);
            }
        }
        self.check_deadline(now, "was still waiting for an answer");
    }

    /// The current call's request sent at `sent` was answered at
    /// `received` with a `Retry-After` that was not the server pacing: if
    /// the client already knew of the window it names, it allows one
    /// attempt more (see [`settle`](Self::settle)).
    pub(crate) fn echo(&mut self, sent: Duration, received: Duration, key: Option<&HeaderValue>) {
        if let Some(call) = &mut self.current {
            call.echoes.push((sent, received, key.cloned()));
        }
    }

    /// Settles the current call's echoes: each that `known` (sent,
    /// received, key) says was of an event already known allows one
    /// attempt more. Called before each request, when every answer that
    /// came before it is known whatever order the workers reported them
    /// in.
    pub(crate) fn settle(
        &mut self,
        known: impl Fn(Duration, Duration, Option<&HeaderValue>) -> bool,
    ) {
        if let Some(call) = &mut self.current {
            let before = call.echoes.len();
            call.echoes
                .retain(|(sent, received, key)| !known(*sent, *received, key.as_ref()));
            call.paced += u32::try_from(before - call.echoes.len()).unwrap_or(u32::MAX);
        }
    }

    /// The client slept `by`, ending at `now`; counted against the call
    /// whose request comes next.
    pub(crate) fn client_waited(&mut self, now: Duration, by: Duration) {
        self.pending.push((now, by));
    }

    /// A wait of the current call's, ending at `end`.
    fn count_wait(&mut self, now: Duration, by: Duration) {
        let limit = self.policy.total_delay_limit;
        let count = self.count;
        if let Some(call) = &mut self.current {
            call.waited += by;
            if call.waited > limit {
                let waited = call.waited;
                self.broken.push(format!(
                    "call {count}: waited {:.3} s between attempts, past max_total_delay {:.3} s",
                    waited.as_secs_f64(),
                    limit.as_secs_f64()
                ));
            }
        }
        self.check_deadline(now, "was still waiting to retry");
    }

    fn check_deadline(&mut self, now: Duration, doing: &str) {
        let (Some(call), Some(limit)) = (&self.current, self.policy.call_timeout) else {
            return;
        };
        if now > call.started + limit {
            let message = format!(
                "call {}: {doing} at {:.3} s, past its whole-call deadline at {:.3} s",
                self.count,
                now.as_secs_f64(),
                (call.started + limit).as_secs_f64()
            );
            if !self.broken.contains(&message) {
                self.broken.push(message);
            }
        }
    }
}

/// What each client of a fleet was told about its quota: no request may
/// leave a client with a key before the `Retry-After` of an answer it had
/// received for that key (a new key is a new quota, as routy's gate has
/// it). Times are virtual: workers take turns by time, so an answer may be
/// worked out before a request that went earlier.
#[derive(Debug, Default)]
pub(crate) struct Quotas {
    /// Per client and key: when each answer arrived, and until when it
    /// said to wait.
    told: HashMap<QuotaOf, Vec<(Duration, Duration)>>,
    /// The same for answers whose rate-limit fields (not a
    /// `Retry-After`) said the window is spent: they close routy's gate
    /// too, so an answer behind one is of an event already known.
    spent: HashMap<QuotaOf, Vec<(Duration, Duration)>>,
}

/// Whose quota: a client, and the key it sent (the `Authorization`
/// value, or none).
type QuotaOf = (usize, Option<HeaderValue>);

impl Quotas {
    /// Client `client` sends a request with `key` at `now`, in call
    /// `call`: the rule it breaks, if any.
    pub(crate) fn request(
        &self,
        client: usize,
        key: Option<&HeaderValue>,
        call: u64,
        now: Duration,
    ) -> Option<String> {
        let not_before = self
            .told
            .get(&(client, key.cloned()))?
            .iter()
            .filter(|(received, _)| *received <= now)
            .map(|(_, until)| *until)
            .max()?;
        (now < not_before).then(|| {
            format!(
                "call {call}: a request left client {client} at {:.3} s, before the retry-after at {:.3} s it had received for its key",
                now.as_secs_f64(),
                not_before.as_secs_f64()
            )
        })
    }

    /// Whether client `client` had, by `now`, been told by an answer
    /// received since `sent` that the window of `key` is spent past
    /// `now`: an answer to a request sent at `sent` is then news of an
    /// event already known.
    pub(crate) fn known(
        &self,
        client: usize,
        key: Option<&HeaderValue>,
        sent: Duration,
        now: Duration,
    ) -> bool {
        let of = (client, key.cloned());
        [self.told.get(&of), self.spent.get(&of)]
            .into_iter()
            .flatten()
            .flatten()
            .any(|(received, until)| *received >= sent && *received <= now && *until > now)
    }

    /// Client `client` received, at `received`, an answer for `key` whose
    /// rate-limit fields said the window is spent until `until`.
    pub(crate) fn spent(
        &mut self,
        client: usize,
        key: Option<&HeaderValue>,
        received: Duration,
        until: Duration,
    ) {
        self.spent
            .entry((client, key.cloned()))
            .or_default()
            .push((received, until));
    }

    /// Client `client` received, at `received`, an answer for `key`
    /// asking it not to come back before `until`.
    pub(crate) fn answered(
        &mut self,
        client: usize,
        key: Option<&HeaderValue>,
        received: Duration,
        until: Duration,
    ) {
        self.told
            .entry((client, key.cloned()))
            .or_default()
            .push((received, until));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: fn(u64) -> Duration = Duration::from_secs;

    fn calls() -> Calls {
        Calls::new(Policy {
            max_attempts: 3,
            total_delay_limit: S(20),
            call_timeout: Some(S(30)),
        })
    }

    #[test]
    fn no_request_leaves_a_client_before_a_retry_after_it_received() {
        let mut q = Quotas::default();
        let (one, two) = (
            HeaderValue::from_static("k1"),
            HeaderValue::from_static("k2"),
        );
        assert_eq!(q.request(0, Some(&one), 1, S(1)), None);
        // Answered at 2 s: not before 5 s.
        q.answered(0, Some(&one), S(2), S(5));
        assert!(q
            .request(0, Some(&one), 2, S(3))
            .unwrap()
            .contains("before the retry-after at 5.000 s"));
        assert_eq!(
            q.request(1, Some(&one), 3, S(3)),
            None,
            "another client was told nothing"
        );
        assert_eq!(
            q.request(0, Some(&two), 3, S(3)),
            None,
            "a new key is a new quota"
        );
        assert_eq!(
            q.request(0, Some(&one), 4, S(1)),
            None,
            "a request before the answer came"
        );
        assert_eq!(q.request(0, Some(&one), 5, S(5)), None);
    }

    #[test]
    fn a_hold_before_a_calls_first_request_is_that_calls_wait() {
        let mut c = calls();
        c.request(S(0), &Method::GET, 1, 0);
        c.answered(S(1), true, None, false);
        // Held 25 s for the quota, then the next call's first request:
        // its deadline (30 s) runs from the hold, and the first call's
        // wait limits are not touched.
        c.client_waited(S(26), S(25));
        c.request(S(26), &Method::GET, 1, 0);
        assert!(
            c.broken[0].contains("call 2: waited 25.000 s"),
            "{:?}",
            c.broken
        );
        c.answered(S(32), true, None, false);
        assert!(c.broken[1].contains("call 2: was still waiting for an answer at 32.000 s, past its whole-call deadline at 31.000 s"), "{:?}", c.broken);
    }

    #[test]
    fn a_post_that_reached_the_server_must_not_go_again() {
        let mut c = calls();
        c.request(S(0), &Method::POST, 1, 0);
        c.answered(S(1), true, None, false);
        c.request(S(2), &Method::POST, 2, 0);
        assert_eq!(c.broken.len(), 1, "{:?}", c.broken);
        assert!(c.broken[0].contains("POST reached the server and was sent again"));
        // Not applied (refused): a second attempt is fine; a GET always is.
        let mut c = calls();
        c.request(S(0), &Method::POST, 1, 0);
        c.answered(S(1), false, None, false);
        c.request(S(2), &Method::POST, 2, 0);
        c.request(S(3), &Method::GET, 1, 0);
        c.answered(S(4), true, None, false);
        c.request(S(5), &Method::GET, 2, 0);
        assert!(c.broken.is_empty(), "{:?}", c.broken);
    }

    #[test]
    fn no_attempt_before_the_retry_after_nor_past_the_limits() {
        let mut c = calls();
        c.request(S(0), &Method::GET, 1, 0);
        c.answered(S(1), true, Some(S(6)), false);
        c.request(S(5), &Method::GET, 2, 0);
        assert!(c.broken[0].contains("before the retry-after at 6.000 s"));
        c.request(S(7), &Method::GET, 4, 0);
        assert!(c.broken[1].contains("past max_attempts 3"));
        // A wait counts against the call whose request follows it.
        c.client_waited(S(8), S(21));
        assert_eq!(c.broken.len(), 2);
        c.request(S(29), &Method::GET, 3, 0);
        assert!(c.broken[2].contains("past max_total_delay"));
        c.answered(S(31), true, None, false);
        assert!(c.broken[3].contains("past its whole-call deadline at 30.000 s"));
        // A redirect hop is not an attempt.
        let mut c = calls();
        c.request(S(0), &Method::GET, 1, 0);
        c.answered(S(1), true, Some(S(6)), false);
        c.request(S(1), &Method::GET, 1, 1);
        assert!(c.broken.is_empty(), "{:?}", c.broken);
    }
}
