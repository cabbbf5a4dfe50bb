//! A blocking [`Transport`] for [routy](https://docs.rs/routy) over a
//! [`reqwest::blocking::Client`]: for programs that already use reqwest,
//! so routy shares their HTTP stack, connection pool, TLS and proxy
//! settings instead of adding ureq.
//!
//! What reqwest brings: rustls with the webpki (Mozilla) roots, or the
//! roots you give [`ReqwestTransportBuilder`]; proxies from `HTTP_PROXY`,
//! `HTTPS_PROXY`, `ALL_PROXY` and `NO_PROXY` (or whatever your own client
//! was built with); gzip decoded; connections pooled and kept alive.
//!
//! What routy adds, for every request:
//!
//! - 4xx and 5xx are handed back as responses, and redirects are never
//!   followed (the core owns that policy). The clients this crate builds
//!   follow none; a client you bring must be built with
//!   `redirect(reqwest::redirect::Policy::none())`, and if it follows one
//!   anyway the response is refused as a protocol error, never handed
//!   back as the answer to the request routy sent;
//! - the request's [`RequestLimits`]: the deadline as reqwest's per-request
//!   `timeout`, and the body cap counted on *decoded* bytes (a gzip bomb
//!   stops at the cap; a `Content-Length` over it is refused before the
//!   body is read);
//! - a loopback host (`127.0.0.0/8`, `[::1]`, `localhost`) is never
//!   proxied, whatever the environment says, and `localhost` is answered
//!   without DNS: such requests go through a second, proxy-less client with
//!   the same roots (your own client's TLS settings do not apply to them).
//!
//! # Examples
//!
//! ```no_run
//! use routy::{ApiKey, ClientBuilder};
//! use routy_reqwest::ReqwestTransport;
//!
//! // The client the program already has, told not to follow redirects.
//! let http = reqwest::blocking::Client::builder()
//!     .redirect(reqwest::redirect::Policy::none())
//!     .build()
//!     .expect("a TLS backend");
//! let client = ClientBuilder::new()
//!     .api_key(ApiKey::from_env()?)
//!     .build_with(ReqwestTransport::with_client(http)?)?;
//! println!("{} accounts", client.accounts()?.len());
//! # Ok::<(), routy::Error>(())
//! ```

// On docs.rs, label each feature-gated item with its feature.
#![cfg_attr(docsrs, feature(doc_cfg))]
// Libraries report through return values, never the terminal.
#![deny(clippy::print_stdout, clippy::print_stderr)]

/// The reqwest this crate is built with, to build a client of the same
/// version for [`ReqwestTransport::with_client`].
pub use reqwest;

use std::error::Error as StdError;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::PathBuf;

use reqwest::blocking::Client as HttpClient;
use reqwest::redirect::Policy;
use reqwest::{Certificate, Url};
use routy_core::config::{CaRoots, CaSource};
use routy_core::defaults::MAX_DURATION;
use routy_core::http::{Request, Response};
use routy_core::transport::read_body;
use routy_core::{
    is_loopback_host, ConfigError, Error, RequestLimits, Transport, TransportError,
    TransportErrorKind,
};

/// A [`Transport`] over reqwest's blocking client: see [the crate](crate).
///
/// # Examples
///
/// ```
/// use routy::{ApiKey, ClientBuilder};
/// use routy_reqwest::ReqwestTransport;
///
/// let client = ClientBuilder::new()
///     .api_key(ApiKey::new("test-token")?)
///     .build_with(ReqwestTransport::new()?)?;
/// # let _ = client;
/// # Ok::<(), routy::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct ReqwestTransport {
    /// Where requests go.
    client: HttpClient,
    /// Where requests to loopback go: no proxy, `localhost` pinned.
    direct: HttpClient,
}

impl ReqwestTransport {
    /// A transport with reqwest's defaults (webpki roots, the proxy
    /// environment), following no redirects.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when reqwest cannot build its client (its TLS
    /// backend failed to initialise).
    ///
    /// # Examples
    ///
    /// See [`ReqwestTransport`].
    pub fn new() -> Result<Self, Error> {
        ReqwestTransport::builder().build()
    }

    /// A transport over `client`, the one the program already has. Build
    /// it with `redirect(reqwest::redirect::Policy::none())`: a redirect
    /// it follows anyway is refused (see [the crate](crate)).
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when the client for loopback requests cannot be
    /// built.
    ///
    /// # Examples
    ///
    /// See [the crate](crate).
    pub fn with_client(client: HttpClient) -> Result<Self, Error> {
        Ok(ReqwestTransport {
            client,
            direct: base(&[], true).build().map_err(config_error)?,
        })
    }

    /// A builder, for custom CA certificates.
    ///
    /// # Examples
    ///
    /// See [`ReqwestTransportBuilder::ca_pem`].
    pub fn builder() -> ReqwestTransportBuilder {
        ReqwestTransportBuilder { roots: None }
    }

    /// The client requests to non-loopback hosts go through.
    ///
    /// # Examples
    ///
    /// ```
    /// let transport = routy_reqwest::ReqwestTransport::new()?;
    /// let _shared: reqwest::blocking::Client = transport.client().clone();
    /// # Ok::<(), routy::Error>(())
    /// ```
    pub fn client(&self) -> &HttpClient {
        &self.client
    }
}

impl Transport for ReqwestTransport {
    fn send(&self, request: Request<Vec<u8>>) -> Result<Response<Vec<u8>>, TransportError> {
        let limits = RequestLimits::of(&request);
        let loopback = request.uri().host().is_some_and(is_loopback_host);
        let client = if loopback { &self.direct } else { &self.client };
        let (parts, body) = request.into_parts();
        let url = Url::parse(&parts.uri.to_string())
            .map_err(|e| TransportError::with_source(TransportErrorKind::Other, e))?;
        let mut builder = client
            .request(parts.method, url.clone())
            .headers(parts.headers)
            .body(body);
        if let Some(timeout) = limits.timeout {
            builder = builder.timeout(timeout.min(MAX_DURATION));
        }
        let mut response = builder.send().map_err(map_error)?;
        if *response.url() != url {
            return Err(TransportError::with_source(
                TransportErrorKind::Protocol,
                "the reqwest client followed a redirect: build it with \
                 redirect(reqwest::redirect::Policy::none()), routy follows them itself",
            ));
        }
        let announced = response.content_length();
        let mut out = Response::builder()
            .status(response.status())
            .version(response.version());
        if let Some(headers) = out.headers_mut() {
            *headers = std::mem::take(response.headers_mut());
        }
        let body = read_body(&limits, response, announced, map_read_error)?;
        out.body(body)
            .map_err(|e| TransportError::with_source(TransportErrorKind::Protocol, e))
    }
}

/// What kind of failure a reqwest error is. reqwest's own predicates come
/// first; a TLS failure is told apart from other connect failures by the
/// rustls error in its cause chain.
fn kind_of(err: &reqwest::Error) -> TransportErrorKind {
    if err.is_timeout() {
        TransportErrorKind::Timeout
    } else if chain(err).any(is_tls) {
        TransportErrorKind::Tls
    } else if err.is_connect() {
        TransportErrorKind::Connect
    } else if err.is_decode() {
        TransportErrorKind::Protocol
    } else if err.is_body() || err.is_request() {
        match chain(err).find_map(|e| e.downcast_ref::<std::io::Error>()) {
            Some(io) => TransportError::from_io(std::io::Error::from(io.kind())).kind(),
            // The connection ended before the answer did (hyper says so
            // itself, with no io::Error below): the exchange broke.
            None if chain(err).any(is_incomplete_message) => TransportErrorKind::Io,
            // hyper's own complaint about what the server sent.
            None => TransportErrorKind::Protocol,
        }
    } else {
        TransportErrorKind::Other
    }
}

fn map_error(err: reqwest::Error) -> TransportError {
    // The error's Display holds the URL; routy's own error shows the URL
    // with secret-looking query values hidden, so reqwest's copy goes.
    let kind = kind_of(&err);
    TransportError::with_source(kind, err.without_url())
}

/// A failure while reading the body: reqwest's error inside an
/// `io::Error`, or the `io::Error` itself.
fn map_read_error(err: std::io::Error) -> TransportError {
    if !err
        .get_ref()
        .is_some_and(|inner| inner.is::<reqwest::Error>())
    {
        return TransportError::from_io(err);
    }
    match err
        .into_inner()
        .map(|inner| inner.downcast::<reqwest::Error>())
    {
        Some(Ok(inner)) => map_error(*inner),
        _ => TransportError::new(TransportErrorKind::Io),
    }
}

/// `err` and its causes.
fn chain<'a>(
    err: &'a (dyn StdError + 'static),
) -> impl Iterator<Item = &'a (dyn StdError + 'static)> {
    let mut next = Some(err);
    std::iter::from_fn(move || {
        let current = next?;
        next = current.source();
        Some(current)
    })
}

/// Whether `err` is rustls refusing the peer, directly or wrapped in
/// `io::Error`s (hyper-util nests one in another, and an `io::Error`'s
/// `source()` skips the error it wraps).
fn is_tls(err: &(dyn StdError + 'static)) -> bool {
    let mut current: &(dyn StdError + 'static) = err;
    loop {
        if current.is::<rustls::Error>() {
            return true;
        }
        match current
            .downcast_ref::<std::io::Error>()
            .and_then(std::io::Error::get_ref)
        {
            Some(inner) => current = inner,
            None => return false,
        }
    }
}

/// Whether `err` is hyper saying the connection closed before the
/// message was complete (no answer, or part of one).
fn is_incomplete_message(err: &(dyn StdError + 'static)) -> bool {
    err.downcast_ref::<hyper::Error>()
        .is_some_and(hyper::Error::is_incomplete_message)
}

/// A client builder with routy's fixed settings: no redirects, no
/// client-wide deadline (each request carries its own), gzip; `direct`
/// adds no proxy and `localhost` pinned to loopback.
fn base(roots: &[Certificate], direct: bool) -> reqwest::blocking::ClientBuilder {
    let mut builder = HttpClient::builder()
        .redirect(Policy::none())
        .timeout(None)
        .gzip(true);
    if !roots.is_empty() {
        builder = builder.tls_built_in_root_certs(false);
        for root in roots {
            builder = builder.add_root_certificate(root.clone());
        }
    }
    if direct {
        builder = builder.no_proxy().resolve_to_addrs(
            "localhost",
            &[
                SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
                SocketAddr::from((Ipv6Addr::LOCALHOST, 0)),
            ],
        );
    }
    builder
}

fn config_error(err: reqwest::Error) -> Error {
    ConfigError::CaCertificates {
        what: format!("reqwest could not build its client: {err}").into(),
    }
    .into()
}

/// A [`ReqwestTransport`] with the CAs to trust: from
/// [`ReqwestTransport::builder`].
///
/// # Examples
///
/// See [`ca_pem`](Self::ca_pem).
#[derive(Debug, Clone)]
pub struct ReqwestTransportBuilder {
    roots: Option<CaSource>,
}

impl ReqwestTransportBuilder {
    /// Trusts the CA certificates in the PEM file at `path` instead of the
    /// webpki roots (curl's `--cacert`).
    ///
    /// # Examples
    ///
    /// ```
    /// let err = routy_reqwest::ReqwestTransport::builder().ca_file("/no/such.pem").build().unwrap_err();
    /// assert!(err.to_string().contains("/no/such.pem"), "{err}");
    /// ```
    pub fn ca_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.roots = Some(CaSource::File(path.into()));
        self
    }

    /// Trusts the CA certificates in `pem` instead of the webpki roots.
    ///
    /// # Examples
    ///
    /// ```
    /// let err = routy_reqwest::ReqwestTransport::builder().ca_pem(b"junk".to_vec()).build().unwrap_err();
    /// assert!(err.to_string().contains("PEM bytes"), "{err}");
    /// ```
    pub fn ca_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.roots = Some(CaSource::Pem(pem.into()));
        self
    }

    /// The transport.
    ///
    /// # Errors
    ///
    /// [`ConfigError::CaCertificates`] (as [`Error::Config`]) when the CA
    /// file cannot be read or holds no certificate, or reqwest cannot
    /// build its client.
    ///
    /// # Examples
    ///
    /// See [`ca_pem`](Self::ca_pem).
    pub fn build(self) -> Result<ReqwestTransport, Error> {
        let roots = match self.roots {
            None => Vec::new(),
            Some(source) => CaRoots::load(source)?
                .der()
                .map(Certificate::from_der)
                .collect::<Result<Vec<_>, _>>()
                .map_err(config_error)?,
        };
        Ok(ReqwestTransport {
            client: base(&roots, false).build().map_err(config_error)?,
            direct: base(&roots, true).build().map_err(config_error)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_ca_input_is_a_typed_error() {
        for builder in [
            ReqwestTransport::builder().ca_pem(b"junk".to_vec()),
            ReqwestTransport::builder().ca_file("/dev/zero"),
            ReqwestTransport::builder().ca_file("/"),
        ] {
            assert!(
                matches!(
                    builder.build(),
                    Err(Error::Config(ConfigError::CaCertificates { .. }))
                ),
                "refused"
            );
        }
    }
}
