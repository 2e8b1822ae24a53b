"""``neardup.arrow``: the stage kernels that distributed engines call on Arrow record batches.

Each kernel is a pure function from a ``pyarrow.RecordBatch`` to a ``pyarrow.RecordBatch``
in the versioned schemas of docs/PYTHON.md ("Kernel schemas", :data:`SCHEMA_VERSION`):
signed integers only (hashes bit-cast to ``int64``, signature values to ``int32``), rows
keyed by ``(doc, paragraph)`` (document key, paragraph ordinal), never by batch positions.
The chain, with what the engine does between kernels::

    docs ─paragraphs─▶ paragraphs ─sketch─▶ sketches
      ─(partition by hash_hi, hash_lo)─units─▶ unit rows
          rows with (doc, paragraph) != (unit_doc, unit_paragraph): identical links
          representatives (== their unit) ─band_rows─▶ band rows
      ─(partition by band, band_key)─candidates─▶ pairs ─(distinct; join signatures, texts)
      ─verify─▶ verified links ─(+ identical links)─components─▶ labels = clusters

Every decision is the scan's own library function, so the components are exactly the
clusters of :func:`neardup.scan` / :func:`neardup.scan_texts` with the same options. Kernels
run on the calling thread (an engine already runs one task per core) and release the GIL.

>>> import pyarrow as pa
>>> from neardup import arrow as nda
>>> docs = pa.record_batch({"doc": ["a", "b"], "text": ["one two three four\\nx", "one two three four"]})
>>> paras = nda.paragraphs(docs)
>>> paras.column("paragraph").to_pylist()
[0, 1, 0]
>>> nda.sketch(paras).schema.field("hash_hi").type
DataType(int64)
"""

from __future__ import annotations

import threading
from typing import Any

import pyarrow as pa

from . import _core
from ._api import _options

#: Version of the kernel schemas; recorded as ``neardup.schema`` in every output's metadata.
SCHEMA_VERSION: str = _core.arrow_schema_version()

# The options the kernels read (matching and splitting); the others of scan do not apply.
_MATCHING = (
    "threshold", "num_perm", "bands", "rows", "shingle", "split", "min_words", "verify", "seed", "hash"
)


class _Exported:
    """The (schema, array) capsules of a native batch, for ``pa.record_batch`` to import."""

    def __init__(self, capsules: tuple[Any, Any]) -> None:
        self._capsules = capsules

    def __arrow_c_array__(self, requested_schema: Any = None) -> tuple[Any, Any]:
        return self._capsules


def _batch(obj: Any, name: str) -> Any:
    """A record batch from a ``RecordBatch`` or a ``Table`` (its chunks combined)."""
    if isinstance(obj, pa.Table):
        batches = obj.combine_chunks().to_batches()
        return batches[0] if batches else pa.RecordBatch.from_pylist([], schema=obj.schema)
    if obj is None:
        raise TypeError(f"{name} must be a pyarrow.RecordBatch, not None")
    return obj


class Kernels:
    """The kernels with one set of matching options (the keywords of :func:`neardup.scan`
    that decide matching: ``threshold``, ``num_perm``, ``bands``, ``rows``, ``shingle``,
    ``split``, ``min_words``, ``verify``, ``seed``, ``hash``; CLI defaults). Make one per worker: it keeps
    scratch buffers between calls and is not for concurrent use.

    >>> k = Kernels(threshold=0.8)
    >>> k.sketch(k.paragraphs(docs))   # doctest: +SKIP
    """

    def __init__(self, **options: Any) -> None:
        unknown = set(options) - set(_MATCHING)
        if unknown:
            raise TypeError(f"Kernels got unexpected options: {', '.join(sorted(unknown))}")
        self._native = _core.ArrowKernels(_options(options))

    @property
    def params(self) -> dict[str, Any]:
        """The resolved parameters (bands and rows included), as a report records them."""
        import json

        return json.loads(self._native.params_json())

    def paragraphs(self, docs: Any) -> pa.RecordBatch:
        """Documents (``doc: string``, ``text: string``) → one row per paragraph, split
        exactly as the scan splits a file: ``doc``, ``paragraph`` (ordinal), ``line``,
        ``byte_start``, ``byte_end`` (UTF-8 bytes of ``text``), ``text``."""
        return pa.record_batch(_Exported(self._native.paragraphs(_batch(docs, "docs"))))

    def sketch(self, paragraphs: Any) -> pa.RecordBatch:
        """Paragraphs (``doc``, ``paragraph``, ``text``) → ``doc``, ``paragraph``,
        ``compared``, ``hash_hi``, ``hash_lo`` (the 128-bit exact hash as two int64; null
        when not compared), ``signature`` (``list<int32>``, ``num_perm`` values)."""
        return pa.record_batch(_Exported(self._native.sketch(_batch(paragraphs, "paragraphs"))))

    def units(self, sketches: Any) -> pa.RecordBatch:
        """Sketch rows holding whole exact-hash groups → ``doc``, ``paragraph``, ``unit_doc``,
        ``unit_paragraph`` (the smallest key with the same normalised text) per compared
        paragraph."""
        return pa.record_batch(_Exported(self._native.units(_batch(sketches, "sketches"))))

    def band_rows(self, sketches: Any) -> pa.RecordBatch:
        """Sketches of unit representatives (``doc``, ``paragraph``, ``compared``,
        ``signature``) → ``band``, ``band_key`` (int64), ``doc``, ``paragraph``."""
        return pa.record_batch(_Exported(self._native.band_rows(_batch(sketches, "sketches"))))

    def candidates(self, bucket_rows: Any) -> pa.RecordBatch:
        """Band rows holding whole buckets → candidate pairs ``a_doc``, ``a_paragraph``,
        ``b_doc``, ``b_paragraph`` (a < b), by the scan's bucket rule (each member with the
        next 64 in key order)."""
        return pa.record_batch(_Exported(self._native.candidates(_batch(bucket_rows, "bucket_rows"))))

    def verify(self, pairs: Any) -> pa.RecordBatch:
        """Pairs with ``a_signature``, ``b_signature`` and optionally ``a_text``, ``b_text`` →
        the pairs that pass, with ``similarity`` (float64) and ``method`` (``"estimate"`` or
        ``"exact"``), decided exactly as the scan decides."""
        return pa.record_batch(_Exported(self._native.verify(_batch(pairs, "pairs"))))


_local = threading.local()


def _cached(options: dict[str, Any]) -> Kernels:
    """The kernels of these options, made once per thread (a Kernels is not shared between
    threads: it keeps scratch buffers)."""
    cache = _local.__dict__.setdefault("kernels", {})
    key = tuple(sorted(options.items()))
    if key not in cache:
        if len(cache) >= 8:
            cache.clear()
        cache[key] = Kernels(**options)
    return cache[key]


def paragraphs(docs: Any, **options: Any) -> pa.RecordBatch:
    """:meth:`Kernels.paragraphs` with these options (``split`` is the one that applies)."""
    return _cached(options).paragraphs(docs)


def sketch(paragraphs: Any, **options: Any) -> pa.RecordBatch:
    """:meth:`Kernels.sketch` with these options."""
    return _cached(options).sketch(paragraphs)


def units(sketches: Any, **options: Any) -> pa.RecordBatch:
    """:meth:`Kernels.units` with these options."""
    return _cached(options).units(sketches)


def band_rows(sketches: Any, **options: Any) -> pa.RecordBatch:
    """:meth:`Kernels.band_rows` with these options (``bands``/``rows`` or ``threshold``)."""
    return _cached(options).band_rows(sketches)


def candidates(bucket_rows: Any, **options: Any) -> pa.RecordBatch:
    """:meth:`Kernels.candidates` with these options."""
    return _cached(options).candidates(bucket_rows)


def verify(pairs: Any, **options: Any) -> pa.RecordBatch:
    """:meth:`Kernels.verify` with these options (``threshold``, ``verify``, ``num_perm``)."""
    return _cached(options).verify(pairs)


def components(edges: Any) -> pa.RecordBatch:
    """Edges (``a_doc``, ``a_paragraph``, ``b_doc``, ``b_paragraph``: identical and verified
    links) → ``doc``, ``paragraph``, ``component_doc``, ``component_paragraph`` per key (the
    smallest key of its component). The batch holds the whole graph."""
    return pa.record_batch(_Exported(_core.arrow_components(_batch(edges, "edges"))))


__all__ = [
    "SCHEMA_VERSION",
    "Kernels",
    "paragraphs",
    "sketch",
    "units",
    "band_rows",
    "candidates",
    "verify",
    "components",
]
