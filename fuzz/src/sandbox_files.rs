//! The sandbox's stub and fault files, as a user writes them by hand:
//! whatever the JSON, reading it as stubs or fault rules, adding them to
//! the sandbox's API model and serving a request that may match them
//! never panics, and every error is one line of text. Shared by the
//! `sandbox_files` fuzz target and a stable `cargo test` in routy-sandbox
//! that replays the committed seeds (both include this file by path).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    unreachable_pub
)]

use std::time::{Duration, SystemTime};

use routy_sandbox::model::Api;
use routy_sandbox::{FaultRule, Stub};

fn one_line(text: &str, what: &str) {
    assert!(
        !text.chars().any(char::is_control),
        "{what} is not one line of text: {text:?}"
    );
}

/// The items of the file, as `routy sandbox --stubs/--faults` reads it.
fn one_or_many<T: serde::de::DeserializeOwned>(file: &[u8]) -> Option<Vec<T>> {
    match routy_sandbox::items_from_json(file) {
        Ok(items) => Some(items),
        Err(err) => {
            one_line(&err.to_string(), "a file error");
            None
        }
    }
}

/// Input: byte 0 says stubs (even) or fault rules (odd); the rest is the
/// file. A request to each stub's path (or to the accounts, for faults)
/// is then served.
pub fn check_sandbox_file(data: &[u8]) {
    let Some((&kind, file)) = data.split_first() else {
        return;
    };
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_767_225_600);
    let mut api = Api::new(Some(7));
    let token = api
        .issue_token(routy_sandbox::NewToken::named("fuzz"), now)
        .unwrap();
    let mut paths = vec![("GET".to_owned(), "/v1/accounts".to_owned())];
    if kind % 2 == 0 {
        for stub in one_or_many::<Stub>(file).unwrap_or_default() {
            paths.push((stub.method.clone(), stub.path.clone()));
            if let Err(err) = api.add_stub(stub) {
                one_line(&err.to_string(), "a stub error");
            }
        }
    } else {
        for rule in one_or_many::<FaultRule>(file).unwrap_or_default() {
            if let Err(err) = api.add_fault(rule) {
                one_line(&err.to_string(), "a fault error");
            }
        }
    }
    for (method, path) in paths.into_iter().take(8) {
        let Ok(method) = http::Method::from_bytes(method.as_bytes()) else {
            continue;
        };
        let Ok(request) = http::Request::builder()
            .method(method)
            .uri(format!("http://127.0.0.1/api{path}"))
            .header("authorization", format!("ApiKey {}", token.secret()))
            .body(Vec::new())
        else {
            continue;
        };
        let _ = api.handle(&request, now);
    }
}
