"""Every error: its class, its message naming the file or parameter; panics and Ctrl-C."""

from __future__ import annotations

import _thread
import errno
import os
import shutil
import signal
import threading
import time
from pathlib import Path

import numpy as np
import pytest

import neardup
from neardup import _core
from conftest import SAMPLE


def test_io_errors_are_oserrors_with_the_path(tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    with pytest.raises(neardup.NeardupOSError) as e:
        neardup.scan(missing)
    assert isinstance(e.value, OSError) and isinstance(e.value, neardup.NeardupError)
    assert e.value.errno == errno.ENOENT and str(missing) in e.value.filename
    assert str(missing) in str(e.value)


def test_bad_input_names_the_file_and_lossy_goes_on(tmp_path: Path) -> None:
    (tmp_path / "bad.txt").write_bytes(b"caf\xe9 au lait\n")
    with pytest.raises(neardup.InputError, match="bad.txt.*invalid UTF-8") as e:
        neardup.scan(tmp_path)
    assert isinstance(e.value, ValueError) and e.value.path.endswith("bad.txt")
    assert neardup.scan(tmp_path, lossy=True).stats["documents"] == 1
    kept = neardup.scan(tmp_path, keep_going=True)
    # Named as given (the directory as typed joined with the path below it), as the CLI does.
    assert kept.skipped[0]["path"] == (tmp_path / "bad.txt").as_posix()


def test_bad_parameters_are_value_errors_naming_them() -> None:
    for bad in (0, 1.5, -1):
        with pytest.raises(neardup.InvalidParameterError, match="threshold"):
            neardup.scan_texts(["x"], threshold=bad)
    with pytest.raises(ValueError, match="exceeds num-perm"):
        neardup.scan(SAMPLE, bands=64, rows=4)
    with pytest.raises(ValueError, match="both"):
        neardup.scan_texts(["x"], bands=4)
    with pytest.raises(ValueError, match="split"):
        neardup.scan_texts(["x"], split="words")
    with pytest.raises(ValueError, match="verify"):
        neardup.scan_texts(["x"], verify="maybe")
    with pytest.raises(TypeError, match="num_perm"):
        neardup.scan_texts(["x"], num_perm="many")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="num-perm"):
        neardup.MinHasher(num_perm=0)


def test_bad_texts_are_type_and_value_errors() -> None:
    with pytest.raises(TypeError, match=r"texts\[1\] must be str, not int"):
        neardup.scan_texts(["a", 3])
    with pytest.raises(TypeError, match=r"texts\[0\] must be str, not NoneType"):
        neardup.MinHasher().signatures([None])
    with pytest.raises(TypeError, match="texts must be an iterable of str, not None"):
        neardup.scan_texts(None)
    with pytest.raises(TypeError, match="single str"):
        neardup.scan_texts("abc")
    with pytest.raises(TypeError, match="texts must be an iterable of str, not int"):
        neardup.MinHasher().signatures(5)
    with pytest.raises(ValueError, match="ids has 1 items but texts has 2"):
        neardup.scan_texts(["a", "b"], ids=["x"])
    with pytest.raises(TypeError, match=r"ids\[1\]"):
        neardup.scan_texts(["a", "b"], ids=["x", 2])
    with pytest.raises(ValueError, match="two documents are named"):
        neardup.scan_texts(["a", "b"], ids=["x", "x"])
    with pytest.raises(TypeError, match="text must be str"):
        neardup.normalize(b"bytes")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="paths"):
        neardup.scan(None)  # type: ignore[arg-type]
    import pyarrow as pa

    with pytest.raises(TypeError, match=r"texts\[1\] must be str, not NoneType"):
        neardup.scan_texts(pa.array(["a", None]))
    with pytest.raises(TypeError, match=r"texts must hold strings, not Arrow Int64"):
        neardup.scan_texts(pa.array([1, 2]))
    with pytest.raises(TypeError, match=r"ids\[0\] must be str, not NoneType"):
        neardup.scan_texts(["a"], ids=pa.array([None], pa.string()))


def test_arrow_strings_are_read_natively_with_the_lists_results() -> None:
    import pyarrow as pa

    texts = ["same words here again", "other words", "same words here again", "عربي نص هنا"]
    ids = ["d", "c", "b", "a"]
    want = neardup.scan_texts(texts, ids=ids).to_json()
    for kind in (pa.string(), pa.large_string(), pa.string_view()):
        arrow_texts, arrow_ids = pa.array(texts, kind), pa.array(ids, kind)
        assert neardup.scan_texts(arrow_texts, ids=arrow_ids).to_json() == want, kind
    chunked = pa.chunked_array([texts[:1], texts[1:]])
    assert neardup.scan_texts(chunked, ids=ids).to_json() == want
    assert neardup.scan_texts(pa.chunked_array([], pa.string())).stats["documents"] == 0
    sliced = pa.array(["x"] + texts)[1:]  # an offset into the buffers
    assert neardup.scan_texts(sliced, ids=ids).to_json() == want
    h = neardup.MinHasher()
    assert np.array_equal(h.signatures(pa.array(texts)), h.signatures(texts))


def test_index_errors(tmp_path: Path) -> None:
    shutil.copytree(SAMPLE, tmp_path / "corpus")
    idx = tmp_path / "idx"
    with neardup.IndexWriter.create(idx) as w:
        w.add_paths([tmp_path / "corpus"])
        with pytest.raises(neardup.IndexLockedError, match="locked") as e:
            neardup.IndexWriter.open(idx)
        assert e.value.path == str(idx)
    assert w.closed
    with pytest.raises(ValueError, match="closed"):
        w.compact()
    neardup.IndexWriter.open(idx).close()  # the lock was released
    with pytest.raises(neardup.IndexUsageError, match="already holds an index"):
        neardup.IndexWriter.create(idx)
    with pytest.raises(neardup.IndexUsageError, match="passage"):
        neardup.Index.open(idx).query("some text", passages=True)
    with pytest.raises(ValueError, match="limit"):
        neardup.Index.open(idx).query("x", limit=-1)
    with pytest.raises(neardup.IndexUsageError, match="no index here"):
        neardup.Index.open(tmp_path / "nothing-here")
    segment = next(p for p in idx.iterdir() if p.suffix == ".ndx")
    data = bytearray(segment.read_bytes())
    data[0:8] = b"GARBAGE!"
    os.chmod(segment, 0o644)
    segment.write_bytes(bytes(data))
    with pytest.raises(neardup.IndexCorruptError) as e:
        neardup.Index.open(idx)
    assert segment.name in str(e.value) and isinstance(e.value, neardup.NeardupError)


def test_a_panic_becomes_an_exception() -> None:
    with pytest.raises(neardup.InternalError, match="injected panic"):
        _core._panic_for_tests()
    # The interpreter and the pools still work.
    assert neardup.scan_texts(["a b c", "a b c"], threads=2).stats["clusters"] == 1


def _corpus(tmp_path: Path) -> Path:
    d = tmp_path / "more"
    d.mkdir()
    for i in range(6):
        (d / f"{i}.txt").write_text(f"Article {i} has its own words, {i} times over.\n")
    return d


@pytest.mark.parametrize("how", ["callback", "signal"])
def test_ctrl_c_during_add_paths_leaves_the_last_commit(tmp_path: Path, how: str) -> None:
    idx = tmp_path / "idx"
    with neardup.IndexWriter.create(idx) as w:
        w.add_texts(["First commit."], ["first.txt"])
    manifest = (idx / "manifest.json").read_bytes()
    more = _corpus(tmp_path)
    calls = []
    # Python's own SIGINT behaviour, recorded: the callback waits until the main thread (which
    # waits in Rust, checking for signals) has run the handler, however loaded the machine.
    handled = threading.Event()

    def on_sigint(signum: int, frame: object) -> None:
        handled.set()
        raise KeyboardInterrupt

    def progress(done: int, total: int) -> None:
        calls.append((done, total))
        if done == 2:
            if how == "callback":
                raise KeyboardInterrupt
            _thread.interrupt_main()  # Ctrl-C, seen by the waiting main thread
            assert handled.wait(timeout=30), "the main thread never ran the SIGINT handler"
            time.sleep(0.5)  # and, after the handler, stored the stop the next batch reads

    previous = signal.signal(signal.SIGINT, on_sigint)
    try:
        with neardup.IndexWriter.open(idx) as w:
            with pytest.raises(KeyboardInterrupt):
                # One file per batch.
                w._add_paths([more], False, False, 1, 0, progress)
    finally:
        signal.signal(signal.SIGINT, previous)
    assert calls[-1][0] <= 3, calls
    assert (idx / "manifest.json").read_bytes() == manifest
    assert neardup.Index.open(idx).stats()["documents"] == 1
    with neardup.IndexWriter.open(idx) as w:  # not locked, and the add works
        assert w.add_paths([more]).added == 6
    names = sorted(p.name for p in idx.iterdir())
    assert len([n for n in names if n.endswith(".ndx")]) == 2, names


def test_the_kernel_of_a_signature_does_not_matter() -> None:
    # Signatures are a pure function of text and parameters: same in one call or many.
    texts = [f"word{i} word{i + 1} word{i + 2} word{i + 3}" for i in range(500)]
    h = neardup.MinHasher()
    assert np.array_equal(h.signatures(texts, threads=1), np.vstack([h.signature(t) for t in texts]))
