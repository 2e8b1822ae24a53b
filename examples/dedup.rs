//! Write a cleaned copy of a corpus: one copy of each duplicate paragraph kept, the others
//! removed, every other byte unchanged.
//!
//! ```text
//! cargo run --example dedup -- corpora/sample /tmp/sample-clean
//! ```

use std::path::PathBuf;

use neardup::dedup::{self, DedupOptions};
use neardup::{Config, ScanOptions, Scanner};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let corpus = PathBuf::from(args.next().unwrap_or("corpora/sample".into()));
    let out = PathBuf::from(args.next().unwrap_or("/tmp/neardup-example-clean".into()));
    let mut options = DedupOptions::default();
    options.force = true; // the example may run twice
                          // Refuse an output inside the corpus (or holding it) before scanning.
    dedup::check_paths(&corpus, &out, options.force)?;
    let config = Config::default();
    let split = config.split;
    // Files are rewritten by byte span (plain text) or record by record (JSONL and Parquet
    // datasets); other files are copied as they are.
    let mut scan = ScanOptions::default();
    scan.input.text_only = true;
    scan.input.datasets = true;
    let report = Scanner::new(config)?
        .with_options(scan)
        .scan_paths(std::slice::from_ref(&corpus))?;
    let removals = dedup::plan(&report, &options);
    let summary = dedup::write_corpus(
        &corpus,
        &out,
        split,
        &report,
        &removals,
        &options,
        &Default::default(),
    )?;
    println!("{}", summary.line(options.mode, &out));
    Ok(())
}
