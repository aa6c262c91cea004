"""Google's encoded polyline format, decoded with numpy.

Navigation apps send routes as encoded polylines because they are a fifth of
the size of JSON coordinates. A 10,000-vertex route is ~100,000 characters,
so decoding is vectorised rather than a per-character Python loop.

Format (https://developers.google.com/maps/documentation/utilities/polylinealgorithm):
each value is a signed delta from the previous one, scaled by 10**precision,
zig-zag encoded, split into 5-bit chunks (least significant first), each
chunk + 63 as one ASCII character, with 0x20 set on every chunk but a value's
last. Values alternate latitude, longitude.
"""
from __future__ import annotations

import numpy as np

PRECISIONS = (5, 6)  # 5: Google Maps; 6: OSRM, Valhalla, HERE flexible polyline's common choice
# A 32-bit-range delta needs at most 7 chunks; more means garbage, and would overflow int64 shifts.
_MAX_CHUNKS = 7


def decode_polyline(text: str, precision: int = 5) -> np.ndarray:
    """The (n, 2) array of (lon, lat) encoded in ``text``; ValueError, with the reason, if malformed."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {', '.join(map(str, PRECISIONS))}, got {precision!r}")
    if not isinstance(text, str):
        raise ValueError(f"expected a string, got {type(text).__name__}")
    try:
        raw = np.frombuffer(text.encode("ascii"), dtype=np.uint8)
    except UnicodeEncodeError:
        raise ValueError("contains a character outside ASCII 63-126") from None
    if raw.size == 0:
        return np.empty((0, 2))
    bad = np.flatnonzero((raw < 63) | (raw > 126))
    if bad.size:
        raise ValueError(f"character {text[bad[0]]!r} at position {bad[0]} is outside ASCII 63-126")
    chunks = raw.astype(np.int64) - 63
    last = (chunks & 0x20) == 0  # the chunk that ends a value
    if not last[-1]:
        raise ValueError("ends in the middle of a value (truncated?)")
    ends = np.flatnonzero(last)
    starts = np.concatenate(([0], ends[:-1] + 1))
    lengths = ends - starts + 1
    if lengths.max() > _MAX_CHUNKS:
        where = int(starts[np.argmax(lengths > _MAX_CHUNKS)])
        raise ValueError(f"value at position {where} is longer than {_MAX_CHUNKS} characters")
    # Position of each chunk within its value gives its shift: 0, 5, 10, ...
    within = np.arange(chunks.size) - np.repeat(starts, lengths)
    values = np.add.reduceat((chunks & 0x1F) << (5 * within), starts)
    deltas = np.where(values & 1, ~(values >> 1), values >> 1)
    if deltas.size % 2:
        raise ValueError(f"holds {deltas.size} numbers; a latitude lacks its longitude")
    lat_lon = np.cumsum(deltas.reshape(-1, 2), axis=0) / float(10**precision)
    return lat_lon[:, ::-1].copy()
