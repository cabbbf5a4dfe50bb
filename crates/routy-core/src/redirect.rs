//! Redirect policy, owned by the core so every transport gets the same
//! rules: only GET and HEAD follow, at most N hops, never from https to
//! http, and the `Authorization` header is dropped for good at the first
//! change of origin (scheme, host, port).

use http::uri::{Parts, PathAndQuery, Scheme};
use http::{Method, StatusCode, Uri};

use crate::error::RedirectError;

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
/// [`RedirectError::InvalidLocation`] when it is not an http(s) URL or a
/// reference that resolves to one; [`RedirectError::Downgrade`] when it
/// would leave https for http.
pub(crate) fn resolve(current: &Uri, location: &str) -> Result<Uri, RedirectError> {
    let location = location.trim();
    let invalid = || RedirectError::InvalidLocation;
    if location.is_empty() || location.contains('\\') || location.chars().any(char::is_control) {
        return Err(invalid());
    }
    // Fragments are for the client's eyes; they are never sent.
    let location = location.split('#').next().unwrap_or_default();
    let target: Uri = if location.starts_with("//") {
        let scheme = current.scheme_str().ok_or_else(invalid)?;
        format!("{scheme}:{location}")
            .parse()
            .map_err(|_| invalid())?
    } else if has_scheme(location) {
        location.parse().map_err(|_| invalid())?
    } else {
        let path_and_query = if location.starts_with('/') {
            location.to_owned()
        } else {
            // A relative reference replaces the last path segment.
            let base = current.path();
            let dir = &base[..base.rfind('/').map_or(0, |i| i + 1)];
            format!("{dir}{location}")
        };
        let mut parts = Parts::default();
        parts.scheme = current.scheme().cloned();
        parts.authority = current.authority().cloned();
        parts.path_and_query = Some(PathAndQuery::try_from(path_and_query).map_err(|_| invalid())?);
        Uri::from_parts(parts).map_err(|_| invalid())?
    };
    let scheme = target.scheme().ok_or_else(invalid)?;
    if *scheme != Scheme::HTTP && *scheme != Scheme::HTTPS {
        return Err(invalid());
    }
    let authority = target.authority().ok_or_else(invalid)?;
    if authority.as_str().contains('@') || authority.host().is_empty() {
        return Err(invalid());
    }
    if current.scheme() == Some(&Scheme::HTTPS) && *scheme == Scheme::HTTP {
        return Err(RedirectError::Downgrade);
    }
    Ok(target)
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

    #[test]
    fn refuses_downgrades_and_junk() {
        let current = uri("https://a.example/api");
        assert!(matches!(
            resolve(&current, "http://a.example/api"),
            Err(RedirectError::Downgrade)
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
                matches!(resolve(&current, junk), Err(RedirectError::InvalidLocation)),
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
