//! The quota gate keeps its judgment whatever a server says: a server
//! that answers "now" gets no hot loop, one that names a century gets a
//! hold no longer than the limit and then a probe, a rotated key is the
//! key of every later request, pacing lapses with its window, every
//! rate-limit field servers send is read, and an outage's burst of
//! answers spends the retry budget once. Every client here runs on a
//! `ManualClock` against a scripted server; the callers sharing one gate
//! are driven by hand at made-up instants. Nothing waits on the wall
//! clock.

#![allow(
    clippy::unwrap_used,
    reason = "a test helper that fails should panic loudly"
)]

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use routy_core::call::{Call, Event, Step};
use routy_core::clock::{Clock, ManualClock};
use routy_core::defaults::{DEFAULT_MAX_QUOTA_HOLD, QUOTA_SPREAD};
use routy_core::http::{Method, Request, Response};
use routy_core::policy::{QuotaGate, RetryBudget};
use routy_core::{
    ApiErrorKind, ApiKey, Client, Config, Error, QuotaScope, RetryAfter, RetryPolicy, SharedKey,
    Transport,
};

mod support;
use support::{ClientBuilder, TOKEN};

const SECOND: Duration = Duration::from_secs(1);
const MS: Duration = Duration::from_millis(1);

fn answer(status: u16, headers: &[(&str, &str)]) -> Response<Vec<u8>> {
    let mut response = Response::builder().status(status);
    for (name, value) in headers {
        response = response.header(*name, *value);
    }
    response.body(b"[]".to_vec()).unwrap()
}

/// One request as the server saw it: when (since the client was built),
/// the key it carried, and the status it was answered with.
#[derive(Debug, Clone)]
struct Seen {
    at: Duration,
    key: String,
    status: u16,
    /// The answer named a wait (a `Retry-After` routy reads).
    paced: bool,
}

/// A client on a `ManualClock` over a server that answers each request
/// by what it is, its number and the time.
struct Scripted {
    client: Client<Arc<dyn Transport>>,
    clock: ManualClock,
    seen: Arc<Mutex<Vec<Seen>>>,
}

type Server = dyn Fn(usize, Duration, &Request<Vec<u8>>) -> Response<Vec<u8>> + Send + Sync;

fn scripted(
    server: impl Fn(usize, Duration, &Request<Vec<u8>>) -> Response<Vec<u8>> + Send + Sync + 'static,
    configure: impl FnOnce(ClientBuilder) -> ClientBuilder,
) -> Scripted {
    let clock = ManualClock::new();
    let started = clock.now();
    let seen = Arc::new(Mutex::new(Vec::<Seen>::new()));
    let server: Arc<Server> = Arc::new(server);
    let transport: Arc<dyn Transport> = Arc::new({
        let (seen, clock) = (Arc::clone(&seen), clock.clone());
        routy_core::transport_fn(move |req| {
            let at = clock.now() - started;
            let n = seen.lock().unwrap().len();
            let response = server(n, at, &req);
            let key = req.headers()["authorization"].to_str().unwrap().to_owned();
            let status = response.status().as_u16();
            let paced = RetryAfter::from_headers(response.headers()).is_some();
            seen.lock().unwrap().push(Seen {
                at,
                key,
                status,
                paced,
            });
            Ok(response)
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

impl Scripted {
    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    fn requests(&self) -> usize {
        self.seen.lock().unwrap().len()
    }

    /// The time since the client was built.
    fn elapsed(&self, since: Instant) -> Duration {
        self.clock.now() - since
    }
}

fn held<T: std::fmt::Debug>(result: Result<T, Error>) -> Option<RetryAfter> {
    match result {
        Err(Error::Api(err)) if err.is_held() => err.retry_after(),
        _ => None,
    }
}

/// The wall time of a fresh `ManualClock` plus `later`, as an HTTP date.
fn http_date(later: Duration) -> String {
    let wall = ManualClock::new().wall() + later;
    httpdate::fmt_http_date(wall)
}

#[test]
fn a_server_that_says_now_gets_at_most_max_attempts_requests_and_never_a_hot_loop() {
    let past = httpdate::fmt_http_date(SystemTime::UNIX_EPOCH + Duration::from_secs(978_307_200));
    let now = http_date(Duration::ZERO);
    for retry_after in ["0", past.as_str(), now.as_str()] {
        let ra = retry_after.to_owned();
        let s = scripted(move |_, _, _| answer(429, &[("retry-after", &ra)]), |b| b);
        let err = s.client.accounts().unwrap_err();
        // Three attempts (the default), not 119,000.
        assert_eq!(s.requests(), 3, "{retry_after}");
        assert_eq!(err.attempts(), 3, "{retry_after}");
        // Each retry waits the base delay (200 ms) and its jitter at least.
        let sleeps = s.clock.sleeps();
        assert_eq!(sleeps.len(), 2, "{retry_after}: {sleeps:?}");
        assert!(
            sleeps.iter().all(|d| *d >= 200 * MS && *d < 400 * MS),
            "{retry_after}: {sleeps:?}"
        );
        // And they are counted against the budget like any failure.
        let s = scripted(
            |_, _, _| answer(429, &[("retry-after", "0")]),
            |b| b.retry_budget(1),
        );
        assert_eq!(s.client.accounts().unwrap_err().attempts(), 2);
        assert_eq!(s.client.accounts().unwrap_err().attempts(), 1);
    }
    // A server that paces for real (a second or more) is still obeyed,
    // and its waits spend no attempt: five 429s, then the answer.
    let s = scripted(
        |n, _, _| match n {
            0..5 => answer(429, &[("retry-after", "1")]),
            _ => answer(200, &[]),
        },
        |b| b,
    );
    s.client.accounts().unwrap();
    assert_eq!(s.requests(), 6);
    assert!(s.clock.sleeps().iter().all(|d| *d >= SECOND));
}

#[test]
fn a_century_is_held_to_the_limit_then_one_probe_decides() {
    let year_9999 = "Fri, 31 Dec 9999 23:59:59 GMT";
    for retry_after in ["18446744073709551615", year_9999] {
        // Spent "for ever" until the hour has passed; then recovered.
        let ra = retry_after.to_owned();
        let s = scripted(
            move |_, at, _| {
                if at < DEFAULT_MAX_QUOTA_HOLD {
                    answer(429, &[("retry-after", &ra)])
                } else {
                    answer(200, &[])
                }
            },
            |b| b,
        );
        let t0 = s.clock.now();
        // The call that met it ends at once (longer than its policy
        // waits), and the next is held: for the hour at most, not years.
        let first = s.client.accounts().unwrap_err();
        assert_eq!(first.attempts(), 1, "{retry_after}");
        let Some(RetryAfter::Delay(wait)) = held(s.client.accounts()) else {
            panic!("held, not sent")
        };
        assert_eq!(wait, DEFAULT_MAX_QUOTA_HOLD, "{retry_after}");
        // Once the hour is over, one request probes; the server has
        // recovered, so the gate opens for every call after it.
        s.clock.advance(DEFAULT_MAX_QUOTA_HOLD);
        s.client.accounts().unwrap();
        s.client.accounts().unwrap();
        assert_eq!(s.requests(), 3, "{retry_after}");
        assert!(s.elapsed(t0) < DEFAULT_MAX_QUOTA_HOLD + SECOND);
    }

    // A probe that meets "spent" again closes the gate again: one request
    // per hold, however long the server keeps saying so.
    let s = scripted(
        |_, _, _| answer(429, &[("retry-after", "99999999999")]),
        |b| b.max_quota_hold(Duration::from_secs(60)),
    );
    for _ in 0..3 {
        let _ = s.client.accounts().unwrap_err();
        assert!(held(s.client.accounts()).is_some());
        s.clock.advance(Duration::from_secs(60));
    }
    assert_eq!(s.requests(), 3, "one probe a minute");
}

#[test]
fn while_a_probe_is_out_the_others_wait_for_its_answer() {
    let config = Config::default();
    let key = ApiKey::new(TOKEN).unwrap();
    let gate = QuotaGate::new(QuotaScope::Client).hold_limit(Duration::from_secs(60));
    let t0 = ManualClock::new().now();
    gate.close(&key, "/", t0, t0, Duration::from_secs(3_153_600_000));
    let after = t0 + Duration::from_secs(60);
    let mut probe = caller(&config, &key, &gate, 1);
    let mut other = caller(&config, &key, &gate, 2);
    assert!(matches!(probe.next(start(after)), Step::Send(_)));
    // The other caller waits (a second at most) rather than go beside it.
    let Step::Wait(wait) = other.next(start(after)) else {
        panic!("held behind the probe")
    };
    assert!(wait <= SECOND + QUOTA_SPREAD, "{wait:?}");
    // The probe is answered: the server has recovered, the gate opens.
    let done = probe.next(Event::Sent {
        result: Ok(answer(200, &[])),
        now: after + 10 * MS,
    });
    assert!(matches!(done, Step::Done(Ok(_))));
    assert!(matches!(
        other.next(Event::Waited { now: after + wait }),
        Step::Send(_)
    ));
    let mut late = caller(&config, &key, &gate, 3);
    assert!(matches!(late.next(start(after + 20 * MS)), Step::Send(_)));
}

fn caller<'a>(config: &'a Config, key: &'a ApiKey, gate: &'a QuotaGate, seed: u64) -> Call<'a> {
    let uri = config.base_url().join("/v1/accounts").unwrap();
    Call::new(config, key, Method::GET, uri, None)
        .quota(gate)
        .jitter_seed(seed)
}

fn start(now: Instant) -> Event {
    Event::Start {
        now,
        wall: SystemTime::UNIX_EPOCH + Duration::from_secs(1_767_225_600),
    }
}

#[test]
fn resets_are_read_as_seconds_unix_times_or_milliseconds_and_nonsense_is_ignored() {
    let wall = ManualClock::new()
        .wall()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap();
    let in_5_s = wall + Duration::from_secs(5);
    let millis = in_5_s.as_millis().to_string();
    let seconds = in_5_s.as_secs().to_string();
    // A reset in milliseconds or seconds since the epoch: held 5 s.
    for reset in [millis, seconds] {
        let r = reset.clone();
        let s = scripted(
            move |n, _, _| match n {
                0 => answer(
                    200,
                    &[("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", &r)],
                ),
                _ => answer(200, &[]),
            },
            |b| b,
        );
        s.client.accounts().unwrap();
        s.client.accounts().unwrap();
        let sleeps = s.clock.sleeps();
        assert_eq!(sleeps.len(), 1, "{reset}");
        assert!(
            sleeps[0] >= 5 * SECOND && sleeps[0] < 5 * SECOND + QUOTA_SPREAD,
            "{reset}: {sleeps:?}"
        );
    }
    // A reset that cannot be a time a server means (31 years ahead, the
    // year 9999, 11 digits) holds nobody: the next call goes at once.
    for reset in ["999999999", "253402300799", "99999999999"] {
        let s = scripted(
            move |n, _, _| match n {
                0 => answer(
                    200,
                    &[("ratelimit-remaining", "0"), ("ratelimit-reset", reset)],
                ),
                _ => answer(200, &[]),
            },
            |b| b.pace(true),
        );
        s.client.accounts().unwrap();
        s.client.accounts().unwrap();
        assert!(s.clock.sleeps().is_empty(), "{reset}");
        // Nor does pacing take it as a window of that length.
        let s = scripted(
            move |n, _, _| match n {
                0 => answer(
                    200,
                    &[("ratelimit-remaining", "1"), ("ratelimit-reset", reset)],
                ),
                _ => answer(200, &[]),
            },
            |b| b.pace(true),
        );
        for _ in 0..3 {
            s.client.accounts().unwrap();
        }
        assert!(s.clock.sleeps().is_empty(), "{reset}");
    }
}

#[test]
fn a_retry_after_a_rotation_sends_the_new_key() {
    let slot = SharedKey::new(ApiKey::new(TOKEN).unwrap());
    let new_key = "another-token-of-the-same-integration";
    let rotate = slot.clone();
    // The server answers the first request 429 (come back in 2 s), and
    // the key is rotated while the call waits it out.
    let s = scripted(
        move |n, _, _| {
            if n == 0 {
                rotate.set(ApiKey::new(new_key).unwrap());
                answer(429, &[("retry-after", "2")])
            } else {
                answer(200, &[])
            }
        },
        |b| b.shared_key(slot.clone()),
    );
    s.client.accounts().unwrap();
    let keys: Vec<String> = s.seen().into_iter().map(|seen| seen.key).collect();
    assert_eq!(
        keys,
        [format!("ApiKey {TOKEN}"), format!("ApiKey {new_key}")]
    );
}

#[test]
fn a_call_held_on_the_old_keys_window_is_released_under_the_new_key() {
    let config = Config::default();
    let slot = SharedKey::new(ApiKey::new(TOKEN).unwrap());
    let gate = QuotaGate::new(QuotaScope::Client);
    let t0 = ManualClock::new().now();
    let old = slot.get();
    // A meets a 429 on the old key: the window is spent for 2 s.
    let mut a = caller(&config, &old, &gate, 1).key_source(&slot);
    assert!(matches!(a.next(start(t0)), Step::Send(_)));
    let step = a.next(Event::Sent {
        result: Ok(answer(429, &[("retry-after", "2")])),
        now: t0,
    });
    assert!(matches!(step, Step::Wait(_)));
    // B starts on the old key and is held by its window.
    let mut b = caller(&config, &old, &gate, 2).key_source(&slot);
    let Step::Wait(wait) = b.next(start(t0 + 100 * MS)) else {
        panic!("held")
    };
    // The key is rotated; when B's wait ends, it is admitted under the
    // new key's quota (nothing said about it) and sends the new key.
    let new = ApiKey::new("another-token-of-the-same-integration").unwrap();
    slot.set(new.clone());
    let Step::Send(request) = b.next(Event::Waited {
        now: t0 + 100 * MS + wait,
    }) else {
        panic!("released")
    };
    assert_eq!(request.headers()["authorization"], new.header_value());
    // A server that echoes the old key in its answer to the new one
    // finds both kept out of the error.
    let echo = format!(
        "{{\"detail\": \"bad key {TOKEN}, then {}\"}}",
        new.expose_secret()
    );
    let Step::Done(Ok(finished)) = b.next(Event::Sent {
        result: Ok(Response::builder()
            .status(401)
            .body(echo.into_bytes())
            .unwrap()),
        now: t0 + 3 * SECOND,
    }) else {
        panic!("answered")
    };
    assert_eq!(finished.response.status(), 401);

    // Through a client: the error it makes of such an answer holds
    // neither key.
    let slot = SharedKey::new(ApiKey::new(TOKEN).unwrap());
    let rotate = slot.clone();
    let s = scripted(
        move |n, _, _| {
            if n == 0 {
                rotate.set(ApiKey::new("another-token-of-the-same-integration").unwrap());
                return answer(429, &[("retry-after", "2")]);
            }
            let body = format!(
                "{{\"detail\": \"bad key {TOKEN}, then another-token-of-the-same-integration\"}}"
            );
            Response::builder()
                .status(401)
                .header("content-type", "application/json")
                .body(body.into_bytes())
                .unwrap()
        },
        |b| b.shared_key(slot.clone()),
    );
    let err = s.client.accounts().unwrap_err();
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains(TOKEN), "{shown}");
    assert!(!shown.contains("another-token"), "{shown}");
    assert!(shown.contains("[redacted]"), "{shown}");
}

#[test]
fn pacing_ends_with_the_window_it_was_told_of() {
    // One answer says one request is left of the 2 s to the reset; then
    // plain answers. The next call waits its turn (2 s); after the reset
    // nothing is paced any more.
    let s = scripted(
        |n, _, _| match n {
            0 => answer(
                200,
                &[("ratelimit-remaining", "1"), ("ratelimit-reset", "2")],
            ),
            _ => answer(200, &[]),
        },
        |b| b.pace(true),
    );
    for _ in 0..6 {
        s.client.accounts().unwrap();
    }
    let sleeps = s.clock.sleeps();
    assert_eq!(sleeps.len(), 1, "{sleeps:?}");
    assert!(sleeps[0] <= 2 * SECOND + QUOTA_SPREAD, "{sleeps:?}");
}

#[test]
fn every_field_that_says_the_window_is_spent_holds_the_next_call() {
    let forms: [&[(&str, &str)]; 5] = [
        &[("ratelimit", r#""default";r=0;t=3"#)],
        &[("ratelimit", "limit=10, remaining=0, reset=3")],
        &[("ratelimit-remaining", "0"), ("ratelimit-reset", "3")],
        &[("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", "3")],
        // Two policies: the one with none left wins.
        &[("ratelimit", r#""hour";r=900;t=1800, "burst";r=0;t=3"#)],
    ];
    for form in forms {
        let fields: Vec<(String, String)> = form
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let s = scripted(
            move |n, _, _| {
                let fields: Vec<(&str, &str)> = fields
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .collect();
                if n == 0 {
                    answer(200, &fields)
                } else {
                    answer(200, &[])
                }
            },
            |b| b,
        );
        s.client.accounts().unwrap();
        s.client.accounts().unwrap();
        let seen = s.seen();
        assert!(
            seen[1].at >= 3 * SECOND && seen[1].at < 3 * SECOND + QUOTA_SPREAD,
            "{form:?}: {seen:?}"
        );
    }
}

#[test]
fn a_429_or_403_that_says_spent_only_through_its_fields_holds_like_retry_after() {
    let wall = ManualClock::new()
        .wall()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap();
    let reset = (wall + 2 * SECOND).as_secs().to_string();
    // GitHub's primary limit: a 429 naming its reset only in X-RateLimit.
    let r = reset.clone();
    let s = scripted(
        move |_, at, _| {
            if at < 2 * SECOND {
                answer(
                    429,
                    &[("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", &r)],
                )
            } else {
                answer(200, &[])
            }
        },
        |b| b,
    );
    let t0 = s.clock.now();
    let callers: Vec<Result<_, Error>> = (0..4).map(|_| s.client.accounts()).collect();
    assert!(callers.iter().all(Result::is_ok), "4 of 4 calls made");
    // One 429, then the retry when the window opened; then the rest.
    let statuses: Vec<u16> = s.seen().iter().map(|seen| seen.status).collect();
    assert_eq!(statuses, [429, 200, 200, 200, 200]);
    assert!(s.elapsed(t0) >= 2 * SECOND);

    // A 403 saying so ends its own call (a 403 is not retried) but holds
    // the next until the reset.
    let s = scripted(
        move |n, _, _| match n {
            0 => answer(
                403,
                &[
                    ("x-ratelimit-remaining", "0"),
                    ("x-ratelimit-reset", &reset),
                ],
            ),
            _ => answer(200, &[]),
        },
        |b| b,
    );
    let Err(Error::Api(first)) = s.client.accounts() else {
        panic!("a 403 is an error")
    };
    assert_eq!(first.status(), 403);
    s.client.accounts().unwrap();
    let seen = s.seen();
    assert!(seen[1].at >= 2 * SECOND, "{seen:?}");
}

#[test]
fn a_known_policy_paces_before_the_first_429() {
    // 10 requests a minute: with pace(true), one every 6 s from the first
    // answer that names the policy, and no 429 ever.
    let s = scripted(
        |_, _, _| answer(200, &[("ratelimit-policy", r#""default";q=10;w=60"#)]),
        |b| b.pace(true),
    );
    for _ in 0..4 {
        s.client.accounts().unwrap();
    }
    let at: Vec<Duration> = s.seen().iter().map(|seen| seen.at).collect();
    for pair in at.windows(2) {
        assert!(pair[1] - pair[0] >= 6 * SECOND, "{at:?}");
        assert!(pair[1] - pair[0] < 6 * SECOND + QUOTA_SPREAD, "{at:?}");
    }
    // Without pacing, the policy alone holds nobody.
    let s = scripted(
        |_, _, _| answer(200, &[("ratelimit-policy", r#""default";q=10;w=60"#)]),
        |b| b,
    );
    for _ in 0..4 {
        s.client.accounts().unwrap();
    }
    assert!(s.clock.sleeps().is_empty());
}

/// 16 callers of one client (one gate, one budget of 10 retries) through a
/// 3 s outage in which the server answers 503 `Retry-After: 1`, driven as
/// a timeline: every step happens at the time it is due, in time order
/// (at a tie, the lower caller first), each request answered 1 to 16 ms
/// after it left (the burst's answers arrive over a few milliseconds, as
/// over a network). Returns the failed callers, the times requests left
/// and the retries left in the budget.
fn outage(budget_retries: u32) -> (usize, Vec<Duration>, u32) {
    let config = Config::default();
    let key = ApiKey::new(TOKEN).unwrap();
    let gate = QuotaGate::new(QuotaScope::Client);
    let budget = RetryBudget::new(budget_retries);
    let t0 = ManualClock::new().now();
    let mut calls: Vec<Call<'_>> = (0..16)
        .map(|n| caller(&config, &key, &gate, n).budget(&budget))
        .collect();
    // What each caller does next, by when.
    let mut due: BTreeMap<(Duration, usize), Event> = BTreeMap::new();
    for n in 0..16 {
        due.insert((Duration::ZERO, n), start(t0));
    }
    let (mut failed, mut sent) = (0, Vec::new());
    while let Some(((at, n), event)) = due.pop_first() {
        match calls[n].next(event) {
            Step::Send(_) => {
                sent.push(at);
                let answered = at + MS * (1 + (n as u32 * 7 + sent.len() as u32) % 16);
                let response = if answered < 3 * SECOND {
                    answer(503, &[("retry-after", "1")])
                } else {
                    answer(200, &[])
                };
                let result = Ok(response);
                due.insert(
                    (answered, n),
                    Event::Sent {
                        result,
                        now: t0 + answered,
                    },
                );
            }
            Step::Wait(wait) => {
                due.insert(
                    (at + wait, n),
                    Event::Waited {
                        now: t0 + at + wait,
                    },
                );
            }
            Step::Done(Ok(finished)) => {
                failed += usize::from(finished.response.status() != 200);
            }
            Step::Done(Err(_)) => failed += 1,
        }
    }
    (failed, sent, budget.remaining())
}

#[test]
fn an_outage_spends_the_budget_once_and_fails_no_call() {
    let (failed, sent, left) = outage(10);
    assert_eq!(failed, 0, "{sent:?}");
    // The opening burst: 16 requests at once. Then about one a second
    // while the outage lasts.
    assert_eq!(sent.iter().filter(|at| at.is_zero()).count(), 16);
    for second in 1..3 {
        let from = Duration::from_secs(second);
        let inside = sent
            .iter()
            .filter(|at| **at >= from && **at < from + SECOND)
            .count();
        assert!(
            inside <= 2,
            "{inside} requests in second {second}: {sent:?}"
        );
    }
    // The burst spent the budget once; each later 503 once more.
    assert!(left >= 10 - 4, "{left} retries left");
}

/// A tiny deterministic generator for the property test's answers.
struct Draws(u64);

impl Draws {
    fn below(&mut self, n: u64) -> u64 {
        // splitmix64
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        (z ^ (z >> 31)) % n
    }
}

/// One answer a server might give, hostile or not.
fn any_answer(draws: &mut Draws) -> Response<Vec<u8>> {
    let wait = [
        "0",
        "1",
        "3",
        "18446744073709551615",
        "Mon, 01 Jan 2001 00:00:00 GMT",
        "Fri, 31 Dec 9999 23:59:59 GMT",
        "-5",
        "soon",
    ];
    let reset = [
        "0",
        "2",
        "999999999",
        "1767225605",
        "1767225605000",
        "253402300799",
    ];
    let pick =
        |draws: &mut Draws, from: &[&'static str]| from[draws.below(from.len() as u64) as usize];
    let status = [200, 200, 429, 503, 403, 500][draws.below(6) as usize];
    let mut headers: Vec<(&str, String)> = Vec::new();
    if draws.below(2) == 0 {
        headers.push(("retry-after", pick(draws, &wait).to_owned()));
    }
    match draws.below(5) {
        0 => {
            headers.push(("x-ratelimit-remaining", draws.below(3).to_string()));
            headers.push(("x-ratelimit-reset", pick(draws, &reset).to_owned()));
        }
        1 => headers.push((
            "ratelimit",
            format!("\"p\";r={};t={}", draws.below(3), pick(draws, &reset)),
        )),
        2 => headers.push((
            "ratelimit-policy",
            format!("\"p\";q={};w=60", draws.below(20)),
        )),
        _ => {}
    }
    let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
    answer(status, &headers)
}

#[test]
fn no_sequence_of_answers_makes_a_call_loop_hot_or_hold_past_the_limit() {
    let limit = Duration::from_secs(600);
    for seed in 0..1000 {
        let draws = Arc::new(Mutex::new(Draws(seed)));
        let server = {
            let draws = Arc::clone(&draws);
            move |_, _, _: &Request<Vec<u8>>| any_answer(&mut draws.lock().unwrap())
        };
        let patient = RetryPolicy::default()
            .max_retry_after(Duration::from_secs(7200))
            .max_total_delay(Duration::from_secs(7200));
        let s = scripted(server, |b| {
            b.pace(true)
                .max_quota_hold(limit)
                .retry(patient)
                .call_timeout(None)
                .retry_budget(1000)
        });
        let mut sleeps_seen = 0;
        for _ in 0..5 {
            let before = s.requests();
            let _ = s.client.accounts();
            let seen = s.seen();
            let sleeps = s.clock.sleeps();
            // Every wait of this call is within the hold limit (a
            // Retry-After the policy accepts aside) and the spread.
            for sleep in &sleeps[sleeps_seen..] {
                assert!(
                    *sleep <= Duration::from_secs(7200) + QUOTA_SPREAD,
                    "seed {seed}: slept {sleep:?}"
                );
            }
            sleeps_seen = sleeps.len();
            // No retry the server paced closer than the base delay.
            let call = &seen[before..];
            for pair in call.windows(2) {
                assert!(
                    pair[1].at - pair[0].at >= 200 * MS || !pair[0].paced,
                    "seed {seed}: {call:?}"
                );
            }
            // At most three requests answered at once: every retry that
            // followed within a second was counted against max_attempts
            // (a wait the server asked for is a second or more).
            let quick = call
                .windows(2)
                .filter(|pair| pair[1].at - pair[0].at < SECOND)
                .count();
            assert!(quick < 3, "seed {seed}: {call:?}");
        }
        // And the gate itself never holds past its limit: a new call
        // that is held says so within it.
        if let Some(RetryAfter::Delay(wait)) = held(
            s.client.call_with(
                routy_core::endpoint::Accounts,
                &routy_core::CallOptions::new()
                    .retry(RetryPolicy::none().max_retry_after(Duration::ZERO)),
            ),
        ) {
            assert!(wait <= limit + SECOND, "seed {seed}: held for {wait:?}");
        }
    }
}

#[test]
fn a_held_call_names_a_time_within_the_limit() {
    let s = scripted(
        |_, _, _| answer(429, &[("retry-after", "18446744073709551615")]),
        |b| b.max_quota_hold(Duration::from_secs(90)),
    );
    let _ = s.client.accounts();
    let Err(Error::Api(err)) = s.client.accounts() else {
        panic!("held")
    };
    assert_eq!(err.kind(), ApiErrorKind::RateLimited);
    assert_eq!(
        err.retry_after(),
        Some(RetryAfter::Delay(Duration::from_secs(90)))
    );
    assert!(err.to_string().contains("(retry after 90 s)"), "{err}");
}
