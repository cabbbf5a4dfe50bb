//! Footprint baseline, routy side: the smallest program listing accounts
//! with routy (the README's Performance section compares its size with
//! `footprint_ureq`, the same job on raw ureq).

fn main() -> Result<(), routy::Error> {
    let client = routy::Client::from_env()?;
    for account in client.accounts()? {
        println!("{} {}", account.id(), account.name().unwrap_or("-"));
    }
    Ok(())
}
