"""The README's examples cannot drift: every GraphQL example is valid against the served schema (its
`# variables` included), every curl example names a route the app serves, and the first steps of the
README (sign up, create a merchant, create a key) work as printed next to the demo merchants."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from graphql import (
    DocumentNode,
    FragmentDefinitionNode,
    NonNullTypeNode,
    OperationDefinitionNode,
    parse,
    print_ast,
    validate,
)
from litestar.testing import AsyncTestClient

from shoppable.graphql.schema import build_schema
from shoppable.settings import Settings
from tests.conftest import GraphQL
from tests.factories import create_merchant, sign_up

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()
BLOCK = re.compile(r"```(graphql|sh)\n(.*?)```", re.DOTALL)


def graphql_examples() -> list[tuple[str, dict[str, Any] | None]]:
    """(document, variables) of each example: a block's operations one by one, with its variables."""
    found = []
    for kind, body in BLOCK.findall(README):
        if kind != "graphql":
            continue
        text, _, after = body.partition("# variables")
        variables = json.loads(after[after.index("\n") :]) if after else None
        document = parse(text)
        fragments = [d for d in document.definitions if isinstance(d, FragmentDefinitionNode)]
        for operation in document.definitions:
            if isinstance(operation, OperationDefinitionNode):
                found.append((DocumentNode(definitions=(operation, *fragments)), variables))
    return found


def test_every_graphql_example_is_valid_against_the_schema(settings: Settings) -> None:
    schema = build_schema(settings.model_copy(update={"graphql_introspection": True}))._schema
    examples = graphql_examples()
    assert len(examples) >= 10
    for document, variables in examples:
        errors = validate(schema, document)
        assert errors == [], (errors, print_ast(document)[:300])
        [operation] = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
        declared = {
            v.variable.name.value
            for v in operation.variable_definitions or ()
            if isinstance(v.type, NonNullTypeNode) and v.default_value is None
        }
        if declared:  # required variables are printed with the example
            assert variables is not None and declared <= set(variables), (declared, variables)


def curl_calls() -> list[tuple[str, str]]:
    calls = []
    for kind, body in BLOCK.findall(README):
        if kind != "sh":
            continue
        for command in re.split(r"\n(?=curl )", body.replace("\\\n", " ")):
            if not command.startswith("curl "):
                continue
            method = re.search(r"-X (\w+)", command)
            url = re.search(r"'?(https?://[^\s']+)'?", command)
            assert url, command
            path = re.sub(r"^https?://[^/]+", "", url.group(1)).split("?")[0]
            calls.append(((method.group(1) if method else "GET"), path))
    return calls


async def test_every_curl_example_names_a_route_the_app_serves(client: AsyncTestClient[Any]) -> None:
    calls = curl_calls()
    assert len(calls) >= 5
    document = (await client.get("/v1/openapi.json")).json()
    templates = [
        (re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", path) + "$"), {m.upper() for m in ops})
        for path, ops in document["paths"].items()
    ]
    other = {("GET", "/health"), ("POST", "/graphql"), ("GET", "/graphql"), ("GET", "/.well-known/gpc.json")}
    for method, path in calls:
        served = (method, path) in other or any(p.match(path) and method in m for p, m in templates)
        assert served, f"README: curl -X {method} {path} is not a route of the app"


async def test_the_first_steps_work_as_printed_beside_the_demo_merchants(gql: GraphQL) -> None:
    demo_owner = await sign_up(gql)
    await create_merchant(gql, demo_owner["token"], handle="northwind")  # as `make run` seeds it
    examples = [d for d, _ in graphql_examples()]
    sign_up_doc, merchant_doc, key_doc = (print_ast(d) for d in examples[:3])
    assert "signUp" in sign_up_doc and "createMerchant" in merchant_doc and "createApiKey" in key_doc
    operations = examples[:3]
    signed = (await gql(print_ast(operations[0])))["data"]["signUp"]
    assert signed["userErrors"] == [] and signed["token"]
    merchant = (await gql(print_ast(operations[1]), token=signed["token"]))["data"]["createMerchant"]
    assert merchant["userErrors"] == [], merchant
    key = await gql(
        print_ast(operations[2]), {"merchantId": merchant["merchant"]["id"]}, token=signed["token"]
    )
    assert key["data"]["createApiKey"]["userErrors"] == [] and key["data"]["createApiKey"]["key"].startswith(
        "shp_"
    )
