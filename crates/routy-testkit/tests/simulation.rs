#![cfg(feature = "sim")]
//! The simulator: deterministic, finds the bugs a bad day exposes, and
//! holds routy to its invariants (the 10,000-schedule run is
//! `cargo run --release --example simulate`, in CI).

use std::time::Duration;

use routy_core::{ApiErrorKind, Error, RetryPolicy};
use routy_sandbox::Stub;
use routy_testkit::sim::{FaultMix, Sim, SimClient, SimFault, Simulation, What};

#[derive(serde::Deserialize)]
struct Details {
    name: String,
}

/// List, then each account's details; every error fatal.
fn nightly(client: &SimClient, _sim: &Sim) -> Result<(), Error> {
    for account in client.accounts()? {
        let details: Details = client.get(&format!("/v1/accounts/{}", account.id()))?;
        assert_eq!(Some(details.name.as_str()), account.name());
    }
    Ok(())
}

#[test]
fn the_same_seed_gives_the_same_trace_byte_for_byte() {
    let sim = Simulation::new();
    for seed in [0, 1, 7, 123_456] {
        let first = sim.run_one(seed, nightly).to_string();
        let again = sim.run_one(seed, nightly).to_string();
        assert_eq!(first, again, "seed {seed}");
        assert!(first.starts_with(&format!("seed {seed}\n")));
    }
    assert_ne!(
        sim.run_one(1, nightly).to_string(),
        sim.run_one(2, nightly).to_string()
    );
}

#[test]
fn results_do_not_depend_on_the_number_of_threads() {
    let one = Simulation::new().schedules(300).threads(1).run(nightly);
    let two = Simulation::new().schedules(300).threads(2).run(nightly);
    assert_eq!(one.failed, two.failed);
    let seeds =
        |r: &routy_testkit::sim::Report| r.failures.iter().map(|f| f.seed).collect::<Vec<_>>();
    assert_eq!(seeds(&one), seeds(&two));
}

#[test]
fn a_calm_day_has_no_failures_and_the_trace_shows_requests_with_fingerprints() {
    let sim = Simulation::new().mix(FaultMix::calm());
    let run = sim.run_one(9, nightly);
    assert!(!run.failed(), "{run}");
    let text = run.to_string();
    assert!(text.contains("-> GET https://sim.routy.invalid/api/v1/accounts (call 1, attempt 1)"));
    assert!(text.contains("authorization: ApiKey …"));
    assert_eq!(text.matches("-> GET").count(), 41);
    assert!(
        Simulation::new()
            .mix(FaultMix::calm())
            .schedules(50)
            .run(nightly)
            .failed
            == 0
    );
}

#[test]
fn a_job_that_treats_every_error_as_fatal_fails_on_a_bad_day_and_routy_keeps_its_rules() {
    let report = Simulation::new().schedules(500).run(nightly);
    assert!(report.failed > 0, "{report}");
    assert!(!report.broke_invariants(), "{}", report.broken[0]);
    let first = &report.failures[0];
    assert!(first.result.is_err());
    // The failure's seed replays to the same failure.
    let again = Simulation::new().run_one(first.seed, nightly);
    assert_eq!(again.result, first.result);
    assert_eq!(again.trace, first.trace);
}

/// POST a report; on any error, POST it again (the bug).
fn post_by_hand(client: &SimClient, sim: &Sim) -> Result<(), String> {
    let body = routy_core::Body::json(&serde_json::json!({"day": "2026-01-01"}))
        .map_err(|e| e.to_string())?;
    for _ in 0..5 {
        if client
            .execute(http::Method::POST, "/v1/reports", Some(body.clone()))
            .is_ok()
        {
            break;
        }
        sim.sleep(Duration::from_secs(1));
    }
    let created = sim
        .journal()
        .iter()
        .filter(|r| r.method == "POST" && r.status == 201)
        .count();
    if created > 1 {
        return Err(format!("the report was created {created} times"));
    }
    Ok(())
}

#[test]
fn retrying_a_post_by_hand_is_found_and_routy_itself_never_resends_one() {
    let sim = Simulation::new().setup(|api, _| {
        api.add_stub(Stub::post("/v1/reports").respond_json(201, serde_json::json!({"id": "r1"})))
            .unwrap();
    });
    let report = sim.clone().schedules(1000).run(post_by_hand);
    assert!(!report.broke_invariants(), "{}", report.broken[0]);
    let found = report
        .failures
        .iter()
        .find(|f| {
            f.result
                .as_ref()
                .is_err_and(|e| e.contains("created 2 times"))
        })
        .expect("a bad day creates the report twice");
    // The trace shows why: the first POST reached the server, then the
    // connection broke.
    let trace = found.trace.to_string();
    assert!(
        trace.contains("reset after the server applied it")
            || trace.contains("body cut short")
            || trace.contains("stalls past the deadline"),
        "{trace}"
    );
}

#[test]
fn a_job_that_rotates_its_key_survives_expiry_and_deletion() {
    let mix = FaultMix::calm()
        .with_token_expired(0.02)
        .with_token_deleted(0.02);
    let rotating = |client: &SimClient, sim: &Sim| -> Result<(), Error> {
        let (mut done, mut rotations) = (0, 0);
        while done < 30 {
            match client.accounts() {
                Ok(_) => done += 1,
                Err(err)
                    if rotations < 10
                        && err
                            .as_api()
                            .is_some_and(|a| a.kind() == ApiErrorKind::Unauthorized) =>
                {
                    sim.rotate_key(client).expect("a fresh key");
                    rotations += 1;
                }
                Err(err) => return Err(err),
            }
        }
        Ok(())
    };
    let report = Simulation::new().mix(mix).schedules(200).run(rotating);
    assert_eq!(report.failed, 0, "{}", report.failures[0]);
    // And some schedule did rotate.
    let rotated = (0..200).any(|seed| {
        Simulation::new()
            .mix(mix)
            .run_one(seed, rotating)
            .trace
            .events
            .iter()
            .any(|e| matches!(e.what, What::KeyRotated { .. }))
    });
    assert!(rotated);
}

#[test]
fn an_error_that_shows_the_key_breaks_the_rule_and_is_withheld() {
    let run = Simulation::new().run_one(0, |client, sim| {
        sim.note(&format!("debugging: {}", client.api_key().expose_secret()));
        Err::<(), String>(format!(
            "failed with key {}",
            client.api_key().expose_secret()
        ))
    });
    assert!(run.failed());
    assert_eq!(
        run.result.as_ref().map_err(String::as_str),
        Err("[withheld: it held the api key]")
    );
    assert_eq!(run.broken.len(), 2, "{run}");
    let secret = run.trace.to_string();
    assert!(!secret.contains("debugging: "), "{secret}");
}

#[test]
fn a_panic_is_a_failure_with_its_message() {
    let run = Simulation::new().run_one(0, |_client, _sim| -> Result<(), String> {
        panic!("boom at step 3")
    });
    assert_eq!(
        run.result.as_ref().map_err(String::as_str),
        Err("the job panicked: boom at step 3")
    );
}

#[test]
fn a_client_without_deadlines_is_caught_hanging_on_a_stall() {
    let mix = FaultMix::calm().with_stall(0.5);
    let report = Simulation::new()
        .mix(mix)
        .schedules(20)
        .client(|b| b.timeout(None).call_timeout(None))
        .run(nightly);
    assert!(report.broke_invariants());
    assert!(
        report.broken[0].broken[0].contains("no deadline"),
        "{}",
        report.broken[0]
    );
}

#[test]
fn invariants_hold_across_policies() {
    type Policy = fn(routy_core::ClientBuilder<()>) -> routy_core::ClientBuilder<()>;
    let policies: [(&str, Policy); 4] = [
        ("defaults", |b| b),
        ("whole-call deadline of 8 s", |b| {
            b.call_timeout(Duration::from_secs(8))
        }),
        ("five attempts, short timeouts", |b| {
            b.max_retries(4).timeout(Duration::from_secs(2))
        }),
        ("waits out long rate limits", |b| {
            b.retry(
                RetryPolicy::default()
                    .max_retry_after(Duration::from_secs(60))
                    .max_total_delay(Duration::from_secs(90)),
            )
            .call_timeout(Duration::from_secs(100))
        }),
    ];
    let stormy = FaultMix::bad_day()
        .with_refused(0.1)
        .with_reset_after_apply(0.05)
        .with_stall(0.05)
        .with_rate_limited(0.1)
        .with_unavailable(0.1);
    for (name, policy) in policies {
        for mix in [FaultMix::bad_day(), stormy] {
            let report = Simulation::new()
                .mix(mix)
                .schedules(250)
                .client(policy)
                .run(nightly);
            assert!(!report.broke_invariants(), "{name}: {}", report.broken[0]);
        }
    }
}

#[test]
fn every_fault_of_the_bad_day_happens() {
    let sim = Simulation::new();
    let mut seen = std::collections::HashSet::new();
    for seed in 0..300 {
        for event in sim.run_one(seed, nightly).trace.events {
            if let What::Fault(fault) = event.what {
                seen.insert(std::mem::discriminant(&fault));
            }
        }
    }
    for fault in [
        SimFault::Refused,
        SimFault::ResetAfterApply,
        SimFault::Stall,
        SimFault::CutBody,
        SimFault::ServerError,
        SimFault::Redirect,
        SimFault::RedirectElsewhere,
        SimFault::TokenExpired,
        SimFault::TokenDeleted,
        SimFault::RateLimited {
            secs: 1,
            form: routy_testkit::sim::RetryAfterForm::Seconds,
        },
        SimFault::Unavailable {
            secs: 1,
            form: routy_testkit::sim::RetryAfterForm::Date,
        },
    ] {
        assert!(
            seen.contains(&std::mem::discriminant(&fault)),
            "{fault} never happened"
        );
    }
}

/// A fleet over one quota: 20 requests per 2 s on the API, and a day
/// where one answer in ten is a 429 or 503 with `Retry-After`.
fn fleet(workers: usize, own_clients: bool) -> Simulation {
    Simulation::new()
        .workers(workers)
        .own_clients(own_clients)
        .mix(
            FaultMix::bad_day()
                .with_rate_limited(0.05)
                .with_unavailable(0.05),
        )
        .setup(|api, now| {
            api.set_rate_limit(
                Some(routy_sandbox::RateWindow::new(20, Duration::from_secs(2))),
                now,
            );
        })
}

#[test]
fn a_fleets_seed_gives_one_interleaving_and_one_trace_whatever_the_threads_do() {
    for own in [false, true] {
        let sim = fleet(4, own);
        for seed in [0, 3, 99] {
            let first = sim.run_one(seed, nightly).to_string();
            for _ in 0..3 {
                assert_eq!(first, sim.run_one(seed, nightly).to_string(), "seed {seed}");
            }
            for worker in 0..4 {
                assert!(first.contains(&format!("] w{worker} -> GET")), "{first}");
            }
        }
        assert_ne!(
            sim.run_one(1, nightly).to_string(),
            sim.run_one(2, nightly).to_string()
        );
    }
}

#[test]
fn a_fleet_on_one_client_waits_out_what_any_worker_was_told() {
    for own in [false, true] {
        let report = fleet(4, own).schedules(60).run(nightly);
        assert!(
            !report.broke_invariants(),
            "own clients: {own}: {}",
            report.broken[0]
        );
    }
    // On one client, an answer to one worker holds the others: a worker
    // waits before a call's first request (only the quota gate does that;
    // a retry's backoff comes before attempt 2 or later), and the trace
    // says so.
    let sim = fleet(4, false);
    let held = (0..40).any(|seed| {
        let trace = sim.run_one(seed, nightly).trace.to_string();
        trace.contains("the client holds the call")
    });
    assert!(held, "no call was ever held before its first request");
}

#[test]
fn a_failed_fleet_names_the_first_failure_in_time_and_counts_the_failed() {
    // Every error fatal, on a bad day: several workers fail, at different
    // virtual times.
    let sim = Simulation::new().workers(8).mix(FaultMix::bad_day());
    let mut checked = 0;
    for seed in 0..30 {
        let run = sim.run_one(seed, |client, _sim| {
            for _ in 0..20 {
                client.accounts()?;
            }
            Ok::<(), Error>(())
        });
        let Err(why) = &run.result else { continue };
        // Each worker's end is in the trace, at the time it came.
        let ends: Vec<(Duration, usize, bool)> = run
            .trace
            .events
            .iter()
            .filter_map(|event| match &event.what {
                What::JobEnded(result) => Some((event.at, event.worker.unwrap(), result.is_err())),
                _ => None,
            })
            .collect();
        assert_eq!(ends.len(), 8, "seed {seed}");
        let failed: Vec<_> = ends.iter().filter(|(_, _, failed)| *failed).collect();
        let first = failed.iter().min_by_key(|(at, w, _)| (*at, *w)).unwrap();
        let named = format!(
            "worker {} failed first, at {:.3} s ({} of 8 workers failed): ",
            first.1,
            first.0.as_secs_f64(),
            failed.len()
        );
        assert!(why.starts_with(&named), "seed {seed}: {why}");
        // The text trace runs forward in time, and shows each end.
        let text = run.trace.to_string();
        let times: Vec<f64> = text
            .lines()
            .filter_map(|line| {
                line.strip_prefix('[')?
                    .split(" s]")
                    .next()?
                    .trim()
                    .parse()
                    .ok()
            })
            .collect();
        assert!(
            times.windows(2).all(|pair| pair[0] <= pair[1]),
            "seed {seed}"
        );
        assert_eq!(text.matches("job ends: ").count(), 8, "seed {seed}");
        checked += 1;
    }
    assert!(checked > 10, "only {checked} failed runs");
}
