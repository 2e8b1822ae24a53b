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

use std::sync::{Mutex, PoisonError};

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
    // memory), and the keys of one pass stay small. The pass writes each band's keys to a
    // column of its own, so the two reads of a band by its grouping stream 8 bytes a unit rather
    // than every band's. Each worker then groups and walks whole bands, which balances better on
    // few cores than a parallel sort per band.
    const BANDS_PER_PASS: usize = 4;
    let mut per_band: Vec<(Vec<(u32, u32)>, usize)> = Vec::with_capacity(lsh.bands);
    let mut columns = vec![0u64; count * BANDS_PER_PASS.min(lsh.bands)];
    // A band's partitioned entries (16 bytes a unit) are the largest allocation of the stage:
    // workers reuse the arrays of bands they finished instead of faulting in fresh pages for
    // every band (the kernel's page zeroing was a visible share of the stage at 1.6M).
    let spare: Mutex<Vec<Vec<Entry>>> = Mutex::new(Vec::new());
    for first in (0..lsh.bands).step_by(BANDS_PER_PASS) {
        let bands = first..(first + BANDS_PER_PASS).min(lsh.bands);
        let columns = &mut columns[..count * bands.len()];
        key_bands(columns, count, bands.clone(), key);
        let columns = &*columns;
        per_band.par_extend(bands.clone().into_par_iter().map(|band| {
            let column = &columns[(band - first) * count..(band - first + 1) * count];
            band_pairs(column, &spare)
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

/// One keying pass: `columns` holds one column of `count` keys for each band of `bands`, and
/// each parallel task fills its chunk of units in every band's column.
fn key_bands(
    columns: &mut [u64],
    count: usize,
    bands: std::ops::Range<usize>,
    key: &(dyn Fn(u32, usize) -> u64 + Sync),
) {
    // Units keyed by one task of the pass.
    const CHUNK: usize = 1 << 12;
    // Per task, its chunk of every band's column.
    let mut tasks: Vec<Vec<&mut [u64]>> = (0..count.div_ceil(CHUNK)).map(|_| Vec::new()).collect();
    for column in columns.chunks_mut(count.max(1)) {
        for (task, chunk) in tasks.iter_mut().zip(column.chunks_mut(CHUNK)) {
            task.push(chunk);
        }
    }
    tasks
        .into_par_iter()
        .enumerate()
        .for_each(|(t, mut chunks)| {
            let len = chunks.first().map_or(0, |c| c.len());
            for i in 0..len {
                let item = (t * CHUNK + i) as u32;
                for (band, chunk) in bands.clone().zip(chunks.iter_mut()) {
                    chunk[i] = key(item, band);
                }
            }
        });
}

/// The candidate pairs of one band from its column of keys, and how many of its buckets were
/// capped; the partition arrays come from and go back to `spare`.
fn band_pairs(column: &[u64], spare: &Mutex<Vec<Vec<Entry>>>) -> (Vec<(u32, u32)>, usize) {
    let mut pairs = Vec::new();
    let mut capped = 0;
    let mut parted = spare
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .pop()
        .unwrap_or_default();
    for_each_bucket(
        column.len(),
        |i| column[i],
        LEAF,
        &mut parted,
        |bucket| {
            if bucket_pairs(bucket, |&(_, u)| u, |a, b| pairs.push((a, b))) {
                capped += 1;
            }
        },
    );
    spare
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(parted);
    (pairs, capped)
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

/// Runs of at most this many entries are sorted whole; longer ones are partitioned further.
const LEAF: usize = 32;

/// Most key bits one partitioning pass distributes by: 2^10 output runs keep the pass's write
/// positions within the first-level caches and the TLB.
const MAX_BITS_PER_PASS: u32 = 10;

/// An entry of one band: (band key, item).
type Entry = (u64, u32);

/// Calls `bucket` once for every group of the items `0..count` whose keys `key(item)` are
/// equal, with the group's entries in ascending item order: the buckets a full
/// `sort_unstable` of the `(key, item)` pairs followed by `chunk_by` on the key would give, in
/// the same order, in time linear in `count`. `parted` is working space (its contents are
/// ignored), passed in so that callers can reuse it.
///
/// A sort of the whole band grew faster than linearly (the band's array outgrows the caches
/// and every comparison sort adds a log factor), so the band is split by the keys' leading
/// bits instead, most significant first (keys are hashes, so evenly): one counting pass and
/// one scatter from `key` into an array of the band, then each run, already small enough for
/// the second-level cache, is partitioned again by the following bits into a scratch buffer
/// (and so on for very large bands) until runs hold about `leaf` entries, which are sorted.
/// The number of bits is chosen from `count` so that runs end near `leaf` entries at any size.
/// Equal keys share all their bits and so end in the same run, and every pass is stable, so a
/// bucket is complete and in item order within its run.
fn for_each_bucket(
    count: usize,
    key: impl Fn(usize) -> u64,
    leaf: usize,
    parted: &mut Vec<Entry>,
    mut bucket: impl FnMut(&[Entry]),
) {
    let leaf = leaf.max(1);
    // ceil(log2(count / leaf)) bits take runs down to about `leaf` entries.
    let bits = (count.div_ceil(leaf).max(1) as u64)
        .next_power_of_two()
        .trailing_zeros()
        .min(48);
    let passes = bits.div_ceil(MAX_BITS_PER_PASS).max(1);
    let first_bits = bits.div_ceil(passes);
    // Every slot is overwritten by the scatter; the fill only makes the reused array `count` long.
    parted.clear();
    parted.resize(count, (0, 0));
    let ends = scatter(
        (0..count).map(|i| (key(i), i as u32)),
        count,
        0,
        first_bits,
        parted,
    );
    let mut scratch = Vec::new();
    let mut start = 0;
    for end in ends {
        let run = &mut parted[start..end];
        scratch.resize(scratch.len().max(run.len()), (0, 0));
        refine(
            run,
            &mut scratch[..end - start],
            first_bits,
            bits - first_bits,
            leaf,
            &mut bucket,
        );
        start = end;
    }
}

/// Distributes `entries` (`len` of them, read twice) into `out` by the `bits` key bits below
/// the first `shift`, stably; returns the end of each digit's run in `out`.
fn scatter<I: Iterator<Item = Entry> + Clone>(
    entries: I,
    len: usize,
    shift: u32,
    bits: u32,
    out: &mut [Entry],
) -> Vec<usize> {
    debug_assert_eq!(out.len(), len);
    let digit = |key: u64| {
        if bits == 0 {
            0
        } else {
            ((key << shift) >> (64 - bits)) as usize
        }
    };
    let mut ends = vec![0usize; 1 << bits];
    for (key, _) in entries.clone() {
        ends[digit(key)] += 1;
    }
    let mut next = vec![0usize; 1 << bits];
    let mut total = 0;
    for (end, next) in ends.iter_mut().zip(next.iter_mut()) {
        *next = total;
        total += *end;
        *end = total;
    }
    for entry in entries {
        let slot = &mut next[digit(entry.0)];
        out[*slot] = entry;
        *slot += 1;
    }
    ends
}

/// Groups one run whose entries agree on their first `shift` key bits: partitions it by the
/// next bits into `spare` (the same length, its contents ignored) and recurses with the roles
/// of the two buffers swapped, or, once `bits` are used up or the run is at most `leaf` long,
/// sorts it and hands its buckets to `bucket`.
fn refine(
    run: &mut [Entry],
    spare: &mut [Entry],
    shift: u32,
    bits: u32,
    leaf: usize,
    bucket: &mut impl FnMut(&[Entry]),
) {
    if bits == 0 || run.len() <= leaf {
        run.sort_unstable();
        for b in run.chunk_by(|a, b| a.0 == b.0) {
            bucket(b);
        }
        return;
    }
    let step = bits.min(MAX_BITS_PER_PASS);
    let ends = scatter(run.iter().copied(), run.len(), shift, step, spare);
    let mut start = 0;
    for end in ends {
        if end > start {
            refine(
                &mut spare[start..end],
                &mut run[start..end],
                shift + step,
                bits - step,
                leaf,
                bucket,
            );
        }
        start = end;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::minhash::{splitmix64, HashFamily, MinHasher};
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

    /// The buckets of a band as the scan grouped them before the partitioned grouping: the
    /// whole band's `(key, item)` pairs sorted, cut where the key changes.
    fn buckets_by_sort(keys: &[u64]) -> Vec<Vec<Entry>> {
        let mut keyed: Vec<Entry> = keys
            .iter()
            .enumerate()
            .map(|(i, &k)| (k, i as u32))
            .collect();
        keyed.sort_unstable();
        keyed
            .chunk_by(|a, b| a.0 == b.0)
            .map(<[Entry]>::to_vec)
            .collect()
    }

    /// Candidate pairs and stats as computed before the partitioned grouping (one full sort
    /// per band), the reference the scan's reports must not move from.
    fn candidate_pairs_by_sort(keys: &[Vec<u64>]) -> (Vec<(u32, u32)>, usize) {
        let mut pairs = Vec::new();
        let mut capped = 0;
        for band in keys {
            for bucket in buckets_by_sort(band) {
                if bucket_pairs(&bucket, |&(_, u)| u, |a, b| pairs.push((a, b))) {
                    capped += 1;
                }
            }
        }
        pairs.sort_unstable();
        pairs.dedup();
        (pairs, capped)
    }

    /// Keys with the shapes that matter: random, sharing their leading bits (one run at every
    /// level), drawn from a few values (large buckets, capped ones included).
    fn band_keys(max_len: usize) -> impl Strategy<Value = Vec<u64>> {
        (
            proptest::collection::vec(any::<u64>(), 0..max_len),
            0u32..3,
            1u64..200,
        )
            .prop_map(|(keys, shape, distinct)| {
                keys.into_iter()
                    .map(|k| match shape {
                        0 => k,
                        1 => k & 0x001F_0000_0000_00FF,
                        _ => (k % distinct).wrapping_mul(0x9E37_79B9_7F4A_7C15),
                    })
                    .collect()
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        /// The partitioned grouping gives exactly the buckets of the full sort, each in item
        /// order, whatever the leaf size (small leaves force several partitioning levels).
        #[test]
        fn partitioned_buckets_equal_the_sorted_ones(
            keys in band_keys(6_000),
            leaf in prop_oneof![Just(1usize), Just(2), Just(7), Just(LEAF)],
        ) {
            let mut got = Vec::new();
            for_each_bucket(keys.len(), |i| keys[i], leaf, &mut Vec::new(), |b| {
                got.push(b.to_vec())
            });
            got.sort_unstable();
            let mut expected = buckets_by_sort(&keys);
            expected.sort_unstable();
            prop_assert_eq!(got, expected);
        }

        /// Candidate pairs and capped buckets are those of one full sort per band.
        #[test]
        fn candidate_pairs_equal_the_sorted_grouping(
            bands in proptest::collection::vec(band_keys(3_000), 1..6),
        ) {
            let count = bands.iter().map(Vec::len).min().unwrap_or(0);
            let bands: Vec<Vec<u64>> = bands.into_iter().map(|b| b[..count].to_vec()).collect();
            let lsh = LshParams { bands: bands.len(), rows: 1 };
            let (pairs, stats) =
                candidate_pairs_by_keys(count, &|i, band| bands[band][i as usize], lsh);
            let (expected, capped) = candidate_pairs_by_sort(&bands);
            prop_assert_eq!(stats.pairs, expected.len());
            prop_assert_eq!(pairs, expected);
            prop_assert_eq!(stats.capped_buckets, capped);
        }
    }

    /// Several key-pass tasks (more units than one task keys) and a last pass with fewer bands
    /// than the others give the pairs of one full sort per band.
    #[test]
    fn many_units_and_a_short_last_pass_equal_the_sorted_grouping() {
        let count = 10_000;
        let bands: Vec<Vec<u64>> = (0..5u64)
            .map(|band| {
                let mut state = band;
                (0..count)
                    .map(|_| {
                        (splitmix64(&mut state) % (4_000 + band * 1_000))
                            .wrapping_mul(0x9E37_79B9_7F4A_7C15)
                    })
                    .collect()
            })
            .collect();
        let lsh = LshParams { bands: 5, rows: 1 };
        let (pairs, stats) =
            candidate_pairs_by_keys(count, &|i, band| bands[band][i as usize], lsh);
        let (expected, capped) = candidate_pairs_by_sort(&bands);
        assert!(!expected.is_empty());
        assert_eq!(pairs, expected);
        assert_eq!(stats.capped_buckets, capped);
    }

    #[test]
    fn identical_signatures_are_candidates_once() {
        let h = MinHasher::new(HashFamily::default(), 16, 1);
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
                let h = MinHasher::new(HashFamily::default(), bands * rows, seed ^ t);
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
