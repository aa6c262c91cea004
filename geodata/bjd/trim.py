"""Copy the official 법정동 code tables into geodata/bjd/, keeping only what we use.

    .venv/bin/python geodata/bjd/trim.py /path/to/bjd-code

Reads 법정동코드_전체자료.utf8.tsv and KIKmix.20260301.csv (UTF-8 conversions of
the 행정표준코드관리시스템 downloads) and writes, UTF-8 with LF line ends:

- bjd_codes.tsv: every row (존재 and 폐지) down to 읍면동 level, names stripped;
- bjd_ri.tsv: current 리 only, as code and 리 name (the gazetteer build matches
  renamed 읍면 by their 리);
- bjd_hdong.tsv: 행정동 -> 법정동 pairs at 읍면동 level, unique, current only.
"""
from __future__ import annotations

import csv
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def trim(source: Path, target: Path = HERE) -> None:
    """Write the three trimmed tables from the official files in ``source``."""
    rows = []
    with open(source / "법정동코드_전체자료.utf8.tsv", encoding="utf-8") as handle:
        next(handle)
        for line in handle:
            code, name, status = (part.strip() for part in line.rstrip("\r\n").split("\t"))
            rows.append((code, name, status))
    with open(target / "bjd_codes.tsv", "w", encoding="utf-8", newline="\n") as out:
        out.write("code\tname\tstatus\n")
        out.writelines(f"{c}\t{n}\t{s}\n" for c, n, s in rows if c.endswith("00"))
    with open(target / "bjd_ri.tsv", "w", encoding="utf-8", newline="\n") as out:
        out.write("code\tri\n")
        out.writelines(f"{c}\t{n.split(' ')[-1]}\n" for c, n, s in rows
                       if not c.endswith("00") and s == "존재")
    pairs: set[tuple[str, str, str]] = set()
    with open(source / "KIKmix.20260301.csv", encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["읍면동명"] and not row["말소일자"]:
                pairs.add((row["행정동코드"], row["읍면동명"].strip(), row["법정동코드"][:8] + "00"))
    with open(target / "bjd_hdong.tsv", "w", encoding="utf-8", newline="\n") as out:
        out.write("hdong_code\thdong\tbjd_code\n")
        out.writelines(f"{h}\t{n}\t{b}\n" for h, n, b in sorted(pairs))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    trim(Path(sys.argv[1]))
