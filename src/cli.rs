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
use crate::ingest::{self, DocId, InputFormat, InputOptions};
use crate::normalize::normalize;
use crate::report::{Format, Report};
use crate::scan::Scanner;

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
    /// PATHS are files, directories or - (standard input); directories are walked
    /// recursively, in sorted order, for .txt, .md, .html, .htm, .jsonl, .ndjson and .warc
    /// files, each also .gz or .zst. A text or HTML file is one article; a JSONL file holds
    /// one per line, a WARC crawl one per HTML page.
    Scan(ScanArgs),
    /// Print every paragraph taken from the inputs, before normalisation, as JSON Lines.
    ///
    /// One object per paragraph: path, paragraph (0-based ordinal), line, byte_start,
    /// byte_end, text, and with --normalized the normalised form that is compared. For HTML
    /// pages and WARC records, lines and spans refer to the extracted text.
    Paragraphs(ParagraphsArgs),
    /// Print the normalised form of text: exactly what the engine compares.
    ///
    /// Each TEXT argument is normalised on its own line; without arguments, each line of
    /// standard input is.
    Normalize {
        /// Text to normalise.
        text: Vec<String>,
    },
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
    /// Skip unreadable or undecodable files and malformed records with a warning (exit status
    /// 2 at the end).
    #[arg(long)]
    keep_going: bool,
    /// JSONL: the field holding a document's text; a dotted path reaches nested fields
    /// (article.body, paragraphs.0).
    #[arg(long, default_value = "text", value_name = "FIELD")]
    text_field: String,
    /// JSONL: the field naming a document in reports (FILE#ID); default: the line number.
    #[arg(long, value_name = "FIELD")]
    id_field: Option<String>,
    /// Directory walks take only files matching GLOB (repeatable; default: known extensions).
    /// A glob without / matches file names at any depth.
    #[arg(long, value_name = "GLOB")]
    include: Vec<String>,
    /// Directory walks leave out files and directories matching GLOB (repeatable).
    #[arg(long, value_name = "GLOB")]
    exclude: Vec<String>,
    /// Directory walks skip files larger than SIZE on disk, with a warning (suffixes K, M, G:
    /// powers of 1024).
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    max_file_size: Option<u64>,
    /// What standard input (-) holds: decided from its first bytes by default.
    #[arg(long, value_enum, default_value_t = InputFormat::Auto, value_name = "FORMAT")]
    stdin_format: InputFormat,
}

impl InputArgs {
    fn options(&self) -> InputOptions {
        InputOptions {
            lossy: self.lossy,
            keep_going: self.keep_going,
            text_field: self.text_field.clone(),
            id_field: self.id_field.clone(),
            include: self.include.clone(),
            exclude: self.exclude.clone(),
            max_file_size: self.max_file_size,
            stdin_format: self.stdin_format,
        }
    }
}

/// `10M` → 10 MiB. Plain numbers are bytes.
fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let (digits, unit) = match t.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((i, _)) => (&t[..i], t[i..].trim()),
        None => (t, ""),
    };
    let shift = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        "t" | "tb" | "tib" => 40,
        _ => return Err(format!("unknown size unit {unit:?} (use K, M or G)")),
    };
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("{text:?} is not a size (e.g. 500K, 10M)"))?;
    n.checked_mul(1u64 << shift)
        .ok_or_else(|| format!("{text:?} is too large"))
}

#[derive(Args, Debug)]
struct ParagraphsArgs {
    /// Files, directories or - (standard input).
    #[arg(required = true, value_name = "PATHS")]
    paths: Vec<PathBuf>,
    #[command(flatten)]
    input: InputArgs,
    /// How files are cut into paragraphs: every non-empty line, or blocks between blank lines.
    #[arg(long, value_enum, default_value_t = SplitMode::Lines)]
    split: SplitMode,
    /// Add each paragraph's normalised form (what the engine compares).
    #[arg(long)]
    normalized: bool,
    /// Print no warnings.
    #[arg(short, long)]
    quiet: bool,
}

#[derive(Args, Debug)]
struct ScanArgs {
    /// Files or directories to scan.
    #[arg(required = true, value_name = "PATHS")]
    paths: Vec<PathBuf>,
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
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Scan(args) => scan(args),
        Command::Paragraphs(args) => paragraphs_cmd(args),
        Command::Normalize { text } => normalize_cmd(text),
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
    let options = args.input.options();
    let report = with_threads(args.threads, || scanner.scan_inputs(&args.paths, &options))??;
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

fn paragraphs_cmd(args: ParagraphsArgs) -> Result<ExitCode, CliError> {
    let options = args.input.options();
    let mut skipped = Vec::new();
    let files = ingest::discover_with(&args.paths, &options, &mut skipped)?;
    let docs = ingest::load_all_with(&files, &options, &mut skipped)?;
    if !args.quiet {
        for s in &skipped {
            eprintln!("neardup: warning: skipped {}: {}", s.path, s.reason);
        }
    }
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let mut paragraphs = Vec::new();
    for (i, doc) in docs.iter().enumerate() {
        paragraphs.clear();
        ingest::split_paragraphs(DocId(i as u32), &doc.bytes, args.split, &mut paragraphs);
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
    Ok(if skipped.iter().any(|s| s.error) {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
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

    #[test]
    fn sizes_take_binary_suffixes() {
        assert_eq!(parse_size("123"), Ok(123));
        assert_eq!(parse_size("10K"), Ok(10 << 10));
        assert_eq!(parse_size("2m"), Ok(2 << 20));
        assert_eq!(parse_size("1GiB"), Ok(1 << 30));
        assert!(parse_size("5Q").is_err());
        assert!(parse_size("M").is_err());
    }
}
