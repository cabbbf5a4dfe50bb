//! One token, many processes: N OS processes of one job against the
//! local sandbox's rate window (20 calls per 2 s), each a client of its
//! own, with and without one quota shared through Valkey/Redis.
//!
//! ```sh
//! cargo run --release --example parallel_processes                       # 4 processes, no store
//! cargo run --release --example parallel_processes -- --redis            # a redis-server of its own
//! cargo run --release --example parallel_processes -- --processes 16 --redis
//! cargo run --release --example parallel_processes -- --redis --restart  # the store stops midway
//! cargo run --release --example parallel_processes -- --redis --pace     # the fleet paces as one
//! cargo run --release --example parallel_processes -- --store redis://127.0.0.1:6379/
//! ```
//!
//! `--redis` starts Debian's `redis-server` on a free loopback port (and
//! `--restart` stops it a third of the way in, starting it again two
//! seconds later, empty). Each process lists the accounts, then fetches
//! each one's details (41 calls). With `--pace` each client paces over
//! what the sandbox says is left of its window, and with a store the
//! fleet takes turns booked in it. The last line says how many calls
//! failed, how many 429s the sandbox sent across the fleet (per window),
//! and the wall time against the least the quota allows.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use routy_redis::RedisQuotaStore;
use routy_sandbox::{NewToken, RateWindow, Sandbox};

const LIMIT: u32 = 20;
const WINDOW: Duration = Duration::from_secs(2);
const STORE_ENV: &str = "ROUTY_EXAMPLE_QUOTA_STORE";
const PACE_ENV: &str = "ROUTY_EXAMPLE_PACE";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    if std::env::args().nth(1).as_deref() == Some("--child") {
        return child();
    }
    let args = Args::parse(std::env::args().skip(1))?;
    let mut redis = args.redis.then(RedisServer::start).transpose()?;
    let store = redis.as_ref().map(RedisServer::url).or(args.store.clone());
    let sandbox = Sandbox::start()?;
    let token = sandbox.issue_token(NewToken::named("parallel processes example"))?;
    sandbox.set_rate_limit(Some(RateWindow::new(LIMIT, WINDOW)));
    sandbox.clear_journal();

    let started = Instant::now();
    let children: Vec<Child> = (0..args.processes)
        .map(|_| {
            let mut command = Command::new(std::env::current_exe()?);
            command
                .arg("--child")
                .env("ROUTY_BASE_URL", sandbox.base_url())
                // The key by environment, never by argument (`ps` shows those).
                .env("ROUTY_API_KEY", token.secret())
                .stdout(Stdio::piped());
            if let Some(url) = &store {
                command.env(STORE_ENV, url);
            }
            if args.pace {
                command.env(PACE_ENV, "1");
            }
            command.spawn()
        })
        .collect::<Result<_, _>>()?;
    if args.restart {
        if let Some(redis) = redis.as_mut() {
            std::thread::sleep(WINDOW * 41 * args.processes / LIMIT / 3);
            redis.stop();
            println!(
                "(store stopped at {:.1} s)",
                started.elapsed().as_secs_f64()
            );
            std::thread::sleep(Duration::from_secs(2));
            redis.start_again()?;
            println!(
                "(store started again, empty, at {:.1} s)",
                started.elapsed().as_secs_f64()
            );
        }
    }
    let (mut calls, mut failed) = (0u32, 0u32);
    for child in children {
        let output = child.wait_with_output()?;
        for line in BufReader::new(&output.stdout[..]).lines() {
            if let Some(counts) = line?.strip_prefix("done ") {
                let mut counts = counts.split(' ').map(|n| n.parse::<u32>().unwrap_or(1));
                calls += counts.next().unwrap_or(0);
                failed += counts.next().unwrap_or(1);
            }
        }
    }
    let wall = started.elapsed();
    let journal = sandbox.journal();
    let refused = journal.iter().filter(|r| r.status == 429).count();
    let windows = calls.div_ceil(LIMIT).max(1);
    let least = WINDOW * windows.saturating_sub(1);
    println!(
        "{} processes, {}{}: {calls} calls, {failed} failed, {} requests sent, {refused} answered 429 \
         ({:.2} per window), wall {:.1} s / least {:.1} s = {:.2}",
        args.processes,
        if store.is_some() { "one quota in the store" } else { "each on its own" },
        if args.pace { ", paced" } else { "" },
        journal.len(),
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

/// One process of the fleet: the job, then `done <calls> <failed>`.
fn child() -> Result<(), Box<dyn std::error::Error>> {
    let mut builder = routy::Client::builder()
        .env()
        .pace(std::env::var_os(PACE_ENV).is_some());
    if let Ok(url) = std::env::var(STORE_ENV) {
        builder = builder.quota_store(Arc::new(RedisQuotaStore::builder(&url).build()?));
    }
    let client = builder.build()?;
    let (calls, failed) = match client.accounts() {
        Ok(accounts) => {
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
        Err(err) => {
            eprintln!("listing failed: {err}");
            (1, 1)
        }
    };
    println!("done {calls} {failed}");
    Ok(())
}

/// Debian's `redis-server` on a free loopback port, stopped when dropped.
struct RedisServer {
    child: Option<Child>,
    port: u16,
}

impl RedisServer {
    fn start() -> Result<RedisServer, Box<dyn std::error::Error>> {
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let mut server = RedisServer { child: None, port };
        server.start_again()?;
        Ok(server)
    }

    fn start_again(&mut self) -> Result<(), Box<dyn std::error::Error>> {
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no", "--loglevel", "warning"])
            .stdout(Stdio::null())
            .spawn()
            .map_err(|e| {
                format!("cannot start redis-server (apt-get install redis-server): {e}")
            })?;
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            if Instant::now() > deadline {
                return Err("redis-server did not start".into());
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        Ok(())
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
    }
}

struct Args {
    processes: u32,
    redis: bool,
    restart: bool,
    pace: bool,
    store: Option<String>,
}

impl Args {
    fn parse(args: impl Iterator<Item = String>) -> Result<Self, String> {
        let mut parsed = Args {
            processes: 4,
            redis: false,
            restart: false,
            pace: false,
            store: None,
        };
        let mut args = args.peekable();
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "--processes" => {
                    parsed.processes = args
                        .next()
                        .and_then(|v| v.parse().ok())
                        .filter(|n| *n > 0)
                        .ok_or("--processes takes a number above 0")?;
                }
                "--redis" => parsed.redis = true,
                "--restart" => parsed.restart = true,
                "--pace" => parsed.pace = true,
                "--store" => {
                    parsed.store = Some(args.next().ok_or("--store takes a redis:// URL")?)
                }
                other => return Err(format!("unknown argument {other:?}")),
            }
        }
        Ok(parsed)
    }
}
