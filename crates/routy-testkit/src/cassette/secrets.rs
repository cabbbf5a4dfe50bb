//! The last check before a cassette is written: no recorded key, nor any
//! 8 bytes of one, in any form it can be read back from.

use std::borrow::Cow;
use std::collections::BTreeSet;

use routy_core::ApiKey;

use super::format::{Cassette, CassetteError, RecordedBody};

pub(super) fn check_for_secrets(
    cassette: &Cassette,
    secrets: &BTreeSet<String>,
) -> Result<(), CassetteError> {
    // As routy-core counts it, any 8 bytes of a key are a leak, in any form
    // they can be read back from: as written, behind JSON, JavaScript, HTML
    // or percent escapes (whether or not the text parses), or as base64
    // (`ApiKey::found_in`). A token that is not a valid ApiKey is searched
    // for whole.
    let keys: Vec<Result<ApiKey, &str>> = secrets
        .iter()
        .filter(|s| !s.is_empty())
        .map(|s| ApiKey::new(s).map_err(|_| s.as_str()))
        .collect();
    let found = |text: &[u8]| {
        keys.iter().any(|key| match key {
            Ok(key) => key.found_in(text),
            Err(whole) => contains(text, whole.as_bytes()),
        })
    };
    for (i, interaction) in cassette.interactions.iter().enumerate() {
        let request = &interaction.request;
        let response = &interaction.response;
        let mut places: Vec<(String, Cow<'_, [u8]>)> = vec![(
            format!("interactions[{i}].request.uri"),
            Cow::Borrowed(request.uri.as_bytes()),
        )];
        for (side, body) in [("request", &request.body), ("response", &response.body)] {
            // As written (base64 for a binary body) and as decoded.
            let written = match body {
                RecordedBody::Text(text) | RecordedBody::Base64(text) => text.as_bytes(),
            };
            places.push((
                format!("interactions[{i}].{side}.body"),
                Cow::Borrowed(written),
            ));
            places.push((
                format!("interactions[{i}].{side}.body"),
                Cow::Owned(body_bytes(body)),
            ));
        }
        for (side, headers) in [
            ("request", &request.headers),
            ("response", &response.headers),
        ] {
            for (name, value) in headers {
                let location = format!("interactions[{i}].{side}.headers.{name}");
                places.push((location.clone(), Cow::Borrowed(name.as_bytes())));
                places.push((location, Cow::Borrowed(value.as_bytes())));
            }
        }
        if let Some((location, _)) = places.into_iter().find(|(_, text)| found(text)) {
            return Err(CassetteError::SecretFound { location });
        }
    }
    // Last, the file exactly as it would be written: fail closed on
    // anything the field-by-field scan did not see.
    let written =
        serde_json::to_vec_pretty(cassette).map_err(|e| CassetteError::Format(e.to_string()))?;
    if found(&written) {
        return Err(CassetteError::SecretFound {
            location: "the cassette as written".to_owned(),
        });
    }
    Ok(())
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || haystack.windows(needle.len()).any(|w| w == needle)
}

/// The body's bytes, base64 decoded (nothing, if it does not decode).
pub(super) fn body_bytes(body: &RecordedBody) -> Vec<u8> {
    body.to_bytes().unwrap_or_default()
}

impl Cassette {
    /// Whether any of `keys`, or 8 bytes of one, is anywhere in the
    /// cassette, by the same fail-closed check [`Recorder::save`](crate::Recorder::save) makes.
    ///
    /// # Errors
    ///
    /// [`CassetteError::SecretFound`] with where.
    pub fn check_keys(&self, keys: &[ApiKey]) -> Result<(), CassetteError> {
        let secrets = keys.iter().map(|k| k.expose_secret().to_owned()).collect();
        check_for_secrets(self, &secrets)
    }
}
