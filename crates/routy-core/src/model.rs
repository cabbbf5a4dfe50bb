//! Data the API returns, modelled to survive API growth.
//!
//! # What routy assumes about response shapes
//!
//! Routy documents `GET /v1/accounts` but not its body, so this is the one
//! place those assumptions are written down (and the decode error quotes
//! them when they turn out wrong):
//!
//! - The body is a JSON array of account objects. An object wrapping that
//!   array under `items`, `data`, `value` or `accounts` is accepted too.
//! - Each account has an `id`, a JSON number or string. Everything else is
//!   optional and kept as sent in [`Account::fields`]; `name` (a string) is
//!   read by [`Account::name`].
//!
//! Nothing is rejected for having members routy does not know.

use std::fmt;

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// What [`Client::accounts`](crate::Client::accounts) expects, as its decode
/// error says it.
pub(crate) const ACCOUNTS_SHAPE: &str =
    "a json array of accounts (objects with an `id`), or an object holding one under `items`, `data`, `value` or `accounts`";

/// Envelope members that may hold the account array.
const ENVELOPE_KEYS: [&str; 4] = ["items", "data", "value", "accounts"];

/// A Routy account.
///
/// Re-serialising an account gives back every member it was decoded from.
///
/// # Examples
///
/// ```
/// use routy_core::{Account, AccountId};
///
/// let account: Account = serde_json::from_str(r#"{"id": "acc_1", "name": "Acme", "plan": {"tier": 2}}"#)?;
/// assert_eq!(account.id, AccountId::String("acc_1".into()));
/// assert_eq!(account.name(), Some("Acme"));
/// assert_eq!(account.fields["plan"]["tier"], 2);
/// let back: serde_json::Value = serde_json::to_value(&account)?;
/// assert_eq!(back, serde_json::json!({"id": "acc_1", "name": "Acme", "plan": {"tier": 2}}));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Account {
    /// The account's id.
    pub id: AccountId,
    /// Every other member, as sent.
    #[serde(flatten)]
    pub fields: serde_json::Map<String, serde_json::Value>,
}

impl Account {
    /// The account's `name`, when it is a string.
    ///
    /// # Examples
    ///
    /// See [`Account`].
    pub fn name(&self) -> Option<&str> {
        self.fields.get("name").and_then(serde_json::Value::as_str)
    }
}

/// An account id: the API may send a number or a string; whichever it sent
/// is kept, and serialised back the same way.
///
/// # Examples
///
/// ```
/// use routy_core::AccountId;
///
/// let ids: Vec<AccountId> = serde_json::from_str(r#"[42, "acc_7"]"#)?;
/// assert_eq!(ids, [AccountId::Number(42), AccountId::String("acc_7".into())]);
/// assert_eq!(ids[0].to_string(), "42");
/// assert_eq!(serde_json::to_string(&ids)?, r#"[42,"acc_7"]"#);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AccountId {
    /// A numeric id.
    Number(i64),
    /// A string id.
    String(String),
}

impl fmt::Display for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // `pad` honours width and alignment, so ids line up in tables.
            AccountId::Number(n) => f.pad(&n.to_string()),
            AccountId::String(s) => f.pad(s),
        }
    }
}

impl Serialize for AccountId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            AccountId::Number(n) => serializer.serialize_i64(*n),
            AccountId::String(s) => serializer.serialize_str(s),
        }
    }
}

impl<'de> Deserialize<'de> for AccountId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct IdVisitor;

        impl Visitor<'_> for IdVisitor {
            type Value = AccountId;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an account id (an integer or a string)")
            }

            fn visit_i64<E: de::Error>(self, v: i64) -> Result<AccountId, E> {
                Ok(AccountId::Number(v))
            }

            fn visit_u64<E: de::Error>(self, v: u64) -> Result<AccountId, E> {
                i64::try_from(v)
                    .map(AccountId::Number)
                    .map_err(|_| E::invalid_value(de::Unexpected::Unsigned(v), &self))
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<AccountId, E> {
                Ok(AccountId::String(v.to_owned()))
            }

            fn visit_string<E: de::Error>(self, v: String) -> Result<AccountId, E> {
                Ok(AccountId::String(v))
            }
        }

        deserializer.deserialize_any(IdVisitor)
    }
}

/// The accounts list body: an array, or an envelope holding one.
pub(crate) struct AccountList(pub(crate) Vec<Account>);

impl<'de> Deserialize<'de> for AccountList {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ListVisitor;

        impl<'de> Visitor<'de> for ListVisitor {
            type Value = AccountList;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(ACCOUNTS_SHAPE)
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<AccountList, A::Error> {
                let mut accounts = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
                while let Some(account) = seq.next_element()? {
                    accounts.push(account);
                }
                Ok(AccountList(accounts))
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<AccountList, A::Error> {
                let mut found = None;
                while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                    if found.is_none() && ENVELOPE_KEYS.contains(&key.as_ref()) {
                        found = Some(map.next_value::<Vec<Account>>()?);
                    } else {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
                found
                    .map(AccountList)
                    .ok_or_else(|| de::Error::custom(format!("expected {ACCOUNTS_SHAPE}")))
            }
        }

        deserializer.deserialize_any(ListVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_array_and_envelopes() {
        for body in [
            r#"[{"id": 1}, {"id": "two"}]"#,
            r#"{"items": [{"id": 1}, {"id": "two"}], "total": 2}"#,
            r#"{"page": 1, "data": [{"id": 1}, {"id": "two"}]}"#,
            r#"{"value": [{"id": 1}, {"id": "two"}]}"#,
        ] {
            let AccountList(list) = serde_json::from_str(body).unwrap();
            assert_eq!(
                list.iter().map(|a| a.id.clone()).collect::<Vec<_>>(),
                [AccountId::Number(1), AccountId::String("two".into())],
                "{body}"
            );
        }
    }

    #[test]
    fn refuses_other_shapes() {
        for body in [
            r#"{"total": 2}"#,
            "42",
            r#""accounts""#,
            "null",
            r#"[{"name": "x"}]"#,
            r#"[{"id": 1.5}]"#,
            r#"[{"id": 18446744073709551615}]"#,
        ] {
            assert!(serde_json::from_str::<AccountList>(body).is_err(), "{body}");
        }
    }

    #[test]
    fn round_trips_unknown_members() {
        let body = r#"{"id":7,"name":"Ünïcødé ✓","nested":{"a":[1,2,{"b":null}]},"name2":null,"flag":true}"#;
        let account: Account = serde_json::from_str(body).unwrap();
        let back: serde_json::Value = serde_json::to_value(&account).unwrap();
        let original: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(back, original);
        assert_eq!(account.name(), Some("Ünïcødé ✓"));
    }
}
