//! The writer lock: one writer per index at a time; readers take no lock.
//!
//! Input: an index directory. Output: a [`WriterLock`] held until dropped. Invariant: while a
//! `WriterLock` exists no other process (or other `WriterLock` in this one) can take it; the
//! operating system releases it when the process dies, so a killed writer never leaves a
//! stale lock behind (the `.lock` file itself stays and is harmless).

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Name of the lock file inside the index directory.
pub const LOCK_FILE: &str = ".lock";

/// An exclusive lock on an index's `.lock` file.
#[derive(Debug)]
pub struct WriterLock {
    _file: File,
    path: PathBuf,
}

impl WriterLock {
    /// Take the writer lock of the index at `dir`, or fail at once with
    /// [`Error::IndexLocked`].
    pub fn acquire(dir: &Path) -> Result<WriterLock> {
        let path = dir.join(LOCK_FILE);
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| Error::io(&path, "open index lock", e))?;
        match file.try_lock() {
            Ok(()) => Ok(WriterLock { _file: file, path }),
            Err(TryLockError::WouldBlock) => Err(Error::IndexLocked {
                path: dir.to_path_buf(),
            }),
            Err(TryLockError::Error(e)) => Err(Error::io(&path, "lock index", e)),
        }
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}
