//! Hostile and malformed input: every file of `tests/data/bad/` is refused
//! with exactly the errors `tests/data/bad/expected.tsv` gives, at
//! `FILE:LINE:`, with exit 2, and nothing appended. A 50 MB line is made at
//! test time rather than committed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::support::{stderr, stdout, TestLedger};

fn data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data")
}

/// One row of `expected.tsv`.
struct Row {
    file: String,
    expected: String,
}

fn rows() -> Vec<Row> {
    let table = std::fs::read_to_string(data().join("bad/expected.tsv")).unwrap();
    table
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let cols: Vec<&str> = l.split('\t').collect();
            assert_eq!(cols.len(), 2, "expected.tsv: a row needs a file and an expected line: {l:?}");
            Row { file: cols[0].into(), expected: cols[1].into() }
        })
        .collect()
}

/// Whether `text` matches `pattern`, where `*` stands for any text.
fn matches(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !text.starts_with(first) || !text[first.len()..].ends_with(last) {
        return false;
    }
    let mut rest = &text[first.len()..text.len() - last.len()];
    for part in &parts[1..parts.len() - 1] {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    true
}

/// A ledger holding `tests/data/base.jsonl`, and its head.
fn base_ledger() -> (TestLedger, String) {
    let t = TestLedger::new();
    t.pledger().arg("import").arg(data().join("base.jsonl")).assert().success();
    let head = t.head();
    (t, head)
}

/// Imports `file` (run in `dir`, so errors name it as given) and checks it is
/// refused with exactly `expected`, leaving the head at `head`.
fn assert_refused(t: &TestLedger, head: &str, dir: &Path, file: &str, expected: &[&str]) {
    let out = t.pledger().current_dir(dir).args(["import", file]).output().unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{file}: {err}");
    assert!(stdout(&out).is_empty(), "{file}: {}", stdout(&out));
    let lines: Vec<&str> = err.lines().collect();
    let n = expected.len();
    assert_eq!(lines.len(), n + 1, "{file}: expected {n} errors, found:\n{err}");
    for (line, pattern) in lines.iter().zip(expected) {
        assert!(matches(pattern, line), "{file}:\n  expected {pattern}\n  found    {line}");
    }
    let summary = format!("error: {n} problem{} found; nothing was appended", if n == 1 { "" } else { "s" });
    assert_eq!(lines[n], summary, "{file}");
    assert_eq!(t.head(), head, "{file}: something was appended");
}

#[test]
fn every_bad_file_is_refused_with_its_exact_errors_and_nothing_is_appended() {
    // given a ledger with a few events and the corpus of bad files
    let (t, head) = base_ledger();
    let dir = data().join("bad");
    let mut by_file: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for row in rows() {
        by_file.entry(row.file).or_default().push(row.expected);
    }
    // every file in the folder has a row, and every row a file
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".jsonl"))
        .collect();
    files.sort();
    assert_eq!(files, by_file.keys().cloned().collect::<Vec<_>>(), "files and rows of expected.tsv differ");
    let mut checked = 0;
    for (file, expected) in &by_file {
        // when each is imported, then it is refused as the table says
        let expected: Vec<&str> = expected.iter().map(String::as_str).collect();
        assert_refused(&t, &head, &dir, file, &expected);
        checked += 1;
    }
    println!("hostile input: {checked} bad files refused as expected");
}

#[test]
fn a_50_mb_line_is_refused_at_its_line_without_appending() {
    // given a file whose second line is a 50 MiB event
    let (t, head) = base_ledger();
    let size = 50 << 20;
    let prefix = r#"{"type":"progress","commitment":"c1","date":"2026-03-01","note":""#;
    let mut text = String::with_capacity(size + 200);
    text.push_str(
        r#"{"type":"announcement","id":"fresh","date":"2026-02-01","title":"t","parties":["India"]}"#,
    );
    text.push('\n');
    text.push_str(prefix);
    text.extend(std::iter::repeat_n('x', size - prefix.len() - 2));
    text.push_str("\"}\n");
    t.write("big.jsonl", &text);
    drop(text);
    // when it is imported, then it is refused naming the line and its size
    let expected = format!("big.jsonl:2: expected an event under 32 KiB, found a line of {size} bytes");
    assert_refused(&t, &head, t.dir(), "big.jsonl", &[&expected]);
}

#[test]
fn files_that_cannot_be_opened_are_all_named_and_nothing_is_appended() {
    // given a ledger, one good file and two that are not there
    let (t, head) = base_ledger();
    t.write(
        "good.jsonl",
        r#"{"type":"announcement","id":"fresh","date":"2026-02-01","title":"t","parties":["India"]}"#,
    );
    // when all three are imported, then each missing one is named, the good one is not appended
    let out = t.pledger().args(["import", "gone.jsonl", "good.jsonl", "also-gone.jsonl"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_eq!(
        stderr(&out),
        "gone.jsonl: cannot open the file: No such file or directory (os error 2)\n\
         also-gone.jsonl: cannot open the file: No such file or directory (os error 2)\n\
         error: 2 problems found; nothing was appended\n"
    );
    assert_eq!(t.head(), head, "something was appended");
}

#[test]
fn an_import_of_more_files_than_the_process_may_hold_open_is_whole() {
    // given 200 files of one event each, and a process allowed 64 open files
    let t = TestLedger::new();
    let mut files = Vec::new();
    for i in 1..=200 {
        let line = format!(
            r#"{{"type":"announcement","id":"a{i}","date":"2026-01-16","title":"A {i}","parties":["India"]}}"#
        );
        files.push(t.write(&format!("f{i}.jsonl"), line));
    }
    let mut cmd = std::process::Command::new("sh");
    cmd.arg("-c").arg(r#"ulimit -n 64 && exec "$@""#).arg("sh").arg(crate::support::binary());
    cmd.current_dir(t.dir()).arg("--ledger").arg(t.path()).arg("import").args(&files);
    // when they are imported together, then every event is appended
    let out = cmd.env("PLEDGER_AUTHOR", "tester").output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(t.head().starts_with("200:"), "{}", t.head());
}

#[test]
fn an_import_from_a_named_pipe_reads_what_its_writer_wrote() {
    // given a named pipe that a writer fills with an event
    let t = TestLedger::new();
    let fifo = t.dir().join("events.fifo");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    if !made.is_ok_and(|s| s.success()) {
        return;
    }
    let writer = {
        let fifo = fifo.clone();
        std::thread::spawn(move || {
            let line = r#"{"type":"announcement","id":"piped","date":"2026-01-16","title":"Piped","parties":["India"]}"#;
            std::fs::write(fifo, format!("{line}\n")).unwrap();
        })
    };
    // when it is imported, then its event is appended (and the import does not wait for ever)
    let out =
        t.pledger().arg("import").arg(&fifo).timeout(std::time::Duration::from_secs(30)).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(t.head().starts_with("1:"), "{}", t.head());
    writer.join().unwrap();
}

#[test]
fn the_wildcard_matcher_matches_only_what_it_should() {
    assert!(matches("a*c", "abbbc"));
    assert!(matches("a*b*c", "a1b2c"));
    assert!(!matches("a*c", "abd"));
    assert!(!matches("a*b*c", "a1c2b"));
    assert!(matches("exact", "exact"));
    assert!(!matches("exact", "exactly"));
}

/// Lines of a generated ledger, for the decoding property below.
fn generated_lines() -> &'static [String] {
    static LINES: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    LINES.get_or_init(|| crate::generate::text(3000).lines().map(str::to_owned).collect())
}

/// A line changed the way hand-edited or hostile input differs from what
/// pledger writes.
fn changed_line() -> impl proptest::strategy::Strategy<Value = String> {
    use proptest::prelude::*;
    let lines = generated_lines().len();
    (0..lines, 0..6u8, any::<prop::sample::Index>(), prop::sample::select(b"\"{}[]:,0a \\".to_vec()))
        .prop_map(|(i, how, at, byte)| {
            let line = generated_lines()[i].clone();
            match how {
                // as generated: "type" first
                0 => line,
                // keys in another order: a JSON value writes them sorted
                1 => serde_json::from_str::<serde_json::Value>(&line).unwrap().to_string(),
                // "type" given twice
                2 => line.replacen('{', "{\"type\":\"progress\",", 1),
                // an unknown key before "type"
                3 => line.replacen('{', "{\"x\":1,", 1),
                // "type" alone, then nothing
                4 => line[..line.find(',').unwrap()].to_owned() + "}",
                // one byte replaced
                _ => {
                    let mut bytes = line.into_bytes();
                    let at = at.index(bytes.len());
                    bytes[at] = byte;
                    String::from_utf8_lossy(&bytes).into_owned()
                }
            }
        })
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(3000))]

    /// Given any line, whether "type" comes first or not, well formed or
    /// not, when it is decoded by pledger's fast path, then the result is
    /// exactly what serde's derived form gives: the same event, or the same
    /// error message.
    #[test]
    fn the_fast_event_decoder_agrees_with_the_derived_one(line in changed_line()) {
        let fast = pledger::event::from_json(&line).map_err(|e| e.to_string());
        let derived = serde_json::from_str::<pledger::Event>(&line).map_err(|e| e.to_string());
        proptest::prop_assert_eq!(fast, derived, "{}", line);
    }
}

/// How `append` is given its event.
#[derive(Debug, Clone, Copy)]
enum Given {
    Json,
    Stdin,
}

#[test]
fn append_reads_its_one_event_as_import_reads_a_line() {
    // given a ledger holding commitment c1, and events given to `append` as
    // --json or on standard input
    let (t, mut head) = base_ledger();
    let event = |note: &str| {
        format!(r#"{{"type":"progress","commitment":"c1","date":"2026-03-01","note":"{note}"}}"#).into_bytes()
    };
    let with = |before: &[u8], bytes: Vec<u8>, after: &[u8]| [before, &bytes, after].concat();
    let invalid_utf8 = std::fs::read(data().join("bad/invalid-utf8.jsonl")).unwrap();
    let invalid_utf8 = invalid_utf8.split(|&b| b == b'\n').nth(1).unwrap().to_vec();
    let long = event(&"x".repeat(40_000));
    let refused = |s: &str| Err(s.to_owned());
    use Given::{Json, Stdin};
    let cases: Vec<(Given, Vec<u8>, Result<(), String>)> = vec![
        (Json, event("plain"), Ok(())),
        (Stdin, with(b"", event("piped"), b"\n"), Ok(())),
        (Stdin, with(b"\n\n", event("between blank lines"), b"\r\n\n"), Ok(())),
        (Json, with(b"\xEF\xBB\xBF", event("bom, json"), b""), Ok(())),
        (Stdin, with(b"\xEF\xBB\xBF", event("bom, stdin"), b"\n"), Ok(())),
        (Json, vec![], refused("<--json>:1: expected an event, found empty input")),
        (Stdin, vec![], refused("<stdin>:1: expected an event, found empty input")),
        (Stdin, b"\n \n".to_vec(), refused("<stdin>:1: expected an event, found only blank lines")),
        (Json, b"  ".to_vec(), refused("<--json>:1: expected an event, found only blank lines")),
        // as import reports the same line of invalid-utf8.jsonl
        (Stdin, invalid_utf8, refused("<stdin>:1: expected UTF-8 text, found an invalid byte at column 65")),
        (
            Stdin,
            with(&event("one"), b"\n".to_vec(), &event("two")),
            refused("<stdin>:2: expected one event on one line; use `pledger import` for several"),
        ),
        (
            Stdin,
            long.clone(),
            refused("<stdin>:1: expected an event under 32 KiB, found more input than that"),
        ),
        (Json, long, refused("<--json>:1: expected an event under 32 KiB, found more input than that")),
    ];
    for (given, input, expected) in cases {
        // when each is appended
        let mut cmd = t.pledger();
        cmd.arg("append");
        match given {
            Given::Json => cmd.arg("--json").arg(String::from_utf8(input.clone()).unwrap()),
            Given::Stdin => cmd.write_stdin(input.clone()),
        };
        let out = cmd.timeout(std::time::Duration::from_secs(30)).output().unwrap();
        let shown = String::from_utf8_lossy(&input[..input.len().min(60)]).into_owned();
        match expected {
            // then a good event is appended
            Ok(()) => {
                assert!(out.status.success(), "{given:?} {shown:?}: {}", stderr(&out));
                assert!(stdout(&out).starts_with('#'), "{given:?} {shown:?}: {}", stdout(&out));
                assert_ne!(t.head(), head, "{given:?} {shown:?}: nothing was appended");
                head = t.head();
            }
            // and bad input is refused at its place, with nothing appended
            Err(message) => {
                assert_eq!(out.status.code(), Some(2), "{given:?} {shown:?}: {}", stderr(&out));
                assert_eq!(
                    stderr(&out),
                    format!("{message}\nerror: 1 problem found; nothing was appended\n"),
                    "{given:?} {shown:?}"
                );
                assert_eq!(t.head(), head, "{given:?} {shown:?}: something was appended");
            }
        }
    }
}

#[test]
fn append_refuses_endless_input_without_reading_it_all() {
    // given a writer that never stops (`yes | pledger append`)
    let (t, head) = base_ledger();
    let mut child = t
        .pledger_std()
        .arg("append")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        use std::io::Write;
        let chunk = b"y\n".repeat(4096);
        while stdin.write_all(&chunk).is_ok() {}
    });
    // when it appends, then it stops within a moment and says why
    let started = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > std::time::Duration::from_secs(30) {
            child.kill().unwrap();
            panic!("append kept reading endless input");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        "<stdin>:1: expected an event under 32 KiB, found more input than that\n\
         error: 1 problem found; nothing was appended\n"
    );
    assert_eq!(t.head(), head);
}

#[test]
fn import_names_a_directory_without_a_line_and_reads_dash_as_standard_input() {
    // given a ledger, a directory, and events on standard input
    let (t, head) = base_ledger();
    std::fs::create_dir(t.dir().join("folder")).unwrap();
    let cases: &[(&[&str], &str, &str)] = &[
        (&["folder"], "", "folder: expected a file, found a directory\n"),
        (&["-", "-"], "", "-: given more than once, but standard input can be read only once\n"),
        (&["-"], "", "<stdin>:1: expected at least one event, found an empty file\n"),
        (&["-"], "{\"type\":\"pledge\"}\n", "<stdin>:1: unknown event type \"pledge\"; expected *\n"),
    ];
    for (files, input, expected) in cases {
        // when they are imported, then each problem is named as the file it is
        let out = t.pledger().arg("import").args(*files).write_stdin(*input).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{files:?}: {}", stderr(&out));
        let expected = format!("{expected}error: 1 problem found; nothing was appended");
        assert!(matches(&expected, stderr(&out).trim_end()), "{files:?}: {}", stderr(&out));
        assert_eq!(t.head(), head, "{files:?}: something was appended");
    }
    // and `-` among files is read in its place
    t.write("a.jsonl", crate::support::announcement("from-a-file"));
    let piped = crate::support::announcement("from-stdin");
    let out = t.pledger().args(["import", "a.jsonl", "-"]).write_stdin(piped).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).starts_with("2 new, 0 already recorded; head 4:"), "{}", stdout(&out));
    let log = stdout(&t.pledger().arg("log").output().unwrap());
    assert!(log.find("from-a-file").unwrap() < log.find("from-stdin").unwrap(), "{log}");
}

#[test]
fn text_a_ledger_holds_is_shown_escaped_never_acted_on_by_the_terminal() {
    // Given a ledger whose chain is sound but whose events hold characters
    // that input refuses (an escape that clears the screen, a carriage
    // return, a right-to-left override): made by another tool, or rebuilt
    // by someone who computed the chain again
    let t = TestLedger::new();
    t.import(
        "events.jsonl",
        "{\"type\":\"announcement\",\"id\":\"a1\",\"date\":\"2026-01-16\",\"title\":\"Summit\",\"parties\":[\"India\"]}\n\
         {\"type\":\"commitment\",\"id\":\"c1\",\"announcement\":\"a1\",\"title\":\"Hold a dialogue\",\"deadline\":\"early 2026\"}\n",
    );
    let envelope = |event: &str| {
        format!(
            r#"{{"uuid":"01900000-0000-7000-8000-00000000000{}","recorded_at":"2026-01-16T00:00:00Z","recorded_by":"mall\u001bory","event":{event}}}"#,
            event.len() % 10
        )
    };
    let bodies = [
        envelope(
            r#"{"type":"announcement","id":"a1","date":"2026-01-16","title":"Summit","parties":["Ind\u001b[2Jia"]}"#,
        ),
        envelope(
            r#"{"type":"commitment","id":"c1","announcement":"a1","title":"Hold\r a dialogue \u202eeurt","deadline":"early 2026"}"#,
        ),
    ];
    {
        let ledger = t.open();
        let intruder = ledger.store().intruder();
        let (mut records, mut prev) = (Vec::new(), pledger::chain::Hash::ZERO);
        for (seq, body) in (1..).zip(&bodies) {
            let mut record = Vec::new();
            prev = pledger::chain::encode(seq, &prev, body.as_bytes(), &mut record);
            records.push(record);
        }
        intruder.replace_records(&records);
        intruder.set_head(pledger::Head { seq: 2, hash: prev });
    }
    let verified = t.pledger().arg("verify").output().unwrap();
    assert!(verified.status.success(), "the chain is sound: {}", stderr(&verified));
    for color in ["never", "always"] {
        for command in [&["status", "--as-of", "2026-03-01"][..], &["show", "c1"], &["log"], &["report"]] {
            // When it is printed, with colour and without
            let out = t.pledger().args(["--color", color]).args(command).output().unwrap();
            let text = stdout(&out);
            let what = format!("--color {color} {}", command.join(" "));
            assert!(out.status.success(), "{what}: {}", stderr(&out));
            // Then what the ledger holds reaches the terminal only escaped
            for raw in ["\u{1b}[2J", "\r", "\u{202e}", "mall\u{1b}ory"] {
                assert!(!text.contains(raw), "{what}: {raw:?} reached the terminal:\n{text}");
            }
            let escaped = match command[0] {
                "report" => "Ind\\u{1b}[2Jia",
                "log" => "a1",
                "show" => "Hold\\u{d} a dialogue \\u{202e}eurt",
                _ => "Hold\\u{d} a dialogue",
            };
            assert!(text.contains(escaped), "{what}: expected {escaped:?} in\n{text}");
        }
    }
}

#[test]
fn an_id_typed_with_control_characters_is_echoed_escaped() {
    // Given a ledger
    let t = TestLedger::new();
    t.import(
        "events.jsonl",
        "{\"type\":\"announcement\",\"id\":\"a1\",\"date\":\"2026-01-16\",\"title\":\"Summit\",\"parties\":[\"India\"]}\n",
    );
    // When `show` is given an id holding an escape
    let out = t.pledger().args(["show", "\u{1b}[7mX"]).output().unwrap();
    // Then the error names it escaped, and the escape never reaches the terminal
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("no commitment '\\u{1b}[7mX' in the ledger"), "{err}");
    assert!(!err.contains('\u{1b}'), "{err}");
}

#[test]
fn file_and_ledger_paths_with_control_characters_are_echoed_escaped() {
    // Given a file whose name holds an escape that clears the screen (as
    // anyone may name a file in a shared directory), and a ledger path with one
    let t = TestLedger::new();
    let file = t.write("bad\u{1b}[2J.jsonl", "{\"type\":\"x\"}\n");
    let ledger = t.dir().join("l\u{1b}[31m");
    let run = |args: &[&std::ffi::OsStr]| {
        assert_cmd::Command::new(crate::support::binary())
            .arg("--ledger")
            .arg(&ledger)
            .args(args)
            .output()
            .unwrap()
    };
    // When the file is imported, and when a ledger is made at the path
    let import = run(&["import".as_ref(), file.as_os_str()]);
    let init = run(&["init".as_ref()]);
    // Then each names the path with its escape written out, and no escape
    // reaches the terminal
    let err = stderr(&import);
    assert_eq!(import.status.code(), Some(2), "{err}");
    assert!(err.contains("bad\\u{1b}[2J.jsonl:1: unknown event type"), "{err}");
    let out = stdout(&init);
    assert!(init.status.success(), "{}", stderr(&init));
    assert!(out.contains("created an empty ledger at") && out.contains("l\\u{1b}[31m"), "{out}");
    for text in [err, out, stderr(&init)] {
        assert!(!text.contains('\u{1b}'), "{text}");
    }
}

#[test]
fn input_that_never_ends_a_line_is_refused_after_a_bounded_read() {
    let endless = Path::new("/dev/zero");
    if !endless.exists() {
        return;
    }
    // Given a ledger, and input that never ends its first line
    let t = TestLedger::new();
    t.pledger().arg("init").assert().success();
    let head = t.head();
    // When it is imported
    let out =
        t.pledger().arg("import").arg(endless).timeout(std::time::Duration::from_secs(120)).output().unwrap();
    // Then reading stops, the line is refused, and nothing is appended
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(
            "/dev/zero:1: expected an event under 32 KiB, found a line of more than 1 GiB; the rest of the input \
             was not read"
        ),
        "{}",
        stderr(&out)
    );
    assert_eq!(t.head(), head);
}
