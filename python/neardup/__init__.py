"""neardup: duplicate and near-duplicate paragraphs (MinHash + LSH, Arabic-aware
normalisation), the Rust engine of the ``neardup`` command line, from Python.

>>> import neardup
>>> report = neardup.scan("corpora/sample")                     # doctest: +SKIP
>>> report = neardup.scan_texts(df["text"], ids=df["id"])       # doctest: +SKIP
>>> neardup.Index.open("idx").query("Some paragraph.")          # doctest: +SKIP

Reference: docs/PYTHON.md.
"""

from . import _core
from ._api import DEFAULT_HASH, DEFAULT_SEED, MinHasher, estimate_jaccard, normalize, scan, scan_texts
from ._errors import (
    IndexCorruptError,
    IndexLockedError,
    IndexUsageError,
    InputError,
    InternalError,
    InvalidParameterError,
    NeardupError,
    NeardupOSError,
)
from ._index import AddSummary, Index, IndexWriter
from ._lsh import LSH
from ._report import Cluster, Link, Member, Report

__version__: str = _core.__version__

__all__ = [
    "__version__",
    "DEFAULT_HASH",
    "DEFAULT_SEED",
    "scan",
    "scan_texts",
    "normalize",
    "MinHasher",
    "estimate_jaccard",
    "LSH",
    "Index",
    "IndexWriter",
    "AddSummary",
    "Report",
    "Cluster",
    "Member",
    "Link",
    "NeardupError",
    "NeardupOSError",
    "InputError",
    "InvalidParameterError",
    "IndexCorruptError",
    "IndexLockedError",
    "IndexUsageError",
    "InternalError",
]
