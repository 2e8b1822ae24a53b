//! Scan configuration: what the user chooses, validated once into [`Params`].
//!
//! [`Config`] holds the user's choices (some optional, such as bands × rows); [`Config::params`]
//! checks them and resolves the optional ones, producing the [`Params`] that every stage reads
//! and that reports record. Every field of `Params` changes which paragraphs match, so all of
//! them are written to reports (and later to index manifests).

use serde::{Deserialize, Serialize};

pub use crate::cluster::VerifyMode;
use crate::error::{Error, Result};
pub use crate::ingest::SplitMode;
use crate::lsh::{self, LshParams};
pub use crate::minhash::HashFamily;
use crate::normalize::NORMALIZER_VERSION;

/// What the user chooses for matching. Start from [`Config::default`] and change fields.
///
/// Matching parameters only: how inputs are read (`lossy`, `keep_going`, JSONL fields…) is
/// [`crate::ingest::InputOptions`], and how a report labels its clusters is
/// [`crate::scan::ScanOptions`].
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Config {
    /// Jaccard similarity (of word shingle sets) at which two paragraphs are near duplicates.
    pub threshold: f64,
    /// Number of MinHash permutations (signature length).
    pub num_perm: usize,
    /// LSH bands; chosen from the threshold when `None` (give both bands and rows, or neither).
    pub bands: Option<usize>,
    /// LSH rows per band; chosen from the threshold when `None`.
    pub rows: Option<usize>,
    /// Words per shingle (characters per shingle for scripts written without spaces).
    pub shingle_words: usize,
    /// How files are cut into paragraphs.
    pub split: SplitMode,
    /// How candidate pairs are confirmed.
    pub verify: VerifyMode,
    /// Seed of the MinHash permutations.
    pub seed: u64,
    /// Paragraphs with fewer normalised words than this are not compared at all.
    pub min_words: usize,
    /// Also find shared passages inside paragraphs (`--passages`); `None` skips that stage.
    pub passages: Option<crate::passage::PassageConfig>,
    /// Permutation family of the MinHash signatures.
    pub hash: HashFamily,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            threshold: 0.8,
            num_perm: 128,
            bands: None,
            rows: None,
            shingle_words: 3,
            split: SplitMode::Lines,
            verify: VerifyMode::Auto,
            seed: DEFAULT_SEED,
            min_words: 1,
            passages: None,
            hash: HashFamily::default(),
        }
    }
}

/// Default MinHash seed (any fixed value works; this one is recorded in every report).
pub const DEFAULT_SEED: u64 = 0x6e65_6172_6475_7031; // "neardup1"

/// Largest signature length accepted: beyond it signatures cost more than they help.
pub(crate) const MAX_NUM_PERM: usize = 1024;

/// The validated, fully resolved parameters of a scan. Recorded in every report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Params {
    /// Jaccard threshold.
    pub threshold: f64,
    /// MinHash permutations.
    pub num_perm: usize,
    /// LSH bands.
    pub bands: usize,
    /// LSH rows per band.
    pub rows: usize,
    /// Words (or characters, for spaceless scripts) per shingle.
    pub shingle: usize,
    /// Paragraph split mode.
    pub split: SplitMode,
    /// Candidate verification mode.
    pub verify: VerifyMode,
    /// MinHash seed.
    pub seed: u64,
    /// Minimum normalised words for a paragraph to be compared.
    pub min_words: usize,
    /// Version of the normalisation rules.
    pub normalizer_version: u32,
    /// The shingle hash + permutation family, recorded by name so a change of family is
    /// visible in every output (an unknown name is refused when read).
    pub hash: HashFamily,
}

impl Config {
    /// Check the configuration and resolve bands × rows.
    pub fn params(&self) -> Result<Params> {
        let bad = |msg: String| Err(Error::InvalidParameter(msg));
        if !(self.threshold > 0.0 && self.threshold <= 1.0) {
            return bad(format!(
                "threshold must be in (0, 1], got {}",
                self.threshold
            ));
        }
        if self.num_perm == 0 || self.num_perm > MAX_NUM_PERM {
            return bad(format!(
                "num-perm must be between 1 and {MAX_NUM_PERM}, got {}",
                self.num_perm
            ));
        }
        if self.shingle_words == 0 || self.shingle_words > 32 {
            return bad(format!(
                "shingle must be between 1 and 32 words, got {}",
                self.shingle_words
            ));
        }
        let lsh = match (self.bands, self.rows) {
            (None, None) => lsh::optimal_params(self.threshold, self.num_perm),
            (Some(bands), Some(rows)) => {
                if bands == 0 || rows == 0 {
                    return bad("bands and rows must both be at least 1".into());
                }
                if bands.checked_mul(rows).is_none_or(|n| n > self.num_perm) {
                    return bad(format!(
                        "bands × rows = {} exceeds num-perm = {}: raise --num-perm or lower \
                         --bands/--rows",
                        bands as u128 * rows as u128,
                        self.num_perm
                    ));
                }
                LshParams { bands, rows }
            }
            _ => return bad("give both --bands and --rows, or neither".into()),
        };
        Ok(Params {
            threshold: self.threshold,
            num_perm: self.num_perm,
            bands: lsh.bands,
            rows: lsh.rows,
            shingle: self.shingle_words,
            split: self.split,
            verify: self.verify,
            seed: self.seed,
            min_words: self.min_words,
            normalizer_version: NORMALIZER_VERSION,
            hash: self.hash,
        })
    }
}

impl Params {
    /// The LSH banding of these parameters.
    pub fn lsh(&self) -> LshParams {
        LshParams {
            bands: self.bands,
            rows: self.rows,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid() {
        let p = Config::default().params().unwrap();
        assert!(p.bands * p.rows <= p.num_perm);
    }

    #[test]
    fn bad_parameters_are_refused_with_a_reason() {
        let c = Config {
            threshold: 1.5,
            ..Config::default()
        };
        assert!(c.params().unwrap_err().to_string().contains("threshold"));
        let c = Config {
            bands: Some(4),
            ..Config::default()
        };
        assert!(c.params().unwrap_err().to_string().contains("both"));
        let c = Config {
            bands: Some(64),
            rows: Some(4),
            ..Config::default()
        };
        assert!(c.params().unwrap_err().to_string().contains("exceeds"));
    }
}
