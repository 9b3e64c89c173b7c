"""Streaming a request body to disk: raw bodies and multipart forms, never held whole in memory."""

from __future__ import annotations

import asyncio
import re
import uuid
import zlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from python_multipart import MultipartParser
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartState

from shoppable.api.problems import Problem

if TYPE_CHECKING:
    from python_multipart.multipart import MultipartCallbacks

_BOUNDARY = re.compile(r'boundary="?([^";]+)"?', re.IGNORECASE)
_FILENAME = re.compile(rb'filename="?([^";]*)"?', re.IGNORECASE)


class _FilePart:
    """Receives multipart callbacks; writes the body of the first file part to `out`."""

    def __init__(self, out: BinaryIO) -> None:
        self.out = out
        self.headers: list[bytes] = []
        self.current = b""
        self.in_file = False
        self.found = False
        self.done = False

    def callbacks(self) -> MultipartCallbacks:
        return {
            "on_part_begin": self.part_begin,
            "on_header_field": self.header_data,
            "on_header_value": self.header_data,
            "on_header_end": self.header_end,
            "on_headers_finished": self.headers_finished,
            "on_part_data": self.part_data,
            "on_part_end": self.part_end,
        }

    def part_begin(self) -> None:
        self.headers, self.current = [], b""

    def header_data(self, data: bytes, start: int, end: int) -> None:
        self.current += data[start:end] + b"\0"

    def header_end(self) -> None:
        self.headers.append(self.current)
        self.current = b""

    def headers_finished(self) -> None:
        disposition = next((h for h in self.headers if h.lower().startswith(b"content-disposition")), b"")
        self.in_file = not self.done and bool(_FILENAME.search(disposition))

    def part_data(self, data: bytes, start: int, end: int) -> None:
        if self.in_file:
            self.out.write(data[start:end])
            self.found = True

    def part_end(self) -> None:
        if self.in_file:
            self.done = True
        self.in_file = False


GZIP_MAX_RATIO = 100
"""A gzip body may expand at most this many times (catalog feeds compress about 10:1); beyond it,
it is a decompression bomb, refused before it fills the disk..."""
GZIP_RATIO_FROM_BYTES = 16 * 1024 * 1024
"""...once this much has come out of it: small bodies are never refused for their ratio."""
_GUNZIP_PIECE = 1024 * 1024  # output per decompression step: memory stays flat whatever a chunk holds


def too_large(max_bytes: int) -> Problem:
    return Problem(413, "Upload too large", f"Files are limited to {max_bytes} bytes.", slug="too-large")


async def gunzip(chunks: AsyncIterator[bytes], max_ratio: int = GZIP_MAX_RATIO) -> AsyncIterator[bytes]:
    """Decompress a gzip body as it streams (concatenated members too), in bounded pieces.

    The caller limits the decompressed size; this refuses bodies that expand more than `max_ratio`
    times (413) and answers 400 for a body that is not gzip or ends early.
    """
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    received = produced = 0
    in_member = False  # data given to the current member that has not reached its end marker

    def bad(detail: str) -> Problem:
        return Problem(400, "Bad gzip body", detail, slug="bad-gzip")

    async for chunk in chunks:
        received += len(chunk)
        data = chunk
        while data:
            in_member = True
            try:
                piece = await asyncio.to_thread(inflater.decompress, data, _GUNZIP_PIECE)
            except zlib.error as exc:
                raise bad(f"The body is sent as gzip but cannot be decompressed ({exc}).") from None
            if inflater.eof:  # one member ended; another may follow
                data = inflater.unused_data
                inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
                in_member = False
            else:
                data = inflater.unconsumed_tail
            produced += len(piece)
            if produced > GZIP_RATIO_FROM_BYTES and produced > max_ratio * received:
                raise Problem(
                    413,
                    "Upload too large",
                    f"The gzip body expands more than {max_ratio} times; send it uncompressed.",
                    slug="too-large",
                )
            if piece:
                yield piece
    if in_member:
        rest = inflater.flush(_GUNZIP_PIECE)
        if not inflater.eof:
            raise bad("The gzip body ends before its end marker.")
        if rest:
            yield rest


def _parse(parser: MultipartParser, chunk: bytes | None) -> None:
    """Feed the parser a chunk (None: the end of the body); a malformed form is the client's 400."""
    try:
        if chunk is None:
            parser.finalize()
        else:
            parser.write(chunk)
    except FormParserError as exc:
        raise Problem(400, "Bad multipart body", f"The multipart form is malformed: {exc}") from None
    if chunk is None and parser.state != MultipartState.END:
        # No closing boundary: the body was cut short, and its file may be too.
        raise Problem(400, "Bad multipart body", "The multipart form ends before its closing boundary.")


async def save_body(
    chunks: AsyncIterator[bytes],
    content_type: str,
    directory: Path,
    max_bytes: int,
    suffix: str = ".upload",
    *,
    content_encoding: str | None = None,
    content_length: int | None = None,
) -> tuple[Path, int]:
    """Write the uploaded file (raw body, or the first file of a multipart form) to a new file.

    A body sent with `Content-Encoding: gzip` is decompressed as it streams. Returns the path and
    the file's (decompressed) size; refuses files over `max_bytes` (413) and removes any partial
    file on failure.
    """
    encoding = (content_encoding or "identity").strip().lower()
    if encoding not in {"identity", "gzip", "x-gzip"}:
        raise Problem(
            415,
            "Unsupported encoding",
            "Send the file as is, or with Content-Encoding: gzip.",
            slug="encoding",
        )
    if content_length is not None and content_length > max_bytes:
        raise too_large(max_bytes)
    if encoding != "identity":
        chunks = gunzip(chunks)
    await asyncio.to_thread(directory.mkdir, parents=True, exist_ok=True)
    path = directory / f"{uuid.uuid4().hex}{suffix}"
    multipart = content_type.lower().startswith("multipart/form-data")
    boundary = _BOUNDARY.search(content_type) if multipart else None
    if multipart and boundary is None:
        raise Problem(400, "Bad multipart body", "The multipart Content-Type has no boundary.")
    out = await asyncio.to_thread(path.open, "wb")
    received = 0
    try:
        part = _FilePart(out)
        parser = MultipartParser(boundary.group(1), part.callbacks()) if boundary else None
        async for chunk in chunks:
            received += len(chunk)
            if received > max_bytes:
                raise too_large(max_bytes)
            if parser is not None:
                await asyncio.to_thread(_parse, parser, chunk)
            else:
                await asyncio.to_thread(out.write, chunk)
        if parser is not None:
            _parse(parser, None)
            if not part.found:
                raise Problem(400, "No file", "The multipart form has no file part.", slug="no-file")
        await asyncio.to_thread(out.close)
        size = (await asyncio.to_thread(path.stat)).st_size
        if size == 0:
            raise Problem(400, "Empty file", "The uploaded file is empty.", slug="empty-file")
        return path, size
    except BaseException:
        out.close()
        await asyncio.to_thread(path.unlink, missing_ok=True)
        raise
