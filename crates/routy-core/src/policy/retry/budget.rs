//! The retry budget: a bound on retries across all of a client's calls,
//! so an outage does not multiply the load the client sends.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::defaults::DEFAULT_RETRY_BUDGET;

/// A token bucket shared by all calls of a client (and its clones): each
/// retry spends a token, each successful call earns back a tenth of one.
/// When the bucket is empty, failures are reported at once instead of
/// retried, so an outage does not multiply the load a client sends.
///
/// # Examples
///
/// ```
/// let budget = routy::policy::RetryBudget::new(2);
/// assert!(budget.try_spend());
/// assert!(budget.try_spend());
/// assert!(!budget.try_spend()); // empty: no more retries
/// for _ in 0..10 {
///     budget.record_success();
/// }
/// assert!(budget.try_spend()); // ten successes earn one retry back
/// ```
#[derive(Debug)]
pub struct RetryBudget {
    /// Tenths of a retry.
    tenths: AtomicU64,
    capacity_tenths: u64,
}

impl RetryBudget {
    /// A full bucket of `retries` retries.
    pub fn new(retries: u32) -> Self {
        let capacity_tenths = u64::from(retries) * 10;
        RetryBudget {
            tenths: AtomicU64::new(capacity_tenths),
            capacity_tenths,
        }
    }

    /// Takes one retry's worth, if there is one.
    pub fn try_spend(&self) -> bool {
        self.tenths
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |t| t.checked_sub(10))
            .is_ok()
    }

    /// Earns back a tenth of a retry, up to the capacity.
    pub fn record_success(&self) {
        let _ = self
            .tenths
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |t| {
                (t < self.capacity_tenths).then_some(t + 1)
            });
    }

    /// Whole retries left.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(routy::policy::RetryBudget::new(3).remaining(), 3);
    /// ```
    pub fn remaining(&self) -> u32 {
        u32::try_from(self.tenths.load(Ordering::Acquire) / 10).unwrap_or(u32::MAX)
    }
}

impl Default for RetryBudget {
    fn default() -> Self {
        RetryBudget::new(DEFAULT_RETRY_BUDGET)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budget_bounds_retries_and_refills() {
        let budget = RetryBudget::new(10);
        let spent = (0..100).filter(|_| budget.try_spend()).count();
        assert_eq!(spent, 10);
        for _ in 0..1000 {
            budget.record_success();
        }
        assert_eq!(budget.remaining(), 10, "refills up to capacity only");
    }
}
