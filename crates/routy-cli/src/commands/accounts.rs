//! `routy accounts list`: a table, or each account as the API sent it.

use super::Client;
use crate::args::Output;
use crate::failure::{failure, Failure};
use crate::output::{one_line, print};

pub(crate) fn list(client: &Client, output: Output) -> Result<(), Failure> {
    match output {
        Output::Table => {
            let accounts = client.accounts().map_err(failure)?;
            // Account data is the server's text too: an echo of the key
            // in it is not printed either.
            let scrub = |text: &str| one_line(&client.transport().scrub(text));
            let ids: Vec<String> = accounts
                .iter()
                .map(|a| scrub(&a.id().to_string()))
                .collect();
            let width = ids
                .iter()
                .map(|id| id.chars().count())
                .max()
                .unwrap_or(0)
                .max(2);
            let mut text = format!("{:<width$}  NAME\n", "ID");
            for (id, account) in ids.iter().zip(&accounts) {
                text.push_str(&format!(
                    "{id:<width$}  {}\n",
                    scrub(account.name().unwrap_or("-"))
                ));
            }
            print(text.as_bytes())
        }
        Output::Json => {
            // Each account exactly as the API sent it (order, unknown
            // members, escapes), in one array whatever envelope held them.
            let accounts = client.accounts().map_err(failure)?;
            let mut out = Vec::with_capacity(
                2 + accounts
                    .iter()
                    .map(|a| a.raw_json().len() + 1)
                    .sum::<usize>(),
            );
            out.push(b'[');
            for (i, account) in accounts.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                out.extend_from_slice(account.raw_json().as_bytes());
            }
            out.extend_from_slice(b"]\n");
            print(&client.transport().scrub_bytes(&out))
        }
    }
}
