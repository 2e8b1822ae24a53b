//! Passage query: "where else was this quote published?" against an open [`Index`] built with
//! passage fingerprints (`index build --passages`).
//!
//! Input: a text (one article). Output: a [`PassageReport`] whose clusters each hold a passage
//! of the text (at least `min_words` normalised words) and every indexed place sharing it,
//! the text's span first. Invariants: the text's winnowed anchors are looked up in the stored
//! fingerprints (a binary search per segment), so candidates are exactly the places a scan of
//! the index's documents plus the text would pair with the text; a fingerprint found in more
//! than `max_occurrences` places (the text's and the live indexed ones together) is dropped
//! and counted as the scan drops it; alignment and clustering are the scan's own
//! (`passage::align_seeds`, `passage::report_of`) over the text and the candidate documents
//! re-read from their sources; replaced documents never match; the result depends only on the
//! text and the index.

use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::index::format::{corrupt, section_name, S_WORDS};
use crate::index::query::SourceCache;
use crate::index::reader::{DocRef, Index, SourceTexts};
use crate::index::writer::no_passages;
use crate::ingest::{split_paragraphs, DocId, Document, Paragraph};
use crate::normalize::NORMALIZER_VERSION;
use crate::passage::{self, PassageParams, PassageReport, PassageStats, Seed, Words, PASSAGE_HASH};

impl Index {
    /// Passages of `text` shared with indexed documents: for each, the text's span and every
    /// indexed span holding it (path, paragraph, line, byte span, shared words), grouped into
    /// clusters as `scan --passages` groups them, the text's span first. Indexed texts are
    /// re-read from their source files; a source that changed or vanished is left out (use
    /// [`Index::query`] with [`crate::index::QueryOptions::passages`] to have it listed).
    ///
    /// Fails with [`Error::IndexUsage`] when the index was built without passage
    /// fingerprints.
    ///
    /// ```
    /// use neardup::index::{AddOptions, Index, IndexWriter};
    /// use neardup::passage::PassageConfig;
    /// use neardup::Config;
    ///
    /// let dir = tempfile::tempdir()?;
    /// let quote = "the bridge will not reopen to heavy trucks until the engineering tests are complete";
    /// let article = dir.path().join("a.txt");
    /// std::fs::write(&article, format!("Bridge\nOfficials said on Sunday that {quote}, as drivers protested.\n"))?;
    ///
    /// let mut config = Config::default();
    /// config.passages = Some(PassageConfig::default());
    /// let mut writer = IndexWriter::create(dir.path().join("idx"), &config)?;
    /// writer.add_paths(&[&article], AddOptions::default())?;
    /// drop(writer); // releases the writer lock
    ///
    /// let index = Index::open(dir.path().join("idx"))?;
    /// let report = index.query_passages(&format!("The minister repeated: «{quote}».")).unwrap();
    /// let spans = &report.clusters[0].spans;
    /// assert_eq!(spans.len(), 2);
    /// assert_eq!((spans[0].path.as_str(), spans[0].text.as_str()), ("-", quote)); // the query first
    /// assert_eq!((spans[1].line, spans[1].text.as_str()), (2, quote));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn query_passages(&self, text: &str) -> Result<PassageReport> {
        self.passages_of("-", text.as_bytes(), &mut SourceCache::default())
    }

    /// The passage parameters, or the error telling the user to rebuild with `--passages`.
    pub(crate) fn usable_passage_params(&self) -> Result<&PassageParams> {
        let p = self
            .passage_params()
            .ok_or_else(|| no_passages(self.dir()))?;
        if p.normalizer_version != NORMALIZER_VERSION || p.hash != PASSAGE_HASH {
            return Err(Error::IndexUsage {
                path: self.dir().to_path_buf(),
                message: format!(
                    "the passage fingerprints were made with normaliser version {} and {}; this \
                     neardup has version {NORMALIZER_VERSION} and {PASSAGE_HASH}: rebuild the \
                     index with `neardup index build --passages`",
                    p.normalizer_version, p.hash
                ),
            });
        }
        Ok(p)
    }

    /// Passages of `bytes` (named `name`) shared with indexed documents; sources read
    /// through `texts` (stale ones noted there).
    pub(crate) fn passages_of(
        &self,
        name: &str,
        bytes: &[u8],
        texts: &mut SourceCache,
    ) -> Result<PassageReport> {
        let params = self.usable_passage_params()?.clone();
        let query_words = passage::words(bytes);
        let mut prints =
            passage::fingerprints(&query_words.hashes, params.anchor_words, params.window);
        let mut stats = PassageStats {
            words: query_words.hashes.len(),
            fingerprints: prints.len(),
            ..PassageStats::default()
        };
        prints.sort_unstable();
        let raw = query_seeds(self, &prints, &params, &mut stats)?;
        // Document 0 is the text, then the candidates.
        let mut docs = vec![Document {
            path: name.to_string(),
            bytes: bytes.to_vec(),
        }];
        let mut paragraphs = Vec::new();
        split_paragraphs(DocId(0), bytes, self.params().split, &mut paragraphs);
        let mut local = candidate_documents(self, &raw, texts, &mut docs, &mut paragraphs)?;
        let mut doc_words: Vec<Words> = vec![query_words];
        let indexed: Vec<Words> = local
            .par_iter()
            .zip(&docs[1..])
            .map(|(&(r, _), d)| checked_words(self, r, &d.bytes))
            .collect::<Result<_>>()?;
        doc_words.extend(indexed);

        local.sort_unstable_by_key(|&(r, _)| (r.segment, r.doc));
        let mut seeds: Vec<Seed> = raw
            .iter()
            .filter_map(|&(r, pa, pb)| {
                let at = local
                    .binary_search_by_key(&(r.segment, r.doc), |&(l, _)| (l.segment, l.doc))
                    .ok()?;
                Some((0, local[at].1, pa, pb))
            })
            .collect();
        drop(raw);
        seeds.par_sort_unstable();
        seeds.dedup();
        stats.seed_pairs = seeds.len();
        let matches = passage::align_seeds(&seeds, &doc_words, &params);
        stats.alignments = matches.len();
        Ok(passage::report_of(
            &params,
            stats,
            &matches,
            &docs,
            &doc_words,
            &paragraphs,
        ))
    }
}

/// Seeds (candidate document, query position, indexed position) of the query's sorted
/// fingerprints `prints`: per distinct fingerprint, its live places in every segment, unless
/// the cap drops it (counted in `stats`).
fn query_seeds(
    index: &Index,
    prints: &[(u64, u32)],
    params: &PassageParams,
    stats: &mut PassageStats,
) -> Result<Vec<(DocRef, u32, u32)>> {
    let mut raw: Vec<(DocRef, u32, u32)> = Vec::new();
    let mut places = Vec::new();
    let mut live: Vec<(DocRef, u32)> = Vec::new();
    for run in prints.chunk_by(|a, b| a.0 == b.0) {
        let hash = run[0].0;
        live.clear();
        for (s, seg) in index.segments().iter().enumerate() {
            places.clear();
            seg.passage_matches(hash, &mut places)?;
            live.extend(
                places
                    .iter()
                    .filter(|&&(d, _)| !seg.is_deleted(d))
                    .map(|&(doc, pos)| (DocRef { segment: s, doc }, pos)),
            );
        }
        // The text is one more document: places are counted over it and the index.
        if !stats.tally(run.len() + live.len(), params.max_occurrences) {
            continue;
        }
        for &(_, pa) in run {
            raw.extend(live.iter().map(|&(doc, pb)| (doc, pa, pb)));
        }
    }
    Ok(raw)
}

/// Append the documents `raw` seeds name to `docs` (in path order, re-read through `texts`)
/// and their paragraphs (as stored) to `paragraphs`; a source that changed or vanished is left
/// out (and noted in `texts`). Returns each one's reference and its number in `docs`.
fn candidate_documents(
    index: &Index,
    raw: &[(DocRef, u32, u32)],
    texts: &mut SourceCache,
    docs: &mut Vec<Document>,
    paragraphs: &mut Vec<Paragraph>,
) -> Result<Vec<(DocRef, u32)>> {
    let mut candidates: Vec<DocRef> = raw.iter().map(|s| s.0).collect();
    candidates.sort_unstable_by_key(|r| (r.segment, r.doc));
    candidates.dedup();
    let mut named = Vec::with_capacity(candidates.len());
    for r in candidates {
        let path = index.segments()[r.segment].doc_strings(r.doc)?.0;
        named.push((path, r));
    }
    named.sort_unstable_by(|a, b| a.0.cmp(b.0));
    let mut local: Vec<(DocRef, u32)> = Vec::with_capacity(named.len());
    for (path, r) in named {
        let Some(source) = texts.bytes(index, r) else {
            continue; // changed or vanished: noted in `texts`, its places left out
        };
        let id = docs.len() as u32;
        push_paragraphs(index, r, id, source.len(), paragraphs)?;
        docs.push(Document {
            path: path.to_string(),
            bytes: source.to_vec(),
        });
        local.push((r, id));
    }
    Ok(local)
}

/// Append the paragraphs of indexed document `r` as document `id`, checked against its
/// source of `len` bytes.
fn push_paragraphs(
    index: &Index,
    r: DocRef,
    id: u32,
    len: usize,
    out: &mut Vec<Paragraph>,
) -> Result<()> {
    let seg = &index.segments()[r.segment];
    let records = seg.paragraphs();
    let from = out.len();
    for p in seg.doc_paragraphs(r.doc)? {
        let rec = &records[p as usize];
        out.push(Paragraph {
            doc: DocId(id),
            ordinal: rec.ordinal,
            line: rec.line,
            span: rec.start as usize..rec.end as usize,
        });
    }
    check_spans(index, r, &out[from..], len)
}

/// Paragraphs of indexed document `r` must ascend and lie inside its source of `len` bytes:
/// passages slice the source by them.
fn check_spans(index: &Index, r: DocRef, paragraphs: &[Paragraph], len: usize) -> Result<()> {
    let mut previous_end = 0;
    for p in paragraphs {
        if p.span.start < previous_end || p.span.start > p.span.end || p.span.end > len {
            return Err(corrupt(
                index.segments()[r.segment].path(),
                "section paragraphs",
                format!(
                    "paragraph {} of document {} spans {:?}, outside its {len}-byte source or \
                     out of order",
                    p.ordinal, r.doc, p.span
                ),
            ));
        }
        previous_end = p.span.end;
    }
    Ok(())
}

/// The words of `bytes`, the source of indexed document `r`, checked against the count the
/// index stored for it (positions of stored fingerprints index these words).
fn checked_words(index: &Index, r: DocRef, bytes: &[u8]) -> Result<Words> {
    let w = passage::words(bytes);
    let seg = &index.segments()[r.segment];
    let stored = seg.doc_words(r.doc)?.len();
    if stored != w.hashes.len() {
        return Err(corrupt(
            seg.path(),
            &section_name(S_WORDS),
            format!(
                "document {} has {stored} words in the index but {} in its unchanged source: \
                 the segment is damaged; rebuild the index",
                r.doc,
                w.hashes.len()
            ),
        ));
    }
    Ok(w)
}

impl Index {
    /// The passage section of [`Index::scan`] with passages: the stored fingerprints of the
    /// live documents `docs` (in scan order) stand for the ones a scan computes, so seeds,
    /// the boilerplate cap, alignments and clusters are the scan's; only documents that share
    /// an anchor are re-read. A source that changed or vanished loses its passages (and is
    /// listed in the report's `skipped` through `texts`).
    pub(crate) fn scan_passages(
        &self,
        docs: &[(&str, DocRef)],
        texts: &SourceTexts<'_>,
        paragraphs: &[Paragraph],
    ) -> Result<PassageReport> {
        let params = self.usable_passage_params()?.clone();
        // Scan order of each live document, by segment and segment-local id.
        let mut global: Vec<Vec<u32>> = self
            .segments()
            .iter()
            .map(|s| vec![u32::MAX; s.documents().len()])
            .collect();
        let mut stats = PassageStats::default();
        for (g, (_, r)) in docs.iter().enumerate() {
            global[r.segment][r.doc as usize] = g as u32;
            stats.words += self.segments()[r.segment].doc_words(r.doc)?.len();
        }
        let mut prints: Vec<(u64, u32, u32)> = Vec::new();
        for (seg, global) in self.segments().iter().zip(&global) {
            let part: Vec<(u64, u32, u32)> = seg
                .passage_fingerprints()
                .par_iter()
                .zip(seg.passage_places())
                .filter_map(|(&h, &place)| match seg.locate_word(place) {
                    Ok((d, pos)) => {
                        let g = global[d as usize];
                        (g != u32::MAX).then_some(Ok((h, g, pos)))
                    }
                    Err(e) => Some(Err(e)),
                })
                .collect::<Result<_>>()?;
            prints.extend(part);
        }
        let mut seeds = passage::seeds_of(prints, &params, &mut stats);

        // Words and texts of the documents that share anchors; the others stay empty.
        let mut involved: Vec<u32> = seeds.iter().flat_map(|s| [s.0, s.1]).collect();
        involved.par_sort_unstable();
        involved.dedup();
        let loaded: Vec<Option<(Vec<u8>, Words)>> = involved
            .par_iter()
            .map(|&g| {
                let r = docs[g as usize].1;
                let Some(bytes) = texts.bytes(g as usize) else {
                    return Ok(None);
                };
                let first = paragraphs.partition_point(|p| p.doc.0 < g);
                let end = paragraphs.partition_point(|p| p.doc.0 <= g);
                check_spans(self, r, &paragraphs[first..end], bytes.len())?;
                Ok(Some((bytes.to_vec(), checked_words(self, r, bytes)?)))
            })
            .collect::<Result<_>>()?;
        let mut documents: Vec<Document> = docs
            .iter()
            .map(|(path, _)| Document {
                path: path.to_string(),
                bytes: Vec::new(),
            })
            .collect();
        let mut doc_words = vec![Words::default(); docs.len()];
        let mut missing = vec![false; docs.len()];
        for (&g, item) in involved.iter().zip(loaded) {
            match item {
                Some((bytes, words)) => {
                    documents[g as usize].bytes = bytes;
                    doc_words[g as usize] = words;
                }
                None => missing[g as usize] = true,
            }
        }
        // Places in a changed or vanished source cannot be aligned.
        seeds.retain(|s| !missing[s.0 as usize] && !missing[s.1 as usize]);
        let matches = passage::align_seeds(&seeds, &doc_words, &params);
        drop(seeds);
        stats.alignments = matches.len();
        Ok(passage::report_of(
            &params, stats, &matches, &documents, &doc_words, paragraphs,
        ))
    }
}
