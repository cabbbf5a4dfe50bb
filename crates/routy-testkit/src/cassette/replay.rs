//! Replay: a cassette served as a transport, with no network, and a diff
//! when a request matches nothing.

use std::path::Path;
use std::sync::{Mutex, PoisonError};

use routy_core::http::{HeaderName, HeaderValue, Method, Request, Response, StatusCode};
use routy_core::{Transport, TransportError, TransportErrorKind};

use super::format::{Cassette, CassetteError, RecordedRequest, RecordedResponse};
use super::secrets::body_bytes;

/// How a [`Replayer`] picks the interaction for a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReplayOrder {
    /// Requests must come in the recorded order.
    InOrder,
    /// Any unused interaction that matches serves the request.
    ByMatch,
}

/// A transport that answers from a cassette, with no network.
///
/// Requests are matched on method, path and query (and, with
/// [`match_body`](Self::match_body), the body). In strict mode (the
/// default) a request that does not match fails with a readable diff, and
/// [`finish`](Self::finish) reports interactions never used.
///
/// # Examples
///
/// ```
/// use routy::{ApiKey, ClientBuilder};
/// use routy_testkit::{Cassette, Replayer, ReplayOrder};
///
/// let cassette: Cassette = serde_json::from_str(r#"{"version": 1, "interactions": [{
///     "request": {"method": "GET", "uri": "https://platform.routy.app/api/v1/accounts", "headers": [], "body": ""},
///     "response": {"status": 200, "headers": [["content-type", "application/json"]], "body": "[{\"id\": 1}]"}
/// }]}"#)?;
/// let replayer = std::sync::Arc::new(Replayer::new(cassette).order(ReplayOrder::ByMatch));
/// let client = ClientBuilder::new().api_key(ApiKey::new("any")?).build_with(replayer.clone())?;
/// assert_eq!(client.accounts()?.len(), 1);
/// replayer.finish()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Replayer {
    cassette: Cassette,
    order: ReplayOrder,
    strict: bool,
    match_body: bool,
    repeats: bool,
    used: Mutex<Vec<bool>>,
}

/// A request the cassette could not answer, or interactions never used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{report}")]
pub struct ReplayError {
    report: String,
}

impl ReplayError {
    /// The full report (a diff, or the unused interactions).
    pub fn report(&self) -> &str {
        &self.report
    }
}

impl Replayer {
    /// Serves `cassette` in recorded order, strictly, not matching bodies.
    pub fn new(cassette: Cassette) -> Self {
        let used = Mutex::new(vec![false; cassette.interactions.len()]);
        Replayer {
            cassette,
            order: ReplayOrder::InOrder,
            strict: true,
            match_body: false,
            repeats: false,
            used,
        }
    }

    /// Loads and serves the cassette at `path`.
    ///
    /// # Errors
    ///
    /// As [`Cassette::load`].
    ///
    /// # Examples
    ///
    /// ```no_run
    /// let replayer = routy_testkit::Replayer::load("tests/cassettes/accounts.json")?;
    /// # let _ = replayer;
    /// # Ok::<(), routy_testkit::CassetteError>(())
    /// ```
    pub fn load(path: impl AsRef<Path>) -> Result<Self, CassetteError> {
        Ok(Self::new(Cassette::load(path)?))
    }

    /// How interactions are picked. Defaults to [`ReplayOrder::InOrder`].
    pub fn order(mut self, order: ReplayOrder) -> Self {
        self.order = order;
        self
    }

    /// Strict mode (the default): mismatches fail with a diff. Off, a
    /// request that does not match the next interaction in order is served
    /// by any unused match instead, and failing that fails without a diff.
    ///
    /// # Examples
    ///
    /// ```
    /// let replayer = routy_testkit::Replayer::new(routy_testkit::Cassette::new(vec![])).strict(false);
    /// # let _ = replayer;
    /// ```
    pub fn strict(mut self, strict: bool) -> Self {
        self.strict = strict;
        self
    }

    /// Also require the body to match. Defaults to off.
    ///
    /// # Examples
    ///
    /// ```
    /// let replayer = routy_testkit::Replayer::new(routy_testkit::Cassette::new(vec![])).match_body(true);
    /// # let _ = replayer;
    /// ```
    pub fn match_body(mut self, on: bool) -> Self {
        self.match_body = on;
        self
    }

    /// Lets a request that matches only interactions already used be
    /// answered again by the last of them (vcrpy's
    /// `allow_playback_repeats`). Identical requests are still answered in
    /// recorded order first. Defaults to off.
    ///
    /// # Examples
    ///
    /// ```
    /// use routy::{ApiKey, ClientBuilder};
    /// use routy_testkit::{Cassette, Replayer};
    ///
    /// let cassette: Cassette = serde_json::from_str(r#"{"version": 1, "interactions": [{
    ///     "request": {"method": "GET", "uri": "https://h.example/api/v1/accounts", "headers": [], "body": ""},
    ///     "response": {"status": 200, "headers": [], "body": "[]"}}]}"#)?;
    /// let replayer = std::sync::Arc::new(Replayer::new(cassette).allow_repeats(true));
    /// let client = ClientBuilder::new().api_key(ApiKey::new("any")?).build_with(replayer.clone())?;
    /// for _ in 0..3 {
    ///     assert!(client.accounts()?.is_empty());
    /// }
    /// replayer.finish()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn allow_repeats(mut self, on: bool) -> Self {
        self.repeats = on;
        self
    }

    /// Checks every interaction was used.
    ///
    /// # Errors
    ///
    /// A [`ReplayError`] listing the unused ones.
    ///
    /// # Examples
    ///
    /// ```
    /// # use routy_testkit::{Cassette, Replayer};
    /// let cassette: Cassette = serde_json::from_str(r#"{"version": 1, "interactions": [{
    ///     "request": {"method": "GET", "uri": "https://h.example/api/v1/accounts", "headers": [], "body": ""},
    ///     "response": {"status": 200, "headers": [], "body": "[]"}
    /// }]}"#)?;
    /// let err = Replayer::new(cassette).finish().unwrap_err();
    /// assert!(err.report().contains("never used: #0 GET /api/v1/accounts"));
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub fn finish(&self) -> Result<(), ReplayError> {
        let used = self.used.lock().unwrap_or_else(PoisonError::into_inner);
        let unused: Vec<String> = used
            .iter()
            .enumerate()
            .filter(|(_, used)| !**used)
            .map(|(i, _)| {
                let request = &self.cassette.interactions[i].request;
                format!("#{i} {} {}", request.method, path_and_query(&request.uri))
            })
            .collect();
        if unused.is_empty() {
            Ok(())
        } else {
            Err(ReplayError {
                report: format!(
                    "{} interaction(s) never used: {}",
                    unused.len(),
                    unused.join(", ")
                ),
            })
        }
    }

    fn matches(
        &self,
        recorded: &RecordedRequest,
        method: &Method,
        target: &str,
        body: &[u8],
    ) -> bool {
        recorded.method == method.as_str()
            && path_and_query(&recorded.uri) == target
            && (!self.match_body || recorded.body.to_bytes().is_ok_and(|b| b == body))
    }

    fn diff(
        &self,
        recorded: &RecordedRequest,
        method: &Method,
        target: &str,
        body: &[u8],
    ) -> String {
        let mut lines = vec!["request does not match the cassette:".to_owned()];
        let mut line = |what: &str, expected: &str, actual: &str| {
            if expected == actual {
                lines.push(format!("  {what}: {actual}"));
            } else {
                lines.push(format!("- {what}: {expected}"));
                lines.push(format!("+ {what}: {actual}"));
            }
        };
        line("method", &recorded.method, method.as_str());
        line("path", path_and_query(&recorded.uri), target);
        if self.match_body {
            let expected = String::from_utf8_lossy(&body_bytes(&recorded.body)).into_owned();
            line("body", &expected, &String::from_utf8_lossy(body));
        }
        lines.join("\n")
    }
}

impl Transport for Replayer {
    fn send(&self, request: Request<Vec<u8>>) -> Result<Response<Vec<u8>>, TransportError> {
        let method = request.method().clone();
        let target = request
            .uri()
            .path_and_query()
            .map_or("/", |p| p.as_str())
            .to_owned();
        let body = request.body();
        let mut used = self.used.lock().unwrap_or_else(PoisonError::into_inner);
        let pick = self.pick(&used, &method, &target, body)?;
        let Some(i) = pick else {
            let report = format!(
                "no unused interaction matches {method} {target} ({} of {} used)",
                used.iter().filter(|u| **u).count(),
                used.len()
            );
            return Err(TransportError::with_source(
                TransportErrorKind::Other,
                ReplayError { report },
            ));
        };
        used[i] = true;
        drop(used);
        build_response(&self.cassette.interactions[i].response)
            .map_err(|e| TransportError::with_source(TransportErrorKind::Other, e))
    }
}

impl Replayer {
    /// The interaction that answers the request, if any; a diff in strict
    /// in-order mode.
    fn pick(
        &self,
        used: &[bool],
        method: &Method,
        target: &str,
        body: &[u8],
    ) -> Result<Option<usize>, TransportError> {
        let next = used.iter().position(|u| !u);
        let pick = match (self.order, next) {
            (_, None) => None,
            // Repeats of an earlier request are answered again before the
            // order is held against them.
            (ReplayOrder::InOrder, Some(i))
                if self.repeats
                    && !self.matches(
                        &self.cassette.interactions[i].request,
                        method,
                        target,
                        body,
                    )
                    && self.cassette.interactions[..i]
                        .iter()
                        .any(|x| self.matches(&x.request, method, target, body)) =>
            {
                None
            }
            (ReplayOrder::InOrder, Some(i)) => {
                let recorded = &self.cassette.interactions[i].request;
                if self.matches(recorded, method, target, body) {
                    Some(i)
                } else if self.strict {
                    let diff = self.diff(recorded, method, target, body);
                    return Err(TransportError::with_source(
                        TransportErrorKind::Other,
                        ReplayError {
                            report: format!("interaction #{i}: {diff}"),
                        },
                    ));
                } else {
                    self.find_unused(used, method, target, body)
                }
            }
            (ReplayOrder::ByMatch, Some(_)) => self.find_unused(used, method, target, body),
        };
        let pick = pick.or_else(|| {
            // Every match used: with repeats allowed, the last one again.
            self.repeats
                .then(|| {
                    self.cassette.interactions.iter().rposition(|interaction| {
                        self.matches(&interaction.request, method, target, body)
                    })
                })
                .flatten()
                .filter(|i| used[*i])
        });
        Ok(pick)
    }

    fn find_unused(
        &self,
        used: &[bool],
        method: &Method,
        target: &str,
        body: &[u8],
    ) -> Option<usize> {
        self.cassette
            .interactions
            .iter()
            .enumerate()
            .find(|(i, interaction)| {
                !used[*i] && self.matches(&interaction.request, method, target, body)
            })
            .map(|(i, _)| i)
    }
}

fn build_response(recorded: &RecordedResponse) -> Result<Response<Vec<u8>>, CassetteError> {
    let mut response = Response::new(recorded.body.to_bytes()?);
    *response.status_mut() = StatusCode::from_u16(recorded.status)
        .map_err(|_| CassetteError::Format(format!("status {} is not valid", recorded.status)))?;
    for (name, value) in &recorded.headers {
        let name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| CassetteError::Format(format!("header name {name:?} is not valid")))?;
        let value = HeaderValue::from_str(value)
            .map_err(|_| CassetteError::Format(format!("header {name} has an invalid value")))?;
        response.headers_mut().append(name, value);
    }
    Ok(response)
}

/// The path and query of a recorded URI (the whole string if it does not
/// parse).
fn path_and_query(uri: &str) -> &str {
    let after_scheme = uri.find("://").map_or(uri, |i| &uri[i + 3..]);
    after_scheme.find('/').map_or("/", |i| &after_scheme[i..])
}
