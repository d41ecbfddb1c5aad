//! `pledger show ID`: one commitment's whole story in chain order, then its
//! status.

use std::io::Write;
use std::process::ExitCode;

use chrono::NaiveDate;
use pledger::event::Event;
use pledger::history::History;
use pledger::OpenMode;

use super::Context;

#[derive(Debug, clap::Args)]
#[command(after_help = "Example:\n  pledger show economic-security-dialogue --as-of 2026-07-01")]
pub struct Args {
    /// The commitment's id.
    #[arg(add = clap_complete::ArgValueCandidates::new(super::completions::commitment_ids))]
    id: String,

    /// The date to judge its status on: YYYY-MM-DD, today or yesterday [default: today].
    #[arg(long, value_name = "DATE", value_parser = super::parse_date)]
    as_of: Option<NaiveDate>,

    /// Print {"commitment","entries":[…],"status"} as JSON.
    #[arg(long)]
    json: bool,
}

pub fn run(args: Args, ctx: &Context) -> anyhow::Result<ExitCode> {
    let ledger = ctx.open(OpenMode::Existing)?;
    let Some(history) = History::of(&ledger, &args.id)? else {
        anyhow::bail!("no commitment '{}' in the ledger (see `pledger status` for the ids)", args.id);
    };
    let as_of = args.as_of.unwrap_or_else(|| ctx.today());
    let projection = ledger.projection(None)?;
    let status = projection.status_of(&args.id, as_of);
    super::leave_to_exit(projection);
    let mut out = super::stdout_unbuffered();
    if args.json {
        let json = serde_json::json!({ "commitment": history.commitment, "entries": history.entries, "status": status });
        serde_json::to_writer_pretty(&mut out, &json)?;
        writeln!(out)?;
        return Ok(ExitCode::SUCCESS);
    }
    for entry in &history.entries {
        let e = &entry.envelope;
        let date = e.event.date().map(|d| d.to_string()).unwrap_or_else(|| "-".into());
        let by = if e.recorded_by.is_empty() { "unknown".to_owned() } else { e.recorded_by.clone() };
        let mark = if entry.retracted { "  [retracted]" } else { "" };
        writeln!(out, "#{:<5} {date:<10}  {:<12} {}{mark}", e.seq, e.event.type_name(), describe(&e.event))?;
        writeln!(
            out,
            "       recorded {} by {by}, hash {}",
            e.recorded_at.format("%Y-%m-%d %H:%M:%S UTC"),
            e.hash.short()
        )?;
    }
    match status {
        Some(row) => writeln!(
            out,
            "status as of {as_of}: {} ({}); deadline {}",
            super::styled_status(row.status, 0),
            super::status::when_text(&row, as_of),
            super::status::deadline_text(&row)
        )?,
        None => writeln!(out, "status as of {as_of}: not listed (announced later, or retracted)")?,
    }
    Ok(ExitCode::SUCCESS)
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
        Event::Meeting(m) => with_source(format!("{}: {}", m.id, m.title), &m.source),
        Event::Deadline(d) => with_source(
            match &d.reason {
                Some(r) => format!("deadline revised to \"{}\": {r}", d.deadline),
                None => format!("deadline revised to \"{}\"", d.deadline),
            },
            &d.source,
        ),
        Event::Outcome(o) => with_source(
            match (&o.by, &o.note) {
                (Some(by), _) => format!("superseded by {by}"),
                (None, Some(note)) => format!("{}: {note}", o.outcome.name()),
                (None, None) => o.outcome.name().to_owned(),
            },
            &o.source,
        ),
        Event::Progress(p) => with_source(p.note.to_string(), &p.source),
        Event::Retraction(r) => format!("retracts {}: {}", r.retracts, r.reason),
    }
}
