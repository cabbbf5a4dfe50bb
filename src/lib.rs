#![doc = include_str!("../README.md")]
// Libraries report through return values, never the terminal.
#![deny(clippy::print_stdout, clippy::print_stderr)]

/// The core crate, for naming the generic client: `routy_core::Client<T>`
/// over a transport of your own (`routy::Client` is the one over ureq).
pub use routy_core;
pub use routy_core::*;
pub use routy_ureq::UreqTransport;

/// The Routy API client over the ureq transport: [`routy_core::Client`]
/// with [`UreqTransport`]. Build one with [`Client::builder`] or
/// [`Client::from_env`].
///
/// # Examples
///
/// ```no_run
/// let client = routy::Client::from_env()?;
/// for account in client.accounts()? {
///     println!("{} {}", account.id, account.name().unwrap_or("-"));
/// }
/// # Ok::<(), routy::Error>(())
/// ```
pub type Client = routy_core::Client<UreqTransport>;

/// The builder of a [`Client`]; see [`routy_core::ClientBuilder`].
///
/// # Examples
///
/// ```
/// let client = routy::Client::builder()
///     .api_key(routy::ApiKey::new("test-token")?)
///     .base_url("http://127.0.0.1:8080/api")
///     .build()?;
/// # let _ = client;
/// # Ok::<(), routy::Error>(())
/// ```
pub type ClientBuilder = routy_core::ClientBuilder<UreqTransport>;
