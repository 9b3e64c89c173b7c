"""Catalog queries."""

from __future__ import annotations

import strawberry

from shoppable.domain.catalog.records import Product as ProductRecord
from shoppable.domain.catalog.service import (
    list_products,
    product_by_handles,
    search_text_problem,
    visible_products,
)
from shoppable.domain.identity import service as identity
from shoppable.domain.pagination import Page
from shoppable.graphql.catalog.types import Merchant, Product
from shoppable.graphql.context import Info
from shoppable.graphql.core.connection import Connection, connection, page_request
from shoppable.graphql.core.ids import bad_user_input, decode_id
from shoppable.graphql.core.lookahead import selected_below

NO_PRODUCTS: Page[ProductRecord] = Page(items=[], keys=[], has_next=False)


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

    @strawberry.field(description="Newest first; `query` matches words of title and brand.")
    async def products(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        query: str | None = None,
        merchant_handle: str | None = None,
    ) -> Connection[Product]:
        if query is not None and (problem := search_text_problem(query)):
            raise bad_user_input(f"`query` {problem}")
        request = page_request(info.context.cursors, "products", first, after)
        merchant_id = None
        if merchant_handle:
            merchant = await identity.find_merchant(info.context.uow, merchant_handle)
            if merchant is None:
                return connection(info.context.cursors, "products", NO_PRODUCTS, Product.of)
            merchant_id = merchant.id
        page = await list_products(
            info.context.uow, info.context.actor, request, merchant_id=merchant_id, query=query
        )
        await info.context.loaders.catalog.prefetch_for(page.items, selected_below(info, "edges", "node"))
        return connection(info.context.cursors, "products", page, Product.of, had_cursor=after is not None)
