//! `pledger log`: the recorded events in chain order.

use std::io::{BufWriter, Write};
use std::process::ExitCode;

use pledger::history::Entry;
use pledger::text::shown;
use pledger::OpenMode;

use super::Context;

#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  pledger log\n  pledger log --from 40 --json")]
pub struct Args {
    /// Start at this seq.
    #[arg(long, default_value_t = 1, value_name = "SEQ", value_parser = super::parse_seq)]
    from: u64,

    /// Print one envelope per line as JSON, with "retracted": true for an
    /// event a retraction voids (as `show --json` has).
    #[arg(long)]
    json: bool,
}

pub fn run(args: Args, ctx: &Context) -> anyhow::Result<ExitCode> {
    let ledger = ctx.open(OpenMode::Existing)?;
    let head = ledger.head()?;
    if args.from > head.seq {
        // An empty listing alone would read as a ledger with nothing in it.
        let has = match head.seq {
            0 => "no events yet".to_owned(),
            1 => "one event, seq 1".to_owned(),
            n => format!("{n} events, seq 1 to {n}"),
        };
        say!("note: no event from seq {}: the ledger holds {has}", args.from);
        return Ok(ExitCode::SUCCESS);
    }
    // Which events retractions void, from one projection load (a snapshot
    // plus the tail): the listing itself still streams.
    let voided = {
        let projection = ledger.projection(None)?;
        let voided = projection.voided();
        super::leave_to_exit(projection);
        voided
    };
    let mut out = BufWriter::new(super::raw_stdout());
    for envelope in ledger.envelopes(args.from) {
        let e = envelope?;
        let retracted = voided.contains(&e.seq);
        if args.json {
            serde_json::to_writer(&mut out, &Entry { envelope: e, retracted })?;
            writeln!(out)?;
        } else {
            let date = e.event.date().map(|d| d.to_string()).unwrap_or_else(|| "-".into());
            writeln!(
                out,
                "{:>6}  {:<10}  {:<12} {:<44} {}{}",
                e.seq,
                date,
                e.event.type_name(),
                shown(&e.event.label()),
                e.hash.short(),
                if retracted { "  [retracted]" } else { "" }
            )?;
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
