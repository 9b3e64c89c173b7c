"""Media over HTTP for the local-disk store: the upload endpoint and `/media/{key}`.

With S3 (S3_BUCKET set) clients upload straight to the bucket and media is served from the bucket
or MEDIA_BASE_URL, so both routes answer 404 there.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from litestar import Request, Response, route
from litestar.datastructures import State
from litestar.response import File

from shoppable.api.dependencies import DEPENDENCIES, RequestUnitOfWork
from shoppable.api.problems import Problem
from shoppable.domain.content import uploads
from shoppable.domain.content.ports import DirectMedia, UploadRejected
from shoppable.domain.vision import uploads as search_uploads

STATUS_OF = {
    "INVALID_TOKEN": 403,
    "EXPIRED": 403,
    "TOO_LARGE": 413,
    "UNSUPPORTED_MEDIA_TYPE": 415,
    "CONFLICT": 409,
}
"""HTTP status of each reason an upload is refused; anything else is 400."""


def _direct_media(state: State) -> DirectMedia:
    store = state.services.media
    if not isinstance(store, DirectMedia):
        raise Problem(404, "Not Found", "Media is stored in a bucket; use the URL createUpload returned.")
    return store


def _content_length(request: Request[Any, Any, Any]) -> int | None:
    raw = request.headers.get("content-length")
    if raw is None:
        return None
    if not raw.strip().isdigit():
        raise Problem(400, "Bad Request", "Content-Length must be a number of bytes.", slug="invalid")
    return int(raw)


def _refused(exc: UploadRejected) -> Problem:
    status = STATUS_OF.get(exc.code, 400)
    return Problem(status, HTTPStatus(status).phrase, str(exc), slug=exc.code.lower().replace("_", "-"))


@route(
    "/v1/uploads/{token:str}",
    http_method="PUT",
    request_max_body_size=None,
    status_code=204,
    include_in_schema=False,
    dependencies={"uow": DEPENDENCIES["uow"], "services": DEPENDENCIES["services"]},
)
async def receive_media_upload(
    request: Request[Any, Any, Any], state: State, token: str, uow: RequestUnitOfWork
) -> Response[None]:
    """The target of a local-disk createUpload: the raw file as the body, with its Content-Type.

    The token (signed, expiring) names the one key, type and size allowed; the body is streamed to
    disk and refused the moment it breaks the grant (413 too large, 415 wrong type, 403 bad or
    expired token, 409 already received or the upload already completed or refused), leaving
    nothing behind.
    """
    store = _direct_media(state)
    try:
        key = store.granted_key(token)
    except UploadRejected as exc:
        raise _refused(exc) from None
    pending = await uploads.awaits_bytes(uow, key) or await search_uploads.awaits_bytes(uow, key)
    await uow.close()  # no connection held while the body streams in
    if not pending:
        raise Problem(409, "Conflict", "This upload is already complete or was refused.", slug="conflict")
    try:
        await store.receive(
            token, request.stream(), request.headers.get("content-type"), _content_length(request)
        )
    except UploadRejected as exc:
        raise _refused(exc) from None
    return Response(None, status_code=204)


@route("/media/{key:path}", http_method=["GET", "HEAD"], include_in_schema=False)
async def serve_media(state: State, key: str) -> File:
    """A stored file under `media/` with the content type of its key and cache-forever headers (keys
    never change); HEAD answers the same headers without the body."""
    found = _direct_media(state).served_file(key.lstrip("/"))
    if found is None:
        raise Problem(404, "Not Found", "No such media.")
    return File(
        path=found.path,
        media_type=found.content_type,
        headers=found.headers,
        content_disposition_type="inline",
    )
