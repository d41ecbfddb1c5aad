//! Events: the facts a ledger records, and the JSON Lines interchange format.
//!
//! An event is something that happened, named in the past tense by its
//! `"type"`: an announcement was made, a commitment was given, a meeting was
//! held, a deadline was revised, an outcome was reached, progress was
//! reported, an earlier entry was retracted. One event is one JSON object on
//! one line; unknown fields are refused so that a typo is never silently
//! dropped.
//!
//! This module checks what can be checked of one event alone (field types,
//! slugs, dates, non-empty text). Whether its references resolve is the
//! ledger's business, since that needs the rest of the chain.

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// One recorded fact. The serialized form is the interchange format: the
/// `type` tag first, then the variant's fields in declaration order, with
/// absent optional fields left out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Event {
    Announcement(Announcement),
    Commitment(Commitment),
    Meeting(Meeting),
    Deadline(DeadlineRevision),
    Outcome(Outcome),
    Progress(Progress),
    Retraction(Retraction),
}

/// Decodes one event from JSON as [`Event`]'s derived form does, faster
/// when the object's first key is `"type"` (as pledger writes events, and as
/// most input has them).
///
/// The derived form of an internally tagged enum buffers the whole object
/// before it knows which variant to read, and that buffering was most of the
/// cost of decoding a line. [`TypeFirst`] reads the variant's fields straight
/// from the object instead. It refuses anything else, and then the derived
/// form reads the text again: so the result, and every error message, are
/// the derived form's (a direct read of a struct and a buffered one accept
/// the same objects and build the same values).
pub fn from_json(json: &str) -> Result<Event, serde_json::Error> {
    match serde_json::from_str::<TypeFirst>(json) {
        Ok(TypeFirst(event)) => Ok(event),
        Err(_) => serde_json::from_str::<Event>(json),
    }
}

/// An event whose `"type"` comes first: see [`from_json`]. Inside a larger
/// value (a record's body), a field of this type reads such an event fast
/// and fails on any other; the caller then reads the value again as
/// [`Event`].
#[derive(Debug)]
pub struct TypeFirst(pub Event);

impl<'de> Deserialize<'de> for TypeFirst {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(TypeFirstVisitor).map(TypeFirst)
    }
}

struct TypeFirstVisitor;

/// The values of `"type"`: what kind of event a line is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EventType {
    Announcement,
    Commitment,
    Meeting,
    Deadline,
    Outcome,
    Progress,
    Retraction,
}

impl EventType {
    /// The type as written in JSON.
    pub fn name(self) -> &'static str {
        match self {
            EventType::Announcement => "announcement",
            EventType::Commitment => "commitment",
            EventType::Meeting => "meeting",
            EventType::Deadline => "deadline",
            EventType::Outcome => "outcome",
            EventType::Progress => "progress",
            EventType::Retraction => "retraction",
        }
    }

    /// The kind of id events of this type have, if they have one.
    pub fn id_kind(self) -> Option<IdKind> {
        match self {
            EventType::Announcement => Some(IdKind::Announcement),
            EventType::Commitment => Some(IdKind::Commitment),
            EventType::Meeting => Some(IdKind::Meeting),
            _ => None,
        }
    }
}

/// An object key, for [`TypeFirst`]: whether it is `"type"`.
struct IsType(bool);

impl<'de> Deserialize<'de> for IsType {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl serde::de::Visitor<'_> for KeyVisitor {
            type Value = IsType;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_str<E: serde::de::Error>(self, key: &str) -> Result<IsType, E> {
                Ok(IsType(key == "type"))
            }
        }
        deserializer.deserialize_identifier(KeyVisitor)
    }
}

impl<'de> serde::de::Visitor<'de> for TypeFirstVisitor {
    type Value = Event;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an event object whose first key is \"type\"")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Event, A::Error> {
        use serde::de::value::MapAccessDeserializer;
        if !matches!(map.next_key::<IsType>()?, Some(IsType(true))) {
            return Err(serde::de::Error::custom("\"type\" is not the first key"));
        }
        let kind: EventType = map.next_value()?;
        // The rest of the object is the variant's fields.
        let fields = MapAccessDeserializer::new(map);
        Ok(match kind {
            EventType::Announcement => Event::Announcement(Announcement::deserialize(fields)?),
            EventType::Commitment => Event::Commitment(Commitment::deserialize(fields)?),
            EventType::Meeting => Event::Meeting(Meeting::deserialize(fields)?),
            EventType::Deadline => Event::Deadline(DeadlineRevision::deserialize(fields)?),
            EventType::Outcome => Event::Outcome(Outcome::deserialize(fields)?),
            EventType::Progress => Event::Progress(Progress::deserialize(fields)?),
            EventType::Retraction => Event::Retraction(Retraction::deserialize(fields)?),
        })
    }
}

/// A public statement that gives commitments, such as a joint statement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Announcement {
    pub id: Slug,
    pub date: Date,
    pub title: Text,
    pub parties: Parties,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<Source>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<Text>,
}

/// A specific, future-oriented statement of action by named parties.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Commitment {
    pub id: Slug,
    /// The announcement that gave it; its date anchors the deadline phrase.
    pub announcement: Slug,
    pub title: Text,
    /// Defaults to the announcement's parties when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parties: Option<Parties>,
    /// A deadline phrase such as "first half of 2026", kept as written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline: Option<Text>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Text>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quote: Option<Text>,
}

/// A meeting that took place, possibly meeting or advancing commitments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Meeting {
    pub id: Slug,
    pub date: Date,
    pub title: Text,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parties: Option<Parties>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<Source>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<Text>,
    /// Commitments this meeting met.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fulfils: Vec<Slug>,
    /// Commitments this meeting advanced without meeting them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub progresses: Vec<Slug>,
}

/// A deadline set or revised for a commitment on `date`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeadlineRevision {
    pub commitment: Slug,
    pub date: Date,
    /// The new deadline phrase, read relative to `date`.
    pub deadline: Text,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<Text>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<Source>,
}

/// How a commitment ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Outcome {
    pub commitment: Slug,
    pub date: Date,
    pub outcome: OutcomeKind,
    /// The commitment that replaces this one; required for `superseded`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<Slug>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<Text>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<Source>,
}

/// The ways a commitment can end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OutcomeKind {
    Met,
    Cancelled,
    Superseded,
}

/// A note that a commitment advanced on `date`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Progress {
    pub commitment: Slug,
    pub date: Date,
    pub note: Text,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<Source>,
}

/// Voids an earlier event. The retracted event stays in the chain; the
/// projections stop seeing it. Retracting a retraction restores its target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Retraction {
    pub retracts: EventRef,
    pub reason: Text,
    /// The event `retracts` is meant to name, as `export` writes it: a
    /// check on the line, never stored (see [`RetractedEvent`]).
    #[serde(default, skip_serializing, deserialize_with = "named_event")]
    pub retracts_event: Option<RetractedEvent>,
}

/// Reads a `retracts_event` with its name before serde's message ("unknown
/// field `seq`" does not say which object lacks it), and with the path to
/// a nested one (`retracts_event.retracts_event`).
///
/// Read straight from the event's buffered content, not through a
/// `serde_json::Value`, which would keep only the last of a repeated key
/// where every other object of an event refuses it.
fn named_event<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    // Only as an object: a struct's derived reader would also take a list
    // of its fields' values in order.
    struct Named<T>(std::marker::PhantomData<T>);
    impl<'de, T: Deserialize<'de>> serde::de::Visitor<'de> for Named<T> {
        type Value = Option<T>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("an object that names the event")
        }
        fn visit_none<E: serde::de::Error>(self) -> Result<Option<T>, E> {
            Ok(None)
        }
        fn visit_unit<E: serde::de::Error>(self) -> Result<Option<T>, E> {
            Ok(None)
        }
        fn visit_some<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<Option<T>, D::Error> {
            deserializer.deserialize_map(self)
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<Option<T>, A::Error> {
            T::deserialize(serde::de::value::MapAccessDeserializer::new(map)).map(Some)
        }
    }
    deserializer.deserialize_option(Named(std::marker::PhantomData)).map_err(|e| {
        let message = e.to_string();
        let message = match message.strip_prefix("`retracts_event") {
            Some(nested) => format!("`retracts_event.retracts_event{nested}"),
            None => format!("`retracts_event`: {message}"),
        };
        serde::de::Error::custom(message)
    })
}

/// The event a retraction means, named by what it is rather than by its
/// place in one ledger's numbering: its type, and its `id` or, for a type
/// without ids, the `digest` of its canonical JSON (see [`EventDigest`]);
/// with an `id`, a `digest` says which content the id must hold, and a
/// retraction is named by the event it retracts and its reason.
///
/// A seq means a place in the ledger a line is appended to, so a file
/// written for another ledger (an export of it) may name another event by
/// the same seq. `export` writes this beside `retracts`, and the checks
/// refuse the line if this ledger does not hold the event, or numbers it
/// otherwise (reporting the seq it has here, which `import` writes in). It
/// is not part of the event: the retraction is stored, hashed and
/// recognised on re-import without it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetractedEvent {
    #[serde(rename = "type")]
    pub kind: EventType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Slug>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<EventDigest>,
    /// For a retraction, named as `export` names one: the event it
    /// retracts, named in turn, and its `reason`. (Its digest covers its
    /// own `retracts`, a seq of its ledger.)
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "named_event")]
    pub retracts_event: Option<Box<RetractedEvent>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<Text>,
}

impl RetractedEvent {
    /// Checks that the event is named by the key its type has.
    fn check(&self) -> Result<(), EventProblem> {
        let kind = self.kind.name();
        let problem = |by, found| Err(EventProblem::RetractedEventKey { kind, by, found });
        let (id, digest) = (self.id.is_some(), self.digest.is_some());
        let (inner, reason) = (self.retracts_event.as_deref(), self.reason.is_some());
        if self.kind == EventType::Retraction {
            const BY: &str = "digest` or its `retracts_event` and `reason";
            return match (id, digest, inner, reason) {
                (true, ..) => problem(BY, "an `id`"),
                (false, true, None, false) => Ok(()),
                (false, false, Some(inner), true) => inner.check(),
                (false, true, ..) => problem(BY, "a `digest` as well"),
                (false, false, None, false) => problem(BY, "neither"),
                (false, false, ..) => problem(BY, "only one of `retracts_event` and `reason`"),
            };
        }
        let found = match (self.kind.id_kind(), id, digest) {
            _ if inner.is_some() => "a `retracts_event`, which only a retraction has",
            _ if reason => "a `reason`, which only a retraction has",
            (Some(_), true, _) | (None, false, true) => return Ok(()),
            (Some(_), false, true) => "only a `digest`",
            (Some(_), false, false) => "no `id`",
            (None, true, false) => "an `id`",
            (None, false, false) => "no `digest`",
            (None, true, true) => "an `id` as well",
        };
        problem(if self.kind.id_kind().is_some() { "id" } else { "digest" }, found)
    }

    /// How `export` names `event`: by the digest of its canonical bytes,
    /// and its id if it has one (so that another event under the same id
    /// is not taken for it). A retraction is named by `retracted`, the name
    /// of the event it retracts, and its reason (see [`RetractedEvent::retracts_event`]).
    pub fn naming(event: &Event, retracted: Option<RetractedEvent>) -> RetractedEvent {
        let kind = event.event_type();
        match (event, retracted) {
            (Event::Retraction(r), Some(retracted)) => RetractedEvent {
                kind,
                id: None,
                digest: None,
                retracts_event: Some(Box::new(retracted)),
                reason: Some(r.reason.clone()),
            },
            _ => RetractedEvent {
                kind,
                id: event.id().map(|(_, id)| id.clone()),
                digest: Some(EventDigest::of(&event.canonical_json())),
                retracts_event: None,
                reason: None,
            },
        }
    }

    /// Whether the name is one `export` writes, which says what the event
    /// holds, not only its id: then a line that this ledger numbers
    /// otherwise is the file's, and `import` may write in this ledger's seq.
    pub fn is_complete(&self) -> bool {
        self.digest.is_some() || self.retracts_event.is_some()
    }
}

impl fmt::Display for RetractedEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(inner) = &self.retracts_event {
            return write!(f, "retraction of the {inner}");
        }
        match (&self.id, &self.digest) {
            (Some(id), _) => write!(f, "{} '{id}'", self.kind.name()),
            (None, Some(digest)) => write!(f, "{} with digest {digest}", self.kind.name()),
            (None, None) => f.write_str(self.kind.name()),
        }
    }
}

/// What an event without an id is known by across ledgers: the first 16
/// bytes of BLAKE3 over its canonical JSON ([`Event::canonical_json`]),
/// written as 32 lowercase hex digits. It is the key the store's content
/// index gives the event, so a re-import finds it by the same bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EventDigest(pub [u8; 16]);

impl EventDigest {
    /// The digest of an event's canonical bytes.
    pub fn of(canonical: &[u8]) -> EventDigest {
        EventDigest(blake3::hash(canonical).as_bytes()[..16].try_into().expect("16 of 32 bytes"))
    }
}

impl fmt::Display for EventDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

impl FromStr for EventDigest {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        crate::chain::from_lower_hex(s)
            .map(EventDigest)
            .ok_or_else(|| format!("expected a digest of 32 lowercase hex digits, found '{s}'"))
    }
}

impl Serialize for EventDigest {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for EventDigest {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// Where a fact was reported. Every field is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, remote = "Self")]
pub struct Source {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<Text>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub publisher: Option<Text>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<Text>,
}

impl Serialize for Source {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        Source::serialize(self, serializer)
    }
}

/// Only as an object: the derived form would also take a list of the
/// fields' values in order (`["https://…", "Reuters"]`), which says nothing
/// of which is which.
impl<'de> Deserialize<'de> for Source {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Fields;
        impl<'de> serde::de::Visitor<'de> for Fields {
            type Value = Source;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object with `url`, `publisher` or `title`")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<Source, A::Error> {
                Source::deserialize(serde::de::value::MapAccessDeserializer::new(map))
            }
        }
        deserializer.deserialize_map(Fields)
    }
}

/// A reference to an earlier event: its seq number or its uuid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(untagged)]
pub enum EventRef {
    Seq(u64),
    Uuid(uuid::Uuid),
}

/// Read by hand rather than as an untagged enum, whose one message
/// ("expected a seq number or an event uuid") could not say what was
/// found instead: `-1`, `1.5`, `"2"`.
impl<'de> Deserialize<'de> for EventRef {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<EventRef, D::Error> {
        struct Ref;
        impl serde::de::Visitor<'_> for Ref {
            type Value = EventRef;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a seq number or an event uuid")
            }
            fn visit_u64<E: serde::de::Error>(self, seq: u64) -> Result<EventRef, E> {
                Ok(EventRef::Seq(seq))
            }
            fn visit_f64<E: serde::de::Error>(self, n: f64) -> Result<EventRef, E> {
                // JSON reads a whole number past u64 as a float: name it as
                // the number it was written as, not as its float.
                if n.fract() == 0.0 && n >= u64::MAX as f64 {
                    return Err(E::custom(format!(
                        "expected a seq number of at most {}, found a larger number",
                        u64::MAX
                    )));
                }
                Err(E::invalid_type(serde::de::Unexpected::Float(n), &self))
            }
            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<EventRef, E> {
                uuid::Uuid::parse_str(text)
                    .map(EventRef::Uuid)
                    .map_err(|_| E::invalid_value(serde::de::Unexpected::Str(text), &self))
            }
        }
        deserializer.deserialize_any(Ref)
    }
}

impl fmt::Display for EventRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EventRef::Seq(seq) => write!(f, "#{seq}"),
            EventRef::Uuid(uuid) => write!(f, "{uuid}"),
        }
    }
}

/// The namespaces of user-chosen ids: ids are unique per kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum IdKind {
    Announcement,
    Commitment,
    Meeting,
}

impl IdKind {
    pub fn name(self) -> &'static str {
        match self {
            IdKind::Announcement => "announcement",
            IdKind::Commitment => "commitment",
            IdKind::Meeting => "meeting",
        }
    }
}

/// A rule that one event breaks on its own, found by [`Event::check`]: what
/// serde's types do not express. It names no place: the caller adds
/// `FILE:LINE` (or the command) in front.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventProblem {
    /// A `superseded` outcome that does not say what replaced the commitment.
    #[error("a superseded outcome needs `by`: the commitment that replaces it")]
    SupersededWithoutBy,
    /// A `by` on an outcome that is not `superseded`.
    #[error("`by` is only for a superseded outcome, not for `{outcome}`")]
    ByWithoutSupersession { outcome: &'static str },
    /// A commitment named as its own replacement.
    #[error("commitment '{commitment}' cannot supersede itself")]
    SupersedesItself { commitment: String },
    /// A retraction of seq 0, which no event has.
    #[error("`retracts` names seq 0, but seqs start at 1")]
    RetractsSeqZero,
    /// A control or invisible character in free text (see `text::unprintable`);
    /// `at` counts characters from 1.
    #[error("expected `{field}` without control characters, found {} at character {at}", crate::text::describe(*.character))]
    Unprintable { field: &'static str, character: char, at: usize },
    /// A party name with white space around it.
    #[error("expected `parties` without spaces around a name, found '{name}'")]
    PartySpaced { name: String },
    /// A `retracts_event` that names its event by the wrong key for its
    /// type: by `id` for the types with ids, by `digest` for the others.
    #[error("expected `retracts_event` to name the {kind} by its `{by}`, found {found}")]
    RetractedEventKey { kind: &'static str, by: &'static str, found: &'static str },
    /// A party given twice (`first` and `again` differ when the names are
    /// the same but for case or spacing inside, see [`same_name`]).
    #[error("expected each party once in `parties`, found {}", twice(first, again))]
    PartyTwice { first: String, again: String },
}

fn twice(first: &str, again: &str) -> String {
    if first == again {
        format!("'{first}' twice")
    } else {
        format!("'{first}' and '{again}'")
    }
}

impl Event {
    /// The event's `type` as written in JSON.
    pub fn type_name(&self) -> &'static str {
        self.event_type().name()
    }

    /// The event's `type`.
    pub fn event_type(&self) -> EventType {
        match self {
            Event::Announcement(_) => EventType::Announcement,
            Event::Commitment(_) => EventType::Commitment,
            Event::Meeting(_) => EventType::Meeting,
            Event::Deadline(_) => EventType::Deadline,
            Event::Outcome(_) => EventType::Outcome,
            Event::Progress(_) => EventType::Progress,
            Event::Retraction(_) => EventType::Retraction,
        }
    }

    /// The user-chosen id, for the kinds that have one.
    pub fn id(&self) -> Option<(IdKind, &Slug)> {
        match self {
            Event::Announcement(a) => Some((IdKind::Announcement, &a.id)),
            Event::Commitment(c) => Some((IdKind::Commitment, &c.id)),
            Event::Meeting(m) => Some((IdKind::Meeting, &m.id)),
            _ => None,
        }
    }

    /// The date the event itself carries (a commitment takes its
    /// announcement's date, a retraction has none).
    pub fn date(&self) -> Option<Date> {
        match self {
            Event::Announcement(a) => Some(a.date),
            Event::Meeting(m) => Some(m.date),
            Event::Deadline(d) => Some(d.date),
            Event::Outcome(o) => Some(o.date),
            Event::Progress(p) => Some(p.date),
            Event::Commitment(_) | Event::Retraction(_) => None,
        }
    }

    /// The commitments this event is about, in the order written.
    pub fn commitments(&self) -> Vec<&Slug> {
        match self {
            Event::Commitment(c) => vec![&c.id],
            Event::Meeting(m) => m.fulfils.iter().chain(&m.progresses).collect(),
            Event::Deadline(d) => vec![&d.commitment],
            Event::Outcome(o) => o.by.iter().chain([&o.commitment]).collect(),
            Event::Progress(p) => vec![&p.commitment],
            Event::Announcement(_) | Event::Retraction(_) => vec![],
        }
    }

    /// A short label for listings: the id, or what the event is about.
    pub fn label(&self) -> String {
        match self {
            Event::Announcement(a) => a.id.to_string(),
            Event::Commitment(c) => c.id.to_string(),
            Event::Meeting(m) => m.id.to_string(),
            Event::Deadline(d) => d.commitment.to_string(),
            Event::Outcome(o) => format!("{} {}", o.commitment, o.outcome.name()),
            Event::Progress(p) => p.commitment.to_string(),
            Event::Retraction(r) => format!("retracts {}", r.retracts),
        }
    }

    /// The canonical bytes of the event: its serialization by this module.
    /// Two lines that differ only in key order or white space have the same
    /// canonical bytes, which is how a re-import recognises them.
    pub fn canonical_json(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(256);
        self.write_canonical_json(&mut out);
        out
    }

    /// The event as `export` writes it: its canonical bytes, but for a
    /// retraction's `retracts_event`, which the canonical bytes leave out,
    /// written after `retracts`.
    pub fn interchange_json(&self) -> Vec<u8> {
        /// A retraction with the fields in the order `export` writes them.
        #[derive(Serialize)]
        struct Exchanged<'a> {
            #[serde(rename = "type")]
            kind: EventType,
            retracts: &'a EventRef,
            retracts_event: &'a RetractedEvent,
            reason: &'a Text,
        }
        match self {
            Event::Retraction(Retraction { retracts, reason, retracts_event: Some(named) }) => {
                let exchanged =
                    Exchanged { kind: EventType::Retraction, retracts, retracts_event: named, reason };
                serde_json::to_vec(&exchanged).expect("events always serialize")
            }
            _ => self.canonical_json(),
        }
    }

    /// [`Event::canonical_json`], written to the end of `out`.
    pub fn write_canonical_json(&self, out: &mut Vec<u8>) {
        serde_json::to_writer(out, self).expect("events always serialize");
    }

    /// Checks the rules that a single line must meet on its own and that
    /// serde's types do not express.
    pub fn check(&self) -> Result<(), EventProblem> {
        if let Event::Outcome(o) = self {
            match (o.outcome, &o.by) {
                (OutcomeKind::Superseded, None) => return Err(EventProblem::SupersededWithoutBy),
                (OutcomeKind::Met | OutcomeKind::Cancelled, Some(_)) => {
                    return Err(EventProblem::ByWithoutSupersession { outcome: o.outcome.name() })
                }
                (OutcomeKind::Superseded, Some(by)) if *by == o.commitment => {
                    return Err(EventProblem::SupersedesItself { commitment: by.to_string() })
                }
                _ => {}
            }
        }
        if let Event::Retraction(Retraction { retracts: EventRef::Seq(0), .. }) = self {
            return Err(EventProblem::RetractsSeqZero);
        }
        if let Event::Retraction(Retraction { retracts_event: Some(named), .. }) = self {
            named.check()?;
        }
        for (field, text) in self.texts() {
            if let Some((at, c)) = crate::text::unprintable(text) {
                return Err(EventProblem::Unprintable { field, character: c, at });
            }
        }
        let parties = match self {
            Event::Announcement(a) => Some(&a.parties),
            Event::Commitment(c) => c.parties.as_ref(),
            Event::Meeting(m) => m.parties.as_ref(),
            _ => None,
        };
        // Reports group parties by name (see `name_key`): a name given twice
        // would count one commitment twice, and a space around a name would
        // show a party under two spellings.
        if let Some(parties) = parties {
            let names: Vec<&str> = parties.iter().map(Text::as_str).collect();
            if let Some(name) = names.iter().find(|n| n.trim() != **n) {
                return Err(EventProblem::PartySpaced { name: name.to_string() });
            }
            // By key, not each name against every earlier one: a list of
            // thousands of parties is checked in linear time.
            let mut seen = std::collections::HashMap::with_capacity(names.len());
            for name in names {
                if let Some(first) = seen.insert(name_key(name), name) {
                    return Err(EventProblem::PartyTwice {
                        first: first.to_string(),
                        again: name.to_string(),
                    });
                }
            }
        }
        Ok(())
    }

    /// Every free text of the event, with its field: what a terminal
    /// shows when the event is printed.
    pub fn texts(&self) -> Vec<(&'static str, &str)> {
        fn source<'s>(out: &mut Vec<(&'static str, &'s str)>, source: &'s Option<Source>) {
            if let Some(s) = source {
                let fields =
                    [("source.url", &s.url), ("source.publisher", &s.publisher), ("source.title", &s.title)];
                out.extend(fields.into_iter().filter_map(|(f, t)| Some((f, t.as_ref()?.as_str()))));
            }
        }
        fn each<'s>(
            out: &mut Vec<(&'static str, &'s str)>,
            field: &'static str,
            texts: impl IntoIterator<Item = &'s Text>,
        ) {
            out.extend(texts.into_iter().map(|t| (field, t.as_str())));
        }
        let mut out = Vec::new();
        match self {
            Event::Announcement(a) => {
                each(&mut out, "title", [&a.title]);
                each(&mut out, "parties", a.parties.iter());
                each(&mut out, "summary", &a.summary);
                source(&mut out, &a.source);
            }
            Event::Commitment(c) => {
                each(&mut out, "title", [&c.title]);
                each(&mut out, "parties", c.parties.iter().flat_map(Parties::iter));
                each(&mut out, "deadline", &c.deadline);
                each(&mut out, "tags", &c.tags);
                each(&mut out, "quote", &c.quote);
            }
            Event::Meeting(m) => {
                each(&mut out, "title", [&m.title]);
                each(&mut out, "parties", m.parties.iter().flat_map(Parties::iter));
                each(&mut out, "summary", &m.summary);
                source(&mut out, &m.source);
            }
            Event::Deadline(d) => {
                each(&mut out, "deadline", [&d.deadline]);
                each(&mut out, "reason", &d.reason);
                source(&mut out, &d.source);
            }
            Event::Outcome(o) => {
                each(&mut out, "note", &o.note);
                source(&mut out, &o.source);
            }
            Event::Progress(p) => {
                each(&mut out, "note", [&p.note]);
                source(&mut out, &p.source);
            }
            Event::Retraction(r) => each(&mut out, "reason", [&r.reason]),
        }
        out
    }
}

impl OutcomeKind {
    pub fn name(self) -> &'static str {
        match self {
            OutcomeKind::Met => "met",
            OutcomeKind::Cancelled => "cancelled",
            OutcomeKind::Superseded => "superseded",
        }
    }
}

/// A user-chosen id: 1 to 100 of lowercase ASCII letters, digits and `-`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(try_from = "String")]
pub struct Slug(String);

// Written as the string it holds (serde's `into` would clone it first).
impl Serialize for Slug {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl Slug {
    pub const MAX_LEN: usize = 100;

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Slug {
    type Error = String;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        let ok_char = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-';
        if value.is_empty() {
            Err("expected an id (lowercase letters, digits and '-'), found an empty string".into())
        } else if value.len() > Slug::MAX_LEN {
            Err(format!(
                "expected an id of at most {} characters, found one of {}",
                Slug::MAX_LEN,
                value.chars().count()
            ))
        } else if let Some(bad) = value.chars().find(|&c| !ok_char(c)) {
            Err(format!(
                "expected an id of lowercase letters, digits and '-', found {:?} (character {:?})",
                value, bad
            ))
        } else {
            Ok(Slug(value))
        }
    }
}

impl std::str::FromStr for Slug {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Slug::try_from(s.to_owned())
    }
}

impl From<Slug> for String {
    fn from(slug: Slug) -> String {
        slug.0
    }
}

impl fmt::Display for Slug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A calendar date written `YYYY-MM-DD`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Date(pub NaiveDate);

// Written and read as `YYYY-MM-DD` by hand: chrono's formatting and parsing
// interpret a format string each time, and were a tenth of decoding a line.
impl Serialize for Date {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut buf = [0u8; 16];
        serializer.serialize_str(self.write(&mut buf))
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct DateVisitor;
        impl serde::de::Visitor<'_> for DateVisitor {
            type Value = Date;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                // What serde says of a `String` expected, as before.
                f.write_str("a string")
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Date, E> {
                s.parse().map_err(E::custom)
            }
        }
        deserializer.deserialize_str(DateVisitor)
    }
}

impl Date {
    /// Writes the date as `YYYY-MM-DD` (or with a sign and more digits for a
    /// year outside 0000 to 9999) into `buf` and returns it.
    fn write<'b>(&self, buf: &'b mut [u8; 16]) -> &'b str {
        use chrono::Datelike;
        let (y, m, d) = (self.0.year(), self.0.month(), self.0.day());
        if !(0..=9999).contains(&y) {
            use std::io::Write;
            let mut cursor = std::io::Cursor::new(&mut buf[..]);
            write!(cursor, "{}", self.0.format("%Y-%m-%d")).expect("a date fits in 16 bytes");
            let len = cursor.position() as usize;
            return std::str::from_utf8(&buf[..len]).expect("dates are ASCII");
        }
        let digits = [y / 1000, y / 100 % 10, y / 10 % 10, y % 10];
        for (i, digit) in digits.into_iter().enumerate() {
            buf[i] = b'0' + digit as u8;
        }
        buf[4] = b'-';
        buf[5] = b'0' + (m / 10) as u8;
        buf[6] = b'0' + (m % 10) as u8;
        buf[7] = b'-';
        buf[8] = b'0' + (d / 10) as u8;
        buf[9] = b'0' + (d % 10) as u8;
        std::str::from_utf8(&buf[..10]).expect("dates are ASCII")
    }
}

impl TryFrom<String> for Date {
    type Error = String;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        value.parse()
    }
}

impl std::str::FromStr for Date {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let b = s.as_bytes();
        let shape_ok = b.len() == 10
            && b[4] == b'-'
            && b[7] == b'-'
            && b.iter().enumerate().all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
        if !shape_ok {
            return Err(format!("expected a date as YYYY-MM-DD, found {s:?}"));
        }
        let number = |range: std::ops::Range<usize>| {
            b[range].iter().fold(0u32, |n, &digit| n * 10 + u32::from(digit - b'0'))
        };
        let (year, month, day) = (number(0..4) as i32, number(5..7), number(8..10));
        NaiveDate::from_ymd_opt(year, month, day).map(Date).ok_or_else(|| {
            format!("expected a date as YYYY-MM-DD, found {s:?}, which is not a day of the calendar")
        })
    }
}

impl From<Date> for String {
    fn from(date: Date) -> String {
        date.to_string()
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.write(&mut [0; 16]))
    }
}

/// Text that says something: not empty and not only white space.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(try_from = "String")]
pub struct Text(String);

impl Serialize for Text {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl Text {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Text {
    type Error = String;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        if value.is_empty() {
            Err("expected text, found an empty string".into())
        } else if value.trim().is_empty() {
            Err("expected text, found only white space".into())
        } else {
            Ok(Text(value))
        }
    }
}

impl std::str::FromStr for Text {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Text::try_from(s.to_owned())
    }
}

impl From<Text> for String {
    fn from(text: Text) -> String {
        text.0
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The parties to a statement: a non-empty list of names.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Deserialize)]
#[serde(try_from = "Vec<Text>")]
pub struct Parties(Vec<Text>);

impl Serialize for Parties {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl Parties {
    pub fn iter(&self) -> impl Iterator<Item = &Text> {
        self.0.iter()
    }

    pub fn contains(&self, name: &str) -> bool {
        self.0.iter().any(|p| same_name(p.as_str(), name))
    }
}

/// The form in which party names and tags are compared: without the
/// spaces around them, with each run of spaces inside as one, without the
/// characters that cannot be seen ([`crate::text::hidden_name`]) and
/// regardless of case, so that "India", " india" and "India" followed by a
/// zero width space are one party in `status --party` and in `report` alike.
pub fn name_key(name: &str) -> String {
    // A character that cannot be seen (a zero width space, a soft hyphen)
    // or a doubled space would otherwise show one party as two that print
    // alike, each with its own score.
    let visible = name.chars().filter(|&c| crate::text::hidden_name(c).is_none() || c.is_whitespace());
    let words: String = visible.collect();
    words.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}

/// Whether two party names or tags are the same under [`name_key`].
pub fn same_name(a: &str, b: &str) -> bool {
    name_key(a) == name_key(b)
}

impl TryFrom<Vec<Text>> for Parties {
    type Error = String;

    fn try_from(value: Vec<Text>) -> Result<Self, Self::Error> {
        if value.is_empty() {
            Err("expected at least one party, found an empty list".into())
        } else {
            Ok(Parties(value))
        }
    }
}

impl From<Parties> for Vec<Text> {
    fn from(parties: Parties) -> Vec<Text> {
        parties.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(line: &str) -> Result<Event, String> {
        serde_json::from_str::<Event>(line).map_err(|e| e.to_string())
    }

    #[test]
    fn the_issue_examples_decode_and_round_trip() {
        let lines = [
            r#"{"type":"announcement","id":"in-jp-strategic-dialogue-2026","date":"2026-01-16","title":"India-Japan Strategic Dialogue","parties":["India","Japan"],"source":{"publisher":"news.jointearn.com"}}"#,
            r#"{"type":"commitment","id":"economic-security-dialogue","announcement":"in-jp-strategic-dialogue-2026","title":"Hold a formal economic security dialogue","deadline":"first half of 2026","tags":["economic-security"]}"#,
            r#"{"type":"meeting","id":"esd-tokyo-2026-05","date":"2026-05-20","title":"Economic security dialogue held in Tokyo","fulfils":["economic-security-dialogue"]}"#,
        ];
        for line in lines {
            let event = decode(line).unwrap();
            assert_eq!(String::from_utf8(event.canonical_json()).unwrap(), line);
        }
    }

    #[test]
    fn unknown_fields_are_refused_naming_the_field() {
        let err = decode(r#"{"type":"progress","commitment":"a","date":"2026-01-01","note":"x","nte":"y"}"#)
            .unwrap_err();
        assert!(err.contains("unknown field `nte`"), "{err}");
    }

    #[test]
    fn bad_slugs_dates_and_empty_text_are_refused() {
        let cases = [
            (
                r#"{"type":"progress","commitment":"Bad_Id","date":"2026-01-01","note":"x"}"#,
                "lowercase letters",
            ),
            (
                r#"{"type":"progress","commitment":"a","date":"2026-02-30","note":"x"}"#,
                "not a day of the calendar",
            ),
            (r#"{"type":"progress","commitment":"a","date":"30/01/2026","note":"x"}"#, "YYYY-MM-DD"),
            (r#"{"type":"progress","commitment":"a","date":"2026-01-01","note":"  "}"#, "only white space"),
            (r#"{"type":"progress","commitment":"a","date":"2026-01-01","note":""}"#, "an empty string"),
            (
                r#"{"type":"announcement","id":"a","date":"2026-01-01","title":"t","parties":[]}"#,
                "at least one party",
            ),
            (r#"{"type":"retraction","retracts":"yesterday","reason":"r"}"#, "a seq number or an event uuid"),
        ];
        for (line, expected) in cases {
            let err = decode(line).unwrap_err();
            assert!(err.contains(expected), "{line}: {err}");
        }
    }

    #[test]
    fn superseded_needs_a_replacement_and_others_refuse_one() {
        let superseded: Event =
            decode(r#"{"type":"outcome","commitment":"a","date":"2026-01-01","outcome":"superseded"}"#)
                .unwrap();
        assert_eq!(superseded.check(), Err(EventProblem::SupersededWithoutBy));
        let met: Event =
            decode(r#"{"type":"outcome","commitment":"a","date":"2026-01-01","outcome":"met","by":"b"}"#)
                .unwrap();
        assert_eq!(met.check(), Err(EventProblem::ByWithoutSupersession { outcome: "met" }));
    }

    #[test]
    fn party_names_that_print_alike_are_one_name() {
        let same = [
            ("India", " india "),
            ("India", "India\u{200b}"),
            ("India", "In\u{00ad}dia"),
            ("United States", "united  states"),
            ("United States", "United\u{a0}States"),
        ];
        for (a, b) in same {
            assert!(same_name(a, b), "{a:?} and {b:?}");
        }
        for (a, b) in [("India", "Indias"), ("United States", "UnitedStates")] {
            assert!(!same_name(a, b), "{a:?} and {b:?}");
        }
    }

    #[test]
    fn slug_length_limit_is_100() {
        assert!(Slug::try_from("a".repeat(100)).is_ok());
        assert!(Slug::try_from("a".repeat(101)).is_err());
    }

    #[test]
    fn a_retracts_event_of_null_is_none_and_a_bad_one_is_named_with_its_path() {
        let line = |named: &str| {
            format!(r#"{{"type":"retraction","retracts":1,"retracts_event":{named},"reason":"r"}}"#)
        };
        let Event::Retraction(r) = decode(&line("null")).unwrap() else { panic!("a retraction") };
        assert_eq!(r.retracts_event, None);
        let nested =
            line(r#"{"type":"retraction","retracts_event":{"type":"progress","digest":"ab"},"reason":"x"}"#);
        let err = decode(&nested).unwrap_err();
        assert!(
            err.starts_with(
                "`retracts_event.retracts_event`: expected a digest of 32 lowercase hex digits, found 'ab'"
            ),
            "{err}"
        );
    }
}
