"""R1-R4 with ``zen-engine`` (GoRules' ZEN engine, Rust with Python bindings; a peer,
bench-only dependency).

The ZEN expression language has closures over lists (``filter``, ``map``, ``some``,
``none``, ``contains``), object literals and the ``??`` operator, so one compiled
expression answers all of R1-R4 for one application and returns the actions it
finds. Python supplies what the expression reads, as plain JSON-like values: the log
as of now (outbound contacts, no bookkeeping), one entry per interviewer of each
interview with when that interview ended, and the instants R1 and R4 count from
(the start of yesterday and of the requested day, in the candidate's zone, as the
other implementations do). Instants are POSIX timestamps, so the week of R2 and R3 is
604 800 seconds. The rules and the words they use are spelled out in
``bench/reference_rules.yaml``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import zen

from followup import State

__all__ = ["RULES", "evaluate"]

ActionKey = tuple[str, str, str, str]

BOOKKEEPING = frozenset({"snoozed", "dismissed", "retired"})
WEEK = 7 * 24 * 3600
ONE_DAY = dt.timedelta(days=1)
MIDNIGHT = dt.time(0, 0)

#: one expression per application; ``#`` is the list element a closure is looking at
RULES = (
    "{"
    # R1: each interviewer of an interview that ended by now, no earlier than the start
    # of yesterday, without a thank-you note to them for that interview
    ' r1: map(filter(people, #.ended != null and #.ended <= now and #.ended >= r1_from'
    '   and not contains(map(filter(sent, #.kind == "thank_you_note"), (#.interview ?? "") + "|" + (#.to ?? "")),'
    '     #.interview + "|" + #.to)), [#.interview, #.to]),'
    # R2 held back by R3: interviewing, a week after the latest interview that ended,
    # no status call since it, fewer than two contacts in the last week
    ' r2: status == "interviewing" and last_ended != null and now >= last_ended + week'
    '   and none(sent, #.kind == "status_call" and #.at > last_ended)'
    '   and count(sent, #.at > now - week) < 2,'
    # R4: the requested day has begun and nothing was sent since it began
    ' r4: requested_from != null and requested_from <= now and none(sent, #.at > requested_from)'
    "}"
)
_RULES = zen.compile_expression(RULES)


def _start_of_day(day: dt.date, tz: dt.tzinfo) -> float:
    return dt.datetime.combine(day, MIDNIGHT, tzinfo=tz).astimezone(dt.UTC).timestamp()


def evaluate(states: Iterable[State], now: dt.datetime) -> set[ActionKey]:
    """Every R1-R4 action that is due or overdue at ``now``."""
    actions: set[ActionKey] = set()
    add = actions.add
    stamp = now.timestamp()
    rules = _RULES.evaluate
    for state in states:
        tz = state.candidate.calendar.tz
        r1_from = _start_of_day(now.astimezone(tz).date() - ONE_DAY, tz)
        for app in state.applications:
            sent = [
                {"kind": c.kind, "to": c.to, "interview": c.interview, "at": c.at.timestamp()}
                for c in app.contacts
                if c.at <= now and c.direction == "out" and c.kind not in BOOKKEEPING
            ]
            people: list[dict[str, Any]] = []
            ended = []
            for interview in app.interviews:
                end = interview.ended_at.timestamp() if interview.ended_at is not None else None
                if end is not None and end <= stamp:
                    ended.append(end)
                people.extend({"interview": interview.id, "to": p.id, "ended": end} for p in interview.interviewers)
            requested = app.follow_up_requested_on
            found = rules({
                "now": stamp,
                "week": WEEK,
                "r1_from": r1_from,
                "status": app.status,
                "sent": sent,
                "people": people,
                "last_ended": max(ended) if ended else None,
                "requested_from": _start_of_day(requested.astimezone(tz).date(), tz) if requested is not None else None,
            })
            for interview_id, person in found["r1"]:
                add(("r1-thank-you", app.id, interview_id, person))
            if found["r2"]:
                add(("r2-status-call", app.id, "", ""))
            if found["r4"]:
                add(("r4-requested-follow-up", app.id, "", ""))
    return actions
