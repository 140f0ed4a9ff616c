"""R1-R4 with the ``business-rules`` library (a peer, bench-only dependency).

``business-rules`` evaluates JSON condition trees against *variables*: methods of a
``BaseVariables`` subclass that each return a number, a string or a boolean. Its
operators cannot compare dates, so the variables turn the log and the interviews
into numbers (seconds since, calendar days since, how many contacts) and the rules
compare those, exactly as a developer adopting the library would. The rules and
the words they use are spelled out in ``bench/reference_rules.yaml``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from business_rules import run_all
from business_rules.actions import BaseActions, rule_action
from business_rules.fields import FIELD_TEXT
from business_rules.variables import BaseVariables, boolean_rule_variable, numeric_rule_variable, string_rule_variable

from followup import Application, Contact, Interview, Interviewer, State

__all__ = ["APPLICATION_RULES", "INTERVIEWER_RULES", "evaluate"]

ActionKey = tuple[str, str, str, str]

WEEK_SECONDS = 7 * 24 * 3600
BOOKKEEPING = frozenset({"snoozed", "dismissed", "retired"})


def _condition(name: str, operator: str, value: Any) -> dict[str, Any]:
    return {"name": name, "operator": operator, "value": value}


def _emit(rule: str) -> list[dict[str, Any]]:
    return [{"name": "add_action", "params": {"rule": rule}}]


#: R1, run once per interviewer of every interview
INTERVIEWER_RULES: list[dict[str, Any]] = [
    {
        "conditions": {
            "all": [
                _condition("interview_has_ended", "is_true", True),
                _condition("calendar_days_since_interview_ended", "less_than_or_equal_to", 1),
                _condition("thank_you_notes_to_interviewer", "equal_to", 0),
            ]
        },
        "actions": _emit("r1-thank-you"),
    }
]

#: R2 (with R3 as a condition) and R4, run once per application
APPLICATION_RULES: list[dict[str, Any]] = [
    {
        "conditions": {
            "all": [
                _condition("status", "equal_to", "interviewing"),
                _condition("has_ended_interview", "is_true", True),
                _condition("seconds_since_last_interview_ended", "greater_than_or_equal_to", WEEK_SECONDS),
                _condition("status_calls_since_last_interview", "equal_to", 0),
                _condition("contacts_in_last_week", "less_than", 2),
            ]
        },
        "actions": _emit("r2-status-call"),
    },
    {
        "conditions": {
            "all": [
                _condition("follow_up_was_requested", "is_true", True),
                _condition("seconds_since_requested_day_began", "greater_than_or_equal_to", 0),
                _condition("contacts_since_requested_day_began", "equal_to", 0),
            ]
        },
        "actions": _emit("r4-requested-follow-up"),
    },
]


class _Context:
    """What every variable of one application may read: the log as of now, the zone."""

    __slots__ = ("app", "now", "sent", "today", "tz")

    def __init__(self, app: Application, now: dt.datetime, tz: dt.tzinfo, today: dt.date) -> None:
        self.app = app
        self.now = now
        self.tz = tz
        self.today = today
        self.sent: list[Contact] = [
            c for c in app.contacts if c.at <= now and c.direction == "out" and c.kind not in BOOKKEEPING
        ]

    def start_of_day(self, instant: dt.datetime) -> dt.datetime:
        day = instant.astimezone(self.tz).date()
        return dt.datetime.combine(day, dt.time(0), tzinfo=self.tz).astimezone(dt.UTC)


class ApplicationVariables(BaseVariables):  # type: ignore[misc]
    """Variables of one application."""

    def __init__(self, context: _Context) -> None:
        self.context = context
        self.app = context.app
        ended = [i.ended_at for i in self.app.interviews if i.ended_at is not None and i.ended_at <= context.now]
        self.last_end = max(ended) if ended else None

    @string_rule_variable
    def status(self) -> str:
        return self.app.status

    @boolean_rule_variable
    def has_ended_interview(self) -> bool:
        return self.last_end is not None

    @numeric_rule_variable
    def seconds_since_last_interview_ended(self) -> float:
        assert self.last_end is not None
        return (self.context.now - self.last_end).total_seconds()

    @numeric_rule_variable
    def status_calls_since_last_interview(self) -> int:
        last_end = self.last_end
        return sum(1 for c in self.context.sent if c.kind == "status_call" and last_end is not None and c.at > last_end)

    @numeric_rule_variable
    def contacts_in_last_week(self) -> int:
        since = self.context.now - dt.timedelta(seconds=WEEK_SECONDS)
        return sum(1 for c in self.context.sent if c.at > since)

    @boolean_rule_variable
    def follow_up_was_requested(self) -> bool:
        return self.app.follow_up_requested_on is not None

    def _requested_day_start(self) -> dt.datetime:
        requested = self.app.follow_up_requested_on
        assert requested is not None
        return self.context.start_of_day(requested)

    @numeric_rule_variable
    def seconds_since_requested_day_began(self) -> float:
        return (self.context.now - self._requested_day_start()).total_seconds()

    @numeric_rule_variable
    def contacts_since_requested_day_began(self) -> int:
        start = self._requested_day_start()
        return sum(1 for c in self.context.sent if c.at > start)


class InterviewerVariables(BaseVariables):  # type: ignore[misc]
    """Variables of one interviewer in one interview."""

    def __init__(self, context: _Context, interview: Interview, person: Interviewer) -> None:
        self.context = context
        self.interview = interview
        self.person = person

    @boolean_rule_variable
    def interview_has_ended(self) -> bool:
        ended = self.interview.ended_at
        return ended is not None and ended <= self.context.now

    @numeric_rule_variable
    def calendar_days_since_interview_ended(self) -> int:
        ended = self.interview.ended_at
        assert ended is not None
        return (self.context.today - ended.astimezone(self.context.tz).date()).days

    @numeric_rule_variable
    def thank_you_notes_to_interviewer(self) -> int:
        interview_id, person_id = self.interview.id, self.person.id
        return sum(
            1 for c in self.context.sent if c.kind == "thank_you_note" and c.to == person_id and c.interview == interview_id
        )


class Actions(BaseActions):  # type: ignore[misc]
    """Collects the actions the rules trigger."""

    def __init__(self, sink: set[ActionKey], app_id: str, interview: str = "", recipient: str = "") -> None:
        self.sink = sink
        self.key = (app_id, interview, recipient)

    @rule_action(params={"rule": FIELD_TEXT})
    def add_action(self, rule: str) -> None:
        self.sink.add((rule, *self.key))


def evaluate(states: Iterable[State], now: dt.datetime) -> set[ActionKey]:
    """Every R1-R4 action that is due or overdue at ``now``."""
    actions: set[ActionKey] = set()
    for state in states:
        tz = state.candidate.calendar.tz
        today = now.astimezone(tz).date()
        for app in state.applications:
            context = _Context(app, now, tz, today)
            for interview in app.interviews:
                for person in interview.interviewers:
                    run_all(
                        rule_list=INTERVIEWER_RULES,
                        defined_variables=InterviewerVariables(context, interview, person),
                        defined_actions=Actions(actions, app.id, interview.id, person.id),
                        stop_on_first_trigger=False,
                    )
            run_all(
                rule_list=APPLICATION_RULES,
                defined_variables=ApplicationVariables(context),
                defined_actions=Actions(actions, app.id),
                stop_on_first_trigger=False,
            )
    return actions
