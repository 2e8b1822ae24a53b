//! MinHash: shingle set → signature of `num_perm` 32-bit minima.
//!
//! Input: a set of 64-bit shingle hashes (see [`crate::shingle`]). Output: a signature, one
//! `u32` per permutation, where `sig[i] = min over shingles x of h_i(x)`. Invariant: two
//! signatures agree at position `i` with probability ≈ the Jaccard similarity of the sets, so
//! the share of agreeing positions estimates it ([`estimate_jaccard`]).
//!
//! **Hash family.** `h_i(x) = ((a_i · x + b_i) mod 2^64) >> 32` with `a_i` odd and `a_i, b_i`
//! drawn from SplitMix64 seeded with the configured seed (multiply-shift, Dietzfelbinger et
//! al.). The shingle hashes are already xxh3 outputs, so the family only has to decorrelate
//! permutations; it costs one multiply-add per (shingle, permutation). Baseline x86-64 has no
//! vector 64-bit multiply, so on CPUs with AVX2 or AVX-512 (detected at run time) the same hash
//! is computed in 32-bit halves, 32 or 64 permutations per loop, bit-identical ([`Kernel`]).
//! Its estimates are checked for bias against exact Jaccard in the tests. Signatures are
//! 32-bit: a collision of two different minima at 32 bits (≈ 2^-32 per position) is far below
//! the estimator's own noise, and halves memory against 64-bit minima.

/// Computes signatures with a fixed family of permutations.
#[derive(Clone, Debug)]
pub struct MinHasher {
    mul: Vec<u64>,
    add: Vec<u64>,
    /// The same constants cut into 32-bit halves, for the vector kernels.
    halves: Halves,
    kernel: Kernel,
}

/// `a` and `b` of every permutation as 32-bit halves: `a = a_hi·2^32 + a_lo`.
#[derive(Clone, Debug, Default)]
struct Halves {
    a_lo: Vec<u32>,
    a_hi: Vec<u32>,
    b_lo: Vec<u32>,
    b_hi: Vec<u32>,
}

/// Which loop computes the signatures. Every kernel gives bit-identical signatures (tested);
/// they differ only in speed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kernel {
    /// 64-bit multiply per (shingle, permutation); any CPU.
    Portable,
    /// 32-bit lanes, 32 permutations at a time, compiled for AVX2 (x86-64 only).
    Avx2,
    /// 32-bit lanes, 64 permutations at a time, compiled for AVX-512 (x86-64 only).
    Avx512,
}

impl Kernel {
    /// The fastest kernel this CPU runs, detected at run time (the binary itself is built for
    /// the portable x86-64 baseline).
    pub fn detect() -> Kernel {
        #[cfg(target_arch = "x86_64")]
        {
            // `avx2` too: the AVX-512 kernel's target features imply it, and a virtual CPU
            // may report AVX-512 with AVX2 masked off.
            if std::arch::is_x86_feature_detected!("avx2")
                && std::arch::is_x86_feature_detected!("avx512f")
                && std::arch::is_x86_feature_detected!("avx512vl")
                && std::arch::is_x86_feature_detected!("avx512dq")
                && std::arch::is_x86_feature_detected!("avx512bw")
            {
                return Kernel::Avx512;
            }
            if std::arch::is_x86_feature_detected!("avx2") {
                return Kernel::Avx2;
            }
        }
        Kernel::Portable
    }

    /// Whether this CPU can run the kernel.
    pub fn is_supported(self) -> bool {
        match self {
            Kernel::Portable => true,
            Kernel::Avx2 => {
                #[cfg(target_arch = "x86_64")]
                {
                    std::arch::is_x86_feature_detected!("avx2")
                }
                #[cfg(not(target_arch = "x86_64"))]
                {
                    false
                }
            }
            Kernel::Avx512 => Kernel::detect() == Kernel::Avx512,
        }
    }

    /// Lower-case name (the benchmarks name their lines with it).
    pub fn name(self) -> &'static str {
        match self {
            Kernel::Portable => "portable",
            Kernel::Avx2 => "avx2",
            Kernel::Avx512 => "avx512",
        }
    }
}

/// SplitMix64: a tiny, well-studied generator; used so the permutations depend only on the seed.
pub(crate) fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl MinHasher {
    /// A family of `num_perm` permutations derived from `seed`, computed with the fastest
    /// kernel this CPU runs ([`Kernel::detect`]).
    pub fn new(num_perm: usize, seed: u64) -> Self {
        Self::with_kernel(num_perm, seed, Kernel::detect())
    }

    /// The same family computed with a chosen kernel; one the CPU cannot run
    /// ([`Kernel::is_supported`]) falls back to [`Kernel::Portable`].
    pub fn with_kernel(num_perm: usize, seed: u64, kernel: Kernel) -> Self {
        let mut state = seed;
        let mut mul = Vec::with_capacity(num_perm);
        let mut add = Vec::with_capacity(num_perm);
        for _ in 0..num_perm {
            mul.push(splitmix64(&mut state) | 1);
            add.push(splitmix64(&mut state));
        }
        let halves = Halves {
            a_lo: mul.iter().map(|&a| a as u32).collect(),
            a_hi: mul.iter().map(|&a| (a >> 32) as u32).collect(),
            b_lo: add.iter().map(|&b| b as u32).collect(),
            b_hi: add.iter().map(|&b| (b >> 32) as u32).collect(),
        };
        let kernel = if kernel.is_supported() {
            kernel
        } else {
            Kernel::Portable
        };
        MinHasher {
            mul,
            add,
            halves,
            kernel,
        }
    }

    /// Signature length.
    pub fn num_perm(&self) -> usize {
        self.mul.len()
    }

    /// The kernel in use.
    pub fn kernel(&self) -> Kernel {
        self.kernel
    }

    /// Write the signature of `shingles` into `out` (`out.len() == num_perm`). An empty set
    /// gives all `u32::MAX`.
    pub fn sign_into(&self, shingles: &[u64], out: &mut [u32]) {
        assert_eq!(
            out.len(),
            self.mul.len(),
            "signature buffer has the wrong length"
        );
        let done = match self.kernel {
            Kernel::Portable => 0,
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx2 => x86::sign_avx2(&self.halves, shingles, out),
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx512 => x86::sign_avx512(&self.halves, shingles, out),
            #[cfg(not(target_arch = "x86_64"))]
            Kernel::Avx2 | Kernel::Avx512 => 0,
        };
        self.sign_portable(shingles, &mut out[done..], done);
    }

    /// The portable kernel for permutations `first..first + out.len()`.
    fn sign_portable(&self, shingles: &[u64], out: &mut [u32], first: usize) {
        let (mul, add) = (&self.mul[first..], &self.add[first..]);
        // Permutations in chunks of 8 keep the running minima in registers while every shingle
        // passes through; the inner loop is branch-free.
        const LANES: usize = 8;
        let mut chunks = out.chunks_exact_mut(LANES);
        let mut base = 0;
        for chunk in &mut chunks {
            let mul: &[u64; LANES] = mul[base..base + LANES].try_into().unwrap();
            let add: &[u64; LANES] = add[base..base + LANES].try_into().unwrap();
            let mut mins = [u32::MAX; LANES];
            for &x in shingles {
                for lane in 0..LANES {
                    let h = (mul[lane].wrapping_mul(x).wrapping_add(add[lane]) >> 32) as u32;
                    mins[lane] = mins[lane].min(h);
                }
            }
            chunk.copy_from_slice(&mins);
            base += LANES;
        }
        for (i, slot) in chunks.into_remainder().iter_mut().enumerate() {
            let (m, a) = (mul[base + i], add[base + i]);
            *slot = shingles
                .iter()
                .map(|&x| (m.wrapping_mul(x).wrapping_add(a) >> 32) as u32)
                .min()
                .unwrap_or(u32::MAX);
        }
    }

    /// Signature of `shingles`, allocated.
    pub fn sign(&self, shingles: &[u64]) -> Vec<u32> {
        let mut out = vec![0; self.num_perm()];
        self.sign_into(shingles, &mut out);
        out
    }
}

/// The same hash in 32-bit lanes, for CPUs with 32-bit vector multiplies but no 64-bit one.
///
/// With `a = a_hi·2^32 + a_lo`, `b = b_hi·2^32 + b_lo`, `x = x_hi·2^32 + x_lo`:
/// `((a·x + b) mod 2^64) >> 32 = hi32(a_lo·x_lo + b_lo) + a_hi·x_lo + a_lo·x_hi + b_hi (mod 2^32)`,
/// because the other partial products are multiples of 2^64, and `a_lo·x_lo + b_lo` fits in 64
/// bits (at most `2^64 − 2^32`). One 32×32→64 multiply and two 32-bit multiplies per lane, all
/// of which AVX2 and AVX-512 have, so the compiler vectorises the lane loop.
/// Processes whole chunks of `LANES` permutations and returns how many it wrote.
#[inline(always)]
fn sign_halves<const LANES: usize>(h: &Halves, shingles: &[u64], out: &mut [u32]) -> usize {
    let mut chunks = out.chunks_exact_mut(LANES);
    let mut base = 0;
    for chunk in &mut chunks {
        let a_lo: &[u32; LANES] = h.a_lo[base..base + LANES].try_into().unwrap();
        let a_hi: &[u32; LANES] = h.a_hi[base..base + LANES].try_into().unwrap();
        let b_lo: &[u32; LANES] = h.b_lo[base..base + LANES].try_into().unwrap();
        let b_hi: &[u32; LANES] = h.b_hi[base..base + LANES].try_into().unwrap();
        let mut mins = [u32::MAX; LANES];
        for &x in shingles {
            let (x_lo, x_hi) = (x as u32, (x >> 32) as u32);
            for lane in 0..LANES {
                let low = u64::from(a_lo[lane]) * u64::from(x_lo) + u64::from(b_lo[lane]);
                let h = ((low >> 32) as u32)
                    .wrapping_add(a_hi[lane].wrapping_mul(x_lo))
                    .wrapping_add(a_lo[lane].wrapping_mul(x_hi))
                    .wrapping_add(b_hi[lane]);
                mins[lane] = mins[lane].min(h);
            }
        }
        chunk.copy_from_slice(&mins);
        base += LANES;
    }
    base
}

/// Run-time dispatch to [`sign_halves`] compiled for AVX2 or AVX-512.
///
/// This is the crate's second `unsafe` (the first maps index segments): calling a
/// `#[target_feature]` function is unsafe because running it on a CPU without the feature is
/// undefined behaviour. [`MinHasher::with_kernel`] only selects a kernel that
/// [`Kernel::is_supported`] confirmed at run time, so the calls below never run on such a CPU.
/// The kernels themselves are safe Rust.
#[cfg(target_arch = "x86_64")]
#[allow(unsafe_code)]
mod x86 {
    use super::{sign_halves, Halves};

    #[target_feature(enable = "avx2")]
    fn avx2(h: &Halves, shingles: &[u64], out: &mut [u32]) -> usize {
        sign_halves::<32>(h, shingles, out)
    }

    #[target_feature(enable = "avx512f,avx512vl,avx512dq,avx512bw")]
    fn avx512(h: &Halves, shingles: &[u64], out: &mut [u32]) -> usize {
        sign_halves::<64>(h, shingles, out)
    }

    pub(super) fn sign_avx2(h: &Halves, shingles: &[u64], out: &mut [u32]) -> usize {
        debug_assert!(std::arch::is_x86_feature_detected!("avx2"));
        // SAFETY: only reached with `Kernel::Avx2` or better, chosen after run-time detection.
        unsafe { avx2(h, shingles, out) }
    }

    pub(super) fn sign_avx512(h: &Halves, shingles: &[u64], out: &mut [u32]) -> usize {
        debug_assert!(std::arch::is_x86_feature_detected!("avx512f"));
        // SAFETY: only reached with `Kernel::Avx512`, chosen after run-time detection.
        unsafe { avx512(h, shingles, out) }
    }
}

/// Share of positions where two signatures agree: the MinHash estimate of Jaccard similarity.
pub fn estimate_jaccard(a: &[u32], b: &[u32]) -> f64 {
    debug_assert_eq!(a.len(), b.len());
    if a.is_empty() {
        return 0.0;
    }
    let equal = a.iter().zip(b).filter(|(x, y)| x == y).count();
    equal as f64 / a.len() as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shingle::jaccard;
    use proptest::prelude::*;

    #[test]
    fn identical_sets_give_identical_signatures() {
        let h = MinHasher::new(128, 7);
        assert_eq!(h.sign(&[1, 2, 3]), h.sign(&[1, 2, 3]));
        assert_eq!(estimate_jaccard(&h.sign(&[1, 2]), &h.sign(&[1, 2])), 1.0);
    }

    #[test]
    fn odd_lengths_use_the_remainder_path() {
        let h = MinHasher::new(13, 7);
        let full = MinHasher::new(16, 7);
        let s = [5u64, 99, 1 << 40];
        assert_eq!(h.sign(&s)[..8], full.sign(&s)[..8]);
        assert_eq!(h.sign(&s).len(), 13);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        /// Every kernel this CPU runs gives the portable kernel's signature, bit for bit, for
        /// any length (whole vector chunks plus a remainder) and any 64-bit shingles.
        #[test]
        fn kernels_agree_bit_for_bit(
            shingles in proptest::collection::vec(any::<u64>(), 0..300),
            num_perm in 1usize..200,
            seed: u64,
        ) {
            let portable = MinHasher::with_kernel(num_perm, seed, Kernel::Portable);
            let expected = portable.sign(&shingles);
            for kernel in [Kernel::Avx2, Kernel::Avx512] {
                let h = MinHasher::with_kernel(num_perm, seed, kernel);
                prop_assert_eq!(h.sign(&shingles), expected.clone(), "{}", h.kernel().name());
            }
        }
    }

    #[test]
    fn kernels_agree_on_extreme_values() {
        let shingles = [
            0,
            1,
            u64::MAX,
            u64::MAX - 1,
            1 << 32,
            (1 << 32) - 1,
            1 << 63,
        ];
        let expected = MinHasher::with_kernel(128, 3, Kernel::Portable).sign(&shingles);
        for kernel in [Kernel::Avx2, Kernel::Avx512] {
            assert_eq!(
                MinHasher::with_kernel(128, 3, kernel).sign(&shingles),
                expected
            );
        }
    }

    #[test]
    fn unsupported_kernels_fall_back_to_portable() {
        for kernel in [Kernel::Portable, Kernel::Avx2, Kernel::Avx512] {
            let h = MinHasher::with_kernel(8, 1, kernel);
            assert!(h.kernel().is_supported());
            assert_eq!(h.kernel() == kernel, kernel.is_supported());
        }
    }

    /// Two sets of sizes around a paragraph's shingle count with a chosen overlap.
    fn sets(common: usize, only_a: usize, only_b: usize, salt: u64) -> (Vec<u64>, Vec<u64>) {
        let mut state = salt;
        let shared: Vec<u64> = (0..common).map(|_| splitmix64(&mut state)).collect();
        let mut a = shared.clone();
        let mut b = shared;
        a.extend((0..only_a).map(|_| splitmix64(&mut state)));
        b.extend((0..only_b).map(|_| splitmix64(&mut state)));
        a.sort_unstable();
        b.sort_unstable();
        (a, b)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        /// The estimate stays within 4.5 standard errors of the true Jaccard similarity.
        #[test]
        fn estimate_is_within_its_statistical_bound(
            common in 1usize..80, only_a in 0usize..60, only_b in 0usize..60, salt: u64, seed: u64
        ) {
            let (a, b) = sets(common, only_a, only_b, salt);
            let h = MinHasher::new(256, seed);
            let truth = jaccard(&a, &b);
            let est = estimate_jaccard(&h.sign(&a), &h.sign(&b));
            let sd = (truth * (1.0 - truth) / 256.0).sqrt().max(1.0 / 256.0);
            prop_assert!((est - truth).abs() <= 4.5 * sd + 1e-9,
                "truth {truth} estimate {est} sd {sd}");
        }
    }

    /// Unbiasedness: over many independent seeds, the mean estimate matches the truth closely
    /// (a biased family, e.g. one whose low bits correlate, fails this).
    #[test]
    fn estimate_is_unbiased_over_seeds() {
        for (common, only_a, only_b) in [(40, 10, 10), (10, 40, 40), (45, 2, 3), (5, 0, 90)] {
            let (a, b) = sets(common, only_a, only_b, 42);
            let truth = jaccard(&a, &b);
            let trials = 400;
            let mut sum = 0.0;
            for seed in 0..trials {
                let h = MinHasher::new(128, seed);
                sum += estimate_jaccard(&h.sign(&a), &h.sign(&b));
            }
            let mean = sum / trials as f64;
            // Standard error of the mean of 400 × 128 Bernoulli draws.
            let se = (truth * (1.0 - truth) / (128.0 * trials as f64)).sqrt();
            assert!(
                (mean - truth).abs() < 5.0 * se + 1e-3,
                "truth {truth} mean {mean} se {se}"
            );
        }
    }
}
