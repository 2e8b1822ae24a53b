//! Cluster: candidate pairs → verified pairs → clusters.
//!
//! Input: groups of paragraphs identical after normalisation ("units"), and candidate pairs of
//! units from LSH. Output: clusters, each a sorted list of paragraphs. Invariants:
//! - a candidate pair joins two units only once verified ([`verify`]); chains of weak band
//!   collisions therefore cannot merge unrelated text, though a chain of verified pairs can
//!   (clusters are connected components, each link at least `threshold` similar);
//! - clusters depend only on the set of verified pairs, never on the order they were found
//!   (union-find components are sorted before use).
//!
//! [`VerifyMode`] lives here, with the rule it names ([`verify`]).

use serde::{Deserialize, Serialize};

pub use crate::util::UnionFind;

/// How a candidate pair from LSH is confirmed before it may join a cluster.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum VerifyMode {
    /// Jaccard similarity estimated from the full MinHash signatures must reach the threshold.
    Estimate,
    /// The estimate decides when it is more than 3 standard errors from the threshold; closer
    /// than that, the exact Jaccard similarity of the shingle sets decides.
    #[default]
    Auto,
    /// Exact Jaccard similarity of the shingle sets must reach the threshold.
    Exact,
}

/// Number of standard errors of the MinHash estimate within which [`VerifyMode::Auto`] asks
/// the exact Jaccard similarity. At 3σ an estimate outside the band is on the wrong side of
/// the threshold with probability below 0.14%.
pub const AUTO_VERIFY_SIGMAS: f64 = 3.0;

/// How a verified pair's similarity was obtained.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SimilarityMethod {
    /// Estimated from MinHash signatures.
    Estimate,
    /// Exact Jaccard of shingle sets.
    Exact,
}

/// Decide a candidate pair. `estimate` is the MinHash estimate; `exact` computes the exact
/// Jaccard similarity when the mode needs it. Returns the similarity that decided, when the
/// pair reaches `threshold`.
pub fn verify(
    mode: VerifyMode,
    threshold: f64,
    num_perm: usize,
    estimate: f64,
    exact: impl FnOnce() -> f64,
) -> Option<(f64, SimilarityMethod)> {
    let decide = |s: f64, m| (s >= threshold).then_some((s, m));
    match mode {
        VerifyMode::Estimate => decide(estimate, SimilarityMethod::Estimate),
        VerifyMode::Exact => decide(exact(), SimilarityMethod::Exact),
        VerifyMode::Auto => {
            // Standard error at the threshold, where the decision is made.
            let sigma = (threshold * (1.0 - threshold) / num_perm as f64).sqrt();
            let band = AUTO_VERIFY_SIGMAS * sigma.max(1.0 / num_perm as f64);
            if (estimate - threshold).abs() > band {
                decide(estimate, SimilarityMethod::Estimate)
            } else {
                decide(exact(), SimilarityMethod::Exact)
            }
        }
    }
}

/// Whether a cluster's members are identical after normalisation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ClusterKind {
    /// All members normalise to the same text.
    Exact,
    /// At least two members differ after normalisation.
    Near,
}

/// Whether a cluster stays inside one article.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// All members are in one article.
    Within,
    /// Members come from two or more articles.
    Across,
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn auto_verification_asks_exact_only_near_the_threshold() {
        let exact_called = std::cell::Cell::new(false);
        let exact = || {
            exact_called.set(true);
            0.79
        };
        assert!(verify(VerifyMode::Auto, 0.8, 128, 0.98, exact).is_some());
        assert!(!exact_called.get());
        assert_eq!(verify(VerifyMode::Auto, 0.8, 128, 0.81, exact), None);
        assert!(exact_called.get());
        assert_eq!(
            verify(VerifyMode::Estimate, 0.8, 128, 0.81, || unreachable!()),
            Some((0.81, SimilarityMethod::Estimate))
        );
    }
}
