//! The deadline language: the table of phrases in `tests/data/deadlines.tsv`,
//! the output formats the CLI relies on, and properties over generated phrases.

use std::path::Path;

use chrono::{Datelike, NaiveDate};
use pledger::deadline::{parse, DeadlineError, Form};
use proptest::prelude::*;

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap_or_else(|e| panic!("bad date {s:?}: {e}"))
}

/// A refusal message must fit after `FILE:LINE: ` on one line.
fn message_problem(msg: &str) -> Option<&'static str> {
    if msg.contains(['\n', '\r']) {
        Some("spans several lines")
    } else if msg.ends_with('.') {
        Some("ends with a period")
    } else if !msg.starts_with(|c: char| c.is_ascii_lowercase()) {
        Some("does not start lowercase")
    } else {
        None
    }
}

/// A phrase as the table writes it: `\n`, `\t`, `\\` and `\u{XXXX}` stand for
/// the characters a TAB-separated line cannot hold or a reader cannot see.
fn unescape(field: &str) -> Result<String, String> {
    let mut out = String::new();
    let mut chars = field.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('\\') => out.push('\\'),
            Some('u') => {
                let rest = chars.as_str();
                let hex = rest.strip_prefix('{').and_then(|r| r.split_once('}')).map(|(hex, _)| hex);
                let c = hex.and_then(|h| u32::from_str_radix(h, 16).ok()).and_then(char::from_u32);
                let (Some(hex), Some(c)) = (hex, c) else {
                    return Err(format!("bad \\u escape in {field:?}"));
                };
                out.push(c);
                chars = rest[hex.len() + 2..].chars();
            }
            _ => return Err(format!("bad escape in {field:?}")),
        }
    }
    Ok(out)
}

/// Every row of the table, each failure reported with its line number.
#[test]
fn table_of_phrases() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/deadlines.tsv");
    let text =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let mut rows = 0;
    let mut failures = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line.split('\t').collect();
        let (phrase, anchor, start, end, note) = match fields[..] {
            [phrase, anchor, start, end] => (phrase, anchor, start, end, None),
            [phrase, anchor, start, end, note] if start != "error" => {
                (phrase, anchor, start, end, Some(note))
            }
            _ => {
                failures.push(format!(
                    "line {n}: expected 4 TAB-separated fields (5 with a note), found {}",
                    fields.len()
                ));
                continue;
            }
        };
        rows += 1;
        let phrase = match unescape(phrase) {
            Ok(p) => p,
            Err(e) => {
                failures.push(format!("line {n}: {e}"));
                continue;
            }
        };
        let phrase = phrase.as_str();
        let Ok(anchor) = anchor.parse::<NaiveDate>() else {
            failures.push(format!("line {n}: bad anchor {anchor:?}"));
            continue;
        };
        let got = parse(phrase, anchor);
        if start == "error" {
            match got {
                Ok(d) => {
                    failures.push(format!("line {n}: {phrase:?} should be refused with {end:?}, got {d}"))
                }
                Err(e) => {
                    let msg = e.to_string();
                    if !msg.contains(end) {
                        failures.push(format!("line {n}: {phrase:?}: message {msg:?} lacks {end:?}"));
                    }
                    if let Some(problem) = message_problem(&msg) {
                        failures.push(format!("line {n}: {phrase:?}: message {msg:?} {problem}"));
                    }
                }
            }
            continue;
        }
        let want = (day(start), (end != "-").then(|| day(end)));
        match got {
            Ok(d) if (d.start, d.end) == want => {
                // A note is said beside the window: a row names it, or there is none.
                let said = d.note.map(|note| note.to_string());
                match (said, note) {
                    (None, None) => {}
                    (Some(said), Some(want)) if said.contains(want) => {}
                    (said, want) => failures.push(format!(
                        "line {n}: {phrase:?} anchored {anchor}: want note {want:?}, got {said:?}"
                    )),
                }
            }
            Ok(d) => failures.push(format!(
                "line {n}: {phrase:?} anchored {anchor}: want {} to {}, got {d} ({})",
                want.0, end, d.form
            )),
            Err(e) => failures.push(format!("line {n}: {phrase:?} anchored {anchor}: {e}")),
        }
    }
    assert!(rows >= 120, "the table should have at least 120 rows, has {rows}");
    assert!(failures.is_empty(), "{} of {rows} rows failed:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn text_output_is_one_line() {
    let d = parse("first half of 2026", day("2026-01-16")).unwrap();
    assert_eq!(d.to_string(), "first half of 2026 (anchored 2026-01-16): 2026-01-16 to 2026-06-30");
    let d = parse("soon", day("2026-01-16")).unwrap();
    assert_eq!(d.to_string(), "soon (anchored 2026-01-16): from 2026-01-16, no fixed deadline");
    // A phrase is one line: a newline in it is refused, not stored.
    let e = parse("first half\nof 2026", day("2026-01-16")).unwrap_err();
    assert_eq!(
        e.to_string(),
        "invalid deadline 'first half\\nof 2026': expected a visible character or a space \
         after 'first half', found U+000A (line feed)"
    );
}

#[test]
fn json_output() {
    let d = parse("Q3 2026", day("2026-01-16")).unwrap();
    assert_eq!(
        serde_json::to_string(&d).unwrap(),
        r#"{"phrase":"Q3 2026","anchor":"2026-01-16","start":"2026-07-01","end":"2026-09-30","vague":false}"#
    );
    let d = parse("in due course", day("2026-01-16")).unwrap();
    assert_eq!(
        serde_json::to_string(&d).unwrap(),
        r#"{"phrase":"in due course","anchor":"2026-01-16","start":"2026-01-16","end":null,"vague":true}"#
    );
}

#[test]
fn phrase_is_kept_as_written() {
    let d = parse("  Scheduled For  the FIRST half of 2026. ", day("2026-01-16")).unwrap();
    assert_eq!(d.phrase, "  Scheduled For  the FIRST half of 2026. ");
    assert_eq!(d.anchor, day("2026-01-16"));
    assert!(!d.is_vague());
}

#[test]
fn forms_have_short_names() {
    let a = day("2026-01-16");
    for (phrase, form, name) in [
        ("2026", Form::Year, "year"),
        ("H1 2026", Form::HalfYear, "half-year"),
        ("Q3 2026", Form::Quarter, "quarter"),
        ("March 2026", Form::Month, "month"),
        ("2026-03-31", Form::Day, "day"),
        ("next week", Form::Week, "week"),
        ("summer 2026", Form::Season, "season"),
        ("FY2026-27", Form::FiscalYear, "fiscal year"),
        ("mid-2026", Form::PartOfYear, "part of year"),
        ("late March 2026", Form::PartOfMonth, "part of month"),
        ("by the end of 2026", Form::By, "by period"),
        ("the end of Q3 2026", Form::By, "by period"),
        ("before 2027", Form::Before, "before period"),
        ("within 100 days", Form::Within, "within duration"),
        ("soon", Form::Vague, "vague"),
    ] {
        let d = parse(phrase, a).unwrap();
        assert_eq!(d.form, form, "{phrase}");
        assert_eq!(d.form.to_string(), name, "{phrase}");
    }
}

#[test]
fn errors_are_typed_and_specific() {
    let a = day("2026-01-16");
    let e = parse("early 2025", a).unwrap_err();
    assert_eq!(
        e,
        DeadlineError::EndsBeforeAnchor { phrase: "early 2025".into(), end: day("2025-04-30"), anchor: a }
    );
    assert_eq!(e.to_string(), "deadline 'early 2025' ends on 2025-04-30, before its anchor 2026-01-16");
    let e = parse("first half of nxt", a).unwrap_err();
    assert_eq!(
        e.to_string(),
        "invalid deadline 'first half of nxt': expected a year after 'first half of', found 'nxt'"
    );
    let e = parse("FY2026", a).unwrap_err();
    assert!(matches!(e, DeadlineError::AmbiguousFiscalYear { year: 2026, .. }));
    let msg = e.to_string();
    for part in ["Japan", "India", "US federal", "'FY2026-27'"] {
        assert!(msg.contains(part), "{msg}");
    }
    let e: Box<dyn std::error::Error> = Box::new(parse("blah", a).unwrap_err().clone());
    assert!(e.to_string().starts_with("unknown deadline 'blah': expected a period (2026, "));
    // A hostile phrase is quoted on one line and cut short.
    let e = parse(&format!("2026\n{}", "x".repeat(500)), a).unwrap_err().to_string();
    assert!(!e.contains('\n') && e.len() < 300, "{e}");
}

// ---------------------------------------------------------------------------
// Properties.

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const MONTH_ABBR: [&str; 12] =
    ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sept", "Oct", "Nov", "Dec"];
const SEASONS: [&str; 5] = ["spring", "summer", "autumn", "fall", "winter"];
const ORDINALS: [&str; 4] = ["first", "second", "third", "fourth"];
const NUMBER_WORDS: [&str; 5] = ["one", "two", "six", "twelve", "twenty"];
const UNITS: [&str; 8] = ["day", "days", "week", "weeks", "month", "months", "year", "years"];

/// Forms that are a part (early/mid/late), which "end of" cannot wrap.
const PART_FORMS: [usize; 4] = [13, 14, 20, 23];
const FORM_COUNT: usize = 24;

/// One phrase of form `k` in year `y`; `a` and `d` pick a month, quarter, day, etc.
fn period_phrase(k: usize, y: i32, a: usize, d: u32) -> String {
    let (h, q, m) = (a % 2 + 1, a % 4 + 1, a % 12);
    let yy = y.rem_euclid(100);
    let next_yy = (y + 1).rem_euclid(100);
    match k {
        0 => format!("{y}"),
        1 => format!("{} half of {y}", ORDINALS[h - 1]),
        2 => format!("H{h} {y}"),
        3 => format!("{h}H{yy:02}"),
        4 => format!("Q{q} {y}"),
        5 => format!("{q}Q {y}"),
        6 => format!("{} quarter of {y}", ORDINALS[q - 1]),
        7 => format!("{} {y}", MONTHS[m]),
        8 => format!("{d} {} {y}", MONTHS[m]),
        9 => format!("{} {d}, {y}", MONTH_ABBR[m]),
        10 => format!("{y}-{:02}-{d:02}", m + 1),
        11 => format!("{} {y}", SEASONS[a % 5]),
        12 => format!("FY{y}-{next_yy:02}"),
        13 => [
            format!("early {y}"),
            format!("mid-{y}"),
            format!("late {y}"),
            format!("end of {y}"),
            format!("the beginning of {y}"),
        ][a % 5]
            .clone(),
        14 => format!("{} {} {y}", ["early", "mid-", "late"][a % 3], MONTHS[m]),
        15 => [
            "this year",
            "next year",
            "this quarter",
            "next quarter",
            "this month",
            "next month",
            "this week",
            "next week",
            "later this year",
        ][a % 9]
            .to_owned(),
        16 => format!("Q{q}"),
        17 => MONTHS[m].to_owned(),
        18 => format!("{d} {}", MONTHS[m]),
        19 => SEASONS[a % 5].to_owned(),
        20 => ["mid-year", "end of the year", "year-end"][a % 3].to_owned(),
        21 => format!("winter {y}-{next_yy:02}"),
        22 => format!("{y}-{:02}", m + 1),
        _ => ["early next year", "the first half of next year", "Q3 next year"][a % 3].to_owned(),
    }
}

/// Wrappers around a period: (text, is a "by" form).
const WRAPPERS: [(&str, bool); 10] = [
    ("", false),
    ("in ", false),
    ("during ", false),
    ("scheduled for ", false),
    ("by ", true),
    ("by the end of ", true),
    ("no later than ", true),
    ("before the end of ", true),
    ("on or before ", true),
    ("before ", false),
];

fn realistic_anchor() -> impl Strategy<Value = NaiveDate> {
    (1990i32..2100, 1u32..=365).prop_map(|(y, o)| NaiveDate::from_yo_opt(y, o).unwrap())
}

/// Any date chrono can represent, with the extremes made likely.
fn any_anchor() -> impl Strategy<Value = NaiveDate> {
    let (lo, hi) = (NaiveDate::MIN.num_days_from_ce(), NaiveDate::MAX.num_days_from_ce());
    prop_oneof![
        Just(NaiveDate::MIN),
        Just(NaiveDate::MAX),
        (lo..=hi).prop_map(|n| NaiveDate::from_num_days_from_ce_opt(n).unwrap()),
        realistic_anchor(),
    ]
}

/// A generated phrase: (phrase, anchor, wrapped in a "by" form).
fn grammar_phrase() -> impl Strategy<Value = (String, NaiveDate, bool)> {
    (realistic_anchor(), -1i32..=6, 0..FORM_COUNT, 0usize..60, 1u32..=28, 0..WRAPPERS.len()).prop_map(
        |(anchor, off, k, a, d, w)| {
            let (mut wrap, mut by) = WRAPPERS[w];
            // "end of" takes a period, not a part of one ("by the end of early 2026").
            if wrap.contains("end of") && PART_FORMS.contains(&k) {
                (wrap, by) = ("by ", true);
            }
            let phrase = format!("{wrap}{}", period_phrase(k, anchor.year() + off, a, d));
            (phrase, anchor, by)
        },
    )
}

fn duration_phrase() -> impl Strategy<Value = String> {
    let count = prop_oneof![
        // Up to 7000: 7000 years from a realistic anchor still ends before
        // 9999-12-31, past which windows are refused (the table tests that).
        (0u64..7_000).prop_map(|n| n.to_string()),
        prop::sample::select(NUMBER_WORDS.to_vec()).prop_map(str::to_owned),
        Just("a".to_owned()),
    ];
    let lead = prop::sample::select(vec!["within ", "within the next ", "in the next ", "over the next "]);
    (lead, count, prop::sample::select(UNITS.to_vec()))
        .prop_map(|(lead, count, unit)| format!("{lead}{count} {unit}"))
        .prop_filter("'the next a year' is not a form", |p| !p.contains("next a "))
}

/// Grammar words, numbers and punctuation to build near misses from.
const PIECES: &[&str] = &[
    "by",
    "the",
    "end",
    "of",
    "before",
    "no",
    "later",
    "than",
    "on",
    "or",
    "in",
    "during",
    "at",
    "over",
    "scheduled",
    "for",
    "early",
    "mid",
    "late",
    "beginning",
    "start",
    "middle",
    "first",
    "second",
    "third",
    "fourth",
    "half",
    "quarter",
    "h",
    "q",
    "1",
    "2",
    "3",
    "4",
    "5",
    "0",
    "00",
    "26",
    "27",
    "2026",
    "2027",
    "0000",
    "9999",
    "03",
    "13",
    "31",
    "29",
    "99999999999999999999",
    "st",
    "rd",
    "th",
    "march",
    "sept",
    "feb",
    "february",
    "spring",
    "winter",
    "fall",
    "fy",
    "fiscal",
    "year",
    "month",
    "week",
    "this",
    "next",
    "within",
    "a",
    "an",
    "twenty",
    "days",
    "weeks",
    "months",
    "years",
    "soon",
    "coming",
    "due",
    "course",
    "year-end",
    "-",
    "–",
    ".",
    ",",
    "/",
    "'",
    "é",
    "\n",
];

fn near_miss() -> impl Strategy<Value = String> {
    let piece = prop::sample::select(PIECES.to_vec());
    let sep = prop::sample::select(vec![" ", " ", "", "  ", "-"]);
    prop::collection::vec((piece, sep), 0..9)
        .prop_map(|parts| parts.into_iter().flat_map(|(p, s)| [p, s]).collect())
}

/// The invariants every accepted phrase keeps.
fn check_window(phrase: &str, anchor: NaiveDate) -> Result<(), TestCaseError> {
    match parse(phrase, anchor) {
        Ok(d) => {
            prop_assert!(d.start >= anchor, "{phrase:?}: {d} starts before its anchor");
            if let Some(end) = d.end {
                prop_assert!(d.start <= end, "{phrase:?}: {d} ends before it starts");
            }
            if matches!(d.form, Form::By | Form::Before | Form::Within | Form::Vague) {
                prop_assert_eq!(d.start, anchor, "{:?} ({}) must start at the anchor", phrase, d.form);
            }
        }
        Err(e) => {
            let msg = e.to_string();
            prop_assert!(message_problem(&msg).is_none(), "{phrase:?}: bad message {msg:?}");
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Phrases built from the grammar are accepted, or refused only because
    /// they end before the anchor; accepted ones keep start in [anchor, end],
    /// and "by" forms start at the anchor.
    #[test]
    fn grammar_phrases_give_sound_windows((phrase, anchor, by) in grammar_phrase()) {
        match parse(&phrase, anchor) {
            Ok(d) => {
                prop_assert!(d.start >= anchor, "{phrase:?}: {d}");
                let end = d.end.expect("periods have an end");
                prop_assert!(d.start <= end, "{phrase:?}: {d}");
                if by {
                    prop_assert_eq!(d.start, anchor, "{}: {}", phrase, d);
                    prop_assert_eq!(d.form, Form::By, "{}", phrase);
                }
            }
            Err(e) => prop_assert!(
                matches!(e, DeadlineError::EndsBeforeAnchor { .. }),
                "{phrase:?} anchored {anchor} refused: {e}"
            ),
        }
    }

    /// "within N units" always runs from the anchor to a date on or after it.
    #[test]
    fn durations_start_at_the_anchor(phrase in duration_phrase(), anchor in realistic_anchor()) {
        let d = parse(&phrase, anchor).map_err(|e| TestCaseError::fail(format!("{phrase:?}: {e}")))?;
        prop_assert_eq!(d.form, Form::Within);
        prop_assert_eq!(d.start, anchor);
        prop_assert!(d.end.is_some_and(|end| end >= anchor), "{phrase:?}: {d}");
    }

    /// Case and the amount of white space never change the window.
    #[test]
    fn case_and_spacing_do_not_matter(
        (phrase, anchor, _) in grammar_phrase(),
        upper in prop::collection::vec(any::<bool>(), 64),
        spaces in prop::collection::vec(prop::sample::select(vec![" ", "  ", "\u{2009}", " \u{a0}"]), 16),
    ) {
        let mut mangled = String::new();
        let mut space = spaces.iter().cycle();
        for (i, c) in phrase.chars().enumerate() {
            match c {
                ' ' => mangled.push_str(space.next().unwrap()),
                c if upper[i % upper.len()] => mangled.push(c.to_ascii_uppercase()),
                c => mangled.push(c),
            }
        }
        let strip = |r: Result<pledger::deadline::Deadline, DeadlineError>| {
            r.map(|d| (d.start, d.end, d.form)).map_err(|e| std::mem::discriminant(&e))
        };
        prop_assert_eq!(strip(parse(&phrase, anchor)), strip(parse(&mangled, anchor)), "{:?}", mangled);
    }

    /// The parser never panics on arbitrary text, even at the calendar's edges.
    #[test]
    fn arbitrary_text_never_panics(phrase in any::<String>(), anchor in any_anchor()) {
        check_window(&phrase, anchor)?;
    }

    #[test]
    fn printable_text_never_panics(phrase in "\\PC*", anchor in any_anchor()) {
        check_window(&phrase, anchor)?;
    }

    /// Grammar words in random order: accepted or refused cleanly, never a panic.
    #[test]
    fn near_misses_never_panic(phrase in near_miss(), anchor in any_anchor()) {
        check_window(&phrase, anchor)?;
    }
}
