"""The generated code finds exactly what the closures find.

``Engine(rulebook)`` evaluates with the Python source generated from the rulebook
(:mod:`followup.rules._codegen`); ``Engine(rulebook, reference=True)`` with the
closures the compiler made, rule by rule, item by item. For generated states (zones
with daylight-saving changes inside the six weeks, German holidays, employers in other
zones) and generated rulebooks (overlays of the default one changing windows, working
time and calendars; new rules at every level with conditions mixing levels; caps that
bind), both agendas must be identical, reasons and wake-up time included.

Also: the source contains the rulebook's values only as literals, so a hostile value
cannot become code.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from followup import Agenda, Engine, load_rulebook, load_state
from followup.rules import generate
from test_caps_properties import NOW as CAPS_NOW
from test_caps_properties import SCOPES, cases
from test_engine_properties import nows, states

SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None)
DEFAULT = load_rulebook()
DEFAULT_IDS = [rule.id for rule in DEFAULT.rules]

OFFSETS = st.sampled_from(
    [{"business_days": n} for n in (1, 2, 5)] + [{"days": n} for n in (1, 3, 7)] + [{"hours": n} for n in (6, 30)] + [{"weeks": 1}]
)
CLOCKS = st.sampled_from([None, "start_of_day", "end_of_day", "02:30", "23:45"])
#: facts of each level, with operators and operands that make sense for them
CONDITIONS: dict[str, list[dict[str, Any]]] = {
    "candidate": [
        {"fact": "candidate.search_over", "eq": False},
        {"fact": "candidate.active_applications", "gt": 1},
        {"fact": "candidate.last_activity_at", "is": "set"},
    ],
    "application": [
        {"fact": "application.status", "in": ["interviewing", "offer"]},
        {"fact": "application.status", "not_in": ["rejected"]},
        {"fact": "application.priority", "le": 3},
        {"fact": "application.company", "ne": "Acme"},
        {"fact": "application.last_interview_ended_at", "is": "set"},
        {"fact": "application.follow_up_requested_on", "is": "unset"},
        {"fact": {"count_contacts": {"kind": ["status_call", "follow_up"]}}, "lt": 2},
        {"fact": {"last_contact": {"direction": "in"}}, "is": "set"},
    ],
    "interview": [
        {"fact": "interview.ended_at", "is": "set"},
        {"fact": "interview.status", "eq": "scheduled"},
        {"fact": {"count_contacts": {"interview": "current", "after": {"at": "interview.starts_at"}}}, "ge": 1},
    ],
    "interviewer": [
        {"fact": "interviewer.title", "is": "set"},
        {"fact": "interviewer.meets_again_that_day", "eq": False},
        {"fact": {"first_contact": {"to": "recipient", "kind": "thank_you_note"}}, "is": "unset"},
    ],
    "reference": [
        {"fact": "reference.alerted", "eq": False},
        {"fact": {"count_contacts": {"to": "recipient"}}, "eq": 0},
    ],
}
BELOW = {
    "candidate": ["candidate"],
    "application": ["candidate", "application"],
    "interview": ["candidate", "application", "interview"],
    "interviewer": ["candidate", "application", "interview", "interviewer"],
    "reference": ["candidate", "application", "reference"],
}
#: a moment each level can count from
BASES = {
    "candidate": "candidate.last_activity_at",
    "application": "application.last_interview_ended_at",
    "interview": "interview.ended_at",
    "interviewer": "interview.ended_at",
    "reference": "application.first_interview_ended_at",
}


@st.composite
def moments(draw: st.DrawFn, level: str, may_use_opens: bool) -> dict[str, Any]:
    bases = [BASES[level], "application.applied_at" if level != "candidate" else BASES[level]]
    shape = draw(st.sampled_from(["at", "at", "first", "earliest", "latest"] + (["opens"] if may_use_opens else [])))
    moment: dict[str, Any]
    if shape == "opens":
        moment = {"at": "opens"}
    elif shape == "at":
        moment = {"at": draw(st.sampled_from(bases))}
    else:
        moment = {shape: [{"at": base, "plus": draw(OFFSETS)} for base in bases]}
    if draw(st.booleans()):
        moment[draw(st.sampled_from(["plus", "minus"]))] = draw(OFFSETS)
    clock = draw(CLOCKS)
    if clock is not None:
        moment["time"] = clock
    if level != "candidate" and draw(st.integers(0, 3)) == 0:
        moment["calendar"] = "employer"
    return moment


@st.composite
def conditions(draw: st.DrawFn, level: str) -> dict[str, Any]:
    pool = [c for below in BELOW[level] for c in CONDITIONS[below]]
    parts = draw(st.lists(st.sampled_from(pool), min_size=1, max_size=4))
    shaped: list[dict[str, Any]] = []
    for part in parts:
        wrap = draw(st.integers(0, 5))
        if wrap == 0:
            shaped.append({"not": part})
        elif wrap == 1:
            shaped.append({"any": [part, draw(st.sampled_from(pool))]})
        else:
            shaped.append(part)
    return shaped[0] if len(shaped) == 1 and draw(st.booleans()) else {"all": shaped}


@st.composite
def new_rules(draw: st.DrawFn, index: int) -> dict[str, Any]:
    level = draw(st.sampled_from(list(BELOW)))
    rule: dict[str, Any] = {
        "id": f"generated-{index}",
        "kind": draw(st.sampled_from(["follow_up", "status_call", "thank_you_note", "reference_alert"])),
        "for_each": level,
        "window": {"opens": draw(moments(level, False)), "due": draw(moments(level, True))},
        "channel": draw(st.sampled_from(["email", "phone", "reminder"] + (["postal"] if level != "candidate" else []))),
        "priority": draw(st.integers(1, 60)),
    }
    if level != "candidate" and draw(st.booleans()):
        rule["channel"] = {"fact": "application.written_medium"}
    if draw(st.integers(0, 4)):
        rule["when"] = draw(conditions(level))
    if draw(st.booleans()):
        rule["window"]["expires"] = draw(moments(level, True))
    if draw(st.booleans()):
        rule["repeats"] = True
    if level == "interviewer" and draw(st.integers(0, 3)) == 0:
        rule["distinct"] = "recipient"
    if level != "candidate":
        rule["working_time"] = draw(st.sampled_from(["none", "employer", "candidate"]))
        if draw(st.booleans()):
            rule["caps"] = draw(st.lists(st.sampled_from(["patience", "breathing-room", "ceiling"]), max_size=2, unique=True))
        done = {"kind": rule["kind"]} if draw(st.booleans()) else {"after": {"at": "opens"}}
        if level in ("interviewer", "reference") and draw(st.booleans()):
            done["to"] = "recipient"
        rule["done_when"] = [done]
    return rule


@st.composite
def rulebooks(draw: st.DrawFn) -> dict[str, Any]:
    """An overlay of the default rulebook: some rules off, some windows moved, some rules new."""
    changes: list[dict[str, Any]] = []
    for rule_id in draw(st.lists(st.sampled_from(DEFAULT_IDS), max_size=8, unique=True)):
        what = draw(st.sampled_from(["off", "due", "working_time", "priority"]))
        if what == "off":
            changes.append({"id": rule_id, "enabled": False})
        elif what == "due":
            due = {"at": "opens", "plus": draw(OFFSETS)}
            clock = draw(CLOCKS)
            if clock is not None:
                due["time"] = clock
            changes.append({"id": rule_id, "window": {"due": due}})
        elif what == "working_time" and DEFAULT.rule(rule_id).for_each != "candidate":  # type: ignore[union-attr]
            changes.append({"id": rule_id, "working_time": draw(st.sampled_from(["none", "employer", "candidate"]))})
        else:
            changes.append({"id": rule_id, "priority": draw(st.integers(1, 60))})
    changes += [draw(new_rules(i)) for i in range(draw(st.integers(0, 4)))]
    return {"version": 1, "extends": "default", "rules": changes}


@st.composite
def employers(draw: st.DrawFn) -> dict[str, Any]:
    """A state of :func:`test_engine_properties.states`, some employers in zones of their own."""
    doc = draw(states())
    for app in doc["applications"]:
        choice = draw(st.integers(0, 3))
        if choice == 1:
            app["employer"] = {"timezone": "America/Los_Angeles", "holidays": {"country": "US"}}
        elif choice == 2:
            app["employer"] = {"timezone": "Asia/Kolkata", "business_hours": {"start": "10:00", "end": "18:30"}}
    return doc


def _compiled(rulebook: Any) -> Engine:
    """An engine that runs the generated code from its first evaluation on."""
    engine = Engine(rulebook)
    assert engine.program is not None
    return engine


def _same(rulebook: Any, state: Any, now: dt.datetime) -> None:
    fast = _compiled(rulebook).evaluate(state, now)
    reference = Engine(rulebook, reference=True).evaluate(state, now)
    assert _table(fast) == _table(reference)


def _table(agenda: Agenda) -> dict[str, Any]:
    return agenda.to_dict()


@SETTINGS
@given(employers(), nows)
def test_the_default_rulebook_gives_the_same_agenda_both_ways(doc: dict[str, Any], now: dt.datetime) -> None:
    _same(DEFAULT, load_state(doc), now)


@SETTINGS
@given(rulebooks(), employers(), nows)
def test_generated_rulebooks_give_the_same_agenda_both_ways(overlay: dict[str, Any], doc: dict[str, Any], now: dt.datetime) -> None:
    _same(load_rulebook(overlay), load_state(doc), now)


@pytest.mark.parametrize("scope", SCOPES)
def test_binding_caps_give_the_same_agenda_both_ways(scope: str) -> None:
    @settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None)
    @given(cases(scope))
    def check(case: tuple[dict[str, Any], dict[str, Any]]) -> None:
        rulebook, state = case
        _same(load_rulebook(rulebook), load_state(state), CAPS_NOW)

    check()


def test_an_application_filter_and_the_candidate_switch_are_honoured_both_ways() -> None:
    doc = {
        "version": 1,
        "candidate": {"name": "Alex", "timezone": "Europe/Berlin"},
        "applications": [
            {"id": f"app{n}", "company": f"Co{n}", "position": "Engineer", "status": "interviewing", "priority": n,
             "applied_at": "2026-03-02T09:00:00+01:00",
             "interviews": [{"id": "i1", "starts_at": "2026-03-10T10:00:00+01:00", "ended_at": "2026-03-10T11:00:00+01:00",
                             "interviewers": [{"id": f"p{n}", "name": "Pat", "email": "pat@x.example"}]}]}
            for n in (1, 2)
        ],
    }  # fmt: skip
    state, now = load_state(doc), dt.datetime(2026, 3, 20, 9, 0, tzinfo=dt.UTC)
    for kwargs in ({"applications": ["app2"]}, {"candidate": False}, {"applications": []}):
        fast = _compiled(DEFAULT).evaluate(state, now, **kwargs)  # type: ignore[arg-type]
        reference = Engine(DEFAULT, reference=True).evaluate(state, now, **kwargs)  # type: ignore[arg-type]
        assert fast.to_dict() == reference.to_dict()
    assert {a.application for a in _compiled(DEFAULT).evaluate(state, now, applications=["app2"])} <= {"app2", None}


HOSTILE = "x'); import os; os.system('echo owned') #\n\"\"\"\\"


def test_a_hostile_value_stays_a_literal_in_the_generated_source() -> None:
    rulebook = load_rulebook({
        "version": 1,
        "description": HOSTILE,
        "rules": [{
            "id": "hostile",
            "description": HOSTILE,
            "kind": "follow_up",
            "for_each": "application",
            "when": {"all": [{"fact": "application.company", "eq": HOSTILE},
                             {"fact": "application.status", "in": [HOSTILE, "applied"]},
                             {"fact": "application.position", "ne": HOSTILE}]},
            "window": {"opens": {"at": "application.applied_at"}, "due": {"at": "opens", "plus": {"days": 1}}},
            "channel": "email",
        }],
    })  # fmt: skip
    source = generate(rulebook).source
    assert "import os" not in source.replace(repr(HOSTILE), "")  # only inside the literal
    assert source.count(repr(HOSTILE)) == 3  # the eq, the in and the ne; descriptions are not code
    doc = {
        "version": 1,
        "candidate": {"name": "Alex", "timezone": "UTC"},
        "applications": [{"id": "a", "company": HOSTILE.replace("\n", " "), "position": "P", "status": "applied",
                          "priority": 1, "applied_at": "2026-03-01T09:00:00+00:00"},
                         {"id": "b", "company": HOSTILE, "position": "P", "status": "applied",
                          "priority": 2, "applied_at": "2026-03-01T09:00:00+00:00"}],
    }  # fmt: skip
    agenda = _compiled(rulebook).evaluate(load_state(doc), dt.datetime(2026, 3, 5, tzinfo=dt.UTC))
    assert [a.application for a in agenda] == ["b"]  # the value compared as a string, nothing run


def test_a_hostile_rule_id_is_refused_before_any_code_is_written() -> None:
    from followup import InvalidInput

    with pytest.raises(InvalidInput, match="id"):
        load_rulebook({
            "version": 1,
            "rules": [{"id": "x:\n  import os", "kind": "follow_up", "for_each": "application", "channel": "email",
                       "window": {"opens": {"at": "application.applied_at"}, "due": {"at": "opens"}}}],
        })  # fmt: skip


def test_an_engine_switches_to_the_generated_code_after_its_first_evaluation() -> None:
    engine = Engine(DEFAULT)
    seen: list[int] = []
    engine._gather = lambda *args: seen.append(1)  # type: ignore[method-assign]
    state, now = load_state({"version": 1, "candidate": {"name": "Alex", "timezone": "UTC"}}), dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    engine.evaluate(state, now)
    assert seen == []  # the first: the closures
    engine.evaluate(state, now)
    assert seen == [1]  # then the generated code
    reference = Engine(DEFAULT, reference=True)
    reference._gather = lambda *args: seen.append(2)  # type: ignore[method-assign]
    for _ in range(3):
        reference.evaluate(state, now)
    assert seen == [1]


def test_the_source_names_its_rules_only_through_the_namespace() -> None:
    program = generate(DEFAULT)
    compiled = [value for value in program.namespace.values() if getattr(value, "id", None) in DEFAULT_IDS]
    assert {rule.id for rule in compiled} == set(DEFAULT_IDS)
    assert "def application(world, view, out):" in program.source
    # rule ids only appear in comments, as repr() of the validated id
    mentions = [line.strip() for line in program.source.splitlines() if "thank-you-note" in line]
    assert mentions and all(line.startswith("#") for line in mentions)


def test_a_distinct_rule_lets_the_last_interview_decide_both_ways() -> None:
    """One note per person (``distinct: recipient``): the window of the interview that
    starts last replaces the others, and when it has expired there is no action at all."""
    rulebook = load_rulebook({
        "version": 1,
        "rules": [{
            "id": "one-note", "kind": "thank_you_note", "for_each": "interviewer", "distinct": "recipient",
            "when": {"fact": "interview.ended_at", "is": "set"},
            "window": {"opens": {"at": "interview.ended_at"}, "due": {"at": "opens", "plus": {"days": 2}},
                       "expires": {"at": "opens", "plus": {"days": 5}}},
            "channel": "email",
        }],
    })  # fmt: skip
    person = {"id": "pat", "name": "Pat", "email": "pat@x.example"}

    def keys(last_ends: str) -> list[list[tuple[str, str | None]]]:
        doc = {
            "version": 1,
            "candidate": {"name": "Alex", "timezone": "Europe/Berlin"},
            "applications": [{
                "id": "a", "company": "Acme", "position": "P", "status": "interviewing", "priority": 1,
                "applied_at": "2026-03-01T09:00:00+01:00",
                "interviews": [
                    # a long first interview that ended recently, then a short one
                    {"id": "first", "starts_at": "2026-03-05T10:00:00+01:00", "ended_at": "2026-03-18T11:00:00+01:00", "interviewers": [person]},
                    {"id": "second", "starts_at": "2026-03-06T10:00:00+01:00", "ended_at": last_ends, "interviewers": [person]},
                ],
            }],
        }  # fmt: skip
        state, now = load_state(doc), dt.datetime(2026, 3, 19, 9, 0, tzinfo=dt.UTC)
        return [[(a.key, a.interview) for a in engine.evaluate(state, now)] for engine in (_compiled(rulebook), Engine(rulebook, reference=True))]

    assert keys("2026-03-06T11:00:00+01:00") == [[], []]  # the second has expired: no note
    assert keys("2026-03-18T12:00:00+01:00") == [[("one-note:a::pat", "second")]] * 2


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "followup", *args], capture_output=True, text=True, timeout=120)


def test_rules_compile_show_prints_the_source_the_engine_runs(tmp_path: Path) -> None:
    shown = _cli("rules", "compile", "--show")
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout == generate(DEFAULT).source
    compile(shown.stdout, "<shown>", "exec")  # it is Python
    overlay = tmp_path / "overlay.yaml"
    overlay.write_text("extends: default\nrules:\n  - id: thank-you-note\n    enabled: false\n")
    summary = _cli("rules", "compile", str(overlay))
    assert summary.returncode == 0, summary.stderr
    assert f"{len(DEFAULT.rules) - 1} rules and {len(DEFAULT.caps)} caps compiled to" in summary.stdout


def test_rules_compile_reports_a_bad_rulebook_with_its_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\nrules:\n  - id: x\n    kind: follow_up\n    for_each: nobody\n")
    result = _cli("rules", "compile", "--show", str(bad))
    assert result.returncode == 1
    assert f"{bad}:5:" in result.stderr and "Traceback" not in result.stderr
    assert result.stdout == ""
