"""The settings schemas of the built-in channels, apart from the channels themselves.

The channels plugin (:mod:`followup.delivery.channels`) needs the schemas to register
the channels, and must not import the channels to do so: ``followup agenda`` loads
every plugin but sends nothing, so it imports no SMTP, HTTP or calendar code.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["CALENDAR_SCHEMA", "FAX_SCHEMA", "OUTBOX_SCHEMA", "SMTP_SCHEMA", "WEBHOOK_SCHEMA"]

SMTP_SCHEMA: Mapping[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["host"],
    "properties": {
        "host": {"type": "string", "minLength": 1},
        "port": {"type": "integer", "minimum": 1, "maximum": 65535},
        "security": {"enum": ["starttls", "ssl", "none"]},
        "username": {"type": "string", "minLength": 1},
        "password_env": {"type": "string", "pattern": "^[A-Za-z_][A-Za-z0-9_]*$"},
        "from": {"type": "string", "minLength": 3},
        "timeout": {"type": "number", "exclusiveMinimum": 0},
        "ca_file": {"type": "string", "minLength": 1},
    },
}


FAX_SCHEMA: Mapping[str, Any] = {
    **SMTP_SCHEMA,
    "required": ["host", "gateway"],
    "properties": {
        **SMTP_SCHEMA["properties"],
        "gateway": {
            "type": "string",
            "pattern": r"^[^@\s]*\{number\}[^@\s]*@[^@\s]+$",
            "description": "address pattern with {number}, e.g. {number}@fax.example",
        },
    },
}


CALENDAR_SCHEMA: Mapping[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "file": {"type": "string", "minLength": 1},
        "alarm_minutes": {"type": "integer", "minimum": 0, "maximum": 10080},
    },
}


OUTBOX_SCHEMA: Mapping[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {"folder": {"type": "string", "minLength": 1}},
}


WEBHOOK_SCHEMA: Mapping[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["url"],
    "properties": {
        "url": {"type": "string", "pattern": "^https?://[^\\s]+$"},
        "secret_env": {"type": "string", "pattern": "^[A-Za-z_][A-Za-z0-9_]*$"},
        "timeout": {"type": "number", "exclusiveMinimum": 0},
        "retries": {"type": "integer", "minimum": 0, "maximum": 10},
        "backoff": {"type": "number", "minimum": 0},
        "headers": {"type": "object", "additionalProperties": {"type": "string"}},
    },
}
