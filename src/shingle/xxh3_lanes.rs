//! XXH3-64 of eight shingles at once with AVX-512, bit for bit what `xxh3_64_with_seed`
//! (xxhash-rust) gives for the same bytes and seed.
//!
//! Input: the text and eight byte ranges of it. Output: their eight hashes. The scalar hash
//! spends most of its time on the branches that pick a code path by length (a shingle of
//! three words is 9 to 40 bytes, a different path every few shingles); here eight lanes go
//! through the paths of 9–16 and 17–64 bytes together and each takes its own result by
//! mask. Lengths outside 9–64 (rare: a shingle of three one-letter words, or of long
//! words) are hashed by the crate, lane by lane.
//!
//! XXH3 on 9–64 bytes (the reference: the XXH3 specification and `xxhash.h`), with `S[i]`
//! the `i`-th little-endian word of the default secret and `seed`:
//! - 9–16 bytes: `lo = read(0) ^ ((S[3] ^ S[4]) + seed)`, `hi = read(len - 8) ^ ((S[5] ^
//!   S[6]) - seed)`, `acc = len + bswap(lo) + hi + fold(lo × hi)`.
//! - 17–64 bytes: `acc = len × PRIME64_1 + mix(0, S[0..2]) + mix(len - 16, S[2..4])`, plus
//!   `mix(16, S[4..6]) + mix(len - 32, S[6..8])` above 32 bytes, where `mix(at, s) =
//!   fold((read(at) ^ (s[0] + seed)) × (read(at + 8) ^ (s[1] - seed)))`.
//! - Both end in `avalanche(acc)`; `fold` is the low half of the 128-bit product xor its
//!   high half.
//!
//! The lanes read their words with AVX-512 gathers, the one place in the crate that reads
//! memory through a pointer: every read is clamped into its shingle's range, and the ranges
//! are checked to lie in the text first (else the crate hashes all eight).
//! `every_length_in_every_lane` and the property test `lanes_equal_the_crate` check every
//! length from 0 to 300 in every lane against the crate (on a CPU with AVX-512; elsewhere
//! they check the crate against itself).

// The constants and keys serve the AVX-512 body only.
#![cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]

/// The first 64 bytes of XXH3's default secret (`kSecret` of the specification), as the
/// eight little-endian words that inputs of up to 64 bytes use.
const SECRET: [u64; 8] = [
    0xbe4b_a423_396c_feb8,
    0x1cad_21f7_2c81_017c,
    0xdb97_9083_e96d_d4de,
    0x1f67_b3b7_a4a4_4072,
    0x78e5_c0cc_4ee6_79cb,
    0x2172_ffcc_7dd0_5a82,
    0x8e24_43f7_7446_08b8,
    0x4c26_3a81_e690_35e0,
];

/// `PRIME64_1` of XXH64, which XXH3 multiplies the length of 17–128-byte inputs by.
const PRIME64_1: u64 = 0x9E37_79B1_85EB_CA87;

/// The multiplier of XXH3's `avalanche`.
const AVALANCHE: u64 = 0x1656_6791_9E37_79F9;

/// The keys the secret gives with `seed`: the eight words of the 17–64-byte path
/// (`S[2i] + seed`, `S[2i + 1] - seed`), then the two flips of the 9–16-byte path.
const fn keys(seed: u64) -> [u64; 10] {
    let mut keys = [0; 10];
    let mut i = 0;
    while i < 8 {
        keys[i] = if i % 2 == 0 {
            SECRET[i].wrapping_add(seed)
        } else {
            SECRET[i].wrapping_sub(seed)
        };
        i += 1;
    }
    keys[8] = (SECRET[3] ^ SECRET[4]).wrapping_add(seed);
    keys[9] = (SECRET[5] ^ SECRET[6]).wrapping_sub(seed);
    keys
}

/// Whether this CPU runs the lanes: detected once. AVX2 too, because the compiler
/// assumes it wherever AVX-512 is enabled, and a virtual CPU may mask it off (as
/// `minhash::Kernel::detect` says).
#[cfg(target_arch = "x86_64")]
pub(super) fn available() -> bool {
    static AVAILABLE: std::sync::LazyLock<bool> = std::sync::LazyLock::new(|| {
        std::arch::is_x86_feature_detected!("avx2")
            && std::arch::is_x86_feature_detected!("avx512f")
            && std::arch::is_x86_feature_detected!("avx512bw")
            && std::arch::is_x86_feature_detected!("avx512dq")
    });
    *AVAILABLE
}

/// Elsewhere the crate hashes every shingle.
#[cfg(not(target_arch = "x86_64"))]
pub(super) fn available() -> bool {
    false
}

/// XXH3-64 with `seed` of `text[starts[i]..ends[i] - gap]` for each of the eight lanes `i`
/// (each range within `text`, start not past end), into `out`. The shingler passes the
/// starts of the words after its shingles as `ends`, with a `gap` of 1 (the space): measured
/// a little faster than building an array of ends first. Where the CPU lacks the lanes
/// ([`available`]), the crate hashes the eight one by one.
#[inline]
#[allow(unsafe_code)]
pub(super) fn hash8(
    text: &[u8],
    starts: &[usize; 8],
    ends: &[usize; 8],
    gap: usize,
    seed: u64,
    out: &mut [u64; 8],
) {
    #[cfg(target_arch = "x86_64")]
    if available() {
        // SAFETY: `available()` found every feature the body is compiled for (its gathers
        // read only inside `text`, see `read` there).
        unsafe { hash8_avx512(text, starts, ends, gap, seed, out) };
        return;
    }
    each_by_crate(text, starts, ends, gap, seed, out, u8::MAX);
}

/// The crate's hash into `out` of the lanes of `hash8`'s arguments whose bit is set in
/// `lanes`.
fn each_by_crate(
    text: &[u8],
    starts: &[usize; 8],
    ends: &[usize; 8],
    gap: usize,
    seed: u64,
    out: &mut [u64; 8],
    mut lanes: u8,
) {
    while lanes != 0 {
        let lane = lanes.trailing_zeros() as usize;
        out[lane] = by_crate(text, starts[lane], ends[lane].wrapping_sub(gap), seed);
        lanes &= lanes - 1;
    }
}

/// The crate's hash of `text[start..end]`, of nothing when that is not in `text`.
pub(super) fn by_crate(text: &[u8], start: usize, end: usize, seed: u64) -> u64 {
    xxhash_rust::xxh3::xxh3_64_with_seed(text.get(start..end).unwrap_or_default(), seed)
}

// Long because: one straight run of vector steps, the XXH3 paths side by side as the module
// documentation states them; split, the pieces would pass a dozen vectors each.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw,avx512dq")]
fn hash8_avx512(
    text: &[u8],
    starts: &[usize; 8],
    ends: &[usize; 8],
    gap: usize,
    seed: u64,
    out: &mut [u64; 8],
) {
    use std::arch::x86_64::*;
    let keys = keys(seed);
    let splat = |x: u64| _mm512_set1_epi64(x as i64);
    let (add, sub, min, max) = (
        _mm512_add_epi64,
        _mm512_sub_epi64,
        _mm512_min_epu64,
        _mm512_max_epu64,
    );
    let start: __m512i = zerocopy::transmute!(*starts);
    let end = _mm512_sub_epi64(zerocopy::transmute!(*ends), splat(gap as u64));
    let len = sub(end, start);
    let at_least = |n: u64| _mm512_cmpge_epu64_mask(len, splat(n));
    let (from_9, from_17, from_33, from_65) =
        (at_least(9), at_least(17), at_least(33), at_least(65));
    let (short, long, above_32) = (from_9 & !from_17, from_17 & !from_65, from_33 & !from_65);
    // Where each lane reads its words, clamped into its range (`last` is `len - 8`).
    let last = sub(max(len, splat(8)), splat(8));
    let from_start = |offset: u64| add(start, min(splat(offset), last));
    let from_end = |back: u64| add(start, sub(max(len, splat(back)), splat(back)));
    // Every range must lie in `text` for the gathers below to stay in it.
    let in_text = _mm512_cmple_epu64_mask(end, splat(text.len() as u64))
        & _mm512_cmple_epu64_mask(start, end);
    if in_text != 0xFF {
        each_by_crate(text, starts, ends, gap, seed, out, u8::MAX);
        return;
    }
    let base = text.as_ptr();
    #[allow(unsafe_code)]
    let read = |at: __m512i| -> __m512i {
        // SAFETY: the lanes of `from_9` read eight bytes at `start + o`, `o` clamped to
        // `0..=len - 8` (`last`), so within `start..end`, within `text` (checked above); the
        // other lanes are masked off and read nothing.
        unsafe { _mm512_mask_i64gather_epi64::<1>(_mm512_setzero_si512(), from_9, at, base.cast()) }
    };
    let low32 = splat(0xFFFF_FFFF);
    // The low half of the 128-bit product xor its high half, from four 32 × 32-bit products.
    let fold = |a: __m512i, b: __m512i| {
        let (a_hi, b_hi) = (_mm512_srli_epi64::<32>(a), _mm512_srli_epi64::<32>(b));
        let p00 = _mm512_mul_epu32(a, b);
        let p01 = _mm512_mul_epu32(a, b_hi);
        let p10 = _mm512_mul_epu32(a_hi, b);
        let p11 = _mm512_mul_epu32(a_hi, b_hi);
        let mid = add(
            _mm512_srli_epi64::<32>(p00),
            add(_mm512_and_si512(p01, low32), _mm512_and_si512(p10, low32)),
        );
        let high = add(
            add(p11, _mm512_srli_epi64::<32>(mid)),
            add(_mm512_srli_epi64::<32>(p01), _mm512_srli_epi64::<32>(p10)),
        );
        let low = _mm512_or_si512(_mm512_slli_epi64::<32>(mid), _mm512_and_si512(p00, low32));
        _mm512_xor_si512(low, high)
    };
    let mix = |a: __m512i, b: __m512i, key: usize| {
        fold(
            _mm512_xor_si512(a, splat(keys[key])),
            _mm512_xor_si512(b, splat(keys[key + 1])),
        )
    };
    let (r0, r8) = (read(start), read(from_start(8)));
    let (r16_back, r8_back) = (read(from_end(16)), read(add(start, last)));
    // 17–64 bytes.
    let mut acc = _mm512_mullo_epi64(len, splat(PRIME64_1));
    acc = add(acc, add(mix(r0, r8, 0), mix(r16_back, r8_back, 2)));
    if above_32 != 0 {
        let (r16, r24) = (read(from_start(16)), read(from_start(24)));
        let (r32_back, r24_back) = (read(from_end(32)), read(from_end(24)));
        let more = add(mix(r16, r24, 4), mix(r32_back, r24_back, 6));
        acc = _mm512_mask_add_epi64(acc, above_32, acc, more);
    }
    // 9–16 bytes.
    let lo = _mm512_xor_si512(r0, splat(keys[8]));
    let hi = _mm512_xor_si512(r8_back, splat(keys[9]));
    // Reverses the bytes of each word (a shuffle within each 16-byte lane).
    let (first, second) = (0x0001_0203_0405_0607, 0x0809_0A0B_0C0D_0E0F);
    let reverse = _mm512_set_epi64(second, first, second, first, second, first, second, first);
    let short_acc = add(
        add(len, _mm512_shuffle_epi8(lo, reverse)),
        add(hi, fold(lo, hi)),
    );
    acc = _mm512_mask_mov_epi64(acc, short, short_acc);
    // XXH3's avalanche.
    acc = _mm512_xor_si512(acc, _mm512_srli_epi64::<37>(acc));
    acc = _mm512_mullo_epi64(acc, splat(AVALANCHE));
    acc = _mm512_xor_si512(acc, _mm512_srli_epi64::<32>(acc));
    *out = zerocopy::transmute!(acc);
    each_by_crate(text, starts, ends, gap, seed, out, !(short | long));
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use xxhash_rust::xxh3::xxh3_64_with_seed;

    proptest! {
        /// Eight ranges of every length from 0 to 300 at any place of random text, with any
        /// seed: the lanes give what the crate gives.
        #[test]
        fn lanes_equal_the_crate(
            text in proptest::collection::vec(any::<u8>(), 300..400),
            places in proptest::array::uniform8((0usize..100, 0usize..=300)),
            seed in prop_oneof![Just(0u64), any::<u64>()],
            gap in 0usize..3,
        ) {
            let starts = places.map(|(start, _)| start);
            let ends = places.map(|(start, len)| (start + len).min(text.len()));
            let mut got = [0; 8];
            hash8(&text, &starts, &ends.map(|end| end + gap), gap, seed, &mut got);
            let want = std::array::from_fn(|i| xxh3_64_with_seed(&text[starts[i]..ends[i]], seed));
            prop_assert_eq!(got, want);
        }
    }

    /// A range that does not lie in the text (never given by the shingler) is hashed as the
    /// crate hashes what `get` gives for it, nothing, and read nowhere.
    #[test]
    fn ranges_outside_the_text_read_nothing() {
        let text = vec![b'x'; 40];
        let empty = xxh3_64_with_seed(&[], 0);
        // (An end before its gap wraps around: out of the text too.)
        let cases = [
            (0, 42),
            (30, 101),
            (20, 11),
            (usize::MAX - 8, usize::MAX),
            (0, 0),
        ];
        for (start, end) in cases {
            let (mut starts, mut ends) = ([0; 8], [21; 8]);
            (starts[3], ends[3]) = (start, end);
            let mut got = [0; 8];
            hash8(&text, &starts, &ends, 1, 0, &mut got);
            assert_eq!(got[3], empty, "{start}..{end}");
            assert_eq!(got[0], xxh3_64_with_seed(&text[..20], 0));
        }
    }

    /// Every length from 0 to 300 in every lane (of the crate alone where the CPU lacks the
    /// lanes).
    #[test]
    fn every_length_in_every_lane() {
        let text: Vec<u8> = (0..400u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        for len in 0..=300 {
            for lane in 0..8 {
                let (mut starts, mut ends) = ([3; 8], [20; 8]);
                (starts[lane], ends[lane]) = (lane * 7, lane * 7 + len);
                let mut got = [0; 8];
                hash8(&text, &starts, &ends, 0, 0, &mut got);
                let want = std::array::from_fn(|i| xxh3_64_with_seed(&text[starts[i]..ends[i]], 0));
                assert_eq!(got, want, "length {len} in lane {lane}");
            }
        }
    }
}
