//! Report: clusters → text / JSON / JSONL / HTML / Markdown / CSV / pairs.
//!
//! Input: a [`Report`] built by the scan. Output: bytes in one of the [`Format`]s. Invariants:
//! the output is a pure function of the report (no timings, no host names, no hash-map
//! order), so equal scans give byte-identical reports; clusters appear sorted by their
//! representative (first member by path, then paragraph) in the data formats (JSON, JSONL,
//! CSV, pairs) and by size, then representative, in the reading formats (HTML, Markdown);
//! every piece of article text embedded in HTML or Markdown is escaped. The JSON schema is
//! documented in `docs/REPORT.md` and versioned by [`REPORT_SCHEMA`].
//!
//! One submodule per format ([`html`], whose [`html::Limits`] callers may set; `markdown`,
//! `csv`, `pairs`, `parquet`: reached through [`Report::write`]), and `diff`, the word diff that
//! shows what a member changed relative to its representative.

use std::io::{self, Write};

mod diff;
pub mod html;
mod markdown;

mod csv;
mod pairs;
#[cfg(feature = "parquet")]
mod parquet;

use serde::{Deserialize, Serialize};

use crate::cluster::{ClusterKind, Scope, SimilarityMethod};
use crate::config::Params;
use crate::ingest::Skipped;
use crate::passage::PassageReport;

/// Schema identifier written in every JSON report; bumped on any incompatible change.
pub const REPORT_SCHEMA: &str = "neardup.report/2";

/// The result of a scan.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// Always [`REPORT_SCHEMA`] for reports written by this version.
    pub schema: String,
    /// Every parameter that decides what matches.
    pub params: Params,
    /// Counts.
    pub stats: Stats,
    /// Clusters, sorted by representative.
    pub clusters: Vec<Cluster>,
    /// Files not scanned, sorted by path.
    pub skipped: Vec<Skipped>,
    /// Shared passages, when the scan looked for them (`--passages`); absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passages: Option<PassageReport>,
    /// Clusters spanning at least this many distinct documents are labelled boilerplate
    /// (0: no labelling). Absent from reports written before the field existed.
    #[serde(default)]
    pub boilerplate_min_docs: usize,
    /// Paragraph counts of every scanned document, sorted by path, for the per-article tables
    /// of the reading formats. Kept out of JSON (it would grow with the corpus, not with the
    /// duplicates): empty in a report read back from JSON.
    #[serde(skip)]
    pub documents: Vec<DocumentStats>,
}

/// Size of one scanned document.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DocumentStats {
    /// Document path, as in cluster members.
    pub path: String,
    /// Non-empty paragraphs.
    pub paragraphs: u32,
    /// Bytes of those paragraphs (their spans, summed).
    pub paragraph_bytes: u64,
}

impl DocumentStats {
    /// Per-document counts from the documents' paths (in `DocId` order) and their
    /// paragraphs, whether the documents are in memory (a scan) or in an index.
    pub(crate) fn of_paragraphs(
        paths: impl IntoIterator<Item = String>,
        paragraphs: &[crate::ingest::Paragraph],
    ) -> Vec<DocumentStats> {
        let mut out: Vec<DocumentStats> = paths
            .into_iter()
            .map(|path| DocumentStats {
                path,
                ..DocumentStats::default()
            })
            .collect();
        for p in paragraphs {
            let d = &mut out[p.doc.0 as usize];
            d.paragraphs += 1;
            d.paragraph_bytes += p.span.len() as u64;
        }
        out
    }
}

/// Counts describing a scan.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stats {
    /// Documents scanned.
    pub documents: usize,
    /// Non-empty paragraphs.
    pub paragraphs: usize,
    /// Paragraphs compared (non-empty after normalisation, at least `min_words` words).
    pub compared_paragraphs: usize,
    /// Clusters found.
    pub clusters: usize,
    /// Paragraphs that belong to a cluster.
    pub paragraphs_in_clusters: usize,
    /// Paragraphs that repeat another: members of clusters minus one per cluster.
    pub duplicate_paragraphs: usize,
    /// Distinct LSH candidate pairs (between distinct normalised texts).
    pub candidate_pairs: usize,
    /// Candidate pairs that passed verification.
    pub verified_pairs: usize,
    /// LSH buckets so large that their members were linked by a window, not all pairs.
    pub capped_buckets: usize,
    /// Entries of `skipped`: files, and under `--keep-going` also JSONL lines, WARC records
    /// and Parquet rows (the name is the schema's, from when only files were skipped).
    pub skipped_files: usize,
}

/// A group of paragraphs that duplicate each other.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Cluster {
    /// 1-based, in report order.
    pub id: u32,
    /// Exact (identical after normalisation) or near.
    pub kind: ClusterKind,
    /// Within one article or across articles.
    pub scope: Scope,
    /// Members sorted by path then paragraph; the first is the representative.
    pub members: Vec<Member>,
    /// The verified pairs that hold the cluster together (a spanning set at least): which
    /// member matched which, how similar, and how that was measured. Indices into `members`.
    pub links: Vec<Link>,
    /// True when the cluster spans at least [`Report::boilerplate_min_docs`] distinct
    /// documents: a footer, a copyright line, share buttons rather than content.
    #[serde(default)]
    pub boilerplate: bool,
}

impl Cluster {
    /// Number of distinct documents among the members.
    pub fn documents(&self) -> usize {
        // Members are sorted by path, so equal paths are adjacent.
        if self.members.is_empty() {
            return 0;
        }
        1 + self
            .members
            .windows(2)
            .filter(|w| w[0].path != w[1].path)
            .count()
    }
}

/// One verified pair inside a cluster.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Link {
    /// Index into the cluster's members (the smaller of the two).
    pub a: u32,
    /// Index into the cluster's members.
    pub b: u32,
    /// Jaccard similarity of the pair.
    pub similarity: f64,
    /// How `similarity` was obtained.
    pub method: LinkMethod,
}

/// How a link's similarity was obtained.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LinkMethod {
    /// The two paragraphs are identical after normalisation.
    Identical,
    /// Estimated from MinHash signatures.
    Estimate,
    /// Exact Jaccard similarity of the shingle sets.
    Exact,
}

impl From<SimilarityMethod> for LinkMethod {
    fn from(m: SimilarityMethod) -> Self {
        match m {
            SimilarityMethod::Estimate => LinkMethod::Estimate,
            SimilarityMethod::Exact => LinkMethod::Exact,
        }
    }
}

/// One paragraph in a cluster.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Member {
    /// Document path, relative to the directory given, `/`-separated.
    pub path: String,
    /// 0-based paragraph ordinal in the document.
    pub paragraph: u32,
    /// 1-based line of the paragraph's first line.
    pub line: u32,
    /// Byte offset of the paragraph's start in the file.
    pub byte_start: u64,
    /// Byte offset just past the paragraph's end in the file.
    pub byte_end: u64,
    /// Jaccard similarity to the representative (1 for the representative and its exact
    /// copies; estimated from signatures unless `verify` is `exact`).
    pub similarity: f64,
    /// The paragraph's text as in the file.
    pub text: String,
}

/// Output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Format {
    /// Human-readable summary for a terminal.
    #[default]
    Text,
    /// One JSON document (schema in `docs/REPORT.md`).
    Json,
    /// One cluster per line, as JSON.
    Jsonl,
    /// One self-contained HTML page: summary, per-article table, clusters with word diffs.
    Html,
    /// Markdown for pasting into issues and wikis.
    Md,
    /// CSV, one row per cluster member, for spreadsheets and data frames.
    Csv,
    /// JSONL, one line per verified pair (both sides, similarity, method).
    Pairs,
    /// Parquet, one row per cluster member, the CSV columns typed (to a file: `-o`).
    Parquet,
}

impl Format {
    /// Whether the format is binary, so never written to a terminal or pipe by default.
    pub fn is_binary(self) -> bool {
        self == Format::Parquet
    }
}

impl Report {
    /// Whether the report holds any cluster, paragraph or passage (`--fail-on-duplicates`).
    pub fn has_duplicates(&self) -> bool {
        !self.clusters.is_empty()
            || self
                .passages
                .as_ref()
                .is_some_and(|p| !p.clusters.is_empty())
    }

    /// Write the report in `format`.
    pub fn write(&self, format: Format, out: &mut dyn Write) -> io::Result<()> {
        match format {
            Format::Json => {
                serde_json::to_writer_pretty(&mut *out, self)?;
                out.write_all(b"\n")
            }
            Format::Jsonl => {
                for cluster in &self.clusters {
                    serde_json::to_writer(&mut *out, cluster)?;
                    out.write_all(b"\n")?;
                }
                // Passage clusters follow, told apart by `"kind": "passage"`.
                for cluster in self.passages.iter().flat_map(|p| &p.clusters) {
                    serde_json::to_writer(&mut *out, cluster)?;
                    out.write_all(b"\n")?;
                }
                Ok(())
            }
            Format::Text => self.write_text(out),
            Format::Html => html::write(self, &html::Limits::default(), out),
            Format::Md => markdown::write(self, &markdown::Limits::default(), out),
            Format::Csv => csv::write(self, out),
            Format::Pairs => pairs::write(self, out),
            #[cfg(feature = "parquet")]
            Format::Parquet => parquet::write(self, out),
            #[cfg(not(feature = "parquet"))]
            Format::Parquet => Err(io::Error::other(
                "the Parquet report needs neardup built with the `parquet` feature",
            )),
        }
    }

    /// Label clusters spanning at least `min_docs` distinct documents as boilerplate (0 labels
    /// none) and record `min_docs` in the report.
    pub fn label_boilerplate(&mut self, min_docs: usize) {
        self.boilerplate_min_docs = min_docs;
        for c in &mut self.clusters {
            c.boilerplate = min_docs > 0 && c.documents() >= min_docs;
        }
    }

    /// The boilerplate clusters, in report order.
    pub(crate) fn boilerplate_clusters(&self) -> impl Iterator<Item = &Cluster> {
        self.clusters.iter().filter(|c| c.boilerplate)
    }

    fn write_text(&self, out: &mut dyn Write) -> io::Result<()> {
        let s = &self.stats;
        let p = &self.params;
        writeln!(
            out,
            "{}, {}: {}, {}",
            counted(s.documents, "document"),
            counted(s.paragraphs, "paragraph"),
            counted(s.clusters, "cluster"),
            counted(s.duplicate_paragraphs, "duplicate paragraph")
        )?;
        writeln!(
            out,
            "threshold {} · {} permutations · {} bands × {} rows · {}-word shingles · split {} \
             · verify {}",
            p.threshold,
            p.num_perm,
            p.bands,
            p.rows,
            p.shingle,
            serde_plain(&p.split),
            serde_plain(&p.verify)
        )?;
        let boilerplate: Vec<String> = self
            .boilerplate_clusters()
            .map(|c| format!("#{}", c.id))
            .collect();
        if !boilerplate.is_empty() {
            writeln!(
                out,
                "boilerplate (in {} or more documents): {}",
                self.boilerplate_min_docs,
                boilerplate.join(", ")
            )?;
        }
        for c in &self.clusters {
            writeln!(
                out,
                "\n#{} {} · {} · {}{}",
                c.id,
                serde_plain(&c.kind),
                serde_plain(&c.scope),
                counted(c.members.len(), "paragraph"),
                if c.boilerplate { " · boilerplate" } else { "" }
            )?;
            let width = c
                .members
                .iter()
                .map(|m| m.path.chars().count() + 1 + digits(m.line))
                .max()
                .unwrap_or(0);
            for m in &c.members {
                let place = format!("{}:{}", m.path, m.line);
                writeln!(
                    out,
                    "  {place:<width$}  {:.3}  {}",
                    m.similarity,
                    snippet(&m.text, SNIPPET_CHARS)
                )?;
            }
        }
        if let Some(passages) = &self.passages {
            passages.write_text(out)?;
        }
        if !self.skipped.is_empty() {
            // Entries are files, and under --keep-going also lines, records and rows.
            writeln!(out, "\nskipped {}:", counted(self.skipped.len(), "input"))?;
            for sk in &self.skipped {
                writeln!(out, "  {}: {}", sk.path, sk.reason)?;
            }
        }
        Ok(())
    }
}

/// Characters of a paragraph shown in the text format.
pub(crate) const SNIPPET_CHARS: usize = 100;

impl PassageReport {
    /// The passage section of the text format: a summary line, then each cluster with
    /// `path:line`, its length in words and the span in its paragraph, `[` … `]` marking the
    /// shared words.
    pub fn write_text(&self, out: &mut dyn Write) -> io::Result<()> {
        let s = &self.stats;
        let p = &self.params;
        writeln!(
            out,
            "\npassages: {}, {} (at least {} words · {}-word anchors · window {} · {} \
             boilerplate fingerprints dropped)",
            counted(s.clusters, "cluster"),
            counted(s.spans, "span"),
            p.min_words,
            p.anchor_words,
            p.window,
            s.dropped_fingerprints
        )?;
        for c in &self.clusters {
            writeln!(out, "\n{}", passage_heading(c))?;
            let width = c
                .spans
                .iter()
                .map(|m| m.path.chars().count() + 1 + digits(m.line))
                .max()
                .unwrap_or(0);
            for m in &c.spans {
                let place = format!("{}:{}", m.path, m.line);
                let before = snippet(&m.before, usize::MAX);
                let skip = before.chars().count().saturating_sub(PASSAGE_CONTEXT_CHARS);
                let before: String = before.chars().skip(skip).collect();
                let lead = if skip > 0 { "…" } else { "" };
                let gap = if m.before.ends_with(char::is_whitespace) {
                    " "
                } else {
                    ""
                };
                let gap_after = if m.after.starts_with(char::is_whitespace) {
                    " "
                } else {
                    ""
                };
                writeln!(
                    out,
                    "  {place:<width$}  {:>3}w  {lead}{before}{gap}[{}]{gap_after}{}",
                    m.words,
                    snippet(&m.text, SNIPPET_CHARS),
                    snippet(&m.after, PASSAGE_CONTEXT_CHARS)
                )?;
            }
        }
        Ok(())
    }
}

/// Characters of context shown on each side of a passage in the text format.
pub(crate) const PASSAGE_CONTEXT_CHARS: usize = 24;

/// How every format heads a passage cluster: `~3 passage · within · 2 spans · 17 words`.
pub(crate) fn passage_heading(c: &crate::passage::PassageCluster) -> String {
    format!(
        "~{} passage · {} · {} · {}",
        c.id,
        serde_plain(&c.scope),
        counted(c.spans.len(), "span"),
        counted(c.words as usize, "word")
    )
}

/// "1 cluster", "2 clusters".
pub(crate) fn counted(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

fn digits(n: u32) -> usize {
    n.to_string().len()
}

/// The plain name serde gives a unit enum variant (`"exact"` → `exact`).
pub(crate) fn serde_plain<T: Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// One line of at most `max` characters; control characters (which could drive the
/// terminal) become U+FFFD, runs of whitespace one space.
pub(crate) fn snippet(text: &str, max: usize) -> String {
    let mut out = String::new();
    let mut count = 0;
    let mut pending_space = false;
    for c in text.chars() {
        if c.is_whitespace() {
            pending_space = !out.is_empty();
            continue;
        }
        if count >= max {
            out.push('…');
            return out;
        }
        if pending_space {
            out.push(' ');
            count += 1;
            pending_space = false;
        }
        out.push(if c.is_control() { '\u{FFFD}' } else { c });
        count += 1;
    }
    out
}

/// Figures shared by the reading formats (HTML, Markdown).
pub(crate) struct Overview {
    /// Bytes of all paragraphs, when the report knows its documents.
    pub paragraph_bytes: Option<u64>,
    /// Bytes of the duplicate paragraphs (every member but the representative).
    pub duplicate_bytes: u64,
    /// Boilerplate clusters.
    pub boilerplate_clusters: usize,
    /// Duplicate paragraphs inside boilerplate clusters.
    pub boilerplate_duplicates: usize,
}

impl Overview {
    pub fn of(report: &Report) -> Overview {
        let span = |m: &Member| m.byte_end.saturating_sub(m.byte_start);
        let mut o = Overview {
            paragraph_bytes: (!report.documents.is_empty() || report.stats.documents == 0)
                .then(|| report.documents.iter().map(|d| d.paragraph_bytes).sum()),
            duplicate_bytes: 0,
            boilerplate_clusters: 0,
            boilerplate_duplicates: 0,
        };
        for c in &report.clusters {
            o.duplicate_bytes += c.members.iter().skip(1).map(span).sum::<u64>();
            if c.boilerplate {
                o.boilerplate_clusters += 1;
                o.boilerplate_duplicates += c.members.len().saturating_sub(1);
            }
        }
        o
    }
}

/// One row of the per-article table.
pub(crate) struct ArticleRow<'a> {
    pub path: &'a str,
    /// Paragraphs in the article, when the report knows its documents.
    pub paragraphs: Option<u32>,
    /// Paragraphs that repeat an earlier paragraph of the same article.
    pub repeated_within: usize,
    /// Paragraphs whose cluster reaches other articles.
    pub shared: usize,
    /// Paragraphs that have a copy elsewhere in the corpus or earlier in the article.
    pub duplicated: usize,
}

/// Every article with at least one clustered paragraph, sorted by path.
pub(crate) fn article_rows(report: &Report) -> Vec<ArticleRow<'_>> {
    let mut rows: std::collections::BTreeMap<&str, ArticleRow<'_>> = Default::default();
    for c in &report.clusters {
        let across = c.scope == Scope::Across;
        // Members are sorted by path: one group per article.
        for group in c.members.chunk_by(|a, b| a.path == b.path) {
            let path = group[0].path.as_str();
            let row = rows.entry(path).or_insert_with(|| ArticleRow {
                path,
                paragraphs: None,
                repeated_within: 0,
                shared: 0,
                duplicated: 0,
            });
            row.repeated_within += group.len() - 1;
            if across {
                row.shared += group.len();
                row.duplicated += group.len();
            } else {
                row.duplicated += group.len() - 1;
            }
        }
    }
    for d in &report.documents {
        if let Some(row) = rows.get_mut(d.path.as_str()) {
            row.paragraphs = Some(d.paragraphs);
        }
    }
    rows.into_values().collect()
}

/// Clusters by size (largest first), then by representative: the reading order.
pub(crate) fn by_size(report: &Report) -> Vec<&Cluster> {
    let mut v: Vec<&Cluster> = report.clusters.iter().collect();
    v.sort_by_key(|c| (std::cmp::Reverse(c.members.len()), c.id));
    v
}

/// `part / whole` as a percentage with one decimal ("–" when `whole` is 0).
pub(crate) fn percent(part: u64, whole: u64) -> String {
    if whole == 0 {
        "–".to_string()
    } else {
        format!("{:.1}%", part as f64 * 100.0 / whole as f64)
    }
}

/// The parameters in one line, as the text format prints them.
pub(crate) fn params_line(p: &Params) -> String {
    format!(
        "threshold {} · {} permutations · {} bands × {} rows · {}-word shingles · split {} · \
         verify {} · min words {} · seed {} · normaliser v{}",
        p.threshold,
        p.num_perm,
        p.bands,
        p.rows,
        p.shingle,
        serde_plain(&p.split),
        serde_plain(&p.verify),
        p.min_words,
        p.seed,
        p.normalizer_version
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snippet_is_one_safe_line() {
        assert_eq!(snippet("a\n  b\tc", 10), "a b c");
        assert_eq!(snippet("abcdef", 3), "abc…");
        assert_eq!(snippet("\u{1b}[31mred", 10), "\u{FFFD}[31mred");
    }
}
