//! The sandbox's one rule for its locks: a panic in one request's thread
//! must not take the server down with it, so a poisoned lock is used as
//! is (every critical section leaves its data consistent before anything
//! that could panic).

use std::sync::{Mutex, MutexGuard, PoisonError};

/// [`Mutex::lock`], through poisoning.
pub(crate) trait Locked<T> {
    /// The guard, whether or not another thread panicked holding it.
    fn locked(&self) -> MutexGuard<'_, T>;
}

impl<T> Locked<T> for Mutex<T> {
    fn locked(&self) -> MutexGuard<'_, T> {
        self.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
