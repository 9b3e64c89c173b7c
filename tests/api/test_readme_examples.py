"""The README's examples cannot drift: every GraphQL and curl example runs as printed, in README order,
against the real HTTP app holding the demo data of `shoppable seed`, with the values the README tells
the reader to keep from earlier answers (the convention is in `tests/api/readme_examples.py`)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from graphql import NonNullTypeNode, OperationDefinitionNode, parse, validate
from litestar.testing import AsyncTestClient

from shoppable.api.app import create_app
from shoppable.demo.seed import seed_all
from shoppable.graphql.schema import build_schema
from shoppable.settings import Settings
from tests.api.readme_examples import (
    PLACEHOLDER,
    CurlExample,
    Example,
    ExampleError,
    GraphQLExample,
    Save,
    examples,
)

# -- reading the README ----------------------------------------------------------------------------


def test_every_graphql_example_is_valid_against_the_schema(settings: Settings) -> None:
    schema = build_schema(settings.model_copy(update={"graphql_introspection": True}))._schema
    found = [e for e in examples() if isinstance(e, GraphQLExample)]
    assert len(found) >= 20
    for example in found:
        document = parse(example.query)
        errors = validate(schema, document)
        assert errors == [], f"{example.label()}: {errors}"
        [operation] = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
        required = {
            v.variable.name.value
            for v in operation.variable_definitions or ()
            if isinstance(v.type, NonNullTypeNode) and v.default_value is None
        }
        missing = required - set(example.variables)
        assert not missing, f"{example.label()}: no printed value for ${', $'.join(sorted(missing))}"


async def test_every_curl_example_names_a_route_the_app_serves(client: AsyncTestClient[Any]) -> None:
    calls = [e for e in examples() if isinstance(e, CurlExample)]
    assert len(calls) >= 15
    document = (await client.get("/v1/openapi.json")).json()
    templates = [
        (re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", path) + "$"), {m.upper() for m in ops})
        for path, ops in document["paths"].items()
    ]
    for call in calls:
        if call.url.startswith("$"):
            continue  # an upload URL an earlier answer gave
        path = re.sub(r"^https?://[^/]+", "", call.url).split("?")[0]
        served = any(p.match(path) and call.method in m for p, m in templates)
        assert served, f"{call.label()}: {call.method} {path} is not a route of /v1/openapi.json"


READ_ME = """\
Intro with an inline fragment `createUpload(input: {filename})` that is no example.

```graphql
mutation { signUp(input: {email: "a@b.c"}) { token } }
# $TOKEN = signUp.token

# with Authorization: Bearer $TOKEN
query Q($id: ID!) { node(id: $id) { id ...F } }
fragment F on Node { id }
# variables
{"id": "$ID", "other": 1}
# answers userError NOT_FOUND
```

- In a list:
  ```sh
  make run
  curl -X POST http://127.0.0.1:8000/v1/catalog/inventory -H "Authorization: Bearer $KEY" \\
    -d '{"items": [
      {"sku": "A", "delta": -1}]}'
  # 409 or 422 when ...
  # $ID = results.0.sku
  curl -F file=@examples/northwind.jsonl -F note=x "$UPLOAD_URL"
  ```
"""


def test_the_convention_is_read_with_readme_lines() -> None:
    sign_up, node, inventory, upload = examples(READ_ME)
    assert isinstance(sign_up, GraphQLExample) and isinstance(node, GraphQLExample)
    assert (sign_up.line, sign_up.headers, sign_up.saves) == (4, {}, (Save("TOKEN", "signUp.token", 5),))
    assert node.line == 8 and node.headers == {"Authorization": "Bearer $TOKEN"}
    assert node.variables == {"id": "$ID"} and "fragment F on Node" in node.query
    assert node.expected_user_errors == {"NOT_FOUND"}
    assert isinstance(inventory, CurlExample) and isinstance(upload, CurlExample)
    assert (inventory.line, inventory.method, inventory.expected_statuses) == (18, "POST", {409, 422})
    assert inventory.data is not None and json.loads(inventory.data) == {"items": [{"sku": "A", "delta": -1}]}
    assert inventory.saves == (Save("ID", "results.0.sku", 22),)
    assert (upload.method, upload.url, [p.name for p in upload.form]) == (
        "POST",
        "$UPLOAD_URL",
        ["file", "note"],
    )


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("a\n\n```graphql\n{ products { \n```\n", 4, "not GraphQL"),
        ("```graphql\n{ a }\n# variables\n{nope}\n```\n", 3, "not JSON"),
        ("```sh\ncurl --retry 3 http://x/v1\n```\n", 2, "--retry is not understood"),
        ("```sh\ncurl -d @missing.json http://x/v1\n```\n", 2, "not a file of the repository"),
        ("```sh\ncurl -H 'X: 1'\n```\n", 2, "without a URL"),
        ('```sh\ncurl -d \'{"a": 1\n```\n', 2, "never ends"),
        ("Run `mutation { logOut { ok } }` first.\n", 1, "inline"),
        ("x\n```graphql\n{ a }\n", 2, "never closed"),
        ("```graphql\n{ a }\n\ntype A { b: Int }\n```\n", 4, "not an operation"),
        ("```sh\nKEY=x curl http://x/v1\n```\n", 2, "start the line with it"),
        ("```graphql\n{ a }\n# $A = a b\n```\n", 3, "not of the form"),
        ("```graphql\n# with Authorization Bearer x\n{ a }\n```\n", 2, "not of the form"),
        ("```sh\ncurl http://x/v1\n# $ID = the id\n```\n", 3, "not of the form"),
    ],
)
def test_an_example_that_cannot_be_read_fails_at_its_line(text: str, line: int, message: str) -> None:
    with pytest.raises(ExampleError, match=message) as caught:
        examples(text)
    assert caught.value.line == line and str(caught.value).startswith(f"README.md:{line}: ")


# -- running the README ----------------------------------------------------------------------------


class Session:
    """What a reader keeps while following the README: the values its comments say to keep."""

    def __init__(self, client: AsyncTestClient[Any]) -> None:
        self.client = client
        self.values: dict[str, Any] = {}

    def substitute(self, value: Any, line: int) -> Any:
        if isinstance(value, dict):
            return {k: self.substitute(v, line) for k, v in value.items()}
        if isinstance(value, list):
            return [self.substitute(v, line) for v in value]
        if not isinstance(value, str):
            return value
        if (whole := PLACEHOLDER.fullmatch(value)) is not None:
            return self.value(whole[1], line)
        return PLACEHOLDER.sub(lambda m: str(self.value(m[1], line)), value)

    def value(self, name: str, line: int) -> Any:
        if name == "NOW":
            return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
        if name not in self.values:
            raise ExampleError(line, f"${name} is not kept by an earlier example (`# ${name} = path`)")
        return self.values[name]

    def keep(self, saves: tuple[Save, ...], answer: Any) -> None:
        for save in saves:
            found = pick(answer, save.path)
            if found is None:
                raise ExampleError(save.line, f"the answer has no {save.path} for ${save.name}: {answer}")
            self.values[save.name] = found

    async def run(self, example: Example) -> None:
        if isinstance(example, GraphQLExample):
            await self.graphql(example)
        else:
            await self.curl(example)

    async def graphql(self, example: GraphQLExample) -> None:
        headers = {k: self.substitute(v, example.line) for k, v in example.headers.items()}
        variables = self.substitute(example.variables, example.line)
        response = await self.client.post(
            "/graphql", json={"query": example.query, "variables": variables}, headers=headers
        )
        where = example.label()
        assert response.status_code == 200, f"{where}\n -> {response.status_code} {response.text[:600]}"
        body = response.json()
        assert "errors" not in body, f"{where}\n -> errors {body['errors']}"
        codes = {e["code"] for found in user_errors(body["data"]) for e in found}
        assert codes == example.expected_user_errors, (
            f"{where}\n -> userErrors {list(user_errors(body['data']))}"
        )
        self.keep(example.saves, body["data"])

    async def curl(self, example: CurlExample) -> None:
        url = str(self.substitute(example.url, example.line))
        path = re.sub(r"^https?://[^/]+", "", url)
        headers = {name: str(self.substitute(v, example.line)) for name, v in example.headers}
        content: bytes | None = None
        if example.data is not None:
            content = str(self.substitute(example.data, example.line)).encode()
        elif example.data_file is not None:
            content = example.data_file.read_bytes()
            if example.strip_newlines:
                content = content.replace(b"\r", b"").replace(b"\n", b"")
        if content is not None and not any(n.lower() == "content-type" for n in headers):
            headers["Content-Type"] = "application/x-www-form-urlencoded"  # what curl sends with -d
        # Every -F part goes in one multipart body, as curl sends it (a value part has no filename).
        parts: list[tuple[str, tuple[str | None, bytes | str, str | None]]] = [
            (p.name, (p.file.name, p.file.read_bytes(), p.content_type or "application/octet-stream"))
            if p.file is not None
            else (p.name, (None, str(self.substitute(p.value, example.line)), None))
            for p in example.form
        ]
        response = await self.client.request(
            example.method, path, headers=headers, content=content, files=parts or None
        )
        where = f"{example.label()}\n -> {response.status_code} {response.text[:600]}"
        if example.expected_statuses:
            assert response.status_code in example.expected_statuses, where
        else:
            assert 200 <= response.status_code < 300, where
        if example.saves:
            self.keep(example.saves, response.json())


def user_errors(data: Any) -> list[list[dict[str, Any]]]:
    """Every non-empty `userErrors` list anywhere in an answer."""
    found = []
    if isinstance(data, dict):
        for key, value in data.items():
            if key == "userErrors" and value:
                found.append(value)
            else:
                found += user_errors(value)
    elif isinstance(data, list):
        for item in data:
            found += user_errors(item)
    return found


def pick(value: Any, path: str) -> Any:
    """The value at a dotted path: `0` indexes a list, `*` is the first item of a list that has the
    rest of the path, `*[a.b]` the first item whose `a.b` is set (None when there is none)."""
    return _pick(value, re.findall(r"\*\[[^\]]*\]|[^.]+", path))


def _pick(value: Any, steps: list[str]) -> Any:
    if not steps:
        return value
    step, rest = steps[0], steps[1:]
    if step.startswith("*") and isinstance(value, list):
        condition = step[2:-1] if step != "*" else None
        for item in value:
            if condition is not None and pick(item, condition) is None:
                continue
            if (found := _pick(item, rest)) is not None:
                return found
        return None
    if isinstance(value, list) and step.isdigit():
        return _pick(value[int(step)], rest) if int(step) < len(value) else None
    if isinstance(value, dict):
        return _pick(value.get(step), rest) if step in value else None
    return None


@pytest.mark.usefixtures("demo_images_once")
async def test_every_example_runs_as_printed_on_the_demo_data(settings: Settings, tmp_path: Path) -> None:
    found = examples()
    counts = {kind: sum(e.kind == kind for e in found) for kind in ("graphql", "curl")}
    assert counts["graphql"] >= 20 and counts["curl"] >= 15, counts
    # The demo data exactly as `shoppable seed` makes it, before the app starts (as `make run` does).
    await seed_all(settings)
    async with AsyncTestClient(app=create_app(settings), base_url="http://127.0.0.1:8000") as client:
        session = Session(client)
        failures = []
        for example in found:
            try:
                await session.run(example)
            except (AssertionError, ExampleError) as exc:  # go on: the report lists every drift at once
                failures.append(str(exc))
    assert not failures, f"{len(failures)} of {len(found)} README examples fail:\n\n" + "\n\n".join(failures)
