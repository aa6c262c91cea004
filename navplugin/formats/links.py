"""Deep links that open route guidance to a shop in the common Korean navigation apps.

Each app has its own URL scheme and its own coordinate order, and this is the
one place that knows them; the table ``_LINKS`` holds one small builder per app.
Links route to the shop's entrance when a provider knows it (a driver should
arrive at the door, not at the middle of the building), else to the shop's point.

Every value is percent-encoded as UTF-8 with nothing left "safe", so a name
with ``&``, ``=``, ``#``, ``?``, ``/``, ``,`` or ``+`` cannot break the link
apart; spaces become ``%20`` (not ``+``, which some app URL parsers keep literally).
"""
from __future__ import annotations

from typing import Callable
from urllib.parse import quote

from ..model import Store

__all__ = ["deep_links", "LINK_NAMES"]

COORDINATE_DECIMALS = 7  # about 1 cm


def _enc(value: str) -> str:
    return quote(value, safe="")


def _query(*pairs: tuple[str, str]) -> str:
    return "&".join(f"{key}={_enc(value)}" for key, value in pairs)


def _tmap(lon: str, lat: str, name: str, app_name: str) -> str:
    # x is longitude, y latitude.
    return "tmap://route?" + _query(("goalx", lon), ("goaly", lat), ("goalname", name))


def _kakaomap(lon: str, lat: str, name: str, app_name: str) -> str:
    # ep is "lat,lng" with a literal comma; without sp the route starts at the current position.
    return f"kakaomap://route?ep={lat},{lon}&by=CAR"


def _kakaomap_web(lon: str, lat: str, name: str, app_name: str) -> str:
    # Works without the app. The path is "name,lat,lng": commas separate the parts,
    # so a comma (or slash) in the name must be encoded, which _enc does.
    return f"https://map.kakao.com/link/to/{_enc(name)},{lat},{lon}"


def _naver(lon: str, lat: str, name: str, app_name: str) -> str:
    # "navigation" starts turn-by-turn guidance ("route/car" would only preview the route);
    # appname is required by Naver on every call.
    return "nmap://navigation?" + _query(("dlat", lat), ("dlng", lon), ("dname", name), ("appname", app_name))


_LINKS: dict[str, Callable[[str, str, str, str], str]] = {
    "tmap": _tmap,
    "kakaomap": _kakaomap,
    "kakaomap_web": _kakaomap_web,
    "naver": _naver,
}

LINK_NAMES: tuple[str, ...] = tuple(_LINKS)


def deep_links(store: Store, *, app_name: str = "navplugin") -> dict[str, str]:
    """Links keyed by app (``tmap``, ``kakaomap``, ``kakaomap_web``, ``naver``) that route to ``store``.

    ``app_name`` is what Naver Map is told the caller is: the Android
    applicationId, the iOS bundle id, or the web page's URL.
    """
    if store.entrance_lon is not None and store.entrance_lat is not None:
        lon, lat = store.entrance_lon, store.entrance_lat
    else:
        lon, lat = store.lon, store.lat
    lon_text = f"{lon:.{COORDINATE_DECIMALS}f}"
    lat_text = f"{lat:.{COORDINATE_DECIMALS}f}"
    return {key: build(lon_text, lat_text, store.name, app_name) for key, build in _LINKS.items()}
