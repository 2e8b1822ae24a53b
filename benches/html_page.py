#!/usr/bin/env python3
"""Benchmark (not a test): how fast the HTML report of a large scan opens and answers in
headless Chromium.

    .venv/bin/python benches/html_page.py [PARAGRAPHS] [RUNS] [SCAN FLAGS...]
                                          default 400000 5; e.g. 400000 5 --passages

Generates the corpus like benches/e2e.sh (gen_corpus --seed 1, into $NEARDUP_BENCH_DIR,
default /tmp/neardup-bench, reused when there), writes `neardup scan DIR [SCAN FLAGS]
--format html`,
then opens the page RUNS times, each in a fresh tab of one headless Chromium, and prints the
medians of:
  load      navigation start -> load event (the page is parsed, laid out and its script run)
  ready     navigation start -> the filter script has indexed the page's clusters and shown
            the form (html[data-filters=ready]): the page is interactive
  search1   the first search (it builds the text index), measured inside the page
  search2   a second search, inside the page
  filter    a kind filter change, inside the page
The search box itself waits 150 ms after the last keystroke (debounce); not included above.
Needs target/release/neardup and gen_corpus (cargo build --release --bin neardup --example
gen_corpus), Chromium (apt-get install chromium) and websocket-client (.venv of tests/run-all).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests/browser"))
from cdp import Chromium, find_chromium  # noqa: E402

IN_PAGE = """(() => {
  const f = document.getElementById('filters'), q = f.elements.q;
  const t0 = performance.now();
  q.value = %s; f.dispatchEvent(new Event('submit', {cancelable: true}));
  return [performance.now() - t0, +document.getElementById('count').getAttribute('data-shown')];
})()"""
FILTER = """(() => {
  const s = document.getElementById('filters').elements.kind, t0 = performance.now();
  s.value = 'near'; s.dispatchEvent(new Event('change'));
  return [performance.now() - t0, +document.getElementById('count').getAttribute('data-shown')];
})()"""


def main() -> int:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 400_000
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    base = Path(os.environ.get("NEARDUP_BENCH_DIR", "/tmp/neardup-bench"))
    corpus = base / f"corpus-{n}"
    if not (corpus / "labels.json").exists():
        subprocess.run([str(ROOT / "target/release/examples/gen_corpus"), "--out", str(corpus),
                        "--paragraphs", str(n), "--seed", "1"], check=True,
                       stdout=subprocess.DEVNULL)
    flags = sys.argv[3:]
    html = base / f"report-{n}{''.join(flags)}.html"
    subprocess.run([str(ROOT / "target/release/neardup"), "scan", str(corpus), *flags,
                    "--format", "html", "-o", str(html), "-q"], check=True)
    print(f"{html}: {html.stat().st_size / 1e6:.1f} MB")
    exe = find_chromium()
    if exe is None:
        print("Chromium is missing: apt-get install chromium", file=sys.stderr)
        return 2
    browser = Chromium(exe)
    rows = []
    try:
        for _ in range(runs):
            page = browser.new_page()
            t0 = time.perf_counter()
            page.navigate(html.as_uri(), timeout=600)
            load = time.perf_counter() - t0
            page.wait_until("document.documentElement.getAttribute('data-filters') === 'ready'",
                            timeout=600)
            ready = time.perf_counter() - t0
            s1, hits1 = page.eval(IN_PAGE % '"the"')
            s2, hits2 = page.eval(IN_PAGE % '"في"')
            fl, near = page.eval(FILTER)
            errors = page.errors()
            page.close()
            assert not errors, errors
            rows.append((load, ready, s1 / 1e3, s2 / 1e3, fl / 1e3))
            print(f"load {load:.2f} s  ready {ready:.2f} s  search1 {s1:.0f} ms ({hits1} shown)  "
                  f"search2 {s2:.0f} ms ({hits2})  filter {fl:.0f} ms ({near})")
    finally:
        browser.close()
    med = [statistics.median(col) for col in zip(*rows)]
    print(f"median of {runs}: load {med[0]:.2f} s, ready {med[1]:.2f} s, first search "
          f"{med[2] * 1e3:.0f} ms, second search {med[3] * 1e3:.0f} ms, filter "
          f"{med[4] * 1e3:.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
