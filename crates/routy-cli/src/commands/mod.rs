//! The commands, one room each; here, what the API commands share: the
//! client they build from the resolved settings.

pub(crate) mod accounts;
pub(crate) mod api;
pub(crate) mod auth;
pub(crate) mod sandbox;

use std::time::Duration;

use crate::args::ClientArgs;
use crate::failure::{failure, Failure};
use crate::setup::Setup;
use crate::verbose::Verbose;

/// Client options before a command that makes no API call do nothing:
/// say so rather than ignore them.
pub(crate) fn no_client_options(outer: &ClientArgs, command: &str) -> Result<(), Failure> {
    if outer.any() {
        return Err(Failure::usage(format!(
            "client options (--base-url, --timeout, --profile …) do nothing for `routy {command}`"
        )));
    }
    Ok(())
}

pub(crate) type Client = routy_core::Client<Verbose>;

/// Resolves the key and settings and builds the client. Nothing is sent
/// here (a profile's key command may run).
pub(crate) fn connect(args: &ClientArgs) -> Result<(Client, Setup), Failure> {
    let setup = Setup::resolve(args)?;
    let mut builder = routy::Client::builder()
        .api_key(setup.key.clone())
        .app_name(concat!("routy-cli/", env!("CARGO_PKG_VERSION")));
    if let Some(url) = &setup.base_url {
        builder = builder.base_url(url);
    }
    if let Some(secs) = args.timeout {
        let timeout = positive_seconds(secs)?;
        // One deadline for the whole call: each attempt's timeout is what
        // is left of it.
        builder = builder.timeout(timeout).call_timeout(timeout);
    }
    if let Some(retries) = args.max_retries {
        builder = builder.max_retries(retries);
    }
    let mut transport = routy::UreqTransport::builder();
    if let Some(path) = &setup.ca_file {
        transport = transport.ca_file(path);
    }
    let transport = transport.build().map_err(failure)?;
    let transport = Verbose::new(transport, args.verbose, &setup.key);
    let client = builder.build_with(transport).map_err(failure)?;
    Ok((client, setup))
}

/// `--timeout SECS` as a duration: more than a Duration holds (`inf` too)
/// is as long as can be (the client cuts it to routy::defaults::MAX_DURATION).
fn positive_seconds(secs: f64) -> Result<Duration, Failure> {
    let timeout = if secs > 0.0 {
        Duration::try_from_secs_f64(secs).unwrap_or(Duration::MAX)
    } else {
        Duration::ZERO
    };
    if timeout.is_zero() {
        return Err(Failure::usage(format!(
            "--timeout {secs} is not a positive number of seconds"
        )));
    }
    Ok(timeout)
}
