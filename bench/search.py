"""Benchmark of Korean text search: text index build (time, memory) and query latency.

    .venv/bin/python bench/search.py [--sizes 905,1000000] [--queries 2000] [--seed 7]

Sizes: ``905`` is the real sample list (geodata/sample/certified_stores_2026.csv,
placed by the offline geocoder); any other size is synthetic. ``bench/synthetic.py``
names every shop ``백년<word> <n>호점``, far too uniform for text search (every
name shares 백년 and 호점), so the synthetic shops here are built from the real
list: a name is a stem of one real name (낙원, 도투리, 완산, ...) joined to the
ending of another (아구찜, 샤브칼국수, 식당, ...), often with a branch (강남점,
역삼점, 본점, 2호점), sometimes with Latin letters or digits (카페 PNB, 은혜반찬2);
an address is a real 시도/시군구 with a real road name, a building number and
often a (동); the points are ``synthetic.clustered_points``. Each size runs in a
fresh process, so one size's memory does not muddy the next.

Printed per size: the text index build (``SearchIndex``) in seconds, its memory
(tracemalloc peak and kept; numpy arrays included), and the latency of
``query.search`` for 20 results (p50/p99 in µs, single thread, in process)
for each kind of query, without and with a position; then ``nearby`` within
5 km narrowed by ``q``. Nothing is asserted; seeded, so a run is repeatable.
"""
from __future__ import annotations

import argparse
import csv
import gc
import random
import sys
import time
import tracemalloc
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from bench import synthetic  # noqa: E402
from navplugin.model import Store  # noqa: E402

SAMPLE = ROOT / "geodata" / "sample" / "certified_stores_2026.csv"
SAMPLE_SIZE = 905
LIMIT = 20
BRANCHES = ("본점", "직영점", "1호점", "2호점", "3호점", "역점", "시장점")
LATIN = ("PNB", "K", "BBQ", "GS", "the", "cafe", "No.1", "365", "24", "2")
NOUNS = ("카페", "베이커리", "반찬", "치킨", "분식", "식당", "회관", "가든")


def _syllables(text: str) -> str:
    return "".join(c for c in text if "가" <= c <= "힣")


def _sample_rows() -> list[dict[str, str]]:
    with open(SAMPLE, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def _parts() -> dict[str, list[str]]:
    """Name stems and endings, regions, roads and 동 of the real list."""
    stems, endings, regions, roads, dongs = set(), set(), set(), set(), set()
    for row in _sample_rows():
        name = _syllables(row["업체명"].replace("주식회사", "").replace("유한회사", ""))
        if len(name) >= 3:
            cut = 2 if len(name) <= 4 else 3
            stems.add(name[:cut])
            endings.add(name[cut:])
        words = row["주소"].replace(",", " ").replace("(", " (").split()
        if len(words) >= 3:
            regions.add(" ".join(words[:2]))
            roads.update(w for w in words[2:] if w.endswith(("로", "길")) and len(w) >= 2)
            dongs.update(w.strip("()") for w in words if w.strip("()").endswith("동") and len(w.strip("()")) >= 2)
    return {name: sorted(found) for name, found in
            (("stems", stems), ("endings", endings), ("regions", regions), ("roads", roads), ("dongs", dongs))}


def make_stores(size: int, seed: int) -> list[Store]:
    """``size`` shops with names and addresses recombined from the real list (see the module docstring)."""
    parts = _parts()
    rng = np.random.default_rng([seed, size])
    pick = random.Random(seed * 1_000_003 + size)
    lon, lat = synthetic.clustered_points(size, rng)
    branches = list(BRANCHES) + [d.removesuffix("동") + "점" for d in parts["dongs"]]
    stores = []
    for i, (x, y) in enumerate(zip(lon.tolist(), lat.tolist())):
        roll = pick.random()
        if roll < 0.03:
            name = f"{pick.choice(parts['stems'])}{pick.choice(NOUNS)} {pick.choice(LATIN)}"
        else:
            name = pick.choice(parts["stems"]) + pick.choice(parts["endings"])
            if roll < 0.55:
                name += " " + pick.choice(branches)
        address = f"{pick.choice(parts['regions'])} {pick.choice(parts['roads'])} {pick.randint(1, 999)}"
        if pick.random() < 0.7:
            address += f" ({pick.choice(parts['dongs'])})"
        store_id = f"S{i:08d}"
        stores.append(Store(id=store_id, name=name, lon=x, lat=y, provider="supplied", precision="supplied",
                            category=synthetic.CATEGORIES[int(pick.random() < 0.3)], address=address,
                            region=address.rsplit(" ", 2)[0]))
    return stores


def sample_stores() -> list[Store]:
    """The real sample list, read by the ingest code and placed by the offline geocoder."""
    from navplugin.geocode.offline import OfflineGeocoder
    from navplugin.ingest.pipeline import ingest
    from navplugin.model import Placement, Point

    geocoder = OfflineGeocoder()
    stores = []
    for row in ingest(SAMPLE.read_bytes(), SAMPLE.name).rows:
        found = geocoder.geocode(row.address)
        point = Point(found.longitude, found.latitude)
        stores.append(Store.placed(row, Placement(point, "offline", found.raw["precision"])))
    return stores


# -- queries -------------------------------------------------------------------------------------

SINGLE_KEY_VOWELS = "ㅏㅐㅑㅒㅓㅔㅕㅖㅗㅛㅜㅠㅡㅣ"


def _one_key_wrong(name: str, pick: random.Random) -> str | None:
    """``name`` with one syllable's vowel replaced by another one-key vowel: one keystroke wrong."""
    from navplugin.search.hangul import VOWELS

    places = [i for i, c in enumerate(name) if "가" <= c <= "힣" and VOWELS[(ord(c) - 0xAC00) % 588 // 28]
              in SINGLE_KEY_VOWELS]
    if not places:
        return None
    i = pick.choice(places)
    code = ord(name[i]) - 0xAC00
    vowel = VOWELS[code % 588 // 28]
    other = pick.choice([v for v in SINGLE_KEY_VOWELS if v != vowel])
    code += (VOWELS.index(other) - VOWELS.index(vowel)) * 28
    return name[:i] + chr(0xAC00 + code) + name[i + 1:]


def make_queries(stores: list[Store], count: int, seed: int) -> dict[str, list[str]]:
    """``count`` queries of each kind, drawn from the shops themselves."""
    from navplugin.search import hangul

    pick = random.Random(seed)
    kinds: dict[str, list[str]] = {kind: [] for kind in
                                   ("exact", "substring", "initials", "typo", "address word", "Latin/digits")}
    latin = [s for s in stores if any(c.isascii() and c.isalnum() for c in s.name)] or stores
    while min(len(found) for found in kinds.values()) < count:
        store = pick.choice(stores)
        name = hangul.normalize(store.name)
        kinds["exact"].append(store.name)
        if len(name) >= 3:
            start = pick.randrange(len(name) - 2)
            kinds["substring"].append(name[start:start + pick.choice((2, 3))])
        kinds["initials"].append(hangul.initials(name)[:pick.choice((3, 4))])
        wrong = _one_key_wrong(store.name.split()[0], pick)
        if wrong and len(hangul.normalize(wrong)) >= 3:
            kinds["typo"].append(wrong)
        words = [w for w in (store.address or "").replace("(", " ").replace(")", " ").split()
                 if not w[0].isdigit()]
        if words:
            kinds["address word"].append(pick.choice(words))
        other = pick.choice(latin)
        kinds["Latin/digits"].append(pick.choice([other.name] + [w for w in other.name.split() if w.isascii()]))
    return {kind: found[:count] for kind, found in kinds.items()}


def _percentiles(spent: list[float]) -> str:
    values = np.asarray(spent) / 1000
    return f"{np.percentile(values, 50):8.0f} {np.percentile(values, 99):8.0f}"


def _timed(call: Callable[[], Any], repeat: int) -> list[float]:
    clock = time.perf_counter_ns
    spent = []
    for _ in range(repeat):
        started = clock()
        call()
        spent.append(clock() - started)
    return spent


def _rss() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * 4096


def _peak_rss() -> int:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmHWM"))


def run_size(size: int, queries: int, seed: int) -> dict[str, Any]:
    """Build and query one size, in this (fresh) process."""
    from navplugin import query
    from navplugin.search import SearchIndex
    from navplugin.spatial.index import StoreIndex

    made = time.perf_counter()
    stores = sample_stores() if size == SAMPLE_SIZE else make_stores(size, seed)
    made = time.perf_counter() - made
    index = StoreIndex(stores, version=1)
    gc.collect()
    with open("/proc/self/clear_refs", "w") as clear:  # restart the peak (VmHWM) from the current RSS
        clear.write("5")
    before, peak_before = _rss(), _peak_rss()
    built = time.perf_counter()
    text = index.text
    built = time.perf_counter() - built
    gc.collect()
    kept, peak = _rss() - before, _peak_rss() - peak_before
    tracemalloc.start()
    smaller = SearchIndex(stores[:min(size, 20_000)])  # Python and numpy allocations, for the ratio
    traced_kept, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del smaller

    asked = make_queries(stores, queries, seed)
    rng = np.random.default_rng([seed, 99])
    points = [(float(lat), float(lon)) for lon, lat in zip(*synthetic.clustered_points(queries, rng))]
    latency: dict[str, tuple[str, str]] = {}
    for kind, texts in asked.items():
        for text_query in texts[:50]:  # warm up
            query.search(index, query.SearchQuery(text=text_query, limit=LIMIT))
        cycle = iter(range(len(texts) * 2))
        plain = _timed(lambda: query.search(index, query.SearchQuery(
            text=texts[next(cycle) % len(texts)], limit=LIMIT)), len(texts))
        cycle = iter(range(len(texts) * 2))

        def placed() -> None:
            i = next(cycle) % len(texts)
            lat, lon = points[i % len(points)]
            query.search(index, query.SearchQuery(text=texts[i], limit=LIMIT, lat=lat, lon=lon))

        latency[kind] = (_percentiles(plain), _percentiles(_timed(placed, len(texts))))
    mixed = [text_query for texts in asked.values() for text_query in texts]
    cycle = iter(range(len(mixed) * 2))

    def narrowed() -> None:
        i = next(cycle) % len(mixed)
        lat, lon = points[i % len(points)]
        query.nearby(index, query.NearbyQuery(lat, lon, 5000.0, LIMIT, None, mixed[i]))

    nearby = _percentiles(_timed(narrowed, len(mixed)))
    return {"size": size, "made_s": made, "build_s": built, "kept_mb": kept / 1e6, "peak_mb": peak / 1e6,
            "arrays_mb": text.nbytes / 1e6, "traced": (min(size, 20_000), traced_kept / 1e6, traced_peak / 1e6),
            "latency": latency, "nearby": nearby, "queries": queries}


def report(figures: dict[str, Any]) -> None:
    size = figures["size"]
    what = "the real sample list" if size == SAMPLE_SIZE else "synthetic shops from the sample's name parts"
    print(f"\n== {size:,} shops ({what}; made in {figures['made_s']:.1f} s)")
    print(f"text index build: {figures['build_s']:.2f} s; memory kept {figures['kept_mb']:.0f} MB "
          f"(RSS growth; arrays and text {figures['arrays_mb']:.0f} MB), peak during build "
          f"+{figures['peak_mb']:.0f} MB")
    count, kept, peak = figures["traced"]
    print(f"  tracemalloc of a {count:,}-shop build: kept {kept:.1f} MB, peak {peak:.1f} MB")
    print(f"query.search, {LIMIT} results, µs ({figures['queries']} queries of each kind, single thread):")
    print(f"  {'kind':14} {'p50':>8} {'p99':>8} | {'p50 pos':>8} {'p99 pos':>8}")
    for kind, (plain, placed) in figures["latency"].items():
        print(f"  {kind:14} {plain} | {placed}")
    print(f"query.nearby within 5 km narrowed by q (every kind mixed), µs: p50/p99 {figures['nearby']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default=f"{SAMPLE_SIZE},1000000",
                        help=f"comma-separated shop counts; {SAMPLE_SIZE} is the real sample list")
    parser.add_argument("--queries", type=int, default=1000, help="queries of each kind")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    print(f"Python {sys.version.split()[0]}, numpy {np.__version__}")
    for size in (int(part) for part in args.sizes.split(",")):
        with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
            report(pool.submit(run_size, size, args.queries, args.seed).result())


if __name__ == "__main__":
    main()
