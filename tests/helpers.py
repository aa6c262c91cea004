"""Helpers the test modules share: reference encoders, requests made the way apps make them, checks."""
from __future__ import annotations


def encode_polyline(points, precision: int = 5) -> str:
    """Google's algorithm, written out plainly: the reference the decoder is checked against."""
    factor = 10**precision
    out, prev_lat, prev_lon = [], 0, 0
    for lon, lat in points:
        lat_i, lon_i = round(lat * factor), round(lon * factor)
        for delta in (lat_i - prev_lat, lon_i - prev_lon):
            value = ~(delta << 1) if delta < 0 else delta << 1
            while value >= 0x20:
                out.append(chr((0x20 | (value & 0x1F)) + 63))
                value >>= 5
            out.append(chr(value + 63))
        prev_lat, prev_lon = lat_i, lon_i
    return "".join(out)
