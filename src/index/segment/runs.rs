//! The passage k-way merge: sorted runs of (fingerprint, word number), one per batch (and
//! the old segments' sections for a compaction), merged into the segment's fingerprint and
//! place sections, so the bytes do not depend on batch size or threads.

use super::build::{begin, copy_temp, end, temp_in, Hashing};
use super::*;

/// A sorted stream of (fingerprint, word number) entries merged into a segment.
pub(crate) type PrintRun<'a> = Box<dyn Iterator<Item = Result<(u64, u32)>> + 'a>;

/// Bytes of one entry of a run file: fingerprint (u64) then word number (u32), little-endian.
pub(super) const RUN_ENTRY: usize = 12;

/// A builder's passage state.
pub(super) struct PassageBuild {
    /// First word number of each document pushed.
    pub(super) first_words: Vec<u32>,
    /// Words pushed so far (the next document's first word number).
    pub(super) words: u32,
    /// The current batch's entries, unsorted.
    pub(super) batch: Vec<(u64, u32)>,
    /// Sorted runs, one per batch, back to back.
    pub(super) runs: BufWriter<File>,
    /// Entries in the run file after each run.
    pub(super) run_ends: Vec<u64>,
}

/// Write the three passage sections: the word table, then the fingerprints and their places
/// merged from the sorted runs. Returns (W, F).
pub(super) fn write_passages<W: Write>(
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
    let mut runs = file_runs(map.as_deref(), &build.run_ends);
    runs.extend(extra);

    // k-way merge: fingerprints go straight into the file, places to a temporary file that
    // follows them.
    let mut places = temp_in(dir)?;
    begin(out, entries, S_PRINTS).map_err(fail)?;
    let count = merge_runs(&mut runs, out, &mut places, path, dir)?;
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

/// The runs of the run file mapped as `map`, the i-th ending at entry `run_ends[i]`.
fn file_runs<'m>(map: Option<&'m [u8]>, run_ends: &[u64]) -> Vec<PrintRun<'m>> {
    let mut runs: Vec<PrintRun<'m>> = Vec::new();
    let mut start = 0usize;
    for &end_entry in run_ends {
        let end = end_entry as usize * RUN_ENTRY;
        let bytes = map.and_then(|m| m.get(start..end)).unwrap_or(&[]);
        runs.push(Box::new(bytes.chunks_exact(RUN_ENTRY).map(|e| {
            let mut h = [0u8; 8];
            let mut p = [0u8; 4];
            h.copy_from_slice(&e[..8]);
            p.copy_from_slice(&e[8..]);
            Ok((u64::from_le_bytes(h), u32::from_le_bytes(p)))
        })));
        start = end;
    }
    runs
}

/// The k-way merge of `runs`: fingerprints straight into `out`, their places into `places`
/// (a temporary file that follows them). Returns the number of entries; entries out of
/// order (a damaged old section) are an error.
fn merge_runs<W: Write>(
    runs: &mut [PrintRun<'_>],
    out: &mut Hashing<W>,
    places: &mut BufWriter<File>,
    path: &Path,
    dir: &Path,
) -> Result<u64> {
    let fail = |e: io::Error| Error::io(path, "write index segment", e);
    let temp_error = |e: io::Error| Error::io(dir, "write temporary file in index", e);
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
    Ok(count)
}
