//! Recording: a transport that keeps every exchange it passes on.

use std::collections::BTreeSet;
use std::fmt;
use std::path::Path;
use std::sync::{Mutex, PoisonError};
use std::time::SystemTime;

use routy_core::http::{Request, Response};
use routy_core::{Transport, TransportError};

use super::format::{
    Cassette, CassetteError, Interaction, RecordedBody, RecordedRequest, RecordedResponse,
    DEFAULT_SCRUBBED, REDACTED,
};
use super::secrets::check_for_secrets;

/// A transport that passes requests to `inner` and records every exchange.
///
/// # Examples
///
/// ```
/// use routy::{http, ApiKey, ClientBuilder, TransportError};
/// use routy_testkit::Recorder;
///
/// let inner = routy::transport_fn(|_req| {
///     Ok(http::Response::new(br#"[{"id": 1}]"#.to_vec()))
/// });
/// let recorder = std::sync::Arc::new(Recorder::new(inner));
/// let client = ClientBuilder::new()
///     .api_key(ApiKey::new("OaBw1+4DqFfDLXOLpWthbfp502Wc0D4tICsxNcT+aeQ=")?)
///     .build_with(recorder.clone())?;
/// client.accounts()?;
/// let cassette = recorder.cassette()?;
/// assert_eq!(cassette.interactions.len(), 1);
/// let auth = &cassette.interactions[0].request.headers.iter().find(|(k, _)| k == "authorization").unwrap().1;
/// assert_eq!(auth, "[redacted]");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Recorder<T> {
    inner: T,
    scrubbed: BTreeSet<String>,
    recorded_at: Option<SystemTime>,
    state: Mutex<RecorderState>,
}

#[allow(
    clippy::disallowed_methods,
    reason = "a cassette is dated by the wall clock"
)]
fn now() -> SystemTime {
    SystemTime::now()
}

#[derive(Default)]
struct RecorderState {
    interactions: Vec<Interaction>,
    /// Every API key seen in an `Authorization` header.
    secrets: BTreeSet<String>,
}

impl<T: Transport> Recorder<T> {
    /// Records through `inner`, scrubbing [`DEFAULT_SCRUBBED`] headers.
    pub fn new(inner: T) -> Self {
        Recorder {
            inner,
            scrubbed: DEFAULT_SCRUBBED.iter().map(|h| (*h).to_owned()).collect(),
            recorded_at: None,
            state: Mutex::default(),
        }
    }

    /// Dates the cassette `at` instead of the time it is written (for
    /// tests of cassette age).
    ///
    /// # Examples
    ///
    /// ```
    /// # let inner = routy::transport_fn(|_req| { Err(routy::TransportErrorKind::Connect.into()) });
    /// let recorder = routy_testkit::Recorder::new(inner).recorded_at(std::time::SystemTime::UNIX_EPOCH);
    /// assert_eq!(recorder.cassette()?.recorded_at.as_deref(), Some("1970-01-01T00:00:00Z"));
    /// # Ok::<(), routy_testkit::CassetteError>(())
    /// ```
    pub fn recorded_at(mut self, at: SystemTime) -> Self {
        self.recorded_at = Some(at);
        self
    }

    /// Also scrubs the header `name` (in requests and responses).
    ///
    /// # Examples
    ///
    /// ```
    /// # let inner = routy::transport_fn(|_req| { Err(routy::TransportErrorKind::Connect.into()) });
    /// let recorder = routy_testkit::Recorder::new(inner).scrub_header("X-Internal-Token");
    /// # let _ = recorder;
    /// ```
    pub fn scrub_header(mut self, name: &str) -> Self {
        self.scrubbed.insert(name.to_ascii_lowercase());
        self
    }

    /// The exchanges so far, scrubbed.
    ///
    /// # Errors
    ///
    /// [`CassetteError::SecretFound`] if a recorded key, or any 8 bytes of
    /// one, survived scrubbing.
    pub fn cassette(&self) -> Result<Cassette, CassetteError> {
        let state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let mut cassette = Cassette::new(state.interactions.clone());
        cassette.recorded_at = Some(
            humantime::format_rfc3339_seconds(self.recorded_at.unwrap_or_else(now)).to_string(),
        );
        check_for_secrets(&cassette, &state.secrets)?;
        Ok(cassette)
    }

    /// Writes the cassette as pretty JSON to `path`.
    ///
    /// # Errors
    ///
    /// [`CassetteError::SecretFound`] (nothing is written) or
    /// [`CassetteError::Io`].
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # let inner = routy::transport_fn(|_req| { Err(routy::TransportErrorKind::Connect.into()) });
    /// let recorder = routy_testkit::Recorder::new(inner);
    /// // ... calls through a client over the recorder ...
    /// recorder.save("tests/cassettes/accounts.json")?;
    /// # Ok::<(), routy_testkit::CassetteError>(())
    /// ```
    pub fn save(&self, path: impl AsRef<Path>) -> Result<(), CassetteError> {
        self.cassette()?.save(path)
    }

    fn record(&self, request: &Request<Vec<u8>>, response: &Response<Vec<u8>>) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        for value in request.headers().get_all("authorization") {
            if let Some(token) = value
                .to_str()
                .ok()
                .and_then(|v| v.split_once(' '))
                .map(|(_, t)| t.trim())
            {
                if !token.is_empty() {
                    state.secrets.insert(token.to_owned());
                }
            }
        }
        let headers = |map: &routy_core::http::HeaderMap| -> Vec<(String, String)> {
            map.iter()
                .map(|(name, value)| {
                    let shown = if self.scrubbed.contains(name.as_str()) {
                        REDACTED.to_owned()
                    } else {
                        String::from_utf8_lossy(value.as_bytes()).into_owned()
                    };
                    (name.to_string(), shown)
                })
                .collect()
        };
        state.interactions.push(Interaction {
            request: RecordedRequest {
                method: request.method().to_string(),
                uri: request.uri().to_string(),
                headers: headers(request.headers()),
                body: RecordedBody::from_bytes(request.body()),
            },
            response: RecordedResponse {
                status: response.status().as_u16(),
                headers: headers(response.headers()),
                body: RecordedBody::from_bytes(response.body()),
            },
        });
    }
}

impl<T: Transport> Transport for Recorder<T> {
    fn send(&self, request: Request<Vec<u8>>) -> Result<Response<Vec<u8>>, TransportError> {
        // The request is consumed by the transport; keep a copy to record.
        let mut copy = Request::new(request.body().clone());
        *copy.method_mut() = request.method().clone();
        *copy.uri_mut() = request.uri().clone();
        *copy.headers_mut() = request.headers().clone();
        let response = self.inner.send(request)?;
        self.record(&copy, &response);
        Ok(response)
    }
}

impl<T> fmt::Debug for Recorder<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        f.debug_struct("Recorder")
            .field("interactions", &state.interactions.len())
            .field("scrubbed", &self.scrubbed)
            .finish_non_exhaustive()
    }
}
