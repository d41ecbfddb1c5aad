//! `pledger record KIND …`: record an event by typing what happened, without
//! writing JSON.
//!
//! Each kind's flags are assembled into the JSON object that a line of a JSON
//! Lines file would hold, and that object is decoded by
//! [`pledger::input::decode_line`] and appended by [`Ledger::append`]: the
//! same code path as `import` and `append`, so a recorded event and an
//! imported line are checked by the same functions and stored identically.
//! Each flag's value is first decoded on its own as its field's type (the same
//! serde decoding the line gets), so a problem is reported at the flag that
//! caused it (`--date: expected a date as YYYY-MM-DD, …`).

use anyhow::Context as _;
use std::io::Write;
use std::process::ExitCode;

use clap_complete::ArgValueCandidates;
use pledger::deadline::{self, Deadline};
use pledger::event::{Date, Event, EventRef, IdKind, Parties, Retraction, Slug, Text};
use pledger::input::{self, Line, LineError, Origin};
use pledger::ledger::{AppendError, Appended, AppendedEvent, RejectError};
use pledger::{Head, Ledger};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::completions::{announcement_ids, commitment_ids};
use super::{Context, Refused};

#[derive(Debug, clap::Args)]
#[command(
    subcommand_value_name = "KIND",
    subcommand_help_heading = "Kinds",
    after_help = "Examples:\n  \
pledger record announcement quad-fm-2026-07 --date 2026-07-01 \\\n      \
--title \"Quad foreign ministers' meeting\" \\\n      \
--party Australia --party India --party Japan --party \"United States\"\n  \
pledger record commitment quad-cable-fund --announcement quad-fm-2026-07 \\\n      \
--title \"Set up an undersea cable fund\" --deadline \"within 100 days\"\n  \
pledger record progress quad-cable-fund --date today --note \"Fund's board named\"\n  \
pledger record outcome quad-cable-fund --date 2026-10-01 --met --dry-run\n\n\
Each kind records exactly the event that the same line given to `pledger import` would, and prints\n\
one line: its seq, short hash and what it means. Dates are YYYY-MM-DD, today or yesterday.\n\
--dry-run prints the event as a JSON line (for a JSON Lines file) and checks it without appending."
)]
pub struct Args {
    #[command(subcommand)]
    kind: Kind,

    #[command(flatten)]
    write: WriteArgs,
}

/// How an event is written: for real or as a dry run, and against which head.
#[derive(Debug, clap::Args)]
pub struct WriteArgs {
    /// Print the event as a JSON line and check it against the ledger, but append nothing.
    #[arg(long, global = true)]
    pub dry_run: bool,

    /// Append only if the head is still SEQ:HASH (as printed by `pledger head`).
    #[arg(long, global = true, value_name = "SEQ:HASH")]
    pub expect_head: Option<Head>,
}

#[derive(Debug, clap::Subcommand)]
enum Kind {
    /// A public statement that gives commitments, such as a joint statement.
    Announcement(AnnouncementArgs),
    /// A commitment given in a recorded announcement.
    Commitment(CommitmentArgs),
    /// A meeting that took place, possibly meeting or advancing commitments.
    Meeting(MeetingArgs),
    /// A commitment's deadline set or revised.
    Deadline(DeadlineArgs),
    /// How a commitment ended: met, cancelled or superseded.
    Outcome(OutcomeArgs),
    /// A note that a commitment advanced.
    Progress(ProgressArgs),
}

#[derive(Debug, clap::Args)]
#[command(after_help = "Example:\n  \
pledger record announcement in-jp-strategic-dialogue-2026 --date 2026-01-16 \\\n      \
--title \"India-Japan Strategic Dialogue\" --party India --party Japan \\\n      \
--publisher news.jointearn.com")]
struct AnnouncementArgs {
    /// The announcement's id: lowercase letters, digits and '-'.
    #[arg(value_name = "ID")]
    id: String,

    /// When it was made: YYYY-MM-DD, today or yesterday.
    #[arg(long, value_name = "DATE")]
    date: String,

    /// What it was, in a few words.
    #[arg(long, value_name = "TEXT")]
    title: String,

    /// A party to it (repeatable, or several names after one --party).
    #[arg(long = "party", value_name = "NAME", required = true, num_args = 1..)]
    parties: Vec<String>,

    #[command(flatten)]
    source: SourceArgs,

    /// A summary of what was said.
    #[arg(long, value_name = "TEXT")]
    summary: Option<String>,
}

#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  \
pledger record commitment jwg-minerals --announcement in-jp-strategic-dialogue-2026 \\\n      \
--title \"Set up a joint working group on critical minerals\" --deadline \"early 2026\" \\\n      \
--tag critical-minerals\n  \
pledger record commitment ai-dialogue --announcement in-jp-strategic-dialogue-2026 \\\n      \
--title \"Launch an AI dialogue\"\n\n\
The deadline phrase is read from the announcement's date; see `pledger deadline` and DEADLINES.md.")]
struct CommitmentArgs {
    /// The commitment's id: lowercase letters, digits and '-'.
    #[arg(value_name = "ID")]
    id: String,

    /// The recorded announcement that gave it.
    #[arg(long, value_name = "ID", add = ArgValueCandidates::new(announcement_ids))]
    announcement: String,

    /// What was committed to, in a few words.
    #[arg(long, value_name = "TEXT")]
    title: String,

    /// The deadline phrase as written ("first half of 2026", "within 100 days").
    #[arg(long, value_name = "PHRASE")]
    deadline: Option<String>,

    /// A party to it (repeatable, or several names after one --party) [default: the announcement's parties].
    #[arg(long = "party", value_name = "NAME", num_args = 1..)]
    parties: Vec<String>,

    /// A tag for filtering (repeatable, or several after one --tag).
    #[arg(long = "tag", value_name = "TAG", num_args = 1..)]
    tags: Vec<String>,

    /// The words of the announcement that gave it.
    #[arg(long, value_name = "TEXT")]
    quote: Option<String>,
}

#[derive(Debug, clap::Args)]
#[command(after_help = "Example:\n  \
pledger record meeting jwg-first-meeting --date 2026-04-08 \\\n      \
--title \"First meeting of the minerals working group\" \\\n      \
--fulfils jwg-minerals --progresses economic-security-dialogue")]
struct MeetingArgs {
    /// The meeting's id: lowercase letters, digits and '-'.
    #[arg(value_name = "ID")]
    id: String,

    /// When it was held: YYYY-MM-DD, today or yesterday.
    #[arg(long, value_name = "DATE")]
    date: String,

    /// What it was, in a few words.
    #[arg(long, value_name = "TEXT")]
    title: String,

    /// A commitment this meeting met (repeatable, or several ids after one --fulfils).
    #[arg(long, value_name = "ID", num_args = 1.., add = ArgValueCandidates::new(commitment_ids))]
    fulfils: Vec<String>,

    /// A commitment this meeting advanced without meeting it (repeatable, or several ids after one --progresses).
    #[arg(long, value_name = "ID", num_args = 1.., add = ArgValueCandidates::new(commitment_ids))]
    progresses: Vec<String>,

    /// A party to it (repeatable, or several names after one --party).
    #[arg(long = "party", value_name = "NAME", num_args = 1..)]
    parties: Vec<String>,

    #[command(flatten)]
    source: SourceArgs,

    /// A summary of what happened.
    #[arg(long, value_name = "TEXT")]
    summary: Option<String>,
}

#[derive(Debug, clap::Args)]
#[command(after_help = "Example:\n  \
pledger record deadline economic-security-dialogue --date 2026-06-10 \\\n      \
--deadline \"by the end of 2026\" --reason \"Moved to the second half of the year\"\n\n\
The new phrase is read from --date.")]
struct DeadlineArgs {
    /// The commitment whose deadline is set or revised.
    #[arg(value_name = "COMMITMENT", add = ArgValueCandidates::new(commitment_ids))]
    commitment: String,

    /// When it was revised: YYYY-MM-DD, today or yesterday.
    #[arg(long, value_name = "DATE")]
    date: String,

    /// The new deadline phrase as written.
    #[arg(long, value_name = "PHRASE")]
    deadline: String,

    /// Why it changed.
    #[arg(long, value_name = "TEXT")]
    reason: Option<String>,

    #[command(flatten)]
    source: SourceArgs,
}

#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  \
pledger record outcome jwg-minerals --date 2026-04-08 --met\n  \
pledger record outcome ai-dialogue --date 2026-09-01 --superseded-by ai-partnership \\\n      \
--note \"Folded into the partnership\"")]
struct OutcomeArgs {
    /// The commitment that ended.
    #[arg(value_name = "COMMITMENT", add = ArgValueCandidates::new(commitment_ids))]
    commitment: String,

    /// When it ended: YYYY-MM-DD, today or yesterday.
    #[arg(long, value_name = "DATE")]
    date: String,

    #[command(flatten)]
    how: OutcomeHow,

    /// A note on the outcome.
    #[arg(long, value_name = "TEXT")]
    note: Option<String>,

    #[command(flatten)]
    source: SourceArgs,
}

/// Exactly one of the ways a commitment can end.
#[derive(Debug, clap::Args)]
#[group(required = true, multiple = false)]
struct OutcomeHow {
    /// It was met.
    #[arg(long)]
    met: bool,

    /// It was cancelled.
    #[arg(long)]
    cancelled: bool,

    /// It was replaced by this commitment.
    #[arg(long, value_name = "ID", add = ArgValueCandidates::new(commitment_ids))]
    superseded_by: Option<String>,
}

#[derive(Debug, clap::Args)]
#[command(after_help = "Example:\n  \
pledger record progress jwg-minerals --date yesterday --note \"Terms of reference agreed\"")]
struct ProgressArgs {
    /// The commitment that advanced.
    #[arg(value_name = "COMMITMENT", add = ArgValueCandidates::new(commitment_ids))]
    commitment: String,

    /// When: YYYY-MM-DD, today or yesterday.
    #[arg(long, value_name = "DATE")]
    date: String,

    /// What happened.
    #[arg(long, value_name = "TEXT")]
    note: String,

    #[command(flatten)]
    source: SourceArgs,
}

/// Where a fact was reported; every field optional.
#[derive(Debug, clap::Args)]
struct SourceArgs {
    /// Where it was reported: a URL.
    #[arg(long, value_name = "URL")]
    source_url: Option<String>,

    /// Who reported it.
    #[arg(long, value_name = "NAME")]
    publisher: Option<String>,

    /// The title of the report.
    #[arg(long, value_name = "TEXT")]
    source_title: Option<String>,
}

pub fn run(args: Args, ctx: &Context) -> anyhow::Result<ExitCode> {
    let event = match args.kind {
        Kind::Announcement(a) => {
            let mut d = Draft::new("announcement");
            d.field::<Slug>("id", "ID", &a.id);
            d.date("date", &a.date);
            d.field::<Text>("title", "--title", &a.title);
            d.names::<Parties>("parties", "--party", &a.parties);
            d.source(&a.source);
            d.opt::<Text>("summary", "--summary", &a.summary);
            d.finish()?
        }
        Kind::Commitment(c) => {
            let mut d = Draft::new("commitment");
            d.field::<Slug>("id", "ID", &c.id);
            d.field::<Slug>("announcement", "--announcement", &c.announcement);
            d.field::<Text>("title", "--title", &c.title);
            d.names::<Parties>("parties", "--party", &c.parties);
            d.opt::<Text>("deadline", "--deadline", &c.deadline);
            d.names::<Vec<Text>>("tags", "--tag", &c.tags);
            d.opt::<Text>("quote", "--quote", &c.quote);
            d.finish()?
        }
        Kind::Meeting(m) => {
            let mut d = Draft::new("meeting");
            d.field::<Slug>("id", "ID", &m.id);
            d.date("date", &m.date);
            d.field::<Text>("title", "--title", &m.title);
            d.names::<Parties>("parties", "--party", &m.parties);
            d.source(&m.source);
            d.opt::<Text>("summary", "--summary", &m.summary);
            d.list::<Slug, Vec<Slug>>("fulfils", "--fulfils", &m.fulfils);
            d.list::<Slug, Vec<Slug>>("progresses", "--progresses", &m.progresses);
            let both = m
                .progresses
                .iter()
                .enumerate()
                .filter(|&(i, id)| m.fulfils.contains(id) && !m.progresses[..i].contains(id));
            for (_, id) in both {
                d.problem(format!(
                    "--progresses: '{id}' is given to --fulfils too; a meeting either meets a commitment or advances it"
                ));
            }
            d.finish()?
        }
        Kind::Deadline(r) => {
            let mut d = Draft::new("deadline");
            d.field::<Slug>("commitment", "COMMITMENT", &r.commitment);
            d.date("date", &r.date);
            d.field::<Text>("deadline", "--deadline", &r.deadline);
            d.opt::<Text>("reason", "--reason", &r.reason);
            d.source(&r.source);
            d.finish()?
        }
        Kind::Outcome(o) => {
            let mut d = Draft::new("outcome");
            d.field::<Slug>("commitment", "COMMITMENT", &o.commitment);
            d.date("date", &o.date);
            let kind = match (o.how.met, o.how.cancelled, &o.how.superseded_by) {
                (_, _, Some(_)) => "superseded",
                (true, _, None) => "met",
                (false, _, None) => "cancelled",
            };
            d.insert("outcome", Value::from(kind));
            d.opt::<Slug>("by", "--superseded-by", &o.how.superseded_by);
            d.opt::<Text>("note", "--note", &o.note);
            d.source(&o.source);
            d.finish()?
        }
        Kind::Progress(p) => {
            let mut d = Draft::new("progress");
            d.field::<Slug>("commitment", "COMMITMENT", &p.commitment);
            d.date("date", &p.date);
            d.field::<Text>("note", "--note", &p.note);
            d.source(&p.source);
            d.finish()?
        }
    };
    write(event, &args.write, ctx)
}

/// The JSON object of one event, assembled flag by flag. Each value is
/// decoded as its field's type when added, so that a problem names the flag;
/// [`Draft::finish`] then decodes the whole object as a JSON line is decoded.
pub struct Draft {
    object: Map<String, Value>,
    problems: Vec<String>,
}

impl Draft {
    pub fn new(kind: &str) -> Draft {
        let mut object = Map::new();
        object.insert("type".to_owned(), Value::from(kind));
        Draft { object, problems: Vec::new() }
    }

    /// Notes a problem found by the caller, at its place.
    pub fn problem(&mut self, problem: String) {
        self.problems.push(problem);
    }

    /// Adds a value the caller built (for values no user typed).
    pub fn insert(&mut self, key: &str, value: Value) {
        self.object.insert(key.to_owned(), value);
    }

    /// Adds `value` under `key` if it decodes as `T`; otherwise notes the
    /// problem at `place` (the flag or argument it came from).
    pub fn value<T: DeserializeOwned>(&mut self, key: &str, place: &str, value: Value) {
        match serde_json::from_value::<T>(value.clone()) {
            Ok(_) => {
                self.object.insert(key.to_owned(), value);
            }
            Err(e) => self.problems.push(format!("{place}: {e}")),
        }
    }

    /// A text field.
    pub fn field<T: DeserializeOwned>(&mut self, key: &str, place: &str, text: &str) {
        self.value::<T>(key, place, Value::from(text));
    }

    /// An optional text field, left out when not given.
    pub fn opt<T: DeserializeOwned>(&mut self, key: &str, place: &str, text: &Option<String>) {
        if let Some(text) = text {
            self.field::<T>(key, place, text);
        }
    }

    /// A list whose items decode as `Item` and which as a whole decodes as
    /// `List`, left out when empty (as the JSON form leaves it out). An item
    /// given twice is refused: it would be stored twice. (`import` takes
    /// such lists, so that it takes back any ledger's `export`.)
    pub fn list<Item: DeserializeOwned, List: DeserializeOwned>(
        &mut self,
        key: &str,
        place: &str,
        items: &[String],
    ) {
        if items.is_empty() {
            return;
        }
        let before = self.problems.len();
        for item in items {
            if let Err(e) = serde_json::from_value::<Item>(Value::from(item.as_str())) {
                self.problems.push(format!("{place}: {e}"));
            }
        }
        // Said once, at its second mention.
        for (i, item) in items.iter().enumerate() {
            if items[..i].iter().filter(|e| *e == item).count() == 1 {
                self.problems.push(format!("{place}: '{item}' is given twice"));
            }
        }
        if self.problems.len() == before {
            self.value::<List>(key, place, Value::from(items.to_vec()));
        }
    }

    /// Party names or tags: a [`Draft::list`] of text, each without spaces
    /// around it. Names group commitments (`report`, `status --party`), so
    /// " India " would be a party of its own beside "India". Refused here, as
    /// typed, rather than by the ledger's checks, so that `import` still
    /// takes back the `export` of a ledger that holds such a name.
    pub fn names<List: DeserializeOwned>(&mut self, key: &str, place: &str, items: &[String]) {
        let before = self.problems.len();
        for item in items.iter().filter(|item| item.trim() != item.as_str() && !item.trim().is_empty()) {
            self.problems.push(format!("{place}: expected a name without spaces around it, found {item:?}"));
        }
        if self.problems.len() == before {
            self.list::<Text, List>(key, place, items);
        }
    }

    /// A `--date`: `today` and `yesterday` are read from the clock here, in
    /// the binary; anything else must be a date as written in JSON.
    pub fn date(&mut self, key: &str, text: &str) {
        match super::parse_date(text) {
            Ok(date) => self.field::<Date>(key, "--date", &Date(date).to_string()),
            Err(message) => self.problem(format!("--date: {message}")),
        }
    }

    fn source(&mut self, source: &SourceArgs) {
        let mut sub = Draft { object: Map::new(), problems: Vec::new() };
        sub.opt::<Text>("url", "--source-url", &source.source_url);
        sub.opt::<Text>("publisher", "--publisher", &source.publisher);
        sub.opt::<Text>("title", "--source-title", &source.source_title);
        self.problems.append(&mut sub.problems);
        if !sub.object.is_empty() {
            self.object.insert("source".to_owned(), Value::Object(sub.object));
        }
    }

    /// The event, decoded from the assembled object exactly as a JSON line.
    pub fn finish(self) -> Result<Event, Refused> {
        if !self.problems.is_empty() {
            return Err(Refused(self.problems));
        }
        let kind = self.object.get("type").and_then(Value::as_str).unwrap_or("event").to_owned();
        let line = Value::Object(self.object).to_string();
        input::decode_line(&line).map_err(|e| {
            // Only the rules between fields are left to fail here (such as a
            // commitment superseding itself). serde's messages come named
            // by the type the object gives; a rule's does not.
            Refused(vec![match e {
                LineError::Json(message) => message,
                LineError::Rule(problem) => format!("{kind}: {problem}"),
            }])
        })
    }
}

/// Checks `event` against the ledger and appends it (or, with `--dry-run`,
/// prints it as a JSON line), then prints what was recorded.
pub fn write(event: Event, opts: &WriteArgs, ctx: &Context) -> anyhow::Result<ExitCode> {
    let place = place(&event);
    let line = Line { origin: Origin { file: format!("<{place}>").into(), line: 1 }, event };
    let refused = |e: RejectError| -> anyhow::Error {
        match e {
            RejectError::Input(errors) => {
                Refused(errors.0.into_iter().map(|e| format!("{place}: {}", e.message)).collect()).into()
            }
            RejectError::Append(e) => e.into(),
        }
    };
    let (_scratch, ledger) = if opts.dry_run {
        ctx.open_to_check()?
    } else {
        (None, ctx.open_to_append(std::slice::from_ref(&line), opts.expect_head).map_err(refused)?)
    };
    let window = deadline_window(&ledger, &line.event)?;
    let retracted = retracted_seq(&ledger, &line.event)?;
    let describe = |e: &Event| described(&ledger, e, window.as_ref(), retracted);
    let stamp = ctx.stamp();
    let mut out = super::stdout_unbuffered();
    if opts.dry_run {
        let head = ledger.head()?;
        if let Some(expected) = opts.expect_head.filter(|&e| e != head) {
            return Err(AppendError::Conflict { expected, current: head }.into());
        }
        let appended = ledger.check(std::slice::from_ref(&line), &stamp).map_err(refused)?;
        if let Some(d) = appended.voided.first() {
            return Err(Refused(vec![format!("{place}: {}", super::voided_duplicate(d))]).into());
        }
        out.write_all(&line.event.canonical_json())?;
        writeln!(out)?;
        match appended.new.first() {
            Some(e) => {
                say!("dry run: would append #{} {}; nothing was appended", e.seq, describe(&e.line.event)?)
            }
            None => say!("dry run: already recorded; nothing would be appended"),
        }
        say_notes(&ledger, &appended, retracted, "would void", ctx);
        return Ok(ExitCode::SUCCESS);
    }
    let appended = ledger.append(std::slice::from_ref(&line), opts.expect_head, &stamp).map_err(refused)?;
    if let Some(d) = appended.voided.first() {
        return Err(Refused(vec![format!("{place}: {}", super::voided_duplicate(d))]).into());
    }
    match appended.new.first() {
        Some(e) => print_appended(&mut out, e, &describe(&e.line.event)?),
        None => writeln!(out, "already recorded: {place}; head {}", appended.head),
    }
    .with_context(|| super::appended_but(appended.new.len(), appended.head))?;
    say_notes(&ledger, &appended, retracted, "voids", ctx);
    Ok(ExitCode::SUCCESS)
}

/// The notes on the event `appended` holds (or would hold, in a dry run),
/// if any: its deadline reading, a date after today, a retracted commitment
/// it names, and for a retraction of `retracted`, the outcomes it leaves
/// standing (the retraction `voids` them).
fn say_notes(ledger: &Ledger, appended: &Appended, retracted: Option<u64>, voids: &str, ctx: &Context) {
    let mut notes = super::Notes::new(false);
    super::deadline_notes(appended, &mut notes);
    super::future_date_notes(appended, ctx.today(), &mut notes);
    notes.say();
    let Some(e) = appended.new.first() else { return };
    super::say_retracted_references(ledger, &e.line.event);
    super::say_circular_supersessions(ledger, e);
    if let Some(target) = retracted {
        say_supersessions_voided(ledger, target, voids);
    }
}

/// A note naming the commitments no status lists once the announcement at
/// `target` is retracted: its retraction takes them all out of every
/// status, which a one-line "(was announcement …)" does not say.
fn say_commitments_unlisted(ledger: &Ledger, projection: &pledger::projection::Projection, target: u64) {
    let Ok(Some(envelope)) = ledger.envelope(target) else { return };
    let Event::Announcement(a) = &envelope.event else { return };
    let given: Vec<&str> = (projection.commitments_of(a.id.as_str()).into_iter())
        .filter(|(_, voided)| !voided)
        .map(|(id, _)| id)
        .collect();
    if given.is_empty() {
        return;
    }
    const SHOWN: usize = 10;
    let mut list = given.iter().take(SHOWN).copied().collect::<Vec<_>>().join(", ");
    if given.len() > SHOWN {
        list = format!("{list} and {} more", given.len() - SHOWN);
    }
    let n = given.len();
    say!(
        "note: while announcement {} is retracted, no status lists the {n} commitment{} it gave: {list}",
        a.id,
        if n == 1 { "" } else { "s" }
    );
}

/// The notes on retracting `target`: the commitments it takes out of the
/// statuses (see [`say_commitments_unlisted`]), and one for each outcome in
/// force that names, as what superseded a commitment, one that retracting
/// `target` voids: the outcome is not
/// retracted with it, so its commitment stays "superseded by" a commitment
/// the ledger no longer lists.
fn say_supersessions_voided(ledger: &Ledger, target: u64, voids: &str) {
    // As for other notes, a ledger that cannot be read here gives none.
    let Ok(projection) = ledger.projection(None) else { return };
    say_commitments_unlisted(ledger, &projection, target);
    for s in projection.supersessions_voided_by(target) {
        say!(
            "note: #{} still says {} was superseded by {}, which this retraction {voids}; \
             retract #{} too if it was recorded in error",
            s.outcome,
            s.superseded,
            s.by,
            s.outcome
        );
    }
    super::leave_to_exit(projection);
}

/// An event as messages name it: `commitment jwg-minerals`,
/// `retraction of #4`.
pub fn place(event: &Event) -> String {
    match event {
        Event::Retraction(r) => format!("retraction of {}", r.retracts),
        _ => format!("{} {}", event.type_name(), event.label()),
    }
}

/// What a retraction voids, by seq whichever way it names it.
fn retracted_seq(ledger: &Ledger, event: &Event) -> Result<Option<u64>, pledger::store::StoreError> {
    match event {
        Event::Retraction(Retraction { retracts: EventRef::Seq(seq), .. }) => Ok(Some(*seq)),
        Event::Retraction(Retraction { retracts: EventRef::Uuid(uuid), .. }) => ledger.seq_of_uuid(*uuid),
        _ => Ok(None),
    }
}

/// [`describe`], and for a retraction of `retracted`, what that was:
/// `retraction of #4: misquoted (was progress ai-dialogue)`.
pub fn described(
    ledger: &Ledger,
    event: &Event,
    window: Option<&Deadline>,
    retracted: Option<u64>,
) -> anyhow::Result<String> {
    let mut what = describe(event, window);
    if let Some(target) = retracted.map(|seq| ledger.envelope(seq)).transpose()?.flatten() {
        what = format!("{what} (was {} {})", target.event.type_name(), target.event.label());
    }
    Ok(what)
}

/// `#42 a1b2c3d4 …`, the seq bold and the hash in yellow on a terminal.
pub fn print_appended(out: &mut impl std::io::Write, e: &AppendedEvent, what: &str) -> std::io::Result<()> {
    use anstyle::{AnsiColor, Style};
    let seq = Style::new().bold();
    let hash = Style::new().fg_color(Some(AnsiColor::Yellow.into()));
    writeln!(out, "{seq}#{}{seq:#} {hash}{}{hash:#} {what}", e.seq, e.hash.short())
}

/// The deadline window of a commitment or a deadline revision, parsed before
/// anything is written so that a refusal shows the parser's message at the
/// flag. A commitment's phrase is read from its announcement's date; when the
/// announcement is unknown the ledger's check says so.
pub fn deadline_window(ledger: &Ledger, event: &Event) -> anyhow::Result<Option<Deadline>> {
    let (phrase, anchor) = match event {
        Event::Commitment(c) => {
            let Some(phrase) = &c.deadline else { return Ok(None) };
            let announcement = ledger.by_id(IdKind::Announcement, c.announcement.as_str())?;
            match announcement.map(|e| e.event) {
                Some(Event::Announcement(a)) => (phrase, a.date.0),
                _ => return Ok(None),
            }
        }
        Event::Deadline(d) => (&d.deadline, d.date.0),
        _ => return Ok(None),
    };
    match deadline::parse(phrase.as_str(), anchor) {
        Ok(window) => Ok(Some(window)),
        Err(e) => Err(Refused(vec![format!("--deadline: {e}")]).into()),
    }
}

/// What the event records, in one line: `commitment jwg-minerals: deadline
/// "early 2026" = 2026-01-16 to 2026-04-30`.
pub fn describe(event: &Event, window: Option<&Deadline>) -> String {
    let window_text = |phrase: &Text| match window.map(|w| w.end.map(|end| (w.start, end))) {
        Some(Some((start, end))) => format!("\"{phrase}\" = {start} to {end}"),
        Some(None) => format!("\"{phrase}\" = no fixed deadline"),
        None => format!("\"{phrase}\""),
    };
    match event {
        Event::Announcement(a) => format!("announcement {} on {}: {}", a.id, a.date, a.title),
        Event::Commitment(c) => match &c.deadline {
            Some(phrase) => format!("commitment {}: deadline {}", c.id, window_text(phrase)),
            None => format!("commitment {}: no deadline given", c.id),
        },
        Event::Meeting(m) => {
            let list = |ids: &[Slug]| ids.iter().map(Slug::as_str).collect::<Vec<_>>().join(", ");
            let mut what = Vec::new();
            if !m.fulfils.is_empty() {
                what.push(format!("fulfils {}", list(&m.fulfils)));
            }
            if !m.progresses.is_empty() {
                what.push(format!("progresses {}", list(&m.progresses)));
            }
            if what.is_empty() {
                what.push(m.title.to_string());
            }
            format!("meeting {} on {}: {}", m.id, m.date, what.join("; "))
        }
        Event::Deadline(d) => {
            format!("deadline {}: revised on {} to {}", d.commitment, d.date, window_text(&d.deadline))
        }
        Event::Outcome(o) => match &o.by {
            Some(by) => format!("outcome {}: superseded by {by} on {}", o.commitment, o.date),
            None => format!("outcome {}: {} on {}", o.commitment, o.outcome.name(), o.date),
        },
        Event::Progress(p) => format!("progress {} on {}: {}", p.commitment, p.date, p.note),
        Event::Retraction(r) => match r.retracts {
            EventRef::Seq(seq) => format!("retraction of #{seq}: {}", r.reason),
            EventRef::Uuid(uuid) => format!("retraction of {uuid}: {}", r.reason),
        },
    }
}
