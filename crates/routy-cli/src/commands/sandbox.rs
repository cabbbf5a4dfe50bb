//! `routy sandbox`: the local server, with the stubs and fault rules it
//! starts with, until Ctrl-C.

use std::io::{self, Write};
use std::path::PathBuf;

use routy_sandbox::{NewToken, Sandbox};

use crate::failure::{exit, Failure};
use crate::output::print;

/// The stubs and fault rules `routy sandbox` starts with, read and
/// checked before anything listens.
pub(crate) struct Misbehaviour {
    stubs: Vec<routy_sandbox::Stub>,
    faults: Vec<routy_sandbox::FaultRule>,
}

impl Misbehaviour {
    pub(crate) fn read(
        stubs: Option<PathBuf>,
        faults: Option<PathBuf>,
        inline: &[String],
    ) -> Result<Self, Failure> {
        let mut rules: Vec<routy_sandbox::FaultRule> = match faults {
            Some(path) => one_or_many(&routy_core::shown::shown_path(&path), &read_file(&path)?)?,
            None => Vec::new(),
        };
        for json in inline {
            rules.extend(one_or_many::<routy_sandbox::FaultRule>(
                "--fault",
                json.as_bytes(),
            )?);
        }
        let stubs = match stubs {
            Some(path) => one_or_many(&routy_core::shown::shown_path(&path), &read_file(&path)?)?,
            None => Vec::new(),
        };
        Ok(Misbehaviour {
            stubs,
            faults: rules,
        })
    }

    pub(crate) fn apply(self, sandbox: &Sandbox) -> Result<(), Failure> {
        for stub in self.stubs {
            let what = format!("stub {} {}", stub.method, stub.path);
            sandbox
                .add_stub(stub)
                .map_err(|e| Failure::usage(format!("{what}: {e}")))?;
        }
        for rule in self.faults {
            sandbox
                .add_fault(rule)
                .map_err(|e| Failure::usage(format!("fault rule: {e}")))?;
        }
        Ok(())
    }
}

/// A stub or fault file: a regular file (never a FIFO to wait on), at
/// most 16 MiB.
fn read_file(path: &std::path::Path) -> Result<Vec<u8>, Failure> {
    let mut bytes = Vec::new();
    routy_core::file::read_regular(path, 16 << 20, &mut bytes).map_err(|e| {
        Failure::usage(format!(
            "cannot read {}: {e}",
            routy_core::shown::shown_path(path)
        ))
    })?;
    Ok(bytes)
}

/// One item or an array of them, from JSON; errors name `source`, the
/// line and the parser's words (one line).
fn one_or_many<T: serde::de::DeserializeOwned>(
    source: &str,
    bytes: &[u8],
) -> Result<Vec<T>, Failure> {
    routy_sandbox::items_from_json(bytes).map_err(|e| Failure::usage(format!("{source}: {e}")))
}

pub(crate) fn run(
    port: u16,
    accounts: Option<PathBuf>,
    state: Option<PathBuf>,
    misbehaviour: Misbehaviour,
) -> Result<(), Failure> {
    let mut builder = Sandbox::builder().addr(([127, 0, 0, 1], port).into());
    if let Some(path) = accounts {
        builder = builder.accounts_file(path);
    }
    if let Some(path) = state {
        builder = builder.state_file(path);
    }
    let sandbox = builder.start().map_err(|e| {
        let code = match e {
            routy_sandbox::SandboxError::Start { .. } => exit::NETWORK,
            _ => exit::USAGE,
        };
        Failure {
            code,
            message: routy::error_chain(&e),
            hint: None,
        }
    })?;
    misbehaviour.apply(&sandbox)?;
    let token = sandbox
        .issue_token(NewToken::named("routy sandbox").creator("routy-cli"))
        .map_err(|e| Failure::usage(routy::error_chain(&e)))?;
    let (tx, rx) = std::sync::mpsc::channel();
    ctrlc::set_handler(move || {
        let _ = tx.send(());
    })
    .map_err(|e| Failure::usage(format!("cannot handle Ctrl-C: {e}")))?;
    print(
        format!(
            "# routy sandbox at {base} (Ctrl-C to stop)\n\
             # admin surface: {admin} with header {header}: {secret}\n\
             # a token was issued for you; it is shown this once:\n\
             export ROUTY_BASE_URL={base} ROUTY_API_KEY={token}\n",
            base = sandbox.base_url(),
            admin = sandbox.admin_url(),
            header = routy_sandbox::ADMIN_HEADER,
            secret = sandbox.admin_secret(),
            token = token.secret(),
        )
        .as_bytes(),
    )?;
    let _ = rx.recv();
    let unmet = sandbox.verify_stubs();
    // Reported here, not by the sandbox's drop (which panics, for tests).
    sandbox.clear_stubs();
    sandbox.stop();
    let _ = writeln!(io::stderr(), "sandbox stopped");
    unmet.map_err(|unmet| Failure {
        code: exit::FAILURE,
        message: format!("stub expectations not met: {unmet}"),
        hint: None,
    })
}
