//! Evaluation: a report scored against labels or against the exact Jaccard truth.
//!
//! Input: a [`Report`] and either labelled duplicate groups ([`crate::labels`], as written by
//! the generator of the `synth` feature or by hand, `corpora/sample-labels.json`) or the corpus
//! itself, from which the exact truth is computed. Output: an [`Evaluation`] of pair precision, recall, F1 and the
//! adjusted Rand index over all paragraphs, recall per edit kind and per true-similarity
//! bucket, and the true pairs the report missed. Invariants: pair counts come from the
//! contingency table of (cluster, group) cells, never from enumerating pairs, so a footer
//! cluster of 100,000 members costs nothing; the exact truth comes from a prefix-filtered
//! similarity join (never all pairs) and is deterministic.
//!
//! Clusters and groups are compared as partitions: two paragraphs are a predicted pair when
//! they share a cluster, a true pair when they share a group. For the exact truth, groups are
//! the connected components of pairs with exact Jaccard ≥ threshold (what a perfect engine
//! with the same transitive clustering would report).

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::Serialize;

use crate::config::Params;
use crate::error::{Error, Result};
use crate::ingest::{self, DocId};
use crate::labels::{EditKind, Labels, LABELS_SCHEMA};
use crate::report::Report;
use crate::shingle;
use crate::sketch::Sketcher;
use crate::util::UnionFind;

/// A paragraph, as `(path, ordinal)`.
pub type Place = (String, u32);

/// A labelled duplicate group.
#[derive(Clone, Debug, PartialEq)]
pub struct TruthGroup {
    /// Members; the first is the source the others copy.
    pub members: Vec<Place>,
    /// Edit kind of each member when the labels give one (`source`, `format`, `substitute`…).
    pub edit_kinds: Vec<Option<String>>,
}

/// Scores of a report.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Evaluation {
    /// Where the truth came from: `labels` or `exact`.
    pub truth: String,
    /// Paragraphs in the universe (the report's `stats.paragraphs`).
    pub paragraphs: usize,
    /// Pairs predicted (sharing a cluster).
    pub predicted_pairs: u64,
    /// True pairs (sharing a group).
    pub true_pairs: u64,
    /// Pairs both predicted and true.
    pub correct_pairs: u64,
    /// correct / predicted.
    pub precision: f64,
    /// correct / true.
    pub recall: f64,
    /// Harmonic mean of precision and recall.
    pub f1: f64,
    /// Adjusted Rand index of the clustering against the groups.
    pub adjusted_rand_index: f64,
    /// Recall of each edit kind: members found in the same cluster as their group's source.
    pub recall_by_edit_kind: BTreeMap<String, Bucket>,
    /// The same by exact Jaccard similarity to the source (needs the corpus).
    pub recall_by_similarity: BTreeMap<String, Bucket>,
    /// True pairs (exact truth) whose paragraphs the report did not put in one cluster.
    pub missed_pairs: usize,
    /// Up to 20 of them, with their exact similarity.
    pub missed_examples: Vec<MissedPair>,
}

/// Found / total for one bucket.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Bucket {
    /// Members found with their source.
    pub found: u64,
    /// Members in the bucket.
    pub total: u64,
    /// found / total.
    pub recall: f64,
}

/// A true pair the report missed.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MissedPair {
    /// One side, `path:paragraph`.
    pub a: String,
    /// The other side.
    pub b: String,
    /// Exact Jaccard similarity.
    pub similarity: f64,
}

/// Read labels ([`Labels`], schema `neardup.labels/1`: `groups[].members[].{path,
/// paragraph[, edit_kind]}`), as written by the generator or for the sample corpus.
pub fn read_labels(path: &Path) -> Result<Vec<TruthGroup>> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, "read labels", e))?;
    let labels = Labels::parse(&text).map_err(|what| {
        Error::InvalidParameter(format!(
            "{}: not a {LABELS_SCHEMA} file: {what}",
            path.display()
        ))
    })?;
    // The edit kind by its name in the file (`substitute`, `format`…), as reports show it.
    let name = |k: EditKind| serde_json::to_value(k).ok()?.as_str().map(str::to_string);
    Ok(labels
        .groups
        .into_iter()
        .map(|g| TruthGroup {
            edit_kinds: g
                .members
                .iter()
                .map(|m| m.edit_kind.and_then(name))
                .collect(),
            members: g
                .members
                .into_iter()
                .map(|m| (m.path, m.paragraph as u32))
                .collect(),
        })
        .collect())
}

/// Σ C(n, 2).
fn pairs(n: u64) -> u64 {
    n * n.saturating_sub(1) / 2
}

/// The shingle sets of every paragraph of a corpus, keyed by place, as the report's parameters
/// define them. Paragraphs that the scan did not compare get an empty set.
pub struct CorpusSets {
    /// Places in document order.
    pub places: Vec<Place>,
    /// Shingle sets, parallel to `places`.
    pub sets: Vec<Vec<u64>>,
}

/// Read a corpus with the input options the report was made with (JSONL fields, globs) and
/// shingle every paragraph with `params`. Invalid UTF-8 is replaced, as `--lossy` does.
pub fn corpus_sets(
    roots: &[PathBuf],
    params: &Params,
    options: &ingest::InputOptions,
) -> Result<CorpusSets> {
    let mut skipped = Vec::new();
    let options = ingest::InputOptions {
        lossy: true,
        ..options.clone()
    };
    let files = ingest::discover_with(roots, &options, &mut skipped)?;
    let docs = ingest::load_all_with(&files, &options, &mut skipped)?;
    let sketcher = Sketcher::new(params);
    let per_doc: Vec<(Vec<Place>, Vec<Vec<u64>>)> = docs
        .par_iter()
        .enumerate()
        .map_init(
            || sketcher.clone(),
            |sketcher, (i, d)| {
                let mut paragraphs = Vec::new();
                ingest::split_paragraphs(DocId(i as u32), &d.bytes, params.split, &mut paragraphs);
                let mut places = Vec::new();
                let mut sets = Vec::new();
                for p in paragraphs {
                    places.push((d.path.clone(), p.ordinal));
                    let mut set = Vec::new();
                    sketcher.shingle_set_into(&d.text(p.span.clone()), &mut set);
                    sets.push(set);
                }
                (places, sets)
            },
        )
        .collect();
    let mut out = CorpusSets {
        places: Vec::new(),
        sets: Vec::new(),
    };
    for (p, s) in per_doc {
        out.places.extend(p);
        out.sets.extend(s);
    }
    Ok(out)
}

/// All pairs `(i, j)`, `i < j`, with exact Jaccard ≥ `threshold`, by prefix filtering
/// (Bayardo et al., "Scaling up all pairs similarity search", 2007): tokens are ranked rarest
/// first, and two sets reaching the threshold must share a token within their first
/// `|x| − ⌈t·|x|⌉ + 1` tokens. Identical sets are grouped first so repeated boilerplate costs
/// one record. Empty sets never match.
pub(crate) fn exact_similarity_join(sets: &[Vec<u64>], threshold: f64) -> Vec<(u32, u32, f64)> {
    let records = distinct_sets(sets);
    let ranked = ranked_tokens(sets, &records);
    let record_pairs = similar_records(&ranked, threshold);
    // Expand records back to paragraphs: identical members pair with similarity 1.
    let mut out = Vec::new();
    for r in &records {
        for (i, &a) in r.iter().enumerate() {
            for &b in &r[i + 1..] {
                out.push((a.min(b), a.max(b), 1.0));
            }
        }
    }
    for (x, y, j) in record_pairs {
        for &a in &records[x as usize] {
            for &b in &records[y as usize] {
                out.push((a.min(b), a.max(b), j));
            }
        }
    }
    out.par_sort_by(|p, q| (p.0, p.1).cmp(&(q.0, q.1)));
    out
}

/// The non-empty sets grouped by equality: one record per distinct set, holding its members
/// in order, records in order of their set.
fn distinct_sets(sets: &[Vec<u64>]) -> Vec<Vec<u32>> {
    let mut order: Vec<u32> = (0..sets.len() as u32)
        .filter(|&i| !sets[i as usize].is_empty())
        .collect();
    order.par_sort_by(|&a, &b| sets[a as usize].cmp(&sets[b as usize]).then(a.cmp(&b)));
    order
        .chunk_by(|&a, &b| sets[a as usize] == sets[b as usize])
        .map(<[u32]>::to_vec)
        .collect()
}

/// Each record's set as token ranks, sorted: tokens ranked by document frequency over
/// records, rarest first (ties by hash), so prefixes hold the rarest tokens.
fn ranked_tokens(sets: &[Vec<u64>], records: &[Vec<u32>]) -> Vec<Vec<u32>> {
    let mut freq: HashMap<u64, u32> = HashMap::new();
    for r in records {
        for &t in &sets[r[0] as usize] {
            *freq.entry(t).or_insert(0) += 1;
        }
    }
    let mut tokens: Vec<(u32, u64)> = freq.iter().map(|(&t, &f)| (f, t)).collect();
    tokens.par_sort_unstable();
    let rank: HashMap<u64, u32> = tokens
        .iter()
        .enumerate()
        .map(|(i, &(_, t))| (t, i as u32))
        .collect();
    records
        .par_iter()
        .map(|r| {
            let mut v: Vec<u32> = sets[r[0] as usize].iter().map(|t| rank[t]).collect();
            v.sort_unstable();
            v
        })
        .collect()
}

/// Pairs of records `(x, y)`, `x < y`, with Jaccard ≥ `threshold`: candidates share a token
/// of their prefixes (an inverted index over prefix tokens), then the size filter, then the
/// exact Jaccard.
fn similar_records(ranked: &[Vec<u32>], threshold: f64) -> Vec<(u32, u32, f64)> {
    let prefix_len = |n: usize| n - ((threshold * n as f64) - 1e-9).ceil().max(1.0) as usize + 1;
    let tokens = ranked.iter().flatten().max().map_or(0, |&t| t as usize + 1);
    let mut index: Vec<Vec<u32>> = vec![Vec::new(); tokens];
    for (r, v) in ranked.iter().enumerate() {
        for &t in &v[..prefix_len(v.len()).min(v.len())] {
            index[t as usize].push(r as u32);
        }
    }
    let index = &index;
    (0..ranked.len())
        .into_par_iter()
        .flat_map_iter(|x| {
            let vx = &ranked[x];
            let mut cands: Vec<u32> = vx[..prefix_len(vx.len()).min(vx.len())]
                .iter()
                .flat_map(|&t| index[t as usize].iter().copied())
                .filter(|&y| y as usize > x)
                .collect();
            cands.sort_unstable();
            cands.dedup();
            cands.into_iter().filter_map(move |y| {
                let vy = &ranked[y as usize];
                let (small, large) = (vx.len().min(vy.len()), vx.len().max(vy.len()));
                if (small as f64) < threshold * large as f64 - 1e-9 {
                    return None;
                }
                let j = shingle::jaccard(vx, vy);
                (j >= threshold).then_some((x as u32, y, j))
            })
        })
        .collect()
}

/// Score `report` against `groups` over a universe of `paragraphs` paragraphs. `sets`, when
/// given, adds recall by true similarity.
pub fn evaluate(
    report: &Report,
    groups: &[TruthGroup],
    truth: &str,
    corpus: Option<&CorpusSets>,
) -> Evaluation {
    let rooted = rooted(report, groups);
    let groups: &[TruthGroup] = &rooted;
    let cluster_of = member_clusters(report);
    let (predicted, truth_pairs, correct) = pair_counts(report, groups, &cluster_of);
    let precision = ratio(correct, predicted);
    let recall = ratio(correct, truth_pairs);
    let f1 = if precision + recall > 0.0 {
        2.0 * precision * recall / (precision + recall)
    } else {
        0.0
    };
    let n = report.stats.paragraphs as u64;
    let expected = predicted as f64 * truth_pairs as f64 / pairs(n).max(1) as f64;
    let max_index = 0.5 * (predicted as f64 + truth_pairs as f64);
    let ari = if (max_index - expected).abs() < f64::EPSILON {
        1.0
    } else {
        (correct as f64 - expected) / (max_index - expected)
    };

    let (by_kind, by_sim) = recall_breakdown(groups, &cluster_of, corpus);
    Evaluation {
        truth: truth.to_string(),
        paragraphs: n as usize,
        predicted_pairs: predicted,
        true_pairs: truth_pairs,
        correct_pairs: correct,
        precision,
        recall,
        f1,
        adjusted_rand_index: ari,
        recall_by_edit_kind: by_kind,
        recall_by_similarity: by_sim,
        missed_pairs: 0,
        missed_examples: Vec::new(),
    }
}

/// The cluster of every report member, by (path, paragraph).
fn member_clusters(report: &Report) -> HashMap<(&str, u32), u32> {
    let mut cluster_of: HashMap<(&str, u32), u32> = HashMap::new();
    for c in &report.clusters {
        for m in &c.members {
            cluster_of.insert((m.path.as_str(), m.paragraph), c.id);
        }
    }
    cluster_of
}

/// (predicted, true, correct) pairs, counted from cluster sizes, group sizes and the
/// (group, cluster) contingency table, never by enumerating pairs.
fn pair_counts(
    report: &Report,
    groups: &[TruthGroup],
    cluster_of: &HashMap<(&str, u32), u32>,
) -> (u64, u64, u64) {
    let cluster_sizes: Vec<u64> = report
        .clusters
        .iter()
        .map(|c| c.members.len() as u64)
        .collect();
    // Contingency: (group, cluster) → count.
    let mut cells: HashMap<(usize, u32), u64> = HashMap::new();
    for (g, group) in groups.iter().enumerate() {
        for (p, o) in &group.members {
            if let Some(&c) = cluster_of.get(&(p.as_str(), *o)) {
                *cells.entry((g, c)).or_insert(0) += 1;
            }
        }
    }
    let predicted: u64 = cluster_sizes.iter().map(|&n| pairs(n)).sum();
    let truth_pairs: u64 = groups.iter().map(|g| pairs(g.members.len() as u64)).sum();
    let correct: u64 = cells.values().map(|&n| pairs(n)).sum();
    (predicted, truth_pairs, correct)
}

/// Recall by edit kind, and by true similarity when `corpus` is given: of each group's
/// members but its source, how many the report put in the source's cluster.
fn recall_breakdown(
    groups: &[TruthGroup],
    cluster_of: &HashMap<(&str, u32), u32>,
    corpus: Option<&CorpusSets>,
) -> (BTreeMap<String, Bucket>, BTreeMap<String, Bucket>) {
    let index_of: HashMap<(&str, u32), usize> = corpus
        .map(|c| {
            c.places
                .iter()
                .enumerate()
                .map(|(i, (p, o))| ((p.as_str(), *o), i))
                .collect()
        })
        .unwrap_or_default();
    let mut by_kind: BTreeMap<String, Bucket> = BTreeMap::new();
    let mut by_sim: BTreeMap<String, Bucket> = BTreeMap::new();
    for g in groups {
        let Some(source) = g.members.first() else {
            continue;
        };
        let source_cluster = cluster_of.get(&(source.0.as_str(), source.1));
        for (m, kind) in g.members.iter().zip(&g.edit_kinds).skip(1) {
            let found =
                source_cluster.is_some() && cluster_of.get(&(m.0.as_str(), m.1)) == source_cluster;
            if let Some(kind) = kind {
                add(by_kind.entry(kind.clone()).or_default(), found);
            }
            if let Some(c) = corpus {
                if let (Some(&a), Some(&b)) = (
                    index_of.get(&(source.0.as_str(), source.1)),
                    index_of.get(&(m.0.as_str(), m.1)),
                ) {
                    let j = shingle::jaccard(&c.sets[a], &c.sets[b]);
                    add(by_sim.entry(similarity_bucket(j)).or_default(), found);
                }
            }
        }
    }
    for b in by_kind.values_mut().chain(by_sim.values_mut()) {
        b.recall = ratio(b.found, b.total);
    }
    (by_kind, by_sim)
}

/// Labels name documents relative to the corpus root (`a.txt`), reports as given
/// (`corpus/a.txt`, `ingest::slash_path`): the groups with the root prefixed. The root is the
/// prefix under which the most label paths name a document of the report (the shortest on a
/// tie), so groups that already use the report's names stay as they are.
fn rooted<'a>(report: &Report, groups: &'a [TruthGroup]) -> Cow<'a, [TruthGroup]> {
    let labelled: HashSet<&str> = groups
        .iter()
        .flat_map(|g| g.members.iter().map(|(p, _)| p.as_str()))
        .collect();
    let names: BTreeSet<&str> = report
        .clusters
        .iter()
        .flat_map(|c| c.members.iter().map(|m| m.path.as_str()))
        .chain(report.documents.iter().map(|d| d.path.as_str()))
        .collect();
    let mut votes: BTreeMap<&str, usize> = BTreeMap::new();
    for name in names {
        let starts = std::iter::once(0).chain(name.match_indices('/').map(|(i, _)| i + 1));
        for i in starts {
            if labelled.contains(&name[i..]) {
                *votes.entry(&name[..i]).or_default() += 1;
            }
        }
    }
    let root = votes
        .into_iter()
        .max_by(|(a, x), (b, y)| x.cmp(y).then(b.len().cmp(&a.len())).then(b.cmp(a)))
        .map_or("", |(root, _)| root);
    if root.is_empty() {
        return Cow::Borrowed(groups);
    }
    Cow::Owned(
        groups
            .iter()
            .map(|g| TruthGroup {
                members: g
                    .members
                    .iter()
                    .map(|(p, o)| (format!("{root}{p}"), *o))
                    .collect(),
                edit_kinds: g.edit_kinds.clone(),
            })
            .collect(),
    )
}

fn add(bucket: &mut Bucket, found: bool) {
    bucket.total += 1;
    bucket.found += u64::from(found);
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 {
        1.0
    } else {
        a as f64 / b as f64
    }
}

/// Label of the similarity bucket holding `j`.
fn similarity_bucket(j: f64) -> String {
    const EDGES: [f64; 8] = [0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 1.0];
    if j >= 1.0 {
        return "1.00".into();
    }
    let mut lo = 0.0;
    for hi in EDGES {
        if j < hi {
            return format!("{lo:.2}-{hi:.2}");
        }
        lo = hi;
    }
    "1.00".into()
}

/// Score `report` against the exact truth computed from the corpus: groups are the connected
/// components of pairs with exact Jaccard ≥ the report's threshold.
pub fn evaluate_exact(report: &Report, corpus: &CorpusSets) -> Evaluation {
    let pairs = exact_similarity_join(&corpus.sets, report.params.threshold);
    let mut uf = UnionFind::new(corpus.sets.len());
    for &(a, b, _) in &pairs {
        uf.union(a, b);
    }
    let groups: Vec<TruthGroup> = uf
        .components(2)
        .into_iter()
        .map(|c| TruthGroup {
            members: c
                .iter()
                .map(|&i| corpus.places[i as usize].clone())
                .collect(),
            edit_kinds: vec![None; c.len()],
        })
        .collect();
    let mut eval = evaluate(report, &groups, "exact", None);
    let mut cluster_of: HashMap<(&str, u32), u32> = HashMap::new();
    for c in &report.clusters {
        for m in &c.members {
            cluster_of.insert((m.path.as_str(), m.paragraph), c.id);
        }
    }
    let place = |i: u32| &corpus.places[i as usize];
    let mut missed: Vec<MissedPair> = Vec::new();
    let mut count = 0;
    for &(a, b, j) in &pairs {
        let (pa, pb) = (place(a), place(b));
        let ca = cluster_of.get(&(pa.0.as_str(), pa.1));
        if ca.is_none() || ca != cluster_of.get(&(pb.0.as_str(), pb.1)) {
            count += 1;
            if missed.len() < 20 {
                missed.push(MissedPair {
                    a: format!("{}:{}", pa.0, pa.1),
                    b: format!("{}:{}", pb.0, pb.1),
                    similarity: j,
                });
            }
        }
    }
    eval.missed_pairs = count;
    eval.missed_examples = missed;
    eval
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn labels_file(json: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("labels.json");
        std::fs::write(&path, json).unwrap();
        (dir, path)
    }

    /// The `schema` field was never checked: a report or any JSON with `groups` was taken as
    /// labels.
    #[test]
    fn labels_of_another_schema_are_refused_naming_file_and_schema() {
        let groups = r#""groups": [{"kind": "exact", "members": [{"path": "a", "paragraph": 0}]}]"#;
        for (json, says) in [
            (
                format!(r#"{{"schema": "neardup.report/1", "split": "lines", {groups}}}"#),
                "neardup.report/1",
            ),
            (format!(r#"{{"split": "lines", {groups}}}"#), "no `schema`"),
        ] {
            let (_dir, path) = labels_file(&json);
            let err = read_labels(&path).unwrap_err().to_string();
            assert!(err.contains("labels.json") && err.contains(says), "{err}");
        }
        let (_dir, path) = labels_file(&format!(
            r#"{{"schema": "neardup.labels/1", "split": "lines", {groups}}}"#
        ));
        let got = read_labels(&path).unwrap();
        assert_eq!(got[0].members, vec![("a".to_string(), 0)]);
        assert_eq!(got[0].edit_kinds, vec![None]);
    }

    /// Generated labels read back with their edit kinds named as in the file.
    #[cfg(feature = "synth")]
    #[test]
    fn generated_labels_read_back_with_edit_kind_names() {
        let corpus = crate::synth::generate(&crate::synth::SynthConfig::default());
        let json = serde_json::to_string(&corpus.labels).unwrap();
        let (_dir, path) = labels_file(&json);
        let got = read_labels(&path).unwrap();
        assert_eq!(got.len(), corpus.labels.groups.len());
        assert_eq!(got[0].edit_kinds[0].as_deref(), Some("source"));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        /// The prefix-filtered join finds exactly the pairs that brute force finds.
        #[test]
        fn similarity_join_equals_brute_force(
            raw in proptest::collection::vec(proptest::collection::btree_set(0u64..40, 0..12), 1..40),
            threshold in 0.3f64..1.0,
        ) {
            let sets: Vec<Vec<u64>> = raw.into_iter().map(|s| s.into_iter().collect()).collect();
            let got: Vec<(u32, u32)> = exact_similarity_join(&sets, threshold)
                .into_iter().map(|(a, b, _)| (a, b)).collect();
            let mut want = Vec::new();
            for i in 0..sets.len() {
                for j in i + 1..sets.len() {
                    if !sets[i].is_empty() && !sets[j].is_empty()
                        && shingle::jaccard(&sets[i], &sets[j]) >= threshold {
                        want.push((i as u32, j as u32));
                    }
                }
            }
            prop_assert_eq!(got, want);
        }
    }

    #[test]
    fn buckets_cover_the_unit_interval() {
        assert_eq!(similarity_bucket(0.1), "0.00-0.50");
        assert_eq!(similarity_bucket(0.82), "0.80-0.85");
        assert_eq!(similarity_bucket(1.0), "1.00");
    }
}
