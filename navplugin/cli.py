"""Flask commands for operators: import a list, show what is stored."""
from __future__ import annotations

import json
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from .errors import NavpluginError
from .service import Service

MAX_PROBLEMS_SHOWN = 20


def _service() -> Service:
    return current_app.extensions["navplugin"]


def _print_report(report: dict) -> None:
    click.echo(
        f"rows: {report['total_rows']}  valid: {report['valid_rows']}  invalid: {report['invalid_rows']}  "
        f"errors: {report['errors']}  warnings: {report['warnings']}  encoding: {report.get('encoding')}"
    )
    if report.get("precision"):
        click.echo("points by precision: " + ", ".join(f"{k} {v}" for k, v in sorted(report["precision"].items())))
    problems = report.get("problems", [])
    for problem in problems[:MAX_PROBLEMS_SHOWN]:
        click.echo(
            f"  line {problem['line']:>5}  {problem['severity']:<7} {problem['column'] or '-'}"
            f" = {problem['value']!r}: {problem['problem']}"
        )
    if len(problems) > MAX_PROBLEMS_SHOWN:
        click.echo(f"  … and {len(problems) - MAX_PROBLEMS_SHOWN} more (see --report-json)")


@click.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Validate and geocode only; store nothing.")
@click.option("--skip-invalid", is_flag=True, help="Leave rows with errors out instead of rejecting the file.")
@click.option("--report-json", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the full row report as JSON to this file.")
@with_appcontext
def import_command(file: Path, dry_run: bool, skip_invalid: bool, report_json: Path | None) -> None:
    """Import a certified-store list (CSV or XLSX) as a new live dataset version."""
    service = _service()
    with click.progressbar(length=1, label="geocoding", show_pos=True, show_eta=True) as bar:
        def progress(done: int, total: int) -> None:
            bar.length = total
            bar.update(done - bar.pos)

        try:
            outcome = service.import_list(
                file.read_bytes(), file.name, dry_run=dry_run, skip_invalid=skip_invalid,
                source="cli", uploaded_by="cli", progress=progress,
            )
        except NavpluginError as exc:
            bar.render_finish()
            report = exc.extra.get("report")
            if report:
                _print_report(report)
                if report_json:
                    report_json.write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
            raise click.ClickException(exc.detail) from None
    _print_report(outcome.report)
    if report_json:
        report_json.write_text(json.dumps(outcome.report, ensure_ascii=False, indent=2), encoding="utf-8")
    if outcome.dry_run:
        verdict = "would be accepted" if outcome.accepted else "would be rejected"
        click.echo(f"dry run: the list {verdict}; nothing was changed")
    else:
        click.echo(f"dataset version {outcome.version} is live")


@click.command("stats")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@with_appcontext
def stats_command(as_json: bool) -> None:
    """Show dataset versions and what the live version holds."""
    stats = _service().repository.stats()
    if as_json:
        click.echo(json.dumps(stats, ensure_ascii=False, indent=2))
        return
    click.echo(f"versions: {stats['versions']}  live version: {stats['live_version']}  stores: {stats['stores']}")
    for precision, count in stats["by_precision"].items():
        click.echo(f"  precision {precision:<9} {count}")
    for category, count in list(stats["by_category"].items())[:15]:
        click.echo(f"  category {category or '(none)'}: {count}")


def init_app(app: Flask) -> None:
    app.cli.add_command(import_command)
    app.cli.add_command(stats_command)
