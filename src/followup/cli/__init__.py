"""The ``followup`` command line: a thin shell over the public API.

Owns the click group and :func:`main` (``_main``), the options and helpers the
commands share, each defined once (``_options``: ``--rules``, ``--now``, ``--at``,
``--store``, ``--state``, ``--config``, :func:`~followup.cli._options.instant`), one
module per command group (``_agenda``: agenda, explain, validate, schema;
``_authoring``: test, simulate; ``_journal``: done, snooze, dismiss, retire;
``_channels``: channels, preview, calendar; ``_store``: init, import, export, log,
run, outbox; ``_plugins``: plugins, and the group that gets every command from the
``followup_register_commands`` hook), the built-in plugin registering them all
(:mod:`followup.cli.plugin`, essential), and the rich agenda table (``_table``).
Nothing else imports this package, except the ``followup`` console script and
``python -m followup``.

May import: any other area of followup.
"""

from __future__ import annotations

from ._commands import collect_commands
from ._main import cli, main

__all__ = ["cli", "collect_commands", "main"]
