//! The command-line interface, part of the binary only: flags → library calls → output.
//!
//! `main.rs` only calls [`run`]. Flags are defined once, as data ([`args`], clap derive), and
//! turned into library types there, so the CLI and the library cannot disagree on a default;
//! the library knows nothing of clap. One module per command (`scan`, `dedup`, `index`,
//! `query`, `paragraphs`, `normalize`, `params`, `eval`, `docs`); [`output`] writes what they
//! produce and [`progress`] draws the bar the library reports to.
//! Exit codes: 0 success, 1 duplicates found with `--fail-on-duplicates`, 2 error (including a
//! file skipped under `--keep-going`). A closed stdout (e.g. `| head`) is not an error.

use std::io::{self, BufWriter};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};

use neardup::Error;

mod args;
mod dedup;
mod docs;
mod eval;
mod index;
mod normalize;
mod output;
mod paragraphs;
mod params;
mod progress;
mod query;
mod scan;

use args::{Cli, Command};

/// Run the CLI with the process's arguments and return its exit code.
pub(crate) fn run() -> ExitCode {
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
            neardup::error::panic_message(info.payload())
        );
    }));
    // Where the flags of the innermost subcommand are, for "was this flag given?".
    let leaf = args::leaf(&matches);
    let result = match cli.command {
        Command::Scan(args) if args.index.is_some() => {
            let flags = args.matching.given(leaf);
            let min_passage_words = args.passage.min_words_given(leaf);
            scan::run_index(args, flags, min_passage_words)
        }
        Command::Scan(args) => scan::run(args),
        Command::Dedup(args) => dedup::run(args),
        Command::Paragraphs(args) => paragraphs::run(args),
        Command::Normalize { text } => normalize::run(text),
        Command::Index(command) => index::run(command, leaf),
        Command::Query(args) => {
            let flags = args.matching.given(leaf);
            query::run(args, flags)
        }
        Command::Params(args) => params::run(args),
        Command::Eval(args) => eval::run(args),
        Command::Completions { shell } => {
            docs::completions(shell, &mut BufWriter::new(io::stdout().lock()))
                .map_err(CliError::Output)
        }
        Command::Man => {
            docs::man(&mut BufWriter::new(io::stdout().lock())).map_err(CliError::Output)
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

/// Run `f` in a pool of `threads` workers (0: one per core).
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

/// Exit status 2 when any input was skipped with an error (`--keep-going`), else `otherwise`.
fn exit_code(any_error: bool, otherwise: ExitCode) -> ExitCode {
    if any_error {
        ExitCode::from(2)
    } else {
        otherwise
    }
}
