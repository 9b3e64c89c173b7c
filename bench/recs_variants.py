"""Compare variants of the recs models (any constructor parameter) on a development set, as `recs eval` does.

    OPENBLAS_NUM_THREADS=1 PYTHONPATH=. .venv/bin/python bench/recs_variants.py instacart 14 \
        '{"ease": {"model": "ease"}, "feed6k": {"model": "feed"},
          "feed20k": {"model": "feed", "ease_max_items": 20000}}' [--splits validation,test]

Reads `var/devsets/<set>/` (built by bench/recs_devsets.py). For each split (`validation` holds the
test period out, as `recs eval --validation`), fits every variant and prints NDCG@10, fit seconds,
peak traced memory and, for `feed`, the blend and history weighting its tuning chose.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from shoppable.domain.recs.evaluation import evaluate
from shoppable.domain.recs.interactions import load_interactions_csv
from shoppable.domain.recs.item_meta import ItemMeta, load_items_csv
from shoppable.domain.recs.models import build_model


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("devset")
    parser.add_argument("test_days", type=float)
    parser.add_argument("variants", help='JSON: {"label": {"model": "feed", "<param>": value, ...}, ...}')
    parser.add_argument("--splits", default="validation")
    parser.add_argument("--devsets", type=Path, default=Path("var/devsets"))
    args = parser.parse_args()
    directory = args.devsets / args.devset
    records = load_items_csv(directory / "items.csv")
    interactions = load_interactions_csv(
        directory / "interactions.csv", catalog_item_ids=(r.item_id for r in records)
    )
    meta = ItemMeta.from_records(interactions.items.ids, records)
    variants: dict[str, dict] = json.loads(args.variants)
    for split in args.splits.split(","):
        models = {}
        for label, spec in variants.items():
            params = dict(spec)
            name = params.pop("model")
            if name == "feed":
                params.setdefault("validation_days", args.test_days)
            models[label] = build_model(name, **params)
        report = evaluate(
            interactions,
            test_days=args.test_days,
            validation=split == "validation",
            models=models,
            meta=meta,
        )
        print(f"== {args.devset} {split}: {report.users} users")
        for label, result in report.models.items():
            tuning = getattr(models[label], "tuning", None)
            chosen = ""
            if tuning is not None:
                blend = {name: weight for name, weight in tuning.weights.items() if weight}
                chosen = (
                    f"  blend {blend}, history {tuning.history_weighting} "
                    f"(half-life {tuning.history_half_life_days})"
                )
            print(
                f"{label:<20} ndcg@10 {result.ndcg:.4f}  fit {result.fit_seconds:.1f} s  "
                f"peak {result.peak_mb:.0f} MB{chosen}",
                flush=True,
            )


if __name__ == "__main__":
    main()
