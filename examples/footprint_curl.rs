//! Footprint of routy over the curl transport: the same job as
//! `footprint_routy` (list accounts from `ROUTY_API_KEY`), for the
//! README's "Choosing a transport" table.

fn main() -> Result<(), routy::Error> {
    let client = routy::ClientBuilder::new()
        .env()
        .build_with(routy::CurlTransport::new())?;
    for account in client.accounts()? {
        println!("{} {}", account.id(), account.name().unwrap_or("-"));
    }
    Ok(())
}
