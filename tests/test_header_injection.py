"""No value from a state file can add an email header: checked against a real SMTP server (aiosmtpd).

Each hostile value is put where the state puts text into a header (the interviewer's
name into To, the candidate's name into From, the position into Subject, and the
addresses themselves) and delivered to a real server on loopback; the test then
looks at what the server received. Python versions before the fix for gh-121650
decode RFC 2047 encoded words when they fold a header and write a raw CR LF out,
so checking only the raw text is not enough.
"""

from __future__ import annotations

import base64
import dataclasses
import email
import email.policy
import os
import socket
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from followup import Engine, load_rulebook, load_state, parse_instant
from followup.delivery import Config, DeliveryError, Message
from followup.delivery.channels import CHANNELS, build_channel
from followup.delivery.messages import build_context, render_message

NOW = "2026-03-05T14:00:00+01:00"
KEY = "thank-you-note:acme:onsite:jonas"
SPECS = {spec.name: spec for spec in CHANNELS}

INJECTED = "Bcc: victim@evil.example"


def _b(text: str) -> str:
    return "=?utf-8?b?" + base64.b64encode(text.encode()).decode() + "?="


#: values that, written into a header by an unguarded mailer, add a header or push text into the body
HOSTILE = [
    "=?utf-8?q?Jonas=0D=0ABcc=3A_victim=40evil.example?=",  # the one from the campaign
    "=?utf-8?q?Jonas=0ABcc=3A_victim=40evil.example?=",  # LF only
    "=?utf-8?q?Jonas=0DBcc=3A_victim=40evil.example?=",  # CR only
    "=?UTF-8?Q?Jonas=0D=0AReply-To=3A_victim=40evil.example?=",  # upper-case, Reply-To
    "=?utf-8?q?Jonas=0D=0A=0D=0Apushed_into_the_body?=",  # end the headers
    "=?iso-8859-1?q?Jonas=0D=0ABcc=3A_victim=40evil.example?=",  # another charset
    _b("Jonas\r\nBcc: victim@evil.example"),  # base64
    "Jonas =?utf-8?q?=0D=0ABcc=3A?= victim@evil.example",  # encoded word in the middle
    "=?utf-8?q?Jonas=E2=80=A8Bcc=3A_victim=40evil.example?=",  # U+2028, encoded
    "=?utf-8?q?Jonas=C2=85Bcc=3A_victim=40evil.example?=",  # NEL, encoded
    "=?utf-8?q?Jonas=0BBcc=3A_victim=40evil.example?=",  # vertical tab, encoded
    _b("=?utf-8?q?Jonas=0D=0ABcc=3A_victim=40evil.example?="),  # an encoded word inside an encoded word
    *(f"Jonas{ch}Bcc: victim@evil.example" for ch in "\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"),  # raw
]


class Inbox:
    def __init__(self) -> None:
        self.envelopes: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    def received(self) -> list[bytes]:
        return [bytes(e.original_content) for e in self.envelopes]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield inbox, controller.port
    controller.stop()


STATE = """
version: 1
candidate:
  name: Alex Candidate
  email: alex@example.org
  timezone: Europe/Berlin
applications:
  - id: acme
    company: Acme
    position: Engineer
    status: interviewing
    interviews:
      - id: onsite
        starts_at: 2026-03-05T10:00:00+01:00
        ended_at: 2026-03-05T12:00:00+01:00
        interviewers:
          - {id: jonas, name: Jonas Berg, email: jonas@acme.example}
"""


@pytest.fixture(scope="module")
def note() -> Message:
    """The rendered thank-you note to Jonas, a clean message the tests make hostile."""
    state = load_state(_yaml_doc(STATE))
    action = Engine(load_rulebook()).evaluate(state, parse_instant(NOW)).get(KEY)
    assert action is not None
    message = render_message(build_context(state, action, {}, now=parse_instant(NOW)))
    assert message is not None
    return message


def _yaml_doc(text: str) -> Any:
    from followup.state import parse_document

    return parse_document(textwrap.dedent(text), "<state>")


def _channel(port: int) -> Any:
    config = Config(None, {"channels": {"email": {"host": "127.0.0.1", "port": port, "security": "none"}}})
    return build_channel(SPECS["email"], config)


def _hostile(note: Message, where: str, value: str) -> Message:
    if where == "To":
        return dataclasses.replace(note, recipient=dataclasses.replace(note.recipient, name=value))  # type: ignore[arg-type]
    if where == "From":
        return dataclasses.replace(note, sender=dataclasses.replace(note.sender, name=value))
    if where == "Subject":
        return dataclasses.replace(note, subject=f"About the {value} position")
    raise AssertionError(where)


def _headers_of(raw: bytes) -> list[str]:
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    return [name.lower() for name in parsed]


def test_a_clean_note_arrives_with_its_own_headers(smtp: tuple[Inbox, int], note: Message) -> None:
    inbox, port = smtp
    _channel(port).deliver(note)
    (raw,) = inbox.received()
    assert "bcc" not in _headers_of(raw)
    assert b"Jonas Berg" in raw


@pytest.mark.parametrize("where", ["To", "From", "Subject"])
@pytest.mark.parametrize("value", HOSTILE, ids=[f"v{i}" for i in range(len(HOSTILE))])
def test_hostile_header_value_is_refused_and_nothing_reaches_the_server(
    smtp: tuple[Inbox, int], note: Message, where: str, value: str
) -> None:
    inbox, port = smtp
    with pytest.raises(DeliveryError) as refused:
        _channel(port).deliver(_hostile(note, where, value))
    assert not refused.value.transient
    assert "header" in str(refused.value)
    received = inbox.received()
    assert received == [], f"the server received {received[0][:600]!r}"


@pytest.mark.parametrize(
    "address",
    [
        "=?utf-8?q?jonas=0D=0ABcc=3A_victim=40evil.example?=@acme.example",
        "jonas@=?utf-8?q?acme.example=0D=0ABcc=3A_victim=40evil.example?=",
        "jonas@acme.example\r\nBcc: victim@evil.example",
    ],
)
def test_hostile_address_is_refused(smtp: tuple[Inbox, int], note: Message, address: str) -> None:
    inbox, port = smtp
    hostile = dataclasses.replace(note, recipient=dataclasses.replace(note.recipient, email=address))  # type: ignore[arg-type]
    with pytest.raises(DeliveryError):
        _channel(port).deliver(hostile)
    for raw in inbox.received():  # whatever got through must not carry an injected header
        assert "bcc" not in _headers_of(raw)
        assert b"victim@evil.example" not in raw.split(b"\r\n\r\n")[0].replace(b"\r\n ", b" ").split(b"To:")[0]


def test_plain_non_ascii_and_quoted_names_still_work(smtp: tuple[Inbox, int], note: Message) -> None:
    inbox, port = smtp
    named = dataclasses.replace(note, recipient=dataclasses.replace(note.recipient, name='Zoë "Zo" Łukasz, PhD'))  # type: ignore[arg-type]
    _channel(port).deliver(named)
    (raw,) = inbox.received()
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert parsed["To"].addresses[0].display_name == 'Zoë "Zo" Łukasz, PhD'


# -- the command line: run delivers nothing hostile, preview refuses -------------------------------


def _cli(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "followup", *args],
        cwd=cwd, capture_output=True, text=True, timeout=120, env={**os.environ, **(env or {})},
    )  # fmt: skip


CLI_CASES = [
    ("To", "interviewers:\n          - {id: jonas, name: Jonas Berg,", "interviewers:\n          - {id: jonas, name: \"%s\","),
    ("From", "  name: Alex Candidate\n", "  name: \"%s\"\n"),
    ("Subject", "    position: Engineer\n", "    position: \"%s\"\n"),
]


@pytest.mark.parametrize(("where", "old", "new"), CLI_CASES, ids=[c[0] for c in CLI_CASES])
def test_run_and_preview_refuse_an_encoded_line_break(
    smtp: tuple[Inbox, int], tmp_path: Path, where: str, old: str, new: str
) -> None:
    inbox, port = smtp
    value = "=?utf-8?q?Jonas=0D=0ABcc=3A_victim=40evil.example?="
    text = textwrap.dedent(STATE).replace(old, new % value)
    assert value in text
    state = tmp_path / "s.yaml"
    state.write_text(text)
    config = tmp_path / "config.toml"
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "thank_you_note.txt").write_text(  # a user template that puts the position in the subject
        "{% block subject -%}Thank you: the {{ application.position }} position{%- endblock %}\n"
        "{% block body -%}Hello {{ recipient.name }}, thank you for your time.{%- endblock %}\n"
    )
    config.write_text(
        f'template_dir = "{templates}"\n[channels.email]\nhost = "127.0.0.1"\nport = {port}\nsecurity = "none"\n'
    )
    env = {"FOLLOWUP_CONFIG": str(config)}

    preview = _cli("preview", str(state), KEY, "--now", NOW, cwd=tmp_path, env=env)
    assert preview.returncode == 1, preview.stderr
    assert "blocked by headers" in preview.stderr and "line break" in preview.stderr

    store = f"sqlite:///{tmp_path / 'f.db'}"
    imported = _cli("import", str(state), "--store", store, cwd=tmp_path, env=env)
    assert imported.returncode == 0, imported.stderr
    run = _cli("run", "--once", "--now", "2026-03-06T10:00:00+01:00", "--store", store, cwd=tmp_path, env=env)
    assert "Traceback" not in run.stderr
    for raw in inbox.received():
        headers = _headers_of(raw)
        assert "bcc" not in headers and "reply-to" not in headers, raw[:600]
        assert b"victim@evil.example" not in raw
