//! Building a segment: rows and passage fingerprints in, one fsynced `seg-<id>.ndx` out
//! (see the module above for the invariants).

use super::runs::{write_passages, PassageBuild};
use super::*;

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

pub(super) fn temp_in(dir: &Path) -> Result<BufWriter<File>> {
    // Unnamed: if the process dies, the file disappears with it.
    tempfile::tempfile_in(dir)
        .map(|f| BufWriter::with_capacity(1 << 20, f))
        .map_err(|e| Error::io(dir, "create temporary file in index", e))
}

/// A writer that checksums and counts what passes through it.
pub(super) struct Hashing<W: Write> {
    pub(super) inner: W,
    pub(super) hasher: Xxh3,
    pub(super) written: u64,
}

impl<W: Write> Hashing<W> {
    pub(super) fn put(&mut self, bytes: &[u8]) -> io::Result<()> {
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
        self.write_bands(&temps[2], &mut out, &mut entries, path)?;

        let (mut passage_words, mut passage_fingerprints) = (0, 0);
        if let Some(build) = self.passages.take() {
            (passage_words, passage_fingerprints) =
                write_passages(build, extra, &mut out, &mut entries, path, &self.dir)?;
        }

        self.write_head_and_footer(
            out,
            &entries,
            sections,
            path,
            (passage_words, passage_fingerprints),
        )
    }

    /// The band tables and their fences, from the signatures in their temporary file.
    fn write_bands(
        &self,
        signatures: &File,
        out: &mut Hashing<BufWriter<File>>,
        entries: &mut [SectionEntry],
        path: &Path,
    ) -> Result<()> {
        let fail = |e: io::Error| Error::io(path, "write index segment", e);
        let signatures = map_file(path, signatures)?;
        let all: &[u32] = cast(&signatures);
        let k = self.params.num_perm;
        let rows = self.params.rows;
        let mut fences: Vec<u64> =
            Vec::with_capacity(self.params.bands * fences_per_band(self.compared.len()));
        begin(out, entries, S_BANDS).map_err(fail)?;
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
        end(out, entries, S_BANDS);
        begin(out, entries, S_FENCES).map_err(fail)?;
        out.put(fences.as_bytes()).map_err(fail)?;
        end(out, entries, S_FENCES);
        Ok(())
    }

    /// The footer after the sections, then the header and section table at the front (their
    /// checksums are known only now), and the file synced: its length and table checksum.
    fn write_head_and_footer(
        &self,
        mut out: Hashing<BufWriter<File>>,
        entries: &[SectionEntry],
        sections: usize,
        path: &Path,
        (passage_words, passage_fingerprints): (u64, u64),
    ) -> Result<(u64, u64)> {
        let fail = |e: io::Error| Error::io(path, "write index segment", e);
        let (k, rows) = (self.params.num_perm, self.params.rows);
        let header_len = header_len(sections);
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
pub(super) fn copy_temp<W: Write>(
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

/// Start section `s`: zero padding to the alignment, a fresh checksum, its offset.
pub(super) fn begin<W: Write>(
    out: &mut Hashing<W>,
    entries: &mut [SectionEntry],
    s: usize,
) -> io::Result<()> {
    let pad = align_up(out.written) - out.written;
    out.put(&vec![0u8; pad as usize])?;
    out.hasher = Xxh3::new();
    entries[s].kind = s as u32 + 1;
    entries[s].offset = out.written;
    Ok(())
}

/// End section `s`: its length and checksum.
pub(super) fn end<W: Write>(out: &Hashing<W>, entries: &mut [SectionEntry], s: usize) {
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
