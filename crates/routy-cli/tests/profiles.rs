//! Profiles, one per integration: a config file whose keys come from a
//! fake password manager (a shell script), a file or a variable; the
//! precedence of flags, environment and profile; `auth status`; and every
//! bad config is exit 2 without the key or the command's raw stderr.

#![cfg(unix)]
#![allow(
    clippy::unwrap_used,
    reason = "a test helper that fails should panic loudly"
)]

mod common;

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use common::{routy, run, sandbox_serving};

/// A folder of its own for each test, removed at the end.
struct Dir(PathBuf);

impl Dir {
    fn new(name: &str) -> Self {
        let dir =
            std::env::temp_dir().join(format!("routy-profiles-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Dir(dir)
    }

    /// An executable script `name` with `body` (after `#!/bin/sh`).
    fn script(&self, name: &str, body: &str) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        path
    }

    fn config(&self, text: &str) -> PathBuf {
        let path = self.0.join("config.toml");
        std::fs::write(&path, text).unwrap();
        path
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn with_config(config: &Path) -> Command {
    let mut cmd = routy();
    cmd.env("ROUTY_CONFIG", config);
    cmd
}

/// A fake `pass`: prints the key it was given, with the trailing newline
/// a password manager prints.
fn fake_pass(dir: &Dir, key: &str) -> PathBuf {
    dir.script(
        "pass",
        &format!("[ \"$1 $2\" = \"show routy/reporting\" ] || exit 3\nprintf '%s\\n' '{key}'"),
    )
}

#[test]
fn a_profile_key_from_a_password_manager_lists_accounts_and_status_says_where_it_came_from() {
    let (sandbox, token) = sandbox_serving(None);
    let dir = Dir::new("pass");
    let pass = fake_pass(&dir, token.secret());
    let config = dir.config(&format!(
        "[profiles.reporting]\nbase_url = \"{}\"\napi_key_command = [\"{}\", \"show\", \"routy/reporting\"]\n",
        sandbox.base_url(),
        pass.display()
    ));
    let (code, stdout, stderr) = run(
        with_config(&config).args(["--profile", "reporting", "accounts", "list"]),
        token.secret(),
        None,
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.starts_with("ID "), "{stdout}");

    // ROUTY_PROFILE names it as well.
    let (code, stdout, stderr) = run(
        with_config(&config)
            .env("ROUTY_PROFILE", "reporting")
            .args(["auth", "status"]),
        token.secret(),
        None,
    );
    assert_eq!(code, 0, "{stderr}");
    let key = routy::ApiKey::new(token.secret()).unwrap();
    assert_eq!(
        stdout,
        format!(
            "profile:  reporting (in {config})\n\
             key:      {fingerprint} from command `{pass} show routy/reporting` of profile reporting (ROUTY_PROFILE)\n\
             base url: {base} from profile reporting (ROUTY_PROFILE)\n\
             api:      accepts the key: 40 account(s) visible at {base}\n",
            config = config.display(),
            fingerprint = key.fingerprint(),
            pass = pass.display(),
            base = sandbox.base_url(),
        )
    );

    // A deleted token: status still says where it came from, then exit 3.
    sandbox.delete_token(&token.info.id).unwrap();
    let (code, stdout, stderr) = run(
        with_config(&config).args(["auth", "status", "--profile", "reporting"]),
        token.secret(),
        None,
    );
    assert_eq!(code, 3, "{stderr}");
    assert!(stdout.starts_with("profile:  reporting"), "{stdout}");
    assert!(stderr.contains("was rejected (401)"), "{stderr}");
}

/// Flags beat the environment, which beats the profile the environment
/// (or the `default` entry) chose; `--profile` counts as a flag.
#[test]
fn flags_beat_the_environment_which_beats_the_default_profile() {
    let (sandbox, token) = sandbox_serving(None);
    let dir = Dir::new("precedence");
    let key_file = dir.0.join("good.txt");
    std::fs::write(&key_file, format!("{}\n", token.secret())).unwrap();
    let config = dir.config(&format!(
        "[profiles.default]\napi_key_env = \"DEFAULT_KEY\"\nbase_url = \"{base}\"\n\
         [profiles.good]\napi_key_file = \"good.txt\"\nbase_url = \"{base}\"\n",
        base = sandbox.base_url()
    ));
    let status = |cmd: &mut Command| {
        let (code, stdout, stderr) = run(cmd.args(["auth", "status"]), token.secret(), None);
        (code, format!("{stdout}{stderr}"))
    };
    let bad = "Bd1Bd2Bd3Bd4Bd5Bd6Bd7Bd8";

    // The default profile, when nothing else names a key.
    let (code, out) = status(with_config(&config).env("DEFAULT_KEY", token.secret()));
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains(
            "from environment variable DEFAULT_KEY of profile default (the default profile)"
        ),
        "{out}"
    );
    // ROUTY_API_KEY beats the default profile's key.
    let (code, out) = status(
        with_config(&config)
            .env("DEFAULT_KEY", bad)
            .env("ROUTY_API_KEY", token.secret()),
    );
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("from ROUTY_API_KEY\n"), "{out}");
    // --profile beats ROUTY_API_KEY.
    let (code, out) = status(
        with_config(&config)
            .env("ROUTY_API_KEY", bad)
            .args(["--profile", "good"]),
    );
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("of profile good (--profile)"), "{out}");
    assert!(
        out.contains(&format!("file {}", key_file.display())),
        "{out}"
    );
    // --api-key-file beats --profile; --base-url beats the profile's. The
    // flag's URL is a closed loopback port: the refusal (exit 5) shows it
    // was the one used, and nothing leaves the machine.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let flag_url = format!("http://{closed}/api");
    let (code, out) = status(
        with_config(&config)
            .args(["--profile", "default", "--api-key-file"])
            .arg(&key_file)
            .args(["--base-url", &flag_url, "--max-retries", "0"]),
    );
    assert_eq!(code, 5, "the flag's base URL was used: {out}");
    assert!(out.contains("(--api-key-file)"), "{out}");
    assert!(
        out.contains(&format!("base url: {flag_url} from --base-url")),
        "{out}"
    );
    assert!(out.contains("connection failed"), "{out}");
}

#[test]
fn slow_failing_silent_and_chatty_commands_are_clear_errors() {
    let dir = Dir::new("bad-commands");
    let key = "Pm9Xw2Qe5Rt8Yu1Io4Pa7Sd0Fg3Hj6Kl9Zx2Cv5Bn8=";
    let slow = dir.script("slow", "sleep 30; echo late");
    let failing = dir.script(
        "failing",
        &format!("echo 'unlocking with {key}' >&2\necho 'Error: routy/reporting is not in the password store.' >&2\nexit 1"),
    );
    let silent = dir.script("silent", "exit 0");
    let two_lines = dir.script("two-lines", &format!("echo {key}; echo {key}"));
    let config = dir.config(&format!(
        "[profiles.slow]\napi_key_command = [\"{}\"]\napi_key_command_timeout = 1\n\
         [profiles.failing]\napi_key_command = [\"{}\"]\n\
         [profiles.silent]\napi_key_command = [\"{}\"]\n\
         [profiles.two-lines]\napi_key_command = [\"{}\"]\n\
         [profiles.missing]\napi_key_command = [\"{}/no-such-program\"]\n",
        slow.display(),
        failing.display(),
        silent.display(),
        two_lines.display(),
        dir.0.display(),
    ));
    let attempt = |profile: &str| {
        let (code, stdout, stderr) = run(
            with_config(&config).args(["--profile", profile, "auth", "check"]),
            key,
            None,
        );
        assert_eq!((code, stdout.as_str()), (2, ""), "{profile}: {stderr}");
        stderr
    };

    let started = Instant::now();
    let stderr = attempt("slow");
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "bounded by its 1 s timeout"
    );
    assert!(stderr.contains("did not finish in 1s"), "{stderr}");
    assert!(
        stderr.contains("hint: a password manager may be waiting"),
        "{stderr}"
    );

    let stderr = attempt("failing");
    assert!(
        stderr.contains(
            "failed (exit status: 1): Error: routy/reporting is not in the password store."
        ),
        "{stderr}"
    );
    assert!(
        !stderr.contains("unlocking"),
        "only the last line is kept: {stderr}"
    );

    assert!(attempt("silent").contains("printed nothing"));
    assert!(attempt("two-lines").contains("printed more than one line"));
    assert!(attempt("missing").contains("cannot run the api key command"));
}

#[test]
fn bad_config_files_are_exit_2_and_never_print_the_key() {
    let dir = Dir::new("bad-config");
    let key = "Lt4Kj7Hg0Fd3Sa6Qw9Er2Ty5Ui8Op1As4Df7Gh0Jk3=";
    let cases = [
        (
            format!("[profiles.x]\napi_key = \"{key}\"\n"),
            "holds an api key in plain text",
        ),
        (
            format!("[profiles.x]\napi_key_command = \"{key}\"\n"),
            "invalid routy config file",
        ),
        (
            format!("[profiles.x]\napi_key_env = {key}\n"),
            "invalid routy config file",
        ),
        (
            "[profiles.x]\napi_key_env = \"A\"\ncolour = \"red\"\n".to_owned(),
            "unknown field `colour`",
        ),
        (
            "[profiles.x]\nbase_url = \"https://a.example/api\"\n".to_owned(),
            "exactly one of",
        ),
        (
            "[profile.x]\napi_key_env = \"A\"\n".to_owned(),
            "unknown field `profile`",
        ),
    ];
    for (text, expected) in cases {
        let config = dir.config(&text);
        let (code, stdout, stderr) = run(
            with_config(&config).args(["--profile", "x", "accounts", "list"]),
            key,
            None,
        );
        assert_eq!((code, stdout.as_str()), (2, ""), "{text}: {stderr}");
        assert!(stderr.contains(expected), "{text}: {stderr}");
    }

    let config = dir.config(
        "[profiles.reporting]\napi_key_env = \"A\"\n[profiles.billing]\napi_key_env = \"B\"\n",
    );
    let (code, _, stderr) = run(
        with_config(&config).args(["--profile", "nightly", "accounts", "list"]),
        key,
        None,
    );
    assert_eq!(code, 2);
    assert!(stderr.contains("no profile \"nightly\""), "{stderr}");
    assert!(stderr.contains("(it has: billing, reporting)"), "{stderr}");
    // A named config file that does not exist.
    let (code, _, stderr) = run(
        with_config(&dir.0.join("absent.toml")).args(["auth", "check"]),
        key,
        None,
    );
    assert_eq!(code, 2);
    assert!(
        stderr.contains("cannot read the routy config file"),
        "{stderr}"
    );
    // ROUTY_PROFILE naming a profile that is not there.
    let (code, _, stderr) = run(
        with_config(&config)
            .env("ROUTY_PROFILE", "ghost")
            .args(["auth", "check"]),
        key,
        None,
    );
    assert_eq!(code, 2);
    assert!(stderr.contains("no profile \"ghost\""), "{stderr}");
}

/// A careless profile: the key written into the command line itself
/// (`echo KEY`). It works, and `auth status`, which shows the command,
/// still never prints the key (`run` checks every 8-byte window).
#[test]
fn a_key_written_into_the_command_line_is_not_printed_by_status() {
    let (sandbox, token) = sandbox_serving(None);
    let dir = Dir::new("careless");
    let config = dir.config(&format!(
        "[profiles.careless]\nbase_url = \"{}\"\napi_key_command = [\"echo\", \"{}\"]\n",
        sandbox.base_url(),
        token.secret()
    ));
    let (code, stdout, stderr) = run(
        with_config(&config).args(["--profile", "careless", "auth", "status"]),
        token.secret(),
        None,
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("from command `echo [redacted]` of profile careless"),
        "{stdout}"
    );
}

/// A careless profile in each of its failing ways, the key written into
/// the command line: the command fails with the key on stderr, prints
/// nothing, prints two lines, times out, or names a missing program whose
/// path holds the key. Every message is exit 2, one line of text, and
/// holds no 8 bytes of the key (`run` checks every window).
#[test]
fn a_careless_key_command_never_prints_the_key_whatever_way_it_fails() {
    let dir = Dir::new("careless-fails");
    let key = "Vb7Nm0Qa3Ws6Ed9Rf2Tg5Yh8Uj1Ik4Ol7Pz0Xc3Vb6=";
    let cases = [
        (
            format!("[\"sh\", \"-c\", \"echo {key} >&2; exit 1\"]"),
            "failed (exit status: 1)",
        ),
        (format!("[\"sh\", \"-c\", \": {key}\"]"), "printed nothing"),
        (
            format!("[\"sh\", \"-c\", \"echo {key}; echo {key}\"]"),
            "printed more than one line",
        ),
        (
            format!("[\"sh\", \"-c\", \"sleep 30 # {key}\"]"),
            "did not finish in 1s",
        ),
        (
            format!("[\"/opt/{key}/bin/pass\", \"show\"]"),
            "cannot run the api key command",
        ),
        (
            // A line break in an argument: the message stays one line.
            "[\"sh\", \"-c\", \"exit 3\", \"line\\none\"]".to_owned(),
            "failed (exit status: 3)",
        ),
    ];
    for (command, expected) in cases {
        let config = dir.config(&format!(
            "[profiles.careless]\napi_key_command = {command}\napi_key_command_timeout = 1\n"
        ));
        for args in [
            &["auth", "check"][..],
            &["auth", "status"],
            &["accounts", "list"],
        ] {
            let (code, stdout, stderr) = run(
                with_config(&config)
                    .args(["--profile", "careless"])
                    .args(args),
                key,
                None,
            );
            assert_eq!((code, stdout.as_str()), (2, ""), "{command}: {stderr}");
            assert!(stderr.contains(expected), "{command}: {stderr}");
            let message: Vec<&str> = stderr.lines().filter(|l| !l.starts_with("hint:")).collect();
            assert_eq!(message.len(), 1, "{command}: one line: {stderr}");
            assert!(!stderr.contains('\u{1b}'), "{stderr}");
        }
    }
}

/// A FIFO where a file is expected (nothing ever writes to it, so opening
/// it would wait for ever): the config file, a profile's key file and
/// `ROUTY_API_KEY_FILE` are each exit 2, naming the path and what it is.
#[test]
fn a_fifo_where_a_file_is_expected_is_refused_not_waited_on() {
    let dir = Dir::new("fifo");
    let fifo = dir.0.join("key.fifo");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success(), "mkfifo");
    let key = "Vb7Nm0Qa3Ws6Ed9Rf2Tg5Yh8Uj1Ik4Ol7Pz0Xc3Vb6=";
    let config = dir.config(&format!(
        "[profiles.fifo]\napi_key_file = \"{}\"\n",
        fifo.display()
    ));
    let mut as_config = routy();
    as_config.env("ROUTY_CONFIG", &fifo).args(["auth", "check"]);
    let mut as_key_file = with_config(&config);
    as_key_file.args(["--profile", "fifo", "auth", "check"]);
    let mut as_env_file = routy();
    as_env_file
        .env("ROUTY_API_KEY_FILE", &fifo)
        .args(["auth", "check"]);
    for (what, cmd) in [
        ("ROUTY_CONFIG", &mut as_config),
        ("api_key_file", &mut as_key_file),
        ("ROUTY_API_KEY_FILE", &mut as_env_file),
    ] {
        let (code, stdout, stderr) = run(cmd, key, None);
        assert_eq!((code, stdout.as_str()), (2, ""), "{what}: {stderr}");
        assert!(
            stderr.contains("is a FIFO, not a regular file"),
            "{what}: {stderr}"
        );
        assert!(
            stderr.contains("key.fifo"),
            "{what} names the path: {stderr}"
        );
    }
}
