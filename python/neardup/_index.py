"""The persistent index: :class:`Index` (read, query, scan) and :class:`IndexWriter`."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from . import _core
from ._api import DEFAULT_HASH, DEFAULT_SEED, StrPath, _options, _texts
from ._report import Report


@dataclass(frozen=True, slots=True)
class AddSummary:
    """What an add did (``neardup index add`` prints the same)."""

    added: int
    replaced: int
    unchanged: int
    paragraphs: int
    generation: int
    """The manifest generation after the call (unchanged when nothing was added)."""
    skipped: tuple[tuple[str, str], ...]
    """Files not read: (path, reason)."""


class Index:
    """An index opened for reading: a snapshot of its last commit (no lock needed).

    >>> idx = neardup.Index.open("idx")                       # doctest: +SKIP
    >>> idx.query("A paragraph to look up.")["paragraphs"][0]["matches"]   # doctest: +SKIP
    """

    __slots__ = ("_core", "path")

    def __init__(self, core: _core.Index, path: str) -> None:
        self._core = core
        self.path = path

    @classmethod
    def open(cls, path: StrPath) -> "Index":
        """Open the index in directory ``path``."""
        return cls(_core.Index.open(os.fspath(path)), os.fspath(path))

    def query(
        self,
        text: str,
        passages: bool = False,
        limit: int | None = None,
        *,
        name: str = "-",
        threads: int = 0,
    ) -> dict[str, Any]:
        """Where each paragraph of ``text`` appears in the index: the JSON of ``neardup query
        --format json`` as a dict (``name`` is its ``query`` field; ``-`` as for stdin).
        ``passages=True`` also finds shared passages (index built with ``passages=True``);
        ``limit`` keeps the best matches per paragraph."""
        return json.loads(self.query_json(text, passages, limit, name=name, threads=threads))

    def query_json(
        self,
        text: str,
        passages: bool = False,
        limit: int | None = None,
        *,
        name: str = "-",
        threads: int = 0,
    ) -> str:
        """:meth:`query` as the CLI's JSON text, byte for byte."""
        if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 0):
            raise ValueError(f"limit must be a non-negative int or None, got {limit!r}")
        return self._core.query(text, passages, limit, name, threads)

    def stats(self) -> dict[str, Any]:
        """Documents, paragraphs, segments, bytes and parameters (``neardup index stats
        --format json``)."""
        return json.loads(self._core.stats())

    def scan(
        self, passages: bool = False, *, boilerplate_min_docs: int = 10, threads: int = 0
    ) -> Report:
        """The clusters of everything indexed: ``neardup scan --index DIR``, which equals
        ``neardup scan`` over the indexed files."""
        return Report(self._core.scan(passages, boilerplate_min_docs, threads))

    def _stored_signatures(self) -> tuple[list[str], list[int], Any]:
        return self._core.stored_signatures()

    def __repr__(self) -> str:
        return f"neardup.Index.open({self.path!r})"


class IndexWriter:
    """Adds to an index, one atomic commit per call, holding its writer lock until
    :meth:`close` (or the end of a ``with`` block). Another writer gets
    :class:`neardup.IndexLockedError`; readers are never blocked.

    >>> with neardup.IndexWriter.create("idx") as w:          # doctest: +SKIP
    ...     w.add_paths(["corpus/"])
    """

    __slots__ = ("_core", "path")

    def __init__(self, core: _core.IndexWriter, path: str) -> None:
        self._core = core
        self.path = path

    @classmethod
    def create(
        cls,
        path: StrPath,
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
    ) -> "IndexWriter":
        """Create an empty index in ``path`` (``neardup index build``'s parameters) and open it
        for writing. ``passages=True`` also stores passage fingerprints."""
        opts = _options(locals(), "cls", "path")
        return cls(_core.IndexWriter.create(os.fspath(path), opts), os.fspath(path))

    @classmethod
    def open(cls, path: StrPath) -> "IndexWriter":
        """Open an existing index for writing, with its own parameters."""
        return cls(_core.IndexWriter.open(os.fspath(path)), os.fspath(path))

    def add_paths(
        self,
        paths: StrPath | Sequence[StrPath],
        *,
        lossy: bool = False,
        keep_going: bool = False,
        batch_mb: int = 64,
        threads: int = 0,
        progress: Callable[[int, int], Any] | None = None,
    ) -> AddSummary:
        """Add the plain-text files (.txt, .md) under ``paths`` in one commit (``neardup index
        add``). Between batches of ``batch_mb`` MB, ``progress(files_done, files_total)`` is
        called and Ctrl-C is honoured: an exception from either (``KeyboardInterrupt``) ends
        the call with nothing committed."""
        if batch_mb < 1:
            raise ValueError(f"batch_mb must be at least 1, got {batch_mb}")
        return self._add_paths(paths, lossy, keep_going, batch_mb << 20, threads, progress)

    def _add_paths(self, paths, lossy, keep_going, batch_bytes, threads, progress):  # type: ignore[no-untyped-def]
        row = self._core.add_paths(paths, lossy, keep_going, batch_bytes, threads, progress)
        return _summary(row)

    def add_texts(self, texts: Any, names: Any, *, threads: int = 0) -> AddSummary:
        """Add in-memory documents named ``names`` in one commit. They have no source file,
        so reports show their text as empty (queries still find them)."""
        return _summary(self._core.add_texts(_texts(texts), _texts(names), threads))

    def compact(self, *, threads: int = 0) -> bool:
        """Merge all segments into one, dropping replaced documents (``neardup index
        compact``); ``False`` when there was nothing to merge."""
        return self._core.compact(threads)

    def close(self) -> None:
        """Release the writer lock."""
        self._core.close()

    @property
    def closed(self) -> bool:
        return self._core.closed

    def __enter__(self) -> "IndexWriter":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self.closed else "open"
        return f"<neardup.IndexWriter {self.path!r} ({state})>"


def _summary(row: tuple[Any, ...]) -> AddSummary:
    added, replaced, unchanged, paragraphs, generation, skipped = row
    return AddSummary(added, replaced, unchanged, paragraphs, generation, tuple(skipped))
