//! Segment files: written once by a `SegmentBuilder`, then read through a memory map as a
//! [`Segment`].
//!
//! Input (builder): documents with their paragraph rows (span, exact hash, signature), pushed
//! in ascending path order. Output: one file `seg-<id>.ndx` laid out as in `docs/FORMAT.md`,
//! fully written and fsynced before `SegmentBuilder::finish` returns. Input (reader): such a
//! file and the manifest's record of it. Invariants: a segment is never modified after
//! `finish`; memory while building is one batch of documents plus 16 bytes per paragraph of
//! the segment (the band-table sort), since paragraph rows and signatures stream to unnamed
//! temporary files that vanish if the process dies; opening checks the layout in O(1) and every
//! accessor is bounds-checked, so a damaged file gives an error or wrong matches, never a
//! panic — `verify` finds the damage.
//!
//! With passage fingerprints (format version 2), each batch's fingerprints are sorted in memory
//! and written as one sorted run to another unnamed temporary file; `finish` merges the runs
//! (and, for a compaction, the old segments' sorted sections) into the segment, so memory stays
//! one batch plus one entry per run.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{self, BufWriter, Read, Seek, SeekFrom, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};

use memmap2::Mmap;
use rayon::prelude::*;
use xxhash_rust::xxh3::Xxh3;
use zerocopy::IntoBytes;

use crate::config::Params;
use crate::error::{Error, Result};
use crate::index::format::*;
use crate::index::manifest::{hex, segment_file_name, SegmentMeta};
use crate::lsh::band_key;
use crate::passage::PassageParams;

/// Map a file read-only. One of the two `unsafe` sites of the crate (the other is `minhash::x86`).
#[allow(unsafe_code)]
pub(crate) fn map_file(path: &Path, file: &File) -> Result<Mmap> {
    // SAFETY: `Mmap::map` is unsafe because the mapped bytes change if another process
    // modifies or truncates the file while it is mapped. neardup never modifies a segment
    // after it is committed (files are write-once; writers only create new files and delete
    // files no manifest names), and other programs are told not to touch an index directory
    // (docs/FORMAT.md). The temporary files mapped while building are unnamed and private to
    // this process. All reads through the map are bounds-checked slices.
    unsafe { Mmap::map(file) }.map_err(|e| Error::io(path, "map", e))
}

/// A committed segment, memory-mapped.
#[derive(Debug)]
pub struct Segment {
    path: PathBuf,
    map: Mmap,
    layout: Layout,
    deleted: Vec<u32>,
}

/// One paragraph row as pushed into a builder.
#[derive(Clone, Debug)]
pub(crate) struct RowIn<'a> {
    pub ordinal: u32,
    pub line: u32,
    pub start: u64,
    pub end: u64,
    /// Exact hash; `None` when the paragraph is not compared.
    pub hash: Option<u128>,
    /// The signature (ignored when not compared).
    pub signature: &'a [u32],
}

impl Segment {
    /// Map and check the segment file `meta.file` in `dir` against the manifest's record and
    /// parameters (`passages`: whether the index stores passage fingerprints). O(1): no
    /// section is read.
    pub fn open(
        dir: &Path,
        meta: &SegmentMeta,
        params: &Params,
        passages: bool,
        fingerprint: u64,
    ) -> Result<Segment> {
        let path = dir.join(&meta.file);
        let file = File::open(&path).map_err(|e| Error::io(&path, "open index segment", e))?;
        let map = map_file(&path, &file)?;
        let layout = check_layout(&path, &map)?;
        let h = &layout.header;
        let mismatch =
            |what: &str| corrupt(&path, "header", format!("{what} differs from the manifest"));
        if map.len() as u64 != meta.bytes {
            return Err(corrupt(
                &path,
                "header",
                format!(
                    "file is {} bytes, the manifest says {}",
                    map.len(),
                    meta.bytes
                ),
            ));
        }
        if hex(layout.table_checksum) != meta.checksum {
            return Err(mismatch("checksum"));
        }
        if h.segment_id != meta.id {
            return Err(mismatch("segment id"));
        }
        if h.format_version != format_version(passages) {
            return Err(mismatch("format version"));
        }
        if h.params_fingerprint != fingerprint {
            return Err(mismatch("parameter fingerprint"));
        }
        if h.num_perm as usize != params.num_perm
            || h.bands as usize != params.bands
            || h.rows as usize != params.rows
        {
            return Err(mismatch("num_perm, bands or rows"));
        }
        if h.documents != meta.documents || h.paragraphs != meta.paragraphs {
            return Err(mismatch("document or paragraph count"));
        }
        Ok(Segment {
            path,
            map,
            layout,
            deleted: meta.deleted.clone(),
        })
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The segment's header.
    pub fn header(&self) -> &Header {
        &self.layout.header
    }

    /// Size of the file in bytes.
    pub fn file_len(&self) -> u64 {
        self.map.len() as u64
    }

    fn section(&self, s: usize) -> &[u8] {
        &self.map[self.layout.ranges[s].clone()]
    }

    /// The document table, sorted by path.
    pub fn documents(&self) -> &[DocRecord] {
        cast(self.section(S_DOCS))
    }

    /// The paragraph table.
    pub fn paragraphs(&self) -> &[ParagraphRecord] {
        cast(self.section(S_PARAGRAPHS))
    }

    /// Exact hashes, one per paragraph (0 for paragraphs not compared).
    pub fn hashes(&self) -> &[u128] {
        cast(self.section(S_HASHES))
    }

    /// The signature of paragraph `p` (empty if `p` is out of range).
    pub fn signature(&self, p: u32) -> &[u32] {
        let k = self.layout.header.num_perm as usize;
        let all: &[u32] = cast(self.section(S_SIGNATURES));
        all.get(p as usize * k..(p as usize + 1) * k).unwrap_or(&[])
    }

    fn band_table(&self, band: usize) -> &[u32] {
        let c = self.layout.header.compared as usize;
        let all: &[u32] = cast(self.section(S_BANDS));
        all.get(band * c..(band + 1) * c).unwrap_or(&[])
    }

    fn band_fences(&self, band: usize) -> &[u64] {
        let f = fences_per_band(self.layout.header.compared as usize);
        let all: &[u64] = cast(self.section(S_FENCES));
        all.get(band * f..(band + 1) * f).unwrap_or(&[])
    }

    /// Whether document `d` has been replaced by a later version.
    pub fn is_deleted(&self, d: u32) -> bool {
        self.deleted.binary_search(&d).is_ok()
    }

    /// Number of documents replaced by a later version.
    pub fn deleted_count(&self) -> usize {
        self.deleted.len()
    }

    /// The path and source path of document `d`.
    pub fn doc_strings(&self, d: u32) -> Result<(&str, &str)> {
        let rec = self
            .documents()
            .get(d as usize)
            .ok_or_else(|| corrupt(&self.path, "section documents", format!("no document {d}")))?;
        let strings = self.section(S_STRINGS);
        let start = rec.strings_offset as usize;
        let mid = start.checked_add(rec.path_len as usize);
        let end = mid.and_then(|m| m.checked_add(rec.source_len as usize));
        let bad = || {
            corrupt(
                &self.path,
                "section strings",
                format!("paths of document {d} are out of bounds or not UTF-8"),
            )
        };
        let (Some(mid), Some(end)) = (mid, end) else {
            return Err(bad());
        };
        let path = strings
            .get(start..mid)
            .and_then(|b| std::str::from_utf8(b).ok())
            .ok_or_else(bad)?;
        let source = strings
            .get(mid..end)
            .and_then(|b| std::str::from_utf8(b).ok())
            .ok_or_else(bad)?;
        Ok((path, source))
    }

    /// The paragraph ids of document `d`.
    pub fn doc_paragraphs(&self, d: u32) -> Result<Range<u32>> {
        let rec = self
            .documents()
            .get(d as usize)
            .ok_or_else(|| corrupt(&self.path, "section documents", format!("no document {d}")))?;
        let end = rec.first_paragraph.checked_add(rec.paragraph_count);
        match end {
            Some(end) if end <= self.layout.header.paragraphs => Ok(rec.first_paragraph..end),
            _ => Err(corrupt(
                &self.path,
                "section documents",
                format!("paragraphs of document {d} are out of bounds"),
            )),
        }
    }

    /// The document (live or not) whose path is `path`: binary search of the sorted table.
    pub fn find_document(&self, path: &str) -> Result<Option<u32>> {
        let (mut lo, mut hi) = (0u32, self.documents().len() as u32);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match self.doc_strings(mid)?.0.cmp(path) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Ok(Some(mid)),
            }
        }
        Ok(None)
    }

    /// Band `band`'s key of paragraph `id`; `u64::MAX` for an id out of range (only in a
    /// damaged file: it then matches nothing real, and `verify` reports it).
    fn key_of(&self, id: u32, band: usize) -> u64 {
        let rows = self.layout.header.rows as usize;
        let sig = self.signature(id);
        if sig.len() < (band + 1) * rows {
            u64::MAX
        } else {
            band_key(sig, band, rows)
        }
    }

    /// Append to `out` the paragraphs whose band `band` has key `key`.
    ///
    /// Band tables hold paragraph ids sorted by (key, id) and no keys: keys are recomputed
    /// from the signatures. The fences (every 64th key) narrow the search to one block, so a
    /// lookup costs a binary search over fences and about 6 key computations, plus one per
    /// match.
    pub fn band_matches(&self, band: usize, key: u64, out: &mut Vec<u32>) {
        let table = self.band_table(band);
        let fences = self.band_fences(band);
        let key_of = |id: u32| self.key_of(id, band);
        let j = fences.partition_point(|&f| f < key);
        let lo = if j == 0 { 0 } else { (j - 1) * FENCE_STEP + 1 };
        let hi = (j * FENCE_STEP).min(table.len());
        if lo > hi {
            return;
        }
        let first = lo + table[lo..hi].partition_point(|&id| key_of(id) < key);
        for &id in &table[first..] {
            if key_of(id) != key {
                break;
            }
            out.push(id);
        }
    }

    /// Whether the segment holds passage fingerprints (format version 2).
    pub fn has_passages(&self) -> bool {
        self.layout.entries.len() == MAX_SECTIONS
    }

    fn optional_section(&self, s: usize) -> &[u8] {
        match self.layout.ranges.get(s) {
            Some(r) => &self.map[r.clone()],
            None => &[],
        }
    }

    /// The passage word table: the first word number of each document, then the total.
    fn word_table(&self) -> &[u32] {
        cast(self.optional_section(S_WORDS))
    }

    /// Passage fingerprints, ascending (empty without passages).
    pub fn passage_fingerprints(&self) -> &[u64] {
        cast(self.optional_section(S_PRINTS))
    }

    /// The word number of each passage fingerprint (empty without passages).
    pub fn passage_places(&self) -> &[u32] {
        cast(self.optional_section(S_PLACES))
    }

    /// Bytes of the passage sections.
    pub fn passage_bytes(&self) -> u64 {
        [S_WORDS, S_PRINTS, S_PLACES]
            .iter()
            .map(|&s| self.optional_section(s).len() as u64)
            .sum()
    }

    /// The word numbers of document `d`: its passage words, numbered through the segment.
    pub fn doc_words(&self, d: u32) -> Result<Range<u32>> {
        let t = self.word_table();
        match (t.get(d as usize), t.get(d as usize + 1)) {
            (Some(&a), Some(&b)) if a <= b => Ok(a..b),
            _ => Err(corrupt(
                &self.path,
                &section_name(S_WORDS),
                format!("words of document {d} are out of bounds or not ascending"),
            )),
        }
    }

    /// The document holding word number `place`, and the word's position in it.
    pub fn locate_word(&self, place: u32) -> Result<(u32, u32)> {
        let t = self.word_table();
        let d = t.get(1..).unwrap_or(&[]).partition_point(|&w| w <= place) as u32;
        let words = self.doc_words(d)?;
        if !words.contains(&place) {
            return Err(corrupt(
                &self.path,
                &section_name(S_PLACES),
                format!("word number {place} lies in no document"),
            ));
        }
        Ok((d, place - words.start))
    }

    /// Append to `out` every place (document, word position) of passage fingerprint `hash`,
    /// in ascending order, replaced documents included: a binary search, then one entry per
    /// place. Entries read are checked (ascending, inside a document), so a damaged section
    /// gives an error naming the file rather than a wrong place; `verify` checks them all.
    pub fn passage_matches(&self, hash: u64, out: &mut Vec<(u32, u32)>) -> Result<()> {
        let prints = self.passage_fingerprints();
        let places = self.passage_places();
        let first = prints.partition_point(|&h| h < hash);
        let mut last: Option<u32> = None;
        for (i, _) in prints[first..]
            .iter()
            .enumerate()
            .take_while(|&(_, &h)| h == hash)
        {
            let place = places.get(first + i).copied();
            let Some(place) = place.filter(|&p| last.is_none_or(|l| l < p)) else {
                return Err(corrupt(
                    &self.path,
                    &section_name(S_PLACES),
                    format!("places of fingerprint {hash:016x} are not ascending"),
                ));
            };
            last = Some(place);
            out.push(self.locate_word(place)?);
        }
        Ok(())
    }

    /// Passage sections read whole: the word table ascends, (fingerprint, place) pairs ascend
    /// strictly, every place is a word of some document.
    fn verify_passages(&self) -> Result<()> {
        if !self.has_passages() {
            return Ok(());
        }
        let t = self.word_table();
        if t.windows(2).any(|w| w[0] > w[1]) {
            return Err(corrupt(
                &self.path,
                &section_name(S_WORDS),
                "the word table is not ascending",
            ));
        }
        let words = self.layout.header.passage_words;
        let mut last: Option<(u64, u32)> = None;
        for (&h, &p) in self
            .passage_fingerprints()
            .iter()
            .zip(self.passage_places())
        {
            if last.is_some_and(|l| l >= (h, p)) {
                return Err(corrupt(
                    &self.path,
                    &section_name(S_PRINTS),
                    "fingerprints are not sorted",
                ));
            }
            if p as u64 >= words {
                return Err(corrupt(
                    &self.path,
                    &section_name(S_PLACES),
                    format!("word number {p} is beyond the {words} words of the segment"),
                ));
            }
            last = Some((h, p));
        }
        Ok(())
    }

    /// Full check: section checksums, zero padding, and the consistency of every record
    /// (paths in bounds and sorted, paragraph ranges, band tables sorted with valid ids).
    pub fn verify(&self) -> Result<()> {
        verify_sections(&self.path, &self.map, &self.layout)?;
        let h = self.layout.header;
        let docs = self.documents();
        let mut next_paragraph = 0u32;
        let mut previous: Option<&str> = None;
        for d in 0..docs.len() as u32 {
            let (path, _) = self.doc_strings(d)?;
            if previous.is_some_and(|p| p >= path) {
                return Err(corrupt(
                    &self.path,
                    "section documents",
                    "paths are not sorted",
                ));
            }
            previous = Some(path);
            let range = self.doc_paragraphs(d)?;
            if range.start != next_paragraph {
                return Err(corrupt(
                    &self.path,
                    "section documents",
                    "paragraph ranges are not contiguous",
                ));
            }
            next_paragraph = range.end;
            for p in range {
                if self.paragraphs()[p as usize].doc != d {
                    return Err(corrupt(
                        &self.path,
                        "section paragraphs",
                        format!("paragraph {p} names the wrong document"),
                    ));
                }
            }
        }
        if next_paragraph != h.paragraphs {
            return Err(corrupt(
                &self.path,
                "section documents",
                "paragraph ranges do not cover the table",
            ));
        }
        let compared = self
            .paragraphs()
            .iter()
            .filter(|p| p.flags & COMPARED != 0)
            .count();
        if compared != h.compared as usize {
            return Err(corrupt(
                &self.path,
                "section paragraphs",
                "compared flags disagree with the header",
            ));
        }
        for band in 0..h.bands as usize {
            let table = self.band_table(band);
            let mut last: Option<(u64, u32)> = None;
            for &id in table {
                let ok = self
                    .paragraphs()
                    .get(id as usize)
                    .is_some_and(|p| p.flags & COMPARED != 0);
                if !ok {
                    return Err(corrupt(
                        &self.path,
                        "section band tables",
                        format!("band {band} names paragraph {id}, which is not compared"),
                    ));
                }
                let entry = (self.key_of(id, band), id);
                if last.is_some_and(|l| l >= entry) {
                    return Err(corrupt(
                        &self.path,
                        "section band tables",
                        format!("band {band} is not sorted"),
                    ));
                }
                last = Some(entry);
            }
            let fences = self.band_fences(band);
            for (j, &f) in fences.iter().enumerate() {
                let id = table.get(j * FENCE_STEP).copied().unwrap_or(u32::MAX);
                if self.key_of(id, band) != f {
                    return Err(corrupt(
                        &self.path,
                        "section band fences",
                        format!("band {band} fence {j} is wrong"),
                    ));
                }
            }
        }
        self.verify_passages()
    }
}

/// Writes one segment. Documents must be pushed in ascending path order.
pub(crate) struct SegmentBuilder {
    dir: PathBuf,
    id: u64,
    params: Params,
    fingerprint: u64,
    docs: Vec<DocRecord>,
    strings: Vec<u8>,
    last_path: Option<String>,
    paragraphs: BufWriter<File>,
    hashes: BufWriter<File>,
    signatures: BufWriter<File>,
    paragraph_count: u32,
    compared: Vec<u32>,
    passages: Option<PassageBuild>,
}

/// The passage fingerprints of one document as pushed into a builder.
#[derive(Clone, Copy, Debug)]
pub(crate) struct DocPassages<'a> {
    /// Words of the document (`passage::words`).
    pub words: u32,
    /// Winnowed fingerprints `(hash, word position)`; empty when they come from
    /// [`SegmentBuilder::finish_with`]'s runs instead (compaction).
    pub prints: &'a [(u64, u32)],
}

/// A sorted stream of (fingerprint, word number) entries merged into a segment.
pub(crate) type PrintRun<'a> = Box<dyn Iterator<Item = Result<(u64, u32)>> + 'a>;

/// Bytes of one entry of a run file: fingerprint (u64) then word number (u32), little-endian.
const RUN_ENTRY: usize = 12;

/// A builder's passage state.
struct PassageBuild {
    /// First word number of each document pushed.
    first_words: Vec<u32>,
    /// Words pushed so far (the next document's first word number).
    words: u32,
    /// The current batch's entries, unsorted.
    batch: Vec<(u64, u32)>,
    /// Sorted runs, one per batch, back to back.
    runs: BufWriter<File>,
    /// Entries in the run file after each run.
    run_ends: Vec<u64>,
}

fn temp_in(dir: &Path) -> Result<BufWriter<File>> {
    // Unnamed: if the process dies, the file disappears with it.
    tempfile::tempfile_in(dir)
        .map(|f| BufWriter::with_capacity(1 << 20, f))
        .map_err(|e| Error::io(dir, "create temporary file in index", e))
}

/// A writer that checksums and counts what passes through it.
struct Hashing<W: Write> {
    inner: W,
    hasher: Xxh3,
    written: u64,
}

impl<W: Write> Hashing<W> {
    fn put(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.hasher.update(bytes);
        self.written += bytes.len() as u64;
        self.inner.write_all(bytes)
    }
}

impl SegmentBuilder {
    /// A builder for segment `id` of the index at `dir`; with `passages`, documents carry
    /// their passage fingerprints and the segment is of format version 2.
    pub(crate) fn new(
        dir: &Path,
        id: u64,
        params: &Params,
        passages: Option<&PassageParams>,
        fingerprint: u64,
    ) -> Result<Self> {
        let passages = match passages {
            Some(_) => Some(PassageBuild {
                first_words: Vec::new(),
                words: 0,
                batch: Vec::new(),
                runs: temp_in(dir)?,
                run_ends: Vec::new(),
            }),
            None => None,
        };
        Ok(SegmentBuilder {
            passages,
            dir: dir.to_path_buf(),
            id,
            params: params.clone(),
            fingerprint,
            docs: Vec::new(),
            strings: Vec::new(),
            last_path: None,
            paragraphs: temp_in(dir)?,
            hashes: temp_in(dir)?,
            signatures: temp_in(dir)?,
            paragraph_count: 0,
            compared: Vec::new(),
        })
    }

    /// Documents pushed so far.
    pub(crate) fn document_count(&self) -> usize {
        self.docs.len()
    }

    fn temp_error(&self, e: io::Error) -> Error {
        Error::io(&self.dir, "write temporary file in index", e)
    }

    /// The word number the next document's first word gets.
    pub(crate) fn next_word(&self) -> u32 {
        self.passages.as_ref().map_or(0, |p| p.words)
    }

    /// Append one document and its paragraph rows (and, in a builder with passages, its
    /// passage fingerprints).
    pub(crate) fn push_document<'a>(
        &mut self,
        path: &str,
        source: &str,
        content_hash: u128,
        file_len: u64,
        rows: impl IntoIterator<Item = RowIn<'a>>,
        passages: Option<DocPassages<'_>>,
    ) -> Result<()> {
        if self.last_path.as_deref().is_some_and(|last| last >= path) {
            return Err(Error::InvalidParameter(format!(
                "documents must reach the index builder in ascending path order, once each ({path:?})"
            )));
        }
        if let Some(build) = &mut self.passages {
            let Some(doc) = passages else {
                return Err(Error::InvalidParameter(format!(
                    "an index with passages needs the passage fingerprints of {path:?}"
                )));
            };
            let first = build.words;
            build.words = first
                .checked_add(doc.words)
                .ok_or_else(|| too_big(&self.dir))?;
            build.first_words.push(first);
            build
                .batch
                .extend(doc.prints.iter().map(|&(h, pos)| (h, first + pos)));
        }
        self.last_path = Some(path.to_string());
        let k = self.params.num_perm;
        let doc = u32::try_from(self.docs.len()).map_err(|_| too_big(&self.dir))?;
        let first = self.paragraph_count;
        for row in rows {
            let p = self.paragraph_count;
            self.paragraph_count = p.checked_add(1).ok_or_else(|| too_big(&self.dir))?;
            let rec = ParagraphRecord {
                doc,
                ordinal: row.ordinal,
                line: row.line,
                flags: if row.hash.is_some() { COMPARED } else { 0 },
                start: row.start,
                end: row.end,
            };
            let r = self.paragraphs.write_all(rec.as_bytes());
            let r = r.and_then(|_| self.hashes.write_all(&row.hash.unwrap_or(0).to_le_bytes()));
            let r = r.and_then(|_| {
                if row.hash.is_some() && row.signature.len() == k {
                    self.signatures.write_all(row.signature.as_bytes())
                } else {
                    self.signatures.write_all(vec![u32::MAX; k].as_bytes())
                }
            });
            r.map_err(|e| self.temp_error(e))?;
            if row.hash.is_some() {
                self.compared.push(p);
            }
        }
        let strings_offset = self.strings.len() as u64;
        self.strings.extend_from_slice(path.as_bytes());
        self.strings.extend_from_slice(source.as_bytes());
        self.docs.push(DocRecord {
            content_hash,
            file_len,
            strings_offset,
            path_len: u32::try_from(path.len()).map_err(|_| too_big(&self.dir))?,
            source_len: u32::try_from(source.len()).map_err(|_| too_big(&self.dir))?,
            first_paragraph: first,
            paragraph_count: self.paragraph_count - first,
        });
        Ok(())
    }

    /// Sort the passage fingerprints pushed since the last call and write them as one run
    /// (call after each batch: memory holds one batch's fingerprints).
    pub(crate) fn end_batch(&mut self) -> Result<()> {
        let Some(build) = &mut self.passages else {
            return Ok(());
        };
        if build.batch.is_empty() {
            return Ok(());
        }
        build.batch.par_sort_unstable();
        for &(h, p) in &build.batch {
            build
                .runs
                .write_all(&h.to_le_bytes())
                .and_then(|_| build.runs.write_all(&p.to_le_bytes()))
                .map_err(|e| Error::io(&self.dir, "write temporary file in index", e))?;
        }
        let before = build.run_ends.last().copied().unwrap_or(0);
        build.run_ends.push(before + build.batch.len() as u64);
        build.batch.clear();
        Ok(())
    }

    /// Write the segment file, fsync it and describe it for the manifest. The directory is
    /// not fsynced here: the commit does that once, before the manifest names the file.
    pub(crate) fn finish(self) -> Result<SegmentMeta> {
        self.finish_with(Vec::new())
    }

    /// [`SegmentBuilder::finish`], merging `extra` sorted runs of passage fingerprints (word
    /// numbers of this segment) with those pushed.
    pub(crate) fn finish_with(mut self, extra: Vec<PrintRun<'_>>) -> Result<SegmentMeta> {
        let file_name = segment_file_name(self.id);
        let path = self.dir.join(&file_name);
        let result = self.write_file(&path, extra);
        if result.is_err() {
            // A half-written segment is never named by a manifest; remove it now rather than
            // leave it for the next writer's clean-up.
            let _ = std::fs::remove_file(&path);
        }
        let (bytes, table_checksum) = result?;
        Ok(SegmentMeta {
            id: self.id,
            file: file_name,
            bytes,
            checksum: hex(table_checksum),
            documents: self.docs.len() as u32,
            paragraphs: self.paragraph_count,
            deleted: Vec::new(),
        })
    }

    fn write_file(&mut self, path: &Path, extra: Vec<PrintRun<'_>>) -> Result<(u64, u64)> {
        let fail = |e: io::Error| Error::io(path, "write index segment", e);
        self.end_batch()?;
        let sections = if self.passages.is_some() {
            MAX_SECTIONS
        } else {
            SECTION_COUNT
        };
        let header_len = header_len(sections);
        let mut temps = Vec::new();
        for w in [&mut self.paragraphs, &mut self.hashes, &mut self.signatures] {
            w.flush()
                .and_then(|_| w.get_ref().try_clone())
                .map(|f| temps.push(f))
                .map_err(|e| Error::io(&self.dir, "write temporary file in index", e))?;
        }
        let file = File::create_new(path).map_err(fail)?;
        let mut out = Hashing {
            inner: BufWriter::with_capacity(1 << 20, file),
            hasher: Xxh3::new(),
            written: 0,
        };
        out.put(&vec![0u8; header_len]).map_err(fail)?;
        let mut entries = vec![
            SectionEntry {
                kind: 0,
                reserved: 0,
                offset: 0,
                len: 0,
                checksum: 0,
            };
            sections
        ];
        begin(&mut out, &mut entries, S_DOCS).map_err(fail)?;
        out.put(self.docs.as_bytes()).map_err(fail)?;
        end(&out, &mut entries, S_DOCS);
        begin(&mut out, &mut entries, S_STRINGS).map_err(fail)?;
        out.put(&self.strings).map_err(fail)?;
        end(&out, &mut entries, S_STRINGS);
        for (s, temp) in [S_PARAGRAPHS, S_HASHES, S_SIGNATURES]
            .into_iter()
            .zip(&mut temps)
        {
            begin(&mut out, &mut entries, s).map_err(fail)?;
            temp.seek(SeekFrom::Start(0))
                .map_err(|e| self.temp_error(e))?;
            copy_temp(temp, &mut out, path, &self.dir)?;
            end(&out, &mut entries, s);
        }

        // Band tables: per band, compared paragraph ids sorted by (key, id); a fence key for
        // every FENCE_STEP entries.
        let signatures = map_file(path, &temps[2])?;
        let all: &[u32] = cast(&signatures);
        let k = self.params.num_perm;
        let rows = self.params.rows;
        let mut fences: Vec<u64> =
            Vec::with_capacity(self.params.bands * fences_per_band(self.compared.len()));
        begin(&mut out, &mut entries, S_BANDS).map_err(fail)?;
        let mut keyed: Vec<(u64, u32)> = Vec::with_capacity(self.compared.len());
        let mut ids: Vec<u32> = Vec::with_capacity(self.compared.len());
        for band in 0..self.params.bands {
            keyed.clear();
            keyed.par_extend(self.compared.par_iter().map(|&p| {
                let sig = &all[p as usize * k..(p as usize + 1) * k];
                (band_key(sig, band, rows), p)
            }));
            keyed.par_sort_unstable();
            ids.clear();
            ids.extend(keyed.iter().map(|&(_, p)| p));
            fences.extend(keyed.iter().step_by(FENCE_STEP).map(|&(key, _)| key));
            out.put(ids.as_bytes()).map_err(fail)?;
        }
        end(&out, &mut entries, S_BANDS);
        begin(&mut out, &mut entries, S_FENCES).map_err(fail)?;
        out.put(fences.as_bytes()).map_err(fail)?;
        end(&out, &mut entries, S_FENCES);
        drop(signatures);

        let (mut passage_words, mut passage_fingerprints) = (0, 0);
        if let Some(build) = self.passages.take() {
            (passage_words, passage_fingerprints) =
                write_passages(build, extra, &mut out, &mut entries, path, &self.dir)?;
        }

        let file_len = out.written + FOOTER_LEN as u64;
        let header = Header {
            magic: MAGIC,
            format_version: format_version(sections == MAX_SECTIONS),
            endian_check: ENDIAN_CHECK,
            section_count: sections as u32,
            num_perm: k as u32,
            bands: self.params.bands as u32,
            rows: rows as u32,
            documents: self.docs.len() as u32,
            paragraphs: self.paragraph_count,
            compared: self.compared.len() as u32,
            reserved0: 0,
            params_fingerprint: self.fingerprint,
            segment_id: self.id,
            file_len,
            passage_words,
            passage_fingerprints,
            reserved: [0; 40],
        };
        let mut head = Vec::with_capacity(header_len);
        head.extend_from_slice(header.as_bytes());
        head.extend_from_slice(entries.as_bytes());
        let table_checksum = xxhash_rust::xxh3::xxh3_64(&head);
        let footer = Footer {
            table_checksum,
            file_len,
            reserved: 0,
            magic: FOOTER_MAGIC,
        };
        out.put(footer.as_bytes()).map_err(fail)?;
        let mut file = out.inner.into_inner().map_err(|e| fail(e.into_error()))?;
        file.seek(SeekFrom::Start(0)).map_err(fail)?;
        file.write_all(&head).map_err(fail)?;
        file.sync_all().map_err(fail)?;
        Ok((file_len, table_checksum))
    }
}

/// Copy a temporary file from its start into `out`.
fn copy_temp<W: Write>(
    temp: &mut File,
    out: &mut Hashing<W>,
    path: &Path,
    dir: &Path,
) -> Result<()> {
    let temp_error = |e: io::Error| Error::io(dir, "write temporary file in index", e);
    temp.seek(SeekFrom::Start(0)).map_err(temp_error)?;
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = temp.read(&mut buf).map_err(temp_error)?;
        if n == 0 {
            return Ok(());
        }
        out.put(&buf[..n])
            .map_err(|e| Error::io(path, "write index segment", e))?;
    }
}

/// Write the three passage sections: the word table, then the fingerprints and their places
/// merged from the sorted runs. Returns (W, F).
fn write_passages<W: Write>(
    build: PassageBuild,
    extra: Vec<PrintRun<'_>>,
    out: &mut Hashing<W>,
    entries: &mut [SectionEntry],
    path: &Path,
    dir: &Path,
) -> Result<(u64, u64)> {
    let fail = |e: io::Error| Error::io(path, "write index segment", e);
    let temp_error = |e: io::Error| Error::io(dir, "write temporary file in index", e);
    begin(out, entries, S_WORDS).map_err(fail)?;
    out.put(build.first_words.as_bytes()).map_err(fail)?;
    out.put(build.words.as_bytes()).map_err(fail)?;
    end(out, entries, S_WORDS);

    let runs_file = build
        .runs
        .into_inner()
        .map_err(|e| temp_error(e.into_error()))?;
    let map = match build.run_ends.last() {
        Some(&n) if n > 0 => Some(map_file(dir, &runs_file)?),
        _ => None,
    };
    let mut runs: Vec<PrintRun<'_>> = Vec::new();
    let mut start = 0usize;
    for &end_entry in &build.run_ends {
        let end = end_entry as usize * RUN_ENTRY;
        let bytes = map
            .as_deref()
            .and_then(|m| m.get(start..end))
            .unwrap_or(&[]);
        runs.push(Box::new(bytes.chunks_exact(RUN_ENTRY).map(|e| {
            let mut h = [0u8; 8];
            let mut p = [0u8; 4];
            h.copy_from_slice(&e[..8]);
            p.copy_from_slice(&e[8..]);
            Ok((u64::from_le_bytes(h), u32::from_le_bytes(p)))
        })));
        start = end;
    }
    runs.extend(extra);

    // k-way merge: fingerprints go straight into the file, places to a temporary file that
    // follows them.
    let mut places = temp_in(dir)?;
    begin(out, entries, S_PRINTS).map_err(fail)?;
    let mut heap: BinaryHeap<Reverse<(u64, u32, usize)>> = BinaryHeap::new();
    for (i, run) in runs.iter_mut().enumerate() {
        if let Some(entry) = run.next() {
            let (h, p) = entry?;
            heap.push(Reverse((h, p, i)));
        }
    }
    let mut count = 0u64;
    let mut last: Option<(u64, u32)> = None;
    while let Some(Reverse((h, p, i))) = heap.pop() {
        if last.is_some_and(|l| l >= (h, p)) {
            return Err(Error::InvalidParameter(format!(
                "passage fingerprints reached the index builder out of order ({h:016x}, {p}): \
                 run `neardup index verify` on the index"
            )));
        }
        last = Some((h, p));
        out.put(&h.to_le_bytes()).map_err(fail)?;
        places.write_all(&p.to_le_bytes()).map_err(temp_error)?;
        count += 1;
        if let Some(entry) = runs[i].next() {
            let (h, p) = entry?;
            heap.push(Reverse((h, p, i)));
        }
    }
    end(out, entries, S_PRINTS);
    drop(runs);
    drop(map);
    begin(out, entries, S_PLACES).map_err(fail)?;
    places.flush().map_err(temp_error)?;
    let mut places = places
        .into_inner()
        .map_err(|e| temp_error(e.into_error()))?;
    copy_temp(&mut places, out, path, dir)?;
    end(out, entries, S_PLACES);
    Ok((build.words as u64, count))
}

/// Start section `s`: zero padding to the alignment, a fresh checksum, its offset.
fn begin<W: Write>(out: &mut Hashing<W>, entries: &mut [SectionEntry], s: usize) -> io::Result<()> {
    let pad = align_up(out.written) - out.written;
    out.put(&vec![0u8; pad as usize])?;
    out.hasher = Xxh3::new();
    entries[s].kind = s as u32 + 1;
    entries[s].offset = out.written;
    Ok(())
}

/// End section `s`: its length and checksum.
fn end<W: Write>(out: &Hashing<W>, entries: &mut [SectionEntry], s: usize) {
    entries[s].len = out.written - entries[s].offset;
    entries[s].checksum = out.hasher.digest();
}

fn too_big(dir: &Path) -> Error {
    Error::IndexUsage {
        path: dir.to_path_buf(),
        message: "a segment holds at most 2^32 - 1 documents and paragraphs: add the corpus in \
                  several batches"
            .into(),
    }
}
