"""The email and fax channels, end to end against a real SMTP server (aiosmtpd) on loopback."""

from __future__ import annotations

import dataclasses
import email
import email.policy
import functools
import shutil
import socket
import ssl
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from hypothesis import given, settings
from hypothesis import strategies as st

from followup import Engine, State, load_rulebook, load_state, parse_instant
from followup.delivery import Config, DeliveryError, Party
from followup.delivery.channels import CHANNELS, build_channel
from followup.delivery.channels.fax import gateway_address
from followup.delivery.messages import build_context, render_message
from followup.delivery.messages.checks import followup_check_message

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "job-search.yaml"
NOW = parse_instant("2026-11-30T09:30:00+01:00")
SPECS = {spec.name: spec for spec in CHANNELS}


class Inbox:
    """An aiosmtpd handler keeping every envelope; ``refuse`` makes RCPT fail for one address."""

    def __init__(self) -> None:
        self.envelopes: list[Any] = []
        self.refuse: dict[str, str] = {}

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    def messages(self) -> list[email.message.EmailMessage]:
        return [
            email.message_from_bytes(e.original_content, policy=email.policy.default)  # type: ignore[misc]
            for e in self.envelopes
        ]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start(inbox: Inbox, **kwargs: Any) -> Controller:
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port(), **kwargs)
    controller.start()
    return controller


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    controller = start(inbox)
    yield inbox, controller.port
    controller.stop()


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, made with the openssl command."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("the openssl command is needed to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and auth_data.login == b"alex" and auth_data.password == b"s3cret"
    return AuthResult(success=ok, handled=False)


@pytest.fixture(scope="module")
def example() -> tuple[State, Any]:
    state = load_state(EXAMPLE)
    return state, Engine(load_rulebook()).evaluate(state, NOW)


def email_channel(port: int, **settings: Any) -> Any:
    config = Config(None, {"channels": {"email": {"host": "127.0.0.1", "port": port, "security": "none", **settings}}})
    return build_channel(SPECS["email"], config)


def thank_you_notes(example: tuple[State, Any], medium: str) -> list[tuple[Any, dict[str, Any]]]:
    """A rendered thank-you note for each interviewer of the example whose employer uses ``medium``."""
    state, agenda = example
    found = []
    for action in agenda:
        if action.kind != "thank_you_note":
            continue
        context = build_context(state, action, {}, now=NOW)
        if context["medium"] == medium:
            found.append((render_message(context), context))
    return found


def test_a_thank_you_note_for_each_interviewer_is_delivered_by_smtp(
    smtp: tuple[Inbox, int], example: tuple[State, Any]
) -> None:
    inbox, port = smtp
    notes = thank_you_notes(example, "email")
    state, _ = example
    expected = {
        p.email
        for a in state.applications
        if a.written_medium == "email"
        for i in a.interviews
        if i.ended_at
        for p in i.interviewers
    }
    assert {m.recipient.email for m, _ in notes} == expected
    assert len(notes) >= 6
    channel = email_channel(port)
    for message, context in notes:
        assert followup_check_message(message, context) == []
        receipt = channel.deliver(message)
        assert receipt.channel == "email" and receipt.reference
    received = inbox.messages()
    assert len(received) == len(notes)
    by_address = {str(m["To"].addresses[0].addr_spec): m for m in received}
    assert set(by_address) == {m.recipient.email for m, _ in notes}
    bodies = [m.get_content().replace("\r\n", "\n") for m in received]
    assert len(set(bodies)) == len(bodies)
    for (message, context), mail in zip(notes, received, strict=True):
        assert not mail.defects
        assert mail["From"].addresses[0].addr_spec == "alex.morgan@example.org"
        assert mail["Subject"].strip() == message.subject  # a long subject is folded onto the next line
        assert mail["Message-ID"] == f"<{message.idempotency_key}@example.org>"
        assert mail["Date"].datetime.tzinfo is not None
        arrived = mail.get_content().replace("\r\n", "\n")
        assert arrived == message.body
        # what arrived passes the spelling check again
        assert followup_check_message(dataclasses.replace(message, body=arrived), context) == []
    # the two interviewers of one interview got notes that differ beyond their names
    priya = next(m for m, _ in notes if m.recipient.name == "Priya Raman")
    jonas = next(m for m, _ in notes if m.recipient.name == "Jonas Weber")
    assert priya.subject != jonas.subject
    assert priya.body.replace("Priya", "X") != jonas.body.replace("Jonas", "X")


def test_a_note_with_a_planted_typo_is_blocked_and_never_sent(
    smtp: tuple[Inbox, int], example: tuple[State, Any]
) -> None:
    inbox, _ = smtp
    message, context = thank_you_notes(example, "email")[0]
    assert " the " in message.body
    typo = dataclasses.replace(message, body=message.body.replace(" the ", " teh ", 1))
    blocks = followup_check_message(typo, context)
    assert [b.check for b in blocks] == ["spelling"]
    assert "'teh'" in blocks[0].reason and "'the'" in blocks[0].reason
    assert inbox.envelopes == []


def test_starttls_with_login_from_the_environment(
    certificate: tuple[Path, Path], example: tuple[State, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    cert, key = certificate
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    inbox = Inbox()
    controller = start(
        inbox, tls_context=context, require_starttls=True, authenticator=authenticator, auth_require_tls=True
    )
    try:
        message, _ = thank_you_notes(example, "email")[0]
        monkeypatch.setenv("TEST_SMTP_PASSWORD", "s3cret")
        settings = {
            "security": "starttls",
            "username": "alex",
            "password_env": "TEST_SMTP_PASSWORD",
            "ca_file": str(cert),
        }
        email_channel(controller.port, **settings).deliver(message)
        assert len(inbox.envelopes) == 1
        monkeypatch.setenv("TEST_SMTP_PASSWORD", "wrong")
        with pytest.raises(DeliveryError, match="refused the login for 'alex'") as caught:
            email_channel(controller.port, **settings).deliver(message)
        assert not caught.value.transient
        # without the private CA the certificate is not trusted: permanent, and it says what to do
        untrusted = {**settings, "ca_file": None}
        del untrusted["ca_file"]
        monkeypatch.setenv("TEST_SMTP_PASSWORD", "s3cret")
        with pytest.raises(DeliveryError, match=r"cannot be trusted.*ca_file") as caught:
            email_channel(controller.port, **untrusted).deliver(message)
        assert not caught.value.transient
        assert len(inbox.envelopes) == 1
    finally:
        controller.stop()


def test_implicit_tls(certificate: tuple[Path, Path], example: tuple[State, Any]) -> None:
    cert, key = certificate
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    inbox = Inbox()
    controller = start(inbox, ssl_context=context)
    try:
        message, _ = thank_you_notes(example, "email")[0]
        email_channel(controller.port, security="ssl", ca_file=str(cert)).deliver(message)
        assert len(inbox.envelopes) == 1
    finally:
        controller.stop()


def test_an_unreachable_server_is_a_transient_failure(example: tuple[State, Any]) -> None:
    message, _ = thank_you_notes(example, "email")[0]
    with pytest.raises(DeliveryError, match=r"could not deliver through 127\.0\.0\.1") as caught:
        email_channel(free_port(), timeout=5).deliver(message)
    assert caught.value.transient


def test_refused_recipients_are_permanent_or_transient_by_reply_code(
    smtp: tuple[Inbox, int], example: tuple[State, Any]
) -> None:
    inbox, port = smtp
    message, _ = thank_you_notes(example, "email")[0]
    inbox.refuse[message.recipient.email] = "550 5.1.1 no such user"
    with pytest.raises(DeliveryError, match=r"550 5\.1\.1 no such user") as caught:
        email_channel(port).deliver(message)
    assert not caught.value.transient
    inbox.refuse[message.recipient.email] = "451 4.3.0 try again later"
    with pytest.raises(DeliveryError) as caught:
        email_channel(port).deliver(message)
    assert caught.value.transient
    assert inbox.envelopes == []


@pytest.mark.parametrize(
    ("change", "what"),
    [
        ({"subject": "Thanks\r\nBcc: everyone@example.org"}, "subject"),
        ({"recipient": Party(name="Jonas\nBcc: everyone@example.org", email="jonas@example.org")}, "recipient name"),
        ({"recipient": Party(name="Jonas", email="jonas@example.org\nBcc: x@example.org")}, "recipient address"),
        ({"sender": Party(name="Alex\u2028Bcc: x", email="alex@example.org")}, "sender name"),
    ],
)
def test_header_injection_is_refused_before_connecting(
    smtp: tuple[Inbox, int], example: tuple[State, Any], change: dict[str, Any], what: str
) -> None:
    inbox, port = smtp
    message, _ = thank_you_notes(example, "email")[0]
    with pytest.raises(DeliveryError, match=f"the {what} .* line break") as caught:
        email_channel(port).deliver(dataclasses.replace(message, **change))
    assert not caught.value.transient
    assert inbox.envelopes == []


def test_a_recipient_without_an_email_address_is_a_permanent_failure(
    smtp: tuple[Inbox, int], example: tuple[State, Any]
) -> None:
    _, port = smtp
    message, _ = thank_you_notes(example, "postal")[0]
    with pytest.raises(DeliveryError, match="has no email address") as caught:
        email_channel(port).deliver(message)
    assert not caught.value.transient


def test_a_fax_medium_note_goes_to_the_gateway_address(smtp: tuple[Inbox, int], example: tuple[State, Any]) -> None:
    inbox, port = smtp
    ((note, context),) = thank_you_notes(example, "fax")
    assert note.recipient.fax == "+49 40 5550 3399"
    assert followup_check_message(note, context) == []
    config = Config(
        None,
        {
            "channels": {
                "email": {"host": "127.0.0.1", "port": port, "security": "none"},
                "fax": {"extends": "email", "gateway": "{number}@fax.example"},
            }
        },
    )
    receipt = build_channel(SPECS["fax"], config).deliver(note)
    assert receipt.channel == "fax"
    (envelope,) = inbox.envelopes
    assert envelope.rcpt_tos == ["494055503399@fax.example"]
    (mail,) = inbox.messages()
    assert mail["To"].addresses[0].addr_spec == "494055503399@fax.example"
    assert mail.get_body(("plain",)).get_content().replace("\r\n", "\n") == note.body
    assert "@page" in mail.get_body(("html",)).get_content()  # the printable letter rides along


def test_fax_gateway_patterns_and_numbers() -> None:
    assert gateway_address("{number}@fax.example", "+49 (40) 5550-3399") == "494055503399@fax.example"
    with pytest.raises(DeliveryError, match="too few digits"):
        gateway_address("{number}@fax.example", "n/a")
    from followup import InvalidInput

    bad = Config(None, {"channels": {"fax": {"host": "127.0.0.1", "gateway": "fax.example"}}})
    with pytest.raises(InvalidInput, match=r"channels\.fax\.gateway"):
        build_channel(SPECS["fax"], bad)


def test_email_and_fax_say_they_are_not_idempotent() -> None:
    assert SPECS["email"].idempotent is False
    assert SPECS["fax"].idempotent is False
    assert not SPECS["email"].is_configured({})
    assert SPECS["email"].is_configured({"host": "smtp.example.org"})


def test_names_with_accents_and_commas_are_encoded_not_mangled(
    smtp: tuple[Inbox, int], example: tuple[State, Any]
) -> None:
    inbox, port = smtp
    message, _ = thank_you_notes(example, "email")[0]
    person = Party(name="Müller, Jürgen", title="Leiter", email="juergen@example.org")
    email_channel(port).deliver(dataclasses.replace(message, recipient=person, subject="Danke schön"))
    (mail,) = inbox.messages()
    (to,) = mail["To"].addresses
    assert (to.display_name, to.addr_spec) == ("Müller, Jürgen", "juergen@example.org")
    assert mail["Subject"] == "Danke schön"
    raw = inbox.envelopes[0].original_content
    assert raw.isascii()  # RFC 2047 encoded words, not raw UTF-8 in the headers


@functools.cache
def _jonas_note() -> Any:
    state = load_state(EXAMPLE)
    action = Engine(load_rulebook()).evaluate(state, NOW).get("thank-you-note:northwind-data:onsite:jonas")
    return render_message(build_context(state, action, {}, now=NOW))


_BREAKS = st.sampled_from(["\r", "\n", "\r\n", "\x0b", "\x0c", "\x85", "\u2028", "\u2029"])


@settings(max_examples=60, deadline=None)
@given(
    before=st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=20),
    after=st.text(max_size=20),
    line_break=_BREAKS,
    where=st.sampled_from(["subject", "recipient name", "sender name"]),
)
def test_no_line_break_anywhere_in_a_header_value_gets_through(
    before: str, after: str, line_break: str, where: str
) -> None:
    """Whatever surrounds it, a line break in a header value is refused before any connection is made."""
    message = _jonas_note()
    value = before + line_break + after
    if where == "subject":
        message = dataclasses.replace(message, subject=value)
    elif where == "recipient name":
        message = dataclasses.replace(message, recipient=Party(name=value, email="jonas@example.org"))
    else:
        message = dataclasses.replace(message, sender=Party(name=value, email="alex@example.org"))
    with pytest.raises(DeliveryError, match="line break") as caught:
        email_channel(free_port(), timeout=1).deliver(
            message
        )  # nothing listens there: a connection would fail differently
    assert not caught.value.transient
