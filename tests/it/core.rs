//! The ledger core as a user meets it, through the real binary: import and
//! verify, all-or-nothing imports, re-import, stale heads, tampering,
//! saved heads, a ledger in use, and export then import.

use std::path::PathBuf;

use pledger::chain::HEADER_LEN;
use pledger::Head;

use crate::support::{
    announcement, digest, empty_head, sample, sample_len, stderr, stdout, two_ledgers_with_the_sample,
    TestLedger,
};

/// Changes the stored records through the store's intruder API, as someone
/// with write access to the files could, then closes the ledger.
pub fn tamper(t: &TestLedger, change: impl FnOnce(&mut Vec<Vec<u8>>)) {
    let ledger = t.open();
    let intruder = ledger.store().intruder();
    let mut records = intruder.records();
    change(&mut records);
    intruder.replace_records(&records);
}

/// The `SEQ:HASH` of a stored record.
fn head_of(record: &[u8]) -> Head {
    let (raw, _) = pledger::chain::RawRecord::split(record).expect("a framed record");
    Head { seq: raw.seq(), hash: raw.stored_hash() }
}

#[test]
fn an_imported_file_verifies_up_to_the_printed_head() {
    // given a valid file of ten events
    let t = TestLedger::new();
    let file = t.write("events.jsonl", sample(4));
    // when it is imported
    let out = t.pledger().arg("import").arg(&file).output().unwrap();
    // then all ten are new, and verify vouches for the chain up to that head
    assert!(out.status.success(), "{}", stderr(&out));
    let head = t.head();
    assert!(head.starts_with("10:"), "{head}");
    assert_eq!(stdout(&out), format!("10 new, 0 already recorded; head {head}\n"));
    t.pledger().arg("verify").assert().success().stdout(format!("ok: 10 events, head {head}\n"));
}

#[test]
fn three_bad_lines_are_all_reported_at_their_lines_and_nothing_is_appended() {
    // given a ledger with events, and a file whose lines 2, 4 and 6 are wrong
    let t = TestLedger::new();
    t.import("first.jsonl", &sample(2));
    let before = t.head();
    let bad = [
        announcement("second-statement"),
        r#"{"type":"commitment","id":"c9","announcement":"second-statement","title":"x""#.to_owned(),
        r#"{"type":"commitment","id":"c10","announcement":"second-statement","title":"Ten"}"#.to_owned(),
        r#"{"type":"progress","commitment":"c10","date":"2026-03-01","note":"n","nte":"typo"}"#.to_owned(),
        r#"{"type":"progress","commitment":"c10","date":"2026-03-01","note":"fine"}"#.to_owned(),
        r#"{"type":"progress","commitment":"c99","date":"2026-03-01","note":"who?"}"#.to_owned(),
    ];
    t.write("bad.jsonl", bad.join("\n") + "\n");
    // when it is imported
    let out = t.pledger().args(["import", "bad.jsonl"]).output().unwrap();
    // then each of the three is reported as FILE:LINE, and the head has not moved
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 4, "{err}");
    assert!(lines[0].starts_with("bad.jsonl:2: expected a JSON object, but the JSON is malformed"), "{err}");
    assert!(lines[1].starts_with("bad.jsonl:4: progress: unknown field `nte`"), "{err}");
    assert_eq!(lines[2], "bad.jsonl:6: unknown commitment 'c99'");
    assert_eq!(lines[3], "error: 3 problems found; nothing was appended");
    assert!(stdout(&out).is_empty());
    assert_eq!(t.head(), before);
    let log = stdout(&t.pledger().arg("log").output().unwrap());
    assert!(!log.contains("second-statement"), "{log}");
}

#[test]
fn a_file_of_the_wrong_kind_prints_the_first_problems_and_counts_the_rest() {
    // given a file of 250 lines that are not JSON (a CSV, say)
    let t = TestLedger::new();
    let csv: String = (1..=250).map(|i| format!("{i},Hold a dialogue,2026\n")).collect();
    t.write("pledges.csv", csv);
    for (args, shown) in [(vec![], 100), (vec!["--max-errors", "3"], 3), (vec!["--max-errors", "0"], 250)] {
        // when it is imported, with and without --max-errors
        let out = t.pledger().arg("import").args(&args).arg("pledges.csv").output().unwrap();
        // then the first problems are printed at their lines, then how many
        // more there are, then the count of all of them
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = stderr(&out);
        let lines: Vec<&str> = err.lines().collect();
        for (i, line) in lines.iter().take(shown).enumerate() {
            assert!(line.starts_with(&format!("pledges.csv:{}: ", i + 1)), "{args:?}: {line}");
        }
        let more = match 250 - shown {
            0 => vec![],
            n => vec![format!("… and {n} more problems (`--max-errors 0` prints them all)")],
        };
        let tail: Vec<String> =
            more.into_iter().chain(["error: 250 problems found; nothing was appended".into()]).collect();
        assert_eq!(lines[shown..], tail, "{args:?}");
    }
}

#[test]
fn a_bad_file_on_an_empty_ledger_leaves_it_empty() {
    // given an empty ledger, and a file with one good line and one bad one
    let t = TestLedger::new();
    t.pledger().arg("init").assert().success();
    t.write("bad.jsonl", format!("{}\n{{\"type\":\"meeting\"}}\n", announcement("a")));
    // when it is imported
    let out = t.pledger().args(["import", "bad.jsonl"]).output().unwrap();
    // then it is refused and the ledger holds no event
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).starts_with("bad.jsonl:2: meeting: missing field `id`"), "{}", stderr(&out));
    assert_eq!(t.head(), empty_head());
}

#[test]
fn reading_a_large_import_back_leaves_the_stored_bytes_unchanged() {
    // given a ledger after a large import (its records go to segments), opened
    // once: sled pads its log to a whole segment on the first open
    let t = TestLedger::new();
    t.import("events.jsonl", &crate::generate::text(2000));
    t.pledger().arg("head").assert().success();
    let before = std::fs::read(t.path().join("db")).unwrap();
    // when every event's id or content is looked up (a re-import), and a
    // commitment is shown and the chain verified
    let out = t.pledger().args(["import", "events.jsonl"]).output().unwrap();
    assert!(stdout(&out).starts_with("0 new, 2000 already recorded"), "{}{}", stdout(&out), stderr(&out));
    t.pledger().args(["show", "pledge-1"]).assert().success();
    t.pledger().arg("verify").assert().success();
    // then the store's data file is byte for byte what it was: reading does
    // not leave sled work to do that rewrites it
    assert!(std::fs::read(t.path().join("db")).unwrap() == before, "reading changed the store's data file");
}

#[test]
fn reimporting_appends_nothing_and_new_lines_are_added() {
    // given a ledger into which a file was imported
    let t = TestLedger::new();
    let text = sample(3);
    t.import("events.jsonl", &text);
    let head = t.head();
    let n = sample_len(3);
    // when the same file is imported again
    let out = t.pledger().args(["import", "events.jsonl"]).output().unwrap();
    // then nothing is new and the head is unchanged
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), format!("0 new, {n} already recorded; head {head}\n"));
    assert_eq!(t.head(), head);
    // when two lines are added to the file and it is imported again
    let more = format!(
        "{text}{}\n{}\n",
        announcement("later-statement"),
        r#"{"type":"progress","commitment":"c3","date":"2026-04-01","note":"Draft agreed"}"#
    );
    t.write("events.jsonl", more);
    let out = t.pledger().args(["import", "events.jsonl"]).output().unwrap();
    // then only those two are appended
    assert!(
        stdout(&out).starts_with(&format!("2 new, {n} already recorded; head {}:", n + 2)),
        "{}",
        stdout(&out)
    );
    t.pledger().arg("verify").assert().success();
}

#[test]
fn a_large_file_with_repeated_lines_appends_each_event_once_in_order() {
    // given a generated file of 20,000 events (large enough to be checked
    // in blocks on all cores) in which every seventh line is repeated
    let t = TestLedger::new();
    let original = crate::generate::text(20_000);
    let mut repeated = String::new();
    let mut repeats = 0;
    for (i, line) in original.lines().enumerate() {
        repeated.push_str(line);
        repeated.push('\n');
        if i % 7 == 0 {
            repeated.push_str(line);
            repeated.push('\n');
            repeats += 1;
        }
    }
    let file = t.write("repeated.jsonl", &repeated);
    // when it is imported into an empty ledger
    let out = t.pledger().arg("import").arg(&file).output().unwrap();
    // then each event is appended once, the repeats are counted as already
    // recorded, the chain verifies, and it holds the events of the file
    // without its repeats, in order
    assert!(out.status.success(), "{}", stderr(&out));
    let expected = format!("20000 new, {repeats} already recorded; head 20000:");
    assert!(stdout(&out).starts_with(&expected), "{}", stdout(&out));
    t.pledger().arg("verify").assert().success();
    let plain = TestLedger::new();
    plain.import("original.jsonl", &original);
    let export = |t: &TestLedger| stdout(&t.pledger().arg("export").output().unwrap());
    assert!(export(&t) == export(&plain), "the events differ from those of the file without its repeats");
}

#[test]
fn an_existing_id_with_different_content_is_an_error() {
    // given a ledger holding commitment c1
    let t = TestLedger::new();
    t.import("events.jsonl", &sample(2));
    let head = t.head();
    // when a file gives c1 again with another title
    let changed = r#"{"type":"commitment","id":"c1","announcement":"in-jp-2026","title":"Another title","deadline":"first half of 2026","tags":["t1"]}"#;
    t.write("changed.jsonl", format!("{}\n{changed}\n", announcement("fresh")));
    let out = t.pledger().args(["import", "changed.jsonl"]).output().unwrap();
    // then it is refused at its line, saying how to change it, and nothing is appended
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.starts_with(
            "changed.jsonl:2: commitment 'c1' is already recorded (seq 2) with different content;"
        ),
        "{err}"
    );
    assert!(err.contains("append a `deadline` event"), "{err}");
    assert_eq!(t.head(), head);
}

#[test]
fn files_named_in_the_wrong_order_are_refused_naming_the_file_to_name_first() {
    // Given the repository's two event files, which a shell's `events/*.jsonl`
    // names later events first (the names sort that way)
    let t = TestLedger::new();
    let events = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("events");
    let first = events.join("india-japan-strategic-dialogue-2026-01-16.jsonl");
    let later = events.join("examples-of-later-events.jsonl");
    // When they are imported in that order
    let out = t.pledger().arg("import").arg(&later).arg(&first).output().unwrap();
    // Then each line that names a commitment of the other file says where it
    // is given and what to do, and nothing is appended
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    let expected = format!(
        "{}:1: unknown commitment 'private-sector-minerals-energy-dialogue': it is given later, at {}:2; files \
         are imported in the order named, so name that one first",
        later.display(),
        first.display()
    );
    assert!(err.starts_with(&expected), "{err}");
    assert!(!t.path().exists());
    // And named the other way round, they import
    t.pledger().arg("import").arg(&first).arg(&later).assert().success();
}

#[test]
fn a_line_that_repeats_an_earlier_line_of_its_file_is_recorded_once_with_a_note() {
    // Given a file in which a commitment and a progress note are each
    // pasted twice, and a second file that repeats the first
    let t = TestLedger::new();
    let lines = [
        announcement("a1"),
        r#"{"type":"commitment","id":"c1","announcement":"a1","title":"Hold talks"}"#.to_owned(),
        r#"{"type":"progress","commitment":"c1","date":"2026-02-01","note":"Talks began"}"#.to_owned(),
        r#"{"type":"progress","commitment":"c1","date":"2026-02-01","note":"Talks began"}"#.to_owned(),
        r#"{"type":"commitment","id":"c1","announcement":"a1","title":"Hold talks"}"#.to_owned(),
    ];
    let first = t.write("a.jsonl", lines.join("\n"));
    let second = t.write("b.jsonl", lines.join("\n"));
    // When both files are imported
    let out = t.pledger().arg("import").arg(&first).arg(&second).output().unwrap();
    // Then each event is recorded once, and a note places each repeat in its
    // own file; the second file's lines, recorded by the first, need none
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).starts_with("3 new, 7 already recorded"), "{}", stdout(&out));
    let name = first.display();
    assert_eq!(
        stderr(&out),
        format!(
            "{name}:4: note: progress c1 repeats line 3, so it is recorded once\n\
             {name}:5: note: commitment c1 repeats line 2, so it is recorded once\n"
        )
    );
}

#[test]
fn an_imports_notes_of_every_kind_come_in_the_order_of_their_lines() {
    // Given a file whose lines draw notes of three kinds, interleaved: an
    // event dated after today, deadlines read with a note, and a repeat
    let t = TestLedger::new();
    let lines = [
        r#"{"type":"announcement","id":"a","date":"2099-06-01","title":"A","parties":["India"]}"#,
        r#"{"type":"commitment","id":"c","announcement":"a","title":"Talk","deadline":"by mid-2099"}"#,
        r#"{"type":"progress","commitment":"c","date":"2099-07-01","note":"Talks began"}"#,
        r#"{"type":"progress","commitment":"c","date":"2099-07-01","note":"Talks began"}"#,
        r#"{"type":"commitment","id":"d","announcement":"a","title":"Talk more","deadline":"by mid-2100"}"#,
    ];
    let file = t.write("notes.jsonl", lines.join("\n"));
    // When it is imported
    let out = t.pledger().arg("import").arg(&file).output().unwrap();
    // Then the notes are placed at lines 1 to 5, in that order
    assert!(out.status.success(), "{}", stderr(&out));
    let name = format!("{}:", file.display());
    let err = stderr(&out);
    let placed: Vec<&str> =
        err.lines().map(|l| l.strip_prefix(&name).and_then(|l| l.split(':').next()).unwrap_or(l)).collect();
    assert_eq!(placed, ["1", "2", "3", "4", "5"], "{err}");
}

#[test]
fn an_id_given_twice_in_one_import_is_placed_at_both_lines() {
    // given two files that give commitment c2, each under its own announcement
    let t = TestLedger::new();
    let c2 = |announcement: &str| {
        format!(
            r#"{{"type":"commitment","id":"c2","announcement":"{announcement}","title":"Hold a dialogue"}}"#
        )
    };
    t.write("a.jsonl", format!("{}\n{}\n", announcement("in-jp-2026"), c2("in-jp-2026")));
    t.write("b.jsonl", format!("{}\n{}\n", announcement("other"), c2("other")));
    // when both are imported, in either order
    for (first, second) in [("a.jsonl", "b.jsonl"), ("b.jsonl", "a.jsonl")] {
        let out = t.pledger().args(["import", first, second]).output().unwrap();
        // then the second is refused at its line, naming the first's file and line
        assert_eq!(out.status.code(), Some(2));
        let expected =
            format!("{second}:2: commitment 'c2' is already given at {first}:2 with different content");
        assert!(stderr(&out).starts_with(&expected), "{}", stderr(&out));
    }
    assert!(!t.path().exists() || t.head() == crate::support::empty_head());
}

#[test]
fn append_with_a_stale_head_is_a_conflict_and_leaves_the_chain_intact() {
    // given a ledger whose head a reader saved, after which someone appended
    let t = TestLedger::new();
    t.import("events.jsonl", &sample(2));
    let stale = t.head();
    t.pledger().args(["append", "--json", &announcement("first-writer")]).assert().success();
    let current = t.head();
    // when another writer appends expecting the saved head
    let out = t
        .pledger()
        .args(["append", "--expect-head", &stale, "--json", &announcement("second-writer")])
        .output()
        .unwrap();
    // then it is refused as a conflict naming the current head
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains(&format!("expected {stale}")), "{err}");
    assert!(err.contains(&format!("the head is now {current}")), "{err}");
    // and the chain is intact and unchanged
    let n = sample_len(2) + 1;
    t.pledger().arg("verify").assert().success().stdout(format!("ok: {n} events, head {current}\n"));
    let log = stdout(&t.pledger().arg("log").output().unwrap());
    assert!(log.contains("first-writer") && !log.contains("second-writer"), "{log}");
}

#[test]
fn an_expected_head_that_is_not_the_ledgers_is_not_called_moved() {
    // given a ledger at some head
    let t = TestLedger::new();
    t.import("events.jsonl", &sample(2));
    let head = t.head();
    let n = sample_len(2);
    let zeros = "0".repeat(64);
    let cases = [
        // the right seq with another hash: nothing moved
        (
            format!("{n}:{zeros}"),
            format!("the expected head {n}:{zeros} is not this ledger's head at seq {n}, which is {head}"),
        ),
        // a seq the ledger has not reached
        (
            format!("{}:{zeros}", n + 5),
            format!("the expected head {}:{zeros} is past this ledger's head, {head}", n + 5),
        ),
        // an earlier seq: the head moved on since
        (
            format!("1:{zeros}"),
            format!("the ledger's head moved: expected 1:{zeros}, but the head is now {head}"),
        ),
    ];
    for (expected_head, message) in cases {
        // when an append expects that head
        let out = t
            .pledger()
            .args(["append", "--expect-head", &expected_head, "--json", &announcement("next")])
            .output()
            .unwrap();
        // then it is refused saying how the heads differ, and nothing is appended
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        assert_eq!(stderr(&out), format!("error: {message}\n"));
        assert_eq!(t.head(), head);
    }
}

#[test]
fn append_with_the_current_head_succeeds() {
    // given a ledger and its current head
    let t = TestLedger::new();
    t.import("events.jsonl", &sample(2));
    let head = t.head();
    // when an append expects that head
    let out = t
        .pledger()
        .args(["append", "--expect-head", &head, "--json", &announcement("next")])
        .output()
        .unwrap();
    // then it lands as the next seq
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).starts_with(&format!("#{} ", sample_len(2) + 1)), "{}", stdout(&out));
}

#[test]
fn changing_any_byte_of_a_stored_event_fails_verify_at_exactly_that_seq() {
    let n = sample_len(8);
    for seq in [1, n / 2, n] {
        // offsets into the record: the seq field, prev, the body, the stored hash
        for (what, offset) in [("seq", 8), ("prev", 20), ("body", HEADER_LEN + 12), ("hash", usize::MAX)] {
            // given an imported ledger
            let t = TestLedger::new();
            t.import("events.jsonl", &sample(8));
            // when an intruder flips one byte of event `seq` in the store
            tamper(&t, |records| {
                let record = &mut records[seq as usize - 1];
                let at = offset.min(record.len() - 1);
                record[at] ^= 0x20;
            });
            // then verify fails naming that seq
            let out = t.pledger().arg("verify").output().unwrap();
            let err = stderr(&out);
            assert_eq!(out.status.code(), Some(1), "{what} of seq {seq}: {}{err}", stdout(&out));
            assert!(
                err.starts_with(&format!("verification failed at seq {seq}: ")),
                "{what} of seq {seq}: {err}"
            );
            assert!(stdout(&out).is_empty());
        }
    }
}

#[test]
fn verify_with_a_saved_head_says_whether_it_is_in_the_chain_and_why_not() {
    // given a head saved after the first import, and an event appended since
    let t = TestLedger::new();
    t.import("events.jsonl", &sample(3));
    let saved = t.head();
    t.pledger().args(["append", "--json", &announcement("later")]).assert().success();
    let current = t.head();
    let (seq, n) = (sample_len(3), sample_len(3) + 1);
    let hash = &saved[saved.find(':').unwrap() + 1..];
    let last = saved.chars().last().unwrap();
    let forged = format!("{}{}", &saved[..saved.len() - 1], if last == '0' { '1' } else { '0' });
    let empty = crate::support::empty_head();
    // (the head given, the exit code, what standard output or error must hold)
    let cases: Vec<(String, i32, String)> = vec![
        (saved.clone(), 0, format!("ok: {n} events, head {current}\nok: the saved head {saved} is in this chain\n")),
        (empty.clone(), 0, format!("ok: the saved head {empty} is an empty ledger's, which every chain starts from")),
        (
            forged.clone(),
            1,
            format!(
                "verification failed at seq {seq}: the saved head is {forged}, but this ledger's event {seq} hashes \
                 to {hash}: its history up to there was rewritten, or the saved head is from another ledger"
            ),
        ),
        (
            format!("99:{hash}"),
            1,
            format!(
                "verification failed at seq {}: the ledger ends at seq {n}, before the saved head's seq 99 \
                 (the saved head is 99:{hash}): this is an older copy of the ledger, its history was cut short, \
                 or the saved head is from another ledger",
                n + 1
            ),
        ),
        (format!("0:{hash}"), 2, "seqs start at 1: no event has seq 0".into()),
    ];
    for (head, code, says) in cases {
        // when verified against it
        let out = t.pledger().args(["verify", "--head", &head]).output().unwrap();
        // then the exit code and the message say whether and how it is in the chain
        assert_eq!(out.status.code(), Some(code), "{head}: {}{}", stdout(&out), stderr(&out));
        let text = if code == 0 { stdout(&out) } else { stderr(&out) };
        assert!(text.contains(&says), "{head}: expected {says:?} in {text}");
    }
}

#[test]
fn a_truncated_tail_is_named_by_the_index_it_leaves_and_by_the_saved_head() {
    // given a ledger whose head a reader saved
    let t = TestLedger::new();
    t.import("events.jsonl", &sample(3));
    let saved = t.head();
    let n = sample_len(3) as usize;
    // when an intruder removes the last two events and rewrites the head to match
    let ledger = t.open();
    let intruder = ledger.store().intruder();
    let mut records = intruder.records();
    records.truncate(n - 2);
    intruder.replace_records(&records);
    let new_head = head_of(records.last().unwrap());
    intruder.set_head(new_head);
    drop(ledger);
    // then plain verify finds the index naming the removed events, past the head
    let out = t.pledger().arg("verify").output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    for seq in [n - 1, n] {
        assert!(stderr(&out).contains(&format!("seq {seq}, past the head")), "{}", stderr(&out));
    }
    assert!(
        stderr(&out).contains(
            "as they do when the ledger's last events were removed: check a head saved earlier with \
             `pledger verify --head SEQ:HASH`"
        ),
        "{}",
        stderr(&out)
    );
    // and a rebuild, which would give up that evidence, is refused...
    let refused = t.pledger().args(["verify", "--rebuild-indexes"]).output().unwrap();
    assert_eq!(refused.status.code(), Some(1), "{}", stderr(&refused));
    assert!(stderr(&refused).contains("so they were not rebuilt"), "{}", stderr(&refused));
    assert_eq!(t.pledger().arg("verify").output().unwrap().status.code(), Some(1));
    // ...unless asked for all the same: once the intruder writes the index
    // again from what is left, plain verify cannot tell
    t.pledger().args(["verify", "--rebuild-indexes", "--accept-removal"]).assert().success();
    t.pledger().arg("verify").assert().success().stdout(format!("ok: {} events, head {new_head}\n", n - 2));
    // but verify with the saved head fails, naming where the ledger ends and the saved seq
    let out = t.pledger().args(["verify", "--head", &saved]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).starts_with(&format!(
            "verification failed at seq {}: the ledger ends at seq {}, before the saved head's seq {n}",
            n - 1,
            n - 2
        )),
        "{}",
        stderr(&out)
    );
    // and derived data is not made again from a chain found broken
    let out = t
        .pledger()
        .args(["verify", "--head", &saved, "--drop-snapshots", "--rebuild-indexes"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    for note in ["the projection snapshots were not removed", "the ids and content indexes were not rebuilt"]
    {
        assert!(
            stderr(&out).contains(&format!("note: {note}, as the chain is broken\n")),
            "{}",
            stderr(&out)
        );
    }
}

#[test]
fn a_ledger_held_by_another_process_is_reported_as_in_use() {
    // given a ledger held open by this test process
    let t = TestLedger::new();
    t.import("events.jsonl", &sample(2));
    let head = t.head();
    let held = t.open();
    for args in [vec!["verify"], vec!["log"], vec!["append", "--json", &announcement("blocked")]] {
        // when the binary opens it
        let out = t.pledger().args(&args).output().unwrap();
        // then it exits 3 with a message naming the ledger
        assert_eq!(out.status.code(), Some(3), "{args:?}: {}", stderr(&out));
        let path = t.path().display().to_string();
        assert_eq!(
            stderr(&out),
            format!(
                "error: the ledger at {path} is in use by another process; try again when it has finished\n"
            )
        );
    }
    // and once the holder is done, nothing was appended
    drop(held);
    assert_eq!(t.head(), head);
}

/// Given two ledgers with the same first events, which then part: A records
/// a progress note at #N+1 and retracts it by seq, B a meeting at #N+1. The
/// exports of A before and after the retraction, and B.
fn ledgers_that_part() -> (TestLedger, TestLedger, PathBuf, PathBuf) {
    let n = sample_len(2);
    let (a, b) = two_ledgers_with_the_sample();
    let progress =
        r#"{"type":"progress","commitment":"c1","date":"2026-02-01","note":"On the wrong commitment"}"#;
    a.pledger().args(["append", "--json", progress]).assert().success();
    let retraction = format!(r#"{{"type":"retraction","retracts":{},"reason":"Wrong commitment"}}"#, n + 1);
    let jan = a.write("jan.jsonl", &a.pledger().arg("export").output().unwrap().stdout);
    a.pledger().args(["append", "--json", &retraction]).assert().success();
    let feb = a.write("feb.jsonl", &a.pledger().arg("export").output().unwrap().stdout);
    let meeting = r#"{"type":"meeting","id":"m-b","date":"2026-03-10","title":"Held","fulfils":["c1"]}"#;
    b.pledger().args(["append", "--json", meeting]).assert().success();
    (a, b, jan, feb)
}

/// An export names each retracted event by what it is as well as by seq.
/// Imported into a ledger that numbers that event otherwise, the
/// retraction voids the event it names, with a note at the line; it never
/// voids another event. `append`, which takes one event as given, refuses
/// it with the seq to write.
#[test]
fn an_exported_retraction_that_this_ledger_numbers_otherwise_voids_the_event_it_names() {
    let n = sample_len(2);
    let (a, b, jan, feb) = ledgers_that_part();
    let export = std::fs::read_to_string(&feb).unwrap();
    let digest = digest(export.lines().nth(n as usize).unwrap());

    // when B imports A's first export, where the progress note becomes
    // #N+2, and then is given the retraction alone to append, then it is
    // refused, with the seq to write
    b.pledger().arg("import").arg(&jan).assert().success();
    let head = b.head();
    let retraction = export.lines().last().unwrap();
    let out = b.pledger().args(["append", "--json", retraction]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let expected = format!(
        "<--json>:1: expected `retracts` to be {}, the seq this ledger gives the progress with digest {digest} that \
         `retracts_event` names, found {}; the line numbers events as another ledger does (an export of it): \
         write \"retracts\": {}",
        n + 2,
        n + 1,
        n + 2
    );
    assert!(stderr(&out).lines().any(|l| l == expected), "{}", stderr(&out));
    assert_eq!(b.head(), head);

    // when A's two exports are imported into B in one command
    let out = b.pledger().arg("import").arg(&jan).arg(&feb).output().unwrap();

    // then the retraction voids the progress note, not B's meeting, and a
    // note at the line says so
    assert!(out.status.success(), "{}", stderr(&out));
    let note = format!(
        "{}:{}: note: this retracts #{}, the progress with digest {digest} that `retracts_event` names, where the \
         line gives #{}, as the ledger it was written for numbers it (an export of that ledger)",
        feb.display(),
        n + 2,
        n + 2,
        n + 1
    );
    assert!(stderr(&out).lines().any(|l| l == note), "{}", stderr(&out));
    let log = stdout(&b.pledger().args(["log", "--from", &(n + 1).to_string()]).output().unwrap());
    let lines: Vec<&str> = log.lines().collect();
    assert!(lines[0].contains("meeting") && !lines[0].contains("[retracted]"), "{log}");
    assert!(lines[1].contains("progress") && lines[1].contains("[retracted]"), "{log}");
    assert!(lines[2].contains(&format!("retracts #{}", n + 2)), "{log}");

    // and imported again, everything is already recorded, with no such note
    let out = b.pledger().arg("import").arg(&jan).arg(&feb).output().unwrap();
    assert!(stdout(&out).starts_with("0 new"), "{}", stdout(&out));
    assert!(!stderr(&out).contains("`retracts_event` names"), "{}", stderr(&out));

    // and A's own export, imported into A again, is already recorded
    let out = a.pledger().arg("import").arg(&feb).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).starts_with(&format!("0 new, {} already recorded", n + 2)), "{}", stdout(&out));

    // Given no ledger yet, when B's export and then A's are imported, then
    // the new ledger numbers the events as B does and voids the progress note
    let c = TestLedger::new();
    let b_export = c.write("b.jsonl", &b.pledger().arg("export").output().unwrap().stdout);
    let out = c.pledger().arg("import").arg(&b_export).arg(&feb).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&c.pledger().arg("export").output().unwrap()),
        stdout(&b.pledger().arg("export").output().unwrap())
    );
}

/// A retraction that names its event is checked by that name first: its
/// seq in another ledger may be at or past its own seq here (a file that
/// holds only the end of an export). A uuid is this ledger's own, so one
/// that names another event than `retracts_event` is a contradiction.
#[test]
fn a_named_retraction_is_taken_by_its_name_even_past_its_own_seq_but_never_against_a_uuid() {
    // given A, where the sample is followed by three announcements and a
    // meeting that it retracts by seq, and B, which holds the sample and the meeting
    let n = sample_len(2);
    let (a, b) = two_ledgers_with_the_sample();
    for id in ["x1", "x2", "x3"] {
        a.pledger().args(["append", "--json", &announcement(id)]).assert().success();
    }
    let meeting = r#"{"type":"meeting","id":"m1","date":"2026-03-10","title":"Held","fulfils":["c1"]}"#;
    for t in [&a, &b] {
        t.pledger().args(["append", "--json", meeting]).assert().success();
    }
    let seq = (n + 4).to_string();
    a.pledger().args(["retract", &seq, "--reason", "Not held"]).assert().success();

    // when the last line of A's export, the retraction of #N+4, is imported alone into B
    let export = stdout(&a.pledger().arg("export").output().unwrap());
    let tail = b.write("tail.jsonl", format!("{}\n", export.lines().last().unwrap()));
    let out = b.pledger().arg("import").arg(&tail).output().unwrap();

    // then it retracts B's meeting, #N+1, with a note
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(&format!("note: this retracts #{}, the meeting 'm1'", n + 1)),
        "{}",
        stderr(&out)
    );
    let log = stdout(&b.pledger().args(["log", "--from", &(n + 1).to_string()]).output().unwrap());
    assert!(log.lines().next().unwrap().contains("[retracted]"), "{log}");

    // Given a retraction by the uuid of B's first event that names the meeting
    let log = stdout(&b.pledger().args(["log", "--json"]).output().unwrap());
    let first: serde_json::Value = serde_json::from_str(log.lines().next().unwrap()).unwrap();
    let uuid = first["uuid"].as_str().unwrap();
    let line = format!(
        r#"{{"type":"retraction","retracts":"{uuid}","retracts_event":{{"type":"meeting","id":"m1"}},"reason":"r"}}"#
    );
    // when it is imported, then it is refused, naming both events
    let head = b.head();
    let file = b.write("uuid.jsonl", format!("{line}\n"));
    let out = b.pledger().arg("import").arg(&file).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let expected = format!(
        "{}:1: expected `retracts_event` to name the event `retracts` names, {uuid} (#1 here), found the meeting \
         'm1', which is #{} here",
        file.display(),
        n + 1
    );
    assert_eq!(stderr(&out).lines().next(), Some(expected.as_str()), "{}", stderr(&out));
    assert_eq!(b.head(), head);
}

/// An export names a retracted retraction by the event it retracted and
/// its reason, since its own `retracts` is a seq of its ledger: imported
/// into a ledger that numbers the events otherwise, undoing a retraction
/// restores the event the file meant, and voids nothing else.
#[test]
fn an_exported_retraction_of_a_retraction_restores_the_event_it_names() {
    // given D, where the sample is followed by a progress note, a meeting
    // and a second progress note, which D retracts and then restores; and
    // E, which holds the sample and two other progress notes
    let n = sample_len(2);
    let (d, e) = two_ledgers_with_the_sample();
    let progress = |note: &str| {
        format!(r#"{{"type":"progress","commitment":"c1","date":"2026-02-01","note":"{note}"}}"#)
    };
    let meeting = r#"{"type":"meeting","id":"m1","date":"2026-03-10","title":"Held","fulfils":["c1"]}"#;
    for line in [progress("D first"), meeting.to_owned(), progress("D second")] {
        d.pledger().args(["append", "--json", &line]).assert().success();
    }
    d.pledger().args(["retract", &(n + 3).to_string(), "--reason", "Wrong"]).assert().success();
    d.pledger().args(["retract", &(n + 4).to_string(), "--reason", "Right after all"]).assert().success();
    for line in [progress("E first"), progress("E second")] {
        e.pledger().args(["append", "--json", &line]).assert().success();
    }

    // when D's export with a line that does not decode is imported into E
    let export = d.pledger().arg("export").output().unwrap().stdout;
    let broken = e.write("broken.jsonl", [&export[..], b"{\"type\":\n"].concat());
    let out = e.pledger().arg("import").arg(&broken).output().unwrap();
    // then that line is the one problem reported: the retractions' seqs,
    // which the import would write in, are none
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    let problems: Vec<&str> = err.lines().filter(|l| l.contains("broken.jsonl:")).collect();
    assert_eq!(problems.len(), 1, "{err}");
    assert!(problems[0].contains(&format!("broken.jsonl:{}: expected a JSON object", n + 6)), "{err}");

    // when D's export is imported into E, where the second note becomes #N+5
    let file = e.write("d.jsonl", &export);
    let out = e.pledger().arg("import").arg(&file).output().unwrap();

    // then the first retraction voids that note, the second voids the
    // first, and nothing else is voided: the note and the meeting count
    assert!(out.status.success(), "{}", stderr(&out));
    let log = stdout(&e.pledger().args(["log", "--from", &(n + 1).to_string()]).output().unwrap());
    let retracted: Vec<&str> = log.lines().filter(|l| l.contains("[retracted]")).collect();
    assert_eq!(retracted.len(), 1, "{log}");
    assert!(retracted[0].contains(&format!("retracts #{}", n + 5)), "{log}");
    assert!(log.lines().last().unwrap().contains(&format!("retracts #{}", n + 6)), "{log}");
    assert!(stderr(&out).contains("note: this retracts #"), "{}", stderr(&out));
    // and imported again, it is all recorded already
    let out = e.pledger().arg("import").arg(&file).output().unwrap();
    assert!(stdout(&out).starts_with("0 new"), "{}", stdout(&out));
}

/// A retraction cannot name itself: its digest is known before it is
/// written, so a line can give it.
#[test]
fn a_retraction_that_names_itself_is_refused() {
    let n = sample_len(2);
    let t = TestLedger::new();
    t.import("events.jsonl", &sample(2));
    let own = format!(r#"{{"type":"retraction","retracts":{},"reason":"Itself"}}"#, n + 1);
    let digest = digest(&own);
    let line = format!(
        r#"{{"type":"retraction","retracts":{},"retracts_event":{{"type":"retraction","digest":"{digest}"}},"reason":"Itself"}}"#,
        n + 1
    );
    let head = t.head();
    let out = t.pledger().args(["append", "--json", &line]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_eq!(
        stderr(&out).lines().next(),
        Some(
            "<--json>:1: `retracts_event` names this retraction itself, but a retraction can only retract an \
             earlier event"
        )
    );
    assert_eq!(t.head(), head);
}

/// A retraction names its target by seq or by uuid, and either way it is
/// one fact: given again the other way, it is already recorded, so that an
/// export (which writes a uuid as a seq) keeps the ledger's voids.
#[test]
fn a_retraction_given_again_by_uuid_or_by_seq_is_already_recorded() {
    // given a progress note retracted by seq, and that retraction retracted
    let n = sample_len(2);
    let t = TestLedger::new();
    t.import("events.jsonl", &sample(2));
    let progress = r#"{"type":"progress","commitment":"c1","date":"2026-02-01","note":"Noted"}"#;
    t.pledger().args(["append", "--json", progress]).assert().success();
    let note = (n + 1).to_string();
    t.pledger().args(["retract", &note, "--reason", "Wrong"]).assert().success();
    t.pledger().args(["retract", &(n + 2).to_string(), "--reason", "Right after all"]).assert().success();
    let log = stdout(&t.pledger().args(["log", "--json", "--from", &note]).output().unwrap());
    let envelope: serde_json::Value = serde_json::from_str(log.lines().next().unwrap()).unwrap();
    let uuid = envelope["uuid"].as_str().unwrap().to_owned();

    // when the note is retracted again by its uuid, for the same reason
    let head = t.head();
    let out = t.pledger().args(["retract", &uuid, "--reason", "Wrong"]).output().unwrap();

    // then it is the retraction recorded already, voided, and nothing is appended
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let expected = format!("already recorded as #{}, which retraction #{} voids", n + 2, n + 3);
    assert!(stderr(&out).contains(&expected), "{}", stderr(&out));
    assert_eq!(t.head(), head);
}

/// A retraction by seq that does not name its event otherwise (written by
/// hand) means the ledger's seq. A file that shares events with the ledger
/// but numbers them otherwise may have meant another event: the import
/// says so, at the line, with the event the file's numbering names and how
/// to put it right. Which was meant only its author knows, so it is a note,
/// not a refusal: a file re-imported as it grows numbers the ledger's seqs
/// even when lines were inserted into it.
#[test]
fn a_retraction_by_seq_that_its_file_numbers_otherwise_comes_with_a_note() {
    // given A's export without the names of retracted events, and B
    let n = sample_len(2);
    let (_a, b, jan, feb) = ledgers_that_part();
    let unnamed: String = std::fs::read_to_string(&feb)
        .unwrap()
        .lines()
        .map(|line| match line.find(r#","retracts_event":"#) {
            Some(at) => {
                let end = at + line[at..].find('}').unwrap() + 1;
                format!("{}{}\n", &line[..at], &line[end..])
            }
            None => format!("{line}\n"),
        })
        .collect();
    assert!(!unnamed.contains("retracts_event"), "{unnamed}");
    let named = feb;
    let feb = b.write("unnamed.jsonl", unnamed);

    // when A's two exports are imported into B in one command, where the
    // progress note becomes #N+2 and the retraction #N+3
    let out = b.pledger().arg("import").arg(&jan).arg(&feb).output().unwrap();

    // then the retraction voids B's #N+1, as a seq of this ledger, and the
    // note names the event the export meant, at feb.jsonl's retraction
    assert!(out.status.success(), "{}", stderr(&out));
    let expected = format!(
        "{}:{}: note: this retracts #{} here, but the file's event on line {} is #{} here; if the file keeps the seqs \
         of another ledger (an export of it), it meant #{}: see `pledger log --from {}`, and if so, retract #{}, \
         this retraction, and retract #{} instead",
        feb.display(),
        n + 2,
        n + 1,
        n + 1,
        n + 2,
        n + 2,
        n + 1,
        n + 3,
        n + 2
    );
    // (after the notes on the sample's own retracted event, already recorded)
    assert_eq!(stderr(&out).lines().last(), Some(expected.as_str()));
    assert_eq!(stderr(&out).matches("note: this retracts").count(), 1, "{}", stderr(&out));
    // and the export that names the event, imported after, does not count
    // that retraction as the one it gives: it retracts the progress note too
    let out = b.pledger().arg("import").arg(&jan).arg(&named).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let note = format!("{}:{}: note: this retracts #{}, the progress", named.display(), n + 2, n + 2);
    assert!(stderr(&out).contains(&note), "{}", stderr(&out));
    let log = stdout(&b.pledger().args(["log", "--from", &(n + 2).to_string()]).output().unwrap());
    assert!(log.lines().next().unwrap().contains("[retracted]"), "{log}");

    // Given a ledger that had an event before its file, and the file
    // re-imported with a retraction of one of its own events by the seq `log` shows
    let c = TestLedger::new();
    let first = announcement("before-the-file");
    c.pledger().args(["append", "--json", &first]).assert().success();
    let own = sample(2);
    c.import("own.jsonl", &own);
    let grown = format!("{own}{{\"type\":\"retraction\",\"retracts\":3,\"reason\":\"Not given\"}}\n");
    // When it is imported again, then the retraction is taken, as of #3
    // here, and the note allows that the file may have meant its third event
    let out = c.pledger().arg("import").arg(c.write("own.jsonl", &grown)).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(": note: this retracts #3 here, but the file's event on line 3 is #4 here"),
        "{out:?}"
    );
    let log = stdout(&c.pledger().args(["log", "--from", "3"]).output().unwrap());
    assert!(log.lines().next().unwrap().contains("[retracted]"), "{log}");

    // Given a ledger with one event before, when the sample and A's export
    // are imported in one command, then the export's lines that the sample
    // gave count as shared, and its retraction comes with the note
    let d = TestLedger::new();
    d.pledger().args(["append", "--json", &first]).assert().success();
    let sample_file = d.write("sample.jsonl", sample(2));
    let out = d.pledger().arg("import").arg(&sample_file).arg(&feb).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let note = format!("{}:{}: note: this retracts #{} here", feb.display(), n + 2, n + 1);
    assert!(stderr(&out).contains(&note), "{}", stderr(&out));
}

#[test]
fn export_then_import_into_a_fresh_ledger_reproduces_the_same_events() {
    // given a ledger with every type of event, including a retraction by uuid
    let a = TestLedger::new();
    a.import("events.jsonl", &sample(4));
    let log = stdout(&a.pledger().args(["log", "--json"]).output().unwrap());
    let first: serde_json::Value = serde_json::from_str(log.lines().nth(2).unwrap()).unwrap();
    let uuid = first["uuid"].as_str().unwrap();
    let retraction = format!(r#"{{"type":"retraction","retracts":"{uuid}","reason":"Duplicate entry"}}"#);
    // and a title with spaces around it, which must survive the round trip as given
    let spaced = r#"{"type":"announcement","id":"spaced","date":"2026-02-01","title":"  Spaced ","parties":["India"]}"#;
    a.pledger().args(["append", "--json", spaced]).assert().success();
    a.pledger().args(["append", "--json", &retraction]).assert().success();
    let exported = a.pledger().arg("export").output().unwrap();
    assert!(exported.status.success(), "{}", stderr(&exported));
    // when the export is imported into a fresh ledger
    let b = TestLedger::new();
    let file = b.write("export.jsonl", &exported.stdout);
    let out = b.pledger().arg("import").arg(&file).output().unwrap();
    // then every event is new, and both ledgers export and log the same events
    assert!(out.status.success(), "{}", stderr(&out));
    let n = sample_len(4) + 2;
    assert!(stdout(&out).starts_with(&format!("{n} new, 0 already recorded")), "{}", stdout(&out));
    let again = b.pledger().arg("export").output().unwrap();
    assert_eq!(stdout(&again), stdout(&exported));
    // and imported back into the ledger it came from, where the retraction
    // is by uuid, the export is all recorded already
    let out = a.pledger().arg("import").arg(&file).output().unwrap();
    assert!(stdout(&out).starts_with(&format!("0 new, {n} already recorded")), "{}", stdout(&out));
    // (a retraction by uuid is exported by seq: compare what each names)
    let events = |t: &TestLedger| -> Vec<(u64, serde_json::Value)> {
        let log = stdout(&t.pledger().args(["log", "--json"]).output().unwrap());
        let envelopes: Vec<serde_json::Value> =
            log.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        let seq_of = |uuid: &serde_json::Value| {
            envelopes.iter().find(|e| e["uuid"] == *uuid).map(|e| e["seq"].clone())
        };
        envelopes
            .iter()
            .map(|e| {
                let mut event = e["event"].clone();
                if let Some(seq) = seq_of(&event["retracts"]) {
                    event["retracts"] = seq;
                }
                (e["seq"].as_u64().unwrap(), event)
            })
            .collect()
    };
    let (from_a, from_b) = (events(&a), events(&b));
    assert_eq!(from_a.len() as u64, n);
    assert_eq!(from_a[n as usize - 1].1["retracts"], 3);
    assert_eq!(from_a, from_b);
    b.pledger().arg("verify").assert().success();
}

#[test]
fn a_ledger_path_that_is_not_a_ledger_is_refused_and_left_as_it_was() {
    let record =
        &["record", "announcement", "a", "--date", "2026-01-16", "--title", "A", "--party", "India"][..];
    let file = "is not a ledger: it is a file; name a new or empty directory";
    let other = "is not a ledger: it is a directory of other files (\"notes.txt\" among them); name a new or empty directory";
    // (what the path is, the command, what the error says)
    let cases: &[(&str, &[&str], &str)] = &[
        ("a file", &["head"], file),
        ("a file", &["init"], file),
        ("a file", record, file),
        ("a directory of other files", &["init"], other),
        ("a directory of other files", &["status"], other),
        ("a directory of other files", &["demo"], other),
        ("a directory of other files", record, other),
        // A dry run refuses what the real run would
        ("a directory of other files", &[record, &["--dry-run"]].concat(), other),
        ("a missing path", &["status"], "no ledger at"),
    ];
    for (what, args, says) in cases {
        // Given a path that is not a ledger
        let t = TestLedger::new();
        match *what {
            "a file" => drop(t.write("ledger.db", "not a ledger")),
            "a directory of other files" => {
                std::fs::create_dir(t.path()).unwrap();
                std::fs::write(t.path().join("notes.txt"), "mine").unwrap();
            }
            _ => {}
        }
        let before = listing(&t);
        // When a command is pointed at it
        let out = t.pledger().args(*args).output().unwrap();
        // Then it is refused, says why, and nothing is created or changed there
        assert_eq!(out.status.code(), Some(3), "{what} {args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(says), "{what} {args:?}: expected {says:?} in {}", stderr(&out));
        assert_eq!(listing(&t), before, "{what} {args:?}");
    }
}

#[test]
fn a_ledger_path_under_a_file_is_refused_naming_the_file_and_its_error_is_said_once() {
    // Given a plain file
    let t = TestLedger::new();
    let plain = t.write("plain", "not a directory");
    for under in [plain.join("sub"), plain.join("sub").join("deeper")] {
        for args in [&["status"][..], &["init"], &["import", "-"], &["verify"]] {
            // When a command is pointed below it
            let out = assert_cmd::Command::new(crate::support::binary())
                .arg("--ledger")
                .arg(&under)
                .args(args)
                .write_stdin(sample(2))
                .output()
                .unwrap();
            // Then it is refused once, naming the file in the way, rather
            // than sending the user to `init` (which cannot make it there)
            let err = stderr(&out);
            assert_eq!(out.status.code(), Some(3), "{args:?}: {err}");
            let says = format!(
                "{} is not a ledger: {} is a file, not a directory",
                under.display(),
                plain.display()
            );
            assert!(err.starts_with(&format!("error: {says}")), "{args:?}: {err}");
            assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        }
    }
    assert_eq!(std::fs::read_to_string(&plain).unwrap(), "not a directory");
}

#[test]
fn a_ledger_is_created_in_a_directory_holding_only_hidden_files_or_a_part_made_ledger() {
    // (what the directory holds)
    let cases: &[(&str, &[&str])] = &[
        ("hidden files", &[".DS_Store", ".gitkeep"]),
        ("a new filesystem's lost+found", &["lost+found/"]),
        ("what a creation that stopped part way left", &["conf", "blobs/"]),
    ];
    for (what, entries) in cases {
        // Given a directory holding only these
        let t = TestLedger::new();
        std::fs::create_dir(t.path()).unwrap();
        for entry in *entries {
            match entry.strip_suffix('/') {
                Some(dir) => std::fs::create_dir(t.path().join(dir)).unwrap(),
                None => std::fs::write(t.path().join(entry), "").unwrap(),
            }
        }
        // When events are imported into it
        let out = t.pledger().arg("import").arg(t.write("events.jsonl", sample(2))).output().unwrap();
        // Then the ledger is made there and holds them
        assert!(out.status.success(), "{what}: {}", stderr(&out));
        assert!(t.head().starts_with(&format!("{}:", sample_len(2))), "{what}");
    }
}

/// The ledger path and everything under it, with contents, sorted.
fn listing(t: &TestLedger) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut todo = vec![t.path()];
    while let Some(path) = todo.pop() {
        if path.is_dir() {
            todo.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
        } else if path.exists() {
            out.push((path.display().to_string(), std::fs::read(&path).unwrap()));
        }
    }
    out.sort();
    out
}

#[test]
fn log_from_a_seq_lists_that_event_and_the_later_ones_and_nothing_past_the_head() {
    // Given a ledger of the sample's events
    let t = TestLedger::new();
    t.import("events.jsonl", &sample(3));
    let n = sample_len(3);
    let seqs = |from: u64| -> Vec<u64> {
        let out = t.pledger().args(["log", "--json", "--from", &from.to_string()]).output().unwrap();
        assert!(out.status.success(), "--from {from}: {}", stderr(&out));
        stdout(&out)
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["seq"].as_u64().unwrap())
            .collect()
    };
    // When listing from each seq, from before the first to past the head
    for from in 0..=n + 2 {
        // Then the listing starts at that seq (the first, for 0) and ends at the head
        let expected: Vec<u64> = (from.max(1)..=n).collect();
        assert_eq!(seqs(from), expected, "--from {from}");
    }
    // And past the head, it says where the ledger ends rather than nothing
    // at all, as it does for an empty ledger
    let empty = TestLedger::new();
    empty.pledger().arg("init").assert().success();
    for (ledger, from, said) in [
        (
            &t,
            n + 1,
            format!("note: no event from seq {}: the ledger holds {n} events, seq 1 to {n}\n", n + 1),
        ),
        (&empty, 1, "note: no event from seq 1: the ledger holds no events yet\n".to_owned()),
    ] {
        let out = ledger.pledger().args(["log", "--from", &from.to_string()]).output().unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        assert_eq!((stdout(&out), stderr(&out)), (String::new(), said));
    }
}

#[test]
fn a_creation_that_stopped_before_sled_wrote_its_data_is_an_empty_ledger_not_a_damaged_one() {
    // given a ledger whose creation was cut off: sled's files and the journal
    // made, its data file still empty (as a kill during `init` leaves it)
    let t = TestLedger::new();
    t.pledger().arg("init").assert().success();
    std::fs::write(t.path().join("db"), b"").unwrap();
    // when it is read, and then appended to
    let status = t.pledger().args(["status", "--as-of", "2026-01-16"]).output().unwrap();
    t.import("events.jsonl", &sample(2));
    // then it is an empty ledger, which takes the events
    assert!(status.status.success(), "{}", stderr(&status));
    assert!(t.head().starts_with(&format!("{}:", sample_len(2))), "{}", t.head());
}

#[test]
fn concurrent_first_appends_to_a_new_path_keep_every_acknowledged_event() {
    for round in 0..8 {
        // given no ledger at a path, and three processes recording the same event there at once
        let t = TestLedger::new();
        let args = ["record", "announcement", "a", "--date", "2026-01-16", "--title", "A", "--party", "X"];
        let children: Vec<_> = (0..3)
            .map(|_| t.pledger_std().args(args).stdout(std::process::Stdio::piped()).spawn().unwrap())
            .collect();
        let outputs: Vec<_> = children.into_iter().map(|c| c.wait_with_output().unwrap()).collect();
        // then if one says it appended, the ledger holds it, whatever the others did
        let appended = outputs.iter().any(|o| String::from_utf8_lossy(&o.stdout).starts_with("#1 "));
        if appended {
            assert!(t.head().starts_with("1:"), "round {round}: {}", t.head());
        }
    }
}

#[test]
fn a_ledger_with_a_head_file_of_the_first_format_and_no_data_file_is_damaged() {
    // given a ledger with events whose head file is the one line earlier pledgers wrote
    let t = TestLedger::new();
    t.import("events.jsonl", &sample(2));
    std::fs::write(t.path().join("head"), format!("{}\n", t.head())).unwrap();
    t.pledger().arg("verify").assert().success();
    // when sled's data file is lost
    std::fs::remove_file(t.path().join("db")).unwrap();
    let out = t.pledger().arg("verify").output().unwrap();
    // then it is damaged (exit 1), not missing: creating a new one there would hide the loss
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let says =
        format!("sled's data file db is missing, though the head file records {} events", sample_len(2));
    assert!(stderr(&out).contains(&says), "{}", stderr(&out));
}

#[test]
fn a_creation_cut_off_while_sled_wrote_its_configuration_is_named_as_such_not_damaged() {
    // given a ledger directory as a kill during sled's first write leaves it:
    // its blobs directory, and its conf without the checksum that ends it
    let t = TestLedger::new();
    std::fs::create_dir_all(t.path().join("blobs")).unwrap();
    std::fs::write(t.path().join("conf"), "segment_size: 8388608\nuse_compression: false\nversion: 0.34\n")
        .unwrap();
    // when a ledger is created there
    let out = t.pledger().arg("init").output().unwrap();
    // then it is said to be an unfinished creation, with what to do, and not damaged
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("its creation stopped before any event was stored"), "{err}");
    assert!(err.contains("remove the directory and create the ledger again"), "{err}");
    assert!(!err.contains("restore it from a backup"), "{err}");
}
