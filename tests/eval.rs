//! `neardup params` and `neardup eval` from the command line.

use predicates::prelude::*;

use crate::util::{corpus, neardup, repo_path};

#[test]
fn params_shows_the_chosen_banding_and_its_curve() {
    neardup()
        .args(["params", "--threshold", "0.8", "--num-perm", "128"])
        .assert()
        .success()
        .stdout(predicate::str::contains("16 bands × 8 rows"))
        .stdout(predicate::str::contains("0.85  0.9938"));
    let out = neardup()
        .args(["params", "--bands", "9", "--rows", "13", "--format", "json"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (v["bands"].as_u64(), v["rows"].as_u64()),
        (Some(9), Some(13))
    );
    assert_eq!(v["curve"].as_array().unwrap().len(), 15);
    neardup()
        .args(["params", "--bands", "64", "--rows", "4"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("exceeds"));
}

#[test]
fn eval_scores_the_sample_report_against_its_labels_and_the_exact_truth() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.json");
    let sample = repo_path("corpora/sample");
    neardup()
        .args(["scan", "--format", "json", "-o"])
        .arg(&report)
        .arg(&sample)
        .assert()
        .success();
    let out = neardup()
        .arg("eval")
        .arg(&report)
        .args(["--labels", &repo_path("corpora/sample-labels.json")])
        .args(["--corpus", &sample, "--format", "json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let e: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(e["f1"], 1.0);
    assert_eq!(e["adjusted_rand_index"], 1.0);
    assert!(e["recall_by_similarity"]["1.00"]["total"].as_u64().unwrap() > 0);
    neardup()
        .arg("eval")
        .arg(&report)
        .args(["--truth", "exact", "--corpus", &sample])
        .assert()
        .success()
        .stdout(predicate::str::contains("F1 1.0000"))
        .stdout(predicate::str::contains("true pairs missed: 0"));
}

#[test]
fn eval_of_a_file_that_is_not_a_report_is_an_error_naming_it() {
    let dir = corpus(&[("report.json", b"{\"not\": \"a report\"}")]);
    let path = dir.path().join("report.json");
    neardup()
        .arg("eval")
        .arg(&path)
        .args(["--labels", &repo_path("corpora/sample-labels.json")])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("report.json"))
        .stderr(predicate::str::contains("not a neardup JSON report"));
    neardup()
        .arg("eval")
        .arg(&path)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--labels"));
}

#[test]
fn eval_reads_the_corpus_with_the_input_options_of_the_scan() {
    let line = "The harbour authority said the northern port would reopen next week.";
    let jsonl = format!(
        "{{\"body\": \"{line}\"}}\n{{\"body\": \"Other news.\"}}\n{{\"body\": \"{line}\"}}\n"
    );
    let dir = corpus(&[("c/d.jsonl", jsonl.as_bytes())]);
    let report = dir.path().join("report.json");
    neardup()
        .args(["scan", "--text-field", "body", "--format", "json", "-o"])
        .arg(&report)
        .arg(dir.path().join("c"))
        .assert()
        .success();
    let out = neardup()
        .arg("eval")
        .arg(&report)
        .args([
            "--truth",
            "exact",
            "--text-field",
            "body",
            "--format",
            "json",
            "--corpus",
        ])
        .arg(dir.path().join("c"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let e: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(e["true_pairs"], 1);
    assert_eq!(e["f1"], 1.0);
}
