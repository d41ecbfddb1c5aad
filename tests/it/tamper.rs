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
//! must then report the store as unreadable (exit 3) or the chain as broken
//! (exit 1), never panic, hang or report `ok` for content that changed.
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

/// sled's files in a ledger directory, with their sizes.
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

/// Runs the binary with a time limit: a hang is a failure too.
fn run_limited(mut cmd: std::process::Command) -> std::process::Output {
    use std::process::Stdio;
    let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("pledger hung for a minute on a damaged store");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    child.wait_with_output().unwrap()
}

#[test]
fn flipped_bytes_in_sleds_files_are_reported_never_passed_or_panicked() {
    let copies = env_u64("PLEDGER_DISK_FLIPS", 24);
    let seed = env_u64("PLEDGER_DISK_SEED", clock_seed());
    println!("disk flips: PLEDGER_DISK_SEED={seed}");
    let mut rng = Rng(seed);
    // given a ledger, its export and head as the reference
    let original = TestLedger::new();
    original.import("events.jsonl", &sample(40));
    let export = stdout(&original.pledger().arg("export").output().unwrap());
    let head = original.head();
    let files = store_files(&original.path());
    let (mut refused, mut broken, mut unchanged) = (0, 0, 0);
    for copy in 0..copies {
        // when a copy of it has random bytes of one of sled's files flipped
        let t = TestLedger::new();
        let status = std::process::Command::new("cp").arg("-a").arg(original.path()).arg(t.path()).status();
        assert!(status.unwrap().success());
        let (name, len) = &files[rng.below(files.len() as u64) as usize];
        let path = t.path().join(name.strip_prefix(original.path()).unwrap());
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
            Some(1) => broken += 1,
            Some(3) => {
                assert!(err.starts_with("error: the ledger at "), "{what}: {err}");
                refused += 1;
            }
            other => panic!("{what}: verify exited {other:?}: {err}"),
        }
    }
    println!(
        "disk flips: {copies} damaged copies: {refused} unreadable (exit 3), {broken} broken (exit 1), \
         {unchanged} verified with the original content"
    );
}
