//! Checking the `ids` and `content` indexes against the events, and
//! rebuilding them from the events.
//!
//! The indexes are derived data, as snapshots are: the chain's hashes do not
//! cover them, and anyone who can write the store's files can change them
//! without breaking the chain. What they say matters all the same: the
//! checks of an append read them to tell a new event from one already
//! recorded (an entry removed lets a re-import record a commitment a second
//! time, and the second copy of its event starts its facts over), and
//! `show` finds an event by its id through them. So `verify` compares them
//! with what the events give ([`Store::check_index`]), and
//! `verify --rebuild-indexes` writes them again from the events
//! ([`Store::rebuild_index`]).

use std::collections::HashMap;
use std::fmt;

use chrono::{Datelike, NaiveDate};
use sled::transaction::{ConflictableTransactionError, TransactionError, Transactional};

use super::{
    anchor_date, bucket_of, decode_bucket, merge_bucket, merge_into, ContentDigest, IndexKey, Store,
    StoreError, INDEX_BUCKETS,
};
use crate::chain::Head;
use crate::event::IdKind;

/// The entries the events of a chain give the `ids` and `content` indexes,
/// as appends made them, gathered in chain order by the caller, each in the
/// bucket its key falls in: a key given again takes the later value, as an
/// append's merge does.
#[derive(Debug)]
pub struct ChainIndex {
    /// The head of the events gathered.
    head: Head,
    ids: Vec<Vec<(Vec<u8>, u64)>>,
    /// With the type of each id-less event, for messages.
    contents: Vec<Vec<([u8; 16], u64, &'static str)>>,
}

impl Default for ChainIndex {
    fn default() -> ChainIndex {
        let buckets = INDEX_BUCKETS as usize;
        ChainIndex { head: Head::EMPTY, ids: vec![Vec::new(); buckets], contents: vec![Vec::new(); buckets] }
    }
}

impl ChainIndex {
    /// An event at `seq` that gives a user-chosen id.
    pub fn id(&mut self, kind: IdKind, id: &str, seq: u64) {
        let key = IndexKey::id(kind, id);
        self.ids[key.bucket as usize].push((key.bytes, seq));
    }

    /// The date the checks anchor `id` on: an announcement's own, or a
    /// commitment's announcement's.
    pub fn anchor(&mut self, kind: IdKind, id: &str, date: NaiveDate) {
        let key = IndexKey::anchor(kind, id);
        self.ids[key.bucket as usize].push((key.bytes, date.num_days_from_ce() as u64));
    }

    /// An id-less event at `seq`, of type `kind`, whose canonical bytes
    /// have `digest`.
    pub fn content(&mut self, digest: ContentDigest, seq: u64, kind: &'static str) {
        self.contents[digest.bucket as usize].push((digest.bytes, seq, kind));
    }

    /// Marks the events gathered as those up to `head`.
    pub fn gathered_to(&mut self, head: Head) {
        self.head = head;
    }

    /// The value of each bucket of the `ids` index, as appends would have
    /// written it.
    fn id_buckets(&self) -> impl Iterator<Item = Vec<u8>> + '_ {
        self.ids.iter().map(|entries| {
            let entries: Vec<(&[u8], u64)> =
                entries.iter().map(|(key, seq)| (key.as_slice(), *seq)).collect();
            merge_bucket(Vec::new(), &entries)
        })
    }

    /// [`ChainIndex::id_buckets`] for the `content` index.
    fn content_buckets(&self) -> impl Iterator<Item = Vec<u8>> + '_ {
        self.contents.iter().map(|entries| {
            let entries: Vec<(&[u8], u64)> =
                entries.iter().map(|(digest, seq, _)| (digest.as_slice(), *seq)).collect();
            merge_bucket(Vec::new(), &entries)
        })
    }
}

/// Where the `ids` or `content` index differs from what the events give.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IndexProblem {
    /// The events give `kind` `id` at seq `chain`; the index has another
    /// seq for it, or (`None`) none.
    Id { kind: IdKind, id: String, chain: u64, index: Option<u64> },
    /// The index anchors `kind` `id` on another date than the events give.
    /// (An anchor the index lacks is no problem: the checks then read the
    /// events, as for a store written before pledger kept anchors.)
    Anchor { kind: IdKind, id: String, chain: NaiveDate, index: Option<NaiveDate> },
    /// The id-less event at seq `chain`, of type `kind`, has another seq
    /// in the content index, or (`None`) no entry.
    Content { kind: &'static str, chain: u64, index: Option<u64> },
    /// The `ids` index holds an entry for an id that no event gives:
    /// `entry` says what it gives, and `seq` is the seq it names (0 for a
    /// date), past the head if `past_head`.
    StrayId { entry: String, seq: u64, past_head: bool },
    /// The content index holds an entry that no event's content gives,
    /// naming seq `seq`, past the head if `past_head`.
    StrayContent { seq: u64, past_head: bool },
    /// A bucket of the `tree` index cannot be read.
    Malformed { tree: &'static str, bucket: u16 },
    /// A bucket of the `tree` index holds a key twice, or its keys out of
    /// order: a lookup finds the first, the next append's merge keeps the
    /// last.
    Unsorted { tree: &'static str, bucket: u16 },
    /// The `tree` index holds a key that is no bucket's.
    NoBucket { tree: &'static str },
}

impl IndexProblem {
    /// The seq the problem is about, for ordering a report.
    pub fn seq(&self) -> u64 {
        match self {
            IndexProblem::Id { chain, .. } | IndexProblem::Content { chain, .. } => *chain,
            IndexProblem::StrayId { seq, .. } | IndexProblem::StrayContent { seq, .. } => *seq,
            IndexProblem::Anchor { .. }
            | IndexProblem::Malformed { .. }
            | IndexProblem::Unsorted { .. }
            | IndexProblem::NoBucket { .. } => 0,
        }
    }

    /// Whether the index names a seq past the head: what it holds for
    /// events that were removed from the end of the chain, since an
    /// append writes its index entries and the head it makes together.
    pub fn past_head(&self) -> bool {
        matches!(
            self,
            IndexProblem::StrayId { past_head: true, .. }
                | IndexProblem::StrayContent { past_head: true, .. }
        )
    }
}

impl fmt::Display for IndexProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IndexProblem::Id { kind, id, chain, index: None } => {
                write!(f, "no entry for {} '{id}' (given at seq {chain})", kind.name())
            }
            IndexProblem::Id { kind, id, chain, index: Some(seq) } => {
                write!(
                    f,
                    "{} '{id}' is given seq {seq}, where the events give it at seq {chain}",
                    kind.name()
                )
            }
            IndexProblem::Anchor { kind, id, chain, index } => {
                let index = index.map_or("an unreadable date".to_owned(), |d| d.to_string());
                match kind {
                    IdKind::Commitment => {
                        write!(f, "commitment '{id}' is anchored on {index}, where its announcement is dated {chain}")
                    }
                    _ => {
                        write!(f, "{} '{id}' is dated {index}, where the events date it {chain}", kind.name())
                    }
                }
            }
            IndexProblem::Content { kind, chain, index: None } => {
                write!(f, "no entry for the {kind} at seq {chain}")
            }
            IndexProblem::Content { kind, chain, index: Some(seq) } => {
                write!(f, "the {kind} at seq {chain} is given seq {seq}")
            }
            IndexProblem::StrayId { entry, past_head: true, .. } => write!(f, "{entry}, past the head"),
            IndexProblem::StrayId { entry, past_head: false, .. } => {
                write!(f, "{entry}, though no event gives that id")
            }
            IndexProblem::StrayContent { seq, past_head: true } => {
                write!(f, "content that no event has is given seq {seq}, past the head")
            }
            IndexProblem::StrayContent { seq, past_head: false } => {
                write!(f, "content that no event has is given seq {seq}")
            }
            IndexProblem::Malformed { tree, bucket } => {
                write!(f, "the {tree} index's bucket {bucket} cannot be read")
            }
            IndexProblem::Unsorted { tree, bucket } => {
                write!(f, "the {tree} index's bucket {bucket} holds a key twice, or its keys out of order")
            }
            IndexProblem::NoBucket { tree } => write!(f, "the {tree} index holds a key that is no bucket's"),
        }
    }
}

impl Store {
    /// Where the `ids` and `content` indexes differ from `chain`, the
    /// entries the events up to the head give, gathered by the caller: the
    /// entries that name a seq past the head first, then, in chain order,
    /// the problems about ids and content, then the other entries no event
    /// gives.
    ///
    /// The indexes are read as lookups see them: the journaled tail's
    /// entries over sled's, and an entry stored in a bucket its key does not
    /// fall in left out, as no lookup finds it. A bucket that holds the
    /// bytes the events give is passed over without being decoded.
    pub fn check_index(&self, chain: &ChainIndex) -> Result<Vec<IndexProblem>, StoreError> {
        let ((ids, stray_ids), (contents, stray_contents)) =
            (self.stored_buckets(&self.ids)?, self.stored_buckets(&self.content)?);
        let (pending_ids, pending_contents) = {
            let pending = self.pending();
            let mut ids = vec![Vec::new(); INDEX_BUCKETS as usize];
            for (key, &seq) in &pending.ids {
                ids[bucket_of(key) as usize].push((key.clone(), seq));
            }
            let mut contents = vec![Vec::new(); INDEX_BUCKETS as usize];
            for (digest, &seq) in &pending.contents {
                contents[bucket_of(digest) as usize].push((digest.to_vec(), seq));
            }
            (ids, contents)
        };
        let mut diff = BucketDiff { past: chain.head.seq, ..BucketDiff::default() };
        for (tree, stray) in [("ids", stray_ids), ("content", stray_contents)] {
            if stray {
                diff.problems.push(IndexProblem::NoBucket { tree });
            }
        }
        for (bucket, expected) in chain.id_buckets().enumerate() {
            let Some(stored) = as_looked_up(&ids[bucket], &pending_ids[bucket]) else {
                diff.problems.push(IndexProblem::Malformed { tree: "ids", bucket: bucket as u16 });
                continue;
            };
            if stored != expected {
                diff.ids(bucket as u16, &stored, &expected);
                diff.sorted("ids", bucket as u16, &stored);
            }
        }
        let kinds: HashMap<u64, &'static str> =
            (chain.contents.iter().flatten()).map(|&(_, seq, kind)| (seq, kind)).collect();
        for (bucket, expected) in chain.content_buckets().enumerate() {
            let Some(stored) = as_looked_up(&contents[bucket], &pending_contents[bucket]) else {
                diff.problems.push(IndexProblem::Malformed { tree: "content", bucket: bucket as u16 });
                continue;
            };
            if stored != expected {
                diff.contents(bucket as u16, &stored, &expected, &kinds);
                diff.sorted("content", bucket as u16, &stored);
            }
        }
        Ok(diff.into_problems())
    }

    /// Writes the `ids` and `content` indexes again as `chain` gives them,
    /// in place of whatever they hold, in one transaction, and makes it
    /// durable. `chain` must have been gathered from the events up to the
    /// head: the journaled tail is checkpointed first, and if the head is
    /// not `chain`'s, nothing is written.
    pub fn rebuild_index(&self, chain: &ChainIndex) -> Result<(), StoreError> {
        let mut journal = self.journal.lock().unwrap_or_else(|e| e.into_inner());
        self.check_poisoned()?;
        let head = self.head()?;
        if head != chain.head {
            return Err(StoreError::Unreadable {
                path: self.path.clone(),
                reason: format!(
                    "the ledger's head moved to {head} while its indexes were worked out from the events up to \
                     {}; nothing was written: try again",
                    chain.head
                ),
            });
        }
        if journal.written() || self.pending().batch.is_some() {
            self.checkpoint(&mut journal)?;
        }
        let ids: Vec<Vec<u8>> = chain.id_buckets().collect();
        let contents: Vec<Vec<u8>> = chain.content_buckets().collect();
        let keys = |tree: &sled::Tree| -> Result<Vec<sled::IVec>, StoreError> {
            tree.iter().keys().collect::<Result<_, _>>().map_err(|e| self.error(e))
        };
        let (old_ids, old_contents) = (keys(&self.ids)?, keys(&self.content)?);
        let result = [&self.ids, &self.content].as_slice().transaction(|trees| {
            for (tree, old, new) in [(&trees[0], &old_ids, &ids), (&trees[1], &old_contents, &contents)] {
                for key in old {
                    tree.remove(key)?;
                }
                for (bucket, value) in new.iter().enumerate().filter(|(_, value)| !value.is_empty()) {
                    tree.insert(&(bucket as u16).to_be_bytes(), value.as_slice())?;
                }
            }
            Ok::<_, ConflictableTransactionError<()>>(())
        });
        match result {
            Ok(()) => {}
            Err(TransactionError::Abort(())) => unreachable!("the transaction never aborts"),
            Err(TransactionError::Storage(e)) => return Err(self.error(e)),
        }
        self.sync()
    }

    /// Every bucket's stored value in sled, by bucket number, and whether
    /// the tree holds a key that is no bucket's.
    fn stored_buckets(&self, tree: &sled::Tree) -> Result<(Vec<Option<sled::IVec>>, bool), StoreError> {
        let mut buckets = vec![None; INDEX_BUCKETS as usize];
        let mut stray = false;
        for item in tree.iter() {
            let (key, value) = item.map_err(|e| self.error(e))?;
            match bucket_number(&key) {
                Some(bucket) => buckets[bucket as usize] = Some(value),
                None => stray = true,
            }
        }
        Ok((buckets, stray))
    }
}

/// A bucket as lookups read it: sled's value with the journaled tail's
/// entries over it. `None` if sled's value is malformed.
fn as_looked_up(stored: &Option<sled::IVec>, pending: &[(Vec<u8>, u64)]) -> Option<Vec<u8>> {
    if pending.is_empty() {
        let bytes = stored.as_deref().unwrap_or_default();
        return decode_bucket(bytes).map(|_| bytes.to_vec());
    }
    let pending: Vec<(&[u8], u64)> = pending.iter().map(|(key, seq)| (key.as_slice(), *seq)).collect();
    merge_into(stored.clone(), &pending)
}

/// The problems found in the buckets whose bytes differ from the events'.
#[derive(Default)]
struct BucketDiff {
    /// The head's seq: an entry naming a later one is past it.
    past: u64,
    problems: Vec<IndexProblem>,
    found: Vec<IndexProblem>,
    stray: Vec<IndexProblem>,
}

impl BucketDiff {
    /// Compares one `ids` bucket, as stored, with the events' (both
    /// well formed and sorted).
    fn ids(&mut self, bucket: u16, stored: &[u8], expected: &[u8]) {
        let stored = findable(bucket, stored);
        let expected: HashMap<&[u8], u64> = decode_bucket(expected).unwrap_or_default().into_iter().collect();
        for (&key, &value) in &expected {
            let Some((anchor, kind, id)) = parse_key(key) else { continue };
            let index = stored.get(key).copied();
            if anchor {
                // A missing anchor only sends the checks to the events.
                if index.is_some_and(|days| days != value) {
                    let chain = anchor_date(Some(value)).unwrap_or(NaiveDate::MIN);
                    let index = anchor_date(index);
                    self.found.push(IndexProblem::Anchor { kind, id: id.to_owned(), chain, index });
                }
            } else if index != Some(value) {
                self.found.push(IndexProblem::Id { kind, id: id.to_owned(), chain: value, index });
            }
        }
        for (&key, &value) in stored.iter().filter(|(key, _)| !expected.contains_key(*key)) {
            let (entry, seq) = match parse_key(key) {
                Some((true, kind, id)) => {
                    let date =
                        anchor_date(Some(value)).map_or("an unreadable date".to_owned(), |d| d.to_string());
                    (format!("{} '{id}' is dated {date}", kind.name()), 0)
                }
                Some((false, kind, id)) => (format!("{} '{id}' is given seq {value}", kind.name()), value),
                None => (format!("the key {} is given {value}", String::from_utf8_lossy(key)), 0),
            };
            self.stray.push(IndexProblem::StrayId { entry, seq, past_head: seq > self.past });
        }
    }

    /// Compares one `content` bucket, as [`BucketDiff::ids`] does.
    fn contents(&mut self, bucket: u16, stored: &[u8], expected: &[u8], kinds: &HashMap<u64, &'static str>) {
        let stored = findable(bucket, stored);
        let expected: HashMap<&[u8], u64> = decode_bucket(expected).unwrap_or_default().into_iter().collect();
        for (&digest, &seq) in &expected {
            let index = stored.get(digest).copied();
            if index != Some(seq) {
                let kind = kinds.get(&seq).copied().unwrap_or("event");
                self.found.push(IndexProblem::Content { kind, chain: seq, index });
            }
        }
        for (_, &seq) in stored.iter().filter(|(digest, _)| !expected.contains_key(*digest)) {
            self.stray.push(IndexProblem::StrayContent { seq, past_head: seq > self.past });
        }
    }

    /// Notes a well-formed bucket whose keys are not strictly in order:
    /// appends never write one.
    fn sorted(&mut self, tree: &'static str, bucket: u16, stored: &[u8]) {
        let entries = decode_bucket(stored).unwrap_or_default();
        if entries.windows(2).any(|pair| pair[0].0 >= pair[1].0) {
            self.problems.push(IndexProblem::Unsorted { tree, bucket });
        }
    }

    /// Every problem, in the order [`Store::check_index`] gives them.
    fn into_problems(self) -> Vec<IndexProblem> {
        let BucketDiff { mut problems, mut found, mut stray, .. } = self;
        found.sort_by_key(IndexProblem::seq);
        // The entries past the head first: they are what a removal of the
        // chain's last events leaves.
        stray.sort_by_key(|p| (!p.past_head(), p.seq()));
        let past = stray.iter().take_while(|p| p.past_head()).count();
        let later = stray.split_off(past);
        problems.extend(stray);
        problems.extend(found);
        problems.extend(later);
        problems
    }
}

/// A well-formed bucket's entries as a lookup finds them: those whose key
/// falls in `bucket`, each key's first entry (as `find_in_bucket` reads
/// the bucket).
fn findable(bucket: u16, bytes: &[u8]) -> HashMap<&[u8], u64> {
    let mut found = HashMap::new();
    for (key, seq) in decode_bucket(bytes).unwrap_or_default() {
        if bucket_of(key) == bucket {
            found.entry(key).or_insert(seq);
        }
    }
    found
}

/// An index bucket's number from its sled key.
fn bucket_number(key: &[u8]) -> Option<u16> {
    <[u8; 2]>::try_from(key).ok().map(u16::from_be_bytes).filter(|&b| b < INDEX_BUCKETS)
}

/// An `ids` key read back: whether it is an anchor, the id's kind, the id.
fn parse_key(key: &[u8]) -> Option<(bool, IdKind, &str)> {
    let (anchor, rest) = match key.split_first()? {
        (b'@', rest) => (true, rest),
        _ => (false, key),
    };
    let (tag, id) = rest.split_first()?;
    let kind = match tag {
        b'a' => IdKind::Announcement,
        b'c' => IdKind::Commitment,
        b'm' => IdKind::Meeting,
        _ => return None,
    };
    Some((anchor, kind, std::str::from_utf8(id).ok()?))
}
