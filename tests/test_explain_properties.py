"""explain says what the engine did: same status, same verdict on the conditions, same window."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from hypothesis import given

from conftest import ROOT
from followup import load_state
from followup.engine import explanation
from test_engine_properties import ENGINE, SETTINGS, nows, states

EXAMPLE = ROOT / "examples" / "job-search.yaml"


@SETTINGS
@given(states(), nows)
def test_explain_agrees_with_the_engine(doc: dict[str, Any], now: dt.datetime) -> None:
    state = load_state(doc)
    agenda = ENGINE.evaluate(state, now)
    for action in agenda:
        told = explanation(ENGINE, state, now, action.key)
        assert told.action == action
        assert told.conditions is not False, told.lines  # an action exists only where its conditions hold
        assert (told.opens, told.due, told.expires) == (action.opens_at, action.due_at, action.expires_at), told.lines
        assert f"status: {action.status} — {action.reason}" in told.lines
        assert "conditions: hold" in told.lines or "conditions: none" in told.lines
        item = next(line for line in told.lines if line.startswith("item: "))
        if action.interview is not None:
            assert re.search(rf"interview {re.escape(action.interview)}(,|$)", item), (item, action.key)  # the engine's item


def test_explain_describes_the_interview_the_engine_kept() -> None:
    """A note once per interviewer (distinct: recipient) is worked out from their latest interview;
    explain used to describe the first interview whose key matched instead."""
    from followup import parse_instant
    from followup.engine import Engine

    state = load_state(EXAMPLE)
    now = parse_instant("2026-11-30T09:30:00+01:00", None)
    engine = Engine()
    action = engine.evaluate(state, now).get("bridge-note:cobalt-retail::mia")
    assert action is not None and action.interview == "case-study"
    told = explanation(engine, state, now, action.key)
    assert "interview case-study, interviewer mia" in next(line for line in told.lines if line.startswith("item: "))

