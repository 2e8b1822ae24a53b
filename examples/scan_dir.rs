//! Scan a directory for duplicate and near-duplicate paragraphs, then print the clusters.
//!
//! ```text
//! cargo run --example scan_dir -- corpora/sample
//! ```
//!
//! Documents are named as given (`corpora/sample/en/…`), as `neardup scan` names them.

use neardup::{Config, Format, Scanner};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args().nth(1).unwrap_or("corpora/sample".into());
    let mut config = Config::default();
    config.threshold = 0.8;
    let report = Scanner::new(config)?.scan_paths(&[&dir])?;
    println!(
        "{} documents, {} paragraphs, {} clusters",
        report.stats.documents,
        report.stats.paragraphs,
        report.clusters.len()
    );
    for cluster in report.clusters.iter().take(3) {
        println!("cluster {}:", cluster.id);
        for m in &cluster.members {
            println!("  {}:{}  {:.3}", m.path, m.line, m.similarity);
        }
    }
    // Any format of the CLI, to any writer: here the Markdown summary.
    report.write(Format::Md, &mut std::io::sink())?;
    Ok(())
}
