"""Exceptions raised by neardup. Every one is a :class:`NeardupError`.

The native module raises these classes (it imports this module by name), with the library's
messages, which are the command line's.
"""

from __future__ import annotations


class NeardupError(Exception):
    """Base class of every neardup error. ``path`` names the file or directory concerned,
    when there is one."""

    path: str | None = None


class NeardupOSError(NeardupError, OSError):
    """Reading or writing a file or directory failed; ``filename`` and ``errno`` are set."""


class InputError(NeardupError, ValueError):
    """An input is not valid UTF-8 (pass ``lossy=True``) or a record is malformed
    (pass ``keep_going=True`` to skip it)."""


class InvalidParameterError(NeardupError, ValueError):
    """A parameter is out of range, or parameters contradict each other."""


class IndexCorruptError(NeardupError):
    """An index file is damaged, truncated or of another format version."""


class IndexLockedError(NeardupError):
    """Another writer holds the index's lock (readers need none)."""


class IndexUsageError(NeardupError, ValueError):
    """The index cannot be used as asked (other parameters, no passage fingerprints, ...)."""


class InternalError(NeardupError):
    """A bug in neardup (a Rust panic, caught at the boundary): please report it."""


__all__ = [
    "NeardupError",
    "NeardupOSError",
    "InputError",
    "InvalidParameterError",
    "IndexCorruptError",
    "IndexLockedError",
    "IndexUsageError",
    "InternalError",
]
