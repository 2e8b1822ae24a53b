//! `eval REPORT`: score a JSON report against labels or against the exact truth.
//!
//! Input: [`EvalArgs`] (a report written by `scan --format json`, labels or `--truth exact`
//! with the corpus). Output: the library's `eval::Evaluation` as text or JSON on stdout.
//! Invariant: the corpus is read with the same input options the scan used, given again.

use std::io::{self, BufWriter, Write};
use std::process::ExitCode;

use neardup::eval::{self, Evaluation};
use neardup::{Error, Report};

use super::args::{EvalArgs, SummaryFormat, Truth};
use super::CliError;

/// `eval`.
pub(super) fn run(args: EvalArgs) -> Result<ExitCode, CliError> {
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
        write_text(&mut out, &evaluation)?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// The evaluation for people.
fn write_text(out: &mut dyn Write, e: &Evaluation) -> io::Result<()> {
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
    Ok(())
}
