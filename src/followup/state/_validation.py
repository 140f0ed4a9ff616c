"""Check a parsed document against a JSON Schema and say what is wrong, where."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from .._errors import Problem
from ._checker import checker
from ._source import excerpt, locate

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError

__all__ = ["schema_problems", "suggest"]


def suggest(word: str, choices: Any) -> str:
    """``" (did you mean 'x'?)"`` when ``word`` is close to one of ``choices``."""
    if len(word) > 100:  # no name is that long; comparing it would only cost time
        return ""
    ordered = sorted(choices)
    # a choice the word begins ('phone' for 'phone_screen') is the likeliest meant
    longer = [c for c in ordered if isinstance(c, str) and len(word) >= 3 and c.startswith(word) and c != word]
    close = longer[:1] or difflib.get_close_matches(word, ordered, n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _where(path: Any) -> str:
    parts: list[str] = []
    for step in path:
        parts.append(f"[{step}]" if isinstance(step, int) else f".{step}" if parts else str(step))
    return "".join(parts) or "the document"


def _leaves(error: ValidationError) -> Iterator[ValidationError]:
    from jsonschema.exceptions import best_match

    if error.context and error.validator in ("anyOf", "oneOf"):
        yield best_match(error.context)
    else:
        yield error


def _message(error: ValidationError) -> tuple[str, bool]:
    """The message for one error, and whether it points at a key rather than a value."""
    validator = error.validator
    instance = error.instance
    schema: dict[str, Any] = error.schema if isinstance(error.schema, dict) else {}
    where = _where(error.absolute_path)
    if validator == "additionalProperties" and isinstance(instance, dict):
        allowed = set(schema.get("properties", {}))
        extra = sorted(k for k in instance if k not in allowed)
        extra = [k for k in extra if not any(re.match(p, k) for p in schema.get("patternProperties", {}))]
        name = extra[0] if extra else "?"
        valid = ", ".join(sorted(allowed))
        return f"unknown field {name!r} in {where}{suggest(name, allowed)}; valid fields: {valid}", True
    if validator == "required":
        missing = [k for k in schema.get("required", []) if isinstance(instance, dict) and k not in instance]
        return f"{where} is missing the required field {missing[0]!r}" if missing else error.message, False
    if validator == "enum":
        options = ", ".join(repr(v) for v in schema["enum"])
        hint = suggest(str(instance)[:100], [str(v) for v in schema["enum"]])
        return f"{where}: {excerpt(instance)} is not one of {options}{hint}", False
    if validator == "const":
        return f"{where}: {excerpt(instance)} must be {schema['const']!r}", False
    if validator == "type":
        return f"{where}: {excerpt(instance)} is not of type {schema['type']}", False
    if validator == "pattern":
        text = schema.get("description", f"must match {schema['pattern']}")
        return f"{where}: {excerpt(instance)} is not valid here. {text}", False
    if validator in ("maxLength", "minLength", "maximum", "minimum", "exclusiveMaximum", "exclusiveMinimum"):
        bound = schema.get(validator)
        words = {
            "maxLength": "is longer than",
            "minLength": "is shorter than",
            "maximum": "is more than",
            "minimum": "is less than",
            "exclusiveMaximum": "must be less than",
            "exclusiveMinimum": "must be more than",
        }[validator]
        unit = " characters" if validator.endswith("Length") else ""
        return f"{where}: {excerpt(instance)} {words} {bound:,}{unit}", False
    message = error.message
    return f"{where}: {message if len(message) <= 200 else message[:200] + '…'}", False


def _messages(top: ValidationError) -> Iterator[tuple[ValidationError, str, bool]]:
    """Each error under ``top`` with its message; a missing field each on its own."""
    for error in _leaves(top):
        if error.validator == "required" and isinstance(error.instance, dict) and isinstance(error.schema, dict):
            where = _where(error.absolute_path)
            missing = [k for k in error.schema.get("required", []) if k not in error.instance]
            for name in missing:
                yield error, f"{where} is missing the required field {name!r}", False
            if missing:
                continue
        message, on_key = _message(error)
        yield error, message, on_key


def schema_problems(document: Any, schema: dict[str, Any], path: str) -> list[Problem]:
    """Every schema violation of ``document``, located in the file it came from.

    A document the schema's compiled checker passes has none; any other is checked
    again by ``jsonschema`` (imported only then), whose errors are worded here.
    """
    check = checker(schema)
    if check is not None and check(document):
        return []
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(schema)
    problems: list[Problem] = []
    seen: set[tuple[int, int, str]] = set()
    for top in validator.iter_errors(document):
        for error, message, on_key in _messages(top):
            steps = list(error.absolute_path)
            if on_key and isinstance(error.instance, dict) and isinstance(error.schema, dict):
                known = error.schema.get("properties", {})
                patterns = error.schema.get("patternProperties", {})
                extra = [k for k in error.instance if k not in known and not any(re.match(p, k) for p in patterns)]
                if extra:
                    steps.append(sorted(extra)[0])
            mark = locate(document, steps, key=on_key)
            file, line, column = (mark.path, mark.line, mark.column) if mark else (path, 0, 0)
            if (line, column, message) in seen:
                continue
            seen.add((line, column, message))
            problems.append(Problem(file, line, column, message))
    return problems
