//! Build a persistent index of a directory, query it with a paragraph, and cluster it without
//! re-reading the corpus.
//!
//! ```text
//! cargo run --example index_query -- corpora/sample /tmp/sample-index
//! ```
//!
//! The index is created (or added to, when it exists); adding the same files again is a no-op.

use neardup::index::{AddOptions, IndexScanOptions};
use neardup::{Config, Index, IndexWriter};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let corpus = args.next().unwrap_or("corpora/sample".into());
    let dir = args.next().unwrap_or("/tmp/neardup-example-index".into());
    let mut writer = if std::path::Path::new(&dir).join("manifest.json").exists() {
        IndexWriter::open(&dir, None)?
    } else {
        IndexWriter::create(&dir, &Config::default())?
    };
    let added = writer.add_paths(&[&corpus], AddOptions::default())?;
    println!("{} added, {} unchanged", added.added, added.unchanged);
    drop(writer); // releases the writer lock; readers never need it

    let index = Index::open(&dir)?;
    // Which indexed paragraphs does this text repeat?
    let text = "Footer: all rights reserved.";
    for paragraph in index.query_text(text)? {
        for m in paragraph.matches.iter().take(3) {
            println!(
                "{:?} ~ {}:{} ({:.3})",
                paragraph.text, m.path, m.line, m.similarity
            );
        }
    }
    // The clusters `neardup scan` would report for the indexed files, with the same names.
    let report = index.scan(IndexScanOptions::default())?;
    println!("{} clusters", report.clusters.len());
    Ok(())
}
