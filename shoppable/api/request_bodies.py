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
from litestar.params import Body

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


class InventoryItemBody(TypedDict):
    """One SKU's stock: `quantity` sets it, `delta` adjusts it (give exactly one)."""

    sku: str
    quantity: NotRequired[int]
    """0..10,000,000."""
    delta: NotRequired[int]
    """At most ±10,000,000."""
    expectedQuantity: NotRequired[int]
    """Compare-and-swap: answered `conflict` unless the stock is this."""


class InventoryRequestBody(TypedDict):
    items: list[InventoryItemBody]
    """At most 1,000; a malformed item is answered `invalid` in its place, the others are applied."""


class PriceItemBody(TypedDict):
    sku: str
    price: MoneyInputBody
    compareAtPrice: NotRequired[MoneyInputBody | None]
    """Omitted: kept unless the new price is not below it; null: cleared."""


class PriceRequestBody(TypedDict):
    items: list[PriceItemBody]
    """At most 1,000; a malformed item is answered `invalid` in its place, the others are applied."""


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
