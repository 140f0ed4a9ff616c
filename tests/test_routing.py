"""One routing decision: what `followup channels` shows is the channel `followup run` would use."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from followup.cli import main
from followup.delivery import MEDIA, Dispatcher, load_config
from followup.stores.memory import open_memory

CONFIGS = {
    "nothing": "",
    # a [channels.email] table without its host: the dispatcher sends email there (and
    # reports the mistake) rather than falling back to the console without a word
    "half-configured email": '[channels.email]\nfrom = "me@example.org"\n',
    "complete email": '[channels.email]\nhost = "smtp.example.org"\n',
    "fax without gateway": '[channels.fax]\nhost = "smtp.example.org"\n',
    "explicit routes": '[routes]\nreminder = "webhook"\npostal = "outbox"\n[channels.webhook]\nurl = "https://example.org/hook"\n',
    "calendar table": "[channels.calendar]\nalarm_minutes = 5\n",
}


@pytest.fixture(autouse=True)
def no_user_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.delenv("FOLLOWUP_CONFIG", raising=False)


def shown_routes(config: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, str]:
    try:
        main(["channels", "--config", str(config), "--format", "json"])
    except SystemExit as exit:
        assert not exit.code, capsys.readouterr().err
    routes: dict[str, str] = json.loads(capsys.readouterr().out)["routes"]
    return routes


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_followup_channels_shows_the_channel_the_dispatcher_uses(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(CONFIGS[name])
    dispatcher = Dispatcher(open_memory("memory:"), config=load_config(config))
    used = {medium: dispatcher.channel_for(SimpleNamespace(channel=None), medium).name for medium in MEDIA}  # type: ignore[arg-type]
    assert shown_routes(config, capsys) == used


def test_a_half_configured_channel_is_shown_as_the_route(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "config.toml"
    config.write_text(CONFIGS["half-configured email"])
    assert shown_routes(config, capsys)["email"] == "email"
