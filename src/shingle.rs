//! Shingling: normalised text → sorted, deduplicated set of 64-bit shingle hashes.
//!
//! Input: text produced by [`crate::normalize::normalize`] (words separated by single spaces).
//! Output: the set of its k-shingles, each hashed with xxh3-64 (seed [`SHINGLE_SEED`]) over
//! its exact UTF-8 bytes, sorted ascending without repeats. Invariants: the output depends
//! only on the text and k (never on platform or thread count), so it may be persisted.
//!
//! With AVX-512 (detected at run time) eight word shingles are hashed at once
//! (`xxh3_lanes`), bit for bit as the crate hashes them one by one.
//!
//! Rules:
//! - **Word shingles.** A shingle is k consecutive words, hashed as the bytes of those words
//!   with their single separating spaces, which is a plain slice of the normalised text, so no
//!   shingle is ever copied.
//! - **Short texts.** A text with fewer than k words is one shingle of all its words: a
//!   two-word footer still matches itself, and differs from any longer text.
//! - **Scripts written without spaces** (Han, Hiragana, Katakana, Thai, Lao, Khmer, Myanmar,
//!   Tibetan): when most letters of a text belong to them, shingles are k consecutive
//!   characters (spaces ignored), since "words" there are whole clauses.

use xxhash_rust::xxh3::xxh3_64_with_seed;

mod xxh3_lanes;

/// Seed of the shingle hash. Changing it changes every signature: it is part of the format.
pub const SHINGLE_SEED: u64 = 0;

/// Reusable buffers for [`shingle_into`], so the hot loop does not allocate.
#[derive(Default, Debug)]
pub struct ShingleScratch {
    word_starts: Vec<usize>,
    chars: String,
    char_ends: Vec<usize>,
}

/// Compute the shingle set of `normalized` into `out` (cleared first): sorted, no repeats.
pub fn shingle_into(normalized: &str, k: usize, scratch: &mut ShingleScratch, out: &mut Vec<u64>) {
    shingle_hashes_into(normalized, k, scratch, out);
    out.sort_unstable();
    out.dedup();
}

/// The shingles of `normalized` into `out` (cleared first) in text order, repeats included:
/// the same set as [`shingle_into`] without the sort, for MinHash, whose minima do not depend
/// on order or repeats.
pub fn shingle_hashes_into(
    normalized: &str,
    k: usize,
    scratch: &mut ShingleScratch,
    out: &mut Vec<u64>,
) {
    let starts = &mut scratch.word_starts;
    starts.clear();
    starts.push(0);
    starts.extend(memchr::memchr_iter(b' ', normalized.as_bytes()).map(|space| space + 1));
    let starts = std::mem::take(starts);
    shingle_words_into(normalized, &starts, true, k, scratch, out);
    scratch.word_starts = starts;
}

/// [`shingle_hashes_into`] for text whose words are already located, as
/// [`crate::normalize::normalize_words_into`] gives them: `word_starts` holds 0 and one past
/// each space of `normalized`; `maybe_wide` false promises that `normalized` holds no
/// character at U+0800 or above (so it cannot be mostly in a script written without spaces).
/// Same output as [`shingle_hashes_into`].
pub fn shingle_words_into(
    normalized: &str,
    word_starts: &[usize],
    maybe_wide: bool,
    k: usize,
    scratch: &mut ShingleScratch,
    out: &mut Vec<u64>,
) {
    out.clear();
    if normalized.is_empty() {
        return;
    }
    let k = k.max(1);
    if maybe_wide && is_mostly_spaceless(normalized) {
        char_shingles(normalized, k, scratch, out);
    } else {
        word_shingles(normalized.as_bytes(), word_starts, k, out);
    }
}

/// Convenience wrapper around [`shingle_into`] that allocates.
pub fn shingles(normalized: &str, k: usize) -> Vec<u64> {
    let mut out = Vec::new();
    shingle_into(normalized, k, &mut ShingleScratch::default(), &mut out);
    out
}

/// Whether normalised text has at least `min` words: counts no further than needed, since the
/// sketch asks it of every paragraph (with the default `min_words` of 1 it only checks that the
/// text is not empty).
pub fn has_words(normalized: &str, min: usize) -> bool {
    match min {
        0 => true,
        _ if normalized.is_empty() => false,
        _ => {
            memchr::memchr_iter(b' ', normalized.as_bytes())
                .take(min - 1)
                .count()
                == min - 1
        }
    }
}

/// Number of words in normalised text.
pub fn word_count(normalized: &str) -> usize {
    if normalized.is_empty() {
        0
    } else {
        normalized.bytes().filter(|&b| b == b' ').count() + 1
    }
}

fn word_shingles(bytes: &[u8], starts: &[usize], k: usize, out: &mut Vec<u64>) {
    // Word `i` runs from `starts[i]` to the space before `starts[i + 1]` (or the end).
    let n = starts.len();
    if n <= k {
        out.push(xxh3_64_with_seed(bytes, SHINGLE_SEED));
        return;
    }
    // Every shingle but the last ends at the space before the word after it.
    let hash = |start: usize, end: usize| xxh3_lanes::by_crate(bytes, start, end, SHINGLE_SEED);
    out.reserve(n + 1 - k);
    let mut rest = starts;
    if xxh3_lanes::available() {
        // Eight shingles at a time through the lanes, their starts and the starts of the
        // words after them straight from `starts`.
        while let (Some(firsts), Some(afters)) = (
            rest.first_chunk::<8>(),
            rest.get(k..).and_then(|after| after.first_chunk::<8>()),
        ) {
            let mut hashes = [0; 8];
            xxh3_lanes::hash8(bytes, firsts, afters, 1, SHINGLE_SEED, &mut hashes);
            out.extend_from_slice(&hashes);
            rest = rest.get(8..).unwrap_or_default();
        }
    }
    // The rest one by one (measured faster than a part-filled round of lanes), in one
    // `extend`, which checks neither bounds nor capacity per shingle.
    out.extend(
        rest.windows(k + 1)
            .map(|w| hash(w[0], w[k].saturating_sub(1))),
    );
    out.push(hash(
        starts.get(n - k).copied().unwrap_or_default(),
        bytes.len(),
    ));
}

fn char_shingles(text: &str, k: usize, scratch: &mut ShingleScratch, out: &mut Vec<u64>) {
    scratch.chars.clear();
    scratch.char_ends.clear();
    for c in text.chars().filter(|&c| c != ' ') {
        scratch.chars.push(c);
        scratch.char_ends.push(scratch.chars.len());
    }
    let bytes = scratch.chars.as_bytes();
    let n = scratch.char_ends.len();
    if n <= k {
        out.push(xxh3_64_with_seed(bytes, SHINGLE_SEED));
        return;
    }
    for i in 0..=n - k {
        let start = if i == 0 { 0 } else { scratch.char_ends[i - 1] };
        let end = scratch.char_ends[i + k - 1];
        out.push(xxh3_64_with_seed(&bytes[start..end], SHINGLE_SEED));
    }
}

/// True when more than half of the text's non-space characters are in scripts written
/// without spaces between words.
fn is_mostly_spaceless(text: &str) -> bool {
    // Every script written without spaces lies at U+0E00 or above, which UTF-8 encodes with a
    // lead byte of 0xE0 or more: text without such bytes (ASCII, Latin, Arabic, Cyrillic…)
    // needs no per-character count.
    if !text.bytes().any(|b| b >= 0xE0) {
        return false;
    }
    let (mut spaceless, mut other) = (0usize, 0usize);
    for c in text.chars() {
        if c == ' ' {
            continue;
        }
        if is_spaceless_script(c) {
            spaceless += 1;
        } else {
            other += 1;
        }
    }
    spaceless > other
}

fn is_spaceless_script(c: char) -> bool {
    matches!(c as u32,
        0x0E00..=0x0EFF     // Thai, Lao
        | 0x0F00..=0x0FFF   // Tibetan
        | 0x1000..=0x109F   // Myanmar
        | 0x1780..=0x17FF   // Khmer
        | 0x3040..=0x30FF   // Hiragana, Katakana
        | 0x3400..=0x4DBF   // CJK Extension A
        | 0x4E00..=0x9FFF   // CJK Unified Ideographs
        | 0xF900..=0xFAFF   // CJK Compatibility Ideographs
        | 0x20000..=0x3FFFF // CJK Extensions B and later
    )
}

/// Exact Jaccard similarity of two sorted, deduplicated sets.
pub fn jaccard<T: Ord>(a: &[T], b: &[T]) -> f64 {
    if a.is_empty() && b.is_empty() {
        return 1.0;
    }
    let (mut i, mut j, mut common) = (0, 0, 0usize);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                common += 1;
                i += 1;
                j += 1;
            }
        }
    }
    common as f64 / (a.len() + b.len() - common) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_shingles_are_k_grams() {
        assert_eq!(shingles("a b c d", 3).len(), 2);
        assert_eq!(shingles("a b c d", 3), {
            let mut v = vec![
                xxh3_64_with_seed(b"a b c", 0),
                xxh3_64_with_seed(b"b c d", 0),
            ];
            v.sort_unstable();
            v
        });
    }

    #[test]
    fn short_text_is_one_shingle_of_all_words() {
        assert_eq!(shingles("a b", 3), vec![xxh3_64_with_seed(b"a b", 0)]);
        assert_eq!(shingles("a b c", 3), vec![xxh3_64_with_seed(b"a b c", 0)]);
        assert!(shingles("", 3).is_empty());
    }

    #[test]
    fn repeated_shingles_count_once() {
        assert_eq!(shingles("a b a b a b", 2).len(), 2);
    }

    #[test]
    fn cjk_uses_character_shingles() {
        // Five ideographs, no spaces: three character 3-grams, not one "word".
        assert_eq!(shingles("東京都庁舎", 3).len(), 3);
        assert_eq!(word_count("東京都庁舎"), 1);
        for text in ["", "one", "one two", "one two three"] {
            for min in 0..5 {
                assert_eq!(
                    has_words(text, min),
                    word_count(text) >= min,
                    "{text:?} {min}"
                );
            }
        }
    }

    proptest::proptest! {
        /// The word shingles are the xxh3 hashes of each run of k words joined by their
        /// spaces, in text order (and the whole text when it has fewer than k words): from
        /// one to a few dozen words of every shingle length, so rounds of eight lanes, the
        /// shingles left after them and lanes of every length class.
        #[test]
        fn word_shingles_equal_joined_windows(
            words in proptest::collection::vec("[a-z0-9\u{0627}-\u{064A}]{1,6}|[a-z]{7,30}", 1..40),
            k in 1usize..5,
        ) {
            let text = words.join(" ");
            let want: Vec<u64> = if words.len() <= k {
                vec![xxh3_64_with_seed(text.as_bytes(), 0)]
            } else {
                words
                    .windows(k)
                    .map(|w| xxh3_64_with_seed(w.join(" ").as_bytes(), 0))
                    .collect()
            };
            let mut got = vec![7];
            shingle_hashes_into(&text, k, &mut ShingleScratch::default(), &mut got);
            proptest::prop_assert_eq!(got, want);
        }
    }

    #[test]
    fn jaccard_of_sets() {
        assert_eq!(jaccard(&[1, 2, 3], &[2, 3, 4]), 0.5);
        assert_eq!(jaccard::<u64>(&[], &[]), 1.0);
        assert_eq!(jaccard(&[1], &[]), 0.0);
    }
}
