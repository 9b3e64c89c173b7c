"""Who sees a user account: its owner and admins; the public people are creators."""

from __future__ import annotations

from shoppable.domain.identity.service import create_admin
from shoppable.storage.db import Database
from tests.conftest import GraphQL
from tests.factories import sign_up

PASSWORD = "correct horse battery"
LOG_IN = """mutation($input: LogInInput!) { logIn(input: $input) { token } }"""
USERS = "query($ids: [ID!]!) { nodes(ids: $ids) { ... on User { id displayName isAdmin } } }"


async def test_users_are_seen_by_themselves_and_admins_only(gql: GraphQL, database: Database) -> None:
    ana, bea = await sign_up(gql), await sign_up(gql)
    uow = database.unit_of_work(write=True)
    async with uow:
        await create_admin(uow, "admin@example.com", PASSWORD)
    admin = (await gql(LOG_IN, {"input": {"email": "admin@example.com", "password": PASSWORD}}))["data"]
    ids = {"ids": [ana["id"], bea["id"]]}
    assert (await gql(USERS, ids))["data"]["nodes"] == [None, None]
    as_ana = (await gql(USERS, ids, token=ana["token"]))["data"]["nodes"]
    assert as_ana[0] == {"id": ana["id"], "displayName": ana["email"].split("@")[0], "isAdmin": False}
    assert as_ana[1] is None
    as_admin = (await gql(USERS, ids, token=admin["logIn"]["token"]))["data"]["nodes"]
    assert [n["id"] for n in as_admin] == [ana["id"], bea["id"]]
