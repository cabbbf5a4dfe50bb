//! Where routy's log lines come from: one macro, [`log_event!`], that
//! logs through the `log` facade (target `routy`) with the `log` feature,
//! emits a `tracing` event (target `routy`) with the `tracing` feature, and
//! compiles to nothing with neither.
//!
//! Only allow-listed facts are ever passed in: method, URL (query values
//! that could be secrets hidden, the key redacted), status, sizes,
//! timings, request ids (redacted); never a header value or a body.

/// Logs `format_args!` at `$level` (a `log`/`tracing` macro name: `debug`,
/// `info`, `warn`) under the target `routy`; with neither feature on the
/// arguments are type-checked and dropped.
macro_rules! log_event {
    ($level:ident, $($arg:tt)+) => {
        #[cfg(feature = "log")]
        ::log::$level!(target: "routy", $($arg)+);
        #[cfg(feature = "tracing")]
        ::tracing::$level!(target: "routy", $($arg)+);
        #[cfg(not(any(feature = "log", feature = "tracing")))]
        if false {
            let _ = format_args!($($arg)+);
        }
    };
}

pub(crate) use log_event;

/// The span of one call, with the fields filled in as the call ends.
#[cfg(feature = "tracing")]
pub(crate) mod span {
    use http::Method;
    use tracing::field::Empty;

    use crate::call::Finished;
    use crate::error::Error;
    use crate::meta;
    use crate::redact::Redactor;
    use crate::transport::TransportErrorKind;

    /// Opens the `routy.call` span: method and path (never the query, which
    /// may hold a secret; the key redacted should a path spell it).
    pub(crate) fn open(method: &Method, path: &str, redactor: Redactor<'_>) -> tracing::Span {
        let path = path.split_once('?').map_or(path, |(path, _)| path);
        tracing::info_span!(
            target: "routy",
            "routy.call",
            method = %method,
            path = %redactor.vouch(path),
            attempts = Empty,
            status = Empty,
            request_id = Empty,
            error = Empty,
        )
    }

    /// Records the response a call ended with, whatever its status.
    pub(crate) fn finished(span: &tracing::Span, finished: &Finished, redactor: Redactor<'_>) {
        let response = &finished.response;
        span.record("attempts", finished.attempts);
        span.record("status", response.status().as_u16());
        if let Some(id) = meta::request_id(response.headers(), redactor) {
            span.record("request_id", id.as_str());
        }
    }

    /// Records why a call failed.
    pub(crate) fn failed(span: &tracing::Span, err: &Error) {
        span.record("attempts", err.attempts());
        span.record("error", category(err));
        if let Error::Api(api) = err {
            span.record("status", api.status().as_u16());
            if let Some(id) = api.request_id() {
                span.record("request_id", id);
            }
        }
    }

    /// What kind of failure `err` is, in words chosen here (an error's
    /// `Display` may quote the server).
    fn category(err: &Error) -> &'static str {
        match err {
            Error::Key(_) => "key",
            Error::Config(_) => "config",
            Error::Request(_) => "request",
            Error::Transport(t) => match t.kind() {
                TransportErrorKind::Connect => "connect",
                TransportErrorKind::Timeout => "timeout",
                TransportErrorKind::Tls => "tls",
                TransportErrorKind::Protocol => "protocol",
                TransportErrorKind::BodyTooLarge => "body_too_large",
                _ => "io",
            },
            Error::Api(_) => "api",
            Error::Decode(_) => "decode",
            Error::Redirect(_) => "redirect",
            Error::IncompleteList(_) => "incomplete_list",
            #[cfg(feature = "profiles")]
            Error::Profile(_) => "profile",
        }
    }
}
