//! Measures an index: open time, bytes per paragraph and query latency per paragraph.
//!
//! ```text
//! cargo run --release --example index_measure -- INDEX_DIR CORPUS_DIR [QUERIES] [--passages]
//! ```
//!
//! Opens the index 101 times (median reported), then queries QUERIES (default 2000)
//! paragraphs taken evenly from the corpus files, each on its own, and prints the median and
//! 99th percentile latency per paragraph. Build time is measured outside, with `time neardup
//! index build`.
//!
//! With `--passages` (an index built with `index build --passages`), the queried paragraphs
//! are the first of at least 20 words of each file, and each is also looked up for passages
//! ([`Index::query_passages`]: anchors, candidate sources re-read, alignment); the passage
//! sections' share of the bytes and the passage query latency are printed too.

use std::path::{Path, PathBuf};
use std::time::Instant;

use neardup::index::Index;

fn percentile(sorted: &[f64], q: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

/// Times `f` over every paragraph: sorted latencies in ms, and the sum of what `f` counts.
fn time_each(
    paragraphs: &[String],
    mut f: impl FnMut(&str) -> Result<usize, neardup::Error>,
) -> Result<(Vec<f64>, usize), neardup::Error> {
    let mut lat = Vec::with_capacity(paragraphs.len());
    let mut found = 0;
    for p in paragraphs {
        let t = Instant::now();
        found += f(p)?;
        lat.push(t.elapsed().as_secs_f64() * 1e3);
    }
    lat.sort_by(f64::total_cmp);
    Ok((lat, found))
}

/// Milliseconds to open the index at `idx`, 101 times, sorted.
fn open_times(idx: &Path) -> Result<Vec<f64>, neardup::Error> {
    let mut opens = Vec::new();
    for _ in 0..101 {
        let t = Instant::now();
        let index = Index::open(idx)?;
        opens.push(t.elapsed().as_secs_f64() * 1e3);
        drop(index);
    }
    opens.sort_by(f64::total_cmp);
    Ok(opens)
}

/// Up to `wanted` query paragraphs, taken evenly from the files under `corpus` (in file-name
/// order): from each, its first line of at least `min_words` words.
fn sample_paragraphs(
    corpus: &Path,
    wanted: usize,
    min_words: usize,
) -> Result<Vec<String>, Box<dyn std::error::Error>> {
    let mut files = Vec::new();
    for e in walkdir::WalkDir::new(corpus).sort_by_file_name() {
        let e = e?;
        if e.file_type().is_file() {
            files.push(e.into_path());
        }
    }
    let step = (files.len() / wanted.max(1)).max(1);
    let mut paragraphs = Vec::new();
    for f in files.iter().step_by(step) {
        let text = std::fs::read_to_string(f)?;
        let pick = text
            .lines()
            .map(str::trim)
            .find(|l| l.split_whitespace().count() >= min_words);
        if let Some(line) = pick {
            paragraphs.push(line.to_string());
        }
        if paragraphs.len() == wanted {
            break;
        }
    }
    Ok(paragraphs)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let passages = args.iter().any(|a| a == "--passages");
    args.retain(|a| a != "--passages");
    if args.len() < 2 {
        eprintln!("usage: index_measure INDEX_DIR CORPUS_DIR [QUERIES] [--passages]");
        std::process::exit(2);
    }
    let idx = PathBuf::from(&args[0]);
    let corpus = PathBuf::from(&args[1]);
    let wanted: usize = args.get(2).map(|s| s.parse()).transpose()?.unwrap_or(2000);

    let opens = open_times(&idx)?;
    let index = Index::open(&idx)?;
    let stats = index.stats()?;

    let min_words = if passages { 20 } else { 1 };
    let paragraphs = sample_paragraphs(&corpus, wanted, min_words)?;
    let (lat, matched) = time_each(&paragraphs, |p| {
        Ok(index.query_text(p)?.iter().map(|q| q.matches.len()).sum())
    })?;
    println!("paragraphs: {}", stats.paragraphs);
    println!("segments: {}", stats.segments);
    println!("bytes: {}", stats.bytes);
    println!("bytes_per_paragraph: {:.1}", stats.bytes_per_paragraph);
    if let Some(p) = &stats.passages {
        let per = |n: u64| n as f64 / stats.stored_paragraphs.max(1) as f64;
        println!(
            "passage_fingerprints_per_paragraph: {:.1}",
            per(p.fingerprints)
        );
        println!("passage_bytes_per_paragraph: {:.1}", per(p.bytes));
    }
    println!("open_ms_median: {:.3}", percentile(&opens, 0.5));
    println!("open_ms_max: {:.3}", opens[opens.len() - 1]);
    println!("queries: {} (matches {matched})", lat.len());
    println!("query_ms_median: {:.3}", percentile(&lat, 0.5));
    println!("query_ms_p99: {:.3}", percentile(&lat, 0.99));
    if passages {
        let (lat, spans) = time_each(&paragraphs, |p| {
            Ok(index
                .query_passages(p)?
                .clusters
                .iter()
                .map(|c| c.spans.len())
                .sum())
        })?;
        println!("passage_queries: {} (spans {spans})", lat.len());
        println!("passage_query_ms_median: {:.3}", percentile(&lat, 0.5));
        println!("passage_query_ms_p99: {:.3}", percentile(&lat, 0.99));
    }
    Ok(())
}
