//! CSV report: one row per cluster member, for spreadsheets and data frames.
//!
//! Input: a [`Report`]. Output: RFC 4180 CSV (written by the `csv` crate, so commas, quotes
//! and line breaks inside paragraphs are quoted) with a header row:
//! `cluster,kind,scope,boilerplate,path,paragraph,line,byte_start,byte_end,similarity,text`.
//! Invariants: rows in report order (clusters by representative, members by path then
//! paragraph), then, with `--passages`, one row per passage span; `paragraph` is 0-based as in JSON; numbers are written as JSON writes them.
//! Text is written as it is: a spreadsheet may treat a cell starting with `=` as a formula.

use std::io::{self, Write};

use super::{serde_plain, Report};

/// The header row.
pub const HEADER: [&str; 11] = [
    "cluster",
    "kind",
    "scope",
    "boilerplate",
    "path",
    "paragraph",
    "line",
    "byte_start",
    "byte_end",
    "similarity",
    "text",
];

/// Write `report` as CSV.
pub fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let mut w = ::csv::Writer::from_writer(out);
    w.write_record(HEADER)?;
    for c in &report.clusters {
        let (id, kind, scope) = (
            c.id.to_string(),
            serde_plain(&c.kind),
            serde_plain(&c.scope),
        );
        let boilerplate = if c.boilerplate { "true" } else { "false" };
        for m in &c.members {
            w.write_record([
                id.as_str(),
                &kind,
                &scope,
                boilerplate,
                &m.path,
                &m.paragraph.to_string(),
                &m.line.to_string(),
                &m.byte_start.to_string(),
                &m.byte_end.to_string(),
                &serde_json::to_string(&m.similarity).unwrap_or_default(),
                &m.text,
            ])?;
        }
    }
    // Passage clusters (`--passages`) follow, one row per span: `kind` is `passage`, the
    // cluster number is prefixed with `~` as in the text report, `paragraph`/`line` are where
    // the span starts, and `similarity` is empty (a span has no similarity of its own; the
    // JSON report's links give containment).
    for c in report.passages.iter().flat_map(|p| &p.clusters) {
        let (id, scope) = (format!("~{}", c.id), serde_plain(&c.scope));
        for span in &c.spans {
            w.write_record([
                id.as_str(),
                "passage",
                &scope,
                "false",
                &span.path,
                &span.paragraph.to_string(),
                &span.line.to_string(),
                &span.byte_start.to_string(),
                &span.byte_end.to_string(),
                "",
                &span.text,
            ])?;
        }
    }
    w.flush()
}
