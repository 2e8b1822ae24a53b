//! Clusters against brute-force exact Jaccard on a generated corpus: the LSH + verification
//! pipeline must find (nearly) every pair well above the threshold and never link a pair well
//! below it.

use std::collections::HashMap;

use neardup::normalize::normalize;
use neardup::shingle::{jaccard, shingles};
use neardup::synth::{generate, SynthConfig};
use neardup::{Config, Document, Scanner, VerifyMode};

struct Truth {
    /// `path:paragraph` of every paragraph, in report order.
    keys: Vec<String>,
    sets: Vec<Vec<u64>>,
}

fn corpus() -> (Vec<Document>, Truth) {
    let synth = generate(&SynthConfig {
        seed: 2024,
        paragraphs: 2500,
        near_dup_rate: 0.2,
        edit_rate: (0.0, 0.15),
        ..SynthConfig::default()
    });
    let mut docs: Vec<Document> = synth
        .articles
        .iter()
        .map(|a| Document::from_text(a.path.clone(), a.text.clone()))
        .collect();
    docs.sort_by(|a, b| a.path.cmp(&b.path));
    let mut keys = Vec::new();
    let mut sets = Vec::new();
    for d in &docs {
        let text = std::str::from_utf8(&d.bytes).unwrap();
        for (i, line) in text.lines().filter(|l| !l.trim().is_empty()).enumerate() {
            keys.push(format!("{}:{i}", d.path));
            sets.push(shingles(&normalize(line.trim()), 3));
        }
    }
    (docs, Truth { keys, sets })
}

fn check(verify: VerifyMode) {
    let (docs, truth) = corpus();
    let mut config = Config::default();
    config.verify = verify;
    let threshold = config.threshold;
    let report = Scanner::new(config).unwrap().scan_documents(docs).unwrap();
    let mut cluster_of: HashMap<&str, u32> = HashMap::new();
    for c in &report.clusters {
        for m in &c.members {
            let key = format!("{}:{}", m.path, m.paragraph);
            let idx = truth.keys.iter().position(|k| *k == key).unwrap();
            cluster_of.insert(truth.keys[idx].as_str(), c.id);
        }
    }

    // Recall of pairs with J ≥ threshold + 0.05 (brute force over all pairs).
    let (mut high, mut found) = (0usize, 0usize);
    let n = truth.sets.len();
    for i in 0..n {
        for j in i + 1..n {
            if jaccard(&truth.sets[i], &truth.sets[j]) >= threshold + 0.05 {
                high += 1;
                let (a, b) = (truth.keys[i].as_str(), truth.keys[j].as_str());
                if matches!((cluster_of.get(a), cluster_of.get(b)), (Some(x), Some(y)) if x == y) {
                    found += 1;
                }
            }
        }
    }
    assert!(
        high > 500,
        "the corpus should hold many true pairs, got {high}"
    );
    let recall = found as f64 / high as f64;
    eprintln!("{verify:?}: recall {recall:.4} ({found}/{high})");
    assert!(
        recall >= 0.99,
        "recall {recall:.4} ({found}/{high}) with {verify:?}"
    );

    // No pair with J < threshold − 0.1 is linked directly.
    let index: HashMap<&str, usize> = truth
        .keys
        .iter()
        .enumerate()
        .map(|(i, k)| (k.as_str(), i))
        .collect();
    for c in &report.clusters {
        for link in &c.links {
            let (a, b) = (&c.members[link.a as usize], &c.members[link.b as usize]);
            let ia = index[format!("{}:{}", a.path, a.paragraph).as_str()];
            let ib = index[format!("{}:{}", b.path, b.paragraph).as_str()];
            let j = jaccard(&truth.sets[ia], &truth.sets[ib]);
            assert!(
                j >= threshold - 0.1,
                "{}:{} ~ {}:{} linked with exact J {j:.3} ({verify:?})",
                a.path,
                a.paragraph,
                b.path,
                b.paragraph
            );
        }
    }
}

#[test]
fn auto_verification_matches_brute_force_exact_jaccard() {
    check(VerifyMode::Auto);
}

#[test]
fn exact_verification_matches_brute_force_exact_jaccard() {
    check(VerifyMode::Exact);
}
