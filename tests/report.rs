//! Report formats: snapshots of every format on a small fixed corpus, HTML well-formedness
//! and escaping, boilerplate labels, determinism across thread counts.

use neardup::report::Format;
use neardup::{Config, Document, Report, ScanOptions, Scanner};
use scraper::{Html, Selector};

use crate::util::{corpus, neardup};

const STORY: &str = "The harbour authority said on Sunday that the northern port would reopen \
to cargo ships within a week, once divers have cleared the wreck that has blocked the main \
channel since the storm.";

const QUOTE: &str = "وقال رئيس البلدية إنّ المشروعَ سيكتمل قبل نهاية العام، وإن المياه ستصل إلى \
الأحياء الشرقية أولاً";

/// An article that tries to break out of the page: markup, quotes, a table end, a pipe.
const HOSTILE: &str = "Breaking: <script>alert(\"x\")</script></table> \"quoted\" & 'single' \
| pipe, comma — the same hostile paragraph, printed twice in one article";

const FOOTER: &str = "© 2024 Harbour Gazette. All rights reserved.";

/// The fixed corpus of the snapshots: a wire story with edits, an Arabic quote with and
/// without diacritics, a hostile paragraph repeated inside one article, a footer on three
/// articles.
fn documents() -> Vec<Document> {
    let edited = STORY.replace("within a week", "within a fortnight");
    let plain_quote = "وقال رئيس البلدية ان المشروع سيكتمل قبل نهاية العام وإن المياه ستصل إلى \
الأحياء الشرقية أولا";
    vec![
        Document::from_text(
            "a.txt",
            format!("Port reopens after storm\n{STORY}\n{QUOTE}\n{FOOTER}\n"),
        ),
        Document::from_text(
            "b.txt",
            format!("Harbour to reopen\n{edited}\n{plain_quote}\n{FOOTER}\n"),
        ),
        Document::from_text(
            "c.txt",
            format!(
                "Weather\n{HOSTILE}\nRain is expected across the region.\n{HOSTILE}\n{FOOTER}\n"
            ),
        ),
    ]
}

fn report() -> Report {
    let mut options = ScanOptions::default();
    options.boilerplate_min_docs = 3;
    Scanner::new(Config::default())
        .unwrap()
        .with_options(options)
        .scan_documents(documents())
        .unwrap()
}

fn render(report: &Report, format: Format) -> String {
    let mut out = Vec::new();
    report.write(format, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn fixed_corpus_has_the_expected_clusters() {
    let r = report();
    let shape: Vec<(usize, bool)> = r
        .clusters
        .iter()
        .map(|c| (c.members.len(), c.boilerplate))
        .collect();
    // story (a, b), quote (a, b), footer (a, b, c: boilerplate), hostile (c twice).
    assert_eq!(shape, vec![(2, false), (2, false), (3, true), (2, false)]);
    assert_eq!(r.boilerplate_min_docs, 3);
}

#[test]
fn snapshot_text() {
    insta::assert_snapshot!(render(&report(), Format::Text));
}

#[test]
fn snapshot_json() {
    insta::assert_snapshot!(render(&report(), Format::Json));
}

#[test]
fn snapshot_jsonl() {
    insta::assert_snapshot!(render(&report(), Format::Jsonl));
}

#[test]
fn snapshot_html() {
    insta::assert_snapshot!(render(&report(), Format::Html));
}

#[test]
fn snapshot_markdown() {
    insta::assert_snapshot!(render(&report(), Format::Md));
}

#[test]
fn snapshot_csv() {
    insta::assert_snapshot!(render(&report(), Format::Csv));
}

#[test]
fn snapshot_pairs() {
    insta::assert_snapshot!(render(&report(), Format::Pairs));
}

fn sel(s: &str) -> Selector {
    Selector::parse(s).unwrap()
}

#[test]
fn html_parses_and_article_text_stays_text() {
    let page = render(&report(), Format::Html);
    let doc = Html::parse_document(&page);
    assert!(
        doc.errors.is_empty(),
        "HTML5 parse errors: {:?}",
        doc.errors
    );
    // No script and no external resource anywhere.
    assert_eq!(doc.select(&sel("script")).count(), 0);
    assert_eq!(
        doc.select(&sel("link, img, iframe, object, embed")).count(),
        0
    );
    assert_eq!(doc.select(&sel("[src], [style]")).count(), 0);
    // Every table the renderer opened is still intact: summary, boilerplate, articles and
    // one per cluster.
    let r = report();
    assert_eq!(doc.select(&sel("table")).count(), 3 + r.clusters.len());
    // The hostile paragraph reads back exactly, as text, in its cluster's cells.
    let cells: Vec<String> = doc
        .select(&sel("td.text"))
        .map(|td| td.text().collect::<Vec<_>>().join(""))
        .collect();
    let hostile_words = HOSTILE.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        cells.iter().filter(|c| **c == hostile_words).count() >= 2,
        "hostile paragraph not shown verbatim: {cells:#?}"
    );
    // Text cells lay out by their own direction.
    assert!(doc
        .select(&sel("td.text"))
        .all(|td| td.value().attr("dir") == Some("auto")));
    // The Arabic quote's diacritic-only differences are marked as such, not as edits.
    let variants: Vec<String> = doc
        .select(&sel("td span.var"))
        .map(|s| s.text().collect())
        .collect();
    assert!(variants.iter().any(|v| v == "المشروع"), "{variants:?}");
    // The wire-story edit is a substitution.
    let ins: Vec<String> = doc
        .select(&sel("td ins.sub"))
        .map(|s| s.text().collect())
        .collect();
    assert!(ins.iter().any(|v| v == "fortnight,"), "{ins:?}");
}

#[test]
fn html_collapses_and_counts_what_it_leaves_out() {
    let r = report();
    let limits = neardup::report::html::Limits {
        open_clusters: 1,
        max_clusters: 2,
        max_members: 1,
        max_articles: 1,
    };
    let mut out = Vec::new();
    neardup::report::html::write(&r, &limits, &mut out).unwrap();
    let page = String::from_utf8(out).unwrap();
    let doc = Html::parse_document(&page);
    assert!(doc.errors.is_empty(), "{:?}", doc.errors);
    assert_eq!(doc.select(&sel("details")).count(), 2);
    assert_eq!(doc.select(&sel("details[open]")).count(), 1);
    assert!(page.contains("2 more clusters not shown"));
    assert!(page.contains("2 more articles not shown"));
    assert!(page.contains("more members not shown"));
}

#[test]
fn markdown_tables_survive_pipes_and_markup() {
    let md = render(&report(), Format::Md);
    assert!(!md.contains("<script>"));
    assert!(md.contains("&lt;script&gt;"));
    assert!(md.contains("\\| pipe"));
    // Every table row has the same number of unescaped cell separators as its header.
    for block in md.split("\n\n").filter(|b| b.starts_with('|')) {
        let cells = |line: &str| line.replace("\\|", "").matches('|').count();
        let header = cells(block.lines().next().unwrap());
        assert!(block.lines().all(|l| cells(l) == header), "{block}");
    }
}

#[test]
fn csv_round_trips_through_a_csv_reader() {
    let r = report();
    let text = render(&r, Format::Csv);
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers = reader.headers().unwrap().clone();
    assert_eq!(
        headers.iter().collect::<Vec<_>>(),
        vec![
            "cluster",
            "kind",
            "scope",
            "boilerplate",
            "path",
            "paragraph",
            "line",
            "byte_start",
            "byte_end",
            "similarity",
            "text"
        ]
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    let members: Vec<_> = r.clusters.iter().flat_map(|c| &c.members).collect();
    assert_eq!(rows.len(), members.len());
    for (row, m) in rows.iter().zip(members) {
        assert_eq!(&row[4], m.path);
        assert_eq!(&row[10], m.text);
        assert_eq!(row[5].parse::<u32>().unwrap(), m.paragraph);
    }
}

#[test]
fn pairs_are_the_links_of_the_clusters() {
    let r = report();
    let text = render(&r, Format::Pairs);
    let links: usize = r.clusters.iter().map(|c| c.links.len()).sum();
    assert_eq!(text.lines().count(), links);
    for line in text.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert!(v["similarity"].as_f64().unwrap() >= 0.8);
        for side in ["a", "b"] {
            assert!(v[side]["path"].is_string() && v[side]["text"].is_string());
        }
        assert!(["identical", "estimate", "exact"].contains(&v["method"].as_str().unwrap()));
    }
}

#[test]
fn old_reports_without_the_boilerplate_field_still_parse() {
    let mut v: serde_json::Value = serde_json::from_str(&render(&report(), Format::Json)).unwrap();
    v.as_object_mut().unwrap().remove("boilerplate_min_docs");
    for c in v["clusters"].as_array_mut().unwrap() {
        c.as_object_mut().unwrap().remove("boilerplate");
    }
    let r: Report = serde_json::from_value(v).unwrap();
    assert!(r.clusters.iter().all(|c| !c.boilerplate));
    // A report read back from JSON has no per-document counts; the reading formats say so
    // instead of inventing numbers.
    assert!(render(&r, Format::Html).contains("<td class=\"num\">?</td>"));
}

#[test]
fn every_format_is_identical_for_one_and_two_threads() {
    let docs = documents();
    let files: Vec<(String, Vec<u8>)> = docs.into_iter().map(|d| (d.path, d.bytes)).collect();
    let refs: Vec<(&str, &[u8])> = files.iter().map(|(p, b)| (p.as_str(), &b[..])).collect();
    let dir = corpus(&refs);
    for format in ["text", "json", "jsonl", "html", "md", "csv", "pairs"] {
        let run = |threads: &str| {
            neardup()
                .args(["scan", "--format", format, "--boilerplate-min-docs", "3"])
                .args(["--threads", threads])
                .arg(dir.path())
                .output()
                .unwrap()
        };
        let (one, two) = (run("1"), run("2"));
        assert!(one.status.success(), "{format}");
        assert_eq!(
            one.stdout, two.stdout,
            "{format} differs between thread counts"
        );
    }
}

#[test]
fn verbose_prints_timings_on_stderr_only() {
    let dir = corpus(&[("a.txt", b"one two three\none two three\n")]);
    let out = neardup()
        .args(["scan", "--verbose", "--format", "json"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success());
    let stderr = String::from_utf8(out.stderr).unwrap();
    for stage in ["discover", "read", "sketch", "lsh", "write", "total"] {
        assert!(
            stderr.contains(&format!("timing: {stage}")),
            "{stage}: {stderr}"
        );
    }
    // Writing the report is timed, so the table comes after it.
    let total = stderr.find("timing: total").unwrap();
    assert!(stderr.find("timing: write").unwrap() < total);
    assert!(!String::from_utf8(out.stdout).unwrap().contains("timing"));
}
