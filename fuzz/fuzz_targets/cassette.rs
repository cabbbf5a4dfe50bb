#![no_main]

#[path = "../src/cassette.rs"]
mod cassette;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    cassette::check_cassette(data);
});
