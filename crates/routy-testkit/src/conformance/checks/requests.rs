//! Requests as sent and responses as received: the exact request line
//! and headers, bodies both ways, every status, no redirect followed.

use std::hash::Hasher;
use std::net::TcpStream;

use routy_core::http::{Method, Request, Response};
use routy_core::Transport;

use super::super::server::{Answer, Incoming, Reply, Server, Shared};
use super::super::{get, limits, send, ECHO_BODY, METHODS};

/// The request body the echo check sends: every byte value, repeated.
fn echo_body() -> Vec<u8> {
    (0..ECHO_BODY).map(|i| (i % 256) as u8).collect()
}

/// A hash both the check and the server compute of a body.
fn body_hash(body: &[u8]) -> String {
    let mut hasher = std::hash::DefaultHasher::new();
    hasher.write(body);
    format!("{:016x}", hasher.finish())
}

/// The target the exact-request check sends: an encoded slash, a
/// repeated query key, an empty value, a `;`.
const EXACT_TARGET: &str = "/echo/a%2Fb?q=a%20b&x=1&x=2&empty=&semi=a;b";

pub(in crate::conformance) fn exact_requests<T: Transport + ?Sized>(
    transport: &T,
    server: &Server,
) -> Result<(), String> {
    let big = echo_body();
    for method in METHODS {
        for body in [Vec::new(), big.clone()] {
            let what = format!("{method} with a {} byte body", body.len());
            let (len, hash) = (body.len(), body_hash(&body));
            let request = exact_request(server, &method, body)?;
            let response = send(transport, request).map_err(|e| format!("{what}: {e}"))?;
            if let Some(problem) = echo_problem(&response, &method, len, &hash) {
                return Err(format!("{what}: {problem}"));
            }
        }
    }
    Ok(())
}

/// A `method` request to [`EXACT_TARGET`] with repeated and
/// space-sensitive headers and `body`.
fn exact_request(
    server: &Server,
    method: &Method,
    body: Vec<u8>,
) -> Result<Request<Vec<u8>>, String> {
    let mut request = get(&server.url(EXACT_TARGET), limits());
    *request.method_mut() = method.clone();
    let headers = request.headers_mut();
    headers.append("x-multi", "one".parse().map_err(|_| "header")?);
    headers.append("x-multi", "two".parse().map_err(|_| "header")?);
    headers.append(
        "x-exact",
        "Keep  these  Spaces".parse().map_err(|_| "header")?,
    );
    if !body.is_empty() {
        headers.append(
            "content-type",
            "application/octet-stream".parse().map_err(|_| "header")?,
        );
    }
    *request.body_mut() = body;
    Ok(request)
}

/// What the echo server saw that differs from what
/// [`exact_request`] sent, if anything.
fn echo_problem(
    response: &Response<Vec<u8>>,
    method: &Method,
    len: usize,
    hash: &str,
) -> Option<String> {
    let echoed = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("(missing)")
            .to_owned()
    };
    let seen_headers: Vec<String> = response
        .headers()
        .get_all("x-echo-header")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(str::to_ascii_lowercase)
        .collect();
    let mine: Vec<&String> = seen_headers
        .iter()
        .filter(|h| h.starts_with("x-multi:") || h.starts_with("x-exact:"))
        .collect();
    let problems = [
        (echoed("x-echo-method") != method.as_str())
            .then(|| format!("the method arrived as {}", echoed("x-echo-method"))),
        (echoed("x-echo-url") != EXACT_TARGET)
            .then(|| format!("the target arrived as {}", echoed("x-echo-url"))),
        (mine
            != [
                "x-multi: one",
                "x-multi: two",
                "x-exact: keep  these  spaces",
            ])
        .then(|| format!("the headers arrived as {mine:?}")),
        (echoed("x-echo-body-len") != len.to_string() || echoed("x-echo-body-hash") != hash).then(
            || {
                format!(
                    "{} body bytes arrived, not the {len} sent intact",
                    echoed("x-echo-body-len")
                )
            },
        ),
    ];
    problems.into_iter().flatten().next()
}

/// `/echo/…`: what arrived, in `X-Echo-*` headers: method, target, body
/// length and hash, every header in order.
pub(super) fn echo_route(request: &Incoming, _: &mut TcpStream, _: &Shared) -> Option<Answer> {
    if !request.target.starts_with("/echo/") {
        return None;
    }
    let mut reply = Reply::new(200, b"echo".to_vec())
        .header("X-Echo-Method", request.method.as_str())
        .header("X-Echo-Url", request.target.as_str())
        .header("X-Echo-Body-Len", request.body.len().to_string())
        .header("X-Echo-Body-Hash", body_hash(&request.body));
    for (name, value) in &request.headers {
        reply = reply.header("X-Echo-Header", format!("{name}: {value}"));
    }
    Some(Answer::Reply(reply))
}

pub(in crate::conformance) fn round_trip<T: Transport + ?Sized>(
    transport: &T,
    server: &Server,
) -> Result<(), String> {
    for status in [200u16, 201, 204, 400, 401, 404, 429, 500, 503] {
        let mut request = get(&server.url(&format!("/status/{status}")), limits());
        request
            .headers_mut()
            .append("x-multi", "one".parse().map_err(|_| "header")?);
        request
            .headers_mut()
            .append("x-multi", "two".parse().map_err(|_| "header")?);
        let response = send(transport, request)?;
        if response.status() != status {
            return Err(format!("asked for {status}, got {}", response.status()));
        }
        let repeated: Vec<_> = response.headers().get_all("x-repeated").iter().collect();
        if repeated != ["a", "b"] {
            return Err(format!(
                "{status}: repeated response header came back as {repeated:?}"
            ));
        }
        let seen = response
            .headers()
            .get("x-seen-multi")
            .and_then(|v| v.to_str().ok());
        if seen != Some("one,two") {
            return Err(format!(
                "{status}: the server saw the repeated request header as {seen:?}"
            ));
        }
        let expected = if status == 204 {
            String::new()
        } else {
            format!("body of {status}")
        };
        if response.body() != expected.as_bytes() {
            return Err(format!(
                "{status}: body was {:?}",
                String::from_utf8_lossy(response.body())
            ));
        }
    }
    Ok(())
}

/// `/status/CODE`: that status with a repeated header, saying which
/// `X-Multi` values arrived.
pub(super) fn status_route(request: &Incoming, _: &mut TcpStream, _: &Shared) -> Option<Answer> {
    let code: u16 = request.target.strip_prefix("/status/")?.parse().ok()?;
    let seen: Vec<&str> = request.all("x-multi").collect();
    let body = if code == 204 {
        Vec::new()
    } else {
        format!("body of {code}").into_bytes()
    };
    Some(Answer::Reply(
        Reply::new(code, body)
            .header("X-Repeated", "a")
            .header("X-Repeated", "b")
            .header("X-Seen-Multi", seen.join(",")),
    ))
}

pub(in crate::conformance) fn no_redirects<T: Transport + ?Sized>(
    transport: &T,
    server: &Server,
) -> Result<(), String> {
    let response = send(transport, get(&server.url("/redirect"), limits()))?;
    if response.status() != 302 {
        return Err(format!(
            "got {} (followed the redirect?)",
            response.status()
        ));
    }
    match response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
    {
        Some("/status/200") => Ok(()),
        other => Err(format!("location header came back as {other:?}")),
    }
}

pub(super) fn redirect_route(request: &Incoming, _: &mut TcpStream, _: &Shared) -> Option<Answer> {
    (request.target == "/redirect")
        .then(|| Answer::Reply(Reply::new(302, Vec::new()).header("Location", "/status/200")))
}
