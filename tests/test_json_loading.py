"""A JSON state file is read by json without positions, yet says where every text and problem is."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import ROOT
from followup import InvalidInput, load_state
from followup.state import load_document, state_from_document
from followup.state._loading import _DeferredSources


def _plain(value: object) -> object:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


@pytest.fixture
def as_json(tmp_path: Path) -> Path:
    document = _plain(load_document(ROOT / "examples" / "full-search.yaml"))
    path = tmp_path / "full-search.json"
    path.write_text(json.dumps(document, indent=2), encoding="utf-8")
    return path


def test_a_json_file_loads_as_its_positioned_reading_does(as_json: Path) -> None:
    fast = load_state(as_json)
    positioned = state_from_document(load_document(as_json), str(as_json))
    assert fast == positioned
    assert isinstance(fast.sources, _DeferredSources)  # read without positions...
    assert positioned.sources and dict(fast.sources) == dict(positioned.sources)  # ...placed all the same


def test_a_problem_in_a_json_file_is_placed_by_line_and_column(as_json: Path) -> None:
    lines = as_json.read_text(encoding="utf-8").splitlines()
    number = next(i for i, line in enumerate(lines) if '"timezone"' in line)
    lines[number] = lines[number].replace('"timezone"', '"time_zone"')
    as_json.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(InvalidInput) as raised:
        load_state(as_json)
    (problem,) = [p for p in raised.value.problems if "unknown field 'time_zone'" in p.message]
    assert (problem.path, problem.line, problem.column) == (str(as_json), number + 1, lines[number].index('"time_zone"') + 1)


def test_a_duplicate_key_in_json_is_reported_where_it_is(tmp_path: Path) -> None:
    path = tmp_path / "twice.json"
    path.write_text('{"version": 1,\n "version": 1,\n "candidate": {"name": "Ada", "timezone": "UTC"}}', encoding="utf-8")
    with pytest.raises(InvalidInput) as raised:
        load_state(path)
    assert [(p.line, "duplicate key 'version'" in p.message) for p in raised.value.problems] == [(2, True)]
