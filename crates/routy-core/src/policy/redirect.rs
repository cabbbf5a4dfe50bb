//! Redirect policy, owned by the core so every transport gets the same
//! rules: only GET and HEAD follow, at most N hops, never from https to
//! http, and the `Authorization` header is dropped for good at the first
//! change of origin (scheme, host, port).

use std::fmt;

use http::uri::Scheme;
use http::{Method, StatusCode, Uri};

/// Why a redirect was not followed: see [`RedirectError::kind`].
///
/// # Examples
///
/// ```
/// let kind = routy::RedirectErrorKind::TooMany { max: 5 };
/// assert_eq!(kind.to_string(), "more than 5 redirects");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RedirectErrorKind {
    /// The chain was longer than the configured maximum (or looped).
    #[error("more than {max} redirects")]
    TooMany {
        /// The maximum.
        max: u32,
    },
    /// The redirect went from https to plain http.
    #[error("redirect from https to http")]
    Downgrade,
    /// The `Location` is not an http(s) URL.
    #[error("redirect location is not a valid http(s) url")]
    InvalidLocation,
    /// The `Location` holds the api key (or 8 bytes of it, in any
    /// encoding): following it would send the key where the server chose,
    /// and every layer below would log it.
    #[error("redirect location holds the api key; not followed")]
    LocationHoldsKey,
}

/// A redirect was refused: why, and from where.
///
/// # Examples
///
/// ```
/// use routy::{http, ApiKey, Error, RedirectErrorKind};
///
/// let client = routy::ClientBuilder::new()
///     .api_key(ApiKey::new("test-token")?)
///     .build_with(routy::transport_fn(|_req| {
///         Ok(http::Response::builder()
///             .status(302)
///             .header("location", "http://platform.routy.app/api/v1/accounts")
///             .body(Vec::new())
///             .expect("static response is valid"))
///     }))?;
/// let Err(Error::Redirect(err)) = client.accounts() else { panic!("refused") };
/// assert_eq!(err.kind(), RedirectErrorKind::Downgrade);
/// assert_eq!(
///     err.to_string(),
///     "redirect refused: redirect from https to http"
/// );
/// # Ok::<(), routy::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedirectError {
    kind: RedirectErrorKind,
}

impl RedirectError {
    /// A refusal of `kind`, not tied to a call.
    ///
    /// # Examples
    ///
    /// ```
    /// let err = routy::RedirectError::new(routy::RedirectErrorKind::InvalidLocation);
    /// assert_eq!(err.kind(), routy::RedirectErrorKind::InvalidLocation);
    /// ```
    pub fn new(kind: RedirectErrorKind) -> Self {
        RedirectError { kind }
    }

    /// Why the redirect was refused.
    pub fn kind(&self) -> RedirectErrorKind {
        self.kind
    }
}

impl fmt::Display for RedirectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "redirect refused: {}", self.kind)
    }
}

impl std::error::Error for RedirectError {}

impl From<RedirectErrorKind> for RedirectError {
    fn from(kind: RedirectErrorKind) -> Self {
        RedirectError::new(kind)
    }
}

/// Whether `status` is a redirect the client may follow.
pub(crate) fn is_redirect(status: StatusCode) -> bool {
    matches!(status.as_u16(), 301 | 302 | 303 | 307 | 308)
}

/// Whether a `method` request follows redirects.
pub(crate) fn follows(method: &Method) -> bool {
    *method == Method::GET || *method == Method::HEAD
}

/// The target of `location` as seen from `current`.
///
/// # Errors
///
/// [`RedirectErrorKind::InvalidLocation`] when it is not an http(s) URL or a
/// reference that resolves to one; [`RedirectErrorKind::Downgrade`] when it
/// would leave https for http.
pub(crate) fn resolve(current: &Uri, location: &str) -> Result<Uri, RedirectErrorKind> {
    let location = location.trim();
    let invalid = || RedirectErrorKind::InvalidLocation;
    if location.is_empty() || location.contains('\\') || location.chars().any(char::is_control) {
        return Err(invalid());
    }
    let resolved = resolve_reference(&current.to_string(), location);
    // Fragments are for the client's eyes; they are never sent.
    let resolved = resolved.split('#').next().unwrap_or_default();
    let target: Uri = resolved.parse().map_err(|_| invalid())?;
    let scheme = target.scheme().ok_or_else(invalid)?;
    if *scheme != Scheme::HTTP && *scheme != Scheme::HTTPS {
        return Err(invalid());
    }
    let authority = target.authority().ok_or_else(invalid)?;
    if authority.as_str().contains('@') || authority.host().is_empty() {
        return Err(invalid());
    }
    if current.scheme() == Some(&Scheme::HTTPS) && *scheme == Scheme::HTTP {
        return Err(RedirectErrorKind::Downgrade);
    }
    Ok(target)
}

/// The five components of a URI reference (RFC 3986 appendix B), each
/// without its delimiter.
struct Components<'a> {
    scheme: Option<&'a str>,
    authority: Option<&'a str>,
    path: &'a str,
    query: Option<&'a str>,
    fragment: Option<&'a str>,
}

impl<'a> Components<'a> {
    fn split(reference: &'a str) -> Self {
        let (rest, fragment) = match reference.split_once('#') {
            Some((rest, fragment)) => (rest, Some(fragment)),
            None => (reference, None),
        };
        let (rest, query) = match rest.split_once('?') {
            Some((rest, query)) => (rest, Some(query)),
            None => (rest, None),
        };
        let (scheme, rest) = if has_scheme(rest) {
            let (scheme, rest) = rest.split_at(rest.find(':').unwrap_or(0));
            (Some(scheme), &rest[1..])
        } else {
            (None, rest)
        };
        let (authority, path) = match rest.strip_prefix("//") {
            Some(rest) => {
                let end = rest.find('/').unwrap_or(rest.len());
                (Some(&rest[..end]), &rest[end..])
            }
            None => (None, rest),
        };
        Components {
            scheme,
            authority,
            path,
            query,
            fragment,
        }
    }
}

/// Resolves `reference` against the absolute URI `base` as RFC 3986
/// section 5.2.2 does (strict: a reference with a scheme is absolute), with
/// dot segments removed per section 5.2.4.
fn resolve_reference(base: &str, reference: &str) -> String {
    let b = Components::split(base);
    let r = Components::split(reference);
    let (scheme, authority, path, query);
    if r.scheme.is_some() {
        scheme = r.scheme;
        authority = r.authority;
        path = remove_dot_segments(r.path);
        query = r.query;
    } else {
        scheme = b.scheme;
        if r.authority.is_some() {
            authority = r.authority;
            path = remove_dot_segments(r.path);
            query = r.query;
        } else {
            authority = b.authority;
            if r.path.is_empty() {
                path = b.path.to_owned();
                query = r.query.or(b.query);
            } else {
                path = if r.path.starts_with('/') {
                    remove_dot_segments(r.path)
                } else {
                    remove_dot_segments(&merge(&b, r.path))
                };
                query = r.query;
            }
        }
    }
    // Section 5.3: recomposition.
    let mut out = String::with_capacity(base.len() + reference.len());
    if let Some(scheme) = scheme {
        out.push_str(scheme);
        out.push(':');
    }
    if let Some(authority) = authority {
        out.push_str("//");
        out.push_str(authority);
    }
    out.push_str(&path);
    if let Some(query) = query {
        out.push('?');
        out.push_str(query);
    }
    if let Some(fragment) = r.fragment {
        out.push('#');
        out.push_str(fragment);
    }
    out
}

/// Section 5.2.3: a relative path replaces the base path's last segment.
fn merge(base: &Components<'_>, path: &str) -> String {
    if base.authority.is_some() && base.path.is_empty() {
        return format!("/{path}");
    }
    let dir = &base.path[..base.path.rfind('/').map_or(0, |i| i + 1)];
    format!("{dir}{path}")
}

/// Section 5.2.4: removes `.` and `..` segments from `input`.
fn remove_dot_segments(mut input: &str) -> String {
    let mut output = String::with_capacity(input.len());
    while !input.is_empty() {
        if let Some(rest) = input
            .strip_prefix("../")
            .or_else(|| input.strip_prefix("./"))
        {
            // A.
            input = rest;
        } else if input.starts_with("/./") || input == "/." {
            // B.
            input = if input == "/." { "/" } else { &input[2..] };
        } else if input.starts_with("/../") || input == "/.." {
            // C: and the last output segment goes.
            input = if input == "/.." { "/" } else { &input[3..] };
            output.truncate(output.rfind('/').unwrap_or(0));
        } else if input == "." || input == ".." {
            // D.
            input = "";
        } else {
            // E: the first segment, with its leading slash, moves across.
            let start = usize::from(input.starts_with('/'));
            let end = input[start..].find('/').map_or(input.len(), |i| i + start);
            output.push_str(&input[..end]);
            input = &input[end..];
        }
    }
    output
}

/// Whether `reference` starts with `scheme:` (RFC 3986 section 3.1), which
/// makes it absolute, `javascript:` and `mailto:` included.
fn has_scheme(reference: &str) -> bool {
    let Some(colon) = reference.find(':') else {
        return false;
    };
    let scheme = &reference[..colon];
    !scheme.contains(['/', '?', '#'])
        && scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

/// Scheme, host (case-insensitively) and port, with default ports filled in.
pub(crate) fn same_origin(a: &Uri, b: &Uri) -> bool {
    let port = |u: &Uri| {
        u.port_u16().or(match u.scheme_str() {
            Some("https") => Some(443),
            Some("http") => Some(80),
            _ => None,
        })
    };
    a.scheme() == b.scheme()
        && a.host().map(str::to_ascii_lowercase) == b.host().map(str::to_ascii_lowercase)
        && port(a) == port(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uri(s: &str) -> Uri {
        s.parse().unwrap()
    }

    #[test]
    fn resolves_every_reference_form() {
        let current = uri("https://a.example/api/v1/accounts?x=1");
        for (location, expected) in [
            ("https://b.example/x", "https://b.example/x"),
            ("//b.example/y", "https://b.example/y"),
            ("/api/v2/accounts", "https://a.example/api/v2/accounts"),
            (
                "accounts-moved?p=2",
                "https://a.example/api/v1/accounts-moved?p=2",
            ),
            ("/z#frag", "https://a.example/z"),
        ] {
            assert_eq!(resolve(&current, location).unwrap(), expected, "{location}");
        }
    }

    /// Every example of RFC 3986 section 5.4, normal and abnormal.
    #[test]
    fn rfc3986_examples() {
        let base = "http://a/b/c/d;p?q";
        let cases = [
            // 5.4.1 normal.
            ("g:h", "g:h"),
            ("g", "http://a/b/c/g"),
            ("./g", "http://a/b/c/g"),
            ("g/", "http://a/b/c/g/"),
            ("/g", "http://a/g"),
            ("//g", "http://g"),
            ("?y", "http://a/b/c/d;p?y"),
            ("g?y", "http://a/b/c/g?y"),
            ("#s", "http://a/b/c/d;p?q#s"),
            ("g#s", "http://a/b/c/g#s"),
            ("g?y#s", "http://a/b/c/g?y#s"),
            (";x", "http://a/b/c/;x"),
            ("g;x", "http://a/b/c/g;x"),
            ("g;x?y#s", "http://a/b/c/g;x?y#s"),
            ("", "http://a/b/c/d;p?q"),
            (".", "http://a/b/c/"),
            ("./", "http://a/b/c/"),
            ("..", "http://a/b/"),
            ("../", "http://a/b/"),
            ("../g", "http://a/b/g"),
            ("../..", "http://a/"),
            ("../../", "http://a/"),
            ("../../g", "http://a/g"),
            // 5.4.2 abnormal.
            ("../../../g", "http://a/g"),
            ("../../../../g", "http://a/g"),
            ("/./g", "http://a/g"),
            ("/../g", "http://a/g"),
            ("g.", "http://a/b/c/g."),
            (".g", "http://a/b/c/.g"),
            ("g..", "http://a/b/c/g.."),
            ("..g", "http://a/b/c/..g"),
            ("./../g", "http://a/b/g"),
            ("./g/.", "http://a/b/c/g/"),
            ("g/./h", "http://a/b/c/g/h"),
            ("g/../h", "http://a/b/c/h"),
            ("g;x=1/./y", "http://a/b/c/g;x=1/y"),
            ("g;x=1/../y", "http://a/b/c/y"),
            ("g?y/./x", "http://a/b/c/g?y/./x"),
            ("g?y/../x", "http://a/b/c/g?y/../x"),
            ("g#s/./x", "http://a/b/c/g#s/./x"),
            ("g#s/../x", "http://a/b/c/g#s/../x"),
            ("http:g", "http:g"),
        ];
        for (reference, expected) in cases {
            assert_eq!(
                resolve_reference(base, reference),
                expected,
                "{reference:?}"
            );
        }
        // Through the redirect resolver: fragments dropped, non-http and
        // authority-less results refused.
        let current = uri(base);
        for (reference, expected) in cases {
            let got = resolve(&current, reference);
            let sendable = expected.split('#').next().unwrap_or_default();
            if reference.is_empty() || reference == "g:h" || reference == "http:g" {
                assert!(got.is_err(), "{reference:?} -> {got:?}");
            } else if sendable == "http://g" {
                assert_eq!(got.unwrap(), "http://g/", "{reference:?}");
            } else {
                assert_eq!(got.unwrap(), sendable, "{reference:?}");
            }
        }
    }

    #[test]
    fn relative_redirects_from_an_api_path() {
        let current = uri("https://a.example/api/v1/accounts");
        for (location, expected) in [
            ("?page=2", "https://a.example/api/v1/accounts?page=2"),
            ("#top", "https://a.example/api/v1/accounts"),
            ("../v2/accounts", "https://a.example/api/v2/accounts"),
            ("./other", "https://a.example/api/v1/other"),
            ("../../../../x", "https://a.example/x"),
        ] {
            assert_eq!(resolve(&current, location).unwrap(), expected, "{location}");
        }
    }

    #[test]
    fn refuses_downgrades_and_junk() {
        let current = uri("https://a.example/api");
        assert!(matches!(
            resolve(&current, "http://a.example/api"),
            Err(RedirectErrorKind::Downgrade)
        ));
        for junk in [
            "",
            "ftp://a.example/x",
            "javascript:alert(1)",
            "mailto:x@y.z",
            "https:no-slashes",
            "https://user:pw@b.example/",
            "/a\r\nb",
            "\\\\evil",
        ] {
            assert!(
                matches!(
                    resolve(&current, junk),
                    Err(RedirectErrorKind::InvalidLocation)
                ),
                "{junk:?}"
            );
        }
        // http to https is an upgrade, and fine.
        assert!(resolve(&uri("http://127.0.0.1:1/api"), "https://a.example/").is_ok());
    }

    #[test]
    fn origins() {
        assert!(same_origin(
            &uri("https://A.example/x"),
            &uri("https://a.example:443/y")
        ));
        assert!(!same_origin(
            &uri("https://a.example/"),
            &uri("https://a.example:8443/")
        ));
        assert!(!same_origin(
            &uri("http://a.example/"),
            &uri("https://a.example/")
        ));
        assert!(!same_origin(
            &uri("http://127.0.0.1:1/"),
            &uri("http://127.0.0.2:1/")
        ));
    }
}
