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

/// The span of one call, with the fields filled in as the call ends:
/// routy's own names (`method`, `path`, `attempts`, `status`,
/// `request_id`, `error`) and, beside them, OpenTelemetry's HTTP client
/// attributes (`http.request.method`, `server.address`, `server.port`,
/// `url.scheme`, `url.path`, `url.full` with secret-looking query values
/// hidden, `http.response.status_code`, `http.request.resend_count`,
/// `error.type`), so an OTel exporter shows routy's calls as it shows
/// any HTTP client's. Never a header value or the key.
#[cfg(feature = "tracing")]
pub(crate) mod span {
    use http::Method;
    use tracing::field::Empty;

    use crate::call::Finished;
    use crate::config::base_url::BaseUrl;
    use crate::error::call_site::CallSite;
    use crate::error::Error;
    use crate::response::info;
    use crate::shown::redact::Redactor;
    use crate::transport::TransportErrorKind;

    /// Opens the `routy.call` span for `method` `path_and_query` under
    /// `base`: the path never with its query (which may hold a secret),
    /// the full URL with secret-looking query values hidden, the key
    /// redacted should either spell it.
    pub(crate) fn open(
        method: &Method,
        base: &BaseUrl,
        path_and_query: &str,
        redactor: Redactor<'_>,
    ) -> tracing::Span {
        let full = format!("{}{path_and_query}", base.path());
        let path = full.split_once('?').map_or(full.as_str(), |(path, _)| path);
        let path = redactor.scrub_owned(path);
        // A path the call will refuse has no URL to show.
        let url = base
            .join(path_and_query)
            .ok()
            .map(|uri| CallSite::new(method, &uri, redactor).url().to_owned());
        let (otel_method, original) = otel_method(method);
        tracing::info_span!(
            target: "routy",
            "routy.call",
            method = %method,
            path = %path,
            attempts = Empty,
            status = Empty,
            request_id = Empty,
            error = Empty,
            http.request.method = otel_method,
            http.request.method_original = original,
            server.address = %redactor.scrub_owned(base.host()),
            server.port = base.port(),
            url.scheme = if base.is_https() { "https" } else { "http" },
            url.path = %path,
            url.full = url.as_deref(),
            http.response.status_code = Empty,
            http.request.resend_count = Empty,
            error.type = Empty,
        )
    }

    /// OTel's method: one of the known ones, else `_OTHER` with the
    /// original beside it.
    fn otel_method(method: &Method) -> (&str, Option<&str>) {
        const KNOWN: [Method; 9] = [
            Method::GET,
            Method::HEAD,
            Method::POST,
            Method::PUT,
            Method::DELETE,
            Method::CONNECT,
            Method::OPTIONS,
            Method::TRACE,
            Method::PATCH,
        ];
        if KNOWN.contains(method) {
            (method.as_str(), None)
        } else {
            ("_OTHER", Some(method.as_str()))
        }
    }

    /// Records the response a call ended with, whatever its status.
    pub(crate) fn finished(span: &tracing::Span, finished: &Finished, redactor: Redactor<'_>) {
        let response = &finished.response;
        let status = response.status().as_u16();
        record_attempts(span, finished.attempts);
        span.record("status", status);
        span.record("http.response.status_code", status);
        if status >= 400 {
            span.record("error.type", status.to_string());
        }
        if let Some(id) = info::request_id(response.headers(), redactor) {
            span.record("request_id", id.as_str());
        }
    }

    /// Records why a call failed.
    pub(crate) fn failed(span: &tracing::Span, err: &Error) {
        record_attempts(span, err.attempts());
        span.record("error", category(err));
        if let Error::Api(api) = err {
            let status = api.status().as_u16();
            span.record("status", status);
            span.record("http.response.status_code", status);
            span.record("error.type", status.to_string());
            if let Some(id) = api.request_id() {
                span.record("request_id", id);
            }
        } else {
            span.record("error.type", category(err));
        }
    }

    /// `attempts`, and OTel's resend count: the retries (set only when
    /// there were some, as the convention asks).
    fn record_attempts(span: &tracing::Span, attempts: u32) {
        span.record("attempts", attempts);
        if attempts > 1 {
            span.record("http.request.resend_count", attempts - 1);
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
            Error::Profile(_) => "profile",
            Error::OutOfOrder { .. } => "out_of_order",
        }
    }
}
