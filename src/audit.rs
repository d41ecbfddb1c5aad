//! Audit: recomputing the chain from the stored bytes alone.
//!
//! Verification walks every stored record in order and checks, for each,
//! that its seq is the next one, that its `prev` is the hash of the record
//! before it, and that hashing its stored bytes gives its stored hash. It
//! never parses the event JSON and never re-serializes anything, so what it
//! vouches for is exactly the bytes on disk. It then checks that the head
//! record agrees with the last record, and, when the reader supplies a head
//! they saved earlier, that the chain still holds that event at that seq:
//! proof that the history up to it was not rewritten or cut short.
//!
//! A broken chain is an expected outcome of auditing, so it is a value
//! ([`Verdict::Broken`]), not an error; errors are for a store that cannot
//! be read at all.

use std::collections::BTreeMap;
use std::fmt;

use crate::chain::{Hash, Head};
use crate::input::parallel_map_from;
use crate::store::{Store, StoreError};

/// The result of a verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Every record checks out; the chain holds `events` events up to `head`.
    /// `stale_snapshots` lists projection snapshots that claim an event the
    /// chain does not hold with that hash: queries ignore them, so they
    /// change no answer, but their presence is worth knowing. (What a
    /// snapshot holds is checked by `Ledger::check_snapshots`.)
    Intact { events: u64, head: Head, stale_snapshots: Vec<u64> },
    /// The first problem found.
    Broken(Break),
}

/// The first place where the stored chain fails to check out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Break {
    /// The record's bytes do not hash to its stored hash.
    ContentChanged { seq: u64 },
    /// The record's `prev` is not the previous record's hash.
    LinkBroken { seq: u64, prev: Hash, expected: Hash },
    /// A record carries the wrong seq: one is missing, repeated or moved.
    SeqGap { expected: u64, found: u64 },
    /// The stored bytes after `after` are not a well-formed record.
    Malformed { after: u64, reason: String },
    /// The head record disagrees with the last stored record.
    /// `recorded_in_chain` is whether the chain holds the recorded head
    /// itself (as an event before its end).
    HeadMismatch { recorded: Head, actual: Head, recorded_in_chain: bool },
    /// The chain holds another event at the saved head's seq.
    SavedHeadMismatch { saved: Head, actual: Head },
    /// The chain ends at seq `ends`, before the saved head's seq: an older
    /// copy, a history cut short, or a head saved from another ledger.
    SavedHeadPastEnd { saved: Head, ends: u64 },
}

impl Break {
    /// The first seq that fails.
    pub fn seq(&self) -> u64 {
        match self {
            Break::ContentChanged { seq } | Break::LinkBroken { seq, .. } => *seq,
            Break::SeqGap { expected, .. } => *expected,
            Break::Malformed { after, .. } => after + 1,
            // The same seq with another hash fails there, as does a head
            // set back to an event the chain holds with another hash;
            // otherwise the first event one of them has and the other lacks.
            Break::HeadMismatch { recorded, actual, recorded_in_chain } => {
                if recorded.seq == actual.seq || (recorded.seq < actual.seq && !recorded_in_chain) {
                    recorded.seq
                } else {
                    recorded.seq.min(actual.seq) + 1
                }
            }
            Break::SavedHeadMismatch { saved, .. } => saved.seq,
            Break::SavedHeadPastEnd { ends, .. } => ends + 1,
        }
    }
}

impl fmt::Display for Break {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Break::ContentChanged { seq } => {
                write!(f, "seq {seq}: content changed (its bytes no longer hash to its recorded hash)")
            }
            Break::LinkBroken { seq, prev, expected } => write!(
                f,
                "seq {seq}: link broken (it names {} as the previous hash, but the previous event hashes to {})",
                prev.short(),
                expected.short()
            ),
            Break::SeqGap { expected, found } => {
                write!(f, "seq {expected}: seq gap (expected event {expected}, found event {found})")
            }
            Break::Malformed { after, reason } => write!(f, "seq {}: malformed record ({reason})", after + 1),
            Break::HeadMismatch { recorded, actual, .. } => write!(
                f,
                "seq {}: the head record says {recorded}, but the chain ends at {actual}",
                self.seq()
            ),
            Break::SavedHeadMismatch { saved, actual } => write!(
                f,
                "seq {}: the saved head is {saved}, but this ledger's event {} hashes to {}: its history up to \
                 there was rewritten, or the saved head is from another ledger (a copy rebuilt by import has the \
                 same events under other hashes: compare with `snapshot --check`)",
                saved.seq, saved.seq, actual.hash
            ),
            Break::SavedHeadPastEnd { saved, ends } => write!(
                f,
                "seq {}: the ledger ends at seq {ends}, before the saved head's seq {} (the saved head is {saved}): \
                 this is an older copy of the ledger, its history was cut short, or the saved head is from another ledger",
                ends + 1,
                saved.seq
            ),
        }
    }
}

/// Verifies the whole stored chain; with `saved`, also that the chain still
/// holds that head. Memory stays bounded: records are streamed. Writers of
/// the same store wait until it returns: an event appended during the walk
/// would otherwise be found past the head read at its start, and reported
/// as a head that disagrees with the chain.
pub fn verify(store: &Store, saved: Option<Head>) -> Result<Verdict, StoreError> {
    let _writers = store.pause_writes();
    let recorded = store.head()?;
    // Snapshots are few; note what each claims to cover, check it on the walk.
    let mut snapshots: BTreeMap<u64, Option<Hash>> =
        store.snapshot_heads()?.into_iter().map(|(seq, hash)| (seq, Some(hash))).collect();
    let mut stale_snapshots = Vec::new();
    let mut last = Head::EMPTY;
    let mut at_saved = None;
    let mut recorded_in_chain = recorded == Head::EMPTY;
    // Chunks are read 32 at a time and their records hashed on all cores;
    // the checks then run in order over the results, as before.
    let mut chunks = store.chunks(1);
    loop {
        let batch: Vec<_> = chunks.by_ref().take(32).collect();
        if batch.is_empty() {
            break;
        }
        let hashes_match: Vec<Vec<bool>> = parallel_map_from(2, &batch, |chunk| match chunk {
            Ok(chunk) => {
                chunk.records().map_while(Result::ok).map(|r| r.computed_hash() == r.stored_hash()).collect()
            }
            Err(_) => Vec::new(),
        });
        for (chunk, hashes_match) in batch.into_iter().zip(hashes_match) {
            let chunk = chunk?;
            for (i, record) in chunk.records().enumerate() {
                let record = match record {
                    Ok(record) => record,
                    Err(e) => {
                        return Ok(Verdict::Broken(Break::Malformed {
                            after: last.seq,
                            reason: e.to_string(),
                        }))
                    }
                };
                let expected = last.seq + 1;
                if record.seq() != expected {
                    return Ok(Verdict::Broken(Break::SeqGap { expected, found: record.seq() }));
                }
                if !hashes_match[i] {
                    return Ok(Verdict::Broken(Break::ContentChanged { seq: expected }));
                }
                if record.prev() != last.hash {
                    return Ok(Verdict::Broken(Break::LinkBroken {
                        seq: expected,
                        prev: record.prev(),
                        expected: last.hash,
                    }));
                }
                last = Head { seq: expected, hash: record.stored_hash() };
                if let Some(claimed) = snapshots.remove(&expected) {
                    if claimed != Some(last.hash) {
                        stale_snapshots.push(expected);
                    }
                }
                recorded_in_chain |= last == recorded;
                if saved.is_some_and(|s| s.seq == expected) {
                    at_saved = Some(last);
                }
            }
        }
    }
    if recorded != last {
        return Ok(Verdict::Broken(Break::HeadMismatch { recorded, actual: last, recorded_in_chain }));
    }
    if let Some(saved) = saved {
        let genesis = saved.seq == 0 && saved.hash == Hash::ZERO;
        match at_saved {
            _ if genesis => {}
            None => return Ok(Verdict::Broken(Break::SavedHeadPastEnd { saved, ends: last.seq })),
            Some(actual) if actual != saved => {
                return Ok(Verdict::Broken(Break::SavedHeadMismatch { saved, actual }))
            }
            Some(_) => {}
        }
    }
    // Snapshots beyond the end of the chain cover events that do not exist.
    stale_snapshots.extend(snapshots.keys());
    stale_snapshots.sort_unstable();
    Ok(Verdict::Intact { events: last.seq, head: last, stale_snapshots })
}
