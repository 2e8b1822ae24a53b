//! Ingest: paths → documents → paragraphs with byte spans.
//!
//! Input: files, directories and standard input (`-`): plain text (`.txt`, `.md`), HTML pages
//! (`.html`, `.htm`), JSONL datasets (`.jsonl`, `.ndjson`) and WARC crawls (`.warc`), each
//! possibly gzip- or zstd-compressed. Output: [`Document`]s in a deterministic order (input
//! files sorted by display path, then the order of documents within a file), and for each the
//! [`Paragraph`]s it contains, with 0-based ordinals among non-empty paragraphs, 1-based line
//! numbers and byte spans into [`Document::bytes`]. Invariants: the order of documents depends
//! only on paths and file contents, never on directory order or thread scheduling; document
//! names are unique within one load and follow one rule, [`slash_path`] (names as given, as
//! ripgrep does); a span always lies on UTF-8 character boundaries when the text is valid
//! UTF-8.
//!
//! What `Document::bytes` holds, and so what spans refer to, depends on the input:
//!
//! | input | `bytes` | spans refer to |
//! |---|---|---|
//! | `.txt`, `.md` | the file as on disk | the file (a BOM or CRLF line end is never part of a span) |
//! | `.gz` / `.zst` of any of these | the decompressed bytes | the decompressed file |
//! | `.html`, `.htm`, WARC records | the extracted text, UTF-8, one paragraph per line, paragraphs separated by blank lines | the extracted text ([`html`]) |
//! | `.jsonl` records | the text field's string, UTF-8 | that string |
//! | `.parquet` rows | the text column's string (a `list<string>` column: its items joined by blank lines) | that text |
//!
//! Entry points: [`InputOptions`] (how inputs are found and read), [`discover_with`] (paths →
//! [`InputFile`]s), [`load_all_with`] (files → [`Document`]s), [`split_paragraphs`]
//! (a document → [`Paragraph`]s) and [`slash_path`] (the naming rule). The submodules are
//! crate-private except `html`: `compress` (gzip/zstd by name and magic), `jsonl` (streamed
//! records), `parquet` (streamed row groups, feature `parquet`), `html` (encoding detection and
//! main-text extraction) and `warc` (crawl records), the last two behind the default `html`
//! feature.

use std::borrow::Cow;
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub(crate) mod compress;
mod discover;
#[cfg(feature = "html")]
pub mod html;
pub(crate) mod jsonl;
mod load;
#[cfg(feature = "parquet")]
pub(crate) mod parquet;
#[cfg(all(test, feature = "html"))]
mod proptests;
mod split;
#[cfg(feature = "html")]
pub(crate) mod warc;

use compress::Compression;
pub use discover::discover_with;
pub use load::load_all_with;
pub(crate) use load::{guarded, load, make_names_unique, Loaded};
pub use split::split_paragraphs;

/// How a file is cut into paragraphs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum SplitMode {
    /// Every non-empty line is a paragraph (scraped news dumps are written this way).
    #[default]
    Lines,
    /// Blocks of non-blank lines separated by blank lines are paragraphs.
    Blank,
    /// The whole document (a file, a JSONL or Parquet record, a WARC record) is one unit,
    /// normalised and shingled as one text: near-duplicate documents rather than paragraphs.
    Document,
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
    /// The file or directory as in reports, or one record of a file (`file.jsonl:LINE`,
    /// `file.parquet#ROW`); the reason says which records of a WARC file were left out.
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
    /// A Parquet dataset: one document per row (a file on disk, never standard input).
    Parquet,
}

impl InputFormat {
    /// The format and compression a file name says (`Auto` when the name says nothing).
    pub(crate) fn from_name(name: &str) -> (InputFormat, Compression) {
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
            "parquet" => InputFormat::Parquet,
            _ => InputFormat::Auto,
        };
        (format, compression)
    }

    /// The format the first bytes of a (decompressed) stream show.
    pub(crate) fn sniff(head: &[u8]) -> InputFormat {
        let head = head.strip_prefix(UTF8_BOM).unwrap_or(head);
        let start = head
            .iter()
            .position(|b| !b.is_ascii_whitespace())
            .unwrap_or(head.len());
        let head = &head[start..head.len().min(start + 1024)];
        if head.starts_with(b"WARC/") {
            return InputFormat::Warc;
        }
        if head.starts_with(b"PAR1") {
            return InputFormat::Parquet;
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
    /// With `text_only`, also take JSONL (plain, `.gz`, `.zst`) and Parquet datasets, whose
    /// records `dedup` rewrites one by one.
    pub datasets: bool,
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
            datasets: false,
        }
    }
}

impl InputOptions {
    /// Refuse the options a reader of plain text only cannot honour (JSONL and Parquet fields,
    /// directory filters, standard input's format), rather than ignore them silently: the index
    /// re-reads its sources by byte span, so it takes `.txt` and `.md` files only, and of
    /// these options `lossy` and `keep_going`. `command` names the caller in the error.
    pub fn check_plain_text_only(&self, command: &str) -> crate::error::Result<()> {
        let d = InputOptions::default();
        if self.text_field != d.text_field
            || self.id_field.is_some()
            || !self.include.is_empty()
            || !self.exclude.is_empty()
            || self.max_file_size.is_some()
            || self.stdin_format != d.stdin_format
        {
            return Err(crate::error::Error::InvalidParameter(format!(
                "{command} reads plain-text files (.txt, .md) only, so --text-field, --id-field, \
                 --include, --exclude, --max-file-size and --stdin-format do not apply: drop \
                 them (scan without --index reads every format)"
            )));
        }
        Ok(())
    }
}

/// A path as it appears in reports: the document-naming rule, one for scan, index, dedup, eval
/// and reports.
///
/// A document is named AS GIVEN, as ripgrep, fd and `grep -r` name files: the path the user
/// typed joined with the path below it, `/`-separated on every platform, repeated separators
/// and a leading `./` dropped (`corpus/` → `corpus/a.txt`, `.` → `a.txt`, `./corpus` →
/// `corpus/a.txt`); an absolute root stays absolute. Standard input is [`STDIN_NAME`], and a
/// record of a JSONL or WARC file is named `file#ID` from its file's name. Since a name never
/// depends on the other roots of a call, names compose: an index built in several batches
/// names a document as one `scan` of its root does.
pub fn slash_path(path: &Path) -> String {
    // `components` drops repeated separators and `.` inside the path; a leading `.` is
    // dropped here. `..` is kept: resolving it would need the file system.
    let clean: PathBuf = path
        .components()
        .filter(|c| !matches!(c, std::path::Component::CurDir))
        .collect();
    if clean.as_os_str().is_empty() {
        return ".".to_string();
    }
    let s = clean.to_string_lossy();
    if std::path::MAIN_SEPARATOR == '/' {
        s.into_owned()
    } else {
        s.replace(std::path::MAIN_SEPARATOR, "/")
    }
}

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

#[cfg(test)]
mod tests {
    use super::*;

    /// The naming rule: as given, `/`-separated, a leading `./` and repeated separators dropped.
    #[test]
    fn documents_are_named_as_given() {
        for (path, name) in [
            ("corpus/a.txt", "corpus/a.txt"),
            ("./a.txt", "a.txt"),
            ("./corpus//sub/./a.txt", "corpus/sub/a.txt"),
            ("/abs/corpus/a.txt", "/abs/corpus/a.txt"),
            ("../corpus/a.txt", "../corpus/a.txt"),
            (".", "."),
        ] {
            assert_eq!(slash_path(Path::new(path)), name, "{path}");
        }
    }
}
