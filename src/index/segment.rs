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
    /// parameters. O(1): no section is read.
    pub fn open(
        dir: &Path,
        meta: &SegmentMeta,
        params: &Params,
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
        Ok(())
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
    /// A builder for segment `id` of the index at `dir`.
    pub(crate) fn new(dir: &Path, id: u64, params: &Params, fingerprint: u64) -> Result<Self> {
        Ok(SegmentBuilder {
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

    /// Append one document and its paragraph rows.
    pub(crate) fn push_document<'a>(
        &mut self,
        path: &str,
        source: &str,
        content_hash: u128,
        file_len: u64,
        rows: impl IntoIterator<Item = RowIn<'a>>,
    ) -> Result<()> {
        if self.last_path.as_deref().is_some_and(|last| last >= path) {
            return Err(Error::InvalidParameter(format!(
                "documents must reach the index builder in ascending path order, once each ({path:?})"
            )));
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

    /// Write the segment file, fsync it and describe it for the manifest. The directory is
    /// not fsynced here: the commit does that once, before the manifest names the file.
    pub(crate) fn finish(mut self) -> Result<SegmentMeta> {
        let file_name = segment_file_name(self.id);
        let path = self.dir.join(&file_name);
        let result = self.write_file(&path);
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

    fn write_file(&mut self, path: &Path) -> Result<(u64, u64)> {
        let fail = |e: io::Error| Error::io(path, "write index segment", e);
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
        out.put(&[0u8; HEADER_LEN]).map_err(fail)?;
        let mut entries = [SectionEntry {
            kind: 0,
            reserved: 0,
            offset: 0,
            len: 0,
            checksum: 0,
        }; SECTION_COUNT];
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
            let mut buf = vec![0u8; 1 << 20];
            loop {
                let n = temp.read(&mut buf).map_err(|e| self.temp_error(e))?;
                if n == 0 {
                    break;
                }
                out.put(&buf[..n]).map_err(fail)?;
            }
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

        let file_len = out.written + FOOTER_LEN as u64;
        let header = Header {
            magic: MAGIC,
            format_version: FORMAT_VERSION,
            endian_check: ENDIAN_CHECK,
            section_count: SECTION_COUNT as u32,
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
            reserved: [0; 56],
        };
        let mut head = Vec::with_capacity(HEADER_LEN);
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
