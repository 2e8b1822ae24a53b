//! `query TEXT --index DIR`: where each paragraph of a text appears in an index.
//!
//! Input: [`QueryArgs`] and the matching flags as given. Output: the matches (and, with
//! `--passages`, the shared passages) as text or JSON on stdout or `--output`. Invariant: the
//! index's parameters apply; a matching flag given explicitly must equal the index's (only
//! `--verify` may differ).

use std::io::{self, Read, Write};
use std::process::ExitCode;

use neardup::index::{Index, QueryOptions};
use neardup::Error;

use super::args::{InfoFormat, MatchFlags, QueryArgs};
use super::output::{warn_skipped, write_out};
use super::scan::check_flags;
use super::CliError;

/// `query`.
pub(super) fn run(args: QueryArgs, flags: MatchFlags) -> Result<ExitCode, CliError> {
    let index = Index::open(&args.index)?;
    let verify = check_flags(&index, &flags)?;
    let (name, bytes) = if args.text.as_os_str() == "-" {
        let mut buf = Vec::new();
        io::stdin()
            .read_to_end(&mut buf)
            .map_err(|e| Error::io("<stdin>", "read", e))?;
        ("-".to_string(), buf)
    } else {
        let bytes = std::fs::read(&args.text).map_err(|e| Error::io(&args.text, "read file", e))?;
        (neardup::ingest::slash_path(&args.text), bytes)
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
    warn_skipped(&report.skipped, "", args.quiet);
    let fill = |w: &mut dyn Write| -> io::Result<()> {
        match args.format {
            InfoFormat::Json => report.write_json(w),
            InfoFormat::Text => report.write_text(w),
        }
    };
    write_out(args.output, fill)?;
    Ok(ExitCode::SUCCESS)
}
