"""Demo creators with published, shoppable posts; their photos go through the real upload path.

Each photo is drawn with Pillow (a solid colour and a few shapes), granted by `create_upload`,
stored with the media store and verified, processed and turned into media by `complete_upload`,
exactly as a creator's upload would be. Posts tag whatever ACTIVE products the catalog has.
Running it again adds nothing: creators that exist are left as they are.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image, ImageDraw

from shoppable.demo.catalog import DEMO_PASSWORD
from shoppable.domain.catalog.drafts import ProductStatus
from shoppable.domain.catalog.ports import ProductFilter
from shoppable.domain.catalog.records import Product
from shoppable.domain.content import creators, engagement, posts, uploads
from shoppable.domain.content.records import Creator, DisclosureKind, Media
from shoppable.domain.content.tags import TagDraft
from shoppable.domain.identity import credentials
from shoppable.domain.identity.actor import Actor
from shoppable.domain.pagination import PageRequest
from shoppable.services import Services
from shoppable.storage.db import Database

PHOTO_SIZE = (1080, 1350)  # portrait 4:5, what feeds show


@dataclass(frozen=True)
class DemoPost:
    caption: str
    colour: tuple[int, int, int]
    disclosure: DisclosureKind | None = None


@dataclass(frozen=True)
class DemoCreator:
    handle: str
    display_name: str
    bio: str
    colour: tuple[int, int, int]
    posts: tuple[DemoPost, ...]

    @property
    def email(self) -> str:
        return f"{self.handle.replace('.', '-')}@creators.shoppable.dev"


DEMO_CREATORS = (
    DemoCreator(
        "mila.outdoors",
        "Mila Hart",
        "Trails, rain and the gear that survives both.",
        (46, 125, 50),
        (
            DemoPost("Sunday ridge walk, dry feet all the way #hiking #rainproof", (120, 160, 90)),
            DemoPost(
                "Packing list for three days in the fjords #packinglist @leo.trail",
                (70, 110, 150),
                DisclosureKind.AFFILIATE,
            ),
            DemoPost("Layering 101: what I actually wear below zero #layering #winter", (200, 210, 220)),
        ),
    ),
    DemoCreator(
        "jonas.home",
        "Jonas Berg",
        "Small flat, warm light, things that last.",
        (191, 144, 0),
        (
            DemoPost(
                "Reading corner, finally finished #interior #cosy", (230, 200, 150), DisclosureKind.GIFTED
            ),
            DemoPost("Three lamps, one mood #lighting @sana.style", (250, 220, 120)),
            DemoPost("Kitchen shelf reset #minimal #homedecor", (180, 170, 160)),
        ),
    ),
    DemoCreator(
        "sana.style",
        "Sana Noor",
        "Everyday outfits, honest reviews.",
        (173, 20, 87),
        (
            DemoPost("Rainy day fit #ootd #rain", (150, 60, 90), DisclosureKind.PAID_PARTNERSHIP),
            DemoPost("One coat, five looks #capsulewardrobe @mila.outdoors", (90, 90, 120)),
            DemoPost("Weekend market haul #haul #shopsmall", (220, 120, 100)),
        ),
    ),
    DemoCreator(
        "leo.trail",
        "Leo Sato",
        "Ultralight, mostly.",
        (2, 119, 189),
        (
            DemoPost("Base weight under 5 kg #ultralight #gear", (60, 140, 190)),
            DemoPost("Night sky from the hut #camping", (20, 30, 70)),
        ),
    ),
)
TAG_SPOTS = ((0.32, 0.38), (0.64, 0.55), (0.45, 0.8))


async def seed_content(services: Services) -> None:
    """Creators, their published posts tagging ACTIVE products, follows and likes (idempotent)."""
    database = services.database
    products = await _active_products(database)
    seeded: list[Creator] = []
    for number, demo in enumerate(DEMO_CREATORS):
        existing = await _existing_creator(database, demo.handle)
        if existing is not None:
            seeded.append(existing)
            continue
        user_id = await _user(database, demo)
        actor = Actor(user_id=user_id)
        avatar = await _photo(services, actor, demo.colour, seed=number)
        uow = database.unit_of_work(write=True)
        async with uow:
            draft = creators.CreatorDraft(demo.handle, demo.display_name, demo.bio, avatar.id)
            creator = await creators.become_creator(uow, actor, draft)
        seeded.append(creator)
        for index, post in enumerate(demo.posts):
            media = await _photo(services, actor, post.colour, seed=number * 10 + index)
            await _post(database, actor, post, media, products, start=number * 3 + index)
    await _engage(database, seeded)


async def _active_products(database: Database) -> list[Product]:
    uow = database.unit_of_work()
    async with uow:
        page = await uow.catalog.list_products(
            ProductFilter(statuses=frozenset({ProductStatus.ACTIVE})), PageRequest(first=100)
        )
    return page.items


async def _existing_creator(database: Database, handle: str) -> Creator | None:
    uow = database.unit_of_work()
    async with uow:
        found = await uow.content.creators_by_handles([handle])
    return found[0] if found else None


async def _user(database: Database, demo: DemoCreator) -> int:
    uow = database.unit_of_work(write=True)
    async with uow:
        await uow.begin_write()
        found = await uow.identity.get_user_with_password(demo.email)
        if found is not None:
            return found[0].id
        user = await uow.identity.add_user(
            demo.email, await credentials.hash_password(DEMO_PASSWORD), demo.display_name, is_admin=False
        )
        await uow.commit()
    return user.id


def draw_photo(colour: tuple[int, int, int], seed: int) -> bytes:
    """A solid background with a sun, a hill and a box: enough shape to see renditions work."""
    width, height = PHOTO_SIZE
    image = Image.new("RGB", PHOTO_SIZE, colour)
    draw = ImageDraw.Draw(image)
    light = tuple(min(255, c + 70) for c in colour)
    dark = tuple(max(0, c - 60) for c in colour)
    offset = (seed * 97) % 400
    draw.ellipse((120 + offset, 140, 420 + offset, 440), fill=light)
    draw.polygon([(0, height), (width // 2, height // 2 + offset // 2), (width, height)], fill=dark)
    draw.rectangle((width // 2 - 150, height - 520, width // 2 + 150, height - 220), fill=(245, 245, 240))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()


async def _photo(services: Services, actor: Actor, colour: tuple[int, int, int], seed: int) -> Media:
    data = draw_photo(colour, seed)
    request = uploads.UploadRequest("demo.jpg", "image/jpeg", len(data))
    uow = services.database.unit_of_work(write=True)
    async with uow:
        created = await uploads.create_upload(uow, services, actor, request)
    await services.media.put(created.upload.key, data, "image/jpeg")
    uow = services.database.unit_of_work(write=True)
    async with uow:
        return await uploads.complete_upload(uow, services, actor, created.upload.id)


async def _post(
    database: Database, actor: Actor, demo: DemoPost, media: Media, products: list[Product], start: int
) -> None:
    tagged = [products[(start + i) % len(products)] for i in range(min(len(products), len(TAG_SPOTS)))]
    tagged = list({p.id: p for p in tagged}.values())
    tags = tuple(
        TagDraft(product.id, 0, x=x, y=y) for product, (x, y) in zip(tagged, TAG_SPOTS, strict=False)
    )
    disclosure = (
        posts.DisclosureDraft(demo.disclosure, tagged[0].merchant_id) if demo.disclosure and tagged else None
    )
    draft = posts.PostDraft(caption=demo.caption, media_ids=(media.id,), tags=tags, disclosure=disclosure)
    uow = database.unit_of_work(write=True)
    async with uow:
        post = await posts.create_post(uow, actor, draft)
        await posts.publish_post(uow, actor, post.id)


async def _engage(database: Database, seeded: list[Creator]) -> None:
    """Each creator follows the next one and likes everyone else's posts (idempotent operations)."""
    uow = database.unit_of_work(write=True)
    async with uow:
        for index, creator in enumerate(seeded):
            actor = Actor(user_id=creator.user_id)
            following = seeded[(index + 1) % len(seeded)]
            if following.id != creator.id:
                await creators.follow(uow, actor, following.id)
            for other in seeded:
                if other.id == creator.id:
                    continue
                page = await uow.content.list_creator_posts(
                    other.id, posts.PUBLIC_STATUSES, PageRequest(first=100)
                )
                for post in page.items:
                    await engagement.set_like(uow, actor, post.id, True)
