//! Two custom transports: a closure that answers from memory (no network),
//! and a wrapper that logs each exchange around the real ureq transport.
//! The log shows method, URI, status and timing, never the Authorization
//! header.
//!
//! ```sh
//! cargo run --example custom_transport
//! ```

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use routy::http::{Request, Response};
use routy::{ApiKey, Transport, TransportError, UreqTransport};
use routy_sandbox::{NewToken, Sandbox};

/// Wraps any transport, logging each exchange and counting them.
struct Logging<T> {
    inner: T,
    calls: AtomicU64,
}

impl<T: Transport> Transport for Logging<T> {
    fn send(&self, request: Request<Vec<u8>>) -> Result<Response<Vec<u8>>, TransportError> {
        let n = self.calls.fetch_add(1, Ordering::Relaxed) + 1;
        let (method, uri) = (request.method().clone(), request.uri().clone());
        let started = Instant::now();
        let result = self.inner.send(request);
        match &result {
            Ok(response) => eprintln!(
                "[{n}] {method} {uri} -> {} ({} bytes, {:?})",
                response.status(),
                response.body().len(),
                started.elapsed()
            ),
            Err(err) => eprintln!("[{n}] {method} {uri} -> {err} ({:?})", started.elapsed()),
        }
        result
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // 1. A closure is a transport through `transport_fn`: three lines for
    // a canned answer.
    let canned = routy::transport_fn(|_req| {
        Ok(Response::new(
            br#"[{"id": 1, "name": "From a closure"}]"#.to_vec(),
        ))
    });
    let client = routy::Client::builder()
        .api_key(ApiKey::new("any-token-will-do")?)
        .build_with(canned)?;
    println!("closure: {:?}", client.accounts()?[0].name());

    // 2. A logging wrapper around the real transport, against the sandbox.
    let sandbox = Sandbox::start()?;
    let token = sandbox.issue_token(NewToken::named("custom transport example"))?;
    // Named from the facade alone: a client over our own transport.
    let client: routy::ClientWith<Logging<UreqTransport>> = routy::ClientBuilder::new()
        .api_key(ApiKey::new(token.secret())?)
        .base_url(&sandbox.base_url())
        .build_with(Logging {
            inner: UreqTransport::new(),
            calls: AtomicU64::new(0),
        })?;
    for _ in 0..3 {
        client.accounts()?;
    }
    println!(
        "logging wrapper: {} calls made",
        client.transport().calls.load(Ordering::Relaxed)
    );
    Ok(())
}
