//! The status projection: which commitments are pending, met, overdue,
//! cancelled or superseded, as of a date and a ledger position.
//!
//! Two times are at play. The *ledger position* S (a seq) says how much of
//! the chain is read: the events with seq ≤ S. The *valid time* D (a date)
//! says which of those events had happened: events dated after D are
//! ignored, wherever they sit in the chain. A meeting recorded weeks after it
//! took place is seen by a status as of its date, and a status as of an
//! earlier date does not see it.
//!
//! The projection is split so that snapshots are possible. [`Projection`]
//! folds events into facts that do not depend on D (who promised what, every
//! deadline revision, every fulfilment and ending, every retraction), and
//! applying an event cannot fail. [`Projection::statuses`] then reads those
//! facts as of D. A snapshot is a serialized `Projection`, so a status from a
//! snapshot plus the tail of the chain equals a status from a full replay.
//!
//! The rules (the contract; see `STATUS.md`):
//! - a commitment exists as of D if its announcement's date ≤ D;
//! - the deadline in force is the latest `deadline` revision dated ≤ D (ties:
//!   higher seq), else the commitment's own deadline, else none; for a met
//!   commitment, the same as of `met_on` rather than D;
//! - `met_on` is the earliest date ≤ D of a meeting that fulfils it or an
//!   outcome of `met`; a commitment with `met_on` is met, on time when
//!   `met_on` ≤ the end of the deadline in force then (or when that has no
//!   end), so an extension granted after a late fulfilment does not make it
//!   on time;
//! - otherwise an outcome of `cancelled` or `superseded` dated ≤ D ends it
//!   (the earliest), except a supersession that would close a cycle of
//!   replacements (c1 by c2, c2 by c1), which counts for nothing;
//! - otherwise it is overdue if the deadline in force has an end before D,
//!   else pending;
//! - a retraction voids the event it names; retracting a retraction restores
//!   its target; a retracted announcement takes its commitments with it.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::chain::Hash;
use crate::deadline;
use crate::event::{Event, EventRef, OutcomeKind, Text};
use crate::input::{map_as_read, parallel_map_from};

/// The version of the status rules (`STATUS.md`) and deadline conventions
/// (`DEADLINES.md`) this pledger applies. It goes up with every change that
/// can give an existing ledger another status, and a published report names
/// the version it was computed under, so that a report that no longer checks
/// can be told apart from one that was altered. `STATUS.md` lists the
/// versions.
pub const STATUS_RULES: u32 = 4;

/// The seqs that `retractions` (retraction seq, target seq; in chain order)
/// void, each with the retractions in force that void it, in chain order
/// (one, unless an event was retracted more than once). A retraction counts
/// only while it is not itself voided; targets are always earlier, so
/// walking retractions from the newest down settles each one before its
/// target.
pub fn voiding(retractions: &[(u64, u64)]) -> HashMap<u64, Vec<u64>> {
    let mut voided: HashMap<u64, Vec<u64>> = HashMap::new();
    for &(seq, target) in retractions.iter().rev() {
        if !voided.contains_key(&seq) {
            voided.entry(target).or_default().push(seq);
        }
    }
    for by in voided.values_mut() {
        by.reverse();
    }
    voided
}

/// Facts folded from the events with seq ≤ `seq`, independent of any date.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Projection {
    /// The last event folded in (0 for none).
    pub seq: u64,
    /// Its hash: a snapshot is only used while the chain still has it.
    pub hash: Hash,
    announcements: BTreeMap<String, AnnouncementFacts>,
    commitments: BTreeMap<String, CommitmentFacts>,
    /// Retractions in chain order: (retraction seq, target seq).
    retractions: Vec<(u64, u64)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct AnnouncementFacts {
    seq: u64,
    date: NaiveDate,
    title: String,
    parties: Vec<String>,
}

// `Default` is a commitment as stated, before anything happened to it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct CommitmentFacts {
    seq: u64,
    announcement: String,
    title: String,
    parties: Option<Vec<String>>,
    deadline: Option<String>,
    tags: Vec<String>,
    revisions: Vec<Dated<String>>,
    fulfilments: Vec<Dated<()>>,
    endings: Vec<Dated<Ending>>,
}

/// A fact with the seq of the event that stated it and the date it happened.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Dated<T> {
    seq: u64,
    date: NaiveDate,
    what: T,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
enum Ending {
    Cancelled,
    Superseded(String),
}

/// The status of one commitment as of a date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pending,
    Met,
    Overdue,
    Cancelled,
    Superseded,
}

impl Status {
    pub const ALL: [Status; 5] =
        [Status::Pending, Status::Met, Status::Overdue, Status::Cancelled, Status::Superseded];

    pub fn name(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Met => "met",
            Status::Overdue => "overdue",
            Status::Cancelled => "cancelled",
            Status::Superseded => "superseded",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Status {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Status::ALL
            .into_iter()
            .find(|status| status.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| format!("expected pending, met, overdue, cancelled or superseded, found {s:?}"))
    }
}

/// One commitment's state as of a date: the row of a status report. A
/// published report is read back into these, so a field they lack is an
/// error rather than ignored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommitmentStatus {
    pub id: String,
    pub title: String,
    pub parties: Vec<String>,
    pub tags: Vec<String>,
    pub announcement: String,
    pub announced: NaiveDate,
    pub status: Status,
    /// The deadline in force (for a met commitment, on the day it was met),
    /// or null for none.
    pub deadline: Option<DeadlineWindow>,
    pub met_on: Option<NaiveDate>,
    /// Whether it was met by the end of the deadline in force on the day it
    /// was met; null unless met.
    pub on_time: Option<bool>,
    /// When it was cancelled or superseded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_on: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub superseded_by: Option<String>,
}

/// A deadline phrase with the window it reads as. `end` is null for a vague
/// phrase ("no fixed deadline").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeadlineWindow {
    pub phrase: String,
    pub start: NaiveDate,
    pub end: Option<NaiveDate>,
}

/// Why a commitment is not listed by [`Projection::statuses`] as of a date
/// (see [`Projection::unlisted`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unlisted {
    /// No commitment of this id is recorded at this ledger position.
    Unrecorded,
    /// Its event, or its announcement's, is voided by a retraction.
    Retracted,
    /// Its announcement is dated after the date: on this day.
    AnnouncedAfter(NaiveDate),
}

impl fmt::Display for Unlisted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Unlisted::Unrecorded => f.write_str("not recorded"),
            Unlisted::Retracted => f.write_str("retracted"),
            Unlisted::AnnouncedAfter(date) => write!(f, "announced {date}"),
        }
    }
}

/// An outcome that says commitment `superseded` was superseded by `by`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Supersession {
    /// The outcome's seq.
    pub outcome: u64,
    pub superseded: String,
    pub by: String,
}

impl Projection {
    /// Folds in the event at `seq`. Events must come in chain order, each
    /// exactly once. `resolve` finds the seq of an event named by uuid in a
    /// retraction. Applying never fails: the ledger checked the event when it
    /// was appended, and anything that still does not fit is ignored.
    pub fn apply(
        &mut self,
        seq: u64,
        hash: Hash,
        event: &Event,
        resolve: &mut dyn FnMut(uuid::Uuid) -> Option<u64>,
    ) {
        self.seq = seq;
        self.hash = hash;
        match event {
            Event::Announcement(a) => {
                self.announcements.insert(
                    a.id.to_string(),
                    AnnouncementFacts {
                        seq,
                        date: a.date.0,
                        title: a.title.to_string(),
                        parties: a.parties.iter().map(|p| p.to_string()).collect(),
                    },
                );
            }
            Event::Commitment(c) => {
                self.commitments.insert(
                    c.id.to_string(),
                    CommitmentFacts {
                        seq,
                        announcement: c.announcement.to_string(),
                        title: c.title.to_string(),
                        parties: c.parties.as_ref().map(|ps| ps.iter().map(|p| p.to_string()).collect()),
                        deadline: c.deadline.as_ref().map(|d| d.to_string()),
                        tags: c.tags.iter().map(|t| t.to_string()).collect(),
                        ..CommitmentFacts::default()
                    },
                );
            }
            Event::Meeting(m) => {
                for id in &m.fulfils {
                    if let Some(c) = self.commitments.get_mut(id.as_str()) {
                        c.fulfilments.push(Dated { seq, date: m.date.0, what: () });
                    }
                }
            }
            Event::Deadline(d) => self.revise(d.commitment.as_str(), seq, d.date.0, d.deadline.to_string()),
            Event::Outcome(o) => {
                if let Some(c) = self.commitments.get_mut(o.commitment.as_str()) {
                    let date = o.date.0;
                    match (o.outcome, &o.by) {
                        (OutcomeKind::Met, _) => c.fulfilments.push(Dated { seq, date, what: () }),
                        (OutcomeKind::Cancelled, _) => {
                            c.endings.push(Dated { seq, date, what: Ending::Cancelled })
                        }
                        (OutcomeKind::Superseded, by) => c.endings.push(Dated {
                            seq,
                            date,
                            what: Ending::Superseded(by.as_ref().map(|b| b.to_string()).unwrap_or_default()),
                        }),
                    }
                }
            }
            Event::Progress(_) => {}
            Event::Retraction(r) => {
                let target = match r.retracts {
                    EventRef::Seq(target) => Some(target),
                    EventRef::Uuid(uuid) => resolve(uuid),
                };
                if let Some(target) = target.filter(|&t| t < seq) {
                    self.retractions.push((seq, target));
                }
            }
        }
    }

    /// [`Projection::apply`] for an event the caller is done with: the
    /// strings the projection keeps are moved out of it, not copied. A
    /// replay folds every stored event this way; most of its fold was
    /// allocating those copies and freeing the originals.
    pub fn apply_owned(
        &mut self,
        seq: u64,
        hash: Hash,
        event: Event,
        resolve: &mut dyn FnMut(uuid::Uuid) -> Option<u64>,
    ) {
        let texts = |texts: Vec<Text>| texts.into_iter().map(String::from).collect::<Vec<_>>();
        (self.seq, self.hash) = (seq, hash);
        match event {
            Event::Announcement(a) => {
                self.announcements.insert(
                    a.id.into(),
                    AnnouncementFacts {
                        seq,
                        date: a.date.0,
                        title: a.title.into(),
                        parties: texts(a.parties.into()),
                    },
                );
            }
            Event::Commitment(c) => {
                self.commitments.insert(
                    c.id.into(),
                    CommitmentFacts {
                        seq,
                        announcement: c.announcement.into(),
                        title: c.title.into(),
                        parties: c.parties.map(|ps| texts(ps.into())),
                        deadline: c.deadline.map(String::from),
                        tags: texts(c.tags),
                        ..CommitmentFacts::default()
                    },
                );
            }
            Event::Deadline(d) => {
                self.revise(d.commitment.as_str(), seq, d.date.0, d.deadline.into());
            }
            other => self.apply(seq, hash, &other, resolve),
        }
    }

    fn revise(&mut self, commitment: &str, seq: u64, date: NaiveDate, deadline: String) {
        if let Some(c) = self.commitments.get_mut(commitment) {
            c.revisions.push(Dated { seq, date, what: deadline });
        }
    }

    /// The seqs voided by retractions (see [`voiding`]).
    pub fn voided(&self) -> HashSet<u64> {
        voiding(&self.retractions).into_keys().collect()
    }

    /// The ids of the commitments announcement `announcement` gave, sorted,
    /// with whether each is voided by a retraction.
    pub fn commitments_of(&self, announcement: &str) -> Vec<(&str, bool)> {
        let voided = self.voided();
        (self.commitments.iter())
            .filter(|(_, c)| c.announcement == announcement)
            .map(|(id, c)| (id.as_str(), voided.contains(&c.seq)))
            .collect()
    }

    /// Why each of `ids` that [`Projection::statuses`] would not list as of
    /// `as_of` is missing; the ones it would list are left out. For a
    /// commitment that another names, such as the one that superseded it: a
    /// reader of "superseded by X" should learn that X is retracted.
    pub fn unlisted<'i>(
        &self,
        ids: impl IntoIterator<Item = &'i str>,
        as_of: NaiveDate,
    ) -> BTreeMap<&'i str, Unlisted> {
        let voided = self.voided();
        ids.into_iter()
            .filter_map(|id| {
                let Some(c) = self.commitments.get(id) else { return Some((id, Unlisted::Unrecorded)) };
                let Some(a) = self.announcements.get(&c.announcement) else {
                    return Some((id, Unlisted::Unrecorded));
                };
                let why = if voided.contains(&c.seq) || voided.contains(&a.seq) {
                    Unlisted::Retracted
                } else if a.date > as_of {
                    Unlisted::AnnouncedAfter(a.date)
                } else {
                    return None;
                };
                Some((id, why))
            })
            .collect()
    }

    /// The outcomes in force that name a commitment voided by retracting
    /// the event at `target` (the commitment's own, or its announcement's)
    /// as the one that superseded another, in chain order. Retracting the
    /// replacement leaves them standing, and they are worth a look: a
    /// status of "superseded by X" with no X listed.
    pub fn supersessions_voided_by(&self, target: u64) -> Vec<Supersession> {
        let voided = self.voided();
        let announcement = self.announcements.iter().find(|(_, a)| a.seq == target).map(|(id, _)| id);
        let gone: HashSet<&str> = (self.commitments.iter())
            .filter(|(_, c)| c.seq == target || announcement == Some(&c.announcement))
            .map(|(id, _)| id.as_str())
            .collect();
        if gone.is_empty() {
            return Vec::new();
        }
        let live_announcement = |c: &CommitmentFacts| {
            self.announcements.get(&c.announcement).is_some_and(|a| !voided.contains(&a.seq))
        };
        // A superseded commitment that the same retraction voids (given in
        // the same announcement) leaves nothing standing.
        let mut found: Vec<Supersession> = (self.commitments.iter())
            .filter(|(id, c)| !voided.contains(&c.seq) && live_announcement(c) && !gone.contains(id.as_str()))
            .flat_map(|(id, c)| {
                c.endings.iter().filter_map(|e| match &e.what {
                    Ending::Superseded(by) if gone.contains(by.as_str()) && !voided.contains(&e.seq) => {
                        Some(Supersession { outcome: e.seq, superseded: id.clone(), by: by.clone() })
                    }
                    _ => None,
                })
            })
            .collect();
        found.sort_by_key(|s| s.outcome);
        found
    }

    /// Whether announcement `id` is recorded and voided by a retraction.
    pub fn announcement_retracted(&self, id: &str) -> bool {
        self.announcements.get(id).is_some_and(|a| self.voided().contains(&a.seq))
    }

    /// Every deadline phrase commitment `id` was given, retracted or not:
    /// its own, then its revisions' in chain order. The status rules show
    /// one of these, or none.
    pub fn deadline_phrases(&self, id: &str) -> Vec<&str> {
        let Some(c) = self.commitments.get(id) else { return Vec::new() };
        c.deadline.iter().chain(c.revisions.iter().map(|r| &r.what)).map(String::as_str).collect()
    }

    /// Every retraction folded in, in chain order: (its seq, its target's).
    pub fn retractions(&self) -> &[(u64, u64)] {
        &self.retractions
    }

    /// Every commitment that exists as of `as_of`, sorted by id.
    ///
    /// Each commitment's status depends only on its own facts, so a long
    /// list is computed in two halves on two cores (a status is mostly
    /// copying strings into the row); only a cycle of supersessions, which
    /// [`Projection::statuses_noting`] finds, ties one to another's.
    pub fn statuses(&self, as_of: NaiveDate) -> Vec<CommitmentStatus> {
        self.statuses_noting(as_of).0
    }

    /// [`Projection::statuses`], with the `superseded` outcomes that count
    /// for nothing as of `as_of` because each would close a cycle of
    /// supersessions (rule 6 of `STATUS.md`), in chain order: a reader of
    /// the row should learn why the outcome recorded does not show.
    pub fn statuses_noting(&self, as_of: NaiveDate) -> (Vec<CommitmentStatus>, Vec<Supersession>) {
        let voided = self.voided();
        let every_outcome_counts = HashSet::new();
        let rows = |range: &mut dyn Iterator<Item = (&String, &CommitmentFacts)>| {
            range
                .filter_map(|(id, c)| self.status(id, c, &voided, as_of, &every_outcome_counts))
                .collect::<Vec<_>>()
        };
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let middle = match self.commitments.len() {
            n if n >= PARALLEL_STATUSES && threads > 1 => self.commitments.keys().nth(n / 2),
            _ => None,
        };
        let mut rows = match middle {
            None => rows(&mut self.commitments.iter()),
            Some(middle) => {
                let (mut first, second) = std::thread::scope(|scope| {
                    let second = scope.spawn(|| rows(&mut self.commitments.range::<String, _>(middle..)));
                    let first = rows(&mut self.commitments.range::<String, _>(..middle));
                    (first, second.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
                });
                first.extend(second);
                first
            }
        };
        if !has_cycle(&rows) {
            return (rows, Vec::new());
        }
        let uncounted = self.circular_supersessions(&rows, &voided, as_of);
        let skipped: HashSet<u64> = uncounted.iter().map(|s| s.outcome).collect();
        let changed: HashSet<&str> = uncounted.iter().map(|s| s.superseded.as_str()).collect();
        for row in &mut rows {
            if changed.contains(row.id.as_str()) {
                let c = &self.commitments[&row.id];
                // (Listed before, and the endings do not decide that.)
                if let Some(again) = self.status(&row.id, c, &voided, as_of, &skipped) {
                    *row = again;
                }
            }
        }
        (rows, uncounted)
    }

    /// The status of commitment `id` as of `as_of`, if it exists then: the
    /// row [`Projection::statuses`] would list for it, without the others
    /// (unless its replacements, followed, come round in a cycle).
    pub fn status_of(&self, id: &str, as_of: NaiveDate) -> Option<CommitmentStatus> {
        match self.supersession_cycle_from(id, as_of) {
            Some((rows, _)) => rows.into_iter().find(|r| r.id == id),
            None => self.status(id, self.commitments.get(id)?, &self.voided(), as_of, &HashSet::new()),
        }
    }

    /// [`Projection::statuses_noting`], if the replacements of commitment
    /// `id`, followed as of `as_of`, come round in a cycle; `None`, found
    /// without computing every status, if they do not. Only such a cycle
    /// can make a supersession count for nothing, or explain one that does.
    pub fn supersession_cycle_from(
        &self,
        id: &str,
        as_of: NaiveDate,
    ) -> Option<(Vec<CommitmentStatus>, Vec<Supersession>)> {
        let voided = self.voided();
        let replacement = |id: &str| {
            let c = self.commitments.get(id)?;
            self.status(id, c, &voided, as_of, &HashSet::new())?.superseded_by
        };
        let mut seen = HashSet::from([id.to_owned()]);
        let mut next = replacement(id);
        while let Some(by) = next {
            if !seen.insert(by.clone()) {
                return Some(self.statuses_noting(as_of));
            }
            next = replacement(&by);
        }
        None
    }

    /// The `superseded` outcomes that count for nothing under rule 6:
    /// taking every ending of the commitments `rows` lists unmet in date
    /// order (a tie: chain order), each commitment's first counts, except a
    /// supersession whose replacement is, through the supersessions counted
    /// before it, superseded by the commitment itself; the commitment's
    /// next ending is then taken in its turn.
    fn circular_supersessions(
        &self,
        rows: &[CommitmentStatus],
        voided: &HashSet<u64>,
        as_of: NaiveDate,
    ) -> Vec<Supersession> {
        let mut endings: Vec<(&Dated<Ending>, &str)> = rows
            .iter()
            .filter(|r| matches!(r.status, Status::Cancelled | Status::Superseded))
            .flat_map(|r| {
                let c = &self.commitments[&r.id];
                let live = c.endings.iter().filter(|e| !voided.contains(&e.seq) && e.date <= as_of);
                live.map(move |e| (e, r.id.as_str()))
            })
            .collect();
        endings.sort_by_key(|(e, _)| (e.date, e.seq));
        // The counted supersessions form a forest in which each commitment
        // still without an ending is a root, so "is `by` superseded by `id`
        // through them" is "is `id` the root of `by`'s tree".
        let mut replaced_by: HashMap<&str, &str> = HashMap::new();
        let mut ended: HashSet<&str> = HashSet::new();
        let mut uncounted = Vec::new();
        for (e, id) in endings {
            if ended.contains(id) {
                continue;
            }
            match &e.what {
                Ending::Cancelled => {}
                Ending::Superseded(by) if root(&mut replaced_by, by) == id => {
                    uncounted.push(Supersession {
                        outcome: e.seq,
                        superseded: id.to_owned(),
                        by: by.clone(),
                    });
                    continue;
                }
                Ending::Superseded(by) => {
                    replaced_by.insert(id, by);
                }
            }
            ended.insert(id);
        }
        uncounted.sort_by_key(|s| s.outcome);
        uncounted
    }

    /// The status of commitment `id` as of `as_of`, if it exists then.
    /// The outcomes in `uncounted` do not count (rule 6).
    fn status(
        &self,
        id: &str,
        c: &CommitmentFacts,
        voided: &HashSet<u64>,
        as_of: NaiveDate,
        uncounted: &HashSet<u64>,
    ) -> Option<CommitmentStatus> {
        let live = |seq: u64| !voided.contains(&seq);
        if !live(c.seq) {
            return None;
        }
        let a = self.announcements.get(&c.announcement).filter(|a| live(a.seq))?;
        if a.date > as_of {
            return None;
        }
        let met_on = c.fulfilments.iter().filter(|f| live(f.seq) && f.date <= as_of).map(|f| f.date).min();
        // The deadline in force as of D, or for a met commitment as of the
        // day it was met: a revision dated after that does not make a late
        // fulfilment on time (rule 5).
        let in_force = met_on.unwrap_or(as_of);
        let revision =
            c.revisions.iter().filter(|r| live(r.seq) && r.date <= in_force).max_by_key(|r| (r.date, r.seq));
        let deadline = match revision {
            Some(r) => window(&r.what, r.date),
            None => c.deadline.as_ref().and_then(|phrase| window(phrase, a.date)),
        };
        let end = deadline.as_ref().and_then(|d| d.end);
        let counts = |e: &&Dated<Ending>| live(e.seq) && e.date <= as_of && !uncounted.contains(&e.seq);
        let ending = c.endings.iter().filter(counts).min_by_key(|e| (e.date, e.seq));
        let (status, on_time) = match (met_on, ending) {
            (Some(met), _) => (Status::Met, Some(end.is_none_or(|end| met <= end))),
            (None, Some(e)) => match e.what {
                Ending::Cancelled => (Status::Cancelled, None),
                Ending::Superseded(_) => (Status::Superseded, None),
            },
            (None, None) if end.is_some_and(|end| as_of > end) => (Status::Overdue, None),
            (None, None) => (Status::Pending, None),
        };
        let ended = ending.filter(|_| met_on.is_none());
        Some(CommitmentStatus {
            id: id.to_owned(),
            title: c.title.clone(),
            parties: c.parties.clone().unwrap_or_else(|| a.parties.clone()),
            tags: c.tags.clone(),
            announcement: c.announcement.clone(),
            announced: a.date,
            status,
            deadline,
            met_on,
            on_time,
            ended_on: ended.map(|e| e.date),
            superseded_by: ended.and_then(|e| match &e.what {
                Ending::Superseded(by) => Some(by.clone()),
                Ending::Cancelled => None,
            }),
        })
    }

    /// Serializes the projection for the snapshot tree: see
    /// `SNAPSHOT_MAGIC` for the layout.
    pub fn to_snapshot(&self) -> Vec<u8> {
        let mut out = SNAPSHOT_MAGIC.to_vec();
        let retractions = &self.retractions;
        let announcements: Vec<_> = self.announcements.iter().collect();
        let commitments: Vec<_> = self.commitments.iter().collect();
        let announcement_parts = announcements.chunks(SNAPSHOT_PART_ENTRIES);
        let header = (self.seq, self.hash, retractions, announcement_parts.len());
        write_line(&mut out, &header);
        for part in announcement_parts {
            write_line(&mut out, &part);
        }
        for part in commitments.chunks(SNAPSHOT_PART_ENTRIES) {
            write_line(&mut out, &part);
        }
        out
    }

    /// Reads a snapshot written by [`Projection::to_snapshot`]; `None` for
    /// bytes written by another version or damaged, which are then ignored.
    ///
    /// The parts are decoded on all cores, each on its own: decoding JSON
    /// is most of the cost of a status from a snapshot.
    pub fn from_snapshot(bytes: &[u8]) -> Option<Projection> {
        Projection::from_snapshot_parts(&[bytes])
    }

    /// [`Projection::from_snapshot`] for a snapshot stored in parts, whose
    /// concatenation is the snapshot: a line that ends in its part is
    /// decoded in place, and only a line cut across parts is joined first.
    pub fn from_snapshot_parts<P: AsRef<[u8]>>(parts: &[P]) -> Option<Projection> {
        // serde_json writes no raw newline (one in a string is escaped), so
        // lines are parts of the projection. The last one ends with a newline.
        let mut lines: Vec<std::borrow::Cow<[u8]>> = Vec::new();
        let mut cut: Vec<u8> = Vec::new();
        for part in parts {
            let mut rest = part.as_ref();
            while let Some(at) = rest.iter().position(|&b| b == b'\n') {
                let (line, tail) = (&rest[..at], &rest[at + 1..]);
                if cut.is_empty() {
                    lines.push(std::borrow::Cow::Borrowed(line));
                } else {
                    cut.extend_from_slice(line);
                    lines.push(std::borrow::Cow::Owned(std::mem::take(&mut cut)));
                }
                rest = tail;
            }
            cut.extend_from_slice(rest);
        }
        if !cut.is_empty() {
            return None;
        }
        let mut lines = lines.into_iter();
        if lines.next()?.as_ref() != SNAPSHOT_MAGIC_LINE {
            return None;
        }
        let header = SnapshotHeader::decode(&lines.next()?)?;
        let lines: Vec<_> = lines.collect();
        let indexed: Vec<(usize, &[u8])> = lines.iter().map(|line| line.as_ref()).enumerate().collect();
        let decoded = parallel_map_from(2, &indexed, |&(i, line)| {
            if i < header.announcement_lines {
                serde_json::from_slice(line).ok().map(SnapshotEntries::Announcements)
            } else {
                serde_json::from_slice(line).ok().map(SnapshotEntries::Commitments)
            }
        });
        header.assemble(decoded)
    }

    /// [`Projection::from_snapshot_parts`] for parts that `read` yields one
    /// by one, as a store reads them: each part's lines are found and
    /// decoded on a free core while the next part is read. `Err` is the
    /// first error `read` gave.
    ///
    /// A stored part ends at a line end unless a line is longer than a
    /// part, so each part is decoded on its own; should one not end at a
    /// line end, the parts are decoded together, as `from_snapshot_parts`
    /// does.
    pub fn from_snapshot_read<P: AsRef<[u8]> + Send, E>(
        read: impl Iterator<Item = Result<P, E>>,
    ) -> Result<Option<Projection>, E> {
        let parts = map_as_read(read, |i, part| PartLines::decode(i == 0, part.as_ref()))?;
        if parts.iter().any(|(_, lines)| lines.is_none()) {
            let parts: Vec<&[u8]> = parts.iter().map(|(part, _)| part.as_ref()).collect();
            return Ok(Projection::from_snapshot_parts(&parts));
        }
        let mut lines = parts.into_iter().filter_map(|(_, lines)| lines);
        let Some(first) = lines.next() else {
            return Ok(None);
        };
        // (The first part decodes only with its header.)
        let Some(header) = first.header else {
            return Ok(None);
        };
        let entries = first.entries.into_iter().chain(lines.flat_map(|part| part.entries));
        Ok(header.assemble(entries))
    }
}

/// The first line of a snapshot after its marker: see `SNAPSHOT_MAGIC`.
struct SnapshotHeader {
    seq: u64,
    hash: Hash,
    retractions: Vec<(u64, u64)>,
    /// How many of the lines after it hold announcements.
    announcement_lines: usize,
}

/// One line of a snapshot's entries, decoded.
enum SnapshotEntries {
    Announcements(Vec<(String, AnnouncementFacts)>),
    Commitments(Vec<(String, CommitmentFacts)>),
}

/// The lines of one part of a snapshot, each decoded.
struct PartLines {
    /// For the first part, its header.
    header: Option<SnapshotHeader>,
    /// `None` for a line that decodes as neither kind of entries.
    entries: Vec<Option<SnapshotEntries>>,
}

impl SnapshotHeader {
    fn decode(line: &[u8]) -> Option<SnapshotHeader> {
        let (seq, hash, retractions, announcement_lines) = serde_json::from_slice(line).ok()?;
        Some(SnapshotHeader { seq, hash, retractions, announcement_lines })
    }

    /// The projection of this header and its lines of `entries`, in order;
    /// `None` if a line is damaged, or is not of the kind this header puts
    /// at its place.
    fn assemble(self, entries: impl IntoIterator<Item = Option<SnapshotEntries>>) -> Option<Projection> {
        let mut announcements = Vec::new();
        let mut commitments = Vec::new();
        let mut lines = 0;
        for entries in entries {
            let announced_here = lines < self.announcement_lines;
            match entries? {
                SnapshotEntries::Announcements(a) if announced_here || a.is_empty() => {
                    announcements.extend(a)
                }
                SnapshotEntries::Commitments(c) if !announced_here || c.is_empty() => commitments.extend(c),
                _ => return None,
            }
            lines += 1;
        }
        if self.announcement_lines > lines {
            return None;
        }
        // Written in key order, so building the maps sorts nothing.
        Some(Projection {
            seq: self.seq,
            hash: self.hash,
            announcements: announcements.into_iter().collect(),
            commitments: commitments.into_iter().collect(),
            retractions: self.retractions,
        })
    }
}

impl PartLines {
    /// The lines of a part that starts at a line start, `first` if it is
    /// the snapshot's first; `None` if the part cannot be decoded on its
    /// own: it does not end at a line end, or it is the first and does not
    /// hold the marker and a header (the parts are then decoded together,
    /// which tells a damaged snapshot from one cut elsewhere).
    fn decode(first: bool, part: &[u8]) -> Option<PartLines> {
        let mut lines = part.strip_suffix(b"\n")?.split(|&b| b == b'\n');
        let header = match first {
            true if lines.next()? == SNAPSHOT_MAGIC_LINE => Some(SnapshotHeader::decode(lines.next()?)?),
            true => return None,
            false => None,
        };
        Some(PartLines { header, entries: lines.map(decode_entries_of_either_kind).collect() })
    }
}

/// A line of entries whose kind its place does not tell yet. An
/// announcement's facts start with two numbers (its seq and date) and a
/// commitment's with a number and a string (its seq and announcement), so
/// neither kind's line decodes as the other, and a line of commitments
/// read as announcements first fails within its first few bytes.
fn decode_entries_of_either_kind(line: &[u8]) -> Option<SnapshotEntries> {
    serde_json::from_slice(line)
        .map(SnapshotEntries::Announcements)
        .or_else(|_| serde_json::from_slice(line).map(SnapshotEntries::Commitments))
        .ok()
}

/// [`SNAPSHOT_MAGIC`] without its newline: the snapshot's first line.
const SNAPSHOT_MAGIC_LINE: &[u8] = SNAPSHOT_MAGIC.split_last().expect("a marker").1;

/// Snapshot format marker: bump it when the encoding or `Projection`
/// changes shape, and old snapshots are ignored (they are derived data and
/// are rebuilt).
///
/// After the marker come lines of compact JSON, each ending in `\n`:
/// a header `[seq, hash, retractions, A]`, then `A` lines of announcements,
/// then lines of commitments, each line an array of up to
/// [`SNAPSHOT_PART_ENTRIES`] entries in key order. Every entry is an array
/// rather than an object and dates are day numbers (days since 0001-01-01
/// plus one, chrono's `num_days_from_ce`), so field names are not repeated
/// ~60,000 times and no date is formatted or parsed: a third of the bytes of
/// v1 and a fraction of the time. Lines decode independently, so they are
/// decoded on all cores (and a store's parts of a snapshot, which end at
/// line ends, each as it is read).
const SNAPSHOT_MAGIC: &[u8] = b"pledger-projection-v2\n";

/// Whether the supersessions `rows` show come round in a cycle (`c1`
/// superseded by `c2`, `c2` by `c1`). Without one, every commitment's first
/// ending counts (rule 6), and no row needs another look.
fn has_cycle(rows: &[CommitmentStatus]) -> bool {
    let by: HashMap<&str, &str> =
        rows.iter().filter_map(|r| Some((r.id.as_str(), r.superseded_by.as_deref()?))).collect();
    // Each commitment has at most one replacement: walk from each, marking
    // the walk, and stop at a commitment an earlier walk settled.
    let mut settled: HashMap<&str, usize> = HashMap::new();
    for (walk, &start) in by.keys().enumerate() {
        let mut at = start;
        loop {
            match settled.get(at) {
                Some(&w) if w == walk => return true,
                Some(_) => break,
                None => {
                    settled.insert(at, walk);
                }
            }
            match by.get(at) {
                Some(next) => at = next,
                None => break,
            }
        }
    }
    false
}

/// The commitment at the end of `id`'s chain of replacements in `replaced_by`
/// (itself if it has none), shortening the chain for the next look.
fn root<'a>(replaced_by: &mut HashMap<&'a str, &'a str>, id: &'a str) -> &'a str {
    let mut end = id;
    while let Some(&next) = replaced_by.get(end) {
        end = next;
    }
    // Point every commitment on the way straight at the end.
    let mut at = id;
    while at != end {
        match replaced_by.insert(at, end) {
            Some(next) => at = next,
            None => break,
        }
    }
    end
}

/// From how many commitments [`Projection::statuses`] splits the work
/// between two threads (starting one costs ~20 µs; a status ~0.5 µs).
const PARALLEL_STATUSES: usize = 4096;

/// Entries per snapshot part: enough parts to share among the cores, each
/// big enough that starting on it costs nothing noticeable.
const SNAPSHOT_PART_ENTRIES: usize = 2048;

fn write_line(out: &mut Vec<u8>, value: &impl Serialize) {
    serde_json::to_writer(&mut *out, value).expect("projections serialize");
    out.push(b'\n');
}

/// A date in a snapshot: its day number.
struct Day(NaiveDate);

impl Serialize for Day {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use chrono::Datelike;
        serializer.serialize_i32(self.0.num_days_from_ce())
    }
}

impl<'de> Deserialize<'de> for Day {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let days = i32::deserialize(deserializer)?;
        NaiveDate::from_num_days_from_ce_opt(days)
            .map(Day)
            .ok_or_else(|| serde::de::Error::custom(format!("day number {days} is out of range")))
    }
}

// The facts are written as arrays (tuples), in field order.

impl Serialize for AnnouncementFacts {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        (self.seq, Day(self.date), &self.title, &self.parties).serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for AnnouncementFacts {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let (seq, Day(date), title, parties) = Deserialize::deserialize(deserializer)?;
        Ok(AnnouncementFacts { seq, date, title, parties })
    }
}

impl Serialize for CommitmentFacts {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let CommitmentFacts {
            seq,
            announcement,
            title,
            parties,
            deadline,
            tags,
            revisions,
            fulfilments,
            endings,
        } = self;
        (seq, announcement, title, parties, deadline, tags, revisions, fulfilments, endings)
            .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for CommitmentFacts {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let (seq, announcement, title, parties, deadline, tags, revisions, fulfilments, endings) =
            Deserialize::deserialize(deserializer)?;
        Ok(CommitmentFacts {
            seq,
            announcement,
            title,
            parties,
            deadline,
            tags,
            revisions,
            fulfilments,
            endings,
        })
    }
}

impl<T: Serialize> Serialize for Dated<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        (self.seq, Day(self.date), &self.what).serialize(serializer)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Dated<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let (seq, Day(date), what) = Deserialize::deserialize(deserializer)?;
        Ok(Dated { seq, date, what })
    }
}

/// Reads a phrase as a window. A phrase that no longer parses (a convention
/// changed after it was recorded) is kept with no end, so it never makes a
/// commitment overdue on a reading pledger cannot justify.
fn window(phrase: &str, anchor: NaiveDate) -> Option<DeadlineWindow> {
    let (start, end) = match deadline::parse(phrase, anchor) {
        Ok(d) => (d.start, d.end),
        Err(_) => (anchor, None),
    };
    Some(DeadlineWindow { phrase: phrase.to_owned(), start, end })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_that_end_at_line_ends_are_each_decoded_on_their_own() {
        // given a snapshot of one announcement and one commitment, in parts
        // as a store keeps them: the marker and header first, then a line
        // each
        let header = Projection { seq: 2, ..Projection::default() }.to_snapshot();
        let header = std::str::from_utf8(&header).unwrap().lines().nth(1).unwrap().replace("],0]", "],1]");
        let parts = [
            format!("pledger-projection-v2\n{header}\n"),
            "[[\"a1\",[1,739000,\"Talks\",[\"Japan\",\"India\"]]]]\n".to_owned(),
            "[[\"c1\",[2,\"a1\",\"Hold a dialogue\",null,\"early 2026\",[],[],[],[]]]]\n".to_owned(),
        ];
        // when each is decoded alone, then none needs the others
        for (i, part) in parts.iter().enumerate() {
            assert!(PartLines::decode(i == 0, part.as_bytes()).is_some(), "part {i} decoded on its own");
        }
        // and the parts read as they come give what the whole bytes give
        let read = Projection::from_snapshot_read(parts.iter().map(Ok::<_, ()>)).unwrap();
        let whole = Projection::from_snapshot(parts.concat().as_bytes());
        assert!(read.is_some() && read == whole, "{read:?} against {whole:?}");
        assert_eq!(read.map(|p| (p.announcements.len(), p.commitments.len())), Some((1, 1)));
    }
}
