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
//!   optional and kept as sent, byte for byte ([`Account::raw_json`]);
//!   `name` (a string) is read by [`Account::name`], any member by
//!   [`Account::get`].
//!
//! Nothing is rejected for having members routy does not know. Keeping each
//! account's JSON text rather than a tree of values keeps memory near the
//! size of the body: a list decodes to little more than its own bytes.
//!
//! # Paging: refused, never guessed
//!
//! Routy documents no paging for lists, so routy neither guesses how to
//! follow a page nor quietly returns the first one as if it were all.
//! When a list response signals that there is more, the call fails with
//! [`Error::IncompleteList`](crate::Error::IncompleteList), which says
//! what signalled it. The signals:
//!
//! - a `Link` header with `rel="next"`;
//! - an envelope member saying where the next page is — `next`,
//!   `nextLink`, `@odata.nextLink`, `next_page`, `nextPage`, `next_url`,
//!   `next_cursor`, `nextCursor`, `nextPageToken`, `next_page_token` —
//!   that is not `null`, `false` or empty;
//! - `has_more`, `hasMore` or `more` set to `true`;
//! - a `total`, `totalCount`, `total_count`, `count_total` or
//!   `@odata.count` above the number of accounts in the response;
//! - any of those one level down, in a `links`, `_links`, `paging`,
//!   `pagination` or `meta` object.
//!
//! If Routy documents paging one day, following it becomes a feature;
//! until then [`Client::raw`](crate::Client::raw) gives the whole
//! response to a caller who knows better.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use serde_json::value::RawValue;

/// What [`Client::accounts`](crate::Client::accounts) expects, as its decode
/// error says it.
pub(crate) const ACCOUNTS_SHAPE: &str =
    "a json array of accounts (objects with an `id`), or an object holding one under `items`, `data`, `value` or `accounts`";

/// Envelope members that may hold the account array.
const ENVELOPE_KEYS: [&str; 4] = ["items", "data", "value", "accounts"];

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
        let known: Known<'_> = match serde_json::from_str(text) {
            Ok(known) => known,
            // Cold path: parse again, tracking where, to name the member.
            Err(_) => {
                let mut de = serde_json::Deserializer::from_str(raw.get());
                let err = match serde_path_to_error::deserialize::<_, Known<'_>>(&mut de) {
                    Err(err) => err,
                    Ok(_) => return Err(de::Error::custom("account could not be read")),
                };
                let member = err.path().to_string();
                let message = err.into_inner().to_string();
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

/// The accounts list body: an array, or an envelope holding one, and
/// what the envelope said about more pages.
pub(crate) struct AccountList(pub(crate) Vec<Account>, pub(crate) Paging);

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

/// A list response that signalled more than it held: routy returns no
/// partial list (see [the module](self) for the signals).
///
/// # Examples
///
/// ```
/// use routy::{http, ApiKey, Error};
///
/// let client = routy::ClientBuilder::new()
///     .api_key(ApiKey::new("test-token")?)
///     .build_with(routy::transport_fn(|_req| {
///         Ok(http::Response::new(
///             br#"{"data": [{"id": 1}], "nextLink": "https://platform.routy.app/api/v1/accounts?page=2"}"#.to_vec(),
///         ))
///     }))?;
/// let Err(Error::IncompleteList(err)) = client.accounts() else { panic!("refused") };
/// assert_eq!(err.signal(), "nextLink");
/// assert_eq!(err.received(), 1);
/// assert_eq!(
///     err.to_string(),
///     "the list is incomplete: the response holds 1 account and the `nextLink` member \
///      says there are more (routy does not follow undocumented paging)"
/// );
/// # Ok::<(), routy::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct IncompleteList {
    signal: &'static str,
    received: usize,
    site: Option<crate::site::Site>,
}

impl IncompleteList {
    pub(crate) fn new(signal: &'static str, received: usize, site: crate::site::Site) -> Self {
        IncompleteList {
            signal,
            received,
            site: Some(site),
        }
    }

    /// What said there is more: the envelope member's name (`nextLink`,
    /// `total`…), or `Link` for the header.
    pub fn signal(&self) -> &'static str {
        self.signal
    }

    /// How many accounts the response held.
    pub fn received(&self) -> usize {
        self.received
    }

    pub(crate) fn site(&self) -> Option<&crate::site::Site> {
        self.site.as_ref()
    }
}

impl fmt::Display for IncompleteList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the list is incomplete: the response holds {} account{} and ",
            self.received,
            if self.received == 1 { "" } else { "s" },
        )?;
        if self.signal == LINK_SIGNAL {
            f.write_str("its `Link: rel=\"next\"` header")?;
        } else {
            write!(f, "the `{}` member", self.signal)?;
        }
        f.write_str(" says there are more (routy does not follow undocumented paging)")
    }
}

impl std::error::Error for IncompleteList {}

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
                Ok(AccountList(accounts, Paging::default()))
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<AccountList, A::Error> {
                let mut found = None;
                let mut signals = Vec::new();
                while let Some(key) = map.next_key::<Cow<'de, str>>()? {
                    if found.is_none() && ENVELOPE_KEYS.contains(&key.as_ref()) {
                        found = Some(map.next_value::<Vec<Account>>()?);
                    } else if let Some(name) = signal_name(&key, false) {
                        signals.push((name, map.next_value()?));
                    } else {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
                found
                    .map(|accounts| AccountList(accounts, Paging::read(&signals, false)))
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
            let AccountList(list, paging) = serde_json::from_str(body).unwrap();
            assert_eq!(paging.signal(list.len()), None, "{body}");
            assert_eq!(
                list.iter().map(|a| a.id.clone()).collect::<Vec<_>>(),
                [AccountId::Number(1), AccountId::String("two".into())],
                "{body}"
            );
        }
    }

    #[test]
    fn paging_signals_are_seen_and_their_absence_too() {
        let signal = |body: &str| {
            let AccountList(list, paging) = serde_json::from_str(body).unwrap();
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
