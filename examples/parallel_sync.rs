//! Many callers, one quota: worker threads fetching every account's
//! details against the local sandbox with a rate window, and what the
//! server saw.
//!
//! ```sh
//! cargo run --release --example parallel_sync                 # 8 threads over one client
//! cargo run --release --example parallel_sync -- --threads 16
//! cargo run --release --example parallel_sync -- --threads 4 --clients 4   # a client each
//! cargo run --release --example parallel_sync -- --pace       # spread calls over the window
//! ```
//!
//! Each worker lists the accounts, then fetches `/v1/accounts/{id}` for
//! each (41 calls). The sandbox allows 20 calls per 2 s. The last line
//! says how many calls failed, how many 429s the sandbox sent (from its
//! journal), and the wall time against the least the quota allows.

use std::time::{Duration, Instant};

use routy::ApiKey;
use routy_sandbox::{NewToken, RateWindow, Sandbox};

/// The sandbox's rate window: 20 calls per 2 s.
const LIMIT: u32 = 20;
const WINDOW: Duration = Duration::from_secs(2);

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse(std::env::args().skip(1))?;
    let sandbox = Sandbox::start()?;
    let token = sandbox.issue_token(NewToken::named("parallel sync example"))?;
    let build = || {
        routy::Client::builder()
            .api_key(ApiKey::new(token.secret())?)
            .base_url(&sandbox.base_url())
            .pace(args.pace)
            .build()
    };
    let shared = build()?;
    let own: Vec<routy::Client> = (0..args.clients)
        .map(|_| build())
        .collect::<Result<_, _>>()?;
    sandbox.set_rate_limit(Some(RateWindow::new(LIMIT, WINDOW)));
    sandbox.clear_journal();

    let started = Instant::now();
    let results: Vec<(u32, u32)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..args.threads)
            .map(|n| {
                let client = if args.clients > 1 {
                    &own[n % own.len()]
                } else {
                    &shared
                };
                scope.spawn(move || sync(client))
            })
            .collect();
        workers
            .into_iter()
            .map(|worker| worker.join().unwrap_or((0, 1)))
            .collect()
    });
    let wall = started.elapsed();

    let calls: u32 = results.iter().map(|(calls, _)| calls).sum();
    let failed: u32 = results.iter().map(|(_, failed)| failed).sum();
    let journal = sandbox.journal();
    let refused = journal.iter().filter(|r| r.status == 429).count();
    let sent = journal.len();
    // Each window opens at its first call, so the calls fit in
    // ceil(calls / LIMIT) windows, the last one's calls at its start.
    let least = WINDOW * calls.div_ceil(LIMIT).saturating_sub(1);
    let windows = calls.div_ceil(LIMIT).max(1);
    println!(
        "{} thread(s) over {}: {calls} calls, {failed} failed, {sent} requests sent, \
         {refused} answered 429 ({:.2} per window), wall {:.1} s / least {:.1} s = {:.2}",
        args.threads,
        if args.clients > 1 {
            format!("{} clients", args.clients)
        } else {
            "one client".to_owned()
        },
        refused as f64 / f64::from(windows),
        wall.as_secs_f64(),
        least.as_secs_f64(),
        wall.as_secs_f64() / least.as_secs_f64().max(f64::EPSILON),
    );
    if failed > 0 {
        std::process::exit(1);
    }
    Ok(())
}

/// One worker's job: the list, then each account's details. Returns the
/// calls made and how many failed.
fn sync(client: &routy::Client) -> (u32, u32) {
    let accounts = match client.accounts() {
        Ok(accounts) => accounts,
        Err(err) => {
            eprintln!("listing failed: {err}");
            return (1, 1);
        }
    };
    let mut failed = 0;
    for account in &accounts {
        let details: Result<serde_json::Value, _> =
            client.get(&format!("/v1/accounts/{}", account.id()));
        if let Err(err) = details {
            eprintln!("account {} failed: {err}", account.id());
            failed += 1;
        }
    }
    (1 + accounts.len() as u32, failed)
}

struct Args {
    threads: usize,
    clients: usize,
    pace: bool,
}

impl Args {
    fn parse(args: impl Iterator<Item = String>) -> Result<Self, String> {
        let mut parsed = Args {
            threads: 8,
            clients: 1,
            pace: false,
        };
        let mut args = args.peekable();
        while let Some(arg) = args.next() {
            let mut number = |name: &str| -> Result<usize, String> {
                args.next()
                    .and_then(|v| v.parse().ok())
                    .filter(|n| *n > 0)
                    .ok_or(format!("{name} takes a number above 0"))
            };
            match arg.as_str() {
                "--threads" => parsed.threads = number("--threads")?,
                "--clients" => parsed.clients = number("--clients")?,
                "--pace" => parsed.pace = true,
                other => return Err(format!("unknown argument {other:?}")),
            }
        }
        Ok(parsed)
    }
}
