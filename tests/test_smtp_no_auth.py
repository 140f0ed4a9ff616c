"""A username set for a server that offers no login: the error says so, not that STARTTLS is missing."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import Inbox
from followup import Engine, load_rulebook, load_state, parse_instant
from followup.delivery import Config, DeliveryError
from followup.delivery.channels import CHANNELS, build_channel
from followup.delivery.messages import build_context, render_message

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "job-search.yaml"
NOW = parse_instant("2026-11-30T09:30:00+01:00")
EMAIL = next(spec for spec in CHANNELS if spec.name == "email")


def test_username_without_auth_on_the_server_names_the_login_not_starttls(
    smtp: tuple[Inbox, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    inbox, port = smtp
    monkeypatch.setenv("TEST_SMTP_PASSWORD", "s3cret")
    settings = {"host": "127.0.0.1", "port": port, "security": "none", "username": "alex", "password_env": "TEST_SMTP_PASSWORD"}
    channel = build_channel(EMAIL, Config(None, {"channels": {"email": settings}}))
    state = load_state(EXAMPLE)
    action = next(a for a in Engine(load_rulebook()).evaluate(state, NOW) if a.kind == "thank_you_note" and a.channel == "email")
    message = render_message(build_context(state, action, {}, now=NOW))
    with pytest.raises(DeliveryError) as caught:
        channel.deliver(message)
    text = str(caught.value)
    assert "STARTTLS" not in text
    assert "login" in text and "username" in text
    assert not caught.value.transient
    assert inbox.envelopes == []
