//! `pledger deadline PHRASE --anchor DATE`: how pledger reads a deadline
//! phrase, without touching a ledger.

use std::io::Write;
use std::process::ExitCode;

use chrono::NaiveDate;
use pledger::deadline;

use super::Context;

#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  pledger deadline \"first half of 2026\" --anchor 2026-01-16\n  \
pledger deadline \"within 100 days\" --anchor 2026-01-16 --json\n\nThe conventions are in DEADLINES.md.")]
pub struct Args {
    /// The phrase, as written in the announcement.
    phrase: String,

    /// The date the phrase is read from (the announcement's date): YYYY-MM-DD, today or yesterday.
    #[arg(long, value_name = "DATE", value_parser = super::parse_date)]
    anchor: NaiveDate,

    /// Print {"phrase","anchor","start","end","vague"}.
    #[arg(long)]
    json: bool,
}

pub fn run(args: Args, _ctx: &Context) -> anyhow::Result<ExitCode> {
    let deadline = deadline::parse(&args.phrase, args.anchor)?;
    let mut out = super::stdout_unbuffered();
    if args.json {
        writeln!(out, "{}", serde_json::to_string(&deadline)?)?;
    } else {
        writeln!(out, "{deadline}")?;
    }
    if let Some(note) = deadline.note {
        say!("note: {note}");
    }
    Ok(ExitCode::SUCCESS)
}
