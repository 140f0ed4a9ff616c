"""Tables for people on the terminal (rich): the agenda, and the frame every command's table uses."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING

from .._time import format_local, zone
from ..engine import STATUSES, Action, Agenda

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

__all__ = ["agenda_table", "console_for", "new_table"]


def console_for(*, piped_width: int) -> Console:
    """A console as wide as ``$COLUMNS`` when set, else the terminal, else ``piped_width`` (a pipe or a file)."""
    import os
    import sys

    from rich.console import Console

    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return Console(width=int(columns), emoji=False)  # keys like :soon: stay text
    if sys.stdout.isatty():
        return Console(emoji=False)
    return Console(width=piped_width, emoji=False)


def new_table(title: str, columns: Sequence[str], *, width: int = 160) -> tuple[Console, Table]:
    """A console (:func:`console_for`: ``width`` columns when piped without ``$COLUMNS``) and a titled table."""
    from rich.table import Table

    console = console_for(piped_width=width)
    table = Table(title=title)
    for column in columns:
        table.add_column(column, overflow="fold")
    return console, table

_STYLE = {"overdue": "bold red", "due": "bold yellow", "suppressed": "magenta", "upcoming": "cyan", "done": "green"}
#: the most characters of one value a cell shows (a name is never that long; a hostile one is cut)
_CELL = 120


def _cell(text: str) -> str:
    """``text`` for a cell: cut to :data:`_CELL` characters, rich markup escaped (a name may hold ``[``)."""
    from rich.markup import escape

    if len(text) > _CELL:
        text = f"{text[:_CELL]}… ({len(text):,} characters)"
    return escape(text)


def _theirs(action: Action, *, said: str = " theirs") -> str:
    """The due time on the employer's clock, on a line of its own, when their zone differs."""
    if not action.employer_timezone:
        return ""
    local = action.due_at.astimezone(zone(action.employer_timezone))
    return f"\n[dim]{local:%a %H:%M %Z}{said}[/]"


def agenda_table(agenda: Agenda, tz: dt.tzinfo, *, show_all: bool = False, wide: bool = False) -> None:
    """Print ``agenda`` as a table grouped by status, most urgent first.

    By default five columns that fit 80 characters: the short key (what ``explain``,
    ``done``, ``snooze`` and ``dismiss`` take), the status, the due time, what and
    for whom. ``wide`` adds the medium, the reason and the full key.
    """
    from rich import box
    from rich.table import Table

    console = console_for(piped_width=200 if wide else 80)
    order = {status: index for index, status in enumerate(STATUSES)}
    actions = sorted(
        (a for a in agenda if show_all or a.status != "done"),
        key=lambda a: (order[a.status], a.due_at, a.key),
    )
    title = f"followup agenda as of {format_local(agenda.now, tz)}"
    if wide:
        table = Table(title=title, show_lines=False, highlight=False)
        for column in ("#", "status", "due", "what", "for", "to", "via", "why", "key"):
            whole = column == "#" or (column == "key" and console.width >= 120)  # a key whole, to copy, when it fits
            table.add_column(column, overflow="fold", no_wrap=whole)
    else:
        table = Table(title=title, box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, collapse_padding=True, highlight=False)
        for column in ("#", "status", "due", "what", "for"):
            table.add_column(column, overflow="fold", no_wrap=column in ("#", "status", "due"))
    for action in actions:
        who = action.recipient_name or action.recipient or ""
        short = f"[bold]{agenda.short_key(action)}[/]"
        status = f"[{_STYLE[action.status]}]{action.status}[/]"
        due = format_local(action.due_at, tz, short=True) + _theirs(action, said=" theirs" if wide else "")
        what = _cell(action.kind.replace("_", " "))
        if wide:
            where = f"{action.company} ({action.application})" if action.company else "you"
            table.add_row(short, status, due, what, _cell(where), _cell(who), _cell(action.channel or ""),
                          _cell(action.reason), f"[dim]{_cell(action.key)}[/]")  # fmt: skip
        else:
            where = _cell(action.company or "you")
            table.add_row(short, status, due, what, f"{_cell(who)}\n[dim]{where}[/]" if who else where)
    console.print(table)
    if not actions:
        console.print("Nothing to do.")
    elif not wide:
        console.print("[dim]#: the key for `followup explain`, `done`, `snooze`, `dismiss`; --wide: all columns[/]")
    wake = format_local(agenda.next_wake_at, tz) if agenda.next_wake_at else "nothing scheduled"
    console.print(f"Next change: {wake}")
