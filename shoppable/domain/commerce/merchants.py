"""A merchant's shop settings: what orders, commissions and low-stock alerts follow.

Changes apply to orders placed afterwards; an order keeps the rate and windows of its moment.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from shoppable.domain.commerce.limits import (
    ATTRIBUTION_WINDOW_DAYS_MAX,
    COMMISSION_RATE_BPS_MAX,
    LOW_STOCK_THRESHOLD_MAX,
    MERCHANT_NAME_MAX,
    RETURN_WINDOW_DAYS_MAX,
)
from shoppable.domain.errors import DomainError, ErrorCode, FieldError
from shoppable.domain.identity import audit, policy
from shoppable.domain.identity.actor import Actor
from shoppable.domain.identity.records import Merchant
from shoppable.domain.search.analysis import LANGUAGES

if TYPE_CHECKING:
    from shoppable.domain.uow import UnitOfWork

_RATE = re.compile(r"^\d{1,2}(\.\d{1,4})?$|^0?\.\d{1,4}$")


@dataclass(frozen=True)
class MerchantChanges:
    name: str | None = None
    low_stock_threshold: int | None = None
    commission_rate: str | None = None  # a decimal fraction, "0.10" for 10%
    return_window_days: int | None = None
    attribution_window_days: int | None = None
    language: str | None = None  # the catalog's language (ISO 639-1): how search stems its words


def parse_rate(text: str) -> int | None:
    """ "0.1", "0.125" -> basis points; None when not a fraction with at most 4 decimals."""
    if not _RATE.match(text.strip()):
        return None
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        return None
    return int(value * 10000)


def _range(value: int | None, field: str, low: int, high: int, errors: list[FieldError]) -> None:
    if value is not None and not low <= value <= high:
        errors.append(FieldError((field,), ErrorCode.INVALID, f"Must be between {low} and {high}."))


async def update_merchant(
    uow: UnitOfWork, actor: Actor, merchant_id: int, changes: MerchantChanges
) -> Merchant:
    if not policy.can_manage_catalog(actor, merchant_id):
        raise policy.refusal(actor, ("merchantId",), ErrorCode.NOT_FOUND, "No such merchant.")
    errors: list[FieldError] = []
    values: dict[str, int | str] = {}
    if changes.name is not None:
        name = changes.name.strip()
        if not name or len(name) > MERCHANT_NAME_MAX or not name.isprintable():
            errors.append(
                FieldError(("name",), ErrorCode.INVALID, f"1-{MERCHANT_NAME_MAX} printable characters.")
            )
        values["name"] = name
    if changes.commission_rate is not None:
        bps = parse_rate(changes.commission_rate)
        if bps is None or not 0 <= bps <= COMMISSION_RATE_BPS_MAX:
            errors.append(
                FieldError(
                    ("commissionRate",),
                    ErrorCode.INVALID,
                    f'A fraction between 0 and {COMMISSION_RATE_BPS_MAX / 10000:g}, e.g. "0.10" for 10%.',
                )
            )
        else:
            values["commission_rate_bps"] = bps
    _range(changes.low_stock_threshold, "lowStockThreshold", 0, LOW_STOCK_THRESHOLD_MAX, errors)
    _range(changes.return_window_days, "returnWindowDays", 0, RETURN_WINDOW_DAYS_MAX, errors)
    _range(changes.attribution_window_days, "attributionWindowDays", 0, ATTRIBUTION_WINDOW_DAYS_MAX, errors)
    if changes.language is not None:
        language = changes.language.strip().lower()
        if language not in LANGUAGES:
            errors.append(
                FieldError(("language",), ErrorCode.INVALID, f"One of {', '.join(sorted(LANGUAGES))}.")
            )
        values["language"] = language
    if errors:
        raise DomainError(*errors)
    for key in ("low_stock_threshold", "return_window_days", "attribution_window_days"):
        value = getattr(changes, key)
        if value is not None:
            values[key] = value
    await uow.begin_write()
    before = await uow.identity.get_merchant(merchant_id)
    if values:
        await uow.commerce.update_merchant(merchant_id, values)
        if "name" in values:
            uow.search.changed()  # the merchant facet shows the name: cached facets must go
        await audit.record(
            uow, actor, "merchant.updated", "Merchant", merchant_id, {"changed": sorted(values)}
        )
    merchant = await uow.identity.get_merchant(merchant_id)
    if merchant is None or before is None:
        raise DomainError.single(("merchantId",), ErrorCode.NOT_FOUND, "No such merchant.")
    if merchant.language != before.language:
        await uow.search.refresh_merchant(merchant_id)  # its words are stemmed in the new language
    await uow.commit()
    return merchant
