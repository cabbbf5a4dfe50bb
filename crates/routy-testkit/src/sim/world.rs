//! The simulated transport and clock: each request goes through the fault
//! schedule to the sandbox's API model, and time is virtual: latency and
//! every wait move it at once, nothing sleeps.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use http::header::{AUTHORIZATION, LOCATION, RETRY_AFTER};
use http::{HeaderValue, Method, Request, Response, StatusCode, Uri};
use routy_core::clock::Clock;
use routy_core::defaults::MIN_PACED_WAIT;
use routy_core::transport::AttemptNumber;
use routy_core::{
    ApiKey, RateLimit, RequestLimits, RetryAfter, Transport, TransportError, TransportErrorKind,
};
use routy_sandbox::model::Api;

use super::baton::{current_worker, Baton};
use super::invariants::{Calls, Policy, Quotas};
use super::schedule::{RetryAfterForm, Schedule};
use super::trace::{Event, What};
use super::{SimFault, MIRROR_ORIGIN};

/// How long a stalled request with no deadline is let hang before the
/// simulation calls it lost.
const FOREVER: Duration = Duration::from_secs(24 * 3600);

/// One schedule's world: the API, the draws, virtual time, the trace.
#[derive(Debug)]
pub(crate) struct World {
    pub(crate) api: Api,
    schedule: Schedule,
    pub(crate) elapsed: Duration,
    pub(crate) wall_start: SystemTime,
    pub(crate) events: Vec<Event>,
    /// Each worker's calls (one worker outside a fleet).
    pub(crate) calls: Vec<Calls>,
    /// The worker running now, and whether there are several.
    pub(crate) worker: usize,
    pub(crate) fleet: bool,
    /// What each client was told about its quota, checked when its quota
    /// scope is the client.
    quotas: Quotas,
    pub(crate) client_scoped: bool,
    /// The live token's id, if there is one.
    pub(crate) token_id: Option<String>,
    /// Every secret issued, to look for in what the job and trace show.
    pub(crate) secrets: Vec<ApiKey>,
    /// The last `Authorization` value seen and its label, so each
    /// request does not pay for a fingerprint.
    label: Option<(HeaderValue, HeaderValue)>,
}

impl World {
    pub(crate) fn new(
        api: Api,
        schedule: Schedule,
        wall_start: SystemTime,
        policy: Policy,
    ) -> Self {
        World {
            api,
            schedule,
            elapsed: Duration::ZERO,
            wall_start,
            events: Vec::with_capacity(256),
            calls: vec![Calls::new(policy)],
            worker: 0,
            fleet: false,
            quotas: Quotas::default(),
            client_scoped: false,
            token_id: None,
            secrets: Vec::new(),
            label: None,
        }
    }

    pub(crate) fn wall(&self) -> SystemTime {
        self.wall_start + self.elapsed
    }

    pub(crate) fn event(&mut self, what: What) {
        self.events.push(Event {
            at: self.elapsed,
            worker: self.fleet.then_some(self.worker),
            what,
        });
    }

    /// Every rule broken so far, worker by worker.
    pub(crate) fn broken(&self) -> Vec<String> {
        self.calls
            .iter()
            .flat_map(|c| c.broken.iter().cloned())
            .collect()
    }

    /// Breaks are written into the trace where they happen.
    fn flush_broken(&mut self, before: usize) {
        let (at, worker) = (self.elapsed, self.fleet.then_some(self.worker));
        self.events.extend(
            self.calls[self.worker].broken[before..]
                .iter()
                .map(|why| Event {
                    at,
                    worker,
                    what: What::Broken(why.clone()),
                }),
        );
    }

    fn headers_for_trace(
        &mut self,
        request: &Request<Vec<u8>>,
    ) -> Vec<(http::HeaderName, HeaderValue)> {
        request
            .headers()
            .iter()
            .map(|(name, value)| {
                if name != AUTHORIZATION {
                    return (name.clone(), value.clone());
                }
                if let Some((seen, label)) = &self.label {
                    if seen == value {
                        return (name.clone(), label.clone());
                    }
                }
                let label = HeaderValue::from_str(&authorization_label(value))
                    .unwrap_or(HeaderValue::from_static("[unprintable]"));
                self.label = Some((value.clone(), label.clone()));
                (name.clone(), label)
            })
            .collect()
    }

    /// Sends one request through the schedule.
    fn send(
        &mut self,
        request: &Request<Vec<u8>>,
        client: usize,
    ) -> Result<Response<Vec<u8>>, TransportError> {
        let limits = RequestLimits::of(request);
        let number = AttemptNumber::of(request);
        let me = self.worker;
        let before = self.calls[me].broken.len();
        let quotas = &self.quotas;
        self.calls[me].settle(|sent, received, key| quotas.known(client, key, sent, received));
        let call =
            self.calls[me].request(self.elapsed, request.method(), number.attempt, number.hop);

        let headers = self.headers_for_trace(request);
        self.event(What::Request {
            call,
            attempt: number.attempt,
            hop: number.hop,
            method: request.method().clone(),
            uri: request.uri().clone(),
            headers,
        });
        let elsewhere = !request.uri().to_string().starts_with(SIM_ORIGIN);
        // The API's quota is the API's: a hop to another origin is not
        // under it (and carries no key).
        if self.client_scoped && !elsewhere {
            let key = request.headers().get(AUTHORIZATION);
            if let Some(why) = self.quotas.request(client, key, call, self.elapsed) {
                self.calls[me].broken.push(why);
            }
        }
        if elsewhere && request.headers().contains_key(AUTHORIZATION) {
            let host = request.uri().host().unwrap_or("(no host)");
            let why =
                format!("call {call}: the Authorization header went to another origin, {host}");
            self.calls[me].broken.push(why);
        }
        let (latency, fault) = self.schedule.next(request.method() == Method::GET);
        if let Some(fault) = fault {
            self.event(What::Fault(fault));
        }
        let sent = self.elapsed;
        let result = self.outcome(request, limits, latency, fault, elsewhere);
        let applied = fault.is_none_or(SimFault::reaches_server) && !elsewhere;
        match &result {
            Ok(response) => self.event(What::Response {
                status: response.status().as_u16(),
                bytes: response.body().len(),
            }),
            Err(err) => self.event(What::Failed(err.kind())),
        }
        let answer = result.as_ref().ok();
        let key = request.headers().get(AUTHORIZATION);
        let (retry_after, paced) = self.note_quota(answer, key, client, sent);
        self.calls[me].answered(self.elapsed, applied, retry_after, paced);
        self.flush_broken(before);
        result
    }

    /// Records what `answer` (to a request with `key`, sent at `sent`) said
    /// of the quota, and returns until when its `Retry-After` said to
    /// wait and whether that was the server pacing. Free of max_attempts: a 429 whose wait is a second or more
    /// (the server pacing), and an answer of an event the client already
    /// knew of (another answer, received after this request left, said
    /// the window is spent until later than now: settled before the next
    /// request, once every earlier answer is known).
    fn note_quota(
        &mut self,
        answer: Option<&Response<Vec<u8>>>,
        key: Option<&HeaderValue>,
        client: usize,
        sent: Duration,
    ) -> (Option<Duration>, bool) {
        let retry_after = answer.and_then(|r| self.retry_after_of(r));
        let pacing = retry_after.is_some_and(|at| at >= self.elapsed + MIN_PACED_WAIT)
            && answer.is_some_and(|r| r.status() == http::StatusCode::TOO_MANY_REQUESTS);
        if retry_after.is_some() && !pacing {
            self.calls[self.worker].echo(sent, self.elapsed, key);
        }
        if let Some(until) = answer.and_then(|r| self.spent_by_fields(r)) {
            self.quotas.spent(client, key, self.elapsed, until);
        }
        if let Some(at) = retry_after {
            self.event(What::WindowSpent { until: at });
            self.quotas.answered(client, key, self.elapsed, at);
        }
        (retry_after, pacing)
    }

    /// What the request comes to, time moving as it goes.
    fn outcome(
        &mut self,
        request: &Request<Vec<u8>>,
        limits: RequestLimits,
        latency: Duration,
        fault: Option<SimFault>,
        elsewhere: bool,
    ) -> Result<Response<Vec<u8>>, TransportError> {
        let timeout = limits.timeout;
        if fault == Some(SimFault::Refused) {
            self.elapsed += latency / 10;
            return Err(TransportError::new(TransportErrorKind::Connect));
        }
        if timeout.is_some_and(|t| latency > t) {
            self.elapsed += timeout.unwrap_or_default();
            return Err(TransportError::new(TransportErrorKind::Timeout));
        }
        if elsewhere {
            self.elapsed += latency;
            let now = self.wall();
            return Ok(self.api.handle_public(request, now));
        }
        if let Some(reply) = self.in_place_of_the_api(request.uri(), latency, fault) {
            return Ok(reply);
        }
        let now = self.wall() + latency / 2;
        let answer = self.api.handle(request, now);
        match fault {
            Some(SimFault::Stall) => {
                self.elapsed += timeout.unwrap_or(FOREVER);
                if timeout.is_none() {
                    self.calls[self.worker].broken.push(
                        "a request with no deadline stalled: the call would hang for ever".into(),
                    );
                }
                Err(TransportError::new(TransportErrorKind::Timeout))
            }
            Some(SimFault::ResetAfterApply) => {
                self.elapsed += latency;
                Err(TransportError::new(TransportErrorKind::Io))
            }
            Some(SimFault::CutBody) => {
                self.elapsed += latency;
                // What every conforming transport reports for it.
                Err(TransportError::new(TransportErrorKind::Io))
            }
            _ => {
                self.elapsed += latency;
                Ok(answer.response)
            }
        }
    }

    /// The answer a gateway gives in the API's place, when the fault is
    /// one; a token fault is applied here and the request goes on.
    fn in_place_of_the_api(
        &mut self,
        uri: &Uri,
        latency: Duration,
        fault: Option<SimFault>,
    ) -> Option<Response<Vec<u8>>> {
        let reply = match fault? {
            SimFault::TokenExpired | SimFault::TokenDeleted => {
                self.kill_token(fault);
                return None;
            }
            SimFault::RateLimited { secs, form } => self.gateway(429, secs, form),
            SimFault::Unavailable { secs, form } => self.gateway(503, secs, form),
            SimFault::ServerError => self.api.problem_response(
                500,
                "Internal Server Error",
                "The server met an unexpected condition.",
            ),
            SimFault::Redirect => redirect(uri, false),
            SimFault::RedirectElsewhere => redirect(uri, true),
            _ => return None,
        };
        self.elapsed += latency;
        Some(reply)
    }

    fn kill_token(&mut self, fault: Option<SimFault>) {
        let Some(id) = self.token_id.take() else {
            return;
        };
        let now = self.wall();
        let _ = if fault == Some(SimFault::TokenDeleted) {
            self.api.delete_token(&id, now)
        } else {
            self.api.expire_token(&id, now)
        };
    }

    /// A gateway's 429 or 503, `Retry-After` in the form drawn.
    fn gateway(&mut self, status: u16, secs: u64, form: RetryAfterForm) -> Response<Vec<u8>> {
        let (title, detail) = if status == 429 {
            ("Too Many Requests", "Slow down.")
        } else {
            ("Service Unavailable", "The service is briefly unavailable.")
        };
        let mut reply = self.api.problem_response(status, title, detail);
        let value = match form {
            RetryAfterForm::Seconds => secs.to_string(),
            // An HTTP date has whole seconds: round up so the wait is
            // never shorter than drawn.
            RetryAfterForm::Date => {
                let at = self.wall() + Duration::from_secs(secs + 1);
                httpdate::fmt_http_date(at)
            }
        };
        if let Ok(value) = HeaderValue::from_str(&value) {
            reply.headers_mut().insert(RETRY_AFTER, value);
        }
        reply
    }

    /// When the next attempt may go, by a 429 or 503's `Retry-After`.
    /// Until when `response`'s rate-limit fields say the window is spent.
    fn spent_by_fields(&self, response: &Response<Vec<u8>>) -> Option<Duration> {
        let limit = RateLimit::from_headers(response.headers()).filter(RateLimit::is_spent)?;
        Some(match limit.reset_after()? {
            RetryAfter::Delay(delay) => self.elapsed + delay,
            RetryAfter::At(at) => at.duration_since(self.wall_start).unwrap_or_default(),
        })
    }

    fn retry_after_of(&self, response: &Response<Vec<u8>>) -> Option<Duration> {
        if !matches!(response.status().as_u16(), 429 | 503) {
            return None;
        }
        let text = response.headers().get(RETRY_AFTER)?.to_str().ok()?.trim();
        if let Ok(secs) = text.parse::<u64>() {
            return Some(self.elapsed + Duration::from_secs(secs));
        }
        let at = httpdate::parse_http_date(text).ok()?;
        Some(at.duration_since(self.wall_start).unwrap_or_default())
    }
}

/// `ApiKey …abcd`, the way routy and the sandbox's journal show a key.
fn authorization_label(value: &HeaderValue) -> String {
    let text = value.to_str().unwrap_or_default();
    let token = text.strip_prefix("ApiKey ").unwrap_or(text);
    match ApiKey::new(token) {
        Ok(key) => format!("ApiKey {}", key.fingerprint()),
        Err(_) => "[not a key]".to_owned(),
    }
}

/// The origin of [`SIM_BASE_URL`](super::SIM_BASE_URL), with the slash
/// that ends it.
const SIM_ORIGIN: &str = "https://sim.routy.invalid/";

fn redirect(uri: &Uri, elsewhere: bool) -> Response<Vec<u8>> {
    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    let location = if elsewhere {
        format!("{MIRROR_ORIGIN}{path}")
    } else {
        path.to_owned()
    };
    let mut reply = Response::new(Vec::new());
    *reply.status_mut() = StatusCode::TEMPORARY_REDIRECT;
    if let Ok(value) = HeaderValue::from_str(&location) {
        reply.headers_mut().insert(LOCATION, value);
    }
    reply
}

/// The world, shared by the transport, the clocks and the job's handle.
pub(crate) type Shared = Arc<Mutex<World>>;

pub(crate) fn lock(world: &Shared) -> MutexGuard<'_, World> {
    world.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The simulated transport: every request goes through the schedule to
/// the API model. Only for clients the [`Simulation`](super::Simulation)
/// builds.
#[derive(Debug, Clone)]
pub struct SimTransport {
    pub(crate) world: Shared,
    /// Which client of the schedule this is (0 but in a fleet of clients).
    pub(crate) client: usize,
    pub(crate) baton: Option<Arc<Baton>>,
}

impl Transport for SimTransport {
    fn send(&self, request: Request<Vec<u8>>) -> Result<Response<Vec<u8>>, TransportError> {
        let result = lock(&self.world).send(&request, self.client);
        // In a fleet, the answer took time: a worker now earlier in
        // virtual time goes next. Yielding here, and after waits, but never
        // between a call's decision to send and the sending, means every
        // answer that arrived before a request's time is known when the
        // request is let out.
        if let Some(baton) = &self.baton {
            take_turn(&self.world, baton);
        }
        result
    }
}

/// Hands the baton on at the time the current worker has reached, and
/// takes the world back at its own time when its turn comes again.
pub(crate) fn take_turn(world: &Shared, baton: &Baton) {
    let me = current_worker();
    let reached = lock(world).elapsed;
    let at = baton.pass(me, reached);
    resume(world, me, at);
}

/// Worker `me` runs now, at its time `at`.
pub(crate) fn resume(world: &Shared, me: usize, at: Duration) {
    let mut world = lock(world);
    world.elapsed = at;
    world.worker = me;
}

/// Who is waiting on a [`SimClock`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Waiter {
    Client,
    Job,
}

/// Virtual time: `now` and `wall` read the schedule's clock, `sleep`
/// moves it at once and writes the wait into the trace.
#[derive(Debug, Clone)]
pub struct SimClock {
    pub(crate) world: Shared,
    pub(crate) base: Instant,
    pub(crate) waiter: Waiter,
    pub(crate) baton: Option<Arc<Baton>>,
}

impl Clock for SimClock {
    fn now(&self) -> Instant {
        self.base + lock(&self.world).elapsed
    }

    fn wall(&self) -> SystemTime {
        lock(&self.world).wall()
    }

    fn sleep(&self, duration: Duration) {
        let mut world = lock(&self.world);
        match self.waiter {
            Waiter::Client => {
                let me = world.worker;
                let before = world.calls[me].broken.len();
                world.event(What::ClientWait(duration));
                world.elapsed += duration;
                let now = world.elapsed;
                world.calls[me].client_waited(now, duration);
                world.flush_broken(before);
            }
            Waiter::Job => {
                world.event(What::JobWait(duration));
                world.elapsed += duration;
            }
        }
        drop(world);
        // A wait is where another worker of a fleet may run.
        if let Some(baton) = &self.baton {
            take_turn(&self.world, baton);
        }
    }
}
