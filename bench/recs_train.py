"""Training time of each scalable recommender at production size (issue: < 10 min on 2 cores).

    OPENBLAS_NUM_THREADS=1 taskset -c 0,1 .venv/bin/python bench/recs_train.py
    OPENBLAS_NUM_THREADS=1 .venv/bin/python bench/recs_train.py --users 5000 --items 10000 --interactions 200000

Generates the synthetic interactions in memory (or reads them with --csv DIR, writing them there first
if absent), fits each model with `now` = the latest event, and prints seconds and peak RSS per model.
EASE (`--models ...,ease`) models the 20,000 items with most users at most (a dense float32 matrix).
"""

from __future__ import annotations

import argparse
import os
import resource
import shlex
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

from shoppable.domain.recs import synthetic
from shoppable.domain.recs.artifact import TrainedModel
from shoppable.domain.recs.interactions import load_interactions_csv
from shoppable.domain.recs.item_meta import ItemMeta, load_items_csv
from shoppable.domain.recs.models import build_model
from shoppable.storage import recs_artifacts as artifact


class PeakRss:
    """Samples this process's resident set size every 50 ms while in use."""

    def __enter__(self) -> PeakRss:
        self.peak = psutil.Process().memory_info().rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        process = psutil.Process()
        while not self._stop.wait(0.05):
            self.peak = max(self.peak, process.memory_info().rss)

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, psutil.Process().memory_info().rss)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--users", type=int, default=50_000)
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--interactions", type=int, default=2_000_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--models", default="popularity,item_knn,rp3beta,als,feed")
    parser.add_argument("--csv", type=Path, help="read (and first write) interactions.csv/items.csv here")
    args = parser.parse_args()

    env = " ".join(f"{name}={os.environ[name]}" for name in ("OPENBLAS_NUM_THREADS",) if name in os.environ)
    print(f"command: {env} {shlex.join([sys.executable, *sys.argv])}".strip())
    print(f"cpus available: {len(os.sched_getaffinity(0))}")

    started = time.perf_counter()
    if args.csv:
        interactions_csv, items_csv = args.csv / "interactions.csv", args.csv / "items.csv"
        if not interactions_csv.exists():
            synthetic.synthesize(
                args.csv, users=args.users, items=args.items, interactions=args.interactions, seed=args.seed
            )
            print(f"generated + wrote CSV: {time.perf_counter() - started:.1f} s")
            started = time.perf_counter()
        records = load_items_csv(items_csv)
        interactions = load_interactions_csv(interactions_csv, catalog_item_ids=(r.item_id for r in records))
        meta = ItemMeta.from_records(interactions.items.ids, records)
        print(f"read CSV: {time.perf_counter() - started:.1f} s")
    else:
        dataset = synthetic.generate(args.users, args.items, args.interactions, args.seed)
        interactions = dataset.to_interactions()
        meta = dataset.item_meta(interactions)
        print(f"generated: {time.perf_counter() - started:.1f} s")
    now = float(interactions.timestamp.max())
    print(
        f"interactions: {len(interactions):,}  users: {interactions.n_users:,}  items: {interactions.n_items:,}\n"
    )
    print(f"{'model':<12} {'fit s':>8} {'peak RSS MB':>12}")
    fitted = {}
    for name in args.models.split(","):
        model = build_model(name)
        with PeakRss() as rss:
            begin = time.perf_counter()
            model.fit(interactions, meta, now)
            seconds = time.perf_counter() - begin
        fitted[name] = model
        print(f"{name:<12} {seconds:>8.1f} {rss.peak / 2**20:>12.0f}", flush=True)
        tuning = getattr(model, "tuning", None)
        if tuning is not None:
            print(f"{'':<12} blend tuned on {tuning.validation_users} users: {tuning.weights}")

    if "feed" in fitted:
        with tempfile.TemporaryDirectory() as directory:
            begin = time.perf_counter()
            trained = TrainedModel(fitted["feed"], interactions.users, interactions.items, now)
            path = artifact.save(trained, directory)
            saved = time.perf_counter() - begin
            size = path.stat().st_size
            begin = time.perf_counter()
            loaded = artifact.load(directory)
            loaded_seconds = time.perf_counter() - begin
            begin = time.perf_counter()
            for user in range(200):
                loaded.recommend(f"u{user}", 20)
            per_user = (time.perf_counter() - begin) / 200
        print(
            f"\nfeed artifact: {size / 2**20:.0f} MB, save {saved:.1f} s, load {loaded_seconds:.1f} s, "
            f"recommend (one user, 20 items) {per_user * 1000:.1f} ms"
        )
    print(f"process peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
