"""The ``followup`` command line: a thin shell over the public API.

Owns the click group and its commands (``_main``: agenda, validate, explain, schema;
``_authoring``: done, snooze, dismiss, retire, test, simulate; ``_channels``: channels,
preview, calendar; ``_store``: init, import, export, log, run, outbox; ``_plugins``:
plugins and the plugin-command group), and the rich agenda table (``_table``).
Nothing else imports this package, except the ``followup`` console script and
``python -m followup``.

May import: any other area of followup.
"""

from __future__ import annotations

from ._main import cli, main

__all__ = ["cli", "main"]
