"""The user's configuration file: channel settings, medium routing, templates, spelling.

A TOML file at ``$FOLLOWUP_CONFIG`` or, when that is unset, ``config.toml`` in the
platform's user configuration folder (``~/.config/followup/config.toml`` on Linux).
A missing default file means "all defaults"; a missing ``$FOLLOWUP_CONFIG`` file is
an error. The file holds no secrets: a channel that needs a password or a signing
key names the environment variable that holds it (``password_env``, ``secret_env``),
and the schema refuses keys such as ``password``.

Only rulebook-independent settings live here; a rulebook never carries a server,
an account or a secret. See ``docs/channels.md`` for the schema and every key.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .._errors import InvalidInput, Problem
from ._channel import MEDIA_ORDER

__all__ = ["CONFIG_SCHEMA", "Config", "config_path", "load_config", "seconds_setting", "secret_from_env"]


_NAME = r"^[a-z][a-z0-9_-]*$"

CONFIG_SCHEMA: Mapping[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "followup user configuration",
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "template_dir": {
            "type": "string",
            "minLength": 1,
            "description": "A folder of templates that override the shipped ones by file name.",
        },
        "sender": {
            "type": "object",
            "additionalProperties": False,
            "description": "What letters print as the sender's details (the candidate's name and email come from the state).",
            "properties": {
                "postal_address": {"type": "string", "minLength": 1},
                "phone": {"type": "string", "minLength": 1},
                "email": {"type": "string", "minLength": 3},
            },
        },
        "routes": {
            "type": "object",
            "description": "medium -> channel name",
            "propertyNames": {"enum": list(MEDIA_ORDER)},
            "additionalProperties": {"type": "string", "pattern": _NAME},
        },
        "spelling": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "language": {
                    "type": "string",
                    "enum": ["en", "es", "fr", "pt", "de", "it", "ru", "ar", "eu", "lv", "nl"],
                },
                "words": {"type": "array", "items": {"type": "string", "minLength": 1}},
                "word_list": {
                    "type": "string",
                    "minLength": 1,
                    "description": "A personal word list: a text file, one word a line, '#' starts a comment. "
                    "Default: words.txt beside this file, when it exists.",
                },
                "enabled": {"type": "boolean"},
            },
        },
        "mail": {
            "type": "object",
            "additionalProperties": False,
            "description": "The mailbox `followup mail sync` reads over IMAP (docs/mail.md).",
            "required": ["host", "user", "password_env"],
            "properties": {
                "host": {"type": "string", "minLength": 1, "description": "The IMAP server, e.g. imap.gmail.com."},
                "port": {"type": "integer", "minimum": 1, "maximum": 65535, "description": "Default 993 (tls) or 143 (starttls)."},
                "security": {"enum": ["tls", "starttls"], "description": "Implicit TLS (default) or STARTTLS; never plain text."},
                "user": {"type": "string", "minLength": 1, "description": "The login, usually the address."},
                "password_env": {
                    "type": "string",
                    "pattern": "^[A-Za-z_][A-Za-z0-9_]*$",
                    "description": "The environment variable holding the (app) password.",
                },
                "inbox": {"type": "string", "minLength": 1, "description": "Where replies arrive (default INBOX)."},
                "sent": {"type": "string", "description": "The sent folder (default Sent; Gmail: [Gmail]/Sent Mail; empty: none)."},
                "ca_file": {"type": "string", "minLength": 1, "description": "PEM certificates to verify the server with instead of the system's."},
                "timeout": {"type": "number", "exclusiveMinimum": 0, "maximum": 600, "description": "Seconds to wait for the server (default 30)."},
                "addresses": {
                    "type": "array",
                    "items": {"type": "string", "minLength": 3},
                    "description": "Your other addresses (aliases): mail from them is not a reply.",
                },
                "positions": {"type": "string", "minLength": 1, "description": "The file remembering the last message synced per mailbox."},
            },
        },
        "digest": {
            "type": "object",
            "additionalProperties": False,
            "description": "The morning digest `followup digest` sends (docs/mail.md).",
            "properties": {
                "time": {"type": "string", "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$", "description": "From when it goes out, on your clock (default 07:30)."},
                "days": {
                    "type": "array",
                    "items": {"enum": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]},
                    "uniqueItems": True,
                    "description": "The days it goes out (default mon to fri).",
                },
                "channel": {"type": "string", "pattern": _NAME, "description": "The channel it goes through (default: the one email is routed to)."},
            },
        },
        "channels": {
            "type": "object",
            "description": "channel name -> that channel's settings (each channel documents its own keys)",
            "propertyNames": {"pattern": _NAME},
            "additionalProperties": {"type": "object"},
        },
    },
}

#: settings that are paths: ``~`` expanded, relative ones read from the config file's folder
_PATH_KEYS = frozenset({"folder", "file", "ca_file"})

_SECRET_KEYS = re.compile(r"^(password|secret|token|api_key|apikey|passwd)$", re.IGNORECASE)


@dataclass(frozen=True)
class Config:
    """A loaded, validated user configuration.

    :ivar path: the file it came from (``None`` when no file exists: all defaults).
    :ivar data: the parsed document, as a plain mapping.
    """

    path: Path | None = None
    data: Mapping[str, Any] = field(default_factory=dict)
    #: the words of the personal word list (``[spelling] word_list``), read at load
    personal_words: tuple[str, ...] = ()

    @property
    def where(self) -> str:
        """The file name for error messages."""
        return str(self.path) if self.path is not None else "<default configuration>"

    def channel_settings(self, name: str) -> dict[str, Any]:
        """The settings of channel ``name``; ``extends = "other"`` inherits another channel's keys."""
        channels: Mapping[str, Any] = self.data.get("channels", {})
        seen: list[str] = []
        merged: dict[str, Any] = {}
        current: str | None = name
        while current is not None:
            if current in seen:
                chain = " -> ".join([*seen, current])
                raise InvalidInput.single(self.where, f"channels.{name}: 'extends' goes round in a circle ({chain})")
            seen.append(current)
            section = channels.get(current)
            if section is None:
                if current != name:
                    raise InvalidInput.single(
                        self.where,
                        f"channels.{seen[-2]}.extends names {current!r}, which has no [channels.{current}] section",
                    )
                break
            merged = {**section, **merged}
            parent = section.get("extends")
            current = str(parent) if parent is not None else None
        merged.pop("extends", None)
        for key in _PATH_KEYS & set(merged):
            if isinstance(merged[key], str):
                merged[key] = str(self.resolve_path(merged[key]))
        return merged

    def has_channel_section(self, name: str) -> bool:
        return name in self.data.get("channels", {})

    @property
    def template_dir(self) -> Path | None:
        """The user's template folder, relative paths read from the config file's folder."""
        folder = self.data.get("template_dir")
        if not folder:
            return None
        path = Path(os.path.expanduser(str(folder)))
        if not path.is_absolute() and self.path is not None:
            path = self.path.parent / path
        return path

    def resolve_path(self, value: str) -> Path:
        """A path from a setting: ``~`` expanded, relative to the config file's folder."""
        path = Path(os.path.expanduser(value))
        if not path.is_absolute() and self.path is not None:
            path = self.path.parent / path
        return path

    @property
    def spelling_words(self) -> tuple[str, ...]:
        return tuple(self.data.get("spelling", {}).get("words", ()))

    def as_context(self) -> dict[str, Any]:
        """What templates and checks see as ``config``: the document, and where it came from."""
        context = {**self.data, "path": self.where}
        if self.personal_words:
            context["spelling"] = {**self.data.get("spelling", {}), "personal_words": list(self.personal_words)}
        if self.template_dir is not None:
            context["template_dir"] = str(self.template_dir)
        return context


def config_path() -> tuple[Path, bool]:
    """The configuration file to read, and whether the user named it explicitly."""
    explicit = os.environ.get("FOLLOWUP_CONFIG")
    if explicit:
        return Path(os.path.expanduser(explicit)), True
    from platformdirs import user_config_dir

    return Path(user_config_dir("followup")) / "config.toml", False


def load_config(path: str | os.PathLike[str] | None = None) -> Config:
    """Read and validate the configuration file (see :func:`config_path` for which one).

    :raises followup.InvalidInput: the file is not TOML, breaks the schema, holds a
        secret, or was named explicitly and does not exist.
    """
    if path is not None:
        file, explicit = Path(path), True
    else:
        file, explicit = config_path()
    if not file.exists():
        if explicit:
            raise InvalidInput.single(str(file), "configuration file not found (named by FOLLOWUP_CONFIG or --config)")
        return Config()
    import tomllib

    from ..state import read_text_file

    text = read_text_file(file, limit=1024 * 1024)  # a regular file only: a FIFO would never end
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line, column = _toml_position(str(exc))
        raise InvalidInput.single(str(file), f"not valid TOML: {exc}", line, column) from None
    validate_config(data, str(file))
    return Config(file, data, read_word_list(file, data))


#: the personal word list read when ``[spelling] word_list`` is not set
DEFAULT_WORD_LIST = "words.txt"


def read_word_list(config_file: Path, data: Mapping[str, Any]) -> tuple[str, ...]:
    """The words of the personal word list: one a line, ``#`` starts a comment.

    The file named by ``[spelling] word_list`` (``~`` expanded, relative to the
    configuration file's folder) must be readable; without the setting,
    ``words.txt`` beside the configuration file is read when it exists.

    :raises followup.InvalidInput: the list cannot be read or is not UTF-8 text (the
        configuration file and the setting's line, the value, the reason), or a line
        holds more than one word (the list's file and line).
    """
    setting = data.get("spelling", {}).get("word_list")
    if setting is None:
        path = config_file.parent / DEFAULT_WORD_LIST
        if not path.is_file():
            return ()
    else:
        path = Path(os.path.expanduser(str(setting)))
        if not path.is_absolute():
            path = config_file.parent / path

    def refuse(reason: str) -> InvalidInput:
        line = _setting_line(config_file, "word_list") if setting is not None else 0
        where = str(config_file) if setting is not None else str(path)
        what = f"[spelling] word_list = {str(setting)!r}" if setting is not None else "the personal word list"
        return InvalidInput.single(
            where,
            f"{what}: cannot read {path}: {reason}; give a UTF-8 text file with one word a line",
            line,
            1 if line else 0,
        )

    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise refuse(f"not UTF-8 text (byte {exc.start})") from None
    except IsADirectoryError:
        raise refuse("it is a folder") from None
    except OSError as exc:
        raise refuse(exc.strerror or str(exc)) from None
    found: list[str] = []
    problems: list[Problem] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if len(line.split()) > 1:
            problems.append(
                Problem(str(path), number, 1, f"{line!r}: one word a line (put each word of a phrase on its own line)")
            )
            continue
        found.append(line)
    if problems:
        raise InvalidInput(problems)
    return tuple(found)


def _setting_line(file: Path, key: str) -> int:
    try:
        lines = file.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return 0
    pattern = re.compile(rf"^\s*{re.escape(key)}\s*=")
    return next((number for number, text in enumerate(lines, start=1) if pattern.match(text)), 0)


def validate_config(data: Mapping[str, Any], where: str) -> None:
    """Check ``data`` against :data:`CONFIG_SCHEMA` and refuse inline secrets."""
    from jsonschema import Draft202012Validator

    problems = [
        Problem(where, 0, 0, f"{_dotted(error.absolute_path)}: {error.message}")
        for error in Draft202012Validator(CONFIG_SCHEMA).iter_errors(data)
    ]
    for key in dict(data.get("mail") or {}) if isinstance(data.get("mail"), Mapping) else ():
        if _SECRET_KEYS.match(str(key)):
            problems.append(
                Problem(where, 0, 0, f"mail.{key}: secrets do not belong in the configuration file; name the environment variable holding it with 'password_env'")
            )
    for name, section in dict(data.get("channels", {})).items():
        if not isinstance(section, Mapping):
            continue
        for key in section:
            if _SECRET_KEYS.match(str(key)):
                problems.append(
                    Problem(
                        where,
                        0,
                        0,
                        f"channels.{name}.{key}: secrets do not belong in the configuration file; "
                        f"put the value in an environment variable and name it with '{key}_env'",
                    )
                )
    if problems:
        raise InvalidInput(problems)


def validate_channel_settings(name: str, settings: Mapping[str, Any], schema: Mapping[str, Any], where: str) -> None:
    """Check one channel's settings against the schema its plugin declared."""
    from jsonschema import Draft202012Validator

    problems = [
        Problem(where, 0, 0, f"channels.{name}{_suffix(error.absolute_path)}: {error.message}")
        for error in Draft202012Validator(schema).iter_errors(dict(settings))
    ]
    if problems:
        raise InvalidInput(problems)


def secret_from_env(settings: Mapping[str, Any], key: str, *, channel: str) -> str | None:
    """The secret whose environment variable ``settings[key]`` names (``None`` if no variable is named).

    :raises followup.InvalidInput: a variable is named but not set, or set to nothing
        (an empty signing key or password protects nothing).
    """
    variable = settings.get(key)
    if not variable:
        return None
    value = os.environ.get(str(variable))
    if value is None:
        raise InvalidInput.single(
            f"channels.{channel}.{key}",
            f"the environment variable {variable!r} is not set; export it before delivering through {channel!r}",
        )
    if not value.strip():
        raise InvalidInput.single(
            f"channels.{channel}.{key}",
            f"the environment variable {variable!r} is empty; set it to the secret before delivering through {channel!r}",
        )
    return value


def seconds_setting(settings: Mapping[str, Any], key: str, default: float, *, channel: str, longest: float = 3600) -> float:
    """A duration setting in seconds: a finite number above 0 and at most ``longest``.

    TOML can spell ``inf`` and ``nan``, which a JSON Schema bound does not catch.
    """
    import math

    value = settings.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or not 0 < value <= longest:
        raise InvalidInput.single(
            f"channels.{channel}.{key}", f"{value!r} is not a number of seconds above 0 and up to {longest:g}"
        )
    return float(value)


def _dotted(path: Any) -> str:
    parts = [str(part) for part in path]
    return ".".join(parts) if parts else "(top level)"


def _suffix(path: Any) -> str:
    parts = [str(part) for part in path]
    return "." + ".".join(parts) if parts else ""


def _toml_position(message: str) -> tuple[int, int]:
    found = re.search(r"at line (\d+), column (\d+)", message)
    if not found:
        return 0, 0
    return int(found.group(1)), int(found.group(2))
