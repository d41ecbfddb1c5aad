//! Reading events from JSON Lines, with every error placed at `FILE:LINE`.
//!
//! A file is read as bytes so that invalid UTF-8 and over-long lines are
//! reported by line number rather than aborting the read. Blank lines are
//! skipped; a file with no event at all is refused, since importing it is
//! almost certainly a mistake (the wrong file, or an empty export).

use std::collections::HashSet;
use std::fmt;
use std::io::BufRead;

use serde_json::value::RawValue;

use crate::chain::MAX_RECORD_LEN;
use crate::event::{Event, EventProblem, RetractedEvent, Slug, Text};
use serde::Deserialize as _;

/// Where a line came from: a file name (or `<stdin>`) and a 1-based line number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// Shared by every line of a file.
    pub file: std::sync::Arc<str>,
    pub line: usize,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// One decoded event and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub origin: Origin,
    pub event: Event,
}

/// A problem with one line of input, shown as `FILE:LINE: message`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{origin}: {message}")]
pub struct InputError {
    pub origin: Origin,
    pub message: String,
    /// For a retraction refused only because this ledger gives the event
    /// its `retracts_event` names another seq: the line and that seq, which
    /// `import` writes in `retracts` before it checks the lines again.
    pub renumber: Option<Renumber>,
}

/// The seq to write in a retraction's `retracts`: see [`InputError::renumber`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Renumber {
    /// The line's place among the lines checked, from 0.
    pub line: usize,
    pub retracts: u64,
}

impl InputError {
    pub fn new(origin: Origin, message: String) -> InputError {
        InputError { origin, message, renumber: None }
    }
}

/// Every problem found in an input, in the order found. Nothing is appended
/// when there is any.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct InputErrors(pub Vec<InputError>);

impl fmt::Display for InputErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

/// Why one line of input is not an event ([`decode_line`]). It names no
/// place: the caller adds `FILE:LINE`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LineError {
    /// Not the JSON of an event: malformed, not an object, no or an unknown
    /// `type`, or a field serde refused. The message is serde's, placed by
    /// column or prefixed with the event's type where it can be.
    #[error("{0}")]
    Json(String),
    /// An event that breaks a rule of its own.
    #[error(transparent)]
    Rule(#[from] EventProblem),
}

/// Decodes one line of JSON into an event, checking what one line can show
/// on its own.
pub fn decode_line(text: &str) -> Result<Event, LineError> {
    match crate::event::from_json(text) {
        Ok(event) => {
            event.check()?;
            Ok(event)
        }
        Err(e) => Err(LineError::Json(describe_json_error(text, &e))),
    }
}

/// Reads every line of `reader`, decoding each, and returns the events with
/// all the errors found. `on_line` is called with the byte count of each line
/// read, for progress reporting.
pub fn read_lines(
    file: &str,
    reader: impl BufRead,
    mut on_line: impl FnMut(usize),
) -> (Vec<Line>, Vec<InputError>) {
    let file: std::sync::Arc<str> = file.into();
    let file = &file;
    let mut lines = Vec::new();
    let mut errors = Vec::new();
    let mut saw_event_line = false;
    let mut line_no = 0;
    let error = |line: usize, message: String| InputError::new(Origin { file: file.clone(), line }, message);
    // A line is kept in memory only up to the largest event there can be:
    // an over-long line is measured and refused, never held whole, so a
    // hostile file (a gigabyte without a newline) cannot exhaust memory;
    // one still without a newline after 1 GiB ends the reading, so that
    // input that never ends (`/dev/zero`) cannot hold it up for ever.
    // Lines are read straight into the block that decodes them.
    let mut reader = reader;
    // Lines are decoded in blocks, on all cores: see `Block`.
    let mut block = Block::default();
    loop {
        let start = block.bytes.len();
        let line = match next_line(&mut reader, &mut block.bytes, MAX_RECORD_LEN) {
            Ok(Some(line)) => line,
            Ok(None) => break,
            Err(e) => {
                block.bytes.truncate(start);
                block
                    .errors
                    .push((block.texts.len(), error(line_no + 1, format!("cannot read the file: {e}"))));
                break;
            }
        };
        line_no += 1;
        on_line(line.len + 1);
        if line.blank {
            block.bytes.truncate(start);
            continue;
        }
        if line.endless {
            block.bytes.truncate(start);
            saw_event_line = true;
            let message = "expected an event under 32 KiB, found a line of more than 1 GiB; the rest of the \
                           input was not read";
            block.errors.push((block.texts.len(), error(line_no, message.into())));
            break;
        }
        if line.len >= MAX_RECORD_LEN {
            block.bytes.truncate(start);
            saw_event_line = true;
            block.errors.push((
                block.texts.len(),
                error(line_no, format!("expected an event under 32 KiB, found a line of {} bytes", line.len)),
            ));
            continue;
        }
        let mut text = start..block.bytes.len();
        if block.bytes[text.clone()].ends_with(b"\r") {
            text.end -= 1;
        }
        // Some editors start UTF-8 files with a byte order mark; JSON
        // parsers may ignore it (RFC 8259, section 8.1), and so does pledger.
        if line_no == 1 && block.bytes[text.clone()].starts_with(UTF8_BOM) {
            text.start += UTF8_BOM.len();
        }
        if block.bytes[text.clone()].iter().all(u8::is_ascii_whitespace) {
            block.bytes.truncate(start);
            continue;
        }
        saw_event_line = true;
        block.texts.push((line_no, text));
        if block.texts.len() >= Block::LINES {
            block.decode_into(file, &mut lines, &mut errors);
        }
    }
    block.decode_into(file, &mut lines, &mut errors);
    if !saw_event_line && errors.is_empty() {
        let what = if line_no == 0 { "an empty file" } else { "only blank lines" };
        errors.push(error(line_no.max(1), format!("expected at least one event, found {what}")));
    }
    (lines, errors)
}

/// Reads the one event that `reader` must hold (`pledger append`): one
/// line, read and decoded as [`read_lines`] reads a line of a file, with
/// blank lines around it allowed. At most a little more than an event can
/// be is read, so endless input (`yes | pledger append`) is refused rather
/// than read for ever.
pub fn read_one(file: &str, reader: impl std::io::Read) -> Result<Line, InputErrors> {
    use std::io::Read as _;
    let error = |line: usize, message: String| {
        InputErrors(vec![InputError::new(Origin { file: file.into(), line }, message)])
    };
    // Room for the longest event, a byte order mark and a `\r\n`; one more
    // byte tells that there was more.
    let limit = MAX_RECORD_LEN + UTF8_BOM.len() + 2;
    let mut bytes = Vec::new();
    if let Err(e) = reader.take(limit as u64 + 1).read_to_end(&mut bytes) {
        return Err(error(1, format!("cannot read the input: {e}")));
    }
    if bytes.len() > limit {
        return Err(error(1, "expected an event under 32 KiB, found more input than that".into()));
    }
    let text = bytes.strip_prefix(UTF8_BOM).unwrap_or(&bytes);
    let mut events = text
        .split(|&b| b == b'\n')
        .enumerate()
        .filter(|(_, line)| !line.iter().all(u8::is_ascii_whitespace))
        .map(|(i, _)| i + 1);
    match (events.next(), events.next()) {
        (None, _) => {
            let what = if text.is_empty() { "empty input" } else { "only blank lines" };
            Err(error(1, format!("expected an event, found {what}")))
        }
        (Some(_), Some(second)) => {
            Err(error(second, "expected one event on one line; use `pledger import` for several".into()))
        }
        (Some(_), None) => {
            let (mut lines, errors) = read_lines(file, &bytes[..], |_| {});
            if !errors.is_empty() {
                return Err(InputErrors(errors));
            }
            Ok(lines.pop().expect("one line that is not blank decodes to an event or an error"))
        }
    }
}

/// Lines read but not decoded yet, with the errors found among them while
/// reading (each placed before the text at its index), so that results keep
/// the order of the input. Decoding is most of the cost of reading, and lines
/// decode independently, so a large block is split across the cores.
///
/// A line's bytes are checked for UTF-8 when it is decoded, on all cores
/// too: reading only finds where lines end.
#[derive(Default)]
struct Block {
    bytes: Vec<u8>,
    /// Line number and place in `bytes` of each line's text.
    texts: Vec<(usize, std::ops::Range<usize>)>,
    errors: Vec<(usize, InputError)>,
}

impl Block {
    /// Lines per block: enough to amortize starting threads, few enough to
    /// bound the memory held twice.
    const LINES: usize = 8192;

    fn decode_into(
        &mut self,
        file: &std::sync::Arc<str>,
        lines: &mut Vec<Line>,
        errors: &mut Vec<InputError>,
    ) {
        let decoded =
            parallel_map(&self.texts, |(_, text)| match std::str::from_utf8(&self.bytes[text.clone()]) {
                Ok(text) => decode_line(text).map_err(|e| e.to_string()),
                Err(e) => Err(format!(
                    "expected UTF-8 text, found an invalid byte at column {}",
                    e.valid_up_to() + 1
                )),
            });
        let mut pending_errors = std::mem::take(&mut self.errors).into_iter().peekable();
        for (i, (result, &(line_no, _))) in decoded.into_iter().zip(self.texts.iter()).enumerate() {
            while let Some((_, e)) = pending_errors.next_if(|(at, _)| *at <= i) {
                errors.push(e);
            }
            let origin = Origin { file: file.clone(), line: line_no };
            match result {
                Ok(event) => lines.push(Line { origin, event }),
                Err(message) => errors.push(InputError::new(origin, message)),
            }
        }
        errors.extend(pending_errors.map(|(_, e)| e));
        self.bytes.clear();
        self.texts.clear();
    }
}

/// `f` over `items`, in order, split across the cores when there are
/// enough items to be worth starting threads (fewer than 512 stay on the
/// calling thread, so a one-event append starts none).
pub(crate) fn parallel_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    parallel_map_from(512, items, f)
}

/// The threads [`parallel_map`] splits work across: one per core, at most 8.
pub(crate) fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get()).min(8)
}

/// `f` over the items `read` yields, each on whichever core is free as it
/// comes, while this thread goes on reading: for a source that reads on one
/// thread at a time (sled's reads of large values do not overlap: 24
/// snapshot parts took 9-11 ms on one thread and 10-12 ms on two). Returns
/// each item with its result, in order, or the first error `read` gives,
/// once the items already read are done.
pub(crate) fn map_as_read<T: Send, R: Send, E>(
    read: impl Iterator<Item = Result<T, E>>,
    f: impl Fn(usize, &T) -> R + Sync,
) -> Result<Vec<(T, R)>, E> {
    let workers = cores();
    // Bounded, so that reading does not run far ahead of the work. The
    // workers alone hold the receiver, so that if they all panic, sending
    // fails rather than waiting for good.
    let (send, receive) = std::sync::mpsc::sync_channel::<(usize, T)>(workers);
    let receive = std::sync::Arc::new(std::sync::Mutex::new(receive));
    std::thread::scope(|scope| {
        let f = &f;
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                let receive = std::sync::Arc::clone(&receive);
                scope.spawn(move || {
                    let mut done = Vec::new();
                    loop {
                        // The lock is held while waiting: the next item goes
                        // to one worker anyway.
                        let next = receive.lock().unwrap_or_else(|e| e.into_inner()).recv();
                        let Ok((i, item)) = next else { return done };
                        let result = f(i, &item);
                        done.push((i, item, result));
                    }
                })
            })
            .collect();
        drop(receive);
        let mut error = None;
        for (i, item) in read.enumerate() {
            match item {
                Ok(item) => {
                    // Fails only once every worker has panicked: the panic
                    // is raised by the join below.
                    if send.send((i, item)).is_err() {
                        break;
                    }
                }
                Err(e) => {
                    error = Some(e);
                    break;
                }
            }
        }
        drop(send);
        let mut done: Vec<(usize, T, R)> = handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect();
        if let Some(e) = error {
            return Err(e);
        }
        done.sort_unstable_by_key(|&(i, _, _)| i);
        Ok(done.into_iter().map(|(_, item, result)| (item, result)).collect())
    })
}

/// [`parallel_map`] that starts threads from `min_items` items on (for
/// items that are each a lot of work, such as chunks of records).
///
/// Each thread takes the next few items as it becomes free, rather than a
/// fixed share, so that items of uneven cost (a snapshot's lines of
/// announcements and of commitments) do not leave a core idle. Measured on
/// a status from a snapshot, what moved was freeing the decoded projection
/// afterwards (10-12.5 ms against 14-23), not the decoding itself.
pub(crate) fn parallel_map_from<T: Sync, R: Send>(
    min_items: usize,
    items: &[T],
    f: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    let threads = if items.len() < min_items.max(2) { 1 } else { cores().min(items.len()) };
    if threads == 1 {
        return items.iter().map(f).collect();
    }
    // Eight takes per thread: enough to even out uneven items, few enough
    // that taking costs nothing noticeable.
    let take = items.len().div_ceil(threads * 8);
    let next = std::sync::atomic::AtomicUsize::new(0);
    let (f, next) = (&f, &next);
    let mut done: Vec<(usize, Vec<R>)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(move || {
                    let mut done = Vec::new();
                    loop {
                        let start = next.fetch_add(take, std::sync::atomic::Ordering::Relaxed);
                        if start >= items.len() {
                            return done;
                        }
                        let end = (start + take).min(items.len());
                        done.push((start, items[start..end].iter().map(f).collect::<Vec<R>>()));
                    }
                })
            })
            .collect();
        workers.into_iter().flat_map(|w| w.join().unwrap_or_else(|e| std::panic::resume_unwind(e))).collect()
    });
    done.sort_unstable_by_key(|&(start, _)| start);
    done.into_iter().flat_map(|(_, results)| results).collect()
}

/// What [`next_line`] read.
struct LineRead {
    /// The line's length in bytes, without its `\n` (or `\r\n`).
    len: usize,
    /// Whether it is empty or only white space.
    blank: bool,
    /// Whether measuring stopped at [`MEASURE_LIMIT`] before the line ended.
    endless: bool,
}

/// How far an over-long line is measured. Past this, a line is taken for
/// one that never ends (`import /dev/zero`, a stream without newlines) and
/// the rest of the input is not read.
const MEASURE_LIMIT: usize = 1 << 30;

/// Reads the next line to the end of `buf` (without its `\n`), keeping at
/// most `limit` bytes of it while measuring all of it. `None` at the end.
fn next_line(
    reader: &mut impl BufRead,
    buf: &mut Vec<u8>,
    limit: usize,
) -> std::io::Result<Option<LineRead>> {
    let limit = buf.len() + limit;
    let (mut len, mut blank, mut started, mut last) = (0, true, false, None);
    loop {
        let available = match reader.fill_buf() {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if available.is_empty() {
            break;
        }
        started = true;
        let newline = available.iter().position(|&b| b == b'\n');
        let part = &available[..newline.unwrap_or(available.len())];
        let room = limit.saturating_sub(buf.len());
        buf.extend_from_slice(&part[..part.len().min(room)]);
        blank &= part.iter().all(u8::is_ascii_whitespace);
        len += part.len();
        last = part.last().copied().or(last);
        let used = newline.map_or(available.len(), |at| at + 1);
        reader.consume(used);
        if newline.is_some() {
            break;
        }
        if len > MEASURE_LIMIT {
            return Ok(Some(LineRead { len, blank: false, endless: true }));
        }
    }
    if !started {
        return Ok(None);
    }
    if last == Some(b'\r') {
        len -= 1;
    }
    Ok(Some(LineRead { len, blank, endless: false }))
}

/// Turns serde_json's message into one that names the event type (when the
/// line is an object with a known `type`) and the column, without serde's
/// "at line 1" suffix, which would contradict the caller's line number.
fn describe_json_error(text: &str, e: &serde_json::Error) -> String {
    let message = &without_position(e);
    if e.is_syntax() || e.is_eof() {
        return malformed(message, e.column());
    }
    let value: serde_json::Value = match serde_json::from_str(text) {
        Ok(value) => value,
        // Well formed, but nested deeper than serde_json reads a value
        // (128 levels): what it opens with says what it is.
        Err(_) if !text.trim_start().starts_with('{') => {
            let kind = if text.trim_start().starts_with('[') { "an array" } else { "a value" };
            return format!("expected a JSON object with a \"type\", found {kind}");
        }
        Err(deep) => return malformed(&without_position(&deep), deep.column()),
    };
    let Some(object) = value.as_object() else {
        return format!("expected a JSON object with a \"type\", found {}", json_kind(&value));
    };
    match object.get("type") {
        None => "expected a \"type\" field (announcement, commitment, meeting, deadline, outcome, progress or retraction)".into(),
        Some(serde_json::Value::String(kind))
            if message.starts_with("unknown variant") && !EVENT_TYPES.contains(&kind.as_str()) =>
        {
            format!(
                "unknown event type {kind:?}; expected announcement, commitment, meeting, deadline, outcome, progress or retraction"
            )
        }
        // (A blank field is named by its own path, nested ones too.)
        Some(serde_json::Value::String(kind)) => match blank_found(without_path(message)) {
            // serde names no field for a value its type refused; a blank
            // text or id has no value to quote, so name the field.
            Some((expected, found)) => {
                let mut blank = blank_fields(text);
                // The one serde refused is blank in the way it says, of the
                // type it names, and the first such in the line: serde reads
                // the fields in the order written.
                let empty = found == "an empty string";
                let id = expected.starts_with("expected an id");
                let refused = blank.iter().position(|(field, is_empty)| *is_empty == empty && is_id_field(field) == id);
                match refused {
                    None => format!("{kind}: {message}"),
                    Some(i) => {
                        let (field, _) = blank.remove(i);
                        let more: Vec<String> = blank.into_iter().map(|(f, _)| format!("`{f}`")).collect();
                        let more =
                            if more.is_empty() { String::new() } else { format!(" (and in {})", more.join(", ")) };
                        format!("{kind}: {expected} in `{field}`, found {found}{more}")
                    }
                }
            }
            // serde names no field for a value its type refused either:
            // find the one that gives this message read alone.
            None => {
                let plain = |message: &str| plain_mismatch(message, |t| t).unwrap_or_else(|| message.to_owned());
                match refused_field(text, message) {
                    Some(field) => format!("{kind}: `{field}`: {}", plain(without_path(message))),
                    None => format!("{kind}: {}", plain(message)),
                }
            }
        },
        Some(other) => format!("expected \"type\" to be a string, found {}", json_kind(other)),
    }
}

/// What is wrong with a line that is not well-formed JSON, or is nested
/// deeper than serde_json reads (which it calls a recursion limit).
fn malformed(message: &str, column: usize) -> String {
    if message == "recursion limit exceeded" {
        return format!(
            "expected JSON nested at most 128 levels deep, found deeper nesting (column {column})"
        );
    }
    format!("expected a JSON object, but the JSON is malformed: {message} (column {column})")
}

/// serde's message for a value of the wrong type or form (`invalid type:
/// integer `5`, expected a string`) in a reader's words and in the order
/// every other message takes: `expected a string, found the number 5`.
/// `None` for any other message. `plain_type` names what serde expected
/// where a reader would call it otherwise (an array, not a sequence).
pub(crate) fn plain_mismatch(message: &str, plain_type: impl Fn(&str) -> &str) -> Option<String> {
    let rest = message.strip_prefix("invalid type: ").or_else(|| message.strip_prefix("invalid value: "))?;
    let (found, expected) = rest.rsplit_once(", expected ")?;
    let expected = match expected {
        "a sequence" => "an array",
        "a map" => "an object",
        "string or map" => "a string or an object",
        other if other.starts_with("struct ") => "an object",
        other => plain_type(other),
    };
    Some(format!("expected {expected}, found {}", plain_found(found)))
}

/// What serde calls a value it found (`integer `5``, `sequence`), and what
/// a reader of JSON calls it (`the number 5`, `an array`).
fn plain_found(found: &str) -> String {
    let quoted =
        |prefix: &str| found.strip_prefix(prefix).and_then(|v| v.strip_prefix('`')?.strip_suffix('`'));
    if let Some(number) = quoted("integer ").or_else(|| quoted("floating point ")) {
        return format!("the number {number}");
    }
    if let Some(boolean) = quoted("boolean ") {
        return boolean.to_owned();
    }
    if let Some(string) = found.strip_prefix("string ") {
        return format!("the string {string}");
    }
    match found {
        "sequence" => "an array",
        "map" => "an object",
        "unit value" | "null" => "null",
        other => other,
    }
    .to_owned()
}

/// serde_json's message without its "at line 1 column 9" suffix.
pub(crate) fn without_position(e: &serde_json::Error) -> String {
    let full = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    match full.strip_suffix(&suffix) {
        Some(message) => message.to_owned(),
        None => full,
    }
}

/// The path of the field in the event in `text` that serde refused with
/// `message` (`parties[1]`, `source.publisher`, `retracts_event.id`), or
/// `None` when no one field did or the message names it already (a missing,
/// an unknown or a repeated field).
///
/// serde reads the fields in the order written, duplicates too, and stops
/// at the first it refuses; so the refused field is the first whose
/// prefix of the object, read as the event, gives `message` when the
/// prefix before it does not. Reading prefixes with the event's own type
/// needs no table of which fields each type has, which are optional or
/// what each holds: the answer is serde's. Inside the field, the list
/// element or source field that gives the message read alone is named.
fn refused_field(text: &str, message: &str) -> Option<String> {
    let object: &RawValue = serde_json::from_str(text).ok()?;
    let read_event = |json: &str| serde_json::from_str::<Event>(json).err().map(|e| without_position(&e));
    refused_in(object, &read_event, true, message)
}

/// [`refused_field`] in the object `raw`, read by `read` (serde's message
/// for a JSON text, `None` if it reads). With `tagged`, its `type` picks
/// the type it is read as, so every prefix keeps it.
fn refused_in(
    raw: &RawValue,
    read: &dyn Fn(&str) -> Option<String>,
    tagged: bool,
    message: &str,
) -> Option<String> {
    // serde finds a field missing only after reading the last one.
    if message.starts_with("missing field `") {
        return None;
    }
    let (tags, fields): (Vec<_>, Vec<_>) =
        object_fields(raw).into_iter().partition(|(name, _)| tagged && name == "type");
    // named_event's message says which nested `retracts_event` it came
    // from (`retracts_event`: … or `retracts_event.retracts_event…`: …):
    // go straight down to it (the first written, which serde read), and
    // look for the field in the innermost only, without rereading each
    // level's whole subtree.
    if let Some(rest) = message.strip_prefix("`retracts_event") {
        let inner = match rest.strip_prefix("`: ") {
            Some(inner) => inner.to_owned(),
            None => format!("`{}", rest.strip_prefix('.')?),
        };
        let (name, value) = fields.iter().find(|(name, _)| name == "retracts_event")?;
        let read_named = |json: &str| {
            let value: serde_json::Value = serde_json::from_str(json).ok()?;
            RetractedEvent::deserialize(value).err().map(|e| e.to_string())
        };
        let within = refused_in(value, &read_named, false, &inner);
        return Some(within.map_or_else(|| name.clone(), |path| format!("{name}.{path}")));
    }
    // The object's first `n` fields, the last with `value` if given.
    let prefix = |n: usize, value: Option<&str>| {
        let pairs = tags.iter().map(|(name, v)| (name, v.get()));
        let mut pairs: Vec<(&String, &str)> =
            pairs.chain(fields[..n].iter().map(|(name, v)| (name, v.get()))).collect();
        if let (Some(value), Some(last)) = (value, pairs.last_mut()) {
            last.1 = value;
        }
        let pairs: Vec<String> =
            pairs.into_iter().map(|(name, value)| format!("{}:{value}", quoted(name))).collect();
        format!("{{{}}}", pairs.join(","))
    };
    let gives = |n: usize, value: Option<&str>| read(&prefix(n, value)).as_deref() == Some(message);
    if gives(0, None) {
        return None;
    }
    // serde stops at a repeated key ("duplicate field `id`") if not at a
    // field before it; so the refused field, if any, comes before the first
    // repeat, and there are only as many fields to try as the type has.
    let mut seen = HashSet::new();
    let unrepeated = fields.iter().take_while(|(name, _)| seen.insert(name.as_str())).count();
    let n = (1..=unrepeated).find(|&n| gives(n, None))?;
    // A message that no value of the field changes is about its name, and
    // says it: "unknown field `titel`", "duplicate field `id`", "expected
    // `retracts` to be …" (but an unknown field inside `source` is not).
    if ["null", "[]"].into_iter().all(|value| gives(n, Some(value))) {
        return None;
    }
    let (name, value) = &fields[n - 1];
    Some(refused_part(name, value, message).unwrap_or_else(|| name.clone()))
}

/// The path of the element of a list field, or the field of a source, that
/// read alone as what it holds gives `message`: the first in written order.
fn refused_part(name: &str, raw: &RawValue, message: &str) -> Option<String> {
    let parts: Vec<(String, &RawValue)> = match name {
        "parties" | "tags" | "fulfils" | "progresses" => {
            let items = serde_json::from_str::<Vec<&RawValue>>(raw.get()).unwrap_or_default();
            items.into_iter().enumerate().map(|(i, item)| (format!("{name}[{i}]"), item)).collect()
        }
        "source" => {
            object_fields(raw).into_iter().map(|(field, value)| (format!("{name}.{field}"), value)).collect()
        }
        _ => return None,
    };
    // Read from a value, as the event was from serde's buffer of it (whose
    // messages a value's match), not from the text.
    fn refusal<T: serde::de::DeserializeOwned>(raw: &RawValue) -> Option<String> {
        let value: serde_json::Value = serde_json::from_str(raw.get()).ok()?;
        T::deserialize(value).err().map(|e| e.to_string())
    }
    let holds_ids = matches!(name, "fulfils" | "progresses");
    let gives = |raw: &RawValue| {
        let found = if holds_ids { refusal::<Slug>(raw) } else { refusal::<Text>(raw) };
        found.as_deref() == Some(message)
    };
    parts.into_iter().find(|(_, raw)| gives(raw)).map(|(path, _)| path)
}

/// `name` as a JSON string.
fn quoted(name: &str) -> String {
    serde_json::Value::from(name).to_string()
}

/// The fields of the object `raw` holds, in the order written, a repeated
/// key as often as it is written (none if it is not an object). Keys are
/// read as JSON, escapes and all.
fn object_fields(raw: &RawValue) -> Vec<(String, &RawValue)> {
    struct Fields;
    impl<'de> serde::de::Visitor<'de> for Fields {
        type Value = Vec<(String, &'de RawValue)>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("an object")
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut fields = Vec::new();
            while let Some(field) = map.next_entry()? {
                fields.push(field);
            }
            Ok(fields)
        }
    }
    use serde::Deserializer as _;
    serde_json::Deserializer::from_str(raw.get()).deserialize_map(Fields).unwrap_or_default()
}

/// `message` without the path to a nested `retracts_event` that
/// [`crate::event`] puts before it (`` `retracts_event`: ``).
fn without_path(message: &str) -> &str {
    let path = message.strip_prefix("`retracts_event").and_then(|m| m.split_once("`: "));
    path.map_or(message, |(_, rest)| rest)
}

/// A message that a field's type gives a blank string, split into what was
/// expected and what was found: `("expected text", "an empty string")`.
fn blank_found(message: &str) -> Option<(&str, &str)> {
    ["an empty string", "only white space"].into_iter().find_map(|found| {
        let expected = message.strip_suffix(found)?.strip_suffix(", found ")?;
        Some((expected, found))
    })
}

/// Whether a field named as [`blank_fields`] names it holds an id, not text.
fn is_id_field(field: &str) -> bool {
    let name = field.rsplit('.').next().unwrap_or(field);
    let name = name.split('[').next().unwrap_or(name);
    ["id", "announcement", "commitment", "by", "fulfils", "progresses"].contains(&name)
}

/// The fields of the object in `text` that hold an empty string or only
/// white space (`title`, `source.url`, `parties[1]`), in the order written
/// (the order serde reads them in), each with whether it is empty. Keys are
/// read as JSON, escapes and all.
fn blank_fields(text: &str) -> Vec<(String, bool)> {
    fn walk(text: &str, raw: &RawValue, path: String, out: &mut Vec<(usize, String, bool)>) {
        let json = raw.get();
        let at = json.as_ptr() as usize - text.as_ptr() as usize;
        if json.starts_with('"') {
            if let Ok(s) = serde_json::from_str::<String>(json).map(|s| s.trim().is_empty().then_some(s)) {
                out.extend(s.map(|s| (at, path, s.is_empty())));
            }
        } else if json.starts_with('[') {
            for (i, item) in
                serde_json::from_str::<Vec<&RawValue>>(json).unwrap_or_default().into_iter().enumerate()
            {
                walk(text, item, format!("{path}[{i}]"), out);
            }
        } else if json.starts_with('{') {
            for (name, field) in object_fields(raw) {
                let path = if path.is_empty() { name } else { format!("{path}.{name}") };
                walk(text, field, path, out);
            }
        }
    }
    let mut out = Vec::new();
    if let Ok(raw) = serde_json::from_str::<&RawValue>(text) {
        walk(text, raw, String::new(), &mut out);
    }
    out.sort_by_key(|&(at, _, _)| at);
    out.into_iter().map(|(_, path, empty)| (path, empty)).collect()
}

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// The values of `"type"`.
const EVENT_TYPES: [&str; 7] =
    ["announcement", "commitment", "meeting", "deadline", "outcome", "progress", "retraction"];

/// What a JSON value is, for messages: "an array", "a string" …
pub fn json_kind(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors_of(text: &[u8]) -> Vec<String> {
        read_lines("f.jsonl", text, |_| {}).1.into_iter().map(|e| e.to_string()).collect()
    }

    #[test]
    fn work_done_as_items_are_read_comes_back_in_order_or_stops_at_a_read_error() {
        // given items read one by one, some costlier than others
        for n in [0usize, 1, 2, 7, 100] {
            let read = (0..n).map(Ok::<_, String>);
            // when each is worked on as it comes
            let done = map_as_read(read, |i, &item| {
                if item % 3 == 0 {
                    std::thread::sleep(std::time::Duration::from_millis(2));
                }
                (i, item * 10)
            });
            // then every item is there once, in order, with its own result
            let expected: Vec<_> = (0..n).map(|i| (i, (i, i * 10))).collect();
            assert_eq!(done.unwrap(), expected, "{n} items");
        }
        // given a read that fails part way, then its error is the answer
        let read = (0..50).map(|i| if i == 20 { Err(format!("item {i} unreadable")) } else { Ok(i) });
        assert_eq!(map_as_read(read, |_, &item| item).unwrap_err(), "item 20 unreadable");
    }

    #[test]
    fn a_panic_in_the_work_on_items_as_read_is_raised_not_waited_on() {
        // given work that panics on every item, more items than the
        // channel holds, then the panic comes back with its own message
        let caught = std::panic::catch_unwind(|| {
            map_as_read((0..100).map(Ok::<_, ()>), |_, _: &i32| -> i32 { panic!("the work failed") })
        });
        let payload = caught.expect_err("the panic is raised");
        assert_eq!(payload.downcast_ref::<&str>(), Some(&"the work failed"));
    }

    #[test]
    fn work_shared_across_threads_comes_back_in_item_order() {
        // given items of very uneven cost (the first few far costlier), few
        // and many
        for n in [2, 3, 15, 16, 17, 100, 1000] {
            let items: Vec<u64> = (0..n).collect();
            let work = |&i: &u64| -> u64 {
                let rounds = if i < 4 { 200_000 } else { 10 };
                (0..rounds).map(std::hint::black_box).fold(i, |a, b| a ^ b)
            };
            // when they are mapped across threads, then the results are in
            // the items' order, as mapping them one by one gives
            assert_eq!(
                parallel_map_from(2, &items, work),
                items.iter().map(work).collect::<Vec<_>>(),
                "{n} items"
            );
        }
    }

    #[test]
    fn each_bad_line_is_reported_at_its_line() {
        let text = b"{\"type\":\"progress\",\"commitment\":\"a\",\"date\":\"2026-01-01\",\"note\":\"ok\"}\n\
                     {\"type\":\"progres\"}\n\
                     \n\
                     not json\n\
                     [1,2]\n\
                     {\"type\":\"progress\",\"commitment\":\"a\",\"date\":\"2026-01-01\"}\n";
        let errors = errors_of(text);
        assert_eq!(errors.len(), 4, "{errors:#?}");
        assert!(errors[0].starts_with("f.jsonl:2: unknown event type \"progres\""), "{}", errors[0]);
        assert!(
            errors[1].starts_with("f.jsonl:4: expected a JSON object, but the JSON is malformed"),
            "{}",
            errors[1]
        );
        assert!(
            errors[2].starts_with("f.jsonl:5: expected a JSON object with a \"type\", found an array"),
            "{}",
            errors[2]
        );
        assert_eq!(errors[3], "f.jsonl:6: progress: missing field `note`");
    }

    #[test]
    fn an_unknown_value_of_a_known_type_is_not_an_unknown_type() {
        let errors = errors_of(
            b"{\"type\":\"outcome\",\"commitment\":\"a\",\"date\":\"2026-03-01\",\"outcome\":\"done\"}\n",
        );
        assert_eq!(
            errors,
            ["f.jsonl:1: outcome: `outcome`: unknown variant `done`, expected one of `met`, `cancelled`, `superseded`"]
        );
    }

    #[test]
    fn an_over_long_line_is_measured_not_kept_and_the_next_line_is_read() {
        let mut text = vec![b' '; 10];
        text.extend(std::iter::repeat_n(b'x', 3 * MAX_RECORD_LEN));
        text.extend_from_slice(b"\r\n{\"type\":\"progres\"}\n");
        let mut reader = std::io::BufReader::with_capacity(64, &text[..]);
        let mut buf = Vec::new();
        let first = next_line(&mut reader, &mut buf, MAX_RECORD_LEN).unwrap().unwrap();
        assert_eq!((first.len, first.blank, buf.len()), (10 + 3 * MAX_RECORD_LEN, false, MAX_RECORD_LEN));
        let errors = errors_of(&text);
        assert_eq!(errors.len(), 2, "{errors:?}");
        let expected = format!(
            "f.jsonl:1: expected an event under 32 KiB, found a line of {} bytes",
            10 + 3 * MAX_RECORD_LEN
        );
        assert_eq!(errors[0], expected);
        assert!(errors[1].starts_with("f.jsonl:2: unknown event type"), "{errors:?}");
    }

    #[test]
    fn a_byte_order_mark_at_the_start_is_ignored() {
        let text = b"\xEF\xBB\xBF{\"type\":\"progress\",\"commitment\":\"a\",\"date\":\"2026-01-01\",\"note\":\"ok\"}\n";
        let (lines, errors) = read_lines("f.jsonl", &text[..], |_| {});
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(lines.len(), 1);
    }

    #[test]
    fn lines_decoded_on_several_threads_keep_their_order() {
        let good = "{\"type\":\"progress\",\"commitment\":\"a\",\"date\":\"2026-01-01\",\"note\":\"n\"}";
        let mut text = Vec::new();
        for i in 1..=(Block::LINES + 700) {
            match i % 97 {
                0 => text.extend_from_slice(b"not json"),
                1 => text.extend_from_slice(b"{\"type\":\"\xff\"}"),
                _ => text.extend_from_slice(good.replace("\"n\"", &format!("\"{i}\"")).as_bytes()),
            }
            text.push(b'\n');
        }
        let (lines, errors) = read_lines("f.jsonl", &text[..], |_| {});
        let error_lines: Vec<usize> = errors.iter().map(|e| e.origin.line).collect();
        let expected: Vec<usize> = (1..=(Block::LINES + 700)).filter(|i| i % 97 <= 1).collect();
        assert_eq!(error_lines, expected);
        let line_nos: Vec<usize> = lines.iter().map(|l| l.origin.line).collect();
        let expected: Vec<usize> = (1..=(Block::LINES + 700)).filter(|i| i % 97 > 1).collect();
        assert_eq!(line_nos, expected);
        for line in &lines {
            let Event::Progress(p) = &line.event else { panic!("a progress event") };
            assert_eq!(p.note.as_str(), line.origin.line.to_string());
        }
    }

    #[test]
    fn one_event_is_read_as_a_line_of_a_file_is() {
        let good = r#"{"type":"progress","commitment":"a","date":"2026-01-01","note":"ok"}"#;
        let one = |text: &[u8]| read_one("<stdin>", text).map(|_| ()).map_err(|e| e.to_string());
        let err = |s: &str| Err(s.to_owned());
        let endless = b"y\n".repeat(MAX_RECORD_LEN);
        let long = format!("{{\"type\":\"progress\",\"note\":\"{}\"}}", "x".repeat(MAX_RECORD_LEN - 29));
        let (blank_around, bom, two) =
            (format!("\n{good}\r\n\n"), format!("\u{feff}{good}"), format!("{good}\n\n{good}"));
        let cases: &[(&[u8], Result<(), String>)] = &[
            (good.as_bytes(), Ok(())),
            (blank_around.as_bytes(), Ok(())),
            (bom.as_bytes(), Ok(())),
            (b"", err("<stdin>:1: expected an event, found empty input")),
            (b" \n\t\n", err("<stdin>:1: expected an event, found only blank lines")),
            (
                b"{\"type\":\"\xff\"}",
                err("<stdin>:1: expected UTF-8 text, found an invalid byte at column 10"),
            ),
            (
                two.as_bytes(),
                err("<stdin>:3: expected one event on one line; use `pledger import` for several"),
            ),
            (&endless, err("<stdin>:1: expected an event under 32 KiB, found more input than that")),
            (
                long.as_bytes(),
                err(&format!(
                    "<stdin>:1: expected an event under 32 KiB, found a line of {} bytes",
                    long.len()
                )),
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(&one(text), expected, "{:?}", String::from_utf8_lossy(&text[..text.len().min(80)]));
        }
    }

    #[test]
    fn empty_and_blank_files_are_refused() {
        assert_eq!(errors_of(b""), ["f.jsonl:1: expected at least one event, found an empty file"]);
        assert_eq!(
            errors_of(b"\n  \n\n"),
            ["f.jsonl:3: expected at least one event, found only blank lines"]
        );
    }

    #[test]
    fn invalid_utf8_and_oversized_lines_are_refused_without_parsing() {
        let errors = errors_of(b"{\"type\":\"\xff\"}\n");
        assert_eq!(errors, ["f.jsonl:1: expected UTF-8 text, found an invalid byte at column 10"]);
        let long = format!("{{\"type\":\"progress\",\"note\":\"{}\"}}", "x".repeat(40_000));
        let errors = errors_of(long.as_bytes());
        assert!(
            errors[0].contains("expected an event under 32 KiB, found a line of 40029 bytes"),
            "{errors:?}"
        );
    }
}
