//! The index commands: `index build|add|stats|verify|compact`, `query` and `scan --index`.
//!
//! Input: parsed flags. Output: library calls on [`crate::index`] and their reports. Matching
//! flags (`--threshold` …) default to the index's own parameters for every command that works
//! on an existing index; given explicitly, they must equal the index's (only `--verify` may
//! differ at query time), so a user can never silently query with other parameters.

use std::collections::BTreeSet;
use std::io::{self, BufWriter, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::parser::ValueSource;
use clap::{ArgMatches, Args, Subcommand, ValueEnum};

use super::{
    with_threads, write_out, write_report_timed, CliError, InputArgs, MatchArgs, PassageArgs,
    RunArgs, ScanArgs,
};
use crate::config::{Config, Params};
use crate::error::Error;
use crate::index::reader::config_of;
use crate::index::writer::{check_params, check_passage_params};
use crate::index::{AddOptions, AddSummary, Index, IndexScanOptions, IndexWriter, QueryOptions};

/// Subcommands of `neardup index`.
#[derive(Subcommand, Debug)]
pub(super) enum IndexCommand {
    /// Create an index from files and directories (like `scan`, but kept on disk).
    ///
    /// Each file is identified by its path as named (DIR/relative/path), so `scan --index`
    /// later reports the paths `scan DIR1 DIR2 ...` would.
    Build(WriteArgs),
    /// Add files to an index in one atomic commit: unchanged files are skipped, changed files
    /// replace their earlier version.
    Add(WriteArgs),
    /// Print documents, paragraphs, segments, bytes and parameters of an index.
    Stats {
        /// The index directory.
        #[arg(value_name = "DIR")]
        index: PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value_t = InfoFormat::Text)]
        format: InfoFormat,
    },
    /// Read every byte of an index and check all checksums (exit status 2 on any problem).
    Verify {
        /// The index directory.
        #[arg(value_name = "DIR")]
        index: PathBuf,
    },
    /// Merge all segments into one and drop replaced documents, atomically.
    Compact {
        /// The index directory.
        #[arg(value_name = "DIR")]
        index: PathBuf,
        /// Worker threads (0: one per core).
        #[arg(long, default_value_t = 0, value_name = "N")]
        threads: usize,
    },
}

/// Formats of `index stats`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(super) enum InfoFormat {
    /// For a terminal.
    Text,
    /// One JSON object.
    Json,
}

/// Flags of `index build` and `index add`.
#[derive(Args, Debug)]
pub(super) struct WriteArgs {
    /// Files or directories to index.
    #[arg(required = true, value_name = "PATHS")]
    paths: Vec<PathBuf>,
    /// The index directory.
    #[arg(long, value_name = "DIR")]
    index: PathBuf,
    #[command(flatten)]
    matching: MatchArgs,
    #[command(flatten)]
    input: InputArgs,
    #[command(flatten)]
    passage: PassageArgs,
    /// Worker threads (0: one per core).
    #[arg(long, default_value_t = 0, value_name = "N")]
    threads: usize,
    /// Megabytes of files read and sketched at a time (bounds memory).
    #[arg(long, default_value_t = 64, value_name = "MB")]
    batch_mb: usize,
    /// Print no warnings, summary or progress bar.
    #[arg(short, long)]
    quiet: bool,
    /// Print the time of each stage on stderr at the end.
    #[arg(short, long)]
    verbose: bool,
}

/// Flags of `query`.
#[derive(Args, Debug)]
pub(super) struct QueryArgs {
    /// The index directory.
    #[arg(long, value_name = "DIR")]
    index: PathBuf,
    /// The text to look up: a file, or '-' for standard input.
    #[arg(value_name = "TEXT")]
    text: PathBuf,
    #[command(flatten)]
    matching: MatchArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = InfoFormat::Text)]
    format: InfoFormat,
    /// Keep at most N matches per paragraph (the most similar).
    #[arg(long, value_name = "N")]
    limit: Option<usize>,
    /// Also report the passages of TEXT (quotes, leads: at least the index's
    /// --min-passage-words words) shared with indexed documents, wherever they sit in their
    /// paragraphs. The index must have been built with `index build --passages`.
    #[arg(long)]
    passages: bool,
    /// Write the result to FILE (atomically) instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Print no warnings.
    #[arg(short, long)]
    quiet: bool,
}

/// The flags given on the command line (not defaulted), of the innermost subcommand.
pub(super) struct Given(BTreeSet<String>);

impl Given {
    pub(super) fn new(matches: &ArgMatches) -> Given {
        let mut m = matches;
        while let Some((_, sub)) = m.subcommand() {
            m = sub;
        }
        Given(
            m.ids()
                .filter(|id| m.value_source(id.as_str()) == Some(ValueSource::CommandLine))
                .map(|id| id.as_str().to_string())
                .collect(),
        )
    }

    fn has(&self, id: &str) -> bool {
        self.0.contains(id)
    }

    /// The index's parameters with the given matching flags applied.
    fn config(&self, stored: &Params, m: &MatchArgs) -> Config {
        let mut c = config_of(stored);
        if self.has("threshold") {
            c.threshold = m.lsh.threshold;
            // Bands and rows follow the threshold unless given.
            if !self.has("bands") {
                (c.bands, c.rows) = (None, None);
            }
        }
        if self.has("num_perm") {
            c.num_perm = m.lsh.num_perm;
            if !self.has("bands") {
                (c.bands, c.rows) = (None, None);
            }
        }
        if self.has("bands") {
            (c.bands, c.rows) = (m.lsh.bands, m.lsh.rows);
        }
        if self.has("shingle") {
            c.shingle_words = m.shingle;
        }
        if self.has("split") {
            c.split = m.split;
        }
        if self.has("seed") {
            c.seed = m.seed;
        }
        if self.has("min_words") {
            c.min_words = m.min_words;
        }
        if self.has("verify") {
            c.verify = m.verify;
        }
        c
    }

    /// Check the given flags against the index; the verification mode to use.
    fn check(
        &self,
        index: &Index,
        m: &MatchArgs,
    ) -> Result<Option<crate::config::VerifyMode>, CliError> {
        let config = self.config(index.params(), m);
        check_params(index.dir(), index.params(), &config.params()?)?;
        Ok(self.has("verify").then_some(m.verify))
    }
}

pub(super) fn run(command: IndexCommand, given: &Given) -> Result<ExitCode, CliError> {
    match command {
        IndexCommand::Build(args) => write(args, given, true),
        IndexCommand::Add(args) => write(args, given, false),
        IndexCommand::Stats { index, format } => stats(index, format),
        IndexCommand::Verify { index } => {
            let idx = Index::open(&index)?;
            idx.verify()?;
            let s = idx.stats()?;
            println!(
                "{}: ok: {} segments, {} documents, {} paragraphs, {} bytes checked",
                index.display(),
                s.segments,
                s.documents,
                s.paragraphs,
                s.bytes
            );
            Ok(ExitCode::SUCCESS)
        }
        IndexCommand::Compact { index, threads } => {
            let merged = with_threads(threads, || -> Result<bool, Error> {
                IndexWriter::open(&index, None)?.compact()
            })??;
            let s = Index::open(&index)?.stats()?;
            println!(
                "{}: {}: {} segment, {} documents, {} paragraphs, {} bytes",
                index.display(),
                if merged {
                    "compacted"
                } else {
                    "nothing to compact"
                },
                s.segments,
                s.documents,
                s.paragraphs,
                s.bytes
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn write(args: WriteArgs, given: &Given, create: bool) -> Result<ExitCode, CliError> {
    args.input.only_lossy_and_keep_going("index build/add")?;
    let options = AddOptions {
        lossy: args.input.lossy,
        keep_going: args.input.keep_going,
        batch_bytes: args.batch_mb.max(1) << 20,
    };
    let run = RunArgs {
        // Boilerplate labels belong to reports, not to the index.
        boilerplate_min_docs: 0,
        threads: args.threads,
        quiet: args.quiet,
        verbose: args.verbose,
    };
    let progress = run.progress();
    let summary = with_threads(args.threads, || -> Result<AddSummary, Error> {
        let writer = if create {
            let mut config = args.matching.config();
            config.passages = args.passage.config();
            IndexWriter::create(&args.index, &config)?
        } else {
            let existing = Index::open(&args.index)?;
            let mut config = given.config(existing.params(), &args.matching);
            // Passage flags given to `add` must be the index's; left out, the index's apply
            // (so `--passages` alone only asks that the index has them).
            if args.passage.passages && existing.passage_params().is_none() {
                return Err(crate::index::writer::no_passages(&args.index));
            }
            if given.has("min_passage_words") {
                config.passages = args.passage.config();
            }
            drop(existing);
            IndexWriter::open(&args.index, Some(&config))?
        };
        writer
            .with_progress(progress.clone())
            .add_paths(&args.paths, options)
    });
    run.finish(&progress);
    let summary: AddSummary = summary??;
    if !args.quiet {
        for s in &summary.skipped {
            eprintln!("neardup: warning: skipped {}: {}", s.path, s.reason);
        }
        println!(
            "{}: {} added, {} replaced, {} unchanged ({} paragraphs written); generation {}",
            args.index.display(),
            summary.added,
            summary.replaced,
            summary.unchanged,
            summary.paragraphs,
            summary.generation
        );
    }
    Ok(if summary.skipped.iter().any(|s| s.error) {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}

fn stats(dir: PathBuf, format: InfoFormat) -> Result<ExitCode, CliError> {
    let s = Index::open(&dir)?.stats()?;
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    match format {
        InfoFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &s).map_err(io::Error::other)?;
            writeln!(out)?;
        }
        InfoFormat::Text => {
            let p = &s.params;
            writeln!(out, "index       {}", dir.display())?;
            writeln!(out, "generation  {}", s.generation)?;
            writeln!(out, "segments    {}", s.segments)?;
            writeln!(
                out,
                "documents   {} ({} replaced, kept until compact)",
                s.documents, s.replaced_documents
            )?;
            writeln!(
                out,
                "paragraphs  {} ({} compared; {} stored)",
                s.paragraphs, s.compared_paragraphs, s.stored_paragraphs
            )?;
            writeln!(
                out,
                "bytes       {} ({:.1} per stored paragraph)",
                s.bytes, s.bytes_per_paragraph
            )?;
            writeln!(
                out,
                "parameters  threshold {} · {} permutations · {} bands × {} rows · {}-word shingles · \
                 split {} · min words {} · verify {} · seed {} · normaliser v{} · {}",
                p.threshold,
                p.num_perm,
                p.bands,
                p.rows,
                p.shingle,
                format!("{:?}", p.split).to_lowercase(),
                p.min_words,
                format!("{:?}", p.verify).to_lowercase(),
                p.seed,
                p.normalizer_version,
                p.hash
            )?;
            if let Some(q) = &s.passages {
                writeln!(
                    out,
                    "passages    {} fingerprints, {} bytes · at least {} words · {}-word anchors · \
                     window {} · max occurrences {}",
                    q.fingerprints,
                    q.bytes,
                    q.params.min_words,
                    q.params.anchor_words,
                    q.params.window,
                    q.params.max_occurrences
                )?;
            }
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

pub(super) fn query(args: QueryArgs, given: &Given) -> Result<ExitCode, CliError> {
    let index = Index::open(&args.index)?;
    let verify = given.check(&index, &args.matching)?;
    let (name, bytes) = if args.text.as_os_str() == "-" {
        let mut buf = Vec::new();
        io::stdin()
            .read_to_end(&mut buf)
            .map_err(|e| Error::io("<stdin>", "read", e))?;
        ("-".to_string(), buf)
    } else {
        let bytes = std::fs::read(&args.text).map_err(|e| Error::io(&args.text, "read file", e))?;
        (crate::ingest::slash_path(&args.text), bytes)
    };
    let report = index.query(
        &name,
        &bytes,
        QueryOptions {
            verify,
            limit: args.limit,
            passages: args.passages,
        },
    )?;
    if !args.quiet {
        for s in &report.skipped {
            eprintln!("neardup: warning: {}: {}", s.path, s.reason);
        }
    }
    let fill = |w: &mut dyn Write| -> io::Result<()> {
        match args.format {
            InfoFormat::Json => report.write_json(w),
            InfoFormat::Text => report.write_text(w),
        }
    };
    write_out(args.output, fill)?;
    Ok(ExitCode::SUCCESS)
}

pub(super) fn scan_index(args: ScanArgs, given: &Given) -> Result<ExitCode, CliError> {
    args.input.only_lossy_and_keep_going("scan --index")?;
    let dir = args.index.clone().unwrap_or_default();
    let index = Index::open(&dir)?;
    let verify = given.check(&index, &args.matching)?;
    let passages = args.passage.passages;
    if passages && given.has("min_passage_words") {
        if let Some(p) = args.passage.config() {
            check_passage_params(&dir, index.passage_params(), &p.params()?)?;
        }
    }
    let progress = args.run.progress();
    let options = IndexScanOptions {
        verify,
        passages,
        progress: progress.clone(),
    };
    let report = with_threads(args.run.threads, || index.scan(options));
    let mut report = args.run.finish_on_error(report, &progress)?;
    report.label_boilerplate(args.run.boilerplate_min_docs);
    if !args.run.quiet {
        for s in &report.skipped {
            eprintln!("neardup: warning: {}: {}", s.path, s.reason);
        }
    }
    let written = write_report_timed(&report, args.format, args.output.as_deref(), &progress);
    args.run.finish(&progress);
    written?;
    Ok(if args.fail_on_duplicates && report.has_duplicates() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
