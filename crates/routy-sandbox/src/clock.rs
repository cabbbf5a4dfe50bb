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

/// Parses an RFC 3339 timestamp, or a bare `YYYY-MM-DD` date (midnight UTC).
///
/// # Errors
///
/// The parser's message when `text` is neither.
pub(crate) fn parse_time(text: &str) -> Result<SystemTime, String> {
    let text = text.trim();
    let full = if text.len() == 10 {
        format!("{text}T00:00:00Z")
    } else {
        text.to_owned()
    };
    humantime::parse_rfc3339_weak(&full)
        .or_else(|_| humantime::parse_rfc3339(&full))
        .map_err(|e| e.to_string())
}

pub(crate) fn format_time(t: SystemTime) -> String {
    humantime::format_rfc3339_seconds(t).to_string()
}

pub(crate) mod rfc3339 {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::time::SystemTime;

    pub(crate) fn serialize<S: Serializer>(t: &SystemTime, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::format_time(*t))
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<SystemTime, D::Error> {
        let text = String::deserialize(d)?;
        super::parse_time(&text).map_err(serde::de::Error::custom)
    }
}

pub(crate) mod rfc3339_opt {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::time::SystemTime;

    pub(crate) fn serialize<S: Serializer>(
        t: &Option<SystemTime>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => s.serialize_str(&super::format_time(*t)),
            None => s.serialize_none(),
        }
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<SystemTime>, D::Error> {
        Option::<String>::deserialize(d)?
            .map(|text| super::parse_time(&text).map_err(serde::de::Error::custom))
            .transpose()
    }
}
