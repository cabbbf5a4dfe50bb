//! Reading a list, bare or in an envelope, and seeing the signals of more
//! pages, which [`IncompleteList`](crate::IncompleteList) names.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{
    self, DeserializeOwned, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess,
    Visitor,
};
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::response::decode::{tracked, Decoded};

/// Members that say where the next page is (see [the module](self)).
const NEXT_KEYS: [&str; 10] = [
    "next",
    "nextLink",
    "@odata.nextLink",
    "next_page",
    "nextPage",
    "next_url",
    "next_cursor",
    "nextCursor",
    "nextPageToken",
    "next_page_token",
];

/// Members that say whether there is more.
const MORE_KEYS: [&str; 3] = ["has_more", "hasMore", "more"];

/// Members that give the size of the whole list.
const TOTAL_KEYS: [&str; 5] = [
    "total",
    "totalCount",
    "total_count",
    "count_total",
    "@odata.count",
];

/// Objects whose own members may hold those signals.
const NESTING_KEYS: [&str; 5] = ["links", "_links", "paging", "pagination", "meta"];

/// The names of the envelope a list may come in, and the words for it.
pub(crate) trait Envelope: Sized {
    /// Members that may hold the list.
    const KEYS: &'static [&'static str];
    /// The shape, for a decode error.
    const SHAPE: &'static str;
    /// What one item is called, for [`IncompleteList`]'s message.
    const NOUN: &'static str;

    /// Decodes a list body of `T`s. The path of a failure is tracked
    /// into the item (exact for any `T`, with a second copy of its
    /// decoder); routy's own accounts are read by [`indexed_seed`]
    /// instead, their errors naming their member.
    fn decode<T: DeserializeOwned>(body: &[u8]) -> Decoded<ListBody<T, Self>> {
        tracked(body)
    }
}

/// Decodes a list body, each item read by `seed` (which may borrow from
/// `text`), naming the item a failure was in (`data[3]`) from the list's
/// own count: no second decoder, but no path inside the item either (an
/// item's own error names its member: `member `id`: …`).
pub(crate) fn indexed_seed<'de, S, E>(text: &'de str, seed: S) -> Decoded<ListBody<S::Value, E>>
where
    S: DeserializeSeed<'de> + Copy,
    E: Envelope,
{
    let mut place = Place::default();
    let mut de = serde_json::Deserializer::from_str(text);
    let list = ListSeed::<S, E>(&mut place, seed, PhantomData)
        .deserialize(&mut de)
        .and_then(|list| de.end().map(|()| list));
    list.map_err(|err| (err, place.to_string()))
}

/// Where in a list body reading was: the envelope member holding the
/// items, and the item.
#[derive(Default)]
struct Place {
    member: Option<String>,
    index: Option<usize>,
}

impl fmt::Display for Place {
    /// As serde_path_to_error writes a path: `data[3]`, `[3]`, or `.`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.member, self.index) {
            (None, None) => f.write_str("."),
            (member, index) => {
                f.write_str(member.as_deref().unwrap_or_default())?;
                index.map_or(Ok(()), |i| write!(f, "[{i}]"))
            }
        }
    }
}

/// Any list an endpoint reads with `Reply::list`.
pub(crate) struct AnyList;

impl Envelope for AnyList {
    const KEYS: &'static [&'static str] = &["items", "data", "value", "results"];
    const SHAPE: &'static str =
        "a json array, or an object holding one under `items`, `data`, `value` or `results`";
    const NOUN: &'static str = "item";
}

/// A list body: an array, or an envelope holding one, and what the
/// envelope said about more pages.
pub(crate) struct ListBody<T, E>(
    pub(crate) Vec<T>,
    pub(crate) Paging,
    pub(crate) PhantomData<E>,
);

/// What a list envelope said about pages beyond this one.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Paging {
    /// The member that said there is a next page.
    pub(crate) next: Option<&'static str>,
    /// The member that gave the whole list's size, and the size.
    pub(crate) total: Option<(&'static str, u64)>,
}

impl Paging {
    /// What says there is more than `received` accounts, if anything does.
    pub(crate) fn signal(&self, received: usize) -> Option<&'static str> {
        self.next.or(self
            .total
            .filter(|(_, total)| *total > received as u64)
            .map(|(name, _)| name))
    }

    /// Reads the envelope members that may be paging signals (kept as raw
    /// JSON while decoding, read here once: this code is not generic over
    /// the deserializer).
    fn read(members: &[(&'static str, Box<RawValue>)], nested: bool) -> Paging {
        let mut paging = Paging::default();
        for (name, raw) in members {
            let text = raw.get().trim();
            if NEXT_KEYS.contains(name) {
                let absent = ["null", "false", "\"\"", "0", "[]", "{}"].contains(&text);
                if !absent {
                    paging.next = paging.next.or(Some(*name));
                }
            } else if MORE_KEYS.contains(name) {
                if text == "true" {
                    paging.next = paging.next.or(Some(*name));
                }
            } else if TOTAL_KEYS.contains(name) {
                if let Ok(total) = text.parse::<u64>() {
                    paging.total = paging.total.or(Some((*name, total)));
                }
            } else if !nested {
                // A links/paging/meta object: its own members, one level.
                let inner = serde_json::from_slice::<Signals>(text.as_bytes())
                    .map(|Signals(members)| Paging::read(&members, true))
                    .unwrap_or_default();
                paging.next = paging.next.or(inner.next);
                paging.total = paging.total.or(inner.total);
            }
        }
        paging
    }
}

/// The name routy knows `key` by, when `key` may be a paging signal (or,
/// at the top level, an object holding some).
fn signal_name(key: &str, nested: bool) -> Option<&'static str> {
    let nesting: &[&'static str] = if nested { &[] } else { &NESTING_KEYS };
    NEXT_KEYS
        .iter()
        .chain(&MORE_KEYS)
        .chain(&TOTAL_KEYS)
        .chain(nesting)
        .find(|name| **name == key)
        .copied()
}

/// The members of a nested paging object that may be signals, as raw
/// JSON; a value that is not an object has none.
struct Signals(Vec<(&'static str, Box<RawValue>)>);

impl<'de> Deserialize<'de> for Signals {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct SignalsVisitor;

        impl<'de> Visitor<'de> for SignalsVisitor {
            type Value = Signals;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Signals, A::Error> {
                let mut members = Vec::new();
                while let Some(key) = map.next_key::<Cow<'de, str>>()? {
                    match signal_name(&key, true) {
                        Some(name) => members.push((name, map.next_value()?)),
                        None => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(Signals(members))
            }
        }

        deserializer.deserialize_map(SignalsVisitor)
    }
}

/// The [`IncompleteList::signal`] of a `Link: rel="next"` header.
pub(crate) const LINK_SIGNAL: &str = "Link";

/// Whether a `Link` header value has a link with `rel="next"` (RFC 8288:
/// `rel` holds space-separated relation types, compared case-insensitively).
/// Only that question is answered; the target is never parsed or kept.
pub(crate) fn link_has_next(value: &[u8]) -> bool {
    let Ok(value) = std::str::from_utf8(value) else {
        return false;
    };
    // Skip each `<target>`: a URI may hold `;`, `,` and `rel=`.
    let mut rest = value;
    while let Some(open) = rest.find('<') {
        let Some(close) = rest[open..].find('>') else {
            return false;
        };
        let after = &rest[open + close + 1..];
        let params = after.split_once('<').map_or(after, |(params, _)| params);
        for param in params.split(';') {
            let Some((name, value)) = param.split_once('=') else {
                continue;
            };
            if name.trim().eq_ignore_ascii_case("rel")
                && value
                    .trim()
                    .trim_end_matches(',')
                    .trim()
                    .trim_matches('"')
                    .split_ascii_whitespace()
                    .any(|rel| rel.eq_ignore_ascii_case("next"))
            {
                return true;
            }
        }
        rest = after;
    }
    false
}

impl<'de, T: Deserialize<'de>, E: Envelope> Deserialize<'de> for ListBody<T, E> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        ListSeed(&mut Place::default(), PhantomData::<T>, PhantomData).deserialize(deserializer)
    }
}

/// Reads a [`ListBody`] whose items `S` reads, keeping its [`Place`] up
/// to date.
struct ListSeed<'p, S, E>(&'p mut Place, S, PhantomData<E>);

impl<'de, S: DeserializeSeed<'de> + Copy, E: Envelope> DeserializeSeed<'de> for ListSeed<'_, S, E> {
    type Value = ListBody<S::Value, E>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de, S: DeserializeSeed<'de> + Copy, E: Envelope> Visitor<'de> for ListSeed<'_, S, E> {
    type Value = ListBody<S::Value, E>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(E::SHAPE)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        let items = Items(self.0, self.1).visit_seq(seq)?;
        Ok(ListBody(items, Paging::default(), PhantomData))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let place = self.0;
        let mut found = None;
        let mut signals = Vec::new();
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            if found.is_none() && E::KEYS.contains(&key.as_ref()) {
                place.member = Some(key.into_owned());
                found = Some(map.next_value_seed(Items(place, self.1))?);
                *place = Place::default();
            } else if let Some(name) = signal_name(&key, false) {
                signals.push((name, map.next_value()?));
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        found
            .map(|items| ListBody(items, Paging::read(&signals, false), PhantomData))
            .ok_or_else(|| de::Error::custom(format!("expected {}", E::SHAPE)))
    }
}

/// Reads the items of a list with `S`, noting in the [`Place`] which
/// one it is at.
struct Items<'p, S>(&'p mut Place, S);

impl<'de, S: DeserializeSeed<'de> + Copy> DeserializeSeed<'de> for Items<'_, S> {
    type Value = Vec<S::Value>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de, S: DeserializeSeed<'de> + Copy> Visitor<'de> for Items<'_, S> {
    type Value = Vec<S::Value>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a json array")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        loop {
            self.0.index = Some(items.len());
            match seq.next_element_seed(self.1)? {
                Some(item) => items.push(item),
                None => break,
            }
        }
        self.0.index = None;
        Ok(items)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::endpoint::accounts::{Account, AccountEnvelope, AccountId};

    type AccountList = ListBody<Account, AccountEnvelope>;

    #[test]
    fn accepts_array_and_envelopes() {
        for body in [
            r#"[{"id": 1}, {"id": "two"}]"#,
            r#"{"items": [{"id": 1}, {"id": "two"}], "total": 2}"#,
            r#"{"page": 1, "data": [{"id": 1}, {"id": "two"}]}"#,
            r#"{"value": [{"id": 1}, {"id": "two"}]}"#,
        ] {
            let ListBody(list, paging, _): AccountList = serde_json::from_str(body).unwrap();
            assert_eq!(paging.signal(list.len()), None, "{body}");
            assert_eq!(
                list.iter().map(Account::id).collect::<Vec<_>>(),
                [AccountId::Number(1), AccountId::String("two".into())],
                "{body}"
            );
        }
    }

    #[test]
    fn paging_signals_are_seen_and_their_absence_too() {
        let signal = |body: &str| {
            let ListBody(list, paging, _): AccountList = serde_json::from_str(body).unwrap();
            paging.signal(list.len())
        };
        assert_eq!(
            signal(r#"{"data": [{"id": 1}], "nextLink": "x"}"#),
            Some("nextLink")
        );
        assert_eq!(
            signal(r#"{"value": [], "@odata.nextLink": "x"}"#),
            Some("@odata.nextLink")
        );
        assert_eq!(
            signal(r#"{"items": [{"id": 1}], "total": 3}"#),
            Some("total")
        );
        assert_eq!(
            signal(r#"{"items": [{"id": 1}], "has_more": true}"#),
            Some("has_more")
        );
        assert_eq!(
            signal(r#"{"data": [{"id": 1}], "links": {"self": "a", "next": {"href": "b"}}}"#),
            Some("next")
        );
        assert_eq!(
            signal(r#"{"data": [{"id": 1}], "meta": {"total_count": 9}}"#),
            Some("total_count")
        );
        for quiet in [
            r#"{"data": [{"id": 1}], "next": null, "has_more": false, "total": 1}"#,
            r#"{"data": [{"id": 1}], "nextLink": "", "links": {"self": "x"}, "meta": 3}"#,
            r#"{"data": [{"id": 1}], "has_more": "no", "paging": [1]}"#,
        ] {
            assert_eq!(signal(quiet), None, "{quiet}");
        }
    }

    #[test]
    fn link_headers_with_a_next_relation_are_seen() {
        for yes in [
            r#"<https://h/a?page=2>; rel="next""#,
            r#"<https://h/a?page=1>; rel="prev", <https://h/a?page=3>; rel="next""#,
            r#"<https://h/a;rel=next?x=1,2>; rel="last next""#,
            "<https://h/a>;REL=Next",
        ] {
            assert!(link_has_next(yes.as_bytes()), "{yes}");
        }
        for no in [
            r#"<https://h/a?rel=next>; rel="last""#,
            r#"<https://h/a;rel="next">; rel="prev""#,
            r#"<https://h/a>; rel="nextish""#,
            "rel=next",
            "<unterminated; rel=next",
            "",
        ] {
            assert!(!link_has_next(no.as_bytes()), "{no}");
        }
        assert!(!link_has_next(b"\xff<a>; rel=next"));
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
}
