//! Command-line arguments and dispatch. One file per command, each the same
//! shape: an `Args` struct and a `run(args, &Context)` function.

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use chrono::{NaiveDate, Utc};
use clap::{Parser, Subcommand};
use pledger::input::InputErrors;
use pledger::ledger::{AppendError, RejectError};
use pledger::store::StoreError;
use pledger::{Ledger, OpenMode, Stamp};

mod append;
mod deadline;
mod demo;
mod due;
mod export;
mod head;
mod import;
mod init;
mod log;
mod report;
mod show;
mod snapshot;
mod status;
mod verify;

/// A tamper-evident ledger of commitments with fuzzy deadlines.
#[derive(Debug, Parser)]
#[command(name = "pledger", version, about, long_about = None)]
pub struct Args {
    /// The ledger directory [default: pledger.db; for `demo`, a new temporary directory].
    #[arg(long, global = true, env = "PLEDGER_LEDGER", value_name = "DIR")]
    ledger: Option<PathBuf>,

    /// Who is recording (stored with each appended event).
    #[arg(long, global = true, env = "PLEDGER_AUTHOR", default_value = "", value_name = "NAME")]
    by: String,

    /// Keep a projection snapshot every N events (0: none).
    #[arg(long, global = true, env = "PLEDGER_SNAPSHOT_EVERY", value_name = "N",
          default_value_t = pledger::ledger::DEFAULT_SNAPSHOT_EVERY)]
    snapshot_every: u64,

    /// When to colour output.
    #[arg(long, global = true, value_enum, default_value_t = ColorWhen::Auto, value_name = "WHEN")]
    color: ColorWhen,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create an empty ledger.
    Init(init::Args),
    /// Append the events of JSON Lines files, all or nothing.
    Import(import::Args),
    /// Append one event given as JSON.
    Append(append::Args),
    /// List the recorded events.
    Log(log::Args),
    /// Print the seq and hash of the last event.
    Head(head::Args),
    /// Recompute the whole chain from the stored bytes.
    Verify(verify::Args),
    /// Write the events as JSON Lines that `import` reproduces.
    Export(export::Args),
    /// Which commitments are pending, met, overdue, cancelled or superseded.
    Status(status::Args),
    /// One commitment's whole story, then its status.
    Show(show::Args),
    /// Pending commitments whose deadline ends soon.
    Due(due::Args),
    /// Per-party compliance scores.
    Report(report::Args),
    /// Write a status report to publish, or check a published one.
    Snapshot(snapshot::Args),
    /// Read a deadline phrase as a window of dates.
    Deadline(deadline::Args),
    /// Build the sample ledger of the India-Japan strategic dialogue and tell its story.
    Demo(demo::Args),
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum ColorWhen {
    /// Colour on a terminal, unless NO_COLOR is set.
    Auto,
    Always,
    Never,
}

/// What every command may need besides its own arguments.
pub struct Context {
    pub ledger: PathBuf,
    /// Whether `--ledger` (or `PLEDGER_LEDGER`) was given.
    pub ledger_given: bool,
    pub by: String,
    pub snapshot_every: u64,
}

impl Context {
    pub fn open(&self, mode: OpenMode) -> Result<Ledger, StoreError> {
        Ok(Ledger::open(&self.ledger, mode)?.with_snapshot_every(self.snapshot_every))
    }

    /// Today's date from the clock, for `--as-of` defaults.
    pub fn today(&self) -> NaiveDate {
        Utc::now().date_naive()
    }

    /// The recorder's stamp, read from the clock here in the binary: the
    /// library never reads the time itself.
    pub fn stamp(&self) -> Stamp {
        Stamp { now: Utc::now(), by: self.by.clone() }
    }
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let ctx = Context {
        ledger_given: args.ledger.is_some(),
        ledger: args.ledger.unwrap_or_else(|| PathBuf::from("pledger.db")),
        by: args.by,
        snapshot_every: args.snapshot_every,
    };
    let choice = match args.color {
        ColorWhen::Auto => anstream::ColorChoice::Auto,
        ColorWhen::Always => anstream::ColorChoice::Always,
        ColorWhen::Never => anstream::ColorChoice::Never,
    };
    choice.write_global();
    match args.command {
        Command::Init(a) => init::run(a, &ctx),
        Command::Import(a) => import::run(a, &ctx),
        Command::Append(a) => append::run(a, &ctx),
        Command::Log(a) => log::run(a, &ctx),
        Command::Head(a) => head::run(a, &ctx),
        Command::Verify(a) => verify::run(a, &ctx),
        Command::Export(a) => export::run(a, &ctx),
        Command::Status(a) => status::run(a, &ctx),
        Command::Show(a) => show::run(a, &ctx),
        Command::Due(a) => due::run(a, &ctx),
        Command::Report(a) => report::run(a, &ctx),
        Command::Snapshot(a) => snapshot::run(a, &ctx),
        Command::Deadline(a) => deadline::run(a, &ctx),
        Command::Demo(a) => demo::run(a, &ctx),
    }
}

/// Prints an error and returns its exit code: 3 when the ledger cannot be
/// used, 2 for everything the user can fix in their input.
pub fn report(err: &anyhow::Error) -> ExitCode {
    if let Some(io) = err.downcast_ref::<io::Error>() {
        if io.kind() == io::ErrorKind::BrokenPipe {
            return ExitCode::SUCCESS;
        }
    }
    let code = exit_code(err);
    if let Some(RejectError::Input(errors)) = err.downcast_ref::<RejectError>() {
        print_input_errors(errors);
    } else if let Some(errors) = err.downcast_ref::<InputErrors>() {
        print_input_errors(errors);
    } else {
        eprintln!("error: {err:#}");
    }
    ExitCode::from(code)
}

fn exit_code(err: &anyhow::Error) -> u8 {
    let unavailable = err.downcast_ref::<StoreError>().is_some()
        || matches!(err.downcast_ref::<AppendError>(), Some(AppendError::Store(_)))
        || matches!(err.downcast_ref::<RejectError>(), Some(RejectError::Append(AppendError::Store(_))));
    if unavailable {
        3
    } else {
        2
    }
}

fn print_input_errors(errors: &InputErrors) {
    let stderr = io::stderr();
    let mut out = stderr.lock();
    for e in &errors.0 {
        let _ = writeln!(out, "{e}");
    }
    let n = errors.0.len();
    let _ = writeln!(out, "error: {n} problem{} found; nothing was appended", if n == 1 { "" } else { "s" });
}

/// Reads a whole input file, naming it in the error.
pub fn open_input(path: &std::path::Path) -> anyhow::Result<io::BufReader<std::fs::File>> {
    let file = std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    Ok(io::BufReader::new(file))
}

/// A date argument: `YYYY-MM-DD`, `today` or `yesterday`, the last two read
/// from the clock here in the binary.
pub fn parse_date(s: &str) -> Result<NaiveDate, String> {
    let today = Utc::now().date_naive();
    match s {
        "today" => Ok(today),
        "yesterday" => Ok(today.pred_opt().expect("today has a yesterday")),
        _ => s.parse::<pledger::event::Date>().map(|d| d.0),
    }
}

/// Checks `--at SEQ` against the head.
pub fn check_at(ledger: &Ledger, at: Option<u64>, flag: &str) -> anyhow::Result<Option<u64>> {
    if let Some(at) = at {
        let head = ledger.head()?;
        if at > head.seq {
            anyhow::bail!("{flag} {at} is beyond the head of the ledger (seq {})", head.seq);
        }
    }
    Ok(at)
}

/// The status words in colour, for terminals.
pub fn styled_status(status: pledger::projection::Status, width: usize) -> String {
    use anstyle::{AnsiColor, Style};
    use pledger::projection::Status;
    let style = match status {
        Status::Met => Style::new().fg_color(Some(AnsiColor::Green.into())),
        Status::Overdue => Style::new().fg_color(Some(AnsiColor::Red.into())).bold(),
        Status::Pending => Style::new().fg_color(Some(AnsiColor::Yellow.into())),
        Status::Cancelled | Status::Superseded => Style::new().dimmed(),
    };
    format!("{style}{:<width$}{style:#}", status.name())
}
