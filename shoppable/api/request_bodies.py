"""The OpenAPI description of request bodies that handlers read themselves.

A catalog import streams a file of up to 2 GiB to disk, and the fast stock and price updates answer a
malformed item in its place instead of refusing the whole body: Litestar's parsing of a handler's
`data` parameter can do neither (it reads the whole body, then refuses it at the first wrong field).
Litestar also documents the `data` parameter of a handler's dependencies, and runs a dependency only
when a handler asks for it by name; `documented_body(T)` is such a dependency that no handler asks
for, so T appears in /v1/openapi.json as the request body while the handler keeps reading it.
"""

# No `from __future__ import annotations`: TypedDict sees `NotRequired` only in evaluated annotations
# (Python 3.11), and the documented shapes are exactly which keys are required.
from dataclasses import dataclass
from typing import Annotated, Any, NotRequired, TypedDict

from litestar.datastructures import UploadFile
from litestar.di import Provide
from litestar.enums import RequestEncodingType
from litestar.openapi.spec import OpenAPIMediaType, Operation, RequestBody, Schema
from litestar.openapi.spec.enums import OpenAPIFormat, OpenAPIType
from litestar.params import Body, KwargDefinition

from shoppable.domain.catalog.limits import SKU_CODE_MAX, STOCK_MAX
from shoppable.domain.catalog.stock import MAX_ITEMS

DOCUMENTED_BODY = "documented_request_body"
"""The dependency's name; a handler never takes a parameter of this name."""


def documented_body(model: Any) -> dict[str, Provide]:
    """A dependency that only describes the body (see the module docstring)."""

    async def describe(data: Any) -> None:  # pragma: no cover - never called: nothing asks for it
        raise AssertionError("documentation only")

    describe.__annotations__ = {"data": model, "return": None}
    return {DOCUMENTED_BODY: Provide(describe)}


class MoneyInputBody(TypedDict):
    amount: str
    """A decimal in the currency's minor units at most, e.g. "19.90"."""
    currencyCode: str
    """ISO 4217; the merchant's currency."""


# The limits the domain checks (an item breaking one is answered `invalid`), so that the document and
# the answers cannot disagree.
SkuCode = Annotated[str, KwargDefinition(min_length=1, max_length=SKU_CODE_MAX)]
# ge=0 would be dropped: Litestar copies only truthy constraints into the schema; for whole numbers
# "more than -1" is the same rule.
Quantity = Annotated[int, KwargDefinition(gt=-1, le=STOCK_MAX)]
Delta = Annotated[int, KwargDefinition(ge=-STOCK_MAX, le=STOCK_MAX)]


class InventoryItemBody(TypedDict):
    """One SKU's stock: `quantity` sets it, `delta` adjusts it (give exactly one)."""

    sku: SkuCode
    quantity: NotRequired[Quantity]
    delta: NotRequired[Delta]
    expectedQuantity: NotRequired[int]
    """Compare-and-swap: answered `conflict` unless the stock is this."""


class InventoryRequestBody(TypedDict):
    items: Annotated[list[InventoryItemBody], KwargDefinition(min_items=1, max_items=MAX_ITEMS)]
    """A malformed item is answered `invalid` in its place, the others are applied."""


class PriceItemBody(TypedDict):
    sku: SkuCode
    price: MoneyInputBody
    compareAtPrice: NotRequired[MoneyInputBody | None]
    """Omitted: kept unless the new price is not below it; null: cleared."""


class PriceRequestBody(TypedDict):
    items: Annotated[list[PriceItemBody], KwargDefinition(min_items=1, max_items=MAX_ITEMS)]
    """A malformed item is answered `invalid` in its place, the others are applied."""


@dataclass
class FeedFileForm:
    """A multipart form whose first file part is the feed file."""

    file: UploadFile


FeedFileUpload = Annotated[FeedFileForm, Body(media_type=RequestEncodingType.MULTI_PART)]


@dataclass
class FeedFileOperation(Operation):
    """The import's body may also be the file itself, of any content type (curl --data-binary)."""

    def __post_init__(self) -> None:
        if isinstance(self.request_body, RequestBody):
            self.request_body.content["application/octet-stream"] = OpenAPIMediaType(
                schema=Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.BINARY)
            )
