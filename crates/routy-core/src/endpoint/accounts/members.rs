//! Where an account's `id` and `name` are in its text: read from the
//! plain front ([`front`](super::front)), else by serde_json the strict
//! way (every member parsed, a duplicate `id` or `name` refused), which
//! also words the error.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

use super::front::read_front;
use super::id::AccountId;

/// Where a member's value is within its account's text: 4 bytes, as a list
/// of accounts is mostly these and the body they point into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Slot {
    at: u16,
    len: u16,
}

impl Slot {
    /// No such member (offset 0 is the object's `{`, never a value).
    pub(super) const NONE: Slot = Slot { at: 0, len: 0 };
    /// The member is there but not at a slot: escaped, or too far in to
    /// say in 16 bits. An `id` is then read again when asked for; a
    /// `name` is kept decoded beside the text.
    pub(super) const ELSEWHERE: Slot = Slot { at: 0, len: 1 };

    fn new(range: std::ops::Range<usize>) -> Slot {
        match (u16::try_from(range.start), u16::try_from(range.len())) {
            (Ok(at), Ok(len)) if at > 0 => Slot { at, len },
            _ => Slot::ELSEWHERE,
        }
    }

    /// The byte range, when the value is at a slot.
    pub(super) fn range(self) -> Option<std::ops::Range<usize>> {
        (self.at > 0).then(|| usize::from(self.at)..usize::from(self.at) + usize::from(self.len))
    }
}

/// Where an account's `id` and `name` are, and its name when that is not
/// at a slot.
pub(super) struct Members {
    pub(super) id: Slot,
    pub(super) name: Slot,
    pub(super) name_elsewhere: Option<Box<str>>,
}

/// The [`Members`] of `text`, one JSON object serde_json has accepted, or
/// what is wrong with them (`member `id`: invalid type: …`).
pub(super) fn read_members(text: &str) -> Result<Members, String> {
    if let Some(front) = read_front(text) {
        let (name, name_elsewhere) = match front.name {
            None => (Slot::NONE, None),
            Some(range) => match Slot::new(range.clone()) {
                Slot::ELSEWHERE => (Slot::ELSEWHERE, Some(text[range].into())),
                slot => (slot, None),
            },
        };
        return Ok(Members {
            id: Slot::new(front.id),
            name,
            name_elsewhere,
        });
    }
    let known = serde_json::from_str::<Known<'_>>(text).map_err(|err| strict_error(text, &err))?;
    let (name, name_elsewhere) = match known.name {
        None => (Slot::NONE, None),
        Some(Cow::Borrowed(name)) => match within(text, name).map(Slot::new) {
            Some(slot) if slot != Slot::ELSEWHERE => (slot, None),
            _ => (Slot::ELSEWHERE, Some(name.into())),
        },
        Some(Cow::Owned(name)) => (Slot::ELSEWHERE, Some(name.into_boxed_str())),
    };
    Ok(Members {
        id: Slot::ELSEWHERE,
        name,
        name_elsewhere,
    })
}

/// The range `part`, a slice of `text`, has within it.
pub(super) fn within(text: &str, part: &str) -> Option<std::ops::Range<usize>> {
    let start = (part.as_ptr() as usize).checked_sub(text.as_ptr() as usize)?;
    (start + part.len() <= text.len()).then(|| start..start + part.len())
}

/// The id of `text`, an account decoding accepted, read again the way
/// decoding read it (for an id not at a slot).
pub(super) fn read_id(text: &str) -> Option<AccountId> {
    match read_front(text) {
        Some(front) => id_of(&text[front.id]),
        None => serde_json::from_str::<Known<'_>>(text).ok().map(|k| k.id),
    }
}

/// The id an `id` token at a slot says: a string (which has no escapes
/// there) or an integer.
pub(super) fn id_of(token: &str) -> Option<AccountId> {
    match token.strip_prefix('"') {
        Some(quoted) => quoted
            .strip_suffix('"')
            .map(|s| AccountId::String(s.to_owned())),
        None => token.parse().ok().map(AccountId::Number),
    }
}

/// The members routy reads, the strict way: every member parsed, a
/// duplicate `id` or `name` refused.
#[derive(Deserialize)]
struct Known<'a> {
    id: AccountId,
    #[serde(default, borrow, deserialize_with = "string_or_none")]
    name: Option<Cow<'a, str>>,
}

/// What is wrong with `text`'s members (serde_json's `err`), naming the
/// member.
fn strict_error(text: &str, err: &serde_json::Error) -> String {
    let at = crate::shown::text::byte_offset(text.as_bytes(), err.line(), err.column());
    let member = crate::response::json_path::json_path(text.as_bytes(), at);
    let message = err.to_string();
    // serde_json's position is within this account, not the body; the
    // body position is reported by the caller.
    let message = message
        .rfind(" at line ")
        .map_or(&*message, |at| &message[..at]);
    format!("member `{member}`: {message}")
}

/// A `name` that is not a string reads as no name, rather than failing.
/// Names without escapes are borrowed from the input.
fn string_or_none<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Cow<'de, str>>, D::Error> {
    struct NameVisitor;

    impl<'de> Visitor<'de> for NameVisitor {
        type Value = Option<Cow<'de, str>>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("any json value")
        }

        fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
            Ok(Some(Cow::Borrowed(v)))
        }

        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Ok(Some(Cow::Owned(v.to_owned())))
        }

        fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
            Ok(Some(Cow::Owned(v)))
        }

        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            Ok(None)
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
            Ok(None)
        }
    }

    d.deserialize_any(NameVisitor)
}
