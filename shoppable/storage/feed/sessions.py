"""Feed sessions and the items each served, at their positions (what replays and cursors read)."""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    BigInteger,
    BindParameter,
    CompoundSelect,
    Float,
    Integer,
    Text,
    bindparam,
    case,
    column,
    delete,
    func,
    insert,
    literal,
    null,
    select,
    true,
    union_all,
    update,
)
from sqlalchemy import cast as sql_cast
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Connection, CursorResult
from sqlalchemy.exc import IntegrityError

from shoppable.domain.feed.model import (
    Candidate,
    FeedMode,
    FeedSession,
    FeedSource,
    ItemKind,
    Reason,
    ReasonCode,
    ServedItem,
)
from shoppable.domain.feed.ports import Plan, ProductInfo, SessionConflict, SessionState
from shoppable.storage.feed.queries import RepositoryPart, products, sellable_product_query, served, sessions
from shoppable.storage.feed.reads import Exclusion, exclusions_of, exclusions_query
from shoppable.storage.sql import IDS, ids_param, insert_if_absent
from shoppable.storage.types import UTCDateTime, utcnow


def _reasons_json(reasons: Sequence[Reason]) -> str:
    return json.dumps([[r.code.value, r.text] for r in reasons], separators=(",", ":"))


def _served_item(row: Any, *, with_reasons: bool) -> ServedItem:
    why = json.loads(row.reasons) if with_reasons else ()
    return ServedItem(
        position=row.position,
        kind=ItemKind(row.kind),
        item_id=row.item_id,
        author_id=row.author_id or 0,
        source=FeedSource(row.source),
        reasons=tuple(Reason(ReasonCode(code), text) for code, text in why),
    )


def _candidates_json(candidates: Sequence[Candidate]) -> list[Any]:
    return [
        [c.item_id, c.author_id, c.score, c.source.value, [[r.code.value, r.text] for r in c.reasons]]
        for c in candidates
    ]


def _plan_json(plan: Plan) -> str:
    return json.dumps(
        {
            "key": plan.key,
            "at": plan.planned_at.isoformat(),
            "posts": _candidates_json(plan.posts),
            "products": _candidates_json(plan.products),
        },
        separators=(",", ":"),
    )


def _candidates_of(kind: ItemKind, rows: list[Any]) -> list[Candidate]:
    return [
        Candidate(
            kind,
            item_id,
            author_id,
            score,
            FeedSource(source),
            tuple(Reason(ReasonCode(code), text) for code, text in why),
        )
        for item_id, author_id, score, source, why in rows
    ]


def _plan(text: str) -> Plan | None:
    """The stored plan, or None when it cannot be read (say, written by a newer version): a cache."""
    try:
        data = json.loads(text)
        return Plan(
            data["key"],
            _candidates_of(ItemKind.POST, data["posts"]),
            _candidates_of(ItemKind.PRODUCT, data["products"]),
            datetime.fromisoformat(data["at"]),
        )
    except (ValueError, KeyError, TypeError):
        return None


def _session(row: Any) -> FeedSession:
    return FeedSession(
        row.id, row.actor_key, FeedMode(row.mode), row.personalized, row.served, row.expires_at
    )


_SESSION_COLUMNS = (
    sessions.c.id,
    sessions.c.actor_key,
    sessions.c.mode,
    sessions.c.personalized,
    sessions.c.served,
    sessions.c.expires_at,
)


_PRODUCT_COLUMNS = (
    column("product_id", BigInteger),
    column("merchant_id", BigInteger),
    column("merchant_name", Text),
    column("title", Text),
    column("category", Text),
    column("created_at", UTCDateTime),
)
"""The sellable part's own columns (`sellable_product_query` names them id, merchant_id, …)."""

_STATE_COLUMNS: tuple[tuple[str, Any], ...] = (
    *((c.name, c.type) for c in (*_SESSION_COLUMNS,)),
    ("position", Integer()),
    ("kind", Text()),
    ("item_id", BigInteger()),
    ("author_id", BigInteger()),
    ("source", Text()),
    ("reasons", Text()),
    *((c.name, c.type) for c in _PRODUCT_COLUMNS),
)


def tagged(part: str, values: dict[str, Any]) -> list[Any]:
    """The select list of one part of `session_state`'s UNION ALL: `part`, then every column in
    order, a typed NULL where this part has none."""
    return [
        literal(part).label("part"),
        *[
            (values[name] if name in values else sql_cast(null(), type_)).label(name)
            for name, type_ in _STATE_COLUMNS
        ],
    ]


def _product(row: Any) -> ProductInfo:
    return ProductInfo(
        row.product_id, row.merchant_id, row.merchant_name, row.title, row.category, row.created_at
    )


def _rowcount(result: Any) -> int:
    return cast(CursorResult[Any], result).rowcount


_ITEM_COLUMNS = (
    column("position", Integer),
    column("kind", Text),
    column("item_id", BigInteger),
    column("author_id", BigInteger),
    column("source", Text),
    column("reasons", Text),
    column("score", Float),
)


def _with_items(session_write: Any, rows: list[dict[str, Any]]) -> Any:
    """PostgreSQL: `session_write` (the INSERT or UPDATE of the session row) and the INSERT of its
    served items as one statement; the items are written only when the session row was."""
    written = session_write.returning(sessions.c.id).cte("written")
    items = (
        func.jsonb_to_recordset(
            literal(json.dumps([{k: v for k, v in r.items() if k != "session_id"} for r in rows])).cast(JSONB)
        )
        .table_valued(*_ITEM_COLUMNS)
        .render_derived(name="items", with_types=True)
    )
    names = [c.name for c in _ITEM_COLUMNS]
    return insert(served).from_select(
        ["session_id", *names],
        select(written.c.id, *[items.c[name] for name in names]).select_from(written.join(items, true())),
    )


@functools.cache
def _session_state(owner: str | None, with_sellable: bool) -> CompoundSelect[Any]:
    """`session_state`'s statement for one shape (exclusions of a "user", a "device" or none; sellable
    products among `IDS` or not), built once (see `ids_param`).

    One UNION ALL of parts told apart by `part`, each filling its own columns: s the session row, S
    what it served (reasons only from `replay_from` on: a long walk would otherwise read every reason
    it ever served on every page), X the user's or device's exclusions, P the sellable products. The
    session's columns come once, not on every served row: a long walk would otherwise decode its
    expiry hundreds of times a page."""
    session_id: BindParameter[str] = bindparam("session_id")
    parts = [
        select(*tagged("s", {c.name: c for c in _SESSION_COLUMNS})).where(sessions.c.id == session_id),
        select(
            *tagged(
                "S",
                {
                    "position": served.c.position,
                    "kind": served.c.kind,
                    "item_id": served.c.item_id,
                    "author_id": served.c.author_id,
                    "source": served.c.source,
                    "reasons": case(
                        (served.c.position >= bindparam("replay_from"), served.c.reasons), else_=null()
                    ),
                },
            )
        ).where(served.c.session_id == session_id),
    ]
    if owner is not None:
        excluded = exclusions_query(
            bindparam("user_id") if owner == "user" else None,
            bindparam("device_id") if owner == "device" else None,
            bindparam("bought_since"),
        ).subquery()
        parts.append(select(*tagged("X", {"kind": excluded.c.kind, "item_id": excluded.c.pk})))
    if with_sellable:
        product = sellable_product_query().where(products.c.id.in_(ids_param())).subquery()
        named = {"product_id": product.c.id} | {c.name: product.c[c.name] for c in _PRODUCT_COLUMNS[1:]}
        parts.append(select(*tagged("P", named)))
    return union_all(*parts)


class SqlFeedSessions(RepositoryPart):
    async def session(self, session_id: str, replay_from: int) -> tuple[FeedSession, list[ServedItem]] | None:
        return (await self.session_state(session_id, replay_from, None, None, utcnow())).found

    async def session_state(
        self,
        session_id: str,
        replay_from: int,
        user_id: int | None,
        device_id: str | None,
        bought_since: datetime,
        sellable_among: Sequence[int] = (),
    ) -> SessionState:
        owner = "user" if user_id is not None else "device" if device_id is not None else None
        ids = sorted(set(sellable_among))
        params = {
            "session_id": session_id,
            "replay_from": replay_from,
            "user_id": user_id,
            "device_id": device_id,
            "bought_since": bought_since,
            IDS: ids,
        }
        rows = (await self.tx.execute(_session_state(owner, bool(ids)), params)).all()
        hidden, purchased = exclusions_of(Exclusion(row.kind, row.item_id) for row in rows if row.part == "X")
        sellable = {row.product_id: _product(row) for row in rows if row.part == "P"}
        head = next((row for row in rows if row.part == "s"), None)
        if head is None:
            return SessionState(None, hidden, purchased, sellable)
        mine = sorted((row for row in rows if row.part == "S"), key=lambda row: row.position)
        items = [_served_item(row, with_reasons=row.position >= replay_from) for row in mine]
        return SessionState((_session(head), items), hidden, purchased, sellable)

    async def append(
        self, session: FeedSession, items: Sequence[ServedItem], plan: Plan | None = None
    ) -> None:
        """Create the session when new, and add its items; fails if another request took those positions.

        Two or three statements in one burst (`write_at_once`): on SQLite the database's write lock is
        held only while they run, not across event-loop turns."""
        count = (items[-1].position + 1) if items else session.served
        stored_plan = {"plan": _plan_json(plan)} if plan is not None else {}
        create = insert_if_absent(self.tx, sessions).values(
            id=session.id,
            actor_key=session.actor_key,
            mode=session.mode.value,
            personalized=session.personalized,
            served=count,
            created_at=utcnow(),
            expires_at=session.expires_at,
            **stored_plan,
        )
        extend = (
            update(sessions)
            .where(sessions.c.id == session.id, sessions.c.served == session.served)
            .values(served=count, **stored_plan)
        )
        rows = [
            {
                "session_id": session.id,
                "position": i.position,
                "kind": i.kind.value,
                "item_id": i.item_id,
                "author_id": i.author_id,
                "source": i.source.value,
                "reasons": _reasons_json(i.reasons),
                "score": 0.0,
            }
            for i in items
        ]

        def write(connection: Connection) -> None:
            # A new session is inserted; one that exists (a retry of its first page, or a later page)
            # is extended only from the count this request read: otherwise another request was first.
            if rows and self.tx.dialect == "postgresql":
                # One statement, one round trip: the session row and its new items together (the
                # items are inserted only when the session row was; else the two statements below).
                first = session.served == 0
                if _rowcount(connection.execute(_with_items(create if first else extend, rows))) == len(rows):
                    return
                if not first:
                    raise SessionConflict(session.id)
            created = session.served == 0 and _rowcount(connection.execute(create)) == 1
            if not created and _rowcount(connection.execute(extend)) != 1:
                raise SessionConflict(session.id)
            if rows:
                connection.execute(insert(served), rows)

        try:
            await self.tx.write_at_once(write)
        except IntegrityError as exc:
            raise SessionConflict(session.id) from exc

    async def saved_plan(self, session_id: str) -> Plan | None:
        row = (await self.tx.execute(select(sessions.c.plan).where(sessions.c.id == session_id))).first()
        return _plan(row.plan) if row is not None and row.plan else None

    async def delete_expired_sessions(self, now: datetime) -> int:
        expired = select(sessions.c.id).where(sessions.c.expires_at <= now)
        await self.tx.execute(delete(served).where(served.c.session_id.in_(expired)))
        result = await self.tx.execute(delete(sessions).where(sessions.c.expires_at <= now))
        return _rowcount(result) or 0
