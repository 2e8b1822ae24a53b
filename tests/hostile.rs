//! Hostile input: the committed corpus of tests/fixtures/hostile (made by its make.sh) plus the
//! big files made here at run time. A scan over all of it must finish, name every bad file
//! among its skips, and still find the good files' duplicates; a panic on one document must be
//! an error naming it, never an abort.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::Path;

use neardup::ingest::{self, InputOptions};
use neardup::{Config, Error, Report, Scanner};

use crate::util::{neardup, repo_path};

const SHARED: &str = "The river rose overnight and flooded the lower town before dawn broke.";

/// The hostile corpus in a fresh directory.
fn hostile_corpus() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    for entry in std::fs::read_dir(repo_path("tests/fixtures/hostile")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e != "sh") {
            std::fs::copy(&path, root.join(path.file_name().unwrap())).unwrap();
        }
    }
    let write = |name: &str, bytes: &[u8]| std::fs::write(root.join(name), bytes).unwrap();
    // 40,000 nested divs: a stack overflow and minutes of quadratic parsing before the limits.
    let n = 40_000;
    write(
        "deep.html",
        format!(
            "<html><body>{}<p>{SHARED}</p>{}</body></html>",
            "<div>".repeat(n),
            "</div>".repeat(n)
        )
        .as_bytes(),
    );
    // A 5 MB attribute value around a good paragraph.
    write(
        "attribute.html",
        format!(
            "<html><body><p title=\"{}\">{SHARED}</p></body></html>",
            "x".repeat(5 << 20)
        )
        .as_bytes(),
    );
    write(
        "entities.html",
        format!(
            "<html><body><p>{}</p></body></html>",
            "&amp;&#x41;&lt;&nbsp;&#1587;&bogus;".repeat(50_000)
        )
        .as_bytes(),
    );
    // A gzip bomb, 1000:1: 20 MiB of zeros in about 20 KB.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(&vec![0u8; 20 << 20]).unwrap();
    write("bomb.txt.gz", &gz.finish().unwrap());
    // A 10.5 MB JSONL line (over the 10M bound the scan is given), then a good record.
    write(
        "long-line.jsonl",
        format!(
            "{{\"text\": \"{}\"}}\n{{\"text\": \"{SHARED}\"}}\n",
            "word ".repeat(2_100_000)
        )
        .as_bytes(),
    );
    // JSON nested 10,000 deep.
    write(
        "deep.jsonl",
        format!("{}{}\n", "[".repeat(10_000), "]".repeat(10_000)).as_bytes(),
    );
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(root.join("gone.txt"), root.join("dangling.txt")).unwrap();
        let status = std::process::Command::new("mkfifo")
            .arg(root.join("fifo.txt"))
            .status()
            .unwrap();
        assert!(status.success());
    }
    dir
}

fn skipped_paths(report: &Report) -> BTreeSet<String> {
    report.skipped.iter().map(|s| s.path.clone()).collect()
}

#[test]
fn hostile_corpus_is_scanned_to_the_end_with_every_bad_file_named() {
    let dir = hostile_corpus();
    let out = neardup()
        .args(["scan", "--keep-going", "--max-document-size", "10M"])
        .args(["--format", "json"])
        .current_dir(dir.path())
        .arg(".")
        .timeout(std::time::Duration::from_secs(600))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    // Skips that hide damage: exit status 2 at the end, with the report written.
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let report: Report = serde_json::from_slice(&out.stdout).unwrap();
    let skipped = skipped_paths(&report);
    let mut expected = vec![
        "bomb.txt.gz",
        "deep.html",
        "deep.jsonl:1",
        "long-line.jsonl:1",
        "lying-length.warc",
        "negative-length.warc",
    ];
    if cfg!(unix) {
        expected.extend(["dangling.txt", "fifo.txt"]);
    }
    for name in expected {
        assert!(skipped.contains(name), "{name} not among {skipped:?}");
    }
    let reason = |path: &str| {
        report
            .skipped
            .iter()
            .filter(|s| s.path == path)
            .map(|s| s.reason.clone())
            .collect::<Vec<_>>()
            .join(" | ")
    };
    assert!(reason("bomb.txt.gz").contains("--max-document-size"));
    assert!(reason("deep.html").contains("--max-html-depth"));
    assert!(reason("long-line.jsonl:1").contains("longer than"));
    assert!(reason("negative-length.warc").contains("Content-Length"));
    assert!(reason("lying-length.warc").contains("truncated"));
    if cfg!(unix) {
        assert!(reason("dangling.txt").contains("broken symbolic link"));
    }
    // The good paragraph, wherever it survived, is still one cluster.
    let cluster: BTreeSet<&str> = report
        .clusters
        .iter()
        .find(|c| c.members.iter().any(|m| m.path == "good-a.txt"))
        .expect("the good files' duplicate is found")
        .members
        .iter()
        .map(|m| m.path.as_str())
        .collect();
    for name in [
        "good-a.txt",
        "good-b.txt",
        "http://h/response",
        "deep.html",
        "attribute.html",
        "long-line.jsonl#2",
    ] {
        assert!(cluster.contains(name), "{name} not in {cluster:?}");
    }
}

#[test]
fn without_keep_going_the_first_damaged_file_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        repo_path("tests/fixtures/hostile/negative-length.warc"),
        dir.path().join("n.warc"),
    )
    .unwrap();
    let out = neardup().arg("scan").arg(dir.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("n.warc: record 1"), "{stderr}");
}

#[cfg(unix)]
#[test]
fn dangling_link_in_a_walk_is_a_warning_and_named_on_the_command_line_an_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.txt"), format!("{SHARED}\n")).unwrap();
    let link = dir.path().join("link");
    std::os::unix::fs::symlink("/nonexistent/target", &link).unwrap();
    let out = neardup().arg("scan").arg(dir.path()).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("link: broken symbolic link to /nonexistent/target"),
        "{stderr}"
    );
    let out = neardup().arg("scan").arg(&link).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr.contains("broken symbolic link"), "{stderr}");
    assert!(!stderr.contains("directory"), "{stderr}");
    let out = neardup()
        .arg("scan")
        .arg(dir.path().join("missing.txt"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("missing.txt: cannot access"), "{stderr}");
}

/// A file removed between discovery and reading (as when a crawler rotates its output during
/// a scan), made deterministic through the library's two steps.
#[test]
fn file_removed_while_the_scan_runs_is_named() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["a.txt", "b.txt"] {
        std::fs::write(dir.path().join(name), format!("{SHARED}\n")).unwrap();
    }
    let roots = vec![dir.path().to_path_buf()];
    let mut options = InputOptions::default();
    options.keep_going = true;
    let mut skipped = Vec::new();
    let files = ingest::discover_with(&roots, &options, &mut skipped).unwrap();
    std::fs::remove_file(dir.path().join("b.txt")).unwrap();
    let docs = ingest::load_all_with(&files, &options, &mut skipped).unwrap();
    assert_eq!(docs.len(), 1);
    assert_eq!(skipped.len(), 1);
    assert_eq!(
        skipped[0].path,
        ingest::slash_path(&dir.path().join("b.txt"))
    );
    assert!(skipped[0].error);
    let strict = InputOptions::default();
    let err = ingest::load_all_with(&files, &strict, &mut Vec::new()).unwrap_err();
    assert!(err.to_string().contains("b.txt"), "{err}");
}

/// The panic hook of tests (debug builds only): see `error::injected_panic`.
#[test]
#[cfg_attr(
    not(debug_assertions),
    ignore = "the panic injection hook exists in debug builds only"
)]
fn a_panic_on_one_document_is_an_error_naming_it_never_an_abort() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["a.txt", "b.txt", "panics.txt"] {
        std::fs::write(dir.path().join(name), format!("{SHARED}\n")).unwrap();
    }
    // `neardup scan ARGS DIR` with a panic injected on document `name`.
    let scan = |name: &str, args: &[&str]| {
        neardup()
            .env("NEARDUP_INJECT_PANIC", name)
            .arg("scan")
            .args(args)
            .current_dir(dir.path())
            .arg(".")
            .output()
            .unwrap()
    };
    let out = scan("panics.txt", &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("neardup: error: panics.txt: internal error"),
        "{stderr}"
    );
    assert!(!stderr.contains("thread '"), "{stderr}");
    let out = scan("panics.txt", &["--keep-going", "--format", "json"]);
    assert_eq!(out.status.code(), Some(2));
    let report: Report = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report.clusters.len(), 1);
    assert!(skipped_paths(&report).contains("panics.txt"));
    // A panic in a later stage: an error of the scan, the process ends cleanly.
    let out = scan("scan:b.txt", &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("scan: internal error"), "{stderr}");
}

/// The index reads files through the same boundary: a panic on one file fails `index build`
/// with nothing written (or, with --keep-going, skips that file and indexes the others).
#[test]
#[cfg_attr(
    not(debug_assertions),
    ignore = "the panic injection hook exists in debug builds only"
)]
fn a_panic_while_indexing_names_the_file_and_commits_nothing() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["a.txt", "b.txt", "panics.txt"] {
        std::fs::write(dir.path().join(name), format!("{SHARED}\n")).unwrap();
    }
    let build = |index: &str, args: &[&str]| {
        neardup()
            .env("NEARDUP_INJECT_PANIC", "panics.txt")
            .current_dir(dir.path())
            .args(["index", "build", ".", "--index", index])
            .args(args)
            .output()
            .unwrap()
    };
    let out = build("strict", &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("panics.txt: internal error"), "{stderr}");
    assert!(!stderr.contains("thread '"), "{stderr}");
    // `build` commits the empty index first; the failed add committed nothing after it.
    let scan_index = |index: &str| -> Report {
        let out = neardup()
            .current_dir(dir.path())
            .args(["scan", "--index", index, "--format", "json"])
            .output()
            .unwrap();
        serde_json::from_slice(&out.stdout).unwrap()
    };
    assert_eq!(scan_index("strict").stats.documents, 0);

    let out = build("lenient", &["--keep-going", "-q"]);
    assert_eq!(out.status.code(), Some(2));
    let report = scan_index("lenient");
    assert_eq!(report.stats.documents, 2);
    let paths: BTreeSet<&str> = report.clusters[0]
        .members
        .iter()
        .map(|m| m.path.as_str())
        .collect();
    assert_eq!(paths, BTreeSet::from(["a.txt", "b.txt"]));
}

#[test]
#[cfg_attr(
    not(debug_assertions),
    ignore = "the panic injection hook exists in debug builds only"
)]
fn library_turns_a_panic_into_an_error() {
    // A name no other test uses, since the variable is process-wide.
    std::env::set_var("NEARDUP_INJECT_PANIC", "scan:library-panic-doc");
    let scanner = Scanner::new(Config::default()).unwrap();
    let docs = vec![
        neardup::Document::from_text("library-panic-doc", SHARED),
        neardup::Document::from_text("other", SHARED),
    ];
    let err = scanner.scan_documents(docs).unwrap_err();
    assert!(matches!(err, Error::Internal { .. }), "{err}");
    assert!(err.to_string().contains("library-panic-doc"), "{err}");
}

#[test]
fn gzip_bomb_stops_at_the_bound_without_keep_going() {
    let dir = tempfile::tempdir().unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(&vec![b'a'; 8 << 20]).unwrap();
    let bomb = dir.path().join("bomb.txt.gz");
    std::fs::write(&bomb, gz.finish().unwrap()).unwrap();
    let out = neardup()
        .args(["scan", "--max-document-size", "1M"])
        .arg(&bomb)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("bomb.txt.gz"), "{stderr}");
    assert!(stderr.contains("--max-document-size"), "{stderr}");
    // --max-file-size bounds what a compressed file holds once decompressed, too.
    let out = neardup()
        .args(["scan", "--max-file-size", "1M"])
        .arg(&bomb)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--max-file-size"));
    assert!(Path::new(&bomb).exists());
}

/// The record boundary inside a crawl: a panic extracting one page names that record, and
/// with --keep-going the other records are still read.
#[test]
#[cfg_attr(
    not(debug_assertions),
    ignore = "the panic injection hook exists in debug builds only"
)]
fn a_panic_on_one_warc_record_names_the_record() {
    let record = |uri: &str| {
        let block = format!("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<p>{SHARED}</p>");
        format!(
            "WARC/1.0\r\nWARC-Type: response\r\nWARC-Target-URI: {uri}\r\nContent-Type: \
             application/http; msgtype=response\r\nContent-Length: {}\r\n\r\n{block}\r\n\r\n",
            block.len()
        )
    };
    let warc = format!("{}{}", record("http://h/bad"), record("http://h/good"));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.warc");
    std::fs::write(&path, warc).unwrap();
    let out = neardup()
        .env("NEARDUP_INJECT_PANIC", "http://h/bad")
        .args(["scan", "--keep-going", "--format", "json"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let report: Report = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report.stats.documents, 1);
    assert!(skipped_paths(&report).contains("http://h/bad"));
    let out = neardup()
        .env("NEARDUP_INJECT_PANIC", "http://h/bad")
        .arg("scan")
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("c.warc: http://h/bad: internal error"),
        "{stderr}"
    );
}
