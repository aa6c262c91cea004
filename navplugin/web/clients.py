"""Admin endpoints for partner apps' client keys, under ``/admin/v1/clients`` (on the admin blueprint)."""
from __future__ import annotations

from flask import Response

from ..errors import NotFound
from .admin import blueprint, current_admin, json_body_object
from .responses import json_response, service

NEVER_STORED = {"Cache-Control": "no-store"}  # an answer holding a key: no cache keeps it


def _client_or_404(client_id: int):
    client = service().repository.client(client_id)
    if client is None:
        raise NotFound(f"no client {client_id}")
    return client


@blueprint.post("/clients")
def create_client() -> Response:
    """A key for a partner app; the answer holds the key, once: only its hash is kept."""
    body = json_body_object()
    client, key = service().clients.create(body.get("name"), body.get("rate"), current_admin().name)
    return json_response({**client.as_dict(), "key": key}, status=201,
                         headers={"Location": f"/admin/v1/clients/{client.id}", **NEVER_STORED})


@blueprint.get("/clients")
def list_clients() -> Response:
    keys = service().clients
    items = [keys.report(client) for client in service().repository.clients()]
    return json_response({"count": len(items), "items": items})


@blueprint.get("/clients/<id:client_id>")
def client_status(client_id: int) -> Response:
    return json_response(service().clients.report(_client_or_404(client_id)))


@blueprint.patch("/clients/<id:client_id>")
def change_rate(client_id: int) -> Response:
    client = service().clients.set_rate(client_id, json_body_object().get("rate"), current_admin().name)
    return json_response(client.as_dict())


@blueprint.post("/clients/<id:client_id>/rotate")
def rotate_key(client_id: int) -> Response:
    """A new key; the old one stops working at once, in every process."""
    client, key = service().clients.rotate(client_id, current_admin().name)
    return json_response({**client.as_dict(), "key": key}, headers=NEVER_STORED)


@blueprint.post("/clients/<id:client_id>/revoke")
def revoke_client(client_id: int) -> Response:
    return json_response(service().clients.revoke(client_id, current_admin().name).as_dict())
