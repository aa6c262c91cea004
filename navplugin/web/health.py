"""Liveness and readiness for load balancers and orchestrators, and metrics for Prometheus."""
from __future__ import annotations

from flask import Blueprint, Response

from .. import metrics
from ..errors import NotReady
from .responses import json_response, service

blueprint = Blueprint("health", __name__)


@blueprint.get("/healthz")
def healthz() -> Response:
    return json_response({"status": "ok"})


@blueprint.get("/readyz")
def readyz() -> Response:
    svc = service()
    try:
        svc.repository.ping()
    except Exception as exc:  # noqa: BLE001 - any database failure means not ready
        raise NotReady(f"database unreachable: {type(exc).__name__}") from None
    index = svc.holder.index
    if index is None:
        raise NotReady("the store index is still loading")
    if not svc.warm:
        raise NotReady("still preparing the district boundaries")
    return json_response({"status": "ready", "dataset_version": index.version, "stores": len(index)})


@blueprint.get("/metrics")
def prometheus_metrics() -> Response:
    """Every process's metrics under gunicorn (multiprocess mode), this process's otherwise."""
    return Response(metrics.exposition(), content_type=metrics.CONTENT_TYPE_LATEST,
                    headers={"Cache-Control": "no-store"})
