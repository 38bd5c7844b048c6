"""The Python half of scripts/bench-minhash: datasketch's MinHash and MinHashLSH over
the shingles the Rust half wrote, with the same permutations and threshold, timed the
same way (signatures, insert every text, query every text; best of three), and its
recall against the same exact-Jaccard truth. Prints one JSON line."""

import json
import sys
import time

from datasketch import MinHash, MinHashLSH

THRESHOLD = 0.3
PERMUTATIONS = 64


def main(directory):
    with open(f"{directory}/shingles.jsonl", encoding="utf-8") as f:
        sets = [[s.encode("utf-8") for s in json.loads(line)] for line in f]
    with open(f"{directory}/truth.txt", encoding="utf-8") as f:
        truth = [tuple(map(int, line.split())) for line in f if line.strip()]
    best, found = float("inf"), set()
    for _ in range(3):
        started = time.perf_counter()
        sigs = []
        for s in sets:
            m = MinHash(num_perm=PERMUTATIONS, seed=1)
            m.update_batch(s)
            sigs.append(m)
        lsh = MinHashLSH(threshold=THRESHOLD, num_perm=PERMUTATIONS)
        for i, m in enumerate(sigs):
            lsh.insert(i, m)
        pairs = set()
        for i, m in enumerate(sigs):
            for j in lsh.query(m):
                if j != i:
                    pairs.add((min(i, j), max(i, j)))
        best = min(best, time.perf_counter() - started)
        found = pairs
    hit = sum(1 for p in truth if p in found)
    print(json.dumps({
        "docs": len(sets),
        "seconds": best,
        "recall": hit / len(truth) if truth else 1.0,
        "candidate_pairs": len(found),
        "bands_rows": [lsh.b, lsh.r],
    }))


if __name__ == "__main__":
    main(sys.argv[1])
