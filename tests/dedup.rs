//! `neardup dedup`: the cleaned corpus round-trips, untouched files are identical, line ends
//! are kept, mark mode, scopes, and the refusals.

use std::path::Path;

use crate::util::{corpus, neardup, repo_path, scan_json};

fn dedup(input: &Path, out: &Path, extra: &[&str]) -> std::process::Output {
    neardup()
        .arg("dedup")
        .arg(input)
        .arg("--out")
        .arg(out)
        .args(extra)
        .output()
        .unwrap()
}

fn ok(out: &std::process::Output) -> String {
    assert!(
        out.status.success(),
        "dedup failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

/// Every file under `dir`, relative, sorted.
fn files(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            e.path()
                .strip_prefix(dir)
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    v.sort();
    v
}

#[test]
fn cleaned_sample_corpus_has_no_cluster_left() {
    let input = repo_path("corpora/sample");
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("clean");
    let line = ok(&dedup(Path::new(&input), &out, &[]));
    let before = scan_json(&[&input]);
    assert!(
        line.starts_with(&format!(
            "removed {} paragraphs",
            before.stats.duplicate_paragraphs
        )),
        "{line}"
    );
    assert_eq!(files(Path::new(&input)), files(&out));
    let after = scan_json(&[out.to_str().unwrap()]);
    assert_eq!(after.clusters.len(), 0, "{:#?}", after.clusters);
    assert_eq!(
        after.stats.paragraphs,
        before.stats.paragraphs - before.stats.duplicate_paragraphs
    );
    // Files without duplicates are byte-identical copies.
    let touched: std::collections::BTreeSet<&str> = before
        .clusters
        .iter()
        .flat_map(|c| c.members.iter().skip(1).map(|m| m.path.as_str()))
        .collect();
    for f in files(Path::new(&input)) {
        let same = std::fs::read(Path::new(&input).join(&f)).unwrap()
            == std::fs::read(out.join(&f)).unwrap();
        // The report names files as given (`…/corpora/sample/a.txt`), the output by their path
        // below the corpus.
        let given = neardup::ingest::slash_path(&Path::new(&input).join(&f));
        assert_eq!(same, !touched.contains(given.as_str()), "{f}");
    }
}

#[test]
fn scope_across_keeps_an_articles_own_repetitions() {
    let input = repo_path("corpora/sample");
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("clean");
    ok(&dedup(Path::new(&input), &out, &["--scope", "across"]));
    let after = scan_json(&[out.to_str().unwrap()]);
    assert!(!after.clusters.is_empty());
    assert!(after
        .clusters
        .iter()
        .all(|c| c.scope == neardup::cluster::Scope::Within));
}

#[test]
fn drop_boilerplate_removes_every_copy_and_keep_longest_keeps_the_longest() {
    let footer = "All rights reserved by the gazette";
    let dir = corpus(&[
        (
            "a.txt",
            format!("alpha story one two\n{footer}\n").as_bytes(),
        ),
        (
            "b.txt",
            format!("beta story three four\n{footer}\n").as_bytes(),
        ),
        (
            "c.txt",
            format!("gamma story five six\n{footer}\n").as_bytes(),
        ),
        (
            "d.txt",
            b"the lead of the story is here\nthe lead of the story is here!!!\n",
        ),
    ]);
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("o");
    let args = [
        "--boilerplate-min-docs",
        "3",
        "--drop-boilerplate",
        "--keep",
        "longest",
    ];
    ok(&dedup(dir.path(), &out, &args));
    for f in ["a.txt", "b.txt", "c.txt"] {
        let text = std::fs::read_to_string(out.join(f)).unwrap();
        assert!(!text.contains(footer), "{f}: {text}");
        assert_eq!(text.lines().count(), 1);
    }
    assert_eq!(
        std::fs::read_to_string(out.join("d.txt")).unwrap(),
        "the lead of the story is here!!!\n"
    );
    // Without --drop-boilerplate one footer stays.
    let out2 = tmp.path().join("o2");
    ok(&dedup(dir.path(), &out2, &["--boilerplate-min-docs", "3"]));
    let kept: usize = ["a.txt", "b.txt", "c.txt"]
        .iter()
        .filter(|f| {
            std::fs::read_to_string(out2.join(f))
                .unwrap()
                .contains(footer)
        })
        .count();
    assert_eq!(kept, 1);
}

#[test]
fn crlf_bom_and_non_text_files_are_preserved() {
    let dir = corpus(&[
        (
            "a.txt",
            b"\xEF\xBB\xBFTitle line\r\nBody text here\r\nTitle line\r\n",
        ),
        ("deep/x/notes.bin", b"\x00\x01binary"),
        ("deep/x/b.md", b"unique words only\n"),
    ]);
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("o");
    ok(&dedup(dir.path(), &out, &[]));
    assert_eq!(
        std::fs::read(out.join("a.txt")).unwrap(),
        b"\xEF\xBB\xBFTitle line\r\nBody text here\r\n"
    );
    assert_eq!(
        std::fs::read(out.join("deep/x/notes.bin")).unwrap(),
        b"\x00\x01binary"
    );
    assert_eq!(
        std::fs::read(out.join("deep/x/b.md")).unwrap(),
        b"unique words only\n"
    );
}

#[test]
fn blank_split_removes_blocks() {
    let dir = corpus(&[(
        "a.txt",
        b"first block\nof two lines\n\nsecond\n\nfirst block\nof two lines\n",
    )]);
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("o");
    ok(&dedup(dir.path(), &out, &["--split", "blank"]));
    assert_eq!(
        std::fs::read_to_string(out.join("a.txt")).unwrap(),
        "first block\nof two lines\n\nsecond\n"
    );
}

#[test]
fn mark_mode_copies_everything_and_lists_the_removals() {
    let input = repo_path("corpora/sample");
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("marked");
    let line = ok(&dedup(Path::new(&input), &out, &["--mode", "mark"]));
    assert!(line.starts_with("marked "), "{line}");
    for f in files(Path::new(&input)) {
        assert_eq!(
            std::fs::read(Path::new(&input).join(&f)).unwrap(),
            std::fs::read(out.join(&f)).unwrap(),
            "{f}"
        );
    }
    let sidecar = std::fs::read_to_string(out.join(neardup::dedup::SIDECAR)).unwrap();
    let before = scan_json(&[&input]);
    assert_eq!(sidecar.lines().count(), before.stats.duplicate_paragraphs);
    for l in sidecar.lines() {
        let r: neardup::dedup::Removal = serde_json::from_str(l).unwrap();
        assert!(r.kept.is_some());
    }
}

fn refused(out: &std::process::Output, needle: &str) {
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(needle), "stderr: {err}");
}

#[test]
fn refusals() {
    let dir = corpus(&[("a.txt", b"same line\nsame line\n")]);
    // Output inside the input.
    refused(
        &dedup(dir.path(), &dir.path().join("clean"), &[]),
        "inside the input",
    );
    assert!(!dir.path().join("clean").exists());
    // Output equal to the input.
    refused(&dedup(dir.path(), dir.path(), &[]), "inside the input");
    // Input inside the output.
    let outer = tempfile::tempdir().unwrap();
    let inner = outer.path().join("corpus");
    std::fs::create_dir(&inner).unwrap();
    std::fs::write(inner.join("a.txt"), "x\n").unwrap();
    refused(
        &dedup(&inner, outer.path(), &["--force"]),
        "contains the input",
    );
    // Non-empty output without --force; with --force it is written.
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("keep.txt"), "mine\n").unwrap();
    refused(&dedup(dir.path(), tmp.path(), &[]), "--force");
    ok(&dedup(dir.path(), tmp.path(), &["--force"]));
    assert_eq!(
        std::fs::read_to_string(tmp.path().join("a.txt")).unwrap(),
        "same line\n"
    );
    assert_eq!(
        std::fs::read_to_string(tmp.path().join("keep.txt")).unwrap(),
        "mine\n"
    );
    // A file as input.
    let empty = tempfile::tempdir().unwrap();
    refused(
        &dedup(&dir.path().join("a.txt"), &empty.path().join("o"), &[]),
        "one corpus directory",
    );
    // An output that is a file.
    refused(
        &dedup(dir.path(), &tmp.path().join("keep.txt"), &[]),
        "not a directory",
    );
}

#[cfg(unix)]
#[test]
fn never_writes_through_a_symlink_in_the_output() {
    let dir = corpus(&[("sub/a.txt", b"same line\nsame line\n")]);
    let out = tempfile::tempdir().unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(elsewhere.path(), out.path().join("sub")).unwrap();
    refused(
        &dedup(dir.path(), out.path(), &["--force"]),
        "symbolic link",
    );
    assert_eq!(std::fs::read_dir(elsewhere.path()).unwrap().count(), 0);
}

#[test]
fn output_is_identical_for_one_and_two_threads() {
    let input = repo_path("corpora/sample");
    let tmp = tempfile::tempdir().unwrap();
    let (one, two) = (tmp.path().join("one"), tmp.path().join("two"));
    let l1 = ok(&dedup(Path::new(&input), &one, &["--threads", "1"]));
    let l2 = ok(&dedup(Path::new(&input), &two, &["--threads", "2"]));
    assert_eq!(l1.replace("one", ""), l2.replace("two", ""));
    assert_eq!(files(&one), files(&two));
    for f in files(&one) {
        assert_eq!(
            std::fs::read(one.join(&f)).unwrap(),
            std::fs::read(two.join(&f)).unwrap(),
            "{f}"
        );
    }
}
