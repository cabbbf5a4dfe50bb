//! The runner: a job (a closure over a client and the simulation) across
//! many seeds, the failures reported with their seed and trace.

use std::fmt;
use std::ops::Range;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use routy_core::{ApiKey, Client, ClientBuilder, QuotaScope};
use routy_sandbox::model::Api;
use routy_sandbox::{NewToken, Received};

use super::baton::Baton;
use super::invariants::{Calls, Policy};
use super::schedule::{FaultMix, Schedule};
use super::trace::{Trace, What};
use super::world::{lock, resume, Shared, SimClock, SimTransport, Waiter, World};
use super::{SimClient, SIM_BASE_URL};

/// How the client is configured for a schedule.
type Configure = dyn Fn(ClientBuilder<()>) -> ClientBuilder<()> + Send + Sync;
/// How the API is prepared for a schedule (stubs, tokens, rate limits).
type Setup = dyn Fn(&mut Api, SystemTime) + Send + Sync;

/// The wall-clock time every schedule starts at: 2026-01-01T00:00:00Z.
const WALL_START: u64 = 1_767_225_600;

/// A job's simulated bad days: the fault mix, the seeds, how the client
/// and the API are set up.
///
/// # Examples
///
/// ```
/// use routy_testkit::sim::Simulation;
///
/// let report = Simulation::new()
///     .schedules(200)
///     .run(|client, _sim| client.accounts().map(|accounts| assert_eq!(accounts.len(), 40)));
/// // routy retries what it may; what is left is errors the job did not handle.
/// assert_eq!(report.schedules, 200);
/// assert!(!report.broke_invariants(), "{}", report.broken[0]);
/// ```
#[derive(Clone)]
pub struct Simulation {
    mix: FaultMix,
    seeds: Range<u64>,
    threads: usize,
    keep: usize,
    configure: Arc<Configure>,
    setup: Arc<Setup>,
    workers: usize,
    own_clients: bool,
}

impl fmt::Debug for Simulation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Simulation")
            .field("mix", &self.mix)
            .field("seeds", &self.seeds)
            .field("threads", &self.threads)
            .field("workers", &self.workers)
            .field("own_clients", &self.own_clients)
            .finish_non_exhaustive()
    }
}

impl Default for Simulation {
    fn default() -> Self {
        Simulation::new()
    }
}

impl Simulation {
    /// A bad day ([`FaultMix::bad_day`]) over seeds `0..1000`, the client
    /// routy's defaults, the API the sandbox's seed accounts, one thread
    /// per core.
    pub fn new() -> Self {
        Simulation {
            mix: FaultMix::bad_day(),
            seeds: 0..1000,
            threads: std::thread::available_parallelism().map_or(1, usize::from),
            keep: 20,
            configure: Arc::new(|builder| builder),
            setup: Arc::new(|_, _| {}),
            workers: 1,
            own_clients: false,
        }
    }

    /// Runs the job `n` times at once in each schedule, a fleet sharing
    /// the one API and its quota: by default `n` threads over one client
    /// (its clones), with [`own_clients`](Self::own_clients) a client
    /// each with the same key. The workers take turns at every request
    /// and wait, the earliest in virtual time first and ties drawn from
    /// the seed, so the same seed gives the same interleaving and trace,
    /// whatever the threads' real timing. Each trace line names its
    /// worker (`w3`). Besides the invariants of a single job, no request
    /// leaves a client with a key before a `Retry-After` that client
    /// already received for that key (when its quota scope is the
    /// client's).
    ///
    /// # Examples
    ///
    /// ```
    /// use routy_sandbox::RateWindow;
    /// let report = routy_testkit::sim::Simulation::new()
    ///     .schedules(20)
    ///     .workers(4)
    ///     .setup(|api, now| api.set_rate_limit(Some(RateWindow::new(10, std::time::Duration::from_secs(2))), now))
    ///     .run(|client, _sim| client.accounts().map(drop));
    /// assert!(!report.broke_invariants(), "{}", report.broken[0]);
    /// ```
    pub fn workers(mut self, n: usize) -> Self {
        self.workers = n.max(1);
        self
    }

    /// Gives each worker of a fleet a client of its own (the same key, so
    /// the same quota on the server), rather than one client shared by
    /// all: what one client learns, the others find out for themselves.
    pub fn own_clients(mut self, own: bool) -> Self {
        self.own_clients = own;
        self
    }

    /// The fault mix.
    pub fn mix(mut self, mix: FaultMix) -> Self {
        self.mix = mix;
        self
    }

    /// Seeds `0..n`.
    pub fn schedules(mut self, n: u64) -> Self {
        self.seeds = 0..n;
        self
    }

    /// These seeds.
    pub fn seeds(mut self, seeds: Range<u64>) -> Self {
        self.seeds = seeds;
        self
    }

    /// Threads to spread schedules over (each schedule runs on one thread,
    /// so results do not depend on this).
    pub fn threads(mut self, threads: usize) -> Self {
        self.threads = threads.max(1);
        self
    }

    /// How many failed schedules keep their trace in the report (the
    /// rest are counted). Defaults to 20.
    pub fn keep_failures(mut self, keep: usize) -> Self {
        self.keep = keep;
        self
    }

    /// Configures each schedule's client, the key, base URL, clock and
    /// transport aside (the simulation sets those).
    ///
    /// # Examples
    ///
    /// ```
    /// let sim = routy_testkit::sim::Simulation::new().client(|b| b.max_retries(5));
    /// # let _ = sim;
    /// ```
    pub fn client(
        mut self,
        configure: impl Fn(ClientBuilder<()>) -> ClientBuilder<()> + Send + Sync + 'static,
    ) -> Self {
        self.configure = Arc::new(configure);
        self
    }

    /// Prepares each schedule's API before the job runs: stubs for the
    /// routes the job calls that the sandbox does not model, a rate limit.
    ///
    /// # Examples
    ///
    /// ```
    /// use routy_sandbox::Stub;
    /// let sim = routy_testkit::sim::Simulation::new().setup(|api, _now| {
    ///     api.add_stub(Stub::post("/v1/reports").respond_json(201, serde_json::json!({"id": "r1"})))
    ///         .expect("a valid stub");
    /// });
    /// # let _ = sim;
    /// ```
    pub fn setup(mut self, setup: impl Fn(&mut Api, SystemTime) + Send + Sync + 'static) -> Self {
        self.setup = Arc::new(setup);
        self
    }

    /// Runs `job` once per seed and reports what failed: the job returned
    /// an error, panicked, or routy broke one of its
    /// [invariants](super#invariants).
    pub fn run<E, F>(&self, job: F) -> Report
    where
        E: fmt::Display + fmt::Debug,
        F: Fn(&Client<SimTransport>, &Sim) -> Result<(), E> + Sync,
    {
        #[allow(clippy::disallowed_methods, reason = "the report's speed is wall time")]
        let started = Instant::now();
        let failures = Mutex::new(Vec::new());
        let threads = self
            .threads
            .min(
                usize::try_from(self.seeds.end.saturating_sub(self.seeds.start))
                    .unwrap_or(usize::MAX),
            )
            .max(1);
        std::thread::scope(|scope| {
            for lane in 0..threads as u64 {
                let (job, failures) = (&job, &failures);
                scope.spawn(move || {
                    let mut seed = self.seeds.start + lane;
                    while seed < self.seeds.end {
                        let mut run = self.run_one(seed, job);
                        if run.failed() {
                            let mut failures = failures
                                .lock()
                                .unwrap_or_else(std::sync::PoisonError::into_inner);
                            // Past the first few, a job's own failures are
                            // counted, not kept whole; broken invariants
                            // always keep their trace.
                            if failures.len() >= self.keep && run.broken.is_empty() {
                                run.trace.events = Vec::new();
                            }
                            failures.push(run);
                        }
                        seed += threads as u64;
                    }
                });
            }
        });
        let mut runs = failures
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        runs.sort_by_key(|r| r.seed);
        let failed = runs.len() as u64;
        let broken: Vec<Run> = runs
            .iter()
            .filter(|r| !r.broken.is_empty())
            .cloned()
            .collect();
        runs.truncate(self.keep);
        Report {
            schedules: self.seeds.end.saturating_sub(self.seeds.start),
            elapsed: started.elapsed(),
            failed,
            failures: runs,
            broken,
        }
    }

    /// Runs `job` on one seed and keeps its whole trace: what
    /// `--seed N` prints. The same seed gives the same trace, byte for
    /// byte.
    ///
    /// # Examples
    ///
    /// See [`Trace`].
    pub fn run_one<E, F>(&self, seed: u64, job: F) -> Run
    where
        E: fmt::Display + fmt::Debug,
        F: Fn(&Client<SimTransport>, &Sim) -> Result<(), E> + Sync,
    {
        let (world, issued) = self.new_world(seed);
        let fleet = self.workers > 1;
        let baton = fleet.then(|| Arc::new(Baton::new(self.workers, seed)));
        #[allow(
            clippy::disallowed_methods,
            reason = "only offsets from this instant are used"
        )]
        let base = Instant::now();
        let clock = |waiter| SimClock {
            world: Arc::clone(&world),
            base,
            waiter,
            baton: baton.clone(),
        };
        let sim = Sim {
            world: Arc::clone(&world),
            clock: clock(Waiter::Job),
        };
        let n_clients = if fleet && self.own_clients {
            self.workers
        } else {
            1
        };
        let clients: Result<Vec<SimClient>, String> =
            issued.map_err(|e| e.to_string()).and_then(|issued| {
                (0..n_clients)
                    .map(|n| {
                        self.client_for(
                            seed,
                            &world,
                            &issued,
                            clock(Waiter::Client),
                            n,
                            baton.clone(),
                        )
                    })
                    .collect()
            });
        let result = clients.and_then(|clients: Vec<SimClient>| {
            self.drive(&job, &clients, &sim, &world, baton.as_deref())
        });
        let mut world = lock(&world);
        Run {
            seed,
            result,
            broken: world.broken(),
            trace: Trace {
                events: std::mem::take(&mut world.events),
                ..Trace::of_workers(seed)
            },
        }
    }

    /// The seed's world (the API as set up, its schedule of faults) and
    /// the key issued for the job.
    fn new_world(
        &self,
        seed: u64,
    ) -> (
        Shared,
        Result<routy_sandbox::IssuedToken, routy_sandbox::SandboxError>,
    ) {
        let wall_start = SystemTime::UNIX_EPOCH + Duration::from_secs(WALL_START);
        let mut api = Api::new(Some(seed));
        (self.setup)(&mut api, wall_start);
        let issued = api.issue_token(NewToken::named("simulated job"), wall_start);
        let unset = Policy {
            max_attempts: u32::MAX,
            total_delay_limit: Duration::MAX,
            call_timeout: None,
        };
        let world = Arc::new(Mutex::new(World::new(
            api,
            Schedule::new(self.mix, seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0x5eed),
            wall_start,
            unset,
        )));
        (world, issued)
    }

    /// Tells the world the rules the clients keep, then runs the job: on
    /// this thread, or on each worker of a fleet.
    fn drive<E, F>(
        &self,
        job: &F,
        clients: &[SimClient],
        sim: &Sim,
        world: &Shared,
        baton: Option<&Baton>,
    ) -> Result<(), String>
    where
        E: fmt::Display + fmt::Debug,
        F: Fn(&Client<SimTransport>, &Sim) -> Result<(), E> + Sync,
    {
        let config = clients[0].config();
        let policy = Policy {
            max_attempts: config.retry().attempts(),
            total_delay_limit: config.retry().total_delay_limit(),
            call_timeout: config.call_timeout(),
        };
        {
            let mut w = lock(world);
            w.calls = (0..self.workers).map(|_| Calls::new(policy)).collect();
            w.fleet = baton.is_some();
            w.client_scoped = config.quota_scope() == QuotaScope::Client;
        }
        match baton {
            None => {
                let result = run_job(job, &clients[0], sim);
                ended(world, &result);
                result
            }
            Some(baton) => self.run_fleet(job, clients, sim, world, baton),
        }
    }

    /// The workers of a fleet, each a thread that runs only while it
    /// holds the baton; the first failure in virtual time, with its
    /// worker and how many failed, is the run's.
    fn run_fleet<E, F>(
        &self,
        job: &F,
        clients: &[SimClient],
        sim: &Sim,
        world: &Shared,
        baton: &Baton,
    ) -> Result<(), String>
    where
        E: fmt::Display + fmt::Debug,
        F: Fn(&Client<SimTransport>, &Sim) -> Result<(), E> + Sync,
    {
        let results: Vec<(Duration, Result<(), String>)> = std::thread::scope(|scope| {
            let workers: Vec<_> = (0..self.workers)
                .map(|me| {
                    let client = &clients[me % clients.len()];
                    scope.spawn(move || {
                        let at = baton.join(me);
                        resume(world, me, at);
                        let result = run_job(job, client, sim);
                        let at = ended(world, &result);
                        baton.finish(me);
                        (at, result)
                    })
                })
                .collect();
            workers
                .into_iter()
                .map(|worker| {
                    worker
                        .join()
                        .unwrap_or_else(|_| (Duration::MAX, Err("a worker thread died".to_owned())))
                })
                .collect()
        });
        first_failure(results)
    }
}

/// Marks in the trace that the job (or this worker's) ended with
/// `result`; the virtual time it ended at.
fn ended(world: &Shared, result: &Result<(), String>) -> Duration {
    let mut world = lock(world);
    world.event(What::JobEnded(result.clone()));
    world.elapsed
}

/// The fleet's result: the failure that came first in virtual time (at a
/// tie, the lower worker), with how many workers failed.
fn first_failure(results: Vec<(Duration, Result<(), String>)>) -> Result<(), String> {
    let workers = results.len();
    let failed: Vec<(Duration, usize, String)> = results
        .into_iter()
        .enumerate()
        .filter_map(|(me, (at, result))| result.err().map(|why| (at, me, why)))
        .collect();
    let count = failed.len();
    match failed.into_iter().min_by_key(|(at, me, _)| (*at, *me)) {
        None => Ok(()),
        Some((at, me, why)) => Err(format!(
            "worker {me} failed first, at {:.3} s ({count} of {workers} workers failed): {why}",
            at.as_secs_f64()
        )),
    }
}

/// Runs `job` once, its error or panic as the text the report shows.
fn run_job<E, F>(job: &F, client: &SimClient, sim: &Sim) -> Result<(), String>
where
    E: fmt::Display + fmt::Debug,
    F: Fn(&Client<SimTransport>, &Sim) -> Result<(), E>,
{
    match catch_unwind(AssertUnwindSafe(|| job(client, sim))) {
        Ok(Ok(())) => Ok(()),
        Ok(Err(err)) => Err(sim.shown(&format!("{err}"), &format!("{err:?}"))),
        Err(panic) => Err(format!("the job panicked: {}", panic_text(&*panic))),
    }
}

impl Simulation {
    /// The schedule's client: the issued key, the simulated base URL,
    /// clock and transport, and the user's configuration in between.
    fn client_for(
        &self,
        seed: u64,
        world: &Shared,
        issued: &routy_sandbox::IssuedToken,
        clock: SimClock,
        client: usize,
        baton: Option<Arc<Baton>>,
    ) -> Result<SimClient, String> {
        let key = ApiKey::new(issued.secret()).map_err(|e| e.to_string())?;
        if client == 0 {
            let mut w = lock(world);
            w.token_id = Some(issued.info.id.clone());
            w.secrets.push(key.clone());
        }
        let builder = ClientBuilder::new()
            .api_key(key)
            .base_url(SIM_BASE_URL)
            .jitter_seed(seed.wrapping_add(client as u64))
            .clock(clock.clone());
        (self.configure)(builder)
            .base_url(SIM_BASE_URL)
            .clock(clock)
            .build_with(SimTransport {
                world: Arc::clone(world),
                client,
                baton,
            })
            .map_err(|e| format!("the client could not be built: {e}"))
    }
}

fn panic_text(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(not a string)".to_owned())
}

/// The simulation as the job sees it: its clock, the API model, and the
/// operator who can issue a fresh key.
#[derive(Debug)]
pub struct Sim {
    world: Shared,
    clock: SimClock,
}

impl Sim {
    /// The schedule's clock, for the job's own waits: hand it to code that
    /// takes a [`routy::clock::Clock`](routy_core::clock::Clock) and it never sleeps for real.
    ///
    /// # Examples
    ///
    /// ```
    /// use routy::clock::Clock as _;
    /// let run = routy_testkit::sim::Simulation::new().run_one(0, |_client, sim| {
    ///     sim.clock().sleep(std::time::Duration::from_secs(60));
    ///     assert_eq!(sim.elapsed(), std::time::Duration::from_secs(60));
    ///     Ok::<(), routy::Error>(())
    /// });
    /// assert!(!run.failed());
    /// ```
    pub fn clock(&self) -> &SimClock {
        &self.clock
    }

    /// Waits `by` in virtual time.
    pub fn sleep(&self, by: Duration) {
        use routy_core::clock::Clock as _;
        self.clock.sleep(by);
    }

    /// Virtual time since the schedule started.
    pub fn elapsed(&self) -> Duration {
        lock(&self.world).elapsed
    }

    /// The operator issues a fresh key (the old one expired or was
    /// deleted) and the job picks it up, as it would from its secret
    /// store: `client` sends it from the next request on.
    ///
    /// # Errors
    ///
    /// When the model refuses to issue one (it does not with the default
    /// setup).
    pub fn rotate_key<T: routy_core::Transport>(
        &self,
        client: &Client<T>,
    ) -> Result<(), routy_sandbox::SandboxError> {
        let mut world = lock(&self.world);
        let now = world.wall();
        let n = world.secrets.len() + 1;
        let issued = world
            .api
            .issue_token(NewToken::named(format!("simulated job, key {n}")), now)?;
        let Ok(key) = ApiKey::new(issued.secret()) else {
            unreachable!("the sandbox issues base64 keys routy accepts")
        };
        world.token_id = Some(issued.info.id.clone());
        world.secrets.push(key.clone());
        world.event(What::KeyRotated {
            token_id: issued.info.id.clone(),
            fingerprint: key.fingerprint(),
        });
        drop(world);
        client.set_api_key(key);
        Ok(())
    }

    /// Writes a line into the trace. A line that holds a key (any of this
    /// schedule's, in any form routy recognises) is withheld and counted
    /// as a broken rule.
    pub fn note(&self, text: &str) {
        let text = self.shown(text, "");
        lock(&self.world).event(What::Note(text));
    }

    /// The API's request journal so far: every request that reached it.
    pub fn journal(&self) -> Vec<Received> {
        lock(&self.world).api.journal()
    }

    /// Runs `f` on the API model at the current virtual time.
    pub fn with_api<R>(&self, f: impl FnOnce(&mut Api, SystemTime) -> R) -> R {
        let mut world = lock(&self.world);
        let now = world.wall();
        f(&mut world.api, now)
    }

    /// `text` as it may be shown; when it or `also` holds a key, a
    /// placeholder, and the leak goes into the trace as a broken rule.
    fn shown(&self, text: &str, also: &str) -> String {
        let mut world = lock(&self.world);
        let leaked = world
            .secrets
            .iter()
            .any(|key| key.found_in(text) || key.found_in(also));
        if !leaked {
            return text.to_owned();
        }
        let why = "an error or note the job shows holds the api key".to_owned();
        let me = world.worker;
        world.calls[me].broken.push(why.clone());
        world.event(What::Broken(why));
        "[withheld: it held the api key]".to_owned()
    }
}

/// One schedule's outcome.
///
/// # Examples
///
/// See [`Trace`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Run {
    /// The seed.
    pub seed: u64,
    /// What the job returned (its error as text), or why it could not run.
    pub result: Result<(), String>,
    /// The invariants routy broke, in words.
    pub broken: Vec<String>,
    /// What happened.
    pub trace: Trace,
}

impl Run {
    /// Whether the job failed or an invariant broke.
    pub fn failed(&self) -> bool {
        self.result.is_err() || !self.broken.is_empty()
    }
}

impl fmt::Display for Run {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.trace)?;
        match &self.result {
            Ok(()) => writeln!(f, "the job succeeded")?,
            Err(why) => writeln!(f, "the job failed: {why}")?,
        }
        for why in &self.broken {
            writeln!(f, "invariant broken: {why}")?;
        }
        Ok(())
    }
}

/// Many schedules' outcome.
///
/// # Examples
///
/// See [`Simulation`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Report {
    /// Schedules run.
    pub schedules: u64,
    /// Wall time they took.
    pub elapsed: Duration,
    /// How many failed.
    pub failed: u64,
    /// The first failures by seed (at most
    /// [`keep_failures`](Simulation::keep_failures)), each with its trace.
    pub failures: Vec<Run>,
    /// Every schedule where routy broke an invariant, with its trace.
    pub broken: Vec<Run>,
}

impl Report {
    /// Schedules per second of wall time.
    pub fn per_second(&self) -> f64 {
        self.schedules as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// Whether any schedule broke one of routy's invariants.
    pub fn broke_invariants(&self) -> bool {
        !self.broken.is_empty()
    }
}

impl fmt::Display for Report {
    /// `simulated N schedules in S s (R per second), F failed`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "simulated {} schedules in {:.2} s ({:.0} per second), {} failed",
            self.schedules,
            self.elapsed.as_secs_f64(),
            self.per_second(),
            self.failed
        )
    }
}
