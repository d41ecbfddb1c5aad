//! Published status reports: `snapshot --check` confirms a faithful report
//! and names what differs in one that is not, without writing anything.

use pledger::projection::STATUS_RULES;
use pledger::report::REPORT_FORMAT_V1;
use serde_json::{json, Value};

use crate::support::{sample, sample_len, stderr, stdout, TestLedger};

const AS_OF: &str = "2026-11-28";

/// A ledger of `sample(3)` and its report as of [`AS_OF`], as published.
fn published() -> (TestLedger, Value) {
    let t = TestLedger::new();
    t.import("events.jsonl", &sample(3));
    let out = t.pledger().args(["snapshot", "--as-of", AS_OF]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    (t, report)
}

fn row<'r>(report: &'r mut Value, id: &str) -> &'r mut Value {
    report["commitments"].as_array_mut().unwrap().iter_mut().find(|r| r["id"] == id).unwrap()
}

/// Checks `text` as a published report: exit code, stdout, stderr.
fn check(t: &TestLedger, text: &str) -> (i32, String, String) {
    t.write("report.json", text);
    // Named as a user would, relative to the directory it is run in.
    let out = t.pledger().args(["snapshot", "--check", "report.json"]).output().unwrap();
    (out.status.code().unwrap_or(-1), stdout(&out), stderr(&out))
}

#[test]
fn a_report_saved_with_a_byte_order_mark_checks_as_it_was_published() {
    // given a published report that an editor saved with a byte order mark
    let (t, report) = published();
    let text = format!("\u{feff}{}", serde_json::to_string_pretty(&report).unwrap());
    // when it is checked
    let (code, out, err) = check(&t, &text);
    // then it matches, as `import` reads such a file
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.starts_with("ok: report.json matches the ledger"), "{out}");
}

#[test]
fn check_confirms_a_faithful_report_and_names_what_differs_in_an_altered_one() {
    let seq = sample_len(3);
    type Alter = fn(&mut Value);
    // (what was done to the published report, exit code, what the check says)
    let cases: &[(&str, Alter, i32, &str)] = &[
        ("nothing", |_| {}, 0, &format!("ok: report.json matches the ledger at seq {seq} as of {AS_OF}")),
        (
            "an overdue commitment shown as met",
            |r| row(r, "c3")["status"] = json!("met"),
            1,
            &format!(
                "mismatch: report.json: its rows for c3 (status) are not what the events up to seq {seq} give as of {AS_OF}: \
                 the report names the status rules this pledger applies (v{STATUS_RULES}), so it was changed after \
                 it was made"
            ),
        ),
        (
            "made under older rules, with the same statuses",
            |r| r["rules"] = json!(STATUS_RULES - 1),
            0,
            &format!(
                "note: the report names status rules v{}, and this pledger applies v{STATUS_RULES}; its statuses \
                 are what v{STATUS_RULES} gives (STATUS.md lists what changed)",
                STATUS_RULES - 1
            ),
        ),
        (
            // This pledger cannot apply rules it does not know, so it claims
            // nothing of them
            "naming newer rules, with the same statuses",
            |r| r["rules"] = json!(STATUS_RULES + 6),
            0,
            &format!(
                "note: the report names status rules v{}, and this pledger applies v{STATUS_RULES}; its statuses \
                 are what v{STATUS_RULES} gives (a pledger that applies the newer rules can check them under those)",
                STATUS_RULES + 6
            ),
        ),
        (
            "made under older rules, with another status",
            |r| {
                r["rules"] = json!(STATUS_RULES - 1);
                row(r, "c3")["status"] = json!("met");
            },
            1,
            &format!(
                "the report was made under status rules v{}, and this pledger applies v{STATUS_RULES} (STATUS.md \
                 lists what changed), or it was changed after it was made",
                STATUS_RULES - 1
            ),
        ),
        (
            "made under newer rules, with another status",
            |r| {
                r["rules"] = json!(STATUS_RULES + 1);
                row(r, "c3")["status"] = json!("met");
            },
            1,
            &format!("the report was made under status rules v{}, newer than this pledger's", STATUS_RULES + 1),
        ),
        (
            "of the first format, which names no rules",
            |r| {
                r["format"] = json!(REPORT_FORMAT_V1);
                r.as_object_mut().unwrap().remove("rules");
            },
            0,
            &format!("ok: report.json matches the ledger at seq {seq} as of {AS_OF}"),
        ),
        (
            "of the first format, with another status",
            |r| {
                r["format"] = json!(REPORT_FORMAT_V1);
                r.as_object_mut().unwrap().remove("rules");
                row(r, "c3")["status"] = json!("met");
            },
            1,
            "the report was changed after it was made, or made under other status rules or deadline conventions \
             (its format, v1, does not name them)",
        ),
        (
            "its rules left out",
            |r| {
                r.as_object_mut().unwrap().remove("rules");
            },
            2,
            "report.json: expected a field `rules` in a report of format \"pledger status report v2\"",
        ),
        (
            "its rules null",
            |r| r["rules"] = json!(null),
            2,
            "report.json: expected a field `rules` in a report of format \"pledger status report v2\"",
        ),
        (
            "of the first format, naming rules",
            |r| r["format"] = json!(REPORT_FORMAT_V1),
            2,
            "report.json: expected no field `rules` in a report of format \"pledger status report v1\"",
        ),
        ("its rules not a number", |r| r["rules"] = json!("v2"), 2, "expected a whole number from 1 to 4294967295, found the string \"v2\""),
        (
            "its rules numbered 0, which no rules are",
            |r| r["rules"] = json!(0),
            2,
            "report.json: expected status rules numbered from 1 in `rules`, found 0",
        ),
        (
            "a late fulfilment shown as on time",
            |r| row(r, "c2")["on_time"] = json!(true),
            1,
            "its rows for c2 (on_time) are",
        ),
        (
            "a commitment left out",
            |r| r["commitments"].as_array_mut().unwrap().retain(|c| c["id"] != "c3"),
            1,
            "its rows for c3 (missing from the report) are not what the events up to seq 9 give as of 2026-11-28: \
             what differs for c3 comes from the events themselves, not from the status rules, so it was changed \
             after it was made",
        ),
        (
            "a commitment added",
            |r| {
                let rows = r["commitments"].as_array_mut().unwrap();
                let mut invented = rows[2].clone();
                invented["id"] = json!("c9");
                rows.push(invented);
            },
            1,
            "its rows for c9 (not in the ledger) are not what",
        ),
        (
            "made under older rules, with a deadline phrase the commitment was never given",
            |r| {
                r["rules"] = json!(STATUS_RULES - 1);
                row(r, "c3")["deadline"]["phrase"] = json!("first half of 2027");
            },
            1,
            "its rows for c3 (deadline.phrase) are not what the events up to seq 9 give as of 2026-11-28: what \
             differs for c3 comes from the events themselves, not from the status rules, so it was changed after \
             it was made",
        ),
        (
            "made under older rules, with the phrase of a revision it was given",
            |r| {
                r["rules"] = json!(STATUS_RULES - 1);
                row(r, "c2")["deadline"]["phrase"] = json!("first half of 2026");
            },
            1,
            &format!(
                "its rows for c2 (deadline) are not what the events up to seq {seq} give as of {AS_OF}: the report \
                 was made under status rules v{}",
                STATUS_RULES - 1
            ),
        ),
        (
            "a title changed",
            |r| row(r, "c1")["title"] = json!("Commitment number one"),
            1,
            &format!(
                "mismatch: report.json: its rows for c1 (title) are not what the events up to seq {seq} give as of \
                 {AS_OF}: what differs for c1 comes from the events themselves, not from the status rules, so it was \
                 changed after it was made"
            ),
        ),
        (
            "made under older rules, with its parties and a status changed",
            |r| {
                r["rules"] = json!(STATUS_RULES - 1);
                row(r, "c1")["parties"] = json!(["India"]);
                row(r, "c3")["status"] = json!("pending");
            },
            1,
            "its rows for c1 (parties), c3 (status) are not what the events up to seq 9 give as of 2026-11-28: what \
             differs for c1 comes from the events themselves, not from the status rules, so it was changed after it \
             was made",
        ),
        (
            "of the first format, with its tags and announcement date changed",
            |r| {
                r["format"] = json!(REPORT_FORMAT_V1);
                r.as_object_mut().unwrap().remove("rules");
                row(r, "c2")["tags"] = json!(["t9"]);
                row(r, "c2")["announced"] = json!("2026-01-15");
            },
            1,
            "its rows for c2 (tags, announced) are not what the events up to seq 9 give as of 2026-11-28: what \
             differs for c2 comes from the events themselves",
        ),
        (
            "of the first format, with the day it was met changed",
            |r| {
                r["format"] = json!(REPORT_FORMAT_V1);
                r.as_object_mut().unwrap().remove("rules");
                row(r, "c1")["met_on"] = json!("2026-05-21");
            },
            1,
            "its rows for c1 (met_on) are not what the events up to seq 9 give as of 2026-11-28: the report was \
             changed after it was made, or made under other status rules",
        ),
        ("only a count changed", |r| r["counts"]["overdue"] = json!(0), 1, "its counts of statuses are not what"),
        // A count of zero for a status no row has says what leaving it out says
        ("a zero count added", |r| r["counts"]["superseded"] = json!(0), 0, "ok: report.json matches"),
        (
            "of the first format, with only a count changed",
            |r| {
                r["format"] = json!(REPORT_FORMAT_V1);
                r.as_object_mut().unwrap().remove("rules");
                r["counts"]["overdue"] = json!(0);
            },
            1,
            "its counts of statuses are not what the events up to seq 9 give as of 2026-11-28: rows are listed once \
             each, by id, and counted from their statuses under any rules, so it was changed after it was made",
        ),
        (
            "the rows reordered",
            |r| r["commitments"].as_array_mut().unwrap().reverse(),
            1,
            "its rows (their order, or a row listed twice) are not what",
        ),
        (
            "a row listed twice",
            |r| {
                let rows = r["commitments"].as_array_mut().unwrap();
                rows.push(rows[0].clone());
            },
            1,
            "its rows (their order, or a row listed twice) are not what",
        ),
        (
            "another head hash",
            |r| r["ledger"]["head"] = json!("ab".repeat(32)),
            0,
            &format!(
                "note: the report names head {}, this ledger's at seq {seq} is ",
                "ab".repeat(32)
            ),
        ),
        (
            "another content hash",
            |r| r["ledger"]["content_hash"] = json!("00".repeat(32)),
            1,
            &format!("was computed from events with content hash {}, but this ledger's events", "00".repeat(32)),
        ),
        (
            "a position beyond the head",
            |r| r["ledger"]["seq"] = json!(99),
            1,
            &format!("mismatch: report.json was computed at seq 99, but this ledger ends at seq {seq}"),
        ),
        (
            "another format",
            |r| r["format"] = json!("pledger status report v9"),
            2,
            "report.json: expected a report of format \"pledger status report v2\" or \"pledger status report v1\", \
             found \"pledger status report v9\"",
        ),
        ("a field it does not have", |r| r["signed_by"] = json!("me"), 2, "report.json:"),
        (
            "a field a row does not have",
            |r| row(r, "c3")["late"] = json!(true),
            2,
            "report.json:",
        ),
        (
            "a field a row does not have, named",
            |r| row(r, "c3")["late"] = json!(true),
            2,
            "unknown field `late`, expected one of `id`",
        ),
        (
            "a field a row's deadline does not have",
            |r| row(r, "c3")["deadline"]["late"] = json!(true),
            2,
            "unknown field `late`, expected one of `phrase`, `start`, `end`",
        ),
        // Values of the wrong type, in words a reader of the report knows,
        // each at its line and column and with no second position.
        (
            "a seq written as a string",
            |r| r["ledger"]["seq"] = json!("9"),
            2,
            "report.json:76: expected a pledger status report: expected a whole number from 0 to \
             18446744073709551615, found the string \"9\" (column 14)",
        ),
        (
            "rules numbered below zero",
            |r| r["rules"] = json!(-4),
            2,
            "report.json:78: expected a pledger status report: expected a whole number from 1 to 4294967295, found \
             the number -4 (column 13)",
        ),
        (
            "a count with a fraction",
            |r| r["counts"]["overdue"] = json!(1.5),
            2,
            "expected a whole number from 0 to 18446744073709551615, found the number 1.5",
        ),
        (
            "a date that does not exist",
            |r| r["as_of"] = json!("2026-13-01"),
            2,
            "report.json:2: expected a pledger status report: expected a date as YYYY-MM-DD, found a date out of \
             range (column 23)",
        ),
        (
            "its position written as a list",
            |r| r["ledger"] = json!([9]),
            2,
            "expected an object, found an array of length 1 (column 3)",
        ),
        (
            "a date with no day",
            |r| r["as_of"] = json!("2026-01"),
            2,
            "expected a date as YYYY-MM-DD, found an incomplete date",
        ),
        (
            "a date written as a number",
            |r| row(r, "c1")["announced"] = json!(20260116),
            2,
            "expected a date as YYYY-MM-DD, found the number 20260116",
        ),
        (
            "its fields as an array",
            |r| {
                let fields = ["format", "rules", "as_of", "ledger", "counts", "commitments"].map(|f| r[f].clone());
                *r = json!(fields);
            },
            2,
            "report.json: expected a pledger status report, a JSON object, found an array",
        ),
        (
            "a later format, with a field of its own",
            |r| {
                r["format"] = json!("pledger status report v3");
                r["signature"] = json!("ab");
            },
            2,
            "found \"pledger status report v3\"",
        ),
    ];
    for (what, alter, code, says) in cases {
        // Given a published report, altered
        let (t, mut report) = published();
        let head = t.head();
        alter(&mut report);
        // When it is checked against the ledger
        let (got, out, err) = check(&t, &serde_json::to_string_pretty(&report).unwrap());
        // Then the exit code and the message say what differs, and nothing is written
        assert_eq!(got, *code, "{what}: {out}{err}");
        assert!(out.contains(says) || err.contains(says), "{what}: expected {says:?} in\n{out}{err}");
        assert!(!err.contains("panicked"), "{what}: {err}");
        assert!(!err.contains(" at line "), "{what}: serde's position repeats the line: {err}");
        assert_eq!(t.head(), head, "{what}");
    }
}

#[test]
fn a_report_that_is_not_json_is_refused_with_its_line() {
    // Given a file that is not a report
    let (t, _) = published();
    // When it is checked
    let (code, _, err) = check(&t, "{\n  \"format\": \"pledger status report v2\",\n  oops\n}\n");
    // Then the error names the file and line
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("report.json:3: expected a pledger status report"), "{err}");
}

#[test]
fn a_report_cut_off_is_refused_as_ending_early() {
    // Given a published report, cut off half way (a download that stopped)
    let (t, report) = published();
    let text = serde_json::to_string_pretty(&report).unwrap();
    let cut = &text[..text.len() / 2];
    let line = cut.lines().count();
    // When it is checked
    let (code, _, err) = check(&t, cut);
    // Then the error says where the text ends, in words rather than serde's
    assert_eq!(code, 2, "{err}");
    let expected = format!(
        "report.json:{line}: expected a pledger status report: expected more JSON, found the end of the file"
    );
    assert!(err.contains(&expected), "expected {expected:?} in {err}");
}

#[test]
fn a_report_still_checks_after_later_events_and_on_another_copy_of_the_same_events() {
    // Given a published report
    let (t, report) = published();
    let text = serde_json::to_string_pretty(&report).unwrap();
    // When later events are appended, one of them retracting a fulfilment the report counted
    t.import(
        "later.jsonl",
        "{\"type\":\"retraction\",\"retracts\":5,\"reason\":\"The meeting did not take place\"}\n",
    );
    let (code, out, err) = check(&t, &text);
    // Then the report still matches the events up to its own position
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("ok: report.json matches"), "{out}");
    // With a note that as of its date the head now gives c1 (fulfilled by that meeting) otherwise
    assert!(
        out.contains(&format!(
            "note: the ledger has grown to seq {} since; as of {AS_OF} it now gives other statuses for c1 \
             (pledger snapshot --as-of {AS_OF} for a report at the head)",
            sample_len(3) + 1
        )),
        "{out}"
    );
    // And given another ledger built from the same events by someone else
    let copy = TestLedger::new();
    let file = copy.write("events.jsonl", sample(3));
    copy.pledger().env("PLEDGER_AUTHOR", "someone else").arg("import").arg(file).assert().success();
    // When the report is checked against it
    let (code, out, err) = check(&copy, &text);
    // Then it matches, with a note that the head hash (who recorded, when) differs
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains(&format!(
            "note: the report names head {}, this ledger's at seq {} is ",
            report["ledger"]["head"].as_str().unwrap(),
            sample_len(3)
        )),
        "{out}"
    );
    assert!(
        out.contains("the report was computed on another copy of the same events, or its head was changed"),
        "{out}"
    );
}

#[test]
fn a_faithful_report_names_what_later_events_dated_before_its_date_give_otherwise() {
    // Given a published report, in which c3 is overdue
    let (t, report) = published();
    let text = serde_json::to_string_pretty(&report).unwrap();
    let seq = sample_len(3);
    // When a meeting dated after the report's date is recorded, fulfilling c3
    t.import(
        "after.jsonl",
        "{\"type\":\"meeting\",\"id\":\"december-review\",\"date\":\"2026-12-05\",\"title\":\"Review\",\"fulfils\":[\"c3\"]}\n",
    );
    let (code, out, err) = check(&t, &text);
    // Then the report checks with no note: as of its date nothing differs
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("ok: report.json matches"), "{out}");
    assert!(!out.contains("note:"), "{out}");
    // When a meeting dated before it is recorded later, fulfilling c3, and a commitment of that announcement
    t.import(
        "later.jsonl",
        "{\"type\":\"meeting\",\"id\":\"october-review\",\"date\":\"2026-10-01\",\"title\":\"Review\",\"fulfils\":[\"c3\"]}\n\
         {\"type\":\"commitment\",\"id\":\"c9\",\"announcement\":\"in-jp-2026\",\"title\":\"Found later\"}\n",
    );
    let (code, out, err) = check(&t, &text);
    // Then the report still matches its own position (exit 0), and a note names both
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains(&format!("ok: report.json matches the ledger at seq {seq} as of {AS_OF}")), "{out}");
    assert!(
        out.contains(&format!(
            "note: the ledger has grown to seq {} since; as of {AS_OF} it now gives other statuses for c3, c9 (not \
             in the report) (pledger snapshot --as-of {AS_OF} for a report at the head)",
            seq + 3
        )),
        "{out}"
    );
}

/// Given commitments whose parties are spelled in different cases (or with
/// a zero width space that prints as nothing), when the
/// compliance report is taken, then each party is one row that counts every
/// commitment naming it once, and a half percent is rounded up, in the text
/// and in the JSON's counts alike.
#[test]
fn compliance_groups_parties_regardless_of_case_and_invisible_characters_and_rounds_halves_up() {
    let t = TestLedger::new();
    t.import(
        "events.jsonl",
        &[
            r#"{"type":"announcement","id":"s","date":"2026-01-16","title":"Summit","parties":["India","Japan"]}"#,
            r#"{"type":"commitment","id":"c1","announcement":"s","title":"Met on time","deadline":"2026"}"#,
            r#"{"type":"commitment","id":"c2","announcement":"s","title":"Overdue","deadline":"first half of 2026","parties":["india"]}"#,
            r#"{"type":"commitment","id":"c3","announcement":"s","title":"Pending","deadline":"2027","parties":["India\u200b","Japan"]}"#,
            r#"{"type":"commitment","id":"c4","announcement":"s","title":"Cancelled","deadline":"2027"}"#,
            r#"{"type":"commitment","id":"c5","announcement":"s","title":"Met late","deadline":"Q1 2026","parties":["Japan"]}"#,
            r#"{"type":"meeting","id":"m1","date":"2026-03-01","title":"Held","fulfils":["c1"]}"#,
            r#"{"type":"meeting","id":"m2","date":"2026-05-01","title":"Held late","fulfils":["c5"]}"#,
            r#"{"type":"outcome","commitment":"c4","date":"2026-04-01","outcome":"cancelled"}"#,
        ]
        .join("\n"),
    );
    let out = t.pledger().args(["report", "--as-of", AS_OF, "--json"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let scores: Value = serde_json::from_slice(&out.stdout).unwrap();
    let counts: Vec<(String, u64, u64, u64, u64, u64, u64)> = (scores.as_array().unwrap().iter())
        .map(|s| {
            let n = |k: &str| s[k].as_u64().unwrap();
            (
                s["party"].as_str().unwrap().to_owned(),
                n("met_on_time"),
                n("met_late"),
                n("pending"),
                n("overdue"),
                n("cancelled"),
                n("total"),
            )
        })
        .collect();
    // India: c1 met, c2 overdue (as "india"), c3 pending (with U+200B), c4 cancelled;
    // Japan: c1 met, c3 pending, c4 cancelled, c5 met late.
    assert_eq!(counts, [("India".to_owned(), 1, 0, 1, 1, 1, 4), ("Japan".to_owned(), 1, 1, 1, 0, 1, 4)]);
    let text = stdout(&t.pledger().args(["report", "--as-of", AS_OF]).output().unwrap());
    let percent = |party: &str| {
        let line =
            text.lines().find(|l| l.starts_with(party)).unwrap_or_else(|| panic!("no {party} in\n{text}"));
        line.split_whitespace().last().unwrap().to_owned()
    };
    // (1 - 2) / 4 = -0.25 -> 37.5 %; (2 - 1) / 4 = 0.25 -> 62.5 %.
    assert_eq!((percent("India"), percent("Japan")), ("38%".to_owned(), "63%".to_owned()));
    assert!(text.contains(&format!("as of {AS_OF}, ledger at seq 9;")), "{text}");
}

#[test]
fn a_report_larger_than_any_ledger_makes_is_refused_unread() {
    // Given a file of more than 1 GiB where a report should be (sparse: no disk is used)
    let (t, _) = published();
    let path = t.dir().join("huge.json");
    std::fs::File::create(&path).unwrap().set_len((1 << 30) + 1).unwrap();
    // When it is checked
    let out = t.pledger().args(["snapshot", "--check", "huge.json"]).output().unwrap();
    // Then it is refused as too large, rather than read into memory
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("huge.json: expected a report under 1 GiB, found a larger file"),
        "{}",
        stderr(&out)
    );
}
