//! Query: "where else did this paragraph appear?" against an open [`Index`].
//!
//! Input: a text (one article), cut into paragraphs with the index's split mode. Output: for
//! each paragraph, the indexed paragraphs that match it, verified as the scan verifies a
//! candidate pair, sorted by similarity (highest first), then path and paragraph. Invariants:
//! the index's own parameters are used (only the verification mode may be overridden); a
//! paragraph identical after normalisation to an indexed one finds it with similarity 1;
//! replaced documents never match; the result depends only on the text and the index.

use std::collections::{BTreeSet, HashMap};
use std::io::{self, Write};

use serde::{Deserialize, Serialize};

use crate::config::{Params, VerifyMode};
use crate::error::Result;
use crate::index::format::COMPARED;
use crate::index::reader::{DocRef, Index, STALE_REASON};
use crate::ingest::{self, DocId, Skipped};
use crate::lsh::band_key;
use crate::passage::PassageReport;
use crate::report::LinkMethod;
use crate::sketch::Sketcher;

/// Schema identifier of query results in JSON.
pub const QUERY_SCHEMA: &str = "neardup.query/1";

/// An indexed paragraph that matches a query paragraph.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Match {
    /// Path of the indexed document (as it was named when indexed).
    pub path: String,
    /// 0-based paragraph ordinal in that document.
    pub paragraph: u32,
    /// 1-based line of the paragraph's first line.
    pub line: u32,
    /// Byte offset of the paragraph in the indexed file.
    pub byte_start: u64,
    /// Byte offset just past its end.
    pub byte_end: u64,
    /// Jaccard similarity to the query paragraph (1 for identical normalised text).
    pub similarity: f64,
    /// How `similarity` was obtained.
    pub method: LinkMethod,
}

/// One paragraph of the query text and what matched it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QueryParagraph {
    /// 0-based paragraph ordinal in the query text.
    pub paragraph: u32,
    /// 1-based line.
    pub line: u32,
    /// Byte offset in the query text.
    pub byte_start: u64,
    /// Byte offset just past its end.
    pub byte_end: u64,
    /// The paragraph's text.
    pub text: String,
    /// Whether the paragraph was compared (non-empty after normalisation, at least
    /// `min_words` words); a paragraph not compared has no matches.
    pub compared: bool,
    /// Matches, by similarity (highest first), then path and paragraph.
    pub matches: Vec<Match>,
}

/// The result of a query (`neardup query --format json`; schema in `docs/FORMAT.md`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QueryReport {
    /// Always `QUERY_SCHEMA`.
    pub schema: String,
    /// The index's parameters (with the verification mode used).
    pub params: Params,
    /// Name of the query text (a path, or `-` for standard input).
    pub query: String,
    /// Every paragraph of the query text, in order.
    pub paragraphs: Vec<QueryParagraph>,
    /// Passages of the query text shared with indexed documents, when asked for
    /// ([`QueryOptions::passages`]); absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passages: Option<PassageReport>,
    /// Indexed sources whose text was needed but changed or vanished since indexing.
    pub skipped: Vec<Skipped>,
}

/// Options of a query.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct QueryOptions {
    /// Verification mode instead of the index's.
    pub verify: Option<VerifyMode>,
    /// Keep at most this many matches per paragraph (the best ones).
    pub limit: Option<usize>,
    /// Also find the text's passages shared with indexed documents (the index must have
    /// been built with passage fingerprints, `index build --passages`).
    pub passages: bool,
}

impl Index {
    /// Matches for each paragraph of `text`, with the index's parameters.
    pub fn query_text(&self, text: &str) -> Result<Vec<QueryParagraph>> {
        Ok(self
            .query("-", text.as_bytes(), QueryOptions::default())?
            .paragraphs)
    }

    /// Matches for each paragraph of `bytes` (decoded as UTF-8 with U+FFFD for invalid
    /// sequences), named `name` in the report; with [`QueryOptions::passages`], also the
    /// passages of the text shared with indexed documents (see [`Index::query_passages`]).
    pub fn query(&self, name: &str, bytes: &[u8], options: QueryOptions) -> Result<QueryReport> {
        let scanner = self.scanner(options.verify)?;
        if options.passages {
            // Refuse before any work.
            self.usable_passage_params()?;
        }
        let params = scanner.params().clone();
        let k = params.num_perm;
        let mut spans = Vec::new();
        ingest::split_paragraphs(DocId(0), bytes, params.split, &mut spans);
        let mut out = Vec::with_capacity(spans.len());
        let mut sig = vec![0u32; k];
        let mut scratch = QueryScratch {
            sketcher: scanner.sketcher().clone(),
            texts: SourceCache::default(),
            candidates: Vec::new(),
        };
        for para in spans {
            let text = String::from_utf8_lossy(&bytes[para.span.clone()]).into_owned();
            let hash = scratch.sketcher.sketch(&text, &mut sig);
            let matches = match hash {
                Some(hash) => {
                    let mut m = self.matches_of(&text, (hash, &sig), &params, &mut scratch)?;
                    if let Some(limit) = options.limit {
                        m.truncate(limit);
                    }
                    m
                }
                None => Vec::new(),
            };
            out.push(QueryParagraph {
                paragraph: para.ordinal,
                line: para.line,
                byte_start: para.span.start as u64,
                byte_end: para.span.end as u64,
                text,
                compared: hash.is_some(),
                matches,
            });
        }
        let mut texts = scratch.texts;
        let passages = if options.passages {
            Some(self.passages_of(name, bytes, &mut texts)?)
        } else {
            None
        };
        Ok(QueryReport {
            schema: QUERY_SCHEMA.to_string(),
            params,
            query: name.to_string(),
            paragraphs: out,
            passages,
            skipped: texts
                .stale
                .into_iter()
                .map(|path| Skipped {
                    path,
                    reason: STALE_REASON.to_string(),
                    error: false,
                })
                .collect(),
        })
    }
}

/// Buffers one query reuses for every paragraph.
struct QueryScratch {
    sketcher: Sketcher,
    texts: SourceCache,
    candidates: Vec<u32>,
}

impl Index {
    /// The indexed paragraphs matching one compared paragraph of the query (its text, exact
    /// hash and signature), verified as the scan verifies, best first.
    fn matches_of(
        &self,
        text: &str,
        (hash, sig): (u128, &[u32]),
        params: &Params,
        scratch: &mut QueryScratch,
    ) -> Result<Vec<Match>> {
        let QueryScratch {
            sketcher,
            texts,
            candidates,
        } = scratch;
        let mut matches = Vec::new();
        for (s, seg) in self.segments().iter().enumerate() {
            candidates.clear();
            for band in 0..params.bands {
                seg.band_matches(band, band_key(sig, band, params.rows), candidates);
            }
            candidates.sort_unstable();
            candidates.dedup();
            for &p in candidates.iter() {
                let Some(rec) = seg.paragraphs().get(p as usize) else {
                    continue;
                };
                if seg.is_deleted(rec.doc) || rec.flags & COMPARED == 0 {
                    continue;
                }
                let stored_hash = seg.hashes().get(p as usize).copied();
                let decided = if stored_hash == Some(hash) {
                    Some((1.0, LinkMethod::Identical))
                } else {
                    let doc = DocRef {
                        segment: s,
                        doc: rec.doc,
                    };
                    sketcher
                        .verify(sig, seg.signature(p), || {
                            let stored = texts.text(self, doc, rec.start..rec.end)?;
                            Some((text, stored))
                        })
                        .map(|(sim, m)| (sim, m.into()))
                };
                let Some((similarity, method)) = decided else {
                    continue;
                };
                let path = seg.doc_strings(rec.doc)?.0.to_string();
                matches.push(Match {
                    path,
                    paragraph: rec.ordinal,
                    line: rec.line,
                    byte_start: rec.start,
                    byte_end: rec.end,
                    similarity,
                    method,
                });
            }
        }
        matches.sort_by(|a, b| {
            b.similarity
                .total_cmp(&a.similarity)
                .then_with(|| a.path.cmp(&b.path))
                .then_with(|| a.paragraph.cmp(&b.paragraph))
        });
        Ok(matches)
    }
}

/// Source files read during one query, checked against their content hash.
#[derive(Default)]
pub(crate) struct SourceCache {
    docs: HashMap<(usize, u32), Option<Vec<u8>>>,
    stale: BTreeSet<String>,
}

impl SourceCache {
    /// The bytes of `doc` as indexed, or `None` (and its path noted as stale).
    pub(crate) fn bytes(&mut self, index: &Index, doc: DocRef) -> Option<&[u8]> {
        let bytes = self
            .docs
            .entry((doc.segment, doc.doc))
            .or_insert_with(|| index.read_source(doc));
        if bytes.is_none() {
            if let Ok((path, _)) = index.segments()[doc.segment].doc_strings(doc.doc) {
                self.stale.insert(path.to_string());
            }
        }
        bytes.as_deref()
    }

    fn text(&mut self, index: &Index, doc: DocRef, span: std::ops::Range<u64>) -> Option<String> {
        self.bytes(index, doc)?
            .get(span.start as usize..span.end as usize)
            .map(|t| String::from_utf8_lossy(t).into_owned())
    }
}

impl QueryReport {
    /// Write the report as JSON (pretty, one document).
    pub fn write_json(&self, out: &mut dyn Write) -> io::Result<()> {
        serde_json::to_writer_pretty(&mut *out, self)?;
        out.write_all(b"\n")
    }

    /// Write the report for a terminal: each paragraph with matches, then its matches.
    pub fn write_text(&self, out: &mut dyn Write) -> io::Result<()> {
        let with = self
            .paragraphs
            .iter()
            .filter(|p| !p.matches.is_empty())
            .count();
        writeln!(
            out,
            "{}: {} paragraphs, {} with matches",
            self.query,
            self.paragraphs.len(),
            with
        )?;
        for p in self.paragraphs.iter().filter(|p| !p.matches.is_empty()) {
            writeln!(
                out,
                "\n{}:{}  {}",
                self.query,
                p.line,
                crate::report::snippet(&p.text, 60)
            )?;
            for m in &p.matches {
                writeln!(
                    out,
                    "  {:.3}  {:<9} {}:{}",
                    m.similarity,
                    format!("{:?}", m.method).to_lowercase(),
                    m.path,
                    m.line
                )?;
            }
        }
        if let Some(passages) = &self.passages {
            passages.write_text(out)?;
        }
        for s in &self.skipped {
            writeln!(out, "\nwarning: {}: {}", s.path, s.reason)?;
        }
        Ok(())
    }
}
