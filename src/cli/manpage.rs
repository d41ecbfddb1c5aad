//! `pledger manpage DIR`: write the man pages, generated from the same
//! definitions as `--help`: pledger.1, and one page per command
//! (pledger-record.1, pledger-record-commitment.1, …).

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;

use super::Context;

#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  \
pledger manpage ~/.local/share/man/man1 && man pledger-record-commitment\n  \
sudo pledger manpage /usr/local/share/man/man1")]
pub struct Args {
    /// The directory to write the pages into (created if missing).
    #[arg(value_name = "DIR", value_hint = clap::ValueHint::DirPath)]
    dir: PathBuf,
}

pub fn run(args: Args, _ctx: &Context) -> anyhow::Result<ExitCode> {
    std::fs::create_dir_all(&args.dir).with_context(|| format!("cannot create {}", args.dir.display()))?;
    let mut cmd = super::command().disable_help_subcommand(true);
    cmd.build();
    let mut written = 0;
    write_pages(&cmd, &args.dir, &mut written)?;
    writeln!(
        super::stdout_unbuffered(),
        "wrote {written} man pages to {} (start with `man pledger`)",
        args.dir.display()
    )?;
    Ok(ExitCode::SUCCESS)
}

/// Writes the page of `cmd` and of each of its visible subcommands.
fn write_pages(cmd: &clap::Command, dir: &std::path::Path, written: &mut usize) -> anyhow::Result<()> {
    let man = clap_mangen::Man::new(cmd.clone());
    let path = dir.join(man.get_filename());
    man.generate_to(dir).with_context(|| format!("cannot write {}", path.display()))?;
    *written += 1;
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        write_pages(sub, dir, written)?;
    }
    Ok(())
}
