"""Helpers the test modules share: reference encoders, requests made the way apps make them, checks."""
from __future__ import annotations

import io

import numpy


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


# -- lists and requests as the admin API and navigation apps send them ---------------------------

CSV_HEADER = "업체명,업종,주소,전화번호,선정연도,창업연도,위도,경도\n"
# Three shops around 종로 with supplied coordinates, one further away in 부산.
GOOD_ROWS = (
    "을지면옥,음식점업,서울특별시 중구 충무로14길 2-1,02-2266-7052,2019,1985,37.5670,126.9918\n"
    "이문설농탕,음식점업,서울특별시 종로구 우정국로 38-13,02-733-6526,2018,1904,37.5720,126.9855\n"
    "인사동 필방,소매업,서울특별시 종로구 인사동길 12 (관훈동),02-735-0000,2020,1950,37.5735,126.9858\n"
    "부산 밀면집,음식점업,부산광역시 중구 광복로 1,051-000-0000,2021,1960,35.0990,129.0300\n"
)
GOOD_CSV = (CSV_HEADER + GOOD_ROWS).encode("utf-8")
NEW_CSV = (CSV_HEADER + "새 가게,음식점업,서울특별시 종로구 종로 1,02-000-0000,2022,1970,37.5703,126.9793\n").encode()
BAD_CSV = (CSV_HEADER + GOOD_ROWS + ",음식점업,서울특별시 종로구 종로 2,02-1,2019,1990,37.57,126.98\n").encode()


def upload(client, headers, data: bytes, name: str = "list.csv", **options):
    return client.post(
        "/admin/v1/uploads",
        data={"file": (io.BytesIO(data), name), **{k: str(v).lower() for k, v in options.items()}},
        headers=headers,
        content_type="multipart/form-data",
    )


def nearby(client, **params):
    query = {"lat": "37.5704", "lon": "126.9910", "radius": "3000", **params}
    return client.get("/v1/stores/nearby", query_string=query)


def assert_problem(response, status: int, parameter: str | None = None):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.get_json(force=True)
    assert body["status"] == status
    assert body["type"].startswith("https://")
    assert isinstance(body["title"], str) and body["title"]
    assert isinstance(body["detail"], str) and body["detail"]
    if parameter is not None:
        assert body["parameter"] == parameter
        assert parameter in body["detail"]
    return body


def assert_nearest_prefix(found, everything, limit):
    """``found`` is the first ``limit`` of ``everything`` (nearest first), shops at the same distance in any order."""
    expected = everything[:limit]
    assert len(found) == len(expected)
    assert numpy.allclose([d for _, d in found], [d for _, d in expected], atol=1e-6)
    for (shop, distance), (want, _) in zip(found, expected):
        if shop != want:  # only a tie may change the order, or which of the tied shops make the cut
            tied = {s for s, d in everything if abs(d - distance) <= 1e-6}
            assert shop in tied and want in tied


# -- named admin tokens, and lists whose shops carry ids ----------------------------------------

ALICE = "alice-token-0123456789"
BOB = "bob-read-token-0123456789"
TOKENS = f"alice:{ALICE},bob:{BOB}:read"
AS_ALICE = {"Authorization": f"Bearer {ALICE}"}
AS_BOB = {"Authorization": f"Bearer {BOB}"}

# Each shop carries an id column, so the same shop keeps its id whatever else changes.
HEADER = "관리번호," + CSV_HEADER
ROW_A = "A-1,을지면옥,음식점업,서울특별시 중구 충무로14길 2-1,02-2266-7052,2019,1985,37.5670,126.9918\n"
ROW_B = "A-2,이문설농탕,음식점업,서울특별시 종로구 우정국로 38-13,02-733-6526,2018,1904,37.5720,126.9855\n"
ROW_C = "A-3,인사동 필방,소매업,서울특별시 종로구 인사동길 12 (관훈동),02-735-0000,2020,1950,37.5735,126.9858\n"
ROW_B_NEW_PHONE = ROW_B.replace("02-733-6526", "02-733-0000")
ROW_D = "A-4,새 가게,음식점업,서울특별시 종로구 종로 1,02-000-0000,2022,1970,37.5703,126.9793\n"


def csv(*rows: str) -> bytes:
    return (HEADER + "".join(rows)).encode("utf-8")


def live_ids(client) -> list[str]:
    return sorted(item["id"] for item in nearby(client, radius="50000", limit="200").get_json()["items"])


def uploaded(client, data: bytes, **options) -> int:
    response = upload(client, AS_ALICE, data, **options)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["version"]
