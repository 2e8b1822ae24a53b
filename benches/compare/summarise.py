#!/usr/bin/env python3
"""Turns run.sh's TSV into a Markdown table: per tool, the run with the median wall time.

  python3 benches/compare/summarise.py /tmp/cmp-results.tsv [NEARDUP_REPORT.json ...]

Cluster counts for neardup come from the `stats` of the JSON reports given (matched to
the tool name by the file name: *estimate* -> neardup-estimate, otherwise neardup).
"""

import csv
import json
import sys


def main():
    rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
    neardup_stats = {}
    for path in sys.argv[2:]:
        tool = "neardup-estimate" if "estimate" in path else "neardup"
        neardup_stats[tool] = json.load(open(path))["stats"]
    by_tool = {}
    for r in rows:
        by_tool.setdefault(r["tool"], []).append(r)
    print(
        "| tool | runs | read s | tokenise s | exact s | signatures s | LSH s | verify s | cluster s "
        "| wall s (median) | wall s (all runs) | peak RSS MB | clusters | paragraphs in clusters |"
    )
    print("|" + "---|" * 14)
    for tool, rs in by_tool.items():
        rs.sort(key=lambda r: float(r["wall_s"]))
        med = rs[len(rs) // 2]
        walls = ", ".join(f'{float(r["wall_s"]):.2f}' for r in sorted(rs, key=lambda r: int(r["run"])))
        rss = float(med["max_rss_kb"]) / 1024
        st = {}
        clusters = members = "—"
        if med["result_json"].startswith("{"):
            res = json.loads(med["result_json"])
            st = res["stages_s"]
            if "clusters" in res:
                clusters, members = res["clusters"], res["clustered_paragraphs"]
            else:
                clusters = f'({res["flagged_rows"]} rows flagged)'
        elif tool in neardup_stats:
            clusters = neardup_stats[tool]["clusters"]
            members = neardup_stats[tool]["paragraphs_in_clusters"]

        def s(k):
            return f"{st[k]:.2f}" if k in st else "—"

        print(
            f"| {tool} | {len(rs)} | {s('read')} | {s('tokenise')} | {s('exact')} | {s('signatures')} | {s('lsh')} "
            f"| {s('verify')} | {s('cluster')} | {float(med['wall_s']):.2f} | {walls} | {rss:.0f} "
            f"| {clusters} | {members} |"
        )


if __name__ == "__main__":
    main()
