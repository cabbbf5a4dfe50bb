//! A list of accounts over one copy of its body: each account is a range
//! of the body's text, found in the one pass that checks the JSON.
//!
//! Measured 2026-12-04 on a 50 MB list of 304,764 accounts read through
//! `client.accounts()` (`examples/bench_memory.rs`): with each account
//! owning a copy of its text the process peaked at 2.51 times the body;
//! sharing the body, at 1.21.

use std::cell::RefCell;
use std::sync::{Arc, OnceLock};

use serde::de::{self, DeserializeSeed, Deserializer};
use serde::Deserialize;
use serde_json::value::RawValue;

use super::members::{read_members, within};
use super::{Account, AccountEnvelope};
use crate::response::decode::Failure;
use crate::response::paging::{indexed_seed, ListBody};

/// A name kept beside the text: the start of its account, and the name.
type KeptName = (u32, Box<str>);

/// The body a list of accounts came in, which they all point into.
#[derive(Debug)]
pub(super) struct Shared {
    pub(super) text: String,
    /// Names not at a slot (escaped, or far in), decoded, by the start of
    /// their account, in order.
    names: OnceLock<Box<[KeptName]>>,
}

impl Shared {
    pub(super) fn new(text: String, names: Vec<KeptName>) -> Shared {
        let shared = Shared {
            text,
            names: OnceLock::new(),
        };
        shared.keep_names(names);
        shared
    }

    /// Keeps `names`, in the order of their accounts (once: the accounts
    /// are all read by then).
    fn keep_names(&self, names: Vec<KeptName>) {
        if !names.is_empty() {
            let _ = self.names.set(names.into_boxed_slice());
        }
    }

    /// The name kept for the account starting at `start`.
    pub(super) fn name_at(&self, start: u32) -> Option<&str> {
        let names = self.names.get()?;
        let found = names.binary_search_by_key(&start, |(at, _)| *at).ok()?;
        Some(&names[found].1)
    }
}

/// Decodes a list body of accounts, bare or in an envelope, the accounts
/// sharing `text`; a failure hands `text` back for the error's snippet.
pub(super) fn decode(text: String) -> Result<ListBody<Account, AccountEnvelope>, Failure> {
    let body = Arc::new(Shared::new(text, Vec::new()));
    let names = RefCell::new(Vec::new());
    let seed = AccountSeed {
        body: &body,
        names: &names,
    };
    match indexed_seed(&body.text, seed) {
        Ok(list) => {
            body.keep_names(names.into_inner());
            Ok(list)
        }
        Err((error, path)) => {
            // The accounts read so far are gone with the error.
            let text =
                Arc::try_unwrap(body).map_or_else(|body| body.text.clone(), |body| body.text);
            Err(Failure { error, path, text })
        }
    }
}

/// Reads one account of a list whose text is `body`'s.
#[derive(Clone, Copy)]
struct AccountSeed<'s> {
    body: &'s Arc<Shared>,
    names: &'s RefCell<Vec<KeptName>>,
}

impl<'de> DeserializeSeed<'de> for AccountSeed<'_> {
    type Value = Account;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Account, D::Error> {
        let raw = <&RawValue>::deserialize(deserializer)?;
        let text = raw.get();
        if !text.starts_with('{') {
            return Err(de::Error::invalid_type(
                de::Unexpected::Other("a non-object"),
                &"an account object",
            ));
        }
        let place = within(&self.body.text, text).and_then(|range| {
            Some((
                u32::try_from(range.start).ok()?,
                u32::try_from(range.len()).ok()?,
            ))
        });
        let Some((start, len)) = place else {
            return Err(de::Error::custom("an account list of over 4 GiB"));
        };
        let mut members = read_members(text).map_err(de::Error::custom)?;
        if let Some(name) = members.name_elsewhere.take() {
            self.names.borrow_mut().push((start, name));
        }
        Ok(Account::new(Arc::clone(self.body), start, len, &members))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::endpoint::accounts::AccountId;

    fn accounts(body: &str) -> Vec<Account> {
        match decode(body.to_owned()) {
            Ok(ListBody(accounts, _, _)) => accounts,
            Err(f) => panic!("{body}: {} at {}", f.error, f.path),
        }
    }

    #[test]
    fn the_accounts_of_a_list_are_ranges_of_its_one_body() {
        let body = r#"{"data": [{"id": 1, "name": "A"}, {"name": "B", "x": [1], "id": "b"}]}"#;
        let list = accounts(body);
        assert!(Arc::ptr_eq(&list[0].body, &list[1].body), "one body");
        assert_eq!(list[0].body.text, body, "the body itself, not a copy");
        assert_eq!(list[1].raw_json(), r#"{"name": "B", "x": [1], "id": "b"}"#);
        let at = body.find(r#"{"name""#).unwrap();
        assert_eq!(list[1].raw_json().as_ptr(), body_ptr(&list[0], at));
        assert_eq!(list[0].id(), AccountId::Number(1));
        assert_eq!(list[1].id(), AccountId::String("b".into()));
        assert_eq!((list[0].name(), list[1].name()), (Some("A"), Some("B")));
        // Alive after the list is gone: each holds the body.
        let second = list.into_iter().nth(1).unwrap();
        assert_eq!(second.name(), Some("B"));
    }

    fn body_ptr(account: &Account, at: usize) -> *const u8 {
        account.body.text[at..].as_ptr()
    }

    #[test]
    fn escaped_and_far_members_are_read_all_the_same() {
        let far = "x".repeat(70_000);
        let body = format!(
            r#"[{{"id": 1, "name": "M\u00fcller"}},
               {{"pad": "{far}", "name": "Far", "id": "far"}},
               {{"pad": {{"deep": "{far}"}}, "id": -3, "name": "Tab\tbed"}},
               {{"id": "e\"scaped", "name": "Plain"}},
               {{"id": 5}},
               {{"pad": "{far}", "id": 7, "name": "Once", "id": 8}}]"#
        );
        let list = accounts(&body);
        let read: Vec<(AccountId, Option<&str>)> =
            list.iter().map(|a| (a.id(), a.name())).collect();
        assert_eq!(
            read,
            [
                (AccountId::Number(1), Some("Müller")),
                (AccountId::String("far".into()), Some("Far")),
                (AccountId::Number(-3), Some("Tab\tbed")),
                (AccountId::String("e\"scaped".into()), Some("Plain")),
                (AccountId::Number(5), None),
                // Read again far in, the id is the one decoding read.
                (AccountId::Number(7), Some("Once")),
            ]
        );
        assert!(list[1].raw_json().ends_with(r#""id": "far"}"#));
    }

    #[test]
    fn a_failure_names_the_account_and_hands_the_body_back() {
        let body = r#"{"items": [{"id": 1}, {"id": true}]}"#;
        let Err(failure) = decode(body.to_owned()) else {
            panic!("decoded");
        };
        assert_eq!(failure.path, "items[1]");
        assert!(
            failure.error.to_string().contains("member `id`"),
            "{}",
            failure.error
        );
        assert_eq!(failure.text, body);
        for (bad, path) in [
            (r#"[{"id": 1}, 2]"#, "[1]"),
            (r#"[{"name": "no id"}]"#, "[0]"),
            (r#"[{"id": 1}"#, "[1]"),
        ] {
            let Err(failure) = decode(bad.to_owned()) else {
                panic!("{bad} decoded");
            };
            assert_eq!(failure.path, path, "{bad}: {}", failure.error);
        }
    }
}
