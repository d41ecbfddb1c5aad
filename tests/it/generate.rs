//! A generator of realistic, valid ledgers in JSON Lines, shared by the tests
//! (crash harness, resource bounds) and `examples/genledger.rs`.
//!
//! The mix: announcements, commitments with deadline phrases from the
//! deadline conventions (read relative to the announcement's date),
//! meetings that fulfil and progress commitments, deadline revisions,
//! outcomes, progress notes, and a few retractions by seq. Every reference
//! resolves to an earlier line, dates never go backwards, and every line is
//! distinct, so importing the file appends every line.
//!
//! Retractions name seqs, so a file is valid when imported on a ledger whose
//! head is `first_seq - 1` (an empty ledger for the default `first_seq` 1).

use std::io::{self, Write};

use chrono::{Datelike, Duration, NaiveDate};

/// What to generate.
#[derive(Debug, Clone)]
pub struct Spec {
    /// Number of lines (events).
    pub events: u64,
    /// Seed of the pseudo-random choices: the same spec gives the same file.
    pub seed: u64,
    /// Prefix of every user-chosen id, so several files can share a ledger.
    pub prefix: String,
    /// The seq the first line will get when imported.
    pub first_seq: u64,
    /// Whether to include retractions (they name seqs, so they tie the file
    /// to `first_seq`).
    pub retractions: bool,
}

impl Spec {
    /// `events` lines for an empty ledger, seed 1, no prefix.
    #[allow(dead_code)] // used by examples/genledger
    pub fn new(events: u64) -> Spec {
        Spec { events, seed: 1, prefix: String::new(), first_seq: 1, retractions: true }
    }
}

/// SplitMix64: small, fast and good enough to pick from a mix.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

const PARTIES: &[&str] = &["India", "Japan", "Australia", "United States", "France", "Indonesia"];
const TOPICS: &[&str] = &[
    "economic security",
    "critical minerals",
    "semiconductor supply chains",
    "maritime domain awareness",
    "clean hydrogen",
    "defence equipment",
    "space situational awareness",
    "digital public infrastructure",
    "skilled worker mobility",
    "high-speed rail",
];

/// Deadline phrases from the deadline conventions, as functions of the
/// anchor's year so that no window ends before its anchor.
fn deadline_phrase(rng: &mut Rng, anchor: NaiveDate) -> String {
    let next = anchor.year() + 1;
    match rng.below(14) {
        0 => format!("first half of {next}"),
        1 => format!("second half of {next}"),
        2 => format!("early {next}"),
        3 => format!("mid-{next}"),
        4 => format!("late {next}"),
        5 => format!("Q{} {next}", 1 + rng.below(4)),
        6 => format!("by the end of {next}"),
        7 => format!("by the end of {}", anchor.year()),
        8 => format!("within {} days", [30, 90, 100, 180][rng.below(4) as usize]),
        9 => format!("within {} months", [3, 6, 12, 18][rng.below(4) as usize]),
        10 => "within two years".to_owned(),
        11 => "by the end of next year".to_owned(),
        12 => format!("FY{next}-{:02}", (next + 1) % 100),
        _ => "in the coming months".to_owned(),
    }
}

/// The ledger [`Spec::new`] gives for `events` lines, as text.
pub fn text(events: u64) -> String {
    let mut out = Vec::new();
    generate(&Spec::new(events), &mut out).expect("writing to memory cannot fail");
    String::from_utf8(out).expect("generated lines are UTF-8")
}

/// Writes `spec.events` lines to `out`.
pub fn generate(spec: &Spec, out: &mut impl Write) -> io::Result<()> {
    let mut rng = Rng(spec.seed);
    let start = NaiveDate::from_ymd_opt(2016, 1, 1).expect("a valid date");
    let days = 3_800; // to mid-2026
    let p = &spec.prefix;
    let mut announcements: Vec<(String, NaiveDate)> = Vec::new();
    let mut open: Vec<String> = Vec::new();
    let mut all_commitments: Vec<String> = Vec::new();
    let mut retractable: Vec<u64> = Vec::new();
    let mut counters = [0u64; 7];
    for i in 0..spec.events {
        let seq = spec.first_seq + i;
        let date = start + Duration::days((i * days / spec.events.max(1)) as i64);
        let roll = rng.below(100);
        let kind = if announcements.is_empty() || roll < 5 {
            0
        } else if open.len() < 3 || roll < 33 {
            1
        } else if roll < 46 {
            2
        } else if roll < 56 {
            3
        } else if roll < 63 {
            4
        } else if spec.retractions && roll < 65 && !retractable.is_empty() {
            6
        } else {
            5
        };
        counters[kind] += 1;
        let n = counters[kind];
        let line = match kind {
            0 => {
                let id = format!("{p}statement-{n}");
                let a = *rng.pick(PARTIES);
                let b = *rng.pick(PARTIES);
                let parties = if a == b { format!("[{a:?}]") } else { format!("[{a:?},{b:?}]") };
                announcements.push((id.clone(), date));
                format!(
                    r#"{{"type":"announcement","id":"{id}","date":"{date}","title":"Joint statement {n} on {}","parties":{parties},"source":{{"publisher":"Ministry of External Affairs","url":"https://example.org/statements/{n}"}}}}"#,
                    rng.pick(TOPICS)
                )
            }
            1 => {
                let recent = announcements.len().saturating_sub(5);
                let (ann, announced) =
                    announcements[recent + rng.below((announcements.len() - recent) as u64) as usize].clone();
                let id = format!("{p}pledge-{n}");
                let phrase = deadline_phrase(&mut rng, announced);
                let topic = rng.pick(TOPICS);
                open.push(id.clone());
                all_commitments.push(id.clone());
                format!(
                    r#"{{"type":"commitment","id":"{id}","announcement":"{ann}","title":"Launch a working group on {topic}","deadline":"{phrase}","tags":["{}"],"quote":"The two sides agreed to work on {topic}."}}"#,
                    topic.replace(' ', "-")
                )
            }
            2 => {
                let id = format!("{p}meeting-{n}");
                let recent = open.len().saturating_sub(200);
                let met = open.swap_remove(recent + rng.below((open.len() - recent) as u64) as usize);
                let recent = open.len().saturating_sub(200);
                let advanced = &open[recent + rng.below((open.len() - recent) as u64) as usize];
                let fields = if rng.below(3) == 0 {
                    format!(r#""fulfils":["{}"],"progresses":["{}"]"#, met, advanced)
                } else {
                    format!(r#""fulfils":["{}"]"#, met)
                };
                retractable.push(seq);
                format!(
                    r#"{{"type":"meeting","id":"{id}","date":"{date}","title":"Working group meeting {n}","summary":"Officials met and reviewed progress.",{fields}}}"#
                )
            }
            3 => {
                let c = &open[rng.below(open.len() as u64) as usize];
                let phrase = deadline_phrase(&mut rng, date);
                format!(
                    r#"{{"type":"deadline","commitment":"{}","date":"{date}","deadline":"{phrase}","reason":"Timeline revised at review {n}"}}"#,
                    c
                )
            }
            4 => {
                let at = rng.below(open.len() as u64) as usize;
                let c = open.swap_remove(at);
                let which = rng.below(10);
                if which < 2 && all_commitments.len() > 1 {
                    let mut by = rng.pick(&all_commitments).clone();
                    if by == c {
                        by = all_commitments.iter().find(|x| **x != c).expect("two commitments").clone();
                    }
                    format!(
                        r#"{{"type":"outcome","commitment":"{}","date":"{date}","outcome":"superseded","by":"{by}","note":"Folded into a broader framework ({n})"}}"#,
                        c
                    )
                } else {
                    let outcome = if which < 4 { "cancelled" } else { "met" };
                    format!(
                        r#"{{"type":"outcome","commitment":"{}","date":"{date}","outcome":"{outcome}","note":"Recorded at review {n}"}}"#,
                        c
                    )
                }
            }
            5 => {
                let recent = open.len().saturating_sub(300);
                let c = &open[recent + rng.below((open.len() - recent) as u64) as usize];
                retractable.push(seq);
                format!(
                    r#"{{"type":"progress","commitment":"{}","date":"{date}","note":"Progress report {n}: drafts exchanged","source":{{"publisher":"Press Information Bureau"}}}}"#,
                    c
                )
            }
            _ => {
                let target = retractable.swap_remove(rng.below(retractable.len() as u64) as usize);
                format!(
                    r#"{{"type":"retraction","retracts":{target},"reason":"Entry {n} was recorded in error"}}"#
                )
            }
        };
        out.write_all(line.as_bytes())?;
        out.write_all(b"\n")?;
    }
    Ok(())
}
