//! Per-stage throughput (bytes/s and paragraphs/s) on a generated news-like corpus.
//!
//! `cargo bench --bench stages`; results are recorded in `benches/README.md`.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use neardup::cluster::UnionFind;
use neardup::lsh::{self, LshParams};
use neardup::minhash::{estimate_jaccard, HashFamily, Kernel, MinHasher};
use neardup::normalize::{normalize, normalize_into};
use neardup::shingle::{shingle_into, ShingleScratch};
use neardup::sketch::Sketcher;
use neardup::synth::{generate, SynthConfig};
use neardup::{Config, Document, Scanner};

const PARAGRAPHS: usize = 20_000;
const NUM_PERM: usize = 128;

struct Input {
    paragraphs: Vec<String>,
    /// The same paragraphs by language of their article (`en`, `ar`).
    by_language: Vec<(&'static str, Vec<String>)>,
    normalized: Vec<String>,
    shingles: Vec<Vec<u64>>,
    signatures: Vec<u32>,
    documents: Vec<Document>,
    bytes: u64,
}

fn input() -> Input {
    let corpus = generate(&SynthConfig {
        seed: 7,
        paragraphs: PARAGRAPHS,
        ..SynthConfig::default()
    });
    let paragraphs: Vec<String> = corpus
        .articles
        .iter()
        .flat_map(|a| a.text.lines().map(str::to_string))
        .filter(|l| !l.is_empty())
        .collect();
    let by_language = ["en", "ar"]
        .map(|lang| {
            let texts = corpus
                .articles
                .iter()
                .filter(|a| a.path.starts_with(&format!("{lang}/")))
                .flat_map(|a| a.text.lines().map(str::to_string))
                .filter(|l| !l.is_empty())
                .collect();
            (lang, texts)
        })
        .to_vec();
    let normalized: Vec<String> = paragraphs
        .iter()
        .map(|p| normalize(p).into_owned())
        .collect();
    let mut scratch = ShingleScratch::default();
    let shingles: Vec<Vec<u64>> = normalized
        .iter()
        .map(|n| {
            let mut out = Vec::new();
            shingle_into(n, 3, &mut scratch, &mut out);
            out
        })
        .collect();
    let hasher = MinHasher::new(HashFamily::default(), NUM_PERM, 1);
    let signatures: Vec<u32> = shingles.iter().flat_map(|s| hasher.sign(s)).collect();
    let documents = corpus
        .articles
        .iter()
        .map(|a| Document::from_text(a.path.clone(), a.text.clone()))
        .collect();
    let bytes = paragraphs.iter().map(|p| p.len() as u64).sum();
    Input {
        paragraphs,
        by_language,
        normalized,
        shingles,
        signatures,
        documents,
        bytes,
    }
}

/// Both groups run on one generated input, made once.
fn stages(c: &mut Criterion) {
    let input = input();
    byte_stages(c, &input);
    paragraph_stages(c, &input);
}

/// The stages that read text, measured in bytes/s.
fn byte_stages(c: &mut Criterion, input: &Input) {
    let mut g = c.benchmark_group("bytes");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(input.bytes));
    g.bench_function("normalize", |b| {
        let mut out = String::new();
        b.iter(|| {
            let mut total = 0;
            for p in &input.paragraphs {
                normalize_into(p, &mut out);
                total += out.len();
            }
            total
        })
    });
    g.bench_function("shingle", |b| {
        let mut scratch = ShingleScratch::default();
        let mut out = Vec::new();
        b.iter(|| {
            let mut total = 0;
            for p in &input.normalized {
                shingle_into(p, 3, &mut scratch, &mut out);
                total += out.len();
            }
            total
        })
    });
    // One line per kernel this CPU runs (`minhash/avx2`, …): the figures of a portable build
    // and of the run-time-selected vector kernels, on the same input.
    // Each family: `minhash/avx512` is the default family, `minhash-ms/avx512` the former one.
    let families = [
        (HashFamily::XorMultiply, "minhash"),
        (HashFamily::MultiplyShift, "minhash-ms"),
    ];
    for (family, kernel) in families
        .into_iter()
        .flat_map(|f| [Kernel::Portable, Kernel::Avx2, Kernel::Avx512].map(|k| (f, k)))
    {
        let ((family, prefix), kernel) = (family, kernel);
        let hasher = MinHasher::with_kernel(family, NUM_PERM, 1, kernel);
        if hasher.kernel() != kernel {
            continue;
        }
        g.bench_function(format!("{prefix}/{}", kernel.name()), |b| {
            let mut sig = vec![0u32; NUM_PERM];
            b.iter(|| {
                for s in &input.shingles {
                    hasher.sign_into(s, &mut sig);
                }
                sig[0]
            })
        });
    }
    sketch_by_language(&mut g, input);
    g.throughput(Throughput::Bytes(input.bytes));
    g.bench_function("scan_end_to_end", |b| {
        let scanner = Scanner::new(Config::default()).unwrap();
        b.iter_batched(
            || input.documents.clone(),
            |docs| scanner.scan_documents(docs).unwrap().clusters.len(),
            BatchSize::LargeInput,
        )
    });
    g.finish();
}

/// The whole per-paragraph sketch path of a scan (`Sketcher::sketch`: normalise, find words,
/// hash shingles, MinHash, exact hash of the normalised text), one core, per language and hash
/// family: the figure issue 17's per-core target is about (`sketch/en`, `sketch-ms/ar`, ...).
fn sketch_by_language(
    g: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    input: &Input,
) {
    let families = [
        (HashFamily::XorMultiply, "sketch"),
        (HashFamily::MultiplyShift, "sketch-ms"),
    ];
    for (lang, texts) in &input.by_language {
        g.throughput(Throughput::Bytes(
            texts.iter().map(|t| t.len() as u64).sum(),
        ));
        for (family, prefix) in families {
            let mut config = Config::default();
            config.hash = family;
            let mut sketcher = Sketcher::new(&config.params().unwrap());
            let mut signature = vec![0u32; NUM_PERM];
            g.bench_function(format!("{prefix}/{lang}"), |b| {
                b.iter(|| {
                    texts
                        .iter()
                        .filter_map(|t| sketcher.sketch(t, &mut signature))
                        .count()
                })
            });
        }
    }
}

/// The stages that work on signatures and pairs, measured in paragraphs/s.
fn paragraph_stages(c: &mut Criterion, input: &Input) {
    let mut g = c.benchmark_group("paragraphs");
    g.sample_size(10);
    g.throughput(Throughput::Elements(input.paragraphs.len() as u64));
    g.bench_function("lsh_candidates", |b| {
        b.iter(|| {
            lsh::candidate_pairs(
                &input.signatures,
                NUM_PERM,
                LshParams { bands: 16, rows: 8 },
            )
            .0
            .len()
        })
    });
    let (pairs, _) = lsh::candidate_pairs(
        &input.signatures,
        NUM_PERM,
        LshParams { bands: 16, rows: 8 },
    );
    g.bench_function("verify_estimate", |b| {
        // Scaled to one comparison per paragraph so the figure reads as paragraphs/s.
        b.iter(|| {
            (0..input.paragraphs.len())
                .map(|i| {
                    let (x, y) = pairs[i % pairs.len().max(1)];
                    let sig = |k: u32| {
                        &input.signatures[k as usize * NUM_PERM..(k as usize + 1) * NUM_PERM]
                    };
                    estimate_jaccard(sig(x), sig(y))
                })
                .sum::<f64>()
        })
    });
    g.bench_function("cluster_union_find", |b| {
        b.iter(|| {
            let mut uf = UnionFind::new(input.paragraphs.len());
            for &(x, y) in &pairs {
                uf.union(x, y);
            }
            uf.components(2).len()
        })
    });
    g.finish();
}

criterion_group!(benches, stages);
criterion_main!(benches);
