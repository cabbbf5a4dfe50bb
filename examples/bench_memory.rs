//! Peak memory of a process that reads a 50 MB account list through
//! `client.accounts()` over loopback, as a multiple of the body's size
//! (Linux: the client's peak resident set, `VmHWM`).
//!
//! ```sh
//! cargo run --release --example bench_memory
//! ```
//!
//! This process writes the list and serves it on loopback; a second
//! process, this example again in `client` mode, makes the one call and
//! reports its own peak, so nothing of the server or of building the body
//! is counted. The same with the tools a reader has
//! (`docs/PERFORMANCE.md`):
//!
//! ```sh
//! target/release/examples/bench_memory write /tmp/big.json
//! target/release/examples/bench_e2e serve 8098 /tmp/big.json &
//! /usr/bin/time -v target/release/examples/bench_memory client http://127.0.0.1:8098
//! ```

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::process::Command;

const TARGET_BYTES: usize = 50 << 20;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match (args.first().map(String::as_str), args.get(1)) {
        (Some("write"), Some(path)) => {
            let body = big_list();
            std::fs::write(path, &body)?;
            println!("{} bytes written to {path}", body.len());
            Ok(())
        }
        (Some("client"), Some(base)) => client(base),
        _ => measure(),
    }
}

/// The 50 MB list: accounts of the shape the sandbox serves, written by
/// hand (not through serde).
fn big_list() -> Vec<u8> {
    let mut body = Vec::with_capacity(TARGET_BYTES + 4096);
    body.push(b'[');
    let mut i = 0u64;
    while body.len() < TARGET_BYTES {
        if i > 0 {
            body.push(b',');
        }
        body.extend_from_slice(
            format!(
                r#"{{"id":{},"name":"Account {i} Logistics","country":"DE","timezone":"Europe/Berlin","status":"active","plan":"growth","vehicles":{},"createdAt":"2025-03-04T09:10:00Z"}}"#,
                1001 + i,
                i % 40
            )
            .as_bytes(),
        );
        i += 1;
    }
    body.push(b']');
    body
}

/// One `accounts()` call, every id and name read, then this process's
/// peak resident set.
fn client(base: &str) -> Result<(), Box<dyn std::error::Error>> {
    let client = routy::ClientBuilder::new()
        .api_key(routy::ApiKey::new("bench-memory-key")?)
        .base_url(&format!("{base}/api"))
        .max_body_bytes(1 << 30)
        .build()?;
    let accounts = client.accounts()?;
    let names: usize = accounts
        .iter()
        .map(|a| {
            std::hint::black_box(a.id());
            a.name().map_or(0, str::len)
        })
        .sum();
    let peak = rss_kib("VmHWM").ok_or("needs Linux /proc")?;
    println!("{} accounts, {names} name bytes", accounts.len());
    println!("peak resident: {peak} KiB");
    Ok(())
}

/// Serves the list on loopback and runs [`client`] in a process of its own.
fn measure() -> Result<(), Box<dyn std::error::Error>> {
    let body = big_list();
    let size = body.len();
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let base = format!("http://{}", listener.local_addr()?);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            // One request per connection: read its head, answer, close.
            let mut reader = BufReader::new(&stream);
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                line.clear();
            }
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let mut stream = &stream;
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(&body);
        }
    });
    let out = Command::new(std::env::current_exe()?)
        .args(["client", &base])
        .output()?;
    let report = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        return Err(format!("client failed: {}", String::from_utf8_lossy(&out.stderr)).into());
    }
    print!("{report}");
    let peak: f64 = report
        .lines()
        .find_map(|l| l.strip_prefix("peak resident: "))
        .and_then(|l| l.trim_end_matches(" KiB").parse().ok())
        .ok_or("no peak in the client's report")?;
    println!("body: {:.1} MiB", size as f64 / 1048576.0);
    println!("peak / body size: {:.3}", peak * 1024.0 / size as f64);
    Ok(())
}

fn rss_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
