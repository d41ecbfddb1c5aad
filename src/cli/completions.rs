//! `pledger completions SHELL`: print a completion script, and the candidate
//! lists that completion offers for ids.
//!
//! The scripts are clap_complete's dynamic ones: on TAB the shell runs
//! `PLEDGER_COMPLETE=SHELL pledger -- WORDS…`, which `main` answers from the same
//! command definitions that parse arguments, so completions never go stale
//! and can offer the ids recorded in the ledger. (clap_complete ships this
//! behind its `unstable-dynamic` feature; Cargo.lock pins the version, and a
//! script is best generated anew at shell start-up, as the README says.)

use std::ffi::OsString;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap_complete::env::{Bash, EnvCompleter, Fish, Zsh};
use clap_complete::CompletionCandidate;
use pledger::event::Event;
use pledger::{Ledger, OpenMode};

use super::Context;

#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  \
echo 'source <(pledger completions bash)' >> ~/.bashrc\n  \
echo 'source <(pledger completions zsh)' >> ~/.zshrc\n  \
pledger completions fish > ~/.config/fish/completions/pledger.fish\n\n\
Besides commands and flags, the scripts complete the commitment and announcement ids recorded in\n\
the ledger (the one named by --ledger on the line being completed, or PLEDGER_LEDGER, or ./pledger.db).")]
pub struct Args {
    /// The shell to complete for.
    #[arg(value_enum, value_name = "SHELL")]
    shell: Shell,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum Shell {
    Bash,
    Zsh,
    Fish,
}

/// The environment variable the scripts set to ask for completions: not
/// clap's generic `COMPLETE`, so that a variable of that name set for
/// something else cannot turn every `pledger` command into a completer.
pub const VAR: &str = "PLEDGER_COMPLETE";

pub fn run(args: Args, _ctx: &Context) -> anyhow::Result<ExitCode> {
    let shell: &dyn EnvCompleter = match args.shell {
        Shell::Bash => &Bash,
        Shell::Zsh => &Zsh,
        Shell::Fish => &Fish,
    };
    let mut script = Vec::new();
    shell.write_registration(VAR, "pledger", "pledger", &completer(), &mut script)?;
    let mut out = super::raw_stdout();
    out.write_all(&script)?;
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// The program the script runs to complete: this one as it was invoked, made
/// absolute if given as a path (as clap_complete's own registration
/// does), so a script printed by `./target/release/pledger` works
/// from any directory and one printed by `pledger` uses the one on PATH.
fn completer() -> String {
    let arg0 = PathBuf::from(std::env::args_os().next().unwrap_or_else(|| OsString::from("pledger")));
    let arg0 = match std::env::current_dir() {
        Ok(dir) if arg0.components().count() > 1 => dir.join(arg0),
        _ => arg0,
    };
    arg0.to_string_lossy().into_owned()
}

/// The commitment ids in the ledger, with their titles, for completion.
pub fn commitment_ids() -> Vec<CompletionCandidate> {
    let Some(ledger) = ledger_being_completed() else { return Vec::new() };
    let Ok(projection) = ledger.projection(None) else { return Vec::new() };
    let today = chrono::Utc::now().date_naive();
    projection.statuses(today).into_iter().map(|c| candidate(c.id, &c.title)).collect()
}

/// The announcement ids in the ledger, with their titles, for completion.
pub fn announcement_ids() -> Vec<CompletionCandidate> {
    let Some(ledger) = ledger_being_completed() else { return Vec::new() };
    let mut ids = Vec::new();
    for envelope in ledger.envelopes(1) {
        let Ok(envelope) = envelope else { break };
        if let Event::Announcement(a) = envelope.event {
            ids.push(candidate(a.id.to_string(), a.title.as_str()));
        }
    }
    ids
}

fn candidate(id: String, title: &str) -> CompletionCandidate {
    let mut help: String = title.chars().take(60).collect();
    if help.len() < title.len() {
        help.push('…');
    }
    CompletionCandidate::new(id).help(Some(help.into()))
}

/// The ledger named on the command line being completed (the words after
/// `--` in `pledger -- pledger --ledger DIR show …`), else by
/// `PLEDGER_LEDGER`, else `./pledger.db`. `None` when it cannot be opened:
/// completion then offers nothing rather than an error.
fn ledger_being_completed() -> Option<Ledger> {
    let words: Vec<String> =
        std::env::args_os().skip_while(|a| a != "--").map(|a| a.to_string_lossy().into_owned()).collect();
    let mut named = None;
    for (i, word) in words.iter().enumerate() {
        if word == "--ledger" {
            named = words.get(i + 1).cloned();
        } else if let Some(dir) = word.strip_prefix("--ledger=") {
            named = Some(dir.to_owned());
        }
    }
    let path = named
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("PLEDGER_LEDGER").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from("pledger.db"));
    Ledger::open(&path, OpenMode::Existing).ok()
}
