//! The base URL: parsed and checked once (scheme, host, no credentials,
//! plain http only to loopback), then every request's path is joined onto
//! it without leaving it.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

use http::uri::{Authority, PathAndQuery, Scheme};
use http::Uri;

use crate::config::ConfigError;
use crate::defaults::DEFAULT_BASE_URL;
use crate::request::RequestError;

/// The environment variable [`Client::from_env`](crate::Client::from_env) reads an optional base URL
/// from.
pub const BASE_URL_ENV: &str = "ROUTY_BASE_URL";

/// A checked base URL: `http` or `https`, a host, an optional port and path,
/// no credentials, query or fragment. Parsed once; requests join their path
/// onto it.
///
/// # Examples
///
/// ```
/// use routy::BaseUrl;
///
/// let base = BaseUrl::parse("https://platform.routy.app/api/")?;
/// assert_eq!(base.join("/v1/accounts")?, "https://platform.routy.app/api/v1/accounts");
/// assert!(BaseUrl::parse("http://example.com/api").is_err()); // plain http off loopback
/// assert!(BaseUrl::parse("http://127.0.0.1:8080/api").is_ok());
/// # Ok::<(), routy::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct BaseUrl {
    scheme: Scheme,
    authority: Authority,
    /// The path without its trailing slash ("" for the root).
    path: String,
}

impl BaseUrl {
    /// Parses and checks `url`, refusing plain `http://` unless the host is
    /// loopback (`localhost`, `127.0.0.0/8`, `[::1]`).
    ///
    /// # Errors
    ///
    /// [`ConfigError::InvalidBaseUrl`] or [`ConfigError::InsecureHttp`].
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(routy::BaseUrl::parse("https://user:pw@example.com/api").is_err());
    /// ```
    pub fn parse(url: &str) -> Result<Self, ConfigError> {
        Self::parse_with(url, false)
    }

    /// Parses and checks `url`; with `allow_insecure_http`, plain `http://`
    /// to any host is accepted.
    ///
    /// # Errors
    ///
    /// As [`BaseUrl::parse`].
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(routy::BaseUrl::parse_with("http://gateway.internal/api", true).is_ok());
    /// ```
    pub fn parse_with(url: &str, allow_insecure_http: bool) -> Result<Self, ConfigError> {
        let invalid = |reason| ConfigError::InvalidBaseUrl { reason };
        let url = url.trim();
        if url.contains('#') {
            return Err(invalid("it must not have a fragment"));
        }
        // http::Uri accepts non-ASCII in a path; on the wire it must be ASCII.
        if !url.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(invalid(
                "it must be printable ascii: percent-encode a path, write a host in punycode",
            ));
        }
        let uri: Uri = url
            .parse()
            .map_err(|_| invalid("it is not a valid absolute url"))?;
        let scheme = uri
            .scheme()
            .cloned()
            .ok_or(invalid("it needs a scheme, https:// or http://"))?;
        let authority = uri.authority().cloned().ok_or(invalid("it needs a host"))?;
        if authority.as_str().contains('@') {
            return Err(invalid("it must not contain credentials"));
        }
        if uri.query().is_some() {
            return Err(invalid("it must not have a query"));
        }
        let host = authority.host();
        if host.is_empty() {
            return Err(invalid("it needs a host"));
        }
        // With credentials refused, the authority is the host and an
        // optional `:port`.
        let port = authority.as_str().get(host.len()..).unwrap_or_default();
        let port_ok = port.is_empty()
            || port.strip_prefix(':').is_some_and(|p| {
                !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) && p.parse::<u16>().is_ok()
            });
        if !port_ok {
            return Err(invalid("its port is not a number from 0 to 65535"));
        }
        if scheme == Scheme::HTTP {
            if !allow_insecure_http && !is_loopback_host(host) {
                return Err(ConfigError::InsecureHttp {
                    host: host.to_owned(),
                });
            }
        } else if scheme != Scheme::HTTPS {
            return Err(invalid("its scheme must be https or http"));
        }
        let path = uri.path().trim_end_matches('/').to_owned();
        Ok(BaseUrl {
            scheme,
            authority,
            path,
        })
    }

    /// The URL of `path_and_query` under this base: `/v1/accounts` under
    /// `https://h/api` is `https://h/api/v1/accounts`, with or without a
    /// trailing slash on the base.
    ///
    /// # Errors
    ///
    /// [`RequestError::InvalidPath`] when the path does not start with `/`,
    /// has a fragment, a `.` or `..` segment (plain or percent-encoded), a
    /// backslash, or characters not allowed in a URL, non-ASCII ones
    /// included (percent-encode them: `é` is `%C3%A9`). The result
    /// therefore always stays under the base.
    ///
    /// # Examples
    ///
    /// ```
    /// let base = routy::BaseUrl::parse("https://platform.routy.app/api")?;
    /// assert_eq!(base.join("/v1/accounts?page=2")?.query(), Some("page=2"));
    /// assert!(base.join("/v1/../../admin").is_err());
    /// assert!(base.join("/v1/accounts/Grüße").is_err());
    /// assert!(base.join("/v1/accounts/Gr%C3%BC%C3%9Fe").is_ok());
    /// # Ok::<(), routy::Error>(())
    /// ```
    pub fn join(&self, path_and_query: &str) -> Result<Uri, RequestError> {
        let invalid = |reason| RequestError::InvalidPath { reason };
        if !path_and_query.starts_with('/') {
            return Err(invalid("it must start with '/'"));
        }
        if path_and_query.contains('#') {
            return Err(invalid("it must not have a fragment"));
        }
        if path_and_query.contains('\\') {
            return Err(invalid("it must not contain a backslash"));
        }
        // http::Uri accepts these, but a request target is ASCII on the wire.
        if !path_and_query.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(invalid(
                "it must be printable ascii: percent-encode other characters (é as %C3%A9, a space as %20)",
            ));
        }
        let path = path_and_query
            .split_once('?')
            .map_or(path_and_query, |(p, _)| p);
        if path.split('/').any(is_dot_segment) {
            return Err(invalid("it must not have '.' or '..' segments"));
        }
        let mut joined = String::with_capacity(self.path.len() + path_and_query.len());
        joined.push_str(&self.path);
        joined.push_str(path_and_query);
        let path_and_query = PathAndQuery::from_maybe_shared(joined)
            .map_err(|_| invalid("it has characters not allowed in a url"))?;
        let mut parts = http::uri::Parts::default();
        parts.scheme = Some(self.scheme.clone());
        parts.authority = Some(self.authority.clone());
        parts.path_and_query = Some(path_and_query);
        Uri::from_parts(parts).map_err(|_| invalid("it does not form a valid url"))
    }

    /// The host, without port.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(routy::BaseUrl::parse("https://platform.routy.app/api")?.host(), "platform.routy.app");
    /// # Ok::<(), routy::Error>(())
    /// ```
    pub fn host(&self) -> &str {
        self.authority.host()
    }

    /// The port: the URL's own, else the scheme's (443 for https, 80 for
    /// http).
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(routy::BaseUrl::parse("https://platform.routy.app/api")?.port(), 443);
    /// assert_eq!(routy::BaseUrl::parse("http://127.0.0.1:8080/api")?.port(), 8080);
    /// # Ok::<(), routy::Error>(())
    /// ```
    pub fn port(&self) -> u16 {
        self.authority
            .port_u16()
            .unwrap_or(if self.is_https() { 443 } else { 80 })
    }

    /// [`DEFAULT_BASE_URL`], parsed.
    pub(crate) fn default_url() -> BaseUrl {
        // A constant https URL with a host and a path: it always parses
        // (`Config::default`'s doctest runs this).
        BaseUrl::parse(DEFAULT_BASE_URL).expect("DEFAULT_BASE_URL is a valid base url")
    }

    /// The path, without its trailing slash (`""` for the root).
    #[cfg_attr(not(feature = "tracing"), allow(dead_code))]
    pub(crate) fn path(&self) -> &str {
        &self.path
    }

    /// Why a 404 for `path_and_query` may be the caller's mistake, when
    /// it looks like one: the path repeats the base URL's own path, or the
    /// base URL of Routy's own host lacks the `/api` its API lives under.
    pub(crate) fn not_found_hint(&self, path_and_query: &str) -> Option<&'static str> {
        let repeats = !self.path.is_empty()
            && path_and_query
                .strip_prefix(self.path.as_str())
                .is_some_and(|rest| rest.is_empty() || rest.starts_with(['/', '?']));
        if repeats {
            return Some(
                "the path repeats the base url's own path: leave that part out of the path",
            );
        }
        let routy_host = DEFAULT_BASE_URL
            .strip_prefix("https://")
            .and_then(|rest| rest.split('/').next());
        if routy_host == Some(self.host()) && !self.path.starts_with("/api") {
            return Some("routy's api lives under /api: check the base url");
        }
        None
    }

    /// Whether requests go out over TLS.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(routy::BaseUrl::parse("https://platform.routy.app/api")?.is_https());
    /// # Ok::<(), routy::Error>(())
    /// ```
    pub fn is_https(&self) -> bool {
        self.scheme == Scheme::HTTPS
    }
}

impl fmt::Display for BaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://{}{}", self.scheme, self.authority, self.path)
    }
}

impl fmt::Debug for BaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BaseUrl({self})")
    }
}

impl std::str::FromStr for BaseUrl {
    type Err = ConfigError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        BaseUrl::parse(s)
    }
}

fn is_dot_segment(segment: &str) -> bool {
    let lower = segment.to_ascii_lowercase();
    let decoded = lower.replace("%2e", ".");
    decoded == "." || decoded == ".."
}

/// Whether `host` (as `http::Uri::host` gives it, IPv6 in brackets) names
/// this machine in a way nothing outside it can change: an IP literal in
/// `127.0.0.0/8` or `::1`, or the name `localhost`, which transports must
/// resolve to loopback without asking DNS (RFC 6761 section 6.3). Not
/// `localhost.`: resolvers send a trailing-dot name to DNS, which could
/// answer with any address and receive the key in clear text.
///
/// Plain http is allowed to these hosts only; a transport uses the same
/// test to never send them through a proxy.
///
/// # Examples
///
/// ```
/// use routy::is_loopback_host;
///
/// assert!(is_loopback_host("127.0.0.1") && is_loopback_host("[::1]") && is_loopback_host("localhost"));
/// assert!(!is_loopback_host("localhost.") && !is_loopback_host("10.0.0.1"));
/// ```
pub fn is_loopback_host(host: &str) -> bool {
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    if let Ok(ip) = host.parse::<Ipv4Addr>() {
        return ip.is_loopback();
    }
    host.strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .and_then(|h| h.parse::<Ipv6Addr>().ok())
        .is_some_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_with_or_without_trailing_slash() {
        for base in [
            "https://platform.routy.app/api",
            "https://platform.routy.app/api/",
            "https://platform.routy.app/api//",
        ] {
            let url = BaseUrl::parse(base).unwrap().join("/v1/accounts").unwrap();
            assert_eq!(url, "https://platform.routy.app/api/v1/accounts", "{base}");
        }
        let root = BaseUrl::parse("https://h.example").unwrap();
        assert_eq!(
            root.join("/v1/accounts").unwrap(),
            "https://h.example/v1/accounts"
        );
    }

    #[test]
    fn refuses_bad_base_urls() {
        for bad in [
            "",
            "platform.routy.app/api",
            "/api",
            "ftp://platform.routy.app/api",
            "https://user:pw@platform.routy.app/api",
            "https://user@platform.routy.app/api",
            "https://platform.routy.app/api?x=1",
            "https://platform.routy.app/api#top",
            "https://platform.routy.app:99999/api",
            "https://platform.routy.app:abc/api",
            "https:// /api",
            "https://platform.routy.app/äpi",
            "https://plätform.routy.app/api",
        ] {
            assert!(
                matches!(BaseUrl::parse(bad), Err(ConfigError::InvalidBaseUrl { .. })),
                "{bad:?} was accepted"
            );
        }
    }

    #[test]
    fn plain_http_only_for_loopback() {
        for ok in [
            "http://localhost/api",
            "http://LOCALHOST:8080/api",
            "http://127.0.0.1:1/api",
            "http://127.255.0.9/api",
            "http://[::1]:8080/api",
        ] {
            assert!(BaseUrl::parse(ok).is_ok(), "{ok}");
        }
        for refused in [
            "http://localhost.evil.com/api",
            "http://localhost./api",
            "http://LOCALHOST.:8080/api",
            "http://api.localhost/api",
            "http://127.1/api",
            "http://2130706433/api",
            "http://0.0.0.0/api",
            "http://128.0.0.1/api",
            "http://10.0.0.1/api",
            "http://[::]/api",
            "http://[::ffff:127.0.0.1]/api",
            "http://platform.routy.app/api",
            "http://127.0.0.1.nip.io/api",
        ] {
            assert!(
                matches!(
                    BaseUrl::parse(refused),
                    Err(ConfigError::InsecureHttp { .. })
                ),
                "{refused} was accepted"
            );
            assert!(BaseUrl::parse_with(refused, true).is_ok(), "{refused}");
        }
    }

    #[test]
    fn joined_paths_stay_under_the_base() {
        let base = BaseUrl::parse("https://h.example/api").unwrap();
        for bad in [
            "v1/accounts",
            "//evil.example/x",
            "/v1/../../x",
            "/..",
            "/./x",
            "/%2e%2e/x",
            "/%2E./x",
            "/v1/x#frag",
            "/v1\\..\\x",
            "/v1/a b",
            "/v1/\r\nHost: evil",
        ] {
            let joined = base.join(bad);
            match &joined {
                Err(err) => assert!(matches!(err, RequestError::InvalidPath { .. }), "{err:?}"),
                Ok(uri) => {
                    assert_eq!(uri.host(), Some("h.example"), "{bad:?} -> {uri}");
                    assert!(uri.path().starts_with("/api/"), "{bad:?} -> {uri}");
                }
            }
            if bad.contains("..")
                || bad.contains("%2")
                || bad.contains('#')
                || !bad.starts_with('/')
            {
                assert!(joined.is_err(), "{bad:?} -> {joined:?}");
            }
        }
        // Dots inside a segment, and a query, are fine.
        let uri = base.join("/v1/a..b/.well?x=../y").unwrap();
        assert_eq!(uri, "https://h.example/api/v1/a..b/.well?x=../y");
    }

    #[test]
    fn a_path_is_ascii_and_says_how_to_be() {
        let base = BaseUrl::parse("https://h.example/api").unwrap();
        // http::Uri lets these through, but a request target is ASCII on
        // the wire (RFC 9112): sent raw, servers drop or garble them.
        for bad in ["/v1/accounts/Grüße", "/v1/x?name=é", "/v1/\u{7f}"] {
            match base.join(bad) {
                Err(RequestError::InvalidPath { reason }) => {
                    assert!(reason.contains("percent-encode"), "{reason}")
                }
                other => panic!("{bad:?} -> {other:?}"),
            }
        }
        let uri = base.join("/v1/accounts/Gr%C3%BC%C3%9Fe").unwrap();
        assert_eq!(uri.path(), "/api/v1/accounts/Gr%C3%BC%C3%9Fe");
    }
}
