//! The journal: a write-ahead file that makes a small append durable with
//! one write to the device.
//!
//! sled 0.34 makes writes durable only through `Db::flush`, which writes its
//! buffers and calls `sync_file_range` on them; with the fsync of the data
//! file and the head file, one single-event append cost three to four device
//! flushes (about 2,400 appends/s here). Instead, a small append writes its
//! [`Batch`] here, in one `O_DIRECT | O_DSYNC` write of whole 4 KiB blocks
//! (one device flush: about 76 µs here, against 91 µs for `pwrite` plus
//! `fdatasync`), and is acknowledged once that write returns: sled is not
//! written. The batch joins the *journaled tail*, the appends since the
//! last checkpoint, which the store keeps in memory as one batch on sled's
//! head, and which reads see after sled's records.
//!
//! A *checkpoint* writes the whole tail to sled in one transaction, flushes
//! sled, fsyncs its files and records the head in the head file. It happens
//! when the journal is full ([`CAPACITY`]), before a batch too large for
//! it, and when a store that this process appended to is closed. When a
//! store opens, the entries that continue sled's chain (appends
//! acknowledged before a crash) are read back and become the tail again,
//! in memory only (see `Store::replay_journal`): sled gets them at the next
//! checkpoint of a process that writes, and a process that only reads
//! leaves them here.
//!
//! A checkpoint makes the entries redundant, and the next entry is written
//! at the start of the file again.
//! Entries from before a checkpoint may remain behind the newer ones; they
//! all end at or before the checkpoint's head, so replay skips them.
//!
//! Layout: the file is a run of entries, each starting on a 4 KiB boundary:
//!
//! | bytes | what |
//! |-------|------|
//! | 8     | magic `PLJRNL01` |
//! | 4     | payload length (u32 LE) |
//! | 32    | BLAKE3 (`derive_key("pledger journal v1")`) of the payload |
//! | …     | payload: the batch (see `Batch::encode`) |
//! | …     | zeros up to the next 4 KiB boundary |
//!
//! The file is grown in steps of [`GROWTH`] by writing zeros and syncing,
//! so that an entry's write never has to change the file's size or
//! allocate blocks, which would add a journal commit of the file system to
//! the device flush.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

use super::Batch;

/// The journal's name in the ledger directory.
pub const FILE_NAME: &str = "journal";

/// Entries start on multiples of this (the block size `O_DIRECT` asks for).
const BLOCK: usize = 4096;

/// The file grows by this much at a time.
const GROWTH: u64 = 1 << 20;

/// A checkpoint happens before an entry would take the file past this:
/// 4,096 single-event appends. A checkpoint costs a sled transaction, a
/// flush and fsyncs (2 ms here, but 12 to 40 ms when sled is cleaning
/// segments after a large import), so it is spread over many appends, as
/// SQLite's WAL checkpoints are (every 1,000 pages by default). The file
/// grows to this size only in a process that makes that many appends; one
/// that appends and exits checkpoints when it closes the store.
pub const CAPACITY: u64 = 16 << 20;

/// Batches with more record bytes than this are not journaled: they are
/// written to sled and flushed, which costs the same few flushes whatever
/// the size.
pub const BATCH_LIMIT: usize = 256 << 10;

const MAGIC: &[u8; 8] = b"PLJRNL01";
const HEADER: usize = 8 + 4 + 32;
const CONTEXT: &str = "pledger journal v1";

/// An open journal file and where the next entry goes.
pub struct Journal {
    path: PathBuf,
    file: File,
    /// Whether `file` was opened with `O_DIRECT | O_DSYNC` (Linux, and a
    /// file system that supports it); otherwise each write is followed by
    /// `fdatasync`.
    direct: bool,
    /// Where the next entry is written.
    end: u64,
    /// The file's length (always a multiple of [`GROWTH`]).
    len: u64,
    /// Whether this process wrote entries since the last checkpoint.
    /// Entries read back at open (an earlier process's) do not count: a
    /// process that only reads must not checkpoint them (see `Store::drop`).
    written: bool,
    /// The buffer entries are written from, kept between writes.
    buffer: AlignedBuf,
    /// Where reading back at open stopped at an entry that begins as one
    /// does but is cut short or fails its checksum (see
    /// [`Journal::damaged_entry`]).
    damaged_at: Option<u64>,
    /// Where a whole entry that continues the chain past the damaged one
    /// lies after it (see [`Journal::lost_before`]).
    whole_after_damage: Option<u64>,
}

/// Why [`Journal::write`] failed.
#[derive(Debug)]
pub struct WriteError {
    pub error: io::Error,
    /// Whether the device may hold the entry all the same: its write was
    /// reported failed, and so was the write that would have undone it.
    pub maybe_written: bool,
}

/// One entry read back: the batch and where the entry starts.
pub struct Entry {
    pub batch: Batch,
    pub start: u64,
}

impl Journal {
    /// Opens the journal in `dir`, creating it (empty) if there is none, and
    /// returns it with the entries that end after seq `after`, in file
    /// order, up to the first entry that is torn, damaged or absent.
    /// Entries that end at or before `after` (checkpointed already) are
    /// stepped over without being checked or decoded; the position after the
    /// last entry read, of either kind, is where the next one is written.
    pub fn open(dir: &Path, after: u64) -> io::Result<(Journal, Vec<Entry>)> {
        let path = dir.join(FILE_NAME);
        let created = !path.exists();
        let (file, direct) = open_file(&path)?;
        if created {
            // The new file's name must survive a power loss too.
            File::open(dir)?.sync_all()?;
        }
        let len = file.metadata()?.len();
        let mut journal = Journal {
            path,
            file,
            direct,
            end: 0,
            len,
            written: false,
            buffer: AlignedBuf::zeroed(0),
            damaged_at: None,
            whole_after_damage: None,
        };
        let entries = journal.read_entries(after)?;
        Ok((journal, entries))
    }

    /// See [`Journal::open`]. Reads through a second, ordinary handle: an
    /// `O_DIRECT` read would need aligned buffers for no gain.
    fn read_entries(&mut self, after: u64) -> io::Result<Vec<Entry>> {
        use std::os::unix::fs::FileExt;
        let reader = File::open(&self.path)?;
        let mut entries = Vec::new();
        let mut at = 0u64;
        let mut header = [0u8; HEADER + 48];
        // The seq the entries read so far reach, to tell an entry written
        // after a damaged one from one a checkpoint left behind.
        let mut reached = after;
        loop {
            // The header and the payload's first 48 bytes: its two heads'
            // seqs, to step over checkpointed entries cheaply.
            let read = read_up_to(&reader, &mut header, at)?;
            if read < HEADER + 48 || &header[..8] != MAGIC {
                break;
            }
            let len = u32::from_le_bytes(header[8..12].try_into().expect("4 bytes")) as usize;
            let head_seq = u64::from_le_bytes(header[HEADER + 40..HEADER + 48].try_into().expect("8 bytes"));
            let end = at + padded(HEADER + len) as u64;
            if end > self.len {
                self.damaged_at = Some(at);
                break;
            }
            if head_seq > after {
                let mut payload = vec![0u8; len];
                if reader.read_exact_at(&mut payload, at + HEADER as u64).is_err()
                    || checksum(&payload).as_bytes() != &header[12..44]
                {
                    self.damaged_at = Some(at);
                    break;
                }
                let Some(batch) = Batch::decode(&payload) else {
                    self.damaged_at = Some(at);
                    break;
                };
                reached = reached.max(head_seq);
                entries.push(Entry { batch, start: at });
            }
            self.end = end;
            at = end;
        }
        if let Some(damaged) = self.damaged_at {
            self.whole_after_damage = self.whole_entry_after(&reader, damaged, reached)?;
        }
        Ok(entries)
    }

    /// The offset of the first whole entry after `damaged` (at a block
    /// boundary) that reaches past seq `reached`. A crash can cut short
    /// only the last entry written, and every entry is written after the
    /// one before it, so such an entry proves that the damaged one was
    /// whole once, and acknowledged. (Entries a checkpoint left behind
    /// beyond the start reach no further than sled does.)
    fn whole_entry_after(&self, reader: &File, damaged: u64, reached: u64) -> io::Result<Option<u64>> {
        use std::os::unix::fs::FileExt;
        let mut header = [0u8; HEADER + 48];
        let mut at = damaged + BLOCK as u64;
        while at + (HEADER + 48) as u64 <= self.len {
            if read_up_to(reader, &mut header, at)? == HEADER + 48 && &header[..8] == MAGIC {
                let len = u32::from_le_bytes(header[8..12].try_into().expect("4 bytes")) as usize;
                let head_seq =
                    u64::from_le_bytes(header[HEADER + 40..HEADER + 48].try_into().expect("8 bytes"));
                if head_seq > reached && at + padded(HEADER + len) as u64 <= self.len {
                    let mut payload = vec![0u8; len];
                    if reader.read_exact_at(&mut payload, at + HEADER as u64).is_ok()
                        && checksum(&payload).as_bytes() == &header[12..44]
                        && Batch::decode(&payload).is_some()
                    {
                        return Ok(Some(at));
                    }
                }
            }
            at += BLOCK as u64;
        }
        Ok(None)
    }

    /// Where the journal holds a whole entry, continuing the chain, after
    /// the damaged one that ended reading back: the damaged entry and every
    /// one after it were acknowledged, and are lost. `None` when there is
    /// no damaged entry, or none whole after it.
    pub fn lost_before(&self) -> Option<(u64, u64)> {
        Some((self.damaged_at?, self.whole_after_damage?))
    }

    /// The offset of the entry where reading back at open stopped because
    /// it begins as an entry does (its magic) but is cut short or fails its
    /// checksum. An append that a crash cut short leaves one, and was never
    /// acknowledged; so does damage to an entry that was, whose events are
    /// then lost. The two look the same, so this is for a warning, not a
    /// refusal. `None` once this process has written over it.
    pub fn damaged_entry(&self) -> Option<u64> {
        self.damaged_at.filter(|&at| at >= self.end && !self.written)
    }

    /// Continues after an entry already in the file.
    pub fn set_end(&mut self, end: u64) {
        self.end = end;
    }

    /// Whether this process wrote entries since the last checkpoint.
    pub fn written(&self) -> bool {
        self.written
    }

    /// Whether an entry of `batch` fits before [`CAPACITY`].
    pub fn fits(&self, batch: &Batch) -> bool {
        self.end + padded(HEADER + batch.encoded_len()) as u64 <= CAPACITY
    }

    /// Writes `batch` as the next entry and returns once it is on the device.
    ///
    /// A write reported failed may have reached the device all the same (an
    /// error from the device's flush, or an `fdatasync` that failed while
    /// the page cache still held the entry): whole, it would be read back
    /// when the store is next opened, and an append its caller was told had
    /// failed would be in the ledger. Its first block is then zeroed, which
    /// ends any replay there; if that fails too, the error says the entry
    /// may be written.
    pub fn write(&mut self, batch: &Batch) -> Result<(), WriteError> {
        let mut payload = Vec::with_capacity(batch.encoded_len());
        batch.encode(&mut payload);
        let total = padded(HEADER + payload.len());
        let mut block = std::mem::replace(&mut self.buffer, AlignedBuf::zeroed(0));
        block.reuse(total);
        let bytes = block.as_mut_slice();
        bytes[..8].copy_from_slice(MAGIC);
        bytes[8..12].copy_from_slice(&(payload.len() as u32).to_le_bytes());
        bytes[12..44].copy_from_slice(checksum(&payload).as_bytes());
        bytes[HEADER..HEADER + payload.len()].copy_from_slice(&payload);
        let needed = self.end + total as u64;
        if needed > self.len {
            // Nothing of the entry is written yet.
            self.grow(needed.div_ceil(GROWTH) * GROWTH)
                .map_err(|error| WriteError { error, maybe_written: false })?;
        }
        let written = self.write_durably(block.as_slice(), self.end).and_then(|()| {
            match super::injected("a journal write reaches the device but fails") {
                true => Err(io::Error::other("injected")),
                false => Ok(()),
            }
        });
        self.buffer = block;
        if let Err(error) = written {
            let zeros = AlignedBuf::zeroed(BLOCK);
            let undone = match super::injected("undoing a journal write fails") {
                true => Err(io::Error::other("injected")),
                false => self.write_durably(zeros.as_slice(), self.end),
            };
            return Err(WriteError { error, maybe_written: undone.is_err() });
        }
        self.end = needed;
        self.written = true;
        Ok(())
    }

    /// Starts again at the beginning of the file, everything in it being
    /// durable in sled now. The first block is zeroed, so that the next open
    /// finds no entry to read.
    pub fn reset(&mut self) -> io::Result<()> {
        if self.end > 0 {
            let zeros = AlignedBuf::zeroed(BLOCK);
            self.write_durably(zeros.as_slice(), 0)?;
        }
        self.end = 0;
        self.written = false;
        self.damaged_at = None;
        self.whole_after_damage = None;
        Ok(())
    }

    fn write_durably(&mut self, bytes: &[u8], offset: u64) -> io::Result<()> {
        self.write_at(bytes, offset)?;
        if self.direct {
            Ok(())
        } else {
            self.file.sync_data()
        }
    }

    /// Writes `bytes` at `offset`. A file system can accept O_DIRECT at open
    /// and refuse it at write (or ask for a larger alignment): the file is
    /// then reopened for ordinary writes, followed by fdatasync.
    fn write_at(&mut self, bytes: &[u8], offset: u64) -> io::Result<()> {
        use std::os::unix::fs::FileExt;
        match self.file.write_all_at(bytes, offset) {
            Err(e) if self.direct && e.raw_os_error() == Some(EINVAL) => {
                self.file = File::options().read(true).write(true).open(&self.path)?;
                self.direct = false;
                self.file.write_all_at(bytes, offset)
            }
            other => other,
        }
    }

    /// Grows the file to `len` with zeros, made durable with its new size.
    fn grow(&mut self, len: u64) -> io::Result<()> {
        let zeros = AlignedBuf::zeroed(GROWTH as usize);
        let mut at = self.len;
        while at < len {
            self.write_at(zeros.as_slice(), at)?;
            at += GROWTH;
        }
        self.file.sync_all()?;
        self.len = len;
        Ok(())
    }
}

/// Reads into `buf` at `offset` until it is full or the file ends, and
/// returns how much was read.
fn read_up_to(file: &File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    use std::os::unix::fs::FileExt;
    let mut done = 0;
    while done < buf.len() {
        match file.read_at(&mut buf[done..], offset + done as u64) {
            Ok(0) => break,
            Ok(n) => done += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(done)
}

fn checksum(payload: &[u8]) -> blake3::Hash {
    static KEYED: std::sync::LazyLock<blake3::Hasher> =
        std::sync::LazyLock::new(|| blake3::Hasher::new_derive_key(CONTEXT));
    KEYED.clone().update(payload).finalize()
}

fn padded(len: usize) -> usize {
    len.div_ceil(BLOCK) * BLOCK
}

const EINVAL: i32 = 22;

/// Opens the journal for writing: with `O_DIRECT | O_DSYNC` where the
/// platform and file system allow it, else plainly.
fn open_file(path: &Path) -> io::Result<(File, bool)> {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::fs::OpenOptionsExt;
        let direct = File::options()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .custom_flags(libc::O_DIRECT | libc::O_DSYNC)
            .open(path);
        match direct {
            Ok(file) => return Ok((file, true)),
            Err(e) if e.raw_os_error() == Some(EINVAL) => {}
            Err(e) => return Err(e),
        }
    }
    let file = File::options().read(true).write(true).create(true).truncate(false).open(path)?;
    Ok((file, false))
}

/// A zeroed byte buffer whose start is aligned to [`BLOCK`], as `O_DIRECT`
/// requires of the memory it writes from.
struct AlignedBuf {
    storage: Vec<u8>,
    start: usize,
    len: usize,
}

impl AlignedBuf {
    fn zeroed(len: usize) -> AlignedBuf {
        let storage = vec![0u8; len + BLOCK];
        let start = storage.as_ptr().align_offset(BLOCK);
        AlignedBuf { storage, start, len }
    }

    /// Makes the buffer `len` zeroed bytes long, reusing its memory.
    fn reuse(&mut self, len: usize) {
        if self.storage.len() < len + BLOCK {
            *self = AlignedBuf::zeroed(len);
        } else {
            self.len = len;
            self.as_mut_slice().fill(0);
        }
    }

    fn as_slice(&self) -> &[u8] {
        &self.storage[self.start..self.start + self.len]
    }

    fn as_mut_slice(&mut self) -> &mut [u8] {
        &mut self.storage[self.start..self.start + self.len]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chain::Head;

    fn batch(after: Head, bodies: &[&str]) -> Batch {
        let mut batch = Batch::new(after);
        for body in bodies {
            batch.push(body.as_bytes(), None, Some(body.as_bytes()));
        }
        batch
    }

    #[test]
    fn entries_read_back_until_the_first_torn_one() {
        let dir = tempfile::tempdir().unwrap();
        let (mut journal, entries) = Journal::open(dir.path(), 0).unwrap();
        assert!(entries.is_empty());
        let first = batch(Head::EMPTY, &["{\"a\":1}", "{\"b\":2}"]);
        let second = batch(first.head(), &["{\"c\":3}"]);
        let third = batch(second.head(), &["{\"d\":4}"]);
        for b in [&first, &second, &third] {
            journal.write(b).unwrap();
        }
        drop(journal);
        // Tear the third entry, as a crash during its write would.
        let path = dir.path().join(FILE_NAME);
        let mut bytes = std::fs::read(&path).unwrap();
        bytes[2 * BLOCK + HEADER + 3] ^= 0xff;
        std::fs::write(&path, &bytes).unwrap();

        let (journal, entries) = Journal::open(dir.path(), 0).unwrap();
        let heads: Vec<Head> = entries.iter().map(|e| e.batch.head()).collect();
        assert_eq!(heads, [first.head(), second.head()]);
        assert_eq!(entries[0].batch.records().count(), 2);
        // The next entry goes over the torn one.
        assert_eq!(journal.end, 2 * BLOCK as u64);
        // Entries up to a given seq are stepped over, not returned.
        let (journal, entries) = Journal::open(dir.path(), first.head().seq).unwrap();
        assert_eq!(entries.iter().map(|e| e.start).collect::<Vec<_>>(), [BLOCK as u64]);
        assert_eq!(journal.end, 2 * BLOCK as u64);
    }

    #[test]
    fn a_reset_journal_reads_back_empty_and_is_written_from_the_start() {
        let dir = tempfile::tempdir().unwrap();
        let (mut journal, _) = Journal::open(dir.path(), 0).unwrap();
        let first = batch(Head::EMPTY, &["{\"a\":1}"]);
        let second = batch(first.head(), &["{\"b\":2}"]);
        journal.write(&first).unwrap();
        journal.write(&second).unwrap();
        journal.reset().unwrap();
        let (_, entries) = Journal::open(dir.path(), 0).unwrap();
        assert!(entries.is_empty());
        let third = batch(second.head(), &["{\"c\":3}"]);
        journal.write(&third).unwrap();
        let (_, entries) = Journal::open(dir.path(), 0).unwrap();
        // The new entry, then the old second one left behind it.
        let heads: Vec<Head> = entries.iter().map(|e| e.batch.head()).collect();
        assert_eq!(heads, [third.head(), second.head()]);
        assert_eq!(std::fs::metadata(dir.path().join(FILE_NAME)).unwrap().len(), GROWTH);
    }
}
