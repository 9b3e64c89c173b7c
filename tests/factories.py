"""Small builders for tests: accounts, merchants, API keys and products through the public API."""

from __future__ import annotations

import itertools
from typing import Any

_counter = itertools.count(1)

SIGN_UP = """
mutation($input: SignUpInput!) { signUp(input: $input) { token user { id displayName } userErrors { field code message } } }
"""
CREATE_MERCHANT = """
mutation($input: CreateMerchantInput!) {
  createMerchant(input: $input) { merchant { id handle name } userErrors { field code message } }
}
"""
CREATE_KEY = """
mutation($input: CreateApiKeyInput!) {
  createApiKey(input: $input) { key apiKey { id prefix } userErrors { field code message } }
}
"""
UPSERT = """
mutation($input: UpsertProductsInput!) {
  upsertProducts(input: $input) {
    products { id handle title status skus { edges { node { id sku price { amount currencyCode } } } } }
    userErrors { field code message }
  }
}
"""


async def sign_up(
    gql: Any, email: str | None = None, password: str = "correct horse battery"
) -> dict[str, Any]:
    email = email or f"user{next(_counter)}@example.com"
    body = await gql(
        SIGN_UP, {"input": {"email": email, "password": password, "displayName": email.split("@")[0]}}
    )
    payload = body["data"]["signUp"]
    assert payload["userErrors"] == [], payload
    return {"token": payload["token"], "id": payload["user"]["id"], "email": email, "password": password}


async def create_merchant(gql: Any, token: str, handle: str | None = None, **extra: Any) -> dict[str, Any]:
    handle = handle or f"shop-{next(_counter)}"
    body = await gql(
        CREATE_MERCHANT,
        {"input": {"handle": handle, "name": handle.title(), "currency": "EUR", **extra}},
        token=token,
    )
    payload = body["data"]["createMerchant"]
    assert payload["userErrors"] == [], payload
    return payload["merchant"]


async def create_api_key(gql: Any, token: str, merchant_id: str) -> str:
    body = await gql(CREATE_KEY, {"input": {"merchantId": merchant_id}}, token=token)
    payload = body["data"]["createApiKey"]
    assert payload["userErrors"] == [], payload
    return payload["key"]


def product_input(
    handle: str, *, skus: int = 2, status: str = "ACTIVE", currency: str = "EUR", **extra: Any
) -> dict:
    return {
        "handle": handle,
        "title": extra.pop("title", f"Product {handle}"),
        "brand": extra.pop("brand", "Acme"),
        "status": status,
        "images": [f"https://img.example/{handle}/{i}.jpg" for i in range(2)],
        "skus": [
            {
                "sku": f"{handle}-{i}",
                "price": {"amount": f"{10 + i}.50", "currencyCode": currency},
                "quantity": 10 * i,
                "options": [{"name": "Size", "value": f"S{i}"}],
            }
            for i in range(skus)
        ],
        **extra,
    }


async def upsert(gql: Any, token: str, merchant_id: str, products: list[dict]) -> dict[str, Any]:
    body = await gql(UPSERT, {"input": {"merchantId": merchant_id, "products": products}}, token=token)
    return body["data"]["upsertProducts"]


async def merchant_with_products(gql: Any, count: int, *, skus: int = 2) -> dict[str, Any]:
    owner = await sign_up(gql)
    merchant = await create_merchant(gql, owner["token"])
    for start in range(0, count, 100):
        batch = [product_input(f"p-{i}", skus=skus) for i in range(start, min(count, start + 100))]
        payload = await upsert(gql, owner["token"], merchant["id"], batch)
        assert payload["userErrors"] == [], payload["userErrors"]
    return {"owner": owner, "merchant": merchant}


# -- creators, media and posts ----------------------------------------------------------------------

USER_ERRORS = "userErrors { field code message }"
BECOME_CREATOR = f"""
mutation($input: BecomeCreatorInput!) {{
  becomeCreator(input: $input) {{ creator {{ id handle displayName bio followerCount }} {USER_ERRORS} }}
}}
"""
CREATE_UPLOAD = f"""
mutation($input: CreateUploadInput!) {{
  createUpload(input: $input) {{
    upload {{ id url method headers {{ name value }} fields {{ name value }} expiresAt }} {USER_ERRORS}
  }}
}}
"""
COMPLETE_UPLOAD = f"""
mutation($input: CompleteUploadInput!) {{
  completeUpload(input: $input) {{
    media {{ id kind url contentType width height durationMs renditions {{ url width height contentType }} }}
    {USER_ERRORS}
  }}
}}
"""
POST_FIELDS = """
id caption hashtags status publishedAt likeCount viewerHasLiked viewerHasSaved
creator { id handle }
mentions { handle }
media { id kind url }
productTags { mediaIndex x y timestampMs
  product { id title availability priceRange { minPrice { amount currencyCode } } }
  sku { id sku price { amount currencyCode } availability } }
disclosure { kind label partnershipStatus partner { id name } }
"""
CREATE_POST = f"""
mutation($input: CreatePostInput!) {{ createPost(input: $input) {{ post {{ {POST_FIELDS} }} {USER_ERRORS} }} }}
"""
PUBLISH_POST = f"""
mutation($input: PostIdInput!) {{ publishPost(input: $input) {{ post {{ {POST_FIELDS} }} {USER_ERRORS} }} }}
"""


def make_image(width: int = 700, height: int = 500, fmt: str = "PNG", color: tuple = (200, 80, 40)) -> bytes:
    """A small real image: a solid background and a square, encoded as `fmt`."""
    import io

    from PIL import Image, ImageDraw

    image = Image.new("RGB", (width, height), color)
    ImageDraw.Draw(image).rectangle(
        (width // 4, height // 4, width // 2, height // 2), fill=(255 - color[0], 200, 255 - color[2])
    )
    buffer = io.BytesIO()
    image.save(buffer, format=fmt)
    return buffer.getvalue()


def make_mp4(duration_ms: int, media_bytes: int = 4000, *, handler: bytes = b"vide") -> bytes:
    """A minimal fast-start MP4: `ftyp`, `moov` (`mvhd` with the duration and one track whose handler
    is `handler`, with a sample table of 4 samples in the `mdat`), then an `mdat` of zeros."""
    import struct

    def box(kind: bytes, payload: bytes) -> bytes:
        return struct.pack(">I", 8 + len(payload)) + kind + payload

    def full(kind: bytes, payload: bytes) -> bytes:
        return box(kind, bytes(4) + payload)

    ftyp = box(b"ftyp", b"isom" + bytes(4) + b"isomiso2avc1mp41")
    mvhd = full(b"mvhd", struct.pack(">IIII", 0, 0, 1000, duration_ms) + bytes(80))
    samples = 4
    sample_size = media_bytes // samples

    def moov(mdat_offset: int) -> bytes:
        stbl = box(
            b"stbl",
            full(b"stsd", struct.pack(">I", 1) + box(b"avc1", bytes(78)))
            + full(b"stts", struct.pack(">III", 1, samples, 1000))
            + full(b"stsc", struct.pack(">IIII", 1, 1, samples, 1))
            + full(b"stsz", struct.pack(">II", 0, samples) + struct.pack(">I", sample_size) * samples)
            + full(b"stco", struct.pack(">II", 1, mdat_offset)),
        )
        hdlr = full(b"hdlr", bytes(4) + handler + bytes(12) + b"VideoHandler\x00")
        mdia = box(b"mdia", full(b"mdhd", bytes(20)) + hdlr + box(b"minf", full(b"vmhd", bytes(8)) + stbl))
        return box(b"moov", mvhd + box(b"trak", full(b"tkhd", bytes(80)) + mdia))

    mdat_offset = len(ftyp) + len(moov(0)) + 8
    return ftyp + moov(mdat_offset) + box(b"mdat", bytes(media_bytes))


async def become_creator(gql: Any, token: str, handle: str | None = None, **extra: Any) -> dict[str, Any]:
    handle = handle or f"creator_{next(_counter)}"
    body = await gql(
        BECOME_CREATOR, {"input": {"handle": handle, "displayName": handle.title(), **extra}}, token=token
    )
    payload = body["data"]["becomeCreator"]
    assert payload["userErrors"] == [], payload
    return payload["creator"]


async def create_upload(
    gql: Any, token: str, data: bytes, content_type: str = "image/png", filename: str = "photo.png"
) -> dict[str, Any]:
    body = await gql(
        CREATE_UPLOAD,
        {"input": {"filename": filename, "contentType": content_type, "byteSize": len(data)}},
        token=token,
    )
    payload = body["data"]["createUpload"]
    assert payload["userErrors"] == [], payload
    return payload["upload"]


async def send_upload(client: Any, upload: dict[str, Any], data: bytes, filename: str = "photo") -> Any:
    """What the upload portal does with createUpload's answer: PUT to our endpoint, or POST a form to S3."""
    if upload["method"] == "PUT":
        headers = {h["name"]: h["value"] for h in upload["headers"]}
        return await client.put(upload["url"], content=data, headers=headers)
    import httpx

    fields = {f["name"]: f["value"] for f in upload["fields"]}
    async with httpx.AsyncClient() as s3:
        return await s3.post(upload["url"], data=fields, files={"file": (filename, data)}, timeout=10)


async def complete_upload(gql: Any, token: str, upload_id: str) -> dict[str, Any]:
    body = await gql(COMPLETE_UPLOAD, {"input": {"uploadId": upload_id}}, token=token)
    return body["data"]["completeUpload"]


async def upload_media(
    gql: Any,
    client: Any,
    token: str,
    data: bytes | None = None,
    content_type: str = "image/png",
    filename: str = "photo.png",
) -> dict[str, Any]:
    """createUpload -> send the bytes -> completeUpload; returns the Media."""
    data = make_image() if data is None else data
    upload = await create_upload(gql, token, data, content_type, filename)
    response = await send_upload(client, upload, data)
    assert response.status_code in (201, 204), response.text
    payload = await complete_upload(gql, token, upload["id"])
    assert payload["userErrors"] == [], payload
    return payload["media"]


async def create_post(gql: Any, token: str, **post: Any) -> dict[str, Any]:
    body = await gql(CREATE_POST, {"input": post}, token=token)
    return body["data"]["createPost"]


async def publish_post(gql: Any, token: str, post_id: str) -> dict[str, Any]:
    body = await gql(PUBLISH_POST, {"input": {"postId": post_id}}, token=token)
    payload = body["data"]["publishPost"]
    assert payload["userErrors"] == [], payload
    return payload["post"]
