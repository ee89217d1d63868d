"""The record format of feature-cache shards: many checksummed entries appended to one file.

A shard is a sequence of records, each::

    header (31 bytes): b"AVBSHARD" | kind (1 byte: E entry, D dropped) | key length (2 bytes)
                       | body length (8 bytes) | stamp (8 bytes) | CRC-32 of the fields before it (4 bytes)
    key (ASCII, key length bytes)
    body (body length bytes): for an entry, a ``.npy`` payload plus the 48-byte checksum trailer of
                              :func:`avbench.cache.feature_cache.encode_entry`; empty for a drop

All integers little-endian. ``stamp`` orders the records of one key across shards (the newest wins;
a drop hides every older entry of its key). The header's own CRC lets a scan tell a damaged header
from a record: the scan stops there, names the shard and byte, and the entries after it count as
absent (recomputed). A record whose body runs past the end of the file is a truncated or unfinished
tail: absent too.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from typing import BinaryIO

SHARD_MAGIC = b"AVBSHARD"
_FIELDS = struct.Struct("<8scHQq")
_CRC = struct.Struct("<I")
HEADER_SIZE = _FIELDS.size + _CRC.size  # 31 bytes
ENTRY, DROPPED = b"E", b"D"
SHARD_SUFFIX = ".shard"


@dataclass(frozen=True)
class Record:
    """Where one record of a shard is: its key, kind, body span and stamp."""

    key: str
    kind: bytes
    body_offset: int
    body_length: int
    stamp: int


def encode_record(kind: bytes, key: str, body: bytes, stamp: int) -> bytes:
    """Header, key and body of one record, ready to append in one write."""
    key_bytes = key.encode("ascii")
    fields = _FIELDS.pack(SHARD_MAGIC, kind, len(key_bytes), len(body), stamp)
    return fields + _CRC.pack(zlib.crc32(fields)) + key_bytes + body


def scan_records(stream: BinaryIO, start: int, size: int) -> tuple[list[Record], int, str | None]:
    """Records from byte ``start`` up to ``size``: ``(records, end of the last whole record, damage)``.

    ``damage`` is None, or one phrase saying why the scan stopped before ``size`` (a bad header, or a
    record cut short). Bodies are skipped, not read: they are verified when loaded.
    """
    records: list[Record] = []
    offset = start
    stream.seek(start)
    while offset < size:
        if size - offset < HEADER_SIZE:
            return records, offset, f"{size - offset} bytes at byte {offset} are less than a record header (truncated)"
        header = stream.read(HEADER_SIZE)
        fields, (crc,) = header[:_FIELDS.size], _CRC.unpack(header[_FIELDS.size:])
        magic, kind, key_length, body_length, stamp = _FIELDS.unpack(fields)
        if magic != SHARD_MAGIC or zlib.crc32(fields) != crc or kind not in (ENTRY, DROPPED):
            return records, offset, f"damaged record header at byte {offset}; the entries after it are ignored"
        body_offset = offset + HEADER_SIZE + key_length
        if body_offset + body_length > size:
            return records, offset, f"the record at byte {offset} is cut short (truncated, or still being written)"
        try:
            key = stream.read(key_length).decode("ascii")
        except UnicodeDecodeError:
            return records, offset, f"damaged key at byte {offset}; the entries after it are ignored"
        records.append(Record(key, kind, body_offset, body_length, stamp))
        offset = body_offset + body_length
        stream.seek(offset)
    return records, offset, None
