//! Loading the key from the `.txt` file the Routy web UI downloads (which
//! ends with a newline; routy trims it).
//!
//! ```sh
//! cargo run --example token_file                       # writes a sandbox token to a temp file first
//! cargo run --example token_file -- ~/routy-token.txt  # your own file (with ROUTY_BASE_URL as needed)
//! ```

use routy::ApiKey;
use routy_sandbox::{NewToken, Sandbox};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (path, base_url, _sandbox) = match std::env::args_os().nth(1) {
        Some(path) => {
            let base = std::env::var("ROUTY_BASE_URL")
                .unwrap_or_else(|_| routy::defaults::DEFAULT_BASE_URL.into());
            (std::path::PathBuf::from(path), base, None)
        }
        None => {
            let sandbox = Sandbox::start()?;
            let token = sandbox.issue_token(NewToken::named("token file example"))?;
            let path = std::env::temp_dir().join(format!("routy-token-{}.txt", std::process::id()));
            // As downloaded: the token and a line ending.
            std::fs::write(&path, format!("{}\r\n", token.secret()))?;
            (path, sandbox.base_url(), Some(sandbox))
        }
    };

    let key = ApiKey::from_file(&path)?;
    println!("loaded {key} from {}", path.display());
    let client = routy::Client::builder()
        .api_key(key)
        .base_url(&base_url)
        .build()?;
    println!("{} accounts", client.accounts()?.len());
    if _sandbox.is_some() {
        std::fs::remove_file(&path)?;
    }
    Ok(())
}
