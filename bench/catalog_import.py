"""Catalog import throughput and memory, per feed format, on SQLite and PostgreSQL.

Generates N synthetic SKU rows (products of --skus-per-product SKUs) in each format, then runs the
real import job (delta mode, all items new) in a fresh child process per format and reports SKU
rows per second and memory growth (peak RSS minus RSS before the import started).
Targets: >= 20,000 SKU rows/s for JSONL; memory growth <= 100 MB for 1,000,000 rows.

    python bench/catalog_import.py [--rows 200000] [--database-url postgresql+asyncpg://...]
                                   [--formats jsonl google_tsv google_xml shopify_csv]
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import command_line, scratch_database

FORMATS = ("jsonl", "google_tsv", "google_xml", "shopify_csv")
SIZES = ("XS", "S", "M", "L", "XL", "XXL", "3XL", "4XL")
COLORS = ("Black", "White", "Red", "Blue", "Green", "Grey", "Navy", "Sand")


def variants(k: int) -> list[tuple[str, str]]:
    return [(COLORS[i // len(SIZES) % len(COLORS)], SIZES[i % len(SIZES)]) for i in range(k)]


def generate(fmt: str, path: Path, rows: int, per_product: int) -> None:
    products = rows // per_product
    combos = variants(per_product)
    with path.open("w", newline="", encoding="utf-8") as out:
        if fmt == "jsonl":
            for p in range(products):
                skus = [
                    {"sku": f"SKU-{p}-{j}", "price": {"amount": f"{10 + p % 90}.{j % 100:02d}", "currencyCode": "EUR"},
                     "quantity": (p + j) % 40, "options": [{"name": "Color", "value": c}, {"name": "Size", "value": s}]}
                    for j, (c, s) in enumerate(combos)
                ]  # fmt: skip
                line = {"handle": f"product-{p}", "title": f"Product {p}", "brand": f"Brand {p % 50}",
                        "category": f"Category {p % 20}", "images": [f"https://img.example/{p}.jpg"], "skus": skus}  # fmt: skip
                out.write(json.dumps(line) + "\n")
        elif fmt == "google_tsv":
            writer = csv.writer(out, delimiter="\t", lineterminator="\n")
            writer.writerow(["id", "title", "description", "link", "image_link", "availability", "price", "brand",
                             "item_group_id", "color", "size", "product_type"])  # fmt: skip
            for p in range(products):
                for j, (c, s) in enumerate(combos):
                    writer.writerow([f"SKU-{p}-{j}", f"Product {p} {c} {s}", "A product.", f"https://shop.example/{p}",
                                     f"https://img.example/{p}.jpg", "in_stock" if (p + j) % 7 else "out_of_stock",
                                     f"{10 + p % 90}.00 EUR", f"Brand {p % 50}", f"group-{p}", c, s,
                                     f"Category {p % 20} > Sub"])  # fmt: skip
        elif fmt == "google_xml":
            out.write(
                '<?xml version="1.0"?>\n<rss version="2.0" xmlns:g="http://base.google.com/ns/1.0"><channel>\n'
            )
            for p in range(products):
                for j, (c, s) in enumerate(combos):
                    out.write(
                        f"<item><g:id>SKU-{p}-{j}</g:id><g:title>{escape(f'Product {p} {c} {s}')}</g:title>"
                        f"<g:link>https://shop.example/{p}</g:link><g:image_link>https://img.example/{p}.jpg</g:image_link>"
                        f"<g:availability>in_stock</g:availability><g:price>{10 + p % 90}.00 EUR</g:price>"
                        f"<g:brand>Brand {p % 50}</g:brand><g:item_group_id>group-{p}</g:item_group_id>"
                        f"<g:color>{c}</g:color><g:size>{s}</g:size></item>\n"
                    )
            out.write("</channel></rss>\n")
        else:
            writer = csv.writer(out, lineterminator="\n")
            writer.writerow(["Handle", "Title", "Body (HTML)", "Vendor", "Type", "Option1 Name", "Option1 Value",
                             "Option2 Name", "Option2 Value", "Variant SKU", "Variant Inventory Tracker",
                             "Variant Inventory Qty", "Variant Inventory Policy", "Variant Price", "Image Src", "Status"])  # fmt: skip
            for p in range(products):
                for j, (c, s) in enumerate(combos):
                    first = j == 0
                    writer.writerow([f"product-{p}", f"Product {p}" if first else "", "<p>A product.</p>" if first else "",
                                     f"Brand {p % 50}" if first else "", f"Category {p % 20}" if first else "",
                                     "Color" if first else "", c, "Size" if first else "", s, f"SKU-{p}-{j}", "shopify",
                                     str((p + j) % 40), "deny", f"{10 + p % 90}.00",
                                     f"https://img.example/{p}.jpg" if first else "", "active" if first else ""])  # fmt: skip


def rss_mb() -> float:
    """Current resident set size (Linux /proc), in MB."""
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * resource.getpagesize() / 1e6


async def child(path: Path, size: int, fmt: str, url: str) -> dict[str, Any]:
    from shoppable.domain.catalog.importing import ImportMode
    from shoppable.jobs.catalog_import import catalog_import
    from shoppable.services import build_services
    from shoppable.settings import Settings

    settings = Settings(database_url=url, debug=True, import_dir=path.parent / "uploads")
    services = build_services(settings)
    uow = services.database.unit_of_work(write=True)
    async with uow:
        identity = uow.identity
        owner = await identity.add_user(f"bench-{fmt}@example.com", "x", "Bench", is_admin=False)
        merchant = await identity.add_merchant(f"bench-{fmt.replace('_', '-')}", "Bench", "EUR", 5, owner.id)
        job = await uow.imports.create(merchant.id, fmt, ImportMode.DELTA, False, str(path), size)
        await uow.commit()
    base = rss_mb()
    start = time.perf_counter()
    finished = await catalog_import(services, import_id=job.id)
    seconds = time.perf_counter() - start
    await services.close()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1000
    assert finished is not None
    return {
        "status": finished.status.value,
        "products": finished.counts.created,
        "rows": finished.counts.rows,
        "failed": finished.counts.failed,
        "seconds": seconds,
        "rss_base_mb": base,
        "rss_peak_mb": peak,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=200_000, help="SKU rows per format")
    parser.add_argument("--skus-per-product", type=int, default=4)
    parser.add_argument("--formats", nargs="+", default=list(FORMATS), choices=FORMATS)
    parser.add_argument(
        "--database-url", default=None, help="PostgreSQL URL (default: temporary SQLite files)"
    )
    parser.add_argument("--child", nargs=3, metavar=("FILE", "FORMAT", "URL"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        file, fmt, url = args.child
        print(json.dumps(asyncio.run(child(Path(file), Path(file).stat().st_size, fmt, url))))
        return
    backend = "postgresql" if args.database_url else "sqlite"
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for fmt in args.formats:
            path = Path(tmp) / f"feed.{fmt}"
            generate(fmt, path, args.rows, args.skus_per_product)
            with scratch_database(args.database_url) as url:
                out = subprocess.run(
                    [sys.executable, __file__, "--child", str(path), fmt, url],
                    capture_output=True,
                    text=True,
                    check=False,
                )
            if out.returncode != 0:
                raise SystemExit(f"{fmt}: child failed:\n{out.stderr[-3000:]}")
            result = json.loads(out.stdout.strip().splitlines()[-1])
            result |= {"format": fmt, "mb": path.stat().st_size / 1e6}
            results.append(result)
            path.unlink()
    print(f"$ {command_line()}")
    print(
        f"backend: {backend}; {args.rows:,} SKU rows per format, {args.skus_per_product} SKUs per product; delta import of new items"
    )
    print(
        f"{'format':<12} {'file MB':>8} {'status':>10} {'SKU rows':>10} {'seconds':>8} {'rows/s':>9} {'RSS base':>9} {'RSS peak':>9} {'growth MB':>10}"
    )
    for r in results:
        sku_rows = r["products"] * args.skus_per_product
        print(
            f"{r['format']:<12} {r['mb']:>8.1f} {r['status']:>10} {sku_rows:>10,} {r['seconds']:>8.1f} "
            f"{sku_rows / r['seconds']:>9,.0f} {r['rss_base_mb']:>9.0f} {r['rss_peak_mb']:>9.0f} "
            f"{r['rss_peak_mb'] - r['rss_base_mb']:>10.0f}"
        )


if __name__ == "__main__":
    main()
