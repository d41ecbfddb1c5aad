//! `pledger report`: per-party compliance as of a date.

use std::io::Write;
use std::process::ExitCode;

use chrono::NaiveDate;
use pledger::report::{compliance, PartyScore, COMPLIANCE_FORMULA};
use pledger::text::shown;
use pledger::OpenMode;

use super::Context;

#[derive(Debug, clap::Args)]
#[command(after_help = format!("Compliance: {COMPLIANCE_FORMULA}.\n\nExample:\n  pledger report --as-of 2026-11-28"))]
pub struct Args {
    #[command(flatten)]
    position: super::Position,

    /// Print a JSON array of per-party scores.
    #[arg(long)]
    json: bool,
}

pub fn run(args: Args, ctx: &Context) -> anyhow::Result<ExitCode> {
    let ledger = ctx.open(OpenMode::Existing)?;
    let (as_of, at) = args.position.resolve(&ledger, ctx)?;
    let projection = ledger.projection(at)?;
    let (statuses, uncounted) = projection.statuses_noting(as_of);
    let scores = compliance(&statuses);
    let mut out = super::stdout();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &scores)?;
        writeln!(out)?;
    } else {
        print_table(&mut out, &scores, as_of, projection.seq)?;
    }
    out.flush()?;
    // A score is of the statuses, so it counts such a commitment by its deadline too.
    for note in super::status::cycle_notes(&statuses, &uncounted) {
        say!("note: {note}");
    }
    super::leave_to_exit((projection, statuses));
    Ok(ExitCode::SUCCESS)
}

/// One row per party, then the date, the ledger's position and the formula.
fn print_table(
    out: &mut impl Write,
    scores: &[PartyScore],
    as_of: NaiveDate,
    seq: u64,
) -> std::io::Result<()> {
    let parties: Vec<_> = scores.iter().map(|s| shown(&s.party)).collect();
    let width = parties.iter().map(|p| p.chars().count()).max().unwrap_or(5).max(5);
    writeln!(
        out,
        "{:<width$}  {:>11}  {:>8}  {:>7}  {:>7}  {:>9}  {:>10}  {:>10}",
        "PARTY", "MET ON TIME", "MET LATE", "PENDING", "OVERDUE", "CANCELLED", "SUPERSEDED", "COMPLIANCE"
    )?;
    for (s, party) in scores.iter().zip(&parties) {
        let pct = s.percent().map(|p| format!("{p}%")).unwrap_or_else(|| "n/a".into());
        writeln!(
            out,
            "{:<width$}  {:>11}  {:>8}  {:>7}  {:>7}  {:>9}  {:>10}  {:>10}",
            party, s.met_on_time, s.met_late, s.pending, s.overdue, s.cancelled, s.superseded, pct
        )?;
    }
    writeln!(out, "as of {as_of}, ledger at seq {seq}; compliance: {COMPLIANCE_FORMULA}")
}
