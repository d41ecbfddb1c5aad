//! `pledger append`: append one event given as JSON, optionally only if the
//! head is still the one the caller saw.

use std::io::Read;
use std::io::Write;
use std::process::ExitCode;

use anyhow::Context as _;
use pledger::input::{self, InputError, InputErrors, Line, Origin};
use pledger::Head;

use super::Context;

#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  echo '{\"type\":\"progress\",\"commitment\":\"jwg-minerals\",\"date\":\"2026-02-10\",\"note\":\"Terms of reference agreed\"}' | pledger append\n  \
pledger append --expect-head 12:3f0a…  --json '{…}'"
)]
pub struct Args {
    /// The event as JSON (default: read it from standard input).
    #[arg(long, value_name = "TEXT")]
    json: Option<String>,

    /// Append only if the head is still SEQ:HASH (as printed by `pledger head`).
    #[arg(long, value_name = "SEQ:HASH")]
    expect_head: Option<Head>,
}

pub fn run(args: Args, ctx: &Context) -> anyhow::Result<ExitCode> {
    let (file, text) = match args.json {
        Some(text) => ("<--json>", text),
        None => {
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .context("cannot read the event from standard input")?;
            ("<stdin>", text)
        }
    };
    let text = text.trim();
    let origin = Origin { file: file.into(), line: 1 };
    if text.contains('\n') {
        let message = "expected one event on one line; use `pledger import` for several".to_owned();
        return Err(InputErrors(vec![InputError { origin, message }]).into());
    }
    let event = input::decode_line(text)
        .map_err(|message| InputErrors(vec![InputError { origin: origin.clone(), message }]))?;
    let ledger = ctx.open_to_append()?;
    let lines = [Line { origin, event }];
    let appended = ledger.append(&lines, args.expect_head, &ctx.stamp())?;
    if !appended.new.is_empty() {
        ledger.appended();
    }
    if let Some(d) = appended.voided.first() {
        return Err(super::Refused(vec![format!(
            "{}:1: {}",
            d.line.origin.file,
            super::voided_duplicate(d)
        )])
        .into());
    }
    let mut out = super::stdout_unbuffered();
    match appended.new.first() {
        Some(e) => writeln!(
            out,
            "#{} {} {} {}",
            e.seq,
            e.hash.short(),
            e.line.event.type_name(),
            e.line.event.label()
        ),
        None => writeln!(out, "already recorded; head {}", appended.head),
    }
    .with_context(|| super::appended_but(appended.new.len(), appended.head))?;
    Ok(ExitCode::SUCCESS)
}
