#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    routy_fuzz::check_account(data);
});
