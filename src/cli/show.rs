//! `pledger show ID`: one commitment's whole story in chain order, then its
//! status.

use std::io::Write;
use std::process::ExitCode;

use chrono::NaiveDate;
use pledger::event::{Event, IdKind};
use pledger::history::History;
use pledger::text::shown;
use pledger::OpenMode;

use super::Context;

#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  pledger show economic-security-dialogue --as-of 2026-07-01\n  \
pledger show economic-security-dialogue --at 12   # its story as the ledger told it at seq 12")]
pub struct Args {
    /// The commitment's id (an announcement's or meeting's id is refused, naming its commitments).
    #[arg(add = clap_complete::ArgValueCandidates::new(super::completions::commitment_ids))]
    id: String,

    #[command(flatten)]
    position: super::Position,

    /// Print {"commitment","as_of","at","entries":[…],"status","not_listed"} as JSON: each entry
    /// is a stored event with "retracted" and "after_as_of"; "not_listed" says why
    /// "status" is null.
    #[arg(long)]
    json: bool,
}

pub fn run(args: Args, ctx: &Context) -> anyhow::Result<ExitCode> {
    let ledger = ctx.open(OpenMode::Existing)?;
    let (as_of, at) = args.position.resolve(&ledger, ctx)?;
    let Some(history) = History::of_at(&ledger, &args.id, at)? else {
        anyhow::bail!(not_a_commitment(&ledger, &args.id, at)?);
    };
    let projection = ledger.projection(at)?;
    let status = projection.status_of(&args.id, as_of);
    let cycle_notes = match projection.supersession_cycle_from(&args.id, as_of) {
        Some((all, uncounted)) => super::status::cycle_notes_of(&all, uncounted, [args.id.as_str()]),
        None => Vec::new(),
    };
    let voiding = pledger::projection::voiding(projection.retractions());
    let read_to = projection.seq;
    let rows: Vec<_> = status.iter().cloned().collect();
    let unlisted = super::status::unlisted_replacements(&projection, &rows, as_of);
    super::leave_to_exit(projection);
    let mut out = super::stdout_unbuffered();
    if args.json {
        // The facts the text marks: an entry dated after `as_of` does not
        // count in the status, and a missing status has a reason.
        let entries: Vec<serde_json::Value> = (history.entries.iter())
            .map(|entry| {
                let mut value = serde_json::to_value(entry)?;
                let after = dated_after(&entry.envelope.event, as_of);
                value["after_as_of"] = after.into();
                Ok(value)
            })
            .collect::<Result<_, serde_json::Error>>()?;
        let not_listed = status.is_none().then(|| why_not_listed(&history, &voiding, as_of));
        let json = serde_json::json!({
            "commitment": history.commitment,
            "as_of": as_of,
            "at": read_to,
            "entries": entries,
            "status": status,
            "not_listed": not_listed,
        });
        serde_json::to_writer_pretty(&mut out, &json)?;
        writeln!(out)?;
        for note in super::status::replacement_notes(&rows, &unlisted, as_of).chain(cycle_notes) {
            say!("note: {note}");
        }
        return Ok(ExitCode::SUCCESS);
    }
    for entry in &history.entries {
        let e = &entry.envelope;
        let date = e.event.date().map(|d| d.to_string()).unwrap_or_else(|| "-".into());
        let mut mark = String::new();
        if entry.retracted {
            mark.push_str("  [retracted]");
        }
        // The status below is as of `as_of`: an event dated after it does not count.
        if dated_after(&e.event, as_of) {
            mark.push_str(&format!("  [after {as_of}]"));
        }
        writeln!(
            out,
            "#{:<5} {date:<10}  {:<12} {}{mark}",
            e.seq,
            e.event.type_name(),
            shown(&describe(&e.event))
        )?;
        // An empty name is not a recorder called "unknown".
        let by = if e.recorded_by.is_empty() {
            "(recorder not given)".to_owned()
        } else {
            format!("by {}", shown(&e.recorded_by))
        };
        writeln!(
            out,
            "       recorded {} {by}, hash {}",
            e.recorded_at.format("%Y-%m-%d %H:%M:%S UTC"),
            e.hash.short()
        )?;
    }
    // A story read to an earlier seq says so where its status is given.
    let as_of_text = match at {
        Some(_) => format!("{as_of}, at seq {read_to}"),
        None => as_of.to_string(),
    };
    match status {
        Some(row) => writeln!(
            out,
            "status as of {as_of_text}: {} ({}); {}",
            super::styled_status(row.status, 0),
            super::status::when_text(&row, as_of, &unlisted),
            match row.deadline {
                Some(_) => format!("deadline {}", super::status::deadline_text(&row)),
                None => "no deadline given".to_owned(),
            }
        )?,
        None => writeln!(
            out,
            "status as of {as_of_text}: not listed ({})",
            why_not_listed(&history, &voiding, as_of)
        )?,
    }
    for note in cycle_notes {
        say!("note: {note}");
    }
    Ok(ExitCode::SUCCESS)
}

/// Whether `event` is dated after `as_of`, so that it does not count in
/// the status as of that date (`[after DATE]`, `"after_as_of"`).
fn dated_after(event: &Event, as_of: NaiveDate) -> bool {
    event.date().is_some_and(|d| d.0 > as_of)
}

/// Why a commitment with a history has no status as of `as_of`: its own
/// event or its announcement's is voided (`voiding`: voided seq → the
/// retraction that voids it), or it was announced after `as_of`.
fn why_not_listed(
    history: &History,
    voiding: &std::collections::HashMap<u64, Vec<u64>>,
    as_of: NaiveDate,
) -> String {
    for entry in &history.entries {
        let e = &entry.envelope;
        let what = match &e.event {
            Event::Commitment(c) if c.id.as_str() == history.commitment => "the commitment".to_owned(),
            Event::Announcement(a) => format!("its announcement {}", a.id),
            _ => continue,
        };
        if let Some(by) = voiding.get(&e.seq) {
            return format!("{what} #{} was retracted by {}", e.seq, super::seq_list(by));
        }
        if let Event::Announcement(a) = &e.event {
            if a.date.0 > as_of {
                return format!("announced on {}, after {as_of}", a.date);
            }
        }
    }
    "announced later, or retracted".to_owned()
}

/// The message for an id that is no commitment's (at seq `at`): what it
/// is, if it is an announcement's (with the commitments it gave) or a
/// meeting's, or when it is given.
fn not_a_commitment(ledger: &pledger::Ledger, id: &str, at: Option<u64>) -> anyhow::Result<String> {
    if let (Some(at), Some(later)) = (at, ledger.by_id(IdKind::Commitment, id)?) {
        return Ok(format!(
            "no commitment '{}' at seq {at}: it is given later, at seq {} (drop --at, or give a later seq)",
            shown(id),
            later.seq
        ));
    }
    if ledger.by_id(IdKind::Announcement, id)?.is_some() {
        let projection = ledger.projection(None)?;
        let given: Vec<String> = (projection.commitments_of(id).into_iter())
            .map(|(c, voided)| if voided { format!("{c} (retracted)") } else { c.to_owned() })
            .collect();
        super::leave_to_exit(projection);
        let list = match given.as_slice() {
            [] => "it gave no commitments".to_owned(),
            _ => format!("its commitments: {}", given.join(", ")),
        };
        return Ok(format!("'{}' is an announcement, and show takes a commitment id ({list})", shown(id)));
    }
    if let Some(meeting) = ledger.by_id(IdKind::Meeting, id)? {
        let concerns: Vec<String> = meeting.event.commitments().iter().map(|c| c.to_string()).collect();
        let list = match concerns.as_slice() {
            [] => "it names no commitments".to_owned(),
            _ => format!("it concerns {}", concerns.join(", ")),
        };
        return Ok(format!("'{}' is a meeting, and show takes a commitment id ({list})", shown(id)));
    }
    // The id as typed, which nothing has checked: escaped, as ledger text is.
    Ok(format!("no commitment '{}' in the ledger (see `pledger status` for the ids)", shown(id)))
}

/// One line saying what the event records.
fn describe(event: &Event) -> String {
    let with_source = |text: String, source: &Option<pledger::event::Source>| match source
        .as_ref()
        .and_then(|s| s.publisher.as_ref().or(s.url.as_ref()))
    {
        Some(s) => format!("{text} (source: {s})"),
        None => text,
    };
    match event {
        Event::Announcement(a) => with_source(format!("{}: {}", a.id, a.title), &a.source),
        Event::Commitment(c) => match &c.deadline {
            Some(d) => format!("{}: {} (deadline \"{d}\")", c.id, c.title),
            None => format!("{}: {} (no deadline given)", c.id, c.title),
        },
        Event::Meeting(m) => {
            // Which commitments it fulfils and which it only progresses:
            // the difference between "met" and "pending" in the status.
            let mut concerns = Vec::new();
            for (verb, ids) in [("fulfils", &m.fulfils), ("progresses", &m.progresses)] {
                if !ids.is_empty() {
                    let ids: Vec<&str> = ids.iter().map(|id| id.as_str()).collect();
                    concerns.push(format!("{verb} {}", ids.join(", ")));
                }
            }
            let concerns =
                if concerns.is_empty() { String::new() } else { format!(" ({})", concerns.join("; ")) };
            with_source(format!("{}: {}{concerns}", m.id, m.title), &m.source)
        }
        Event::Deadline(d) => with_source(
            match &d.reason {
                Some(r) => format!("revised to \"{}\": {r}", d.deadline),
                None => format!("revised to \"{}\"", d.deadline),
            },
            &d.source,
        ),
        Event::Outcome(o) => {
            // Named, since a supersession is in the story of both
            // commitments: "c1 superseded by c2" in c2's too.
            let mut text = format!("{} {}", o.commitment, o.outcome.name());
            if let Some(by) = &o.by {
                text.push_str(&format!(" by {by}"));
            }
            if let Some(note) = &o.note {
                text.push_str(&format!(": {note}"));
            }
            with_source(text, &o.source)
        }
        Event::Progress(p) => with_source(p.note.to_string(), &p.source),
        Event::Retraction(r) => format!("retracts {}: {}", r.retracts, r.reason),
    }
}
