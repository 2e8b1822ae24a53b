//! Dedup: a report → a cleaned copy of the corpus.
//!
//! Input: the corpus directory, the [`Report`] of its scan, and [`DedupOptions`]. Output: the
//! corpus written again under an output directory, with one copy of each cluster kept and
//! the others removed ([`DedupMode::Remove`]), or every file copied unchanged plus a sidecar
//! listing what would be removed ([`DedupMode::Mark`]). Invariants:
//! - directory structure and file names are kept; every file without a removal (including
//!   files neardup does not read) is a byte-identical copy, except that mark mode adds two
//!   fields to every record of a JSONL dataset (`dedup::dataset`, which rewrites datasets
//!   record by record; `dedup::dataset_parquet` for Parquet);
//! - nothing is written outside the output directory: relative paths are checked component by
//!   component, and a symbolic link inside the output is never written through;
//! - the output may be neither inside the input nor contain it, and a non-empty output needs
//!   `force` ([`check_paths`]);
//! - each file is written atomically (temporary file in the same directory, fsync, rename);
//! - a removal deletes whole lines, never inserts bytes, so a file keeps its line endings
//!   (LF or CRLF) and its byte-order mark; before deleting, the paragraph's bytes are checked
//!   against the report, so a file changed since the scan is an error, not a corruption.
//!
//! What is deleted for a removed paragraph: with `--split lines`, its line including the line
//! end; with `--split blank`, the lines of its block and the blank lines that follow it (or,
//! for the last block of a file, the blank lines before it), so no run of blank lines is left
//! where a block was. With `--split document` the unit is the whole file: a removed duplicate
//! file is not written to the output at all (in mark mode it is copied and listed).

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Component, Path, PathBuf};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

// The dataset rewriters are children of dedup, the only caller: they take its options and
// removals, and dedup hands them dataset files, so no module cycle runs between them.
mod dataset;
#[cfg(feature = "parquet")]
mod dataset_parquet;

use crate::config::SplitMode;
use crate::error::{Error, Result};
use crate::ingest::slash_path;
use crate::progress::Progress;
use crate::report::Report;
use crate::util::write_atomically;

/// Which copy of a cluster is kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Keep {
    /// The first member by path, then paragraph (the cluster's representative).
    #[default]
    First,
    /// The longest member in bytes (the first of equally long ones).
    Longest,
}

/// What happens to the copies that are not kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DedupMode {
    /// Delete them from the written corpus.
    #[default]
    Remove,
    /// Copy every file unchanged and list them in the sidecar [`SIDECAR`].
    Mark,
}

/// Which copies are removed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DedupScope {
    /// Every copy but the kept one.
    #[default]
    All,
    /// Only copies in other articles than the kept one's: an article's own repetitions stay.
    Across,
}

/// How to clean a corpus.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct DedupOptions {
    /// Which copy of a cluster is kept.
    pub keep: Keep,
    /// Remove, or only mark.
    pub mode: DedupMode,
    /// Which copies are removed.
    pub scope: DedupScope,
    /// Remove every member of boilerplate clusters, keeping none.
    pub drop_boilerplate: bool,
    /// Write into an existing non-empty output directory (files of the same name are
    /// replaced; other files there are left alone).
    pub force: bool,
    /// Skip unreadable files with a warning instead of failing.
    pub keep_going: bool,
    /// Datasets: drop a record whose text a paragraph removal leaves blank.
    pub drop_empty: bool,
    /// How dataset records were read (text and id fields), to find them again.
    pub input: crate::ingest::InputOptions,
}

/// Name of the sidecar written by [`DedupMode::Mark`] at the root of the output: JSONL, one
/// [`Removal`] per line, sorted by path then paragraph; paths relative to the corpus, as the
/// files of the output are.
pub const SIDECAR: &str = "neardup-removed.jsonl";

/// Where a paragraph is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Place {
    /// Document path, as in reports.
    pub path: String,
    /// 0-based paragraph ordinal.
    pub paragraph: u32,
    /// 1-based line.
    pub line: u32,
}

/// One paragraph to remove (one line of the sidecar).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Removal {
    /// Document path, as in reports.
    pub path: String,
    /// 0-based paragraph ordinal.
    pub paragraph: u32,
    /// 1-based line of its first line.
    pub line: u32,
    /// Byte span of the paragraph in the input file.
    pub byte_start: u64,
    /// End of that span.
    pub byte_end: u64,
    /// The cluster it belongs to.
    pub cluster: u32,
    /// True when removed because the cluster is boilerplate and `drop_boilerplate` was given.
    pub boilerplate: bool,
    /// The copy that stays, if any.
    pub kept: Option<Place>,
    /// The paragraph's text.
    pub text: String,
}

/// Decide which paragraphs go, sorted by path then paragraph.
pub fn plan(report: &Report, options: &DedupOptions) -> Vec<Removal> {
    let mut out = Vec::new();
    for c in &report.clusters {
        if c.members.is_empty() {
            continue;
        }
        let drop_all = options.drop_boilerplate && c.boilerplate;
        let keep = match options.keep {
            Keep::First => 0,
            Keep::Longest => {
                let len = |i: usize| {
                    c.members[i]
                        .byte_end
                        .saturating_sub(c.members[i].byte_start)
                };
                // max_by_key returns the last maximum: compare on (len, reversed index).
                (0..c.members.len())
                    .max_by_key(|&i| (len(i), std::cmp::Reverse(i)))
                    .unwrap_or(0)
            }
        };
        let kept = &c.members[keep];
        for (i, m) in c.members.iter().enumerate() {
            let remove = drop_all
                || match options.scope {
                    DedupScope::All => i != keep,
                    DedupScope::Across => m.path != kept.path,
                };
            if !remove {
                continue;
            }
            out.push(Removal {
                path: m.path.clone(),
                paragraph: m.paragraph,
                line: m.line,
                byte_start: m.byte_start,
                byte_end: m.byte_end,
                cluster: c.id,
                boilerplate: drop_all,
                kept: (!drop_all).then(|| Place {
                    path: kept.path.clone(),
                    paragraph: kept.paragraph,
                    line: kept.line,
                }),
                text: m.text.clone(),
            });
        }
    }
    out.sort_by(|a, b| (&a.path, a.paragraph).cmp(&(&b.path, b.paragraph)));
    out
}

/// What [`write_corpus`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DedupSummary {
    /// Files written (copied or edited).
    pub files: usize,
    /// Files with at least one removal.
    pub files_changed: usize,
    /// Paragraphs removed (or, in mark mode, that would be); whole documents or records with
    /// `--split document`.
    pub paragraphs_removed: usize,
    /// Whether the unit was the whole document (`--split document`), so that the summary
    /// says "documents" rather than "paragraphs".
    pub whole_documents: bool,
    /// Bytes removed, line ends included (or that would be).
    pub bytes_removed: u64,
    /// Bytes of all files written, before removal.
    pub bytes_in: u64,
    /// Files not written, with the reason (unreadable under `keep_going`, or not a regular
    /// file).
    pub warnings: Vec<String>,
}

impl DedupSummary {
    /// The one-line summary the CLI prints.
    pub fn line(&self, mode: DedupMode, out: &Path) -> String {
        let share = if self.bytes_in == 0 {
            0.0
        } else {
            self.bytes_removed as f64 * 100.0 / self.bytes_in as f64
        };
        let unit = if self.whole_documents {
            "documents"
        } else {
            "paragraphs"
        };
        let what = format!(
            "{} {unit} ({} of {} bytes, {share:.1}%) in {} of {} files",
            self.paragraphs_removed,
            self.bytes_removed,
            self.bytes_in,
            self.files_changed,
            self.files
        );
        match mode {
            DedupMode::Remove => format!("removed {what}; cleaned corpus in {}", out.display()),
            DedupMode::Mark => format!(
                "marked {what} for removal; files copied unchanged to {}, list in {}",
                out.display(),
                out.join(SIDECAR).display()
            ),
        }
    }
}

/// Refuse an output directory that could overwrite or mix with the input: `input` must be a
/// directory; `out` may be neither inside it nor contain it; an existing `out` must be a
/// directory, and empty unless `force`.
pub fn check_paths(input: &Path, out: &Path, force: bool) -> Result<()> {
    let refuse = |msg: String| Err(Error::Refused(msg));
    let meta = std::fs::metadata(input).map_err(|e| Error::io(input, "access", e))?;
    if !meta.is_dir() {
        return refuse(format!(
            "{}: dedup takes one corpus directory (its structure is written again under \
             --out); give the directory that holds this file",
            input.display()
        ));
    }
    let input_c = input
        .canonicalize()
        .map_err(|e| Error::io(input, "resolve", e))?;
    let out_c = resolve_lenient(out)?;
    if out_c.starts_with(&input_c) {
        return refuse(format!(
            "{}: the output is inside the input {}: choose an output directory outside it",
            out.display(),
            input.display()
        ));
    }
    if input_c.starts_with(&out_c) {
        return refuse(format!(
            "{}: the output contains the input {}: choose another output directory",
            out.display(),
            input.display()
        ));
    }
    match std::fs::metadata(out) {
        Ok(m) if !m.is_dir() => refuse(format!(
            "{}: the output exists and is not a directory",
            out.display()
        )),
        Ok(_) => {
            let mut entries = std::fs::read_dir(out).map_err(|e| Error::io(out, "read", e))?;
            if entries.next().is_some() && !force {
                refuse(format!(
                    "{}: the output directory is not empty: choose an empty or new directory, \
                     or pass --force to write into it (files of the same name are replaced)",
                    out.display()
                ))
            } else {
                Ok(())
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Error::io(out, "access", e)),
    }
}

/// Canonical form of a path that may not exist yet: its deepest existing ancestor resolved,
/// the rest appended (which must be plain names).
fn resolve_lenient(path: &Path) -> Result<PathBuf> {
    let mut existing = path.to_path_buf();
    let mut rest = Vec::new();
    loop {
        if existing.as_os_str().is_empty() {
            existing = PathBuf::from(".");
        }
        match existing.canonicalize() {
            Ok(c) => {
                let mut full = c;
                for name in rest.iter().rev() {
                    full.push(name);
                }
                return Ok(full);
            }
            Err(_) => match (existing.file_name(), existing.parent()) {
                (Some(name), Some(parent)) => {
                    rest.push(name.to_os_string());
                    existing = parent.to_path_buf();
                }
                _ => {
                    return Err(Error::Refused(format!(
                        "{}: cannot resolve the output directory: give a path whose parent \
                         exists, without `..`",
                        path.display()
                    )))
                }
            },
        }
    }
}

/// Write the corpus under `input` again under `out`, applying `removals` (from [`plan`])
/// according to `options.mode`. Call [`check_paths`] first.
pub fn write_corpus(
    input: &Path,
    out: &Path,
    split: SplitMode,
    report: &Report,
    removals: &[Removal],
    options: &DedupOptions,
    progress: &Progress,
) -> Result<DedupSummary> {
    let mut by_path: BTreeMap<&str, Vec<&Removal>> = BTreeMap::new();
    for r in removals {
        by_path.entry(r.path.as_str()).or_default().push(r);
    }
    // Mark mode names each dataset record's cluster, kept copies included.
    let mut clusters: std::collections::HashMap<&str, u32> = std::collections::HashMap::new();
    for c in &report.clusters {
        for m in &c.members {
            clusters.entry(m.path.as_str()).or_insert(c.id);
        }
    }
    let mut summary = DedupSummary {
        whole_documents: split == SplitMode::Document,
        ..DedupSummary::default()
    };
    std::fs::create_dir_all(out).map_err(|e| Error::io(out, "create directory", e))?;
    let jobs = copy_jobs(input, out, options, &mut summary.warnings)?;
    // Files are independent: read, edit and write them in parallel (the fsync of each atomic
    // write dominates), then add up their outcomes in walk order, so the summary, the
    // warnings and the first error reported do not depend on scheduling.
    let stage = progress.stage("write", "files", Some(jobs.len() as u64));
    let outcomes: Vec<Result<FileOutcome>> = jobs
        .par_iter()
        .map(|job| {
            let display = &job.display;
            let name = display.rsplit('/').next().unwrap_or(display);
            let outcome = match dataset::dataset_kind(name) {
                Some(kind) => rewrite_dataset(
                    &job.src,
                    &job.target,
                    display,
                    kind,
                    split,
                    &by_path,
                    &clusters,
                    options,
                ),
                None => {
                    let removals = by_path.get(display.as_str()).map(Vec::as_slice);
                    copy_one(&job.src, &job.target, split, removals, options)
                }
            };
            stage.inc(1);
            outcome
        })
        .collect();
    for outcome in outcomes {
        summary.add(outcome?);
    }
    check_all_written(input, &jobs, &by_path)?;
    if options.mode == DedupMode::Mark {
        write_sidecar(input, out, removals)?;
    }
    Ok(summary)
}

/// One file of the corpus to copy (or rewrite).
struct CopyJob {
    src: PathBuf,
    /// Its name as the report gives it (`corpus/a.txt`, `ingest::slash_path`).
    display: String,
    target: PathBuf,
}

/// Walk `input` (sorted, links followed), create its directories under `out`, and list the
/// regular files to copy; what cannot be copied is a warning (walk errors only under
/// `keep_going`), a path leaving the output or a file named like the sidecar an error.
fn copy_jobs(
    input: &Path,
    out: &Path,
    options: &DedupOptions,
    warnings: &mut Vec<String>,
) -> Result<Vec<CopyJob>> {
    let mut jobs = Vec::new();
    for entry in walkdir::WalkDir::new(input)
        .follow_links(true)
        .sort_by_file_name()
        .min_depth(1)
    {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                let path = e.path().unwrap_or(input).to_path_buf();
                if options.keep_going {
                    warnings.push(format!("{}: not copied: {e}", path.display()));
                    continue;
                }
                let source = e
                    .into_io_error()
                    .unwrap_or_else(|| std::io::Error::other("filesystem loop"));
                return Err(Error::io(path, "read directory", source));
            }
        };
        let rel = entry.path().strip_prefix(input).unwrap_or(entry.path());
        if !rel.components().all(|c| matches!(c, Component::Normal(_))) {
            return Err(Error::Refused(format!(
                "{}: unexpected path inside the input; nothing is written outside the output",
                entry.path().display()
            )));
        }
        let target = out.join(rel);
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target)
                .map_err(|e| Error::io(&target, "create directory", e))?;
            refuse_symlink(&target)?;
            continue;
        }
        if !entry.file_type().is_file() {
            warnings.push(format!(
                "{}: not copied: not a regular file",
                entry.path().display()
            ));
            continue;
        }
        // The report names files as given (`corpus/a.txt`, `ingest::slash_path`); the output
        // and its sidecar name them relative to the corpus (`a.txt`), as the layout is.
        let display = slash_path(entry.path());
        let relative = slash_path(rel);
        if options.mode == DedupMode::Mark && relative == SIDECAR {
            return Err(Error::Refused(format!(
                "{}: the corpus has a file named like the sidecar {SIDECAR}; use --mode remove \
                 or rename it",
                entry.path().display()
            )));
        }
        jobs.push(CopyJob {
            src: entry.into_path(),
            display,
            target,
        });
    }
    Ok(jobs)
}

impl DedupSummary {
    /// Count one file's outcome.
    fn add(&mut self, outcome: FileOutcome) {
        match outcome {
            FileOutcome::Written {
                bytes_in,
                paragraphs_removed,
                bytes_removed,
            } => {
                self.files += 1;
                self.bytes_in += bytes_in;
                if paragraphs_removed > 0 {
                    self.files_changed += 1;
                    self.paragraphs_removed += paragraphs_removed;
                    self.bytes_removed += bytes_removed;
                }
            }
            FileOutcome::Unreadable(warning) => self.warnings.push(warning),
        }
    }
}

/// Every removal must belong to a file written: `PATH` (a file) or `PATH#RECORD`; else the
/// corpus changed since the scan.
fn check_all_written(
    input: &Path,
    jobs: &[CopyJob],
    by_path: &BTreeMap<&str, Vec<&Removal>>,
) -> Result<()> {
    let written: std::collections::HashSet<&str> =
        jobs.iter().map(|j| j.display.as_str()).collect();
    let missing: Vec<&str> = by_path
        .keys()
        .copied()
        .filter(|k| {
            !written.contains(k) && !k.match_indices('#').any(|(i, _)| written.contains(&k[..i]))
        })
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    Err(Error::Refused(format!(
        "{}: files of the report are missing from the input ({}); was the corpus changed \
         during the run?",
        input.display(),
        missing.join(", ")
    )))
}

/// Mark mode's sidecar: one JSON line per removal, paths relative to the corpus root.
fn write_sidecar(input: &Path, out: &Path, removals: &[Removal]) -> Result<()> {
    let mut lines = Vec::new();
    let root = slash_path(input);
    for r in removals {
        let mut r = r.clone();
        r.path = relative_name(&r.path, &root).to_string();
        if let Some(kept) = &mut r.kept {
            kept.path = relative_name(&kept.path, &root).to_string();
        }
        serde_json::to_writer(&mut lines, &r)
            .map_err(std::io::Error::from)
            .map_err(|e| Error::io(out.join(SIDECAR), "write", e))?;
        lines.push(b'\n');
    }
    write_file(&out.join(SIDECAR), &lines, None)
}

/// A document name (as given: `corpus/a.txt`) relative to the corpus root `root` (as given:
/// `corpus`), as the output's layout and its sidecar name files (`a.txt`).
fn relative_name<'a>(name: &'a str, root: &str) -> &'a str {
    if root == "." {
        return name;
    }
    let below = name.strip_prefix(root);
    match below {
        Some(rest) if root.ends_with('/') => rest,
        Some(rest) => rest.strip_prefix('/').unwrap_or(name),
        None => name,
    }
}

pub(crate) enum FileOutcome {
    Written {
        bytes_in: u64,
        paragraphs_removed: usize,
        bytes_removed: u64,
    },
    Unreadable(String),
}

/// Copy one file to `target`, deleting `removals` in remove mode.
fn copy_one(
    src: &Path,
    target: &Path,
    split: SplitMode,
    removals: Option<&[&Removal]>,
    options: &DedupOptions,
) -> Result<FileOutcome> {
    let bytes = match std::fs::read(src) {
        Ok(b) => b,
        Err(e) if options.keep_going => {
            return Ok(FileOutcome::Unreadable(format!(
                "{}: not copied: cannot read file: {e}",
                src.display()
            )))
        }
        Err(e) => return Err(Error::io(src, "read file", e)),
    };
    let mut written = bytes.as_slice();
    let edited;
    let (mut paragraphs_removed, mut bytes_removed) = (0, 0);
    if let Some(rs) = removals {
        let ranges = deletion_ranges(src, &bytes, split, rs)?;
        paragraphs_removed = rs.len();
        bytes_removed = ranges.iter().map(|r| r.len() as u64).sum::<u64>();
        if options.mode == DedupMode::Remove {
            if split == SplitMode::Document {
                // The whole file is the duplicate: leave it out rather than write it empty, and
                // drop a copy a previous run (--force) left there.
                match std::fs::remove_file(target) {
                    Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                        return Err(Error::io(target, "remove stale copy", e))
                    }
                    _ => {}
                }
                return Ok(FileOutcome::Written {
                    bytes_in: bytes.len() as u64,
                    paragraphs_removed,
                    bytes_removed,
                });
            }
            edited = apply(&bytes, &ranges);
            written = &edited;
        }
    }
    let permissions = std::fs::metadata(src).ok().map(|m| m.permissions());
    write_file(target, written, permissions)?;
    Ok(FileOutcome::Written {
        bytes_in: bytes.len() as u64,
        paragraphs_removed,
        bytes_removed,
    })
}

/// Rewrite one dataset ([`dataset`]) to `target`, streamed into its atomic
/// temporary file: a failure leaves `target` as it was.
#[allow(clippy::too_many_arguments)]
fn rewrite_dataset(
    src: &Path,
    target: &Path,
    display: &str,
    kind: dataset::DatasetKind,
    split: SplitMode,
    by_path: &BTreeMap<&str, Vec<&Removal>>,
    clusters: &std::collections::HashMap<&str, u32>,
    options: &DedupOptions,
) -> Result<FileOutcome> {
    let permissions = std::fs::metadata(src).ok().map(|m| m.permissions());
    // The closure's own error (a bad record, a read failure) is kept aside and returned as
    // it is; write_atomically only learns that it failed, and drops the temporary file.
    let mut outcome: Option<Result<dataset::Rewritten>> = None;
    let written = write_atomically(target, permissions, |writer| {
        let mut out = dataset::Output {
            writer,
            path: target,
        };
        let done = match kind {
            dataset::DatasetKind::Jsonl(compression) => dataset::rewrite_jsonl(
                src,
                display,
                compression,
                split,
                by_path,
                clusters,
                options,
                &mut out,
            ),
            #[cfg(feature = "parquet")]
            dataset::DatasetKind::Parquet => {
                dataset_parquet::rewrite(src, display, split, by_path, clusters, options, &mut out)
            }
            #[cfg(not(feature = "parquet"))]
            dataset::DatasetKind::Parquet => Err(Error::Refused(format!(
                "{}: Parquet needs neardup built with the `parquet` feature",
                src.display()
            ))),
        };
        let failed = done.is_err();
        outcome = Some(done);
        match failed {
            true => Err(std::io::Error::other("the rewrite failed")),
            false => Ok(()),
        }
    });
    let done = match (outcome, written) {
        (Some(Err(e)), _) => return Err(e),
        (_, Err(e)) => return Err(Error::io(target, "write", e)),
        (Some(Ok(done)), Ok(())) => done,
        (None, Ok(())) => {
            return Err(Error::io(
                target,
                "write",
                std::io::Error::other("nothing was written"),
            ))
        }
    };
    Ok(FileOutcome::Written {
        bytes_in: done.bytes_in,
        paragraphs_removed: done.removed,
        bytes_removed: done.bytes_removed,
    })
}

fn refuse_symlink(path: &Path) -> Result<()> {
    let meta = std::fs::symlink_metadata(path).map_err(|e| Error::io(path, "access", e))?;
    if meta.file_type().is_symlink() {
        return Err(Error::Refused(format!(
            "{}: is a symbolic link inside the output; refusing to write through it",
            path.display()
        )));
    }
    Ok(())
}

/// Write `bytes` to `path` atomically ([`write_atomically`]), with `permissions` when given.
fn write_file(path: &Path, bytes: &[u8], permissions: Option<std::fs::Permissions>) -> Result<()> {
    write_atomically(path, permissions, |w| w.write_all(bytes))
        .map_err(|e| Error::io(path, "write", e))
}

/// The byte ranges to delete from one file, sorted and merged.
pub(crate) fn deletion_ranges(
    file: &Path,
    bytes: &[u8],
    split: SplitMode,
    removals: &[&Removal],
) -> Result<Vec<Range<usize>>> {
    let bom = if bytes.starts_with(b"\xEF\xBB\xBF") {
        3
    } else {
        0
    };
    let mut ranges = Vec::with_capacity(removals.len());
    for r in removals {
        let (s, e) = (r.byte_start as usize, r.byte_end as usize);
        let matches =
            s <= e && e <= bytes.len() && String::from_utf8_lossy(&bytes[s..e]) == r.text.as_str();
        if !matches {
            return Err(Error::Refused(format!(
                "{}: paragraph {} (line {}) is not where the scan found it: the file changed \
                 during the run; run dedup again",
                file.display(),
                r.paragraph,
                r.line
            )));
        }
        let start = line_start(bytes, s, bom);
        let end = line_end(bytes, e);
        let range = match split {
            SplitMode::Lines => start..end,
            // The document is all of the file's text: everything after the BOM goes.
            SplitMode::Document => bom..bytes.len(),
            SplitMode::Blank => {
                // Swallow the blank lines after the block (see below for the last block).
                let mut after = end;
                while after < bytes.len() && is_blank_line(bytes, after) {
                    after = line_end(bytes, after);
                }
                start..after
            }
        };
        ranges.push(range);
    }
    ranges.sort_by_key(|r| (r.start, r.end));
    let mut merged: Vec<Range<usize>> = Vec::with_capacity(ranges.len());
    for r in ranges {
        match merged.last_mut() {
            Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
            _ => merged.push(r),
        }
    }
    // When the file's last blocks go, the blank lines before them go too, so the file does
    // not end with a separator.
    if split == SplitMode::Blank {
        if let Some(last) = merged.last_mut().filter(|r| r.end == bytes.len()) {
            while last.start > bom {
                let prev = line_start(bytes, last.start - 1, bom);
                if !is_blank_line(bytes, prev) {
                    break;
                }
                last.start = prev;
            }
        }
        if merged.len() > 1 {
            let n = merged.len();
            if merged[n - 2].end >= merged[n - 1].start {
                let end = merged[n - 1].end;
                merged[n - 2].end = end;
                merged.pop();
            }
        }
    }
    Ok(merged)
}

/// Start of the line holding byte `at` (never before the BOM).
fn line_start(bytes: &[u8], at: usize, bom: usize) -> usize {
    bytes[..at]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1)
        .max(bom)
}

/// Just past the line end (`\n`, so also `\r\n`) of the line holding byte `at`, or the end.
fn line_end(bytes: &[u8], at: usize) -> usize {
    bytes[at..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(bytes.len(), |i| at + i + 1)
}

/// Whether the line starting at `start` holds only whitespace.
fn is_blank_line(bytes: &[u8], start: usize) -> bool {
    let end = line_end(bytes, start);
    let line = &bytes[start..end];
    match std::str::from_utf8(line) {
        Ok(s) => s.trim().is_empty(),
        Err(_) => line.iter().all(u8::is_ascii_whitespace),
    }
}

pub(crate) fn apply(bytes: &[u8], ranges: &[Range<usize>]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut pos = 0;
    for r in ranges {
        out.extend_from_slice(&bytes[pos..r.start]);
        pos = r.end;
    }
    out.extend_from_slice(&bytes[pos..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn removal(text: &str, needle: &str, paragraph: u32) -> Removal {
        let s = text.find(needle).unwrap();
        Removal {
            path: "a.txt".into(),
            paragraph,
            line: 0,
            byte_start: s as u64,
            byte_end: (s + needle.len()) as u64,
            cluster: 1,
            boilerplate: false,
            kept: None,
            text: needle.into(),
        }
    }

    fn remove(text: &str, split: SplitMode, needles: &[&str]) -> String {
        let rs: Vec<Removal> = needles
            .iter()
            .enumerate()
            .map(|(i, n)| removal(text, n, i as u32))
            .collect();
        let refs: Vec<&Removal> = rs.iter().collect();
        let ranges = deletion_ranges(Path::new("a.txt"), text.as_bytes(), split, &refs).unwrap();
        String::from_utf8(apply(text.as_bytes(), &ranges)).unwrap()
    }

    #[test]
    fn sidecar_names_are_relative_to_the_corpus_as_given() {
        assert_eq!(relative_name("corpus/a/b.txt", "corpus"), "a/b.txt");
        assert_eq!(relative_name("a.txt", "."), "a.txt");
        assert_eq!(relative_name("/x.txt", "/"), "x.txt");
        assert_eq!(relative_name("corpus2/a.txt", "corpus"), "corpus2/a.txt");
    }

    #[test]
    fn lines_mode_removes_the_line_and_keeps_crlf() {
        assert_eq!(
            remove("a\r\nbb\r\nc\r\n", SplitMode::Lines, &["bb"]),
            "a\r\nc\r\n"
        );
        assert_eq!(remove("a\nbb", SplitMode::Lines, &["bb"]), "a\n");
        assert_eq!(
            remove("\u{FEFF}x\ny\n", SplitMode::Lines, &["x"]),
            "\u{FEFF}y\n"
        );
        assert_eq!(remove("  x  \ny\n", SplitMode::Lines, &["x"]), "y\n");
    }

    #[test]
    fn blank_mode_removes_the_block_and_its_separator() {
        let t = "one\ntwo\n\nthree\nfour\n\n\nfive\n";
        assert_eq!(
            remove(t, SplitMode::Blank, &["three\nfour"]),
            "one\ntwo\n\nfive\n"
        );
        assert_eq!(
            remove(t, SplitMode::Blank, &["five"]),
            "one\ntwo\n\nthree\nfour\n"
        );
        assert_eq!(
            remove(t, SplitMode::Blank, &["one\ntwo"]),
            "three\nfour\n\n\nfive\n"
        );
        let crlf = "a\r\n\r\nb\r\n\r\nc\r\n";
        assert_eq!(remove(crlf, SplitMode::Blank, &["b"]), "a\r\n\r\nc\r\n");
        assert_eq!(remove(crlf, SplitMode::Blank, &["b", "c"]), "a\r\n");
    }

    #[test]
    fn changed_file_is_refused() {
        let mut r = removal("a\nb\n", "b", 1);
        r.text = "x".into();
        let err = deletion_ranges(Path::new("a.txt"), b"a\nb\n", SplitMode::Lines, &[&r]);
        assert!(err.unwrap_err().to_string().contains("changed"));
    }
}
