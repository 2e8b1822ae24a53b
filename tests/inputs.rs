//! Real-world inputs: HTML pages in legacy encodings, JSONL, gzip/zstd, WARC, stdin, filters.
//!
//! Fixtures in `tests/fixtures/inputs/` are written for the project by `make.py` there.

use std::collections::BTreeSet;

use predicates::prelude::*;
use serde_json::Value;

use crate::util::{cluster_sets, corpus, neardup, repo_path};

const DIR: &str = "tests/fixtures/inputs";

fn fixture(name: &str) -> String {
    repo_path(&format!("{DIR}/{name}"))
}

/// `neardup paragraphs ARGS` → (path, text) rows, and the exit code.
fn paragraphs(args: &[&str]) -> (Vec<(String, String)>, i32, String) {
    let out = neardup()
        .current_dir(repo_path(DIR))
        .arg("paragraphs")
        .args(args)
        .output()
        .unwrap();
    let rows = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            (
                v["path"].as_str().unwrap().to_string(),
                v["text"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    (
        rows,
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn texts(rows: &[(String, String)]) -> Vec<&str> {
    rows.iter().map(|(_, t)| t.as_str()).collect()
}

const BOILERPLATE: &[&str] = &[
    "الرئيسية",
    "اتصل بنا",
    "شارك الخبر",
    "الأكثر قراءة",
    "ارتفاع أسعار الذهب",
    "اترك تعليقاً",
    "البريد الإلكتروني",
    "جميع الحقوق محفوظة",
    "_gaq",
    "font-family",
    "إعلان",
    "الأحد 3 مارس",
];

#[test]
fn windows_1256_page_gives_the_article_without_boilerplate() {
    let (rows, code, _) = paragraphs(&["article-ar-cp1256.html"]);
    assert_eq!(code, 0);
    let t = texts(&rows);
    assert_eq!(t.len(), 6, "{t:#?}");
    assert_eq!(t[0], "افتتاح جسر الوادي الجديد بعد ثلاث سنوات من العمل");
    assert!(t[1].starts_with("افتتح وزير النقل اليوم (الأحد) جسر الوادي"));
    assert!(t[2].contains("«إنّ هذا الجسرَ سيختصرُ"));
    assert!(t[4].starts_with("وأشار المهندس المسؤول"));
    for b in BOILERPLATE {
        assert!(t.iter().all(|p| !p.contains(b)), "boilerplate {b:?} kept");
    }
}

#[test]
fn iso_8859_6_page_decodes() {
    let (rows, code, _) = paragraphs(&["article-ar-iso8859-6.html"]);
    assert_eq!(code, 0);
    let t = texts(&rows);
    assert_eq!(t[0], "جسر الوادي يفتح أبوابه أمام السيارات");
    assert!(t[1].starts_with("افتتح وزير النقل أمس الأحد"));
    assert_eq!(t.len(), 3, "{t:#?}");
}

#[test]
fn lying_meta_charset_does_not_beat_valid_utf8() {
    let (rows, _, _) = paragraphs(&["lying-charset.html"]);
    assert_eq!(rows[0].1, "مشروعات البنية التحتية في المحافظة");
}

#[test]
fn paragraphs_reports_spans_into_the_extracted_text_and_normalized_form() {
    let out = neardup()
        .current_dir(repo_path(DIR))
        .args(["paragraphs", "--normalized", "article-ar-cp1256.html"])
        .output()
        .unwrap();
    let lines: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let quote = &lines[2];
    assert_eq!(quote["paragraph"], 2);
    assert_eq!(quote["line"], 5);
    for key in ["byte_start", "byte_end"] {
        assert!(quote[key].is_u64());
    }
    assert!(quote["normalized"]
        .as_str()
        .unwrap()
        .contains("ان هذا الجسر سيختصر"));
    // The quote repeated later in the article normalises to the same text.
    assert_eq!(quote["normalized"], lines[5]["normalized"]);
}

#[test]
fn jsonl_malformed_line_is_an_error_naming_file_and_line() {
    neardup()
        .current_dir(repo_path(DIR))
        .args(["scan", "--text-field", "article.body", "dataset.jsonl"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("dataset.jsonl:2: not JSON"))
        .stderr(predicate::str::contains("--keep-going"));
}

#[test]
fn jsonl_nested_fields_and_keep_going() {
    let (rows, code, stderr) = paragraphs(&[
        "--keep-going",
        "--text-field",
        "article.body",
        "--id-field",
        "meta.id",
        "dataset.jsonl",
    ]);
    assert_eq!(code, 2, "a skipped bad line is reported in the exit status");
    assert!(stderr.contains("skipped dataset.jsonl:2"), "{stderr}");
    let docs: Vec<&str> = rows.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(
        docs,
        [
            "dataset.jsonl#wire-1",
            "dataset.jsonl#wire-1",
            "dataset.jsonl#3"
        ]
    );
    assert!(rows[2].1.starts_with("Local farmers expect"));
}

#[test]
fn jsonl_missing_text_field_says_which_flag_to_use() {
    neardup()
        .current_dir(repo_path(DIR))
        .args(["paragraphs", "dataset.jsonl"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "dataset.jsonl:1: no text field \"text\" (choose one with --text-field)",
        ));
}

#[test]
fn gzip_and_zstd_read_like_plain_text() {
    let (rows, code, _) = paragraphs(&["harbour.txt.gz", "harbour-b.md.zst"]);
    assert_eq!(code, 0);
    assert_eq!(rows.len(), 8);
    assert_eq!(rows[0].0, "harbour-b.md.zst");
    assert_eq!(rows[0].1, "# Bridge back in service");
    assert_eq!(rows[4].0, "harbour.txt.gz");
    assert_eq!(rows[4].1, "Harbour bridge reopens after repairs");
    assert_eq!(rows[3].1, rows[7].1, "same footer in both");
}

#[test]
fn compression_is_detected_by_magic_and_checked_against_the_name() {
    let gz = std::fs::read(fixture("harbour.txt.gz")).unwrap();
    let dir = corpus(&[
        ("disguised.txt", gz.as_slice()),
        ("broken.txt.gz", b"plain text, not gzip\n"),
    ]);
    neardup()
        .args(["paragraphs"])
        .arg(dir.path().join("disguised.txt"))
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "Harbour bridge reopens after repairs",
        ));
    neardup()
        .args(["scan"])
        .arg(dir.path().join("broken.txt.gz"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("broken.txt.gz"))
        .stderr(predicate::str::contains("not gzip-compressed"));
}

#[test]
fn warc_html_responses_are_articles_named_by_uri() {
    let (rows, code, stderr) = paragraphs(&["crawl.warc.gz"]);
    assert_eq!(code, 0, "skipped records are not errors: {stderr}");
    let docs: BTreeSet<&str> = rows.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(
        docs,
        BTreeSet::from([
            "https://gazette.example/harbour",
            "https://wadi.example/floods"
        ])
    );
    assert!(stderr.contains(
        "5 WARC record(s) without an HTML page skipped: metadata 1, request 1, response \
         (HTTP 404) 1, response (image/png) 1, warcinfo 1"
    ));
    // gzip Content-Encoding, chunked transfer and a charset only in the HTTP header.
    assert!(texts(&rows).contains(&"Harbour bridge to reopen"));
    assert!(texts(&rows)
        .iter()
        .any(|t| t.starts_with("وأشار المهندس المسؤول")));
    for b in BOILERPLATE {
        assert!(texts(&rows).iter().all(|p| !p.contains(b)), "{b:?} kept");
    }
}

/// Every format together: the wire story and the harbour story found across outlets and
/// formats, nothing from the boilerplate.
#[test]
fn clusters_across_every_input_format() {
    let out = neardup()
        .current_dir(repo_path(DIR))
        .args([
            "scan",
            "--keep-going",
            "--text-field",
            "article.body",
            "--id-field",
            "meta.id",
            "--format",
            "json",
            ".",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "the malformed JSONL line");
    let report: neardup::Report = serde_json::from_slice(&out.stdout).unwrap();
    let set =
        |items: &[&str]| -> BTreeSet<String> { items.iter().map(|s| s.to_string()).collect() };
    let expected: BTreeSet<BTreeSet<String>> = [
        set(&[
            "article-ar-cp1256.html:1",
            "article-ar-iso8859-6.html:1",
            "dataset.jsonl#wire-1:0",
        ]),
        set(&[
            "article-ar-cp1256.html:2",
            "article-ar-cp1256.html:5",
            "dataset.jsonl#wire-1:1",
        ]),
        set(&["article-ar-cp1256.html:3", "article-ar-iso8859-6.html:2"]),
        set(&[
            "article-ar-cp1256.html:4",
            "https://wadi.example/floods:1",
            "lying-charset.html:1",
        ]),
        set(&[
            "https://gazette.example/harbour:1",
            "harbour-b.md.zst:1",
            "harbour.txt.gz:1",
        ]),
        set(&["harbour-b.md.zst:2", "harbour.txt.gz:2"]),
        set(&["harbour-b.md.zst:3", "harbour.txt.gz:3"]),
    ]
    .into_iter()
    .collect();
    assert_eq!(cluster_sets(&report), expected);
    assert_eq!(report.stats.documents, 9);
    let skipped: Vec<&str> = report.skipped.iter().map(|s| s.path.as_str()).collect();
    assert_eq!(skipped, ["crawl.warc.gz", "dataset.jsonl:2"]);
}

#[test]
fn every_format_is_deterministic_across_thread_counts() {
    let run = |threads: &str| {
        neardup()
            .current_dir(repo_path(DIR))
            .args(["scan", "--keep-going", "--text-field", "article.body"])
            .args(["--format", "json", "--threads", threads, "."])
            .output()
            .unwrap()
            .stdout
    };
    let one = run("1");
    assert!(!one.is_empty());
    assert_eq!(one, run("2"));
    assert_eq!(one, run("3"));
}

#[test]
fn stdin_is_one_document_or_jsonl() {
    neardup()
        .args(["paragraphs", "-"])
        .write_stdin("first line\n\nsecond line\n")
        .assert()
        .success()
        .stdout(predicate::str::contains(
            r#"{"path":"<stdin>","paragraph":1,"line":3,"byte_start":12,"byte_end":23,"text":"second line"}"#,
        ));
    neardup()
        .args(["paragraphs", "--stdin-format", "jsonl", "-"])
        .write_stdin("{\"text\":\"a\"}\n{\"text\":\"b\"}\n")
        .assert()
        .success()
        .stdout(predicate::str::contains(r#""path":"<stdin>#2""#));
    // Compressed and HTML stdin are recognised by their first bytes.
    let gz = std::fs::read(fixture("harbour.txt.gz")).unwrap();
    neardup()
        .args(["paragraphs", "-"])
        .write_stdin(gz)
        .assert()
        .success()
        .stdout(predicate::str::contains("Harbour bridge reopens"));
    let page = std::fs::read(fixture("article-ar-cp1256.html")).unwrap();
    neardup()
        .args(["paragraphs", "-"])
        .write_stdin(page)
        .assert()
        .success()
        .stdout(predicate::str::contains("افتتاح جسر الوادي الجديد"));
}

#[test]
fn include_exclude_and_max_file_size_filter_directory_walks() {
    let big = "word ".repeat(400);
    let dir = corpus(&[
        ("a.txt", b"alpha\n"),
        ("notes.text", b"custom extension\n"),
        ("drafts/b.txt", b"draft\n"),
        ("big.txt", big.as_bytes()),
    ]);
    let names = |args: &[&str]| -> (BTreeSet<String>, String) {
        let out = neardup()
            .arg("paragraphs")
            .args(args)
            .arg(dir.path())
            .output()
            .unwrap();
        assert!(out.status.success());
        let names = String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(|l| {
                serde_json::from_str::<Value>(l).unwrap()["path"]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect();
        (names, String::from_utf8(out.stderr).unwrap())
    };
    let (all, _) = names(&[]);
    assert_eq!(
        all,
        BTreeSet::from(["a.txt".into(), "big.txt".into(), "drafts/b.txt".into()])
    );
    let (inc, _) = names(&["--include", "*.text"]);
    assert_eq!(inc, BTreeSet::from(["notes.text".to_string()]));
    let (exc, _) = names(&["--exclude", "drafts", "--max-file-size", "1K"]);
    assert_eq!(exc, BTreeSet::from(["a.txt".to_string()]));
    let (_, warn) = names(&["--max-file-size", "1K"]);
    assert!(
        warn.contains("big.txt: 2000 bytes, over --max-file-size 1024"),
        "{warn}"
    );
    neardup()
        .args(["scan", "--include", "[", "."])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--include \"[\""));
}

#[cfg(unix)]
#[test]
fn symlink_loops_and_fifos_are_skipped_with_a_warning() {
    let dir = corpus(&[("sub/a.txt", b"alpha beta gamma\n")]);
    std::os::unix::fs::symlink(dir.path(), dir.path().join("sub/loop")).unwrap();
    let fifo = dir.path().join("sub/pipe.txt");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .is_ok_and(|s| s.success());
    let out = neardup()
        .arg("paragraphs")
        .arg(dir.path())
        .timeout(std::time::Duration::from_secs(20))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "skips by design are not errors");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("symbolic link loop"), "{stderr}");
    if made {
        assert!(stderr.contains("pipe.txt: not a regular file"), "{stderr}");
    }
    assert!(String::from_utf8_lossy(&out.stdout).contains("alpha beta gamma"));
}

#[test]
fn library_reads_every_format_with_input_options() {
    let mut options = neardup::ScanOptions::default();
    options.input.text_field = "article.body".into();
    options.input.keep_going = true;
    let scanner = neardup::Scanner::new(neardup::Config::default())
        .unwrap()
        .with_options(options);
    let report = scanner
        .scan_paths(&[fixture("dataset.jsonl"), fixture("article-ar-cp1256.html")])
        .unwrap();
    assert_eq!(report.stats.documents, 3);
    assert_eq!(report.clusters.len(), 2);
}
