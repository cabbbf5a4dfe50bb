//! The sans-IO core of [routy](https://docs.rs/routy), the Rust SDK for the
//! Routy platform API.
//!
//! This crate opens no sockets, reads no clock and starts no process. It
//! validates API keys, builds [`http::Request`]s, hands them to a
//! [`Transport`], and maps the [`http::Response`]s that come back to typed
//! values or typed [`Error`]s.
//!
//! The only places it reads the environment or files:
//!
//! | where | reads |
//! |---|---|
//! | [`ApiKey::from_env`], [`ApiKey::from_env_var`] | `ROUTY_API_KEY`, or the variable named |
//! | [`ApiKey::from_file`] | a key file |
//! | [`ClientBuilder::env`] | `ROUTY_API_KEY` and `ROUTY_BASE_URL` |
//! | [`config::read_ca_file`] | a CA file, for the transports (bounded) |
//!
//! Named profiles (a config file, key commands) are routy-profile's.
//! Most programs use the `routy` crate, whose `routy::Client` is this
//! [`Client`] over a ureq transport; use this crate directly to plug in an
//! HTTP stack of your own.
//!
//! ```
//! use routy::{http, transport_fn, ApiKey};
//!
//! // Any `Fn(Request) -> Result<Response, TransportError>` is a transport.
//! let offline = transport_fn(|_req| {
//!     Ok(http::Response::builder()
//!         .header("content-type", "application/json")
//!         .body(br#"[{"id": 1, "name": "Acme Logistics"}]"#.to_vec())
//!         .expect("static response is valid"))
//! });
//! let client = routy::ClientBuilder::new()
//!     .api_key(ApiKey::new("OaBw1+4DqFfDLXOLpWthbfp502Wc0D4tICsxNcT+aeQ=")?)
//!     .build_with(offline)?;
//! for account in client.accounts()? {
//!     assert_eq!(account.name(), Some("Acme Logistics"));
//! }
//! # Ok::<(), routy::Error>(())
//! ```
//!
//! # Testing with `MockTransport`
//!
//! With the `mock` feature, mockall generates `MockTransport`: set
//! expectations on the exact request and return a canned response.
//!
//! ```
//! # #[cfg(feature = "mock")]
//! # {
//! use routy::http::{Method, Response};
//! use routy::{ApiKey, ClientBuilder, MockTransport};
//!
//! let mut mock = MockTransport::new();
//! mock.expect_send()
//!     .times(1)
//!     .withf(|req| {
//!         req.method() == Method::GET
//!             && req.uri() == "https://platform.routy.app/api/v1/accounts"
//!             && req.headers()["authorization"] == "ApiKey test-token"
//!             && req.headers()["accept"] == "application/json"
//!     })
//!     .returning(|_| {
//!         Ok(Response::builder()
//!             .header("content-type", "application/json")
//!             .body(br#"[{"id": 1, "name": "Acme"}]"#.to_vec())
//!             .expect("static response is valid"))
//!     });
//! let client = ClientBuilder::new().api_key(ApiKey::new("test-token")?).build_with(mock)?;
//! assert_eq!(client.accounts()?[0].name(), Some("Acme"));
//! # }
//! # Ok::<(), routy::Error>(())
//! ```
//!
//! # Features
//!
//! - `mock`: a mockall-generated `MockTransport`.
//! - `log`: request, retry and redirect events through the `log` facade
//!   (target `routy`), with only allow-listed facts: never a header value
//!   or a body.
//! - `tracing`: one `routy.call` span per call, with OpenTelemetry's HTTP
//!   client attributes, and events for retries and redirects.
//! - `ca`: [`config::CaRoots`], CA certificates parsed once for every
//!   transport (the transports enable it).

// On docs.rs, label each feature-gated item with its feature.
#![cfg_attr(docsrs, feature(doc_cfg))]
// Libraries report through return values, never the terminal.
#![deny(clippy::print_stdout, clippy::print_stderr)]

pub use http;

// One room per concept. A room imports only rooms beneath it, bottom
// first: defaults, clock, file, shown, auth, transport, policy, request,
// config, response, error, call, endpoint, client.
pub mod auth;
pub mod call;
pub mod client;
pub mod clock;
pub mod config;
pub mod defaults;
pub mod endpoint;
pub mod error;
pub mod file;
pub mod policy;
pub mod request;
pub mod response;
pub mod shown;
pub mod transport;

// The everyday names, at the root as well as in their rooms.
pub use auth::{ApiKey, KeyError, SharedKey, API_KEY_ENV};
pub use client::{Client, ClientBuilder};
pub use config::{is_loopback_host, BaseUrl, CallOptions, Config, ConfigError, BASE_URL_ENV};
pub use endpoint::{Account, AccountId, Endpoint};
pub use error::{error_chain, Error, Located};
pub use policy::{QuotaScope, RedirectError, RedirectErrorKind, RetryAfter, RetryPolicy};
pub use request::{Body, RequestError};
pub use response::{
    decode_json, ApiError, ApiErrorKind, DecodeError, FieldErrors, IncompleteList, Problem,
    ProblemExtensions, RateLimit, ResponseInfo,
};
#[cfg(feature = "mock")]
pub use transport::MockTransport;
pub use transport::{
    transport_fn, Deadline, RequestLimits, Transport, TransportError, TransportErrorKind,
    TransportFn,
};
