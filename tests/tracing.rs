//! The `tracing` feature: one `routy.call` span per call with its method,
//! path, attempts, status and request id, events for retries and
//! redirects, and never the key (or a query value that could be a
//! secret) in any field, whatever the server echoes.

#![allow(
    clippy::unwrap_used,
    reason = "test code: a failed setup should panic loudly"
)]

mod support;

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use routy::clock::ManualClock;
use routy::ApiKey;
use routy_sandbox::{Fault, Sandbox};
use support::TOKEN;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

/// What the capturing subscriber saw: each span's name and fields, and
/// each event's fields, every value as text.
#[derive(Default)]
struct Seen {
    spans: BTreeMap<u64, (String, BTreeMap<String, String>)>,
    events: Vec<BTreeMap<String, String>>,
}

#[derive(Default, Clone)]
struct Capture {
    seen: Arc<Mutex<Seen>>,
    next: Arc<AtomicU64>,
}

struct Fields<'a>(&'a mut BTreeMap<String, String>);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }
}

impl Subscriber for Capture {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, span: &Attributes<'_>) -> Id {
        let id = self.next.fetch_add(1, Ordering::SeqCst) + 1;
        let mut fields = BTreeMap::new();
        span.record(&mut Fields(&mut fields));
        let name = span.metadata().name().to_owned();
        self.seen.lock().unwrap().spans.insert(id, (name, fields));
        Id::from_u64(id)
    }
    fn record(&self, span: &Id, values: &Record<'_>) {
        let mut seen = self.seen.lock().unwrap();
        if let Some((_, fields)) = seen.spans.get_mut(&span.into_u64()) {
            values.record(&mut Fields(fields));
        }
    }
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        let mut fields = BTreeMap::new();
        fields.insert("target".to_owned(), event.metadata().target().to_owned());
        event.record(&mut Fields(&mut fields));
        self.seen.lock().unwrap().events.push(fields);
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

/// Every text the subscriber saw, to search for the key.
fn everything(seen: &Seen) -> String {
    let spans = seen.spans.values().map(|(name, f)| format!("{name} {f:?}"));
    let events = seen.events.iter().map(|f| format!("{f:?}"));
    spans.chain(events).collect::<Vec<_>>().join("\n")
}

#[test]
fn one_span_per_call_with_events_for_retries_and_redirects() {
    let sandbox = Sandbox::start().unwrap();
    let issued = sandbox
        .issue_token(routy_sandbox::NewToken::named("tracing test"))
        .unwrap();
    let secret = issued.secret().to_owned();
    // A 503 (retried), then a redirect on the same origin, then the list
    // with a request id that echoes the key.
    sandbox.push_fault(Fault::status(503).header("Retry-After", "0"));
    sandbox.push_fault(Fault::status(302).header("Location", "/api/v1/accounts?again=1"));
    sandbox.push_fault(
        Fault::status(200)
            .header("Content-Type", "application/json")
            .header("X-Request-Id", &format!("req-{secret}"))
            .body("[]"),
    );
    let client = routy::Client::builder()
        .api_key(ApiKey::new(&secret).unwrap())
        .base_url(&sandbox.base_url())
        .clock(ManualClock::new())
        .build()
        .unwrap();

    let capture = Capture::default();
    tracing::subscriber::with_default(capture.clone(), || {
        assert!(client.accounts().unwrap().is_empty());
        let _ = client.get::<serde_json::Value>("/v1/missing?token=t0p-s3cret");
    });

    let seen = capture.seen.lock().unwrap();
    let calls: Vec<_> = seen
        .spans
        .values()
        .filter(|(name, _)| name == "routy.call")
        .map(|(_, fields)| fields)
        .collect();
    assert_eq!(calls.len(), 2, "one span per call: {calls:?}");
    let first = calls[0];
    assert_eq!(first["method"], "GET");
    assert_eq!(first["path"], "/api/v1/accounts");
    assert_eq!(first["attempts"], "2");
    assert_eq!(first["status"], "200");
    assert_eq!(first["request_id"], "req-[redacted]");
    // OpenTelemetry's HTTP client attributes, beside routy's own names.
    let base = sandbox.base_url();
    let port = sandbox.addr().port().to_string();
    assert_eq!(first["http.request.method"], "GET");
    assert_eq!(first["server.address"], "127.0.0.1");
    assert_eq!(first["server.port"], port);
    assert_eq!(first["url.scheme"], "http");
    assert_eq!(first["url.path"], "/api/v1/accounts");
    assert_eq!(first["url.full"], format!("{base}/v1/accounts"));
    assert_eq!(first["http.response.status_code"], "200");
    assert_eq!(first["http.request.resend_count"], "1", "one retry");
    assert!(!first.contains_key("error.type"), "{first:?}");
    assert!(!first.contains_key("http.request.method_original"));
    let second = calls[1];
    assert_eq!(
        second["url.full"],
        format!("{base}/v1/missing?token=[hidden]"),
        "a secret-looking query value is hidden"
    );
    assert_eq!(second["http.response.status_code"], "404");
    assert_eq!(second["error.type"], "404");
    assert!(!second.contains_key("http.request.resend_count"));
    assert_eq!(second["path"], "/api/v1/missing", "no query in the span");
    assert_eq!(second["status"], "404");
    assert_eq!(second["error"], "api");

    let messages: Vec<&str> = seen
        .events
        .iter()
        .filter(|e| e["target"] == "routy")
        .filter_map(|e| e.get("message").map(String::as_str))
        .collect();
    assert!(
        messages
            .iter()
            .any(|m| m.starts_with("waiting ") && m.contains(" before retrying GET ")),
        "{messages:#?}"
    );
    assert!(
        messages
            .iter()
            .any(|m| m.starts_with("following redirect 302")),
        "{messages:#?}"
    );

    let all = everything(&seen);
    assert!(!all.contains(&secret), "the key leaked:\n{all}");
    assert!(
        !all.contains(&secret[..12]),
        "part of the key leaked:\n{all}"
    );
    assert!(
        !all.contains("t0p-s3cret"),
        "a secret query value leaked:\n{all}"
    );
    assert!(!all.contains(TOKEN));
}
