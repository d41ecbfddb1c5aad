//! Benchmark: pledger against a peer that keeps the same ledger in SQLite.
//!
//! ```text
//! cargo run --release --example bench -- --events 200000 [--rounds 3] [--json]
//! ```
//!
//! Both sides take the same generated JSON lines and do the same work per
//! event: decode and check the line into an `Event`, serialize it, frame it
//! as a record (`chain::encode`, the same BLAKE3 chain), and store it durably
//! with an index entry (its id, or its content digest for id-less events).
//! pledger additionally resolves every reference against the chain; the peer
//! does not, so the comparison favours the peer. The peer is SQLite in WAL
//! mode with synchronous=FULL: `events(seq, prev, hash, record)`, `ids(key,
//! seq)`, and `snapshots(seq, bytes)`.
//!
//! Each metric is run `--rounds` times, alternating pledger and peer, and the
//! median is reported. Each round runs in a process of its own, and
//! `status_snapshot` in a further process that has just opened the ledger,
//! as the `status` command runs: after the round's process has exited, as
//! a user's `status` follows an `import` that has exited. (Measured while
//! the round's process still held its memory, a status at 1,000,000 events
//! spent two to four times as long in the kernel: its page faults were
//! served from memory this virtual machine had not used yet, not from the
//! memory the round would have given back.) Each round times
//! `STATUS_SAMPLES` statuses a side, the two sides in turn, once both
//! rounds have exited, so that a slow stretch of the machine falls on both
//! sides alike. The timing stops once the
//! statuses are made, before the projection is freed: `pledger status`
//! leaves it to the process exit (`cli::leave_to_exit`), and so would a
//! command built on the peer. Freeing it took pledger 71-76 ms at 1,000,000
//! events and the peer 42-44, from the state each process's earlier frees
//! left glibc in (with glibc's thresholds fixed, both took 72-78 ms).
//! `status_after_import` is the
//! same status taken in the round's own process, right after the import,
//! appends, verify and replay, for comparison. `ratio` is oriented so that above 1.0 means pledger is
//! better.
//!
//! A third round in each set measures the CPU ceilings the issue sets import
//! and verify against, on the same events (see `ceiling_round`), and the
//! table's second part gives pledger's share of each. Its third part splits
//! pledger's import into its phases (reading, checking, storing) beside the
//! time half the import ceiling allows for all of it, to show where the
//! import's distance from that goal lies, and beside the floors: work every
//! import of this design must do that the ceiling does not count (decoding
//! its input, folding the snapshot the first status starts from, and sled
//! storing the bytes), each measured alone in the ceilings' round, with the
//! best case their sum allows on two cores. Timings are measurements, never
//! pass/fail: CI runs this with a small N only so that it cannot rot.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

use chrono::{DateTime, NaiveDate, Utc};
use pledger::audit::{self, Verdict};
use pledger::chain::{self, Hash, RawRecord};
use pledger::input::{decode_line, read_lines};
use pledger::projection::{CommitmentStatus, Projection};
use pledger::{Ledger, OpenMode, Stamp};

#[path = "../tests/it/generate.rs"]
#[allow(dead_code)]
mod generate;

const APPENDS: usize = 2_000;

/// Statuses timed for each side in each round.
const STATUS_SAMPLES: usize = 3;

fn main() {
    let mut events = 200_000u64;
    let mut rounds = 3usize;
    let mut json = false;
    let mut child = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--events" => events = args.next().and_then(|v| v.parse().ok()).expect("--events takes a number"),
            "--rounds" => rounds = args.next().and_then(|v| v.parse().ok()).expect("--rounds takes a number"),
            "--json" => json = true,
            "--round" => child = args.next(),
            "--status" => {
                let side = args.next().expect("--status takes a side and a path");
                let path = args.next().expect("--status takes a side and a path");
                status_in_fresh_process(&side, Path::new(&path));
                return;
            }
            other => panic!("unknown argument {other:?}; usage: bench [--events N] [--rounds R] [--json]"),
        }
    }
    if child.as_deref() == Some("ceiling") {
        ceiling_round(events as usize, APPENDS.min(events as usize));
        return;
    }
    if let Some(side) = child {
        run_round(&side, events);
        return;
    }
    let appends = APPENDS.min(events as usize);

    // Each round runs in a process of its own, as each command of a real
    // user would: in one process, the heap one side's round left behind
    // (sled's cache, freed projections) changed the other side's timings
    // by up to 30% (status_snapshot above all).
    let exe = std::env::current_exe().expect("the bench's own path");
    let mut samples: BTreeMap<String, (Vec<f64>, Vec<f64>)> = BTreeMap::new();
    let mut ceilings: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    for _ in 0..rounds.max(1) {
        let mut ledgers = Vec::new();
        for side in ["pledger", "sqlite", "ceiling"] {
            let out = std::process::Command::new(&exe)
                .args(["--events", &events.to_string(), "--round", side])
                .stderr(std::process::Stdio::inherit())
                .output()
                .expect("run a round");
            assert!(out.status.success(), "the {side} round failed");
            if side == "ceiling" {
                let figures: BTreeMap<String, f64> =
                    serde_json::from_slice(&out.stdout).expect("the ceilings");
                for name in CEILINGS.map(|(name, _)| name).into_iter().chain(FLOORS.map(|(name, _)| name)) {
                    ceilings.entry(name).or_default().push(figures[name]);
                }
                continue;
            }
            let round: RoundOutput = serde_json::from_slice(&out.stdout).expect("a round's figures");
            for (name, value) in round.figures {
                let entry = samples.entry(name).or_default();
                match side {
                    "pledger" => entry.0.push(value),
                    _ => entry.1.push(value),
                }
            }
            ledgers.push((side, round.dir, round.ledger, round.digest));
            settle();
        }
        // The rounds' processes have exited: `status` runs as it would
        // after an import. A status is short, so a slow stretch of this
        // machine could fall on one side's only sample: each side's are
        // taken in turn, the side that goes first changing each time.
        let entry = samples.entry("status_snapshot".into()).or_default();
        for sample in 0..STATUS_SAMPLES {
            let mut turn: Vec<_> = ledgers.iter().collect();
            if sample % 2 == 1 {
                turn.reverse();
            }
            for (side, _, ledger, digest) in turn {
                settle();
                let ms = status_elsewhere(side, ledger, digest);
                match *side {
                    "pledger" => entry.0.push(ms),
                    _ => entry.1.push(ms),
                }
            }
        }
        for (_, dir, _, _) in ledgers {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
    let order = [
        "import",
        "append",
        "verify",
        "replay",
        "status_snapshot",
        "status_after_import",
        "open",
        "disk_bytes",
    ];
    let mut results = serde_json::Map::new();
    if !json {
        println!("{} events, {appends} appends, median of {} rounds", events, rounds.max(1));
        println!("{:<16} {:>14} {:>14} {:>7}  unit", "metric", "pledger", "sqlite", "ratio");
    }
    for name in order {
        let (p, s) = &samples[name];
        let (p, s) = (median(p), median(s));
        let unit = unit(name);
        let higher_is_better = unit == "events/s";
        let ratio = if higher_is_better { p / s } else { s / p };
        if !json {
            println!("{name:<16} {p:>14.1} {s:>14.1} {ratio:>7.2}  {unit}");
        }
        results.insert(
            name.to_owned(),
            serde_json::json!({"pledger": p, "sqlite": s, "ratio": ratio, "unit": unit}),
        );
    }
    // Each ceiling beside the metric it bounds, measured in the same run.
    let mut shares = serde_json::Map::new();
    if !json {
        println!("\nCPU ceilings on this machine, median of {} rounds", rounds.max(1));
        println!("{:<16} {:>14} {:>14}  what", "metric", "ceiling", "share");
    }
    for (name, what) in CEILINGS {
        let ceiling = median(&ceilings[name]);
        // Each round's pledger figure over the ceiling measured just after
        // it, so that the machine's drift between rounds cancels out.
        let per_round: Vec<f64> = samples[name].0.iter().zip(&ceilings[name]).map(|(p, c)| p / c).collect();
        let share = median(&per_round);
        if !json {
            println!("{name:<16} {ceiling:>14.1} {share:>14.2}  {what}");
        }
        shares.insert(
            name.to_owned(),
            serde_json::json!({"ceiling": ceiling, "share": share, "unit": "events/s", "what": what}),
        );
    }
    // Where pledger's import time goes, beside what half the import
    // ceiling would allow for all of it.
    let mut phases = serde_json::Map::new();
    if !json {
        println!("\nPledger's import by phase, median of {} rounds", rounds.max(1));
        println!("{:<16} {:>14}  what", "phase", "ms");
    }
    for (name, what) in IMPORT_PHASES {
        let ms = median(&samples[&format!("import_{name}")].0);
        if !json {
            println!("{name:<16} {ms:>14.1}  {what}");
        }
        phases.insert(name.to_owned(), serde_json::json!({"ms": ms, "what": what}));
    }
    let budget = events as f64 / (median(&ceilings["import"]) / 2.0) * 1000.0;
    if !json {
        println!("{:<16} {budget:>14.1}  the whole import at half the import ceiling", "budget");
    }
    phases.insert(
        "budget".to_owned(),
        serde_json::json!({"ms": budget, "what": "the whole import at half the import ceiling"}),
    );
    // What an import cannot avoid that the ceiling leaves out, measured
    // beside it: the budget is for all of the import.
    for (name, what) in FLOORS {
        let ms = median(&ceilings[name]);
        if !json {
            println!("{name:<16} {ms:>14.1}  {what}");
        }
        phases.insert(name.to_owned(), serde_json::json!({"ms": ms, "what": what}));
    }
    // With the ceiling's own work, the floors are one core's work each:
    // shared perfectly between two cores, no import doing all of it can take
    // less than half their sum (sled's transaction runs on one thread, so
    // even that is more than it can get).
    let serialize = events as f64 / median(&ceilings["import"]) * 1000.0;
    let best = (serialize + FLOORS.iter().map(|(name, _)| median(&ceilings[name])).sum::<f64>()) / 2.0;
    let what = "the ceiling's work and the floors, shared perfectly between two cores";
    if !json {
        println!("{:<16} {best:>14.1}  {what}", "best_case");
    }
    phases.insert("best_case".to_owned(), serde_json::json!({"ms": best, "what": what}));
    if json {
        println!(
            "{}",
            serde_json::json!({"events": events, "results": results, "ceilings": shares, "import_phases": phases})
        );
    }
}

/// The CPU ceilings the issue sets import and verify against, measured on
/// the bench's own events: a metric's `share` is the median over the rounds
/// of pledger's figure over the ceiling's. The ceilings are one thread's
/// work and pledger uses both cores, so a share can exceed 1.
const CEILINGS: [(&str, &str); 2] = [
    ("import", "serde_json serialize + BLAKE3 chain hash, one core"),
    ("verify", "BLAKE3 over each stored record (prev in its header), one core"),
];

/// Work every import must do that the import ceiling does not count,
/// measured in the ceilings' round (see `ceiling_round`), in ms.
const FLOORS: [(&str, &str); 3] = [
    ("floor_decode", "floor: decoding the input lines into events, one core"),
    ("floor_snapshot", "floor: folding the events into a projection and serializing it, one core"),
    ("floor_sled", "floor: sled alone storing the records (no index), one transaction, flush, fsync"),
];

/// The phases of pledger's import, as `pledger import` runs them one after
/// another (each on all cores where it can be).
const IMPORT_PHASES: [(&str, &str); 3] = [
    ("read", "read_lines: split the lines, decode and check each event"),
    ("check", "check_to_append: check against the chain, frame and seal the records"),
    ("store", "append_checked: write records and index to sled, sync; fold the snapshot"),
];

/// The ceilings' round, on the same events as the sides' rounds (the
/// first `events` for the import, all of them with the appends for
/// verify), decoded outside the timing. `import`: each record's body (the
/// event in its envelope, the envelope's uuid and time formatted ahead)
/// serialized with serde_json straight into its frame, and sealed into the
/// chain, so that the ceiling makes the bytes pledger stores with no work
/// but serializing and hashing them. `verify`: each record's link checked
/// and the record hashed again, as verification must. Both on one thread.
/// The records are made once untimed first, so that the timed pass writes
/// into memory already touched and sized: the page faults of first use
/// made the figure vary by half from round to round.
fn ceiling_round(events: usize, appends: usize) {
    let mut text = Vec::new();
    generate::generate(&generate::Spec::new((events + appends) as u64), &mut text).expect("generate");
    let decoded: Vec<_> = std::str::from_utf8(&text)
        .expect("utf-8")
        .lines()
        .map(|line| decode_line(line).expect("a generated line"))
        .collect();
    let n = decoded.len();
    // The envelope's strings, made ahead: the ceiling serializes the bytes
    // a record's body holds, with nothing formatted but the event.
    let (now, _) = clock();
    let recorded_at = now.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true);
    let uuids: Vec<String> = (0..n as u64)
        .map(|i| {
            let random = blake3::hash(&i.to_le_bytes());
            let random: &[u8; 10] = random.as_bytes()[..10].try_into().unwrap();
            let millis = now.timestamp_millis() as u64;
            uuid::Builder::from_unix_timestamp_millis(millis, random).into_uuid().to_string()
        })
        .collect();
    #[derive(serde::Serialize)]
    struct Body<'a> {
        uuid: &'a str,
        recorded_at: &'a str,
        recorded_by: &'a str,
        event: &'a pledger::event::Event,
    }
    let (mut records, mut ends) = (Vec::new(), Vec::with_capacity(n));
    let make_chain = |records: &mut Vec<u8>, ends: &mut Vec<usize>, count: usize| {
        let mut prev = Hash::ZERO;
        for ((seq, event), uuid) in (1..).zip(&decoded).zip(&uuids).take(count) {
            let envelope = Body { uuid, recorded_at: &recorded_at, recorded_by: "bench", event };
            let start = records.len();
            chain::frame_unsealed(records, |out| serde_json::to_writer(out, &envelope).expect("serialize"));
            prev = chain::seal(&mut records[start..], seq, &prev);
            ends.push(records.len());
        }
        prev
    };
    make_chain(&mut records, &mut ends, n);
    records.clear();
    ends.clear();
    let start = Instant::now();
    let prev = make_chain(&mut records, &mut ends, events);
    let import = per_second(events, start);
    std::hint::black_box(prev);
    let sled_store = sled_floor(&records, &ends);
    records.clear();
    ends.clear();
    make_chain(&mut records, &mut ends, n);

    let start = Instant::now();
    let (mut from, mut prev) = (0, Hash::ZERO);
    for end in &ends {
        // The hashed part of a record is its header (which holds prev)
        // and its body; the last 32 bytes are the hash itself.
        let record = &records[from..*end];
        assert_eq!(record[9..41], prev.0, "the chain's links");
        prev = chain::hash_bytes(&record[..record.len() - 32]);
        from = *end;
    }
    let verify = per_second(n, start);
    std::hint::black_box(prev);
    // What an import cannot avoid but the import ceiling leaves out: reading
    // its input. The lines decoded into events again, one core.
    let start = Instant::now();
    let again: Vec<_> = std::str::from_utf8(&text)
        .expect("utf-8")
        .lines()
        .take(events)
        .map(|line| decode_line(line).expect("a generated line"))
        .collect();
    let decode = millis(start);
    std::hint::black_box(again);
    // And what pledger's import does so that the first status after it
    // starts from a snapshot: the events folded into a projection, and that
    // serialized.
    let start = Instant::now();
    let mut projection = Projection::default();
    for (seq, event) in (1..).zip(&decoded).take(events) {
        projection.apply(seq, Hash::ZERO, event, &mut |_| None);
    }
    let snapshot = projection.to_snapshot();
    let fold = millis(start);
    std::hint::black_box(snapshot);
    println!(
        "{}",
        serde_json::json!({
            "import": import, "verify": verify,
            "floor_decode": decode, "floor_snapshot": fold, "floor_sled": sled_store,
        })
    );
}

/// Milliseconds sled alone takes to store an import's records durably as
/// pledger lays them out, with none of pledger's work: `records` (framed
/// and sealed, ending at `ends`) in pieces of up to 1 MiB at record
/// boundaries, each the only value of a tree of its own beside a marker in
/// an `events` tree, written in one transaction, then sled's flush and an
/// fsync of its data file. No index is written, so this is a floor under
/// pledger's store phase. The pieces are made and the trees opened
/// untimed, in a new store opened with pledger's sled settings.
fn sled_floor(records: &[u8], ends: &[usize]) -> f64 {
    use sled::Transactional;
    let dir = tempfile::tempdir().expect("temp dir");
    let db = sled::Config::new()
        .path(dir.path().join("sled"))
        .segment_size(8 << 20)
        .cache_capacity(1 << 30)
        .flush_every_ms(None)
        .open()
        .expect("a sled store");
    let mut pieces: Vec<(u64, sled::IVec)> = Vec::new();
    let (mut from, mut first) = (0, 1u64);
    for (i, end) in ends.iter().enumerate() {
        let next = ends.get(i + 1).copied().unwrap_or(usize::MAX);
        if next - from > 1 << 20 || next == usize::MAX {
            pieces.push((first, sled::IVec::from(&records[from..*end])));
            (from, first) = (*end, i as u64 + 2);
        }
    }
    let events = db.open_tree("events").expect("a tree");
    let segments: Vec<sled::Tree> =
        pieces.iter().map(|(first, _)| db.open_tree(format!("segment.{first}")).expect("a tree")).collect();
    let mut trees = vec![&events];
    trees.extend(segments.iter());
    let start = Instant::now();
    trees
        .as_slice()
        .transaction(|trees| {
            for (i, (first, bytes)) in pieces.iter().enumerate() {
                trees[1 + i].insert(&b"s"[..], bytes.clone())?;
                trees[0].insert(&first.to_be_bytes(), &b"m"[..])?;
            }
            Ok::<_, sled::transaction::ConflictableTransactionError<()>>(())
        })
        .expect("the transaction");
    db.flush().expect("flush");
    std::fs::File::open(dir.path().join("sled").join("db")).and_then(|f| f.sync_all()).expect("fsync");
    millis(start)
}

/// What a round's process prints: its figures, and the ledger it leaves
/// (in `dir`) for the status measured after it, with the digest of the
/// statuses that must come out.
#[derive(serde::Serialize, serde::Deserialize)]
struct RoundOutput {
    figures: BTreeMap<String, f64>,
    dir: std::path::PathBuf,
    ledger: std::path::PathBuf,
    digest: String,
}

/// `status` from the newest snapshot, measured in a process of its own
/// that has just opened the ledger, as `pledger status` runs (the open is
/// measured apart): checks that it gives statuses with `digest`, and
/// returns its milliseconds.
fn status_elsewhere(side: &str, path: &Path, digest: &str) -> f64 {
    let exe = std::env::current_exe().expect("the bench's own path");
    let out = std::process::Command::new(exe)
        .arg("--status")
        .arg(side)
        .arg(path)
        .stderr(std::process::Stdio::inherit())
        .output()
        .expect("run a status");
    assert!(out.status.success(), "the {side} status failed");
    let (ms, got): (f64, String) = serde_json::from_slice(&out.stdout).expect("a status's figures");
    assert_eq!(got, digest, "the {side} status differs from the replay");
    ms
}

/// Prints `[milliseconds, digest of the statuses]` for one status.
fn status_in_fresh_process(side: &str, path: &Path) {
    let (now, as_of) = clock();
    let (ms, statuses) = match side {
        "pledger" => {
            let ledger = Ledger::open(path, OpenMode::Existing).unwrap();
            ledger.head().unwrap();
            let start = Instant::now();
            let projection = ledger.projection(None).unwrap();
            let statuses = projection.statuses(as_of);
            // Timed before the projection is freed: see `status_snapshot`.
            (millis(start), statuses)
        }
        "sqlite" => {
            let peer = Peer::open(path, now);
            let start = Instant::now();
            let projection = peer.projection_from_snapshot();
            let statuses = projection.statuses(as_of);
            (millis(start), statuses)
        }
        other => panic!("unknown side {other:?}"),
    };
    println!("{}", serde_json::json!([ms, statuses_digest(&statuses)]));
}

fn statuses_digest(statuses: &[CommitmentStatus]) -> String {
    blake3::hash(format!("{statuses:?}").as_bytes()).to_hex().to_string()
}

/// The bench's fixed clock: records are stamped `now`, statuses are as of
/// `as_of`.
fn clock() -> (DateTime<Utc>, NaiveDate) {
    ("2026-11-28T00:00:00Z".parse().unwrap(), "2026-11-28".parse().unwrap())
}

/// One round of one side, in this process: prints its figures as JSON.
fn run_round(side: &str, events: u64) {
    let appends = APPENDS.min(events as usize);
    let mut text = Vec::new();
    generate::generate(&generate::Spec::new(events + appends as u64), &mut text).expect("generate");
    let lines: Vec<&str> = std::str::from_utf8(&text).expect("utf-8").lines().collect();
    let (bulk, tail) = lines.split_at(events as usize);
    let (now, as_of) = clock();
    // Kept for the status measured after this process exits; the main
    // process removes it.
    let dir = tempfile::tempdir().expect("temp dir").keep();
    let (m, ledger, statuses) = match side {
        "pledger" => pledger_round(&dir, &bulk.join("\n"), tail, now, as_of),
        "sqlite" => sqlite_round(&dir, bulk, tail, now, as_of),
        other => panic!("unknown side {other:?}"),
    };
    let figures = m.into_iter().map(|(name, value)| (name.to_owned(), value)).collect();
    let digest = statuses_digest(&statuses);
    let out = RoundOutput { figures, dir, ledger, digest };
    println!("{}", serde_json::to_string(&out).expect("figures as JSON"));
}

/// One round's figures for one side (`status_snapshot` is measured after
/// the round).
struct Round {
    import: f64,
    append: f64,
    verify: f64,
    replay: f64,
    status_after_import: f64,
    open: f64,
    disk: f64,
}

impl Round {
    fn metrics(self) -> Vec<(&'static str, f64)> {
        vec![
            ("import", self.import),
            ("append", self.append),
            ("verify", self.verify),
            ("replay", self.replay),
            ("status_after_import", self.status_after_import),
            ("open", self.open),
            ("disk_bytes", self.disk),
        ]
    }
}

/// What a round returns: its figures, the ledger it leaves, and the
/// statuses a status of it must give.
type RoundResult = (Vec<(&'static str, f64)>, std::path::PathBuf, Vec<CommitmentStatus>);

fn unit(name: &str) -> &'static str {
    match name {
        "status_snapshot" | "status_after_import" | "open" => "ms",
        "disk_bytes" => "bytes/event",
        _ => "events/s",
    }
}

/// Lets the disk finish with the round just ended before the next one
/// starts: deleting a round's files (ext4 here discards the freed blocks)
/// and writing back what is left would otherwise fall into the other
/// side's timings, appends above all.
fn settle() {
    let _ = std::process::Command::new("sync").status();
    std::thread::sleep(std::time::Duration::from_secs(1));
}

fn median(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

fn per_second(n: usize, start: Instant) -> f64 {
    n as f64 / start.elapsed().as_secs_f64()
}

fn millis(start: Instant) -> f64 {
    start.elapsed().as_secs_f64() * 1000.0
}

fn dir_bytes(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let meta = e.metadata().unwrap();
            if meta.is_dir() {
                dir_bytes(&e.path())
            } else {
                meta.len()
            }
        })
        .sum()
}

fn pledger_round(dir: &Path, bulk: &str, tail: &[&str], now: DateTime<Utc>, as_of: NaiveDate) -> RoundResult {
    let path = dir.join("ledger");
    let stamp = Stamp { now, by: "bench".into() };
    let ledger = Ledger::open(&path, OpenMode::Create).unwrap();
    let n = bulk.lines().count();

    // `Ledger::append` is `check_to_append` then `append_checked`; called
    // apart here, they time the import's three phases as well as the whole.
    let start = Instant::now();
    let (lines, errors) = read_lines("bench.jsonl", bulk.as_bytes(), |_| {});
    assert!(errors.is_empty(), "{errors:?}");
    let import_read = millis(start);
    let phase = Instant::now();
    let checked = ledger.check_to_append(&lines, &stamp).unwrap();
    let import_check = millis(phase);
    let phase = Instant::now();
    ledger.append_checked(checked).unwrap();
    let import_store = millis(phase);
    let import = per_second(n, start);
    // Not freed, as `pledger import` does not free them before it exits
    // (the appends that follow stand for later commands). Freed here, the
    // import's million small allocations were left for glibc to merge at
    // the next large allocation, inside the first appends: 2,000 appends
    // after a 1,000,000-event import took 194-214 µs each instead of 145.
    std::mem::forget(lines);

    let start = Instant::now();
    for (i, line) in tail.iter().enumerate() {
        let (one, errors) = read_lines("bench-tail.jsonl", line.as_bytes(), |_| {});
        assert!(errors.is_empty(), "line {i}: {errors:?}");
        ledger.append(&one, None, &stamp).unwrap();
    }
    let append = per_second(tail.len(), start);
    let total = n + tail.len();

    let start = Instant::now();
    assert!(matches!(audit::verify(ledger.store(), None).unwrap(), Verdict::Intact { .. }));
    let verify = per_second(total, start);

    let start = Instant::now();
    let replayed = ledger.projection_replayed(None).unwrap();
    let replay = per_second(total, start);

    let start = Instant::now();
    let projection = ledger.projection(None).unwrap();
    let statuses = projection.statuses(as_of);
    let status_after_import = millis(start);
    drop(projection);
    assert_eq!(statuses, replayed.statuses(as_of));

    drop(ledger);
    let start = Instant::now();
    let ledger = Ledger::open(&path, OpenMode::Existing).unwrap();
    ledger.head().unwrap();
    let open = millis(start);
    drop(ledger);

    let disk = dir_bytes(&path) as f64 / total as f64;
    let mut metrics = Round { import, append, verify, replay, status_after_import, open, disk }.metrics();
    metrics.extend([
        ("import_read", import_read),
        ("import_check", import_check),
        ("import_store", import_store),
    ]);
    (metrics, path, statuses)
}

/// The peer: the same records in SQLite.
struct Peer {
    db: rusqlite::Connection,
    head: (u64, Hash),
    now: DateTime<Utc>,
}

impl Peer {
    fn open(path: &Path, now: DateTime<Utc>) -> Peer {
        let db = rusqlite::Connection::open(path).unwrap();
        db.execute_batch(
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;
             CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY, prev BLOB NOT NULL, hash BLOB NOT NULL, record BLOB NOT NULL);
             CREATE TABLE IF NOT EXISTS ids (key BLOB PRIMARY KEY, seq INTEGER NOT NULL) WITHOUT ROWID;
             CREATE TABLE IF NOT EXISTS snapshots (seq INTEGER PRIMARY KEY, bytes BLOB NOT NULL);",
        )
        .unwrap();
        let head = db
            .query_row("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1", [], |r| {
                Ok((r.get::<_, u64>(0)?, r.get::<_, Vec<u8>>(1)?))
            })
            .map(|(seq, hash)| (seq, Hash(hash.try_into().unwrap())))
            .unwrap_or((0, Hash::ZERO));
        Peer { db, head, now }
    }

    /// Decodes, frames and stores `lines` in one transaction.
    fn append(&mut self, lines: &[&str]) {
        let tx = self.db.transaction().unwrap();
        {
            let mut insert = tx.prepare_cached("INSERT INTO events VALUES (?1, ?2, ?3, ?4)").unwrap();
            let mut index = tx.prepare_cached("INSERT OR REPLACE INTO ids VALUES (?1, ?2)").unwrap();
            let recorded_at = serde_json::to_string(&self.now).unwrap();
            for line in lines {
                let event = decode_line(line).unwrap();
                let canonical = event.canonical_json();
                // uuids made as pledger makes them (BLAKE3 over a counter).
                let random = blake3::hash(&self.head.0.to_le_bytes());
                let random: &[u8; 10] = random.as_bytes()[..10].try_into().unwrap();
                let millis = self.now.timestamp_millis() as u64;
                let uuid = uuid::Builder::from_unix_timestamp_millis(millis, random).into_uuid();
                let body = format!(
                    "{{\"uuid\":\"{uuid}\",\"recorded_at\":{recorded_at},\"recorded_by\":\"bench\",\"event\":{}}}",
                    String::from_utf8(canonical.clone()).unwrap()
                );
                let (seq, prev) = (self.head.0 + 1, self.head.1);
                let mut record = Vec::with_capacity(body.len() + 80);
                let hash = chain::encode(seq, &prev, body.as_bytes(), &mut record);
                insert.execute(rusqlite::params![seq, &prev.0[..], &hash.0[..], record]).unwrap();
                let key = match event.id() {
                    Some((kind, id)) => format!("{}:{id}", kind.name()).into_bytes(),
                    None => blake3::hash(&canonical).as_bytes()[..16].to_vec(),
                };
                index.execute(rusqlite::params![key, seq]).unwrap();
                self.head = (seq, hash);
            }
        }
        tx.commit().unwrap();
    }

    fn verify(&self) -> u64 {
        let mut stmt = self.db.prepare("SELECT record FROM events ORDER BY seq").unwrap();
        let mut rows = stmt.query([]).unwrap();
        let (mut seq, mut prev) = (0u64, Hash::ZERO);
        while let Some(row) = rows.next().unwrap() {
            let bytes: &[u8] = row.get_ref(0).unwrap().as_blob().unwrap();
            let (record, _) = RawRecord::split(bytes).unwrap();
            assert_eq!(record.seq(), seq + 1);
            assert_eq!(record.prev(), prev);
            assert_eq!(record.computed_hash(), record.stored_hash());
            seq += 1;
            prev = record.stored_hash();
        }
        seq
    }

    fn replay(&self, from: Projection) -> Projection {
        let mut projection = from;
        let mut stmt = self.db.prepare("SELECT record FROM events WHERE seq > ?1 ORDER BY seq").unwrap();
        let mut rows = stmt.query([projection.seq]).unwrap();
        while let Some(row) = rows.next().unwrap() {
            let bytes: &[u8] = row.get_ref(0).unwrap().as_blob().unwrap();
            let (record, _) = RawRecord::split(bytes).unwrap();
            let envelope = record.decode().unwrap();
            projection.apply_owned(envelope.seq, envelope.hash, envelope.event, &mut |_| None);
        }
        projection
    }
}

fn sqlite_round(
    dir: &Path,
    bulk: &[&str],
    tail: &[&str],
    now: DateTime<Utc>,
    as_of: NaiveDate,
) -> RoundResult {
    let path = dir.join("peer.sqlite");
    let mut peer = Peer::open(&path, now);

    let start = Instant::now();
    peer.append(bulk);
    let import = per_second(bulk.len(), start);

    let start = Instant::now();
    for line in tail {
        peer.append(std::slice::from_ref(line));
    }
    let append = per_second(tail.len(), start);
    let total = bulk.len() + tail.len();

    let start = Instant::now();
    assert_eq!(peer.verify(), total as u64);
    let verify = per_second(total, start);

    let start = Instant::now();
    let replayed = peer.replay(Projection::default());
    let replay = per_second(total, start);

    // The peer keeps a snapshot like pledger's (the projection at the last
    // multiple of 10,000) and answers status from it plus the tail.
    let every = pledger::ledger::DEFAULT_SNAPSHOT_EVERY;
    let at = total as u64 / every * every;
    if at > 0 {
        let snapshot = peer.replay_to(at);
        peer.db.execute("INSERT INTO snapshots VALUES (?1, ?2)", rusqlite::params![at, snapshot]).unwrap();
    }
    let start = Instant::now();
    let projection = peer.projection_from_snapshot();
    let statuses = projection.statuses(as_of);
    let status_after_import = millis(start);
    drop(projection);
    assert_eq!(statuses, replayed.statuses(as_of));

    drop(peer);
    let start = Instant::now();
    let peer = Peer::open(&path, now);
    let open = millis(start);
    drop(peer);

    let disk = dir_bytes(dir) as f64 / total as f64;
    (Round { import, append, verify, replay, status_after_import, open, disk }.metrics(), path, statuses)
}

impl Peer {
    /// The projection from the newest snapshot plus the events after it.
    fn projection_from_snapshot(&self) -> Projection {
        let base = self
            .db
            .query_row("SELECT bytes FROM snapshots ORDER BY seq DESC LIMIT 1", [], |r| {
                r.get::<_, Vec<u8>>(0)
            })
            .ok()
            .and_then(|b| Projection::from_snapshot(&b))
            .unwrap_or_default();
        self.replay(base)
    }

    fn replay_to(&self, at: u64) -> Vec<u8> {
        let mut projection = Projection::default();
        let mut stmt = self.db.prepare("SELECT record FROM events WHERE seq <= ?1 ORDER BY seq").unwrap();
        let mut rows = stmt.query([at]).unwrap();
        while let Some(row) = rows.next().unwrap() {
            let bytes: &[u8] = row.get_ref(0).unwrap().as_blob().unwrap();
            let (record, _) = RawRecord::split(bytes).unwrap();
            let envelope = record.decode().unwrap();
            projection.apply_owned(envelope.seq, envelope.hash, envelope.event, &mut |_| None);
        }
        projection.to_snapshot()
    }
}
