"""docs/rules.md keeps up with the code: every fact, operator, rule field and default rule."""

from __future__ import annotations

from conftest import ROOT
from followup import load_rulebook
from followup.rules import get_vocabulary, rules_schema

DOC = (ROOT / "docs" / "rules.md").read_text()


def test_every_fact_and_operator_is_documented() -> None:
    vocabulary = get_vocabulary()
    for name, fact in vocabulary.facts.items():
        if fact.plugin.startswith("followup"):
            assert f"`{name}`" in DOC, name
    for name, operator in vocabulary.operators.items():
        if operator.plugin.startswith("followup"):
            assert f"`{name}`" in DOC, name


def test_every_rule_and_cap_field_is_documented() -> None:
    schema = rules_schema(get_vocabulary())
    rule = schema["properties"]["rules"]["items"]["properties"]
    cap = schema["properties"]["caps"]["items"]["properties"]
    for field in [*rule, *cap, *schema["$defs"]["match"]["properties"], *schema["$defs"]["time"]["properties"]]:
        assert f"`{field}`" in DOC or f"`window.{field}`" in DOC, field


def test_every_default_rule_and_cap_is_in_the_table() -> None:
    book = load_rulebook()
    for rule in book.rules:
        assert f"| `{rule.id}` | `{rule.kind}` |" in DOC, rule.id
    for cap in book.caps:
        assert f"| `{cap}` |" in DOC, cap


def test_the_overlay_example_in_the_docs_loads(tmp_path) -> None:  # type: ignore[no-untyped-def]
    block = DOC.split("## Overlays", 1)[1].split("```yaml", 1)[1].split("```", 1)[0]
    path = tmp_path / "overlay.yaml"
    path.write_text(block)
    book = load_rulebook(path)
    assert book.rule("linkedin-after-rejection") is not None
    assert book.rule("keep-searching") is None
    assert book.caps["ceiling"].max == 1
