//! Stubs: answers for routes the sandbox does not model (`GET
//! /v1/reports`), behind the same `ApiKey` authentication as the real
//! ones. Not faults: a stub is the API working, for a route you name.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// An answer for one route the sandbox does not model: a method and a path
/// (and optionally query parameters and a JSON body) that a request must
/// match, the response, how many calls it answers, and how many it
/// expects.
///
/// Stubs are checked after authentication (a call without a valid key
/// gets the 401 a real route would) and before the modelled routes, in the
/// order added; the first that matches answers. The path is relative to
/// the base URL, as a client writes it: `/v1/reports`.
///
/// As JSON (the admin surface, `routy sandbox --stubs FILE`):
///
/// ```json
/// {"method": "GET", "path": "/v1/reports", "query": {"day": "2026-01-01"},
///  "response": {"status": 200, "json": [{"id": "r1"}]}, "times": 1, "expect": 1}
/// ```
///
/// # Examples
///
/// ```
/// use routy_sandbox::Stub;
///
/// let stub = Stub::get("/v1/reports")
///     .query("day", "2026-01-01")
///     .respond_json(200, serde_json::json!([{"id": "r1"}]))
///     .expect(1);
/// let same: Stub = serde_json::from_str(
///     r#"{"method": "GET", "path": "/v1/reports", "query": {"day": "2026-01-01"},
///         "response": {"status": 200, "json": [{"id": "r1"}]}, "expect": 1}"#,
/// )?;
/// assert_eq!(stub, same);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[non_exhaustive]
pub struct Stub {
    /// The method, upper case: `GET`, `POST`…
    pub method: String,
    /// The path under the base URL, without the query: `/v1/reports`.
    pub path: String,
    /// Query parameters the request must carry with these values (others
    /// may come too).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub query: BTreeMap<String, String>,
    /// The JSON the request body must equal, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<Value>,
    /// What it answers.
    pub response: StubResponse,
    /// The most calls it answers; later ones fall through to the next stub
    /// or route. `None` for no limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub times: Option<u32>,
    /// How many calls it must answer: checked by
    /// [`Sandbox::verify_stubs`](crate::Sandbox::verify_stubs) and when the
    /// sandbox is dropped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expect: Option<u32>,
}

/// A stub's response.
///
/// # Examples
///
/// ```
/// let response = routy_sandbox::StubResponse::status(204);
/// assert_eq!(response.status, 204);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[non_exhaustive]
pub struct StubResponse {
    /// The status code.
    pub status: u16,
    /// Response headers.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    /// A JSON body, sent as `application/json`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub json: Option<Value>,
    /// A text body, sent as is (when there is no `json`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
}

impl StubResponse {
    /// A response with `status` and no body.
    pub fn status(status: u16) -> Self {
        StubResponse {
            status,
            headers: BTreeMap::new(),
            json: None,
            body: None,
        }
    }
}

impl Stub {
    /// A stub for `method` and `path` answering `200` with no body.
    ///
    /// # Examples
    ///
    /// ```
    /// let stub = routy_sandbox::Stub::new("DELETE", "/v1/reports/r1").respond_status(204);
    /// assert_eq!(stub.method, "DELETE");
    /// ```
    pub fn new(method: &str, path: &str) -> Self {
        Stub {
            method: method.to_ascii_uppercase(),
            path: path.to_owned(),
            query: BTreeMap::new(),
            body: None,
            response: StubResponse::status(200),
            times: None,
            expect: None,
        }
    }

    /// A `GET` stub.
    pub fn get(path: &str) -> Self {
        Stub::new("GET", path)
    }

    /// A `POST` stub.
    ///
    /// # Examples
    ///
    /// ```
    /// let stub = routy_sandbox::Stub::post("/v1/reports")
    ///     .body_json(serde_json::json!({"day": "2026-01-01"}))
    ///     .respond_json(201, serde_json::json!({"id": "r1"}));
    /// assert_eq!(stub.response.status, 201);
    /// ```
    pub fn post(path: &str) -> Self {
        Stub::new("POST", path)
    }

    /// The request must carry `name=value` in its query.
    pub fn query(mut self, name: &str, value: &str) -> Self {
        self.query.insert(name.to_owned(), value.to_owned());
        self
    }

    /// The request body must be this JSON.
    pub fn body_json(mut self, json: Value) -> Self {
        self.body = Some(json);
        self
    }

    /// Answer `status` with this JSON body.
    pub fn respond_json(mut self, status: u16, json: Value) -> Self {
        self.response = StubResponse {
            json: Some(json),
            ..StubResponse::status(status)
        };
        self
    }

    /// Answer `status` with no body.
    pub fn respond_status(mut self, status: u16) -> Self {
        self.response = StubResponse::status(status);
        self
    }

    /// Answer `status` with `body` as text.
    pub fn respond_text(mut self, status: u16, body: &str) -> Self {
        self.response = StubResponse {
            body: Some(body.to_owned()),
            ..StubResponse::status(status)
        };
        self
    }

    /// Adds a response header.
    pub fn respond_header(mut self, name: &str, value: &str) -> Self {
        self.response
            .headers
            .insert(name.to_owned(), value.to_owned());
        self
    }

    /// Answer at most `times` calls.
    pub fn times(mut self, times: u32) -> Self {
        self.times = Some(times);
        self
    }

    /// Expect exactly `calls` calls: checked by
    /// [`Sandbox::verify_stubs`](crate::Sandbox::verify_stubs) and when the
    /// sandbox is dropped (a panic, as wiremock's expectations do).
    pub fn expect(mut self, calls: u32) -> Self {
        self.expect = Some(calls);
        self
    }

    /// Its problems, in words.
    pub(crate) fn check(&self) -> Result<(), String> {
        if http::Method::from_bytes(self.method.as_bytes()).is_err() {
            return Err(format!("{:?} is not an HTTP method", self.method));
        }
        if !self.path.starts_with('/') || self.path.contains('?') {
            return Err(format!(
                "the path {:?} must start with / and hold no query (give the query as \"query\")",
                self.path
            ));
        }
        if !(100..=999).contains(&self.response.status) {
            return Err(format!(
                "status {} is not a three-digit code",
                self.response.status
            ));
        }
        for (name, value) in &self.response.headers {
            if http::HeaderName::from_bytes(name.as_bytes()).is_err()
                || http::HeaderValue::from_str(value).is_err()
            {
                return Err(format!(
                    "the response header {name:?} is not a valid header"
                ));
            }
        }
        Ok(())
    }

    /// Whether it answers a request with these parts (`path` relative to
    /// the base URL).
    pub(crate) fn matches(&self, method: &str, path: &str, query: &str, body: &[u8]) -> bool {
        self.differences(method, path, query, body)
            .is_some_and(|differs| differs.is_empty())
    }

    /// How a request with these parts differs from what the stub
    /// answers, in words (none: it matches); `None` when the paths are
    /// not even close (more than two edits apart), so the stub is no near
    /// miss.
    fn differences(
        &self,
        method: &str,
        path: &str,
        query: &str,
        body: &[u8],
    ) -> Option<Vec<String>> {
        let (want, got) = (self.path.trim_end_matches('/'), path.trim_end_matches('/'));
        let mut differs = Vec::new();
        if want != got {
            if edits(want, got) > 2 {
                return None;
            }
            differs.push(format!("the path is {got}, not {want}"));
        }
        if self.method != method {
            differs.push(format!("the method is {method}, not {}", self.method));
        }
        let sent: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect();
        for (name, value) in &self.query {
            if !sent.iter().any(|(n, v)| n == name && v == value) {
                differs.push(format!("the query has no {name}={value}"));
            }
        }
        if let Some(want) = &self.body {
            if !serde_json::from_slice::<Value>(body).is_ok_and(|got| &got == want) {
                differs.push("the body is not the stub's JSON".to_owned());
            }
        }
        Some(differs)
    }
}

/// The edit distance between `a` and `b` (insertions, deletions,
/// substitutions of bytes), for near misses.
fn edits(a: &str, b: &str) -> usize {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, x) in a.iter().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, y) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (diagonal + usize::from(x != y))
                .min(above + 1)
                .min(row[j] + 1);
            diagonal = above;
        }
    }
    row[b.len()]
}

/// How a stub's expectation went: see [`Sandbox::verify_stubs`](crate::Sandbox::verify_stubs).
///
/// # Examples
///
/// ```
/// let sandbox = routy_sandbox::Sandbox::start()?;
/// sandbox.add_stub(routy_sandbox::Stub::get("/v1/reports").expect(1))?;
/// let unmet = sandbox.verify_stubs().unwrap_err();
/// assert_eq!(unmet.to_string(), "stub GET /v1/reports expected 1 call(s), got 0");
/// # sandbox.clear_stubs();
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", .unmet.join("; "))]
pub struct UnmetExpectations {
    /// One line per stub whose count was not met.
    pub unmet: Vec<String>,
}

/// A stub and the calls it has answered.
#[derive(Debug)]
pub(crate) struct Stubs {
    stubs: Vec<(Stub, u32)>,
}

impl Stubs {
    pub(crate) const fn new() -> Self {
        Stubs { stubs: Vec::new() }
    }

    pub(crate) fn add(&mut self, stub: Stub) -> Result<(), String> {
        stub.check()?;
        self.stubs.push((stub, 0));
        Ok(())
    }

    pub(crate) fn clear(&mut self) {
        self.stubs.clear();
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.stubs.is_empty()
    }

    /// The response of the first stub that matches and has calls left;
    /// counts the call.
    pub(crate) fn answer(
        &mut self,
        method: &str,
        path: &str,
        query: &str,
        body: &[u8],
    ) -> Option<&StubResponse> {
        let (stub, used) = self.stubs.iter_mut().find(|(stub, used)| {
            stub.times.is_none_or(|t| *used < t) && stub.matches(method, path, query, body)
        })?;
        *used += 1;
        Some(&stub.response)
    }

    /// The stub a request that none answered came nearest to, and what
    /// differed, as a sentence for the 404's detail (wiremock's near
    /// misses); `None` when no stub's path is close.
    pub(crate) fn near_miss(
        &self,
        method: &str,
        path: &str,
        query: &str,
        body: &[u8],
    ) -> Option<String> {
        let (stub, differs) = self
            .stubs
            .iter()
            .filter_map(|(stub, used)| {
                let mut differs = stub.differences(method, path, query, body)?;
                if let Some(times) = stub.times.filter(|t| used >= t) {
                    differs.push(format!("it has answered its {times} call(s)"));
                }
                Some((stub, differs))
            })
            .min_by_key(|(_, differs)| differs.len())?;
        Some(format!(
            "No stub answered {method} {path}. The nearest, {} {}, differs: {}.",
            stub.method,
            stub.path,
            differs.join("; ")
        ))
    }

    pub(crate) fn verify(&self) -> Result<(), UnmetExpectations> {
        let unmet: Vec<String> = self
            .stubs
            .iter()
            .filter_map(|(stub, used)| {
                let want = stub.expect?;
                (want != *used).then(|| {
                    format!(
                        "stub {} {} expected {want} call(s), got {used}",
                        stub.method, stub.path
                    )
                })
            })
            .collect();
        if unmet.is_empty() {
            Ok(())
        } else {
            Err(UnmetExpectations { unmet })
        }
    }
}
