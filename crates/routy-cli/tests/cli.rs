//! The built `routy` binary against the sandbox and scripted loopback
//! servers: every command, every exit code, and never the key in its
//! output.

#![allow(
    clippy::unwrap_used,
    reason = "a test helper that fails should panic loudly"
)]

#[path = "../../../tests/support/mod.rs"]
mod support;

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{call, routy, run, sandbox_serving, with_key};
use routy_sandbox::{NewToken, Sandbox};
use support::{busy_or_ok, header_of, respond, ScriptServer};

#[test]
fn accounts_list_as_table_and_as_the_json_the_api_sent() {
    let fixture = r#"[{"id":7,"name":"Grüße GmbH ✓","zeta":{"kept":[1,2]},"alpha":null},{"id":"acc_x","name":"Nordwind"}]"#;
    let (sandbox, token) = sandbox_serving(Some(fixture));
    let base = sandbox.base_url();

    let (code, stdout, _) = call(&base, token.secret(), &["accounts", "list"]);
    assert_eq!(code, 0);
    assert_eq!(
        stdout,
        "ID     NAME\n7      Grüße GmbH ✓\nacc_x  Nordwind\n"
    );

    // Names and ids are the server's text: control characters and bidi
    // overrides are shown escaped, so a row stays a row.
    let hostile = r#"[{"id":"a\tb","name":"Evil\n1002  Forged\u001b[2J\u202etxt.exe"}]"#;
    let (odd, odd_token) = sandbox_serving(Some(hostile));
    let (code, stdout, _) = call(&odd.base_url(), odd_token.secret(), &["accounts", "list"]);
    assert_eq!(code, 0);
    assert_eq!(
        stdout,
        "ID    NAME\na\\tb  Evil\\n1002  Forged\\u{1b}[2J\\u{202e}txt.exe\n"
    );

    let (code, stdout, _) = call(
        &base,
        token.secret(),
        &["accounts", "list", "--output", "json"],
    );
    assert_eq!(code, 0);
    assert_eq!(
        stdout,
        format!("{fixture}\n"),
        "exactly as sent: order, unknown fields, unicode"
    );
}

#[test]
fn api_prints_pretty_json_and_with_include_the_status_and_headers() {
    let (sandbox, token) = sandbox_serving(None);
    let base = sandbox.base_url();
    let (code, stdout, _) = call(&base, token.secret(), &["api", "get", "/v1/accounts"]);
    assert_eq!(code, 0);
    assert!(stdout.starts_with("[\n  {\n"), "{stdout}");
    let parsed: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        parsed.as_array().unwrap().len(),
        routy_sandbox::SEED_ACCOUNTS
    );

    let (code, stdout, _) = call(
        &base,
        token.secret(),
        &["api", "GET", "/v1/accounts", "--include"],
    );
    assert_eq!(code, 0);
    assert!(stdout.starts_with("HTTP/1.1 200 OK\n"), "{stdout}");
    assert!(stdout.contains("content-type: application/json"));
    assert!(!stdout.to_ascii_lowercase().contains("authorization"));

    // A non-success status: stdout stays empty (`| jq` sees only
    // successes); the body, the message with the URL, and the hint go to
    // stderr; the exit code says 4.
    let (code, stdout, stderr) = call(&base, token.secret(), &["api", "GET", "/v1/nothing"]);
    assert_eq!(code, 4, "{stderr}");
    assert_eq!(stdout, "");
    assert!(stderr.contains("\"status\": 404"), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "error: GET {base}/v1/nothing: api returned 404 not found: Not Found\n"
        )),
        "{stderr}"
    );
    // The path that repeats the base URL's: the library's hint, as
    // `accounts list` would show it.
    let (code, stdout, stderr) = call(&base, token.secret(), &["api", "GET", "/api/v1/accounts"]);
    assert_eq!((code, stdout.as_str()), (4, ""), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "error: GET {base}/api/v1/accounts: api returned 404 not found"
        )) && stderr.contains(
            "(the path repeats the base url's own path: leave that part out of the path)"
        ),
        "{stderr}"
    );
    // With --include, a failure's status line and headers go to stderr too.
    let (code, stdout, stderr) = call(&base, token.secret(), &["api", "GET", "/v1/nothing", "-i"]);
    assert_eq!((code, stdout.as_str()), (4, ""), "{stderr}");
    assert!(stderr.starts_with("HTTP/1.1 404 Not Found\n"), "{stderr}");
    assert!(
        stderr.contains("content-type: application/problem+json"),
        "{stderr}"
    );
}

#[test]
fn api_sends_data_literal_from_a_file_and_from_stdin() {
    let server = ScriptServer::start("127.0.0.1", |_, stream| {
        respond(
            stream,
            "201 Created",
            &[("Content-Type", "application/json")],
            br#"{"created":true}"#,
        );
    });
    let key = "Qd7Lx2VnR8pKz4Tw0Ys6";
    let base = server.url("/api");
    let file = std::env::temp_dir().join(format!("routy-cli-data-{}.json", std::process::id()));
    std::fs::write(&file, r#"{"from":"file"}"#).unwrap();
    let at_file = format!("@{}", file.display());
    for (args, stdin, expected) in [
        (
            vec!["api", "POST", "/v1/things", "--data", r#"{"from":"arg"}"#],
            None,
            r#"{"from":"arg"}"#,
        ),
        (
            vec!["api", "POST", "/v1/things", "--data", &at_file],
            None,
            r#"{"from":"file"}"#,
        ),
        (
            vec!["api", "POST", "/v1/things", "-d", "@-"],
            Some(r#"{"from":"stdin"}"#),
            r#"{"from":"stdin"}"#,
        ),
    ] {
        let (code, stdout, stderr) =
            run(with_key(&mut routy(), &base, key).args(&args), key, stdin);
        assert_eq!(code, 0, "{stderr}");
        assert_eq!(stdout, "{\n  \"created\": true\n}\n");
        let head = server.heads().pop().unwrap();
        assert!(head.starts_with("POST /api/v1/things "), "{head}");
        assert_eq!(
            header_of(&head, "content-type").as_deref(),
            Some("application/json")
        );
        assert_eq!(
            header_of(&head, "content-length"),
            Some(expected.len().to_string())
        );
    }
    std::fs::remove_file(&file).unwrap();
    let (code, _, stderr) = call(&base, key, &["api", "POST", "/v1/x", "--data", "{not json"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("--data is not valid JSON"), "{stderr}");
    let (code, _, stderr) = call(&base, key, &["api", "BR OKEN", "/v1/x"]);
    assert_eq!(code, 2, "{stderr}");
}

#[test]
fn auth_check_valid_rejected_expired_deleted() {
    let clock = routy_sandbox::ManualWallClock::new(std::time::SystemTime::now());
    let sandbox = Sandbox::builder().clock(clock.clone()).start().unwrap();
    let base = sandbox.base_url();
    let good = sandbox.issue_token(NewToken::named("good")).unwrap();
    let (code, stdout, _) = call(&base, good.secret(), &["auth", "check"]);
    assert_eq!(code, 0);
    let fingerprint = &good.secret()[good.secret().len() - 4..];
    assert_eq!(
        stdout,
        format!("api key …{fingerprint} is valid: 40 account(s) visible at {base}\n")
    );

    let (code, _, stderr) = run(
        with_key(
            &mut routy(),
            &base,
            "OaBw1+4DqFfDLXOLpWthbfp502Wc0D4tICsxNcT+aeQ=",
        )
        .args(["auth", "check"]),
        "OaBw1+4DqFfDLXOLpWthbfp502Wc0D4tICsxNcT+aeQ=",
        None,
    );
    assert_eq!(code, 3);
    assert!(
        stderr.contains("was rejected (401): The API token is not valid."),
        "{stderr}"
    );
    assert!(stderr.contains("hint: generate a new token"), "{stderr}");

    let expiring = sandbox
        .issue_token(
            NewToken::named("expiring")
                .expires_at(std::time::SystemTime::now() + Duration::from_secs(60)),
        )
        .unwrap();
    clock.advance(Duration::from_secs(120));
    let (code, _, stderr) = call(&base, expiring.secret(), &["auth", "check"]);
    assert_eq!(code, 3);
    assert!(stderr.contains("The API token expired at"), "{stderr}");

    sandbox.delete_token(&good.info.id).unwrap();
    let (code, _, stderr) = call(&base, good.secret(), &["auth", "check"]);
    assert_eq!(code, 3);
    assert!(
        stderr.contains("The API token has been deleted."),
        "{stderr}"
    );
}

#[test]
fn forbidden_is_exit_3_and_unreachable_is_exit_5() {
    let server = ScriptServer::start("127.0.0.1", |_, stream| {
        respond(
            stream,
            "403 Forbidden",
            &[("Content-Type", "application/problem+json")],
            br#"{"title":"Forbidden","status":403,"detail":"This token may not list accounts."}"#,
        );
    });
    let key = "Fx9qT2mLw0Zr7Kp4Vb1N";
    let (code, _, stderr) = call(&server.url("/api"), key, &["auth", "check"]);
    assert_eq!(code, 3);
    assert!(
        stderr.contains("forbidden here (403): This token may not list accounts."),
        "{stderr}"
    );

    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let (code, _, stderr) = call(
        &format!("http://{closed}/api"),
        key,
        &["--max-retries", "0", "auth", "check"],
    );
    assert_eq!(code, 5);
    assert!(stderr.contains("connection failed"), "{stderr}");
}

#[test]
fn credential_and_configuration_errors_are_exit_2_and_send_nothing() {
    let server = ScriptServer::start("127.0.0.1", |_, stream| {
        respond(stream, "200 OK", &[], b"[]")
    });
    let base = server.url("/api");
    let secret = "OaBw1+4DqFfDLXOLpWthbfp502Wc0D4tICsxNcT+aeQ=";

    let (code, _, stderr) = run(
        routy()
            .env("ROUTY_BASE_URL", &base)
            .args(["accounts", "list"]),
        secret,
        None,
    );
    assert_eq!(code, 2);
    assert!(stderr.contains("ROUTY_API_KEY is not set"), "{stderr}");

    let (code, _, stderr) = run(
        with_key(&mut routy(), &base, &format!("ApiKey {secret}")).args(["auth", "check"]),
        secret,
        None,
    );
    assert_eq!(code, 2);
    assert!(stderr.contains("pasted \"ApiKey\" prefix"), "{stderr}");

    let (code, _, stderr) = run(
        with_key(
            &mut routy(),
            &base,
            &format!("{}\r\n{}", &secret[..20], &secret[20..]),
        )
        .args(["auth", "check"]),
        secret,
        None,
    );
    assert_eq!(code, 2);
    assert!(
        stderr.contains("whitespace") && stderr.contains("hint:"),
        "{stderr}"
    );

    let (code, _, stderr) = call("http://api.example.com/api", secret, &["auth", "check"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("refusing plain http to api.example.com"),
        "{stderr}"
    );

    let (code, _, _) = call(&base, secret, &["accounts", "list", "--output", "yaml"]);
    assert_eq!(code, 2, "clap usage errors are 2 too");

    assert_eq!(server.connections(), 0, "nothing was sent");
}

#[test]
fn key_from_a_file_with_crlf_and_from_stdin() {
    let (sandbox, token) = sandbox_serving(None);
    let file = std::env::temp_dir().join(format!("routy-cli-key-{}.txt", std::process::id()));
    std::fs::write(&file, format!("{}\r\n", token.secret())).unwrap();
    let check_with_file = || {
        run(
            routy()
                .env("ROUTY_BASE_URL", sandbox.base_url())
                .arg("--api-key-file")
                .arg(&file)
                .args(["auth", "check"]),
            token.secret(),
            None,
        )
    };
    let (code, _, stderr) = check_with_file();
    assert_eq!(code, 0, "{stderr}");
    let (code, _, _) = run(
        routy()
            .env("ROUTY_BASE_URL", sandbox.base_url())
            .env("ROUTY_API_KEY_FILE", &file)
            .args(["auth", "check"]),
        token.secret(),
        None,
    );
    assert_eq!(code, 0);
    std::fs::remove_file(&file).unwrap();
    let (code, _, stderr) = run(
        routy().env("ROUTY_BASE_URL", sandbox.base_url()).args([
            "--api-key-stdin",
            "auth",
            "check",
        ]),
        token.secret(),
        Some(&format!("{}\n", token.secret())),
    );
    assert_eq!(code, 0, "{stderr}");
    let (code, _, stderr) = check_with_file();
    assert_eq!(code, 2);
    assert!(stderr.contains("cannot read api key file"), "{stderr}");
}

#[test]
fn a_429_with_retry_after_is_retried_and_max_retries_0_gives_up() {
    let server = ScriptServer::start("127.0.0.1", |n, stream| {
        let ok = br#"[{"id":1,"name":"After retry"}]"#;
        busy_or_ok(stream, n % 2 == 0, "429 Too Many Requests", "0", ok);
    });
    let key = "Rt5Gh8Jk2Mn4Pq6Sv9Xz";
    let (code, stdout, _) = call(&server.url("/api"), key, &["accounts", "list"]);
    assert_eq!(code, 0);
    assert!(stdout.contains("After retry"));
    assert_eq!(server.connections(), 2);

    let (code, _, stderr) = call(
        &server.url("/api"),
        key,
        &["--max-retries", "0", "accounts", "list"],
    );
    assert_eq!(code, 4);
    assert!(
        stderr.contains("429")
            && stderr.contains("hint: the rate limit is spent: try again in 0 s"),
        "{stderr}"
    );
}

#[test]
fn a_timeout_is_positive_and_a_huge_one_means_as_long_as_can_be() {
    let (sandbox, token) = sandbox_serving(None);
    let base = sandbox.base_url();
    for bad in ["0", "-1", "NaN", "1e-12"] {
        let arg = format!("--timeout={bad}");
        let (code, _, stderr) = call(&base, token.secret(), &[&arg, "auth", "check"]);
        assert_eq!(code, 2, "--timeout {bad}: {stderr}");
        assert!(
            stderr.contains("is not a positive number of seconds"),
            "{stderr}"
        );
    }
    // These overflowed `Instant + timeout` and panicked (exit 101).
    for huge in ["1e19", "inf", "1e400"] {
        let (code, stdout, stderr) = call(
            &base,
            token.secret(),
            &["--timeout", huge, "accounts", "list"],
        );
        assert_eq!(code, 0, "--timeout {huge}: {stderr}");
        assert!(stdout.starts_with("ID "), "{stdout}");
    }
}

#[test]
fn empty_variables_in_the_environment_mean_unset() {
    // A loopback proxy sees where the call would go, and nothing leaves
    // the machine: it reads the CONNECT line and hangs up.
    let proxy = ScriptServer::start("127.0.0.1", |_, stream| {
        let _ = stream.shutdown(std::net::Shutdown::Both);
    });
    let key = "Em5Bv8Xc1Nq4Wr7Ty2Ua";
    let (code, _, stderr) = run(
        routy()
            // As a .env file may leave them: the default URL, and the key
            // from ROUTY_API_KEY.
            .env("ROUTY_BASE_URL", "")
            .env("ROUTY_API_KEY_FILE", "")
            .env("ROUTY_API_KEY", key)
            .env("ALL_PROXY", format!("http://{}", proxy.addr))
            .args(["--max-retries", "0", "auth", "check"]),
        key,
        None,
    );
    assert_eq!(code, 5, "{stderr}");
    let heads = proxy.heads();
    assert!(
        heads.len() == 1 && heads[0].starts_with("CONNECT platform.routy.app:443 "),
        "{heads:?}"
    );
}

#[test]
fn a_stalled_server_times_out_with_exit_5() {
    let server = ScriptServer::start("127.0.0.1", |_, stream| {
        std::thread::sleep(Duration::from_secs(6));
        let _ = stream.shutdown(std::net::Shutdown::Both);
    });
    let key = "St3Wd6Yf9Bh2Kl5Nc8Qe";
    let started = Instant::now();
    let (code, _, stderr) = call(
        &server.url("/api"),
        key,
        &["--timeout", "2", "accounts", "list"],
    );
    let elapsed = started.elapsed();
    assert_eq!(code, 5, "{stderr}");
    assert!(stderr.contains("timed out"), "{stderr}");
    // Ended by the 2 s deadline, not by the server's 6 s stall (the upper
    // bound leaves room for a loaded machine).
    assert!(
        elapsed >= Duration::from_secs(2) && elapsed < Duration::from_secs(5),
        "{elapsed:?}"
    );
}

#[test]
fn a_cross_host_redirect_does_not_carry_the_key() {
    let other = ScriptServer::start("127.0.0.2", |_, stream| {
        respond(
            stream,
            "200 OK",
            &[("Content-Type", "application/json")],
            br#"[{"id":9,"name":"Elsewhere"}]"#,
        );
    });
    let target = other.url("/api/v1/accounts");
    let first = ScriptServer::start("127.0.0.1", move |_, stream| {
        respond(stream, "302 Found", &[("Location", &target)], b"");
    });
    let key = "Rd8Mx3Kp6Vz9Lq2Tw5Hg89";
    let (code, stdout, stderr) = call(&first.url("/api"), key, &["-v", "accounts", "list"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("Elsewhere"));
    assert!(header_of(&first.heads()[0], "authorization").is_some());
    let head = &other.heads()[0];
    assert_eq!(header_of(head, "authorization"), None, "{head}");
    assert!(!head.contains(key));
    // --verbose shows both hops, the key as a fingerprint only.
    assert!(
        stderr.contains("> authorization: ApiKey …Hg89 (redacted)"),
        "{stderr}"
    );
    assert!(stderr.contains("< 302 Found"), "{stderr}");
}

#[test]
fn an_echoing_server_does_not_get_the_key_printed() {
    // The server puts the Authorization header it got, whole and in part,
    // into a 401 body, headers and the problem detail; `run` fails if any
    // output holds 8 bytes of it.
    let key = "Ec7Hq2Wn9Lp4Xv6Tz1Ks";
    let part = &key[3..15];
    let echoing = ScriptServer::start("127.0.0.1", move |_, stream| {
        let body = format!(
            r#"{{"title":"Unauthorized","status":401,"detail":"you sent ApiKey {key}","echo":"{key}","part":"{part}"}}"#
        );
        respond(
            stream,
            "401 Unauthorized",
            &[
                ("Content-Type", "application/problem+json"),
                ("X-Echo", key),
                ("X-Echo-Part", part),
                // U+009B is CSI to many terminals: it must not reach one raw.
                ("X-Csi", "\u{9b}2J"),
            ],
            body.as_bytes(),
        );
    });
    let (code, stdout, stderr) = call(
        &echoing.url("/api"),
        key,
        &["--verbose", "api", "GET", "/v1/accounts", "-i"],
    );
    assert_eq!(code, 3);
    assert_eq!(stdout, "", "a failure prints nothing on stdout");
    assert!(
        stderr.contains("x-echo: [redacted]") && stderr.contains("\"echo\": \"[redacted]\""),
        "{stderr}"
    );
    assert!(
        stderr.contains("\nx-csi: \\u{9b}2J") && stderr.contains("< x-csi: \\u{9b}2J"),
        "{stderr}"
    );
    let (code, _, stderr) = call(&echoing.url("/api"), key, &["auth", "check"]);
    assert_eq!(code, 3);
    assert!(stderr.contains("you sent ApiKey [redacted]"), "{stderr}");

    // Echoes in encoded forms: JSON escapes in the body, percent-encoding
    // in a header. Neither is printed in any form.
    let escaped: String = key
        .chars()
        .map(|c| format!("\\u{:04x}", c as u32))
        .collect();
    let percent: String = key.bytes().map(|b| format!("%{b:02X}")).collect();
    let encoding = ScriptServer::start("127.0.0.1", move |_, stream| {
        let body = format!(r#"{{"detail":"you sent {escaped}"}}"#);
        respond(
            stream,
            "401 Unauthorized",
            &[("Content-Type", "application/json"), ("X-Echo", &percent)],
            body.as_bytes(),
        );
    });
    let (code, stdout, stderr) = call(
        &encoding.url("/api"),
        key,
        &["--verbose", "api", "GET", "/v1/accounts", "-i"],
    );
    assert_eq!((code, stdout.as_str()), (3, ""));
    assert!(stderr.contains("[withheld"), "{stderr}");

    // Account data is server text too: names that echo the key.
    let accounts = ScriptServer::start("127.0.0.1", move |_, stream| {
        let body = format!(r#"[{{"id":1,"name":"{key}"}},{{"id":2,"name":"Acme"}}]"#);
        respond(
            stream,
            "200 OK",
            &[("Content-Type", "application/json")],
            body.as_bytes(),
        );
    });
    let (code, stdout, _) = call(&accounts.url("/api"), key, &["accounts", "list"]);
    assert_eq!(code, 0);
    assert!(
        stdout.contains("[redacted]") && stdout.contains("Acme"),
        "{stdout}"
    );
    let (code, stdout, _) = call(
        &accounts.url("/api"),
        key,
        &["accounts", "list", "-o", "json"],
    );
    assert_eq!(code, 0);
    assert!(stdout.contains("[redacted]"), "{stdout}");
}

#[test]
fn completions_are_generated() {
    let (code, stdout, _) = run(routy().args(["completions", "bash"]), "", None);
    assert_eq!(code, 0);
    assert!(
        stdout.contains("_routy()") && stdout.contains("accounts"),
        "{}",
        &stdout[..200.min(stdout.len())]
    );
}

/// `routy sandbox ARGS`, running, and the base URL and key from its
/// export line.
fn sandbox_command(args: &[&str]) -> (std::process::Child, String, String) {
    let mut child = routy()
        .arg("sandbox")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (base, key) = exported(&mut child);
    (child, base, key)
}

/// The base URL and key of a running `routy sandbox`, from its export line.
fn exported(child: &mut std::process::Child) -> (String, String) {
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let export = loop {
        let line = lines.next().unwrap().unwrap();
        if line.starts_with("export ") {
            break line;
        }
    };
    let mut vars = export
        .trim_start_matches("export ")
        .split(' ')
        .map(|kv| kv.split_once('=').unwrap());
    let (_, base) = vars.next().unwrap();
    let (_, key) = vars.next().unwrap();
    (base.to_owned(), key.to_owned())
}

#[test]
fn the_sandbox_command_serves_prints_exports_and_stops_on_ctrl_c() {
    let (mut child, base, key) = sandbox_command(&["--port", "0"]);
    let (base, key) = (base.as_str(), key.as_str());
    assert!(
        base.starts_with("http://127.0.0.1:") && base.ends_with("/api"),
        "{base}"
    );
    let (code, stdout, _) = call(base, key, &["accounts", "list"]);
    assert_eq!(code, 0);
    assert_eq!(stdout.lines().count(), 1 + routy_sandbox::SEED_ACCOUNTS);

    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let started = Instant::now();
    let exit = loop {
        if let Some(exit) = child.try_wait().unwrap() {
            break exit;
        }
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "sandbox did not stop"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(exit.success(), "{exit:?}");
}

#[test]
fn a_ca_file_makes_a_proxy_signed_server_trusted_and_its_absence_is_explained() {
    const KEY: &str = "OaBw1+4DqFfDLXOLpWthbfp502Wc0D4tICsxNcT+aeQ=";
    let server = routy_testkit::https::HttpsServer::start(
        "application/json",
        br#"[{"id":1,"name":"Behind The Proxy"}]"#.to_vec(),
    )
    .unwrap();
    let base = server.url("/api");

    // Without the CA: a TLS failure that says what to do.
    let (code, stdout, stderr) = call(&base, KEY, &["accounts", "list"]);
    assert_eq!(code, 5, "a network failure: {stderr}");
    assert!(stdout.is_empty());
    assert!(stderr.contains("UnknownIssuer"), "{stderr}");
    assert!(stderr.contains("--ca-file"), "{stderr}");

    // With it, as an option and as SSL_CERT_FILE.
    let ca = std::env::temp_dir().join(format!("routy-cli-ca-{}.pem", std::process::id()));
    std::fs::write(&ca, server.ca_pem()).unwrap();
    let ca_path = ca.to_str().unwrap();
    let (code, stdout, stderr) = call(&base, KEY, &["accounts", "list", "--ca-file", ca_path]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout, "ID  NAME\n1   Behind The Proxy\n");
    let (code, stdout, _) = run(
        with_key(&mut routy(), &base, KEY)
            .env("SSL_CERT_FILE", &ca)
            .args(["accounts", "list"]),
        KEY,
        None,
    );
    assert_eq!(code, 0);
    assert!(stdout.contains("Behind The Proxy"));
    let _ = std::fs::remove_file(&ca);

    // A CA file that is not one: a usage error naming it.
    let (code, _, stderr) = call(
        &base,
        KEY,
        &["accounts", "list", "--ca-file", "/nonexistent/ca.pem"],
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("/nonexistent/ca.pem"), "{stderr}");
}

#[test]
fn the_sandbox_command_takes_stubs_and_faults_from_files_and_flags() {
    let dir = std::env::temp_dir().join(format!("routy-cli-stubs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let stubs = dir.join("stubs.json");
    std::fs::write(
        &stubs,
        r#"[{"method": "GET", "path": "/v1/reports", "response": {"status": 200, "json": [{"id": "r1"}]}, "expect": 3}]"#,
    )
    .unwrap();
    let faults = dir.join("faults.json");
    std::fs::write(&faults, r#"{"kind": "reset", "times": 1}"#).unwrap();

    // A bad file is refused before anything listens, by name.
    let bad = dir.join("bad.json");
    std::fs::write(&bad, r#"[{"kind": "explode"}]"#).unwrap();
    let out = routy()
        .args(["sandbox", "--faults", bad.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("bad.json: unknown variant `explode`"),
        "{stderr}"
    );
    // A misspelt member is refused too, naming it and the valid ones,
    // never read as a one-shot fault.
    let out = routy()
        .args([
            "sandbox",
            "--fault",
            r#"{"kind": "drop", "probabilty": 0.2}"#,
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(
            "unknown field `probabilty` in a `drop` fault rule: its fields are kind, times, probability, seed"
        ),
        "{stderr}"
    );

    let (child, base, key) = sandbox_command(&[
        "--stubs",
        stubs.to_str().unwrap(),
        "--faults",
        faults.to_str().unwrap(),
        "--fault",
        r#"{"kind": "respond", "status": 503, "headers": {"Retry-After": "0"}}"#,
    ]);
    let (base, key) = (base.as_str(), key.as_str());
    // The reset, then the 503, both retried by routy; then the stub.
    let (code, stdout, stderr) = call(base, key, &["api", "GET", "/v1/reports"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("\"r1\""), "{stdout}");
    // Behind the real authentication.
    let (code, _, stderr) = call(base, "not-the-key", &["api", "GET", "/v1/reports"]);
    assert_eq!(code, 3, "{stderr}");

    // The reset broke a real answer (the stub counted it), the 503 came in
    // its place: two calls of the three expected, said at the end, exit 1.
    Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr
            .contains("stub expectations not met: stub GET /v1/reports expected 3 call(s), got 2"),
        "{stderr}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
