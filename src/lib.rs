#![doc = include_str!("../README.md")]
// On docs.rs, label each feature-gated item with its feature.
#![cfg_attr(docsrs, feature(doc_cfg))]
// Libraries report through return values, never the terminal.
#![deny(clippy::print_stdout, clippy::print_stderr)]

// The everyday surface: what a program that lists accounts, calls an
// endpoint, handles errors or tests itself names. One path for each item.
pub use routy_core::http;
#[cfg(feature = "mock")]
pub use routy_core::MockTransport;
pub use routy_core::{decode_json, is_loopback_host, Account, AccountId};
pub use routy_core::{
    error_chain, ApiError, ApiErrorKind, ApiKey, BaseUrl, Body, CallOptions, Config, ConfigError,
    DecodeError, Endpoint, Error, FieldErrors, IncompleteList, KeyError, Located, Problem,
    ProblemExtensions, QuotaScope, RateLimit, RedirectError, RedirectErrorKind, RequestError,
    ResponseInfo, RetryAfter, RetryPolicy, SharedKey, API_KEY_ENV, BASE_URL_ENV,
};
pub use routy_core::{transport_fn, Transport, TransportError, TransportErrorKind, TransportFn};

pub use routy_core::{clock, defaults};

pub mod guide;

/// The built-in endpoints and the [`Reply`](endpoint::Reply) an endpoint
/// reads its answer from. The [`Endpoint`] trait itself is at the crate
/// root; the module docs of `routy_core::endpoint` show a program's own
/// endpoint.
pub mod endpoint {
    pub use routy_core::endpoint::{Accounts, Json, Raw, Reply, WithInfo};
}

/// For authors of transports: the limits and deadline a request carries,
/// CA roots parsed once for any TLS stack, and the contract
/// ([`crate::guide::transports`]).
pub mod transport {
    pub use routy_core::config::read_ca_file;
    #[cfg(any(feature = "ureq", feature = "curl", feature = "reqwest"))]
    pub use routy_core::config::{CaRoots, CaSource};
    pub use routy_core::transport::{read_body, AttemptNumber, Deadline, RequestLimits};
}

/// For authors of drivers and simulators (an async client, a test
/// harness), not for programs that make calls: the call machine a
/// [`Client`](crate::ClientWith) drives. **Unversioned**: these types may
/// change in a minor release, as they follow the client's own needs.
pub mod call {
    pub use routy_core::call::{Call, Event, Finished, Step};
}

/// The retry planner's own words, for authors of drivers and simulators
/// (**unversioned**, as [`crate::call`]); a program sets a
/// [`crate::RetryPolicy`] and nothing more.
pub mod policy {
    pub use routy_core::policy::{
        is_idempotent, Attempt, Decision, Outcome, QuotaGate, QuotaInbox, QuotaStore, RetryBudget,
    };
}

#[cfg(feature = "curl")]
pub use routy_curl::{CurlTransport, CurlTransportBuilder};
/// Named profiles, one per integration (feature `profiles`): the
/// routy-profile crate. [`crate::from_profile`] makes a
/// client from one.
#[cfg(feature = "profiles")]
pub use routy_profile as profile;
#[cfg(feature = "reqwest")]
pub use routy_reqwest::{reqwest, ReqwestTransport, ReqwestTransportBuilder};
#[cfg(feature = "ureq")]
pub use routy_ureq::{UreqTransport, UreqTransportBuilder};

/// The Routy API client over [`UreqTransport`]. Build one with
/// [`Client::builder`], [`Client::from_env`] or [`ClientBuilder::new`].
/// For a client over any other transport, see [`ClientWith`].
///
/// What a client does (each is a method of
/// [`routy_core::Client`], documented there):
///
/// | method | does |
/// |---|---|
/// | [`call`](routy_core::Client::call) | runs any [`Endpoint`]: the one way every call is made |
/// | [`call_with`](routy_core::Client::call_with) | the same, with [`CallOptions`] for this call (timeout, retry policy, headers) |
/// | [`accounts`](routy_core::Client::accounts) | `GET /v1/accounts` ([`endpoint::Accounts`]) |
/// | [`get`](routy_core::Client::get) | a `GET` decoded into any type ([`endpoint::Json`]) |
/// | [`execute`](routy_core::Client::execute) | any request, a success response whole ([`endpoint::Raw`]) |
/// | [`execute_any_status`](routy_core::Client::execute_any_status) | any request, the response whatever its status |
/// | [`prepare`](routy_core::Client::prepare) | the request a call would send, unsent |
/// | [`api_key`](routy_core::Client::api_key), [`set_api_key`](routy_core::Client::set_api_key) | the key, and rotating it while the client runs |
/// | [`config`](routy_core::Client::config), [`transport`](routy_core::Client::transport) | what it was built with |
/// | [`builder`](routy_core::Client::builder), [`from_env`](routy_core::Client::from_env) | making one |
///
/// Add [`with_info`](Endpoint::with_info) to any endpoint for the
/// response's [`ResponseInfo`] (request id, rate limits, any header).
///
/// # Examples
///
/// ```no_run
/// let client = routy::Client::from_env()?;
/// for account in client.accounts()? {
///     println!("{} {}", account.id(), account.name().unwrap_or("-"));
/// }
/// # Ok::<(), routy::Error>(())
/// ```
#[cfg(feature = "ureq")]
pub type Client = routy_core::Client<DefaultTransport>;

/// The builder of a [`Client`] (every setting and its default is a
/// method of [`routy_core::ClientBuilder`]):
/// [`build`](routy_core::ClientBuilder::build)
/// makes one over the [`DefaultTransport`] (ureq);
/// [`build_with`](routy_core::ClientBuilder::build_with) makes a
/// [`ClientWith`] over any transport. Without the `ureq` feature there is
/// no default transport: `build` is not there, finish with `build_with`.
///
/// One type whatever the features: code that names `routy::ClientBuilder`
/// compiles the same when another crate in the build turns `ureq` on.
///
/// # Examples
///
/// ```
/// let client = routy::ClientBuilder::new()
///     .api_key(routy::ApiKey::new("test-token")?)
///     .build_with(routy::transport_fn(|_req| Err(routy::TransportErrorKind::Connect.into())))?;
/// # let _ = client;
/// let same_defaults = routy::ClientBuilder::default();
/// # let _ = same_defaults;
/// # Ok::<(), routy::Error>(())
/// ```
///
/// With the `ureq` feature (the default), `build` makes a [`Client`]:
///
/// ```
/// # #[cfg(feature = "ureq")] {
/// let client: routy::Client = routy::ClientBuilder::new()
///     .api_key(routy::ApiKey::new("test-token")?)
///     .base_url("http://127.0.0.1:8080/api")
///     .build()?;
/// # let _ = client;
/// # }
/// # Ok::<(), routy::Error>(())
/// ```
pub type ClientBuilder = routy_core::ClientBuilder<DefaultTransport>;

/// The transport a [`Client`] and [`ClientBuilder`]'s `build` use: a
/// [`UreqTransport`] with the `ureq` feature (on by default), with
/// nothing added (it passes each request straight on). Without the
/// feature it cannot be made, so `build` is not there and `build_with`
/// takes a transport of your own; the type stays, so
/// [`ClientBuilder`] names one type in every build.
///
/// # Examples
///
/// ```
/// # #[cfg(feature = "ureq")] {
/// let ureq = routy::UreqTransport::builder().build()?;
/// let transport = routy::DefaultTransport::from(ureq);
/// let client = routy::ClientBuilder::new()
///     .api_key(routy::ApiKey::new("test-token")?)
///     .base_url("http://127.0.0.1:8080/api")
///     .build_with(transport)?;
/// let _ureq: &routy::UreqTransport = client.transport().as_ureq();
/// # }
/// # Ok::<(), routy::Error>(())
/// ```
#[derive(Debug, Clone)]
#[cfg_attr(feature = "ureq", derive(Default))]
pub struct DefaultTransport {
    #[cfg(feature = "ureq")]
    ureq: UreqTransport,
    #[cfg(not(feature = "ureq"))]
    _none: std::convert::Infallible,
}

#[cfg(feature = "ureq")]
impl DefaultTransport {
    /// The ureq transport inside.
    pub fn as_ureq(&self) -> &UreqTransport {
        &self.ureq
    }
}

#[cfg(feature = "ureq")]
impl From<UreqTransport> for DefaultTransport {
    fn from(ureq: UreqTransport) -> Self {
        DefaultTransport { ureq }
    }
}

#[cfg(feature = "ureq")]
impl Transport for DefaultTransport {
    #[inline]
    fn send(
        &self,
        request: http::Request<Vec<u8>>,
    ) -> Result<http::Response<Vec<u8>>, TransportError> {
        self.ureq.send(request)
    }
}

/// The Routy API client over the transport `T`: a closure
/// ([`transport_fn`]), a `Box<dyn Transport>`, or a transport of your own.
/// `routy::Client` is `ClientWith<DefaultTransport>`.
///
/// (Not `Client<T = UreqTransport>`: Rust applies a type alias's default
/// only where a type is written, not to `Client::builder()` or
/// `Client::from_env()`, which would then need annotations.)
///
/// # Examples
///
/// Naming and storing clients over other transports:
///
/// ```
/// use routy::{http, transport_fn, ApiKey, ClientBuilder, ClientWith, Transport};
///
/// struct App {
///     routy: ClientWith<Box<dyn Transport>>,
/// }
/// let canned = transport_fn(|_req| Ok(http::Response::new(b"[]".to_vec())));
/// let app = App {
///     routy: ClientBuilder::new()
///         .api_key(ApiKey::new("test-token")?)
///         .build_with(Box::new(canned) as Box<dyn Transport>)?,
/// };
/// assert!(app.routy.accounts()?.is_empty());
/// # Ok::<(), routy::Error>(())
/// ```
pub type ClientWith<T> = routy_core::Client<T>;

/// A [`Client`] set up by a named profile (feature `profiles`): `name`,
/// else the one `ROUTY_PROFILE` names, else the config file's `default`
/// profile ([`profile::Profiles::select`]). The key comes from the
/// profile's source, the base URL and CA file from the profile; the
/// config file is [`profile::Profiles::default_path`]'s. The same profiles
/// serve the `routy` command (`routy --profile NAME`).
///
/// # Errors
///
/// [`Error::Profile`] when the config file cannot be used, the profile is
/// not there (or none was named and there is no `default`), or its key
/// cannot be loaded; as [`ClientBuilder::build`] otherwise.
///
/// # Examples
///
/// ```no_run
/// let client = routy::from_profile(Some("reporting"))?;
/// println!("{} accounts", client.accounts()?.len());
/// # Ok::<(), routy::Error>(())
/// ```
#[cfg(all(feature = "profiles", feature = "ureq"))]
pub fn from_profile(name: Option<&str>) -> Result<Client, Error> {
    let profiles = profile::Profiles::load()?;
    let Some(profile) = profiles.select(name)? else {
        return Err(profile::ProfileError::NoneSelected {
            path: profiles.path().to_owned(),
        }
        .into());
    };
    let mut transport = UreqTransport::builder();
    if let Some(ca_file) = profile.ca_file() {
        transport = transport.ca_file(ca_file);
    }
    use profile::ClientBuilderExt as _;
    ClientBuilder::new()
        .profile(profile)
        .build_with(DefaultTransport::from(transport.build()?))
}

#[cfg(test)]
mod tests {
    /// One builder type in every build (CI runs this with no default
    /// features too).
    #[test]
    fn client_builder_is_one_type_whatever_the_features() {
        fn same(b: crate::ClientBuilder) -> routy_core::ClientBuilder<crate::DefaultTransport> {
            b
        }
        let _ = same(crate::ClientBuilder::new());
    }
}
