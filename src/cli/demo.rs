//! `pledger demo`: build the sample ledger from `events/` in a fresh
//! directory, verify it, and show what pledger says about it on the dates
//! that tell its story.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context as _;
use chrono::NaiveDate;
use pledger::audit::{self, Verdict};
use pledger::input;
use pledger::OpenMode;

use super::Context;

/// The sample ledger, built into the binary so the demo needs no files.
const SAMPLE_NAME: &str = "events/india-japan-strategic-dialogue-2026-01-16.jsonl";
const SAMPLE: &str = include_str!("../../events/india-japan-strategic-dialogue-2026-01-16.jsonl");
/// The sample's source, as its events name it.
const SOURCE_PUBLISHER: &str = "news.jointearn.com";
const SOURCE_URL: &str =
    "https://news.jointearn.com/india-japan-launch-new-initiatives-on-critical-minerals-ai-and-defence-to-bolster-economic-security";

#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  pledger demo\n  pledger --ledger demo.db demo")]
pub struct Args {}

pub fn run(_args: Args, ctx: &Context) -> anyhow::Result<ExitCode> {
    let dir = if ctx.ledger_given {
        ctx.ledger.clone()
    } else {
        tempfile::Builder::new()
            .prefix("pledger-demo-")
            .tempdir()
            .context("cannot create a temporary directory for the demo ledger")?
            .keep()
    };
    let ledger = pledger::Ledger::open(&dir, OpenMode::Create)?;
    let existing = ledger.head()?;
    if existing.seq > 0 {
        anyhow::bail!(
            "the demo builds a fresh ledger, but {} already holds {} events; name an empty directory",
            dir.display(),
            existing.seq
        );
    }
    let today = ctx.today();
    let mut out = super::stdout_unbuffered();
    writeln!(out, "pledger demo: the India-Japan Strategic Dialogue, New Delhi, 16 January 2026")?;
    // Cited as the events cite it (the source text is not part of the
    // project): an unsigned rewrite of the Hindustan Times report, whose
    // wording the quotes are. events/README.md says how it was identified.
    writeln!(out, "(quoted from {SOURCE_PUBLISHER}, a rewrite of the Hindustan Times report of that day:")?;
    writeln!(out, " {SOURCE_URL})\n")?;

    let (lines, errors) = input::read_lines(SAMPLE_NAME, SAMPLE.as_bytes(), |_| {});
    if !errors.is_empty() {
        return Err(input::InputErrors(errors).into());
    }
    // The latest date the sample records anything on: after it, a status
    // says only what was not recorded.
    let last_recorded =
        lines.iter().filter_map(|l| l.event.date()).max().expect("the sample has dated events").0;
    let appended = ledger.append(&lines, None, &ctx.stamp())?;
    writeln!(out, "1. Imported {SAMPLE_NAME}")?;
    writeln!(out, "   into a fresh ledger at {}: {} events\n", super::shown_path(&dir), appended.new.len())?;

    match audit::verify(ledger.store(), None)? {
        Verdict::Intact { events, head, .. } => {
            writeln!(out, "2. Verified the hash chain: ok, {events} events, head {head}\n")?
        }
        Verdict::Broken(at) => anyhow::bail!("the fresh demo ledger failed verification at {at}"),
    }

    let projection = ledger.projection(None)?;
    let day = |s: &str| s.parse::<NaiveDate>().expect("demo dates are valid");
    let chapters = [
        (
            day("2026-01-16"),
            "3. Right after the announcement: the AI Dialogue is launched, everything else is pending",
        ),
        (day("2026-07-01"), "4. On 1 July 2026: 'early 2026' and 'the first half of 2026' have both run out"),
        (today, "5. Today"),
    ];
    let last_chapter = chapters.len() - 1;
    for (i, (as_of, title)) in chapters.into_iter().enumerate() {
        writeln!(out, "{title} (as of {as_of}):")?;
        let rows = projection.statuses(as_of);
        let unlisted = super::status::unlisted_replacements(&projection, &rows, as_of);
        super::status::print_table(&mut out, &rows, as_of, &unlisted)?;
        if i == last_chapter {
            // "N days overdue" must not read as a report that the parties
            // missed a deadline: it is what the ledger does not hold.
            writeln!(
                out,
                "The sample ledger records nothing after {}: \"overdue\" means only that the deadline has ended\n\
                 and no meeting or outcome has been recorded, not that the parties were reported to have missed it.",
                last_recorded.format("%-d %B %Y")
            )?;
        }
        writeln!(out)?;
    }
    let head = ledger.head()?;
    writeln!(out, "Head of the chain: {head}")?;
    writeln!(out, "Save it, and anyone holding this ledger can prove it was not rewritten:")?;
    writeln!(out, "  pledger --ledger {} verify --head {head}", super::shown_path(&dir))?;
    writeln!(out, "Inspect one commitment's story:")?;
    writeln!(out, "  pledger --ledger {} show economic-security-dialogue", super::shown_path(&dir))?;
    Ok(ExitCode::SUCCESS)
}
