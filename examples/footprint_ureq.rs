//! Footprint baseline, raw side: the same job as `footprint_routy` on ureq
//! alone (same TLS features), decoding into the same struct.

use routy_core::Account;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let key = std::env::var("ROUTY_API_KEY")?;
    let base =
        std::env::var("ROUTY_BASE_URL").unwrap_or_else(|_| "https://platform.routy.app/api".into());
    let mut response = ureq::get(format!("{base}/v1/accounts"))
        .header("authorization", format!("ApiKey {}", key.trim()))
        .header("accept", "application/json")
        .call()?;
    let accounts: Vec<Account> = serde_json::from_slice(&response.body_mut().read_to_vec()?)?;
    for account in accounts {
        println!("{} {}", account.id(), account.name().unwrap_or("-"));
    }
    Ok(())
}
