//! `routy api`: a raw call, its body pretty-printed, an API error's body
//! on stderr.

use std::io::{self, Read, Write};

use routy::endpoint::Raw;
use routy::http::Method;
use routy::{Body, CallOptions, Error};

use super::Client;
use crate::failure::{failure, Failure};
use crate::output::{one_line, print};

/// `-H 'Name: value'` as call options; the library refuses the headers it
/// owns when the call is made, before anything is sent.
pub(crate) fn header_options(headers: &[String]) -> Result<CallOptions, Failure> {
    let mut options = CallOptions::new();
    for header in headers {
        let Some((name, value)) = header.split_once(':') else {
            return Err(Failure::usage(format!(
                "--header {:?} is not 'Name: value'",
                one_line(header)
            )));
        };
        options = options.header(name.trim(), value.trim());
    }
    Ok(options)
}

/// Reads `--data`: literal JSON, `@FILE`, or `@-` for stdin.
pub(crate) fn read_data(data: &str) -> Result<Body, Failure> {
    let bytes = match data.strip_prefix('@') {
        Some("-") => {
            let mut bytes = Vec::new();
            io::stdin()
                .read_to_end(&mut bytes)
                .map_err(|e| Failure::usage(format!("cannot read --data from stdin: {e}")))?;
            bytes
        }
        Some(path) => std::fs::read(path)
            .map_err(|e| Failure::usage(format!("cannot read --data file {path}: {e}")))?,
        None => data.as_bytes().to_vec(),
    };
    serde_json::from_slice::<serde::de::IgnoredAny>(&bytes)
        .map_err(|e| Failure::usage(format!("--data is not valid JSON: {e}")))?;
    Body::new("application/json", bytes).map_err(|err| failure(err.into()))
}

pub(crate) fn call(
    client: &Client,
    method: Method,
    path: &str,
    body: Option<Body>,
    options: &CallOptions,
    include: bool,
) -> Result<(), Failure> {
    let endpoint = Raw::new(method, path).with_body(body).success_only();
    match client.call_with(endpoint, options) {
        Ok(response) => {
            let mut out = Vec::new();
            if include {
                head(&mut out, client, response.status(), response.headers());
            }
            body_lines(&mut out, client, response.body());
            print(&out)
        }
        Err(Error::Api(err)) => {
            // stdout stays empty, so `| jq` only ever sees a success; the
            // body (redacted) goes to stderr, above the message.
            let mut out = Vec::new();
            if include {
                head(&mut out, client, err.status(), err.headers());
            }
            body_lines(&mut out, client, err.body().as_bytes());
            let _ = io::stderr().lock().write_all(&out);
            Err(failure(Error::Api(err)))
        }
        Err(other) => Err(failure(other)),
    }
}

/// The status line and headers, each value the server's text for one line.
fn head(
    out: &mut Vec<u8>,
    client: &Client,
    status: routy::http::StatusCode,
    headers: &routy::http::HeaderMap,
) {
    out.extend_from_slice(format!("HTTP/1.1 {status}\n").as_bytes());
    for (name, value) in headers {
        let value = String::from_utf8_lossy(value.as_bytes());
        let value = one_line(&client.transport().scrub(&value));
        out.extend_from_slice(format!("{name}: {value}\n").as_bytes());
    }
    out.push(b'\n');
}

/// The body, pretty if JSON, with a final newline; a server that echoes
/// the key does not get it printed.
fn body_lines(out: &mut Vec<u8>, client: &Client, body: &[u8]) {
    if body.is_empty() {
        return;
    }
    out.extend_from_slice(&client.transport().scrub_bytes(&pretty(body)));
    if !out.ends_with(b"\n") {
        out.push(b'\n');
    }
}

/// JSON pretty-printed with its member order kept; anything else as is.
fn pretty(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() + body.len() / 4);
    let mut de = serde_json::Deserializer::from_slice(body);
    let mut ser = serde_json::Serializer::pretty(&mut out);
    match serde_transcode::transcode(&mut de, &mut ser).and_then(|()| de.end()) {
        Ok(()) => out,
        Err(_) => body.to_vec(),
    }
}
