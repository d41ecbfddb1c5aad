//! `pledger export`: the events, without envelopes, as JSON Lines that
//! `import` into a new ledger reproduces (a retraction by uuid is written
//! by seq, since a new ledger gives the events new uuids). Each retraction
//! also names its event by what it is (`retracts_event`, a retraction by
//! the event it retracts and its reason, see
//! `event::RetractedEvent`), so imported into a ledger that numbers that
//! event otherwise, it voids that event (by that ledger's seq, which
//! `import` writes in) rather than another.

use std::io::{BufWriter, Write};
use std::process::ExitCode;

use pledger::OpenMode;

use super::Context;

#[derive(Debug, clap::Args)]
#[command(
    after_help = "Example:\n  pledger export > ledger.jsonl && pledger --ledger copy.db import ledger.jsonl"
)]
pub struct Args {
    /// Stop at this seq [default: the head].
    #[arg(long, value_name = "SEQ", value_parser = super::parse_seq)]
    to: Option<u64>,
}

pub fn run(args: Args, ctx: &Context) -> anyhow::Result<ExitCode> {
    let ledger = ctx.open(OpenMode::Existing)?;
    let mut out = BufWriter::new(super::raw_stdout());
    let to = super::check_at(&ledger, args.to, "--to")?;
    for event in ledger.exported_events(to) {
        out.write_all(&event?.interchange_json())?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
