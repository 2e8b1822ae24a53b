//! `params`: the LSH banding chosen for a threshold and what it does.
//!
//! Input: [`ParamsArgs`] (threshold, permutations, optional bands × rows). Output: the
//! library's `lsh::calibrate` as text or JSON on stdout. Invariant: the banding shown is the
//! one a scan with the same flags uses (the same `Config::params`).

use std::io::{self, BufWriter, Write};
use std::process::ExitCode;

use neardup::lsh::{self, Calibration};
use neardup::Config;

use super::args::{ParamsArgs, SummaryFormat};
use super::CliError;

/// `params`.
pub(super) fn run(args: ParamsArgs) -> Result<ExitCode, CliError> {
    let mut config = Config::default();
    config.threshold = args.lsh.threshold;
    config.num_perm = args.lsh.num_perm;
    config.bands = args.lsh.bands;
    config.rows = args.lsh.rows;
    let params = config.params()?;
    let cal = lsh::calibrate(params.threshold, params.num_perm, params.lsh());
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    if args.format == SummaryFormat::Json {
        serde_json::to_writer_pretty(&mut out, &cal).map_err(io::Error::from)?;
        writeln!(out)?;
    } else {
        write_text(&mut out, &cal, args.lsh.bands.is_some())?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// The calibration for people; `given` when bands and rows came from the command line.
fn write_text(out: &mut dyn Write, cal: &Calibration, given: bool) -> io::Result<()> {
    let how = if given {
        "as given".to_string()
    } else {
        format!(
            "chosen: minimises {:.2} × false-positive area + {:.2} × false-negative area",
            1.0 - lsh::FALSE_NEGATIVE_WEIGHT,
            lsh::FALSE_NEGATIVE_WEIGHT
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
        cal.candidate_probability_at_threshold, cal.threshold, cal.expected_recall_above_threshold
    )?;
    writeln!(out, "\nsimilarity  P(candidate)")?;
    for (s, p) in &cal.curve {
        writeln!(out, "      {s:.2}  {p:.4}")?;
    }
    Ok(())
}
