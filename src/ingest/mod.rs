//! Ingest: paths → documents → paragraphs with byte spans.
//!
//! Input: files, directories and standard input (`-`): plain text (`.txt`, `.md`), HTML pages
//! (`.html`, `.htm`), JSONL datasets (`.jsonl`, `.ndjson`) and WARC crawls (`.warc`), each
//! possibly gzip- or zstd-compressed. Output: [`Document`]s in a deterministic order (input
//! files sorted by display path, then the order of documents within a file), and for each the
//! [`Paragraph`]s it contains, with 0-based ordinals among non-empty paragraphs, 1-based line
//! numbers and byte spans into [`Document::bytes`]. Invariants: the order of documents depends
//! only on paths and file contents, never on directory order or thread scheduling; document
//! names are unique within one load; a span always lies on UTF-8 character boundaries when the
//! text is valid UTF-8.
//!
//! What `Document::bytes` holds, and so what spans refer to, depends on the input:
//!
//! | input | `bytes` | spans refer to |
//! |---|---|---|
//! | `.txt`, `.md` | the file as on disk | the file (a BOM or CRLF line end is never part of a span) |
//! | `.gz` / `.zst` of any of these | the decompressed bytes | the decompressed file |
//! | `.html`, `.htm`, WARC records | the extracted text, UTF-8, one paragraph per line, paragraphs separated by blank lines | the extracted text ([`html`]) |
//! | `.jsonl` records | the text field's string, UTF-8 | that string |
//!
//! Submodules: [`compress`] (gzip/zstd by name and magic), [`jsonl`] (streamed records),
//! `html` (encoding detection and main-text extraction) and `warc` (crawl records), the last
//! two behind the default `html` feature.

use std::borrow::Cow;
use std::io::Read;
use std::ops::Range;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

pub mod compress;
#[cfg(feature = "html")]
pub mod html;
pub mod jsonl;
#[cfg(all(test, feature = "html"))]
mod proptests;
#[cfg(feature = "html")]
pub mod warc;

use compress::Compression;

/// How a file is cut into paragraphs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum SplitMode {
    /// Every non-empty line is a paragraph (scraped news dumps are written this way).
    #[default]
    Lines,
    /// Blocks of non-blank lines separated by blank lines are paragraphs.
    Blank,
}

/// Index of a document in scan order (sorted by display path).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DocId(pub u32);

/// One article: its name in reports and its bytes.
#[derive(Clone, Debug)]
pub struct Document {
    /// Name used in reports: relative to the directory given, `/`-separated.
    pub path: String,
    /// The file's bytes exactly as read. Paragraph spans index into this.
    pub bytes: Vec<u8>,
}

impl Document {
    /// A document from in-memory text (for library users).
    pub fn from_text(path: impl Into<String>, text: impl Into<String>) -> Self {
        Document {
            path: path.into(),
            bytes: text.into().into_bytes(),
        }
    }

    /// The text of `span`, decoded (invalid UTF-8 replaced by U+FFFD).
    pub fn text(&self, span: Range<usize>) -> Cow<'_, str> {
        let bytes = &self.bytes[span];
        // Validation runs for every paragraph a scan reads, so it uses the SIMD validator
        // (~8× std's on Arabic text); the lossy decoder only runs on invalid bytes.
        match simdutf8::basic::from_utf8(bytes) {
            Ok(s) => Cow::Borrowed(s),
            Err(_) => String::from_utf8_lossy(bytes),
        }
    }
}

/// One paragraph of a document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Paragraph {
    /// The document it belongs to.
    pub doc: DocId,
    /// 0-based index among the document's non-empty paragraphs.
    pub ordinal: u32,
    /// 1-based line number of its first line.
    pub line: u32,
    /// Byte span in the document, whitespace trimmed at both ends.
    pub span: Range<usize>,
}

/// A file that was not scanned, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Skipped {
    /// The file or directory, as in reports.
    pub path: String,
    /// Why it was skipped.
    pub reason: String,
    /// True when the skip hides an error (unreadable, undecodable); false for files skipped by
    /// design (binary files).
    pub error: bool,
}

/// A file to read, with its report name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputFile {
    /// Where it is.
    pub path: PathBuf,
    /// Its name in reports.
    pub display: String,
}

/// Plain-text extensions (read as they are).
pub const TEXT_EXTENSIONS: &[&str] = &["txt", "md"];

/// Extensions taken from directories (each also with `.gz`, `.zst`); files named explicitly are
/// read whatever their name.
#[cfg(feature = "html")]
pub const INPUT_EXTENSIONS: &[&str] = &["txt", "md", "html", "htm", "jsonl", "ndjson", "warc"];
/// Extensions taken from directories (each also with `.gz`, `.zst`); files named explicitly are
/// read whatever their name.
#[cfg(not(feature = "html"))]
pub const INPUT_EXTENSIONS: &[&str] = &["txt", "md", "jsonl", "ndjson"];

/// Bytes looked at to recognise a format.
const SNIFF_LEN: usize = 1024;

/// Name of standard input (`-` on the command line) in reports.
pub const STDIN_NAME: &str = "<stdin>";

/// What kind of input a file holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InputFormat {
    /// Decided from the name, else from the content: WARC and HTML are recognised by their
    /// first bytes, anything else is plain text.
    #[default]
    Auto,
    /// Plain text, one document.
    Text,
    /// An HTML page, one document: its extracted main text.
    Html,
    /// JSON Lines: one document per line.
    Jsonl,
    /// A WARC crawl: one document per HTML response record.
    Warc,
}

impl InputFormat {
    /// The format and compression a file name says (`Auto` when the name says nothing).
    pub fn from_name(name: &str) -> (InputFormat, Compression) {
        let (compression, inner) = Compression::from_name(name);
        let ext = Path::new(inner)
            .extension()
            .and_then(|e| e.to_str())
            .map(|e| e.to_ascii_lowercase())
            .unwrap_or_default();
        let format = match ext.as_str() {
            "txt" | "md" => InputFormat::Text,
            "html" | "htm" | "xhtml" => InputFormat::Html,
            "jsonl" | "ndjson" => InputFormat::Jsonl,
            "warc" => InputFormat::Warc,
            _ => InputFormat::Auto,
        };
        (format, compression)
    }

    /// The format the first bytes of a (decompressed) stream show.
    pub fn sniff(head: &[u8]) -> InputFormat {
        let head = head.strip_prefix(UTF8_BOM).unwrap_or(head);
        let start = head
            .iter()
            .position(|b| !b.is_ascii_whitespace())
            .unwrap_or(head.len());
        let head = &head[start..head.len().min(start + 1024)];
        if head.starts_with(b"WARC/") {
            return InputFormat::Warc;
        }
        let lower = head.to_ascii_lowercase();
        let find = |needle: &[u8]| lower.windows(needle.len()).any(|w| w == needle);
        if lower.starts_with(b"<!doctype html")
            || lower.starts_with(b"<html")
            || (lower.starts_with(b"<") && (find(b"<html") || find(b"<body")))
        {
            return InputFormat::Html;
        }
        InputFormat::Text
    }
}

/// Per-page limits that keep extraction linear in the page's size and its stack bounded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HtmlLimits {
    /// Elements nested deeper than this are flattened: their tags are dropped (a block's tag
    /// becomes a `<br>`, so paragraph breaks stay), their content kept.
    pub max_depth: usize,
    /// Elements (start tags) read from one page; the page is cut before the next one.
    pub max_elements: usize,
    /// Bytes of decoded markup read from one page; the page is cut there.
    pub max_bytes: usize,
}

/// Blink caps the DOM depth its parser builds at 512 for the same reason; real pages stay far
/// below (a few dozen levels).
pub const DEFAULT_HTML_MAX_DEPTH: usize = 512;
/// Five times readability.js's `maxElemsToParse` guard: enough for any article page.
pub const DEFAULT_HTML_MAX_ELEMENTS: usize = 500_000;
/// 64 MiB of markup: the largest real pages are a few MiB.
pub const DEFAULT_HTML_MAX_BYTES: usize = 64 << 20;

impl Default for HtmlLimits {
    fn default() -> Self {
        HtmlLimits {
            max_depth: DEFAULT_HTML_MAX_DEPTH,
            max_elements: DEFAULT_HTML_MAX_ELEMENTS,
            max_bytes: DEFAULT_HTML_MAX_BYTES,
        }
    }
}

/// Default bound on the decompressed bytes of one file or record: a gzip or zstd bomb stops
/// here rather than filling memory.
pub const DEFAULT_MAX_DOCUMENT_SIZE: u64 = 1 << 30;

/// How inputs are found and read. Start from [`InputOptions::default`] and change fields.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct InputOptions {
    /// Replace invalid UTF-8 in plain text with U+FFFD instead of failing.
    pub lossy: bool,
    /// Skip unreadable files, undecodable files and malformed records with a warning.
    pub keep_going: bool,
    /// JSONL: the field holding a document's text; a dotted path reaches into nested objects
    /// (`article.body`) and arrays (`paragraphs.0`).
    pub text_field: String,
    /// JSONL: the field naming a document (`file.jsonl#ID`); `None` names it by line number.
    pub id_field: Option<String>,
    /// Directory walks take only files matching one of these globs (default: known extensions).
    pub include: Vec<String>,
    /// Directory walks leave out files and directories matching one of these globs.
    pub exclude: Vec<String>,
    /// Directory walks skip files larger than this many bytes on disk, with a warning; it also
    /// bounds the decompressed bytes of any one file or record.
    pub max_file_size: Option<u64>,
    /// Bound on the decompressed bytes of one file or record (default
    /// [`DEFAULT_MAX_DOCUMENT_SIZE`]); over it is an error, or a skip under `keep_going`.
    pub max_document_size: u64,
    /// Limits on one HTML page (nesting depth, elements, bytes of markup).
    pub html_limits: HtmlLimits,
    /// What standard input (`-`) holds.
    pub stdin_format: InputFormat,
    /// Take plain-text files (`.txt`, `.md`) only and skip others with a warning: for
    /// commands that re-read or rewrite files by byte span (`dedup`, the index), where a span
    /// into extracted or decompressed text would not fit the file.
    pub text_only: bool,
}

impl Default for InputOptions {
    fn default() -> Self {
        InputOptions {
            lossy: false,
            keep_going: false,
            text_field: "text".into(),
            id_field: None,
            include: Vec::new(),
            exclude: Vec::new(),
            max_file_size: None,
            max_document_size: DEFAULT_MAX_DOCUMENT_SIZE,
            html_limits: HtmlLimits::default(),
            stdin_format: InputFormat::Auto,
            text_only: false,
        }
    }
}

/// Find the input files under `roots`, sorted by display path.
///
/// A directory's files are named relative to it; with several roots, each name is prefixed by
/// its root as given, so names from different roots cannot collide.
pub fn discover(
    roots: &[PathBuf],
    keep_going: bool,
    skipped: &mut Vec<Skipped>,
) -> Result<Vec<InputFile>> {
    let options = InputOptions {
        keep_going,
        ..InputOptions::default()
    };
    discover_with(roots, &options, skipped)
}

/// Find the input files under `roots`, sorted by display path, with the filters of `options`.
///
/// `-` stands for standard input (named [`STDIN_NAME`]). Directories are walked following
/// symbolic links; a link loop and a special file (FIFO, socket, device) inside a directory are
/// skipped with a warning, never followed or read. `--include`/`--exclude` globs and
/// `--max-file-size` apply to the files found in directories; a file named explicitly is
/// always read.
pub fn discover_with(
    roots: &[PathBuf],
    options: &InputOptions,
    skipped: &mut Vec<Skipped>,
) -> Result<Vec<InputFile>> {
    let keep_going = options.keep_going;
    let include = build_globs(&options.include, "--include")?;
    let exclude = build_globs(&options.exclude, "--exclude")?;
    let mut files = Vec::new();
    let prefix_roots = roots.len() > 1;
    for root in roots {
        if root.as_os_str() == "-" {
            files.push(InputFile {
                path: root.clone(),
                display: STDIN_NAME.to_string(),
            });
            continue;
        }
        let meta = match std::fs::metadata(root) {
            Ok(m) => m,
            Err(e) if keep_going => {
                skipped.push(Skipped {
                    path: slash_path(root),
                    reason: format!("cannot access: {e}"),
                    error: true,
                });
                continue;
            }
            Err(e) => match dangling_link(root) {
                Some(target) => {
                    return Err(Error::BadInput {
                        path: root.clone(),
                        line: None,
                        message: format!(
                            "broken symbolic link to {} (no such file)",
                            target.display()
                        ),
                    })
                }
                None => return Err(Error::io(root, "access", e)),
            },
        };
        if !meta.is_dir() {
            files.push(InputFile {
                path: root.clone(),
                display: slash_path(root),
            });
            continue;
        }
        let walk = walkdir::WalkDir::new(root)
            .follow_links(true)
            .sort_by_file_name()
            .into_iter()
            // An excluded directory is not descended into.
            .filter_entry(|e| {
                e.depth() == 0
                    || !e.file_type().is_dir()
                    || !matches_globs(&exclude, e.path().strip_prefix(root).unwrap_or(e.path()))
            });
        // Skips are named as the files' documents would be: relative to the root given.
        let name_of = |path: &Path| {
            if prefix_roots {
                slash_path(path)
            } else {
                slash_path(path.strip_prefix(root).unwrap_or(path))
            }
        };
        for entry in walk {
            let entry = match entry {
                Ok(entry) => entry,
                Err(e) => {
                    let path = e.path().unwrap_or(root).to_path_buf();
                    if let Some(target) = e.loop_ancestor() {
                        // Following it would walk forever; by design, not an error.
                        skipped.push(Skipped {
                            path: slash_path(&path),
                            reason: format!(
                                "symbolic link loop (points back to {})",
                                slash_path(target)
                            ),
                            error: false,
                        });
                        continue;
                    }
                    // A stale link or an entry we may not read loses nothing else: warn, list
                    // it, go on (as ripgrep does). A dangling link is no error: there is no file.
                    let (reason, error) = match dangling_link(&path) {
                        Some(target) => (
                            format!(
                                "broken symbolic link to {} (no such file)",
                                slash_path(&target)
                            ),
                            false,
                        ),
                        None => (
                            format!(
                                "cannot read: {}",
                                e.io_error()
                                    .map_or_else(|| e.to_string(), |io| io.to_string())
                            ),
                            true,
                        ),
                    };
                    skipped.push(Skipped {
                        path: name_of(&path),
                        reason,
                        error,
                    });
                    continue;
                }
            };
            let rel = entry.path().strip_prefix(root).unwrap_or(entry.path());
            let file_type = entry.file_type();
            if file_type.is_dir() {
                continue;
            }
            let wanted = if include.is_empty() {
                has_input_extension(entry.path())
            } else {
                matches_globs(&include, rel)
            };
            if !wanted || matches_globs(&exclude, rel) {
                continue;
            }
            if !file_type.is_file() {
                // Reading a FIFO would block and a device may never end.
                let reason = match entry
                    .path_is_symlink()
                    .then(|| std::fs::read_link(entry.path()).ok())
                    .flatten()
                {
                    Some(target) => format!(
                        "symbolic link to {}, not a regular file (FIFO, socket or device)",
                        slash_path(&target)
                    ),
                    None => "not a regular file (FIFO, socket or device)".into(),
                };
                skipped.push(Skipped {
                    path: name_of(entry.path()),
                    reason,
                    error: false,
                });
                continue;
            }
            if let Some(max) = options.max_file_size {
                let len = entry.metadata().map(|m| m.len()).unwrap_or(0);
                if len > max {
                    skipped.push(Skipped {
                        path: slash_path(entry.path()),
                        reason: format!("{len} bytes, over --max-file-size {max}"),
                        error: false,
                    });
                    continue;
                }
            }
            let display = if prefix_roots {
                slash_path(&root.join(rel))
            } else {
                slash_path(rel)
            };
            files.push(InputFile {
                path: entry.path().to_path_buf(),
                display,
            });
        }
    }
    if options.text_only {
        files.retain(|f| {
            let plain = f.display != STDIN_NAME && has_text_extension(&f.path);
            if !plain {
                skipped.push(Skipped {
                    path: f.display.clone(),
                    reason: "not a .txt or .md file: this command re-reads files by byte span, \
                             so it takes plain text only (scan reads every format)"
                        .into(),
                    error: false,
                });
            }
            plain
        });
    }
    files.sort_by(|a, b| a.display.cmp(&b.display));
    files.dedup_by(|a, b| a.display == b.display);
    Ok(files)
}

/// The target of `path` when it is a symbolic link whose target does not exist.
fn dangling_link(path: &Path) -> Option<PathBuf> {
    let link = std::fs::symlink_metadata(path).ok()?;
    if !link.file_type().is_symlink() || std::fs::metadata(path).is_ok() {
        return None;
    }
    std::fs::read_link(path).ok()
}

/// Whether a file is plain text by its extension (`.txt`, `.md`, any case).
fn has_text_extension(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| TEXT_EXTENSIONS.iter().any(|t| e.eq_ignore_ascii_case(t)))
}

/// Whether a directory walk takes this file by default: a known extension, optionally
/// followed by `.gz`, `.zst` or `.zstd`.
fn has_input_extension(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    let (_, inner) = Compression::from_name(&name);
    Path::new(inner)
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| INPUT_EXTENSIONS.iter().any(|t| e.eq_ignore_ascii_case(t)))
}

fn build_globs(globs: &[String], flag: &str) -> Result<globset::GlobSet> {
    let mut set = globset::GlobSetBuilder::new();
    for g in globs {
        let glob = globset::GlobBuilder::new(g)
            .literal_separator(true)
            .build()
            .map_err(|e| Error::InvalidParameter(format!("{flag} {g:?}: {e}")))?;
        set.add(glob);
    }
    set.build()
        .map_err(|e| Error::InvalidParameter(format!("{flag}: {e}")))
}

/// A glob matches a file when it matches its path relative to the walked directory, or, for a
/// glob without `/`, its name (as in `.gitignore`: `*.html` matches at any depth).
fn matches_globs(set: &globset::GlobSet, rel: &Path) -> bool {
    if set.is_empty() {
        return false;
    }
    set.is_match(rel) || rel.file_name().is_some_and(|n| set.is_match(Path::new(n)))
}

/// A path as it appears in reports: `/` separators on every platform.
pub fn slash_path(path: &Path) -> String {
    let s = path.to_string_lossy();
    let s = s.strip_prefix("./").unwrap_or(&s);
    if std::path::MAIN_SEPARATOR == '/' {
        s.to_string()
    } else {
        s.replace(std::path::MAIN_SEPARATOR, "/")
    }
}

/// What became of one input file (or one record of it).
#[derive(Debug)]
pub enum Loaded {
    /// Read and decoded.
    Document(Document),
    /// Skipped, with the reason.
    Skipped(Skipped),
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

/// Read all files in parallel, keeping their order.
pub fn load_all(
    files: &[InputFile],
    lossy: bool,
    keep_going: bool,
    skipped: &mut Vec<Skipped>,
) -> Result<Vec<Document>> {
    let options = InputOptions {
        lossy,
        keep_going,
        ..InputOptions::default()
    };
    load_all_with(files, &options, skipped)
}

/// Read all files in parallel with [`load_documents`], keeping their order (files in the order
/// given, documents in their order within a file).
///
/// Names are made unique: the second document called `N` (two WARC records of one URI, two
/// JSONL records with one id) becomes `N~2`, the third `N~3`, in document order.
pub fn load_all_with(
    files: &[InputFile],
    options: &InputOptions,
    skipped: &mut Vec<Skipped>,
) -> Result<Vec<Document>> {
    // The document boundary: a panic reading one file (a parser bug on hostile input) is
    // an error naming it, or a skip under keep_going; the other files are read all the same.
    let loaded: Vec<Result<Vec<Loaded>>> = files
        .par_iter()
        .map(|f| {
            match Error::catch_panic(&f.display, || {
                crate::error::injected_panic(&f.display);
                load_documents(f, options)
            }) {
                Err(e @ Error::Internal { .. }) if options.keep_going => {
                    Ok(vec![Loaded::Skipped(Skipped {
                        path: f.display.clone(),
                        reason: e.reason(),
                        error: true,
                    })])
                }
                other => other,
            }
        })
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

fn make_names_unique(docs: &mut [Document]) {
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
    let keep_going = options.keep_going;
    let failed = |err: Error| -> Result<Vec<Loaded>> {
        if keep_going {
            Ok(vec![Loaded::Skipped(Skipped {
                path: file.display.clone(),
                reason: err.reason(),
                error: true,
            })])
        } else {
            Err(err)
        }
    };
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
        match std::fs::File::open(&file.path) {
            Ok(f) => Box::new(f),
            Err(e) => return failed(Error::io(&file.path, "open file", e)),
        }
    };
    let (reader, found) = match compress::open_detected(source, named_compression) {
        Ok(r) => r,
        Err(e) => return failed(Error::io(&err_path, "read file", e)),
    };
    // What a compressed file decompresses to is bounded by --max-file-size, as the file on
    // disk is; each document, whatever its source, by --max-document-size.
    let mut reader: compress::Reader<'_> = match (found, options.max_file_size) {
        (Compression::None, _) | (_, None) => reader,
        (_, Some(max)) => Box::new(compress::Limited::new(reader, max, "--max-file-size")),
    };
    let format = match named_format {
        InputFormat::Auto => {
            // One fill_buf may return only a few bytes (the end of the magic-number peek, a
            // pipe's short read): read a full head, then put it back.
            let mut head = Vec::with_capacity(SNIFF_LEN);
            if let Err(e) = (&mut reader).take(SNIFF_LEN as u64).read_to_end(&mut head) {
                return failed(Error::io(&err_path, "read file", e));
            }
            let format = InputFormat::sniff(&head);
            reader = Box::new(std::io::Cursor::new(head).chain(reader));
            format
        }
        f => f,
    };
    match format {
        InputFormat::Jsonl => jsonl::read(reader, &err_path, &file.display, options),
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
    Ok(bytes)
}

/// A limit one document hit (its text was kept up to it), as a warning row in `skipped`.
#[cfg_attr(not(feature = "html"), allow(dead_code))]
fn limit_warnings(name: &str, warnings: Vec<String>) -> impl Iterator<Item = Loaded> + '_ {
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

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// Cut a document into paragraphs.
pub fn split_paragraphs(doc: DocId, bytes: &[u8], mode: SplitMode, out: &mut Vec<Paragraph>) {
    let start = if bytes.starts_with(UTF8_BOM) {
        UTF8_BOM.len()
    } else {
        0
    };
    let mut ordinal = 0u32;
    let mut push = |span: Range<usize>, line: u32| {
        out.push(Paragraph {
            doc,
            ordinal,
            line,
            span,
        });
        ordinal += 1;
    };
    // Current block for `Blank` mode: (first line number, span so far).
    let mut block: Option<(u32, Range<usize>)> = None;
    for (index, line) in lines(bytes, start).enumerate() {
        let line_no = u32::try_from(index + 1).unwrap_or(u32::MAX);
        let trimmed = trim_span(bytes, line);
        match mode {
            SplitMode::Lines => {
                if !trimmed.is_empty() {
                    push(trimmed, line_no);
                }
            }
            SplitMode::Blank => {
                if trimmed.is_empty() {
                    if let Some((first, span)) = block.take() {
                        push(span, first);
                    }
                } else {
                    match &mut block {
                        Some((_, span)) => span.end = trimmed.end,
                        None => block = Some((line_no, trimmed)),
                    }
                }
            }
        }
    }
    if let Some((first, span)) = block {
        push(span, first);
    }
}

/// Spans of the lines of `bytes[start..]`, without their `\n` or `\r\n`.
fn lines(bytes: &[u8], start: usize) -> impl Iterator<Item = Range<usize>> + '_ {
    let mut pos = start;
    let mut done = start >= bytes.len();
    std::iter::from_fn(move || {
        if done {
            return None;
        }
        let end = match bytes[pos..].iter().position(|&b| b == b'\n') {
            Some(i) => pos + i,
            None => {
                done = true;
                bytes.len()
            }
        };
        let line = pos..end;
        pos = end + 1;
        if pos >= bytes.len() {
            done = true;
        }
        Some(line)
    })
}

/// Trim whitespace (Unicode whitespace where the bytes are valid UTF-8, ASCII otherwise).
fn trim_span(bytes: &[u8], span: Range<usize>) -> Range<usize> {
    // Only the characters at the ends are decoded: validating every line again would cost a
    // pass over the corpus. An invalid sequence at an end stops the trimming there.
    let (mut start, mut end) = (span.start, span.end);
    while let Some((c, len)) = first_char(&bytes[start..end]) {
        if !c.is_whitespace() {
            break;
        }
        start += len;
    }
    while let Some((c, len)) = last_char(&bytes[start..end]) {
        if !c.is_whitespace() {
            break;
        }
        end -= len;
    }
    if start == end {
        span.start..span.start
    } else {
        start..end
    }
}

/// The first character of `bytes` and its length, when it is valid UTF-8.
fn first_char(bytes: &[u8]) -> Option<(char, usize)> {
    let len = match *bytes.first()? {
        0x00..=0x7F => 1,
        0xC0..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xF7 => 4,
        _ => return None,
    };
    let c = std::str::from_utf8(bytes.get(..len)?)
        .ok()?
        .chars()
        .next()?;
    Some((c, len))
}

/// The last character of `bytes` and its length, when it is valid UTF-8.
fn last_char(bytes: &[u8]) -> Option<(char, usize)> {
    let continuation = bytes
        .iter()
        .rev()
        .take(3)
        .take_while(|&&b| b & 0xC0 == 0x80)
        .count();
    let len = continuation + 1;
    let start = bytes.len().checked_sub(len)?;
    let c = std::str::from_utf8(&bytes[start..]).ok()?.chars().next()?;
    Some((c, len))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(text: &str, mode: SplitMode) -> Vec<(u32, u32, String)> {
        let mut out = Vec::new();
        split_paragraphs(DocId(0), text.as_bytes(), mode, &mut out);
        out.iter()
            .map(|p| (p.ordinal, p.line, text[p.span.clone()].to_string()))
            .collect()
    }

    #[test]
    fn lines_mode_skips_blank_lines_and_keeps_line_numbers() {
        let got = split("title\n\n  lead  \r\nbody\n", SplitMode::Lines);
        assert_eq!(
            got,
            vec![
                (0, 1, "title".into()),
                (1, 3, "lead".into()),
                (2, 4, "body".into())
            ]
        );
    }

    #[test]
    fn blank_mode_joins_lines_of_a_block() {
        let got = split("a\nb\n\n\nc\r\n", SplitMode::Blank);
        assert_eq!(got, vec![(0, 1, "a\nb".into()), (1, 5, "c".into())]);
    }

    #[test]
    fn bom_is_not_part_of_a_span() {
        let text = "\u{FEFF}title\nbody";
        let mut out = Vec::new();
        split_paragraphs(DocId(0), text.as_bytes(), SplitMode::Lines, &mut out);
        assert_eq!(out[0].span, 3..8);
        assert_eq!(out[0].line, 1);
    }

    #[test]
    fn empty_and_whitespace_only_inputs_have_no_paragraphs() {
        assert!(split("", SplitMode::Lines).is_empty());
        assert!(split("\n\n \t\n", SplitMode::Blank).is_empty());
        assert!(split("\u{FEFF}", SplitMode::Lines).is_empty());
    }

    #[test]
    fn unicode_whitespace_is_trimmed() {
        assert_eq!(
            split("\u{3000}نص\u{00A0}\n", SplitMode::Lines),
            vec![(0, 1, "نص".into())]
        );
    }
}
