"""docs/channels.md and docs/messages.md keep up with the code, and their examples run."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from followup.delivery import CONFIG_SCHEMA, load_config
from followup.delivery.channels import CHANNELS, build_channel

ROOT = Path(__file__).resolve().parent.parent
CHANNELS_DOC = (ROOT / "docs" / "channels.md").read_text(encoding="utf-8")
MESSAGES_DOC = (ROOT / "docs" / "messages.md").read_text(encoding="utf-8")


def blocks(text: str, language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", text, flags=re.DOTALL)


def test_the_configuration_example_is_valid_and_builds_every_channel(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (example,) = blocks(CHANNELS_DOC, "toml")
    path = tmp_path / "config.toml"
    path.write_text(example, encoding="utf-8")
    monkeypatch.setenv("FOLLOWUP_SMTP_PASSWORD", "x")
    monkeypatch.setenv("FOLLOWUP_WEBHOOK_SECRET", "y")
    config = load_config(path)
    for spec in CHANNELS:
        channel = build_channel(spec, config)
        assert hasattr(channel, "deliver")
        assert spec.is_configured(config.channel_settings(spec.name)), spec.name
    assert config.channel_settings("fax")["host"] == "smtp.example.org"
    assert config.template_dir == tmp_path / "templates"


def test_every_setting_of_every_channel_and_of_the_file_is_documented() -> None:
    for spec in CHANNELS:
        assert f"## `{spec.name}`" in CHANNELS_DOC, spec.name
        for key in spec.config_schema.get("properties", {}):
            assert f"`{key}`" in CHANNELS_DOC, f"{spec.name}.{key}"
    for key, schema in CONFIG_SCHEMA["properties"].items():
        assert f"`{key}`" in CHANNELS_DOC, key
        for inner in schema.get("properties", {}):
            assert f"`{inner}`" in CHANNELS_DOC, f"{key}.{inner}"


def test_every_shipped_template_is_documented() -> None:
    folder = ROOT / "src" / "followup" / "delivery" / "messages" / "templates"
    for template in folder.iterdir():
        assert f"`{template.name}`" in MESSAGES_DOC, template.name


def test_the_python_examples_run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(ROOT)
    for code in blocks(MESSAGES_DOC, "python") + blocks(CHANNELS_DOC, "python"):
        namespace: dict[str, Any] = {}
        exec(compile(code, "docs", "exec"), namespace)
        if "verified" in namespace:
            import hashlib
            import hmac

            body = b'{"key": "x"}'
            header = "sha256=" + hmac.new(b"k", body, hashlib.sha256).hexdigest()
            assert namespace["verified"](body, header, b"k")
            assert not namespace["verified"](body + b" ", header, b"k")
        if "followup_register_channels" in namespace:
            found: list[Any] = []
            namespace["followup_register_channels"](found.append)
            (spec,) = found
            assert spec.build({"number": "1"}).deliver.__name__ == "deliver"
    assert "Jonas" in capsys.readouterr().out


def test_the_override_example_renders(tmp_path: Path) -> None:
    from followup import Engine, load_rulebook, load_state, parse_instant
    from followup.delivery.messages import build_context, render_message

    override = next(b for b in blocks(MESSAGES_DOC, "jinja") if "extends" in b)
    (tmp_path / "thank_you_note.txt").write_text(override, encoding="utf-8")
    state = load_state(ROOT / "examples" / "job-search.yaml")
    now = parse_instant("2026-11-30T09:30:00+01:00")
    action = Engine(load_rulebook()).evaluate(state, now).get("thank-you-note:northwind-data:onsite:jonas")
    message = render_message(build_context(state, action, {"template_dir": str(tmp_path)}, now=now))
    assert message.subject == "Thank you, Jonas"
    assert "Northwind Analytics" in message.body
