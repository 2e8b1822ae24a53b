//! neardup finds duplicate and near-duplicate paragraphs in collections of articles.
//!
//! News text repeats itself: a title printed twice, a lead restated further down, a wire
//! story republished by ten outlets with a few words changed, a footer on every page of a
//! site. neardup cuts articles into paragraphs, normalises them (Unicode NFKC, case folding,
//! punctuation, Arabic diacritics and letter forms), shingles them into word 3-grams, sketches
//! them with MinHash, finds candidate pairs with LSH, verifies every candidate and clusters the
//! verified pairs — within one article and across articles.
//!
//! The pipeline, one module per stage:
//! [`ingest`] → [`normalize`] → [`shingle`] → [`minhash`] → [`lsh`] → [`cluster`] → [`report`],
//! run together by [`Scanner`]. With [`Config::passages`] set, [`passage`] then finds
//! passages (quotes, leads) shared inside paragraphs of any length, with word-exact byte spans.
//! [`index`] keeps the sketches on disk (memory-mapped, incremental, crash-safe) for queries
//! and clusters without re-reading the corpus.
//!
//! The library has three layers; most users need only the first.
//!
//! 1. **Scan**: [`Config`] (matching parameters, validated into [`Params`]) → [`Scanner`] →
//!    [`Report`] (clusters of [`Member`]s, written with [`Report::write`] as one of the
//!    [`Format`]s). [`ScanOptions`] says how files are read.
//! 2. **Index**: [`IndexWriter`] builds and extends an index directory; [`Index`] opens a
//!    snapshot that answers [`Index::query`] and clusters everything with [`Index::scan`].
//! 3. **Stages**, the low-level layer for benchmarks, bindings and batch kernels (Arrow):
//!    [`sketch::Sketcher`] (one paragraph's text → compared?, exact hash, MinHash signature;
//!    exact Jaccard; the verification rule), and under it [`normalize::normalize`],
//!    [`shingle`], [`minhash::MinHasher`], [`lsh`] band keys and candidates, and
//!    [`cluster::verify`] with [`cluster::UnionFind`].
//!
//! Where to start, by task:
//!
//! | task | start at |
//! |---|---|
//! | cluster documents, files or directories | [`Scanner`] with [`ScanOptions`] (and its [`ingest::InputOptions`]) |
//! | read or write a report | [`Report`], [`Report::write`], [`Format`] |
//! | keep a persistent, incremental collection | [`IndexWriter`], [`Index`] (in [`index`]) |
//! | remove the duplicates a report found | [`dedup`] (`plan`, then `write_corpus`) |
//! | score a report against labels | [`eval`] |
//! | watch progress | [`progress::Observer`] |
//! | sketch paragraphs one by one (benchmarks, bindings) | [`sketch::Sketcher`] |
//! | run the stages on Arrow record batches (Spark, Ray) | `kernels` (feature `arrow`) |
//!
//! Everything else is crate-private; `synth` (behind its feature) generates test corpora, and
//! the `neardup` binary's command-line interface is not part of the library.
//!
//! # Scan documents
//!
//! ```
//! use neardup::{Config, Document, Scanner};
//!
//! let mut config = Config::default();
//! config.threshold = 0.8;
//! let scanner = Scanner::new(config)?;
//! // A wire story republished with one word changed (30 words, so 3 of 28 shingles differ).
//! let story = "The harbour authority said on Sunday that the northern port would reopen to \
//!     cargo ships within a week, once divers have cleared the wreck that has blocked the main \
//!     channel since the storm.";
//! let edited = story.replace("within a week", "within a fortnight");
//! let report = scanner.scan_documents(vec![
//!     Document::from_text("a.txt", format!("Port reopens after storm\n{story}")),
//!     Document::from_text("b.txt", format!("Harbour news\n{edited}")),
//!     Document::from_text("c.txt", "Weather\nRain is expected across the region."),
//! ])?;
//! assert_eq!(report.clusters.len(), 1);
//! let cluster = &report.clusters[0];
//! assert_eq!(cluster.members[0].path, "a.txt");
//! assert_eq!(cluster.members[1].path, "b.txt");
//! assert!(cluster.members[1].similarity >= 0.8);
//! # Ok::<(), neardup::Error>(())
//! ```
//!
//! # Scan files and directories
//!
//! [`Scanner::scan_paths`] walks directories in sorted order and reads text, Markdown, HTML,
//! JSONL and WARC files (also gzip or zstd compressed); [`ScanOptions::input`] says how.
//!
//! ```no_run
//! use neardup::{report::Format, Config, Scanner};
//!
//! let report = Scanner::new(Config::default())?.scan_paths(&["corpus/"])?;
//! report.write(Format::Json, &mut std::io::stdout())?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Build and query an index
//!
//! ```
//! use neardup::index::{AddOptions, QueryOptions};
//! use neardup::{Config, Index, IndexWriter};
//!
//! let dir = tempfile::tempdir()?;
//! let corpus = dir.path().join("corpus");
//! std::fs::create_dir(&corpus)?;
//! let story = "The harbour authority said on Sunday that the northern port would reopen to \
//!     cargo ships within a week.";
//! std::fs::write(corpus.join("a.txt"), format!("Port reopens\n{story}\n"))?;
//!
//! let index_dir = dir.path().join("index");
//! let mut writer = IndexWriter::create(&index_dir, &Config::default())?;
//! writer.add_paths(&[&corpus], AddOptions::default())?;
//!
//! let index = Index::open(&index_dir)?;
//! let found = index.query("new.txt", story.as_bytes(), QueryOptions::default())?;
//! assert!(found.paragraphs[0].matches[0].path.ends_with("a.txt"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # The stages, one paragraph at a time
//!
//! ```
//! use neardup::sketch::Sketcher;
//! use neardup::Config;
//!
//! let params = Config::default().params()?;
//! let mut sketcher = Sketcher::new(&params);
//! let mut signature = vec![0u32; sketcher.num_perm()];
//! let exact = sketcher.sketch("Rain is expected across the region.", &mut signature);
//! assert!(exact.is_some()); // compared: long enough, with words
//! let j = sketcher.jaccard("rain is expected today", "rain is expected tomorrow");
//! assert!(j > 0.0 && j < 1.0);
//! # Ok::<(), neardup::Error>(())
//! ```
#![warn(missing_docs)]
// `unsafe` is allowed in five places only (ARCHITECTURE.md, "Why these choices"): the map of
// index files (`index::segment::map_file`), the run-time CPU dispatch of MinHash kernels
// (`minhash::x86`), the SSE2 block of Arabic words in `normalize` (SSE2 is part of every
// x86-64 CPU), the AVX-512 blocks of ASCII bytes and of Arabic words in `normalize`, and the
// eight-lane AVX-512 shingle hash in `shingle::xxh3_lanes` (its gathers); the AVX-512 ones
// are called only where run-time detection found the features.
#![deny(unsafe_code)]

pub mod cluster;
pub mod config;
pub mod dedup;
pub mod error;
pub mod eval;
pub mod index;
pub mod ingest;
#[cfg(feature = "arrow")]
pub mod kernels;
pub mod labels;
pub mod lsh;
pub mod minhash;
pub mod normalize;
pub mod passage;
pub mod progress;
pub mod report;
pub mod scan;
pub mod shingle;
pub mod sketch;
#[cfg(feature = "synth")]
pub mod synth;
mod util;

pub use config::{Config, Params, SplitMode, VerifyMode};
pub use error::{Error, Result};
pub use index::{Index, IndexWriter};
pub use ingest::Document;
pub use report::{Cluster, Format, Member, Report};
pub use scan::{ScanOptions, Scanner};
pub use util::write_atomically;
