"""Experiments through the real HTTP app: admin API, stable assignment, exposures, consent, stopping."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from shoppable.domain.experiments import hashing
from shoppable.domain.identity.service import create_admin
from shoppable.storage.db import Database
from shoppable.storage.tables.experiments import ExperimentExposureRow, ExperimentUnitRow
from tests.feed_world import World

FEED = """query($first: Int, $after: String, $mode: FeedMode) {
  feed(first: $first, after: $after, mode: $mode) {
    edges { source node { __typename } }
    pageInfo { hasNextPage endCursor }
  }
}"""
CREATE = """mutation($i: CreateExperimentInput!) {
  createExperiment(input: $i) { experiment { id key status variants { key weight config } }
    userErrors { field code message } } }"""
START = """mutation($k: String!) { startExperiment(input: {key: $k}) { experiment { status startedAt }
  userErrors { field code message } } }"""
STOP = """mutation($k: String!) { stopExperiment(input: {key: $k}) { experiment { status stoppedAt }
  userErrors { field code message } } }"""
RESULTS = """query($k: String!) { experiment(key: $k) { key status results { srmPValue srmOk warnings
  variants { key users exposures metrics { name mean lift ciLow ciHigh pValue sequentialPValue cuped } } } } }"""
SIGN_UP = (
    """mutation($i: SignUpInput!) { signUp(input: $i) { token user { id } userErrors { field code } } }"""
)

# The treatment shows product cards only, the control posts only: a page tells which variant served it.
SLOTS = [
    {"key": "posts", "weight": 1, "config": {"slotPattern": "P"}},
    {"key": "cards", "weight": 1, "config": {"slotPattern": "R"}},
]


class Api:
    def __init__(self, client: Any) -> None:
        self.client = client

    async def __call__(
        self, query: str, variables: dict[str, Any] | None = None, *, token: str | None = None,
        device: str | None = None,
    ) -> dict[str, Any]:  # fmt: skip
        headers = {}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if device:
            headers["X-Device-Id"] = device
        response = await self.client.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
        assert response.status_code == 200, response.text
        return dict(response.json())

    async def page(self, *, token: str | None = None, device: str | None = None, after: str | None = None,
                   first: int = 5, mode: str = "FOR_YOU") -> dict[str, Any]:  # fmt: skip
        body = await self(FEED, {"first": first, "after": after, "mode": mode}, token=token, device=device)
        assert "errors" not in body, body
        return dict(body["data"]["feed"])


def kinds(page: dict[str, Any]) -> set[str]:
    return {edge["node"]["__typename"] for edge in page["edges"]}


def device_in(variant: str, key: str, prefix: str) -> str:
    """A device id the experiment `key` assigns to `variant` (assignment is a pure function)."""
    index = [v["key"] for v in SLOTS].index(variant)
    for n in range(1000):
        device = f"{prefix}-{n}"
        if hashing.choose(key, f"d:{device}", [1, 1]) == index:
            return device
    raise AssertionError("no device found")


@pytest.fixture
async def world(database: Database) -> World:
    world = World(database)
    await world.catalog(merchants=3, products_each=6)
    for creator in await world.creators(4):
        await world.posts(creator, 4)
    return world


@pytest.fixture
def api(client: Any) -> Api:
    return Api(client)


async def admin(api: Api, database: Database) -> str:
    uow = database.unit_of_work(write=True)
    async with uow:
        await create_admin(uow, "lab@example.com", "correct horse battery")
    body = await api(
        'mutation { logIn(input: {email: "lab@example.com", password: "correct horse battery"}) { token } }'
    )
    return str(body["data"]["logIn"]["token"])


async def running(api: Api, token: str, key: str, variants: list[dict[str, Any]] = SLOTS) -> None:
    created = await api(CREATE, {"i": {"key": key, "description": "test", "variants": variants}}, token=token)
    assert created["data"]["createExperiment"]["userErrors"] == [], created
    started = await api(START, {"k": key}, token=token)
    assert started["data"]["startExperiment"]["experiment"]["status"] == "RUNNING", started


async def exposures(database: Database) -> list[Any]:
    uow = database.unit_of_work()
    async with uow:
        table = ExperimentExposureRow.__table__  # type: ignore[attr-defined]
        return list(await uow.execute(select(table).order_by(table.c.id)))


async def test_only_admins_manage_and_read_experiments(api: Api, world: World, database: Database) -> None:
    shopper = await world.user(consent=True)
    token = await admin(api, database)
    denied = await api(CREATE, {"i": {"key": "x1", "variants": SLOTS}}, token=shopper["token"])
    assert denied["data"]["createExperiment"]["userErrors"][0]["code"] == "FORBIDDEN"
    anonymous = await api(CREATE, {"i": {"key": "x1", "variants": SLOTS}})
    assert anonymous["data"]["createExperiment"]["userErrors"][0]["code"] == "UNAUTHENTICATED"
    await running(api, token, "slots")
    for caller in (shopper["token"], None):
        body = await api(RESULTS, {"k": "slots"}, token=caller)
        assert body["data"]["experiment"] is None and "errors" not in body
        listed = await api("{ experiments { edges { node { key } } } }", token=caller)
        assert listed["data"]["experiments"]["edges"] == [] and "errors" not in listed
    stop = await api(STOP, {"k": "slots"}, token=shopper["token"])
    assert stop["data"]["stopExperiment"]["userErrors"][0]["code"] == "FORBIDDEN"
    mine = await api("{ experiments(status: RUNNING) { edges { node { key kind surface } } } }", token=token)
    assert mine["data"]["experiments"]["edges"] == [
        {"node": {"key": "slots", "kind": "AB", "surface": "feed"}}
    ]


async def test_bad_definitions_and_immutability(api: Api, world: World, database: Database) -> None:
    token = await admin(api, database)
    bad = await api(
        CREATE,
        {"i": {"key": "Bad Key", "variants": [
            {"key": "a", "weight": 0, "config": {"slotPattern": "XYZ"}},
            {"key": "a", "weight": 1, "config": {"colour": "red"}}], "metrics": ["vibes"]}},
        token=token,
    )  # fmt: skip
    fields = {tuple(e["field"]) for e in bad["data"]["createExperiment"]["userErrors"]}
    assert {("key",), ("variants", "0", "weight"), ("variants", "0", "config", "slotPattern"),
            ("variants", "1", "key"), ("variants", "1", "config", "colour"), ("metrics", "0")} <= fields  # fmt: skip
    await running(api, token, "first")
    await api(CREATE, {"i": {"key": "second", "variants": SLOTS}}, token=token)
    clash = await api(START, {"k": "second"}, token=token)
    assert clash["data"]["startExperiment"]["userErrors"][0]["code"] == "CONFLICT"  # one per surface
    again = await api(START, {"k": "first"}, token=token)
    assert again["data"]["startExperiment"]["userErrors"][0]["code"] == "CONFLICT"
    duplicate = await api(CREATE, {"i": {"key": "first", "variants": SLOTS}}, token=token)
    assert duplicate["data"]["createExperiment"]["userErrors"][0]["code"] == "DUPLICATE"
    await api(STOP, {"k": "first"}, token=token)
    restart = await api(START, {"k": "first"}, token=token)
    assert restart["data"]["startExperiment"]["userErrors"][0]["code"] == "CONFLICT"  # stop, then a new one


async def test_assignment_is_stable_across_channels_and_sign_up(
    api: Api, world: World, database: Database
) -> None:
    token = await admin(api, database)
    await running(api, token, "slots")
    device = device_in("cards", "slots", "phone")
    before = await api.page(device=device)
    assert kinds(before) == {"Product"}  # the treatment's slot pattern, before sign-up
    signed = await api(SIGN_UP, {"i": {"email": "new@example.com", "password": "correct horse battery",
                                       "displayName": "New"}}, device=device)  # fmt: skip
    user_token = signed["data"]["signUp"]["token"]
    # Signed in, on the same phone, on the web without a device id, on a watch: the same variant.
    for other in (device, None, "watch-1"):
        assert kinds(await api.page(token=user_token, device=other)) == {"Product"}
    # Another device whose own (anonymous) bucket is the control, once signed in, follows the person.
    laptop = device_in("posts", "slots", "laptop")
    assert kinds(await api.page(device=laptop)) == {"Post"}
    assert kinds(await api.page(token=user_token, device=laptop)) == {"Product"}
    rows = await exposures(database)
    person = {r.variant for r in rows if r.unit == f"d:{device}"}
    assert person == {"cards"} and {r.variant for r in rows if r.unit == f"d:{laptop}"} == {"posts"}
    uow = database.unit_of_work()
    async with uow:
        units = list(await uow.execute(select(ExperimentUnitRow.__table__)))  # type: ignore[attr-defined]
    assert [u.unit for u in units] == [f"d:{device}"]


async def test_exposure_logged_once_per_session_when_a_page_is_built(
    api: Api, world: World, database: Database
) -> None:
    token = await admin(api, database)
    await api(CREATE, {"i": {"key": "slots", "variants": SLOTS}}, token=token)
    shopper = await world.user(consent=True)
    await api.page(token=shopper["token"])
    assert await exposures(database) == []  # a draft exposes nobody
    await api(START, {"k": "slots"}, token=token)
    first = await api.page(token=shopper["token"], first=3)
    second = await api.page(token=shopper["token"], first=3, after=first["pageInfo"]["endCursor"])
    assert second["edges"]
    await api.page(token=shopper["token"], first=3, after=first["pageInfo"]["endCursor"])  # a replay
    rows = await exposures(database)
    assert len(rows) == 1 and rows[0].unit == f"u:{shopper['id']}" and rows[0].latency_ms > 0
    await api.page(token=shopper["token"], first=3)  # a new session
    assert len(await exposures(database)) == 2
    await api.page(token=shopper["token"], mode="FOLLOWING")  # not experimented on
    await api.page()  # no account, no device: nobody to assign
    assert len(await exposures(database)) == 2


async def test_consent_decides_enrollment_and_is_never_switched_off_or_on(
    api: Api, world: World, database: Database
) -> None:
    token = await admin(api, database)
    ranker = [
        {"key": "control", "weight": 1, "config": {}},
        {"key": "no-model", "weight": 1, "config": {"ranker": "none"}},
    ]
    await running(api, token, "ranker", ranker)
    without = await world.user(consent=False)
    await api.page(token=without["token"])
    await api.page(device="anon-1")
    assert await exposures(database) == []  # a ranker needs personal data: only consenting viewers
    with_consent = await world.user(consent=True)
    await api.page(token=with_consent["token"])
    assert [r.unit for r in await exposures(database)] == [f"u:{with_consent['id']}"]
    await api(STOP, {"k": "ranker"}, token=token)
    # An experiment without personal data enrolls everyone; its non-personal arm is non-personal even
    # for a consenting viewer, and its other arm never personalizes a viewer without consent.
    arms = [
        {"key": "default", "weight": 1, "config": {}},
        {"key": "public", "weight": 1, "config": {"personalized": False}},
    ]
    await running(api, token, "public", arms)
    for _ in range(6):
        viewer = await world.user(consent=True)
        await world.follow(viewer["id"], world.creator_ids[0])
        page = await api.page(token=viewer["token"], first=8)
        arm = {r.variant for r in await exposures(database) if r.unit == f"u:{viewer['id']}"}
        if arm == {"public"}:
            assert {e["source"] for e in page["edges"]} <= {"NON_PERSONALIZED"}
        else:
            assert arm == {"default"}
            assert any(e["source"] in {"PERSONALIZED", "FOLLOWING"} for e in page["edges"])
    for _ in range(4):
        viewer = await world.user(consent=False)
        page = await api.page(token=viewer["token"], first=8)
        assert {e["source"] for e in page["edges"]} <= {"NON_PERSONALIZED"}
        assert len({r.variant for r in await exposures(database) if r.unit == f"u:{viewer['id']}"}) == 1


async def test_stopped_experiment_returns_viewers_to_the_default_feed_and_results_count_them(
    api: Api, world: World, database: Database
) -> None:
    token = await admin(api, database)
    await running(api, token, "slots")
    device = device_in("cards", "slots", "tablet")
    page = await api.page(device=device, first=3)
    assert kinds(page) == {"Product"}
    others = [device_in("posts", "slots", f"p{n}") for n in range(3)]
    for other in others:
        await api.page(device=other)
    results = (await api(RESULTS, {"k": "slots"}, token=token))["data"]["experiment"]["results"]
    by_key = {v["key"]: v for v in results["variants"]}
    assert by_key["cards"]["users"] == 1 and by_key["posts"]["users"] == len(set(others))
    assert by_key["cards"]["exposures"] == 1
    assert results["srmPValue"] > 0 and results["warnings"]
    assert {m["name"] for m in by_key["cards"]["metrics"]} >= {"ctr", "conversion", "revenue_per_viewer"}
    await api(STOP, {"k": "slots"}, token=token)
    # The same session continues with the default slot pattern (posts and cards mixed), unexposed.
    after = await api.page(device=device, first=8, after=page["pageInfo"]["endCursor"])
    assert kinds(after) == {"Post", "Product"}
    assert len(await exposures(database)) == 1 + len(set(others))
    still = (await api(RESULTS, {"k": "slots"}, token=token))["data"]["experiment"]
    assert still["status"] == "STOPPED" and still["results"]["variants"][1]["users"] == 1


TRACK = (
    """mutation($i: TrackEventsInput!) { trackEvents(input: $i) { accepted userErrors { field code } } }"""
)


async def test_results_count_each_viewers_events_from_first_exposure(
    api: Api, world: World, database: Database
) -> None:
    from datetime import UTC, datetime, timedelta

    from shoppable.graphql.core.ids import encode_id

    token = await admin(api, database)
    await running(api, token, "slots")
    device = device_in("cards", "slots", "counted")
    await api.page(device=device)
    product = encode_id("Product", world.product_ids[0])
    soon = datetime.now(UTC) + timedelta(seconds=1)
    before = datetime.now(UTC) - timedelta(hours=1)  # before exposure: not counted (pre-period only)
    events = [
        {"eventId": f"i{n}", "type": "IMPRESSION", "subjectId": product, "occurredAt": soon.isoformat()}
        for n in range(4)
    ] + [
        {"eventId": "c1", "type": "CLICK", "subjectId": product, "occurredAt": soon.isoformat()},
        {"eventId": "old", "type": "CLICK", "subjectId": product, "occurredAt": before.isoformat()},
        {"eventId": "a1", "type": "ADD_TO_CART", "subjectId": product, "occurredAt": soon.isoformat()},
    ]
    tracked = await api(TRACK, {"i": {"events": events}}, device=device)
    assert tracked["data"]["trackEvents"]["accepted"] == 7, tracked
    results = (await api(RESULTS, {"k": "slots"}, token=token))["data"]["experiment"]["results"]
    cards = next(v for v in results["variants"] if v["key"] == "cards")
    means = {m["name"]: m["mean"] for m in cards["metrics"]}
    assert means["ctr"] == pytest.approx(1 / 4)
    assert means["items_per_session"] == pytest.approx(4.0)
    assert means["add_to_cart_rate"] == 1.0 and means["conversion"] == 0.0
    assert means["feed_latency_ms"] > 0


async def test_the_device_merge_step_keeps_the_devices_bucket(
    api: Api, world: World, database: Database
) -> None:
    """`adopt_device` is the step the device -> account merge runs at sign-up and log-in."""
    from shoppable.domain.experiments.service import adopt_device

    token = await admin(api, database)
    await running(api, token, "slots")
    device = device_in("cards", "slots", "merged")
    assert kinds(await api.page(device=device)) == {"Product"}
    shopper = await world.user(consent=True)

    class User:
        id = shopper["id"]

    uow = database.unit_of_work(write=True)
    async with uow:
        assert await adopt_device(uow, User(), device) == 1
        assert await adopt_device(uow, User(), "another-device") == 0  # the first device stays
        await uow.commit()
    assert kinds(await api.page(token=shopper["token"])) == {"Product"}  # no device header needed
    assert {r.unit for r in await exposures(database)} == {f"d:{device}"}


async def test_a_trained_ranker_version_is_served_by_name(
    api: Api, world: World, database: Database, settings: Any
) -> None:
    import time

    from shoppable.domain.recs.item_meta import ItemRecord
    from shoppable.domain.recs.training import train_from_arrays
    from shoppable.storage import recs_artifacts as artifact

    # A small model over this catalog's product ids (what `shoppable recs train` fits on events).
    products = [str(p) for p in world.product_ids]
    users = [f"u{n % 5}" for n in range(40)]
    items = [products[(n * 7) % len(products)] for n in range(40)]
    now = time.time()
    model = train_from_arrays(
        users, items, [now - 3600 * n for n in range(40)], items=[ItemRecord(p) for p in products],
        now=now, params={"tune": False},
    )  # fmt: skip
    version = artifact.save(model, settings.model_dir).stem
    token = await admin(api, database)
    arms = [
        {"key": "control", "weight": 1, "config": {}},
        {"key": "trained", "weight": 1, "config": {"ranker": version}},
    ]
    await running(api, token, "versions", arms)
    viewers = [await world.user(consent=True) for _ in range(6)]
    for viewer in viewers:
        assert (await api.page(token=viewer["token"]))["edges"]
    assert len({r.unit for r in await exposures(database)}) == len(viewers)
    await api(STOP, {"k": "versions"}, token=token)
    missing = [
        arms[0],
        {"key": "gone", "weight": 1, "config": {"ranker": "feed-20200101T000000Z-000000000000"}},
    ]
    await running(api, token, "missing", missing)
    before = len(await exposures(database))
    for viewer in viewers:
        assert (await api.page(token=viewer["token"]))["edges"]  # the default feed, never an error
    rows = (await exposures(database))[before:]
    assert rows and {r.variant for r in rows} == {"control"}  # nobody is exposed to a version not here
