"""A JSON Schema compiled to one Python function that says valid or not, fast.

Validating with ``jsonschema`` costs more than reading a state (it builds a
validator per nested value); most documents are valid, so they take this fast
path and only an invalid one goes through ``jsonschema`` to get every error worded
and located (:func:`followup.state.schema_problems`). Like fastjsonschema, the
checker is readable Python source generated once per schema, one function per
subschema, with every constant of the schema written as a ``repr`` literal;
:func:`checker_source` prints it.

Only the keywords followup's schemas use are compiled (the Draft 2020-12 meaning of
each); a schema with any other keyword gets no checker (:func:`checker` returns
``None``) and is always validated by ``jsonschema``. A checker must never pass a
document ``jsonschema`` fails: the tests compare the two on the bad-input corpus.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["checker", "checker_source"]

Check = Callable[[Any], bool]

#: keywords that say nothing about validity
_ANNOTATIONS = frozenset({"$schema", "$id", "$comment", "$defs", "title", "description", "default", "examples", "deprecated", "readOnly", "writeOnly", "format"})
_TYPES = {
    "object": "isinstance(x, dict)",
    "array": "isinstance(x, list)",
    "string": "isinstance(x, str)",
    "boolean": "isinstance(x, bool)",
    "null": "x is None",
    "number": "(isinstance(x, (int, float)) and not isinstance(x, bool))",
    "integer": "((isinstance(x, int) and not isinstance(x, bool)) or (isinstance(x, float) and x.is_integer()))",
}
_NUMBER = "(isinstance(x, (int, float)) and not isinstance(x, bool))"
_BOUNDS = {"minimum": "<", "maximum": ">", "exclusiveMinimum": "<=", "exclusiveMaximum": ">="}


class Unsupported(Exception):
    """The schema uses a keyword the generator does not compile."""


def _equal(one: Any, two: Any) -> bool:
    """JSON equality, as JSON Schema means it: ``true`` is not ``1``."""
    if isinstance(one, str) or isinstance(two, str):
        return bool(one == two)
    if isinstance(one, dict) and isinstance(two, dict):
        return one.keys() == two.keys() and all(_equal(one[k], two[k]) for k in one)
    if isinstance(one, list) and isinstance(two, list):
        return len(one) == len(two) and all(_equal(a, b) for a, b in zip(one, two, strict=True))
    if isinstance(one, bool) or isinstance(two, bool):
        return type(one) is type(two) and one == two
    return bool(one == two)


def _unique(items: list[Any]) -> bool:
    return not any(_equal(items[i], items[j]) for i in range(len(items)) for j in range(i + 1, len(items)))


class _Generator:
    def __init__(self, root: Mapping[str, Any]) -> None:
        self.root = root
        self.names: dict[int, str] = {}
        self.functions: list[str] = []
        self.keep: list[Any] = []  # the subschemas named, so their ids stay theirs
        self.bodies: dict[str, str] = {}
        #: module-level constants (compiled patterns, property tables), written after the functions
        self.constants: list[str] = []

    def constant(self, prefix: str, literal: str) -> str:
        name = f"_{prefix}_{len(self.constants)}"
        self.constants.append(f"{name} = {literal}")
        return name

    def pattern(self, text: str) -> str:
        re.compile(text)
        return self.constant("pattern", f"_re.compile({text!r})")

    def name(self, schema: Any) -> str:
        """The function checking ``schema``, generated on first use."""
        if schema is True or (isinstance(schema, Mapping) and _ANNOTATIONS.issuperset(schema)):
            return "_anything"
        if schema is False:
            return "_nothing"
        if not isinstance(schema, Mapping):
            raise Unsupported(repr(schema)[:40])
        known = self.names.get(id(schema))
        if known is not None:
            return known
        name = self.names[id(schema)] = f"_check_{len(self.names)}"
        self.keep.append(schema)
        source = self.function(name, schema)
        body = source.split("\n", 1)[1]
        same = self.bodies.get(body)
        if same is not None and not any(name in f for f in self.functions):
            self.names[id(schema)] = same  # an equal subschema (a copy with another description)
            return same
        self.bodies[body] = name
        self.functions.append(source)
        return name

    def ref(self, target: str) -> str:
        if not target.startswith("#/$defs/"):
            raise Unsupported(target)
        defs = self.root.get("$defs", {})
        key = target.removeprefix("#/$defs/")
        if key not in defs:
            raise Unsupported(target)
        return self.name(defs[key])

    def function(self, name: str, schema: Mapping[str, Any]) -> str:
        lines = [f"def {name}(x):"]
        emit = lines.append
        objects: list[str] = []
        arrays: list[str] = []
        strings: list[str] = []
        numbers: list[str] = []
        for keyword, value in schema.items():
            if keyword in _ANNOTATIONS:
                continue
            if keyword == "type":
                kinds = [value] if isinstance(value, str) else list(value)
                if any(k not in _TYPES for k in kinds):
                    raise Unsupported(f"type {value!r}")
                emit(f"    if not ({' or '.join(_TYPES[k] for k in kinds)}):")
                emit("        return False")
            elif keyword == "enum":
                if all(isinstance(v, str) for v in value):
                    emit(f"    if not (isinstance(x, str) and x in {frozenset(value)!r}):")
                else:
                    emit(f"    if not any(_equal(x, v) for v in {list(value)!r}):")
                emit("        return False")
            elif keyword == "const":
                emit(f"    if not _equal(x, {value!r}):")
                emit("        return False")
            elif keyword == "$ref":
                emit(f"    if not {self.ref(value)}(x):")
                emit("        return False")
            elif keyword in ("anyOf", "oneOf", "allOf"):
                checks = ", ".join(self.name(s) for s in value)
                test = {"anyOf": "any(c(x) for c in ({0},))", "allOf": "all(c(x) for c in ({0},))", "oneOf": "sum(1 for c in ({0},) if c(x)) == 1"}
                emit(f"    if not {test[keyword].format(checks)}:")
                emit("        return False")
            elif keyword == "not":
                emit(f"    if {self.name(value)}(x):")
                emit("        return False")
            elif keyword in ("properties", "patternProperties", "additionalProperties", "required"):
                if keyword == "properties" or (keyword == "patternProperties" and "properties" not in schema) or (
                    keyword in ("additionalProperties", "required") and not {"properties", "patternProperties"} & schema.keys()
                ):
                    objects += self.object_checks(schema)
            elif keyword in ("minProperties", "maxProperties"):
                objects.append(f"if len(x) {'<' if keyword == 'minProperties' else '>'} {int(value)!r}: return False")
            elif keyword == "items":
                if value is not True and value != {}:
                    arrays.append(f"for item in x:\n            if not {self.name(value)}(item): return False")
            elif keyword in ("minItems", "maxItems"):
                arrays.append(f"if len(x) {'<' if keyword == 'minItems' else '>'} {int(value)!r}: return False")
            elif keyword == "uniqueItems":
                if value:
                    arrays.append("if not _unique(x): return False")
            elif keyword in ("minLength", "maxLength"):
                strings.append(f"if len(x) {'<' if keyword == 'minLength' else '>'} {int(value)!r}: return False")
            elif keyword == "pattern":
                strings.append(f"if {self.pattern(value)}.search(x) is None: return False")
            elif keyword in _BOUNDS:
                if not isinstance(value, int | float) or isinstance(value, bool):
                    raise Unsupported(f"{keyword} {value!r}")
                numbers.append(f"if x {_BOUNDS[keyword]} {value!r}: return False")
            else:
                raise Unsupported(keyword)
        declared = schema.get("type")
        guarded = (("object", "isinstance(x, dict)", objects), ("array", "isinstance(x, list)", arrays), ("string", "isinstance(x, str)", strings), ("number", _NUMBER, numbers))
        for kind, guard, group in guarded:
            if group and declared == kind:  # the type is checked above
                lines.extend(f"    {check}".replace("\n    ", "\n") for check in group)
            elif group:
                emit(f"    if {guard}:")
                lines.extend(f"        {check}" for check in group)
        emit("    return True")
        return "\n".join(lines)

    def object_checks(self, schema: Mapping[str, Any]) -> list[str]:
        properties: Mapping[str, Any] = schema.get("properties", {})
        patterns: Mapping[str, Any] = schema.get("patternProperties", {})
        extra = schema.get("additionalProperties", True)
        checks = [f"if not x.keys() >= {frozenset(schema['required'])!r}: return False"] if schema.get("required") else []
        by_key = {key: self.name(sub) for key, sub in properties.items()}
        by_pattern = {self.pattern(pattern): self.name(sub) for pattern, sub in patterns.items()}
        rest = self.name(extra)
        if not by_key and not by_pattern and rest == "_anything":
            return checks
        table = self.constant("properties", "{" + ", ".join(f"{key!r}: {function}" for key, function in by_key.items()) + "}")
        pairs = self.constant("patterns", "(" + "".join(f"({p}, {f}), " for p, f in by_pattern.items()) + ")")
        loop = ["for key, value in x.items():", f"            check = {table}.get(key)"]
        if by_pattern:
            loop.append("            if check is None:")
            loop.append(f"                matched = [c for p, c in {pairs} if p.search(key)]")
            loop.append("                if matched:")
            loop.append("                    if not all(c(value) for c in matched): return False")
            loop.append("                    continue")
        else:
            loop.append("            pass")
        loop.append(f"            if not (check or {rest})(value): return False")
        checks.append("\n".join(loop))
        return checks


_PRELUDE = '''\
def _anything(x):
    return True


def _nothing(x):
    return False
'''


def checker_source(schema: Mapping[str, Any]) -> str:
    """The Python source of the checker for ``schema``; raises :class:`Unsupported`
    when the schema uses a keyword it does not compile."""
    generator = _Generator(schema)
    top = generator.name(schema)
    return "\n\n\n".join([_PRELUDE, *generator.functions, "\n".join([*generator.constants, f"check = {top}"]) + "\n"])


_BY_ID: dict[int, tuple[Mapping[str, Any], Check | None]] = {}
_BY_TEXT: dict[str, Check | None] = {}


def checker(schema: Mapping[str, Any]) -> Check | None:
    """``check(document) -> bool`` for ``schema``, compiled once per schema (``None``
    when the schema uses a keyword the generator does not compile).

    Found again by the schema object, else by its JSON text, so a schema built anew
    for each call (the rulebook schema of a vocabulary) is compiled only once.
    """
    cached = _BY_ID.get(id(schema))
    if cached is not None and cached[0] is schema:
        return cached[1]
    text = json.dumps(schema, sort_keys=True, default=repr)
    if text in _BY_TEXT:
        function = _BY_TEXT[text]
    else:
        function = _build(schema)
        if len(_BY_TEXT) > 32:
            _BY_TEXT.clear()
        _BY_TEXT[text] = function
    if len(_BY_ID) > 64:
        _BY_ID.clear()
    _BY_ID[id(schema)] = (schema, function)  # the reference keeps the id from being reused
    return function


def _build(schema: Mapping[str, Any]) -> Check | None:
    try:
        source = checker_source(schema)
    except (Unsupported, re.error, TypeError, ValueError):
        return None
    namespace: dict[str, Any] = {"_re": re, "_equal": _equal, "_unique": _unique}
    exec(compile(source, f"<checker for {schema.get('$id', 'a schema')}>", "exec"), namespace)  # generated from the schema alone
    function: Check = namespace["check"]
    return function
