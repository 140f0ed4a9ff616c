"""The user configuration file: location, schema, routes, inheritance, no secrets."""

from __future__ import annotations

from pathlib import Path

import pytest

from followup import InvalidInput
from followup.delivery import DEFAULT_CHANNEL, DEFAULT_ROUTES, get_channels, load_config, route_name


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_followup_config_names_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, '[routes]\npostal = "webhook"\n')
    monkeypatch.setenv("FOLLOWUP_CONFIG", str(path))
    config = load_config()
    assert config.path == path
    channels = get_channels()
    assert route_name("postal", config, channels) == "webhook"  # [routes] says so
    assert route_name("email", config, channels) == DEFAULT_CHANNEL  # no [channels.email] table
    assert route_name("email", config, channels, requested="webhook") == "webhook"  # a rule's channel: wins


def test_a_missing_default_file_means_defaults_but_a_named_one_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FOLLOWUP_CONFIG", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "empty"))
    config = load_config()
    assert config.path is None and route_name("fax", config, get_channels()) == DEFAULT_CHANNEL
    assert DEFAULT_ROUTES["fax"] == "fax"
    monkeypatch.setenv("FOLLOWUP_CONFIG", str(tmp_path / "nope.toml"))
    with pytest.raises(InvalidInput, match=r"nope\.toml: configuration file not found"):
        load_config()


def test_broken_toml_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, '[channels.email]\nhost = "smtp.example.org"\nport = \n')
    with pytest.raises(InvalidInput) as caught:
        load_config(path)
    (problem,) = caught.value.problems
    assert problem.path == str(path) and problem.line == 3
    assert "not valid TOML" in problem.message


def test_schema_violations_name_the_key_and_what_is_valid(tmp_path: Path) -> None:
    path = write(tmp_path, '[routes]\npigeon = "email"\n[spelling]\nlanguage = "klingon"\n')
    with pytest.raises(InvalidInput) as caught:
        load_config(path)
    text = str(caught.value)
    assert "pigeon" in text and "'email'" in text
    assert "spelling.language" in text and "klingon" in text


def test_secrets_in_the_file_are_refused(tmp_path: Path) -> None:
    path = write(tmp_path, '[channels.email]\nhost = "smtp.example.org"\npassword = "hunter2"\n')
    with pytest.raises(InvalidInput, match=r"channels\.email\.password: secrets do not belong.*password_env"):
        load_config(path)


def test_extends_inherits_settings_and_circles_are_caught(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[channels.email]\nhost = "smtp.example.org"\nport = 587\n'
        '[channels.fax]\nextends = "email"\ngateway = "{number}@fax.example"\nport = 25\n'
        '[channels.a]\nextends = "b"\n[channels.b]\nextends = "a"\n'
        '[channels.c]\nextends = "missing"\n',
    )
    config = load_config(path)
    assert config.channel_settings("fax") == {"host": "smtp.example.org", "port": 25, "gateway": "{number}@fax.example"}
    with pytest.raises(InvalidInput, match="goes round in a circle"):
        config.channel_settings("a")
    with pytest.raises(InvalidInput, match=r"channels\.c\.extends names 'missing'"):
        config.channel_settings("c")


def test_template_dir_and_paths_are_relative_to_the_config_file(tmp_path: Path) -> None:
    path = write(tmp_path, 'template_dir = "templates"\n[channels.calendar]\nfile = "cal/followup.ics"\n')
    config = load_config(path)
    assert config.template_dir == tmp_path / "templates"
    assert config.as_context()["template_dir"] == str(tmp_path / "templates")
    assert config.channel_settings("calendar")["file"] == str(tmp_path / "cal" / "followup.ics")
