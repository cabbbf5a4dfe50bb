//! Rehearse a bad day: run a job that uses routy across thousands of
//! seeded schedules of faults, in virtual time, with no sockets and no
//! sleeping, and get the seed and trace of every schedule it does not
//! survive.
//!
//! - **The API** is the sandbox's own model
//!   ([`routy_sandbox::model::Api`]): the same accounts, `ApiKey`
//!   authentication, token lifecycle, problem bodies, rate limit and stubs
//!   as `routy sandbox` serves over sockets, so the two cannot disagree.
//! - **The network** is a [fault schedule](FaultMix) drawn from the seed:
//!   latency; refused connections; a reset *after* the server applied the
//!   request; a stall past the request's deadline; a body cut short; 429
//!   and 503 with `Retry-After` as seconds or a date; 500 with a problem
//!   body; redirects to the same and to another origin; the token expiring
//!   or deleted mid-run.
//! - **Time** is virtual ([`SimClock`]): latency and every wait move it at
//!   once and each request's deadline is checked against it.
//! - **A fleet** ([`Simulation::workers`]): the job runs on several
//!   threads at once over one client (or a client each) and the API's one
//!   quota; the workers take turns in virtual-time order, ties drawn from
//!   the seed, so a seed still gives one interleaving and one trace.
//!
//! ```
//! use routy_testkit::sim::Simulation;
//!
//! #[derive(serde::Deserialize)]
//! struct Details { id: u64, name: String }
//!
//! fn nightly(client: &routy_testkit::sim::SimClient, _sim: &routy_testkit::sim::Sim) -> Result<(), routy::Error> {
//!     for account in client.accounts()? {
//!         let details: Details = client.get(&format!("/v1/accounts/{}", account.id()))?;
//!         assert_eq!(Some(details.name.as_str()), account.name());
//!         # let _ = details.id;
//!     }
//!     Ok(())
//! }
//!
//! let simulation = Simulation::new().schedules(100);
//! let report = simulation.run(nightly);
//! // This job treats every error as fatal: some bad days end it.
//! assert!(report.failed > 0);
//! println!("{report}"); // simulated 100 schedules in 0.05 s (2000 per second), 95 failed
//! // Run the first failing seed again: the same trace, byte for byte.
//! let first = &report.failures[0];
//! let again = simulation.run_one(first.seed, nightly);
//! assert_eq!(again.trace.to_string(), first.trace.to_string());
//! // Whatever the job did, routy kept its rules.
//! assert!(!report.broke_invariants());
//! ```
//!
//! # Invariants
//!
//! Checked on every schedule, whatever the job does; a break fails the
//! schedule even when the job succeeds:
//!
//! - a non-idempotent request that reached the server is never sent again;
//! - a call makes at most `max_attempts` attempts and waits at most
//!   `max_total_delay` between them;
//! - no attempt goes out before the `Retry-After` of the answer before it;
//! - every call ends by its whole-call deadline (`call_timeout`) and every
//!   attempt by its own, in virtual time;
//! - `Authorization` never goes to another origin;
//! - in a fleet, no request leaves a client before a `Retry-After` that
//!   client had received for the same key (any worker's answer counts);
//! - no error the job returns and no trace line holds the key;
//! - nothing panics.
//!
//! # What it does not simulate
//!
//! It is deterministic for the threads it starts (the fleet's workers): a
//! job that spawns threads of its own which call the client gets a
//! schedule that depends on how they interleave. It does not simulate
//! TLS, DNS, proxies, HTTP framing or compression (each transport's own
//! conformance suite covers those), processes other than the fleet
//! sharing the rate limit, or the server's clock drifting from the
//! client's. Time a job spends computing is not time in the simulation.

mod baton;
mod fleet;
mod invariants;
mod runner;
mod schedule;
mod timeline;
mod trace;
mod world;

pub use fleet::{FleetReport, FleetRun, FleetSimulation};
pub use runner::{Report, Run, Sim, Simulation};
pub use schedule::{FaultMix, RetryAfterForm, SimFault};
pub use trace::{Event, StoreState, Trace, What};
pub use world::{SimClock, SimTransport};

/// The client a simulated job gets.
pub type SimClient = routy_core::Client<SimTransport>;

/// The base URL of a simulated client.
pub const SIM_BASE_URL: &str = "https://sim.routy.invalid/api";

/// The other origin [`SimFault::RedirectElsewhere`] sends requests to: a
/// public mirror that needs no key.
pub const MIRROR_ORIGIN: &str = "https://mirror.routy.invalid";
