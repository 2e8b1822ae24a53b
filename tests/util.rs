//! Small helpers shared by the integration tests.

use std::collections::BTreeSet;
use std::path::Path;

use neardup::Report;

/// The `neardup` binary built for these tests.
pub fn neardup() -> assert_cmd::Command {
    assert_cmd::Command::new(env!("CARGO_BIN_EXE_neardup"))
}

/// A temporary directory holding `files` (relative path, contents).
pub fn corpus(files: &[(&str, &[u8])]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, bytes) in files {
        let full = dir.path().join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(full, bytes).unwrap();
    }
    dir
}

/// A temporary directory holding `files` (relative path, text).
pub fn text_corpus(files: &[(String, String)]) -> tempfile::TempDir {
    let refs: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(p, t)| (p.as_str(), t.as_bytes()))
        .collect();
    corpus(&refs)
}

/// A temporary directory holding generated `articles` dealt in turn into roots `b1` …
/// `b{parts}`.
pub fn split_articles(
    articles: &[neardup::synth::SynthArticle],
    parts: usize,
) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (i, a) in articles.iter().enumerate() {
        let path = dir.path().join(format!("b{}", i % parts + 1)).join(&a.path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, &a.text).unwrap();
    }
    dir
}

/// Run `neardup scan ARGS --format json` and parse the report.
pub fn scan_json(args: &[&str]) -> Report {
    let out = neardup()
        .arg("scan")
        .args(args)
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.code() == Some(0),
        "scan failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The clusters of a report as sets of `path:paragraph`.
pub fn cluster_sets(report: &Report) -> BTreeSet<BTreeSet<String>> {
    report
        .clusters
        .iter()
        .map(|c| {
            c.members
                .iter()
                .map(|m| format!("{}:{}", m.path, m.paragraph))
                .collect()
        })
        .collect()
}

/// Path of a file in the repository.
pub fn repo_path(rel: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(rel)
        .to_string_lossy()
        .into_owned()
}
