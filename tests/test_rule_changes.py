"""Changing rules and channels while work is pending (issue #18), for real.

Every test drives the command line in its own processes against a SQLite file, with
a real SMTP server (aiosmtpd) and a real HTTP receiver on loopback; deliveries are
counted from what those servers logged, never from the store. Time is passed with
``--now``; nothing sleeps to let time pass.
"""

from __future__ import annotations

import asyncio
import contextlib
import email
import email.policy
import json
import os
import signal
import socket
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiosmtpd.controller import Controller

# Monday 30 November 2026 in Berlin; the interviews end at 10:00
T0 = "2026-11-30T10:30:00+01:00"


def later(minutes: int = 0, *, days: int = 0, base: str = T0) -> str:
    import datetime as dt

    moment = dt.datetime.fromisoformat(base) + dt.timedelta(days=days, minutes=minutes)
    return moment.isoformat()


# ---------------------------------------------------------------------------
# the receiving servers and their own logs
# ---------------------------------------------------------------------------


class Mailroom:
    """An aiosmtpd handler: ``plan[address]`` says what each DATA for that address
    gets in turn (``"451"``: refused, nothing kept; ``"hang"``: kept, then no answer
    for ``hang_for`` seconds); otherwise the message is accepted and kept."""

    def __init__(self) -> None:
        self.received: list[email.message.EmailMessage] = []
        self.plan: dict[str, list[str]] = {}
        self.hang_for = 4.0
        self.hanging = threading.Event()
        self.release = asyncio.Event()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        address = envelope.rcpt_tos[0]
        steps = self.plan.get(address) or []
        step = steps.pop(0) if steps else "accept"
        if step == "451":
            return "451 4.3.0 mailbox busy, try again later"
        self.received.append(email.message_from_bytes(envelope.original_content, policy=email.policy.default))  # type: ignore[arg-type]
        if step == "hang":
            self.hanging.set()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.release.wait(), self.hang_for)
        return "250 OK"

    def count(self) -> Counter[str]:
        return Counter(str(m["To"].addresses[0].addr_spec) for m in self.received)

    def message_ids(self, address: str) -> list[str]:
        return [str(m["Message-ID"]) for m in self.received if m["To"].addresses[0].addr_spec == address]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp() -> Iterator[tuple[Mailroom, int]]:
    room = Mailroom()
    controller = Controller(room, hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield room, controller.port
    controller.loop.call_soon_threadsafe(room.release.set)
    controller.stop()


class _Hook(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        server: Any = self.server
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        server.received.append({"idempotency_key": self.headers["Idempotency-Key"], **body})
        steps = server.plan.get(f"{body['kind']}:{(body.get('recipient') or {}).get('name')}") or []
        if steps and steps.pop(0) == "hang":
            server.release.wait(10)  # the sender gives up first
            return
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[Any]:
    """A webhook receiver; ``copies()`` counts what a receiver that drops repeated
    idempotency keys would keep: distinct keys per ``kind:application:recipient``."""
    httpd: Any = ThreadingHTTPServer(("127.0.0.1", 0), _Hook)
    httpd.daemon_threads = True
    httpd.received = []
    httpd.plan = {}
    httpd.release = threading.Event()

    def copies() -> Counter[str]:
        seen = {
            (r["idempotency_key"], f"{r['kind']}:{r['action']['application']}:{(r.get('recipient') or {}).get('name') or ''}")
            for r in httpd.received
        }
        return Counter(what for _, what in seen)

    httpd.copies = copies
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield httpd
    httpd.release.set()
    httpd.shutdown()
    httpd.server_close()
    thread.join()


# ---------------------------------------------------------------------------
# a job search, rulebooks, a configuration, and the command line
# ---------------------------------------------------------------------------


def person(id: str, **extra: str) -> dict[str, str]:
    return {"id": id, "name": id.capitalize() + " Example", "title": "Engineer", "email": f"{id}@acme.example", **extra}


def job_search(*, people: tuple[str, ...] = ("jonas",), extra: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    acme = {
        "id": "acme",
        "company": "Acme Corp",
        "position": "Data Engineer",
        "status": "interviewing",
        "preferred_medium": "email",
        "interviews": [
            {
                "id": "onsite",
                "starts_at": "2026-11-30T09:00:00+01:00",
                "ended_at": "2026-11-30T10:00:00+01:00",
                "interviewers": [person(p) for p in people],
            }
        ],
    }
    return {
        "version": 1,
        "candidate": {"name": "Alex Morgan", "email": "alex.morgan@example.org", "timezone": "Europe/Berlin"},
        "applications": [acme, *(extra or [])],
    }


def thank_you_rule(id: str = "thank-you", **changes: Any) -> dict[str, Any]:
    rule: dict[str, Any] = {
        "id": id,
        "kind": "thank_you_note",
        "for_each": "interviewer",
        "when": {"fact": "interview.ended_at", "is": "set"},
        "window": {
            "opens": {"at": "interview.ended_at"},
            "due": {"at": "interview.ended_at", "plus": {"business_days": 2}, "time": "end_of_day"},
        },
        "done_when": [{"kind": "thank_you_note", "to": "recipient", "interview": "current"}],
        "channel": {"fact": "application.written_medium"},
    }
    rule.update(changes)
    return rule


def call_rule(id: str = "status-call") -> dict[str, Any]:
    """A task for the candidate (a call): it contacts nobody, so no log entry settles it."""
    return {
        "id": id,
        "kind": "status_call",
        "for_each": "application",
        "when": {"fact": "application.status", "in": ["interviewing"]},
        "window": {"opens": {"at": "application.last_interview_ended_at"}, "due": {"at": "application.last_interview_ended_at", "plus": {"days": 1}}},
        "channel": "phone",
    }


@dataclass
class Desk:
    """One person's folder: the store, the configuration, rulebooks; runs ``followup``."""

    root: Path
    env: dict[str, str] = field(default_factory=dict)

    @property
    def store(self) -> Path:
        return self.root / "store.sqlite3"

    def write(self, name: str, document: Any) -> Path:
        path = self.root / name
        path.write_text(yaml.safe_dump(document, sort_keys=False) if not isinstance(document, str) else document)
        return path

    def rulebook(self, name: str, *rules: dict[str, Any], caps: list[dict[str, Any]] | None = None) -> Path:
        document: dict[str, Any] = {"version": 1, "rules": list(rules)}
        if caps:
            document["caps"] = caps
        return self.write(name, document)

    def config(self, text: str) -> Path:
        return self.write("config.toml", text)

    def followup(self, *args: str, expect: int | None = 0) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [sys.executable, "-m", "followup", *args],
            cwd=self.root,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert "Traceback" not in result.stderr, result.stderr
        if expect is not None:
            assert result.returncode == expect, (args, result.returncode, result.stdout, result.stderr)
        return result

    def popen(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, "-m", "followup", *args], cwd=self.root, env=self.env, text=True,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )  # fmt: skip

    def run(self, now: str, *options: str, expect: int | None = 0) -> subprocess.CompletedProcess[str]:
        return self.followup("run", "--once", "--now", now, *options, expect=expect)

    def outbox(self) -> dict[str, dict[str, Any]]:
        entries = json.loads(self.followup("outbox", "--all", "--format", "json").stdout)
        return {e["key"]: e for e in entries}

    def activate(self, rulebook: Path) -> subprocess.CompletedProcess[str]:
        return self.followup("rules", "activate", str(rulebook))


def email_config(port: int, *, timeout: float = 10, extra: str = "") -> str:
    return f'[channels.email]\nhost = "127.0.0.1"\nport = {port}\nsecurity = "none"\ntimeout = {timeout}\n{extra}'


@pytest.fixture
def desk(tmp_path: Path) -> Desk:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("FOLLOWUP_")}
    environment.update(FOLLOWUP_CONFIG=str(tmp_path / "config.toml"), FOLLOWUP_STORE=f"sqlite:///{tmp_path / 'store.sqlite3'}")
    return Desk(tmp_path, environment)


def start(desk: Desk, state: dict[str, Any], rulebook: Path) -> None:
    desk.followup("init")
    desk.followup("import", str(desk.write("state.yaml", state)))
    desk.activate(rulebook)


def by_status(desk: Desk) -> dict[str, str]:
    return {key: entry["status"] for key, entry in desk.outbox().items()}


# ---------------------------------------------------------------------------
# 1. a rule switched off for a moment keeps its work
# ---------------------------------------------------------------------------


def test_a_rule_switched_off_and_on_around_a_retry_delivers_once_after_it_is_back(
    desk: Desk, smtp: tuple[Mailroom, int]
) -> None:
    room, port = smtp
    desk.config(email_config(port))
    on = desk.rulebook("on.yaml", thank_you_rule())
    off = desk.rulebook("off.yaml", thank_you_rule(enabled=False))
    start(desk, job_search(), on)
    room.plan["jonas@acme.example"] = ["451"]
    desk.run(T0)
    assert by_status(desk) == {"thank-you:acme:onsite:jonas": "retrying"}
    desk.activate(off)
    desk.run(later(2))
    entry = desk.outbox()["thank-you:acme:onsite:jonas"]
    assert entry["status"] == "parked"
    assert "no longer asks for it" in entry["error"]
    listed = desk.followup("outbox").stdout
    assert "parked" in listed and "thank-you:acme:onsite:jonas" in listed
    assert room.count() == Counter()
    desk.activate(on)
    desk.run(later(3))
    assert room.count() == Counter({"jonas@acme.example": 1})
    desk.run(later(10))
    desk.run(later(days=1))
    assert room.count() == Counter({"jonas@acme.example": 1})
    assert by_status(desk) == {"thank-you:acme:onsite:jonas": "delivered"}


# ---------------------------------------------------------------------------
# 2. a window moved later keeps the retry, and sends it when due
# ---------------------------------------------------------------------------


def test_a_window_moved_later_around_a_retry_delivers_once_when_due(desk: Desk, smtp: tuple[Mailroom, int]) -> None:
    room, port = smtp
    desk.config(email_config(port))
    now = desk.rulebook("now.yaml", thank_you_rule())
    moved = thank_you_rule()
    moved["window"] = {
        "opens": {"at": "interview.ended_at", "plus": {"days": 2}},
        "due": {"at": "interview.ended_at", "plus": {"business_days": 3}, "time": "end_of_day"},
    }
    later_rules = desk.rulebook("later.yaml", moved)
    start(desk, job_search(), now)
    room.plan["jonas@acme.example"] = ["451"]
    desk.run(T0)
    desk.activate(later_rules)
    desk.run(later(2))
    entry = desk.outbox()["thank-you:acme:onsite:jonas"]
    assert entry["status"] == "parked" and "upcoming" in entry["error"]
    desk.run("2026-12-01T09:00:00+01:00")
    desk.run("2026-12-02T09:59:00+01:00")
    assert room.count() == Counter()
    result = desk.run("2026-12-02T10:01:00+01:00")
    assert "1 delivered" in result.stdout
    desk.run("2026-12-03T10:00:00+01:00")
    assert room.count() == Counter({"jonas@acme.example": 1})


# ---------------------------------------------------------------------------
# 3. a tightened cap holds the retry until the cap frees
# ---------------------------------------------------------------------------


def notes_cap(max: int) -> list[dict[str, Any]]:
    return [{"id": "notes", "counts": ["thank_you_note"], "per": "application", "max": max, "within": {"days": 7}}]


def test_a_cap_tightened_around_a_retry_holds_it_and_delivers_it_when_the_cap_frees(
    desk: Desk, smtp: tuple[Mailroom, int]
) -> None:
    room, port = smtp
    desk.config(email_config(port))
    two = desk.rulebook("two.yaml", thank_you_rule(caps=["notes"]), caps=notes_cap(2))
    one = desk.rulebook("one.yaml", thank_you_rule(caps=["notes"]), caps=notes_cap(1))
    start(desk, job_search(people=("anna", "priya")), two)
    room.plan["priya@acme.example"] = ["451"]
    desk.run(T0)
    assert by_status(desk) == {"thank-you:acme:onsite:anna": "delivered", "thank-you:acme:onsite:priya": "retrying"}
    desk.activate(one)
    desk.run(later(2))
    entry = desk.outbox()["thank-you:acme:onsite:priya"]
    assert entry["status"] == "parked" and "suppressed" in entry["error"]
    desk.run(later(days=3))
    assert room.count() == Counter({"anna@acme.example": 1})
    desk.run(later(1, days=7))  # anna's note leaves the seven days
    desk.run(later(5, days=7))
    assert room.count() == Counter({"anna@acme.example": 1, "priya@acme.example": 1})


# ---------------------------------------------------------------------------
# 5. a renamed rule never sends a second copy
# ---------------------------------------------------------------------------


def test_renaming_rules_around_delivered_retrying_and_uncertain_notes_sends_no_second_copy(
    desk: Desk, smtp: tuple[Mailroom, int], receiver: Any
) -> None:
    room, port = smtp
    desk.config(
        email_config(port)
        + f'\n[channels.webhook]\nurl = "http://127.0.0.1:{receiver.server_port}/letters"\ntimeout = 3\nretries = 0\n'
        + '\n[routes]\npostal = "webhook"\nphone = "webhook"\n'
    )
    globex = {
        "id": "globex",
        "company": "Globex",
        "position": "Analyst",
        "status": "interviewing",
        "preferred_medium": "postal",
        "interviews": [
            {
                "id": "panel",
                "starts_at": "2026-11-30T08:00:00+01:00",
                "ended_at": "2026-11-30T09:00:00+01:00",
                "interviewers": [person("ben", postal_address="1 Main St"), person("dave", postal_address="2 Main St")],
            }
        ],
    }
    old = desk.rulebook("old.yaml", thank_you_rule(), call_rule())
    renamed = desk.rulebook("renamed.yaml", thank_you_rule("thank-interviewers"), call_rule("get-ready"))
    start(desk, job_search(people=("anna", "cara"), extra=[globex]), old)
    room.plan["cara@acme.example"] = ["hang"]  # the server has the mail, and never answers
    room.hang_for = 30
    receiver.plan["thank_you_note:Ben Example"] = ["hang"]  # the receiver has the letter, and never answers
    # generous timeouts, so that only the hangs (not a loaded machine) make anything time out
    desk.run(T0, "--timeout", "6")
    assert by_status(desk) == {
        "status-call:acme": "delivered",
        "status-call:globex": "delivered",
        "thank-you:acme:onsite:anna": "delivered",
        "thank-you:acme:onsite:cara": "uncertain",
        "thank-you:globex:panel:ben": "retrying",
        "thank-you:globex:panel:dave": "delivered",
    }
    desk.activate(renamed)
    for step in (2, 5, 60, 24 * 60):
        desk.run(later(step))
    assert room.count() == Counter({"anna@acme.example": 1, "cara@acme.example": 1})
    letters = {"thank_you_note:globex:Ben Example": 1, "thank_you_note:globex:Dave Example": 1}
    calls = {what: 1 for what in receiver.copies() if what.startswith("status_call:")}
    assert sorted(what.split(":")[1] for what in calls) == ["acme", "globex"]
    assert receiver.copies() == Counter(letters | calls)
    bens = [r for r in receiver.received if r["kind"] == "thank_you_note" and r["recipient"]["name"] == "Ben Example"]
    assert len(bens) == 2, [(r["key"], r["kind"], r["idempotency_key"]) for r in bens]  # retried once, same key
    statuses = by_status(desk)
    assert statuses["thank-you:globex:panel:ben"] == "delivered"
    assert statuses["thank-you:acme:onsite:cara"] == "uncertain"
    assert not [key for key in statuses if key.startswith(("thank-interviewers", "get-ready"))]


# ---------------------------------------------------------------------------
# 6. a hang after DATA is uncertain whichever timeout fires
# ---------------------------------------------------------------------------


def test_an_smtp_server_hanging_after_data_makes_the_note_uncertain_and_it_is_never_resent(
    desk: Desk, smtp: tuple[Mailroom, int]
) -> None:
    room, port = smtp
    desk.config(email_config(port, timeout=3))  # the channel's own timeout fires first
    rules = desk.rulebook("rules.yaml", thank_you_rule())
    start(desk, job_search(), rules)
    room.plan["jonas@acme.example"] = ["hang", "hang"]
    room.hang_for = 15
    desk.run(T0, "--timeout", "30")
    entry = desk.outbox()["thank-you:acme:onsite:jonas"]
    assert entry["status"] == "uncertain", entry
    for step in (2, 10, 60):
        desk.run(later(step))
    assert room.count() == Counter({"jonas@acme.example": 1})


# ---------------------------------------------------------------------------
# 4. a worker with another rulebook refuses to run
# ---------------------------------------------------------------------------


def test_a_second_worker_with_a_different_rulebook_refuses_to_run(desk: Desk, smtp: tuple[Mailroom, int]) -> None:
    room, port = smtp
    desk.config(email_config(port))
    first = desk.rulebook("first.yaml", thank_you_rule())
    second = desk.rulebook("second.yaml", thank_you_rule("thanks-again"))
    desk.followup("init")
    desk.followup("import", str(desk.write("state.yaml", job_search())))
    desk.run(T0, "--rules", str(first), "--activate")
    refused = desk.run(later(1), "--rules", str(second), expect=1)
    assert "active rulebook" in refused.stderr and "followup rules activate" in refused.stderr
    assert "second.yaml" in refused.stderr
    assert room.count() == Counter({"jonas@acme.example": 1})
    desk.run(later(2), "--rules", str(first))  # the same rulebook: runs
    desk.run(later(3))  # no --rules: the active one
    assert room.count() == Counter({"jonas@acme.example": 1})
    history = desk.followup("rules", "history").stdout
    assert "first.yaml" in history and "thank-you" in history
    desk.run(later(4), "--rules", str(second), "--activate")
    history = desk.followup("rules", "history").stdout
    assert "second.yaml" in history and "+thanks-again" in history and "-thank-you" in history
    desk.run(later(5))
    assert room.count() == Counter({"jonas@acme.example": 1})  # the same message under another name: not again


# ---------------------------------------------------------------------------
# 3. activation wakes every application
# ---------------------------------------------------------------------------


def test_activating_a_rulebook_wakes_an_application_that_had_no_wake(desk: Desk, receiver: Any) -> None:
    desk.config(f'[channels.webhook]\nurl = "http://127.0.0.1:{receiver.server_port}/tasks"\n[routes]\nphone = "webhook"\n')
    quiet = {"id": "quiet", "company": "Quiet Ltd", "position": "Engineer", "status": "applied", "applied_at": "2026-11-02T09:00:00+01:00"}
    state = job_search(extra=[quiet])
    state["applications"] = [quiet]
    nothing = desk.rulebook("nothing.yaml", thank_you_rule())
    start(desk, state, nothing)
    assert "nothing to send" in desk.run(T0).stdout
    chase = {
        "id": "chase-application",
        "kind": "status_call",
        "for_each": "application",
        "when": {"fact": "application.status", "in": ["applied"]},
        "window": {"opens": {"at": "application.applied_at", "plus": {"days": 14}}, "due": {"at": "application.applied_at", "plus": {"days": 21}}},
        "channel": "phone",
    }
    desk.activate(desk.rulebook("chase.yaml", thank_you_rule(), chase))
    result = desk.run(later(1))
    assert "1 delivered" in result.stdout
    assert [what.split(":")[:2] for what in receiver.copies().elements()] == [["status_call", "quiet"]]


# ---------------------------------------------------------------------------
# 7. a retry never changes channel: a removed channel keeps it pending, exit 1
# ---------------------------------------------------------------------------


def test_a_retry_whose_channel_was_removed_stays_pending_and_exits_1(desk: Desk, smtp: tuple[Mailroom, int]) -> None:
    room, port = smtp
    config = desk.config(email_config(port))
    rules = desk.rulebook("rules.yaml", thank_you_rule())
    start(desk, job_search(), rules)
    desk.followup("config", "activate", str(config))
    room.plan["jonas@acme.example"] = ["451"]
    desk.run(T0)
    before = desk.outbox()["thank-you:acme:onsite:jonas"]
    desk.config("# the email section is gone\n")
    desk.followup("config", "activate", str(config))
    result = desk.run(later(5), expect=1)
    assert "'email'" in result.stderr and "recorded" in result.stderr
    after = desk.outbox()["thank-you:acme:onsite:jonas"]
    assert (after["status"], after["attempts"], after["channel"]) == ("retrying", before["attempts"], "email")
    assert room.count() == Counter()
    desk.config(email_config(port))
    desk.followup("config", "activate", str(config))
    desk.run(later(6))
    assert room.count() == Counter({"jonas@acme.example": 1})


# ---------------------------------------------------------------------------
# #11: one failing subject does not stop the others; a kill strands one action at most
# ---------------------------------------------------------------------------


def test_a_subject_that_cannot_be_evaluated_is_recorded_and_the_others_are_delivered(
    desk: Desk, smtp: tuple[Mailroom, int]
) -> None:
    import sqlite3

    room, port = smtp
    desk.config(email_config(port))
    rules = desk.rulebook("rules.yaml", thank_you_rule())
    other = job_search(people=("jonas",))["applications"][0] | {"id": "zenith", "company": "Zenith"}
    start(desk, job_search(extra=[other]), rules)
    with sqlite3.connect(desk.store) as db:  # an entry snoozed to the end of time, written behind followup's back
        db.execute(
            "INSERT INTO followup_contacts (subject, digest, doc) VALUES (?, ?, ?)",
            ("acme", "poison", json.dumps({"at": "2026-11-30T09:10:00+00:00", "kind": "snoozed", "action": "thank-you:acme:onsite:jonas", "until": "9999-12-31T23:30:00+00:00"})),
        )
    result = desk.run(T0, expect=1)
    assert "acme" in result.stderr
    assert room.count() == Counter({"jonas@acme.example": 1})  # zenith's note
    assert desk.outbox()["thank-you:zenith:onsite:jonas"]["status"] == "delivered"
    listed = desk.followup("outbox").stdout
    assert "acme" in listed and "could not" in listed


def test_a_worker_killed_during_delivery_leaves_only_the_action_in_flight_uncertain(
    desk: Desk, smtp: tuple[Mailroom, int]
) -> None:
    room, port = smtp
    desk.config(email_config(port, timeout=60))
    rules = desk.rulebook("rules.yaml", thank_you_rule())
    people = ("anna", "ben", "cara", "dave", "emil", "fay")
    start(desk, job_search(people=people), rules)
    room.plan["cara@acme.example"] = ["hang"]
    room.hang_for = 60
    worker = desk.popen("run", "--once", "--now", T0, "--timeout", "60")
    try:
        assert room.hanging.wait(60), "the worker never reached the third note"
        worker.send_signal(signal.SIGKILL)
        worker.wait(30)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    statuses = by_status(desk)
    assert Counter(statuses.values()) == Counter({"delivered": 2, "claimed": 1}), statuses
    assert statuses["thank-you:acme:onsite:cara"] == "claimed"
    desk.run(later(10))  # the lease has run out: the claim is recovered
    statuses = by_status(desk)
    assert statuses["thank-you:acme:onsite:cara"] == "uncertain"
    assert Counter(statuses.values()) == Counter({"delivered": 5, "uncertain": 1})
    assert room.count() == Counter({f"{p}@acme.example": 1 for p in people})
