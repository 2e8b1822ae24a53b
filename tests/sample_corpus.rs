//! Precision and recall on the labelled sample corpus in `corpora/`.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;

use crate::util::{repo_path, scan_json};

#[derive(Deserialize)]
struct Labels {
    groups: Vec<Group>,
    negatives: Vec<Group>,
}

#[derive(Deserialize)]
struct Group {
    note: String,
    members: Vec<Place>,
}

#[derive(Deserialize)]
struct Place {
    path: String,
    paragraph: u32,
}

fn key(p: &Place) -> String {
    format!("{}:{}", p.path, p.paragraph)
}

#[test]
fn every_labelled_group_is_found_and_no_negative_is_joined() {
    let labels: Labels = serde_json::from_str(
        &std::fs::read_to_string(repo_path("corpora/sample-labels.json")).unwrap(),
    )
    .unwrap();
    let corpus = repo_path("corpora/sample");
    let report = scan_json(&[&corpus]);
    // The report names documents as given (`…/corpora/sample/a.txt`), the labels relative to
    // the corpus root (`a.txt`).
    let root = format!(
        "{}/",
        neardup::ingest::slash_path(std::path::Path::new(&corpus))
    );
    let mut cluster_of: BTreeMap<String, u32> = BTreeMap::new();
    for c in &report.clusters {
        for m in &c.members {
            let path = m.path.strip_prefix(&root).unwrap_or(&m.path);
            cluster_of.insert(format!("{path}:{}", m.paragraph), c.id);
        }
    }
    let same = |a: &Place, b: &Place| matches!((cluster_of.get(&key(a)), cluster_of.get(&key(b))), (Some(x), Some(y)) if x == y);
    let mut missed = Vec::new();
    let mut true_pairs = BTreeSet::new();
    for g in &labels.groups {
        for (i, a) in g.members.iter().enumerate() {
            for b in &g.members[i + 1..] {
                let (x, y) = (key(a), key(b));
                true_pairs.insert(if x < y { (x, y) } else { (y, x) });
                if !same(a, b) {
                    missed.push(format!("{} ~ {} ({})", key(a), key(b), g.note));
                }
            }
        }
    }
    assert!(
        missed.is_empty(),
        "labelled duplicates not clustered:\n{}",
        missed.join("\n")
    );
    let mut joined = Vec::new();
    for g in &labels.negatives {
        for (i, a) in g.members.iter().enumerate() {
            for b in &g.members[i + 1..] {
                if same(a, b) {
                    joined.push(format!("{} ~ {} ({})", key(a), key(b), g.note));
                }
            }
        }
    }
    assert!(
        joined.is_empty(),
        "negatives clustered:\n{}",
        joined.join("\n")
    );
    // Precision over all reported pairs: every pair inside a cluster is a labelled pair.
    let mut extra = Vec::new();
    for c in &report.clusters {
        for (i, a) in c.members.iter().enumerate() {
            for b in &c.members[i + 1..] {
                let place = |path: &str, paragraph: u32| {
                    let path = path.strip_prefix(&root).unwrap_or(path);
                    format!("{path}:{paragraph}")
                };
                let pair = (place(&a.path, a.paragraph), place(&b.path, b.paragraph));
                if !true_pairs.contains(&pair) {
                    extra.push(format!("{} ~ {}", pair.0, pair.1));
                }
            }
        }
    }
    assert!(
        extra.is_empty(),
        "clustered pairs not in the labels:\n{}",
        extra.join("\n")
    );
}
