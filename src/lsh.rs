//! Locality-sensitive hashing: signatures → band keys → candidate pairs.
//!
//! Input: MinHash signatures of `num_perm` values, stored back to back, or their band keys
//! ([`band_key`], for callers that kept only those). Output: candidate
//! pairs `(i, j)` with `i < j`, sorted and without repeats, of signatures that agree on all
//! `rows` values of at least one of `bands` bands. Invariants: a pair with Jaccard similarity
//! `s` becomes a candidate with probability `1 - (1 - s^rows)^bands`
//! ([`collision_probability`]); the output depends only on the signatures, not on thread
//! count.
//!
//! Bands × rows are chosen from the threshold by minimising a weighted sum of the
//! false-positive area (∫₀ᵗ P(s) ds) and the false-negative area (∫ₜ¹ 1 − P(s) ds) over all
//! `bands · rows ≤ num_perm` (the criterion of datasketch). The weights are not equal: every
//! candidate is verified, so a false positive costs one signature comparison, while a false
//! negative is a duplicate lost for good. With [`FALSE_NEGATIVE_WEIGHT`] = 0.95 the default
//! threshold 0.8 and 128 permutations give 16 bands × 8 rows: pairs at similarity 0.85 become
//! candidates with probability 0.994 (equal weights would give 9 × 13 and 0.69).
//!
//! **Large buckets.** A bucket holding `m` signatures would give `m(m-1)/2` pairs; a template
//! shared by thousands of paragraphs would make that quadratic. Members of a bucket are ordered
//! by paragraph and each is paired only with the next [`BUCKET_WINDOW`] members: every bucket
//! of up to `BUCKET_WINDOW + 1` members still gives all its pairs, larger ones give a connected
//! chain of pairs, and the number of such capped buckets is reported.

use rayon::prelude::*;
use serde::Serialize;
use xxhash_rust::xxh3::xxh3_64_with_seed;

/// A banding of the signature: `bands` groups of `rows` consecutive values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct LshParams {
    /// Number of bands.
    pub bands: usize,
    /// Values per band.
    pub rows: usize,
}

/// Each member of a bucket is paired with at most this many following members.
pub const BUCKET_WINDOW: usize = 64;

/// Probability that a pair of Jaccard similarity `s` shares at least one band.
pub fn collision_probability(s: f64, bands: usize, rows: usize) -> f64 {
    1.0 - (1.0 - s.powi(rows as i32)).powi(bands as i32)
}

/// Integrate `f` over `[lo, hi]` with Simpson's rule on a fixed grid (deterministic).
fn integrate(f: impl Fn(f64) -> f64, lo: f64, hi: f64) -> f64 {
    const STEPS: usize = 200; // even
    if hi <= lo {
        return 0.0;
    }
    let h = (hi - lo) / STEPS as f64;
    let mut sum = f(lo) + f(hi);
    for i in 1..STEPS {
        let w = if i % 2 == 1 { 4.0 } else { 2.0 };
        sum += w * f(lo + i as f64 * h);
    }
    sum * h / 3.0
}

/// False-positive area: ∫₀ᵗ P(s) ds.
pub fn false_positive_area(threshold: f64, bands: usize, rows: usize) -> f64 {
    integrate(|s| collision_probability(s, bands, rows), 0.0, threshold)
}

/// False-negative area: ∫ₜ¹ 1 − P(s) ds.
pub fn false_negative_area(threshold: f64, bands: usize, rows: usize) -> f64 {
    integrate(
        |s| 1.0 - collision_probability(s, bands, rows),
        threshold,
        1.0,
    )
}

/// Weight of the false-negative area in [`optimal_params`]; the false-positive area weighs
/// `1 - FALSE_NEGATIVE_WEIGHT`.
pub const FALSE_NEGATIVE_WEIGHT: f64 = 0.95;

/// Bands × rows minimising the weighted false-positive + false-negative area for `threshold`.
pub fn optimal_params(threshold: f64, num_perm: usize) -> LshParams {
    let mut best = LshParams { bands: 1, rows: 1 };
    let mut best_err = f64::INFINITY;
    for bands in 1..=num_perm {
        for rows in 1..=num_perm / bands {
            let err = (1.0 - FALSE_NEGATIVE_WEIGHT) * false_positive_area(threshold, bands, rows)
                + FALSE_NEGATIVE_WEIGHT * false_negative_area(threshold, bands, rows);
            // Strict `<` keeps the first (fewest bands) of equal optima: deterministic.
            if err < best_err {
                best_err = err;
                best = LshParams { bands, rows };
            }
        }
    }
    best
}

/// What a banding does at a threshold: the numbers `neardup params` prints.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Calibration {
    /// Jaccard threshold.
    pub threshold: f64,
    /// Signature length.
    pub num_perm: usize,
    /// Bands.
    pub bands: usize,
    /// Rows per band.
    pub rows: usize,
    /// ∫₀ᵗ P(s) ds.
    pub false_positive_area: f64,
    /// ∫ₜ¹ 1 − P(s) ds.
    pub false_negative_area: f64,
    /// P(candidate) for a pair exactly at the threshold.
    pub candidate_probability_at_threshold: f64,
    /// Expected recall of candidates over pairs uniformly spread on [threshold, 1]:
    /// 1 − false-negative area / (1 − threshold).
    pub expected_recall_above_threshold: f64,
    /// `(similarity, P(candidate))` at 0.30, 0.35, …, 1.00.
    pub curve: Vec<(f64, f64)>,
}

/// Describe `lsh` at `threshold`.
pub fn calibrate(threshold: f64, num_perm: usize, lsh: LshParams) -> Calibration {
    let (b, r) = (lsh.bands, lsh.rows);
    let fn_area = false_negative_area(threshold, b, r);
    Calibration {
        threshold,
        num_perm,
        bands: b,
        rows: r,
        false_positive_area: false_positive_area(threshold, b, r),
        false_negative_area: fn_area,
        candidate_probability_at_threshold: collision_probability(threshold, b, r),
        expected_recall_above_threshold: if threshold < 1.0 {
            1.0 - fn_area / (1.0 - threshold)
        } else {
            collision_probability(1.0, b, r)
        },
        curve: (6..=20)
            .map(|i| {
                let s = i as f64 * 0.05;
                (s, collision_probability(s, b, r))
            })
            .collect(),
    }
}

/// Key of band `band` of a signature: xxh3 of the band's values in little-endian, seeded with
/// the band number so equal values in different bands never share a bucket.
pub fn band_key(signature: &[u32], band: usize, rows: usize) -> u64 {
    let values = &signature[band * rows..(band + 1) * rows];
    if cfg!(target_endian = "little") {
        // The in-memory bytes already are the little-endian encoding: hash them in place.
        xxh3_64_with_seed(zerocopy::IntoBytes::as_bytes(values), band as u64)
    } else {
        let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        xxh3_64_with_seed(&bytes, band as u64)
    }
}

/// What candidate generation did, for reports.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct CandidateStats {
    /// Distinct candidate pairs.
    pub pairs: usize,
    /// Buckets larger than `BUCKET_WINDOW + 1`, linked as a chain rather than all pairs.
    pub capped_buckets: usize,
}

/// Candidate pairs among `signatures` (each `num_perm` long, stored back to back).
pub fn candidate_pairs(
    signatures: &[u32],
    num_perm: usize,
    lsh: LshParams,
) -> (Vec<(u32, u32)>, CandidateStats) {
    let signature = |i: u32| &signatures[i as usize * num_perm..(i as usize + 1) * num_perm];
    candidate_pairs_by(signatures.len() / num_perm, &signature, lsh)
}

/// Candidate pairs among `count` signatures looked up by index (so callers need not copy them
/// into one array).
pub fn candidate_pairs_by<'s>(
    count: usize,
    signature: &(dyn Fn(u32) -> &'s [u32] + Sync),
    lsh: LshParams,
) -> (Vec<(u32, u32)>, CandidateStats) {
    let key = |i: u32, band: usize| band_key(signature(i), band, lsh.rows);
    candidate_pairs_by_keys(count, &key, lsh)
}

/// Candidate pairs among `count` items whose band keys ([`band_key`]) `key(item, band)` gives:
/// the same pairs as [`candidate_pairs_by`] on their signatures, for callers that kept the
/// keys (`bands` × 8 bytes per item) rather than the signatures (`num_perm` × 4).
pub fn candidate_pairs_by_keys(
    count: usize,
    key: &(dyn Fn(u32, usize) -> u64 + Sync),
    lsh: LshParams,
) -> (Vec<(u32, u32)>, CandidateStats) {
    // Bands are keyed a few at a time: one pass over the signatures reads the adjacent rows of
    // `BANDS_PER_PASS` bands together (sixteen strided passes over every signature stalled on
    // memory), and the keys of one pass stay small. Each worker then sorts and walks whole
    // bands, which balances better on few cores than a parallel sort per band.
    const BANDS_PER_PASS: usize = 4;
    let mut per_band: Vec<(Vec<(u32, u32)>, usize)> = Vec::with_capacity(lsh.bands);
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
            sort_keyed(&mut keyed);
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
    let mut stats = CandidateStats {
        capped_buckets: per_band.iter().map(|(_, capped)| capped).sum(),
        ..CandidateStats::default()
    };
    let mut pairs: Vec<(u32, u32)> =
        Vec::with_capacity(per_band.iter().map(|(p, _)| p.len()).sum());
    for (band_pairs, _) in per_band {
        pairs.extend(band_pairs);
    }
    pairs.par_sort_unstable();
    pairs.dedup();
    stats.pairs = pairs.len();
    (pairs, stats)
}

/// The candidate rule inside one bucket, shared by the scan and the Arrow `candidates` kernel
/// (`crate::kernels`): `bucket` holds every member of one bucket in ascending member order
/// (`member` reads a member from an entry), and each member is paired with the next
/// [`BUCKET_WINDOW`] members, `emit(earlier, later)`. Returns whether the bucket was capped
/// (more than `BUCKET_WINDOW + 1` members, so linked as a chain rather than all pairs).
pub fn bucket_pairs<T, M: Copy>(
    bucket: &[T],
    member: impl Fn(&T) -> M,
    mut emit: impl FnMut(M, M),
) -> bool {
    for (i, a) in bucket.iter().enumerate() {
        for b in bucket[i + 1..].iter().take(BUCKET_WINDOW) {
            emit(member(a), member(b));
        }
    }
    bucket.len() > BUCKET_WINDOW + 1
}

/// Sorts `(key, index)` pairs like `sort_unstable`, faster on large arrays of random keys: one
/// counting pass distributes them by the key's top `PARTITION_BITS` bits into runs of a few
/// hundred that fit in cache, then each run is sorted on its own.
fn sort_keyed(keyed: &mut Vec<(u64, u32)>) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::minhash::{splitmix64, MinHasher};
    use proptest::prelude::*;

    #[test]
    fn optimal_params_fit_the_signature() {
        for t in [0.5, 0.7, 0.8, 0.9] {
            for k in [16, 64, 128, 256] {
                let p = optimal_params(t, k);
                assert!(p.bands * p.rows <= k);
            }
        }
    }

    #[test]
    fn optimal_params_put_the_s_curve_near_the_threshold() {
        let p = optimal_params(0.8, 128);
        assert_eq!(p, LshParams { bands: 16, rows: 8 });
        // The curve's midpoint (1/b)^(1/r) lies just below the threshold (recall first).
        let mid = (1.0 / p.bands as f64).powf(1.0 / p.rows as f64);
        assert!(mid < 0.8 && mid > 0.65, "{p:?} midpoint {mid}");
        assert!(collision_probability(0.85, p.bands, p.rows) > 0.99);
        assert!(collision_probability(0.5, p.bands, p.rows) < 0.1);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(32))]
        /// The partitioned sort gives exactly `sort_unstable`'s order, also when all keys share
        /// their top bits (one partition) and repeat.
        #[test]
        fn sort_keyed_equals_sort_unstable(
            keys in proptest::collection::vec(any::<u64>(), 0..12_000),
            shared_top in any::<bool>(),
        ) {
            let mut keyed: Vec<(u64, u32)> = keys
                .iter()
                .enumerate()
                .map(|(i, &k)| (if shared_top { k & 0x001F_0000_0000_00FF } else { k }, i as u32))
                .collect();
            let mut expected = keyed.clone();
            expected.sort_unstable();
            sort_keyed(&mut keyed);
            prop_assert_eq!(keyed, expected);
        }
    }

    #[test]
    fn identical_signatures_are_candidates_once() {
        let h = MinHasher::new(16, 1);
        let s = h.sign(&[1, 2, 3]);
        let sigs: Vec<u32> = [s.clone(), s.clone(), h.sign(&[9, 10, 11])].concat();
        let (pairs, stats) = candidate_pairs(&sigs, 16, LshParams { bands: 4, rows: 4 });
        assert_eq!(pairs, vec![(0, 1)]);
        assert_eq!(stats.capped_buckets, 0);
    }

    #[test]
    fn huge_buckets_are_linked_by_a_window_not_all_pairs() {
        let sig = vec![7u32; 4];
        let n = BUCKET_WINDOW * 3;
        let sigs: Vec<u32> = (0..n).flat_map(|_| sig.clone()).collect();
        let (pairs, stats) = candidate_pairs(&sigs, 4, LshParams { bands: 1, rows: 4 });
        assert_eq!(stats.capped_buckets, 1);
        assert!(pairs.len() < n * BUCKET_WINDOW);
        assert!(pairs.contains(&(0, 1)) && pairs.contains(&((n - 2) as u32, (n - 1) as u32)));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(12))]
        /// The observed candidate rate of pairs with known similarity follows 1-(1-s^r)^b.
        #[test]
        fn collision_rate_follows_the_s_curve(common in 20usize..60, extra in 0usize..30, seed: u64) {
            let (bands, rows) = (8, 4);
            let mut state = seed;
            let trials = 400;
            let mut hits = 0;
            let mut s = 0.0;
            for t in 0..trials {
                let shared: Vec<u64> = (0..common).map(|_| splitmix64(&mut state)).collect();
                let mut a = shared.clone();
                let mut b = shared;
                a.extend((0..extra).map(|_| splitmix64(&mut state)));
                b.extend((0..extra).map(|_| splitmix64(&mut state)));
                a.sort_unstable();
                b.sort_unstable();
                s = crate::shingle::jaccard(&a, &b);
                let h = MinHasher::new(bands * rows, seed ^ t);
                let (sa, sb) = (h.sign(&a), h.sign(&b));
                if (0..bands).any(|band| band_key(&sa, band, rows) == band_key(&sb, band, rows)) {
                    hits += 1;
                }
            }
            let p = collision_probability(s, bands, rows);
            let rate = hits as f64 / trials as f64;
            let sd = (p * (1.0 - p) / trials as f64).sqrt();
            prop_assert!((rate - p).abs() <= 4.5 * sd + 0.02, "s {s} p {p} rate {rate}");
        }
    }
}
