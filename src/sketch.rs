//! The sketch path: one paragraph's text → (compared?, exact hash, signature), and the exact
//! Jaccard similarity of two texts. The one place these are computed.
//!
//! This is the entry of the library's low-level layer (the stages: this module, and under it
//! [`crate::normalize`], [`crate::shingle`], [`crate::minhash`], [`crate::lsh`],
//! [`crate::cluster`]), the one that benchmarks, the Python bindings and the Arrow kernels
//! call; a caller that wants clusters uses [`crate::Scanner`] or [`crate::Index`] instead.
//!
//! Input: paragraph text (any Unicode) and the matching [`Params`]. Output: for
//! [`Sketcher::sketch`], `None` when the paragraph is not compared (empty after normalisation
//! or fewer than `min_words` words; its signature is then all `u32::MAX`), else the 128-bit
//! xxh3 of the normalised text, with the MinHash signature of its shingle set written into the
//! caller's slice; for [`Sketcher::jaccard`], the exact Jaccard similarity of the two shingle
//! sets; for [`Sketcher::verify`], the decision on a candidate pair that the scan takes.
//!
//! Invariants: the scan, index build, query and evaluation all sketch through this module, so
//! a paragraph gets the same hash and signature whichever of them reads it (this is why
//! `scan --index` equals `scan` by construction), and the Python layer's Arrow kernels call
//! the same functions row by row. A [`Sketcher`] is single-threaded: it owns reusable scratch
//! buffers, so per-row calls allocate nothing once the buffers have grown; a caller that wants
//! parallelism clones one per worker (clones share the MinHash permutations).

use std::sync::Arc;

use xxhash_rust::xxh3::xxh3_128;

use crate::cluster::{self, SimilarityMethod};
use crate::config::{Params, VerifyMode};
use crate::minhash::{estimate_jaccard, MinHasher};
use crate::normalize::{normalize_into, normalize_words_into};
use crate::shingle::{self, ShingleScratch};

/// Sketches paragraphs with one set of matching parameters. Build one with [`Sketcher::new`],
/// clone it for each worker thread (a clone shares the permutations and starts with empty
/// scratch buffers).
#[derive(Debug)]
pub struct Sketcher {
    hasher: Arc<MinHasher>,
    shingle: usize,
    min_words: usize,
    verify: VerifyMode,
    threshold: f64,
    norm: String,
    scratch: ShingleScratch,
    /// Where each word of `norm` starts, from the fused normalise-and-split pass.
    starts: Vec<usize>,
    a: Vec<u64>,
    b: Vec<u64>,
}

impl Clone for Sketcher {
    fn clone(&self) -> Self {
        Sketcher {
            hasher: Arc::clone(&self.hasher),
            norm: String::new(),
            scratch: ShingleScratch::default(),
            starts: Vec::new(),
            a: Vec::new(),
            b: Vec::new(),
            ..*self
        }
    }
}

impl Sketcher {
    /// A sketcher for these parameters (shingle size, `min_words`, permutations from
    /// `num_perm` and `seed`, verification mode and threshold).
    pub fn new(params: &Params) -> Self {
        Sketcher {
            hasher: Arc::new(MinHasher::new(params.hash, params.num_perm, params.seed)),
            shingle: params.shingle,
            min_words: params.min_words,
            verify: params.verify,
            threshold: params.threshold,
            norm: String::new(),
            scratch: ShingleScratch::default(),
            starts: Vec::new(),
            a: Vec::new(),
            b: Vec::new(),
        }
    }

    /// Signature length (`Params::num_perm`): the length [`Sketcher::sketch`] expects.
    pub fn num_perm(&self) -> usize {
        self.hasher.num_perm()
    }

    /// The MinHash permutations in use.
    pub fn hasher(&self) -> &MinHasher {
        &self.hasher
    }

    /// Whether normalised text is compared at all: not empty and at least `min_words` words.
    fn compared(&self, normalized: &str) -> bool {
        !normalized.is_empty() && shingle::has_words(normalized, self.min_words)
    }

    /// Sketch one paragraph: its exact hash (`None`: not compared) and its signature, written
    /// into `signature` (length [`Sketcher::num_perm`]; all `u32::MAX` when not compared).
    ///
    /// # Panics
    /// When `signature.len() != self.num_perm()`.
    pub fn sketch(&mut self, text: &str, signature: &mut [u32]) -> Option<u128> {
        // One pass normalises and finds the words (`normalize_words_into`), which the shingler
        // then hashes without searching the text for spaces again.
        let wide = normalize_words_into(text, &mut self.norm, &mut self.starts);
        if !self.compared(&self.norm) {
            assert_eq!(signature.len(), self.num_perm(), "signature length");
            signature.fill(u32::MAX);
            return None;
        }
        // Shingles in text order, repeats included: MinHash minima do not depend on either,
        // and the sort is the costliest part of a set.
        shingle::shingle_words_into(
            &self.norm,
            &self.starts,
            wide,
            self.shingle,
            &mut self.scratch,
            &mut self.a,
        );
        self.hasher.sign_into(&self.a, signature);
        Some(xxh3_128(self.norm.as_bytes()))
    }

    /// The shingle set of one paragraph (sorted, no repeats) into `out`; false, with `out`
    /// empty, when the paragraph is not compared (the same rule as [`Sketcher::sketch`]).
    pub fn shingle_set_into(&mut self, text: &str, out: &mut Vec<u64>) -> bool {
        normalize_into(text, &mut self.norm);
        if !self.compared(&self.norm) {
            out.clear();
            return false;
        }
        shingle::shingle_into(&self.norm, self.shingle, &mut self.scratch, out);
        true
    }

    /// Exact Jaccard similarity of the shingle sets of two texts (each normalised and
    /// shingled as [`Sketcher::sketch`] does).
    pub fn jaccard(&mut self, a: &str, b: &str) -> f64 {
        normalize_into(a, &mut self.norm);
        shingle::shingle_into(&self.norm, self.shingle, &mut self.scratch, &mut self.a);
        normalize_into(b, &mut self.norm);
        shingle::shingle_into(&self.norm, self.shingle, &mut self.scratch, &mut self.b);
        shingle::jaccard(&self.a, &self.b)
    }

    /// Decide a candidate pair as the scan does (the parameters' verification mode and
    /// threshold, see [`cluster::verify`]): from the signatures' estimate, or, when the mode
    /// asks it, the exact Jaccard of the texts `texts` returns. When `texts` returns `None`
    /// (a source no longer available) the estimate stands in for the exact value. Returns the
    /// similarity that decided when the pair reaches the threshold.
    pub fn verify<A: AsRef<str>, B: AsRef<str>>(
        &mut self,
        sig_a: &[u32],
        sig_b: &[u32],
        texts: impl FnOnce() -> Option<(A, B)>,
    ) -> Option<(f64, SimilarityMethod)> {
        let estimate = estimate_jaccard(sig_a, sig_b);
        let (mode, threshold, k) = (self.verify, self.threshold, self.num_perm());
        cluster::verify(mode, threshold, k, estimate, || {
            texts()
                .map(|(a, b)| self.jaccard(a.as_ref(), b.as_ref()))
                .unwrap_or(estimate)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::normalize::normalize;
    use proptest::prelude::*;

    fn params(min_words: usize, verify: VerifyMode) -> Params {
        Config {
            min_words,
            verify,
            ..Config::default()
        }
        .params()
        .unwrap()
    }

    /// The per-paragraph computation as it was written before this module: normalise, check,
    /// sorted shingle set, MinHash, 128-bit hash of the normalised text.
    fn reference(p: &Params, text: &str) -> (Option<u128>, Vec<u32>) {
        let norm = normalize(text);
        let hasher = MinHasher::new(p.hash, p.num_perm, p.seed);
        if norm.is_empty() || !shingle::has_words(&norm, p.min_words) {
            return (None, vec![u32::MAX; p.num_perm]);
        }
        let set = shingle::shingles(&norm, p.shingle);
        (Some(xxh3_128(norm.as_bytes())), hasher.sign(&set))
    }

    proptest! {
        #[test]
        fn sketch_equals_normalise_shingle_minhash(
            texts in proptest::collection::vec(
                "[a-c \u{0627}\u{0628}\u{064E}\u{4E00}\u{4E01}.,A-C]{0,40}", 1..8),
            min_words in 0usize..4,
        ) {
            let p = params(min_words, VerifyMode::Auto);
            // One sketcher for every row, so stale scratch contents would show.
            let mut s = Sketcher::new(&p);
            let mut sig = vec![0u32; s.num_perm()];
            for t in &texts {
                let hash = s.sketch(t, &mut sig);
                let (want_hash, want_sig) = reference(&p, t);
                prop_assert_eq!(hash, want_hash);
                prop_assert_eq!(&sig, &want_sig);
                let mut set = vec![7];
                let compared = s.shingle_set_into(t, &mut set);
                prop_assert_eq!(compared, want_hash.is_some());
                if compared {
                    prop_assert_eq!(&set, &shingle::shingles(&normalize(t), p.shingle));
                } else {
                    prop_assert!(set.is_empty());
                }
            }
        }

        #[test]
        fn jaccard_is_that_of_the_shingle_sets(a in "[a-d ]{0,30}", b in "[a-d ]{0,30}") {
            let p = params(1, VerifyMode::Exact);
            let want = shingle::jaccard(
                &shingle::shingles(&normalize(&a), p.shingle),
                &shingle::shingles(&normalize(&b), p.shingle),
            );
            prop_assert_eq!(Sketcher::new(&p).jaccard(&a, &b), want);
        }
    }

    #[test]
    fn verify_uses_the_texts_only_when_the_mode_asks() {
        let a = "the port will reopen to cargo ships within a week once the wreck is cleared";
        let b = "the port will reopen to cargo ships within a fortnight once the wreck is cleared";
        for mode in [VerifyMode::Estimate, VerifyMode::Auto, VerifyMode::Exact] {
            let p = params(1, mode);
            let mut s = Sketcher::new(&p);
            let (mut sa, mut sb) = (vec![0; s.num_perm()], vec![0; s.num_perm()]);
            s.sketch(a, &mut sa);
            s.sketch(b, &mut sb);
            let exact = s.jaccard(a, b);
            let got = s.verify(&sa, &sb, || Some((a, b)));
            let want = cluster::verify(
                mode,
                p.threshold,
                p.num_perm,
                estimate_jaccard(&sa, &sb),
                || exact,
            );
            assert_eq!(got, want);
            // An unavailable text falls back to the estimate.
            let fallback = s.verify(&sa, &sb, || None::<(&str, &str)>);
            if mode == VerifyMode::Exact {
                let est = estimate_jaccard(&sa, &sb);
                assert_eq!(
                    fallback,
                    (est >= p.threshold).then_some((est, SimilarityMethod::Exact))
                );
            }
        }
    }
}
