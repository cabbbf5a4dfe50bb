//! Time for the sandbox: the system clock, or a manual one tests move by
//! hand so expiry and last-used are deterministic.

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use crate::sync::Locked;

/// Where the sandbox reads the time from.
///
/// # Examples
///
/// ```
/// use routy_sandbox::{WallClock, SystemWallClock};
/// assert!(SystemWallClock.now() > std::time::SystemTime::UNIX_EPOCH);
/// ```
pub trait WallClock: Send + Sync + fmt::Debug {
    /// The current time.
    fn now(&self) -> SystemTime;
}

/// The system's wall clock (the default).
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemWallClock;

impl WallClock for SystemWallClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}

/// A clock that moves only when told to. Clones share the same time.
///
/// # Examples
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use routy_sandbox::{WallClock, ManualWallClock};
///
/// let clock = ManualWallClock::new(SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000));
/// let before = clock.now();
/// clock.advance(Duration::from_secs(60));
/// assert_eq!(clock.now().duration_since(before)?, Duration::from_secs(60));
/// # Ok::<(), std::time::SystemTimeError>(())
/// ```
#[derive(Debug, Clone)]
pub struct ManualWallClock {
    now: Arc<Mutex<SystemTime>>,
}

impl ManualWallClock {
    /// A clock reading `start`.
    pub fn new(start: SystemTime) -> Self {
        ManualWallClock {
            now: Arc::new(Mutex::new(start)),
        }
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        let mut now = self.now.locked();
        *now += by;
    }

    /// Sets the clock to `to`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::SystemTime;
    /// use routy_sandbox::{WallClock, ManualWallClock};
    /// let clock = ManualWallClock::new(SystemTime::UNIX_EPOCH);
    /// clock.set(SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(5));
    /// assert_eq!(clock.now(), SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(5));
    /// ```
    pub fn set(&self, to: SystemTime) {
        *self.now.locked() = to;
    }
}

impl WallClock for ManualWallClock {
    fn now(&self) -> SystemTime {
        *self.now.locked()
    }
}
