"""A rulebook may use operators and facts from plugins; without the plugin it is refused, naming what is missing."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from followup import Engine, Fact, InvalidInput, Operator, Scope, hookimpl, load_rulebook
from followup.testing import SAMPLE_NOW, sample_state
from test_plugins import Site, site  # noqa: F401 - the fixture

RULES = """\
version: 1
rules:
  - id: note-to-acme
    kind: thank_you_note
    for_each: interviewer
    when:
      all:
        - {fact: interview.ended_at, is: set}
        - {fact: interviewer.email_domain, matches: "^acme\\\\."}
    window:
      opens: {at: interview.ended_at}
      due: {at: interview.ended_at, plus: {days: 2}}
    channel: email
"""

PLUGIN = """
import re
from followup import Fact, Operator, hookimpl


def _matches(pattern):
    compiled = re.compile(pattern)
    return lambda value: value is not None and compiled.search(str(value)) is not None


def _email_domain(scope):
    email = scope.interviewer.email
    return email.rpartition("@")[2] if email else None


@hookimpl
def followup_register_operators(register):
    register(Operator("matches", {"type": "string", "minLength": 1}, _matches, "the value matches a regular expression"))


@hookimpl
def followup_register_facts(register):
    register(Fact("interviewer.email_domain", _email_domain, "string", "the part of the interviewer's email after @"))
"""


class Regex:
    """The same plugin as a class, registered in-process with the kit's ``register_plugin``."""

    @hookimpl
    def followup_register_operators(self, register: Callable[[Operator], None]) -> None:
        def build(pattern: str) -> Callable[[Any], bool]:
            compiled = re.compile(pattern)
            return lambda value: value is not None and compiled.search(str(value)) is not None

        register(Operator("matches", {"type": "string", "minLength": 1}, build, "the value matches a regular expression"))

    @hookimpl
    def followup_register_facts(self, register: Callable[[Fact], None]) -> None:
        def email_domain(scope: Scope) -> str | None:
            email = scope.interviewer.email if scope.interviewer is not None else None
            return email.rpartition("@")[2] if email else None

        register(Fact("interviewer.email_domain", email_domain, "string", "the part of the interviewer's email after @"))


@pytest.fixture
def rules(tmp_path: Path) -> Path:
    path = tmp_path / "rules.yaml"
    path.write_text(RULES)
    return path


def test_hook_register_operators_a_plugin_operator_validates_and_decides(
    register_plugin: Callable[..., Any], rules: Path
) -> None:
    register_plugin(Regex(), "regex")
    agenda = Engine(load_rulebook(rules)).evaluate(sample_state(), SAMPLE_NOW)
    # Acme's two interviewers match; Initech's recruiter (lee@initech.example) does not
    assert sorted((a.recipient, a.status) for a in agenda) == [("pat", "due"), ("sam", "due")]


def test_hook_register_facts_a_plugin_fact_is_read_at_its_level(register_plugin: Callable[..., Any], tmp_path: Path) -> None:
    register_plugin(Regex(), "regex")
    wrong_level = tmp_path / "level.yaml"
    wrong_level.write_text(RULES.replace("for_each: interviewer", "for_each: interview"))
    with pytest.raises(InvalidInput, match=r"fact 'interviewer.email_domain' needs a rule with for_each: interviewer"):
        load_rulebook(wrong_level)


def test_without_the_plugin_the_rulebook_is_refused_naming_the_operator(rules: Path) -> None:
    with pytest.raises(InvalidInput) as caught:
        load_rulebook(rules)
    message = str(caught.value)
    assert re.search(r"rules\.yaml:\d+:\d+: .*unknown condition operator 'matches'", message), message
    assert "An operator from a plugin needs that plugin installed" in message


def test_the_plugin_operand_schema_is_enforced(register_plugin: Callable[..., Any], tmp_path: Path) -> None:
    register_plugin(Regex(), "regex")
    bad = tmp_path / "bad.yaml"
    bad.write_text(RULES.replace('matches: "^acme\\\\."', "matches: 42"))
    with pytest.raises(InvalidInput) as caught:
        load_rulebook(bad)
    assert re.search(r"bad\.yaml:9:\d+: rules\[0\]\.when\.all\[1\]\.matches: 42 is not of type string", str(caught.value)), str(caught.value)


def test_installed_from_an_entry_point_then_disabled(site: Site, rules: Path) -> None:  # noqa: F811 - the fixture
    """The command line, as a user runs it: `followup validate` passes with the plugin and fails without it."""
    site.install("followup-regex", {"followup_regex": PLUGIN}, {"regex": "followup_regex"})
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site.root), *sys.path])}
    command = [sys.executable, "-m", "followup", "validate", str(rules)]
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    done = subprocess.run(command, capture_output=True, text=True, env={**env, "FOLLOWUP_DISABLE_PLUGINS": "followup-regex"})
    assert done.returncode == 1
    assert "unknown condition operator 'matches'" in done.stderr and "Traceback" not in done.stderr
