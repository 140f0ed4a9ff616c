"""R1-R4 written by hand in plain Python: the practical speed limit.

What a developer would write without a rules engine: one pass over each
application, stdlib datetime arithmetic, no indirection. It works on the same
loaded :class:`followup.State` objects as the engine, so the comparison measures
rule evaluation, not parsing. The rules and the words they use are spelled out in
``bench/reference_rules.yaml``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from followup import State

__all__ = ["ActionKey", "evaluate"]

#: (rule id, application id, interview id or "", recipient id or "")
ActionKey = tuple[str, str, str, str]

WEEK = dt.timedelta(hours=168)
ONE_DAY = dt.timedelta(days=1)
MIDNIGHT = dt.time(0, 0)
_UTC = dt.UTC
BOOKKEEPING = frozenset({"snoozed", "dismissed", "retired"})


def _start_of_day(day: dt.date, tz: dt.tzinfo) -> dt.datetime:
    # The round trip through UTC moves a midnight that does not exist to the first
    # instant of the day that does.
    return dt.datetime.combine(day, MIDNIGHT, tzinfo=tz).astimezone(_UTC)


def evaluate(states: Iterable[State], now: dt.datetime) -> set[ActionKey]:
    """Every R1-R4 action that is due or overdue at ``now``."""
    actions: set[ActionKey] = set()
    add = actions.add
    week_ago = now - WEEK
    for state in states:
        tz = state.candidate.calendar.tz
        today = now.astimezone(tz).date()
        # R1: interviews that ended on this day or the one before
        r1_from = _start_of_day(today - ONE_DAY, tz)
        for app in state.applications:
            app_id = app.id
            sent = [c for c in app.contacts if c.at <= now and c.direction == "out" and c.kind not in BOOKKEEPING]
            last_end = None
            for interview in app.interviews:
                ended = interview.ended_at
                if ended is None or ended > now:
                    continue
                if last_end is None or ended > last_end:
                    last_end = ended
                if ended < r1_from:
                    continue
                interview_id = interview.id
                thanked = {c.to for c in sent if c.kind == "thank_you_note" and c.interview == interview_id}
                for person in interview.interviewers:
                    if person.id not in thanked:
                        add(("r1-thank-you", app_id, interview_id, person.id))
            # R2, held back by R3
            if (
                app.status == "interviewing"
                and last_end is not None
                and now >= last_end + WEEK
                and not any(c.kind == "status_call" and c.at > last_end for c in sent)
                and sum(1 for c in sent if c.at > week_ago) < 2
            ):
                add(("r2-status-call", app_id, "", ""))
            # R4
            requested = app.follow_up_requested_on
            if requested is not None:
                day_start = _start_of_day(requested.astimezone(tz).date(), tz)
                if day_start <= now and not any(c.at > day_start for c in sent):
                    add(("r4-requested-follow-up", app_id, "", ""))
    return actions
