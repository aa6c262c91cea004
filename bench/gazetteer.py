"""Benchmark of the gazetteer's district points: build time, radii over the sample list, moves.

    .venv/bin/python bench/gazetteer.py [--skip-build] [--top 10]

1. Runs ``geodata/build_gazetteer.py`` into a temporary folder, times it and
   says whether its output is the committed ``gazetteer.csv`` and
   ``gazetteer_moves.csv`` byte for byte.
2. Places the bundled sample list (``geodata/sample/certified_stores_2026.csv``)
   with the offline geocoder, as a server without provider keys does, and
   prints the distribution of ``accuracy_m`` over its shops: *after* is the
   radius the geocoder returns; *before* is the radius of the representative
   point of old for the same district (``old_accuracy_m`` of
   ``gazetteer_moves.csv`` where the district's point moved, else the same).
3. How far the points moved from the representative point: over all districts,
   over the sample's shops, and the largest moves among the districts that hold
   sample shops.

Prints figures; asserts nothing about time.
"""
from __future__ import annotations

import argparse
import collections
import csv
import filecmp
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

GEODATA = REPO / "geodata"
SAMPLE = GEODATA / "sample" / "certified_stores_2026.csv"
MOVES = GEODATA / "gazetteer_moves.csv"


def build(python: str) -> None:
    with tempfile.TemporaryDirectory() as directory:
        output, moves = Path(directory) / "gazetteer.csv", Path(directory) / "gazetteer_moves.csv"
        started = time.perf_counter()
        subprocess.run([python, str(GEODATA / "build_gazetteer.py"), "--output", str(output),
                        "--moves", str(moves)], check=True, capture_output=True, cwd=REPO)
        elapsed = time.perf_counter() - started
        same = all(filecmp.cmp(a, b, shallow=False) for a, b in
                   ((output, GEODATA / "gazetteer.csv"), (moves, MOVES)))
    print(f"build: {elapsed:.1f} s wall; output identical to the committed files: {'yes' if same else 'NO'}")


def figures(values) -> str:
    values = np.asarray(values, dtype=float)
    return (f"median {np.median(values):8.0f}  p90 {np.percentile(values, 90):8.0f}  "
            f"mean {values.mean():8.0f}  max {values.max():8.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench/gazetteer.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--skip-build", action="store_true", help="do not time the build")
    parser.add_argument("--top", type=int, default=10, help="largest moves to list (default: 10)")
    args = parser.parse_args()

    if not args.skip_build:
        build(sys.executable)

    from navplugin.geocode.offline import OfflineGeocoder
    from navplugin.ingest.pipeline import ingest

    with open(MOVES, encoding="utf-8", newline="") as handle:
        moves = {row["code"]: row for row in csv.DictReader(handle)}
    geocoder = OfflineGeocoder()
    rows = ingest(SAMPLE.read_bytes(), SAMPLE.name).rows
    before, after, moved, unplaced = [], [], [], 0
    precision = collections.Counter()
    shops_of: collections.Counter = collections.Counter()
    for row in rows:
        found = geocoder.geocode(row.address)
        if found is None or found.raw.get("accuracy_m") is None:
            unplaced += 1
            continue
        code, level = found.raw["code"], found.raw["precision"]
        # the district whose point the shop got: a 읍면동 without a polygon stands on its parent's
        owner = code if level == found.raw["level"] else code[:5] if level == "sigungu" else code[:2]
        precision[level] += 1
        move = moves.get(owner)
        after.append(found.raw["accuracy_m"])
        before.append(float(move["old_accuracy_m"]) if move else found.raw["accuracy_m"])
        moved.append(float(move["moved_m"]) if move else 0.0)
        shops_of[owner] += 1

    print(f"\nsample list: {len(rows)} shops, {len(after)} placed offline "
          f"({', '.join(f'{n} at {p}' for p, n in precision.most_common())}), {unplaced} not placed")
    print(f"  accuracy_m before (representative point)  {figures(before)}")
    print(f"  accuracy_m after  (point by rule)         {figures(after)}")
    shorter = sum(a < b for a, b in zip(after, before))
    longer = sum(a > b for a, b in zip(after, before))
    print(f"  radius shorter for {shorter} shops, longer for {longer}, same for {len(after) - shorter - longer}")
    print(f"  shop moved from the old point (m)         {figures(moved)}")

    all_moves = [float(m["moved_m"]) for m in moves.values()]
    emd_moves = [float(m["moved_m"]) for c, m in moves.items() if len(c) == 8]
    print(f"\npoints moved: {len(moves)} districts (m)            {figures(all_moves)}")
    print(f"  of them 읍면동: {len(emd_moves)}                     {figures(emd_moves)}")
    by_rule = collections.defaultdict(list)
    for m in moves.values():
        by_rule[m["rule"]].append(float(m["moved_m"]))
    for rule, metres in sorted(by_rule.items()):
        print(f"  rule {rule:15} {len(metres):5}           {figures(metres)}")

    print(f"\nlargest moves among the {len(shops_of)} districts holding sample shops:")
    held = sorted((m for c, m in moves.items() if c in shops_of), key=lambda m: -float(m["moved_m"]))
    for m in held[:args.top]:
        print(f"  {float(m['moved_m']):8.0f} m  {m['code']:8} {m['name']} ({m['rule']}, "
              f"{shops_of[m['code']]} shops; radius {m['old_accuracy_m']} -> {m['accuracy_m']} m)")


if __name__ == "__main__":
    main()
