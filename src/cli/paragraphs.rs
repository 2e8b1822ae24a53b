//! `paragraphs PATHS`: every paragraph the engine takes from its inputs, as JSON Lines.
//!
//! Input: [`ParagraphsArgs`]. Output: one JSON object per paragraph on stdout (path, ordinal,
//! line, byte span, text, with `--normalized` the compared form), in scan order. Invariant:
//! the paragraphs are exactly those a scan with the same input flags and `--split` compares
//! (same discovery, loading and splitting functions).

use std::io::{self, BufWriter, Write};
use std::process::ExitCode;

use neardup::ingest::{self, DocId};
use neardup::normalize::normalize;

use super::args::ParagraphsArgs;
use super::output::warn_skipped;
use super::{exit_code, CliError};

/// One line of `neardup paragraphs`.
#[derive(serde::Serialize)]
struct ParagraphRow<'a> {
    path: &'a str,
    paragraph: u32,
    line: u32,
    byte_start: usize,
    byte_end: usize,
    text: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    normalized: Option<&'a str>,
}

/// `paragraphs`.
pub(super) fn run(args: ParagraphsArgs) -> Result<ExitCode, CliError> {
    let options = args.input.options();
    let mut skipped = Vec::new();
    let files = ingest::discover_with(&args.paths, &options, &mut skipped)?;
    let docs = ingest::load_all_with(&files, &options, &mut skipped)?;
    warn_skipped(&skipped, "skipped ", args.quiet);
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let mut paragraphs = Vec::new();
    for (i, doc) in docs.iter().enumerate() {
        paragraphs.clear();
        ingest::split_paragraphs(
            DocId(i as u32),
            &doc.bytes,
            args.split.into(),
            &mut paragraphs,
        );
        for p in &paragraphs {
            let text = doc.text(p.span.clone());
            let norm = args.normalized.then(|| normalize(&text));
            let row = ParagraphRow {
                path: &doc.path,
                paragraph: p.ordinal,
                line: p.line,
                byte_start: p.span.start,
                byte_end: p.span.end,
                text: &text,
                normalized: norm.as_deref(),
            };
            serde_json::to_writer(&mut out, &row).map_err(io::Error::from)?;
            out.write_all(b"\n")?;
        }
    }
    out.flush()?;
    Ok(exit_code(
        skipped.iter().any(|s| s.error),
        ExitCode::SUCCESS,
    ))
}
