//! What happened in one schedule, in virtual time: every request (the key
//! as its fingerprint), fault, answer and wait. Rendered the same, byte
//! for byte, each time the seed runs.

use std::fmt;
use std::time::Duration;

use http::{HeaderName, HeaderValue, Method, Uri};
use routy_core::TransportErrorKind;

use super::SimFault;

/// One moment of a schedule.
///
/// # Examples
///
/// ```
/// use routy_testkit::sim::{Event, What};
/// use std::time::Duration;
/// let event = Event { at: Duration::from_millis(1500), worker: None, what: What::JobWait(Duration::from_secs(30)) };
/// assert_eq!(event.to_string(), "[    1.500 s] job waits 30.000 s");
/// // In a fleet, each line says which worker it is about.
/// let event = Event { worker: Some(3), ..event };
/// assert_eq!(event.to_string(), "[    1.500 s] w3 job waits 30.000 s");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// Virtual time since the schedule started.
    pub at: Duration,
    /// Which worker of a fleet it happened to; `None` for a single job.
    pub worker: Option<usize>,
    /// What happened.
    pub what: What,
}

/// What happened at one moment.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum What {
    /// A request went out.
    Request {
        /// The call it belongs to, from 1.
        call: u64,
        /// Its attempt in that call, from 1.
        attempt: u32,
        /// Its redirect hop in that attempt, 0 for none.
        hop: u32,
        /// The method.
        method: Method,
        /// The URL.
        uri: Uri,
        /// The headers, in order; the key as `ApiKey …abcd`.
        headers: Vec<(HeaderName, HeaderValue)>,
    },
    /// A fault met the request.
    Fault(SimFault),
    /// A response came back.
    Response {
        /// Its status.
        status: u16,
        /// Its body's length.
        bytes: usize,
    },
    /// The transport failed.
    Failed(TransportErrorKind),
    /// The answer said the quota is spent: no request of this key before
    /// `until` (virtual time), from its `Retry-After`.
    WindowSpent {
        /// When the window opens again.
        until: Duration,
    },
    /// The client slept before retrying.
    ClientWait(Duration),
    /// The job slept (through the simulation's clock).
    JobWait(Duration),
    /// The job rotated to a fresh key, shown by its fingerprint.
    KeyRotated {
        /// The new token's id.
        token_id: String,
        /// Its fingerprint.
        fingerprint: String,
    },
    /// A note from the job or the runner (checked for the key first).
    Note(String),
    /// The job (in a fleet, this worker's) ended: `Ok` or its error as
    /// text (checked for the key first).
    JobEnded(Result<(), String>),
    /// An invariant broke here.
    Broken(String),
    /// A process of a [process fleet](super::FleetSimulation) heard
    /// through the quota store that the window is spent until `until`
    /// (virtual time).
    Heard {
        /// Until when it holds its calls.
        until: Duration,
    },
    /// The quota store of a process fleet changed state.
    Store(StoreState),
}

/// What became of a simulated quota store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum StoreState {
    /// Unreachable: every process holds on its own gate.
    Down,
    /// Reachable but slower than a client's timeout for it: turns are
    /// not booked, news arrives late.
    Slow,
    /// Back (after down, slow or a restart).
    Up,
    /// Restarted: what it held and its scripts are gone.
    Restarted,
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.show(f, "w")
    }
}

impl Event {
    /// The event as a line, its lane named `lane` and its number.
    fn show(&self, f: &mut fmt::Formatter<'_>, lane: &str) -> fmt::Result {
        write!(f, "[{:>9.3} s] ", self.at.as_secs_f64())?;
        if let Some(worker) = self.worker {
            write!(f, "{lane}{worker} ")?;
        }
        match &self.what {
            What::Request {
                call,
                attempt,
                hop,
                method,
                uri,
                headers,
            } => {
                write!(f, "-> {method} {uri} (call {call}, attempt {attempt}")?;
                if *hop > 0 {
                    write!(f, ", hop {hop}")?;
                }
                f.write_str(")")?;
                for (name, value) in headers {
                    write!(
                        f,
                        "\n{:15}{name}: {}",
                        "",
                        String::from_utf8_lossy(value.as_bytes())
                    )?;
                }
                Ok(())
            }
            What::Fault(fault) => write!(f, "   fault: {fault}"),
            What::Response { status, bytes } => write!(f, "<- {status} ({bytes} bytes)"),
            What::Failed(kind) => write!(f, "<- {kind}"),
            What::WindowSpent { until } => {
                write!(f, "   window spent until {:.3} s", until.as_secs_f64())
            }
            What::ClientWait(d) => write!(f, "client waits {:.3} s", d.as_secs_f64()),
            What::JobWait(d) => write!(f, "job waits {:.3} s", d.as_secs_f64()),
            What::KeyRotated {
                token_id,
                fingerprint,
            } => write!(f, "job rotates to a fresh key {token_id} ({fingerprint})"),
            What::Note(text) => write!(f, "note: {text}"),
            What::JobEnded(Ok(())) => f.write_str("job ends: ok"),
            What::JobEnded(Err(why)) => write!(f, "job ends: failed: {why}"),
            What::Broken(why) => write!(f, "INVARIANT BROKEN: {why}"),
            What::Heard { until } => write!(
                f,
                "   heard from the fleet: window spent until {:.3} s",
                until.as_secs_f64()
            ),
            What::Store(state) => write!(f, "store: {state:?}"),
        }
    }
}

/// Every event of one schedule, with its seed.
///
/// `Display` shows them in time order (a fleet's workers take turns, so
/// they are recorded out of it), each send and each answer on its own
/// line, every job's end, and a wait the client made before a call's
/// first request as the quota holding the call.
///
/// # Examples
///
/// ```
/// use routy_testkit::sim::{FaultMix, Simulation};
///
/// let sim = Simulation::new().mix(FaultMix::calm());
/// let run = sim.run_one(3, |client, _sim| client.accounts().map(|_| ()));
/// assert!(run.trace.to_string().starts_with("seed 3\n"));
/// assert!(run.trace.to_string().ends_with("job ends: ok\n"));
/// assert_eq!(run.trace.to_string(), sim.run_one(3, |client, _sim| client.accounts().map(|_| ())).trace.to_string());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Trace {
    /// The schedule's seed.
    pub seed: u64,
    /// What happened, in the order the runner saw it.
    pub events: Vec<Event>,
    /// What a lane is called in the timeline: `w` (a worker of one
    /// client) or `p` (a process of a fleet).
    pub(crate) lane: &'static str,
}

impl Trace {
    /// An empty trace of `seed` whose lanes are workers (`w0`, `w1`, …).
    pub(crate) fn of_workers(seed: u64) -> Self {
        Trace {
            seed,
            events: Vec::new(),
            lane: "w",
        }
    }
}

impl fmt::Display for Trace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "seed {}", self.seed)?;
        // Stable: what one worker did at one instant keeps its order.
        let mut order: Vec<usize> = (0..self.events.len()).collect();
        order.sort_by_key(|&i| self.events[i].at);
        for &i in &order {
            let event = &self.events[i];
            match (&event.what, self.holds(i)) {
                (What::ClientWait(d), true) => {
                    let held = Event {
                        what: What::Note(format!(
                            "the client holds the call {:.3} s for the quota before its first request",
                            d.as_secs_f64()
                        )),
                        ..event.clone()
                    };
                    held.show(f, self.lane)?;
                }
                _ => event.show(f, self.lane)?,
            }
            writeln!(f)?;
        }
        Ok(())
    }
}

impl Trace {
    /// Whether event `i` is a client's wait before a call's first
    /// request: the quota holding the call.
    pub(super) fn holds(&self, i: usize) -> bool {
        let event = &self.events[i];
        if !matches!(event.what, What::ClientWait(_)) {
            return false;
        }
        let next = self.events[i + 1..].iter().find(|later| {
            later.worker == event.worker
                && matches!(later.what, What::Request { .. } | What::JobEnded(_))
        });
        matches!(
            next,
            Some(Event {
                what: What::Request {
                    attempt: 1,
                    hop: 0,
                    ..
                },
                ..
            })
        )
    }
}
