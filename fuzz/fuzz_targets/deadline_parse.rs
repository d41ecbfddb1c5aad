//! The deadline parser on arbitrary phrases and anchors: it must never
//! panic, and a window it gives starts on or after the anchor and ends on or
//! after its start.
#![no_main]

use chrono::{Duration, NaiveDate};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if data.len() < 2 {
        return;
    }
    // The first two bytes pick the anchor: a day from 1990 to about 2169.
    let days = u16::from_le_bytes([data[0], data[1]]);
    let anchor = NaiveDate::from_ymd_opt(1990, 1, 1).unwrap() + Duration::days(i64::from(days));
    let Ok(phrase) = std::str::from_utf8(&data[2..]) else { return };
    if let Ok(deadline) = pledger::deadline::parse(phrase, anchor) {
        assert!(deadline.start >= anchor, "{phrase:?} at {anchor}: starts before its anchor");
        if let Some(end) = deadline.end {
            assert!(end >= deadline.start, "{phrase:?} at {anchor}: ends before it starts");
        }
    }
});
