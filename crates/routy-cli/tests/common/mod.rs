//! What every test of the `routy` binary needs: the command with a clean
//! environment, a runner that fails when any output holds the key, and a
//! sandbox with a token.

#![allow(dead_code, reason = "each test file uses some of these")]

use std::io::Write;
use std::process::{Command, Output, Stdio};

use routy_sandbox::{IssuedToken, NewToken, Sandbox};

/// A `routy` command with an empty environment (no stray key or proxy).
pub(crate) fn routy() -> Command {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin!("routy"));
    cmd.env_clear();
    // No profiles but the ones a test writes: the config folder is one
    // that does not exist.
    cmd.env("XDG_CONFIG_HOME", "/nonexistent/routy-cli-tests");
    cmd
}

/// Runs `cmd` (feeding `stdin`), checks the key shows nowhere in its
/// output, and returns exit code, stdout and stderr.
pub(crate) fn run(cmd: &mut Command, secret: &str, stdin: Option<&str>) -> (i32, String, String) {
    cmd.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    });
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    }
    let Output {
        status,
        stdout,
        stderr,
    } = child.wait_with_output().unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&stdout).into_owned(),
        String::from_utf8_lossy(&stderr).into_owned(),
    );
    let secret = secret.trim();
    if secret.len() >= 8 {
        for i in 0..=secret.len() - 8 {
            let window = &secret[i..i + 8];
            assert!(
                !stdout.contains(window) && !stderr.contains(window),
                "output shows the key:\n{stdout}\n{stderr}"
            );
        }
        if let Ok(key) = routy::ApiKey::new(secret) {
            assert!(
                !key.found_in(&stdout) && !key.found_in(&stderr),
                "output spells the key:\n{stdout}\n{stderr}"
            );
        }
    }
    assert!(!stderr.contains("panicked"), "{stderr}");
    (status.code().unwrap_or(-1), stdout, stderr)
}

/// Runs `routy ARGS` against `base` with `key` in ROUTY_API_KEY, checking
/// no output holds the key.
pub(crate) fn call(base: &str, key: &str, args: &[&str]) -> (i32, String, String) {
    run(with_key(&mut routy(), base, key).args(args), key, None)
}

pub(crate) fn with_key<'a>(cmd: &'a mut Command, base: &str, key: &str) -> &'a mut Command {
    cmd.env("ROUTY_BASE_URL", base).env("ROUTY_API_KEY", key)
}

/// A sandbox serving `accounts` (its seed data when `None`), and a token
/// for it.
pub(crate) fn sandbox_serving(accounts: Option<&str>) -> (Sandbox, IssuedToken) {
    let mut builder = Sandbox::builder();
    if let Some(json) = accounts {
        builder = builder.accounts_json(json.as_bytes().to_vec());
    }
    let sandbox = builder.start().unwrap();
    let token = sandbox.issue_token(NewToken::named("cli")).unwrap();
    (sandbox, token)
}
