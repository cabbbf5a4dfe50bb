//! Processes of one fleet over a real `redis-server` (Debian's; `.ci/run`
//! installs it and sets `ROUTY_REQUIRE_REDIS=1`): each "process" is a
//! client with a store of its own, as separate processes would have.
//! Without the server locally these tests say so and pass.
//!
//! Nothing here sleeps for a retry: a call the fleet holds ends at once
//! (its deadline is shorter than the hold), and the tests wait only for
//! news to cross the store, polling a condition with a bound.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use routy::http::{Response, StatusCode};
use routy::{ApiKey, ClientWith, Error, Transport, TransportError};
use routy_redis::{RedisQuotaStore, StoreStats};

const TOKEN: &str = "OaBw1+4DqFfDLXOLpWthbfp502Wc0D4tICsxNcT+aeQ=";

/// A `redis-server` on a free loopback port, stopped when dropped.
struct RedisServer {
    child: Child,
    port: u16,
}

impl RedisServer {
    /// `None` (and a line saying so) when `redis-server` is not installed,
    /// unless `ROUTY_REQUIRE_REDIS` is set.
    fn start() -> Option<RedisServer> {
        let installed = Command::new("redis-server")
            .arg("--version")
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !installed {
            assert!(
                std::env::var_os("ROUTY_REQUIRE_REDIS").is_none(),
                "ROUTY_REQUIRE_REDIS is set but redis-server is not installed"
            );
            eprintln!("skipped: redis-server is not installed (apt-get install redis-server)");
            return None;
        }
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        Some(RedisServer::on(port))
    }

    fn on(port: u16) -> RedisServer {
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no", "--loglevel", "warning"])
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let server = RedisServer { child, port };
        let client = redis::Client::open(server.url()).unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        while client
            .get_connection_with_timeout(Duration::from_millis(100))
            .and_then(|mut c| redis::cmd("PING").query::<String>(&mut c))
            .is_err()
        {
            assert!(Instant::now() < deadline, "redis-server did not start");
            std::thread::sleep(Duration::from_millis(10));
        }
        server
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Stopped, then started again on the same port: its keys and its
    /// scripts are gone.
    fn restart(&mut self) {
        self.stop();
        *self = RedisServer::on(self.port);
    }

    fn connection(&self) -> redis::Connection {
        redis::Client::open(self.url())
            .unwrap()
            .get_connection_with_timeout(Duration::from_secs(1))
            .unwrap()
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// An answer for every request, counting them.
#[derive(Clone)]
struct Api {
    status: StatusCode,
    sent: Arc<AtomicUsize>,
}

impl Api {
    fn new(status: StatusCode) -> Self {
        Api {
            status,
            sent: Arc::new(AtomicUsize::new(0)),
        }
    }

    fn sent(&self) -> usize {
        self.sent.load(Ordering::SeqCst)
    }
}

impl Transport for Api {
    fn send(
        &self,
        _req: routy::http::Request<Vec<u8>>,
    ) -> Result<Response<Vec<u8>>, TransportError> {
        self.sent.fetch_add(1, Ordering::SeqCst);
        let mut answer = Response::new(b"[]".to_vec());
        *answer.status_mut() = self.status;
        if self.status == StatusCode::TOO_MANY_REQUESTS {
            answer
                .headers_mut()
                .insert("retry-after", "30".parse().unwrap());
        }
        Ok(answer)
    }
}

/// One process of the fleet: a client over `api` with a store of its own.
fn process(url: &str, api: &Api) -> (ClientWith<Api>, Arc<RedisQuotaStore>) {
    let store = RedisQuotaStore::builder(url).max_backoff(Duration::from_millis(100));
    // Shorter than any hold: a held call ends at once, unsent.
    client_over(store, api, Duration::from_secs(1))
}

/// A client over `api` whose call deadline is `deadline`, sharing through
/// the store `store` builds.
fn client_over(
    store: routy_redis::RedisQuotaStoreBuilder,
    api: &Api,
    deadline: Duration,
) -> (ClientWith<Api>, Arc<RedisQuotaStore>) {
    let store = Arc::new(store.build().unwrap());
    let client = routy::ClientBuilder::new()
        .api_key(ApiKey::new(TOKEN).unwrap())
        .call_timeout(deadline)
        .quota_store(store.clone())
        .build_with(api.clone())
        .unwrap();
    (client, store)
}

/// Waits (bounded) until `stats` says what `ready` asks.
fn until(store: &RedisQuotaStore, what: &str, ready: impl Fn(StoreStats) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !ready(store.stats()) {
        assert!(Instant::now() < deadline, "{what}: {:?}", store.stats());
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn held(result: Result<Vec<routy::Account>, Error>) -> bool {
    match result {
        Err(Error::Api(err)) => err.retry_after().is_some(),
        Err(Error::Transport(_)) | Ok(_) => false,
        Err(other) => other.to_string().contains("retry after"),
    }
}

#[test]
fn a_429_one_process_meets_holds_every_other_process_unsent() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let (limited, ok) = (
        Api::new(StatusCode::TOO_MANY_REQUESTS),
        Api::new(StatusCode::OK),
    );
    let (a, a_store) = process(&redis.url(), &limited);
    let (b, b_store) = process(&redis.url(), &ok);
    // Before anything is spent, B calls freely.
    assert!(b.accounts().is_ok());
    assert_eq!(ok.sent(), 1);
    // A meets the 429: its call ends (30 s is past its deadline) and the
    // news goes to the store.
    assert!(a.accounts().is_err());
    until(&a_store, "A shares the news", |s| s.shared == 1);
    until(&b_store, "B hears it", |s| s.heard >= 1);
    // B is held without sending anything.
    assert!(held(b.accounts()), "B's call should be held");
    assert_eq!(ok.sent(), 1, "B sent a request into a spent window");
    // A process that starts now reads the window at start-up.
    let late_api = Api::new(StatusCode::OK);
    let (late, late_store) = process(&redis.url(), &late_api);
    until(&late_store, "the late process reads the window", |s| {
        s.heard >= 1
    });
    assert!(held(late.accounts()));
    assert_eq!(late_api.sent(), 0);
}

#[test]
fn the_store_going_down_fails_no_call_and_its_return_rejoins_the_fleet() {
    let Some(mut redis) = RedisServer::start() else {
        return;
    };
    let (limited, ok) = (
        Api::new(StatusCode::TOO_MANY_REQUESTS),
        Api::new(StatusCode::OK),
    );
    let (a, a_store) = process(&redis.url(), &limited);
    let (b, b_store) = process(&redis.url(), &ok);
    until(&b_store, "B connects", |s| s.connected);
    redis.stop();
    // The store is away: B's calls go on, on its own gate.
    for _ in 0..3 {
        assert!(b.accounts().is_ok());
    }
    // A meets a 429 with no store: it still holds itself.
    assert!(a.accounts().is_err());
    assert!(held(a.accounts()));
    assert_eq!(limited.sent(), 1);
    until(&a_store, "A falls back", |s| {
        !s.connected && s.fallbacks == 1
    });
    // Back, empty, its scripts gone (NOSCRIPT): the fleet rejoins.
    redis.restart();
    until(&a_store, "A reconnects", |s| {
        s.connected && s.reconnects == 1
    });
    until(&b_store, "B reconnects", |s| s.connected);
    let a2_api = Api::new(StatusCode::TOO_MANY_REQUESTS);
    let (a2, a2_store) = process(&redis.url(), &a2_api);
    assert!(a2.accounts().is_err());
    until(&a2_store, "the news is shared after the restart", |s| {
        s.shared == 1
    });
    until(&b_store, "B hears it", |s| s.heard >= 1);
    assert!(held(b.accounts()));
    assert_eq!(ok.sent(), 3);
}

#[test]
fn the_store_sees_no_key_in_any_key_value_or_message() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let mut watcher = redis.connection();
    let mut pubsub = watcher.as_pubsub();
    pubsub.psubscribe("*").unwrap();
    pubsub
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let limited = Api::new(StatusCode::TOO_MANY_REQUESTS);
    let (a, a_store) = process(&redis.url(), &limited);
    assert!(a.accounts().is_err());
    until(&a_store, "A shares the news", |s| s.shared == 1);
    let message: String = pubsub.get_message().unwrap().get_payload().unwrap();
    let key = ApiKey::new(TOKEN).unwrap();
    let mut con = redis.connection();
    let names: Vec<String> = redis::cmd("KEYS").arg("*").query(&mut con).unwrap();
    assert_eq!(names, vec![a_store.store_key(&key)]);
    let values: Vec<String> = redis::cmd("HGETALL")
        .arg(&names[0])
        .query(&mut con)
        .unwrap();
    let everything = format!("{names:?} {values:?} {message}");
    assert!(!key.found_in(&everything), "{everything}");
    assert!(
        !everything.contains("accounts"),
        "a route with the default scope: {everything}"
    );
}

#[test]
fn failing_closed_holds_every_call_while_the_store_is_away() {
    // Nothing listens on port 9; no server needed.
    let ok = Api::new(StatusCode::OK);
    let away = RedisQuotaStore::builder("redis://127.0.0.1:9/").fail_closed(true);
    let (client, store) = client_over(away, &ok, Duration::from_millis(10));
    until(&store, "the store is found away", |s| s.fallbacks >= 1);
    assert!(held(client.accounts()));
    assert_eq!(ok.sent(), 0);
}

/// Answers 200 saying one request is left of a window that resets in 60
/// s: a pacing client spaces its calls 60 s apart.
#[derive(Clone)]
struct Pacing(Api);

impl Transport for Pacing {
    fn send(
        &self,
        req: routy::http::Request<Vec<u8>>,
    ) -> Result<Response<Vec<u8>>, TransportError> {
        let mut answer = self.0.send(req)?;
        let headers = answer.headers_mut();
        headers.insert("ratelimit-remaining", "1".parse().unwrap());
        headers.insert("ratelimit-reset", "60".parse().unwrap());
        Ok(answer)
    }
}

#[test]
fn paced_processes_take_the_fleets_turns_one_spacing_apart() {
    let Some(mut redis) = RedisServer::start() else {
        return;
    };
    let paced = |api: &Api| {
        let store = Arc::new(RedisQuotaStore::builder(&redis.url()).build().unwrap());
        let client = routy::ClientBuilder::new()
            .api_key(ApiKey::new(TOKEN).unwrap())
            .call_timeout(Duration::from_secs(1))
            .pace(true)
            .quota_store(store.clone())
            .build_with(Pacing(api.clone()))
            .unwrap();
        (client, store)
    };
    let (a_api, b_api) = (Api::new(StatusCode::OK), Api::new(StatusCode::OK));
    let (a, a_store) = paced(&a_api);
    let (b, b_store) = paced(&b_api);
    // Each process's first call brings the server's word: 60 s apart.
    assert!(a.accounts().is_ok() && b.accounts().is_ok());
    // A takes the fleet's next turn (now); B's is 60 s on: held, unsent,
    // though B's own gate has sent nothing since.
    assert!(a.accounts().is_ok());
    assert!(held(b.accounts()), "B should wait for the fleet's turn");
    assert!(held(a.accounts()), "A's next turn is after B's");
    assert_eq!((a_api.sent(), b_api.sent()), (2, 1));
    assert_eq!((a_store.stats().turns, b_store.stats().turns), (2, 1));

    // On the store's clock, turn after turn, whichever process asks.
    use routy::policy::QuotaStore;
    let id = a_store.key_id(&ApiKey::new("another-token").unwrap());
    let spacing = Duration::from_secs(10);
    let first = a_store.turn(id, "", spacing).unwrap();
    let second = b_store.turn(id, "", spacing).unwrap();
    let third = a_store.turn(id, "", spacing).unwrap();
    assert_eq!(first, Duration::ZERO);
    assert!(
        second > spacing - Duration::from_secs(1) && second <= spacing,
        "{second:?}"
    );
    assert!(
        third > 2 * spacing - Duration::from_secs(1) && third <= 2 * spacing,
        "{third:?}"
    );

    // The store away: no turn (the gate paces on its own), at once.
    redis.stop();
    let asked = Instant::now();
    assert_eq!(a_store.turn(id, "", spacing), None);
    assert!(asked.elapsed() < Duration::from_secs(1));
    // Back, empty, the script gone: turns again, from now.
    redis.restart();
    until(&a_store, "A reconnects", |s| s.connected);
    let deadline = Instant::now() + Duration::from_secs(10);
    let again = loop {
        if let Some(turn) = a_store.turn(id, "", spacing) {
            break turn;
        }
        assert!(Instant::now() < deadline, "no turn after the restart");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(again, Duration::ZERO);
}
