//! RFC 9457 problem details, parsed leniently and redacted before they are
//! kept.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use crate::redact::Redactor;

/// An RFC 9457 problem details body (`application/problem+json`), with the
/// extensions ASP.NET adds (`traceId`, a validation `errors` map) and any
/// other members kept.
///
/// # Examples
///
/// ```
/// let problem: routy::Problem = serde_json::from_str(r#"{
///     "type": "https://tools.ietf.org/html/rfc9110#section-15.5.1",
///     "title": "One or more validation errors occurred.",
///     "status": 400,
///     "errors": {"Name": ["The name must be 2 to 50 characters."]},
///     "traceId": "00-abc-def-00",
///     "tenant": "acme"
/// }"#)?;
/// assert_eq!(problem.errors["Name"][0], "The name must be 2 to 50 characters.");
/// assert_eq!(problem.trace_id.as_deref(), Some("00-abc-def-00"));
/// assert_eq!(problem.extensions["tenant"], "acme");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Problem {
    /// A URI identifying the problem type.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub type_uri: Option<String>,
    /// A short summary of the problem type.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// The status code the server meant.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// What went wrong this time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// A URI identifying this occurrence.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    /// ASP.NET's trace id, to quote to support.
    #[serde(rename = "traceId", skip_serializing_if = "Option::is_none")]
    pub trace_id: Option<String>,
    /// Validation errors by field (ASP.NET's `errors` map).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub errors: BTreeMap<String, Vec<String>>,
    /// Every other member, as sent.
    #[serde(flatten)]
    pub extensions: serde_json::Map<String, serde_json::Value>,
}

impl Problem {
    /// This problem with every string in it scrubbed by `redactor`.
    pub(crate) fn redacted(mut self, redactor: Redactor<'_>) -> Self {
        let fix = |text: &mut String| *text = redactor.scrub_owned(text);
        let texts = [
            &mut self.type_uri,
            &mut self.title,
            &mut self.detail,
            &mut self.instance,
            &mut self.trace_id,
        ];
        texts.into_iter().flatten().for_each(fix);
        // Rebuilt by insertion (not collect), which reuses the map code the
        // decoder already needs instead of instantiating bulk building.
        let mut errors = BTreeMap::new();
        for (mut field, mut messages) in std::mem::take(&mut self.errors) {
            fix(&mut field);
            messages.iter_mut().for_each(fix);
            errors.insert(field, messages);
        }
        self.errors = errors;
        let mut extensions = serde_json::Map::new();
        for (name, value) in std::mem::take(&mut self.extensions) {
            extensions.insert(redactor.scrub_owned(&name), redact_value(value, redactor));
        }
        self.extensions = extensions;
        self
    }
}

fn redact_value(value: serde_json::Value, redactor: Redactor<'_>) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::String(text) => Value::String(redactor.scrub_owned(&text)),
        Value::Array(items) => Value::Array(
            items
                .into_iter()
                .map(|v| redact_value(v, redactor))
                .collect(),
        ),
        Value::Object(map) => {
            let mut out = serde_json::Map::new();
            for (k, v) in map {
                out.insert(redactor.scrub_owned(&k), redact_value(v, redactor));
            }
            Value::Object(out)
        }
        other => other,
    }
}

impl<'de> Deserialize<'de> for Problem {
    /// Leniently, as RFC 9457 section 3.1 asks: a member of the wrong type
    /// is ignored alone, the rest of the problem kept. Read as a JSON
    /// object first, then the known members taken out of it; what is left
    /// is [`extensions`](Problem::extensions).
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let mut members = serde_json::Map::<String, Value>::deserialize(deserializer)?;
        let mut text = |name: &str| match members.remove(name) {
            Some(Value::String(text)) => Some(text),
            _ => None,
        };
        let (type_uri, title, detail, instance, trace_id) = (
            text("type"),
            text("title"),
            text("detail"),
            text("instance"),
            text("traceId"),
        );
        let status = match members.remove("status") {
            Some(Value::Number(n)) => n.as_u64().and_then(|n| u16::try_from(n).ok()),
            Some(Value::String(s)) => s.trim().parse().ok(),
            _ => None,
        };
        let errors = match members.remove("errors") {
            Some(Value::Object(map)) => validation_errors(map),
            _ => BTreeMap::new(),
        };
        Ok(Problem {
            type_uri,
            title,
            status,
            detail,
            instance,
            trace_id,
            errors,
            extensions: members,
        })
    }
}

/// Accepts `{"field": ["msg", …]}` and `{"field": "msg"}`; a number or a
/// boolean message is kept as its JSON text, anything else dropped rather
/// than failing the whole problem.
fn validation_errors(map: serde_json::Map<String, Value>) -> BTreeMap<String, Vec<String>> {
    let text = |message: Value| match message {
        Value::String(s) => Some(s),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    };
    let mut out = BTreeMap::new();
    for (field, messages) in map {
        let messages = match messages {
            Value::Array(items) => items.into_iter().filter_map(text).collect(),
            other => text(other).into_iter().collect(),
        };
        out.insert(field, messages);
    }
    out
}
