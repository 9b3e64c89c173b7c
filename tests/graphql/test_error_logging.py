"""Caller errors are logged on one INFO line with the request id; bound SQL parameters never appear."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from shoppable.api.request_ids import RequestIdFilter
from shoppable.storage.db import Database


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []
        self.addFilter(RequestIdFilter())

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def records() -> Iterator[Records]:
    handler = Records()
    loggers = [logging.getLogger("shoppable"), logging.getLogger("strawberry")]
    for logger in loggers:
        logger.addHandler(handler)
    yield handler
    for logger in loggers:
        logger.removeHandler(handler)


async def test_a_malformed_id_is_logged_at_info_without_a_traceback(
    client: AsyncTestClient[Any], records: Records
) -> None:
    response = await client.post(
        "/graphql",
        json={"query": '{ node(id: "not-an-id") { id } }'},
        headers={"X-Request-Id": "req-malformed-1"},
    )
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert all(r.levelno < logging.WARNING and r.exc_info is None for r in records.records)
    mine = [r for r in records.records if r.name == "shoppable.graphql"]
    assert mine
    assert {getattr(r, "request_id", None) for r in mine} == {"req-malformed-1"}


async def test_database_errors_do_not_carry_bound_parameters(database: Database) -> None:
    async with database.engine.connect() as connection:
        with pytest.raises(DBAPIError) as raised:
            await connection.execute(text("SELECT * FROM no_such_table WHERE email = :e"), {"e": "s@x.test"})
    assert "s@x.test" not in str(raised.value)
