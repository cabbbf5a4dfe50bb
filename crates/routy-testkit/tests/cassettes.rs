//! Record against the sandbox, replay offline; scrubbing, refusal, diffs.

#![allow(
    clippy::unwrap_used,
    reason = "a test helper that fails should panic loudly"
)]

use std::sync::Arc;

use routy_core::http::{Method, Response};
use routy_core::{ApiKey, Error, RetryPolicy, Transport};
use routy_sandbox::{NewToken, Sandbox};
use routy_testkit::{Cassette, CassetteError, Recorder, ReplayOrder, Replayer, REDACTED};
use routy_ureq::UreqTransport;

/// The key the recorder must never write, in any encoding.
const KEY: &str = "OaBw1+4DqFfDLXOLpWthbfp502Wc0D4tICsxNcT+aeQ=";

fn temp(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("routy-testkit-{}-{name}", std::process::id()))
}

fn client_over<T: Transport>(transport: T, base: &str, key: &str) -> routy_core::Client<T> {
    routy_core::ClientBuilder::<()>::new()
        .api_key(ApiKey::new(key).unwrap())
        .base_url(base)
        .retry(RetryPolicy::none())
        .build_with(transport)
        .unwrap()
}

#[test]
fn record_against_the_sandbox_then_replay_offline_with_identical_results() {
    let sandbox = Sandbox::start().unwrap();
    let token = sandbox.issue_token(NewToken::named("record")).unwrap();
    let recorder = Arc::new(Recorder::new(UreqTransport::new()));
    let live = client_over(recorder.clone(), &sandbox.base_url(), token.secret());
    let live_accounts = live.accounts().unwrap();
    let live_report: serde_json::Value = live.get("/v1/accounts?page=1").unwrap();
    let live_404 = live.get::<serde_json::Value>("/v1/missing").unwrap_err();
    let path = temp("record.json");
    recorder.save(&path).unwrap();
    let base = sandbox.base_url();
    drop(sandbox); // From here on there is no server at all.

    let text = std::fs::read_to_string(&path).unwrap();
    assert!(!text.contains(token.secret()), "the key is scrubbed");
    let saved = Cassette::load(&path).unwrap();
    let auth: Vec<_> = saved
        .interactions
        .iter()
        .flat_map(|i| &i.request.headers)
        .filter(|(k, _)| k == "authorization")
        .collect();
    assert_eq!(auth.len(), 3);
    assert!(auth.iter().all(|(_, v)| v == REDACTED));

    let replayer = Arc::new(Replayer::load(&path).unwrap());
    let offline = client_over(replayer.clone(), &base, "a-different-key-entirely");
    assert_eq!(offline.accounts().unwrap(), live_accounts);
    let report: serde_json::Value = offline.get("/v1/accounts?page=1").unwrap();
    assert_eq!(report, live_report);
    let err = offline.get::<serde_json::Value>("/v1/missing").unwrap_err();
    assert_eq!(err.to_string(), live_404.to_string());
    replayer.finish().unwrap();
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn a_tampered_cassette_fails_with_a_diff_and_unused_interactions_are_reported() {
    let sandbox = Sandbox::start().unwrap();
    let token = sandbox.issue_token(NewToken::named("tamper")).unwrap();
    let recorder = Arc::new(Recorder::new(UreqTransport::new()));
    let live = client_over(recorder.clone(), &sandbox.base_url(), token.secret());
    live.accounts().unwrap();
    live.accounts().unwrap();
    let mut cassette = recorder.cassette().unwrap();
    cassette.interactions[0].request.uri = cassette.interactions[0]
        .request
        .uri
        .replace("/v1/accounts", "/v2/accounts");
    cassette.interactions[0].request.method = "POST".into();

    let replayer = Arc::new(Replayer::new(cassette.clone()));
    let offline = client_over(replayer.clone(), &sandbox.base_url(), token.secret());
    let err = offline.accounts().unwrap_err();
    let report = std::error::Error::source(err.as_transport().unwrap())
        .unwrap()
        .to_string();
    assert_eq!(
        report,
        "interaction #0: request does not match the cassette:\n\
         - method: POST\n\
         + method: GET\n\
         - path: /api/v2/accounts\n\
         + path: /api/v1/accounts"
    );
    let unused = replayer.finish().unwrap_err();
    assert_eq!(
        unused.report(),
        "2 interaction(s) never used: #0 POST /api/v2/accounts, #1 GET /api/v1/accounts"
    );

    // By match, the untouched interaction still serves; the tampered one is left over.
    let replayer = Arc::new(Replayer::new(cassette).order(ReplayOrder::ByMatch));
    let offline = client_over(replayer.clone(), &sandbox.base_url(), token.secret());
    offline.accounts().unwrap();
    assert!(offline.accounts().is_err(), "each interaction serves once");
    assert!(replayer
        .finish()
        .unwrap_err()
        .report()
        .contains("#0 POST /api/v2/accounts"));
}

#[test]
fn bodies_can_be_matched_too() {
    let echo = routy_core::transport_fn(|req| {
        Ok(Response::builder()
            .status(201)
            .body(req.into_body())
            .unwrap())
    });
    let recorder = Arc::new(Recorder::new(echo));
    let client = client_over(
        recorder.clone(),
        "https://h.example/api",
        "key-one-two-three",
    );
    client
        .execute_any_status(
            Method::POST,
            "/v1/things",
            Some(routy_core::Body::json(&serde_json::json!({"n": 1})).unwrap()),
        )
        .unwrap();
    let cassette = recorder.cassette().unwrap();
    let replayer = Replayer::new(cassette.clone()).match_body(true);
    let client = client_over(replayer, "https://h.example/api", "key-one-two-three");
    let err = client
        .execute_any_status(
            Method::POST,
            "/v1/things",
            Some(routy_core::Body::json(&serde_json::json!({"n": 2})).unwrap()),
        )
        .unwrap_err();
    let report = format!(
        "{}",
        std::error::Error::source(err.as_transport().unwrap()).unwrap()
    );
    assert!(
        report.contains("- body: {\"n\":1}\n+ body: {\"n\":2}"),
        "{report}"
    );
    let client = client_over(
        Replayer::new(cassette).match_body(true),
        "https://h.example/api",
        "key-one-two-three",
    );
    let response = client
        .execute_any_status(
            Method::POST,
            "/v1/things",
            Some(routy_core::Body::json(&serde_json::json!({"n": 1})).unwrap()),
        )
        .unwrap();
    assert_eq!(response.status(), 201);
}

#[test]
fn scrub_list_binary_bodies_and_the_refusal_to_write_a_key() {
    let server = routy_core::transport_fn(|req| {
        let echo = req.uri().path().ends_with("/echo");
        let body = if echo {
            format!(
                "you sent {}",
                req.headers()["authorization"].to_str().unwrap()
            )
            .into_bytes()
        } else {
            vec![0, 159, 146, 150]
        };
        Ok(Response::builder()
            .header("x-internal-token", "internal-secret")
            .header("set-cookie", "s=1")
            .body(body)
            .unwrap())
    });
    let recorder = Arc::new(Recorder::new(server).scrub_header("X-Internal-Token"));
    let client = client_over(recorder.clone(), "https://h.example/api", KEY);
    client
        .execute_any_status(Method::GET, "/v1/binary", None)
        .unwrap();
    let cassette = recorder.cassette().unwrap();
    let response = &cassette.interactions[0].response;
    assert!(response
        .headers
        .contains(&("x-internal-token".into(), REDACTED.into())));
    assert!(response
        .headers
        .contains(&("set-cookie".into(), REDACTED.into())));
    assert_eq!(
        response.body,
        routy_testkit::RecordedBody::Base64("AJ+Slg==".into())
    );

    client
        .execute_any_status(Method::GET, "/v1/echo", None)
        .unwrap();
    let path = temp("refused.json");
    let err = recorder.save(&path).unwrap_err();
    match &err {
        CassetteError::SecretFound { location } => {
            assert_eq!(location, "interactions[1].response.body")
        }
        other => panic!("{other:?}"),
    }
    assert!(!err.to_string().contains(KEY));
    assert!(!path.exists(), "nothing was written");

    // Part of the key, or the key spelled with JSON escapes, is a leak too.
    let escaped: String = KEY
        .chars()
        .map(|c| format!("\\u{:04x}", c as u32))
        .collect();
    let echoes = [
        format!("a log line with {} in it", &KEY[6..18]),
        format!(r#"{{"echo": "{escaped}"}}"#),
    ];
    for echo in echoes {
        let echo = echo.into_bytes();
        let server = routy_core::transport_fn(move |_req| Ok(Response::new(echo.clone())));
        let recorder = Arc::new(Recorder::new(server));
        let client = client_over(recorder.clone(), "https://h.example/api", KEY);
        client
            .execute_any_status(Method::GET, "/v1/echo", None)
            .unwrap();
        match recorder.save(&path) {
            Err(CassetteError::SecretFound { location }) => {
                assert_eq!(location, "interactions[0].response.body")
            }
            other => panic!("{other:?}"),
        }
        assert!(!path.exists(), "nothing was written");
    }

    let bad = temp("bad.json");
    std::fs::write(&bad, r#"{"version": 2, "interactions": []}"#).unwrap();
    assert!(matches!(
        Cassette::load(&bad),
        Err(CassetteError::Format(_))
    ));
    std::fs::remove_file(&bad).unwrap();
    let _: Option<Error> = None;
}

#[test]
fn no_encoding_of_the_key_is_ever_saved() {
    use base64::Engine as _;
    let escaped: String = KEY
        .chars()
        .map(|c| format!("\\u{:04x}", c as u32))
        .collect();
    let percent: String = KEY.bytes().map(|b| format!("%{b:02X}")).collect();
    let deep = format!("{}\"{escaped}\"{}", "[".repeat(200), "]".repeat(200));
    let b64 = base64::engine::general_purpose::STANDARD;
    let url = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    // (response body, response headers): each a way a hostile server (or
    // a careless test) can put the key into what gets recorded.
    let cases: Vec<(String, Vec<(&str, String)>)> = vec![
        // NDJSON with a \u-escaped echo on one line.
        (format!("{{\"a\":1}}\n{{\"echo\":\"{escaped}\"}}\n"), vec![]),
        // JSON nested deeper than serde_json's recursion limit (128).
        (deep, vec![]),
        // An HTML page with a script that spells it.
        (
            format!(
                "<html><script>var t = \"{}\";</script></html>",
                KEY.bytes()
                    .map(|b| format!("\\x{b:02x}"))
                    .collect::<String>()
            ),
            vec![],
        ),
        (
            format!(
                "<p>{}</p>",
                KEY.bytes().map(|b| format!("&#{b};")).collect::<String>()
            ),
            vec![],
        ),
        // Base64 of the key, standard and URL-safe, in a body and a header.
        (format!("token: {}", b64.encode(KEY)), vec![]),
        (
            String::new(),
            vec![("x-token", url.encode(format!("k={KEY}")))],
        ),
        // The key fully percent-encoded in a redirect target.
        (
            String::new(),
            vec![("location", format!("https://h.example/next?t={percent}"))],
        ),
    ];
    let path = temp("encoded.json");
    for (body, headers) in cases {
        let body_bytes = body.clone().into_bytes();
        let headers_copy = headers.clone();
        let server = routy_core::transport_fn(move |_req| {
            let mut response = Response::builder().status(200);
            for (name, value) in &headers_copy {
                response = response.header(*name, value.as_str());
            }
            Ok(response.body(body_bytes.clone()).unwrap())
        });
        let recorder = Arc::new(Recorder::new(server));
        let client = client_over(recorder.clone(), "https://h.example/api", KEY);
        client
            .execute_any_status(Method::GET, "/v1/echo", None)
            .unwrap();
        let err = recorder.save(&path).unwrap_err();
        assert!(
            matches!(err, CassetteError::SecretFound { .. }),
            "{body:.80} {headers:?}: {err:?}"
        );
        assert!(!path.exists(), "nothing was written");
    }
}

/// With a one-letter test key, a mismatch still reads: the key cannot be
/// told apart from the letters of the URL, so only a standalone `t` is a
/// leak.
#[test]
fn a_mismatch_with_a_one_letter_key_is_readable() {
    let server = routy_core::transport_fn(|_req| Ok(Response::new(b"[]".to_vec())));
    let recorder = Arc::new(Recorder::new(server));
    let base = "https://platform.routy.app/api";
    client_over(recorder.clone(), base, "t").accounts().unwrap();
    let replayer = Arc::new(Replayer::new(recorder.cassette().unwrap()));
    let offline = client_over(replayer, base, "t");
    let err = offline.get::<serde_json::Value>("/v1/reports").unwrap_err();
    let shown = routy::error_chain(&err);
    assert!(!shown.contains("withheld"), "{shown}");
    assert!(
        shown.starts_with("GET https://platform.routy.app/api/v1/reports: "),
        "{shown}"
    );
    assert!(shown.contains("+ path: /api/v1/reports"), "{shown}");
}

mod tape {
    use super::*;
    use routy_testkit::{RecordMode, Tape, TapeError};
    use std::time::{Duration, SystemTime};

    fn never() -> UreqTransport {
        panic!("a replaying tape must not make a live transport")
    }

    #[test]
    fn one_switch_records_what_is_missing_then_replays_with_no_key() {
        let sandbox = Sandbox::start().unwrap();
        let token = sandbox.issue_token(NewToken::named("tape")).unwrap();
        let path = temp("tape").join("accounts.json");
        let _ = std::fs::remove_dir_all(path.parent().unwrap());

        // Replay only, nothing recorded yet: says how to record.
        let err = Tape::builder(&path)
            .mode(RecordMode::Replay)
            .open(never)
            .unwrap_err();
        assert!(matches!(err, TapeError::Missing { .. }), "{err}");

        // Record what is missing: the sandbox's key, the live transport
        // (on CI too: the sandbox is local, and the mode says so).
        let tape = Arc::new(
            Tape::builder(&path)
                .mode(RecordMode::MissingEvenOnCi)
                .api_key(ApiKey::new(token.secret()).unwrap())
                .open(UreqTransport::new)
                .unwrap(),
        );
        assert!(tape.is_recording());
        let live = routy_core::ClientBuilder::<()>::new()
            .api_key(tape.api_key().unwrap())
            .base_url(&sandbox.base_url())
            .build_with(tape.clone())
            .unwrap();
        let recorded = live.accounts().unwrap();
        tape.finish().unwrap();
        let written = std::fs::read_to_string(&path).unwrap();
        assert!(written.contains("\"recorded_at\""));
        assert!(!written.contains(token.secret()));

        // The same switch now replays: no live transport, no real key.
        for mode in [RecordMode::Missing, RecordMode::Replay] {
            let tape = Arc::new(
                Tape::builder(&path)
                    .mode(mode)
                    .key_env("ROUTY_TESTKIT_UNSET_KEY")
                    .open(never)
                    .unwrap(),
            );
            assert!(!tape.is_recording());
            let offline = client_over(
                tape.clone(),
                "https://platform.routy.app/api",
                tape.api_key().unwrap().expose_secret(),
            );
            assert_eq!(offline.accounts().unwrap(), recorded);
            tape.finish().unwrap();
        }

        // Recording without a real key is refused, by name.
        let tape = Tape::builder(&path)
            .mode(RecordMode::AllEvenOnCi)
            .key_env("ROUTY_TESTKIT_UNSET_KEY")
            .open(UreqTransport::new)
            .unwrap();
        let err = tape.api_key().unwrap_err();
        assert!(err.to_string().starts_with("recording "), "{err}");
        assert!(routy_core::error_chain(&err).contains("ROUTY_TESTKIT_UNSET_KEY"));
    }

    #[test]
    fn a_mode_set_in_code_records_on_ci_only_when_it_says_so_and_the_hint_names_the_key_source() {
        let path = temp("ci-mode").join("missing.json");
        let _ = std::fs::remove_dir_all(path.parent().unwrap());
        let live = || routy_core::transport_fn(|_req| Ok(Response::new(b"[]".to_vec())));
        // On CI, a `Missing` or `All` left in code replays only: the
        // missing cassette is an error, naming where the key would come
        // from.
        for mode in [RecordMode::Missing, RecordMode::All] {
            let err = Tape::builder(&path)
                .mode(mode)
                .key_env("ROUTY_TESTKIT_OTHER_KEY")
                .on_ci(true)
                .open(live)
                .unwrap_err();
            assert!(matches!(err, TapeError::Missing { .. }), "{mode:?}: {err}");
            assert!(
                err.to_string()
                    .ends_with("(and a real key in ROUTY_TESTKIT_OTHER_KEY)"),
                "{err}"
            );
        }
        // Off CI they record, and so do the modes that say "on CI" by
        // name.
        let off_ci = Tape::builder(&path)
            .mode(RecordMode::Missing)
            .on_ci(false)
            .open(live)
            .unwrap();
        assert!(off_ci.is_recording());
        for mode in [RecordMode::MissingEvenOnCi, RecordMode::AllEvenOnCi] {
            let tape = Tape::builder(&path)
                .mode(mode)
                .on_ci(true)
                .api_key(ApiKey::new(KEY).unwrap())
                .open(live)
                .unwrap();
            assert!(tape.is_recording(), "{mode:?}");
            assert_eq!(tape.api_key().unwrap().expose_secret(), KEY);
        }
        // A key given in code is named as the key source.
        let err = Tape::builder(&path)
            .mode(RecordMode::Replay)
            .api_key(ApiKey::new(KEY).unwrap())
            .open(live)
            .unwrap_err();
        assert!(
            err.to_string()
                .ends_with("(and the key given to TapeBuilder::api_key)"),
            "{err}"
        );
    }

    #[test]
    fn a_cassette_past_its_age_is_refused_or_recorded_again() {
        let path = temp("aged.json");
        let transport = routy_core::transport_fn(|_req| Ok(Response::new(b"[]".to_vec())));
        let recorder = Arc::new(Recorder::new(transport).recorded_at(SystemTime::UNIX_EPOCH));
        client_over(recorder.clone(), "https://platform.routy.app/api", KEY)
            .accounts()
            .unwrap();
        recorder.save(&path).unwrap();
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(40 * 86_400);
        let month = Duration::from_secs(30 * 86_400);

        let err = Tape::builder(&path)
            .mode(RecordMode::Replay)
            .max_age(month)
            .now(now)
            .open(never)
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "the cassette {} was recorded 40 day(s) ago, past its maximum age of 30 day(s): \
                 record it again with ROUTY_RECORD=all (and a real key in ROUTY_API_KEY)",
                path.display()
            )
        );
        // Young enough: replays.
        let young = Tape::builder(&path)
            .mode(RecordMode::Replay)
            .max_age(month * 2)
            .now(now)
            .open(never)
            .unwrap();
        assert!(!young.is_recording());
        // Record-missing records a stale one again.
        let again = Tape::builder(&path)
            .mode(RecordMode::MissingEvenOnCi)
            .max_age(month)
            .now(now)
            .open(|| routy_core::transport_fn(|_req| Ok(Response::new(b"[]".to_vec()))))
            .unwrap();
        assert!(again.is_recording());
        std::fs::remove_file(&path).unwrap();
    }

    #[test]
    fn rescrubbing_fails_closed_and_leaves_the_file_alone() {
        let path = temp("rescrub.json");
        let leaky = format!(
            r#"{{"version": 1, "interactions": [{{
                "request": {{"method": "GET", "uri": "https://h.example/api/v1/accounts", "headers": [["x-internal-token", "s3cret"]], "body": ""}},
                "response": {{"status": 200, "headers": [], "body": "echo {KEY}"}}}}]}}"#
        );
        std::fs::write(&path, &leaky).unwrap();
        let key = ApiKey::new(KEY).unwrap();
        let err = Cassette::rescrub_file(&path, &["x-internal-token"], &[key]).unwrap_err();
        assert!(
            matches!(err, CassetteError::SecretFound { ref location } if location == "interactions[0].response.body"),
            "{err}"
        );
        assert_eq!(std::fs::read_to_string(&path).unwrap(), leaky);
        std::fs::remove_file(&path).unwrap();
    }

    #[test]
    fn identical_requests_are_answered_in_recorded_order_and_repeats_are_opt_in() {
        let interaction = |body: &str| {
            serde_json::json!({
                "request": {"method": "GET", "uri": "https://h.example/api/v1/accounts", "headers": [], "body": ""},
                "response": {"status": 200, "headers": [], "body": body}
            })
        };
        let cassette: Cassette = serde_json::from_value(serde_json::json!({
            "version": 1,
            "interactions": [interaction(r#"[{"id": 1}]"#), interaction(r#"[{"id": 1}, {"id": 2}]"#)]
        }))
        .unwrap();
        for order in [ReplayOrder::InOrder, ReplayOrder::ByMatch] {
            let replayer = Arc::new(Replayer::new(cassette.clone()).order(order));
            let client = client_over(replayer.clone(), "https://h.example/api", KEY);
            assert_eq!(client.accounts().unwrap().len(), 1);
            assert_eq!(client.accounts().unwrap().len(), 2);
            assert!(client.accounts().is_err(), "a third is not recorded");
            replayer.finish().unwrap();

            let replayer = Arc::new(
                Replayer::new(cassette.clone())
                    .order(order)
                    .allow_repeats(true),
            );
            let client = client_over(replayer.clone(), "https://h.example/api", KEY);
            let lengths: Vec<usize> = (0..4).map(|_| client.accounts().unwrap().len()).collect();
            assert_eq!(lengths, [1, 2, 2, 2]);
        }
    }
}
