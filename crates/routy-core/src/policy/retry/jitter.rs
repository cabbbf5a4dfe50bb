//! The random numbers behind backoff jitter: std's SipHash of a seed and a
//! counter, so a fixed seed replays the same waits and no RNG crate is
//! needed.

use std::collections::hash_map::{DefaultHasher, RandomState};
use std::hash::{BuildHasher, Hash, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};

/// A client's source of per-call jitter seeds. Seeded from std's
/// per-process random keys unless the caller fixes the seed.
#[derive(Debug)]
pub(crate) struct Jitter {
    seed: u64,
    calls: AtomicU64,
}

impl Jitter {
    pub(crate) fn new(seed: Option<u64>) -> Self {
        Jitter {
            seed: seed.unwrap_or_else(|| RandomState::new().hash_one(0u64)),
            calls: AtomicU64::new(0),
        }
    }

    /// A seed for the next call: the client's seed and the call's number
    /// (one atomic add; the hashing waits until a retry needs a draw).
    pub(crate) fn call_seed(&self) -> u64 {
        let call = self.calls.fetch_add(1, Ordering::Relaxed);
        self.seed ^ call.wrapping_mul(0x9E37_79B9_7F4A_7C15)
    }
}

/// Draw number `n` from `seed`, in `[0, 1)`.
pub(crate) fn unit_draw(seed: u64, n: u64) -> f64 {
    let mut hasher = DefaultHasher::new();
    (seed, n).hash(&mut hasher);
    // The top 53 bits make an exactly representable fraction in [0, 1).
    (hasher.finish() >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_are_in_range_repeatable_and_differ_between_calls() {
        let jitter = Jitter::new(Some(7));
        let (a, b) = (jitter.call_seed(), jitter.call_seed());
        assert_ne!(a, b);
        let draws: Vec<f64> = (0..1000).map(|n| unit_draw(a, n)).collect();
        assert!(draws.iter().all(|d| (0.0..1.0).contains(d)));
        assert_eq!(
            draws,
            (0..1000).map(|n| unit_draw(a, n)).collect::<Vec<_>>()
        );
        assert_ne!(unit_draw(a, 0), unit_draw(b, 0));
        assert_eq!(Jitter::new(Some(7)).call_seed(), a);
    }
}
