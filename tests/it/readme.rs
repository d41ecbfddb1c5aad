//! The README runs as written: every ```sh block, in order, in one bash with
//! `set -euo pipefail`, in an empty directory, with the built `pledger` on
//! PATH. `cargo run --release -- ARGS` becomes `pledger ARGS`; `cargo test`
//! (which is what runs this) and `cargo install …` are skipped. A ```text
//! block after a ```sh block is output that block must print, line for line
//! somewhere in its output, with short hashes masked (they cover the time of
//! recording).

use std::path::Path;

/// One fenced block of the README.
struct Block {
    lang: String,
    /// 1-based line of the opening fence, for messages.
    line: usize,
    text: String,
}

fn blocks(readme: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut open: Option<Block> = None;
    for (i, line) in readme.lines().enumerate() {
        match (&mut open, line.trim_start().strip_prefix("```")) {
            (None, Some(lang)) if !lang.trim().contains(' ') => {
                open = Some(Block { lang: lang.trim().to_owned(), line: i + 1, text: String::new() })
            }
            (Some(_), Some("")) => blocks.push(open.take().expect("a block is open")),
            (Some(block), _) => {
                block.text.push_str(line);
                block.text.push('\n');
            }
            // Prose, or prose that happens to start with ``` (not a fence).
            (None, _) => {}
        }
    }
    assert!(open.is_none(), "README.md has an unclosed ``` block");
    blocks
}

/// The block as bash should run it.
fn shell_lines(block: &Block) -> String {
    let mut out = String::new();
    for (i, line) in block.text.lines().enumerate() {
        let trimmed = line.trim_start();
        let line = if let Some(args) = trimmed.strip_prefix("cargo run --release -- ") {
            format!("pledger {args}")
        } else if trimmed == "cargo test"
            || trimmed.starts_with("cargo test ")
            || trimmed.starts_with("cargo install ")
        {
            format!(": skipped: {trimmed}")
        } else {
            assert!(
                !trimmed.starts_with("cargo "),
                "README.md:{}: the README test does not know how to run {trimmed:?}",
                block.line + 1 + i
            );
            line.to_owned()
        };
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// Masks words of exactly 8 lowercase hex digits (short hashes).
fn mask_hashes(line: &str) -> String {
    line.split(' ')
        .map(|w| {
            if w.len() == 8 && w.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
                "########"
            } else {
                w
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn the_readme_runs_as_written() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let blocks = blocks(&readme);
    // Each sh block, and the text blocks that show its output.
    let mut runs: Vec<(&Block, Vec<&Block>)> = Vec::new();
    for block in &blocks {
        match block.lang.as_str() {
            "sh" => runs.push((block, Vec::new())),
            "text" => {
                if let Some((_, outputs)) = runs.last_mut() {
                    outputs.push(block);
                }
            }
            _ => {}
        }
    }
    assert!(runs.len() >= 5, "expected the README's sh blocks, found {}", runs.len());
    let quick_start = readme.split("## Quick start").nth(1).expect("a Quick start section");
    for kind in ["record announcement", "record commitment", "record meeting"] {
        assert!(
            quick_start.contains(&format!("pledger {kind} ")),
            "the quick start does not use `pledger {kind}`"
        );
    }

    const MARK: &str = "@@README-BLOCK ";
    let mut script = String::from("set -euo pipefail\n");
    for (i, (block, _)) in runs.iter().enumerate() {
        script.push_str(&format!("echo '{MARK}{i}'\necho '{MARK}{i}' >&2\n"));
        script.push_str(&shell_lines(block));
    }
    let dir = tempfile::tempdir().unwrap();
    let bin = assert_cmd::cargo::cargo_bin("pledger");
    let path = format!("{}:{}", bin.parent().unwrap().display(), std::env::var("PATH").unwrap_or_default());
    let mut cmd = std::process::Command::new("bash");
    cmd.args(["--norc", "--noprofile", "-c", &script])
        .current_dir(dir.path())
        .env("PATH", path)
        // The installing commands write under HOME, and `demo` its ledger under TMPDIR.
        .env("HOME", dir.path())
        .env("TMPDIR", dir.path())
        .stdin(std::process::Stdio::null());
    for var in [
        "PLEDGER_LEDGER",
        "PLEDGER_AUTHOR",
        "PLEDGER_SNAPSHOT_EVERY",
        "NO_COLOR",
        "CLICOLOR_FORCE",
        "PLEDGER_COMPLETE",
        "BASH_ENV",
    ] {
        cmd.env_remove(var);
    }
    let out = cmd.output().expect("bash runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        let failed =
            stderr.rsplit(MARK).next().and_then(|s| s.lines().next()).and_then(|n| n.parse::<usize>().ok());
        let at =
            failed.map(|i| format!("README.md:{}", runs[i].0.line)).unwrap_or_else(|| "README.md".into());
        panic!(
            "a command of the block at {at} failed ({}):\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
            out.status
        );
    }

    // Each block's output, split at the markers.
    let mut outputs = vec![String::new(); runs.len()];
    let mut current = None;
    for line in stdout.lines() {
        if let Some(i) = line.strip_prefix(MARK) {
            current = i.parse::<usize>().ok();
        } else if let Some(i) = current {
            outputs[i].push_str(&mask_hashes(line));
            outputs[i].push('\n');
        }
    }
    let mut missing = Vec::new();
    for ((block, shown), output) in runs.iter().zip(&outputs) {
        let printed: Vec<&str> = output.lines().collect();
        for text in shown {
            for (i, line) in text.text.lines().enumerate() {
                if !printed.contains(&mask_hashes(line).as_str()) {
                    missing.push(format!(
                        "README.md:{}: {line:?} is not printed by the block at README.md:{}",
                        text.line + 1 + i,
                        block.line
                    ));
                }
            }
        }
    }
    assert!(missing.is_empty(), "{}\n--- stdout\n{stdout}", missing.join("\n"));
}
