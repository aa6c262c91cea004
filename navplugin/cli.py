"""Flask commands for operators: serve, migrate, import a list, geocode, finish interrupted jobs, show what is stored.

Only ``serve`` starts a serving process's background work; the other commands
make sure of the schema (``lifecycle.ensure_schema``), do their one thing and
return.
"""
from __future__ import annotations

import json
import logging
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from . import lifecycle
from .errors import NavpluginError
from .geocode.base import redact
from .jobs import UPLOAD_MODES, JobStatus
from .logs import configure_logging
from .service import Service
from .store.migrate import SchemaOutOfDate

MAX_PROBLEMS_SHOWN = 20


def _bare_service() -> Service:
    service = current_app.extensions["navplugin"]
    configure_logging(service.settings["LOG_LEVEL"], service.settings["LOG_FORMAT"])
    return service


def _service() -> Service:
    """The app's service, its database at this release's schema."""
    service = _bare_service()
    try:
        lifecycle.ensure_schema(service)
    except SchemaOutOfDate as exc:
        raise click.ClickException(str(exc)) from None
    return service


def _print_report(report: dict, report_json: Path | None = None) -> None:
    if report_json:
        report_json.write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
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
@click.option("--dry-run", is_flag=True, help="Validate only and report; store nothing.")
@click.option("--skip-invalid", is_flag=True, help="Leave rows with errors out instead of rejecting the file.")
@click.option("--mode", type=click.Choice(UPLOAD_MODES), default="replace", show_default=True,
              help="replace: the file is the whole list. merge: add and update its shops, remove none.")
@click.option("--report-json", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the full row report as JSON to this file.")
@with_appcontext
def import_command(file: Path, dry_run: bool, skip_invalid: bool, mode: str, report_json: Path | None) -> None:
    """Import a certified-store list (CSV or XLSX) as a new live dataset version."""
    service = _service()
    with click.progressbar(length=1, label="geocoding", show_pos=True, show_eta=True) as bar:
        try:
            submission, status = service.import_list(
                file.read_bytes(), file.name, dry_run=dry_run, skip_invalid=skip_invalid, mode=mode,
                source="cli", uploaded_by="cli", progress=_progress(bar),
            )
        except NavpluginError as exc:
            bar.render_finish()
            _report_and_fail(exc.detail, exc.extra.get("report"), report_json)
    if submission.upload_id is None:
        _print_report(submission.report, report_json)
        verdict = "would be accepted" if submission.accepted else "would be rejected"
        click.echo(f"dry run: the list {verdict}; {submission.report['rows_to_geocode']} rows need geocoding; "
                   "nothing was changed")
        return
    _finish_job(service, submission.upload_id, report_json)


def _progress(bar):
    def update(done: int, total: int) -> None:
        bar.length = max(total, 1)
        bar.update(done - bar.pos)
    return update


def _report_and_fail(detail: str, report: dict | None, report_json: Path | None) -> None:
    if report:
        _print_report(report, report_json)
    raise click.ClickException(detail)


def _finish_job(service: Service, upload_id: int, report_json: Path | None) -> None:
    job = service.uploads.get(upload_id)
    if job.status is JobStatus.FAILED:
        _report_and_fail(f"upload {upload_id}: {job.error}", job.report, report_json)
    _print_report(job.report, report_json)
    if job.status is JobStatus.DONE:
        click.echo(f"upload {upload_id}: dataset version {job.version} is live")
    else:
        click.echo(f"upload {upload_id} is {job.status}; follow it with GET /admin/v1/uploads/{upload_id}")


@click.command("geocode")
@click.argument("address")
@with_appcontext
def geocode_command(address: str) -> None:
    """Geocode one address with every provider of the chain and show each answer."""
    from geopy.exc import GeopyError

    from .geocode.chain import location_result, query_text
    from .geocode.district import check_district
    from .geocode.normalize import normalize_for_geocoding

    service = _bare_service()
    query = normalize_for_geocoding(address)
    click.echo(f"query: {query.text if query else '(nothing geocodable)'}  kind: {query.kind if query else '-'}")
    for provider in service.chain.providers:
        text = query_text(provider.name, address, query)
        try:
            location = provider.geocoder.geocode(text, exactly_one=True)
        except GeopyError as error:
            click.echo(f"  {provider.name:<8} {type(error).__name__}: {redact(str(error), service.chain.secrets)}")
            continue
        if location is None:
            click.echo(f"  {provider.name:<8} no result")
            continue
        found = location_result(provider.name, location)
        check = check_district(address, found.point.lon, found.point.lat,
                               tolerance_m=service.settings["DISTRICT_TOLERANCE_M"])
        entrance = f"  entrance {found.entrance.lat:.6f},{found.entrance.lon:.6f}" if found.entrance else ""
        click.echo(f"  {provider.name:<8} {found.point.lat:.6f},{found.point.lon:.6f}  {found.precision:<8} "
                   f"{found.matched}  district: {check.status}{entrance}")


@click.command("geocode-pending")
@click.option("--retry-failed", is_flag=True, help="Put the rows of the latest failed upload back in the queue first.")
@with_appcontext
def geocode_pending_command(retry_failed: bool) -> None:
    """Finish upload jobs that were interrupted (or, with --retry-failed, retry rows that failed)."""
    service = _service()
    if retry_failed:
        upload_id = service.uploads.latest_failed()
        if upload_id is None:
            click.echo("no failed upload to retry")
        else:
            click.echo(f"upload {upload_id}: {service.uploads.requeue_failed(upload_id)} failed rows queued again")
    pending = service.uploads.claimable(service.runner.stale_after, owner=service.runner.owner)
    if not pending:
        click.echo("no upload job is waiting")
        return
    for upload_id in pending:
        with click.progressbar(length=1, label=f"upload {upload_id}", show_pos=True, show_eta=True) as bar:
            service.runner.run(upload_id, _progress(bar))
        _finish_job(service, upload_id, None)


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


@click.command("versions")
@with_appcontext
def versions_command() -> None:
    """List the kept dataset versions, newest first; * marks the live one."""
    for info in _service().repository.versions():
        click.echo(f"{'*' if info.live else ' '} {info.version:>5}  {info.created_at:%Y-%m-%d %H:%M}  "
                   f"{info.source:<8} {info.store_count:>7} shops  {info.uploaded_by or '-':<10} "
                   f"{info.file_name or info.note or ''}")


@click.command("activate")
@click.argument("version", type=int)
@with_appcontext
def activate_command(version: int) -> None:
    """Make a kept dataset version live (roll back or forward); audited as 'cli'."""
    service = _service()
    try:
        activation = service.curator.activate(version, "cli")
    except NavpluginError as exc:
        raise click.ClickException(exc.detail) from None
    if activation.version != version:
        click.echo(f"version {version} with the corrections standing now is live as version {activation.version} "
                   f"({len(activation.revoked_kept_out)} revoked shops kept out, "
                   f"{len(activation.corrections_reapplied)} corrections applied)")
    click.echo(f"version {activation.version} is live (was {activation.previous}); serving processes follow "
               f"within {service.settings['INDEX_POLL_SECONDS']:g} s")


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on (0.0.0.0: all).")
@click.option("--port", default=5000, show_default=True, type=click.IntRange(0, 65535),
              help="Port to listen on (0: any free port, printed).")
@with_appcontext
def serve_command(host: str, port: int) -> None:
    """Serve the API and the admin page: migrate, load the sample on first start, then listen.

    Werkzeug's threaded server, for the embedded default and development; in
    production run gunicorn with the repository's gunicorn.conf.py.
    """
    from werkzeug.serving import make_server

    service = _bare_service()
    click.echo("preparing the database (migrations; the sample list on first start)…")
    try:
        lifecycle.start_serving(service)
    except SchemaOutOfDate as exc:
        raise click.ClickException(str(exc)) from None
    server = make_server(host, port, current_app._get_current_object(), threaded=True)
    service.wait_warm(timeout=120)  # ready as /readyz means it: the index and the district boundaries loaded
    index = service.index(timeout=1)
    click.echo(f"navplugin: dataset version {index.version} ({len(index)} shops) on "
               f"http://{host}:{server.server_port}/  (admin page: /admin/)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        lifecycle.stop(service)


@click.command("worker")
@click.option("--burst", is_flag=True, help="Run the jobs waiting on the queue, then exit.")
@with_appcontext
def worker_command(burst: bool) -> None:
    """Run upload geocoding jobs from the Redis queue (NAVPLUGIN_QUEUE_URL).

    Each job is claimed in the database before it runs, so any number of workers (and
    web processes answering for a job's progress) may share the queue; a job whose
    worker died is put back on the queue by the next sweep.
    """
    import threading

    from rq import SimpleWorker

    from . import tasks
    from .queue import RedisQueue
    from .spatial.regions import default_region_lookup

    service = _service()
    if not isinstance(service.queue, RedisQueue):
        raise click.ClickException("set NAVPLUGIN_QUEUE_URL=redis://host:6379/0 to run jobs on a queue")
    service.queue.check()
    tasks.use(service)
    default_region_lookup().build()  # every job's district checks need it: once, before the first job
    stop = threading.Event()

    def sweep() -> None:  # jobs nobody is working on (their worker died, Redis lost them): on the queue again
        while not stop.wait(service.runner.stale_after / 2):
            try:
                service.queue.resume_all()
            except Exception:  # noqa: BLE001 - Redis or the database away: the next sweep tries again
                logging.getLogger(__name__).exception("sweeping for abandoned upload jobs failed")

    service.queue.resume_all()
    if not burst:
        threading.Thread(target=sweep, name="navplugin-sweep", daemon=True).start()
    click.echo(f"navplugin worker: jobs from {service.queue.queue.name} at {service.queue.url.split('@')[-1]}")
    try:
        SimpleWorker([service.queue.queue], connection=service.queue.connection).work(burst=burst)
    finally:
        stop.set()
        service.close()


@click.group("db")
def db_group() -> None:
    """The database schema (Alembic migrations)."""


@db_group.command("upgrade")
@click.argument("revision", default="head")
@with_appcontext
def db_upgrade(revision: str) -> None:
    """Apply the pending migrations (up to REVISION, default the newest)."""
    service = _bare_service()
    with service.repository.startup_lock():
        service.repository.upgrade_schema(revision)
    click.echo(f"database schema at revision {service.repository.schema_revision()}")


@db_group.command("current")
@with_appcontext
def db_current() -> None:
    """Show the revision the database is at, and the newest this release knows."""
    from .store.migrate import head

    service = _bare_service()
    click.echo(f"database: {service.repository.schema_revision() or '(none)'}  this release: {head()}")


@db_group.command("check")
@with_appcontext
def db_check() -> None:
    """Fail if the tables the code declares and the migrations' result differ (alembic check)."""
    _bare_service().repository.check_schema()
    click.echo("no difference between the declared tables and the migrations")


@db_group.command("stamp")
@click.argument("revision")
@with_appcontext
def db_stamp(revision: str) -> None:
    """Record REVISION as the database's schema without running migrations."""
    _bare_service().repository.stamp_schema(revision)
    click.echo(f"database stamped at {revision}")


def init_app(app: Flask) -> None:
    app.cli.add_command(serve_command)
    app.cli.add_command(worker_command)
    app.cli.add_command(db_group)
    app.cli.add_command(versions_command)
    app.cli.add_command(activate_command)
    app.cli.add_command(import_command)
    app.cli.add_command(stats_command)
    app.cli.add_command(geocode_command)
    app.cli.add_command(geocode_pending_command)
