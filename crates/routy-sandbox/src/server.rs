//! Request handling: the Routy API (`/api/...`) behind `ApiKey` auth and
//! the fault layer, and the admin surface (`/_sandbox/...`) behind its own
//! secret. Errors are RFC 9457 problem bodies shaped like ASP.NET's.

use std::collections::BTreeMap;
use std::io::Read;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};
use subtle::ConstantTimeEq;
use tiny_http::{Header, Method, Request, Response, StatusCode};

use crate::clock::WallClock;
use crate::faults::{Decision, Fault, Faults, RateWindow};
use crate::front::Front;
use crate::tokens::{format_time, parse_time, AuthFailure, NewToken, Store, TokenFilter};
use crate::{SandboxError, ADMIN_HEADER};

/// Admin request bodies larger than this are refused.
const MAX_ADMIN_BODY: u64 = 64 * 1024;

/// State every worker shares.
pub(crate) struct Shared {
    pub(crate) store: Mutex<Store>,
    pub(crate) faults: Mutex<Faults>,
    pub(crate) accounts: Vec<u8>,
    pub(crate) admin_secret: String,
    pub(crate) clock: Arc<dyn WallClock>,
    pub(crate) front: Front,
    pub(crate) trace: AtomicU64,
}

impl Shared {
    pub(crate) fn stop_front(&self) {
        self.front.stop();
    }

    fn trace_id(&self) -> String {
        let n = self.trace.fetch_add(1, Ordering::Relaxed) + 1;
        format!("00-{n:032x}-{n:016x}-00")
    }
}

type Reply = Response<std::io::Cursor<Vec<u8>>>;

pub(crate) fn handle(shared: &Shared, mut request: Request) {
    let url = request.url().to_owned();
    let (path, query) = url.split_once('?').unwrap_or((&url, ""));
    let reply = if path == "/_sandbox" || path.starts_with("/_sandbox/") {
        admin(shared, &mut request, path, query)
    } else if path == "/api" || path.starts_with("/api/") {
        match api(shared, &request, path) {
            Some(reply) => reply,
            // The connection was dropped on purpose; nothing to send.
            None => return,
        }
    } else {
        problem(
            shared,
            404,
            "Not Found",
            Some(format!("No route for {path}. The API is under /api.")),
            None,
        )
    };
    let _ = request.respond(reply);
}

fn api(shared: &Shared, request: &Request, path: &str) -> Option<Reply> {
    if let Some(faulted) = injected_fault(shared, request) {
        return faulted.map(|reply| with_quota(shared, reply));
    }
    if let Err(reply) = authenticate(shared, request) {
        return Some(reply);
    }
    let reply = match (request.method(), path.trim_end_matches('/')) {
        (Method::Get, "/api/v1/accounts") => Response::from_data(shared.accounts.clone())
            .with_header(header("Content-Type", "application/json; charset=utf-8")),
        (_, "/api/v1/accounts") => problem(shared, 405, "Method Not Allowed", None, None)
            .with_header(header("Allow", "GET")),
        _ => problem(shared, 404, "Not Found", None, None),
    };
    Some(with_quota(shared, reply))
}

/// `reply` with the `RateLimit-*` headers (IETF draft) while a rate limit
/// is set: a client can see the window's quota spent before it meets a 429.
fn with_quota(shared: &Shared, reply: Reply) -> Reply {
    let Some(quota) = shared.faults().quota(shared.clock.now()) else {
        return reply;
    };
    reply
        .with_header(header("RateLimit-Limit", &quota.limit.to_string()))
        .with_header(header("RateLimit-Remaining", &quota.remaining.to_string()))
        .with_header(header("RateLimit-Reset", &quota.reset_secs.to_string()))
}

/// What an injected fault makes of this request, if one is due:
/// `Some(None)` when the connection was dropped mid-response.
fn injected_fault(shared: &Shared, request: &Request) -> Option<Option<Reply>> {
    let now = shared.clock.now();
    let decision = shared.faults().next(now);
    match decision {
        Decision::RateLimited { retry_after_secs } => {
            let reply = problem(
                shared,
                429,
                "Too Many Requests",
                Some("The rate limit was exceeded. Retry after the time in Retry-After.".into()),
                None,
            );
            Some(Some(reply.with_header(header(
                "Retry-After",
                &retry_after_secs.to_string(),
            ))))
        }
        Decision::Fault(Fault::Respond {
            status,
            headers,
            body,
        }) => {
            let mut reply =
                Response::from_data(body.into_bytes()).with_status_code(StatusCode(status));
            for (name, value) in headers {
                reply = reply.with_header(header(&name, &value));
            }
            Some(Some(reply))
        }
        Decision::Fault(Fault::Delay { ms }) => {
            std::thread::sleep(Duration::from_millis(ms));
            None
        }
        Decision::Fault(Fault::Drop) => {
            let body = &shared.accounts;
            let mut partial = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
                body.len() + 1
            )
            .into_bytes();
            partial.extend_from_slice(&body[..body.len() / 2]);
            if let Some(peer) = request.remote_addr() {
                shared.front.drop_connection(*peer, &partial);
            }
            Some(None)
        }
        Decision::Proceed => None,
    }
}

/// The 401 reply for a request whose token is missing, malformed,
/// unknown, deleted or expired.
fn authenticate(shared: &Shared, request: &Request) -> Result<(), Reply> {
    let auth = request
        .headers()
        .iter()
        .find(|h| h.field.equiv("Authorization"))
        .map(|h| h.value.as_str());
    let authenticated = shared.store().authenticate(auth);
    if let Err(failure) = authenticated {
        let detail = match failure {
            AuthFailure::Missing => "The Authorization header is missing. Send 'Authorization: ApiKey <token>'.".to_owned(),
            AuthFailure::WrongScheme => "The Authorization header must use the ApiKey scheme: 'Authorization: ApiKey <token>'.".to_owned(),
            AuthFailure::Unknown => "The API token is not valid.".to_owned(),
            AuthFailure::Deleted => "The API token has been deleted.".to_owned(),
            AuthFailure::Expired(at) => format!("The API token expired at {}.", format_time(at)),
        };
        let reply = problem(shared, 401, "Unauthorized", Some(detail), None);
        return Err(reply.with_header(header("WWW-Authenticate", "ApiKey")));
    }
    Ok(())
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
            let id = &id["/tokens/".len()..];
            let deleted = shared.store().delete(id);
            match deleted {
                Ok(()) => Ok(Response::from_data(Vec::new()).with_status_code(StatusCode(204))),
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
        (Method::Post, "/faults") => read_json(request).and_then(|body| push_faults(shared, body)),
        (Method::Delete, "/faults") => {
            shared.faults().clear();
            Ok(Response::from_data(Vec::new()).with_status_code(StatusCode(204)))
        }
        (Method::Put, "/rate-limit") => {
            read_json(request).and_then(|body| rate_limit(shared, &body))
        }
        (Method::Delete, "/rate-limit") => {
            let now = shared.clock.now();
            shared.faults().set_rate_limit(None, now);
            Ok(Response::from_data(Vec::new()).with_status_code(StatusCode(204)))
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
    let issued = shared.store().issue(new);
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
    let tokens = shared.store().list(&filter);
    Ok(json_reply(200, &json!(tokens)))
}

fn push_faults(shared: &Shared, body: Value) -> Result<Reply, BadRequest> {
    let faults: Vec<Fault> = match body {
        Value::Array(_) => serde_json::from_value(body),
        other => serde_json::from_value(other).map(|f| vec![f]),
    }
    .map_err(|e| {
        let mut errors = BTreeMap::new();
        errors.insert("Fault".to_owned(), vec![e.to_string()]);
        BadRequest(validation(shared, errors))
    })?;
    let mut queue = shared.faults();
    for fault in faults {
        queue.push(fault);
    }
    Ok(json_reply(200, &json!({"pending": queue.pending()})))
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
    shared.faults().set_rate_limit(
        Some(RateWindow::new(requests, Duration::from_secs(window))),
        now,
    );
    Ok(Response::from_data(Vec::new()).with_status_code(StatusCode(204)))
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

/// The RFC 9110 section each status's problem `type` points at, as ASP.NET
/// does.
fn type_uri(status: u16) -> &'static str {
    match status {
        400 => "https://tools.ietf.org/html/rfc9110#section-15.5.1",
        401 => "https://tools.ietf.org/html/rfc9110#section-15.5.2",
        404 => "https://tools.ietf.org/html/rfc9110#section-15.5.5",
        405 => "https://tools.ietf.org/html/rfc9110#section-15.5.6",
        429 => "https://tools.ietf.org/html/rfc6585#section-4",
        _ => "https://tools.ietf.org/html/rfc9110#section-15.6.1",
    }
}

fn problem(
    shared: &Shared,
    status: u16,
    title: &str,
    detail: Option<String>,
    errors: Option<BTreeMap<String, Vec<String>>>,
) -> Reply {
    let mut body = json!({
        "type": type_uri(status),
        "title": title,
        "status": status,
    });
    if let Some(detail) = detail {
        body["detail"] = Value::String(detail);
    }
    if let Some(errors) = errors {
        body["errors"] = json!(errors);
    }
    body["traceId"] = Value::String(shared.trace_id());
    problem_reply(status, &body)
}

/// A problem without a trace id, for errors met before the shared state is
/// at hand.
fn plain_problem(status: u16, title: &str, detail: &str) -> Reply {
    problem_reply(
        status,
        &json!({"type": type_uri(status), "title": title, "status": status, "detail": detail}),
    )
}

fn problem_reply(status: u16, body: &Value) -> Reply {
    Response::from_data(serde_json::to_vec(body).unwrap_or_default())
        .with_status_code(StatusCode(status))
        .with_header(header(
            "Content-Type",
            "application/problem+json; charset=utf-8",
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
