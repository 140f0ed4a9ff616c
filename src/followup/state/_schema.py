"""The JSON Schema of the state document (``followup schema state``)."""

from __future__ import annotations

from typing import Any

from ._model import INTERVIEW_KINDS, INTERVIEW_STATUSES, MEDIA, OUTCOMES, STATUSES

__all__ = ["SCHEMA_BASE", "STATE_SCHEMA"]

SCHEMA_BASE = "https://followup.dev/schema"

_ID = {
    "type": "string",
    "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]*$",
    "description": "Identifier: letters, digits, '.', '_' or '-', starting with a letter or digit.",
}
_NAIVE = (
    " A datetime without an offset is read on the candidate's clock; a wall time that "
    "does not exist there or happens twice (when clocks change) is an error."
)
_EMPLOYER_DAY = {
    "type": "string",
    "minLength": 1,
    "description": (
        "A date the employer gave (2026-12-04, read as the start of that day in the employer's zone) "
        "or a datetime; without an offset it is read on the employer's clock."
    ),
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
    "description": "A date (2026-03-06, read as the start of that day in the candidate's zone) or a datetime." + _NAIVE,
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


def _holidays(whose: str) -> dict[str, Any]:
    return _object(
        {
            "country": _described(
                {"type": "string", "pattern": "^[A-Z]{2}$"},
                "ISO 3166-1 alpha-2 country code whose public holidays are not business days.",
            ),
            "subdivision": _described(_TEXT, "State, province or region code, e.g. CA or BY."),
        },
        ["country"],
        f"Public holidays of {whose} skipped when counting business days (weekends always are).",
    )


def _employer_calendar(description: str) -> dict[str, Any]:
    return _object(
        {
            "timezone": _described(_TEXT, "The employer's IANA time zone, e.g. America/New_York (default: the candidate's)."),
            "holidays": _holidays("the employer (default: the candidate's)"),
            "business_hours": _object(
                {
                    "start": _described(_CLOCK, "When the employer's working day starts, on their clock (default: the candidate's workday start)."),
                    "end": _described(_CLOCK, "When it ends (default: the candidate's workday end)."),
                },
                [],
                "The employer's business hours: calls fall inside them.",
            ),
        },
        [],
        description,
    )


_COMPANY = _object(
    {
        "name": _described(_TEXT, "The company's name, exactly as the applications' 'company' gives it."),
        **_employer_calendar("")["properties"],
    },
    ["name"],
    "One employer, declared once for all its applications: its time zone, holidays and business hours.",
)

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
        "starts_at": _described(
            _INSTANT,
            "When the interview starts or started. Once it has passed without an ended_at, the "
            "interview is taken to have happened (30 minutes for a phone screen, an hour otherwise) "
            "and a reminder asks for its details.",
        ),
        "ended_at": _described(_INSTANT, "When it ended; enough on its own (the interview happened)."),
        "kind": {
            "enum": list(INTERVIEW_KINDS),
            "description": "What kind of interview it is; rules can read it (interview.kind).",
        },
        "status": {
            "enum": list(INTERVIEW_STATUSES),
            "default": "scheduled",
            "description": (
                "scheduled (the default: it happens at its time), happened, cancelled, no_show, or "
                "rescheduled (name the replacement in rescheduled_to). Cancelled, no-show and "
                "rescheduled interviews get no thank-you note and are not the latest interview."
            ),
        },
        "rescheduled_to": _described(_ID, "For status rescheduled: the id of the interview that replaces it (same application)."),
        "topics": {
            "type": "array",
            "items": _TEXT,
            "description": "Subjects discussed, for the notes that follow (optional).",
        },
        "strengths": {
            "type": "array",
            "items": _TEXT,
            "description": "Why you fit, as this interview showed it (optional): the notes that follow mention one.",
        },
        "interviewers": {
            "type": "array",
            "items": _INTERVIEWER,
            "description": "Everyone who interviewed the candidate in this interview.",
        },
    },
    ["id"],
    "One interview of an application: give starts_at, ended_at or both.",
)

_REPLY_FIELDS: dict[str, Any] = {
    "decision_expected_by": _described(
        _DAY_OR_INSTANT, "A reply: the date the employer said it will decide by (the latest word wins)."
    ),
    "follow_up_requested_on": _described(
        _DAY_OR_INSTANT, "A reply: the day the employer asked to hear back; on or after the reply's own day."
    ),
    "medium": {
        "enum": list(MEDIA),
        "description": "A reply: the medium the employer asked to be contacted through from now on.",
    },
    "next_round": {"type": "boolean", "description": "A reply: a next round of interviews is being booked."},
    "on_hold": {"type": "boolean", "description": "A reply: the hiring process is on hold."},
    "outcome": {
        "enum": list(OUTCOMES),
        "description": "A reply: the decision it brings; the application's status becomes this as of the reply.",
    },
    "respond_by": _described(_DAY_OR_INSTANT, "A reply with 'outcome: offer': when the employer wants an answer."),
}

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
        **_REPLY_FIELDS,
        "message_id": _described(
            {"type": "string", "minLength": 3, "maxLength": 998},
            "The Message-ID of the email this entry was found as (followup mail sync): the same message is never logged twice.",
        ),
        "proposed": _object(
            {
                **{name: _REPLY_FIELDS[name] for name in _REPLY_FIELDS},
                "evidence": _described({"type": "string", "maxLength": 500}, "The words of the message the proposal was read from."),
            },
            [],
            "A reply found by followup mail sync: what it seems to say, in the fields a reply has. It changes nothing "
            "until confirmed with followup log confirm (until then the reply is an acknowledgement); no field: "
            "an acknowledgement is proposed.",
        ),
    },
    ["at", "kind"],
    "One entry of the contact log: a message, call or letter, in either direction; a reply can say what the employer said.",
)

_APPLICATION = _object(
    {
        "id": _described(_ID, "Identifier of the application, unique in the state."),
        "company": _described(_TEXT, "The employer's name; a 'companies' entry of that name gives its calendar."),
        "position": _described(_TEXT, "The position applied for (optional)."),
        "employer": _employer_calendar(
            "The employer's calendar for this application, when it differs from its 'companies' entry "
            "(each field falls back to the company's, then the candidate's)."
        ),
        "status": {
            "enum": list(STATUSES),
            "description": "Where the application stands; 'stale' means it went quiet (no answer after patient chasing).",
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
            "enum": list(MEDIA),
            "default": "email",
            "description": "How the employer prefers to be reached. Written notes go by email when this is 'phone'.",
        },
        "decision_expected_by": _described(
            _EMPLOYER_DAY, "When the employer said they would decide (ask at the end of each interview); on the employer's clock."
        ),
        "follow_up_requested_on": _described(
            _EMPLOYER_DAY, "The day the employer asked the candidate to check back; on the employer's clock."
        ),
        "offer": _object(
            {
                "received_at": _described(_INSTANT, "When the offer arrived."),
                "respond_by": _described(_EMPLOYER_DAY, "When the employer wants an answer; on the employer's clock."),
            },
            ["received_at"],
            "An offer made by this employer.",
        ),
        "strengths": {
            "type": "array",
            "items": _TEXT,
            "description": "Why you fit this position, in a few words each (optional): every note to the employer mentions one.",
        },
        "recruiter": _described(
            _INTERVIEWER,
            "The employer's contact for the application as a whole (a recruiter or hiring manager): "
            "follow-ups after applying and withdrawal notes go to them. Its id is valid as a contact's 'to'.",
        ),
        "domains": {
            "type": "array",
            "items": {"type": "string", "pattern": "^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)+$"},
            "description": "The employer's email domains (bluepeak.example): followup mail sync takes mail from any address there as theirs.",
        },
        "interviews": {"type": "array", "items": _INTERVIEW, "description": "The interviews, in any order."},
        "contacts": {"type": "array", "items": _CONTACT, "description": "The contact log, in any order."},
    },
    ["id", "company", "status"],
    "One position at one employer.",
)

STATE_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": f"{SCHEMA_BASE}/state.schema.json",
    "title": "followup state",
    **_object(
        {
            "version": {"const": 1, "default": 1, "description": "Version of the state format: 1 (the default)."},
            "candidate": _object(
                {
                    "name": _described(_TEXT, "The candidate's name, as it is signed on notes."),
                    "email": _described(_TEXT, "The candidate's email address (the sender of emails)."),
                    "timezone": _described(_TEXT, "IANA time zone that deadlines are counted in, e.g. Europe/Berlin."),
                    "locale": _described(
                        {"type": "string", "pattern": "^[A-Za-z]{2,3}([_-][A-Za-z0-9]{2,8}){0,3}$"},
                        "The language and region dates in notes and letters are written for, as a CLDR locale: "
                        "en_GB, en_US, de_DE, fr_CA... (optional; without it: 'Monday, 30 November', '30 November 2026', '14:00').",
                    ),
                    "holidays": _holidays("the candidate"),
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
            "companies": {
                "type": "array",
                "items": _COMPANY,
                "description": "The employers' calendars, one entry per company (optional; each defaults to the candidate's).",
            },
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
        ["candidate"],
        "Everything followup needs to know about one job search.",
    ),
}
