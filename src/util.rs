//! Infrastructure with no knowledge of the pipeline: a leaf every module may use.
//!
//! Input/output: [`UnionFind`] takes unions over `0..n` and gives sorted components;
//! [`write_atomically`] takes a path and the bytes a closure writes. Invariants: components do
//! not depend on the order of unions; a file written by `write_atomically` is seen by readers
//! (and after a crash) either as it was or complete, never partial: temporary file in the same
//! directory → fsync → rename → fsync of the directory.

use std::fs::{File, Permissions};
use std::io::{self, BufWriter, Write};
use std::path::Path;

/// Disjoint sets over `0..n` with path halving and union by size.
#[derive(Clone, Debug)]
pub struct UnionFind {
    parent: Vec<u32>,
    size: Vec<u32>,
}

impl UnionFind {
    /// `n` singleton sets.
    pub fn new(n: usize) -> Self {
        UnionFind {
            parent: (0..n as u32).collect(),
            size: vec![1; n],
        }
    }

    /// Representative of `x`'s set.
    pub fn find(&mut self, mut x: u32) -> u32 {
        while self.parent[x as usize] != x {
            let grandparent = self.parent[self.parent[x as usize] as usize];
            self.parent[x as usize] = grandparent;
            x = grandparent;
        }
        x
    }

    /// Merge the sets of `a` and `b`; false when they were already one set.
    pub fn union(&mut self, a: u32, b: u32) -> bool {
        let (mut ra, mut rb) = (self.find(a), self.find(b));
        if ra == rb {
            return false;
        }
        if self.size[ra as usize] < self.size[rb as usize] {
            std::mem::swap(&mut ra, &mut rb);
        }
        self.parent[rb as usize] = ra;
        self.size[ra as usize] += self.size[rb as usize];
        true
    }

    /// All sets with at least `min_size` members, each sorted ascending, ordered by their
    /// smallest member.
    pub fn components(&mut self, min_size: usize) -> Vec<Vec<u32>> {
        self.components_where(|_, size| size >= min_size as u32)
    }

    /// The sets whose smallest member and size `keep` accepts, as [`UnionFind::components`]
    /// orders them. Lets a caller keep a few singletons without one allocation per element.
    pub fn components_where(&mut self, keep: impl Fn(u32, u32) -> bool) -> Vec<Vec<u32>> {
        const UNSEEN: u32 = u32::MAX;
        const DROPPED: u32 = u32::MAX - 1;
        let n = self.parent.len();
        let mut slot: Vec<u32> = vec![UNSEEN; n];
        let mut out: Vec<Vec<u32>> = Vec::new();
        // Ascending x: each component is decided and created at its smallest member and filled
        // in order.
        for x in 0..n as u32 {
            let root = self.find(x) as usize;
            if slot[root] == UNSEEN {
                if keep(x, self.size[root]) {
                    slot[root] = out.len() as u32;
                    out.push(Vec::new());
                } else {
                    slot[root] = DROPPED;
                }
            }
            if slot[root] != DROPPED {
                out[slot[root] as usize].push(x);
            }
        }
        out
    }
}

/// Prefix of the temporary files [`write_atomically`] creates beside its target (suffix
/// `.tmp`), so that a cleaner can recognise what a crash left behind.
pub(crate) const TEMP_PREFIX: &str = ".neardup-";

/// Buffer of file output: reports run to tens of megabytes, and one `write` per 8 KiB (the
/// default) made writing a 51 MB report ~15% slower.
const OUTPUT_BUFFER: usize = 1 << 20;

/// Write what `fill` produces to `path` so that readers see either the old file or the
/// complete new one, also after a crash: a temporary file in the same directory, fsync, rename
/// over `path`, fsync of the directory. The file gets `permissions` when given, else those of
/// the file it replaces, else 0644 (a temporary file is created private).
///
/// Only a regular file (or a new one) is replaced by renaming: `/dev/null`, `/dev/stdout` or a
/// named pipe is written in place, since renaming over a device or pipe would replace it with
/// a regular file (as root, that breaks `/dev/null` for the whole machine).
pub fn write_atomically(
    path: &Path,
    permissions: Option<Permissions>,
    fill: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<()> {
    let existing = std::fs::metadata(path).ok();
    if let Some(meta) = &existing {
        if !meta.file_type().is_file() {
            let file = std::fs::OpenOptions::new().write(true).open(path)?;
            let mut w = BufWriter::with_capacity(OUTPUT_BUFFER, file);
            fill(&mut w)?;
            return w.flush();
        }
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(TEMP_PREFIX)
        .suffix(".tmp")
        .tempfile_in(dir)?;
    {
        let mut w = BufWriter::with_capacity(OUTPUT_BUFFER, tmp.as_file_mut());
        fill(&mut w)?;
        w.flush()?;
    }
    let permissions = permissions.or_else(|| existing.map(|m| m.permissions()));
    #[cfg(unix)]
    let permissions = permissions.or_else(|| {
        use std::os::unix::fs::PermissionsExt;
        Some(Permissions::from_mode(0o644))
    });
    if let Some(p) = permissions {
        tmp.as_file().set_permissions(p)?;
    }
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    sync_dir(dir)
}

/// fsync a directory, so that renames and new files in it are durable. A no-op where
/// directories cannot be opened as files (Windows).
pub(crate) fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        File::open(dir)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeSet;

    /// Components by breadth-first search over an adjacency list: the reference.
    fn bfs_components(n: usize, edges: &[(u32, u32)]) -> BTreeSet<Vec<u32>> {
        let mut adj = vec![Vec::new(); n];
        for &(a, b) in edges {
            adj[a as usize].push(b);
            adj[b as usize].push(a);
        }
        let mut seen = vec![false; n];
        let mut out = BTreeSet::new();
        for s in 0..n {
            if seen[s] {
                continue;
            }
            let mut comp = vec![s as u32];
            seen[s] = true;
            let mut queue = std::collections::VecDeque::from([s]);
            while let Some(x) = queue.pop_front() {
                for &y in &adj[x] {
                    if !seen[y as usize] {
                        seen[y as usize] = true;
                        comp.push(y);
                        queue.push_back(y as usize);
                    }
                }
            }
            comp.sort_unstable();
            out.insert(comp);
        }
        out
    }

    proptest! {
        #[test]
        fn union_find_equals_bfs_components(
            n in 1usize..60,
            raw in proptest::collection::vec((0u32..60, 0u32..60), 0..120),
        ) {
            let edges: Vec<(u32, u32)> = raw.into_iter()
                .map(|(a, b)| (a % n as u32, b % n as u32)).collect();
            let mut uf = UnionFind::new(n);
            for &(a, b) in &edges {
                uf.union(a, b);
            }
            let comps = uf.components(1);
            // Ordered by smallest member, each sorted.
            prop_assert!(comps.windows(2).all(|w| w[0][0] < w[1][0]));
            let got: BTreeSet<Vec<u32>> = comps.into_iter().collect();
            prop_assert_eq!(got, bfs_components(n, &edges));
        }

        /// `components_where` keeps exactly the components that filtering all of them would.
        #[test]
        fn components_where_equals_filtering_all(
            n in 1usize..60,
            raw in proptest::collection::vec((0u32..60, 0u32..60), 0..80),
            modulus in 1u32..5,
        ) {
            let mut uf = UnionFind::new(n);
            for &(a, b) in &raw {
                uf.union(a % n as u32, b % n as u32);
            }
            let keep = |first: u32, size: u32| size > 2 || first.is_multiple_of(modulus);
            let expected: Vec<Vec<u32>> = uf
                .components(1)
                .into_iter()
                .filter(|c| keep(c[0], c.len() as u32))
                .collect();
            prop_assert_eq!(uf.components_where(keep), expected);
        }

        #[test]
        fn union_order_does_not_matter(
            raw in proptest::collection::vec((0u32..30, 0u32..30), 0..60),
        ) {
            let mut a = UnionFind::new(30);
            let mut b = UnionFind::new(30);
            for &(x, y) in &raw { a.union(x, y); }
            for &(x, y) in raw.iter().rev() { b.union(y, x); }
            prop_assert_eq!(a.components(2), b.components(2));
        }
    }

    #[test]
    fn a_failed_write_leaves_the_old_file_and_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.json");
        write_atomically(&path, None, |w| w.write_all(b"old")).unwrap();
        let err = write_atomically(&path, None, |w| {
            w.write_all(b"new, half written")?;
            Err(io::Error::other("disk full"))
        })
        .unwrap_err();
        assert_eq!(err.to_string(), "disk full");
        assert_eq!(std::fs::read(&path).unwrap(), b"old");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("report.json")]);
        write_atomically(&path, None, |w| w.write_all(b"new")).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"new");
    }

    #[cfg(unix)]
    #[test]
    fn permissions_are_kept_or_given_or_0644() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a");
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        write_atomically(&path, None, |w| w.write_all(b"1")).unwrap();
        assert_eq!(mode(&path), 0o644);
        std::fs::set_permissions(&path, Permissions::from_mode(0o600)).unwrap();
        write_atomically(&path, None, |w| w.write_all(b"2")).unwrap();
        assert_eq!(mode(&path), 0o600);
        write_atomically(&path, Some(Permissions::from_mode(0o640)), |w| {
            w.write_all(b"3")
        })
        .unwrap();
        assert_eq!(mode(&path), 0o640);
    }
}
