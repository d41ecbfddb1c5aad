//! `pledger show`: a commitment's story is exactly the events that concern
//! it, in chain order, each marked if a later retraction voided it.

use pledger::event::Event;
use pledger::history::History;
use pledger::ledger::{Ledger, DEFAULT_SNAPSHOT_EVERY};
use pledger::OpenMode;

use crate::support::{generated_lines, ledger_from, stamp, stdout, TestLedger};

/// A story as (seq, retracted) pairs, or none for an id with no commitment.
type Story<'a> = Option<&'a [(u64, bool)]>;

/// The story as (seq, retracted) pairs.
fn story(ledger: &Ledger, id: &str) -> Option<Vec<(u64, bool)>> {
    let history = History::of(ledger, id).unwrap()?;
    Some(history.entries.iter().map(|e| (e.envelope.seq, e.retracted)).collect())
}

/// Every kind of event that can concern a commitment, events that do not,
/// and one whose title is another commitment's id (so its bytes hold the id
/// as a JSON string without concerning it).
const FIRST: &[&str] = &[
    r#"{"type":"announcement","id":"summit","date":"2026-01-16","title":"Summit","parties":["India","Japan"]}"#, // 1
    r#"{"type":"announcement","id":"other","date":"2026-01-17","title":"Other","parties":["Japan"]}"#, // 2
    r#"{"type":"commitment","id":"esd","announcement":"summit","title":"Hold a dialogue","deadline":"first half of 2026"}"#, // 3
    r#"{"type":"commitment","id":"ai","announcement":"summit","title":"Launch an AI dialogue","deadline":"by the end of 2027"}"#, // 4
    r#"{"type":"commitment","id":"x","announcement":"other","title":"esd","deadline":"in 2026"}"#, // 5
    r#"{"type":"meeting","id":"m1","date":"2026-05-20","title":"Held","fulfils":["esd"],"progresses":["ai"]}"#, // 6
    r#"{"type":"deadline","commitment":"esd","date":"2026-03-01","deadline":"by the end of 2026","reason":"Review"}"#, // 7
    r#"{"type":"progress","commitment":"ai","date":"2026-03-02","note":"Agenda agreed"}"#, // 8
    r#"{"type":"retraction","retracts":7,"reason":"Wrong commitment"}"#,                   // 9
    r#"{"type":"retraction","retracts":8,"reason":"Duplicate"}"#,                          // 10
    r#"{"type":"retraction","retracts":9,"reason":"The revision was right"}"#,             // 11
    r#"{"type":"commitment","id":"new-esd","announcement":"summit","title":"Hold a bigger dialogue","deadline":"in 2027"}"#, // 12
    r#"{"type":"outcome","commitment":"esd","date":"2026-06-01","outcome":"superseded","by":"new-esd"}"#, // 13
];

/// Given the events above, then a retraction by uuid of the meeting and a
/// meeting about the other announcement's commitment.
const SECOND: &[&str] = &[
    r#"{"type":"retraction","retracts":"{uuid 6}","reason":"Not held after all"}"#, // 14
    r#"{"type":"meeting","id":"m2","date":"2026-06-02","title":"Held elsewhere","fulfils":["x"]}"#, // 15
];

#[test]
fn a_story_is_exactly_the_events_that_concern_the_commitment() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = ledger_from(dir.path(), &[FIRST, SECOND], DEFAULT_SNAPSHOT_EVERY);
    // (id, expected story as (seq, retracted)).
    let table: &[(&str, Story)] = &[
        // Its announcement, itself, the meeting (retracted by uuid), the
        // revision (its retraction was retracted), both retractions, the
        // supersession and the retraction of the meeting; not the other
        // announcement's commitment whose title is "esd".
        (
            "esd",
            Some(&[
                (1, false),
                (3, false),
                (6, true),
                (7, false),
                (9, true),
                (11, false),
                (13, false),
                (14, false),
            ]),
        ),
        ("ai", Some(&[(1, false), (4, false), (6, true), (8, true), (10, false), (14, false)])),
        // A replacement's story holds the supersession that names it.
        ("new-esd", Some(&[(1, false), (12, false), (13, false)])),
        ("x", Some(&[(2, false), (5, false), (15, false)])),
        // No commitment, or an announcement's id: no story.
        ("nothing", None),
        ("summit", None),
    ];
    let mut failures = Vec::new();
    for (id, want) in table {
        let got = story(&ledger, id);
        if got.as_deref() != *want {
            failures.push(format!("{id}: expected {want:?}, got {got:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn show_prints_the_story_and_the_status_of_one_commitment() {
    // Given the same ledger, imported through the binary ...
    let t = TestLedger::new();
    t.import("first.jsonl", &FIRST.join("\n"));
    let uuid = {
        let ledger = t.open();
        ledger.envelope(6).unwrap().unwrap().uuid.to_string()
    };
    t.import("second.jsonl", &SECOND.join("\n").replace("{uuid 6}", &uuid));
    // ... when one commitment is shown as JSON ...
    let out = t.pledger().args(["show", "esd", "--as-of", "2026-07-01", "--json"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    // ... then its entries are its story, and its status is its row in
    // `status`: superseded on 2026-06-01.
    let seqs: Vec<u64> =
        json["entries"].as_array().unwrap().iter().map(|e| e["seq"].as_u64().unwrap()).collect();
    assert_eq!(seqs, [1, 3, 6, 7, 9, 11, 13, 14]);
    assert_eq!(json["status"]["status"], "superseded");
    assert_eq!(json["status"]["superseded_by"], "new-esd");
    let status = t.pledger().args(["status", "--as-of", "2026-07-01", "--json"]).output().unwrap();
    let rows: serde_json::Value = serde_json::from_str(&stdout(&status)).unwrap();
    let row = rows.as_array().unwrap().iter().find(|r| r["id"] == "esd").unwrap();
    assert_eq!(&json["status"], row);
    assert_eq!(json["as_of"], "2026-07-01");
    assert_eq!(json["not_listed"], serde_json::Value::Null);
}

#[test]
fn show_json_says_what_the_text_marks_events_after_the_date_and_why_no_status() {
    // Given the same ledger ...
    let t = TestLedger::new();
    t.import("first.jsonl", &FIRST.join("\n"));
    // ... when a commitment is shown as of a date inside its story ...
    let out = t.pledger().args(["show", "esd", "--as-of", "2026-04-01", "--json"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    // ... then exactly the meeting and the outcome, dated after it, are marked.
    let after: Vec<(u64, bool)> = (json["entries"].as_array().unwrap().iter())
        .map(|e| (e["seq"].as_u64().unwrap(), e["after_as_of"].as_bool().unwrap()))
        .collect();
    assert_eq!(after, [(1, false), (3, false), (6, true), (7, false), (9, false), (11, false), (13, true)]);
    assert_eq!(json["as_of"], "2026-04-01");
    // And when it is shown as of a day before its announcement, the null
    // status comes with the reason the text gives.
    let out = t.pledger().args(["show", "esd", "--as-of", "2026-01-15", "--json"]).output().unwrap();
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(json["status"], serde_json::Value::Null);
    assert_eq!(json["not_listed"], "announced on 2026-01-16, after 2026-01-15");
}

/// Given a generated ledger large enough to be decoded in several batches,
/// when the stories of commitments spread over the chain are taken, then
/// each is what the same rule finds among all the events, decoded (so the
/// records `History::of` skips undecoded never concern the commitment).
#[test]
fn stories_match_the_same_rule_over_every_decoded_event() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = Ledger::open(&dir.path().join("l.db"), OpenMode::Create).unwrap();
    ledger.append(&generated_lines(15_000), None, &stamp()).unwrap();
    let all: Vec<_> = ledger.envelopes(1).map(Result::unwrap).collect();
    let commitments: Vec<(String, String)> = all
        .iter()
        .filter_map(|e| match &e.event {
            Event::Commitment(c) => Some((c.id.to_string(), c.announcement.to_string())),
            _ => None,
        })
        .collect();
    assert!(commitments.len() > 1000, "the mix has {} commitments", commitments.len());
    let seqs = |h: &History| h.entries.iter().map(|e| (e.envelope.seq, e.retracted)).collect::<Vec<_>>();
    let mut checked = 0;
    let mut retracted = 0;
    for (id, announcement) in commitments.iter().step_by(commitments.len() / 40).chain(commitments.last()) {
        let everything = History::from_events(id, announcement, all.iter().cloned().map(Ok)).unwrap();
        let story = History::of(&ledger, id).unwrap().unwrap();
        assert_eq!(seqs(&story), seqs(&everything), "{id}");
        assert!(story.entries.len() >= 2, "{id}: an announcement and a commitment at least");
        checked += 1;
        retracted += story.entries.iter().filter(|e| e.retracted).count();
    }
    assert!(checked >= 40);
    assert!(retracted > 0, "no retracted entry among the stories checked");
}

/// Given a ledger of several decoding batches, when it is scanned for a few
/// records only, then each is found, however many batches in between hold
/// none (a batch with nothing kept is not the end of the chain).
#[test]
fn a_scan_for_a_few_records_finds_them_across_empty_batches() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = Ledger::open(&dir.path().join("l.db"), OpenMode::Create).unwrap();
    ledger.append(&generated_lines(30_000), None, &stamp()).unwrap();
    let wanted = [1, 2, 14_999, 29_999, 30_000];
    let got: Vec<u64> =
        ledger.envelopes_where(1, |r| wanted.contains(&r.seq())).map(|e| e.unwrap().seq).collect();
    assert_eq!(got, wanted);
    let from_the_middle: Vec<u64> =
        ledger.envelopes_where(15_000, |r| wanted.contains(&r.seq())).map(|e| e.unwrap().seq).collect();
    assert_eq!(from_the_middle, [29_999, 30_000]);
}

/// The events above through the binary, then, recorded with no name given
/// (`PLEDGER_AUTHOR` empty): a later announcement and its commitment, and
/// retractions of commitment `ai` and of announcement `other`.
fn shown_ledger() -> TestLedger {
    let t = TestLedger::new();
    t.import("first.jsonl", &FIRST.join("\n"));
    let later = [
        r#"{"type":"announcement","id":"late","date":"2026-09-01","title":"Later","parties":["India"]}"#, // 14
        r#"{"type":"commitment","id":"late-c","announcement":"late","title":"Do it later"}"#, // 15
        r#"{"type":"retraction","retracts":4,"reason":"Never given"}"#,                       // 16
        r#"{"type":"retraction","retracts":2,"reason":"Not an announcement"}"#,               // 17
    ];
    let file = t.write("later.jsonl", later.join("\n"));
    t.pledger().env("PLEDGER_AUTHOR", "").arg("import").arg(file).assert().success();
    t
}

fn run_ok(t: &TestLedger, args: &[&str]) -> String {
    let out = t.pledger().args(args).output().unwrap();
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    stdout(&out)
}

#[test]
fn log_marks_the_events_that_retractions_void_as_show_does() {
    // Given a ledger where retraction 10 voids progress 8, 11 voids retraction 9, 16 voids commitment 4
    let t = shown_ledger();
    // When it is listed as text and as JSON
    let text = run_ok(&t, &["log"]);
    let json = run_ok(&t, &["log", "--json"]);
    // Then exactly the voided events are marked, in both
    let voided = [4, 2, 8, 9];
    let lines: Vec<&str> = text.lines().collect();
    let envelopes: Vec<serde_json::Value> = json.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 17);
    for seq in 1..=17u64 {
        let marked = voided.contains(&seq);
        let line = lines[seq as usize - 1];
        assert_eq!(line.ends_with("  [retracted]"), marked, "seq {seq}: {line}");
        assert_eq!(envelopes[seq as usize - 1]["retracted"], marked, "seq {seq}");
        assert_eq!(envelopes[seq as usize - 1]["seq"], seq);
    }
}

#[test]
fn show_as_of_a_date_marks_the_events_dated_after_it() {
    // Given commitment esd's story: the announcement (2026-01-16), the commitment (no date),
    // a meeting (2026-05-20), a revision (2026-03-01), two retractions (no date), a supersession (2026-06-01)
    let t = shown_ledger();
    // (as of, the seqs whose lines are marked as after it)
    let cases: &[(&str, &[u64])] = &[
        ("2026-01-01", &[1, 6, 7, 13]),
        ("2026-04-01", &[6, 13]),
        ("2026-05-20", &[13]),
        ("2026-07-01", &[]),
    ];
    for (as_of, after) in cases {
        // When it is shown as of that date
        let out = run_ok(&t, &["show", "esd", "--as-of", as_of]);
        // Then the lines of events dated after it, and only they, say so
        let mark = format!("  [after {as_of}]");
        for line in out.lines().filter(|l| l.starts_with('#')) {
            let seq: u64 = line[1..].split_whitespace().next().unwrap().parse().unwrap();
            assert_eq!(line.ends_with(&mark), after.contains(&seq), "as of {as_of}, seq {seq}: {line}");
        }
    }
}

#[test]
fn show_reads_each_line_once_without_a_word_said_twice() {
    // Given the sample ledger and its later events (one revises a deadline)
    let t = TestLedger::new();
    let events = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("events");
    for file in ["india-japan-strategic-dialogue-2026-01-16.jsonl", "examples-of-later-events.jsonl"] {
        t.pledger().arg("import").arg(events.join(file)).assert().success();
    }
    // When a revised commitment and one without a deadline are shown
    let revised = run_ok(&t, &["show", "economic-security-dialogue", "--as-of", "2026-12-01"]);
    let undated = run_ok(&t, &["show", "ai-dialogue", "--as-of", "2026-12-01"]);
    // Then the revision's line names its type once, and a missing deadline
    // is said in words, not as a table's "-"
    assert!(revised.contains("  deadline     revised to \"by the end of 2026\": "), "{revised}");
    assert!(!revised.contains("deadline revised"), "{revised}");
    assert!(
        undated.trim_end().ends_with("status as of 2026-12-01: met (met 2026-01-16); no deadline given"),
        "{undated}"
    );
}

#[test]
fn show_says_why_a_commitment_has_no_status() {
    let t = shown_ledger();
    // (id, as of, the reason given)
    let cases = [
        ("ai", "2026-07-01", "not listed (the commitment #4 was retracted by #16)"),
        ("x", "2026-07-01", "not listed (its announcement other #2 was retracted by #17)"),
        ("late-c", "2026-07-01", "not listed (announced on 2026-09-01, after 2026-07-01)"),
    ];
    for (id, as_of, reason) in cases {
        // When a commitment without a status as of that date is shown
        let out = run_ok(&t, &["show", id, "--as-of", as_of]);
        // Then its last line says which reason it is
        let expected = format!("status as of {as_of}: {reason}");
        assert_eq!(out.lines().last(), Some(expected.as_str()), "{id}: {out}");
    }
}

#[test]
fn show_of_an_announcement_or_meeting_id_says_what_the_id_is() {
    let t = shown_ledger();
    // (id, the error)
    let cases = [
        ("summit", "error: 'summit' is an announcement, and show takes a commitment id (its commitments: ai (retracted), esd, new-esd)"),
        ("late", "error: 'late' is an announcement, and show takes a commitment id (its commitments: late-c)"),
        ("m1", "error: 'm1' is a meeting, and show takes a commitment id (it concerns esd, ai)"),
        ("nothing", "error: no commitment 'nothing' in the ledger (see `pledger status` for the ids)"),
    ];
    for (id, says) in cases {
        // When it is given to show
        let out = t.pledger().args(["show", id]).output().unwrap();
        // Then it is refused as input, saying what the id is
        assert_eq!(out.status.code(), Some(2), "{id}");
        assert_eq!(String::from_utf8_lossy(&out.stderr).trim_end(), says, "{id}");
    }
}

#[test]
fn show_does_not_name_a_recorder_that_was_not_given() {
    // Given commitment ai, recorded by "tester" and retracted with no name given
    let t = shown_ledger();
    // When it is shown
    let out = run_ok(&t, &["show", "ai"]);
    // Then the recorder is named where given and said to be missing where not
    let recorded: Vec<&str> = out.lines().filter(|l| l.trim_start().starts_with("recorded ")).collect();
    assert!(recorded[0].contains(" by tester, hash "), "{out}");
    let retraction = recorded.last().unwrap();
    assert!(retraction.contains(" UTC (recorder not given), hash "), "{out}");
    assert!(!out.contains("by unknown"), "{out}");
}

#[test]
fn show_names_the_commitment_an_outcome_ends_and_what_a_meeting_does() {
    // Given a meeting that fulfils one commitment and progresses another,
    // and a supersession with a note ...
    let t = TestLedger::new();
    let mut events = FIRST.to_vec();
    events[12] = r#"{"type":"outcome","commitment":"esd","date":"2026-06-01","outcome":"superseded","by":"new-esd","note":"Merged"}"#;
    t.import("first.jsonl", &events.join("\n"));
    let show = |id: &str| stdout(&t.pledger().args(["show", id, "--as-of", "2026-07-01"]).output().unwrap());
    // ... when the replacement's story is shown, then the supersession
    // names the commitment it ended, with its note ...
    let story = show("new-esd");
    assert!(story.contains("outcome      esd superseded by new-esd: Merged"), "{story}");
    // ... and the meeting says which commitment it fulfilled and which it
    // only progressed, in either story.
    let line = "m1: Held (fulfils esd; progresses ai)";
    assert!(show("ai").contains(line) && show("esd").contains(line), "{}", show("ai"));
}

#[test]
fn show_at_a_seq_tells_the_story_as_the_ledger_told_it_then() {
    // given a commitment `c1` given at seq 2, met at seq 3 and retracted at
    // seq 4
    let t = TestLedger::new();
    let lines = [
        r#"{"type":"announcement","id":"s","date":"2026-01-16","title":"Summit","parties":["India"]}"#,
        r#"{"type":"commitment","id":"c1","announcement":"s","title":"Hold a dialogue","deadline":"first half of 2026"}"#,
        r#"{"type":"outcome","commitment":"c1","date":"2026-03-01","outcome":"met"}"#,
        r#"{"type":"retraction","retracts":2,"reason":"Misreported"}"#,
    ];
    t.write("events.jsonl", lines.join("\n") + "\n");
    t.pledger().args(["import", "events.jsonl"]).assert().success();
    let show = |at: &[&str]| {
        let out = t.pledger().args(["show", "c1", "--as-of", "2026-07-01"]).args(at).output().unwrap();
        (out.status.code(), stdout(&out), crate::support::stderr(&out))
    };
    // when it is shown at seq 3, then its story ends there, met, and the
    // status line says where the ledger was read to
    let (code, out, _) = show(&["--at", "3"]);
    assert_eq!(code, Some(0));
    assert!(out.contains("c1: Hold a dialogue (deadline") && out.contains("c1 met"), "{out}");
    assert!(!out.contains("retracts") && !out.contains("[retracted]"), "{out}");
    assert!(out.contains("status as of 2026-07-01, at seq 3: met"), "{out}");
    // when at seq 4 (the head) or without --at, the retraction is in it,
    // and the commitment is not listed
    for at in [&["--at", "4"][..], &[]] {
        let (code, out, _) = show(at);
        assert_eq!(code, Some(0));
        assert!(out.contains("[retracted]") && out.contains("retracts #2"), "{out}");
        assert!(out.contains(": not listed (the commitment #2 was retracted by #4)"), "{out}");
    }
    // when at seq 1, before it was given, it is refused, naming where it is
    let (code, out, err) = show(&["--at", "1"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(out.is_empty());
    assert!(err.contains("no commitment 'c1' at seq 1: it is given later, at seq 2"), "{err}");
}
