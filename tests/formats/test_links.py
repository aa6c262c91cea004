"""Deep links: every link parsed back with urllib.parse, per app scheme, host, path and parameters."""
from __future__ import annotations

from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from navplugin.formats.links import LINK_NAMES, deep_links
from navplugin.model import Store

# Longitude and latitude far apart, so a swapped order can never pass.
SHOP = (126.9783881, 37.5666102)
ENTRANCE = (126.9781234, 37.5661111)

AWKWARD_NAMES = [
    "백년가게",
    "Tom & Jerry",
    "a=b",
    "Café #1",
    "really?",
    "two  spaces ",
    "Kim, Lee, Park",
    "50% off + more",
    "a/b\\c;d:e@f$g",
    "떡볶이🍜 & 순대 = 최고? #1, 진짜",
    "👨‍👩‍👧 family",
    "%20 not a space",
    "",
]


def make_store(name: str = "백년가게", entrance: tuple[float, float] | None = None,
               point: tuple[float, float] = SHOP) -> Store:
    return Store(id="s1", name=name, lon=point[0], lat=point[1], provider="supplied", precision="supplied",
                 entrance_lon=None if entrance is None else entrance[0],
                 entrance_lat=None if entrance is None else entrance[1])


def query(link: str) -> dict[str, str]:
    parsed = parse_qs(urlsplit(link).query, keep_blank_values=True, strict_parsing=False)
    assert all(len(values) == 1 for values in parsed.values()), link
    return {key: values[0] for key, values in parsed.items()}


def kakao_web_parts(link: str) -> tuple[str, str, str]:
    path = urlsplit(link).path
    assert path.startswith("/link/to/")
    parts = path[len("/link/to/"):].split(",")
    assert len(parts) == 3, f"the name's commas must be encoded: {link}"
    return unquote(parts[0], errors="strict"), parts[1], parts[2]


def test_one_link_per_app():
    assert set(deep_links(make_store())) == {"tmap", "kakaomap", "kakaomap_web", "naver"} == set(LINK_NAMES)


@pytest.mark.parametrize("entrance", [None, ENTRANCE], ids=["shop point", "entrance"])
def test_each_app_gets_its_own_scheme_and_coordinate_order(entrance):
    links = deep_links(make_store(entrance=entrance))
    lon, lat = entrance or SHOP
    lon_text, lat_text = f"{lon:.7f}", f"{lat:.7f}"

    tmap = urlsplit(links["tmap"])
    assert (tmap.scheme, tmap.netloc, tmap.path) == ("tmap", "route", "")
    assert query(links["tmap"]) == {"goalx": lon_text, "goaly": lat_text, "goalname": "백년가게"}

    kakao = urlsplit(links["kakaomap"])
    assert (kakao.scheme, kakao.netloc, kakao.path) == ("kakaomap", "route", "")
    assert query(links["kakaomap"]) == {"ep": f"{lat_text},{lon_text}", "by": "CAR"}
    assert f"ep={lat_text},{lon_text}&" in links["kakaomap"]  # a literal comma, as Kakao documents

    web = urlsplit(links["kakaomap_web"])
    assert (web.scheme, web.netloc, web.query, web.fragment) == ("https", "map.kakao.com", "", "")
    assert kakao_web_parts(links["kakaomap_web"]) == ("백년가게", lat_text, lon_text)

    naver = urlsplit(links["naver"])
    assert (naver.scheme, naver.netloc, naver.path) == ("nmap", "navigation", "")
    assert query(links["naver"]) == {"dlat": lat_text, "dlng": lon_text, "dname": "백년가게",
                                     "appname": "navplugin"}


def test_entrance_is_preferred_over_the_shop_point():
    links = deep_links(make_store(entrance=ENTRANCE))
    for link in links.values():
        assert f"{ENTRANCE[1]:.7f}" in link and f"{ENTRANCE[0]:.7f}" in link
        assert f"{SHOP[1]:.7f}" not in link and f"{SHOP[0]:.7f}" not in link


def test_half_known_entrance_falls_back_to_the_shop_point():
    store = Store(id="s1", name="x", lon=SHOP[0], lat=SHOP[1], provider="supplied", precision="supplied",
                  entrance_lon=ENTRANCE[0], entrance_lat=None)
    assert query(deep_links(store)["tmap"])["goalx"] == f"{SHOP[0]:.7f}"


def test_coordinates_have_seven_decimals():
    links = deep_links(make_store(point=(127.0, 37.123456789)))
    params = query(links["naver"])
    assert params["dlng"] == "127.0000000"
    assert params["dlat"] == "37.1234568"


def test_app_name_goes_to_naver_only_and_is_encoded():
    links = deep_links(make_store(), app_name="https://example.com/shops?id=1&x=2")
    assert query(links["naver"])["appname"] == "https://example.com/shops?id=1&x=2"
    assert "example.com" not in links["tmap"] + links["kakaomap"] + links["kakaomap_web"]


@pytest.mark.parametrize("name", AWKWARD_NAMES)
def test_names_survive_decoding_exactly(name):
    links = deep_links(make_store(name=name))
    assert query(links["tmap"])["goalname"] == name
    assert query(links["naver"])["dname"] == name
    assert kakao_web_parts(links["kakaomap_web"])[0] == name
    for link in links.values():
        # Nothing in a name may end the query or start a fragment, and spaces never appear raw.
        assert "#" not in link and " " not in link
        assert link.isascii()


def test_name_delimiters_do_not_add_parameters():
    links = deep_links(make_store(name="x&goalx=0&goaly=0#frag"))
    assert set(query(links["tmap"])) == {"goalx", "goaly", "goalname"}
    assert query(links["tmap"])["goalx"] == f"{SHOP[0]:.7f}"
    assert set(query(links["naver"])) == {"dlat", "dlng", "dname", "appname"}


@settings(max_examples=200, deadline=None)
@given(name=st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40))
def test_any_name_round_trips(name):
    links = deep_links(make_store(name=name))
    assert query(links["tmap"])["goalname"] == name
    assert query(links["naver"])["dname"] == name
    assert kakao_web_parts(links["kakaomap_web"])[0] == name
