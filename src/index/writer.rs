//! Writing an index: [`IndexWriter`] builds, adds to and compacts an index, one atomic
//! commit per call.
//!
//! Input: files (paths as the user names them) or documents, and the index's parameters.
//! Output: new write-once segment files and a new manifest. Invariants:
//! - one writer at a time ([`WriterLock`]); readers are never blocked;
//! - a commit writes and fsyncs the segment file, fsyncs the directory, then replaces the
//!   manifest atomically: a crash at any moment leaves the previous or the new commit, and a
//!   failed write leaves the previous one (files no manifest names are removed by the next
//!   writer);
//! - a document is identified by its path; adding a path whose content (xxh3-128 and length)
//!   is unchanged does nothing, adding it with new content marks the old version deleted in the
//!   same commit that adds the new one, so each path has exactly one live version;
//! - memory is bounded by a batch of documents ([`AddOptions::batch_bytes`]), not the corpus;
//! - an index built with passage fingerprints (`Config::passages`) stores them for every
//!   document it ever receives, with the parameters in its manifest, through adds and
//!   compactions alike.

use std::path::{Component, Path, PathBuf};

use rayon::prelude::*;
use xxhash_rust::xxh3::xxh3_128;

use crate::config::{Config, Params};
use crate::error::{Error, Result};
use crate::index::lock::WriterLock;
use crate::index::manifest::{fingerprint, segment_file_name, sync_dir, Manifest, SegmentMeta};
use crate::index::reader::{DocRef, Index};
use crate::index::segment::{DocPassages, PrintRun, RowIn, SegmentBuilder};
use crate::ingest::{self, Document, InputFile, InputOptions, Loaded, Skipped};
use crate::passage::{self, PassageParams};
use crate::scan::Scanner;

/// Adds documents to an index and commits; holds the writer lock while it lives.
#[derive(Debug)]
pub struct IndexWriter {
    dir: PathBuf,
    _lock: WriterLock,
    index: Index,
    scanner: Scanner,
}

/// How [`IndexWriter::add_paths`] reads files.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AddOptions {
    /// How files are read, the options a scan takes. The index re-reads its sources by byte
    /// span, so it reads plain-text files (`.txt`, `.md`) only: of these options it honours
    /// `lossy` and `keep_going`, and refuses the ones for other formats and directory filters
    /// ([`InputOptions::check_plain_text_only`]).
    pub input: InputOptions,
    /// Bytes of file content read and sketched at a time: bounds memory.
    pub batch_bytes: usize,
}

impl Default for AddOptions {
    fn default() -> Self {
        AddOptions {
            input: InputOptions::default(),
            batch_bytes: 64 << 20,
        }
    }
}

/// What an add did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AddSummary {
    /// Documents new to the index.
    pub added: usize,
    /// Documents whose earlier version was replaced.
    pub replaced: usize,
    /// Documents already indexed with the same content (nothing done).
    pub unchanged: usize,
    /// Paragraphs written.
    pub paragraphs: usize,
    /// Files not read, and why.
    pub skipped: Vec<Skipped>,
    /// The manifest generation after the call (unchanged when nothing was added).
    pub generation: u64,
}

/// A document's content hash (xxh3-128 of its bytes) and the source path it is re-read from
/// (`/`-separated, empty without one), as the segment stores them.
type ContentSource = (u128, String);

/// A document to add from memory (library use): its content and where it can be re-read.
#[derive(Clone, Debug)]
pub struct SourceDocument {
    /// Path and bytes; the path identifies the document in the index.
    pub document: Document,
    /// The file the text can be re-read from for reports and exact verification, if any.
    pub source: Option<PathBuf>,
}

impl IndexWriter {
    /// Create an index at `dir` (created if missing) with `config`'s parameters and commit it
    /// empty. Fails if `dir` already holds an index. With `config.passages`, the index also
    /// stores passage fingerprints (format version 2), so that [`Index::query`] can find
    /// passages of a text shared with indexed documents.
    pub fn create(dir: impl AsRef<Path>, config: &Config) -> Result<IndexWriter> {
        let dir = dir.as_ref();
        let params = config.params()?;
        let passages = config.passages.as_ref().map(|p| p.params()).transpose()?;
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, "create index directory", e))?;
        let lock = WriterLock::acquire(dir)?;
        if dir.join(crate::index::manifest::MANIFEST_FILE).exists() {
            return Err(Error::IndexUsage {
                path: dir.to_path_buf(),
                message: "already holds an index: add to it with `neardup index add`, or choose \
                          an empty directory"
                    .into(),
            });
        }
        remove_strays(dir, None)?;
        let mut manifest = Manifest::new(params, passages);
        manifest.generation = 1;
        manifest.save(dir)?;
        Self::with_lock(dir, lock, None)
    }

    /// Open the index at `dir` for writing. With `config`, its parameters must be the
    /// index's (verification mode aside), else an error says which differ; its passage
    /// configuration, if any, must be the index's too.
    pub fn open(dir: impl AsRef<Path>, config: Option<&Config>) -> Result<IndexWriter> {
        let dir = dir.as_ref();
        let lock = WriterLock::acquire(dir)?;
        Self::with_lock(dir, lock, config)
    }

    fn with_lock(dir: &Path, lock: WriterLock, config: Option<&Config>) -> Result<IndexWriter> {
        let index = Index::open(dir)?;
        if index.passage_params().is_some() {
            // New segments get this build's passage anchors: refuse an index whose anchors were
            // made differently rather than mix the two.
            index.usable_passage_params()?;
        }
        if let Some(config) = config {
            check_params(dir, index.params(), &config.params()?)?;
            if let Some(p) = &config.passages {
                check_passage_params(dir, index.passage_params(), &p.params()?)?;
            }
        }
        remove_strays(dir, Some(index.manifest()))?;
        let scanner = index.scanner(None)?;
        Ok(IndexWriter {
            dir: dir.to_path_buf(),
            _lock: lock,
            index,
            scanner,
        })
    }

    /// Show the sketch stages of each batch on `progress` (a bar on stderr, stage timings).
    pub fn with_progress(mut self, progress: crate::progress::Progress) -> Self {
        self.scanner = self.scanner.with_progress(progress);
        self
    }

    /// The index as of the last commit.
    pub fn index(&self) -> &Index {
        &self.index
    }

    /// Add the plain-text files (`.txt`, `.md`) under or named by `roots`, in one commit
    /// (other files are skipped with a reason). Each file is identified by its name as given
    /// (`ingest::slash_path`: `root/relative/path`), the name `scan` gives it.
    pub fn add_paths<P: AsRef<Path>>(
        &mut self,
        roots: &[P],
        options: AddOptions,
    ) -> Result<AddSummary> {
        self.add_paths_checked(roots, options, &mut |_, _| Ok(()))
    }

    /// [`IndexWriter::add_paths`], calling `between_batches(files_done, files_total)` before
    /// each batch and before the commit. An error it returns (for example
    /// [`Error::Interrupted`] when the Python caller pressed Ctrl-C) ends the call before
    /// anything is committed: the index stays at its last commit, and the partial segment is
    /// never named by a manifest.
    pub fn add_paths_checked<P: AsRef<Path>>(
        &mut self,
        roots: &[P],
        options: AddOptions,
        between_batches: &mut dyn FnMut(usize, usize) -> Result<()>,
    ) -> Result<AddSummary> {
        options.input.check_plain_text_only("index add")?;
        let roots: Vec<PathBuf> = roots.iter().map(|p| p.as_ref().to_path_buf()).collect();
        let mut skipped = Vec::new();
        // Sources are re-read by byte span for reports: plain text only.
        let inputs = InputOptions {
            keep_going: options.input.keep_going,
            text_only: true,
            ..InputOptions::default()
        };
        // Names as given (`ingest::slash_path`), as `scan` names them: they do not depend on the
        // other roots of a batch, so batches compose.
        let files = ingest::discover_with(&roots, &inputs, &mut skipped)?;
        let index_abs = absolute(&self.dir);
        let mut batch: Vec<InputFile> = Vec::new();
        let mut batch_bytes = 0usize;
        let mut session = self.session()?;
        let mut summary = AddSummary::default();
        let (total, mut done) = (files.len(), 0);
        let input = &options.input;
        for f in files {
            batch_bytes += std::fs::metadata(&f.path)
                .map(|m| m.len() as usize)
                .unwrap_or(0);
            batch.push(f);
            if batch_bytes >= options.batch_bytes {
                between_batches(done, total)?;
                self.add_batch(&mut session, &batch, &index_abs, input, &mut summary)?;
                done += batch.len();
                batch.clear();
                batch_bytes = 0;
            }
        }
        between_batches(done, total)?;
        self.add_batch(&mut session, &batch, &index_abs, input, &mut summary)?;
        between_batches(total, total)?;
        summary.skipped.extend(skipped);
        summary.skipped.sort_by(|a, b| a.path.cmp(&b.path));
        self.commit(session, &mut summary)?;
        Ok(summary)
    }

    fn add_batch(
        &self,
        session: &mut Session,
        files: &[InputFile],
        index_abs: &Path,
        input: &InputOptions,
        summary: &mut AddSummary,
    ) -> Result<()> {
        // The document boundary of the scan (`ingest::guarded`): a panic reading one file is an
        // error naming it (nothing committed), or a skip under keep_going.
        let loaded: Vec<Result<Vec<Loaded>>> = files
            .par_iter()
            .map(|f| {
                ingest::guarded(f, input.keep_going, || {
                    ingest::load(f, input.lossy, input.keep_going).map(|one| vec![one])
                })
            })
            .collect();
        let mut docs = Vec::new();
        for (f, item) in files.iter().zip(loaded) {
            for one in item? {
                match one {
                    Loaded::Document(d) => docs.push(SourceDocument {
                        document: d,
                        source: Some(relative_to(index_abs, &absolute(&f.path))),
                    }),
                    Loaded::Skipped(s) => summary.skipped.push(s),
                }
            }
        }
        self.add_to_session(session, docs, summary)
    }

    /// Add documents from memory, in one commit (paths must be unique).
    pub fn add_documents(&mut self, mut docs: Vec<SourceDocument>) -> Result<AddSummary> {
        docs.sort_by(|a, b| a.document.path.cmp(&b.document.path));
        let mut session = self.session()?;
        let mut summary = AddSummary::default();
        self.add_to_session(&mut session, docs, &mut summary)?;
        self.commit(session, &mut summary)?;
        Ok(summary)
    }

    fn session(&self) -> Result<Session> {
        Ok(Session {
            builder: SegmentBuilder::new(
                &self.dir,
                self.index.manifest().next_segment_id,
                self.index.params(),
                self.index.passage_params(),
                fingerprint(self.index.params(), self.index.passage_params()),
            )?,
            deleted: Vec::new(),
        })
    }

    /// Add a batch of documents to the session's segment: the new and changed ones are split,
    /// sketched (and anchored, with passages) and pushed; replaced versions are marked deleted.
    fn add_to_session(
        &self,
        session: &mut Session,
        docs: Vec<SourceDocument>,
        summary: &mut AddSummary,
    ) -> Result<()> {
        let (fresh, sources) = self.changed_documents(session, docs, summary)?;
        if fresh.is_empty() {
            return Ok(());
        }
        let corpus = self.scanner.split(fresh);
        let (hashes, signatures) = self.scanner.sketch(&corpus);
        let prints = match self.index.passage_params() {
            Some(p) => {
                let n = corpus.docs.len() as u64;
                let stage = self
                    .scanner
                    .progress()
                    .stage("anchors", "documents", Some(n));
                let prints = doc_passage_prints(&corpus.docs, p);
                stage.inc(n);
                prints
            }
            None => Vec::new(),
        };
        let k = self.index.params().num_perm;
        let mut start = 0;
        for (i, doc) in corpus.docs.iter().enumerate() {
            let mut end = start;
            while end < corpus.paragraphs.len() && corpus.paragraphs[end].doc.0 as usize == i {
                end += 1;
            }
            let rows = (start..end).map(|p| {
                let para = &corpus.paragraphs[p];
                RowIn {
                    ordinal: para.ordinal,
                    line: para.line,
                    start: para.span.start as u64,
                    end: para.span.end as u64,
                    hash: hashes[p],
                    signature: &signatures[p * k..(p + 1) * k],
                }
            });
            let (hash, source) = &sources[i];
            let passages = match prints.get(i) {
                Some((words, prints)) => Some(DocPassages {
                    words: u32::try_from(*words).map_err(|_| too_many_words(&self.dir))?,
                    prints,
                }),
                None => None,
            };
            session.builder.push_document(
                &doc.path,
                source,
                *hash,
                doc.bytes.len() as u64,
                rows,
                passages,
            )?;
            summary.paragraphs += end - start;
            start = end;
        }
        session.builder.end_batch()
    }

    /// The documents of `docs` not already indexed with the same bytes, each with its content
    /// hash and source path; the live versions they replace are marked deleted in `session`.
    /// Counted in `summary` (unchanged, replaced, added).
    fn changed_documents(
        &self,
        session: &mut Session,
        docs: Vec<SourceDocument>,
        summary: &mut AddSummary,
    ) -> Result<(Vec<Document>, Vec<ContentSource>)> {
        let mut fresh = Vec::new();
        let mut sources = Vec::new();
        for d in docs {
            let hash = xxh3_128(&d.document.bytes);
            if let Some(old) = self.index.find_live(&d.document.path)? {
                let rec = &self.index.segments()[old.segment].documents()[old.doc as usize];
                if rec.content_hash == hash && rec.file_len == d.document.bytes.len() as u64 {
                    summary.unchanged += 1;
                    continue;
                }
                session.deleted.push(old);
                summary.replaced += 1;
            } else {
                summary.added += 1;
            }
            sources.push((
                hash,
                d.source.map(|s| ingest::slash_path(&s)).unwrap_or_default(),
            ));
            fresh.push(d.document);
        }
        Ok((fresh, sources))
    }

    /// Commit a session: the new segment (if any) and the deletions, in one manifest.
    fn commit(&mut self, session: Session, summary: &mut AddSummary) -> Result<()> {
        let mut manifest = self.index.manifest().clone();
        if session.builder.document_count() == 0 && session.deleted.is_empty() {
            summary.generation = manifest.generation;
            return Ok(());
        }
        let meta = if session.builder.document_count() > 0 {
            Some(session.builder.finish()?)
        } else {
            None
        };
        for DocRef { segment, doc } in session.deleted {
            let deleted = &mut manifest.segments[segment].deleted;
            if let Err(at) = deleted.binary_search(&doc) {
                deleted.insert(at, doc);
            }
        }
        manifest.next_segment_id += 1;
        if let Some(meta) = meta {
            manifest.segments.push(meta);
        }
        self.publish(manifest)?;
        summary.generation = self.index.manifest().generation;
        Ok(())
    }

    /// fsync the directory (new segment files become durable), then replace the manifest.
    fn publish(&mut self, mut manifest: Manifest) -> Result<()> {
        manifest.generation += 1;
        let result = sync_dir(&self.dir).and_then(|_| manifest.save(&self.dir));
        if let Err(e) = result {
            // The previous manifest is intact; remove what it does not name.
            let _ = remove_strays(&self.dir, Some(self.index.manifest()));
            return Err(e);
        }
        self.index = Index::open(&self.dir)?;
        Ok(())
    }

    /// Merge every live document into one new segment, in one commit, and remove the old
    /// segment files. Returns false when there was nothing to merge.
    pub fn compact(&mut self) -> Result<bool> {
        let m = self.index.manifest();
        if m.segments.is_empty() || (m.segments.len() == 1 && m.segments[0].deleted.is_empty()) {
            return Ok(false);
        }
        let mut session = self.session()?;
        let docs = self.index.live_documents()?;
        // For each old segment, the new first word number of each of its live documents: the
        // old sorted fingerprint sections, renumbered, are the new segment's runs.
        let mut renumber: Vec<Vec<Option<u32>>> = self
            .index
            .segments()
            .iter()
            .map(|s| vec![None; s.documents().len()])
            .collect();
        let with_passages = self.index.passage_params().is_some();
        for (path, r) in &docs {
            let seg = &self.index.segments()[r.segment];
            let passages = if with_passages {
                renumber[r.segment][r.doc as usize] = Some(session.builder.next_word());
                Some(DocPassages {
                    words: seg.doc_words(r.doc)?.len() as u32,
                    prints: &[],
                })
            } else {
                None
            };
            let (_, source) = seg.doc_strings(r.doc)?;
            let rec = seg.documents()[r.doc as usize];
            let records = seg.paragraphs();
            let hashes = seg.hashes();
            let rows = seg.doc_paragraphs(r.doc)?.map(|p| {
                let rec = &records[p as usize];
                RowIn {
                    ordinal: rec.ordinal,
                    line: rec.line,
                    start: rec.start,
                    end: rec.end,
                    hash: (rec.flags & crate::index::format::COMPARED != 0)
                        .then(|| hashes[p as usize]),
                    signature: seg.signature(p),
                }
            });
            session.builder.push_document(
                path,
                source,
                rec.content_hash,
                rec.file_len,
                rows,
                passages,
            )?;
        }
        let old: Vec<SegmentMeta> = m.segments.clone();
        let mut manifest = m.clone();
        manifest.segments = if session.builder.document_count() > 0 {
            let runs: Vec<PrintRun<'_>> = if with_passages {
                self.index
                    .segments()
                    .iter()
                    .zip(&renumber)
                    .map(|(seg, firsts)| renumbered_prints(seg, firsts))
                    .collect()
            } else {
                Vec::new()
            };
            vec![session.builder.finish_with(runs)?]
        } else {
            Vec::new()
        };
        manifest.next_segment_id += 1;
        self.publish(manifest)?;
        // Open readers keep their maps; the next writer removes anything left behind.
        for s in old {
            let _ = std::fs::remove_file(self.dir.join(&s.file));
        }
        Ok(true)
    }
}

/// Words and winnowed passage fingerprints of each document (in parallel, collected in order).
fn doc_passage_prints(docs: &[Document], p: &PassageParams) -> Vec<(usize, Vec<(u64, u32)>)> {
    docs.par_iter()
        .map(|d| {
            let w = passage::words(&d.bytes);
            let prints = passage::fingerprints(&w.hashes, p.anchor_words, p.window);
            (w.hashes.len(), prints)
        })
        .collect()
}

/// The sorted (fingerprint, word number) entries of `seg`'s live documents, renumbered into
/// the new segment (`firsts`: the new first word number of each live document). Within one
/// old segment documents are in path order, as in the new one, so the renumbered entries
/// stay sorted.
fn renumbered_prints<'a>(
    seg: &'a crate::index::segment::Segment,
    firsts: &'a [Option<u32>],
) -> PrintRun<'a> {
    let mut last: Option<(u64, u32)> = None;
    Box::new(
        seg.passage_fingerprints()
            .iter()
            .zip(seg.passage_places())
            .filter_map(move |(&h, &place)| {
                if last.is_some_and(|l| l >= (h, place)) {
                    return Some(Err(crate::index::format::corrupt(
                        seg.path(),
                        "section passage fingerprints",
                        "fingerprints are not sorted",
                    )));
                }
                last = Some((h, place));
                let (doc, pos) = match seg.locate_word(place) {
                    Ok(x) => x,
                    Err(e) => return Some(Err(e)),
                };
                let first = firsts.get(doc as usize).copied().flatten()?;
                Some(Ok((h, first + pos)))
            }),
    )
}

fn too_many_words(dir: &Path) -> Error {
    Error::IndexUsage {
        path: dir.to_path_buf(),
        message: "a document has more than 2^32 - 1 words: split it".into(),
    }
}

/// Error if `given` passage parameters differ from the index's (or the index has none).
pub(crate) fn check_passage_params(
    dir: &Path,
    stored: Option<&PassageParams>,
    given: &PassageParams,
) -> Result<()> {
    match stored {
        None => Err(no_passages(dir)),
        Some(s) if s == given => Ok(()),
        Some(s) => Err(Error::IndexUsage {
            path: dir.to_path_buf(),
            message: format!(
                "passage parameters differ from the index's: --min-passage-words {} (index: {}). \
                 Leave it out to use the index's, or build a new index with `neardup index build \
                 --passages`",
                given.min_words, s.min_words
            ),
        }),
    }
}

/// The error for passage work on an index built without passage fingerprints.
pub(crate) fn no_passages(dir: &Path) -> Error {
    Error::IndexUsage {
        path: dir.to_path_buf(),
        message: "this index has no passage fingerprints (it was built without --passages): \
                  rebuild it with `neardup index build PATHS --index DIR --passages`"
            .into(),
    }
}

/// Files of one add or compact before they are committed.
struct Session {
    builder: SegmentBuilder,
    deleted: Vec<DocRef>,
}

/// Error if `given` parameters differ from the index's `stored` ones (verification mode
/// aside: it does not change what is stored).
pub(crate) fn check_params(dir: &Path, stored: &Params, given: &Params) -> Result<()> {
    let mut differ = Vec::new();
    let mut field = |name: &str, a: String, b: String| {
        if a != b {
            differ.push(format!("--{name} {b} (index: {a})"));
        }
    };
    field(
        "threshold",
        stored.threshold.to_string(),
        given.threshold.to_string(),
    );
    field(
        "num-perm",
        stored.num_perm.to_string(),
        given.num_perm.to_string(),
    );
    field("bands", stored.bands.to_string(), given.bands.to_string());
    field("rows", stored.rows.to_string(), given.rows.to_string());
    field(
        "shingle",
        stored.shingle.to_string(),
        given.shingle.to_string(),
    );
    field(
        "split",
        format!("{:?}", stored.split).to_lowercase(),
        format!("{:?}", given.split).to_lowercase(),
    );
    field("seed", stored.seed.to_string(), given.seed.to_string());
    field(
        "min-words",
        stored.min_words.to_string(),
        given.min_words.to_string(),
    );
    field(
        "normalizer-version",
        stored.normalizer_version.to_string(),
        given.normalizer_version.to_string(),
    );
    field(
        "hash",
        stored.hash.short_name().to_string(),
        given.hash.short_name().to_string(),
    );
    if differ.is_empty() {
        return Ok(());
    }
    Err(Error::IndexUsage {
        path: dir.to_path_buf(),
        message: format!(
            "parameters differ from the index's: {}. Leave these options out to use the \
             index's parameters, or build a new index with `neardup index build`",
            differ.join(", ")
        ),
    })
}

/// Remove files a crashed or failed writer left: segment files no manifest names and
/// manifest temporaries. Other files are never touched.
fn remove_strays(dir: &Path, manifest: Option<&Manifest>) -> Result<()> {
    let named: Vec<String> = manifest
        .map(|m| m.segments.iter().map(|s| segment_file_name(s.id)).collect())
        .unwrap_or_default();
    let entries = std::fs::read_dir(dir).map_err(|e| Error::io(dir, "read index directory", e))?;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let segment = name.starts_with("seg-") && name.ends_with(".ndx") && !named.contains(&name);
        // `.manifest-` is the prefix of versions before `util::write_atomically`.
        let temp = (name.starts_with(crate::util::TEMP_PREFIX) || name.starts_with(".manifest-"))
            && name.ends_with(".tmp");
        if segment || temp {
            std::fs::remove_file(entry.path())
                .map_err(|e| Error::io(entry.path(), "remove stray index file", e))?;
        }
    }
    Ok(())
}

/// `path` made absolute (lexically) against the current directory.
fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

/// The components of an absolute path with `.` and resolvable `..` removed.
fn clean(p: &Path) -> Vec<Component<'_>> {
    let mut out: Vec<Component> = Vec::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir if matches!(out.last(), Some(Component::Normal(_))) => {
                out.pop();
            }
            c => out.push(c),
        }
    }
    out
}

/// `target` relative to the directory `base` (both absolute), lexically; `target` itself when
/// they share no root.
fn relative_to(base: &Path, target: &Path) -> PathBuf {
    let (b, t) = (clean(base), clean(target));
    if b.first() != t.first() {
        return target.to_path_buf();
    }
    let common = b.iter().zip(&t).take_while(|(x, y)| x == y).count();
    let mut rel = PathBuf::new();
    for _ in common..b.len() {
        rel.push("..");
    }
    for c in &t[common..] {
        rel.push(c.as_os_str());
    }
    rel
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_climb_out_of_the_index() {
        assert_eq!(
            relative_to(Path::new("/a/idx"), Path::new("/a/c/x.txt")),
            PathBuf::from("../c/x.txt")
        );
        assert_eq!(
            relative_to(Path::new("/a/idx"), Path::new("/a/idx/x.txt")),
            PathBuf::from("x.txt")
        );
        assert_eq!(
            relative_to(Path::new("/a/./idx/../idx"), Path::new("/b/x")),
            PathBuf::from("../../b/x")
        );
    }
}
