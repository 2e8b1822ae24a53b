//! Dataset dedup: a JSONL file (plain, `.gz`, `.zst`) → the same file with duplicates removed or
//! marked, every other byte kept.
//!
//! Input: one dataset file of the corpus, the [`Removal`]s of its records (from
//! [`crate::dedup::plan`]), the cluster each record belongs to, the split and [`DedupOptions`].
//! Output: the file's bytes for the cleaned corpus, in the input's compression. Invariants:
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
//! Parquet datasets are rewritten by `crate::dataset_parquet` (feature `parquet`).

use std::collections::{BTreeMap, HashMap};
use std::io::{Read, Write};
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

/// What rewriting one dataset did.
#[derive(Debug, Default)]
pub struct Rewritten {
    /// The file's new bytes (compressed as the input was).
    pub bytes: Vec<u8>,
    /// Decompressed bytes read.
    pub bytes_in: u64,
    /// Records dropped or edited (or that would be, in mark mode).
    pub records_changed: usize,
    /// Paragraphs (document split: records) removed.
    pub removed: usize,
    /// Decompressed bytes removed.
    pub bytes_removed: u64,
}

/// Rewrite the JSONL file `src` (named `display` in reports). `removals` maps a record name to
/// its removals; `clusters` a record name to its (first) cluster.
pub fn rewrite_jsonl(
    src: &Path,
    display: &str,
    compression: Compression,
    split: SplitMode,
    removals: &BTreeMap<&str, Vec<&Removal>>,
    clusters: &HashMap<&str, u32>,
    options: &DedupOptions,
) -> Result<Rewritten> {
    let file = std::fs::File::open(src).map_err(|e| Error::io(src, "open file", e))?;
    let (mut reader, found) = compress::open_detected(Box::new(file), compression)
        .map_err(|e| Error::io(src, "read", e))?;
    let mut data = Vec::new();
    reader
        .read_to_end(&mut data)
        .map_err(|e| Error::io(src, "read", e))?;
    let lines = line_spans(&data);
    // Name records as the scan did, uniqueness suffixes included.
    let mut named: Vec<Document> = Vec::new();
    let mut record_of_line: Vec<Option<(usize, String)>> = Vec::with_capacity(lines.len());
    for (i, span) in lines.iter().enumerate() {
        match jsonl::record(&data[span.clone()], i as u64 + 1, &options.input) {
            Ok(Some((id, text))) => {
                record_of_line.push(Some((named.len(), text)));
                named.push(Document {
                    path: format!("{display}#{id}"),
                    bytes: Vec::new(),
                });
            }
            // Blank lines, and lines the scan skipped (--keep-going): written as they are.
            _ => record_of_line.push(None),
        }
    }
    crate::ingest::make_names_unique(&mut named);

    let mut out = Rewritten {
        bytes_in: data.len() as u64,
        ..Rewritten::default()
    };
    let mut written: Vec<u8> = Vec::with_capacity(data.len());
    for (span, record) in lines.iter().zip(record_of_line) {
        let line = &data[span.clone()];
        let Some((doc, text)) = record else {
            written.extend_from_slice(line);
            continue;
        };
        let name = named[doc].path.as_str();
        let rs = removals.get(name).map(Vec::as_slice).unwrap_or_default();
        let cluster = clusters.get(name).copied();
        if options.mode == DedupMode::Mark {
            written.extend_from_slice(&mark(line, cluster, !rs.is_empty()));
            if !rs.is_empty() {
                out.records_changed += 1;
                out.removed += rs.len();
            }
            continue;
        }
        if rs.is_empty() {
            written.extend_from_slice(line);
            continue;
        }
        out.records_changed += 1;
        out.removed += rs.len();
        if split == SplitMode::Document {
            out.bytes_removed += line.len() as u64;
            continue;
        }
        let ranges = crate::dedup::deletion_ranges(
            Path::new(&format!("{}#{}", src.display(), &name[display.len() + 1..])),
            text.as_bytes(),
            split,
            rs,
        )?;
        let edited = crate::dedup::apply(text.as_bytes(), &ranges);
        out.bytes_removed += (text.len() - edited.len()) as u64;
        let edited = String::from_utf8_lossy(&edited);
        if options.drop_empty && edited.trim().is_empty() {
            continue;
        }
        let place = field_span(line, &options.input.text_field).ok_or_else(|| Error::BadInput {
            path: src.to_path_buf(),
            line: None,
            message: format!("record {name}: cannot find the text field to edit"),
        })?;
        written.extend_from_slice(&line[..place.start]);
        let value = serde_json::to_string(&edited).unwrap_or_default();
        written.extend_from_slice(value.as_bytes());
        written.extend_from_slice(&line[place.end..]);
    }
    out.bytes = match found {
        Compression::None => written,
        Compression::Gzip => {
            let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            enc.write_all(&written)
                .and_then(|()| enc.finish())
                .map_err(|e| Error::io(src, "compress", e))?
        }
        Compression::Zstd => ruzstd::encoding::compress_to_vec(
            written.as_slice(),
            ruzstd::encoding::CompressionLevel::Fastest,
        ),
    };
    Ok(out)
}

/// Spans of the lines of `data`, each with its line end.
fn line_spans(data: &[u8]) -> Vec<Range<usize>> {
    let mut spans = Vec::new();
    let mut start = 0;
    for i in memchr::memchr_iter(b'\n', data) {
        spans.push(start..i + 1);
        start = i + 1;
    }
    if start < data.len() {
        spans.push(start..data.len());
    }
    spans
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
