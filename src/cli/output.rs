//! Where commands write: standard output (buffered, a closed pipe is not an error) or a file
//! given with `--output` (atomically), warnings on stderr, and the progress display's end.
//!
//! Input: a report or a fill function, flags. Output: bytes on stdout or one file. Invariant:
//! a file is written through `neardup::write_atomically`, so a reader sees the old file or
//! the complete new one.

use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use neardup::progress::Progress;
use neardup::report::Format;
use neardup::{Error, Report};

use super::args::RunArgs;
use super::progress::Display;
use super::CliError;

/// Buffer of report output: reports run to tens of megabytes, and one `write` per 8 KiB (the
/// default) made writing a 51 MB report ~15% slower.
const OUTPUT_BUFFER: usize = 1 << 20;

/// Write what `fill` produces to `path` atomically, or to stdout when there is no path.
pub(super) fn write_out(
    path: Option<PathBuf>,
    fill: impl Fn(&mut dyn Write) -> io::Result<()>,
) -> Result<(), CliError> {
    match path {
        None => {
            let stdout = io::stdout();
            let mut out = BufWriter::with_capacity(OUTPUT_BUFFER, stdout.lock());
            fill(&mut out)?;
            out.flush()?;
            Ok(())
        }
        Some(path) => neardup::write_atomically(&path, None, |w| fill(w))
            .map_err(|source| CliError::OutputFile { path, source }),
    }
}

/// Write `report` to `path` atomically, or to stdout, timed as the `write` stage (`-v`): a
/// large JSON report is a visible share of a scan.
pub(super) fn write_report_timed(
    report: &Report,
    format: Format,
    path: Option<&Path>,
    progress: &Progress,
) -> Result<(), CliError> {
    refuse_binary_to_stdout(format, path)?;
    let stage = progress.stage("write", "clusters", None);
    let written = write_out(path.map(Path::to_path_buf), |w| report.write(format, w));
    stage.inc(report.clusters.len() as u64);
    written
}

/// A binary report (Parquet) goes to a file: refuse it (before a scan) when `-o` is missing.
pub(super) fn refuse_binary_to_stdout(format: Format, path: Option<&Path>) -> Result<(), CliError> {
    if format.is_binary() && path.is_none() {
        return Err(neardup::Error::Refused(format!(
            "--format {} writes a binary file: give it with -o FILE (e.g. -o members.parquet)",
            format!("{format:?}").to_lowercase()
        ))
        .into());
    }
    Ok(())
}

/// Print `warning: {prefix}{path}: {reason}` for each skipped input, unless `quiet`.
pub(super) fn warn_skipped(skipped: &[neardup::ingest::Skipped], prefix: &str, quiet: bool) {
    if quiet {
        return;
    }
    for s in skipped {
        eprintln!("neardup: warning: {prefix}{}: {}", s.path, s.reason);
    }
}

impl RunArgs {
    /// The progress display: a bar on stderr unless `--quiet`.
    pub(super) fn display(&self) -> Arc<Display> {
        Display::new(!self.quiet)
    }

    /// Clear the bar; print stage timings with `--verbose`.
    pub(super) fn finish(&self, display: &Display) {
        display.finish();
        if self.verbose {
            let _ = display.write_timings(&mut io::stderr());
        }
    }

    /// The result of a run in a thread pool; on failure the progress display is finished
    /// first (on success the caller finishes it after writing, which is timed too).
    pub(super) fn finish_on_error<T>(
        &self,
        result: Result<Result<T, Error>, CliError>,
        display: &Display,
    ) -> Result<T, CliError> {
        match result {
            Ok(Ok(value)) => Ok(value),
            failed => {
                self.finish(display);
                Ok(failed??)
            }
        }
    }
}
