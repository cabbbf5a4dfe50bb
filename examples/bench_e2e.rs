//! End-to-end cost of routy over the code a user would write instead
//! (`../shared/perf`): sequential GETs of a 40-account JSON body over
//! keep-alive on loopback. The raw side is that baseline exactly: ureq 3
//! with its default agent config, `Authorization` and `Accept` headers,
//! `read_to_vec`, `serde_json::from_slice` into a derived struct. Both
//! sides read every account's id and name after the call. A and B run
//! interleaved in rounds so drift in the machine affects both alike.
//!
//! ```sh
//! cargo run --release --example bench_e2e                # A/B ratios, 1/2/4/8 threads
//! cargo run --release --example bench_e2e -- compare ../shared/perf/accounts.json  # same, that body
//! cargo run --release --example bench_e2e -- serve 8099 ../shared/perf/accounts.json  # only the server (for callgrind)
//! cargo run --release --example bench_e2e -- client http://127.0.0.1:8099 routy 200
//! # the other transports (modes routy-curl, routy-reqwest):
//! cargo run --release --features curl,reqwest --example bench_e2e -- client http://127.0.0.1:8099 routy-curl 200
//! ```
//!
//! Instructions per request (README "Performance" has the full recipe):
//! run `serve` in one shell, then the `client` mode under
//! `valgrind --tool=callgrind` with 100 and with 200 requests, for `routy`
//! and for `ureq`; the difference of the two totals, divided by 100, is the
//! cost of one request with start-up cancelled out.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

use routy::ApiKey;

const KEY: &str = "OaBw1+4DqFfDLXOLpWthbfp502Wc0D4tICsxNcT+aeQ=";
const ROUNDS: usize = 25;
const PER_ROUND: usize = 400;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("serve") => {
            let port: u16 = args.get(1).map_or(Ok(8099), |p| p.parse())?;
            // The body: a file (the shared baseline's accounts.json), else
            // the sandbox's seed accounts.
            let body = match args.get(2) {
                Some(path) => std::fs::read(path)?,
                None => routy_sandbox::seed_accounts_json(),
            };
            let listener = TcpListener::bind(("127.0.0.1", port))?;
            eprintln!(
                "serving {} bytes on http://{}",
                body.len(),
                listener.local_addr()?
            );
            serve(listener, Arc::new(response_bytes(&body)));
            Ok(())
        }
        Some("client") => {
            let url = args.get(1).ok_or("client needs a base url")?;
            let mode = args.get(2).map_or("routy", String::as_str);
            let n: usize = args.get(3).map_or(Ok(100), |n| n.parse())?;
            let side = Side::new(mode, &format!("{url}/api"))?;
            for _ in 0..n {
                side.request()?;
            }
            Ok(())
        }
        Some("compare") => match args.get(1) {
            Some(path) => compare(std::fs::read(path)?),
            None => compare(routy_sandbox::seed_accounts_json()),
        },
        _ => compare(routy_sandbox::seed_accounts_json()),
    }
}

/// The account as the shared baseline declares it.
#[derive(Debug, serde::Deserialize)]
#[allow(dead_code, reason = "decoded as a user would, read in part")]
#[serde(rename_all = "camelCase")]
struct RawAccount {
    id: u64,
    name: String,
    email: Option<String>,
    created_at: Option<String>,
    is_active: Option<bool>,
    time_zone: Option<String>,
}

/// The two sides of the comparison.
enum Side {
    Ureq {
        agent: ureq::Agent,
        url: String,
        auth: String,
    },
    /// routy over the transport the mode names.
    Routy(routy::ClientWith<Box<dyn routy::Transport>>),
}

impl Side {
    fn new(mode: &str, base: &str) -> Result<Side, Box<dyn std::error::Error>> {
        Ok(match mode {
            "ureq" => Side::Ureq {
                // ureq's defaults, as a user without routy would have them.
                agent: ureq::Agent::config_builder().build().into(),
                url: format!("{base}/v1/accounts"),
                auth: format!("ApiKey {KEY}"),
            },
            "routy" => Side::routy(base, Box::new(routy::UreqTransport::new()))?,
            // With a quota store configured (`ROUTY_BENCH_STORE`, a
            // redis:// URL): what a fleet's process pays per request.
            "routy-store" => {
                let url = std::env::var("ROUTY_BENCH_STORE")?;
                let store = routy_redis::RedisQuotaStore::builder(&url).build()?;
                Side::Routy(
                    routy::ClientBuilder::new()
                        .api_key(ApiKey::new(KEY)?)
                        .base_url(base)
                        .max_body_bytes(1 << 30)
                        .quota_store(std::sync::Arc::new(store))
                        .build_with(
                            Box::new(routy::UreqTransport::new()) as Box<dyn routy::Transport>
                        )?,
                )
            }
            #[cfg(feature = "curl")]
            "routy-curl" => Side::routy(base, Box::new(routy::CurlTransport::new()))?,
            #[cfg(feature = "reqwest")]
            "routy-reqwest" => Side::routy(base, Box::new(routy::ReqwestTransport::new()?))?,
            other => return Err(format!("unknown mode {other}").into()),
        })
    }

    fn routy(
        base: &str,
        transport: Box<dyn routy::Transport>,
    ) -> Result<Side, Box<dyn std::error::Error>> {
        Ok(Side::Routy(
            routy::ClientBuilder::new()
                .api_key(ApiKey::new(KEY)?)
                .base_url(base)
                // Big lists are measured too (`bench_memory`'s 50 MB body).
                .max_body_bytes(1 << 30)
                .build_with(transport)?,
        ))
    }

    fn request(&self) -> Result<usize, Box<dyn std::error::Error>> {
        match self {
            Side::Ureq { agent, url, auth } => {
                let body = agent
                    .get(url)
                    .header("Authorization", auth)
                    .header("Accept", "application/json")
                    .call()?
                    .body_mut()
                    .read_to_vec()?;
                let accounts: Vec<RawAccount> = serde_json::from_slice(&body)?;
                let names: usize = accounts
                    .iter()
                    .map(|a| {
                        std::hint::black_box(&a.id);
                        a.name.len()
                    })
                    .sum();
                std::hint::black_box(names);
                Ok(accounts.len())
            }
            Side::Routy(client) => {
                let accounts = client.accounts()?;
                // Touch what a user reads (id and name), as the shared
                // baseline does: decoding deferred to access is counted.
                let names: usize = accounts
                    .iter()
                    .map(|a| {
                        std::hint::black_box(a.id());
                        a.name().map_or(0, str::len)
                    })
                    .sum();
                std::hint::black_box(names);
                Ok(accounts.len())
            }
        }
    }
}

fn compare(body: Vec<u8>) -> Result<(), Box<dyn std::error::Error>> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let base = format!("http://{}/api", listener.local_addr()?);
    let bytes = Arc::new(response_bytes(&body));
    std::thread::spawn(move || serve(listener, bytes));

    let ureq_side = Arc::new(Side::new("ureq", &base)?);
    let routy_side = Arc::new(Side::new("routy", &base)?);
    // Warm both: connections open, caches filled.
    for _ in 0..200 {
        ureq_side.request()?;
        routy_side.request()?;
    }

    println!(
        "{} rounds x {PER_ROUND} requests each side, interleaved",
        ROUNDS
    );
    println!("threads  raw ureq req/s   routy req/s   routy/ureq  round median (min-max)");
    for threads in [1usize, 2, 4, 8] {
        let (mut ureq_time, mut routy_time) = (Duration::ZERO, Duration::ZERO);
        // Each round's ratio too: its median shrugs off a round that a
        // neighbour on these shared cores disturbed.
        let mut ratios = Vec::with_capacity(ROUNDS);
        for round in 0..ROUNDS {
            let (mut ureq_round, mut routy_round) = (Duration::ZERO, Duration::ZERO);
            // Alternate which side goes first.
            let order = if round % 2 == 0 {
                [&ureq_side, &routy_side]
            } else {
                [&routy_side, &ureq_side]
            };
            for side in order {
                let elapsed = run(side, threads, PER_ROUND)?;
                if Arc::ptr_eq(side, &ureq_side) {
                    ureq_round = elapsed;
                } else {
                    routy_round = elapsed;
                }
            }
            ureq_time += ureq_round;
            routy_time += routy_round;
            ratios.push(ureq_round.as_secs_f64() / routy_round.as_secs_f64());
        }
        ratios.sort_by(f64::total_cmp);
        let total = (ROUNDS * PER_ROUND) as f64;
        let (ureq_rate, routy_rate) = (
            total / ureq_time.as_secs_f64(),
            total / routy_time.as_secs_f64(),
        );
        println!(
            "{threads:>7}  {ureq_rate:>15.0}  {routy_rate:>12.0}  {:>11.3}  {:>12.3} ({:.3}-{:.3})",
            routy_rate / ureq_rate,
            ratios[ROUNDS / 2],
            ratios[0],
            ratios[ROUNDS - 1]
        );
    }
    Ok(())
}

/// `n` requests spread over `threads` threads sharing one side.
fn run(side: &Arc<Side>, threads: usize, n: usize) -> Result<Duration, Box<dyn std::error::Error>> {
    let started = Instant::now();
    let results: Vec<Result<(), String>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                let side = Arc::clone(side);
                s.spawn(move || {
                    for _ in 0..n / threads {
                        match side.request() {
                            Ok(40) => {}
                            Ok(other) => return Err(format!("{other} accounts")),
                            Err(e) => return Err(e.to_string()),
                        }
                    }
                    Ok(())
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|_| Err("thread panicked".into())))
            .collect()
    });
    results.into_iter().collect::<Result<Vec<()>, String>>()?;
    Ok(started.elapsed())
}

/// The whole response, head and the 40-account body, written in one go.
fn response_bytes(body: &[u8]) -> Vec<u8> {
    let mut bytes = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

/// A keep-alive loopback server: a thread per connection answering every
/// request (a GET, so no body to read) with the same bytes.
fn serve(listener: TcpListener, response: Arc<Vec<u8>>) {
    for stream in listener.incoming().flatten() {
        let response = Arc::clone(&response);
        std::thread::spawn(move || answer(stream, &response));
    }
}

fn answer(stream: TcpStream, response: &[u8]) {
    let _ = stream.set_nodelay(true);
    let mut writer = match stream.try_clone() {
        Ok(w) => w,
        Err(_) => return,
    };
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    loop {
        // Read the request head up to its blank line.
        loop {
            line.clear();
            match reader.read_line(&mut line) {
                Ok(0) | Err(_) => return,
                Ok(_) if line == "\r\n" => break,
                Ok(_) => {}
            }
        }
        if writer.write_all(response).is_err() {
            return;
        }
    }
}
