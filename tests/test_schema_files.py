"""The schema files shipped for editors match what `followup schema` prints."""

from __future__ import annotations

import json

from jsonschema import Draft202012Validator

from conftest import ROOT
from followup.plugins import build_plugin_manager
from followup.rules import collect_vocabulary, published_rules_schema
from followup.state import STATE_SCHEMA


def test_shipped_schemas_are_current() -> None:
    # Built from the built-in plugins only, whatever else is installed.
    vocabulary = collect_vocabulary(build_plugin_manager(entry_points=False))
    shipped_rules = json.loads((ROOT / "docs/schemas/rules.schema.json").read_text())
    shipped_state = json.loads((ROOT / "docs/schemas/state.schema.json").read_text())
    assert shipped_rules == json.loads(json.dumps(published_rules_schema(vocabulary))), "run: followup schema rules > docs/schemas/rules.schema.json"
    assert shipped_state == json.loads(json.dumps(STATE_SCHEMA)), "run: followup schema state > docs/schemas/state.schema.json"


def _undescribed(node: object, where: str, missing: list[str]) -> list[str]:
    if isinstance(node, dict):
        for key, value in node.get("properties", {}).items():
            if isinstance(value, dict) and "description" not in value and "$ref" not in value:
                missing.append(f"{where}.{key}")
        for key, value in node.items():
            _undescribed(value, f"{where}.{key}" if key not in ("properties", "items", "$defs") else where, missing)
    elif isinstance(node, list):
        for item in node:
            _undescribed(item, where, missing)
    return missing


def test_schemas_are_valid_and_describe_every_field() -> None:
    for name in ("rules", "state"):
        schema = json.loads((ROOT / f"docs/schemas/{name}.schema.json").read_text())
        Draft202012Validator.check_schema(schema)
        assert not _undescribed(schema, name, []), name


def test_the_published_rules_schema_accepts_rulebooks_and_overlays() -> None:
    import yaml

    schema = json.loads((ROOT / "docs/schemas/rules.schema.json").read_text())
    validator = Draft202012Validator(schema)
    default = yaml.safe_load((ROOT / "rules/default.yaml").read_text())
    assert not list(validator.iter_errors(default))
    overlay = {"extends": "default", "rules": [{"id": "keep-searching", "enabled": False}]}
    assert not list(validator.iter_errors(overlay))
    incomplete = {"rules": [{"id": "keep-searching", "enabled": False}]}
    assert list(validator.iter_errors(incomplete))  # without extends, a rule must be complete
    typo = {"extends": "default", "rules": [{"id": "keep-searching", "enabeld": False}]}
    assert list(validator.iter_errors(typo))
