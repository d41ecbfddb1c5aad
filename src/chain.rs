//! The hash chain: how one event is framed as stored bytes, and how those
//! bytes are hashed and linked to the event before them.
//!
//! A record is a fixed binary header, a JSON body and the record's hash:
//!
//! ```text
//! offset  size  field
//! 0       1     format version (1)
//! 1       8     seq, big-endian, 1 for the first event
//! 9       32    prev: the previous record's hash (32 zero bytes before the first)
//! 41      4     body length n, big-endian
//! 45      n     body: JSON {"uuid","recorded_at","recorded_by","event"}
//! 45+n    32    hash = BLAKE3 derive_key("pledger event v1", bytes 0 .. 45+n)
//! ```
//!
//! The hash covers the header, so it covers `seq` and `prev`: changing any
//! stored byte, or moving a record, breaks the chain at that record. Because
//! the links sit in the binary header, verification never parses JSON and
//! never re-serializes anything: it hashes the bytes as stored.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::event::{Event, TypeFirst};

/// The BLAKE3 key-derivation context: separates pledger's hashes from any
/// other use of BLAKE3 over the same bytes.
pub const HASH_CONTEXT: &str = "pledger event v1";

/// The format version written in each record's first byte.
pub const FORMAT_VERSION: u8 = 1;

/// Bytes before the body.
pub const HEADER_LEN: usize = 45;

/// A stored event, header and hash included, must be smaller than this.
/// Larger values would make sled move them to blob files, which have weaker
/// guarantees, so they are refused as bad input.
pub const MAX_RECORD_LEN: usize = 32 * 1024;

/// A 32-byte BLAKE3 hash, shown as 64 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Hash(pub [u8; 32]);

impl Hash {
    /// The `prev` of the first event.
    pub const ZERO: Hash = Hash([0; 32]);

    /// The first eight hex digits, for listings.
    pub fn short(&self) -> String {
        self.to_string()[..8].to_owned()
    }
}

impl fmt::Display for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Hash({self})")
    }
}

impl FromStr for Hash {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        from_lower_hex(s)
            .map(Hash)
            .ok_or_else(|| format!("expected a hash of 64 lowercase hex digits, found {s:?}"))
    }
}

/// The `N` bytes that `s` spells in exactly `2 * N` lowercase hex digits,
/// as hashes and digests are written.
pub(crate) fn from_lower_hex<const N: usize>(s: &str) -> Option<[u8; N]> {
    let bytes = s.as_bytes();
    if bytes.len() != 2 * N || !bytes.iter().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f')) {
        return None;
    }
    let digit = |c: u8| if c.is_ascii_digit() { c - b'0' } else { c - b'a' + 10 };
    let mut out = [0u8; N];
    for (byte, pair) in out.iter_mut().zip(bytes.chunks(2)) {
        *byte = digit(pair[0]) << 4 | digit(pair[1]);
    }
    Some(out)
}

impl Serialize for Hash {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Hash {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// The last event of a chain: its seq and hash. The empty chain's head is
/// seq 0 with the zero hash. Written and read as `SEQ:HASH`.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default, Serialize, Deserialize)]
pub struct Head {
    pub seq: u64,
    pub hash: Hash,
}

impl Head {
    pub const EMPTY: Head = Head { seq: 0, hash: Hash::ZERO };
}

impl fmt::Display for Head {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.seq, self.hash)
    }
}

impl FromStr for Head {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (seq, hash) =
            s.split_once(':').ok_or_else(|| format!("expected a head as SEQ:HASH, found {s:?}"))?;
        let seq =
            seq.parse().map_err(|_| format!("expected a seq number before ':' in a head, found {seq:?}"))?;
        Ok(Head { seq, hash: hash.parse()? })
    }
}

/// What the recorder adds to an event: when, by whom, and a unique id.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Body {
    pub uuid: uuid::Uuid,
    pub recorded_at: DateTime<Utc>,
    pub recorded_by: String,
    pub event: Event,
}

/// A decoded record: the envelope around one event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Envelope {
    pub seq: u64,
    pub uuid: uuid::Uuid,
    pub recorded_at: DateTime<Utc>,
    pub recorded_by: String,
    pub prev: Hash,
    pub hash: Hash,
    pub event: Event,
}

/// Frames `body` as the record with this `seq` after `prev`.
pub fn encode(seq: u64, prev: &Hash, body: &[u8], out: &mut Vec<u8>) -> Hash {
    let start = out.len();
    frame_unsealed(out, |out| out.extend_from_slice(body));
    seal(&mut out[start..], seq, prev)
}

/// Frames, at the end of `out`, a record whose body `write_body` writes
/// there, with its seq, prev and hash left as zeros for [`seal`]. Framing
/// does not depend on the chain, so records can be framed on any thread
/// ahead of their place in it; sealing them in order is then one hash each.
pub fn frame_unsealed(out: &mut Vec<u8>, write_body: impl FnOnce(&mut Vec<u8>)) {
    let start = out.len();
    out.push(FORMAT_VERSION);
    out.extend_from_slice(&[0; 8 + 32 + 4]);
    write_body(out);
    let body_len = (out.len() - start - HEADER_LEN) as u32;
    out[start + 41..start + HEADER_LEN].copy_from_slice(&body_len.to_be_bytes());
    out.extend_from_slice(&[0; 32]);
}

/// Gives `record` (framed by [`frame_unsealed`]) its place in the chain,
/// as the record with this `seq` after `prev`, and returns its hash.
pub fn seal(record: &mut [u8], seq: u64, prev: &Hash) -> Hash {
    record[1..9].copy_from_slice(&seq.to_be_bytes());
    record[9..41].copy_from_slice(&prev.0);
    let (hashed, hash) = record.split_at_mut(record.len() - 32);
    let computed = hash_bytes(hashed);
    hash.copy_from_slice(&computed.0);
    computed
}

/// The record length for a body of `body_len` bytes.
pub fn record_len(body_len: usize) -> usize {
    HEADER_LEN + body_len + 32
}

/// BLAKE3 in derive-key mode over a record's bytes before its hash.
pub fn hash_bytes(bytes: &[u8]) -> Hash {
    // Deriving the key from the context costs a BLAKE3 compression, about a
    // fifth of hashing a 250-byte record: derive it once and clone the hasher.
    static KEYED: std::sync::LazyLock<blake3::Hasher> =
        std::sync::LazyLock::new(|| blake3::Hasher::new_derive_key(HASH_CONTEXT));
    let mut hasher = KEYED.clone();
    hasher.update(bytes);
    Hash(*hasher.finalize().as_bytes())
}

/// A view of one record's stored bytes. Reading fields never allocates and
/// never trusts the stored hash: [`RawRecord::computed_hash`] recomputes it.
#[derive(Clone, Copy, Debug)]
pub struct RawRecord<'a> {
    bytes: &'a [u8],
}

/// Why stored bytes are not a well-formed record.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    #[error("record is truncated: {len} bytes where at least {needed} are needed")]
    Truncated { len: usize, needed: usize },
    #[error("record has format version {0}, this pledger reads version 1")]
    Version(u8),
}

impl<'a> RawRecord<'a> {
    /// Splits the first record off `bytes`, returning it and the rest.
    pub fn split(bytes: &'a [u8]) -> Result<(RawRecord<'a>, &'a [u8]), FrameError> {
        if bytes.len() < HEADER_LEN + 32 {
            return Err(FrameError::Truncated { len: bytes.len(), needed: HEADER_LEN + 32 });
        }
        if bytes[0] != FORMAT_VERSION {
            return Err(FrameError::Version(bytes[0]));
        }
        let body_len = u32::from_be_bytes(bytes[41..45].try_into().unwrap()) as usize;
        let len = record_len(body_len);
        if bytes.len() < len {
            return Err(FrameError::Truncated { len: bytes.len(), needed: len });
        }
        Ok((RawRecord { bytes: &bytes[..len] }, &bytes[len..]))
    }

    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }

    pub fn seq(&self) -> u64 {
        u64::from_be_bytes(self.bytes[1..9].try_into().unwrap())
    }

    pub fn prev(&self) -> Hash {
        Hash(self.bytes[9..41].try_into().unwrap())
    }

    pub fn body(&self) -> &'a [u8] {
        &self.bytes[HEADER_LEN..self.bytes.len() - 32]
    }

    pub fn stored_hash(&self) -> Hash {
        Hash(self.bytes[self.bytes.len() - 32..].try_into().unwrap())
    }

    pub fn computed_hash(&self) -> Hash {
        hash_bytes(&self.bytes[..self.bytes.len() - 32])
    }

    /// Parses the body into an envelope. Callers that need trust must check
    /// the hash first; this only decodes.
    pub fn decode(&self) -> Result<Envelope, serde_json::Error> {
        // Read with the event's type first, as pledger writes it (see
        // `event::from_json`); anything else is read again the general way.
        let body = match serde_json::from_slice::<BodyOf<TypeFirst>>(self.body()) {
            Ok(b) => Body {
                uuid: b.uuid,
                recorded_at: b.recorded_at,
                recorded_by: b.recorded_by,
                event: b.event.0,
            },
            Err(_) => serde_json::from_slice::<Body>(self.body())?,
        };
        Ok(Envelope {
            seq: self.seq(),
            uuid: body.uuid,
            recorded_at: body.recorded_at,
            recorded_by: body.recorded_by,
            prev: self.prev(),
            hash: self.stored_hash(),
            event: body.event,
        })
    }

    /// Parses only the event out of the body (see [`RawRecord::decode`]).
    pub fn decode_event(&self) -> Result<Event, serde_json::Error> {
        match serde_json::from_slice::<EventOnly<TypeFirst>>(self.body()) {
            Ok(only) => Ok(only.event.0),
            Err(_) => Ok(serde_json::from_slice::<EventOnly<Event>>(self.body())?.event),
        }
    }
}

/// [`Body`] with its event read as `E`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BodyOf<E> {
    uuid: uuid::Uuid,
    recorded_at: DateTime<Utc>,
    recorded_by: String,
    event: E,
}

/// Only the event of a record's body, for readers that need nothing else:
/// the other fields are skipped without being parsed.
#[derive(Deserialize)]
struct EventOnly<E> {
    event: E,
}

/// Iterates the records packed one after another in `bytes`.
pub fn records(mut bytes: &[u8]) -> impl Iterator<Item = Result<RawRecord<'_>, FrameError>> {
    std::iter::from_fn(move || {
        if bytes.is_empty() {
            return None;
        }
        match RawRecord::split(bytes) {
            Ok((record, rest)) => {
                bytes = rest;
                Some(Ok(record))
            }
            Err(e) => {
                bytes = &[];
                Some(Err(e))
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_frames_its_links_and_hashes_its_bytes() {
        let mut out = Vec::new();
        let prev = Hash([7; 32]);
        let hash = encode(42, &prev, b"{\"x\":1}", &mut out);
        let (record, rest) = RawRecord::split(&out).unwrap();
        assert!(rest.is_empty());
        assert_eq!(record.seq(), 42);
        assert_eq!(record.prev(), prev);
        assert_eq!(record.body(), b"{\"x\":1}");
        assert_eq!(record.stored_hash(), hash);
        assert_eq!(record.computed_hash(), hash);
    }

    #[test]
    fn a_record_framed_ahead_and_sealed_is_the_record_encoded() {
        let prev = Hash([3; 32]);
        let mut encoded = Vec::new();
        let hash = encode(9, &prev, b"{\"y\":2}", &mut encoded);
        let mut framed = vec![0xee];
        frame_unsealed(&mut framed, |out| out.extend_from_slice(b"{\"y\":2}"));
        assert_eq!(seal(&mut framed[1..], 9, &prev), hash);
        assert_eq!(&framed[1..], &encoded[..]);
    }

    #[test]
    fn every_byte_is_covered_by_the_hash() {
        let mut out = Vec::new();
        encode(1, &Hash::ZERO, b"{\"event\":true}", &mut out);
        for i in 0..out.len() - 32 {
            let mut changed = out.clone();
            changed[i] ^= 0x01;
            // A changed length or version is caught by framing instead.
            if let Ok((r, _)) = RawRecord::split(&changed) {
                assert_ne!(r.computed_hash(), r.stored_hash(), "byte {i}");
            }
        }
    }

    #[test]
    fn heads_round_trip_and_refuse_bad_text() {
        let head = Head { seq: 12, hash: Hash([0xab; 32]) };
        assert_eq!(head.to_string().parse::<Head>().unwrap(), head);
        assert!("12".parse::<Head>().unwrap_err().contains("SEQ:HASH"));
        assert!("x:00".parse::<Head>().unwrap_err().contains("seq number"));
        assert!(format!("1:{}", "A".repeat(64)).parse::<Head>().unwrap_err().contains("lowercase hex"));
    }
}
