//! `pledger head`: the seq and hash of the last event, in the `SEQ:HASH`
//! form that `verify --head` and `append --expect-head` take.

use std::io::Write;
use std::process::ExitCode;

use pledger::OpenMode;

use super::Context;

#[derive(Debug, clap::Args)]
#[command(
    after_help = "Example:\n  pledger head > saved-head.txt\n  pledger verify --head \"$(cat saved-head.txt)\""
)]
pub struct Args {
    /// Print {"seq":N,"hash":"…"}.
    #[arg(long)]
    json: bool,
}

pub fn run(args: Args, ctx: &Context) -> anyhow::Result<ExitCode> {
    let head = ctx.open(OpenMode::Existing)?.head()?;
    let mut out = super::stdout_unbuffered();
    if args.json {
        writeln!(out, "{}", serde_json::to_string(&head)?)?;
    } else {
        writeln!(out, "{head}")?;
    }
    Ok(ExitCode::SUCCESS)
}
