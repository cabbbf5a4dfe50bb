//! Rehearse a bad day, offline: a small nightly job (list the accounts,
//! then fetch each one's details) across 10,000 seeded schedules of
//! faults in virtual time, with routy's invariants checked on each.
//!
//! ```text
//! cargo run --release --example simulate                     # all three jobs
//! cargo run --release --example simulate -- --schedules 50000
//! cargo run --release --example simulate -- --job fatal --seed 12   # one trace
//! cargo run --release --example simulate -- --job fleet --workers 8 # a fleet, 1,000 schedules
//! cargo run --release --example simulate -- --job fleet --workers 8 --own-clients --seed 3
//! cargo run --release --example simulate -- --job fleet --workers 8 --seed 3 --svg seed-3.svg
//! ```
//!
//! `--job fleet` runs the robust job on `--workers` workers at once
//! (threads over one client, or with `--own-clients` a client each) over
//! one quota of 20 calls per 2 s, deterministically by seed; a failing
//! schedule is also drawn as a timeline, `target/fleet-seed-N.svg`
//! (or `--svg PATH`), one lane per worker.
//!
//! Three jobs: `robust` handles what a bad day brings; `fatal` treats every
//! error as fatal; `post` creates a report and retries the POST by hand,
//! which creates it twice when a reset hides that the first one landed.
//! The last line is the robust job's:
//! `simulated N schedules in S s (R per second), F failed`.

use std::time::Duration;

use routy::clock::Clock as _;
use routy::{ApiErrorKind, Error};
use routy_sandbox::RateWindow;
use routy_testkit::sim::{Report, Sim, SimClient, Simulation};

#[derive(serde::Deserialize)]
struct Details {
    id: u64,
    name: String,
    plan: String,
}

/// The job as a careless first version: any error ends it.
fn fatal(client: &SimClient, _sim: &Sim) -> Result<(), Error> {
    for account in client.accounts()? {
        let details: Details = client.get(&format!("/v1/accounts/{}", account.id()))?;
        let _ = (details.id, details.plan);
    }
    Ok(())
}

/// The same job, written for a bad day: each step is tried again later
/// when the error says it may be (a rate limit past routy's own waiting, a
/// flapping network, a server error), and a refused key is rotated.
fn robust(client: &SimClient, sim: &Sim) -> Result<(), Error> {
    let accounts = patiently(client, sim, || client.accounts())?;
    for account in accounts {
        let path = format!("/v1/accounts/{}", account.id());
        let details: Details = patiently(client, sim, || client.get(&path))?;
        if Some(details.name.as_str()) != account.name() {
            sim.note(&format!("account {} changed its name", details.id));
        }
    }
    Ok(())
}

/// Runs `step` until it succeeds or fails for a reason time will not fix.
/// As in routy, a try the server asked to come back later (`Retry-After`)
/// is pacing and does not count against the eight tries; 32 in all.
fn patiently<R>(
    client: &SimClient,
    sim: &Sim,
    mut step: impl FnMut() -> Result<R, Error>,
) -> Result<R, Error> {
    let (mut tries, mut paced) = (0, 0);
    loop {
        let err = match step() {
            Ok(value) => return Ok(value),
            Err(err) => err,
        };
        let told = err.as_api().is_some_and(|api| api.retry_after().is_some());
        if told {
            paced += 1;
        } else {
            tries += 1;
        }
        if tries >= 8 || tries + paced >= 32 {
            return Err(err);
        }
        let wait = match err.as_api().map(|api| (api.kind(), api.retry_after())) {
            // The key expired or was deleted: pick up the fresh one.
            Some((ApiErrorKind::Unauthorized, _)) => {
                sim.rotate_key(client).map_err(|_| err)?;
                continue;
            }
            // Longer than routy waits by itself: wait it out here.
            Some((_, Some(after))) => after.delay_from(sim.clock().wall()),
            Some((ApiErrorKind::RateLimited | ApiErrorKind::Server, None)) => {
                Duration::from_secs(5)
            }
            Some(_) => return Err(err),
            // The network: after routy's own retries, try again a bit later.
            None if err.as_transport().is_some() => Duration::from_secs(10),
            None => return Err(err),
        };
        sim.sleep(wait);
    }
}

/// A job with a bug a bad day exposes: it creates the day's report and,
/// on any error, POSTs again. When the connection resets after the server
/// applied the first POST, the report is created twice.
fn post(client: &SimClient, sim: &Sim) -> Result<(), String> {
    let body =
        routy::Body::json(&serde_json::json!({"day": "2026-01-01"})).map_err(|e| e.to_string())?;
    let mut created = None;
    for _ in 0..5 {
        match client.execute(routy::http::Method::POST, "/v1/reports", Some(body.clone())) {
            Ok(report) => {
                created = Some(report);
                break;
            }
            Err(_) => sim.sleep(Duration::from_secs(1)),
        }
    }
    let created_times = sim
        .journal()
        .iter()
        .filter(|r| r.method == "POST" && r.status == 201)
        .count();
    match (created, created_times) {
        (Some(_), 1) => Ok(()),
        (None, 0) => Err("no report could be created".into()),
        (_, n) => Err(format!("the report was created {n} times")),
    }
}

/// The fleet: `workers` robust jobs at once over the API's one quota.
fn fleet(workers: usize, own_clients: bool) -> Simulation {
    simulation()
        .workers(workers)
        .own_clients(own_clients)
        .setup(|api, now| {
            let stub = routy_sandbox::Stub::post("/v1/reports")
                .respond_json(201, serde_json::json!({"id": "r1", "day": "2026-01-01"}));
            api.add_stub(stub).expect("a valid stub");
            api.set_rate_limit(Some(RateWindow::new(20, Duration::from_secs(2))), now);
        })
}

/// Saves `trace` as a timeline picture at `path` and says where.
fn write_timeline(path: &str, trace: &routy_testkit::sim::Trace) {
    match std::fs::write(path, trace.timeline_svg()) {
        Ok(()) => println!(
            "timeline of seed {}: {path} (open it in a browser)",
            trace.seed
        ),
        Err(err) => eprintln!("could not write the timeline to {path}: {err}"),
    }
}

fn simulation() -> Simulation {
    Simulation::new().setup(|api, _now| {
        let stub = routy_sandbox::Stub::post("/v1/reports")
            .respond_json(201, serde_json::json!({"id": "r1", "day": "2026-01-01"}));
        api.add_stub(stub).expect("a valid stub");
    })
}

/// `--job processes`: a fleet of processes sharing one quota through a
/// store that fails (`--no-store`: each on its own; `--pace`: paced).
fn processes(flag: &dyn Fn(&str) -> Option<String>, args: &[String]) {
    let count = flag("--processes")
        .and_then(|n| n.parse().ok())
        .unwrap_or(8);
    let sim = routy_testkit::sim::FleetSimulation::new()
        .processes(count)
        .store(!args.iter().any(|a| a == "--no-store"))
        .pace(args.iter().any(|a| a == "--pace"));
    if let Some(seed) = flag("--seed").and_then(|n| n.parse().ok()) {
        let run = sim.run_one(seed);
        print!("{}", run.trace);
        if let Some(path) = flag("--svg") {
            write_timeline(&path, &run.trace);
        }
        return;
    }
    let schedules = flag("--schedules")
        .and_then(|n| n.parse().ok())
        .unwrap_or(1_000);
    let report = sim.schedules(schedules).run();
    if let Some(first) = report.failures.first() {
        print!("{}", first.trace);
        let path =
            flag("--svg").unwrap_or_else(|| format!("target/processes-seed-{}.svg", first.seed));
        write_timeline(&path, &first.trace);
    }
    println!("{count} processes, {report}");
    if report.broke_invariants() {
        std::process::exit(1);
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let flag = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let schedules: u64 = flag("--schedules")
        .and_then(|n| n.parse().ok())
        .unwrap_or(10_000);
    let job = flag("--job").unwrap_or_else(|| "all".to_owned());
    if job == "processes" {
        processes(&flag, &args);
        return;
    }
    if job == "fleet" {
        let workers = flag("--workers").and_then(|n| n.parse().ok()).unwrap_or(8);
        let sim = fleet(workers, args.iter().any(|a| a == "--own-clients"));
        if let Some(seed) = flag("--seed").and_then(|n| n.parse().ok()) {
            let run = sim.run_one(seed, robust);
            print!("{run}");
            if let Some(path) = flag("--svg") {
                write_timeline(&path, &run.trace);
            }
            return;
        }
        let schedules = flag("--schedules")
            .and_then(|n| n.parse().ok())
            .unwrap_or(1_000);
        let report = sim.schedules(schedules).run(robust);
        summary(
            "fleet",
            &format!("{workers} robust workers, one quota"),
            &report,
        );
        if let Some(run) = report.broken.first() {
            print!("{run}");
            println!("{} schedules broke routy's invariants", report.broken.len());
        }
        // A fleet's trace is easier looked at than read.
        if let Some(first) = report.broken.first().or(report.failures.first()) {
            let path =
                flag("--svg").unwrap_or_else(|| format!("target/fleet-seed-{}.svg", first.seed));
            write_timeline(&path, &first.trace);
        }
        println!("{report}");
        if report.broke_invariants() || report.failed > 0 {
            std::process::exit(1);
        }
        return;
    }
    let sim = simulation();
    if let Some(seed) = flag("--seed").and_then(|n| n.parse().ok()) {
        let run = match job.as_str() {
            "fatal" => sim.run_one(seed, fatal),
            "post" => sim.run_one(seed, post),
            _ => sim.run_one(seed, robust),
        };
        print!("{run}");
        return;
    }
    let sim = sim.schedules(schedules);
    let mut broken = Vec::new();
    for (name, what, report) in [
        ("fatal", "every error is fatal", sim.run(fatal)),
        ("post", "retries a POST by hand", sim.run(post)),
    ] {
        summary(name, what, &report);
        broken.extend(report.broken);
    }
    let report = sim.run(robust);
    summary("robust", "handles a bad day", &report);
    broken.extend(report.broken.iter().cloned());
    // The buggy jobs are meant to fail; routy breaking a rule under any
    // job, or the robust job failing, is a defect (CI runs this).
    if let Some(run) = broken.first() {
        print!("{run}");
        println!("{} schedules broke routy's invariants", broken.len());
    }
    println!("{report}");
    if !broken.is_empty() || report.failed > 0 {
        std::process::exit(1);
    }
}

fn summary(name: &str, what: &str, report: &Report) {
    print!(
        "job {name} ({what}): {} of {} schedules failed",
        report.failed, report.schedules
    );
    match report.failures.first() {
        Some(run) => println!(
            "; the first is seed {}: {}\n  see it: cargo run --example simulate -- --job {name} --seed {}",
            run.seed,
            run.result.as_ref().err().map_or("an invariant broke", String::as_str),
            run.seed
        ),
        None => println!(),
    }
}
