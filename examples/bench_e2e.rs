//! End-to-end cost of routy over raw ureq: sequential GETs of a 6 KB,
//! 40-account JSON body over keep-alive on loopback, decoded into the same
//! `Account` struct, with the same agent settings and headers. A and B run
//! interleaved in rounds so drift in the machine affects both alike.
//!
//! ```sh
//! cargo run --release --example bench_e2e                # A/B ratios, 1/2/4/8 threads
//! cargo run --release --example bench_e2e -- serve 8099  # only the server (for callgrind)
//! cargo run --release --example bench_e2e -- client http://127.0.0.1:8099 routy 200
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

use routy::{Account, ApiKey};

const KEY: &str = "OaBw1+4DqFfDLXOLpWthbfp502Wc0D4tICsxNcT+aeQ=";
const ROUNDS: usize = 25;
const PER_ROUND: usize = 400;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("serve") => {
            let port: u16 = args.get(1).map_or(Ok(8099), |p| p.parse())?;
            let listener = TcpListener::bind(("127.0.0.1", port))?;
            eprintln!("serving on http://{}", listener.local_addr()?);
            serve(listener, Arc::new(response_bytes()));
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
        _ => compare(),
    }
}

/// The two sides of the comparison.
enum Side {
    Ureq {
        agent: ureq::Agent,
        url: String,
        auth: String,
    },
    Routy(routy::Client),
}

impl Side {
    fn new(mode: &str, base: &str) -> Result<Side, Box<dyn std::error::Error>> {
        Ok(match mode {
            "ureq" => Side::Ureq {
                // The settings routy's transport uses, and the same overall
                // deadline it applies per request.
                agent: ureq::Agent::new_with_config(
                    ureq::Agent::config_builder()
                        .http_status_as_error(false)
                        .max_redirects(0)
                        .max_redirects_will_error(false)
                        .timeout_global(Some(Duration::from_secs(30)))
                        .build(),
                ),
                url: format!("{base}/v1/accounts"),
                auth: format!("ApiKey {KEY}"),
            },
            "routy" => Side::Routy(
                routy::Client::builder()
                    .api_key(ApiKey::new(KEY)?)
                    .base_url(base)
                    .build()?,
            ),
            other => return Err(format!("unknown mode {other}").into()),
        })
    }

    fn request(&self) -> Result<usize, Box<dyn std::error::Error>> {
        match self {
            Side::Ureq { agent, url, auth } => {
                let mut response = agent
                    .get(url)
                    .header("authorization", auth)
                    .header("accept", "application/json")
                    .header("user-agent", routy::config::USER_AGENT)
                    .call()?;
                let body = response.body_mut().read_to_vec()?;
                let accounts: Vec<Account> = serde_json::from_slice(&body)?;
                Ok(accounts.len())
            }
            Side::Routy(client) => Ok(client.accounts()?.len()),
        }
    }
}

fn compare() -> Result<(), Box<dyn std::error::Error>> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let base = format!("http://{}/api", listener.local_addr()?);
    let bytes = Arc::new(response_bytes());
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
fn response_bytes() -> Vec<u8> {
    let body = routy_sandbox::seed_accounts_json();
    let mut bytes = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    bytes.extend_from_slice(&body);
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
