//! Writes a synthetic labelled corpus (see `neardup::synth`) to a directory.
//!
//! ```text
//! cargo run --release --example gen_corpus -- --out DIR --paragraphs N [--seed S]
//!     [--arabic-share F] [--lead-repeat-rate F] [--near-dup-rate F] [--copies MIN,MAX]
//!     [--edit-rate LO,HI] [--format-variant-rate F] [--hard-negative-rate F] [--sites N]
//!     [--paragraphs-per-article MIN,MAX] [--words-per-paragraph MIN,MAX]
//! ```
//!
//! Prints paragraphs, bytes, groups, hard negatives and timings to stdout.

use neardup::synth::{generate, SynthConfig};
use std::path::PathBuf;
use std::process::ExitCode;
use std::str::FromStr;
use std::time::Instant;

const USAGE: &str = "usage: gen_corpus --out DIR --paragraphs N [--seed S] [--arabic-share F] \
[--lead-repeat-rate F] [--near-dup-rate F] [--copies MIN,MAX] [--edit-rate LO,HI] \
[--format-variant-rate F] [--hard-negative-rate F] [--sites N] \
[--paragraphs-per-article MIN,MAX] [--words-per-paragraph MIN,MAX]";

fn one<T: FromStr>(flag: &str, value: &str) -> Result<T, String> {
    value
        .parse()
        .map_err(|_| format!("{flag}: cannot parse {value:?}"))
}

fn pair<T: FromStr>(flag: &str, value: &str) -> Result<(T, T), String> {
    let (a, b) = value
        .split_once(',')
        .ok_or_else(|| format!("{flag}: expected MIN,MAX, got {value:?}"))?;
    Ok((one(flag, a.trim())?, one(flag, b.trim())?))
}

fn parse() -> Result<(PathBuf, SynthConfig), String> {
    let mut config = SynthConfig::default();
    let mut out = None;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        if flag == "-h" || flag == "--help" {
            return Err(USAGE.to_owned());
        }
        let value = args
            .next()
            .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))?;
        match flag.as_str() {
            "--out" => out = Some(PathBuf::from(value)),
            "--paragraphs" => config.paragraphs = one(&flag, &value)?,
            "--seed" => config.seed = one(&flag, &value)?,
            "--arabic-share" => config.arabic_share = one(&flag, &value)?,
            "--lead-repeat-rate" => config.lead_repeat_rate = one(&flag, &value)?,
            "--near-dup-rate" => config.near_dup_rate = one(&flag, &value)?,
            "--copies" => config.copies = pair(&flag, &value)?,
            "--edit-rate" => config.edit_rate = pair(&flag, &value)?,
            "--format-variant-rate" => config.format_variant_rate = one(&flag, &value)?,
            "--hard-negative-rate" => config.hard_negative_rate = one(&flag, &value)?,
            "--sites" => config.sites = one(&flag, &value)?,
            "--paragraphs-per-article" => config.paragraphs_per_article = pair(&flag, &value)?,
            "--words-per-paragraph" => config.words_per_paragraph = pair(&flag, &value)?,
            _ => return Err(format!("unknown flag {flag}\n{USAGE}")),
        }
    }
    let out = out.ok_or_else(|| format!("--out is required\n{USAGE}"))?;
    Ok((out, config))
}

fn main() -> ExitCode {
    let (out, config) = match parse() {
        Ok(x) => x,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    let started = Instant::now();
    let corpus = generate(&config);
    let generated = started.elapsed();
    let paragraphs = corpus.paragraph_count();
    if let Err(e) = corpus.write_to(&out) {
        eprintln!("error: writing {}: {e}", out.display());
        return ExitCode::FAILURE;
    }
    let total = started.elapsed();
    println!("articles: {}", corpus.articles.len());
    println!("paragraphs: {paragraphs}");
    println!("bytes: {}", corpus.byte_count());
    println!("groups: {}", corpus.labels.groups.len());
    println!("hard_negatives: {}", corpus.labels.hard_negatives.len());
    println!(
        "generate: {:.3} s ({:.0} paragraphs/s); with writing: {:.3} s",
        generated.as_secs_f64(),
        paragraphs as f64 / generated.as_secs_f64().max(1e-9),
        total.as_secs_f64()
    );
    ExitCode::SUCCESS
}
