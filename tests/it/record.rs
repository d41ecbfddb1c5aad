//! `pledger record` and `pledger retract`: each stores exactly the event that
//! the same JSON line would, refuses bad input with exit 2 and nothing
//! appended, and `--dry-run` appends nothing.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

/// `pledger --ledger DIR`, with a fixed author and none of the caller's
/// PLEDGER_* settings.
fn pledger(ledger: &Path) -> Command {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("pledger"));
    cmd.arg("--ledger").arg(ledger);
    cmd.env("PLEDGER_AUTHOR", "test").env_remove("PLEDGER_LEDGER").env_remove("PLEDGER_SNAPSHOT_EVERY");
    cmd.env_remove("PLEDGER_COMPLETE").env("NO_COLOR", "1");
    cmd
}

fn run_ok(ledger: &Path, args: &[&str]) -> String {
    let out = pledger(ledger).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "pledger {args:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn export(ledger: &Path) -> String {
    run_ok(ledger, &["export"])
}

/// Runs a command expected to be refused: exit 2, and the ledger unchanged.
/// Returns stderr.
fn refused(ledger: &Path, args: &[&str]) -> String {
    let before = ledger.exists().then(|| export(ledger));
    let out = pledger(ledger).args(args).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "pledger {args:?}: expected exit 2, stderr: {stderr}");
    match before {
        Some(before) => assert_eq!(export(ledger), before, "pledger {args:?} changed the ledger"),
        None => assert!(!ledger.exists(), "pledger {args:?} created a ledger"),
    }
    stderr
}

/// Commands and the JSON line each should store, in an order the ledger
/// accepts.
const PAIRS: &[(&[&str], &str)] = &[
    (
        &[
            "record",
            "announcement",
            "in-jp-2026",
            "--date",
            "2026-01-16",
            "--title",
            "Strategic dialogue",
            "--party",
            "India",
            "--party",
            "Japan",
            "--publisher",
            "Example News",
            "--source-url",
            "https://example.org/a",
            "--source-title",
            "India, Japan unveil initiatives",
            "--summary",
            "Minerals, AI and defence",
        ],
        r#"{"type":"announcement","id":"in-jp-2026","date":"2026-01-16","title":"Strategic dialogue","parties":["India","Japan"],"source":{"url":"https://example.org/a","publisher":"Example News","title":"India, Japan unveil initiatives"},"summary":"Minerals, AI and defence"}"#,
    ),
    (
        // Several values after one flag are the same as the flag repeated.
        &[
            "record",
            "announcement",
            "quad-2026",
            "--date",
            "2026-07-01",
            "--title",
            "Quad",
            "--party",
            "Australia",
            "India",
        ],
        r#"{"type":"announcement","id":"quad-2026","date":"2026-07-01","title":"Quad","parties":["Australia","India"]}"#,
    ),
    (
        &[
            "record",
            "commitment",
            "jwg-minerals",
            "--announcement",
            "in-jp-2026",
            "--title",
            "Joint working group on critical minerals",
            "--deadline",
            "early 2026",
            "--tag",
            "minerals",
            "--tag",
            "economic-security",
            "--quote",
            "will set up a joint working group",
        ],
        r#"{"type":"commitment","id":"jwg-minerals","announcement":"in-jp-2026","title":"Joint working group on critical minerals","deadline":"early 2026","tags":["minerals","economic-security"],"quote":"will set up a joint working group"}"#,
    ),
    (
        &[
            "record",
            "commitment",
            "ai-dialogue",
            "--announcement",
            "in-jp-2026",
            "--title",
            "AI dialogue",
            "--party",
            "Japan",
        ],
        r#"{"type":"commitment","id":"ai-dialogue","announcement":"in-jp-2026","title":"AI dialogue","parties":["Japan"]}"#,
    ),
    (
        &[
            "record",
            "commitment",
            "ai-partnership",
            "--announcement",
            "in-jp-2026",
            "--title",
            "AI partnership",
            "--deadline",
            "soon",
        ],
        r#"{"type":"commitment","id":"ai-partnership","announcement":"in-jp-2026","title":"AI partnership","deadline":"soon"}"#,
    ),
    (
        &[
            "record",
            "meeting",
            "jwg-first",
            "--date",
            "2026-04-08",
            "--title",
            "First JWG meeting",
            "--fulfils",
            "jwg-minerals",
            "--progresses",
            "ai-dialogue",
            "ai-partnership",
            "--party",
            "India",
            "--source-url",
            "https://example.org/m",
            "--summary",
            "Met in Tokyo",
        ],
        r#"{"type":"meeting","id":"jwg-first","date":"2026-04-08","title":"First JWG meeting","parties":["India"],"source":{"url":"https://example.org/m"},"summary":"Met in Tokyo","fulfils":["jwg-minerals"],"progresses":["ai-dialogue","ai-partnership"]}"#,
    ),
    (
        &[
            "record",
            "deadline",
            "ai-partnership",
            "--date",
            "2026-05-01",
            "--deadline",
            "by the end of 2026",
            "--reason",
            "Clarified",
            "--publisher",
            "MEA",
        ],
        r#"{"type":"deadline","commitment":"ai-partnership","date":"2026-05-01","deadline":"by the end of 2026","reason":"Clarified","source":{"publisher":"MEA"}}"#,
    ),
    (
        &["record", "progress", "ai-partnership", "--date", "2026-05-02", "--note", "Terms agreed"],
        r#"{"type":"progress","commitment":"ai-partnership","date":"2026-05-02","note":"Terms agreed"}"#,
    ),
    (
        &[
            "record",
            "outcome",
            "ai-dialogue",
            "--date",
            "2026-06-01",
            "--superseded-by",
            "ai-partnership",
            "--note",
            "Folded in",
        ],
        r#"{"type":"outcome","commitment":"ai-dialogue","date":"2026-06-01","outcome":"superseded","by":"ai-partnership","note":"Folded in"}"#,
    ),
    (
        &[
            "record",
            "outcome",
            "ai-partnership",
            "--date",
            "2026-09-01",
            "--met",
            "--source-url",
            "https://example.org/o",
        ],
        r#"{"type":"outcome","commitment":"ai-partnership","date":"2026-09-01","outcome":"met","source":{"url":"https://example.org/o"}}"#,
    ),
    (
        &["record", "outcome", "jwg-minerals", "--date", "2026-09-02", "--cancelled"],
        r#"{"type":"outcome","commitment":"jwg-minerals","date":"2026-09-02","outcome":"cancelled"}"#,
    ),
    (
        &["retract", "#11", "--reason", "Recorded twice"],
        r#"{"type":"retraction","retracts":11,"reason":"Recorded twice"}"#,
    ),
];

#[test]
fn each_record_command_stores_the_event_of_its_json_line() {
    let dir = tempfile::tempdir().unwrap();
    let (recorded, imported) = (dir.path().join("recorded.db"), dir.path().join("imported.db"));
    for (args, _) in PAIRS {
        run_ok(&recorded, args);
    }
    let jsonl = dir.path().join("events.jsonl");
    let lines: Vec<&str> = PAIRS.iter().map(|(_, line)| *line).collect();
    std::fs::write(&jsonl, lines.join("\n") + "\n").unwrap();
    run_ok(&imported, &["import", jsonl.to_str().unwrap()]);
    assert_eq!(export(&recorded), export(&imported));
    // And each is the line as written (the lines above are canonical), but
    // that the retraction also names the event it retracts by what it is:
    // an outcome, by the first 16 bytes of BLAKE3 over its canonical line.
    let digest = crate::support::digest(lines[10]);
    let mut exported = lines.clone();
    let named = format!(
        r#"{{"type":"retraction","retracts":11,"retracts_event":{{"type":"outcome","digest":"{digest}"}},"reason":"Recorded twice"}}"#
    );
    exported[11] = &named;
    assert_eq!(export(&recorded), exported.join("\n") + "\n");
    // Re-recording the same announcement is recognised, like a re-import.
    let again = run_ok(&recorded, PAIRS[0].0);
    assert!(again.starts_with("already recorded: announcement in-jp-2026; head 12:"), "{again}");
}

#[test]
fn append_says_what_it_appended_as_record_does() {
    // Given two ledgers, one built by the record commands, one by appending
    // the JSON line of each
    let dir = tempfile::tempdir().unwrap();
    let (recorded, appended) = (dir.path().join("recorded.db"), dir.path().join("appended.db"));
    for (args, line) in PAIRS {
        // When each event is recorded one way and appended the other
        let by_record = run_ok(&recorded, args);
        let by_append = run_ok(&appended, &["append", "--json", line]);
        // Then both say the same of it: its seq, and what pledger read (the
        // deadline's window, what a retraction voids); hashes differ with
        // the recording time
        assert_eq!(mask_hash(by_append.trim()), mask_hash(by_record.trim()), "{line}");
    }
    assert_eq!(export(&recorded), export(&appended));
    // And an event appended again is named as record names it
    let again = run_ok(&appended, &["append", "--json", PAIRS[0].1]);
    assert!(again.starts_with("already recorded: announcement in-jp-2026; head 12:"), "{again}");
    // And a retraction by uuid says what it voids, as one by seq does
    let log = run_ok(&appended, &["log", "--json"]);
    let first: serde_json::Value = serde_json::from_str(log.lines().next().unwrap()).unwrap();
    let uuid = first["uuid"].as_str().unwrap();
    let line = format!(r#"{{"type":"retraction","retracts":"{uuid}","reason":"Wrong summit"}}"#);
    let out = run_ok(&appended, &["append", "--json", &line]);
    assert_eq!(
        mask_hash(out.trim()),
        format!("#13 ######## retraction of {uuid}: Wrong summit (was announcement in-jp-2026)")
    );
}

#[test]
fn the_output_line_names_seq_hash_and_the_deadline_window() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("l.db");
    let outputs: Vec<String> = PAIRS[..7].iter().map(|(args, _)| run_ok(&ledger, args)).collect();
    let head = run_ok(&ledger, &["head"]);
    let (seq, hash) = head.trim().split_once(':').unwrap();
    assert_eq!(seq, "7");
    let short = &hash[..8];
    let expect = [
        "#1 ######## announcement in-jp-2026 on 2026-01-16: Strategic dialogue",
        "#3 ######## commitment jwg-minerals: deadline \"early 2026\" = 2026-01-16 to 2026-04-30",
        "#4 ######## commitment ai-dialogue: no deadline given",
        "#5 ######## commitment ai-partnership: deadline \"soon\" = no fixed deadline",
        "#6 ######## meeting jwg-first on 2026-04-08: fulfils jwg-minerals; progresses ai-dialogue, ai-partnership",
    ];
    let normalized: Vec<String> = outputs.iter().map(|o| mask_hash(o.trim())).collect();
    for line in expect {
        assert!(normalized.iter().any(|o| o == line), "no {line:?} in {normalized:#?}");
    }
    assert_eq!(
        outputs[6].trim(),
        format!(
            "#7 {short} deadline ai-partnership: revised on 2026-05-01 to \"by the end of 2026\" = 2026-05-01 to 2026-12-31"
        )
    );
}

#[test]
fn a_reading_that_may_surprise_comes_with_a_note_on_stderr() {
    // Given an announcement of 2026-01-16,
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("l.db");
    run_ok(&ledger, PAIRS[0].0);
    let commitment = |id: &str, deadline: &str, dry_run: bool| {
        let mut cmd = pledger(&ledger);
        cmd.args(["record", "commitment", id, "--announcement", "in-jp-2026", "--title", "Hold a dialogue"]);
        cmd.args(["--deadline", deadline]);
        if dry_run {
            cmd.arg("--dry-run");
        }
        let out = cmd.output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        (String::from_utf8(out.stdout).unwrap(), String::from_utf8(out.stderr).unwrap())
    };
    // when a commitment is due "by H2 2026", which reads to December 31,
    let (out, err) = commitment("esd", "by H2 2026", false);
    // then the record line gives the window and stderr says why it ends there;
    assert!(out.ends_with("deadline \"by H2 2026\" = 2026-01-16 to 2026-12-31\n"), "{out}");
    assert_eq!(err, "note: deadline 'by H2 2026': 'by' is read to the last day of the part it names, not the day it begins\n");
    // a dry run says the same, and a plain reading says nothing more.
    let (_, err) = commitment("esd2", "by H2 2026", true);
    assert!(err.contains("note: deadline 'by H2 2026': 'by' is read to the last day"), "{err}");
    let (_, err) = commitment("esd3", "first half of 2026", false);
    assert_eq!(err, "");

    // An import says each note at its line.
    let file = dir.path().join("more.jsonl");
    let lines = [
        r#"{"type":"commitment","id":"cable","announcement":"in-jp-2026","title":"Lay a cable","deadline":"in 2026"}"#,
        r#"{"type":"commitment","id":"port","announcement":"in-jp-2026","title":"Build a port","deadline":"by mid-2026"}"#,
    ];
    std::fs::write(&file, lines.join("\n") + "\n").unwrap();
    let out = pledger(&ledger).args(["import", file.to_str().unwrap()]).output().unwrap();
    assert!(out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(
        err,
        format!("{}:2: note: deadline 'by mid-2026': 'by' is read to the last day of the part it names, not the day it begins\n", file.display())
    );

    // `pledger deadline` keeps stdout to the window and says the note on stderr.
    let deadline = |phrase: &str, anchor: &str| {
        let out = pledger(&ledger).args(["deadline", phrase, "--anchor", anchor]).output().unwrap();
        assert!(out.status.success());
        (String::from_utf8(out.stdout).unwrap(), String::from_utf8(out.stderr).unwrap())
    };
    let (out, err) = deadline("March", "2026-05-04");
    assert_eq!(out, "March (anchored 2026-05-04): 2027-03-01 to 2027-03-31\n");
    assert_eq!(err, "note: no year is written: read as the next occurrence, which begins in 2027\n");
    let (_, err) = deadline("March", "2026-01-16");
    assert_eq!(err, "");
}

/// `#N 0123abcd rest` with the hash masked.
fn mask_hash(line: &str) -> String {
    let mut words: Vec<&str> = line.splitn(3, ' ').collect();
    if words.len() == 3 && words[1].len() == 8 && words[1].bytes().all(|b| b.is_ascii_hexdigit()) {
        words[1] = "########";
    }
    words.join(" ")
}

#[test]
fn dates_may_be_today_or_yesterday() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("l.db");
    let today = chrono::Utc::now().date_naive();
    let yesterday = today.pred_opt().unwrap();
    run_ok(&ledger, &["record", "announcement", "a", "--date", "yesterday", "--title", "A", "--party", "P"]);
    run_ok(&ledger, &["record", "meeting", "m", "--date", "today", "--title", "M"]);
    let exported = export(&ledger);
    // The clock may pass midnight between the two commands; allow it.
    assert!(
        exported.contains(&format!("\"date\":\"{yesterday}\""))
            || exported.contains(&format!("\"date\":\"{today}\"")),
        "{exported}"
    );
    assert!(!exported.contains("\"today\"") && !exported.contains("\"yesterday\""), "{exported}");
}

#[test]
fn bad_input_exits_2_with_nothing_appended_and_the_problem_at_its_flag() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("l.db");
    for (args, _) in &PAIRS[..3] {
        run_ok(&ledger, args);
    }
    let cases: &[(&[&str], &[&str])] = &[
        (
            &["record", "progress", "jwg-minerals", "--date", "2026-02-30", "--note", "x"],
            &["--date: expected a date as YYYY-MM-DD, found \"2026-02-30\", which is not a day of the calendar"],
        ),
        (
            &["record", "progress", "jwg-minerals", "--date", "16/01/2026", "--note", "x"],
            &["--date: expected a date as YYYY-MM-DD, today or yesterday, found \"16/01/2026\""],
        ),
        (
            &["record", "progress", "jwg-minerals", "--date", "Today", "--note", "x"],
            &["--date: expected a date as YYYY-MM-DD, today or yesterday, found \"Today\""],
        ),
        (
            &["deadline", "soon", "--anchor", "Tuesday"],
            &["'--anchor <DATE>': expected a date as YYYY-MM-DD, today or yesterday, found \"Tuesday\""],
        ),
        (
            &["status", "--as-of", "tomorrow"],
            &["'--as-of <DATE>': expected a date as YYYY-MM-DD, today or yesterday, found \"tomorrow\""],
        ),
        (
            // Every problem is reported, each at its place.
            &["record", "commitment", "Bad_Id", "--announcement", "in-jp-2026", "--title", " ", "--tag", ""],
            &[
                "ID: expected an id of lowercase letters, digits and '-', found \"Bad_Id\"",
                "--title: expected text, found only white space",
                "--tag: expected text, found an empty string",
                "error: 3 problems found; nothing was appended",
            ],
        ),
        (
            &["record", "commitment", "x", "--announcement", "nope", "--title", "X"],
            &["commitment x: unknown announcement 'nope': record the announcement first"],
        ),
        (
            &["record", "commitment", "x", "--announcement", "in-jp-2026", "--title", "X", "--deadline", "by tuesday-ish"],
            &["--deadline: invalid deadline 'by tuesday-ish'"],
        ),
        (
            &["record", "deadline", "jwg-minerals", "--date", "2026-03-01", "--deadline", "whenever"],
            &["--deadline: unknown deadline 'whenever'"],
        ),
        (&["record", "progress", "nope", "--date", "2026-03-01", "--note", "x"], &["progress nope: unknown commitment 'nope'"]),
        (
            &["record", "progress", "jwg-minerals", "--date", "2026-01-01", "--note", "x"],
            &["progress dated 2026-01-01 cannot concern commitment 'jwg-minerals', which was announced on 2026-01-16"],
        ),
        (
            &["record", "outcome", "jwg-minerals", "--date", "2026-03-01", "--superseded-by", "jwg-minerals"],
            &["outcome: commitment 'jwg-minerals' cannot supersede itself"],
        ),
        (&["record", "outcome", "jwg-minerals", "--date", "2026-03-01", "--met", "--cancelled"], &["cannot be used with"]),
        (&["record", "outcome", "jwg-minerals", "--date", "2026-03-01"], &["--met|--cancelled|--superseded-by"]),
        (&["record", "announcement", "b", "--date", "2026-03-01", "--title", "B"], &["--party <NAME>"]),
        // An id typed after the names of a listing option is one more name.
        (
            &["record", "announcement", "--date", "2026-03-01", "--title", "B", "--party", "India", "Japan", "b"],
            &["<ID>", "tip: the values of --party run to the next option, so 'b' was taken as one of them: \
                if it is the ID, give it before --party (or after '--' at the end of the command)"],
        ),
        (
            &["record", "meeting", "--date", "2026-03-01", "--fulfils", "jwg-minerals", "m", "--title", "M"],
            &["<ID>", "so 'm' was taken as one of them: if it is the ID, give it before --fulfils"],
        ),
        (
            &["record", "announcement", "in-jp-2026", "--date", "2026-01-17", "--title", "Other", "--party", "India"],
            &["announcement in-jp-2026: announcement 'in-jp-2026' is already recorded (seq 1) with different content"],
        ),
        (&["retract", "yesterday", "--reason", "x"], &["SEQ|UUID: expected a seq number or an event uuid, found \"yesterday\""]),
        (&["retract", "0", "--reason", "x"], &["retraction: `retracts` names seq 0, but seqs start at 1"]),
        (&["retract", "9", "--reason", "x"], &["retraction of #9: `retracts` names seq 9, past this retraction's own seq 4: a retraction can only retract an earlier event (seq 1 to 3)"]),
        (
            &["retract", "0190f3a2-7c4e-7d2b-9a1e-3f5c6b7d8e9f", "--reason", "x"],
            &["`retracts` names event 0190f3a2-7c4e-7d2b-9a1e-3f5c6b7d8e9f, which is not in the ledger"],
        ),
        (&["retract", "1", "--reason", ""], &["--reason: expected text, found an empty string"]),
        (
            &["record", "announcement", "b", "--date", "2026-03-01", "--title", "B", "--party", "India", "--party", " Japan"],
            &["--party: expected a name without spaces around it, found \" Japan\""],
        ),
        // A seq or number flag says what it expected and what it found.
        (&["status", "--at", ""], &["'--at <SEQ>': expected a seq number, found \"\""]),
        (&["status", "--at", " 1"], &["'--at <SEQ>': expected a seq number, found \" 1\""]),
        (&["report", "--at", "+1"], &["'--at <SEQ>': expected a seq number, found \"+1\""]),
        (
            &["snapshot", "--at", "18446744073709551616"],
            &["'--at <SEQ>': expected a seq number no larger than 18446744073709551615, found \"18446744073709551616\""],
        ),
        (&["log", "--from", "1x"], &["'--from <SEQ>': expected a seq number, found \"1x\""]),
        (&["export", "--to", "#"], &["'--to <SEQ>': expected a seq number, found \"#\""]),
        (&["head", "--snapshot-every", "ten"], &["--snapshot-every: expected a number of events, found \"ten\""]),
        // A value given twice would be stored twice.
        (
            &["record", "announcement", "b", "--date", "2026-03-01", "--title", "B", "--party", "X", "Y", "--party", "X", "X"],
            &["--party: 'X' is given twice", "error: 1 problem found"],
        ),
        (
            &["record", "commitment", "x", "--announcement", "in-jp-2026", "--title", "X", "--tag", "ai", "--tag", "ai"],
            &["--tag: 'ai' is given twice"],
        ),
        (
            &["record", "meeting", "m", "--date", "2026-03-01", "--title", "M", "--fulfils", "jwg-minerals", "jwg-minerals"],
            &["--fulfils: 'jwg-minerals' is given twice"],
        ),
        (
            &["record", "meeting", "m", "--date", "2026-03-01", "--title", "M", "--fulfils", "jwg-minerals", "--progresses", "jwg-minerals"],
            &["--progresses: 'jwg-minerals' is given to --fulfils too; a meeting either meets a commitment or advances it"],
        ),
        // Who is recording: not blank, and short enough to store.
        (
            &["--by", "  ", "record", "progress", "jwg-minerals", "--date", "2026-03-01", "--note", "x"],
            &["--by: expected a name, found only white space"],
        ),
        (
            &["--by", LONG_NAME, "retract", "1", "--reason", "x"],
            &["--by: expected a name of at most 200 characters, found 201"],
        ),
        (
            &["--by", "evil\u{1b}[2J\rX", "retract", "1", "--reason", "x"],
            &["--by: expected a name without control characters, found U+001B (escape) at character 5"],
        ),
        (
            &["--by", "bad\u{202e}live", "retract", "1", "--reason", "x"],
            &["--by: expected a name without control characters, found U+202E (right-to-left override) at character 4"],
        ),
        (
            // Reported at the flag, beside the other flags' problems
            &["record", "commitment", "x", "--announcement", "in-jp-2026", "--title", " ", "--tag", "ai "],
            &["--title: expected text, found only white space", "--tag: expected a name without spaces around it, found \"ai \""],
        ),
    ];
    for (args, expected) in cases {
        let stderr = refused(&ledger, args);
        for e in *expected {
            assert!(stderr.contains(e), "pledger {args:?}: no {e:?} in:\n{stderr}");
        }
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
    // A missing id is only that, where the last name could not be an id.
    let stderr = refused(
        &ledger,
        &["record", "announcement", "--date", "2026-03-01", "--title", "B", "--party", "India", "Japan"],
    );
    assert!(stderr.contains("<ID>") && !stderr.contains("tip:"), "{stderr}");
    // Flag problems are found before the ledger is opened: none is created.
    let fresh = dir.path().join("fresh.db");
    refused(&fresh, &["record", "announcement", "a", "--date", "2026-13-01", "--title", "A", "--party", "P"]);
}

/// A recorder's name one character too long for `--by`.
const LONG_NAME: &str = concat!(
    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    "x"
);

#[test]
fn a_bad_value_from_the_environment_is_named_as_its_variable() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("l.db");
    run_ok(&ledger, PAIRS[0].0);
    let progress: &[&str] = &["record", "progress", "x", "--date", "2026-03-01", "--note", "x"];
    let long = "y".repeat(40_000);
    let cases: &[(&str, &str, &[&str], &str)] = &[
        (
            "PLEDGER_SNAPSHOT_EVERY",
            "abc",
            &["head"],
            "error: PLEDGER_SNAPSHOT_EVERY: expected a number of events, found \"abc\"",
        ),
        (
            "PLEDGER_SNAPSHOT_EVERY",
            "-1",
            &["status"],
            "error: PLEDGER_SNAPSHOT_EVERY: expected a number of events, found \"-1\"",
        ),
        ("PLEDGER_AUTHOR", " ", progress, "PLEDGER_AUTHOR: expected a name, found only white space"),
        (
            "PLEDGER_LEDGER",
            "",
            &["status"],
            "error: PLEDGER_LEDGER: expected a ledger directory, found an empty value (unset it for ./pledger.db)",
        ),
        (
            "PLEDGER_AUTHOR",
            &long,
            &["retract", "1", "--reason", "x"],
            "PLEDGER_AUTHOR: expected a name of at most 200 characters, found 40000",
        ),
    ];
    for (var, value, args, expected) in cases {
        // given a bad value in the environment, when a command runs
        let before = export(&ledger);
        let out = pledger(&ledger).env(var, value).args(*args).output().unwrap();
        // then it is refused naming the variable, and nothing is appended
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{var}={value:.20} {args:?}: {stderr}");
        assert_eq!(stderr.lines().next(), Some(*expected), "{var}={value:.20} {args:?}");
        assert_eq!(export(&ledger), before);
    }
    // The flag, given too, is what is used and named.
    let out = pledger(&ledger)
        .env("PLEDGER_SNAPSHOT_EVERY", "abc")
        .args(["head", "--snapshot-every", "5"])
        .output();
    assert!(out.unwrap().status.success());
    // A command that records nothing does not mind who is recording.
    let out = pledger(&ledger).env("PLEDGER_AUTHOR", " ").args(["status", "--as-of", "2026-03-01"]).output();
    assert!(out.unwrap().status.success());
}

#[test]
fn dry_run_prints_the_line_checks_it_and_appends_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("l.db");
    // Without a ledger, a dry run checks against an empty one and creates none.
    let out = pledger(&ledger).args(PAIRS[0].0).arg("--dry-run").output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8(out.stdout).unwrap(), format!("{}\n", PAIRS[0].1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("dry run: would append #1 announcement in-jp-2026"));
    assert!(!ledger.exists(), "a dry run created the ledger");
    refused(
        &ledger,
        &["record", "commitment", "x", "--announcement", "in-jp-2026", "--title", "X", "--dry-run"],
    );

    run_ok(&ledger, PAIRS[0].0);
    let before = export(&ledger);
    for (args, line) in &PAIRS[1..3] {
        let mut args = args.to_vec();
        args.push("--dry-run");
        assert_eq!(run_ok(&ledger, &args), format!("{line}\n"));
        assert_eq!(export(&ledger), before);
    }
    // The flag is accepted before the kind too, and a dry run refuses what
    // a real run would.
    refused(&ledger, &["record", "--dry-run", "progress", "nope", "--date", "2026-03-01", "--note", "x"]);
    let stderr = refused(&ledger, &["retract", "5", "--reason", "x", "--dry-run"]);
    assert!(stderr.contains("names seq 5, past this retraction's own seq 2: a retraction can only retract an earlier event (seq 1)"), "{stderr}");
    // A dry run's line imports as the event the command would record.
    let jsonl = dir.path().join("dry.jsonl");
    std::fs::write(
        &jsonl,
        run_ok(&ledger, &{
            let mut a = PAIRS[2].0.to_vec();
            a.push("--dry-run");
            a
        }),
    )
    .unwrap();
    run_ok(&ledger, &["import", jsonl.to_str().unwrap()]);
    assert_eq!(export(&ledger), format!("{before}{}\n", PAIRS[2].1));
}

#[test]
fn expect_head_refuses_when_the_head_moved() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("l.db");
    run_ok(&ledger, PAIRS[0].0);
    let seen = run_ok(&ledger, &["head"]).trim().to_owned();
    run_ok(&ledger, PAIRS[1].0);
    let now = run_ok(&ledger, &["head"]).trim().to_owned();
    let commitment = PAIRS[2].0;
    for dry in [true, false] {
        let mut args = commitment.to_vec();
        args.extend(["--expect-head", &seen]);
        if dry {
            args.push("--dry-run");
        }
        let stderr = refused(&ledger, &args);
        assert!(
            stderr.contains(&format!("the ledger's head moved: expected {seen}, but the head is now {now}")),
            "{stderr}"
        );
    }
    let mut args = commitment.to_vec();
    args.extend(["--expect-head", &now]);
    assert!(run_ok(&ledger, &args).starts_with("#3 "));
    let stderr = refused(&ledger, &["retract", "3", "--reason", "x", "--expect-head", &now]);
    assert!(stderr.contains("head moved"), "{stderr}");
}

#[test]
fn retract_takes_a_seq_or_a_uuid_and_names_what_it_voids() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("l.db");
    for (args, _) in &PAIRS[..3] {
        run_ok(&ledger, args);
    }
    let out = run_ok(&ledger, &["retract", "3", "--reason", "Wrong announcement"]);
    assert_eq!(
        mask_hash(out.trim()),
        "#4 ######## retraction of #3: Wrong announcement (was commitment jwg-minerals)"
    );
    let log = run_ok(&ledger, &["log", "--json"]);
    let second: serde_json::Value = serde_json::from_str(log.lines().nth(1).unwrap()).unwrap();
    let uuid = second["uuid"].as_str().unwrap().to_owned();
    let out = run_ok(&ledger, &["retract", &uuid, "--reason", "Duplicate"]);
    assert_eq!(
        mask_hash(out.trim()),
        format!("#5 ######## retraction of {uuid}: Duplicate (was announcement quad-2026)")
    );
    let status = run_ok(&ledger, &["status", "--as-of", "2026-02-01"]);
    assert!(status.contains("0 commitments"), "{status}");
}

#[test]
fn retracting_an_announcement_names_the_commitments_no_status_lists_any_more() {
    // Given the sample ledger: one announcement that gave seven commitments,
    // one of which is retracted on its own
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("l.db");
    let events =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("events/india-japan-strategic-dialogue-2026-01-16.jsonl");
    run_ok(&ledger, &["import", events.to_str().unwrap()]);
    run_ok(&ledger, &["retract", "2", "--reason", "Misread"]);
    for dry_run in [true, false] {
        // When the announcement is retracted (or would be, in a dry run)
        let mut args = vec!["retract", "1", "--reason", "Wrong report"];
        args.extend(dry_run.then_some("--dry-run"));
        let out = pledger(&ledger).args(&args).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        // Then a note names the six commitments still in force that no
        // status will list
        let err = String::from_utf8(out.stderr).unwrap();
        let note = "note: while announcement in-jp-strategic-dialogue-2026 is retracted, no status lists the 6 \
                    commitments it gave: ai-dialogue, critical-minerals-working-group, economic-security-dialogue, \
                    high-speed-rail-acceleration, shinkansen-technology, unicorn-antenna-technology-transfer\n";
        assert!(err.ends_with(note), "dry run {dry_run}: {err}");
    }
    let status = run_ok(&ledger, &["status", "--as-of", "2026-02-01"]);
    assert!(status.contains("0 commitments"), "{status}");
}

/// A commitment superseded by one that is then retracted, or announced only
/// later, stays superseded (the outcome is a fact of its own), and every
/// command that shows "superseded by X" says that X is not listed.
#[test]
fn superseded_by_a_commitment_not_listed_says_why() {
    // Given: c-old superseded on 1 February by c-new, which a second
    // announcement of 1 June gives.
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("l.db");
    let lines = [
        r#"{"type":"announcement","id":"ann","date":"2026-01-10","title":"T","parties":["A","B"]}"#,
        r#"{"type":"commitment","id":"c-old","announcement":"ann","title":"Old","deadline":"first half of 2026"}"#,
        r#"{"type":"announcement","id":"ann-2","date":"2026-06-01","title":"T2","parties":["A","B"]}"#,
        r#"{"type":"commitment","id":"c-new","announcement":"ann-2","title":"New"}"#,
        r#"{"type":"outcome","commitment":"c-old","date":"2026-02-01","outcome":"superseded","by":"c-new"}"#,
    ];
    let file = dir.path().join("events.jsonl");
    std::fs::write(&file, lines.join("\n")).unwrap();
    run_ok(&ledger, &["import", file.to_str().unwrap()]);
    let when_of_c_old = |as_of: &str| -> String {
        let table = run_ok(&ledger, &["status", "--as-of", as_of]);
        let row = table.lines().find(|l| l.starts_with("c-old ")).unwrap_or_else(|| panic!("{table}"));
        row.split("  ").map(str::trim).filter(|f| f.starts_with("superseded by")).collect()
    };

    // Then: before c-new is announced, the row says when it will be; after, nothing.
    assert_eq!(when_of_c_old("2026-03-01"), "superseded by c-new [announced 2026-06-01]");
    assert_eq!(when_of_c_old("2026-07-01"), "superseded by c-new");

    // When c-new is retracted (dry run first): retract names the outcome left standing.
    let dry = pledger(&ledger).args(["retract", "4", "--reason", "Wrong", "--dry-run"]).output().unwrap();
    let note = "note: #5 still says c-old was superseded by c-new, which this retraction would void; \
                retract #5 too if it was recorded in error";
    assert!(String::from_utf8_lossy(&dry.stderr).contains(note), "{dry:?}");
    let done = pledger(&ledger).args(["retract", "4", "--reason", "Wrong"]).output().unwrap();
    assert!(done.status.success(), "{done:?}");
    assert!(String::from_utf8_lossy(&done.stderr).contains(&note.replace("would void", "voids")), "{done:?}");

    // Then: status, show and status --json all say c-new is retracted.
    assert_eq!(when_of_c_old("2026-07-01"), "superseded by c-new [retracted]");
    let show = run_ok(&ledger, &["show", "c-old", "--as-of", "2026-07-01"]);
    assert!(show.contains("status as of 2026-07-01: superseded (superseded by c-new [retracted])"), "{show}");
    let json = pledger(&ledger).args(["status", "--as-of", "2026-07-01", "--json"]).output().unwrap();
    let rows: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(rows[0]["superseded_by"], "c-new", "the JSON row is unchanged");
    assert_eq!(
        String::from_utf8_lossy(&json.stderr).trim(),
        "note: c-old is superseded by c-new, which is retracted; the outcome that says so stands until it is \
         retracted too"
    );

    // When the outcome is retracted too, c-old is back to its own deadline.
    run_ok(&ledger, &["retract", "5", "--reason", "Recorded in error"]);
    let table = run_ok(&ledger, &["status", "--as-of", "2026-07-01"]);
    assert!(table.lines().any(|l| l.starts_with("c-old  overdue")), "{table}");
}

/// An event that would count in no status, because what it names is
/// retracted, or not until a date ahead, is appended with a note saying so.
#[test]
fn an_event_that_counts_nowhere_yet_comes_with_a_note() {
    // Given an announcement whose commitment c1 is retracted
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("l.db");
    run_ok(
        &ledger,
        &["record", "announcement", "a1", "--date", "2026-01-10", "--title", "A", "--party", "India"],
    );
    run_ok(&ledger, &["record", "commitment", "c1", "--announcement", "a1", "--title", "C1"]);
    run_ok(&ledger, &["record", "commitment", "c2", "--announcement", "a1", "--title", "C2"]);
    run_ok(&ledger, &["retract", "2", "--reason", "Not a commitment"]);
    let stderr_of = |args: &[&str]| {
        let out = pledger(&ledger).args(args).output().unwrap();
        assert!(out.status.success(), "{args:?}: {out:?}");
        String::from_utf8(out.stderr).unwrap()
    };

    // When an outcome of c1 is recorded, then the note says it shows nowhere
    let retracted =
        "note: commitment c1 is retracted (its event or its announcement's), so what this event says of it \
         shows in no status until that retraction is retracted";
    let met = ["record", "outcome", "c1", "--date", "2026-06-01", "--met"];
    assert_eq!(stderr_of(&[&met[..], &["--dry-run"]].concat()).lines().last(), Some(retracted));
    assert_eq!(stderr_of(&met).trim(), retracted);
    // and one of c2, which stands, comes with none
    assert_eq!(stderr_of(&["record", "outcome", "c2", "--date", "2026-06-01", "--met"]), "");

    // When a meeting is dated years ahead (a mistyped year), by record or import
    let ahead = ["record", "progress", "c2", "--date", "2999-05-20", "--note", "Talks"];
    let note = stderr_of(&ahead);
    assert!(note.starts_with("note: progress c2 is dated 2999-05-20, after today (20"), "{note}");
    assert!(note.trim_end().ends_with("): a status as of today does not count it"), "{note}");
    let file = dir.path().join("later.jsonl");
    std::fs::write(&file, r#"{"type":"meeting","id":"m","date":"2999-01-01","title":"M","fulfils":["c2"]}"#)
        .unwrap();
    let note = stderr_of(&["import", file.to_str().unwrap()]);
    assert!(
        note.starts_with(&format!("{}:1: note: meeting m is dated 2999-01-01", file.display())),
        "{note}"
    );
}

/// The recording commands never need a path other than `--ledger`: a
/// relative ledger in the working directory works as for other commands.
#[test]
fn the_default_ledger_is_pledger_db_in_the_working_directory() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("pledger"));
    cmd.current_dir(dir.path()).env_remove("PLEDGER_LEDGER").env("PLEDGER_AUTHOR", "test");
    cmd.args(PAIRS[0].0).assert().success();
    assert!(PathBuf::from(dir.path()).join("pledger.db").is_dir());
}

#[test]
fn an_event_given_again_after_its_retraction_is_not_taken_as_recorded() {
    use crate::support::{stderr, stdout, TestLedger};
    const PROGRESS: [&str; 7] = ["record", "progress", "c1", "--date", "2026-02-01", "--note", "n"];
    const PROGRESS_LINE: &str = r#"{"type":"progress","commitment":"c1","date":"2026-02-01","note":"n"}"#;
    const MEETING: [&str; 8] =
        ["record", "meeting", "m1", "--date", "2026-02-01", "--title", "t", "--fulfils=c1"];
    let voids = |seq: u64, by: u64| {
        format!(
            "already recorded as #{seq}, which retraction #{by} voids; not appended again: to restore it, retract #{by}"
        )
    };
    // (case, commands before, the command given again, its exit code, what it says)
    type Case<'a> = (&'a str, Vec<Vec<&'a str>>, Vec<&'a str>, i32, String);
    let cases: Vec<Case> = vec![
        (
            "recorded again",
            vec![PROGRESS.to_vec(), vec!["retract", "3", "--reason", "wrong"]],
            PROGRESS.to_vec(),
            2,
            format!("progress c1: {}", voids(3, 4)),
        ),
        (
            "recorded again, as a dry run",
            vec![PROGRESS.to_vec(), vec!["retract", "3", "--reason", "wrong"]],
            [&PROGRESS[..], &["--dry-run"]].concat(),
            2,
            format!("progress c1: {}", voids(3, 4)),
        ),
        (
            "a meeting, known by its id",
            vec![MEETING.to_vec(), vec!["retract", "3", "--reason", "wrong"]],
            MEETING.to_vec(),
            2,
            format!("meeting m1: {}", voids(3, 4)),
        ),
        (
            "given again by append",
            vec![PROGRESS.to_vec(), vec!["retract", "3", "--reason", "wrong"]],
            vec!["append", "--json", PROGRESS_LINE],
            2,
            format!("<--json>:1: {}", voids(3, 4)),
        ),
        (
            "re-imported, which stays safe",
            vec![PROGRESS.to_vec(), vec!["retract", "3", "--reason", "wrong"]],
            vec!["import", "again.jsonl"],
            0,
            format!("again.jsonl:1: note: {}", voids(3, 4)),
        ),
        (
            "retracted by the same import",
            vec![PROGRESS.to_vec()],
            vec!["import", "retract-and-again.jsonl"],
            0,
            format!("retract-and-again.jsonl:2: note: {}", voids(3, 4)),
        ),
        (
            "a retraction given again once it is itself retracted",
            vec![
                PROGRESS.to_vec(),
                vec!["retract", "3", "--reason", "wrong"],
                vec!["retract", "4", "--reason", "it was right"],
            ],
            vec!["retract", "3", "--reason", "wrong"],
            2,
            format!("retraction of #3: {}", voids(4, 5)),
        ),
        (
            "retracted twice",
            vec![
                PROGRESS.to_vec(),
                vec!["retract", "3", "--reason", "wrong"],
                vec!["retract", "3", "--reason", "wrong, again"],
            ],
            PROGRESS.to_vec(),
            2,
            "progress c1: already recorded as #3, which retractions #4 and #5 void; not appended again: to restore \
             it, retract each of them"
                .to_owned(),
        ),
        (
            "restored, then recorded again",
            vec![
                PROGRESS.to_vec(),
                vec!["retract", "3", "--reason", "wrong"],
                vec!["retract", "4", "--reason", "it was right"],
            ],
            PROGRESS.to_vec(),
            0,
            "already recorded: progress c1".to_owned(),
        ),
    ];
    for (case, before, again, code, says) in cases {
        // Given a ledger where an event was recorded (and retracted)
        let t = TestLedger::new();
        t.import("base.jsonl", include_str!("../data/base.jsonl"));
        t.write("again.jsonl", format!("{PROGRESS_LINE}\n"));
        t.write(
            "retract-and-again.jsonl",
            format!("{{\"type\":\"retraction\",\"retracts\":3,\"reason\":\"wrong\"}}\n{PROGRESS_LINE}\n"),
        );
        for args in &before {
            t.pledger().args(args).assert().success();
        }
        let head = t.head();
        // When the same event is given again
        let out = t.pledger().current_dir(t.dir()).args(&again).output().unwrap();
        // Then it is not appended, and the user is told how to restore it
        let (out_text, err_text) = (stdout(&out), stderr(&out));
        assert_eq!(out.status.code(), Some(code), "{case}: {out_text}{err_text}");
        assert!(
            out_text.contains(&says) || err_text.contains(&says),
            "{case}: expected {says:?} in\n{out_text}{err_text}"
        );
        let grew = case == "retracted by the same import";
        assert_eq!(t.head() != head, grew, "{case}: the head");
    }
}

#[test]
fn a_refused_recording_command_creates_no_ledger() {
    const HEAD_3: &str = "3:35aeacc9c8b0a56399a1b78baff887d9f96636fee4292227229ef76dd4e1c88c";
    const ANNOUNCEMENT: &str =
        r#"{"type":"announcement","id":"a","date":"2026-01-16","title":"t","parties":["India"]}"#;
    // (command, whether it appends)
    let commands: &[(&[&str], bool)] = &[
        (&["import", "good.jsonl"], true),
        // A line that decodes but names an unknown commitment, and one that does not decode
        (&["import", "unknown.jsonl"], false),
        (&["import", "good.jsonl", "broken.jsonl"], false),
        (&["record", "progress", "c1", "--date", "2026-01-01", "--note", "x"], false),
        (&["retract", "2", "--reason", "x"], false),
        (
            &["append", "--json", r#"{"type":"progress","commitment":"c1","date":"2026-01-01","note":"x"}"#],
            false,
        ),
        (&["record", "announcement", "a1", "--date", "2026-01-16", "--title", "t", "--party", "India"], true),
        (
            &[
                "record",
                "announcement",
                "a1",
                "--date",
                "2026-01-16",
                "--title",
                "t",
                "--party",
                "India",
                "--expect-head",
                HEAD_3,
            ],
            false,
        ),
        (&["append", "--expect-head", HEAD_3, "--json", ANNOUNCEMENT], false),
    ];
    for (args, appends) in commands {
        // Given a directory without the ledger that --ledger names
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("good.jsonl"), include_str!("../data/base.jsonl")).unwrap();
        std::fs::write(
            dir.path().join("unknown.jsonl"),
            r#"{"type":"progress","commitment":"c1","date":"2026-01-01","note":"x"}"#,
        )
        .unwrap();
        std::fs::write(dir.path().join("broken.jsonl"), "{\"type\":").unwrap();
        let ledger = dir.path().join("mistyped.db");
        // When a recording command runs against it
        let out = pledger(&ledger).current_dir(dir.path()).args(*args).output().unwrap();
        // Then a refused command creates nothing there, and one that appends creates the ledger
        assert_eq!(out.status.success(), *appends, "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(ledger.exists(), *appends, "{args:?}");
    }
}
