//! Passages through the index (`index build --passages`, `query --passages`, `scan --index
//! --passages`): the Arabic fixture's quote found from a longer paragraph, a quote in three
//! articles, refusals, damaged passage sections, determinism, adds and compaction, and the
//! committed format-2 fixture.

use std::path::{Path, PathBuf};

use neardup::index::Index;
use neardup::synth::{generate_passages, PassageSynthConfig};
use proptest::prelude::*;
use serde_json::Value;

use crate::index::{fail_in, run_in, segment_files, walk};
use crate::util::{corpus, repo_path, split_articles, text_corpus};

/// The minister's quote of the Arabic fixture (line 7, restated with diacritics on line 14).
const AR_QUOTE: &str = "إن إعادة فتح الجسر أمام الشاحنات ليست مطروحة حاليا لأن الفحوص الهندسية \
                        والتقارير المخبرية لم تكتمل بعد";
const QUOTE: &str = "the bridge will not reopen to heavy trucks until the engineering tests and \
                     laboratory reports are complete";

/// `neardup query --index IDX QUERY --passages --format json` in `dir`, parsed.
fn query_passages(dir: &Path, idx: &str, query: &str) -> Value {
    let out = run_in(
        dir,
        &[
            "query",
            "--index",
            idx,
            query,
            "--passages",
            "--format",
            "json",
        ],
    );
    serde_json::from_slice(&out).unwrap()
}

/// Each passage cluster of a query result as `(path, line, text)` of its spans.
fn spans(v: &Value) -> Vec<Vec<(String, u64, String)>> {
    v["passages"]["clusters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            c["spans"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| {
                    (
                        s["path"].as_str().unwrap().to_string(),
                        s["line"].as_u64().unwrap(),
                        s["text"].as_str().unwrap().to_string(),
                    )
                })
                .collect()
        })
        .collect()
}

#[test]
fn the_arabic_quote_is_found_through_the_index_from_a_longer_paragraph() {
    let fixture = std::fs::read(repo_path("tests/fixtures/article-ar.txt")).unwrap();
    let query = format!(
        "عنوان آخر لا علاقة له بالموضوع\nوفي تصريح لاحق نقلته وسائل الإعلام المحلية قال مصدر في \
         الوزارة “{AR_QUOTE}” وأضاف أن القرار نهائي في الوقت الحاضر.\n"
    );
    let dir = corpus(&[
        ("c/article-ar.txt", &fixture),
        (
            "c/other.txt",
            "خبر آخر تماما عن الطقس في المدينة\n".as_bytes(),
        ),
        ("query.txt", query.as_bytes()),
    ]);
    let d = dir.path();
    run_in(d, &["index", "build", "c", "--index", "idx", "--passages"]);
    let v = query_passages(d, "idx", "query.txt");
    assert_eq!(v["schema"], "neardup.query/1");
    let p = &v["passages"];
    assert_eq!(p["params"]["min_words"], 10);
    let clusters = p["clusters"].as_array().unwrap();
    assert_eq!(clusters.len(), 1, "{p:#}");
    let c = &clusters[0];
    assert_eq!(c["scope"], "across");
    let got = spans(&v);
    assert_eq!(
        got[0],
        [
            ("query.txt".to_string(), 2, AR_QUOTE.to_string()),
            ("c/article-ar.txt".to_string(), 7, AR_QUOTE.to_string()),
            (
                "c/article-ar.txt".to_string(),
                14,
                "أنّ «إعادة فتح الجسر أمام الشاحنات ليست مطروحةً حالياً، لأن الفحوص الهندسية \
                 والتقارير المخبرية لم تكتمل بعد"
                    .to_string()
            ),
        ]
    );
    // Every span quotes its file exactly, with paragraph, words and byte span.
    let text = String::from_utf8(fixture).unwrap();
    for s in c["spans"].as_array().unwrap() {
        let (start, end) = (
            s["byte_start"].as_u64().unwrap() as usize,
            s["byte_end"].as_u64().unwrap() as usize,
        );
        let source = if s["path"] == "query.txt" {
            &query
        } else {
            &text
        };
        assert_eq!(&source[start..end], s["text"].as_str().unwrap());
        assert_eq!(s["words"], 17);
    }
    assert_eq!(c["spans"][1]["paragraph"], 3);
    assert_eq!(c["spans"][2]["paragraph"], 8);
    // The query's span is linked to each indexed span, wholly contained.
    let links = c["links"].as_array().unwrap();
    assert_eq!(links.len(), 2);
    for (l, b) in links.iter().zip([1, 2]) {
        assert_eq!((l["a"].as_u64(), l["b"].as_u64()), (Some(0), Some(b)));
        assert_eq!(l["shared_words"], 17);
        assert_eq!(l["containment"], 1.0);
    }
    assert_eq!(p["stats"]["dropped_fingerprints"], 0);

    // The text format shows the passage in context.
    let out = run_in(d, &["query", "--index", "idx", "query.txt", "--passages"]);
    let out = String::from_utf8(out).unwrap();
    assert!(out.contains("passages: 1 cluster, 3 spans"), "{out}");
    assert!(out.contains("c/article-ar.txt:14"), "{out}");
}

/// Three articles quoting [`QUOTE`] and one that does not, as (path, text).
fn three_quoting_articles() -> Vec<(String, String)> {
    vec![
        (
            "c/a.txt".into(),
            format!("Title\nThe minister said: “{QUOTE}”, adding nothing else.\n"),
        ),
        (
            "c/b.txt".into(),
            format!("Other story\nAsked about the strike, she repeated that {QUOTE}.\n"),
        ),
        (
            "d/c.txt".into(),
            format!("Yet another\nIn March officials insisted {QUOTE}; nobody believed it.\n"),
        ),
        (
            "d/d.txt".into(),
            "Nothing shared here at all\nonly the weather and the harvest\n".into(),
        ),
    ]
}

#[test]
fn a_quote_in_three_articles_is_one_cluster_of_three_indexed_spans_and_the_query() {
    let dir = passage_index();
    let d = dir.path();
    std::fs::write(
        d.join("q.txt"),
        format!("Column\nWe were told again and again: {QUOTE} — but when?\n"),
    )
    .unwrap();
    let v = query_passages(d, "idx", "q.txt");
    let got = spans(&v);
    assert_eq!(got.len(), 1, "{:#}", v["passages"]);
    let places: Vec<(&str, u64)> = got[0].iter().map(|s| (s.0.as_str(), s.1)).collect();
    assert_eq!(
        places,
        [("q.txt", 2), ("c/a.txt", 2), ("c/b.txt", 2), ("d/c.txt", 2)]
    );
    assert!(got[0].iter().all(|s| s.2 == QUOTE));
    let c = &v["passages"]["clusters"][0];
    assert_eq!(c["links"].as_array().unwrap().len(), 3);
    assert_eq!(v["passages"]["stats"]["clusters"], 1);
    assert_eq!(v["passages"]["stats"]["spans"], 4);
    // The paragraph matches are still there, and the library says the same.
    assert_eq!(v["paragraphs"].as_array().unwrap().len(), 2);
    let index = Index::open(d.join("idx")).unwrap();
    let text = std::fs::read_to_string(d.join("q.txt")).unwrap();
    let report = index.query_passages(&text).unwrap();
    assert_eq!(report.clusters.len(), 1);
    assert_eq!(report.clusters[0].spans.len(), 4);
    assert_eq!(report.clusters[0].spans[0].path, "-");
}

#[test]
fn boilerplate_fingerprints_are_capped_as_in_the_scan() {
    let footer = "leave a comment your email address will not be published required fields are \
                  marked with a star";
    let files: Vec<(String, String)> = (0..30)
        .map(|i| {
            (
                format!("c/{i:02}.txt"),
                format!("story number {i} unique words w{i}x w{i}y\n{footer}\n"),
            )
        })
        .collect();
    let dir = text_corpus(&files);
    let d = dir.path();
    std::fs::write(d.join("q.txt"), format!("my page\n{footer}\n")).unwrap();
    // Thirty indexed places and the query's: over a cap of 10, under the default of 100.
    // (Not every fingerprint is in all of them: winnowing near the footer's first words
    // depends on the words before it.)
    run_in(
        d,
        &["index", "build", "c", "--index", "default", "--passages"],
    );
    // The cap is not a flag: set it through the library.
    let mut config = neardup::Config::default();
    let mut passages = neardup::passage::PassageConfig::default();
    passages.max_occurrences = 10;
    config.passages = Some(passages);
    neardup::IndexWriter::create(d.join("capped"), &config)
        .unwrap()
        .add_paths(&[d.join("c")], neardup::index::AddOptions::default())
        .unwrap();
    for (idx, found) in [("capped", false), ("default", true)] {
        let v = query_passages(d, idx, "q.txt");
        let stats = &v["passages"]["stats"];
        let clusters = v["passages"]["clusters"].as_array().unwrap();
        assert_eq!(!clusters.is_empty(), found, "{idx}: {stats}");
        if found {
            assert_eq!(clusters[0]["spans"].as_array().unwrap().len(), 31);
            assert_eq!(stats["dropped_fingerprints"], 0);
        } else {
            assert!(stats["dropped_fingerprints"].as_u64().unwrap() > 0);
            assert!(
                stats["dropped_occurrences"].as_u64().unwrap()
                    > 10 * stats["dropped_fingerprints"].as_u64().unwrap()
            );
        }
    }
}

#[test]
fn passages_on_an_index_without_fingerprints_are_refused_with_advice() {
    let dir = corpus(&[("c/a.txt", format!("Title\n{QUOTE}\n").as_bytes())]);
    let d = dir.path();
    run_in(d, &["index", "build", "c", "--index", "idx"]);
    std::fs::write(d.join("q.txt"), QUOTE).unwrap();
    for args in [
        &["query", "--index", "idx", "q.txt", "--passages"][..],
        &["scan", "--index", "idx", "--passages"],
        &["index", "add", "c", "--index", "idx", "--passages"],
    ] {
        let err = fail_in(d, args);
        assert!(
            err.contains("no passage fingerprints")
                && err.contains("neardup index build PATHS --index DIR --passages"),
            "{args:?}: {err}"
        );
    }
    // The format-1 fixture likewise, and its plain queries are unchanged: no passage key.
    let v1 = repo_path("tests/fixtures/index-v1/index");
    let err = fail_in(d, &["query", "--index", &v1, "q.txt", "--passages"]);
    assert!(err.contains("no passage fingerprints"), "{err}");
    let out = run_in(d, &["query", "--index", &v1, "q.txt", "--format", "json"]);
    let v: Value = serde_json::from_slice(&out).unwrap();
    assert!(v.get("passages").is_none());
    // An index without passages is still written as format 1.
    let manifest = std::fs::read_to_string(d.join("idx/manifest.json")).unwrap();
    assert!(manifest.contains("\"format_version\": 1"), "{manifest}");
    assert!(!manifest.contains("passages"), "{manifest}");
    // Passage flags that differ from the index's are refused.
    run_in(d, &["index", "build", "c", "--index", "p", "--passages"]);
    let err = fail_in(
        d,
        &[
            "scan",
            "--index",
            "p",
            "--passages",
            "--min-passage-words",
            "12",
        ],
    );
    assert!(err.contains("--min-passage-words 12 (index: 10)"), "{err}");
}

// ---------------------------------------------------------------------------------------
// Damage

/// Byte range of section `kind` (1-based) of a segment file, read from its section table.
fn section(bytes: &[u8], kind: usize) -> std::ops::Range<usize> {
    let e = 128 + (kind - 1) * 32;
    let word = |at: usize| u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap()) as usize;
    let (offset, len) = (word(e + 8), word(e + 16));
    offset..offset + len
}

/// [`three_quoting_articles`] indexed with passages in two commits (`c`, then `d`) in
/// `idx`, and a query `q.txt` quoting [`QUOTE`].
fn passage_index() -> tempfile::TempDir {
    let dir = text_corpus(&three_quoting_articles());
    let d = dir.path();
    run_in(d, &["index", "build", "c", "--index", "idx", "--passages"]);
    run_in(d, &["index", "add", "d", "--index", "idx"]);
    std::fs::write(d.join("q.txt"), format!("Quote\nthey said {QUOTE} again\n")).unwrap();
    dir
}

#[test]
fn damaged_passage_sections_give_errors_naming_the_file() {
    let dir = passage_index();
    let d = dir.path();
    let seg = segment_files(&d.join("idx"))[0].clone();
    let name = seg.file_name().unwrap().to_string_lossy().into_owned();
    let good = std::fs::read(&seg).unwrap();
    let query = ["query", "--index", "idx", "q.txt", "--passages"];

    // Write `bytes`, run `args`, expect exit status 2 and an error naming the file and
    // `needle`.
    let expect = |bytes: &[u8], args: &[&str], needle: &str| {
        std::fs::write(&seg, bytes).unwrap();
        let err = fail_in(d, args);
        assert!(
            err.contains(&name) && err.contains(needle),
            "{args:?}: {err}"
        );
    };
    let verify = ["index", "verify", "idx"];

    // Places pointing past every document: found by the query and the scan that read them.
    let mut b = good.clone();
    b[section(&good, 10)].fill(0xFF);
    expect(&b, &query, "section passage");
    expect(
        &b,
        &["scan", "--index", "idx", "--passages"],
        "section passage",
    );
    expect(&b, &verify, "section passage places: checksum mismatch");

    // A damaged fingerprint is found by verify.
    let mut b = good.clone();
    let prints = section(&good, 9);
    b[prints.start..prints.start + 8].fill(0xFF);
    expect(
        &b,
        &verify,
        "section passage fingerprints: checksum mismatch",
    );

    // A word table that does not end at the header's word count is refused at open.
    let mut b = good.clone();
    let words = section(&good, 8);
    b[words.end - 4..words.end].copy_from_slice(&7u32.to_le_bytes());
    expect(&b, &query, "section passage words");

    // A section length that disagrees with the header's count is refused at open.
    let mut b = good.clone();
    b[128 + 8 * 32 + 16] ^= 8; // length of section 9
    expect(&b, &query, "header");

    std::fs::write(&seg, &good).unwrap();
    run_in(d, &["index", "verify", "idx"]);
    run_in(d, &query);
}

/// Open, query for passages, scan with passages and verify; Err at the first failure. Must
/// never panic.
fn exercise(idx: &Path) -> Result<(), neardup::Error> {
    let index = Index::open(idx)?;
    index.query_passages(&format!("they said {QUOTE} again"))?;
    index.scan(passages_options())?;
    index.verify()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    /// Any flipped byte of a segment with passages is found by open, the passage query, the
    /// scan or verify; nothing panics.
    #[test]
    fn any_damaged_byte_of_a_passage_segment_is_detected(at in any::<prop::sample::Index>(), flip in 1u8..=255) {
        let dir = passage_index();
        let idx = dir.path().join("idx");
        let seg = segment_files(&idx)[0].clone();
        let mut bytes = std::fs::read(&seg).unwrap();
        let i = at.index(bytes.len());
        bytes[i] ^= flip;
        std::fs::write(&seg, &bytes).unwrap();
        prop_assert!(exercise(&idx).is_err(), "byte {} of {} flipped undetected", i, seg.display());
    }
}

// ---------------------------------------------------------------------------------------
// Determinism, adds and compaction

/// A generated passage corpus of `articles` articles written into roots `b1` … `b{roots}`.
fn passage_corpus(articles: usize, roots: usize) -> tempfile::TempDir {
    let corpus = generate_passages(&PassageSynthConfig {
        seed: 5,
        articles,
        passages: articles / 2,
        ..PassageSynthConfig::default()
    });
    split_articles(&corpus.articles, roots)
}

#[test]
fn index_files_with_passages_are_identical_for_any_thread_count() {
    // Over 2 MB: batches of 1 MB give several sorted runs to merge.
    let dir = passage_corpus(1800, 1);
    let d = dir.path();
    let bytes: u64 = walk(&d.join("b1"))
        .iter()
        .map(|p| p.metadata().unwrap().len())
        .sum();
    assert!(bytes > 2 << 20, "{bytes}");
    for (name, threads, batch) in [("one", "1", "1"), ("two", "2", "1"), ("whole", "2", "64")] {
        run_in(
            d,
            &[
                "index",
                "build",
                "b1",
                "--index",
                name,
                "--passages",
                "--threads",
                threads,
                "--batch-mb",
                batch,
                "-q",
            ],
        );
    }
    let files = segment_files(&d.join("one"));
    assert_eq!(files.len(), 1);
    // Neither the thread count nor the batch size changes a byte.
    for other in ["two", "whole"] {
        for name in ["manifest.json", "seg-0000000000000001.ndx"] {
            assert!(
                std::fs::read(d.join("one").join(name)).unwrap()
                    == std::fs::read(d.join(other).join(name)).unwrap(),
                "{name} differs ({other})"
            );
        }
    }
    let stats: Value =
        serde_json::from_slice(&run_in(d, &["index", "stats", "one", "--format", "json"])).unwrap();
    assert!(stats["passages"]["fingerprints"].as_u64().unwrap() > 1000);
    assert_eq!(stats["passages"]["params"]["min_words"], 10);
}

#[test]
fn passages_survive_add_and_compact_and_scan_index_equals_scan() {
    let dir = passage_corpus(150, 3);
    let d = dir.path();
    run_in(d, &["index", "build", "b1", "--index", "idx", "--passages"]);
    run_in(d, &["index", "add", "b2", "--index", "idx"]);
    run_in(d, &["index", "add", "b3", "--index", "idx", "--passages"]);
    let expected = run_in(
        d,
        &["scan", "b1", "b2", "b3", "--passages", "--format", "json"],
    );
    let report: neardup::Report = serde_json::from_slice(&expected).unwrap();
    let passages = report.passages.as_ref().unwrap();
    assert!(passages.clusters.len() > 40, "{:?}", passages.stats);
    let scan_index = |threads: &str| {
        run_in(
            d,
            &[
                "scan",
                "--index",
                "idx",
                "--passages",
                "--format",
                "json",
                "--threads",
                threads,
            ],
        )
    };
    for threads in ["1", "2"] {
        assert!(
            scan_index(threads) == expected,
            "scan --index --passages differs (threads {threads})"
        );
    }
    // A query with a whole article finds what the scan pairs it with.
    let article = walk(&d.join("b2"))[0].clone();
    let rel = article
        .strip_prefix(d)
        .unwrap()
        .to_string_lossy()
        .into_owned();
    let before = query_passages(d, "idx", &rel);
    run_in(d, &["index", "compact", "idx"]);
    run_in(d, &["index", "verify", "idx"]);
    assert_eq!(segment_files(&d.join("idx")).len(), 1);
    assert!(scan_index("2") == expected, "differs after compact");
    let after = query_passages(d, "idx", &rel);
    assert!(before == after, "query differs after compact");

    // A replaced document's old fingerprints no longer match; its new text does.
    let old = std::fs::read_to_string(&article).unwrap();
    std::fs::write(&article, format!("Replaced\n{QUOTE}\n")).unwrap();
    run_in(d, &["index", "add", "b2", "--index", "idx"]);
    std::fs::write(d.join("old.txt"), &old).unwrap();
    let v = query_passages(d, "idx", "old.txt");
    assert!(
        spans(&v).iter().flatten().all(|s| s.0 != rel),
        "{rel} still matches"
    );
    std::fs::write(d.join("q.txt"), format!("they said {QUOTE}\n")).unwrap();
    let v = query_passages(d, "idx", "q.txt");
    assert_eq!(spans(&v)[0][1].0, rel);
    run_in(d, &["index", "compact", "idx"]);
    assert_eq!(query_passages(d, "idx", "q.txt"), v);
}

// ---------------------------------------------------------------------------------------
// The committed format-2 fixture

/// `index add --passages` without `--min-passage-words` takes the index's value (it used to
/// compare the flag's default, 10, and refuse an index built with another).
#[test]
fn add_with_passages_alone_takes_the_index_min_words() {
    let dir = passage_corpus(40, 2);
    let d = dir.path();
    let args = |line: &'static str| line.split(' ').collect::<Vec<_>>();
    run_in(
        d,
        &args("index build b1 --index idx --passages --min-passage-words 14"),
    );
    run_in(d, &args("index add b2 --index idx --passages"));
    let stats: Value =
        serde_json::from_slice(&run_in(d, &["index", "stats", "idx", "--format", "json"])).unwrap();
    assert_eq!(stats["passages"]["params"]["min_words"], 14);
    let err = fail_in(
        d,
        &args("index add b2 --index idx --passages --min-passage-words 10"),
    );
    assert!(err.contains("--min-passage-words 10 (index: 14)"), "{err}");
    // `scan --index -v` times writing the report, as `scan` does.
    let out = crate::util::neardup()
        .current_dir(d)
        .args(["scan", "--index", "idx", "--passages", "-v", "-o", "r.json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("timing: write"), "{stderr}");
}

#[test]
fn the_format_2_fixture_still_reads() {
    let root = PathBuf::from(repo_path(""));
    let fx = root.join("tests/fixtures/index-v2");
    let index = Index::open(fx.join("index")).unwrap();
    index.verify().unwrap();
    assert_eq!(index.manifest().format_version, 2);
    let stats = index.stats().unwrap();
    assert_eq!((stats.documents, stats.segments), (3, 2));
    assert_eq!(stats.replaced_documents, 1);
    let passages = stats.passages.unwrap();
    assert_eq!(passages.params.min_words, 10);
    assert!(passages.fingerprints > 50);

    // Paragraph queries work as on a format-1 index.
    let a = std::fs::read_to_string(fx.join("corpus/a.txt")).unwrap();
    let results = index.query_text(&a).unwrap();
    assert_eq!(
        results[1].matches[0].path,
        "tests/fixtures/index-v2/corpus/a.txt"
    );
    assert_eq!(results[1].matches[0].similarity, 1.0);

    // The port sentence is in a.txt, the new b.txt and c.txt; the replaced b.txt held it too
    // but no longer matches.
    let report = index
        .query_passages(
            "Reuters: the northern port would reopen to cargo ships within a week, once divers \
             have cleared the wreck.",
        )
        .unwrap();
    assert_eq!(report.clusters.len(), 1);
    let places: Vec<(&str, u32)> = report.clusters[0]
        .spans
        .iter()
        .map(|s| (s.path.as_str(), s.line))
        .collect();
    assert_eq!(
        places,
        [
            ("-", 1),
            ("tests/fixtures/index-v2/corpus/a.txt", 2),
            ("tests/fixtures/index-v2/corpus/b.txt", 2),
            ("tests/fixtures/index-v2/corpus/c.txt", 3),
        ]
    );
    let arabic = index.query_passages(AR_QUOTE).unwrap();
    assert_eq!(arabic.clusters.len(), 1);
    assert_eq!(arabic.clusters[0].spans.len(), 3);

    // scan --index --passages gives the passages a scan of the files gives.
    let report = index.scan(passages_options()).unwrap();
    assert!(report.skipped.is_empty(), "{:?}", report.skipped);
    let mut config = neardup::Config::default();
    config.passages = Some(neardup::passage::PassageConfig::default());
    let expected = neardup::Scanner::new(config)
        .unwrap()
        .scan_paths(&[
            fx.join("corpus/a.txt"),
            fx.join("corpus/b.txt"),
            fx.join("corpus/c.txt"),
        ])
        .unwrap();
    let shape = |r: &neardup::Report| -> Vec<Vec<(u32, String)>> {
        let p = r.passages.as_ref().unwrap();
        p.clusters
            .iter()
            .map(|c| c.spans.iter().map(|s| (s.line, s.text.clone())).collect())
            .collect()
    };
    assert_eq!(shape(&report), shape(&expected));
    assert_eq!(shape(&report).len(), 2);
}

/// What `scan --index --passages` asks of the library.
fn passages_options() -> neardup::index::IndexScanOptions {
    let mut options = neardup::index::IndexScanOptions::default();
    options.passages = true;
    options
}
