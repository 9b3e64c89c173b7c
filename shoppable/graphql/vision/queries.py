"""visualSearch: products that look like a shopper's photo, a post's media or another product."""

from __future__ import annotations

import strawberry

from shoppable.domain.vision.search import VisualQuery, visual_search
from shoppable.graphql.context import Info
from shoppable.graphql.core.errors import UserErrorsExtension
from shoppable.graphql.core.ids import decode_input_id
from shoppable.graphql.vision.types import VisualSearchPayload, payload_of


@strawberry.input(
    description="Exactly one: a search photo (createSearchUpload), a post's photo, or a product."
)
class VisualSearchInput:
    media_id: strawberry.ID | None = None
    product_id: strawberry.ID | None = None
    upload_id: strawberry.ID | None = None

    def to_domain(self) -> VisualQuery:
        def pk(value: strawberry.ID | None, type_name: str, field: str) -> int | None:
            return decode_input_id(value, type_name, (field,)) if value is not None else None

        return VisualQuery(
            media_id=pk(self.media_id, "Media", "mediaId"),
            product_id=pk(self.product_id, "Product", "productId"),
            upload_id=pk(self.upload_id, "SearchUpload", "uploadId"),
        )


@strawberry.type
class VisionQueries:
    @strawberry.field(
        description="Similar catalog products, best first, and grouped by price band. ACTIVE, buyable products only.",
        extensions=[UserErrorsExtension()],
    )
    async def visual_search(
        self, info: Info, input: VisualSearchInput, first: int | None = 20
    ) -> VisualSearchPayload:
        context = info.context
        result = await visual_search(context.uow, context.services, context.actor, input.to_domain(), first)
        return await payload_of(info, result)
