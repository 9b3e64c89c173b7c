"""Media over HTTP for the local-disk store: the upload endpoint and `/media/{key}`.

With S3 (S3_BUCKET set) clients upload straight to the bucket and media is served from the bucket
or MEDIA_BASE_URL, so both routes answer 404 there.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from litestar import Request, Response, get, put
from litestar.datastructures import State
from litestar.response import File

from shoppable.api.problems import Problem
from shoppable.storage.media_local import LocalMediaStore, UploadRejected, receive_upload


def _local_store(state: State) -> LocalMediaStore:
    store = state.services.media
    if not isinstance(store, LocalMediaStore):
        raise Problem(404, "Not Found", "Media is stored in a bucket; use the URL createUpload returned.")
    return store


def _content_length(request: Request[Any, Any, Any]) -> int | None:
    raw = request.headers.get("content-length")
    if raw is None:
        return None
    if not raw.strip().isdigit():
        raise Problem(400, "Bad Request", "Content-Length must be a number of bytes.", slug="invalid")
    return int(raw)


@put("/v1/uploads/{token:str}", request_max_body_size=None, status_code=204, include_in_schema=False)
async def receive_media_upload(request: Request[Any, Any, Any], state: State, token: str) -> Response[None]:
    """The target of a local-disk createUpload: the raw file as the body, with its Content-Type.

    The token (signed, expiring) names the one key, type and size allowed; the body is streamed to
    disk and refused the moment it breaks the grant (413 too large, 415 wrong type, 403 bad or
    expired token, 409 already received), leaving nothing behind.
    """
    store = _local_store(state)
    try:
        grant = store.verify_upload_token(token)
        await receive_upload(
            store,
            grant,
            request.stream(),
            request.headers.get("content-type"),
            content_length=_content_length(request),
        )
    except UploadRejected as exc:
        raise Problem(
            exc.status_code,
            HTTPStatus(exc.status_code).phrase,
            str(exc),
            slug=exc.code.lower().replace("_", "-"),
        ) from None
    return Response(None, status_code=204)


@get("/media/{key:path}", include_in_schema=False)
async def serve_media(state: State, key: str) -> File:
    """A stored file with the content type of its key and cache-forever headers (keys never change)."""
    store = _local_store(state)
    key = key.lstrip("/")
    path = store.resolve_path(key)
    if path is None:
        raise Problem(404, "Not Found", "No such media.")
    return File(
        path=path,
        media_type=store.content_type(key),
        headers=store.response_headers(key),
        content_disposition_type="inline",
    )
