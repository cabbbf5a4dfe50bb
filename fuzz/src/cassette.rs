//! The cassette property: a body or header that holds the recorded key (11
//! or more of its bytes) in any encoding this knows is never saved. Shared
//! by the `cassette` fuzz target and a stable `cargo test` in
//! routy-testkit that replays the committed seeds (both include this file
//! by path).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    unreachable_pub
)]

use std::sync::Arc;

use base64::Engine as _;
use routy_core::http::{self, HeaderValue, Method};
use routy_core::{ApiKey, RetryPolicy};

use routy_testkit::{CassetteError, Recorder};

#[path = "common.rs"]
mod common;
pub use common::{ClientBuilder, KEY};

/// How many encodings [`encode`] knows.
pub const ENCODINGS: u8 = 15;

/// `piece` in encoding `which`, with `prefix` and `suffix` around it (the
/// base64 forms encode all three together, so the piece sits at any
/// alignment inside the encoded text).
pub fn encode(which: u8, prefix: &[u8], piece: &[u8], suffix: &[u8]) -> Vec<u8> {
    let each = |f: &dyn Fn(u8) -> String| -> Vec<u8> {
        piece.iter().map(|&b| f(b)).collect::<String>().into_bytes()
    };
    let json = |b: u8| format!("\\u{b:04x}");
    let percent = |b: u8| format!("%{b:02X}");
    let middle: Vec<u8> = match which % ENCODINGS {
        0 => piece.to_vec(),
        1 => each(&json),
        2 => each(&|b| format!("\\u{b:04X}")),
        3 => each(&|b| match b {
            b'/' => "\\/".to_owned(),
            b'+' => "\\u002b".to_owned(),
            _ => char::from(b).to_string(),
        }),
        4 => each(&percent),
        5 => each(&|b| format!("%{b:02x}")),
        6 => each(&|b| {
            if b.is_ascii_alphanumeric() {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        }),
        7 => each(&|b| format!("%25{b:02X}")),
        8 => each(&|b| json(b).bytes().map(percent).collect()),
        9 => each(&|b| format!("&#{b};")),
        10 => each(&|b| format!("&#x{b:x};")),
        11 => each(&|b| format!("\\x{b:02x}")),
        12 => each(&|b| format!("\\u{{{b:x}}}")),
        13 => {
            let whole = [prefix, piece, suffix].concat();
            return base64::engine::general_purpose::STANDARD
                .encode(whole)
                .into_bytes();
        }
        _ => {
            let whole = [prefix, piece, suffix].concat();
            return base64::engine::general_purpose::URL_SAFE_NO_PAD
                .encode(whole)
                .into_bytes();
        }
    };
    [prefix, &middle, suffix].concat()
}

/// Input: byte 0 the encoding, 1 and 2 which piece of the key (11 bytes or
/// more), 3 where it goes (body, a header, a redirect `Location`), then
/// arbitrary bytes split in two around it. The recorder must refuse to
/// produce a cassette.
pub fn check_cassette(data: &[u8]) {
    if data.len() < 4 {
        return;
    }
    let key = KEY.as_bytes();
    let len = 11 + usize::from(data[1]) % (key.len() - 10);
    let start = usize::from(data[2]) % (key.len() - len + 1);
    let piece = &key[start..start + len];
    let rest = &data[4..];
    let (prefix, suffix) = rest.split_at(rest.len() / 2);
    let text = encode(data[0], prefix, piece, suffix);

    let place = data[3] % 3;
    let header = HeaderValue::from_bytes(&text).ok().filter(|_| place > 0);
    let response = routy_core::transport_fn(move |_req| {
        let mut response = http::Response::builder();
        match (&header, place) {
            (Some(value), 1) => response = response.header("x-echo", value.clone()),
            (Some(value), _) => {
                response = response.status(302).header("location", value.clone());
            }
            (None, _) => {}
        }
        let body = if header.is_some() {
            Vec::new()
        } else {
            text.clone()
        };
        Ok(response.body(body).expect("a valid response"))
    });
    let recorder = Arc::new(Recorder::new(response));
    let client = ClientBuilder::new()
        .api_key(ApiKey::new(KEY).expect("a valid key"))
        .retry(RetryPolicy::none())
        .max_redirects(2)
        .build_with(Arc::clone(&recorder))
        .expect("a valid client");
    let _ = client.execute_any_status(Method::GET, "/v1/echo", None);
    match recorder.cassette() {
        Err(CassetteError::SecretFound { .. }) => {}
        other => panic!(
            "a cassette holding the key in encoding {} was accepted: {other:?}",
            data[0] % ENCODINGS
        ),
    }
}
