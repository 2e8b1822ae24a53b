//! Every call the bindings make into the `neardup` library, in one place.
//!
//! Input: plain Rust values extracted from Python by `lib.rs`. Output: plain Rust values and
//! library errors. Invariants: no engine logic here beyond composing public library calls
//! (signatures go through the library's one sketch path, `neardup::sketch::Sketcher`); when the library's
//! API is renamed (issue 12: one sketch path, an options struct for `Scanner`), only this
//! module changes.

use std::path::{Path, PathBuf};

use neardup::config::{HashFamily, SplitMode, VerifyMode, DEFAULT_SEED};
use neardup::index::{AddOptions, AddSummary, QueryOptions};
use neardup::ingest::InputOptions;
use neardup::passage::{PassageConfig, DEFAULT_MIN_PASSAGE_WORDS};
use neardup::report::Format;
use neardup::scan::DEFAULT_BOILERPLATE_MIN_DOCS;
use neardup::{Config, Document, Error, Index, IndexWriter, Report, Scanner};
use rayon::prelude::*;

/// The crate version of the core library (the workspace shares one version).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Every option of `neardup.scan` that the library reads, as Python passes it.
#[derive(Clone, Debug)]
pub struct ScanOptions {
    pub threshold: f64,
    pub num_perm: usize,
    pub bands: Option<usize>,
    pub rows: Option<usize>,
    pub shingle: usize,
    pub split: String,
    pub min_words: usize,
    pub verify: String,
    pub seed: u64,
    pub hash: String,
    pub passages: bool,
    pub min_passage_words: usize,
    pub text_field: String,
    pub id_field: Option<String>,
    pub include: Vec<String>,
    pub exclude: Vec<String>,
    pub max_file_size: Option<u64>,
    pub lossy: bool,
    pub keep_going: bool,
    pub boilerplate_min_docs: usize,
}

/// The library's defaults for every option, as `(name, JSON value)`: Python's signatures are
/// checked against these by a test, so the CLI and Python cannot disagree on a default.
pub fn defaults() -> Vec<(&'static str, String)> {
    let c = Config::default();
    let i = InputOptions::default();
    let j = |v: serde_json::Value| v.to_string();
    vec![
        ("threshold", j(c.threshold.into())),
        ("num_perm", j(c.num_perm.into())),
        ("bands", j(serde_json::Value::Null)),
        ("rows", j(serde_json::Value::Null)),
        ("shingle", j(c.shingle_words.into())),
        (
            "split",
            j(serde_json::to_value(c.split).unwrap_or_default()),
        ),
        ("min_words", j(c.min_words.into())),
        (
            "verify",
            j(serde_json::to_value(c.verify).unwrap_or_default()),
        ),
        ("seed", j(DEFAULT_SEED.into())),
        ("hash", j(c.hash.name().into())),
        ("passages", j(false.into())),
        ("min_passage_words", j(DEFAULT_MIN_PASSAGE_WORDS.into())),
        ("text_field", j(i.text_field.into())),
        ("id_field", j(serde_json::Value::Null)),
        ("include", j(serde_json::json!([]))),
        ("exclude", j(serde_json::json!([]))),
        ("max_file_size", j(serde_json::Value::Null)),
        ("lossy", j(i.lossy.into())),
        ("keep_going", j(i.keep_going.into())),
        (
            "boilerplate_min_docs",
            j(DEFAULT_BOILERPLATE_MIN_DOCS.into()),
        ),
    ]
}

fn bad(message: String) -> Error {
    Error::InvalidParameter(message)
}

pub fn split_mode(name: &str) -> Result<SplitMode, Error> {
    match name {
        "lines" => Ok(SplitMode::Lines),
        "blank" => Ok(SplitMode::Blank),
        "document" => Ok(SplitMode::Document),
        _ => Err(bad(format!(
            "split must be \"lines\", \"blank\" or \"document\", got {name:?}"
        ))),
    }
}

pub fn hash_family(name: &str) -> Result<HashFamily, Error> {
    name.parse().map_err(|e: String| bad(format!("hash: {e}")))
}

fn verify_mode(name: &str) -> Result<VerifyMode, Error> {
    match name {
        "auto" => Ok(VerifyMode::Auto),
        "estimate" => Ok(VerifyMode::Estimate),
        "exact" => Ok(VerifyMode::Exact),
        _ => Err(bad(format!(
            "verify must be \"auto\", \"estimate\" or \"exact\", got {name:?}"
        ))),
    }
}

/// The library configuration of these options (what `cli` builds from the same flags).
pub fn config(o: &ScanOptions) -> Result<Config, Error> {
    let mut c = Config::default();
    c.threshold = o.threshold;
    c.num_perm = o.num_perm;
    c.bands = o.bands;
    c.rows = o.rows;
    c.shingle_words = o.shingle;
    c.split = split_mode(&o.split)?;
    c.verify = verify_mode(&o.verify)?;
    c.seed = o.seed;
    c.hash = hash_family(&o.hash)?;
    c.min_words = o.min_words;
    c.passages = o.passages.then(|| {
        let mut p = PassageConfig::default();
        p.min_words = o.min_passage_words;
        p
    });
    // Refuse bad values before any work.
    c.params()?;
    Ok(c)
}

/// The Arrow stage kernels with the matching options of `o` (the scan's validation).
pub fn kernels(o: &ScanOptions) -> Result<neardup::kernels::Kernels, Error> {
    Ok(neardup::kernels::Kernels::new(config(o)?.params()?))
}

fn input_options(o: &ScanOptions) -> InputOptions {
    let mut i = InputOptions::default();
    i.lossy = o.lossy;
    i.keep_going = o.keep_going;
    i.text_field = o.text_field.clone();
    i.id_field = o.id_field.clone();
    i.include = o.include.clone();
    i.exclude = o.exclude.clone();
    i.max_file_size = o.max_file_size;
    i
}

/// The scanner `neardup scan` builds from these options.
fn scanner(o: &ScanOptions) -> Result<Scanner, Error> {
    let mut options = neardup::ScanOptions::default();
    options.input = input_options(o);
    options.boilerplate_min_docs = o.boilerplate_min_docs;
    Ok(Scanner::new(config(o)?)?.with_options(options))
}

/// `neardup scan PATHS` with these options.
pub fn scan_paths(o: &ScanOptions, paths: &[PathBuf]) -> Result<Report, Error> {
    scanner(o)?.scan_paths(paths)
}

/// A scan of in-memory documents named `ids`, one per text.
pub fn scan_texts(o: &ScanOptions, ids: Vec<String>, texts: Vec<String>) -> Result<Report, Error> {
    let scanner = scanner(o)?;
    let docs = ids
        .into_iter()
        .zip(texts)
        .map(|(id, text)| Document::from_text(id, text))
        .collect();
    scanner.scan_documents(docs)
}

/// `neardup normalize`.
pub fn normalize(text: &str) -> String {
    neardup::normalize::normalize(text).into_owned()
}

/// A report in one of the CLI's `--format`s.
pub fn format_report(report: &Report, format: &str) -> Result<Vec<u8>, Error> {
    let format = match format {
        "text" => Format::Text,
        "json" => Format::Json,
        "jsonl" => Format::Jsonl,
        "html" => Format::Html,
        "md" => Format::Md,
        "csv" => Format::Csv,
        "pairs" => Format::Pairs,
        _ => {
            return Err(bad(format!(
                "format must be one of text, json, jsonl, html, md, csv, pairs; got {format:?}"
            )))
        }
    };
    let mut out = Vec::new();
    report.write(format, &mut out).map_err(|e| Error::Io {
        path: "<report>".into(),
        action: "write report",
        source: e,
    })?;
    Ok(out)
}

/// One part of a report (`stats`, `params`, `skipped`, `passages`) as JSON.
pub fn report_part(report: &Report, part: &str) -> Result<String, Error> {
    let value = match part {
        "stats" => serde_json::to_string(&report.stats),
        "params" => serde_json::to_string(&report.params),
        "skipped" => serde_json::to_string(&report.skipped),
        "passages" => serde_json::to_string(&report.passages),
        _ => return Err(bad(format!("no report part {part:?}"))),
    };
    value.map_err(|e| bad(format!("cannot serialise {part}: {e}")))
}

/// A cluster member as Python receives it.
pub type MemberRow = (String, u32, u32, u64, u64, f64, String);
/// A link as Python receives it: member positions, similarity, method.
pub type LinkRow = (u32, u32, f64, String);
/// A cluster as Python receives it.
pub type ClusterRow = (u32, String, String, bool, Vec<MemberRow>, Vec<LinkRow>);

/// A serde enum's plain name (`"near"`, `"across"`, `"estimate"`).
fn plain<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// The clusters of a report as rows.
pub fn clusters(report: &Report) -> Vec<ClusterRow> {
    report
        .clusters
        .iter()
        .map(|c| {
            let members = c
                .members
                .iter()
                .map(|m| {
                    (
                        m.path.clone(),
                        m.paragraph,
                        m.line,
                        m.byte_start,
                        m.byte_end,
                        m.similarity,
                        m.text.clone(),
                    )
                })
                .collect();
            let links = c
                .links
                .iter()
                .map(|l| (l.a, l.b, l.similarity, plain(&l.method)))
                .collect();
            (
                c.id,
                plain(&c.kind),
                plain(&c.scope),
                c.boilerplate,
                members,
                links,
            )
        })
        .collect()
}

/// MinHash signatures of whole texts with given parameters: the library's one sketch path
/// (`neardup::sketch::Sketcher`) with `min_words` 1, so a text without words gets every value
/// `u32::MAX`, as the scan gives a paragraph it does not compare.
pub struct Sketcher {
    sketcher: neardup::sketch::Sketcher,
}

impl Sketcher {
    pub fn new(num_perm: usize, seed: u64, shingle: usize, hash: &str) -> Result<Sketcher, Error> {
        // The library's own validation of these parameters.
        let mut c = Config::default();
        c.num_perm = num_perm;
        c.seed = seed;
        c.hash = hash_family(hash)?;
        c.shingle_words = shingle;
        c.min_words = 1;
        let p = c.params()?;
        Ok(Sketcher {
            sketcher: neardup::sketch::Sketcher::new(&p),
        })
    }

    pub fn num_perm(&self) -> usize {
        self.sketcher.num_perm()
    }

    /// Signatures of `texts`, row after row, in parallel on the current rayon pool (one
    /// sketcher clone, with its scratch buffers, per worker).
    pub fn signatures<S: AsRef<str> + Sync>(&self, texts: &[S]) -> Vec<u32> {
        let k = self.num_perm();
        let mut out = vec![0u32; texts.len() * k];
        out.par_chunks_mut(k)
            .zip(texts.par_iter())
            .with_min_len(64)
            .for_each_init(
                || self.sketcher.clone(),
                |sketcher, (sig, text)| {
                    sketcher.sketch(text.as_ref(), sig);
                },
            );
        out
    }
}

/// The LSH banding `neardup params` gives for a threshold and signature length, or the one
/// given; `(bands, rows)`.
pub fn lsh_params(
    threshold: f64,
    num_perm: usize,
    bands: Option<usize>,
    rows: Option<usize>,
) -> Result<(usize, usize), Error> {
    let mut c = Config::default();
    c.threshold = threshold;
    c.num_perm = num_perm;
    c.bands = bands;
    c.rows = rows;
    let p = c.params()?;
    Ok((p.bands, p.rows))
}

/// The band keys of signatures (row after row), `bands` keys per signature.
pub fn band_keys(signatures: &[u32], num_perm: usize, bands: usize, rows: usize) -> Vec<u64> {
    signatures
        .chunks_exact(num_perm)
        .flat_map(|sig| (0..bands).map(move |b| neardup::lsh::band_key(sig, b, rows)))
        .collect()
}

/// Open an index.
pub fn open_index(dir: &Path) -> Result<Index, Error> {
    Index::open(dir)
}

/// `neardup query --format json`, named `name`.
pub fn query_json(
    index: &Index,
    name: &str,
    text: &str,
    passages: bool,
    limit: Option<usize>,
) -> Result<Vec<u8>, Error> {
    let options = QueryOptions {
        passages,
        limit,
        ..QueryOptions::default()
    };
    let report = index.query(name, text.as_bytes(), options)?;
    let mut out = Vec::new();
    report.write_json(&mut out).map_err(|e| Error::Io {
        path: "<query>".into(),
        action: "write query report",
        source: e,
    })?;
    Ok(out)
}

/// `neardup index stats --format json`.
pub fn index_stats_json(index: &Index) -> Result<String, Error> {
    let stats = index.stats()?;
    serde_json::to_string(&stats).map_err(|e| bad(format!("cannot serialise stats: {e}")))
}

/// `neardup scan --index DIR` (with its default boilerplate label).
pub fn scan_index(
    index: &Index,
    passages: bool,
    boilerplate_min_docs: usize,
) -> Result<Report, Error> {
    let mut options = neardup::index::IndexScanOptions::default();
    options.passages = passages;
    let mut report = index.scan(options)?;
    report.label_boilerplate(boilerplate_min_docs);
    Ok(report)
}

pub use neardup::index::StoredSignatures;

/// Path, paragraph ordinal and signature of every compared paragraph of live documents, in
/// segment order (for tests: the signatures the index stores).
pub fn stored_signatures(index: &Index) -> Result<StoredSignatures, Error> {
    index.stored_signatures()
}

/// `neardup index build`'s writer: a new index with these options' parameters.
pub fn create_index(dir: &Path, o: &ScanOptions) -> Result<IndexWriter, Error> {
    IndexWriter::create(dir, &config(o)?)
}

/// A writer on an existing index (its own parameters).
pub fn open_writer(dir: &Path) -> Result<IndexWriter, Error> {
    IndexWriter::open(dir, None)
}

/// What an add did: added, replaced, unchanged, paragraphs, generation, skipped (path,
/// reason).
pub type AddRow = (usize, usize, usize, usize, u64, Vec<(String, String)>);

fn add_row(s: AddSummary) -> AddRow {
    (
        s.added,
        s.replaced,
        s.unchanged,
        s.paragraphs,
        s.generation,
        s.skipped.into_iter().map(|k| (k.path, k.reason)).collect(),
    )
}

/// `neardup index add`, with `check` between batches (an error stops before the commit).
pub fn add_paths(
    writer: &mut IndexWriter,
    paths: &[PathBuf],
    lossy: bool,
    keep_going: bool,
    batch_bytes: usize,
    check: &mut dyn FnMut(usize, usize) -> Result<(), Error>,
) -> Result<AddRow, Error> {
    let mut input = InputOptions::default();
    input.lossy = lossy;
    input.keep_going = keep_going;
    let options = AddOptions {
        input,
        batch_bytes: batch_bytes.max(1),
    };
    writer.add_paths_checked(paths, options, check).map(add_row)
}

/// Add in-memory documents (no source file: their text is not shown in reports).
pub fn add_texts(
    writer: &mut IndexWriter,
    names: Vec<String>,
    texts: Vec<String>,
) -> Result<AddRow, Error> {
    let docs = names
        .into_iter()
        .zip(texts)
        .map(|(name, text)| neardup::index::SourceDocument {
            document: Document::from_text(name, text),
            source: None,
        })
        .collect();
    writer.add_documents(docs).map(add_row)
}

/// `neardup index compact`: whether anything was merged.
pub fn compact(writer: &mut IndexWriter) -> Result<bool, Error> {
    writer.compact()
}

/// The error a Python exception maps to: the name of the class in `neardup._errors`, the
/// message, and (for I/O) the OS error number and path.
pub struct ErrorParts {
    pub class: &'static str,
    pub message: String,
    pub errno: Option<i32>,
    pub path: Option<String>,
}

pub fn error_parts(e: &Error) -> ErrorParts {
    let message = e.to_string();
    let (class, errno, path) = match e {
        Error::Io { path, source, .. } => (
            "NeardupOSError",
            source.raw_os_error(),
            Some(path.display().to_string()),
        ),
        Error::InvalidUtf8 { path, .. } | Error::BadInput { path, .. } => {
            ("InputError", None, Some(path.display().to_string()))
        }
        Error::InvalidParameter(_) => ("InvalidParameterError", None, None),
        Error::IndexCorrupt { path, .. } => {
            ("IndexCorruptError", None, Some(path.display().to_string()))
        }
        Error::IndexLocked { path } => ("IndexLockedError", None, Some(path.display().to_string())),
        Error::IndexUsage { path, .. } => {
            ("IndexUsageError", None, Some(path.display().to_string()))
        }
        _ => ("NeardupError", None, None),
    };
    ErrorParts {
        class,
        message,
        errno,
        path,
    }
}

/// Documents as (name, text), in the scan's document order.
pub type NamedTexts = Vec<(String, String)>;

/// The documents `neardup scan PATHS` reads, named as it names them, with its skips: for a
/// distributed scan whose report must equal the scan's (`neardup.spark`, `neardup.ray`).
pub fn load_documents(
    o: &ScanOptions,
    paths: &[PathBuf],
) -> Result<(NamedTexts, Vec<neardup::ingest::Skipped>), Error> {
    let options = input_options(o);
    let mut skipped = Vec::new();
    let files = neardup::ingest::discover_with(paths, &options, &mut skipped)?;
    let docs = neardup::ingest::load_all_with(&files, &options, &mut skipped)?;
    let docs = docs
        .into_iter()
        .map(|d| {
            // The loaders hand on valid UTF-8 only (decoded, or lossy when asked).
            let text = String::from_utf8(d.bytes)
                .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
            (d.path, text)
        })
        .collect();
    Ok((docs, skipped))
}

/// The scan's report from a distributed scan's collected rows (`neardup::kernels::assemble`).
pub fn assemble(
    o: &ScanOptions,
    documents: &arrow_array::RecordBatch,
    members: &arrow_array::RecordBatch,
    links: &arrow_array::RecordBatch,
    counts: neardup::scan::Counts,
    skipped: Vec<neardup::ingest::Skipped>,
) -> Result<Report, Error> {
    let scanner = scanner(o)?;
    neardup::kernels::assemble(&scanner, documents, members, links, counts, skipped)
}
