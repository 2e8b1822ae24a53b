//! Measure HTML extraction against a reference extraction (readability.js's test pages).
//!
//! Usage: `cargo run --release --example extraction_quality -- DIR [MIN_WORDS]`
//!
//! DIR holds one directory per page with `source.html` (the saved page) and `expected.html`
//! (what readability.js keeps), the layout of readability's `test/test-pages/`. Those pages
//! are copies of third-party sites and are not in this repository: use
//! a checkout of mozilla/readability and pass its `test/test-pages` directory.
//!
//! For each page, paragraphs of MIN_WORDS (default 8) or more words are compared after
//! neardup's normalisation:
//! - recall: share of the reference's paragraphs found in neardup's extraction;
//! - precision: share of neardup's paragraphs found in the reference.
//!
//! A paragraph is "found" when its normalised text occurs in the other side's normalised text
//! (all its paragraphs joined by spaces), so the two extractions may cut blocks differently
//! (a `<div>` of text versus its `<p>`s) without being penalised. Prints one line per page
//! and the micro and macro averages.

use std::path::Path;

use neardup::ingest::html;
use neardup::normalize::normalize;

fn long_paragraphs(paragraphs: &[String], min_words: usize) -> Vec<String> {
    paragraphs
        .iter()
        .map(|p| normalize(p).into_owned())
        .filter(|p| p.split_whitespace().count() >= min_words)
        .collect()
}

fn found(items: &[String], other: &[String]) -> usize {
    let haystack = format!(" {} ", other.join(" "));
    items
        .iter()
        .filter(|p| haystack.contains(&format!(" {p} ")))
        .count()
}

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(dir) = args.next() else {
        eprintln!("usage: extraction_quality DIR [MIN_WORDS]");
        std::process::exit(2);
    };
    let min_words: usize = args.next().map_or(8, |a| a.parse().expect("MIN_WORDS"));
    let mut pages: Vec<_> = std::fs::read_dir(&dir)
        .expect("read DIR")
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.join("source.html").is_file() && p.join("expected.html").is_file())
        .collect();
    pages.sort();
    let (mut ref_total, mut ref_found, mut ext_total, mut ext_found) = (0, 0, 0, 0);
    let (mut recall_sum, mut precision_sum, mut n) = (0.0, 0.0, 0);
    println!("page\treference\tfound\trecall\textracted\tin_reference\tprecision");
    for page in &pages {
        let source = std::fs::read(page.join("source.html")).expect("source.html");
        let expected = std::fs::read(page.join("expected.html")).expect("expected.html");
        let extracted = html::extract_paragraphs(&html::decode(&source, None).text);
        let reference = html::block_paragraphs(&html::decode(&expected, None).text);
        let ext = long_paragraphs(&extracted, min_words);
        let refs = long_paragraphs(&reference, min_words);
        if refs.is_empty() {
            continue;
        }
        let rf = found(&refs, &ext);
        let ef = found(&ext, &refs);
        let recall = rf as f64 / refs.len() as f64;
        let precision = if ext.is_empty() {
            0.0
        } else {
            ef as f64 / ext.len() as f64
        };
        println!(
            "{}\t{}\t{rf}\t{recall:.3}\t{}\t{ef}\t{precision:.3}",
            page.file_name()
                .map(|n| n.to_string_lossy())
                .unwrap_or_default(),
            refs.len(),
            ext.len()
        );
        ref_total += refs.len();
        ref_found += rf;
        ext_total += ext.len();
        ext_found += ef;
        recall_sum += recall;
        precision_sum += precision;
        n += 1;
    }
    if n == 0 {
        eprintln!(
            "no page with source.html + expected.html under {}",
            Path::new(&dir).display()
        );
        std::process::exit(1);
    }
    println!(
        "# {n} pages, paragraphs of {min_words}+ words: micro recall {:.3} ({ref_found}/{ref_total}), \
         micro precision {:.3} ({ext_found}/{ext_total}); macro recall {:.3}, macro precision {:.3}",
        ref_found as f64 / ref_total as f64,
        ext_found as f64 / ext_total.max(1) as f64,
        recall_sum / n as f64,
        precision_sum / n as f64
    );
}
