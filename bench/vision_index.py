"""Exact versus HNSW search in the visual index (usearch, cosine, half precision), by index size.

    .venv/bin/python bench/vision_index.py [--sizes 10000,50000,200000] [--queries 200]

Prints, for each size, the time to add the vectors, and p50/p99 per query of an exact scan and of
HNSW (the settings of `shoppable/storage/vision/index.py`), with HNSW's recall@10 against the exact
answer. The vectors are random unit vectors with a cluster structure (products of one kind look
alike), which is harder for HNSW than uniform noise. This is what `EXACT_BELOW` was chosen from.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from shoppable.storage.vision.embedder import DIMENSIONS
from shoppable.storage.vision.index import _new_index


def vectors(n: int, rng: np.random.Generator) -> np.ndarray:
    centres = rng.standard_normal((max(n // 50, 1), DIMENSIONS)).astype(np.float32)
    data = centres[rng.integers(0, len(centres), n)] + 0.6 * rng.standard_normal((n, DIMENSIONS)).astype(
        np.float32
    )
    return data / np.linalg.norm(data, axis=1, keepdims=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10000,50000")
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    rng = np.random.default_rng(1)
    print(f"command: {' '.join(sys.argv)}")
    for size in (int(s) for s in args.sizes.split(",")):
        data = vectors(size, rng)
        index = _new_index()
        started = time.perf_counter()
        index.add(np.arange(size, dtype=np.uint64), data, threads=1)
        added = time.perf_counter() - started
        queries = data[rng.integers(0, size, args.queries)] + 0.3 * rng.standard_normal(
            (args.queries, DIMENSIONS)
        ).astype(np.float32)
        exact_ms, hnsw_ms, recalls = [], [], []
        for q in queries:
            t = time.perf_counter()
            exact = index.search(q, 10, exact=True, threads=1)
            exact_ms.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            approx = index.search(q, 10, threads=1)
            hnsw_ms.append((time.perf_counter() - t) * 1000)
            recalls.append(len(set(exact.keys.tolist()) & set(approx.keys.tolist())) / 10)
        p99 = lambda xs: sorted(xs)[int(0.99 * (len(xs) - 1))]  # noqa: E731
        print(
            f"{size:>8} vectors: add {size / added:,.0f}/s | exact p50 {statistics.median(exact_ms):.1f} ms "
            f"p99 {p99(exact_ms):.1f} ms | HNSW p50 {statistics.median(hnsw_ms):.2f} ms p99 {p99(hnsw_ms):.2f} ms, "
            f"recall@10 vs exact {statistics.mean(recalls):.3f}"
        )


if __name__ == "__main__":
    main()
