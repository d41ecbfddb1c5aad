//! The store: the only module that touches sled.
//!
//! Layout (a fixed set of trees, never one tree per commitment, plus one
//! tree per segment of a large batch's records):
//!
//! | tree        | key                          | value                                   |
//! |-------------|------------------------------|-----------------------------------------|
//! | `events`    | first seq of a chunk (u64 BE)| consecutive records, at most 32 KiB, or a segment's marker |
//! | `segment.N` | `records`                    | consecutive records from seq N, at most 1 MiB |
//! | `meta`      | `head`                       | head seq (u64 BE) ‖ hash                 |
//! | `ids`       | bucket (u16 BE)              | sorted entries: kind byte ‖ id → seq, and `@` ‖ kind byte ‖ id → anchor date (days from CE) |
//! | `content`   | bucket (u16 BE)              | sorted entries: 16 bytes of BLAKE3(event) → seq of an id-less event |
//! | `snapshot_heads` | seq (u64 BE)            | hash of the event covered ‖ part count (u32 BE) ‖ 2 |
//! | `snapshot.S.P` | `records`                 | part P (up to 1 MiB) of the projection snapshot at seq S (derived data) |
//! | `snapshot_parts` | seq ‖ part (u32 BE)     | parts of snapshots written before they had trees of their own |
//!
//! Beside sled's files, the `journal` makes small appends durable with one
//! write (see `store::journal`); they are kept in memory as the *journaled tail*
//! until a checkpoint writes them to sled. A small `head` file keeps the
//! head of the last checkpoint (`SEQ:HASH` in two checksummed slots); a
//! store that opens with fewer events than it names is refused as damaged
//! (see `Store::check_recorded_head`).
//!
//! The indexes are hashed into 4,096 buckets per tree, each bucket one sled
//! value, because sled's cost is per key: an import writes at most one key
//! per bucket instead of one per event.
//!
//! Events are packed into chunks (as EventStoreDB's chunk files and Kafka's
//! segments do) because sled's cost is per key: a chunk keeps many events per
//! key while staying under sled's blob threshold. A large batch's records go
//! into segments instead, each the one value of its own tree, because sled
//! rewrites a leaf whole as keys are added and splits it at 17 keys: 32 KiB
//! chunks in one tree were written two to three times over, a segment is
//! written once (see `Store::apply`).
//!
//! sled is written in multi-tree transactions that check the head the caller
//! expects and write the records, the head and the indexes together; a
//! crash cannot split them. A checkpoint then flushes the log and fsyncs the
//! data file, since sled 0.34's `flush` uses `sync_file_range` on Linux,
//! which is not a durability barrier.

use std::fs::File;
use std::path::{Path, PathBuf};

use sled::transaction::{ConflictableTransactionError, TransactionError, Transactional};
use sled::{IVec, Tree};

use chrono::{Datelike, NaiveDate};

use crate::chain::{self, FrameError, Hash, Head, RawRecord};
use crate::event::{EventDigest, IdKind};
use crate::input::parallel_map;

mod index_check;
mod journal;

pub use index_check::{ChainIndex, IndexProblem};
use journal::Journal;

/// sled segment size: sled stores a log message larger than a quarter of a
/// segment as a separate blob file. A leaf node holds up to 17 chunks of at
/// most 32 KiB, so 8 MiB segments keep every node in the log itself.
const SEGMENT_SIZE: usize = 8 << 20;

/// sled's page cache: its default, 1 GiB. A cap, not an allocation; with
/// 256 MiB, a 1,000,000-event store (~950 MB) no longer fitted, and index
/// lookups and snapshot reads went back to the log (status from a snapshot
/// took ~10% longer at 200,000 events and ~20% at 1,000,000).
const CACHE_BYTES: u64 = 1 << 30;

/// sled's periodic flusher: off. Every write that must be durable is
/// flushed and synced by `Store::sync` before it is acknowledged, so the
/// flusher would add no durability. What it does add is background work: it
/// also cleans sled's log segments, and after a large import it went on
/// rewriting pages (16 to 174 MB measured) and fsyncing the data file every
/// half second, during the appends that followed and even in processes that
/// only read. Without it, sled cleans a segment's pages as it replaces other
/// pages, that is while pledger writes, and a store after a 1,000,000-event
/// import took 661 bytes per event on disk instead of 921.
const FLUSH_EVERY_MS: Option<u64> = None;

/// A chunk grows until adding a record would take it past this size.
pub const CHUNK_TARGET: usize = chain::MAX_RECORD_LEN;

/// A bulk batch's records are stored in segments of at most this many
/// bytes, each the one value of its own tree (see `Store::apply`). Under a
/// quarter of a sled segment, so that a segment is never a blob file.
const SEGMENT_TARGET: usize = 1 << 20;

/// What `events` holds, under a segment's first seq, for a segment.
/// (A chunk's first byte is a record's format version, never 0xff.)
const SEGMENT_MARKER: &[u8] = b"\xffsegment";

/// The key of a segment's value in its tree.
const SEGMENT_KEY: &[u8] = b"records";

/// `bytes` in pieces of at most `limit` bytes that end at line ends (after
/// a `\n`) where they can: a line longer than `limit` is cut in pieces of
/// `limit` bytes.
fn split_at_lines(bytes: &[u8], limit: usize) -> Vec<&[u8]> {
    let mut pieces = Vec::new();
    let mut rest = bytes;
    while !rest.is_empty() {
        let window = &rest[..rest.len().min(limit)];
        let end = if window.len() == rest.len() {
            rest.len()
        } else {
            window.iter().rposition(|&b| b == b'\n').map_or(window.len(), |at| at + 1)
        };
        let (piece, tail) = rest.split_at(end);
        pieces.push(piece);
        rest = tail;
    }
    pieces
}

/// The name of the tree holding the segment whose first record has seq `first`.
fn segment_tree_name(first: u64) -> String {
    format!("segment.{first:020}")
}

/// Whether unit tests asked for the fault `name` on this thread: faults
/// that nothing outside the process can cause where they matter (a sled
/// read failing just after a commit, a journal write that reached the
/// device but was reported failed). Always `false` outside unit tests.
#[cfg(not(test))]
#[inline(always)]
fn injected(_name: &str) -> bool {
    false
}

#[cfg(test)]
fn injected(name: &str) -> bool {
    tests::FAULTS.with(|faults| faults.borrow().contains(name))
}

/// An append adds records to the tail chunk only while it is at most this
/// large, and otherwise starts a new one (see `Store::apply`).
const TAIL_REWRITE_LIMIT: usize = 8 << 10;

/// Why the store cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// No ledger exists at the path (for commands that only read).
    #[error("no ledger at {} (create one with `pledger init` or an import)", .path.display())]
    Missing { path: PathBuf },
    /// The path is a directory of other files, or a file: not a ledger, and
    /// not a place to create one.
    #[error("{} is not a ledger: {what}; name a new or empty directory", .path.display())]
    NotALedger { path: PathBuf, what: String },
    /// Another process has the ledger open.
    #[error("the ledger at {} is in use by another process; try again when it has finished", .path.display())]
    InUse { path: PathBuf },
    /// The store's files are damaged: sled finds corrupted data in them,
    /// one is missing or empty, or what they hold contradicts itself (a
    /// record an index names is not there, the store is shorter than its
    /// head file says). Not transient: the ledger fails verification by
    /// being unreadable, and only a backup brings it back.
    #[error("the ledger at {} is damaged: {what}; restore it from a backup", .path.display())]
    Damaged { path: PathBuf, what: String },
    /// An index (derived data the chain does not cover) names an event it
    /// does not describe. The events are intact, and the index can be
    /// written again from them; like damage, it fails verification.
    #[error(
        "the ledger at {} has a damaged index: {what}; write it again from the events with \
         `pledger verify --rebuild-indexes`",
        .path.display()
    )]
    IndexDamaged { path: PathBuf, what: String },
    /// The store cannot be used for another reason (sled refuses its files
    /// as unsupported, or an earlier append in this process failed).
    #[error("the ledger at {} cannot be read: {reason}", .path.display())]
    Unreadable { path: PathBuf, reason: String },
    /// The operating system refused a read or write.
    // Not named `source`: thiserror would make it the error's source too,
    // and a report of the chain would print the OS's message twice.
    #[error("i/o error on the ledger at {}: {error}", .path.display())]
    Io { path: PathBuf, error: std::io::Error },
    /// The ledger's files may not be written by this user. sled has no
    /// read-only mode, so even a read opens them for writing.
    #[error(
        "the ledger at {path} cannot be opened: permission denied; pledger opens a ledger's files for \
         writing even to read them (its store, sled, has no read-only mode), so to verify a ledger you \
         may not change, copy it and verify the copy (cp -r {path} COPY; pledger --ledger COPY verify)",
        path = .path.display()
    )]
    NotWritable { path: PathBuf },
}

/// A permission refused while the store was opened, named as what it
/// means to the user (see [`StoreError::NotWritable`]).
fn not_writable(e: StoreError) -> StoreError {
    match e {
        StoreError::Io { path, error } if error.kind() == std::io::ErrorKind::PermissionDenied => {
            StoreError::NotWritable { path }
        }
        other => other,
    }
}

impl StoreError {
    /// The error for an operating system's refusal on the ledger at `path`,
    /// for `map_err`.
    fn io(path: &Path) -> impl Fn(std::io::Error) -> StoreError + Copy + '_ {
        move |error| StoreError::Io { path: path.to_owned(), error }
    }
}

/// Why an append did not happen.
#[derive(Debug, thiserror::Error)]
pub enum AppendError {
    /// The head is not the one the caller expected: most often another
    /// writer appended first ([`Mismatch::Moved`]), in which case re-read
    /// the head, re-validate, and try again. [`AppendError::mismatch`] says
    /// which it is, as far as the two heads tell.
    #[error("{}", conflict_message(expected, current))]
    Conflict { expected: Head, current: Head },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// How an expected head differs from the ledger's, as far as the two heads
/// tell without reading the chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mismatch {
    /// The head is past the expected seq: the ledger grew since the caller
    /// read its head (or the expected hash was never this ledger's at that
    /// seq, which only the chain can tell).
    Moved,
    /// The head is at the expected seq with another hash: the expected head
    /// is not this ledger's. Nothing moved.
    OtherHash,
    /// The expected seq is past the head: not this ledger's head either.
    Beyond,
}

impl AppendError {
    /// For a [`AppendError::Conflict`], how the heads differ.
    pub fn mismatch(&self) -> Option<Mismatch> {
        match self {
            AppendError::Conflict { expected, current } => Some(Mismatch::of(expected, current)),
            AppendError::Store(_) => None,
        }
    }
}

impl Mismatch {
    pub fn of(expected: &Head, current: &Head) -> Mismatch {
        match expected.seq.cmp(&current.seq) {
            std::cmp::Ordering::Less => Mismatch::Moved,
            std::cmp::Ordering::Equal => Mismatch::OtherHash,
            std::cmp::Ordering::Greater => Mismatch::Beyond,
        }
    }
}

fn conflict_message(expected: &Head, current: &Head) -> String {
    match Mismatch::of(expected, current) {
        Mismatch::Moved => {
            format!("the ledger's head moved: expected {expected}, but the head is now {current}")
        }
        Mismatch::OtherHash => {
            format!(
                "the expected head {expected} is not this ledger's head at seq {}, which is {current}",
                current.seq
            )
        }
        Mismatch::Beyond => format!("the expected head {expected} is past this ledger's head, {current}"),
    }
}

/// Whether [`Store::open`] may create a new ledger.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenMode {
    /// Create the ledger if it does not exist.
    Create,
    /// Fail with [`StoreError::Missing`] if it does not exist.
    Existing,
}

/// An open ledger store.
pub struct Store {
    path: PathBuf,
    db: sled::Db,
    events: Tree,
    meta: Tree,
    ids: Tree,
    content: Tree,
    snapshot_heads: Tree,
    snapshot_parts: Tree,
    data_file: File,
    /// The blob files this process has made durable, by name, with the
    /// length each had then: see `Store::sync`.
    synced_blobs: std::sync::Mutex<std::collections::HashMap<std::ffi::OsString, u64>>,
    /// The seq last written to the head file by this process, and the file
    /// once it is known to have the two-slot layout.
    head_file: std::sync::Mutex<HeadFile>,
    /// The write-ahead journal; every writer holds it while appending.
    journal: std::sync::Mutex<Journal>,
    /// The journaled tail: appends in the journal that sled does not have
    /// yet.
    pending: std::sync::RwLock<Pending>,
    /// Why this process can no longer trust what it holds of the store, once
    /// it cannot (a large batch reached sled but could not be made durable,
    /// sled failed part way through committing, a journal write failed and
    /// could not be undone): appends and checkpoints are refused until the
    /// store is opened again.
    poisoned: std::sync::OnceLock<&'static str>,
}

/// The appends since the last checkpoint, merged into one batch on sled's
/// head, with their index entries for lookups.
#[derive(Default)]
struct Pending {
    batch: Option<Batch>,
    ids: std::collections::HashMap<Vec<u8>, u64>,
    contents: std::collections::HashMap<[u8; 16], u64>,
}

impl Pending {
    fn push(&mut self, batch: &Batch) {
        self.ids.extend(batch.ids.iter().map(|(key, seq)| (key.bytes.clone(), *seq)));
        self.contents.extend(batch.contents.iter().map(|(digest, seq)| (digest.bytes, *seq)));
        match &mut self.batch {
            None => self.batch = Some(batch.clone()),
            Some(tail) => tail.extend(batch),
        }
    }
}

/// Records framed for one append, with the index entries they add.
/// Build it with [`Batch::new`] from the head it will be appended after.
///
/// Its records are kept in runs, each a buffer of consecutive records: a
/// large batch is framed in runs on all cores and sealed in order (see
/// [`Batch::seal_run`]), so that its bytes are written once and never
/// copied into one buffer.
#[derive(Clone)]
pub struct Batch {
    expected: Head,
    head: Head,
    runs: Vec<Run>,
    /// Records in all runs.
    records: usize,
    /// Bytes of records in all runs.
    bytes: usize,
    /// Entries for the `ids` index: a key and a seq (or an anchor's day).
    ids: Vec<(IndexKey, u64)>,
    contents: Vec<(ContentDigest, u64)>,
}

/// Consecutive records in one buffer, framed ahead of their place in the
/// chain with [`Run::frame`] (on any thread), then sealed in order into a
/// batch with [`Batch::seal_run`].
#[derive(Clone, Default)]
pub struct Run {
    bytes: RunBytes,
    /// Where each record ends in `bytes`.
    ends: Vec<usize>,
    /// Which records are sealed; the others are dropped when the run joins
    /// its batch.
    sealed: Vec<bool>,
}

/// A run's buffer: growing while records are framed or pushed, then shared
/// (see [`Run::share`]), so that sled keeps it as a segment's value without
/// copying it.
#[derive(Clone)]
enum RunBytes {
    Growing(Vec<u8>),
    Shared(IVec),
}

impl Default for RunBytes {
    fn default() -> Self {
        RunBytes::Growing(Vec::new())
    }
}

impl RunBytes {
    fn as_slice(&self) -> &[u8] {
        match self {
            RunBytes::Growing(v) => v,
            RunBytes::Shared(a) => a,
        }
    }

    /// The bytes to change in place (a shared buffer is copied only if
    /// sled holds it already, which sealing never finds).
    fn as_mut_slice(&mut self) -> &mut [u8] {
        match self {
            RunBytes::Growing(v) => v,
            RunBytes::Shared(a) => a,
        }
    }

    /// The buffer to add to, made growing again if it was shared.
    fn growing(&mut self) -> &mut Vec<u8> {
        if let RunBytes::Shared(a) = self {
            *self = RunBytes::Growing(a.to_vec());
        }
        match self {
            RunBytes::Growing(v) => v,
            RunBytes::Shared(_) => unreachable!("made growing above"),
        }
    }

    /// Bytes `range` as a value for sled: a view of a shared buffer, or a
    /// copy of a growing one.
    fn value(&self, range: std::ops::Range<usize>) -> IVec {
        match self {
            RunBytes::Growing(v) => IVec::from(&v[range]),
            RunBytes::Shared(a) => a.subslice(range.start, range.len()),
        }
    }
}

const HEAD_KEY: &[u8] = b"head";

/// The file beside sled's files that keeps the last durable head, as
/// `SEQ:HASH` in two checksummed slots: see `Store::record_head` and
/// `Store::check_recorded_head`.
pub const HEAD_FILE: &str = "head";

impl Store {
    /// Whether the `head` file is missing though sled holds events. Each
    /// write of events to sled (a checkpoint, a large batch) is followed by
    /// one; events only in the journal (a new ledger's first appends, before
    /// the process that made them exits) have none yet, which is normal.
    /// Otherwise a missing head file was removed (or a crash landed just
    /// between the two), and without it a store whose files were replaced
    /// by older ones cannot be told apart (see `Store::check_recorded_head`).
    pub fn lacks_head_file(&self) -> Result<bool, StoreError> {
        if self.path.join(HEAD_FILE).exists() {
            return Ok(false);
        }
        let stored = self.meta.get(HEAD_KEY).map_err(|e| self.error(e))?;
        Ok(stored.and_then(|bytes| decode_head(&bytes)).is_some_and(|head| head.seq > 0))
    }

    /// Where the journal holds an entry cut short or damaged, past the last
    /// one read back (see `journal::Journal::damaged_entry`): its byte offset in
    /// the journal file.
    pub fn journal_damage(&self) -> Option<u64> {
        self.journal.lock().unwrap_or_else(|e| e.into_inner()).damaged_entry()
    }

    /// Opens the store at `path`, creating it if `mode` allows.
    pub fn open(path: &Path, mode: OpenMode) -> Result<Store, StoreError> {
        Store::open_as_found(path, mode).map_err(not_writable)
    }

    fn open_as_found(path: &Path, mode: OpenMode) -> Result<Store, StoreError> {
        let data_path = path.join("db");
        // Whether it may be created or must exist, a path that holds
        // something else is refused as such, in one wording for every command.
        if path.exists() && !path.is_dir() {
            return Err(StoreError::NotALedger { path: path.to_owned(), what: "it is a file".into() });
        }
        // Under a file, a ledger can be neither found nor made: saying it
        // is missing would send the user to `init`, which cannot make it.
        if let Some(file) = path.ancestors().skip(1).find(|a| a.exists()).filter(|a| !a.is_dir()) {
            let what = format!("{} is a file, not a directory", file.display());
            return Err(StoreError::NotALedger { path: path.to_owned(), what });
        }
        // A directory with pledger's own files but no data file, or an
        // empty one, once held a ledger: creating a new one there, or
        // calling it missing, would hide the loss.
        if let Some(what) = lost_data_file(path, &data_path).map_err(StoreError::io(path))? {
            return Err(StoreError::Damaged { path: path.to_owned(), what });
        }
        if !data_path.exists() {
            let foreign = foreign_entry(path).map_err(StoreError::io(path))?;
            if let Some(name) = foreign {
                return Err(StoreError::NotALedger {
                    path: path.to_owned(),
                    what: format!("it is a directory of other files ({name:?} among them)"),
                });
            }
            if mode == OpenMode::Existing {
                return Err(StoreError::Missing { path: path.to_owned() });
            }
        }
        if data_path.exists() {
            waiting_for_lock(|| remove_unfinished_snapshots(path, &data_path))?;
        }
        let db = open_sled_finished(path, &data_path)?;
        let tree = |name: &str| db.open_tree(name).map_err(|e| store_error(path, e));
        let meta = tree("meta")?;
        // Entries up to sled's head need not be read back (a malformed head
        // is reported below, by `head`).
        let stored_seq =
            meta.get(HEAD_KEY).ok().flatten().and_then(|bytes| decode_head(&bytes)).map_or(0, |h| h.seq);
        let (journal, entries) = Journal::open(path, stored_seq).map_err(StoreError::io(path))?;
        // Appends after a damaged entry would be built on a chain that has
        // lost acknowledged events: the store is damaged, as sled's files
        // are when their checksums fail.
        if let Some((damaged, whole)) = journal.lost_before() {
            return Err(StoreError::Damaged {
                path: path.to_owned(),
                what: format!(
                    "its journal file holds an entry at byte {damaged} that fails its checksum, and a whole one \
                     after it at byte {whole}, so acknowledged appends were lost there"
                ),
            });
        }
        let store = Store {
            events: tree("events")?,
            meta,
            ids: tree("ids")?,
            content: tree("content")?,
            snapshot_heads: tree("snapshot_heads")?,
            snapshot_parts: tree("snapshot_parts")?,
            data_file: File::open(&data_path).map_err(StoreError::io(path))?,
            synced_blobs: std::sync::Mutex::new(std::collections::HashMap::new()),
            head_file: std::sync::Mutex::new(HeadFile { recorded: 0, file: None }),
            journal: std::sync::Mutex::new(journal),
            pending: std::sync::RwLock::new(Pending::default()),
            poisoned: std::sync::OnceLock::new(),
            path: path.to_owned(),
            db,
        };
        {
            let mut journal = store.journal.lock().unwrap_or_else(|e| e.into_inner());
            store.replay_journal(&mut journal, entries)?;
        }
        store.check_recorded_head()?;
        if mode == OpenMode::Create {
            // Housekeeping only: a failure here loses nothing, and anything
            // wrong with the store shows up on its first real use.
            let _ = store.remove_unlisted_snapshot_parts();
        }
        Ok(store)
    }

    /// Removes the part trees of snapshots that were never listed: a
    /// process killed between writing a snapshot's parts and listing it
    /// (see [`Store::write_snapshot_parts`]) leaves them, and nothing else
    /// would. Run when a store is opened for writing, before this process
    /// has any writer that could be writing parts of its own; another
    /// process cannot have the store open. A store opened only to read is
    /// left as it is.
    fn remove_unlisted_snapshot_parts(&self) -> Result<(), StoreError> {
        let mut listed = std::collections::HashSet::new();
        for item in self.snapshot_heads.iter() {
            let (key, head) = item.map_err(|e| self.error(e))?;
            if let (Some(seq), Some(PartsLayout { count, in_trees: true })) =
                (decode_seq(&key), PartsLayout::of(&head))
            {
                listed.extend((0..count).map(|i| snapshot_part_tree(seq, i)));
            }
        }
        for name in self.snapshot_part_tree_names() {
            if !listed.contains(&name) {
                self.db.drop_tree(name).map_err(|e| self.error(e))?;
            }
        }
        Ok(())
    }

    /// The names of the trees that hold snapshot parts, listed or not.
    fn snapshot_part_tree_names(&self) -> Vec<String> {
        (self.db.tree_names().iter())
            .filter_map(|name| std::str::from_utf8(name).ok())
            .filter(|name| name.starts_with(SNAPSHOT_TREE_PREFIX))
            .map(str::to_owned)
            .collect()
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The head as recorded in the store (not verified: see `audit`).
    pub fn head(&self) -> Result<Head, StoreError> {
        if let Some(batch) = &self.pending().batch {
            return Ok(batch.head);
        }
        self.stored_head()
    }

    /// The head as recorded in sled, without the journaled tail.
    fn stored_head(&self) -> Result<Head, StoreError> {
        let raw = self.meta.get(HEAD_KEY).map_err(|e| self.error(e))?;
        match raw {
            None => Ok(Head::EMPTY),
            Some(bytes) => decode_head(&bytes).ok_or_else(|| self.damaged("the head record is malformed")),
        }
    }

    /// The seq of the event with this user-chosen id, if any.
    pub fn lookup_id(&self, kind: IdKind, id: &str) -> Result<Option<u64>, StoreError> {
        let key = id_key(kind, id);
        if let Some(&seq) = self.pending().ids.get(&key) {
            return Ok(Some(seq));
        }
        self.lookup(&self.ids, &key)
    }

    /// The date the checks anchor an id on, if the index has it: an
    /// announcement's own date, or a commitment's announcement's date.
    /// (Stores written before pledger kept these have none; the checks then
    /// read the events.)
    pub fn lookup_anchor(&self, kind: IdKind, id: &str) -> Result<Option<NaiveDate>, StoreError> {
        let key = anchor_key(kind, id);
        let days = match self.pending().ids.get(&key) {
            Some(&days) => Some(days),
            None => self.lookup(&self.ids, &key)?,
        };
        Ok(anchor_date(days))
    }

    /// The seq of an id-less event with these canonical bytes, if any.
    pub fn lookup_content(&self, canonical: &[u8]) -> Result<Option<u64>, StoreError> {
        self.lookup_digest(&ContentDigest::of(canonical))
    }

    /// [`Store::lookup_content`] for a digest already computed.
    pub fn lookup_digest(&self, digest: &ContentDigest) -> Result<Option<u64>, StoreError> {
        if let Some(&seq) = self.pending().contents.get(&digest.bytes) {
            return Ok(Some(seq));
        }
        self.lookup(&self.content, &digest.bytes)
    }

    fn lookup(&self, tree: &Tree, key: &[u8]) -> Result<Option<u64>, StoreError> {
        let Some(bucket) = tree.get(bucket_of(key).to_be_bytes()).map_err(|e| self.error(e))? else {
            return Ok(None);
        };
        find_in_bucket(&bucket, key).ok_or_else(|| self.damaged("an index bucket is malformed"))
    }

    /// Index lookups for checking a batch: with `whole`, both indexes are
    /// read once, whole (one range scan each), and every lookup is then
    /// made in memory; otherwise each lookup reads its bucket from sled.
    ///
    /// A sled `get` costs ~0.6 µs here, and checking a large batch makes one
    /// or two per line: reading whole costs one scan of at most 8,192
    /// values. What is read is the indexes as of now, which is what a
    /// batch is checked against: if another writer appends meanwhile, the
    /// head moves and the batch is refused with a conflict.
    pub fn index(&self, whole: bool) -> Result<Index<'_>, StoreError> {
        if !whole {
            return Ok(Index { store: self, read: None });
        }
        let read_tree = |tree: &Tree| -> Result<Vec<Option<IVec>>, StoreError> {
            let mut buckets = vec![None; INDEX_BUCKETS as usize];
            for item in tree.iter() {
                let (key, value) = item.map_err(|e| self.error(e))?;
                let bucket = <[u8; 2]>::try_from(key.as_ref())
                    .ok()
                    .map(u16::from_be_bytes)
                    .filter(|&b| b < INDEX_BUCKETS)
                    .ok_or_else(|| self.damaged("an index bucket key is malformed"))?;
                buckets[bucket as usize] = Some(value);
            }
            Ok(buckets)
        };
        let pending = self.pending();
        let read = ReadIndex {
            ids: read_tree(&self.ids)?,
            content: read_tree(&self.content)?,
            pending_ids: pending.ids.clone(),
            pending_contents: pending.contents.clone(),
        };
        Ok(Index { store: self, read: Some(read) })
    }

    /// The stored bytes of the record with this seq, if any.
    pub fn record(&self, seq: u64) -> Result<Option<Vec<u8>>, StoreError> {
        if let Some(batch) = &self.pending().batch {
            if seq > batch.expected.seq {
                return Ok(batch.record(seq).map(<[u8]>::to_vec));
            }
        }
        // `get_lt` descends the tree once; a reversed range scan costs more.
        let chunk = self.events.get_lt(seq.saturating_add(1).to_be_bytes()).map_err(|e| self.error(e))?;
        let Some((key, value)) = chunk else {
            return Ok(None);
        };
        let chunk = self.resolve(&key, value)?;
        for record in chain::records(&chunk) {
            let record = record.map_err(|e| self.damaged(&format!("chunk at seq {seq}: {e}")))?;
            if record.seq() == seq {
                return Ok(Some(record.bytes().to_vec()));
            }
        }
        Ok(None)
    }

    /// The chunks in seq order, starting with the one that holds `from`.
    /// Records are read lazily, so a scan of any length runs in bounded memory.
    pub fn chunks(&self, from: u64) -> impl Iterator<Item = Result<Chunk, StoreError>> + '_ {
        // The journaled tail, copied now so that the scan sees one state.
        // In pieces of chunk size, so that readers that decode several
        // chunks at once on all cores do so for the tail too.
        let pending = self.pending();
        let stored_to = pending.batch.as_ref().map_or(u64::MAX, |b| b.expected.seq);
        let tail: Vec<Chunk> = match &pending.batch {
            Some(batch) => batch.pieces(0, CHUNK_TARGET).map(|(_, bytes)| Chunk(bytes)).collect(),
            None => Vec::new(),
        };
        drop(pending);
        let start = self
            .events
            .get_lt(from.saturating_add(1).to_be_bytes())
            .ok()
            .flatten()
            .map(|(k, _)| k)
            .unwrap_or_else(|| IVec::from(&from.to_be_bytes()));
        // With a tail, sled's part ends at the tail's first seq: a
        // checkpoint that runs while this scan is read lazily moves the tail
        // into sled (even into the chunk holding `stored_to`), and the scan
        // must not read those records twice.
        // Only the chunk holding `stored_to` can gain records (later ones
        // start new keys), so only it is cut.
        let last_key = if stored_to == u64::MAX {
            None
        } else {
            self.events.get_lt(stored_to.saturating_add(1).to_be_bytes()).ok().flatten().map(|(k, _)| k)
        };
        let stored = (from <= stored_to).then(|| {
            self.events
                .range(start..)
                .take_while(move |item| {
                    item.as_ref().map_or(true, |(key, _)| decode_seq(key).is_none_or(|seq| seq <= stored_to))
                })
                .map(move |item| {
                    let (key, value) = item.map_err(|e| self.error(e))?;
                    let chunk = self.resolve(&key, value)?;
                    let last = last_key.as_ref() == Some(&key);
                    Ok(Chunk(if last { cut_after(chunk, stored_to) } else { chunk }))
                })
        });
        stored.into_iter().flatten().chain(tail.into_iter().map(Ok))
    }

    /// Appends `batch` if the head is still the one it was built on, and
    /// returns once it is durable. An empty batch writes nothing, the head
    /// included.
    ///
    /// A batch of up to `journal::BATCH_LIMIT` bytes is written to the
    /// journal (one write to the device) and kept in memory as part of the
    /// journaled tail, which reads see and a checkpoint writes to sled. A
    /// larger batch is written to sled, after the tail, and checkpointed.
    pub fn append(&self, batch: &Batch) -> Result<Head, AppendError> {
        self.append_then(batch, || {})
    }

    /// [`Store::append`], calling `committed` once `batch` holds its place in
    /// the chain (no other append can take it) but before it is made
    /// durable: writes of derived data made from then on are covered by the
    /// batch's own sync. If the append fails before that, `committed` is
    /// never called.
    pub fn append_then(&self, batch: &Batch, committed: impl FnOnce()) -> Result<Head, AppendError> {
        if batch.is_empty() {
            return Ok(batch.expected);
        }
        // Every writer holds the journal, so the head cannot move between
        // the check and the write below.
        let mut journal = self.journal.lock().unwrap_or_else(|e| e.into_inner());
        self.check_poisoned()?;
        let current = self.head()?;
        if current != batch.expected {
            return Err(AppendError::Conflict { expected: batch.expected, current });
        }
        if batch.bytes > journal::BATCH_LIMIT {
            // The journaled tail (this process's appends, or an earlier
            // process's read back at open) goes to sled first: the batch
            // continues it. Without one, sled is durable as it is, and the
            // batch's own sync covers the rest.
            if journal.written() || self.pending().batch.is_some() {
                self.checkpoint(&mut journal)?;
            }
            self.apply(batch)?;
            committed();
            // Past this point sled holds the batch, which may not be on
            // disk: a later append built on it would be lost with it.
            if let Err(e) = self.sync().and_then(|()| self.record_head(batch.head)) {
                self.poison("an earlier append reached sled but could not be made durable");
                return Err(e.into());
            }
            return Ok(batch.head);
        }
        if !journal.fits(batch) {
            self.checkpoint(&mut journal)?;
        }
        if let Err(e) = journal.write(batch) {
            if !e.maybe_written {
                return Err(StoreError::io(&self.path)(e.error).into());
            }
            // Whether the append happened is for the next open to find (it
            // replays the entry if the device kept it whole); until then
            // this process does not append over it.
            self.poison("an earlier append's journal write failed and could not be undone");
            let error = std::io::Error::new(
                e.error.kind(),
                format!(
                    "{}; the append may still be in the ledger when it is next opened, as its \
                     journal entry could not be undone",
                    e.error
                ),
            );
            return Err(StoreError::io(&self.path)(error).into());
        }
        self.pending.write().unwrap_or_else(|e| e.into_inner()).push(batch);
        committed();
        Ok(batch.head)
    }

    /// Writes `batch` to sled in one transaction, without making it durable:
    /// the records, the head and the index entries. A crash cannot split
    /// them. `Ok` once the transaction has committed, whatever follows; an
    /// error means sled does not have the batch, or, from sled's commit
    /// itself, that this process cannot tell, and the store is poisoned.
    ///
    /// A batch too large for the journal (an import, a checkpoint) puts its
    /// records in segments of up to [`SEGMENT_TARGET`] bytes, each the only
    /// value of a tree of its own, with a marker under its first seq in
    /// `events`. sled rewrites a leaf whole as keys are added to it and
    /// splits it at 17 keys, so records packed as 32 KiB chunks in one tree
    /// were written two to three times over; a tree with one value is
    /// written once.
    fn apply(&self, batch: &Batch) -> Result<(), AppendError> {
        let bulk = batch.bytes > journal::BATCH_LIMIT;
        let pieces = self.pieces(batch, bulk)?;
        // A batch with fewer entries than buckets writes too little index
        // for the double write to matter, and filling costs ~10 ms a tree
        // (and, once a tree is full, a scan of its keys, ~1 ms):
        // a 2,000-event import into a new ledger took 36-47 ms with it,
        // 17-29 ms without.
        for (tree, entries) in [(&self.ids, batch.ids.len()), (&self.content, batch.contents.len())] {
            if bulk && entries >= INDEX_BUCKETS as usize {
                self.fill_missing_buckets(tree)?;
            }
        }
        // The index buckets' new values are worked out before the
        // transaction, on all cores: every writer holds the journal, so the
        // buckets read here cannot change before it commits.
        let ids =
            self.merged_buckets(&self.ids, batch.ids.iter().map(|(k, seq)| (k.bucket, &k.bytes[..], *seq)))?;
        let contents = self.merged_buckets(
            &self.content,
            batch.contents.iter().map(|(d, seq)| (d.bucket, &d.bytes[..], *seq)),
        )?;
        let segments: Vec<Tree> = if bulk {
            pieces
                .iter()
                .map(|(first, _)| self.db.open_tree(segment_tree_name(*first)).map_err(|e| self.error(e)))
                .collect::<Result<_, _>>()?
        } else {
            Vec::new()
        };
        let mut trees = vec![&self.events, &self.meta, &self.ids, &self.content];
        trees.extend(segments.iter());
        // Set once the closure has returned its writes: an error after that
        // comes from sled's commit, which may have applied some of them.
        let committing = std::cell::Cell::new(false);
        let result = trees.as_slice().transaction(|trees| {
            committing.set(false);
            let (events, meta, ids_tree, content_tree) = (&trees[0], &trees[1], &trees[2], &trees[3]);
            let current = match meta.get(HEAD_KEY)? {
                None => Head::EMPTY,
                Some(bytes) => decode_head(&bytes).unwrap_or(Head { seq: u64::MAX, hash: Hash::ZERO }),
            };
            if current != batch.expected {
                return Err(ConflictableTransactionError::Abort(current));
            }
            // The pieces are passed as the `IVec`s they are: as `&[u8]`,
            // sled would copy each one again here, on this one thread.
            for (i, (first, bytes)) in pieces.iter().enumerate() {
                if bulk {
                    trees[4 + i].insert(SEGMENT_KEY, bytes.clone())?;
                    events.insert(&first.to_be_bytes(), SEGMENT_MARKER)?;
                } else {
                    events.insert(&first.to_be_bytes(), bytes.clone())?;
                }
            }
            for (tree, buckets) in [(ids_tree, &ids), (content_tree, &contents)] {
                for (bucket, value) in buckets {
                    tree.insert(bucket, value.as_slice())?;
                }
            }
            meta.insert(HEAD_KEY, encode_head(&batch.head).as_slice())?;
            committing.set(true);
            Ok(())
        });
        let result = result.and_then(|()| match injected("sled's commit fails") {
            true => Err(TransactionError::Storage(sled::Error::Unsupported("injected".into()))),
            false => Ok(()),
        });
        match result {
            Ok(()) => {}
            Err(TransactionError::Abort(current)) => {
                return Err(AppendError::Conflict { expected: batch.expected, current })
            }
            Err(TransactionError::Storage(e)) => {
                // sled's commit inserts the writes one tree after another
                // and can stop part way: what this process reads of sled
                // may now hold some of the batch and not the rest.
                if committing.get() {
                    self.poison(
                        "sled failed while committing an append, and what it holds cannot be trusted",
                    );
                }
                return Err(self.error(e).into());
            }
        }
        // The batch is committed: its outcome is decided, and settling is
        // housekeeping that must not report it failed. What a failed read
        // leaves undone falls to later reads, as it would without it.
        if bulk {
            let _ = self.settle(&pieces, [(&self.ids, &ids), (&self.content, &contents)]);
        }
        Ok(())
    }

    /// Reads every key a bulk batch wrote, so that sled does now, before
    /// the batch is synced, the work it leaves to the next reader of a
    /// key: splitting nodes that grew past their size, and with each such
    /// replacement, cleaning one page of a log segment that the batch left
    /// mostly dead (sled 0.34 cleans as it replaces pages).
    ///
    /// Left to the first lookups after a 1,000,000-event import, that work
    /// wrote 35 to 160 MB and took 0.3 to 0.9 s: it fell on the first
    /// appends after an import, or on the first process to read, which then
    /// wrote to the store while it closed.
    fn settle(&self, pieces: &[Piece], indexes: [(&Tree, &Vec<Bucket>); 2]) -> Result<(), StoreError> {
        if injected("settling fails") {
            return Err(self.damaged("injected"));
        }
        for (first, _) in pieces {
            self.events.get(first.to_be_bytes()).map_err(|e| self.error(e))?;
        }
        for (tree, buckets) in indexes {
            for (bucket, _) in buckets {
                tree.get(bucket).map_err(|e| self.error(e))?;
            }
        }
        Ok(())
    }

    /// Gives `tree` an empty value for each index bucket it lacks. Run
    /// before a bulk batch with at least as many entries for `tree` as
    /// there are buckets, which writes to most of the 4,096 at once.
    ///
    /// Into a tree that lacked them (a new ledger's), the batch's buckets
    /// all went into one leaf, which sled split only at [`Store::settle`]:
    /// every bucket was written twice, and the dead first copies left the
    /// import's log segments under sled's cleaning threshold (half live).
    /// The next write to the store (the checkpoint when it closed) then
    /// made sled copy those segments' live records again: in 3 of 6
    /// 200,000-event imports, the store grew from 115 to 157-160 MB as it
    /// closed. Filled first, the buckets are written into leaves of normal
    /// size: sled wrote 101 MB for the import instead of 111, and the store
    /// was 109-110 MB once closed, in 12 of 12.
    ///
    /// The empty values go in one at a time, so that sled splits each leaf
    /// as it fills (a `sled::Batch` of them had to be read back to be
    /// split, and took twice as long), and only where no bucket is: a
    /// bucket is never overwritten. An empty bucket reads as one with no entries, and a
    /// crash leaves only empty buckets, which mean what missing ones do.
    fn fill_missing_buckets(&self, tree: &Tree) -> Result<(), StoreError> {
        let mut present = vec![false; INDEX_BUCKETS as usize];
        for key in tree.iter().keys() {
            let key = key.map_err(|e| self.error(e))?;
            if let Ok(bucket) = <[u8; 2]>::try_from(key.as_ref()).map(u16::from_be_bytes) {
                if let Some(slot) = present.get_mut(bucket as usize) {
                    *slot = true;
                }
            }
        }
        for bucket in (0..INDEX_BUCKETS).filter(|&bucket| !present[bucket as usize]) {
            // An `Err` inside is a bucket that is there after all: kept.
            let _ = tree
                .compare_and_swap(bucket.to_be_bytes(), None as Option<&[u8]>, Some(&[][..]))
                .map_err(|e| self.error(e))?;
        }
        Ok(())
    }

    /// A chunk value as read from `events`: the records themselves, or, for
    /// a segment's marker, the segment's records.
    fn resolve(&self, key: &[u8], value: IVec) -> Result<IVec, StoreError> {
        if value != SEGMENT_MARKER {
            return Ok(value);
        }
        let first = decode_seq(key).ok_or_else(|| self.damaged("a chunk key is malformed"))?;
        let value = match self.existing_tree(&segment_tree_name(first))? {
            Some(tree) => tree.get(SEGMENT_KEY).map_err(|e| self.error(e))?,
            None => None,
        };
        value.ok_or_else(|| self.damaged(&format!("the segment of records from seq {first} is missing")))
    }

    /// The tree `name`, if the store has one. (`Db::open_tree` creates a
    /// missing tree: reading must not change the store, least of all a
    /// damaged one that is being audited.) sled opens every tree when it
    /// opens the store, so its list is in memory.
    fn existing_tree(&self, name: &str) -> Result<Option<Tree>, StoreError> {
        if !self.db.tree_names().iter().any(|n| n == name.as_bytes()) {
            return Ok(None);
        }
        self.db.open_tree(name).map(Some).map_err(|e| self.error(e))
    }

    /// The buckets of `tree` that `entries` fall in, each with its stored
    /// entries and the new ones merged, in bucket order.
    fn merged_buckets<'a>(
        &self,
        tree: &Tree,
        entries: impl Iterator<Item = (u16, &'a [u8], u64)>,
    ) -> Result<Vec<Bucket>, StoreError> {
        let mut groups = vec![Vec::new(); INDEX_BUCKETS as usize];
        for (bucket, key, seq) in entries {
            groups[bucket as usize].push((key, seq));
        }
        let groups: Vec<(BucketKey, Vec<IndexEntry>)> = groups
            .into_iter()
            .enumerate()
            .filter(|(_, group)| !group.is_empty())
            .map(|(bucket, group)| ((bucket as u16).to_be_bytes(), group))
            .collect();
        parallel_map(&groups, |(bucket, group)| {
            let existing = tree.get(bucket).map_err(|e| self.error(e))?;
            let merged =
                merge_into(existing, group).ok_or_else(|| self.damaged("an index bucket is malformed"))?;
            Ok((*bucket, merged))
        })
        .into_iter()
        .collect()
    }

    /// The chunks (or, for a `bulk` batch, the segments) to write for
    /// `batch`, keyed by their first seq. A small batch's records go into
    /// the chunk that holds the head record while it is small, then into new
    /// chunks of up to [`CHUNK_TARGET`] bytes; a bulk batch's go into new
    /// segments of up to [`SEGMENT_TARGET`] bytes.
    ///
    /// The chunk holding the head is found from the head itself and cut
    /// after it, so the result depends only on the records up to the
    /// expected head.
    fn pieces(&self, batch: &Batch, bulk: bool) -> Result<Vec<Piece>, StoreError> {
        let expected = batch.expected.seq;
        let mut out: Vec<Piece> = Vec::new();
        let mut start = 0;
        if !bulk {
            let tail =
                self.events.get_lt(expected.saturating_add(1).to_be_bytes()).map_err(|e| self.error(e))?;
            // sled writes a changed value whole, so a tail chunk that is
            // already large (or a segment) is left as it is rather than
            // rewritten for a few more records.
            if let Some((key, value)) =
                tail.filter(|(_, v)| v.len() <= TAIL_REWRITE_LIMIT && v != SEGMENT_MARKER)
            {
                let key = decode_seq(&key).ok_or_else(|| self.damaged("a chunk key is malformed"))?;
                let (kept, _) = len_through(&value, expected);
                // Only the first run's records can join it: pieces never
                // span runs.
                if let Some(run) = batch.runs.first() {
                    let taken = run.ends.iter().take_while(|&&end| kept + end <= CHUNK_TARGET).count();
                    if kept > 0 && taken > 0 {
                        let end = run.ends[taken - 1];
                        let mut chunk = value[..kept].to_vec();
                        chunk.extend_from_slice(&run.bytes()[..end]);
                        out.push((key, IVec::from(chunk)));
                        start = end;
                    }
                }
            }
        }
        let limit = if bulk { SEGMENT_TARGET } else { CHUNK_TARGET };
        out.extend(batch.pieces(start, limit));
        Ok(out)
    }

    /// Writes the journaled tail to sled, makes everything durable, records
    /// the head in the head file and starts the journal over: its entries
    /// are no longer needed.
    fn checkpoint(&self, journal: &mut Journal) -> Result<(), StoreError> {
        self.check_poisoned()?;
        // Readers wait for the few milliseconds this takes rather than see
        // the tail vanish before sled has it.
        let mut pending = self.pending.write().unwrap_or_else(|e| e.into_inner());
        if let Some(batch) = &pending.batch {
            self.apply(batch).map_err(|e| match e {
                AppendError::Store(e) => e,
                AppendError::Conflict { current, .. } => self.damaged(&format!(
                    "its journal continues the chain from seq {}, but the store's head is seq {}",
                    batch.expected.seq, current.seq
                )),
            })?;
            // sled has the tail now, for readers; if what follows fails, the
            // journal still has it and the next checkpoint tries again.
            *pending = Pending::default();
        }
        drop(pending);
        self.sync()?;
        self.record_head(self.stored_head()?)?;
        journal.reset().map_err(StoreError::io(&self.path))?;
        Ok(())
    }

    /// Reads back the journal's entries that continue the chain where
    /// sled's ends: appends that were acknowledged but not yet checkpointed
    /// when the last process stopped. They become the journaled tail again,
    /// in memory only: the next checkpoint of a process that writes (a full
    /// journal, a large batch, the close of a store it appended to) writes
    /// them to sled, and one that only reads leaves them in the journal.
    /// Entries at or before sled's head were checkpointed already. The next
    /// entry is written after the last one read.
    fn replay_journal(&self, journal: &mut Journal, entries: Vec<journal::Entry>) -> Result<(), StoreError> {
        let mut head = self.stored_head()?;
        let mut pending = self.pending.write().unwrap_or_else(|e| e.into_inner());
        for entry in entries {
            if entry.batch.expected != head {
                // Not a continuation (nothing in a sound store): the next
                // entry is written over it, so that it cannot stand between
                // later entries and a replay.
                journal.set_end(entry.start);
                break;
            }
            pending.push(&entry.batch);
            head = entry.batch.head;
        }
        Ok(())
    }

    /// Refuses appends and checkpoints in a store this process poisoned.
    fn check_poisoned(&self) -> Result<(), StoreError> {
        match self.poisoned.get() {
            None => Ok(()),
            Some(why) => Err(StoreError::Unreadable {
                path: self.path.clone(),
                reason: format!("{why}; open the ledger again"),
            }),
        }
    }

    /// Stops this process from writing to the store (see `poisoned`).
    fn poison(&self, why: &'static str) {
        let _ = self.poisoned.set(why);
    }

    fn pending(&self) -> std::sync::RwLockReadGuard<'_, Pending> {
        self.pending.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Makes everything written so far durable: sled's flush, then an fsync
    /// of the blob files this process has not synced yet and of the data
    /// file.
    ///
    /// sled 0.34 writes a page larger than a quarter of a segment (2 MiB
    /// with 8 MiB segments) to its own file in `blobs/` and never fsyncs
    /// it; the log in the data file only points to it. An append is durable
    /// only once those files, and the directory entries naming them, are on
    /// disk too.
    ///
    /// sled writes a blob file once, when it creates it (`create_new`),
    /// names it by a log sequence number it never reuses, and only ever
    /// removes it afterwards: a file this process has synced at its present
    /// length needs no fsync again. (A file seen while sled is still
    /// writing it is seen again longer, and synced again.) Files synced
    /// by another process are synced again by this one, once. No clock is
    /// read: a modification time compared with the time of the last sync
    /// left a new blob unsynced after the clock was stepped back. Stores
    /// written by pledger have few or no blob files: none after a
    /// 200,000- or a 1,000,000-event import.
    fn sync(&self) -> Result<(), StoreError> {
        let io = StoreError::io(&self.path);
        self.db.flush().map_err(|e| self.error(e))?;
        let mut synced = self.synced_blobs.lock().unwrap_or_else(|e| e.into_inner());
        let blobs = self.path.join("blobs");
        let mut present = std::collections::HashMap::new();
        let mut wrote_blobs = false;
        for entry in std::fs::read_dir(&blobs).map_err(io)? {
            let entry = entry.map_err(io)?;
            // A blob sled removed meanwhile (it removes blobs it no longer
            // needs) has nothing left to make durable.
            let Ok(len) = entry.metadata().map(|m| m.len()) else { continue };
            let name = entry.file_name();
            if synced.get(&name) != Some(&len) {
                match File::open(entry.path()) {
                    Ok(file) => file.sync_all().map_err(io)?,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                    Err(e) => return Err(io(e)),
                }
                #[cfg(test)]
                tests::SYNCED_BLOBS.with(|synced| synced.borrow_mut().push(name.clone()));
                wrote_blobs = true;
            }
            present.insert(name, len);
        }
        if wrote_blobs {
            File::open(&blobs).and_then(|dir| dir.sync_all()).map_err(io)?;
        }
        // Only now are the new files' names durable too.
        *synced = present;
        drop(synced);
        self.data_file.sync_all().map_err(io)?;
        Ok(())
    }

    /// Writes `head` to the head file beside the store, once the append
    /// that made it is durable. A head older than one already written by
    /// this process is not written back.
    ///
    /// The file has two fixed-size slots, each `SEQ:HASH CHECK` where CHECK
    /// covers the rest of the slot; the reader takes the highest seq of the
    /// slots that check out. An append overwrites one slot in place and
    /// syncs only its data (one `pwrite` and one `fdatasync`, ~0.1 ms here),
    /// instead of writing a new file and renaming it (two fsyncs and a
    /// rename, ~0.36 ms): a write torn by a crash spoils at most the slot it
    /// wrote, and the other still holds an earlier head, which is all the
    /// check needs (a store may be ahead of its head file, never behind).
    /// The first write by a process to a file of another layout (a new
    /// store, or one written by an earlier pledger) writes the whole file
    /// as before: a new file, fsync, rename, fsync of the directory.
    fn record_head(&self, head: Head) -> Result<(), StoreError> {
        use std::io::{Seek, SeekFrom, Write};
        let io = StoreError::io(&self.path);
        let mut state = self.head_file.lock().unwrap_or_else(|e| e.into_inner());
        if head.seq <= state.recorded && state.recorded != 0 {
            return Ok(());
        }
        if state.file.is_none() {
            let path = self.path.join(HEAD_FILE);
            let existing = File::options().read(true).write(true).open(&path).ok().filter(|file| {
                file.metadata().is_ok_and(|m| m.len() == HEAD_FILE_LEN as u64)
                    && std::fs::read(&path).is_ok_and(|bytes| parse_head_slots(&bytes).is_some())
            });
            if existing.is_none() {
                self.write_head_file(head)?;
                state.recorded = head.seq;
                state.file = File::options().read(true).write(true).open(&path).ok();
                return Ok(());
            }
            state.file = existing;
        }
        let file = state.file.as_ref().expect("opened above");
        let slot = (head.seq % 2) as usize * HEAD_SLOT_LEN;
        let mut writer: &File = file;
        writer
            .seek(SeekFrom::Start(slot as u64))
            .and_then(|_| writer.write_all(&head_slot(head)))
            .map_err(io)?;
        file.sync_data().map_err(io)?;
        state.recorded = head.seq;
        Ok(())
    }

    /// Writes the whole head file with `head` in both slots, so that it is
    /// whole whatever happens: a new file, fsync, rename, fsync of the
    /// directory.
    fn write_head_file(&self, head: Head) -> Result<(), StoreError> {
        let io = StoreError::io(&self.path);
        let temp = self.path.join(format!("{HEAD_FILE}.{}.tmp", std::process::id()));
        let mut file = File::create(&temp).map_err(io)?;
        let mut bytes = head_slot(head).to_vec();
        bytes.extend_from_slice(&head_slot(head));
        std::io::Write::write_all(&mut file, &bytes).map_err(io)?;
        file.sync_all().map_err(io)?;
        std::fs::rename(&temp, self.path.join(HEAD_FILE)).map_err(io)?;
        File::open(&self.path).and_then(|dir| dir.sync_all()).map_err(io)?;
        Ok(())
    }

    /// Refuses a store that holds fewer events than the head file says were
    /// appended.
    ///
    /// sled cannot tell a damaged log from a write torn by a crash, so when
    /// it meets a bad checksum while recovering it takes the log to end
    /// there: one flipped bit in a store written by a single process made
    /// sled open it as empty, and `verify` said "ok: 0 events". The head
    /// file, written after each durable append, keeps the seq that must at
    /// least be there. (A store ahead of it is normal: a crash can land
    /// between the append and the head file.)
    fn check_recorded_head(&self) -> Result<(), StoreError> {
        let bytes = match std::fs::read(self.path.join(HEAD_FILE)) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(source) => return Err(StoreError::io(&self.path)(source)),
        };
        // Earlier pledgers wrote the head file as one line, `SEQ:HASH`.
        let text = String::from_utf8_lossy(&bytes);
        let recorded: Head = match parse_head_slots(&bytes) {
            Some(head) => head,
            // The two-slot layout, with neither slot whole: not a one-line
            // head file to quote back.
            None if bytes.len() == HEAD_FILE_LEN => {
                return Err(self.damaged("its head file is damaged: neither of its two slots checks out"))
            }
            None => {
                text.trim().parse().map_err(|e| self.damaged(&format!("its head file is malformed ({e})")))?
            }
        };
        let head = self.head()?;
        if head.seq < recorded.seq {
            return Err(self.damaged(&format!(
                "the store ends at seq {}, but events up to seq {} were appended (see its head file): \
                 its files were damaged or replaced by older ones",
                head.seq, recorded.seq
            )));
        }
        Ok(())
    }

    /// Stores a projection snapshot covering the events up to `seq`, whose
    /// last event hashes to `covered`, then keeps only the newest
    /// [`SNAPSHOTS_KEPT`]. Listing snapshots never reads their contents.
    ///
    /// The bytes are split into parts of up to `SEGMENT_TARGET`, each the
    /// only value of a tree of its own, for the reason segments are (see
    /// `Store::apply`): kept as 32 KiB values in one tree, a 1,000,000-event
    /// store's 50 MB snapshot cost ~420 MB of writes to the device, most of
    /// them after the import that made it had returned.
    ///
    /// Parts end at line ends where they can (a snapshot is lines of JSON,
    /// see `Projection::to_snapshot`), so that a reader can decode each part
    /// as it reads it, without joining them first.
    pub fn put_snapshot(&self, seq: u64, covered: Hash, bytes: &[u8]) -> Result<(), StoreError> {
        let parts = self.write_snapshot_parts(seq, bytes)?;
        self.finish_snapshot(seq, covered, parts)
    }

    /// The first half of [`Store::put_snapshot`]: writes the parts of the
    /// snapshot at `seq`, not synced and not yet listed (nothing reads
    /// them), and returns how many there are for [`Store::finish_snapshot`].
    ///
    /// An import writes them once its batch is committed but before it is
    /// synced (see [`Store::append_then`]): the import's sync then covers
    /// them too, and finishing the snapshot has little left to sync. Not
    /// before: two writers folding for the same seq would write the same
    /// part trees.
    pub fn write_snapshot_parts(&self, seq: u64, bytes: &[u8]) -> Result<u32, StoreError> {
        let parts = split_at_lines(bytes, SEGMENT_TARGET);
        let count = parts.len() as u32;
        // The trees are all created before any part is written, so that
        // the updates of sled's list of trees sit together in its log
        // rather than between the parts.
        let trees = (0..count)
            .map(|i| self.db.open_tree(snapshot_part_tree(seq, i)).map_err(|e| self.error(e)))
            .collect::<Result<Vec<_>, _>>()?;
        for (tree, part) in trees.iter().zip(parts) {
            tree.insert(SEGMENT_KEY, part).map_err(|e| self.error(e))?;
        }
        Ok(count)
    }

    /// The second half of [`Store::put_snapshot`]: lists the snapshot at
    /// `seq` (its `parts` written already), keeps only the newest
    /// [`SNAPSHOTS_KEPT`], and syncs.
    pub fn finish_snapshot(&self, seq: u64, covered: Hash, parts: u32) -> Result<(), StoreError> {
        let mut head = covered.0.to_vec();
        head.extend_from_slice(&parts.to_be_bytes());
        head.push(SNAPSHOT_IN_TREES);
        self.snapshot_heads.insert(seq.to_be_bytes(), head).map_err(|e| self.error(e))?;
        let heads = self.snapshot_heads()?;
        for &(old, _) in heads.iter().rev().skip(SNAPSHOTS_KEPT) {
            self.remove_snapshot(old)?;
        }
        // A snapshot is derived data (one a crash loses is made again), but
        // it is synced all the same: otherwise its bytes (11 MB at 200,000
        // events) reach the device in the background just as the next
        // appends are made durable, and those waited behind them (13 to
        // 50 ms for one append, measured).
        self.sync()
    }

    /// Every snapshot's seq and the hash of the event it covers, oldest
    /// first, without reading the snapshots themselves.
    pub fn snapshot_heads(&self) -> Result<Vec<(u64, Hash)>, StoreError> {
        let mut out = Vec::new();
        for item in self.snapshot_heads.iter() {
            let (key, value) = item.map_err(|e| self.error(e))?;
            let seq = decode_seq(&key).ok_or_else(|| self.damaged("a snapshot key is malformed"))?;
            let hash = value.get(..32).map(|h| Hash(h.try_into().expect("32 bytes")));
            // A malformed head is reported by verify as a stale snapshot.
            out.push((seq, hash.unwrap_or_default()));
        }
        Ok(out)
    }

    /// The bytes of the snapshot at `seq`, if it is whole.
    pub fn snapshot(&self, seq: u64) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.snapshot_parts(seq)?.map(|parts| parts.concat()))
    }

    /// The parts of the snapshot at `seq`, in order, if it is whole: their
    /// concatenation is the snapshot.
    pub fn snapshot_parts(&self, seq: u64) -> Result<Option<Vec<IVec>>, StoreError> {
        match self.snapshot_part_reads(seq)? {
            Some(reads) => reads.parts.collect(),
            None => Ok(None),
        }
    }

    /// The parts of the snapshot at `seq` as they are read, one by one and
    /// in order, for a caller that works on each as it comes (none if no
    /// snapshot is listed at `seq`). A part is `None` if it is missing:
    /// the snapshot is not whole.
    ///
    /// (Reading the parts on several threads gains nothing: sled reads a
    /// large value on one thread at a time.)
    pub fn snapshot_part_reads(&self, seq: u64) -> Result<Option<SnapshotPartReads<'_>>, StoreError> {
        let Some(head) = self.snapshot_heads.get(seq.to_be_bytes()).map_err(|e| self.error(e))? else {
            return Ok(None);
        };
        let Some(PartsLayout { count, in_trees }) = PartsLayout::of(&head) else {
            return Ok(None);
        };
        let parts: Box<dyn Iterator<Item = Result<Option<IVec>, StoreError>>> = if in_trees {
            Box::new((0..count).map(move |i| match self.existing_tree(&snapshot_part_tree(seq, i))? {
                Some(tree) => tree.get(SEGMENT_KEY).map_err(|e| self.error(e)),
                None => Ok(None),
            }))
        } else {
            // A snapshot written before parts had trees of their own: one
            // range scan over its parts in `snapshot_parts`.
            let mut parts = self.snapshot_parts.range(part_key(seq, 0)..part_key(seq, count));
            Box::new((0..count).map(move |i| match parts.next().transpose().map_err(|e| self.error(e))? {
                Some((key, part)) if key == part_key(seq, i) => Ok(Some(part)),
                _ => Ok(None),
            }))
        };
        Ok(Some(SnapshotPartReads { count, parts }))
    }

    /// Removes every snapshot (they are derived data and can be rebuilt).
    pub fn clear_snapshots(&self) -> Result<(), StoreError> {
        for name in self.snapshot_part_tree_names() {
            self.db.drop_tree(name).map_err(|e| self.error(e))?;
        }
        self.snapshot_heads.clear().map_err(|e| self.error(e))?;
        self.snapshot_parts.clear().map_err(|e| self.error(e))?;
        self.sync()
    }

    fn remove_snapshot(&self, seq: u64) -> Result<(), StoreError> {
        let head = self.snapshot_heads.remove(seq.to_be_bytes()).map_err(|e| self.error(e))?;
        if let Some(PartsLayout { count, in_trees: true }) = head.as_deref().and_then(PartsLayout::of) {
            for i in 0..count {
                self.db.drop_tree(snapshot_part_tree(seq, i)).map_err(|e| self.error(e))?;
            }
            return Ok(());
        }
        let mut batch = sled::Batch::default();
        for item in self.snapshot_parts.scan_prefix(seq.to_be_bytes()) {
            let (key, _) = item.map_err(|e| self.error(e))?;
            batch.remove(key);
        }
        self.snapshot_parts.apply_batch(batch).map_err(|e| self.error(e))
    }

    /// Direct access to the stored records, bypassing the chain's checks, as
    /// an intruder with write access to the files would have. Tamper-evidence
    /// tests use it; nothing else should.
    #[doc(hidden)]
    ///
    /// The journaled tail is checkpointed first, so that every record is in
    /// sled's files, where the intruder works.
    pub fn intruder(&self) -> Intruder<'_> {
        let mut journal = self.journal.lock().unwrap_or_else(|e| e.into_inner());
        self.checkpoint(&mut journal).expect("the intruder's checkpoint");
        Intruder { store: self }
    }

    /// Holds off every append and checkpoint of this store until the guard
    /// is dropped, so that a reader sees one head and the records up to it
    /// with nothing appended in between (see `audit::verify`). Readers are
    /// not held off, and neither are snapshots, which are derived data
    /// written beside an append: one may be listed or pruned meanwhile.
    /// Another process cannot write either: it cannot open the store.
    pub fn pause_writes(&self) -> WritesPaused<'_> {
        WritesPaused { _journal: self.journal.lock().unwrap_or_else(|e| e.into_inner()) }
    }

    fn error(&self, e: sled::Error) -> StoreError {
        store_error(&self.path, e)
    }

    fn damaged(&self, what: &str) -> StoreError {
        StoreError::Damaged { path: self.path.clone(), what: what.to_owned() }
    }
}

impl Drop for Store {
    /// Checkpoints once this process has journaled appends, so that a store
    /// closed cleanly needs nothing from its journal and its head file is
    /// current; the checkpoint writes a tail read back at open too. A store
    /// that was only read is left as it is, even with a tail read back from
    /// the journal: queries do not write the store. A failure here loses
    /// nothing: the entries stay in the journal.
    fn drop(&mut self) {
        let mut journal = self.journal.lock().unwrap_or_else(|e| e.into_inner());
        if journal.written() {
            let _ = self.checkpoint(&mut journal);
        }
    }
}

/// `chunk` without its records after seq `last` (as read, if it has none).
fn cut_after(chunk: IVec, last: u64) -> IVec {
    match len_through(&chunk, last) {
        (kept, true) => chunk.subslice(0, kept),
        // A record that does not frame is left for the reader to report.
        (_, false) => chunk,
    }
}

/// The length of the records with seq up to `last` at the start of
/// `records`, and whether a later record follows them (rather than the end
/// or a record that does not frame).
fn len_through(records: &[u8], last: u64) -> (usize, bool) {
    let mut kept = 0;
    for record in chain::records(records) {
        match record {
            Ok(record) if record.seq() <= last => kept += record.bytes().len(),
            Ok(_) => return (kept, true),
            Err(_) => break,
        }
    }
    (kept, false)
}

/// Lookups in the `ids` and `content` indexes, made either against sled
/// or against a copy of both read whole: see [`Store::index`].
pub struct Index<'s> {
    store: &'s Store,
    read: Option<ReadIndex>,
}

/// Both indexes as read whole: each bucket's stored value, and the
/// journaled tail's entries.
struct ReadIndex {
    ids: Vec<Option<IVec>>,
    content: Vec<Option<IVec>>,
    pending_ids: std::collections::HashMap<Vec<u8>, u64>,
    pending_contents: std::collections::HashMap<[u8; 16], u64>,
}

impl Index<'_> {
    /// [`Store::lookup_id`].
    pub fn lookup_id(&self, kind: IdKind, id: &str) -> Result<Option<u64>, StoreError> {
        match &self.read {
            None => self.store.lookup_id(kind, id),
            Some(_) => self.lookup(&IndexKey::id(kind, id)),
        }
    }

    /// The seq under an id's key (made with [`IndexKey::id`]).
    pub fn lookup(&self, key: &IndexKey) -> Result<Option<u64>, StoreError> {
        let Some(read) = &self.read else { return self.store.lookup(&self.store.ids, &key.bytes) };
        match read.pending_ids.get(&key.bytes) {
            Some(&seq) => Ok(Some(seq)),
            None => self.find(&read.ids, key.bucket, &key.bytes),
        }
    }

    /// [`Store::lookup_anchor`].
    pub fn lookup_anchor(&self, kind: IdKind, id: &str) -> Result<Option<NaiveDate>, StoreError> {
        let Some(read) = &self.read else { return self.store.lookup_anchor(kind, id) };
        let key = IndexKey::anchor(kind, id);
        let days = match read.pending_ids.get(&key.bytes) {
            Some(&days) => Some(days),
            None => self.find(&read.ids, key.bucket, &key.bytes)?,
        };
        Ok(anchor_date(days))
    }

    /// [`Store::lookup_digest`].
    pub fn lookup_digest(&self, digest: &ContentDigest) -> Result<Option<u64>, StoreError> {
        let Some(read) = &self.read else { return self.store.lookup_digest(digest) };
        match read.pending_contents.get(&digest.bytes) {
            Some(&seq) => Ok(Some(seq)),
            None => self.find(&read.content, digest.bucket, &digest.bytes),
        }
    }

    fn find(&self, buckets: &[Option<IVec>], bucket: u16, key: &[u8]) -> Result<Option<u64>, StoreError> {
        match &buckets[bucket as usize] {
            None => Ok(None),
            Some(bytes) => {
                find_in_bucket(bytes, key).ok_or_else(|| self.store.damaged("an index bucket is malformed"))
            }
        }
    }
}

/// An anchor entry's value as a date (see [`Store::lookup_anchor`]).
fn anchor_date(days: Option<u64>) -> Option<NaiveDate> {
    days.and_then(|days| i32::try_from(days).ok()).and_then(NaiveDate::from_num_days_from_ce_opt)
}

/// One stored chunk: consecutive records.
pub struct Chunk(IVec);

impl Chunk {
    /// The chunk's size in bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn records(&self) -> impl Iterator<Item = Result<RawRecord<'_>, FrameError>> {
        chain::records(&self.0)
    }
}

impl Run {
    /// An empty run with room for `bytes` bytes of records.
    pub fn with_capacity(bytes: usize) -> Run {
        Run { bytes: RunBytes::Growing(Vec::with_capacity(bytes)), ends: Vec::new(), sealed: Vec::new() }
    }

    /// Frames a record whose body `write_body` writes to the end of the
    /// buffer it is given, and returns where the body lies in [`Run::bytes`].
    /// Its seq, prev and hash are filled in when it is sealed.
    pub fn frame(&mut self, write_body: impl FnOnce(&mut Vec<u8>)) -> std::ops::Range<usize> {
        let bytes = self.bytes.growing();
        let start = bytes.len();
        chain::frame_unsealed(bytes, write_body);
        let end = bytes.len();
        self.ends.push(end);
        self.sealed.push(false);
        start + chain::HEADER_LEN..end - 32
    }

    /// The run in runs of at most a segment's size (`SEGMENT_TARGET`),
    /// each in a buffer that sled can keep as a segment's value as it is.
    /// The copy is made here, on the thread that framed the run, rather
    /// than by sled in the transaction that stores it.
    pub fn share(self) -> Vec<Run> {
        let pieces: Vec<_> = self.split(0, SEGMENT_TARGET).collect();
        let firsts = pieces.iter().skip(1).map(|(first, _)| *first).chain([self.len()]);
        pieces
            .iter()
            .zip(firsts)
            .map(|((first, range), next)| Run {
                bytes: RunBytes::Shared(IVec::from(&self.bytes()[range.clone()])),
                ends: self.ends[*first..next].iter().map(|end| end - range.start).collect(),
                sealed: self.sealed[*first..next].to_vec(),
            })
            .collect()
    }

    pub fn bytes(&self) -> &[u8] {
        self.bytes.as_slice()
    }

    /// The number of records framed.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Where record `i` starts.
    fn ends_before(&self, i: usize) -> usize {
        if i == 0 {
            0
        } else {
            self.ends[i - 1]
        }
    }

    /// The byte range of record `i`.
    fn range(&self, i: usize) -> std::ops::Range<usize> {
        self.ends_before(i)..self.ends[i]
    }

    /// Appends a sealed record's bytes.
    fn push_sealed(&mut self, record: &[u8]) {
        let bytes = self.bytes.growing();
        bytes.extend_from_slice(record);
        self.ends.push(bytes.len());
        self.sealed.push(true);
    }

    /// Drops the records that were not sealed, moving the others together.
    fn keep_sealed(&mut self) {
        if self.sealed.iter().all(|&sealed| sealed) {
            return;
        }
        let mut kept = Run::with_capacity(self.bytes().len());
        for i in (0..self.len()).filter(|&i| self.sealed[i]) {
            kept.push_sealed(&self.bytes()[self.range(i)]);
        }
        if let RunBytes::Shared(_) = self.bytes {
            kept.bytes = RunBytes::Shared(IVec::from(kept.bytes()));
        }
        *self = kept;
    }

    /// The records from byte `start` on (a record boundary), in pieces of
    /// at most `limit` bytes: the index of each piece's first record, and
    /// its byte range.
    fn split(
        &self,
        start: usize,
        limit: usize,
    ) -> impl Iterator<Item = (usize, std::ops::Range<usize>)> + '_ {
        let first = self.ends.iter().position(|&end| end > start).unwrap_or(self.ends.len());
        let mut run = (start, first);
        let mut next = first;
        let len = self.bytes().len();
        std::iter::from_fn(move || {
            let (run_start, run_first) = run;
            if run_start >= len {
                return None;
            }
            while next < self.ends.len() && self.ends[next] - run_start <= limit {
                next += 1;
            }
            // A record is never larger than `limit`, so a piece holds at least one.
            let run_end = if next == run_first { self.ends[next] } else { self.ends[next - 1] };
            next = next.max(run_first + 1);
            run = (run_end, next);
            Some((run_first, run_start..run_end))
        })
    }
}

/// A run being sealed into its batch: see [`Batch::seal_run`]. When it is
/// dropped, the run joins the batch with the records that were sealed.
pub struct Sealing<'b> {
    batch: &'b mut Batch,
    run: Run,
    /// Records before this one can no longer be sealed.
    next: usize,
}

impl Sealing<'_> {
    /// Record `i` of the run.
    pub fn record(&self, i: usize) -> &[u8] {
        &self.run.bytes()[self.run.range(i)]
    }

    /// Seals record `i` of the run as the batch's next record; records are
    /// sealed in order, and those skipped are dropped. `id` and `content`
    /// index it as [`Batch::push`] does. Returns its seq and hash.
    pub fn seal(&mut self, i: usize, id: Option<IndexKey>, content: Option<ContentDigest>) -> Head {
        assert!(i >= self.next && !self.run.sealed[i], "records are sealed once, in order");
        self.next = i + 1;
        let range = self.run.range(i);
        let seq = self.batch.head.seq + 1;
        let hash = chain::seal(&mut self.run.bytes.as_mut_slice()[range], seq, &self.batch.head.hash);
        self.batch.head = Head { seq, hash };
        self.run.sealed[i] = true;
        self.batch.index(seq, id, content);
        self.batch.head
    }

    /// Indexes the date the checks anchor an id on, under its key (made
    /// with [`IndexKey::anchor`]).
    pub fn push_anchor(&mut self, key: IndexKey, date: NaiveDate) {
        self.batch.ids.push((key, date.num_days_from_ce() as u64));
    }
}

impl Drop for Sealing<'_> {
    fn drop(&mut self) {
        let mut run = std::mem::take(&mut self.run);
        run.keep_sealed();
        if !run.is_empty() {
            self.batch.records += run.len();
            self.batch.bytes += run.bytes().len();
            self.batch.runs.push(run);
        }
    }
}

impl Batch {
    /// An empty batch to be appended after `expected`.
    pub fn new(expected: Head) -> Batch {
        Batch {
            expected,
            head: expected,
            runs: Vec::new(),
            records: 0,
            bytes: 0,
            ids: Vec::new(),
            contents: Vec::new(),
        }
    }

    /// The head the batch was built on.
    pub fn expected(&self) -> Head {
        self.expected
    }

    /// The head after the batch is appended.
    pub fn head(&self) -> Head {
        self.head
    }

    pub fn len(&self) -> usize {
        self.records
    }

    pub fn is_empty(&self) -> bool {
        self.records == 0
    }

    /// The seq the next pushed record will get.
    pub fn next_seq(&self) -> u64 {
        self.head.seq + 1
    }

    /// Frames `body` as the next record. `id` indexes a user-chosen id;
    /// `canonical` indexes an id-less event's content for re-import.
    /// Returns the new record's seq and hash.
    pub fn push(&mut self, body: &[u8], id: Option<(IdKind, &str)>, canonical: Option<&[u8]>) -> Head {
        self.push_digest(body, id, canonical.map(ContentDigest::of))
    }

    /// [`Batch::push`] with the content digest of an id-less event already
    /// computed, so that its canonical bytes are hashed once.
    pub fn push_digest(
        &mut self,
        body: &[u8],
        id: Option<(IdKind, &str)>,
        content: Option<ContentDigest>,
    ) -> Head {
        let Head { seq, hash: prev } = self.head;
        let seq = seq + 1;
        let run = self.last_run();
        let bytes = run.bytes.growing();
        let start = bytes.len();
        let hash = chain::encode(seq, &prev, body, bytes);
        let end = bytes.len();
        run.ends.push(end);
        run.sealed.push(true);
        self.bytes += end - start;
        self.records += 1;
        self.head = Head { seq, hash };
        self.index(seq, id.map(|(kind, id)| IndexKey::id(kind, id)), content);
        self.head
    }

    /// Starts sealing `run`, whose records were framed ahead, as the next
    /// records of this batch: see [`Sealing::seal`].
    pub fn seal_run(&mut self, run: Run) -> Sealing<'_> {
        Sealing { batch: self, run, next: 0 }
    }

    /// Indexes the date the checks anchor `id` on (see
    /// [`Store::lookup_anchor`]).
    pub fn push_anchor(&mut self, kind: IdKind, id: &str, date: NaiveDate) {
        self.ids.push((IndexKey::anchor(kind, id), date.num_days_from_ce() as u64));
    }

    /// The framed records, in order.
    pub fn records(&self) -> impl Iterator<Item = RawRecord<'_>> {
        self.runs
            .iter()
            .flat_map(|run| chain::records(run.bytes()))
            .map(|r| r.expect("batch records are framed by push"))
    }

    /// The index entries of record `seq`.
    fn index(&mut self, seq: u64, id: Option<IndexKey>, content: Option<ContentDigest>) {
        if let Some(key) = id {
            self.ids.push((key, seq));
        }
        if let Some(digest) = content {
            self.contents.push((digest, seq));
        }
    }

    /// The run records are pushed to.
    fn last_run(&mut self) -> &mut Run {
        if self.runs.is_empty() {
            self.runs.push(Run::default());
        }
        self.runs.last_mut().expect("pushed above")
    }

    /// Adds `next`, a batch built on this one's head, to the end of it (its
    /// records copied into this batch's last run).
    fn extend(&mut self, next: &Batch) {
        debug_assert_eq!(next.expected, self.head);
        let run = self.last_run();
        for record in next.records() {
            run.push_sealed(record.bytes());
        }
        self.records += next.records;
        self.bytes += next.bytes;
        self.ids.extend(next.ids.iter().cloned());
        self.contents.extend(next.contents.iter().copied());
        self.head = next.head;
    }

    /// The records in pieces of at most `limit` bytes, each with the seq of
    /// its first record, as values for sled (a shared run's without a
    /// copy); a piece never spans two runs. The first `skip` bytes of the
    /// first run are left out (a record boundary).
    fn pieces(&self, skip: usize, limit: usize) -> impl Iterator<Item = (u64, IVec)> + '_ {
        let mut first_seq = self.expected.seq + 1;
        self.runs.iter().enumerate().flat_map(move |(i, run)| {
            let base = first_seq;
            first_seq += run.len() as u64;
            let start = if i == 0 { skip } else { 0 };
            run.split(start, limit).map(move |(first, range)| (base + first as u64, run.bytes.value(range)))
        })
    }

    /// The bytes of the record with this seq, if the batch has it.
    fn record(&self, seq: u64) -> Option<&[u8]> {
        let mut i = usize::try_from(seq.checked_sub(self.expected.seq + 1)?).ok()?;
        for run in &self.runs {
            if i < run.len() {
                return Some(&run.bytes()[run.range(i)]);
            }
            i -= run.len();
        }
        None
    }

    /// The length of [`Batch::encode`]'s output.
    fn encoded_len(&self) -> usize {
        2 * 40
            + 4
            + self.bytes
            + 4
            + 4 * self.records
            + 4
            + self.ids.iter().map(|(key, _)| 2 + key.bytes.len() + 8).sum::<usize>()
            + 4
            + self.contents.len() * (16 + 8)
    }

    /// The batch as a journal entry's payload: the expected head and the new
    /// head (seq u64 LE ‖ hash), then the record bytes, the record ends, the
    /// id entries and the content entries, each a count (u32 LE) followed
    /// by its items.
    fn encode(&self, out: &mut Vec<u8>) {
        for head in [self.expected, self.head] {
            out.extend_from_slice(&head.seq.to_le_bytes());
            out.extend_from_slice(&head.hash.0);
        }
        out.extend_from_slice(&(self.bytes as u32).to_le_bytes());
        for run in &self.runs {
            out.extend_from_slice(run.bytes());
        }
        out.extend_from_slice(&(self.records as u32).to_le_bytes());
        let mut offset = 0;
        for run in &self.runs {
            for &end in &run.ends {
                out.extend_from_slice(&((offset + end) as u32).to_le_bytes());
            }
            offset += run.bytes().len();
        }
        out.extend_from_slice(&(self.ids.len() as u32).to_le_bytes());
        for (key, seq) in &self.ids {
            out.extend_from_slice(&(key.bytes.len() as u16).to_le_bytes());
            out.extend_from_slice(&key.bytes);
            out.extend_from_slice(&seq.to_le_bytes());
        }
        out.extend_from_slice(&(self.contents.len() as u32).to_le_bytes());
        for (digest, seq) in &self.contents {
            out.extend_from_slice(&digest.bytes);
            out.extend_from_slice(&seq.to_le_bytes());
        }
    }

    /// Reads [`Batch::encode`]'s output; `None` unless it is exactly that,
    /// with records framed as `push` frames them.
    fn decode(bytes: &[u8]) -> Option<Batch> {
        let mut input = Reader(bytes);
        let mut head = || -> Option<Head> {
            let seq = input.u64()?;
            Some(Head { seq, hash: Hash(input.take(32)?.try_into().ok()?) })
        };
        let (expected, new_head) = (head()?, head()?);
        let len = input.u32()? as usize;
        let records = input.take(len)?.to_vec();
        let ends = (0..input.u32()?).map(|_| input.u32().map(|e| e as usize)).collect::<Option<Vec<_>>>()?;
        let ids = (0..input.u32()?)
            .map(|_| {
                let len = input.u16()? as usize;
                Some((IndexKey::from_bytes(input.take(len)?.to_vec()), input.u64()?))
            })
            .collect::<Option<Vec<_>>>()?;
        let contents = (0..input.u32()?)
            .map(|_| Some((ContentDigest::from_bytes(input.take(16)?.try_into().ok()?), input.u64()?)))
            .collect::<Option<Vec<_>>>()?;
        if !input.0.is_empty() || ends.last().copied().unwrap_or(0) != records.len() {
            return None;
        }
        // The records must be exactly the chain from `expected` to `new_head`.
        let mut at = expected;
        let mut start = 0;
        for &end in &ends {
            let (record, rest) = RawRecord::split(records.get(start..end)?).ok()?;
            if !rest.is_empty() || record.seq() != at.seq + 1 || record.prev() != at.hash {
                return None;
            }
            at = Head { seq: record.seq(), hash: record.stored_hash() };
            start = end;
        }
        if at != new_head {
            return None;
        }
        let (count, bytes) = (ends.len(), records.len());
        let runs = if ends.is_empty() {
            Vec::new()
        } else {
            vec![Run { sealed: vec![true; ends.len()], bytes: RunBytes::Growing(records), ends }]
        };
        Some(Batch { expected, head: new_head, runs, records: count, bytes, ids, contents })
    }
}

/// Reads little-endian integers and byte strings off the front of a slice.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.0.len() < n {
            return None;
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Some(head)
    }

    fn u16(&mut self) -> Option<u16> {
        Some(u16::from_le_bytes(self.take(2)?.try_into().ok()?))
    }

    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }

    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }
}

/// See [`Store::pause_writes`]. Every append and checkpoint holds the
/// journal while it writes, so holding it is what pauses them.
pub struct WritesPaused<'a> {
    _journal: std::sync::MutexGuard<'a, Journal>,
}

/// See [`Store::intruder`].
#[doc(hidden)]
pub struct Intruder<'a> {
    store: &'a Store,
}

impl Intruder<'_> {
    /// The first seqs of the segments the store holds, in order.
    pub fn segments(&self) -> Vec<u64> {
        let mut firsts: Vec<u64> = (self.store.db.tree_names().iter())
            .filter_map(|name| name.strip_prefix(b"segment."))
            .filter_map(|digits| std::str::from_utf8(digits).ok()?.parse().ok())
            .collect();
        firsts.sort_unstable();
        firsts
    }

    /// Rewrites the snapshot at `seq` the way stores written before part
    /// trees kept it: its `bytes` in pieces of `piece` bytes (cut anywhere,
    /// mid-line too) in the `snapshot_parts` tree, listed without the
    /// part-tree flag. Tests of that fallback use it.
    pub fn rewrite_snapshot_as_legacy(&self, seq: u64, covered: Hash, bytes: &[u8], piece: usize) {
        let store = self.store;
        store.remove_snapshot(seq).expect("intruder removes the snapshot");
        let pieces: Vec<&[u8]> = bytes.chunks(piece).collect();
        for (i, part) in pieces.iter().enumerate() {
            store.snapshot_parts.insert(part_key(seq, i as u32), *part).expect("intruder writes a part");
        }
        let mut head = covered.0.to_vec();
        head.extend_from_slice(&(pieces.len() as u32).to_be_bytes());
        store.snapshot_heads.insert(seq.to_be_bytes(), head).expect("intruder lists the snapshot");
        store.sync().expect("intruder syncs");
    }

    /// Rewrites the snapshot at `seq` in part trees of `lines` lines each,
    /// every part ending at a line end, as a snapshot too large for one part
    /// is stored. Tests of reading many parts use it.
    pub fn rewrite_snapshot_in_parts_of(&self, seq: u64, covered: Hash, bytes: &[u8], lines: usize) {
        let store = self.store;
        store.remove_snapshot(seq).expect("intruder removes the snapshot");
        let ends: Vec<usize> = (bytes.iter().enumerate())
            .filter(|&(_, &b)| b == b'\n')
            .map(|(at, _)| at + 1)
            .skip(lines - 1)
            .step_by(lines)
            .chain([bytes.len()])
            .collect();
        let mut start = 0;
        let mut count = 0;
        for end in ends {
            if end > start {
                let tree = store.db.open_tree(snapshot_part_tree(seq, count)).expect("intruder opens a part");
                tree.insert(SEGMENT_KEY, &bytes[start..end]).expect("intruder writes a part");
                count += 1;
                start = end;
            }
        }
        store.finish_snapshot(seq, covered, count).expect("intruder lists the snapshot");
    }

    /// Removes part `part` of the snapshot at `seq`, which stays listed.
    pub fn remove_snapshot_part(&self, seq: u64, part: u32) {
        self.store.db.drop_tree(snapshot_part_tree(seq, part)).expect("intruder removes a part");
        self.store.sync().expect("intruder syncs");
    }

    /// The names of the trees that hold snapshot parts, listed or not.
    pub fn snapshot_part_trees(&self) -> Vec<String> {
        let mut names = self.store.snapshot_part_tree_names();
        names.sort();
        names
    }

    /// Removes the tree of the segment whose first record has seq `first`,
    /// leaving its marker in `events`.
    pub fn remove_segment(&self, first: u64) {
        self.store.db.drop_tree(segment_tree_name(first)).expect("intruder removes a segment");
        self.store.sync().expect("intruder syncs");
    }

    /// Every stored record's bytes in storage order, including any beyond the head.
    pub fn records(&self) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        for item in self.store.events.iter() {
            let (key, value) = item.expect("intruder reads the events tree");
            let value = self.store.resolve(&key, value).expect("intruder reads a segment");
            for record in chain::records(&value) {
                out.push(record.expect("intruder reads framed records").bytes().to_vec());
            }
        }
        out
    }

    /// Replaces all stored records with `records` (one chunk each), leaving
    /// the head record and the indexes as they were.
    pub fn replace_records(&self, records: &[Vec<u8>]) {
        let store = self.store;
        for name in store.db.tree_names() {
            if name.starts_with(b"segment.") {
                store.db.drop_tree(name).unwrap();
            }
        }
        store.events.clear().unwrap();
        for (i, record) in records.iter().enumerate() {
            store.events.insert((i as u64 + 1).to_be_bytes(), record.as_slice()).unwrap();
        }
        store.sync().unwrap();
    }

    /// Overwrites the head record, and the head file beside the store.
    pub fn set_head(&self, head: Head) {
        self.store.meta.insert(HEAD_KEY, encode_head(&head).as_slice()).unwrap();
        self.store.sync().unwrap();
        let mut state = self.store.head_file.lock().unwrap();
        *state = HeadFile { recorded: head.seq, file: None };
        self.store.write_head_file(head).unwrap();
    }

    /// Empties the `ids` and `content` indexes.
    pub fn clear_indexes(&self) {
        self.store.ids.clear().unwrap();
        self.store.content.clear().unwrap();
        self.store.sync().unwrap();
    }

    /// Sets the seq the `ids` index gives `kind` `id`.
    pub fn set_id(&self, kind: IdKind, id: &str, seq: u64) {
        let key = IndexKey::id(kind, id);
        let bucket = key.bucket.to_be_bytes();
        let existing = self.store.ids.get(bucket).unwrap();
        let merged = merge_into(existing, &[(&key.bytes, seq)]).unwrap();
        self.store.ids.insert(bucket, merged).unwrap();
        self.store.sync().unwrap();
    }

    /// Puts an entry giving `kind` `id` seq `seq` first in its `ids`
    /// bucket, before any entry the bucket has for it, as a lookup reads
    /// first.
    pub fn put_id_first(&self, kind: IdKind, id: &str, seq: u64) {
        let key = IndexKey::id(kind, id);
        let bucket = key.bucket.to_be_bytes();
        let mut bytes = vec![key.bytes.len() as u8];
        bytes.extend_from_slice(&key.bytes);
        bytes.extend_from_slice(&seq.to_be_bytes());
        bytes.extend_from_slice(&self.store.ids.get(bucket).unwrap().unwrap_or_default());
        self.store.ids.insert(bucket, bytes).unwrap();
        self.store.sync().unwrap();
    }

    /// Adds a key that is no bucket's to the `ids` index.
    pub fn add_stray_index_key(&self) {
        self.store.ids.insert(b"not a bucket", &b""[..]).unwrap();
        self.store.sync().unwrap();
    }

    /// Overwrites the first part of a snapshot's bytes.
    pub fn set_snapshot(&self, seq: u64, bytes: &[u8]) {
        let tree = self.store.db.open_tree(snapshot_part_tree(seq, 0)).unwrap();
        tree.insert(SEGMENT_KEY, bytes).unwrap();
        self.store.sync().unwrap();
    }
}

/// The name of an entry of directory `path` that no ledger has, if any: a
/// ledger is created only in a new or empty directory, or finished in one
/// whose creation stopped part way. Hidden files (`.DS_Store`, `.gitkeep`)
/// and `lost+found` do not count. `None` for a directory that is not there.
fn foreign_entry(path: &Path) -> std::io::Result<Option<String>> {
    let entries = match std::fs::read_dir(path) {
        // Nothing there (`a/b` under a file `a` is nothing too): open says so.
        Err(e) if matches!(e.kind(), std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory) => {
            return Ok(None)
        }
        entries => entries?,
    };
    for entry in entries {
        let name = entry?.file_name().to_string_lossy().into_owned();
        let ours = matches!(name.as_str(), "db" | "conf" | "blobs" | HEAD_FILE | journal::FILE_NAME)
            || name.starts_with("snap.")
            // `Store::record_head`'s temporary file.
            || (name.starts_with(&format!("{HEAD_FILE}.")) && name.ends_with(".tmp"));
        let harmless = name.starts_with('.') || name == "lost+found";
        if !ours && !harmless {
            return Ok(Some(name));
        }
    }
    Ok(None)
}

/// Removes the snapshot files that a process killed while writing one left
/// behind.
///
/// sled 0.34 writes a snapshot to `snap.LSN.generating`, fsyncs it and
/// renames it to `snap.LSN`, but when it opens it reads the newest `snap.*`
/// file, `.generating` ones included. A process killed in between (sled
/// writes snapshots when it opens and closes a store) leaves a file that
/// makes every later open fail with "Read corrupted data", although the
/// store itself is intact. A `.generating` file is never a finished
/// snapshot, so it is removed, while holding the store's lock (the same
/// `flock` sled takes) so that no live process is writing it.
fn remove_unfinished_snapshots(path: &Path, data_path: &Path) -> Result<(), StoreError> {
    let io = StoreError::io(path);
    let unfinished: Vec<PathBuf> = std::fs::read_dir(path)
        .map_err(io)?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("snap.") && n.ends_with(".generating"))
        })
        .collect();
    if unfinished.is_empty() {
        return Ok(());
    }
    let data = File::open(data_path).map_err(io)?;
    match data.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => return Err(StoreError::InUse { path: path.to_owned() }),
        Err(std::fs::TryLockError::Error(e)) => return Err(io(e)),
    }
    for file in unfinished {
        match std::fs::remove_file(&file) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io(e)),
        }
    }
    // Closing `data` releases the lock before sled takes it.
    drop(data);
    Ok(())
}

/// How long opening waits for a ledger in use to be released.
///
/// sled releases its file lock from its background threads shortly after
/// the last handle is dropped, so a store closed just before (by this
/// process or one that is exiting) can still hold it for a moment.
const LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(1);

/// Runs `attempt` until it finds the ledger not in use, or [`LOCK_WAIT`]
/// has passed.
fn waiting_for_lock<T>(mut attempt: impl FnMut() -> Result<T, StoreError>) -> Result<T, StoreError> {
    let started = std::time::Instant::now();
    loop {
        match attempt() {
            Err(StoreError::InUse { .. }) if started.elapsed() < LOCK_WAIT => {
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            other => return other,
        }
    }
}

/// Opens sled's files at `path`.
fn open_sled(path: &Path) -> Result<sled::Db, StoreError> {
    if let Some(damaged) = damaged_conf(path) {
        return Err(damaged);
    }
    // sled panics on some kinds of damaged files instead of returning an
    // error; a damaged store must be reported, never crash the program.
    let opened = std::panic::catch_unwind(|| {
        sled::Config::new()
            .path(path)
            .segment_size(SEGMENT_SIZE)
            .cache_capacity(CACHE_BYTES)
            .flush_every_ms(FLUSH_EVERY_MS)
            .open()
    })
    .map_err(|_| StoreError::Damaged {
        path: path.to_owned(),
        what: "sled cannot read its files (its data file db or its snapshot snap.*)".into(),
    })?;
    opened.map_err(|e| store_error(path, e))
}

/// The settings in sled's configuration file `conf` of every pledger
/// store: sled 0.34's, as pledger opens it. (The file is these lines, then
/// their CRC-32.)
fn conf_settings() -> String {
    format!("segment_size: {SEGMENT_SIZE}\nuse_compression: false\nversion: 0.34\n")
}

/// Why the store at `path` is damaged, if its `conf` says so: it holds
/// other settings than pledger's, and its checksum does not match them.
/// sled only warns of a checksum that does not match, and then reads a
/// changed byte as another segment size or another version of its format
/// ("cannot change the io buffer size across restarts"), which is not what
/// the user needs to hear. Settings whose checksum matches are a real other
/// format, for sled to name; pledger's own settings are read as they are,
/// whatever the checksum (nothing in the file is the ledger's), line by
/// line as sled reads them.
fn damaged_conf(path: &Path) -> Option<StoreError> {
    let bytes = std::fs::read(path.join("conf")).ok()?;
    // (sled takes a file this short for none, as during a creation.)
    let (text, crc) = bytes.split_at(bytes.len().checked_sub(4).filter(|&n| n > 4)?);
    let ours = std::str::from_utf8(text).is_ok_and(|text| text.lines().eq(conf_settings().lines()));
    if ours || crc32fast::hash(text).to_le_bytes() == crc {
        return None;
    }
    Some(StoreError::Damaged {
        path: path.to_owned(),
        what: "sled's configuration file conf is corrupted (its checksum does not match its settings)".into(),
    })
}

fn store_error(path: &Path, e: sled::Error) -> StoreError {
    match e {
        sled::Error::Io(source) if source.to_string().contains("could not acquire lock") => {
            StoreError::InUse { path: path.to_owned() }
        }
        sled::Error::Io(source) => StoreError::io(path)(source),
        // sled's own text ("Read corrupted data at file offset None
        // backtrace ()") names neither the file nor what to do.
        sled::Error::Corruption { at, .. } => {
            let what = match at {
                Some(sled::DiskPtr::Inline(offset)) => {
                    format!("sled's data file db holds corrupted data (at offset {offset})")
                }
                Some(sled::DiskPtr::Blob(_, blob)) => {
                    format!("sled's blob file blobs/{blob} holds corrupted data")
                }
                None => {
                    "sled's files (its data file db or its snapshot snap.*) hold corrupted data".to_owned()
                }
            };
            StoreError::Damaged { path: path.to_owned(), what }
        }
        other => StoreError::Unreadable { path: path.to_owned(), reason: other.to_string() },
    }
}

/// Opens sled's files at `path`, waiting for another process's lock, and for
/// another process's creation of the store: sled writes its `conf` in two
/// writes before it takes its lock, so a store being created can be read
/// with half a `conf`, which sled calls corrupted. A store whose `db` holds
/// nothing and whose head file records no event is taken for one still
/// being created, for as long as a lock is waited for; after that it is a
/// creation that was cut off, and is said to be one.
fn open_sled_finished(path: &Path, data_path: &Path) -> Result<sled::Db, StoreError> {
    let started = std::time::Instant::now();
    loop {
        match waiting_for_lock(|| open_sled(path)) {
            Err(StoreError::Damaged { .. }) if never_stored(path, data_path) => {
                if started.elapsed() < LOCK_WAIT {
                    std::thread::sleep(std::time::Duration::from_millis(5));
                    continue;
                }
                return Err(StoreError::Unreadable {
                    path: path.to_owned(),
                    reason:
                        "its creation stopped before any event was stored (sled's configuration file conf \
                             is incomplete); remove the directory and create the ledger again"
                            .to_owned(),
                });
            }
            other => return other,
        }
    }
}

/// Whether the store at `path` never stored an event: its `db` is missing or
/// empty, and its head file (if any) records none.
fn never_stored(path: &Path, data_path: &Path) -> bool {
    let empty = std::fs::metadata(data_path).map_or(true, |meta| meta.len() == 0);
    empty && recorded_events(path).is_ok_and(|n| n == 0)
}

/// How many events the head file at `path` records (0 with none).
fn recorded_events(path: &Path) -> std::io::Result<u64> {
    match std::fs::read(path.join(HEAD_FILE)) {
        // Either format: two checked slots, or the one line earlier
        // pledgers wrote.
        Ok(bytes) => Ok(parse_head_slots(&bytes)
            .or_else(|| std::str::from_utf8(&bytes).ok()?.trim().parse::<Head>().ok())
            .map_or(0, |head| head.seq)),
        Err(e) if matches!(e.kind(), std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory) => {
            Ok(0)
        }
        Err(e) => Err(e),
    }
}

/// Why a ledger directory that has lost sled's data file is damaged, if it
/// is: its `db` is missing or empty although its head file records events.
/// Nothing else proves that the ledger ever held any: sled's `conf`,
/// `blobs` and snapshots and pledger's journal are all made before `db`
/// holds anything, so a creation that is under way in another process, or
/// that stopped part way, leaves them beside an empty `db`.
fn lost_data_file(path: &Path, data_path: &Path) -> std::io::Result<Option<String>> {
    // (Anything else wrong with `db` is for opening it to find.)
    let empty = std::fs::metadata(data_path).is_ok_and(|meta| meta.is_file() && meta.len() == 0);
    if data_path.exists() && !empty {
        return Ok(None);
    }
    let recorded = recorded_events(path)?;
    if recorded == 0 {
        return Ok(None);
    }
    let state = if empty { "empty" } else { "missing" };
    Ok(Some(format!("sled's data file db is {state}, though the head file records {recorded} events")))
}

/// How many projection snapshots are kept: the newest, and one before it
/// in case the newest no longer matches the chain. Older ones would only
/// speed up `--at` queries far in the past, at a cost in space that grows
/// with the square of the chain's length.
pub const SNAPSHOTS_KEPT: usize = 2;

/// What ends a snapshot head whose parts are trees of their own
/// ([`snapshot_part_tree`]); a head without it is 36 bytes, and its parts are
/// in `snapshot_parts`.
const SNAPSHOT_IN_TREES: u8 = 2;

/// Where a snapshot head (its covered hash, part count and, for parts in
/// trees of their own, [`SNAPSHOT_IN_TREES`]) says the snapshot's parts are.
struct PartsLayout {
    count: u32,
    /// In trees of their own ([`snapshot_part_tree`]), or else in
    /// `snapshot_parts`.
    in_trees: bool,
}

impl PartsLayout {
    /// The layout a head gives, or `None` for a head too short to say.
    fn of(head: &[u8]) -> Option<PartsLayout> {
        let count = u32::from_be_bytes(head.get(32..36)?.try_into().expect("4 bytes"));
        Some(PartsLayout { count, in_trees: head.get(36) == Some(&SNAPSHOT_IN_TREES) })
    }
}

/// The parts of one snapshot as [`Store::snapshot_part_reads`] reads them.
pub struct SnapshotPartReads<'a> {
    /// How many parts the snapshot has.
    pub count: u32,
    /// Each part in turn, `None` for a missing one.
    pub parts: Box<dyn Iterator<Item = Result<Option<IVec>, StoreError>> + 'a>,
}

/// The prefix of the trees holding snapshot parts.
const SNAPSHOT_TREE_PREFIX: &str = "snapshot.";

/// The name of the tree holding part `part` of the snapshot at `seq`.
fn snapshot_part_tree(seq: u64, part: u32) -> String {
    format!("{SNAPSHOT_TREE_PREFIX}{seq:020}.{part:06}")
}

fn part_key(seq: u64, part: u32) -> [u8; 12] {
    let mut key = [0u8; 12];
    key[..8].copy_from_slice(&seq.to_be_bytes());
    key[8..].copy_from_slice(&part.to_be_bytes());
    key
}

/// An index bucket's key (see [`bucket_of`]).
type BucketKey = [u8; 2];

/// An index bucket's key and value.
type Bucket = (BucketKey, Vec<u8>);

/// An index key and its seq (or, for an anchor, day number).
type IndexEntry<'a> = (&'a [u8], u64);

/// Records to store under their first seq: a chunk, or a segment.
type Piece = (u64, IVec);

/// Index buckets per tree.
const INDEX_BUCKETS: u16 = 4096;

/// The bucket an index key falls in.
fn bucket_of(key: &[u8]) -> u16 {
    let hash = blake3::hash(key);
    u16::from_be_bytes([hash.as_bytes()[0], hash.as_bytes()[1]]) % INDEX_BUCKETS
}

/// The seq `key` has in a bucket (see [`decode_bucket`]), read in place;
/// `None` if the bucket is malformed.
fn find_in_bucket(bytes: &[u8], key: &[u8]) -> Option<Option<u64>> {
    let mut rest = bytes;
    while let Some((&len, tail)) = rest.split_first() {
        let len = len as usize;
        let entry = tail.get(..len + 8)?;
        if &entry[..len] == key {
            return Some(Some(u64::from_be_bytes(entry[len..].try_into().ok()?)));
        }
        rest = &tail[len + 8..];
    }
    Some(None)
}

/// A bucket's entries: each is key length (u8) ‖ key ‖ seq (u64 BE), sorted by key.
fn decode_bucket(bytes: &[u8]) -> Option<Vec<(&[u8], u64)>> {
    let mut out = Vec::new();
    let mut rest = bytes;
    while let Some((&len, tail)) = rest.split_first() {
        let len = len as usize;
        let key = tail.get(..len)?;
        let seq = u64::from_be_bytes(tail.get(len..len + 8)?.try_into().ok()?);
        out.push((key, seq));
        rest = &tail[len + 8..];
    }
    Some(out)
}

/// An index bucket's stored value with `new` entries added; `None` if the
/// stored value is malformed. Such a bucket is not rebuilt from the new
/// entries: the ids it held would be lost, and an event reusing one of them
/// would then be taken for a new one. The store is reported damaged
/// instead, as a lookup in that bucket reports it.
fn merge_into(existing: Option<IVec>, new: &[(&[u8], u64)]) -> Option<Vec<u8>> {
    let existing = match existing.as_deref() {
        None => Vec::new(),
        Some(bytes) => decode_bucket(bytes)?,
    };
    Some(merge_bucket(existing, new))
}

/// The bucket with `new` entries added (a key already present, or given
/// twice, takes the last seq given).
fn merge_bucket(existing: Vec<(&[u8], u64)>, new: &[(&[u8], u64)]) -> Vec<u8> {
    let mut entries = existing;
    entries.extend_from_slice(new);
    // A stable sort keeps equal keys in the order given; the last one of
    // each run of equal keys is kept.
    entries.sort_by(|a, b| a.0.cmp(b.0));
    let mut kept: Vec<(&[u8], u64)> = Vec::with_capacity(entries.len());
    for entry in entries {
        match kept.last_mut() {
            Some(last) if last.0 == entry.0 => *last = entry,
            _ => kept.push(entry),
        }
    }
    let mut out = Vec::with_capacity(kept.len() * 32);
    for (key, seq) in kept {
        out.push(key.len() as u8);
        out.extend_from_slice(key);
        out.extend_from_slice(&seq.to_be_bytes());
    }
    out
}

/// The `ids` tree's key for an id's anchor date: `@`, the kind's tag, the
/// id. Its entry's value is the date's day number from the common era, in
/// place of a seq.
fn anchor_key(kind: IdKind, id: &str) -> Vec<u8> {
    let mut key = Vec::with_capacity(2 + id.len());
    key.push(b'@');
    key.extend_from_slice(&id_key(kind, id));
    key
}

fn id_key(kind: IdKind, id: &str) -> Vec<u8> {
    let tag = match kind {
        IdKind::Announcement => b'a',
        IdKind::Commitment => b'c',
        IdKind::Meeting => b'm',
    };
    let mut key = Vec::with_capacity(1 + id.len());
    key.push(tag);
    key.extend_from_slice(id.as_bytes());
    key
}

/// What the content index keys an id-less event by: the [`EventDigest`]
/// of its canonical bytes, with the bucket it falls in (worked out once,
/// where the digest is made).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ContentDigest {
    bytes: [u8; 16],
    bucket: u16,
}

impl ContentDigest {
    pub fn of(canonical: &[u8]) -> ContentDigest {
        ContentDigest::from(EventDigest::of(canonical))
    }

    fn from_bytes(bytes: [u8; 16]) -> ContentDigest {
        ContentDigest { bytes, bucket: bucket_of(&bytes) }
    }
}

impl From<EventDigest> for ContentDigest {
    fn from(digest: EventDigest) -> ContentDigest {
        ContentDigest::from_bytes(digest.0)
    }
}

/// A key of the `ids` index (an id, or an id's anchor date) with the
/// bucket it falls in, worked out once, where the key is made: a large
/// batch's keys are made on all cores, ahead of the checks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IndexKey {
    bytes: Vec<u8>,
    bucket: u16,
}

impl IndexKey {
    /// The key of a user-chosen id.
    pub fn id(kind: IdKind, id: &str) -> IndexKey {
        IndexKey::from_bytes(id_key(kind, id))
    }

    /// The key of the date the checks anchor `id` on.
    pub fn anchor(kind: IdKind, id: &str) -> IndexKey {
        IndexKey::from_bytes(anchor_key(kind, id))
    }

    fn from_bytes(bytes: Vec<u8>) -> IndexKey {
        let bucket = bucket_of(&bytes);
        IndexKey { bytes, bucket }
    }
}

fn encode_head(head: &Head) -> [u8; 40] {
    let mut out = [0u8; 40];
    out[..8].copy_from_slice(&head.seq.to_be_bytes());
    out[8..].copy_from_slice(&head.hash.0);
    out
}

fn decode_head(bytes: &[u8]) -> Option<Head> {
    let bytes: &[u8; 40] = bytes.try_into().ok()?;
    Some(Head {
        seq: u64::from_be_bytes(bytes[..8].try_into().unwrap()),
        hash: Hash(bytes[8..].try_into().unwrap()),
    })
}

fn decode_seq(bytes: &[u8]) -> Option<u64> {
    Some(u64::from_be_bytes(bytes.try_into().ok()?))
}

/// What this process knows of the head file: see `Store::record_head`.
struct HeadFile {
    recorded: u64,
    file: Option<File>,
}

/// One slot of the head file; the file is two of them.
const HEAD_SLOT_LEN: usize = 128;
const HEAD_FILE_LEN: usize = 2 * HEAD_SLOT_LEN;

/// `SEQ:HASH CHECK\n` padded with spaces, where CHECK is the first 16 hex
/// digits of BLAKE3 over `SEQ:HASH`.
fn head_slot(head: Head) -> [u8; HEAD_SLOT_LEN] {
    let text = head.to_string();
    let check = &blake3::hash(text.as_bytes()).to_hex()[..16];
    let line = format!("{text} {check}\n");
    let mut slot = [b' '; HEAD_SLOT_LEN];
    slot[..line.len()].copy_from_slice(line.as_bytes());
    slot
}

/// The highest head among the slots that check out, if the bytes have the
/// two-slot layout and at least one slot is whole.
fn parse_head_slots(bytes: &[u8]) -> Option<Head> {
    if bytes.len() != HEAD_FILE_LEN {
        return None;
    }
    bytes
        .chunks(HEAD_SLOT_LEN)
        .filter_map(|slot| {
            let text = std::str::from_utf8(slot).ok()?.trim();
            let (head, check) = text.split_once(' ')?;
            let expected = &blake3::hash(head.as_bytes()).to_hex()[..16];
            if check != expected {
                return None;
            }
            head.parse::<Head>().ok()
        })
        .max_by_key(|head| head.seq)
}

#[cfg(test)]
mod tests {
    use super::*;

    thread_local! {
        /// The faults injected on this thread (see [`injected`]).
        pub(super) static FAULTS: std::cell::RefCell<std::collections::HashSet<&'static str>> =
            Default::default();
    }

    thread_local! {
        /// The blob files `Store::sync` fsynced on this thread, by name.
        pub(super) static SYNCED_BLOBS: std::cell::RefCell<Vec<std::ffi::OsString>> = Default::default();
    }

    /// Runs `f` with the faults `names` injected on this thread.
    fn with_faults<T>(names: &[&'static str], f: impl FnOnce() -> T) -> T {
        FAULTS.with(|faults| faults.borrow_mut().extend(names));
        let out = f();
        FAULTS.with(|faults| faults.borrow_mut().clear());
        out
    }

    fn open(dir: &Path) -> Store {
        Store::open(dir, OpenMode::Create).unwrap()
    }

    /// Appends `n` single records of `size` bytes, each journaled.
    fn append_singles(store: &Store, n: usize, size: usize) {
        for _ in 0..n {
            let mut batch = Batch::new(store.head().unwrap());
            batch.push(&vec![b'x'; size], None, None);
            store.append(&batch).unwrap();
        }
    }

    /// 300 records of 1,000 bytes on the head: too large for the journal.
    fn large_batch(store: &Store) -> Batch {
        let mut batch = Batch::new(store.head().unwrap());
        for _ in 0..300 {
            batch.push(&[b'x'; 1000], None, None);
        }
        batch
    }

    /// The seqs of every record a scan reads.
    fn scanned(store: &Store) -> Vec<u64> {
        let mut seqs = Vec::new();
        for chunk in store.chunks(1) {
            for record in chunk.unwrap().records() {
                seqs.push(record.unwrap().seq());
            }
        }
        seqs
    }

    #[test]
    fn a_large_append_whose_settling_fails_is_reported_appended() {
        // given a store
        let dir = tempfile::tempdir().unwrap();
        let store = open(dir.path());
        // when a large append's transaction commits and reading its keys
        // back then fails
        let batch = large_batch(&store);
        let mut committed = false;
        let result = with_faults(&["settling fails"], || store.append_then(&batch, || committed = true));
        // then it is reported appended, as sled holds it, and is durable
        assert_eq!(result.unwrap(), batch.head());
        assert!(committed);
        store.append(&large_batch(&store)).unwrap();
        drop(store);
        let store = open(dir.path());
        assert_eq!(store.head().unwrap().seq, 600);
        assert_eq!(scanned(&store), (1..=600).collect::<Vec<_>>());
    }

    #[test]
    fn a_checkpoint_whose_settling_fails_does_not_apply_its_tail_again() {
        // given a journaled tail too large to be written as chunks (over
        // the journal's batch limit in all)
        let dir = tempfile::tempdir().unwrap();
        let store = open(dir.path());
        append_singles(&store, 300, 1000);
        // when the checkpoint before a large append commits the tail and
        // reading its keys back fails, and later appends follow
        with_faults(&["settling fails"], || store.append(&large_batch(&store))).unwrap();
        store.append(&large_batch(&store)).unwrap();
        append_singles(&store, 2, 10);
        // then every record is there once, and the store is sound
        assert_eq!(scanned(&store), (1..=902).collect::<Vec<_>>());
        drop(store);
        let store = open(dir.path());
        assert_eq!(scanned(&store), (1..=902).collect::<Vec<_>>());
    }

    /// A copy of the store's files as they are, as a crash would leave them.
    fn crash_copy(from: &Path) -> tempfile::TempDir {
        let to = tempfile::tempdir().unwrap();
        let copied = std::process::Command::new("cp")
            .arg("-a")
            .arg(format!("{}/.", from.display()))
            .arg(to.path())
            .status()
            .unwrap();
        assert!(copied.success());
        to
    }

    fn single(store: &Store) -> Batch {
        let mut batch = Batch::new(store.head().unwrap());
        batch.push(b"{\"n\":1}", None, None);
        batch
    }

    #[test]
    fn a_journal_write_reported_failed_is_not_replayed_although_the_device_took_it() {
        for earlier in [0, 2] {
            // given a store with `earlier` journaled appends
            let dir = tempfile::tempdir().unwrap();
            let store = open(dir.path());
            append_singles(&store, earlier, 10);
            // when an append's journal write reaches the device but is
            // reported failed
            let result = with_faults(&["a journal write reaches the device but fails"], || {
                store.append(&single(&store))
            });
            assert!(matches!(result, Err(AppendError::Store(StoreError::Io { .. }))), "{earlier}");
            // then it is not in the store, neither after a crash nor after
            // a close, and appends go on
            let crashed = crash_copy(dir.path());
            assert_eq!(open(crashed.path()).head().unwrap().seq, earlier as u64, "{earlier}");
            drop(store);
            let store = open(dir.path());
            assert_eq!(store.head().unwrap().seq, earlier as u64, "{earlier}");
            store.append(&single(&store)).unwrap();
            assert_eq!(scanned(&store), (1..=earlier as u64 + 1).collect::<Vec<_>>());
        }
    }

    #[test]
    fn a_journal_write_that_cannot_be_undone_leaves_the_outcome_to_the_next_open() {
        // given a store with a journaled append
        let dir = tempfile::tempdir().unwrap();
        let store = open(dir.path());
        append_singles(&store, 1, 10);
        // when an append's journal write reaches the device but is reported
        // failed, and so is the write that would undo it
        let faults = ["a journal write reaches the device but fails", "undoing a journal write fails"];
        let failed = with_faults(&faults, || store.append(&single(&store))).unwrap_err().to_string();
        // then the caller is told it may be in the ledger, and this process
        // appends nothing more
        assert!(failed.contains("may still be in the ledger when it is next opened"), "{failed}");
        let refused = store.append(&single(&store)).unwrap_err().to_string();
        assert!(refused.contains("journal write failed and could not be undone"), "{refused}");
        // and the next open finds it, the device having kept it
        drop(store);
        let store = open(dir.path());
        assert_eq!(scanned(&store), [1, 2]);
    }

    #[test]
    fn an_append_into_a_malformed_index_bucket_is_refused_and_writes_nothing() {
        for large in [false, true] {
            // given a store that knows an id, whose index bucket is then
            // damaged
            let dir = tempfile::tempdir().unwrap();
            let store = open(dir.path());
            let mut batch = Batch::new(Head::EMPTY);
            batch.push(b"{\"id\":\"a1\"}", Some((IdKind::Announcement, "a1")), None);
            store.append(&batch).unwrap();
            store.intruder();
            let key = IndexKey::id(IdKind::Announcement, "a1");
            let damaged: &[u8] = b"\x05a1";
            store.ids.insert(key.bucket.to_be_bytes(), damaged).unwrap();
            let head = store.head().unwrap();
            // when a batch adds an entry to that bucket (another id that
            // falls in it), and is written to sled
            let other = (0..)
                .map(|i| format!("other-{i}"))
                .find(|id| IndexKey::id(IdKind::Commitment, id).bucket == key.bucket)
                .unwrap();
            let mut batch = if large { large_batch(&store) } else { Batch::new(head) };
            batch.push(b"{\"id\":\"other\"}", Some((IdKind::Commitment, &other)), None);
            let result = match large {
                true => store.append(&batch).map(|_| ()),
                false => {
                    store.append(&batch).unwrap();
                    let mut journal = store.journal.lock().unwrap();
                    store.checkpoint(&mut journal).map_err(AppendError::from)
                }
            };
            // then the store is reported damaged, and sled is left as it was
            let error = result.unwrap_err().to_string();
            assert!(error.contains("an index bucket is malformed"), "{large}: {error}");
            assert_eq!(store.stored_head().unwrap(), head, "{large}");
            assert_eq!(store.ids.get(key.bucket.to_be_bytes()).unwrap().as_deref(), Some(damaged));
        }
    }

    #[test]
    fn a_batch_with_more_ids_than_buckets_fills_the_missing_buckets_and_keeps_the_stored_ones() {
        // given a store whose sled already holds one id, written by a large batch
        let dir = tempfile::tempdir().unwrap();
        let store = open(dir.path());
        let mut batch = large_batch(&store);
        batch.push(b"{\"id\":\"a1\"}", Some((IdKind::Announcement, "a1")), None);
        store.append(&batch).unwrap();
        let stored = IndexKey::id(IdKind::Announcement, "a1");
        let before = store.ids.get(stored.bucket.to_be_bytes()).unwrap();
        assert!(before.as_deref().is_some_and(|bucket| !bucket.is_empty()));
        // when a large batch brings more ids than there are buckets
        let ids: Vec<String> = (0..INDEX_BUCKETS as usize + 500).map(|i| format!("c{i}")).collect();
        let mut batch = Batch::new(store.head().unwrap());
        for id in &ids {
            batch.push(b"{\"id\":\"c\"}", Some((IdKind::Commitment, id)), None);
        }
        let head = store.append(&batch).unwrap();
        // then every bucket is there, the stored one still holds the old id
        // next to any new ones, and every id is found after a reopen
        assert_eq!(store.ids.len(), INDEX_BUCKETS as usize);
        let after = store.ids.get(stored.bucket.to_be_bytes()).unwrap().unwrap();
        assert!(find_in_bucket(&after, &stored.bytes).is_some_and(|seq| seq == Some(301)));
        drop(store);
        let store = open(dir.path());
        assert_eq!(store.head().unwrap(), head);
        assert_eq!(store.lookup_id(IdKind::Announcement, "a1").unwrap(), Some(301));
        for (i, id) in ids.iter().enumerate() {
            assert_eq!(store.lookup_id(IdKind::Commitment, id).unwrap(), Some(302 + i as u64), "{id}");
        }
        assert_eq!(store.lookup_id(IdKind::Commitment, "c-missing").unwrap(), None);
    }

    #[test]
    fn a_blob_file_is_synced_whatever_its_modification_time_says() {
        // given a store synced once, then given a value large enough for
        // sled to write it to a blob file of its own, while the clock stood
        // an hour behind (as after the clock is stepped back)
        let dir = tempfile::tempdir().unwrap();
        let store = open(dir.path());
        store.sync().unwrap();
        store.snapshot_parts.insert(b"large", vec![7u8; 3 << 20]).unwrap();
        store.db.flush().unwrap();
        let mut blobs: Vec<std::ffi::OsString> =
            std::fs::read_dir(dir.path().join("blobs")).unwrap().map(|e| e.unwrap().file_name()).collect();
        blobs.sort();
        assert!(!blobs.is_empty(), "sled wrote no blob file");
        let an_hour_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
        for name in &blobs {
            let file = File::options().write(true).open(dir.path().join("blobs").join(name)).unwrap();
            file.set_modified(an_hour_ago).unwrap();
        }
        let synced = || SYNCED_BLOBS.with(|synced| std::mem::take(&mut *synced.borrow_mut()));
        synced();
        // when the store is synced
        store.sync().unwrap();
        // then every blob file is made durable, once
        let mut fsynced = synced();
        fsynced.sort();
        assert_eq!(fsynced, blobs);
        store.sync().unwrap();
        assert_eq!(synced(), Vec::<std::ffi::OsString>::new());
    }

    #[test]
    fn a_tail_read_back_from_the_journal_reaches_sled_at_the_next_writers_checkpoint() {
        for writer in ["a large append", "a small append and a close"] {
            // given a store left by a crash with appends in its journal
            // alone, opened and closed once by a process that only read it
            let dir = tempfile::tempdir().unwrap();
            let store = open(dir.path());
            append_singles(&store, 3, 10);
            let crashed = crash_copy(dir.path());
            drop(store);
            let read = Store::open(crashed.path(), OpenMode::Existing).unwrap();
            assert_eq!(read.head().unwrap().seq, 3);
            drop(read);
            // when a process appends to it
            let store = open(crashed.path());
            let last = match writer {
                "a large append" => store.append(&large_batch(&store)).unwrap().seq,
                _ => store.append(&single(&store)).unwrap().seq,
            };
            drop(store);
            // then its checkpoint wrote the tail read back to sled, before
            // what the process appended
            let store = open(crashed.path());
            assert_eq!(store.stored_head().unwrap().seq, last, "{writer}");
            assert!(store.pending().batch.is_none(), "{writer}");
            assert_eq!(scanned(&store), (1..=last).collect::<Vec<_>>(), "{writer}");
        }
    }

    #[test]
    fn an_error_from_sleds_commit_stops_further_writes() {
        // given a store with a journaled tail
        let dir = tempfile::tempdir().unwrap();
        let store = open(dir.path());
        append_singles(&store, 2, 10);
        // when sled reports an error from committing a large append, which
        // may have applied part of it
        assert!(with_faults(&["sled's commit fails"], || store.append(&large_batch(&store))).is_err());
        // then no later append or checkpoint runs on what this process holds
        let mut batch = Batch::new(store.head().unwrap());
        batch.push(b"{}", None, None);
        let refused = store.append(&batch).unwrap_err().to_string();
        assert!(refused.contains("sled failed while committing an append"), "{refused}");
        assert!(refused.contains("open the ledger again"), "{refused}");
    }

    #[test]
    fn snapshot_pieces_end_at_line_ends_unless_a_line_is_too_long() {
        let cases: [(&[u8], &[&[u8]]); 5] = [
            (b"ab\ncd\nef\n", &[b"ab\ncd\n", b"ef\n"]),
            (b"abcdefghij\nk\n", &[b"abcdef", b"ghij\n", b"k\n"]),
            (b"abc\n", &[b"abc\n"]),
            (b"ab\ncd", &[b"ab\ncd"]),
            (b"", &[]),
        ];
        for (bytes, expected) in cases {
            let pieces = split_at_lines(bytes, 6);
            assert_eq!(pieces, expected, "{:?}", String::from_utf8_lossy(bytes));
            assert_eq!(pieces.concat(), bytes);
        }
    }

    #[test]
    fn a_refused_permission_on_open_says_to_verify_a_copy() {
        // (Tests run as root here, which no permission stops, so the
        // mapping is checked on the error the operating system gives.)
        let path = PathBuf::from("archive/ledger");
        let denied =
            StoreError::Io { path: path.clone(), error: std::io::ErrorKind::PermissionDenied.into() };
        let message = not_writable(denied).to_string();
        assert!(
            message.starts_with("the ledger at archive/ledger cannot be opened: permission denied;"),
            "{message}"
        );
        assert!(message.ends_with("(cp -r archive/ledger COPY; pledger --ledger COPY verify)"), "{message}");
        // Other refusals keep the operating system's words.
        let full = StoreError::Io { path, error: std::io::ErrorKind::StorageFull.into() };
        assert!(matches!(not_writable(full), StoreError::Io { .. }));
    }

    #[test]
    fn a_torn_head_slot_leaves_the_other_one() {
        let older = Head { seq: 41, hash: Hash([1; 32]) };
        let newer = Head { seq: 42, hash: Hash([2; 32]) };
        let mut bytes = [head_slot(older), head_slot(newer)].concat();
        assert_eq!(parse_head_slots(&bytes), Some(newer));
        // A write of the newer slot torn half-way: the older one stands.
        bytes[HEAD_SLOT_LEN + 20..].fill(0);
        assert_eq!(parse_head_slots(&bytes), Some(older));
        bytes[..10].copy_from_slice(b"9999999999");
        assert_eq!(parse_head_slots(&bytes), None);
        assert_eq!(parse_head_slots(b"42:00\n"), None);
    }
}
