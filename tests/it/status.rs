//! The status rules of STATUS.md, each shown on a small ledger built here.
//!
//! Every scenario is given as JSON Lines (one import per blank-line-separated
//! group), then a table of (as of, at, id, expected status, met on, on time)
//! rows. The library computes statuses through the same path `pledger
//! status` uses; a few rows are also checked through the binary.

use chrono::NaiveDate;
use pledger::input::read_lines;
use pledger::ledger::Ledger;
use pledger::projection::{CommitmentStatus, Projection, Status};
use pledger::OpenMode;

use crate::support::{generated_lines, ledger_from, stamp};

const ANNOUNCEMENT: &str = r#"{"type":"announcement","id":"summit","date":"2026-01-16","title":"Summit","parties":["India","Japan"]}"#;
const H1: &str = r#"{"type":"commitment","id":"esd","announcement":"summit","title":"Hold a dialogue","deadline":"first half of 2026"}"#;

fn date(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn status_of(ledger: &Ledger, id: &str, as_of: &str, at: Option<u64>) -> Option<CommitmentStatus> {
    ledger.projection(at).unwrap().statuses(date(as_of)).into_iter().find(|c| c.id == id)
}

/// Expected: (as of, at, status or None for "not listed", met_on, on_time).
type Row<'a> = (&'a str, Option<u64>, Option<Status>, Option<&'a str>, Option<bool>);

fn check(name: &str, groups: &[&[&str]], id: &str, rows: &[Row]) {
    let dir = tempfile::tempdir().unwrap();
    let ledger = ledger_from(dir.path(), groups, 10_000);
    let mut failures = Vec::new();
    for (as_of, at, status, met_on, on_time) in rows {
        let got = status_of(&ledger, id, as_of, *at);
        let got_tuple = got.as_ref().map(|c| (c.status, c.met_on, c.on_time));
        let want = status.map(|s| (s, met_on.map(date), *on_time));
        if got_tuple != want {
            failures
                .push(format!("{name}: {id} as of {as_of} at {at:?}: expected {want:?}, got {got_tuple:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

use Status::*;

#[test]
fn met_on_time_and_met_late() {
    let on_time = r#"{"type":"meeting","id":"m1","date":"2026-05-20","title":"Held","fulfils":["esd"]}"#;
    check(
        "on time",
        &[&[ANNOUNCEMENT, H1, on_time]],
        "esd",
        &[
            ("2026-05-19", None, Some(Pending), None, None),
            ("2026-05-20", None, Some(Met), Some("2026-05-20"), Some(true)),
            ("2026-11-28", None, Some(Met), Some("2026-05-20"), Some(true)),
        ],
    );
    let late = r#"{"type":"meeting","id":"m1","date":"2026-07-15","title":"Held late","fulfils":["esd"]}"#;
    check(
        "late",
        &[&[ANNOUNCEMENT, H1, late]],
        "esd",
        &[
            ("2026-07-01", None, Some(Overdue), None, None),
            ("2026-07-15", None, Some(Met), Some("2026-07-15"), Some(false)),
        ],
    );
}

#[test]
fn a_late_fulfilment_stays_late_when_the_deadline_is_extended_afterwards() {
    let late = r#"{"type":"meeting","id":"m1","date":"2026-07-15","title":"Held late","fulfils":["esd"]}"#;
    let after = r#"{"type":"deadline","commitment":"esd","date":"2026-08-01","deadline":"by the end of 2026","reason":"postponed"}"#;
    check(
        "extended after it was met",
        &[&[ANNOUNCEMENT, H1, late, after]],
        "esd",
        &[
            ("2026-07-15", None, Some(Met), Some("2026-07-15"), Some(false)),
            // the revision is in force from its date, but not for a fulfilment before it
            ("2026-08-01", None, Some(Met), Some("2026-07-15"), Some(false)),
            ("2027-03-01", None, Some(Met), Some("2026-07-15"), Some(false)),
        ],
    );
    // An extension dated before the fulfilment, or on its day, is in force for it
    for (what, dated) in
        [("extended before it was met", "2026-06-15"), ("extended on the day it was met", "2026-07-15")]
    {
        let revision = format!(
            r#"{{"type":"deadline","commitment":"esd","date":"{dated}","deadline":"by the end of 2026","reason":"postponed"}}"#
        );
        check(
            what,
            &[&[ANNOUNCEMENT, H1, &revision, late]],
            "esd",
            &[("2026-07-15", None, Some(Met), Some("2026-07-15"), Some(true))],
        );
    }
    // And the row shows the deadline the fulfilment was judged by
    let dir = tempfile::tempdir().unwrap();
    let ledger = ledger_from(dir.path(), &[&[ANNOUNCEMENT, H1, late, after]], 10_000);
    let row = status_of(&ledger, "esd", "2027-03-01", None).unwrap();
    assert_eq!(row.deadline.unwrap().end, Some(date("2026-06-30")));
}

#[test]
fn overdue_starts_the_day_after_the_window_ends() {
    check(
        "overdue",
        &[&[ANNOUNCEMENT, H1]],
        "esd",
        &[("2026-06-30", None, Some(Pending), None, None), ("2026-07-01", None, Some(Overdue), None, None)],
    );
}

#[test]
fn a_revision_that_extends_the_deadline_counts_only_from_its_date() {
    let revision = r#"{"type":"deadline","commitment":"esd","date":"2026-08-01","deadline":"by the end of 2026","reason":"postponed"}"#;
    check(
        "extension",
        &[&[ANNOUNCEMENT, H1, revision]],
        "esd",
        &[
            // before the revision's date it is not yet in force
            ("2026-07-15", None, Some(Overdue), None, None),
            // from its date, overdue becomes pending
            ("2026-08-01", None, Some(Pending), None, None),
            ("2027-01-01", None, Some(Overdue), None, None),
        ],
    );
}

#[test]
fn of_two_revisions_on_one_date_the_later_in_the_chain_wins() {
    let first =
        r#"{"type":"deadline","commitment":"esd","date":"2026-06-01","deadline":"by the end of 2026"}"#;
    let second =
        r#"{"type":"deadline","commitment":"esd","date":"2026-06-01","deadline":"by September 2026"}"#;
    check(
        "tie",
        &[&[ANNOUNCEMENT, H1, first, second]],
        "esd",
        &[("2026-10-01", None, Some(Overdue), None, None)],
    );
}

#[test]
fn a_meeting_recorded_late_is_seen_as_of_its_own_date() {
    let progress = r#"{"type":"progress","commitment":"esd","date":"2026-05-01","note":"agenda agreed"}"#;
    let meeting = r#"{"type":"meeting","id":"m1","date":"2026-04-01","title":"Held","fulfils":["esd"]}"#;
    check(
        "recorded late",
        &[&[ANNOUNCEMENT, H1, progress], &[meeting]],
        "esd",
        &[
            ("2026-03-31", None, Some(Pending), None, None),
            ("2026-04-15", None, Some(Met), Some("2026-04-01"), Some(true)),
            // before the meeting was recorded, the ledger did not know of it
            ("2026-04-15", Some(3), Some(Pending), None, None),
        ],
    );
}

#[test]
fn the_earliest_fulfilment_is_the_met_date() {
    let m1 = r#"{"type":"meeting","id":"m1","date":"2026-05-20","title":"Second","fulfils":["esd"]}"#;
    let m2 = r#"{"type":"outcome","commitment":"esd","date":"2026-03-10","outcome":"met"}"#;
    check(
        "earliest",
        &[&[ANNOUNCEMENT, H1, m1, m2]],
        "esd",
        &[("2026-11-28", None, Some(Met), Some("2026-03-10"), Some(true))],
    );
}

#[test]
fn retracting_the_fulfilling_meeting_makes_met_overdue_and_retracting_that_restores_it() {
    let meeting = r#"{"type":"meeting","id":"m1","date":"2026-05-20","title":"Held","fulfils":["esd"]}"#;
    let retraction = r#"{"type":"retraction","retracts":3,"reason":"the meeting was postponed"}"#;
    let restore = r#"{"type":"retraction","retracts":4,"reason":"the postponement report was wrong"}"#;
    check(
        "retractions",
        &[&[ANNOUNCEMENT, H1, meeting], &[retraction], &[restore]],
        "esd",
        &[
            ("2026-07-01", Some(3), Some(Met), Some("2026-05-20"), Some(true)),
            ("2026-07-01", Some(4), Some(Overdue), None, None),
            ("2026-07-01", Some(5), Some(Met), Some("2026-05-20"), Some(true)),
        ],
    );
}

#[test]
fn cancelled_and_superseded_end_a_commitment_from_their_date() {
    let cancelled =
        r#"{"type":"outcome","commitment":"esd","date":"2026-03-01","outcome":"cancelled","note":"dropped"}"#;
    check(
        "cancelled",
        &[&[ANNOUNCEMENT, H1, cancelled]],
        "esd",
        &[("2026-02-28", None, Some(Pending), None, None), ("2026-03-01", None, Some(Cancelled), None, None)],
    );
    let replacement =
        r#"{"type":"commitment","id":"esd-2","announcement":"summit","title":"Hold a broader dialogue"}"#;
    let superseded =
        r#"{"type":"outcome","commitment":"esd","date":"2026-04-01","outcome":"superseded","by":"esd-2"}"#;
    let dir = tempfile::tempdir().unwrap();
    let ledger = ledger_from(dir.path(), &[&[ANNOUNCEMENT, H1, replacement, superseded]], 10_000);
    let row = status_of(&ledger, "esd", "2026-11-28", None).unwrap();
    assert_eq!((row.status, row.superseded_by.as_deref()), (Superseded, Some("esd-2")));
    // superseding does not make it overdue later either
    assert_eq!(status_of(&ledger, "esd", "2030-01-01", None).unwrap().status, Superseded);
    // Of two endings, the earliest dated counts, whichever was recorded first
    check(
        "cancelled before it was superseded, recorded after",
        &[&[ANNOUNCEMENT, H1, replacement, superseded, cancelled]],
        "esd",
        &[
            ("2026-03-01", None, Some(Cancelled), None, None),
            ("2026-04-01", None, Some(Cancelled), None, None),
            ("2026-11-28", None, Some(Cancelled), None, None),
        ],
    );
}

#[test]
fn a_vague_deadline_or_none_is_never_overdue() {
    let vague =
        r#"{"type":"commitment","id":"soon","announcement":"summit","title":"Talk soon","deadline":"soon"}"#;
    let none = r#"{"type":"commitment","id":"none","announcement":"summit","title":"Cooperate"}"#;
    check("vague", &[&[ANNOUNCEMENT, vague]], "soon", &[("2040-01-01", None, Some(Pending), None, None)]);
    check("none", &[&[ANNOUNCEMENT, none]], "none", &[("2040-01-01", None, Some(Pending), None, None)]);
    let met = r#"{"type":"outcome","commitment":"soon","date":"2030-01-01","outcome":"met"}"#;
    check(
        "vague met",
        &[&[ANNOUNCEMENT, vague, met]],
        "soon",
        &[("2040-01-01", None, Some(Met), Some("2030-01-01"), Some(true))],
    );
}

#[test]
fn a_commitment_announced_after_the_date_is_not_listed() {
    check(
        "later",
        &[&[ANNOUNCEMENT, H1]],
        "esd",
        &[("2026-01-15", None, None, None, None), ("2026-01-16", None, Some(Pending), None, None)],
    );
}

#[test]
fn retracted_commitments_and_announcements_drop_out() {
    let retract_commitment = r#"{"type":"retraction","retracts":2,"reason":"not a commitment"}"#;
    check(
        "commitment",
        &[&[ANNOUNCEMENT, H1, retract_commitment]],
        "esd",
        &[("2026-03-01", None, None, None, None)],
    );
    let retract_announcement = r#"{"type":"retraction","retracts":1,"reason":"wrong report"}"#;
    check(
        "announcement",
        &[&[ANNOUNCEMENT, H1, retract_announcement]],
        "esd",
        &[("2026-03-01", None, None, None, None)],
    );
}

#[test]
fn a_retraction_by_uuid_voids_its_target() {
    let dir = tempfile::tempdir().unwrap();
    let meeting = r#"{"type":"meeting","id":"m1","date":"2026-05-20","title":"Held","fulfils":["esd"]}"#;
    let retraction = r#"{"type":"retraction","retracts":"{uuid 3}","reason":"duplicate"}"#;
    let ledger = ledger_from(dir.path(), &[&[ANNOUNCEMENT, H1, meeting], &[retraction]], 10_000);
    assert_eq!(status_of(&ledger, "esd", "2026-07-01", None).unwrap().status, Overdue);
}

#[test]
fn met_takes_precedence_over_a_later_cancellation() {
    let met = r#"{"type":"outcome","commitment":"esd","date":"2026-02-01","outcome":"met"}"#;
    let cancelled = r#"{"type":"outcome","commitment":"esd","date":"2026-03-01","outcome":"cancelled"}"#;
    check(
        "precedence",
        &[&[ANNOUNCEMENT, H1, met, cancelled]],
        "esd",
        &[("2026-11-28", None, Some(Met), Some("2026-02-01"), Some(true))],
    );
}

#[test]
fn status_cli_filters_and_prints_json_sorted_by_id() {
    // Given a ledger with one overdue and one met commitment
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("events.jsonl");
    let other = r#"{"type":"commitment","id":"ai","announcement":"summit","title":"Launch AI dialogue","tags":["ai"]}"#;
    let met = r#"{"type":"outcome","commitment":"ai","date":"2026-01-16","outcome":"met"}"#;
    std::fs::write(&file, [ANNOUNCEMENT, H1, other, met].join("\n")).unwrap();
    let ledger = dir.path().join("l.db");
    let pledger = |args: &[&str]| {
        let out = assert_cmd::Command::cargo_bin("pledger")
            .unwrap()
            .arg("--ledger")
            .arg(&ledger)
            .args(args)
            .env_remove("PLEDGER_LEDGER")
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    pledger(&["import", file.to_str().unwrap()]);
    // When asking for all statuses as JSON
    let all: serde_json::Value =
        serde_json::from_str(&pledger(&["status", "--as-of", "2026-11-28", "--json"])).unwrap();
    // Then both are listed, sorted by id, with the documented fields
    let ids: Vec<&str> = all.as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["ai", "esd"]);
    assert_eq!(all[0]["status"], "met");
    assert_eq!(all[0]["on_time"], true);
    assert_eq!(all[0]["deadline"], serde_json::Value::Null);
    assert_eq!(all[1]["status"], "overdue");
    assert_eq!(all[1]["deadline"]["phrase"], "first half of 2026");
    assert_eq!(all[1]["deadline"]["end"], "2026-06-30");
    assert_eq!(all[1]["met_on"], serde_json::Value::Null);
    // And filters narrow the list
    let overdue: serde_json::Value =
        serde_json::from_str(&pledger(&["status", "--as-of", "2026-11-28", "--status", "overdue", "--json"]))
            .unwrap();
    assert_eq!(overdue.as_array().unwrap().len(), 1);
    let tagged: serde_json::Value =
        serde_json::from_str(&pledger(&["status", "--as-of", "2026-11-28", "--tag", "ai", "--json"]))
            .unwrap();
    assert_eq!(tagged[0]["id"], "ai");
    // And a repeated filter lists commitments that pass any of its values,
    // with statuses named in any case
    let ids = |args: &[&str]| -> Vec<String> {
        let rows: serde_json::Value =
            serde_json::from_str(&pledger(&[&["status", "--as-of", "2026-11-28", "--json"], args].concat()))
                .unwrap();
        rows.as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap().to_owned()).collect()
    };
    assert_eq!(ids(&["--status", "Overdue", "--status", "MET"]), ["ai", "esd"]);
    assert_eq!(ids(&["--status", "OVERDUE"]), ["esd"]);
    assert_eq!(ids(&["--tag", "rail", "--tag", "AI"]), ["ai"]);
    assert_eq!(ids(&["--party", "Korea", "--party", "india"]), ["ai", "esd"]);
    // And the table says how overdue, with a summary line
    let table = pledger(&["status", "--as-of", "2026-11-28"]);
    assert!(table.contains("151 days overdue"), "{table}");
    // And around the end of the window (2026-06-30), its last day is said to
    // be due, not "0 days left", which reads as past
    for (as_of, when) in [
        ("2026-06-28", "2 days left"),
        ("2026-06-29", "1 day left"),
        ("2026-06-30", "due today"),
        ("2026-07-01", "1 day overdue"),
    ] {
        let table = pledger(&["status", "--as-of", as_of, "--status", "pending", "--status", "overdue"]);
        assert!(table.contains(when), "as of {as_of}: {table}");
    }
    assert!(table.contains("2 commitments as of 2026-11-28, ledger at seq 4: 1 met, 1 overdue"), "{table}");
    // And --at shows what the ledger said before the outcome was recorded
    let before: serde_json::Value =
        serde_json::from_str(&pledger(&["status", "--as-of", "2026-11-28", "--at", "3", "--json"])).unwrap();
    assert_eq!(before[0]["status"], "pending");
}

#[test]
fn a_blank_party_or_tag_is_refused_but_an_unknown_one_lists_nothing_with_a_note() {
    // Given a ledger with a tagged commitment
    let t = crate::support::TestLedger::new();
    let tagged = r#"{"type":"commitment","id":"ai","announcement":"summit","title":"Launch AI dialogue","tags":["ai"]}"#;
    t.import("events.jsonl", &[ANNOUNCEMENT, tagged].join("\n"));
    let cases = [
        (["--tag", ""], "--tag <TAG>': expected a name, found an empty string"),
        (["--party", " "], "--party <NAME>': expected a name, found only white space"),
    ];
    for (filter, message) in cases {
        // When status is filtered by a blank name (an unset shell variable)
        let out = t.pledger().arg("status").args(filter).output().unwrap();
        // Then it is a usage error that says so, not an empty list
        assert_eq!(out.status.code(), Some(2), "{filter:?}");
        let err = crate::support::stderr(&out);
        assert!(err.contains(message), "{err}");
        assert!(out.stdout.is_empty(), "{filter:?}");
    }
    // And a name no commitment has lists nothing, with a note naming the tags there are
    let out = t.pledger().args(["status", "--tag", "rail"]).output().unwrap();
    assert!(out.status.success());
    let err = crate::support::stderr(&out);
    assert!(err.contains(r#"has the tag "rail" (the tags there are ai)"#), "{err}");
}

/// Given a generated ledger with every kind of event, when it is folded
/// once from borrowed events (as an import's snapshot is) and once from
/// owned ones (as a replay is), then the two projections are the same.
#[test]
fn folding_owned_events_gives_the_projection_that_folding_borrowed_ones_gives() {
    let lines = generated_lines(3000);
    let (mut borrowed, mut owned) = (Projection::default(), Projection::default());
    for (seq, line) in (1..).zip(lines) {
        let hash = pledger::chain::Hash([seq as u8; 32]);
        borrowed.apply(seq, hash, &line.event, &mut |_| None);
        owned.apply_owned(seq, hash, line.event, &mut |_| None);
    }
    assert_eq!(owned, borrowed);
    assert_eq!(owned.statuses(date("2026-11-28")), borrowed.statuses(date("2026-11-28")));
    assert!(!owned.statuses(date("2026-11-28")).is_empty());
}

/// Given a generated ledger with every kind of event, when one
/// commitment's status is asked for (as `pledger show` does), then it is
/// that commitment's row in the full list, on every date, and nothing for
/// an id that is not a commitment.
#[test]
fn the_status_of_one_commitment_is_its_row_in_the_full_list() {
    let mut projection = Projection::default();
    for (seq, line) in (1..).zip(generated_lines(3000)) {
        projection.apply_owned(seq, pledger::chain::Hash([seq as u8; 32]), line.event, &mut |_| None);
    }
    let mut compared = 0;
    for as_of in ["2025-01-01", "2026-01-16", "2026-07-01", "2026-11-28", "2030-01-01"] {
        let rows = projection.statuses(date(as_of));
        for row in &rows {
            assert_eq!(
                projection.status_of(&row.id, date(as_of)).as_ref(),
                Some(row),
                "{} as of {as_of}",
                row.id
            );
            compared += 1;
        }
        // Ids with no row that day: not commitments, or not announced yet.
        for id in ["no-such-commitment", "in-jp-2026"] {
            assert_eq!(projection.status_of(id, date(as_of)), None, "{id} as of {as_of}");
        }
    }
    assert!(compared > 1000, "{compared} rows compared");
}

/// Given a ledger whose last events are still in the journal, more of them
/// than one decoding batch holds (appended in blocks, so no checkpoint has
/// moved them into sled), and a snapshot inside that tail, when the events
/// from late in the tail are read and the status is taken, then every event
/// is there, and the status is the one the same ledger gives once reopened.
#[test]
fn a_long_journaled_tail_is_read_whole_from_any_seq() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("l.db");
    let ledger = Ledger::open(&path, OpenMode::Create).unwrap().with_snapshot_every(15_000);
    let stamp = stamp();
    for block in generated_lines(16_000).chunks(400) {
        ledger.append(block, None, &stamp).unwrap();
    }
    assert_eq!(ledger.head().unwrap().seq, 16_000);
    assert_eq!(ledger.envelopes(15_500).count(), 501);
    assert_eq!(ledger.envelopes(1).count(), 16_000);
    let projection = ledger.projection(None).unwrap();
    assert_eq!(projection.seq, 16_000);
    let statuses = projection.statuses(date("2026-11-28"));
    drop(ledger);
    let reopened = Ledger::open(&path, OpenMode::Existing).unwrap();
    assert_eq!(reopened.projection(None).unwrap().statuses(date("2026-11-28")), statuses);
    assert_eq!(reopened.projection_replayed(None).unwrap().statuses(date("2026-11-28")), statuses);
}

/// A ledger of 3,000 generated events appended in groups of 700, with a
/// snapshot every 1,000, and its newest snapshot.
fn ledger_of_3000_events_with_snapshots(dir: &std::path::Path) -> (Ledger, Projection) {
    let ledger = Ledger::open(&dir.join("l.db"), OpenMode::Create).unwrap().with_snapshot_every(1000);
    let stamp = stamp();
    for group in generated_lines(3000).chunks(700) {
        ledger.append(group, None, &stamp).unwrap();
    }
    let head = ledger.head().unwrap().seq;
    let newest = ledger.newest_snapshot(head).unwrap().expect("a snapshot was kept");
    (ledger, newest)
}

/// Given a ledger whose newest snapshot is stored as stores written before
/// snapshot part trees kept it (pieces cut anywhere, mid-line too, in one
/// tree), when its projection is read, then that snapshot is used, and it
/// gives what a full replay gives.
#[test]
fn a_snapshot_stored_the_old_way_in_pieces_cut_mid_line_is_still_read() {
    let dir = tempfile::tempdir().unwrap();
    let (ledger, newest) = ledger_of_3000_events_with_snapshots(dir.path());
    let head = ledger.head().unwrap().seq;
    for piece in [1000, 4097] {
        ledger.store().intruder().rewrite_snapshot_as_legacy(
            newest.seq,
            newest.hash,
            &newest.to_snapshot(),
            piece,
        );
        let read = ledger.newest_snapshot(head).unwrap();
        assert_eq!(read.as_ref().map(|p| p.seq), Some(newest.seq), "pieces of {piece} bytes");
        assert!(read.as_ref() == Some(&newest), "pieces of {piece} bytes: the snapshot read back differs");
        let (from_snapshot, replayed) =
            (ledger.projection(None).unwrap(), ledger.projection_replayed(None).unwrap());
        assert!(from_snapshot == replayed, "pieces of {piece} bytes: the projection differs from a replay");
    }
}

/// Given a ledger whose newest snapshot is stored in many parts, each ending
/// at a line end (as a snapshot too large for one part is), when its
/// projection is read, then that snapshot is used and gives what a full
/// replay gives; and once one of its parts is missing, it is not used, and
/// the projection is still the replay's.
#[test]
fn a_snapshot_stored_in_many_parts_is_read_whole_or_not_at_all() {
    let dir = tempfile::tempdir().unwrap();
    let (ledger, newest) = ledger_of_3000_events_with_snapshots(dir.path());
    let head = ledger.head().unwrap().seq;
    let bytes = newest.to_snapshot();
    let replayed = ledger.projection_replayed(None).unwrap();
    for lines_a_part in [1, 2, 3] {
        ledger.store().intruder().rewrite_snapshot_in_parts_of(newest.seq, newest.hash, &bytes, lines_a_part);
        let read = ledger.newest_snapshot(head).unwrap();
        assert!(
            read.as_ref() == Some(&newest),
            "{lines_a_part} lines a part: the snapshot read back differs"
        );
        assert!(ledger.projection(None).unwrap() == replayed, "{lines_a_part} lines a part: unlike a replay");
    }
    ledger.store().intruder().remove_snapshot_part(newest.seq, 1);
    let read = ledger.newest_snapshot(head).unwrap();
    assert_ne!(read.map(|p| p.seq), Some(newest.seq), "a snapshot missing a part was used");
    assert!(ledger.projection(None).unwrap() == replayed, "with a part missing: unlike a replay");
}

/// Given a snapshot's bytes handed over in parts as a store reads them,
/// when they are decoded part by part as they come, then the projection is
/// the one the whole bytes give, however the parts are cut; lines moved out
/// of their places, or a part that cannot be read, give no projection.
#[test]
fn a_snapshot_decoded_as_its_parts_are_read_is_the_snapshot_or_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = ledger_from(dir.path(), &[], 0);
    let stamp = stamp();
    ledger.append(&generated_lines(8000), None, &stamp).unwrap();
    let projection = ledger.projection(None).unwrap();
    let bytes = projection.to_snapshot();
    let lines: Vec<Vec<u8>> = bytes.split_inclusive(|&b| b == b'\n').map(<[u8]>::to_vec).collect();
    assert!(lines.len() >= 5, "a snapshot of several lines of entries ({} lines)", lines.len());
    let read = |parts: Vec<Vec<u8>>| Projection::from_snapshot_read(parts.into_iter().map(Ok::<_, ()>));
    let whole = |parts: Vec<Vec<u8>>| read(parts).unwrap().is_some_and(|p| p == projection);
    // As a store keeps a large snapshot: the marker and the header in the
    // first part, which is then decoded alone too, and a line a part after.
    let parts_of =
        |lines: Vec<Vec<u8>>| -> Vec<Vec<u8>> { [vec![lines[..2].concat()], lines[2..].to_vec()].concat() };
    // The lines with the header's count of lines of announcements moved by `by`.
    let recounted = |by: i64| -> Vec<Vec<u8>> {
        let mut header: serde_json::Value = serde_json::from_slice(&lines[1]).unwrap();
        header[3] = (header[3].as_i64().unwrap() + by).into();
        let mut lines = lines.clone();
        lines[1] = format!("{header}\n").into_bytes();
        lines
    };
    let mut last_moved_first = lines.clone();
    let last = last_moved_first.pop().unwrap();
    last_moved_first.insert(2, last);
    let announcement_lines =
        serde_json::from_slice::<serde_json::Value>(&lines[1]).unwrap()[3].as_u64().unwrap();
    let mut announcements_short = recounted(1);
    announcements_short.truncate(2 + announcement_lines as usize);
    // An empty line of entries decodes as either kind: the joined path
    // reads it as commitments where commitments go.
    let mut with_empty_line = lines.clone();
    with_empty_line.push(b"[]\n".to_vec());
    let mut headless = lines.clone();
    headless.remove(1);
    let cases: Vec<(&str, Vec<Vec<u8>>, bool)> = vec![
        ("one part", vec![bytes.clone()], true),
        ("a line a part after the header", parts_of(lines.clone()), true),
        ("two lines a part", lines.chunks(2).map(<[Vec<u8>]>::concat).collect(), true),
        ("a line a part, the marker alone first", lines.clone(), true),
        ("cut mid-line", bytes.chunks(1000).map(<[u8]>::to_vec).collect(), true),
        ("an empty line of entries last", parts_of(with_empty_line), true),
        ("the last line moved first", parts_of(last_moved_first), false),
        ("the header counting a line of announcements more", parts_of(recounted(1)), false),
        ("the header counting a line of announcements fewer", parts_of(recounted(-1)), false),
        ("the header counting a line of announcements past the last", parts_of(announcements_short), false),
        ("no header", parts_of(headless), false),
        ("no final newline", vec![bytes[..bytes.len() - 1].to_vec()], false),
        ("no parts", Vec::new(), false),
    ];
    for (case, parts, expected) in cases {
        let got = read(parts.clone()).unwrap();
        assert_eq!(got.is_some(), expected, "{case}: a projection or none");
        assert!(!expected || whole(parts), "{case}: the projection differs from the snapshot's");
    }
    let failing = lines.iter().map(|l| Ok(l.clone())).take(3).chain([Err("part 3 unreadable")]);
    assert_eq!(Projection::from_snapshot_read(failing).err(), Some("part 3 unreadable"));
}

/// Given a ledger with a snapshot, and the parts of another snapshot that a
/// process killed before listing it left behind, when the ledger is opened
/// to read and then to write, then reading leaves the parts, writing
/// removes them, and the listed snapshot is still used.
#[test]
fn parts_of_a_snapshot_never_listed_are_removed_when_the_ledger_is_next_opened_to_write() {
    let t = crate::support::TestLedger::new();
    let path = t.path();
    let ledger = Ledger::open(&path, OpenMode::Create).unwrap().with_snapshot_every(2);
    let stamp = stamp();
    let (lines, _) = read_lines("t.jsonl", [ANNOUNCEMENT, H1].join("\n").as_bytes(), |_| {});
    ledger.append(&lines, None, &stamp).unwrap();
    let listed = ledger.store().intruder().snapshot_part_trees();
    assert!(!listed.is_empty(), "the append kept a snapshot");
    ledger.store().write_snapshot_parts(4, b"a snapshot never listed\n").unwrap();
    drop(ledger);
    let reader = Ledger::open(&path, OpenMode::Existing).unwrap();
    assert!(reader.store().intruder().snapshot_part_trees().len() > listed.len(), "reading removes nothing");
    drop(reader);
    let writer = Ledger::open(&path, OpenMode::Create).unwrap();
    assert_eq!(writer.store().intruder().snapshot_part_trees(), listed);
    assert_eq!(writer.newest_snapshot(2).unwrap().map(|p| p.seq), Some(2));
}

mod snapshots {
    use super::*;
    use proptest::prelude::*;

    /// A random but valid ledger: commitments under two announcements, and
    /// meetings, revisions, outcomes and retractions about them.
    fn arb_ledger() -> impl Strategy<Value = Vec<String>> {
        let op = prop_oneof![
            (0u8..6, 0u32..400).prop_map(|(c, d)| format!("meet {c} {d}")),
            (0u8..6, 0u32..400, 0u8..4).prop_map(|(c, d, p)| format!("revise {c} {d} {p}")),
            (0u8..6, 0u32..400, 0u8..3).prop_map(|(c, d, k)| format!("outcome {c} {d} {k}")),
            (1u64..40).prop_map(|s| format!("retract {s}")),
        ];
        proptest::collection::vec(op, 0..40)
    }

    fn lines_for(ops: &[String]) -> Vec<String> {
        let phrases = ["first half of 2026", "by the end of 2026", "early 2026", "soon"];
        let day = |d: u32| (date("2026-01-16") + chrono::Days::new(d as u64)).to_string();
        let mut lines = vec![
            ANNOUNCEMENT.to_owned(),
            r#"{"type":"announcement","id":"later","date":"2026-06-01","title":"Later","parties":["Japan"]}"#
                .to_owned(),
        ];
        for c in 0..6 {
            let ann = if c < 4 { "summit" } else { "later" };
            lines.push(format!(
                r#"{{"type":"commitment","id":"c{c}","announcement":"{ann}","title":"C{c}","deadline":"{}"}}"#,
                phrases[c % 4]
            ));
        }
        // Dates are offset past the later announcement so every reference is valid.
        for (i, op) in ops.iter().enumerate() {
            let parts: Vec<&str> = op.split(' ').collect();
            let n = |k: usize| parts[k].parse::<u32>().unwrap();
            let line = match parts[0] {
                "meet" => format!(
                    r#"{{"type":"meeting","id":"m{i}","date":"{}","title":"M","fulfils":["c{}"]}}"#,
                    day(140 + n(2)),
                    n(1)
                ),
                "revise" => format!(
                    r#"{{"type":"deadline","commitment":"c{}","date":"{}","deadline":"{}","reason":"r{i}"}}"#,
                    n(1),
                    day(140 + n(2)),
                    ["by the end of 2027", "within 90 days", "soon", "early 2028"][n(3) as usize]
                ),
                "outcome" => {
                    let kind = ["met", "cancelled", "superseded"][n(3) as usize];
                    let by = if kind == "superseded" {
                        format!(r#","by":"c{}""#, (n(1) + 1) % 6)
                    } else {
                        String::new()
                    };
                    format!(
                        r#"{{"type":"outcome","commitment":"c{}","date":"{}","outcome":"{kind}"{by},"note":"n{i}"}}"#,
                        n(1),
                        day(140 + n(2))
                    )
                }
                _ => {
                    let target = (n(1) as usize).min(lines.len());
                    format!(r#"{{"type":"retraction","retracts":{target},"reason":"r{i}"}}"#)
                }
            };
            lines.push(line);
        }
        lines
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

        /// Given a ledger with snapshots every few events, when asking for
        /// status at any position and date, then the snapshot-plus-tail
        /// answer equals the full-replay answer.
        #[test]
        fn snapshot_plus_tail_equals_full_replay(ops in arb_ledger(), every in 2u64..7, at_frac in 0.0f64..=1.0, day in 0u32..800) {
            let lines = lines_for(&ops);
            let groups: Vec<Vec<&str>> = lines.chunks(5).map(|c| c.iter().map(String::as_str).collect()).collect();
            let group_refs: Vec<&[&str]> = groups.iter().map(Vec::as_slice).collect();
            let dir = tempfile::tempdir().unwrap();
            let ledger = ledger_from(dir.path(), &group_refs, every);
            let head = ledger.head().unwrap().seq;
            let at = ((head as f64) * at_frac).round() as u64;
            let as_of = date("2026-01-01") + chrono::Days::new(day as u64);
            let from_snapshot = ledger.projection(Some(at)).unwrap();
            let replayed = ledger.projection_replayed(Some(at)).unwrap();
            prop_assert_eq!(&from_snapshot, &replayed);
            prop_assert_eq!(from_snapshot.statuses(as_of), replayed.statuses(as_of));
            if head >= every {
                prop_assert!(ledger.newest_snapshot(head).unwrap().is_some(), "a snapshot was kept");
            }
        }
    }
}

#[test]
fn a_replay_to_any_position_of_a_long_ledger_equals_its_events_folded_one_by_one() {
    // Given a generated ledger of 15,000 events, which a replay reads in
    // three batches (the next decoded while one is folded), with no snapshot
    let dir = tempfile::tempdir().unwrap();
    let ledger = Ledger::open(&dir.path().join("l.db"), OpenMode::Create).unwrap().with_snapshot_every(0);
    ledger.append(&generated_lines(15_000), None, &stamp()).unwrap();
    let folded = |at: u64| {
        let mut projection = Projection::default();
        for envelope in ledger.envelopes(1).take(at as usize) {
            let envelope = envelope.unwrap();
            projection.apply_owned(envelope.seq, envelope.hash, envelope.event, &mut |_| None);
        }
        projection
    };
    // when it is replayed to a position in the first, the second and the
    // last batch, to the head, and past it
    for (at, expected) in [(1, 1), (5_000, 5_000), (9_999, 9_999), (15_000, 15_000), (20_000, 15_000)] {
        let replayed = ledger.projection_replayed(Some(at)).unwrap();
        // then each stops there and equals the events up to there folded one at a time
        assert_eq!(replayed.seq, expected, "at {at}");
        assert!(replayed == folded(expected), "at {at}: the replay differs from the fold");
    }
}

#[test]
fn due_lists_pending_commitments_whose_window_ends_within_the_span_soonest_first() {
    // Given commitments with deadlines ending on 2026-02-28 (met on 2026-02-10),
    // 2026-03-31, 2026-06-30 and 2026-12-31, and one with no deadline
    let t = crate::support::TestLedger::new();
    let commitment = |id: &str, deadline: Option<&str>| {
        let deadline = deadline.map(|d| format!(r#","deadline":"{d}""#)).unwrap_or_default();
        format!(r#"{{"type":"commitment","id":"{id}","announcement":"summit","title":"{id}"{deadline}}}"#)
    };
    let lines = [
        ANNOUNCEMENT.to_owned(),
        commitment("feb", Some("by the end of February 2026")),
        commitment("mar", Some("by the end of March 2026")),
        commitment("h1", Some("first half of 2026")),
        commitment("year", Some("by the end of 2026")),
        commitment("undated", None),
        r#"{"type":"meeting","id":"m","date":"2026-02-10","title":"Met","fulfils":["feb"]}"#.to_owned(),
    ];
    t.import("events.jsonl", &(lines.join("\n") + "\n"));
    // (as of, span, the ids listed, in order)
    let cases: &[(&str, &str, &[&str])] = &[
        ("2026-03-01", "30d", &["mar"]),
        ("2026-03-01", "4w", &[]),
        ("2026-03-01", "30", &["mar"]),
        ("2026-03-01", "18w", &["mar", "h1"]),
        ("2026-03-01", "99999d", &["mar", "h1", "year"]),
        ("2026-03-01", "99999999999d", &["mar", "h1", "year"]),
        ("2026-03-01", "99999999999999999999999w", &["mar", "h1", "year"]),
        // Once March has passed, its commitment is overdue, not due
        ("2026-04-01", "13w", &["h1"]),
        // Before the meeting that met it, the February one was due too
        ("2026-01-16", "45d", &["feb"]),
        // The span's last day counts: 43 days reach 2026-02-28, six weeks stop a day short
        ("2026-01-16", "43d", &["feb"]),
        ("2026-01-16", "6w", &[]),
    ];
    for (as_of, span, expected) in cases {
        // When asking what is due within the span
        let out = t.pledger().args(["due", "--json", "--as-of", as_of, "--within", span]).output().unwrap();
        assert!(out.status.success(), "{as_of} {span}: {}", crate::support::stderr(&out));
        // Then exactly the pending commitments whose window ends by then are listed, soonest first
        let rows: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
        let ids: Vec<&str> = rows.iter().map(|r| r["id"].as_str().unwrap()).collect();
        assert_eq!(ids, *expected, "as of {as_of}, within {span}");
    }
    // And with --at, what the ledger said before the meeting (seq 7) was recorded
    let out = t
        .pledger()
        .args(["due", "--json", "--as-of", "2026-02-15", "--within", "14d", "--at", "6"])
        .output()
        .unwrap();
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(rows.iter().map(|r| r["id"].as_str().unwrap()).collect::<Vec<_>>(), ["feb"]);
    let out =
        t.pledger().args(["due", "--json", "--as-of", "2026-02-15", "--within", "14d"]).output().unwrap();
    assert_eq!(crate::support::stdout(&out).trim(), "[]");
    // And a span past the calendar's end finds nothing due from the date on
    let out =
        t.pledger().args(["due", "--as-of", "2027-01-01", "--within", "99999999999d"]).output().unwrap();
    assert_eq!(crate::support::stdout(&out), "nothing due from 2027-01-01 on\n");
    // as does one that reaches past it from a date near it, rather than name a year past 9999
    let out = t.pledger().args(["due", "--as-of", "9999-12-20", "--within", "4w"]).output().unwrap();
    assert_eq!(crate::support::stdout(&out), "nothing due from 9999-12-20 on\n");
    // And a span that is not one is refused
    for (span, says) in [
        ("a month", "expected a span such as 30d or 4w, found \"a month\""),
        ("30 days", "expected a span such as 30d or 4w, found \"30 days\""),
        ("d", "expected a span such as 30d or 4w, found \"d\""),
        ("3.5w", "expected a span such as 30d or 4w, found \"3.5w\""),
    ] {
        let out = t.pledger().args(["due", "--within", span]).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{span}");
        assert!(crate::support::stderr(&out).contains(says), "{span}: {}", crate::support::stderr(&out));
    }
}

#[test]
fn a_party_or_tag_filter_that_nothing_could_pass_is_named_as_such() {
    // Given commitments of India and Japan, tagged "ai" and "minerals"
    let t = crate::support::TestLedger::new();
    let ai = r#"{"type":"commitment","id":"ai","announcement":"summit","title":"AI","tags":["ai"]}"#;
    let minerals =
        r#"{"type":"commitment","id":"min","announcement":"summit","title":"Minerals","tags":["minerals"]}"#;
    t.import("events.jsonl", &[ANNOUNCEMENT, ai, minerals].join("\n"));
    // (the filter, how many are listed, the note on stderr, if any)
    let cases: &[(&[&str], usize, Option<&str>)] = &[
        (
            &["--party", "Inida"],
            0,
            Some(
                r#"note: no commitment listed as of 2026-11-28 has the party "Inida" (the parties there are India, Japan)"#,
            ),
        ),
        (
            &["--tag", "AJ"],
            0,
            Some(
                r#"note: no commitment listed as of 2026-11-28 has the tag "AJ" (the tags there are ai, minerals)"#,
            ),
        ),
        // Tags, like parties, match regardless of case
        (&["--tag", "AI"], 1, None),
        // A party that is there, in any case, but with no commitment of the status asked for: no note
        (&["--party", "india", "--status", "cancelled"], 0, None),
        (&["--party", "india"], 2, None),
        (&["--tag", "ai"], 1, None),
    ];
    for (filter, listed, note) in cases {
        // When filtering the statuses
        let out =
            t.pledger().args(["status", "--as-of", "2026-11-28", "--json"]).args(*filter).output().unwrap();
        // Then the listing is as filtered, and a filter no commitment could pass is named on stderr
        assert!(out.status.success(), "{filter:?}");
        let rows: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(rows.len(), *listed, "{filter:?}");
        let stderr = crate::support::stderr(&out);
        assert_eq!(stderr.trim_end(), note.unwrap_or(""), "{filter:?}");
    }
}

/// An outcome line: `commitment` superseded by `by` on `date`.
fn superseded(commitment: &str, by: &str, date: &str) -> String {
    format!(
        r#"{{"type":"outcome","commitment":"{commitment}","date":"{date}","outcome":"superseded","by":"{by}"}}"#
    )
}

/// A commitment of the summit with H1's deadline.
fn commitment(id: &str) -> String {
    format!(
        r#"{{"type":"commitment","id":"{id}","announcement":"summit","title":"{id}","deadline":"first half of 2026"}}"#
    )
}

/// Rule 6: given commitments whose supersessions would go round in a cycle,
/// when their statuses are taken, then the supersession that closes the
/// cycle (the last dated; on a tie, the later in the chain) counts for
/// nothing, and its commitment is judged by its next ending or its deadline.
#[test]
fn a_supersession_that_would_close_a_cycle_counts_for_nothing() {
    // Each case records c1, c2 and c3 (seqs 2-4), then its events (from seq
    // 5), written `c1>c2@DATE` (c1 superseded by c2), `c2 cancelled@DATE`,
    // `c2 met@DATE` or `retract SEQ`; then (as of, id, status, superseded by).
    type Expect<'a> = (&'a str, &'a str, Status, Option<&'a str>);
    let cases: [(&str, &str, &[Expect]); 7] = [
        (
            "two commitments superseded by each other",
            "c1>c2@2026-03-01 c2>c1@2026-04-01",
            &[
                ("2026-03-15", "c1", Superseded, Some("c2")),
                ("2026-03-15", "c2", Pending, None),
                ("2026-05-01", "c1", Superseded, Some("c2")),
                ("2026-05-01", "c2", Pending, None),
                ("2026-07-01", "c2", Overdue, None),
            ],
        ),
        (
            "the earlier dated counts, whichever was recorded first",
            "c2>c1@2026-04-01 c1>c2@2026-03-01",
            &[("2026-07-01", "c1", Superseded, Some("c2")), ("2026-07-01", "c2", Overdue, None)],
        ),
        (
            "on one date, the later in the chain counts for nothing",
            "c2>c1@2026-04-01 c1>c2@2026-04-01",
            &[("2026-07-01", "c2", Superseded, Some("c1")), ("2026-07-01", "c1", Overdue, None)],
        ),
        (
            "a cycle of three",
            "c1>c2@2026-03-01 c2>c3@2026-04-01 c3>c1@2026-05-01",
            &[
                ("2026-07-01", "c1", Superseded, Some("c2")),
                ("2026-07-01", "c2", Superseded, Some("c3")),
                ("2026-07-01", "c3", Overdue, None),
                ("2026-04-15", "c3", Pending, None),
            ],
        ),
        (
            "the next ending of the one left out counts",
            "c1>c2@2026-03-01 c2>c1@2026-04-01 c2_cancelled@2026-05-01",
            &[("2026-04-15", "c2", Pending, None), ("2026-05-01", "c2", Cancelled, None)],
        ),
        (
            "retracting the first supersession lets the second count",
            "c1>c2@2026-03-01 c2>c1@2026-04-01 retract_5",
            &[("2026-07-01", "c1", Overdue, None), ("2026-07-01", "c2", Superseded, Some("c1"))],
        ),
        (
            "a met replacement makes no cycle",
            "c2_met@2026-02-01 c1>c2@2026-03-01 c2>c1@2026-04-01",
            &[("2026-07-01", "c1", Superseded, Some("c2")), ("2026-07-01", "c2", Met, None)],
        ),
    ];
    let event = |written: &str| match written.split_once('@') {
        Some((what, day)) => match what.split_once('>') {
            Some((id, by)) => superseded(id, by, day),
            None => {
                let (id, outcome) = what.split_once('_').unwrap();
                format!(r#"{{"type":"outcome","commitment":"{id}","date":"{day}","outcome":"{outcome}"}}"#)
            }
        },
        None => {
            let seq = written.strip_prefix("retract_").unwrap();
            format!(r#"{{"type":"retraction","retracts":{seq},"reason":"recorded in error"}}"#)
        }
    };
    let mut failures = Vec::new();
    for (name, events, expected) in cases {
        let mut lines: Vec<String> =
            vec![ANNOUNCEMENT.to_owned(), commitment("c1"), commitment("c2"), commitment("c3")];
        lines.extend(events.split(' ').map(event));
        let group: Vec<&str> = lines.iter().map(String::as_str).collect();
        let dir = tempfile::tempdir().unwrap();
        let ledger = ledger_from(dir.path(), &[&group], 10_000);
        let projection = ledger.projection(None).unwrap();
        for &(as_of, id, status, by) in expected {
            let rows = projection.statuses(date(as_of));
            let row = rows.iter().find(|r| r.id == id).unwrap();
            let got = (row.status, row.superseded_by.as_deref());
            if got != (status, by) {
                failures
                    .push(format!("{name}: {id} as of {as_of}: expected {:?}, got {got:?}", (status, by)));
            }
            if projection.status_of(id, date(as_of)).as_ref() != Some(row) {
                failures.push(format!("{name}: {id} as of {as_of}: status_of differs from its row"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Given many small ledgers of random supersessions (random replacements,
/// dates, cancellations and retractions), when their statuses are taken,
/// then the replacements shown never go round in a cycle, the outcomes
/// left out are the ones a plain reading of rule 6 leaves out (endings in
/// date order, each commitment's first counting unless its replacement
/// leads back to it), and one commitment's status is its row in the list.
#[test]
fn supersessions_shown_never_go_round_in_a_cycle() {
    let seed = crate::support::clock_seed();
    let mut rng = crate::support::Rng(seed);
    let ids = ["c0", "c1", "c2", "c3", "c4", "c5"];
    for round in 0..150 {
        let mut lines: Vec<String> = vec![ANNOUNCEMENT.to_owned()];
        lines.extend(ids.iter().map(|id| commitment(id)));
        for _ in 0..rng.below(12) {
            let id = ids[rng.below(6) as usize];
            let day = format!("2026-0{}-{:02}", 2 + rng.below(5), 1 + rng.below(3));
            let line = match rng.below(8) {
                0 => format!(
                    r#"{{"type":"outcome","commitment":"{id}","date":"{day}","outcome":"cancelled"}}"#
                ),
                1 if lines.len() > 7 => {
                    let seq = 8 + rng.below(lines.len() as u64 - 7);
                    format!(r#"{{"type":"retraction","retracts":{seq},"reason":"r"}}"#)
                }
                _ => {
                    let by = ids.iter().filter(|b| **b != id).nth(rng.below(5) as usize).unwrap();
                    superseded(id, by, &day)
                }
            };
            lines.push(line);
        }
        let text = lines.join("\n");
        let (decoded, errors) = read_lines("r.jsonl", text.as_bytes(), |_| {});
        assert!(errors.is_empty(), "{errors:?}");
        let mut projection = Projection::default();
        for (seq, line) in (1..).zip(&decoded) {
            projection.apply_owned(seq, pledger::chain::Hash([0; 32]), line.event.clone(), &mut |_| None);
        }
        let context = format!("seed {seed}, round {round}:\n{text}");
        for as_of in ["2026-03-02", "2026-05-01", "2026-12-01"] {
            let (rows, uncounted) = projection.statuses_noting(date(as_of));
            // No cycle among the replacements shown.
            for row in &rows {
                let mut at = row.superseded_by.as_deref();
                for _ in 0..ids.len() {
                    assert_ne!(at, Some(row.id.as_str()), "{as_of}: {} comes round\n{context}", row.id);
                    at = at.and_then(|by| rows.iter().find(|r| r.id == by)?.superseded_by.as_deref());
                }
            }
            // The outcomes left out are the plain reading's.
            let mut endings: Vec<(String, u64, &str, Option<String>)> = Vec::new();
            let retractions: Vec<(u64, u64)> = projection.retractions().to_vec();
            let voided = pledger::projection::voiding(&retractions);
            for (seq, line) in (1..).zip(&decoded) {
                if let pledger::Event::Outcome(o) = &line.event {
                    let listed = rows.iter().find(|r| r.id == o.commitment.as_str());
                    let unmet = listed.is_some_and(|r| r.status != Met);
                    if unmet && !voided.contains_key(&seq) && o.date.to_string().as_str() <= as_of {
                        endings.push((
                            o.date.to_string(),
                            seq,
                            o.commitment.as_str(),
                            o.by.as_ref().map(|b| b.to_string()),
                        ));
                    }
                }
            }
            endings.sort();
            let mut counted: std::collections::HashMap<&str, Option<String>> = Default::default();
            let mut left_out = Vec::new();
            for (_, seq, id, by) in &endings {
                if counted.contains_key(id) {
                    continue;
                }
                let mut at = by.clone();
                while let Some(b) = at.clone() {
                    if b == *id {
                        break;
                    }
                    at = counted.get(b.as_str()).cloned().flatten();
                }
                if at.is_some() {
                    left_out.push(*seq);
                } else {
                    counted.insert(id, by.clone());
                }
            }
            left_out.sort();
            let got: Vec<u64> = uncounted.iter().map(|s| s.outcome).collect();
            assert_eq!(got, left_out, "{as_of}\n{context}");
            for row in &rows {
                assert_eq!(
                    projection.status_of(&row.id, date(as_of)).as_ref(),
                    Some(row),
                    "{as_of}\n{context}"
                );
            }
        }
    }
}

/// Given c1 superseded by c2, when c2 is recorded as superseded by c1 a
/// month later (in a dry run, then for real), then the outcome is appended
/// with a note that it counts for no status, a later outcome that closes
/// no cycle has no such note, and `status`, `show`, `due`, `snapshot` and
/// `report` judge c2 by its deadline and say the same; `show c1` has
/// nothing to add.
#[test]
fn the_commands_say_which_supersession_counts_for_nothing_and_why() {
    let ledger = crate::support::TestLedger::new();
    let (c1, c2) = (commitment("c1"), commitment("c2"));
    ledger.import("e.jsonl", &[ANNOUNCEMENT, &c1, &c2, &superseded("c1", "c2", "2026-03-01")].join("\n"));
    let note = "note: outcome #5 says c2 was superseded by c1, but c1 is itself superseded by c2: the \
                replacements would go round in a cycle, so #5 counts for no status (STATUS.md, rule 6)\n";
    let run = |args: &[&str]| {
        let out = ledger.pledger().args(args).output().unwrap();
        assert!(out.status.success(), "{args:?}: {}", crate::support::stderr(&out));
        (crate::support::stdout(&out), crate::support::stderr(&out))
    };
    let closing = ["record", "outcome", "c2", "--date", "2026-04-01", "--superseded-by", "c1"];
    let (_, said) = run(&[&closing[..], &["--dry-run"]].concat());
    assert!(said.contains(note), "{said}");
    let (_, said) = run(&closing);
    assert!(said.contains(note), "{said}");
    // An outcome that closes no cycle says nothing of the one that did.
    let (_, said) = run(&["record", "outcome", "c1", "--date", "2026-05-01", "--cancelled"]);
    assert!(!said.contains("cycle"), "{said}");
    let (table, said) = run(&["status", "--as-of", "2026-07-01"]);
    assert!(table.contains("c2  overdue"), "{table}");
    assert_eq!(said, note);
    let (story, said) = run(&["show", "c2", "--as-of", "2026-07-01"]);
    assert!(story.contains("status as of 2026-07-01: overdue"), "{story}");
    assert_eq!(said, note);
    assert_eq!(run(&["show", "c1", "--as-of", "2026-07-01"]).1, "");
    let (due, said) = run(&["due", "--as-of", "2026-04-15", "--within", "90d"]);
    assert!(due.contains("c2  pending"), "{due}");
    assert_eq!(said, note);
    let (published, said) = run(&["snapshot", "--as-of", "2026-07-01"]);
    assert!(published.contains(r#""status": "overdue""#), "{published}");
    assert_eq!(said, note);
    let (scores, said) = run(&["report", "--as-of", "2026-07-01"]);
    assert!(scores.contains("India            0         0        0        1"), "{scores}");
    assert_eq!(said, note);
}

/// Given a chain of 25 replacements (c1 by c2, …, c24 by c25) and c25
/// recorded as superseded by each of c1 … c24, when the statuses are
/// listed, then each of those 24 outcomes counts for nothing, the first
/// 20 notes name the chain they would close (five steps, then how many
/// more), and one line counts the rest.
#[test]
fn many_outcomes_that_close_cycles_are_noted_twenty_at_most() {
    let ledger = crate::support::TestLedger::new();
    let mut lines = vec![ANNOUNCEMENT.to_owned()];
    lines.extend((1..=25).map(|i| commitment(&format!("c{i}"))));
    lines.extend((1..25).map(|i| superseded(&format!("c{i}"), &format!("c{}", i + 1), "2026-02-01")));
    lines.extend((1..25).map(|i| superseded("c25", &format!("c{i}"), "2026-03-01")));
    ledger.import("chain.jsonl", &lines.join("\n"));
    let out = ledger.pledger().args(["status", "--as-of", "2026-07-01"]).output().unwrap();
    assert!(out.status.success());
    let said = crate::support::stderr(&out);
    let notes: Vec<&str> = said.lines().collect();
    assert_eq!(notes.len(), 21, "{said}");
    assert_eq!(
        notes[0],
        "note: outcome #51 says c25 was superseded by c1, but c1 is itself superseded by c25 (through c2, c3, \
         c4, c5, c6 and 18 more): the replacements would go round in a cycle, so #51 counts for no status \
         (STATUS.md, rule 6)"
    );
    assert!(notes[19].starts_with("note: outcome #70 says c25 was superseded by c20, but c20 is itself superseded by c25 (through c21, c22, c23, c24):"), "{}", notes[19]);
    assert_eq!(
        notes[20],
        "note: 4 more outcomes count for no status because their replacements would go round in a cycle"
    );
    assert!(crate::support::stdout(&out).contains("c25  overdue"));
}

/// Given c2 cancelled, then c1 superseded by c2 and c2 by c1, when the
/// cancellation is retracted (in a dry run, then for real), then the
/// retraction says that c2's supersession now counts for nothing.
#[test]
fn a_retraction_that_lets_a_cycle_close_says_so() {
    let ledger = crate::support::TestLedger::new();
    let cancelled = r#"{"type":"outcome","commitment":"c2","date":"2026-02-01","outcome":"cancelled"}"#;
    let lines = [
        ANNOUNCEMENT,
        &commitment("c1"),
        &commitment("c2"),
        cancelled,
        &superseded("c1", "c2", "2026-02-02"),
        &superseded("c2", "c1", "2026-02-03"),
    ]
    .join("\n");
    ledger.import("e.jsonl", &lines);
    let note = "note: outcome #6 says c2 was superseded by c1, but c1 is itself superseded by c2: the \
                replacements would go round in a cycle, so #6 counts for no status (STATUS.md, rule 6)";
    for dry_run in [true, false] {
        let mut retract = ledger.pledger();
        retract.args(["retract", "4", "--reason", "recorded in error"]);
        if dry_run {
            retract.arg("--dry-run");
        }
        let out = retract.output().unwrap();
        assert!(out.status.success());
        assert!(
            crate::support::stderr(&out).contains(note),
            "dry run {dry_run}: {}",
            crate::support::stderr(&out)
        );
    }
}
