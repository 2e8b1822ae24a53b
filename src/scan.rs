//! The scan: every stage run in one process over a batch of documents.
//!
//! Input: paths or in-memory [`Document`]s. Output: a [`Report`]. The stages are pure
//! functions from rows to rows, keyed by stable ids (document order by path, paragraph order
//! within it), so the report is byte-identical for any thread count:
//!
//! 1. ingest: documents sorted by path → paragraphs (parallel over documents);
//! 2. normalise + shingle + sketch: per paragraph, normalised text → 128-bit exact hash,
//!    shingle set → MinHash signature → LSH band keys, which are all a scan keeps of it
//!    (parallel over paragraphs, scratch buffers per thread);
//! 3. exact groups ("units"): paragraphs with equal normalised text, found by sorting the
//!    exact hashes; only one unit's keys go on;
//! 4. LSH candidate pairs of units → the signatures of the units in them, sketched again from
//!    their text (the same signatures: the sketch is a function of the text) → verification →
//!    union-find components;
//! 5. clusters: components with at least two paragraphs, sorted by their first paragraph.

use std::borrow::Cow;
use std::path::Path;

use rayon::prelude::*;

use crate::cluster::{ClusterKind, Scope, SimilarityMethod};
use crate::config::{Config, Params, VerifyMode};
use crate::error::{Error, Result};
use crate::ingest::{self, DocId, Document, Paragraph, Skipped};
use crate::lsh;
use crate::minhash::estimate_jaccard;
use crate::passage::{self, PassageParams};
use crate::progress::Progress;
use crate::report::{
    Cluster, DocumentStats, Link, LinkMethod, Member, Report, Stats, REPORT_SCHEMA,
};
use crate::sketch::Sketcher;
use crate::util::UnionFind;

mod assemble;
pub use assemble::{Collected, CollectedLink, CollectedParagraph};

/// The counts of a scan that its clusters do not hold: they go into the report's `stats`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Non-empty paragraphs of all documents.
    pub paragraphs: usize,
    /// Paragraphs compared (non-empty after normalisation, at least `min_words` words).
    pub compared_paragraphs: usize,
    /// Distinct LSH candidate pairs of units.
    pub candidate_pairs: usize,
    /// Buckets over the window (`lsh::BUCKET_WINDOW` + 1 members), summed over bands.
    pub capped_buckets: usize,
}

/// Runs scans with one validated configuration.
#[derive(Clone, Debug)]
pub struct Scanner {
    options: ScanOptions,
    params: Params,
    /// Cloned by each worker: the one sketch path (`crate::sketch`).
    sketcher: Sketcher,
    progress: Progress,
    passage_params: Option<PassageParams>,
}

/// What a scan reads and how its report labels clusters, beside the matching parameters of
/// its [`Config`]. Set with [`Scanner::with_options`].
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ScanOptions {
    /// How [`Scanner::scan_paths`] reads its inputs (JSONL fields, globs, size limit, standard
    /// input's format, `lossy`, `keep_going`). In-memory documents are not read, so
    /// [`Scanner::scan_documents`] does not use them.
    pub input: ingest::InputOptions,
    /// Clusters spanning at least this many distinct documents are labelled boilerplate
    /// (0: never). A labelling choice, not a matching one, so it is not part of [`Params`].
    pub boilerplate_min_docs: usize,
}

impl Default for ScanOptions {
    fn default() -> Self {
        ScanOptions {
            input: ingest::InputOptions::default(),
            boilerplate_min_docs: DEFAULT_BOILERPLATE_MIN_DOCS,
        }
    }
}

/// Default of [`ScanOptions::boilerplate_min_docs`]. A wire story is typically republished by
/// a handful of outlets, while a site's footer or share line is on every page it publishes; ten
/// distinct articles separates the two in news corpora of a few hundred articles and more.
pub const DEFAULT_BOILERPLATE_MIN_DOCS: usize = 10;

/// Documents in memory and their paragraphs, in (document order, ordinal).
pub(crate) struct Corpus {
    pub(crate) docs: Vec<Document>,
    pub(crate) paragraphs: Vec<Paragraph>,
}

impl Corpus {
    fn text(&self, p: &Paragraph) -> Cow<'_, str> {
        self.docs[p.doc.0 as usize].text(p.span.clone())
    }
}

/// Where the cluster stage finds document paths and paragraph text: documents in memory for a
/// scan, source files re-read for an index (`crate::index`).
pub(crate) trait TextSource: Sync {
    /// Number of documents (`DocId`s are `0..document_count()`).
    fn document_count(&self) -> usize;
    /// The document's path as reports show it.
    fn path(&self, doc: DocId) -> &str;
    /// The paragraph's text, or `None` when it is no longer available (an indexed source file
    /// changed or vanished); the cluster stage then falls back to the signature estimate.
    fn text(&self, p: &Paragraph) -> Option<Cow<'_, str>>;
}

impl TextSource for Corpus {
    fn document_count(&self) -> usize {
        self.docs.len()
    }
    fn path(&self, doc: DocId) -> &str {
        &self.docs[doc.0 as usize].path
    }
    fn text(&self, p: &Paragraph) -> Option<Cow<'_, str>> {
        Some(Corpus::text(self, p))
    }
}

/// The per-paragraph rows the cluster stage works on, whether freshly sketched or read from an
/// index: paragraphs in (document order, ordinal), the exact hash of each (`None`: not
/// compared) and what LSH and verification read of each paragraph's signature.
pub(crate) struct Rows<'a> {
    pub(crate) paragraphs: &'a [Paragraph],
    pub(crate) hashes: &'a [Option<u128>],
    pub(crate) sketches: Sketches<'a>,
}

/// What the cluster stage has of each paragraph's signature.
pub(crate) enum Sketches<'a> {
    /// Every signature, looked up by paragraph position (an index stores them).
    Signatures(&'a (dyn Fn(usize) -> &'a [u32] + Sync)),
    /// Only the LSH band keys, `bands` per paragraph back to back (a scan keeps these: 128
    /// bytes a paragraph against the signature's 512). The signatures that verification and
    /// clusters read, those of units in candidate pairs, are computed again from the text.
    BandKeys(&'a [u64]),
}

/// Signatures of the units in candidate pairs, recomputed from their text after LSH when the
/// rows kept only band keys ([`Sketches::BandKeys`]).
struct Resketched {
    /// Per unit, its position in `signatures`, or `u32::MAX` when it is in no candidate pair.
    slot: Vec<u32>,
    /// The signatures back to back, then one all-`u32::MAX` signature for units without one
    /// (never read: verification and clusters only ask for units of candidate pairs).
    signatures: Vec<u32>,
    k: usize,
}

impl Resketched {
    /// No signatures: every unit gets the all-`u32::MAX` one.
    fn none(k: usize) -> Self {
        Resketched {
            slot: Vec::new(),
            signatures: vec![u32::MAX; k.max(1)],
            k: k.max(1),
        }
    }

    fn get(&self, u: u32) -> &[u32] {
        let none = self.signatures.len() / self.k - 1;
        let slot = match self.slot.get(u as usize) {
            Some(&s) if s != u32::MAX => s as usize,
            _ => none,
        };
        &self.signatures[slot * self.k..(slot + 1) * self.k]
    }
}

/// The distinct normalised texts of a scan ("units"), ordered by first paragraph, each with
/// the paragraphs that have it, ascending. Stored flat (one allocation, not one per unit) so
/// that walking units in order walks memory in order: LSH reads every unit's first paragraph
/// sixteen times.
struct Units {
    /// `members[starts[u]..starts[u + 1]]` are unit `u`'s paragraphs.
    starts: Vec<u32>,
    members: Vec<u32>,
}

impl Units {
    fn len(&self) -> usize {
        self.starts.len() - 1
    }

    fn members(&self, u: u32) -> &[u32] {
        &self.members[self.starts[u as usize] as usize..self.starts[u as usize + 1] as usize]
    }

    /// The unit's first paragraph, whose signature and text stand for the unit.
    fn first(&self, u: u32) -> u32 {
        self.members[self.starts[u as usize] as usize]
    }
}

impl Scanner {
    /// Validate `config` and prepare the MinHash permutations.
    pub fn new(config: Config) -> Result<Self> {
        let params = config.params()?;
        let sketcher = Sketcher::new(&params);
        let passage_params = config.passages.as_ref().map(|p| p.params()).transpose()?;
        Ok(Scanner {
            options: ScanOptions::default(),
            params,
            sketcher,
            progress: Progress::hidden(),
            passage_params,
        })
    }

    /// Read inputs and label reports with `options` (default: [`ScanOptions::default`]).
    pub fn with_options(mut self, options: ScanOptions) -> Self {
        self.options = options;
        self
    }

    /// Report progress and stage timings to `progress` (hidden by default).
    pub fn with_progress(mut self, progress: Progress) -> Self {
        self.progress = progress;
        self
    }

    /// The resolved parameters (recorded in every report).
    pub fn params(&self) -> &Params {
        &self.params
    }

    /// Where stages report progress and timings.
    pub(crate) fn progress(&self) -> &Progress {
        &self.progress
    }

    /// Scan files, directories (every input format [`ingest`] reads, found recursively) and
    /// `-` (standard input), read with [`ScanOptions::input`].
    pub fn scan_paths<P: AsRef<Path>>(&self, paths: &[P]) -> Result<Report> {
        let options = &self.options.input;
        let roots: Vec<_> = paths.iter().map(|p| p.as_ref().to_path_buf()).collect();
        let mut skipped = Vec::new();
        let stage = self.progress.stage("discover", "files", None);
        let files = ingest::discover_with(&roots, options, &mut skipped)?;
        stage.inc(files.len() as u64);
        drop(stage);
        let stage = self
            .progress
            .stage("read", "files", Some(files.len() as u64));
        let docs = ingest::load_all_with(&files, options, &mut skipped)?;
        stage.inc(files.len() as u64);
        drop(stage);
        // Reading has its boundary per document (ingest); this one keeps a bug in a later
        // stage from aborting the caller (the CLI, the Python package).
        Error::catch_panic("scan", || self.scan_loaded(docs, skipped))
    }

    /// Scan in-memory documents. They are ordered by path; two documents may not share one.
    pub fn scan_documents(&self, mut docs: Vec<Document>) -> Result<Report> {
        docs.sort_by(|a, b| a.path.cmp(&b.path));
        if let Some(w) = docs.windows(2).find(|w| w[0].path == w[1].path) {
            return Err(Error::InvalidParameter(format!(
                "two documents are named {:?}: give each document a unique path",
                w[0].path
            )));
        }
        Error::catch_panic("scan", || self.scan_loaded(docs, Vec::new()))
    }

    fn scan_loaded(&self, docs: Vec<Document>, mut skipped: Vec<Skipped>) -> Result<Report> {
        skipped.sort_by(|a, b| a.path.cmp(&b.path));
        let stage = self
            .progress
            .stage("split", "documents", Some(docs.len() as u64));
        let corpus = self.split(docs);
        stage.inc(corpus.docs.len() as u64);
        drop(stage);
        let (hashes, band_keys) = self.sketch_band_keys(&corpus);
        let rows = Rows {
            paragraphs: &corpus.paragraphs,
            hashes: &hashes,
            sketches: Sketches::BandKeys(&band_keys),
        };
        let mut report = self.cluster(&corpus, rows, skipped);
        report.documents = DocumentStats::of_paragraphs(
            corpus.docs.iter().map(|d| d.path.clone()),
            &corpus.paragraphs,
        );
        // Passages: a separate stage over the same documents and paragraphs.
        report.passages = self
            .passage_params
            .as_ref()
            .map(|p| passage::find_passages(&corpus.docs, &corpus.paragraphs, p));
        Ok(report)
    }

    /// Stages 3–5 over rows from any source: exact units, LSH, verification, clusters.
    pub(crate) fn cluster(
        &self,
        corpus: &dyn TextSource,
        rows: Rows<'_>,
        skipped: Vec<Skipped>,
    ) -> Report {
        let hashes = rows.hashes;
        let stage = self.progress.stage("group", "paragraphs", None);
        let units = exact_units(hashes);
        stage.inc(hashes.len() as u64);
        drop(stage);
        let corpus = Texts {
            source: corpus,
            paragraphs: rows.paragraphs,
        };
        let corpus = &corpus;

        // A unit's signature (or band keys) is its first paragraph's: looked up, not copied,
        // since a copy of every distinct text's signature would double the scan's largest
        // allocation.
        let lsh_params = self.params.lsh();
        let stage = self.progress.stage("lsh", "texts", None);
        let (candidates, candidate_stats) = match rows.sketches {
            Sketches::Signatures(signature) => {
                let unit_sig = |u: u32| signature(units.first(u) as usize);
                lsh::candidate_pairs_by(units.len(), &unit_sig, lsh_params)
            }
            Sketches::BandKeys(keys) => {
                let key =
                    |u: u32, band: usize| keys[units.first(u) as usize * lsh_params.bands + band];
                lsh::candidate_pairs_by_keys(units.len(), &key, lsh_params)
            }
        };
        stage.inc(units.len() as u64);
        drop(stage);
        let resketched = match rows.sketches {
            Sketches::Signatures(_) => Resketched::none(self.params.num_perm),
            Sketches::BandKeys(_) => {
                let stage = self
                    .progress
                    .stage("resketch", "pairs", Some(candidates.len() as u64));
                let resketched = self.resketch(corpus, &units, &candidates);
                stage.inc(candidates.len() as u64);
                resketched
            }
        };
        let unit_sig = |u: u32| match rows.sketches {
            Sketches::Signatures(signature) => signature(units.first(u) as usize),
            Sketches::BandKeys(_) => resketched.get(u),
        };
        let unit_sig = &unit_sig;
        let stage = self
            .progress
            .stage("verify", "pairs", Some(candidates.len() as u64));
        let verified = self.verify_pairs(corpus, &units, unit_sig, &candidates, &stage);
        drop(stage);
        let counts = Counts {
            paragraphs: rows.paragraphs.len(),
            compared_paragraphs: hashes.iter().filter(|h| h.is_some()).count(),
            candidate_pairs: candidate_stats.pairs,
            capped_buckets: candidate_stats.capped_buckets,
        };
        self.report_of(corpus, &units, unit_sig, &verified, counts, skipped)
    }

    /// Stage 5 and the report: clusters of the units joined by the verified pairs (sorted by
    /// unit pair), numbered by first paragraph, with the scan's counts. Shared by the scan and
    /// [`Scanner::assemble`] (a distributed scan's collected rows), so both write one report.
    fn report_of<'s>(
        &self,
        corpus: &Texts<'_>,
        units: &Units,
        unit_sig: &(dyn Fn(u32) -> &'s [u32] + Sync),
        verified: &[VerifiedPair],
        counts: Counts,
        skipped: Vec<Skipped>,
    ) -> Report {
        let stage = self.progress.stage("cluster", "texts", None);
        let (components, pairs_of) = components_with_pairs(units, verified);
        let clusters: Vec<Cluster> = components
            .par_iter()
            .zip(pairs_of.par_iter())
            .map(|(comp, pairs)| self.build_cluster(corpus, units, unit_sig, comp, pairs))
            .collect::<Vec<_>>()
            .into_iter()
            .enumerate()
            .map(|(i, mut c)| {
                c.id = i as u32 + 1;
                c
            })
            .collect();

        stage.inc(units.len() as u64);
        drop(stage);
        let members: usize = clusters.iter().map(|c| c.members.len()).sum();
        let stats = Stats {
            documents: corpus.source.document_count(),
            paragraphs: counts.paragraphs,
            compared_paragraphs: counts.compared_paragraphs,
            clusters: clusters.len(),
            paragraphs_in_clusters: members,
            duplicate_paragraphs: members - clusters.len(),
            candidate_pairs: counts.candidate_pairs,
            verified_pairs: verified.len(),
            capped_buckets: counts.capped_buckets,
            skipped_files: skipped.len(),
        };
        let mut report = Report {
            schema: REPORT_SCHEMA.to_string(),
            params: self.params.clone(),
            stats,
            clusters,
            skipped,
            boilerplate_min_docs: 0,
            documents: Vec::new(),
            passages: None,
        };
        report.label_boilerplate(self.options.boilerplate_min_docs);
        report
    }

    /// Stage 1: paragraphs of every document, in document order.
    pub(crate) fn split(&self, docs: Vec<Document>) -> Corpus {
        let per_doc: Vec<Vec<Paragraph>> = docs
            .par_iter()
            .enumerate()
            .map(|(i, d)| {
                #[cfg(debug_assertions)]
                crate::error::injected_panic(&format!("scan:{}", d.path));
                let mut out = Vec::new();
                ingest::split_paragraphs(DocId(i as u32), &d.bytes, self.params.split, &mut out);
                out
            })
            .collect();
        Corpus {
            docs,
            paragraphs: per_doc.concat(),
        }
    }

    /// Stage 2: exact hash (None when the paragraph is not compared) and signature of every
    /// paragraph, signatures back to back.
    pub(crate) fn sketch(&self, corpus: &Corpus) -> (Vec<Option<u128>>, Vec<u32>) {
        let k = self.params.num_perm;
        let stage =
            self.progress
                .stage("sketch", "paragraphs", Some(corpus.paragraphs.len() as u64));
        // Zeroed memory comes from the allocator as untouched pages, so the workers fault them in
        // as they write, in parallel; filling with a value first was a serial pass over the
        // largest allocation of the scan. Every chunk is written below.
        let mut signatures = vec![0u32; corpus.paragraphs.len() * k];
        let hashes: Vec<Option<u128>> = signatures
            .par_chunks_mut(k)
            .zip(corpus.paragraphs.par_iter())
            .with_min_len(64)
            .map_init(
                || self.sketcher.clone(),
                |sketcher, (sig, p)| {
                    stage.inc(1);
                    sketcher.sketch(&corpus.text(p), sig)
                },
            )
            .collect();
        (hashes, signatures)
    }

    /// Stage 2 as the scan runs it: exact hash and the LSH band keys of every paragraph
    /// (`bands` keys back to back), without keeping the signatures, which a scan only reads
    /// again for the few units in candidate pairs ([`Scanner::resketch`]).
    pub(crate) fn sketch_band_keys(&self, corpus: &Corpus) -> (Vec<Option<u128>>, Vec<u64>) {
        let lsh = self.params.lsh();
        let stage =
            self.progress
                .stage("sketch", "paragraphs", Some(corpus.paragraphs.len() as u64));
        // Zeroed, so the workers fault the pages in as they write (see `sketch`).
        let mut keys = vec![0u64; corpus.paragraphs.len() * lsh.bands];
        let hashes: Vec<Option<u128>> = keys
            .par_chunks_mut(lsh.bands.max(1))
            .zip(corpus.paragraphs.par_iter())
            .with_min_len(64)
            .map_init(
                || (self.sketcher.clone(), vec![0u32; self.params.num_perm]),
                |(sketcher, signature), (keys, p)| {
                    stage.inc(1);
                    let hash = sketcher.sketch(&corpus.text(p), signature);
                    for (band, key) in keys.iter_mut().enumerate() {
                        *key = lsh::band_key(signature, band, lsh.rows);
                    }
                    hash
                },
            )
            .collect();
        (hashes, keys)
    }

    /// The signatures of the units in candidate pairs, sketched again from their first
    /// paragraph's text: the same signatures [`Scanner::sketch`] computes, since the sketch is
    /// a function of the text. A text no longer available gets an all-`u32::MAX` signature (a
    /// scan holds its documents, so this does not happen there).
    fn resketch(&self, corpus: &Texts<'_>, units: &Units, candidates: &[(u32, u32)]) -> Resketched {
        let k = self.params.num_perm;
        let mut slot = vec![u32::MAX; units.len()];
        let mut needed: Vec<u32> = Vec::new();
        for &(a, b) in candidates {
            for u in [a, b] {
                if slot[u as usize] == u32::MAX {
                    slot[u as usize] = needed.len() as u32;
                    needed.push(u);
                }
            }
        }
        let mut signatures = vec![u32::MAX; (needed.len() + 1) * k];
        signatures
            .par_chunks_mut(k.max(1))
            .zip(needed.par_iter())
            .with_min_len(16)
            .for_each_init(
                || self.sketcher.clone(),
                |sketcher, (signature, &u)| {
                    if let Some(text) = corpus.text(units.first(u)) {
                        sketcher.sketch(&text, signature);
                    }
                },
            );
        Resketched {
            slot,
            signatures,
            k: k.max(1),
        }
    }

    /// Exact Jaccard similarity of two units, or `None` when a text is not available.
    fn exact_similarity(
        &self,
        corpus: &Texts<'_>,
        units: &Units,
        (a, b): (u32, u32),
    ) -> Option<f64> {
        let (a, b) = (corpus.text(units.first(a))?, corpus.text(units.first(b))?);
        Some(self.sketcher.clone().jaccard(&a, &b))
    }

    /// The sketch path of these parameters (clone it for each worker).
    pub(crate) fn sketcher(&self) -> &Sketcher {
        &self.sketcher
    }

    /// Stage 4b: the candidate pairs of units that pass verification, in candidate order.
    fn verify_pairs<'s>(
        &self,
        corpus: &Texts<'_>,
        units: &Units,
        unit_sig: &(dyn Fn(u32) -> &'s [u32] + Sync),
        candidates: &[(u32, u32)],
        stage: &crate::progress::Stage,
    ) -> Vec<VerifiedPair> {
        candidates
            .par_iter()
            .map_init(
                || self.sketcher.clone(),
                |sketcher, &(a, b)| {
                    stage.inc(1);
                    let (similarity, method) = sketcher.verify(unit_sig(a), unit_sig(b), || {
                        Some((corpus.text(units.first(a))?, corpus.text(units.first(b))?))
                    })?;
                    Some(VerifiedPair {
                        a,
                        b,
                        similarity,
                        method,
                    })
                },
            )
            .flatten()
            .collect()
    }

    /// Stage 5: one cluster from a component of units and the verified pairs inside it.
    fn build_cluster<'s>(
        &self,
        corpus: &Texts<'_>,
        units: &Units,
        unit_sig: &(dyn Fn(u32) -> &'s [u32] + Sync),
        component: &[u32],
        pairs: &[&VerifiedPair],
    ) -> Cluster {
        // Component units are sorted, and units are ordered by first paragraph, so the first
        // unit holds the representative.
        let rep_unit = component[0];
        let members = paragraphs_of(units, component);
        let method = match self.params.verify {
            VerifyMode::Exact => SimilarityMethod::Exact,
            _ => SimilarityMethod::Estimate,
        };
        // A member's similarity to the representative: the verified pair between their units
        // when there is one (it may be exact), else measured now.
        let similarity = |u: u32| -> f64 {
            if u == rep_unit {
                return 1.0;
            }
            let (lo, hi) = (rep_unit.min(u), rep_unit.max(u));
            // `pairs` is sorted by (a, b): candidates are, and filtering keeps their order.
            if let Ok(i) = pairs.binary_search_by_key(&(lo, hi), |p| (p.a, p.b)) {
                pairs[i].similarity
            } else {
                let estimate = || estimate_jaccard(unit_sig(rep_unit), unit_sig(u));
                if method == SimilarityMethod::Exact {
                    self.exact_similarity(corpus, units, (rep_unit, u))
                        .unwrap_or_else(estimate)
                } else {
                    estimate()
                }
            }
        };
        let first_doc = corpus.paragraphs[members[0].0 as usize].doc;
        let scope = if members
            .iter()
            .all(|&(p, _)| corpus.paragraphs[p as usize].doc == first_doc)
        {
            Scope::Within
        } else {
            Scope::Across
        };
        let kind = if component.len() == 1 {
            ClusterKind::Exact
        } else {
            ClusterKind::Near
        };
        let links = links_of(units, component, pairs, &members);
        let members = members
            .into_iter()
            .map(|(p, u)| {
                let para = &corpus.paragraphs[p as usize];
                Member {
                    path: corpus.source.path(para.doc).to_string(),
                    paragraph: para.ordinal,
                    line: para.line,
                    byte_start: para.span.start as u64,
                    byte_end: para.span.end as u64,
                    similarity: similarity(u),
                    // An unavailable text (changed source of an index) is reported empty; the
                    // index's text source says which files were affected.
                    text: corpus.text(p).map(Cow::into_owned).unwrap_or_default(),
                }
            })
            .collect();
        Cluster {
            id: 0,
            kind,
            scope,
            members,
            links,
            boilerplate: false,
        }
    }
}

/// The paragraphs of a component's units as (paragraph, unit), in paragraph order: the
/// cluster's members.
fn paragraphs_of(units: &Units, component: &[u32]) -> Vec<(u32, u32)> {
    let mut members: Vec<(u32, u32)> = component
        .iter()
        .flat_map(|&u| units.members(u).iter().map(move |&p| (p, u)))
        .collect();
    members.sort_unstable();
    members
}

/// A cluster's links between its `members` (from [`paragraphs_of`]), sorted.
fn links_of(
    units: &Units,
    component: &[u32],
    pairs: &[&VerifiedPair],
    members: &[(u32, u32)],
) -> Vec<Link> {
    // Links: every paragraph to the first paragraph of its unit (identical text), and the
    // verified pairs between units, each by the first paragraph of either unit.
    let position = |p: u32| members.binary_search(&(p, 0)).unwrap_or_else(|i| i) as u32;
    let mut links: Vec<Link> = Vec::new();
    for &u in component {
        let unit = units.members(u);
        for &p in &unit[1..] {
            links.push(Link {
                a: position(unit[0]),
                b: position(p),
                similarity: 1.0,
                method: LinkMethod::Identical,
            });
        }
    }
    for pair in pairs {
        let (x, y) = (position(units.first(pair.a)), position(units.first(pair.b)));
        links.push(Link {
            a: x.min(y),
            b: x.max(y),
            similarity: pair.similarity,
            method: pair.method.into(),
        });
    }
    links.sort_by_key(|l| (l.a, l.b));
    links
}

/// A text source with the paragraph rows it is read by: text by paragraph position.
struct Texts<'a> {
    source: &'a dyn TextSource,
    paragraphs: &'a [Paragraph],
}

impl Texts<'_> {
    fn text(&self, paragraph: u32) -> Option<Cow<'_, str>> {
        self.source.text(&self.paragraphs[paragraph as usize])
    }
}

/// A candidate pair of units that passed verification.
struct VerifiedPair {
    a: u32,
    b: u32,
    similarity: f64,
    method: SimilarityMethod,
}

/// Union-find over verified pairs: the clusters' components (units joined by verified pairs,
/// and single units of identical paragraphs) with the verified pairs inside each (in
/// candidate order, which is sorted): its links.
fn components_with_pairs<'p>(
    units: &Units,
    verified: &'p [VerifiedPair],
) -> (Vec<Vec<u32>>, Vec<Vec<&'p VerifiedPair>>) {
    let mut uf = UnionFind::new(units.len());
    for pair in verified {
        uf.union(pair.a, pair.b);
    }
    let components = uf.components_where(|first, size| size > 1 || units.members(first).len() > 1);
    let mut component_of = vec![u32::MAX; units.len()];
    for (i, comp) in components.iter().enumerate() {
        for &u in comp {
            component_of[u as usize] = i as u32;
        }
    }
    let mut pairs_of: Vec<Vec<&VerifiedPair>> = vec![Vec::new(); components.len()];
    for pair in verified {
        pairs_of[component_of[pair.a as usize] as usize].push(pair);
    }
    (components, pairs_of)
}

/// Stage 3: group compared paragraphs by exact hash; units ordered by first paragraph.
///
/// Equality is decided by the 128-bit xxh3 of the normalised text: a collision between two
/// different paragraphs has probability ≈ n²/2¹²⁹, below one in 10²⁴ for a billion paragraphs.
fn exact_units(hashes: &[Option<u128>]) -> Units {
    let mut keyed: Vec<(u128, u32)> = hashes
        .iter()
        .enumerate()
        .filter_map(|(i, h)| h.map(|h| (h, i as u32)))
        .collect();
    keyed.par_sort_unstable();
    // Runs of one hash, by first (smallest) paragraph: (first paragraph, start in `keyed`).
    let mut runs: Vec<(u32, u32)> = Vec::new();
    let mut start = 0;
    for run in keyed.chunk_by(|a, b| a.0 == b.0) {
        runs.push((run[0].1, start as u32));
        start += run.len();
    }
    runs.par_sort_unstable();
    let mut starts = Vec::with_capacity(runs.len() + 1);
    let mut members = Vec::with_capacity(keyed.len());
    for &(_, start) in &runs {
        starts.push(members.len() as u32);
        let hash = keyed[start as usize].0;
        members.extend(
            keyed[start as usize..]
                .iter()
                .take_while(|(h, _)| *h == hash)
                .map(|&(_, p)| p),
        );
    }
    starts.push(members.len() as u32);
    Units { starts, members }
}
