//! RFC 9457 problem details, parsed leniently and redacted before they are
//! kept.
//!
//! Read member by member, with no tree of JSON values: the validation
//! `errors` and the extensions are kept in the order sent, the extensions
//! as their JSON text (what [`Account`](crate::Account) does with its
//! members too). The map and value code a tree needs was a tenth of
//! routy's share of a program's size.

use std::fmt;
use std::ops::Index;

use serde::de::{DeserializeOwned, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;

use crate::shown::redact::{Redactor, WITHHELD};

/// An RFC 9457 problem details body (`application/problem+json`), with the
/// extensions ASP.NET adds (`traceId`, a validation `errors` map) and any
/// other members kept.
///
/// A member of the wrong type is ignored alone, as RFC 9457 section 3.1
/// asks: the rest of the problem is kept. It is read from JSON (a
/// `serde_json` deserializer or a [`serde_json::Value`]).
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
/// assert_eq!(problem.extensions.get::<String>("tenant").as_deref(), Some("acme"));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
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
    #[serde(skip_serializing_if = "FieldErrors::is_empty")]
    pub errors: FieldErrors,
    /// Every other member, as sent.
    #[serde(flatten)]
    pub extensions: ProblemExtensions,
}

/// A problem's validation errors by field (ASP.NET's `errors` map), in the
/// order the server sent them.
///
/// A message sent as a number or a boolean is kept as its text; a field
/// sent with one message rather than a list has a list of one.
///
/// # Examples
///
/// ```
/// let problem: routy::Problem = serde_json::from_str(
///     r#"{"errors": {"Name": ["too short", "not unique"], "ExpiresAt": "in the past"}}"#,
/// )?;
/// assert_eq!(problem.errors["Name"], ["too short", "not unique"]);
/// assert_eq!(problem.errors.get("ExpiresAt"), Some(&["in the past".to_owned()][..]));
/// assert!(!problem.errors.contains_key("Email"));
/// let fields: Vec<&str> = problem.errors.iter().map(|(field, _)| field).collect();
/// assert_eq!(fields, ["Name", "ExpiresAt"]);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldErrors(Vec<(String, Vec<String>)>);

impl FieldErrors {
    /// The messages for `field` (the last entry, if the server sent it
    /// twice).
    pub fn get(&self, field: &str) -> Option<&[String]> {
        let found = self.0.iter().rev().find(|(name, _)| name == field);
        found.map(|(_, messages)| messages.as_slice())
    }

    /// Whether there are messages for `field`.
    pub fn contains_key(&self, field: &str) -> bool {
        self.get(field).is_some()
    }

    /// Each field and its messages, in the order sent.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &[String])> {
        self.into_iter()
    }

    /// How many fields have messages.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether no field has a message.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

type FieldEntry = (String, Vec<String>);

impl<'a> IntoIterator for &'a FieldErrors {
    type Item = (&'a str, &'a [String]);
    type IntoIter =
        std::iter::Map<std::slice::Iter<'a, FieldEntry>, fn(&'a FieldEntry) -> Self::Item>;

    fn into_iter(self) -> Self::IntoIter {
        self.0
            .iter()
            .map(|(name, messages)| (name.as_str(), messages.as_slice()))
    }
}

impl Index<&str> for FieldErrors {
    type Output = [String];

    /// The messages for `field`.
    ///
    /// # Panics
    ///
    /// When there are none, as a map's index does; [`get`](FieldErrors::get)
    /// does not.
    fn index(&self, field: &str) -> &[String] {
        match self.get(field) {
            Some(messages) => messages,
            None => panic!("no validation errors for field {field:?}"),
        }
    }
}

impl Serialize for FieldErrors {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.0.iter().map(|(field, messages)| (field, messages)))
    }
}

/// The members of a problem other than the ones RFC 9457 and ASP.NET
/// define, each kept as its JSON text, in the order sent.
///
/// # Examples
///
/// ```
/// let problem: routy::Problem = serde_json::from_str(
///     r#"{"title": "Quota", "tenant": "acme", "limits": {"daily": 500}}"#,
/// )?;
/// let ext = &problem.extensions;
/// assert_eq!(ext.get::<String>("tenant").as_deref(), Some("acme"));
/// assert_eq!(ext.get::<serde_json::Value>("limits").unwrap()["daily"], 500);
/// assert_eq!(ext.get::<u32>("tenant"), None); // not a number
/// assert_eq!(ext.get_raw("limits").map(|raw| raw.get()), Some(r#"{"daily": 500}"#));
/// assert_eq!(ext.len(), 2);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Default)]
pub struct ProblemExtensions(Vec<(String, Box<RawValue>)>);

impl ProblemExtensions {
    /// The member `name` read as a `T`: `None` when there is no such member
    /// or it is not a `T`. (The last one, if the server sent it twice.)
    pub fn get<T: DeserializeOwned>(&self, name: &str) -> Option<T> {
        serde_json::from_str(self.get_raw(name)?.get()).ok()
    }

    /// The member `name`'s JSON text, as sent (after redaction).
    pub fn get_raw(&self, name: &str) -> Option<&RawValue> {
        let found = self.0.iter().rev().find(|(member, _)| member == name);
        found.map(|(_, value)| &**value)
    }

    /// Whether there is a member `name`.
    pub fn contains_key(&self, name: &str) -> bool {
        self.get_raw(name).is_some()
    }

    /// Each member's name and JSON text, in the order sent.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &RawValue)> {
        self.into_iter()
    }

    /// How many members there are.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

type ExtensionEntry = (String, Box<RawValue>);

impl<'a> IntoIterator for &'a ProblemExtensions {
    type Item = (&'a str, &'a RawValue);
    type IntoIter =
        std::iter::Map<std::slice::Iter<'a, ExtensionEntry>, fn(&'a ExtensionEntry) -> Self::Item>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter().map(|(name, value)| (name.as_str(), &**value))
    }
}

impl PartialEq for ProblemExtensions {
    fn eq(&self, other: &Self) -> bool {
        let same =
            |(a, x): (&str, &RawValue), (b, y): (&str, &RawValue)| a == b && x.get() == y.get();
        self.len() == other.len() && self.iter().zip(other.iter()).all(|(l, r)| same(l, r))
    }
}

impl Eq for ProblemExtensions {}

impl fmt::Debug for ProblemExtensions {
    /// As a map of names to JSON text, on one line: the server's line
    /// breaks, control and invisible characters (a right-to-left
    /// override) escaped as `Debug` escapes a string's.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Json<'a>(&'a str);
        impl fmt::Debug for Json<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                use fmt::Write as _;
                for c in self.0.chars() {
                    match c {
                        // JSON's own quoting, kept readable.
                        '"' | '\\' | '\'' => f.write_char(c)?,
                        _ => write!(f, "{}", c.escape_debug())?,
                    }
                }
                Ok(())
            }
        }
        let entries = self.0.iter().map(|(name, value)| (name, Json(value.get())));
        f.debug_map().entries(entries).finish()
    }
}

impl Serialize for ProblemExtensions {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.0.iter().map(|(name, value)| (name, value)))
    }
}

impl Problem {
    /// This problem with every string in it scrubbed by `redactor`. An
    /// extension whose JSON text spells the secret in any form is withheld
    /// whole (its text is not taken apart to save the rest).
    pub(crate) fn redacted(mut self, redactor: Redactor<'_>) -> Self {
        // (`scrub` borrows its answer both when nothing changed and when
        // the whole text is withheld: only the owned copy tells.)
        let fix = |text: &mut String| *text = redactor.scrub_owned(text);
        let texts = [
            &mut self.type_uri,
            &mut self.title,
            &mut self.detail,
            &mut self.instance,
            &mut self.trace_id,
        ];
        texts.into_iter().flatten().for_each(fix);
        for (field, messages) in &mut self.errors.0 {
            fix(field);
            messages.iter_mut().for_each(fix);
        }
        for (name, value) in &mut self.extensions.0 {
            fix(name);
            if redactor.found_in(value.get().as_bytes()) {
                *value = withheld();
            }
        }
        self
    }
}

/// [`WITHHELD`] as a JSON string.
fn withheld() -> Box<RawValue> {
    let text = format!("\"{WITHHELD}\"");
    RawValue::from_string(text).unwrap_or_else(|_| unreachable!("a JSON string of plain text"))
}

impl<'de> Deserialize<'de> for Problem {
    /// Leniently, as RFC 9457 section 3.1 asks: a member of the wrong type
    /// is ignored alone, the rest of the problem kept. The members other
    /// than the known ones are [`extensions`](Problem::extensions).
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(Problem::from_members(Members::deserialize(deserializer)?.0))
    }
}

impl Problem {
    /// The problem a JSON object's members make: each known member read
    /// from its text as the type it should have (or ignored), the others
    /// kept as extensions.
    fn from_members(members: Vec<ExtensionEntry>) -> Problem {
        let mut problem = Problem::default();
        for (name, value) in members {
            let text = match name.as_str() {
                "type" => &mut problem.type_uri,
                "title" => &mut problem.title,
                "detail" => &mut problem.detail,
                "instance" => &mut problem.instance,
                "traceId" => &mut problem.trace_id,
                "status" => {
                    problem.status =
                        read::<u16>(&value).or_else(|| read::<String>(&value)?.trim().parse().ok());
                    continue;
                }
                "errors" => {
                    problem.errors = field_errors(&value);
                    continue;
                }
                _ => {
                    problem.extensions.0.push((name, value));
                    continue;
                }
            };
            *text = read::<String>(&value);
        }
        problem
    }
}

/// `raw` read as a `T`, or `None` when it is not one.
fn read<T: DeserializeOwned>(raw: &RawValue) -> Option<T> {
    serde_json::from_slice(raw.get().as_bytes()).ok()
}

/// The `errors` map: `{"field": ["msg", …]}` or `{"field": "msg"}`; a
/// message of another type is dropped rather than failing the whole
/// problem.
fn field_errors(raw: &RawValue) -> FieldErrors {
    let Some(Members(fields)) = read::<Members>(raw) else {
        return FieldErrors::default();
    };
    let messages = |value: &RawValue| match read::<Vec<Box<RawValue>>>(value) {
        Some(items) => items.iter().filter_map(|item| message(item)).collect(),
        None => message(value).into_iter().collect(),
    };
    FieldErrors(fields.into_iter().map(|(f, v)| (f, messages(&v))).collect())
}

/// One validation message: a string, or a number's or a boolean's JSON
/// text as sent.
fn message(raw: &RawValue) -> Option<String> {
    // `raw` is well-formed JSON, so its first byte says what it is.
    match raw.get().as_bytes().first()? {
        b'"' => read::<String>(raw),
        b'[' | b'{' | b'n' => None,
        _ => Some(raw.get().to_owned()),
    }
}

/// A JSON object's members, each as its JSON text, in order.
struct Members(Vec<ExtensionEntry>);

impl<'de> Deserialize<'de> for Members {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(MembersVisitor)
    }
}

struct MembersVisitor;

impl<'de> Visitor<'de> for MembersVisitor {
    type Value = Members;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Members, A::Error> {
        let mut members = Vec::new();
        while let Some(entry) = map.next_entry()? {
            members.push(entry);
        }
        Ok(Members(members))
    }
}
