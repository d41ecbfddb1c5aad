//! Command-line arguments and dispatch. One file per command, each the same
//! shape: an `Args` struct and a `run(args, &Context)` function.

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use chrono::{NaiveDate, Utc};
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use pledger::input::InputErrors;
use pledger::ledger::{AppendError, RejectError};
use pledger::store::StoreError;
use pledger::{Ledger, OpenMode, Stamp};

/// `eprintln!` that cannot panic: a line to standard error, whose failed
/// write (`2>/dev/full`) is ignored, since there is nowhere left to report
/// it and the exit code still tells. `eprintln!` panics instead, which
/// turned a failed verification into exit 101 and a backtrace. The line is
/// written as [`shown_lines`] shows it.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), "{}", $crate::cli::shown_lines(&format!($($arg)*)));
    }};
}

/// A path as it may be printed to standard output (see [`shown_lines`]).
pub fn shown_path(path: &std::path::Path) -> String {
    pledger::text::shown(&path.display().to_string()).into_owned()
}

/// A message as it may be printed to a terminal: each of its lines through
/// `pledger::text::shown`. Messages quote what the user gave, and a file
/// name (`pledger import *.jsonl` in a directory anyone can write to) may
/// hold an escape that would recolour or clear the screen.
pub fn shown_lines(message: &str) -> std::borrow::Cow<'_, str> {
    if !message.contains('\n') {
        return pledger::text::shown(message);
    }
    let lines: Vec<_> = message.split('\n').map(pledger::text::shown).collect();
    std::borrow::Cow::Owned(lines.join("\n"))
}

mod append;
mod completions;
mod deadline;
mod demo;
mod due;
mod export;
mod head;
mod import;
mod init;
mod log;
mod manpage;
mod record;
mod report;
mod retract;
mod show;
mod snapshot;
mod status;
mod verify;

pub use completions::VAR as COMPLETE_VAR;

/// A tamper-evident ledger of commitments with fuzzy deadlines.
#[derive(Debug, Parser)]
#[command(
    name = "pledger",
    version,
    about,
    long_about = None,
    after_help = "Examples:\n  pledger record announcement quad-fm-2026-07 --date 2026-07-01 \\\n      \
--title \"Quad foreign ministers' meeting\" --party Australia --party India\n  \
pledger status --as-of 2026-11-28\n  pledger verify\n\n\
Each command's --help has its options and examples; `pledger manpage DIR` writes them as man pages."
)]
pub struct Args {
    /// The ledger directory [default: pledger.db; for `demo`, a new temporary directory].
    #[arg(long, global = true, env = "PLEDGER_LEDGER", value_name = "DIR")]
    ledger: Option<PathBuf>,

    /// Who is recording (stored with each appended event; at most 200 characters).
    #[arg(long, global = true, env = "PLEDGER_AUTHOR", default_value = "", value_name = "NAME")]
    by: String,

    /// Keep a projection snapshot every N events (0: none).
    // Read as text and checked in `parse`, where clap can tell whether it
    // came from the flag or the environment, so the message names which.
    #[arg(long = "snapshot-every", id = "snapshot_every", global = true, env = "PLEDGER_SNAPSHOT_EVERY",
          value_name = "N", default_value_t = pledger::ledger::DEFAULT_SNAPSHOT_EVERY.to_string())]
    snapshot_every_text: String,

    #[arg(skip)]
    snapshot_every: u64,

    /// Where `by` came from: `--by` or `PLEDGER_AUTHOR`.
    #[arg(skip = "--by")]
    by_place: &'static str,

    /// When to colour output.
    #[arg(long, global = true, value_enum, default_value_t = ColorWhen::Auto, value_name = "WHEN")]
    color: ColorWhen,

    #[command(subcommand)]
    command: Command,
}

/// The commands, in the order of the groups that `pledger --help` shows
/// ([`GROUPS`]).
#[derive(Debug, Subcommand)]
enum Command {
    /// Create an empty ledger.
    Init(init::Args),
    /// Record an announcement, commitment, meeting, deadline, outcome or progress.
    Record(record::Args),
    /// Void an earlier event, keeping it in the chain.
    Retract(retract::Args),
    /// Append the events of JSON Lines files, all or nothing.
    Import(import::Args),
    /// Append one event given as JSON.
    Append(append::Args),
    /// Which commitments are pending, met, overdue, cancelled or superseded.
    Status(status::Args),
    /// One commitment's whole story, then its status.
    Show(show::Args),
    /// Pending commitments whose deadline ends soon.
    Due(due::Args),
    /// Per-party compliance scores.
    Report(report::Args),
    /// List the recorded events.
    Log(log::Args),
    /// Read a deadline phrase as a window of dates.
    Deadline(deadline::Args),
    /// Recompute the whole chain from the stored bytes, and check the snapshots and indexes against it.
    Verify(verify::Args),
    /// Print the seq and hash of the last event.
    Head(head::Args),
    /// Write a status report to publish, or check a published one.
    Snapshot(snapshot::Args),
    /// Write the events as JSON Lines that `import` reproduces.
    Export(export::Args),
    /// Build the sample ledger of the India-Japan strategic dialogue and tell its story.
    Demo(demo::Args),
    /// Print a shell completion script (bash, zsh or fish).
    Completions(completions::Args),
    /// Write man pages: pledger.1 and one per command.
    Manpage(manpage::Args),
}

/// An empty ledger in a new temporary directory, removed when the returned
/// directory is dropped (after the ledger: declare them in this order).
fn scratch_ledger() -> Result<(tempfile::TempDir, Ledger), StoreError> {
    let dir = tempfile::tempdir().map_err(|error| StoreError::Io { path: std::env::temp_dir(), error })?;
    let ledger = Ledger::open(dir.path(), OpenMode::Create)?;
    Ok((dir, ledger))
}

/// How `pledger --help` groups the commands. A command missing here is
/// still listed, under "Other commands".
const GROUPS: &[(&str, &[&str])] = &[
    ("Recording", &["init", "record", "retract", "import", "append"]),
    ("Querying", &["status", "show", "due", "report", "log", "deadline"]),
    ("Auditing", &["verify", "head", "snapshot", "export"]),
];

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
    /// Where `by` came from, for messages: `--by` or `PLEDGER_AUTHOR`.
    pub by_place: &'static str,
    pub snapshot_every: u64,
}

impl Context {
    pub fn open(&self, mode: OpenMode) -> Result<Ledger, StoreError> {
        Ok(Ledger::open(&self.ledger, mode)?.with_snapshot_every(self.snapshot_every))
    }

    /// Opens the ledger for a single-event command that appends `lines`
    /// (`expected`: its `--expect-head`). When there is no ledger at the path
    /// yet, the lines and the expected head are first checked against an
    /// empty ledger, so that a command that would be refused (at a mistyped
    /// `--ledger`, say) is refused before it creates one. The real append
    /// checks again, against whatever ledger it then opens. Never removing
    /// a ledger is what keeps this safe beside another process that creates
    /// and appends to the same path meanwhile.
    pub fn open_to_append(
        &self,
        lines: &[pledger::input::Line],
        expected: Option<pledger::Head>,
    ) -> Result<Ledger, RejectError> {
        match self.open(OpenMode::Existing) {
            Err(StoreError::Missing { .. }) => {
                let (_scratch, empty) = scratch_ledger()?;
                let head = empty.head()?;
                if let Some(expected) = expected.filter(|&e| e != head) {
                    return Err(AppendError::Conflict { expected, current: head }.into());
                }
                empty.check(lines, &self.stamp())?;
                Ok(self.open(OpenMode::Create)?)
            }
            opened => Ok(opened?),
        }
    }

    /// Checks `lines` and appends the new ones durably (for `import`): as
    /// [`Context::open_to_append`] and then [`Ledger::append`] would, except
    /// that at a path with no ledger yet the lines are checked only once,
    /// against an empty ledger, and what that check sealed is appended to
    /// the new one. At 200,000 events, checking them again took ~0.2 s of a
    /// ~1 s import. If another process appended there in between, they are
    /// checked again, against what it wrote.
    pub fn append_all<'a>(
        &self,
        lines: &'a [pledger::input::Line],
    ) -> Result<(Ledger, pledger::ledger::Appended<'a>), RejectError> {
        let stamp = self.stamp();
        let ledger = match self.open(OpenMode::Existing) {
            Err(StoreError::Missing { .. }) => {
                // (The empty ledger closes before its directory is removed.)
                let (_scratch, empty) = scratch_ledger()?;
                let checked = empty.check_to_append(lines, &stamp)?;
                drop(empty);
                let ledger = self.open(OpenMode::Create)?;
                match ledger.append_checked(checked) {
                    Err(RejectError::Append(AppendError::Conflict { .. })) => ledger,
                    done => return done.map(|appended| (ledger, appended)),
                }
            }
            opened => opened?,
        };
        let appended = ledger.append(lines, None, &stamp)?;
        Ok((ledger, appended))
    }

    /// The ledger to check against without writing: the one at the path,
    /// or, with none there yet, an empty one in a temporary directory (kept
    /// while the returned guard lives), which is what a real append there
    /// would meet. A dry run must not create a ledger.
    pub fn open_to_check(&self) -> Result<(Option<tempfile::TempDir>, Ledger), StoreError> {
        match self.open(OpenMode::Existing) {
            Err(StoreError::Missing { .. }) => scratch_ledger().map(|(dir, ledger)| (Some(dir), ledger)),
            opened => Ok((None, opened?)),
        }
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

/// The command-line definition, with the root help grouping the commands as
/// recording, querying and auditing. Parsing, completions and man pages all
/// use this.
pub fn command() -> clap::Command {
    let cmd = Args::command();
    let template = root_help_template(&cmd);
    cmd.help_template(template)
}

/// Parses the process's arguments, exiting with clap's message (exit 2) on a
/// usage error. Help follows `--color` too.
pub fn parse() -> Args {
    let mut cmd = command();
    if let Some(when) = color_flag(std::env::args_os().skip(1)) {
        cmd = cmd.color(when);
    }
    // clap would name a flag the user may never have typed ("a value is
    // required for '--ledger <DIR>'"), even with --ledger given.
    if std::env::var_os("PLEDGER_LEDGER").is_some_and(|v| v.is_empty()) {
        let message =
            "PLEDGER_LEDGER: expected a ledger directory, found an empty value (unset it for ./pledger.db)";
        exit_with(cmd.error(clap::error::ErrorKind::ValueValidation, message));
    }
    let mut matches =
        cmd.clone().try_get_matches().unwrap_or_else(|e| exit_with(with_tip(e, std::env::args_os().skip(1))));
    // A bad value from the environment is named as the variable, since
    // that is where the user must look for it.
    let place = |id: &str, flag: &'static str, var: &'static str| {
        if matches.value_source(id) == Some(clap::parser::ValueSource::EnvVariable) {
            var
        } else {
            flag
        }
    };
    let by_place = place("by", "--by", "PLEDGER_AUTHOR");
    let every_place = place("snapshot_every", "--snapshot-every", "PLEDGER_SNAPSHOT_EVERY");
    let mut args = Args::from_arg_matches_mut(&mut matches).unwrap_or_else(|e| exit_with(e.format(&mut cmd)));
    args.by_place = by_place;
    args.snapshot_every = parse_count(&args.snapshot_every_text).unwrap_or_else(|message| {
        exit_with(cmd.error(clap::error::ErrorKind::ValueValidation, format!("{every_place}: {message}")))
    });
    args
}

/// The options that take every word after them as a value, up to the next
/// option (`--party India Japan`).
const LISTING_OPTIONS: [&str; 4] = ["--party", "--tag", "--fulfils", "--progresses"];

/// clap's usage error, with a tip where the slip is likely pledger's: an id
/// typed after the names of a listing option (`--party India Japan a1`) is
/// read as one more name, and clap then says only that the id is missing.
fn with_tip(mut e: clap::Error, args: impl Iterator<Item = std::ffi::OsString>) -> clap::Error {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    let missing_id = matches!(
        e.get(ContextKind::InvalidArg),
        Some(ContextValue::Strings(missing)) if missing.iter().any(|m| m == "<ID>")
    );
    if e.kind() != ErrorKind::MissingRequiredArgument || !missing_id {
        return e;
    }
    let args: Vec<String> = args.map(|a| a.to_string_lossy().into_owned()).collect();
    // The last listing option given more than one value: its last value is
    // likely the id.
    let runs = args.iter().enumerate().filter(|(_, a)| LISTING_OPTIONS.contains(&a.as_str()));
    let mut swallowed = runs.filter_map(|(at, flag)| {
        let values = args[at + 1..].iter().take_while(|a| !a.starts_with('-')).count();
        // (Only a word that could be an id.)
        let last = &args[at + values];
        (values > 1 && last.parse::<pledger::event::Slug>().is_ok()).then_some((flag, last))
    });
    let Some((flag, last)) = swallowed.next_back() else {
        return e;
    };
    let tip = format!(
        "the values of {flag} run to the next option, so '{last}' was taken as one of them: \
         if it is the ID, give it before {flag} (or after '--' at the end of the command)"
    );
    e.insert(ContextKind::Suggested, ContextValue::StyledStrs(vec![tip.into()]));
    e
}

/// Prints clap's help, version or usage error and exits with its code, as
/// `clap::Error::exit` does, except that a failed write is reported (exit
/// 2) rather than ignored: `pledger --help > /dev/full` must not exit 0.
fn exit_with(e: clap::Error) -> ! {
    if let Err(failed) = e.print() {
        if failed.kind() != io::ErrorKind::BrokenPipe {
            let stream = if e.use_stderr() { "standard error" } else { "standard output" };
            let _ = writeln!(io::stderr(), "error: cannot write to {stream}: {failed}");
            std::process::exit(2);
        }
    }
    std::process::exit(e.exit_code())
}

/// The value of `--color` among raw arguments, read before parsing so that
/// clap's own help and errors follow it.
fn color_flag(args: impl Iterator<Item = std::ffi::OsString>) -> Option<clap::ColorChoice> {
    let mut args = args.map(|a| a.to_string_lossy().into_owned());
    let mut found = None;
    while let Some(arg) = args.next() {
        let value = match arg.as_str() {
            "--" => break,
            "--color" => args.next(),
            other => other.strip_prefix("--color=").map(str::to_owned),
        };
        match value.as_deref() {
            Some("always") => found = Some(clap::ColorChoice::Always),
            Some("never") => found = Some(clap::ColorChoice::Never),
            Some("auto") => found = Some(clap::ColorChoice::Auto),
            _ => {}
        }
    }
    found
}

/// The root help: clap's usual layout, with the command list split into the
/// [`GROUPS`]. Built from the command definitions, so every command appears
/// with its about line; the styles are clap's, so colour follows `--color`.
fn root_help_template(cmd: &clap::Command) -> String {
    use std::fmt::Write as _;
    let mut built = cmd.clone();
    built.build();
    let styles = built.get_styles();
    let (header, literal) = (styles.get_header(), styles.get_literal());
    let commands: Vec<(String, String)> = built
        .get_subcommands()
        .filter(|c| !c.is_hide_set())
        .map(|c| (c.get_name().to_owned(), c.get_about().map(|a| a.to_string()).unwrap_or_default()))
        .collect();
    let width = commands.iter().map(|(name, _)| name.len()).max().unwrap_or(0);
    let group_of = |name: &str| GROUPS.iter().position(|(_, names)| names.contains(&name));
    let mut list = String::new();
    for group in 0..=GROUPS.len() {
        let title = GROUPS.get(group).map_or("Other", |(title, _)| title);
        let members: Vec<&(String, String)> =
            commands.iter().filter(|(name, _)| group_of(name).unwrap_or(GROUPS.len()) == group).collect();
        if members.is_empty() {
            continue;
        }
        let _ = writeln!(list, "{header}{title} commands:{header:#}");
        for (name, about) in members {
            let _ = writeln!(list, "  {literal}{name:<width$}{literal:#}  {about}");
        }
        list.push('\n');
    }
    format!(
        "{{before-help}}{{about-with-newline}}\n{{usage-heading}} {{usage}}\n\n{list}\
         {header}Options:{header:#}\n{{options}}{{after-help}}"
    )
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let ctx = Context {
        ledger_given: args.ledger.is_some(),
        ledger: args.ledger.unwrap_or_else(|| PathBuf::from("pledger.db")),
        by: args.by,
        by_place: args.by_place,
        snapshot_every: args.snapshot_every,
    };
    let stamps = matches!(
        args.command,
        Command::Record(_) | Command::Retract(_) | Command::Import(_) | Command::Append(_) | Command::Demo(_)
    );
    if stamps {
        check_author(&ctx.by).map_err(|message| Refused(vec![format!("{}: {message}", ctx.by_place)]))?;
    }
    let choice = match args.color {
        ColorWhen::Auto => anstream::ColorChoice::Auto,
        ColorWhen::Always => anstream::ColorChoice::Always,
        ColorWhen::Never => anstream::ColorChoice::Never,
    };
    choice.write_global();
    match args.command {
        Command::Init(a) => init::run(a, &ctx),
        Command::Record(a) => record::run(a, &ctx),
        Command::Retract(a) => retract::run(a, &ctx),
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
        Command::Completions(a) => completions::run(a, &ctx),
        Command::Manpage(a) => manpage::run(a, &ctx),
    }
}

/// Prints an error and returns its exit code: 1 when the ledger is damaged
/// (it fails verification by being unreadable, whichever command found
/// it), 3 when it cannot be used for now (missing, in use, an i/o error),
/// 2 for everything the user can fix in their input.
pub fn report(err: &anyhow::Error) -> ExitCode {
    // The reader of the output has gone (`pledger log | head`): stop
    // quietly, as Unix tools do. serde_json wraps the write error it meets.
    let kind = match (err.downcast_ref::<io::Error>(), err.downcast_ref::<serde_json::Error>()) {
        (Some(io), _) => Some(io.kind()),
        (None, Some(json)) => json.io_error_kind(),
        (None, None) => None,
    };
    if kind == Some(io::ErrorKind::BrokenPipe) {
        return ExitCode::SUCCESS;
    }
    let code = exit_code(err);
    if let Some(RejectError::Input(errors)) = err.downcast_ref::<RejectError>() {
        print_problems(errors.0.iter().map(|e| e.to_string()));
    } else if let Some(errors) = err.downcast_ref::<InputErrors>() {
        print_problems(errors.0.iter().map(|e| e.to_string()));
    } else if let Some(refused) = err.downcast_ref::<Refused>() {
        print_problems(refused.0.iter().cloned());
    } else {
        say!("error: {err:#}");
    }
    ExitCode::from(code)
}

fn exit_code(err: &anyhow::Error) -> u8 {
    let store = match (err.downcast_ref::<AppendError>(), err.downcast_ref::<RejectError>()) {
        (Some(AppendError::Store(e)), _) | (_, Some(RejectError::Append(AppendError::Store(e)))) => Some(e),
        _ => err.downcast_ref::<StoreError>(),
    };
    match store {
        Some(StoreError::Damaged { .. } | StoreError::IndexDamaged { .. }) => 1,
        Some(_) => 3,
        None => 2,
    }
}

/// Problems with what a recording command was asked to record, each placed
/// like an input line's (`--date: expected a date …`, `commitment x: unknown
/// announcement …`). Nothing was appended.
#[derive(Debug, thiserror::Error)]
#[error("{}", .0.join("; "))]
pub struct Refused(pub Vec<String>);

/// How many problems a refused command prints by default: a file of the
/// wrong kind gives one per line, which would bury the count under
/// thousands of lines alike.
pub const MAX_PROBLEMS_SHOWN: usize = 100;

/// How many problems [`print_problems`] prints (0: all), as `import
/// --max-errors` sets it.
static PROBLEMS_SHOWN: std::sync::atomic::AtomicUsize =
    std::sync::atomic::AtomicUsize::new(MAX_PROBLEMS_SHOWN);

/// Makes [`print_problems`] print at most `n` problems (0: all).
pub fn show_at_most(n: usize) {
    PROBLEMS_SHOWN.store(n, std::sync::atomic::Ordering::Relaxed);
}

/// Prints each placed problem on its own line, up to the number set by
/// [`show_at_most`], then the count.
fn print_problems(problems: impl Iterator<Item = String>) {
    let stderr = io::stderr();
    let mut out = stderr.lock();
    let shown = match PROBLEMS_SHOWN.load(std::sync::atomic::Ordering::Relaxed) {
        0 => usize::MAX,
        n => n,
    };
    let mut n = 0;
    for problem in problems {
        if n < shown {
            let _ = writeln!(out, "{}", shown_lines(&problem));
        }
        n += 1;
    }
    if n > shown {
        let more = n - shown;
        let _ = writeln!(
            out,
            "… and {more} more problem{} (`--max-errors 0` prints them all)",
            if more == 1 { "" } else { "s" }
        );
    }
    let _ = writeln!(out, "error: {n} problem{} found; nothing was appended", if n == 1 { "" } else { "s" });
}

/// Standard output for a command's results, coloured as `--color` says and
/// buffered, so that the output leaves in large writes (std's stdout
/// writes at every newline; unbuffered, `status --json` over a
/// 1,000,000-event ledger made ~4 million write calls). Call `flush` at the
/// end, so that a failed write (a full disk) is reported rather than lost
/// when the buffer is dropped.
///
/// Where standard output takes no colour, the output holds no control
/// codes to strip: [`styled_status`] writes none, the text a ledger holds
/// is printed through `pledger::text::shown`, which escapes them, and
/// serde_json escapes them too. So it is written straight through:
/// anstream's stripping scans every byte, and was 15% of the time of
/// `status --json > FILE` over a 1,000,000-event ledger. Where it takes
/// colour, anstream is buffered on both sides, so that it handles large
/// pieces rather than each of serde_json's tokens.
pub fn stdout() -> io::BufWriter<Box<dyn Write>> {
    const BUFFER: usize = 1 << 16;
    let inner: Box<dyn Write> = if stdout_takes_colour() {
        let choice = anstream::AutoStream::choice(&io::stdout());
        let raw: Box<dyn Write> = Box::new(io::BufWriter::with_capacity(BUFFER, raw_stdout()));
        Box::new(anstream::AutoStream::new(raw, choice))
    } else {
        Box::new(raw_stdout())
    };
    io::BufWriter::with_capacity(BUFFER, inner)
}

/// Whether standard output takes colour, as `--color`, `NO_COLOR` and
/// whether it is a terminal decide: worked out once, after `run` has set
/// the choice, since every row of a table asks.
fn stdout_takes_colour() -> bool {
    static TAKES: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *TAKES.get_or_init(|| anstream::AutoStream::choice(&io::stdout()) != anstream::ColorChoice::Never)
}

/// Standard output for a command's few lines, coloured as `--color` says
/// and unbuffered, so that they interleave with standard error as written.
pub fn stdout_unbuffered() -> anstream::AutoStream<Box<dyn Write>> {
    let choice = anstream::AutoStream::choice(&io::stdout());
    anstream::AutoStream::new(Box::new(raw_stdout()), choice)
}

/// Standard output, locked, whose write errors say that it was standard
/// output that could not be written ("cannot write to standard output: No
/// space left on device"). The error's kind is kept, so that a reader that
/// has gone is still recognised by [`report`].
pub fn raw_stdout() -> impl Write {
    struct Labelled<W>(W);
    fn labelled(e: io::Error) -> io::Error {
        io::Error::new(e.kind(), format!("cannot write to standard output: {e}"))
    }
    impl<W: Write> Write for Labelled<W> {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.write(buf).map_err(labelled)
        }
        fn flush(&mut self) -> io::Result<()> {
            self.0.flush().map_err(labelled)
        }
    }
    Labelled(io::stdout().lock())
}

/// The notes on new lines' deadlines (see `pledger::deadline::Note`):
/// `note: deadline 'PHRASE': …`. A bulk import says the first few and how
/// many more there are.
pub fn deadline_notes<'l>(appended: &pledger::ledger::Appended<'l>, notes: &mut Notes<'l>) {
    let found = appended.deadline_notes.iter().map(|n| {
        let phrase = match &n.line.event {
            pledger::Event::Commitment(c) => c.deadline.as_ref(),
            pledger::Event::Deadline(d) => Some(&d.deadline),
            _ => None,
        };
        // New lines hold no control characters (they were checked), so the
        // phrase is quoted as written.
        let phrase = phrase.map(|p| format!(" '{}'", p.as_str())).unwrap_or_default();
        (n.line, format!("deadline{phrase}: {}", n.note))
    });
    notes
        .add_first(found, "deadlines come with notes; `pledger deadline PHRASE --anchor DATE` shows any one");
}

/// A note for each new event dated after `today` (the first 20, then a
/// count): a meeting or an outcome is recorded once it has happened, and a
/// mistyped year would count only from a date years ahead, leaving a
/// commitment overdue until then. Not refused: an announcement may give
/// the date of a summit ahead.
pub fn future_date_notes<'l>(
    appended: &pledger::ledger::Appended<'l>,
    today: NaiveDate,
    notes: &mut Notes<'l>,
) {
    let found = (appended.new.iter()).filter_map(|e| {
        let date = e.line.event.date()?.0;
        let event = &e.line.event;
        (date > today).then(|| {
            let what =
                format!("{} {} is dated {date}, after today ({today})", event.type_name(), event.label());
            (e.line, format!("{what}: a status as of today does not count it"))
        })
    });
    notes.add_first(found, "events are dated after today");
}

/// A note at each line skipped because an earlier line of its file gives
/// the same event: the count of lines "already recorded" would otherwise
/// be all a user sees of a line pasted twice, or of two identical notes
/// meant as two.
pub fn repeat_notes<'l>(appended: &pledger::ledger::Appended<'l>, notes: &mut Notes<'l>) {
    let found = appended.repeated.iter().map(|r| {
        let event = &r.line.event;
        (
            r.line,
            format!(
                "{} {} repeats line {}, so it is recorded once",
                event.type_name(),
                event.label(),
                r.first.origin.line
            ),
        )
    });
    notes.add_first(found, "lines repeat an earlier line of their file");
}

/// The notes on what an append did, gathered from each kind and said on
/// stderr in the order of their lines, as a compiler orders its warnings:
/// `FILE:LINE: note: …` where `at_line`, `note: …` otherwise. Of each kind
/// the first 20 are said, then how many more there are: a bulk import may
/// hold thousands.
pub struct Notes<'l> {
    at_line: bool,
    said: Vec<(&'l pledger::input::Line, String)>,
    more: Vec<String>,
}

impl<'l> Notes<'l> {
    pub fn new(at_line: bool) -> Notes<'l> {
        Notes { at_line, said: Vec::new(), more: Vec::new() }
    }

    /// A note at `line`.
    pub fn add(&mut self, line: &'l pledger::input::Line, note: String) {
        self.said.push((line, note));
    }

    /// The first 20 of `found`, and a count of the rest as `more`.
    fn add_first(&mut self, found: impl Iterator<Item = (&'l pledger::input::Line, String)>, more: &str) {
        const SHOWN: usize = 20;
        let mut count = 0;
        for note in found {
            count += 1;
            if count <= SHOWN {
                self.said.push(note);
            }
        }
        if count > SHOWN {
            self.more.push(format!("note: {} more {more}", count - SHOWN));
        }
    }

    /// Says them all. The lines of an append are one slice, in input
    /// order, so a line's address orders them; the sort is stable, so the
    /// notes at one line keep the order they were added in.
    pub fn say(mut self) {
        self.said.sort_by_key(|(line, _)| *line as *const pledger::input::Line as usize);
        for (line, note) in &self.said {
            if self.at_line {
                say!("{}: note: {note}", line.origin);
            } else {
                say!("note: {note}");
            }
        }
        for more in &self.more {
            say!("{more}");
        }
    }
}

/// A note for each commitment that `event` (one just recorded) names and
/// that is retracted, its own event or its announcement's: what the event
/// says about it shows in no status, and the recorder may not know. A note
/// is not worth failing a command whose event is appended, so a ledger
/// that cannot be read here gives none.
pub fn say_retracted_references(ledger: &pledger::Ledger, event: &pledger::Event) {
    use pledger::projection::Unlisted;
    use pledger::Event;
    let (named, announcement) = match event {
        Event::Commitment(c) => (vec![], Some(c.announcement.as_str())),
        Event::Announcement(_) | Event::Retraction(_) => return,
        other => (other.commitments().into_iter().map(|id| id.as_str()).collect(), None),
    };
    let Ok(projection) = ledger.projection(None) else { return };
    if let Some(a) = announcement.filter(|a| projection.announcement_retracted(a)) {
        say!("note: announcement {a} is retracted, so no status lists its commitments until that retraction is retracted");
    }
    let unlisted = projection.unlisted(named.iter().copied(), pledger::deadline::LAST_DAY);
    let superseded_by = match event {
        Event::Outcome(o) => o.by.as_ref().map(|b| b.as_str()),
        _ => None,
    };
    for id in named.iter().filter(|id| unlisted.get(**id) == Some(&Unlisted::Retracted)) {
        if Some(*id) == superseded_by {
            say!("note: commitment {id}, named as what superseded it, is retracted (its event or its announcement's)");
        } else {
            say!(
                "note: commitment {id} is retracted (its event or its announcement's), so what this event says of \
                 it shows in no status until that retraction is retracted"
            );
        }
    }
    leave_to_exit(projection);
}

/// A note for each supersession that the outcome or retraction `e` (just
/// appended, or in a dry run about to be) makes count for no status once
/// every event recorded has happened: the outcome itself, if it closes a
/// cycle of replacements, or an earlier recorded one that it comes before,
/// or one whose cycle a retracted event had broken. As for other notes, a
/// ledger that cannot be read here gives none.
pub fn say_circular_supersessions(ledger: &pledger::Ledger, e: &pledger::ledger::AppendedEvent) {
    use pledger::deadline::LAST_DAY;
    use pledger::Event;
    // A supersession can make a cycle, and a retraction can take away what
    // broke one (a cancellation, a fulfilment, another supersession).
    let through = match &e.line.event {
        Event::Outcome(o) if o.by.is_some() => Some(o.commitment.as_str()),
        Event::Retraction(_) => None,
        _ => return,
    };
    let Ok(head) = ledger.head() else { return };
    let after = match ledger.projection(None) {
        Ok(projection) if head.seq >= e.seq => projection,
        Ok(mut projection) => {
            projection
                .apply(e.seq, e.hash, &e.line.event, &mut |uuid| ledger.seq_of_uuid(uuid).ok().flatten());
            projection
        }
        Err(_) => return,
    };
    // After a supersession, only a cycle through its commitment's
    // replacements can be new.
    let found = match through {
        Some(commitment) => after.supersession_cycle_from(commitment, LAST_DAY),
        None => Some(after.statuses_noting(LAST_DAY)).filter(|(_, uncounted)| !uncounted.is_empty()),
    };
    let Some((rows, uncounted)) = found else {
        leave_to_exit(after);
        return;
    };
    let Ok(before) = ledger.projection(Some(e.seq - 1)) else { return };
    let already: std::collections::HashSet<u64> =
        before.statuses_noting(LAST_DAY).1.into_iter().map(|s| s.outcome).collect();
    let new: Vec<_> = uncounted.into_iter().filter(|s| !already.contains(&s.outcome)).collect();
    for note in status::cycle_notes(&rows, &new) {
        say!("note: {note}");
    }
    leave_to_exit((before, after, rows));
}

/// Why an event already recorded as `d.seq` was not appended again though a
/// retraction voids it, and how to restore it: re-recording is not the way,
/// since the ledger knows the event by its id or content.
pub fn voided_duplicate(d: &pledger::ledger::VoidedDuplicate) -> String {
    let by = seq_list(&d.retracted_by);
    match d.retracted_by.as_slice() {
        [one] => format!(
            "already recorded as #{}, which retraction {by} voids; not appended again: to restore it, retract #{one} \
             (`pledger retract {one} --reason …`)",
            d.seq
        ),
        _ => format!(
            "already recorded as #{}, which retractions {by} void; not appended again: to restore it, retract each \
             of them (`pledger retract SEQ --reason …`)",
            d.seq
        ),
    }
}

/// `#3`, `#3 and #5`, `#3, #4 and #5`.
pub fn seq_list(seqs: &[u64]) -> String {
    let named: Vec<String> = seqs.iter().map(|s| format!("#{s}")).collect();
    match named.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
        None => String::new(),
    }
}

/// The context of a recording command's failure to confirm what it did:
/// the events are appended and durable, whatever became of the message.
pub fn appended_but(new: usize, head: pledger::Head) -> String {
    format!("appended {new} new event{} (head {head}), but could not say so", if new == 1 { "" } else { "s" })
}

/// Leaves `value` for the operating system to take back whole when the
/// process exits, which the caller does next, instead of freeing it one
/// allocation at a time. Only for values whose drop does nothing but free
/// memory. A 1,000,000-event import's decoded lines took ~90 ms to free; a
/// status, `due` or `report` over that ledger spent ~0.15-0.25 s of its
/// ~0.8-1.2 s freeing its projection and rows.
pub fn leave_to_exit<T>(value: T) {
    std::mem::forget(value);
}

/// A party or tag to filter by. The ledger holds no blank names, so a
/// blank one (an unset shell variable, most often) is a mistake to point
/// out, not a filter that quietly lists nothing.
pub fn parse_name(s: &str) -> Result<String, String> {
    s.parse::<pledger::event::Text>().map(|_| s.to_owned()).map_err(|e| e.replacen("text", "a name", 1))
}

/// A date argument: `YYYY-MM-DD`, `today` or `yesterday`, the last two read
/// from the clock here in the binary.
pub fn parse_date(s: &str) -> Result<NaiveDate, String> {
    if let Some(date) = relative_date(s) {
        return Ok(date);
    }
    s.parse::<pledger::event::Date>().map(|d| d.0).map_err(|message| {
        // Shaped like a date: the core's message says what is wrong with it.
        let shaped = s.len() == 10
            && s.bytes()
                .enumerate()
                .all(|(i, b)| if i == 4 || i == 7 { b == b'-' } else { b.is_ascii_digit() });
        if shaped {
            message
        } else {
            format!("expected a date as YYYY-MM-DD, today or yesterday, found {s:?}")
        }
    })
}

/// `today` or `yesterday` read from the clock; `None` for anything else.
pub fn relative_date(s: &str) -> Option<NaiveDate> {
    let today = Utc::now().date_naive();
    match s {
        "today" => Some(today),
        "yesterday" => today.pred_opt(),
        _ => None,
    }
}

/// A seq argument (`--at`, `--from`, `--to`): decimal digits, with the `#`
/// that `record` and `show` print before a seq allowed, as `retract` allows it.
pub fn parse_seq(s: &str) -> Result<u64, String> {
    parse_u64(s.strip_prefix('#').unwrap_or(s), "a seq number", s)
}

/// A count argument (`--snapshot-every`): decimal digits.
pub fn parse_count(s: &str) -> Result<u64, String> {
    parse_u64(s, "a number of events", s)
}

/// `digits` as a u64, or `expected WHAT, found "TEXT"`: without Rust's
/// messages ("invalid digit found in string"), which do not say what was
/// wanted, and without its leniency for a leading `+`.
fn parse_u64(digits: &str, what: &str, text: &str) -> Result<u64, String> {
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("expected {what}, found {text:?}"));
    }
    digits.parse().map_err(|_| format!("expected {what} no larger than {}, found {text:?}", u64::MAX))
}

/// The most characters a recorder's name (`--by`) may have: it is stored
/// with every event it records, which must fit in 32 KiB.
pub const MAX_AUTHOR_CHARS: usize = 200;

/// Checks the recorder's name of an appending command: none (the default),
/// or a name of at most [`MAX_AUTHOR_CHARS`] that is not only white space
/// (as `--title` may not be), and without the control characters that text
/// fields refuse.
pub fn check_author(by: &str) -> Result<(), String> {
    let chars = by.chars().count();
    if chars > MAX_AUTHOR_CHARS {
        Err(format!("expected a name of at most {MAX_AUTHOR_CHARS} characters, found {chars}"))
    } else if !by.is_empty() && by.trim().is_empty() {
        Err("expected a name, found only white space".to_owned())
    } else if let Some((at, c)) = pledger::text::unprintable(by) {
        // Printed by `show` and `log` as text fields are, so refused as they are.
        Err(format!(
            "expected a name without control characters, found {} at character {at}",
            pledger::text::describe(c)
        ))
    } else {
        Ok(())
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

/// The status words, in colour where standard output takes it.
pub fn styled_status(status: pledger::projection::Status, width: usize) -> String {
    use anstyle::{AnsiColor, Style};
    use pledger::projection::Status;
    if !stdout_takes_colour() {
        return format!("{:<width$}", status.name());
    }
    let style = match status {
        Status::Met => Style::new().fg_color(Some(AnsiColor::Green.into())),
        Status::Overdue => Style::new().fg_color(Some(AnsiColor::Red.into())).bold(),
        Status::Pending => Style::new().fg_color(Some(AnsiColor::Yellow.into())),
        Status::Cancelled | Status::Superseded => Style::new().dimmed(),
    };
    format!("{style}{:<width$}{style:#}", status.name())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_definitions_pass_clap_checks() {
        command().debug_assert();
    }

    /// clap wraps help text at 100 columns; an example (an indented line)
    /// longer than that would be broken inside a quoted argument, and could
    /// no longer be copied into a shell. Prose may wrap.
    #[test]
    fn every_help_example_line_fits_without_wrapping() {
        fn walk(cmd: &clap::Command, path: &str, long: &mut Vec<String>) {
            for text in [cmd.get_after_help(), cmd.get_after_long_help()].into_iter().flatten() {
                let example = |l: &&str| l.starts_with(' ') && l.chars().count() > 96;
                for line in text.to_string().lines().filter(example) {
                    long.push(format!("{path}: {line}"));
                }
            }
            for sub in cmd.get_subcommands() {
                walk(sub, &format!("{path} {}", sub.get_name()), long);
            }
        }
        let mut long = Vec::new();
        walk(&command(), "pledger", &mut long);
        assert!(long.is_empty(), "lines over 96 characters:\n{}", long.join("\n"));
    }

    #[test]
    fn root_help_lists_every_command_once_under_a_group() {
        let help = command().render_long_help().to_string();
        let mut built = command();
        built.build();
        for sub in built.get_subcommands() {
            let about = sub.get_about().map(|a| a.to_string()).unwrap_or_default();
            let lines: Vec<&str> = help
                .lines()
                .filter(|l| l.trim_start().strip_prefix(sub.get_name()).is_some_and(|r| r.starts_with("  ")))
                .collect();
            assert_eq!(lines.len(), 1, "{} listed {} times in\n{help}", sub.get_name(), lines.len());
            assert!(lines[0].ends_with(&about), "{:?} lacks its about line {about:?}", lines[0]);
        }
        for heading in ["Recording commands:", "Querying commands:", "Auditing commands:", "Options:"] {
            assert!(help.contains(heading), "no {heading:?} in\n{help}");
        }
        for (_, names) in GROUPS {
            for name in *names {
                assert!(built.find_subcommand(name).is_some(), "GROUPS names unknown command {name}");
            }
        }
    }

    #[test]
    fn every_command_has_an_about_line_and_an_example() {
        fn check(cmd: &clap::Command, path: &str, missing: &mut Vec<String>) {
            let path = format!("{path} {}", cmd.get_name()).trim().to_owned();
            if cmd.get_name() == "help" {
                return; // clap's own
            }
            let example = cmd.get_after_help().map(|h| h.to_string()).unwrap_or_default();
            if !example.contains("Example") || !example.contains("pledger ") {
                missing.push(format!("{path}: no example in after_help"));
            }
            if path != "pledger" && cmd.get_about().is_none() {
                missing.push(format!("{path}: no about line"));
            }
            for sub in cmd.get_subcommands() {
                check(sub, &path, missing);
            }
        }
        let mut built = command();
        built.build();
        let mut missing = Vec::new();
        check(&built, "", &mut missing);
        assert!(missing.is_empty(), "{}", missing.join("\n"));
    }

    #[test]
    fn color_flag_is_read_before_parsing() {
        let args = |s: &str| s.split(' ').map(std::ffi::OsString::from).collect::<Vec<_>>().into_iter();
        assert_eq!(color_flag(args("--color never status")), Some(clap::ColorChoice::Never));
        assert_eq!(color_flag(args("status --color=always")), Some(clap::ColorChoice::Always));
        assert_eq!(color_flag(args("status -- --color never")), None);
        assert_eq!(color_flag(args("status --color")), None);
    }
}

/// The two times of every status query: the date deadlines are judged on
/// and how much of the chain is read.
#[derive(Debug, clap::Args)]
pub struct Position {
    /// The date to judge deadlines on: YYYY-MM-DD, today or yesterday (in UTC) [default: today].
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    as_of: Option<NaiveDate>,

    /// Read the ledger only up to this seq [default: the head].
    #[arg(long, value_name = "SEQ", value_parser = parse_seq)]
    at: Option<u64>,
}

impl Position {
    /// The date (today by default) and the checked seq.
    pub fn resolve(&self, ledger: &Ledger, ctx: &Context) -> anyhow::Result<(NaiveDate, Option<u64>)> {
        Ok((self.as_of.unwrap_or_else(|| ctx.today()), check_at(ledger, self.at, "--at")?))
    }
}
