"""The JSON Schema of a rulebook (``followup schema rules``), built from a vocabulary.

Operators contribute their operand schema, so a rulebook using a plugin's operator is
checked exactly as strictly as one using a built-in. An overlay (a rulebook with
``extends:``) is checked against the same schema with only ``id`` required in each
rule and cap, then merged and checked again in full.
"""

from __future__ import annotations

import copy
from typing import Any

from .._time import MAX_OFFSET, Offset
from ..state import SCHEMA_BASE
from ._vocabulary import LEVELS, Vocabulary

__all__ = ["published_rules_schema", "rules_schema"]

_ID = {
    "type": "string",
    "pattern": "^[a-z0-9][a-z0-9-]*$",
    "description": "Identifier: lower-case letters, digits and '-'.",
}
_KIND = {
    "type": "string",
    "pattern": "^[a-z][a-z0-9_]*$",
    "description": "An action or contact kind: lower-case letters, digits and '_' (thank_you_note).",
}


def _offset(description: str) -> dict[str, Any]:
    return {
        "type": "object",
        "description": description + " Exactly one unit.",
        "properties": {
            unit: {
                "type": "integer",
                "minimum": 0,
                "maximum": MAX_OFFSET[unit],
                "description": f"How many {unit.replace('_', ' ')} (at most {MAX_OFFSET[unit]:,}, about ten years).",
            }
            for unit in Offset.UNITS
        },
        "additionalProperties": False,
        "minProperties": 1,
        "maxProperties": 1,
    }


def rules_schema(vocabulary: Vocabulary, *, partial: bool = False) -> dict[str, Any]:
    """The rulebook schema for ``vocabulary``; ``partial`` for overlays."""
    fact_names = sorted(vocabulary.facts)
    fact_ref = {
        "description": "A fact: a dotted name such as interview.ended_at, or a question about the contact log.",
        "anyOf": [
            {
                "type": "string",
                "pattern": "^[a-z_]+(\\.[a-z_]+)+$",
                "examples": fact_names,
                "description": "A named fact; see docs/rules.md for the list.",
            },
            {
                "type": "object",
                "additionalProperties": False,
                "minProperties": 1,
                "maxProperties": 1,
                "properties": {
                    "last_contact": {"$ref": "#/$defs/match", "description": "When the latest matching contact happened."},
                    "first_contact": {"$ref": "#/$defs/match", "description": "When the earliest matching contact happened."},
                    "count_contacts": {"$ref": "#/$defs/match", "description": "How many contacts match."},
                },
            },
        ],
    }
    time_expr = {
        "type": "object",
        "description": (
            "A moment: a fact ('at'), or the earliest, latest or first set of several moments, then moved by "
            "'plus' or 'minus' and pinned to a local time of day by 'time'. Unset facts are skipped."
        ),
        "additionalProperties": False,
        "minProperties": 1,
        "properties": {
            "at": {
                "anyOf": [
                    {"const": "opens", "description": "When this action's window opens."},
                    fact_ref,
                ],
                "description": "The fact this moment is counted from, or 'opens'.",
            },
            "earliest": {"type": "array", "items": {"$ref": "#/$defs/time"}, "minItems": 1, "description": "The earliest of these moments that are set."},
            "latest": {"type": "array", "items": {"$ref": "#/$defs/time"}, "minItems": 1, "description": "The latest of these moments that are set."},
            "first": {"type": "array", "items": {"$ref": "#/$defs/time"}, "minItems": 1, "description": "The first of these moments, in the order given, that is set (a fallback list)."},
            "plus": _offset("Move later by this much."),
            "minus": _offset("Move earlier by this much."),
            "time": {
                "type": "string",
                "pattern": "^(start_of_day|end_of_day|([01][0-9]|2[0-3]):[0-5][0-9])$",
                "description": (
                    "Pin the local time of day: start_of_day, end_of_day (the workday of the moment's "
                    "calendar) or HH:MM on that calendar's clock."
                ),
            },
            "calendar": {
                "enum": ["candidate", "employer"],
                "default": "candidate",
                "description": (
                    "Whose calendar 'plus', 'minus' and 'time' count in: the candidate's (zone, holidays, "
                    "workday; the default) or the employer's (zone, holidays, business hours)."
                ),
            },
        },
    }
    match = {
        "type": "object",
        "description": "Which contacts of the application's log count. Every given field must match.",
        "additionalProperties": False,
        "properties": {
            "kind": {
                "description": "A kind or a list of kinds; any kind when left out.",
                "anyOf": [_KIND, {"type": "array", "items": _KIND, "minItems": 1}],
            },
            "direction": {
                "enum": ["out", "in", "any"],
                "description": "out (the default): by the candidate; in: from the employer; any: either.",
            },
            "to": {"const": "recipient", "description": "Only contacts to this action's interviewer or reference."},
            "interview": {"const": "current", "description": "Only contacts about this action's interview."},
            "after": {"$ref": "#/$defs/time", "description": "Only contacts strictly after this moment."},
            "before": {"$ref": "#/$defs/time", "description": "Only contacts strictly before this moment."},
        },
    }
    operator_properties = {
        name: {**copy.deepcopy(o.operand_schema), "description": o.description}
        for name, o in sorted(vocabulary.operators.items())
    }
    condition = {
        "type": "object",
        "description": (
            "A condition: {all: [...]}, {any: [...]}, {not: ...}, or {fact: NAME, OPERATOR: operand} "
            f"with one operator of: {', '.join(sorted(vocabulary.operators))}."
        ),
        "additionalProperties": False,
        "minProperties": 1,
        "properties": {
            "all": {"type": "array", "items": {"$ref": "#/$defs/condition"}, "minItems": 1, "description": "Every condition holds."},
            "any": {"type": "array", "items": {"$ref": "#/$defs/condition"}, "minItems": 1, "description": "At least one condition holds."},
            "not": {"$ref": "#/$defs/condition", "description": "The condition does not hold."},
            "fact": fact_ref,
            **operator_properties,
        },
    }
    rule = {
        "type": "object",
        "description": "One follow-up rule: for what, when, through which medium, and what settles it.",
        "additionalProperties": False,
        "required": ["id"] if partial else ["id", "kind", "for_each", "window", "channel"],
        "properties": {
            "id": {**_ID, "description": "The rule's id, unique in the rulebook; overlays override a rule by it."},
            "description": {"type": "string", "description": "What the rule is for, in a sentence."},
            "enabled": {"type": "boolean", "default": True, "description": "false switches the rule off (useful in overlays)."},
            "kind": {**_KIND, "description": "The kind of action produced, and of the contact that settles it."},
            "for_each": {"enum": list(LEVELS), "description": "What the rule fans out over: one action per item."},
            "when": {"$ref": "#/$defs/condition", "description": "The rule applies only while this holds."},
            "window": {
                "type": "object",
                "description": "When the action opens, is due, and (optionally) stops being worth doing.",
                "additionalProperties": False,
                "required": [] if partial else ["opens", "due"],
                "properties": {
                    "opens": {"$ref": "#/$defs/time", "description": "Before this, the action is upcoming."},
                    "due": {"$ref": "#/$defs/time", "description": "After this, the action is overdue."},
                    "expires": {"$ref": "#/$defs/time", "description": "After this, the action is dropped."},
                },
            },
            "done_when": {
                "type": "array",
                "items": {"$ref": "#/$defs/match"},
                "minItems": 1,
                "description": "The action is done once any of these matches a contact in the log.",
            },
            "channel": {
                "description": "The medium or channel: a name (email, postal, fax, phone, reminder, or a channel plugin's name) or {fact: NAME}.",
                "anyOf": [
                    {"type": "string", "pattern": "^[a-z][a-z0-9_-]*$"},
                    {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["fact"],
                        "properties": {"fact": {"type": "string", "description": "A string fact naming the medium."}},
                    },
                ],
            },
            "priority": {
                "type": "integer",
                "minimum": 1,
                "maximum": 100,
                "default": 50,
                "description": "Order in which open actions use up caps: lower first.",
            },
            "caps": {
                "type": "array",
                "items": _ID,
                "uniqueItems": True,
                "description": "The caps (by id) this rule is subject to.",
            },
            "repeats": {
                "type": "boolean",
                "default": False,
                "description": "Each window is a new occurrence (its opening time becomes part of the key).",
            },
            "distinct": {
                "enum": ["recipient"],
                "description": "One action per recipient of the application, even if met in several interviews.",
            },
            "working_time": {
                "enum": ["employer", "candidate", "none"],
                "description": (
                    "Move the window into someone's working time: employer (inside the employer's business "
                    "hours, on a day that is a business day for the employer and, on their own clock, for the "
                    "candidate), candidate (the candidate's workday on their business days) or none. Opens "
                    "moves forward, due moves back, never before opens. Default: employer for actions "
                    "that go by phone, none for the others."
                ),
            },
        },
    }
    cap = {
        "type": "object",
        "description": (
            "A limit on contacts: 'max' within a rolling period ('within'), 'max' since the "
            "employer last replied ('since: employer_reply'), or a minimum gap ('min_gap')."
        ),
        "additionalProperties": False,
        "required": ["id"] if partial else ["id", "per"],
        "properties": {
            "id": {**_ID, "description": "The cap's id, named by rules in their 'caps' list."},
            "description": {"type": "string", "description": "What the cap protects against."},
            "enabled": {"type": "boolean", "default": True, "description": "false switches the cap off."},
            "counts": {
                "type": "array",
                "items": _KIND,
                "minItems": 1,
                "description": "Kinds of outbound contact that count; every kind when left out.",
            },
            "per": {
                "enum": ["recipient", "application", "company", "everything"],
                "description": "Whose contacts are counted together.",
            },
            "max": {"type": "integer", "minimum": 1, "description": "How many contacts are allowed."},
            "within": _offset("The rolling period 'max' applies to."),
            "since": {"enum": ["employer_reply"], "description": "Count only contacts since the employer last replied (a patience limit)."},
            "min_gap": _offset("The least time between two counted contacts."),
            "quiet_after": _offset(
                "With 'since: employer_reply': once the cap is spent, how long after the last counted contact "
                "an application that hears nothing counts as gone quiet (no longer live)."
            ),
        },
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"{SCHEMA_BASE}/rules.schema.json",
        "title": "followup rulebook",
        "type": "object",
        "description": "A followup rulebook: caps, and the rules that produce follow-up actions.",
        "additionalProperties": False,
        "properties": {
            "version": {"const": 1, "description": "Version of the rulebook format; always 1."},
            "extends": {
                "type": "string",
                "minLength": 1,
                "maxLength": 1024,
                "description": "'default' for the packaged default rulebook, or a path (relative to this file) to build on.",
            },
            "description": {"type": "string", "description": "What this rulebook is for."},
            "caps": {"type": "array", "items": cap, "description": "Limits on how often anyone is contacted."},
            "rules": {"type": "array", "items": rule, "description": "The rules."},
        },
        "$defs": {"time": time_expr, "condition": condition, "match": match},
    }


def published_rules_schema(vocabulary: Vocabulary) -> dict[str, Any]:
    """The schema ``followup schema rules`` prints, for editors and other tools.

    One document for both kinds of rulebook: a rulebook that says ``extends:`` is an
    overlay (each rule and cap needs only its ``id``); any other is complete.
    """
    full = rules_schema(vocabulary)
    overlay = rules_schema(vocabulary, partial=True)
    body = ("type", "description", "additionalProperties", "properties")
    return {
        "$schema": full["$schema"],
        "$id": full["$id"],
        "title": full["title"],
        "description": (
            "A followup rulebook. With 'extends' it is an overlay: rules and caps change "
            "their base by id, and only 'id' is required in each."
        ),
        "if": {"required": ["extends"]},
        "then": {"$ref": "#/$defs/overlay"},
        "else": {"$ref": "#/$defs/rulebook"},
        "$defs": {
            **full["$defs"],
            "rulebook": {key: full[key] for key in body},
            "overlay": {key: overlay[key] for key in body},
        },
    }
