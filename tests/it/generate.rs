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
//! The prose (titles, quotes, summaries, notes, sources) is as long as in
//! the real sample in `events/`: 376 bytes a line on average there, 374
//! to 383 here (2,000 to 1,000,000 lines), and comes from a random stream of its own, so that the
//! mix of events and the references between them do not depend on it.
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

/// What a commitment undertakes, as its title starts.
const UNDERTAKINGS: &[(&str, &str)] = &[
    ("Convene a joint working group on", "convene a joint working group on"),
    ("Hold a formal dialogue on", "hold a formal dialogue on"),
    ("Launch a bilateral initiative on", "launch a bilateral initiative on"),
    ("Sign a memorandum of cooperation on", "sign a memorandum of cooperation on"),
    ("Set up a joint task force on", "set up a joint task force on"),
    ("Establish a track 1.5 dialogue on", "establish a track 1.5 dialogue on"),
];

/// How a commitment's title goes on.
const SCOPES: &[&str] = &[
    "covering supply-chain resilience, joint research and the exchange of best practices",
    "with officials of both foreign ministries and representatives of industry",
    "co-led by a secretary-level official of each side and reporting to the ministers",
    "including a roadmap for investment and a review of regulatory barriers",
    "to identify challenges and opportunities for private-sector stakeholders",
];

/// Who is quoted, and where.
const SPEAKERS: &[&str] = &[
    "the external affairs minister told reporters",
    "the foreign ministry spokesperson said at the briefing",
    "the joint statement said",
    "a senior official said after the talks",
];

const FORUMS: &[&str] =
    &["Strategic Dialogue", "2+2 Ministerial Dialogue", "Annual Summit", "Economic Dialogue"];

const PUBLISHERS: &[(&str, &str)] = &[
    ("Ministry of External Affairs", "https://example.org/mea/press-releases"),
    ("Press Information Bureau", "https://example.org/pib/releases"),
    ("Ministry of Foreign Affairs of Japan", "https://example.org/mofa/press"),
    ("The Hindu", "https://example.org/thehindu/news/national"),
];

const PROGRESS_NOTES: &[&str] = &[
    "drafts of the terms of reference were exchanged and comments are due within a month",
    "the two sides named their delegations and agreed a calendar of meetings",
    "a first technical session was held by video link with experts of both sides",
    "officials reported that consultations with industry associations are under way",
];

const REVISION_REASONS: &[&str] = &[
    "both sides agreed that more time was needed for consultations with industry",
    "the meeting was moved to fit the ministers' calendars after the elections",
    "officials said the roadmap would be finalised only after the budget session",
];

/// A source with a url of its own.
fn source(prose: &mut Rng, kind: &str, n: u64) -> String {
    let (publisher, base) = *prose.pick(PUBLISHERS);
    format!(r#"{{"publisher":"{publisher}","url":"{base}/{kind}-{n}-{:06}"}}"#, prose.below(1_000_000))
}

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
    let prose = &mut Rng(spec.seed ^ 0x5052_4f53_4520_0001);
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
                let topic = rng.pick(TOPICS);
                let (forum, other) = (prose.pick(FORUMS), prose.pick(TOPICS));
                let source = source(prose, "statement", n);
                format!(
                    r#"{{"type":"announcement","id":"{id}","date":"{date}","title":"Joint statement {n} on {topic}, {a}-{b} {forum}","parties":{parties},"source":{source},"summary":"The ministers met for the {forum} and agreed on new steps in {topic} and {other}; officials briefed the media afterwards."}}"#
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
                let ((title, verb), scope) = (prose.pick(UNDERTAKINGS), prose.pick(SCOPES));
                let speaker = prose.pick(SPEAKERS);
                format!(
                    r#"{{"type":"commitment","id":"{id}","announcement":"{ann}","title":"{title} {topic}, {scope}","deadline":"{phrase}","tags":["{}"],"quote":"The two countries will {verb} {topic} (timeline: {phrase}), {speaker}, as part of a wider push on economic security."}}"#,
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
                let source = source(prose, "meeting", n);
                format!(
                    r#"{{"type":"meeting","id":"{id}","date":"{date}","title":"Working group meeting {n}","source":{source},"summary":"Officials of both sides met, reviewed progress against the agreed roadmap and exchanged drafts of the next steps.",{fields}}}"#
                )
            }
            3 => {
                let c = &open[rng.below(open.len() as u64) as usize];
                let phrase = deadline_phrase(&mut rng, date);
                let (reason, source) = (prose.pick(REVISION_REASONS), source(prose, "revision", n));
                format!(
                    r#"{{"type":"deadline","commitment":"{}","date":"{date}","deadline":"{phrase}","reason":"Timeline revised at review {n}: {reason}","source":{source}}}"#,
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
                    let source = source(prose, "outcome", n);
                    format!(
                        r#"{{"type":"outcome","commitment":"{}","date":"{date}","outcome":"superseded","by":"{by}","note":"Folded into a broader framework ({n}) that the ministers adopted at their next meeting","source":{source}}}"#,
                        c
                    )
                } else {
                    let outcome = if which < 4 { "cancelled" } else { "met" };
                    let source = source(prose, "outcome", n);
                    format!(
                        r#"{{"type":"outcome","commitment":"{}","date":"{date}","outcome":"{outcome}","note":"Recorded at review {n}, from the statement both sides issued afterwards","source":{source}}}"#,
                        c
                    )
                }
            }
            5 => {
                let recent = open.len().saturating_sub(300);
                let c = &open[recent + rng.below((open.len() - recent) as u64) as usize];
                retractable.push(seq);
                let (note, source) = (prose.pick(PROGRESS_NOTES), source(prose, "progress", n));
                format!(
                    r#"{{"type":"progress","commitment":"{}","date":"{date}","note":"Progress report {n}: {note}, according to a statement issued by both sides","source":{source}}}"#,
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
