//! The index manifest: `manifest.json`, the one mutable file, replaced atomically.
//!
//! Input: an index directory. Output: the [`Manifest`] committed last (parameters, their
//! fingerprint, the segment list with sizes, checksums and deleted documents). Invariants: the
//! file is only ever replaced by rename of a complete, fsynced temporary file in the same
//! directory, followed by an fsync of the directory, so a reader or a crash sees either the
//! previous manifest or the new one; its own checksum field makes damage detectable.

use std::io;
use std::path::Path;

use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::xxh3_64;

use crate::config::Params;
use crate::error::{Error, Result};
use crate::index::format::{corrupt, format_version, FORMAT_VERSION, FORMAT_VERSION_PLAIN};
use crate::passage::{PassageConfig, PassageParams};

/// File name of the manifest inside the index directory.
pub const MANIFEST_FILE: &str = "manifest.json";
/// Value of [`Manifest::format`].
pub const MANIFEST_FORMAT: &str = "neardup.index";

/// What an index holds, as of its last commit.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// Always `MANIFEST_FORMAT`.
    pub format: String,
    /// Format version of the index (manifest and segments): `FORMAT_VERSION` with passage
    /// fingerprints, `FORMAT_VERSION_PLAIN` without.
    pub format_version: u32,
    /// Incremented by every commit.
    pub generation: u64,
    /// Id the next segment will get (ids are never reused).
    pub next_segment_id: u64,
    /// Every parameter that decides what the index's bytes are and what matches.
    pub params: Params,
    /// Passage parameters, when the index stores passage fingerprints (`index build
    /// --passages`); every segment then has them. Absent (not `null`) otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passages: Option<PassageParams>,
    /// `fingerprint` of `params`, as 16 hexadecimal digits; also in every segment header.
    pub params_fingerprint: String,
    /// Segments, oldest first.
    pub segments: Vec<SegmentMeta>,
    /// xxh3-64 (16 hex digits) of this manifest serialised compactly with `checksum` empty.
    #[serde(default)]
    pub checksum: String,
}

/// One segment as the manifest knows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SegmentMeta {
    /// Segment id (unique in the index's history).
    pub id: u64,
    /// File name inside the index directory.
    pub file: String,
    /// File length in bytes.
    pub bytes: u64,
    /// Table checksum of the file (xxh3-64 of header and section table, 16 hex digits); the
    /// table holds every section's checksum, so this names the file's exact content.
    pub checksum: String,
    /// Documents in the segment (including deleted ones).
    pub documents: u32,
    /// Paragraphs in the segment (including those of deleted documents).
    pub paragraphs: u32,
    /// Segment-local ids of documents replaced by a later version, ascending.
    #[serde(default)]
    pub deleted: Vec<u32>,
}

/// File name of segment `id`.
pub fn segment_file_name(id: u64) -> String {
    format!("seg-{id:016x}.ndx")
}

/// Fingerprint of the parameters that decide an index's bytes and matches (all of [`Params`]
/// except `verify`, which only decides how candidates are confirmed at query time, and the
/// passage parameters if any): xxh3-64 of a canonical text, spelled out in `docs/FORMAT.md`.
pub fn fingerprint(p: &Params, passages: Option<&PassageParams>) -> u64 {
    xxh3_64(canonical_params(p, passages).as_bytes())
}

/// The canonical text hashed by [`fingerprint`]. Without passages it is the version-1 text,
/// so an index without passages keeps its fingerprint.
pub fn canonical_params(p: &Params, passages: Option<&PassageParams>) -> String {
    let mut text = canonical_scan_params(p);
    if let Some(q) = passages {
        text.push_str(&format!(
            ";passages=min_words={},anchor_words={},window={},max_occurrences={},\
             normalizer_version={},hash={}",
            q.min_words, q.anchor_words, q.window, q.max_occurrences, q.normalizer_version, q.hash
        ));
    }
    text
}

fn canonical_scan_params(p: &Params) -> String {
    format!(
        "normalizer_version={};hash={};shingle={};num_perm={};seed={};bands={};rows={};\
         split={};min_words={};threshold_bits={:016x}",
        p.normalizer_version,
        p.hash,
        p.shingle,
        p.num_perm,
        p.seed,
        p.bands,
        p.rows,
        match p.split {
            crate::config::SplitMode::Lines => "lines",
            crate::config::SplitMode::Blank => "blank",
            crate::config::SplitMode::Document => "document",
        },
        p.min_words,
        p.threshold.to_bits()
    )
}

/// Hexadecimal form used in the manifest.
pub fn hex(v: u64) -> String {
    format!("{v:016x}")
}

impl Manifest {
    /// An empty index with `params`, and passage fingerprints with `passages`.
    pub fn new(params: Params, passages: Option<PassageParams>) -> Self {
        Manifest {
            format: MANIFEST_FORMAT.to_string(),
            format_version: format_version(passages.is_some()),
            generation: 0,
            next_segment_id: 1,
            params_fingerprint: hex(fingerprint(&params, passages.as_ref())),
            params,
            passages,
            segments: Vec::new(),
            checksum: String::new(),
        }
    }

    fn compute_checksum(&self) -> String {
        let mut copy = self.clone();
        copy.checksum.clear();
        // Serialising a struct is deterministic (field order, shortest round-trip floats).
        hex(xxh3_64(&serde_json::to_vec(&copy).unwrap_or_default()))
    }

    /// Read the manifest of the index at `dir`; `None` when there is none.
    pub fn load(dir: &Path) -> Result<Option<Manifest>> {
        let path = dir.join(MANIFEST_FILE);
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Error::io(path, "read index manifest", e)),
        };
        let manifest = Self::parse(&path, &bytes)?;
        Ok(Some(manifest))
    }

    /// Parse and check manifest bytes read from `path`.
    pub fn parse(path: &Path, bytes: &[u8]) -> Result<Manifest> {
        check_version(path, bytes)?;
        let m: Manifest = serde_json::from_slice(bytes)
            .map_err(|e| corrupt(path, "manifest", format!("unexpected content: {e}")))?;
        m.check_integrity(path)?;
        m.check_passages(path)?;
        m.check_segments(path)?;
        Ok(m)
    }

    /// The checksum, the parameters' fingerprint and the format version agree with the
    /// content.
    fn check_integrity(&self, path: &Path) -> Result<()> {
        if self.checksum != self.compute_checksum() {
            return Err(corrupt(
                path,
                "manifest",
                "checksum mismatch: the manifest is damaged",
            ));
        }
        if self.params_fingerprint != hex(fingerprint(&self.params, self.passages.as_ref())) {
            return Err(corrupt(
                path,
                "manifest",
                "params_fingerprint does not match the parameters",
            ));
        }
        if self.format_version != format_version(self.passages.is_some()) {
            return Err(corrupt(
                path,
                "manifest",
                format!(
                    "format version {} {} passage parameters",
                    self.format_version,
                    if self.passages.is_some() {
                        "with"
                    } else {
                        "without"
                    }
                ),
            ));
        }
        Ok(())
    }

    /// The passage parameters, if any, are ones neardup resolves to.
    fn check_passages(&self, path: &Path) -> Result<()> {
        if let Some(q) = &self.passages {
            // Resolved parameters are a fixed point of resolution: anything else (a window of
            // 0, an anchor longer than a passage) was not written by neardup.
            let again = PassageConfig {
                min_words: q.min_words,
                anchor_words: q.anchor_words,
                window: q.window,
                max_occurrences: q.max_occurrences,
            }
            .params();
            if again
                .as_ref()
                .ok()
                .map(|a| (a.anchor_words, a.window, a.min_words))
                != Some((q.anchor_words, q.window, q.min_words))
            {
                return Err(corrupt(path, "manifest", "passage parameters are invalid"));
            }
        }
        Ok(())
    }

    /// Every segment entry names its own file, has an id below `next_segment_id`, and
    /// deletes only ascending ids of its documents.
    fn check_segments(&self, path: &Path) -> Result<()> {
        for s in &self.segments {
            if s.file != segment_file_name(s.id) || s.id >= self.next_segment_id {
                return Err(corrupt(
                    path,
                    "manifest",
                    format!("bad segment entry {:?}", s.file),
                ));
            }
            if s.deleted.windows(2).any(|w| w[0] >= w[1])
                || s.deleted.last().is_some_and(|&d| d >= s.documents)
            {
                return Err(corrupt(
                    path,
                    "manifest",
                    format!(
                        "deleted documents of {} are not ascending ids of its documents",
                        s.file
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Commit this manifest to `dir` atomically: temporary file → fsync → rename → fsync of
    /// the directory.
    pub fn save(&mut self, dir: &Path) -> Result<()> {
        self.checksum = self.compute_checksum();
        let path = dir.join(MANIFEST_FILE);
        let fail = |e: io::Error| Error::io(&path, "write index manifest", e);
        let mut text = serde_json::to_vec_pretty(self).map_err(|e| fail(io::Error::other(e)))?;
        text.push(b'\n');
        // 0644 whatever the file it replaces: a manifest is as readable as the segments beside it.
        #[cfg(unix)]
        let permissions = {
            use std::os::unix::fs::PermissionsExt;
            Some(std::fs::Permissions::from_mode(0o644))
        };
        #[cfg(not(unix))]
        let permissions = None;
        crate::util::write_atomically(&path, permissions, |w| w.write_all(&text)).map_err(fail)
    }
}

/// Refuse bytes that are not a manifest of a format version this code reads. The version is
/// read on its own, before the whole manifest, so that a newer manifest is refused by its
/// version and not by a field this code does not know.
fn check_version(path: &Path, bytes: &[u8]) -> Result<()> {
    #[derive(Deserialize)]
    struct Version {
        format: Option<String>,
        format_version: Option<u32>,
    }
    let version: Version = serde_json::from_slice(bytes)
        .map_err(|e| corrupt(path, "manifest", format!("not valid JSON: {e}")))?;
    if version.format.as_deref() != Some(MANIFEST_FORMAT) {
        return Err(corrupt(
            path,
            "manifest",
            "not a neardup index manifest (format field)",
        ));
    }
    match version.format_version {
        Some(FORMAT_VERSION_PLAIN..=FORMAT_VERSION) => {}
        Some(v) => {
            return Err(corrupt(
                path,
                "manifest",
                format!(
                    "index format version {v} is not supported (this neardup reads versions \
                     {FORMAT_VERSION_PLAIN} and {FORMAT_VERSION}); use the neardup that wrote \
                     it, or rebuild the index"
                ),
            ))
        }
        None => return Err(corrupt(path, "manifest", "format_version is missing")),
    }
    Ok(())
}

/// fsync a directory, so that renames and new files in it are durable.
pub fn sync_dir(dir: &Path) -> Result<()> {
    crate::util::sync_dir(dir).map_err(|e| Error::io(dir, "sync index directory", e))
}
