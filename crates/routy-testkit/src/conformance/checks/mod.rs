//! The checks, grouped by what they hold a transport to, each beside the
//! route of the suite's server it needs.

mod bodies;
mod deadlines;
mod framing;
mod requests;

use super::server::Route;

pub(super) use bodies::{body_cap, content_encoding, large_body};
pub(super) use deadlines::{drip, extreme_deadlines, refused, stall};
pub(super) use framing::{framing, keep_alive, truncated};
pub(super) use requests::{exact_requests, no_redirects, round_trip};

use bodies::{bomb_route, large_route, maybe_gzip_route, over_cap_route};
use deadlines::{drip_route, stall_route};
use framing::{framing_route, peer_route, truncated_route};
use requests::{echo_route, redirect_route, status_route};

/// Every route of the suite's server, in the order they are asked.
pub(super) const ROUTES: [Route; 12] = [
    status_route,
    echo_route,
    redirect_route,
    bomb_route,
    over_cap_route,
    maybe_gzip_route,
    truncated_route,
    framing_route,
    peer_route,
    stall_route,
    drip_route,
    large_route,
];

/// The error a check expected a different kind for, with its chain.
pub(super) fn wrong_kind(expected: &str, err: &routy_core::TransportError) -> String {
    format!(
        "expected {expected}, got {:?}: {}",
        err.kind(),
        routy_core::error_chain(err)
    )
}
