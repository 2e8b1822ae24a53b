//! `normalize [TEXT…]`: the normalised form of text, exactly what the engine compares.
//!
//! Input: arguments, or standard input line by line. Output: one normalised line per input
//! line on stdout. Invariant: the library's `normalize`, nothing added.

use std::io::{self, BufWriter, Read, Write};
use std::process::ExitCode;

use neardup::normalize::normalize;
use neardup::Error;

use super::CliError;

/// `normalize`.
pub(super) fn run(text: Vec<String>) -> Result<ExitCode, CliError> {
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
