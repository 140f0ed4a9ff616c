"""Load + evaluate: what an embedding tool pays, next to parsing and evaluating by hand.

An embedding tool holds its job searches as plain dicts (what a JSON or YAML state
file holds) and wants the actions due now. With followup that is
``load_state(document)`` and then ``Engine.evaluate``; the peer is what a developer
would write without a rules engine: build the same model objects straight from the
dicts (``datetime.fromisoformat``, no validation, no error messages) and run the
hand-written R1-R4 of ``bench/handwritten.py`` on them. Both run on the same seeded
workload in the same process, and must find the same actions.

Run ``python bench/loading.py [applications] [runs]`` to print the figures.
"""

from __future__ import annotations

import datetime as dt
import gc
import statistics
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

BENCH = Path(__file__).resolve().parent
if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))

import handwritten  # noqa: E402
import workload  # noqa: E402

__all__ = ["TARGET_LOAD_RATIO", "hand_parse", "measure"]

#: the issue's goal: followup's load + evaluate at least this fraction of the hand-written speed
TARGET_LOAD_RATIO = 0.25
ActionKey = tuple[str, str, str, str]
_MIDNIGHT = dt.time(0, 0)


def _instant(text: str | None, tz: dt.tzinfo) -> dt.datetime | None:
    if text is None:
        return None
    if len(text) == 10:  # a plain date: the start of that day
        return dt.datetime.combine(dt.date.fromisoformat(text), _MIDNIGHT, tzinfo=tz).astimezone(dt.UTC).astimezone(tz)
    return dt.datetime.fromisoformat(text)


def hand_parse(document: Mapping[str, Any]) -> Any:
    """The model of ``document``, built by hand: trusting, unvalidated, only what R1-R4 read."""
    from followup import Application, Candidate, Contact, Interview, Interviewer, State
    from followup._time import Calendar

    raw = document["candidate"]
    tz = ZoneInfo(raw["timezone"])
    candidate = Candidate(name=raw["name"], timezone=raw["timezone"], calendar=Calendar(tz))
    applications = []
    for app in document["applications"]:
        interviews = tuple(
            Interview(
                id=i["id"],
                starts_at=_instant(i.get("starts_at"), tz),
                ended_at=_instant(i.get("ended_at"), tz),
                interviewers=tuple(Interviewer(id=p["id"], name=p.get("name")) for p in i.get("interviewers", ())),
            )
            for i in app.get("interviews", ())
        )
        contacts = tuple(
            sorted(
                (
                    Contact(
                        at=dt.datetime.fromisoformat(c["at"]),
                        kind=c["kind"],
                        direction=c.get("direction", "out" if c["kind"] != "reply" else "in"),
                        to=c.get("to"),
                        interview=c.get("interview"),
                    )
                    for c in app.get("contacts", ())
                ),
                key=lambda c: c.at,
            )
        )
        applications.append(
            Application(
                id=app["id"],
                company=app["company"],
                position=app.get("position"),
                status=app["status"],
                follow_up_requested_on=_instant(app.get("follow_up_requested_on"), tz),
                interviews=interviews,
                contacts=contacts,
            )
        )
    return State(candidate=candidate, applications=tuple(applications))


def _followup(documents: list[dict[str, Any]]) -> Callable[[], set[ActionKey]]:
    from followup import Engine, load_rulebook, load_state

    engine = Engine(load_rulebook(BENCH / "reference_rules.yaml"))
    now = workload.NOW

    def run() -> set[ActionKey]:
        found: set[ActionKey] = set()
        add = found.add
        for document in documents:
            for action in engine.evaluate(load_state(document), now).actions:
                if action.status in ("due", "overdue"):
                    add((action.rule, action.application or "", action.interview or "", action.recipient or ""))
        return found

    return run


def _by_hand(documents: list[dict[str, Any]]) -> Callable[[], set[ActionKey]]:
    now = workload.NOW

    def run() -> set[ActionKey]:
        return handwritten.evaluate((hand_parse(d) for d in documents), now)

    return run


def _evaluate_only(documents: Iterable[dict[str, Any]]) -> Callable[[], Any]:
    from followup import Engine, load_rulebook, load_state

    engine = Engine(load_rulebook(BENCH / "reference_rules.yaml"))
    states = [load_state(d) for d in documents]
    now = workload.NOW
    return lambda: [engine.evaluate(s, now) for s in states]


def _load_only(documents: list[dict[str, Any]]) -> Callable[[], Any]:
    from followup import load_state

    return lambda: [load_state(d) for d in documents]


def _median(function: Callable[[], Any], runs: int) -> float:
    times = []
    for _ in range(runs):
        gc.collect()
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def measure(apps: int = 2000, runs: int = 3) -> dict[str, float]:
    """Applications per second of followup's load + evaluate and of the hand-written peer,
    interleaved in one process; also followup's load alone and evaluation alone.

    Raises :class:`AssertionError` when the two do not find the same actions.
    """
    documents = list(workload.documents(apps))
    mine, peer = _followup(documents), _by_hand(documents)
    if mine() != peer():
        raise AssertionError("followup's load + evaluate and the hand-written peer found different actions")
    timed: dict[str, list[float]] = {"followup": [], "hand-written": [], "load": [], "evaluate": []}
    load, evaluate = _load_only(documents), _evaluate_only(documents)
    for _ in range(runs):
        for name, function in (("followup", mine), ("hand-written", peer), ("load", load), ("evaluate", evaluate)):
            timed[name].append(_median(function, 1))
    figures = {f"{name} apps/s": apps / statistics.median(times) for name, times in timed.items()}
    figures["ratio"] = figures["followup apps/s"] / figures["hand-written apps/s"]
    figures["load / evaluate"] = statistics.median(timed["load"]) / statistics.median(timed["evaluate"])
    return figures


if __name__ == "__main__":
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    repeat = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    for key, value in measure(count, repeat).items():
        print(f"{key}: {value:,.2f}")
