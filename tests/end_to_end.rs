//! `routy::Client` (core over ureq) end to end against a server on
//! 127.0.0.1.

#![allow(
    clippy::unwrap_used,
    reason = "a test helper that fails should panic loudly"
)]

use std::sync::Arc;
use std::thread::JoinHandle;

use routy::{ApiErrorKind, ApiKey, Error};

mod support;
use support::TOKEN;

struct Api {
    base: String,
    server: Arc<tiny_http::Server>,
    thread: Option<JoinHandle<()>>,
}

/// A minimal Routy stand-in: `/api/v1/accounts` behind `ApiKey` auth.
fn start_api() -> Api {
    let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").unwrap());
    let base = format!("http://{}/api", server.server_addr().to_ip().unwrap());
    let thread = {
        let server = Arc::clone(&server);
        std::thread::spawn(move || {
            for request in server.incoming_requests() {
                let auth = request
                    .headers()
                    .iter()
                    .find(|h| h.field.equiv("Authorization"))
                    .map(|h| h.value.to_string());
                let (status, content_type, body) =
                    if auth.as_deref() != Some(&format!("ApiKey {TOKEN}")) {
                        (
                        401,
                        "application/problem+json",
                        r#"{"title":"Unauthorized","status":401,"detail":"Unknown API token."}"#
                            .to_owned(),
                    )
                    } else if request.url() == "/api/v1/accounts" {
                        (
                        200,
                        "application/json",
                        r#"[{"id":1,"name":"Acme Logistics"},{"id":"acc_2","name":"Nordwind"}]"#
                            .to_owned(),
                    )
                    } else {
                        (
                            404,
                            "application/problem+json",
                            r#"{"title":"Not Found","status":404}"#.to_owned(),
                        )
                    };
                let response = tiny_http::Response::from_string(body)
                    .with_status_code(status)
                    .with_header(
                        tiny_http::Header::from_bytes("Content-Type", content_type).unwrap(),
                    );
                let _ = request.respond(response);
            }
        })
    };
    Api {
        base,
        server,
        thread: Some(thread),
    }
}

impl Api {
    /// A client for this server with `key`.
    fn client(&self, key: &str) -> routy::Client {
        routy::Client::builder()
            .api_key(ApiKey::new(key).unwrap())
            .base_url(&self.base)
            .build()
            .unwrap()
    }
}

impl Drop for Api {
    fn drop(&mut self) {
        self.server.unblock();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[test]
fn lists_accounts_over_ureq() {
    let api = start_api();
    let client = api.client(TOKEN);
    let accounts = client.accounts().unwrap();
    let names: Vec<_> = accounts.iter().map(|a| a.name().unwrap()).collect();
    assert_eq!(names, ["Acme Logistics", "Nordwind"]);
}

#[test]
fn a_wrong_key_is_a_typed_401_then_rotation_fixes_it() {
    let api = start_api();
    let client = api.client("wrong-token");
    match client.accounts() {
        Err(Error::Api(err)) => {
            assert_eq!(err.kind(), ApiErrorKind::Unauthorized);
            assert_eq!(
                err.problem().unwrap().detail.as_deref(),
                Some("Unknown API token.")
            );
        }
        other => panic!("expected 401, got {other:?}"),
    }
    client.set_api_key(ApiKey::new(TOKEN).unwrap());
    assert_eq!(client.accounts().unwrap().len(), 2);
}

#[test]
fn shared_client_serves_many_threads() {
    let api = start_api();
    let client = api.client(TOKEN);
    std::thread::scope(|s| {
        for _ in 0..8 {
            let client = client.clone();
            s.spawn(move || {
                for _ in 0..20 {
                    assert_eq!(client.accounts().unwrap().len(), 2);
                }
            });
        }
    });
}

#[test]
fn raw_escape_hatch_returns_any_status() {
    let api = start_api();
    let client = api.client(TOKEN);
    let response = client
        .execute_any_status(routy::http::Method::GET, "/v1/nothing-here", None)
        .unwrap();
    assert_eq!(response.status(), 404);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let err = routy::ApiError::from_response_unredacted(&response);
    assert_eq!(err.kind(), ApiErrorKind::NotFound);
}
