//! `index build|add|stats|verify|compact`: write, inspect, check and compact an index.
//!
//! Input: [`IndexCommand`] and, for `add`, the matching flags as given. Output: library calls
//! on `neardup::index` and a summary on stdout. Invariant: matching flags default to the
//! index's own parameters for `add`; given explicitly, they must equal the index's, so a user
//! can never silently add with other parameters.

use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::ArgMatches;
use neardup::index::{AddOptions, AddSummary, Index, IndexStats, IndexWriter};
use neardup::Error;

use super::args::{IndexCommand, InfoFormat, RunArgs, WriteArgs};
use super::output::warn_skipped;
use super::{exit_code, with_threads, CliError};

/// `index …`; `leaf` is the parse of the subcommand, for the flags `add` was given.
pub(super) fn run(command: IndexCommand, leaf: &ArgMatches) -> Result<ExitCode, CliError> {
    match command {
        IndexCommand::Build(args) => write(args, None),
        IndexCommand::Add(args) => {
            let flags = args.matching.given(leaf);
            let min_passage_words = args.passage.min_words_given(leaf);
            write(args, Some((flags, min_passage_words)))
        }
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
        IndexCommand::Compact { index, threads } => compact(&index, threads),
    }
}

/// What `index add` was given: the matching flags and `--min-passage-words`.
type AddFlags = (super::args::MatchFlags, Option<usize>);

/// `index build` (`add` = None) or `index add`.
fn write(args: WriteArgs, add: Option<AddFlags>) -> Result<ExitCode, CliError> {
    args.input.only_lossy_and_keep_going("index build/add")?;
    let options = AddOptions {
        input: args.input.options(),
        batch_bytes: args.batch_mb.max(1) << 20,
    };
    let run = RunArgs {
        // Boilerplate labels belong to reports, not to the index.
        boilerplate_min_docs: 0,
        threads: args.threads,
        quiet: args.quiet,
        verbose: args.verbose,
    };
    let display = run.display();
    let progress = display.progress();
    let summary = with_threads(args.threads, || -> Result<AddSummary, Error> {
        let writer = match &add {
            None => {
                let mut config = args.matching.config();
                config.passages = args.passage.config();
                IndexWriter::create(&args.index, &config)?
            }
            Some((flags, min_passage_words)) => {
                let existing = Index::open(&args.index)?;
                let mut config = flags.over(existing.config());
                // Passage flags given to `add` must be the index's; left out, the index's
                // apply (so `--passages` alone only asks that the index has them).
                if args.passage.passages {
                    existing.require_passages()?;
                }
                if min_passage_words.is_some() {
                    config.passages = args.passage.config();
                }
                drop(existing);
                IndexWriter::open(&args.index, Some(&config))?
            }
        };
        writer
            .with_progress(progress.clone())
            .add_paths(&args.paths, options)
    });
    run.finish(&display);
    let summary: AddSummary = summary??;
    warn_skipped(&summary.skipped, "skipped ", args.quiet);
    if !args.quiet {
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
    Ok(exit_code(
        summary.skipped.iter().any(|s| s.error),
        ExitCode::SUCCESS,
    ))
}

/// `index compact`.
fn compact(index: &Path, threads: usize) -> Result<ExitCode, CliError> {
    let merged = with_threads(threads, || -> Result<bool, Error> {
        IndexWriter::open(index, None)?.compact()
    })??;
    let s = Index::open(index)?.stats()?;
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

/// `index stats`.
fn stats(dir: PathBuf, format: InfoFormat) -> Result<ExitCode, CliError> {
    let s = Index::open(&dir)?.stats()?;
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    match format {
        InfoFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &s).map_err(io::Error::other)?;
            writeln!(out)?;
        }
        InfoFormat::Text => write_stats_text(&mut out, &dir, &s)?,
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// `index stats` for a terminal.
fn write_stats_text(out: &mut dyn Write, dir: &Path, s: &IndexStats) -> io::Result<()> {
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
    Ok(())
}
