"""An in-memory LSH index of MinHash signatures, named as datasketch's ``MinHashLSH``."""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from typing import Any

import numpy as np

from . import _core

_U32_MAX = 2**32 - 1


class LSH:
    """Keys and their signatures, found again by band collisions.

    ``LSH(threshold=0.8, num_perm=128)`` picks bands × rows as ``neardup params`` does (the
    scan's banding); ``bands=`` and/or ``rows=`` set them instead (with one of them, the other
    is ``num_perm`` divided by it, which must then divide evenly). A query returns every key
    sharing at least one band with the signature (candidates, unverified, as datasketch does),
    in order of band, then insertion.

    >>> lsh = neardup.LSH(threshold=0.8, num_perm=128)
    >>> sigs = neardup.MinHasher().signatures(["a b c d e f", "a b c d e g"])
    >>> lsh.insert("a", sigs[0])
    >>> lsh.query(sigs[0])
    ['a']
    """

    __slots__ = ("threshold", "num_perm", "bands", "rows", "_tables", "_keys")

    def __init__(
        self,
        threshold: float = 0.8,
        num_perm: int = 128,
        *,
        bands: int | None = None,
        rows: int | None = None,
    ) -> None:
        if isinstance(threshold, bool) or not isinstance(threshold, (int, float)):
            raise TypeError(f"threshold must be a number, not {type(threshold).__name__}")
        if not 0.0 < threshold <= 1.0:
            raise ValueError(f"threshold must be in (0, 1], got {threshold}")
        for name, v in (("num_perm", num_perm), ("bands", bands), ("rows", rows)):
            if v is not None and (isinstance(v, bool) or not isinstance(v, int)):
                raise TypeError(f"{name} must be an int, not {type(v).__name__}")
            if v is not None and v < 1:
                raise ValueError(f"{name} must be at least 1, got {v}")
        if (bands is None) != (rows is None):
            # One given: the other divides num_perm by it.
            name, v, other = ("bands", bands, "rows") if rows is None else ("rows", rows, "bands")
            if num_perm % v:
                raise ValueError(
                    f"num_perm ({num_perm}) is not a multiple of {name} ({v}): give {other}= "
                    f"too, or choose {name} dividing num_perm"
                )
            bands, rows = (v, num_perm // v) if name == "bands" else (num_perm // v, v)
        elif bands is not None and rows is not None and bands * rows > num_perm:
            raise ValueError(f"bands × rows = {bands * rows} exceeds num_perm = {num_perm}")
        self.threshold = float(threshold)
        self.num_perm = num_perm
        self.bands, self.rows = _core.lsh_params(float(threshold), num_perm, bands, rows)
        self._tables: list[dict[int, dict[Hashable, None]]] = [{} for _ in range(self.bands)]
        self._keys: dict[Hashable, tuple[int, ...]] = {}

    def _matrix(self, signatures: Any, name: str) -> np.ndarray:
        a = np.asarray(signatures)
        if a.ndim == 1:
            a = a.reshape(1, -1)
        if a.ndim != 2 or a.shape[1] != self.num_perm:
            raise ValueError(
                f"{name} must have num_perm = {self.num_perm} values per signature, "
                f"got shape {np.shape(signatures)}"
            )
        if a.dtype != np.uint32:
            if not np.issubdtype(a.dtype, np.integer):
                raise TypeError(f"{name} must hold integers (uint32), not {a.dtype}")
            if a.size and (a.min() < 0 or a.max() > _U32_MAX):
                raise ValueError(f"{name} values must be in [0, 2**32)")
            a = a.astype(np.uint32)
        return np.ascontiguousarray(a)

    def _band_keys(self, signature: Any, name: str = "signature") -> tuple[int, ...]:
        m = self._matrix(signature, name)
        if m.shape[0] != 1:
            raise ValueError(f"{name} must be one signature, got {m.shape[0]}")
        return tuple(_core.band_keys(m, self.bands, self.rows)[0].tolist())

    def insert(self, key: Hashable, signature: Any, check_duplication: bool = True) -> None:
        """Add ``key`` with its signature (a ``(num_perm,)`` array of uint32)."""
        if key in self._keys:
            if check_duplication:
                raise ValueError(f"key {key!r} is already in the LSH: remove it first")
            self.remove(key)
        self._add(key, self._band_keys(signature))

    def _add(self, key: Hashable, keys: tuple[int, ...]) -> None:
        self._keys[key] = keys
        for table, h in zip(self._tables, keys):
            table.setdefault(h, {})[key] = None

    def insert_many(self, keys: Iterable[Hashable], signatures: Any) -> None:
        """Add many keys at once: ``signatures`` is a ``(n, num_perm)`` array (band keys
        computed in one native call)."""
        keys = list(keys)
        m = self._matrix(signatures, "signatures")
        if m.shape[0] != len(keys):
            raise ValueError(f"keys has {len(keys)} items but signatures has {m.shape[0]} rows")
        if len(set(keys)) != len(keys) or any(k in self._keys for k in keys):
            raise ValueError("keys must be unique and not already in the LSH")
        for key, row in zip(keys, _core.band_keys(m, self.bands, self.rows).tolist()):
            self._add(key, tuple(row))

    def query(self, signature: Any) -> list[Hashable]:
        """Keys sharing at least one band with ``signature``."""
        found: dict[Hashable, None] = {}
        for table, h in zip(self._tables, self._band_keys(signature)):
            bucket = table.get(h)
            if bucket:
                found.update(bucket)
        return list(found)

    def remove(self, key: Hashable) -> None:
        """Remove ``key``; ``ValueError`` if it is not there (as datasketch)."""
        keys = self._keys.pop(key, None)
        if keys is None:
            raise ValueError(f"key {key!r} is not in the LSH")
        for table, h in zip(self._tables, keys):
            bucket = table[h]
            del bucket[key]
            if not bucket:
                del table[h]

    def keys(self) -> list[Hashable]:
        """Every key, in insertion order."""
        return list(self._keys)

    def is_empty(self) -> bool:
        return not self._keys

    def __contains__(self, key: object) -> bool:
        return key in self._keys

    def __len__(self) -> int:
        return len(self._keys)

    def __repr__(self) -> str:
        return (
            f"LSH(threshold={self.threshold}, num_perm={self.num_perm}, bands={self.bands}, "
            f"rows={self.rows}) with {len(self)} keys"
        )
