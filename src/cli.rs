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

use crate::config::{Config, SplitMode, VerifyMode, DEFAULT_BOILERPLATE_MIN_DOCS};
use crate::dedup::{self, DedupMode, DedupOptions, DedupScope, Keep};
use crate::error::Error;
use crate::ingest::{self, DocId, InputFormat, InputOptions};
use crate::normalize::normalize;
use crate::passage::PassageConfig;
use crate::progress::Progress;
use crate::report::{Format, Report};
use crate::scan::{ScanOptions, Scanner};

mod docs_cmd;
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
    /// PATHS are files, directories or - (standard input); directories are walked
    /// recursively, in sorted order, for .txt, .md, .html, .htm, .jsonl, .ndjson and .warc
    /// files, each also .gz or .zst. A text or HTML file is one article; a JSONL file holds
    /// one per line, a WARC crawl one per HTML page.
    Scan(ScanArgs),
    /// Write a cleaned copy of a corpus: one copy of each cluster kept, the others removed.
    ///
    /// CORPUS is one directory; its structure is written again under --out, every file
    /// (whatever its type) copied, and the files with duplicates edited. With --mode mark every
    /// file is copied unchanged and neardup-removed.jsonl lists what would be removed.
    Dedup(DedupArgs),
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
    /// Build, extend, inspect, verify or compact a persistent index.
    #[command(subcommand)]
    Index(index_cmd::IndexCommand),
    /// Find where each paragraph of a text appears in an index.
    ///
    /// TEXT is a file, or '-' for standard input; it is cut into paragraphs with the index's
    /// split mode, and each is matched with the index's parameters.
    Query(index_cmd::QueryArgs),
    /// Show the LSH banding for a threshold and what it does: the probability of becoming a
    /// candidate at each similarity, false-positive and false-negative areas, expected recall.
    Params(ParamsArgs),
    /// Score a JSON report against labelled duplicate groups or against the exact truth.
    ///
    /// Prints pair precision, recall, F1 and adjusted Rand index over all paragraphs, recall
    /// per edit kind (generated labels) and per true-similarity bucket (with --corpus), and,
    /// with --truth exact, the truly similar pairs the report missed.
    Eval(EvalArgs),
    /// Print a shell completion script for SHELL (where to install it: see the README).
    Completions {
        /// The shell to complete for.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff) covering every subcommand: `neardup man | man -l -`.
    Man,
}

#[derive(Args, Debug)]
struct ParamsArgs {
    #[command(flatten)]
    lsh: LshArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = SummaryFormat::Text)]
    format: SummaryFormat,
}

#[derive(Args, Debug)]
struct EvalArgs {
    /// A JSON report written by `neardup scan --format json`.
    #[arg(value_name = "REPORT")]
    report: PathBuf,
    /// Labels (`neardup.labels/1`: written by the corpus generator, or corpora/sample-labels.json).
    #[arg(long, value_name = "FILE", required_unless_present = "truth")]
    labels: Option<PathBuf>,
    /// Compare against the exact truth instead: all pairs with exact Jaccard ≥ the report's
    /// threshold, found by a prefix-filtered similarity join over --corpus.
    #[arg(long, value_enum, requires = "corpus")]
    truth: Option<Truth>,
    /// The corpus the report was made from (needed by --truth exact; adds recall by similarity).
    #[arg(long, value_name = "PATH", num_args = 1..)]
    corpus: Vec<PathBuf>,
    /// How the corpus was read for the report (JSONL fields, globs, …): give the same options.
    #[command(flatten)]
    input: InputArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = SummaryFormat::Text)]
    format: SummaryFormat,
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum Truth {
    /// Exact Jaccard similarity of shingle sets.
    Exact,
}

/// Formats of the summaries printed by `params` and `eval`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum SummaryFormat {
    /// For people.
    Text,
    /// For programs.
    Json,
}

/// The threshold and the signature and banding that detect it (`scan`'s matching flags and
/// what `params` describes).
#[derive(Args, Debug, Clone)]
struct LshArgs {
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
}

/// Flags that decide which paragraphs match (shared by every command that compares).
#[derive(Args, Debug, Clone)]
struct MatchArgs {
    #[command(flatten)]
    lsh: LshArgs,
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
    /// Bound on one document once decompressed (a file, a JSONL line, a WARC record); over it
    /// is an error, or a skip with --keep-going.
    #[arg(long, value_name = "SIZE", value_parser = parse_size, default_value = "1G")]
    max_document_size: u64,
    /// HTML: elements nested deeper are flattened (text kept), with a warning.
    #[arg(long, value_name = "N", default_value_t = ingest::DEFAULT_HTML_MAX_DEPTH)]
    max_html_depth: usize,
    /// HTML: a page is cut after this many elements, with a warning.
    #[arg(long, value_name = "N", default_value_t = ingest::DEFAULT_HTML_MAX_ELEMENTS)]
    max_html_elements: usize,
    /// HTML: a page is cut after this many bytes of markup, with a warning.
    #[arg(long, value_name = "SIZE", value_parser = parse_size_usize, default_value = "64M")]
    max_html_bytes: usize,
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
            max_document_size: self.max_document_size,
            html_limits: ingest::HtmlLimits {
                max_depth: self.max_html_depth,
                max_elements: self.max_html_elements,
                max_bytes: self.max_html_bytes,
            },
            stdin_format: self.stdin_format,
            text_only: false,
            datasets: false,
        }
    }
}

impl InputArgs {
    /// Refuse the flags that only a scan of files uses, for a command that cannot honour them
    /// (the index takes plain-text files only), rather than ignore them silently.
    fn only_lossy_and_keep_going(&self, command: &str) -> Result<(), Error> {
        let o = self.options();
        let d = InputOptions::default();
        if o.text_field != d.text_field
            || o.id_field.is_some()
            || !o.include.is_empty()
            || !o.exclude.is_empty()
            || o.max_file_size.is_some()
            || o.stdin_format != d.stdin_format
        {
            return Err(Error::InvalidParameter(format!(
                "{command} reads plain-text files (.txt, .md) only, so --text-field, --id-field, \
                 --include, --exclude, --max-file-size and --stdin-format do not apply: drop \
                 them (scan without --index reads every format)"
            )));
        }
        Ok(())
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

fn parse_size_usize(text: &str) -> Result<usize, String> {
    usize::try_from(parse_size(text)?).map_err(|_| format!("{text:?} is too large"))
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

/// Flags about labels, progress and diagnostics (shared by scan and dedup).
#[derive(Args, Debug, Clone)]
struct RunArgs {
    /// Label clusters spanning at least N distinct articles as boilerplate (0: never).
    #[arg(long, default_value_t = DEFAULT_BOILERPLATE_MIN_DOCS, value_name = "N")]
    boilerplate_min_docs: usize,
    /// Worker threads (0: one per core).
    #[arg(long, default_value_t = 0, value_name = "N")]
    threads: usize,
    /// Print no warnings and no progress bar.
    #[arg(short, long)]
    quiet: bool,
    /// Print the time of each stage on stderr at the end.
    #[arg(short, long)]
    verbose: bool,
}

impl RunArgs {
    /// The library's scan options: inputs read with `input`, clusters labelled by this run.
    fn scan_options(&self, input: InputOptions) -> ScanOptions {
        ScanOptions {
            input,
            boilerplate_min_docs: self.boilerplate_min_docs,
        }
    }

    fn progress(&self) -> Progress {
        Progress::new(!self.quiet)
    }

    fn finish(&self, progress: &Progress) {
        progress.finish();
        if self.verbose {
            let _ = progress.write_timings(&mut io::stderr());
        }
    }

    /// The result of a run in a thread pool; on failure the progress display is finished
    /// first (on success the caller finishes it after writing, which is timed too).
    fn finish_on_error<T>(
        &self,
        result: Result<Result<T, Error>, CliError>,
        progress: &Progress,
    ) -> Result<T, CliError> {
        match result {
            Ok(Ok(value)) => Ok(value),
            failed => {
                self.finish(progress);
                Ok(failed??)
            }
        }
    }
}

#[derive(Args, Debug)]
struct DedupArgs {
    /// The corpus directory.
    #[arg(value_name = "CORPUS")]
    input: PathBuf,
    /// Directory to write the cleaned corpus to (created if missing).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Which copy of a cluster is kept: the first by path and paragraph, or the longest.
    #[arg(long, value_enum, default_value_t = Keep::First)]
    keep: Keep,
    /// remove: delete the other copies; mark: copy every file unchanged and list the copies
    /// in neardup-removed.jsonl.
    #[arg(long, value_enum, default_value_t = DedupMode::Remove)]
    mode: DedupMode,
    /// all: remove every other copy; across: only copies in other articles (an article's own
    /// repetitions stay).
    #[arg(long, value_enum, default_value_t = DedupScope::All)]
    scope: DedupScope,
    /// Remove boilerplate clusters entirely, keeping no copy.
    #[arg(long)]
    drop_boilerplate: bool,
    /// Write into a non-empty output directory (files of the same name are replaced).
    #[arg(long)]
    force: bool,
    /// Datasets (JSONL, Parquet): drop a record whose text is left blank by paragraph removals.
    #[arg(long)]
    drop_empty: bool,
    #[command(flatten)]
    matching: MatchArgs,
    #[command(flatten)]
    input_flags: InputArgs,
    #[command(flatten)]
    run: RunArgs,
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
    /// Report format: text, json, jsonl, html (one self-contained page), md (Markdown), csv
    /// (one row per member), pairs (JSONL, one line per verified pair).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Write the report to FILE (atomically) instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    #[command(flatten)]
    passage: PassageArgs,
    /// Exit with status 1 when any cluster (or, with --passages, passage) is found.
    #[arg(long)]
    fail_on_duplicates: bool,
    #[command(flatten)]
    run: RunArgs,
}

/// The passage flags (shared by scan and index build/add).
#[derive(Args, Debug)]
struct PassageArgs {
    /// Also find passages (quotes, leads, wire copy) shared inside paragraphs of any length,
    /// across paragraph boundaries and articles, with their byte spans. With `index build`:
    /// also store passage fingerprints, so that `query --passages` finds them.
    #[arg(long)]
    passages: bool,
    /// Fewest shared words (after normalisation) for a passage; with --passages.
    #[arg(
        long,
        requires = "passages",
        default_value_t = crate::passage::DEFAULT_MIN_PASSAGE_WORDS,
        value_name = "N"
    )]
    min_passage_words: usize,
}

impl PassageArgs {
    /// The passage configuration asked for, if any.
    fn config(&self) -> Option<PassageConfig> {
        self.passages.then(|| PassageConfig {
            min_words: self.min_passage_words,
            ..PassageConfig::default()
        })
    }
}

impl MatchArgs {
    fn config(&self) -> Config {
        Config {
            threshold: self.lsh.threshold,
            num_perm: self.lsh.num_perm,
            bands: self.lsh.bands,
            rows: self.lsh.rows,
            shingle_words: self.shingle,
            split: self.split,
            seed: self.seed,
            min_words: self.min_words,
            verify: self.verify,
            passages: None,
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
    // A panic is caught at the document boundary and reported as an error naming the
    // document; the hook only replaces Rust's multi-line default with one line that says it
    // is a bug and where, for the report.
    std::panic::set_hook(Box::new(|info| {
        let at = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        eprintln!(
            "neardup: internal error{at}: {} (a bug: please report it)",
            crate::error::panic_message(info.payload())
        );
    }));
    // Which flags were given, for commands that take their defaults from an index.
    let given = index_cmd::Given::new(&matches);
    let result = match cli.command {
        Command::Scan(args) if args.index.is_some() => index_cmd::scan_index(args, &given),
        Command::Scan(args) => scan(args),
        Command::Dedup(args) => dedup_cmd(args),
        Command::Paragraphs(args) => paragraphs_cmd(args),
        Command::Normalize { text } => normalize_cmd(text),
        Command::Index(command) => index_cmd::run(command, &given),
        Command::Query(args) => index_cmd::query(args, &given),
        Command::Params(args) => params_cmd(args),
        Command::Eval(args) => eval_cmd(args),
        Command::Completions { shell } => {
            docs_cmd::completions(shell, &mut BufWriter::new(io::stdout().lock()))
                .map_err(CliError::Output)
        }
        Command::Man => {
            docs_cmd::man(&mut BufWriter::new(io::stdout().lock())).map_err(CliError::Output)
        }
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
    refuse_binary_to_stdout(args.format, args.output.as_deref())?;
    let progress = args.run.progress();
    let mut config = args.matching.config();
    config.passages = args.passage.config();
    let scanner = Scanner::new(config)?
        .with_options(args.run.scan_options(args.input.options()))
        .with_progress(progress.clone());
    let report = with_threads(args.run.threads, || scanner.scan_paths(&args.paths));
    let report = args.run.finish_on_error(report, &progress)?;
    if !args.run.quiet {
        for s in &report.skipped {
            eprintln!("neardup: warning: skipped {}: {}", s.path, s.reason);
        }
    }
    let written = write_report_timed(&report, args.format, args.output.as_deref(), &progress);
    args.run.finish(&progress);
    written?;
    Ok(if report.skipped.iter().any(|s| s.error) {
        ExitCode::from(2)
    } else if args.fail_on_duplicates && report.has_duplicates() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn dedup_cmd(args: DedupArgs) -> Result<ExitCode, CliError> {
    let options = DedupOptions {
        keep: args.keep,
        mode: args.mode,
        scope: args.scope,
        drop_boilerplate: args.drop_boilerplate,
        force: args.force,
        keep_going: args.input_flags.keep_going,
        drop_empty: args.drop_empty,
        input: args.input_flags.options(),
    };
    // Refuse a bad output before the (possibly long) scan.
    dedup::check_paths(&args.input, &args.out, options.force)?;
    let progress = args.run.progress();
    let config = args.matching.config();
    let split = config.split;
    // dedup rewrites files by byte span (plain text) or record (JSONL datasets); other files
    // are copied as they are.
    let inputs = InputOptions {
        text_only: true,
        datasets: true,
        ..args.input_flags.options()
    };
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
    args.run.finish(&progress);
    let (report, summary) = result??;
    if !args.run.quiet {
        for s in &report.skipped {
            eprintln!("neardup: warning: skipped {}: {}", s.path, s.reason);
        }
        for w in &summary.warnings {
            eprintln!("neardup: warning: {w}");
        }
    }
    let stdout = io::stdout();
    let mut out = stdout.lock();
    writeln!(out, "{}", summary.line(args.mode, &args.out))?;
    out.flush()?;
    Ok(
        if report.skipped.iter().any(|s| s.error) || !summary.warnings.is_empty() {
            ExitCode::from(2)
        } else {
            ExitCode::SUCCESS
        },
    )
}

/// Write to `path` atomically (temporary file in the same directory, then rename), or to
/// stdout.
fn write_report(report: &Report, format: Format, path: Option<&Path>) -> Result<(), CliError> {
    refuse_binary_to_stdout(format, path)?;
    write_out(path.map(Path::to_path_buf), |w| report.write(format, w))
}

/// A binary report (Parquet) goes to a file: refuse it before a scan when `-o` is missing.
fn refuse_binary_to_stdout(format: Format, path: Option<&Path>) -> Result<(), CliError> {
    if format.is_binary() && path.is_none() {
        return Err(Error::Refused(format!(
            "--format {} writes a binary file: give it with -o FILE (e.g. -o members.parquet)",
            format!("{format:?}").to_lowercase()
        ))
        .into());
    }
    Ok(())
}

/// [`write_report`] timed as the `write` stage (`-v`): a large JSON report is a visible share
/// of a scan.
fn write_report_timed(
    report: &Report,
    format: Format,
    path: Option<&Path>,
    progress: &Progress,
) -> Result<(), CliError> {
    let stage = progress.stage("write", "clusters", None);
    let written = write_report(report, format, path);
    stage.inc(report.clusters.len() as u64);
    written
}

/// Buffer of report output: reports run to tens of megabytes, and one `write` per 8 KiB (the
/// default) made writing a 51 MB report ~15% slower.
const OUTPUT_BUFFER: usize = 1 << 20;

/// Write what `fill` produces to `path` atomically, or to stdout when there is no path.
fn write_out(
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
        Some(path) => crate::util::write_atomically(&path, None, |w| fill(w))
            .map_err(|source| CliError::OutputFile { path, source }),
    }
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

fn params_cmd(args: ParamsArgs) -> Result<ExitCode, CliError> {
    let config = Config {
        threshold: args.lsh.threshold,
        num_perm: args.lsh.num_perm,
        bands: args.lsh.bands,
        rows: args.lsh.rows,
        ..Config::default()
    };
    let params = config.params()?;
    let cal = crate::lsh::calibrate(params.threshold, params.num_perm, params.lsh());
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    if args.format == SummaryFormat::Json {
        serde_json::to_writer_pretty(&mut out, &cal).map_err(io::Error::from)?;
        writeln!(out)?;
    } else {
        let how = if args.lsh.bands.is_some() {
            "as given".to_string()
        } else {
            format!(
                "chosen: minimises {:.2} × false-positive area + {:.2} × false-negative area",
                1.0 - crate::lsh::FALSE_NEGATIVE_WEIGHT,
                crate::lsh::FALSE_NEGATIVE_WEIGHT
            )
        };
        writeln!(
            out,
            "threshold {} · {} permutations → {} bands × {} rows ({how})",
            cal.threshold, cal.num_perm, cal.bands, cal.rows
        )?;
        writeln!(
            out,
            "false-positive area {:.4} · false-negative area {:.4}",
            cal.false_positive_area, cal.false_negative_area
        )?;
        writeln!(
            out,
            "P(candidate) at the threshold {:.4} · expected recall over [{}, 1] {:.4}",
            cal.candidate_probability_at_threshold,
            cal.threshold,
            cal.expected_recall_above_threshold
        )?;
        writeln!(out, "\nsimilarity  P(candidate)")?;
        for (s, p) in &cal.curve {
            writeln!(out, "      {s:.2}  {p:.4}")?;
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn eval_cmd(args: EvalArgs) -> Result<ExitCode, CliError> {
    use crate::eval;
    let text =
        std::fs::read(&args.report).map_err(|e| Error::io(&args.report, "read report", e))?;
    let report: Report = serde_json::from_slice(&text).map_err(|e| {
        Error::InvalidParameter(format!(
            "{}: not a neardup JSON report ({e}); write one with `neardup scan --format json`",
            args.report.display()
        ))
    })?;
    let corpus = if args.corpus.is_empty() {
        None
    } else {
        Some(eval::corpus_sets(
            &args.corpus,
            &report.params,
            &args.input.options(),
        )?)
    };
    let evaluation = match (&args.truth, &args.labels, &corpus) {
        (Some(Truth::Exact), _, Some(c)) => eval::evaluate_exact(&report, c),
        (_, Some(labels), _) => {
            let groups = eval::read_labels(labels)?;
            eval::evaluate(&report, &groups, "labels", corpus.as_ref())
        }
        _ => unreachable!("clap requires --labels or --truth with --corpus"),
    };
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    if args.format == SummaryFormat::Json {
        serde_json::to_writer_pretty(&mut out, &evaluation).map_err(io::Error::from)?;
        writeln!(out)?;
    } else {
        let e = &evaluation;
        writeln!(
            out,
            "truth: {} · {} paragraphs · {} true pairs · {} predicted pairs · {} correct",
            e.truth, e.paragraphs, e.true_pairs, e.predicted_pairs, e.correct_pairs
        )?;
        writeln!(
            out,
            "pair precision {:.4} · recall {:.4} · F1 {:.4} · adjusted Rand index {:.4}",
            e.precision, e.recall, e.f1, e.adjusted_rand_index
        )?;
        for (title, buckets) in [
            ("recall by edit kind", &e.recall_by_edit_kind),
            (
                "recall by exact similarity to the source",
                &e.recall_by_similarity,
            ),
        ] {
            if buckets.is_empty() {
                continue;
            }
            writeln!(out, "\n{title}:")?;
            for (k, b) in buckets {
                writeln!(out, "  {k:<12} {:.4}  ({}/{})", b.recall, b.found, b.total)?;
            }
        }
        if e.truth == "exact" {
            writeln!(out, "\ntrue pairs missed: {}", e.missed_pairs)?;
            for m in &e.missed_examples {
                writeln!(out, "  {} ~ {}  J={:.3}", m.a, m.b, m.similarity)?;
            }
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
