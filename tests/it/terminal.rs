//! What a person at a terminal meets besides the data: colour that follows
//! the usual conventions, grouped help, shell completions and man pages.

use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;

fn bin() -> PathBuf {
    assert_cmd::cargo::cargo_bin("pledger")
}

/// `pledger` with none of the caller's settings that change its output.
fn pledger() -> Command {
    Command::from_std(pledger_std())
}

/// [`pledger`] as a `std` command, for tests that give it their own stdout.
fn pledger_std() -> std::process::Command {
    let mut cmd = std::process::Command::new(bin());
    for var in [
        "PLEDGER_LEDGER",
        "PLEDGER_SNAPSHOT_EVERY",
        "NO_COLOR",
        "CLICOLOR",
        "CLICOLOR_FORCE",
        "PLEDGER_COMPLETE",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("PLEDGER_AUTHOR", "test");
    cmd
}

/// A ledger with one pending and one overdue commitment.
fn small_ledger(dir: &Path) -> PathBuf {
    let ledger = dir.join("l.db");
    let lines = [
        r#"{"type":"announcement","id":"summit","date":"2026-01-16","title":"Summit","parties":["India","Japan"]}"#,
        r#"{"type":"commitment","id":"esd","announcement":"summit","title":"Hold a dialogue","deadline":"first half of 2026"}"#,
        r#"{"type":"commitment","id":"ai-dialogue","announcement":"summit","title":"Launch an AI dialogue","deadline":"by the end of 2027"}"#,
    ];
    let file = dir.join("events.jsonl");
    std::fs::write(&file, lines.join("\n")).unwrap();
    pledger().arg("--ledger").arg(&ledger).arg("import").arg(&file).assert().success();
    ledger
}

fn has_escapes(out: &Output) -> bool {
    out.stdout.contains(&0x1b)
}

#[test]
fn colour_is_off_with_no_color_or_never_and_on_with_always() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = small_ledger(dir.path());
    let status = |color: Option<&str>, env: &[(&str, &str)]| {
        let mut cmd = pledger();
        cmd.arg("--ledger").arg(&ledger);
        if let Some(color) = color {
            cmd.args(["--color", color]);
        }
        cmd.envs(env.iter().copied()).args(["status", "--as-of", "2026-07-01"]);
        let out = cmd.output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert!(String::from_utf8_lossy(&out.stdout).contains("overdue"));
        out
    };
    // Not a terminal: no colour unless asked for.
    assert!(!has_escapes(&status(None, &[])));
    // CLICOLOR_FORCE asks for it (so the checks below are not vacuous) ...
    assert!(has_escapes(&status(None, &[("CLICOLOR_FORCE", "1")])));
    // ... and NO_COLOR and --color never turn it off all the same.
    assert!(!has_escapes(&status(None, &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")])));
    assert!(!has_escapes(&status(Some("never"), &[("CLICOLOR_FORCE", "1")])));
    // --color always colours even into a pipe; an explicit flag beats NO_COLOR.
    let always = status(Some("always"), &[]);
    assert!(has_escapes(&always));
    assert!(String::from_utf8_lossy(&always.stdout).contains("moverdue"), "the status word itself is styled");
    assert!(has_escapes(&status(Some("always"), &[("NO_COLOR", "1")])));

    // The same for what `record` prints, and for clap's own help.
    let record = |color: &str, env: &[(&str, &str)]| {
        let mut cmd = pledger();
        cmd.arg("--ledger").arg(&ledger).args(["--color", color]).envs(env.iter().copied());
        cmd.args([
            "record",
            "progress",
            "esd",
            "--date",
            "2026-03-01",
            "--note",
            "Agenda agreed",
            "--dry-run",
        ]);
        let out = cmd.output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        out
    };
    assert!(!has_escapes(&record("never", &[("CLICOLOR_FORCE", "1")])));
    let help = |args: &[&str], env: &[(&str, &str)]| {
        pledger().args(args).envs(env.iter().copied()).output().unwrap()
    };
    assert!(has_escapes(&help(&["--color", "always", "--help"], &[])));
    assert!(has_escapes(&help(&["record", "commitment", "--help", "--color=always"], &[])));
    assert!(!has_escapes(&help(&["--color", "never", "--help"], &[("CLICOLOR_FORCE", "1")])));
    assert!(!has_escapes(&help(&["--help"], &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")])));
    assert!(!has_escapes(&help(&["--help"], &[])));
}

/// A small ledger in a temporary directory, if this system has /dev/full
/// (Linux) for [`into_full_disk`] to write to.
fn ledger_for_a_full_disk() -> Option<(tempfile::TempDir, PathBuf)> {
    if !Path::new("/dev/full").exists() {
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let ledger = small_ledger(dir.path());
    Some((dir, ledger))
}

/// [`ledger_for_a_full_disk`], and a status report of it as published.
fn ledger_and_report_for_a_full_disk() -> Option<(tempfile::TempDir, PathBuf, PathBuf)> {
    let (dir, ledger) = ledger_for_a_full_disk()?;
    let report = dir.path().join("report.json");
    let out =
        pledger().arg("--ledger").arg(&ledger).args(["snapshot", "--out"]).arg(&report).output().unwrap();
    assert!(out.status.success());
    Some((dir, ledger, report))
}

/// Runs `pledger --ledger LEDGER ARGS` with its output going to /dev/full,
/// which Linux makes refuse every write as a full disk would.
fn into_full_disk(ledger: &Path, args: &[&str]) -> (Option<i32>, String) {
    let out = pledger_std()
        .arg("--ledger")
        .arg(ledger)
        .args(args)
        .env("PLEDGER_AUTHOR", "tester")
        .stdout(std::fs::File::create("/dev/full").unwrap())
        .output()
        .unwrap();
    (out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn every_command_whose_output_cannot_be_written_fails_with_the_reason() {
    // Given a ledger, a report of it, and an output that refuses every write ...
    let Some((dir, ledger, report)) = ledger_and_report_for_a_full_disk() else { return };
    let report = report.to_str().unwrap();
    let fresh = dir.path().join("demo.db");
    for args in [
        &["status", "--as-of", "2026-07-01"][..],
        &["status", "--as-of", "2026-07-01", "--json"],
        &["due", "--as-of", "2026-07-01", "--within", "1000d"],
        &["due", "--as-of", "2026-07-01", "--within", "1000d", "--json"],
        &["report", "--as-of", "2026-07-01"],
        &["report", "--as-of", "2026-07-01", "--json"],
        &["log"],
        &["log", "--json"],
        &["export"],
        &["show", "esd"],
        &["show", "esd", "--json"],
        &["head"],
        &["head", "--json"],
        &["verify"],
        &["init"],
        &["snapshot"],
        &["snapshot", "--check", report],
        &["deadline", "first half of 2026", "--anchor", "2026-01-16"],
        &["completions", "bash"],
        &["demo"],
        &["--help"],
        &["status", "--help"],
        &["--version"],
    ] {
        // ... when a command writes its output to it ...
        let ledger = if args == ["demo"] { &fresh } else { &ledger };
        let (code, stderr) = into_full_disk(ledger, args);
        // ... then it fails and says why, without a panic. Output is
        // buffered, and a buffer dropped unflushed would lose the error and
        // exit 0; `println!` would panic.
        assert_eq!(code, Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.contains("error: cannot write to standard output: No space left on device"),
            "{args:?}: {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
}

#[test]
fn a_command_whose_messages_cannot_be_written_keeps_its_exit_code() {
    // Given a ledger, a report of it altered, and a file refused on import ...
    let Some((dir, ledger, report)) = ledger_and_report_for_a_full_disk() else { return };
    let text = std::fs::read_to_string(&report).unwrap().replacen("\"pending\"", "\"met\"", 1);
    std::fs::write(&report, text).unwrap();
    let bad = dir.path().join("bad.jsonl");
    std::fs::write(&bad, "{\"type\":\"progress\"}\n").unwrap();
    let (report, bad) = (report.to_str().unwrap(), bad.to_str().unwrap());
    // (command, its exit code, with its notes or errors on standard error)
    for (args, expected) in [
        (&["status", "--party", "Nobody"][..], 0),
        (&["snapshot", "--check", report], 1),
        (&["import", bad], 2),
        (&["show", "no-such-commitment"], 2),
    ] {
        // ... when standard error refuses every write ...
        let out = pledger_std()
            .arg("--ledger")
            .arg(&ledger)
            .args(args)
            .stdout(std::process::Stdio::null())
            .stderr(std::fs::File::create("/dev/full").unwrap())
            .status()
            .unwrap();
        // ... then the exit code is the command's own, not a panic's 101
        assert_eq!(out.code(), Some(expected), "{args:?}");
    }
}

#[test]
fn a_recording_command_that_cannot_confirm_says_what_it_appended() {
    // Given a ledger of three events, and an output that refuses every write ...
    let Some((dir, ledger)) = ledger_for_a_full_disk() else { return };
    let file = dir.path().join("more.jsonl");
    std::fs::write(
        &file,
        r#"{"type":"progress","commitment":"esd","date":"2026-02-01","note":"Agenda agreed"}"#,
    )
    .unwrap();
    let event = r#"{"type":"progress","commitment":"esd","date":"2026-02-02","note":"Venue agreed"}"#;
    for (seq, args) in [
        (4, &["import", file.to_str().unwrap()][..]),
        (5, &["append", "--json", event]),
        (6, &["record", "progress", "esd", "--date", "2026-02-03", "--note", "Date agreed"]),
    ] {
        // ... when a recording command appends but cannot print its confirmation ...
        let (code, stderr) = into_full_disk(&ledger, args);
        // ... then it fails, says that the event was appended and where the head is now ...
        assert_eq!(code, Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(&format!("error: appended 1 new event (head {seq}:")), "{args:?}: {stderr}");
        assert!(
            stderr.contains("but could not say so: cannot write to standard output"),
            "{args:?}: {stderr}"
        );
        // ... and the ledger holds it.
        let head = pledger().arg("--ledger").arg(&ledger).arg("head").output().unwrap();
        assert!(String::from_utf8_lossy(&head.stdout).starts_with(&format!("{seq}:")), "{args:?}");
    }
}

#[test]
fn a_listing_whose_reader_has_gone_ends_quietly() {
    // Given a ledger whose listings are far larger than a pipe and the
    // command's buffers hold (~1 MB of status JSON) ...
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("l.db");
    let file = dir.path().join("events.jsonl");
    std::fs::write(&file, crate::support::sample(3000)).unwrap();
    pledger().arg("--ledger").arg(&ledger).arg("import").arg(&file).assert().success();
    for args in [
        &["status", "--as-of", "2026-07-01"][..],
        &["status", "--as-of", "2026-07-01", "--json"],
        &["due", "--as-of", "2026-01-16", "--within", "1000d", "--json"],
        &["log"],
        &["log", "--json"],
        &["export"],
    ] {
        let mut child = pledger_std()
            .arg("--ledger")
            .arg(&ledger)
            .args(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // ... when its reader takes the first bytes and goes (as `pledger
        // status | head -c 10` does), so that a later write must fail ...
        let mut first = [0u8; 10];
        std::io::Read::read_exact(child.stdout.as_mut().unwrap(), &mut first).unwrap();
        drop(child.stdout.take());
        // ... then the command stops with success and no error message, as
        // Unix tools do.
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{args:?}: {:?} {}", out.status, String::from_utf8_lossy(&out.stderr));
        assert_eq!(String::from_utf8_lossy(&out.stderr), "", "{args:?}");
    }
}

#[test]
fn root_help_groups_the_commands() {
    let out = pledger().arg("--help").output().unwrap();
    let help = String::from_utf8(out.stdout).unwrap();
    let position = |s: &str| help.find(s).unwrap_or_else(|| panic!("no {s:?} in\n{help}"));
    assert!(position("Recording commands:") < position("  record   "));
    assert!(position("  record   ") < position("Querying commands:"));
    assert!(position("Querying commands:") < position("  status   "));
    assert!(position("  status   ") < position("Auditing commands:"));
    assert!(position("Auditing commands:") < position("  verify   "));
    assert!(position("  verify   ") < position("Options:"));
    // `-h` shows the same grouping.
    let short = pledger().arg("-h").output().unwrap();
    assert!(String::from_utf8(short.stdout).unwrap().contains("Auditing commands:"));
}

#[test]
fn every_command_help_has_an_example() {
    let mut commands: Vec<Vec<&str>> = [
        "init",
        "record",
        "retract",
        "import",
        "append",
        "status",
        "show",
        "due",
        "report",
        "log",
        "deadline",
        "verify",
        "head",
        "snapshot",
        "export",
        "demo",
        "completions",
        "manpage",
    ]
    .iter()
    .map(|c| vec![*c])
    .collect();
    for kind in ["announcement", "commitment", "meeting", "deadline", "outcome", "progress"] {
        commands.push(vec!["record", kind]);
    }
    for command in commands {
        let out = pledger().args(&command).arg("--help").output().unwrap();
        assert!(out.status.success());
        let help = String::from_utf8(out.stdout).unwrap();
        assert!(
            help.contains("Example") && help.contains("\n  pledger "),
            "no example in `pledger {command:?} --help`:\n{help}"
        );
    }
}

#[test]
fn bash_completions_load_and_complete_commitment_ids() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = small_ledger(dir.path());
    let bin_dir = bin().parent().unwrap().to_owned();
    let path = format!("{}:{}", bin_dir.display(), std::env::var("PATH").unwrap_or_default());
    let bash = |script: &str| {
        let out = std::process::Command::new("bash")
            .args(["--norc", "--noprofile", "-c", script])
            .env("PATH", &path)
            .env("PLEDGER_LEDGER", &ledger)
            .env_remove("PLEDGER_COMPLETE")
            .output()
            .expect("bash runs");
        assert!(out.status.success(), "{script}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    let registered = bash("source <(pledger completions bash) && complete -p pledger");
    assert!(registered.contains("-F _clap_complete_pledger pledger"), "{registered}");

    // What bash would offer on TAB, by calling the completion function as
    // bash does: words, the index of the word being completed, and it.
    let complete = |words: &[&str]| {
        let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
        let script = format!(
            "source <(pledger completions bash)\nCOMP_WORDS=({})\nCOMP_CWORD={}\n\
             _clap_complete_pledger pledger '{}' '{}'\nprintf '%s\\n' \"${{COMPREPLY[@]}}\"",
            quoted.join(" "),
            words.len() - 1,
            words[words.len() - 1],
            words.get(words.len().wrapping_sub(2)).unwrap_or(&"")
        );
        bash(&script).lines().filter(|l| !l.is_empty()).map(str::to_owned).collect::<Vec<_>>()
    };
    assert!(complete(&["pledger", "rec"]).contains(&"record".to_owned()));
    assert_eq!(complete(&["pledger", "record", "comm"]), ["commitment"]);
    assert_eq!(complete(&["pledger", "show", "e"]), ["esd"]);
    let ids = complete(&["pledger", "record", "progress", ""]);
    assert!(ids.contains(&"esd".to_owned()) && ids.contains(&"ai-dialogue".to_owned()), "{ids:?}");
    assert_eq!(complete(&["pledger", "record", "meeting", "m", "--fulfils", "a"]), ["ai-dialogue"]);
    assert_eq!(complete(&["pledger", "record", "commitment", "x", "--announcement", ""]), ["summit"]);
    // --ledger on the line being completed wins over PLEDGER_LEDGER.
    let elsewhere = dir.path().join("none.db");
    assert!(complete(&["pledger", "--ledger", elsewhere.to_str().unwrap(), "show", "e"]).is_empty());
}

#[test]
fn zsh_and_fish_scripts_are_printed() {
    let zsh = pledger().args(["completions", "zsh"]).output().unwrap();
    assert!(String::from_utf8(zsh.stdout).unwrap().starts_with("#compdef pledger"));
    let fish = pledger().args(["completions", "fish"]).output().unwrap();
    assert!(String::from_utf8(fish.stdout)
        .unwrap()
        .contains("complete --keep-order --exclusive --command pledger"));
    let bad = pledger().args(["completions", "tcsh"]).output().unwrap();
    assert_eq!(bad.status.code(), Some(2));
    // clap's generic COMPLETE variable, set for something else, changes nothing.
    pledger().env("COMPLETE", "1").args(["deadline", "soon", "--anchor", "2026-01-16"]).assert().success();
}

#[test]
fn manpage_writes_a_page_per_command() {
    let dir = tempfile::tempdir().unwrap();
    let man = dir.path().join("man/man1");
    let out = pledger().arg("manpage").arg(&man).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    for page in [
        "pledger.1",
        "pledger-record.1",
        "pledger-record-commitment.1",
        "pledger-retract.1",
        "pledger-status.1",
    ] {
        let text = std::fs::read_to_string(man.join(page)).unwrap_or_else(|e| panic!("{page}: {e}"));
        assert!(text.contains(".TH"), "{page} is not a man page");
    }
    let commitment = std::fs::read_to_string(man.join("pledger-record-commitment.1")).unwrap();
    assert!(commitment.contains("\\-\\-deadline") && commitment.contains("Example"), "{commitment}");
}
