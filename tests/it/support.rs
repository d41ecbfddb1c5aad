//! Helpers shared by the test modules: a temporary ledger, the real `pledger`
//! binary pointed at it, and small sample files.
//!
//! ```ignore
//! let t = TestLedger::new();
//! let file = t.write("events.jsonl", &sample(3));
//! t.pledger().arg("import").arg(&file).assert().success();
//! ```

#![allow(dead_code)] // each test module uses its own subset

use std::path::{Path, PathBuf};
use std::process::Output;

use pledger::input::{read_lines, Line};
use pledger::{Head, Ledger, OpenMode, Stamp};

/// The path of the `pledger` binary that cargo built for these tests.
pub fn binary() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_pledger"))
}

/// A temporary directory holding a ledger (`ledger.db`, not created until a
/// command or [`TestLedger::open`] creates it) and any input files.
pub struct TestLedger {
    dir: tempfile::TempDir,
}

impl TestLedger {
    pub fn new() -> TestLedger {
        TestLedger { dir: tempfile::tempdir().expect("a temporary directory") }
    }

    /// The ledger directory.
    pub fn path(&self) -> PathBuf {
        self.dir.path().join("ledger.db")
    }

    /// The temporary directory itself, for input files.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// `pledger --ledger DIR` with a fixed author and no `PLEDGER_LEDGER`
    /// from the environment, run in the temporary directory.
    pub fn pledger(&self) -> assert_cmd::Command {
        let mut cmd = assert_cmd::Command::new(binary());
        cmd.current_dir(self.dir()).arg("--ledger").arg(self.path());
        cmd.env("PLEDGER_AUTHOR", "tester").env_remove("PLEDGER_LEDGER");
        cmd
    }

    /// The same command as a plain `std::process::Command`, for spawning.
    pub fn pledger_std(&self) -> std::process::Command {
        let mut cmd = std::process::Command::new(binary());
        cmd.current_dir(self.dir()).arg("--ledger").arg(self.path());
        cmd.env("PLEDGER_AUTHOR", "tester").env_remove("PLEDGER_LEDGER");
        cmd
    }

    /// Writes `contents` to `name` in the temporary directory.
    pub fn write(&self, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let path = self.dir().join(name);
        std::fs::write(&path, contents).expect("write an input file");
        path
    }

    /// Imports `contents` (as a file named `name`) and asserts it succeeded.
    pub fn import(&self, name: &str, contents: &str) {
        let file = self.write(name, contents);
        self.pledger().arg("import").arg(file).assert().success();
    }

    /// The head as `pledger head` prints it (`SEQ:HASH`).
    pub fn head(&self) -> String {
        stdout(&self.pledger().arg("head").output().expect("run pledger head")).trim().to_owned()
    }

    /// Opens the ledger through the library (no other process may hold it).
    pub fn open(&self) -> Ledger {
        Ledger::open(&self.path(), OpenMode::Create).expect("open the ledger")
    }
}

/// Standard output as text.
pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Standard error as text.
pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The head of an empty ledger, as printed.
pub fn empty_head() -> String {
    Head::EMPTY.to_string()
}

/// A valid file of `commitments + 6` events: one announcement, the
/// commitments (ids `c1`, `c2`, …), a meeting that fulfils `c1` and
/// progresses `c2`, a deadline revision, progress, an outcome and a
/// retraction of the progress line by seq. Needs at least two commitments;
/// valid on an empty ledger (the retraction names seq `commitments + 4`).
pub fn sample(commitments: usize) -> String {
    assert!(commitments >= 2, "the sample needs two commitments");
    let mut lines = vec![
        r#"{"type":"announcement","id":"in-jp-2026","date":"2026-01-16","title":"India-Japan Strategic Dialogue","parties":["India","Japan"],"source":{"publisher":"news.jointearn.com"}}"#.to_owned(),
    ];
    for i in 1..=commitments {
        lines.push(format!(
            r#"{{"type":"commitment","id":"c{i}","announcement":"in-jp-2026","title":"Commitment number {i}","deadline":"first half of 2026","tags":["t{i}"]}}"#
        ));
    }
    lines.push(
        r#"{"type":"meeting","id":"esd-tokyo","date":"2026-05-20","title":"Economic security dialogue held in Tokyo","fulfils":["c1"],"progresses":["c2"]}"#.into(),
    );
    lines.push(r#"{"type":"deadline","commitment":"c2","date":"2026-03-01","deadline":"within 90 days","reason":"Agreed at the review"}"#.into());
    lines.push(
        r#"{"type":"progress","commitment":"c2","date":"2026-03-02","note":"Terms of reference agreed"}"#
            .into(),
    );
    lines.push(
        r#"{"type":"outcome","commitment":"c2","date":"2026-06-01","outcome":"met","note":"Held in Delhi"}"#
            .into(),
    );
    let progress_seq = commitments + 4;
    lines.push(format!(r#"{{"type":"retraction","retracts":{progress_seq},"reason":"Reported in error"}}"#));
    lines.join("\n") + "\n"
}

/// The number of events in [`sample`].
pub fn sample_len(commitments: usize) -> u64 {
    commitments as u64 + 6
}

/// An announcement line with this id, valid on any ledger that lacks the id.
pub fn announcement(id: &str) -> String {
    format!(
        r#"{{"type":"announcement","id":"{id}","date":"2026-02-01","title":"Statement {id}","parties":["India"]}}"#
    )
}

/// The digest `export` names an event by in `retracts_event`, as README
/// defines it: the first 16 bytes of BLAKE3 over the event's canonical
/// line, in lowercase hex (made here with the `blake3` crate, not pledger).
pub fn digest(canonical_line: &str) -> String {
    blake3::hash(canonical_line.as_bytes()).as_bytes()[..16].iter().map(|b| format!("{b:02x}")).collect()
}

/// Two ledgers that hold the sample of `sample(2)`, to part afterwards.
pub fn two_ledgers_with_the_sample() -> (TestLedger, TestLedger) {
    let (a, b) = (TestLedger::new(), TestLedger::new());
    a.import("events.jsonl", &sample(2));
    b.import("events.jsonl", &sample(2));
    (a, b)
}

/// A number from the environment, or `default` when the variable is unset.
pub fn env_u64(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Ok(text) => text.parse().unwrap_or_else(|_| panic!("{name} must be a number, found {text:?}")),
        Err(_) => default,
    }
}

/// A seed from the clock, for tests that print theirs so a failure can be replayed.
pub fn clock_seed() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64
}

/// SplitMix64: small random choices (moments, offsets) from a seed.
pub struct Rng(pub u64);

impl Rng {
    /// A number in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        (z ^ (z >> 31)) % n.max(1)
    }
}

/// The stamp of events the tests append through the library: recorded on
/// 2026-11-28 by "test".
pub fn stamp() -> Stamp {
    Stamp { now: "2026-11-28T00:00:00Z".parse().unwrap(), by: "test".into() }
}

/// The lines of a generated ledger of `events` events, decoded.
pub fn generated_lines(events: u64) -> Vec<Line> {
    let (lines, errors) = read_lines("generated.jsonl", crate::generate::text(events).as_bytes(), |_| {});
    assert!(errors.is_empty(), "{errors:?}");
    lines
}

/// A ledger in `dir` built through the library from `groups` of lines, each
/// group one append, keeping a snapshot every `snapshot_every` events.
/// `{uuid N}` in a line stands for the uuid of the event at seq N.
pub fn ledger_from(dir: &Path, groups: &[&[&str]], snapshot_every: u64) -> Ledger {
    let ledger =
        Ledger::open(&dir.join("l.db"), OpenMode::Create).unwrap().with_snapshot_every(snapshot_every);
    for group in groups {
        let mut text = group.join("\n");
        while let Some(start) = text.find("{uuid ") {
            let end = start + text[start..].find('}').unwrap();
            let seq: u64 = text[start + 6..end].parse().unwrap();
            let uuid = ledger.envelope(seq).unwrap().unwrap().uuid;
            text.replace_range(start..=end, &uuid.to_string());
        }
        let (lines, errors) = read_lines("t.jsonl", text.as_bytes(), |_| {});
        assert!(errors.is_empty(), "{errors:?}");
        ledger.append(&lines, None, &stamp()).unwrap();
    }
    ledger
}
