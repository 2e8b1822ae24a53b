//! Loading: one input file → its documents, decoded and checked.
//!
//! Input: an [`InputFile`] and [`InputOptions`]. Output: [`Loaded`] documents and skips, in the
//! order of the file (records of a JSONL or WARC file in file order). Invariants: names are
//! unique within one load; invalid UTF-8 is an error (or a lossy decode when asked); a read or
//! decode error names the file, and becomes a skip only under `keep_going`.

use std::io::Read;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::{
    compress, compress::Compression, jsonl, Document, InputFile, InputFormat, InputOptions,
    Skipped, SNIFF_LEN, STDIN_NAME,
};
#[cfg(feature = "html")]
use super::{html, warc};
use crate::error::{Error, Result};

/// What became of one input file (or one record of it).
#[derive(Debug)]
pub enum Loaded {
    /// Read and decoded.
    Document(Document),
    /// Skipped, with the reason.
    Skipped(Skipped),
}

/// The document boundary: `read` loads `file`; a panic inside it (a parser bug on hostile
/// input) becomes an error naming the file, or a skip under `keep_going`, so the other files
/// are read all the same. Every reader of files (the scan, the index) calls it.
pub(crate) fn guarded(
    file: &InputFile,
    keep_going: bool,
    read: impl FnOnce() -> Result<Vec<Loaded>>,
) -> Result<Vec<Loaded>> {
    match Error::catch_panic(&file.display, || {
        crate::error::injected_panic(&file.display);
        read()
    }) {
        Err(e @ Error::Internal { .. }) if keep_going => Ok(vec![Loaded::Skipped(Skipped {
            path: file.display.clone(),
            reason: e.reason(),
            error: true,
        })]),
        other => other,
    }
}

/// Read and check one file as one plain-text document, whatever its name. Binary files (with a
/// NUL byte) are skipped with a warning; invalid UTF-8 is an error unless `lossy`; read and
/// decode errors become skips under `keep_going`. [`load_documents`] reads every input format.
pub fn load(file: &InputFile, lossy: bool, keep_going: bool) -> Result<Loaded> {
    // Under keep_going the error becomes a skip; its reason omits the path, which the skip
    // names already.
    let failed = |err: Error, reason: String| {
        if keep_going {
            Ok(Loaded::Skipped(Skipped {
                path: file.display.clone(),
                reason,
                error: true,
            }))
        } else {
            Err(err)
        }
    };
    let bytes = match std::fs::read(&file.path) {
        Ok(b) => b,
        Err(e) => {
            let reason = format!("cannot read file: {e}");
            return failed(Error::io(&file.path, "read file", e), reason);
        }
    };
    if let Some(at) = memchr::memchr(0, &bytes) {
        return Ok(Loaded::Skipped(Skipped {
            path: file.display.clone(),
            reason: format!("binary file (NUL byte at offset {at})"),
            error: false,
        }));
    }
    if !lossy {
        if let Err(e) = simdutf8::compat::from_utf8(&bytes) {
            let offset = e.valid_up_to();
            return failed(
                Error::InvalidUtf8 {
                    path: file.path.clone(),
                    offset,
                },
                format!("invalid UTF-8 at byte offset {offset} (--lossy replaces it)"),
            );
        }
    }
    Ok(Loaded::Document(Document {
        path: file.display.clone(),
        bytes,
    }))
}

/// Read all files in parallel with `load_documents`, keeping their order (files in the order
/// given, documents in their order within a file).
///
/// Names are made unique: the second document called `N` (two WARC records of one URI, two
/// JSONL records with one id) becomes `N~2`, the third `N~3`, in document order.
pub fn load_all_with(
    files: &[InputFile],
    options: &InputOptions,
    skipped: &mut Vec<Skipped>,
) -> Result<Vec<Document>> {
    let loaded: Vec<Result<Vec<Loaded>>> = files
        .par_iter()
        .map(|f| guarded(f, options.keep_going, || load_documents(f, options)))
        .collect();
    let mut docs = Vec::with_capacity(files.len());
    for item in loaded {
        for one in item? {
            match one {
                Loaded::Document(d) => docs.push(d),
                Loaded::Skipped(s) => skipped.push(s),
            }
        }
    }
    make_names_unique(&mut docs);
    Ok(docs)
}

pub(crate) fn make_names_unique(docs: &mut [Document]) {
    let mut seen: rustc_hash::FxHashMap<String, u32> = rustc_hash::FxHashMap::default();
    seen.reserve(docs.len());
    for d in docs.iter() {
        seen.entry(d.path.clone()).or_insert(0);
    }
    if seen.len() == docs.len() {
        return;
    }
    for d in docs.iter_mut() {
        let count = seen.get_mut(&d.path).map(|c| {
            *c += 1;
            *c
        });
        if let Some(n @ 2..) = count {
            let mut name = format!("{}~{n}", d.path);
            // `N~2` may itself be taken by another document: count on.
            let mut k = n;
            while seen.contains_key(&name) {
                k += 1;
                name = format!("{}~{k}", d.path);
            }
            seen.insert(name.clone(), 1);
            d.path = name;
        }
    }
}

/// Read one input of any format: plain text, HTML, JSONL or WARC, compressed or not, or
/// standard input when its path is `-`. Returns its documents and skips in order.
///
/// The format comes from the name (after `.gz`/`.zst`), else from the first bytes
/// ([`InputFormat::sniff`]); compression from the magic number, checked against the name.
/// Errors name the file (and the line, for JSONL); under `keep_going` they become skips.
pub fn load_documents(file: &InputFile, options: &InputOptions) -> Result<Vec<Loaded>> {
    match open_input(file, options) {
        Ok(opened) => read_opened(file, opened, options),
        Err(err) => fail_or_skip(file, options.keep_going, err),
    }
}

/// An input opened for reading: decompressed, bounded, its format decided.
struct Opened<'a> {
    reader: compress::Reader<'a>,
    format: InputFormat,
    /// The compression the magic number showed.
    found: Compression,
    /// The path errors name ([`STDIN_NAME`] for standard input).
    err_path: PathBuf,
    is_stdin: bool,
}

/// `err` as the error it is, or as a skip of the whole file under `keep_going`.
fn fail_or_skip(file: &InputFile, keep_going: bool, err: Error) -> Result<Vec<Loaded>> {
    if keep_going {
        Ok(vec![Loaded::Skipped(Skipped {
            path: file.display.clone(),
            reason: err.reason(),
            error: true,
        })])
    } else {
        Err(err)
    }
}

/// Open `file` (or standard input), decompress it by its magic number, bound it by
/// `--max-file-size`, and decide its format from its name, else from its first bytes.
fn open_input<'a>(file: &InputFile, options: &InputOptions) -> Result<Opened<'a>> {
    let is_stdin = file.path.as_os_str() == "-";
    let (named_format, named_compression) = if is_stdin {
        (options.stdin_format, Compression::None)
    } else {
        let name = file
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        InputFormat::from_name(&name)
    };
    let err_path = if is_stdin {
        PathBuf::from(STDIN_NAME)
    } else {
        file.path.clone()
    };
    let source: Box<dyn Read + Send> = if is_stdin {
        Box::new(std::io::stdin())
    } else {
        std::fs::File::open(&file.path)
            .map(Box::new)
            .map_err(|e| Error::io(&file.path, "open file", e))?
    };
    let (reader, found) = compress::open_detected(source, named_compression)
        .map_err(|e| Error::io(&err_path, "read file", e))?;
    // What a compressed file decompresses to is bounded by --max-file-size, as the file on
    // disk is; each document, whatever its source, by --max-document-size.
    let mut reader: compress::Reader<'a> = match (found, options.max_file_size) {
        (Compression::None, _) | (_, None) => reader,
        (_, Some(max)) => Box::new(compress::Limited::new(reader, max, "--max-file-size")),
    };
    let format = match named_format {
        InputFormat::Auto => {
            // One fill_buf may return only a few bytes (the end of the magic-number peek, a
            // pipe's short read): read a full head, then put it back.
            let mut head = Vec::with_capacity(SNIFF_LEN);
            (&mut reader)
                .take(SNIFF_LEN as u64)
                .read_to_end(&mut head)
                .map_err(|e| Error::io(&err_path, "read file", e))?;
            let format = InputFormat::sniff(&head);
            reader = Box::new(std::io::Cursor::new(head).chain(reader));
            format
        }
        f => f,
    };
    Ok(Opened {
        reader,
        format,
        found,
        err_path,
        is_stdin,
    })
}

/// Read an opened input by its format: its documents and skips in order.
fn read_opened(
    file: &InputFile,
    opened: Opened<'_>,
    options: &InputOptions,
) -> Result<Vec<Loaded>> {
    let failed = |err: Error| fail_or_skip(file, options.keep_going, err);
    let Opened {
        reader,
        format,
        found,
        err_path,
        is_stdin,
    } = opened;
    match format {
        InputFormat::Jsonl => jsonl::read(reader, &err_path, &file.display, options),
        // Parquet is read by seeking in the file, not from the stream opened above.
        InputFormat::Parquet if is_stdin || found != Compression::None => failed(Error::BadInput {
            path: err_path,
            line: None,
            message: "Parquet is read from a file on disk, uncompressed (it compresses its own \
                      pages): give the .parquet file itself, not standard input or a .gz/.zst"
                .into(),
        }),
        #[cfg(feature = "parquet")]
        InputFormat::Parquet => {
            super::parquet::read(&file.path, &file.display, options).or_else(failed)
        }
        #[cfg(not(feature = "parquet"))]
        InputFormat::Parquet => failed(Error::BadInput {
            path: err_path,
            line: None,
            message: "Parquet input needs neardup built with the `parquet` feature \
                      (cargo build --features parquet)"
                .into(),
        }),
        #[cfg(feature = "html")]
        InputFormat::Warc => warc::read(reader, &err_path, &file.display, options),
        #[cfg(feature = "html")]
        InputFormat::Html => {
            let bytes = match read_document(reader, options) {
                Ok(b) => b,
                Err(e) => return failed(Error::io(&err_path, "read file", e)),
            };
            let (text, warnings) = html::page_text_with(&bytes, None, &options.html_limits);
            let mut out = vec![Loaded::Document(Document {
                path: file.display.clone(),
                bytes: text.into_bytes(),
            })];
            out.extend(limit_warnings(&file.display, warnings));
            Ok(out)
        }
        #[cfg(not(feature = "html"))]
        InputFormat::Html | InputFormat::Warc => failed(Error::BadInput {
            path: err_path,
            line: None,
            message: "HTML and WARC input need neardup built with the `html` feature \
                      (cargo build --features html)"
                .into(),
        }),
        InputFormat::Text | InputFormat::Auto => {
            let bytes = match read_document(reader, options) {
                Ok(b) => b,
                Err(e) => return failed(Error::io(&err_path, "read file", e)),
            };
            Ok(vec![check_text(file, &err_path, bytes, options)?])
        }
    }
}

/// Read a whole stream as one document, bounded by `--max-document-size`.
fn read_document(reader: impl Read, options: &InputOptions) -> std::io::Result<Vec<u8>> {
    let limit = options.max_document_size;
    let mut bytes = Vec::new();
    reader
        .take(limit.saturating_add(1))
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(compress::over_limit(limit, "--max-document-size"));
    }
    // `read_to_end` grows the buffer by doubling, so it ends up to twice the text; the scan
    // holds every document until the report is written, and the spare capacity was a third
    // of its peak memory on the generated corpora.
    bytes.shrink_to_fit();
    Ok(bytes)
}

/// A limit one document hit (its text was kept up to it), as a warning row in `skipped`.
#[cfg_attr(not(feature = "html"), allow(dead_code))]
pub(super) fn limit_warnings(
    name: &str,
    warnings: Vec<String>,
) -> impl Iterator<Item = Loaded> + '_ {
    warnings.into_iter().map(move |reason| {
        Loaded::Skipped(Skipped {
            path: name.to_string(),
            reason: format!("partly read: {reason}"),
            error: false,
        })
    })
}

/// The checks of plain text: a NUL byte means a binary file (skipped); invalid UTF-8 is an
/// error unless `lossy`.
fn check_text(
    file: &InputFile,
    err_path: &Path,
    bytes: Vec<u8>,
    options: &InputOptions,
) -> Result<Loaded> {
    if let Some(at) = memchr::memchr(0, &bytes) {
        return Ok(Loaded::Skipped(Skipped {
            path: file.display.clone(),
            reason: format!("binary file (NUL byte at offset {at})"),
            error: false,
        }));
    }
    if !options.lossy {
        if let Err(e) = simdutf8::compat::from_utf8(&bytes) {
            let offset = e.valid_up_to();
            if options.keep_going {
                return Ok(Loaded::Skipped(Skipped {
                    path: file.display.clone(),
                    reason: format!("invalid UTF-8 at byte offset {offset} (--lossy replaces it)"),
                    error: true,
                }));
            }
            return Err(Error::InvalidUtf8 {
                path: err_path.to_path_buf(),
                offset,
            });
        }
    }
    Ok(Loaded::Document(Document {
        path: file.display.clone(),
        bytes,
    }))
}
