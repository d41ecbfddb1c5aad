//! `pledger status`: which commitments are pending, met, overdue, cancelled
//! or superseded as of a date and a ledger position.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Write;
use std::process::ExitCode;

use chrono::NaiveDate;
use pledger::event::same_name;
use pledger::projection::{CommitmentStatus, Projection, Status, Supersession, Unlisted};
use pledger::text::shown;
use pledger::OpenMode;

use super::Context;

#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  pledger status\n  pledger status --as-of 2026-07-01 --status overdue\n  \
pledger status --at 12 --json   # what the ledger said at seq 12\n\nThe rules are in STATUS.md."
)]
pub struct Args {
    #[command(flatten)]
    position: super::Position,

    /// Only these statuses (repeatable).
    #[arg(long = "status", value_name = "STATUS")]
    statuses: Vec<Status>,

    /// Only commitments with this party (repeatable: any of them).
    #[arg(long = "party", value_name = "NAME", value_parser = super::parse_name)]
    parties: Vec<String>,

    /// Only commitments with this tag (repeatable: any of them).
    #[arg(long = "tag", value_name = "TAG", value_parser = super::parse_name)]
    tags: Vec<String>,

    /// Print a JSON array sorted by id.
    #[arg(long)]
    json: bool,
}

pub fn run(args: Args, ctx: &Context) -> anyhow::Result<ExitCode> {
    let ledger = ctx.open(OpenMode::Existing)?;
    let (as_of, at) = args.position.resolve(&ledger, ctx)?;
    let projection = ledger.projection(at)?;
    let (all, uncounted) = projection.statuses_noting(as_of);
    let has_party = |c: &CommitmentStatus, p: &str| c.parties.iter().any(|q| same_name(q, p));
    let has_tag = |c: &CommitmentStatus, t: &str| c.tags.iter().any(|u| same_name(u, t));
    // A filter that no commitment could pass is most likely a typo: say so,
    // rather than let "0 commitments" read as an answer.
    let mut notes = Vec::new();
    for p in args.parties.iter().filter(|p| !all.iter().any(|c| has_party(c, p))) {
        notes.push(unmatched(("party", "parties"), p, as_of, all.iter().flat_map(|c| &c.parties)));
    }
    for t in args.tags.iter().filter(|t| !all.iter().any(|c| has_tag(c, t))) {
        notes.push(unmatched(("tag", "tags"), t, as_of, all.iter().flat_map(|c| &c.tags)));
    }
    let listed = |c: &CommitmentStatus| {
        (args.statuses.is_empty() || args.statuses.contains(&c.status))
            && (args.parties.is_empty() || args.parties.iter().any(|p| has_party(c, p)))
            && (args.tags.is_empty() || args.tags.iter().any(|t| has_tag(c, t)))
    };
    let shown = all.iter().filter(|c| listed(c)).map(|r| r.id.as_str());
    notes.splice(0..0, cycle_notes_of(&all, uncounted, shown));
    let rows: Vec<CommitmentStatus> = all.into_iter().filter(listed).collect();
    let unlisted = unlisted_replacements(&projection, &rows, as_of);
    let mut out = super::stdout();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &rows)?;
        writeln!(out)?;
        // The table says it in the row; the JSON rows have no room for it.
        notes.extend(replacement_notes(&rows, &unlisted, as_of));
    } else {
        print_table(&mut out, &rows, as_of, &unlisted)?;
        print_summary(&mut out, &rows, as_of, projection.seq)?;
    }
    out.flush()?;
    for note in notes {
        say!("note: {note}");
    }
    super::leave_to_exit((projection, rows));
    Ok(ExitCode::SUCCESS)
}

/// `no commitment listed as of DATE has the party "X" (the parties there are A, B)`,
/// naming at most a dozen of those there are.
fn unmatched<'a>(
    (what, plural): (&str, &str),
    wanted: &str,
    as_of: NaiveDate,
    known: impl Iterator<Item = &'a String>,
) -> String {
    const SHOWN: usize = 12;
    let known: std::collections::BTreeSet<&str> = known.map(String::as_str).collect();
    let mut message = format!("no commitment listed as of {as_of} has the {what} {wanted:?}");
    if !known.is_empty() {
        let names: Vec<&str> = known.iter().take(SHOWN).copied().collect();
        let more =
            if known.len() > SHOWN { format!(" and {} more", known.len() - SHOWN) } else { String::new() };
        message.push_str(&format!(" (the {plural} there are {}{more})", names.join(", ")));
    }
    message
}

/// The last line: how many commitments, as of when, at which seq, and how
/// many have each status.
fn print_summary(
    out: &mut impl Write,
    rows: &[CommitmentStatus],
    as_of: NaiveDate,
    seq: u64,
) -> std::io::Result<()> {
    let mut counts: BTreeMap<Status, usize> = BTreeMap::new();
    for row in rows {
        *counts.entry(row.status).or_default() += 1;
    }
    let summary: Vec<String> = counts.iter().map(|(s, n)| format!("{n} {s}")).collect();
    writeln!(
        out,
        "{} commitment{} as of {as_of}, ledger at seq {seq}: {}",
        rows.len(),
        if rows.len() == 1 { "" } else { "s" },
        if summary.is_empty() { "none".to_owned() } else { summary.join(", ") }
    )
}

/// `outcome #7 says c3 was superseded by c1, but …`, for each of `uncounted`
/// ([`Projection::statuses_noting`]): why the outcome recorded does not
/// show, with the chain of replacements in `rows` that it would close. The
/// first 20, then how many more.
pub fn cycle_notes(rows: &[CommitmentStatus], uncounted: &[Supersession]) -> Vec<String> {
    const NOTES: usize = 20;
    const THROUGH: usize = 5;
    let by: HashMap<&str, &str> =
        rows.iter().filter_map(|r| Some((r.id.as_str(), r.superseded_by.as_deref()?))).collect();
    let mut depths = HashMap::new();
    let mut notes: Vec<String> = (uncounted.iter().take(NOTES))
        .map(|s| {
            // The counted supersessions lead from `s.by` back to
            // `s.superseded`, which is nearer the end of the chain.
            let between =
                depth(&by, &mut depths, &s.by).saturating_sub(depth(&by, &mut depths, &s.superseded) + 1);
            let mut through = Vec::new();
            let mut at = by.get(s.by.as_str()).copied();
            while let Some(id) = at.filter(|_| through.len() < between.min(THROUGH)) {
                through.push(id);
                at = by.get(id).copied();
            }
            let through = match between {
                0 => String::new(),
                n if n <= THROUGH => format!(" (through {})", through.join(", ")),
                n => format!(" (through {} and {} more)", through.join(", "), n - THROUGH),
            };
            format!(
                "outcome #{} says {} was superseded by {}, but {} is itself superseded by {}{through}: the \
                 replacements would go round in a cycle, so #{} counts for no status (STATUS.md, rule 6)",
                s.outcome, s.superseded, s.by, s.by, s.superseded, s.outcome
            )
        })
        .collect();
    if uncounted.len() > NOTES {
        let more = uncounted.len() - NOTES;
        let (outcomes, count, their) =
            if more == 1 { ("outcome", "counts", "its") } else { ("outcomes", "count", "their") };
        notes.push(format!(
            "{more} more {outcomes} {count} for no status because {their} replacements would go round in a cycle"
        ));
    }
    notes
}

/// [`cycle_notes`] for the outcomes of `uncounted` whose commitments are
/// among `ids`: those of the rows a command lists.
pub fn cycle_notes_of<'a>(
    rows: &[CommitmentStatus],
    uncounted: Vec<Supersession>,
    ids: impl IntoIterator<Item = &'a str>,
) -> Vec<String> {
    let ids: HashSet<&str> = ids.into_iter().collect();
    let ours: Vec<_> = uncounted.into_iter().filter(|s| ids.contains(s.superseded.as_str())).collect();
    cycle_notes(rows, &ours)
}

/// How many replacements in `by` lead from `id` to the end of its chain,
/// remembered in `depths` so that each chain is walked once.
fn depth<'a>(by: &HashMap<&'a str, &'a str>, depths: &mut HashMap<&'a str, usize>, id: &'a str) -> usize {
    let mut path = Vec::new();
    let mut at = id;
    let mut known = loop {
        if let Some(&d) = depths.get(at) {
            break d;
        }
        match by.get(at) {
            // (A cycle would never end; the counted replacements have none,
            // but stop at one all the same.)
            Some(&next) if path.len() <= by.len() => {
                path.push(at);
                at = next;
            }
            _ => break 0,
        }
    };
    if !depths.contains_key(at) {
        depths.insert(at, known);
    }
    for id in path.into_iter().rev() {
        known += 1;
        depths.insert(id, known);
    }
    depths.get(id).copied().unwrap_or(known)
}

/// The commitments that `rows` name as what superseded them but that the
/// ledger does not list as of `as_of`, with why: "superseded by X" must not
/// read as if X were in force when X is retracted or announced later.
pub fn unlisted_replacements<'r>(
    projection: &Projection,
    rows: &'r [CommitmentStatus],
    as_of: NaiveDate,
) -> BTreeMap<&'r str, Unlisted> {
    projection.unlisted(rows.iter().filter_map(|r| r.superseded_by.as_deref()), as_of)
}

/// `c1 is superseded by c2, which is retracted …`, for each row whose
/// replacement is in `unlisted`.
pub fn replacement_notes<'a>(
    rows: &'a [CommitmentStatus],
    unlisted: &'a BTreeMap<&str, Unlisted>,
    as_of: NaiveDate,
) -> impl Iterator<Item = String> + 'a {
    rows.iter().filter_map(move |row| {
        let by = row.superseded_by.as_deref()?;
        let why = match unlisted.get(by)? {
            Unlisted::Retracted => {
                "is retracted; the outcome that says so stands until it is retracted too".to_owned()
            }
            Unlisted::AnnouncedAfter(date) => format!("is announced only on {date}, after {as_of}"),
            Unlisted::Unrecorded => "is not recorded at this ledger position".to_owned(),
        };
        Some(format!("{} is superseded by {by}, which {why}", row.id))
    })
}

/// The table: id, status, deadline, what the status means in days, title.
/// `unlisted` is [`unlisted_replacements`] of `rows`.
pub fn print_table(
    out: &mut impl Write,
    rows: &[CommitmentStatus],
    as_of: NaiveDate,
    unlisted: &BTreeMap<&str, Unlisted>,
) -> std::io::Result<()> {
    let id_width = rows.iter().map(|r| r.id.len()).max().unwrap_or(2).max(2);
    let deadlines: Vec<String> = rows.iter().map(deadline_text).collect();
    let deadline_width = deadlines.iter().map(|d| d.chars().count()).max().unwrap_or(8).max(8);
    let whens: Vec<String> = rows.iter().map(|r| when_text(r, as_of, unlisted)).collect();
    let when_width = whens.iter().map(|w| w.len()).max().unwrap_or(4).max(4);
    writeln!(
        out,
        "{:<id_width$}  {:<10}  {:<deadline_width$}  {:<when_width$}  TITLE",
        "ID", "STATUS", "DEADLINE", "WHEN"
    )?;
    for ((row, deadline), when) in rows.iter().zip(&deadlines).zip(&whens) {
        let pad = deadline_width - deadline.chars().count();
        writeln!(
            out,
            "{:<id_width$}  {}  {deadline}{:pad$}  {when:<when_width$}  {}",
            row.id,
            super::styled_status(row.status, 10),
            "",
            shown(&row.title)
        )?;
    }
    Ok(())
}

/// `first half of 2026 (2026-01-16 to 2026-06-30)`, or `-` for none.
pub fn deadline_text(row: &CommitmentStatus) -> String {
    match &row.deadline {
        None => "-".to_owned(),
        Some(d) => match d.end {
            Some(end) => format!("{} ({} to {end})", shown(&d.phrase), d.start),
            None => format!("{} (no fixed deadline)", shown(&d.phrase)),
        },
    }
}

/// What the status means as of the date: met on, days overdue, days left,
/// or what superseded it (marked when `unlisted` says it is not listed).
pub fn when_text(row: &CommitmentStatus, as_of: NaiveDate, unlisted: &BTreeMap<&str, Unlisted>) -> String {
    let end = row.deadline.as_ref().and_then(|d| d.end);
    match row.status {
        Status::Met => {
            let met = row.met_on.expect("a met commitment has met_on");
            match row.on_time {
                Some(false) => format!("met {met}, late"),
                _ => format!("met {met}"),
            }
        }
        Status::Overdue => {
            let days = (as_of - end.expect("an overdue commitment has an end")).num_days();
            format!("{days} day{} overdue", if days == 1 { "" } else { "s" })
        }
        Status::Pending => match end {
            // The last day of a window still counts (STATUS.md), so it is
            // not "0 days left", which reads as already past.
            Some(end) if end == as_of => "due today".to_owned(),
            Some(end) => {
                let days = (end - as_of).num_days();
                format!("{days} day{} left", if days == 1 { "" } else { "s" })
            }
            None => "no fixed deadline".to_owned(),
        },
        Status::Cancelled => format!("cancelled {}", row.ended_on.map(|d| d.to_string()).unwrap_or_default()),
        Status::Superseded => {
            let by = row.superseded_by.as_deref().unwrap_or("?");
            match unlisted.get(by) {
                Some(why) => format!("superseded by {by} [{why}]"),
                None => format!("superseded by {by}"),
            }
        }
    }
}
