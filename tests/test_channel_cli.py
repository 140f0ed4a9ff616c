"""`followup channels`, `followup preview` and `followup calendar` through the real entry point."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from followup.cli import main

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "job-search.yaml"
NOW = "2026-11-30T09:30:00+01:00"


@pytest.fixture(autouse=True)
def no_user_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never read the configuration of whoever runs them."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("FOLLOWUP_CONFIG", raising=False)


def run(*args: str) -> int:
    try:
        main(list(args))
    except SystemExit as exit:
        return int(exit.code or 0)
    return 0


def test_channels_lists_idempotence_and_configuration(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[channels.email]\nhost = "smtp.example.org"\n[routes]\nreminder = "webhook"\n')
    monkeypatch.setenv("FOLLOWUP_CONFIG", str(config))
    assert run("channels", "--format", "json") == 0
    document = json.loads(capsys.readouterr().out)
    channels = {c["name"]: c for c in document["channels"]}
    assert {"outbox", "email", "fax", "calendar", "webhook"} <= set(channels)
    assert channels["email"]["configured"] is True and channels["email"]["idempotent"] is False
    assert channels["fax"]["configured"] is False
    assert channels["outbox"]["idempotent"] is True
    assert document["routes"]["reminder"] == "webhook"  # routed explicitly
    assert document["routes"]["email"] == "email"  # its table is there and complete
    assert document["routes"]["fax"] == "console"  # no [channels.fax]: the dispatcher would print it
    assert document["config"] == str(config)
    assert run("channels") == 0
    table = capsys.readouterr().out
    assert "webhook" in table and "reminder → webhook" in table
    config.write_text('[channels.webhook]\nurl = "ftp://example.org"\n')
    assert run("channels", "--format", "json") == 0
    webhook = next(c for c in json.loads(capsys.readouterr().out)["channels"] if c["name"] == "webhook")
    assert webhook["configured"] is False
    assert "channels.webhook.url" in webhook["problem"] and "ftp://example.org" in webhook["problem"]


def test_preview_renders_without_sending(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run("preview", str(EXAMPLE), "thank-you-note:northwind-data:onsite:jonas", "--now", NOW) == 0
    out = capsys.readouterr().out
    assert "To:      Jonas Weber <jonas.weber@northwind.example>" in out
    assert "Medium:  email → channel console" in out  # nothing configured yet
    assert "Jonas" in out and "Staff Engineer" in out
    assert run("preview", str(EXAMPLE), "thank-you-note:harbor-logistics:panel:greta", "--now", NOW, "--html") == 0
    assert "@media print" in capsys.readouterr().out
    config = tmp_path / "config.toml"
    config.write_text('[channels.email]\nhost = "smtp.example.org"\n')
    assert (
        run(
            "preview", str(EXAMPLE), "thank-you-note:northwind-data:onsite:jonas", "--now", NOW, "--config", str(config)
        )
        == 0
    )
    assert "Medium:  email → channel email" in capsys.readouterr().out


def test_preview_of_a_blocked_message_exits_1_with_the_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "bridge_note.txt").write_text(
        "{% block subject %}Stayng in touch{% endblock %}{% block body %}Dear {{ recipient.name }}, [DATE]{% endblock %}"
    )
    config = tmp_path / "config.toml"
    config.write_text('template_dir = "templates"\n')
    monkeypatch.setenv("FOLLOWUP_CONFIG", str(config))
    assert run("preview", str(EXAMPLE), "bridge-note:cobalt-retail::ravi", "--now", NOW) == 1
    err = capsys.readouterr().err
    assert "blocked by spelling" in err and "'Stayng'" in err and "'staying'" in err
    assert "blocked by placeholders" in err and "'[DATE]'" in err


def test_preview_errors_are_one_line_and_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run("preview", str(EXAMPLE), "no-such-key", "--now", NOW) == 1
    assert "no action with key 'no-such-key'" in capsys.readouterr().err
    templates = tmp_path / "t"
    templates.mkdir()
    (templates / "thank_you_note.txt").write_text("{% block subject %}{{ ''.__class__ }}{% endblock %}")
    config = tmp_path / "config.toml"
    config.write_text(f'template_dir = "{templates.name}"\n')
    monkeypatch.setenv("FOLLOWUP_CONFIG", str(config))
    assert run("preview", str(EXAMPLE), "thank-you-note:northwind-data:onsite:jonas", "--now", NOW) == 1
    err = capsys.readouterr().err
    assert "failed to render" in err and "Traceback" not in err
    config.write_text("[channels.email]\npassword = 'x'\n")
    assert run("channels") == 1
    assert "secrets do not belong" in capsys.readouterr().err


def test_calendar_to_standard_output(capsys: pytest.CaptureFixture[str]) -> None:
    assert run("calendar", str(EXAMPLE), "--now", NOW) == 0
    out = capsys.readouterr().out
    assert out.startswith("BEGIN:VCALENDAR")
    assert out.count("BEGIN:VEVENT") == 7
    assert "TZID:Europe/Berlin" in out
