"""Fixtures of the browser tests: the neardup binary, Chromium, and the reports they read.

The binaries come from environment variables that tests/run-all sets after its release
build: NEARDUP_BIN (target/release/neardup) and NEARDUP_GEN_CORPUS (the gen_corpus example).
Chromium is Debian's (/usr/bin/chromium, or $CHROMIUM): when it is missing the tests fail
under CI=true and are skipped, saying so, otherwise.
"""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from cdp import Chromium, find_chromium

ROOT = Path(__file__).resolve().parents[2]
# Paragraphs of the generated corpus: about 3,000 clusters, so the page holds its limit of
# 1,000 and says how many it leaves out.
GENERATED_PARAGRAPHS = 60_000


def _binary(var: str, default: Path) -> Path:
    path = Path(os.environ.get(var, default))
    if not path.is_file():
        pytest.fail(
            f"{path} not found: build it (cargo build --release --bin neardup --example "
            f"gen_corpus) or set {var}; tests/run-all does both"
        )
    return path


@pytest.fixture(scope="session")
def neardup_bin() -> Path:
    return _binary("NEARDUP_BIN", ROOT / "target/release/neardup")


@pytest.fixture(scope="session")
def browser():
    exe = find_chromium()
    if exe is None:
        message = "Chromium is not installed (apt-get install chromium); browser tests not run"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    chromium = Chromium(exe)
    yield chromium
    chromium.close()


@pytest.fixture
def page(browser):
    p = browser.new_page()
    yield p
    p.close()


@dataclass
class Scan:
    """One scan written both as HTML (the page under test) and JSON (the truth)."""

    html: Path
    report: dict

    @property
    def url(self) -> str:
        return self.html.as_uri()


def scan(neardup: Path, out: Path, corpus: Path, *extra: str) -> Scan:
    out.mkdir(parents=True, exist_ok=True)
    for fmt in ("html", "json"):
        subprocess.run(
            [str(neardup), "scan", str(corpus), *extra, "--format", fmt,
             "-o", str(out / f"report.{fmt}"), "-q"],
            check=True,
        )
    return Scan(out / "report.html", json.loads((out / "report.json").read_text("utf-8")))


@pytest.fixture(scope="session")
def sample(neardup_bin, tmp_path_factory) -> Scan:
    """`neardup scan corpora/sample --format html` (and json)."""
    return scan(neardup_bin, tmp_path_factory.mktemp("sample"), ROOT / "corpora/sample")


@pytest.fixture(scope="session")
def sample_passages(neardup_bin, tmp_path_factory) -> Scan:
    """The sample with --passages, for the passage kind."""
    return scan(neardup_bin, tmp_path_factory.mktemp("sample-passages"),
                ROOT / "corpora/sample", "--passages")


@pytest.fixture(scope="session")
def generated(neardup_bin, tmp_path_factory) -> Scan:
    """A generated corpus (seed 1) with thousands of clusters, Arabic and English."""
    gen = _binary("NEARDUP_GEN_CORPUS", ROOT / "target/release/examples/gen_corpus")
    base = tmp_path_factory.mktemp("generated")
    corpus = base / "corpus"
    subprocess.run(
        [str(gen), "--out", str(corpus), "--paragraphs", str(GENERATED_PARAGRAPHS),
         "--seed", "1"],
        check=True, stdout=subprocess.DEVNULL,
    )
    return scan(neardup_bin, base / "out", corpus)
