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
//!
//! Files: this one reads ([`Segment`], the memory map); `build.rs` writes (`SegmentBuilder`,
//! section framing); `runs.rs` holds the passage runs and their k-way merge.

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

mod build;
mod runs;

pub(crate) use build::{DocPassages, RowIn, SegmentBuilder};
pub(crate) use runs::PrintRun;

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
        self.verify_documents()?;
        self.verify_compared()?;
        for band in 0..self.layout.header.bands as usize {
            self.verify_band(band)?;
        }
        self.verify_passages()
    }

    /// Documents: paths sorted, paragraph ranges contiguous, covering the paragraph table and
    /// naming their document.
    fn verify_documents(&self) -> Result<()> {
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
        if next_paragraph != self.layout.header.paragraphs {
            return Err(corrupt(
                &self.path,
                "section documents",
                "paragraph ranges do not cover the table",
            ));
        }
        Ok(())
    }

    /// The compared flags agree with the header's count.
    fn verify_compared(&self) -> Result<()> {
        let compared = self
            .paragraphs()
            .iter()
            .filter(|p| p.flags & COMPARED != 0)
            .count();
        if compared != self.layout.header.compared as usize {
            return Err(corrupt(
                &self.path,
                "section paragraphs",
                "compared flags disagree with the header",
            ));
        }
        Ok(())
    }

    /// One band table: compared paragraphs only, sorted by (key, id), and its fences.
    fn verify_band(&self, band: usize) -> Result<()> {
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
        Ok(())
    }
}
