//! The sans-IO core of [routy](https://docs.rs/routy), the Rust SDK for the
//! Routy platform API.
//!
//! This crate opens no sockets and reads no clock. It reads the environment
//! and files only in the credential loaders ([`ApiKey::from_env`],
//! [`ApiKey::from_file`], [`ClientBuilder::env`]), in
//! [`config::read_ca_file`] for the transports, and, with the `profiles`
//! feature, in [`profile`], which also runs a profile's key command. It validates API keys, builds
//! [`http::Request`]s, hands them to a [`Transport`], and maps the
//! [`http::Response`]s that come back to typed values or typed [`Error`]s.
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
//! - `profiles`: named profiles from a config file ([`profile`]), one per
//!   integration, shared with the `routy` command.

// On docs.rs, label each feature-gated item with its feature.
#![cfg_attr(docsrs, feature(doc_cfg))]
// Libraries report through return values, never the terminal.
#![deny(clippy::print_stdout, clippy::print_stderr)]

pub use http;

pub mod accounts;
mod api_error;
mod base_url;
mod builder;
#[cfg(feature = "ca")]
pub mod ca;
pub mod call;
mod call_site;
mod client;
pub mod clock;
pub mod config;
mod decode;
pub mod endpoint;
mod error;
pub mod guide;
mod incomplete;
mod json_path;
mod key;
mod located;
mod logging;
mod meta;
mod options;
pub mod paging;
mod problem;
#[cfg(feature = "profiles")]
pub mod profile;
mod redact;
mod redirect;
mod request;
pub mod retry;
#[cfg(test)]
mod test_support;
pub mod text;
mod transport;

pub use accounts::{Account, AccountId};
pub use api_error::{ApiError, ApiErrorKind};
pub use base_url::{is_loopback_host, BaseUrl, BASE_URL_ENV, DEFAULT_BASE_URL};
pub use builder::ClientBuilder;
pub use client::Client;
pub use config::{Config, ConfigError};
pub use decode::{decode_json, DecodeError};
pub use endpoint::Endpoint;
pub use error::{error_chain, Error};
pub use key::{ApiKey, KeyError, SharedKey, API_KEY_ENV, MAX_KEY_LEN};
pub use located::Located;
pub use meta::{RateLimit, ResponseInfo};
pub use options::CallOptions;
pub use paging::IncompleteList;
pub use problem::{FieldErrors, Problem, ProblemExtensions};
pub use redirect::{RedirectError, RedirectErrorKind};
pub use request::{Body, RequestError};
pub use retry::RetryPolicy;
#[cfg(feature = "mock")]
pub use transport::MockTransport;
pub use transport::{
    transport_fn, Deadline, RequestLimits, Transport, TransportError, TransportErrorKind,
    TransportFn,
};
