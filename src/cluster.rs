//! Cluster: candidate pairs → verified pairs → clusters.
//!
//! Input: groups of paragraphs identical after normalisation ("units"), and candidate pairs of
//! units from LSH. Output: clusters, each a sorted list of paragraphs. Invariants:
//! - a candidate pair joins two units only once verified ([`verify`]); chains of weak band
//!   collisions therefore cannot merge unrelated text, though a chain of verified pairs can
//!   (clusters are connected components, each link at least `threshold` similar);
//! - clusters depend only on the set of verified pairs, never on the order they were found
//!   (union-find components are sorted before use).

use serde::{Deserialize, Serialize};

use crate::config::VerifyMode;

/// Disjoint sets over `0..n` with path halving and union by size.
#[derive(Clone, Debug)]
pub struct UnionFind {
    parent: Vec<u32>,
    size: Vec<u32>,
}

impl UnionFind {
    /// `n` singleton sets.
    pub fn new(n: usize) -> Self {
        UnionFind {
            parent: (0..n as u32).collect(),
            size: vec![1; n],
        }
    }

    /// Representative of `x`'s set.
    pub fn find(&mut self, mut x: u32) -> u32 {
        while self.parent[x as usize] != x {
            let grandparent = self.parent[self.parent[x as usize] as usize];
            self.parent[x as usize] = grandparent;
            x = grandparent;
        }
        x
    }

    /// Merge the sets of `a` and `b`; false when they were already one set.
    pub fn union(&mut self, a: u32, b: u32) -> bool {
        let (mut ra, mut rb) = (self.find(a), self.find(b));
        if ra == rb {
            return false;
        }
        if self.size[ra as usize] < self.size[rb as usize] {
            std::mem::swap(&mut ra, &mut rb);
        }
        self.parent[rb as usize] = ra;
        self.size[ra as usize] += self.size[rb as usize];
        true
    }

    /// All sets with at least `min_size` members, each sorted ascending, ordered by their
    /// smallest member.
    pub fn components(&mut self, min_size: usize) -> Vec<Vec<u32>> {
        self.components_where(|_, size| size >= min_size as u32)
    }

    /// The sets whose smallest member and size `keep` accepts, as [`UnionFind::components`]
    /// orders them. Lets a caller keep a few singletons without one allocation per element.
    pub fn components_where(&mut self, keep: impl Fn(u32, u32) -> bool) -> Vec<Vec<u32>> {
        const UNSEEN: u32 = u32::MAX;
        const DROPPED: u32 = u32::MAX - 1;
        let n = self.parent.len();
        let mut slot: Vec<u32> = vec![UNSEEN; n];
        let mut out: Vec<Vec<u32>> = Vec::new();
        // Ascending x: each component is decided and created at its smallest member and filled
        // in order.
        for x in 0..n as u32 {
            let root = self.find(x) as usize;
            if slot[root] == UNSEEN {
                if keep(x, self.size[root]) {
                    slot[root] = out.len() as u32;
                    out.push(Vec::new());
                } else {
                    slot[root] = DROPPED;
                }
            }
            if slot[root] != DROPPED {
                out[slot[root] as usize].push(x);
            }
        }
        out
    }
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
    use proptest::prelude::*;
    use std::collections::BTreeSet;

    /// Components by breadth-first search over an adjacency list: the reference.
    fn bfs_components(n: usize, edges: &[(u32, u32)]) -> BTreeSet<Vec<u32>> {
        let mut adj = vec![Vec::new(); n];
        for &(a, b) in edges {
            adj[a as usize].push(b);
            adj[b as usize].push(a);
        }
        let mut seen = vec![false; n];
        let mut out = BTreeSet::new();
        for s in 0..n {
            if seen[s] {
                continue;
            }
            let mut comp = vec![s as u32];
            seen[s] = true;
            let mut queue = std::collections::VecDeque::from([s]);
            while let Some(x) = queue.pop_front() {
                for &y in &adj[x] {
                    if !seen[y as usize] {
                        seen[y as usize] = true;
                        comp.push(y);
                        queue.push_back(y as usize);
                    }
                }
            }
            comp.sort_unstable();
            out.insert(comp);
        }
        out
    }

    proptest! {
        #[test]
        fn union_find_equals_bfs_components(
            n in 1usize..60,
            raw in proptest::collection::vec((0u32..60, 0u32..60), 0..120),
        ) {
            let edges: Vec<(u32, u32)> = raw.into_iter()
                .map(|(a, b)| (a % n as u32, b % n as u32)).collect();
            let mut uf = UnionFind::new(n);
            for &(a, b) in &edges {
                uf.union(a, b);
            }
            let comps = uf.components(1);
            // Ordered by smallest member, each sorted.
            prop_assert!(comps.windows(2).all(|w| w[0][0] < w[1][0]));
            let got: BTreeSet<Vec<u32>> = comps.into_iter().collect();
            prop_assert_eq!(got, bfs_components(n, &edges));
        }

        /// `components_where` keeps exactly the components that filtering all of them would.
        #[test]
        fn components_where_equals_filtering_all(
            n in 1usize..60,
            raw in proptest::collection::vec((0u32..60, 0u32..60), 0..80),
            modulus in 1u32..5,
        ) {
            let mut uf = UnionFind::new(n);
            for &(a, b) in &raw {
                uf.union(a % n as u32, b % n as u32);
            }
            let keep = |first: u32, size: u32| size > 2 || first.is_multiple_of(modulus);
            let expected: Vec<Vec<u32>> = uf
                .components(1)
                .into_iter()
                .filter(|c| keep(c[0], c.len() as u32))
                .collect();
            prop_assert_eq!(uf.components_where(keep), expected);
        }

        #[test]
        fn union_order_does_not_matter(
            raw in proptest::collection::vec((0u32..30, 0u32..30), 0..60),
        ) {
            let mut a = UnionFind::new(30);
            let mut b = UnionFind::new(30);
            for &(x, y) in &raw { a.union(x, y); }
            for &(x, y) in raw.iter().rev() { b.union(y, x); }
            prop_assert_eq!(a.components(2), b.components(2));
        }
    }

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
