"""JSON columns are read with msgspec's decoder, and with the standard library's wherever msgspec
refuses a document that `json.dumps` can write: no stored value becomes unreadable, on either database."""

from __future__ import annotations

import json
import math

import pytest
from sqlalchemy import JSON, cast, func, literal, select, type_coerce

from shoppable.storage.db import Database, json_loads


@pytest.mark.parametrize(
    "document",
    [
        '{"name": "Size", "value": "M"}',
        '[1, -0, 2.5, 123456789012345678901234567890, true, null, "\\u00e9\\ud83d\\ude00"]',
        '{"a": 1, "a": 2}',
        "[]",
    ],
)
def test_reads_as_the_standard_library_does(document: str) -> None:
    assert json_loads(document) == json.loads(document)
    assert json_loads(document.encode()) == json.loads(document)


def test_what_msgspec_refuses_is_read_by_the_standard_library() -> None:
    assert math.isnan(json_loads(json.dumps(float("nan"))))
    assert json_loads("[1e400]") == [math.inf]
    assert json_loads('"\\ud800"') == "\ud800"  # a lone surrogate


def test_malformed_documents_still_raise() -> None:
    with pytest.raises(ValueError):
        json_loads('{"a": ')


@pytest.mark.parametrize("document", ['{"options": [["Size", "M"]]}', "[1e400]", '"\\ud800"'])
async def test_json_columns_read_through_it(database: Database, document: str) -> None:
    assert database.engine.dialect._json_deserializer is json_loads  # type: ignore[attr-defined]
    # PostgreSQL's driver decodes what is typed json; SQLite's JSON type decodes the text it is given.
    value = (
        cast(literal(document), JSON)
        if database.dialect == "postgresql"
        else type_coerce(func.trim(literal(document)), JSON)
    )
    async with database.engine.connect() as conn:
        found = (await conn.execute(select(value))).scalar_one()
    assert found == json.loads(document)
