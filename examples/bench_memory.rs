//! Peak memory while decoding a 50 MB account list through routy, as a
//! multiple of the body's size (Linux: reads the process's peak RSS).
//!
//! ```sh
//! cargo run --release --example bench_memory
//! ```

use routy::http::Response;
use routy::Account;

const TARGET_BYTES: usize = 50 << 20;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The body is written by hand (not through serde) so building it does
    // not itself leave a high-water mark.
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
    let size = body.len();
    let response = Response::builder()
        .header("content-type", "application/json")
        .body(body)?;

    let before = rss_kib("VmRSS").ok_or("needs Linux /proc")?;
    // Reset the high-water mark to now, so it measures the decode alone.
    std::fs::write("/proc/self/clear_refs", "5")?;
    let accounts: Vec<Account> = routy::decode_json(&response, "accounts")?;
    let peak = rss_kib("VmHWM").ok_or("needs Linux /proc")?;
    println!(
        "{} accounts, body {:.1} MiB",
        accounts.len(),
        size as f64 / 1048576.0
    );
    println!(
        "resident before decoding (body included): {:.1} MiB",
        before as f64 / 1024.0
    );
    println!(
        "peak while decoding:                      {:.1} MiB",
        peak as f64 / 1024.0
    );
    println!(
        "peak / body size:                         {:.2}",
        peak as f64 * 1024.0 / size as f64
    );
    Ok(())
}

fn rss_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
