"""Visual search DataLoaders: catalog images by id, one statement per request."""

from __future__ import annotations

from typing import TYPE_CHECKING

from shoppable.domain.vision.records import CatalogImage
from shoppable.graphql.core.dataloader import Loader

if TYPE_CHECKING:
    from shoppable.domain.uow import UnitOfWork


class VisionLoaders:
    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow
        self.catalog_image_by_id = Loader[int, CatalogImage | None](self._images)

    async def _images(self, ids: list[int]) -> list[CatalogImage | None]:
        found = {i.id: i for i in await self.uow.vision.get_images(ids)}
        return [found.get(i) for i in ids]
