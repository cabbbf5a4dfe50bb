//! What a call does when one exchange is not the answer: the
//! [`RetryPolicy`] (which failures are tried again, how long to wait, the
//! [`RetryBudget`] that bounds retries across calls, the server's
//! [`RetryAfter`]) and the redirect rules (RFC 3986 resolution, the key
//! dropped when the origin changes, [`RedirectError`]), and the
//! [`QuotaGate`] that holds every call of a client back while the server
//! says its quota is spent ([`QuotaScope`]).
//!
//! [`Attempt`], [`Outcome`] and [`Decision`] are the planner's own words,
//! for authors of drivers and simulators: most programs only set a
//! [`RetryPolicy`] on the builder.

pub(crate) mod quota;
pub(crate) mod redirect;
pub(crate) mod retry;

pub use quota::{QuotaGate, QuotaInbox, QuotaScope, QuotaStore};
pub use redirect::{RedirectError, RedirectErrorKind};
pub use retry::{is_idempotent, Attempt, Decision, Outcome, RetryAfter, RetryBudget, RetryPolicy};
