"""The benchmark's five implementations of R1-R4 agree, so its speed figures compare like with like.

``bench/run.py`` checks this on 20 000 applications before it times anything; this
test checks it on 500 on every test run. A peer library that is not installed
(``pip install -e '.[bench]'``) is skipped with the reason, never silently.
"""

from __future__ import annotations

import importlib
import sys
from collections import Counter
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"
sys.path.insert(0, str(BENCH))

import handwritten  # noqa: E402
import run  # noqa: E402
import workload  # noqa: E402

APPS = 500


@pytest.fixture(scope="module")
def states() -> list[object]:
    return list(workload.states(APPS))


@pytest.fixture(scope="module")
def expected(states: list[object]) -> set[tuple[str, str, str, str]]:
    return handwritten.evaluate(states, workload.NOW)  # type: ignore[arg-type]


def test_the_workload_is_deterministic_and_has_the_promised_shape() -> None:
    first = list(workload.documents(200, seed=3))
    assert first == list(workload.documents(200, seed=3))
    assert first != list(workload.documents(200, seed=4))
    applications = [a for d in first for a in d["applications"]]
    assert len(applications) == 200
    assert all(1 <= len(a["interviews"]) <= 3 for a in applications)
    assert all(1 <= len(i["interviewers"]) <= 4 for a in applications for i in a["interviews"])
    assert all(0 <= len(a["contacts"]) <= 6 for a in applications)
    assert len({a["status"] for a in applications}) == 6
    assert len({d["candidate"]["timezone"] for d in first}) >= 8
    offsets = {c["at"][-6:] for a in applications for c in a["contacts"]}
    assert len(offsets) >= 5


def test_every_reference_rule_fires_and_every_hold_back_happens(states: list[object], expected: set[tuple[str, str, str, str]]) -> None:
    # An equivalence check over an empty or one-sided action set would prove nothing.
    rules = Counter(key[0] for key in expected)
    assert set(rules) == {"r1-thank-you", "r2-status-call", "r4-requested-follow-up"}
    assert min(rules.values()) >= 10
    from followup import Engine, load_rulebook

    engine = Engine(load_rulebook(run.REFERENCE_RULES))
    statuses = Counter(
        (action.rule, action.status) for state in states for action in engine.evaluate(state, workload.NOW)  # type: ignore[arg-type]
    )
    assert statuses[("r2-status-call", "suppressed")] > 0  # R3 held some back
    assert statuses[("r1-thank-you", "done")] > 0
    assert statuses[("r4-requested-follow-up", "upcoming")] > 0


def test_followup_matches_hand_written(states: list[object], expected: set[tuple[str, str, str, str]]) -> None:
    assert run.followup_evaluator()(states, workload.NOW) == expected


@pytest.mark.parametrize("module", ["peer_business_rules", "peer_rule_engine", "peer_zen_engine"])
def test_peer_matches_hand_written(module: str, states: list[object], expected: set[tuple[str, str, str, str]]) -> None:
    try:
        peer = importlib.import_module(module)
    except ImportError as exc:
        pytest.skip(f"{module} needs its library, which is not installed ({exc}); pip install -e '.[bench]'")
    assert peer.evaluate(states, workload.NOW) == expected


def test_a_disagreement_is_reported() -> None:
    base = {("r1-thank-you", "app-1", "i1", "p1")}
    assert run.disagreements({"hand-written": base, "followup": base}) == []
    problems = run.disagreements({"hand-written": base, "followup": set()})
    assert len(problems) == 1 and "followup" in problems[0] and "misses 1" in problems[0]
