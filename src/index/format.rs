//! The byte layout of a segment file (spec: `docs/FORMAT.md`).
//!
//! Input: the bytes of a segment file (usually a memory map). Output: checked views of its
//! header, section table and sections as typed slices. Invariants: every cast goes through
//! `zerocopy` (size and alignment checked, no `unsafe`); [`check_layout`] validates everything
//! needed to index the sections safely in O(1) — magic, version, endianness, lengths,
//! alignment, bounds and the table checksum — without reading the sections; the section
//! checksums are only compared by [`verify_sections`].
//!
//! Two versions are read and written: version 1 (7 sections) for an index without passage
//! fingerprints, version 2 (10 sections: version 1's, then the passage words, fingerprints
//! and places) for one built with `--passages`. An index without passages is thus written
//! exactly as before, and a version-1 reader refuses a passage index by its version instead
//! of misreading it.

use std::ops::Range;
use std::path::Path;

use xxhash_rust::xxh3::xxh3_64;
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

use crate::error::{Error, Result};

/// First 8 bytes of every segment file.
pub const MAGIC: [u8; 8] = *b"NDUPSEG\0";
/// Last 8 bytes of every segment file.
pub const FOOTER_MAGIC: [u8; 8] = *b"NDUPEND\0";
/// The newest format version this code reads and writes: segments with passage fingerprints.
pub const FORMAT_VERSION: u32 = 2;
/// The format version of an index without passage fingerprints (also read and written).
pub const FORMAT_VERSION_PLAIN: u32 = 1;

/// The format version of an index with or without passage fingerprints.
pub fn format_version(passages: bool) -> u32 {
    if passages {
        FORMAT_VERSION
    } else {
        FORMAT_VERSION_PLAIN
    }
}
/// Written as a native `u32`; reads back as this value only on a machine of the same byte
/// order (the format is little-endian).
pub const ENDIAN_CHECK: u32 = 0x0102_0304;
/// Alignment of every section, in bytes (a cache line; more than any record needs).
pub const ALIGN: usize = 64;
/// One fence key is kept for every `FENCE_STEP` entries of a band table.
pub const FENCE_STEP: usize = 64;

/// Fixed-size header at offset 0 (128 bytes).
#[derive(Clone, Copy, Debug, FromBytes, IntoBytes, Immutable, KnownLayout)]
#[repr(C)]
pub struct Header {
    /// [`MAGIC`].
    pub magic: [u8; 8],
    /// [`FORMAT_VERSION`].
    pub format_version: u32,
    /// [`ENDIAN_CHECK`].
    pub endian_check: u32,
    /// Number of entries in the section table ([`SECTION_COUNT`]).
    pub section_count: u32,
    /// Signature length.
    pub num_perm: u32,
    /// LSH bands.
    pub bands: u32,
    /// LSH rows per band.
    pub rows: u32,
    /// Documents in the segment.
    pub documents: u32,
    /// Paragraphs in the segment.
    pub paragraphs: u32,
    /// Paragraphs that are compared (in the band tables).
    pub compared: u32,
    /// Zero.
    pub reserved0: u32,
    /// Fingerprint of the parameters (see `manifest::fingerprint`).
    pub params_fingerprint: u64,
    /// The segment's id (also in its file name).
    pub segment_id: u64,
    /// Length of the whole file in bytes.
    pub file_len: u64,
    /// Version 2: words of all documents (W), counted as passages count them; 0 in version 1.
    pub passage_words: u64,
    /// Version 2: winnowed passage fingerprints stored (F); 0 in version 1.
    pub passage_fingerprints: u64,
    /// Zero.
    pub reserved: [u8; 40],
}

/// One entry of the section table (32 bytes).
#[derive(Clone, Copy, Debug, FromBytes, IntoBytes, Immutable, KnownLayout)]
#[repr(C)]
pub struct SectionEntry {
    /// Section kind (its position + 1; see [`SECTION_NAMES`]).
    pub kind: u32,
    /// Zero.
    pub reserved: u32,
    /// Offset from the start of the file; a multiple of [`ALIGN`].
    pub offset: u64,
    /// Length in bytes.
    pub len: u64,
    /// xxh3-64 of the section's bytes.
    pub checksum: u64,
}

/// Fixed-size footer at the end of the file (32 bytes).
#[derive(Clone, Copy, Debug, FromBytes, IntoBytes, Immutable, KnownLayout)]
#[repr(C)]
pub struct Footer {
    /// xxh3-64 of the header and section table: covers every section through its checksum.
    pub table_checksum: u64,
    /// Length of the whole file.
    pub file_len: u64,
    /// Zero.
    pub reserved: u64,
    /// [`FOOTER_MAGIC`].
    pub magic: [u8; 8],
}

/// A document of a segment (48 bytes).
#[derive(Clone, Copy, Debug, FromBytes, IntoBytes, Immutable, KnownLayout)]
#[repr(C)]
pub struct DocRecord {
    /// xxh3-128 of the file's bytes when indexed.
    pub content_hash: u128,
    /// Length of the file in bytes when indexed.
    pub file_len: u64,
    /// Offset of the path, then the source path, in the strings section.
    pub strings_offset: u64,
    /// Bytes of the path (as reports show it).
    pub path_len: u32,
    /// Bytes of the source path (relative to the index directory, or absolute).
    pub source_len: u32,
    /// The segment-local id of the document's first paragraph.
    pub first_paragraph: u32,
    /// Number of paragraphs.
    pub paragraph_count: u32,
}

/// A paragraph of a segment (32 bytes).
#[derive(Clone, Copy, Debug, FromBytes, IntoBytes, Immutable, KnownLayout)]
#[repr(C)]
pub struct ParagraphRecord {
    /// Segment-local document id.
    pub doc: u32,
    /// 0-based ordinal in the document.
    pub ordinal: u32,
    /// 1-based line.
    pub line: u32,
    /// Bit 0: compared (has a signature and an exact hash, appears in the band tables).
    pub flags: u32,
    /// Byte offset of the paragraph in the file.
    pub start: u64,
    /// Byte offset just past its end.
    pub end: u64,
}

/// [`ParagraphRecord::flags`] bit: the paragraph is compared.
pub const COMPARED: u32 = 1;

/// Section kinds, in file order.
pub const SECTION_NAMES: [&str; MAX_SECTIONS] = [
    "documents",
    "strings",
    "paragraphs",
    "exact hashes",
    "signatures",
    "band tables",
    "band fences",
    "passage words",
    "passage fingerprints",
    "passage places",
];
/// Number of sections of a version-1 segment.
pub const SECTION_COUNT: usize = 7;
/// Number of sections of a version-2 segment (with passage fingerprints).
pub const MAX_SECTIONS: usize = 10;
/// Section index of the document table.
pub const S_DOCS: usize = 0;
/// Section index of the strings blob.
pub const S_STRINGS: usize = 1;
/// Section index of the paragraph table.
pub const S_PARAGRAPHS: usize = 2;
/// Section index of the exact hashes.
pub const S_HASHES: usize = 3;
/// Section index of the signatures.
pub const S_SIGNATURES: usize = 4;
/// Section index of the band tables.
pub const S_BANDS: usize = 5;
/// Section index of the band fences.
pub const S_FENCES: usize = 6;
/// Section index of the passage word table: D + 1 `u32`, the first word of each document in
/// the segment's word numbering, then W.
pub const S_WORDS: usize = 7;
/// Section index of the passage fingerprints: F `u64`, ascending.
pub const S_PRINTS: usize = 8;
/// Section index of the passage places: F `u32` word numbers, one per fingerprint; the pairs
/// (fingerprint, place) ascend strictly.
pub const S_PLACES: usize = 9;

/// Bytes of the header and section table of a version-1 segment, before the first section.
pub const HEADER_LEN: usize = header_len(SECTION_COUNT);

/// Bytes of the header and a section table of `sections` entries.
pub const fn header_len(sections: usize) -> usize {
    size_of::<Header>() + sections * size_of::<SectionEntry>()
}

/// Number of sections of a segment of format `version`.
pub fn section_count(version: u32) -> usize {
    if version >= FORMAT_VERSION {
        MAX_SECTIONS
    } else {
        SECTION_COUNT
    }
}
/// Bytes of the footer.
pub const FOOTER_LEN: usize = size_of::<Footer>();

/// Round `n` up to a multiple of [`ALIGN`].
pub fn align_up(n: u64) -> u64 {
    n.div_ceil(ALIGN as u64) * ALIGN as u64
}

/// Number of fence keys per band for `compared` entries.
pub fn fences_per_band(compared: usize) -> usize {
    compared.div_ceil(FENCE_STEP)
}

/// "section NAME" of section index `s`, as errors name it.
pub fn section_name(s: usize) -> String {
    format!("section {}", SECTION_NAMES[s])
}

/// An error about `section` of the file at `path`.
pub fn corrupt(path: &Path, section: &str, problem: impl Into<String>) -> Error {
    Error::IndexCorrupt {
        path: path.to_path_buf(),
        section: section.to_string(),
        problem: problem.into(),
    }
}

/// What [`check_layout`] found: the header and the byte range of each section.
#[derive(Clone, Debug)]
pub struct Layout {
    /// The header.
    pub header: Header,
    /// Section table entries (7, or 10 with passages).
    pub entries: Vec<SectionEntry>,
    /// Byte range of each section.
    pub ranges: Vec<Range<usize>>,
    /// The footer's table checksum.
    pub table_checksum: u64,
}

/// Check the file's structure in O(1): everything that later reads index by, so that no
/// access can go out of bounds. Section contents are not read.
///
/// The checks run in a fixed order (header, lengths, footer and table, counts, sections,
/// word table), so a damaged file always gets the same, first, error.
pub fn check_layout(path: &Path, bytes: &[u8]) -> Result<Layout> {
    let header = read_header(path, bytes)?;
    let sections = section_count(header.format_version);
    let header_len = header_len(sections);
    check_lengths(path, &header, bytes.len(), sections)?;
    let (entries, table_checksum) = read_section_table(path, bytes, header_len)?;
    check_counts(path, &header, sections)?;
    let ranges = section_ranges(path, &header, &entries, header_len, bytes.len())?;
    if sections == MAX_SECTIONS {
        check_word_table(path, bytes, &header, &ranges)?;
    }
    Ok(Layout {
        header,
        entries,
        ranges,
        table_checksum,
    })
}

/// The header, with its magic, byte-order check and format version checked.
fn read_header(path: &Path, bytes: &[u8]) -> Result<Header> {
    let len = bytes.len();
    if len < HEADER_LEN + FOOTER_LEN {
        return Err(corrupt(
            path,
            "header",
            format!(
                "file is truncated: {len} bytes, a segment has at least {}",
                HEADER_LEN + FOOTER_LEN
            ),
        ));
    }
    let (header, _) = Header::read_from_prefix(bytes)
        .map_err(|_| corrupt(path, "header", "cannot read the header"))?;
    if header.magic != MAGIC {
        return Err(corrupt(
            path,
            "header",
            "wrong magic: not a neardup segment file",
        ));
    }
    if header.endian_check != ENDIAN_CHECK {
        return Err(corrupt(
            path,
            "header",
            format!(
                "byte-order check reads {:#010x}, expected {ENDIAN_CHECK:#010x}: the file is \
                 damaged, or this machine is big-endian (segments are little-endian)",
                header.endian_check
            ),
        ));
    }
    if !(FORMAT_VERSION_PLAIN..=FORMAT_VERSION).contains(&header.format_version) {
        return Err(corrupt(
            path,
            "header",
            format!(
                "format version {} is not supported (this neardup reads versions \
                 {FORMAT_VERSION_PLAIN} and {FORMAT_VERSION}); use the neardup that wrote it, or \
                 rebuild the index",
                header.format_version
            ),
        ));
    }
    Ok(header)
}

/// The file is as long as the header says and long enough for its version's section table.
fn check_lengths(path: &Path, header: &Header, len: usize, sections: usize) -> Result<()> {
    let header_len = header_len(sections);
    if len < header_len + FOOTER_LEN {
        return Err(corrupt(
            path,
            "header",
            format!(
                "file is truncated: {len} bytes, a version-{} segment has at least {}",
                header.format_version,
                header_len + FOOTER_LEN
            ),
        ));
    }
    if header.file_len != len as u64 {
        return Err(corrupt(
            path,
            "header",
            format!(
                "file is {len} bytes but its header says {} (truncated or extended)",
                header.file_len
            ),
        ));
    }
    if header.section_count as usize != sections {
        return Err(corrupt(
            path,
            "section table",
            format!("{} sections, expected {sections}", header.section_count),
        ));
    }
    Ok(())
}

/// The footer checked against the file and the table, then the section table's entries and
/// the table checksum.
fn read_section_table(
    path: &Path,
    bytes: &[u8],
    header_len: usize,
) -> Result<(Vec<SectionEntry>, u64)> {
    let (_, footer) = Footer::read_from_suffix(bytes)
        .map_err(|_| corrupt(path, "footer", "cannot read the footer"))?;
    if footer.magic != FOOTER_MAGIC {
        return Err(corrupt(
            path,
            "footer",
            "wrong magic: the file is truncated or damaged",
        ));
    }
    if footer.file_len != bytes.len() as u64 {
        return Err(corrupt(
            path,
            "footer",
            "file length disagrees with the header",
        ));
    }
    let table_checksum = xxh3_64(&bytes[..header_len]);
    if footer.table_checksum != table_checksum {
        return Err(corrupt(
            path,
            "header",
            "checksum of the header and section table does not match the footer",
        ));
    }
    let table = &bytes[size_of::<Header>()..header_len];
    let entries = table
        .chunks_exact(size_of::<SectionEntry>())
        .map(SectionEntry::read_from_bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| corrupt(path, "section table", "cannot read the section table"))?;
    Ok((entries, table_checksum))
}

/// The header's counts agree with each other and with the version's sections.
fn check_counts(path: &Path, header: &Header, sections: usize) -> Result<()> {
    let k = header.num_perm as u64;
    let bands = header.bands as u64;
    if k == 0
        || header.rows == 0
        || bands == 0
        || bands * header.rows as u64 > k
        || header.compared > header.paragraphs
    {
        return Err(corrupt(
            path,
            "header",
            "inconsistent counts (num_perm, bands, rows, compared)",
        ));
    }
    if sections == SECTION_COUNT && (header.passage_fingerprints != 0 || header.passage_words != 0)
    {
        return Err(corrupt(
            path,
            "header",
            "passage counts in a segment without passage sections",
        ));
    }
    // Places are u32 word numbers.
    if header.passage_words > u32::MAX as u64 {
        return Err(corrupt(path, "header", "passage word count out of range"));
    }
    Ok(())
}

/// Each section's length as the header's counts give it (`None` for the strings section,
/// whose length is free, and for a length beyond `u64`).
fn expected_section_lens(header: &Header) -> [Option<u64>; MAX_SECTIONS] {
    let k = header.num_perm as u64;
    let n = header.paragraphs as u64;
    let c = header.compared as u64;
    let bands = header.bands as u64;
    let f = header.passage_fingerprints;
    [
        Some(header.documents as u64 * size_of::<DocRecord>() as u64),
        None,
        Some(n * size_of::<ParagraphRecord>() as u64),
        Some(n * 16),
        Some(n * k * 4),
        Some(bands * c * 4),
        Some(bands * fences_per_band(c as usize) as u64 * 8),
        Some((header.documents as u64 + 1) * 4),
        f.checked_mul(8),
        f.checked_mul(4),
    ]
}

/// The byte range of each section: kinds in order, aligned, in file order without overlap,
/// inside the body, and as long as the header's counts need.
fn section_ranges(
    path: &Path,
    header: &Header,
    entries: &[SectionEntry],
    header_len: usize,
    len: usize,
) -> Result<Vec<Range<usize>>> {
    let expected = expected_section_lens(header);
    let mut ranges: Vec<Range<usize>> = Vec::with_capacity(entries.len());
    let mut previous_end = header_len as u64;
    let body_end = (len - FOOTER_LEN) as u64;
    for (i, e) in entries.iter().enumerate() {
        let name = section_name(i);
        if e.kind as usize != i + 1 {
            return Err(corrupt(
                path,
                &name,
                format!("kind {} where {} was expected", e.kind, i + 1),
            ));
        }
        if e.offset % ALIGN as u64 != 0 {
            return Err(corrupt(
                path,
                &name,
                format!("offset {} is not {ALIGN}-byte aligned", e.offset),
            ));
        }
        let end = e.offset.checked_add(e.len);
        match end {
            Some(end) if e.offset >= previous_end && end <= body_end => previous_end = end,
            _ => {
                return Err(corrupt(
                    path,
                    &name,
                    format!(
                        "bytes {}+{} lie outside the file or overlap another section",
                        e.offset, e.len
                    ),
                ))
            }
        }
        let want = expected[i];
        if i != S_STRINGS && want != Some(e.len) {
            return Err(corrupt(
                path,
                &name,
                format!(
                    "{} bytes, the header's counts need {}",
                    e.len,
                    want.map_or("more than a file holds".into(), |w| w.to_string())
                ),
            ));
        }
        ranges.push(e.offset as usize..(e.offset + e.len) as usize);
    }
    Ok(ranges)
}

/// The word table's ends, read in O(1): it starts at 0 and ends at the header's word count.
fn check_word_table(
    path: &Path,
    bytes: &[u8],
    header: &Header,
    ranges: &[Range<usize>],
) -> Result<()> {
    let words: &[u32] = cast(&bytes[ranges[S_WORDS].clone()]);
    if words.first() != Some(&0) || words.last().map(|&w| w as u64) != Some(header.passage_words) {
        return Err(corrupt(
            path,
            "section passage words",
            "the word table does not run from 0 to the header's word count",
        ));
    }
    Ok(())
}

/// The full check: every section's checksum, and zero padding between sections (so that
/// every byte of the file is covered by some check).
pub fn verify_sections(path: &Path, bytes: &[u8], layout: &Layout) -> Result<()> {
    let mut previous_end = header_len(layout.entries.len());
    for (i, (e, r)) in layout.entries.iter().zip(&layout.ranges).enumerate() {
        let name = section_name(i);
        if bytes[previous_end..r.start].iter().any(|&b| b != 0) {
            return Err(corrupt(
                path,
                &name,
                "padding before the section is not zero",
            ));
        }
        if xxh3_64(&bytes[r.clone()]) != e.checksum {
            return Err(corrupt(
                path,
                &name,
                "checksum mismatch: the section is damaged",
            ));
        }
        previous_end = r.end;
    }
    if bytes[previous_end..bytes.len() - FOOTER_LEN]
        .iter()
        .any(|&b| b != 0)
    {
        return Err(corrupt(
            path,
            "footer",
            "padding before the footer is not zero",
        ));
    }
    let (_, footer) = Footer::read_from_suffix(bytes)
        .map_err(|_| corrupt(path, "footer", "cannot read the footer"))?;
    if footer.reserved != 0 {
        return Err(corrupt(path, "footer", "reserved bytes are not zero"));
    }
    let h = &layout.header;
    if h.reserved0 != 0
        || h.reserved.iter().any(|&b| b != 0)
        || layout.entries.iter().any(|e| e.reserved != 0)
    {
        return Err(corrupt(path, "header", "reserved bytes are not zero"));
    }
    Ok(())
}

/// Cast a checked section to a slice of records; an empty slice if the bytes do not fit
/// (impossible after [`check_layout`], which checked lengths, and the 64-byte alignment of
/// sections in a page-aligned map).
pub fn cast<T: FromBytes + Immutable + KnownLayout>(bytes: &[u8]) -> &[T] {
    <[T]>::ref_from_bytes(bytes).unwrap_or(&[])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_sizes_are_as_specified() {
        assert_eq!(size_of::<Header>(), 128);
        assert_eq!(size_of::<SectionEntry>(), 32);
        assert_eq!(size_of::<Footer>(), 32);
        assert_eq!(size_of::<DocRecord>(), 48);
        assert_eq!(size_of::<ParagraphRecord>(), 32);
        assert_eq!(HEADER_LEN, 352);
    }
}
