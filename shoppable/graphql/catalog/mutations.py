"""Catalog mutations: merchants, API keys, products."""

from __future__ import annotations

import strawberry

from shoppable.domain.catalog import service
from shoppable.domain.catalog.availability import InventoryPolicy as DomainInventoryPolicy
from shoppable.domain.catalog.drafts import ProductDraft, SkuDraft
from shoppable.domain.catalog.drafts import ProductStatus as DomainProductStatus
from shoppable.domain.catalog.money import Money as DomainMoney
from shoppable.domain.catalog.money import MoneyError, parse_money
from shoppable.domain.errors import DomainError, ErrorCode, FieldError, Path
from shoppable.domain.identity import service as identity
from shoppable.graphql.catalog.types import ApiKey, InventoryPolicy, Merchant, Product, ProductStatus
from shoppable.graphql.context import Info
from shoppable.graphql.core.errors import UserError, user_errors
from shoppable.graphql.core.ids import decode_id

_PLACEHOLDER_CURRENCY = "USD"


@strawberry.input
class MoneyInput:
    amount: str
    currency_code: str


@strawberry.input
class SelectedOptionInput:
    name: str
    value: str


@strawberry.input
class SkuInput:
    sku: str
    price: MoneyInput
    compare_at_price: MoneyInput | None = None
    quantity: int | None = None
    inventory_policy: InventoryPolicy = DomainInventoryPolicy.DENY  # type: ignore[valid-type]
    title: str | None = None
    gtin: str | None = None
    mpn: str | None = None
    image: str | None = None
    options: list[SelectedOptionInput] | None = None


@strawberry.input
class ProductInput:
    handle: str
    title: str
    skus: list[SkuInput]
    description: str | None = None
    brand: str | None = None
    category: str | None = None
    status: ProductStatus = DomainProductStatus.ACTIVE  # type: ignore[valid-type]
    images: list[str] | None = None


@strawberry.input
class UpsertProductsInput:
    merchant_id: strawberry.ID
    products: list[ProductInput]


@strawberry.input
class SetProductStatusInput:
    product_id: strawberry.ID
    status: ProductStatus  # type: ignore[valid-type]


@strawberry.input
class CreateMerchantInput:
    handle: str
    name: str
    currency: str = "USD"
    low_stock_threshold: int = 5


@strawberry.input
class CreateApiKeyInput:
    merchant_id: strawberry.ID
    name: str = ""


@strawberry.input
class RevokeApiKeyInput:
    api_key_id: strawberry.ID


@strawberry.type
class MerchantPayload:
    merchant: Merchant | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ApiKeyPayload:
    key: str | None = strawberry.field(default=None, description="The secret; shown only in this response.")
    api_key: ApiKey | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ProductPayload:
    product: Product | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class UpsertProductsPayload:
    products: list[Product] = strawberry.field(default_factory=list)
    user_errors: list[UserError] = strawberry.field(default_factory=list)


def _money(value: MoneyInput | None, path: Path, errors: list[FieldError]) -> DomainMoney | None:
    if value is None:
        return None
    try:
        return parse_money(value.amount, value.currency_code)
    except MoneyError as exc:
        errors.append(FieldError((*path, exc.field), ErrorCode.INVALID, str(exc)))
        return None


def to_drafts(products: list[ProductInput]) -> tuple[list[ProductDraft], list[FieldError]]:
    """Convert inputs to domain drafts; unparseable money is reported here, everything else by the domain."""
    drafts: list[ProductDraft] = []
    errors: list[FieldError] = []
    for p_index, product in enumerate(products):
        prices = [
            _money(sku.price, ("products", p_index, "skus", s_index, "price"), errors)
            for s_index, sku in enumerate(product.skus)
        ]
        # An unparseable price gets a placeholder in the product's currency so no other rule trips on it.
        currency = next((p.currency for p in prices if p), _PLACEHOLDER_CURRENCY)
        skus = []
        for s_index, (sku, price) in enumerate(zip(product.skus, prices, strict=True)):
            path: Path = ("products", p_index, "skus", s_index)
            compare_at = _money(sku.compare_at_price, (*path, "compareAtPrice"), errors)
            skus.append(
                SkuDraft(
                    sku=sku.sku.strip(),
                    price=price or DomainMoney(0, currency),
                    compare_at_price=compare_at if price else None,
                    quantity=sku.quantity,
                    inventory_policy=DomainInventoryPolicy(sku.inventory_policy),
                    title=sku.title,
                    gtin=sku.gtin,
                    mpn=sku.mpn,
                    image_url=sku.image,
                    options=tuple((o.name.strip(), o.value.strip()) for o in sku.options or ()),
                )
            )
        drafts.append(
            ProductDraft(
                handle=product.handle.strip(),
                title=product.title.strip(),
                description=product.description,
                brand=product.brand,
                category=product.category,
                status=DomainProductStatus(product.status),
                images=tuple(product.images or ()),
                skus=tuple(skus),
            )
        )
    return drafts, errors


@strawberry.type
class CatalogMutations:
    @strawberry.mutation
    async def create_merchant(self, info: Info, input: CreateMerchantInput) -> MerchantPayload:
        try:
            merchant = await identity.create_merchant(
                info.context.uow,
                info.context.uow.identity,
                info.context.actor,
                input.handle,
                input.name,
                input.currency,
                input.low_stock_threshold,
            )
        except DomainError as exc:
            return MerchantPayload(user_errors=user_errors(exc.errors))
        return MerchantPayload(merchant=Merchant.of(merchant))

    @strawberry.mutation
    async def create_api_key(self, info: Info, input: CreateApiKeyInput) -> ApiKeyPayload:
        try:
            created = await identity.create_api_key(
                info.context.uow,
                info.context.uow.identity,
                info.context.actor,
                decode_id(input.merchant_id, "Merchant") or 0,
                input.name,
            )
        except DomainError as exc:
            return ApiKeyPayload(user_errors=user_errors(exc.errors))
        return ApiKeyPayload(key=created.secret, api_key=ApiKey.of(created.api_key))

    @strawberry.mutation
    async def revoke_api_key(self, info: Info, input: RevokeApiKeyInput) -> ApiKeyPayload:
        try:
            key = await identity.revoke_api_key(
                info.context.uow,
                info.context.uow.identity,
                info.context.actor,
                decode_id(input.api_key_id, "ApiKey") or 0,
            )
        except DomainError as exc:
            return ApiKeyPayload(user_errors=user_errors(exc.errors))
        return ApiKeyPayload(api_key=ApiKey.of(key))

    @strawberry.mutation(
        description="Create or update up to 100 products (matched by handle), all or nothing."
    )
    async def upsert_products(self, info: Info, input: UpsertProductsInput) -> UpsertProductsPayload:
        drafts, conversion_errors = to_drafts(input.products)
        try:
            result = await service.upsert_products(
                info.context.uow,
                info.context.uow.identity,
                info.context.uow.catalog,
                info.context.actor,
                decode_id(input.merchant_id, "Merchant") or 0,
                drafts,
                conversion_errors,
            )
        except DomainError as exc:
            return UpsertProductsPayload(user_errors=user_errors(exc.errors))
        products = await info.context.uow.catalog.get_products(result.product_ids)
        by_id = {p.id: p for p in products}
        return UpsertProductsPayload(products=[Product.of(by_id[i]) for i in result.product_ids])

    @strawberry.mutation
    async def set_product_status(self, info: Info, input: SetProductStatusInput) -> ProductPayload:
        try:
            product = await service.set_product_status(
                info.context.uow,
                info.context.uow.catalog,
                info.context.actor,
                decode_id(input.product_id, "Product") or 0,
                DomainProductStatus(input.status),
            )
        except DomainError as exc:
            return ProductPayload(user_errors=user_errors(exc.errors))
        return ProductPayload(product=Product.of(product))
