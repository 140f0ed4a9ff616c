"""The JSON Schema of the state document (``followup schema state``)."""

from __future__ import annotations

from typing import Any

__all__ = ["SCHEMA_BASE", "STATE_SCHEMA"]

SCHEMA_BASE = "https://followup.dev/schema"

_ID = {
    "type": "string",
    "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]*$",
    "description": "Identifier: letters, digits, '.', '_' or '-', starting with a letter or digit.",
}
_INSTANT = {
    "type": "string",
    "minLength": 1,
    "description": (
        "An ISO 8601 datetime with an offset or 'Z' (2026-03-02T14:00:00+01:00), or a wall time "
        "followed by an IANA zone in brackets (2026-03-02T14:00[Europe/Paris]). A datetime "
        "without either is an error."
    ),
}
_DAY_OR_INSTANT = {
    "type": "string",
    "minLength": 1,
    "description": "A date (2026-03-06, read as the start of that day in the candidate's zone) or a datetime with an offset.",
}
_TEXT = {"type": "string", "minLength": 1}
_CLOCK = {"type": "string", "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$", "description": "A local time as HH:MM (24-hour)."}
_EXTENSIONS = {"^x[-_]": {"description": "Free-form data for other tools; followup ignores it."}}


def _object(properties: dict[str, Any], required: list[str], description: str) -> dict[str, Any]:
    return {
        "type": "object",
        "description": description,
        "properties": properties,
        "required": required,
        "additionalProperties": False,
        "patternProperties": _EXTENSIONS,
    }


def _described(base: dict[str, Any], description: str) -> dict[str, Any]:
    return {**base, "description": description}


_REFERENCE = _object(
    {
        "id": _described(_ID, "Identifier of the reference, used as a contact's 'to'."),
        "name": _described(_TEXT, "Full name."),
        "email": _described(_TEXT, "Email address."),
        "phone": _described(_TEXT, "Telephone number."),
    },
    ["id", "name"],
    "Someone who has agreed to vouch for the candidate.",
)

_INTERVIEWER = _object(
    {
        "id": _described(_ID, "Identifier of the interviewer within the application, used as a contact's 'to'."),
        "name": _described(_TEXT, "Full name, spelled as they spell it."),
        "title": _described(_TEXT, "Job title, exactly as on their business card."),
        "email": _described(_TEXT, "Email address."),
        "postal_address": _described(_TEXT, "Postal address for letters; lines separated by newlines."),
        "fax": _described(_TEXT, "Fax number."),
        "phone": _described(_TEXT, "Telephone number."),
    },
    ["id"],
    "One person who interviewed the candidate.",
)

_INTERVIEW = _object(
    {
        "id": _described(_ID, "Identifier of the interview, unique within its application."),
        "starts_at": _described(_INSTANT, "When the interview starts or started."),
        "ended_at": _described(_INSTANT, "When it ended; leave out until it has happened."),
        "topics": {
            "type": "array",
            "items": _TEXT,
            "description": "Subjects discussed, for the notes that follow (optional).",
        },
        "interviewers": {
            "type": "array",
            "items": _INTERVIEWER,
            "description": "Everyone who interviewed the candidate in this interview.",
        },
    },
    ["id", "starts_at"],
    "One interview of an application.",
)

_CONTACT = _object(
    {
        "at": _described(_INSTANT, "When it happened."),
        "kind": _described(
            {"type": "string", "pattern": "^[a-z][a-z0-9_]*$"},
            "What it was: an action kind (thank_you_note, status_call, follow_up, …), 'reply' for "
            "anything the employer sent, or 'done', 'snoozed', 'dismissed', 'retired'.",
        ),
        "direction": {
            "enum": ["out", "in"],
            "description": "'out' (the default) for what the candidate did; 'in' for anything from the employer. A 'reply' is always 'in'.",
        },
        "to": _described(_ID, "The interviewer or reference it was addressed to, by id."),
        "interview": _described(_ID, "The interview it is about, by id."),
        "channel": _described(_TEXT, "How it went out: email, postal, fax, phone, or a channel name."),
        "note": _described({"type": "string"}, "Free text: what was said, or why an action was dismissed."),
        "action": _described(_TEXT, "The key of the agenda action this entry settles, snoozes or dismisses."),
        "until": _described(_INSTANT, "For 'snoozed': when the action may come back."),
    },
    ["at", "kind"],
    "One entry of the contact log: a message, call or letter, in either direction.",
)

_APPLICATION = _object(
    {
        "id": _described(_ID, "Identifier of the application, unique in the state."),
        "company": _described(_TEXT, "The employer's name."),
        "position": _described(_TEXT, "The position applied for."),
        "status": {
            "enum": ["applied", "interviewing", "offer", "rejected", "accepted", "withdrawn"],
            "description": "Where the application stands.",
        },
        "status_changed_at": _described(_INSTANT, "When the status last changed."),
        "applied_at": _described(_DAY_OR_INSTANT, "When the candidate applied."),
        "priority": {
            "type": "integer",
            "minimum": 1,
            "maximum": 5,
            "default": 3,
            "description": "How much the candidate wants this one: 1 most, 5 least.",
        },
        "preferred_medium": {
            "enum": ["email", "postal", "fax", "phone"],
            "default": "email",
            "description": "How the employer prefers to be reached. Written notes go by email when this is 'phone'.",
        },
        "decision_expected_by": _described(
            _DAY_OR_INSTANT, "When the employer said they would decide (ask at the end of each interview)."
        ),
        "follow_up_requested_on": _described(
            _DAY_OR_INSTANT, "The day the employer asked the candidate to check back."
        ),
        "offer": _object(
            {
                "received_at": _described(_INSTANT, "When the offer arrived."),
                "respond_by": _described(_DAY_OR_INSTANT, "When the employer wants an answer."),
            },
            ["received_at"],
            "An offer made by this employer.",
        ),
        "interviews": {"type": "array", "items": _INTERVIEW, "description": "The interviews, in any order."},
        "contacts": {"type": "array", "items": _CONTACT, "description": "The contact log, in any order."},
    },
    ["id", "company", "position", "status"],
    "One position at one employer.",
)

STATE_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": f"{SCHEMA_BASE}/state.schema.json",
    "title": "followup state",
    **_object(
        {
            "version": {"const": 1, "description": "Version of the state format; always 1."},
            "candidate": _object(
                {
                    "name": _described(_TEXT, "The candidate's name, as it is signed on notes."),
                    "email": _described(_TEXT, "The candidate's email address (the sender of emails)."),
                    "timezone": _described(_TEXT, "IANA time zone that deadlines are counted in, e.g. Europe/Berlin."),
                    "holidays": _object(
                        {
                            "country": _described(
                                {"type": "string", "pattern": "^[A-Z]{2}$"},
                                "ISO 3166-1 alpha-2 country code whose public holidays are not business days.",
                            ),
                            "subdivision": _described(_TEXT, "State, province or region code, e.g. CA or BY."),
                        },
                        ["country"],
                        "Public holidays skipped when counting business days (weekends always are).",
                    ),
                    "workday": _object(
                        {
                            "start": _described(_CLOCK, "Local time meant by start_of_day (default 09:00)."),
                            "end": _described(_CLOCK, "Local time meant by end_of_day (default 17:00)."),
                        },
                        [],
                        "The candidate's working day.",
                    ),
                    "references": {
                        "type": "array",
                        "items": _REFERENCE,
                        "description": "People who have agreed to give a reference.",
                    },
                },
                ["name", "timezone"],
                "The person following up.",
            ),
            "applications": {
                "type": "array",
                "items": _APPLICATION,
                "description": "Every application, open or closed.",
            },
            "contacts": {
                "type": "array",
                "items": _CONTACT,
                "description": "The candidate's own log: entries tied to no application (keep_searching, dismissals of candidate-wide actions).",
            },
        },
        ["version", "candidate"],
        "Everything followup needs to know about one job search.",
    ),
}
