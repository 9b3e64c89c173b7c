"""Plain fields resolved directly answer exactly as graphql-core's general path does: the same data and
the same errors, with the same paths, for every kind of field the direct path takes or declines."""

from __future__ import annotations

import asyncio
import enum
from typing import Any

import pytest
import strawberry
from strawberry.permission import BasePermission

from shoppable.graphql.core import execution
from shoppable.graphql.core.execution import PlainFieldsExecutionContext
from tests.conftest import GraphQL
from tests.feed_world import World


@strawberry.enum
class Colour(enum.Enum):
    RED = "red"
    BLUE = "blue"


class Never(BasePermission):
    message = "not for you"

    def has_permission(self, source: Any, info: strawberry.Info, **kwargs: Any) -> bool:
        return False


async def _later(value: Any) -> Any:
    await asyncio.sleep(0)
    return value


@strawberry.type
class Leaf:
    name: str
    colour: Colour
    count: int | None
    tags: list[str]


@strawberry.type
class Thing:
    name: str
    colour: Colour
    missing: str | None
    leaves: list[Leaf]
    maybe_leaf: Leaf | None
    broken_name: strawberry.Private[str | None]

    @strawberry.field
    def shout(self) -> str:
        return self.name.upper()

    @strawberry.field
    def viewer(self, info: strawberry.Info) -> str:
        return f"{info.context['viewer']} at {info.path.key}"

    @strawberry.field
    def must(self) -> str:
        return self.broken_name  # type: ignore[return-value]  # None on purpose: a non-null violation

    @strawberry.field
    def fails(self) -> str | None:
        raise ValueError("fails here")

    @strawberry.field
    def fails_hard(self) -> str:
        raise ValueError("fails hard")

    @strawberry.field
    def later(self) -> int:
        return _later(len(self.name))  # type: ignore[return-value]  # an awaitable from a sync resolver

    @strawberry.field
    def later_leaf(self) -> Leaf:
        return _later(self.leaves[0])  # type: ignore[return-value]

    @strawberry.field
    async def asynchronous(self) -> str:
        return self.name

    @strawberry.field
    def with_argument(self, times: int = 2) -> str:
        return self.name * times

    @strawberry.field(permission_classes=[Never])
    def guarded(self) -> str | None:
        return "secret"

    @strawberry.field
    def bad_int(self) -> int | None:
        return "not a number"  # type: ignore[return-value]  # coercion error on purpose


def _things() -> list[Thing]:
    leaves = [
        Leaf(name="a", colour=Colour.RED, count=None, tags=["x", "y"]),
        Leaf(name="b", colour=Colour.BLUE, count=3, tags=[]),
    ]
    return [
        Thing(
            name="one", colour=Colour.RED, missing=None, leaves=leaves, maybe_leaf=leaves[1], broken_name="ok"
        ),
        Thing(
            name="two", colour=Colour.BLUE, missing=None, leaves=leaves[:1], maybe_leaf=None, broken_name=None
        ),
    ]


@strawberry.type
class Query:
    @strawberry.field
    def things(self) -> list[Thing]:
        return _things()

    @strawberry.field
    def strict_things(self) -> list[Thing] | None:
        return _things()


def _schema(context_class: type | None) -> strawberry.Schema:
    return strawberry.Schema(query=Query, execution_context_class=context_class)


DOCUMENTS = [  # (document, how many errors it answers)
    (
        "{ things { __typename name colour missing shout viewer leaves { name colour count tags } maybeLeaf { name } } }",
        0,
    ),
    (
        "{ things { name fails later laterLeaf { name tags } asynchronous withArgument w3: withArgument(times: 3) } }",
        2,
    ),
    ("{ things { guarded badInt } }", 4),
    ("{ strictThings { name must } }", 1),  # a non-null violation nulls the nearest nullable parent
    ("{ strictThings { name failsHard } }", 1),
    ("{ a: things { n: name ...F } } fragment F on Thing { c: colour leaves { ... on Leaf { name } } }", 0),
]


@pytest.mark.parametrize(("document", "errors"), DOCUMENTS)
async def test_direct_and_general_paths_answer_alike(document: str, errors: int) -> None:
    context = {"viewer": "ada"}
    direct = await _schema(PlainFieldsExecutionContext).execute(document, context_value=context)
    general = await _schema(None).execute(document, context_value=context)
    assert direct.data is not None
    assert len(direct.errors or []) == errors
    assert direct.data == general.data
    assert [e.formatted for e in direct.errors or []] == [e.formatted for e in general.errors or []]


def test_only_plain_fields_take_the_direct_path() -> None:
    schema = _schema(PlainFieldsExecutionContext)
    thing = schema._schema.type_map["Thing"]
    plain = {name for name, field in thing.fields.items() if execution._plan(field) is not None}  # type: ignore[attr-defined]
    assert plain == {
        "name", "colour", "missing", "leaves", "maybeLeaf", "shout", "viewer", "must", "fails",
        "failsHard", "later", "laterLeaf", "badInt",
    }  # fmt: skip
    # Declined: an async resolver, a field with arguments, a field with a permission class.


FEED = """query($first: Int, $after: String) { feed(first: $first, after: $after) {
  edges { cursor source reasons { code text } node { __typename
    ... on Post { id caption publishedAt likeCount viewerHasLiked creator { id handle viewerFollows }
                  media { id kind url width height } productTags { x y product { id title availability } }
                  disclosure { label partner { id } } }
    ... on Product { id title brand availability merchant { id name } images { url }
                     priceRange { minPrice { amount currencyCode } maxPrice { amount currencyCode } }
                     skus { edges { node { sku price { amount } } } } } } }
  pageInfo { hasNextPage hasPreviousPage endCursor } } }"""


PRODUCTS = """{ products(first: 6) { edges { cursor node { id handle title brand availability status
  merchant { id name } images { url } skus(first: 5) { edges { node { id sku price { amount currencyCode } } } }
  priceRange { minPrice { amount } } } } pageInfo { hasNextPage endCursor } } }"""


async def test_the_feed_and_a_product_page_answer_alike_on_both_paths(
    gql: GraphQL, database: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = World(database)
    await world.catalog(merchants=3, products_each=6)
    shopper = await world.user(consent=True)
    for index, creator in enumerate(await world.creators(3)):
        await world.posts(creator, 3, tag=world.product_ids[index * 2 : index * 2 + 2])
        await world.follow(shopper["id"], creator)
    first = await gql(FEED, {"first": 8}, token=shopper["token"])
    after = first["data"]["feed"]["pageInfo"]["endCursor"]
    direct = await gql(FEED, {"first": 8, "after": after}, token=shopper["token"])
    direct_products = await gql(PRODUCTS, token=shopper["token"])
    monkeypatch.setattr(PlainFieldsExecutionContext, "_plain", lambda *_args: None)
    general = await gql(FEED, {"first": 8, "after": after}, token=shopper["token"])  # a replay
    assert len(direct["data"]["feed"]["edges"]) == 8
    assert direct == general
    assert len(direct_products["data"]["products"]["edges"]) == 6
    assert direct_products == await gql(PRODUCTS, token=shopper["token"])
