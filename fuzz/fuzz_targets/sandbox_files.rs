#![no_main]

#[path = "../src/sandbox_files.rs"]
mod sandbox_files;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    sandbox_files::check_sandbox_file(data);
});
