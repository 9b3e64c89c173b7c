"""Content operations against in-memory fakes: the rules of creators, posts, engagement, uploads and
moderation, without a database (see fakes.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from shoppable.domain.content import creators, engagement, moderation, posts, uploads
from shoppable.domain.content.media import MediaKind
from shoppable.domain.content.records import DisclosureKind, ModerationReason, PostStatus, UploadStatus
from shoppable.domain.errors import DomainError, ErrorCode
from shoppable.domain.identity.actor import Actor
from shoppable.domain.identity.records import Merchant
from shoppable.domain.rate_limits import UNLIMITED
from tests.domain.content.fakes import NOW, FakeMediaServices, FakeUnitOfWork

ANA, BEA = Actor(user_id=1), Actor(user_id=2)


def errors(exc: pytest.ExceptionInfo[DomainError]) -> set[tuple[tuple[str | int, ...], ErrorCode]]:
    return {(e.field, e.code) for e in exc.value.errors}


async def creator_with_photo(uow: FakeUnitOfWork, actor: Actor = ANA, handle: str = "ana.style") -> int:
    """Makes `actor` a creator owning one photo; returns the photo's media id."""
    photo = await uow.content.add_media(
        actor.user_id or 0, MediaKind.IMAGE, "media/a.jpg", "image/jpeg", 10, 800, 600, None, []
    )
    await creators.become_creator(uow, actor, creators.CreatorDraft(handle, handle.title()))
    return photo.id


async def test_becoming_a_creator_normalizes_and_checks_everything_at_once() -> None:
    uow = FakeUnitOfWork()
    with pytest.raises(DomainError) as refused:
        await creators.become_creator(uow, ANA, creators.CreatorDraft("a", "  ", "b" * 501))
    assert errors(refused) == {
        (("handle",), ErrorCode.INVALID),
        (("displayName",), ErrorCode.INVALID),
        (("bio",), ErrorCode.TOO_LARGE),
    }
    assert uow.committed == 0

    creator = await creators.become_creator(uow, ANA, creators.CreatorDraft("@Ana.Style", " Ana ", " Hi "))
    assert (creator.handle, creator.display_name, creator.bio) == ("ana.style", "Ana", "Hi")
    with pytest.raises(DomainError) as taken:
        await creators.become_creator(uow, BEA, creators.CreatorDraft("ANA.STYLE", "Bea"))
    assert errors(taken) == {(("handle",), ErrorCode.CONFLICT)}


async def test_an_avatar_must_be_ones_own_photo() -> None:
    uow = FakeUnitOfWork()
    photo = await uow.content.add_media(1, MediaKind.IMAGE, "media/a.jpg", "image/jpeg", 10, 8, 6, None, [])
    with pytest.raises(DomainError) as refused:
        await creators.become_creator(uow, BEA, creators.CreatorDraft("bea", "Bea", avatar_media_id=photo.id))
    assert errors(refused) == {(("avatarMediaId",), ErrorCode.NOT_FOUND)}


async def test_following_is_idempotent_and_never_oneself() -> None:
    uow = FakeUnitOfWork()
    await creator_with_photo(uow)
    with pytest.raises(DomainError) as own:
        await creators.follow(uow, ANA, 1)
    assert errors(own) == {(("creatorId",), ErrorCode.INVALID)}
    for _ in range(2):
        assert (await creators.follow(uow, BEA, 1)).follower_count == 1
    assert (await creators.unfollow(uow, BEA, 1)).follower_count == 0
    with pytest.raises(DomainError) as anonymous:
        await creators.follow(uow, Actor(), 1)
    assert errors(anonymous) == {((), ErrorCode.UNAUTHENTICATED)}


async def test_a_post_reports_every_problem_in_one_answer() -> None:
    uow = FakeUnitOfWork()
    await creator_with_photo(uow)
    draft = posts.PostDraft(
        caption="x" * 2201, media_ids=(), disclosure=posts.DisclosureDraft(DisclosureKind.GIFTED, 7)
    )
    with pytest.raises(DomainError) as refused:
        await posts.create_post(uow, ANA, draft)
    assert errors(refused) == {
        (("caption",), ErrorCode.TOO_LARGE),
        (("mediaIds",), ErrorCode.REQUIRED),
        (("disclosure", "partnerId"), ErrorCode.NOT_FOUND),
    }
    assert uow.content.posts == {}


async def test_a_draft_with_a_disclosure_is_published_and_only_then_liked() -> None:
    uow = FakeUnitOfWork()
    photo = await creator_with_photo(uow)
    uow.identity.merchants[7] = Merchant(7, "northwind", "Northwind", "EUR", 5, NOW)
    draft = posts.PostDraft(
        caption="Rain #gear", media_ids=(photo,), disclosure=posts.DisclosureDraft(DisclosureKind.GIFTED, 7)
    )
    post = await posts.create_post(uow, ANA, draft)
    assert (post.status, post.hashtags, post.disclosure and post.disclosure.partner_id) == (
        PostStatus.DRAFT,
        ("gear",),
        7,
    )
    with pytest.raises(DomainError) as hidden:
        await engagement.set_like(uow, BEA, post.id, True)
    assert errors(hidden) == {(("postId",), ErrorCode.NOT_FOUND)}  # a draft is its creator's alone
    with pytest.raises(DomainError) as not_yet:
        await engagement.set_like(uow, ANA, post.id, True)
    assert errors(not_yet) == {(("postId",), ErrorCode.INVALID)}

    assert (await posts.publish_post(uow, ANA, post.id)).status is PostStatus.PUBLISHED
    for _ in range(2):
        assert (await engagement.set_like(uow, BEA, post.id, True)).like_count == 1


async def test_only_a_creator_posts() -> None:
    uow = FakeUnitOfWork()
    with pytest.raises(DomainError) as refused:
        await posts.create_post(uow, BEA, posts.PostDraft(media_ids=(1,)))
    assert errors(refused) == {((), ErrorCode.FORBIDDEN)}


async def test_a_creator_cannot_report_their_own_post() -> None:
    uow = FakeUnitOfWork()
    photo = await creator_with_photo(uow)
    post = await posts.create_post(uow, ANA, posts.PostDraft(media_ids=(photo,)))
    await posts.publish_post(uow, ANA, post.id)
    with pytest.raises(DomainError) as own:
        await moderation.report_post(
            uow, ANA, moderation.ReportDraft(post.id, ModerationReason.SPAM), rate_limits=UNLIMITED
        )
    assert errors(own) == {(("postId",), ErrorCode.INVALID)}
    report = moderation.ReportDraft(post.id, ModerationReason.SPAM, "  spam  ")
    assert (await moderation.report_post(uow, BEA, report, rate_limits=UNLIMITED)).details == "spam"
    with pytest.raises(DomainError) as again:
        await moderation.report_post(uow, BEA, report, rate_limits=UNLIMITED)
    assert errors(again) == {(("postId",), ErrorCode.DUPLICATE)}


async def test_an_upload_completed_after_its_deadline_is_refused_and_its_file_deleted() -> None:
    uow, services = FakeUnitOfWork(), FakeMediaServices()
    request = uploads.UploadRequest("photo.png", "image/png", 1000)
    created = await uploads.create_upload(uow, services, ANA, request)
    assert created.upload.expires_at == NOW + timedelta(seconds=services.media_limits.upload_ttl_seconds)
    services.media.objects[created.upload.key] = (b"\x89PNG" + bytes(996), "image/png")

    services.now = uploads.completion_deadline(created.upload) + timedelta(seconds=1)
    with pytest.raises(DomainError) as late:
        await uploads.complete_upload(uow, services, ANA, created.upload.id)
    assert errors(late) == {(("uploadId",), ErrorCode.INVALID)}
    assert uow.content.uploads[created.upload.id].status is UploadStatus.FAILED
    assert services.media.objects == {}


async def test_someone_elses_upload_is_not_found() -> None:
    uow, services = FakeUnitOfWork(), FakeMediaServices()
    created = await uploads.create_upload(uow, services, ANA, uploads.UploadRequest("a.png", "image/png", 10))
    with pytest.raises(DomainError) as hidden:
        await uploads.complete_upload(uow, services, BEA, created.upload.id)
    assert errors(hidden) == {(("uploadId",), ErrorCode.NOT_FOUND)}
