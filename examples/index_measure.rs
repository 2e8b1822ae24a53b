//! Measures an index: open time, bytes per paragraph and query latency per paragraph.
//!
//! ```text
//! cargo run --release --example index_measure -- INDEX_DIR CORPUS_DIR [QUERIES]
//! ```
//!
//! Opens the index 101 times (median reported), then queries QUERIES (default 2000)
//! paragraphs taken evenly from the corpus files, each on its own, and prints the median and
//! 99th percentile latency per paragraph. Build time is measured outside, with `time neardup
//! index build`.

use std::path::PathBuf;
use std::time::Instant;

use neardup::index::Index;

fn percentile(sorted: &[f64], q: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 2 {
        eprintln!("usage: index_measure INDEX_DIR CORPUS_DIR [QUERIES]");
        std::process::exit(2);
    }
    let idx = PathBuf::from(&args[0]);
    let corpus = PathBuf::from(&args[1]);
    let wanted: usize = args.get(2).map(|s| s.parse()).transpose()?.unwrap_or(2000);

    let mut opens = Vec::new();
    for _ in 0..101 {
        let t = Instant::now();
        let index = Index::open(&idx)?;
        opens.push(t.elapsed().as_secs_f64() * 1e3);
        drop(index);
    }
    opens.sort_by(f64::total_cmp);
    let index = Index::open(&idx)?;
    let stats = index.stats()?;

    let mut files = Vec::new();
    for e in walkdir::WalkDir::new(&corpus).sort_by_file_name() {
        let e = e?;
        if e.file_type().is_file() {
            files.push(e.into_path());
        }
    }
    let step = (files.len() / wanted.max(1)).max(1);
    let mut paragraphs = Vec::new();
    for f in files.iter().step_by(step) {
        let text = std::fs::read_to_string(f)?;
        if let Some(line) = text.lines().map(str::trim).find(|l| !l.is_empty()) {
            paragraphs.push(line.to_string());
        }
        if paragraphs.len() == wanted {
            break;
        }
    }
    let mut lat = Vec::new();
    let mut matched = 0;
    for p in &paragraphs {
        let t = Instant::now();
        let r = index.query_text(p)?;
        lat.push(t.elapsed().as_secs_f64() * 1e3);
        matched += r.iter().map(|q| q.matches.len()).sum::<usize>();
    }
    lat.sort_by(f64::total_cmp);
    println!("paragraphs: {}", stats.paragraphs);
    println!("segments: {}", stats.segments);
    println!("bytes: {}", stats.bytes);
    println!("bytes_per_paragraph: {:.1}", stats.bytes_per_paragraph);
    println!("open_ms_median: {:.3}", percentile(&opens, 0.5));
    println!("open_ms_max: {:.3}", opens[opens.len() - 1]);
    println!("queries: {} (matches {matched})", lat.len());
    println!("query_ms_median: {:.3}", percentile(&lat, 0.5));
    println!("query_ms_p99: {:.3}", percentile(&lat, 0.99));
    Ok(())
}
