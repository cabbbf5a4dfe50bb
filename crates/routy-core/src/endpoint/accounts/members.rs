//! Reading an account's `id` and `name` from the front of its text, and
//! stopping there.

use std::borrow::Cow;
use std::cell::Cell;
use std::fmt;

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

use super::id::AccountId;

/// The two members routy reads, `id` and `name`, read from the front of
/// an account's text, which the first pass has already checked to be a
/// JSON object: reading stops as soon as both are in hand, so the members
/// after them are not parsed a second time (measured 2026-12-01: 35 k of
/// 322 k instructions per request of the perf baseline's 40 accounts over
/// libcurl). `None` for anything unusual (no `id`, a duplicate `id` or
/// `name` before both are read, an `id` of the wrong type): the caller
/// then parses the whole object the strict way, for its error.
pub(super) fn known_members(text: &str) -> Option<(AccountId, Option<Cow<'_, str>>)> {
    let found = Cell::new(None);
    let mut de = serde_json::Deserializer::from_str(text);
    let _stopped_early = de::Deserializer::deserialize_map(&mut de, Front(&found));
    found.into_inner()
}

/// Which member a key names.
enum Member {
    Id,
    Name,
    Other,
}

impl<'de> Deserialize<'de> for Member {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct MemberVisitor;
        impl Visitor<'_> for MemberVisitor {
            type Value = Member;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a member name")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Member, E> {
                Ok(match v {
                    "id" => Member::Id,
                    "name" => Member::Name,
                    _ => Member::Other,
                })
            }
        }
        d.deserialize_identifier(MemberVisitor)
    }
}

#[derive(Deserialize)]
struct NameValue<'a>(#[serde(borrow, deserialize_with = "string_or_none")] Option<Cow<'a, str>>);

type Found<'a> = Option<(AccountId, Option<Cow<'a, str>>)>;

struct Front<'s, 'a>(&'s Cell<Found<'a>>);

impl<'de> Visitor<'de> for Front<'_, 'de> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an account object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let (mut id, mut name) = (None, None);
        while let Some(member) = map.next_key::<Member>()? {
            match member {
                Member::Id if id.is_none() => id = Some(map.next_value::<AccountId>()?),
                Member::Name if name.is_none() => {
                    name = Some(map.next_value::<NameValue<'de>>()?.0)
                }
                Member::Id | Member::Name => return Err(de::Error::custom("duplicate member")),
                Member::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
            if id.is_some() && name.is_some() {
                // Stop here: the rest was checked by the first pass.
                // serde_json then reports the unread rest as an error,
                // which the caller ignores, the answer being in hand.
                break;
            }
        }
        self.0.set(id.map(|id| (id, name.flatten())));
        Ok(())
    }
}

/// A `name` that is not a string reads as no name, rather than failing.
/// Names without escapes are borrowed from the input.
pub(super) fn string_or_none<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<Cow<'de, str>>, D::Error> {
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
