"""Dates in notes and letters follow the candidate's ``locale`` (Babel); without one they
read as before; an unknown locale is refused with its line; a store keeps it."""

from __future__ import annotations

from pathlib import Path

import pytest

from followup import Engine, InvalidInput, load_rulebook, load_state, parse_instant
from followup.delivery.messages import build_context, render_message

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "job-search.yaml"
NOW = parse_instant("2026-11-30T09:30:00+01:00")


def with_locale(tmp_path: Path, locale: str | None) -> Path:
    text = EXAMPLE.read_text(encoding="utf-8")
    if locale is not None:
        text = text.replace("  timezone: Europe/Berlin\n", f"  timezone: Europe/Berlin\n  locale: {locale}\n", 1)
    path = tmp_path / "search.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def rendered(path: Path, key: str) -> tuple[str, str]:
    state = load_state(path)
    action = Engine(load_rulebook()).evaluate(state, NOW).get(key)
    assert action is not None
    message = render_message(build_context(state, action, {"sender": {"postal_address": "Torstraße 1\n10119 Berlin"}}, now=NOW))
    return message.body, message.html or ""


@pytest.mark.parametrize(
    ("locale", "day", "dated"),
    [
        (None, "Friday, 27 November", "30 November 2026"),
        ("en_US", "Friday, November 27", "November 30, 2026"),
        ("de_DE", "Freitag, 27. November", "30. November 2026"),
        ("fr-FR", "vendredi 27 novembre", "30 novembre 2026"),
    ],
)
def test_letter_dates_are_written_for_the_candidates_locale(tmp_path: Path, locale: str | None, day: str, dated: str) -> None:
    body, letter = rendered(with_locale(tmp_path, locale), "thank-you-note:harbor-logistics:panel:greta")
    assert day in body  # the day of the interview, in the note
    assert f'<div class="dated">{dated}</div>' in letter  # the letter's date line


def test_a_time_follows_the_locale_but_templates_still_compare_the_clock(tmp_path: Path) -> None:
    import jinja2

    from followup.delivery.messages import get_renderer

    env = get_renderer().env
    moment = parse_instant("2026-12-04T00:00:00+01:00")
    template = env.from_string('{{ by|time }} {% if by|clock != "00:00" %}at a time{% else %}the start of the day{% endif %}')
    shown = template.render(by=moment, tz="Europe/Berlin", locale="en_US").replace("\u202f", " ")  # CLDR's narrow space
    assert shown == "12:00 AM the start of the day"
    assert template.render(by=moment, tz="Europe/Berlin", locale=None) == "00:00 the start of the day"
    with pytest.raises(jinja2.TemplateRuntimeError):
        env.from_string("{{ none|time }}").render(none=None, tz="Europe/Berlin", locale="de_DE")


def test_an_unknown_locale_is_refused_with_its_line(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput) as caught:
        load_state(with_locale(tmp_path, "xx_YY"))
    (problem,) = caught.value.problems
    assert problem.line == 10
    assert "unknown locale 'xx_YY'" in problem.message and "en_GB" in problem.message


def test_a_store_keeps_the_locale(tmp_path: Path) -> None:
    from followup.stores import open_store

    store = open_store(f"sqlite:///{tmp_path / 'store.db'}", create=True)
    try:
        store.import_state(load_state(with_locale(tmp_path, "de-DE")))
        assert store.load_state().candidate.locale == "de_DE"
    finally:
        store.close()
