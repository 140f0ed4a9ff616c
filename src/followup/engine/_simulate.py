"""Time travel: what the rules will do over the coming weeks, before anyone is contacted.

:func:`simulate` walks from one instant to another event by event. It evaluates the
state, notes every action whose status changed since the previous evaluation, and
jumps straight to the agenda's ``next_wake_at``: the next instant at which anything
can change. It never steps by a fixed amount, so a year with little going on costs
a handful of evaluations, and a bound on the number of steps guarantees it ends.

With ``assume_done`` the person is taken to do everything on time: at the instant an
action is due (or overdue, for the backlog found at the start), the simulation logs
the contact that carries it out (its kind, to its recipient, about its interview,
naming the action's key) and evaluates again. Caps and patience then play out as
they would in life: follow-ups are spaced, the patience cap stops them. The employer
never answers unless the state already holds a reply dated in the future, which the
simulation reaches like everything else.

The timeline renders as a table (:func:`print_table`), JSON (:meth:`Timeline.to_dict`)
or one self-contained HTML page with a lane per application (:func:`render_html`).
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from .._errors import FollowupError, InvalidInput
from .._time import format_instant, format_local
from ..state import Contact, State
from ._agenda import Action, Agenda
from ._engine import Engine

__all__ = ["DEFAULT_MAX_STEPS", "Event", "SimulationTooLong", "Timeline", "print_table", "render_html", "simulate"]

#: evaluations a simulation may make before it gives up
DEFAULT_MAX_STEPS = 10_000

#: how a status change reads on a timeline
EVENT_LABELS = {
    "upcoming": "scheduled",
    "due": "opens",
    "overdue": "overdue",
    "suppressed": "held back",
    "done": "done",
    "dropped": "dropped",
}


class SimulationTooLong(FollowupError):
    """The simulation used up its steps before reaching the end of the period."""


@dataclass(frozen=True, slots=True)
class Event:
    """An action's status changed (or it appeared, or went away) at ``at``.

    :ivar status: the new status, or ``dropped`` when the action left the agenda
        without being done (it expired, or its conditions stopped holding).
    :ivar previous: the status before, ``None`` when the action is new.
    :ivar assumed: ``True`` when the simulation logged the contact that did it.
    """

    at: dt.datetime
    key: str
    rule: str
    kind: str
    status: str
    previous: str | None
    application: str | None
    company: str | None
    interview: str | None
    recipient: str | None
    recipient_name: str | None
    channel: str | None
    opens_at: dt.datetime
    due_at: dt.datetime
    reason: str
    cap: str | None = None
    frees_at: dt.datetime | None = None
    assumed: bool = False

    @property
    def label(self) -> str:
        """``opens``, ``held back by patience``, ``done (assumed)``…"""
        text = EVENT_LABELS[self.status]
        if self.status == "suppressed" and self.cap:
            text += f" by {self.cap}"
        if self.assumed:
            text += " (assumed)"
        return text

    @property
    def lane(self) -> str:
        """Which row of the timeline it belongs to: the rule and recipient."""
        return f"{self.rule} → {self.recipient_name or self.recipient}" if self.recipient else self.rule

    def to_dict(self) -> dict[str, Any]:
        return {
            "at": format_instant(self.at),
            "event": self.label,
            "key": self.key,
            "rule": self.rule,
            "kind": self.kind,
            "status": self.status,
            "previous": self.previous,
            "application": self.application,
            "company": self.company,
            "interview": self.interview,
            "recipient": self.recipient,
            "recipient_name": self.recipient_name,
            "channel": self.channel,
            "opens_at": format_instant(self.opens_at),
            "due_at": format_instant(self.due_at),
            "cap": self.cap,
            "frees_at": format_instant(self.frees_at),
            "assumed": self.assumed,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class Timeline:
    """What a simulation saw.

    :ivar steps: evaluations made.
    :ivar next_wake_at: the next change after ``until`` (``None``: nothing scheduled).
    :ivar state: the state at the end, with the contacts the simulation logged.
    """

    start: dt.datetime
    until: dt.datetime
    assume_done: bool
    events: tuple[Event, ...]
    steps: int
    next_wake_at: dt.datetime | None
    state: State
    tz: dt.tzinfo = field(repr=False)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready mapping; instants are ISO 8601 strings with offsets."""
        return {
            "from": format_instant(self.start.astimezone(self.tz)),
            "until": format_instant(self.until.astimezone(self.tz)),
            "assume_done": self.assume_done,
            "steps": self.steps,
            "next_wake_at": format_instant(self.next_wake_at.astimezone(self.tz)) if self.next_wake_at else None,
            "events": [event.to_dict() for event in self.events],
        }

    def lanes(self) -> list[tuple[str, str]]:
        """``(application id or "", title)`` for each lane, applications first, the candidate last."""
        ids = []
        for event in self.events:
            if event.application not in ids:
                ids.append(event.application)
        titles = {a.id: f"{a.company} — {a.position}" for a in self.state.applications}
        ordered = [(i, titles.get(i, i)) for i in sorted(i for i in ids if i is not None)]
        if None in ids:
            ordered.append(("", f"{self.state.candidate.name} (no application)"))
        return ordered


def _sort_key(contact: Contact) -> tuple[dt.datetime, str, str, str, str, str]:
    return (contact.at, contact.kind, contact.direction, contact.to or "", contact.interview or "", contact.action or "")


def _with_contacts(state: State, done: Sequence[Action], now: dt.datetime) -> State:
    """``state`` with, for each action, the contact that carries it out logged at ``now``."""
    by_application: dict[str | None, list[Contact]] = {}
    for action in done:
        contact = Contact(
            at=now,
            kind=action.kind,
            direction="out",
            to=action.recipient,
            interview=action.interview,
            channel=action.channel,
            note="assumed done on time by followup simulate",
            action=action.key,
        )
        by_application.setdefault(action.application, []).append(contact)

    def merged(existing: tuple[Contact, ...], new: list[Contact]) -> tuple[Contact, ...]:
        log = list(existing)
        for contact in new:
            bisect.insort(log, contact, key=_sort_key)
        return tuple(log)

    applications = tuple(
        replace(a, contacts=merged(a.contacts, by_application[a.id])) if a.id in by_application else a
        for a in state.applications
    )
    journal = merged(state.contacts, by_application[None]) if None in by_application else state.contacts
    return replace(state, applications=applications, contacts=journal)


def _event(action: Action, at: dt.datetime, status: str, previous: str | None, reason: str, *, assumed: bool = False) -> Event:
    return Event(
        at=at,
        key=action.key,
        rule=action.rule,
        kind=action.kind,
        status=status,
        previous=previous,
        application=action.application,
        company=action.company,
        interview=action.interview,
        recipient=action.recipient,
        recipient_name=action.recipient_name,
        channel=action.channel,
        opens_at=action.opens_at,
        due_at=action.due_at,
        reason=reason,
        cap=action.cap if status == "suppressed" else None,
        frees_at=action.frees_at if status == "suppressed" else None,
        assumed=assumed,
    )


class _Walk:
    """The bookkeeping of one simulation: statuses seen so far, events, steps."""

    def __init__(self, engine: Engine, max_steps: int, until: dt.datetime) -> None:
        self.engine = engine
        self.max_steps = max_steps
        self.until = until
        self.seen: dict[str, tuple[str, Action]] = {}
        self.events: list[Event] = []
        self.steps = 0

    def evaluate(self, state: State, now: dt.datetime, *, first: bool = False) -> Agenda:
        if self.steps >= self.max_steps:
            tz = state.candidate.calendar.tz
            raise SimulationTooLong(
                f"the simulation stopped after {self.max_steps} evaluations at {format_local(now, tz)}, "
                f"before reaching --until {format_local(self.until, tz)}; give a shorter period or a larger "
                "--max-steps (a rule that changes at every step would also do this)"
            )
        self.steps += 1
        agenda = self.engine.evaluate(state, now)
        current = {action.key: action for action in agenda}
        for key, action in current.items():
            before = self.seen.get(key)
            previous = before[0] if before else None
            other_cap = before is not None and action.status == "suppressed" and before[1].cap != action.cap
            if (previous != action.status or other_cap) and not (first and action.status == "done"):
                self.events.append(_event(action, now, action.status, previous, action.reason))
            self.seen[key] = (action.status, action)
        for key, (status, action) in list(self.seen.items()):
            if key in current:
                continue
            del self.seen[key]
            if status != "done":
                self.events.append(
                    _event(action, now, "dropped", status, "left the agenda: expired, or its conditions no longer hold")
                )
        return agenda

    def assume_done(self, actions: Sequence[Action], now: dt.datetime, tz: dt.tzinfo) -> None:
        for action in actions:
            to = f" to {action.recipient_name or action.recipient}" if action.recipient else ""
            reason = f"assumed done on time: logged {action.kind.replace('_', ' ')}{to} {format_local(now, tz)}"
            self.events.append(_event(action, now, "done", action.status, reason, assumed=True))
            self.seen[action.key] = ("done", action)


def simulate(
    engine: Engine,
    state: State,
    start: dt.datetime,
    until: dt.datetime,
    *,
    assume_done: bool = False,
    max_steps: int = DEFAULT_MAX_STEPS,
) -> Timeline:
    """Walk from ``start`` to ``until`` (both included), one change at a time.

    :param assume_done: log the contact for every due or overdue action at the
        instant it is seen, as if the person did everything on time.
    :param max_steps: the most evaluations to make; more raises
        :class:`SimulationTooLong`.
    :raises InvalidInput: for naive instants, or ``start`` after ``until``.
    """
    for name, value in (("--from", start), ("--until", until)):
        if value.tzinfo is None or value.utcoffset() is None:
            raise InvalidInput.single(name, f"{value.isoformat()} has no time zone")
    tz = state.candidate.calendar.tz
    if start > until:
        raise InvalidInput.single(
            "--from", f"{format_local(start, tz)} is after --until {format_local(until, tz)}; give a period that runs forward"
        )
    if max_steps < 1:
        raise InvalidInput.single("--max-steps", f"{max_steps} is not a positive number of steps")
    walk = _Walk(engine, max_steps, until)
    now = start
    agenda = walk.evaluate(state, now, first=True)
    while True:
        while assume_done and agenda.pending:
            pending = agenda.pending
            walk.assume_done(pending, now, tz)
            state = _with_contacts(state, pending, now)
            agenda = walk.evaluate(state, now)
        wake = agenda.next_wake_at
        if wake is None or wake > until:
            break
        now = wake
        agenda = walk.evaluate(state, now)
    return Timeline(
        start=start,
        until=until,
        assume_done=assume_done,
        events=tuple(walk.events),
        steps=walk.steps,
        next_wake_at=agenda.next_wake_at,
        state=state,
        tz=tz,
    )


# ---------------------------------------------------------------------------
# Output
# ---------------------------------------------------------------------------

_STYLE = {
    "upcoming": "cyan",
    "due": "bold yellow",
    "overdue": "bold red",
    "suppressed": "magenta",
    "done": "green",
    "dropped": "dim",
}


def print_table(timeline: Timeline, console: Any = None) -> None:
    """Print the timeline as a table, one row per event, in time order."""
    from rich.console import Console
    from rich.table import Table

    if console is None:
        console = Console()
        if not console.is_terminal:
            console = Console(width=200)
    tz = timeline.tz
    mode = ", assuming everything is done on time" if timeline.assume_done else ""
    table = Table(
        title=f"followup simulation, {format_local(timeline.start, tz)} to {format_local(timeline.until, tz)}{mode}",
        highlight=False,
    )
    for column in ("when", "for", "what", "to", "event", "due", "why"):
        table.add_column(column, overflow="fold")
    for event in timeline.events:
        table.add_row(
            format_local(event.at, tz, short=True),
            f"{event.company} ({event.application})" if event.application else "you",
            event.kind.replace("_", " "),
            event.recipient_name or event.recipient or "",
            f"[{_STYLE[event.status]}]{event.label}[/]",
            format_local(event.due_at, tz, short=True),
            event.reason,
        )
    console.print(table)
    if not timeline.events:
        console.print("Nothing happens in this period.")
    after = format_local(timeline.next_wake_at, tz) if timeline.next_wake_at else "nothing scheduled"
    console.print(f"{timeline.steps} evaluations. Next change after the period: {after}")


_COLOURS = {
    "upcoming": "#3b82c4",
    "due": "#d9a400",
    "overdue": "#d0312d",
    "suppressed": "#9b3fb5",
    "done": "#2e8b57",
    "dropped": "#8a8a8a",
}

#: drawing order: what settles an action is drawn over what scheduled or opened it
_LAYER = {"upcoming": 0, "due": 1, "overdue": 2, "dropped": 3, "suppressed": 4, "done": 5}

_HTML = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }}</title>
<style>
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 24px; color: #1d1d1f; background: #fff; }
h1 { font-size: 20px; margin: 0 0 4px; }
p.meta { color: #555; margin: 0 0 16px; }
.legend span { display: inline-block; margin-right: 14px; }
.legend i { display: inline-block; width: 11px; height: 11px; border-radius: 50%; margin-right: 5px; vertical-align: -1px; }
.scroll { overflow-x: auto; border: 1px solid #ddd; border-radius: 6px; margin: 12px 0 24px; }
svg text { font: 12px system-ui, -apple-system, "Segoe UI", sans-serif; fill: #1d1d1f; }
svg .lane-title { font-weight: 600; font-size: 13px; }
svg .tick { fill: #666; font-size: 11px; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid #eee; vertical-align: top; }
th { background: #f6f6f6; position: sticky; top: 0; }
td.event { white-space: nowrap; font-weight: 600; }
td.when { white-space: nowrap; }
</style>
</head>
<body>
<h1>{{ title }}</h1>
<p class="meta">{{ subtitle }}</p>
<div class="legend">{% for status, colour in colours %}<span><i style="background: {{ colour }}"></i>{{ status }}</span>{% endfor %}<span><i style="background: #f3d36b; border-radius: 2px"></i>window, from opening to the deadline</span></div>
<div class="scroll">
<svg xmlns="http://www.w3.org/2000/svg" width="{{ width }}" height="{{ height }}" viewBox="0 0 {{ width }} {{ height }}" role="img" aria-label="timeline">
{% for tick in ticks %}<line x1="{{ tick.x }}" y1="{{ top - 6 }}" x2="{{ tick.x }}" y2="{{ height - 8 }}" stroke="#eee"/>
<text class="tick" x="{{ tick.x + 3 }}" y="{{ top - 10 }}">{{ tick.label }}</text>
{% endfor %}{% for lane in lanes %}<rect x="0" y="{{ lane.y }}" width="{{ width }}" height="{{ lane.height }}" fill="{{ '#fafafa' if loop.index is odd else '#ffffff' }}"/>
<text class="lane-title" x="8" y="{{ lane.y + 17 }}">{{ lane.title }}</text>
{% for row in lane.rows %}<text x="16" y="{{ row.y + 4 }}">{{ row.label }}</text>
{% for segment in row.segments %}<line x1="{{ segment.x1 }}" y1="{{ row.y }}" x2="{{ segment.x2 }}" y2="{{ row.y }}" stroke="#c9c9c9" stroke-width="3" stroke-linecap="round"/>
{% endfor %}{% for window in row.windows %}<rect x="{{ window.x1 }}" y="{{ row.y - 5 }}" width="{{ window.x2 - window.x1 }}" height="10" rx="3" fill="#f3d36b" fill-opacity="0.45"><title>window: from opening to the deadline</title></rect>
{% endfor %}{% for dot in row.dots %}<circle cx="{{ dot.x }}" cy="{{ row.y }}" r="5.5" fill="{{ dot.colour }}" stroke="#fff" stroke-width="1.5"><title>{{ dot.title }}</title></circle>
{% endfor %}{% endfor %}{% endfor %}
</svg>
</div>
<table>
<thead><tr><th>when</th><th>for</th><th>what</th><th>to</th><th>event</th><th>due</th><th>why</th></tr></thead>
<tbody>
{% for row in table %}<tr><td class="when">{{ row.when }}</td><td>{{ row.who }}</td><td>{{ row.what }}</td><td>{{ row.to }}</td><td class="event" style="color: {{ row.colour }}">{{ row.event }}</td><td class="when">{{ row.due }}</td><td>{{ row.why }}</td></tr>
{% endfor %}</tbody>
</table>
<p class="meta">{{ footer }}</p>
</body>
</html>
"""


def render_html(timeline: Timeline) -> str:
    """The timeline as one self-contained HTML page: inline CSS and SVG, no scripts, no links."""
    from jinja2.sandbox import SandboxedEnvironment

    tz = timeline.tz
    label_width, plot_width, right = 340, 900, 30
    width = label_width + plot_width + right
    start, until = timeline.start, timeline.until
    span = max((until - start).total_seconds(), 1.0)

    def x(instant: dt.datetime) -> float:
        moment = min(max(instant, start), until)
        return round(label_width + plot_width * (moment - start).total_seconds() / span, 1)

    top = 40
    lanes = []
    y = top
    for application, title in timeline.lanes():
        events = [e for e in timeline.events if (e.application or "") == application]
        rows: dict[str, list[Event]] = {}
        for event in events:
            rows.setdefault(event.lane, []).append(event)
        lane_rows = []
        row_y = y + 34
        for label, row_events in rows.items():
            segments, windows = [], []
            by_key: dict[str, list[Event]] = {}
            for event in row_events:
                by_key.setdefault(event.key, []).append(event)
            for key_events in by_key.values():
                first, last = key_events[0].at, key_events[-1].at
                if key_events[-1].status not in ("done", "dropped"):
                    last = until
                if x(last) > x(first):
                    segments.append({"x1": x(first), "x2": x(last)})
                opens, due = key_events[0].opens_at, key_events[0].due_at
                if opens <= until and due >= start:
                    windows.append({"x1": x(opens), "x2": max(x(due), x(opens) + 2)})
            # the events that settle an action are drawn last, on top of those at the same instant
            ordered = sorted(row_events, key=lambda e: (_LAYER[e.status], e.at))
            dots = [
                {
                    "x": x(e.at),
                    "colour": _COLOURS[e.status],
                    "title": f"{format_local(e.at, tz)}: {e.label}: {e.kind.replace('_', ' ')} — {e.reason}",
                }
                for e in ordered
            ]
            lane_rows.append({"y": row_y, "label": label, "segments": segments, "windows": windows, "dots": dots})
            row_y += 22
        height = 34 + 22 * len(lane_rows) + 6
        lanes.append({"y": y, "height": height, "title": title, "rows": lane_rows})
        y += height
    ticks = [tick for tick in _ticks(start, until, tz, x) if tick["x"] <= width - 90]
    mode = "assuming every due action is done on time" if timeline.assume_done else "nothing is assumed done"
    after = format_local(timeline.next_wake_at, tz) if timeline.next_wake_at else "nothing scheduled"
    table = [
        {
            "when": format_local(e.at, tz, short=True),
            "who": f"{e.company} ({e.application})" if e.application else "you",
            "what": e.kind.replace("_", " "),
            "to": e.recipient_name or e.recipient or "",
            "event": e.label,
            "colour": _COLOURS[e.status],
            "due": format_local(e.due_at, tz, short=True),
            "why": e.reason,
        }
        for e in timeline.events
    ]
    environment = SandboxedEnvironment(autoescape=True)
    return environment.from_string(_HTML).render(
        title=f"Follow-ups for {timeline.state.candidate.name}",
        subtitle=f"{format_local(start, tz)} to {format_local(until, tz)}, {mode}; {len(timeline.events)} events.",
        colours=[(EVENT_LABELS[s], c) for s, c in _COLOURS.items()],
        width=width,
        height=max(y + 10, top + 40),
        top=top,
        ticks=ticks,
        lanes=lanes,
        table=table,
        footer=f"{timeline.steps} evaluations. Next change after the period: {after}. Made by followup simulate.",
    )


def _ticks(start: dt.datetime, until: dt.datetime, tz: dt.tzinfo, x: Any) -> list[dict[str, Any]]:
    """Axis marks at local midnights: every day, week or month, whichever gives about a dozen."""
    days = max((until - start).days, 1)
    step = 1 if days <= 14 else 7 if days <= 120 else 30 if days <= 900 else 365
    from .._time import local_wall_time

    day = start.astimezone(tz).date()
    if step == 7:
        day += dt.timedelta(days=(7 - day.weekday()) % 7)  # Mondays
    elif step >= 30:
        day = (day.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
        if step == 365:
            day = day.replace(month=1) if day.month == 1 else dt.date(day.year + 1, 1, 1)
    ticks: list[dict[str, Any]] = []
    while True:
        instant = local_wall_time(day, dt.time(0, 0), tz)
        if instant > until or len(ticks) > 400:
            break
        if instant >= start:
            ticks.append({"x": x(instant), "label": day.strftime("%d %b %Y" if step >= 30 else "%a %d %b")})
        if step == 30:
            day = (day + dt.timedelta(days=32)).replace(day=1)
        elif step == 365:
            day = day.replace(year=day.year + 1)
        else:
            day += dt.timedelta(days=step)
    return ticks
