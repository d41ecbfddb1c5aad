//! The `pledger` command: thin glue that parses arguments, calls the library
//! and maps errors to exit codes (0 success, 1 verification failed, 2 bad
//! input or usage, 3 ledger unavailable).

use std::process::ExitCode;

mod cli;

fn main() -> ExitCode {
    // A shell asking for completions (the scripts of `pledger completions`
    // set PLEDGER_COMPLETE) is answered here, before anything is printed.
    clap_complete::CompleteEnv::with_factory(cli::command).var(cli::COMPLETE_VAR).complete();
    let args = cli::parse();
    match cli::run(args) {
        Ok(code) => code,
        Err(err) => cli::report(&err),
    }
}
