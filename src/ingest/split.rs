//! Splitting: a document's bytes → paragraphs with byte spans.
//!
//! Input: the bytes of one [`super::Document`] and a [`SplitMode`]. Output: [`Paragraph`]s with
//! 0-based ordinals among non-empty paragraphs, 1-based line numbers and byte spans. Invariants:
//! a span never holds a BOM, a line end or leading/trailing whitespace, and lies on UTF-8
//! character boundaries when the text is valid UTF-8.

use std::ops::Range;

use super::{DocId, Paragraph, SplitMode, UTF8_BOM};

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
    // Current block for `Blank` and `Document` modes: (first line number, span so far).
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
            // One block from the first non-blank line to the last: blank lines inside the
            // document are part of its text (whitespace to the normaliser).
            SplitMode::Document => {
                if !trimmed.is_empty() {
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
    fn document_mode_is_one_unit_from_first_to_last_text() {
        let got = split("\n  title\n\nlead\r\n\n body \n\n", SplitMode::Document);
        assert_eq!(got, vec![(0, 2, "title\n\nlead\r\n\n body".into())]);
        assert!(split(" \n\t\n", SplitMode::Document).is_empty());
        let mut out = Vec::new();
        split_paragraphs(
            DocId(0),
            "\u{FEFF}doc".as_bytes(),
            SplitMode::Document,
            &mut out,
        );
        assert_eq!(out[0].span, 3..6);
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
