"""``followup explain``: how one action's conditions, window, log and caps were worked out.

Built from what the compiler recorded of the rule (:class:`~followup.rules.RuleTrace`):
the condition is traced by running the very checks the engine runs, the window by
calling the rule's own compiled moments, on the item the engine worked the action
out for. Nothing here reads the rule's YAML or knows what ``all``, ``any`` or ``not``
mean, so an explanation cannot disagree with the evaluation.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from .._errors import InvalidInput
from .._time import format_local, their_clock
from ..rules import ApplicationView, Check, CompiledRule, Scope, StateView, Traced
from ..state import State, suggest
from ._agenda import Action
from ._engine import Engine, _employer_zone, _fan_out, _stem

__all__ = ["Explanation", "explain", "explanation"]


@dataclass(frozen=True)
class Explanation:
    """Why one action is what it is at ``now``.

    :ivar action: the engine's action (``None``: there is none, and ``lines`` says why).
    :ivar conditions: whether the rule's condition holds for the item (``None``: it has none).
    :ivar opens: the window, as the rule's compiled moments give it for the item.
    :ivar lines: the explanation for a person, one line each.
    """

    key: str
    action: Action | None
    conditions: bool | None
    opens: dt.datetime | None
    due: dt.datetime | None
    expires: dt.datetime | None
    lines: tuple[str, ...]


#: the facts through which a rule waits for the employer
_EMPLOYER_DATES = ("application.employer_date", "application.decision_pending_by", "application.check_back_on")
_BOOKED = "application.next_interview_starts_at"


def _labels(check: Check | None) -> list[str]:
    """Every label of a traced condition, the parts' too."""
    if check is None:
        return []
    return [check.label, *(label for part in check.parts for label in _labels(part))]


def _holding(rule: CompiledRule, scope: Scope, action: Action | None) -> list[str]:
    """What on the employer's side holds this chase back: their date, or a booked interview."""
    view = scope.view
    if not isinstance(view, ApplicationView) or (action is not None and action.status not in ("upcoming",)):
        return []
    trace = rule.trace
    reads = " ".join([*_labels(trace.when), trace.opens, trace.due, trace.expires or ""])
    tz = scope.world.calendar.tz
    lines = []
    if _BOOKED in reads and view.next_interview_starts_at is not None:
        ahead = [i for i in view.application.interviews if not i.called_off and not view.has_ended(i)]
        booked = min(ahead, key=lambda i: (i.begins_at, i.id))
        lines.append(f"held back by the booked interview {booked.id} on {format_local(booked.begins_at, tz)}: no chase until after it")
    if any(name in reads for name in _EMPLOYER_DATES):
        now = scope.world.now
        decision, check_back = view.decision_pending_by, view.check_back_on
        if decision is not None and decision + dt.timedelta(days=1) > now:
            lines.append(f"held back by the employer's date: they said they would decide by {_day(decision, tz)}")
        if check_back is not None and check_back + dt.timedelta(days=1) > now:
            lines.append(f"held back by the employer's date: they asked to hear back on {_day(check_back, tz)}")
    return lines


def _day(instant: dt.datetime, tz: dt.tzinfo) -> str:
    local = instant.astimezone(tz)
    return f"{local:%a} {local.day} {local:%b %Y}"


def _mark(ok: bool) -> str:
    return "yes" if ok else "no "


def _show(value: Any, scope: Scope) -> str:
    if value is None:
        return "unset"
    if isinstance(value, dt.datetime):
        return format_local(value, scope.world.calendar.tz) + their_clock(value, _employer_zone(scope))
    return repr(value)


def _traced_lines(traced: Traced, scope: Scope, depth: int) -> list[str]:
    pad = "    " * depth
    check = traced.check
    if not check.parts and check.value is not None:
        return [f"{pad}{_mark(traced.holds)} {check.label} (value: {_show(traced.value, scope)})"]
    lines = [f"{pad}{_mark(traced.holds)} {check.label}{':' if check.parts else ''}"]
    for part in traced.parts:
        lines.extend(_traced_lines(part, scope, depth + 1))
    return lines


def _item(scope: Scope) -> str:
    bits = []
    if scope.application is not None:
        bits.append(f"application {scope.application.id} ({scope.application.company}, {scope.application.position}, {scope.application.status})")
    if scope.interview is not None:
        bits.append(f"interview {scope.interview.id}")
    if scope.interviewer is not None:
        bits.append(f"interviewer {scope.interviewer.id} ({scope.interviewer.name or 'name unknown'})")
    if scope.reference is not None:
        bits.append(f"reference {scope.reference.id} ({scope.reference.name})")
    return ", ".join(bits) or "the candidate"


def _matching_item(rule: CompiledRule, world: StateView, key: str) -> Scope | None:
    """The item a key names when the engine made no action for it (its conditions fail...)."""
    views = [None] if rule.for_each == "candidate" else world.applications
    for view in views:
        for scope in _fan_out(rule, world, view):
            stem = _stem(rule, scope)
            if stem == key or (rule.repeats and key.startswith(stem + ":")):
                return scope
    return None


def explanation(engine: Engine, state: State, now: dt.datetime, key: str) -> Explanation:
    """How the action with ``key`` came to have its status at ``now``.

    :raises InvalidInput: when no rule and item match ``key``.
    """
    agenda, items = engine.evaluate_items(state, now)
    action = agenda.get(key)
    if action is not None:
        key = action.key  # a short key, or one without its occurrence, as the action's own
    rule_id = key.split(":", 1)[0]
    rule = engine.rulebook.rule(rule_id)
    if rule is None:
        known = [r.id for r in engine.rulebook.rules]
        raise InvalidInput.single("KEY", f"{key!r} names no rule {rule_id!r}{suggest(rule_id, known)}; rules: {', '.join(known)}")
    if action is None and rule.repeats:
        # A key without its occurrence means the current occurrence.
        action = next((a for a in agenda if a.key.startswith(key + ":")), None)
    match = items.get(action.key) if action is not None else None
    if match is None:
        match = _matching_item(rule, StateView(state, now, engine.patience), key)
    if match is None:
        keys = [a.key for a in agenda if a.rule == rule_id]
        raise InvalidInput.single(
            "KEY",
            f"no action matches {key!r}{suggest(key, keys)}; keys of rule {rule_id!r} now: {', '.join(keys) or 'none'}",
        )
    trace = rule.trace
    lines = [
        action.key if action is not None else key,
        f"rule {rule.id}: kind {rule.kind}, for each {rule.for_each}, priority {rule.priority}",
    ]
    if rule.description:
        lines.append(f"  {' '.join(rule.description.split())}")
    lines.append(f"item: {_item(match)}")
    lines.append(f"now: {_show(now, match)}")
    lines.append(f"candidate's calendar: {match.world.calendar.describe()}")
    if match.application is not None:
        employer = match.application.employer
        if employer is None or employer is match.world.calendar:
            lines.append("employer's calendar: the candidate's (the state gives none of its own)")
        else:
            lines.append(f"employer's calendar: {employer.describe()}")
    conditions: bool | None = None
    if trace.when is not None:
        traced = trace.when.trace(match)
        conditions = traced.holds
        lines.append(f"conditions: {'hold' if conditions else 'do not hold, so there is no action'}")
        lines.extend(_traced_lines(traced, match, 1))
    else:
        lines.append("conditions: none")
    opens = rule.opens(match, None)
    fit = rule.fit
    if fit is not None and rule.fit_media is not None and rule.channel(match) not in rule.fit_media:
        fit = None
    if fit is not None and opens is not None:
        opens = fit(match, opens, opens)[0]  # as the engine does: the opening first
    due = rule.due(match, opens) if opens is not None else None
    expires = rule.expires(match, opens) if rule.expires is not None and opens is not None else None
    lines.append("window:")
    lines.append(f"  opens: {_show(opens, match)}  <- {trace.opens}")
    lines.append(f"  due: {_show(due, match)}  <- {trace.due}")
    lines.append(f"  expires: {_show(expires, match)}  <- {trace.expires}" if trace.expires is not None else "  expires: never")
    if fit is not None and opens is not None and due is not None:
        opens, due = fit(match, opens, due)
        whose = (
            "the employer's business hours, on a business day for both sides"
            if rule.working_time == "employer"
            else "the candidate's workday, on their business days"
        )
        lines.append(f"  working time: moved into {whose}:")
        lines.append(f"    opens {_show(opens, match)}")
        lines.append(f"    due {_show(due, match)}")
    lines.extend(_holding(rule, match, action))
    if trace.done_when:
        lines.append("done when any of these matches the log:")
        for label, matcher in trace.done_when:
            found = next(iter(matcher(match, opens)), None)
            where = f"matched {found.kind} at {_show(found.at, match)}" if found is not None else "no match"
            lines.append(f"  {label}: {where}")
    if rule.caps:
        lines.append("caps: " + ", ".join(f"{cap.id} ({cap.summary})" for cap in rule.caps))
    else:
        lines.append("caps: none (this rule is never held back)")
    if action is None:
        lines.append("status: no action (its conditions do not hold, its window is unset, or it has expired)")
    else:
        lines.append(f"status: {action.status} — {action.reason}")
        lines.append(f"channel: {action.channel}")
    return Explanation(action.key if action is not None else key, action, conditions, opens, due, expires, tuple(lines))


def explain(engine: Engine, state: State, now: dt.datetime, key: str) -> list[str]:
    """The lines of :func:`explanation`, as ``followup explain`` prints them."""
    return list(explanation(engine, state, now, key).lines)
