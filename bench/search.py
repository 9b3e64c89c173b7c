"""Product search on 100,000 generated products, SQLite (FTS5) and PostgreSQL (tsvector): indexing
throughput during a real catalog import and in a full reindex, query latency (p50/p99) of typical
searches with totalCount and all four facets (each repeated run once through the per-process count
cache and once counted afresh, alternately), and NDCG@10 of a judged set of 30 queries.

The catalog is generated from a fixed seed: an English-language shop in EUR and a Swedish one in SEK,
titles like "Kestrel Waterproof Jacket", descriptions that mention other kinds of products (so a title
match must beat a description mention), colour/size options, brands with accents, some products sold
out. Each judged query grades every product by its generated attributes (3: exactly what was asked,
2: close, 1: related), independently of the engine; NDCG@10 compares the engine's first ten results with
the best possible ten.

    python bench/search.py [--products 100000] [--backends sqlite postgres]
                           [--postgres-url postgresql+asyncpg://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import command_line, scratch_database

EN_TYPES = [
    ("jacket", "Jackets"), ("parka", "Jackets"), ("sweater", "Sweaters"), ("hoodie", "Sweaters"),
    ("t-shirt", "Tops"), ("shirt", "Tops"), ("dress", "Dresses"), ("jeans", "Trousers"),
    ("trousers", "Trousers"), ("boots", "Shoes"), ("sneakers", "Shoes"), ("sandals", "Shoes"),
    ("socks", "Socks"), ("scarf", "Accessories"), ("gloves", "Accessories"), ("beanie", "Accessories"),
    ("backpack", "Bags"), ("tote bag", "Bags"), ("watch", "Watches"), ("sunglasses", "Accessories"),
    ("mug", "Home"), ("candle", "Home"), ("lamp", "Home"), ("blanket", "Home"),
]  # fmt: skip
EN_ATTRS = ["waterproof", "wool", "leather", "cotton", "linen", "down", "insulated", "lightweight",
            "vintage", "organic", "recycled", "merino", "suede", "canvas", "denim"]  # fmt: skip
SV_TYPES = [("jacka", "Jackor"), ("tröja", "Tröjor"), ("klänning", "Klänningar"), ("byxor", "Byxor"),
            ("kängor", "Skor"), ("strumpor", "Strumpor"), ("halsduk", "Accessoarer"), ("ryggsäck", "Väskor"),
            ("klocka", "Klockor"), ("ljus", "Hem")]  # fmt: skip
SV_ATTRS = ["vattentät", "ull", "läder", "bomull", "linne", "dun", "ekologisk"]
COLOURS = ["Black", "White", "Red", "Blue", "Green", "Grey", "Navy", "Sand", "Burgundy", "Olive"]
BRANDS = ["Nordkapp", "Fjällräv", "Polar Works", "Crème Atelier", "Bergen", "Acme", "Lumen", "Tundra",
          "Skagen Goods", "Åsa & Co", "Kestrel", "Hjem"]  # fmt: skip
MODELS = ["Aurora", "Kestrel", "Fjord", "Summit", "Harbor", "Birch", "Ember", "Glacier", "Meadow",
          "Nimbus", "Pine", "Ridge", "Solstice", "Tide", "Vale", "Wren"]  # fmt: skip


@dataclass(frozen=True)
class Generated:
    handle: str
    merchant: str
    kind: str
    attribute: str
    brand: str
    colours: tuple[str, ...]
    sold_out: bool


def generate(products: int, seed: int = 7) -> tuple[dict[str, list[dict[str, Any]]], list[Generated]]:
    rng = random.Random(seed)
    feeds: dict[str, list[dict[str, Any]]] = {"outdoor-en": [], "kladet-sv": []}
    facts: list[Generated] = []
    for i in range(products):
        swedish = i % 10 >= 7
        kinds, attrs = (SV_TYPES, SV_ATTRS) if swedish else (EN_TYPES, EN_ATTRS)
        kind, category = kinds[rng.randrange(len(kinds))]
        attribute = attrs[rng.randrange(len(attrs))]
        other = kinds[rng.randrange(len(kinds))][0]
        brand = BRANDS[rng.randrange(len(BRANDS))]
        colours = tuple(rng.sample(COLOURS, 2))
        sold_out = rng.random() < 0.1
        model = MODELS[rng.randrange(len(MODELS))]
        handle = f"p{i}"
        currency, base = ("SEK", 150 + rng.randrange(4000)) if swedish else ("EUR", 8 + rng.randrange(400))
        if swedish:
            description = f"En {attribute} {kind} i {colours[0].lower()}. Passar bra med {other}."
        else:
            description = f"A {rng.choice(EN_ATTRS)} take on the classic. Pairs well with our {other}."
        feeds["kladet-sv" if swedish else "outdoor-en"].append(
            {
                "handle": handle,
                "title": f"{model} {attribute} {kind}".title(),
                "brand": brand,
                "category": category,
                "description": description,
                "extra": {"tags": f"{attribute}, {category.lower()}"},
                "skus": [
                    {"sku": f"{handle}-{c}", "price": {"amount": f"{base + j}.00", "currencyCode": currency},
                     "quantity": 0 if sold_out else 1 + (i + j) % 30,
                     "options": [{"name": "Colour", "value": c}, {"name": "Size", "value": "M"}]}
                    for j, c in enumerate(colours)
                ],
            }
        )  # fmt: skip
        facts.append(
            Generated(
                handle, "kladet-sv" if swedish else "outdoor-en", kind, attribute, brand, colours, sold_out
            )
        )
    return feeds, facts


Grade = Callable[[Generated], int]


def kind_attr(kind: str, attribute: str | None = None, near: tuple[str, ...] = ()) -> Grade:
    def grade(p: Generated) -> int:
        if p.kind == kind and (attribute is None or p.attribute == attribute):
            return 3
        if p.kind == kind or (p.kind in near and (attribute is None or p.attribute == attribute)):
            return 1 if attribute else 2
        return 0

    return grade


def with_colour(kind: str, colour: str) -> Grade:
    return lambda p: 3 if p.kind == kind and colour in p.colours else (1 if p.kind == kind else 0)


def with_brand(brand: str, kind: str | None = None) -> Grade:
    return lambda p: (
        3 if p.brand == brand and (kind is None or p.kind == kind) else (1 if p.brand == brand else 0)
    )


JUDGED: list[tuple[str, Grade]] = [
    ("waterproof jacket", kind_attr("jacket", "waterproof", ("parka",))),
    ("jackets", kind_attr("jacket", near=("parka",))),
    ("jakcet", kind_attr("jacket", near=("parka",))),
    ("wool socks", kind_attr("socks", "wool")),
    ("merino sweater", kind_attr("sweater", "merino", ("hoodie",))),
    ("leather boots", kind_attr("boots", "leather")),
    ("lether boots", kind_attr("boots", "leather")),
    ("black sneakers", with_colour("sneakers", "Black")),
    ("red dress", with_colour("dress", "Red")),
    ("down parka", kind_attr("parka", "down", ("jacket",))),
    ("linen shirt", kind_attr("shirt", "linen")),
    ("canvas backpack", kind_attr("backpack", "canvas")),
    ("vintage watch", kind_attr("watch", "vintage")),
    ("nordkapp jacket", with_brand("Nordkapp", "jacket")),
    ("fjallrav", with_brand("Fjällräv")),
    ("creme atelier candle", with_brand("Crème Atelier", "candle")),
    ("snea", kind_attr("sneakers")),
    ("sweaters", kind_attr("sweater", near=("hoodie",))),
    ("sweter", kind_attr("sweater", near=("hoodie",))),
    ("organic t-shirt", kind_attr("t-shirt", "organic")),
    ("insulated gloves", kind_attr("gloves", "insulated")),
    ("suede sandals", kind_attr("sandals", "suede")),
    ("jacka", kind_attr("jacka")),
    ("vattentäta jackor", kind_attr("jacka", "vattentät")),
    ("klänningar", kind_attr("klänning")),
    ("ullstrumpor", kind_attr("strumpor", "ull")),
    ("recycled tote bag", kind_attr("tote bag", "recycled")),
    ("denim jeans", kind_attr("jeans", "denim", ("trousers",))),
    ("grey hoodie", with_colour("hoodie", "Grey")),
    ("olive beanie", with_colour("beanie", "Olive")),
]
BROWSE: list[dict[str, Any]] = [
    {"categories": ("Jackets",), "sort": "PRICE_ASC"},
    {"categories": ("Shoes",), "available_only": True, "price_max": (100_00, "EUR")},
    {"brands": ("Nordkapp", "Bergen"), "sort": "NEWEST"},
    {"price_min": (50_00, "EUR"), "price_max": (150_00, "EUR"), "sort": "PRICE_DESC"},
]


def ndcg_at_10(found: list[str], grades: dict[str, int], ideal: list[int]) -> float:
    dcg = sum((2 ** grades.get(h, 0) - 1) / math.log2(i + 2) for i, h in enumerate(found[:10]))
    idcg = sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(ideal[:10]))
    return dcg / idcg if idcg else 0.0


async def run_backend(
    url: str, feeds: dict[str, list[dict[str, Any]]], facts: list[Generated], repeats: int
) -> dict[str, Any]:
    from shoppable.domain.catalog.importing import ImportMode
    from shoppable.domain.catalog.money import Money
    from shoppable.domain.identity.actor import ANONYMOUS
    from shoppable.domain.pagination import PageRequest
    from shoppable.domain.search import products as search
    from shoppable.domain.search.upkeep import reindex
    from shoppable.jobs.catalog_import import catalog_import
    from shoppable.services import build_services
    from shoppable.settings import Settings

    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(database_url=url, debug=True, import_dir=Path(tmp) / "uploads")
        services = build_services(settings)
        imported, import_seconds = 0, 0.0
        for handle, products in feeds.items():
            path = Path(tmp) / f"{handle}.jsonl"
            path.write_text("".join(json.dumps(p) + "\n" for p in products), encoding="utf-8")
            uow = services.database.unit_of_work(write=True)
            async with uow:
                owner = await uow.identity.add_user(f"{handle}@example.com", "x", handle, is_admin=False)
                currency = "SEK" if handle.endswith("sv") else "EUR"
                merchant = await uow.identity.add_merchant(handle, handle.title(), currency, 3, owner.id)
                await uow.commerce.update_merchant(merchant.id, {"language": handle[-2:]})
                job = await uow.imports.create(
                    merchant.id, "jsonl", ImportMode.DELTA, False, str(path), path.stat().st_size
                )
                await uow.commit()
            start = time.perf_counter()
            finished = await catalog_import(services, import_id=job.id)
            import_seconds += time.perf_counter() - start
            assert finished is not None and finished.status.value == "succeeded", finished
            imported += finished.counts.created
        results["import"] = (imported, import_seconds)
        start = time.perf_counter()
        async with services.database.unit_of_work(write=True) as uow:
            reindexed = await reindex(uow)
        results["reindex"] = (reindexed, time.perf_counter() - start)

        async def timed(request: search.SearchInput, cached: bool = True) -> tuple[list[str], float]:
            started = time.perf_counter()
            async with services.database.unit_of_work() as uow:
                prepared = await search.prepare(uow, ANONYMOUS, request)
                assert prepared is not None
                page = await search.search_page(uow, prepared, PageRequest(first=20))
                await search.summary(uow, prepared, services.search_counts if cached else None)
                found = await uow.catalog.get_products(page.items)
            by_id = {p.id: p.handle for p in found}
            return [by_id[i] for i in page.items], (time.perf_counter() - started) * 1000

        text_latencies: list[float] = []
        browse_latencies: list[float] = []
        first_latencies: list[float] = []
        uncached: dict[str, list[float]] = {"text": [], "browse": []}
        ndcgs: list[tuple[str, float]] = []
        for query, grade in JUDGED:
            grades = {p.handle: grade(p) for p in facts}
            ideal = sorted((g for g in grades.values() if g), reverse=True)
            found, _ = await timed(search.SearchInput(query=query))  # warm-up, and the judged run
            ndcgs.append((query, ndcg_at_10(found, grades, ideal)))
            for _ in range(repeats):
                text_latencies.append((await timed(search.SearchInput(query=query)))[1])
                uncached["text"].append((await timed(search.SearchInput(query=query), cached=False))[1])
        for spec in BROWSE:
            request = search.SearchInput(
                categories=spec.get("categories", ()),
                brands=spec.get("brands", ()),
                available_only=spec.get("available_only", False),
                price_min=Money(*spec["price_min"]) if "price_min" in spec else None,
                price_max=Money(*spec["price_max"]) if "price_max" in spec else None,
                sort=search.ProductSort(spec.get("sort", "RELEVANCE")),
            )
            first_latencies.append((await timed(request))[1])
            for _ in range(repeats):
                browse_latencies.append((await timed(request))[1])
                uncached["browse"].append((await timed(request, cached=False))[1])
        await services.close()
    results["text"] = text_latencies
    results["browse"] = browse_latencies
    results["browse_first"] = first_latencies
    results["text_uncached"] = uncached["text"]
    results["browse_uncached"] = uncached["browse"]
    results["ndcg"] = ndcgs
    return results


SERIES = [
    ("text", "text query + totalCount + 4 facets, repeated (counts cached)"),
    ("text_uncached", "text query + totalCount + 4 facets, counted afresh"),
    ("browse", "browse + totalCount + 4 facets, repeated (counts cached)"),
    ("browse_uncached", "browse + totalCount + 4 facets, counted afresh"),
    ("browse_first", "browse + totalCount + 4 facets, first run of each"),
]
"""Each repeated query alternates a run through the count cache and one without it, so the two
series share the machine's load (the cache's effect is their ratio, measured in one run)."""


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=5, help="timed runs of each query")
    parser.add_argument(
        "--backends", nargs="+", default=["sqlite", "postgres"], choices=["sqlite", "postgres"]
    )
    parser.add_argument("--postgres-url", default="postgresql+asyncpg://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    feeds, facts = generate(args.products)
    print(f"$ {command_line()}")
    print(f"{args.products:,} products (2 SKUs each; 70% English/EUR, 30% Swedish/SEK; 10% sold out)")
    for backend in args.backends:
        with scratch_database(None if backend == "sqlite" else args.postgres_url) as url:
            r = asyncio.run(run_backend(url, feeds, facts, args.repeats))
        count, seconds = r["import"]
        again, reindex_seconds = r["reindex"]
        print(f"\n== {backend} (load average after: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)")
        print(
            f"import (indexing included): {count:,} products in {seconds:.1f} s = {count / seconds:,.0f} products/s"
        )
        print(
            f"full reindex:               {again:,} products in {reindex_seconds:.1f} s = {again / reindex_seconds:,.0f} products/s"
        )
        for name, label in SERIES:
            values = r[name]
            print(
                f"{label + ':':<60} n={len(values)} p50={statistics.median(values):.1f} ms "
                f"p99={percentile(values, 0.99):.1f} ms"
            )
        print("NDCG@10 per judged query:")
        for query, value in r["ndcg"]:
            print(f"  {query:<24} {value:.3f}")
        print(f"mean NDCG@10 over {len(r['ndcg'])} queries: {statistics.mean(v for _, v in r['ndcg']):.3f}")


if __name__ == "__main__":
    main()
