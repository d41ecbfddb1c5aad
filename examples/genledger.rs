//! Writes a generated, valid ledger as JSON Lines, for measuring import,
//! verify and scans at scale.
//!
//! ```text
//! cargo run --release --example genledger -- --events 100000 /tmp/ledger-100k.jsonl
//! ```
//!
//! Options: `--events N` (default 1000), `--seed S` (default 1), `--prefix P`
//! (prepended to every id, so several files can go into one ledger) and
//! `--first-seq N` (the seq the first line gets on import; retractions name
//! seqs, default 1 for an empty ledger).

use std::io::{BufWriter, Write};
use std::process::ExitCode;

#[path = "../tests/it/generate.rs"]
#[allow(dead_code)]
mod generate;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            eprintln!("usage: genledger [--events N] [--seed S] [--prefix P] [--first-seq N] OUTPUT");
            ExitCode::from(2)
        }
    }
}

fn run() -> Result<(), String> {
    let mut spec = generate::Spec::new(1000);
    let mut output = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or_else(|| format!("{name} needs a value"));
        match arg.as_str() {
            "--events" => spec.events = number(&value("--events")?)?,
            "--seed" => spec.seed = number(&value("--seed")?)?,
            "--first-seq" => spec.first_seq = number(&value("--first-seq")?)?,
            "--prefix" => spec.prefix = value("--prefix")?,
            _ if arg.starts_with("--") => return Err(format!("unknown option {arg}")),
            _ if output.is_none() => output = Some(arg),
            _ => return Err(format!("unexpected argument {arg}")),
        }
    }
    let output = output.ok_or("missing the output path")?;
    let file = std::fs::File::create(&output).map_err(|e| format!("cannot create {output}: {e}"))?;
    let mut out = BufWriter::new(file);
    generate::generate(&spec, &mut out)
        .and_then(|()| out.flush())
        .map_err(|e| format!("cannot write {output}: {e}"))
}

fn number(text: &str) -> Result<u64, String> {
    text.parse().map_err(|_| format!("expected a number, found {text:?}"))
}
