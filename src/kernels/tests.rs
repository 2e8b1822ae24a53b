//! The kernels against the scan's own internals, and the whole chain against the scan's
//! clusters, for several partitionings of the rows.

use std::collections::{BTreeMap, BTreeSet};

use arrow_array::cast::AsArray;
use arrow_array::types::{Int32Type, Int64Type};
use arrow_array::{ArrayRef, BooleanArray, Int32Array, Int64Array, ListArray, StringArray};

use super::*;
use crate::config::{Config, SplitMode, VerifyMode};
use crate::ingest::Document;
use crate::report::LinkMethod;
use crate::scan::Scanner;
use crate::synth::{generate, SynthConfig};

fn record(columns: Vec<(&str, ArrayRef)>) -> RecordBatch {
    RecordBatch::try_from_iter(columns).unwrap()
}

fn texts(batch: &RecordBatch, name: &str) -> Vec<String> {
    let c = batch.column_by_name(name).unwrap().as_string::<i32>();
    c.iter().map(|v| v.unwrap().to_string()).collect()
}

fn ints(batch: &RecordBatch, name: &str) -> Vec<i32> {
    let c = batch.column_by_name(name).unwrap();
    c.as_primitive::<Int32Type>().values().to_vec()
}

fn keys_of(batch: &RecordBatch, prefix: &str) -> Vec<Key> {
    keys("test", batch, prefix).unwrap()
}

fn docs_batch(docs: &[(String, String)]) -> RecordBatch {
    let names: Vec<&str> = docs.iter().map(|d| d.0.as_str()).collect();
    let bodies: Vec<&str> = docs.iter().map(|d| d.1.as_str()).collect();
    record(vec![
        ("doc", Arc::new(StringArray::from(names))),
        ("text", Arc::new(StringArray::from(bodies))),
    ])
}

fn config(verify: VerifyMode) -> Config {
    Config {
        verify,
        ..Config::default()
    }
}

fn corpus(seed: u64, paragraphs: usize) -> Vec<(String, String)> {
    let synth = generate(&SynthConfig {
        seed,
        paragraphs,
        ..SynthConfig::default()
    });
    synth
        .articles
        .into_iter()
        .map(|a| (a.path, a.text))
        .collect()
}

/// Split `n` rows into `parts` contiguous runs.
fn parts(n: usize, parts: usize) -> Vec<std::ops::Range<usize>> {
    let size = n.div_ceil(parts.max(1)).max(1);
    (0..n).step_by(size).map(|s| s..(s + size).min(n)).collect()
}

#[test]
fn paragraphs_are_the_scans_split_with_signed_types() {
    let docs = vec![
        (
            "b".to_string(),
            "\u{feff}Title\n\nFirst para\nstill first\n\n\n  Second  \n".to_string(),
        ),
        ("a".to_string(), "ﺍﻟﺴﻼﻡ عليكم\n\nsecond".to_string()),
        ("c".to_string(), String::new()),
    ];
    for split in [SplitMode::Lines, SplitMode::Blank] {
        let cfg = Config {
            split,
            ..Config::default()
        };
        let kernels = Kernels::new(cfg.params().unwrap());
        let out = kernels.paragraphs(&docs_batch(&docs)).unwrap();
        assert_eq!(out.schema().metadata()["neardup.schema"], SCHEMA_VERSION);
        for (name, t) in [
            ("paragraph", DataType::Int32),
            ("line", DataType::Int32),
            ("byte_start", DataType::Int64),
            ("byte_end", DataType::Int64),
        ] {
            assert_eq!(out.schema().field_with_name(name).unwrap().data_type(), &t);
        }
        let scanner = Scanner::new(cfg).unwrap();
        let corpus = scanner.split(documents(&docs));
        let keys = keys_of(&out, "");
        let lines = ints(&out, "line");
        let starts = out.column_by_name("byte_start").unwrap();
        let starts = starts.as_primitive::<Int64Type>().values().to_vec();
        let text = texts(&out, "text");
        assert_eq!(keys.len(), corpus.paragraphs.len());
        for (i, p) in corpus.paragraphs.iter().enumerate() {
            let doc = &corpus.docs[p.doc.0 as usize];
            assert_eq!(keys[i], (doc.path.clone(), p.ordinal as i32));
            assert_eq!(lines[i], p.line as i32);
            assert_eq!(starts[i], p.span.start as i64);
            assert_eq!(text[i], doc.text(p.span.clone()));
        }
    }
}

#[test]
fn sketch_is_the_scans_sketch() {
    let docs = corpus(3, 300);
    let cfg = Config {
        min_words: 12,
        ..Config::default()
    };
    let mut kernels = Kernels::new(cfg.params().unwrap());
    let paras = kernels.paragraphs(&docs_batch(&docs)).unwrap();
    let out = kernels.sketch(&paras).unwrap();
    let scanner = Scanner::new(cfg).unwrap();
    // The kernel keeps input order; the scan sorts documents by path.
    let corpus = scanner.split(documents(&docs));
    let (hashes, sigs) = scanner.sketch(&corpus);
    let k = scanner.params().num_perm;
    let position: BTreeMap<Key, usize> = corpus
        .paragraphs
        .iter()
        .enumerate()
        .map(|(i, p)| {
            (
                (corpus.docs[p.doc.0 as usize].path.clone(), p.ordinal as i32),
                i,
            )
        })
        .collect();
    let got_sigs = signatures("test", &out, "signature", k).unwrap();
    let compared = booleans("test", &out, "compared").unwrap();
    let (hi, lo) = (
        int64s("test", &out, "hash_hi").unwrap(),
        int64s("test", &out, "hash_lo").unwrap(),
    );
    assert!(
        compared.iter().any(|c| !c),
        "some paragraphs are below min_words"
    );
    for (i, key) in keys_of(&out, "").iter().enumerate() {
        let j = position[key];
        assert_eq!(compared[i], hashes[j].is_some());
        let hash = hi[i].zip(lo[i]).map(|(h, l)| join_hash(h, l));
        assert_eq!(hash, hashes[j]);
        assert_eq!(&got_sigs[i * k..(i + 1) * k], &sigs[j * k..(j + 1) * k]);
    }
}

#[test]
fn hash_halves_round_trip() {
    for h in [
        0u128,
        1,
        u128::MAX,
        1 << 127,
        (1 << 64) - 1,
        0x0123_4567_89ab_cdef_fedc_ba98_7654_3210,
    ] {
        let (hi, lo) = split_hash(h);
        assert_eq!(join_hash(hi, lo), h);
    }
}

#[test]
fn bad_input_names_the_kernel_and_column() {
    let kernels = Kernels::new(Config::default().params().unwrap());
    let batch = record(vec![(
        "doc",
        Arc::new(Int32Array::from(vec![1])) as ArrayRef,
    )]);
    let err = kernels.paragraphs(&batch).unwrap_err().to_string();
    assert!(err.contains("paragraphs") && err.contains("`doc`"), "{err}");
    let batch = record(vec![
        (
            "doc",
            Arc::new(StringArray::from(vec![Some("a"), None])) as ArrayRef,
        ),
        ("text", Arc::new(StringArray::from(vec!["x", "y"]))),
    ]);
    let err = kernels.paragraphs(&batch).unwrap_err().to_string();
    assert!(err.contains("null in row 1"), "{err}");
    // A signature of the wrong length.
    let sig = ListArray::from_iter_primitive::<Int32Type, _, _>(vec![Some(vec![Some(1); 3])]);
    let batch = record(vec![
        ("doc", Arc::new(StringArray::from(vec!["a"])) as ArrayRef),
        ("paragraph", Arc::new(Int32Array::from(vec![0]))),
        ("compared", Arc::new(BooleanArray::from(vec![true]))),
        ("signature", Arc::new(sig)),
    ]);
    let err = kernels.band_rows(&batch).unwrap_err().to_string();
    assert!(err.contains("128 non-null int32"), "{err}");
}

/// Sketch rows kept by the in-memory driver below.
struct SketchRow {
    key: Key,
    compared: bool,
    hash: (Option<i64>, Option<i64>),
    signature: Vec<i32>,
}

fn key_columns(keys: &[&Key], prefix: &str) -> Vec<(String, ArrayRef)> {
    let docs: Vec<&str> = keys.iter().map(|k| k.0.as_str()).collect();
    let paras: Vec<i32> = keys.iter().map(|k| k.1).collect();
    vec![
        (format!("{prefix}doc"), Arc::new(StringArray::from(docs))),
        (
            format!("{prefix}paragraph"),
            Arc::new(Int32Array::from(paras)),
        ),
    ]
}

fn list(sigs: &[&[i32]]) -> ArrayRef {
    Arc::new(ListArray::from_iter_primitive::<Int32Type, _, _>(
        sigs.iter().map(|s| Some(s.iter().map(|&v| Some(v)))),
    ))
}

fn named(columns: Vec<(String, ArrayRef)>) -> RecordBatch {
    RecordBatch::try_from_iter(columns).unwrap()
}

/// What the chain gives: clusters as sets of keys, and the verified links with similarity.
type Clusters = BTreeSet<BTreeSet<Key>>;
type Links = BTreeMap<(Key, Key), u64>;

/// The sketch stage's rows, one per paragraph.
type Sketched = (Vec<SketchRow>, BTreeMap<Key, String>);

/// An in-memory driver: every kernel over `partitions` batches (grouped where a kernel needs
/// whole groups), as an engine would run them, one function per stage.
fn chain(cfg: &Config, docs: &[(String, String)], partitions: usize) -> (Clusters, Links) {
    let mut kernels = Kernels::new(cfg.params().unwrap());
    let (sketches, text_of) = sketch_stage(&mut kernels, docs, partitions);
    let by_key: BTreeMap<&Key, &SketchRow> = sketches.iter().map(|s| (&s.key, s)).collect();
    let (reps, mut edges) = units_stage(&mut kernels, &sketches, &by_key, partitions);
    let bands = band_stage(&mut kernels, &reps, partitions);
    let candidates = candidates_stage(&mut kernels, &bands, partitions);
    let links = verify_stage(&mut kernels, &candidates, &by_key, &text_of, partitions);
    edges.extend(links.keys().cloned());
    (components_stage(&edges), links)
}

/// Paragraphs and their sketches, per partition of the documents; and each paragraph's text.
fn sketch_stage(kernels: &mut Kernels, docs: &[(String, String)], partitions: usize) -> Sketched {
    let mut sketches: Vec<SketchRow> = Vec::new();
    let mut text_of: BTreeMap<Key, String> = BTreeMap::new();
    for range in parts(docs.len(), partitions) {
        let paras = kernels.paragraphs(&docs_batch(&docs[range])).unwrap();
        for (key, text) in keys_of(&paras, "").into_iter().zip(texts(&paras, "text")) {
            text_of.insert(key, text);
        }
        let out = kernels.sketch(&paras).unwrap();
        let k = kernels.params().num_perm;
        let sigs = signatures("test", &out, "signature", k).unwrap();
        let compared = booleans("test", &out, "compared").unwrap();
        let hi = int64s("test", &out, "hash_hi").unwrap();
        let lo = int64s("test", &out, "hash_lo").unwrap();
        for (i, key) in keys_of(&out, "").into_iter().enumerate() {
            sketches.push(SketchRow {
                key,
                compared: compared[i],
                hash: (hi[i], lo[i]),
                signature: sigs[i * k..(i + 1) * k].iter().map(|&v| v as i32).collect(),
            });
        }
    }
    (sketches, text_of)
}

/// Units: partitioned by exact hash (whole hash groups per batch). The representatives, and an
/// edge from each unit to every other member.
fn units_stage<'a>(
    kernels: &mut Kernels,
    sketches: &'a [SketchRow],
    by_key: &BTreeMap<&Key, &'a SketchRow>,
    partitions: usize,
) -> (Vec<&'a SketchRow>, Vec<(Key, Key)>) {
    let mut edges: Vec<(Key, Key)> = Vec::new();
    let mut reps: Vec<&SketchRow> = Vec::new();
    for p in 0..partitions {
        let rows: Vec<&SketchRow> = sketches
            .iter()
            .filter(|s| (s.hash.1.unwrap_or(0) as u64 % partitions as u64) as usize == p)
            .collect();
        let mut columns = key_columns(&rows.iter().map(|s| &s.key).collect::<Vec<_>>(), "");
        columns.push((
            "compared".into(),
            Arc::new(BooleanArray::from(
                rows.iter().map(|s| s.compared).collect::<Vec<_>>(),
            )),
        ));
        columns.push((
            "hash_hi".into(),
            Arc::new(Int64Array::from(
                rows.iter().map(|s| s.hash.0).collect::<Vec<_>>(),
            )),
        ));
        columns.push((
            "hash_lo".into(),
            Arc::new(Int64Array::from(
                rows.iter().map(|s| s.hash.1).collect::<Vec<_>>(),
            )),
        ));
        let out = kernels.units(&named(columns)).unwrap();
        for (key, unit) in keys_of(&out, "").into_iter().zip(keys_of(&out, "unit_")) {
            if key == unit {
                reps.push(by_key[&key]);
            } else {
                edges.push((unit, key));
            }
        }
    }
    (reps, edges)
}

/// Band rows of the representatives, per partition of them.
fn band_stage(
    kernels: &mut Kernels,
    reps: &[&SketchRow],
    partitions: usize,
) -> Vec<(i32, i64, Key)> {
    let mut bands: Vec<(i32, i64, Key)> = Vec::new();
    for range in parts(reps.len(), partitions) {
        let rows = &reps[range];
        let mut columns = key_columns(&rows.iter().map(|s| &s.key).collect::<Vec<_>>(), "");
        columns.push((
            "compared".into(),
            Arc::new(BooleanArray::from(vec![true; rows.len()])),
        ));
        columns.push((
            "signature".into(),
            list(
                &rows
                    .iter()
                    .map(|s| s.signature.as_slice())
                    .collect::<Vec<_>>(),
            ),
        ));
        let out = kernels.band_rows(&named(columns)).unwrap();
        let band = ints(&out, "band");
        let bk = int64s("test", &out, "band_key").unwrap();
        for (i, key) in keys_of(&out, "").into_iter().enumerate() {
            bands.push((band[i], bk[i].unwrap(), key));
        }
    }
    bands
}

/// Candidates: whole buckets per partition; distinct over all.
fn candidates_stage(
    kernels: &mut Kernels,
    bands: &[(i32, i64, Key)],
    partitions: usize,
) -> Vec<(Key, Key)> {
    let mut candidates: BTreeSet<(Key, Key)> = BTreeSet::new();
    for p in 0..partitions {
        let rows: Vec<&(i32, i64, Key)> = bands
            .iter()
            .filter(|b| ((b.1 as u64 ^ b.0 as u64) % partitions as u64) as usize == p)
            .collect();
        let mut columns: Vec<(String, ArrayRef)> = vec![
            (
                "band".into(),
                Arc::new(Int32Array::from(
                    rows.iter().map(|b| b.0).collect::<Vec<_>>(),
                )),
            ),
            (
                "band_key".into(),
                Arc::new(Int64Array::from(
                    rows.iter().map(|b| b.1).collect::<Vec<_>>(),
                )),
            ),
        ];
        columns.extend(key_columns(
            &rows.iter().map(|b| &b.2).collect::<Vec<_>>(),
            "",
        ));
        let out = kernels.candidates(&named(columns)).unwrap();
        candidates.extend(keys_of(&out, "a_").into_iter().zip(keys_of(&out, "b_")));
    }
    candidates.into_iter().collect()
}

/// Verify, per partition of the candidates (with signatures and texts joined in).
fn verify_stage(
    kernels: &mut Kernels,
    candidates: &[(Key, Key)],
    by_key: &BTreeMap<&Key, &SketchRow>,
    text_of: &BTreeMap<Key, String>,
    partitions: usize,
) -> Links {
    let mut links = Links::new();
    for range in parts(candidates.len(), partitions) {
        let rows = &candidates[range];
        let mut columns = key_columns(&rows.iter().map(|p| &p.0).collect::<Vec<_>>(), "a_");
        columns.extend(key_columns(
            &rows.iter().map(|p| &p.1).collect::<Vec<_>>(),
            "b_",
        ));
        for (side, pick) in [("a_", 0), ("b_", 1)] {
            let key = |p: &(Key, Key)| if pick == 0 { p.0.clone() } else { p.1.clone() };
            let sigs: Vec<&[i32]> = rows
                .iter()
                .map(|p| by_key[&key(p)].signature.as_slice())
                .collect();
            columns.push((format!("{side}signature"), list(&sigs)));
            let t: Vec<&str> = rows.iter().map(|p| text_of[&key(p)].as_str()).collect();
            columns.push((format!("{side}text"), Arc::new(StringArray::from(t))));
        }
        let out = kernels.verify(&named(columns)).unwrap();
        let sim = out
            .column_by_name("similarity")
            .unwrap()
            .as_primitive::<arrow_array::types::Float64Type>()
            .values()
            .to_vec();
        for (i, pair) in keys_of(&out, "a_")
            .into_iter()
            .zip(keys_of(&out, "b_"))
            .enumerate()
        {
            links.insert(pair, sim[i].to_bits());
        }
    }
    links
}

/// Components: the whole graph in one batch.
fn components_stage(edges: &[(Key, Key)]) -> Clusters {
    let mut columns = key_columns(&edges.iter().map(|e| &e.0).collect::<Vec<_>>(), "a_");
    columns.extend(key_columns(
        &edges.iter().map(|e| &e.1).collect::<Vec<_>>(),
        "b_",
    ));
    let out = components(&named(columns)).unwrap();
    let mut clusters: BTreeMap<Key, BTreeSet<Key>> = BTreeMap::new();
    for (key, label) in keys_of(&out, "")
        .into_iter()
        .zip(keys_of(&out, "component_"))
    {
        assert!(label <= key, "the label is the smallest key");
        clusters.entry(label).or_default().insert(key);
    }
    clusters.into_values().collect()
}

fn documents(docs: &[(String, String)]) -> Vec<Document> {
    docs.iter()
        .map(|(n, t)| Document::from_text(n.clone(), t.clone()))
        .collect()
}

fn report(cfg: &Config, docs: &[(String, String)]) -> crate::Report {
    let scanner = Scanner::new(cfg.clone()).unwrap();
    scanner.scan_documents(documents(docs)).unwrap()
}

/// The scan's clusters and its verified (non-identical) links, keyed as the kernels key.
fn scan(cfg: &Config, docs: &[(String, String)]) -> (Clusters, Links) {
    let report = report(cfg, docs);
    let mut clusters = Clusters::new();
    let mut links = Links::new();
    for c in &report.clusters {
        let key = |i: u32| {
            let m = &c.members[i as usize];
            (m.path.clone(), m.paragraph as i32)
        };
        clusters.insert((0..c.members.len() as u32).map(key).collect());
        for l in c.links.iter().filter(|l| l.method != LinkMethod::Identical) {
            links.insert((key(l.a), key(l.b)), l.similarity.to_bits());
        }
    }
    (clusters, links)
}

#[test]
fn the_chain_gives_the_scans_clusters_for_any_partitioning() {
    let docs = corpus(11, 1500);
    for verify in [VerifyMode::Auto, VerifyMode::Estimate, VerifyMode::Exact] {
        let cfg = config(verify);
        let (clusters, links) = scan(&cfg, &docs);
        assert!(
            clusters.len() > 20,
            "the corpus has duplicates: {}",
            clusters.len()
        );
        for partitions in [1, 7, 64] {
            let (got, got_links) = chain(&cfg, &docs, partitions);
            assert_eq!(got, clusters, "{verify:?}, {partitions} partitions");
            assert_eq!(got_links, links, "{verify:?}, {partitions} partitions");
        }
    }
}

#[test]
fn capped_buckets_follow_the_scans_window() {
    // More copies of one near-duplicate family than a bucket window: the chain rule matters.
    let base = "the committee met on tuesday to discuss the budget for the coming year and agreed";
    let docs: Vec<(String, String)> = (0..(lsh::BUCKET_WINDOW * 2 + 5))
        .map(|i| (format!("d{i:04}"), format!("{base} item {i} of the list\n")))
        .collect();
    let cfg = config(VerifyMode::Auto);
    assert!(report(&cfg, &docs).stats.capped_buckets > 0);
    let (clusters, links) = scan(&cfg, &docs);
    for partitions in [1, 7] {
        assert_eq!(
            chain(&cfg, &docs, partitions),
            (clusters.clone(), links.clone())
        );
    }
}

fn edge_batch(edges: &[(Key, Key)]) -> RecordBatch {
    record(vec![
        (
            "a_doc",
            Arc::new(StringArray::from_iter_values(edges.iter().map(|e| &e.0 .0))),
        ),
        (
            "a_paragraph",
            Arc::new(Int32Array::from_iter_values(edges.iter().map(|e| e.0 .1))),
        ),
        (
            "b_doc",
            Arc::new(StringArray::from_iter_values(edges.iter().map(|e| &e.1 .0))),
        ),
        (
            "b_paragraph",
            Arc::new(Int32Array::from_iter_values(edges.iter().map(|e| e.1 .1))),
        ),
    ])
}

/// One star step as an engine runs it: rows partitioned by their `a_` key into `parts`
/// batches, the kernel on each, the distinct union of the outputs.
fn star_step(
    step: fn(&RecordBatch) -> Result<RecordBatch>,
    rows: &BTreeSet<(Key, Key)>,
    parts: usize,
) -> BTreeSet<(Key, Key)> {
    let mut batches: Vec<Vec<(Key, Key)>> = vec![Vec::new(); parts];
    for r in rows {
        let h = xxhash_rust::xxh3::xxh3_64(format!("{:?}", r.0).as_bytes()) as usize;
        batches[h % parts].push(r.clone());
    }
    let mut out = BTreeSet::new();
    for b in batches {
        let o = step(&edge_batch(&b)).unwrap();
        out.extend(keys_of(&o, "a_").into_iter().zip(keys_of(&o, "b_")));
    }
    out
}

/// Large-star/small-star until the edge set is unchanged, as the drivers loop.
fn star_components(edges: &[(Key, Key)], parts: usize) -> BTreeMap<Key, Key> {
    let orient = |(x, y): &(Key, Key)| {
        if x > y {
            (x.clone(), y.clone())
        } else {
            (y.clone(), x.clone())
        }
    };
    let mut current: BTreeSet<(Key, Key)> =
        edges.iter().filter(|(x, y)| x != y).map(orient).collect();
    for _ in 0..100 {
        let both: BTreeSet<(Key, Key)> = current
            .iter()
            .flat_map(|(x, y)| [(x.clone(), y.clone()), (y.clone(), x.clone())])
            .collect();
        let large = star_step(large_star, &both, parts);
        let small = star_step(small_star, &large, parts);
        if small == current {
            let mut labels = BTreeMap::new();
            for (x, y) in &current {
                labels.insert(x.clone(), y.clone());
                labels.insert(y.clone(), y.clone());
            }
            return labels;
        }
        current = small;
    }
    panic!("large-star/small-star did not converge in 100 rounds");
}

#[test]
fn large_star_small_star_give_the_union_find_components() {
    // Random graphs: chains, stars and cycles over keys of a few documents.
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = |n: u64| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % n
    };
    for round in 0..20 {
        let nodes = 2 + next(60) as usize;
        let m = next(2 * nodes as u64) as usize + 1;
        let key = |i: u64| -> Key { (format!("d{}", i % 5), (i / 5) as i32) };
        let mut edges: Vec<(Key, Key)> = (0..m)
            .map(|_| (key(next(nodes as u64)), key(next(nodes as u64))))
            .collect();
        if round == 0 {
            // A long chain: the worst case for label propagation.
            edges = (0..50).map(|i| (key(i), key(i + 1))).collect();
        }
        let uf = components(&edge_batch(&edges)).unwrap();
        let expected: BTreeMap<Key, Key> = keys_of(&uf, "")
            .into_iter()
            .zip(keys_of(&uf, "component_"))
            .filter(|(k, c)| k != c || edges.iter().any(|(x, y)| x != y && (x == k || y == k)))
            .collect();
        for parts in [1, 3, 7] {
            assert_eq!(
                star_components(&edges, parts),
                expected,
                "round {round}, {parts} parts"
            );
        }
    }
}

#[test]
fn small_star_refuses_edges_not_oriented() {
    let e = small_star(&edge_batch(&[(("a".into(), 0), ("b".into(), 0))])).unwrap_err();
    assert!(e.to_string().contains("not oriented"), "{e}");
}
