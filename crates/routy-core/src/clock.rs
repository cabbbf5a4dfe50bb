//! Time for the blocking client: reading it (deadlines, `Retry-After`
//! dates) and waiting (between retries), behind one trait so tests replace
//! the wall clock with a [`ManualClock`] and never wait.

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime};

/// Where the client reads time from and how it waits.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use routy::clock::{Clock, ManualClock};
///
/// let clock = ManualClock::new();
/// let start = clock.now();
/// clock.sleep(Duration::from_secs(5)); // returns at once, time moves
/// assert_eq!(clock.now() - start, Duration::from_secs(5));
/// assert_eq!(clock.sleeps(), [Duration::from_secs(5)]);
/// ```
pub trait Clock: Send + Sync + fmt::Debug {
    /// A monotonic reading, for deadlines.
    fn now(&self) -> Instant;
    /// The wall-clock time, for `Retry-After` dates.
    fn wall(&self) -> SystemTime;
    /// Waits for `duration`.
    fn sleep(&self, duration: Duration);
}

/// The real clock: `Instant::now`, `SystemTime::now`, `thread::sleep`. The
/// client's default, and the one place routy-core touches time.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

#[allow(
    clippy::disallowed_methods,
    reason = "the real clock is the one sanctioned use of wall time and sleep"
)]
impl Clock for SystemClock {
    fn now(&self) -> Instant {
        Instant::now()
    }

    fn wall(&self) -> SystemTime {
        SystemTime::now()
    }

    fn sleep(&self, duration: Duration) {
        std::thread::sleep(duration);
    }
}

/// A clock for tests: `sleep` returns at once and moves time forward, and
/// every sleep is recorded. Clones share the same time.
#[derive(Debug, Clone)]
pub struct ManualClock {
    state: Arc<Mutex<ManualState>>,
}

#[derive(Debug)]
struct ManualState {
    start: Instant,
    wall_start: SystemTime,
    elapsed: Duration,
    sleeps: Vec<Duration>,
}

impl ManualClock {
    /// A clock whose wall time starts at 2026-01-01T00:00:00Z.
    pub fn new() -> Self {
        Self::starting_at(SystemTime::UNIX_EPOCH + Duration::from_secs(1_767_225_600))
    }

    /// A clock whose wall time starts at `wall`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::SystemTime;
    /// use routy::clock::{Clock, ManualClock};
    /// assert_eq!(ManualClock::starting_at(SystemTime::UNIX_EPOCH).wall(), SystemTime::UNIX_EPOCH);
    /// ```
    #[allow(
        clippy::disallowed_methods,
        reason = "an Instant can only be had from the clock; only offsets from it are used"
    )]
    pub fn starting_at(wall: SystemTime) -> Self {
        ManualClock {
            state: Arc::new(Mutex::new(ManualState {
                start: Instant::now(),
                wall_start: wall,
                elapsed: Duration::ZERO,
                sleeps: Vec::new(),
            })),
        }
    }

    /// Moves time forward without recording a sleep.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use routy::clock::{Clock, ManualClock};
    /// let clock = ManualClock::new();
    /// let before = clock.wall();
    /// clock.advance(Duration::from_secs(1));
    /// assert_eq!(clock.wall().duration_since(before).unwrap(), Duration::from_secs(1));
    /// ```
    pub fn advance(&self, by: Duration) {
        self.lock().pass(by);
    }

    /// Every sleep so far, in order.
    pub fn sleeps(&self) -> Vec<Duration> {
        self.lock().sleeps.clone()
    }

    /// The sum of every sleep so far.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use routy::clock::{Clock, ManualClock};
    /// let clock = ManualClock::new();
    /// clock.sleep(Duration::from_secs(1));
    /// clock.sleep(Duration::from_secs(2));
    /// assert_eq!(clock.total_slept(), Duration::from_secs(3));
    /// ```
    pub fn total_slept(&self) -> Duration {
        self.lock()
            .sleeps
            .iter()
            .fold(Duration::ZERO, |sum, d| sum.saturating_add(*d))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ManualState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl ManualState {
    /// Moves time on by `by`, unless that would pass the end of what an
    /// `Instant` or a `SystemTime` can hold: there time stops, rather than
    /// `now` and `wall` overflowing.
    fn pass(&mut self, by: Duration) {
        let elapsed = self.elapsed.saturating_add(by);
        if self.start.checked_add(elapsed).is_some()
            && self.wall_start.checked_add(elapsed).is_some()
        {
            self.elapsed = elapsed;
        }
    }
}

impl Default for ManualClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Instant {
        let state = self.lock();
        state.start + state.elapsed
    }

    fn wall(&self) -> SystemTime {
        let state = self.lock();
        state.wall_start + state.elapsed
    }

    fn sleep(&self, duration: Duration) {
        let mut state = self.lock();
        state.pass(duration);
        state.sleeps.push(duration);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_time_stops_at_the_end_of_what_it_can_hold() {
        let clock = ManualClock::new();
        let (now, wall) = (clock.now(), clock.wall());
        clock.advance(Duration::MAX);
        clock.sleep(Duration::MAX);
        clock.sleep(Duration::MAX);
        assert_eq!((clock.now(), clock.wall()), (now, wall), "time stopped");
        assert_eq!(clock.total_slept(), Duration::MAX, "the sum saturates");
        clock.sleep(Duration::from_secs(1));
        assert_eq!(clock.now() - now, Duration::from_secs(1), "and goes on");
    }
}
