"""The REST contract: /v1/openapi.json is a valid OpenAPI 3.1 document generated from typed handlers,
covering every /v1 route, and it is what the fuzz run (`make fuzz`) attacks."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from litestar.testing import AsyncTestClient
from openapi_spec_validator import validate

ROOT = Path(__file__).resolve().parents[2]


async def test_openapi_document_is_valid_31_and_covers_every_v1_route(client: AsyncTestClient[Any]) -> None:
    response = await client.get("/v1/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.1")
    validate(document)  # raises on any violation of the OpenAPI 3.1 schema
    routes = {
        (route.path, method)
        for route in client.app.routes
        if route.path.startswith("/v1/") and route.path not in {"/v1/openapi.json", "/v1/{path:str}"}
        for handler in getattr(route, "route_handlers", [])
        if handler.include_in_schema  # direct-upload targets of createUpload are not merchant API
        for method in handler.http_methods
        if method not in {"HEAD", "OPTIONS"}
    }
    documented = {
        (path, method.upper()) for path, operations in document["paths"].items() for method in operations
    }
    normalized = {(re.sub(r":\w+}", "}", path), method) for path, method in routes}
    assert normalized <= documented, normalized - documented
    assert {"/v1/webhooks/endpoints", "/v1/webhooks/deliveries", "/v1/catalog/imports"} <= set(
        document["paths"]
    )
    untyped = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for status, answer in operation["responses"].items():
                if status.startswith("2") and status != "204":
                    schema = next(iter(answer.get("content", {}).values()), {}).get("schema", {})
                    if not (schema.get("$ref") or schema.get("properties") or schema.get("items")):
                        untyped.append(f"{method.upper()} {path} {status}")
    assert untyped == []


async def test_every_v1_route_that_reads_a_body_documents_its_schema(client: AsyncTestClient[Any]) -> None:
    """A handler reads a body when it takes `data` (parsed by Litestar) or the raw `request` (streamed
    by the handler itself: imports, fast updates); either way the document must say what to send."""
    document = (await client.get("/v1/openapi.json")).json()
    reading, undocumented = [], []
    for route in client.app.routes:
        for handler in getattr(route, "route_handlers", []):
            if not route.path.startswith("/v1/") or not handler.include_in_schema:
                continue
            parameters = handler.parsed_fn_signature.parameters
            if "data" not in parameters and "request" not in parameters:
                continue
            path = re.sub(r":\w+}", "}", route.path)
            for method in handler.http_methods & {"POST", "PUT", "PATCH"}:
                reading.append(f"{method} {path}")
                operation = document["paths"][path][method.lower()]
                content = operation.get("requestBody", {}).get("content", {})
                schemas = [media.get("schema", {}) for media in content.values()]
                if not schemas or not all(s.get("$ref") or s.get("oneOf") or s.get("type") for s in schemas):
                    undocumented.append(f"{method} {path}")
    assert {"POST /v1/catalog/inventory", "POST /v1/catalog/prices", "POST /v1/catalog/imports"} <= set(
        reading
    )
    assert undocumented == []
    inventory = document["paths"]["/v1/catalog/inventory"]["post"]["requestBody"]["content"]
    item = document["components"]["schemas"]["InventoryItemBody"]
    assert inventory["application/json"]["schema"] == {"$ref": "#/components/schemas/InventoryRequestBody"}
    assert {"sku", "quantity", "delta", "expectedQuantity"} <= set(item["properties"])
    assert item["required"] == ["sku"]
    # The domain's limits (stock.MAX_ITEMS, limits.STOCK_MAX), so the document cannot promise more.
    assert (
        document["components"]["schemas"]["InventoryRequestBody"]["properties"]["items"]["maxItems"] == 1000
    )
    assert item["properties"]["quantity"]["maximum"] == 10_000_000
    assert sorted(document["components"]["schemas"]["ItemResultBody"]["required"]) == ["sku", "status"]
    imports = document["paths"]["/v1/catalog/imports"]["post"]["requestBody"]["content"]
    assert set(imports) == {"multipart/form-data", "application/octet-stream"}


async def test_the_docs_page_is_only_served_with_debug(client: AsyncTestClient[Any]) -> None:
    assert (await client.get("/v1/docs")).status_code == 404


def test_the_fuzz_run_uses_the_openapi_document() -> None:
    source = (ROOT / "tests" / "fuzz" / "fuzz.py").read_text()
    assert 'schemathesis(f"{base}/v1/openapi.json"' in source
    assert "fuzz" in (ROOT / "Makefile").read_text() and "fuzz" in (ROOT / ".ci" / "run").read_text()
