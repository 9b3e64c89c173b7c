"""build_page against in-memory fakes: sessions, replay, filters, consent, following, conflicts."""

from __future__ import annotations

from datetime import timedelta

from shoppable.domain.feed.model import PERSONAL_REASONS, FeedMode, FeedPage, FeedSource, ItemKind
from shoppable.domain.feed.service import FeedRequest, build_page, delete_expired_sessions
from shoppable.domain.identity.actor import Actor
from tests.domain.feed.fakes import NOW, CountingSnapshots, FakeServices, FakeUnitOfWork, StaticRanker

SHOPPER = Actor(user_id=7, personalization_consent=True)
PRIVATE = Actor(user_id=8, personalization_consent=False)
ANONYMOUS = Actor(device_id="device-1")


def world(
    creators: int = 4, posts_each: int = 5, merchants: int = 3, products_each: int = 6
) -> FakeUnitOfWork:
    uow = FakeUnitOfWork()
    for creator in range(1, creators + 1):
        for n in range(posts_each):
            uow.feed.add_post(100 + creator, age_hours=1 + n + creator / 10, likes=n)
    for merchant in range(1, merchants + 1):
        for n in range(products_each):
            uow.feed.add_product(200 + merchant, category=["Shoes", "Bags"][n % 2], age_days=n)
    return uow


async def page(
    uow: FakeUnitOfWork,
    services: FakeServices,
    actor: Actor = ANONYMOUS,
    *,
    first: int = 5,
    after: FeedPage | None = None,
    mode: FeedMode = FeedMode.FOR_YOU,
) -> FeedPage:
    session_id, position = (after.session.id, after.items[-1].position + 1) if after else (None, 0)
    return await build_page(uow, actor, FeedRequest(mode, first, session_id, position), services)


def keys(page: FeedPage) -> list[tuple[ItemKind, int]]:
    return [(i.kind, i.item_id) for i in page.items]


async def walk(
    uow: FakeUnitOfWork, services: FakeServices, actor: Actor, pages: int, first: int = 5
) -> list[FeedPage]:
    found = [await page(uow, services, actor, first=first)]
    while len(found) < pages and found[-1].has_next:
        found.append(await page(uow, services, actor, first=first, after=found[-1]))
    return found


async def test_pages_continue_the_served_history_without_repeats_or_gaps() -> None:
    uow, services = world(), FakeServices()
    pages = await walk(uow, services, SHOPPER, pages=5)
    items = [i for p in pages for i in p.items]
    assert [i.position for i in items] == list(range(len(items)))
    assert len(set(keys_of := [(i.kind, i.item_id) for i in items])) == len(keys_of)
    session = pages[0].session
    assert all(p.session.id == session.id for p in pages)
    assert uow.feed.sessions[session.id].served == len(items)


async def test_a_page_asked_again_is_replayed_and_nothing_new_is_stored() -> None:
    uow, services = world(), FakeServices()
    first = await page(uow, services, SHOPPER)
    second = await page(uow, services, SHOPPER, after=first)
    commits = uow.commits
    again = await page(uow, services, SHOPPER, after=first)
    assert keys(again) == keys(second) and again.session.served == second.session.served
    assert uow.commits == commits  # a replay writes nothing
    from_top = await build_page(uow, SHOPPER, FeedRequest(FeedMode.FOR_YOU, 5, first.session.id, 0), services)
    assert keys(from_top) == keys(first)


async def test_without_consent_for_you_is_the_non_personalized_feed() -> None:
    uow, services = world(), FakeServices()
    uow.feed.follows[PRIVATE.user_id or 0] = [101, 102]
    uow.feed.follows[SHOPPER.user_id or 0] = [101, 102]
    private = await page(uow, services, PRIVATE, first=10)
    assert not private.session.personalized
    assert {i.source for i in private.items} == {FeedSource.NON_PERSONALIZED}
    assert not {r.code for i in private.items for r in i.reasons} & PERSONAL_REASONS
    public = await page(uow, services, ANONYMOUS, first=10)
    assert keys(private) == keys(public)
    personal = await page(uow, services, SHOPPER, first=10)
    assert personal.session.personalized
    assert FeedSource.FOLLOWING in {i.source for i in personal.items}


async def test_consent_withdrawn_mid_session_never_reuses_the_personal_plan() -> None:
    # More products than the snapshot's newest 100: the walk widens to the long tail too.
    uow, services = world(merchants=3, products_each=40), FakeServices()
    uow.feed.follows[SHOPPER.user_id or 0] = [101]
    first = await page(uow, services, SHOPPER)
    withdrawn = Actor(user_id=SHOPPER.user_id, personalization_consent=False)
    second = await page(uow, services, withdrawn, first=10, after=first)
    assert {i.source for i in second.items} == {FeedSource.NON_PERSONALIZED}
    rest = [second]
    while rest[-1].has_next:  # to the end, through the widened archive and long tail too
        rest.append(await page(uow, services, withdrawn, first=10, after=rest[-1]))
    later = [i for p in rest for i in p.items]
    assert len(later) > 100 and {i.source for i in later} == {FeedSource.NON_PERSONALIZED}
    assert "EXPLORE" in {r.code.value for i in later for r in i.reasons}  # the long tail was reached
    assert not {r.code for i in later for r in i.reasons} & PERSONAL_REASONS


async def test_hidden_posts_creators_products_and_merchants_never_show() -> None:
    uow, services = world(), FakeServices()
    user = SHOPPER.user_id or 0
    some_post = next(iter(uow.feed.posts_by_id.values()))
    some_product = next(iter(uow.feed.products_by_id.values()))
    uow.feed.hides |= {(user, "Creator", 101), (user, "Merchant", 201)}
    uow.feed.hides |= {(user, "Post", some_post.id), (user, "Product", some_product.id)}
    items = [i for p in await walk(uow, services, SHOPPER, pages=10, first=10) for i in p.items]
    assert items
    assert not [i for i in items if i.kind is ItemKind.POST and i.author_id == 101]
    assert not [i for i in items if i.kind is ItemKind.PRODUCT and i.author_id == 201]
    assert (ItemKind.POST, some_post.id) not in {(i.kind, i.item_id) for i in items}
    assert (ItemKind.PRODUCT, some_product.id) not in {(i.kind, i.item_id) for i in items}


async def test_sold_out_and_recently_bought_products_are_excluded() -> None:
    uow, services = world(), FakeServices()
    products = list(uow.feed.products_by_id)
    uow.feed.sold_out.add(products[0])
    uow.feed.bought[SHOPPER.user_id or 0] = {products[1], products[2]}
    for actor, excluded in ((SHOPPER, set(products[:3])), (ANONYMOUS, {products[0]})):
        items = [i for p in await walk(uow, services, actor, pages=10, first=10) for i in p.items]
        shown = {i.item_id for i in items if i.kind is ItemKind.PRODUCT}
        assert shown and not shown & excluded, actor
    # Sold out after it was planned: checked again on the next page, not when the plan was made.
    first = await page(uow, services, ANONYMOUS, first=2)
    plan = services.plans.get(f"{first.session.id}:public")
    assert plan is not None
    planned = {c.item_id for c in plan[1]}
    later = sorted(planned - {i.item_id for i in first.items})
    uow.feed.sold_out |= set(later)
    rest = [i for i in (await page(uow, services, ANONYMOUS, first=20, after=first)).items]
    assert not {i.item_id for i in rest if i.kind is ItemKind.PRODUCT} & set(later)


async def test_following_is_newest_first_from_followed_creators_only() -> None:
    uow, services = world(), FakeServices()
    uow.feed.follows[PRIVATE.user_id or 0] = [102, 103]
    result = await page(uow, services, PRIVATE, first=20, mode=FeedMode.FOLLOWING)
    posts = [uow.feed.posts_by_id[i.item_id] for i in result.items]
    assert {p.creator_id for p in posts} == {102, 103} and len(posts) == 10
    assert [p.published_at for p in posts] == sorted((p.published_at for p in posts), reverse=True)
    assert {i.source for i in result.items} == {FeedSource.FOLLOWING} and not result.has_next
    nobody = await page(uow, services, ANONYMOUS, mode=FeedMode.FOLLOWING)
    assert nobody.items == [] and not nobody.has_next


async def test_foreign_expired_or_other_mode_sessions_start_over() -> None:
    uow, services = world(), FakeServices()
    mine = await page(uow, services, SHOPPER)
    foreign = await page(uow, services, PRIVATE, after=mine)
    assert foreign.restarted and foreign.session.id != mine.session.id and foreign.items[0].position == 0
    other_mode = await page(uow, services, SHOPPER, after=mine, mode=FeedMode.NON_PERSONALIZED)
    assert other_mode.restarted
    services.clock = lambda: NOW + timedelta(hours=2)  # past the one-hour session lifetime
    expired = await page(uow, services, SHOPPER, after=mine)
    assert expired.restarted and expired.items[0].position == 0


async def test_a_concurrent_extension_is_replayed_after_a_rollback() -> None:
    uow, services = world(), FakeServices()
    first = await page(uow, services, SHOPPER)
    uow.feed.conflicts_to_raise = 1
    second = await page(uow, services, SHOPPER, after=first)
    assert uow.rollbacks == 1 and second.items and second.items[0].position == 5


async def test_the_ranker_picks_products_named_by_a_viewed_product_of_the_same_category() -> None:
    uow = world()
    products = list(uow.feed.products_by_id.values())
    viewed, picked = products[0], next(p for p in products[1:] if p.category == products[0].category)
    uow.feed.record(SHOPPER.user_id or 0, "VIEW", ("Product", viewed.id), at=NOW - timedelta(hours=1))
    services = FakeServices()
    services.models.ranker = StaticRanker([viewed.id, picked.id])
    items = [i for p in await walk(uow, services, SHOPPER, pages=6, first=10) for i in p.items]
    reasons = {i.item_id: i.reasons for i in items if i.kind is ItemKind.PRODUCT}
    assert reasons[picked.id][0].text == f"Because you viewed {viewed.title}"
    assert viewed.id not in reasons or reasons[viewed.id][0].text != f"Because you viewed {viewed.title}"


async def test_later_pages_reuse_the_sessions_plan_instead_of_the_snapshot() -> None:
    snapshots = CountingSnapshots()
    uow, services = world(), FakeServices(snapshots=snapshots)
    first = await page(uow, services, ANONYMOUS)
    assert snapshots.computed == 1
    await page(uow, services, ANONYMOUS, after=first)
    assert snapshots.computed == 1


async def test_expired_sessions_are_deleted() -> None:
    uow, services = world(), FakeServices()
    await page(uow, services, SHOPPER)
    assert await delete_expired_sessions(uow, NOW) == 0
    assert await delete_expired_sessions(uow, NOW + timedelta(hours=2)) == 1
    assert uow.feed.sessions == {} and uow.feed.served == {}


async def test_a_personal_session_continues_on_another_process_from_its_stored_plan() -> None:
    uow = world()
    uow.feed.follows[SHOPPER.user_id or 0] = [101]
    first = await page(uow, FakeServices(), SHOPPER)
    other_process = FakeServices(snapshots=CountingSnapshots())  # its own, empty plan cache
    second = await page(uow, other_process, SHOPPER, after=first)
    assert other_process.snapshots.computed == 0, "ranked again instead of reading the stored plan"
    assert second.items and not {(i.kind, i.item_id) for i in second.items} & set(keys(first))
    # A stored plan older than the plan lifetime is ranked again, like an expired in-process one.
    later = FakeServices(snapshots=CountingSnapshots())
    later.clock = lambda: NOW + timedelta(minutes=10)
    await page(uow, later, SHOPPER, after=second)
    assert later.snapshots.computed == 1


async def test_walks_to_the_end_serve_every_eligible_item_exactly_once() -> None:
    for actor in (ANONYMOUS, SHOPPER):
        uow, services = world(creators=2, posts_each=9, merchants=2, products_each=7), FakeServices()
        products = list(uow.feed.products_by_id)
        uow.feed.sold_out.add(products[0])
        uow.feed.bought[SHOPPER.user_id or 0] = {products[1]}
        uow.feed.hides.add((SHOPPER.user_id or 0, "Creator", 101))
        uow.feed.follows[SHOPPER.user_id or 0] = [102]
        pages = await walk(uow, services, actor, pages=100, first=4)
        assert not pages[-1].has_next and all(len(p.items) == 4 for p in pages[:-1])
        served = [(i.kind, i.item_id) for p in pages for i in p.items]
        expected = {(ItemKind.PRODUCT, pk) for pk in products[1:]} | {
            (ItemKind.POST, post.id) for post in uow.feed.posts_by_id.values()
        }
        if actor is SHOPPER:
            expected -= {(ItemKind.PRODUCT, products[1])}
            expected -= {(ItemKind.POST, p.id) for p in uow.feed.posts_by_id.values() if p.creator_id == 101}
        assert len(served) == len(set(served)) and set(served) == expected, actor


async def test_personal_reasons_come_first_and_say_what_the_viewer_did() -> None:
    uow = world()
    products = list(uow.feed.products_by_id.values())
    popular = products[3]
    for n in range(3):  # other shoppers make it popular this week
        uow.feed.record(900 + n, "ADD_TO_CART", ("Product", popular.id), at=NOW - timedelta(hours=2))
    saved_post = next(iter(uow.feed.posts_by_id.values()))
    uow.feed.like(SHOPPER.user_id or 0, saved_post.id, how="SAVE")
    services = FakeServices()
    services.models.ranker = StaticRanker([popular.id])
    items = [i for p in await walk(uow, services, SHOPPER, pages=20, first=10) for i in p.items]
    by_id = {(i.kind, i.item_id): i for i in items}
    card = by_id[(ItemKind.PRODUCT, popular.id)]
    # Every source that proposed it is named, the personal one first (the complaint was
    # POPULAR_IN_CATEGORY, NEW_ARRIVAL, PICKED_FOR_YOU on a personal pick).
    assert [r.code.value for r in card.reasons] == ["PICKED_FOR_YOU", "POPULAR_IN_CATEGORY", "NEW_ARRIVAL"]
    assert card.reasons[0].text == "Picked from what you saved"  # the only thing this viewer did
    engaged = [r for i in items for r in i.reasons if r.code.value == "ENGAGED_WITH_CREATOR"]
    assert engaged and {r.text for r in engaged} == {f"You saved a post by @{saved_post.creator_handle}"}
