"""Overrides applied to shops: what they replace, what they remember, what a pin move implies."""
from __future__ import annotations

from navplugin.curation import apply_override, apply_overrides, original
from navplugin.model import Store
from navplugin.store.overrides import Override

GEOCODED = Store(id="A-1", name="을지면옥", lon=126.9918, lat=37.5670, provider="juso", precision="entrance",
                 address="서울특별시 중구 충무로14길 2-1", phone="02-2266-7052",
                 entrance_lon=126.9919, entrance_lat=37.5671, district_check="verified")


def district(address, lon, lat):
    """Stands in for the region lookup: 'mismatch' east of 127.0, as if that were another district."""
    return "mismatch" if lon > 127.0 else "verified"


def test_moving_the_pin_makes_it_manual_and_drops_the_old_entrance():
    moved = apply_override(GEOCODED, {"lon": 126.9920, "lat": 37.5668}, district)
    assert (moved.lon, moved.lat, moved.precision, moved.provider) == (126.9920, 37.5668, "manual", "admin")
    assert (moved.entrance_lon, moved.entrance_lat) == (None, None)
    assert moved.accuracy_m == 10.0  # an admin's pin: small
    assert moved.overridden == {"lon": 126.9918, "lat": 37.5670, "precision": "entrance", "provider": "juso",
                                "entrance_lon": 126.9919, "entrance_lat": 37.5671, "accuracy_m": 15.0}
    assert original(moved) == GEOCODED


def test_pin_and_entrance_together_keep_the_given_entrance():
    moved = apply_override(GEOCODED, {"lon": 126.9920, "lat": 37.5668, "entrance_lon": 126.9921,
                                      "entrance_lat": 37.5669}, district)
    assert (moved.entrance_lon, moved.entrance_lat) == (126.9921, 37.5669)


def test_district_check_follows_the_moved_pin():
    assert apply_override(GEOCODED, {"lon": 127.01, "lat": 37.5668}, district).district_check == "mismatch"
    assert apply_override(GEOCODED, {"phone": "02-1"}, district).district_check == "verified"


def test_a_new_override_starts_from_the_original_not_the_last_override():
    renamed = apply_override(GEOCODED, {"name": "을지면옥 본점"}, district)
    again = apply_override(renamed, {"phone": "02-1"}, district)
    assert (again.name, again.phone) == ("을지면옥", "02-1")
    assert again.overridden == {"phone": "02-2266-7052"}


def test_an_override_equal_to_the_list_changes_nothing():
    same = apply_override(GEOCODED, {"phone": "02-2266-7052"}, district)
    assert same == GEOCODED and same.overridden == {}


def test_standing_overrides_over_an_uploaded_list():
    other = Store(id="A-2", name="이문설농탕", lon=126.9855, lat=37.5720, provider="supplied", precision="supplied")
    gone = Store(id="A-3", name="폐업", lon=126.98, lat=37.57, provider="supplied", precision="supplied")
    standing = {"A-1": Override("A-1", {"phone": "02-9"}), "A-3": Override("A-3", {}, revoked=True)}
    kept, applied, revoked = apply_overrides([GEOCODED, other, gone], standing, district)
    assert [s.id for s in kept] == ["A-1", "A-2"] and kept[0].phone == "02-9" and kept[1] is other
    assert (applied, revoked) == (1, ["A-3"])


def test_a_pin_of_a_shop_with_only_a_jibun_address_is_checked_against_it():
    seen = []

    def recording(address, lon, lat):
        seen.append(address)
        return "mismatch"

    jibun_only = Store(id="J-1", name="지번 가게", lon=126.98, lat=37.57, provider="offline", precision="emd",
                       jibun_address="서울특별시 종로구 관훈동 1")
    moved = apply_override(jibun_only, {"lon": 129.07, "lat": 35.18}, recording)
    assert seen == ["서울특별시 종로구 관훈동 1"] and moved.district_check == "mismatch"
