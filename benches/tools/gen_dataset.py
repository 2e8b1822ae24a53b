#!/usr/bin/env python3
"""Pack a `gen_corpus` directory into the dataset files of the issue-15 benchmarks.

    gen_dataset.py documents CORPUS_DIR OUT_STEM [--copy-rate 0.05] [--seed 1]
        -> OUT_STEM.parquet and OUT_STEM.jsonl.zst: one record per article
           {"id", "url", "date", "text"}, the text its paragraphs joined by blank lines,
           plus a share of near-duplicate copies (a few words edited), shuffled.
    gen_dataset.py paragraphs CORPUS_DIR OUT.jsonl
        -> one record {"id", "text"} per paragraph (every non-empty line), in walk order.

Needs pyarrow (documents only) and the `zstd` command. Deterministic for a seed.
"""
import json
import os
import random
import subprocess
import sys


def articles(corpus):
    for lang in ("en", "ar"):
        top = os.path.join(corpus, lang)
        if not os.path.isdir(top):
            continue
        for site in sorted(os.listdir(top)):
            d = os.path.join(top, site)
            for name in sorted(os.listdir(d)):
                with open(os.path.join(d, name), encoding="utf-8") as f:
                    paras = [l.strip() for l in f if l.strip()]
                yield f"{lang}/{site}/{name}", paras


def edit(words, rng, rate):
    words = list(words)
    for _ in range(max(1, int(len(words) * rate))):
        i = rng.randrange(len(words))
        words[i] = words[rng.randrange(len(words))]
    return words


def documents(corpus, stem, copy_rate, seed):
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = random.Random(seed)
    rows = []
    for path, paras in articles(corpus):
        rows.append((path, paras))
        if rng.random() < copy_rate:
            # A republished article: 1-2% of its words replaced, so the copy stays well
            # above a 0.8 Jaccard of word 3-grams with the original.
            copy = [" ".join(edit(p.split(), rng, 0.01)) if rng.random() < 0.3 else p for p in paras]
            rows.append((path + "+copy", copy))
    rng.shuffle(rows)
    ids, urls, dates, texts = [], [], [], []
    for i, (path, paras) in enumerate(rows):
        ids.append(f"doc-{i:07d}")
        urls.append(f"https://news.example/{path}")
        dates.append(f"2026-{1 + i % 12:02d}-{1 + i % 28:02d}")
        texts.append("\n\n".join(paras))
    table = pa.table({"id": ids, "url": urls, "date": dates, "text": texts})
    pq.write_table(table, stem + ".parquet", row_group_size=10_000, compression="zstd")
    with subprocess.Popen(["zstd", "-q", "-f", "-3", "-o", stem + ".jsonl.zst"], stdin=subprocess.PIPE) as z:
        for i in range(len(ids)):
            line = json.dumps({"id": ids[i], "url": urls[i], "date": dates[i], "text": texts[i]}, ensure_ascii=False)
            z.stdin.write(line.encode("utf-8") + b"\n")
        z.stdin.close()
    print(f"{len(rows)} documents, {sum(len(t.encode()) for t in texts)} bytes of text")


def paragraphs(corpus, out):
    n = 0
    with open(out, "w", encoding="utf-8") as f:
        for path, paras in articles(corpus):
            for j, p in enumerate(paras):
                f.write(json.dumps({"id": f"{path}#{j}", "text": p}, ensure_ascii=False) + "\n")
                n += 1
    print(f"{n} paragraph records")


def main(argv):
    if len(argv) >= 3 and argv[0] == "documents":
        opts = dict(zip(argv[3::2], argv[4::2]))
        documents(argv[1], argv[2], float(opts.get("--copy-rate", 0.05)), int(opts.get("--seed", 1)))
    elif len(argv) == 3 and argv[0] == "paragraphs":
        paragraphs(argv[1], argv[2])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
