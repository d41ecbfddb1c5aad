//! The sample ledger's published status reports in `snapshots/`, and the
//! ILLUSTRATIVE reports of the sample with its invented examples in
//! `tests/data/illustrative/`, are golden files: rebuilding the ledgers from
//! `events/` must reproduce them. A change in rules or deadline conventions
//! shows up here as a failing check, to be looked at and regenerated
//! deliberately with `PLEDGER_UPDATE_SNAPSHOTS=1 cargo test golden` (see
//! snapshots/README.md).

use std::path::{Path, PathBuf};

const REAL: &str = "events/india-japan-strategic-dialogue-2026-01-16.jsonl";
const EXAMPLES: &str = "events/examples-of-later-events.jsonl";
const DATES: [&str; 4] = ["2026-01-16", "2026-03-31", "2026-07-01", "2026-11-28"];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn pledger(ledger: &Path, args: &[&str]) -> std::process::Output {
    assert_cmd::Command::cargo_bin("pledger")
        .unwrap()
        .current_dir(root())
        .arg("--ledger")
        .arg(ledger)
        .args(args)
        .env_remove("PLEDGER_LEDGER")
        .env("PLEDGER_AUTHOR", "golden test")
        .output()
        .unwrap()
}

fn build(dir: &Path, files: &[&str]) -> PathBuf {
    let ledger = dir.join("sample.db");
    let mut args = vec!["import"];
    args.extend_from_slice(files);
    let out = pledger(&ledger, &args);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    ledger
}

#[test]
fn golden_reports_match_ledgers_rebuilt_from_events() {
    let update = std::env::var_os("PLEDGER_UPDATE_SNAPSHOTS").is_some();
    let mut failures = Vec::new();
    // Reports of reported fact are published in snapshots/; those of the
    // invented examples are kept with the test data, named as illustrative,
    // so that neither a folder nor a file name passes them off as reports.
    let goldens = [
        ("snapshots/sample", &[REAL][..]),
        ("tests/data/illustrative/illustrative-sample-with-examples", &[REAL, EXAMPLES][..]),
    ];
    for (name, files) in goldens {
        // Given a ledger rebuilt from events/
        let dir = tempfile::tempdir().unwrap();
        let ledger = build(dir.path(), files);
        for date in DATES {
            let file = root().join(format!("{name}-as-of-{date}.json"));
            let file_arg = file.to_str().unwrap();
            if update {
                let out = pledger(&ledger, &["snapshot", "--as-of", date, "--out", file_arg]);
                assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
                continue;
            }
            // When checking the published report against it
            let out = pledger(&ledger, &["snapshot", "--check", file_arg]);
            // Then it matches
            if !out.status.success() {
                failures.push(format!("{}: {}", file.display(), String::from_utf8_lossy(&out.stderr).trim()));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{}\nlook at the differences, then regenerate with: PLEDGER_UPDATE_SNAPSHOTS=1 cargo test golden",
        failures.join("\n")
    );
}

#[test]
fn a_report_published_in_the_first_format_still_checks() {
    // Given a report in the first format, from before reports named their
    // rules (the illustrative report as of 2026-11-28 as v1 wrote it: see
    // tests/data/illustrative/README.md), and the ledger rebuilt from its
    // events, where a meeting, an outcome and a revised deadline set statuses
    let dir = tempfile::tempdir().unwrap();
    let ledger = build(dir.path(), &[REAL, EXAMPLES]);
    let file = "tests/data/illustrative/illustrative-report-v1-sample-with-examples-as-of-2026-11-28.json";
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(root().join(file)).unwrap()).unwrap();
    assert_eq!(report["format"], "pledger status report v1");
    assert!(report.get("rules").is_none(), "a v1 report names no rules");
    // When it is checked
    let out = pledger(&ledger, &["snapshot", "--check", file]);
    // Then it matches, and says nothing of rules it does not name
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.starts_with(&format!("ok: {file} matches the ledger at seq")), "{stdout}");
    assert!(!stdout.contains("rules"), "{stdout}");
}

#[test]
fn the_sample_ledger_reads_as_the_article_says_on_2026_11_28() {
    // Given the real events alone
    let dir = tempfile::tempdir().unwrap();
    let ledger = build(dir.path(), &[REAL]);
    assert!(pledger(&ledger, &["verify"]).status.success());
    // When asking for the status as of 2026-11-28
    let out = pledger(&ledger, &["status", "--as-of", "2026-11-28", "--json"]);
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let status = |id: &str| {
        rows.as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == id)
            .unwrap_or_else(|| panic!("{id} is listed"))
            .clone()
    };
    // Then the two dated commitments are overdue
    assert_eq!(status("economic-security-dialogue")["status"], "overdue");
    assert_eq!(status("economic-security-dialogue")["deadline"]["end"], "2026-06-30");
    assert_eq!(status("critical-minerals-working-group")["status"], "overdue");
    assert_eq!(status("critical-minerals-working-group")["deadline"]["end"], "2026-04-30");
    // And the AI Dialogue was met on time, the day it was announced
    assert_eq!(status("ai-dialogue")["status"], "met");
    assert_eq!(status("ai-dialogue")["met_on"], "2026-01-16");
    assert_eq!(status("ai-dialogue")["on_time"], true);
    // And every undated commitment is pending with no deadline
    let undated = [
        "private-sector-minerals-energy-dialogue",
        "unicorn-antenna-technology-transfer",
        "high-speed-rail-acceleration",
        "shinkansen-technology",
    ];
    for id in undated {
        assert_eq!(status(id)["status"], "pending", "{id}");
        assert_eq!(status(id)["deadline"], serde_json::Value::Null, "{id}");
    }
    assert_eq!(rows.as_array().unwrap().len(), 3 + undated.len());
}

#[test]
fn demo_tells_the_story_on_a_fresh_ledger() {
    // Given no ledger at all
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("demo.db");
    // When running the demo into it
    let out = pledger(&ledger, &["demo"]);
    // Then it verifies, shows the overdue dialogue, and ends with the head and the next command
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("Verified the hash chain: ok, 9 events"), "{text}");
    assert!(text.contains("economic-security-dialogue               overdue"), "{text}");
    // And says what "overdue" means of a ledger that records nothing after the day
    assert!(
        text.contains("The sample ledger records nothing after 16 January 2026: \"overdue\" means only"),
        "{text}"
    );
    assert!(text.contains("not that the parties were reported to have missed it."), "{text}");
    assert!(text.contains("show economic-security-dialogue"), "{text}");
    // And it cites the source the sample's events name
    let events = std::fs::read_to_string(root().join(REAL)).unwrap();
    let announcement: serde_json::Value = serde_json::from_str(events.lines().next().unwrap()).unwrap();
    for field in ["publisher", "url"] {
        let cited = announcement["source"][field].as_str().unwrap();
        assert!(text.contains(cited), "the demo cites the source's {field} {cited:?}:\n{text}");
    }
    let head = String::from_utf8(pledger(&ledger, &["head"]).stdout).unwrap();
    assert!(text.contains(&format!("Head of the chain: {}", head.trim())), "{text}");
    // And running it again into the same ledger is refused rather than doubling it
    let again = pledger(&ledger, &["demo"]);
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("already holds 9 events"));
}
