//! Ingest: paths → documents → paragraphs with byte spans.
//!
//! Input: files and directories. Output: [`Document`]s sorted by their display path, and for
//! each the [`Paragraph`]s it contains, with 0-based ordinals among non-empty paragraphs,
//! 1-based line numbers and byte spans into the file exactly as it is on disk (a BOM or CRLF
//! line ends are never part of a span). Invariants: the order of documents depends only on
//! their paths, never on directory order or thread scheduling; a span always lies on UTF-8
//! character boundaries when the file is valid UTF-8.

use std::borrow::Cow;
use std::ops::Range;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::config::SplitMode;
use crate::error::{Error, Result};

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
        String::from_utf8_lossy(&self.bytes[span])
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

/// Extensions taken from directories; files named explicitly are read whatever their name.
pub const TEXT_EXTENSIONS: &[&str] = &["txt", "md"];

/// Find the input files under `roots`, sorted by display path.
///
/// A directory's files are named relative to it; with several roots, each name is prefixed by
/// its root as given, so names from different roots cannot collide.
pub fn discover(
    roots: &[PathBuf],
    keep_going: bool,
    skipped: &mut Vec<Skipped>,
) -> Result<Vec<InputFile>> {
    let mut files = Vec::new();
    let prefix_roots = roots.len() > 1;
    for root in roots {
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
            Err(e) => return Err(Error::io(root, "access", e)),
        };
        if !meta.is_dir() {
            files.push(InputFile {
                path: root.clone(),
                display: slash_path(root),
            });
            continue;
        }
        for entry in walkdir::WalkDir::new(root)
            .follow_links(true)
            .sort_by_file_name()
        {
            let entry = match entry {
                Ok(entry) => entry,
                Err(e) => {
                    let path = e.path().unwrap_or(root).to_path_buf();
                    if keep_going {
                        skipped.push(Skipped {
                            path: slash_path(&path),
                            reason: format!("cannot read: {e}"),
                            error: true,
                        });
                        continue;
                    }
                    let source = e
                        .into_io_error()
                        .unwrap_or_else(|| std::io::Error::other("filesystem loop"));
                    return Err(Error::io(path, "read directory", source));
                }
            };
            if !entry.file_type().is_file() || !has_text_extension(entry.path()) {
                continue;
            }
            let rel = entry.path().strip_prefix(root).unwrap_or(entry.path());
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
    files.sort_by(|a, b| a.display.cmp(&b.display));
    files.dedup_by(|a, b| a.display == b.display);
    Ok(files)
}

fn has_text_extension(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| TEXT_EXTENSIONS.iter().any(|t| e.eq_ignore_ascii_case(t)))
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

/// What became of one input file.
pub enum Loaded {
    /// Read and decoded.
    Document(Document),
    /// Skipped, with the reason.
    Skipped(Skipped),
}

/// Read and check one file. Binary files (with a NUL byte) are skipped with a warning; invalid
/// UTF-8 is an error unless `lossy`; read and decode errors become skips under `keep_going`.
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
    if let Some(at) = bytes.iter().position(|&b| b == 0) {
        return Ok(Loaded::Skipped(Skipped {
            path: file.display.clone(),
            reason: format!("binary file (NUL byte at offset {at})"),
            error: false,
        }));
    }
    if !lossy {
        if let Err(e) = std::str::from_utf8(&bytes) {
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
    let loaded: Vec<Result<Loaded>> = files
        .par_iter()
        .map(|f| load(f, lossy, keep_going))
        .collect();
    let mut docs = Vec::with_capacity(files.len());
    for item in loaded {
        match item? {
            Loaded::Document(d) => docs.push(d),
            Loaded::Skipped(s) => skipped.push(s),
        }
    }
    Ok(docs)
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
    let slice = &bytes[span.clone()];
    match std::str::from_utf8(slice) {
        Ok(s) => {
            let lead = s.len() - s.trim_start().len();
            let trail = s.len() - s.trim_end().len();
            if lead == s.len() {
                span.start..span.start
            } else {
                span.start + lead..span.end - trail
            }
        }
        Err(_) => {
            let lead = slice.iter().take_while(|b| b.is_ascii_whitespace()).count();
            if lead == slice.len() {
                return span.start..span.start;
            }
            let trail = slice
                .iter()
                .rev()
                .take_while(|b| b.is_ascii_whitespace())
                .count();
            span.start + lead..span.end - trail
        }
    }
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
