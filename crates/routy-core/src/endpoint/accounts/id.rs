//! [`AccountId`]: a number or a string, as the API sent it.

use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// An account id: the API may send a number or a string; whichever it sent
/// is kept, and serialised back the same way.
///
/// # Examples
///
/// ```
/// use routy::AccountId;
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
