//! The ledger: appending events to the chain after checking them against it.
//!
//! Appending is a command; what it records are facts. A batch of lines is
//! first checked as a whole (every line's own shape, then its references
//! against the chain and the lines before it, then duplicates), and every
//! problem is reported. Only a batch without problems is sealed into the
//! chain and appended, whole or not at all, and durably before the append
//! returns: a small batch (up to 256 KiB of records: any `append` or
//! `record`) as one journal write, a larger one in one sled transaction
//! followed by a flush and fsyncs (see `store`).
//!
//! Re-importing a file is safe: a line whose event is already recorded with
//! the same content (by id for announcements, commitments and meetings, by
//! content for the other types) is skipped and counted as already recorded.
//! A line whose recorded event a retraction voids is skipped too, and listed
//! in [`Appended::voided`]: giving an event again does not undo its
//! retraction (retracting the retraction does), and a caller that records
//! one event says so rather than "already recorded".
//!
//! Concurrency is optimistic: [`Ledger::append`] checks the lines against the
//! head it reads (or the head the caller expects), and the store refuses the
//! write with [`AppendError::Conflict`] if another writer moved the head in
//! between. A caller that gets a conflict re-reads the head and tries again;
//! the lines are re-checked against the new chain.

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::Path;

use chrono::{DateTime, NaiveDate, Utc};

use crate::chain::{self, Envelope, Head, RawRecord};
use crate::deadline;
use crate::event::{Event, EventDigest, EventRef, EventType, IdKind, RetractedEvent, Retraction, Slug, Text};
use crate::input::{cores, parallel_map_from, InputError, InputErrors, Line, Renumber};
use crate::projection::Projection;
use crate::store::{
    Batch, ChainIndex, Chunk, ContentDigest, Index, IndexKey, IndexProblem, OpenMode, Run, Store, StoreError,
};

pub use crate::store::AppendError;

/// An open ledger.
pub struct Ledger {
    store: Store,
    snapshot_every: u64,
}

/// Bytes of records read ahead and decoded together on all cores by
/// [`Ledger::envelopes`]: a few 1 MiB segments (~2,800 events each), or
/// ~120 chunks of 32 KiB.
const DECODE_BATCH_BYTES: usize = 4 << 20;

/// The longest tail after a snapshot that [`Ledger::projection`] decodes
/// while the snapshot is read (held decoded, ~1 KiB an event); a longer one
/// is folded as it is read.
const CONCURRENT_TAIL: u64 = 65_536;

/// How many events apart projection snapshots are kept, unless configured.
pub const DEFAULT_SNAPSHOT_EVERY: u64 = 10_000;

/// Who records, and when: passed in, never read from a clock inside the core.
#[derive(Debug, Clone)]
pub struct Stamp {
    pub now: DateTime<Utc>,
    pub by: String,
}

/// What an append did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appended<'a> {
    /// The events appended, in chain order.
    pub new: Vec<AppendedEvent<'a>>,
    /// Lines skipped because their event was already recorded.
    pub already_recorded: usize,
    /// Of those, the lines whose recorded event a retraction voids: they
    /// were not appended again, and count in no status until that
    /// retraction is itself retracted.
    pub voided: Vec<VoidedDuplicate<'a>>,
    /// The new lines whose deadline comes with a note (see
    /// [`deadline::Note`]), in chain order.
    pub deadline_notes: Vec<DeadlineNote<'a>>,
    /// The new retractions by seq whose file numbers its events otherwise
    /// than this ledger, in chain order: each may void another event than
    /// its author meant.
    pub numbering_notes: Vec<NumberingNote<'a>>,
    /// The lines skipped because an earlier line of the same file gives the
    /// same event (two identical progress notes, say), in input order.
    pub repeated: Vec<Repeated<'a>>,
    /// The new retractions, as (the retraction's seq, the seq it retracts),
    /// whichever way each names its target, in chain order.
    pub retracted: Vec<(u64, u64)>,
    /// The head after the append (unchanged when nothing was new).
    pub head: Head,
}

/// A line that gives the event an earlier line of its file gives, so that
/// the two are recorded once: an event without an id is known by its
/// content, and one with an id by its id and content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repeated<'a> {
    /// The line skipped.
    pub line: &'a Line,
    /// The earlier line, whose event is appended.
    pub first: &'a Line,
}

/// What [`Ledger::check_snapshots`] found, by the seqs of the snapshots,
/// oldest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SnapshotCheck {
    /// Snapshots that queries would start from but that do not hold the
    /// projection the events up to their seq give: changed since made.
    pub unlike: Vec<u64>,
    /// Snapshots that cannot be read (damaged, or of another format):
    /// queries ignore them, so they change no answer.
    pub unreadable: Vec<u64>,
}

/// What [`Ledger::check_index`] found.
#[derive(Debug)]
pub struct IndexCheck {
    /// Where the `ids` and `content` indexes differ from the events.
    pub problems: Vec<IndexProblem>,
    /// The entries the events give, for
    /// [`Store::rebuild_index`](crate::store::Store::rebuild_index).
    pub chain: ChainIndex,
}

/// Lines checked and sealed into the chain after one head, not yet
/// appended: see [`Ledger::check_to_append`].
pub struct Checked<'a> {
    batch: Batch,
    appended: Appended<'a>,
}

/// A new line whose deadline reads as the conventions say, but not
/// perhaps as a reader of the phrase expects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadlineNote<'a> {
    pub line: &'a Line,
    pub note: deadline::Note,
}

/// A new retraction (appended as `seq`) of seq `target` in a file that
/// holds events this ledger has recorded, whose `target`-th event (on line
/// `file_line`) is `here` in this ledger, voided already if `here_voided`:
/// if the file numbers its events as another ledger did (an export of it),
/// the retraction meant `here`, not `target`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NumberingNote<'a> {
    pub line: &'a Line,
    pub seq: u64,
    pub target: u64,
    pub file_line: usize,
    pub here: u64,
    pub here_voided: bool,
}

/// One appended event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppendedEvent<'a> {
    pub seq: u64,
    pub hash: chain::Hash,
    /// The input line it came from.
    pub line: &'a Line,
}

/// A line already recorded, as an event that a retraction voids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoidedDuplicate<'a> {
    /// The seq of the recorded event.
    pub seq: u64,
    /// The retractions in force that void it, in chain order: all of them
    /// must be retracted to restore it.
    pub retracted_by: Vec<u64>,
    /// The input line.
    pub line: &'a Line,
}

/// Why lines were not appended.
#[derive(Debug, thiserror::Error)]
pub enum RejectError {
    /// Some lines are wrong; nothing was appended.
    #[error(transparent)]
    Input(#[from] InputErrors),
    #[error(transparent)]
    Append(#[from] AppendError),
}

impl From<StoreError> for RejectError {
    fn from(e: StoreError) -> Self {
        RejectError::Append(AppendError::Store(e))
    }
}

impl Ledger {
    /// Opens the ledger at `path`; `mode` says whether it may be created.
    pub fn open(path: &Path, mode: OpenMode) -> Result<Ledger, StoreError> {
        Ok(Ledger { store: Store::open(path, mode)?, snapshot_every: DEFAULT_SNAPSHOT_EVERY })
    }

    /// Keeps a projection snapshot every `n` events (0 turns snapshots off).
    pub fn with_snapshot_every(mut self, n: u64) -> Ledger {
        self.snapshot_every = n;
        self
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The recorded head.
    pub fn head(&self) -> Result<Head, StoreError> {
        self.store.head()
    }

    /// Checks `lines` against the chain and appends the new ones durably.
    ///
    /// With `expected`, the append happens only if the head is still that
    /// one; otherwise it is checked against the current head and refused only
    /// if another writer appends between the check and the write. Either way
    /// a moved head is an [`AppendError::Conflict`]: re-read and retry.
    pub fn append<'a>(
        &self,
        lines: &'a [Line],
        expected: Option<Head>,
        stamp: &Stamp,
    ) -> Result<Appended<'a>, RejectError> {
        let head = self.store.head()?;
        if let Some(expected) = expected {
            if expected != head {
                return Err(AppendError::Conflict { expected, current: head }.into());
            }
        }
        let (batch, appended) = self.prepare(lines, head, stamp)?;
        self.append_checked(Checked { batch, appended })
    }

    /// Checks `lines` as [`Ledger::append`] would, and keeps the new ones
    /// sealed into the chain for [`Ledger::append_checked`], which appends
    /// them without checking them again.
    pub fn check_to_append<'a>(&self, lines: &'a [Line], stamp: &Stamp) -> Result<Checked<'a>, RejectError> {
        let head = self.store.head()?;
        let (batch, appended) = self.prepare(lines, head, stamp)?;
        Ok(Checked { batch, appended })
    }

    /// Appends durably what [`Ledger::check_to_append`] checked, against this
    /// ledger or any other with the same head. A head names its whole chain,
    /// and the checks read only what the chain determines (its records, and
    /// the index and snapshots made from them), so lines checked against one
    /// empty ledger are checked for every empty one. If this ledger's head is
    /// another, nothing is appended and the error is an
    /// [`AppendError::Conflict`]: check the lines again.
    pub fn append_checked<'a>(&self, checked: Checked<'a>) -> Result<Appended<'a>, RejectError> {
        let Checked { batch, appended } = checked;
        let head = batch.expected();
        // (An empty batch writes nothing, so the store does not compare it.)
        if batch.is_empty() {
            let current = self.store.head()?;
            if current != head {
                return Err(AppendError::Conflict { expected: head, current }.into());
            }
        }
        let to = batch.head().seq;
        // The snapshot due is folded from the new events in memory on
        // another core while the store writes them. Its parts are written
        // once the batch is committed, so that the append's sync can cover
        // them too, and it is listed only once the append is durable.
        // Snapshots are derived data, so a failure to make one loses
        // nothing and does not fail the append.
        let (stored, snapshot) = if self.snapshot_due(head.seq, to) {
            let (committed, commit) = std::sync::mpsc::channel::<()>();
            let fresh = &appended.new;
            std::thread::scope(|scope| {
                let folding = scope.spawn(move || -> Result<Option<(u64, chain::Hash, u32)>, StoreError> {
                    let Some((seq, hash, bytes)) = self.fold_snapshot(head.seq, to, fresh)? else {
                        return Ok(None);
                    };
                    // The sender is dropped unused if the append fails.
                    if commit.recv().is_err() {
                        return Ok(None);
                    }
                    Ok(Some((seq, hash, self.store.write_snapshot_parts(seq, &bytes)?)))
                });
                let stored = self.store.append_then(&batch, move || {
                    let _ = committed.send(());
                });
                (stored, folding.join().ok().and_then(Result::ok).flatten())
            })
        } else {
            (self.store.append(&batch), None)
        };
        let new_head = stored?;
        if let Some((seq, hash, parts)) = snapshot {
            let _ = self.store.finish_snapshot(seq, hash, parts);
        }
        Ok(Appended { head: new_head, ..appended })
    }

    /// Checks `lines` against the chain ending at `head` without writing:
    /// what [`Ledger::append`] would append.
    pub fn check<'a>(&self, lines: &'a [Line], stamp: &Stamp) -> Result<Appended<'a>, RejectError> {
        let head = self.store.head()?;
        Ok(self.prepare(lines, head, stamp)?.1)
    }

    /// Checks every line and seals the new ones into the chain in the same
    /// pass. Each line's record is framed ahead, on all cores, so each event
    /// is serialized once, into the record that will be stored. Once a line
    /// fails, sealing stops (nothing will be appended) but checking goes on,
    /// so every problem is reported.
    fn prepare<'a>(
        &self,
        lines: &'a [Line],
        head: Head,
        stamp: &Stamp,
    ) -> Result<(Batch, Appended<'a>), RejectError> {
        let index = self.store.index(lines.len() > PREPARE_BLOCK)?;
        let mut checker = Checker::new(self, &index, head, lines);
        let mut errors = Vec::new();
        let mut already_recorded = 0;
        let mut voided = Vec::new();
        let mut repeated_seqs = Vec::new();
        let mut batch = Batch::new(head);
        let mut new = Vec::with_capacity(lines.len());
        let framer = Framer::new(stamp);
        // What each line needs that depends on nothing before it (its
        // record body, the digest of its canonical bytes, whether the store
        // already holds its id or content, and a first reading of its
        // deadline) is worked out a block at a time on all cores, one block
        // ahead of the checks, which must run in order; the store is only
        // read, against the same head.
        let mut announced = HashMap::new();
        let mut work = |(number, block): (usize, &'a [Line])| -> PreparedBlock {
            // Announcement dates as far as this block, so that a
            // commitment's deadline can be read against its anchor here;
            // the checks confirm the anchor, and read it again if it differs.
            for line in block {
                if let Event::Announcement(a) = &line.event {
                    announced.entry(a.id.as_str()).or_insert(a.date.0);
                }
            }
            // One part per core (one in all for a few lines: a part is a
            // run of records, and a run is never split across chunks).
            let first = number * PREPARE_BLOCK;
            let per_part = if block.len() < 512 { block.len() } else { block.len().div_ceil(cores()) }.max(1);
            let parts: Vec<(u64, &[Line])> =
                (first as u64..).step_by(per_part).zip(block.chunks(per_part)).collect();
            let announced = &announced;
            let parts = parallel_map_from(2, &parts, |&(first, part)| {
                // Each line's record is framed here, ahead of its place in
                // the chain, so that the checks only seal it.
                let mut run = Run::with_capacity(part.len() * 400);
                let items = (first..)
                    .zip(part)
                    .map(|(n, line)| {
                        let body = run.frame(|out| framer.write_body(n, &line.event, out));
                        let canonical = body.start + framer.prefix_len()..body.end - 1;
                        // Only id-less events are known by their content.
                        let (stored, key, digest) = match line.event.id() {
                            Some((kind, id)) => {
                                let key = IndexKey::id(kind, id.as_str());
                                (index.lookup(&key), Some(key), None)
                            }
                            None => {
                                let digest = ContentDigest::of(&run.bytes()[canonical.clone()]);
                                (index.lookup_digest(&digest), None, Some(digest))
                            }
                        };
                        let anchor = match &line.event {
                            Event::Announcement(a) => {
                                Some(IndexKey::anchor(IdKind::Announcement, a.id.as_str()))
                            }
                            Event::Commitment(c) => Some(IndexKey::anchor(IdKind::Commitment, c.id.as_str())),
                            _ => None,
                        };
                        let deadline = first_reading(&index, &line.event, announced);
                        Prepared { key, anchor, digest, stored, deadline }
                    })
                    .collect();
                PreparedPart { runs: run.share(), items }
            });
            PreparedBlock { parts }
        };
        let mut check_block =
            |number: usize, block: &'a [Line], prepared: PreparedBlock| -> Result<(), RejectError> {
                // Each line with its place among all the lines.
                let mut lines = (number * PREPARE_BLOCK..).zip(block);
                // A part's items follow its runs' records in order.
                let parts = prepared.parts.into_iter().flat_map(|part| {
                    let mut items = part.items.into_iter();
                    let runs: Vec<_> = part
                        .runs
                        .into_iter()
                        .map(|run| {
                            let items: Vec<Prepared> = items.by_ref().take(run.len()).collect();
                            (run, items)
                        })
                        .collect();
                    runs
                });
                for (run, items) in parts {
                    let mut run = batch.seal_run(run);
                    // Items first: `zip` takes from its first iterator first, so
                    // the lines stay in step across runs.
                    for (i, (item, (at, line))) in items.into_iter().zip(lines.by_ref()).enumerate() {
                        let Prepared { key, anchor, digest, stored, deadline } = item;
                        let canonical = framer.canonical(run.record(i));
                        match checker.check(line, Ahead { canonical, digest, stored, deadline }) {
                            Ok(Verdict::New) => {}
                            Ok(Verdict::AlreadyRecorded { seq, elsewhere }) => {
                                already_recorded += 1;
                                if !elsewhere && seq > head.seq {
                                    repeated_seqs.push((seq, line));
                                }
                                continue;
                            }
                            Ok(Verdict::Voided { seq, retracted_by }) => {
                                already_recorded += 1;
                                voided.push(VoidedDuplicate { seq, retracted_by, line });
                                continue;
                            }
                            Err(Problem::Line(message)) => {
                                errors.push(InputError::new(line.origin.clone(), message));
                                continue;
                            }
                            Err(Problem::Renumber { message, here }) => {
                                let renumber = Some(Renumber { line: at, retracts: here });
                                errors.push(InputError { origin: line.origin.clone(), message, renumber });
                                continue;
                            }
                            Err(Problem::Store(e)) => return Err(e.into()),
                        }
                        let record_len = run.record(i).len();
                        if record_len >= chain::MAX_RECORD_LEN {
                            let message = format!(
                                "expected an event under 32 KiB when stored, found one of {record_len} bytes"
                            );
                            errors.push(InputError::new(line.origin.clone(), message));
                        }
                        if !errors.is_empty() {
                            continue;
                        }
                        let Head { seq, hash } = run.seal(i, key, digest);
                        // The date later checks of references to this id need,
                        // indexed so that they need not read this event back.
                        let date = match &line.event {
                            Event::Announcement(a) => Some(a.date.0),
                            Event::Commitment(c) => checker.commitment_dates.get(c.id.as_str()).copied(),
                            _ => None,
                        };
                        if let (Some(key), Some(date)) = (anchor, date) {
                            run.push_anchor(key, date);
                        }
                        new.push(AppendedEvent { seq, hash, line });
                    }
                }
                Ok(())
            };
        if lines.len() <= PREPARE_BLOCK {
            // One block (a single-event append among them): no thread.
            let prepared = work((0, lines));
            check_block(0, lines, prepared)?;
        } else {
            std::thread::scope(|scope| -> Result<(), RejectError> {
                let (ready, blocks) = std::sync::mpsc::sync_channel(1);
                scope.spawn(move || {
                    for block in lines.chunks(PREPARE_BLOCK).enumerate() {
                        if ready.send((block.0, block.1, work(block))).is_err() {
                            break;
                        }
                    }
                });
                for (number, block, prepared) in blocks {
                    check_block(number, block, prepared)?;
                }
                Ok(())
            })?;
        }
        if !errors.is_empty() {
            return Err(InputErrors(errors).into());
        }
        let deadline_notes = std::mem::take(&mut checker.deadline_notes);
        let numbering_notes = std::mem::take(&mut checker.numbering_notes);
        // A repeat names the seq the batch gives its first line.
        let repeated = (repeated_seqs.into_iter())
            .filter_map(|(seq, line)| {
                let first = new.get(usize::try_from(seq - head.seq - 1).ok()?).filter(|e| e.seq == seq)?;
                Some(Repeated { line, first: first.line })
            })
            .collect();
        let head = batch.head();
        let retracted = std::mem::take(&mut checker.batch_retractions);
        Ok((
            batch,
            Appended {
                new,
                already_recorded,
                voided,
                deadline_notes,
                numbering_notes,
                repeated,
                retracted,
                head,
            },
        ))
    }

    /// Every event from `from` on, decoded, in chain order. Reads lazily,
    /// a batch of chunks at a time (see `Ledger::envelope_batches`).
    pub fn envelopes(&self, from: u64) -> impl Iterator<Item = Result<Envelope, StoreError>> + '_ {
        self.envelope_batches(from, |_: &RawRecord<'_>| true).flatten()
    }

    /// [`Ledger::envelopes`] of only the records `keep` accepts, given each
    /// record's stored bytes before it is decoded: a scan for a few events
    /// skips decoding the others, which is most of the cost of a scan. A
    /// record `keep` rejects is not decoded, so if it cannot be decoded,
    /// this scan does not say so (`verify` does).
    pub fn envelopes_where<'s>(
        &'s self,
        from: u64,
        keep: impl Fn(&RawRecord<'_>) -> bool + Sync + 's,
    ) -> impl Iterator<Item = Result<Envelope, StoreError>> + 's {
        self.envelope_batches(from, keep).flatten()
    }

    /// The seq of the event whose envelope has `uuid`, if the chain holds
    /// one: a scan that decodes only the records whose bytes hold the uuid.
    pub fn seq_of_uuid(&self, uuid: uuid::Uuid) -> Result<Option<u64>, StoreError> {
        let text = uuid.hyphenated().to_string();
        let holds = |record: &RawRecord<'_>| record.body().windows(text.len()).any(|w| w == text.as_bytes());
        for envelope in self.envelopes_where(1, holds) {
            let envelope = envelope?;
            if envelope.uuid == uuid {
                return Ok(Some(envelope.seq));
            }
        }
        Ok(None)
    }

    /// [`Ledger::envelopes`] in the batches they are decoded in: chunks
    /// are read until they hold [`DECODE_BATCH_BYTES`] of records, and each
    /// batch is decoded on all cores (decoding JSON is most of the cost), in
    /// order. A store error keeps its place.
    fn envelope_batches<'s>(
        &'s self,
        from: u64,
        keep: impl Fn(&RawRecord<'_>) -> bool + Sync + 's,
    ) -> impl Iterator<Item = Vec<Result<Envelope, StoreError>>> + 's {
        let head = self.store.head();
        let limit = head.as_ref().map(|h| h.seq).unwrap_or(0);
        let head_error = head.err();
        let path = self.store.path().to_owned();
        let damaged = move |what: String| StoreError::Damaged { path: path.clone(), what };
        let mut chunks = self.store.chunks(from.max(1));
        let batches = std::iter::from_fn(move || {
            let mut batch = Vec::new();
            let mut bytes = 0;
            while bytes < DECODE_BATCH_BYTES {
                let Some(chunk) = chunks.next() else { break };
                bytes += chunk.as_ref().map_or(0, |c| c.len());
                batch.push(chunk);
            }
            (!batch.is_empty()).then_some(batch)
        });
        let in_range = move |seq: u64| seq >= from && seq <= limit;
        // A batch's decoded events, or `None` once a batch holds nothing in
        // range or before it: the scan has passed the head read above. (A
        // batch of records before `from` is not the end: the journaled
        // tail is read whole, and can hold more than a batch before it.)
        let decode =
            move |batch: Vec<Result<Chunk, StoreError>>| -> Option<Vec<Result<Envelope, StoreError>>> {
                // A chunk's decoded records, and whether it held any in range
                // or before it (before `keep`: a batch whose records it
                // rejected all is not the end).
                let decode = |chunk: &Chunk| -> (Vec<Result<Envelope, StoreError>>, bool) {
                    let mut not_past = false;
                    let decoded = chunk
                        .records()
                        .filter(|r| match r {
                            Ok(r) => {
                                not_past |= r.seq() <= limit;
                                keep(r)
                            }
                            Err(_) => true,
                        })
                        .map(|r| {
                            r.map_err(|e| damaged(e.to_string())).and_then(|r| {
                                r.decode()
                                    .map_err(|e| damaged(format!("event {} cannot be decoded: {e}", r.seq())))
                            })
                        })
                        .collect();
                    (decoded, not_past)
                };
                // Runs of chunks are decoded together; a store error keeps its
                // place.
                let mut decoded = Vec::new();
                let mut not_past = false;
                let mut decode_all = |chunks: &[Chunk], decoded: &mut Vec<_>| {
                    for (part, chunk_not_past) in parallel_map_from(2, chunks, decode) {
                        decoded.extend(part);
                        not_past |= chunk_not_past;
                    }
                };
                let mut run = Vec::new();
                for chunk in batch {
                    match chunk {
                        Ok(chunk) => run.push(chunk),
                        Err(e) => {
                            decode_all(&run, &mut decoded);
                            run.clear();
                            decoded.push(Err(e));
                        }
                    }
                }
                decode_all(&run, &mut decoded);
                decoded.retain(|e| e.as_ref().map_or(true, |e| in_range(e.seq)));
                (not_past || !decoded.is_empty()).then_some(decoded)
            };
        head_error.map(|e| vec![Err(e)]).into_iter().chain(batches.map_while(decode))
    }

    /// Every event in chain order as the interchange format: what `export`
    /// writes, so that importing it into a fresh ledger reproduces the chain.
    ///
    /// A fresh ledger gives each event a new uuid but the same seq, so a
    /// retraction that names its target by uuid is written with the
    /// target's seq instead. The uuid map is built only once such a
    /// retraction is met, so a ledger without one is exported in bounded
    /// memory. A ledger whose history differs numbers the events otherwise,
    /// so each retraction also names its target by what it is
    /// (`retracts_event`, see [`RetractedEvent`]), which the checks hold the
    /// seq to.
    pub fn exported_events(&self, to: Option<u64>) -> impl Iterator<Item = Result<Event, StoreError>> + '_ {
        let to = to.unwrap_or(u64::MAX);
        let mut seqs: Option<HashMap<uuid::Uuid, u64>> = None;
        self.envelopes(1).take_while(move |e| e.as_ref().map_or(true, |e| e.seq <= to)).map(move |envelope| {
            let mut envelope = envelope?;
            if let Event::Retraction(r) = &mut envelope.event {
                if let EventRef::Uuid(target) = r.retracts {
                    if seqs.is_none() {
                        seqs = Some(self.uuid_index(envelope.seq)?);
                    }
                    let seq = seqs.as_ref().and_then(|m| m.get(&target)).copied().ok_or_else(|| {
                        self.damaged(format!(
                            "event {} retracts event {target}, which is not in the ledger",
                            envelope.seq
                        ))
                    })?;
                    r.retracts = EventRef::Seq(seq);
                }
                if let EventRef::Seq(seq) = r.retracts {
                    r.retracts_event = Some(self.exported_name(seq, envelope.seq, seqs.as_ref())?);
                }
            }
            if let Some(map) = &mut seqs {
                map.insert(envelope.uuid, envelope.seq);
            }
            Ok(envelope.event)
        })
    }

    /// How an export names event `seq`, which event `by` retracts: a
    /// retraction by the name of the event it retracts, and so on (`uuids`
    /// holds the seqs of the events before `by`, once a retraction by uuid
    /// has been met).
    fn exported_name(
        &self,
        seq: u64,
        by: u64,
        uuids: Option<&HashMap<uuid::Uuid, u64>>,
    ) -> Result<RetractedEvent, StoreError> {
        let missing = || self.damaged(format!("event {by} retracts event {seq}, which is not in the ledger"));
        let target = self.envelope(seq)?.ok_or_else(missing)?.event;
        let retracted = match &target {
            Event::Retraction(r) => {
                let inner = match r.retracts {
                    EventRef::Seq(inner) => inner,
                    EventRef::Uuid(uuid) => uuids.and_then(|u| u.get(&uuid)).copied().ok_or_else(missing)?,
                };
                Some(self.exported_name(inner, seq, uuids)?)
            }
            _ => None,
        };
        Ok(RetractedEvent::naming(&target, retracted))
    }

    /// The event with this seq.
    pub fn envelope(&self, seq: u64) -> Result<Option<Envelope>, StoreError> {
        self.store
            .record(seq)?
            .map(|bytes| {
                let (raw, _) = RawRecord::split(&bytes).map_err(|e| self.damaged(e.to_string()))?;
                raw.decode().map_err(|e| self.damaged(format!("event {seq} cannot be decoded: {e}")))
            })
            .transpose()
    }

    /// The event with this user-chosen id.
    ///
    /// The index that finds it is derived data the chain does not cover, so
    /// the event found is confirmed to have that id: one that does not is
    /// reported as damage, never shown in its place.
    pub fn by_id(&self, kind: IdKind, id: &str) -> Result<Option<Envelope>, StoreError> {
        let Some(seq) = self.store.lookup_id(kind, id)? else { return Ok(None) };
        let envelope = self.envelope(seq)?;
        match &envelope {
            Some(e) if e.event.id().is_some_and(|(k, i)| k == kind && i.as_str() == id) => Ok(envelope),
            _ => Err(StoreError::IndexDamaged {
                path: self.store.path().to_owned(),
                what: format!(
                    "it gives {} '{id}' seq {seq}, which {}",
                    kind.name(),
                    match &envelope {
                        None => "it does not hold".to_owned(),
                        Some(e) => format!("holds {} '{}'", e.event.type_name(), e.event.label()),
                    }
                ),
            }),
        }
    }

    /// The projection of the events with seq ≤ `at` (default: the head),
    /// from the newest snapshot at or before it that still matches the chain,
    /// plus the events after it.
    ///
    /// The events after the snapshot do not depend on it, so they are read
    /// and decoded on another thread while the snapshot's parts are read and
    /// decoded; only folding them in waits for both.
    pub fn projection(&self, at: Option<u64>) -> Result<Projection, StoreError> {
        let head = self.store.head()?;
        let target = at.unwrap_or(head.seq).min(head.seq);
        for (seq, claimed) in self.snapshot_candidates(target)? {
            if target - seq > CONCURRENT_TAIL {
                // Too long a tail to hold decoded: fold it as it is read.
                if let Some(snapshot) = self.read_snapshot(seq, claimed)? {
                    return self.replay_stored(snapshot, target);
                }
                continue;
            }
            let (snapshot, tail) = std::thread::scope(|scope| {
                let tail = scope.spawn(|| {
                    self.envelopes(seq + 1)
                        .take_while(|e| e.as_ref().map_or(true, |e| e.seq <= target))
                        .collect::<Vec<_>>()
                });
                let snapshot = self.read_snapshot(seq, claimed);
                (snapshot, tail.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            });
            if let Some(snapshot) = snapshot? {
                return self.replay(snapshot, tail.into_iter(), target);
            }
        }
        self.replay_stored(Projection::default(), target)
    }

    /// The projection from a full replay, ignoring snapshots.
    pub fn projection_replayed(&self, at: Option<u64>) -> Result<Projection, StoreError> {
        self.projection_replayed_from(Projection::default(), at)
    }

    /// `projection` (one replayed from the chain) carried on by replaying
    /// the events after it, up to `at` (default: the head), ignoring
    /// snapshots.
    pub fn projection_replayed_from(
        &self,
        projection: Projection,
        at: Option<u64>,
    ) -> Result<Projection, StoreError> {
        let head = self.store.head()?;
        self.replay_stored(projection, at.unwrap_or(head.seq).min(head.seq))
    }

    /// The newest stored snapshot at or before `seq` whose covered event is
    /// still in the chain with the same hash.
    pub fn newest_snapshot(&self, seq: u64) -> Result<Option<Projection>, StoreError> {
        for (at, claimed) in self.snapshot_candidates(seq)? {
            if let Some(projection) = self.read_snapshot(at, claimed)? {
                return Ok(Some(projection));
            }
        }
        Ok(None)
    }

    /// The stored snapshots that cover an event the chain holds with the
    /// hash they claim, checked against a replay of the chain: a snapshot
    /// is derived data, and anyone who can write the store's files can
    /// change one without breaking the chain. Replays the chain up to the
    /// newest snapshot, once.
    ///
    /// Stops early, with what it found so far, once `stop` is set (by a
    /// caller that no longer needs the answer: the chain itself is broken).
    pub fn check_snapshots(&self, stop: &std::sync::atomic::AtomicBool) -> Result<SnapshotCheck, StoreError> {
        use std::sync::atomic::Ordering;
        let head = self.store.head()?;
        let mut candidates = self.snapshot_candidates(head.seq)?;
        candidates.reverse();
        let mut replayed = Projection::default();
        let mut unlike = Vec::new();
        let mut unreadable = Vec::new();
        for (seq, claimed) in candidates {
            let from = replayed.seq + 1;
            let envelopes = self.envelopes(from).take_while(|_| !stop.load(Ordering::Relaxed));
            replayed = self.replay(replayed, envelopes, seq)?;
            if stop.load(Ordering::Relaxed) {
                break;
            }
            // The bytes a snapshot of the replay would hold are compared
            // first, as decoding the stored one costs more than serializing
            // (a projection serializes to one form, its maps being ordered).
            let Some(parts) = self.store.snapshot_parts(seq)? else {
                unreadable.push(seq);
                continue;
            };
            let expected = replayed.to_snapshot();
            let mut rest = expected.as_slice();
            let same = parts.iter().all(|part| match rest.strip_prefix(&part[..]) {
                Some(after) => {
                    rest = after;
                    true
                }
                None => false,
            }) && rest.is_empty();
            if same {
                continue;
            }
            // Other bytes: a forgery if queries would read them as the
            // projection at `seq` (one that does not read is ignored).
            match self.read_snapshot(seq, claimed)? {
                Some(stored) if stored != replayed => unlike.push(seq),
                Some(_) => {}
                None => unreadable.push(seq),
            }
        }
        Ok(SnapshotCheck { unlike, unreadable })
    }

    /// The `ids` and `content` indexes, checked against the entries the
    /// events up to the head give: they are derived data, as snapshots are,
    /// and anyone who can write the store's files can change them without
    /// breaking the chain, while the checks of appends read them to tell a
    /// new event from one already recorded.
    ///
    /// Reads the stored records, not the decoded events: an id-less event's
    /// content digest is of its stored canonical bytes, as the append that
    /// indexed it made it, and only the few fields an entry needs are read.
    pub fn check_index(&self) -> Result<IndexCheck, StoreError> {
        let head = self.store.head()?;
        let mut gathering = IndexGathering::default();
        'chunks: for chunk in self.store.chunks(1) {
            let chunk = chunk?;
            for record in chunk.records() {
                let record = record.map_err(|e| self.damaged(e.to_string()))?;
                if record.seq() > head.seq {
                    break 'chunks;
                }
                gathering.observe(record.seq(), record.body()).map_err(|what| self.damaged(what))?;
            }
        }
        let mut chain = gathering.index;
        chain.gathered_to(head);
        Ok(IndexCheck { problems: self.store.check_index(&chain)?, chain })
    }

    /// The stored snapshots at or before `seq` whose covered event is still
    /// in the chain with the hash they claim, newest first, without reading
    /// them.
    fn snapshot_candidates(&self, seq: u64) -> Result<Vec<(u64, chain::Hash)>, StoreError> {
        let mut out = Vec::new();
        for (at, claimed) in self.store.snapshot_heads()?.into_iter().rev() {
            if at > seq {
                continue;
            }
            let stored =
                self.store.record(at)?.and_then(|r| RawRecord::split(&r).ok().map(|(r, _)| r.stored_hash()));
            if stored == Some(claimed) {
                out.push((at, claimed));
            }
        }
        Ok(out)
    }

    /// The snapshot at `seq`, if it is whole and decodes to the projection
    /// at `seq` with the hash `claimed`.
    fn read_snapshot(&self, seq: u64, claimed: chain::Hash) -> Result<Option<Projection>, StoreError> {
        let Some(reads) = self.store.snapshot_part_reads(seq)? else {
            return Ok(None);
        };
        // Parts are decoded as they are read, on the cores the reading leaves
        // free: at 200,000 events (24 parts, 16 MB), reading them took 9-13
        // ms on one thread, and a status took a median of 101 ms against 112
        // with the parts read first (12 alternating runs). A snapshot of one
        // part (one of up to ~13,000 events here) has its lines decoded on
        // all cores instead.
        let projection = if reads.count > 1 {
            let parts = reads.parts.map(|part| match part {
                Ok(Some(part)) => Ok(part),
                Ok(None) => Err(None),
                Err(e) => Err(Some(e)),
            });
            match Projection::from_snapshot_read(parts) {
                Ok(projection) => projection,
                Err(None) => None,
                Err(Some(e)) => return Err(e),
            }
        } else {
            let parts: Option<Vec<_>> = reads.parts.collect::<Result<_, _>>()?;
            parts.and_then(|parts| Projection::from_snapshot_parts(&parts))
        };
        Ok(projection.filter(|p| p.seq == seq && p.hash == claimed))
    }

    /// Whether an append from `from` to `to` crosses a snapshot position.
    fn snapshot_due(&self, from: u64, to: u64) -> bool {
        let every = self.snapshot_every;
        every != 0 && to / every != from / every
    }

    /// The snapshot due at the last multiple of the interval in (`from`,
    /// `to`], serialized, with the seq and hash it covers. `fresh` are the
    /// events just appended after `from`, folded in from memory rather than
    /// decoded again from the store. Reads the store but writes nothing, so
    /// it can run while the append is being written.
    ///
    /// Only the newest position due is written, even when one append
    /// crosses several: a query starts from the newest snapshot, and the
    /// one before it is kept (`store::SNAPSHOTS_KEPT`) only as a fallback,
    /// so serializing and writing a second full copy of the state (half the
    /// snapshot work of a large import) would buy little. After a large
    /// import the fallback is the snapshot before it, or a replay.
    fn fold_snapshot(
        &self,
        from: u64,
        to: u64,
        fresh: &[AppendedEvent],
    ) -> Result<Option<(u64, chain::Hash, Vec<u8>)>, StoreError> {
        if !self.snapshot_due(from, to) {
            return Ok(None);
        }
        let at = to / self.snapshot_every * self.snapshot_every;
        let start = self.newest_snapshot(at)?.unwrap_or_default();
        let mut projection = self.replay_stored(start, from.min(at))?;
        let mut uuids: Option<HashMap<uuid::Uuid, u64>> = None;
        for event in fresh {
            if event.seq <= projection.seq {
                continue;
            }
            if event.seq > at {
                break;
            }
            // A retraction can name by uuid only an event stored before
            // this append (the new events' uuids were unknown to its author).
            let mut failed = None;
            let mut resolve = |uuid: uuid::Uuid| {
                if uuids.is_none() {
                    match self.uuid_index(from + 1) {
                        Ok(map) => uuids = Some(map),
                        Err(e) => failed = Some(e),
                    }
                }
                uuids.as_ref().and_then(|m| m.get(&uuid).copied())
            };
            projection.apply(event.seq, event.hash, &event.line.event, &mut resolve);
            if let Some(e) = failed {
                return Err(e);
            }
        }
        Ok((projection.seq == at).then(|| (at, projection.hash, projection.to_snapshot())))
    }

    /// Folds the stored events after `projection.seq` into it, up to seq
    /// `to`.
    fn replay_stored(&self, projection: Projection, to: u64) -> Result<Projection, StoreError> {
        let from = projection.seq + 1;
        // The next batch is read and decoded (on both cores) while this
        // thread folds the one before: in turn, the fold (~40% of a replay)
        // left the other core idle, and reading the batch from sled left
        // both idle but one. Three threads then share two cores. With the
        // events of ~380 bytes, a 200,000-event replay took a median of 364
        // ms this way against 401 ms in turn (10 alternating runs), and
        // 1,000,000 events 2.1-2.9 s against 3.0-5.3 s. (With the earlier
        // ~190-byte events it measured slower, 277-288 ms against 236-311.)
        std::thread::scope(|scope| {
            let (batches, received) = std::sync::mpsc::sync_channel(1);
            let producer = scope.spawn(move || {
                for batch in self.envelope_batches(from, |_: &RawRecord<'_>| true) {
                    // A batch that passes `to` (or fails) is the last the
                    // fold reads: reading on would decode batches for nothing.
                    // One that ends at `to` is not: the fold stops at the
                    // first event past `to`, so the event after it must be
                    // read (a store whose next record cannot be decoded, or
                    // is out of order, is reported as before). A batch can
                    // be empty before the range begins.
                    let last = match batch.last() {
                        Some(Ok(e)) => e.seq > to,
                        Some(Err(_)) => true,
                        None => false,
                    };
                    if batches.send(batch).is_err() || last {
                        break;
                    }
                }
            });
            // The receiver is dropped with the fold, so a producer waiting
            // to send stops. One that panicked ended the batches early: its
            // panic is raised here with its own message, rather than as
            // "a scoped thread panicked".
            let replayed = self.replay(projection, received.into_iter().flatten(), to);
            if let Err(panic) = producer.join() {
                std::panic::resume_unwind(panic);
            }
            replayed
        })
    }

    /// Folds `envelopes`, the events after `projection.seq` in chain order,
    /// into it, up to seq `to`.
    fn replay(
        &self,
        mut projection: Projection,
        envelopes: impl Iterator<Item = Result<Envelope, StoreError>>,
        to: u64,
    ) -> Result<Projection, StoreError> {
        let mut uuids: Option<HashMap<uuid::Uuid, u64>> = None;
        let mut pending_error = None;
        for envelope in envelopes {
            let envelope = envelope?;
            if envelope.seq > to {
                break;
            }
            let mut resolve = |uuid: uuid::Uuid| {
                if uuids.is_none() {
                    match self.uuid_index(envelope.seq) {
                        Ok(map) => uuids = Some(map),
                        Err(e) => {
                            pending_error = Some(e);
                            return None;
                        }
                    }
                }
                uuids.as_ref().and_then(|m| m.get(&uuid).copied())
            };
            projection.apply_owned(envelope.seq, envelope.hash, envelope.event, &mut resolve);
            if let Some(e) = pending_error.take() {
                return Err(e);
            }
            // Once built, the uuid map must also know the events after it.
            if let Some(map) = &mut uuids {
                map.insert(envelope.uuid, envelope.seq);
            }
        }
        // `to` is at most the head, and the chain holds every seq up to it:
        // a projection that stopped short would be wrong without saying so.
        if projection.seq < to {
            return Err(self.damaged(format!(
                "the events after seq {} could not be read (the projection needs them up to seq {to})",
                projection.seq
            )));
        }
        Ok(projection)
    }

    /// Every event's uuid before `before`, for resolving retractions by uuid
    /// (rare, so a scan on first need rather than an index kept for all).
    fn uuid_index(&self, before: u64) -> Result<HashMap<uuid::Uuid, u64>, StoreError> {
        let mut map = HashMap::new();
        for envelope in self.envelopes(1) {
            let envelope = envelope?;
            if envelope.seq >= before {
                break;
            }
            map.insert(envelope.uuid, envelope.seq);
        }
        Ok(map)
    }

    fn damaged(&self, what: String) -> StoreError {
        StoreError::Damaged { path: self.store.path().to_owned(), what }
    }
}

/// The key of the BLAKE3 stream uuids are drawn from: random, once per
/// process (two getrandom calls per append had shown up in profiles).
static UUID_SEED: std::sync::LazyLock<[u8; 32]> = std::sync::LazyLock::new(|| {
    let seed = [uuid::Uuid::new_v4().into_bytes(), uuid::Uuid::new_v4().into_bytes()].concat();
    seed.try_into().expect("two uuids are 32 bytes")
});

/// Where each [`Framer`] of this process starts counting: 2^32 apart, so
/// that no two draw the same counter value.
static UUID_COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Builds record bodies: `{"uuid","recorded_at","recorded_by","event"}`,
/// written directly around the event's canonical bytes so they are
/// serialized once.
struct Framer {
    now: DateTime<Utc>,
    prefix_tail: String,
    /// This framer's first counter value (see [`UUID_COUNTER`]).
    base: u64,
}

impl Framer {
    fn new(stamp: &Stamp) -> Framer {
        let recorded_at = serde_json::to_string(&stamp.now).expect("timestamps serialize");
        let recorded_by = serde_json::to_string(&stamp.by).expect("strings serialize");
        Framer {
            base: UUID_COUNTER.fetch_add(1 << 32, std::sync::atomic::Ordering::Relaxed),
            now: stamp.now,
            prefix_tail: format!(",\"recorded_at\":{recorded_at},\"recorded_by\":{recorded_by},\"event\":"),
        }
    }

    /// Where the event's canonical bytes start in a body (they end one
    /// byte before it does): the uuid has a fixed length.
    fn prefix_len(&self) -> usize {
        b"{\"uuid\":\"".len() + uuid::fmt::Hyphenated::LENGTH + 1 + self.prefix_tail.len()
    }

    /// The event's canonical bytes in a record this framer framed.
    fn canonical<'r>(&self, record: &'r [u8]) -> &'r [u8] {
        &record[chain::HEADER_LEN + self.prefix_len()..record.len() - 32 - 1]
    }

    /// Writes the body of the `n`th line of a batch, whose event is
    /// `event`, to the end of `out`. Each `n` is used once per framer, so
    /// bodies can be built on any thread in any order.
    fn write_body(&self, n: u64, event: &Event, out: &mut Vec<u8>) {
        // A v7 uuid: the recording time, then 74 bits that only need to be
        // unpredictable and unique. They come from BLAKE3 keyed with a random
        // seed (one per process) over a counter unique in the process (this
        // framer's base plus the line's place in the batch), rather than one
        // getrandom call per event.
        let random = blake3::keyed_hash(&UUID_SEED, &(self.base + n).to_le_bytes());
        let random: &[u8; 10] = random.as_bytes()[..10].try_into().expect("10 of 32 bytes");
        let millis = self.now.timestamp_millis().max(0) as u64;
        let uuid = uuid::Builder::from_unix_timestamp_millis(millis, random).into_uuid();
        out.extend_from_slice(b"{\"uuid\":\"");
        out.extend_from_slice(uuid.hyphenated().encode_lower(&mut uuid::Uuid::encode_buffer()).as_bytes());
        out.push(b'"');
        out.extend_from_slice(self.prefix_tail.as_bytes());
        event.write_canonical_json(out);
        out.push(b'}');
    }
}

enum Verdict {
    New,
    /// Already recorded as `seq`: by the chain or an earlier file of the
    /// batch (`elsewhere`), or by an earlier line of the same file.
    AlreadyRecorded {
        seq: u64,
        elsewhere: bool,
    },
    /// Already recorded as `seq`, which the retractions `retracted_by` void.
    Voided {
        seq: u64,
        retracted_by: Vec<u64>,
    },
}

/// A line of the file being checked: its line number, the seq it has or
/// will have (`None` if it is refused), and whether a retraction voids it.
#[derive(Clone, Copy)]
struct FileLine {
    line: usize,
    seq: Option<u64>,
    voided: bool,
}

/// What the checks of one line start from, worked out ahead: the bytes its
/// event serializes to, their digest if it has no id, what the store holds
/// under its id or content, and its deadline as read against the anchor it
/// names.
struct Ahead<'c> {
    canonical: &'c [u8],
    digest: Option<ContentDigest>,
    stored: Result<Option<u64>, StoreError>,
    deadline: Option<FirstReading>,
}

/// What a block of lines needs before it is checked that depends on no
/// other line, in parts worked out on different cores.
struct PreparedBlock {
    parts: Vec<PreparedPart>,
}

/// Consecutive lines' records, framed in runs of a segment's size, and what
/// else each line needs, in the order of the runs' records.
struct PreparedPart {
    runs: Vec<Run>,
    items: Vec<Prepared>,
}

/// One line's share of a [`PreparedPart`].
struct Prepared {
    /// The index key of the line's id, if it has one.
    key: Option<IndexKey>,
    /// The index key of the date the checks anchor its id on (for an
    /// announcement or a commitment).
    anchor: Option<IndexKey>,
    /// The digest of an id-less event's canonical bytes.
    digest: Option<ContentDigest>,
    /// The seq the store holds the line's id (or, for an id-less event,
    /// its content) under, as of the head checked against.
    stored: Result<Option<u64>, StoreError>,
    deadline: Option<FirstReading>,
}

/// A deadline phrase read against the anchor it was expected to have.
struct FirstReading {
    anchor: NaiveDate,
    result: Result<Option<deadline::Note>, String>,
}

/// The deadline phrase an event carries, read against the anchor it
/// most likely has, for [`Checker::check`] to use if the anchor is
/// confirmed: an announcement's date from `announced` or the store for
/// a commitment, a revision's own date.
fn first_reading(index: &Index, event: &Event, announced: &HashMap<&str, NaiveDate>) -> Option<FirstReading> {
    let (phrase, anchor) = match event {
        Event::Commitment(c) => {
            let phrase = c.deadline.as_ref()?;
            let anchor = match announced.get(c.announcement.as_str()) {
                Some(&date) => date,
                None => index.lookup_anchor(IdKind::Announcement, c.announcement.as_str()).ok()??,
            };
            (phrase, anchor)
        }
        Event::Deadline(d) => (&d.deadline, d.date.0),
        _ => return None,
    };
    Some(FirstReading { anchor, result: read_deadline(event.type_name(), phrase.as_str(), anchor) })
}

/// Reads the `deadline` field `phrase` of an event of type `kind` against
/// `anchor` as the checks do: `Err` is the line's message, which names the
/// field as a wrong-typed one is named (`commitment: \`deadline\`: …`).
fn read_deadline(kind: &str, phrase: &str, anchor: NaiveDate) -> Result<Option<deadline::Note>, String> {
    deadline::parse(phrase, anchor).map(|d| d.note).map_err(|e| format!("{kind}: `deadline`: {e}"))
}

/// Lines whose independent work is handed to the cores together.
const PREPARE_BLOCK: usize = 8192;

enum Problem {
    Line(String),
    /// A retraction whose `retracts_event` this ledger gives seq `here`,
    /// another seq than its `retracts`.
    Renumber {
        message: String,
        here: u64,
    },
    Store(StoreError),
}

impl From<StoreError> for Problem {
    fn from(e: StoreError) -> Self {
        Problem::Store(e)
    }
}

impl From<String> for Problem {
    fn from(message: String) -> Self {
        Problem::Line(message)
    }
}

/// The index entries the events give, gathered from their records in
/// chain order for [`Ledger::check_index`] as appends make them: each id at
/// the seq that gives it, each id-less event's content digest at its seq,
/// and the date each announcement and commitment is anchored on (a
/// commitment's is the date of the newest announcement before it with its
/// announcement's id).
#[derive(Default)]
struct IndexGathering {
    index: ChainIndex,
    announced: HashMap<String, NaiveDate>,
}

impl IndexGathering {
    /// Gathers the entries of the record at `seq`, whose body is `body`.
    fn observe(&mut self, seq: u64, body: &[u8]) -> Result<(), String> {
        // The envelope's last field is the event, in its canonical bytes
        // (see `Framer`); `,"` cannot occur inside the JSON strings before
        // it, where every quote is escaped.
        let key = b",\"event\":";
        let start = (body.windows(key.len()).position(|w| w == key))
            .ok_or_else(|| format!("event {seq} holds no `event` field"))?;
        let canonical = &body[start + key.len()..body.len().saturating_sub(1).max(start + key.len())];
        let fields: IndexFields<'_> =
            serde_json::from_slice(canonical).map_err(|e| format!("event {seq} cannot be decoded: {e}"))?;
        let id = || fields.id.as_deref().ok_or_else(|| format!("event {seq} has no `id`"));
        match fields.kind {
            EventType::Announcement => {
                let date = fields.date.ok_or_else(|| format!("event {seq} has no `date`"))?.0;
                self.index.id(IdKind::Announcement, id()?, seq);
                self.index.anchor(IdKind::Announcement, id()?, date);
                self.announced.insert(id()?.to_owned(), date);
            }
            EventType::Commitment => {
                self.index.id(IdKind::Commitment, id()?, seq);
                let announcement = fields.announcement.as_deref().unwrap_or_default();
                if let Some(&date) = self.announced.get(announcement) {
                    self.index.anchor(IdKind::Commitment, id()?, date);
                }
            }
            EventType::Meeting => self.index.id(IdKind::Meeting, id()?, seq),
            EventType::Deadline => self.content(canonical, seq, "deadline revision"),
            EventType::Outcome => self.content(canonical, seq, "outcome"),
            EventType::Progress => self.content(canonical, seq, "progress note"),
            EventType::Retraction => self.content(canonical, seq, "retraction"),
        }
        Ok(())
    }
}

impl IndexGathering {
    /// An id-less event, known by the digest of its canonical bytes.
    fn content(&mut self, canonical: &[u8], seq: u64, kind: &'static str) {
        self.index.content(ContentDigest::of(canonical), seq, kind);
    }
}

/// The fields of an event that its index entries need.
#[derive(serde::Deserialize)]
struct IndexFields<'a> {
    #[serde(rename = "type")]
    kind: EventType,
    #[serde(borrow, default)]
    id: Option<Cow<'a, str>>,
    #[serde(default)]
    date: Option<crate::event::Date>,
    #[serde(borrow, default)]
    announcement: Option<Cow<'a, str>>,
}

/// Hashing for maps keyed by [`ContentDigest`]s: a digest is already a
/// BLAKE3 output, so its first bytes serve as the hash without hashing it
/// again.
type DigestHashing = std::hash::BuildHasherDefault<DigestHasher>;

#[derive(Default)]
struct DigestHasher(u64);

impl std::hash::Hasher for DigestHasher {
    fn write(&mut self, bytes: &[u8]) {
        for (i, &b) in bytes.iter().take(8).enumerate() {
            self.0 ^= u64::from(b) << (8 * i);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// Where an earlier line of the batch gave an id-less event: the number of
/// its file, and the event's type.
type FileAndType = (u32, EventType);

/// The content digest of a retraction of `retracts` for `reason`.
fn retraction_digest(retracts: EventRef, reason: &Text) -> ContentDigest {
    let retraction = Event::Retraction(Retraction { retracts, reason: reason.clone(), retracts_event: None });
    ContentDigest::of(&retraction.canonical_json())
}

/// Checks lines in order against the chain plus the lines accepted before.
/// Its maps are keyed by the ids as the lines spell them (`'l`), so that
/// checking a line copies no id.
struct Checker<'a, 'l> {
    ledger: &'a Ledger,
    store: &'a Store,
    index: &'a Index<'a>,
    next_seq: u64,
    head_seq: u64,
    /// Ids given by earlier lines of this batch, with the line and its seq.
    pending_ids: HashMap<(IdKind, &'l str), (&'l Line, u64)>,
    /// Digests of the canonical bytes of id-less events from earlier lines
    /// of this batch, with their seqs, the number of their file and their type.
    pending_content: HashMap<ContentDigest, (u64, u32, EventType), DigestHashing>,
    /// Announcement dates, from the chain or this batch.
    announcement_dates: HashMap<Cow<'l, str>, NaiveDate>,
    /// Each commitment's announcement date, from the chain or this batch.
    commitment_dates: HashMap<&'l str, NaiveDate>,
    /// Event uuids in the chain, loaded on first need.
    uuids: Option<HashMap<uuid::Uuid, u64>>,
    /// The chain's retractions (retraction seq, target seq), loaded on
    /// first need.
    chain_retractions: Option<Vec<(u64, u64)>>,
    /// This batch's retractions so far, likewise.
    batch_retractions: Vec<(u64, u64)>,
    /// The seqs both void (see [`crate::projection::voiding`]), as of the
    /// number of this batch's retractions they were worked out with.
    voided: Option<(usize, HashMap<u64, Vec<u64>>)>,
    /// New lines whose deadline reads with a note.
    deadline_notes: Vec<DeadlineNote<'l>>,
    /// The file of the lines checked last, its number among the batch's
    /// files, and its lines so far.
    file: Option<std::sync::Arc<str>>,
    file_number: u32,
    file_seqs: Vec<FileLine>,
    /// Whether any of them is recorded already, by the chain or an earlier
    /// file of the batch.
    file_overlaps: bool,
    /// New retractions by seq that the file numbers otherwise (see
    /// [`Checker::renumbered`]).
    numbering_notes: Vec<NumberingNote<'l>>,
    /// All the lines, and where each id they give is first given, worked
    /// out at the first unknown id (see [`Checker::given_later`]).
    lines: &'l [Line],
    first_given: Option<HashMap<(IdKind, &'l str), &'l crate::input::Origin>>,
}

impl<'a, 'l> Checker<'a, 'l> {
    /// A checker for `lines` after `head`; its maps are sized for them
    /// once, rather than grown (and their memory touched) twice over.
    fn new(ledger: &'a Ledger, index: &'a Index<'a>, head: Head, lines: &'l [Line]) -> Self {
        let (mut with_id, mut announcements, mut commitments) = (0, 0, 0);
        for line in lines {
            match &line.event {
                Event::Announcement(_) => announcements += 1,
                Event::Commitment(_) => commitments += 1,
                _ => {}
            }
            with_id += usize::from(line.event.id().is_some());
        }
        Checker {
            ledger,
            store: &ledger.store,
            index,
            next_seq: head.seq + 1,
            head_seq: head.seq,
            pending_ids: HashMap::with_capacity(with_id),
            pending_content: HashMap::with_capacity_and_hasher(
                lines.len() - with_id,
                DigestHashing::default(),
            ),
            announcement_dates: HashMap::with_capacity(announcements),
            commitment_dates: HashMap::with_capacity(commitments),
            uuids: None,
            chain_retractions: None,
            batch_retractions: Vec::new(),
            voided: None,
            deadline_notes: Vec::new(),
            file: None,
            file_number: 0,
            file_seqs: Vec::new(),
            file_overlaps: false,
            numbering_notes: Vec::new(),
            lines,
            first_given: None,
        }
    }

    /// Why an id no earlier line or event gives is unknown, when a later
    /// line gives it: events are appended in the order given, so it must
    /// come first (a shell's `*.jsonl` sorts files by name, not by date).
    fn given_later(&mut self, kind: IdKind, id: &str) -> String {
        let lines = self.lines;
        let first_given = self.first_given.get_or_insert_with(|| {
            let mut first = HashMap::new();
            for line in lines {
                if let Some((kind, id)) = line.event.id() {
                    first.entry((kind, id.as_str())).or_insert(&line.origin);
                }
            }
            first
        });
        let Some(origin) = first_given.get(&(kind, id)) else { return String::new() };
        if self.file.as_deref() == Some(&*origin.file) {
            format!(
                ": it is given later, at line {}, and must come before the lines that name it",
                origin.line
            )
        } else {
            format!(": it is given later, at {origin}; files are imported in the order named, so name that one first")
        }
    }

    /// Checks `line`, with what was worked out for it ahead.
    fn check(&mut self, line: &'l Line, ahead: Ahead<'_>) -> Result<Verdict, Problem> {
        // Lines come file by file.
        if !self.file.as_ref().is_some_and(|file| std::sync::Arc::ptr_eq(file, &line.origin.file)) {
            self.file = Some(line.origin.file.clone());
            self.file_number += 1;
            self.file_seqs.clear();
            self.file_overlaps = false;
        }
        let verdict = match (self.check_line(line, ahead), &line.event) {
            // A retraction recorded already is the same one only if it
            // retracts the event the line names.
            (
                Ok(recorded @ (Verdict::AlreadyRecorded { .. } | Verdict::Voided { .. })),
                Event::Retraction(r),
            ) => match &r.retracts_event {
                Some(named) => self.check_named(named, r.retracts).map(|_| recorded),
                None => Ok(recorded),
            },
            (verdict, _) => verdict,
        };
        let seq = match verdict {
            Ok(Verdict::New) => Some(self.next_seq - 1),
            Ok(Verdict::AlreadyRecorded { seq, .. } | Verdict::Voided { seq, .. }) => Some(seq),
            Err(_) => None,
        };
        self.file_overlaps |=
            matches!(verdict, Ok(Verdict::AlreadyRecorded { elsewhere: true, .. } | Verdict::Voided { .. }));
        let voided = matches!(verdict, Ok(Verdict::Voided { .. }));
        self.file_seqs.push(FileLine { line: line.origin.line, seq, voided });
        verdict
    }

    /// [`Checker::check`], but for the seqs of the file's lines.
    fn check_line(&mut self, line: &'l Line, ahead: Ahead<'_>) -> Result<Verdict, Problem> {
        let Ahead { canonical, digest, stored, deadline } = ahead;
        let event = &line.event;
        match (event.id(), digest) {
            (Some((kind, id)), _) => {
                if let Some(&(earlier, seq)) = self.pending_ids.get(&(kind, id.as_str())) {
                    // Equal events have equal canonical bytes.
                    return if earlier.event == *event {
                        let elsewhere = !std::sync::Arc::ptr_eq(&earlier.origin.file, &line.origin.file);
                        Ok(Verdict::AlreadyRecorded { seq, elsewhere })
                    } else {
                        // Lines of several files are checked as one batch.
                        let place = if earlier.origin.file == line.origin.file {
                            format!("on line {}", earlier.origin.line)
                        } else {
                            format!("at {}:{}", earlier.origin.file, earlier.origin.line)
                        };
                        Err(format!("{} '{id}' is already given {place} with different content", kind.name())
                            .into())
                    };
                }
                if let Some(seq) = stored? {
                    let stored = self.stored_event(seq)?;
                    return if stored.canonical_json() == canonical {
                        self.recorded_as(seq)
                    } else {
                        Err(already_recorded_message(kind, id, seq).into())
                    };
                }
            }
            (None, digest) => {
                let digest = digest.expect("id-less events come with their digest");
                if let Some(seq) = stored? {
                    return self.recorded_as(seq);
                }
                if let Some(&(seq, file, _)) = self.pending_content.get(&digest) {
                    return Ok(Verdict::AlreadyRecorded { seq, elsewhere: file != self.file_number });
                }
                if let Some((seq, pending)) = self.recorded_otherwise(event)? {
                    return match pending {
                        Some(file) => {
                            Ok(Verdict::AlreadyRecorded { seq, elsewhere: file != self.file_number })
                        }
                        None => self.recorded_as(seq),
                    };
                }
                self.pending_content.insert(digest, (self.next_seq, self.file_number, event.event_type()));
            }
        }
        // Register before checking references, so that a line with a bad
        // reference does not also make every later line that names it fail.
        match event {
            Event::Announcement(a) => {
                self.announcement_dates.insert(Cow::Borrowed(a.id.as_str()), a.date.0);
            }
            Event::Commitment(c) => {
                if let Ok(date) = self.announcement_date(&c.announcement) {
                    self.commitment_dates.insert(c.id.as_str(), date);
                }
            }
            _ => {}
        }
        if let Some((kind, id)) = event.id() {
            self.pending_ids.insert((kind, id.as_str()), (line, self.next_seq));
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        if let Some(note) = self.check_references(event, seq, deadline)? {
            self.deadline_notes.push(DeadlineNote { line, note });
        }
        if let Event::Retraction(r) = event {
            // By uuid, it names an event of the chain (checked above).
            let target = match r.retracts {
                EventRef::Seq(target) => {
                    // A retraction that names its event otherwise was
                    // checked against this ledger's numbering already.
                    let unnamed = r.retracts_event.is_none();
                    if let Some(FileLine { line: file_line, seq: Some(here), voided }) =
                        self.renumbered(target).filter(|_| unnamed)
                    {
                        let note = NumberingNote { line, seq, target, file_line, here, here_voided: voided };
                        self.numbering_notes.push(note);
                    }
                    Some(target)
                }
                EventRef::Uuid(uuid) => self.uuids.as_ref().and_then(|u| u.get(&uuid).copied()),
            };
            self.batch_retractions.extend(target.map(|target| (seq, target)));
        }
        Ok(Verdict::New)
    }

    /// Whether a retraction of seq `target`, on the line after those in
    /// `file_seqs`, names another event in its file's numbering than in
    /// this ledger's, in a file that holds events this ledger has recorded:
    /// the line number and seq here of the file's `target`-th event if so.
    /// Such a file (an export, or a file re-imported as it grows) may number
    /// its events as the ledger it was written for did, and imported into a
    /// ledger whose history differs, its retraction by seq voids another
    /// event. Which was meant only its author knows: a file re-imported
    /// after lines were inserted, or into a ledger that had events before
    /// it, numbers the ledger's.
    fn renumbered(&self, target: u64) -> Option<FileLine> {
        if !self.file_overlaps {
            return None;
        }
        let i = usize::try_from(target.checked_sub(1)?).ok()?;
        self.file_seqs.get(i).copied().filter(|f| f.seq.is_some_and(|here| here != target))
    }

    /// The verdict on a line whose event the chain holds as `seq`: already
    /// recorded, and voided if a retraction (of the chain, or of this batch
    /// before it) voids `seq`. The chain's retractions are read on the first
    /// such line, from the newest snapshot and the tail.
    fn recorded_as(&mut self, seq: u64) -> Result<Verdict, Problem> {
        if self.chain_retractions.is_none() {
            let chain = self.ledger.projection(Some(self.head_seq))?.retractions().to_vec();
            self.chain_retractions = Some(chain);
        }
        let batch = self.batch_retractions.len();
        if self.voided.as_ref().is_none_or(|(as_of, _)| *as_of != batch) {
            let mut retractions = self.chain_retractions.clone().unwrap_or_default();
            retractions.extend_from_slice(&self.batch_retractions);
            self.voided = Some((batch, crate::projection::voiding(&retractions)));
        }
        let voided = self.voided.as_ref().map(|(_, voided)| voided);
        Ok(match voided.and_then(|voided| voided.get(&seq)) {
            Some(retracted_by) => Verdict::Voided { seq, retracted_by: retracted_by.clone() },
            None => Verdict::AlreadyRecorded { seq, elsewhere: true },
        })
    }

    /// Checks what `event` refers to, and reads its deadline: the note that
    /// reading comes with, if any.
    fn check_references(
        &mut self,
        event: &'l Event,
        seq: u64,
        first_reading: Option<FirstReading>,
    ) -> Result<Option<deadline::Note>, Problem> {
        // The first reading stands if it was made against the anchor the
        // checks find; otherwise the phrase is read again.
        let read = |phrase: &Text, anchor: NaiveDate| match first_reading {
            Some(FirstReading { anchor: read_at, result }) if read_at == anchor => result,
            _ => read_deadline(event.type_name(), phrase.as_str(), anchor),
        };
        match event {
            Event::Announcement(_) => Ok(None),
            Event::Commitment(c) => {
                let anchor = self.announcement_date(&c.announcement)?;
                match &c.deadline {
                    Some(phrase) => Ok(read(phrase, anchor)?),
                    None => Ok(None),
                }
            }
            Event::Meeting(m) => {
                for id in m.fulfils.iter().chain(&m.progresses) {
                    self.commitment_on(id, m.date.0, "a meeting")?;
                }
                Ok(None)
            }
            Event::Deadline(d) => {
                self.commitment_on(&d.commitment, d.date.0, "a deadline revision")?;
                Ok(read(&d.deadline, d.date.0)?)
            }
            Event::Outcome(o) => {
                self.commitment_on(&o.commitment, o.date.0, "an outcome")?;
                if let Some(by) = &o.by {
                    self.commitment_date(by)?;
                }
                Ok(None)
            }
            Event::Progress(p) => {
                self.commitment_on(&p.commitment, p.date.0, "progress")?;
                Ok(None)
            }
            // An event named by what it is is earlier than this one.
            Event::Retraction(Retraction { retracts_event: Some(named), retracts, .. }) => {
                if self.check_named(named, *retracts)? >= seq {
                    return Err("`retracts_event` names this retraction itself, but a retraction can only \
                         retract an earlier event"
                        .to_owned()
                        .into());
                }
                Ok(None)
            }
            Event::Retraction(r) => match r.retracts {
                EventRef::Seq(target) if target >= seq => {
                    let named = if target == seq {
                        format!("seq {target}, which this retraction will have")
                    } else {
                        format!("seq {target}, past this retraction's own seq {seq}")
                    };
                    let earlier = match seq - 1 {
                        0 => "and there is none".to_owned(),
                        1 => "seq 1".to_owned(),
                        last => format!("seq 1 to {last}"),
                    };
                    Err(format!("`retracts` names {named}: a retraction can only retract an earlier event ({earlier})")
                        .into())
                }
                EventRef::Seq(_) => Ok(None),
                EventRef::Uuid(uuid) => match self.retracted_seq(r.retracts)? {
                    Some(_) => Ok(None),
                    None => Err(format!("`retracts` names event {uuid}, which is not in the ledger").into()),
                },
            },
        }
    }

    /// The seq of a retraction that `event`, a retraction, gives again
    /// with its target named the other way (by uuid for one by seq, by seq
    /// for one by uuid), and the number of its file if an earlier line
    /// gave it: one fact either way. (`export` writes a retraction by uuid
    /// by seq, so this is how a re-import of an export is recognised.)
    fn recorded_otherwise(&mut self, event: &Event) -> Result<Option<(u64, Option<u32>)>, Problem> {
        let Event::Retraction(Retraction { retracts, reason, .. }) = event else {
            return Ok(None);
        };
        match *retracts {
            EventRef::Seq(target) => match self.retraction_by_uuid(target, reason)? {
                Some(digest) => Ok(self.index.lookup_digest(&digest)?.map(|seq| (seq, None))),
                None => Ok(None),
            },
            EventRef::Uuid(_) => {
                let Some(target) = self.retracted_seq(*retracts)? else {
                    return Ok(None);
                };
                let digest = retraction_digest(EventRef::Seq(target), reason);
                Ok(self.find_content(&digest)?.map(|(seq, pending)| (seq, pending.map(|(file, _)| file))))
            }
        }
    }

    /// The seq of the id-less event with content digest `key`, from an
    /// earlier line (with its file's number and its type) or the chain.
    fn find_content(&self, key: &ContentDigest) -> Result<Option<(u64, Option<FileAndType>)>, Problem> {
        if let Some(&(seq, file, kind)) = self.pending_content.get(key) {
            return Ok(Some((seq, Some((file, kind)))));
        }
        Ok(self.index.lookup_digest(key)?.map(|seq| (seq, None)))
    }

    /// The content digest of a retraction of `target`, an event of the
    /// chain, by its uuid, for `reason`.
    fn retraction_by_uuid(&self, target: u64, reason: &Text) -> Result<Option<ContentDigest>, Problem> {
        if target > self.head_seq {
            return Ok(None);
        }
        Ok(self
            .ledger
            .envelope(target)?
            .map(|envelope| retraction_digest(EventRef::Uuid(envelope.uuid), reason)))
    }

    /// The seq `retracts` names here, if the chain holds it.
    fn retracted_seq(&mut self, retracts: EventRef) -> Result<Option<u64>, Problem> {
        Ok(match retracts {
            EventRef::Seq(target) => Some(target),
            EventRef::Uuid(uuid) => self.uuids()?.get(&uuid).copied(),
        })
    }

    /// Checks that the event a retraction's `retracts_event` names is the
    /// one its `retracts` names here: the line may have been written for a
    /// ledger that numbers its events otherwise. A uuid is this ledger's
    /// own, so a line whose uuid names another event contradicts itself.
    fn check_named(&mut self, named: &RetractedEvent, retracts: EventRef) -> Result<u64, Problem> {
        let here = self.seq_of_named(named)?;
        match retracts {
            EventRef::Seq(target) if target == here => Ok(here),
            // Only a name that says what the event holds (as `export`
            // writes them) shows that the seq, not the name, is the slip.
            EventRef::Seq(target) if named.is_complete() => {
                let message = format!(
                    "expected `retracts` to be {here}, the seq this ledger gives the {named} that \
                     `retracts_event` names, found {target}; the line numbers events as another ledger does \
                     (an export of it): write \"retracts\": {here}"
                );
                Err(Problem::Renumber { message, here })
            }
            EventRef::Seq(target) => Err(format!(
                "expected `retracts` and `retracts_event` to name one event, found #{target} and the {named}, \
                 which is #{here} here"
            )
            .into()),
            EventRef::Uuid(uuid) => match self.retracted_seq(retracts)? {
                Some(target) if target == here => Ok(here),
                Some(target) => Err(format!(
                    "expected `retracts_event` to name the event `retracts` names, {uuid} (#{target} here), \
                     found the {named}, which is #{here} here"
                )
                .into()),
                None => Err(format!("`retracts` names event {uuid}, which is not in the ledger").into()),
            },
        }
    }

    /// The seq of the event `named` names, among the lines before this one
    /// and then in the chain; an error if neither holds it, or holds
    /// another event under its id (one whose digest is not the digest
    /// given) or under its digest (one of another type).
    fn seq_of_named(&mut self, named: &RetractedEvent) -> Result<u64, Problem> {
        let neither = || -> Problem {
            format!(
                "expected `retracts_event` to name an event of this ledger or of an earlier line, found the \
                 {named}, which neither holds"
            )
            .into()
        };
        match (named.kind.id_kind(), &named.id, named.digest) {
            (Some(kind), Some(id), digest) => {
                let pending = self.pending_ids.get(&(kind, id.as_str())).copied();
                let seq = match pending {
                    Some((_, seq)) => seq,
                    None => self.index.lookup_id(kind, id.as_str())?.ok_or_else(neither)?,
                };
                let Some(digest) = digest else {
                    return Ok(seq);
                };
                let held = match pending {
                    Some((line, _)) => line.event.canonical_json(),
                    None => self.stored_event(seq)?.canonical_json(),
                };
                if EventDigest::of(&held) != digest {
                    return Err(format!(
                        "expected `retracts_event` to name the {named} with digest {digest}, found other \
                         content under that id (#{seq} here)"
                    )
                    .into());
                }
                Ok(seq)
            }
            (None, None, Some(digest)) => {
                let key = ContentDigest::from(digest);
                let (seq, kind) = match self.find_content(&key)? {
                    Some((seq, Some((_, kind)))) => (seq, kind),
                    Some((seq, None)) => (seq, self.stored_event(seq)?.event_type()),
                    None => return Err(neither()),
                };
                if kind != named.kind {
                    return Err(format!(
                        "expected `retracts_event` to name the {named}, found a {} with that digest (#{seq} here)",
                        kind.name()
                    )
                    .into());
                }
                Ok(seq)
            }
            (None, None, None) => {
                // A retraction, by the event it retracts and its reason: as
                // this ledger would hold it, by seq or, for an event of the
                // chain, by uuid.
                let (Some(inner), Some(reason)) = (&named.retracts_event, &named.reason) else {
                    return Err(neither());
                };
                let target = self.seq_of_named(inner)?;
                let by_uuid = self.retraction_by_uuid(target, reason)?;
                for key in std::iter::once(retraction_digest(EventRef::Seq(target), reason)).chain(by_uuid) {
                    if let Some((seq, _)) = self.find_content(&key)? {
                        return Ok(seq);
                    }
                }
                Err(neither())
            }
            // `Event::check` refused it.
            _ => Err(neither()),
        }
    }

    /// Checks that commitment `id` exists and was announced on or before `date`.
    fn commitment_on(&mut self, id: &'l Slug, date: NaiveDate, what: &str) -> Result<(), Problem> {
        let announced = self.commitment_date(id)?;
        if date < announced {
            return Err(format!(
                "{what} dated {date} cannot concern commitment '{id}', which was announced on {announced}"
            )
            .into());
        }
        Ok(())
    }

    fn announcement_date(&mut self, id: &'l Slug) -> Result<NaiveDate, Problem> {
        self.announcement_date_of(Cow::Borrowed(id.as_str()))
    }

    /// [`Checker::announcement_date`] for an id the lines spell or one read
    /// from the store.
    fn announcement_date_of(&mut self, id: Cow<'l, str>) -> Result<NaiveDate, Problem> {
        if let Some(date) = self.announcement_dates.get(id.as_ref()) {
            return Ok(*date);
        }
        if let Some(date) = self.index.lookup_anchor(IdKind::Announcement, &id)? {
            self.announcement_dates.insert(id, date);
            return Ok(date);
        }
        let Some(seq) = self.index.lookup_id(IdKind::Announcement, &id)? else {
            let later = self.given_later(IdKind::Announcement, &id);
            if later.is_empty() {
                return Err(format!("unknown announcement '{id}': record the announcement first").into());
            }
            return Err(format!("unknown announcement '{id}'{later}").into());
        };
        let a: AnnouncementDate = self.stored_fields(seq)?;
        if a.kind != Kind::Announcement {
            return Err(Problem::Store(StoreError::IndexDamaged {
                path: self.ledger.store().path().to_owned(),
                what: format!("it points announcement '{id}' at another kind of event (seq {seq})"),
            }));
        }
        self.announcement_dates.insert(id, a.date.0);
        Ok(a.date.0)
    }

    fn commitment_date(&mut self, id: &'l Slug) -> Result<NaiveDate, Problem> {
        if let Some(date) = self.commitment_dates.get(id.as_str()) {
            return Ok(*date);
        }
        if self.pending_ids.contains_key(&(IdKind::Commitment, id.as_str())) {
            // Given by an earlier line whose announcement is unknown: that
            // line's error says so; do not report the same cause again here.
            return Ok(NaiveDate::MIN);
        }
        if let Some(date) = self.index.lookup_anchor(IdKind::Commitment, id.as_str())? {
            self.commitment_dates.insert(id.as_str(), date);
            return Ok(date);
        }
        let Some(seq) = self.index.lookup_id(IdKind::Commitment, id.as_str())? else {
            return Err(format!(
                "unknown commitment '{id}'{}",
                self.given_later(IdKind::Commitment, id.as_str())
            )
            .into());
        };
        let c: CommitmentAnnouncement = self.stored_fields(seq)?;
        if c.kind != Kind::Commitment {
            return Err(Problem::Store(StoreError::IndexDamaged {
                path: self.ledger.store().path().to_owned(),
                what: format!("it points commitment '{id}' at another kind of event (seq {seq})"),
            }));
        }
        let date = self.announcement_date_of(Cow::Owned(c.announcement.into()))?;
        self.commitment_dates.insert(id.as_str(), date);
        Ok(date)
    }

    fn uuids(&mut self) -> Result<&HashMap<uuid::Uuid, u64>, StoreError> {
        if self.uuids.is_none() {
            self.uuids = Some(self.ledger.uuid_index(self.head_seq + 1)?);
        }
        Ok(self.uuids.as_ref().expect("filled above"))
    }

    fn stored_event(&self, seq: u64) -> Result<Event, StoreError> {
        let bytes = self.stored_record(seq)?;
        let (raw, _) = RawRecord::split(&bytes).map_err(|e| self.damaged(e.to_string()))?;
        raw.decode_event().map_err(|e| self.damaged(format!("event {seq} cannot be decoded: {e}")))
    }

    /// Only the fields `T` of a stored event: the checks of references read
    /// one or two fields of events that may be anywhere in the chain, and
    /// decoding the whole event was most of an append's work.
    fn stored_fields<T: serde::de::DeserializeOwned>(&self, seq: u64) -> Result<T, StoreError> {
        let bytes = self.stored_record(seq)?;
        let (raw, _) = RawRecord::split(&bytes).map_err(|e| self.damaged(e.to_string()))?;
        serde_json::from_slice::<EventFields<T>>(raw.body())
            .map(|body| body.event)
            .map_err(|e| self.damaged(format!("event {seq} cannot be decoded: {e}")))
    }

    fn stored_record(&self, seq: u64) -> Result<Vec<u8>, StoreError> {
        self.store
            .record(seq)?
            .ok_or_else(|| self.damaged(format!("an index names seq {seq}, which is not stored")))
    }

    fn damaged(&self, what: String) -> StoreError {
        StoreError::Damaged { path: self.store.path().to_owned(), what }
    }
}

/// A record body's `event`, as far as `T` reads it (other fields are
/// skipped without being built).
#[derive(serde::Deserialize)]
struct EventFields<T> {
    event: T,
}

/// An event's `type`, for the partial reads below.
#[derive(serde::Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum Kind {
    Announcement,
    Commitment,
    #[serde(other)]
    Other,
}

#[derive(serde::Deserialize)]
struct AnnouncementDate {
    #[serde(rename = "type")]
    kind: Kind,
    date: crate::event::Date,
}

#[derive(serde::Deserialize)]
struct CommitmentAnnouncement {
    #[serde(rename = "type")]
    kind: Kind,
    announcement: Slug,
}

fn already_recorded_message(kind: IdKind, id: &Slug, seq: u64) -> String {
    let how = match kind {
        IdKind::Commitment => "append a `deadline` event to revise its deadline, an `outcome` to close it, or a `retraction` of it and a commitment with a new id",
        IdKind::Announcement | IdKind::Meeting => {
            "append a `retraction` of it and record the corrected one under a new id"
        }
    };
    format!(
        "{} '{id}' is already recorded (seq {seq}) with different content; the ledger is append-only, so to change it {how}",
        kind.name()
    )
}
