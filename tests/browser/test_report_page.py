"""The HTML report in a real browser (headless Chromium over the DevTools protocol).

Each page is checked against the JSON report of the same scan: which clusters the page holds
(the largest 1,000, each with its first 100 members: html::Limits::default()), and which of
them every search and filter must leave visible.
"""

from __future__ import annotations

import json
import re

import pytest

MAX_CLUSTERS = 1000
MAX_MEMBERS = 100
READY = "document.documentElement.getAttribute('data-filters') === 'ready'"
# What the user sees: a cluster is shown when it has a layout box.
VISIBLE = """Array.from(document.querySelectorAll('details.cl'))
    .filter(e => e.getClientRects().length > 0).map(e => e.id)"""
ARABIC = re.compile("[\u0600-\u06ff]")


# What the search ignores besides case and spacing: Arabic diacritics and tatweel.
MARKS = re.compile("[\u0610-\u061a\u0640\u064b-\u065f\u0670\u06d6-\u06ed]")


def norm(text: str) -> str:
    return " ".join(MARKS.sub("", text).split()).lower()


def page_items(report: dict) -> list[dict]:
    """The clusters the page holds, in page order, with what the filters compare."""
    items = []
    clusters = sorted(report["clusters"], key=lambda c: (-len(c["members"]), c["id"]))
    for c in clusters[:MAX_CLUSTERS]:
        members = c["members"][:MAX_MEMBERS]
        items.append(dict(
            dom=f"c{c['id']}", id=c["id"], kind=c["kind"], scope=c["scope"],
            bp=bool(c.get("boilerplate")), size=len(c["members"]),
            texts=[norm(m["text"]) for m in members],
            paths=[m["path"].lower() for m in members],
        ))
    passages = (report.get("passages") or {}).get("clusters", [])
    for c in passages[:MAX_CLUSTERS]:
        spans = c["spans"][:MAX_MEMBERS]
        items.append(dict(
            dom=f"p{c['id']}", id=c["id"], kind="passage", scope=c["scope"], bp=False,
            size=len(c["spans"]),
            texts=[norm(s["before"] + s["text"] + s["after"]) for s in spans],
            paths=[f"{s['path']}:{s['line']}".lower() for s in spans],
        ))
    return items


def open_report(page, scan) -> None:
    page.navigate(scan.url)
    page.wait_until(READY)


def shown(page) -> list[str]:
    return page.eval(VISIBLE)


def choose(page, name: str, value: str) -> None:
    page.eval(f"""(() => {{ const s = document.querySelector('#filters [name={name}]');
        s.value = {json.dumps(value)}; s.dispatchEvent(new Event('change')); }})()""")


def search(page, phrase: str) -> None:
    page.type_into("#filters [name=q]", phrase)
    # The search is debounced: wait until the page has applied this very text.
    page.wait_until(f"document.getElementById('count').getAttribute('data-q') === {json.dumps(phrase)}")


def count(page) -> int:
    return int(page.eval("document.getElementById('count').getAttribute('data-shown')"))


def a_phrase(items: list[dict], want_arabic: bool) -> str:
    """Four words from the middle of a member of a small cluster, in the script asked for."""
    for item in sorted(items, key=lambda i: (i["size"], i["id"])):
        if item["bp"]:
            continue
        for text in item["texts"]:
            words = text.split()
            if len(words) >= 12 and bool(ARABIC.search(text)) == want_arabic:
                mid = len(words) // 2
                return " ".join(words[mid:mid + 4])
    raise AssertionError("no paragraph long enough for a phrase")


def check_search(page, items: list[dict], phrase: str) -> None:
    expected = [i["dom"] for i in items if any(phrase in t for t in i["texts"])]
    search(page, phrase)
    assert expected, phrase
    assert len(expected) < len(items), f"{phrase!r} does not narrow anything"
    assert shown(page) == expected
    assert count(page) == len(expected)
    # Clearing the box shows everything again.
    search(page, "")
    assert count(page) == len(items)


# --------------------------------------------------------------------------------------------


def test_sample_report_opens_without_console_errors(page, sample):
    open_report(page, sample)
    items = page_items(sample.report)
    assert shown(page) == [i["dom"] for i in items]
    assert count(page) == len(items) == len(sample.report["clusters"])
    assert page.eval("document.querySelector('#filters').getClientRects().length") > 0
    assert page.errors() == []


def test_search_box_narrows_to_clusters_with_the_phrase(page, sample):
    open_report(page, sample)
    items = page_items(sample.report)
    check_search(page, items, a_phrase(items, want_arabic=False))
    check_search(page, items, a_phrase(items, want_arabic=True))
    # Case and spacing do not matter; a phrase found nowhere leaves nothing.
    phrase = a_phrase(items, want_arabic=False)
    search(page, "  " + phrase.upper().replace(" ", "   ") + " ")
    assert shown(page) == [i["dom"] for i in items if any(phrase in t for t in i["texts"])]
    # Arabic diacritics do not matter either way.
    check_search(page, items, "يوميا")
    search(page, "يومِيًّا")
    assert shown(page) == [i["dom"] for i in items if any("يوميا" in t for t in i["texts"])]
    search(page, "zzz-no-such-phrase-zzz")
    assert shown(page) == [] and count(page) == 0
    assert page.errors() == []


@pytest.mark.parametrize("which", ["sample", "sample_passages", "generated"])
def test_filters_and_counts_agree_with_the_json_report(page, which, request):
    scan = request.getfixturevalue(which)
    open_report(page, scan)
    items = page_items(scan.report)
    total = len(scan.report["clusters"]) + len(
        (scan.report.get("passages") or {}).get("clusters", []))
    assert page.eval("+document.getElementById('filters').getAttribute('data-in-report')") == total
    assert count(page) == len(items)
    filters = {
        "kind": {"exact": lambda i: i["kind"] == "exact", "near": lambda i: i["kind"] == "near",
                 "passage": lambda i: i["kind"] == "passage"},
        "scope": {"within": lambda i: i["scope"] == "within",
                  "across": lambda i: i["scope"] == "across"},
        "bp": {"1": lambda i: i["bp"], "0": lambda i: not i["bp"]},
    }
    for name, values in filters.items():
        for value, keep in values.items():
            choose(page, name, value)
            expected = [i["dom"] for i in items if keep(i)]
            assert shown(page) == expected, (name, value)
            assert count(page) == len(expected), (name, value)
        choose(page, name, "")
    # Filters combine.
    choose(page, "kind", "near")
    choose(page, "scope", "across")
    expected = [i["dom"] for i in items if i["kind"] == "near" and i["scope"] == "across"]
    assert shown(page) == expected
    choose(page, "kind", "")
    choose(page, "scope", "")
    # The article-path box keeps the clusters with a member in a matching article.
    path = items[-1]["paths"][0].split(":")[0]
    page.type_into("#filters [name=path]", path)
    expected = [i["dom"] for i in items if any(path in p for p in i["paths"])]
    page.wait_until(f"document.getElementById('count').getAttribute('data-shown') === '{len(expected)}'")
    assert shown(page) == expected
    assert page.errors() == []


def test_sort_by_size_or_by_first_appearance(page, generated):
    open_report(page, generated)
    items = page_items(generated.report)
    order = "Array.from(document.querySelectorAll('#clusters details.cl')).map(e => e.id)"
    assert page.eval(order) == [i["dom"] for i in items]
    choose(page, "sort", "first")
    assert page.eval(order) == [i["dom"] for i in sorted(items, key=lambda i: i["id"])]
    choose(page, "sort", "size")
    assert page.eval(order) == [i["dom"] for i in items]
    assert page.errors() == []


def test_generated_report_with_thousands_of_clusters(page, generated):
    assert len(generated.report["clusters"]) > 2000
    open_report(page, generated)
    items = page_items(generated.report)
    assert len(items) == MAX_CLUSTERS
    assert "of the report's" in page.eval("document.getElementById('count').textContent")
    check_search(page, items, a_phrase(items, want_arabic=True))
    check_search(page, items, a_phrase(items, want_arabic=False))
    assert page.errors() == []


def test_arabic_paragraphs_run_right_to_left(page, sample):
    open_report(page, sample)
    dirs = page.eval("""Array.from(document.querySelectorAll('td.text')).map(td =>
        [td.textContent, getComputedStyle(td).direction])""")
    arabic = [d for t, d in dirs if ARABIC.search(t[:20])]
    latin = [d for t, d in dirs if re.match(r"\s*[A-Za-z]", t)]
    assert arabic and set(arabic) == {"rtl"}
    assert latin and set(latin) == {"ltr"}


def test_page_reads_without_javascript(page, sample):
    page.send("Emulation.setScriptExecutionDisabled", value=True)
    page.navigate(sample.url)
    items = page_items(sample.report)
    assert page.eval("document.documentElement.getAttribute('data-filters')") is None
    # No dead controls; every cluster and its text are there.
    assert page.eval("document.getElementById('filters').getClientRects().length") == 0
    assert shown(page) == [i["dom"] for i in items]
    body = page.eval("document.body.innerText")
    assert items[0]["texts"][0].split()[0] in body.lower()
    assert page.errors() == []
