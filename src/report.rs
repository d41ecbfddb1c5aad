//! Reports computed from the projection: per-party compliance scores, and
//! published status reports that anyone holding the ledger can check.
//!
//! A published status report names the ledger position it was computed
//! from (seq and head hash) and a content hash: the BLAKE3 hash of the
//! `pledger export --to SEQ` output, that is, of the events themselves
//! without their envelopes. Two copies of a ledger built from the same
//! events at different times have different head hashes (the envelopes
//! record when and by whom), but the same content hash, so a report stays
//! checkable against any faithful copy. Anyone can recompute the content
//! hash with `pledger export --to SEQ | b3sum`.
//!
//! A report also names the version of the status rules it was computed
//! under ([`STATUS_RULES`]), so that a report whose statuses no longer check
//! says whether the rules changed since or the report did.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::audit::{self, Break, Verdict};
use crate::chain::{Hash, Head};
use crate::event::name_key;
use crate::input::json_kind;
use crate::ledger::Ledger;
use crate::projection::{CommitmentStatus, Projection, Status, Supersession, STATUS_RULES};
use crate::store::StoreError;

/// The first line of a report's JSON says what it is.
pub const REPORT_FORMAT: &str = "pledger status report v2";

/// The first format, which does not name its rules. Its reports are still
/// checked, but a mismatch cannot say whether the rules changed since.
pub const REPORT_FORMAT_V1: &str = "pledger status report v1";

/// A status report as published: the statuses as of a date, computed from a
/// named ledger position under named rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusReport {
    pub format: String,
    /// The [`STATUS_RULES`] the statuses were computed under; absent from
    /// reports of [`REPORT_FORMAT_V1`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rules: Option<u32>,
    pub as_of: NaiveDate,
    pub ledger: Position,
    pub counts: BTreeMap<Status, usize>,
    pub commitments: Vec<CommitmentStatus>,
}

/// Where in which ledger a report was computed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Position {
    pub seq: u64,
    pub head: Hash,
    /// BLAKE3 of the export of events 1..=seq (see the module docs).
    pub content_hash: Hash,
}

/// Why a text is not a status report that can be checked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    /// Not JSON, or not the fields of a report (`line` is 1-based).
    #[error("expected a pledger status report: {message}")]
    Json { line: usize, message: String },
    /// JSON, but not an object.
    #[error("expected a pledger status report, a JSON object, found {found}")]
    NotAnObject { found: &'static str },
    /// A report of a format this pledger does not read.
    #[error("expected a report of format {REPORT_FORMAT:?} or {REPORT_FORMAT_V1:?}, found {found:?}")]
    Format { found: String },
    /// A v2 report without `rules`, or a v1 report with them.
    #[error("expected {expected} in a report of format {format:?}")]
    Rules { format: &'static str, expected: &'static str },
    /// Rules numbered 0: the status rules are numbered from 1. (A number
    /// above this pledger's is read: a newer pledger may have made it.)
    #[error("expected status rules numbered from 1 in `rules`, found 0")]
    NoSuchRules,
}

impl ReadError {
    /// The line of the text the error is on, when it is on one.
    pub fn line(&self) -> Option<usize> {
        match self {
            ReadError::Json { line, .. } => Some(*line),
            _ => None,
        }
    }
}

/// serde_json's message about a report, in pledger's words: "expected
/// ..., found ..." with the types named as a reader of the report knows
/// them (not `u64`, `struct Position` or chrono's "a formatted date
/// string"), and the column in place of serde's "at line L column C",
/// since the error is already placed at its line.
fn plain_message(e: &serde_json::Error) -> String {
    if e.is_eof() {
        return "expected more JSON, found the end of the file".to_owned();
    }
    let message = crate::input::without_position(e);
    let plain = match crate::input::plain_mismatch(&message, plain_type) {
        Some(plain) => plain,
        // A struct's derived reader also takes its fields as an array.
        None if message.starts_with("invalid length ") && message.contains(", expected struct ") => {
            let length = message["invalid length ".len()..].split(',').next().unwrap_or_default();
            format!("expected an object, found an array of length {length}")
        }
        // chrono's reasons for refusing a date, which name no date.
        None => match CHRONO_REASONS.iter().find(|(reason, _)| *reason == message) {
            Some((_, plain)) => (*plain).to_owned(),
            None => message,
        },
    };
    // Column 0 is the end of a text that ends with a newline.
    match e.column() {
        0 => plain,
        column => format!("{plain} (column {column})"),
    }
}

/// What serde calls the types of a report's fields, and what a reader calls
/// them (beside the names every message rewords: see
/// `input::plain_mismatch`).
fn plain_type(expected: &str) -> &str {
    match expected {
        "u64" | "usize" => "a whole number from 0 to 18446744073709551615",
        // Only `rules` is one; 0 is refused after reading.
        "u32" => "a whole number from 1 to 4294967295",
        "a formatted date string" => "a date as YYYY-MM-DD",
        other => other,
    }
}

/// chrono's messages for a date string it cannot read, and what each means
/// for a date written YYYY-MM-DD.
const CHRONO_REASONS: [(&str, &str); 4] = [
    ("input is out of range", "expected a date as YYYY-MM-DD, found a date out of range"),
    ("input contains invalid characters", "expected a date as YYYY-MM-DD, found other characters"),
    ("premature end of input", "expected a date as YYYY-MM-DD, found an incomplete date"),
    ("trailing input", "expected a date as YYYY-MM-DD, found more after it"),
];

/// The rules a report names, beside this pledger's [`STATUS_RULES`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rules {
    /// The rules this pledger applies.
    Same,
    /// Another version, older or newer.
    Other(u32),
    /// None: the report is of [`REPORT_FORMAT_V1`].
    Unnamed,
}

/// What checking a published report against a ledger found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckOutcome {
    /// The ledger fails verification ([`audit::verify`]), so no report can
    /// be checked against it.
    LedgerBroken(Break),
    /// Same events, same statuses. `head` is this ledger's hash at the
    /// report's seq: another than the report's when the report was computed
    /// on another copy of the same events (or its head was changed). The
    /// statuses may also be the same under other rules. `grown` is set when
    /// the ledger has events after the report's seq.
    Matches { head: Hash, rules: Rules, grown: Option<Grown> },
    /// The ledger is shorter than the report's position.
    LedgerTooShort { seq: u64, head: u64 },
    /// The events up to the report's position differ from the report's.
    ContentDiffers { reported: Hash, actual: Hash },
    /// Same events, but the report's rows are not what they give: these
    /// rows differ, or (with none) only how the rows are listed or counted.
    /// When only fields the status rules compute differ ([`RULE_FIELDS`]),
    /// under the same `rules` the report was changed after it was made;
    /// under others, either that or the rules changed; a v1 report cannot
    /// say which. Any other difference comes from the events themselves, so
    /// the report was changed.
    StatusesDiffer { rows: Vec<RowDiff>, listing: Listing, rules: Rules },
}

/// A ledger that has grown past a report's seq: its head, and the rows
/// whose statuses as of the report's date are not the report's at that head
/// (later events dated on or before it, or retractions), by id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grown {
    pub seq: u64,
    pub rows: Vec<RowDiff>,
}

/// One commitment whose row in a report is not the one a ledger gives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowDiff {
    pub id: String,
    pub differs: Differs,
}

/// How a row differs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Differs {
    /// Both list it; these fields (by their JSON names, in row order) differ.
    Fields(Vec<&'static str>),
    /// The ledger lists it; the report does not.
    MissingFromReport,
    /// The report lists it; the ledger does not.
    NotInLedger,
}

/// The fields of a row that the status rules (`STATUS.md`) and deadline
/// conventions compute. The others (`id`, `title`, `parties`, `tags`,
/// `announcement`, `announced`) are copied from the events as recorded, and
/// so is a deadline's phrase: a report whose phrase is none the commitment
/// was given differs in `deadline.phrase`, which no rules explain.
pub const RULE_FIELDS: [&str; 6] = ["status", "deadline", "met_on", "on_time", "ended_on", "superseded_by"];

impl RowDiff {
    /// Whether only fields the status rules compute differ: whether another
    /// version of the rules could explain the difference.
    pub fn by_rules(&self) -> bool {
        match &self.differs {
            Differs::Fields(fields) => fields.iter().all(|f| RULE_FIELDS.contains(f)),
            Differs::MissingFromReport | Differs::NotInLedger => false,
        }
    }
}

/// What of a report's listing differs from the ledger's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listing {
    /// The rows: a row (see the rows), their order, or a row listed twice.
    Rows,
    /// Only the counts of statuses.
    Counts,
}

/// Per-party scores in the manner of the G7/G20 Research Group.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PartyScore {
    pub party: String,
    pub met_on_time: usize,
    pub met_late: usize,
    pub pending: usize,
    pub overdue: usize,
    pub cancelled: usize,
    pub superseded: usize,
    pub total: usize,
    /// 0–100, or null with no commitments.
    pub compliance: Option<f64>,
}

impl PartyScore {
    /// The compliance as a whole percentage, a half rounded up (62.5 is
    /// 63), computed from the counts so that no floating-point error can
    /// move it across a half.
    pub fn percent(&self) -> Option<u64> {
        let total = self.total as u64;
        let met = (self.met_on_time + self.met_late) as u64;
        let failed = (self.overdue + self.cancelled) as u64;
        // (mean + 1) / 2 x 100 = (met - failed + total) x 50 / total.
        let doubled = (met + total).checked_sub(failed)? * 100;
        (total > 0).then(|| (doubled + total) / (2 * total))
    }
}

/// How the compliance percentage is computed, for help texts and reports.
pub const COMPLIANCE_FORMULA: &str = "each commitment scores +1 if met (on time or late), 0 if pending or \
superseded, -1 if overdue or cancelled; a party's compliance is (mean score + 1) / 2 x 100%, shown to the nearest whole percent (a half rounded up)";

impl StatusReport {
    /// Reads a published report of either format, refusing anything else
    /// (another format, unknown fields, anything but a JSON object) before
    /// any of it is checked.
    pub fn from_json(text: &str) -> Result<StatusReport, ReadError> {
        let json = |e: serde_json::Error| ReadError::Json { line: e.line(), message: plain_message(&e) };
        // Some editors start UTF-8 files with a byte order mark, which JSON
        // readers may ignore (RFC 8259, section 8.1); `import` does too.
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        // Read as JSON first, so that a report of another format is named as
        // such rather than by the first of its fields this one lacks, and
        // anything but an object is refused (serde would take an array of
        // the fields in order).
        let value: serde_json::Value = serde_json::from_str(text).map_err(json)?;
        let Some(object) = value.as_object() else {
            return Err(ReadError::NotAnObject { found: json_kind(&value) });
        };
        // A v2 report names its rules (a null is no name); a v1 report
        // has no such field at all.
        let has_rules = object.contains_key("rules");
        let names_rules = object.get("rules").is_some_and(|rules| !rules.is_null());
        match object.get("format").and_then(|f| f.as_str()) {
            Some(REPORT_FORMAT) if !names_rules => {
                return Err(ReadError::Rules { format: REPORT_FORMAT, expected: "a field `rules`" })
            }
            Some(REPORT_FORMAT_V1) if has_rules => {
                return Err(ReadError::Rules { format: REPORT_FORMAT_V1, expected: "no field `rules`" })
            }
            Some(REPORT_FORMAT | REPORT_FORMAT_V1) => {}
            Some(other) => return Err(ReadError::Format { found: other.to_owned() }),
            // Missing or not a string: serde says which, at its line.
            None => {}
        }
        // From the text again, so that an error has its line.
        let report: StatusReport = serde_json::from_str(text).map_err(json)?;
        if report.rules == Some(0) {
            return Err(ReadError::NoSuchRules);
        }
        Ok(report)
    }

    /// The rules this report names, beside this pledger's.
    pub fn rules(&self) -> Rules {
        match self.rules {
            Some(STATUS_RULES) => Rules::Same,
            Some(other) => Rules::Other(other),
            None => Rules::Unnamed,
        }
    }

    /// Computes the report as of `as_of` from the events with seq ≤ `at`
    /// (default: the head).
    pub fn compute(ledger: &Ledger, as_of: NaiveDate, at: Option<u64>) -> Result<StatusReport, StoreError> {
        Ok(StatusReport::compute_noting(ledger, as_of, at)?.0)
    }

    /// [`StatusReport::compute`], with the outcomes that count for no status
    /// because each would close a cycle of replacements
    /// ([`Projection::statuses_noting`]): the report's rows show their
    /// commitments by their deadlines, and a publisher should know why.
    pub fn compute_noting(
        ledger: &Ledger,
        as_of: NaiveDate,
        at: Option<u64>,
    ) -> Result<(StatusReport, Vec<Supersession>), StoreError> {
        // A report is what gets published and cited, so it is computed from
        // the chain alone: a stored snapshot is derived data, which anyone
        // who can write the store's files can change without breaking the
        // chain.
        let projection = ledger.projection_replayed(at)?;
        let (commitments, uncounted) = projection.statuses_noting(as_of);
        Ok((StatusReport::from_statuses(ledger, &projection, as_of, commitments)?, uncounted))
    }

    /// The report of `commitments`, the statuses of `projection` as of `as_of`.
    fn from_statuses(
        ledger: &Ledger,
        projection: &Projection,
        as_of: NaiveDate,
        commitments: Vec<CommitmentStatus>,
    ) -> Result<StatusReport, StoreError> {
        let mut counts = BTreeMap::new();
        for c in &commitments {
            *counts.entry(c.status).or_insert(0) += 1;
        }
        Ok(StatusReport {
            format: REPORT_FORMAT.to_owned(),
            rules: Some(STATUS_RULES),
            as_of,
            ledger: Position {
                seq: projection.seq,
                head: projection.hash,
                content_hash: content_hash(ledger, projection.seq)?,
            },
            counts,
            commitments,
        })
    }

    /// Verifies the ledger's chain ([`audit::verify`]), then recomputes
    /// this report from it and compares; when the ledger has grown since,
    /// also compares the statuses as of the report's date at the head that
    /// was verified.
    pub fn check(&self, ledger: &Ledger) -> Result<CheckOutcome, StoreError> {
        let head: Head = match audit::verify(ledger.store(), None)? {
            Verdict::Intact { head, .. } => head,
            Verdict::Broken(at) => return Ok(CheckOutcome::LedgerBroken(at)),
        };
        if head.seq < self.ledger.seq {
            return Ok(CheckOutcome::LedgerTooShort { seq: self.ledger.seq, head: head.seq });
        }
        // From the chain alone, as a report is made.
        let projection = ledger.projection_replayed(Some(self.ledger.seq))?;
        let now =
            StatusReport::from_statuses(ledger, &projection, self.as_of, projection.statuses(self.as_of))?;
        if now.ledger.content_hash != self.ledger.content_hash {
            return Ok(CheckOutcome::ContentDiffers {
                reported: self.ledger.content_hash,
                actual: now.ledger.content_hash,
            });
        }
        // A count of zero says what leaving the status out says.
        let counted = |counts: &BTreeMap<Status, usize>| -> BTreeMap<Status, usize> {
            counts.iter().filter(|(_, n)| **n > 0).map(|(s, n)| (*s, *n)).collect()
        };
        if now.commitments != self.commitments || counted(&now.counts) != counted(&self.counts) {
            let mut rows = row_diffs(&self.commitments, &now.commitments);
            // The rules choose which recorded phrase is in force, so only a
            // phrase the commitment was never given comes from elsewhere.
            let reported: BTreeMap<&str, &CommitmentStatus> =
                self.commitments.iter().map(|c| (c.id.as_str(), c)).collect();
            for row in &mut rows {
                let Differs::Fields(fields) = &mut row.differs else { continue };
                let phrase =
                    reported.get(row.id.as_str()).and_then(|c| c.deadline.as_ref()).map(|d| &d.phrase);
                if let Some(phrase) = phrase {
                    if !projection.deadline_phrases(&row.id).contains(&phrase.as_str()) {
                        for field in fields.iter_mut().filter(|f| **f == "deadline") {
                            *field = "deadline.phrase";
                        }
                    }
                }
            }
            let listing = if now.commitments != self.commitments { Listing::Rows } else { Listing::Counts };
            return Ok(CheckOutcome::StatusesDiffer { rows, listing, rules: self.rules() });
        }
        let grown = if head.seq > self.ledger.seq {
            let at_head = ledger.projection_replayed_from(projection, Some(head.seq))?.statuses(self.as_of);
            Some(Grown { seq: head.seq, rows: row_diffs(&self.commitments, &at_head) })
        } else {
            None
        };
        Ok(CheckOutcome::Matches { head: now.ledger.head, rules: self.rules(), grown })
    }
}

/// The rows of `reported` that are not those of `given`, by id, sorted.
fn row_diffs(reported: &[CommitmentStatus], given: &[CommitmentStatus]) -> Vec<RowDiff> {
    let old: BTreeMap<_, _> = reported.iter().map(|c| (c.id.as_str(), c)).collect();
    let new: BTreeMap<_, _> = given.iter().map(|c| (c.id.as_str(), c)).collect();
    let ids: std::collections::BTreeSet<&str> = old.keys().chain(new.keys()).copied().collect();
    ids.into_iter()
        .filter_map(|id| {
            let differs = match (old.get(id), new.get(id)) {
                (Some(a), Some(b)) if a == b => return None,
                (Some(a), Some(b)) => Differs::Fields(differing_fields(a, b)),
                (Some(_), None) => Differs::NotInLedger,
                (None, _) => Differs::MissingFromReport,
            };
            Some(RowDiff { id: id.to_owned(), differs })
        })
        .collect()
}

/// The names of the fields in which two rows of the same id differ.
fn differing_fields(a: &CommitmentStatus, b: &CommitmentStatus) -> Vec<&'static str> {
    // Every field named, so that a new one cannot be left out.
    let CommitmentStatus {
        id: _,
        title,
        parties,
        tags,
        announcement,
        announced,
        status,
        deadline,
        met_on,
        on_time,
        ended_on,
        superseded_by,
    } = a;
    [
        ("title", *title != b.title),
        ("parties", *parties != b.parties),
        ("tags", *tags != b.tags),
        ("announcement", *announcement != b.announcement),
        ("announced", *announced != b.announced),
        ("status", *status != b.status),
        ("deadline", *deadline != b.deadline),
        ("met_on", *met_on != b.met_on),
        ("on_time", *on_time != b.on_time),
        ("ended_on", *ended_on != b.ended_on),
        ("superseded_by", *superseded_by != b.superseded_by),
    ]
    .into_iter()
    .filter_map(|(name, differs)| differs.then_some(name))
    .collect()
}

/// BLAKE3 of the export of events 1..=seq (`pledger export --to SEQ`): each
/// event's canonical JSON followed by a newline, retractions by uuid written
/// by seq.
pub fn content_hash(ledger: &Ledger, seq: u64) -> Result<Hash, StoreError> {
    let mut hasher = blake3::Hasher::new();
    for event in ledger.exported_events(Some(seq)) {
        hasher.update(&event?.canonical_json());
        hasher.update(b"\n");
    }
    Ok(Hash(*hasher.finalize().as_bytes()))
}

/// Scores every party named by the commitments, sorted by party name.
/// Names are compared as [`name_key`] compares them, and a party is shown
/// as first spelled in `statuses`; a commitment that names a party twice
/// counts once for it.
pub fn compliance(statuses: &[CommitmentStatus]) -> Vec<PartyScore> {
    let mut by_party: BTreeMap<String, PartyScore> = BTreeMap::new();
    for c in statuses {
        let mut counted = Vec::with_capacity(c.parties.len());
        for party in &c.parties {
            let key = name_key(party);
            if counted.contains(&key) {
                continue;
            }
            counted.push(key.clone());
            let score = by_party.entry(key).or_insert_with(|| PartyScore {
                party: party.trim().to_owned(),
                met_on_time: 0,
                met_late: 0,
                pending: 0,
                overdue: 0,
                cancelled: 0,
                superseded: 0,
                total: 0,
                compliance: None,
            });
            score.total += 1;
            match (c.status, c.on_time) {
                (Status::Met, Some(false)) => score.met_late += 1,
                (Status::Met, _) => score.met_on_time += 1,
                (Status::Pending, _) => score.pending += 1,
                (Status::Overdue, _) => score.overdue += 1,
                (Status::Cancelled, _) => score.cancelled += 1,
                (Status::Superseded, _) => score.superseded += 1,
            }
        }
    }
    let mut out: Vec<PartyScore> = by_party.into_values().collect();
    for s in &mut out {
        let points = (s.met_on_time + s.met_late) as f64 - (s.overdue + s.cancelled) as f64;
        s.compliance = (s.total > 0).then(|| (points / s.total as f64 + 1.0) / 2.0 * 100.0);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: &str, parties: &[&str], status: &str) -> CommitmentStatus {
        serde_json::from_value(serde_json::json!({
            "id": id, "title": "t", "parties": parties, "tags": [], "announcement": "a",
            "announced": "2026-01-16", "status": status, "deadline": null,
            "met_on": if status == "met" { Some("2026-02-01") } else { None }, "on_time": null,
        }))
        .unwrap()
    }

    /// A ledger written before repeated parties were refused can still hold
    /// them: each commitment counts once for each party, however spelled.
    #[test]
    fn a_party_named_twice_by_one_commitment_counts_it_once() {
        let scores =
            compliance(&[row("c1", &["India", "india ", "Japan"], "met"), row("c2", &["Japan"], "overdue")]);
        let got: Vec<(&str, usize, Option<u64>)> =
            scores.iter().map(|s| (s.party.as_str(), s.total, s.percent())).collect();
        assert_eq!(got, [("India", 1, Some(100)), ("Japan", 2, Some(50))]);
    }

    #[test]
    fn percentages_round_half_up_from_the_counts() {
        let score = |met: usize, pending: usize, overdue: usize| {
            let rows: Vec<CommitmentStatus> = (0..met)
                .map(|i| row(&format!("m{i}"), &["A"], "met"))
                .chain((0..pending).map(|i| row(&format!("p{i}"), &["A"], "pending")))
                .chain((0..overdue).map(|i| row(&format!("o{i}"), &["A"], "overdue")))
                .collect();
            compliance(&rows)[0].percent()
        };
        // (met, pending, overdue) -> whole percent
        for ((met, pending, overdue), want) in [
            ((1, 3, 0), 63), // 62.5
            ((0, 3, 1), 38), // 37.5
            ((5, 3, 0), 81), // 81.25
            ((0, 0, 1), 0),
            ((1, 0, 0), 100),
            ((1, 1, 1), 50),
            ((2, 0, 1), 67), // 66.67
        ] {
            assert_eq!(
                score(met, pending, overdue),
                Some(want),
                "{met} met, {pending} pending, {overdue} overdue"
            );
        }
    }
}
