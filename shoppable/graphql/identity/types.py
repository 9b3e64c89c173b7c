"""GraphQL types of identity: the viewer, users and consent."""

from __future__ import annotations

from datetime import datetime

import strawberry

from shoppable.domain.commerce.orders import buyer_orders
from shoppable.domain.content import creators, engagement
from shoppable.domain.feed.model import Channel as FeedChannel
from shoppable.domain.identity import consent as consent_records
from shoppable.domain.identity import policy, privacy, records, sessions
from shoppable.domain.identity.consent import Consent as ConsentRecord
from shoppable.domain.identity.ports import HiddenItem as HiddenItemRecord
from shoppable.domain.identity.records import User as UserRecord
from shoppable.graphql.catalog.types import Merchant
from shoppable.graphql.commerce.queries import caller_cart
from shoppable.graphql.commerce.types import Cart, Order
from shoppable.graphql.content.types import Creator, Post, prefetch_posts
from shoppable.graphql.context import Info
from shoppable.graphql.core.connection import Connection, connection, page_request
from shoppable.graphql.core.ids import encode_id
from shoppable.graphql.core.node import Node, node_type
from shoppable.graphql.feed.mutations import Channel


@strawberry.type
class Consent:
    personalization: bool
    analytics: bool
    marketing: bool
    policy_version: str
    updated_at: datetime | None
    global_privacy_control: bool = strawberry.field(
        description="A Global Privacy Control signal (`Sec-GPC: 1`) is in force: no marketing, nothing shared."
    )

    @classmethod
    def of(cls, consent: ConsentRecord) -> Consent:
        return cls(
            personalization=consent.personalization,
            analytics=consent.analytics,
            marketing=consent.marketing,
            policy_version=consent.policy_version,
            updated_at=consent.updated_at,
            global_privacy_control=consent.global_privacy_control,
        )


ConsentSource = strawberry.enum(consent_records.ConsentSource, name="ConsentSource")
ExportStatus = strawberry.enum(records.ExportStatus, name="ExportStatus")


@strawberry.type(description="One recorded change of consent: when, where, under which policy, and why.")
class ConsentChange:
    changed_at: datetime
    channel: Channel  # type: ignore[valid-type]
    policy_version: str
    source: ConsentSource  # type: ignore[valid-type]  # a strawberry enum made from a domain enum
    personalization: bool
    analytics: bool
    marketing: bool
    global_privacy_control: bool

    @classmethod
    def of(cls, change: consent_records.ConsentChange) -> ConsentChange:
        return cls(
            changed_at=change.changed_at,
            channel=FeedChannel(change.channel),
            policy_version=change.policy_version,
            source=change.source,
            personalization=change.personalization,
            analytics=change.analytics,
            marketing=change.marketing,
            global_privacy_control=change.global_privacy_control,
        )


@strawberry.type(
    description="Something the viewer hid from their feed (hideFromFeed; unhideFromFeed undoes it)."
)
class HiddenItem:
    subject_id: strawberry.ID = strawberry.field(description="A Post, Product, Creator or Merchant id.")
    subject_type: str
    hidden_at: datetime

    @classmethod
    def of(cls, item: HiddenItemRecord) -> HiddenItem:
        return cls(
            subject_id=strawberry.ID(encode_id(item.subject_type, item.subject_id)),
            subject_type=item.subject_type,
            hidden_at=item.hidden_at,
        )


@strawberry.type(description="A signed-in device. Only ever shown to its own account.")
class Session(Node):
    channel: Channel  # type: ignore[valid-type]  # the feed events' APP, WEB, WATCH, OTHER
    device_label: str
    created_at: datetime
    last_seen_at: datetime = strawberry.field(description="Sign-in or the last token refresh.")
    expires_at: datetime = strawberry.field(description="The session ends then, however active.")
    current: bool

    @classmethod
    def of(cls, session: records.AuthSession, current_id: int | None) -> Session:
        return cls(
            id=strawberry.ID(encode_id("Session", session.id)),
            channel=FeedChannel(session.channel.value),
            device_label=session.device_label,
            created_at=session.created_at,
            last_seen_at=session.last_seen_at,
            expires_at=session.expires_at,
            current=session.id == current_id,
        )


@strawberry.type(description="What the feed's ranker uses about the viewer, in plain words.")
class RecommendationProfile:
    personalized: bool = strawberry.field(description="Personalization consent is on.")
    top_categories: list[str]
    top_creator_ids: strawberry.Private[list[int]]
    price_band: str | None = strawberry.field(
        description="The middle half of prices viewed, e.g. 20.00-45.00 EUR."
    )
    based_on_events: int = strawberry.field(description="Events of the last 60 days (since a reset) used.")
    model_version: str | None = strawberry.field(description="The trained ranker now serving.")
    forgotten_before: datetime | None = strawberry.field(description="When the profile was last reset.")

    @strawberry.field(description="Creators whose posts the viewer liked or saved most, then those followed.")
    async def top_creators(self, info: Info) -> list[Creator]:
        found = await info.context.loaders.content.creator_by_id.load_many(self.top_creator_ids)
        return [Creator.of(c) for c in found if c is not None]

    @classmethod
    def of(cls, profile: privacy.RecommendationProfile) -> RecommendationProfile:
        return cls(
            personalized=profile.personalized,
            top_categories=profile.top_categories,
            top_creator_ids=profile.top_creator_ids,
            price_band=profile.price_band,
            based_on_events=profile.based_on_events,
            model_version=profile.model_version,
            forgotten_before=profile.forgotten_before,
        )


@strawberry.type(description="A copy of everything the shop keeps about the viewer (GDPR art. 15, 20).")
class DataExport:
    id: strawberry.ID
    status: ExportStatus  # type: ignore[valid-type]
    created_at: datetime
    expires_at: datetime = strawberry.field(
        description="The link stops working and the file is deleted then."
    )
    byte_size: int | None
    url: str | None = strawberry.field(
        default=None, description="The download link: given once, by requestDataExport."
    )

    @classmethod
    def of(cls, export: records.DataExport, url: str | None = None) -> DataExport:
        return cls(
            id=strawberry.ID(encode_id("DataExport", export.id)),
            status=export.status,
            created_at=export.created_at,
            expires_at=export.expires_at,
            byte_size=export.byte_size,
            url=url,
        )


@strawberry.type(
    description="An account, seen by its owner (and admins) only; creators are public as `Creator`."
)
class User(Node):
    display_name: str
    is_admin: bool

    @classmethod
    def of(cls, user: UserRecord) -> User:
        return cls(
            id=strawberry.ID(encode_id("User", user.id)),
            display_name=user.display_name,
            is_admin=user.is_admin,
        )


@strawberry.type
class Viewer:
    """The signed-in caller's own view: only ever built for the caller themself."""

    user: User
    email: str
    consent: Consent
    record: strawberry.Private[UserRecord]

    @strawberry.field
    async def merchants(self, info: Info) -> list[Merchant]:
        ids = sorted(info.context.actor.merchant_ids)
        found = await info.context.loaders.catalog.merchant_by_id.load_many(ids)
        return [Merchant.of(m) for m in found if m is not None]

    @strawberry.field(description="The viewer's creator profile, when they became a creator.")
    async def creator(self, info: Info) -> Creator | None:
        found = await info.context.loaders.content.creator_by_user_id.load(self.record.id)
        return Creator.of(found) if found else None

    @strawberry.field(description="Creators the viewer follows, most recently followed first.")
    async def following(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Creator]:
        request = page_request(info.context.cursors, "following", first, after)
        page = await creators.list_following(info.context.uow, info.context.actor, request)
        info.context.loaders.content.prime_creators(page.items)
        return connection(info.context.cursors, "following", page, Creator.of, had_cursor=after is not None)

    @strawberry.field(description="The viewer's cart (an anonymous device's cart is the `cart` query).")
    async def cart(self, info: Info) -> Cart:
        found = await caller_cart(info)
        assert found is not None  # a viewer is signed in, so there is an owner
        return found

    @strawberry.field(description="The viewer's orders, newest first.")
    async def orders(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Order]:
        request = page_request(info.context.cursors, "orders", first, after)
        page = await buyer_orders(info.context.uow, info.context.actor, request)
        return connection(info.context.cursors, "orders", page, Order.of, had_cursor=after is not None)

    @strawberry.field(description="Every change of the viewer's consent, newest first.")
    async def consent_history(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[ConsentChange]:
        request = page_request(info.context.cursors, "consentHistory", first, after)
        page = await privacy.consent_history(info.context.uow, info.context.actor, request)
        return connection(
            info.context.cursors, "consentHistory", page, ConsentChange.of, had_cursor=after is not None
        )

    @strawberry.field(description="The viewer's signed-in devices, newest first.")
    async def sessions(self, info: Info) -> list[Session]:
        found = await sessions.list_sessions(info.context.uow, info.context.actor)
        return [Session.of(s, info.context.actor.session_id) for s in found]

    @strawberry.field(
        description="What the feed's ranker uses about the viewer (resetRecommendationProfile forgets it)."
    )
    async def recommendation_profile(self, info: Info) -> RecommendationProfile:
        context = info.context
        profile = await privacy.recommendation_profile(
            context.uow, context.actor, context.services.models, context.services.clock()
        )
        return RecommendationProfile.of(profile)

    @strawberry.field(description="The viewer's recent data exports, newest first.")
    async def data_exports(self, info: Info) -> list[DataExport]:
        return [DataExport.of(e) for e in await privacy.data_exports(info.context.uow, info.context.actor)]

    @strawberry.field(description="What the viewer hid from their feed, most recently hidden first.")
    async def hidden(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[HiddenItem]:
        request = page_request(info.context.cursors, "hidden", first, after)
        page = await privacy.hidden_items(info.context.uow, info.context.actor, request)
        return connection(info.context.cursors, "hidden", page, HiddenItem.of, had_cursor=after is not None)

    @strawberry.field(description="Published posts the viewer liked, most recently liked first.")
    async def liked(self, info: Info, first: int | None = None, after: str | None = None) -> Connection[Post]:
        request = page_request(info.context.cursors, "liked", first, after)
        page = await engagement.liked_posts(info.context.uow, info.context.actor, request)
        await prefetch_posts(info, page.items, "edges", "node")
        return connection(info.context.cursors, "liked", page, Post.of, had_cursor=after is not None)

    @strawberry.field(description="Published posts the viewer saved, most recently saved first.")
    async def saved(self, info: Info, first: int | None = None, after: str | None = None) -> Connection[Post]:
        request = page_request(info.context.cursors, "saved", first, after)
        page = await engagement.saved_posts(info.context.uow, info.context.actor, request)
        await prefetch_posts(info, page.items, "edges", "node")
        return connection(info.context.cursors, "saved", page, Post.of, had_cursor=after is not None)


@node_type("User")
async def _user_node(info: Info, pk: int) -> User | None:
    # Creators are the public people (the `Creator` type); a user account is its owner's business.
    if not policy.can_see_user(info.context.actor, pk):
        return None
    user = await info.context.uow.identity.get_user(pk)
    return User.of(user) if user else None


@node_type("Session")
async def _session_node(info: Info, pk: int) -> Session | None:
    actor = info.context.actor
    session = await info.context.uow.trust.get_session(pk)
    if session is None or actor.user_id is None or session.user_id != actor.user_id:
        return None
    return Session.of(session, actor.session_id)
