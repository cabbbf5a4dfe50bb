//! RFC 9457 problem details, parsed leniently and redacted before they are
//! kept.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};

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
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Problem {
    /// A URI identifying the problem type.
    #[serde(
        rename = "type",
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient_string"
    )]
    pub type_uri: Option<String>,
    /// A short summary of the problem type.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient_string"
    )]
    pub title: Option<String>,
    /// The status code the server meant.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient_status"
    )]
    pub status: Option<u16>,
    /// What went wrong this time.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient_string"
    )]
    pub detail: Option<String>,
    /// A URI identifying this occurrence.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient_string"
    )]
    pub instance: Option<String>,
    /// ASP.NET's trace id, to quote to support.
    #[serde(
        rename = "traceId",
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient_string"
    )]
    pub trace_id: Option<String>,
    /// Validation errors by field (ASP.NET's `errors` map).
    #[serde(
        default,
        skip_serializing_if = "BTreeMap::is_empty",
        deserialize_with = "lenient_errors"
    )]
    pub errors: BTreeMap<String, Vec<String>>,
    /// Every other member, as sent.
    #[serde(flatten)]
    pub extensions: serde_json::Map<String, serde_json::Value>,
}

impl Problem {
    /// This problem with every string in it vouched for by `redactor`.
    pub(crate) fn redacted(mut self, redactor: Redactor<'_>) -> Self {
        let fix = |text: &mut String| *text = redactor.vouch(text);
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
            extensions.insert(redactor.vouch(&name), redact_value(value, redactor));
        }
        self.extensions = extensions;
        self
    }
}

fn redact_value(value: serde_json::Value, redactor: Redactor<'_>) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::String(text) => Value::String(redactor.vouch(&text)),
        Value::Array(items) => Value::Array(
            items
                .into_iter()
                .map(|v| redact_value(v, redactor))
                .collect(),
        ),
        Value::Object(map) => {
            let mut out = serde_json::Map::new();
            for (k, v) in map {
                out.insert(redactor.vouch(&k), redact_value(v, redactor));
            }
            Value::Object(out)
        }
        other => other,
    }
}

fn lenient_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match serde_json::Value::deserialize(d)? {
        serde_json::Value::String(s) => Some(s),
        _ => None,
    })
}

fn lenient_status<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u16>, D::Error> {
    let value = serde_json::Value::deserialize(d)?;
    Ok(match value {
        serde_json::Value::Number(n) => n.as_u64().and_then(|n| u16::try_from(n).ok()),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    })
}

/// Accepts `{"field": ["msg", …]}` and `{"field": "msg"}`; anything else is
/// dropped rather than failing the whole problem.
fn lenient_errors<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<BTreeMap<String, Vec<String>>, D::Error> {
    let value = serde_json::Value::deserialize(d)?;
    let mut out = BTreeMap::new();
    if let serde_json::Value::Object(map) = value {
        for (field, messages) in map {
            let messages = match messages {
                serde_json::Value::String(s) => vec![s],
                serde_json::Value::Array(items) => items
                    .into_iter()
                    .map(|m| match m {
                        serde_json::Value::String(s) => s,
                        other => other.to_string(),
                    })
                    .collect(),
                other => vec![other.to_string()],
            };
            out.insert(field, messages);
        }
    }
    Ok(out)
}
