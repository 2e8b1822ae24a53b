//! The persistent index: incremental adds reproduce `scan`, queries, parameters, locking,
//! snapshots, corruption and crash safety, and the committed format-1 fixture.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use neardup::index::WriterLock;
use neardup::index::{AddOptions, Index, IndexScanOptions, IndexWriter};
use neardup::synth::{generate, SynthConfig};
use neardup::Config;
use proptest::prelude::*;

use crate::util::{corpus, neardup, repo_path, split_articles};

/// A synthetic corpus split into `parts` roots `b1`, `b2`, … under a temporary directory.
fn split_corpus(paragraphs: usize, parts: usize, seed: u64) -> tempfile::TempDir {
    let config = SynthConfig {
        paragraphs,
        seed,
        ..SynthConfig::default()
    };
    split_articles(&generate(&config).articles, parts)
}

/// Run neardup in `dir`; assert exit status 0; stdout.
pub(crate) fn run_in(dir: &Path, args: &[&str]) -> Vec<u8> {
    let out = neardup().current_dir(dir).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "neardup {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Run neardup in `dir` expecting exit status 2; stderr.
pub(crate) fn fail_in(dir: &Path, args: &[&str]) -> String {
    let out = neardup().current_dir(dir).args(args).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "neardup {args:?} should fail");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn adding_in_batches_then_scan_index_equals_one_scan() {
    let dir = split_corpus(1500, 3, 11);
    let d = dir.path();
    run_in(d, &["index", "build", "b1", "--index", "idx"]);
    run_in(d, &["index", "add", "b2", "--index", "idx"]);
    run_in(d, &["index", "add", "b3", "--index", "idx"]);
    let expected = run_in(d, &["scan", "b1", "b2", "b3", "--format", "json"]);
    let report: neardup::Report = serde_json::from_slice(&expected).unwrap();
    assert!(
        report.clusters.len() > 20,
        "the corpus should have duplicates"
    );
    for threads in ["1", "2"] {
        let got = run_in(
            d,
            &[
                "scan",
                "--index",
                "idx",
                "--format",
                "json",
                "--threads",
                threads,
            ],
        );
        assert!(got == expected, "scan --index differs (threads {threads})");
    }
    // Compaction changes the files, not the clusters.
    run_in(d, &["index", "compact", "idx"]);
    let segments = std::fs::read_dir(d.join("idx"))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with("seg-")
        })
        .count();
    assert_eq!(segments, 1);
    assert!(run_in(d, &["scan", "--index", "idx", "--format", "json"]) == expected);
    run_in(d, &["index", "verify", "idx"]);
}

/// One naming rule (issue 12): a single directory, indexed then scanned through the index,
/// reports the very paths (and bytes) its direct scan reports; for `c`, `./c/` and the absolute
/// path alike, since a document is named as given.
#[test]
fn scan_index_of_one_directory_reports_the_paths_of_its_scan() {
    let dir = split_corpus(600, 1, 3);
    let d = dir.path();
    let absolute = d.join("b1").to_string_lossy().into_owned();
    for (i, root) in ["b1", "./b1/", absolute.as_str()].into_iter().enumerate() {
        let idx = format!("idx{i}");
        run_in(d, &["index", "build", root, "--index", &idx]);
        let expected = run_in(d, &["scan", root, "--format", "json"]);
        let report: neardup::Report = serde_json::from_slice(&expected).unwrap();
        assert!(
            report.clusters.len() > 5,
            "the corpus should have duplicates"
        );
        let first = &report.clusters[0].members[0].path;
        let prefix = if i == 2 {
            format!("{absolute}/")
        } else {
            "b1/".into()
        };
        assert!(first.starts_with(&prefix), "{root}: {first}");
        let got = run_in(d, &["scan", "--index", &idx, "--format", "json"]);
        assert!(
            got == expected,
            "{root}: scan --index names documents otherwise"
        );
    }
}

#[test]
fn estimate_and_exact_verification_also_match_the_scan() {
    let dir = split_corpus(600, 2, 5);
    let d = dir.path();
    for verify in ["estimate", "exact"] {
        let idx = format!("idx-{verify}");
        run_in(
            d,
            &["index", "build", "b1", "--index", &idx, "--verify", verify],
        );
        run_in(d, &["index", "add", "b2", "--index", &idx]);
        let expected = run_in(
            d,
            &["scan", "b1", "b2", "--format", "json", "--verify", verify],
        );
        assert!(run_in(d, &["scan", "--index", &idx, "--format", "json"]) == expected);
    }
}

const STORY: &str = "The harbour authority said on Sunday that the northern port would reopen \
to cargo ships within a week, once divers have cleared the wreck that has blocked the main \
channel since the storm.";
const OTHER: &str = "Farmers in the southern valley expect a record olive harvest this autumn \
after a wet spring and a mild summer, the cooperative said in its annual report.";

fn query_json(dir: &Path, index: &str, text: &str, extra: &[&str]) -> serde_json::Value {
    let out = neardup()
        .current_dir(dir)
        .args(["query", "--index", index, "-", "--format", "json"])
        .args(extra)
        .write_stdin(text.to_string())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn query_finds_indexed_paragraphs_with_their_similarity() {
    let edited = STORY.replace("within a week", "within a fortnight");
    let dir = corpus(&[
        (
            "c/a.txt",
            format!("Port news\n{STORY}\n{OTHER}\n").as_bytes(),
        ),
        ("c/b.txt", format!("Harbour\n{edited}\n").as_bytes()),
    ]);
    let d = dir.path();
    run_in(d, &["index", "build", "c", "--index", "idx"]);
    let v = query_json(d, "idx", &format!("Unrelated title words\n{STORY}\n"), &[]);
    assert_eq!(v["schema"], "neardup.query/1");
    assert_eq!(v["query"], "-");
    let paragraphs = v["paragraphs"].as_array().unwrap();
    assert_eq!(paragraphs.len(), 2);
    assert!(paragraphs[0]["matches"].as_array().unwrap().is_empty());
    let matches = paragraphs[1]["matches"].as_array().unwrap();
    assert_eq!(matches.len(), 2, "{matches:?}");
    // Itself, identical, first; then the edited copy.
    assert_eq!(matches[0]["path"], "c/a.txt");
    assert_eq!(matches[0]["paragraph"], 1);
    assert_eq!(matches[0]["line"], 2);
    assert_eq!(matches[0]["similarity"], 1.0);
    assert_eq!(matches[0]["method"], "identical");
    assert_eq!(matches[1]["path"], "c/b.txt");
    let s = matches[1]["similarity"].as_f64().unwrap();
    assert!((0.8..1.0).contains(&s));
    for key in ["byte_start", "byte_end"] {
        assert!(matches[0][key].is_u64());
    }
    // --limit keeps the best.
    let v = query_json(d, "idx", STORY, &["--limit", "1"]);
    assert_eq!(v["paragraphs"][0]["matches"].as_array().unwrap().len(), 1);
    // Text output names the place.
    let out = neardup()
        .current_dir(d)
        .args(["query", "--index", "idx", "c/b.txt"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("c/a.txt:2"), "{text}");
}

#[test]
fn every_indexed_paragraph_finds_itself_with_similarity_one() {
    let dir = split_corpus(300, 1, 3);
    let d = dir.path();
    run_in(d, &["index", "build", "b1", "--index", "idx"]);
    let index = Index::open(d.join("idx")).unwrap();
    let mut checked = 0;
    for entry in walk(&d.join("b1")) {
        let text = std::fs::read_to_string(&entry).unwrap();
        let rel = entry
            .strip_prefix(d)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        for p in index.query_text(&text).unwrap() {
            assert!(
                p.matches
                    .iter()
                    .any(|m| m.path == rel && m.paragraph == p.paragraph && m.similarity == 1.0),
                "{rel}:{} did not find itself",
                p.paragraph
            );
            checked += 1;
        }
    }
    assert!(checked >= 300);
}

pub(crate) fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out.sort();
    out
}

#[test]
fn re_adding_is_a_no_op_and_changed_files_replace_their_old_version() {
    let dir = corpus(&[
        ("c/a.txt", format!("{STORY}\n").as_bytes()),
        ("c/b.txt", format!("{OTHER}\n").as_bytes()),
    ]);
    let d = dir.path();
    run_in(d, &["index", "build", "c", "--index", "idx"]);
    let before = std::fs::read(d.join("idx/manifest.json")).unwrap();
    let out = run_in(d, &["index", "add", "c", "--index", "idx"]);
    assert!(String::from_utf8_lossy(&out).contains("0 added, 0 replaced, 2 unchanged"));
    assert_eq!(std::fs::read(d.join("idx/manifest.json")).unwrap(), before);

    // b.txt changes: the old text stops matching, the new one matches.
    let new_text = "A completely different paragraph about the city council budget vote, which \
                    was postponed until next month after a long debate.";
    std::fs::write(d.join("c/b.txt"), format!("{new_text}\n")).unwrap();
    let out = run_in(d, &["index", "add", "c", "--index", "idx"]);
    assert!(String::from_utf8_lossy(&out).contains("0 added, 1 replaced, 1 unchanged"));
    let v = query_json(d, "idx", OTHER, &[]);
    assert!(v["paragraphs"][0]["matches"].as_array().unwrap().is_empty());
    let v = query_json(d, "idx", new_text, &[]);
    assert_eq!(v["paragraphs"][0]["matches"][0]["path"], "c/b.txt");
    let stats: serde_json::Value =
        serde_json::from_slice(&run_in(d, &["index", "stats", "idx", "--format", "json"])).unwrap();
    assert_eq!(stats["documents"], 2);
    assert_eq!(stats["replaced_documents"], 1);
    assert_eq!(stats["segments"], 2);
    // And the clusters are those of a scan of the files as they are now.
    let expected = run_in(d, &["scan", "c/a.txt", "c/b.txt", "--format", "json"]);
    assert!(run_in(d, &["scan", "--index", "idx", "--format", "json"]) == expected);
    run_in(d, &["index", "compact", "idx"]);
    let stats: serde_json::Value =
        serde_json::from_slice(&run_in(d, &["index", "stats", "idx", "--format", "json"])).unwrap();
    assert_eq!(stats["replaced_documents"], 0);
    assert_eq!(stats["documents"], 2);
}

#[test]
fn a_changed_source_is_reported_not_fatal() {
    let dir = corpus(&[
        ("c/a.txt", format!("{STORY}\n").as_bytes()),
        ("c/b.txt", format!("{STORY}\n").as_bytes()),
    ]);
    let d = dir.path();
    run_in(d, &["index", "build", "c", "--index", "idx"]);
    std::fs::write(d.join("c/b.txt"), "rewritten\n").unwrap();
    let out = neardup()
        .current_dir(d)
        .args(["scan", "--index", "idx", "--format", "json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("c/b.txt: changed or missing"));
    let report: neardup::Report = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        report.clusters.len(),
        1,
        "the index still holds both versions' signatures"
    );
    assert_eq!(report.skipped[0].path, "c/b.txt");
    assert_eq!(report.clusters[0].members[1].text, "");
}

#[test]
fn a_source_rewritten_to_the_same_length_or_grown_is_stale() {
    // The length is compared before reading and the content hash after: both must catch it.
    for replacement in [
        format!("{}\n", STORY.to_uppercase()),
        format!("{STORY}\n").repeat(50),
    ] {
        let dir = corpus(&[
            ("c/a.txt", format!("{STORY}\n").as_bytes()),
            ("c/b.txt", format!("{STORY}\n").as_bytes()),
        ]);
        let d = dir.path();
        run_in(d, &["index", "build", "c", "--index", "idx"]);
        std::fs::write(d.join("c/b.txt"), &replacement).unwrap();
        let out = run_in(d, &["scan", "--index", "idx", "--format", "json"]);
        let report: neardup::Report = serde_json::from_slice(&out).unwrap();
        assert_eq!(report.skipped.len(), 1, "{replacement:.40}");
        assert_eq!(report.skipped[0].path, "c/b.txt");
        assert_eq!(report.clusters[0].members[1].text, "");
    }
}

#[test]
fn parameters_other_than_the_index_s_are_refused_with_advice() {
    let dir = corpus(&[("c/a.txt", format!("{STORY}\n").as_bytes())]);
    let d = dir.path();
    run_in(
        d,
        &[
            "index",
            "build",
            "c",
            "--index",
            "idx",
            "--threshold",
            "0.7",
        ],
    );
    // Without flags, add and query use the index's parameters.
    run_in(d, &["index", "add", "c", "--index", "idx"]);
    let err = fail_in(
        d,
        &["index", "add", "c", "--index", "idx", "--shingle", "4"],
    );
    assert!(
        err.contains("parameters differ") && err.contains("--shingle 4 (index: 3)"),
        "{err}"
    );
    let err = fail_in(
        d,
        &["query", "--index", "idx", "c/a.txt", "--threshold", "0.9"],
    );
    assert!(err.contains("--threshold 0.9 (index: 0.7)"), "{err}");
    let err = fail_in(d, &["scan", "--index", "idx", "--num-perm", "64"]);
    assert!(err.contains("--num-perm 64"), "{err}");
    // Equal values and another verification mode are fine.
    run_in(
        d,
        &[
            "query",
            "--index",
            "idx",
            "c/a.txt",
            "--threshold",
            "0.7",
            "--verify",
            "exact",
        ],
    );
    let err = fail_in(d, &["index", "build", "c", "--index", "idx"]);
    assert!(err.contains("already holds an index"), "{err}");
}

#[test]
fn a_second_writer_is_refused_while_readers_go_on() {
    let dir = corpus(&[("c/a.txt", format!("{STORY}\n").as_bytes())]);
    let d = dir.path();
    run_in(d, &["index", "build", "c", "--index", "idx"]);
    let lock = WriterLock::acquire(&d.join("idx")).unwrap();
    let err = fail_in(d, &["index", "add", "c", "--index", "idx"]);
    assert!(err.contains("index is locked by another writer"), "{err}");
    let err = fail_in(d, &["index", "compact", "idx"]);
    assert!(err.contains("locked"), "{err}");
    // Readers take no lock.
    run_in(d, &["query", "--index", "idx", "c/a.txt"]);
    run_in(d, &["index", "verify", "idx"]);
    drop(lock);
    run_in(d, &["index", "add", "c", "--index", "idx"]);
}

#[test]
fn an_open_index_keeps_its_snapshot_through_commits_and_compaction() {
    let dir = corpus(&[
        ("c/a.txt", format!("{STORY}\n").as_bytes()),
        ("d/b.txt", format!("{OTHER}\n").as_bytes()),
    ]);
    let d = dir.path();
    let idx = d.join("idx");
    let mut w = IndexWriter::create(&idx, &Config::default()).unwrap();
    w.add_paths(&[d.join("c")], AddOptions::default()).unwrap();
    drop(w);
    let old = Index::open(&idx).unwrap();
    let mut w = IndexWriter::open(&idx, None).unwrap();
    w.add_paths(&[d.join("d")], AddOptions::default()).unwrap();
    assert!(w.compact().unwrap());
    drop(w);
    // The old snapshot: one document, its segment file unlinked but still mapped.
    assert_eq!(old.stats().unwrap().documents, 1);
    old.verify().unwrap();
    assert!(old.query_text(OTHER).unwrap()[0].matches.is_empty());
    assert_eq!(old.query_text(STORY).unwrap()[0].matches.len(), 1);
    let new = Index::open(&idx).unwrap();
    assert_eq!(new.stats().unwrap().documents, 2);
    assert_eq!(new.query_text(OTHER).unwrap()[0].matches.len(), 1);
}

#[test]
fn a_failed_add_leaves_the_previous_commit() {
    let dir = corpus(&[
        ("c/a.txt", format!("{STORY}\n").as_bytes()),
        ("d/b.txt", format!("{OTHER}\n").as_bytes()),
        ("d/c.txt", b"caf\xe9\n"),
    ]);
    let d = dir.path();
    run_in(d, &["index", "build", "c", "--index", "idx"]);
    let before = std::fs::read(d.join("idx/manifest.json")).unwrap();
    let err = fail_in(d, &["index", "add", "d", "--index", "idx"]);
    assert!(err.contains("invalid UTF-8"), "{err}");
    assert_eq!(std::fs::read(d.join("idx/manifest.json")).unwrap(), before);
    let names: Vec<String> = std::fs::read_dir(d.join("idx"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names.len(),
        3,
        "only .lock, manifest and one segment: {names:?}"
    );
    run_in(d, &["index", "verify", "idx"]);
    // --keep-going adds the rest and exits 2 for the skipped file.
    let out = neardup()
        .current_dir(d)
        .args(["index", "add", "d", "--index", "idx", "--keep-going"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        Index::open(d.join("idx"))
            .unwrap()
            .stats()
            .unwrap()
            .documents,
        2
    );
}

#[test]
fn an_add_stopped_between_batches_commits_nothing() {
    let dir = corpus(&[
        ("c/a.txt", format!("{STORY}\n").as_bytes()),
        ("d/b.txt", format!("{OTHER}\n").as_bytes()),
        ("d/c.txt", format!("{STORY} again\n").as_bytes()),
    ]);
    let d = dir.path();
    run_in(d, &["index", "build", "c", "--index", "idx"]);
    let before = std::fs::read(d.join("idx/manifest.json")).unwrap();
    // One file per batch: the check runs before each batch and before the commit.
    let options = AddOptions {
        batch_bytes: 1,
        ..AddOptions::default()
    };
    let mut calls = Vec::new();
    let mut writer = IndexWriter::open(d.join("idx"), None).unwrap();
    let err = writer
        .add_paths_checked(&[d.join("d")], options.clone(), &mut |done, total| {
            calls.push((done, total));
            if done == 1 {
                Err(neardup::Error::Interrupted)
            } else {
                Ok(())
            }
        })
        .unwrap_err();
    assert!(matches!(err, neardup::Error::Interrupted), "{err}");
    assert_eq!(calls, [(0, 2), (1, 2)]);
    drop(writer);
    assert_eq!(std::fs::read(d.join("idx/manifest.json")).unwrap(), before);
    run_in(d, &["index", "verify", "idx"]);
    // Unstopped, the same add calls the check once more before committing.
    calls.clear();
    let mut writer = IndexWriter::open(d.join("idx"), None).unwrap();
    let summary = writer
        .add_paths_checked(&[d.join("d")], options, &mut |done, total| {
            calls.push((done, total));
            Ok(())
        })
        .unwrap();
    assert_eq!(summary.added, 2);
    assert_eq!(calls, [(0, 2), (1, 2), (2, 2), (2, 2)]);
}

#[test]
fn an_add_refuses_input_options_it_cannot_honour_and_honours_lossy() {
    let dir = corpus(&[("c/a.txt", b"Caf\xe9 au lait on the corner\n")]);
    let d = dir.path();
    let mut writer = IndexWriter::create(d.join("idx"), &Config::default()).unwrap();
    // A filter of directory walks would be ignored by a reader of plain text: refused.
    let mut options = AddOptions::default();
    options.input.include = vec!["*.txt".into()];
    let err = writer
        .add_paths(&[d.join("c")], options.clone())
        .unwrap_err();
    assert!(matches!(err, neardup::Error::InvalidParameter(_)), "{err}");
    assert!(err.to_string().contains("--include"), "{err}");
    // Invalid UTF-8 fails the add, unless lossy (the option a scan takes, defined once).
    assert!(writer
        .add_paths(&[d.join("c")], AddOptions::default())
        .is_err());
    options.input = neardup::ingest::InputOptions::default();
    options.input.lossy = true;
    let summary = writer.add_paths(&[d.join("c")], options).unwrap();
    assert_eq!(summary.added, 1);
}

// ---------------------------------------------------------------------------------------
// Corruption

/// A small index (two segments) to damage, and its corpus.
fn small_index() -> tempfile::TempDir {
    let dir = corpus(&[
        (
            "c/a.txt",
            format!("Port news\n{STORY}\n{OTHER}\n").as_bytes(),
        ),
        ("d/b.txt", format!("{OTHER}\nshort line\n").as_bytes()),
    ]);
    let d = dir.path();
    run_in(d, &["index", "build", "c", "--index", "idx"]);
    run_in(d, &["index", "add", "d", "--index", "idx"]);
    dir
}

pub(crate) fn segment_files(idx: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(idx)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "ndx"))
        .collect();
    v.sort();
    v
}

/// Open, verify and use an index; Err at the first failure. Must never panic.
fn exercise(idx: &Path) -> Result<(), neardup::Error> {
    let index = Index::open(idx)?;
    let _ = index.query_text(STORY);
    let _ = index.scan(IndexScanOptions::default());
    let _ = index.stats();
    index.verify()
}

#[test]
fn damaged_files_give_errors_naming_file_and_section() {
    let dir = small_index();
    let idx = dir.path().join("idx");
    let seg = segment_files(&idx)[0].clone();
    let good = std::fs::read(&seg).unwrap();
    let name = seg.file_name().unwrap().to_string_lossy().into_owned();

    let check = |bytes: &[u8], expect: &str| {
        std::fs::write(&seg, bytes).unwrap();
        let err = fail_in(dir.path(), &["index", "verify", "idx"]);
        assert!(
            err.contains(&name) && err.contains(expect),
            "{expect}: {err}"
        );
    };
    check(&good[..good.len() / 2], "truncated");
    let mut b = good.clone();
    b[0] ^= 1;
    check(&b, "header: wrong magic");
    let mut b = good.clone();
    b[8] = 3; // format version 3
    check(&b, "format version 3 is not supported");
    let mut b = good.clone();
    let last_section_byte = good.len() - 40;
    b[last_section_byte] ^= 0x40;
    check(&b, "section band fences: checksum mismatch");
    std::fs::write(&seg, &good).unwrap();
    run_in(dir.path(), &["index", "verify", "idx"]);

    std::fs::remove_file(&seg).unwrap();
    let err = fail_in(dir.path(), &["index", "stats", "idx"]);
    assert!(err.contains(&name) && err.contains("missing"), "{err}");
    std::fs::write(&seg, &good).unwrap();

    let manifest = idx.join("manifest.json");
    let text = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(
        &manifest,
        text.replace("\"format_version\": 1", "\"format_version\": 9"),
    )
    .unwrap();
    let err = fail_in(dir.path(), &["query", "--index", "idx", "-"]);
    assert!(
        err.contains("manifest.json: manifest: index format version 9"),
        "{err}"
    );
    std::fs::write(
        &manifest,
        text.replace("\"deleted\": []", "\"deleted\": [0]"),
    )
    .unwrap();
    let err = fail_in(dir.path(), &["index", "verify", "idx"]);
    assert!(err.contains("manifest: checksum mismatch"), "{err}");
    std::fs::write(&manifest, &text).unwrap();
    assert!(exercise(&idx).is_ok());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Any flipped byte of a segment is found by open or verify; nothing panics.
    #[test]
    fn any_damaged_segment_byte_is_detected(which in 0usize..2, at in any::<prop::sample::Index>(), flip in 1u8..=255) {
        let dir = small_index();
        let idx = dir.path().join("idx");
        let seg = segment_files(&idx)[which].clone();
        let mut bytes = std::fs::read(&seg).unwrap();
        let i = at.index(bytes.len());
        bytes[i] ^= flip;
        std::fs::write(&seg, &bytes).unwrap();
        prop_assert!(exercise(&idx).is_err(), "byte {} of {} flipped undetected", i, seg.display());
    }

    /// A truncated segment is refused at open.
    #[test]
    fn truncated_segments_are_refused(which in 0usize..2, at in any::<prop::sample::Index>()) {
        let dir = small_index();
        let idx = dir.path().join("idx");
        let seg = segment_files(&idx)[which].clone();
        let bytes = std::fs::read(&seg).unwrap();
        std::fs::write(&seg, &bytes[..at.index(bytes.len())]).unwrap();
        prop_assert!(Index::open(&idx).is_err());
    }

    /// A damaged or truncated manifest never panics; if it still parses, it is the same
    /// manifest (only whitespace changed) and the index is whole.
    #[test]
    fn damaged_manifests_never_panic(at in any::<prop::sample::Index>(), flip in 1u8..=255, truncate: bool) {
        let dir = small_index();
        let idx = dir.path().join("idx");
        let path = idx.join("manifest.json");
        let mut bytes = std::fs::read(&path).unwrap();
        let i = at.index(bytes.len());
        if truncate {
            bytes.truncate(i);
        } else {
            bytes[i] ^= flip;
        }
        std::fs::write(&path, &bytes).unwrap();
        if exercise(&idx).is_ok() {
            prop_assert_eq!(Index::open(&idx).unwrap().stats().unwrap().documents, 2);
        }
    }

    /// The lock file's content does not matter.
    #[test]
    fn the_lock_file_content_is_irrelevant(content in proptest::collection::vec(any::<u8>(), 0..64)) {
        let dir = small_index();
        let idx = dir.path().join("idx");
        std::fs::write(idx.join(".lock"), &content).unwrap();
        prop_assert!(exercise(&idx).is_ok());
        prop_assert!(IndexWriter::open(&idx, None).is_ok());
    }
}

// ---------------------------------------------------------------------------------------
// Crash safety

/// Kill a writer at many moments; every time the index opens at a committed state and
/// verifies, and the next writer succeeds and leaves no stray files.
#[test]
fn killing_a_writer_at_any_moment_leaves_a_committed_index() {
    let dir = split_corpus(4000, 2, 21);
    let d = dir.path();
    let bin = env!("CARGO_BIN_EXE_neardup");
    // Committed states: b1 alone (before the add commits), or b1 and b2.
    let b1_docs = walk(&d.join("b1")).len() as u64;
    let all_docs = b1_docs + walk(&d.join("b2")).len() as u64;
    let mut outcomes = std::collections::BTreeSet::new();
    for (round, delay_ms) in [0u64, 2, 5, 10, 20, 35, 50, 80, 120, 170, 250, 400]
        .into_iter()
        .enumerate()
    {
        let idx = d.join(format!("idx{round}"));
        let idx_s = idx.to_string_lossy().into_owned();
        run_in(
            d,
            &["index", "build", "b1", "--index", &idx_s, "--batch-mb", "1"],
        );
        for command in [
            vec!["index", "add", "b2", "--index", &idx_s, "--batch-mb", "1"],
            vec!["index", "compact", &idx_s],
        ] {
            let mut child = std::process::Command::new(bin)
                .current_dir(d)
                .args(&command)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            std::thread::sleep(Duration::from_millis(delay_ms));
            let _ = child.kill(); // SIGKILL on Unix
            let status = child.wait().unwrap();
            let index = Index::open(&idx)
                .unwrap_or_else(|e| panic!("{command:?} killed after {delay_ms} ms: {e}"));
            index
                .verify()
                .unwrap_or_else(|e| panic!("{command:?} killed after {delay_ms} ms: {e}"));
            let docs = index.stats().unwrap().documents;
            assert!(docs == b1_docs || docs == all_docs, "{docs}");
            outcomes.insert((command[1].to_string(), status.success()));
        }
        // The next writer cleans up and completes.
        run_in(d, &["index", "add", "b2", "--index", &idx_s]);
        run_in(d, &["index", "compact", &idx_s]);
        Index::open(&idx).unwrap().verify().unwrap();
        let stray: Vec<String> = std::fs::read_dir(&idx)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n != ".lock" && n != "manifest.json")
            .collect();
        assert_eq!(stray.len(), 1, "{stray:?}");
        std::fs::remove_dir_all(&idx).unwrap();
    }
    // Some kills must have interrupted the work, or the test proves nothing.
    assert!(
        outcomes.contains(&("add".to_string(), false)),
        "{outcomes:?}"
    );
}

// ---------------------------------------------------------------------------------------
// The committed format-1 fixture

#[test]
fn the_format_1_fixture_still_reads() {
    let root = PathBuf::from(repo_path(""));
    let idx = root.join("tests/fixtures/index-v1/index");
    let index = Index::open(&idx).unwrap();
    index.verify().unwrap();
    let stats = index.stats().unwrap();
    assert_eq!(stats.documents, 3);
    assert_eq!(stats.segments, 2);
    assert_eq!(stats.replaced_documents, 1);
    assert_eq!(index.manifest().format_version, 1);
    let text = std::fs::read_to_string(root.join("tests/fixtures/index-v1/corpus/a.txt")).unwrap();
    let results = index.query_text(&text).unwrap();
    let m = &results[1].matches;
    assert_eq!(m[0].path, "tests/fixtures/index-v1/corpus/a.txt");
    assert_eq!(m[0].similarity, 1.0);
    assert!(m
        .iter()
        .any(|m| m.path == "tests/fixtures/index-v1/corpus/b.txt"));
    // scan --index reads the texts through the paths stored relative to the index.
    let report = index.scan(IndexScanOptions::default()).unwrap();
    assert!(report.skipped.is_empty(), "{:?}", report.skipped);
    let expected = neardup::Scanner::new(Config::default())
        .unwrap()
        .scan_paths(&[
            root.join("tests/fixtures/index-v1/corpus/a.txt"),
            root.join("tests/fixtures/index-v1/corpus/b.txt"),
            root.join("tests/fixtures/index-v1/corpus/c.txt"),
        ])
        .unwrap();
    assert_eq!(report.clusters.len(), expected.clusters.len());
    for (a, b) in report.clusters.iter().zip(&expected.clusters) {
        let texts =
            |c: &neardup::Cluster| c.members.iter().map(|m| m.text.clone()).collect::<Vec<_>>();
        assert_eq!(texts(a), texts(b));
    }
}

/// A copy of the format-1 fixture (corpus and index) under `dir`, at the same relative
/// paths, so the paths stored in the index resolve from `dir`.
fn copy_format_1_fixture(dir: &Path) {
    for part in ["corpus", "index"] {
        let from = PathBuf::from(repo_path("tests/fixtures/index-v1")).join(part);
        let to = dir.join("tests/fixtures/index-v1").join(part);
        std::fs::create_dir_all(&to).unwrap();
        for e in std::fs::read_dir(&from).unwrap() {
            let e = e.unwrap();
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

/// The fixture was built with the earlier default family (`multiply-shift`): it keeps opening,
/// answering and growing with it though new indexes default to `xor-multiply`, and its
/// `scan --index` is byte for byte the scan with `--hash multiply-shift`.
#[test]
fn an_index_keeps_the_hash_family_it_was_built_with() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    copy_format_1_fixture(d);
    let (idx, corpus) = (
        "tests/fixtures/index-v1/index",
        "tests/fixtures/index-v1/corpus",
    );
    let old = "xxh3-64+multiply-shift-32";
    let family = || Index::open(d.join(idx)).unwrap().params().hash.name();
    assert_eq!(family(), old);
    let added = format!("{corpus}/d.txt");
    std::fs::write(
        d.join(&added),
        "The harbour authority said on Sunday that the northern port would reopen to cargo \
         ships within a week, once divers have cleared the wreck that blocked the channel.\n",
    )
    .unwrap();
    run_in(d, &["index", "add", &added, "--index", idx]);
    assert_eq!(family(), old, "a new segment must not change the family");
    let files = ["a", "b", "c", "d"].map(|f| format!("{corpus}/{f}.txt"));
    let scan = |extra: &[&str]| {
        let args = [
            &["scan", "--format", "json"][..],
            extra,
            &files.each_ref().map(String::as_str),
        ];
        String::from_utf8(run_in(d, &args.concat())).unwrap()
    };
    let with_index = run_in(d, &["scan", "--index", idx, "--format", "json"]);
    assert_eq!(
        String::from_utf8(with_index).unwrap(),
        scan(&["--hash", "multiply-shift"])
    );
    assert!(scan(&[]).contains("xxh3-64+xor-multiply-32"));
    // Asking an old index for the new family is a parameter mismatch, named as such.
    let err = fail_in(
        d,
        &[
            "index",
            "add",
            &added,
            "--index",
            idx,
            "--hash",
            "xor-multiply",
        ],
    );
    assert!(
        err.contains("--hash xor-multiply (index: multiply-shift)"),
        "{err}"
    );
    // A query sketches its text with the index's family: the indexed paragraph matches itself.
    let out = run_in(d, &["query", &added, "--index", idx, "--format", "json"]);
    let out = String::from_utf8(out).unwrap();
    assert!(out.contains("\"similarity\": 1.0"), "{out}");
}

#[test]
fn an_unknown_hash_family_is_refused_by_name() {
    let tmp = tempfile::tempdir().unwrap();
    let err = fail_in(tmp.path(), &["scan", ".", "--hash", "md5"]);
    assert!(
        err.contains("unknown hash family \"md5\"") && err.contains("xor-multiply"),
        "{err}"
    );
    // A manifest naming a family this neardup does not know is an error naming the index.
    run_in(tmp.path(), &["index", "build", ".", "--index", "idx"]);
    let manifest = tmp.path().join("idx/manifest.json");
    let text = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(
        &manifest,
        text.replace("xxh3-64+xor-multiply-32", "xxh3-64+future-family"),
    )
    .unwrap();
    let err = fail_in(tmp.path(), &["index", "stats", "idx"]);
    assert!(
        err.contains("idx") && err.contains("future-family"),
        "{err}"
    );
}

#[test]
fn index_files_are_identical_for_any_thread_count() {
    let dir = split_corpus(800, 1, 9);
    let d = dir.path();
    run_in(
        d,
        &[
            "index",
            "build",
            "b1",
            "--index",
            "one",
            "--threads",
            "1",
            "--batch-mb",
            "1",
        ],
    );
    run_in(
        d,
        &[
            "index",
            "build",
            "b1",
            "--index",
            "two",
            "--threads",
            "2",
            "--batch-mb",
            "1",
        ],
    );
    for name in ["manifest.json", "seg-0000000000000001.ndx"] {
        assert!(
            std::fs::read(d.join("one").join(name)).unwrap()
                == std::fs::read(d.join("two").join(name)).unwrap(),
            "{name} differs"
        );
    }
}
