//! `dedup CORPUS --out DIR`: scan a corpus directory and write a cleaned copy.
//!
//! Input: [`DedupArgs`]. Output: the cleaned corpus (or the `--mode mark` sidecar) under
//! `--out`, one summary line on stdout, warnings on stderr. Invariant: the output directory is
//! checked (`dedup::check_paths`) before the scan, so a bad `--out` costs no scan.

use std::io::{self, Write};
use std::process::ExitCode;

use neardup::dedup::{self, DedupMode, DedupOptions};
use neardup::{Error, Scanner};

use super::args::DedupArgs;
use super::output::warn_skipped;
use super::{exit_code, with_threads, CliError};

/// `dedup`.
pub(super) fn run(args: DedupArgs) -> Result<ExitCode, CliError> {
    let mut options = DedupOptions::default();
    options.keep = args.keep.into();
    options.mode = args.mode.into();
    options.scope = args.scope.into();
    options.drop_boilerplate = args.drop_boilerplate;
    options.force = args.force;
    options.keep_going = args.input_flags.keep_going;
    options.drop_empty = args.drop_empty;
    options.input = args.input_flags.options();
    // Refuse a bad output before the (possibly long) scan.
    dedup::check_paths(&args.input, &args.out, options.force)?;
    let display = args.run.display();
    let progress = display.progress();
    let config = args.matching.config();
    let split = config.split;
    // dedup rewrites files by byte span (plain text) or record by record (JSONL and Parquet
    // datasets); other files are copied as they are.
    let mut inputs = args.input_flags.options();
    inputs.text_only = true;
    inputs.datasets = true;
    let scanner = Scanner::new(config)?
        .with_options(args.run.scan_options(inputs))
        .with_progress(progress.clone());
    let result = with_threads(args.run.threads, || -> Result<_, Error> {
        let report = scanner.scan_paths(std::slice::from_ref(&args.input))?;
        let removals = dedup::plan(&report, &options);
        let summary = dedup::write_corpus(
            &args.input,
            &args.out,
            split,
            &report,
            &removals,
            &options,
            &progress,
        )?;
        Ok((report, summary))
    });
    args.run.finish(&display);
    let (report, summary) = result??;
    warn_skipped(&report.skipped, "skipped ", args.run.quiet);
    if !args.run.quiet {
        for w in &summary.warnings {
            eprintln!("neardup: warning: {w}");
        }
    }
    let stdout = io::stdout();
    let mut out = stdout.lock();
    let mode: DedupMode = args.mode.into();
    writeln!(out, "{}", summary.line(mode, &args.out))?;
    out.flush()?;
    Ok(exit_code(
        report.skipped.iter().any(|s| s.error) || !summary.warnings.is_empty(),
        ExitCode::SUCCESS,
    ))
}
