//! The client's retry and redirect loop, driven by closure transports and a
//! `ManualClock`: no test here waits on the wall clock.

#![allow(
    clippy::unwrap_used,
    reason = "a test helper that fails should panic loudly"
)]

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use routy_core::clock::ManualClock;
use routy_core::defaults::MAX_DURATION;
use routy_core::http::{Method, Request, Response};
use routy_core::policy::RetryAfter;
use routy_core::{
    ApiErrorKind, ApiKey, Client, Error, RedirectErrorKind, RequestLimits, RetryPolicy,
    TransportError, TransportErrorKind,
};

mod support;
use support::{ClientBuilder, TOKEN};

/// What a scripted transport answers, in order.
enum Step {
    Status(u16, Vec<(&'static str, String)>),
    Fail(TransportErrorKind),
    /// Let this much (fake) time pass, then answer 200.
    Slow(Duration),
}

fn status(code: u16) -> Step {
    Step::Status(code, vec![])
}

fn with_retry_after(code: u16, value: &str) -> Step {
    Step::Status(code, vec![("retry-after", value.to_owned())])
}

type Seen = Arc<Mutex<Vec<Request<Vec<u8>>>>>;

struct Script {
    client: Client<Arc<dyn routy_core::Transport>>,
    clock: ManualClock,
    seen: Seen,
}

fn scripted(steps: Vec<Step>, configure: impl FnOnce(ClientBuilder) -> ClientBuilder) -> Script {
    let clock = ManualClock::new();
    let steps = Arc::new(Mutex::new(VecDeque::from(steps)));
    let seen: Seen = Arc::default();
    let transport = {
        let seen = Arc::clone(&seen);
        let clock = clock.clone();
        routy_core::transport_fn(move |req| {
            let step = steps
                .lock()
                .unwrap()
                .pop_front()
                .unwrap_or(Step::Status(200, vec![]));
            seen.lock().unwrap().push(req);
            match step {
                Step::Status(code, headers) => {
                    let mut response = Response::builder().status(code);
                    for (k, v) in headers {
                        response = response.header(k, v);
                    }
                    Ok(response.body(b"[]".to_vec()).unwrap())
                }
                Step::Fail(kind) => Err(TransportError::new(kind)),
                Step::Slow(by) => {
                    routy_core::clock::Clock::sleep(&clock, by);
                    Ok(Response::new(b"[]".to_vec()))
                }
            }
        })
    };
    let builder = ClientBuilder::new()
        .api_key(ApiKey::new(TOKEN).unwrap())
        .clock(clock.clone())
        .jitter_seed(7);
    let transport: Arc<dyn routy_core::Transport> = Arc::new(transport);
    let client = configure(builder).build_with(transport).unwrap();
    Script {
        client,
        clock,
        seen,
    }
}

impl Script {
    /// The timeout each request carried, in order.
    fn timeouts(&self) -> Vec<Option<Duration>> {
        let seen = self.seen.lock().unwrap();
        seen.iter().map(|r| RequestLimits::of(r).timeout).collect()
    }
}

#[test]
fn transient_failures_are_retried_until_success() {
    let s = scripted(vec![status(503), Step::Fail(TransportErrorKind::Io)], |b| b);
    assert!(s.client.accounts().unwrap().is_empty());
    assert_eq!(s.seen.lock().unwrap().len(), 3);
    let sleeps = s.clock.sleeps();
    assert_eq!(sleeps.len(), 2);
    // Full jitter under an exponential ceiling: base 200 ms, then 400 ms.
    assert!(sleeps[0] < Duration::from_millis(200), "{sleeps:?}");
    assert!(sleeps[1] < Duration::from_millis(400), "{sleeps:?}");
}

#[test]
fn the_same_seed_gives_the_same_delays() {
    let run = || {
        let s = scripted(vec![status(503), status(502)], |b| b.max_retries(2));
        s.client.accounts().unwrap();
        s.clock.sleeps()
    };
    assert_eq!(run(), run());
}

#[test]
fn giving_up_reports_attempts_and_the_last_retry_after() {
    let s = scripted(
        vec![
            with_retry_after(503, "1"),
            with_retry_after(503, "2"),
            with_retry_after(503, "3"),
        ],
        |b| b,
    );
    let err = s.client.accounts().unwrap_err();
    let api = err.as_api().unwrap();
    assert_eq!(api.kind(), ApiErrorKind::Server);
    assert_eq!(api.attempts(), 3);
    assert_eq!(err.attempts(), 3);
    assert_eq!(
        api.retry_after(),
        Some(RetryAfter::Delay(Duration::from_secs(3)))
    );
    assert_eq!(
        s.clock.sleeps(),
        [Duration::from_secs(1), Duration::from_secs(2)]
    );

    let timeouts = (0..3)
        .map(|_| Step::Fail(TransportErrorKind::Timeout))
        .collect();
    let s = scripted(timeouts, |b| b);
    let err = s.client.accounts().unwrap_err();
    assert!(err.as_transport().unwrap().is_timeout());
    assert_eq!(err.attempts(), 3);
}

#[test]
fn retry_after_in_every_form() {
    // Wall time of the manual clock: 2026-01-01T00:00:00Z.
    let cases: [(&str, Option<Duration>); 6] = [
        ("4", Some(Duration::from_secs(4))),
        (
            "Thu, 01 Jan 2026 00:00:07 GMT",
            Some(Duration::from_secs(7)),
        ),
        // A date already past is "now": the base delay and its jitter
        // (200 ms, plus 200 ms at most), never a hot loop.
        ("Wed, 31 Dec 2025 23:00:00 GMT", None),
        ("-5", None),
        ("1.5", None),
        ("abc", None),
    ];
    for (value, expected) in cases {
        let s = scripted(vec![with_retry_after(429, value)], |b| b);
        s.client.accounts().unwrap();
        let slept = s.clock.sleeps();
        assert_eq!(slept.len(), 1, "{value}");
        match expected {
            Some(d) => assert_eq!(slept[0], d, "{value}"),
            None if value.contains("GMT") => assert!(
                slept[0] >= Duration::from_millis(200) && slept[0] < Duration::from_millis(400),
                "{value}: {slept:?}"
            ),
            // Unparseable: jittered backoff, under the first ceiling.
            None => assert!(slept[0] < Duration::from_millis(200), "{value}: {slept:?}"),
        }
    }
    // Absurdly long: no retry, and no panic on the way.
    let s = scripted(vec![with_retry_after(429, "99999999999")], |b| b);
    let err = s.client.accounts().unwrap_err();
    assert!(s.clock.sleeps().is_empty());
    assert!(
        err.to_string().ends_with("(retry after 99999999999 s)"),
        "{err}"
    );
}

#[test]
fn a_post_that_reached_the_server_is_never_resent() {
    for step in [
        status(503),
        status(429),
        Step::Fail(TransportErrorKind::Timeout),
        Step::Fail(TransportErrorKind::Io),
    ] {
        let s = scripted(vec![step], |b| b);
        let _ = s
            .client
            .execute_any_status(Method::POST, "/v1/things", None);
        assert_eq!(s.seen.lock().unwrap().len(), 1);
        assert!(s.clock.sleeps().is_empty());
    }
    // Nothing was sent when the connection failed: that POST may be retried.
    let s = scripted(vec![Step::Fail(TransportErrorKind::Connect)], |b| b);
    let response = s
        .client
        .execute_any_status(
            Method::POST,
            "/v1/things",
            Some(routy_core::Body::json(&1).unwrap()),
        )
        .unwrap();
    assert_eq!(response.status(), 200);
    let seen = s.seen.lock().unwrap();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[1].body(), b"1", "the retry carries the body again");
}

#[test]
fn policy_off_and_limits() {
    let s = scripted(vec![status(503)], |b| b.retry(RetryPolicy::none()));
    assert_eq!(s.client.accounts().unwrap_err().attempts(), 1);
    let s = scripted((0..9).map(|_| status(503)).collect(), |b| b.max_retries(5));
    assert_eq!(s.client.accounts().unwrap_err().attempts(), 6);
    // Total sleep is capped: a long Retry-After that would pass it is not waited for.
    let s = scripted(
        vec![with_retry_after(503, "15"), with_retry_after(503, "15")],
        |b| {
            b.retry(
                RetryPolicy::default()
                    .max_retry_after(Duration::from_secs(60))
                    .max_total_delay(Duration::from_secs(20)),
            )
        },
    );
    let err = s.client.accounts().unwrap_err();
    assert_eq!(err.attempts(), 2);
    assert_eq!(s.clock.total_slept(), Duration::from_secs(15));
}

#[test]
fn a_hundred_failing_calls_cost_a_bounded_number_of_retries() {
    let s = scripted((0..1000).map(|_| status(503)).collect(), |b| {
        b.retry_budget(10)
    });
    for _ in 0..100 {
        assert!(s.client.accounts().is_err());
    }
    let sent = s.seen.lock().unwrap().len();
    assert_eq!(
        sent,
        100 + 10,
        "100 first attempts and the budget's 10 retries"
    );

    // Successes earn the budget back: ten successes, one retry.
    let s = scripted(
        std::iter::repeat_with(|| status(503))
            .take(2)
            .chain(std::iter::repeat_with(|| status(200)).take(10))
            .chain(std::iter::repeat_with(|| status(503)).take(3))
            .collect(),
        |b| b.retry_budget(1),
    );
    assert!(
        s.client.accounts().is_err(),
        "spends the only retry, then fails"
    );
    for _ in 0..10 {
        s.client.accounts().unwrap();
    }
    let before = s.seen.lock().unwrap().len();
    assert!(s.client.accounts().is_err());
    assert_eq!(
        s.seen.lock().unwrap().len() - before,
        2,
        "one retry earned back"
    );
}

#[test]
fn the_call_deadline_bounds_attempts_and_cuts_each_attempts_timeout() {
    let s = scripted(
        vec![
            Step::Slow(Duration::from_secs(4)),
            status(503),
            status(503),
            status(503),
        ],
        |b| {
            b.timeout(Duration::from_secs(30))
                .call_timeout(Duration::from_secs(5))
                .max_retries(5)
                .retry(
                    RetryPolicy::default()
                        .max_attempts(6)
                        .base_delay(Duration::from_secs(2)),
                )
        },
    );
    // The slow first answer is a success here; the deadline governs the next call.
    s.client.accounts().unwrap();
    let first = RequestLimits::of(&s.seen.lock().unwrap()[0]);
    assert_eq!(
        first.timeout,
        Some(Duration::from_secs(5)),
        "cut to the call deadline"
    );

    let s = scripted(
        vec![
            with_retry_after(503, "2"),
            with_retry_after(503, "2"),
            with_retry_after(503, "2"),
            status(503),
        ],
        |b| b.call_timeout(Duration::from_secs(5)).max_retries(5),
    );
    let err = s.client.accounts().unwrap_err();
    assert_eq!(
        err.attempts(),
        3,
        "a third 2 s wait would pass the 5 s deadline"
    );
    assert_eq!(s.clock.total_slept(), Duration::from_secs(4));
    assert_eq!(
        s.timeouts(),
        [
            Some(Duration::from_secs(5)),
            Some(Duration::from_secs(3)),
            Some(Duration::from_secs(1))
        ]
    );
}

fn redirect(code: u16, location: &str) -> Step {
    Step::Status(code, vec![("location", location.to_owned())])
}

#[test]
fn redirects_keep_the_key_on_one_origin_and_drop_it_for_good_after() {
    let s = scripted(
        vec![
            redirect(302, "/api/v2/accounts"),
            redirect(301, "https://other.example/x"),
            redirect(307, "https://platform.routy.app/api/back"),
        ],
        |b| b,
    );
    s.client.accounts().unwrap();
    let seen = s.seen.lock().unwrap();
    let trail: Vec<(String, bool)> = seen
        .iter()
        .map(|r| {
            (
                r.uri().to_string(),
                r.headers().contains_key("authorization"),
            )
        })
        .collect();
    assert_eq!(
        trail,
        [
            ("https://platform.routy.app/api/v1/accounts".into(), true),
            ("https://platform.routy.app/api/v2/accounts".into(), true),
            ("https://other.example/x".into(), false),
            // Back on the first origin, still without the key.
            ("https://platform.routy.app/api/back".into(), false),
        ]
    );
}

#[test]
fn redirect_limits_downgrades_and_methods() {
    let s = scripted(
        (0..20).map(|_| redirect(302, "/api/v1/accounts")).collect(),
        |b| b.max_redirects(3),
    );
    assert!(matches!(
        s.client.accounts(),
        Err(Error::Redirect(r)) if r.kind() == RedirectErrorKind::TooMany { max: 3 }
    ));
    assert_eq!(s.seen.lock().unwrap().len(), 4);

    let s = scripted(
        vec![redirect(302, "http://platform.routy.app/api/v1/accounts")],
        |b| b,
    );
    assert!(matches!(
        s.client.accounts(),
        Err(Error::Redirect(r)) if r.kind() == RedirectErrorKind::Downgrade
    ));
    assert_eq!(s.seen.lock().unwrap().len(), 1);

    let s = scripted(vec![redirect(302, "javascript:alert(1)")], |b| b);
    assert!(matches!(
        s.client.accounts(),
        Err(Error::Redirect(r)) if r.kind() == RedirectErrorKind::InvalidLocation
    ));

    // POST does not follow: the raw escape hatch hands the 307 back.
    let s = scripted(vec![redirect(307, "/elsewhere")], |b| b);
    let response = s
        .client
        .execute_any_status(Method::POST, "/v1/things", None)
        .unwrap();
    assert_eq!(response.status(), 307);
    assert_eq!(s.seen.lock().unwrap().len(), 1);

    // With redirects off, a typed call reports the redirect as an API error
    // and the raw escape hatch hands it back.
    let s = scripted(vec![redirect(302, "/x"), redirect(302, "/x")], |b| {
        b.max_redirects(0)
    });
    let err = s.client.accounts().unwrap_err();
    assert_eq!(err.as_api().unwrap().status(), 302);
    assert_eq!(
        s.client
            .execute_any_status(Method::GET, "/v1/x", None)
            .unwrap()
            .status(),
        302
    );
    // A 3xx without Location is not followed.
    let s = scripted(vec![status(302)], |b| b);
    assert_eq!(
        s.client.accounts().unwrap_err().as_api().unwrap().status(),
        302
    );
}

#[test]
fn retry_after_is_read_against_the_clock_not_the_system_time() {
    // The ManualClock's wall time starts at 2026-01-01T00:00:00Z.
    let s = scripted(
        vec![with_retry_after(503, "Thu, 01 Jan 2026 00:00:04 GMT")],
        |b| b,
    );
    s.client.accounts().unwrap();
    assert_eq!(s.clock.sleeps(), [Duration::from_secs(4)], "4 s away");
    // 60 s away is past the policy's 10 s: the call ends without a retry.
    let s = scripted(
        vec![with_retry_after(503, "Thu, 01 Jan 2026 00:01:00 GMT")],
        |b| b,
    );
    let err = s.client.accounts().unwrap_err();
    assert_eq!(err.attempts(), 1);
    assert!(s.clock.sleeps().is_empty());
    assert!(
        err.to_string()
            .ends_with("(retry after Thu, 01 Jan 2026 00:01:00 GMT)"),
        "{err}"
    );
    let _ = SystemTime::UNIX_EPOCH;
}

/// The sandbox's 1-request-per-30-s window, as the issue found it: the
/// server answers 30, then 20, then 10. No request goes out before the
/// server said, and none is spent on a retry it has already refused.
#[test]
fn a_retry_after_longer_than_the_policy_waits_ends_the_call_at_once() {
    let s = scripted(
        vec![
            with_retry_after(429, "30"),
            with_retry_after(429, "20"),
            with_retry_after(429, "10"),
        ],
        |b| b,
    );
    let err = s.client.accounts().unwrap_err();
    let api = err.as_api().unwrap();
    assert_eq!(api.kind(), ApiErrorKind::RateLimited);
    assert_eq!(api.attempts(), 1, "one request, the one that was answered");
    assert_eq!(
        api.retry_after(),
        Some(RetryAfter::Delay(Duration::from_secs(30)))
    );
    assert!(s.clock.sleeps().is_empty(), "{:?}", s.clock.sleeps());
    assert_eq!(s.seen.lock().unwrap().len(), 1);
    assert_eq!(
        err.to_string(),
        "GET https://platform.routy.app/api/v1/accounts: api returned 429 too many requests \
         (retry after 30 s)"
    );

    // A job that would rather wait says so, and waits exactly as asked.
    let s = scripted(
        vec![with_retry_after(429, "30"), with_retry_after(429, "20")],
        |b| {
            b.retry(
                RetryPolicy::default()
                    .max_retry_after(Duration::from_secs(60))
                    .max_total_delay(Duration::from_secs(120)),
            )
            .call_timeout(Duration::from_secs(120))
        },
    );
    assert!(s.client.accounts().unwrap().is_empty());
    assert_eq!(
        s.clock.sleeps(),
        [Duration::from_secs(30), Duration::from_secs(20)]
    );

    // Willing, but the call's deadline is nearer than the server's time.
    let s = scripted(vec![with_retry_after(429, "30")], |b| {
        b.retry(RetryPolicy::default().max_retry_after(Duration::from_secs(60)))
            .call_timeout(Duration::from_secs(20))
    });
    let err = s.client.accounts().unwrap_err();
    assert_eq!(err.attempts(), 1);
    assert!(s.clock.sleeps().is_empty());
    assert_eq!(err.as_api().unwrap().kind(), ApiErrorKind::RateLimited);

    // A 503 with Retry-After is treated the same way.
    let s = scripted(vec![with_retry_after(503, "45")], |b| b);
    let err = s.client.accounts().unwrap_err();
    assert_eq!(err.attempts(), 1);
    assert!(s.clock.sleeps().is_empty());
    assert!(err.to_string().ends_with("(retry after 45 s)"), "{err}");
}

#[test]
fn durations_past_what_a_clock_holds_mean_never_and_never_panic() {
    // Duration::MAX everywhere: before, `Instant + timeout` overflowed.
    let forever = RetryPolicy::default()
        .max_attempts(3)
        .base_delay(Duration::MAX)
        .max_delay(Duration::MAX)
        .max_retry_after(Duration::MAX)
        .max_total_delay(Duration::MAX);
    let s = scripted(
        vec![
            status(503),
            with_retry_after(429, "Fri, 31 Dec 9999 23:59:59 GMT"),
        ],
        |b| {
            b.timeout(Duration::MAX)
                .call_timeout(None)
                .max_retries(2)
                .retry(forever)
        },
    );
    assert_eq!(s.client.config().timeout(), Some(MAX_DURATION));
    assert!(s.client.accounts().unwrap().is_empty());
    assert_eq!(s.seen.lock().unwrap().len(), 3);
    let sleeps = s.clock.sleeps();
    assert_eq!(sleeps.len(), 2);
    assert!(sleeps.iter().all(|d| *d <= MAX_DURATION), "{sleeps:?}");
    assert_eq!(s.timeouts(), [Some(MAX_DURATION); 3]);

    // With a call deadline of Duration::MAX too: a century-long wait does
    // not fit in what is left of a century, so the call gives up cleanly.
    let s = scripted(vec![status(503)], |b| {
        b.timeout(Duration::MAX)
            .call_timeout(Duration::MAX)
            .retry(forever)
    });
    assert_eq!(s.client.config().call_timeout(), Some(MAX_DURATION));
    match s.client.accounts() {
        Ok(_) => assert_eq!(s.seen.lock().unwrap().len(), 2, "a retry that fit"),
        Err(Error::Api(err)) => assert_eq!(err.status(), 503),
        Err(other) => panic!("unexpected {other:?}"),
    }
}
