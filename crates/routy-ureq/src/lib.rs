//! A blocking [`Transport`] for [routy](https://docs.rs/routy) over a
//! [ureq](https://docs.rs/ureq) 3 [`Agent`](ureq::Agent).
//!
//! The agent keeps connections alive and reuses them, reads proxy settings
//! from the environment (`HTTPS_PROXY`, `ALL_PROXY`, `NO_PROXY` …), speaks
//! TLS with rustls and the Mozilla root store, and decompresses gzip.
//! Whatever agent you give it, every request is sent with:
//!
//! - 4xx and 5xx handed back as responses (the core maps them to errors);
//! - no redirects followed (the core owns that policy);
//! - the request's [`RequestLimits`]: an overall deadline (ureq's
//!   `timeout_global`, which unlike its per-read timeouts a slow-dripping
//!   server cannot keep restarting) and a body cap counted on *decompressed*
//!   bytes, so a small gzip bomb cannot expand past it.
//!
//! # Loopback is never proxied
//!
//! A request to a loopback host (an address in `127.0.0.0/8`, `[::1]`, or
//! the name `localhost`) goes straight to it, whatever `HTTPS_PROXY`,
//! `ALL_PROXY` or `NO_PROXY` say: plain http is allowed there only because
//! the bytes never leave the machine, and a proxy would receive the
//! `Authorization` header in clear text (Go's `ProxyFromEnvironment` rule).
//! [`UreqTransport::new`] also resolves `localhost` to `127.0.0.1` and `::1`
//! itself, without asking DNS (RFC 6761 section 6.3), and takes an IP
//! address as its own answer (ureq's resolver would spawn a thread per
//! request to look one up under a timeout); an agent passed to
//! [`UreqTransport::with_agent`] keeps its own resolver.
//!
//! Its agent's deadline is routy's default ([`DEFAULT_TIMEOUT`]), so a
//! request that needs nothing else runs on the agent's config as it is;
//! one with another deadline (or to loopback while a proxy is configured)
//! gets a per-request config.
//!
//! [`DEFAULT_TIMEOUT`]: routy_core::defaults::DEFAULT_TIMEOUT
//!
//! # Logging caveat
//!
//! At `TRACE` level ureq logs the raw bytes it writes, `Authorization`
//! header included, and at `DEBUG` every response's headers as the server
//! sent them (an echo of the key among them, from a hostile server). If
//! your program installs a `log` backend, cap ureq's level at `INFO` (for
//! example `RUST_LOG=ureq=info,ureq_proto=info` with env_logger).
//!
//! ```no_run
//! // `routy::Client` is the client over this transport.
//! let client = routy::Client::builder()
//!     .api_key(routy::ApiKey::from_env()?)
//!     .build()?;
//! println!("{} accounts", client.accounts()?.len());
//! # Ok::<(), routy::Error>(())
//! ```

// On docs.rs, label each feature-gated item with its feature.
#![cfg_attr(docsrs, feature(doc_cfg))]
// Libraries report through return values, never the terminal.
#![deny(clippy::print_stdout, clippy::print_stderr)]

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;

use routy_core::http::Uri;
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::NextTimeout;

use routy_core::config::{CaRoots, CaSource};
use routy_core::http::{Request, Response};
use routy_core::transport::read_body;
use routy_core::{RequestLimits, Transport, TransportError, TransportErrorKind};
use ureq::tls::{Certificate, RootCerts, TlsConfig};

/// A [`Transport`] over a ureq [`Agent`](ureq::Agent). Cheap to clone;
/// clones share the connection pool.
///
/// # Examples
///
/// ```
/// use routy::UreqTransport;
///
/// // The default agent: keep-alive, proxy from the environment, rustls.
/// let transport = UreqTransport::new();
///
/// // Or an agent of your own; routy still applies its per-request rules.
/// let agent = ureq::Agent::new_with_config(
///     ureq::Agent::config_builder().max_idle_connections_per_host(8).build(),
/// );
/// let transport = UreqTransport::with_agent(agent);
/// # let _ = transport;
/// ```
#[derive(Debug, Clone)]
pub struct UreqTransport {
    agent: ureq::Agent,
    /// What the agent's own config already does for every request.
    preset: Preset,
}

/// The settings of an agent's config that routy needs per request. A
/// request that needs nothing else is run as is; any other goes through
/// ureq's per-request config (a copy of the agent's whole config).
#[derive(Debug, Clone, Copy)]
struct Preset {
    /// Status codes come back as responses and redirects are not followed.
    routy_ready: bool,
    /// The deadline of a whole exchange.
    timeout: Option<std::time::Duration>,
    /// A proxy is configured (from the environment, say).
    proxied: bool,
}

impl Preset {
    fn of(agent: &ureq::Agent) -> Self {
        let config = agent.config();
        Preset {
            routy_ready: !config.http_status_as_error()
                && config.max_redirects() == 0
                && !config.max_redirects_will_error(),
            timeout: config.timeouts().global,
            proxied: config.proxy().is_some(),
        }
    }

    /// Whether a request with `limits` to a loopback host or not can run
    /// on the agent's config as it is.
    fn fits(&self, limits: &RequestLimits, loopback: bool) -> bool {
        self.routy_ready && self.timeout == limits.timeout && !(loopback && self.proxied)
    }
}

impl UreqTransport {
    /// A transport over an agent with ureq's defaults (which read proxy
    /// settings from the environment), no `User-Agent` of its own (the
    /// client sends routy's), and `localhost` resolved without DNS.
    pub fn new() -> Self {
        Self::over_roots(RootCerts::WebPki)
    }

    /// A builder, for a transport that trusts other certificates than the
    /// bundled Mozilla roots (a TLS-inspecting proxy's CA, a private CA).
    pub fn builder() -> UreqTransportBuilder {
        UreqTransportBuilder::default()
    }

    /// The transport of [`new`](Self::new), trusting `roots`.
    fn over_roots(roots: RootCerts) -> Self {
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .max_redirects_will_error(false)
            // The client's default: most requests then need no config of
            // their own.
            .timeout_global(Some(routy_core::defaults::DEFAULT_TIMEOUT))
            .tls_config(TlsConfig::builder().root_certs(roots).build())
            .build();
        let connector = ureq::unversioned::transport::DefaultConnector::new();
        Self::with_agent(ureq::Agent::with_parts(
            config,
            connector,
            LocalhostResolver::default(),
        ))
    }

    /// A transport over `agent`. Status-as-error, redirects and timeouts are
    /// overridden per request as the module docs describe; everything else
    /// (TLS, proxy, pool sizes) is the agent's.
    pub fn with_agent(agent: ureq::Agent) -> Self {
        UreqTransport {
            preset: Preset::of(&agent),
            agent,
        }
    }

    /// The agent.
    ///
    /// # Examples
    ///
    /// ```
    /// let transport = routy::UreqTransport::new();
    /// assert_eq!(transport.agent().config().max_redirects(), 0);
    /// ```
    pub fn agent(&self) -> &ureq::Agent {
        &self.agent
    }
}

/// Builds a [`UreqTransport`] that trusts other roots than the bundled
/// Mozilla ones; everything else is as [`UreqTransport::new`] has it.
///
/// # Examples
///
/// ```no_run
/// // Behind a proxy that inspects TLS with the company's own CA:
/// let transport = routy::UreqTransport::builder()
///     .ca_file("/etc/ssl/certs/corp-root-ca.pem")
///     .build()?;
/// let client = routy::ClientBuilder::new()
///     .api_key(routy::ApiKey::from_env()?)
///     .build_with(transport)?;
/// # let _ = client;
/// # Ok::<(), routy::Error>(())
/// ```
#[derive(Debug, Default)]
pub struct UreqTransportBuilder {
    roots: Roots,
}

/// Where the trusted roots come from.
#[derive(Debug, Default)]
enum Roots {
    #[default]
    Bundled,
    Specific(CaSource),
    #[cfg(feature = "platform-verifier")]
    Platform,
}

impl UreqTransportBuilder {
    /// Trusts the CA certificates in the PEM file at `path` (one or more
    /// `BEGIN CERTIFICATE` blocks) instead of the bundled roots, as curl's
    /// `--cacert` does. For a proxy's CA on top of the public roots, give a
    /// file holding both (a system bundle with the CA appended).
    pub fn ca_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.roots = Roots::Specific(CaSource::File(path.into()));
        self
    }

    /// As [`ca_file`](Self::ca_file), from PEM text in memory.
    ///
    /// # Examples
    ///
    /// ```
    /// let err = routy::UreqTransport::builder().ca_pem(b"not pem".to_vec()).build().unwrap_err();
    /// assert!(err.to_string().contains("invalid client configuration"));
    /// ```
    pub fn ca_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.roots = Roots::Specific(CaSource::Pem(pem.into()));
        self
    }

    /// Trusts what the operating system trusts (its certificate store and
    /// policies), through ureq's platform verifier: the choice for machines
    /// whose administrators install a proxy's CA system-wide.
    ///
    /// # Examples
    ///
    /// ```
    /// let transport = routy::UreqTransport::builder().platform_roots().build()?;
    /// # let _ = transport;
    /// # Ok::<(), routy::Error>(())
    /// ```
    #[cfg(feature = "platform-verifier")]
    pub fn platform_roots(mut self) -> Self {
        self.roots = Roots::Platform;
        self
    }

    /// The transport.
    ///
    /// # Errors
    ///
    /// [`ConfigError::CaCertificates`](routy_core::ConfigError::CaCertificates) (as a `routy::Error`) when the CA
    /// file cannot be read or holds no valid certificate.
    pub fn build(self) -> Result<UreqTransport, routy_core::Error> {
        let roots = match self.roots {
            Roots::Bundled => RootCerts::WebPki,
            Roots::Specific(source) => {
                let roots = CaRoots::load(source)?;
                let certs = roots
                    .der()
                    .map(|der| Certificate::from_der(der).to_owned())
                    .collect();
                RootCerts::Specific(Arc::new(certs))
            }
            #[cfg(feature = "platform-verifier")]
            Roots::Platform => RootCerts::PlatformVerifier,
        };
        Ok(UreqTransport::over_roots(roots))
    }
}

impl Default for UreqTransport {
    fn default() -> Self {
        Self::new()
    }
}

impl Transport for UreqTransport {
    fn send(&self, request: Request<Vec<u8>>) -> Result<Response<Vec<u8>>, TransportError> {
        let limits = RequestLimits::of(&request);
        let loopback = request
            .uri()
            .host()
            .is_some_and(routy_core::is_loopback_host);
        let response = if self.preset.fits(&limits, loopback) {
            self.agent.run(request)
        } else {
            let mut config = self.agent.configure_request(request);
            if loopback {
                config = config.proxy(None);
            }
            let request = config
                .http_status_as_error(false)
                .max_redirects(0)
                .max_redirects_will_error(false)
                // The field is public: cut what a caller may have set by
                // hand, as the core does, so ureq's `Instant + timeout`
                // cannot overflow.
                .timeout_global(
                    limits
                        .timeout
                        .map(|t| t.min(routy_core::defaults::MAX_DURATION)),
                )
                .build();
            self.agent.run(request)
        }
        .map_err(map_error)?;
        let (parts, body) = response.into_parts();

        // `into_reader` yields decompressed bytes: the cap counts those.
        let announced = body.content_length();
        let bytes = read_body(&limits, body.into_reader(), announced, map_io_error)?;
        Ok(Response::from_parts(parts, bytes))
    }
}

/// Resolves `localhost` to the loopback addresses itself (RFC 6761 section
/// 6.3), so that the name plain http trusts cannot be pointed elsewhere by
/// DNS, and an IP address to itself; every other name goes to ureq's own
/// resolver.
#[derive(Debug, Default)]
struct LocalhostResolver {
    system: DefaultResolver,
}

impl Resolver for LocalhostResolver {
    fn resolve(
        &self,
        uri: &Uri,
        config: &ureq::config::Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let port = uri.port_u16().unwrap_or(match uri.scheme_str() {
            Some("https") => 443,
            _ => 80,
        });
        let host = uri.host().unwrap_or_default();
        let mut addrs = self.empty();
        if host.eq_ignore_ascii_case("localhost") {
            addrs.push(SocketAddr::from((Ipv4Addr::LOCALHOST, port)));
            addrs.push(SocketAddr::from((Ipv6Addr::LOCALHOST, port)));
            return Ok(addrs);
        }
        // An address is its own answer. ureq's resolver would spawn a
        // thread per request to look it up under a timeout.
        let literal = host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(host);
        if let Ok(ip) = literal.parse::<IpAddr>() {
            addrs.push(SocketAddr::from((ip, port)));
            return Ok(addrs);
        }
        // A failed lookup comes back as an uncategorised `Io` error
        // ("failed to lookup address information"): it is a failure to
        // connect, before anything was sent.
        self.system
            .resolve(uri, config, timeout)
            .map_err(|err| match err {
                ureq::Error::Io(_) => ureq::Error::HostNotFound,
                other => other,
            })
    }
}

/// Errors while reading the body arrive as `io::Error`s that may wrap a
/// `ureq::Error`; unwrap those to classify them the same way.
fn map_io_error(err: io::Error) -> TransportError {
    map_error(ureq::Error::from(err))
}

/// Every `ureq::Error` a request can end in, mapped on purpose. `Connect`
/// means nothing was sent (the client may retry any method), so only
/// failures before the request left are mapped to it.
///
/// | ureq | kind |
/// |---|---|
/// | `HostNotFound` (and a failed lookup, see [`LocalhostResolver`]), `ConnectionFailed`, `ConnectProxyFailed`, `InvalidProxyUrl` | `Connect` |
/// | `Io(e)` | as [`TransportError::from_io`]: `UnexpectedEof` (ureq's "Peer disconnected", a response cut short) is `Io` |
/// | `Timeout(_)` | `Timeout` |
/// | `Tls`, `TlsRequired`, `Pem`, `Rustls`, and an `Io(e)` around a `rustls::Error` (a refused certificate) | `Tls` |
/// | `Protocol`, `LargeResponseHeader`, `Decompress`, `BodyStalled` | `Protocol` |
/// | `BodyExceedsLimit` | `BodyTooLarge` |
/// | `StatusCode`, `RedirectFailed`, `TooManyRedirects` (turned off here), `Http`, `BadUri`, `RequireHttpsOnly`, `Other`, and any variant a later ureq adds | `Other` |
fn map_error(err: ureq::Error) -> TransportError {
    use ureq::Error as E;
    use TransportErrorKind as K;
    if let E::Io(io) = err {
        // rustls reports a refused certificate or a failed handshake from
        // inside the TLS stream, as an `io::Error` around its own error.
        if io
            .get_ref()
            .is_some_and(|inner| inner.is::<rustls::Error>())
        {
            return TransportError::with_source(K::Tls, io);
        }
        // A connection the peer dropped mid-exchange is `UnexpectedEof`
        // ("Peer disconnected"), which `from_io` makes `Io`: retried for
        // idempotent requests (ureq-proto reports a malformed response
        // as `Protocol`).
        return TransportError::from_io(io);
    }
    let kind = match &err {
        E::HostNotFound | E::ConnectionFailed | E::ConnectProxyFailed(_) | E::InvalidProxyUrl => {
            K::Connect
        }
        E::Timeout(_) => K::Timeout,
        E::Tls(_) | E::TlsRequired | E::Pem(_) | E::Rustls(_) => K::Tls,
        E::Protocol(_) | E::LargeResponseHeader(..) | E::Decompress(..) | E::BodyStalled => {
            K::Protocol
        }
        E::BodyExceedsLimit(_) => K::BodyTooLarge,
        E::StatusCode(_)
        | E::RedirectFailed
        | E::TooManyRedirects
        | E::Http(_)
        | E::BadUri(_)
        | E::RequireHttpsOnly(_)
        | E::Other(_) => K::Other,
        _ => K::Other,
    };
    TransportError::with_source(kind, err)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn only_requests_the_agent_already_serves_skip_the_per_request_config() {
        let default = Preset::of(UreqTransport::new().agent());
        let thirty = RequestLimits::new(1 << 20, Some(routy_core::defaults::DEFAULT_TIMEOUT));
        let five = RequestLimits::new(1 << 20, Some(Duration::from_secs(5)));
        assert_eq!(default.timeout, Some(routy_core::defaults::DEFAULT_TIMEOUT));
        assert!(default.fits(&thirty, false));
        assert!(!default.fits(&five, false), "another deadline");
        let proxied = Preset {
            proxied: true,
            ..default
        };
        assert!(proxied.fits(&thirty, false));
        assert!(
            !proxied.fits(&thirty, true),
            "loopback must bypass the proxy"
        );
        let plain = Preset::of(&ureq::Agent::new_with_defaults());
        assert!(!plain.routy_ready, "status as error, redirects followed");
        assert!(!plain.fits(&thirty, false));
    }

    #[test]
    fn addresses_and_localhost_are_answered_without_a_lookup() {
        let resolver = LocalhostResolver::default();
        let config = ureq::config::Config::default();
        let resolve = |uri: &str| {
            let uri: Uri = uri.parse().unwrap();
            resolver
                .resolve(&uri, &config, NextTimeout::default())
                .map(|addrs| addrs.iter().map(ToString::to_string).collect::<Vec<_>>())
        };
        assert_eq!(
            resolve("http://127.0.0.1:8080/x").unwrap(),
            ["127.0.0.1:8080"]
        );
        assert_eq!(resolve("https://[::1]/x").unwrap(), ["[::1]:443"]);
        assert_eq!(resolve("http://10.1.2.3/x").unwrap(), ["10.1.2.3:80"]);
        assert_eq!(
            resolve("http://LocalHost:9/x").unwrap(),
            ["127.0.0.1:9", "[::1]:9"]
        );
    }

    /// One row of the table per case: what ureq says, what routy makes of it.
    #[test]
    fn every_ureq_error_is_mapped_on_purpose() {
        use std::io::ErrorKind as Io;
        use ureq::Error as E;
        use TransportErrorKind as K;
        let io = |kind| E::Io(io::Error::from(kind));
        let rows: Vec<(ureq::Error, TransportErrorKind)> = vec![
            (E::HostNotFound, K::Connect),
            (E::ConnectionFailed, K::Connect),
            (E::ConnectProxyFailed("407".into()), K::Connect),
            (E::InvalidProxyUrl, K::Connect),
            (io(Io::ConnectionRefused), K::Connect),
            (io(Io::AddrNotAvailable), K::Connect),
            (io(Io::NetworkUnreachable), K::Connect),
            (io(Io::HostUnreachable), K::Connect),
            (io(Io::TimedOut), K::Timeout),
            (io(Io::WouldBlock), K::Timeout),
            (io(Io::UnexpectedEof), K::Io),
            (io(Io::InvalidData), K::Protocol),
            (io(Io::ConnectionReset), K::Io),
            (io(Io::BrokenPipe), K::Io),
            (E::Timeout(ureq::Timeout::Global), K::Timeout),
            (E::Tls("bad certificate"), K::Tls),
            (
                E::Io(io::Error::new(
                    Io::InvalidData,
                    rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer),
                )),
                K::Tls,
            ),
            (E::TlsRequired, K::Tls),
            (
                E::Protocol(ureq_proto::Error::BadHeader("x".into())),
                K::Protocol,
            ),
            (E::LargeResponseHeader(1, 2), K::Protocol),
            (
                E::Decompress("gzip", io::Error::from(Io::InvalidData)),
                K::Protocol,
            ),
            (E::BodyStalled, K::Protocol),
            (E::BodyExceedsLimit(10), K::BodyTooLarge),
            (E::StatusCode(500), K::Other),
            (E::RedirectFailed, K::Other),
            (E::TooManyRedirects, K::Other),
            (E::BadUri("x".into()), K::Other),
            (E::RequireHttpsOnly("http://x".into()), K::Other),
            (E::Other("custom".into()), K::Other),
        ];
        for (err, kind) in rows {
            let shown = err.to_string();
            assert_eq!(map_error(err).kind(), kind, "{shown}");
        }
    }
}
