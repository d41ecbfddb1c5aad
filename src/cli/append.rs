//! `pledger append`: append one event given as JSON, optionally only if the
//! head is still the one the caller saw.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context as _;
use pledger::input;
use pledger::Head;

use super::Context;

#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  \
echo '{\"type\":\"progress\",\"commitment\":\"jwg-minerals\",\"date\":\"2026-02-10\",\"note\":\"Agreed\"}' \\\n      \
| pledger append\n  \
pledger append --expect-head 12:3f0a…  --json '{…}'")]
pub struct Args {
    /// The event as JSON on one line, under 32 KiB (default: read it from standard input).
    #[arg(long, value_name = "TEXT")]
    json: Option<String>,

    /// Append only if the head is still SEQ:HASH (as printed by `pledger head`).
    #[arg(long, value_name = "SEQ:HASH")]
    expect_head: Option<Head>,
}

pub fn run(args: Args, ctx: &Context) -> anyhow::Result<ExitCode> {
    // Read as a line of an imported file is read, with the same limits and
    // messages.
    let line = match &args.json {
        Some(text) => input::read_one("<--json>", text.as_bytes())?,
        None => input::read_one("<stdin>", std::io::stdin().lock())?,
    };
    let lines = [line];
    let ledger = ctx.open_to_append(&lines, args.expect_head)?;
    let appended = ledger.append(&lines, args.expect_head, &ctx.stamp())?;
    if let Some(d) = appended.voided.first() {
        return Err(super::Refused(vec![format!(
            "{}:{}: {}",
            d.line.origin.file,
            d.line.origin.line,
            super::voided_duplicate(d)
        )])
        .into());
    }
    // Said as `record` says it: what pledger read, the deadline's window
    // too. The event is durable by now, so a lookup that fails here costs
    // only the detail.
    let event = &lines[0].event;
    let mut out = super::stdout_unbuffered();
    match appended.new.first() {
        Some(e) => {
            // The checks resolved what a retraction retracts already (a
            // uuid would take a scan of the chain to look up again).
            let retracted = appended.retracted.first().map(|&(_, target)| target);
            let window = super::record::deadline_window(&ledger, event).ok().flatten();
            let what = super::record::described(&ledger, event, window.as_ref(), retracted)
                .unwrap_or_else(|_| super::record::describe(event, window.as_ref()));
            super::record::print_appended(&mut out, e, &what)
        }
        None => {
            writeln!(out, "already recorded: {}; head {}", super::record::place(event), appended.head)
        }
    }
    .with_context(|| super::appended_but(appended.new.len(), appended.head))?;
    let mut notes = super::Notes::new(false);
    super::deadline_notes(&appended, &mut notes);
    super::future_date_notes(&appended, ctx.today(), &mut notes);
    notes.say();
    // Not `say_retracted_references`: it reads the projection, which would
    // make a scripted append at 200,000 events ~3x slower (25 -> 95 ms).
    Ok(ExitCode::SUCCESS)
}
