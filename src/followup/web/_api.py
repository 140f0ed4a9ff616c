"""The JSON API beside the pages (``/api/...``) and its OpenAPI description."""

from __future__ import annotations

from typing import Any

from ._site import Site

__all__ = ["api_routes"]


def api_routes(site: Site) -> list[Any]:
    return []
