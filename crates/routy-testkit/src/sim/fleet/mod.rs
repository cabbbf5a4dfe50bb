//! Rehearse a fleet of processes that share one token, and one quota
//! through a store: W processes, each with its own client gate and its
//! own clocks, over the sandbox's API and one simulated store that goes
//! away, turns slow, or restarts empty, in virtual time, deterministic by
//! seed.
//!
//! Each process runs its calls as routy's sans-IO [`Call`] machines on
//! this one thread: the runner keeps every process's next event in one
//! queue by virtual time (ties drawn from the seed) and feeds each to its
//! machine, so a schedule costs no thread hand-off and a seed is one
//! interleaving, one trace. The store is [`QuotaStore`]'s contract as
//! `routy-redis` keeps it: the word "spent until" on the store's clock,
//! published to every process as time left, read when a process starts
//! and when the store is back, paced turns booked on it (GCRA), all of it
//! lost by a restart.
//!
//! [`QuotaStore`]: routy_core::policy::QuotaStore
//!
//! ```
//! use routy_testkit::sim::FleetSimulation;
//!
//! let fleet = FleetSimulation::new().processes(8).schedules(20);
//! let report = fleet.run();
//! assert!(!report.broke_invariants(), "{report}");
//! // Run a seed again: the same trace, byte for byte.
//! let (a, b) = (fleet.run_one(3), fleet.run_one(3));
//! assert_eq!(a.trace.to_string(), b.trace.to_string());
//! ```
//!
//! # Invariants
//!
//! Checked on every schedule:
//!
//! - no process sends a request after the fleet told it (through the
//!   store, while the store was up) that the window is spent, before the
//!   time it was told;
//! - no call fails for the store: a call that fails was held or refused
//!   by the API's quota, never ended by the store being away, slow or
//!   restarted;
//! - no error and no trace line holds the key.
//!
//! Clocks: each process's monotonic clock starts at a time of its own and
//! its wall clock is off the API's by up to [`skew`](FleetSimulation::skew)
//! (the API dates some `Retry-After`s, which a skewed process reads
//! wrong); the store keeps its own time. What it does not simulate: the
//! store's pub/sub losing a message while up, or a process's clock
//! running at another rate.

mod store;

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fmt;
use std::ops::Range;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use http::{Method, Response, Uri};
use rand::rngs::StdRng;
use rand::{Rng as _, SeedableRng as _};
use routy_core::call::{Call, Event as CallEvent, Step};
use routy_core::clock::Clock;
use routy_core::policy::{QuotaGate, QuotaInbox};
use routy_core::{ApiKey, Config, Error};
use routy_sandbox::model::Api;
use routy_sandbox::{NewToken, RateWindow};

use super::trace::{Event, StoreState, Trace, What};
use store::{lock, Change, SimStore, StoreWorld};

/// Where the fleet's clients send (the sandbox's model answers by path).
const BASE_URL: &str = "https://fleet.routy.invalid/api";

/// A process fleet to rehearse: how many processes, what each does, the
/// API's quota, and whether (and how badly) the store fails.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use routy_testkit::sim::FleetSimulation;
///
/// // Without the store each process learns only from its own 429s.
/// let alone = FleetSimulation::new().processes(8).store(false).seeds(0..10).run();
/// let shared = FleetSimulation::new().processes(8).store_faults(false).seeds(0..10).run();
/// assert!(shared.refused < alone.refused, "{shared}\n{alone}");
/// ```
#[derive(Debug, Clone)]
pub struct FleetSimulation {
    processes: usize,
    calls: u32,
    limit: u32,
    window: Duration,
    latency: Range<Duration>,
    skew: Duration,
    pace: bool,
    store: bool,
    faults: bool,
    seeds: Range<u64>,
    keep: usize,
}

impl Default for FleetSimulation {
    fn default() -> Self {
        FleetSimulation::new()
    }
}

impl FleetSimulation {
    /// 8 processes of 10 calls each, the API at 20 calls per 2 s, 2 to
    /// 20 ms a round trip, wall clocks up to 1 s off, one store that may
    /// fail, 1,000 schedules.
    pub fn new() -> Self {
        FleetSimulation {
            processes: 8,
            calls: 10,
            limit: 20,
            window: Duration::from_secs(2),
            latency: Duration::from_millis(2)..Duration::from_millis(20),
            skew: Duration::from_secs(1),
            pace: false,
            store: true,
            faults: true,
            seeds: 0..1_000,
            keep: 3,
        }
    }

    /// How many processes share the token (at least one).
    pub fn processes(mut self, n: usize) -> Self {
        self.processes = n.max(1);
        self
    }

    /// How many calls each process makes, one after another.
    pub fn calls(mut self, n: u32) -> Self {
        self.calls = n;
        self
    }

    /// The API's quota: `limit` calls per `window` (a window opens with
    /// the first call after the last one ended, as the sandbox's does).
    pub fn rate(mut self, limit: u32, window: Duration) -> Self {
        self.limit = limit.max(1);
        self.window = window;
        self
    }

    /// How far off the API's a process's wall clock may be, either way.
    pub fn skew(mut self, skew: Duration) -> Self {
        self.skew = skew;
        self
    }

    /// Whether each client paces over what the API says is left.
    pub fn pace(mut self, pace: bool) -> Self {
        self.pace = pace;
        self
    }

    /// Whether the processes share a store at all (without it, each
    /// learns only from its own answers).
    pub fn store(mut self, store: bool) -> Self {
        self.store = store;
        self
    }

    /// Whether the seed draws store faults (away, slow, restarted).
    pub fn store_faults(mut self, faults: bool) -> Self {
        self.faults = faults;
        self
    }

    /// Runs `n` schedules, seeds `0..n`.
    pub fn schedules(mut self, n: u64) -> Self {
        self.seeds = 0..n;
        self
    }

    /// Runs these seeds.
    pub fn seeds(mut self, seeds: Range<u64>) -> Self {
        self.seeds = seeds;
        self
    }

    /// How many failing runs the report keeps whole (3).
    pub fn keep_failures(mut self, keep: usize) -> Self {
        self.keep = keep;
        self
    }

    /// Runs every seed on this thread.
    pub fn run(&self) -> FleetReport {
        let started = Instant::now();
        let mut report = FleetReport::default();
        for seed in self.seeds.clone() {
            let run = self.run_one(seed);
            report.schedules += 1;
            report.calls += u64::from(run.calls);
            report.failed_calls += u64::from(run.failed_calls);
            report.refused += u64::from(run.refused);
            report.windows += u64::from(run.windows);
            if !run.broken.is_empty() {
                report.broken += 1;
                if report.failures.len() < self.keep {
                    report.failures.push(run);
                }
            }
        }
        report.elapsed = started.elapsed();
        report
    }

    /// Runs one seed.
    ///
    /// # Panics
    ///
    /// If the sandbox's model refuses to issue a token or the base URL
    /// does not parse: both are fixed, so neither happens.
    #[allow(clippy::missing_panics_doc)]
    pub fn run_one(&self, seed: u64) -> FleetRun {
        let mut rng = StdRng::seed_from_u64(seed);
        let epoch = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let mut api = Api::new(Some(seed));
        let token = api
            .issue_token(NewToken::named("fleet"), epoch)
            .expect("the model issues tokens");
        api.set_rate_limit(Some(RateWindow::new(self.limit, self.window)), epoch);
        let key = ApiKey::new(token.secret()).expect("the model's tokens are keys");
        let config = routy_core::ClientBuilder::<Box<dyn routy_core::Transport>>::new()
            .base_url(BASE_URL)
            .pace(self.pace)
            .build_config()
            .expect("the simulated base URL parses");
        let uri: Uri = format!("{BASE_URL}/v1/accounts")
            .parse()
            .expect("the simulated URL parses");
        let world = Arc::new(std::sync::Mutex::new(StoreWorld::new(self.processes)));
        let time = Arc::new(AtomicU64::new(0));
        let processes: Vec<Process> = (0..self.processes)
            .map(|me| Process::new(me, &mut rng, self, &world, &time, &key))
            .collect();
        let changes = if self.store && self.faults {
            self.draw_faults(&mut rng)
        } else {
            Vec::new()
        };
        let mut fleet = Fleet {
            sim: self,
            rng,
            api,
            epoch,
            world,
            time,
            queue: BinaryHeap::new(),
            seq: 0,
            trace: Trace {
                lane: "p",
                ..Trace::of_workers(seed)
            },
            broken: Vec::new(),
            refused: 0,
            key: &key,
            config: &config,
            uri,
        };
        fleet.run(&processes, &changes)
    }

    /// The store's bad day: at most one of each fault, somewhere in the
    /// time the quota needs for the fleet's calls.
    fn draw_faults(&self, rng: &mut StdRng) -> Vec<Change> {
        let total = u64::from(self.calls) * self.processes as u64;
        let span = self.window.as_secs_f64() * (total / u64::from(self.limit)).max(1) as f64;
        let mut changes = Vec::new();
        for (state, chance) in [
            (StoreState::Down, 0.5),
            (StoreState::Slow, 0.3),
            (StoreState::Restarted, 0.3),
        ] {
            if rng.random_bool(chance) {
                let at = Duration::from_secs_f64(rng.random_range(0.0..span));
                let lasting = Duration::from_secs_f64(rng.random_range(0.1..span / 2.0 + 0.2));
                changes.push(Change { at, to: state });
                changes.push(Change {
                    at: at + lasting,
                    to: StoreState::Up,
                });
            }
        }
        changes.sort_by_key(|c| c.at);
        changes
    }
}

/// One process: its gate, its clocks, its calls so far.
struct Process {
    gate: Arc<QuotaGate>,
    /// Its monotonic clock's reading at virtual time zero.
    origin: Instant,
    /// Its wall clock's offset from the API's: ahead, or behind.
    skew: (bool, Duration),
    /// Until when (virtual time) the fleet told it the window is spent.
    told: Arc<AtomicU64>,
}

impl Process {
    fn new(
        me: usize,
        rng: &mut StdRng,
        sim: &FleetSimulation,
        world: &store::Shared,
        time: &Arc<AtomicU64>,
        key: &ApiKey,
    ) -> Process {
        let origin = Instant::now() + Duration::from_secs(rng.random_range(0..1_000_000));
        let skew = (
            rng.random_bool(0.5),
            Duration::from_secs_f64(rng.random_range(0.0..=sim.skew.as_secs_f64())),
        );
        let mut gate = QuotaGate::new(routy_core::QuotaScope::Client).pacing(sim.pace);
        let store = Arc::new(SimStore {
            shared: Arc::clone(world),
            me,
        });
        if sim.store {
            gate = gate.store(store.clone());
        }
        let gate = Arc::new(gate);
        let told = Arc::new(AtomicU64::new(0));
        if sim.store {
            let clock = ProcessClock {
                origin,
                time: Arc::clone(time),
            };
            let inbox = QuotaInbox::new(&gate, Arc::new(clock));
            routy_core::policy::QuotaStore::attach(&*store, inbox);
            gate.watch(key);
        }
        Process {
            gate,
            origin,
            skew,
            told,
        }
    }

    fn now(&self, at: Duration) -> Instant {
        self.origin + at
    }

    fn wall(&self, epoch: SystemTime, at: Duration) -> SystemTime {
        match self.skew {
            (true, by) => epoch + at + by,
            (false, by) => epoch + at - by,
        }
    }
}

/// A process's monotonic clock: its own origin, the fleet's virtual
/// time.
#[derive(Debug)]
struct ProcessClock {
    origin: Instant,
    time: Arc<AtomicU64>,
}

impl Clock for ProcessClock {
    fn now(&self) -> Instant {
        self.origin + Duration::from_nanos(self.time.load(Ordering::Relaxed))
    }

    fn wall(&self) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_nanos(self.time.load(Ordering::Relaxed))
    }

    fn sleep(&self, _duration: Duration) {
        // The runner moves time; a process never sleeps on its own.
    }
}

/// What the runner does next, in virtual-time order.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Due {
    /// Process `p`'s machine is fed its next event.
    Process(usize),
    /// The store changes state (index into the changes).
    Store(usize),
    /// News reaches a process (index into the store's outbox, taken).
    News(usize),
}

/// One schedule being run.
struct Fleet<'s> {
    sim: &'s FleetSimulation,
    rng: StdRng,
    api: Api,
    epoch: SystemTime,
    world: store::Shared,
    time: Arc<AtomicU64>,
    queue: BinaryHeap<Reverse<(Duration, u64, u64, Due)>>,
    seq: u64,
    trace: Trace,
    broken: Vec<String>,
    refused: u32,
    key: &'s ApiKey,
    /// What every process's calls run under, and where they go.
    config: &'s Config,
    uri: Uri,
}

/// One process's call in flight, and what it is fed next.
struct Running<'c> {
    call: Call<'c>,
    next: Option<CallEvent>,
    number: u64,
    attempt: u32,
    made: u32,
    failed: u32,
}

impl<'s> Fleet<'s> {
    fn push(&mut self, at: Duration, due: Due) {
        // Ties in time go in an order drawn from the seed.
        let tie = self.rng.random::<u64>();
        self.seq += 1;
        self.queue.push(Reverse((at, tie, self.seq, due)));
    }

    fn event(&mut self, at: Duration, who: Option<usize>, what: What) {
        self.trace.events.push(Event {
            at,
            worker: who,
            what,
        });
    }

    fn run<'c>(&mut self, processes: &'c [Process], changes: &[Change]) -> FleetRun
    where
        's: 'c,
    {
        let mut running: Vec<Running<'_>> = processes
            .iter()
            .enumerate()
            .map(|(p, process)| Running {
                call: self.new_call(&process.gate, p, 1),
                next: Some(CallEvent::Start {
                    now: process.now(Duration::ZERO),
                    wall: process.wall(self.epoch, Duration::ZERO),
                }),
                number: 1,
                attempt: 0,
                made: 0,
                failed: 0,
            })
            .collect();
        for p in 0..processes.len() {
            self.push(Duration::ZERO, Due::Process(p));
        }
        for (i, change) in changes.iter().enumerate() {
            self.push(change.at, Due::Store(i));
        }
        let mut pending_news: Vec<Option<store::News>> = Vec::new();
        let mut end = Duration::ZERO;
        while let Some(Reverse((at, _, _, due))) = self.queue.pop() {
            self.time.store(
                u64::try_from(at.as_nanos()).unwrap_or(u64::MAX),
                Ordering::Relaxed,
            );
            lock(&self.world).now = at;
            match due {
                Due::Process(p) => {
                    end = at;
                    self.step(p, at, &processes[p], &mut running[p]);
                }
                Due::Store(i) => self.store_change(at, changes[i].to, processes),
                Due::News(i) => {
                    if let Some(news) = pending_news[i].take() {
                        self.hear(at, &news, processes);
                    }
                }
            }
            // What the store published in this step goes on its way.
            let outbox = std::mem::take(&mut lock(&self.world).outbox);
            for news in outbox {
                self.push(news.at, Due::News(pending_news.len()));
                pending_news.push(Some(news));
            }
        }
        self.finish(&running, end)
    }

    /// The schedule's record, once every process is done at `end`.
    fn finish(&mut self, running: &[Running<'_>], end: Duration) -> FleetRun {
        let (calls, failed_calls) = running
            .iter()
            .fold((0, 0), |(c, f), r| (c + r.made, f + r.failed));
        FleetRun {
            seed: self.trace.seed,
            calls,
            failed_calls,
            refused: self.refused,
            windows: calls.div_ceil(self.sim.limit).max(1),
            elapsed: end,
            broken: std::mem::take(&mut self.broken),
            trace: std::mem::replace(&mut self.trace, Trace::of_workers(0)),
        }
    }

    /// `news` reaches its process at `at`: its gate holds, and the
    /// process is on record as told.
    fn hear(&mut self, at: Duration, news: &store::News, processes: &[Process]) {
        lock(&self.world).deliver(news);
        let until = at + news.wait;
        let nanos = u64::try_from(until.as_nanos()).unwrap_or(u64::MAX);
        processes[news.to].told.fetch_max(nanos, Ordering::Relaxed);
        self.event(at, Some(news.to), What::Heard { until });
    }

    fn new_call<'c>(&self, gate: &'c QuotaGate, p: usize, number: u64) -> Call<'c>
    where
        's: 'c,
    {
        let (config, key): (&'s Config, &'s ApiKey) = (self.config, self.key);
        Call::new(config, key, Method::GET, self.uri.clone(), None)
            .quota(gate)
            .jitter_seed(self.trace.seed ^ ((p as u64) << 32) ^ number)
    }

    /// Feeds process `p`'s machine its next event and does what it says.
    fn step<'c>(&mut self, p: usize, at: Duration, process: &'c Process, running: &mut Running<'c>)
    where
        's: 'c,
    {
        let Some(event) = running.next.take() else {
            return;
        };
        match running.call.next(event) {
            Step::Send(request) => self.send(p, at, process, running, &request),
            Step::Wait(wait) => {
                self.event(at, Some(p), What::ClientWait(wait));
                running.next = Some(CallEvent::Waited {
                    now: process.now(at + wait),
                });
                self.push(at + wait, Due::Process(p));
            }
            Step::Done(result) => self.done(p, at, process, running, result),
        }
    }

    /// Process `p`'s call ended at `at`: the next one starts, or the
    /// process is done.
    fn done<'c>(
        &mut self,
        p: usize,
        at: Duration,
        process: &'c Process,
        running: &mut Running<'c>,
        result: Result<routy_core::call::Finished, Error>,
    ) where
        's: 'c,
    {
        running.made += 1;
        if let Err(err) = result {
            running.failed += 1;
            self.failed(p, at, &err);
        }
        if running.made < self.sim.calls {
            running.number += 1;
            running.attempt = 0;
            running.call = self.new_call(&process.gate, p, running.number);
            running.next = Some(CallEvent::Start {
                now: process.now(at),
                wall: process.wall(self.epoch, at),
            });
            self.push(at, Due::Process(p));
        } else {
            let ended = if running.failed == 0 {
                Ok(())
            } else {
                Err(format!(
                    "{} of {} calls failed",
                    running.failed, running.made
                ))
            };
            self.event(at, Some(p), What::JobEnded(ended));
        }
    }

    /// Process `p` sends `request` at `at`: the API answers it half a
    /// round trip later, the answer is back after the whole.
    fn send(
        &mut self,
        p: usize,
        at: Duration,
        process: &Process,
        running: &mut Running<'_>,
        request: &http::Request<Vec<u8>>,
    ) {
        running.attempt += 1;
        self.sent(p, at, process);
        self.event(
            at,
            Some(p),
            What::Request {
                call: running.number,
                attempt: running.attempt,
                hop: 0,
                method: Method::GET,
                uri: request.uri().clone(),
                headers: Vec::new(),
            },
        );
        let latency = self.latency();
        let arrived = at + latency / 2;
        let answer = self.api.handle(request, self.epoch + arrived);
        let response = self.dated(answer.response, arrived);
        let back = at + latency;
        let status = response.status().as_u16();
        if status == 429 {
            self.refused += 1;
            self.window_spent(p, arrived, back, &response);
        }
        self.event(
            back,
            Some(p),
            What::Response {
                status,
                bytes: response.body().len(),
            },
        );
        running.next = Some(CallEvent::Sent {
            result: Ok(response),
            now: process.now(back),
        });
        self.push(back, Due::Process(p));
    }

    /// A 429 the API sent at `arrived` (back at `back`): the window it
    /// names, on the record for the timeline.
    fn window_spent(
        &mut self,
        p: usize,
        arrived: Duration,
        back: Duration,
        response: &Response<Vec<u8>>,
    ) {
        let after = response
            .headers()
            .get(http::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.parse::<u64>().ok().map(Duration::from_secs).or_else(|| {
                    let date = httpdate::parse_http_date(v).ok()?;
                    date.duration_since(self.epoch + arrived).ok()
                })
            });
        if let Some(after) = after {
            self.event(
                back,
                Some(p),
                What::WindowSpent {
                    until: arrived + after,
                },
            );
        }
    }

    /// A request of process `p` leaves at `at`: never before what the
    /// fleet told it.
    fn sent(&mut self, p: usize, at: Duration, process: &Process) {
        let told = Duration::from_nanos(process.told.load(Ordering::Relaxed));
        if at < told {
            let why = format!(
                "p{p} sent at {:.3} s though the fleet told it the window is spent until {:.3} s",
                at.as_secs_f64(),
                told.as_secs_f64()
            );
            self.event(at, Some(p), What::Broken(why.clone()));
            self.broken.push(why);
        }
    }

    /// A call of process `p` failed with `err`: only the quota may end
    /// one, and its text never holds the key.
    fn failed(&mut self, p: usize, at: Duration, err: &Error) {
        let text = err.to_string();
        if self.key.found_in(&text) {
            self.broken.push(format!("p{p}: an error holds the key"));
            return;
        }
        let quota = matches!(err, Error::Api(api) if api.is_held() || api.status() == 429);
        if !quota {
            let why = format!("p{p}: a call failed for something other than the quota: {text}");
            self.event(at, Some(p), What::Broken(why.clone()));
            self.broken.push(why);
        }
        self.event(at, Some(p), What::Note(format!("call failed: {text}")));
    }

    /// The store becomes `to`; back up, every process reads again what
    /// is held (as `routy-redis` does on reconnecting).
    fn store_change(&mut self, at: Duration, to: StoreState, processes: &[Process]) {
        self.event(at, None, What::Store(to));
        let mut world = lock(&self.world);
        world.change(to);
        if to == StoreState::Up {
            let id = store::key_id(self.key);
            for p in 0..processes.len() {
                world.read(p, id);
            }
        }
    }

    fn latency(&mut self) -> Duration {
        let range = &self.sim.latency;
        if range.is_empty() {
            return range.start;
        }
        self.rng.random_range(range.clone())
    }

    /// Some 429s date their `Retry-After` (seed-drawn), as servers do: a
    /// process whose clock is off reads it off by as much.
    fn dated(&mut self, mut response: Response<Vec<u8>>, at: Duration) -> Response<Vec<u8>> {
        if response.status() != 429 || !self.rng.random_bool(0.3) {
            return response;
        }
        let after = response
            .headers()
            .get(http::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if let Some(secs) = after {
            let date = httpdate::fmt_http_date(self.epoch + at + Duration::from_secs(secs));
            if let Ok(value) = date.parse() {
                response
                    .headers_mut()
                    .insert(http::header::RETRY_AFTER, value);
            }
        }
        response
    }
}

/// One schedule of a process fleet.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct FleetRun {
    /// Its seed.
    pub seed: u64,
    /// Calls the fleet made.
    pub calls: u32,
    /// Calls that failed (each the quota's doing, or an invariant broke).
    pub failed_calls: u32,
    /// Requests the API answered 429.
    pub refused: u32,
    /// The least number of windows the calls need.
    pub windows: u32,
    /// Virtual time the schedule took.
    pub elapsed: Duration,
    /// Invariants it broke.
    pub broken: Vec<String>,
    /// What happened (draw it with [`Trace::timeline_svg`]: a lane per
    /// process, the store's outages in a band of their own).
    pub trace: Trace,
}

/// Many schedules of a process fleet.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct FleetReport {
    /// Schedules run.
    pub schedules: u64,
    /// Schedules that broke an invariant.
    pub broken: u64,
    /// Calls made, across all schedules.
    pub calls: u64,
    /// Calls that failed (by the quota), across all schedules.
    pub failed_calls: u64,
    /// 429s, across all schedules.
    pub refused: u64,
    /// Least windows, across all schedules.
    pub windows: u64,
    /// The first failing runs, whole.
    pub failures: Vec<FleetRun>,
    /// Wall time the schedules took.
    pub elapsed: Duration,
}

impl FleetReport {
    /// Schedules per second of wall time.
    pub fn per_second(&self) -> f64 {
        self.schedules as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// Whether any schedule broke an invariant.
    pub fn broke_invariants(&self) -> bool {
        self.broken > 0
    }

    /// 429s per window, across all schedules.
    pub fn refused_per_window(&self) -> f64 {
        self.refused as f64 / (self.windows as f64).max(1.0)
    }
}

impl fmt::Display for FleetReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "simulated {} fleet schedules in {:.2} s ({:.0} per second): {} calls, {} failed, \
             {:.2} 429s per window, {} broke an invariant",
            self.schedules,
            self.elapsed.as_secs_f64(),
            self.per_second(),
            self.calls,
            self.failed_calls,
            self.refused_per_window(),
            self.broken
        )?;
        for run in &self.failures {
            write!(f, "\n  seed {}: {}", run.seed, run.broken.join("; "))?;
        }
        Ok(())
    }
}
