#!/usr/bin/env python3
"""Side-by-side MinHash + LSH near-duplicate clustering with reference libraries.

Reads a corpus written by `cargo run --release --example gen_corpus` (one article
per .txt file under DIR/{en,ar}/site-NN/, one paragraph per non-empty line) and
runs the same pipeline with one library:

  read       walk DIR/en and DIR/ar in sorted order, one paragraph per non-empty line
  tokenise   (pure Python, identical for every library) lowercase, delete every
             character matching [^\\w\\s] (punctuation, symbols and combining marks
             such as Arabic harakat), split on whitespace, word 3-gram shingles
             joined by one space (a paragraph of 1-2 words is one shingle; a
             paragraph with no word left is not indexed)
  signatures MinHash, 128 permutations
  lsh        LSH 16 bands x 8 rows (threshold 0.8): insert everything, then query
             every paragraph for its candidates
  verify     keep candidate pairs whose estimated Jaccard (from the signatures)
             is >= 0.8
  cluster    union-find over the verified pairs; a cluster is a set of >= 2 paragraphs

With --exact-first an extra "exact" stage (pure Python) groups paragraphs whose shingle
lists are identical and only one representative of each group goes to the library; the
cluster stage then also unites every group's members. Without it, a group of n identical
paragraphs (shared footers, repeated leads) yields n(n-1)/2 candidate pairs that every
library returns, verifies and unions one by one.

Each stage's wall time is printed; the last line is one JSON object with all of it.

Library specifics (each library's fastest documented API that yields candidates):
  rensa       RMinHash.from_token_sets (batch, Rust, may use several threads),
              RMinHashLSH.insert_many + query_all, RMinHash.jaccard for verification
  rensa-flags RMinHash.digest_matrix_from_token_sets + RMinHashLSH
              .insert_matrix_and_query_duplicate_flags: rensa's fastest path, but it
              only says "has an LSH neighbour" per row (no pairs, no verification,
              no clusters); reported for reference only
  datasketch  MinHash.bulk over UTF-8 encoded shingles (encoding is timed in
              "signatures"), MinHashLSH(params=(16, 8)) filled in an
              insertion_session, MinHashLSH.query per paragraph, MinHash.jaccard
  gaoya       MinHash32StringIntIndexVec (32-bit hashes, 16 bands x 8 rows):
              par_bulk_insert_tokens computes signatures and inserts in one call
              (reported under "signatures", "lsh" is then query only);
              par_bulk_query_tokens recomputes the query signatures and returns only
              candidates whose estimated Jaccard >= 0.8, so "verify" is only
              collecting pairs

Usage: python compare.py --lib {rensa,rensa-flags,datasketch,gaoya} [--exact-first] DIR
"""

import argparse
import json
import os
import re
import sys
import time

NUM_PERM = 128
BANDS = 16
ROWS = 8
THRESHOLD = 0.8
SHINGLE = 3
SEED = 42

_STRIP = re.compile(r"[^\w\s]+")


def read_corpus(root):
    paragraphs = []
    for lang in ("en", "ar"):
        base = os.path.join(root, lang)
        if not os.path.isdir(base):
            continue
        for site in sorted(os.listdir(base)):
            sdir = os.path.join(base, site)
            if not os.path.isdir(sdir):
                continue
            for name in sorted(os.listdir(sdir)):
                if not name.endswith(".txt"):
                    continue
                with open(os.path.join(sdir, name), encoding="utf-8") as f:
                    for line in f:
                        line = line.strip()
                        if line:
                            paragraphs.append(line)
    return paragraphs


def shingles(text):
    words = _STRIP.sub("", text.lower()).split()
    if len(words) < SHINGLE:
        return [" ".join(words)] if words else []
    return [" ".join(words[i : i + SHINGLE]) for i in range(len(words) - SHINGLE + 1)]


class UnionFind:
    def __init__(self, n):
        self.parent = list(range(n))

    def find(self, x):
        parent = self.parent
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(self, a, b):
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            if ra < rb:
                self.parent[rb] = ra
            else:
                self.parent[ra] = rb


def run_rensa(tokens, timer):
    from rensa import RMinHash, RMinHashLSH

    mhs = RMinHash.from_token_sets(tokens, num_perm=NUM_PERM, seed=SEED)
    timer("signatures")
    lsh = RMinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM, num_bands=BANDS)
    lsh.insert_many(mhs, 0)
    candidates = lsh.query_all(mhs)
    timer("lsh")
    pairs = []
    n_cand = 0
    for i, cand in enumerate(candidates):
        mi = mhs[i]
        for j in cand:
            if j > i:
                n_cand += 1
                if mi.jaccard(mhs[j]) >= THRESHOLD:
                    pairs.append((i, j))
    timer("verify")
    return pairs, n_cand


def run_rensa_flags(tokens, timer):
    from rensa import RMinHash, RMinHashLSH

    matrix = RMinHash.digest_matrix_from_token_sets(tokens, num_perm=NUM_PERM, seed=SEED)
    timer("signatures")
    lsh = RMinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM, num_bands=BANDS)
    flags = lsh.insert_matrix_and_query_duplicate_flags(matrix, 0)
    timer("lsh")
    return None, sum(1 for f in flags if f)


def run_datasketch(tokens, timer):
    from datasketch import MinHash, MinHashLSH

    encoded = [[s.encode("utf-8") for s in t] for t in tokens]
    mhs = MinHash.bulk(encoded, num_perm=NUM_PERM, seed=SEED)
    del encoded
    timer("signatures")
    lsh = MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM, params=(BANDS, ROWS))
    with lsh.insertion_session() as session:
        for i, m in enumerate(mhs):
            session.insert(i, m, check_duplication=False)
    candidates = [lsh.query(m) for m in mhs]
    timer("lsh")
    pairs = []
    n_cand = 0
    for i, cand in enumerate(candidates):
        mi = mhs[i]
        for j in cand:
            if j > i:
                n_cand += 1
                if mi.jaccard(mhs[j]) >= THRESHOLD:
                    pairs.append((i, j))
    timer("verify")
    return pairs, n_cand


def run_gaoya(tokens, timer):
    from gaoya.gaoya import minhash as gm

    index = gm.MinHash32StringIntIndexVec(THRESHOLD, BANDS, ROWS, None, "word", False, None)
    index.par_bulk_insert_tokens(list(range(len(tokens))), tokens)
    timer("signatures")
    results = index.par_bulk_query_tokens(tokens)
    timer("lsh")
    pairs = []
    for i, res in enumerate(results):
        for j in res:
            if j > i:
                pairs.append((i, j))
    timer("verify")
    return pairs, None


RUNNERS = {
    "rensa": run_rensa,
    "rensa-flags": run_rensa_flags,
    "datasketch": run_datasketch,
    "gaoya": run_gaoya,
}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lib", required=True, choices=sorted(RUNNERS))
    ap.add_argument("--exact-first", action="store_true", help="collapse identical shingle lists before MinHash")
    ap.add_argument("corpus")
    args = ap.parse_args()

    stages = {}
    start = time.perf_counter()
    last = [start]

    def timer(name):
        now = time.perf_counter()
        stages[name] = now - last[0]
        last[0] = now

    paragraphs = read_corpus(args.corpus)
    timer("read")
    tokenised = [shingles(p) for p in paragraphs]
    # Paragraphs with no word left are not indexed; `ids` maps back to paragraph numbers.
    ids = [i for i, t in enumerate(tokenised) if t]
    tokens = [tokenised[i] for i in ids]
    del tokenised
    n_shingles = sum(len(t) for t in tokens)
    timer("tokenise")

    # reps[r] = index (into `tokens`) of representative r; rep_of[k] = r for token list k
    rep_of = None
    if args.exact_first:
        first = {}
        rep_of = []
        reps = []
        for k, t in enumerate(tokens):
            key = "\n".join(t)
            r = first.get(key)
            if r is None:
                first[key] = r = len(reps)
                reps.append(k)
            rep_of.append(r)
        del first
        all_tokens, tokens = tokens, [tokens[k] for k in reps]
        timer("exact")

    pairs, n_cand = RUNNERS[args.lib](tokens, timer)

    if rep_of is not None:
        tokens = all_tokens
    result = {
        "lib": args.lib + ("+exact" if args.exact_first else ""),
        "paragraphs": len(paragraphs),
        "indexed": len(tokens),
        "shingles": n_shingles,
        "text_bytes": sum(len(p.encode("utf-8")) for p in paragraphs),
    }
    if rep_of is not None:
        result["distinct_token_lists"] = len(reps)
    if pairs is None:
        result["flagged_rows"] = n_cand
        last[0] = time.perf_counter()  # the byte count above is not a stage
    else:
        last[0] = time.perf_counter()
        uf = UnionFind(len(tokens))
        if rep_of is None:
            for a, b in pairs:
                uf.union(a, b)
        else:
            for a, b in pairs:  # pairs are between representatives
                uf.union(reps[a], reps[b])
            for k, r in enumerate(rep_of):
                if reps[r] != k:
                    uf.union(reps[r], k)
        sizes = {}
        for i in range(len(tokens)):
            r = uf.find(i)
            sizes[r] = sizes.get(r, 0) + 1
        clusters = [s for s in sizes.values() if s >= 2]
        timer("cluster")
        result.update(
            candidate_pairs=n_cand,
            verified_pairs=len(pairs),
            clusters=len(clusters),
            clustered_paragraphs=sum(clusters),
            largest_cluster=max(clusters) if clusters else 0,
        )
    total = sum(stages.values())
    result["stages_s"] = {k: round(v, 3) for k, v in stages.items()}
    result["total_s"] = round(total, 3)
    for k, v in stages.items():
        print(f"{k:>10}: {v:8.3f} s", file=sys.stderr)
    print(f"{'total':>10}: {total:8.3f} s", file=sys.stderr)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
