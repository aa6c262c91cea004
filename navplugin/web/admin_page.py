"""The admin web page at ``/admin/`` and the district outlines its map is drawn on.

The page is a shell: it holds no data and needs no token to load. Everything
it shows comes from the token-protected ``/admin/v1`` API, called by the ES
modules in ``static/admin/`` (``main.js`` and what it imports; no build step)
with the token the admin typed in, sent to this origin only. The outlines are
public reference data, served here because the page must work without
internet access: no tile server, no CDN.
"""
from __future__ import annotations

from flask import Blueprint, Response, render_template, request

from ..errors import NotFound
from ..spatial import basemap

blueprint = Blueprint("admin_page", __name__, url_prefix="/admin", template_folder="templates",
                      static_folder="static", static_url_path="/static")

# The outlines change only when the service is deployed with new reference data,
# and the ETag revalidates them then: a browser may keep them for a week.
BASEMAP_MAX_AGE = 7 * 24 * 3600

# Only this origin's own files: proves the page needs nothing from the internet, and
# keeps a shop name in an uploaded file from ever running as script.
PAGE_POLICY = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
               "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
               "form-action 'self'")


@blueprint.get("/")
def page() -> Response:
    response = Response(render_template("admin.html"), mimetype="text/html")
    response.headers["Content-Security-Policy"] = PAGE_POLICY
    response.headers["Cache-Control"] = "no-cache"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@blueprint.get("/basemap/<level>.geojson")
def basemap_outlines(level: str) -> Response:
    if level not in basemap.LEVELS:
        raise NotFound(f"no basemap {level!r}; there are {', '.join(basemap.LEVELS)}")
    outlines = basemap.basemap(level)
    headers = {
        "ETag": f'"{outlines.digest}"',
        "Cache-Control": f"public, max-age={BASEMAP_MAX_AGE}",
        "X-Content-Type-Options": "nosniff",
    }
    if "If-None-Match" in request.headers and request.if_none_match.contains(outlines.digest):
        return Response(status=304, headers=headers)
    return Response(outlines.geojson, mimetype="application/geo+json", headers=headers)
