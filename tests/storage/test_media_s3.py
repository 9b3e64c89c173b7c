"""S3 media store against moto's S3 over real HTTP: presigned POST uploads with the returned form."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from moto.server import ThreadedMotoServer

from shoppable.domain.content.media import MediaKind, MediaLimits, check_object, new_object_key
from shoppable.domain.content.mp4 import probe_mp4_duration_ms
from shoppable.domain.content.ports import InvalidObjectKey, MediaStore, ObjectNotFound, ObjectTooLarge
from shoppable.domain.errors import ErrorCode
from shoppable.storage.media_s3 import S3MediaStore, default_s3_client

JPEG_BYTES = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(500)
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + bytes(500)


@pytest.fixture(scope="module")
def s3_endpoint():
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


@pytest.fixture(scope="module")
def s3_client(s3_endpoint):
    """The store's default client, made once: building a boto3 client costs a few hundred ms."""
    return default_s3_client(s3_endpoint, "us-east-1")


@pytest.fixture
def store(s3_endpoint, s3_client) -> S3MediaStore:
    bucket = f"media-{uuid.uuid4().hex[:12]}"
    s3_client.create_bucket(Bucket=bucket)
    return S3MediaStore(
        bucket, endpoint_url=s3_endpoint, region="us-east-1", client_factory=lambda: s3_client
    )


def make_public(store: S3MediaStore) -> None:
    """What a media bucket behind public URLs needs: anonymous reads of objects."""
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{store.bucket}/*",
            }
        ],
    }
    store.client.put_bucket_policy(Bucket=store.bucket, Policy=json.dumps(policy))


def post_form(target, body: bytes, filename: str = "photo.jpg", fields: dict[str, str] | None = None):
    """What a browser or app does with an UploadTarget: the fields, then the file, as multipart."""
    form = fields if fields is not None else target.fields
    return httpx.post(target.url, data=form, files={"file": (filename, body)}, timeout=10)


def test_the_store_satisfies_the_domain_port(store):
    assert isinstance(store, MediaStore)


async def test_presigned_post_pins_key_type_and_size(store):
    key = new_object_key(MediaKind.IMAGE, "image/jpeg")
    target = await store.presign_upload(key, "image/jpeg", 20 * 1024 * 1024, 900)
    assert target.method == "POST"
    assert target.url == f"{store.endpoint_url}/{store.bucket}"
    assert target.fields["key"] == key
    assert target.fields["Content-Type"] == "image/jpeg"
    assert {"policy", "x-amz-signature", "x-amz-credential", "x-amz-algorithm", "x-amz-date"} <= set(
        target.fields
    )
    assert timedelta(seconds=898) < target.expires_at - datetime.now(UTC) <= timedelta(seconds=900)

    policy = json.loads(base64.b64decode(target.fields["policy"]))
    assert {"key": key} in policy["conditions"]
    assert {"bucket": store.bucket} in policy["conditions"]
    assert {"Content-Type": "image/jpeg"} in policy["conditions"]
    assert ["content-length-range", 1, 20 * 1024 * 1024] in policy["conditions"]
    expiration = datetime.fromisoformat(policy["expiration"].replace("Z", "+00:00"))
    assert abs(expiration - target.expires_at) <= timedelta(seconds=2)


async def test_a_real_form_upload_then_head_read_and_delete(store):
    key = new_object_key(MediaKind.IMAGE, "image/jpeg")
    target = await store.presign_upload(key, "image/jpeg", 10_000, 900)

    response = post_form(target, JPEG_BYTES)
    assert response.status_code == 204, response.text

    info = await store.head(key)
    assert (info.size, info.content_type) == (len(JPEG_BYTES), "image/jpeg")
    head = await store.read_head(key)
    assert head == JPEG_BYTES  # smaller than the 64 KB asked for
    assert await store.read_range(key, 3, 4) == JPEG_BYTES[3:7]
    assert await store.read_range(key, 10_000, 4) == b""
    assert (
        check_object("image/jpeg", len(JPEG_BYTES), info.size, head, stored_content_type=info.content_type)
        == []
    )
    assert await store.read_all(key, max_bytes=len(JPEG_BYTES)) == JPEG_BYTES
    with pytest.raises(ObjectTooLarge):
        await store.read_all(key, max_bytes=100)

    make_public(store)
    async with httpx.AsyncClient() as client:
        served = await client.get(store.public_url(key))
    assert served.status_code == 200
    assert served.content == JPEG_BYTES
    assert served.headers["content-type"] == "image/jpeg"
    assert "immutable" in served.headers["cache-control"]

    await store.delete(key)
    await store.delete(key)  # idempotent
    assert await store.head(key) is None
    with pytest.raises(ObjectNotFound):
        await store.read_head(key)


async def test_moto_does_not_enforce_the_policy_so_completion_checks_the_object(store):
    """moto stores whatever is posted; `check_object` is what refuses it (and the caller deletes it)."""
    limits = MediaLimits(max_image_bytes=100)
    key = new_object_key(MediaKind.IMAGE, "image/jpeg")
    target = await store.presign_upload(key, "image/jpeg", limits.max_image_bytes, 900)
    declared_size = 100

    oversize_png = PNG_BYTES + bytes(1000)
    response = post_form(target, oversize_png, filename="innocent.jpg")
    assert response.status_code == 204  # a real S3 would answer 400 EntityTooLarge

    info = await store.head(key)
    assert info.size == len(oversize_png)
    errors = check_object("image/jpeg", declared_size, info.size, await store.read_head(key))
    assert {(e.field, e.code) for e in errors} == {
        (("byteSize",), ErrorCode.INVALID),
        (("contentType",), ErrorCode.UNSUPPORTED_MEDIA_TYPE),
    }
    await store.delete(key)
    assert await store.head(key) is None


async def test_a_client_rewriting_the_content_type_field_is_caught(store):
    key = new_object_key(MediaKind.IMAGE, "image/jpeg")
    target = await store.presign_upload(key, "image/jpeg", 10_000, 900)
    tampered = {**target.fields, "Content-Type": "text/html"}
    body = JPEG_BYTES[:20] + b"<script>alert(1)</script>"
    assert post_form(target, body, fields=tampered).status_code == 204

    info = await store.head(key)
    assert info.content_type == "text/html"
    errors = check_object(
        "image/jpeg", len(body), info.size, await store.read_head(key), stored_content_type=info.content_type
    )
    assert [(e.field, e.code) for e in errors] == [(("contentType",), ErrorCode.UNSUPPORTED_MEDIA_TYPE)]


async def test_an_executable_uploaded_as_jpeg_is_caught(store):
    key = new_object_key(MediaKind.IMAGE, "image/jpeg")
    target = await store.presign_upload(key, "image/jpeg", 10_000, 900)
    elf = b"\x7fELF\x02\x01\x01\x00" + bytes(300)
    assert post_form(target, elf, filename="cute-cat.jpg").status_code == 204
    info = await store.head(key)
    errors = check_object(
        "image/jpeg", len(elf), info.size, await store.read_head(key), stored_content_type=info.content_type
    )
    assert [(e.field, e.code) for e in errors] == [(("contentType",), ErrorCode.UNSUPPORTED_MEDIA_TYPE)]


async def test_nothing_uploaded_is_reported_missing(store):
    key = new_object_key(MediaKind.VIDEO, "video/mp4")
    await store.presign_upload(key, "video/mp4", 10_000, 900)
    assert await store.head(key) is None
    errors = check_object("video/mp4", 10, None, b"")
    assert [(e.field, e.code) for e in errors] == [(("uploadId",), ErrorCode.NOT_FOUND)]


async def test_put_copy_and_list_for_clean_up(store):
    await store.put("uploads/2026/11/a.w320.webp", b"RIFF\x00\x00\x00\x00WEBP", "image/webp")
    await store.copy("uploads/2026/11/a.w320.webp", "media/a.w320.webp")
    copied = await store.head("media/a.w320.webp")
    assert (copied.size, copied.content_type) == (12, "image/webp")
    with pytest.raises(ObjectNotFound):
        await store.copy("uploads/missing.jpg", "media/missing.jpg")

    future, past = datetime.now(UTC) + timedelta(minutes=5), datetime.now(UTC) - timedelta(minutes=5)
    assert [key async for key in store.list_keys("uploads/", future)] == ["uploads/2026/11/a.w320.webp"]
    assert [key async for key in store.list_keys("uploads/", past)] == []


async def test_unsafe_keys_are_refused_before_any_request(store):
    for key in ("../x.jpg", "/abs.jpg", "a//b.jpg"):
        with pytest.raises(InvalidObjectKey):
            await store.presign_upload(key, "image/jpeg", 10, 900)
        with pytest.raises(InvalidObjectKey):
            await store.head(key)
        with pytest.raises(InvalidObjectKey):
            store.public_url(key)


def test_public_urls_prefer_the_cdn_then_the_endpoint_then_aws():
    key = "uploads/2026/11/a.jpg"
    cdn = S3MediaStore("media", public_base_url="https://cdn.example.com/", client_factory=object)
    assert cdn.public_url(key) == "https://cdn.example.com/uploads/2026/11/a.jpg"
    minio = S3MediaStore("media", endpoint_url="http://minio:9000/", client_factory=object)
    assert minio.public_url(key) == "http://minio:9000/media/uploads/2026/11/a.jpg"
    aws = S3MediaStore("media", region="eu-west-1", client_factory=object)
    assert aws.public_url(key) == "https://media.s3.eu-west-1.amazonaws.com/uploads/2026/11/a.jpg"


async def test_a_video_duration_is_read_with_ranged_gets(store):
    def box(kind: bytes, payload: bytes) -> bytes:
        return (8 + len(payload)).to_bytes(4, "big") + kind + payload

    mvhd = box(
        b"mvhd", bytes(4) + bytes(8) + (600).to_bytes(4, "big") + (7200).to_bytes(4, "big") + bytes(80)
    )
    movie = box(b"ftyp", b"isom" + bytes(4) + b"isommp41") + box(b"mdat", bytes(300_000)) + box(b"moov", mvhd)
    key = new_object_key(MediaKind.VIDEO, "video/mp4")
    await store.put(key, movie, "video/mp4")
    assert check_object("video/mp4", len(movie), len(movie), await store.read_head(key)) == []
    duration = await probe_mp4_duration_ms(lambda start, n: store.read_range(key, start, n), len(movie))
    assert duration == 12_000
