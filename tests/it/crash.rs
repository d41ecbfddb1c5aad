//! Crash safety: `pledger import` of a large generated file and a loop of
//! `pledger append` run as child processes and are killed with SIGKILL at
//! random moments. After every round the ledger must open, verify, hold
//! every append that reported success, and hold each import whole or not at
//! all.
//!
//! Settings (environment variables):
//! - `PLEDGER_CRASH_KILLS`: SIGKILLs to deliver (default 20; the closing
//!   note reports a run of 500 or more, in release: `cargo test --release`);
//! - `PLEDGER_CRASH_EVENTS`: events per import (default 3000);
//! - `PLEDGER_CRASH_SEED`: seed of the random moments (default: the clock;
//!   printed, so a failure can be replayed).

use std::os::unix::process::ExitStatusExt;
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use pledger::audit::{self, Verdict};
use pledger::event::IdKind;
use pledger::{Ledger, OpenMode};

use crate::generate::{generate, Spec};
use crate::support::{announcement, clock_seed, env_u64, Rng, TestLedger};

/// A loop of one kind of child process, shared with the thread that kills:
/// the child in flight, whether to stop, and what the children reported.
#[derive(Default)]
struct Runner {
    child: Option<Child>,
    stop: bool,
    /// Names of the runs that reported success.
    acked: Vec<String>,
    /// Names of every run started.
    tried: Vec<String>,
    killed: u64,
    unexpected: Vec<String>,
}

type Shared = Arc<Mutex<Runner>>;

/// Runs `pledger ARGS…` for the names `next` gives, one after another,
/// until told to stop or `next` gives none. A refusal because the ledger is
/// in use (exit 3) is retried with the same name.
fn run_loop(
    t: &TestLedger,
    state: Shared,
    mut next: impl FnMut(&Runner) -> Option<(String, Vec<String>)> + Send + 'static,
) -> thread::JoinHandle<()> {
    let base = t.pledger_std();
    let program = base.get_program().to_owned();
    let base_args: Vec<_> = base.get_args().map(|a| a.to_owned()).collect();
    let dir = t.dir().to_owned();
    thread::spawn(move || loop {
        let name = {
            let mut s = state.lock().unwrap();
            let Some((name, args)) = (if s.stop { None } else { next(&s) }) else {
                return;
            };
            let child = std::process::Command::new(&program)
                .args(&base_args)
                .args(&args)
                .current_dir(&dir)
                .env("PLEDGER_AUTHOR", "crash")
                .env_remove("PLEDGER_LEDGER")
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .stdin(Stdio::null())
                .spawn()
                .expect("spawn pledger");
            s.child = Some(child);
            s.tried.push(name.clone());
            name
        };
        let (status, err) = loop {
            {
                let mut s = state.lock().unwrap();
                let child = s.child.as_mut().expect("the child in flight");
                if let Some(status) = child.try_wait().expect("poll the child") {
                    let child = s.child.take().unwrap();
                    let err = child.wait_with_output().map(|o| o.stderr).unwrap_or_default();
                    break (status, String::from_utf8_lossy(&err).into_owned());
                }
            }
            thread::sleep(Duration::from_micros(300));
        };
        let mut s = state.lock().unwrap();
        if status.success() {
            s.acked.push(name);
        } else if status.signal() == Some(9) {
            s.killed += 1;
        } else if status.code() == Some(3) && err.contains("is in use by another process") {
            s.tried.pop();
            drop(s);
            thread::sleep(Duration::from_millis(1));
        } else {
            s.unexpected.push(format!("{name}: {status}: {err}"));
        }
    })
}

/// Stops a loop, killing its child in flight with SIGKILL.
fn stop(state: &Shared) {
    let mut s = state.lock().unwrap();
    s.stop = true;
    if let Some(child) = s.child.as_mut() {
        let _ = child.kill(); // SIGKILL on Unix; harmless if it already exited
    }
}

/// The ids a generated file gives, with their kinds.
fn ids_of(text: &str) -> Vec<(IdKind, String)> {
    text.lines()
        .filter_map(|line| {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            let kind = match v["type"].as_str()? {
                "announcement" => IdKind::Announcement,
                "commitment" => IdKind::Commitment,
                "meeting" => IdKind::Meeting,
                _ => return None,
            };
            Some((kind, v["id"].as_str()?.to_owned()))
        })
        .collect()
}

/// Opens the ledger after a round, retrying while the lock of the ledger
/// this process dropped is still being released (see `TestLedger::open`).
fn reopen(t: &TestLedger) -> Result<Ledger, pledger::store::StoreError> {
    let started = Instant::now();
    loop {
        match Ledger::open(&t.path(), OpenMode::Existing) {
            Err(pledger::store::StoreError::InUse { .. }) if started.elapsed() < Duration::from_secs(5) => {
                thread::sleep(Duration::from_millis(5))
            }
            other => return other,
        }
    }
}

/// Copies a failing ledger out of the temporary directory for inspection.
fn keep_copy(t: &TestLedger, seed: u64, round: u64) -> String {
    let to = std::env::temp_dir().join(format!("pledger-crash-{seed}-{round}"));
    let status = std::process::Command::new("cp").arg("-a").arg(t.path()).arg(&to).status();
    assert!(status.is_ok_and(|s| s.success()), "copy the failing ledger to {}", to.display());
    to.display().to_string()
}

/// Writes a generated file for `round`, valid on a ledger at `head_seq`.
fn generated(t: &TestLedger, round: u64, events: u64, head_seq: u64) -> (std::path::PathBuf, String) {
    let spec = Spec {
        events,
        seed: round,
        prefix: format!("r{round}-"),
        first_seq: head_seq + 1,
        retractions: true,
    };
    let mut text = Vec::new();
    generate(&spec, &mut text).unwrap();
    let text = String::from_utf8(text).unwrap();
    (t.write(&format!("round-{round}.jsonl"), &text), text)
}

#[test]
fn killed_imports_and_appends_lose_nothing_acknowledged() {
    let kills_wanted = env_u64("PLEDGER_CRASH_KILLS", 20);
    let events = env_u64("PLEDGER_CRASH_EVENTS", 3000);
    let seed = env_u64("PLEDGER_CRASH_SEED", clock_seed());
    println!("crash harness: PLEDGER_CRASH_SEED={seed}");
    let mut rng = Rng(seed);
    let mut t = TestLedger::new();
    // How long an import takes alone sets the window of the random moments.
    let (file, _) = generated(&t, 0, events, 0);
    let started = Instant::now();
    t.pledger().arg("import").arg(&file).assert().success();
    let window = started.elapsed().as_micros() as u64 * 5 / 2 + 20_000;
    let mut totals = [0u64; 5]; // rounds, imports killed, appends killed, imports landed, appends acked
    let mut round = 0;
    while totals[1] + totals[2] < kills_wanted {
        round += 1;
        if round % 10 == 0 {
            // keep each ledger, and so each round, small; and kill imports
            // into a new ledger too, which (from ~5,200 events) first fill
            // its index buckets
            t = TestLedger::new();
        }
        // given a ledger at some head, an import of a generated file and a
        // loop of appends, both retried while the other holds the ledger
        let before = t.open().head().unwrap();
        let (file, text) = generated(&t, round, events, before.seq);
        let imports = Arc::new(Mutex::new(Runner::default()));
        let appends = Arc::new(Mutex::new(Runner::default()));
        let file = file.display().to_string();
        let importer = run_loop(&t, imports.clone(), move |s| {
            s.acked.is_empty().then(|| ("import".to_owned(), vec!["import".to_owned(), file.clone()]))
        });
        let mut i = 0;
        let appender = run_loop(&t, appends.clone(), move |_| {
            i += 1;
            let id = format!("ack-{round}-{i}");
            Some((id.clone(), vec!["append".into(), "--json".into(), announcement(&id)]))
        });
        // when both are killed with SIGKILL at a random moment
        thread::sleep(Duration::from_micros(rng.below(window)));
        stop(&imports);
        stop(&appends);
        importer.join().unwrap();
        appender.join().unwrap();
        let (imports, appends) = (imports.lock().unwrap(), appends.lock().unwrap());
        assert!(imports.unexpected.is_empty(), "round {round}: {:#?}", imports.unexpected);
        assert!(appends.unexpected.is_empty(), "round {round}: {:#?}", appends.unexpected);
        // then the ledger opens and verifies
        let ledger = match reopen(&t) {
            Ok(ledger) => ledger,
            Err(e) => {
                let kept = keep_copy(&t, seed, round);
                panic!("round {round} (seed {seed}): the ledger does not open: {e} (a copy is at {kept})");
            }
        };
        let verdict = audit::verify(ledger.store(), None).unwrap();
        let Verdict::Intact { events: total, .. } = verdict else {
            drop(ledger);
            let kept = keep_copy(&t, seed, round);
            panic!("round {round} (seed {seed}): {verdict:?} (a copy is at {kept})");
        };
        // and every acknowledged append is present
        let present = |id: &String| ledger.by_id(IdKind::Announcement, id).unwrap().is_some();
        for id in &appends.acked {
            assert!(present(id), "round {round} (seed {seed}): lost the acknowledged append {id}");
        }
        let appends_present = appends.tried.iter().filter(|id| present(id)).count() as u64;
        // and the import landed whole or not at all
        let ids = ids_of(&text);
        let landed = ids.iter().filter(|(kind, id)| ledger.by_id(*kind, id).unwrap().is_some()).count();
        assert!(
            landed == 0 || landed == ids.len(),
            "round {round} (seed {seed}): {landed} of {} ids landed",
            ids.len()
        );
        let landed = if landed == 0 { 0 } else { events };
        assert!(
            imports.acked.is_empty() || landed == events,
            "round {round} (seed {seed}): lost the acknowledged import"
        );
        assert_eq!(
            total,
            before.seq + landed + appends_present,
            "round {round} (seed {seed}): the chain holds events from neither a whole import nor an append"
        );
        totals[0] += 1;
        totals[1] += imports.killed;
        totals[2] += appends.killed;
        totals[3] += u64::from(landed == events);
        totals[4] += appends.acked.len() as u64;
    }
    let [rounds, import_kills, append_kills, imports_whole, acked] = totals;
    println!(
        "crash harness: {rounds} rounds, {import_kills} imports and {append_kills} appends killed, \
         {imports_whole} imports landed whole, {acked} acknowledged appends all present"
    );
}

#[test]
fn a_snapshot_left_unfinished_by_a_killed_process_does_not_make_the_ledger_unreadable() {
    // given a ledger, and the empty and the half-written snapshot files that
    // a process killed while sled wrote a snapshot leaves behind
    for leftover in [&b""[..], &[7u8; 100][..]] {
        let t = TestLedger::new();
        t.import("events.jsonl", &crate::support::sample(3));
        let head = t.head();
        let unfinished = t.path().join("snap.FFFFFFFFFFFFFFF0.generating");
        std::fs::write(&unfinished, leftover).unwrap();
        // when it is verified
        let out = t.pledger().arg("verify").output().unwrap();
        // then it opens and verifies as before
        assert!(out.status.success(), "{}", crate::support::stderr(&out));
        assert_eq!(crate::support::stdout(&out), format!("ok: 9 events, head {head}\n"));
    }
}

#[test]
fn an_unfinished_snapshot_is_not_touched_while_another_process_holds_the_ledger() {
    // given a ledger held open by this process, with an unfinished snapshot
    let t = TestLedger::new();
    t.import("events.jsonl", &crate::support::sample(2));
    let held = t.open();
    let unfinished = t.path().join("snap.FFFFFFFFFFFFFFF0.generating");
    std::fs::write(&unfinished, b"").unwrap();
    // when the binary opens it
    let out = t.pledger().arg("verify").output().unwrap();
    // then it is told the ledger is in use, and the file (which a live
    // process could be writing) is left alone
    assert_eq!(out.status.code(), Some(3), "{}", crate::support::stderr(&out));
    assert!(crate::support::stderr(&out).contains("is in use by another process"));
    assert!(unfinished.exists());
    drop(held);
}

#[test]
fn an_append_is_in_the_files_as_soon_as_it_is_acknowledged() {
    // given a ledger whose single appends were acknowledged from the
    // journal, its files copied before the store closed, as a crash would
    // leave them
    let (copy, head) = crashed_after_three_journaled_appends();
    // then the copy opens with every acknowledged append, verifies, and
    // takes further appends after them
    let out = copy.pledger().arg("verify").output().unwrap();
    assert!(out.status.success(), "{}", crate::support::stderr(&out));
    assert_eq!(copy.head(), head.to_string());
    let out = copy.pledger().args(["append", "--json", &announcement("after-4")]).output().unwrap();
    assert!(out.status.success(), "{}", crate::support::stderr(&out));
    let reopened = copy.open();
    assert_eq!(reopened.head().unwrap().seq, head.seq + 1);
    assert!(reopened.by_id(IdKind::Announcement, "after-3").unwrap().is_some());
    assert!(matches!(audit::verify(reopened.store(), None).unwrap(), Verdict::Intact { .. }));
}

#[test]
fn commands_that_only_read_leave_a_crashed_ledger_as_it_is_and_lose_none_of_its_journal() {
    // given a ledger whose last appends were acknowledged from the journal
    // alone when its process died (its files copied before it closed the
    // store, as a crash would leave them)
    let (crashed, head) = crashed_after_three_journaled_appends();
    let files =
        || ["db", "head", "journal"].map(|name| (name, std::fs::read(crashed.path().join(name)).unwrap()));
    let before = files();
    // when it is verified twice and its status is taken
    for command in ["verify", "verify", "status"] {
        let out = crashed.pledger().arg(command).output().unwrap();
        assert!(out.status.success(), "{command}: {}", crate::support::stderr(&out));
    }
    // then none of them changed its files
    for ((name, was), (_, is)) in before.iter().zip(files()) {
        assert!(*was == is, "a command that only reads changed {name}");
    }
    // and the next append goes after every acknowledged one, which are all
    // in the store from then on
    assert_eq!(crashed.head(), head.to_string());
    let out = crashed.pledger().args(["append", "--json", &announcement("after-4")]).output().unwrap();
    assert!(out.status.success(), "{}", crate::support::stderr(&out));
    let out = crashed.pledger().arg("verify").output().unwrap();
    assert!(out.status.success(), "{}", crate::support::stderr(&out));
    let reopened = crashed.open();
    assert_eq!(reopened.head().unwrap().seq, head.seq + 1);
    for id in ["after-1", "after-2", "after-3", "after-4"] {
        assert!(reopened.by_id(IdKind::Announcement, id).unwrap().is_some(), "{id}");
    }
    assert!(matches!(audit::verify(reopened.store(), None).unwrap(), Verdict::Intact { .. }));
}

/// A ledger of `sample(2)` and three single appends, acknowledged while
/// they sit in the journal (sled not yet asked to write them), copied
/// before its store is closed, as a crash would leave its files; and the
/// head the appends were acknowledged at.
fn crashed_after_three_journaled_appends() -> (TestLedger, pledger::Head) {
    let t = TestLedger::new();
    t.import("first.jsonl", &crate::support::sample(2));
    let ledger = t.open();
    let stamp = pledger::ledger::Stamp { now: chrono::Utc::now(), by: "tester".into() };
    for id in ["after-1", "after-2", "after-3"] {
        let text = announcement(id);
        let (lines, errors) = pledger::input::read_lines("append", text.as_bytes(), |_| {});
        assert!(errors.is_empty(), "{errors:?}");
        ledger.append(&lines, None, &stamp).unwrap();
    }
    let head = ledger.head().unwrap();
    let copy = TestLedger::new();
    let status = std::process::Command::new("cp").arg("-a").arg(t.path()).arg(copy.path()).status();
    assert!(status.unwrap().success());
    drop(ledger);
    (copy, head)
}

/// Flips a byte inside entry `n` (from 0) of the journal of a ledger from
/// [`crashed_after_three_journaled_appends`], as damage on the device
/// would, and returns where its three entries start (each at a block).
fn damage_journal_entry(t: &TestLedger, n: usize) -> Vec<usize> {
    let path = t.path().join("journal");
    let mut journal = std::fs::read(&path).unwrap();
    let entries: Vec<usize> =
        (0..journal.len()).step_by(4096).filter(|&at| journal[at..].starts_with(b"PLJRNL01")).collect();
    assert_eq!(entries.len(), 3, "one entry per append");
    journal[entries[n] + 200] ^= 1;
    std::fs::write(&path, journal).unwrap();
    entries
}

#[test]
fn a_damaged_journal_entry_is_warned_of_by_verify() {
    // given a ledger whose last three appends sit in its journal alone (its
    // process died), and the last of them then damaged on the device
    let (crashed, head) = crashed_after_three_journaled_appends();
    let entries = damage_journal_entry(&crashed, 2);
    let last = entries[2];
    // when it is verified
    let out = crashed.pledger().arg("verify").output().unwrap();
    // then the chain up to the entry before it verifies, and a warning says
    // an acknowledged append may have been lost there
    assert!(out.status.success(), "{}", crate::support::stderr(&out));
    assert!(crate::support::stdout(&out).starts_with(&format!("ok: {} events", head.seq - 1)));
    let err = crate::support::stderr(&out);
    assert!(
        err.contains(&format!(
            "warning: the journal file ends with an entry at byte {last} that is cut short or fails its checksum"
        )),
        "{err}"
    );
    // and a ledger whose journal is whole gets no such warning
    let (whole, _) = crashed_after_three_journaled_appends();
    let out = whole.pledger().arg("verify").output().unwrap();
    assert!(crate::support::stderr(&out).is_empty(), "{}", crate::support::stderr(&out));
}

#[test]
fn a_damaged_journal_entry_with_a_whole_one_after_it_makes_the_ledger_damaged() {
    // given a ledger whose last three appends sit in its journal alone, and
    // the second of them damaged: a crash cuts short only the last entry
    // written, so the whole third one proves the second was acknowledged
    let (crashed, _) = crashed_after_three_journaled_appends();
    let entries = damage_journal_entry(&crashed, 1);
    let path = crashed.path().join("journal");
    let before = std::fs::read(&path).unwrap();
    for command in [&["verify"][..], &["status"], &["append", "--json", &announcement("after-4")]] {
        // when any command opens it
        let out = crashed.pledger().args(command).output().unwrap();
        // then the ledger is damaged (exit 1), the message says where, and
        // nothing is written over the evidence
        let err = crate::support::stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{command:?}: {err}");
        let says = format!(
            "its journal file holds an entry at byte {} that fails its checksum, and a whole one after it at byte {}",
            entries[1], entries[2]
        );
        assert!(err.contains(&says), "{command:?}: {err}");
        assert_eq!(std::fs::read(&path).unwrap(), before, "{command:?}");
    }
}
