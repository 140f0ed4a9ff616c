"""``followup explain``: how one action's conditions, window, log and caps were worked out."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from .._errors import InvalidInput
from .._time import format_local
from ..rules import CompiledRule, Compiler, Scope, StateView
from ..state import State, suggest
from ._engine import Engine, _fan_out, _stem

__all__ = ["explain"]


def describe_time(spec: Mapping[str, Any]) -> str:
    """A moment's YAML as a short phrase: ``interview.ended_at +2 business days, end_of_day``."""
    if "at" in spec:
        base = describe_fact(spec["at"])
    else:
        name = "earliest" if "earliest" in spec else "latest"
        base = f"{name} of (" + "; ".join(describe_time(item) for item in spec[name]) + ")"
    parts = [base]
    for sign, key in (("+", "plus"), ("-", "minus")):
        if key in spec:
            ((unit, amount),) = spec[key].items()
            parts.append(f"{sign}{amount} {unit.replace('_', ' ')}")
    text = " ".join(parts)
    if "time" in spec:
        text += f", at {spec['time']}"
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


def _mark(ok: bool) -> str:
    return "yes" if ok else "no "


def _show(value: Any, scope: Scope) -> str:
    if value is None:
        return "unset"
    if isinstance(value, dt.datetime):
        return format_local(value, scope.world.calendar.tz)
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
    world = StateView(state, now)
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
    lines.append(explainer.moment("due", window["due"], match, opens)[1])
    lines.append(explainer.moment("expires", window.get("expires"), match, opens)[1])
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
