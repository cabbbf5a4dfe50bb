//! Where a call went: its method and URL as shown in errors and log lines,
//! with anything that could be a secret taken out.

use std::fmt;

use http::{Method, Uri};

use crate::shown::redact::Redactor;
use crate::shown::text::kept;

/// Longest URL shown in an error.
const URL_MAX: usize = 300;

/// Query parameter names (lowercased, percent-decoded) whose value is never
/// shown: a name holding any of these words may carry a credential.
const SECRET_NAME_PARTS: [&str; 12] = [
    "key",
    "token",
    "secret",
    "pass",
    "pwd",
    "auth",
    "sig",
    "credential",
    "session",
    "code",
    "jwt",
    "bearer",
];

/// What a query value that may be a secret is shown as.
pub(crate) const HIDDEN: &str = "[hidden]";

/// A call's method and URL, ready to show: query values whose names could
/// hold a secret are hidden, any spelling of the API key is redacted and
/// the text is bounded.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct CallSite {
    method: Method,
    url: Box<str>,
}

impl CallSite {
    pub(crate) fn new(method: &Method, uri: &Uri, redactor: Redactor<'_>) -> Self {
        CallSite {
            method: method.clone(),
            url: kept(&shown_url(uri), URL_MAX, redactor).into(),
        }
    }

    pub(crate) fn method(&self) -> &Method {
        &self.method
    }

    pub(crate) fn url(&self) -> &str {
        &self.url
    }
}

impl fmt::Display for CallSite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.method, self.url)
    }
}

impl fmt::Debug for CallSite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// `uri` with the value of every query parameter whose name could hold a
/// secret replaced by [`HIDDEN`].
pub(crate) fn shown_url(uri: &Uri) -> String {
    let mut shown = uri.to_string();
    let Some(at) = shown.find('?') else {
        return shown;
    };
    let query = shown.split_off(at + 1);
    for (i, pair) in query.split('&').enumerate() {
        if i > 0 {
            shown.push('&');
        }
        match pair.split_once('=') {
            Some((name, _)) if may_be_secret(name) => {
                shown.push_str(name);
                shown.push('=');
                shown.push_str(HIDDEN);
            }
            _ => shown.push_str(pair),
        }
    }
    shown
}

/// Whether a parameter `name` holds one of [`SECRET_NAME_PARTS`], in any
/// case (a percent-encoded name is read as written: `api%5Fkey` still
/// holds `key`).
fn may_be_secret(name: &str) -> bool {
    let name = name.as_bytes();
    SECRET_NAME_PARTS.iter().any(|part| {
        name.windows(part.len())
            .any(|window| window.eq_ignore_ascii_case(part.as_bytes()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(uri: &str) -> String {
        shown_url(&uri.parse().unwrap())
    }

    #[test]
    fn secret_looking_query_values_are_hidden_and_others_kept() {
        assert_eq!(
            shown("https://h/api/v1/accounts?page=2&api_key=abc&X-Amz-Signature=f00&limit=5"),
            "https://h/api/v1/accounts?page=2&api_key=[hidden]&X-Amz-Signature=[hidden]&limit=5"
        );
        assert_eq!(
            shown("https://h/a?access%5Ftoken=abc&flag"),
            "https://h/a?access%5Ftoken=[hidden]&flag"
        );
        assert_eq!(shown("https://h/a"), "https://h/a");
    }

    #[test]
    fn the_key_is_redacted_wherever_it_sits_and_the_url_is_bounded() {
        let key = b"OaBw1+4DqFfDLXOLpWthbfp502Wc0D4tICsxNcT";
        let uri: Uri = "https://h/v1/keys/OaBw1+4DqFfDLXOLpWthbfp502Wc0D4tICsxNcT?q=1"
            .parse()
            .unwrap();
        let site = CallSite::new(&Method::GET, &uri, Redactor::new(key));
        assert!(!site.to_string().contains("OaBw1+4D"), "{site}");
        assert!(site.to_string().starts_with("GET https://h/v1/keys/"));
        let long: Uri = format!("https://h/{}", "a".repeat(5000)).parse().unwrap();
        assert!(
            CallSite::new(&Method::GET, &long, Redactor::NONE)
                .url()
                .len()
                <= URL_MAX + 3
        );
    }
}
