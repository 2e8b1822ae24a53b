//! `neardup._core`: the native module under the `neardup` Python package.
//!
//! Input: Python objects (texts, paths, option dicts, signature arrays). Output: Python objects
//! (reports, JSON strings, numpy arrays) and `neardup._errors` exceptions. Invariants:
//! - thin: argument checks and conversions only; every library call is in [`engine`];
//! - every heavy call releases the GIL and runs in a rayon pool of the asked size, built once
//!   per size and cached (the global pool is never configured);
//! - a Rust panic never unwinds into Python: it becomes `neardup.InternalError`;
//! - an index add stopped by Ctrl-C or a raising progress callback commits nothing.

use std::collections::HashMap;
use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use numpy::ndarray::Array2;
use numpy::{IntoPyArray, PyArray2, PyReadonlyArray2};
use pyo3::conversion::FromPyObjectOwned;
use pyo3::exceptions::{PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};

mod arrow;
mod engine;

use engine::ScanOptions;

// ---------------------------------------------------------------------------------------
// Errors, threads, panics

/// The Python exception of a library error: a class of `neardup._errors`, with `path` (and
/// for I/O `filename` and `errno`) set.
pub(crate) fn py_err(py: Python<'_>, e: &neardup::Error) -> PyErr {
    let parts = engine::error_parts(e);
    let made = (|| -> PyResult<PyErr> {
        let class = py.import("neardup._errors")?.getattr(parts.class)?;
        let obj = class.call1((parts.message.clone(),))?;
        obj.setattr("path", parts.path.clone())?;
        if parts.class == "NeardupOSError" {
            obj.setattr("filename", parts.path.clone())?;
            obj.setattr("errno", parts.errno)?;
        }
        Ok(PyErr::from_value(obj))
    })();
    made.unwrap_or_else(|err| err)
}

/// `neardup.InternalError` for a caught panic.
pub(crate) fn panic_err(py: Python<'_>, payload: Box<dyn std::any::Any + Send>) -> PyErr {
    let what = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into());
    let message = format!(
        "internal error (a bug in neardup; please report it with the input that caused it): {what}"
    );
    match py
        .import("neardup._errors")
        .and_then(|m| m.getattr("InternalError"))
        .and_then(|c| c.call1((message,)))
    {
        Ok(obj) => PyErr::from_value(obj),
        Err(err) => err,
    }
}

/// The pool of `threads` workers (0: one per core), built on first use and kept.
fn pool(threads: usize) -> PyResult<Arc<rayon::ThreadPool>> {
    static POOLS: OnceLock<Mutex<HashMap<usize, Arc<rayon::ThreadPool>>>> = OnceLock::new();
    let n = if threads == 0 {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        threads
    };
    let mut pools = POOLS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if let Some(p) = pools.get(&n) {
        return Ok(p.clone());
    }
    let p = rayon::ThreadPoolBuilder::new()
        .num_threads(n)
        .thread_name(|i| format!("neardup-{i}"))
        .build()
        .map_err(|e| PyValueError::new_err(format!("threads: cannot start {n} threads: {e}")))?;
    let p = Arc::new(p);
    pools.insert(n, p.clone());
    Ok(p)
}

/// Run `f` without the GIL in the pool of `threads`; library errors and panics become Python
/// exceptions.
fn heavy<T: Send>(
    py: Python<'_>,
    threads: usize,
    f: impl FnOnce() -> Result<T, neardup::Error> + Send,
) -> PyResult<T> {
    let pool = pool(threads)?;
    let out = py.detach(|| std::panic::catch_unwind(AssertUnwindSafe(|| pool.install(f))));
    match out {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(py_err(py, &e)),
        Err(payload) => Err(panic_err(py, payload)),
    }
}

// ---------------------------------------------------------------------------------------
// Arguments

/// The name of an object's type, for error messages.
fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_default()
}

/// A list of `str` from any iterable; `name` names the parameter in errors.
fn strings(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<Vec<String>> {
    if obj.is_none() {
        return Err(PyTypeError::new_err(format!(
            "{name} must be an iterable of str, not None"
        )));
    }
    if obj.is_instance_of::<PyString>() {
        return Err(PyTypeError::new_err(format!(
            "{name} must be an iterable of str, not a single str (wrap it in a list)"
        )));
    }
    if obj.hasattr("__arrow_c_array__")? {
        return arrow::import_strings(obj, name);
    }
    let iter = obj.try_iter().map_err(|_| {
        let t = type_name(obj);
        PyTypeError::new_err(format!("{name} must be an iterable of str, not {t}"))
    })?;
    let mut out = Vec::with_capacity(obj.len().unwrap_or(0));
    for (i, item) in iter.enumerate() {
        let item = item?;
        let s = item.cast::<PyString>().map_err(|_| {
            let t = type_name(&item);
            PyTypeError::new_err(format!("{name}[{i}] must be str, not {t}"))
        })?;
        out.push(s.to_str()?.to_owned());
    }
    Ok(out)
}

fn paths(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<Vec<PathBuf>> {
    if obj.is_none() {
        return Err(PyTypeError::new_err(format!(
            "{name} must be a path or a list of paths, not None"
        )));
    }
    // One path (str or os.PathLike) or an iterable of them.
    if obj.is_instance_of::<PyString>() || obj.hasattr("__fspath__")? {
        return Ok(vec![obj.extract::<PathBuf>()?]);
    }
    let mut out = Vec::new();
    for (i, item) in obj.try_iter()?.enumerate() {
        let item = item?;
        out.push(item.extract::<PathBuf>().map_err(|_| {
            PyTypeError::new_err(format!("{name}[{i}] must be a str or os.PathLike path"))
        })?);
    }
    if out.is_empty() {
        return Err(PyValueError::new_err(format!(
            "{name} is empty: give at least one file or directory"
        )));
    }
    Ok(out)
}

fn get<'py, T: FromPyObjectOwned<'py>>(d: &Bound<'py, PyDict>, key: &str) -> PyResult<T> {
    let item = d
        .get_item(key)?
        .ok_or_else(|| PyTypeError::new_err(format!("missing option {key}")))?;
    item.extract::<T>().map_err(|e| {
        let e: PyErr = e.into();
        PyTypeError::new_err(format!("{key}: {}", e.value(d.py())))
    })
}

pub(crate) fn options(d: &Bound<'_, PyDict>) -> PyResult<ScanOptions> {
    Ok(ScanOptions {
        threshold: get(d, "threshold")?,
        num_perm: get(d, "num_perm")?,
        bands: get(d, "bands")?,
        rows: get(d, "rows")?,
        shingle: get(d, "shingle")?,
        split: get(d, "split")?,
        min_words: get(d, "min_words")?,
        verify: get(d, "verify")?,
        seed: get(d, "seed")?,
        hash: get(d, "hash")?,
        passages: get(d, "passages")?,
        min_passage_words: get(d, "min_passage_words")?,
        text_field: get(d, "text_field")?,
        id_field: get(d, "id_field")?,
        include: get(d, "include")?,
        exclude: get(d, "exclude")?,
        max_file_size: get(d, "max_file_size")?,
        lossy: get(d, "lossy")?,
        keep_going: get(d, "keep_going")?,
        boilerplate_min_docs: get(d, "boilerplate_min_docs")?,
    })
}

// ---------------------------------------------------------------------------------------
// Scans and reports

/// A scan's result (wrapped by `neardup.Report`).
#[pyclass(frozen, module = "neardup._core")]
struct Report {
    inner: neardup::Report,
}

#[pymethods]
impl Report {
    /// The report in one of the CLI's `--format`s.
    fn format(&self, py: Python<'_>, format: &str) -> PyResult<String> {
        // A large report takes a noticeable time to write: without the GIL.
        let bytes = py
            .detach(|| engine::format_report(&self.inner, format))
            .map_err(|e| py_err(py, &e))?;
        String::from_utf8(bytes).map_err(|e| PyValueError::new_err(e.to_string()))
    }

    /// `stats`, `params`, `skipped` or `passages` as JSON.
    fn part(&self, py: Python<'_>, name: &str) -> PyResult<String> {
        engine::report_part(&self.inner, name).map_err(|e| py_err(py, &e))
    }

    /// Clusters as tuples: (id, kind, scope, boilerplate, members, links).
    fn clusters(&self) -> Vec<engine::ClusterRow> {
        engine::clusters(&self.inner)
    }
}

#[pyfunction]
fn scan(
    py: Python<'_>,
    paths_: &Bound<'_, PyAny>,
    options_: &Bound<'_, PyDict>,
    threads: usize,
) -> PyResult<Report> {
    let paths = paths(paths_, "paths")?;
    let o = options(options_)?;
    let inner = heavy(py, threads, || engine::scan_paths(&o, &paths))?;
    Ok(Report { inner })
}

#[pyfunction]
fn scan_texts(
    py: Python<'_>,
    texts: &Bound<'_, PyAny>,
    ids: &Bound<'_, PyAny>,
    options_: &Bound<'_, PyDict>,
    threads: usize,
) -> PyResult<Report> {
    let texts = strings(texts, "texts")?;
    let ids = if ids.is_none() {
        (0..texts.len()).map(|i| i.to_string()).collect()
    } else {
        strings(ids, "ids")?
    };
    if ids.len() != texts.len() {
        return Err(PyValueError::new_err(format!(
            "ids has {} items but texts has {}: give one id per text",
            ids.len(),
            texts.len()
        )));
    }
    let o = options(options_)?;
    let inner = heavy(py, threads, || engine::scan_texts(&o, ids, texts))?;
    Ok(Report { inner })
}

/// The scan's report from a distributed scan's collected rows: `documents`, `members` and
/// `links` record batches (`neardup::kernels::assemble`), the counts `(paragraphs,
/// compared_paragraphs, candidate_pairs, capped_buckets)` and skips `(path, reason, error)`.
#[pyfunction]
fn assemble_report(
    py: Python<'_>,
    options_: &Bound<'_, PyDict>,
    documents: &Bound<'_, PyAny>,
    members: &Bound<'_, PyAny>,
    links: &Bound<'_, PyAny>,
    counts: (usize, usize, usize, usize),
    skipped: Vec<(String, String, bool)>,
) -> PyResult<Report> {
    let o = options(options_)?;
    let documents = arrow::import_batch(documents, "documents")?;
    let members = arrow::import_batch(members, "members")?;
    let links = arrow::import_batch(links, "links")?;
    let counts = neardup::scan::Counts {
        paragraphs: counts.0,
        compared_paragraphs: counts.1,
        candidate_pairs: counts.2,
        capped_buckets: counts.3,
    };
    let skipped = skipped
        .into_iter()
        .map(|(path, reason, error)| neardup::ingest::Skipped {
            path,
            reason,
            error,
        })
        .collect();
    let inner = heavy(py, 1, || {
        engine::assemble(&o, &documents, &members, &links, counts, skipped)
    })?;
    Ok(Report { inner })
}

/// Skips as (path, reason, error) rows, as `Report.skipped` gives them.
type SkipRows = Vec<(String, String, bool)>;

/// The documents `neardup scan PATHS` reads (names as it gives them) and its skips.
#[pyfunction]
fn load_documents(
    py: Python<'_>,
    paths_: &Bound<'_, PyAny>,
    options_: &Bound<'_, PyDict>,
) -> PyResult<(engine::NamedTexts, SkipRows)> {
    let paths = paths(paths_, "paths")?;
    let o = options(options_)?;
    let (docs, skipped) = heavy(py, 0, || engine::load_documents(&o, &paths))?;
    let skipped = skipped
        .into_iter()
        .map(|s| (s.path, s.reason, s.error))
        .collect();
    Ok((docs, skipped))
}

#[pyfunction]
fn normalize(py: Python<'_>, text: &Bound<'_, PyAny>) -> PyResult<String> {
    let s = text.cast::<PyString>().map_err(|_| {
        let t = type_name(text);
        PyTypeError::new_err(format!("text must be str, not {t}"))
    })?;
    let s = s.to_str()?.to_owned();
    Ok(py.detach(|| engine::normalize(&s)))
}

#[pyfunction]
fn defaults() -> Vec<(&'static str, String)> {
    engine::defaults()
}

// ---------------------------------------------------------------------------------------
// Signatures and LSH

#[pyclass(frozen, module = "neardup._core")]
struct MinHasher {
    sketcher: engine::Sketcher,
}

#[pymethods]
impl MinHasher {
    #[new]
    fn new(
        py: Python<'_>,
        num_perm: usize,
        seed: u64,
        shingle: usize,
        hash: &str,
    ) -> PyResult<Self> {
        let sketcher =
            engine::Sketcher::new(num_perm, seed, shingle, hash).map_err(|e| py_err(py, &e))?;
        Ok(MinHasher { sketcher })
    }

    #[getter]
    fn num_perm(&self) -> usize {
        self.sketcher.num_perm()
    }

    /// Signatures of `texts` as a (n, num_perm) uint32 array, moved into numpy without a copy.
    fn signatures<'py>(
        &self,
        py: Python<'py>,
        texts: &Bound<'py, PyAny>,
        threads: usize,
    ) -> PyResult<Bound<'py, PyArray2<u32>>> {
        let texts = strings(texts, "texts")?;
        let n = texts.len();
        let k = self.sketcher.num_perm();
        let flat = heavy(py, threads, || Ok(self.sketcher.signatures(&texts)))?;
        let array = Array2::from_shape_vec((n, k), flat)
            .map_err(|e| PyValueError::new_err(e.to_string()))?;
        Ok(array.into_pyarray(py))
    }
}

/// The banding for a threshold, or the one given: (bands, rows).
#[pyfunction]
#[pyo3(signature = (threshold, num_perm, bands=None, rows=None))]
fn lsh_params(
    py: Python<'_>,
    threshold: f64,
    num_perm: usize,
    bands: Option<usize>,
    rows: Option<usize>,
) -> PyResult<(usize, usize)> {
    engine::lsh_params(threshold, num_perm, bands, rows).map_err(|e| py_err(py, &e))
}

/// Band keys of a (n, num_perm) uint32 array: a (n, bands) uint64 array.
#[pyfunction]
fn band_keys<'py>(
    py: Python<'py>,
    signatures: PyReadonlyArray2<'py, u32>,
    bands: usize,
    rows: usize,
) -> PyResult<Bound<'py, PyArray2<u64>>> {
    let view = signatures.as_array();
    let (n, k) = view.dim();
    if bands * rows > k {
        return Err(PyValueError::new_err(format!(
            "signature has {k} values but bands × rows = {}",
            bands * rows
        )));
    }
    let flat: Vec<u32> = match signatures.as_slice() {
        Ok(s) => s.to_vec(),
        Err(_) => view.iter().copied().collect(),
    };
    let keys = py.detach(|| engine::band_keys(&flat, k, bands, rows));
    let array = Array2::from_shape_vec((n, bands), keys)
        .map_err(|e| PyValueError::new_err(e.to_string()))?;
    Ok(array.into_pyarray(py))
}

// ---------------------------------------------------------------------------------------
// Index

#[pyclass(frozen, module = "neardup._core")]
struct Index {
    inner: neardup::Index,
}

#[pymethods]
impl Index {
    #[staticmethod]
    fn open(py: Python<'_>, path: PathBuf) -> PyResult<Index> {
        let inner = py
            .detach(|| engine::open_index(&path))
            .map_err(|e| py_err(py, &e))?;
        Ok(Index { inner })
    }

    /// `neardup query --format json` of `text`.
    fn query(
        &self,
        py: Python<'_>,
        text: &Bound<'_, PyAny>,
        passages: bool,
        limit: Option<usize>,
        name: &str,
        threads: usize,
    ) -> PyResult<String> {
        let text = text
            .cast::<PyString>()
            .map_err(|_| PyTypeError::new_err("text must be str"))?
            .to_str()?
            .to_owned();
        let json = heavy(py, threads, || {
            engine::query_json(&self.inner, name, &text, passages, limit)
        })?;
        String::from_utf8(json).map_err(|e| PyValueError::new_err(e.to_string()))
    }

    fn stats(&self, py: Python<'_>) -> PyResult<String> {
        engine::index_stats_json(&self.inner).map_err(|e| py_err(py, &e))
    }

    fn scan(
        &self,
        py: Python<'_>,
        passages: bool,
        boilerplate_min_docs: usize,
        threads: usize,
    ) -> PyResult<Report> {
        let inner = heavy(py, threads, || {
            engine::scan_index(&self.inner, passages, boilerplate_min_docs)
        })?;
        Ok(Report { inner })
    }

    /// (paths, paragraph ordinals, signatures) of every stored compared paragraph.
    fn stored_signatures<'py>(&self, py: Python<'py>) -> PyResult<Stored<'py>> {
        let (paths, ordinals, flat) =
            engine::stored_signatures(&self.inner).map_err(|e| py_err(py, &e))?;
        let k = self.inner.params().num_perm;
        let array = Array2::from_shape_vec((paths.len(), k), flat)
            .map_err(|e| PyValueError::new_err(e.to_string()))?;
        Ok((paths, ordinals, array.into_pyarray(py)))
    }
}

/// Paths, paragraph ordinals and a (n, num_perm) signature array.
type Stored<'py> = (Vec<String>, Vec<u32>, Bound<'py, PyArray2<u32>>);

#[pyclass(frozen, module = "neardup._core")]
struct IndexWriter {
    // `None` once closed; the lock is released when the writer is dropped.
    inner: Mutex<Option<neardup::IndexWriter>>,
}

impl IndexWriter {
    /// The writer, unless another Python thread is using it: waiting for it here would hold
    /// the GIL that the other call needs to finish.
    fn lock(&self) -> PyResult<std::sync::MutexGuard<'_, Option<neardup::IndexWriter>>> {
        match self.inner.try_lock() {
            Ok(guard) => Ok(guard),
            Err(std::sync::TryLockError::Poisoned(e)) => Ok(e.into_inner()),
            Err(std::sync::TryLockError::WouldBlock) => Err(PyRuntimeError::new_err(
                "the IndexWriter is in use by another thread",
            )),
        }
    }

    fn with<T: Send>(
        &self,
        py: Python<'_>,
        threads: usize,
        f: impl FnOnce(&mut neardup::IndexWriter) -> Result<T, neardup::Error> + Send,
    ) -> PyResult<T> {
        let mut guard = self.lock()?;
        let writer = guard
            .as_mut()
            .ok_or_else(|| PyValueError::new_err("the IndexWriter is closed"))?;
        heavy(py, threads, || f(writer))
    }
}

#[pymethods]
impl IndexWriter {
    #[staticmethod]
    fn create(py: Python<'_>, path: PathBuf, options_: &Bound<'_, PyDict>) -> PyResult<Self> {
        let o = options(options_)?;
        let w = heavy(py, 1, || engine::create_index(&path, &o))?;
        Ok(IndexWriter {
            inner: Mutex::new(Some(w)),
        })
    }

    #[staticmethod]
    fn open(py: Python<'_>, path: PathBuf) -> PyResult<Self> {
        let w = heavy(py, 1, || engine::open_writer(&path))?;
        Ok(IndexWriter {
            inner: Mutex::new(Some(w)),
        })
    }

    /// Add files in one commit. Between batches: Ctrl-C is checked (on the calling thread,
    /// which waits without the GIL) and `progress(done, total)` is called; either stopping
    /// the call leaves the index at its last commit.
    #[allow(clippy::too_many_arguments)]
    fn add_paths(
        &self,
        py: Python<'_>,
        paths_: &Bound<'_, PyAny>,
        lossy: bool,
        keep_going: bool,
        batch_bytes: usize,
        threads: usize,
        progress: Option<Py<PyAny>>,
    ) -> PyResult<engine::AddRow> {
        let paths = paths(paths_, "paths")?;
        let pool = pool(threads)?;
        let mut guard = self.lock()?;
        let writer = guard
            .as_mut()
            .ok_or_else(|| PyValueError::new_err("the IndexWriter is closed"))?;
        let stop = AtomicBool::new(false);
        let raised: Mutex<Option<PyErr>> = Mutex::new(None);
        let outcome = py.detach(|| {
            std::thread::scope(|s| {
                let worker = s.spawn(|| {
                    pool.install(|| {
                        let mut check = |done: usize, total: usize| {
                            if let Some(cb) = &progress {
                                let r = Python::attach(|py| cb.call1(py, (done, total)).map(drop));
                                if let Err(e) = r {
                                    raised
                                        .lock()
                                        .unwrap_or_else(|e| e.into_inner())
                                        .get_or_insert(e);
                                    stop.store(true, Ordering::SeqCst);
                                }
                            }
                            if stop.load(Ordering::SeqCst) {
                                Err(neardup::Error::Interrupted)
                            } else {
                                Ok(())
                            }
                        };
                        engine::add_paths(
                            writer,
                            &paths,
                            lossy,
                            keep_going,
                            batch_bytes,
                            &mut check,
                        )
                    })
                });
                // Signal handlers run on the main thread only: this one waits here, checking.
                while !worker.is_finished() {
                    std::thread::sleep(Duration::from_millis(10));
                    if let Err(e) = Python::attach(|py| py.check_signals()) {
                        raised
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .get_or_insert(e);
                        stop.store(true, Ordering::SeqCst);
                    }
                }
                worker.join()
            })
        });
        let pending = raised.lock().unwrap_or_else(|e| e.into_inner()).take();
        match outcome {
            Err(payload) => Err(panic_err(py, payload)),
            Ok(Err(neardup::Error::Interrupted)) if pending.is_some() => {
                Err(pending.expect("checked"))
            }
            // A signal that came too late to stop the commit is raised after it.
            Ok(result) => match (result, pending) {
                (Err(e), _) => Err(py_err(py, &e)),
                (Ok(_), Some(err)) => Err(err),
                (Ok(row), None) => Ok(row),
            },
        }
    }

    fn add_texts(
        &self,
        py: Python<'_>,
        texts: &Bound<'_, PyAny>,
        names: &Bound<'_, PyAny>,
        threads: usize,
    ) -> PyResult<engine::AddRow> {
        let texts = strings(texts, "texts")?;
        let names = strings(names, "names")?;
        if names.len() != texts.len() {
            return Err(PyValueError::new_err(format!(
                "names has {} items but texts has {}: give one name per text",
                names.len(),
                texts.len()
            )));
        }
        self.with(py, threads, |w| engine::add_texts(w, names, texts))
    }

    fn compact(&self, py: Python<'_>, threads: usize) -> PyResult<bool> {
        self.with(py, threads, engine::compact)
    }

    /// Release the writer lock (later calls fail).
    fn close(&self) -> PyResult<()> {
        self.lock()?.take();
        Ok(())
    }

    #[getter]
    fn closed(&self) -> PyResult<bool> {
        Ok(self.lock()?.is_none())
    }
}

// ---------------------------------------------------------------------------------------
// Test hooks

/// Panics inside the worker pool, for the test that a panic becomes an exception.
#[pyfunction]
fn _panic_for_tests(py: Python<'_>) -> PyResult<()> {
    heavy(py, 2, || -> Result<(), neardup::Error> {
        use rayon::prelude::*;
        (0..64u32).into_par_iter().for_each(|i| {
            if i == 37 {
                panic!("injected panic for the tests");
            }
        });
        Ok(())
    })
}

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", engine::VERSION)?;
    m.add_class::<Report>()?;
    m.add_class::<MinHasher>()?;
    m.add_class::<Index>()?;
    m.add_class::<IndexWriter>()?;
    m.add_class::<arrow::ArrowKernels>()?;
    m.add_function(wrap_pyfunction!(arrow::arrow_components, m)?)?;
    m.add_function(wrap_pyfunction!(arrow::arrow_schema_version, m)?)?;
    m.add_function(wrap_pyfunction!(arrow::arrow_large_star, m)?)?;
    m.add_function(wrap_pyfunction!(arrow::arrow_small_star, m)?)?;
    m.add_function(wrap_pyfunction!(assemble_report, m)?)?;
    m.add_function(wrap_pyfunction!(arrow::arrow_remove_paragraphs, m)?)?;
    m.add_function(wrap_pyfunction!(load_documents, m)?)?;
    m.add_function(wrap_pyfunction!(scan, m)?)?;
    m.add_function(wrap_pyfunction!(scan_texts, m)?)?;
    m.add_function(wrap_pyfunction!(normalize, m)?)?;
    m.add_function(wrap_pyfunction!(defaults, m)?)?;
    m.add_function(wrap_pyfunction!(lsh_params, m)?)?;
    m.add_function(wrap_pyfunction!(band_keys, m)?)?;
    m.add_function(wrap_pyfunction!(_panic_for_tests, m)?)?;
    Ok(())
}
