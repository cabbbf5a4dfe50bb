//! The two threads that talk to the store, so no caller ever waits on
//! it: the writer runs the scripts (what this process learned, what the
//! fleet already knows of a key), the listener hears what other
//! processes learned. Each reconnects on its own with backoff; while the
//! store is away, every gate holds on its own answers.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::sync::{Mutex, PoisonError, Weak};
use std::time::{Duration, Instant};

use redis::{Client, Connection, RedisError};
use routy_core::policy::QuotaInbox;

use crate::script::{parse_news, Names, Scripts};
use crate::Settings;

/// Work for the writer.
pub(crate) enum Job {
    /// This process was told the quota of `id` on `route` is spent.
    Spent {
        id: u64,
        route: Box<str>,
        wait: Duration,
    },
    /// A client uses `id`: read what the fleet knows of it.
    Read(u64),
}

/// What the store handle and both threads share.
pub(crate) struct Shared {
    pub(crate) settings: Settings,
    pub(crate) names: Names,
    pub(crate) inboxes: Mutex<Vec<QuotaInbox>>,
    /// Key ids a client uses: their channels are listened to.
    pub(crate) watched: Mutex<BTreeSet<u64>>,
    pub(crate) up: AtomicBool,
    pub(crate) fallbacks: AtomicU64,
    pub(crate) shared: AtomicU64,
    pub(crate) heard: AtomicU64,
    pub(crate) dropped: AtomicU64,
    pub(crate) reconnects: AtomicU64,
    pub(crate) turns: AtomicU64,
    /// Failing closed, while the store is away: when the hold on every
    /// watched key ends (a key watched later is held to then too).
    pub(crate) closed_until: Mutex<Option<Instant>>,
    /// The writer's queue: bounded, never waited on (full: dropped).
    pub(crate) jobs: SyncSender<Job>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Shared {
    /// Queues `job` for the writer without waiting: a full queue drops it
    /// (counted), as the gate still holds on its own answers.
    pub(crate) fn send(&self, job: Job) {
        if let Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) = self.jobs.try_send(job)
        {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Hands what the fleet said to every client still there.
    pub(crate) fn deliver(&self, id: u64, route: &str, wait: Duration) {
        let mut inboxes = lock(&self.inboxes);
        inboxes.retain(|inbox| inbox.spent(id, route, wait));
    }

    pub(crate) fn watched(&self) -> Vec<u64> {
        lock(&self.watched).iter().copied().collect()
    }

    /// The store failed: from now on each process holds on its own gate
    /// (or, failing closed, every call is held until the next attempt,
    /// `retry` away: held first, then counted, so whoever reads the
    /// count finds the calls held already; a key watched meanwhile is
    /// held by [`watch`](Self::watch)). Said once per outage (the error's
    /// kind only: a message may quote the store's address, a password
    /// with it).
    fn went_down(&self, err: &RedisError, retry: Duration) {
        let wait = retry + self.settings.poll;
        if self.settings.fail_closed {
            *lock(&self.closed_until) = Instant::now().checked_add(wait);
        }
        let was_up = self.up.swap(false, Ordering::AcqRel);
        self.hold_all(wait);
        if was_up {
            self.fallbacks.fetch_add(1, Ordering::Relaxed);
            log::warn!(
                "routy-redis: the quota store is unreachable ({:?}); each process holds on its own answers until it is back",
                err.kind()
            );
        }
    }

    fn came_up(&self) {
        if !self.up.swap(true, Ordering::AcqRel) && self.fallbacks.load(Ordering::Relaxed) > 0 {
            self.reconnects.fetch_add(1, Ordering::Relaxed);
            log::info!("routy-redis: the quota store is back; the fleet shares one quota again");
        }
    }

    /// While the store is away and the user asked to fail closed: every
    /// watched key is held for `wait`.
    fn hold_all(&self, wait: Duration) {
        if self.settings.fail_closed {
            for id in self.watched() {
                self.deliver(id, "", wait);
            }
        }
    }

    /// A client started using `id`: watched from now on, and, failing
    /// closed while the store is away, held as the others are.
    pub(crate) fn watch(&self, id: u64) {
        lock(&self.watched).insert(id);
        if self.settings.fail_closed && !self.up.load(Ordering::Acquire) {
            let until = *lock(&self.closed_until);
            if let Some(left) = until.and_then(|at| at.checked_duration_since(Instant::now())) {
                self.deliver(id, "", left);
            }
        }
    }
}

/// The wait before the next attempt to reach the store: doubling from
/// the connect timeout, at most [`Settings::max_backoff`].
struct Backoff {
    next: Duration,
    at: Option<Instant>,
}

impl Backoff {
    fn new() -> Self {
        Backoff {
            next: Duration::ZERO,
            at: None,
        }
    }

    fn ready(&self) -> bool {
        self.at.is_none_or(|at| Instant::now() >= at)
    }

    fn failed(&mut self, settings: &Settings) -> Duration {
        self.next = (self.next * 2)
            .max(settings.connect_timeout)
            .min(settings.max_backoff);
        self.at = Some(Instant::now() + self.next);
        self.next
    }

    fn succeeded(&mut self) {
        *self = Backoff::new();
    }
}

pub(crate) fn connect(client: &Client, settings: &Settings) -> Result<Connection, RedisError> {
    let con = client.get_connection_with_timeout(settings.connect_timeout)?;
    con.set_read_timeout(Some(settings.io_timeout))?;
    con.set_write_timeout(Some(settings.io_timeout))?;
    Ok(con)
}

/// The writer: runs each job on one connection; reconnects with backoff
/// and, once back, reads again every watched key (what the fleet learned
/// while this process could not hear). Ends when the store handle is
/// dropped.
pub(crate) fn writer(shared: &Weak<Shared>, client: &Client, jobs: &Receiver<Job>) {
    let scripts = Scripts::new();
    let mut con: Option<Connection> = None;
    let mut backoff = Backoff::new();
    loop {
        let Some(poll) = shared.upgrade().map(|s| s.settings.poll) else {
            return;
        };
        let job = match jobs.recv_timeout(poll) {
            Ok(job) => Some(job),
            Err(RecvTimeoutError::Timeout) => None,
            Err(RecvTimeoutError::Disconnected) => return,
        };
        let Some(shared) = shared.upgrade() else {
            return;
        };
        let shared = &shared;
        if con.is_none() && backoff.ready() {
            match connect(client, &shared.settings) {
                Ok(c) => {
                    con = Some(c);
                    backoff.succeeded();
                    let was_down = !shared.up.load(Ordering::Acquire);
                    shared.came_up();
                    if was_down {
                        let mut c = con.take();
                        for id in shared.watched() {
                            c = c.and_then(|mut c| {
                                read(shared, &scripts, &mut c, id).ok().map(|()| c)
                            });
                        }
                        con = c;
                    }
                }
                Err(err) => {
                    let retry = backoff.failed(&shared.settings);
                    shared.went_down(&err, retry);
                }
            }
        }
        let Some(job) = job else { continue };
        let Some(c) = con.as_mut() else {
            // The store is away: this news is lost to the fleet (each
            // gate still holds on its own), and counted.
            shared.dropped.fetch_add(1, Ordering::Relaxed);
            continue;
        };
        let done = match job {
            Job::Spent { id, route, wait } => {
                scripts.spent(c, &shared.names, id, &route, wait).map(|_| {
                    shared.shared.fetch_add(1, Ordering::Relaxed);
                })
            }
            Job::Read(id) => read(shared, &scripts, c, id),
        };
        if let Err(err) = done {
            con = None;
            let retry = backoff.failed(&shared.settings);
            shared.went_down(&err, retry);
        }
    }
}

fn read(
    shared: &Shared,
    scripts: &Scripts,
    con: &mut Connection,
    id: u64,
) -> Result<(), RedisError> {
    for (route, left) in scripts.held(con, &shared.names, id)? {
        shared.heard.fetch_add(1, Ordering::Relaxed);
        shared.deliver(id, &route, left);
    }
    Ok(())
}

/// The listener: subscribes to the news of every watched key and hands
/// each message to the clients. Ends when the store handle is dropped.
pub(crate) fn listener(shared: &Weak<Shared>, client: &Client) {
    let mut backoff = Backoff::new();
    loop {
        let Some(strong) = shared.upgrade() else {
            return;
        };
        let settings = strong.settings.clone();
        drop(strong);
        if !backoff.ready() {
            std::thread::sleep(settings.poll);
            continue;
        }
        match connect(client, &settings) {
            Ok(mut con) => {
                backoff.succeeded();
                if listen(shared, &mut con, &settings).is_none() {
                    return;
                }
            }
            Err(err) => {
                let retry = backoff.failed(&settings);
                if let Some(shared) = shared.upgrade() {
                    shared.went_down(&err, retry);
                }
            }
        }
    }
}

/// Listens on `con` until it fails (`Some`) or the store is dropped
/// (`None`). Each newly watched key is subscribed to, then read once, so
/// nothing said before the subscription is missed.
fn listen(shared: &Weak<Shared>, con: &mut Connection, settings: &Settings) -> Option<()> {
    let mut pubsub = con.as_pubsub();
    if pubsub.set_read_timeout(Some(settings.poll)).is_err() {
        return Some(());
    }
    let mut subscribed = BTreeSet::new();
    loop {
        let strong = shared.upgrade()?;
        for id in strong.watched() {
            if !subscribed.contains(&id) {
                if pubsub.subscribe(strong.names.channel(id)).is_err() {
                    return Some(());
                }
                subscribed.insert(id);
                strong.send(Job::Read(id));
            }
        }
        match pubsub.get_message() {
            Ok(msg) => {
                let Ok(text) = msg.get_payload::<String>() else {
                    continue;
                };
                if let Some((id, wait, route)) = parse_news(&text) {
                    strong.heard.fetch_add(1, Ordering::Relaxed);
                    strong.deliver(id, route, wait);
                }
            }
            Err(err) if err.is_timeout() => {}
            Err(_) => return Some(()),
        }
    }
}
