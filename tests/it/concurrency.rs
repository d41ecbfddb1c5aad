//! Concurrent writers: threads appending through the library with the head
//! they expect, retrying on conflict as `Ledger::append` documents, end with
//! one unforked chain holding every successful event exactly once; and a
//! second process is told the ledger is in use while the first keeps
//! working.
//!
//! Settings: `PLEDGER_WRITERS` (threads, default 4) and
//! `PLEDGER_WRITES` (events per thread, default 25).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use chrono::Utc;
use pledger::audit::{self, Verdict};
use pledger::input::{self, Line};
use pledger::ledger::{AppendError, RejectError};
use pledger::{Event, Stamp};

use crate::support::{announcement, env_u64, sample, stderr, TestLedger};

fn line(text: &str) -> Line {
    let event = input::decode_line(text).unwrap();
    Line { origin: input::Origin { file: "<test>".into(), line: 1 }, event }
}

/// Runs `writer(w)` on `n` threads at once (`w` from 0), and waits for all.
fn on_threads(n: usize, writer: impl Fn(usize) + Sync) {
    std::thread::scope(|scope| {
        for w in 0..n {
            let writer = &writer;
            scope.spawn(move || writer(w));
        }
    });
}

fn stamp(by: &str) -> Stamp {
    Stamp { now: Utc::now(), by: by.into() }
}

#[test]
fn writers_with_expected_heads_never_fork_or_lose_the_chain() {
    let writers = env_u64("PLEDGER_WRITERS", 4);
    let writes = env_u64("PLEDGER_WRITES", 25);
    // given one ledger shared by several writer threads
    let t = TestLedger::new();
    let ledger = Arc::new(t.open());
    let conflicts = Arc::new(AtomicU64::new(0));
    // when each appends its events, expecting the head it read, and re-reads
    // the head and retries whenever the head moved
    let handles: Vec<_> = (0..writers)
        .map(|w| {
            let (ledger, conflicts) = (ledger.clone(), conflicts.clone());
            std::thread::spawn(move || {
                let mut landed = Vec::new();
                for i in 0..writes {
                    let id = format!("w{w}-e{i}");
                    let lines = [line(&announcement(&id))];
                    loop {
                        let expected = ledger.head().unwrap();
                        match ledger.append(&lines, Some(expected), &stamp(&format!("writer {w}"))) {
                            Ok(appended) => {
                                assert_eq!(appended.new.len(), 1);
                                assert_eq!(
                                    appended.new[0].seq,
                                    expected.seq + 1,
                                    "{id} did not follow its head"
                                );
                                landed.push((id, appended.new[0].seq));
                                break;
                            }
                            Err(RejectError::Append(AppendError::Conflict { expected: e, current })) => {
                                assert_eq!(e, expected);
                                assert_ne!(current, expected, "a conflict must name a moved head");
                                conflicts.fetch_add(1, Ordering::Relaxed);
                            }
                            Err(other) => panic!("{id}: {other}"),
                        }
                    }
                }
                landed
            })
        })
        .collect();
    let landed: Vec<(String, u64)> = handles.into_iter().flat_map(|h| h.join().unwrap()).collect();
    // then the chain verifies and holds every landed event once, at the seq
    // its append reported
    let n = writers * writes;
    let verdict = audit::verify(ledger.store(), None).unwrap();
    assert!(matches!(verdict, Verdict::Intact { events, .. } if events == n), "{verdict:?}");
    let mut seen: HashMap<String, u64> = HashMap::new();
    for envelope in ledger.envelopes(1) {
        let envelope = envelope.unwrap();
        let Event::Announcement(a) = envelope.event else { panic!("unexpected event {envelope:?}") };
        assert!(seen.insert(a.id.to_string(), envelope.seq).is_none(), "{} recorded twice", a.id);
    }
    assert_eq!(seen.len() as u64, n);
    for (id, seq) in landed {
        assert_eq!(seen.get(&id), Some(&seq), "{id}");
    }
    println!(
        "concurrent writers: {writers} threads, {n} events, {} conflicts retried",
        conflicts.load(Ordering::Relaxed)
    );
}

#[test]
fn writers_racing_for_a_snapshot_position_leave_only_snapshots_that_match_a_replay() {
    // (A race lost at the wrong moment is rare, so the scenario runs on
    // eight fresh ledgers.)
    for _ in 0..8 {
        // given one ledger that keeps a snapshot every 3 events, shared by
        // four writer threads, so that writers that lose a race for a head
        // have folded a snapshot for the same position as the winner
        let t = TestLedger::new();
        let ledger = t.open().with_snapshot_every(3);
        // when each appends 30 events one by one, retrying on conflict
        on_threads(4, |w| {
            for i in 0..30 {
                let lines = [line(&announcement(&format!("race-{w}-{i}")))];
                loop {
                    let expected = ledger.head().unwrap();
                    match ledger.append(&lines, Some(expected), &stamp("racer")) {
                        Ok(_) => break,
                        Err(RejectError::Append(AppendError::Conflict { .. })) => continue,
                        Err(other) => panic!("{other}"),
                    }
                }
            }
        });
        // then every snapshot kept reads back as exactly the projection a
        // replay gives at its position
        let heads = ledger.store().snapshot_heads().unwrap();
        assert!(!heads.is_empty(), "snapshots were kept");
        for (at, _) in heads {
            let snapshot = ledger.newest_snapshot(at).unwrap();
            assert_eq!(snapshot.as_ref().map(|p| p.seq), Some(at), "the snapshot at {at} does not read back");
            assert!(
                snapshot == Some(ledger.projection_replayed(Some(at)).unwrap()),
                "the snapshot at {at} differs"
            );
        }
    }
}

#[test]
fn appends_without_an_expected_head_all_land_too() {
    // given writer threads that let the library check against the current head
    let t = TestLedger::new();
    let ledger = t.open();
    on_threads(4, |w| {
        for i in 0..10 {
            let lines = [line(&announcement(&format!("free-{w}-{i}")))];
            // a conflict can still happen between check and write: retry
            while let Err(e) = ledger.append(&lines, None, &stamp("free")) {
                assert!(matches!(e, RejectError::Append(AppendError::Conflict { .. })), "{e}");
            }
        }
    });
    // then all 40 are in one verified chain
    let verdict = audit::verify(ledger.store(), None).unwrap();
    assert!(matches!(verdict, Verdict::Intact { events: 40, .. }), "{verdict:?}");
}

#[test]
fn verifying_while_writers_append_never_reports_a_broken_chain() {
    // given a ledger with some history, and writer threads appending to it
    let t = TestLedger::new();
    t.import("first.jsonl", &sample(3));
    let ledger = t.open();
    let done = std::sync::atomic::AtomicBool::new(false);
    let verdicts = std::thread::scope(|scope| {
        let writers: Vec<_> = (0..2)
            .map(|w| {
                let (ledger, done) = (&ledger, &done);
                scope.spawn(move || {
                    for i in 0..40 {
                        let lines = [line(&announcement(&format!("during-{w}-{i}")))];
                        while let Err(e) = ledger.append(&lines, None, &stamp("writer")) {
                            assert!(matches!(e, RejectError::Append(AppendError::Conflict { .. })), "{e}");
                        }
                    }
                    done.store(true, Ordering::SeqCst);
                })
            })
            .collect();
        // when the chain is verified again and again meanwhile
        let mut verdicts = Vec::new();
        while !done.load(Ordering::SeqCst) || verdicts.len() < 20 {
            verdicts.push(audit::verify(ledger.store(), None).unwrap());
        }
        for writer in writers {
            writer.join().unwrap();
        }
        verdicts
    });
    // then every verification found an intact chain, each at least as long as the one before
    let mut last = 0;
    for verdict in &verdicts {
        let Verdict::Intact { events, .. } = verdict else { panic!("{verdict:?}") };
        assert!(*events >= last, "{events} after {last}");
        last = *events;
    }
}

#[test]
fn a_second_process_is_told_the_ledger_is_in_use_while_the_first_keeps_working() {
    // given a process (this one) appending to a ledger
    let t = TestLedger::new();
    t.import("events.jsonl", &sample(2));
    let ledger = Arc::new(t.open());
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let worker = {
        let (ledger, stop) = (ledger.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut i = 0;
            while !stop.load(Ordering::Relaxed) || i < 5 {
                ledger.append(&[line(&announcement(&format!("busy-{i}")))], None, &stamp("first")).unwrap();
                i += 1;
            }
            i
        })
    };
    // when a second process tries to append, read and verify
    let path = t.path().display().to_string();
    for args in [vec!["append", "--json", &announcement("second")], vec!["log"], vec!["verify"]] {
        let out = t.pledger().args(&args).output().unwrap();
        // then each exits 3 naming the ledger
        assert_eq!(out.status.code(), Some(3), "{args:?}: {}", stderr(&out));
        assert_eq!(
            stderr(&out),
            format!(
                "error: the ledger at {path} is in use by another process; try again when it has finished\n"
            )
        );
    }
    // and the first process went on appending, into an intact chain
    stop.store(true, Ordering::Relaxed);
    let appended = worker.join().unwrap();
    let verdict = audit::verify(ledger.store(), None).unwrap();
    let expected = crate::support::sample_len(2) + appended;
    assert!(matches!(verdict, Verdict::Intact { events, .. } if events == expected), "{verdict:?}");
    assert!(ledger.by_id(pledger::event::IdKind::Announcement, "second").unwrap().is_none());
}

/// Appends `n` single records, each on the head before it (the journal's
/// path).
fn append_singles(store: &pledger::store::Store, n: usize) {
    for i in 0..n {
        let mut batch = pledger::store::Batch::new(store.head().unwrap());
        batch.push(format!("{{\"n\":{i}}}").as_bytes(), None, None);
        store.append(&batch).unwrap();
    }
}

/// A batch of 300 records of 1,000 bytes on the head: too large for the
/// journal, so it is checkpointed and written to segment trees.
fn large_batch(store: &pledger::store::Store) -> pledger::store::Batch {
    let mut batch = pledger::store::Batch::new(store.head().unwrap());
    for _ in 0..300 {
        batch.push(&[b'x'; 1000], None, None);
    }
    batch
}

/// The seqs a chunk scan hands out, in order, up to `last`.
fn scanned_seqs(
    chunks: impl Iterator<Item = Result<pledger::store::Chunk, pledger::store::StoreError>>,
    last: u64,
) -> Vec<u64> {
    let mut seqs = Vec::new();
    for chunk in chunks {
        for record in chunk.unwrap().records() {
            seqs.push(record.unwrap().seq());
        }
    }
    seqs.into_iter().take_while(|&seq| seq <= last).collect()
}

#[test]
fn a_scan_reads_each_record_once_while_a_checkpoint_moves_the_journaled_tail() {
    for trigger in ["a large append", "a full journal"] {
        // given records in sled and a journaled tail, and a scan started
        let dir = tempfile::tempdir().unwrap();
        let store = pledger::store::Store::open(dir.path(), pledger::OpenMode::Create).unwrap();
        store.append(&large_batch(&store)).unwrap();
        append_singles(&store, if trigger == "a full journal" { 4096 } else { 3 });
        let head = store.head().unwrap().seq;
        let scan = store.chunks(1);
        // when a checkpoint writes the tail to sled before the scan is read
        match trigger {
            "a large append" => {
                store.append(&large_batch(&store)).unwrap();
            }
            _ => append_singles(&store, 1),
        }
        // then the scan still hands out every record up to its head once, in order
        assert_eq!(scanned_seqs(scan, head), (1..=head).collect::<Vec<_>>(), "checkpoint by {trigger}");
    }
}

#[test]
fn a_checkpoint_that_fails_after_writing_to_sled_leaves_one_copy_and_is_retried() {
    // given records in sled and a journaled tail
    let dir = tempfile::tempdir().unwrap();
    let store = pledger::store::Store::open(dir.path(), pledger::OpenMode::Create).unwrap();
    store.append(&large_batch(&store)).unwrap();
    append_singles(&store, 3);
    // when the checkpoint before a large append writes the tail to sled and
    // then fails (its sync lists blobs/, which an operator removed)
    std::fs::remove_dir_all(dir.path().join("blobs")).unwrap();
    assert!(store.append(&large_batch(&store)).is_err());
    std::fs::create_dir(dir.path().join("blobs")).unwrap();
    // then reads see each record once, and the next checkpoint goes through
    assert_eq!(scanned_seqs(store.chunks(1), u64::MAX), (1..=303).collect::<Vec<_>>());
    store.append(&large_batch(&store)).unwrap();
    assert_eq!(scanned_seqs(store.chunks(1), u64::MAX), (1..=603).collect::<Vec<_>>());
}

#[test]
fn lines_checked_against_one_empty_ledger_append_to_another_but_not_once_it_has_moved() {
    // given lines checked against an empty scratch ledger, as `import` does at
    // a path with no ledger yet
    let (scratch, target) = (TestLedger::new(), TestLedger::new());
    let (scratch, target) = (scratch.open(), target.open());
    let lines = input::read_lines("events.jsonl", sample(2).as_bytes(), |_| {}).0;
    let checked = scratch.check_to_append(&lines, &stamp("import")).unwrap();
    // when they are appended to another empty ledger
    let appended = target.append_checked(checked).unwrap();
    // then it holds every line, in a chain that verifies, and the scratch
    // ledger holds nothing
    assert_eq!(appended.new.len(), lines.len());
    let verdict = audit::verify(target.store(), None).unwrap();
    assert!(
        matches!(verdict, Verdict::Intact { events, head, .. } if events == lines.len() as u64 && head == appended.head),
        "{verdict:?}"
    );
    assert_eq!(scratch.head().unwrap(), pledger::Head::EMPTY);

    // given more lines checked against the still empty scratch ledger
    let more = [line(&announcement("late"))];
    let checked = scratch.check_to_append(&more, &stamp("import")).unwrap();
    // when they are appended to the ledger that has moved on since
    let refused = target.append_checked(checked).unwrap_err();
    // then they are refused as a conflict, and nothing is appended
    assert!(
        matches!(refused, RejectError::Append(AppendError::Conflict { current, .. }) if current == appended.head),
        "{refused}"
    );
    assert_eq!(target.head().unwrap(), appended.head);
    // and so is a check of no lines at all, which has nothing to write
    let nothing = scratch.check_to_append(&[], &stamp("import")).unwrap();
    let refused = target.append_checked(nothing).unwrap_err();
    assert!(matches!(refused, RejectError::Append(AppendError::Conflict { .. })), "{refused}");
}
