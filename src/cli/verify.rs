//! `pledger verify`: recompute the chain from the stored bytes; exit 1 at the
//! first break.

use std::io::Write;
use std::process::ExitCode;

use pledger::audit::{self, Verdict};
use pledger::store::StoreError;
use pledger::{Head, OpenMode};

use super::Context;

#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  pledger verify\n  pledger verify --head 12:3f0a…   # prove the history up to a saved head is unchanged"
)]
pub struct Args {
    /// Also check that the event at SEQ still has HASH (a head saved with `pledger head`).
    #[arg(long, value_name = "SEQ:HASH", value_parser = saved_head)]
    head: Option<Head>,
}

/// A saved head: `SEQ:HASH` with SEQ from 1, or the empty ledger's head
/// (seq 0, the zero hash), which `pledger head` prints for an empty ledger.
fn saved_head(s: &str) -> Result<Head, String> {
    let head: Head = s.parse()?;
    if head.seq == 0 && head != Head::EMPTY {
        return Err(format!(
            "seqs start at 1: no event has seq 0 (the only head at seq 0 is an empty ledger's, {})",
            Head::EMPTY
        ));
    }
    Ok(head)
}

pub fn run(args: Args, ctx: &Context) -> anyhow::Result<ExitCode> {
    // A ledger too damaged to read fails verification: exit 1, as a broken
    // chain does, not 3, which says to try again.
    let verdict =
        match ctx.open(OpenMode::Existing).and_then(|ledger| audit::verify(ledger.store(), args.head)) {
            Err(e @ StoreError::Damaged { .. }) => {
                say!("verification failed: {e}");
                return Ok(ExitCode::from(1));
            }
            verdict => verdict?,
        };
    match verdict {
        Verdict::Intact { events, head, stale_snapshots } => {
            let mut out = super::stdout_unbuffered();
            writeln!(out, "ok: {events} events, head {head}")?;
            match args.head {
                Some(saved) if saved == Head::EMPTY => writeln!(
                    out,
                    "ok: the saved head {saved} is an empty ledger's, which every chain starts from"
                )?,
                Some(saved) => writeln!(out, "ok: the saved head {saved} is in this chain")?,
                None => {}
            }
            for seq in stale_snapshots {
                say!("warning: the projection snapshot at seq {seq} does not match the chain; queries ignore it");
            }
            Ok(ExitCode::SUCCESS)
        }
        Verdict::Broken(at) => {
            say!("verification failed at {at}");
            Ok(ExitCode::from(1))
        }
    }
}
