"""``followup explain``: how one action's conditions, window, log and caps were worked out."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from .._errors import InvalidInput
from .._time import format_local, their_clock
from ..rules import ApplicationView, CompiledRule, Compiler, Scope, StateView
from ..state import State, suggest
from ._agenda import Action
from ._engine import Engine, _employer_zone, _fan_out, _stem

__all__ = ["explain"]


def describe_time(spec: Mapping[str, Any]) -> str:
    """A moment's YAML as a short phrase: ``interview.ended_at +2 business days, end_of_day``."""
    if "at" in spec:
        base = describe_fact(spec["at"])
    else:
        name = next(n for n in ("earliest", "latest", "first") if n in spec)
        label = "first set of" if name == "first" else f"{name} of"
        base = f"{label} (" + "; ".join(describe_time(item) for item in spec[name]) + ")"
    parts = [base]
    for sign, key in (("+", "plus"), ("-", "minus")):
        if key in spec:
            ((unit, amount),) = spec[key].items()
            parts.append(f"{sign}{amount} {unit.replace('_', ' ')}")
    text = " ".join(parts)
    if "time" in spec:
        text += f", at {spec['time']}"
    if spec.get("calendar") == "employer":
        text += " (employer's calendar)"
    return text


def describe_fact(ref: Any) -> str:
    if isinstance(ref, str):
        return ref
    ((question, spec),) = ref.items()
    return f"{question.replace('_', ' ')} matching {describe_match(spec)}"


def describe_match(spec: Mapping[str, Any]) -> str:
    bits = []
    for key, value in spec.items():
        if key in ("after", "before"):
            bits.append(f"{key} {describe_time(value)}")
        else:
            bits.append(f"{key}={value}")
    return "{" + ", ".join(bits) + "}"


class _Explainer:
    def __init__(self, engine: Engine, rule: CompiledRule) -> None:
        self.rule = rule
        self.compiler = Compiler(engine.rulebook.vocabulary, rule.source, "<explain>")
        self.level = rule.for_each

    def condition(self, spec: Mapping[str, Any], scope: Scope, depth: int) -> tuple[bool, list[str]]:
        pad = "    " * depth
        for group in ("all", "any"):
            if group in spec:
                results = [self.condition(item, scope, depth + 1) for item in spec[group]]
                verdict = all(r for r, _ in results) if group == "all" else any(r for r, _ in results)
                lines = [f"{pad}{_mark(verdict)} {group} of:"]
                for _, sub in results:
                    lines.extend(sub)
                return verdict, lines
        if "not" in spec:
            inner, sub = self.condition(spec["not"], scope, depth + 1)
            return not inner, [f"{pad}{_mark(not inner)} not:", *sub]
        name = next(k for k in spec if k != "fact")
        get = self.compiler.value(spec["fact"], self.level, [])
        value = get(scope, None) if get is not None else None
        predicate = self.compiler.vocabulary.operators[name].build(spec[name])
        verdict = predicate(value)
        shown = _show(value, scope)
        return verdict, [f"{pad}{_mark(verdict)} {describe_fact(spec['fact'])} {name} {spec[name]!r} (value: {shown})"]

    def moment(self, label: str, spec: Mapping[str, Any] | None, scope: Scope, opens: dt.datetime | None) -> tuple[dt.datetime | None, str]:
        if spec is None:
            return None, f"  {label}: never"
        value = self.compiler.time(spec, self.level, [])(scope, opens)
        return value, f"  {label}: {_show(value, scope)}  <- {describe_time(spec)}"


#: the facts through which a rule waits for the employer
_EMPLOYER_DATES = ("application.employer_date", "application.decision_pending_by", "application.check_back_on")
_BOOKED = "application.next_interview_starts_at"


def _holding(source: Mapping[str, Any], scope: Scope, action: Action | None) -> list[str]:
    """What on the employer's side holds this chase back: their date, or a booked interview."""
    view = scope.view
    if not isinstance(view, ApplicationView) or (action is not None and action.status not in ("upcoming",)):
        return []
    reads = repr({k: source.get(k) for k in ("when", "window")})
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


def explain(engine: Engine, state: State, now: dt.datetime, key: str) -> list[str]:
    """Lines telling how the action with ``key`` came to have its status at ``now``.

    :raises InvalidInput: when no rule and item match ``key``.
    """
    rule_id = key.split(":", 1)[0]
    rule = engine.rulebook.rule(rule_id)
    if rule is None:
        known = [r.id for r in engine.rulebook.rules]
        raise InvalidInput.single("KEY", f"{key!r} names no rule {rule_id!r}{suggest(rule_id, known)}; rules: {', '.join(known)}")
    agenda = engine.evaluate(state, now)
    action = agenda.get(key)
    if action is None and rule.repeats:
        # A key without its occurrence means the current occurrence.
        action = next((a for a in agenda if a.key.startswith(key + ":")), None)
    world = StateView(state, now, engine.patience)
    match: Scope | None = None
    views = [None] if rule.for_each == "candidate" else world.applications
    for view in views:
        for scope in _fan_out(rule, world, view):
            stem = _stem(rule, scope)
            if stem == key or (rule.repeats and key.startswith(stem + ":")):
                match = scope
                break
        if match is not None:
            break
    if match is None:
        keys = [a.key for a in agenda if a.rule == rule_id]
        raise InvalidInput.single(
            "KEY",
            f"no action matches {key!r}{suggest(key, keys)}; keys of rule {rule_id!r} now: {', '.join(keys) or 'none'}",
        )
    explainer = _Explainer(engine, rule)
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
    source = rule.source
    if "when" in source:
        verdict, sub = explainer.condition(source["when"], match, 1)
        lines.append(f"conditions: {'hold' if verdict else 'do not hold, so there is no action'}")
        lines.extend(sub)
    else:
        lines.append("conditions: none")
    lines.append("window:")
    window = source["window"]
    opens, text = explainer.moment("opens", window["opens"], match, None)
    lines.append(text)
    fit = rule.fit
    if fit is not None and rule.fit_media is not None and rule.channel(match) not in rule.fit_media:
        fit = None
    if fit is not None and opens is not None:
        opens = fit(match, opens, opens)[0]
    due, text = explainer.moment("due", window["due"], match, opens)
    lines.append(text)
    lines.append(explainer.moment("expires", window.get("expires"), match, opens)[1])
    if fit is not None and opens is not None and due is not None:
        fitted_opens, fitted_due = fit(match, opens, due)
        whose = (
            "the employer's business hours, on a business day for both sides"
            if rule.working_time == "employer"
            else "the candidate's workday, on their business days"
        )
        lines.append(f"  working time: moved into {whose}:")
        lines.append(f"    opens {_show(fitted_opens, match)}")
        lines.append(f"    due {_show(fitted_due, match)}")
    lines.extend(_holding(source, match, action))
    if "done_when" in source:
        lines.append("done when any of these matches the log:")
        for spec in source["done_when"]:
            matcher = explainer.compiler.matcher(spec, rule.for_each, [])
            found = next(iter(matcher(match, opens)), None) if matcher is not None else None
            where = f"matched {found.kind} at {_show(found.at, match)}" if found is not None else "no match"
            lines.append(f"  {describe_match(spec)}: {where}")
    if rule.caps:
        lines.append("caps: " + ", ".join(f"{cap.id} ({cap.summary})" for cap in rule.caps))
    else:
        lines.append("caps: none (this rule is never held back)")
    if action is None:
        lines.append("status: no action (its conditions do not hold, its window is unset, or it has expired)")
    else:
        lines.append(f"status: {action.status} — {action.reason}")
        lines.append(f"channel: {action.channel}")
    return lines
