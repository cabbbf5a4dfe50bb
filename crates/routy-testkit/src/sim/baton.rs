//! A baton passed between the workers of a fleet, so that several
//! threads run one schedule deterministically: only the holder runs, and
//! at each point where a worker could be interrupted (a request, a wait)
//! it hands the baton to the worker that is earliest in virtual time,
//! ties broken by a draw from the schedule's seed. The same seed gives
//! the same interleaving, whatever the threads' real timing.

use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use std::cell::Cell;

thread_local! {
    /// Which worker of a fleet the current thread is.
    static WORKER: Cell<usize> = const { Cell::new(0) };
}

/// The worker the current thread runs (0 outside a fleet).
pub(crate) fn current_worker() -> usize {
    WORKER.with(Cell::get)
}

#[derive(Debug)]
pub(crate) struct Baton {
    state: Mutex<State>,
    /// One per worker: only the next holder is woken.
    your_turn: Vec<Condvar>,
}

#[derive(Debug)]
struct State {
    /// Who holds the baton; `None` once every worker is done.
    turn: Option<usize>,
    /// Each worker's virtual time: how far it has got.
    local: Vec<Duration>,
    done: Vec<bool>,
    /// The tie-breaking draws (xorshift).
    draw: u64,
}

impl Baton {
    /// A baton for `workers` workers, all at time zero; the first to run
    /// is drawn from `seed`.
    pub(crate) fn new(workers: usize, seed: u64) -> Self {
        let mut state = State {
            turn: None,
            local: vec![Duration::ZERO; workers],
            done: vec![false; workers],
            draw: seed | 1,
        };
        state.turn = state.pick();
        Baton {
            state: Mutex::new(state),
            your_turn: (0..workers).map(|_| Condvar::new()).collect(),
        }
    }

    /// Makes the current thread worker `me` and returns when it holds the
    /// baton, with its time.
    pub(crate) fn join(&self, me: usize) -> Duration {
        WORKER.with(|w| w.set(me));
        let state = self.lock();
        self.wait_turn(state, me).local[me]
    }

    /// Worker `me` has got to `reached`: the earliest worker runs next
    /// (perhaps `me` again). Returns when `me` holds the baton again, with
    /// its own time, which no other worker moves.
    pub(crate) fn pass(&self, me: usize, reached: Duration) -> Duration {
        let mut state = self.lock();
        state.local[me] = reached;
        state.turn = state.pick();
        self.wake(&state);
        let state = self.wait_turn(state, me);
        state.local[me]
    }

    /// Worker `me` is done: the baton goes on without it.
    pub(crate) fn finish(&self, me: usize) {
        let mut state = self.lock();
        state.done[me] = true;
        state.turn = state.pick();
        self.wake(&state);
    }

    /// Wakes the worker whose turn it now is.
    fn wake(&self, state: &State) {
        if let Some(next) = state.turn.and_then(|w| self.your_turn.get(w)) {
            next.notify_one();
        }
    }

    fn wait_turn<'a>(
        &'a self,
        mut state: MutexGuard<'a, State>,
        me: usize,
    ) -> MutexGuard<'a, State> {
        while state.turn != Some(me) {
            state = self.your_turn[me]
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
        state
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl State {
    /// The worker that is earliest in virtual time, ties drawn.
    fn pick(&mut self) -> Option<usize> {
        let earliest = (0..self.local.len())
            .filter(|&w| !self.done[w])
            .map(|w| self.local[w])
            .min()?;
        let tied: Vec<usize> = (0..self.local.len())
            .filter(|&w| !self.done[w] && self.local[w] == earliest)
            .collect();
        self.draw ^= self.draw << 13;
        self.draw ^= self.draw >> 7;
        self.draw ^= self.draw << 17;
        let at = usize::try_from(self.draw % tied.len() as u64).unwrap_or(0);
        tied.get(at).copied()
    }
}
