//! The command line: formats, exit codes, bad input.

use predicates::prelude::*;

use crate::util::{corpus, neardup, scan_json};
use neardup::ingest;

const STORY: &str = "The harbour authority said on Sunday that the northern port would reopen \
to cargo ships within a week, once divers have cleared the wreck that has blocked the main \
channel since the storm.";

fn two_articles() -> tempfile::TempDir {
    let edited = STORY.replace("within a week", "within a fortnight");
    corpus(&[
        (
            "a.txt",
            format!("Port reopens\n{STORY}\nFooter line here\n").as_bytes(),
        ),
        (
            "sub/b.txt",
            format!("Harbour news\n\n{edited}\nFooter line here\n").as_bytes(),
        ),
    ])
}

#[test]
fn text_report_names_places_and_similarity() {
    let dir = two_articles();
    neardup()
        .arg("scan")
        .arg(dir.path())
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "2 documents, 6 paragraphs: 2 clusters",
        ))
        .stdout(predicate::str::contains("a.txt:2"))
        .stdout(predicate::str::contains("sub/b.txt:3"))
        .stdout(predicate::str::contains("near · across"));
}

#[test]
fn json_report_has_the_documented_fields() {
    let dir = two_articles();
    let out = neardup()
        .args(["scan", "--format", "json"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["schema"], "neardup.report/2");
    for key in [
        "threshold",
        "num_perm",
        "bands",
        "rows",
        "shingle",
        "split",
        "normalizer_version",
        "seed",
    ] {
        assert!(!v["params"][key].is_null(), "params.{key} missing");
    }
    for key in [
        "documents",
        "paragraphs",
        "clusters",
        "duplicate_paragraphs",
    ] {
        assert!(v["stats"][key].is_u64(), "stats.{key} missing");
    }
    let near = &v["clusters"][0];
    assert_eq!(near["kind"], "near");
    assert_eq!(near["scope"], "across");
    let m = &near["members"][1];
    // Named as given: the directory as typed joined with the path below it.
    let given = ingest::slash_path(&dir.path().join("sub/b.txt"));
    assert_eq!(m["path"], given.as_str());
    assert_eq!(m["paragraph"], 1);
    assert_eq!(m["line"], 3);
    assert!(m["similarity"].as_f64().unwrap() >= 0.8);
    for key in ["byte_start", "byte_end", "text"] {
        assert!(!m[key].is_null());
    }
    assert_eq!(v["clusters"][1]["kind"], "exact");
}

#[test]
fn jsonl_is_one_cluster_per_line_and_output_file_is_written() {
    let dir = two_articles();
    let out = neardup()
        .args(["scan", "--format", "jsonl"])
        .arg(dir.path())
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text.lines().count(), 2);
    for line in text.lines() {
        let c: neardup::Cluster = serde_json::from_str(line).unwrap();
        assert!(c.members.len() >= 2);
    }
    let report = dir.path().join("out/report.json");
    std::fs::create_dir(dir.path().join("out")).unwrap();
    neardup()
        .args(["scan", "--format", "json", "-o"])
        .arg(&report)
        .arg(dir.path().join("a.txt"))
        .arg(dir.path().join("sub"))
        .assert()
        .success()
        .stdout("");
    let r: neardup::Report = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    assert_eq!(r.stats.documents, 2);
}

#[test]
fn byte_spans_survive_bom_and_crlf() {
    let text = "\u{FEFF}Title line\r\nSecond line\r\nTitle line\r\n";
    let dir = corpus(&[("a.txt", text.as_bytes())]);
    let r = scan_json(&[dir.path().to_str().unwrap()]);
    let m = &r.clusters[0].members;
    assert_eq!((m[0].byte_start, m[0].byte_end), (3, 13));
    assert_eq!(
        &text.as_bytes()[m[1].byte_start as usize..m[1].byte_end as usize],
        b"Title line"
    );
    assert_eq!((m[0].line, m[1].line), (1, 3));
}

#[test]
fn blank_split_takes_blocks() {
    let dir = corpus(&[
        ("a.txt", b"one\ntwo three\n\nfour five\n"),
        ("b.txt", b"one\ntwo three\n\nsix\n"),
    ]);
    let r = scan_json(&["--split", "blank", dir.path().to_str().unwrap()]);
    assert_eq!(r.stats.paragraphs, 4);
    assert_eq!(r.clusters.len(), 1);
    assert_eq!(r.clusters[0].members[0].text, "one\ntwo three");
}

#[test]
fn invalid_utf8_is_an_error_naming_file_and_offset_unless_lossy() {
    let dir = corpus(&[("bad.txt", b"caf\xe9 au lait\ncaf\xe9 au lait\n")]);
    neardup()
        .arg("scan")
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("bad.txt"))
        .stderr(predicate::str::contains("byte offset 3"));
    let r = scan_json(&["--lossy", dir.path().to_str().unwrap()]);
    assert_eq!(r.clusters.len(), 1);
    assert_eq!(r.clusters[0].members[1].byte_start, 13);
}

#[test]
fn binary_files_are_skipped_with_a_warning_and_empty_files_are_fine() {
    let dir = corpus(&[
        ("bin.txt", b"abc\x00def"),
        ("empty.txt", b""),
        ("a.txt", b"same words here\nsame words here\n"),
    ]);
    neardup()
        .arg("scan")
        .current_dir(dir.path())
        .arg(".")
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "warning: skipped bin.txt: binary file",
        ));
    let r = scan_json(&[dir.path().to_str().unwrap()]);
    assert_eq!(r.stats.documents, 2);
    assert_eq!(r.skipped.len(), 1);
}

#[test]
fn missing_input_is_an_error_and_keep_going_skips_it() {
    let dir = corpus(&[("a.txt", b"same words here\nsame words here\n")]);
    let missing = dir.path().join("nope");
    neardup()
        .arg("scan")
        .arg(dir.path())
        .arg(&missing)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("nope"));
    let out = neardup()
        .args(["scan", "--keep-going", "--format", "json"])
        .arg(dir.path())
        .arg(&missing)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "a skip under --keep-going is reported"
    );
    let r: neardup::Report = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r.clusters.len(), 1);
    assert!(String::from_utf8_lossy(&out.stderr).contains("warning: skipped"));
}

/// A skip may be one line of a file: the text summary counts inputs, not files, and names
/// the line.
#[test]
fn the_text_summary_counts_skipped_inputs_not_files() {
    let dir = corpus(&[(
        "d.jsonl",
        b"{\"text\": \"same words here\"}\nnot json\n{\"text\": \"same words here\"}\n",
    )]);
    let out = neardup()
        .args(["scan", "--keep-going", "-q"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("skipped 1 input:\n  ") && text.contains("d.jsonl:2: not JSON"),
        "{text}"
    );
}

/// Issue 11: a stale link inside a directory is a warning naming it and its target, and the
/// scan goes on (it was an error that called the link a directory).
#[cfg(unix)]
#[test]
fn broken_symlink_in_a_directory_is_a_warning_naming_it() {
    let dir = corpus(&[("a.txt", b"text\n")]);
    std::os::unix::fs::symlink(dir.path().join("gone"), dir.path().join("link.txt")).unwrap();
    for keep_going in [false, true] {
        neardup()
            .arg("scan")
            .args(keep_going.then_some("--keep-going"))
            .current_dir(dir.path())
            .arg(".")
            .assert()
            .code(0)
            .stderr(predicate::str::contains(
                "warning: skipped link.txt: broken symbolic link to",
            ))
            .stderr(predicate::str::contains("gone (no such file)"));
    }
}

#[test]
fn fail_on_duplicates_sets_exit_status_one() {
    let dir = two_articles();
    neardup()
        .args(["scan", "--fail-on-duplicates"])
        .arg(dir.path())
        .assert()
        .code(1);
    let clean = corpus(&[("a.txt", b"one thing\nanother thing entirely\n")]);
    neardup()
        .args(["scan", "--fail-on-duplicates"])
        .arg(clean.path())
        .assert()
        .code(0)
        .stdout(predicate::str::contains("0 clusters"));
}

#[test]
fn bad_parameters_are_errors_with_exit_status_two() {
    let dir = two_articles();
    neardup()
        .args(["scan", "--threshold", "1.5"])
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("threshold"));
    neardup()
        .args(["scan", "--bands", "40", "--rows", "8"])
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("exceeds"));
    neardup().arg("scan").assert().code(2);
}

#[test]
fn normalize_shows_what_is_compared() {
    neardup()
        .args([
            "normalize",
            "لافروف: أكّد أنّ الاقتراحَ ليس مطروحاً",
            "Hello,  WORLD!",
        ])
        .assert()
        .success()
        .stdout("لافروف اكد ان الاقتراح ليس مطروحا\nhello world\n");
    neardup()
        .arg("normalize")
        .write_stdin("Straße\n٢٠١٦\n")
        .assert()
        .success()
        .stdout("strasse\n2016\n");
}

#[test]
fn closed_stdout_is_not_an_error() {
    // Enough clusters that the report outgrows the pipe buffer.
    let text: String = (0..3000)
        .map(|i| format!("line number {i} repeated\n"))
        .collect();
    let dir = corpus(&[("a.txt", text.as_bytes()), ("b.txt", text.as_bytes())]);
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_neardup"))
        .arg("scan")
        .arg(dir.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
}
