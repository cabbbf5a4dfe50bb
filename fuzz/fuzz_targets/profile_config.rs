#![no_main]

#[path = "../src/profile.rs"]
mod profile;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    profile::check_profile_config(data);
});
