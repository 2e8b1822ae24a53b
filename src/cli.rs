//! The command-line interface: flags → validated [`Config`] → library calls → output.
//!
//! `main.rs` only calls [`run`]. Flags are defined once here as data (clap derive) and turned
//! into a [`Config`] in one place, so the CLI and the library cannot disagree on a default.
//! Exit codes: 0 success, 1 duplicates found with `--fail-on-duplicates`, 2 error (including a
//! file skipped under `--keep-going`). A closed stdout (e.g. `| head`) is not an error.

use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::config::{Config, SplitMode, VerifyMode};
use crate::error::Error;
use crate::normalize::normalize;
use crate::report::{Format, Report};
use crate::scan::Scanner;

mod index_cmd;

/// Find duplicate and near-duplicate paragraphs in collections of articles.
#[derive(Parser, Debug)]
#[command(name = "neardup", version, about, max_term_width = 100)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Find clusters of duplicate and near-duplicate paragraphs in articles.
    ///
    /// PATHS are files or directories; directories are walked recursively for .txt and .md
    /// files, in sorted order. One file is one article.
    Scan(ScanArgs),
    /// Print the normalised form of text: exactly what the engine compares.
    ///
    /// Each TEXT argument is normalised on its own line; without arguments, each line of
    /// standard input is.
    Normalize {
        /// Text to normalise.
        text: Vec<String>,
    },
    /// Build, extend, inspect, verify or compact a persistent index.
    #[command(subcommand)]
    Index(index_cmd::IndexCommand),
    /// Find where each paragraph of a text appears in an index.
    ///
    /// TEXT is a file, or '-' for standard input; it is cut into paragraphs with the index's
    /// split mode, and each is matched with the index's parameters.
    Query(index_cmd::QueryArgs),
}

/// Flags that decide which paragraphs match (shared by every command that compares).
#[derive(Args, Debug, Clone)]
struct MatchArgs {
    /// Jaccard similarity of word shingles at which paragraphs are near duplicates.
    #[arg(long, default_value_t = 0.8, value_name = "SIM")]
    threshold: f64,
    /// MinHash permutations (signature length): more is more accurate and slower.
    #[arg(long, default_value_t = 128, value_name = "K")]
    num_perm: usize,
    /// LSH bands (with --rows); chosen from --threshold when omitted.
    #[arg(long, requires = "rows", value_name = "B")]
    bands: Option<usize>,
    /// LSH rows per band (with --bands).
    #[arg(long, requires = "bands", value_name = "R")]
    rows: Option<usize>,
    /// Words per shingle (characters for Chinese, Japanese, Thai and other spaceless scripts).
    #[arg(long, default_value_t = 3, value_name = "K")]
    shingle: usize,
    /// How files are cut into paragraphs: every non-empty line, or blocks between blank lines.
    #[arg(long, value_enum, default_value_t = SplitMode::Lines)]
    split: SplitMode,
    /// Seed of the MinHash permutations.
    #[arg(long, default_value_t = crate::config::DEFAULT_SEED)]
    seed: u64,
    /// Ignore paragraphs with fewer words than this after normalisation.
    #[arg(long, default_value_t = 1, value_name = "N")]
    min_words: usize,
    /// How candidate pairs are confirmed: estimate from signatures, exact Jaccard, or auto
    /// (the estimate, with exact Jaccard when it is close to the threshold).
    #[arg(long, value_enum, default_value_t = VerifyMode::Auto)]
    verify: VerifyMode,
}

/// Flags about reading input.
#[derive(Args, Debug, Clone)]
struct InputArgs {
    /// Replace invalid UTF-8 with U+FFFD instead of stopping with an error.
    #[arg(long)]
    lossy: bool,
    /// Skip unreadable or undecodable files with a warning (exit status 2 at the end).
    #[arg(long)]
    keep_going: bool,
}

#[derive(Args, Debug)]
struct ScanArgs {
    /// Files or directories to scan.
    #[arg(
        required_unless_present = "index",
        conflicts_with = "index",
        value_name = "PATHS"
    )]
    paths: Vec<PathBuf>,
    /// Cluster everything in this index instead of scanning files (the index's parameters
    /// apply; only --verify may differ).
    #[arg(long, value_name = "DIR")]
    index: Option<PathBuf>,
    #[command(flatten)]
    matching: MatchArgs,
    #[command(flatten)]
    input: InputArgs,
    /// Report format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Write the report to FILE (atomically) instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Worker threads (0: one per core).
    #[arg(long, default_value_t = 0, value_name = "N")]
    threads: usize,
    /// Exit with status 1 when any cluster is found (for pipelines).
    #[arg(long)]
    fail_on_duplicates: bool,
    /// Print no warnings.
    #[arg(short, long)]
    quiet: bool,
}

impl MatchArgs {
    fn config(&self, input: &InputArgs) -> Config {
        Config {
            threshold: self.threshold,
            num_perm: self.num_perm,
            bands: self.bands,
            rows: self.rows,
            shingle_words: self.shingle,
            split: self.split,
            seed: self.seed,
            min_words: self.min_words,
            verify: self.verify,
            lossy: input.lossy,
            keep_going: input.keep_going,
        }
    }
}

/// Run the CLI with the process's arguments and return its exit code.
pub fn run() -> ExitCode {
    use clap::{CommandFactory, FromArgMatches};
    let matches = Cli::command().get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    // Which flags were given, for commands that take their defaults from an index.
    let given = index_cmd::Given::new(&matches);
    let result = match cli.command {
        Command::Scan(args) if args.index.is_some() => index_cmd::scan_index(args, &given),
        Command::Scan(args) => scan(args),
        Command::Normalize { text } => normalize_cmd(text),
        Command::Index(command) => index_cmd::run(command, &given),
        Command::Query(args) => index_cmd::query(args, &given),
    };
    match result {
        Ok(code) => code,
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("neardup: error: {e}");
            ExitCode::from(2)
        }
    }
}

/// What a command can fail with: the library's errors, or writing output.
#[derive(Debug, thiserror::Error)]
enum CliError {
    #[error(transparent)]
    Neardup(#[from] Error),
    #[error("writing output: {0}")]
    Output(#[from] io::Error),
    #[error("{}: cannot write report: {source}", path.display())]
    OutputFile { path: PathBuf, source: io::Error },
    #[error("cannot start {threads} worker threads: {message}")]
    Threads { threads: usize, message: String },
}

fn is_broken_pipe(e: &CliError) -> bool {
    matches!(e, CliError::Output(io) if io.kind() == io::ErrorKind::BrokenPipe)
}

fn with_threads<T: Send>(threads: usize, f: impl FnOnce() -> T + Send) -> Result<T, CliError> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| CliError::Threads {
            threads,
            message: e.to_string(),
        })?;
    Ok(pool.install(f))
}

fn scan(args: ScanArgs) -> Result<ExitCode, CliError> {
    let scanner = Scanner::new(args.matching.config(&args.input))?;
    let report = with_threads(args.threads, || scanner.scan_paths(&args.paths))??;
    if !args.quiet {
        for s in &report.skipped {
            eprintln!("neardup: warning: skipped {}: {}", s.path, s.reason);
        }
    }
    write_report(&report, args.format, args.output.as_deref())?;
    Ok(if report.skipped.iter().any(|s| s.error) {
        ExitCode::from(2)
    } else if args.fail_on_duplicates && !report.clusters.is_empty() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Write to `path` atomically (temporary file in the same directory, then rename), or to
/// stdout.
fn write_report(report: &Report, format: Format, path: Option<&Path>) -> Result<(), CliError> {
    match path {
        None => {
            let stdout = io::stdout();
            let mut out = BufWriter::new(stdout.lock());
            report.write(format, &mut out)?;
            out.flush()?;
            Ok(())
        }
        Some(path) => write_atomically(path, |w| report.write(format, w)).map_err(|source| {
            CliError::OutputFile {
                path: path.to_path_buf(),
                source,
            }
        }),
    }
}

/// Write a file so that readers see either the old file or the complete new one.
pub(crate) fn write_atomically(
    path: &Path,
    fill: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    {
        let mut w = BufWriter::new(tmp.as_file_mut());
        fill(&mut w)?;
        w.flush()?;
    }
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

fn normalize_cmd(text: Vec<String>) -> Result<ExitCode, CliError> {
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    if text.is_empty() {
        let mut input = String::new();
        io::stdin()
            .read_to_string(&mut input)
            .map_err(|e| Error::io("<stdin>", "read", e))?;
        for line in input.lines() {
            writeln!(out, "{}", normalize(line))?;
        }
    } else {
        for t in &text {
            writeln!(out, "{}", normalize(t))?;
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
