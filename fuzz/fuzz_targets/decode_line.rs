//! The line decoder on arbitrary bytes: it must never panic, and an event it
//! accepts must decode again, unchanged, from its canonical bytes (which is
//! what `export` writes and `import` reads back).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(event) = pledger::input::decode_line(text) {
        let canonical = String::from_utf8(event.canonical_json()).expect("canonical JSON is UTF-8");
        let again = pledger::input::decode_line(&canonical).expect("the canonical form decodes");
        assert_eq!(again, event, "the canonical form decodes to another event");
    }
});
