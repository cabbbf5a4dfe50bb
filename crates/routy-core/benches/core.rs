//! The sans-IO paths, each beside a bare baseline doing the same work
//! without routy: building a request, mapping a 200 and a 401 problem, and
//! decoding a 40-account (6 KB) and a 4,000-account (600 KB) list.
//!
//! `cargo bench -p routy-core --bench core`

#![allow(missing_docs, clippy::unwrap_used)]

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use routy_core::http::{self, Method, Request, Response};
use routy_core::{Account, ApiError, ApiKey, RetryPolicy};

/// A builder with no default transport: every test names its own.
type ClientBuilder = routy_core::ClientBuilder<()>;

const KEY: &str = "OaBw1+4DqFfDLXOLpWthbfp502Wc0D4tICsxNcT+aeQ=";

/// `n` accounts shaped like the sandbox's, ~150 bytes each.
fn accounts_json(n: usize) -> Vec<u8> {
    let accounts: Vec<serde_json::Value> = (0..n)
        .map(|i| {
            serde_json::json!({
                "id": 1001 + i,
                "name": format!("Account {i} Logistics"),
                "country": "DE",
                "timezone": "Europe/Berlin",
                "status": "active",
                "plan": "growth",
                "vehicles": i % 40,
                "createdAt": "2025-03-04T09:10:00Z",
            })
        })
        .collect();
    serde_json::to_vec(&accounts).unwrap()
}

fn json_response(body: Vec<u8>) -> Response<Vec<u8>> {
    Response::builder()
        .header("content-type", "application/json; charset=utf-8")
        .body(body)
        .unwrap()
}

fn build_request(c: &mut Criterion) {
    let mut group = c.benchmark_group("build request");
    let client = ClientBuilder::new()
        .api_key(ApiKey::new(KEY).unwrap())
        .build_with(routy_core::transport_fn(|_req| unreachable!("not sent")))
        .unwrap();
    group.bench_function("routy", |b| {
        b.iter(|| {
            client
                .prepare(Method::GET, black_box("/v1/accounts"), None)
                .unwrap()
        })
    });
    // The same request by hand: the header value made once, as routy does.
    let auth = {
        let mut v = http::HeaderValue::from_str(&format!("ApiKey {KEY}")).unwrap();
        v.set_sensitive(true);
        v
    };
    let agent = http::HeaderValue::from_static(routy_core::defaults::USER_AGENT);
    group.bench_function("bare http::Request", |b| {
        b.iter(|| {
            Request::builder()
                .method(Method::GET)
                .uri(format!(
                    "https://platform.routy.app/api{}",
                    black_box("/v1/accounts")
                ))
                .header("authorization", auth.clone())
                .header("accept", "application/json")
                .header("user-agent", agent.clone())
                .body(Vec::<u8>::new())
                .unwrap()
        })
    });
    group.finish();
}

fn map_responses(c: &mut Criterion) {
    let mut group = c.benchmark_group("map response");
    let ok = json_response(accounts_json(40));
    group.bench_function("200, routy decode_json", |b| {
        b.iter(|| routy_core::decode_json::<Vec<Account>>(black_box(&ok), "accounts").unwrap())
    });
    group.bench_function("200, bare serde_json", |b| {
        b.iter(|| serde_json::from_slice::<Vec<Account>>(black_box(ok.body())).unwrap())
    });
    let problem = Response::builder()
        .status(401)
        .header("content-type", "application/problem+json")
        .header("www-authenticate", "ApiKey")
        .body(br#"{"type":"https://tools.ietf.org/html/rfc9110#section-15.5.2","title":"Unauthorized","status":401,"detail":"The API token has expired.","traceId":"00-0000000000000000000000000000002a-000000000000002a-00"}"#.to_vec())
        .unwrap();
    group.bench_function("401 problem, routy ApiError", |b| {
        b.iter(|| ApiError::from_response_unredacted(black_box(&problem)))
    });
    group.bench_function("401 problem, bare serde_json", |b| {
        b.iter(|| serde_json::from_slice::<routy_core::Problem>(black_box(problem.body())).unwrap())
    });
    group.finish();
}

fn decode_lists(c: &mut Criterion) {
    let mut group = c.benchmark_group("decode accounts");
    for n in [40usize, 4000] {
        let body = accounts_json(n);
        group.throughput(Throughput::Bytes(body.len() as u64));
        // Through the whole client: request built, closure transport hands
        // back a copy of the body, status checked, body decoded.
        let response_body = body.clone();
        let client = ClientBuilder::new()
            .api_key(ApiKey::new(KEY).unwrap())
            .retry(RetryPolicy::none())
            .build_with(routy_core::transport_fn(move |_req| {
                Ok(json_response(response_body.clone()))
            }))
            .unwrap();
        group.bench_with_input(
            BenchmarkId::new("routy client.accounts()", n),
            &n,
            |b, _| b.iter(|| client.accounts().unwrap()),
        );
        group.bench_with_input(
            BenchmarkId::new("bare copy + serde_json", n),
            &body,
            |b, body| {
                b.iter(|| serde_json::from_slice::<Vec<Account>>(&black_box(body.clone())).unwrap())
            },
        );
    }
    group.finish();
}

criterion_group!(benches, build_request, map_responses, decode_lists);
criterion_main!(benches);
