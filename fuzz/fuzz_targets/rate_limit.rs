#![no_main]

#[path = "../src/structured.rs"]
mod structured;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    routy_fuzz::check_rate_limit(data);
    structured::check_structured(data);
});
