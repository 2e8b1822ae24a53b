//! The persistent index: paragraphs sketched once, stored in memory-mapped segment files,
//! added to incrementally, queried online and clustered without re-reading the corpus.
//!
//! Input: files (or documents) and the parameters of a scan. Output: an index directory —
//! `manifest.json` (atomic; every parameter, its fingerprint, the segment list with sizes,
//! checksums and replaced documents), write-once segment files `seg-<id>.ndx` (documents,
//! paragraphs, exact hashes, signatures, band tables) and a `.lock` for writers. The byte
//! layout is specified in `docs/FORMAT.md`. Invariants:
//! - [`Index::open`] is O(1): maps and header checks only; [`Index::verify`] reads everything;
//! - every commit is atomic and durable; a crash or a failed write leaves the last commit;
//! - [`Index::scan`] gives the report `scan` gives over the same files (named the same way);
//! - corrupted files give [`crate::Error::IndexCorrupt`] naming the file and section, never a
//!   panic.
//!
//! ```
//! use neardup::index::{Index, IndexWriter, SourceDocument};
//! use neardup::{Config, Document};
//!
//! let dir = tempfile::tempdir()?;
//! let mut writer = IndexWriter::create(dir.path(), &Config::default())?;
//! let doc = |path: &str, text: &str| SourceDocument { document: Document::from_text(path, text), source: None };
//! writer.add_documents(vec![doc("a.txt", "The port reopens to cargo ships within a week, the authority said.")])?;
//! drop(writer); // releases the writer lock
//!
//! let index = Index::open(dir.path())?;
//! let results = index.query_text("the port reopens to cargo ships within a week the authority said")?;
//! assert_eq!(results[0].matches[0].path, "a.txt");
//! assert_eq!(results[0].matches[0].similarity, 1.0);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

// The file format, segments, manifest and lock are the index's own business: the public
// surface is the writer, the reader and what they take and give (re-exported below).
pub(crate) mod format;
mod lock;
pub(crate) mod manifest;
mod passages;
mod query;
pub(crate) mod reader;
pub(crate) mod segment;
pub(crate) mod writer;

pub use lock::WriterLock;
pub use manifest::Manifest;
pub use query::{Match, QueryOptions, QueryParagraph, QueryReport};
pub use reader::{Index, IndexPassageStats, IndexScanOptions, IndexStats, StoredSignatures};
pub use writer::{AddOptions, AddSummary, IndexWriter, SourceDocument};
