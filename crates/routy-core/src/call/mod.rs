//! One call as a sans-IO state machine: what to send, how long to wait,
//! and when it is done, decided from what the driver reports back.
//!
//! A [`Call`] holds no transport and no clock. The driver feeds it
//! [`Event`]s (the start, each response or transport failure, the end of
//! each wait), each stamped with the time the driver read, and does what
//! the returned [`Step`] says. Retry planning, redirects, the whole-call
//! deadline, the body cap and the retry budget live here, once, so the
//! blocking [`Client`](crate::Client) is a short loop over it and any other
//! driver (a test with no clock, an async runtime) gets the same policy.
//!
//! ```
//! use std::time::{Duration, Instant, SystemTime};
//! use routy::call::{Call, Event, Step};
//! use routy::{http, ApiKey, TransportError, TransportErrorKind};
//!
//! // What the machine runs under: no client, no transport, no clock.
//! let config = routy::Config::default();
//! let key = ApiKey::new("test-token")?;
//! let uri = config.base_url().join("/v1/accounts")?;
//! let mut call = Call::new(&config, &key, http::Method::GET, uri, None);
//!
//! // The driver's own clock: here, made-up instants, no sleeping.
//! let start = Instant::now();
//! let mut now = start;
//! let mut event = Event::Start { now, wall: SystemTime::UNIX_EPOCH };
//! let mut waited = Vec::new();
//! let finished = loop {
//!     event = match call.next(event) {
//!         Step::Send(request) => {
//!             // The first attempt is refused, the second answered.
//!             let result = if waited.is_empty() {
//!                 Err(TransportError::new(TransportErrorKind::Connect))
//!             } else {
//!                 Ok(http::Response::new(b"[]".to_vec()))
//!             };
//!             Event::Sent { result, now }
//!         }
//!         Step::Wait(delay) => {
//!             waited.push(delay);
//!             now += delay;
//!             Event::Waited { now }
//!         }
//!         Step::Done(result) => break result?,
//!     };
//! };
//! assert_eq!(finished.attempts, 2);
//! assert_eq!(waited.len(), 1);
//! # Ok::<(), routy::Error>(())
//! ```

pub(crate) mod logging;

use std::borrow::Cow;
use std::mem;
use std::time::{Duration, Instant, SystemTime};

use http::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, LOCATION, USER_AGENT};
use http::{HeaderMap, HeaderName, HeaderValue, Method, Request, Response, StatusCode, Uri};

use crate::auth::key::{ApiKey, SharedKey};
use crate::config::options::{CallOptions, Settings};
use crate::config::Config;
use crate::defaults::{capped, MAX_PLAUSIBLE_RESET, MIN_PACED_WAIT, QUOTA_SPREAD};
use crate::error::call_site::CallSite;
use crate::error::located::Located;
use crate::error::Error;
use crate::policy::redirect::{self, RedirectError, RedirectErrorKind};
use crate::policy::retry::{unit_draw, Attempt, Decision, Outcome, RetryAfter, RetryBudget};
use crate::policy::QuotaGate;
use crate::request::{Body, ACCEPT_JSON};
use crate::response::api_error::ApiError;
use crate::response::rate_limit::{self, RateLimit};
use crate::shown::redact::Redactor;
use crate::transport::{
    AttemptNumber, Deadline, RequestLimits, TransportError, TransportErrorKind,
};
use logging::log_event;

/// What the driver reports to a [`Call`].
#[derive(Debug)]
pub enum Event {
    /// The call begins. `wall` is the calendar time at `now`, for
    /// `Retry-After` dates; it is read once and carried forward.
    Start {
        /// The driver's monotonic time.
        now: Instant,
        /// The wall-clock time at `now`.
        wall: SystemTime,
    },
    /// The request of the last [`Step::Send`] got this response, or failed
    /// this way, and the driver's clock read `now` after it.
    Sent {
        /// What the transport returned.
        result: Result<Response<Vec<u8>>, TransportError>,
        /// The time after the transport returned.
        now: Instant,
    },
    /// The last [`Step::Wait`] is over.
    Waited {
        /// The time after waiting.
        now: Instant,
    },
}

/// What the driver does next.
#[derive(Debug)]
pub enum Step {
    /// Send this request through the transport, then report
    /// [`Event::Sent`].
    Send(Request<Vec<u8>>),
    /// Wait this long, then report [`Event::Waited`].
    Wait(Duration),
    /// The call is over: the final response (whatever its status) or why
    /// none came.
    Done(Result<Finished, Error>),
}

/// A call's final response and how many attempts it took.
#[derive(Debug)]
#[non_exhaustive]
pub struct Finished {
    /// The response, whatever its status.
    pub response: Response<Vec<u8>>,
    /// Attempts made, the first included; redirect hops are not attempts.
    pub attempts: u32,
    /// The URL that gave the response: the call's own, or where redirects
    /// led.
    pub uri: Uri,
    /// The key the last request sent, when a rotation during the call
    /// made it another than the one the call began with.
    pub(crate) rotated_to: Option<ApiKey>,
}

/// Where the machine is: what event it waits for.
#[derive(Debug, Clone, Copy)]
enum State {
    New,
    /// A request is out, under these limits; the deadline is the one its
    /// timeout stands for.
    Sending(RequestLimits, Option<Deadline>),
    Waiting,
    /// A redirect's next hop is held for the quota.
    HopHeld,
    Done,
}

impl State {
    /// The event this state waits for, for the out-of-order error.
    fn expects(self) -> &'static str {
        match self {
            State::New => "Start",
            State::Sending(..) => "Sent",
            State::Waiting | State::HopHeld => "Waited",
            State::Done => "nothing (the call is done)",
        }
    }
}

/// One call's policy state: the request to (re)build, attempts, hops, time
/// slept, the deadline. See [the module](self).
#[derive(Debug)]
pub struct Call<'a> {
    config: &'a Config,
    /// The client's settings, with any per-call options over them.
    settings: Settings<'a>,
    /// The key the next request sends: the call's own, or (with a
    /// [`key_source`](Self::key_source)) the current one, read again
    /// before every request after the first.
    key: Cow<'a, ApiKey>,
    /// The key a rotation replaced during this call, still kept out of
    /// everything the call shows (the server may echo it).
    earlier: Option<ApiKey>,
    source: Option<&'a SharedKey>,
    /// False once a redirect has left the first origin: the key is not
    /// sent there, nor is the quota gate consulted.
    authorize: bool,
    /// When the request now out left: an answer to it that the gate
    /// already heard of is not news.
    sent_at: Option<Instant>,
    method: Method,
    uri: Uri,
    body: Option<&'a Body>,
    budget: Option<&'a RetryBudget>,
    quota: Option<&'a QuotaGate>,
    jitter_seed: u64,
    draws: u64,
    /// The time and wall-clock time the call started.
    started: Option<(Instant, SystemTime)>,
    deadline: Option<Instant>,
    attempts: u32,
    /// Redirects followed since the latest attempt started.
    hops_this_attempt: u32,
    hops: u32,
    slept: Duration,
    /// Attempts that met a 429 and were retried at the server's word, or
    /// whose failure was news of an event the gate already knew: they
    /// count against no retry limit but the waiting ones.
    paced: u32,
    /// The next attempt comes back from a wait the quota imposed.
    returning: bool,
    /// Which of the client's deadlines the last attempt ran into.
    timed_out: Option<Deadline>,
    state: State,
}

impl<'a> Call<'a> {
    /// A `method` call to `uri` (already joined to the base URL) with
    /// `key`, under `config`'s limits, retry policy and redirect rules.
    /// Without [`budget`](Self::budget) retries are bounded only by the
    /// policy; without [`jitter_seed`](Self::jitter_seed) backoffs draw
    /// from seed 0.
    pub fn new(
        config: &'a Config,
        key: &'a ApiKey,
        method: Method,
        uri: Uri,
        body: Option<&'a Body>,
    ) -> Self {
        Call {
            config,
            settings: Settings::of(config),
            key: Cow::Borrowed(key),
            earlier: None,
            source: None,
            authorize: true,
            sent_at: None,
            method,
            uri,
            body,
            budget: None,
            quota: None,
            jitter_seed: 0,
            draws: 0,
            started: None,
            deadline: None,
            attempts: 0,
            hops_this_attempt: 0,
            hops: 0,
            slept: Duration::ZERO,
            paced: 0,
            returning: false,
            timed_out: None,
            state: State::New,
        }
    }

    /// Spends every retry from `budget`, shared with other calls (a
    /// client's), and refills it on success.
    ///
    /// # Examples
    ///
    /// ```
    /// # use routy::{http, ApiKey, call::Call, policy::RetryBudget};
    /// # let (config, key) = (routy::Config::default(), ApiKey::new("t")?);
    /// let budget = RetryBudget::new(10);
    /// let uri = config.base_url().join("/v1/accounts")?;
    /// let call = Call::new(&config, &key, http::Method::GET, uri, None).budget(&budget);
    /// # let _ = call;
    /// # Ok::<(), routy::Error>(())
    /// ```
    pub fn budget(mut self, budget: &'a RetryBudget) -> Self {
        self.budget = Some(budget);
        self
    }

    /// Holds the call back while `gate` (a client's, shared by its calls)
    /// says the server's quota is spent, and tells it what each answer
    /// says about the quota. Without it a call learns only from its own
    /// answers.
    ///
    /// # Examples
    ///
    /// ```
    /// # use routy::{http, ApiKey, call::Call, policy::QuotaGate, QuotaScope};
    /// # let (config, key) = (routy::Config::default(), ApiKey::new("t")?);
    /// let gate = QuotaGate::new(QuotaScope::Client);
    /// let uri = config.base_url().join("/v1/accounts")?;
    /// let call = Call::new(&config, &key, http::Method::GET, uri, None).quota(&gate);
    /// # let _ = call;
    /// # Ok::<(), routy::Error>(())
    /// ```
    pub fn quota(mut self, gate: &'a QuotaGate) -> Self {
        self.quota = Some(gate);
        self
    }

    /// Reads the key of every request after the first from `source` (a
    /// client's, which [`set_api_key`](crate::Client::set_api_key)
    /// rotates): a retry, a call released by the quota gate or a redirect
    /// hop sends the key of now, never one replaced while it waited.
    /// Whatever the server sends back is kept clear of both keys.
    ///
    /// # Examples
    ///
    /// ```
    /// # use routy::{http, ApiKey, SharedKey, call::Call};
    /// # let config = routy::Config::default();
    /// let slot = SharedKey::new(ApiKey::new("old-token")?);
    /// let key = slot.get();
    /// let uri = config.base_url().join("/v1/accounts")?;
    /// let call = Call::new(&config, &key, http::Method::GET, uri, None).key_source(&slot);
    /// # let _ = call;
    /// # Ok::<(), routy::Error>(())
    /// ```
    pub fn key_source(mut self, source: &'a SharedKey) -> Self {
        self.source = Some(source);
        self
    }

    /// Runs the call with `options` over the client's settings.
    ///
    /// # Errors
    ///
    /// What [`Client::call_with`](crate::Client::call_with) reports
    /// for options that cannot be used: a reserved or invalid header, a
    /// zero timeout.
    ///
    /// # Examples
    ///
    /// ```
    /// # use routy::{http, ApiKey, CallOptions, call::Call};
    /// # let (config, key) = (routy::Config::default(), ApiKey::new("t")?);
    /// let options = CallOptions::new().header("x-trace", "1");
    /// let uri = config.base_url().join("/v1/accounts")?;
    /// let call = Call::new(&config, &key, http::Method::GET, uri, None).options(&options)?;
    /// # let _ = call;
    /// # Ok::<(), routy::Error>(())
    /// ```
    pub fn options(mut self, options: &'a CallOptions) -> Result<Self, Error> {
        self.settings = options.over(self.config)?;
        Ok(self)
    }

    /// Draws backoff jitter from `seed`: the same seed and events give
    /// the same waits.
    ///
    /// # Examples
    ///
    /// ```
    /// # use routy::{http, ApiKey, call::Call};
    /// # let (config, key) = (routy::Config::default(), ApiKey::new("t")?);
    /// let uri = config.base_url().join("/v1/accounts")?;
    /// let call = Call::new(&config, &key, http::Method::GET, uri, None).jitter_seed(7);
    /// # let _ = call;
    /// # Ok::<(), routy::Error>(())
    /// ```
    pub fn jitter_seed(mut self, seed: u64) -> Self {
        self.jitter_seed = seed;
        self
    }

    /// Takes what happened, returns what to do. An event out of order (a
    /// `Sent` with no request out, anything after `Done`) ends the call
    /// with [`Error::OutOfOrder`].
    pub fn next(&mut self, event: Event) -> Step {
        match (mem::replace(&mut self.state, State::Done), event) {
            (State::New, Event::Start { now, wall }) => {
                self.started = Some((now, wall));
                // Past the end of what an Instant holds is never: no deadline.
                self.deadline = self.settings.call_timeout.and_then(|t| now.checked_add(t));
                self.attempt(now)
            }
            (State::Sending(limits, bound), Event::Sent { result, now }) => {
                self.sent(result, limits, bound, now)
            }
            (State::Waiting, Event::Waited { now }) => {
                self.refresh_key();
                self.attempt(now)
            }
            (State::HopHeld, Event::Waited { now }) => {
                self.refresh_key();
                self.next_hop(now)
            }
            (state, _) => Step::Done(Err(Error::OutOfOrder {
                expected: state.expects(),
            })),
        }
    }

    /// Takes the source's key when it is not the one the call sends: the
    /// next request carries the key of now.
    fn refresh_key(&mut self) {
        let Some(current) = self.source.map(SharedKey::get) else {
            return;
        };
        if current.header_value() != self.key.header_value() {
            let replaced = mem::replace(&mut self.key, Cow::Owned(current));
            self.earlier = Some(replaced.into_owned());
            log_event!(
                info,
                "{}: the key was rotated; the next request sends the new one",
                self.site()
            );
        }
    }

    /// The rules that keep the call's keys out of what it shows.
    fn redactor(&self) -> Redactor<'_> {
        let redactor = self.key.redactor();
        match &self.earlier {
            Some(earlier) => redactor.with_earlier(earlier.expose_secret().as_bytes()),
            None => redactor,
        }
    }

    /// Starts the next attempt, unless the quota holds it back.
    fn attempt(&mut self, now: Instant) -> Step {
        if let Some(step) = self.held(now, State::Waiting) {
            return step;
        }
        self.hops_this_attempt = 0;
        match self.next_request(now) {
            Ok(request) => {
                self.attempts += 1;
                log_event!(debug, "{} (attempt {})", self.site(), self.attempts);
                Step::Send(request)
            }
            Err(err) => Step::Done(Err(err)),
        }
    }

    /// While the server's word about the quota stands: a wait, when the
    /// call can wait that long (its deadline, and its policy's
    /// `max_retry_after` and `max_total_delay`), spread by a seeded share of
    /// [`QUOTA_SPREAD`]; otherwise the end of the call, unsent. `None`
    /// when the request may leave now.
    fn held(&mut self, now: Instant, waiting: State) -> Option<Step> {
        let gate = self.quota.filter(|_| self.authorize)?;
        let spread = QUOTA_SPREAD.mul_f64(unit_draw(self.jitter_seed, self.draws));
        let returning = mem::replace(&mut self.returning, false);
        let wait = gate.admit(&self.key, self.uri.path(), now, spread, returning)?;
        self.draws += 1;
        let open_in = wait.saturating_sub(spread);
        let policy = self.settings.retry;
        let fits = wait <= policy.retry_after_limit()
            && self.slept.saturating_add(wait) <= policy.total_delay_limit()
            && self
                .deadline
                .is_none_or(|d| now.checked_add(wait).is_some_and(|end| end < d));
        if fits {
            // A hold is waiting too: `max_total_delay` bounds it with the
            // retries' waits.
            self.slept += wait;
            self.returning = true;
            log_event!(
                info,
                "waiting {} before {}: the server said its rate-limit window is spent",
                Seconds(wait),
                self.site()
            );
            self.state = waiting;
            return Some(Step::Wait(wait));
        }
        // Whole seconds, rounded up: never sooner than the window opens.
        let secs = open_in.as_secs() + u64::from(open_in.subsec_nanos() > 0);
        let err = ApiError::held(RetryAfter::Delay(Duration::from_secs(secs)));
        Some(Step::Done(Err(self.locate(Error::Api(Located::new(err))))))
    }

    /// Tells the quota what `response` says about it: spent for a while
    /// (a 429, 503 or 403 with a `Retry-After`, or whose rate-limit fields
    /// say none is left; a success with none left and a reset), or, for
    /// pacing, how much is left and at what rate. Returns whether it was
    /// news: false when the gate had already closed for what this answer
    /// says after its request left (see [`QuotaGate::close`]).
    fn note_quota(&self, response: &Response<Vec<u8>>, outcome: &Outcome, now: Instant) -> bool {
        let Some(gate) = self.quota.filter(|_| self.authorize) else {
            return true;
        };
        let (key, path) = (&*self.key, self.uri.path());
        let status = response.status();
        let spent_for = match *outcome {
            Outcome::Status {
                retry_after: Some(after),
                ..
            } if matches!(status.as_u16(), 403 | 429 | 503) => {
                Some(after.delay_from(self.wall(now)))
            }
            _ if status.is_success() => rate_limit::read(response.headers(), gate.paces())
                .and_then(|limit| self.spent_or_pace(gate, &limit, now)),
            _ => None,
        };
        let Some(wait) = spent_for else {
            gate.answered(key, path);
            return true;
        };
        let limit = self.config.max_quota_hold;
        if wait > limit {
            log_event!(
                warn,
                "{}: the server said to wait {}; held for {} (the hold limit), then one request probes",
                self.site(),
                Seconds(wait),
                Seconds(limit)
            );
        }
        gate.close(key, path, self.sent_at.unwrap_or(now), now, capped(wait))
    }

    /// What a success's rate-limit fields say: how long until the window
    /// opens when none is left; otherwise, with pacing, the room between
    /// requests they leave (what is left over the time to the reset, or
    /// the tightest policy's rate, whichever is wider).
    fn spent_or_pace(&self, gate: &QuotaGate, limit: &RateLimit, now: Instant) -> Option<Duration> {
        let reset = self.reset_of(limit, now);
        if limit.is_spent() {
            return reset;
        }
        if !gate.paces() {
            return None;
        }
        let by_left = limit
            .remaining
            .and_then(|left| u32::try_from(left).ok())
            .zip(reset)
            .map(|(left, reset)| (reset / left.max(1), reset));
        let by_policy = limit
            .policy_spacing()
            .map(|spacing| (spacing, Duration::from_secs(limit.window.unwrap_or(0))));
        if let Some((spacing, lasting)) = by_left.max(by_policy) {
            gate.pace(&self.key, self.uri.path(), now, spacing, lasting);
        }
        None
    }

    /// How long until the reset `limit` names, when it is a time a server
    /// can mean: one further ahead than [`MAX_PLAUSIBLE_RESET`], or in no
    /// unit routy reads, is ignored, and the log says so.
    fn reset_of(&self, limit: &RateLimit, now: Instant) -> Option<Duration> {
        let raw = limit.reset?;
        let wait = limit
            .reset_after()
            .map(|after| after.delay_from(self.wall(now)))
            .filter(|wait| *wait <= MAX_PLAUSIBLE_RESET);
        if wait.is_none() {
            log_event!(
                warn,
                "{}: ignored a rate-limit reset of {}: not a time a server can mean",
                self.site(),
                raw
            );
        }
        wait
    }

    /// When a 429 or 403 without `Retry-After` says through its
    /// rate-limit fields that no request is left: its reset, as the
    /// server's word on when to come back.
    fn spent_reset(&self, response: &Response<Vec<u8>>, now: Instant) -> Option<RetryAfter> {
        if !matches!(response.status().as_u16(), 403 | 429) {
            return None;
        }
        let limit = rate_limit::read(response.headers(), false).filter(RateLimit::is_spent)?;
        self.reset_of(&limit, now).map(RetryAfter::Delay)
    }

    /// The wall-clock time at `now`, as the call's start read it.
    fn wall(&self, now: Instant) -> SystemTime {
        self.started
            .map_or(SystemTime::UNIX_EPOCH, |(start, wall)| {
                wall + now.saturating_duration_since(start)
            })
    }

    /// The request to send now, with the time left before the deadline as
    /// its timeout; a timeout error when none is left.
    fn next_request(&mut self, now: Instant) -> Result<Request<Vec<u8>>, Error> {
        let mut limits = self.config.limits;
        limits.timeout = self.settings.timeout;
        // `attempts` counts the attempts started; a hop belongs to the
        // latest.
        limits.number = AttemptNumber::new(
            self.attempts + u32::from(self.hops_this_attempt == 0),
            self.hops_this_attempt,
        );
        let mut bound = limits.timeout.map(Deadline::Attempt);
        if let (Some(deadline), Some(total)) = (self.deadline, self.settings.call_timeout) {
            let left = deadline.saturating_duration_since(now);
            if left.is_zero() {
                let timeout = Located::new(TransportError::new(TransportErrorKind::Timeout))
                    .with_deadline(Some(Deadline::Call(total)));
                return Err(self.locate(Error::Transport(timeout)));
            }
            // At a tie the whole-call deadline is the one that binds: it is
            // the one named when it passes.
            if limits.timeout.is_none_or(|t| left <= t) {
                limits.timeout = Some(left);
                bound = Some(Deadline::Call(total));
            }
        }
        self.state = State::Sending(limits, bound);
        self.sent_at = Some(now);
        // Extra headers, like the key, stay with the first origin.
        let key = self.authorize.then_some(&*self.key);
        let headers = key.and(self.settings.headers);
        Ok(build_request(
            self.config,
            key,
            &self.method,
            &self.uri,
            self.body,
            limits,
            headers,
        ))
    }

    /// Where the call is now, fit to show.
    fn site(&self) -> CallSite {
        CallSite::new(&self.method, &self.uri, self.redactor())
    }

    /// `err` with where the call is and the attempts made: the machine's
    /// one place for context.
    fn locate(&self, err: Error) -> Error {
        err.located(self.site(), self.attempts)
    }

    /// What follows a response or a transport failure.
    fn sent(
        &mut self,
        result: Result<Response<Vec<u8>>, TransportError>,
        limits: RequestLimits,
        bound: Option<Deadline>,
        now: Instant,
    ) -> Step {
        // Transports should stop reading at the cap; this holds the line
        // for one that does not.
        let result = result.and_then(|response| {
            if response.body().len() as u64 > limits.max_body_bytes {
                Err(TransportError::new(TransportErrorKind::BodyTooLarge))
            } else {
                Ok(response)
            }
        });
        // A transport's timeout is one of ours: say which, and its value,
        // rather than the transport's own words for it.
        self.timed_out = None;
        let result = result.map_err(|err| match bound {
            Some(bound) if err.is_timeout() => {
                self.timed_out = Some(bound);
                TransportError::new(TransportErrorKind::Timeout)
            }
            _ => err,
        });
        let mut news = true;
        let outcome = match &result {
            Ok(response) => {
                self.log_response(response);
                if let Some(step) = self.follow(response, now) {
                    return step;
                }
                let retry_after = RetryAfter::from_headers(response.headers())
                    .or_else(|| self.spent_reset(response, now));
                let outcome = Outcome::Status {
                    status: response.status(),
                    retry_after,
                };
                news = self.note_quota(response, &outcome, now);
                outcome
            }
            Err(err) => {
                log_event!(debug, "{} failed: {}", self.site(), err.kind());
                Outcome::Failed(err.kind())
            }
        };
        match self.retry_delay(outcome, news, now) {
            Some(delay) => {
                log_event!(
                    info,
                    "waiting {} before retrying {}: {} (attempt {} gave {})",
                    Seconds(delay),
                    self.site(),
                    wait_reason(&outcome),
                    self.attempts,
                    outcome_words(&outcome)
                );
                self.slept += delay;
                self.state = State::Waiting;
                Step::Wait(delay)
            }
            None => self.finish(result),
        }
    }

    #[cfg_attr(not(feature = "log"), allow(unused_variables))]
    fn log_response(&self, response: &Response<Vec<u8>>) {
        log_event!(
            debug,
            "{} -> {} ({} bytes, request id {:?})",
            self.site(),
            response.status(),
            response.body().len(),
            response.headers().get("x-request-id").map(|id| self
                .redactor()
                .scrub_owned(&String::from_utf8_lossy(id.as_bytes())))
        );
    }

    /// The next hop's step when `response` is a redirect this call
    /// follows; `None` when it is an answer.
    fn follow(&mut self, response: &Response<Vec<u8>>, now: Instant) -> Option<Step> {
        if self.config.max_redirects == 0
            || !redirect::is_redirect(response.status())
            || !redirect::follows(&self.method)
        {
            return None;
        }
        let location = response.headers().get(LOCATION)?;
        let next = self
            .hop(location)
            .map_err(|kind| self.locate(RedirectError::new(kind).into()));
        let next = match next {
            Ok(next) => next,
            Err(err) => return Some(Step::Done(Err(err))),
        };
        if !redirect::same_origin(&self.uri, &next) && mem::take(&mut self.authorize) {
            log_event!(debug, "redirect to another origin: authorization dropped");
        }
        log_event!(
            debug,
            "following redirect {} -> {}",
            response.status(),
            crate::error::call_site::CallSite::new(&self.method, &next, self.redactor()).url()
        );
        self.uri = next;
        // A hop is not a new attempt.
        self.hops_this_attempt += 1;
        self.refresh_key();
        Some(self.next_hop(now))
    }

    /// Sends the redirect's next hop, unless the quota holds it back: a
    /// hop is a request like any other.
    fn next_hop(&mut self, now: Instant) -> Step {
        if let Some(step) = self.held(now, State::HopHeld) {
            return step;
        }
        match self.next_request(now) {
            Ok(request) => Step::Send(request),
            Err(err) => Step::Done(Err(err)),
        }
    }

    /// Where `location` leads, when the rules allow going there.
    fn hop(&mut self, location: &HeaderValue) -> Result<Uri, RedirectErrorKind> {
        self.hops += 1;
        if self.hops > self.config.max_redirects {
            return Err(RedirectErrorKind::TooMany {
                max: self.config.max_redirects,
            });
        }
        // Refused before anything parses, sends or logs it.
        if self.redactor().found_in(location.as_bytes()) {
            return Err(RedirectErrorKind::LocationHoldsKey);
        }
        let location = location
            .to_str()
            .map_err(|_| RedirectErrorKind::InvalidLocation)?;
        redirect::resolve(&self.uri, location)
    }

    /// How long to wait before retrying after `outcome`, when the policy,
    /// the deadline and the budget all allow a retry. An answer that is
    /// not `news` (the gate had closed for it already) spends nothing of
    /// the budget: answers that arrive together are one event.
    fn retry_delay(&mut self, outcome: Outcome, news: bool, now: Instant) -> Option<Duration> {
        let policy = self.settings.retry;
        // A 429 that says when to come back is the server pacing, not
        // failing: waiting it out spends neither an attempt of
        // `max_attempts` nor anything of the budget that guards against
        // outages (the time waited and the deadline still bound it).
        let counted = self.attempts - self.paced;
        // Most calls end here: no clock arithmetic, no random draw.
        if !policy.may_retry(counted, &self.method, &outcome) {
            return None;
        }
        let wall = self.wall(now);
        // Only a wait of a second or more is pacing: a 429 that says
        // "now" (0, a date past) is an answer at once, and counts.
        let pacing = matches!(
            outcome,
            Outcome::Status { status, retry_after: Some(after) }
                if status == StatusCode::TOO_MANY_REQUESTS && after.delay_from(wall) >= MIN_PACED_WAIT
        );
        let random = unit_draw(self.jitter_seed, self.draws);
        self.draws += 1;
        let Decision::RetryIn(delay) = policy.plan(&Attempt {
            number: counted,
            method: &self.method,
            outcome,
            slept: self.slept,
            now: wall,
            random,
        }) else {
            return None;
        };
        let fits = self
            .deadline
            .is_none_or(|d| now.checked_add(delay).is_some_and(|end| end < d));
        if !fits || !(pacing || !news || self.budget.is_none_or(RetryBudget::try_spend)) {
            return None;
        }
        // An answer of an event already known (it left with others before
        // the gate closed) is that event's, not another failure of this
        // call: it counts against no limit, as the server's pacing does.
        self.paced += u32::from(pacing || !news);
        // Made to wait by the server: first in line when the window opens.
        self.returning = pacing;
        Some(delay)
    }

    /// The final step.
    fn finish(&mut self, result: Result<Response<Vec<u8>>, TransportError>) -> Step {
        Step::Done(match result {
            Ok(response) => {
                if response.status().is_success() {
                    if let Some(budget) = self.budget {
                        budget.record_success();
                    }
                }
                Ok(Finished {
                    response,
                    attempts: self.attempts,
                    uri: self.uri.clone(),
                    rotated_to: self
                        .earlier
                        .is_some()
                        .then(|| self.key.clone().into_owned()),
                })
            }
            Err(err) => {
                let err = Located::new(err.scrubbed(self.redactor())).with_deadline(self.timed_out);
                Err(self.locate(Error::Transport(err)))
            }
        })
    }
}

/// A wait as a person reads it: "150 ms", "2.5 s", "3600 s".
struct Seconds(Duration);

impl std::fmt::Display for Seconds {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.0 < Duration::from_secs(1) {
            write!(f, "{} ms", self.0.as_millis())
        } else if self.0 < Duration::from_secs(60) {
            write!(f, "{:.1} s", self.0.as_secs_f64())
        } else {
            // Whole seconds: a float would round a server's huge number.
            write!(f, "{} s", self.0.as_secs())
        }
    }
}

/// Why a retry waits, for the log line that starts the wait.
fn wait_reason(outcome: &Outcome) -> &'static str {
    match outcome {
        Outcome::Status {
            retry_after: Some(_),
            ..
        } => "the server's retry-after",
        _ => "backoff",
    }
}

/// What an attempt came to, in a log line's words.
fn outcome_words(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Status { status, .. } => status.as_u16().to_string(),
        Outcome::Failed(kind) => kind.to_string(),
    }
}

/// One attempt's request, built fresh (cheaper than keeping a built one to
/// clone for a retry that rarely comes). `key` is `None` once a redirect
/// has left the first origin. The body is copied: the transport takes it,
/// and a retry needs it again (a GET's is empty, which costs nothing).
pub(crate) fn build_request(
    config: &Config,
    key: Option<&ApiKey>,
    method: &Method,
    uri: &Uri,
    body: Option<&Body>,
    limits: RequestLimits,
    extra: Option<&HeaderMap>,
) -> Request<Vec<u8>> {
    let mut request = Request::new(body.map(|b| b.bytes().to_vec()).unwrap_or_default());
    *request.method_mut() = method.clone();
    *request.uri_mut() = uri.clone();
    let headers = request.headers_mut();
    headers.reserve(4);
    if let Some(key) = key {
        set(headers, AUTHORIZATION, key.header_value().clone(), false);
    }
    set(headers, ACCEPT, ACCEPT_JSON, false);
    set(headers, USER_AGENT, config.user_agent.clone(), false);
    if let Some(body) = body {
        set(
            headers,
            CONTENT_TYPE,
            body.content_type_value().clone(),
            false,
        );
    }
    if let Some(extra) = extra {
        // A caller's header replaces routy's of the same name (Accept,
        // User-Agent, Content-Type); reserved ones never get this far.
        // Iteration gives each name's values together, first one first.
        let mut last = None;
        for (name, value) in extra {
            set(headers, name.clone(), value.clone(), last == Some(name));
            last = Some(name);
        }
    }
    request.extensions_mut().insert(limits);
    request
}

/// Sets a header (or adds a value to it): one copy of the header map's
/// insertion code for every header a request gets, not one per header.
#[inline(never)]
fn set(headers: &mut HeaderMap, name: HeaderName, value: HeaderValue, append: bool) {
    if append {
        headers.append(name, value);
    } else {
        headers.insert(name, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::TEST_TOKEN as TOKEN;
    use crate::clock::Clock as _;
    use crate::policy::retry::RetryPolicy;

    type Builder = crate::ClientBuilder<()>;
    type Answer = Result<Response<Vec<u8>>, TransportError>;

    /// A config and a key, to start calls from: no client needed.
    struct Fixture {
        config: Config,
        key: ApiKey,
    }

    impl Fixture {
        fn new(configure: impl FnOnce(Builder) -> Builder) -> Self {
            Fixture {
                config: configure(Builder::new()).build_config().unwrap(),
                key: ApiKey::new(TOKEN).unwrap(),
            }
        }

        fn call(&self, method: Method, path: &str) -> Call<'_> {
            let uri = format!("https://platform.routy.app/api{path}")
                .parse()
                .unwrap();
            Call::new(&self.config, &self.key, method, uri, None)
        }
    }

    fn status(code: u16) -> Answer {
        Ok(Response::builder().status(code).body(Vec::new()).unwrap())
    }

    fn redirect(code: u16, location: &str) -> Answer {
        Ok(Response::builder()
            .status(code)
            .header("location", location)
            .body(Vec::new())
            .unwrap())
    }

    /// Starts `call`, returning the time it started at and its first
    /// request.
    fn start(call: &mut Call<'_>) -> (Instant, Request<Vec<u8>>) {
        let now = crate::clock::ManualClock::new().now();
        let wall = SystemTime::UNIX_EPOCH;
        (now, sent(call.next(Event::Start { now, wall })))
    }

    fn answer(call: &mut Call<'_>, result: Answer, now: Instant) -> Step {
        call.next(Event::Sent { result, now })
    }

    fn sent(step: Step) -> Request<Vec<u8>> {
        match step {
            Step::Send(request) => request,
            other => panic!("expected a request, got {other:?}"),
        }
    }

    fn finished(step: Step) -> Finished {
        match step {
            Step::Done(Ok(finished)) => finished,
            other => panic!("expected a response, got {other:?}"),
        }
    }

    fn transport_error(step: Step) -> Located<TransportError> {
        match step {
            Step::Done(Err(Error::Transport(err))) => err,
            other => panic!("expected a transport error, got {other:?}"),
        }
    }

    #[test]
    fn a_success_is_one_send_then_done() {
        let fixture = Fixture::new(|b| b);
        let mut call = fixture.call(Method::GET, "/v1/accounts");
        let (now, request) = start(&mut call);
        assert_eq!(request.uri(), "https://platform.routy.app/api/v1/accounts");
        assert_eq!(
            request.headers()["authorization"],
            "ApiKey ".to_owned() + TOKEN
        );
        assert_eq!(finished(answer(&mut call, status(200), now)).attempts, 1);
    }

    #[test]
    fn a_retry_is_a_wait_then_the_same_request_again() {
        let fixture = Fixture::new(|b| b);
        let mut call = fixture.call(Method::GET, "/v1/accounts");
        let (mut now, first) = start(&mut call);
        let Step::Wait(delay) = answer(&mut call, status(503), now) else {
            panic!("a 503 to a GET is retried")
        };
        assert!(delay < Duration::from_millis(200), "{delay:?}");
        now += delay;
        let second = sent(call.next(Event::Waited { now }));
        assert_eq!(first.uri(), second.uri());
        assert_eq!(first.headers(), second.headers());
        // Each request says which attempt it is.
        let attempt = |r: &Request<Vec<u8>>| AttemptNumber::of(r).attempt;
        assert_eq!((attempt(&first), attempt(&second)), (1, 2));
        assert_eq!(finished(answer(&mut call, status(200), now)).attempts, 2);
    }

    #[test]
    fn a_post_is_not_retried_once_it_may_have_arrived() {
        let fixture = Fixture::new(|b| b);
        let mut call = fixture.call(Method::POST, "/v1/things");
        let (now, _) = start(&mut call);
        let timeout = Err(TransportError::new(TransportErrorKind::Timeout));
        let err = transport_error(answer(&mut call, timeout, now));
        assert!(err.is_timeout());
        assert_eq!(err.attempts(), 1);
    }

    #[test]
    fn a_redirect_is_a_hop_not_an_attempt_and_drops_the_key_across_origins() {
        let fixture = Fixture::new(|b| b);
        let mut call = fixture.call(Method::GET, "/v1/accounts");
        let (now, _) = start(&mut call);
        let same = sent(answer(&mut call, redirect(302, "/api/v2/accounts"), now));
        assert_eq!(same.uri(), "https://platform.routy.app/api/v2/accounts");
        assert!(same.headers().contains_key("authorization"));
        let away = redirect(307, "https://cdn.example/accounts");
        let other = sent(answer(&mut call, away, now));
        assert!(!other.headers().contains_key("authorization"));
        let home = redirect(307, "https://platform.routy.app/api/v1/accounts");
        let back = sent(answer(&mut call, home, now));
        assert!(
            !back.headers().contains_key("authorization"),
            "dropped for good"
        );
        // Each hop is marked as such, on the first attempt.
        let marks = |r: &Request<Vec<u8>>| {
            let number = AttemptNumber::of(r);
            (number.attempt, number.hop)
        };
        assert_eq!(
            [marks(&same), marks(&other), marks(&back)],
            [(1, 1), (1, 2), (1, 3)]
        );
        assert_eq!(finished(answer(&mut call, status(200), now)).attempts, 1);
    }

    #[test]
    fn the_deadline_caps_each_timeout_and_ends_the_call() {
        let fixture = Fixture::new(|b| {
            b.timeout(Duration::from_secs(30))
                .call_timeout(Duration::from_secs(10))
        });
        let mut call = fixture.call(Method::GET, "/v1/accounts");
        let (start, first) = start(&mut call);
        assert_eq!(
            RequestLimits::of(&first).timeout,
            Some(Duration::from_secs(10))
        );
        // The retry's wait would end past the deadline: no retry.
        let reset = Err(TransportError::new(TransportErrorKind::Io));
        let later = start + Duration::from_secs(10);
        assert_eq!(
            transport_error(answer(&mut call, reset, later)).attempts(),
            1
        );
    }

    #[test]
    fn the_budget_is_spent_by_retries_and_refilled_by_successes() {
        let fixture = Fixture::new(|b| b.retry(RetryPolicy::default().max_attempts(5)));
        let budget = RetryBudget::new(1);
        let mut call = fixture.call(Method::GET, "/v1/accounts").budget(&budget);
        let (now, _) = start(&mut call);
        assert!(matches!(answer(&mut call, status(503), now), Step::Wait(_)));
        sent(call.next(Event::Waited { now }));
        let last = finished(answer(&mut call, status(503), now));
        assert_eq!(
            last.response.status(),
            503,
            "the budget is empty: the 503 is the answer"
        );
        assert_eq!(budget.remaining(), 0);
    }

    #[test]
    fn events_out_of_order_end_the_call_with_a_typed_error() {
        let fixture = Fixture::new(|b| b);
        let mut call = fixture.call(Method::GET, "/v1/accounts");
        let now = crate::clock::ManualClock::new().now();
        assert!(matches!(
            call.next(Event::Waited { now }),
            Step::Done(Err(Error::OutOfOrder { expected: "Start" }))
        ));
        assert!(matches!(
            call.next(Event::Waited { now }),
            Step::Done(Err(Error::OutOfOrder { .. }))
        ));
    }

    #[test]
    fn the_same_seed_and_events_give_the_same_waits() {
        let fixture = Fixture::new(|b| b);
        let run = |seed| {
            let mut call = fixture.call(Method::GET, "/v1/accounts").jitter_seed(seed);
            let (now, _) = start(&mut call);
            let mut waits = Vec::new();
            let mut step = answer(&mut call, status(503), now);
            while let Step::Wait(delay) = step {
                waits.push(delay);
                sent(call.next(Event::Waited { now }));
                step = answer(&mut call, status(503), now);
            }
            waits
        };
        assert_eq!(run(7), run(7));
        assert_eq!(run(7).len(), 2);
        assert_ne!(run(7), run(8));
    }
}
