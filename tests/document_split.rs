//! `--split document`: the whole document (file or record) is the unit, with the same report,
//! index and dedup support as paragraphs.

use std::path::Path;

use crate::index::{fail_in, run_in};
use crate::util::{cluster_sets, corpus, scan_json};

/// A document of `paragraphs` lines of twelve words, the words drawn from `seed`.
fn document(seed: u64, paragraphs: usize) -> String {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut text = String::new();
    for _ in 0..paragraphs {
        for w in 0..12 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            if w > 0 {
                text.push(' ');
            }
            text.push_str(&format!("w{}", x % 5000));
        }
        text.push('\n');
    }
    text
}

/// `a` and `b` are the same article with one word changed, `c` another, `d` holds one of
/// `a`'s paragraphs only.
fn articles() -> Vec<(String, String)> {
    let a = document(1, 8);
    let b = a.replacen("w", "changed w", 1);
    let d = a.lines().nth(3).unwrap().to_owned() + "\n" + &document(7, 4);
    vec![
        ("a.txt".into(), a),
        ("b.txt".into(), b),
        ("c.txt".into(), document(2, 8)),
        ("d.txt".into(), d),
    ]
}

fn write(dir: &Path, files: &[(String, String)]) {
    for (p, t) in files {
        std::fs::write(dir.join(p), t).unwrap();
    }
}

#[test]
fn whole_documents_cluster_and_shared_paragraphs_do_not() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), &articles());
    let d = dir.path().to_str().unwrap();
    let report = scan_json(&[d, "--split", "document"]);
    let sets = cluster_sets(&report);
    // Documents are named as given: the directory scanned, then the file.
    let expected = [["a.txt:0", "b.txt:0"]
        .iter()
        .map(|s| format!("{d}/{s}"))
        .collect()]
    .into_iter()
    .collect();
    assert_eq!(sets, expected);
    assert_eq!(report.params.split, neardup::SplitMode::Document);
    // The paragraph split finds the paragraph d shares with a and b as well.
    let lines = scan_json(&[d]);
    assert!(cluster_sets(&lines)
        .iter()
        .any(|c| c.iter().any(|m| m.starts_with(&format!("{d}/d.txt")))));
}

#[test]
fn jsonl_records_are_documents() {
    let files = articles();
    let mut jsonl = String::new();
    for (p, t) in &files {
        let line = serde_json::json!({"id": p, "text": t});
        jsonl.push_str(&line.to_string());
        jsonl.push('\n');
    }
    let dir = corpus(&[("data.jsonl", jsonl.as_bytes())]);
    let path = dir.path().join("data.jsonl");
    let report = scan_json(&[
        path.to_str().unwrap(),
        "--split",
        "document",
        "--id-field",
        "id",
    ]);
    let names: Vec<Vec<&str>> = report
        .clusters
        .iter()
        .map(|c| c.members.iter().map(|m| m.path.as_str()).collect())
        .collect();
    assert_eq!(names.len(), 1, "{names:?}");
    assert!(names[0][0].ends_with("data.jsonl#a.txt"), "{names:?}");
    assert!(names[0][1].ends_with("data.jsonl#b.txt"), "{names:?}");
}

#[test]
fn the_index_keeps_the_document_split_and_refuses_another() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir_all(d.join("c1")).unwrap();
    std::fs::create_dir_all(d.join("c2")).unwrap();
    let files = articles();
    write(&d.join("c1"), &files[..2]);
    write(&d.join("c2"), &files[2..]);
    run_in(
        d,
        &[
            "index", "build", "c1", "--index", "idx", "--split", "document",
        ],
    );
    run_in(d, &["index", "add", "c2", "--index", "idx"]);
    let from_index: neardup::Report =
        serde_json::from_slice(&run_in(d, &["scan", "--index", "idx", "--format", "json"]))
            .unwrap();
    let direct: neardup::Report = serde_json::from_slice(&run_in(
        d,
        &[
            "scan", "c1", "c2", "--split", "document", "--format", "json",
        ],
    ))
    .unwrap();
    assert_eq!(cluster_sets(&from_index), cluster_sets(&direct));
    assert_eq!(from_index.clusters.len(), 1);
    let err = fail_in(
        d,
        &["index", "add", "c2", "--index", "idx", "--split", "lines"],
    );
    assert!(
        err.contains("parameters differ") && err.contains("--split lines (index: document)"),
        "{err}"
    );
}

#[test]
fn dedup_drops_duplicate_documents_and_the_result_has_no_cluster() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in");
    std::fs::create_dir_all(&input).unwrap();
    write(&input, &articles());
    let out = dir.path().join("out");
    let stdout = run_in(
        dir.path(),
        &[
            "dedup", "in", "--out", "out", "--split", "document", "--keep", "first",
        ],
    );
    let summary = String::from_utf8(stdout).unwrap();
    assert!(
        summary.starts_with("removed 1 documents ("),
        "the summary counts documents, not paragraphs: {summary}"
    );
    assert!(out.join("a.txt").is_file());
    assert!(!out.join("b.txt").exists(), "the duplicate is not written");
    assert_eq!(
        std::fs::read(out.join("d.txt")).unwrap(),
        std::fs::read(input.join("d.txt")).unwrap()
    );
    let report = scan_json(&[out.to_str().unwrap(), "--split", "document"]);
    assert!(report.clusters.is_empty());
}
