"""A video's duration from its MP4/QuickTime `moov/mvhd` box, without a media library.

Used to check that a product tag's `timestampMs` falls inside the video. Only box headers and the
movie header are read: a few small ranged reads, whatever the size of the video, and wherever the
encoder put the `moov` box (at the start for "fast start" files, after the media data otherwise).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

MAX_MOOV_READ = 1024 * 1024
"""`mvhd` is the first child of `moov` in practice; this bounds what is read to find it."""

_MAX_TOP_LEVEL_BOXES = 256


@dataclass(frozen=True)
class BoxHeader:
    type: str
    offset: int
    size: int | None
    """Whole box, header included; None when the box runs to the end of the file."""
    header_size: int

    @property
    def payload_offset(self) -> int:
        return self.offset + self.header_size


def parse_box_header(data: bytes, offset: int = 0) -> BoxHeader | None:
    """The box header at `offset` in `data`, or None when `data` is too short or not a box there."""
    if len(data) < offset + 8:
        return None
    size = int.from_bytes(data[offset : offset + 4], "big")
    box_type = data[offset + 4 : offset + 8].decode("latin-1")
    if size == 1:
        if len(data) < offset + 16:
            return None
        large = int.from_bytes(data[offset + 8 : offset + 16], "big")
        return BoxHeader(box_type, offset, large, 16) if large >= 16 else None
    if size == 0:
        return BoxHeader(box_type, offset, None, 8)
    return BoxHeader(box_type, offset, size, 8) if size >= 8 else None


def parse_mvhd_duration_ms(payload: bytes) -> int | None:
    """Duration in milliseconds from the payload (after the header) of an `mvhd` box."""
    if not payload:
        return None
    version = payload[0]
    if version == 1:
        if len(payload) < 32:
            return None
        timescale = int.from_bytes(payload[20:24], "big")
        duration = int.from_bytes(payload[24:32], "big")
        unknown = duration == 0xFFFF_FFFF_FFFF_FFFF
    else:
        if len(payload) < 20:
            return None
        timescale = int.from_bytes(payload[12:16], "big")
        duration = int.from_bytes(payload[16:20], "big")
        unknown = duration == 0xFFFF_FFFF
    if timescale == 0 or unknown:
        return None
    return duration * 1000 // timescale


def read_mp4_duration_ms(data: bytes) -> int | None:
    """Duration of a movie whose top-level boxes (at least up to `moov/mvhd`) are all in `data`."""
    offset = 0
    while (box := parse_box_header(data, offset)) is not None:
        end = len(data) if box.size is None else box.offset + box.size
        if box.type == "moov":
            return _mvhd_in(data[box.payload_offset : min(end, len(data))])
        if box.size is None:
            return None
        offset = end
    return None


def _mvhd_in(moov_payload: bytes) -> int | None:
    offset = 0
    while (child := parse_box_header(moov_payload, offset)) is not None:
        if child.type == "mvhd":
            end = len(moov_payload) if child.size is None else child.offset + child.size
            return parse_mvhd_duration_ms(moov_payload[child.payload_offset : end])
        if child.size is None:
            return None
        offset = child.offset + child.size
    return None


ReadRange = Callable[[int, int], Awaitable[bytes]]
"""`await read_range(start, length)` -> up to `length` bytes of the stored file from `start`."""


async def probe_mp4_duration_ms(read_range: ReadRange, file_size: int) -> int | None:
    """Duration of a stored movie, by hopping over top-level boxes with small ranged reads.

    With a `MediaStore`: `await probe_mp4_duration_ms(lambda s, n: store.read_range(key, s, n), size)`.
    None when the file has no readable movie header.
    """
    offset = 0
    for _ in range(_MAX_TOP_LEVEL_BOXES):
        if offset + 8 > file_size:
            return None
        box = parse_box_header(await read_range(offset, 16))
        if box is None:
            return None
        size = file_size - offset if box.size is None else box.size
        if box.type == "moov":
            moov = await read_range(offset, min(size, MAX_MOOV_READ))
            return _mvhd_in(moov[box.header_size :])
        if box.size is None:
            return None
        offset += size
    return None
