//! The accounts the sandbox serves: deterministic seed data, or a JSON
//! fixture the user supplies, served byte for byte.

use serde_json::{json, Value};

use crate::error::SandboxError;

/// How many accounts the seed data has.
pub const SEED_ACCOUNTS: usize = 40;

const COMPANIES: [&str; 10] = [
    "Acme Logistics",
    "Nordwind Kurier",
    "Blue Harbor Freight",
    "Sierra Parcel",
    "Kestrel Couriers",
    "Lumen Deliveries",
    "Tallinn Trucking",
    "Baltic Routes",
    "Cedar Cargo",
    "Orbit Express",
];

const PLANS: [&str; 3] = ["starter", "growth", "enterprise"];

const CITIES: [(&str, &str, &str); 4] = [
    ("Berlin", "DE", "Europe/Berlin"),
    ("Lisbon", "PT", "Europe/Lisbon"),
    ("Austin", "US", "America/Chicago"),
    ("Osaka", "JP", "Asia/Tokyo"),
];

/// The seed accounts as JSON: the same bytes on every run.
///
/// # Examples
///
/// ```
/// let body = routy_sandbox::seed_accounts_json();
/// let accounts: Vec<serde_json::Value> = serde_json::from_slice(&body)?;
/// assert_eq!(accounts.len(), routy_sandbox::SEED_ACCOUNTS);
/// assert_eq!(accounts[0]["id"], 1001);
/// # Ok::<(), serde_json::Error>(())
/// ```
pub fn seed_accounts_json() -> Vec<u8> {
    let accounts: Vec<Value> = (0..SEED_ACCOUNTS)
        .map(|i| {
            let company = COMPANIES[i % COMPANIES.len()];
            let (city, country, timezone) = CITIES[i / COMPANIES.len() % CITIES.len()];
            json!({
                "id": 1001 + i,
                "name": format!("{company} {city}"),
                "country": country,
                "timezone": timezone,
                "status": if i % 7 == 6 { "suspended" } else { "active" },
                "plan": PLANS[i % PLANS.len()],
                "vehicles": 3 + (i * 7) % 40,
                "createdAt": format!("2025-{:02}-{:02}T09:{:02}:00Z", 1 + i % 12, 1 + i % 28, i % 60),
            })
        })
        .collect();
    // Serialising a Vec of known-good Values cannot fail.
    serde_json::to_vec(&accounts).unwrap_or_default()
}

/// The accounts served: the list body byte for byte, and each account's
/// own JSON by id for `GET /v1/accounts/{id}`.
#[derive(Debug)]
pub(crate) struct Accounts {
    pub(crate) list: Vec<u8>,
    by_id: std::collections::BTreeMap<String, Vec<u8>>,
}

impl Accounts {
    /// The JSON of the account with this id (a number's decimal form, or
    /// the string).
    pub(crate) fn get(&self, id: &str) -> Option<&[u8]> {
        self.by_id.get(id).map(Vec::as_slice)
    }
}

/// Checks a user-supplied accounts body: a JSON array of objects, each with
/// an `id` that is a number or a string. Kept untouched when valid.
pub(crate) fn validate(bytes: Vec<u8>) -> Result<Accounts, SandboxError> {
    let invalid = |reason: String| SandboxError::Accounts(reason);
    let value: Value =
        serde_json::from_slice(&bytes).map_err(|e| invalid(format!("not json: {e}")))?;
    let items = value
        .as_array()
        .ok_or_else(|| invalid("the top level must be an array of accounts".into()))?;
    let mut by_id = std::collections::BTreeMap::new();
    for (i, item) in items.iter().enumerate() {
        let id = match item.get("id") {
            Some(Value::Number(n)) => n.to_string(),
            Some(Value::String(s)) => s.clone(),
            _ => {
                return Err(invalid(format!(
                    "account [{i}] needs an \"id\" that is a number or a string"
                )))
            }
        };
        by_id
            .entry(id)
            .or_insert_with(|| serde_json::to_vec(item).unwrap_or_default());
    }
    Ok(Accounts { list: bytes, by_id })
}
