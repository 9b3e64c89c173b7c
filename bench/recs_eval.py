"""Offline evaluation of every model on synthetic data, through the same path as `shoppable recs eval`.

    OPENBLAS_NUM_THREADS=1 .venv/bin/python bench/recs_eval.py
    OPENBLAS_NUM_THREADS=1 .venv/bin/python bench/recs_eval.py --users 5000 --items 3000 --interactions 150000 --no-items

Writes the synthetic CSV files to a temporary directory (or --dir), then runs `run_eval_file` on them.
"""

from __future__ import annotations

import argparse
import os
import resource
import shlex
import sys
import tempfile
import time
from pathlib import Path

from shoppable.domain.recs import synthetic
from shoppable.domain.recs.evaluation import run_eval_file


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--users", type=int, default=20_000)
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--interactions", type=int, default=500_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--test-days", type=float, default=14)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--include-seen", action="store_true")
    parser.add_argument("--no-items", action="store_true", help="evaluate without the item metadata file")
    parser.add_argument("--models", help="comma-separated (default: every model that fits the catalogue)")
    parser.add_argument("--dir", type=Path, help="keep the CSV files (and report.json) here")
    parser.add_argument("--json", type=Path, help="write the JSON report here")
    args = parser.parse_args()

    env = " ".join(f"{name}={os.environ[name]}" for name in ("OPENBLAS_NUM_THREADS",) if name in os.environ)
    print(f"command: {env} {shlex.join([sys.executable, *sys.argv])}".strip())
    with tempfile.TemporaryDirectory() as scratch:
        directory = args.dir or Path(scratch)
        started = time.perf_counter()
        interactions_csv, items_csv = synthetic.synthesize(
            directory, users=args.users, items=args.items, interactions=args.interactions, seed=args.seed
        )
        print(
            f"synthetic data ({args.users} users, {args.items} items, {args.interactions} interactions, "
            f"seed {args.seed}) written in {time.perf_counter() - started:.1f} s"
        )
        started = time.perf_counter()
        report = run_eval_file(
            interactions_csv,
            items_csv=None if args.no_items else items_csv,
            test_days=args.test_days,
            k=args.k,
            include_seen=args.include_seen,
            json_out=args.json,
            models=args.models.split(",") if args.models else None,
        )
        print(f"evaluated in {time.perf_counter() - started:.1f} s\n")
    print(report.format_table())
    print(f"\npeak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
