//! The socket side of the sandbox: tiny_http requests in, the
//! [`model`](crate::model) asked, its answers written back (with the
//! connection faults a real socket can show), and the admin surface
//! (`/_sandbox/...`) behind its own secret.

use std::collections::BTreeMap;
use std::io::Read;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};
use subtle::ConstantTimeEq;
use tiny_http::{Header, Method, Request, Response, StatusCode};

use crate::clock::parse_time;
use crate::clock::WallClock;
use crate::error::SandboxError;
use crate::faults::{Fault, FaultRule, RateWindow};
use crate::front::{Front, Step};
use crate::model::{self, Api};
use crate::stubs::Stub;
use crate::sync::Locked;
use crate::tokens::{NewToken, TokenFilter};

/// The header that carries the admin secret.
pub const ADMIN_HEADER: &str = "X-Routy-Sandbox-Admin";

/// Admin request bodies larger than this are refused.
const MAX_ADMIN_BODY: u64 = 64 * 1024;

/// API request bodies larger than this are refused (413).
const MAX_API_BODY: u64 = 1024 * 1024;

/// State every worker shares.
pub(crate) struct Shared {
    pub(crate) api: Mutex<Api>,
    pub(crate) admin_secret: String,
    pub(crate) clock: Arc<dyn WallClock>,
    pub(crate) front: Front,
}

impl Shared {
    pub(crate) fn stop_front(&self) {
        self.front.stop();
    }

    pub(crate) fn api(&self) -> std::sync::MutexGuard<'_, Api> {
        self.api.locked()
    }
}

type Reply = Response<std::io::Cursor<Vec<u8>>>;

pub(crate) fn handle(shared: &Shared, mut request: Request) {
    let url = request.url().to_owned();
    let (path, query) = url.split_once('?').unwrap_or((&url, ""));
    if path == "/_sandbox" || path.starts_with("/_sandbox/") {
        let reply = admin(shared, &mut request, path, query);
        let _ = request.respond(reply);
        return;
    }
    let converted = match to_http(&mut request) {
        Ok(converted) => converted,
        Err(reply) => {
            let _ = request.respond(to_tiny(*reply));
            return;
        }
    };
    let now = shared.clock.now();
    let answer = shared.api().handle(&converted, now);
    if !answer.delay.is_zero() {
        std::thread::sleep(answer.delay);
    }
    match answer.connection {
        None => {
            let _ = request.respond(to_tiny(answer.response));
        }
        Some(fault) => {
            if let Some(peer) = request.remote_addr().copied() {
                let (steps, reset) = broken(&fault, &answer.response);
                shared.front.break_connection(peer, &steps, reset);
            }
        }
    }
}

/// The request as the model takes it; a 400 or 413 when it cannot be.
fn to_http(request: &mut Request) -> Result<http::Request<Vec<u8>>, Box<http::Response<Vec<u8>>>> {
    let bad = |status: u16, title: &str, detail: &str| {
        Box::new(model::problem_response(
            status,
            &json!({"type": model::type_uri(status), "title": title, "status": status, "detail": detail}),
        ))
    };
    let mut body = Vec::new();
    let read = request
        .as_reader()
        .take(MAX_API_BODY + 1)
        .read_to_end(&mut body);
    if read.is_err() {
        return Err(bad(400, "Bad Request", "The body could not be read."));
    }
    if body.len() as u64 > MAX_API_BODY {
        return Err(bad(413, "Content Too Large", "The body is over 1 MiB."));
    }
    let mut converted = http::Request::builder()
        .method(request.method().as_str())
        .uri(request.url())
        .body(body)
        .map_err(|_| bad(400, "Bad Request", "The request line is not valid."))?;
    let headers = converted.headers_mut();
    for header in request.headers() {
        // A header the http crate refuses is one no route reads.
        if let (Ok(name), Ok(value)) = (
            http::HeaderName::from_bytes(header.field.as_str().as_str().as_bytes()),
            http::HeaderValue::from_bytes(header.value.as_str().as_bytes()),
        ) {
            headers.append(name, value);
        }
    }
    Ok(converted)
}

fn to_tiny(response: http::Response<Vec<u8>>) -> Reply {
    let (parts, body) = response.into_parts();
    let mut reply = Response::from_data(body).with_status_code(StatusCode(parts.status.as_u16()));
    for (name, value) in &parts.headers {
        reply = reply.with_header(header(
            name.as_str(),
            &String::from_utf8_lossy(value.as_bytes()),
        ));
    }
    reply
}

/// The bytes a connection fault sends of `response`, and whether it ends
/// in a reset (RST) rather than a close.
fn broken(fault: &Fault, response: &http::Response<Vec<u8>>) -> (Vec<Step>, bool) {
    let body = response.body();
    // A body cut short must be announced longer than what is sent, even
    // when it is empty.
    let cut = || {
        let announced = format!("Content-Length: {}\r\n", body.len().max(2));
        [head(response, &announced), body[..body.len() / 2].to_vec()].concat()
    };
    match *fault {
        Fault::Reset => (Vec::new(), true),
        Fault::Empty => (Vec::new(), false),
        Fault::Stall { ms } => (
            vec![Step::Write(cut()), Step::Pause(Duration::from_millis(ms))],
            false,
        ),
        Fault::Drip { bytes_per_second } => {
            let length = format!("Content-Length: {}\r\nConnection: close\r\n", body.len());
            let whole = [head(response, &length), body.clone()].concat();
            (drip(&whole, bytes_per_second), false)
        }
        Fault::BadChunked => {
            let mut bytes = head(response, "Transfer-Encoding: chunked\r\n");
            bytes.extend_from_slice(b"zz\r\n");
            bytes.extend_from_slice(&body[..body.len() / 2]);
            bytes.extend_from_slice(b"\r\n0\r\n\r\n");
            (vec![Step::Write(bytes)], false)
        }
        // Drop, and any connection fault added later: half the body,
        // a moment for it to reach the client, then a reset.
        _ => (
            vec![Step::Write(cut()), Step::Pause(Duration::from_millis(20))],
            true,
        ),
    }
}

/// The status line and headers of `response`, with `extra` header lines.
fn head(response: &http::Response<Vec<u8>>, extra: &str) -> Vec<u8> {
    let status = response.status();
    let mut head = format!(
        "HTTP/1.1 {} {}\r\n",
        status.as_u16(),
        status.canonical_reason().unwrap_or("Unknown")
    );
    for (name, value) in response.headers() {
        head.push_str(name.as_str());
        head.push_str(": ");
        head.push_str(&String::from_utf8_lossy(value.as_bytes()));
        head.push_str("\r\n");
    }
    head.push_str(extra);
    head.push_str("\r\n");
    head.into_bytes()
}

/// `bytes` in bursts of `per_second`, a second apart.
fn drip(bytes: &[u8], per_second: u32) -> Vec<Step> {
    let mut steps = Vec::new();
    for chunk in bytes.chunks(per_second.max(1) as usize) {
        if !steps.is_empty() {
            steps.push(Step::Pause(Duration::from_secs(1)));
        }
        steps.push(Step::Write(chunk.to_vec()));
    }
    steps
}

fn admin(shared: &Shared, request: &mut Request, path: &str, query: &str) -> Reply {
    let presented = request
        .headers()
        .iter()
        .find(|h| h.field.equiv(ADMIN_HEADER))
        .map(|h| h.value.as_str().to_owned())
        .unwrap_or_default();
    if !bool::from(presented.as_bytes().ct_eq(shared.admin_secret.as_bytes())) {
        return problem(
            shared,
            401,
            "Unauthorized",
            Some(format!(
                "The sandbox admin surface needs the {ADMIN_HEADER} header."
            )),
            None,
        );
    }
    let route = path.trim_start_matches("/_sandbox").trim_end_matches('/');
    let result = match (request.method().clone(), route) {
        (Method::Post, "/tokens") => read_json(request).and_then(|body| issue(shared, &body)),
        (Method::Get, "/tokens") => list(shared, query),
        (Method::Delete, id) if id.starts_with("/tokens/") => {
            delete_token(shared, &id["/tokens/".len()..])
        }
        (Method::Post, "/faults") => read_json(request).and_then(|body| push_faults(shared, body)),
        (Method::Delete, "/faults") => {
            shared.api().clear_faults();
            Ok(no_content())
        }
        (method, "/stubs" | "/stubs/verify" | "/journal") => {
            stubs_and_journal(shared, request, &method, route)
        }
        (Method::Put, "/rate-limit") => {
            read_json(request).and_then(|body| rate_limit(shared, &body))
        }
        (Method::Delete, "/rate-limit") => {
            let now = shared.clock.now();
            shared.api().set_rate_limit(None, now);
            Ok(no_content())
        }
        _ => Err(BadRequest(problem(
            shared,
            404,
            "Not Found",
            Some(format!("No sandbox route {path}.")),
            None,
        ))),
    };
    match result {
        Ok(reply) | Err(BadRequest(reply)) => reply,
    }
}

fn delete_token(shared: &Shared, id: &str) -> Result<Reply, BadRequest> {
    let now = shared.clock.now();
    let deleted = shared.api().delete_token(id, now);
    match deleted {
        Ok(()) => Ok(no_content()),
        Err(SandboxError::NoSuchToken(_)) => Err(BadRequest(problem(
            shared,
            404,
            "Not Found",
            Some(format!("No token with id {id}.")),
            None,
        ))),
        Err(err) => Err(BadRequest(internal(shared, &err))),
    }
}

/// The admin routes for stubs and the journal.
fn stubs_and_journal(
    shared: &Shared,
    request: &mut Request,
    method: &Method,
    route: &str,
) -> Result<Reply, BadRequest> {
    match (method, route) {
        (&Method::Post, "/stubs") => read_json(request).and_then(|body| push_stubs(shared, body)),
        (&Method::Delete, "/stubs") => {
            shared.api().clear_stubs();
            Ok(no_content())
        }
        (&Method::Get, "/stubs/verify") => {
            let verified = shared.api().verify_stubs();
            match verified {
                Ok(()) => Ok(no_content()),
                Err(unmet) => Err(BadRequest(problem(
                    shared,
                    409,
                    "Conflict",
                    Some(unmet.to_string()),
                    None,
                ))),
            }
        }
        (&Method::Get, "/journal") => {
            let journal = shared.api().journal();
            Ok(json_reply(200, &json!(journal)))
        }
        (&Method::Delete, "/journal") => {
            shared.api().clear_journal();
            Ok(no_content())
        }
        _ => Err(BadRequest(problem(
            shared,
            405,
            "Method Not Allowed",
            Some(format!(
                "The sandbox route /_sandbox{route} does not take {method}."
            )),
            None,
        ))),
    }
}

/// An error reply, already rendered.
struct BadRequest(Reply);

impl From<Reply> for BadRequest {
    fn from(reply: Reply) -> Self {
        BadRequest(reply)
    }
}

fn read_json(request: &mut Request) -> Result<Value, BadRequest> {
    let mut body = Vec::new();
    let read = request
        .as_reader()
        .take(MAX_ADMIN_BODY + 1)
        .read_to_end(&mut body);
    if read.is_err() || body.len() as u64 > MAX_ADMIN_BODY {
        return Err(BadRequest(plain_problem(
            400,
            "Bad Request",
            "The body could not be read or is too large.",
        )));
    }
    serde_json::from_slice(&body).map_err(|e| {
        BadRequest(plain_problem(
            400,
            "Bad Request",
            &format!("The body is not valid JSON: {e}."),
        ))
    })
}

fn issue(shared: &Shared, body: &Value) -> Result<Reply, BadRequest> {
    let mut errors: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let name = match body.get("name") {
        Some(Value::String(name)) => name.clone(),
        Some(_) => {
            errors.insert(
                "Name".into(),
                vec!["The Name field must be a string.".into()],
            );
            String::new()
        }
        None => {
            errors.insert("Name".into(), vec!["The Name field is required.".into()]);
            String::new()
        }
    };
    let creator = body
        .get("creator")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let expires_at = expiry(body, shared.clock.now(), &mut errors);
    if !errors.is_empty() {
        return Err(validation(shared, errors).into());
    }
    let new = NewToken {
        name,
        creator,
        expires_at,
    };
    let now = shared.clock.now();
    let issued = shared.api().issue_token(new, now);
    match issued {
        Ok(issued) => {
            let mut value = serde_json::to_value(&issued.info).unwrap_or_default();
            if let Some(object) = value.as_object_mut() {
                object.insert("token".into(), Value::String(issued.secret().to_owned()));
            }
            Ok(json_reply(201, &value))
        }
        Err(SandboxError::Validation(errors)) => Err(validation(shared, errors).into()),
        Err(err) => Err(internal(shared, &err).into()),
    }
}

/// When a new token expires: `expiresAt` (RFC 3339), else
/// `expiresInDays` from `now`, else never; problems go into `errors`.
fn expiry(
    body: &Value,
    now: std::time::SystemTime,
    errors: &mut BTreeMap<String, Vec<String>>,
) -> Option<std::time::SystemTime> {
    let mut expires_at = None;
    match body.get("expiresAt") {
        None | Some(Value::Null) => {}
        Some(Value::String(text)) => match parse_time(text) {
            Ok(at) => expires_at = Some(at),
            Err(_) => {
                errors.insert(
                    "ExpiresAt".into(),
                    vec![format!("'{text}' is not a valid RFC 3339 date.")],
                );
            }
        },
        Some(_) => {
            errors.insert(
                "ExpiresAt".into(),
                vec!["The ExpiresAt field must be a string.".into()],
            );
        }
    }
    match body.get("expiresInDays") {
        None | Some(Value::Null) => {}
        Some(days) => match days.as_u64().filter(|d| (1..=3650).contains(d)) {
            Some(days) => expires_at = Some(now + Duration::from_secs(days * 86_400)),
            None => {
                errors.insert(
                    "ExpiresInDays".into(),
                    vec!["ExpiresInDays must be a whole number from 1 to 3650.".into()],
                );
            }
        },
    }
    expires_at
}

fn list(shared: &Shared, query: &str) -> Result<Reply, BadRequest> {
    let mut filter = TokenFilter::default();
    let mut errors: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (key, value) in form_urlencoded::parse(query.as_bytes()) {
        let value = value.into_owned();
        let mut time = |slot: &mut Option<std::time::SystemTime>| match parse_time(&value) {
            Ok(t) => *slot = Some(t),
            Err(_) => {
                errors.entry(key.to_string()).or_default().push(format!(
                    "'{value}' is not a valid date (RFC 3339 or YYYY-MM-DD)."
                ));
            }
        };
        match key.as_ref() {
            "search" => filter.search = Some(value),
            "creator" => filter.creator = Some(value),
            "createdFrom" => time(&mut filter.created_from),
            "createdTo" => time(&mut filter.created_to),
            "lastUsedFrom" => time(&mut filter.last_used_from),
            "lastUsedTo" => time(&mut filter.last_used_to),
            "expiringWithinDays" | "recentlyUsedWithinDays" => match value.parse::<u64>() {
                Ok(days) if days <= 36_500 => {
                    let within = Some(Duration::from_secs(days * 86_400));
                    if key == "expiringWithinDays" {
                        filter.expiring_within = within;
                    } else {
                        filter.recently_used_within = within;
                    }
                }
                _ => {
                    errors
                        .entry(key.to_string())
                        .or_default()
                        .push(format!("'{value}' is not a whole number of days."));
                }
            },
            other => {
                errors
                    .entry(other.to_owned())
                    .or_default()
                    .push("Unknown filter.".into());
            }
        }
    }
    if !errors.is_empty() {
        return Err(validation(shared, errors).into());
    }
    let now = shared.clock.now();
    let tokens = shared.api().tokens(&filter, now);
    Ok(json_reply(200, &json!(tokens)))
}

fn push_faults(shared: &Shared, body: Value) -> Result<Reply, BadRequest> {
    let api = add_each(shared, body, "Fault", |api, rule: FaultRule| {
        api.add_fault(rule)
    })?;
    Ok(json_reply(200, &json!({"pending": api.pending_faults()})))
}

fn push_stubs(shared: &Shared, body: Value) -> Result<Reply, BadRequest> {
    drop(add_each(shared, body, "Stub", |api, stub: Stub| {
        api.add_stub(stub)
    })?);
    Ok(no_content())
}

/// Parses `body` as one item or an array and adds each with `add`; a
/// refused one is a validation problem under `field`. The API stays
/// locked for the caller to answer from.
fn add_each<'s, T: serde::de::DeserializeOwned>(
    shared: &'s Shared,
    body: Value,
    field: &str,
    add: impl Fn(&mut Api, T) -> Result<(), SandboxError>,
) -> Result<std::sync::MutexGuard<'s, Api>, BadRequest> {
    let items: Vec<T> = one_or_many(body).map_err(|e| field_problem(shared, field, e))?;
    let mut api = shared.api();
    for item in items {
        add(&mut api, item).map_err(|e| match e {
            SandboxError::Validation(errors) => BadRequest(validation_locked(&mut api, errors)),
            other => BadRequest(to_tiny(api.problem(
                500,
                "Internal Server Error",
                Some(other.to_string()),
                None,
            ))),
        })?;
    }
    Ok(api)
}

/// One item or an array of them.
fn one_or_many<T: serde::de::DeserializeOwned>(body: Value) -> Result<Vec<T>, String> {
    match body {
        Value::Array(_) => serde_json::from_value(body),
        other => serde_json::from_value(other).map(|item| vec![item]),
    }
    .map_err(|e| e.to_string())
}

fn field_problem(shared: &Shared, field: &str, message: String) -> BadRequest {
    let mut errors = BTreeMap::new();
    errors.insert(field.to_owned(), vec![message]);
    BadRequest(validation(shared, errors))
}

fn no_content() -> Reply {
    Response::from_data(Vec::new()).with_status_code(StatusCode(204))
}

fn rate_limit(shared: &Shared, body: &Value) -> Result<Reply, BadRequest> {
    let requests = body
        .get("requests")
        .and_then(Value::as_u64)
        .and_then(|n| u32::try_from(n).ok());
    let window = body
        .get("windowSeconds")
        .and_then(Value::as_u64)
        .filter(|s| *s > 0);
    let (Some(requests), Some(window)) = (requests, window) else {
        let mut errors = BTreeMap::new();
        errors.insert(
            "RateLimit".to_owned(),
            vec![
                "Send {\"requests\": N, \"windowSeconds\": S} with whole numbers, S > 0."
                    .to_owned(),
            ],
        );
        return Err(validation(shared, errors).into());
    };
    let now = shared.clock.now();
    shared.api().set_rate_limit(
        Some(RateWindow::new(requests, Duration::from_secs(window))),
        now,
    );
    Ok(no_content())
}

fn validation(shared: &Shared, errors: BTreeMap<String, Vec<String>>) -> Reply {
    problem(
        shared,
        400,
        "One or more validation errors occurred.",
        None,
        Some(errors),
    )
}

fn internal(shared: &Shared, err: &SandboxError) -> Reply {
    problem(
        shared,
        500,
        "Internal Server Error",
        Some(err.to_string()),
        None,
    )
}

fn validation_locked(api: &mut Api, errors: BTreeMap<String, Vec<String>>) -> Reply {
    to_tiny(api.problem(
        400,
        "One or more validation errors occurred.",
        None,
        Some(errors),
    ))
}

fn problem(
    shared: &Shared,
    status: u16,
    title: &str,
    detail: Option<String>,
    errors: Option<BTreeMap<String, Vec<String>>>,
) -> Reply {
    let reply = shared.api().problem(status, title, detail, errors);
    to_tiny(reply)
}

/// A problem without a trace id, for errors met before the shared state is
/// at hand.
fn plain_problem(status: u16, title: &str, detail: &str) -> Reply {
    to_tiny(model::problem_response(
        status,
        &json!({"type": model::type_uri(status), "title": title, "status": status, "detail": detail}),
    ))
}

fn json_reply(status: u16, body: &Value) -> Reply {
    Response::from_data(serde_json::to_vec(body).unwrap_or_default())
        .with_status_code(StatusCode(status))
        .with_header(header("Content-Type", "application/json; charset=utf-8"))
}

fn header(name: &str, value: &str) -> Header {
    // Our own names and values are valid; a scripted fault's header that
    // tiny_http refuses becomes a marker rather than a panic.
    Header::from_bytes(name.as_bytes(), value.as_bytes()).unwrap_or_else(|()| {
        Header::from_bytes(&b"X-Sandbox-Invalid-Header"[..], &b"1"[..])
            .expect("a constant, valid header")
    })
}
