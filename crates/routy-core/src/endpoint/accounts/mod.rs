//! Accounts: the one endpoint Routy documents (`GET /v1/accounts`) and
//! its data.

use std::fmt;
use std::sync::Arc;

use http::Method;
use serde::de::{self, Deserializer};
use serde::{ser, Deserialize, Serialize, Serializer};
use serde_json::value::RawValue;

use crate::endpoint::{Endpoint, Reply};
use crate::error::Error;
use crate::response::paging::Envelope;

mod front;
mod id;
mod list;
mod members;

pub use id::AccountId;
use list::Shared;
use members::{id_of, read_id, read_members, Members, Slot};

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
/// - The body is UTF-8, as JSON must be (RFC 8259); a byte that is not
///   is refused, wherever it is.
/// - A duplicate `id` or `name` is refused, but reading stops once both
///   are in hand, so a duplicate after them is not seen.
///
/// Nothing is rejected for having members routy does not know. The
/// accounts of a list share the one body they came in (each is a range of
/// it, 24 bytes), so a list costs little more than its own bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Accounts;

/// The envelope members an account list may come in.
pub(crate) struct AccountEnvelope;

impl Envelope for AccountEnvelope {
    const KEYS: &'static [&'static str] = &["items", "data", "value", "accounts"];
    const SHAPE: &'static str = ACCOUNTS_SHAPE;
    const NOUN: &'static str = "account";
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
        // The accounts keep the body and point into it, rather than each
        // copying its text out of it.
        reply.into_list_with(list::decode)
    }
}

/// A Routy account.
///
/// An account is where it lies in the body it came in: the accounts of a
/// list share that one buffer (each holds a reference to it, its own
/// range, and where its `id` and `name` are), so a list costs little more
/// than its body, and a decoded account keeps every member as sent.
/// Serialising an account writes back exactly the JSON it was decoded
/// from: every member, in the order sent.
///
/// # Examples
///
/// ```
/// use routy::{Account, AccountId};
///
/// let account: Account = serde_json::from_str(r#"{"id": "acc_1", "name": "Acme", "plan": {"tier": 2}}"#)?;
/// assert_eq!(account.id(), AccountId::String("acc_1".into()));
/// assert_eq!(account.name(), Some("Acme"));
/// assert_eq!(account.get("plan").unwrap()["tier"], 2);
/// assert_eq!(serde_json::to_string(&account)?, r#"{"id": "acc_1", "name": "Acme", "plan": {"tier": 2}}"#);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone)]
pub struct Account {
    /// The body the account came in (24 bytes in all: a list of accounts
    /// is mostly these and that one body).
    body: Arc<Shared>,
    start: u32,
    len: u32,
    id: Slot,
    name: Slot,
}

impl Account {
    /// The account whose text (an object serde_json accepted) is
    /// `start..start + len` of `body`, its members at `members`.
    fn new(body: Arc<Shared>, start: u32, len: u32, members: &Members) -> Account {
        Account {
            body,
            start,
            len,
            id: members.id,
            name: members.name,
        }
    }

    /// An account with a body of its own: `text`, an object serde_json
    /// accepted.
    fn owning(text: String) -> Result<Account, String> {
        let mut members = read_members(&text)?;
        let len = u32::try_from(text.len()).map_err(|_| "an account of over 4 GiB".to_owned())?;
        let names = members.name_elsewhere.take().map(|name| (0, name));
        let body = Arc::new(Shared::new(text, names.into_iter().collect()));
        Ok(Account::new(body, 0, len, &members))
    }

    /// The account's id, as the API sent it: a number or a string.
    ///
    /// # Examples
    ///
    /// ```
    /// use routy::{Account, AccountId};
    ///
    /// let account: Account = serde_json::from_str(r#"{"id": 42}"#)?;
    /// assert_eq!(account.id(), AccountId::Number(42));
    /// assert_eq!(account.id().to_string(), "42");
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub fn id(&self) -> AccountId {
        let text = self.raw_json();
        let at_slot = self.id.range().and_then(|range| text.get(range));
        let id = at_slot.and_then(id_of);
        // Decoding accepted this text with an id, so reading it again
        // finds one; the empty string only stands in for the impossible.
        id.or_else(|| read_id(text))
            .unwrap_or_else(|| AccountId::String(String::new()))
    }

    /// The account's `name`, when it is a string.
    pub fn name(&self) -> Option<&str> {
        match self.name {
            Slot::NONE => None,
            Slot::ELSEWHERE => self.body.name_at(self.start),
            slot => slot.range().and_then(|range| self.raw_json().get(range)),
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
        serde_json::from_str(self.raw_json()).unwrap_or_default()
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
        let start = self.start as usize;
        // Always there: the range was taken from this text.
        self.body
            .text
            .get(start..start + self.len as usize)
            .unwrap_or_default()
    }
}

impl fmt::Debug for Account {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Account")
            .field("id", &self.id())
            .field("name", &self.name())
            .field("raw", &self.raw_json())
            .finish()
    }
}

impl PartialEq for Account {
    fn eq(&self, other: &Self) -> bool {
        self.raw_json() == other.raw_json()
    }
}

impl Serialize for Account {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // Borrowed, not copied: the text is an object serde_json accepted.
        let raw: &RawValue = serde_json::from_str(self.raw_json()).map_err(ser::Error::custom)?;
        raw.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Account {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = Box::<RawValue>::deserialize(deserializer)?;
        if !raw.get().starts_with('{') {
            return Err(de::Error::invalid_type(
                de::Unexpected::Other("a non-object"),
                &"an account object",
            ));
        }
        Account::owning(Box::<str>::from(raw).into()).map_err(de::Error::custom)
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
