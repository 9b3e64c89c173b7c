"""Media hardening through the real app, on SQLite and PostgreSQL: originals are never served,
deleted posts' media goes away, images WebP cannot hold, fake videos, quotas, concurrent
completions, HEAD and spent upload grants."""

from __future__ import annotations

import asyncio
import io
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from litestar.testing import AsyncTestClient
from PIL import Image

from shoppable.domain.content.media import MediaLimits
from shoppable.jobs.media_cleanup import delete_unused_media
from shoppable.settings import Settings
from shoppable.storage.db import Database
from shoppable.storage.media_local import LocalMediaStore, UploadTokenSigner
from tests.conftest import GraphQL
from tests.factories import (
    become_creator,
    complete_upload,
    create_post,
    create_upload,
    make_image,
    make_mp4,
    publish_post,
    send_upload,
    sign_up,
    upload_media,
)

ORIENTATION, GPS_INFO = 0x0112, 0x8825
DELETE = """mutation($input: PostIdInput!) { deletePost(input: $input) { deletedPostId userErrors { field code } } }"""


def codes(payload: dict[str, Any]) -> list[tuple[tuple[str, ...], str]]:
    return [(tuple(e["field"] or ()), e["code"]) for e in payload["userErrors"]]


def phone_photo(fmt: str = "JPEG", size: tuple[int, int] = (900, 600)) -> bytes:
    """A photo with the creator's GPS position in its EXIF, as phones write them."""
    exif = Image.Exif()
    exif[ORIENTATION] = 1
    exif[GPS_INFO] = {1: "N", 2: (48.0, 51.0, 29.0), 3: "E", 4: (2.0, 17.0, 40.0)}
    buffer = io.BytesIO()
    Image.new("RGB", size, (30, 120, 200)).save(buffer, format=fmt, exif=exif.tobytes())
    return buffer.getvalue()


def box(kind: bytes, payload: bytes) -> bytes:
    return (8 + len(payload)).to_bytes(4, "big") + kind + payload


def stored_files(root: Path) -> list[str]:
    return (
        sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
        if root.exists()
        else []
    )


def local_store(settings: Settings) -> LocalMediaStore:
    return LocalMediaStore(
        settings.media_dir, settings.public_base_url, UploadTokenSigner(settings.secret_key)
    )


async def creator(gql: GraphQL) -> dict[str, Any]:
    user = await sign_up(gql)
    await become_creator(gql, user["token"])
    return user


# -- item 2: originals ----------------------------------------------------------------------------


async def test_a_photos_original_is_never_served_nor_kept(
    gql: GraphQL, client: AsyncTestClient[Any], settings: Settings
) -> None:
    user = await creator(gql)
    for data, content_type, ext in (
        (phone_photo(), "image/jpeg", "jpg"),
        (phone_photo("HEIF"), "image/heic", "heic"),
    ):
        upload = await create_upload(gql, user["token"], data, content_type, f"IMG_0001.{ext}")
        assert (await send_upload(client, upload, data)).status_code == 204
        before = await client.get(upload["url"].replace("/v1/uploads/", "/media/"))
        assert before.status_code == 404
        media = (await complete_upload(gql, user["token"], upload["id"]))["media"]
        assert media["url"].endswith(".w900.webp") and media["contentType"] == "image/webp", ext
        assert [r["width"] for r in media["renditions"]] == [320, 640, 900]

        served = await client.get(media["url"])
        assert served.status_code == 200
        assert not Image.open(io.BytesIO(served.content)).getexif()  # no GPS position
        original_url = media["url"].replace(".w900.webp", f".{ext}")
        assert (await client.get(original_url)).status_code == 404
        uploaded_url = original_url.replace("/media/media/", "/media/uploads/")
        assert (await client.get(uploaded_url)).status_code == 404
    files = stored_files(settings.media_dir)
    assert files and all(f.endswith(".webp") for f in files), files  # no original anywhere on disk


async def test_a_deleted_posts_media_files_are_deleted_after_a_grace_period(
    gql: GraphQL, client: AsyncTestClient[Any], settings: Settings, database: Database
) -> None:
    user = await creator(gql)
    shown = await upload_media(gql, client, user["token"], make_image(700, 500))
    kept = await upload_media(gql, client, user["token"], make_image(400, 300))
    unused = await upload_media(gql, client, user["token"], make_image(300, 200))
    deleted_post = (await create_post(gql, user["token"], mediaIds=[shown["id"]]))["post"]
    await publish_post(gql, user["token"], deleted_post["id"])
    live_post = (await create_post(gql, user["token"], mediaIds=[kept["id"]]))["post"]
    body = await gql(DELETE, {"input": {"postId": deleted_post["id"]}}, token=user["token"])
    assert body["data"]["deletePost"]["userErrors"] == []
    store, now = local_store(settings), datetime.now(UTC)

    assert await delete_unused_media(database, store, now) == 0  # within the grace period
    assert (await client.get(shown["url"])).status_code == 200
    assert await delete_unused_media(database, store, now + timedelta(hours=2)) == 1
    for rendition in shown["renditions"]:
        assert (await client.get(rendition["url"])).status_code == 404
    assert (await client.get(unused["url"])).status_code == 200  # not used yet, but not for long
    assert await delete_unused_media(database, store, now + timedelta(days=2)) == 1
    assert (await client.get(unused["url"])).status_code == 404
    assert (await client.get(kept["url"])).status_code == 200
    assert live_post["media"] == [{"id": kept["id"], "kind": "IMAGE", "url": kept["url"]}]


# -- item 8: images -------------------------------------------------------------------------------


async def test_a_very_tall_jpeg_completes_with_renditions_webp_can_hold(
    gql: GraphQL, client: AsyncTestClient[Any], settings: Settings
) -> None:
    user = await creator(gql)
    data = make_image(1000, 17_000, "JPEG")
    media = await upload_media(gql, client, user["token"], data, "image/jpeg", "scroll.jpg")
    assert (media["width"], media["height"]) == (1000, 17_000)
    assert [(r["width"], r["height"]) for r in media["renditions"]] == [
        (320, 5440),
        (640, 10_880),
        (964, 16_383),
    ]
    assert len(stored_files(settings.media_dir)) == 3


# -- item 9: videos, creators, quotas ---------------------------------------------------------------


async def test_only_real_videos_of_plausible_length_are_accepted(
    gql: GraphQL, client: AsyncTestClient[Any], settings: Settings
) -> None:
    user = await creator(gql)
    header = make_mp4(10_000)
    moov_end = header.index(b"mdat") - 4
    no_track = header[:32] + (8 + 108).to_bytes(4, "big") + b"moov" + header[40 : 40 + 108]  # mvhd alone
    cases = {
        "header then random bytes": no_track[:32]
        + box(b"moov", no_track[40:148] + box(b"trak", bytes(64)))
        + os.urandom(2 * 1024 * 1024),
        "a movie header without tracks": no_track + os.urandom(4096),
        "a sound track only": make_mp4(10_000, handler=b"soun"),
        "samples beyond the file": header[: moov_end + 8],
    }
    for name, data in cases.items():
        upload = await create_upload(gql, user["token"], data, "video/mp4", "clip.mp4")
        assert (await send_upload(client, upload, data)).status_code == 204
        payload = await complete_upload(gql, user["token"], upload["id"])
        assert codes(payload) == [(("contentType",), "UNSUPPORTED_MEDIA_TYPE")], name
    too_long = make_mp4(MediaLimits().max_video_duration_ms + 1)
    upload = await create_upload(gql, user["token"], too_long, "video/mp4", "long.mp4")
    assert (await send_upload(client, upload, too_long)).status_code == 204
    assert codes(await complete_upload(gql, user["token"], upload["id"])) == [(("durationMs",), "INVALID")]
    assert stored_files(settings.media_dir) == []
    video = await upload_media(gql, client, user["token"], make_mp4(12_000), "video/mp4", "ok.mp4")
    assert video["durationMs"] == 12_000


async def test_a_shopper_cannot_upload_video_and_uploads_are_within_a_daily_quota(gql: GraphQL) -> None:
    shopper = await sign_up(gql)
    request = {"filename": "clip.mp4", "contentType": "video/mp4", "byteSize": 2 * 1024 * 1024}
    body = await gql(CREATE_UPLOAD_INPUT, {"input": request}, token=shopper["token"])
    assert codes(body["data"]["createUpload"]) == [(("contentType",), "FORBIDDEN")]

    limits = MediaLimits()
    photo = {"filename": "me.jpg", "contentType": "image/jpeg", "byteSize": limits.member_bytes_per_day}
    assert (
        codes(
            (await gql(CREATE_UPLOAD_INPUT, {"input": photo}, token=shopper["token"]))["data"]["createUpload"]
        )
        == []
    )
    again = await gql(CREATE_UPLOAD_INPUT, {"input": photo | {"byteSize": 1}}, token=shopper["token"])
    assert codes(again["data"]["createUpload"]) == [(("byteSize",), "LIMIT_EXCEEDED")]

    maker = await creator(gql)
    big = {"filename": "a.mp4", "contentType": "video/mp4", "byteSize": limits.max_video_bytes}
    for _ in range(limits.creator_bytes_per_day // limits.max_video_bytes):
        assert (
            codes(
                (await gql(CREATE_UPLOAD_INPUT, {"input": big}, token=maker["token"]))["data"]["createUpload"]
            )
            == []
        )
    over = await gql(CREATE_UPLOAD_INPUT, {"input": big}, token=maker["token"])
    assert codes(over["data"]["createUpload"]) == [(("byteSize",), "LIMIT_EXCEEDED")]


CREATE_UPLOAD_INPUT = """
mutation($input: CreateUploadInput!) { createUpload(input: $input) { upload { id } userErrors { field code message } } }
"""


# -- item 17: concurrent completions ----------------------------------------------------------------


async def test_eight_concurrent_completions_give_one_media(
    gql: GraphQL, client: AsyncTestClient[Any], settings: Settings
) -> None:
    user = await creator(gql)
    data = make_image(700, 500)
    upload = await create_upload(gql, user["token"], data)
    assert (await send_upload(client, upload, data)).status_code == 204
    answers = await asyncio.gather(*(complete_upload(gql, user["token"], upload["id"]) for _ in range(8)))
    assert [a["userErrors"] for a in answers] == [[]] * 8
    assert {a["media"]["id"] for a in answers} == {answers[0]["media"]["id"]}
    assert {a["media"]["url"] for a in answers} == {answers[0]["media"]["url"]}
    assert (await client.get(answers[0]["media"]["url"])).status_code == 200
    assert len(stored_files(settings.media_dir)) == 3


# -- item 20: HEAD and spent grants -------------------------------------------------------------------


async def test_head_answers_the_headers_of_get_without_a_body(
    gql: GraphQL, client: AsyncTestClient[Any]
) -> None:
    user = await creator(gql)
    media = await upload_media(gql, client, user["token"])
    got, head = await client.get(media["url"]), await client.head(media["url"])
    assert head.status_code == 200
    assert head.content == b""
    for name in ("content-type", "content-length", "cache-control", "etag"):
        assert head.headers.get(name) == got.headers.get(name), name
    assert (await client.head("/media/media/2026/01/nothing.w320.webp")).status_code == 404


async def test_an_upload_grant_is_spent_once_the_upload_is_completed(
    gql: GraphQL, client: AsyncTestClient[Any], settings: Settings
) -> None:
    user = await creator(gql)
    data = make_image(300, 200)
    upload = await create_upload(gql, user["token"], data)
    assert (await send_upload(client, upload, data)).status_code == 204
    assert (await complete_upload(gql, user["token"], upload["id"]))["userErrors"] == []
    replay = await send_upload(client, upload, make_image(300, 200, color=(0, 0, 0)))
    assert replay.status_code == 409
    assert replay.headers["content-type"].startswith("application/problem+json")
    assert [f for f in stored_files(settings.media_dir) if f.startswith("uploads/")] == []
