"""TomTom OV2: binary simple-POI records, one per shop.

Each record: type byte ``2``; the record's total length as a 4-byte
little-endian integer (13-byte header + name + terminating NUL); longitude
and latitude × 100000, rounded, as 4-byte little-endian signed integers; the
name, NUL-terminated. No skipper (type 1) records: they only speed up a
device's search of large files, and every reader accepts a file without them.

Names are UTF-8. The trade-off: many TomTom devices assume Latin-1/ASCII and
show UTF-8 as mojibake, but Latin-1 cannot carry Hangul at all, so for Korean
shop names UTF-8 is the only encoding that loses nothing; newer devices and
desktop tools (e.g. TomTom MyDrive, GPSBabel) read it. NUL characters in a
name are dropped, since they would end it early.
"""
from __future__ import annotations

import struct
from typing import Any, Iterator, Mapping

from ..model import QueryResult, Store

SIMPLE_POI = 2
HEADER = struct.Struct("<Biii")  # type, total length, lon × 1e5, lat × 1e5
SCALE = 100_000
ENCODING = "utf-8"


def record(store: Store) -> bytes:
    name = store.name.replace("\x00", "").encode(ENCODING, errors="replace") + b"\x00"
    return HEADER.pack(SIMPLE_POI, HEADER.size + len(name), round(store.lon * SCALE), round(store.lat * SCALE)) + name


def stream(result: QueryResult, options: Mapping[str, Any] | None = None) -> Iterator[bytes]:
    """One record per shop; the format has no header or footer."""
    for store in result.stores:
        yield record(store)


def serialize(result: QueryResult, options: Mapping[str, Any] | None = None) -> bytes:
    return b"".join(stream(result, options))
