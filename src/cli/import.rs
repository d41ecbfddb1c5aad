//! `pledger import FILE...`: append the events of JSON Lines files, all or
//! nothing. Every line of every file is checked first; any problem is
//! reported as `FILE:LINE: message` and nothing is appended.

use anyhow::Context as _;
use std::collections::{BTreeMap, HashSet};
use std::io::IsTerminal;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use indicatif::{ProgressBar, ProgressStyle};
use pledger::event::{Event, EventRef, Retraction};
use pledger::input::{self, InputErrors, Line, Renumber};
use pledger::ledger::{Appended, RejectError};

use super::Context;

#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  pledger import events/india-japan-strategic-dialogue-2026-01-16.jsonl\n  \
pledger --ledger old.db export | pledger import -\n\n\
Re-importing a file appends only the lines that are not recorded yet. `-` reads standard input\n\
(named <stdin> in messages); a file named - is ./-. A retraction by seq names this ledger's seq.\n\
One with `retracts_event` (as `export` writes them) that this ledger numbers otherwise retracts\n\
the event it names, by this ledger's seq, with a note; it is refused if neither this ledger nor\n\
an earlier line holds that event. For one without it, where a file that shares events with the\n\
ledger numbers the retracted one otherwise, a note says which event the file's numbering gives."
)]
pub struct Args {
    /// JSON Lines files, one event per line (- for standard input).
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,

    /// Print at most N of the problems found, then how many more there are (0: all of them).
    #[arg(long, value_name = "N", default_value_t = super::MAX_PROBLEMS_SHOWN)]
    max_errors: usize,
}

pub fn run(args: Args, ctx: &Context) -> anyhow::Result<ExitCode> {
    super::show_at_most(args.max_errors);
    let mut lines = Vec::new();
    let mut errors = Vec::new();
    let total: u64 = args
        .files
        .iter()
        .filter(|f| !is_stdin(f))
        .filter_map(|f| std::fs::metadata(f).ok())
        .map(|m| m.len())
        .sum();
    // Every file is tried before any is read, so that one run names every
    // file that cannot be opened; each is closed again at once, so that an
    // import of more files than the process may hold open still works. Only
    // regular files are tried: opening a named pipe and closing it again
    // would lose what its writer wrote, and leave the real open waiting.
    let cannot_open =
        |path: &std::path::Path, e: std::io::Error| format!("{}: cannot open the file: {e}", path.display());
    let try_open = |path: &std::path::Path| match std::fs::metadata(path) {
        Ok(meta) if meta.is_dir() => Err(format!("{}: expected a file, found a directory", path.display())),
        Ok(meta) if !meta.is_file() => Ok(()),
        Ok(_) => std::fs::File::open(path).map(drop).map_err(|e| cannot_open(path, e)),
        Err(e) => Err(cannot_open(path, e)),
    };
    let mut unopened: Vec<String> =
        args.files.iter().filter(|path| !is_stdin(path)).filter_map(|path| try_open(path).err()).collect();
    if args.files.iter().filter(|path| is_stdin(path)).count() > 1 {
        unopened.push("-: given more than once, but standard input can be read only once".to_owned());
    }
    if !unopened.is_empty() {
        return Err(super::Refused(unopened).into());
    }
    let bar = progress_bar(total);
    for path in &args.files {
        let name = name_of(path);
        let (mut read, mut bad) = if is_stdin(path) {
            input::read_lines(&name, std::io::stdin().lock(), |n| bar.inc(n as u64))
        } else {
            let file = std::fs::File::open(path).map_err(|e| super::Refused(vec![cannot_open(path, e)]))?;
            input::read_lines(&name, std::io::BufReader::new(file), |n| bar.inc(n as u64))
        };
        // The first file's lines are taken as they are: appending them to
        // an empty vector would copy them all (50 MB for 200,000 events)
        // into memory touched for the first time.
        if lines.is_empty() {
            lines = read;
        } else {
            lines.append(&mut read);
        }
        errors.append(&mut bad);
    }
    bar.finish_and_clear();
    if !errors.is_empty() {
        // Report reference problems of the lines that did decode as well, so
        // one run shows everything to fix (against an empty ledger where
        // there is none yet: a refused import creates nothing).
        // The seqs the import would write in are written in here too (they
        // are not problems), so that a line that names a retraction given
        // another seq is not reported for it.
        let (_scratch, ledger) = ctx.open_to_check()?;
        let mut renumbering = Renumbering::new(&lines);
        while let Err(RejectError::Input(more)) = ledger.check(&lines, &ctx.stamp()) {
            match renumbering.apply(&mut lines, more) {
                Ok(()) => continue,
                Err(RejectError::Input(more)) => {
                    errors.extend(more.0.into_iter().filter(|e| e.renumber.is_none()));
                    break;
                }
                Err(e) => return Err(e.into()),
            }
        }
        let order = |e: &input::InputError| {
            let file = args.files.iter().position(|f| *name_of(f) == *e.origin.file);
            (file, e.origin.line)
        };
        errors.sort_by_key(order);
        return Err(RejectError::Input(InputErrors(errors)).into());
    }
    // At a path with no ledger, the lines are checked against an empty one
    // before the ledger is created, so that a refused import at a mistyped
    // `--ledger` leaves nothing behind for the next command to find.
    //
    // A retraction that names its event (`retracts_event`, as an export
    // writes them) by another seq than this ledger gives it was written for
    // another ledger: its seq is written in and the lines checked again,
    // until none needs it (a line's new seq can move the seqs after it).
    let mut renumbering = Renumbering::new(&lines);
    loop {
        let errors = match ctx.append_all(&lines) {
            Err(RejectError::Input(errors)) => errors,
            Err(e) => return Err(e.into()),
            Ok((_ledger, appended)) => {
                // Re-importing stays safe, so these are notes: the import did
                // what it could, and the ledger still holds (and voids) each event.
                let mut notes = super::Notes::new(true);
                for d in &appended.voided {
                    notes.add(d.line, super::voided_duplicate(d));
                }
                super::deadline_notes(&appended, &mut notes);
                super::future_date_notes(&appended, ctx.today(), &mut notes);
                numbering_notes(&appended, &mut notes);
                super::repeat_notes(&appended, &mut notes);
                renumbering.notes(&lines, &appended, &mut notes);
                notes.say();
                writeln!(
                    super::stdout_unbuffered(),
                    "{} new, {} already recorded; head {}",
                    appended.new.len(),
                    appended.already_recorded,
                    appended.head
                )
                .with_context(|| super::appended_but(appended.new.len(), appended.head))?;
                super::leave_to_exit(lines);
                return Ok(ExitCode::SUCCESS);
            }
        };
        renumbering.apply(&mut lines, errors)?;
    }
}

/// The retractions whose seq the import wrote in: each line (by its place
/// among the lines) with the `retracts` it was given.
struct Renumbering {
    given: BTreeMap<usize, EventRef>,
    /// Checks left before a line still refused is reported (one per
    /// retraction that names its event, and one more).
    passes: usize,
}

impl Renumbering {
    fn new(lines: &[Line]) -> Renumbering {
        let named = |line: &&Line| matches!(&line.event, Event::Retraction(r) if r.retracts_event.is_some());
        Renumbering { given: BTreeMap::new(), passes: 1 + lines.iter().filter(named).count() }
    }

    /// Writes in the seqs `errors` asks for, if it asks for any (a line
    /// that names a retraction written in here is found only once it is);
    /// otherwise its problems are the error, but for seqs to write in if
    /// there are others.
    fn apply(&mut self, lines: &mut [Line], errors: InputErrors) -> Result<(), RejectError> {
        let fixes: Vec<Renumber> = errors.0.iter().filter_map(|e| e.renumber).collect();
        if fixes.is_empty() || self.passes == 0 {
            let others: Vec<_> = errors.0.iter().filter(|e| e.renumber.is_none()).cloned().collect();
            return Err(RejectError::Input(if others.is_empty() { errors } else { InputErrors(others) }));
        }
        self.passes -= 1;
        for Renumber { line, retracts } in fixes {
            if let Some(Event::Retraction(r)) = lines.get_mut(line).map(|l| &mut l.event) {
                self.given.entry(line).or_insert(r.retracts);
                r.retracts = EventRef::Seq(retracts);
            }
        }
        Ok(())
    }

    /// A note at each new line whose seq was written in (one recorded
    /// already is said to be).
    fn notes<'l>(&self, lines: &'l [Line], appended: &Appended, notes: &mut super::Notes<'l>) {
        if self.given.is_empty() {
            return;
        }
        let new: HashSet<*const Line> = appended.new.iter().map(|e| e.line as *const Line).collect();
        for (&at, given) in &self.given {
            let line = &lines[at];
            let Event::Retraction(Retraction { retracts, retracts_event: Some(named), .. }) = &line.event
            else {
                continue;
            };
            if new.contains(&(line as *const Line)) && retracts != given {
                notes.add(
                    line,
                    format!(
                        "this retracts {retracts}, the {named} that `retracts_event` names, where the line gives \
                         {given}, as the ledger it was written for numbers it (an export of that ledger)"
                    ),
                );
            }
        }
    }
}

/// Whether a FILE argument is `-`, standard input.
fn is_stdin(path: &std::path::Path) -> bool {
    path.as_os_str() == "-"
}

/// A file's name in messages: as given, or `<stdin>` for `-` (as `append` names it).
fn name_of(path: &std::path::Path) -> String {
    if is_stdin(path) {
        "<stdin>".to_owned()
    } else {
        path.display().to_string()
    }
}

fn progress_bar(total_bytes: u64) -> ProgressBar {
    if !std::io::stderr().is_terminal() || total_bytes < 1 << 20 {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(total_bytes);
    bar.set_style(
        ProgressStyle::with_template("reading {bar:40} {bytes}/{total_bytes} ({eta})")
            .expect("the template is valid"),
    );
    bar
}

/// A note for each new retraction by seq that its file may have meant
/// otherwise (see [`pledger::ledger::NumberingNote`]): what it voids here,
/// and how to put it right if the file was exported from another ledger.
fn numbering_notes<'l>(appended: &Appended<'l>, notes: &mut super::Notes<'l>) {
    for n in &appended.numbering_notes {
        let undo = if n.here_voided {
            format!("retract #{}, this retraction (#{} is voided already)", n.seq, n.here)
        } else {
            format!("retract #{}, this retraction, and retract #{} instead", n.seq, n.here)
        };
        let note = format!(
            "this retracts #{} here, but the file's event on line {} is #{} here; if the file keeps the seqs of \
             another ledger (an export of it), it meant #{}: see `pledger log --from {}`, and if so, {undo}",
            n.target,
            n.file_line,
            n.here,
            n.here,
            n.target.min(n.here),
        );
        notes.add(n.line, note);
    }
}
