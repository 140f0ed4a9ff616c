"""Shared helpers for the test suite: small state documents built in code."""

from __future__ import annotations

import copy
import datetime as dt
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from followup import Agenda, Engine, State, load_rulebook, load_state, parse_instant

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "job-search.yaml"


def at(text: str) -> dt.datetime:
    """An aware instant from ISO 8601 text (an offset is required)."""
    return parse_instant(text)


def interviewer(id: str, **extra: Any) -> dict[str, Any]:
    person = {
        "id": id,
        "name": extra.pop("name", id.capitalize() + " Example"),
        "title": extra.pop("title", "Engineering Manager"),
        "email": extra.pop("email", f"{id}@employer.example"),
    }
    person.update(extra)
    return {k: v for k, v in person.items() if v is not None}


def application(id: str = "acme", **extra: Any) -> dict[str, Any]:
    doc = {"id": id, "company": extra.pop("company", id.capitalize() + " Corp"), "position": "Engineer", "status": "interviewing"}
    doc.update(extra)
    return doc


def state_doc(*applications: dict[str, Any], timezone: str = "Europe/Berlin", **candidate: Any) -> dict[str, Any]:
    person = {"name": "Alex Candidate", "email": "alex@example.org", "timezone": timezone}
    person.update(candidate)
    return {"version": 1, "candidate": person, "applications": [copy.deepcopy(a) for a in applications]}


@pytest.fixture(autouse=True)
def _no_inherited_columns(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tables are as wide as ``$COLUMNS``; pytest-xdist sets it to 80 in its workers, so a
    test (and the commands it starts) sees the piped widths unless it sets its own."""
    monkeypatch.delenv("COLUMNS", raising=False)


@pytest.fixture(scope="session")
def default_engine() -> Engine:
    return Engine(load_rulebook())


@pytest.fixture
def evaluate(default_engine: Engine) -> Callable[..., Agenda]:
    """evaluate(doc_or_state, "2026-03-05T10:00:00+01:00", rules=None) -> Agenda."""

    def run(document: dict[str, Any] | State, now: str, rules: Any = None) -> Agenda:
        state = document if isinstance(document, State) else load_state(document)
        engine = default_engine if rules is None else Engine(load_rulebook(rules))
        return engine.evaluate(state, at(now))

    return run


def by_rule(agenda: Agenda, rule: str) -> list[Any]:
    return [a for a in agenda if a.rule == rule]


class Inbox:
    """What a loopback SMTP server received, envelope by envelope."""

    def __init__(self) -> None:
        self.envelopes: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    """A real SMTP server (aiosmtpd) on a free loopback port, offering neither STARTTLS nor AUTH."""
    from aiosmtpd.controller import Controller

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()
