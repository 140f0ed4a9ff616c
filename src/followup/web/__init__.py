"""The local web agenda and its HTTP API: ``followup serve``.

Owns the Starlette application (``_app``: pages, forms, the JSON API and its OpenAPI
description), where its state lives and who may reach it (``_site``: a state file or
a store, the rulebook, the clock, the CSRF and access tokens), and the Jinja2 templates
and the stylesheet it ships (``templates/``, ``static/``; no CDN, no scripts from
elsewhere).

The pages are a thin shell over the public API, like the command line: the agenda
comes from :class:`followup.engine.Engine`, an action's explanation from
:func:`followup.engine.explain`, an application's timeline from
:func:`followup.engine.simulate`, and every write goes through :mod:`followup.journal`,
so the web writes exactly what the CLI writes.

Needs the ``web`` extra (``pip install 'followup[web]'``: Starlette, uvicorn,
python-multipart).

May import: any other area of followup except ``cli``.
"""

from __future__ import annotations

from ._site import LOOPBACK_HOSTS, TOKEN_VARIABLE, Site, is_loopback

__all__ = ["LOOPBACK_HOSTS", "TOKEN_VARIABLE", "Site", "create_app", "is_loopback"]


def create_app(site: Site):  # type: ignore[no-untyped-def]
    """The ASGI application serving ``site`` (imports Starlette on first use)."""
    from ._app import create_app as build

    return build(site)
