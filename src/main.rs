//! The `pledger` command: thin glue that parses arguments, calls the library
//! and maps errors to exit codes (0 success, 1 verification failed, 2 bad
//! input or usage, 3 ledger unavailable).

use std::process::ExitCode;

use clap::Parser;

mod cli;

fn main() -> ExitCode {
    let args = cli::Args::parse();
    match cli::run(args) {
        Ok(code) => code,
        Err(err) => cli::report(&err),
    }
}
