//! Measures passage detection (recall, precision, span boundaries) on a generated corpus with
//! passages of known position (see `neardup::synth::generate_passages`).
//!
//! ```text
//! cargo run --release --example passage_eval -- [--articles N] [--passages N] [--seed S]
//!     [--min-words N] [--anchor K] [--window W] [--max-occurrences N] [--edited-rate F]
//!     [--edit-rate LO,HI] [--out DIR]
//! ```
//!
//! Prints the corpus size, the passage statistics, the quality figures and the wall time of the
//! scan (paragraph clustering + passages) and of a scan without passages, both medians of 3.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use neardup::passage::PassageConfig;
use neardup::synth::{evaluate_passages, generate_passages, PassageSynthConfig};
use neardup::{Config, Document, Scanner};

fn parse<T: std::str::FromStr>(flag: &str, v: Option<String>) -> Result<T, String> {
    let v = v.ok_or(format!("{flag} needs a value"))?;
    v.parse().map_err(|_| format!("{flag}: cannot parse {v:?}"))
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("passage_eval: {e}");
            ExitCode::from(2)
        }
    }
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// What the command line asks for.
struct Args {
    synth: PassageSynthConfig,
    passages: PassageConfig,
    /// Where to write the generated corpus, if anywhere.
    out: Option<String>,
}

/// The flags of the usage line in the module header; an unknown flag or a bad value is an error.
fn parse_args() -> Result<Args, String> {
    let mut synth = PassageSynthConfig::default();
    let mut passages = PassageConfig::default();
    let mut out = None;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        match flag.as_str() {
            "--articles" => synth.articles = parse(&flag, args.next())?,
            "--passages" => synth.passages = parse(&flag, args.next())?,
            "--seed" => synth.seed = parse(&flag, args.next())?,
            "--edited-rate" => synth.edited_rate = parse(&flag, args.next())?,
            "--edit-rate" => {
                let v: String = parse(&flag, args.next())?;
                let (a, b) = v.split_once(',').ok_or("--edit-rate LO,HI")?;
                synth.edit_rate = (parse(&flag, Some(a.into()))?, parse(&flag, Some(b.into()))?);
            }
            "--min-words" => passages.min_words = parse(&flag, args.next())?,
            "--anchor" => passages.anchor_words = parse(&flag, args.next())?,
            "--window" => passages.window = parse(&flag, args.next())?,
            "--max-occurrences" => passages.max_occurrences = parse(&flag, args.next())?,
            "--out" => out = Some(parse::<String>(&flag, args.next())?),
            _ => return Err(format!("unknown flag {flag}")),
        }
    }
    Ok(Args {
        synth,
        passages,
        out,
    })
}

fn run() -> Result<(), String> {
    let Args {
        synth,
        passages,
        out,
    } = parse_args()?;
    let corpus = generate_passages(&synth);
    if let Some(dir) = out {
        corpus
            .write_to(std::path::Path::new(&dir))
            .map_err(|e| format!("{dir}: {e}"))?;
    }
    let docs: Vec<Document> = corpus
        .articles
        .iter()
        .map(|a| Document::from_text(a.path.clone(), a.text.clone()))
        .collect();
    let bytes: usize = corpus.articles.iter().map(|a| a.text.len()).sum();
    let mut config = Config::default();
    let plain = Scanner::new(config.clone()).map_err(|e| e.to_string())?;
    config.passages = Some(passages);
    let scanner = Scanner::new(config).map_err(|e| e.to_string())?;

    let mut with = Vec::new();
    let mut without = Vec::new();
    let mut report = None;
    for _ in 0..3 {
        let t = Instant::now();
        report = Some(
            scanner
                .scan_documents(docs.clone())
                .map_err(|e| e.to_string())?,
        );
        with.push(t.elapsed());
        let t = Instant::now();
        plain
            .scan_documents(docs.clone())
            .map_err(|e| e.to_string())?;
        without.push(t.elapsed());
    }
    let report = report.ok_or("no report")?;
    let passages = report.passages.as_ref().ok_or("no passages in report")?;
    let eval = evaluate_passages(&corpus, passages);
    println!(
        "corpus: {} articles, {} bytes, {} planted passages, {} occurrences",
        corpus.articles.len(),
        bytes,
        corpus.labels.passages.len(),
        corpus
            .labels
            .passages
            .iter()
            .map(|p| p.occurrences.len())
            .sum::<usize>()
    );
    println!(
        "params: {}",
        serde_json::to_string(&passages.params).map_err(|e| e.to_string())?
    );
    println!(
        "stats: {}",
        serde_json::to_string(&passages.stats).map_err(|e| e.to_string())?
    );
    println!("{eval}");
    println!(
        "time (median of 3): scan with passages {:.3} s, without {:.3} s",
        median(with).as_secs_f64(),
        median(without).as_secs_f64()
    );
    Ok(())
}
