//! Accounts: the one endpoint Routy documents (`GET /v1/accounts`) and
//! its data.

use std::borrow::Cow;

use http::Method;
use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize, Serializer};
use serde_json::value::RawValue;

use crate::endpoint::{Endpoint, Reply};
use crate::error::Error;
use crate::response::decode::Decoded;
use crate::response::paging::{indexed, Envelope, ListBody};

mod id;
mod members;

pub use id::AccountId;
use members::{known_members, string_or_none};

/// What [`Accounts`] expects, as its decode error says it.
pub(crate) const ACCOUNTS_SHAPE: &str =
    "a json array of accounts (objects with an `id`), or an object holding one under `items`, `data`, `value` or `accounts`";

/// `GET /v1/accounts`: the accounts the key can see, behind
/// [`Client::accounts`](crate::Client::accounts).
///
/// # Examples
///
/// ```
/// use routy::endpoint::Accounts;
/// use routy::Endpoint;
/// use routy::{http, ApiKey};
///
/// let client = routy::ClientBuilder::new()
///     .api_key(ApiKey::new("test-token")?)
///     .build_with(routy::transport_fn(|_req| {
///         Ok(http::Response::builder()
///             .header("x-request-id", "req-9")
///             .body(br#"[{"id": 1, "name": "Acme"}]"#.to_vec())
///             .expect("static response is valid"))
///     }))?;
/// let (accounts, info) = client.call(Accounts.with_info())?;
/// assert_eq!(accounts[0].name(), Some("Acme"));
/// assert_eq!(info.request_id(), Some("req-9"));
/// # Ok::<(), routy::Error>(())
/// ```
///
/// # What routy assumes about the response
///
/// Routy documents `GET /v1/accounts` but not its body, so this is the one
/// place those assumptions are written down (and the decode error quotes
/// them when they turn out wrong):
///
/// - The body is a JSON array of account objects. An object wrapping that
///   array under `items`, `data`, `value` or `accounts` is accepted too.
/// - Each account has an `id`, a JSON number or string. Everything else is
///   optional and kept as sent, byte for byte ([`Account::raw_json`]);
///   `name` (a string) is read by [`Account::name`], any member by
///   [`Account::get`].
/// - A list that signals more pages is refused, never cut short: see
///   [`IncompleteList`](crate::IncompleteList).
///
/// Nothing is rejected for having members routy does not know. Keeping each
/// account's JSON text rather than a tree of values keeps memory near the
/// size of the body: a list decodes to little more than its own bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Accounts;

/// The envelope members an account list may come in.
pub(crate) struct AccountEnvelope;

impl Envelope for AccountEnvelope {
    const KEYS: &'static [&'static str] = &["items", "data", "value", "accounts"];
    const SHAPE: &'static str = ACCOUNTS_SHAPE;
    const NOUN: &'static str = "account";

    /// An account's error names its member (`member `id`: …`), so the
    /// list's own count is the rest of the path.
    fn decode<T: serde::de::DeserializeOwned>(body: &[u8]) -> Decoded<ListBody<T, Self>> {
        indexed(body)
    }
}

impl Endpoint for Accounts {
    type Output = Vec<Account>;

    fn method(&self) -> Method {
        Method::GET
    }

    fn path(&self) -> &str {
        "/v1/accounts"
    }

    fn parse(&self, reply: Reply<'_>) -> Result<Vec<Account>, Error> {
        reply.list_in::<Account, AccountEnvelope>()
    }
}

/// A Routy account.
///
/// Serialising an account writes back exactly the JSON it was decoded
/// from: every member, in the order sent.
///
/// # Examples
///
/// ```
/// use routy::{Account, AccountId};
///
/// let account: Account = serde_json::from_str(r#"{"id": "acc_1", "name": "Acme", "plan": {"tier": 2}}"#)?;
/// assert_eq!(account.id, AccountId::String("acc_1".into()));
/// assert_eq!(account.name(), Some("Acme"));
/// assert_eq!(account.get("plan").unwrap()["tier"], 2);
/// assert_eq!(serde_json::to_string(&account)?, r#"{"id": "acc_1", "name": "Acme", "plan": {"tier": 2}}"#);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Account {
    /// The account's id.
    pub id: AccountId,
    name: Name,
    raw: Box<RawValue>,
}

/// Where an account's name is: most names have no JSON escapes and are read
/// straight out of the raw text, so they cost no allocation of their own.
/// Measured 2026-12-01 (callgrind, the perf baseline's 40 accounts): with
/// every name owned instead, a request costs 276.1 k instructions, 13.1 k
/// (5.0%) more than with the offsets, and 1.034 of the hand-written ureq
/// baseline rather than 0.985.
/// (16 bytes: a list of accounts is mostly these structs and their text.)
#[derive(Debug, Clone)]
enum Name {
    /// Byte range of the name within the raw text; `NO_NAME` when there is
    /// none (offset 0 is the object's `{`, never a name).
    Span(u32, u32),
    /// A name with escapes, decoded.
    Owned(Box<str>),
}

const NO_NAME: Name = Name::Span(0, 0);

impl Account {
    /// The account's `name`, when it is a string.
    pub fn name(&self) -> Option<&str> {
        match &self.name {
            Name::Span(0, _) => None,
            Name::Span(start, end) => self.raw.get().get(*start as usize..*end as usize),
            Name::Owned(name) => Some(name),
        }
    }

    /// The member `key`, parsed from the account's JSON (`None` when
    /// absent).
    pub fn get(&self, key: &str) -> Option<serde_json::Value> {
        self.fields().remove(key)
    }

    /// Every member, parsed from the account's JSON.
    ///
    /// # Examples
    ///
    /// ```
    /// let account: routy::Account = serde_json::from_str(r#"{"id": 1, "country": "DE"}"#)?;
    /// assert_eq!(account.fields()["country"], "DE");
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub fn fields(&self) -> serde_json::Map<String, serde_json::Value> {
        // The text was validated as a JSON object when the account was decoded.
        serde_json::from_str(self.raw.get()).unwrap_or_default()
    }

    /// The account's JSON exactly as the API sent it.
    ///
    /// # Examples
    ///
    /// ```
    /// let account: routy::Account = serde_json::from_str(r#"{"id":1, "z":true,"a":null}"#)?;
    /// assert_eq!(account.raw_json(), r#"{"id":1, "z":true,"a":null}"#);
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub fn raw_json(&self) -> &str {
        self.raw.get()
    }
}

impl PartialEq for Account {
    fn eq(&self, other: &Self) -> bool {
        self.raw.get() == other.raw.get()
    }
}

impl Serialize for Account {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.raw.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Account {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        /// The members routy reads; everything else is skipped here and
        /// kept in the raw text.
        #[derive(Deserialize)]
        struct Known<'a> {
            id: AccountId,
            #[serde(default, borrow, deserialize_with = "string_or_none")]
            name: Option<Cow<'a, str>>,
        }

        let raw = Box::<RawValue>::deserialize(deserializer)?;
        if !raw.get().starts_with('{') {
            return Err(de::Error::invalid_type(
                de::Unexpected::Other("a non-object"),
                &"an account object",
            ));
        }
        let text = raw.get();
        let known: Known<'_> = match known_members(text) {
            Some((id, name)) => Known { id, name },
            // Cold path: parse again, tracking where, to name the member.
            None => {
                let err = match serde_json::from_slice::<Known<'_>>(text.as_bytes()) {
                    Err(err) => err,
                    Ok(_) => return Err(de::Error::custom("account could not be read")),
                };
                let at = crate::text::byte_offset(text.as_bytes(), err.line(), err.column());
                let member = crate::response::json_path::json_path(text.as_bytes(), at);
                let message = err.to_string();
                // serde_json's position is within this account, not the
                // body; the body position is reported by the caller.
                let message = message
                    .rfind(" at line ")
                    .map_or(&*message, |at| &message[..at]);
                return Err(de::Error::custom(format_args!(
                    "member `{member}`: {message}"
                )));
            }
        };
        let name = match known.name {
            None => NO_NAME,
            Some(Cow::Borrowed(name)) => {
                // A borrowed name is a slice of `text`: note where (and
                // should it somehow not be, keep a copy instead).
                let start = (name.as_ptr() as usize).checked_sub(text.as_ptr() as usize);
                let span = start
                    .filter(|s| s + name.len() <= text.len())
                    .and_then(|s| {
                        Some((u32::try_from(s).ok()?, u32::try_from(s + name.len()).ok()?))
                    });
                match span {
                    Some((start, end)) => Name::Span(start, end),
                    None => Name::Owned(name.into()),
                }
            }
            Some(Cow::Owned(name)) => Name::Owned(name.into_boxed_str()),
        };
        let id = known.id;
        Ok(Account { id, name, raw })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_and_name_are_read_wherever_they_stand_and_the_rest_is_kept() {
        let cases = [
            (r#"{"id": 1, "name": "A", "x": [1, {"y": "z"}]}"#, Some("A")),
            (
                r#"{"x": {"name": "not this"}, "name": "B\u0021", "id": "acc_2"}"#,
                Some("B!"),
            ),
            (r#"{"id": 3, "tags": ["name"], "name": 7}"#, None),
            (r#"{"id": 4}"#, None),
            // A duplicate after both are read is not looked at.
            (r#"{"id": 5, "name": "E", "id": "again"}"#, Some("E")),
        ];
        for (text, name) in cases {
            let account: Account = serde_json::from_str(text).unwrap();
            assert_eq!(account.name(), name, "{text}");
            assert_eq!(account.raw_json(), text);
        }
        // The strict parse still names what is wrong.
        for (text, wrong) in [
            (r#"{"name": "no id"}"#, "missing field `id`"),
            (r#"{"id": true, "name": "x"}"#, "member `id`"),
            (r#"{"id": 1, "id": 2, "name": "x"}"#, "duplicate field `id`"),
        ] {
            let err = serde_json::from_str::<Account>(text)
                .unwrap_err()
                .to_string();
            assert!(err.contains(wrong), "{text}: {err}");
        }
    }

    #[test]
    fn round_trips_unknown_members() {
        let body = r#"{"id":7,"name":"Ünïcødé ✓","nested":{"a":[1,2,{"b":null}]},"name2":null,"flag":true}"#;
        let account: Account = serde_json::from_str(body).unwrap();
        assert_eq!(
            serde_json::to_string(&account).unwrap(),
            body,
            "byte for byte"
        );
        assert_eq!(account.name(), Some("Ünïcødé ✓"));
        assert_eq!(
            account.get("nested").unwrap()["a"][2]["b"],
            serde_json::Value::Null
        );
        let odd: Account = serde_json::from_str(r#"{"id": 1, "name": {"first": "x"}}"#).unwrap();
        assert_eq!(odd.name(), None, "a name that is not a string is no name");
        let escaped: Account =
            serde_json::from_str(r#"{"id": 1, "name": "Tab\there \u00e9"}"#).unwrap();
        assert_eq!(escaped.name(), Some("Tab\there é"));
    }
}
