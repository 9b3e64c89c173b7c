"""A video's duration and its video track from the MP4/QuickTime `moov` box, without a media library.

Used to check that an upload really is a video (`check_movie`: a `trak` whose handler is `vide`,
with a sample table whose samples lie inside the file, and a plausible duration) and that a product
tag's `timestampMs` falls inside it. Only box headers and the movie box are read: a few small
ranged reads, whatever the size of the video, and wherever the encoder put the `moov` box (at the
start for "fast start" files, after the media data otherwise).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

MAX_MOOV_READ = 8 * 1024 * 1024
"""Bounds what is read of `moov`: its sample tables grow with the length of the video (a 10-minute
phone video has a few hundred KB of them)."""

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


# -- is it a video? ---------------------------------------------------------------------------------


def _children(payload: bytes) -> dict[str, list[bytes]]:
    """The payloads of the boxes directly inside `payload`, by type, in order."""
    found: dict[str, list[bytes]] = {}
    offset = 0
    while (child := parse_box_header(payload, offset)) is not None:
        end = len(payload) if child.size is None else child.offset + child.size
        if end > len(payload):
            break  # truncated box: ignore what it would have held
        found.setdefault(child.type, []).append(payload[child.payload_offset : end])
        if child.size is None:
            break
        offset = end
    return found


def _first(boxes: dict[str, list[bytes]], name: str) -> bytes | None:
    values = boxes.get(name)
    return values[0] if values else None


def _full_box_count(payload: bytes | None, at: int = 4) -> int:
    """The 32-bit count after a full box's version and flags (`at` bytes in), 0 when absent."""
    if payload is None or len(payload) < at + 4:
        return 0
    return int.from_bytes(payload[at : at + 4], "big")


def _video_track_problem(trak: bytes, file_size: int) -> str | None:
    """None when `trak` is a video track with a sample table inside the file, else what is wrong."""
    mdia = _first(_children(trak), "mdia")
    if mdia is None:
        return "no media box"
    parts = _children(mdia)
    hdlr = _first(parts, "hdlr")
    if hdlr is None or len(hdlr) < 12 or hdlr[8:12] != b"vide":
        return "not a video track"
    minf = _first(parts, "minf")
    stbl = _first(_children(minf), "stbl") if minf is not None else None
    if stbl is None:
        return "no sample table"
    table = _children(stbl)
    if _full_box_count(_first(table, "stsd")) < 1:
        return "no sample description"
    stsz, stz2 = _first(table, "stsz"), _first(table, "stz2")
    if stsz is not None:
        uniform = _full_box_count(stsz)
        count = _full_box_count(stsz, 8)
        sizes = [uniform] * count if uniform else _uint32s(stsz[12:], count)
    elif stz2 is not None:
        count = _full_box_count(stz2, 8)
        sizes = []  # compact sizes: only the count is checked
    else:
        return "no sample sizes"
    offsets = _chunk_offsets(table)
    if count < 1 or not offsets:
        return "no samples"
    if len(sizes) != (count if stsz is not None else 0) or sum(sizes) > file_size:
        return "samples larger than the file"
    if any(offset >= file_size for offset in offsets):
        return "samples outside the file"
    return None


def _uint32s(data: bytes, count: int) -> list[int]:
    usable = min(count, len(data) // 4)
    return [int.from_bytes(data[i * 4 : i * 4 + 4], "big") for i in range(usable)]


def _chunk_offsets(table: dict[str, list[bytes]]) -> list[int]:
    stco, co64 = _first(table, "stco"), _first(table, "co64")
    if stco is not None:
        return _uint32s(stco[8:], _full_box_count(stco))
    if co64 is not None:
        count = min(_full_box_count(co64), (len(co64) - 8) // 8)
        return [int.from_bytes(co64[8 + i * 8 : 16 + i * 8], "big") for i in range(max(count, 0))]
    return []


@dataclass(frozen=True)
class MovieCheck:
    duration_ms: int | None
    problem: str | None
    """None for a movie with a readable header and at least one real video track."""


def check_moov(moov_payload: bytes, file_size: int) -> MovieCheck:
    """Duration, and whether the movie box describes a video track whose samples are in the file."""
    boxes = _children(moov_payload)
    duration = _mvhd_in(moov_payload)
    if duration is None:
        return MovieCheck(None, "The video has no readable movie header.")
    fragmented = "mvex" in boxes  # fragmented MP4: samples are described in `moof` boxes
    problems = []
    for trak in boxes.get("trak", []):
        problem = _video_track_problem(trak, file_size)
        if problem is None or (fragmented and problem in {"no samples", "no sample sizes"}):
            return MovieCheck(duration, None)
        problems.append(problem)
    return MovieCheck(duration, "The file has no video track" + (f" ({problems[0]})." if problems else "."))


async def probe_movie(read_range: ReadRange, file_size: int) -> MovieCheck:
    """`check_moov` of a stored file, finding `moov` by hopping over top-level boxes."""
    offset = 0
    for _ in range(_MAX_TOP_LEVEL_BOXES):
        if offset + 8 > file_size:
            break
        box = parse_box_header(await read_range(offset, 16))
        if box is None:
            break
        size = file_size - offset if box.size is None else box.size
        if box.type == "moov":
            if size > MAX_MOOV_READ:
                return MovieCheck(None, "The video's movie header is too large.")
            moov = await read_range(offset, size)
            return check_moov(moov[box.header_size :], file_size)
        if box.size is None:
            break
        offset += size
    return MovieCheck(None, "The video has no readable movie header.")
