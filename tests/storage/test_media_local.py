"""Local-disk media: signed upload tokens, streamed uploads that enforce their grant, safe paths."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import jwt
import pytest

from shoppable.domain.content.media import MediaKind, check_object, new_object_key
from shoppable.domain.content.ports import InvalidObjectKey, MediaStore, ObjectNotFound, ObjectTooLarge
from shoppable.storage.media_local import (
    INCOMING_DIR,
    LocalMediaStore,
    UploadAlreadyReceived,
    UploadEmpty,
    UploadGrant,
    UploadTokenError,
    UploadTokenExpired,
    UploadTokenSigner,
    UploadTooLarge,
    UploadTypeMismatch,
    receive_upload,
)

SECRET = "test-secret-0123456789abcdef-0123456789"
JPEG_BYTES = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(500)
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + bytes(500)
ELF_BYTES = b"\x7fELF\x02\x01\x01\x00" + bytes(500)


@pytest.fixture
def store(tmp_path) -> LocalMediaStore:
    return LocalMediaStore(tmp_path / "media", "http://testserver/", UploadTokenSigner(SECRET))


def in_future(seconds: int = 900) -> datetime:
    return datetime.now(UTC) + timedelta(seconds=seconds)


def grant_for(key: str, content_type: str = "image/jpeg", max_bytes: int = 10_000) -> UploadGrant:
    return UploadGrant(key, content_type, max_bytes, in_future())


async def chunks(data: bytes, size: int = 100, consumed: list[int] | None = None):
    for start in range(0, len(data), size):
        if consumed is not None:
            consumed.append(start)
        yield data[start : start + size]


def stored_files(store: LocalMediaStore) -> list[str]:
    if not store.root.exists():
        return []
    return sorted(p.relative_to(store.root).as_posix() for p in store.root.rglob("*") if p.is_file())


def test_the_store_satisfies_the_domain_port(store):
    assert isinstance(store, MediaStore)


# -- tokens ----------------------------------------------------------------------------------------


def test_a_signed_token_verifies_to_its_grant():
    signer = UploadTokenSigner(SECRET)
    expires_at = in_future().replace(microsecond=0)
    token = signer.sign("uploads/2026/11/a.jpg", "image/jpeg", 1234, expires_at)
    assert signer.verify(token) == UploadGrant("uploads/2026/11/a.jpg", "image/jpeg", 1234, expires_at)


def test_a_tampered_token_is_refused():
    signer = UploadTokenSigner(SECRET)
    token = signer.sign("uploads/2026/11/a.jpg", "image/jpeg", 1234, in_future())
    header, _payload, signature = token.split(".")
    forged = jwt.encode(
        {**jwt.decode(token, options={"verify_signature": False}), "max": 10**12},
        "guess" * 8,
        algorithm="HS256",
    ).split(".")[1]
    for bad in (
        f"{header}.{forged}.{signature}",
        token[:-2] + ("AA" if token[-2:] != "AA" else "BB"),
        "x.y.z",
        "",
    ):
        with pytest.raises(UploadTokenError):
            signer.verify(bad)


def test_a_token_from_another_secret_or_purpose_is_refused():
    token = UploadTokenSigner("another-secret-0123456789").sign("uploads/a.jpg", "image/jpeg", 1, in_future())
    with pytest.raises(UploadTokenError):
        UploadTokenSigner(SECRET).verify(token)
    session_like = jwt.encode({"sub": "42", "exp": int(in_future().timestamp())}, SECRET, algorithm="HS256")
    with pytest.raises(UploadTokenError):
        UploadTokenSigner(SECRET).verify(session_like)


def test_an_expired_token_is_refused_as_expired():
    signer = UploadTokenSigner(SECRET)
    token = signer.sign("uploads/a.jpg", "image/jpeg", 1, datetime.now(UTC) - timedelta(seconds=1))
    with pytest.raises(UploadTokenExpired) as caught:
        signer.verify(token)
    assert caught.value.code == "EXPIRED"


def test_a_signed_token_for_a_dangerous_key_is_still_refused():
    signer = UploadTokenSigner(SECRET)
    with pytest.raises(UploadTokenError):
        signer.verify(signer.sign("../../etc/passwd", "image/jpeg", 1, in_future()))


async def test_presigning_gives_an_expiring_put_url_with_a_token(store):
    key = new_object_key(MediaKind.IMAGE, "image/jpeg")
    target = await store.presign_upload(key, "image/jpeg", 5000, 900)
    assert target.method == "PUT"
    assert target.headers == {"Content-Type": "image/jpeg"}
    assert target.fields == {}
    assert timedelta(seconds=898) < target.expires_at - datetime.now(UTC) <= timedelta(seconds=900)
    url = urlsplit(target.url)
    assert (url.scheme, url.netloc) == ("http", "testserver")
    assert url.path.startswith("/v1/uploads/")
    grant = store.verify_upload_token(url.path.rsplit("/", 1)[1])
    assert grant == UploadGrant(key, "image/jpeg", 5000, target.expires_at)


async def test_presigning_refuses_an_unsafe_key(store):
    with pytest.raises(InvalidObjectKey):
        await store.presign_upload("../x.jpg", "image/jpeg", 10, 900)


# -- receiving uploads -----------------------------------------------------------------------------


async def test_a_streamed_upload_lands_at_its_key(store):
    key = "uploads/2026/11/a.jpg"
    size = await receive_upload(store, grant_for(key), chunks(JPEG_BYTES), "image/jpeg")
    assert size == len(JPEG_BYTES)
    assert stored_files(store) == [key]
    info = await store.head(key)
    assert (info.size, info.content_type) == (len(JPEG_BYTES), "image/jpeg")
    head = await store.read_head(key, 64)
    assert head == JPEG_BYTES[:64]
    assert check_object("image/jpeg", len(JPEG_BYTES), info.size, head) == []
    assert await store.read_range(key, 3, 4) == JPEG_BYTES[3:7]
    assert await store.read_range(key, 10_000, 4) == b""
    assert await store.read_all(key, max_bytes=len(JPEG_BYTES)) == JPEG_BYTES


async def test_an_oversize_body_is_cut_off_early_and_leaves_nothing(store):
    consumed: list[int] = []
    body = JPEG_BYTES + bytes(100_000)
    with pytest.raises(UploadTooLarge) as caught:
        await receive_upload(
            store, grant_for("uploads/a.jpg", max_bytes=1000), chunks(body, 100, consumed), "image/jpeg"
        )
    assert caught.value.code == "TOO_LARGE"
    assert len(consumed) == 11  # stopped at the first chunk past the limit, not at the end of the body
    assert stored_files(store) == []


async def test_a_body_of_exactly_the_limit_is_accepted(store):
    body = JPEG_BYTES[:300]
    assert (
        await receive_upload(store, grant_for("uploads/a.jpg", max_bytes=300), chunks(body), "image/jpeg")
        == 300
    )


async def test_a_declared_content_length_over_the_limit_is_refused_before_reading(store):
    consumed: list[int] = []
    with pytest.raises(UploadTooLarge):
        await receive_upload(
            store,
            grant_for("uploads/a.jpg", max_bytes=1000),
            chunks(JPEG_BYTES, consumed=consumed),
            "image/jpeg",
            content_length=1001,
        )
    assert consumed == []
    assert stored_files(store) == []


@pytest.mark.parametrize("header", ["image/png", "application/octet-stream", None, ""])
async def test_a_content_type_other_than_granted_is_refused(store, header):
    with pytest.raises(UploadTypeMismatch) as caught:
        await receive_upload(store, grant_for("uploads/a.jpg"), chunks(JPEG_BYTES), header)
    assert caught.value.code == "UNSUPPORTED_MEDIA_TYPE"
    assert stored_files(store) == []


async def test_content_type_parameters_and_case_are_tolerated(store):
    await receive_upload(store, grant_for("uploads/a.jpg"), chunks(JPEG_BYTES), "Image/JPEG; charset=binary")
    assert stored_files(store) == ["uploads/a.jpg"]


@pytest.mark.parametrize("body", [PNG_BYTES, ELF_BYTES, ELF_BYTES[:20]])
async def test_bytes_of_another_type_are_refused(store, body):
    with pytest.raises(UploadTypeMismatch):
        await receive_upload(store, grant_for("uploads/a.jpg"), chunks(body, 7), "image/jpeg")
    assert stored_files(store) == []


async def test_an_empty_body_is_refused(store):
    with pytest.raises(UploadEmpty) as caught:
        await receive_upload(store, grant_for("uploads/a.jpg"), chunks(b""), "image/jpeg")
    assert caught.value.code == "EMPTY"
    assert stored_files(store) == []


async def test_an_expired_grant_is_refused(store):
    grant = UploadGrant("uploads/a.jpg", "image/jpeg", 1000, datetime.now(UTC) - timedelta(seconds=1))
    with pytest.raises(UploadTokenExpired):
        await receive_upload(store, grant, chunks(JPEG_BYTES), "image/jpeg")
    assert stored_files(store) == []


async def test_a_key_is_written_once(store):
    await receive_upload(store, grant_for("uploads/a.jpg"), chunks(JPEG_BYTES), "image/jpeg")
    replacement = b"\xff\xd8\xff" + b"evil" * 100
    with pytest.raises(UploadAlreadyReceived) as caught:
        await receive_upload(store, grant_for("uploads/a.jpg"), chunks(replacement), "image/jpeg")
    assert caught.value.code == "CONFLICT"
    assert await store.read_all("uploads/a.jpg", 10_000) == JPEG_BYTES
    assert stored_files(store) == ["uploads/a.jpg"]


async def test_a_body_that_breaks_off_leaves_nothing(store):
    async def broken():
        yield JPEG_BYTES
        raise ConnectionResetError("client went away")

    with pytest.raises(ConnectionResetError):
        await receive_upload(store, grant_for("uploads/a.jpg"), broken(), "image/jpeg")
    assert stored_files(store) == []


async def test_large_uploads_are_written_in_buffered_chunks(store):
    body = JPEG_BYTES + os.urandom(3 * 1024 * 1024)
    grant = grant_for("uploads/big.jpg", max_bytes=len(body))
    assert await receive_upload(store, grant, chunks(body, 64 * 1024), "image/jpeg") == len(body)
    assert await store.read_all("uploads/big.jpg", len(body)) == body


# -- paths, serving and the rest of the port -------------------------------------------------------


@pytest.mark.parametrize(
    "key", ["../outside.jpg", "/etc/passwd", "uploads/../../x", ".incoming/x.part", "a//b"]
)
async def test_unsafe_keys_never_touch_disk(store, key):
    with pytest.raises(InvalidObjectKey):
        store.path_for(key)
    with pytest.raises(InvalidObjectKey):
        await store.head(key)
    with pytest.raises(InvalidObjectKey):
        await store.put(key, b"x", "image/jpeg")
    with pytest.raises(InvalidObjectKey):
        await receive_upload(store, grant_for(key), chunks(JPEG_BYTES), "image/jpeg")
    assert store.resolve_path(key) is None


async def test_resolving_a_media_path_stays_inside_the_root(store, tmp_path):
    await store.put("media/a.w320.webp", JPEG_BYTES, "image/webp")
    assert store.resolve_path("media/a.w320.webp") == store.root / "media/a.w320.webp"
    assert store.resolve_path("media/missing.jpg") is None
    assert store.resolve_path("media") is None  # a directory
    secret = tmp_path / "secret.txt"
    secret.write_text("password")
    (store.root / "media" / "link.jpg").symlink_to(secret)
    assert store.resolve_path("media/link.jpg") is None


async def test_only_keys_under_media_are_ever_served(store):
    """Uploads are written by clients (and a photo's upload is its original, EXIF and GPS included)."""
    await store.put("uploads/2026/11/a.jpg", JPEG_BYTES, "image/jpeg")
    await store.put("private/a.jpg", JPEG_BYTES, "image/jpeg")
    assert store.resolve_path("uploads/2026/11/a.jpg") is None
    assert store.served_file("uploads/2026/11/a.jpg") is None
    assert store.served_file("private/a.jpg") is None


def test_served_media_has_its_type_and_long_lived_caching(store):
    assert store.content_type("uploads/a.jpg") == "image/jpeg"
    assert store.content_type("uploads/a.w320.webp") == "image/webp"
    assert store.content_type("uploads/a.mp4") == "video/mp4"
    assert store.content_type("uploads/a.bin") == "application/octet-stream"
    headers = store.response_headers("uploads/a.jpg")
    assert "immutable" in headers["Cache-Control"]
    assert headers["X-Content-Type-Options"] == "nosniff"


def test_public_urls_point_at_the_media_route(store):
    assert store.public_url("uploads/2026/11/a.jpg") == "http://testserver/media/uploads/2026/11/a.jpg"
    for key in ("../etc/passwd", "/abs.jpg", "uploads/../../x.jpg", ""):
        with pytest.raises(InvalidObjectKey):
            store.public_url(key)


async def test_put_copy_and_idempotent_delete(store):
    await store.put("uploads/a.w320.webp", b"RIFF....WEBP", "image/webp")
    await store.copy("uploads/a.w320.webp", "media/a.w320.webp")
    assert await store.read_all("media/a.w320.webp", 100) == b"RIFF....WEBP"
    await store.delete("uploads/a.w320.webp")
    await store.delete("uploads/a.w320.webp")
    assert await store.head("uploads/a.w320.webp") is None
    with pytest.raises(ObjectNotFound):
        await store.read_head("uploads/a.w320.webp")
    with pytest.raises(ObjectNotFound):
        await store.copy("uploads/a.w320.webp", "media/b.webp")
    assert stored_files(store) == ["media/a.w320.webp"]


async def test_reading_everything_is_bounded(store):
    await store.put("uploads/a.jpg", JPEG_BYTES, "image/jpeg")
    with pytest.raises(ObjectTooLarge):
        await store.read_all("uploads/a.jpg", max_bytes=len(JPEG_BYTES) - 1)


async def test_listing_old_keys_for_clean_up(store):
    await store.put("uploads/old.jpg", JPEG_BYTES, "image/jpeg")
    await store.put("uploads/new.jpg", JPEG_BYTES, "image/jpeg")
    await store.put("media/old.jpg", JPEG_BYTES, "image/jpeg")
    an_hour_ago = time.time() - 3600
    for key in ("uploads/old.jpg", "media/old.jpg"):
        os.utime(store.root / key, (an_hour_ago, an_hour_ago))
    cutoff = datetime.now(UTC) - timedelta(minutes=30)
    assert [key async for key in store.list_keys("uploads/", cutoff)] == ["uploads/old.jpg"]


async def test_partial_uploads_left_by_a_crash_are_swept(store):
    incoming = store.root / INCOMING_DIR
    incoming.mkdir(parents=True)
    (incoming / "stale.part").write_bytes(b"x")
    (incoming / "fresh.part").write_bytes(b"x")
    an_hour_ago = time.time() - 3600
    os.utime(incoming / "stale.part", (an_hour_ago, an_hour_ago))
    assert await store.remove_stale_incoming(datetime.now(UTC) - timedelta(minutes=30)) == 1
    assert [p.name for p in incoming.iterdir()] == ["fresh.part"]
