//! A blocking [`Transport`] for [routy](https://docs.rs/routy) over the
//! system's libcurl, through the [curl](https://docs.rs/curl) crate: for
//! the smallest binaries, and for programs that should follow the
//! machine's own TLS library, CA store and proxy conventions.
//!
//! What libcurl brings:
//!
//! - **TLS** by the TLS library libcurl was built with (OpenSSL on Debian's
//!   `libcurl4-openssl-dev`), trusting the CA bundle that build points at
//!   (`/etc/ssl/certs/ca-certificates.crt` on Debian), or the CAs you give
//!   [`CurlTransportBuilder::ca_file`] / [`CurlTransportBuilder::ca_pem`];
//! - **proxies** from `http_proxy`, `HTTPS_PROXY`, `ALL_PROXY` and
//!   `NO_PROXY`, as the `curl` command reads them;
//! - **HTTP/2** over TLS where libcurl was built with nghttp2, and
//!   connections kept alive: each handle is reused from a small pool.
//!
//! What routy adds, for every request:
//!
//! - 4xx and 5xx are handed back as responses; redirects are never
//!   followed (the core owns that policy);
//! - the request's [`RequestLimits`]: the deadline as libcurl's whole-transfer
//!   timeout, and the body cap counted on *decompressed* bytes in the write
//!   callback (a gzip bomb stops at the cap; a `Content-Length` over it is
//!   refused before the body is read);
//! - a loopback host (`127.0.0.0/8`, `[::1]`, `localhost`) is never
//!   proxied, whatever the environment says; libcurl (7.78 and later)
//!   answers `localhost` itself, without DNS;
//! - libcurl never prints: no verbose output, no progress meter, and its
//!   debug callback (which would see the `Authorization` header) is
//!   replaced by one that drops everything.
//!
//! Building needs libcurl's development files (`libcurl4-openssl-dev` on
//! Debian and Ubuntu, `libcurl-devel` on Fedora) and `pkg-config`.
//!
//! # Examples
//!
//! ```no_run
//! use routy::{ApiKey, ClientBuilder};
//! use routy_curl::CurlTransport;
//!
//! let client = ClientBuilder::new()
//!     .api_key(ApiKey::from_env()?)
//!     .build_with(CurlTransport::new())?;
//! println!("{} accounts", client.accounts()?.len());
//! # Ok::<(), routy::Error>(())
//! ```

// On docs.rs, label each feature-gated item with its feature.
#![cfg_attr(docsrs, feature(doc_cfg))]
// Libraries report through return values, never the terminal.
#![deny(clippy::print_stdout, clippy::print_stderr)]

use std::fmt;
use std::path::PathBuf;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use curl::easy::{Easy2, Handler, InfoType, List, WriteError};
use routy_core::config::{CaRoots, CaSource};
use routy_core::defaults::MAX_DURATION;
use routy_core::http::header::{ACCEPT, CONTENT_TYPE};
use routy_core::http::{HeaderName, HeaderValue, Method, Request, Response, StatusCode};
use routy_core::{
    is_loopback_host, Error, RequestLimits, Transport, TransportError, TransportErrorKind,
};

/// Handles kept for reuse (each holds its live connections).
const POOL_MAX: usize = 8;

/// Most bytes of response head kept (libcurl's own limit is larger).
const HEAD_MAX: usize = 256 * 1024;

/// Most response headers parsed.
const HEADERS_MAX: usize = 256;

/// A [`Transport`] over libcurl: see [the crate](crate).
///
/// # Examples
///
/// ```
/// use routy::{ApiKey, ClientBuilder};
/// use routy_curl::CurlTransport;
///
/// let client = ClientBuilder::new()
///     .api_key(ApiKey::new("test-token")?)
///     .build_with(CurlTransport::new())?;
/// assert!(format!("{:?}", client.transport()).contains("libcurl"));
/// # Ok::<(), routy::Error>(())
/// ```
pub struct CurlTransport {
    roots: Option<CaSource>,
    pool: Mutex<Vec<Easy2<Collector>>>,
}

impl CurlTransport {
    /// A transport with libcurl's defaults: its CA bundle, the proxy
    /// environment.
    ///
    /// # Examples
    ///
    /// See [`CurlTransport`].
    pub fn new() -> Self {
        CurlTransport {
            roots: None,
            pool: Mutex::new(Vec::new()),
        }
    }

    /// A builder, for custom CA certificates.
    ///
    /// # Examples
    ///
    /// See [`CurlTransportBuilder::ca_pem`].
    pub fn builder() -> CurlTransportBuilder {
        CurlTransportBuilder { roots: None }
    }

    fn take_handle(&self) -> Easy2<Collector> {
        let reused = self
            .pool
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        reused.unwrap_or_else(|| Easy2::new(Collector::default()))
    }

    fn give_back(&self, handle: Easy2<Collector>) {
        let mut pool = self.pool.lock().unwrap_or_else(PoisonError::into_inner);
        if pool.len() < POOL_MAX {
            pool.push(handle);
        }
    }

    /// Sets every option the request needs on a freshly reset handle.
    fn configure(
        &self,
        easy: &mut Easy2<Collector>,
        request: &Request<Vec<u8>>,
        limits: RequestLimits,
    ) -> Result<(), curl::Error> {
        easy.reset();
        easy.get_mut().start(limits.max_body_bytes);
        easy.signal(false)?;
        easy.verbose(false)?;
        easy.progress(false)?;
        easy.follow_location(false)?;
        easy.url(&request.uri().to_string())?;
        // "": every encoding this libcurl decodes; the write callback sees
        // decoded bytes, so the cap is on what the caller gets.
        easy.accept_encoding("")?;
        // A Content-Length over the cap is refused before any body byte.
        easy.max_filesize(limits.max_body_bytes)?;
        // libcurl's 0 means no deadline; MAX_DURATION is what routy allows.
        easy.timeout(
            limits
                .timeout
                .map_or(Duration::ZERO, |t| t.min(MAX_DURATION)),
        )?;
        if request.uri().host().is_some_and(is_loopback_host) {
            // An empty proxy disables the environment's, for this request.
            easy.proxy("")?;
        }
        match &self.roots {
            None => {}
            Some(CaSource::File(path)) => easy.cainfo(path)?,
            Some(CaSource::Pem(pem)) => easy.ssl_cainfo_blob(pem)?,
        }
        set_method_and_body(easy, request)?;
        easy.http_headers(header_list(request)?)?;
        Ok(())
    }
}

impl Default for CurlTransport {
    fn default() -> Self {
        CurlTransport::new()
    }
}

impl fmt::Debug for CurlTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let roots = match &self.roots {
            None => "libcurl's default",
            Some(CaSource::File(_)) => "a CA file",
            Some(CaSource::Pem(_)) => "PEM bytes",
        };
        f.debug_struct("CurlTransport")
            .field("roots", &roots)
            .field("libcurl", &curl::Version::get().version())
            .finish_non_exhaustive()
    }
}

impl Transport for CurlTransport {
    fn send(&self, request: Request<Vec<u8>>) -> Result<Response<Vec<u8>>, TransportError> {
        let limits = RequestLimits::of(&request);
        let mut easy = self.take_handle();
        let result = self
            .configure(&mut easy, &request, limits)
            .and_then(|()| easy.perform())
            .or_else(|err| {
                // The header callback stopped a bodiless answer on purpose.
                if err.is_write_error() && easy.get_ref().head_done {
                    Ok(())
                } else {
                    Err(err)
                }
            })
            .map_err(|err| map_error(err, easy.get_ref().too_large))
            .and_then(|()| response(&mut easy));
        // The key is in the handle's header list until the next request
        // replaces it; a handle is only ever reused by this transport.
        self.give_back(easy);
        result
    }
}

/// The method and the body, the way libcurl wants each.
fn set_method_and_body(
    easy: &mut Easy2<Collector>,
    request: &Request<Vec<u8>>,
) -> Result<(), curl::Error> {
    let body = request.body();
    match *request.method() {
        Method::GET if body.is_empty() => easy.get(true),
        Method::HEAD if body.is_empty() => easy.nobody(true),
        Method::HEAD => {
            // A HEAD with a body (odd, but the request says so): sent as a
            // custom method so the body goes out; the header callback ends
            // the transfer at the end of the head, since no body follows.
            easy.get_mut().head_only = true;
            easy.custom_request("HEAD")?;
            easy.post_field_size(body.len() as u64)?;
            easy.post_fields_copy(body)
        }
        Method::POST => {
            easy.post(true)?;
            easy.post_field_size(body.len() as u64)?;
            easy.post_fields_copy(body)
        }
        ref other => {
            easy.custom_request(other.as_str())?;
            if body.is_empty() {
                Ok(())
            } else {
                easy.post_field_size(body.len() as u64)?;
                easy.post_fields_copy(body)
            }
        }
    }
}

/// The request's headers as libcurl's list, with libcurl's own defaults
/// it would add switched off (`Expect`, a form `Content-Type`, `Accept:
/// */*`): what goes out is what the request says.
fn header_list(request: &Request<Vec<u8>>) -> Result<List, curl::Error> {
    let mut list = List::new();
    for (name, value) in request.headers() {
        let mut line = Vec::with_capacity(name.as_str().len() + value.len() + 2);
        line.extend_from_slice(name.as_str().as_bytes());
        if value.is_empty() {
            // "Name;" is libcurl's way to send a header with no value.
            line.push(b';');
        } else {
            line.extend_from_slice(b": ");
            line.extend_from_slice(value.as_bytes());
        }
        list.append(&String::from_utf8_lossy(&line))?;
    }
    list.append("Expect:")?;
    if !request.headers().contains_key(CONTENT_TYPE) {
        list.append("Content-Type:")?;
    }
    if !request.headers().contains_key(ACCEPT) {
        list.append("Accept:")?;
    }
    Ok(list)
}

/// The response libcurl collected.
fn response(easy: &mut Easy2<Collector>) -> Result<Response<Vec<u8>>, TransportError> {
    let code = easy.response_code().map_err(|err| map_error(err, false))?;
    let status = u16::try_from(code)
        .ok()
        .and_then(|code| StatusCode::from_u16(code).ok())
        .ok_or_else(|| protocol(format!("status code {code} out of range")))?;
    let collector = easy.get_mut();
    let mut response = Response::new(std::mem::take(&mut collector.body));
    *response.status_mut() = status;
    let head = std::mem::take(&mut collector.head);
    // The status line is libcurl's to read (HTTP/2's has no reason phrase
    // for httparse to accept); the header lines are parsed as such.
    let lines = head
        .iter()
        .position(|b| *b == b'\n')
        .map_or(&head[..0], |end| &head[end + 1..]);
    let mut parsed = [httparse::EMPTY_HEADER; HEADERS_MAX];
    match httparse::parse_headers(lines, &mut parsed) {
        Ok(httparse::Status::Complete((_, headers))) => {
            let map = response.headers_mut();
            for header in headers {
                let name = HeaderName::from_bytes(header.name.as_bytes())
                    .map_err(|_| protocol("a response header name is invalid"))?;
                let value = HeaderValue::from_bytes(header.value)
                    .map_err(|_| protocol("a response header value is invalid"))?;
                map.append(name, value);
            }
            Ok(response)
        }
        Ok(httparse::Status::Partial) => Err(protocol("the response head is incomplete")),
        Err(err) => Err(protocol(format!("the response head is malformed: {err}"))),
    }
}

fn protocol(why: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> TransportError {
    TransportError::with_source(TransportErrorKind::Protocol, why)
}

/// The kind of failure a libcurl error code stands for. `too_large` says
/// whether the write callback refused the body for the cap (libcurl then
/// reports a write error).
fn kind_of(code: curl_sys_code::Code, too_large: bool) -> TransportErrorKind {
    use curl_sys_code::*;
    match code {
        COULDNT_RESOLVE_PROXY | COULDNT_RESOLVE_HOST | COULDNT_CONNECT | PROXY => {
            TransportErrorKind::Connect
        }
        OPERATION_TIMEDOUT => TransportErrorKind::Timeout,
        SSL_CONNECT_ERROR
        | PEER_FAILED_VERIFICATION
        | SSL_CERTPROBLEM
        | SSL_CIPHER
        | SSL_CACERT_BADFILE
        | SSL_ISSUER_ERROR
        | SSL_PINNEDPUBKEYNOTMATCH
        | SSL_INVALIDCERTSTATUS
        | SSL_ENGINE_NOTFOUND
        | SSL_ENGINE_SETFAILED
        | SSL_CRL_BADFILE
        | SSL_SHUTDOWN_FAILED => TransportErrorKind::Tls,
        FILESIZE_EXCEEDED => TransportErrorKind::BodyTooLarge,
        WRITE_ERROR if too_large => TransportErrorKind::BodyTooLarge,
        // An answer that is not HTTP reads to libcurl as HTTP/0.9, which it
        // refuses as an unsupported protocol (routy only sends http(s)).
        UNSUPPORTED_PROTOCOL | WEIRD_SERVER_REPLY | BAD_CONTENT_ENCODING | HTTP2 | HTTP2_STREAM
        | HTTP3 | RANGE_ERROR => TransportErrorKind::Protocol,
        // A body cut short by the connection's end (`PARTIAL_FILE`) or no
        // answer at all (`GOT_NOTHING`): the exchange broke, as a reset
        // does.
        SEND_ERROR | RECV_ERROR | GOT_NOTHING | PARTIAL_FILE | READ_ERROR | WRITE_ERROR => {
            TransportErrorKind::Io
        }
        _ => TransportErrorKind::Other,
    }
}

fn map_error(err: curl::Error, too_large: bool) -> TransportError {
    TransportError::with_source(kind_of(err.code(), too_large), err)
}

/// libcurl's error codes routy distinguishes, by their `curl/curl.h`
/// names (code 8 is `CURLE_WEIRD_SERVER_REPLY` since libcurl 7.51; curl-sys
/// keeps its older name; two it does not name yet are spelled out, their
/// values being part of libcurl's ABI).
mod curl_sys_code {
    pub(crate) use curl_sys::{
        CURLcode as Code, CURLE_BAD_CONTENT_ENCODING as BAD_CONTENT_ENCODING,
        CURLE_COULDNT_CONNECT as COULDNT_CONNECT,
        CURLE_COULDNT_RESOLVE_HOST as COULDNT_RESOLVE_HOST,
        CURLE_COULDNT_RESOLVE_PROXY as COULDNT_RESOLVE_PROXY,
        CURLE_FILESIZE_EXCEEDED as FILESIZE_EXCEEDED,
        CURLE_FTP_WEIRD_SERVER_REPLY as WEIRD_SERVER_REPLY, CURLE_GOT_NOTHING as GOT_NOTHING,
        CURLE_HTTP2 as HTTP2, CURLE_HTTP2_STREAM as HTTP2_STREAM,
        CURLE_OPERATION_TIMEDOUT as OPERATION_TIMEDOUT, CURLE_PARTIAL_FILE as PARTIAL_FILE,
        CURLE_PEER_FAILED_VERIFICATION as PEER_FAILED_VERIFICATION,
        CURLE_RANGE_ERROR as RANGE_ERROR, CURLE_READ_ERROR as READ_ERROR,
        CURLE_RECV_ERROR as RECV_ERROR, CURLE_SEND_ERROR as SEND_ERROR,
        CURLE_SSL_CACERT_BADFILE as SSL_CACERT_BADFILE, CURLE_SSL_CERTPROBLEM as SSL_CERTPROBLEM,
        CURLE_SSL_CIPHER as SSL_CIPHER, CURLE_SSL_CONNECT_ERROR as SSL_CONNECT_ERROR,
        CURLE_SSL_CRL_BADFILE as SSL_CRL_BADFILE, CURLE_SSL_ENGINE_NOTFOUND as SSL_ENGINE_NOTFOUND,
        CURLE_SSL_ENGINE_SETFAILED as SSL_ENGINE_SETFAILED,
        CURLE_SSL_INVALIDCERTSTATUS as SSL_INVALIDCERTSTATUS,
        CURLE_SSL_ISSUER_ERROR as SSL_ISSUER_ERROR,
        CURLE_SSL_PINNEDPUBKEYNOTMATCH as SSL_PINNEDPUBKEYNOTMATCH,
        CURLE_SSL_SHUTDOWN_FAILED as SSL_SHUTDOWN_FAILED,
        CURLE_UNSUPPORTED_PROTOCOL as UNSUPPORTED_PROTOCOL, CURLE_WRITE_ERROR as WRITE_ERROR,
    };
    /// `CURLE_HTTP3` (libcurl 7.68).
    pub(crate) const HTTP3: Code = 95;
    /// `CURLE_PROXY`, a proxy handshake failure (libcurl 7.73).
    pub(crate) const PROXY: Code = 97;
}

/// What the callbacks collect for one transfer.
#[derive(Default)]
struct Collector {
    body: Vec<u8>,
    /// The head of the latest response (a `1xx` or a proxy's `CONNECT`
    /// answer comes first and is replaced).
    head: Vec<u8>,
    cap: u64,
    too_large: bool,
    /// A HEAD sent as a custom method: stop at the end of the final head.
    head_only: bool,
    /// That end was reached.
    head_done: bool,
}

impl Collector {
    fn start(&mut self, cap: u64) {
        self.body.clear();
        self.head.clear();
        self.cap = cap;
        self.too_large = false;
        self.head_only = false;
        self.head_done = false;
    }

    /// Whether the head collected so far is a `1xx` interim response's.
    fn is_interim(&self) -> bool {
        self.head
            .split(|b| *b == b' ')
            .nth(1)
            .is_some_and(|code| code.first() == Some(&b'1'))
    }
}

impl Handler for Collector {
    fn write(&mut self, data: &[u8]) -> Result<usize, WriteError> {
        if self.body.len() as u64 + data.len() as u64 > self.cap {
            // Taking less than offered makes libcurl stop with a write
            // error; the flag says why.
            self.too_large = true;
            return Ok(0);
        }
        self.body.extend_from_slice(data);
        Ok(data.len())
    }

    fn header(&mut self, data: &[u8]) -> bool {
        if data.starts_with(b"HTTP/") {
            self.head.clear();
        }
        if self.head.len() + data.len() > HEAD_MAX {
            return false;
        }
        self.head.extend_from_slice(data);
        let ended = data == b"\r\n" || data == b"\n";
        if ended && self.head_only && !self.is_interim() {
            self.head_done = true;
            return false;
        }
        true
    }

    /// libcurl calls this only in verbose mode, which routy never turns
    /// on; should anything turn it on, the lines (the `Authorization`
    /// header among them) are dropped rather than printed.
    fn debug(&mut self, _kind: InfoType, _data: &[u8]) {}
}

/// A [`CurlTransport`] with the CAs to trust: from
/// [`CurlTransport::builder`].
///
/// # Examples
///
/// See [`ca_pem`](Self::ca_pem).
#[derive(Clone)]
pub struct CurlTransportBuilder {
    roots: Option<CaSource>,
}

impl fmt::Debug for CurlTransportBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CurlTransportBuilder")
            .finish_non_exhaustive()
    }
}

impl CurlTransportBuilder {
    /// Trusts the CA certificates in the PEM file at `path` instead of
    /// libcurl's default bundle (`CURLOPT_CAINFO`, curl's `--cacert`). The
    /// file is checked when the transport is built.
    ///
    /// # Examples
    ///
    /// ```
    /// let err = routy_curl::CurlTransport::builder().ca_file("/no/such.pem").build().unwrap_err();
    /// assert!(err.to_string().contains("/no/such.pem"), "{err}");
    /// ```
    pub fn ca_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.roots = Some(CaSource::File(path.into()));
        self
    }

    /// Trusts the CA certificates in `pem` instead of libcurl's default
    /// bundle (`CURLOPT_CAINFO_BLOB`).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// // The CA of a TLS-inspecting proxy, say.
    /// let pem = std::fs::read("corp-ca.pem").expect("the CA file");
    /// let transport = routy_curl::CurlTransport::builder().ca_pem(pem).build()?;
    /// # let _ = transport;
    /// # Ok::<(), routy::Error>(())
    /// ```
    ///
    /// Bytes without a certificate in them are refused:
    ///
    /// ```
    /// assert!(routy_curl::CurlTransport::builder().ca_pem(b"junk".to_vec()).build().is_err());
    /// ```
    pub fn ca_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.roots = Some(CaSource::Pem(pem.into()));
        self
    }

    /// The transport.
    ///
    /// # Errors
    ///
    /// [`ConfigError::CaCertificates`](routy_core::ConfigError::CaCertificates) (as [`Error::Config`]) when the CA
    /// file cannot be read or holds no PEM certificate.
    ///
    /// # Examples
    ///
    /// See [`ca_pem`](Self::ca_pem).
    pub fn build(self) -> Result<CurlTransport, Error> {
        // Parsed here, as every transport does, so a bad file is refused
        // now rather than at the first request as a TLS failure; libcurl
        // then reads the file itself (CAINFO) or takes the PEM (CAINFO_BLOB).
        let roots = self.roots.map(CaRoots::load).transpose()?;
        Ok(CurlTransport {
            roots: roots.map(|roots| roots.source().clone()),
            pool: Mutex::new(Vec::new()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::curl_sys_code::*;
    use super::*;

    /// Every code routy distinguishes, with the kind it must map to: the
    /// table is the mapping's specification.
    #[test]
    fn each_curl_code_maps_to_its_kind() {
        let table: &[(Code, bool, TransportErrorKind)] = &[
            (COULDNT_RESOLVE_HOST, false, TransportErrorKind::Connect),
            (COULDNT_RESOLVE_PROXY, false, TransportErrorKind::Connect),
            (COULDNT_CONNECT, false, TransportErrorKind::Connect),
            (PROXY, false, TransportErrorKind::Connect),
            (OPERATION_TIMEDOUT, false, TransportErrorKind::Timeout),
            (SSL_CONNECT_ERROR, false, TransportErrorKind::Tls),
            (PEER_FAILED_VERIFICATION, false, TransportErrorKind::Tls),
            (SSL_CACERT_BADFILE, false, TransportErrorKind::Tls),
            (SSL_CERTPROBLEM, false, TransportErrorKind::Tls),
            (SSL_ISSUER_ERROR, false, TransportErrorKind::Tls),
            (FILESIZE_EXCEEDED, false, TransportErrorKind::BodyTooLarge),
            (WRITE_ERROR, true, TransportErrorKind::BodyTooLarge),
            (WRITE_ERROR, false, TransportErrorKind::Io),
            (RECV_ERROR, false, TransportErrorKind::Io),
            (SEND_ERROR, false, TransportErrorKind::Io),
            (GOT_NOTHING, false, TransportErrorKind::Io),
            (PARTIAL_FILE, false, TransportErrorKind::Io),
            (WEIRD_SERVER_REPLY, false, TransportErrorKind::Protocol),
            (BAD_CONTENT_ENCODING, false, TransportErrorKind::Protocol),
            (HTTP2, false, TransportErrorKind::Protocol),
            (UNSUPPORTED_PROTOCOL, false, TransportErrorKind::Protocol),
            (3, false, TransportErrorKind::Other), // URL_MALFORMAT
            (27, false, TransportErrorKind::Other), // OUT_OF_MEMORY
        ];
        for &(code, too_large, kind) in table {
            assert_eq!(kind_of(code, too_large), kind, "CURLcode {code}");
            // The constants are libcurl's own values.
            let err = curl::Error::new(code);
            assert_eq!(map_error(err, too_large).kind(), kind, "CURLcode {code}");
        }
        assert!(curl::Error::new(COULDNT_CONNECT).is_couldnt_connect());
        assert!(curl::Error::new(OPERATION_TIMEDOUT).is_operation_timedout());
        assert!(curl::Error::new(PEER_FAILED_VERIFICATION).is_peer_failed_verification());
        assert!(curl::Error::new(FILESIZE_EXCEEDED).is_filesize_exceeded());
        assert!(curl::Error::new(PARTIAL_FILE).is_partial_file());
        assert!(curl::Error::new(WRITE_ERROR).is_write_error());
        assert!(curl::Error::new(PROXY)
            .description()
            .to_lowercase()
            .contains("proxy"));
    }

    #[test]
    fn bad_ca_input_is_a_typed_error() {
        assert!(CurlTransport::builder()
            .ca_pem(b"junk".to_vec())
            .build()
            .is_err());
        assert!(CurlTransport::builder()
            .ca_file("/dev/zero")
            .build()
            .is_err());
        assert!(CurlTransport::builder().ca_file("/").build().is_err());
    }
}
