//! The Arabic fixture written in the image of a real scraped article (title printed twice, a
//! paragraph repeated with other diacritics and punctuation, a footer).

use std::collections::BTreeSet;

use crate::util::{cluster_sets, repo_path, scan_json};
use neardup::cluster::{ClusterKind, Scope};
use neardup::normalize::normalize;

#[test]
fn fixture_article_has_exactly_its_two_repeats() {
    let report = scan_json(&[&repo_path("tests/fixtures/article-ar.txt")]);
    assert_eq!(report.stats.paragraphs, 13);
    let path = "tests/fixtures/article-ar.txt";
    let path = report.clusters[0].members[0]
        .path
        .strip_suffix(path)
        .map(|prefix| format!("{prefix}{path}"))
        .unwrap_or_else(|| panic!("unexpected path {}", report.clusters[0].members[0].path));
    let expected: BTreeSet<BTreeSet<String>> = [
        [format!("{path}:0"), format!("{path}:1")].into(),
        [format!("{path}:5"), format!("{path}:10")].into(),
    ]
    .into();
    assert_eq!(cluster_sets(&report), expected);
    for c in &report.clusters {
        assert_eq!(c.kind, ClusterKind::Exact);
        assert_eq!(c.scope, Scope::Within);
    }
    // Lines, not only paragraph ordinals: the title is on lines 1 and 3 (a blank line between).
    let lines: Vec<u32> = report.clusters[0].members.iter().map(|m| m.line).collect();
    assert_eq!(lines, [1, 3]);
    let lines: Vec<u32> = report.clusters[1].members.iter().map(|m| m.line).collect();
    assert_eq!(lines, [11, 16]);
}

#[test]
fn fixture_spans_quote_the_file_exactly() {
    let file = repo_path("tests/fixtures/article-ar.txt");
    let bytes = std::fs::read(&file).unwrap();
    let report = scan_json(&[&file]);
    for m in report.clusters.iter().flat_map(|c| &c.members) {
        let span = &bytes[m.byte_start as usize..m.byte_end as usize];
        assert_eq!(std::str::from_utf8(span).unwrap(), m.text);
    }
}

#[test]
fn diacritics_tanween_and_hamza_forms_compare_equal() {
    assert_eq!(normalize("مطروحاً"), normalize("مطروحا"));
    assert_eq!(normalize("أنّ"), normalize("أن"));
    assert_eq!(
        normalize("لافروف: أكّد أنّ الاقتراحَ ليس مطروحاً"),
        "لافروف اكد ان الاقتراح ليس مطروحا"
    );
}
