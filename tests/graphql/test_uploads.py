"""createUpload -> upload bytes -> completeUpload, on local disk and on S3 (moto over HTTP)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar.testing import AsyncTestClient
from moto.server import ThreadedMotoServer
from sqlalchemy import select, update

from shoppable.api.app import create_app
from shoppable.graphql.core.ids import encode_id
from shoppable.jobs.media_cleanup import clean_up_expired_uploads
from shoppable.settings import Settings
from shoppable.storage.db import Database
from shoppable.storage.media_local import LocalMediaStore, UploadTokenSigner
from shoppable.storage.media_s3 import default_s3_client
from shoppable.storage.tables import UploadRow
from tests.conftest import GraphQL
from tests.factories import (
    COMPLETE_UPLOAD,
    CREATE_UPLOAD,
    become_creator,
    complete_upload,
    create_merchant,
    create_post,
    create_upload,
    make_image,
    make_mp4,
    product_input,
    publish_post,
    send_upload,
    sign_up,
    upload_media,
    upsert,
)

uploads = UploadRow.__table__
ELF = b"\x7fELF\x02\x01\x01\x00" + bytes(600)


def stored_files(root: Path) -> list[str]:
    if not root.exists():
        return []
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


async def upload_rows(database: Database) -> list[Any]:
    async with database.engine.connect() as conn:
        return list((await conn.execute(select(uploads).order_by(uploads.c.id))).all())


def codes(payload: dict[str, Any]) -> list[tuple[tuple[str, ...], str]]:
    return [(tuple(e["field"] or ()), e["code"]) for e in payload["userErrors"]]


# -- local disk -----------------------------------------------------------------------------------


async def test_local_upload_is_verified_processed_and_served(
    gql: GraphQL, client: AsyncTestClient[Any], settings: Settings, database: Database
) -> None:
    creator = await sign_up(gql)
    data = make_image(700, 500, "JPEG")
    upload = await create_upload(gql, creator["token"], data, "image/jpeg", "beach.jpg")
    assert upload["method"] == "PUT"
    assert upload["url"].startswith("http://testserver.local/v1/uploads/")
    assert upload["headers"] == [{"name": "Content-Type", "value": "image/jpeg"}]
    expires_at = datetime.fromisoformat(upload["expiresAt"])
    assert timedelta(minutes=14) < expires_at - datetime.now(UTC) <= timedelta(minutes=15)

    sent = await send_upload(client, upload, data)
    assert sent.status_code == 204, sent.text
    payload = await complete_upload(gql, creator["token"], upload["id"])
    assert payload["userErrors"] == []
    media = payload["media"]
    assert (media["kind"], media["width"], media["height"], media["durationMs"]) == ("IMAGE", 700, 500, None)
    assert media["contentType"] == "image/webp"
    assert [(r["width"], r["height"]) for r in media["renditions"]] == [(320, 229), (640, 457), (700, 500)]
    assert media["url"] == media["renditions"][-1]["url"]  # never the original, which keeps its EXIF

    served = await client.get(media["url"])
    assert served.status_code == 200
    assert served.headers["content-type"] == "image/webp"
    assert served.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert served.content.startswith(b"RIFF")
    files = stored_files(settings.media_dir)
    assert [f for f in files if f.startswith("uploads/")] == []  # the upload was moved under media/
    assert len([f for f in files if f.startswith("media/")]) == 3  # 3 renditions; the original is not kept

    again = await complete_upload(gql, creator["token"], upload["id"])
    assert again["media"]["id"] == media["id"]  # completing twice is completing once
    missing = await client.get("/media/media/2026/01/nothing.jpg")
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")
    assert (await client.get("/media/../secret")).status_code == 404


async def test_create_upload_refuses_bad_declarations(gql: GraphQL, settings: Settings) -> None:
    user = await sign_up(gql)
    cases = [
        ({"filename": "a.gif", "contentType": "image/gif", "byteSize": 10}, [(("contentType",), "UNSUPPORTED_MEDIA_TYPE")]),
        ({"filename": "a.jpg", "contentType": "image/jpeg", "byteSize": settings.max_image_bytes + 1}, [(("byteSize",), "TOO_LARGE")]),
        ({"filename": "a.mp4", "contentType": "video/mp4", "byteSize": settings.max_video_bytes + 1}, [(("byteSize",), "TOO_LARGE")]),
        ({"filename": "../a.jpg", "contentType": "image/jpeg", "byteSize": 0}, [(("filename",), "INVALID"), (("byteSize",), "INVALID")]),
    ]  # fmt: skip
    for variables, expected in cases:
        body = await gql(CREATE_UPLOAD, {"input": variables}, token=user["token"])
        assert codes(body["data"]["createUpload"]) == expected, variables
    anonymous = await gql(CREATE_UPLOAD, {"input": cases[0][0] | {"contentType": "image/png"}})
    assert codes(anonymous["data"]["createUpload"]) == [((), "UNAUTHENTICATED")]
    assert not settings.media_dir.exists() or stored_files(settings.media_dir) == []


@pytest.mark.parametrize(
    ("body", "declared"),
    [(make_image(40, 30, "PNG"), "image/jpeg"), (ELF, "image/jpeg")],
    ids=["png-declared-jpeg", "executable-renamed-jpg"],
)
async def test_wrong_type_is_refused_by_the_endpoint_and_nothing_is_kept(
    gql: GraphQL, client: AsyncTestClient[Any], settings: Settings, body: bytes, declared: str
) -> None:
    user = await sign_up(gql)
    upload = await create_upload(gql, user["token"], body, declared, "photo.jpg")
    sent = await send_upload(client, upload, body)
    assert sent.status_code == 415
    assert sent.headers["content-type"].startswith("application/problem+json")
    assert sent.json()["status"] == 415
    payload = await complete_upload(gql, user["token"], upload["id"])
    assert codes(payload) == [(("uploadId",), "NOT_FOUND")]
    assert payload["media"] is None
    assert stored_files(settings.media_dir) == []
    retried = await complete_upload(gql, user["token"], upload["id"])
    assert codes(retried) == [(("uploadId",), "INVALID")]  # a refused upload stays refused


async def test_oversize_body_and_forged_or_expired_tokens_are_refused(
    gql: GraphQL, client: AsyncTestClient[Any], settings: Settings
) -> None:
    user = await sign_up(gql)
    data = make_image(40, 30)
    upload = await create_upload(gql, user["token"], data)
    bigger = data + bytes(5000)
    sent = await send_upload(client, upload, bigger)
    assert sent.status_code == 413
    assert codes(await complete_upload(gql, user["token"], upload["id"])) == [(("uploadId",), "NOT_FOUND")]

    signer = UploadTokenSigner(settings.secret_key)
    past = datetime.now(UTC) - timedelta(seconds=5)
    expired = signer.sign("uploads/2026/01/" + "a" * 32 + ".png", "image/png", 10_000, past)
    response = await client.put(f"/v1/uploads/{expired}", content=data, headers={"Content-Type": "image/png"})
    assert response.status_code == 403
    forged = await client.put("/v1/uploads/not-a-token", content=data, headers={"Content-Type": "image/png"})
    assert forged.status_code == 403
    assert stored_files(settings.media_dir) == []


async def test_an_expired_upload_cannot_be_completed_and_its_file_is_deleted(
    gql: GraphQL, client: AsyncTestClient[Any], settings: Settings, database: Database
) -> None:
    user = await sign_up(gql)
    data = make_image(40, 30)
    upload = await create_upload(gql, user["token"], data)
    assert (await send_upload(client, upload, data)).status_code == 204
    assert len(stored_files(settings.media_dir)) == 1
    async with database.engine.begin() as conn:
        await conn.execute(update(uploads).values(expires_at=datetime.now(UTC) - timedelta(hours=1)))
    payload = await complete_upload(gql, user["token"], upload["id"])
    assert codes(payload) == [(("uploadId",), "INVALID")]
    assert "expired" in payload["userErrors"][0]["message"]
    assert stored_files(settings.media_dir) == []


async def test_someone_elses_upload_is_not_found(
    gql: GraphQL, client: AsyncTestClient[Any], settings: Settings
) -> None:
    owner, other = await sign_up(gql), await sign_up(gql)
    data = make_image(40, 30)
    upload = await create_upload(gql, owner["token"], data)
    assert (await send_upload(client, upload, data)).status_code == 204
    for token in (other["token"], None):
        body = await gql(COMPLETE_UPLOAD, {"input": {"uploadId": upload["id"]}}, token=token)
        assert body["data"]["completeUpload"]["media"] is None
        assert codes(body["data"]["completeUpload"]) in (
            [(("uploadId",), "NOT_FOUND")],
            [((), "UNAUTHENTICATED")],
        )
    for wrong in ("not-an-id", encode_id("Media", 1)):
        assert codes(await complete_upload(gql, owner["token"], wrong)) == [(("uploadId",), "INVALID")], wrong
    assert len(stored_files(settings.media_dir)) == 1  # untouched by the failed attempts
    mine = await complete_upload(gql, owner["token"], upload["id"])
    assert mine["userErrors"] == []
    node = "query($id: ID!) { node(id: $id) { id ... on Media { kind } } }"
    assert (await gql(node, {"id": mine["media"]["id"]}, token=owner["token"]))["data"]["node"][
        "kind"
    ] == "IMAGE"
    assert (await gql(node, {"id": mine["media"]["id"]}, token=other["token"]))["data"]["node"] is None


async def test_a_video_gets_its_duration(gql: GraphQL, client: AsyncTestClient[Any]) -> None:
    user = await sign_up(gql)
    await become_creator(gql, user["token"])
    media = await upload_media(gql, client, user["token"], make_mp4(12_345), "video/mp4", "clip.mp4")
    assert (media["kind"], media["durationMs"], media["contentType"], media["renditions"]) == (
        "VIDEO",
        12_345,
        "video/mp4",
        [],
    )
    served = await client.get(media["url"])
    assert (served.status_code, served.headers["content-type"]) == (200, "video/mp4")


async def test_files_with_the_right_magic_but_no_content_are_refused(
    gql: GraphQL, client: AsyncTestClient[Any], settings: Settings
) -> None:
    user = await sign_up(gql)
    await become_creator(gql, user["token"])
    fake_png = b"\x89PNG\r\n\x1a\n" + bytes(800)  # passes sniffing, decodes to nothing
    headerless = make_mp4(5_000)[:32] + b"\x00\x00\x00\x10mdat" + bytes(8)  # ftyp, then no movie header
    for data, content_type, field in (
        (fake_png, "image/png", "contentType"),
        (headerless, "video/mp4", "contentType"),
    ):
        upload = await create_upload(gql, user["token"], data, content_type, "x")
        assert (await send_upload(client, upload, data)).status_code == 204
        payload = await complete_upload(gql, user["token"], upload["id"])
        assert codes(payload) == [((field,), "UNSUPPORTED_MEDIA_TYPE")], content_type
    assert stored_files(settings.media_dir) == []


async def test_clean_up_removes_abandoned_uploads_but_not_media(
    gql: GraphQL, client: AsyncTestClient[Any], settings: Settings, database: Database
) -> None:
    user = await sign_up(gql)
    kept = await upload_media(gql, client, user["token"], make_image(40, 30))
    data = make_image(50, 30)
    abandoned = await create_upload(gql, user["token"], data)
    assert (await send_upload(client, abandoned, data)).status_code == 204
    never_sent = await create_upload(gql, user["token"], data)
    assert never_sent["id"] != abandoned["id"]
    store = LocalMediaStore(
        settings.media_dir, settings.public_base_url, UploadTokenSigner(settings.secret_key)
    )
    now = datetime.now(UTC)

    assert await clean_up_expired_uploads(database, store, now) == 0  # nothing is due yet
    assert len(await upload_rows(database)) == 3
    later = now + timedelta(seconds=settings.upload_ttl_seconds) + timedelta(hours=1)
    assert await clean_up_expired_uploads(database, store, later) == 2
    assert await upload_rows(database) == []
    files = stored_files(settings.media_dir)
    assert [f for f in files if f.startswith("uploads/")] == []
    assert len([f for f in files if f.startswith("media/")]) == 1  # the completed image's one rendition
    served = await client.get(kept["url"])
    assert served.status_code == 200


# -- S3 (moto over HTTP) --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    with pytest.MonkeyPatch.context() as env:
        for name, value in {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SECURITY_TOKEN": "testing",
            "AWS_SESSION_TOKEN": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
        }.items():
            env.setenv(name, value)
        for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"):
            env.delenv(name, raising=False)
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        host, port = server.get_host_and_port()
        try:
            yield f"http://{host}:{port}"
        finally:
            server.stop()


@pytest.fixture
def s3_settings(settings: Settings, s3_endpoint: str) -> Settings:
    bucket = f"media-{uuid.uuid4().hex[:12]}"
    default_s3_client(s3_endpoint, "us-east-1").create_bucket(Bucket=bucket)
    return settings.model_copy(update={"s3_bucket": bucket, "s3_endpoint_url": s3_endpoint})


@pytest.fixture
async def s3_app(s3_settings: Settings) -> AsyncIterator[tuple[GraphQL, AsyncTestClient[Any], Any]]:
    app = create_app(s3_settings)
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as test_client:

        async def gql(query: str, variables: dict | None = None, token: str | None = None) -> dict[str, Any]:
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            response = await test_client.post(
                "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
            )
            assert response.status_code == 200, response.text
            body = response.json()
            assert "errors" not in body, body["errors"]
            return body

        yield gql, test_client, app.state.services.media


def s3_keys(store: Any) -> list[str]:
    listed = store.client.list_objects_v2(Bucket=store.bucket)
    return sorted(item["Key"] for item in listed.get("Contents", []))


async def test_s3_form_upload_is_copied_verified_and_served_from_the_bucket(
    s3_app: tuple[GraphQL, AsyncTestClient[Any], Any], s3_settings: Settings
) -> None:
    gql, client, store = s3_app
    user = await sign_up(gql)
    data = make_image(700, 500, "PNG")
    upload = await create_upload(gql, user["token"], data)
    assert upload["method"] == "POST"
    assert upload["url"] == f"{s3_settings.s3_endpoint_url}/{s3_settings.s3_bucket}"
    fields = {f["name"]: f["value"] for f in upload["fields"]}
    assert fields["Content-Type"] == "image/png" and fields["key"].startswith("uploads/")
    sent = await send_upload(client, upload, data)
    assert sent.status_code == 204, sent.text

    payload = await complete_upload(gql, user["token"], upload["id"])
    assert payload["userErrors"] == []
    media = payload["media"]
    assert (media["width"], media["height"], media["contentType"]) == (700, 500, "image/webp")
    prefix = f"{s3_settings.s3_endpoint_url}/{s3_settings.s3_bucket}/media/"
    assert media["url"].startswith(prefix) and media["url"].endswith(".w700.webp")
    keys = s3_keys(store)
    assert [k for k in keys if k.startswith("uploads/")] == []
    assert len(keys) == 3 and all(k.endswith(".webp") for k in keys)  # renditions; no original is kept
    rendition = store.client.get_object(
        Bucket=store.bucket, Key=media["url"].removeprefix(prefix[: -len("media/")])
    )
    assert rendition["ContentType"] == "image/webp"

    # A presigned POST can be replayed until it expires; the media lives at keys only we write.
    rendition_key = media["url"].removeprefix(prefix[: -len("media/")])
    before = store.client.get_object(Bucket=store.bucket, Key=rendition_key)["Body"].read()
    replay = await send_upload(client, upload, make_image(700, 500, "PNG", color=(0, 0, 0)))
    assert replay.status_code == 204
    assert store.client.get_object(Bucket=store.bucket, Key=rendition_key)["Body"].read() == before

    # The media makes a shoppable post like any other.
    owner = await sign_up(gql)
    merchant = await create_merchant(gql, owner["token"], handle="northwind")
    products = (
        await upsert(gql, owner["token"], merchant["id"], [product_input(f"p{i}") for i in range(3)])
    )["products"]
    await become_creator(gql, user["token"], "s3.creator")
    tags = [
        {"productId": p["id"], "mediaIndex": 0, "x": 0.2 * (i + 1), "y": 0.5} for i, p in enumerate(products)
    ]
    created = await create_post(gql, user["token"], mediaIds=[media["id"]], productTags=tags)
    assert created["userErrors"] == []
    await publish_post(gql, user["token"], created["post"]["id"])
    shopper = await sign_up(gql)
    seen = await gql(
        """query($id: ID!) { product(id: $id) { featuredIn { edges { node { media { url }
          productTags { product { title availability priceRange { minPrice { amount } } } } } } } } }""",
        {"id": products[0]["id"]},
        token=shopper["token"],
    )
    [edge] = seen["data"]["product"]["featuredIn"]["edges"]
    assert edge["node"]["media"] == [{"url": media["url"]}]
    assert [(t["product"]["title"], t["product"]["availability"]) for t in edge["node"]["productTags"]] == [
        ("Product p0", "IN_STOCK"),
        ("Product p1", "IN_STOCK"),
        ("Product p2", "IN_STOCK"),
    ]
    assert edge["node"]["productTags"][0]["product"]["priceRange"]["minPrice"] == {"amount": "10.50"}


async def test_s3_checks_what_moto_does_not_enforce(
    s3_app: tuple[GraphQL, AsyncTestClient[Any], Any],
) -> None:
    """moto ignores the policy's conditions, so completeUpload must refuse what S3 itself would."""
    gql, _client, store = s3_app
    user = await sign_up(gql)
    data = make_image(40, 30)

    html = await create_upload(gql, user["token"], data)
    fields = {f["name"]: f["value"] for f in html["fields"]} | {"Content-Type": "text/html"}
    async with httpx.AsyncClient() as s3:
        sent = await s3.post(html["url"], data=fields, files={"file": ("x.png", data)})
    assert sent.status_code == 204
    assert codes(await complete_upload(gql, user["token"], html["id"])) == [
        (("contentType",), "UNSUPPORTED_MEDIA_TYPE")
    ]

    oversize = await create_upload(gql, user["token"], data)
    assert (await send_upload(_client, oversize, data + bytes(3000))).status_code == 204
    assert codes(await complete_upload(gql, user["token"], oversize["id"])) == [(("byteSize",), "INVALID")]

    exe = await create_upload(gql, user["token"], ELF, "image/jpeg", "setup.jpg")
    assert (await send_upload(_client, exe, ELF)).status_code == 204
    assert codes(await complete_upload(gql, user["token"], exe["id"])) == [
        (("contentType",), "UNSUPPORTED_MEDIA_TYPE")
    ]

    never = await create_upload(gql, user["token"], data)
    assert codes(await complete_upload(gql, user["token"], never["id"])) == [(("uploadId",), "NOT_FOUND")]
    assert s3_keys(store) == []  # every refused object was deleted
