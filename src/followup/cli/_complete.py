"""Shell completion of what only the state knows: action keys and application ids.

Click completes commands and options by itself (``_FOLLOWUP_COMPLETE=bash_source
followup``); these are the ``shell_complete`` callbacks of the KEY and APPLICATION
arguments. They read the state the command line names so far: the STATE argument,
``--state`` (or ``FOLLOWUP_STATE``), else ``--store`` (or ``FOLLOWUP_STORE``, else the
default store, when it exists). A completion never fails the shell: anything that
goes wrong (no state yet, a file with a typo) completes nothing.
"""

from __future__ import annotations

from typing import Any

import click
from click.shell_completion import CompletionItem

__all__ = ["complete_action_keys", "complete_application_ids"]


def _state(ctx: click.Context) -> Any:
    """The state the command line names so far, or ``None``."""
    from ..state import load_state

    path = ctx.params.get("state") or ctx.params.get("state_path")
    if path:
        return load_state(path)
    from ..stores import open_store

    store = open_store(ctx.params.get("store_url") or None, create=False)
    try:
        return store.load_state() if store.has_state() else None
    finally:
        store.close()


def complete_action_keys(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    """The keys of the actions not done yet (and their short keys) that start with ``incomplete``."""
    try:
        from ..engine import Engine
        from ._options import load_rules, parse_now

        state = _state(ctx)
        if state is None:
            return []
        moment = parse_now(ctx.params.get("now") or ctx.params.get("at"), state.candidate.calendar.tz)
        agenda = Engine(load_rules(ctx.params.get("rules") or ())).evaluate(state, moment)
    except Exception:  # noqa: BLE001 - a completion that fails must not break the shell
        return []
    items = []
    for action in agenda:
        if action.status == "done":
            continue
        what = f"{action.status} {action.kind.replace('_', ' ')}: {action.recipient_name or action.company or 'you'}"
        for key in (action.key, agenda.short_key(action)):
            if key.startswith(incomplete):
                items.append(CompletionItem(key, help=what))
    return items


def complete_application_ids(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    """The ids of the state's applications that start with ``incomplete``."""
    try:
        state = _state(ctx)
    except Exception:  # noqa: BLE001 - a completion that fails must not break the shell
        return []
    if state is None:
        return []
    return [
        CompletionItem(a.id, help=f"{a.company}{', ' + a.position if a.position else ''} ({a.status})")
        for a in state.applications
        if a.id.startswith(incomplete)
    ]
