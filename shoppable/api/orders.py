"""REST for merchants' systems: their orders, polled by `updatedSince`, fulfilled, cancelled, refunded.

API keys and the merchant's people (bearer tokens) see only their own shop's orders; anyone else's
order is 404. Ids are the GraphQL global ids, money is `{amount, currencyCode}`, so both APIs agree.
The POSTs honour `Idempotency-Key`: a key is scoped to the order and the operation, its record is
written in the transaction that makes the change, and the order's row is locked before the key is
looked up, so concurrent retries with one key run the change once and replay its answer.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

import msgspec
from graphql import GraphQLError
from litestar import Controller, Request, Response, get, post
from litestar.params import Parameter

from shoppable.api.dependencies import DEPENDENCIES, AppServices, RequestUnitOfWork
from shoppable.api.problems import Problem, domain_problem, field_problems
from shoppable.domain.catalog.money import Money as MoneyRecord
from shoppable.domain.catalog.service import merchant_for
from shoppable.domain.commerce import orders
from shoppable.domain.commerce.limits import MAX_LINES_PER_CALL
from shoppable.domain.commerce.order_feed import FeedPosition, order_feed
from shoppable.domain.commerce.records import (
    FinancialStatus,
    FulfillmentStatus,
    Order,
    OrderLine,
    OrderStatus,
    format_rate,
    order_number,
)
from shoppable.domain.errors import DomainError, ErrorCode, FieldError
from shoppable.domain.idempotency import run_once
from shoppable.domain.identity.actor import Actor
from shoppable.domain.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from shoppable.domain.uow import UnitOfWork
from shoppable.graphql.core.ids import CursorCodec, decode_input_id, encode_id, parse_id

CURSOR_KIND = "rest-orders"
MAX_BODY_BYTES = 64 * 1024
"""Bodies name at most MAX_LINES_PER_CALL lines: a few kilobytes."""


# -- what the API answers -------------------------------------------------------------------------


class Money(msgspec.Struct, rename="camel"):
    amount: str
    currency_code: str

    @classmethod
    def of(cls, money: MoneyRecord) -> Money:
        return cls(amount=money.amount, currency_code=money.currency)


class Attribution(msgspec.Struct, rename="camel"):
    """The creator credited with the line, and the commission rate in force when it was sold."""

    creator_id: str
    post_id: str | None
    attributed_at: datetime | None
    commission_rate: str | None


class OrderLineBody(msgspec.Struct, rename="camel"):
    id: str
    sku_id: str
    sku: str
    product_id: str
    title: str
    quantity: int
    price: Money
    fulfilled_quantity: int
    refunded_quantity: int
    attribution: Attribution | None

    @classmethod
    def of(cls, line: OrderLine) -> OrderLineBody:
        credited = (
            None
            if line.attributed_creator_id is None
            else Attribution(
                creator_id=encode_id("Creator", line.attributed_creator_id),
                post_id=None
                if line.attributed_post_id is None
                else encode_id("Post", line.attributed_post_id),
                attributed_at=line.attributed_at,
                commission_rate=(
                    None if line.commission_rate_bps is None else format_rate(line.commission_rate_bps)
                ),
            )
        )
        return cls(
            id=encode_id("OrderLine", line.id),
            sku_id=encode_id("Sku", line.sku_id),
            sku=line.sku_code,
            product_id=encode_id("Product", line.product_id),
            title=line.title,
            quantity=line.quantity,
            price=Money.of(line.price),
            fulfilled_quantity=line.fulfilled_quantity,
            refunded_quantity=line.refunded_quantity,
            attribution=credited,
        )


class OrderBody(msgspec.Struct, rename="camel"):
    id: str
    number: str
    merchant_id: str
    status: OrderStatus
    financial_status: FinancialStatus
    fulfillment_status: FulfillmentStatus
    total: Money
    refunded: Money
    cancel_reason: str | None
    created_at: datetime
    updated_at: datetime
    lines: list[OrderLineBody]

    @classmethod
    def of(cls, order: Order, lines: list[OrderLine]) -> OrderBody:
        return cls(
            id=encode_id("Order", order.id),
            number=order_number(order.number),
            merchant_id=encode_id("Merchant", order.merchant_id),
            status=order.status,
            financial_status=order.financial_status,
            fulfillment_status=order.fulfillment_status,
            total=Money.of(order.total),
            refunded=Money.of(MoneyRecord(order.refunded_minor, order.total.currency)),
            cancel_reason=order.cancel_reason or None,
            created_at=order.created_at,
            updated_at=order.updated_at,
            lines=[OrderLineBody.of(line) for line in lines if line.order_id == order.id],
        )


class PageInfo(msgspec.Struct, rename="camel"):
    has_next_page: bool
    end_cursor: str | None


class OrderList(msgspec.Struct, rename="camel"):
    orders: list[OrderBody]
    page_info: PageInfo


# -- what the API takes ---------------------------------------------------------------------------


class FulfillmentRequest(msgspec.Struct, rename="camel", forbid_unknown_fields=True):
    line_ids: list[str] | None = None
    """The lines to mark shipped; every open line when omitted."""


class CancellationRequest(msgspec.Struct, rename="camel", forbid_unknown_fields=True):
    reason: str | None = None


class RefundLineRequest(msgspec.Struct, rename="camel", forbid_unknown_fields=True):
    line_id: str
    quantity: int


class RefundRequest(msgspec.Struct, rename="camel", forbid_unknown_fields=True):
    lines: list[RefundLineRequest]


class OrdersController(Controller):
    path = "/v1/orders"
    dependencies = DEPENDENCIES
    tags = ["orders"]

    @get("/")
    async def list_orders(
        self,
        services: AppServices,
        uow: RequestUnitOfWork,
        actor: Actor,
        status: str | None = Parameter(
            query="status", default=None, description="OPEN, COMPLETED or CANCELLED."
        ),
        updated_since: str | None = Parameter(
            query="updatedSince",
            default=None,
            description="ISO 8601 with a time zone. Polling: orders changed since then, oldest change first; "
            "`pageInfo.endCursor` is always set and resumes the poll (delivery is at least once).",
        ),
        first: int = Parameter(query="first", default=DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE),
        after: str | None = Parameter(query="after", default=None, description="A previous `endCursor`."),
        merchant: str | None = Parameter(
            query="merchant", default=None, description="The shop's handle, for people who run several."
        ),
    ) -> OrderList:
        """The shop's orders, newest first; with `updatedSince`, every change since then, oldest first."""
        wanted_status = _status(status)
        since = _since(updated_since)
        codec = CursorCodec(services.settings.secret_key)
        position = _decode_cursor(codec, after) if after else None
        target = await merchant_for(uow, _merchant_caller(actor), merchant)
        try:
            page = await order_feed(
                uow,
                actor,
                target.id,
                first,
                status=wanted_status,
                since=since,
                after=position,
                now=services.clock(),
            )
        except DomainError as exc:
            raise _query_problem(exc.errors) from None
        lines = await uow.commerce.lines_of_orders([order.id for order in page.orders])
        return OrderList(
            orders=[OrderBody.of(order, lines) for order in page.orders],
            page_info=PageInfo(
                has_next_page=page.has_next,
                end_cursor=None if page.next is None else _encode_cursor(codec, page.next),
            ),
        )

    @get("/{order_id:str}")
    async def get_order(self, uow: RequestUnitOfWork, actor: Actor, order_id: str) -> OrderBody:
        """One order of the shop's (another shop's order is 404)."""
        pk = _order_pk(order_id)
        try:
            order = await orders.merchant_order(uow, actor, pk)
        except DomainError as exc:
            raise _problem(exc, order_id) from None
        return OrderBody.of(order, await uow.commerce.lines_of_orders([order.id]))

    @post("/{order_id:str}/fulfillments", status_code=200, request_max_body_size=MAX_BODY_BYTES)
    async def fulfill(
        self,
        request: Request[Any, Any, Any],
        services: AppServices,
        uow: RequestUnitOfWork,
        actor: Actor,
        order_id: str,
        data: FulfillmentRequest | None = None,
    ) -> Response[OrderBody]:
        """Mark lines shipped (every open line when `lineIds` is omitted). Honours `Idempotency-Key`."""
        body = data or FulfillmentRequest()
        line_ids = None if body.line_ids is None else _line_ids(body.line_ids)

        async def operation(deferred: UnitOfWork) -> Order:
            return await orders.fulfill(deferred, actor, _order_pk(order_id), line_ids, services.clock())

        return await _run(request, uow, actor, order_id, "fulfillments", body, operation)

    @post("/{order_id:str}/cancellation", status_code=200, request_max_body_size=MAX_BODY_BYTES)
    async def cancel(
        self,
        request: Request[Any, Any, Any],
        services: AppServices,
        uow: RequestUnitOfWork,
        actor: Actor,
        order_id: str,
        data: CancellationRequest | None = None,
    ) -> Response[OrderBody]:
        """Cancel an order nothing of which has shipped: stock goes back, the payment is refunded,
        commissions not yet locked are reversed. Honours `Idempotency-Key`."""
        body = data or CancellationRequest()

        async def operation(deferred: UnitOfWork) -> Order:
            return await orders.cancel(
                deferred, actor, _order_pk(order_id), body.reason, services, services.clock()
            )

        return await _run(request, uow, actor, order_id, "cancellation", body, operation)

    @post("/{order_id:str}/refunds", status_code=200, request_max_body_size=MAX_BODY_BYTES)
    async def refund(
        self,
        request: Request[Any, Any, Any],
        services: AppServices,
        uow: RequestUnitOfWork,
        actor: Actor,
        order_id: str,
        data: RefundRequest,
    ) -> Response[OrderBody]:
        """Refund units of lines through the payment gateway; pending commissions are reversed in
        proportion. Honours `Idempotency-Key`."""
        if len(data.lines) > MAX_LINES_PER_CALL:
            raise field_problems(
                [FieldError(("lines",), ErrorCode.LIMIT_EXCEEDED, f"At most {MAX_LINES_PER_CALL} lines.")]
            )
        wanted = [
            orders.RefundLine(
                decode_input_id(line.line_id, "OrderLine", ("lines", i, "lineId")), line.quantity
            )
            for i, line in enumerate(data.lines)
        ]

        async def operation(deferred: UnitOfWork) -> Order:
            return await orders.refund(
                deferred, actor, _order_pk(order_id), wanted, services, services.clock()
            )

        return await _run(request, uow, actor, order_id, "refunds", data, operation)


class _CommitWithTheKey:
    """The request's unit of work, lent to an operation that commits itself: its commit is left to
    `run_once`, which writes the idempotency record first, so the change and the record are kept
    together or not at all."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    def __getattr__(self, name: str) -> Any:
        return getattr(self._uow, name)

    async def commit(self) -> None:
        return None


async def _run(
    request: Request[Any, Any, Any],
    uow: UnitOfWork,
    actor: Actor,
    order_id: str,
    operation_name: str,
    body: msgspec.Struct,
    operation: Any,
) -> Response[OrderBody]:
    pk = _order_pk(order_id)
    key = request.headers.get("idempotency-key")
    try:
        await uow.begin_write()
        # Lock the order before the key is looked up: a concurrent call with the same key waits here,
        # then finds the first one's record and replays it.
        order = await orders.merchant_order(uow, actor, pk, lock=True)

        async def apply() -> tuple[int, Any]:
            done = await operation(cast(UnitOfWork, _CommitWithTheKey(uow)))
            lines = await uow.commerce.lines_of_orders([done.id])
            return 200, msgspec.to_builtins(OrderBody.of(done, lines))

        endpoint = f"orders/{pk}/{operation_name}"
        status, answer, replayed = await run_once(
            uow, order.merchant_id, endpoint, key, msgspec.to_builtins(body), apply
        )
    except DomainError as exc:
        raise _problem(exc, order_id) from None
    headers = {"Idempotent-Replayed": "true"} if replayed else {}
    return Response(msgspec.convert(answer, OrderBody), status_code=status, headers=headers)


# -- reading the request --------------------------------------------------------------------------


def _merchant_caller(actor: Actor) -> Actor:
    if not actor.merchant_ids and not actor.is_admin:
        raise Problem(
            403, "Forbidden", "Orders are for a merchant's API keys and people.", slug="not-a-merchant"
        )
    return actor


def _order_pk(order_id: str) -> int:
    """The pk of an Order global id; anything else names no order of the caller's (404)."""
    try:
        type_name, pk = parse_id(order_id)
    except GraphQLError:
        type_name, pk = "", 0
    if type_name != "Order":
        raise Problem(404, "Order not found", f"No order {order_id[:64]!r} of yours.", slug="order-not-found")
    return pk


def _line_ids(values: list[str]) -> list[int]:
    if len(values) > MAX_LINES_PER_CALL:
        raise field_problems(
            [FieldError(("lineIds",), ErrorCode.LIMIT_EXCEEDED, f"At most {MAX_LINES_PER_CALL} lines.")]
        )
    found, errors = [], []
    for index, value in enumerate(values):
        try:
            found.append(decode_input_id(value, "OrderLine", ("lineIds", index)))
        except DomainError as exc:
            errors.extend(exc.errors)
    if errors:
        raise field_problems(errors)
    return found


def _status(value: str | None) -> OrderStatus | None:
    if value is None:
        return None
    try:
        return OrderStatus(value.upper())
    except ValueError:
        known = ", ".join(s.value for s in OrderStatus)
        raise _query_problem(
            [FieldError(("status",), ErrorCode.INVALID, f"`status` is one of {known}.")]
        ) from None


def _since(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
        # Without an offset, which zone is meant cannot be known: refused rather than guessed.
        moment = parsed.astimezone(UTC) if parsed.tzinfo is not None else None
    except (ValueError, OverflowError):  # OverflowError: an offset past year 1 or 9999
        moment = None
    if moment is None:
        raise _query_problem(
            [
                FieldError(
                    ("updatedSince",),
                    ErrorCode.INVALID,
                    "`updatedSince` is an ISO 8601 time with a time zone, e.g. 2026-01-31T09:00:00Z.",
                )
            ]
        )
    return moment


def _query_problem(errors: list[FieldError] | tuple[FieldError, ...]) -> Problem:
    return field_problems(list(errors), 400, "Invalid query parameter")


def _problem(exc: DomainError, order_id: str) -> Problem:
    """Not found is 404, a state that forbids the change 409, a gateway that refused 502."""
    first = exc.errors[0] if exc.errors else None
    if first is not None and first.field == ("orderId",) and first.code is ErrorCode.NOT_FOUND:
        return Problem(
            404, "Order not found", f"No order {order_id[:64]!r} of yours.", slug="order-not-found"
        )
    if first is not None and first.code is ErrorCode.CONFLICT and first.field[:1] != ("Idempotency-Key",):
        return field_problems(list(exc.errors), 409, "Conflict")
    if first is not None and first.code is ErrorCode.PAYMENT_FAILED:
        return field_problems(list(exc.errors), 502, "Payment gateway error")
    return domain_problem(exc)


# -- cursors --------------------------------------------------------------------------------------


def _encode_cursor(codec: CursorCodec, position: FeedPosition) -> str:
    def moment(value: datetime | None) -> str | None:
        return None if value is None else value.isoformat()

    return codec.encode(
        CURSOR_KIND,
        [
            position.merchant_id,
            None if position.status is None else position.status.value,
            moment(position.since),
            None if position.key is None else list(position.key),
            moment(position.walk_started),
            moment(position.last_seen),
            position.caught_up,
        ],
    )


def _decode_cursor(codec: CursorCodec, cursor: str) -> FeedPosition:
    bad = _query_problem([FieldError(("after",), ErrorCode.INVALID, "Invalid cursor.")])
    try:
        merchant_id, status, since, key, walk_started, last_seen, caught_up = codec.decode(
            CURSOR_KIND, cursor
        )
    except (GraphQLError, TypeError, ValueError):
        raise bad from None

    def moment(value: Any) -> datetime | None:
        if value is None:
            return None
        parsed = datetime.fromisoformat(value)
        if parsed.tzinfo is None:
            raise ValueError("naive time")
        return parsed

    try:
        if not isinstance(merchant_id, int) or not isinstance(caught_up, bool):
            raise ValueError("shape")
        if key is not None and (
            not isinstance(key, list) or len(key) != 2 or not all(type(v) is int for v in key)
        ):
            raise ValueError("key")
        return FeedPosition(
            merchant_id=merchant_id,
            status=None if status is None else OrderStatus(status),
            since=moment(since),
            key=None if key is None else tuple(key),
            walk_started=moment(walk_started),
            last_seen=moment(last_seen),
            caught_up=caught_up,
        )
    except (TypeError, ValueError):
        raise bad from None
