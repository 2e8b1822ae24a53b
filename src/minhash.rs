//! MinHash: shingle set → signature of `num_perm` 32-bit minima.
//!
//! Input: a set of 64-bit shingle hashes (see [`crate::shingle`]). Output: a signature, one
//! `u32` per permutation, where `sig[i] = min over shingles x of h_i(x)`. Invariant: two
//! signatures agree at position `i` with probability ≈ the Jaccard similarity of the sets, so
//! the share of agreeing positions estimates it ([`estimate_jaccard`]).
//!
//! **Hash families** ([`HashFamily`], recorded by name in every report and index manifest as
//! `Params::hash`). Both draw their constants from SplitMix64 seeded with the configured seed,
//! and both rely on the shingle hashes being xxh3 outputs (uniform bits), so the family only
//! has to decorrelate permutations:
//! - `xxh3-64+xor-multiply-32` (the default): `h_i(x) = ((x_lo ⊕ x_hi ⊕ c_i) · a_i) mod 2^32`
//!   with `a_i` odd. One 32-bit multiply per (shingle, permutation), which AVX2 and AVX-512
//!   do 8 and 16 at a time: about six times cheaper than the family below (issue 17,
//!   benches/README.md). Each `h_i` is a bijection of the folded 32-bit value, and the top
//!   bits of the product, which decide the minimum, depend on every input bit; the
//!   estimator's bias and spread match the theoretical `√(J(1−J)/k)` (tests below, and the
//!   offline comparison in benches/README.md).
//! - `xxh3-64+multiply-shift-32` (the earlier default; `--hash multiply-shift`):
//!   `h_i(x) = ((a_i · x + b_i) mod 2^64) >> 32` with `a_i` odd (multiply-shift, Dietzfelbinger
//!   et al.). Baseline x86-64 has no vector 64-bit multiply, so the vector kernels compute it
//!   in 32-bit halves, bit-identical. Indexes built with it keep opening and growing with it.
//!
//! Every family has a portable kernel and, on x86-64, AVX2 and AVX-512 kernels chosen at run
//! time ([`Kernel`]); all give bit-identical signatures (tested). Signatures are 32-bit: a
//! collision of two different minima at 32 bits (≈ 2^-32 per position) is far below the
//! estimator's own noise, and halves memory against 64-bit minima.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The permutation family that turns shingle hashes into signatures. Its name is part of the
/// recorded parameters: signatures of two families are not comparable.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum HashFamily {
    /// `((x_lo ⊕ x_hi ⊕ c_i) · a_i) mod 2^32`: one 32-bit multiply per permutation.
    #[default]
    #[serde(rename = "xxh3-64+xor-multiply-32")]
    XorMultiply,
    /// `((a_i · x + b_i) mod 2^64) >> 32`: the earlier default, which older indexes name.
    #[serde(rename = "xxh3-64+multiply-shift-32")]
    MultiplyShift,
}

impl HashFamily {
    /// Every family, the default first.
    pub const ALL: [HashFamily; 2] = [HashFamily::XorMultiply, HashFamily::MultiplyShift];

    /// The name recorded in reports and manifests.
    pub fn name(self) -> &'static str {
        match self {
            HashFamily::XorMultiply => "xxh3-64+xor-multiply-32",
            HashFamily::MultiplyShift => "xxh3-64+multiply-shift-32",
        }
    }

    /// The short name the command line also accepts (`--hash xor-multiply`).
    pub fn short_name(self) -> &'static str {
        match self {
            HashFamily::XorMultiply => "xor-multiply",
            HashFamily::MultiplyShift => "multiply-shift",
        }
    }
}

impl fmt::Display for HashFamily {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for HashFamily {
    type Err = String;

    /// A family by its recorded name or its short name.
    fn from_str(s: &str) -> Result<Self, String> {
        HashFamily::ALL
            .into_iter()
            .find(|f| s == f.name() || s == f.short_name())
            .ok_or_else(|| {
                let names: Vec<String> = HashFamily::ALL
                    .iter()
                    .map(|f| format!("{} ({})", f.short_name(), f.name()))
                    .collect();
                format!(
                    "unknown hash family {s:?}: expected one of {}",
                    names.join(", ")
                )
            })
    }
}

/// Computes signatures with a fixed family of permutations.
#[derive(Clone, Debug)]
pub struct MinHasher {
    family: HashFamily,
    num_perm: usize,
    constants: Constants,
    kernel: Kernel,
}

/// The per-permutation constants of each family, laid out for its kernels.
#[derive(Clone, Debug)]
enum Constants {
    XorMultiply(XorMul),
    MultiplyShift {
        mul: Vec<u64>,
        add: Vec<u64>,
        /// The same constants cut into 32-bit halves, for the vector kernels.
        halves: Halves,
    },
}

/// `c_i` and `a_i` (odd) of every permutation of [`HashFamily::XorMultiply`].
#[derive(Clone, Debug, Default)]
struct XorMul {
    xor: Vec<u32>,
    mul: Vec<u32>,
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
    /// `num_perm` permutations of `family` derived from `seed`, computed with the fastest
    /// kernel this CPU runs ([`Kernel::detect`]).
    pub fn new(family: HashFamily, num_perm: usize, seed: u64) -> Self {
        Self::with_kernel(family, num_perm, seed, Kernel::detect())
    }

    /// The same permutations computed with a chosen kernel; one the CPU cannot run
    /// ([`Kernel::is_supported`]) falls back to [`Kernel::Portable`].
    pub fn with_kernel(family: HashFamily, num_perm: usize, seed: u64, kernel: Kernel) -> Self {
        let mut state = seed;
        let constants = match family {
            HashFamily::XorMultiply => {
                // One SplitMix64 draw per permutation: its low half is `c`, its high half `a`.
                let draws: Vec<u64> = (0..num_perm).map(|_| splitmix64(&mut state)).collect();
                Constants::XorMultiply(XorMul {
                    xor: draws.iter().map(|&r| r as u32).collect(),
                    mul: draws.iter().map(|&r| (r >> 32) as u32 | 1).collect(),
                })
            }
            HashFamily::MultiplyShift => {
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
                Constants::MultiplyShift { mul, add, halves }
            }
        };
        let kernel = if kernel.is_supported() {
            kernel
        } else {
            Kernel::Portable
        };
        MinHasher {
            family,
            num_perm,
            constants,
            kernel,
        }
    }

    /// Signature length.
    pub fn num_perm(&self) -> usize {
        self.num_perm
    }

    /// The family of permutations.
    pub fn family(&self) -> HashFamily {
        self.family
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
            self.num_perm,
            "signature buffer has the wrong length"
        );
        match &self.constants {
            Constants::XorMultiply(c) => {
                let done = match self.kernel {
                    Kernel::Portable => 0,
                    #[cfg(target_arch = "x86_64")]
                    Kernel::Avx2 => x86::xor_mul_avx2(c, shingles, out),
                    #[cfg(target_arch = "x86_64")]
                    Kernel::Avx512 => x86::xor_mul_avx512(c, shingles, out),
                    #[cfg(not(target_arch = "x86_64"))]
                    Kernel::Avx2 | Kernel::Avx512 => 0,
                };
                sign_xor_mul_portable(c, shingles, &mut out[done..], done);
            }
            Constants::MultiplyShift { mul, add, halves } => {
                let done = match self.kernel {
                    Kernel::Portable => 0,
                    #[cfg(target_arch = "x86_64")]
                    Kernel::Avx2 => x86::sign_avx2(halves, shingles, out),
                    #[cfg(target_arch = "x86_64")]
                    Kernel::Avx512 => x86::sign_avx512(halves, shingles, out),
                    #[cfg(not(target_arch = "x86_64"))]
                    Kernel::Avx2 | Kernel::Avx512 => 0,
                };
                sign_portable(&mul[done..], &add[done..], shingles, &mut out[done..]);
            }
        }
    }

    /// Signature of `shingles`, allocated.
    pub fn sign(&self, shingles: &[u64]) -> Vec<u32> {
        let mut out = vec![0; self.num_perm()];
        self.sign_into(shingles, &mut out);
        out
    }
}

/// The 32-bit value [`HashFamily::XorMultiply`] permutes: both halves of the shingle hash.
#[inline(always)]
fn fold(x: u64) -> u32 {
    (x as u32) ^ ((x >> 32) as u32)
}

/// [`HashFamily::XorMultiply`] for whole chunks of `LANES` permutations, starting at
/// permutation `first`; returns how many it wrote. The lane loop is plain 32-bit arithmetic,
/// which the compiler vectorises for the AVX2 and AVX-512 kernels.
#[inline(always)]
fn sign_xor_mul<const LANES: usize>(
    c: &XorMul,
    shingles: &[u64],
    out: &mut [u32],
    first: usize,
) -> usize {
    let mut chunks = out.chunks_exact_mut(LANES);
    let mut base = first;
    for chunk in &mut chunks {
        let xor: &[u32; LANES] = c.xor[base..base + LANES].try_into().unwrap();
        let mul: &[u32; LANES] = c.mul[base..base + LANES].try_into().unwrap();
        let mut mins = [u32::MAX; LANES];
        for &x in shingles {
            let x = fold(x);
            for lane in 0..LANES {
                mins[lane] = mins[lane].min((x ^ xor[lane]).wrapping_mul(mul[lane]));
            }
        }
        chunk.copy_from_slice(&mins);
        base += LANES;
    }
    base - first
}

/// The portable kernel of [`HashFamily::XorMultiply`] for permutations
/// `first..first + out.len()`.
fn sign_xor_mul_portable(c: &XorMul, shingles: &[u64], out: &mut [u32], first: usize) {
    let done = sign_xor_mul::<8>(c, shingles, out, first);
    for (i, slot) in out[done..].iter_mut().enumerate() {
        let (xor, mul) = (c.xor[first + done + i], c.mul[first + done + i]);
        *slot = shingles
            .iter()
            .map(|&x| (fold(x) ^ xor).wrapping_mul(mul))
            .min()
            .unwrap_or(u32::MAX);
    }
}

/// The portable kernel of [`HashFamily::MultiplyShift`]: `mul` and `add` are the constants of
/// the permutations `out` receives.
fn sign_portable(mul: &[u64], add: &[u64], shingles: &[u64], out: &mut [u32]) {
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
    use super::{sign_halves, sign_xor_mul, Halves, XorMul};

    #[target_feature(enable = "avx2")]
    fn avx2(h: &Halves, shingles: &[u64], out: &mut [u32]) -> usize {
        sign_halves::<32>(h, shingles, out)
    }

    #[target_feature(enable = "avx512f,avx512vl,avx512dq,avx512bw")]
    fn avx512(h: &Halves, shingles: &[u64], out: &mut [u32]) -> usize {
        sign_halves::<64>(h, shingles, out)
    }

    #[target_feature(enable = "avx2")]
    fn xor_avx2(c: &XorMul, shingles: &[u64], out: &mut [u32]) -> usize {
        sign_xor_mul::<32>(c, shingles, out, 0)
    }

    #[target_feature(enable = "avx512f,avx512vl,avx512dq,avx512bw")]
    fn xor_avx512(c: &XorMul, shingles: &[u64], out: &mut [u32]) -> usize {
        sign_xor_mul::<64>(c, shingles, out, 0)
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

    pub(super) fn xor_mul_avx2(c: &XorMul, shingles: &[u64], out: &mut [u32]) -> usize {
        debug_assert!(std::arch::is_x86_feature_detected!("avx2"));
        // SAFETY: as `sign_avx2`.
        unsafe { xor_avx2(c, shingles, out) }
    }

    pub(super) fn xor_mul_avx512(c: &XorMul, shingles: &[u64], out: &mut [u32]) -> usize {
        debug_assert!(std::arch::is_x86_feature_detected!("avx512f"));
        // SAFETY: as `sign_avx512`.
        unsafe { xor_avx512(c, shingles, out) }
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
        for family in HashFamily::ALL {
            let h = MinHasher::new(family, 128, 7);
            assert_eq!(h.sign(&[1, 2, 3]), h.sign(&[1, 2, 3]));
            assert_eq!(estimate_jaccard(&h.sign(&[1, 2]), &h.sign(&[1, 2])), 1.0);
        }
    }

    #[test]
    fn families_differ_and_round_trip_by_name() {
        let s = [5u64, 99, 1 << 40];
        let xm = MinHasher::new(HashFamily::XorMultiply, 64, 1).sign(&s);
        let ms = MinHasher::new(HashFamily::MultiplyShift, 64, 1).sign(&s);
        assert_ne!(xm, ms);
        for family in HashFamily::ALL {
            assert_eq!(family.name().parse::<HashFamily>(), Ok(family));
            assert_eq!(family.short_name().parse::<HashFamily>(), Ok(family));
            let json = serde_json::to_string(&family).unwrap();
            assert_eq!(json, format!("\"{}\"", family.name()));
            assert_eq!(serde_json::from_str::<HashFamily>(&json).unwrap(), family);
        }
        let err = "md5".parse::<HashFamily>().unwrap_err();
        assert!(err.contains("unknown hash family \"md5\"") && err.contains("xor-multiply"));
        assert!(serde_json::from_str::<HashFamily>("\"md5\"").is_err());
    }

    /// The constants of the family that existing indexes were built with must never change:
    /// a signature computed today is compared with one stored years ago.
    #[test]
    fn multiply_shift_signatures_are_frozen() {
        let h = MinHasher::with_kernel(HashFamily::MultiplyShift, 4, 7, Kernel::Portable);
        let mut state = 7;
        let (a, b) = (splitmix64(&mut state) | 1, splitmix64(&mut state));
        let x = 0x0123_4567_89ab_cdefu64;
        assert_eq!(
            h.sign(&[x])[0],
            (a.wrapping_mul(x).wrapping_add(b) >> 32) as u32
        );
        let h = MinHasher::with_kernel(HashFamily::XorMultiply, 4, 7, Kernel::Portable);
        let r = splitmix64(&mut 7);
        let folded = (x as u32) ^ ((x >> 32) as u32);
        let expected = (folded ^ r as u32).wrapping_mul((r >> 32) as u32 | 1);
        assert_eq!(h.sign(&[x])[0], expected);
    }

    #[test]
    fn odd_lengths_use_the_remainder_path() {
        for family in HashFamily::ALL {
            let h = MinHasher::new(family, 13, 7);
            let full = MinHasher::new(family, 16, 7);
            let s = [5u64, 99, 1 << 40];
            assert_eq!(h.sign(&s)[..8], full.sign(&s)[..8]);
            assert_eq!(h.sign(&s).len(), 13);
        }
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
            for family in HashFamily::ALL {
                let portable = MinHasher::with_kernel(family, num_perm, seed, Kernel::Portable);
                let expected = portable.sign(&shingles);
                for kernel in [Kernel::Avx2, Kernel::Avx512] {
                    let h = MinHasher::with_kernel(family, num_perm, seed, kernel);
                    prop_assert_eq!(h.sign(&shingles), expected.clone(), "{}", h.kernel().name());
                }
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
        for family in HashFamily::ALL {
            let expected = MinHasher::with_kernel(family, 128, 3, Kernel::Portable).sign(&shingles);
            for kernel in [Kernel::Avx2, Kernel::Avx512] {
                assert_eq!(
                    MinHasher::with_kernel(family, 128, 3, kernel).sign(&shingles),
                    expected
                );
            }
        }
    }

    #[test]
    fn unsupported_kernels_fall_back_to_portable() {
        for kernel in [Kernel::Portable, Kernel::Avx2, Kernel::Avx512] {
            let h = MinHasher::with_kernel(HashFamily::default(), 8, 1, kernel);
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
            let truth = jaccard(&a, &b);
            let sd = (truth * (1.0 - truth) / 256.0).sqrt().max(1.0 / 256.0);
            for family in HashFamily::ALL {
                let h = MinHasher::new(family, 256, seed);
                let est = estimate_jaccard(&h.sign(&a), &h.sign(&b));
                prop_assert!((est - truth).abs() <= 4.5 * sd + 1e-9,
                    "{family}: truth {truth} estimate {est} sd {sd}");
            }
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
            for family in HashFamily::ALL {
                let mut sum = 0.0;
                for seed in 0..trials {
                    let h = MinHasher::new(family, 128, seed);
                    sum += estimate_jaccard(&h.sign(&a), &h.sign(&b));
                }
                let mean = sum / trials as f64;
                // Standard error of the mean of 400 × 128 Bernoulli draws.
                let se = (truth * (1.0 - truth) / (128.0 * trials as f64)).sqrt();
                assert!(
                    (mean - truth).abs() < 5.0 * se + 1e-3,
                    "{family}: truth {truth} mean {mean} se {se}"
                );
            }
        }
    }

    /// Independence of the permutations: over many pairs of sets, the estimate spreads as
    /// `√(J(1−J)/k)`, the spread of k independent draws. A family whose permutations order
    /// shingles alike (e.g. one monotonic in the shingle hash) spreads much wider.
    #[test]
    fn estimate_spreads_like_independent_permutations() {
        let pairs = 300;
        for (common, only) in [(13, 7), (53, 7), (27, 27), (107, 27)] {
            let truth = common as f64 / (common + 2 * only) as f64;
            let theory = (truth * (1.0 - truth) / 128.0).sqrt();
            for family in HashFamily::ALL {
                let h = MinHasher::new(family, 128, 11);
                let estimates: Vec<f64> = (0..pairs)
                    .map(|salt| {
                        let (a, b) = sets(common, only, only, salt);
                        estimate_jaccard(&h.sign(&a), &h.sign(&b))
                    })
                    .collect();
                let mean = estimates.iter().sum::<f64>() / pairs as f64;
                let var = estimates.iter().map(|e| (e - mean).powi(2)).sum::<f64>() / pairs as f64;
                // The sample deviation of 300 draws is within ±4 % of the truth (1σ), so 1.25 is
                // a margin of six of its own standard errors.
                assert!(
                    var.sqrt() < 1.25 * theory && (mean - truth).abs() < 0.01,
                    "{family}: J {truth:.3} mean {mean:.4} sd {:.4}, theory {theory:.4}",
                    var.sqrt()
                );
            }
        }
    }
}
