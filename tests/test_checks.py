"""The built-in message checks: spelling, placeholders, contact details."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from followup import Engine, State, load_rulebook, load_state, parse_instant
from followup.delivery import Block, Party
from followup.delivery.messages import build_context, render_message
from followup.delivery.messages.checks import check_contact_detail, check_placeholders, check_spelling, misspelled
from followup.plugins import build_plugin_manager

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "job-search.yaml"
NOW = parse_instant("2026-11-30T09:30:00+01:00")


@pytest.fixture(scope="module")
def example() -> tuple[State, Any]:
    state = load_state(EXAMPLE)
    return state, Engine(load_rulebook()).evaluate(state, NOW)


def note(
    example: tuple[State, Any], key: str = "thank-you-note:northwind-data:onsite:jonas"
) -> tuple[Any, dict[str, Any]]:
    state, agenda = example
    context = build_context(state, agenda.get(key), {}, now=NOW)
    return render_message(context), context


def test_a_planted_typo_is_blocked_with_the_word_and_a_suggestion(example: tuple[State, Any]) -> None:
    message, context = note(example)
    typo = dataclasses.replace(message, body=message.body.replace("conversation", "converstation"))
    (block,) = check_spelling(typo, context)
    assert block.check == "spelling"
    assert "'converstation'" in block.reason
    assert "'conversation'" in block.reason
    assert message.key in block.reason


def test_names_titles_companies_and_topics_of_the_state_are_words(example: tuple[State, Any]) -> None:
    message, context = note(example)
    text = (
        "Priya Raman, Head of Data Platform at Northwind Analytics: streaming pipelines, the roadmap. Kaiserkai Greta's"
    )
    assert check_spelling(dataclasses.replace(message, body=text), context) == []
    # the same words are not in the dictionary on their own
    assert {"Raman", "Northwind", "roadmap", "Kaiserkai"} <= set(misspelled(text))


def test_words_from_the_configuration_are_accepted(example: tuple[State, Any]) -> None:
    message, context = note(example)
    odd = dataclasses.replace(message, body="I enjoyed the Kubeflow demo.")
    assert check_spelling(odd, context)
    context = {**context, "config": {"spelling": {"words": ["Kubeflow"]}}}
    assert check_spelling(odd, context) == []


def test_acronyms_addresses_and_numbers_are_not_spell_checked() -> None:
    assert misspelled("The BI and ML teams, jonas.weber@northwind.example, https://qzx.example/abc, 3rd floor") == {}


def test_placeholders_left_in_a_message_are_blocked(example: tuple[State, Any]) -> None:
    message, context = note(example)
    assert check_placeholders(message, context) == []
    for leftover in ("Dear [NAME],", "Dear {{ name }},", "Dear None,", "Hello <<first name>>", "TODO: closing"):
        (block,) = check_placeholders(dataclasses.replace(message, body=leftover), context)
        assert block.check == "placeholders"
        assert "unfilled placeholder" in block.reason


def test_a_missing_contact_detail_for_the_medium_is_blocked(example: tuple[State, Any]) -> None:
    message, context = note(example)
    assert check_contact_detail(message, context) == []
    no_email = dataclasses.replace(message, recipient=Party(name="Jonas Weber", postal_address="Somewhere 1"))
    (block,) = check_contact_detail(no_email, context)
    assert "Jonas Weber has no email" in block.reason
    letter = dataclasses.replace(message, medium="postal", recipient=Party(name="Lars Petersen", email="l@x.example"))
    (block,) = check_contact_detail(letter, context)
    assert "postal address" in block.reason
    fax = dataclasses.replace(message, medium="fax", recipient=None)
    assert check_contact_detail(fax, context)
    # a reminder goes to the candidate: no detail needed
    assert check_contact_detail(dataclasses.replace(message, medium="reminder", recipient=None), context) == []


def test_the_checks_run_through_the_hook(example: tuple[State, Any]) -> None:
    message, context = note(example)
    pm = build_plugin_manager(entry_points=False)
    bad = dataclasses.replace(
        message, body=message.body + "\nI look forwrd to [DATE].\n", recipient=Party(name="Jonas Weber")
    )
    blocks = [b for result in pm.hook.followup_check_message(message=bad, context=context) for b in result or []]
    assert {b.check for b in blocks} == {"spelling", "placeholders", "contact-detail"}
    assert all(isinstance(b, Block) for b in blocks)
    assert [
        b for result in pm.hook.followup_check_message(message=message, context=context) for b in result or []
    ] == []


def test_spelling_can_be_switched_off(example: tuple[State, Any]) -> None:
    message, context = note(example)
    typo = dataclasses.replace(message, body="Thnks")
    assert check_spelling(typo, {**context, "config": {"spelling": {"enabled": False}}}) == []
