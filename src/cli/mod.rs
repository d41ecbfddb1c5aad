//! Command-line arguments and dispatch. One file per command, each the same
//! shape: an `Args` struct and a `run(args, &Context)` function.

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use chrono::Utc;
use clap::{Parser, Subcommand};
use pledger::input::InputErrors;
use pledger::ledger::{AppendError, RejectError};
use pledger::store::StoreError;
use pledger::{Ledger, OpenMode, Stamp};

mod append;
mod deadline;
mod export;
mod head;
mod import;
mod init;
mod log;
mod verify;

/// A tamper-evident ledger of commitments with fuzzy deadlines.
#[derive(Debug, Parser)]
#[command(name = "pledger", version, about, long_about = None)]
pub struct Args {
    /// The ledger directory.
    #[arg(long, global = true, env = "PLEDGER_LEDGER", default_value = "pledger.db", value_name = "DIR")]
    ledger: PathBuf,

    /// Who is recording (stored with each appended event).
    #[arg(long, global = true, env = "PLEDGER_AUTHOR", default_value = "", value_name = "NAME")]
    by: String,

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
    /// Read a deadline phrase as a window of dates.
    Deadline(deadline::Args),
}

/// What every command may need besides its own arguments.
pub struct Context {
    pub ledger: PathBuf,
    pub by: String,
}

impl Context {
    pub fn open(&self, mode: OpenMode) -> Result<Ledger, StoreError> {
        Ledger::open(&self.ledger, mode)
    }

    /// The recorder's stamp, read from the clock here in the binary: the
    /// library never reads the time itself.
    pub fn stamp(&self) -> Stamp {
        Stamp { now: Utc::now(), by: self.by.clone() }
    }
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let ctx = Context { ledger: args.ledger, by: args.by };
    match args.command {
        Command::Init(a) => init::run(a, &ctx),
        Command::Import(a) => import::run(a, &ctx),
        Command::Append(a) => append::run(a, &ctx),
        Command::Log(a) => log::run(a, &ctx),
        Command::Head(a) => head::run(a, &ctx),
        Command::Verify(a) => verify::run(a, &ctx),
        Command::Export(a) => export::run(a, &ctx),
        Command::Deadline(a) => deadline::run(a, &ctx),
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
