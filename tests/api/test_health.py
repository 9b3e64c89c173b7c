from typing import Any

from litestar.testing import AsyncTestClient


async def test_health_reports_database(client: AsyncTestClient[Any]) -> None:
    response = await client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}
    assert response.headers["x-request-id"]


async def test_request_id_is_echoed(client: AsyncTestClient[Any]) -> None:
    response = await client.get("/health", headers={"X-Request-Id": "abc-123"})
    assert response.headers["x-request-id"] == "abc-123"


async def test_unknown_route_is_problem_json(client: AsyncTestClient[Any]) -> None:
    response = await client.get("/nope")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == 404 and body["title"] == "Not Found" and "type" in body
