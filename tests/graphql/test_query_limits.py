"""Hostile documents: validation takes time linear in the document, and malformed bodies are 400s."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from graphql import parse
from hypothesis import given, settings
from hypothesis import strategies as st
from litestar.testing import AsyncTestClient

from shoppable.graphql.core.limits import MAX_FRAGMENT_SPREADS, measure
from tests.conftest import GraphQL


def doubling(levels: int, field: str = "__typename") -> str:
    """Fragment i spreads fragment i+1 twice: 2**levels fields once expanded, in about 50 bytes a level."""
    chain = " ".join(f"fragment F{i} on Query{{ {field} ...F{i + 1} ...F{i + 1} }}" for i in range(levels))
    return f"query{{...F0}} {chain} fragment F{levels} on Query{{__typename}}"


async def test_self_doubling_fragments_are_refused_at_once_and_the_server_keeps_answering(
    gql: GraphQL,
) -> None:
    for levels in (25, 60):
        started = time.perf_counter()
        body = await gql(doubling(levels), expect_errors=True)
        assert time.perf_counter() - started < 2.0
        assert body["errors"][0]["extensions"]["code"] == "QUERY_TOO_COSTLY", body
    hostile = asyncio.gather(*(gql(doubling(40, "a: __typename"), expect_errors=True) for _ in range(4)))
    plain = await gql("{ __typename }")
    assert plain["data"] == {"__typename": "Query"}
    codes = {e["extensions"]["code"] for body in await hostile for e in body["errors"]}
    assert codes == {"TOO_MANY_ALIASES", "QUERY_TOO_COSTLY"}


async def test_nodes_cost_counts_every_id(gql: GraphQL) -> None:
    ids = ", ".join(f'"{i}"' for i in range(100))
    one = f"n: nodes(ids: [{ids}]) {{ id ... on Product {{ skus(first: 100) {{ edges {{ node {{ id }} }} }} }} }}"
    many = "{ " + " ".join(one.replace("n:", f"n{i}:", 1) for i in range(30)) + " }"
    body = await gql(many, expect_errors=True)
    assert body["errors"][0]["extensions"]["code"] == "QUERY_TOO_COSTLY"


async def test_too_many_fragment_spreads_are_refused(gql: GraphQL) -> None:
    spreads = " ".join("...F" for _ in range(MAX_FRAGMENT_SPREADS + 1))
    body = await gql(f"query {{ {spreads} }} fragment F on Query {{ __typename }}", expect_errors=True)
    assert body["errors"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX"


async def test_a_document_nested_too_deeply_is_a_syntax_error(gql: GraphQL) -> None:
    body = await gql("query{" + "viewer{" * 2000 + "id" + "}" * 2001, expect_errors=True)
    assert body["data"] is None and "nested too deeply" in body["errors"][0]["message"]


async def test_bodies_that_are_not_a_json_object_are_400(client: AsyncTestClient[Any]) -> None:
    for body in (b"null", b"123", b'"s"', b"\xff\xfe\x00", b"\x1f\x8b\x08\x00\x00\x00\x00\x00"):
        response = await client.post("/graphql", content=body, headers={"content-type": "application/json"})
        assert response.status_code == 400, (body, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")


def _naive_cost(selections: list[Any], fragments: dict[str, list[Any]]) -> int:
    """Cost by expanding every spread (exponential, fine for the small documents generated below)."""
    total = 0
    for kind, value in selections:
        total += 1 if kind == "field" else _naive_cost(fragments[value], fragments)
    return total


@st.composite
def fragment_dags(draw: st.DrawFn) -> tuple[str, int]:
    """A document of leaf fields and spreads of later fragments (so no cycles), and its expanded size."""
    count = draw(st.integers(1, 6))
    fragments: dict[str, list[Any]] = {}
    for i in reversed(range(count)):
        later = [f"F{j}" for j in range(i + 1, count)]
        options = st.one_of(
            st.just(("field", "__typename")), st.sampled_from(later).map(lambda f: ("spread", f))
        )
        fragments[f"F{i}"] = draw(
            st.lists(options if later else st.just(("field", "__typename")), min_size=1, max_size=4)
        )
    text = "query { ...F0 } " + " ".join(
        f"fragment {name} on Query {{ "
        + " ".join("__typename" if kind == "field" else f"...{value}" for kind, value in body)
        + " }"
        for name, body in fragments.items()
    )
    return text, _naive_cost(fragments["F0"], fragments)


@settings(max_examples=200, deadline=None)
@given(fragment_dags())
def test_memoized_cost_equals_the_expanded_cost(document: tuple[str, int]) -> None:
    text, expected = document
    shapes = measure(parse(text).definitions, ceiling=10**9)
    assert [shape.cost for shape in shapes.values()] == [expected]
