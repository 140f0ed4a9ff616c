"""R1-R4 with the ``rule-engine`` library (a peer, bench-only dependency).

``rule-engine`` compiles a Python-like expression language with date and time
types, timedelta literals (``t"PT168H"``) and list comprehensions, so the rules
below say almost everything themselves: calendar days through ``.date``, the
week through elapsed-time arithmetic on UTC instants, "no such contact" through a
comprehension over the log. Python supplies the items to evaluate (one per
interviewer per interview, one per application) with the log as of now and the
instants the rules need in the candidate's zone. The rules and the words they use
are spelled out in ``bench/reference_rules.yaml``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import rule_engine

from followup import State

__all__ = ["RULES", "evaluate"]

ActionKey = tuple[str, str, str, str]

BOOKKEEPING = frozenset({"snoozed", "dismissed", "retired"})

_CONTEXT = rule_engine.Context(default_timezone="UTC", resolver=rule_engine.resolve_attribute)

#: rule id -> expression; ``now`` is UTC, ``*_local`` values are in the candidate's zone
RULES: dict[str, str] = {
    "r1-thank-you": (
        'ended_local != null and ended_local <= now'
        ' and ended_local.date >= (now_local - t"P1D").date'
        ' and not [c for c in sent if c.kind == "thank_you_note" and c.to == recipient and c.interview == interview]'
    ),
    "r2-status-call": (
        'status == "interviewing" and last_ended != null and now >= last_ended + t"PT168H"'
        ' and not [c for c in sent if c.kind == "status_call" and c.at > last_ended]'
        ' and [c for c in sent if c.at > now - t"PT168H"].length < 2'
    ),
    "r4-requested-follow-up": (
        'requested_local != null and requested_local.date <= now'
        ' and not [c for c in sent if c.at > requested_local.date]'
    ),
}

_COMPILED = {name: rule_engine.Rule(text, context=_CONTEXT) for name, text in RULES.items()}
_R1 = _COMPILED["r1-thank-you"]
_R2 = _COMPILED["r2-status-call"]
_R4 = _COMPILED["r4-requested-follow-up"]


class _Item:
    """One thing a rule is evaluated against; rule-engine reads its attributes."""

    def __init__(self, **values: Any) -> None:
        self.__dict__.update(values)


def evaluate(states: Iterable[State], now: dt.datetime) -> set[ActionKey]:
    """Every R1-R4 action that is due or overdue at ``now``."""
    actions: set[ActionKey] = set()
    now = now.astimezone(dt.UTC)
    for state in states:
        tz = state.candidate.calendar.tz
        now_local = now.astimezone(tz)
        for app in state.applications:
            sent = [c for c in app.contacts if c.at <= now and c.direction == "out" and c.kind not in BOOKKEEPING]
            ended = [i.ended_at for i in app.interviews if i.ended_at is not None and i.ended_at <= now]
            for interview in app.interviews:
                ended_local = interview.ended_at.astimezone(tz) if interview.ended_at is not None else None
                for person in interview.interviewers:
                    item = _Item(
                        now=now,
                        now_local=now_local,
                        ended_local=ended_local,
                        interview=interview.id,
                        recipient=person.id,
                        sent=sent,
                    )
                    if _R1.matches(item):
                        actions.add(("r1-thank-you", app.id, interview.id, person.id))
            requested = app.follow_up_requested_on
            item = _Item(
                now=now,
                status=app.status,
                last_ended=max(ended) if ended else None,
                requested_local=requested.astimezone(tz) if requested is not None else None,
                sent=sent,
            )
            if _R2.matches(item):
                actions.add(("r2-status-call", app.id, "", ""))
            if _R4.matches(item):
                actions.add(("r4-requested-follow-up", app.id, "", ""))
    return actions
