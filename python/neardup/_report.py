"""Reports: what :func:`neardup.scan`, :func:`neardup.scan_texts` and
:meth:`neardup.Index.scan` return."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Iterator

from . import _core

#: The columns of :meth:`Report.to_arrow` and :meth:`Report.to_pandas`: those of
#: ``neardup scan --format csv``.
COLUMNS = (
    "cluster",
    "kind",
    "scope",
    "boilerplate",
    "path",
    "paragraph",
    "line",
    "byte_start",
    "byte_end",
    "similarity",
    "text",
)


@dataclass(frozen=True, slots=True)
class Member:
    """One paragraph of a cluster."""

    path: str
    """The document (file path as the scan names it, or the id given to ``scan_texts``)."""
    paragraph: int
    """0-based paragraph ordinal in the document."""
    line: int
    """1-based line of the paragraph's first line."""
    byte_start: int
    """Byte offset of the paragraph in the document (UTF-8)."""
    byte_end: int
    """Byte offset just past its end."""
    similarity: float
    """Jaccard similarity to the cluster's first member (1.0 for it and exact copies)."""
    text: str
    """The paragraph's text as in the document."""


@dataclass(frozen=True, slots=True)
class Link:
    """A verified pair inside a cluster: member positions ``a < b``."""

    a: int
    b: int
    similarity: float
    method: str
    """``identical``, ``estimate`` or ``exact``."""


@dataclass(frozen=True, slots=True)
class Cluster:
    """Paragraphs that are duplicates or near duplicates of each other."""

    id: int
    """1-based, in order of the first member."""
    kind: str
    """``exact`` (identical after normalisation) or ``near``."""
    scope: str
    """``within`` one document or ``across`` documents."""
    boilerplate: bool
    """Spans at least ``boilerplate_min_docs`` documents."""
    members: tuple[Member, ...]
    """Sorted by path, then paragraph; the first is the representative."""
    links: tuple[Link, ...]
    """The verified pairs that joined the members."""


class Report:
    """The result of a scan. ``to_json()`` is byte for byte ``neardup scan --format json``."""

    __slots__ = ("_core", "_clusters", "_parts")

    def __init__(self, core: _core.Report) -> None:
        self._core = core
        self._clusters: list[Cluster] | None = None
        self._parts: dict[str, Any] = {}

    @property
    def clusters(self) -> list[Cluster]:
        """Every cluster, in report order."""
        if self._clusters is None:
            self._clusters = [
                Cluster(
                    cid,
                    kind,
                    scope,
                    boilerplate,
                    tuple(Member(*m) for m in members),
                    tuple(Link(*link) for link in links),
                )
                for cid, kind, scope, boilerplate, members, links in self._core.clusters()
            ]
        return self._clusters

    def _part(self, name: str) -> Any:
        if name not in self._parts:
            self._parts[name] = json.loads(self._core.part(name))
        return self._parts[name]

    @property
    def stats(self) -> dict[str, int]:
        """Counts: documents, paragraphs, clusters, candidate and verified pairs, ..."""
        return self._part("stats")

    @property
    def params(self) -> dict[str, Any]:
        """Every parameter that decided what matched (as in the JSON report)."""
        return self._part("params")

    @property
    def skipped(self) -> list[dict[str, Any]]:
        """Files not scanned (``path``, ``reason``, ``error``), with ``keep_going=True``."""
        return self._part("skipped")

    @property
    def passages(self) -> dict[str, Any] | None:
        """Shared passages (with ``passages=True``), as in the JSON report; else ``None``."""
        return self._part("passages")

    def to_json(self) -> str:
        """The report as ``neardup scan --format json`` writes it, byte for byte."""
        return self._core.format("json")

    def to_string(self, format: str = "text") -> str:
        """The report in any ``--format`` of the CLI: text, json, jsonl, html, md, csv, pairs."""
        return self._core.format(format)

    def _columns(self) -> dict[str, list[Any]]:
        cols: dict[str, list[Any]] = {c: [] for c in COLUMNS}
        for c in self.clusters:
            for m in c.members:
                cols["cluster"].append(c.id)
                cols["kind"].append(c.kind)
                cols["scope"].append(c.scope)
                cols["boilerplate"].append(c.boilerplate)
                cols["path"].append(m.path)
                cols["paragraph"].append(m.paragraph)
                cols["line"].append(m.line)
                cols["byte_start"].append(m.byte_start)
                cols["byte_end"].append(m.byte_end)
                cols["similarity"].append(m.similarity)
                cols["text"].append(m.text)
        # Passage clusters (``passages=True``) follow as in ``--format parquet``: one row per
        # span, ``kind`` "passage", no similarity of its own (the links give containment).
        for pc in (self.passages or {}).get("clusters", []):
            for span in pc["spans"]:
                cols["cluster"].append(pc["id"])
                cols["kind"].append("passage")
                cols["scope"].append(pc["scope"])
                cols["boilerplate"].append(False)
                for name in ("path", "paragraph", "line", "byte_start", "byte_end"):
                    cols[name].append(span[name])
                cols["similarity"].append(None)
                cols["text"].append(span["text"])
        return cols

    def to_arrow(self) -> Any:
        """A ``pyarrow.Table`` with the rows and columns of ``--format parquet``: one row per
        cluster member, then (with ``passages=True``) one per passage span, ``kind``
        ``"passage"`` and a null ``similarity``."""
        import pyarrow as pa

        schema = pa.schema(
            [
                ("cluster", pa.int64()),
                ("kind", pa.string()),
                ("scope", pa.string()),
                ("boilerplate", pa.bool_()),
                ("path", pa.string()),
                ("paragraph", pa.int64()),
                ("line", pa.int64()),
                ("byte_start", pa.int64()),
                ("byte_end", pa.int64()),
                ("similarity", pa.float64()),
                ("text", pa.string()),
            ]
        )
        return pa.table(self._columns(), schema=schema)

    def to_pandas(self) -> Any:
        """A ``pandas.DataFrame`` with the rows and columns of :meth:`to_arrow` (pandas is
        imported only here)."""
        import pandas as pd

        return pd.DataFrame(self._columns(), columns=list(COLUMNS))

    def __len__(self) -> int:
        return len(self.clusters)

    def __iter__(self) -> Iterator[Cluster]:
        return iter(self.clusters)

    def __repr__(self) -> str:
        s = self.stats
        return (
            f"<neardup.Report: {s['clusters']} clusters, {s['paragraphs_in_clusters']} of "
            f"{s['paragraphs']} paragraphs in {s['documents']} documents>"
        )
