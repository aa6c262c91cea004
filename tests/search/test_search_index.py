"""Search over the real sample list: a table of Korean queries, the exact-name property, and every
ranking against the plain per-shop definition of the tiers (``reference.py``)."""
from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from navplugin import query
from navplugin.model import Store
from navplugin.search import TIERS, Matcher, hangul
from navplugin.search.match import spelled
from navplugin.spatial.geodesy import ecef_point
from navplugin.spatial.index import StoreIndex
from tests.search import reference


def search(index: StoreIndex, text: str, limit: int = 200, **position) -> list[tuple[str, str]]:
    found = query.search(index, query.SearchQuery(text=text, limit=limit, **position))
    return [(store.id, TIERS[tier - 1]) for store, tier in zip(found.stores, found.measures["match_tier"])]


# (query, the first hits as (id, tier), read off the sample list's rows)
FIRST_HITS = [
    ("낙원아구찜", [("HND003131", "exact")]),
    ("낙원 아구찜", [("HND003131", "exact")]),  # spacing ignored
    ("도투리샤브칼국수불광천", [("20230021133", "exact")]),  # the name is 도투리 샤브칼국수 불광천
    ("도투리 샤브 칼국수 불광천", [("20230021133", "exact")]),
    ("도투리", [("20230021133", "prefix")]),
    ("불광천", [("20230021133", "word")]),
    ("불광천 도투리", [("20230021133", "word")]),
    ("브칼국", [("20230021133", "substring")]),
    ("ㄴㅇㅇㄱㅉ", [("HND003131", "initials")]),  # 초성
    ("ㄷㅌㄹ ㅅㅂ", [("20230021133", "initials")]),
    ("낙원아구찐", [("HND003131", "typo")]),  # one key wrong: ㅁ -> ㄴ
    ("나권아구찜", [("HND003131", "typo")]),  # one key missing: ㅇ, so 낙원 became 나권
    ("도토리 샤브", [("20230021133", "typo")]),  # ㅜ -> ㅗ
    ("궁중삼게탕", [("HND004177", "exact"), ("20240060888", "typo")]),  # the list spells both
    ("궁중삼계탕", [("20240060888", "exact"), ("HND004177", "typo")]),
    ("pnb", [("HND003039", "word")]),  # 피엔비 (PNB): Latin, any case
    ("PnB", [("HND003039", "word")]),
    ("피엔비 PNB", [("HND003039", "exact")]),
    ("은혜반찬 2", [("HND004350", "exact")]),  # 은혜반찬2
    ("반찬2", [("HND004350", "substring")]),
    ("안다미로 카페오리", [("HND003087", "exact")]),  # 안다미로&카페오리
    ("김영모과자점", [("HND004286", "exact")]),  # (주)김영모과자점
    ("삼원가든", [("HND003111", "exact")]),  # ㈜삼원가든
    ("영양숯불갈비", [("20240059913", "exact")]),  # 주식회사 영양숯불갈비
    ("낙원동", [("HND003131", "field")]),  # an address word: 삼일대로 436(낙원동)
    # 동강오리 (서울 중랑구 용마산로), 청평매운탕 (서울시 중랑구 공릉로): by name, as no position is given
    ("서울시 중랑구", [("HND002292", "field"), ("HND003136", "field")]),
    ("증산로 303", [("20230021133", "field")]),
]


@pytest.mark.parametrize(("text", "first"), FIRST_HITS, ids=[text for text, _ in FIRST_HITS])
def test_real_queries_find_the_real_shops(sample_index, text, first):
    assert search(sample_index, text)[:len(first)] == first


# (query, how the sample's own rows say which shops match, the tier they all match in)
def _named(part):
    return lambda row: part in row["업체명"]


ALL_HITS = [
    ("은평구", lambda row: " 은평구 " in row["주소"], "field"),
    ("수성구 식당", lambda row: " 수성구 " in row["주소"] and "식당" in row["업체명"], "field"),
    ("충북", lambda row: row["주소"].startswith(("충청북도", "충북 ")), "field"),
    # renamed 강원특별자치도 in 2023, written 강원 too; and 강원도집 (in 대구) by its name
    ("강원도", lambda row: row["주소"].startswith(("강원도", "강원특별자치도", "강원 ")) or "강원도" in row["업체명"],
     None),
    ("칼국수", _named("칼국수"), None),
    ("원조", _named("원조"), None),
    ("막국수", _named("막국수"), None),
]


@pytest.mark.parametrize(("text", "matching", "tier"), ALL_HITS, ids=[text for text, *_ in ALL_HITS])
def test_every_matching_shop_is_found(sample_index, sample_rows, text, matching, tier):
    expected = {row["접수번호"] for row in sample_rows if matching(row)}
    found = search(sample_index, text)
    assert expected and {shop for shop, _ in found} == expected
    if tier is not None:
        assert {found_tier for _, found_tier in found} == {tier}


def test_a_prefix_comes_before_the_same_text_inside_a_name(sample_index, sample_rows):
    found = search(sample_index, "원조")
    starting = {row["접수번호"] for row in sample_rows if row["업체명"].startswith("원조")}  # 원조설렁탕, ...
    assert len(starting) >= 4 and {shop for shop, _ in found[:len(starting)]} == starting
    assert {tier for _, tier in found[:len(starting)]} == {"prefix"}
    later = [tier for _, tier in found[len(starting):]]
    assert later and later == sorted(later, key=TIERS.index) and set(later) <= {"word", "substring"}
    by_name = {row["접수번호"]: row["업체명"] for row in sample_rows}
    assert ("부산 원조 꼼장어맛집 성일집", "word") in {(by_name[shop], tier) for shop, tier in found}
    assert ("삼천포원조 삼학물회", "substring") in {(by_name[shop], tier) for shop, tier in found}


def test_with_a_position_the_nearest_comes_first_within_a_tier(sample_index):
    daejeon = {"lat": 36.351, "lon": 127.385}
    found = query.search(sample_index, query.SearchQuery(text="칼국수", limit=10, **daejeon))
    assert found.stores[0].name == "동원손칼국수"  # 대전 서구; the other three are in 경기, 충남, 서울
    distances = found.measures["distance_m"]
    assert distances == sorted(distances) and len(found.measures["bearing_deg"]) == len(found)
    # a better tier still comes first, however far: 결성칼국수 (홍성) is exact, 대전's substring
    found = query.search(sample_index, query.SearchQuery(text="결성칼국수", limit=3, **daejeon))
    assert [store.name for store in found.stores][:1] == ["결성칼국수"]
    assert found.measures["match_tier"][0] == 1 and found.measures["distance_m"][0] > 50_000


def test_pages_follow_one_another(sample_index):
    everything = search(sample_index, "식당")
    assert len(everything) > 30
    pages, offset = [], 0
    while True:
        found = query.search(sample_index, query.SearchQuery(text="식당", limit=7, offset=offset))
        pages += [store.id for store in found.stores]
        if found.next_cursor is None:
            break
        offset += 7
    assert pages == [shop for shop, _ in everything]


def test_category_narrows_a_search(sample_index):
    assert search(sample_index, "식당")
    found = query.search(sample_index, query.SearchQuery(text="식당", limit=20, category="소매업"))
    assert len(found) == 0
    found = query.search(sample_index, query.SearchQuery(text="식당", limit=20, category="음식점업"))
    assert len(found) == 20


# -- every ranking against the plain definition ----------------------------------------------------

def _queries(stores: list[Store]) -> list[str]:
    """Queries of every kind drawn from the real shops: names, parts of names, 초성, typos, address words."""
    pick = random.Random(20260)
    made = [text for text, _ in FIRST_HITS] + [text for text, *_ in ALL_HITS] + ["식당", "ㄱ", "가", "2", "a"]
    for store in pick.sample(stores, 60):
        name = hangul.normalize(store.name)
        start = pick.randrange(len(name))
        made.append(name[start:start + pick.randint(1, 4)])
        made.append(hangul.initials(name)[:pick.randint(2, 5)])
        made.append(pick.choice((store.address or "").split() or ["x"]))
        keys = list(hangul.keystrokes(name))
        if len(keys) > 6:
            keys[pick.randrange(len(keys))] = pick.choice("ㄱㅏㅁㅗ")
            made.append("".join(keys))  # keystrokes as text: no syllable left, so a typo of nothing
        made.append(name[:-1] + chr(ord(name[-1]) + 1) if "가" <= name[-1] < "힣" else name)
    return made


def test_every_ranking_agrees_with_the_plain_definition(sample_index, sample_stores):
    """All hits, in order, as sorting every shop by (tier, name) gives; and with a position, by distance."""
    text_index = sample_index.text
    for text in _queries(sample_stores):
        if not hangul.normalize(text):
            continue
        tiers = {store.id: reference.tier(store, text) for store in sample_index.stores}
        expected = sorted((TIERS.index(tier), text_index.name_rank[sample_index.by_id[shop]], shop)
                          for shop, tier in tiers.items() if tier is not None)
        found = search(sample_index, text, limit=200)
        assert found == [(shop, TIERS[tier]) for tier, _, shop in expected][:200], text
        matcher = Matcher(text_index, text)
        assert all(matcher.matches(p) == (tiers[store.id] is not None) for p, store in enumerate(sample_index.stores))


def test_rankings_with_a_position_are_nearest_first_in_each_tier(sample_index, sample_stores):
    import numpy as np

    origin = ecef_point(126.99, 37.57)
    for text in _queries(sample_stores)[::3]:
        if not hangul.normalize(text):
            continue
        found = query.search(sample_index, query.SearchQuery(text=text, limit=200, lat=37.57, lon=126.99))
        tiers = found.measures["match_tier"]
        assert tiers == sorted(tiers), text
        chords = [float(np.linalg.norm(sample_index.xyz[sample_index.by_id[s.id]] - origin)) for s in found.stores]
        for i in range(1, len(found)):
            if tiers[i] == tiers[i - 1] and tiers[i] != 1:  # exact: the same spelling first, then distance
                assert chords[i] >= chords[i - 1] - 1e-3, text


# -- the exact name always comes first -------------------------------------------------------------

@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_a_shops_own_name_finds_it_first_in_the_sample(sample_index, sample_stores, data):
    store = data.draw(st.sampled_from(sample_stores))
    typed = data.draw(st.sampled_from([store.name, store.name.replace(" ", ""), store.name.upper(),
                                       " ".join(store.name)]))
    found = query.search(sample_index, query.SearchQuery(text=typed, limit=50))
    assert hangul.normalize(found.stores[0].name) == hangul.normalize(store.name)
    exact = [hit for hit, tier in zip(found.stores, found.measures["match_tier"]) if tier == 1]
    assert store in exact


alphabet = st.sampled_from(list("가나다라낙원아구찜 pP2-(주)"))
shop_names = st.text(alphabet, min_size=1, max_size=8).filter(lambda name: hangul.normalize(name) != "")


@settings(max_examples=150, deadline=None)
@given(st.lists(shop_names, min_size=1, max_size=25), st.data())
def test_a_shops_exact_name_finds_it_first(names, data):
    """Generated lists with many near-duplicate names (spacing, case, legal forms): the first hit is
    spelt as the query, and the shop is among the exact-name hits."""
    stores = [Store(id=f"s{i:03d}", name=name, lon=127.0 + i * 1e-3, lat=37.5, provider="supplied",
                    precision="supplied") for i, name in enumerate(names)]
    index = StoreIndex(stores, version=1)
    store = data.draw(st.sampled_from(stores))
    position = data.draw(st.sampled_from([{}, {"lat": 37.5, "lon": 127.01}]))
    found = query.search(index, query.SearchQuery(text=store.name, limit=200, **position))
    assume(len(found) < 200)
    assert spelled(found.stores[0].name) == spelled(store.name)
    exact = [hit for hit, tier in zip(found.stores, found.measures["match_tier"]) if tier == 1]
    assert store in exact
    assert all(hangul.normalize(hit.name) == hangul.normalize(store.name) for hit in exact)


def test_large_tiers_read_nearest_first_rank_as_when_ordered_whole(sample_index, sample_stores, monkeypatch):
    """A tier of many candidates is read from the KD-tree, nearest first: the same answer, pages too."""
    from navplugin.search import match

    asked = [text for text in _queries(sample_stores)[::2] if hangul.normalize(text)]
    places = [{"lat": 37.57, "lon": 126.99}, {"lat": 35.1, "lon": 129.0}, {"lat": 36.0, "lon": 127.5}]

    def answers():
        found = []
        for i, text in enumerate(asked):
            for offset in (0, 5):
                result = query.search(sample_index, query.SearchQuery(text=text, limit=7, offset=offset,
                                                                      **places[i % 3]))
                found.append(([s.id for s in result.stores], result.measures["match_tier"],
                              result.measures["distance_m"], result.next_cursor))
        return found

    whole = answers()
    monkeypatch.setattr(match, "NEAREST_FIRST_ABOVE", 0)
    assert answers() == whole


def test_an_empty_list_finds_nothing():
    empty = StoreIndex([], version=None)
    found = query.search(empty, query.SearchQuery(text="낙원아구찜", limit=20, lat=37.5, lon=127.0))
    assert len(found) == 0 and found.next_cursor is None
    assert len(query.nearby(empty, query.NearbyQuery(37.5, 127.0, 3000, 20, None, "낙원"))) == 0
