//! [`IncompleteList`]: a list that said it has more than it holds.

use std::fmt;

use crate::response::paging::LINK_SIGNAL;

/// A list response that signalled more than it held: routy returns no
/// partial list.
///
/// Routy documents no paging for lists, so routy neither guesses how to
/// follow a page nor quietly returns the first one as if it were all.
/// When a list response signals that there is more, the call fails with
/// [`Error::IncompleteList`](crate::Error::IncompleteList), which says
/// what signalled it. The signals:
///
/// - a `Link` header with `rel="next"`;
/// - an envelope member saying where the next page is — `next`,
///   `nextLink`, `@odata.nextLink`, `next_page`, `nextPage`, `next_url`,
///   `next_cursor`, `nextCursor`, `nextPageToken`, `next_page_token` —
///   that is not `null`, `false` or empty;
/// - `has_more`, `hasMore` or `more` set to `true`;
/// - a `total`, `totalCount`, `total_count`, `count_total` or
///   `@odata.count` above the number of items in the response;
/// - any of those one level down, in a `links`, `_links`, `paging`,
///   `pagination` or `meta` object.
///
/// The same rules hold for the accounts list and for any list an endpoint
/// of your own reads with `Reply::list`.
/// If Routy documents paging one day, following it becomes a feature;
/// until then [`Client::execute_any_status`](crate::Client::execute_any_status) gives the whole
/// response to a caller who knows better.
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
    /// What one item is ("account").
    noun: &'static str,
}

impl IncompleteList {
    pub(crate) fn new(signal: &'static str, received: usize, noun: &'static str) -> Self {
        IncompleteList {
            signal,
            received,
            noun,
        }
    }

    /// What said there is more: the envelope member's name (`nextLink`,
    /// `total`…), or `Link` for the header.
    pub fn signal(&self) -> &'static str {
        self.signal
    }

    /// How many items (accounts) the response held.
    pub fn received(&self) -> usize {
        self.received
    }
}

impl fmt::Display for IncompleteList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the list is incomplete: the response holds {} {}{} and ",
            self.received,
            self.noun,
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
