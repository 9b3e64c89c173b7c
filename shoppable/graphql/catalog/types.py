"""GraphQL types of the catalog: thin views over domain records."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import strawberry

from shoppable.domain.catalog.availability import Availability, InventoryPolicy
from shoppable.domain.catalog.drafts import ProductStatus
from shoppable.domain.catalog.money import Money as DomainMoney
from shoppable.domain.catalog.records import Product as ProductRecord
from shoppable.domain.catalog.records import ProductImage, price_range
from shoppable.domain.catalog.records import Sku as SkuRecord
from shoppable.domain.identity import policy
from shoppable.domain.identity.records import ApiKey as ApiKeyRecord
from shoppable.domain.identity.records import Merchant as MerchantRecord
from shoppable.domain.pagination import Page
from shoppable.domain.search import products as product_search
from shoppable.domain.search.products import ProductSort, SearchInput
from shoppable.graphql.context import Info
from shoppable.graphql.core.connection import Connection, connection, page_in_memory, page_request
from shoppable.graphql.core.dataloader import Loader, now_or_later
from shoppable.graphql.core.ids import encode_id
from shoppable.graphql.core.lookahead import selected_below
from shoppable.graphql.core.node import Node, node_type

if TYPE_CHECKING:
    from shoppable.graphql.catalog.imports import CatalogImport
    from shoppable.graphql.commerce.types import MerchantSettings, Order, OrderStatus
    from shoppable.graphql.content.types import Post
    from shoppable.graphql.webhooks.types import WebhookDelivery, WebhookDeliveryStatus, WebhookEndpoint

COMMERCE_TYPES = "shoppable.graphql.commerce.types"

T = TypeVar("T")

# The domain's enums are the GraphQL enums: strawberry.enum marks each class in place, so fields are
# annotated with the domain classes themselves.
strawberry.enum(ProductStatus, name="ProductStatus")
strawberry.enum(Availability, name="Availability")
strawberry.enum(ProductSort, name="ProductSort", description="RELEVANCE: best match first (sold-out last).")
strawberry.enum(InventoryPolicy, name="InventoryPolicy")


@strawberry.type
class Money:
    amount: str = strawberry.field(description='Decimal amount, e.g. "19.90".')
    currency_code: str

    @classmethod
    def of(cls, money: DomainMoney) -> Money:
        return cls(amount=money.amount, currency_code=money.currency)


@strawberry.type
class PriceRange:
    min_price: Money
    max_price: Money


@strawberry.type
class Image:
    url: str
    alt_text: str | None

    @classmethod
    def of(cls, image: ProductImage) -> Image:
        return cls(url=image.url, alt_text=image.alt_text)


@strawberry.type
class ProductOption:
    name: str
    values: list[str]


@strawberry.type
class SelectedOption:
    name: str
    value: str


@strawberry.type
class ApiKey(Node):
    prefix: str
    name: str
    created_at: datetime
    revoked_at: datetime | None

    @classmethod
    def of(cls, key: ApiKeyRecord) -> ApiKey:
        return cls(
            id=strawberry.ID(encode_id("ApiKey", key.id)),
            prefix=key.prefix,
            name=key.name,
            created_at=key.created_at,
            revoked_at=key.revoked_at,
        )


@strawberry.type
class Merchant(Node):
    handle: str
    name: str
    currency: str
    pk: strawberry.Private[int]
    record: strawberry.Private[MerchantRecord]

    @classmethod
    def of(cls, merchant: MerchantRecord) -> Merchant:
        return cls(
            id=strawberry.ID(encode_id("Merchant", merchant.id)),
            pk=merchant.id,
            handle=merchant.handle,
            name=merchant.name,
            currency=merchant.currency,
            record=merchant,
        )

    @strawberry.field(description="Shop settings: the merchant's own people and keys only (null for others).")
    def settings(self, info: Info) -> Annotated[MerchantSettings, strawberry.lazy(COMMERCE_TYPES)] | None:
        from shoppable.graphql.commerce.types import MerchantSettings

        if not policy.can_manage_catalog(info.context.actor, self.pk):
            return None
        return MerchantSettings.of(self.record)

    @strawberry.field(description="The shop's orders, newest first: the merchant's own people and keys only.")
    async def orders(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        status: Annotated[OrderStatus, strawberry.lazy(COMMERCE_TYPES)] | None = None,  # type: ignore[valid-type]
    ) -> Connection[Annotated[Order, strawberry.lazy(COMMERCE_TYPES)]]:
        from shoppable.domain.commerce.orders import merchant_orders
        from shoppable.domain.commerce.records import OrderStatus as Status
        from shoppable.graphql.commerce.types import Order

        request = page_request(info.context.cursors, "orders", first, after)
        if not policy.can_manage_catalog(info.context.actor, self.pk):
            return connection(info.context.cursors, "orders", Page([], [], False), Order.of)
        page = await merchant_orders(
            info.context.uow, info.context.actor, self.pk, request, status=Status(status) if status else None
        )
        return connection(info.context.cursors, "orders", page, Order.of, had_cursor=after is not None)

    @strawberry.field(description="ACTIVE products for everyone; the merchant also sees DRAFT and ARCHIVED.")
    async def products(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        status: ProductStatus | None = None,
    ) -> ProductConnection:
        request = SearchInput(merchant_ids=(self.pk,), status=status, sort=ProductSort.NEWEST)
        return await product_connection(info, request, first, after)

    @strawberry.field(description="Catalog imports, newest first; only for the merchant's people and keys.")
    async def catalog_imports(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Annotated[CatalogImport, strawberry.lazy("shoppable.graphql.catalog.imports")]] | None:
        from shoppable.graphql.catalog.imports import imports_of_merchant

        return await imports_of_merchant(info, self.pk, first, after)

    @strawberry.field(description="Webhook endpoints; empty for anyone but the merchant's people and keys.")
    async def webhook_endpoints(
        self, info: Info
    ) -> list[Annotated[WebhookEndpoint, strawberry.lazy("shoppable.graphql.webhooks.types")]]:
        from shoppable.graphql.webhooks.types import endpoints_of_merchant

        return await endpoints_of_merchant(info, self.pk)

    @strawberry.field(
        description="The webhook delivery log, newest first; empty for anyone but the merchant."
    )
    async def webhook_deliveries(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        endpoint_id: strawberry.ID | None = None,
        status: Annotated[WebhookDeliveryStatus, strawberry.lazy("shoppable.graphql.webhooks.types")]
        | None = None,
    ) -> Connection[Annotated[WebhookDelivery, strawberry.lazy("shoppable.graphql.webhooks.types")]]:
        from shoppable.graphql.webhooks.types import deliveries_of_merchant

        return await deliveries_of_merchant(info, self.pk, first, after, endpoint_id, status)

    @strawberry.field(description="The merchant's API keys (never their secrets); only for its owners.")
    async def api_keys(self, info: Info) -> list[ApiKey] | None:
        if not policy.can_manage_api_keys(info.context.actor, self.pk):
            return None
        return [ApiKey.of(k) for k in await info.context.uow.identity.list_api_keys(self.pk)]


@strawberry.type
class Product(Node):
    handle: str
    title: str
    description: str | None
    brand: str | None
    category: str | None
    status: ProductStatus
    availability: Availability
    created_at: datetime
    updated_at: datetime
    record: strawberry.Private[ProductRecord]

    @classmethod
    def of(cls, product: ProductRecord) -> Product:
        return cls(
            id=strawberry.ID(encode_id("Product", product.id)),
            handle=product.handle,
            title=product.title,
            description=product.description,
            brand=product.brand,
            category=product.category,
            status=product.status,
            availability=product.availability,
            created_at=product.created_at,
            updated_at=product.updated_at,
            record=product,
        )

    # Relations answer synchronously when the list resolver prefetched them for the whole page
    # (see CatalogLoaders.prefetch_for), and through the DataLoader otherwise.

    @strawberry.field
    def merchant(self, info: Info) -> Merchant:
        loader = info.context.loaders.catalog.merchant_by_id
        # An awaitable when not loaded yet, which Strawberry awaits; the annotation is the GraphQL type.
        return now_or_later(loader, self.record.merchant_id, _merchant)  # type: ignore[return-value]

    @strawberry.field
    def images(self, info: Info) -> list[Image]:
        """Our own renditions once the catalog image is fetched (jobs/vision.py), the merchant's URL until then."""
        loaders, media = info.context.loaders.catalog, info.context.services.media

        def build(images: list[ProductImage]) -> list[Image]:
            return [
                Image(
                    url=media.public_url(key) if (key := loaders.hosted_keys.get(i.url)) else i.url,
                    alt_text=i.alt_text,
                )
                for i in images
            ]

        return self._with_loaded(loaders.images_by_product_id, build)

    @strawberry.field
    def options(self, info: Info) -> list[ProductOption]:
        return self._with_loaded(info.context.loaders.catalog.skus_by_product_id, self._options)

    @strawberry.field
    def price_range(self, info: Info) -> PriceRange:
        return self._with_loaded(info.context.loaders.catalog.skus_by_product_id, self._price_range)

    @strawberry.field
    def skus(self, info: Info, first: int | None = None, after: str | None = None) -> Connection[Sku]:
        request = page_request(info.context.cursors, "skus", first, after)

        def build(skus: list[SkuRecord]) -> Connection[Sku]:
            page = page_in_memory(skus, request, key=lambda s: (s.id,))
            return connection(info.context.cursors, "skus", page, Sku.of, had_cursor=after is not None)

        return self._with_loaded(info.context.loaders.catalog.skus_by_product_id, build)

    @strawberry.field(description="Published posts that tag this product, newest first.")
    async def featured_in(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Annotated[Post, strawberry.lazy("shoppable.graphql.content.types")]]:
        from shoppable.graphql.content.types import featured_in

        return await featured_in(info, self.record.id, first, after)

    def _with_loaded(self, loader: Loader[int, Any], build: Callable[[Any], T]) -> T:
        return now_or_later(loader, self.record.id, build)  # type: ignore[return-value]  # as in `merchant`

    def _options(self, skus: list[SkuRecord]) -> list[ProductOption]:
        values: dict[str, dict[str, None]] = {name: {} for name in self.record.option_names}
        for sku in skus:
            for name, value in sku.options:
                values.setdefault(name, {})[value] = None
        return [ProductOption(name=name, values=list(found)) for name, found in values.items()]

    def _price_range(self, skus: list[SkuRecord]) -> PriceRange:
        found = price_range(skus)
        if found is None:  # every write path requires at least one SKU
            raise RuntimeError(f"product {self.record.id} has no SKUs")
        return PriceRange(min_price=Money.of(found.min), max_price=Money.of(found.max))


def _merchant(merchant: MerchantRecord | None) -> Merchant:
    if merchant is None:  # products reference their merchant
        raise RuntimeError("product without a merchant")
    return Merchant.of(merchant)


@strawberry.type
class Sku(Node):
    sku: str
    title: str | None
    price: Money
    compare_at_price: Money | None
    availability: Availability
    inventory_policy: InventoryPolicy
    gtin: str | None
    mpn: str | None
    record: strawberry.Private[SkuRecord]

    @classmethod
    def of(cls, sku: SkuRecord) -> Sku:
        return cls(
            id=strawberry.ID(encode_id("Sku", sku.id)),
            sku=sku.sku,
            title=sku.title,
            price=Money.of(sku.price),
            compare_at_price=Money.of(sku.compare_at_price) if sku.compare_at_price else None,
            availability=sku.availability,
            inventory_policy=sku.inventory_policy,
            gtin=sku.gtin,
            mpn=sku.mpn,
            record=sku,
        )

    @strawberry.field
    def selected_options(self) -> list[SelectedOption]:
        return [SelectedOption(name=name, value=value) for name, value in self.record.options]

    @strawberry.field
    def image(self) -> Image | None:
        return Image(url=self.record.image_url, alt_text=None) if self.record.image_url else None

    @strawberry.field(
        description="Units free to sell: on hand minus unexpired checkout holds, for the owning merchant only. "
        "Null for everyone else, and for the owner when stock is not tracked (`inventoryTracked: false`: the "
        "feed gave no quantity)."
    )
    def quantity_available(self, info: Info) -> int | None:
        """On hand minus the units held by open checkouts (holds stop counting when they expire)."""
        quantity = self.record.quantity
        if quantity is None or not policy.can_see_quantity(info.context.actor, self.record.merchant_id):
            return None
        return now_or_later(  # type: ignore[return-value]  # strawberry awaits an awaitable result
            info.context.loaders.commerce.held_by_sku_id, self.record.id, lambda held: quantity - held
        )

    @strawberry.field(
        description="Whether stock of this SKU is counted (a quantity was given); for the owning "
        "merchant only, null for everyone else."
    )
    def inventory_tracked(self, info: Info) -> bool | None:
        if not policy.can_see_quantity(info.context.actor, self.record.merchant_id):
            return None
        return self.record.quantity is not None

    @strawberry.field
    async def product(self, info: Info) -> Product:
        product = await info.context.loaders.catalog.product_by_id.load(self.record.product_id)
        if product is None:  # a SKU is deleted with its product
            raise RuntimeError(f"SKU {self.record.id} has no product")
        return Product.of(product)


@node_type("Merchant")
async def _merchant_node(info: Info, pk: int) -> Merchant | None:
    merchant = await info.context.loaders.catalog.merchant_by_id.load(pk)
    return Merchant.of(merchant) if merchant else None


@node_type("Product")
async def _product_node(info: Info, pk: int) -> Product | None:
    product = await info.context.loaders.catalog.product_by_id.load(pk)
    if product is None or not policy.can_see_product(info.context.actor, product.merchant_id, product.status):
        return None
    return Product.of(product)


@node_type("Sku")
async def _sku_node(info: Info, pk: int) -> Sku | None:
    sku = await info.context.loaders.catalog.sku_by_id.load(pk)
    if sku is None:
        return None
    product = await info.context.loaders.catalog.product_by_id.load(sku.product_id)
    if product is None or not policy.can_see_product(info.context.actor, product.merchant_id, product.status):
        return None
    return Sku.of(sku)


@strawberry.type
class FacetValue:
    value: str = strawberry.field(description="What to filter by (for price bands, `min-max`).")
    label: str
    count: int = strawberry.field(description="Products of the result with this value.")
    min: Money | None = strawberry.field(
        default=None, description="Price bands: the lowest price (inclusive)."
    )
    max: Money | None = strawberry.field(
        default=None, description="Price bands: the price below which (null: none)."
    )


@strawberry.type
class Facet:
    name: str = strawberry.field(description="`category`, `brand`, `merchant` or `priceBand`.")
    values: list[FacetValue]


class SearchRun:
    """One search of a request: its total and facets are computed only if the query selects them."""

    def __init__(self, info: Info, search: product_search.ProductSearch | None, wants_facets: bool) -> None:
        self.uow = info.context.uow
        self.counts = info.context.services.search_counts
        self.search = search
        self.wants_facets = wants_facets
        self._summary: asyncio.Task[tuple[int, list[product_search.Facet]]] | None = None

    def summary(self) -> asyncio.Task[tuple[int, list[product_search.Facet]]]:
        """Total and facets from one grouped pass, computed once for both fields."""
        assert self.search is not None
        if self._summary is None:
            self._summary = asyncio.ensure_future(product_search.summary(self.uow, self.search, self.counts))
        return self._summary

    async def total(self) -> int:
        if self.search is None:
            return 0
        if self.wants_facets:
            return (await self.summary())[0]
        return await product_search.total_count(self.uow, self.search, self.counts)

    async def facets(self) -> list[Facet]:
        if self.search is None:
            return [Facet(name=name.value, values=[]) for name in product_search.FacetName]
        _, found = await self.summary()
        return [
            Facet(
                name=facet.name.value,
                values=[
                    FacetValue(
                        value=v.value,
                        label=v.label,
                        count=v.count,
                        min=Money.of(v.band.min) if v.band else None,
                        max=Money.of(v.band.max) if v.band and v.band.max else None,
                    )
                    for v in facet.values
                ],
            )
            for facet in found
        ]


@strawberry.type
class ProductConnection(Connection[Product]):
    run: strawberry.Private[SearchRun | None] = None

    @strawberry.field(description="Products matching the search and filters, on every page.")
    async def total_count(self) -> int:
        return 0 if self.run is None else await self.run.total()

    @strawberry.field(
        description="Counts by category, brand, merchant and price band, each without its own filter."
    )
    async def facets(self) -> list[Facet]:
        return [] if self.run is None else await self.run.facets()


@strawberry.type
class CreatorProductConnection(Connection[Product]):
    """A creator's storefront (no search, so no facets)."""


async def product_connection(
    info: Info, request: SearchInput, first: int | None, after: str | None
) -> ProductConnection:
    """Run a product search for this viewer and build its connection; cursors are tied to the search."""
    from shoppable.graphql.core.ids import bad_user_input

    try:
        search = await product_search.prepare(info.context.uow, info.context.actor, request)
    except product_search.InvalidSearch as exc:
        raise bad_user_input(str(exc)) from None
    kind = f"products:{search.fingerprint()}" if search else "products"
    page_req = page_request(info.context.cursors, kind, first, after)
    if page_req.after is not None and (
        not all(isinstance(v, int | float) and not isinstance(v, bool) for v in page_req.after)
    ):
        raise bad_user_input("Invalid cursor.")
    ids = (
        await product_search.search_page(info.context.uow, search, page_req)
        if search
        else Page([], [], False)
    )
    loaded = await info.context.loaders.catalog.product_by_id.load_many(ids.items)
    records = [p for p in loaded if p is not None]
    keys = [k for k, p in zip(ids.keys, loaded, strict=True) if p is not None]
    page = Page(items=records, keys=keys, has_next=ids.has_next)
    await info.context.loaders.catalog.prefetch_for(page.items, selected_below(info, "edges", "node"))
    base = connection(info.context.cursors, kind, page, Product.of, had_cursor=after is not None)
    wants_facets = "facets" in selected_below(info)
    return ProductConnection(
        edges=base.edges, page_info=base.page_info, run=SearchRun(info, search, wants_facets)
    )
