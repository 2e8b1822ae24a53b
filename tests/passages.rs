//! Passage-level reuse (`--passages`): the Arabic fixture's passage repeats, exact spans, the
//! CLI, determinism, and quality on a generated corpus with passages of known position.

use std::collections::BTreeSet;

use neardup::cluster::Scope;
use neardup::passage::{PassageCluster, PassageConfig};
use neardup::synth::{evaluate_passages, generate_passages, PassageSynthConfig};
use neardup::{Config, Document, Report, Scanner};

use crate::util::{neardup, repo_path, scan_json};

const FIXTURE: &str = "tests/fixtures/article-ar.txt";

/// Each cluster as a set of `line:words`.
fn shapes(report: &Report) -> BTreeSet<BTreeSet<(u32, u32)>> {
    report
        .passages
        .as_ref()
        .expect("passages section")
        .clusters
        .iter()
        .map(|c| c.spans.iter().map(|s| (s.line, s.words)).collect())
        .collect()
}

fn cluster_with_line(report: &Report, line: u32) -> Vec<&PassageCluster> {
    let passages = report.passages.as_ref().expect("passages section");
    passages
        .clusters
        .iter()
        .filter(|c| c.spans.iter().any(|s| s.line == line))
        .collect()
}

#[test]
fn fixture_passage_repeats_are_found_at_the_default_length() {
    let report = scan_json(&[&repo_path(FIXTURE), "--passages"]);
    // Paragraph clusters are unchanged by --passages.
    assert_eq!(report.clusters.len(), 2);
    let passages = report.passages.as_ref().unwrap();
    assert_eq!(passages.params.min_words, 10);
    let expected: BTreeSet<BTreeSet<(u32, u32)>> = [
        // The title (19 words) printed twice, and restated in the lead (line 5): "سيتم إغلاق
        // جسر النهر القديم [في مدينة رأس العين] أمام الشاحنات الثقيلة حتى انتهاء", 10 shared
        // words across a 4-word insertion.
        [(1, 19), (3, 19), (5, 14)].into(),
        // The minister's quote (line 7), restated inside the long paragraph of line 14 with
        // shadda, tanween, a comma and «» instead of “”: 17 words.
        [(7, 17), (14, 17)].into(),
        // The bus-line paragraph and its diacritised copy (also a paragraph cluster).
        [(11, 29), (16, 29)].into(),
    ]
    .into();
    assert_eq!(shapes(&report), expected);

    let quote = cluster_with_line(&report, 7)[0];
    assert_eq!(quote.scope, Scope::Within);
    assert_eq!(
        quote.text,
        "ان اعاده فتح الجسر امام الشاحنات ليست مطروحه حاليا لان الفحوص الهندسيه والتقارير \
         المخبريه لم تكتمل بعد"
    );
    assert_eq!(
        quote.spans[0].text,
        "إن إعادة فتح الجسر أمام الشاحنات ليست مطروحة حاليا لأن الفحوص الهندسية والتقارير \
         المخبرية لم تكتمل بعد"
    );
    assert_eq!(
        quote.spans[1].text,
        "أنّ «إعادة فتح الجسر أمام الشاحنات ليست مطروحةً حالياً، لأن الفحوص الهندسية والتقارير \
         المخبرية لم تكتمل بعد"
    );
    assert_eq!((quote.spans[0].paragraph, quote.spans[1].paragraph), (3, 8));
    assert_eq!(quote.links.len(), 1);
    assert_eq!(quote.links[0].shared_words, 17);
    assert_eq!(quote.links[0].containment, 1.0);

    let lead = cluster_with_line(&report, 5)[0];
    let in_lead = lead.spans.iter().find(|s| s.line == 5).unwrap();
    assert!(in_lead
        .text
        .starts_with("سيتم إغلاق جسر النهر القديم في مدينة رأس العين"));
    assert!(in_lead.text.ends_with("حتى انتهاء"));
    let lead_link = lead
        .links
        .iter()
        .find(|l| lead.spans[l.b as usize].line == 5)
        .unwrap();
    assert_eq!(lead_link.shared_words, 10);
}

#[test]
fn fixture_short_repeats_are_found_with_a_lower_minimum() {
    let report = scan_json(&[
        &repo_path(FIXTURE),
        "--passages",
        "--min-passage-words",
        "5",
    ]);
    // The second half of the title inside the long paragraph of line 9: "(و)فرق الصيانة ستعمل
    // على مدار الساعة" — 5 shared words (the conjunction و attached to the first one differs).
    // It is nested in the title, so it joins the title's cluster, linked by 5 shared words.
    let title = cluster_with_line(&report, 9);
    assert_eq!(title.len(), 1);
    let title = title[0];
    let lines: Vec<(u32, u32)> = title.spans.iter().map(|s| (s.line, s.words)).collect();
    assert_eq!(lines, [(1, 19), (3, 19), (5, 14), (9, 5)]);
    let in_9 = title.spans.iter().position(|s| s.line == 9).unwrap() as u32;
    assert_eq!(
        title.spans[in_9 as usize].text,
        "الصيانة ستعمل على مدار الساعة"
    );
    assert!(title
        .links
        .iter()
        .any(|l| l.b == in_9 && l.shared_words == 5 && l.containment == 1.0));
    // The quote is still there, whole.
    assert!(shapes(&report).contains(&[(7, 17), (14, 17)].into()));
}

#[test]
fn spans_quote_the_file_exactly_and_sit_inside_their_paragraphs() {
    let file = repo_path(FIXTURE);
    let bytes = std::fs::read(&file).unwrap();
    let text = std::str::from_utf8(&bytes).unwrap();
    let report = scan_json(&[&file, "--passages", "--min-passage-words", "5"]);
    for c in &report.passages.as_ref().unwrap().clusters {
        for s in &c.spans {
            let (start, end) = (s.byte_start as usize, s.byte_end as usize);
            assert_eq!(&text[start..end], s.text);
            assert_eq!(&text[start - s.before.len()..start], s.before);
            assert_eq!(&text[end..end + s.after.len()], s.after);
            let line = text[..start].matches('\n').count() as u32 + 1;
            assert_eq!(line, s.line);
            assert_eq!(s.paragraph, s.end_paragraph);
        }
    }
}

#[test]
fn report_without_passages_has_no_passage_section() {
    let out = neardup()
        .args(["scan", "--format", "json"])
        .arg(repo_path(FIXTURE))
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["schema"], "neardup.report/2");
    assert!(v.get("passages").is_none());
}

#[test]
fn json_and_jsonl_carry_the_documented_passage_fields() {
    let out = neardup()
        .args(["scan", "--format", "json", "--passages"])
        .arg(repo_path(FIXTURE))
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let p = &v["passages"];
    for key in [
        "min_words",
        "anchor_words",
        "window",
        "max_occurrences",
        "normalizer_version",
        "hash",
    ] {
        assert!(p["params"].get(key).is_some(), "params.{key}");
    }
    for key in [
        "words",
        "fingerprints",
        "shared_fingerprints",
        "dropped_fingerprints",
        "dropped_occurrences",
        "seed_pairs",
        "alignments",
        "clusters",
        "spans",
    ] {
        assert!(p["stats"].get(key).is_some(), "stats.{key}");
    }
    let c = &p["clusters"][0];
    for key in ["id", "kind", "scope", "words", "text", "spans", "links"] {
        assert!(c.get(key).is_some(), "cluster.{key}");
    }
    assert_eq!(c["kind"], "passage");
    for key in [
        "path",
        "paragraph",
        "line",
        "end_paragraph",
        "end_line",
        "byte_start",
        "byte_end",
        "words",
        "text",
        "before",
        "after",
    ] {
        assert!(c["spans"][0].get(key).is_some(), "span.{key}");
    }
    for key in ["a", "b", "shared_words", "containment"] {
        assert!(c["links"][0].get(key).is_some(), "link.{key}");
    }

    let out = neardup()
        .args(["scan", "--format", "jsonl", "--passages"])
        .arg(repo_path(FIXTURE))
        .output()
        .unwrap();
    let kinds: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            v["kind"].as_str().unwrap().to_string()
        })
        .collect();
    assert_eq!(kinds, ["exact", "exact", "passage", "passage", "passage"]);
}

#[test]
fn text_report_shows_passages_in_context() {
    neardup()
        .args(["scan", "--passages"])
        .arg(repo_path(FIXTURE))
        .assert()
        .success()
        .stdout(predicates::str::contains("passages: 3 clusters, 7 spans"))
        .stdout(predicates::str::contains(
            "~2 passage · within · 2 spans · 17 words",
        ))
        .stdout(predicates::str::contains("“[إن إعادة فتح الجسر"));
}

#[test]
fn passage_flags_are_checked() {
    neardup()
        .args(["scan", "--min-passage-words", "8"])
        .arg(repo_path(FIXTURE))
        .assert()
        .code(2)
        .stderr(predicates::str::contains("--passages"));
    neardup()
        .args(["scan", "--passages", "--min-passage-words", "1"])
        .arg(repo_path(FIXTURE))
        .assert()
        .code(2)
        .stderr(predicates::str::contains("min-passage-words"));
}

fn small_corpus() -> neardup::synth::PassageCorpus {
    generate_passages(&PassageSynthConfig {
        seed: 11,
        articles: 240,
        passages: 120,
        ..PassageSynthConfig::default()
    })
}

#[test]
fn passage_reports_are_identical_for_any_thread_count() {
    let corpus = small_corpus();
    let dir = tempfile::tempdir().unwrap();
    corpus.write_to(dir.path()).unwrap();
    let run = |threads: &str| {
        let out = neardup()
            .args([
                "scan",
                "--passages",
                "--format",
                "json",
                "--threads",
                threads,
            ])
            .arg(dir.path())
            .output()
            .unwrap();
        assert!(out.status.success());
        out.stdout
    };
    let one = run("1");
    assert_eq!(one, run("2"));
    assert_eq!(one, run("3"));
}

#[test]
fn generated_corpus_meets_the_quality_targets() {
    let corpus = small_corpus();
    let docs: Vec<Document> = corpus
        .articles
        .iter()
        .map(|a| Document::from_text(a.path.clone(), a.text.clone()))
        .collect();
    let mut config = Config::default();
    config.passages = Some(PassageConfig::default());
    let report = Scanner::new(config).unwrap().scan_documents(docs).unwrap();
    let eval = evaluate_passages(&corpus, report.passages.as_ref().unwrap());
    assert!(
        eval.pairs_unedited > 50 && eval.pairs_edited > 50,
        "{eval:?}"
    );
    assert!(eval.recall_unedited() >= 0.95, "{eval}");
    assert!(eval.recall_edited() >= 0.8, "{eval}");
    assert!(eval.span_precision() >= 0.95, "{eval}");
    assert!(eval.link_precision() >= 0.95, "{eval}");
    assert!(eval.boundary_share() >= 0.95, "{eval}");
    // Crossing a line break does not lose a passage.
    assert!(corpus
        .labels
        .passages
        .iter()
        .flat_map(|p| &p.occurrences)
        .any(|o| o.crosses_paragraphs));
}

#[test]
fn fail_on_duplicates_counts_passages() {
    let dir = crate::util::corpus(&[
        (
            "a.txt",
            "Opening line one\nThe minister said the bridge will stay closed to heavy trucks \
             until the engineering tests are complete, and left."
                .as_bytes(),
        ),
        (
            "b.txt",
            "Another story entirely\nAsked again, officials repeated that the bridge will stay \
             closed to heavy trucks until the engineering tests are complete."
                .as_bytes(),
        ),
    ]);
    neardup()
        .args(["scan", "--fail-on-duplicates", "-q"])
        .arg(dir.path())
        .assert()
        .code(0);
    neardup()
        .args(["scan", "--fail-on-duplicates", "-q", "--passages"])
        .arg(dir.path())
        .assert()
        .code(1)
        .stdout(predicates::str::contains("passages: 1 cluster, 2 spans"));
}
