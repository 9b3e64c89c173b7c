"""SQL store of experiments, assignment units and exposures, and the per-viewer outcomes of an experiment."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import func, select, update

from shoppable.domain.experiments.analysis import InterleavedSession, ViewerOutcome
from shoppable.domain.experiments.interleaving import CREDITED_EVENTS
from shoppable.domain.experiments.model import (
    Experiment,
    ExperimentKind,
    ExperimentStatus,
    NewExperiment,
    Variant,
)
from shoppable.domain.feed.model import UNFOLLOWED, EventType, ItemKind
from shoppable.storage.db import SqlTransaction
from shoppable.storage.sql import insert_if_absent, table_of
from shoppable.storage.tables import CartLineRow, CartRow, EventRow, FeedHideRow, OrderRow, SkuRow
from shoppable.storage.tables.experiments import (
    ExperimentExposureRow,
    ExperimentRow,
    ExperimentTeamRow,
    ExperimentUnitRow,
)

experiments = table_of(ExperimentRow)
units = table_of(ExperimentUnitRow)
exposures = table_of(ExperimentExposureRow)
events = table_of(EventRow)
orders = table_of(OrderRow)
hides = table_of(FeedHideRow)
teams = table_of(ExperimentTeamRow)
carts = table_of(CartRow)
cart_lines = table_of(CartLineRow)
skus = table_of(SkuRow)

SESSION_CREDIT_WINDOW = timedelta(hours=24)
"""How long after an item was served a click or add to cart on it still credits that session (a feed
session lasts a day, `FeedConfig.session_ttl_seconds`)."""

_CHUNK = 500
_COUNTED_ORDERS = ("CANCELLED",)


def _chunks(values: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


def _experiment(row: Any) -> Experiment:
    return Experiment(
        id=row.id,
        key=row.key,
        description=row.description,
        kind=ExperimentKind(row.kind),
        surface=row.surface,
        status=ExperimentStatus(row.status),
        variants=tuple(Variant(v["key"], int(v["weight"]), dict(v["config"])) for v in row.variants),
        metrics=tuple(row.metrics),
        window_days=row.window_days,
        created_at=row.created_at,
        started_at=row.started_at,
        stopped_at=row.stopped_at,
    )


@dataclass
class _Unit:
    variant: str
    first: datetime
    sessions: int
    latency_ms: float
    actor_keys: set[str] = field(default_factory=set)
    user_ids: set[int] = field(default_factory=set)
    device_id: str | None = None
    counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    revenue: dict[str, dict[str, int]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(int)))
    """"" (in the window) or "pre_" -> currency -> minor units."""


class SqlExperimentRepository:
    def __init__(self, tx: SqlTransaction) -> None:
        self.tx = tx

    async def add(self, new: NewExperiment, now: datetime) -> Experiment | None:
        statement = insert_if_absent(self.tx, experiments).values(
            key=new.key,
            description=new.description,
            kind=new.kind.value,
            surface=new.surface,
            status=ExperimentStatus.DRAFT.value,
            variants=[{"key": v.key, "weight": v.weight, "config": v.config} for v in new.variants],
            metrics=list(new.metrics),
            window_days=new.window_days,
            created_at=now,
        )
        result: Any = await self.tx.execute(statement)
        if result.rowcount == 0:
            return None
        return await self.get(new.key)

    async def get(self, key: str) -> Experiment | None:
        row = (await self.tx.execute(select(experiments).where(experiments.c.key == key))).first()
        return _experiment(row) if row is not None else None

    async def get_by_id(self, experiment_id: int) -> Experiment | None:
        row = (await self.tx.execute(select(experiments).where(experiments.c.id == experiment_id))).first()
        return _experiment(row) if row is not None else None

    async def listed(
        self, status: ExperimentStatus | None, after_id: int | None, limit: int
    ) -> list[Experiment]:
        query = select(experiments).order_by(experiments.c.id.desc()).limit(limit)
        if status is not None:
            query = query.where(experiments.c.status == status.value)
        if after_id is not None:
            query = query.where(experiments.c.id < after_id)
        return [_experiment(row) for row in await self.tx.execute(query)]

    async def set_status(self, experiment_id: int, status: ExperimentStatus, now: datetime) -> None:
        values: dict[str, Any] = {"status": status.value}
        if status is ExperimentStatus.RUNNING:
            values["started_at"] = now
        elif status is ExperimentStatus.STOPPED:
            values["stopped_at"] = now
        await self.tx.execute(update(experiments).where(experiments.c.id == experiment_id).values(**values))

    async def running(self, surface: str) -> list[Experiment]:
        query = (
            select(experiments)
            .where(experiments.c.surface == surface, experiments.c.status == ExperimentStatus.RUNNING.value)
            .order_by(experiments.c.id)
        )
        return [_experiment(row) for row in await self.tx.execute(query)]

    async def unit_of_user(self, user_id: int) -> str | None:
        found = await self.tx.execute(select(units.c.unit).where(units.c.user_id == user_id))
        return found.scalar_one_or_none()

    async def claim_unit(self, user_id: int, unit: str, now: datetime) -> str:
        await self.tx.execute(
            insert_if_absent(self.tx, units).values(user_id=user_id, unit=unit, created_at=now)
        )
        recorded = await self.unit_of_user(user_id)
        return recorded if recorded is not None else unit

    async def log_exposure(
        self,
        experiment_id: int,
        unit: str,
        variant: str,
        session_id: str,
        user_id: int | None,
        device_id: str | None,
        latency_ms: float,
        now: datetime,
    ) -> bool:
        result: Any = await self.tx.execute(
            insert_if_absent(self.tx, exposures).values(
                experiment_id=experiment_id,
                unit=unit,
                variant=variant,
                session_id=session_id,
                user_id=user_id,
                device_id=device_id,
                latency_ms=latency_ms,
                exposed_at=now,
            )
        )
        return bool(result.rowcount)

    async def record_teams(
        self,
        experiment_id: int,
        unit: str,
        session_id: str,
        items: Sequence[tuple[ItemKind, int, int, str]],
        now: datetime,
    ) -> None:
        if not items:
            return
        await self.tx.execute(
            insert_if_absent(self.tx, teams),
            [
                {
                    "experiment_id": experiment_id,
                    "unit": unit,
                    "session_id": session_id,
                    "kind": kind.value,
                    "item_id": item_id,
                    "position": position,
                    "team": team,
                    "served_at": now,
                }
                for kind, item_id, position, team in items
            ],
        )

    async def interleaved_sessions(self, experiment: Experiment, now: datetime) -> list[InterleavedSession]:
        """Each engagement is credited to the viewer's latest session that served the item before it,
        within `SESSION_CREDIT_WINDOW`; each (item, event type) once per session (`session_credit`)."""
        rows: Any = await self.tx.execute(
            select(
                teams.c.unit,
                teams.c.session_id,
                teams.c.kind,
                teams.c.item_id,
                teams.c.team,
                teams.c.served_at,
            )
            .where(teams.c.experiment_id == experiment.id)
            .order_by(teams.c.served_at, teams.c.id)
        )
        session_teams: dict[str, dict[tuple[ItemKind, int], str]] = {}
        session_unit: dict[str, str] = {}
        credited: dict[str, list[tuple[tuple[ItemKind, int], str]]] = defaultdict(list)
        served: dict[tuple[str, int], list[tuple[datetime, str]]] = defaultdict(list)
        by_unit: dict[str, _Unit] = {}
        for unit, session_id, kind, item_id, team, at in rows:
            session_teams.setdefault(session_id, {})[(ItemKind(kind), item_id)] = team
            session_unit[session_id] = unit
            if kind == ItemKind.PRODUCT.value:
                served[(unit, item_id)].append((at, session_id))
            if unit not in by_unit:
                by_unit[unit] = _Unit("interleaved", at, 0, 0.0)
        if not session_teams:
            return []
        owner, _ = await self._owners(by_unit)
        earliest = min(d.first for d in by_unit.values())
        engaged: list[tuple[str, int, str, datetime]] = []
        for chunk in _chunks(list(owner)):
            found_events: Any = await self.tx.execute(
                select(events.c.actor_key, events.c.subject_id, events.c.type, events.c.occurred_at).where(
                    events.c.actor_key.in_(chunk),
                    events.c.type.in_(sorted(CREDITED_EVENTS)),
                    events.c.subject_type == "Product",
                    events.c.occurred_at >= earliest,
                )
            )
            engaged += [(owner[a], item, kind, at) for a, item, kind, at in found_events]
            added: Any = await self.tx.execute(
                select(carts.c.owner_key, skus.c.product_id, cart_lines.c.added_at)
                .join(carts, carts.c.id == cart_lines.c.cart_id)
                .join(skus, skus.c.id == cart_lines.c.sku_id)
                .where(carts.c.owner_key.in_(chunk), cart_lines.c.added_at >= earliest)
            )
            engaged += [(owner[a], item, EventType.ADD_TO_CART.value, at) for a, item, at in added]
        for unit, item_id, kind, at in engaged:
            earlier = [
                (t, sid) for t, sid in served.get((unit, item_id), []) if t <= at < t + SESSION_CREDIT_WINDOW
            ]
            if earlier:
                credited[max(earlier)[1]].append(((ItemKind.PRODUCT, item_id), kind))
        return [
            InterleavedSession(sid, session_unit[sid], found, credited[sid])
            for sid, found in session_teams.items()
        ]

    async def outcomes(
        self, experiment: Experiment, now: datetime
    ) -> tuple[list[ViewerOutcome], dict[str, int]]:
        window = timedelta(days=experiment.window_days)
        rows: Any = await self.tx.execute(
            select(
                exposures.c.unit,
                exposures.c.variant,
                func.min(exposures.c.exposed_at),
                func.count(),
                func.avg(exposures.c.latency_ms),
            )
            .where(exposures.c.experiment_id == experiment.id)
            .group_by(exposures.c.unit, exposures.c.variant)
        )
        by_unit: dict[str, _Unit] = {}
        per_variant: dict[str, int] = defaultdict(int)
        for unit, variant, first, sessions, latency in rows:
            per_variant[variant] += sessions
            if (
                unit in by_unit
            ):  # assignment is deterministic; a second variant would be a bug: keep the first
                continue
            by_unit[unit] = _Unit(variant, first, sessions, float(latency or 0.0))
        if not by_unit:
            return [], dict(per_variant)
        owner, user_owner = await self._owners(by_unit)
        earliest = min(d.first for d in by_unit.values()) - window
        wanted = {
            EventType.IMPRESSION.value: "impressions",
            EventType.CLICK.value: "clicks",
            EventType.ADD_TO_CART.value: "add_to_carts",
            UNFOLLOWED: "unfollows",
        }
        actor_keys = list(owner)
        for chunk in _chunks(actor_keys):
            query = select(events.c.actor_key, events.c.type, events.c.occurred_at).where(
                events.c.actor_key.in_(chunk),
                events.c.type.in_(list(wanted)),
                events.c.occurred_at >= earliest,
            )
            for actor_key, kind, at in cast(Any, await self.tx.execute(query)):
                self._count(by_unit[owner[actor_key]], wanted[kind], at, window)
            added = (
                select(carts.c.owner_key, cart_lines.c.added_at)
                .join(carts, carts.c.id == cart_lines.c.cart_id)
                .where(carts.c.owner_key.in_(chunk), cart_lines.c.added_at >= earliest)
            )
            for actor_key, at in cast(Any, await self.tx.execute(added)):
                # A cart line added through the API is an add to cart even if no event said so.
                self._count(by_unit[owner[actor_key]], "add_to_carts", at, window)
        users = list(user_owner)
        for chunk in _chunks(users):
            query = select(
                orders.c.user_id,
                orders.c.total_minor,
                orders.c.refunded_minor,
                orders.c.currency,
                orders.c.created_at,
            ).where(
                orders.c.user_id.in_(chunk),
                orders.c.created_at >= earliest,
                orders.c.status.not_in(_COUNTED_ORDERS),
            )
            for user_id, total, refunded, currency, at in cast(Any, await self.tx.execute(query)):
                data = by_unit[user_owner[user_id]]
                self._count(data, "orders", at, window)
                self._revenue(data, currency, at, window, total - refunded)
            hidden: Any = await self.tx.execute(
                select(hides.c.user_id, hides.c.created_at).where(
                    hides.c.user_id.in_(chunk), hides.c.created_at >= earliest
                )
            )
            for user_id, at in hidden:
                self._count(by_unit[user_owner[user_id]], "hides", at, window)
        devices = [d.device_id for d in by_unit.values() if d.device_id]
        for chunk in _chunks(devices):
            query = select(
                orders.c.device_id,
                orders.c.total_minor,
                orders.c.refunded_minor,
                orders.c.currency,
                orders.c.created_at,
            ).where(
                orders.c.device_id.in_(chunk),
                orders.c.user_id.is_(None),
                orders.c.created_at >= earliest,
                orders.c.status.not_in(_COUNTED_ORDERS),
            )
            for device_id, total, refunded, currency, at in cast(Any, await self.tx.execute(query)):
                data = by_unit[f"d:{device_id}"]
                self._count(data, "orders", at, window)
                self._revenue(data, currency, at, window, total - refunded)
        outcomes = [
            ViewerOutcome(
                unit=key,
                variant=data.variant,
                sessions=data.sessions,
                impressions=data.counts["impressions"],
                clicks=data.counts["clicks"],
                add_to_carts=data.counts["add_to_carts"],
                orders=data.counts["orders"],
                revenue_minor=dict(data.revenue[""]),
                hides=data.counts["hides"],
                unfollows=data.counts["unfollows"],
                latency_ms=data.latency_ms,
                pre_add_to_carts=data.counts["pre_add_to_carts"],
                pre_orders=data.counts["pre_orders"],
                pre_revenue_minor=dict(data.revenue["pre_"]),
            )
            for key, data in by_unit.items()
        ]
        return outcomes, dict(per_variant)

    async def _owners(self, by_unit: dict[str, _Unit]) -> tuple[dict[str, str], dict[int, str]]:
        """Actor key -> unit and user id -> unit: a unit is its device (anonymous events, carts) and every
        account that kept it as its unit."""
        for key, data in by_unit.items():
            if key.startswith("u:"):
                data.user_ids.add(int(key[2:]))
            else:
                data.device_id = key[2:]
                data.actor_keys.add(key)
        device_units = [key for key in by_unit if key.startswith("d:")]
        for chunk in _chunks(device_units):
            found: Any = await self.tx.execute(
                select(units.c.user_id, units.c.unit).where(units.c.unit.in_(chunk))
            )
            for user_id, unit in found:
                by_unit[unit].user_ids.add(user_id)
        owner: dict[str, str] = {}
        user_owner: dict[int, str] = {}
        for key, data in by_unit.items():
            for actor_key in data.actor_keys:
                owner[actor_key] = key
            for user_id in data.user_ids:
                owner[f"u:{user_id}"] = key
                user_owner[user_id] = key
        return owner, user_owner

    @staticmethod
    def _revenue(data: _Unit, currency: str, at: datetime, window: timedelta, amount: int) -> None:
        if data.first <= at < data.first + window:
            data.revenue[""][currency] += amount
        elif data.first - window <= at < data.first:
            data.revenue["pre_"][currency] += amount

    @staticmethod
    def _count(data: _Unit, name: str, at: datetime, window: timedelta, amount: int = 1) -> None:
        """In the window from first exposure: counted; in the same length of time before: a pre-period
        covariate; otherwise ignored."""
        if data.first <= at < data.first + window:
            data.counts[name] += amount
        elif data.first - window <= at < data.first:
            data.counts[f"pre_{name}"] += amount
