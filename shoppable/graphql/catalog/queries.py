"""Catalog queries."""

from __future__ import annotations

import strawberry

from shoppable.domain.catalog.money import Money, MoneyError, is_currency, parse_money
from shoppable.domain.catalog.service import product_by_handles, visible_products
from shoppable.domain.identity import service as identity
from shoppable.domain.search.products import MAX_FILTER_VALUES, ProductSort, SearchInput
from shoppable.graphql.catalog.mutations import MoneyInput
from shoppable.graphql.catalog.types import Merchant, Product, ProductConnection, product_connection
from shoppable.graphql.context import Info
from shoppable.graphql.core.ids import bad_user_input, decode_id


@strawberry.type
class CatalogQueries:
    @strawberry.field
    async def merchant(self, info: Info, handle: str) -> Merchant | None:
        found = await identity.find_merchant(info.context.uow, handle)
        return Merchant.of(found) if found else None

    @strawberry.field(description="By global id, or by merchant handle + product handle.")
    async def product(
        self,
        info: Info,
        id: strawberry.ID | None = None,
        merchant_handle: str | None = None,
        handle: str | None = None,
    ) -> Product | None:
        if id is not None:
            pk = decode_id(id, "Product")
            found = await info.context.loaders.catalog.product_by_id.load(pk) if pk else None
            visible = visible_products(info.context.actor, [found])[0]
        elif merchant_handle and handle:
            visible = await product_by_handles(info.context.uow, info.context.actor, merchant_handle, handle)
        else:
            raise bad_user_input("Give `id`, or both `merchantHandle` and `handle`.")
        return Product.of(visible) if visible else None

    @strawberry.field(
        description="Search the catalog: `query` matches title, brand, category, description, options and tags "
        "(stemmed, accent-folded, typo-tolerant, the last word as a prefix); filters, sorts, facets."
    )
    async def products(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        query: str | None = None,
        merchant_handle: str | None = None,
        filter: ProductFilter | None = None,
        sort: ProductSort = ProductSort.RELEVANCE,
    ) -> ProductConnection:
        request = await filter_input(info, query, merchant_handle, filter or ProductFilter(), sort)
        return await product_connection(info, request, first, after)


@strawberry.input
class ProductFilter:
    categories: list[str] | None = None
    brands: list[str] | None = None
    merchant_handles: list[str] | None = None
    price_min: MoneyInput | None = None
    price_max: MoneyInput | None = None
    available_only: bool | None = None
    currency: str | None = strawberry.field(
        default=None,
        description="The shopper's currency (price bands, price sort); default: the price filter's, else EUR.",
    )


def _money(value: MoneyInput | None, name: str) -> Money | None:
    if value is None:
        return None
    try:
        return parse_money(value.amount, value.currency_code)
    except MoneyError as exc:
        raise bad_user_input(f"`{name}`: {exc}") from None


async def filter_input(
    info: Info, query: str | None, merchant_handle: str | None, given: ProductFilter, sort: ProductSort
) -> SearchInput:
    """The GraphQL arguments as a domain search request (merchant handles looked up; unknown ones match
    nothing)."""
    handles = list(given.merchant_handles or []) + ([merchant_handle] if merchant_handle else [])
    if len(handles) > MAX_FILTER_VALUES:
        raise bad_user_input(f"`merchantHandles` takes at most {MAX_FILTER_VALUES} values.")
    merchant_ids: tuple[int, ...] | None = None
    if handles:
        found = [await identity.find_merchant(info.context.uow, h) for h in dict.fromkeys(handles)]
        merchant_ids = tuple(m.id for m in found if m is not None)
    currency = (given.currency or "").strip().upper() or None
    if currency is not None and not is_currency(currency):
        raise bad_user_input("`currency` is not a known currency code.")
    return SearchInput(
        query=query,
        merchant_ids=merchant_ids,
        categories=tuple(given.categories or ()),
        brands=tuple(given.brands or ()),
        price_min=_money(given.price_min, "priceMin"),
        price_max=_money(given.price_max, "priceMax"),
        available_only=bool(given.available_only),
        currency=currency,
        sort=sort,
    )
