//! `pledger snapshot`: write a status report to publish, or check that a
//! published one still matches the ledger.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use chrono::NaiveDate;
use pledger::audit::{self, Verdict};
use pledger::projection::STATUS_RULES;
use pledger::report::{CheckOutcome, Differs, Listing, RowDiff, Rules, StatusReport};
use pledger::OpenMode;

use super::Context;

#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  pledger snapshot --as-of 2026-11-28 --out status-2026-11-28.json\n  \
pledger snapshot --check status-2026-11-28.json\n\n\
A report names the ledger position (seq, head hash) and the content hash (BLAKE3 of\n\
`pledger export --to SEQ`) it was computed from, and the version of the status rules\n\
(STATUS.md) it was computed under; --check verifies the chain (as pledger verify does)\n\
and recomputes it. A report is not written from, nor checked against, a ledger that fails\n\
verification.")]
pub struct Args {
    /// The date to judge deadlines on: YYYY-MM-DD, today or yesterday (in UTC) [default: today].
    #[arg(long, value_name = "DATE", value_parser = super::parse_date, conflicts_with = "check")]
    as_of: Option<NaiveDate>,

    /// Read the ledger only up to this seq [default: the head].
    #[arg(long, value_name = "SEQ", value_parser = super::parse_seq, conflicts_with = "check")]
    at: Option<u64>,

    /// Write the report here instead of standard output (a path outside the ledger).
    #[arg(long, value_name = "FILE", conflicts_with = "check")]
    out: Option<PathBuf>,

    /// Check a published report against the ledger (exit 1 if it does not match).
    #[arg(long, value_name = "FILE")]
    check: Option<PathBuf>,
}

/// The largest report `--check` reads. A report of every commitment of a
/// 1,000,000-event ledger is ~150 MB; a file that never ends (a device, a
/// pipe left open) is refused here rather than read until memory runs out.
const REPORT_LIMIT: u64 = 1 << 30;

/// The text of the report at `path`, if it is no larger than [`REPORT_LIMIT`].
fn read_report(path: &Path) -> anyhow::Result<String> {
    use std::io::Read as _;
    let cannot = || format!("cannot read {}", path.display());
    let too_large =
        || anyhow::anyhow!("{}: expected a report under 1 GiB, found a larger file", path.display());
    let file = std::fs::File::open(path).with_context(cannot)?;
    if file.metadata().is_ok_and(|m| m.is_file() && m.len() > REPORT_LIMIT) {
        return Err(too_large());
    }
    let mut text = String::new();
    file.take(REPORT_LIMIT + 1).read_to_string(&mut text).with_context(cannot)?;
    if text.len() as u64 > REPORT_LIMIT {
        return Err(too_large());
    }
    Ok(text)
}

pub fn run(args: Args, ctx: &Context) -> anyhow::Result<ExitCode> {
    let ledger = ctx.open(OpenMode::Existing)?;
    if let Some(path) = args.check {
        let text = read_report(&path)?;
        let name = super::shown_path(&path);
        let report = StatusReport::from_json(&text).map_err(|e| match e.line() {
            Some(line) => anyhow::anyhow!("{name}:{line}: {e}"),
            None => anyhow::anyhow!("{name}: {e}"),
        })?;
        return Ok(match report.check(&ledger)? {
            CheckOutcome::LedgerBroken(at) => {
                say!(
                    "verification failed at {at}: {name} (at seq {}) cannot be checked against a broken ledger; \
                     run pledger verify",
                    report.ledger.seq
                );
                ExitCode::from(1)
            }
            CheckOutcome::Matches { head, rules, grown } => {
                let mut out = super::stdout_unbuffered();
                writeln!(
                    out,
                    "ok: {name} matches the ledger at seq {} as of {} (content {})",
                    report.ledger.seq, report.as_of, report.ledger.content_hash
                )?;
                if head != report.ledger.head {
                    writeln!(
                        out,
                        "note: the report names head {}, this ledger's at seq {} is {head}: the report was computed on \
                         another copy of the same events, or its head was changed; its events and statuses are these",
                        report.ledger.head, report.ledger.seq
                    )?;
                }
                // This pledger applies only its own rules: it can say the
                // statuses are the same under them, not under the report's.
                if let Rules::Other(version) = rules {
                    writeln!(
                        out,
                        "note: the report names status rules v{version}, and this pledger applies v{STATUS_RULES}; \
                         its statuses are what v{STATUS_RULES} gives{}",
                        if version > STATUS_RULES {
                            " (a pledger that applies the newer rules can check them under those)"
                        } else {
                            " (STATUS.md lists what changed)"
                        }
                    )?;
                }
                if let Some(grown) = grown.filter(|g| !g.rows.is_empty()) {
                    let rows: Vec<String> = grown.rows.iter().map(later_row).collect();
                    writeln!(
                        out,
                        "note: the ledger has grown to seq {} since; as of {as_of} it now gives other statuses for {} \
                         (pledger snapshot --as-of {as_of} for a report at the head)",
                        grown.seq,
                        rows.join(", "),
                        as_of = report.as_of
                    )?;
                }
                ExitCode::SUCCESS
            }
            CheckOutcome::LedgerTooShort { seq, head } => {
                say!("mismatch: {name} was computed at seq {seq}, but this ledger ends at seq {head}");
                ExitCode::from(1)
            }
            CheckOutcome::ContentDiffers { reported, actual } => {
                say!(
                    "mismatch: {name} was computed from events with content hash {reported}, but this ledger's events up to seq {} hash to {actual}",
                    report.ledger.seq
                );
                ExitCode::from(1)
            }
            CheckOutcome::StatusesDiffer { rows, listing, rules } => {
                let what = match (rows.as_slice(), listing) {
                    ([], Listing::Counts) => "its counts of statuses are".to_owned(),
                    ([], _) => "its rows (their order, or a row listed twice) are".to_owned(),
                    (rows, _) => {
                        let rows: Vec<String> = rows.iter().map(reported_row).collect();
                        format!("its rows for {} are", rows.join(", "))
                    }
                };
                // Only a field the rules compute can differ under other rules.
                let from_events: Vec<&str> =
                    rows.iter().filter(|r| !r.by_rules()).map(|r| r.id.as_str()).collect();
                let why = match rules {
                    _ if rows.is_empty() => "rows are listed once each, by id, and counted from their statuses \
                                             under any rules, so it was changed after it was made"
                        .to_owned(),
                    _ if !from_events.is_empty() => format!(
                        "what differs for {} comes from the events themselves, not from the status rules, so it was \
                         changed after it was made",
                        from_events.join(", ")
                    ),
                    Rules::Same => format!(
                        "the report names the status rules this pledger applies (v{STATUS_RULES}), so it was \
                         changed after it was made"
                    ),
                    Rules::Other(version) if version > STATUS_RULES => format!(
                        "the report was made under status rules v{version}, newer than this pledger's \
                         v{STATUS_RULES} (check it with a pledger that applies them), or it was changed after it \
                         was made"
                    ),
                    Rules::Other(version) => format!(
                        "the report was made under status rules v{version}, and this pledger applies \
                         v{STATUS_RULES} (STATUS.md lists what changed), or it was changed after it was made"
                    ),
                    Rules::Unnamed => "the report was changed after it was made, or made under other status rules \
                                       or deadline conventions (its format, v1, does not name them)"
                        .to_owned(),
                };
                say!(
                    "mismatch: {name}: {what} not what the events up to seq {} give as of {}: {why}",
                    report.ledger.seq,
                    report.as_of
                );
                ExitCode::from(1)
            }
        });
    }
    let at = super::check_at(&ledger, args.at, "--at")?;
    if let Some(out) = &args.out {
        refuse_inside_ledger(out, &ctx.ledger)?;
    }
    if let Verdict::Broken(at) = audit::verify(ledger.store(), None)? {
        say!(
            "verification failed at {at}: no report is written from a ledger that fails verification; run \
             pledger verify"
        );
        return Ok(ExitCode::from(1));
    }
    let (report, uncounted) =
        StatusReport::compute_noting(&ledger, args.as_of.unwrap_or_else(|| ctx.today()), at)?;
    let mut json = serde_json::to_string_pretty(&report)?;
    json.push('\n');
    match args.out {
        Some(path) => {
            std::fs::write(&path, json).with_context(|| format!("cannot write {}", path.display()))?
        }
        None => {
            let mut out = super::raw_stdout();
            out.write_all(json.as_bytes())?;
            out.flush()?;
        }
    }
    // The report's rows show such a commitment by its deadline, with no
    // room to say why.
    for note in super::status::cycle_notes(&report.commitments, &uncounted) {
        say!("note: {note}");
    }
    Ok(ExitCode::SUCCESS)
}

/// Refuses an output path inside the ledger's directory: the report would
/// replace one of the store's own files (its data, its head file) or sit
/// among them. Checked on the paths as resolved, so that `./L/../L/db` and
/// a symlink into the ledger (even one whose target is not there yet) are
/// refused too.
fn refuse_inside_ledger(out: &Path, ledger: &Path) -> anyhow::Result<()> {
    let Ok(ledger_dir) = ledger.canonicalize() else { return Ok(()) };
    if resolved(out, 0).is_some_and(|resolved| resolved.starts_with(&ledger_dir)) {
        anyhow::bail!(
            "--out {}: expected a path outside the ledger, found one inside {}; nothing was written",
            out.display(),
            ledger.display()
        );
    }
    Ok(())
}

/// Where writing to `path` would write: the path itself if it exists, else
/// the target of a dangling symlink (followed up to 40 times, as the kernel
/// does), else the resolved directory joined with the file name.
fn resolved(path: &Path, links: u32) -> Option<PathBuf> {
    if let Ok(resolved) = path.canonicalize() {
        return Some(resolved);
    }
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if let Ok(target) = std::fs::read_link(path) {
        return if links < 40 { resolved(&parent.join(target), links + 1) } else { None };
    }
    Some(parent.canonicalize().ok()?.join(path.file_name()?))
}

/// A row of a report that the events do not give, as `id (what differs)`.
fn reported_row(row: &RowDiff) -> String {
    match &row.differs {
        Differs::Fields(fields) => format!("{} ({})", row.id, fields.join(", ")),
        Differs::MissingFromReport => format!("{} (missing from the report)", row.id),
        Differs::NotInLedger => format!("{} (not in the ledger)", row.id),
    }
}

/// A row of a faithful report that the head gives otherwise: its id, and
/// whether the head no longer lists it, or lists one the report does not.
fn later_row(row: &RowDiff) -> String {
    match &row.differs {
        Differs::Fields(_) => row.id.clone(),
        Differs::MissingFromReport => format!("{} (not in the report)", row.id),
        Differs::NotInLedger => format!("{} (no longer listed)", row.id),
    }
}
