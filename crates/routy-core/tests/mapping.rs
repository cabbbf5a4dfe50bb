//! Table tests of response mapping: every status class, body shape and
//! content type the client may meet, through a closure transport.

#![allow(
    clippy::unwrap_used,
    reason = "a test helper that fails should panic loudly"
)]

use std::time::{Duration, SystemTime};

use routy_core::defaults::SNIPPET_MAX_BYTES;
use routy_core::http::Response;
use routy_core::policy::RetryAfter;
use routy_core::{Account, AccountId, ApiErrorKind, ApiKey, Client, Error, TransportError};

mod support;
use support::{ClientBuilder, TOKEN};

/// A transport chosen at run time: any transport, boxed.
type Closure = Box<dyn routy_core::Transport>;

/// A client whose every call gets `status`, `headers` and `body`.
fn answering(status: u16, headers: &[(&str, &str)], body: &[u8]) -> Client<Closure> {
    let headers: Vec<(String, String)> = headers
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let body = body.to_vec();
    let transport: Closure = Box::new(routy_core::transport_fn(move |_req| {
        let mut response = Response::builder().status(status);
        for (k, v) in &headers {
            response = response.header(k, v);
        }
        Ok(response.body(body.clone()).expect("valid response"))
    }));
    // No retries: these tests look at how one response is mapped.
    ClientBuilder::new()
        .api_key(ApiKey::new(TOKEN).unwrap())
        .retry(routy_core::RetryPolicy::none())
        .build_with(transport)
        .unwrap()
}

fn api_error(client: &Client<Closure>) -> routy_core::Located<routy_core::ApiError> {
    match client.accounts() {
        Err(Error::Api(err)) => err,
        other => panic!("expected an api error, got {other:?}"),
    }
}

const PROBLEM: &str = "application/problem+json";

#[test]
fn status_classes() {
    let cases: &[(u16, ApiErrorKind)] = &[
        (400, ApiErrorKind::Validation),
        (401, ApiErrorKind::Unauthorized),
        (403, ApiErrorKind::Forbidden),
        (404, ApiErrorKind::NotFound),
        (409, ApiErrorKind::Conflict),
        (422, ApiErrorKind::Validation),
        (429, ApiErrorKind::RateLimited),
        (500, ApiErrorKind::Server),
        (503, ApiErrorKind::Server),
        (302, ApiErrorKind::Other),
        (418, ApiErrorKind::Other),
    ];
    for &(status, kind) in cases {
        let err = api_error(&answering(status, &[], b""));
        assert_eq!(err.status(), status);
        assert_eq!(err.kind(), kind, "{status}");
    }
}

#[test]
fn validation_problem_is_parsed_with_its_errors_map() {
    let body = include_bytes!("fixtures/validation-problem.json");
    let err = api_error(&answering(400, &[("content-type", PROBLEM)], body));
    assert_eq!(err.kind(), ApiErrorKind::Validation);
    let problem = err.problem().expect("problem parsed");
    assert_eq!(
        problem.title.as_deref(),
        Some("One or more validation errors occurred.")
    );
    assert_eq!(problem.status, Some(400));
    assert_eq!(problem.instance.as_deref(), Some("/api/v1/tokens"));
    assert_eq!(
        problem.errors["Name"],
        ["The token name must be between 2 and 50 characters."]
    );
    assert_eq!(problem.errors["ExpiresAt"].len(), 2);
    assert_eq!(
        err.request_id(),
        Some("00-9f3c1a2b4d5e6f708192a3b4c5d6e7f8-1a2b3c4d5e6f7081-00")
    );
    assert_eq!(
        err.to_string(),
        "api returned 400 bad request: One or more validation errors occurred."
    );
}

#[test]
fn unauthorized_and_forbidden_keep_the_detail() {
    let body = br#"{"type":"https://routy.app/problems/token-expired","title":"Unauthorized","status":401,"detail":"The API token has expired.","traceId":"t-1","tokenName":"Reporting Script"}"#;
    let err = api_error(&answering(401, &[("content-type", PROBLEM)], body));
    assert_eq!(err.kind(), ApiErrorKind::Unauthorized);
    let problem = err.problem().unwrap();
    assert_eq!(
        problem.detail.as_deref(),
        Some("The API token has expired.")
    );
    assert_eq!(
        problem.type_uri.as_deref(),
        Some("https://routy.app/problems/token-expired")
    );
    assert_eq!(
        problem.extensions.get::<String>("tokenName").as_deref(),
        Some("Reporting Script")
    );
    assert_eq!(
        err.to_string(),
        "api returned 401 unauthorized: The API token has expired."
    );

    let err = api_error(&answering(
        403,
        &[
            ("content-type", "application/json"),
            ("x-request-id", "req-9"),
        ],
        br#"{"title":"Forbidden","status":403}"#,
    ));
    assert_eq!(err.kind(), ApiErrorKind::Forbidden);
    assert_eq!(err.request_id(), Some("req-9"));
    assert_eq!(err.to_string(), "api returned 403 forbidden: Forbidden");
}

#[test]
fn not_found_and_conflict() {
    let err = api_error(&answering(
        404,
        &[("content-type", PROBLEM)],
        br#"{"title":"Not Found","status":404}"#,
    ));
    assert_eq!(err.kind(), ApiErrorKind::NotFound);
    let err = api_error(&answering(
        409,
        &[("content-type", "text/plain")],
        b"token name taken",
    ));
    assert_eq!(err.kind(), ApiErrorKind::Conflict);
    assert!(err.problem().is_none());
    assert_eq!(err.body_snippet(), "token name taken");
}

#[test]
fn rate_limited_with_retry_after_seconds_and_date() {
    let err = api_error(&answering(429, &[("retry-after", "7")], b""));
    assert_eq!(err.kind(), ApiErrorKind::RateLimited);
    assert_eq!(
        err.retry_after(),
        Some(RetryAfter::Delay(Duration::from_secs(7)))
    );

    let err = api_error(&answering(
        429,
        &[("retry-after", "Wed, 21 Oct 2015 07:28:00 GMT")],
        b"",
    ));
    let at = err.retry_after().expect("date parsed");
    let ten_before = SystemTime::UNIX_EPOCH + Duration::from_secs(1_445_412_470);
    assert_eq!(at.delay_from(ten_before), Duration::from_secs(10));

    for junk in ["-5", "1.5", "abc", ""] {
        let err = api_error(&answering(429, &[("retry-after", junk)], b""));
        assert_eq!(err.retry_after(), None, "{junk:?}");
    }
}

#[test]
fn server_errors_in_html_and_text_keep_a_snippet() {
    let html = b"<html><body><h1>500 Internal Server Error</h1></body></html>";
    let err = api_error(&answering(500, &[("content-type", "text/html")], html));
    assert_eq!(err.kind(), ApiErrorKind::Server);
    assert!(err.problem().is_none(), "html is not parsed as a problem");
    assert_eq!(err.body_snippet().as_bytes(), html);
    assert_eq!(err.content_type(), Some("text/html"));
    assert_eq!(err.to_string(), "api returned 500 internal server error");

    let err = api_error(&answering(
        503,
        &[("content-type", "text/plain")],
        b"upstream unavailable",
    ));
    assert_eq!(err.kind(), ApiErrorKind::Server);
    assert_eq!(err.body_snippet(), "upstream unavailable");

    let huge = vec![b'x'; 1_000_000];
    let err = api_error(&answering(502, &[], &huge));
    assert_eq!(err.body_snippet().len(), SNIPPET_MAX_BYTES);
    assert!(err.is_truncated());
}

#[test]
fn a_problem_that_is_not_json_is_not_fatal() {
    let err = api_error(&answering(400, &[("content-type", PROBLEM)], b"{not json"));
    assert!(err.problem().is_none());
    assert_eq!(err.body_snippet(), "{not json");
    // Odd member types are tolerated rather than losing the whole problem.
    let err = api_error(&answering(
        400,
        &[("content-type", PROBLEM)],
        br#"{"title":"Bad","status":"400","errors":{"Name":"too short","Other":[1,true]}}"#,
    ));
    let problem = err.problem().expect("lenient parse");
    assert_eq!(problem.status, Some(400));
    assert_eq!(problem.errors["Name"], ["too short"]);
    assert_eq!(problem.errors["Other"], ["1", "true"]);
}

#[test]
fn a_problem_member_of_the_wrong_type_is_ignored_alone() {
    // RFC 9457 section 3.1: ignore the member, keep the rest of the problem.
    for odd in [
        r#""traceId": 12345"#,
        r#""instance": 7"#,
        r#""title": 5"#,
        r#""type": ["x"]"#,
        r#""traceId": {"a": 1}"#,
        r#""title": null"#,
    ] {
        let body = format!(r#"{{"status": 401, "detail": "The API token has expired.", {odd}}}"#);
        let err = api_error(&answering(
            401,
            &[("content-type", PROBLEM)],
            body.as_bytes(),
        ));
        let problem = err
            .problem()
            .unwrap_or_else(|| panic!("{odd}: problem dropped"));
        assert_eq!(
            problem.detail.as_deref(),
            Some("The API token has expired."),
            "{odd}"
        );
        assert!(
            err.to_string().contains("The API token has expired."),
            "{err}"
        );
    }
    let err = api_error(&answering(
        400,
        &[("content-type", PROBLEM)],
        br#"{"detail": 42, "title": "Bad", "traceId": false}"#,
    ));
    let problem = err.problem().expect("kept");
    assert_eq!(problem.detail, None);
    assert_eq!(problem.trace_id, None);
    assert_eq!(problem.title.as_deref(), Some("Bad"));
}

#[test]
fn success_bodies_decode_for_every_json_content_type() {
    let body = br#"[{"id": 1, "name": "Acme"}]"#;
    for content_type in [
        Some("application/json"),
        Some("application/json; charset=utf-8"),
        Some("application/vnd.routy.v1+json"),
        Some("text/plain"),
        Some("text/plain; charset=utf-8"),
        None,
    ] {
        let headers: Vec<(&str, &str)> = content_type
            .map(|ct| ("content-type", ct))
            .into_iter()
            .collect();
        let accounts = answering(200, &headers, body).accounts().unwrap();
        assert_eq!(accounts[0].name(), Some("Acme"), "{content_type:?}");
    }
}

#[test]
fn unknown_fields_are_kept_and_round_trip() {
    let body = include_bytes!("fixtures/accounts-unknown-fields.json");
    let accounts = answering(200, &[("content-type", "application/json")], body)
        .accounts()
        .unwrap();
    assert_eq!(accounts[0].id(), AccountId::Number(1));
    assert_eq!(accounts[1].id(), AccountId::String("acc_2".into()));
    assert_eq!(accounts[0].fields()["depots"][0]["code"], "BER");
    let original: serde_json::Value = serde_json::from_slice(body).unwrap();
    let back = serde_json::to_value(&accounts).unwrap();
    assert_eq!(back, original, "re-serialising loses nothing");
    let _: Vec<Account> = serde_json::from_value(back).unwrap();
}

#[test]
fn a_list_body_that_is_not_utf8_is_refused_naming_the_byte() {
    let json = [("content-type", "application/json")];
    // JSON is UTF-8 (RFC 8259): a bad byte is refused wherever it is, in
    // an account or in a member routy would skip.
    for (body, line, column) in [
        (
            &b"{\"items\": [{\"id\": 1}],\n \"junk\": \"\xff\"}"[..],
            2,
            11,
        ),
        (
            &b"[{\"id\": 1}, {\"id\": 2, \"name\": \"\xc3\"}]"[..],
            1,
            32,
        ),
    ] {
        let err = answering(200, &json, body).accounts().unwrap_err();
        let Error::Decode(err) = err else {
            panic!("{err:?}");
        };
        let shown = err.to_string();
        assert!(
            shown.ends_with(&format!("(line {line} column {column})")),
            "{shown}"
        );
        let why = std::error::Error::source(&err).unwrap().to_string();
        assert!(why.contains("not UTF-8"), "{why}");
    }
}

#[test]
fn decode_errors_say_what_where_and_show_a_snippet() {
    let cases: &[(&[u8], Option<&str>, &str)] = &[
        (b"", None, "."),
        // Not JSON from its first key: the top.
        (b"{not json", Some("application/json"), "."),
        // The account is named by its place in the list wherever the
        // failure is (last, middle, envelope), the member by its message.
        (
            br#"[{"id": 1}, {"name": "no id"}, {"id": 3}]"#,
            Some("application/json"),
            "[1]",
        ),
        (
            br#"{"data": [{"id": 1}, {"name": "b", "id": {"x": 1}}], "total": 2}"#,
            Some("application/json"),
            "data[1]",
        ),
        (
            br#"{"accounts": [{"id": 1}, {"id": 2, "name": "cut sh"#,
            Some("application/json"),
            "accounts[1]",
        ),
        (
            br#"{"items": {"id": 1}}"#,
            Some("application/json"),
            "items",
        ),
        (
            br#"[{"id": 1}, {"id": 2}, {"name": "no id"}]"#,
            Some("application/json"),
            "[2]",
        ),
        (
            br#"[{"id": 1}, {"id": [1]}]"#,
            Some("application/json"),
            "[1]",
        ),
        (br#"{"total": 3}"#, Some("application/json"), "."),
        (
            br#"{"items": [{"id": false}]}"#,
            Some("application/json"),
            "items[0]",
        ),
    ];
    for &(body, content_type, path) in cases {
        let headers: Vec<(&str, &str)> = content_type
            .map(|ct| ("content-type", ct))
            .into_iter()
            .collect();
        let err = match answering(200, &headers, body).accounts() {
            Err(Error::Decode(err)) => err,
            other => panic!("{body:?}: expected a decode error, got {other:?}"),
        };
        assert_eq!(err.path(), Some(path), "{}", String::from_utf8_lossy(body));
        assert!(err.expected().contains("array of accounts"));
        assert!(err.to_string().contains(path), "{err}");
        let source = std::error::Error::source(&*err).unwrap().to_string();
        if body.starts_with(br#"[{"id": 1}, {"id": [1]}]"#) || body.starts_with(br#"{"items": ["#) {
            assert!(source.starts_with("member `id`: invalid type"), "{source}");
        }
        assert_eq!(err.snippet().as_bytes(), body);
        if path == "data[1]" {
            assert!(source.starts_with("member `id`: invalid type"), "{source}");
        }
    }

    let err =
        match answering(200, &[("content-type", "text/html")], b"<html>login</html>").accounts() {
            Err(Error::Decode(err)) => err,
            other => panic!("expected a decode error, got {other:?}"),
        };
    assert_eq!(err.path(), None);
    assert_eq!(err.content_type(), Some("text/html"));
    assert!(
        err.to_string().contains("content type is text/html"),
        "{err}"
    );

    // A huge invalid body gives a bounded snippet around the failure.
    let mut big = b"[".to_vec();
    for i in 0..20_000 {
        big.extend_from_slice(format!("{{\"id\": {i}}},").as_bytes());
    }
    big.extend_from_slice(b"{\"id\": oops}]");
    let err = match answering(200, &[], &big).accounts() {
        Err(Error::Decode(err)) => err,
        other => panic!("expected a decode error, got {other:?}"),
    };
    assert!(err.snippet().len() <= SNIPPET_MAX_BYTES);
    assert!(
        err.snippet().contains("oops"),
        "the snippet shows where it failed"
    );
    assert_eq!(err.path(), Some("[20000]"));
}

#[test]
fn server_text_in_an_error_message_stays_on_one_line() {
    let hostile = "bad\n\u{1b}[2Jforged line\u{202e}txt.exe";
    let body = serde_json::json!({"title": "Bad Request", "detail": hostile}).to_string();
    let err = api_error(&answering(
        400,
        &[("content-type", PROBLEM)],
        body.as_bytes(),
    ));
    assert_eq!(
        err.to_string(),
        r"api returned 400 bad request: bad\n\u{1b}[2Jforged line\u{202e}txt.exe"
    );
    assert_eq!(
        err.problem().unwrap().detail.as_deref(),
        Some(hostile),
        "the raw text is still there for whoever wants it"
    );

    // Escapes count against the bound.
    let body = serde_json::json!({"detail": "\u{7}".repeat(300)}).to_string();
    let shown = api_error(&answering(
        400,
        &[("content-type", PROBLEM)],
        body.as_bytes(),
    ))
    .to_string();
    assert!(shown.len() <= 240 && shown.ends_with('…'), "{shown}");
    assert!(!shown.chars().any(char::is_control), "{shown}");

    // A decode error's path may name a key the server chose.
    let client = answering(200, &[], br#"{"ok": 1, "a\u001b[31mb": "x"}"#);
    let err = match client.get::<std::collections::BTreeMap<String, u32>>("/v1/x") {
        Err(Error::Decode(err)) => err,
        other => panic!("expected a decode error, got {other:?}"),
    };
    assert_eq!(err.path(), Some("a\u{1b}[31mb"));
    assert!(err.to_string().contains(r"at `a\u{1b}[31mb`"), "{err}");
}

#[test]
fn generic_get_decodes_any_type() {
    #[derive(serde::Deserialize)]
    struct Report {
        count: u32,
    }
    let client = answering(
        200,
        &[("content-type", "application/json")],
        br#"{"count": 3}"#,
    );
    let report: Report = client.get("/v1/reports").unwrap();
    assert_eq!(report.count, 3);
    let err = client.get::<Vec<u32>>("/v1/reports").unwrap_err();
    assert!(matches!(err, Error::Decode(_)));
}

#[test]
fn transport_errors_pass_through_with_their_kind() {
    let client = ClientBuilder::new()
        .api_key(ApiKey::new(TOKEN).unwrap())
        .build_with(routy_core::transport_fn(|_req| {
            Err(TransportError::with_source(
                routy_core::TransportErrorKind::Timeout,
                std::io::Error::from(std::io::ErrorKind::TimedOut),
            ))
        }))
        .unwrap();
    let err = client.accounts().unwrap_err();
    assert!(err.as_transport().unwrap().is_timeout());
    // The transport's own wording ("timed out" from the OS) gives way to
    // which of the client's deadlines passed, said once.
    assert_eq!(
        err.to_string(),
        "GET https://platform.routy.app/api/v1/accounts: request timed out after 3 attempts \
         (the per-attempt timeout of 30s passed)"
    );
    assert!(std::error::Error::source(&err).is_none());
    assert_eq!(routy_core::error_chain(&err), err.to_string());
}

#[test]
fn the_client_caps_bodies_a_transport_let_through() {
    let client = ClientBuilder::new()
        .api_key(ApiKey::new(TOKEN).unwrap())
        .max_body_bytes(10)
        .build_with(routy_core::transport_fn(|_req| {
            Ok(Response::new(b"[{\"id\": 1}]".to_vec()))
        }))
        .unwrap();
    let err = client.accounts().unwrap_err();
    assert!(err.as_transport().unwrap().is_body_too_large());
}

#[test]
fn error_type_stays_small() {
    assert!(
        std::mem::size_of::<Error>() <= 32,
        "{}",
        std::mem::size_of::<Error>()
    );
}

#[test]
fn a_problem_keeps_its_extensions_as_sent_and_reads_from_a_value_too() {
    let text = r#"{"zeta": 1, "title": "Bad", "alpha": {"deep": [1, "x", null]}, "errors": {"B": "b", "A": ["a", 2.5, null, false]}, "zeta": 2}"#;
    let problem: routy_core::Problem = serde_json::from_str(text).unwrap();
    let names: Vec<&str> = problem.extensions.iter().map(|(name, _)| name).collect();
    assert_eq!(
        names,
        ["zeta", "alpha", "zeta"],
        "in order, duplicates kept"
    );
    assert_eq!(
        problem.extensions.get::<u32>("zeta"),
        Some(2),
        "the last one wins"
    );
    assert_eq!(
        problem.extensions.get_raw("alpha").unwrap().get(),
        r#"{"deep": [1, "x", null]}"#
    );
    assert_eq!(problem.errors["A"], ["a", "2.5", "false"]);
    let fields: Vec<&str> = problem.errors.iter().map(|(field, _)| field).collect();
    assert_eq!(fields, ["B", "A"]);
    assert!(!problem.errors.contains_key("C") && problem.errors.get("C").is_none());
    // Re-encoded and read back (also from a `serde_json::Value`), it is the same.
    let again = serde_json::to_string(&problem).unwrap();
    assert_eq!(
        serde_json::from_str::<routy_core::Problem>(&again).unwrap(),
        problem
    );
    let value: serde_json::Value = serde_json::from_str(text).unwrap();
    let from_value: routy_core::Problem = serde_json::from_value(value).unwrap();
    assert_eq!(from_value.title.as_deref(), Some("Bad"));
    // (A `Value`'s members come sorted, so only the order differs.)
    assert_eq!(from_value.errors["A"], problem.errors["A"]);
    assert_eq!(from_value.errors["B"], ["b"]);
    assert_eq!(from_value.extensions.get::<u32>("zeta"), Some(2));
    // Not an object at all: a decode error, not a panic.
    assert!(serde_json::from_str::<routy_core::Problem>("[1]").is_err());
}

#[test]
fn a_list_of_the_callers_own_type_names_the_member_inside_the_item() {
    use routy_core::endpoint::{Endpoint, Reply};

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Report {
        id: u64,
        owner: Owner,
    }
    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Owner {
        email: String,
    }
    struct Reports;
    impl Endpoint for Reports {
        type Output = Vec<Report>;
        fn method(&self) -> http::Method {
            http::Method::GET
        }
        fn path(&self) -> &str {
            "/v1/reports"
        }
        fn parse(&self, reply: Reply<'_>) -> Result<Vec<Report>, Error> {
            reply.list()
        }
    }
    let body =
        br#"{"items": [{"id": 1, "owner": {"email": "a"}}, {"id": 2, "owner": {"email": 7}}]}"#;
    let err = match answering(200, &[], body).call(Reports) {
        Err(Error::Decode(err)) => err,
        other => panic!("expected a decode error, got {other:?}"),
    };
    assert_eq!(err.path(), Some("items[1].owner.email"));
}

#[test]
fn a_problems_extensions_debug_on_one_line_with_hostile_text_escaped() {
    let text = "{\"title\": \"Bad\", \"note\":\n  \"a\u{202e}b\", \"n\": [1,\r\n2]}";
    let problem: routy_core::Problem = serde_json::from_str(text).unwrap();
    let shown = format!("{:?}", problem.extensions);
    assert_eq!(shown, r#"{"note": "a\u{202e}b", "n": [1,\r\n2]}"#);
    assert!(!format!("{problem:?}")
        .chars()
        .any(|c| c.is_control() || c == '\u{202e}'));
}
