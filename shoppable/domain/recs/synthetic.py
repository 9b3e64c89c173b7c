"""A seeded generator of shop-like interactions with the structure our ranker is meant to exploit.

It is for tests, CI and benchmarks; it proves the code paths and the direction of effects, not the size
of gains on real traffic (run `recs eval` on a public dataset or exported events for that).

The world: creators publish items over time (each creator mostly in one category, around one price
level); item appeal is Zipf-distributed. Users have a taste over categories that drifts during the
period, a few favourite creators, a price comfort zone and a lognormal activity level. Each event
picks a favourite creator's shelf, a category shelf or the whole catalogue, then an item already
published there, by appeal, accepted more often when it is new and near the user's price;
some events are repeats of the user's earlier items.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import NamedTuple

import numpy as np

from shoppable.domain.recs.interactions import SECONDS_PER_DAY, Interactions
from shoppable.domain.recs.item_meta import ItemMeta, ItemRecord

END = datetime(2025, 6, 1, tzinfo=UTC).timestamp()
APPEAL_EXPONENT = 0.8
CREATOR_SHELF = 0.5  # share of events on a favourite creator's shelf
CATEGORY_SHELF = 0.45  # on a shelf of the (drifting) favourite categories; the rest: whole catalogue


@dataclass(frozen=True, eq=False)
class SyntheticInteractions:
    user: np.ndarray  # int user numbers; ids are f"u{n}"
    item: np.ndarray  # int item numbers; ids are f"i{n}"
    timestamp: np.ndarray  # int epoch seconds
    weight: np.ndarray  # float

    def __len__(self) -> int:
        return len(self.user)


@dataclass(frozen=True, eq=False)
class SyntheticItems:
    creator: np.ndarray  # ids f"c{n}"
    category: np.ndarray  # ids f"cat{n}"
    price: np.ndarray
    created_at: np.ndarray  # int epoch seconds

    def __len__(self) -> int:
        return len(self.creator)

    def records(self) -> list[ItemRecord]:
        return [
            ItemRecord(f"i{n}", f"c{c}", f"cat{k}", float(p), float(t))
            for n, (c, k, p, t) in enumerate(
                zip(self.creator, self.category, self.price, self.created_at, strict=True)
            )
        ]


class SyntheticDataset(NamedTuple):
    interactions: SyntheticInteractions
    items: SyntheticItems

    def to_interactions(self) -> Interactions:
        rows = self.interactions
        return Interactions.from_arrays(
            [f"u{n}" for n in rows.user.tolist()],
            [f"i{n}" for n in rows.item.tolist()],
            rows.timestamp,
            rows.weight,
            catalog_item_ids=(f"i{n}" for n in range(len(self.items))),
        )

    def item_meta(self, interactions: Interactions) -> ItemMeta:
        return ItemMeta.from_records(interactions.items.ids, self.items.records())


def generate(
    users: int = 5_000,
    items: int = 3_000,
    interactions: int = 150_000,
    seed: int = 0,
    *,
    days: float = 120.0,
    end: float = END,
) -> SyntheticDataset:
    """Deterministic for given arguments. Items may be published up to 60 days before the period."""
    if users < 1 or items < 1 or interactions < users:
        raise ValueError("need at least one user and item, and at least one interaction per user")
    rng = np.random.default_rng(seed)
    start = end - days * SECONDS_PER_DAY
    n_categories = int(np.clip(items // 250, 8, 40))
    n_creators = int(np.clip(items // 25, 5, 5_000))

    creator_appeal = _zipf(rng, n_creators, 0.9)
    creator_category = rng.integers(n_categories, size=n_creators)
    creator_price = rng.normal(3.5, 0.7, size=n_creators)

    item_creator = rng.choice(n_creators, size=items, p=creator_appeal / creator_appeal.sum())
    off_category = rng.random(items) < 0.25
    item_category = np.where(
        off_category, rng.integers(n_categories, size=items), creator_category[item_creator]
    )
    item_log_price = creator_price[item_creator] + rng.normal(0.0, 0.3, size=items)
    item_created = rng.uniform(start - 60 * SECONDS_PER_DAY, end - SECONDS_PER_DAY, size=items)
    item_appeal = _zipf(rng, items, APPEAL_EXPONENT)

    taste_early = rng.dirichlet(np.full(n_categories, 0.3), size=users)
    drifting = rng.random(users) < 0.5
    taste_late = np.where(
        drifting[:, None],
        0.4 * taste_early + 0.6 * rng.dirichlet(np.full(n_categories, 0.3), size=users),
        taste_early,
    )
    favourite_creators = _favourite_creators(rng, taste_early, creator_category, creator_appeal, 3)
    user_price = rng.normal(3.5, 0.6, size=users)
    activity = rng.lognormal(0.0, 1.0, size=users)
    floor = 2 if interactions >= 2 * users else 1
    counts = floor + rng.multinomial(interactions - floor * users, activity / activity.sum())
    user_first = np.maximum(
        rng.uniform(start - days * SECONDS_PER_DAY / 2, end - 10 * SECONDS_PER_DAY, size=users), start
    )

    user = np.repeat(np.arange(users), counts)
    n = len(user)
    time = rng.uniform(user_first[user], end)
    late = rng.random(n) < (time - start) / (end - start)
    category = _pick_category(rng, taste_early, taste_late, user, late)

    shelves = _Shelves(item_creator, item_category, item_created, item_appeal, n_creators, n_categories)
    mode = rng.random(n)
    shelf = np.where(
        mode < CREATOR_SHELF,
        favourite_creators[user, rng.integers(3, size=n)],
        np.where(mode < CREATOR_SHELF + CATEGORY_SHELF, n_creators + category, n_creators + n_categories),
    )
    item = np.full(n, -1, dtype=np.int64)
    pending = np.arange(n)
    for round_ in range(12):
        drawn = shelves.draw(rng, shelf[pending], time[pending])
        empty = drawn < 0
        if empty.any():  # nothing published on that shelf yet: fall back to the whole catalogue
            shelf[pending[empty]] = n_creators + n_categories
            drawn[empty] = shelves.draw(rng, shelf[pending[empty]], time[pending[empty]])
        age_days = (time[pending] - item_created[drawn]) / SECONDS_PER_DAY
        price_gap = item_log_price[drawn] - user_price[user[pending]]
        accept = np.exp(-0.5 * (price_gap / 0.5) ** 2) * (0.25 + 0.75 * np.exp2(-age_days / 20.0))
        taken = (rng.random(len(pending)) < accept) | (round_ == 11) | (drawn < 0)
        item[pending[taken]] = drawn[taken]
        pending = pending[~taken]
        if len(pending) == 0:
            break
    order = np.lexsort((time, user))
    user, time, item = user[order], time[order], item[order]

    # Repeats: some events return to an item from the same user's past.
    repeat = np.flatnonzero(rng.random(n) < 0.1)
    first_of_user = np.concatenate([[0], np.cumsum(counts)[:-1]])[user[repeat]]
    has_past = repeat > first_of_user
    repeat, first_of_user = repeat[has_past], first_of_user[has_past]
    past = first_of_user + (rng.random(len(repeat)) * (repeat - first_of_user)).astype(np.int64)
    item[repeat] = item[past]
    valid = item >= 0
    weight = rng.choice(np.array([1.0, 2.0, 4.0]), size=n, p=[0.8, 0.15, 0.05])

    return SyntheticDataset(
        SyntheticInteractions(user[valid], item[valid], time[valid].astype(np.int64), weight[valid]),
        SyntheticItems(
            item_creator, item_category, np.round(np.exp(item_log_price), 2), item_created.astype(np.int64)
        ),
    )


def write_csv(dataset: SyntheticDataset, directory: Path | str) -> tuple[Path, Path]:
    """Write interactions.csv (epoch timestamps) and items.csv (ISO-8601 created_at); return both paths."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    interactions_path = directory / "interactions.csv"
    items_path = directory / "items.csv"
    rows = dataset.interactions
    with interactions_path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["user_id", "item_id", "timestamp", "weight"])
        writer.writerows(
            zip(
                (f"u{n}" for n in rows.user.tolist()),
                (f"i{n}" for n in rows.item.tolist()),
                rows.timestamp.tolist(),
                (f"{w:g}" for w in rows.weight.tolist()),
                strict=True,
            )
        )
    items = dataset.items
    with items_path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["item_id", "creator_id", "category", "price", "created_at"])
        for n, (creator, category, price, created) in enumerate(
            zip(
                items.creator.tolist(),
                items.category.tolist(),
                items.price.tolist(),
                items.created_at.tolist(),
                strict=True,
            )
        ):
            iso = datetime.fromtimestamp(created, UTC).isoformat().replace("+00:00", "Z")
            writer.writerow([f"i{n}", f"c{creator}", f"cat{category}", f"{price:.2f}", iso])
    return interactions_path, items_path


def synthesize(
    directory: Path | str,
    *,
    users: int = 5_000,
    items: int = 3_000,
    interactions: int = 150_000,
    seed: int = 0,
) -> tuple[Path, Path]:
    """What `shoppable recs synth` runs: generate and write both CSV files."""
    return write_csv(generate(users, items, interactions, seed), directory)


def _zipf(rng: np.random.Generator, size: int, exponent: float) -> np.ndarray:
    """Zipf-like weights 1/rank^exponent in a random order."""
    return rng.permutation(1.0 / np.arange(1, size + 1) ** exponent)


def _favourite_creators(
    rng: np.random.Generator,
    taste: np.ndarray,
    creator_category: np.ndarray,
    creator_appeal: np.ndarray,
    per_user: int,
) -> np.ndarray:
    """Each user's favourite creators, drawn by appeal within the categories the user likes."""
    users, n_categories = taste.shape
    favourites = np.empty((users, per_user), dtype=np.int64)
    by_category = [np.flatnonzero(creator_category == k) for k in range(n_categories)]
    chosen_categories = _sample_rows(rng, taste, per_user)
    for k, members in enumerate(by_category):
        if len(members) == 0:
            members = np.arange(len(creator_category))
        weights = creator_appeal[members] / creator_appeal[members].sum()
        where = chosen_categories == k
        favourites[where] = rng.choice(members, size=int(where.sum()), p=weights)
    return favourites


def _sample_rows(rng: np.random.Generator, probabilities: np.ndarray, draws: int) -> np.ndarray:
    """`draws` categorical samples per row of a probability matrix, by inverse CDF."""
    cumulative = np.cumsum(probabilities, axis=1)
    cumulative /= cumulative[:, -1:]
    uniforms = rng.random((probabilities.shape[0], draws))
    return np.minimum((uniforms[:, :, None] > cumulative[:, None, :]).sum(axis=2), probabilities.shape[1] - 1)


def _pick_category(
    rng: np.random.Generator,
    taste_early: np.ndarray,
    taste_late: np.ndarray,
    user: np.ndarray,
    late: np.ndarray,
) -> np.ndarray:
    out = np.empty(len(user), dtype=np.int64)
    chunk = 200_000
    for start in range(0, len(user), chunk):
        rows = slice(start, start + chunk)
        probabilities = np.where(late[rows, None], taste_late[user[rows]], taste_early[user[rows]])
        out[rows] = _sample_rows(rng, probabilities, 1)[:, 0]
    return out


class _Shelves:
    """Items grouped by creator, by category and all together, each group sorted by publication time,
    so 'an item of shelf s published before t, by appeal' is two binary searches."""

    def __init__(
        self,
        item_creator: np.ndarray,
        item_category: np.ndarray,
        item_created: np.ndarray,
        item_appeal: np.ndarray,
        n_creators: int,
        n_categories: int,
    ) -> None:
        n_items = len(item_creator)
        shelf_of = np.concatenate(
            [item_creator, n_creators + item_category, np.full(n_items, n_creators + n_categories)]
        )
        items = np.tile(np.arange(n_items), 3)
        self.origin = float(item_created.min())
        created = item_created[items] - self.origin
        self.span = float(created.max()) + 2 * SECONDS_PER_DAY * 365
        order = np.lexsort((created, shelf_of))
        self.items = items[order]
        self.key = shelf_of[order] * self.span + created[order]
        n_shelves = n_creators + n_categories + 1
        self.start = np.searchsorted(shelf_of[order], np.arange(n_shelves))
        self.cumulative = np.concatenate([[0.0], np.cumsum(item_appeal[self.items])])

    def draw(self, rng: np.random.Generator, shelf: np.ndarray, time: np.ndarray) -> np.ndarray:
        """An item per (shelf, time) among those published by then, by appeal; -1 if there is none."""
        low = self.start[shelf]
        high = np.searchsorted(self.key, shelf * self.span + (time - self.origin), side="right")
        empty = high <= low
        mass_low = self.cumulative[low]
        mass_high = self.cumulative[np.maximum(high, low)]
        target = mass_low + rng.random(len(shelf)) * (mass_high - mass_low)
        position = np.clip(
            np.searchsorted(self.cumulative, target, side="right") - 1, low, np.maximum(high - 1, low)
        )
        position = np.minimum(position, len(self.items) - 1)
        return np.where(empty, -1, self.items[position])
