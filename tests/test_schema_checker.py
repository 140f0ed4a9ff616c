"""The compiled schema checker says valid exactly when jsonschema finds no error.

Documents pass the generated checker and skip jsonschema; one the checker wrongly
passed would load without its errors reported, so the two are compared on valid
documents and on every single-value mutation of them that hypothesis finds.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from conftest import ROOT
from followup.rules import get_vocabulary, rules_schema
from followup.state import STATE_SCHEMA, load_document, schema_problems
from followup.state._checker import checker, checker_source

_EXAMPLES = [ROOT / "examples" / name for name in ("job-search.yaml", "full-search.yaml")]
_HOSTILE = [None, True, False, 0, 1, 1.0, 1.5, -1, 10**9, "", "x", "2026-13-01", "x-extra", "UTC", "email", [], [{}], {}, {"x": 1}]


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _spots(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value (and to a new key of every mapping) in ``value``."""
    found = [path]
    if isinstance(value, dict):
        found.append((*path, "+"))
        for key, item in value.items():
            found += _spots(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _spots(item, (*path, index))
    return found


def _mutated(document: Any, path: tuple[Any, ...], new: Any, key: str) -> Any:
    copied = copy.deepcopy(document)
    if not path:
        return new
    parent = copied
    for step in path[:-1]:
        parent = parent[step]
    if path[-1] == "+":
        parent[key] = new
    elif new is _DELETE and isinstance(parent, dict):
        del parent[path[-1]]
    else:
        parent[path[-1]] = new
    return copied


_DELETE = object()


def _documents() -> list[tuple[str, dict[str, Any], Any]]:
    rules = _plain(load_document(ROOT / "src" / "followup" / "rules" / "default.yaml"))
    return [
        *((p.name, STATE_SCHEMA, _plain(load_document(p))) for p in _EXAMPLES),
        ("default.yaml", rules_schema(get_vocabulary()), rules),
    ]


_CASES = _documents()


def _agree(schema: dict[str, Any], document: Any) -> None:
    check = checker(schema)
    assert check is not None, "the schema uses a keyword the checker does not compile"
    errors = [e.message for e in Draft202012Validator(schema).iter_errors(document)]
    assert check(document) == (not errors), errors[:3]


@pytest.mark.parametrize("name", [name for name, _, _ in _CASES])
def test_valid_documents_pass(name: str) -> None:
    _, schema, document = next(case for case in _CASES if case[0] == name)
    _agree(schema, document)
    assert schema_problems(document, schema, name) == []


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    case=st.sampled_from(_CASES),
    pick=st.integers(min_value=0),
    new=st.sampled_from([*_HOSTILE, _DELETE]),
    key=st.sampled_from(["x-note", "extra", "id", "kind", "priority"]),
)
def test_a_mutated_document_is_judged_as_jsonschema_judges_it(case: tuple[str, dict[str, Any], Any], pick: int, new: Any, key: str) -> None:
    _, schema, document = case
    spots = _spots(document)
    path = spots[pick % len(spots)]
    if new is _DELETE and (not path or path[-1] == "+"):
        new = None
    _agree(schema, _mutated(document, path, new, key))


def test_an_unknown_keyword_gets_no_checker() -> None:
    assert checker({"type": "object", "propertyNames": {"maxLength": 3}}) is None


def test_the_source_is_readable_python() -> None:
    source = checker_source(STATE_SCHEMA)
    compile(source, "<checker>", "exec")
    assert "def _check_0(x):" in source and "check = _check_0" in source
