//! An endpoint of your own: a typed view of the fleet behind each account
//! (`GET /v1/accounts`, decoded into your struct rather than routy's
//! `Account`), run by the same client with the same retries, redirects,
//! typed errors, paging refusal and redaction as the built-in endpoints.
//! Against the local sandbox, offline.
//!
//! ```sh
//! cargo run --example custom_endpoint
//! ```

use routy::endpoint::Reply;
use routy::Endpoint;
use routy::{http, ApiKey, CallOptions, Error};
use routy_sandbox::{NewToken, Sandbox};

/// What this program needs of an account.
#[derive(Debug, serde::Deserialize)]
struct Fleet {
    id: u64,
    name: String,
    vehicles: u32,
    status: String,
}

/// `GET /v1/accounts`, as a list of [`Fleet`]s.
struct Fleets;

impl Endpoint for Fleets {
    type Output = Vec<Fleet>;

    fn method(&self) -> http::Method {
        http::Method::GET
    }

    fn path(&self) -> &str {
        "/v1/accounts"
    }

    fn parse(&self, reply: Reply<'_>) -> Result<Vec<Fleet>, Error> {
        // An array or an envelope; a list that says it has more pages is
        // an `Error::IncompleteList`, never a silent first page.
        reply.list()
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let sandbox = Sandbox::start()?;
    let token = sandbox.issue_token(NewToken::named("custom endpoint example"))?;
    let client = routy::Client::builder()
        .api_key(ApiKey::new(token.secret())?)
        .base_url(&sandbox.base_url())
        .build()?;

    // The response's metadata and per-call options compose on it too.
    let options = CallOptions::new().header("x-correlation-id", "fleet-report");
    let (fleets, info) = client.call_with(Fleets.with_info(), &options)?;
    let active: Vec<&Fleet> = fleets.iter().filter(|f| f.status == "active").collect();
    let vehicles: u32 = active.iter().map(|f| f.vehicles).sum();
    println!(
        "{} active fleets of {} ({vehicles} vehicles), in {} attempt(s), served as {}",
        active.len(),
        fleets.len(),
        info.attempts(),
        info.header("content-type").unwrap_or("-")
    );
    if let Some(largest) = active.iter().max_by_key(|f| f.vehicles) {
        println!(
            "largest: #{} {} ({} vehicles)",
            largest.id, largest.name, largest.vehicles
        );
    }

    // Errors carry where the call was, as for routy's own endpoints.
    let stranger = routy::Client::builder()
        .api_key(ApiKey::new("OaBw1+4DqFfDLXOLpWthbfp502Wc0D4tICsxNcT+aeQ=")?)
        .base_url(&sandbox.base_url())
        .build()?;
    if let Err(err) = stranger.call(Fleets) {
        println!("with an unknown key: {err}");
    }
    Ok(())
}
