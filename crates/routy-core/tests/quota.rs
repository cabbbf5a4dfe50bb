//! Many callers, one quota: the server's word about a spent window holds
//! for every call of a client. The interleavings of several callers are
//! spelled out by driving call machines that share one gate by hand, at
//! made-up instants; the client's own rules run on a `ManualClock`. No
//! test here waits on the wall clock.

#![allow(
    clippy::unwrap_used,
    reason = "a test helper that fails should panic loudly"
)]

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use routy_core::call::{Call, Event, Finished, Step};
use routy_core::clock::{Clock, ManualClock};
use routy_core::defaults::{DEFAULT_MAX_QUOTA_HOLD, QUOTA_SPREAD};
use routy_core::http::{Method, Request, Response};
use routy_core::policy::{QuotaGate, RetryAfter};
use routy_core::{
    ApiErrorKind, ApiKey, CallOptions, Client, Config, Error, QuotaScope, RetryPolicy, Transport,
};

mod support;
use support::{ClientBuilder, TOKEN};

const SECOND: Duration = Duration::from_secs(1);

fn answer(status: u16, headers: &[(&str, &str)]) -> Response<Vec<u8>> {
    let mut response = Response::builder().status(status);
    for (name, value) in headers {
        response = response.header(*name, *value);
    }
    response.body(b"[]".to_vec()).unwrap()
}

/// One caller: a call machine over the shared gate, driven by hand.
struct Caller<'a> {
    call: Call<'a>,
}

impl<'a> Caller<'a> {
    fn new(
        config: &'a Config,
        key: &'a ApiKey,
        gate: &'a QuotaGate,
        path: &str,
        seed: u64,
    ) -> Self {
        let uri = config.base_url().join(path).unwrap();
        Caller {
            call: Call::new(config, key, Method::GET, uri, None)
                .quota(gate)
                .jitter_seed(seed),
        }
    }

    fn start(&mut self, now: Instant) -> Step {
        self.call.next(Event::Start {
            now,
            wall: SystemTime::UNIX_EPOCH,
        })
    }

    fn answered(&mut self, response: Response<Vec<u8>>, now: Instant) -> Step {
        self.call.next(Event::Sent {
            result: Ok(response),
            now,
        })
    }

    fn waited(&mut self, now: Instant) -> Step {
        self.call.next(Event::Waited { now })
    }
}

fn wait_of(step: &Step) -> Duration {
    match step {
        Step::Wait(delay) => *delay,
        other => panic!("expected a wait, got {other:?}"),
    }
}

fn is_send(step: &Step) -> bool {
    matches!(step, Step::Send(_))
}

fn finished(step: Step) -> Finished {
    match step {
        Step::Done(Ok(finished)) => finished,
        other => panic!("expected a response, got {other:?}"),
    }
}

/// What several callers of one client share: its config, key and gate.
struct Shared {
    config: Config,
    key: ApiKey,
    gate: QuotaGate,
    t0: Instant,
}

impl Shared {
    fn new() -> Self {
        Shared {
            config: Config::default(),
            key: ApiKey::new(TOKEN).unwrap(),
            gate: QuotaGate::new(QuotaScope::Client),
            t0: ManualClock::new().now(),
        }
    }

    /// A caller of `path`, drawing its spread from `seed`.
    fn caller(&self, path: &str, seed: u64) -> Caller<'_> {
        Caller::new(&self.config, &self.key, &self.gate, path, seed)
    }
}

#[test]
fn a_429_holds_every_other_caller_until_retry_after_and_releases_them_spread() {
    let shared = Shared::new();
    let t0 = shared.t0;

    // A is sent and answered 429, come back in 2 s: it waits 2 s to retry.
    let mut a = shared.caller("/v1/accounts", 1);
    assert!(is_send(&a.start(t0)));
    let a_wait = wait_of(&a.answered(answer(429, &[("retry-after", "2")]), t0));
    assert_eq!(a_wait, 2 * SECOND);

    // B and C start half a second later, on another path: neither is
    // sent; each waits out the rest of the window and a seeded share of
    // the spread, so they do not leave at the same instant.
    let half = t0 + SECOND / 2;
    let mut b = shared.caller("/v1/accounts/7", 2);
    let mut c = shared.caller("/v1/accounts/8", 3);
    let (b_wait, c_wait) = (wait_of(&b.start(half)), wait_of(&c.start(half)));
    for wait in [b_wait, c_wait] {
        assert!(
            wait >= 3 * SECOND / 2,
            "never before the window opens: {wait:?}"
        );
        assert!(
            wait < 3 * SECOND / 2 + QUOTA_SPREAD,
            "spread, not held longer: {wait:?}"
        );
    }
    assert_ne!(b_wait, c_wait, "released spread, not all at once");

    // A's retry leaves when the window opens and is served.
    let open = t0 + 2 * SECOND;
    assert!(is_send(&a.waited(open)));
    assert_eq!(finished(a.answered(answer(200, &[]), open)).attempts, 2);

    // B and C leave when their waits are over, one attempt each.
    assert!(is_send(&b.waited(half + b_wait)));
    assert_eq!(
        finished(b.answered(answer(200, &[]), half + b_wait)).attempts,
        1
    );
    assert!(is_send(&c.waited(half + c_wait)));
    assert_eq!(
        finished(c.answered(answer(200, &[]), half + c_wait)).attempts,
        1
    );
}

#[test]
fn a_success_that_spends_the_window_holds_the_next_caller_until_the_reset() {
    let shared = Shared::new();
    let t0 = shared.t0;

    let mut a = shared.caller("/v1/accounts", 1);
    assert!(is_send(&a.start(t0)));
    let spent = answer(
        200,
        &[("ratelimit-remaining", "0"), ("ratelimit-reset", "3")],
    );
    finished(a.answered(spent, t0));

    let mut b = shared.caller("/v1/accounts", 2);
    let wait = wait_of(&b.start(t0 + SECOND));
    assert!(
        wait >= 2 * SECOND && wait < 2 * SECOND + QUOTA_SPREAD,
        "{wait:?}"
    );
    // Once the window has reset, nobody is held.
    let mut c = shared.caller("/v1/accounts", 3);
    assert!(is_send(&c.start(t0 + 4 * SECOND)));
}

#[test]
fn a_caller_that_cannot_wait_that_long_fails_at_once_unsent() {
    let shared = Shared::new();
    let t0 = shared.t0;

    // 30 s is longer than the default policy waits (10 s): A's call ends
    // with the server's 429 (the client makes it an error), unretried.
    let mut a = shared.caller("/v1/accounts", 1);
    assert!(is_send(&a.start(t0)));
    let refused = finished(a.answered(answer(429, &[("retry-after", "30")]), t0));
    assert_eq!(
        (refused.response.status().as_u16(), refused.attempts),
        (429, 1)
    );

    // B, ten seconds on, would wait 20 s: it fails at once, not sent,
    // saying when to come back.
    let mut b = shared.caller("/v1/accounts", 2);
    let Step::Done(Err(Error::Api(held))) = b.start(t0 + 10 * SECOND) else {
        panic!("held, not sent")
    };
    assert!(held.is_held());
    assert_eq!(held.kind(), ApiErrorKind::RateLimited);
    assert_eq!(held.attempts(), 0);
    assert_eq!(held.retry_after(), Some(RetryAfter::Delay(20 * SECOND)));
    let message = Error::Api(held).to_string();
    assert!(message.contains("not sent: the client held the call for the server's rate-limit window (retry after 20 s)"), "{message}");
}

/// A client on a `ManualClock` over a scripted transport that records
/// what it was sent.
struct Scripted {
    client: Client<Arc<dyn Transport>>,
    clock: ManualClock,
    seen: Seen,
}

/// Each request sent, with the time since the client was built.
type Seen = Arc<Mutex<Vec<(Duration, Request<Vec<u8>>)>>>;

fn scripted(
    answers: Vec<Response<Vec<u8>>>,
    configure: impl FnOnce(ClientBuilder) -> ClientBuilder,
) -> Scripted {
    let clock = ManualClock::new();
    let started = clock.now();
    let answers = Arc::new(Mutex::new(VecDeque::from(answers)));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let transport: Arc<dyn Transport> = Arc::new({
        let (seen, clock) = (Arc::clone(&seen), clock.clone());
        routy_core::transport_fn(move |req| {
            seen.lock().unwrap().push((clock.now() - started, req));
            Ok(answers
                .lock()
                .unwrap()
                .pop_front()
                .unwrap_or_else(|| answer(200, &[])))
        })
    });
    let builder = configure(
        ClientBuilder::new()
            .api_key(ApiKey::new(TOKEN).unwrap())
            .clock(clock.clone())
            .jitter_seed(7),
    );
    Scripted {
        client: builder.build_with(transport).unwrap(),
        clock,
        seen,
    }
}

#[test]
fn waiting_out_429s_spends_no_attempt_and_nothing_of_the_budget_and_an_outage_still_does() {
    // A budget of one retry; five calls that each meet a 429 with
    // `Retry-After: 1` before their answer.
    let mut answers = Vec::new();
    for _ in 0..5 {
        answers.push(answer(429, &[("retry-after", "1")]));
        answers.push(answer(200, &[]));
    }
    let s = scripted(answers, |b| b.retry_budget(1));
    for _ in 0..5 {
        s.client.accounts().unwrap();
    }
    assert_eq!(s.seen.lock().unwrap().len(), 10);

    // Nor an attempt: a call that meets four 429s before its answer is
    // served (the time waited and the deadline bound it); with no
    // retries at all it is not retried.
    let mut answers = vec![answer(429, &[("retry-after", "1")]); 4];
    answers.push(answer(200, &[]));
    let s = scripted(answers, |b| b);
    s.client.accounts().unwrap();
    assert_eq!(s.seen.lock().unwrap().len(), 5);
    let s = scripted(vec![answer(429, &[("retry-after", "1")])], |b| {
        b.retry(RetryPolicy::none())
    });
    assert_eq!(s.client.accounts().unwrap_err().attempts(), 1);

    // A storm of 503s without `Retry-After` spends the one retry: the
    // first call is retried, the second is not.
    let s = scripted(vec![answer(503, &[]); 4], |b| b.retry_budget(1));
    assert_eq!(s.client.accounts().unwrap_err().attempts(), 2);
    assert_eq!(s.client.accounts().unwrap_err().attempts(), 1);
}

#[test]
fn every_clone_waits_through_the_clients_clock_and_a_new_key_is_a_new_quota() {
    let s = scripted(
        vec![answer(
            200,
            &[("ratelimit-remaining", "0"), ("ratelimit-reset", "2")],
        )],
        |b| b,
    );
    s.client.accounts().unwrap();
    // A clone's call waits for the window (through the client's clock),
    // then is sent.
    let clone = s.client.clone();
    clone.accounts().unwrap();
    let seen = s.seen.lock().unwrap();
    assert_eq!(seen.len(), 2);
    assert!(
        seen[1].0 >= 2 * SECOND && seen[1].0 < 2 * SECOND + QUOTA_SPREAD,
        "{:?}",
        seen[1].0
    );
    assert_eq!(s.clock.sleeps().len(), 1);
    drop(seen);

    // The window was the old key's: after a rotation nothing waits.
    let s = scripted(
        vec![answer(
            200,
            &[("ratelimit-remaining", "0"), ("ratelimit-reset", "30")],
        )],
        |b| b,
    );
    s.client.accounts().unwrap();
    assert!(s
        .client
        .accounts()
        .unwrap_err()
        .to_string()
        .contains("not sent"));
    s.client
        .set_api_key(ApiKey::new("another-token-of-the-same-integration").unwrap());
    s.client.accounts().unwrap();
    assert_eq!(
        s.seen.lock().unwrap().len(),
        2,
        "the held call was never sent"
    );
    assert!(s.clock.sleeps().is_empty());
}

#[test]
fn scope_route_holds_one_path_and_scope_off_holds_nothing() {
    let spent = || answer(429, &[("retry-after", "30")]);
    let never = |b: ClientBuilder| b.retry(RetryPolicy::none());

    let s = scripted(vec![spent()], |b| never(b).quota_scope(QuotaScope::Route));
    assert!(!held(s.client.get::<serde_json::Value>("/v1/reports")));
    assert!(
        held(s.client.get::<serde_json::Value>("/v1/reports?page=2")),
        "same path"
    );
    s.client.accounts().unwrap();

    let s = scripted(vec![spent()], |b| never(b).quota_scope(QuotaScope::Off));
    assert!(!held(s.client.get::<serde_json::Value>("/v1/reports")));
    s.client.get::<serde_json::Value>("/v1/reports").unwrap();
    assert_eq!(s.seen.lock().unwrap().len(), 2);
}

fn held<T: std::fmt::Debug>(result: Result<T, Error>) -> bool {
    match result {
        Err(Error::Api(err)) => err.is_held(),
        _ => false,
    }
}

#[test]
fn a_calls_own_policy_decides_how_long_it_may_be_held() {
    let spent = answer(
        200,
        &[("ratelimit-remaining", "0"), ("ratelimit-reset", "5")],
    );
    let s = scripted(vec![spent], |b| b);
    s.client.accounts().unwrap();
    // No retries is not "never wait": the window opens within
    // max_retry_after (10 s), so the call waits and is sent once.
    let none = CallOptions::new().retry(RetryPolicy::none());
    s.client
        .call_with(routy_core::endpoint::Accounts, &none)
        .unwrap();
    // A policy that waits for nothing fails at once instead.
    let s = scripted(
        vec![answer(
            200,
            &[("ratelimit-remaining", "0"), ("ratelimit-reset", "5")],
        )],
        |b| b,
    );
    s.client.accounts().unwrap();
    let impatient = CallOptions::new().retry(RetryPolicy::none().max_retry_after(Duration::ZERO));
    let err = s
        .client
        .call_with(routy_core::endpoint::Accounts, &impatient)
        .unwrap_err();
    assert!(held(Err::<(), _>(err)));
    assert_eq!(s.seen.lock().unwrap().len(), 1);
}

#[test]
fn a_hold_never_outlasts_the_calls_deadline() {
    let spent = answer(
        200,
        &[("ratelimit-remaining", "0"), ("ratelimit-reset", "8")],
    );
    let s = scripted(vec![spent], |b| b.call_timeout(Duration::from_secs(5)));
    s.client.accounts().unwrap();
    let err = s.client.accounts().unwrap_err();
    assert!(held(Err::<(), _>(err)));
    assert!(
        s.clock.sleeps().is_empty(),
        "failed at once, without waiting"
    );
}

#[test]
fn a_server_naming_a_time_out_of_range_holds_nobody_for_years_and_panics_nowhere() {
    // A reset given as a Unix time in the year 9999 is no time a server
    // means: ignored, the next call is sent.
    let shared = Shared::new();
    let t0 = shared.t0;
    let mut a = shared.caller("/v1/accounts", 1);
    assert!(is_send(&a.start(t0)));
    let year_9999 = [
        ("ratelimit-remaining", "0"),
        ("ratelimit-reset", "253402300799"),
    ];
    finished(a.answered(answer(200, &year_9999), t0));
    assert!(is_send(
        &shared.caller("/v1/accounts", 2).start(t0 + SECOND)
    ));

    // A Retry-After of u64::MAX seconds holds for the hold limit (an
    // hour) at most: the next call ends at once, unsent, saying so.
    let shared = Shared::new();
    let mut a = shared.caller("/v1/accounts", 1);
    assert!(is_send(&a.start(t0)));
    finished(a.answered(answer(429, &[("retry-after", "18446744073709551615")]), t0));
    let mut b = shared.caller("/v1/accounts", 2);
    let Step::Done(Err(Error::Api(held))) = b.start(t0 + SECOND) else {
        panic!("held, not sent")
    };
    assert!(held.is_held());
    assert_eq!(held.attempts(), 0);
    assert_eq!(
        held.retry_after(),
        Some(RetryAfter::Delay(DEFAULT_MAX_QUOTA_HOLD - SECOND))
    );
}

#[test]
fn pacing_spreads_calls_over_what_is_left_of_the_window() {
    let gate = QuotaGate::new(QuotaScope::Client).pacing(true);
    let key = ApiKey::new(TOKEN).unwrap();
    let t0 = ManualClock::new().now();
    // Four requests left in the 2 s before the reset: one every 0.5 s
    // (what the call machine works out from the answer).
    // The request that brought the word took the first turn.
    gate.pace(&key, "/v1/accounts", t0, SECOND / 2, 2 * SECOND);
    assert_eq!(
        gate.admit(&key, "/v1/accounts", t0, Duration::ZERO, true),
        Some(SECOND / 2)
    );
    let t0 = t0 + SECOND / 2;
    assert_eq!(
        gate.admit(&key, "/v1/accounts", t0, Duration::ZERO, true),
        None
    );
    assert_eq!(
        gate.admit(&key, "/v1/accounts", t0, Duration::ZERO, true),
        Some(SECOND / 2)
    );
    assert_eq!(
        gate.admit(&key, "/v1/accounts", t0 + SECOND / 4, Duration::ZERO, true),
        Some(SECOND / 4)
    );
    assert_eq!(
        gate.admit(&key, "/v1/accounts", t0 + SECOND / 2, Duration::ZERO, true),
        None
    );
    // Without pacing the same answer holds nobody back.
    let plain = QuotaGate::new(QuotaScope::Client);
    plain.pace(&key, "/v1/accounts", t0, SECOND / 2, 2 * SECOND);
    assert_eq!(
        plain.admit(&key, "/v1/accounts", t0, Duration::ZERO, false),
        None
    );
    assert_eq!(
        plain.admit(&key, "/v1/accounts", t0, Duration::ZERO, false),
        None
    );
}

#[test]
fn a_redirect_hop_waits_for_a_window_another_caller_was_told_is_spent() {
    let shared = Shared::new();
    let t0 = shared.t0;
    // B is sent; meanwhile A is answered 429, come back in 2 s.
    let mut b = shared.caller("/v1/accounts", 2);
    assert!(is_send(&b.start(t0)));
    let mut a = shared.caller("/v1/accounts/7", 1);
    assert!(is_send(&a.start(t0)));
    let _ = a.answered(answer(429, &[("retry-after", "2")]), t0);
    // B's answer is a redirect on the same origin: its next hop is a
    // request like any other, held until the window opens.
    let hop = b.answered(answer(302, &[("location", "/api/v1/accounts?page=1")]), t0);
    let wait = wait_of(&hop);
    assert!(
        wait >= 2 * SECOND && wait < 2 * SECOND + QUOTA_SPREAD,
        "{wait:?}"
    );
    let sent = b.waited(t0 + wait);
    assert!(is_send(&sent), "the hop leaves once the window opens");
    let done = finished(b.answered(answer(200, &[]), t0 + wait));
    assert_eq!(done.attempts, 1, "a held hop is not a new attempt");
}
