//! Reading an index: [`Index::open`] maps the segments of the last committed manifest.
//!
//! Input: an index directory. Output: an [`Index`], a consistent snapshot of one manifest
//! generation, from which stats, a full verification, queries and the clusters over
//! everything indexed are computed. Invariants: opening is O(1) in the size of the index (one
//! small JSON file plus a map and a header check per segment); readers take no lock, and a
//! writer committing meanwhile never changes what an open `Index` sees (segments are
//! write-once and stay readable while mapped, even after a compaction unlinks them).

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use serde::Serialize;
use xxhash_rust::xxh3::xxh3_128;

use crate::config::{Config, Params, VerifyMode};
use crate::error::{Error, Result};
use crate::index::format::{corrupt, COMPARED};
use crate::index::manifest::{fingerprint, Manifest, MANIFEST_FILE};
use crate::index::segment::Segment;
use crate::ingest::{DocId, Paragraph, Skipped};
use crate::normalize::NORMALIZER_VERSION;
use crate::passage::PassageParams;
use crate::report::Report;
use crate::scan::{Rows, Scanner, Sketches, TextSource};

/// An open index: one committed manifest and its memory-mapped segments.
#[derive(Debug)]
pub struct Index {
    dir: PathBuf,
    manifest: Manifest,
    segments: Vec<Segment>,
}

/// Counts describing an index (`neardup index stats`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct IndexStats {
    /// Commit generation of the manifest.
    pub generation: u64,
    /// Segment files.
    pub segments: usize,
    /// Documents that are searched (the latest version of each path).
    pub documents: u64,
    /// Paragraphs of those documents.
    pub paragraphs: u64,
    /// Paragraphs of those documents that are compared (in the band tables).
    pub compared_paragraphs: u64,
    /// Documents replaced by a later version (their bytes remain until `compact`).
    pub replaced_documents: u64,
    /// Paragraphs in the segments, including those of replaced documents.
    pub stored_paragraphs: u64,
    /// Bytes of the segment files and the manifest.
    pub bytes: u64,
    /// `bytes / stored_paragraphs`.
    pub bytes_per_paragraph: f64,
    /// The index's parameters.
    pub params: Params,
    /// Passage fingerprints, when the index stores them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub passages: Option<IndexPassageStats>,
}

/// What the passage fingerprints of an index hold and cost.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct IndexPassageStats {
    /// The passage parameters.
    pub params: PassageParams,
    /// Fingerprints stored (replaced documents included).
    pub fingerprints: u64,
    /// Bytes of the passage sections (word tables, fingerprints, places), included in `bytes`.
    pub bytes: u64,
}

/// A document of the index: segment position and segment-local id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct DocRef {
    pub segment: usize,
    pub doc: u32,
}

/// Options of [`Index::scan`]; the default is the scan `scan --index` runs without flags.
#[derive(Clone, Default)]
#[non_exhaustive]
pub struct IndexScanOptions {
    /// Verification mode instead of the index's.
    pub verify: Option<VerifyMode>,
    /// Also report passages (the index must have been built with `--passages`).
    pub passages: bool,
    /// Observer of the stages (a bar on stderr, stage timings); hidden by default.
    pub progress: crate::progress::Progress,
}

/// Document paths, paragraph ordinals and signatures (`num_perm` values per row, row after
/// row) of the stored paragraphs ([`Index::stored_signatures`]).
pub type StoredSignatures = (Vec<String>, Vec<u32>, Vec<u32>);

impl Index {
    /// Open the index at `dir` as of its last commit. Checks the manifest and every segment's
    /// header, bounds and checksum of its table, but reads no array: O(1) in the index size.
    pub fn open(dir: impl AsRef<Path>) -> Result<Index> {
        let dir = dir.as_ref();
        let mut attempts = 0;
        loop {
            let manifest = Manifest::load(dir)?.ok_or_else(|| Error::IndexUsage {
                path: dir.to_path_buf(),
                message: format!(
                    "no index here ({MANIFEST_FILE} is missing): create one with `neardup index \
                     build PATHS --index {}`",
                    dir.display()
                ),
            })?;
            match Self::open_segments(dir, &manifest) {
                Ok(segments) => {
                    return Ok(Index {
                        dir: dir.to_path_buf(),
                        manifest,
                        segments,
                    })
                }
                // A compaction may have committed and removed old segments between our reading
                // the manifest and opening them: read the new manifest and try again.
                Err((missing, e)) => {
                    attempts += 1;
                    let changed = missing
                        && Manifest::load(dir)
                            .ok()
                            .flatten()
                            .is_some_and(|m| m.generation != manifest.generation);
                    if !changed || attempts >= 5 {
                        return Err(e);
                    }
                }
            }
        }
    }

    fn open_segments(dir: &Path, manifest: &Manifest) -> Result<Vec<Segment>, (bool, Error)> {
        let passages = manifest.passages.as_ref();
        let fp = fingerprint(&manifest.params, passages);
        let mut segments = Vec::with_capacity(manifest.segments.len());
        for meta in &manifest.segments {
            match Segment::open(dir, meta, &manifest.params, passages.is_some(), fp) {
                Ok(s) => segments.push(s),
                Err(Error::Io { path, source, .. }) if source.kind() == io::ErrorKind::NotFound => {
                    return Err((
                        true,
                        corrupt(
                            &path,
                            "file",
                            format!(
                                "missing: {MANIFEST_FILE} names this segment but it does not \
                                 exist; restore it from a backup or rebuild the index"
                            ),
                        ),
                    ))
                }
                Err(e) => return Err((false, e)),
            }
        }
        Ok(segments)
    }

    /// The index directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The manifest this snapshot was opened at.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// The index's parameters.
    pub fn params(&self) -> &Params {
        &self.manifest.params
    }

    /// The passage parameters, when the index stores passage fingerprints (`index build
    /// --passages`).
    pub fn passage_params(&self) -> Option<&PassageParams> {
        self.manifest.passages.as_ref()
    }

    /// The [`Config`] whose parameters are this index's (bands and rows explicit): the base
    /// a caller changes a few matching choices of before [`Index::check_params`].
    pub fn config(&self) -> Config {
        config_of(self.params())
    }

    /// Error (naming each flag and the index's value) if `given` differs from the index's
    /// parameters; the verification mode aside, which does not change what is stored.
    pub fn check_params(&self, given: &Params) -> Result<()> {
        crate::index::writer::check_params(&self.dir, self.params(), given)
    }

    /// Error if the index stores no passage fingerprints, or stores them with other
    /// parameters than `given`.
    pub fn check_passage_params(&self, given: &PassageParams) -> Result<()> {
        crate::index::writer::check_passage_params(&self.dir, self.passage_params(), given)
    }

    /// Error (saying how to rebuild) if the index stores no passage fingerprints.
    pub fn require_passages(&self) -> Result<()> {
        match self.passage_params() {
            Some(_) => Ok(()),
            None => Err(crate::index::writer::no_passages(&self.dir)),
        }
    }

    /// The signatures of all live compared paragraphs, in segment then document order: what
    /// the Python layer hands to numpy.
    pub fn stored_signatures(&self) -> Result<StoredSignatures> {
        let (mut paths, mut ordinals, mut sigs) = (Vec::new(), Vec::new(), Vec::new());
        for seg in self.segments() {
            for d in 0..seg.documents().len() as u32 {
                if seg.is_deleted(d) {
                    continue;
                }
                let (path, _) = seg.doc_strings(d)?;
                for p in seg.doc_paragraphs(d)? {
                    let rec = &seg.paragraphs()[p as usize];
                    if rec.flags & COMPARED != 0 {
                        paths.push(path.to_owned());
                        ordinals.push(rec.ordinal);
                        sigs.extend_from_slice(seg.signature(p));
                    }
                }
            }
        }
        Ok((paths, ordinals, sigs))
    }

    /// The open segments, oldest first.
    pub(crate) fn segments(&self) -> &[Segment] {
        &self.segments
    }

    /// Counts and sizes.
    pub fn stats(&self) -> Result<IndexStats> {
        let mut s = IndexStats {
            generation: self.manifest.generation,
            segments: self.segments.len(),
            documents: 0,
            paragraphs: 0,
            compared_paragraphs: 0,
            replaced_documents: 0,
            stored_paragraphs: 0,
            bytes: std::fs::metadata(self.dir.join(MANIFEST_FILE))
                .map(|m| m.len())
                .unwrap_or(0),
            bytes_per_paragraph: 0.0,
            params: self.manifest.params.clone(),
            passages: self
                .manifest
                .passages
                .clone()
                .map(|params| IndexPassageStats {
                    params,
                    fingerprints: 0,
                    bytes: 0,
                }),
        };
        for seg in &self.segments {
            s.bytes += seg.file_len();
            if let Some(p) = &mut s.passages {
                p.fingerprints += seg.header().passage_fingerprints;
                p.bytes += seg.passage_bytes();
            }
            s.stored_paragraphs += seg.header().paragraphs as u64;
            s.replaced_documents += seg.deleted_count() as u64;
            for d in 0..seg.documents().len() as u32 {
                if seg.is_deleted(d) {
                    continue;
                }
                s.documents += 1;
                let range = seg.doc_paragraphs(d)?;
                s.paragraphs += range.len() as u64;
                let paragraphs = seg.paragraphs();
                s.compared_paragraphs += range
                    .filter(|&p| paragraphs[p as usize].flags & COMPARED != 0)
                    .count() as u64;
            }
        }
        s.bytes_per_paragraph = s.bytes as f64 / s.stored_paragraphs.max(1) as f64;
        Ok(s)
    }

    /// Read every byte: section checksums, record consistency, and that each path has one
    /// live version. The first problem found is returned, naming the file and section.
    pub fn verify(&self) -> Result<()> {
        for seg in &self.segments {
            seg.verify()?;
        }
        self.live_documents()?;
        Ok(())
    }

    /// The live version of the document at `path`, if indexed.
    pub(crate) fn find_live(&self, path: &str) -> Result<Option<DocRef>> {
        for (i, seg) in self.segments.iter().enumerate().rev() {
            if let Some(d) = seg.find_document(path)? {
                if !seg.is_deleted(d) {
                    return Ok(Some(DocRef { segment: i, doc: d }));
                }
            }
        }
        Ok(None)
    }

    /// Every live document with its path, sorted by path (the scan's document order).
    pub(crate) fn live_documents(&self) -> Result<Vec<(&str, DocRef)>> {
        let mut docs = Vec::new();
        for (i, seg) in self.segments.iter().enumerate() {
            for d in 0..seg.documents().len() as u32 {
                if !seg.is_deleted(d) {
                    docs.push((seg.doc_strings(d)?.0, DocRef { segment: i, doc: d }));
                }
            }
        }
        docs.sort_by(|a, b| a.0.cmp(b.0));
        if let Some(w) = docs.windows(2).find(|w| w[0].0 == w[1].0) {
            return Err(corrupt(
                &self.dir.join(MANIFEST_FILE),
                "manifest",
                format!(
                    "two live versions of {:?}: the deleted lists are damaged",
                    w[0].0
                ),
            ));
        }
        Ok(docs)
    }

    /// A scanner with the index's parameters (and `verify`, if given, instead of the index's
    /// verification mode). Fails when this neardup normalises or hashes differently from the
    /// one that built the index.
    pub(crate) fn scanner(&self, verify: Option<VerifyMode>) -> Result<Scanner> {
        let p = &self.manifest.params;
        // Any known hash family is fine (the manifest names one, and the sketcher follows
        // it); the normaliser has only one version at a time.
        if p.normalizer_version != NORMALIZER_VERSION {
            return Err(Error::IndexUsage {
                path: self.dir.clone(),
                message: format!(
                    "the index was built with normaliser version {}; this neardup has version \
                     {NORMALIZER_VERSION}: rebuild the index with `neardup index build`",
                    p.normalizer_version
                ),
            });
        }
        let mut config = config_of(p);
        if let Some(v) = verify {
            config.verify = v;
        }
        Scanner::new(config)
    }

    /// The clusters over everything indexed: the same report as `scan` over the indexed files
    /// (same paths, same order), computed from the stored signatures. Paragraph text is read
    /// from the source files; a source that changed or vanished since it was indexed is listed
    /// in the report's `skipped` (not an error), its texts are empty and its similarities come
    /// from the signatures.
    ///
    /// With [`IndexScanOptions::passages`], the passage section too: the report `scan
    /// --passages` gives over the indexed files, from the stored passage fingerprints (texts
    /// of the documents sharing anchors are re-read from their sources); this fails with
    /// [`Error::IndexUsage`] when the index was built without passage fingerprints.
    pub fn scan(&self, options: IndexScanOptions) -> Result<Report> {
        let IndexScanOptions {
            verify,
            passages,
            progress,
        } = options;
        if passages {
            self.usable_passage_params()?;
        }
        self.scan_inner(verify, passages, progress)
    }

    fn scan_inner(
        &self,
        verify: Option<VerifyMode>,
        passages: bool,
        progress: crate::progress::Progress,
    ) -> Result<Report> {
        let scanner = self.scanner(verify)?.with_progress(progress);
        let docs = self.live_documents()?;
        let mut paragraphs = Vec::new();
        let mut hashes = Vec::new();
        let mut locs: Vec<(u32, u32)> = Vec::new();
        for (g, (_, r)) in docs.iter().enumerate() {
            let seg = &self.segments[r.segment];
            let records = seg.paragraphs();
            let stored = seg.hashes();
            for p in seg.doc_paragraphs(r.doc)? {
                let rec = &records[p as usize];
                paragraphs.push(Paragraph {
                    doc: DocId(g as u32),
                    ordinal: rec.ordinal,
                    line: rec.line,
                    span: rec.start as usize..rec.end as usize,
                });
                hashes.push((rec.flags & COMPARED != 0).then(|| stored[p as usize]));
                locs.push((r.segment as u32, p));
            }
        }
        let texts = SourceTexts::new(self, docs.clone());
        let signature = |i: usize| {
            let (s, p) = locs[i];
            self.segments[s as usize].signature(p)
        };
        let rows = Rows {
            paragraphs: &paragraphs,
            hashes: &hashes,
            sketches: Sketches::Signatures(&signature),
        };
        let mut report = scanner.cluster(&texts, rows, Vec::new());
        // The per-article table of the reading formats, as a scan fills it.
        report.documents = crate::report::DocumentStats::of_paragraphs(
            (0..texts.document_count()).map(|d| texts.path(DocId(d as u32)).to_string()),
            &paragraphs,
        );
        if passages {
            report.passages = Some(self.scan_passages(&docs, &texts, &paragraphs)?);
        }
        report.skipped = texts.stale_skips();
        report.stats.skipped_files = report.skipped.len();
        Ok(report)
    }
}

/// The [`Config`] that resolves to `p` (bands and rows given explicitly).
pub(crate) fn config_of(p: &Params) -> Config {
    Config {
        threshold: p.threshold,
        num_perm: p.num_perm,
        bands: Some(p.bands),
        rows: Some(p.rows),
        shingle_words: p.shingle,
        split: p.split,
        verify: p.verify,
        seed: p.seed,
        min_words: p.min_words,
        passages: None,
        hash: p.hash,
    }
}

/// Reason given for a source file whose text could not be used.
pub const STALE_REASON: &str = "changed or missing since it was indexed: its text is not shown \
                                and its similarities are estimated (re-add it with `neardup index add`)";

/// Paragraph text re-read from the indexed source files, checked against their content hash.
pub(crate) struct SourceTexts<'a> {
    index: &'a Index,
    docs: Vec<(&'a str, DocRef)>,
    cache: Vec<OnceLock<Option<Vec<u8>>>>,
    stale: Mutex<BTreeSet<String>>,
}

impl<'a> SourceTexts<'a> {
    pub(crate) fn new(index: &'a Index, docs: Vec<(&'a str, DocRef)>) -> Self {
        SourceTexts {
            index,
            cache: (0..docs.len()).map(|_| OnceLock::new()).collect(),
            docs,
            stale: Mutex::new(BTreeSet::new()),
        }
    }

    /// The bytes of document `g` as indexed, or `None` (and noted as stale).
    pub(crate) fn bytes(&self, g: usize) -> Option<&[u8]> {
        self.cache[g]
            .get_or_init(|| {
                let (path, r) = self.docs[g];
                let loaded = self.index.read_source(r);
                if loaded.is_none() {
                    if let Ok(mut stale) = self.stale.lock() {
                        stale.insert(path.to_string());
                    }
                }
                loaded
            })
            .as_deref()
    }

    /// The sources that could not be used, as report skips.
    pub(crate) fn stale_skips(&self) -> Vec<Skipped> {
        let stale = self.stale.lock().map(|s| s.clone()).unwrap_or_default();
        stale
            .into_iter()
            .map(|path| Skipped {
                path,
                reason: STALE_REASON.to_string(),
                error: false,
            })
            .collect()
    }
}

impl Index {
    /// Read the source of document `r` if it still has the content that was indexed.
    pub(crate) fn read_source(&self, r: DocRef) -> Option<Vec<u8>> {
        let seg = &self.segments[r.segment];
        let (_, source) = seg.doc_strings(r.doc).ok()?;
        let rec = seg.documents().get(r.doc as usize)?;
        // The length is checked before reading, so a source that grew (up to any size) since it
        // was indexed is found stale without being read into memory.
        let file = std::fs::File::open(self.dir.join(source)).ok()?;
        if file.metadata().ok()?.len() != rec.file_len {
            return None;
        }
        let mut bytes = Vec::with_capacity(usize::try_from(rec.file_len).ok()?);
        file.take(rec.file_len.saturating_add(1))
            .read_to_end(&mut bytes)
            .ok()?;
        (bytes.len() as u64 == rec.file_len && xxh3_128(&bytes) == rec.content_hash)
            .then_some(bytes)
    }
}

impl TextSource for SourceTexts<'_> {
    fn document_count(&self) -> usize {
        self.docs.len()
    }
    fn path(&self, doc: DocId) -> &str {
        self.docs[doc.0 as usize].0
    }
    fn text(&self, p: &Paragraph) -> Option<Cow<'_, str>> {
        let bytes = self.bytes(p.doc.0 as usize)?;
        bytes.get(p.span.clone()).map(String::from_utf8_lossy)
    }
}
