"""Scans, normalisation and signatures: the engine's top-level calls."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from os import PathLike
from typing import Any, Union

import numpy as np

from . import _core
from ._report import Report

#: The MinHash seed of the CLI (``--seed``), recorded in every report.
DEFAULT_SEED = 0x6E65617264757031

#: The MinHash permutation family of the CLI (``--hash``), recorded in every report as
#: ``params.hash``; ``"multiply-shift"`` selects the earlier default family.
DEFAULT_HASH = "xxh3-64+xor-multiply-32"

StrPath = Union[str, "PathLike[str]"]


def _texts(texts: Any) -> Any:
    """Texts given in any supported form as the native calls take them: a list or iterable
    of ``str`` as it is; a pyarrow ``Array`` as it is and a ``ChunkedArray`` as one ``Array``
    (read from the Arrow buffers natively, no ``str`` per row); a pandas ``Series`` or numpy
    array of objects as a list."""
    if hasattr(texts, "combine_chunks"):  # pyarrow ChunkedArray
        return texts.combine_chunks()
    if hasattr(texts, "__arrow_c_array__"):  # pyarrow Array (or another Arrow array)
        return texts
    if hasattr(texts, "tolist") and not isinstance(texts, (str, bytes)):  # pandas, numpy
        return texts.tolist()
    return texts


#: Every option of the library with the CLI's default (a test checks them against the
#: library's own, and the signatures below against these).
_DEFAULTS: dict[str, Any] = {
    "threshold": 0.8,
    "num_perm": 128,
    "bands": None,
    "rows": None,
    "shingle": 3,
    "split": "lines",
    "min_words": 1,
    "verify": "auto",
    "seed": DEFAULT_SEED,
    "hash": DEFAULT_HASH,
    "passages": False,
    "min_passage_words": 10,
    "text_field": "text",
    "id_field": None,
    "include": [],
    "exclude": [],
    "max_file_size": None,
    "lossy": False,
    "keep_going": False,
    "boilerplate_min_docs": 10,
}


def _options(given: dict[str, Any], *leave: str) -> dict[str, Any]:
    """The native options dict from a call's ``locals()``: its keywords over the defaults,
    less the names in ``leave`` (the call's positional arguments and ``threads``)."""
    opts = dict(_DEFAULTS)
    opts.update((k, v) for k, v in given.items() if k not in leave)
    for name in ("include", "exclude"):
        if isinstance(opts[name], str):
            raise TypeError(f"{name} takes a list of globs, not one str")
        opts[name] = list(opts[name])
    return opts


def scan(
    paths: StrPath | Sequence[StrPath],
    *,
    threshold: float = 0.8,
    num_perm: int = 128,
    bands: int | None = None,
    rows: int | None = None,
    shingle: int = 3,
    split: str = "lines",
    min_words: int = 1,
    verify: str = "auto",
    seed: int = DEFAULT_SEED,
    hash: str = DEFAULT_HASH,
    passages: bool = False,
    min_passage_words: int = 10,
    text_field: str = "text",
    id_field: str | None = None,
    include: Iterable[str] = (),
    exclude: Iterable[str] = (),
    max_file_size: int | None = None,
    lossy: bool = False,
    keep_going: bool = False,
    boilerplate_min_docs: int = 10,
    threads: int = 0,
) -> Report:
    """Scan files and directories exactly as ``neardup scan PATHS`` does.

    Every keyword is the CLI flag of the same name (``num_perm`` is ``--num-perm``) with its
    default; ``max_file_size`` is in bytes. ``threads=0`` uses one thread per core.

    >>> report = neardup.scan("corpora/sample")          # doctest: +SKIP
    >>> report.to_json() == open("sample.json").read()   # neardup scan --format json
    True
    """
    opts = _options(locals(), "paths", "threads")
    return Report(_core.scan(paths, opts, threads))


def scan_texts(
    texts: Any,
    ids: Any = None,
    *,
    threshold: float = 0.8,
    num_perm: int = 128,
    bands: int | None = None,
    rows: int | None = None,
    shingle: int = 3,
    split: str = "lines",
    min_words: int = 1,
    verify: str = "auto",
    seed: int = DEFAULT_SEED,
    hash: str = DEFAULT_HASH,
    passages: bool = False,
    min_passage_words: int = 10,
    boilerplate_min_docs: int = 10,
    threads: int = 0,
) -> Report:
    """Scan texts in memory: each text is one document, cut into paragraphs as the scan cuts
    files (``split``), named by its id (default ``"0"``, ``"1"``, ...).

    ``texts``: a list or iterable of ``str``, a pyarrow string ``Array``/``ChunkedArray`` or a
    pandas ``Series``; ``ids`` likewise, one unique id per text. Documents are ordered by id
    (as the CLI orders files by path), so the report is the one ``neardup scan`` gives for
    files of those names and contents.

    >>> r = neardup.scan_texts(["a b c d e", "x", "a b c d e"])
    >>> [(m.path, m.paragraph) for m in r.clusters[0].members]
    [('0', 0), ('2', 0)]
    """
    opts = _options(locals(), "texts", "ids", "threads")
    ids = None if ids is None else _texts(ids)
    return Report(_core.scan_texts(_texts(texts), ids, opts, threads))


def normalize(text: str) -> str:
    """The normalised form of ``text``: exactly what the engine compares
    (``neardup normalize``).

    >>> neardup.normalize("Hello,  WORLD!")
    'hello world'
    """
    return _core.normalize(text)


class MinHasher:
    """MinHash signatures of texts, bit for bit those the scan and the index compute for a
    paragraph with the same text (normalised, word ``shingle``-grams, ``num_perm``
    permutations of the ``hash`` family from ``seed``). A text with no words gets every value
    ``2**32 - 1``.

    >>> sigs = neardup.MinHasher().signatures(["a b c d", "a b c e"])
    >>> sigs.shape, sigs.dtype
    ((2, 128), dtype('uint32'))
    """

    __slots__ = ("_core", "num_perm", "seed", "shingle", "hash")

    def __init__(
        self, num_perm: int = 128, seed: int = DEFAULT_SEED, shingle: int = 3, hash: str = DEFAULT_HASH
    ) -> None:
        self._core = _core.MinHasher(num_perm, seed, shingle, hash)
        self.num_perm = num_perm
        self.seed = seed
        self.shingle = shingle
        self.hash = hash

    def signatures(self, texts: Any, *, threads: int = 0) -> np.ndarray:
        """A ``(len(texts), num_perm)`` uint32 array, one row per text, computed in parallel
        without the GIL and handed to numpy without a copy."""
        return self._core.signatures(_texts(texts), threads)

    def signature(self, text: str) -> np.ndarray:
        """The signature of one text: a ``(num_perm,)`` uint32 array."""
        if not isinstance(text, str):
            raise TypeError(f"text must be str, not {type(text).__name__}")
        return self._core.signatures([text], 1)[0]

    def __repr__(self) -> str:
        return (
            f"MinHasher(num_perm={self.num_perm}, seed={self.seed}, shingle={self.shingle}, "
            f"hash={self.hash!r})"
        )


def estimate_jaccard(a: Any, b: Any) -> float:
    """The Jaccard similarity estimated from two signatures: the share of equal values."""
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError(f"signatures must be two 1-D arrays of one length, got {a.shape} and {b.shape}")
    return float(np.count_nonzero(a == b)) / a.shape[0]
