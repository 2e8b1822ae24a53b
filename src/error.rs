//! The library's one error type.
//!
//! Every variant that concerns a file names it, and every message says what the user can do
//! about it: the CLI prints these messages as they are.

use std::io;
use std::path::PathBuf;

/// Everything that can go wrong in neardup.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Reading or writing a file or directory failed.
    #[error("{}: cannot {action}: {source}", path.display())]
    Io {
        /// The file or directory concerned.
        path: PathBuf,
        /// What neardup was doing, e.g. "read file".
        action: &'static str,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// An input file is not valid UTF-8.
    #[error(
        "{}: invalid UTF-8 at byte offset {offset} (convert the file to UTF-8, or pass --lossy \
         to replace invalid bytes with U+FFFD and go on)",
        path.display()
    )]
    InvalidUtf8 {
        /// The file concerned.
        path: PathBuf,
        /// Byte offset of the first invalid sequence.
        offset: usize,
    },
    /// An input's content is malformed: a JSONL line that is not JSON or lacks the text field, a
    /// WARC record without a length, an input format this build cannot read.
    #[error("{}{}: {message}", path.display(), line.map(|l| format!(":{l}")).unwrap_or_default())]
    BadInput {
        /// The file concerned (`<stdin>` for standard input).
        path: PathBuf,
        /// 1-based line of the bad record, when the format has lines.
        line: Option<u64>,
        /// What is wrong and what to do about it.
        message: String,
    },
    /// A parameter is out of range or parameters contradict each other.
    #[error("invalid parameter: {0}")]
    InvalidParameter(String),
    /// An operation was refused because it could overwrite or lose data (for example a
    /// `dedup` output inside its input); the message says what to do instead.
    #[error("{0}")]
    Refused(String),
    /// An index file is damaged, truncated, of another format version, or inconsistent with
    /// the manifest. Nothing is read from it; restore the index from a backup or rebuild it
    /// with `neardup index build`.
    #[error("{}: {section}: {problem}", path.display())]
    IndexCorrupt {
        /// The file concerned.
        path: PathBuf,
        /// The part of the file, e.g. "header" or "section signatures".
        section: String,
        /// What is wrong.
        problem: String,
    },
    /// Another process holds the index's writer lock.
    #[error(
        "{}: index is locked by another writer (wait for it to finish; readers need no lock)",
        path.display()
    )]
    IndexLocked {
        /// The index directory.
        path: PathBuf,
    },
    /// The caller stopped an operation (a Python `KeyboardInterrupt`, a callback's error)
    /// before it committed anything: an index stays at its last commit.
    #[error("interrupted before anything was committed (an index stays at its last commit)")]
    Interrupted,
    /// The parameters given differ from those the index was built with, or the index cannot
    /// be used as asked.
    #[error("{}: {message}", path.display())]
    IndexUsage {
        /// The index directory.
        path: PathBuf,
        /// What is wrong and what to do.
        message: String,
    },
    /// A bug: neardup panicked while processing one document or stage. The panic was caught
    /// at the document boundary, so the rest of the run is unaffected; under `--keep-going` the
    /// document is skipped instead.
    #[error(
        "{what}: internal error while processing it: {message} (a bug in neardup: please \
         report it with this input; --keep-going skips it)"
    )]
    Internal {
        /// The document, file or stage concerned.
        what: String,
        /// The panic's message.
        message: String,
    },
}

/// Result alias used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// The message without the path, for a skip that names the path already.
    pub(crate) fn reason(&self) -> String {
        match self {
            Error::Io { action, source, .. } => format!("cannot {action}: {source}"),
            Error::InvalidUtf8 { offset, .. } => {
                format!("invalid UTF-8 at byte offset {offset} (--lossy replaces it)")
            }
            Error::BadInput {
                line: Some(line),
                message,
                ..
            } => format!("line {line}: {message}"),
            Error::BadInput { message, .. } => message.clone(),
            Error::InvalidParameter(m) | Error::Refused(m) => m.clone(),
            Error::Internal { message, .. } => {
                format!("internal error while processing it (a bug in neardup): {message}")
            }
            other => other.to_string(),
        }
    }

    /// Run `f`, turning a panic inside it into [`Error::Internal`] naming `what`: the boundary
    /// around one document, so a bug on one input cannot abort a run (or the Python process
    /// that called the library).
    pub(crate) fn catch_panic<T>(what: &str, f: impl FnOnce() -> Result<T>) -> Result<T> {
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
            Ok(result) => result,
            Err(payload) => Err(Error::Internal {
                what: what.to_string(),
                message: panic_message(payload.as_ref()),
            }),
        }
    }

    /// An [`Error::Io`]: `action` (e.g. "read file") on `path` failed with `source`.
    pub fn io(path: impl Into<PathBuf>, action: &'static str, source: io::Error) -> Self {
        Error::Io {
            path: path.into(),
            action,
            source,
        }
    }
}

/// The text a panic carried (`panic!("…")` gives a `&str` or a `String`): what a panic hook
/// prints, as [`Error::Internal`] does.
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "panic with no message".to_string()
    }
}

/// Test hook, compiled only with debug assertions (so `cargo test` binaries have it and
/// release builds do not): when the environment variable `NEARDUP_INJECT_PANIC` equals `name`,
/// panic, as a bug processing that document would. Tests use it to check that a panic becomes
/// an error naming the document, never an abort.
#[cfg(debug_assertions)]
pub(crate) fn injected_panic(name: &str) {
    if std::env::var_os("NEARDUP_INJECT_PANIC").is_some_and(|v| v == name) {
        panic!("injected panic for {name} (NEARDUP_INJECT_PANIC)");
    }
}

/// Release builds: no hook.
#[cfg(not(debug_assertions))]
#[inline(always)]
pub(crate) fn injected_panic(_name: &str) {}
