"""The rule tests shipped in rules/tests pass, through the command line, and cover every default rule and cap."""

from __future__ import annotations

import subprocess
import sys

from conftest import ROOT
from followup import load_rulebook
from followup.ruletest import load_test_file, referenced_names

TESTS = ROOT / "rules" / "tests"


def test_followup_test_rules_tests_passes() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "followup", "test", "rules/tests"], capture_output=True, text=True, cwd=ROOT, timeout=300
    )
    assert result.returncode == 0, result.stdout + result.stderr
    summary = result.stdout.strip().splitlines()[-1]
    assert summary.endswith("all passed")
    # docs/rule-tests.md shows this run; keep it current
    assert f"$ followup test rules/tests\n{summary}\n" in (ROOT / "docs" / "rule-tests.md").read_text(encoding="utf-8")


def test_every_default_rule_and_cap_is_named_by_an_expectation() -> None:
    rulebook = load_rulebook()
    named = referenced_names([TESTS])
    assert {r.id for r in rulebook.rules} - named["rule"] == set()
    assert set(rulebook.caps) - named["cap"] == set()


def test_an_overlay_and_the_replies_are_among_them() -> None:
    overlay = load_test_file(TESTS / "overlay.yaml")
    sources = {source for test in overlay for source in test.engine.rulebook.sources}
    assert any(source.endswith("thank-you-one-business-day.yaml") for source in sources)
    replies = load_test_file(TESTS / "replies.yaml")
    names = [test.name for test in replies]
    assert any("courtesy reply does not settle" in name for name in names)


def test_every_reply_field_is_used_by_a_rule_test() -> None:
    from followup.state._loading import REPLY_FIELDS

    text = "".join(path.read_text(encoding="utf-8") for path in TESTS.glob("*.yaml"))
    assert [name for name in REPLY_FIELDS if f"{name}:" not in text] == []
