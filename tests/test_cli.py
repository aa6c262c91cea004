"""Operator commands: import with a report summary, stats."""
from __future__ import annotations

import json

from tests.helpers import GOOD_CSV, NEW_CSV

CSV = (
    "업체명,업종,주소,위도,경도\n"
    "을지면옥,음식점업,서울특별시 중구 충무로14길 2-1,37.5670,126.9918\n"
    "이문설농탕,음식점업,서울특별시 종로구 우정국로 38-13,37.5720,126.9855\n"
)


def test_import_makes_a_live_version_and_stats_show_it(app, runner, tmp_path):
    path = tmp_path / "list.csv"
    path.write_text(CSV, encoding="utf-8")
    result = runner.invoke(args=["import", str(path)])
    assert result.exit_code == 0, result.output
    assert "dataset version 1 is live" in result.output
    assert "rows: 2  valid: 2" in result.output
    stats = runner.invoke(args=["stats", "--json"])
    assert json.loads(stats.output)["stores"] == 2
    assert app.extensions["navplugin"].index().version == 1


def test_dry_run_and_rejection_change_nothing(app, runner, tmp_path):
    path = tmp_path / "list.csv"
    path.write_text(CSV, encoding="utf-8")
    dry = runner.invoke(args=["import", "--dry-run", str(path)])
    assert dry.exit_code == 0 and "would be accepted" in dry.output
    bad = tmp_path / "bad.csv"
    bad.write_text(CSV + ",음식점업,서울특별시 종로구 종로 1,37.57,126.98\n", encoding="utf-8")
    report = tmp_path / "report.json"
    rejected = runner.invoke(args=["import", str(bad), "--report-json", str(report)])
    assert rejected.exit_code != 0
    assert "line     4" in rejected.output and "업체명" in rejected.output
    assert json.loads(report.read_text(encoding="utf-8"))["invalid_rows"] == 1
    assert json.loads(runner.invoke(args=["stats", "--json"]).output)["versions"] == 0


def test_help_describes_the_commands(runner):
    result = runner.invoke(args=["import", "--help"])
    assert "--dry-run" in result.output and "--skip-invalid" in result.output


def test_merge_import_versions_and_activate(app, runner, tmp_path):
    first, second = tmp_path / "first.csv", tmp_path / "second.csv"
    first.write_bytes(GOOD_CSV)
    second.write_bytes(NEW_CSV)
    assert runner.invoke(args=["import", str(first)]).exit_code == 0
    merged = runner.invoke(args=["import", "--mode", "merge", str(second)])
    assert merged.exit_code == 0, merged.output
    assert json.loads(runner.invoke(args=["stats", "--json"]).output)["stores"] == 5

    listing = runner.invoke(args=["versions"]).output.splitlines()
    assert listing[0].startswith("*     2") and "second.csv" in listing[0] and "5 shops" in listing[0]
    assert listing[1].startswith("      1") and "first.csv" in listing[1]

    rolled = runner.invoke(args=["activate", "1"])
    assert rolled.exit_code == 0 and "version 1 is live (was 2)" in rolled.output
    assert json.loads(runner.invoke(args=["stats", "--json"]).output)["live_version"] == 1
    missing = runner.invoke(args=["activate", "9"])
    assert missing.exit_code != 0 and "no dataset version 9" in missing.output
    assert "merge" in runner.invoke(args=["import", "--help"]).output
