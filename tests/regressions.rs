//! Regression tests, each named after the bug it pins (found in review after the merges).

use predicates::prelude::*;

use crate::util::{corpus, neardup};

const SAME: &[u8] = b"The harbour authority said the northern port would reopen next week.\n";

#[test]
fn dedup_with_html_and_jsonl_files_copies_them_unchanged_instead_of_failing() {
    let dir = corpus(&[
        ("in/a.txt", SAME),
        ("in/b.txt", SAME),
        ("in/page.html", b"<html><body><p>The harbour authority said the northern port would reopen next week.</p></body></html>"),
        ("in/d.jsonl", b"{\"text\": \"The harbour authority said the northern port would reopen next week.\"}\n"),
    ]);
    let out = dir.path().join("out");
    neardup()
        .arg("dedup")
        .arg(dir.path().join("in"))
        .arg("--out")
        .arg(&out)
        .assert()
        .success()
        .stderr(predicate::str::contains("page.html"))
        .stdout(predicate::str::contains("removed 2 paragraphs"));
    for f in ["page.html", "a.txt"] {
        assert_eq!(
            std::fs::read(out.join(f)).unwrap(),
            std::fs::read(dir.path().join("in").join(f)).unwrap(),
            "{f} copied unchanged"
        );
    }
    assert_eq!(std::fs::read(out.join("b.txt")).unwrap(), b"");
    // Since issue 15, JSONL is a dataset dedup rewrites: its repeated text field is emptied.
    assert_eq!(
        std::fs::read(out.join("d.jsonl")).unwrap(),
        b"{\"text\": \"\"}\n"
    );
}

#[test]
fn index_build_skips_non_text_files_instead_of_indexing_their_raw_bytes() {
    let dir = corpus(&[
        ("c/a.txt", SAME),
        ("c/d.jsonl", b"{\"text\": \"The harbour authority said the northern port would reopen next week.\"}\n"),
    ]);
    let idx = dir.path().join("idx");
    neardup()
        .current_dir(dir.path())
        .args(["index", "build", "c", "--index"])
        .arg(&idx)
        .assert()
        .success()
        .stderr(predicate::str::contains("d.jsonl"));
    neardup()
        .current_dir(dir.path())
        .args(["index", "build", "c", "--text-field", "body", "--index"])
        .arg(dir.path().join("idx2"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--text-field"));
    let out = neardup()
        .args(["scan", "--format", "json", "--index"])
        .arg(&idx)
        .output()
        .unwrap();
    let report: neardup::Report = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report.stats.documents, 1);
}

#[test]
fn huge_bands_times_rows_is_an_error_not_an_overflow_panic() {
    let dir = corpus(&[("a.txt", SAME)]);
    neardup()
        .args(["scan", "--bands", "4611686018427387904", "--rows", "4"])
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("exceeds"));
}

#[test]
fn passages_appear_in_csv_and_pairs_instead_of_being_dropped() {
    let fixture = crate::util::repo_path("tests/fixtures/article-ar.txt");
    let csv = neardup()
        .args(["scan", "--passages", "--format", "csv"])
        .arg(&fixture)
        .output()
        .unwrap();
    assert!(csv.status.success());
    let mut reader = ::csv::Reader::from_reader(&csv.stdout[..]);
    let passage_rows = reader
        .records()
        .map(|r| r.unwrap())
        .filter(|r| &r[1] == "passage")
        .count();
    assert_eq!(passage_rows, 7, "one row per passage span");
    let pairs = neardup()
        .args(["scan", "--passages", "--format", "pairs"])
        .arg(&fixture)
        .output()
        .unwrap();
    let lines: Vec<serde_json::Value> = String::from_utf8(pairs.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let quote = lines
        .iter()
        .find(|l| l["kind"] == "passage" && l["shared_words"] == 17)
        .expect("the repeated quote is a passage pair");
    assert_eq!(quote["similarity"], 1.0);
    assert_eq!(
        (quote["a"]["line"].as_u64(), quote["b"]["line"].as_u64()),
        (Some(7), Some(14))
    );
}

#[cfg(unix)]
#[test]
fn report_written_with_output_is_not_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = corpus(&[("a.txt", SAME)]);
    let report = dir.path().join("report.json");
    neardup()
        .args(["scan", "--format", "json", "-o"])
        .arg(&report)
        .arg(dir.path().join("a.txt"))
        .assert()
        .success();
    let mode = std::fs::metadata(&report).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o644);
}

#[test]
fn scan_index_reading_formats_have_the_per_article_table_of_a_scan() {
    let dir = corpus(&[
        ("c1/a.txt", SAME),
        (
            "c2/b.txt",
            b"A title\nThe harbour authority said the northern port would reopen next week.\n",
        ),
    ]);
    let idx = dir.path().join("idx");
    neardup()
        .current_dir(dir.path())
        .args(["index", "build", "c1", "c2", "--index"])
        .arg(&idx)
        .assert()
        .success();
    for format in ["md", "html"] {
        let from_index = neardup()
            .current_dir(dir.path())
            .args(["scan", "--format", format, "--index", "idx"])
            .output()
            .unwrap();
        let from_files = neardup()
            .current_dir(dir.path())
            .args(["scan", "--format", format, "c1", "c2"])
            .output()
            .unwrap();
        assert!(from_index.status.success() && from_files.status.success());
        assert_eq!(
            String::from_utf8_lossy(&from_index.stdout),
            String::from_utf8_lossy(&from_files.stdout),
            "{format}"
        );
    }
}

#[test]
fn index_build_reports_stage_timings_with_verbose_like_scan() {
    let dir = corpus(&[("c/a.txt", SAME)]);
    neardup()
        .args(["index", "build", "-v", "--index"])
        .arg(dir.path().join("idx"))
        .arg(dir.path().join("c"))
        .assert()
        .success()
        .stderr(predicate::str::contains("timing: sketch"))
        .stdout(predicate::str::contains("1 added"));
}

#[test]
fn passages_appear_in_html_and_markdown_reports_with_the_shared_words_marked() {
    let fixture = crate::util::repo_path("tests/fixtures/article-ar.txt");
    let html = neardup()
        .args(["scan", "--passages", "--format", "html"])
        .arg(&fixture)
        .output()
        .unwrap();
    assert!(html.status.success());
    let html = String::from_utf8(html.stdout).unwrap();
    assert!(html.contains("<h2>Shared passages</h2>"));
    // The minister's quote, found again inside the long paragraph of line 14.
    assert!(html.contains("<mark>إن إعادة فتح الجسر"), "{html}");
    let page = scraper::Html::parse_document(&html);
    let marks = scraper::Selector::parse("section#passages mark").unwrap();
    assert!(page.select(&marks).count() >= 6);
    let md = neardup()
        .args(["scan", "--passages", "--format", "md"])
        .arg(&fixture)
        .output()
        .unwrap();
    let md = String::from_utf8(md.stdout).unwrap();
    assert!(md.contains("## Shared passages"));
    assert!(md.contains("**إن إعادة فتح الجسر"), "{md}");
}

#[test]
fn scan_index_reports_stage_timings_with_verbose_instead_of_ignoring_it() {
    let dir = corpus(&[("c/a.txt", SAME), ("c/b.txt", SAME)]);
    let idx = dir.path().join("idx");
    neardup()
        .args(["index", "build", "-q", "--index"])
        .arg(&idx)
        .arg(dir.path().join("c"))
        .assert()
        .success();
    neardup()
        .args(["scan", "-v", "--index"])
        .arg(&idx)
        .assert()
        .success()
        .stderr(predicate::str::contains("timing: cluster"))
        .stdout(predicate::str::contains("1 cluster"));
}

/// `-o /dev/null` renamed a temporary file over the device, leaving a regular file in its
/// place. Tested on a named pipe in a temporary directory, never on /dev/null itself.
#[cfg(unix)]
#[test]
fn output_to_a_named_pipe_writes_into_it_instead_of_replacing_it() {
    use std::io::Read;
    use std::os::unix::fs::FileTypeExt;
    let dir = corpus(&[("a.txt", SAME), ("b.txt", SAME)]);
    let fifo = dir.path().join("out.fifo");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    if !matches!(made, Ok(s) if s.success()) {
        eprintln!("mkfifo unavailable; skipped");
        return;
    }
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || {
            let mut text = String::new();
            std::fs::File::open(&fifo)
                .unwrap()
                .read_to_string(&mut text)
                .unwrap();
            text
        })
    };
    neardup()
        .args(["scan", "--format", "jsonl", "-o"])
        .arg(&fifo)
        .arg(dir.path().join("a.txt"))
        .arg(dir.path().join("b.txt"))
        .assert()
        .success();
    // Checked before joining: had the pipe been replaced, the reader would wait forever.
    assert!(std::fs::metadata(&fifo).unwrap().file_type().is_fifo());
    let text = reader.join().unwrap();
    assert_eq!(text.lines().count(), 1, "{text}");
}

/// Issue 11: 40,000 nested `<div>`s overflowed the stack (abort, signal 6) after minutes of
/// quadratic parsing; other deep shapes went the same way. Each must now give its text.
#[test]
fn deeply_nested_html_shapes_give_their_text_instead_of_a_stack_overflow() {
    let shapes = [
        (
            "divs",
            format!("{}text{}", "<div>".repeat(40_000), "</div>".repeat(40_000)),
        ),
        ("bold", format!("{}text", "<b>".repeat(40_000))),
        (
            "tables",
            format!("{}text", "<table><tr><td>".repeat(10_000)),
        ),
        (
            "links in divs",
            format!("{}text", "<a href=x><div>".repeat(20_000)),
        ),
        (
            "reopened formatting",
            format!("{}text", "<p><b id=1></p>".repeat(20_000)),
        ),
        ("lists", format!("{}text", "<ul><li>".repeat(20_000))),
        (
            "self-closed divs",
            format!("{}text", "<div/>".repeat(40_000)),
        ),
    ];
    for (name, body) in shapes {
        let page = format!("<html><body>{body}</body></html>");
        let dir = corpus(&[("page.html", page.as_bytes())]);
        let out = neardup()
            .arg("paragraphs")
            .arg(dir.path().join("page.html"))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{name}");
        assert!(
            String::from_utf8_lossy(&out.stdout).contains(r#""text":"text""#),
            "{name}: no paragraph"
        );
    }
}
