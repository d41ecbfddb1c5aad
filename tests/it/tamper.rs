//! Tamper evidence: an intruder with write access changes stored data, and
//! verification must notice.
//!
//! Through the store's intruder API (a property test): flip a bit, delete an
//! event, swap two, insert a forged event with a recomputed hash but a wrong
//! link, replace an event with a self-consistent forgery, truncate the tail,
//! rewrite the head record. Plain `verify` names the first seq where the
//! chain visibly breaks; a head saved before the change catches the rest.
//!
//! On disk: random bytes of sled's own files are flipped, and the binary
//! must then report the store as damaged or the chain as broken (exit 1),
//! never panic, hang or report `ok` for content that changed.
//!
//! Settings: `PLEDGER_TAMPER_CASES` (property cases, default 64) and
//! `PLEDGER_DISK_FLIPS` (damaged copies of the store, default 24).

use std::time::{Duration, Instant};

use chrono::Utc;
use pledger::audit::{self, Break, Verdict};
use pledger::chain::{self, Hash, Head, RawRecord};
use pledger::{Ledger, OpenMode, Stamp};
use proptest::prelude::*;

use crate::support::{clock_seed, env_u64, sample, sample_len, stderr, stdout, Rng, TestLedger};

const COMMITMENTS: usize = 6;

/// What the intruder does. Indexes are taken modulo the number of records.
#[derive(Debug, Clone)]
enum Mutation {
    FlipBit { record: usize, byte: usize, bit: u8 },
    Delete { record: usize },
    Swap { a: usize, b: usize },
    InsertForged { at: usize },
    ReplaceForged { at: usize },
    TruncateTail { keep: usize },
    RewriteHead { seq: u64, hash: [u8; 32] },
    ForgeTailAndHead,
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), any::<usize>(), 0u8..8).prop_map(|(record, byte, bit)| Mutation::FlipBit {
            record,
            byte,
            bit
        }),
        any::<usize>().prop_map(|record| Mutation::Delete { record }),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::Swap { a, b }),
        any::<usize>().prop_map(|at| Mutation::InsertForged { at }),
        any::<usize>().prop_map(|at| Mutation::ReplaceForged { at }),
        any::<usize>().prop_map(|keep| Mutation::TruncateTail { keep }),
        (0u64..20, any::<[u8; 32]>()).prop_map(|(seq, hash)| Mutation::RewriteHead { seq, hash }),
        Just(Mutation::ForgeTailAndHead),
    ]
}

/// A ledger with the sample events, made through the library.
fn populated() -> (TestLedger, Ledger, Head) {
    let t = TestLedger::new();
    let ledger = Ledger::open(&t.path(), OpenMode::Create).unwrap();
    let text = sample(COMMITMENTS);
    let (lines, errors) = pledger::input::read_lines("sample", text.as_bytes(), |_| {});
    assert!(errors.is_empty(), "{errors:?}");
    let stamp = Stamp { now: Utc::now(), by: "tester".into() };
    let head = ledger.append(&lines, None, &stamp).unwrap().head;
    (t, ledger, head)
}

/// A record with this seq and link whose hash is recomputed over its bytes,
/// as an intruder who knows the format can make.
fn forged(seq: u64, prev: Hash) -> Vec<u8> {
    let body = br#"{"uuid":"01900000-0000-7000-8000-000000000000","recorded_at":"2026-01-01T00:00:00Z","recorded_by":"mallory","event":{"type":"announcement","id":"forged","date":"2026-01-01","title":"Never happened","parties":["Nobody"]}}"#;
    let mut out = Vec::new();
    chain::encode(seq, &prev, body, &mut out);
    out
}

fn head_of(record: &[u8]) -> Head {
    let (raw, _) = RawRecord::split(record).unwrap();
    Head { seq: raw.seq(), hash: raw.stored_hash() }
}

/// How plain verification must answer after a mutation.
#[derive(Debug, PartialEq)]
enum Expect {
    /// Broken, naming this first seq.
    BrokenAt(u64),
    /// Broken because the head record disagrees with the chain.
    HeadMismatch,
    /// Undetectable without a saved head: the chain is self-consistent.
    IntactWithoutSavedHead,
    /// The intruder's change happened to change nothing.
    Unchanged,
}

/// Applies `m` and says what plain verification must find.
fn apply(ledger: &Ledger, saved: Head, m: &Mutation) -> Expect {
    let intruder = ledger.store().intruder();
    let mut records = intruder.records();
    let n = records.len();
    match *m {
        Mutation::FlipBit { record, byte, bit } => {
            let r = record % n;
            let at = byte % records[r].len();
            records[r][at] ^= 1 << bit;
            intruder.replace_records(&records);
            Expect::BrokenAt(r as u64 + 1)
        }
        Mutation::Delete { record } => {
            let r = record % n;
            records.remove(r);
            intruder.replace_records(&records);
            Expect::BrokenAt(r as u64 + 1)
        }
        Mutation::Swap { a, b } => {
            let (a, b) = (a % n, b % n);
            if a == b {
                return Expect::Unchanged;
            }
            records.swap(a, b);
            intruder.replace_records(&records);
            Expect::BrokenAt(a.min(b) as u64 + 1)
        }
        Mutation::InsertForged { at } => {
            let at = at % (n + 1);
            let true_prev = if at == 0 { Hash::ZERO } else { head_of(&records[at - 1]).hash };
            let mut wrong = true_prev;
            wrong.0[0] ^= 1;
            records.insert(at, forged(at as u64 + 1, wrong));
            intruder.replace_records(&records);
            Expect::BrokenAt(at as u64 + 1)
        }
        Mutation::ReplaceForged { at } => {
            // A self-consistent forgery: the right seq and link, a recomputed
            // hash. Only the next link (or the head record) can show it.
            let at = at % n;
            let prev = if at == 0 { Hash::ZERO } else { head_of(&records[at - 1]).hash };
            records[at] = forged(at as u64 + 1, prev);
            intruder.replace_records(&records);
            if at + 1 == n {
                Expect::HeadMismatch
            } else {
                Expect::BrokenAt(at as u64 + 2)
            }
        }
        Mutation::TruncateTail { keep } => {
            let keep = 1 + keep % (n - 1);
            records.truncate(keep);
            intruder.replace_records(&records);
            intruder.set_head(head_of(&records[keep - 1]));
            Expect::IntactWithoutSavedHead
        }
        Mutation::RewriteHead { seq, hash } => {
            let head = Head { seq, hash: Hash(hash) };
            if head == saved {
                return Expect::Unchanged;
            }
            intruder.set_head(head);
            Expect::HeadMismatch
        }
        Mutation::ForgeTailAndHead => {
            let prev = head_of(&records[n - 2]).hash;
            records[n - 1] = forged(n as u64, prev);
            intruder.replace_records(&records);
            intruder.set_head(head_of(&records[n - 1]));
            Expect::IntactWithoutSavedHead
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(env_u64("PLEDGER_TAMPER_CASES", 64) as u32))]

    #[test]
    fn every_intruder_change_is_detected(m in mutation()) {
        // given a ledger and a head saved by a reader
        let (_t, ledger, saved) = populated();
        prop_assert_eq!(saved.seq, sample_len(COMMITMENTS));
        // when an intruder changes the stored data
        let expect = apply(&ledger, saved, &m);
        // then plain verify finds the first visible break
        let plain = audit::verify(ledger.store(), None).unwrap();
        match (&expect, &plain) {
            (Expect::BrokenAt(seq), Verdict::Broken(b)) => prop_assert_eq!(b.seq(), *seq, "{}", b),
            (Expect::HeadMismatch, Verdict::Broken(Break::HeadMismatch { .. })) => {}
            (Expect::IntactWithoutSavedHead, Verdict::Intact { .. }) => {}
            (Expect::Unchanged, Verdict::Intact { head, .. }) => prop_assert_eq!(*head, saved),
            _ => prop_assert!(false, "{:?}: expected {:?}, verify said {:?}", m, expect, plain),
        }
        // and verification against the saved head never passes a change
        let with_saved = audit::verify(ledger.store(), Some(saved)).unwrap();
        if expect != Expect::Unchanged {
            prop_assert!(matches!(with_saved, Verdict::Broken(_)), "{:?} passed with the saved head", m);
        }
    }
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    let status = std::process::Command::new("cp").arg("-a").arg(from).arg(to).status();
    assert!(status.unwrap().success(), "copy {} to {}", from.display(), to.display());
}

/// The store's files in a ledger directory (sled's and the head file), with
/// their sizes.
fn store_files(dir: &std::path::Path) -> Vec<(std::path::PathBuf, u64)> {
    let mut files = Vec::new();
    let mut dirs = vec![dir.to_owned()];
    while let Some(d) = dirs.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let entry = entry.unwrap();
            let meta = entry.metadata().unwrap();
            if meta.is_dir() {
                dirs.push(entry.path());
            } else if meta.len() > 0 {
                files.push((entry.path(), meta.len()));
            }
        }
    }
    files.sort();
    files
}

/// Runs the binary with a time limit: a hang is a failure too. Its output
/// is read while it runs, so that a large one cannot fill the pipe and
/// stall it.
fn run_limited(mut cmd: std::process::Command) -> std::process::Output {
    use std::io::Read;
    use std::process::Stdio;
    let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let drain = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            pipe.read_to_end(&mut bytes).unwrap();
            bytes
        })
    };
    let stdout = drain(Box::new(child.stdout.take().unwrap()));
    let stderr = drain(Box::new(child.stderr.take().unwrap()));
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("pledger hung for a minute on a damaged store");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    std::process::Output { status, stdout: stdout.join().unwrap(), stderr: stderr.join().unwrap() }
}

#[test]
fn flipped_bytes_in_sleds_files_are_reported_never_passed_or_panicked() {
    // given a small ledger, whose records sit in chunks in the events tree
    flipped_bytes_are_reported_never_passed_or_panicked(&sample(40));
}

#[test]
fn flipped_bytes_in_a_store_of_segments_are_reported_never_passed_or_panicked() {
    // given a ledger from a large import, whose records sit in segment trees
    flipped_bytes_are_reported_never_passed_or_panicked(&crate::generate::text(3000));
}

fn flipped_bytes_are_reported_never_passed_or_panicked(events: &str) {
    let copies = env_u64("PLEDGER_DISK_FLIPS", 24);
    let seed = env_u64("PLEDGER_DISK_SEED", clock_seed());
    println!("disk flips: PLEDGER_DISK_SEED={seed}");
    let mut rng = Rng(seed);
    // given that ledger as its first writer left it (sled has no snapshot
    // yet) and as it is after a reopen, with its export and head as the
    // reference
    let fresh = TestLedger::new();
    fresh.import("events.jsonl", events);
    let original = TestLedger::new();
    copy_dir(&fresh.path(), &original.path());
    let export = stdout(&original.pledger().arg("export").output().unwrap());
    let head = original.head();
    let (mut refused, mut damaged, mut broken, mut unchanged) = (0, 0, 0, 0);
    for copy in 0..copies {
        // when a copy of it has random bytes of one of sled's files flipped
        let t = TestLedger::new();
        let source = if copy % 2 == 0 { &fresh } else { &original };
        copy_dir(&source.path(), &t.path());
        let files = store_files(&source.path());
        let (name, len) = &files[rng.below(files.len() as u64) as usize];
        let path = t.path().join(name.strip_prefix(source.path()).unwrap());
        let mut bytes = std::fs::read(&path).unwrap();
        let flips = 1 + rng.below(4);
        for _ in 0..flips {
            let at = rng.below(*len) as usize;
            bytes[at] ^= 1 << rng.below(8);
        }
        std::fs::write(&path, &bytes).unwrap();
        // then verify, export and log either refuse cleanly or show the original content
        let mut verify = t.pledger_std();
        verify.arg("verify");
        let v = run_limited(verify);
        let what = format!("copy {copy}: {flips} flips in {}", name.display());
        let err = stderr(&v);
        assert!(!err.contains("panicked") && !err.contains("RUST_BACKTRACE"), "{what}: {err}");
        assert!(!err.contains("backtrace"), "{what}: sled's own text: {err}");
        match v.status.code() {
            Some(0) => {
                let mut exp = t.pledger_std();
                exp.arg("export");
                let e = run_limited(exp);
                assert_eq!(e.status.code(), Some(0), "{what}: verify passed but export said {}", stderr(&e));
                assert_eq!(stdout(&e), export, "{what}: verify passed but the content changed");
                assert!(
                    stdout(&v).contains(&head),
                    "{what}: verify passed with another head: {}",
                    stdout(&v)
                );
                unchanged += 1;
            }
            Some(1) if err.starts_with("verification failed: the ledger at ") => {
                assert!(
                    err.contains(" is damaged: ") && err.contains("restore it from a backup"),
                    "{what}: {err}"
                );
                damaged += 1;
            }
            Some(1) => {
                assert!(err.starts_with("verification failed at seq "), "{what}: {err}");
                broken += 1;
            }
            // An i/o error.
            Some(3) => {
                assert!(err.starts_with("error: i/o error on the ledger at "), "{what}: {err}");
                refused += 1;
            }
            other => panic!("{what}: verify exited {other:?}: {err}"),
        }
    }
    println!(
        "disk flips: {copies} damaged copies: {damaged} reported damaged and {broken} broken (exit 1), \
         {refused} i/o errors (exit 3), {unchanged} verified with the original content"
    );
}

#[test]
fn a_flipped_bit_anywhere_in_sleds_conf_is_reported_damaged_or_changes_nothing() {
    // given a ledger, and its conf: sled's settings, then their CRC-32
    let original = TestLedger::new();
    original.import("events.jsonl", &sample(2));
    let head = original.head();
    let conf = std::fs::read(original.path().join("conf")).unwrap();
    let settings = conf.len() - 4;
    for at in 0..conf.len() {
        // (three bits a byte: ~190 runs of the binary)
        for bit in [0, 3, 6] {
            // when one bit of it is flipped
            let t = TestLedger::new();
            copy_dir(&original.path(), &t.path());
            let mut bytes = conf.clone();
            bytes[at] ^= 1 << bit;
            std::fs::write(t.path().join("conf"), &bytes).unwrap();
            let v = t.pledger().arg("verify").output().unwrap();
            let (what, err) = (format!("bit {bit} of byte {at}"), stderr(&v));
            if at < settings {
                // then a changed setting is damage (exit 1), never another
                // format (exit 3, "retrying may help")
                assert_eq!(v.status.code(), Some(1), "{what}: {err}");
                assert!(
                    err.contains("is damaged: sled's configuration file conf is corrupted"),
                    "{what}: {err}"
                );
            } else {
                // and a changed checksum of the same settings, which sled
                // ignores, leaves the ledger as it was
                assert_eq!(v.status.code(), Some(0), "{what}: {err}");
                assert!(stdout(&v).contains(&head), "{what}: {}", stdout(&v));
            }
        }
    }
    // given the same settings with their last newline gone, which sled
    // reads line by line just the same
    let t = TestLedger::new();
    copy_dir(&original.path(), &t.path());
    std::fs::write(t.path().join("conf"), &conf[..conf.len() - 1]).unwrap();
    // then the ledger is as it was
    let v = t.pledger().arg("verify").output().unwrap();
    assert_eq!(v.status.code(), Some(0), "{}", stderr(&v));
    assert!(stdout(&v).contains(&head), "{}", stdout(&v));
}

#[test]
fn a_conf_of_another_sled_format_is_refused_as_unreadable_not_damaged() {
    // given a ledger whose conf names another version of sled's format,
    // with a checksum that matches, as another sled would write it
    let t = TestLedger::new();
    t.import("events.jsonl", &sample(2));
    let conf = std::fs::read(t.path().join("conf")).unwrap();
    let text =
        String::from_utf8(conf[..conf.len() - 4].to_vec()).unwrap().replace("version: 0.34", "version: 0.35");
    let mut bytes = text.into_bytes();
    bytes.extend(crc32fast::hash(&bytes).to_le_bytes());
    std::fs::write(t.path().join("conf"), &bytes).unwrap();
    // when it is verified
    let v = t.pledger().arg("verify").output().unwrap();
    // then it cannot be read (exit 3), as sled says
    let err = stderr(&v);
    assert_eq!(v.status.code(), Some(3), "{err}");
    assert!(err.contains("cannot be read: Unsupported"), "{err}");
}

#[test]
fn a_removed_segment_is_reported_missing_and_reading_does_not_put_it_back() {
    // given a ledger from a large import, with one of its segment trees removed
    let t = TestLedger::new();
    t.import("events.jsonl", &crate::generate::text(3000));
    let removed = {
        let ledger = Ledger::open(&t.path(), OpenMode::Existing).unwrap();
        let intruder = ledger.store().intruder();
        let segments = intruder.segments();
        assert!(segments.len() >= 2, "the import is stored in segments: {segments:?}");
        intruder.remove_segment(segments[1]);
        segments[1]
    };
    // when the ledger is verified and its statuses are read
    for args in [vec!["verify"], vec!["status", "--as-of", "2026-11-28"]] {
        let out = t.pledger().args(&args).output().unwrap();
        // then the store is reported damaged (exit 1), naming the missing segment
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}{}", stdout(&out), stderr(&out));
        assert!(
            stderr(&out).contains(&format!("the segment of records from seq {removed} is missing")),
            "{args:?}: {}",
            stderr(&out)
        );
    }
    // and reading it did not create an empty tree in its place
    let ledger = Ledger::open(&t.path(), OpenMode::Existing).unwrap();
    assert!(!ledger.store().intruder().segments().contains(&removed));
}

#[test]
fn a_flipped_bit_in_a_store_written_by_one_process_is_never_read_as_a_shorter_chain() {
    // given a ledger written by one import (sled has not taken a snapshot)
    let fresh = TestLedger::new();
    fresh.import("events.jsonl", &crate::generate::text(2000));
    for offset in [100, 5_000, 100_000] {
        // when one bit of sled's data file is flipped
        let t = TestLedger::new();
        copy_dir(&fresh.path(), &t.path());
        let db = t.path().join("db");
        let mut bytes = std::fs::read(&db).unwrap();
        bytes[offset] ^= 0x10;
        std::fs::write(&db, bytes).unwrap();
        // then the store is refused as damaged, not verified as an empty or shorter chain
        let out = t.pledger().arg("verify").output().unwrap();
        assert_eq!(out.status.code(), Some(1), "offset {offset}: {}{}", stdout(&out), stderr(&out));
        assert!(
            stderr(&out).contains("the store ends at seq 0, but events up to seq 2000 were appended"),
            "offset {offset}: {}",
            stderr(&out)
        );
    }
}

#[test]
fn a_store_whose_files_were_replaced_by_older_ones_is_refused() {
    // given a copy of sled's files taken after a first import, and a second import since
    let t = TestLedger::new();
    t.import("first.jsonl", &sample(2));
    let older = TestLedger::new();
    copy_dir(&t.path(), &older.path());
    t.pledger().args(["append", "--json", &crate::support::announcement("later")]).assert().success();
    // when sled's files are replaced by the older copy (the head file stays)
    for name in ["db", "conf", "blobs"] {
        let path = t.path().join(name);
        if path.is_dir() {
            std::fs::remove_dir_all(&path).unwrap();
        } else {
            std::fs::remove_file(&path).unwrap();
        }
    }
    for entry in std::fs::read_dir(t.path()).unwrap() {
        let path = entry.unwrap().path();
        if path.file_name().unwrap().to_str().unwrap().starts_with("snap.") {
            std::fs::remove_file(path).unwrap();
        }
    }
    for entry in std::fs::read_dir(older.path()).unwrap() {
        let path = entry.unwrap().path();
        if path.file_name().unwrap() != pledger::store::HEAD_FILE {
            copy_dir(&path, &t.path().join(path.file_name().unwrap()));
        }
    }
    // then reading and appending are both refused as damage, so the chain cannot fork
    let n = sample_len(2);
    for args in [vec!["verify"], vec!["append", "--json", &crate::support::announcement("fork")]] {
        let out = t.pledger().args(&args).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains(&format!(
                "the store ends at seq {n}, but events up to seq {} were appended",
                n + 1
            )),
            "{args:?}: {}",
            stderr(&out)
        );
    }
}

/// How a test damages a copy of a ledger's files on disk.
#[derive(Debug, Clone, Copy)]
enum Damage {
    FlipDbByte(usize),
    TruncateDb(u64),
    TruncateSnap,
    EmptyDb,
    RemoveDb,
}

#[test]
fn a_store_whose_files_are_damaged_fails_verification_and_every_command_says_it_is_damaged() {
    // given a ledger closed and opened again, so that sled has written its snapshot
    let original = TestLedger::new();
    original.import("events.jsonl", &sample(COMMITMENTS));
    original.pledger().arg("verify").assert().success();
    let snap = |dir: &std::path::Path| {
        std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.file_name().unwrap().to_string_lossy().starts_with("snap."))
            .expect("sled has written a snapshot")
    };
    snap(&original.path());
    // (the damage, and what the message must name)
    let cases: &[(Damage, &str)] = &[
        (Damage::FlipDbByte(100), "hold corrupted data"),
        (Damage::TruncateDb(1000), "hold corrupted data"),
        (Damage::TruncateSnap, "hold corrupted data"),
        (Damage::EmptyDb, "sled's data file db is empty"),
        (Damage::RemoveDb, "sled's data file db is missing"),
    ];
    for &(damage, names) in cases {
        // when a copy has that damage
        let t = TestLedger::new();
        copy_dir(&original.path(), &t.path());
        let db = t.path().join("db");
        match damage {
            Damage::FlipDbByte(at) => {
                let mut bytes = std::fs::read(&db).unwrap();
                bytes[at] ^= 0x10;
                std::fs::write(&db, bytes).unwrap();
            }
            Damage::TruncateDb(len) => {
                std::fs::File::options().write(true).open(&db).unwrap().set_len(len).unwrap()
            }
            Damage::TruncateSnap => {
                let path = snap(&t.path());
                let len = std::fs::metadata(&path).unwrap().len();
                std::fs::File::options().write(true).open(&path).unwrap().set_len(len / 2).unwrap();
            }
            Damage::EmptyDb => std::fs::write(&db, b"").unwrap(),
            Damage::RemoveDb => std::fs::remove_file(&db).unwrap(),
        }
        let ledger = t.path().display().to_string();
        for args in [&["verify"][..], &["log"], &["status"], &["show", "c1"], &["init"]] {
            let out = t.pledger().args(args).output().unwrap();
            let err = stderr(&out);
            // then it fails as verification does (exit 1, not 3: it will not pass on a retry)
            assert_eq!(out.status.code(), Some(1), "{damage:?} {args:?}: {err}");
            // and says the ledger is damaged, what was found and to restore it, without sled's internals
            let prefix = if args == ["verify"] { "verification failed: " } else { "error: " };
            let says = format!("{prefix}the ledger at {ledger} is damaged: ");
            assert!(err.starts_with(&says), "{damage:?} {args:?}: expected {says:?} in {err}");
            assert!(
                err.contains(names) && err.trim_end().ends_with("restore it from a backup"),
                "{damage:?} {args:?}: {err}"
            );
            assert!(
                !err.contains("backtrace") && !err.contains("no ledger at"),
                "{damage:?} {args:?}: {err}"
            );
        }
    }
}

#[test]
fn snapshot_neither_writes_nor_checks_a_report_on_a_ledger_that_fails_verification() {
    // Given a ledger and reports of it, at its head and at seq 2
    let t = TestLedger::new();
    t.import("events.jsonl", &sample(3));
    for (file, at) in [("head.json", sample_len(3)), ("early.json", 2)] {
        let at = at.to_string();
        let args = ["snapshot", "--as-of", "2026-11-28", "--at", &at, "--out", file];
        t.pledger().args(args).assert().success();
    }
    let export = stdout(&t.pledger().arg("export").output().unwrap());
    // When an intruder changes record 3's bytes (who recorded it), which the export does not show
    {
        let ledger = Ledger::open(&t.path(), OpenMode::Existing).unwrap();
        let intruder = ledger.store().intruder();
        let mut records = intruder.records();
        let record = &mut records[2];
        let at = record.windows(8).position(|w| w == b"\"tester\"").expect("the record names its author");
        record[at + 1..at + 7].copy_from_slice(b"forger");
        intruder.replace_records(&records);
    }
    let verify = t.pledger().arg("verify").output().unwrap();
    assert_eq!(verify.status.code(), Some(1), "{}", stderr(&verify));
    assert!(stderr(&verify).contains("verification failed at seq 3: content changed"), "{}", stderr(&verify));
    assert_eq!(stdout(&t.pledger().arg("export").output().unwrap()), export, "the events read the same");
    // Then neither report is checked against it, the one at seq 2 (before the break) included
    for file in ["head.json", "early.json"] {
        let out = t.pledger().args(["snapshot", "--check", file]).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{file}: {}{}", stdout(&out), stderr(&out));
        assert!(!stdout(&out).contains("ok"), "{file}: {}", stdout(&out));
        assert!(
            stderr(&out).contains(&format!(
                "verification failed at seq 3: content changed (its bytes no longer hash to its recorded hash): \
                 {file} (at seq {}) cannot be checked against a broken ledger; run pledger verify",
                if file == "early.json" { 2 } else { sample_len(3) }
            )),
            "{file}: {}",
            stderr(&out)
        );
    }
    // And no report is written from it, at its head or before the break
    for at in [None, Some("2")] {
        let mut cmd = t.pledger();
        cmd.args(["snapshot", "--as-of", "2026-11-28", "--out", "new.json"]);
        if let Some(at) = at {
            cmd.args(["--at", at]);
        }
        let out = cmd.output().unwrap();
        assert_eq!(out.status.code(), Some(1), "--at {at:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains(
                "verification failed at seq 3: content changed (its bytes no longer hash to its recorded hash): no \
                 report is written from a ledger that fails verification; run pledger verify"
            ),
            "--at {at:?}: {}",
            stderr(&out)
        );
        assert!(!t.dir().join("new.json").exists(), "--at {at:?}");
    }
}

#[test]
fn a_report_is_never_written_over_the_ledgers_own_files() {
    // given a ledger, and a symlink whose target inside it is not there yet
    let t = TestLedger::new();
    t.import("sample.jsonl", &sample(3));
    let head = t.head();
    let stored = |name: &str| std::fs::read(t.path().join(name)).unwrap();
    let (db, head_file) = (stored("db"), stored("head"));
    std::os::unix::fs::symlink(t.path().join("report.json"), t.dir().join("into-ledger.json")).unwrap();
    for out in [
        "ledger.db/db",
        "ledger.db/head",
        "./ledger.db/../ledger.db/report.json",
        "ledger.db",
        "into-ledger.json",
    ] {
        // when a report is asked to go there
        let args = ["snapshot", "--as-of", "2026-11-28", "--out", out];
        let run = t.pledger().args(args).output().unwrap();
        // then it is refused, and the ledger's files are as they were
        assert_eq!(run.status.code(), Some(2), "{out}: {}", stderr(&run));
        let expected = format!(
            "error: --out {out}: expected a path outside the ledger, found one inside {}; nothing was written\n",
            t.path().display()
        );
        assert_eq!(stderr(&run), expected, "{out}");
        assert!(!t.path().join("report.json").exists(), "{out}");
        assert_eq!((stored("db"), stored("head")), (db.clone(), head_file.clone()), "{out}");
    }
    assert_eq!(t.head(), head);
    assert!(t.pledger().arg("verify").output().unwrap().status.success());
    // and a path beside the ledger is written as before
    let run =
        t.pledger().args(["snapshot", "--as-of", "2026-11-28", "--out", "report.json"]).output().unwrap();
    assert!(run.status.success(), "{}", stderr(&run));
    assert!(t.dir().join("report.json").exists());
}

#[test]
fn a_head_file_with_both_slots_damaged_is_named_as_such() {
    // given a ledger whose head file (two checksummed slots) has one byte
    // flipped in each slot
    let t = TestLedger::new();
    t.import("sample.jsonl", &sample(2));
    let path = t.path().join(pledger::store::HEAD_FILE);
    let mut bytes = std::fs::read(&path).unwrap();
    let slot = bytes.len() / 2;
    bytes[0] ^= 1;
    bytes[slot] ^= 1;
    std::fs::write(&path, &bytes).unwrap();
    // when it is verified
    let out = t.pledger().arg("verify").output().unwrap();
    // then it is damaged, and the message says why rather than quoting the file
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(
            "its head file is damaged: neither of its two slots checks out; restore it from a backup"
        ),
        "{}",
        stderr(&out)
    );
    // and with one slot whole, the other stands in for it
    bytes[slot] ^= 1;
    std::fs::write(&path, &bytes).unwrap();
    t.pledger().arg("verify").assert().success();
}

#[test]
fn a_forged_projection_snapshot_fails_verification_and_never_reaches_a_report() {
    // Given two ledgers whose third events differ: in one the commitment
    // was only progressed, in the other a meeting fulfilled it
    let announcement =
        r#"{"type":"announcement","id":"s","date":"2026-01-16","title":"Summit","parties":["India"]}"#;
    let commitment = r#"{"type":"commitment","id":"c1","announcement":"s","title":"Hold a dialogue","deadline":"first half of 2026"}"#;
    let progress = r#"{"type":"progress","commitment":"c1","date":"2026-03-01","note":"Talks about talks"}"#;
    let meeting =
        r#"{"type":"meeting","id":"m1","date":"2026-03-01","title":"Dialogue held","fulfils":["c1"]}"#;
    let (real, other) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let ledger = crate::support::ledger_from(real.path(), &[&[announcement, commitment, progress]], 0);
    let met = crate::support::ledger_from(other.path(), &[&[announcement, commitment, meeting]], 0);
    // When an intruder stores, as the real ledger's snapshot at seq 3, the
    // other's projection relabelled with the real chain's hash there (a
    // snapshot is derived data, which the chain does not cover)
    let (head, met_head) = (ledger.head().unwrap(), met.head().unwrap());
    let forged = met.projection_replayed(None).unwrap().to_snapshot();
    let forged =
        String::from_utf8(forged).unwrap().replace(&met_head.hash.to_string(), &head.hash.to_string());
    ledger.store().put_snapshot(3, head.hash, forged.as_bytes()).unwrap();
    drop((ledger, met));
    let pledger = |args: &[&str]| {
        let mut cmd = std::process::Command::new(crate::support::binary());
        cmd.arg("--ledger").arg(real.path().join("l.db")).args(args).env_remove("PLEDGER_LEDGER");
        run_limited(cmd)
    };
    // Then status answers from the forgery (this is the threat)...
    let status = pledger(&["status", "--as-of", "2026-07-01", "--json"]);
    assert!(stdout(&status).contains(r#""status": "met""#), "{}", stdout(&status));
    // ...but verify fails, naming the snapshot, though the chain is intact
    let verify = pledger(&["verify"]);
    assert_eq!(verify.status.code(), Some(1), "{}", stderr(&verify));
    assert!(stderr(&verify).contains("the chain of 3 events up to 3:"), "{}", stderr(&verify));
    assert!(stderr(&verify)
        .contains("the projection snapshot at seq 3 does not hold what the events up to it give"));
    assert!(
        stderr(&verify).contains("remove them with `pledger verify --drop-snapshots`"),
        "{}",
        stderr(&verify)
    );
    assert!(stdout(&verify).is_empty(), "{}", stdout(&verify));
    // And a published report is made from the events, and checks as such
    let report = real.path().join("report.json");
    let made = pledger(&["snapshot", "--as-of", "2026-07-01", "--out", report.to_str().unwrap()]);
    assert!(made.status.success(), "{}", stderr(&made));
    let text = std::fs::read_to_string(&report).unwrap();
    assert!(text.contains(r#""status": "overdue""#) && !text.contains(r#""status": "met""#), "{text}");
    let checked = pledger(&["snapshot", "--check", report.to_str().unwrap()]);
    assert!(checked.status.success(), "{}", stderr(&checked));
    // And once the snapshots are dropped, as verify advises, status answers
    // from the events and verify passes
    let dropped = pledger(&["verify", "--drop-snapshots"]);
    assert!(dropped.status.success(), "{}", stderr(&dropped));
    assert!(
        stderr(&dropped).contains("note: removed the stored projection snapshots"),
        "{}",
        stderr(&dropped)
    );
    let status = pledger(&["status", "--as-of", "2026-07-01", "--json"]);
    assert!(stdout(&status).contains(r#""status": "overdue""#), "{}", stdout(&status));
    let verify = pledger(&["verify"]);
    assert!(verify.status.success() && stderr(&verify).is_empty(), "{}", stderr(&verify));
}

#[test]
fn a_head_record_unlike_the_chain_is_placed_at_the_first_event_in_question() {
    /// What the intruder does: the head it records, given the chain's
    /// records, and the seq the break must then name, given the head's.
    struct Case(&'static str, fn(&[Vec<u8>]) -> Head, fn(u64) -> u64);
    let cases = [
        // set back: the events after it are past the recorded head
        Case("set back to seq 3", |records| head_of(&records[2]), |_| 4),
        // set back with another hash: event 3 itself disagrees with it
        Case(
            "set back to seq 3 with another hash",
            |records| {
                let mut head = head_of(&records[2]);
                head.hash.0[0] ^= 1;
                head
            },
            |_| 3,
        ),
        // the last seq with another hash: that event is in question
        Case(
            "another hash at the head's seq",
            |records| {
                let mut head = head_of(records.last().unwrap());
                head.hash.0[0] ^= 1;
                head
            },
            |n| n,
        ),
        // removed: no event has been recorded, so the first is in question
        Case("removed", |_| Head { seq: 0, hash: Hash::ZERO }, |_| 1),
    ];
    for Case(what, recorded, first) in cases {
        // Given a ledger whose head record an intruder rewrites
        let (_t, ledger, head) = populated();
        let intruder = ledger.store().intruder();
        intruder.set_head(recorded(&intruder.records()));
        // When it is verified
        let verdict = audit::verify(ledger.store(), None).unwrap();
        // Then the break is the head's, at the first event in question
        match verdict {
            Verdict::Broken(b @ Break::HeadMismatch { .. }) => {
                assert_eq!(b.seq(), first(head.seq), "{what}: {b}")
            }
            other => panic!("{what}: {other:?}"),
        }
    }
}

#[test]
fn a_ledger_whose_head_file_was_removed_verifies_with_a_warning() {
    // Given a ledger with events, whose head file is then removed
    let t = TestLedger::new();
    t.import("events.jsonl", &sample(COMMITMENTS));
    let quiet = t.pledger().arg("verify").output().unwrap();
    assert!(stderr(&quiet).is_empty(), "{}", stderr(&quiet));
    std::fs::remove_file(t.path().join("head")).unwrap();
    // When it is verified
    let out = t.pledger().arg("verify").output().unwrap();
    // Then the chain is intact, but a warning says a rollback of its files
    // could no longer be detected
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).starts_with("warning: the ledger has no head file"), "{}", stderr(&out));

    // And a new ledger whose only events sit in its journal (its process
    // died before closing it, so sled holds none and no head file is due)
    // gets no such warning
    let t = TestLedger::new();
    let ledger = Ledger::open(&t.path(), OpenMode::Create).unwrap();
    let text = crate::support::announcement("a1");
    let (lines, _) = pledger::input::read_lines("append", text.as_bytes(), |_| {});
    ledger.append(&lines, None, &Stamp { now: Utc::now(), by: "tester".into() }).unwrap();
    let crashed = TestLedger::new();
    let copied = std::process::Command::new("cp").arg("-a").arg(t.path()).arg(crashed.path()).status();
    assert!(copied.unwrap().success());
    drop(ledger);
    assert!(!crashed.path().join("head").exists());
    let out = crashed.pledger().arg("verify").output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).starts_with("ok: 1 events"), "{}", stdout(&out));
    assert!(stderr(&out).is_empty(), "{}", stderr(&out));
}

#[test]
fn an_unreadable_projection_snapshot_verifies_with_a_warning() {
    // Given a ledger with a snapshot at its head that cannot be read
    let events = [
        r#"{"type":"announcement","id":"s","date":"2026-01-16","title":"Summit","parties":["India"]}"#,
        r#"{"type":"commitment","id":"c1","announcement":"s","title":"Hold a dialogue"}"#,
    ];
    let dir = tempfile::tempdir().unwrap();
    let ledger = crate::support::ledger_from(dir.path(), &[&events], 0);
    let head = ledger.head().unwrap();
    ledger.store().put_snapshot(head.seq, head.hash, b"not a projection\n").unwrap();
    drop(ledger);
    // When it is verified
    let mut cmd = std::process::Command::new(crate::support::binary());
    cmd.arg("--ledger").arg(dir.path().join("l.db")).arg("verify").env_remove("PLEDGER_LEDGER");
    let out = run_limited(cmd);
    // Then it passes (queries ignore the snapshot), with a warning naming it
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stderr(&out),
        "warning: the projection snapshot at seq 2 cannot be read (damaged, or of another format); queries ignore it\n"
    );
}

#[test]
fn a_cleared_index_fails_verification_and_once_rebuilt_keeps_a_reimport_out() {
    // Given a ledger of the sample, and its file written out
    let t = TestLedger::new();
    let file = t.dir().join("sample.jsonl");
    std::fs::write(&file, sample(COMMITMENTS)).unwrap();
    t.pledger().arg("init").assert().success();
    t.pledger().arg("import").arg(&file).assert().success();
    // When an intruder empties its indexes (derived data the chain does
    // not cover)
    {
        let ledger = Ledger::open(&t.path(), OpenMode::Existing).unwrap();
        ledger.store().intruder().clear_indexes();
    }
    // Then verify fails, though the chain is intact, naming what is missing
    // and the remedy
    let verify = t.pledger().arg("verify").output().unwrap();
    assert_eq!(verify.status.code(), Some(1), "{}", stderr(&verify));
    let said = stderr(&verify);
    let events = sample_len(COMMITMENTS);
    assert!(said.contains(&format!("the chain of {events} events up to {events}:")), "{said}");
    assert!(said.contains("but the ids and content indexes do not match the events"), "{said}");
    assert!(
        said.contains("write them again from the events with `pledger verify --rebuild-indexes`:\n"),
        "{said}"
    );
    assert!(said.contains("\n  no entry for announcement 'in-jp-2026' (given at seq 1)\n"), "{said}");
    assert!(said.lines().last().unwrap().starts_with("  and "), "{said}");
    assert!(stdout(&verify).is_empty(), "{}", stdout(&verify));
    // And once rebuilt, as verify advises, verify passes and a re-import of
    // the same file records nothing twice
    let rebuilt = t.pledger().args(["verify", "--rebuild-indexes"]).output().unwrap();
    assert!(rebuilt.status.success(), "{}", stderr(&rebuilt));
    assert!(stderr(&rebuilt).contains("note: wrote the ids and content indexes again from the events"));
    let verify = t.pledger().arg("verify").output().unwrap();
    assert!(verify.status.success() && stderr(&verify).is_empty(), "{}", stderr(&verify));
    let again = t.pledger().arg("import").arg(&file).output().unwrap();
    assert!(again.status.success(), "{}", stderr(&again));
    assert!(stdout(&again).starts_with(&format!("0 new, {events} already recorded")), "{}", stdout(&again));
}

#[test]
fn an_index_entry_pointed_at_another_event_is_reported_never_shown_in_its_place() {
    // Given a ledger whose first commitment is `c1` at seq 2, after its
    // announcement `s` at seq 1
    let dir = tempfile::tempdir().unwrap();
    let announcement =
        r#"{"type":"announcement","id":"s","date":"2026-01-16","title":"Summit","parties":["India"]}"#;
    let commitment = r#"{"type":"commitment","id":"c1","announcement":"s","title":"Hold a dialogue","deadline":"first half of 2026"}"#;
    let progress = r#"{"type":"progress","commitment":"c1","date":"2026-03-01","note":"Talks about talks"}"#;
    let ledger = crate::support::ledger_from(dir.path(), &[&[announcement, commitment, progress]], 0);
    // When an intruder points the index's entry for `c1` at seq 1
    ledger.store().intruder().set_id(pledger::event::IdKind::Commitment, "c1", 1);
    drop(ledger);
    let pledger = |args: &[&str]| {
        let mut cmd = std::process::Command::new(crate::support::binary());
        cmd.arg("--ledger").arg(dir.path().join("l.db")).args(args).env_remove("PLEDGER_LEDGER");
        run_limited(cmd)
    };
    // Then `show c1` refuses to show the announcement as the commitment
    let show = pledger(&["show", "c1"]);
    assert_ne!(show.status.code(), Some(0), "{}", stdout(&show));
    assert!(
        stderr(&show).contains(
            "has a damaged index: it gives commitment 'c1' seq 1, which holds announcement 's'; write it again \
             from the events with `pledger verify --rebuild-indexes`"
        ),
        "{}",
        stderr(&show)
    );
    assert!(stdout(&show).is_empty(), "{}", stdout(&show));
    // And verify names the entry against the seq the events give
    let verify = pledger(&["verify"]);
    assert_eq!(verify.status.code(), Some(1), "{}", stderr(&verify));
    assert!(
        stderr(&verify).contains("\n  commitment 'c1' is given seq 1, where the events give it at seq 2\n"),
        "{}",
        stderr(&verify)
    );
    // And after the rebuild, `show c1` tells the commitment's story
    assert!(pledger(&["verify", "--rebuild-indexes"]).status.success());
    let show = pledger(&["show", "c1"]);
    assert!(show.status.success(), "{}", stderr(&show));
    assert!(stdout(&show).contains("Hold a dialogue"), "{}", stdout(&show));
}

#[test]
fn index_damage_that_lookups_would_read_fails_verification_and_is_rebuilt() {
    /// What the intruder does to a ledger of the sample, and a line the
    /// report must hold.
    struct Case(&'static str, fn(&pledger::store::Intruder<'_>), &'static str);
    let cases = [
        // A lookup reads a bucket's first entry for a key, and the next
        // append's merge keeps its last: an entry put before the real one
        // is what the checks and `show` would see.
        Case(
            "an entry put first",
            |intruder| intruder.put_id_first(pledger::event::IdKind::Commitment, "c1", 1),
            "  commitment 'c1' is given seq 1, where the events give it at seq 2\n",
        ),
        Case(
            "an entry put first",
            |intruder| intruder.put_id_first(pledger::event::IdKind::Commitment, "c1", 1),
            "holds a key twice, or its keys out of order\n",
        ),
        Case(
            "a key that is no bucket's",
            |intruder| intruder.add_stray_index_key(),
            "  the ids index holds a key that is no bucket's\n",
        ),
    ];
    for Case(what, intrude, said) in cases {
        // given a ledger of the sample, whose index an intruder changes
        let t = TestLedger::new();
        t.import("events.jsonl", &sample(COMMITMENTS));
        {
            let ledger = t.open();
            intrude(&ledger.store().intruder());
        }
        // when it is verified, then it fails, saying what lookups would read
        let out = t.pledger().arg("verify").output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{what}: {}", stderr(&out));
        assert!(stderr(&out).contains(said), "{what}: {}", stderr(&out));
        // and once rebuilt, it verifies
        let rebuilt = t.pledger().args(["verify", "--rebuild-indexes"]).output().unwrap();
        assert!(rebuilt.status.success(), "{what}: {}", stderr(&rebuilt));
        let out = t.pledger().arg("verify").output().unwrap();
        assert!(out.status.success() && stderr(&out).is_empty(), "{what}: {}", stderr(&out));
    }
}

#[test]
fn a_replay_to_the_last_event_of_a_decoding_batch_still_reports_a_damaged_event_after_it() {
    // Given a 9,000-event ledger stored one record per chunk, so that a
    // replay's first batch (chunks up to 4 MiB of records: the ledger's
    // `DECODE_BATCH_BYTES`) ends at a seq worked out here, and the event
    // after that seq replaced by one that cannot be decoded
    let dir = tempfile::tempdir().unwrap();
    let ledger = Ledger::open(&dir.path().join("l.db"), OpenMode::Create).unwrap().with_snapshot_every(0);
    ledger.append(&crate::support::generated_lines(9_000), None, &crate::support::stamp()).unwrap();
    let intruder = ledger.store().intruder();
    let mut records = intruder.records();
    let mut bytes = 0;
    let batch_end = records.iter().position(|r| {
        bytes += r.len();
        bytes >= 4 << 20
    });
    let last = batch_end.expect("more than one batch of records") as u64 + 1;
    let (before, _) = RawRecord::split(&records[last as usize - 1]).unwrap();
    let mut damaged = Vec::new();
    chain::encode(last + 1, &before.stored_hash(), b"{not json", &mut damaged);
    records[last as usize] = damaged;
    intruder.replace_records(&records);
    // when it is replayed to the last event of the first batch
    let replayed = ledger.projection_replayed(Some(last));
    // then the event after it, the first of the next batch, is read (the
    // replay stops at the first event past its position) and its damage
    // reported, as a replay reading one batch at a time did
    let err = replayed.map(|p| p.seq).unwrap_err().to_string();
    assert!(err.contains(&format!("event {} cannot be decoded", last + 1)), "{err}");
    // and a replay to the seq before stops at the event after that, short
    // of the damage
    assert_eq!(ledger.projection_replayed(Some(last - 1)).unwrap().seq, last - 1);
}
