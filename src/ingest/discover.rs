//! Discovery: command-line roots → the input files, sorted by display path.
//!
//! Input: paths as given (files, directories, `-`) and the filters of [`InputOptions`].
//! Output: [`InputFile`]s sorted and deduplicated by display name, and [`Skipped`] entries for
//! what a walk met but will not read. Invariants: the result depends only on the paths, the
//! filters and the file tree, never on directory order; a special file is never opened.

use std::path::{Path, PathBuf};

use super::compress::Compression;
use super::InputFormat;
use super::{
    slash_path, InputFile, InputOptions, Skipped, INPUT_EXTENSIONS, STDIN_NAME, TEXT_EXTENSIONS,
};
use crate::error::{Error, Result};

/// Find the input files under `roots`, sorted by display path, with the filters of `options`.
///
/// Files are named as given ([`slash_path`]): a directory's files by the directory as typed
/// joined with their path below it, so names from different roots cannot collide and a name
/// does not depend on the other roots of the call.
///
/// `-` stands for standard input (named [`STDIN_NAME`]). Directories are walked following
/// symbolic links; a link loop and a special file (FIFO, socket, device) inside a directory are
/// skipped with a warning, never followed or read. `--include`/`--exclude` globs and
/// `--max-file-size` apply to the files found in directories; a file named explicitly is
/// always read.
pub fn discover_with(
    roots: &[PathBuf],
    options: &InputOptions,
    skipped: &mut Vec<Skipped>,
) -> Result<Vec<InputFile>> {
    let filters = Filters {
        include: build_globs(&options.include, "--include")?,
        exclude: build_globs(&options.exclude, "--exclude")?,
        max_file_size: options.max_file_size,
    };
    let mut files = Vec::new();
    for root in roots {
        if root.as_os_str() == "-" {
            files.push(InputFile {
                path: root.clone(),
                display: STDIN_NAME.to_string(),
            });
            continue;
        }
        let Some(meta) = stat_root(root, options.keep_going, skipped)? else {
            continue;
        };
        if meta.is_dir() {
            walk(root, &filters, &mut files, skipped);
        } else {
            files.push(InputFile {
                path: root.clone(),
                display: slash_path(root),
            });
        }
    }
    if options.text_only {
        keep_text_only(&mut files, options.datasets, skipped);
    }
    files.sort_by(|a, b| a.display.cmp(&b.display));
    files.dedup_by(|a, b| a.display == b.display);
    Ok(files)
}

/// What a directory walk takes: `--include`, `--exclude`, `--max-file-size`.
struct Filters {
    include: globset::GlobSet,
    exclude: globset::GlobSet,
    max_file_size: Option<u64>,
}

/// A root's metadata; `None` when it cannot be accessed under `keep_going` (listed as a skip).
fn stat_root(
    root: &Path,
    keep_going: bool,
    skipped: &mut Vec<Skipped>,
) -> Result<Option<std::fs::Metadata>> {
    match std::fs::metadata(root) {
        Ok(m) => Ok(Some(m)),
        Err(e) if keep_going => {
            skipped.push(Skipped {
                path: slash_path(root),
                reason: format!("cannot access: {e}"),
                error: true,
            });
            Ok(None)
        }
        Err(e) => match dangling_link(root) {
            Some(target) => Err(Error::BadInput {
                path: root.to_path_buf(),
                line: None,
                message: format!(
                    "broken symbolic link to {} (no such file)",
                    target.display()
                ),
            }),
            None => Err(Error::io(root, "access", e)),
        },
    }
}

/// Walk the directory `root` in file-name order, following links: the files the filters take
/// into `files`, what the walk meets but will not read into `skipped`.
fn walk(root: &Path, filters: &Filters, files: &mut Vec<InputFile>, skipped: &mut Vec<Skipped>) {
    let walk = walkdir::WalkDir::new(root)
        .follow_links(true)
        .sort_by_file_name()
        .into_iter()
        // An excluded directory is not descended into.
        .filter_entry(|e| {
            e.depth() == 0
                || !e.file_type().is_dir()
                || !matches_globs(
                    &filters.exclude,
                    e.path().strip_prefix(root).unwrap_or(e.path()),
                )
        });
    for entry in walk {
        let entry = match entry {
            Ok(entry) => entry,
            Err(e) => {
                skipped.push(walk_error(root, &e));
                continue;
            }
        };
        let rel = entry.path().strip_prefix(root).unwrap_or(entry.path());
        let file_type = entry.file_type();
        if file_type.is_dir() {
            continue;
        }
        let wanted = if filters.include.is_empty() {
            has_input_extension(entry.path())
        } else {
            matches_globs(&filters.include, rel)
        };
        if !wanted || matches_globs(&filters.exclude, rel) {
            continue;
        }
        if !file_type.is_file() {
            // Reading a FIFO would block and a device may never end.
            skipped.push(special_file(&entry));
            continue;
        }
        if let Some(max) = filters.max_file_size {
            let len = entry.metadata().map(|m| m.len()).unwrap_or(0);
            if len > max {
                skipped.push(Skipped {
                    path: slash_path(entry.path()),
                    reason: format!("{len} bytes, over --max-file-size {max}"),
                    error: false,
                });
                continue;
            }
        }
        // The naming rule (see the module header of `ingest`): the root as given joined
        // with the path below it; the walk's path is exactly that.
        files.push(InputFile {
            path: entry.path().to_path_buf(),
            display: slash_path(entry.path()),
        });
    }
}

/// The skip for an entry the walk could not take: a link loop, a broken link, an unreadable
/// entry.
fn walk_error(root: &Path, e: &walkdir::Error) -> Skipped {
    let path = e.path().unwrap_or(root).to_path_buf();
    if let Some(target) = e.loop_ancestor() {
        // Following it would walk forever; by design, not an error.
        return Skipped {
            path: slash_path(&path),
            reason: format!("symbolic link loop (points back to {})", slash_path(target)),
            error: false,
        };
    }
    // A stale link or an entry we may not read loses nothing else: warn, list it, go on (as
    // ripgrep does). A dangling link is no error: there is no file.
    let (reason, error) = match dangling_link(&path) {
        Some(target) => (
            format!(
                "broken symbolic link to {} (no such file)",
                slash_path(&target)
            ),
            false,
        ),
        None => (
            format!(
                "cannot read: {}",
                e.io_error()
                    .map_or_else(|| e.to_string(), |io| io.to_string())
            ),
            true,
        ),
    };
    Skipped {
        path: slash_path(&path),
        reason,
        error,
    }
}

/// The skip for a FIFO, socket or device met in a walk (never opened).
fn special_file(entry: &walkdir::DirEntry) -> Skipped {
    let reason = match entry
        .path_is_symlink()
        .then(|| std::fs::read_link(entry.path()).ok())
        .flatten()
    {
        Some(target) => format!(
            "symbolic link to {}, not a regular file (FIFO, socket or device)",
            slash_path(&target)
        ),
        None => "not a regular file (FIFO, socket or device)".into(),
    };
    Skipped {
        path: slash_path(entry.path()),
        reason,
        error: false,
    }
}

/// Keep plain-text files (and, with `datasets`, JSONL and Parquet datasets); list the others
/// as skips, for commands that re-read files by byte span.
fn keep_text_only(files: &mut Vec<InputFile>, datasets: bool, skipped: &mut Vec<Skipped>) {
    files.retain(|f| {
        let is_dataset = f.path.file_name().is_some_and(|n| {
            let (format, compression) = InputFormat::from_name(&n.to_string_lossy());
            format == InputFormat::Jsonl
                || (cfg!(feature = "parquet")
                    && format == InputFormat::Parquet
                    && compression == Compression::None)
        });
        let plain =
            f.display != STDIN_NAME && (has_text_extension(&f.path) || (datasets && is_dataset));
        if !plain {
            let reason = if is_dataset {
                // The index (the only text-only reader without `datasets`) keeps byte spans
                // into source files, which a record of a dataset does not have.
                "a JSONL or Parquet dataset: the index re-reads its sources by byte span and \
                 cannot yet re-read one record of a dataset; scan and dedup read datasets \
                 (neardup scan FILE --split document)"
            } else {
                "not a .txt or .md file: this command re-reads files by byte span, so it takes \
                 plain text only (scan reads every format)"
            };
            skipped.push(Skipped {
                path: f.display.clone(),
                reason: reason.into(),
                error: false,
            });
        }
        plain
    });
}

/// The target of `path` when it is a symbolic link whose target does not exist.
fn dangling_link(path: &Path) -> Option<PathBuf> {
    let link = std::fs::symlink_metadata(path).ok()?;
    if !link.file_type().is_symlink() || std::fs::metadata(path).is_ok() {
        return None;
    }
    std::fs::read_link(path).ok()
}

/// Whether a file is plain text by its extension (`.txt`, `.md`, any case).
fn has_text_extension(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| TEXT_EXTENSIONS.iter().any(|t| e.eq_ignore_ascii_case(t)))
}

/// Whether a directory walk takes this file by default: a known extension, optionally
/// followed by `.gz`, `.zst` or `.zstd`.
fn has_input_extension(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    let (compression, inner) = Compression::from_name(&name);
    let ext = Path::new(inner).extension().and_then(|e| e.to_str());
    // Parquet compresses its own pages: a walk takes `.parquet` files, not `.parquet.gz`.
    #[cfg(feature = "parquet")]
    if compression == Compression::None
        && ext.is_some_and(|e| e.eq_ignore_ascii_case(super::parquet::EXTENSION))
    {
        return true;
    }
    let _ = compression;
    ext.is_some_and(|e| INPUT_EXTENSIONS.iter().any(|t| e.eq_ignore_ascii_case(t)))
}

fn build_globs(globs: &[String], flag: &str) -> Result<globset::GlobSet> {
    let mut set = globset::GlobSetBuilder::new();
    for g in globs {
        let glob = globset::GlobBuilder::new(g)
            .literal_separator(true)
            .build()
            .map_err(|e| Error::InvalidParameter(format!("{flag} {g:?}: {e}")))?;
        set.add(glob);
    }
    set.build()
        .map_err(|e| Error::InvalidParameter(format!("{flag}: {e}")))
}

/// A glob matches a file when it matches its path relative to the walked directory, or, for a
/// glob without `/`, its name (as in `.gitignore`: `*.html` matches at any depth).
fn matches_globs(set: &globset::GlobSet, rel: &Path) -> bool {
    if set.is_empty() {
        return false;
    }
    set.is_match(rel) || rel.file_name().is_some_and(|n| set.is_match(Path::new(n)))
}
