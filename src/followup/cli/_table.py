"""Tables for people on the terminal (rich): the agenda, and the frame every command's table uses."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING

from .._time import format_local
from ..engine import STATUSES, Agenda

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

__all__ = ["agenda_table", "new_table"]


def new_table(title: str, columns: Sequence[str], *, width: int = 160) -> tuple[Console, Table]:
    """A console (``width`` columns wide when not a terminal, so pipes get whole lines) and a titled table."""
    import sys

    from rich.console import Console
    from rich.table import Table

    console = Console() if sys.stdout.isatty() else Console(width=width)
    table = Table(title=title)
    for column in columns:
        table.add_column(column, overflow="fold")
    return console, table

_STYLE = {"overdue": "bold red", "due": "bold yellow", "suppressed": "magenta", "upcoming": "cyan", "done": "green"}


def agenda_table(agenda: Agenda, tz: dt.tzinfo, *, show_all: bool = False) -> None:
    """Print ``agenda`` as a table grouped by status, most urgent first."""
    from rich.console import Console
    from rich.table import Table

    console = Console()
    if not console.is_terminal:
        console = Console(width=200)
    order = {status: index for index, status in enumerate(STATUSES)}
    actions = sorted(
        (a for a in agenda if show_all or a.status != "done"),
        key=lambda a: (order[a.status], a.due_at, a.key),
    )
    table = Table(title=f"followup agenda as of {format_local(agenda.now, tz)}", show_lines=False, highlight=False)
    for column in ("status", "due", "what", "for", "to", "via", "why", "key"):
        table.add_column(column, overflow="fold")
    for action in actions:
        who = action.recipient_name or action.recipient or ""
        where = f"{action.company} ({action.application})" if action.company else "you"
        table.add_row(
            f"[{_STYLE[action.status]}]{action.status}[/]",
            format_local(action.due_at, tz, short=True),
            action.kind.replace("_", " "),
            where,
            who,
            action.channel or "",
            action.reason,
            f"[dim]{action.key}[/]",
        )
    console.print(table)
    if not actions:
        console.print("Nothing to do.")
    wake = format_local(agenda.next_wake_at, tz) if agenda.next_wake_at else "nothing scheduled"
    console.print(f"Next change: {wake}")
