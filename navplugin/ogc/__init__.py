"""OGC API - Features over the live shops: Part 1 (Core, GeoJSON, HTML) and Part 2 (CRS by reference).

One collection, ``stores``: every shop of the live dataset version, read
from the process's ``StoreIndex`` like every other navigation answer. The
web layer (``web/ogc.py``) turns requests into values (an ``ItemsQuery``, a
CRS URI, the representation, the base URL as a plain string) and sends back
what this package builds; nothing here imports Flask.

* ``documents``: landing page, conformance classes, collection metadata, links;
* ``features``: the shops a page selects, in id order, and their GeoJSON text;
* ``crs``: the CRSs offered by URI, their axis order (pyproj's), boxes in any of them.
"""
from __future__ import annotations

from .crs import CRS84, EPSG_5179, EPSG_5186, OFFERED, northing_first
from .documents import COLLECTION_ID, CONFORMANCE
from .features import DEFAULT_LIMIT, MAX_LIMIT, ItemsQuery, Page

__all__ = ["CRS84", "EPSG_5179", "EPSG_5186", "OFFERED", "northing_first", "COLLECTION_ID", "CONFORMANCE",
           "DEFAULT_LIMIT", "MAX_LIMIT", "ItemsQuery", "Page"]
