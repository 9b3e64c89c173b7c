"""Streaming a request body to disk: raw bodies and multipart forms, never held whole in memory."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from python_multipart import MultipartParser

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


async def save_body(
    chunks: AsyncIterator[bytes], content_type: str, directory: Path, max_bytes: int, suffix: str = ".upload"
) -> tuple[Path, int]:
    """Write the uploaded file (raw body, or the first file of a multipart form) to a new file.

    Returns the path and the file's size; refuses bodies over `max_bytes` (413) and removes any
    partial file on failure.
    """
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
                raise Problem(
                    413, "Upload too large", f"Files are limited to {max_bytes} bytes.", slug="too-large"
                )
            if parser is not None:
                await asyncio.to_thread(parser.write, chunk)
            else:
                await asyncio.to_thread(out.write, chunk)
        if parser is not None:
            parser.finalize()
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
