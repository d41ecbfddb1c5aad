//! `pledger init`: create an empty ledger.

use std::io::Write;
use std::process::ExitCode;

use pledger::OpenMode;

use super::Context;

#[derive(Debug, clap::Args)]
#[command(after_help = "Example:\n  pledger --ledger monitor.db init")]
pub struct Args {}

pub fn run(_args: Args, ctx: &Context) -> anyhow::Result<ExitCode> {
    let existed = ctx.ledger.join("db").exists();
    let ledger = ctx.open(OpenMode::Create)?;
    let head = ledger.head()?;
    let mut out = super::stdout_unbuffered();
    if existed {
        writeln!(
            out,
            "ledger at {} already exists: {} events, head {head}",
            super::shown_path(&ctx.ledger),
            head.seq
        )?;
    } else {
        writeln!(out, "created an empty ledger at {}", super::shown_path(&ctx.ledger))?;
    }
    Ok(ExitCode::SUCCESS)
}
