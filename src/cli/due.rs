//! `pledger due --within SPAN`: pending commitments whose deadline window
//! ends within the span, soonest first.

use std::io::Write;
use std::process::ExitCode;

use chrono::Days;
use pledger::deadline::LAST_DAY;
use pledger::projection::Status;
use pledger::OpenMode;

use super::Context;

#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  pledger due --within 30d\n  pledger due --within 8w --as-of 2026-03-01\n  \
pledger due --within 30d --at 12   # what the ledger said at seq 12"
)]
pub struct Args {
    /// The span: a number of days (30d, or 30 alone) or weeks (4w).
    #[arg(long, value_name = "SPAN", value_parser = parse_span)]
    within: u64,

    #[command(flatten)]
    position: super::Position,

    /// Print a JSON array, soonest first.
    #[arg(long)]
    json: bool,
}

pub fn run(args: Args, ctx: &Context) -> anyhow::Result<ExitCode> {
    let ledger = ctx.open(OpenMode::Existing)?;
    let (as_of, at) = args.position.resolve(&ledger, ctx)?;
    // No window ends after the calendar's last day, so neither does a span.
    let until = as_of.checked_add_days(Days::new(args.within)).map_or(LAST_DAY, |d| d.min(LAST_DAY));
    let projection = ledger.projection(at)?;
    let (all, uncounted) = projection.statuses_noting(as_of);
    let mut rows: Vec<_> = all
        .iter()
        .filter(|c| c.status == Status::Pending)
        .filter_map(|c| {
            c.deadline.as_ref().and_then(|d| d.end).filter(|end| *end <= until).map(|end| (end, c.clone()))
        })
        .collect();
    // A commitment due because its supersession counts for nothing says why.
    let notes = super::status::cycle_notes_of(&all, uncounted, rows.iter().map(|(_, c)| c.id.as_str()));
    rows.sort_by(|a, b| (a.0, &a.1.id).cmp(&(b.0, &b.1.id)));
    let rows: Vec<_> = rows.into_iter().map(|(_, c)| c).collect();
    let mut out = super::stdout();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &rows)?;
        writeln!(out)?;
    } else if rows.is_empty() && until == LAST_DAY {
        // A span to the calendar's end (`--within 99999999999d`).
        writeln!(out, "nothing due from {as_of} on")?;
    } else if rows.is_empty() {
        writeln!(out, "nothing due between {as_of} and {until}")?;
    } else {
        // Only pending commitments are due: none names a replacement.
        super::status::print_table(&mut out, &rows, as_of, &Default::default())?;
    }
    out.flush()?;
    for note in notes {
        say!("note: {note}");
    }
    super::leave_to_exit((projection, all, rows));
    Ok(ExitCode::SUCCESS)
}

/// `30d`, `4w` or a plain number of days.
fn parse_span(s: &str) -> Result<u64, String> {
    let (digits, unit) = match s.strip_suffix('d') {
        Some(d) => (d, 1),
        None => match s.strip_suffix('w') {
            Some(w) => (w, 7),
            None => (s, 1),
        },
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("expected a span such as 30d or 4w, found {s:?}"));
    }
    // A span past what a u64 holds reaches past the calendar's end all the
    // same (`run` stops there).
    Ok(digits.parse::<u64>().unwrap_or(u64::MAX).saturating_mul(unit))
}
