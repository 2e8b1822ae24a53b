//! `neardup.arrow`'s native half: pyarrow record batches ⇄ arrow-rs through the Arrow C Data
//! Interface (the PyCapsule protocol, `__arrow_c_array__`), and the library's stage kernels
//! (`neardup::kernels`) called on them.
//!
//! Input: any object with `__arrow_c_array__` whose array is a struct (a `pyarrow.RecordBatch`).
//! Output: a pair of capsules (`arrow_schema`, `arrow_array`) that `pyarrow.record_batch`
//! imports without copying. Invariants: no kernel logic here; buffers are moved across, never
//! copied; a kernel runs on the calling thread without the GIL, and a panic in it becomes
//! `neardup.InternalError`.

use std::panic::AssertUnwindSafe;

use arrow_array::cast::AsArray;
use arrow_array::ffi::{from_ffi, FFI_ArrowArray, FFI_ArrowSchema};
use arrow_array::{make_array, Array, ArrayRef, RecordBatch, StructArray};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyCapsule;

use crate::{panic_err, py_err};

/// The record batch behind a PyCapsule-protocol object (`pyarrow.RecordBatch`): its buffers
/// are moved into arrow-rs, not copied.
fn import(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<RecordBatch> {
    if !obj.hasattr("__arrow_c_array__")? {
        return Err(PyTypeError::new_err(format!(
            "{name} must be a pyarrow.RecordBatch (or another object with __arrow_c_array__)"
        )));
    }
    let data = import_array(obj, name)?;
    let Some(array) = data.as_struct_opt() else {
        return Err(PyTypeError::new_err(format!(
            "{name} must be a record batch (a struct array), not {}",
            data.data_type()
        )));
    };
    if array.null_count() > 0 {
        return Err(PyValueError::new_err(format!(
            "{name}: a record batch has no null rows"
        )));
    }
    Ok(RecordBatch::from(array.clone()))
}

/// The array behind an object with `__arrow_c_array__`, buffers moved, not copied.
fn import_array(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<ArrayRef> {
    let (schema, array): (Bound<'_, PyCapsule>, Bound<'_, PyCapsule>) =
        obj.call_method0("__arrow_c_array__")?.extract()?;
    let schema = schema.pointer_checked(Some(c"arrow_schema"))?;
    let array = array.pointer_checked(Some(c"arrow_array"))?;
    // SAFETY: the capsules hold a valid ArrowSchema and ArrowArray (the protocol's contract);
    // `from_raw` moves the array out and marks the capsule's copy released, so its buffers
    // are freed once, by arrow-rs; the schema stays owned by its capsule, alive for this call.
    let data = unsafe {
        let array = FFI_ArrowArray::from_raw(array.cast::<FFI_ArrowArray>().as_ptr());
        from_ffi(array, schema.cast::<FFI_ArrowSchema>().as_ref())
    }
    .map_err(|e| PyValueError::new_err(format!("{name}: not a valid Arrow array: {e}")))?;
    Ok(make_array(data))
}

/// The strings of an Arrow string array (`string`, `large_string`, `string_view`) given where
/// the API takes an iterable of `str`: read from the Arrow buffers, without making a Python
/// `str` per row. A null is refused as a `None` in a list would be.
pub(crate) fn import_strings(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<Vec<String>> {
    let array = import_array(obj, name)?;
    // Each string type has its own iterator; every one is copied straight into the output.
    let owned = |values: &mut dyn Iterator<Item = Option<&str>>| -> PyResult<Vec<String>> {
        values
            .enumerate()
            .map(|(i, v)| {
                v.map(str::to_owned).ok_or_else(|| {
                    PyTypeError::new_err(format!("{name}[{i}] must be str, not NoneType"))
                })
            })
            .collect()
    };
    if let Some(a) = array.as_string_opt::<i32>() {
        owned(&mut a.iter())
    } else if let Some(a) = array.as_string_opt::<i64>() {
        owned(&mut a.iter())
    } else if let Some(a) = array.as_string_view_opt() {
        owned(&mut a.iter())
    } else {
        Err(PyTypeError::new_err(format!(
            "{name} must hold strings, not Arrow {}",
            array.data_type()
        )))
    }
}

/// The (`arrow_schema`, `arrow_array`) capsules of a batch, schema metadata included.
fn export(py: Python<'_>, batch: RecordBatch) -> PyResult<Bound<'_, pyo3::types::PyTuple>> {
    let schema = FFI_ArrowSchema::try_from(batch.schema().as_ref())
        .map_err(|e| PyValueError::new_err(e.to_string()))?;
    let array = FFI_ArrowArray::new(&StructArray::from(batch).into_data());
    // A capsule drops its value when collected: an exported schema/array that pyarrow has
    // moved out is marked released, so dropping it frees nothing twice.
    let schema = PyCapsule::new_with_value(py, schema, c"arrow_schema")?;
    let array = PyCapsule::new_with_value(py, array, c"arrow_array")?;
    pyo3::types::PyTuple::new(py, [schema.into_any(), array.into_any()])
}

/// Run a kernel without the GIL on this thread; library errors and panics become Python
/// exceptions.
fn run<'py>(
    py: Python<'py>,
    f: impl FnOnce() -> Result<RecordBatch, neardup::Error> + Send,
) -> PyResult<Bound<'py, pyo3::types::PyTuple>> {
    match py.detach(|| std::panic::catch_unwind(AssertUnwindSafe(f))) {
        Ok(Ok(batch)) => export(py, batch),
        Ok(Err(e)) => Err(py_err(py, &e)),
        Err(payload) => Err(panic_err(py, payload)),
    }
}

/// The stage kernels with one set of matching parameters (`neardup.arrow.Kernels`).
#[pyclass(module = "neardup._core")]
pub struct ArrowKernels {
    inner: neardup::kernels::Kernels,
}

#[pymethods]
impl ArrowKernels {
    #[new]
    fn new(py: Python<'_>, options: &Bound<'_, pyo3::types::PyDict>) -> PyResult<Self> {
        let o = crate::options(options)?;
        let inner = crate::engine::kernels(&o).map_err(|e| py_err(py, &e))?;
        Ok(ArrowKernels { inner })
    }

    /// The resolved parameters as JSON (the `params` of a report).
    fn params_json(&self) -> String {
        serde_json::to_string(self.inner.params()).unwrap_or_default()
    }

    fn paragraphs<'py>(
        &self,
        py: Python<'py>,
        docs: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, pyo3::types::PyTuple>> {
        let batch = import(docs, "docs")?;
        run(py, || self.inner.paragraphs(&batch))
    }

    fn sketch<'py>(
        &mut self,
        py: Python<'py>,
        paragraphs: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, pyo3::types::PyTuple>> {
        let batch = import(paragraphs, "paragraphs")?;
        let inner = &mut self.inner;
        run(py, move || inner.sketch(&batch))
    }

    fn units<'py>(
        &self,
        py: Python<'py>,
        sketches: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, pyo3::types::PyTuple>> {
        let batch = import(sketches, "sketches")?;
        run(py, || self.inner.units(&batch))
    }

    fn band_rows<'py>(
        &self,
        py: Python<'py>,
        sketches: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, pyo3::types::PyTuple>> {
        let batch = import(sketches, "sketches")?;
        run(py, || self.inner.band_rows(&batch))
    }

    fn candidates<'py>(
        &self,
        py: Python<'py>,
        bucket_rows: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, pyo3::types::PyTuple>> {
        let batch = import(bucket_rows, "bucket_rows")?;
        run(py, || self.inner.candidates(&batch))
    }

    /// `candidates` and the number of capped buckets in the batch.
    fn candidates_counted<'py>(
        &self,
        py: Python<'py>,
        bucket_rows: &Bound<'py, PyAny>,
    ) -> PyResult<(Bound<'py, pyo3::types::PyTuple>, usize)> {
        let batch = import(bucket_rows, "bucket_rows")?;
        let mut capped = 0;
        let pairs = run(py, || {
            let (pairs, c) = self.inner.candidates_counted(&batch)?;
            capped = c;
            Ok(pairs)
        })?;
        Ok((pairs, capped))
    }

    fn verify<'py>(
        &mut self,
        py: Python<'py>,
        pairs: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, pyo3::types::PyTuple>> {
        let batch = import(pairs, "pairs")?;
        let inner = &mut self.inner;
        run(py, move || inner.verify(&batch))
    }
}

/// `neardup.arrow.components`: union-find over edges, label = smallest key.
#[pyfunction]
pub fn arrow_components<'py>(
    py: Python<'py>,
    edges: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, pyo3::types::PyTuple>> {
    let batch = import(edges, "edges")?;
    run(py, || neardup::kernels::components(&batch))
}

/// `neardup.arrow.large_star`: one large-star step over edges in both directions.
#[pyfunction]
pub fn arrow_large_star<'py>(
    py: Python<'py>,
    edges: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, pyo3::types::PyTuple>> {
    let batch = import(edges, "edges")?;
    run(py, || neardup::kernels::large_star(&batch))
}

/// `neardup.arrow.small_star`: one small-star step over edges oriented larger → smaller.
#[pyfunction]
pub fn arrow_small_star<'py>(
    py: Python<'py>,
    edges: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, pyo3::types::PyTuple>> {
    let batch = import(edges, "edges")?;
    run(py, || neardup::kernels::small_star(&batch))
}

/// `neardup.arrow` dedup kernel: documents with removal spans → their edited texts.
#[pyfunction]
pub fn arrow_remove_paragraphs<'py>(
    py: Python<'py>,
    split: &str,
    docs: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, pyo3::types::PyTuple>> {
    let split = crate::engine::split_mode(split).map_err(|e| crate::py_err(py, &e))?;
    let batch = import(docs, "docs")?;
    run(py, || neardup::kernels::remove_paragraphs(split, &batch))
}

/// Record batches (documents, members, links) → the scan's report (`kernels::assemble`).
pub(crate) fn import_batch(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<RecordBatch> {
    import(obj, name)
}

/// The kernel schemas' version (`neardup.kernels/N`).
#[pyfunction]
pub fn arrow_schema_version() -> &'static str {
    neardup::kernels::SCHEMA_VERSION
}
