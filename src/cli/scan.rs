//! `scan PATHS` and `scan --index DIR`: cluster files, or everything an index holds, and write
//! the report.
//!
//! Input: [`ScanArgs`] (with `--index`, also the matching flags as given). Output: the report
//! on stdout or `--output`, warnings on stderr, the exit code. Invariant: `scan --index`
//! reports what `scan` reports on the indexed files (the library's), with the index's
//! parameters; a matching flag given explicitly must equal the index's (`--verify` aside).

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use neardup::index::{Index, IndexScanOptions};
use neardup::{Report, Scanner};

use super::args::{MatchFlags, ScanArgs};
use super::output::{refuse_binary_to_stdout, warn_skipped, write_report_timed};
use super::progress::Display;
use super::{exit_code, with_threads, CliError};

/// `scan PATHS`.
pub(super) fn run(args: ScanArgs) -> Result<ExitCode, CliError> {
    refuse_binary_to_stdout(args.format.into(), args.output.as_deref())?;
    let display = args.run.display();
    let progress = display.progress();
    let mut config = args.matching.config();
    config.passages = args.passage.config();
    let scanner = Scanner::new(config)?
        .with_options(args.run.scan_options(args.input.options()))
        .with_progress(progress.clone());
    let report = with_threads(args.run.threads, || scanner.scan_paths(&args.paths));
    let report = args.run.finish_on_error(report, &display)?;
    warn_skipped(&report.skipped, "skipped ", args.run.quiet);
    write(&args, &report, &display)?;
    Ok(exit_code(
        report.skipped.iter().any(|s| s.error),
        duplicates_code(args.fail_on_duplicates && report.has_duplicates()),
    ))
}

/// `scan --index DIR`: `flags` are the matching flags as given, `min_passage_words` the
/// passage flag when given.
pub(super) fn run_index(
    args: ScanArgs,
    flags: MatchFlags,
    min_passage_words: Option<usize>,
) -> Result<ExitCode, CliError> {
    args.input.only_lossy_and_keep_going("scan --index")?;
    let dir: PathBuf = args.index.clone().unwrap_or_default();
    let index = Index::open(&dir)?;
    let verify = check_flags(&index, &flags)?;
    let passages = args.passage.passages;
    if passages && min_passage_words.is_some() {
        if let Some(p) = args.passage.config() {
            index.check_passage_params(&p.params()?)?;
        }
    }
    let display = args.run.display();
    let mut options = IndexScanOptions::default();
    options.verify = verify;
    options.passages = passages;
    options.progress = display.progress();
    let report = with_threads(args.run.threads, || index.scan(options));
    let mut report = args.run.finish_on_error(report, &display)?;
    report.label_boilerplate(args.run.boilerplate_min_docs);
    warn_skipped(&report.skipped, "", args.run.quiet);
    write(&args, &report, &display)?;
    Ok(duplicates_code(
        args.fail_on_duplicates && report.has_duplicates(),
    ))
}

/// Write the report as `--format` and `--output` ask, then end the progress display (the
/// write is timed too).
fn write(args: &ScanArgs, report: &Report, display: &Arc<Display>) -> Result<(), CliError> {
    let progress = display.progress();
    let written = write_report_timed(
        report,
        args.format.into(),
        args.output.as_deref(),
        &progress,
    );
    args.run.finish(display);
    written
}

/// Check the matching flags given against the index's parameters; the verification mode to
/// use (`None`: the index's).
pub(super) fn check_flags(
    index: &Index,
    flags: &MatchFlags,
) -> Result<Option<neardup::VerifyMode>, CliError> {
    let config = flags.over(index.config());
    index.check_params(&config.params()?)?;
    Ok(flags.verify)
}

/// Exit status 1 for `--fail-on-duplicates` with duplicates found.
fn duplicates_code(found: bool) -> ExitCode {
    if found {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
