//! Dataset dedup: a JSONL file (plain, `.gz`, `.zst`) → the same file with duplicates removed or
//! marked, every other byte kept.
//!
//! Input: one dataset file of the corpus, the [`Removal`]s of its records (from
//! [`crate::dedup::plan`]), the cluster each record belongs to, the split and [`DedupOptions`].
//! Output: the file's bytes for the cleaned corpus, in the input's compression, streamed to
//! the target's temporary file: memory holds one line (or one Parquet batch and row group)
//! and the names of the changed records, never the file. Invariants:
//! - records are named exactly as the scan named them (`ingest::jsonl`: `FILE#ID` or
//!   `FILE#LINE`, repeated names `~2`, `~3`), so removals find their record;
//! - a record with nothing removed (and every blank or unreadable line) is written as the same
//!   bytes, line end included;
//! - `--split document`: a duplicate record is dropped (remove mode);
//! - a paragraph split: only the text field's value changes — its bytes in the line are
//!   replaced by the edited string, JSON-escaped, so key order, unknown fields, escapes and
//!   numbers as written all stay; a record whose text becomes blank is dropped with
//!   `drop_empty`, else kept with the empty text;
//! - mark mode: every record gains `"neardup_cluster"` (its cluster id, null when unique) and
//!   `"neardup_duplicate"` (whether remove mode would drop or edit it), appended before its
//!   closing brace; nothing else changes.
//!
//! Parquet datasets are rewritten by `dedup::dataset_parquet` (feature `parquet`).

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, Read, Write};
use std::ops::Range;
use std::path::Path;

use serde_json::value::RawValue;

use crate::config::SplitMode;
use crate::dedup::{DedupMode, DedupOptions, Removal};
use crate::error::{Error, Result};
use crate::ingest::compress::{self, Compression};
use crate::ingest::{jsonl, Document, InputFormat};

/// A dataset file `dedup` rewrites record by record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DatasetKind {
    /// JSONL, with its compression.
    Jsonl(Compression),
    /// Parquet (feature `parquet`).
    Parquet,
}

/// Whether the file `name` is a dataset `dedup` rewrites record by record.
pub fn dataset_kind(name: &str) -> Option<DatasetKind> {
    match InputFormat::from_name(name) {
        (InputFormat::Jsonl, c) => Some(DatasetKind::Jsonl(c)),
        (InputFormat::Parquet, Compression::None) if cfg!(feature = "parquet") => {
            Some(DatasetKind::Parquet)
        }
        _ => None,
    }
}

/// Where a rewritten dataset goes (the atomic temporary file of its target), and the path
/// that names it in errors.
pub struct Output<'a> {
    /// The bytes' destination.
    pub writer: &'a mut dyn Write,
    /// The target file, for errors.
    pub path: &'a Path,
}

impl Output<'_> {
    /// Write all of `bytes`; an error names the target (the Parquet rewriter's writer).
    #[cfg(feature = "parquet")]
    pub fn write(&mut self, bytes: &[u8]) -> Result<()> {
        self.writer
            .write_all(bytes)
            .map_err(|e| Error::io(self.path, "write", e))
    }
}

/// What rewriting one dataset did.
#[derive(Debug, Default)]
pub struct Rewritten {
    /// Decompressed bytes read (Parquet: bytes of text, as in `bytes_removed`).
    pub bytes_in: u64,
    /// Records dropped or edited (or that would be, in mark mode).
    pub records_changed: usize,
    /// Paragraphs (document split: records) removed.
    pub removed: usize,
    /// Decompressed bytes removed.
    pub bytes_removed: u64,
}

/// Rewrite the JSONL file `src` (named `display` in reports) to `out`, compressed as it is.
/// `removals` maps a record name to its removals; `clusters` a record name to its (first)
/// cluster.
///
/// Two passes over the (decompressed) stream, one line in memory at a time: the first names
/// the records as the scan did (uniqueness suffixes need every name of the file), keeping the
/// names of the records something happens to and one flag per line; the second writes line
/// by line through the compressor.
#[allow(clippy::too_many_arguments)]
pub fn rewrite_jsonl(
    src: &Path,
    display: &str,
    compression: Compression,
    split: SplitMode,
    removals: &BTreeMap<&str, Vec<&Removal>>,
    clusters: &HashMap<&str, u32>,
    options: &DedupOptions,
    out: &mut Output<'_>,
) -> Result<Rewritten> {
    let open = || {
        let file = std::fs::File::open(src).map_err(|e| Error::io(src, "open file", e))?;
        compress::open_detected(Box::new(file), compression).map_err(|e| Error::io(src, "read", e))
    };
    let (records, names) = name_records(open()?.0, src, display, removals, clusters, options)?;
    let (reader, found) = open()?;
    let mut lines = Lines {
        reader,
        src,
        display,
        split,
        removals,
        clusters,
        options,
        records,
        names,
        line: Vec::new(),
        line_no: 0,
        pending: Vec::new(),
        at: 0,
        ended: false,
        failed: None,
        done: Rewritten::default(),
    };
    let written = match found {
        Compression::None => std::io::copy(&mut lines, out.writer).map(drop),
        Compression::Gzip => {
            let mut enc =
                flate2::write::GzEncoder::new(&mut *out.writer, flate2::Compression::default());
            std::io::copy(&mut lines, &mut enc).and_then(|_| enc.finish().map(drop))
        }
        Compression::Zstd => {
            // ruzstd's compressor pulls from a reader and unwraps its I/O results: `Lines`
            // never fails a read (it keeps its error and ends), nor does `Sink` a write.
            let mut sink = Sink {
                inner: &mut *out.writer,
                error: None,
            };
            let mut enc =
                ruzstd::encoding::FrameCompressor::new(ruzstd::encoding::CompressionLevel::Fastest);
            enc.set_source(&mut lines);
            enc.set_drain(&mut sink);
            enc.compress();
            drop(enc);
            sink.error.map_or(Ok(()), Err)
        }
    };
    if let Some(e) = lines.failed {
        return Err(e);
    }
    written.map_err(|e| Error::io(out.path, "write", e))?;
    Ok(lines.done)
}

/// First pass: which lines are records (as the scan read them: blank, unreadable and
/// over-long lines are not), and the unique names of those with a removal or a cluster, by
/// line number.
fn name_records(
    mut reader: impl BufRead,
    src: &Path,
    display: &str,
    removals: &BTreeMap<&str, Vec<&Removal>>,
    clusters: &HashMap<&str, u32>,
    options: &DedupOptions,
) -> Result<(Vec<bool>, HashMap<u64, String>)> {
    let input = &options.input;
    let mut named: Vec<Document> = Vec::new();
    let mut line_of: Vec<u64> = Vec::new();
    let mut records = Vec::new();
    let mut line = Vec::new();
    loop {
        line.clear();
        let (n, cut) = jsonl::read_line(&mut reader, &mut line, input.max_document_size)
            .map_err(|e| Error::io(src, "read", e))?;
        if n == 0 {
            break;
        }
        let line_no = records.len() as u64 + 1;
        let record = match cut {
            true => None,
            false => jsonl::record(&line, line_no, input).ok().flatten(),
        };
        records.push(record.is_some());
        if let Some((id, _)) = record {
            named.push(Document {
                path: format!("{display}#{id}"),
                bytes: Vec::new(),
            });
            line_of.push(line_no);
        }
    }
    crate::ingest::make_names_unique(&mut named);
    let names = named
        .into_iter()
        .zip(line_of)
        .filter(|(d, _)| {
            removals.contains_key(d.path.as_str()) || clusters.contains_key(d.path.as_str())
        })
        .map(|(d, line)| (line, d.path))
        .collect();
    Ok((records, names))
}

/// Second pass: the rewritten file's bytes, produced line by line as a reader pulls them.
struct Lines<'a> {
    reader: compress::Reader<'a>,
    src: &'a Path,
    display: &'a str,
    split: SplitMode,
    removals: &'a BTreeMap<&'a str, Vec<&'a Removal>>,
    clusters: &'a HashMap<&'a str, u32>,
    options: &'a DedupOptions,
    /// Whether each line (0-based) is a record.
    records: Vec<bool>,
    /// Names of the records with a removal or a cluster, by 1-based line number.
    names: HashMap<u64, String>,
    line: Vec<u8>,
    line_no: u64,
    /// Output of the current line not yet read, from `at`.
    pending: Vec<u8>,
    at: usize,
    ended: bool,
    /// The first error: the stream then ends, and the caller returns it.
    failed: Option<Error>,
    done: Rewritten,
}

impl Lines<'_> {
    /// Read the next line and put what it becomes in `pending`.
    fn next_line(&mut self) -> Result<()> {
        self.line.clear();
        let n = self
            .reader
            .read_until(b'\n', &mut self.line)
            .map_err(|e| Error::io(self.src, "read", e))?;
        if n == 0 {
            self.ended = true;
            return Ok(());
        }
        self.line_no += 1;
        self.done.bytes_in += n as u64;
        let line = self.line.as_slice();
        let is_record = self.records.get(self.line_no as usize - 1) == Some(&true);
        if !is_record {
            // Blank lines, and lines the scan skipped (--keep-going): written as they are.
            self.pending.extend_from_slice(line);
            return Ok(());
        }
        let name = self.names.get(&self.line_no).map_or("", String::as_str);
        let rs = self
            .removals
            .get(name)
            .map(Vec::as_slice)
            .unwrap_or_default();
        if !rs.is_empty() {
            self.done.records_changed += 1;
            self.done.removed += rs.len();
        }
        if self.options.mode == DedupMode::Mark {
            let cluster = self.clusters.get(name).copied();
            self.pending
                .extend_from_slice(&mark(line, cluster, !rs.is_empty()));
            return Ok(());
        }
        if rs.is_empty() {
            self.pending.extend_from_slice(line);
            return Ok(());
        }
        if self.split == SplitMode::Document {
            self.done.bytes_removed += line.len() as u64;
            return Ok(());
        }
        let bad = |message: String| Error::BadInput {
            path: self.src.to_path_buf(),
            line: Some(self.line_no),
            message,
        };
        let text = match jsonl::record(line, self.line_no, &self.options.input) {
            Ok(Some((_, text))) => text,
            Ok(None) => return Err(bad(format!("record {name}: changed during the run"))),
            Err(message) => return Err(bad(format!("record {name}: {message}"))),
        };
        let record = name
            .strip_prefix(self.display)
            .and_then(|r| r.strip_prefix('#'))
            .unwrap_or(name);
        let ranges = crate::dedup::deletion_ranges(
            Path::new(&format!("{}#{record}", self.src.display())),
            text.as_bytes(),
            self.split,
            rs,
        )?;
        let edited = crate::dedup::apply(text.as_bytes(), &ranges);
        self.done.bytes_removed += (text.len() - edited.len()) as u64;
        let edited = String::from_utf8_lossy(&edited);
        if self.options.drop_empty && edited.trim().is_empty() {
            return Ok(());
        }
        let place = field_span(line, &self.options.input.text_field)
            .ok_or_else(|| bad(format!("record {name}: cannot find the text field to edit")))?;
        self.pending.extend_from_slice(&line[..place.start]);
        let value = serde_json::to_string(&edited).unwrap_or_default();
        self.pending.extend_from_slice(value.as_bytes());
        self.pending.extend_from_slice(&line[place.end..]);
        Ok(())
    }
}

impl Read for Lines<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.at == self.pending.len() {
            if self.ended || self.failed.is_some() {
                return Ok(0);
            }
            self.pending.clear();
            self.at = 0;
            if let Err(e) = self.next_line() {
                self.failed = Some(e);
                return Ok(0);
            }
        }
        let n = buf.len().min(self.pending.len() - self.at);
        buf[..n].copy_from_slice(&self.pending[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

/// A writer that never fails: it keeps the first error and drops what follows.
struct Sink<'a> {
    inner: &'a mut dyn Write,
    error: Option<std::io::Error>,
}

impl Write for Sink<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.error.is_none() {
            if let Err(e) = self.inner.write_all(buf) {
                self.error = Some(e);
            }
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The byte span, in `line`, of the JSON value at the dotted `path` (as
/// [`jsonl::lookup`] finds it: a whole key first, then one level per part).
fn field_span(line: &[u8], path: &str) -> Option<Range<usize>> {
    let text = std::str::from_utf8(line).ok()?;
    let body = text.trim_start_matches('\u{FEFF}').trim();
    let base = text.as_ptr() as usize;
    let at = |raw: &RawValue| {
        let start = raw.get().as_ptr() as usize - base;
        start..start + raw.get().len()
    };
    let top: HashMap<String, &RawValue> = serde_json::from_str(body).ok()?;
    if let Some(raw) = top.get(path) {
        return Some(at(raw));
    }
    let mut current: &RawValue = serde_json::from_str(body).ok()?;
    for part in path.split('.') {
        current = if let Ok(map) = serde_json::from_str::<HashMap<String, &RawValue>>(current.get())
        {
            map.get(part).copied()?
        } else {
            let items: Vec<&RawValue> = serde_json::from_str(current.get()).ok()?;
            items.get(part.parse::<usize>().ok()?).copied()?
        };
    }
    Some(at(current))
}

/// `line` with `"neardup_cluster"` and `"neardup_duplicate"` added before its closing brace.
fn mark(line: &[u8], cluster: Option<u32>, duplicate: bool) -> Vec<u8> {
    let Some(close) = line.iter().rposition(|&b| b == b'}') else {
        return line.to_vec();
    };
    let inner = &line[..close];
    let empty = inner
        .iter()
        .rev()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|&b| b == b'{');
    let cluster = cluster.map_or("null".to_string(), |c| c.to_string());
    let mut out = Vec::with_capacity(line.len() + 64);
    out.extend_from_slice(inner);
    out.extend_from_slice(
        format!(
            "{}\"neardup_cluster\":{cluster},\"neardup_duplicate\":{duplicate}",
            if empty { "" } else { "," }
        )
        .as_bytes(),
    );
    out.extend_from_slice(&line[close..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_spans_point_into_the_line() {
        let line = br#"{"a": 1, "t": "x\u00e9", "m": {"b": ["p", "q"]}}"#;
        let s = |p| field_span(line, p).map(|r| String::from_utf8_lossy(&line[r]).into_owned());
        assert_eq!(s("t").as_deref(), Some(r#""x\u00e9""#));
        assert_eq!(s("m.b.1").as_deref(), Some(r#""q""#));
        assert_eq!(s("zz"), None);
    }

    #[test]
    fn mark_appends_before_the_brace() {
        assert_eq!(
            mark(b"{\"a\":1}\r\n", Some(3), true),
            b"{\"a\":1,\"neardup_cluster\":3,\"neardup_duplicate\":true}\r\n"
        );
        assert_eq!(
            mark(b"{ }", None, false),
            b"{ \"neardup_cluster\":null,\"neardup_duplicate\":false}"
        );
    }
}
