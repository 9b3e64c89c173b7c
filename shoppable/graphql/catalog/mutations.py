"""Catalog mutations: merchants, API keys, products."""

from __future__ import annotations

import strawberry

from shoppable.domain.catalog import drafts, service
from shoppable.domain.catalog.availability import InventoryPolicy
from shoppable.domain.catalog.drafts import ProductStatus
from shoppable.domain.catalog.money import MoneyInput as DomainMoneyInput
from shoppable.domain.identity import service as identity
from shoppable.graphql.catalog.types import ApiKey, Merchant, Product
from shoppable.graphql.context import Info
from shoppable.graphql.core.errors import UserError, mutation
from shoppable.graphql.core.ids import decode_input_id


@strawberry.input
class MoneyInput:
    amount: str
    currency_code: str

    def to_domain(self) -> DomainMoneyInput:
        return DomainMoneyInput(self.amount, self.currency_code)


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
    inventory_policy: InventoryPolicy = InventoryPolicy.DENY
    title: str | None = None
    gtin: str | None = None
    mpn: str | None = None
    image: str | None = None
    options: list[SelectedOptionInput] | None = None

    def to_domain(self) -> drafts.SkuInput:
        return drafts.SkuInput(
            sku=self.sku,
            price=self.price.to_domain(),
            compare_at_price=self.compare_at_price.to_domain() if self.compare_at_price else None,
            quantity=self.quantity,
            inventory_policy=self.inventory_policy,
            title=self.title,
            gtin=self.gtin,
            mpn=self.mpn,
            image_url=self.image,
            options=tuple((o.name, o.value) for o in self.options or ()),
        )


@strawberry.input
class ProductInput:
    handle: str
    title: str
    skus: list[SkuInput]
    description: str | None = None
    brand: str | None = None
    category: str | None = None
    status: ProductStatus = ProductStatus.ACTIVE
    images: list[str] | None = None

    def to_domain(self) -> drafts.ProductInput:
        return drafts.ProductInput(
            handle=self.handle,
            title=self.title,
            skus=tuple(s.to_domain() for s in self.skus),
            description=self.description,
            brand=self.brand,
            category=self.category,
            status=self.status,
            images=tuple(self.images or ()),
        )


@strawberry.input
class UpsertProductsInput:
    merchant_id: strawberry.ID
    products: list[ProductInput]

    def to_domain(self) -> service.UpsertProducts:
        return service.UpsertProducts(
            merchant_id=decode_input_id(self.merchant_id, "Merchant", ("merchantId",)),
            products=[p.to_domain() for p in self.products],
        )


@strawberry.input
class SetProductStatusInput:
    product_id: strawberry.ID
    status: ProductStatus


@strawberry.input
class CreateMerchantInput:
    handle: str
    name: str
    currency: str = "USD"
    low_stock_threshold: int = 5

    def to_domain(self) -> identity.NewMerchant:
        return identity.NewMerchant(self.handle, self.name, self.currency, self.low_stock_threshold)


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


@strawberry.type
class CatalogMutations:
    @mutation()
    async def create_merchant(self, info: Info, input: CreateMerchantInput) -> MerchantPayload:
        merchant = await identity.create_merchant(info.context.uow, info.context.actor, input.to_domain())
        return MerchantPayload(merchant=Merchant.of(merchant))

    @mutation()
    async def create_api_key(self, info: Info, input: CreateApiKeyInput) -> ApiKeyPayload:
        merchant_id = decode_input_id(input.merchant_id, "Merchant", ("merchantId",))
        created = await identity.create_api_key(info.context.uow, info.context.actor, merchant_id, input.name)
        return ApiKeyPayload(key=created.secret, api_key=ApiKey.of(created.api_key))

    @mutation()
    async def revoke_api_key(self, info: Info, input: RevokeApiKeyInput) -> ApiKeyPayload:
        api_key_id = decode_input_id(input.api_key_id, "ApiKey", ("apiKeyId",))
        key = await identity.revoke_api_key(info.context.uow, info.context.actor, api_key_id)
        return ApiKeyPayload(api_key=ApiKey.of(key))

    @mutation(description="Create or update up to 100 products (matched by handle), all or nothing.")
    async def upsert_products(self, info: Info, input: UpsertProductsInput) -> UpsertProductsPayload:
        result = await service.upsert_products(
            info.context.uow, info.context.actor, input.to_domain(), info.context.services.clock()
        )
        return UpsertProductsPayload(products=[Product.of(p) for p in result.products])

    @mutation()
    async def set_product_status(self, info: Info, input: SetProductStatusInput) -> ProductPayload:
        product_id = decode_input_id(input.product_id, "Product", ("productId",))
        product = await service.set_product_status(
            info.context.uow, info.context.actor, product_id, input.status
        )
        return ProductPayload(product=Product.of(product))
