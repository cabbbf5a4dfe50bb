//! Where routy's log lines come from: one macro, [`log_event!`], that
//! logs through the `log` facade (target `routy`) with the `log` feature
//! and compiles to nothing without it.
//!
//! Only allow-listed facts are ever passed in: method, URL, status, sizes,
//! timings, request ids (redacted); never a header value or a body.

/// Logs `format_args!` at `$level` (a `log` macro name) under the target
/// `routy`; with the `log` feature off the arguments are type-checked and
/// dropped.
#[cfg(feature = "log")]
macro_rules! log_event {
    ($level:ident, $($arg:tt)+) => { ::log::$level!(target: "routy", $($arg)+) };
}
#[cfg(not(feature = "log"))]
macro_rules! log_event {
    ($level:ident, $($arg:tt)+) => {
        if false {
            let _ = format_args!($($arg)+);
        }
    };
}

pub(crate) use log_event;
