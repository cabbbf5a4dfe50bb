//! The key never shows: not in `Debug` or `Display` of keys, clients,
//! builders, configs, requests, or any error, even when a hostile server
//! echoes it back.

#![allow(
    clippy::unwrap_used,
    reason = "a test helper that fails should panic loudly"
)]

use routy_core::http::{self, Response};
use routy_core::{
    ApiKey, BaseUrl, Body, ConfigError, Error, KeyError, RequestError, TransportError,
    TransportErrorKind,
};

mod support;
use support::{ClientBuilder, TOKEN};

/// Fails when `text` holds the token or any 8-character window of it, as
/// written or in any encoding it can be read back from.
fn assert_clean(what: &str, text: &str) {
    for window in TOKEN.as_bytes().windows(8) {
        let window = std::str::from_utf8(window).unwrap();
        assert!(!text.contains(window), "{what} leaks {window:?}: {text}");
    }
    let key = ApiKey::new(TOKEN).unwrap();
    assert!(!key.found_in(text), "{what} spells the key: {text}");
}

/// Every rendering of an error: Display, Debug, alternate Debug, and each
/// cause in the `source()` chain.
fn renderings(err: &(dyn std::error::Error + 'static)) -> Vec<String> {
    let mut out = vec![err.to_string(), format!("{err:?}"), format!("{err:#?}")];
    let mut source = err.source();
    while let Some(cause) = source {
        out.push(cause.to_string());
        out.push(format!("{cause:?}"));
        source = cause.source();
    }
    out
}

/// A transport that echoes the request (Authorization included) back in
/// headers and body, the worst a hostile server can do.
fn echoing(status: u16, content_type: &'static str) -> impl routy_core::Transport {
    routy_core::transport_fn(move |req| {
        let auth = req.headers()["authorization"].to_str().unwrap().to_owned();
        // The token also comes back JSON-escaped and in pieces.
        let escaped: String = auth
            .chars()
            .map(|c| format!("\\u{:04x}", c as u32))
            .collect();
        let piece = &auth[10..30];
        let body = format!(
            r#"{{"title":"echo {auth}","detail":"you sent {auth}","status":{status},"traceId":"{auth}","extra":{{"escaped":"{escaped}","piece":"{piece}"}}}}"#
        );
        Ok(Response::builder()
            .status(status)
            .header("content-type", content_type)
            .header("x-request-id", auth.clone())
            .body(body.into_bytes())
            .unwrap())
    })
}

#[test]
fn key_client_builder_and_config_are_redacted() {
    let key = ApiKey::new(TOKEN).unwrap();
    assert_clean("ApiKey Debug", &format!("{key:?} {key:#?}"));
    assert_clean("ApiKey Display", &key.to_string());

    let builder = ClientBuilder::new().api_key(key.clone());
    assert_clean("builder Debug", &format!("{builder:?} {builder:#?}"));
    let client = builder
        .build_with(routy_core::transport_fn(|_req| {
            Err(TransportErrorKind::Connect.into())
        }))
        .unwrap();
    assert_clean("Client Debug", &format!("{client:?} {client:#?}"));
    assert_clean("Config Debug", &format!("{:?}", client.config()));

    // A built request's headers are marked sensitive, so http's Debug hides them.
    let request = client
        .prepare(http::Method::GET, "/v1/accounts", None)
        .unwrap();
    assert_clean("Request Debug", &format!("{request:?} {request:#?}"));
    assert_clean("HeaderMap Debug", &format!("{:?}", request.headers()));
}

#[test]
fn every_error_variant_is_clean() {
    let key_errors: Vec<KeyError> = [
        format!("ApiKey {TOKEN}"),
        format!("Bearer {TOKEN}"),
        format!("Authorization: ApiKey {TOKEN}"),
        format!("\"{TOKEN}\""),
        format!("{TOKEN} {TOKEN}"),
        format!("{TOKEN}\u{1}"),
        format!("{TOKEN}…"),
        TOKEN.repeat(30),
    ]
    .iter()
    .map(|input| ApiKey::new(input).unwrap_err())
    .collect();
    let mut errors: Vec<Error> = key_errors.into_iter().map(Error::from).collect();
    errors.push(Error::from(ConfigError::MissingApiKey));
    errors.push(
        BaseUrl::parse("http://example.com")
            .map(|_| ())
            .map_err(Error::from)
            .unwrap_err(),
    );
    errors.push(Error::from(RequestError::InvalidPath { reason: "x" }));
    errors.push(Body::new("bad\nvalue", Vec::new()).unwrap_err().into());
    errors.push(Error::from(TransportError::with_source(
        TransportErrorKind::Io,
        "connection reset",
    )));
    for status in [400, 401, 403, 429, 500] {
        let client = ClientBuilder::new()
            .api_key(ApiKey::new(TOKEN).unwrap())
            .retry(routy_core::RetryPolicy::none())
            .build_with(echoing(status, "application/problem+json"))
            .unwrap();
        errors.push(client.accounts().unwrap_err());
    }
    // A 200 whose body is not accounts: the decode error's snippet is redacted.
    let client = ClientBuilder::new()
        .api_key(ApiKey::new(TOKEN).unwrap())
        .build_with(echoing(200, "application/json"))
        .unwrap();
    errors.push(client.accounts().unwrap_err());
    let client = ClientBuilder::new()
        .api_key(ApiKey::new(TOKEN).unwrap())
        .build_with(echoing(200, "text/html"))
        .unwrap();
    errors.push(client.accounts().unwrap_err());

    for err in &errors {
        for text in renderings(err) {
            assert_clean("error", &text);
        }
    }
    // And the echo did reach the error, redacted; the body also spells the
    // key in `\u` escapes, so its snippet is withheld whole.
    let api = errors
        .iter()
        .find_map(|e| e.as_api().filter(|a| a.status() == 401))
        .unwrap();
    assert_eq!(
        api.body_snippet(),
        "[withheld: it may spell the api key]",
        "{}",
        api.body_snippet()
    );
    assert_eq!(api.request_id(), Some("ApiKey [redacted]"));
    assert_eq!(
        api.problem().unwrap().detail.as_deref(),
        Some("you sent ApiKey [redacted]")
    );
    // The extension that spells the key in `\u` escapes is withheld whole
    // (its JSON text is kept as sent, so it is not taken apart).
    let extensions = &api.problem().unwrap().extensions;
    assert_eq!(
        extensions.get::<String>("extra").as_deref(),
        Some("[withheld: it may spell the api key]")
    );
    assert_eq!(extensions.len(), 1);
}

#[test]
fn snippets_keep_what_is_safe_and_withhold_what_spells_the_key() {
    let key = ApiKey::new(TOKEN).unwrap();
    let escaped: String = TOKEN
        .chars()
        .map(|c| format!("\\u{:04x}", c as u32))
        .collect();
    let percent: String = TOKEN.bytes().map(|b| format!("%{b:02X}")).collect();
    let answer = |status: u16, body: String| {
        routy_core::transport_fn(move |_req| {
            Ok(Response::builder()
                .status(status)
                .header("content-type", "text/plain")
                .body(body.clone().into_bytes())
                .unwrap())
        })
    };
    let client = |status, body| {
        ClientBuilder::new()
            .api_key(key.clone())
            .retry(routy_core::RetryPolicy::none())
            .build_with(answer(status, body))
            .unwrap()
    };
    // A raw echo is redacted in place and the rest kept.
    let err = client(401, format!("you sent {TOKEN}"))
        .accounts()
        .unwrap_err();
    assert_eq!(err.as_api().unwrap().body_snippet(), "you sent [redacted]");
    // Escaped echoes cannot be cut out reliably: the snippet is withheld.
    for body in [
        format!(r#""token {escaped}" rejected"#),
        format!("next={percent}"),
    ] {
        let err = client(401, body.clone()).accounts().unwrap_err();
        let snippet = err.as_api().unwrap().body_snippet().to_owned();
        assert_eq!(snippet, "[withheld: it may spell the api key]", "{body}");
        for text in renderings(&err) {
            assert_clean("api error", &text);
        }
        // The same body on a success response: the decode error's snippet.
        let err = client(200, body.clone()).accounts().unwrap_err();
        assert!(matches!(err, Error::Decode(_)), "{err:?}");
        for text in renderings(&err) {
            assert_clean("decode error", &text);
        }
    }
}

#[test]
fn panics_from_unwrapping_errors_are_clean() {
    let client = ClientBuilder::new()
        .api_key(ApiKey::new(TOKEN).unwrap())
        .build_with(echoing(401, "application/problem+json"))
        .unwrap();
    let payload =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| client.accounts().unwrap()))
            .unwrap_err();
    let message = payload
        .downcast_ref::<String>()
        .cloned()
        .unwrap_or_default();
    assert!(message.contains("401"), "{message}");
    assert_clean("panic message", &message);
}

#[test]
fn a_transport_error_that_quotes_the_key_is_redacted() {
    // A transport's error may quote what the server sent (ureq's
    // `BadHeader`, say); a server that echoes the key gets it there.
    let percent: String = TOKEN.bytes().map(|b| format!("%{b:02X}")).collect();
    for quoted in [
        format!("bad header: x-echo: {TOKEN}"),
        format!("bad header: x-echo: {percent}"),
    ] {
        let transport = routy_core::transport_fn(move |_req| {
            let cause = std::io::Error::other(quoted.clone());
            Err(TransportError::with_source(
                TransportErrorKind::Protocol,
                cause,
            ))
        });
        let err = ClientBuilder::new()
            .api_key(ApiKey::new(TOKEN).unwrap())
            .retry(routy_core::RetryPolicy::none())
            .build_with(transport)
            .unwrap()
            .accounts()
            .unwrap_err();
        assert!(matches!(&err, Error::Transport(t) if t.kind() == TransportErrorKind::Protocol));
        for text in renderings(&err) {
            assert_clean("transport error", &text);
        }
        // A raw echo is cut out and the rest kept; an encoded one cannot be
        // cut out reliably, so the message is withheld whole.
        let chain = routy_core::error_chain(&err);
        assert!(
            chain.ends_with("bad header: x-echo: [redacted]")
                || chain.ends_with("[withheld: it may spell the api key]"),
            "{chain}"
        );
    }
}

/// Test keys of one to a few characters cannot be told apart from ordinary
/// text: messages stay whole with them (the URL, the hint, the server's
/// words), while a key that stands alone in server text is still hidden.
#[test]
fn short_test_keys_leave_messages_readable() {
    for short in ["t", "k", "test", "abc123"] {
        let client = ClientBuilder::new()
            .api_key(ApiKey::new(short).unwrap())
            .build_with(routy_core::transport_fn(move |req| {
                let status = if req.uri().path().contains("/api/api/") {
                    404
                } else {
                    500
                };
                Ok(Response::builder()
                    .status(status)
                    .header("content-type", "application/problem+json")
                    .body(
                        format!(r#"{{"title":"broken","detail":"token {short} is not it"}}"#)
                            .into_bytes(),
                    )
                    .unwrap())
            }))
            .unwrap();
        let err = client
            .get::<serde_json::Value>("/api/v1/accounts")
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "GET https://platform.routy.app/api/api/v1/accounts: api returned 404 not found: \
             token [redacted] is not it \
             (the path repeats the base url's own path: leave that part out of the path)",
            "key {short:?}"
        );
        let err = client.accounts().unwrap_err();
        assert!(
            err.to_string().starts_with(
                "GET https://platform.routy.app/api/v1/accounts: api returned 500 internal server error"
            ),
            "key {short:?}: {err}"
        );
    }
}

#[test]
fn a_problem_that_spells_the_key_in_base64_is_withheld_member_by_member() {
    use base64::Engine as _;
    // Twelve bytes of the key hold one aligned nine-byte piece: its base64
    // is what a server that encodes what it echoes would send.
    let encoded = base64::engine::general_purpose::STANDARD.encode(&TOKEN.as_bytes()[2..14]);
    let body = format!(
        r#"{{"title": "{encoded}", "detail": "fine", "errors": {{"f{encoded}": ["m{encoded}"]}}, "x{encoded}": 1, "plain": "{encoded}"}}"#
    );
    let client = ClientBuilder::new()
        .api_key(ApiKey::new(TOKEN).unwrap())
        .build_with(routy_core::transport_fn(move |_req| {
            Ok(Response::builder()
                .status(400)
                .header("content-type", "application/problem+json")
                .body(body.clone().into_bytes())
                .unwrap())
        }))
        .unwrap();
    let err = client.accounts().unwrap_err();
    let problem = err.as_api().and_then(|api| api.problem()).expect("parsed");
    let withheld = "[withheld: it may spell the api key]";
    assert_eq!(problem.title.as_deref(), Some(withheld));
    assert_eq!(problem.detail.as_deref(), Some("fine"));
    let (field, messages) = problem.errors.iter().next().unwrap();
    assert_eq!((field, messages), (withheld, &[withheld.to_owned()][..]));
    let names: Vec<&str> = problem.extensions.iter().map(|(name, _)| name).collect();
    assert_eq!(names, [withheld, "plain"]);
    assert_eq!(
        problem.extensions.get::<String>("plain").as_deref(),
        Some(withheld)
    );
    for text in renderings(&err) {
        assert_clean("error", &text);
    }
}
