//! `pledger verify`: recompute the chain from the stored bytes, and check the
//! derived data (snapshots, indexes) against the events; exit 1 at the
//! first break.

use std::io::Write;
use std::process::ExitCode;

use pledger::audit::{self, Verdict};
use pledger::ledger::{IndexCheck, SnapshotCheck};
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

    /// Once the chain verifies, remove the stored projection snapshots, as verify advises when one
    /// does not hold what the events give (they are derived data: queries replay the events until
    /// later appends make new ones).
    #[arg(long)]
    drop_snapshots: bool,

    /// Once the chain verifies, write the ids and content indexes again from the events, as verify
    /// advises when they do not match them (they are derived data: the checks of appends and `show`
    /// find events through them).
    #[arg(long)]
    rebuild_indexes: bool,

    /// With --rebuild-indexes, rebuild them even where they name events past the head, as they do
    /// when the ledger's last events were removed, giving up that evidence.
    #[arg(long, requires = "rebuild_indexes")]
    accept_removal: bool,
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

/// What `verify` warns of beside an intact chain.
struct Warnings {
    /// Where the journal holds an entry cut short or damaged.
    journal_damage: Option<u64>,
    no_head_file: bool,
}

pub fn run(args: Args, ctx: &Context) -> anyhow::Result<ExitCode> {
    // A ledger too damaged to read fails verification: exit 1, as a broken
    // chain does, not 3, which says to try again.
    let damaged = |e: StoreError| -> anyhow::Result<ExitCode> {
        match e {
            e @ (StoreError::Damaged { .. } | StoreError::IndexDamaged { .. }) => {
                say!("verification failed: {e}");
                Ok(ExitCode::from(1))
            }
            e => Err(e.into()),
        }
    };
    let ledger = match ctx.open(OpenMode::Existing) {
        Ok(ledger) => ledger,
        Err(e) => return damaged(e),
    };
    let checked = check(&ledger, args.head);
    let (verdict, snapshots, index, warnings) = match checked {
        Ok(checked) => checked,
        Err(e) => return damaged(e),
    };
    let unlike = || {
        let seqs: Vec<String> = snapshots.unlike.iter().map(|seq| format!("seq {seq}")).collect();
        match seqs.len() {
            1 => {
                format!("the projection snapshot at {} does not hold what the events up to it give", seqs[0])
            }
            _ => format!(
                "the projection snapshots at {} do not hold what the events up to them give",
                seqs.join(" and ")
            ),
        }
    };
    let (changed, them) =
        if snapshots.unlike.len() == 1 { ("it was changed", "it") } else { ("they were changed", "them") };
    let mut failed = false;
    if let (Verdict::Intact { .. }, true) = (&verdict, args.drop_snapshots) {
        if !snapshots.unlike.is_empty() {
            say!("note: {}, so {}", unlike(), changed);
        }
        ledger.store().clear_snapshots()?;
        say!("note: removed the stored projection snapshots; queries replay the events until later appends make new ones");
    } else if let Verdict::Intact { events, head, .. } = &verdict {
        if !snapshots.unlike.is_empty() {
            say!(
                "verification failed: the chain of {events} events up to {head} is intact, but {}, so {changed}: \
                 queries (`status`, `due`, `report`, `show`, `log`) and the checks of appends would answer from \
                 {them} (`snapshot` and `snapshot --check` replay the events and are unaffected); snapshots are \
                 derived data: remove them with `pledger verify --drop-snapshots`",
                unlike()
            );
            failed = true;
        }
    }
    if let (Verdict::Intact { events, head, .. }, Some(index)) = (&verdict, &index) {
        let removed = index.problems.iter().any(|p| p.past_head());
        if args.rebuild_indexes && (args.accept_removal || !removed) {
            if !index.problems.is_empty() {
                say!("note: the ids and content indexes did not match the events:");
                print_index_problems(index);
            }
            ledger.store().rebuild_index(&index.chain)?;
            say!("note: wrote the ids and content indexes again from the events");
        } else if !index.problems.is_empty() {
            let remedy = match (removed, args.rebuild_indexes) {
                (false, _) => "write them again from the events with `pledger verify --rebuild-indexes`",
                (true, false) => {
                    "they name events past the head, as they do when the ledger's last events were removed: \
                     check a head saved earlier with `pledger verify --head SEQ:HASH`; if no event is missing, \
                     write them again from the events with `pledger verify --rebuild-indexes --accept-removal`"
                }
                (true, true) => {
                    "they name events past the head, as they do when the ledger's last events were removed, \
                     so they were not rebuilt, which would give up that evidence: check a head saved earlier \
                     with `pledger verify --head SEQ:HASH`; if no event is missing, add `--accept-removal`"
                }
            };
            say!(
                "verification failed: the chain of {events} events up to {head} is intact, but the ids and content \
                 indexes do not match the events (the checks of appends read them to tell a new event from one \
                 already recorded and to check the dates of the events that name an id, and `show` finds events \
                 by id through them); {remedy}:"
            );
            print_index_problems(index);
            failed = true;
        }
    }
    if failed {
        return Ok(ExitCode::from(1));
    }
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
            if warnings.no_head_file {
                say!(
                    "warning: the ledger has no head file, which records how far its events reach: without it, \
                     a copy whose files were replaced by older ones could not be told from this one (the next \
                     command that appends writes it again when it exits); check a saved head with \
                     `pledger verify --head SEQ:HASH`"
                );
            }
            if let Some(offset) = warnings.journal_damage {
                say!(
                    "warning: the journal file ends with an entry at byte {offset} that is cut short or fails its \
                     checksum; an append that a crash cut short leaves one, and was never acknowledged, but if \
                     this one was, its events are lost: check a saved head with `pledger verify --head SEQ:HASH`"
                );
            }
            for seq in snapshots.unreadable {
                say!(
                    "warning: the projection snapshot at seq {seq} cannot be read (damaged, or of another \
                     format); queries ignore it"
                );
            }
            for seq in stale_snapshots {
                say!("warning: the projection snapshot at seq {seq} does not match the chain; queries ignore it");
            }
            Ok(ExitCode::SUCCESS)
        }
        Verdict::Broken(at) => {
            say!("verification failed at {at}");
            // Derived data is made again only from an intact chain.
            for (asked, what) in [
                (args.drop_snapshots, "the projection snapshots were not removed"),
                (args.rebuild_indexes, "the ids and content indexes were not rebuilt"),
            ] {
                if asked {
                    say!("note: {what}, as the chain is broken");
                }
            }
            Ok(ExitCode::from(1))
        }
    }
}

/// Prints the index's problems, one a line: the first few, and how many more.
fn print_index_problems(check: &IndexCheck) {
    const SHOWN: usize = 10;
    for problem in check.problems.iter().take(SHOWN) {
        say!("  {problem}");
    }
    if check.problems.len() > SHOWN {
        say!("  and {} more", check.problems.len() - SHOWN);
    }
}

/// Verifies the chain (against `saved` too) and then the indexes, and, on
/// another core meanwhile, the stored snapshots; and what to warn of.
fn check(
    ledger: &pledger::Ledger,
    saved: Option<Head>,
) -> Result<(Verdict, SnapshotCheck, Option<IndexCheck>, Warnings), StoreError> {
    // Queries start from the stored snapshots, and appends are checked
    // through the indexes, which the chain does not cover: the snapshots
    // are checked against a replay of the events, on another core while
    // the chain and then the indexes are checked (what they find counts
    // only if the chain is intact).
    let stop = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|scope| {
        let snapshots = scope.spawn(|| ledger.check_snapshots(&stop));
        let verdict = audit::verify(ledger.store(), saved);
        // A broken chain (or one that cannot be read) is the answer:
        // the replay need not finish.
        if !matches!(verdict, Ok(Verdict::Intact { .. })) {
            stop.store(true, std::sync::atomic::Ordering::Relaxed);
        }
        let verdict = verdict?;
        let index = match verdict {
            Verdict::Intact { .. } => Some(ledger.check_index()?),
            Verdict::Broken(_) => None,
        };
        let unlike = snapshots.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        let warnings = Warnings {
            journal_damage: ledger.store().journal_damage(),
            no_head_file: ledger.store().lacks_head_file()?,
        };
        match verdict {
            Verdict::Intact { .. } => Ok((verdict, unlike?, index, warnings)),
            Verdict::Broken(_) => Ok((verdict, SnapshotCheck::default(), index, warnings)),
        }
    })
}
