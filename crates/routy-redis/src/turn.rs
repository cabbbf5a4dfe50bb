//! The fleet's paced turns: the one store round trip a caller's thread
//! makes, and only for a call the gate paces (the server named what is
//! left of its window, and the client asked to pace). One connection,
//! short timeouts; a failure makes the gate pace on its own until the
//! store answers again.

use std::sync::atomic::Ordering;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use redis::{Client, Connection};

use crate::link::{connect, Shared};
use crate::script::Scripts;

/// The connection turns are booked on, and when to try again after it
/// failed.
pub(crate) struct Turns {
    client: Client,
    scripts: Scripts,
    link: Mutex<Link>,
}

#[derive(Default)]
struct Link {
    con: Option<Connection>,
    retry_at: Option<Instant>,
}

impl Turns {
    pub(crate) fn new(client: Client) -> Self {
        Turns {
            client,
            scripts: Scripts::new(),
            link: Mutex::new(Link::default()),
        }
    }

    /// Books the fleet's next turn for `id` on `route`: how long until
    /// it. `None` while the store is away (as the store's threads found,
    /// or this connection did within the last poll): the gate then paces
    /// on its own.
    pub(crate) fn book(
        &self,
        shared: &Shared,
        id: u64,
        route: &str,
        spacing: Duration,
    ) -> Option<Duration> {
        if !shared.up.load(Ordering::Acquire) {
            return None;
        }
        let mut link = self.link.lock().unwrap_or_else(PoisonError::into_inner);
        if link.retry_at.is_some_and(|at| Instant::now() < at) {
            return None;
        }
        if link.con.is_none() {
            link.con = connect(&self.client, &shared.settings).ok();
        }
        let booked = link.con.as_mut().and_then(|con| {
            self.scripts
                .turn(con, &shared.names, id, route, spacing)
                .ok()
        });
        match booked {
            Some(_) => {
                link.retry_at = None;
                shared.turns.fetch_add(1, Ordering::Relaxed);
            }
            None => {
                // Dropped, and not tried again for a poll: a store that
                // is away costs paced calls one timeout per poll at most.
                link.con = None;
                link.retry_at = Some(Instant::now() + shared.settings.poll);
            }
        }
        booked
    }
}
