//! # Choosing and writing a transport
//!
//! ## Choosing one
//!
//! `routy::Client` runs on ureq; `ClientBuilder::build_with` takes any other
//! `Transport`. All three below pass routy-testkit's conformance suite and
//! its TLS checks, and run the same sandbox scenarios in `tests/transports.rs`
//! and the same failure table in `tests/transport_errors.rs`, so code that
//! matches on error kinds behaves the same on each.
//!
//! | | `UreqTransport` (default) | `CurlTransport` (feature `curl`) | `ReqwestTransport` (feature `reqwest`) |
//! |---|---|---|---|
//! | for | most programs: pure Rust, no system libraries | the smallest binaries; following the machine's own TLS library, CA store and proxy conventions | programs that already have reqwest: one HTTP stack, one pool |
//! | TLS | rustls with the bundled Mozilla roots; `ca_file`/`ca_pem` to trust exactly your CAs; `platform_roots` for the OS store | the TLS library libcurl was built with (OpenSSL on Debian) and the CA bundle it points at; `ca_file`/`ca_pem` replace that bundle | rustls with the webpki roots; `ca_file`/`ca_pem` to trust exactly your CAs; or your own client's settings |
//! | proxy | `HTTPS_PROXY`, `ALL_PROXY`, `NO_PROXY` (https through a `CONNECT` tunnel) | libcurl's rules: `http_proxy`, `HTTPS_PROXY`, `ALL_PROXY`, `NO_PROXY` | reqwest's: the same variables, or your client's own proxy settings |
//! | loopback | never proxied; `localhost` without DNS | never proxied (an empty `CURLOPT_PROXY`); libcurl answers `localhost` itself | never proxied (a second, proxy-less client); `localhost` pinned to loopback |
//! | HTTP/2 | no | over TLS, where libcurl has nghttp2 | no (reqwest's `http2` feature is not enabled) |
//!
//! What each costs (binary size, crates, build time, instructions per
//! request against the same job written by hand over that stack) is in the
//! performance record, `docs/PERFORMANCE.md` in the repository.
//!
//! ```rust,no_run
//! # #[cfg(all(feature = "curl", feature = "reqwest"))]
//! # {
//! // libcurl, trusting only the CA of a TLS-inspecting corporate proxy:
//! let curl = routy::CurlTransport::builder().ca_file("corp-ca.pem").build()?;
//! let client = routy::ClientBuilder::new().env().build_with(curl)?;
//! # let _ = client;
//!
//! // The reqwest client the program already has (told not to follow
//! // redirects: routy follows them itself, under its own rules).
//! // (`routy::reqwest` is the reqwest routy-reqwest was built with.)
//! use routy::reqwest;
//! let http = reqwest::blocking::Client::builder()
//!     .redirect(reqwest::redirect::Policy::none())
//!     .build()
//!     .expect("a TLS backend");
//! let client = routy::ClientBuilder::new()
//!     .env()
//!     .build_with(routy::ReqwestTransport::with_client(http)?)?;
//! # let _ = client;
//! # }
//! # Ok::<(), routy::Error>(())
//! ```
//!
//!
//! ## Writing one
//!
//! A [`Transport`](crate::Transport) is the one seam between routy and an
//! HTTP stack: `send(&self, http::Request<Vec<u8>>) ->
//! Result<http::Response<Vec<u8>>, TransportError>`. The client does
//! everything above HTTP (auth, retries, redirects, deadlines across
//! attempts, error mapping); a transport does one exchange, by these rules.
//!
//! ### The contract
//!
//! | topic | the client does | the transport does |
//! |---|---|---|
//! | headers | sets `Authorization` (marked sensitive), `Accept`, `User-Agent`, and `Content-Type` when there is a body | sends every header as given, repeats included and in order; sets `Host` from the URI and `Content-Length` for a body; adds `Accept-Encoding` only for encodings it decodes |
//! | body | passes the bytes to send (empty for most calls) | sends them as they are, for every method |
//! | status | maps 4xx and 5xx to typed errors | returns **every** status as `Ok`, 3xx included |
//! | redirects | follows them (GET and HEAD, same rules for every transport, `Authorization` dropped off-origin) | never follows one |
//! | decompression | nothing | decodes what it asked for; never hands back encoded bytes |
//! | body cap, [`RequestLimits::max_body_bytes`](crate::transport::RequestLimits) | checks again, as a backstop | counts **decoded** bytes and stops reading past the cap with [`BodyTooLarge`](crate::TransportErrorKind::BodyTooLarge); refuses a `Content-Length` over the cap before reading the body |
//! | deadline, [`RequestLimits::timeout`](crate::transport::RequestLimits) | cuts it to what is left of the whole call | gives up when it has passed since the exchange started (connect to last body byte) with [`Timeout`](crate::TransportErrorKind::Timeout); never computes `Instant::now() + timeout` unchecked (the field is public and may be `Duration::MAX`) |
//! | errors | retries by kind | reports a kind deliberately: [`Connect`](crate::TransportErrorKind::Connect) only when nothing was sent (refused, unreachable, DNS), so any method may be retried; [`TransportError::from_io`](crate::TransportError::from_io) classifies an `io::Error` |
//! | framing | nothing | handles chunked bodies, `HEAD` responses that announce a length, `1xx` interim responses; a response cut short by the connection's end (a body shorter than announced, a chunked body without its last chunk, no answer at all) is `Io`, as a reset is, never `Ok` and never `Protocol`, so the client retries an idempotent request the same way over every transport; `Protocol` is for what is malformed (a bad status line, oversized headers), though a bad chunk size may come as `Io` from a library that reports it as a read error (libcurl and hyper do) |
//! | connections | shares one transport across threads (`Send + Sync`, `&self`) | *advice*: keeps connections alive and reuses them, after error responses too (a transport that does not is correct, only slower) |
//! | proxies and loopback | refuses plain http except to loopback | never sends a loopback request (`127.0.0.0/8`, `[::1]`, `localhost`) through a proxy, and resolves `localhost` without DNS |
//! | logging | logs allow-listed facts only | logs no header values and no bodies (the key is in a header; a server's echo of it may be anywhere) |
//!
//! The limits travel in each request's extensions:
//! [`RequestLimits::of`](crate::transport::RequestLimits::of) reads them (defaults
//! when absent).
//!
//! ### A complete transport
//!
//! A transport over a ureq agent, start to finish (routy-ureq is this,
//! with a resolver for `localhost` and a deliberate error table):
//!
//! ```
//! use routy::http::{Request, Response};
//! use routy::transport::{read_body, RequestLimits};
//! use routy::{Transport, TransportError, TransportErrorKind};
//!
//! struct MyTransport {
//!     agent: ureq::Agent,
//! }
//!
//! impl MyTransport {
//!     fn new() -> Self {
//!         let config = ureq::Agent::config_builder()
//!             .http_status_as_error(false) // every status is Ok
//!             .max_redirects(0) // the client follows redirects
//!             .build();
//!         MyTransport { agent: ureq::Agent::new_with_config(config) }
//!     }
//! }
//!
//! impl Transport for MyTransport {
//!     fn send(&self, request: Request<Vec<u8>>) -> Result<Response<Vec<u8>>, TransportError> {
//!         let limits = RequestLimits::of(&request);
//!         let loopback = request.uri().host().is_some_and(routy::is_loopback_host);
//!         let mut config = self.agent.configure_request(request);
//!         if loopback {
//!             config = config.proxy(None); // never proxy loopback
//!         }
//!         // The whole exchange, bounded; routy never passes more than
//!         // MAX_DURATION, and cutting to it keeps ureq's arithmetic safe.
//!         let request = config
//!             .timeout_global(limits.timeout.map(|t| t.min(routy::defaults::MAX_DURATION)))
//!             .build();
//!         let response = self.agent.run(request).map_err(to_transport_error)?;
//!         let (parts, body) = response.into_parts();
//!         // The cap on decoded bytes, a Content-Length over it refused
//!         // before reading: the one limiter every transport uses.
//!         let announced = body.content_length();
//!         // ureq reports its own failures mid-body (a passed deadline)
//!         // inside an io::Error; `ureq::Error::from` unwraps them.
//!         let bytes = read_body(&limits, body.into_reader(), announced, |e| to_transport_error(e.into()))?;
//!         Ok(Response::from_parts(parts, bytes))
//!     }
//! }
//!
//! fn to_transport_error(err: ureq::Error) -> TransportError {
//!     use TransportErrorKind as K;
//!     let kind = match err {
//!         ureq::Error::Io(io) => return TransportError::from_io(io),
//!         ureq::Error::HostNotFound | ureq::Error::ConnectionFailed => K::Connect,
//!         ureq::Error::Timeout(_) => K::Timeout,
//!         ureq::Error::BodyExceedsLimit(_) => K::BodyTooLarge,
//!         ureq::Error::Protocol(_) | ureq::Error::Decompress(..) => K::Protocol,
//!         ureq::Error::Tls(_) | ureq::Error::Rustls(_) => K::Tls,
//!         _ => K::Other,
//!     };
//!     TransportError::with_source(kind, err)
//! }
//!
//! // Use it: name the client, build it, store it.
//! let client: routy::ClientWith<MyTransport> = routy::ClientBuilder::new()
//!     .api_key(routy::ApiKey::new("test-token")?)
//!     .build_with(MyTransport::new())?;
//! # let _ = client;
//!
//! // Certify it: the conformance suite starts its own loopback servers
//! // and checks every rule above (routy-testkit, as a dev-dependency).
//! routy_testkit::conformance::assert_conforms(&MyTransport::new());
//! # Ok::<(), routy::Error>(())
//! ```
//!
//! ### Checking a transport
//!
//! Add `routy-testkit` as a dev-dependency and call
//! `routy_testkit::conformance::assert_conforms(&transport)` (routy-testkit feature `conformance`) from a test
//! (or `check` for a [`Report`](https://docs.rs/routy-testkit) to look
//! at). Each check is *required* (routy relies on it) or *advice*
//! (performance: connection reuse); `assert_conforms` fails only on a
//! required one, and the report shows both. Each failing check names the
//! rule and shows your transport's own error and its `source()` chain; a
//! check in which the transport panics fails alone. For custom CA roots,
//! [`CaRoots`](crate::transport::CaRoots) reads and parses a PEM file
//! or bytes the way routy's own transports do. To test a client over your transport, the routy sandbox
//! (`routy-sandbox`) is a whole local API.
