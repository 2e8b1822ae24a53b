//! Passages: runs of words shared between two places, found inside paragraphs of any length.
//!
//! **Input**: the scan's documents (their bytes as on disk) and paragraphs, and validated
//! [`PassageParams`]. **Output**: a [`PassageReport`]: clusters of [`PassageSpan`]s, each span a
//! byte range of an original file holding at least `min_words` normalised words that also occur,
//! possibly with small edits, somewhere else (in another article or further down the same one,
//! across paragraph boundaries too). **Invariants**: spans start and end on word boundaries of
//! the original text and lie inside the document; two spans of one document in one cluster
//! never overlap (overlapping ones are merged into one); the
//! report depends only on the documents and the parameters (every parallel step collects in
//! input order, every sort has a total key), so it is byte-identical for any thread count; work
//! stays near-linear in corpus size because fingerprints found in more than `max_occurrences`
//! places are dropped (and counted) instead of paired.
//!
//! # Method
//!
//! 1. **Words** ([`words`]): the original text is cut into word pieces at the characters that
//!    [`normalize`] treats as separators (whitespace, punctuation, symbols, controls); each
//!    piece is normalised on its own and each resulting word keeps the byte span of its piece.
//!    Spans are therefore exact to the word: they never include the surrounding punctuation,
//!    quotes or spaces. (A compatibility character that NFKC expands into several words, such as
//!    `½`, gives several words sharing one span.)
//! 2. **Anchors**: every run of `anchor_words` consecutive words (crossing paragraph boundaries,
//!    never documents) is hashed with xxh3-64; winnowing keeps the smallest hash of every window
//!    of `window` consecutive k-grams, so any verbatim run of `anchor_words + window − 1` words
//!    shared by two places shares at least one kept fingerprint (the guarantee behind recall).
//! 3. **Seeds**: fingerprints are sorted; equal fingerprints give seed pairs of positions. A
//!    fingerprint present in more than `max_occurrences` places is boilerplate: it is dropped
//!    and counted in [`PassageStats::dropped_fingerprints`], so a footer on 10,000 pages costs
//!    one sorted run, not 50 million pairs.
//! 4. **Chains**: per pair of documents, seeds close in both texts and on nearly the same
//!    diagonal (an edit shifts the diagonal by one word) are chained.
//! 5. **Alignment**: each chain's box (plus a margin) is aligned by banded Smith–Waterman over
//!    words (match +1, substitution −1, inserted or deleted word −1), which sets both spans'
//!    boundaries at matching words and tolerates small edits; the box left and right of the
//!    alignment is searched again, so one chain can yield several passages. An alignment is kept
//!    when it has at least `min_words` matching words and a score of at least half of that.
//! 6. **Clusters**: the two sides of every alignment are intervals of words; intervals of one
//!    document overlapping by at least half of the shorter one are one *site* (their union), and
//!    sites linked by alignments form a cluster (union-find). A quote used by ten outlets is one
//!    cluster of ten spans, with the pairwise alignments as its links.

use std::ops::Range;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::xxh3_64;

use crate::cluster::Scope;
use crate::error::{Error, Result};
use crate::ingest::{Document, Paragraph};
use crate::normalize::{normalize, separates_words, NORMALIZER_VERSION};
use crate::util::UnionFind;

/// Default minimum number of shared normalised words for a passage (`--min-passage-words`).
///
/// Ten words: long enough that common phrases of news prose ("said in a statement on
/// Sunday that") do not qualify, short enough for a one-sentence quote.
pub const DEFAULT_MIN_PASSAGE_WORDS: usize = 10;
/// Default words per anchor k-gram.
pub const DEFAULT_ANCHOR_WORDS: usize = 4;
/// Default winnowing window (k-grams per window).
pub const DEFAULT_WINDOW: usize = 2;
/// Default cap on the places a fingerprint may occur before it counts as boilerplate.
pub const DEFAULT_MAX_OCCURRENCES: usize = 100;
/// Name of the anchor hash, recorded in [`PassageParams::hash`].
pub const PASSAGE_HASH: &str = "xxh3-64-word-kgrams-winnowed";

/// What the user chooses for passage detection. Start from [`PassageConfig::default`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct PassageConfig {
    /// Fewest matching normalised words for a shared passage.
    pub min_words: usize,
    /// Words per anchor k-gram (lowered to `min_words` when larger).
    pub anchor_words: usize,
    /// Winnowing window in k-grams (lowered so that a verbatim run of `min_words` words is
    /// always anchored).
    pub window: usize,
    /// A fingerprint found in more places than this is dropped as boilerplate.
    pub max_occurrences: usize,
}

impl Default for PassageConfig {
    fn default() -> Self {
        PassageConfig {
            min_words: DEFAULT_MIN_PASSAGE_WORDS,
            anchor_words: DEFAULT_ANCHOR_WORDS,
            window: DEFAULT_WINDOW,
            max_occurrences: DEFAULT_MAX_OCCURRENCES,
        }
    }
}

/// Validated, resolved passage parameters; recorded in every report with passages.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PassageParams {
    /// Fewest matching normalised words for a passage.
    pub min_words: usize,
    /// Words per anchor k-gram.
    pub anchor_words: usize,
    /// Winnowing window in k-grams.
    pub window: usize,
    /// Fingerprints in more places than this were dropped as boilerplate.
    pub max_occurrences: usize,
    /// Version of the normalisation rules.
    pub normalizer_version: u32,
    /// Anchor hash family.
    pub hash: String,
}

impl PassageConfig {
    /// Check the configuration and resolve the anchor size and window.
    pub fn params(&self) -> Result<PassageParams> {
        let bad = |msg: String| Err(Error::InvalidParameter(msg));
        if self.min_words < 2 || self.min_words > 100_000 {
            return bad(format!(
                "min-passage-words must be between 2 and 100000, got {}",
                self.min_words
            ));
        }
        if self.anchor_words == 0 || self.anchor_words > 32 {
            return bad(format!(
                "passage anchor must be between 1 and 32 words, got {}",
                self.anchor_words
            ));
        }
        if self.window == 0 || self.window > 64 {
            return bad(format!(
                "passage window must be between 1 and 64 k-grams, got {}",
                self.window
            ));
        }
        if self.max_occurrences < 2 {
            return bad(format!(
                "passage max-occurrences must be at least 2, got {}",
                self.max_occurrences
            ));
        }
        let anchor_words = self.anchor_words.min(self.min_words);
        Ok(PassageParams {
            min_words: self.min_words,
            anchor_words,
            window: self.window.min(self.min_words - anchor_words + 1),
            max_occurrences: self.max_occurrences,
            normalizer_version: NORMALIZER_VERSION,
            hash: PASSAGE_HASH.to_string(),
        })
    }
}

/// The passage section of a report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PassageReport {
    /// Parameters that decided what matched.
    pub params: PassageParams,
    /// Counts, including what was dropped as boilerplate.
    pub stats: PassageStats,
    /// Passage clusters, sorted by their first span (document order, then position).
    pub clusters: Vec<PassageCluster>,
}

/// Counts describing the passage stage.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PassageStats {
    /// Normalised words in all documents.
    pub words: usize,
    /// Fingerprints kept by winnowing (positions).
    pub fingerprints: usize,
    /// Distinct fingerprints occurring in at least two places.
    pub shared_fingerprints: usize,
    /// Distinct fingerprints occurring in more than `max_occurrences` places, dropped as
    /// boilerplate (a passage made only of such fingerprints is not reported).
    pub dropped_fingerprints: usize,
    /// Places (positions) of the dropped fingerprints.
    pub dropped_occurrences: usize,
    /// Pairs of places sharing a fingerprint.
    pub seed_pairs: usize,
    /// Pairwise alignments kept (each one link of a cluster).
    pub alignments: usize,
    /// Passage clusters.
    pub clusters: usize,
    /// Spans over all clusters.
    pub spans: usize,
}

impl PassageStats {
    /// Count one distinct fingerprint found in `places` places. True when its places are to
    /// be paired: at least two, and no more than `max_occurrences` (beyond that it is
    /// boilerplate, dropped and counted). The scan and an index query decide alike here.
    pub(crate) fn tally(&mut self, places: usize, max_occurrences: usize) -> bool {
        if places < 2 {
            return false;
        }
        self.shared_fingerprints += 1;
        if places > max_occurrences {
            self.dropped_fingerprints += 1;
            self.dropped_occurrences += places;
            return false;
        }
        true
    }
}

/// Always `"passage"`: tells passage clusters from paragraph clusters (`"exact"`, `"near"`)
/// in a JSONL stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum PassageKind {
    /// A passage cluster.
    #[default]
    Passage,
}

/// Places that share one passage.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PassageCluster {
    /// 1-based, in report order.
    pub id: u32,
    /// Always [`PassageKind::Passage`].
    pub kind: PassageKind,
    /// Within one article or across articles.
    pub scope: Scope,
    /// Normalised words of the first span.
    pub words: u32,
    /// The first span's text after normalisation: the shared passage as compared.
    pub text: String,
    /// Spans sorted by path, then position; the first is the representative.
    pub spans: Vec<PassageSpan>,
    /// The alignments holding the cluster together, sorted by `a`, `b`.
    pub links: Vec<PassageLink>,
}

/// One place where a passage occurs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PassageSpan {
    /// Document path as in paragraph clusters.
    pub path: String,
    /// 0-based ordinal of the paragraph holding the first word.
    pub paragraph: u32,
    /// 1-based line of the first word.
    pub line: u32,
    /// 0-based ordinal of the paragraph holding the last word (differs from `paragraph` when
    /// the passage crosses a paragraph boundary).
    pub end_paragraph: u32,
    /// 1-based line of the last word.
    pub end_line: u32,
    /// Byte offset of the first word's first byte in the file.
    pub byte_start: u64,
    /// Byte offset just past the last word in the file.
    pub byte_end: u64,
    /// Normalised words in the span.
    pub words: u32,
    /// The span as in the file.
    pub text: String,
    /// Text of the enclosing paragraph before the span (for highlighting the span in place).
    pub before: String,
    /// Text of the enclosing paragraph after the span.
    pub after: String,
}

/// One pairwise alignment inside a passage cluster.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PassageLink {
    /// Index into the cluster's spans (the smaller of the two).
    pub a: u32,
    /// Index into the cluster's spans.
    pub b: u32,
    /// Words matched by the alignment.
    pub shared_words: u32,
    /// `shared_words` divided by the word count of the shorter aligned side.
    pub containment: f64,
}

// ---------------------------------------------------------------------------------------------
// Words.

/// The normalised words of a text and the byte span of each in the original.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Words {
    /// xxh3-64 of each normalised word.
    pub hashes: Vec<u64>,
    /// Byte span of each word in the original bytes (the word piece it comes from).
    pub spans: Vec<Range<usize>>,
}

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// Cut `bytes` into normalised words with their byte spans. Invalid UTF-8 separates words; a
/// leading byte-order mark is never part of a word.
pub fn words(bytes: &[u8]) -> Words {
    let mut out = Words::default();
    let mut offset = if bytes.starts_with(UTF8_BOM) {
        UTF8_BOM.len()
    } else {
        0
    };
    for chunk in bytes[offset..].utf8_chunks() {
        let valid = chunk.valid();
        let mut piece: Option<usize> = None;
        for (i, c) in valid.char_indices() {
            if separates_words(c) {
                if let Some(start) = piece.take() {
                    push_piece(&mut out, &valid[start..i], offset + start);
                }
            } else if piece.is_none() {
                piece = Some(i);
            }
        }
        if let Some(start) = piece {
            push_piece(&mut out, &valid[start..], offset + start);
        }
        offset += valid.len() + chunk.invalid().len();
    }
    out
}

fn push_piece(out: &mut Words, piece: &str, at: usize) {
    let norm = normalize(piece);
    for w in norm.split(' ').filter(|w| !w.is_empty()) {
        out.hashes.push(xxh3_64(w.as_bytes()));
        out.spans.push(at..at + piece.len());
    }
}

// ---------------------------------------------------------------------------------------------
// Anchors.

/// Winnowed k-gram fingerprints of one document: `(hash, word position)`, positions ascending.
/// The index stores exactly these (`index build --passages`), so a query pairs the same anchors
/// a scan would.
pub(crate) fn fingerprints(hashes: &[u64], k: usize, window: usize) -> Vec<(u64, u32)> {
    if hashes.len() < k {
        return Vec::new();
    }
    let mut buf = Vec::with_capacity(k * 8);
    let grams: Vec<u64> = hashes
        .windows(k)
        .map(|g| {
            buf.clear();
            for h in g {
                buf.extend_from_slice(&h.to_le_bytes());
            }
            xxh3_64(&buf)
        })
        .collect();
    if window <= 1 {
        return grams
            .iter()
            .enumerate()
            .map(|(i, &h)| (h, i as u32))
            .collect();
    }
    let mut out: Vec<(u64, u32)> = Vec::with_capacity(2 * grams.len() / (window + 1) + 1);
    let w = window.min(grams.len());
    for s in 0..=grams.len() - w {
        // Rightmost minimum of the window, so that a run of equal hashes yields few picks.
        let mut best = s;
        for i in s + 1..s + w {
            if grams[i] <= grams[best] {
                best = i;
            }
        }
        if out.last().is_none_or(|&(_, p)| p as usize != best) {
            out.push((grams[best], best as u32));
        }
    }
    out
}

/// A pair of places sharing a fingerprint: (doc a, doc b, position a, position b), a ≤ b.
pub(crate) type Seed = (u32, u32, u32, u32);

// ---------------------------------------------------------------------------------------------
// Alignment.

const MATCH: i32 = 1;
const MISMATCH: i32 = -1;
const GAP: i32 = -1;

const STOP: u8 = 0;
const DIAG: u8 = 1;
const UP: u8 = 2;
const LEFT: u8 = 3;

/// A local alignment of two word ranges.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Aligned {
    a: Range<usize>,
    b: Range<usize>,
    matches: u32,
    score: i32,
}

/// Banded Smith–Waterman over words: the best local alignment of `a[a_box]` with `b[b_box]`
/// using only cells whose diagonal `j − i` lies in `diag` (absolute word positions). Ties go
/// to the alignment ending first, so the result is a function of the inputs.
fn align(
    a: &[u64],
    b: &[u64],
    a_box: Range<usize>,
    b_box: Range<usize>,
    diag: Range<i64>,
) -> Option<Aligned> {
    if a_box.is_empty() || b_box.is_empty() || diag.is_empty() {
        return None;
    }
    let (dirs, best) = fill(a, b, &a_box, &b_box, &diag);
    if best.0 <= 0 {
        return None;
    }
    let (score, r, c) = best;
    let end = (
        a_box.start + r,
        (a_box.start + r) as i64 + diag.start + c as i64,
    );
    let (start, matches) = trace_back(a, b, &a_box, &b_box, &diag, &dirs, (r, c));
    Some(Aligned {
        a: start.0..end.0 + 1,
        b: start.1 as usize..end.1 as usize + 1,
        matches,
        score,
    })
}

/// The score matrix of [`align`], a row per word of `a_box` and a column per diagonal: the
/// direction each cell came from (`STOP`, `DIAG`, `UP`, `LEFT`) and the best cell
/// (score, row, column), the first of the highest scores in row-major order.
fn fill(
    a: &[u64],
    b: &[u64],
    a_box: &Range<usize>,
    b_box: &Range<usize>,
    diag: &Range<i64>,
) -> (Vec<u8>, (i32, usize, usize)) {
    let (diag_start, width) = (diag.start, (diag.end - diag.start) as usize);
    let rows = a_box.len();
    let mut dirs = vec![STOP; rows * width];
    let mut prev = vec![0i32; width];
    let mut cur = vec![0i32; width];
    let mut best = (0i32, 0usize, 0usize); // (score, row, column)
    for r in 0..rows {
        let i = a_box.start + r;
        for c in 0..width {
            let j = i as i64 + diag_start + c as i64;
            if j < b_box.start as i64 || j >= b_box.end as i64 {
                cur[c] = 0;
                continue;
            }
            let j = j as usize;
            // Neighbours outside the box or band count as 0 (a local alignment may start there).
            let d = if r > 0 && j > b_box.start { prev[c] } else { 0 };
            let up = if r > 0 && c + 1 < width {
                prev[c + 1]
            } else {
                0
            };
            let left = if c > 0 && j > b_box.start {
                cur[c - 1]
            } else {
                0
            };
            let s = if a[i] == b[j] { MATCH } else { MISMATCH };
            let (mut h, mut dir) = (0, STOP);
            if d + s > h {
                (h, dir) = (d + s, DIAG);
            }
            if up + GAP > h {
                (h, dir) = (up + GAP, UP);
            }
            if left + GAP > h {
                (h, dir) = (left + GAP, LEFT);
            }
            cur[c] = h;
            dirs[r * width + c] = dir;
            if h > best.0 {
                best = (h, r, c);
            }
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    (dirs, best)
}

/// Follow [`fill`]'s directions back from the best cell `(r, c)` to
/// where the local alignment starts: its first matching word pair (the best cell itself when
/// none matches before it) and its number of matches.
fn trace_back(
    a: &[u64],
    b: &[u64],
    a_box: &Range<usize>,
    b_box: &Range<usize>,
    diag: &Range<i64>,
    dirs: &[u8],
    (mut r, mut c): (usize, usize),
) -> ((usize, i64), u32) {
    let (diag_start, width) = (diag.start, (diag.end - diag.start) as usize);
    let mut start = (
        a_box.start + r,
        (a_box.start + r) as i64 + diag_start + c as i64,
    );
    let mut matches = 0u32;
    loop {
        let i = a_box.start + r;
        let j = i as i64 + diag_start + c as i64;
        match dirs[r * width + c] {
            DIAG => {
                if a[i] == b[j as usize] {
                    matches += 1;
                    start = (i, j);
                }
                if r == 0 || j as usize == b_box.start {
                    break;
                }
                r -= 1;
            }
            UP => {
                if r == 0 || c + 1 >= width {
                    break;
                }
                r -= 1;
                c += 1;
            }
            LEFT => {
                if c == 0 {
                    break;
                }
                c -= 1;
            }
            _ => break,
        }
    }
    (start, matches)
}

/// An accepted pairwise alignment between two documents.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Match {
    a_doc: u32,
    a: Range<u32>,
    b_doc: u32,
    b: Range<u32>,
    shared: u32,
}

/// Widest spread of diagonals in one chain (words of net insertion or deletion); a chain that
/// would drift further is cut, so no alignment band is wider than this plus twice the margin.
const MAX_CHAIN_DIAGONALS: i64 = 64;

/// Seeds of one chain: positions (a, b), sorted by a.
type Chain = Vec<(u32, u32)>;

/// Chain seeds of one document pair (sorted by a then b) that are close in both texts and on
/// nearly the same diagonal.
fn chains(seeds: &[Seed], max_gap: u32, max_drift: i64) -> Vec<Chain> {
    let mut open: Vec<Chain> = Vec::new();
    let mut done: Vec<Chain> = Vec::new();
    for &(_, _, pa, pb) in seeds {
        let d = pb as i64 - pa as i64;
        // Close chains that can no longer grow.
        let mut i = 0;
        while i < open.len() {
            let &(la, _) = open[i].last().unwrap_or(&(0, 0));
            if la + max_gap < pa {
                done.push(open.remove(i));
            } else {
                i += 1;
            }
        }
        let pick = open
            .iter()
            .enumerate()
            .filter_map(|(i, ch)| {
                let &(la, lb) = ch.last()?;
                let &(fa, fb) = ch.first()?;
                let drift = (d - (lb as i64 - la as i64)).abs();
                // The band of the chain's alignment spans its diagonals: bounding them bounds the
                // alignment's cost to a constant per word.
                let band = (d - (fb as i64 - fa as i64)).abs();
                (pa > la && pb > lb && drift <= max_drift && band <= MAX_CHAIN_DIAGONALS)
                    .then_some((drift, i))
            })
            .min();
        match pick {
            Some((_, i)) => open[i].push((pa, pb)),
            None => open.push(vec![(pa, pb)]),
        }
    }
    done.extend(open);
    // Chains were closed in an order that depends only on the seeds; sort for a canonical one.
    done.sort_unstable();
    done
}

struct PairContext<'a> {
    a: &'a [u64],
    b: &'a [u64],
    same_doc: bool,
    k: usize,
    margin: usize,
    min_words: usize,
}

impl PairContext<'_> {
    /// Align the box around `seeds` within `a_lim` × `b_lim`, then what is left of it on either
    /// side.
    fn search(
        &self,
        seeds: &[(u32, u32)],
        a_lim: Range<usize>,
        b_lim: Range<usize>,
        out: &mut Vec<(Range<usize>, Range<usize>, u32)>,
    ) {
        if seeds.is_empty() {
            return;
        }
        let (m, k) = (self.margin, self.k);
        let a_min = seeds.iter().map(|s| s.0 as usize).min().unwrap_or(0);
        let a_max = seeds.iter().map(|s| s.0 as usize).max().unwrap_or(0);
        let b_min = seeds.iter().map(|s| s.1 as usize).min().unwrap_or(0);
        let b_max = seeds.iter().map(|s| s.1 as usize).max().unwrap_or(0);
        let d_min = seeds
            .iter()
            .map(|s| s.1 as i64 - s.0 as i64)
            .min()
            .unwrap_or(0);
        let d_max = seeds
            .iter()
            .map(|s| s.1 as i64 - s.0 as i64)
            .max()
            .unwrap_or(0);
        let mut a_box = a_min.saturating_sub(m).max(a_lim.start)..(a_max + k + m).min(a_lim.end);
        let mut b_box = b_min.saturating_sub(m).max(b_lim.start)..(b_max + k + m).min(b_lim.end);
        let mut diag = d_min - m as i64..d_max + m as i64 + 1;
        if self.same_doc {
            // Never align a word with itself or with an earlier word of the same text.
            diag.start = diag.start.max(1);
        }
        let Some(mut al) = align(self.a, self.b, a_box.clone(), b_box.clone(), diag.clone()) else {
            return;
        };
        // Two places of one text: the alignment of a title printed twice runs on from the first
        // copy into the second. Split the text where the second side starts and align again.
        for _ in 0..3 {
            if !(self.same_doc && al.a.end > al.b.start) {
                break;
            }
            let split = al.b.start;
            a_box.end = a_box.end.min(split);
            b_box.start = b_box.start.max(split);
            match align(self.a, self.b, a_box.clone(), b_box.clone(), diag.clone()) {
                Some(again) => al = again,
                None => return,
            }
        }
        if (al.score as usize) * 2 < self.min_words {
            // Every alignment inside the box scores at most this: nothing more to find.
            return;
        }
        let overlapping = self.same_doc && al.a.end > al.b.start;
        if al.matches as usize >= self.min_words && !overlapping {
            out.push((al.a.clone(), al.b.clone(), al.matches));
        }
        let (before, rest): (Chain, Chain) = seeds
            .iter()
            .partition(|s| (s.0 as usize) + k <= al.a.start && (s.1 as usize) + k <= al.b.start);
        let after: Vec<_> = rest
            .into_iter()
            .filter(|s| s.0 as usize >= al.a.end && s.1 as usize >= al.b.end)
            .collect();
        self.search(
            &before,
            a_lim.start..al.a.start,
            b_lim.start..al.b.start,
            out,
        );
        self.search(&after, al.a.end..a_lim.end, al.b.end..b_lim.end, out);
    }
}

// ---------------------------------------------------------------------------------------------
// The stage.

/// Find shared passages in `docs` (in scan order) whose paragraphs are `paragraphs` (in
/// document order, as the scan splits them).
pub(crate) fn find_passages(
    docs: &[Document],
    paragraphs: &[Paragraph],
    params: &PassageParams,
) -> PassageReport {
    let k = params.anchor_words;
    let doc_words: Vec<Words> = docs.par_iter().map(|d| words(&d.bytes)).collect();
    let mut stats = PassageStats {
        words: doc_words.iter().map(|w| w.hashes.len()).sum(),
        ..PassageStats::default()
    };

    // Anchors: (fingerprint, doc, position), sorted.
    let prints: Vec<(u64, u32, u32)> = doc_words
        .par_iter()
        .enumerate()
        .flat_map_iter(|(d, w)| {
            fingerprints(&w.hashes, k, params.window)
                .into_iter()
                .map(move |(h, p)| (h, d as u32, p))
        })
        .collect();
    let seeds = seeds_of(prints, params, &mut stats);
    let matches = align_seeds(&seeds, &doc_words, params);
    drop(seeds);
    stats.alignments = matches.len();
    report_of(params, stats, &matches, docs, &doc_words, paragraphs)
}

/// Seed pairs from anchors `(fingerprint, doc, position)` of a whole corpus: sorted, each run
/// of equal fingerprints tallied (boilerplate dropped and counted), its places paired, then
/// sorted and deduplicated, as [`align_seeds`] takes them. Fills `stats`' fingerprint and seed
/// counts.
pub(crate) fn seeds_of(
    mut prints: Vec<(u64, u32, u32)>,
    params: &PassageParams,
    stats: &mut PassageStats,
) -> Vec<Seed> {
    let k = params.anchor_words;
    stats.fingerprints = prints.len();
    prints.par_sort_unstable();

    // Runs of equal fingerprints; boilerplate runs are dropped.
    let mut runs: Vec<Range<usize>> = Vec::new();
    let mut start = 0;
    while start < prints.len() {
        let mut end = start + 1;
        while end < prints.len() && prints[end].0 == prints[start].0 {
            end += 1;
        }
        if stats.tally(end - start, params.max_occurrences) {
            runs.push(start..end);
        }
        start = end;
    }

    let mut seeds: Vec<Seed> = runs
        .par_iter()
        .flat_map_iter(|run| {
            let places = &prints[run.clone()];
            let mut out = Vec::new();
            for (x, &(_, da, pa)) in places.iter().enumerate() {
                for &(_, db, pb) in &places[x + 1..] {
                    if da != db || pb as usize >= pa as usize + k {
                        out.push((da, db, pa, pb));
                    }
                }
            }
            out
        })
        .collect();
    drop(prints);
    seeds.par_sort_unstable();
    seeds.dedup();
    stats.seed_pairs = seeds.len();
    seeds
}

/// Chain and align the seeds of every document pair: the accepted alignments. `seeds` must be
/// sorted and free of duplicates; `doc_words[d]` holds the words of document `d` of the seeds.
pub(crate) fn align_seeds(
    seeds: &[Seed],
    doc_words: &[Words],
    params: &PassageParams,
) -> Vec<Match> {
    let k = params.anchor_words;
    let mut pair_runs: Vec<Range<usize>> = Vec::new();
    let mut start = 0;
    while start < seeds.len() {
        let mut end = start + 1;
        while end < seeds.len() && seeds[end].0 == seeds[start].0 && seeds[end].1 == seeds[start].1
        {
            end += 1;
        }
        pair_runs.push(start..end);
        start = end;
    }
    let max_gap = (2 * k + params.window + 4) as u32;
    let margin = k + params.window + 2;
    pair_runs
        .par_iter()
        .flat_map_iter(|run| {
            let group = &seeds[run.clone()];
            let (da, db) = (group[0].0, group[0].1);
            let ctx = PairContext {
                a: &doc_words[da as usize].hashes,
                b: &doc_words[db as usize].hashes,
                same_doc: da == db,
                k,
                margin,
                min_words: params.min_words,
            };
            let mut found = Vec::new();
            for chain in chains(group, max_gap, 4) {
                ctx.search(&chain, 0..ctx.a.len(), 0..ctx.b.len(), &mut found);
            }
            found.sort_unstable_by_key(|(a, b, _)| (a.start, a.end, b.start, b.end));
            found.dedup_by(|x, y| x.0 == y.0 && x.1 == y.1);
            found.into_iter().map(move |(a, b, shared)| Match {
                a_doc: da,
                a: a.start as u32..a.end as u32,
                b_doc: db,
                b: b.start as u32..b.end as u32,
                shared,
            })
        })
        .collect()
}

/// Group `matches` into clusters of spans and render them: the report, with `stats`'
/// cluster and span counts filled in. `docs`, `doc_words` and `paragraphs` (in document
/// order) describe the documents the matches name.
pub(crate) fn report_of(
    params: &PassageParams,
    mut stats: PassageStats,
    matches: &[Match],
    docs: &[Document],
    doc_words: &[Words],
    paragraphs: &[Paragraph],
) -> PassageReport {
    let clusters = cluster_matches(matches);
    let paragraph_start = paragraph_index(docs.len(), paragraphs);
    let mut out: Vec<PassageCluster> = clusters
        .par_iter()
        .map(|c| build_cluster(c, matches, docs, doc_words, paragraphs, &paragraph_start))
        .collect();
    for (i, c) in out.iter_mut().enumerate() {
        c.id = i as u32 + 1;
    }
    stats.clusters = out.len();
    stats.spans = out.iter().map(|c| c.spans.len()).sum();
    PassageReport {
        params: params.clone(),
        stats,
        clusters: out,
    }
}

/// A site: one document's word range where a passage occurs.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Site {
    doc: u32,
    words: Range<u32>,
}

/// A cluster before rendering: sites sorted, and links (site a, site b, match index).
struct RawCluster {
    sites: Vec<Site>,
    links: Vec<(u32, u32, usize)>,
}

/// Group the sides of all matches into sites and sites into clusters; clusters sorted by their
/// first site.
fn cluster_matches(matches: &[Match]) -> Vec<RawCluster> {
    let (sites, site_of) = sites_of(matches);
    let mut uf = UnionFind::new(sites.len());
    for m in 0..matches.len() {
        uf.union(site_of[2 * m], site_of[2 * m + 1]);
    }
    // Sites are in (doc, start) order, so components (sorted) are in order of their first site.
    let components = uf.components(2);
    let mut cluster_of = vec![u32::MAX; sites.len()];
    let mut index_in = vec![0u32; sites.len()];
    let mut out: Vec<RawCluster> = Vec::with_capacity(components.len());
    for (c, comp) in components.iter().enumerate() {
        // Overlapping sites of one document that ended up in one cluster are one span: an
        // edited copy seen partly through one alignment and wholly through another.
        let mut merged: Vec<Site> = Vec::with_capacity(comp.len());
        for &s in comp {
            let site = &sites[s as usize];
            match merged.last_mut() {
                Some(m) if m.doc == site.doc && site.words.start < m.words.end => {
                    m.words.end = m.words.end.max(site.words.end);
                }
                _ => merged.push(site.clone()),
            }
            cluster_of[s as usize] = c as u32;
            index_in[s as usize] = merged.len() as u32 - 1;
        }
        out.push(RawCluster {
            sites: merged,
            links: Vec::new(),
        });
    }
    for m in 0..matches.len() {
        let (sa, sb) = (site_of[2 * m] as usize, site_of[2 * m + 1] as usize);
        let c = cluster_of[sa];
        if c == u32::MAX || sa == sb {
            continue;
        }
        let (x, y) = (index_in[sa], index_in[sb]);
        if x != y {
            out[c as usize].links.push((x.min(y), x.max(y), m));
        }
    }
    for c in &mut out {
        // One link per pair of sites: the alignment with most shared words (then the first).
        c.links
            .sort_unstable_by_key(|&(a, b, m)| (a, b, std::cmp::Reverse(matches[m].shared), m));
        c.links.dedup_by_key(|l| (l.0, l.1));
    }
    out.retain(|c| c.sites.len() >= 2);
    out
}

/// The sites of `matches`' sides, in (document, start) order, and the site of each side
/// (side 2m is the a side of match m, 2m + 1 its b side). A side joins an open site of its
/// document when they share enough words, else opens a site.
fn sites_of(matches: &[Match]) -> (Vec<Site>, Vec<u32>) {
    let mut intervals: Vec<(u32, u32, u32, u32)> = Vec::with_capacity(matches.len() * 2);
    for (m, x) in matches.iter().enumerate() {
        intervals.push((x.a_doc, x.a.start, x.a.end, 2 * m as u32));
        intervals.push((x.b_doc, x.b.start, x.b.end, 2 * m as u32 + 1));
    }
    intervals.par_sort_unstable();
    let mut site_of = vec![0u32; intervals.len()];
    let mut sites: Vec<Site> = Vec::new();
    // Sites of the current document that may still overlap the next interval.
    let mut open: Vec<usize> = Vec::new();
    for &(doc, s, e, id) in &intervals {
        open.retain(|&i| sites[i].doc == doc && sites[i].words.end > s);
        // The open site sharing most words, if that is at least half of the shorter of the
        // two: the same passage seen through another alignment, whose boundaries differ by an
        // edit or two or which covers only part of it (two copies edited in different places
        // align over less than either shares with the source). The price: a short passage
        // nested in a longer one (the end of a title quoted elsewhere) joins the longer one's
        // cluster, where its link says how many words it shares.
        let best = open
            .iter()
            .map(|&i| {
                let w = &sites[i].words;
                let overlap = w.end.min(e).saturating_sub(s.max(w.start));
                let shorter = (e - s).min(w.end - w.start);
                (overlap, 2 * overlap >= shorter, std::cmp::Reverse(i))
            })
            .filter(|&(overlap, enough, _)| enough && overlap > 0)
            .max();
        let site = match best {
            Some((_, _, std::cmp::Reverse(i))) => {
                sites[i].words.end = sites[i].words.end.max(e);
                i
            }
            None => {
                sites.push(Site { doc, words: s..e });
                open.push(sites.len() - 1);
                sites.len() - 1
            }
        };
        site_of[id as usize] = site as u32;
    }
    (sites, site_of)
}

/// For each document, the index of its first paragraph in `paragraphs` (plus an end sentinel).
fn paragraph_index(docs: usize, paragraphs: &[Paragraph]) -> Vec<usize> {
    (0..=docs)
        .map(|d| paragraphs.partition_point(|p| (p.doc.0 as usize) < d))
        .collect()
}

fn build_cluster(
    raw: &RawCluster,
    matches: &[Match],
    docs: &[Document],
    doc_words: &[Words],
    paragraphs: &[Paragraph],
    paragraph_start: &[usize],
) -> PassageCluster {
    let spans: Vec<PassageSpan> = raw
        .sites
        .iter()
        .map(|site| {
            let d = site.doc as usize;
            let doc = &docs[d];
            let w = &doc_words[d];
            let bytes =
                w.spans[site.words.start as usize].start..w.spans[site.words.end as usize - 1].end;
            let paras = &paragraphs[paragraph_start[d]..paragraph_start[d + 1]];
            let first = locate(doc, paras, bytes.start);
            let last = locate(doc, paras, bytes.end - 1);
            let (para_start, para_end) = match (first.0, last.0) {
                (Some(f), Some(l)) => (paras[f].span.start, paras[l].span.end),
                _ => (bytes.start, bytes.end),
            };
            PassageSpan {
                path: doc.path.clone(),
                paragraph: first.0.map_or(0, |i| paras[i].ordinal),
                line: first.1,
                end_paragraph: last.0.map_or(0, |i| paras[i].ordinal),
                end_line: last.1,
                byte_start: bytes.start as u64,
                byte_end: bytes.end as u64,
                words: site.words.end - site.words.start,
                text: doc.text(bytes.clone()).into_owned(),
                before: doc.text(para_start..bytes.start).into_owned(),
                after: doc.text(bytes.end..para_end.max(bytes.end)).into_owned(),
            }
        })
        .collect();
    let first_doc = raw.sites[0].doc;
    let scope = if raw.sites.iter().all(|s| s.doc == first_doc) {
        Scope::Within
    } else {
        Scope::Across
    };
    let links = raw
        .links
        .iter()
        .map(|&(a, b, m)| {
            let x = &matches[m];
            let shorter = (x.a.end - x.a.start).min(x.b.end - x.b.start).max(1);
            PassageLink {
                a,
                b,
                shared_words: x.shared,
                containment: f64::from(x.shared) / f64::from(shorter),
            }
        })
        .collect();
    let text = normalize(&spans[0].text).into_owned();
    PassageCluster {
        id: 0,
        kind: PassageKind::Passage,
        scope,
        words: spans[0].words,
        text,
        spans,
        links,
    }
}

/// The paragraph (index into `paras`) holding byte `at`, and the 1-based line of `at`.
fn locate(doc: &Document, paras: &[Paragraph], at: usize) -> (Option<usize>, u32) {
    let i = paras.partition_point(|p| p.span.start <= at);
    if i == 0 {
        let line = doc.bytes[..at].iter().filter(|&&b| b == b'\n').count() + 1;
        return (None, line as u32);
    }
    let p = &paras[i - 1];
    let from = p.span.start.min(at);
    let extra = doc.bytes[from..at].iter().filter(|&&b| b == b'\n').count();
    (Some(i - 1), p.line + extra as u32)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::SplitMode;
    use crate::ingest::{split_paragraphs, DocId};

    fn run(texts: &[(&str, &str)], config: &PassageConfig) -> PassageReport {
        let docs: Vec<Document> = texts
            .iter()
            .map(|(p, t)| Document::from_text(*p, *t))
            .collect();
        let mut paragraphs = Vec::new();
        for (i, d) in docs.iter().enumerate() {
            split_paragraphs(DocId(i as u32), &d.bytes, SplitMode::Lines, &mut paragraphs);
        }
        find_passages(&docs, &paragraphs, &config.params().unwrap())
    }

    #[test]
    fn words_keep_exact_spans_without_punctuation() {
        let text = "«Hello,  WORLD» café—x ½";
        let w = words(text.as_bytes());
        let got: Vec<&str> = w.spans.iter().map(|s| &text[s.clone()]).collect();
        assert_eq!(got, ["Hello", "WORLD", "café", "x", "½", "½"]);
        assert_eq!(w.hashes[0], xxh3_64(b"hello"));
    }

    #[test]
    fn arabic_words_ignore_diacritics_and_split_on_punctuation() {
        let a = words("مطروحةً حالياً، لأن".as_bytes());
        let b = words("مطروحة حاليا لأن".as_bytes());
        assert_eq!(a.hashes, b.hashes);
        let text = "عاما”.وأشارت";
        let w = words(text.as_bytes());
        let got: Vec<&str> = w.spans.iter().map(|s| &text[s.clone()]).collect();
        assert_eq!(got, ["عاما", "وأشارت"]);
    }

    #[test]
    fn bom_and_invalid_bytes_are_not_words() {
        let mut bytes = b"\xEF\xBB\xBFone two\xFFthree".to_vec();
        bytes.push(b' ');
        let w = words(&bytes);
        assert_eq!(w.spans, vec![3..6, 7..10, 11..16]);
    }

    #[test]
    fn winnowing_keeps_a_fingerprint_in_every_window() {
        let hashes: Vec<u64> = (0..200u64).map(|i| xxh3_64(&i.to_le_bytes())).collect();
        for (k, w) in [(4, 1), (4, 3), (5, 4)] {
            let fp = fingerprints(&hashes, k, w);
            let positions: Vec<u32> = fp.iter().map(|f| f.1).collect();
            assert!(positions.windows(2).all(|p| p[0] < p[1]));
            for s in 0..=(200 - k + 1 - w) {
                assert!(
                    positions
                        .iter()
                        .any(|&p| (s..s + w).contains(&(p as usize))),
                    "window at {s} has no fingerprint (k {k}, w {w})"
                );
            }
        }
    }

    #[test]
    fn alignment_tolerates_one_substitution_and_stops_at_matching_words() {
        let a: Vec<u64> = vec![1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 90, 91];
        let b: Vec<u64> = vec![50, 51, 1, 2, 3, 4, 5, 66, 7, 8, 9, 10, 11, 12, 80];
        let al = align(&a, &b, 0..a.len(), 0..b.len(), -5..10).unwrap();
        assert_eq!(al.a, 0..12);
        assert_eq!(al.b, 2..14);
        assert_eq!(al.matches, 11);
        assert_eq!(al.score, 10);
    }

    #[test]
    fn alignment_bridges_an_insertion() {
        let a: Vec<u64> = (1..=20).collect();
        let mut b: Vec<u64> = (1..=10).collect();
        b.extend([70, 71]);
        b.extend(11..=20);
        let al = align(&a, &b, 0..a.len(), 0..b.len(), -3..6).unwrap();
        assert_eq!((al.a, al.b, al.matches), (0..20, 0..22, 20));
    }

    const QUOTE: &str = "the bridge will not reopen to heavy trucks until the engineering \
        tests and laboratory reports are complete";

    #[test]
    fn a_quote_in_three_articles_is_one_cluster_of_three_spans() {
        let a = format!("Title\nThe minister said: “{QUOTE}”, adding nothing else.");
        let b = format!("Other story\nAsked about the strike, she repeated that {QUOTE}.");
        let c = format!("Yet another\nIn March officials insisted {QUOTE}; nobody believed it.");
        let report = run(
            &[
                ("a.txt", &a),
                ("b.txt", &b),
                ("c.txt", &c),
                ("d.txt", "Nothing shared here at all"),
            ],
            &PassageConfig::default(),
        );
        assert_eq!(report.clusters.len(), 1, "{report:#?}");
        let cl = &report.clusters[0];
        assert_eq!(cl.scope, Scope::Across);
        assert_eq!(cl.spans.len(), 3);
        assert_eq!(cl.links.len(), 3);
        for s in &cl.spans {
            assert_eq!(s.text, QUOTE);
            assert_eq!(s.line, 2);
            assert_eq!(s.words, 17);
        }
        assert_eq!(cl.text, QUOTE);
        assert_eq!(cl.spans[0].before, "The minister said: “");
        assert_eq!(cl.spans[0].after, "”, adding nothing else.");
        assert!(cl.links.iter().all(|l| l.containment == 1.0));
    }

    #[test]
    fn passages_cross_paragraph_boundaries() {
        let (head, tail) = QUOTE.split_at(QUOTE.find(" until").unwrap());
        let a = format!("Intro words first.\nSome said {head}\n{tail} and more.");
        let b = format!("Different opening here\nwe heard {QUOTE} yesterday");
        let report = run(&[("a.txt", &a), ("b.txt", &b)], &PassageConfig::default());
        assert_eq!(report.clusters.len(), 1, "{report:#?}");
        let s = &report.clusters[0].spans[0];
        assert_eq!((s.paragraph, s.end_paragraph), (1, 2));
        assert_eq!((s.line, s.end_line), (2, 3));
        assert_eq!(s.words, 17);
    }

    #[test]
    fn a_repeat_within_one_article_is_found_and_short_runs_are_not() {
        let a = format!("First {QUOTE} here.\nA few words, then again: {QUOTE}!");
        let report = run(
            &[("a.txt", &a), ("b.txt", "the bridge will not reopen today")],
            &PassageConfig::default(),
        );
        assert_eq!(report.clusters.len(), 1);
        assert_eq!(report.clusters[0].scope, Scope::Within);
        assert_eq!(report.clusters[0].spans[1].line, 2);
    }

    #[test]
    fn boilerplate_beyond_the_cap_is_dropped_and_counted() {
        let footer = "leave a comment your email address will not be published required fields \
                      are marked";
        let texts: Vec<(String, String)> = (0..30)
            .map(|i| {
                (
                    format!("{i:02}.txt"),
                    format!("story number {i} unique words w{i}x w{i}y\n{footer}"),
                )
            })
            .collect();
        let refs: Vec<(&str, &str)> = texts
            .iter()
            .map(|(a, b)| (a.as_str(), b.as_str()))
            .collect();
        let capped = PassageConfig {
            max_occurrences: 10,
            ..PassageConfig::default()
        };
        let report = run(&refs, &capped);
        assert!(report.clusters.is_empty());
        assert!(report.stats.dropped_fingerprints > 0);
        // Each dropped fingerprint was in more than 10 places (not always all 30: winnowing
        // near the footer's first words depends on the words before it).
        assert!(report.stats.dropped_occurrences > 10 * report.stats.dropped_fingerprints);
        let report = run(&refs, &PassageConfig::default());
        assert_eq!(report.clusters.len(), 1);
        assert_eq!(report.clusters[0].spans.len(), 30);
    }

    #[test]
    fn bad_parameters_are_refused() {
        let c = PassageConfig {
            min_words: 1,
            ..PassageConfig::default()
        };
        assert!(c
            .params()
            .unwrap_err()
            .to_string()
            .contains("min-passage-words"));
        let p = PassageConfig {
            min_words: 3,
            ..PassageConfig::default()
        }
        .params()
        .unwrap();
        assert_eq!((p.anchor_words, p.window), (3, 1));
    }
}
