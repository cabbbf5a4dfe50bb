//! The request journal: every API request the sandbox received, in order,
//! for a test to assert on. The key is never kept: an `Authorization`
//! header is recorded as its scheme and the key's fingerprint.

use std::time::SystemTime;

use serde::Serialize;

/// The most requests the journal keeps; older ones are dropped first (a
/// long-running `routy sandbox` must not grow without bound).
pub const JOURNAL_CAPACITY: usize = 10_000;

/// The most body bytes kept per journal entry.
pub const JOURNAL_BODY_BYTES: usize = 64 * 1024;

/// One request the sandbox received, and what it answered.
///
/// # Examples
///
/// ```
/// use routy_sandbox::{NewToken, Sandbox};
///
/// let sandbox = Sandbox::start()?;
/// let token = sandbox.issue_token(NewToken::named("journal doc"))?;
/// # let _ = token;
/// assert!(sandbox.journal().is_empty());
/// # Ok::<(), routy_sandbox::SandboxError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Received {
    /// Its place in the journal, from 1.
    pub seq: u64,
    /// When it arrived, by the sandbox's clock.
    #[serde(with = "crate::clock::rfc3339")]
    pub at: SystemTime,
    /// The method.
    pub method: String,
    /// The path as sent, `/api` included.
    pub path: String,
    /// The query string, if any, as sent.
    pub query: Option<String>,
    /// The headers in the order sent, names in lower case; an
    /// `Authorization` value is `ApiKey …abcd` (the fingerprint), never
    /// the key.
    pub headers: Vec<(String, String)>,
    /// The body as text (bytes that are not UTF-8 replaced), at most
    /// [`JOURNAL_BODY_BYTES`].
    pub body: String,
    /// The id of the token that authenticated it, if one did.
    pub token_id: Option<String>,
    /// The status it was answered with (before any connection fault).
    pub status: u16,
    /// The fault applied to it, if any, by its JSON `kind`.
    pub fault: Option<String>,
}

impl Received {
    /// The first value of header `name` (any case).
    ///
    /// # Examples
    ///
    /// See [`Sandbox::journal`](crate::Sandbox::journal).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// What an `Authorization` value is recorded as: the scheme and routy's
/// fingerprint of the key (`…` and its last four characters for keys of
/// 16 characters or more, `…` alone otherwise).
pub(crate) fn authorization_label(value: &[u8]) -> String {
    let text = String::from_utf8_lossy(value);
    let (scheme, key) = text.trim().split_once(' ').unwrap_or(("", text.trim()));
    let key = key.trim();
    let fingerprint = if key.len() >= 16 && key.is_char_boundary(key.len() - 4) {
        format!("…{}", &key[key.len() - 4..])
    } else {
        "…".to_owned()
    };
    if scheme.is_empty() {
        fingerprint
    } else {
        format!("{scheme} {fingerprint}")
    }
}

/// The journal itself: a bounded queue.
#[derive(Debug, Default)]
pub(crate) struct Journal {
    entries: std::collections::VecDeque<Received>,
    seq: u64,
}

impl Journal {
    pub(crate) fn push(&mut self, mut entry: Received) {
        self.seq += 1;
        entry.seq = self.seq;
        if self.entries.len() == JOURNAL_CAPACITY {
            self.entries.pop_front();
        }
        self.entries.push_back(entry);
    }

    pub(crate) fn entries(&self) -> Vec<Received> {
        self.entries.iter().cloned().collect()
    }

    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    pub(crate) fn clear(&mut self) {
        self.entries.clear();
    }
}
