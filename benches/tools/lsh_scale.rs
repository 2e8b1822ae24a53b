//! Times LSH candidate generation alone at several sizes, to see whether it grows linearly.
//!
//! ```text
//! cargo run --release --example lsh_scale -- [--old] [UNITS...]      # default 336000 1350000
//! ```
//!
//! `--old` times instead the grouping the library used before (commit `40cd548`: one sort of
//! each whole band, after one partitioning pass by the keys' top 11 bits), kept here only to
//! measure against; its pairs must be the same.
//!
//! Builds `UNITS` × 16 band keys the way the scan holds them (back to back, one row of 16 per
//! unit; random 64-bit keys, every tenth unit a copy of its predecessor in all bands and every
//! seventh sharing one band with its predecessor, so buckets of two exist), then times
//! [`neardup::lsh::candidate_pairs_by_keys`] five times and prints the median, in seconds and
//! in nanoseconds per unit, with the number of pairs (which checks the runs agree).

use std::time::Instant;

use neardup::lsh::{bucket_pairs, candidate_pairs_by_keys, CandidateStats, LshParams};
use rayon::prelude::*;

/// The former `lsh::candidate_pairs_by_keys` (commit `40cd548`), for comparison.
fn old_candidate_pairs(
    count: usize,
    key: &(dyn Fn(u32, usize) -> u64 + Sync),
    lsh: LshParams,
) -> (Vec<(u32, u32)>, CandidateStats) {
    const BANDS_PER_PASS: usize = 4;
    let mut per_band: Vec<(Vec<(u32, u32)>, usize)> = Vec::new();
    for first in (0..lsh.bands).step_by(BANDS_PER_PASS) {
        let bands = first..(first + BANDS_PER_PASS).min(lsh.bands);
        let keys: Vec<[u64; BANDS_PER_PASS]> = (0..count as u32)
            .into_par_iter()
            .map(|i| {
                let mut keys = [0; BANDS_PER_PASS];
                for (slot, band) in keys.iter_mut().zip(bands.clone()) {
                    *slot = key(i, band);
                }
                keys
            })
            .collect();
        per_band.par_extend(bands.into_par_iter().map(|band| {
            let mut keyed: Vec<(u64, u32)> = keys
                .iter()
                .enumerate()
                .map(|(i, k)| (k[band - first], i as u32))
                .collect();
            old_sort_keyed(&mut keyed);
            let mut pairs = Vec::new();
            let mut capped = 0;
            for bucket in keyed.chunk_by(|a, b| a.0 == b.0) {
                if bucket_pairs(bucket, |&(_, u)| u, |a, b| pairs.push((a, b))) {
                    capped += 1;
                }
            }
            (pairs, capped)
        }));
    }
    let capped_buckets = per_band.iter().map(|(_, c)| c).sum();
    let mut pairs: Vec<(u32, u32)> = per_band.into_iter().flat_map(|(p, _)| p).collect();
    pairs.par_sort_unstable();
    pairs.dedup();
    let stats = CandidateStats {
        pairs: pairs.len(),
        capped_buckets,
    };
    (pairs, stats)
}

/// The former partition-then-sort of one band (commit `40cd548`).
fn old_sort_keyed(keyed: &mut Vec<(u64, u32)>) {
    const PARTITION_BITS: u32 = 11;
    const PARTITIONS: usize = 1 << PARTITION_BITS;
    if keyed.len() <= 2 * PARTITIONS {
        keyed.sort_unstable();
        return;
    }
    let partition = |key: u64| (key >> (64 - PARTITION_BITS)) as usize;
    let mut ends = vec![0usize; PARTITIONS];
    for &(key, _) in keyed.iter() {
        ends[partition(key)] += 1;
    }
    let mut next = vec![0usize; PARTITIONS];
    let mut total = 0;
    for (end, next) in ends.iter_mut().zip(next.iter_mut()) {
        *next = total;
        total += *end;
        *end = total;
    }
    let mut sorted = vec![(0u64, 0u32); keyed.len()];
    for &entry in keyed.iter() {
        let slot = &mut next[partition(entry.0)];
        sorted[*slot] = entry;
        *slot += 1;
    }
    let mut start = 0;
    for end in ends {
        sorted[start..end].sort_unstable();
        start = end;
    }
    *keyed = sorted;
}

fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn main() {
    let old = std::env::args().any(|a| a == "--old");
    let sizes: Vec<usize> = std::env::args()
        .skip(1)
        .filter(|a| a != "--old")
        .map(|a| a.parse().expect("UNITS must be a number"))
        .collect();
    let sizes = if sizes.is_empty() {
        vec![336_000, 1_350_000]
    } else {
        sizes
    };
    let lsh = LshParams { bands: 16, rows: 8 };
    for n in sizes {
        let mut keys = vec![0u64; n * lsh.bands];
        for u in 0..n {
            for b in 0..lsh.bands {
                let source = if u % 10 == 9 || (u % 7 == 6 && b == 3) {
                    u - 1
                } else {
                    u
                };
                keys[u * lsh.bands + b] = mix((source as u64) << 8 | b as u64);
            }
        }
        // Copies made above are themselves copied: resolve chains so equal means equal.
        for u in 1..n {
            for b in 0..lsh.bands {
                if u % 10 == 9 || (u % 7 == 6 && b == 3) {
                    keys[u * lsh.bands + b] = keys[(u - 1) * lsh.bands + b];
                }
            }
        }
        let key = |u: u32, band: usize| keys[u as usize * lsh.bands + band];
        let mut times = Vec::new();
        let mut pairs = 0;
        for _ in 0..5 {
            let t = Instant::now();
            let (p, stats) = if old {
                old_candidate_pairs(n, &key, lsh)
            } else {
                candidate_pairs_by_keys(n, &key, lsh)
            };
            times.push(t.elapsed().as_secs_f64());
            pairs = stats.pairs;
            drop(p);
        }
        times.sort_by(f64::total_cmp);
        let median = times[times.len() / 2];
        println!(
            "{} units {n}: median {median:.4} s ({:.1} ns/unit), min {:.4} s, pairs {pairs}",
            if old { "old" } else { "new" },
            median * 1e9 / n as f64,
            times[0]
        );
    }
}
