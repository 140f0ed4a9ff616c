"""Output a person can read: the agenda table fits 80 columns, honours ``COLUMNS`` when
piped, shows a short key that ``explain``, ``done`` and ``preview`` take, ``--wide`` shows
everything; the shell completes action keys and application ids."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.shell_completion import ShellComplete

from conftest import run_cli as followup
from followup import Engine, load_rulebook, load_state, parse_instant
from followup.cli._main import cli

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "job-search.yaml"
FULL = ROOT / "examples" / "full-search.yaml"
NOW = "2026-11-30T09:30:00+01:00"
#: a table row starts with the short key
ROW = re.compile(r"^ ?([0-9a-f]{5,}) ")


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("COLUMNS", "FOLLOWUP_STATE", "FOLLOWUP_STORE"):
        monkeypatch.delenv(name, raising=False)


def rows(table: str) -> dict[str, list[str]]:
    """Short key -> the lines of its row."""
    found: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in table.splitlines():
        match = ROW.match(line)
        if match:
            current = found.setdefault(match[1], [])
        elif not line.strip() or line.startswith(("#", "Next change")):
            current = None
        if current is not None:
            current.append(line)
    return found


def test_piped_the_table_fits_80_columns_with_two_lines_a_row_at_most() -> None:
    code, out, err = followup("agenda", str(EXAMPLE), "--now", NOW)
    assert code == 0, err
    assert max(len(line) for line in out.splitlines()) <= 80
    table = rows(out)
    assert len(table) == 22  # every open action of the example
    assert max(len(lines) for lines in table.values()) <= 2
    assert "Jonas Weber" in out and "thank you note" in out and "Northwind Analytics" in out
    assert "thank-you-note:northwind-data" not in out  # the full keys only with --wide


def test_columns_is_honoured_when_piped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "60")
    narrow = followup("agenda", str(EXAMPLE), "--now", NOW)[1]
    assert max(len(line) for line in narrow.splitlines()) <= 60
    monkeypatch.setenv("COLUMNS", "130")
    wide = followup("agenda", str(EXAMPLE), "--now", NOW, "--wide")[1]
    assert max(len(line) for line in wide.splitlines()) == 130


def test_wide_shows_every_column_and_the_full_keys() -> None:
    code, out, _ = followup("agenda", str(EXAMPLE), "--now", NOW, "--wide")
    assert code == 0
    header = next(line for line in out.splitlines() if "status" in line and "due" in line)
    for column in ("#", "status", "due", "what", "for", "to", "via", "why", "key"):
        assert f" {column} " in header
    assert "thank-you-note:northwind-data:onsite:jonas" in out
    assert "Fri 17:00 EST theirs" in out


def short_key_of(key: str, path: Path = EXAMPLE) -> str:
    agenda = Engine(load_rulebook()).evaluate(load_state(path), parse_instant(NOW))
    action = agenda.get(key)
    assert action is not None
    return agenda.short_key(action)


def test_the_short_key_shown_is_taken_by_explain_preview_and_done(tmp_path: Path) -> None:
    short = short_key_of("thank-you-note:northwind-data:onsite:jonas")
    table = rows(followup("agenda", str(EXAMPLE), "--now", NOW)[1])
    assert any("Jonas Weber" in line for line in table[short])
    code, out, err = followup("explain", str(EXAMPLE), short, "--now", NOW)
    assert code == 0, err
    assert out.splitlines()[0] == "thank-you-note:northwind-data:onsite:jonas"
    code, out, err = followup("preview", str(EXAMPLE), short, "--now", NOW)
    assert code == 0, err
    assert "Action:  thank-you-note:northwind-data:onsite:jonas (due, due Mon 30 Nov 2026 17:30 CET)" in out
    state = tmp_path / "search.yaml"
    state.write_text(EXAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    code, out, err = followup("done", short, "--state", str(state), "--at", NOW)
    assert code == 0, err
    assert "for thank-you-note:northwind-data:onsite:jonas" in out
    after = Engine(load_rulebook()).evaluate(load_state(state), parse_instant(NOW))
    action = after.get("thank-you-note:northwind-data:onsite:jonas")
    assert action is not None and action.status == "done"
    assert after.get(short) is action  # the same short key in the next evaluation


def test_short_keys_are_unique_in_an_agenda_and_a_prefix_works() -> None:
    for path in (EXAMPLE, FULL):
        agenda = Engine(load_rulebook()).evaluate(load_state(path), parse_instant(NOW))
        shorts = [agenda.short_key(a) for a in agenda]
        assert len(set(shorts)) == len(shorts)
        for action, short in zip(agenda, shorts, strict=True):
            assert agenda.get(short) is action
            assert len(short) >= 5
    agenda = Engine(load_rulebook()).evaluate(load_state(EXAMPLE), parse_instant(NOW))
    assert agenda.get("zz") is None and agenda.get("abc") is None  # too short, or not hex: no guess


def complete(args: list[str], incomplete: str) -> list[str]:
    completer = ShellComplete(cli, {}, "followup", "_FOLLOWUP_COMPLETE")
    return [item.value for item in completer.get_completions(args, incomplete)]


def test_the_shell_completes_action_keys() -> None:
    keys = complete(["explain", str(EXAMPLE), "--now", NOW], "thank-you-note:north")
    assert keys == ["thank-you-note:northwind-data:onsite:jonas"]  # priya's is done: not offered
    short = short_key_of("thank-you-note:northwind-data:onsite:jonas")
    assert complete(["explain", str(EXAMPLE), "--now", NOW], short[:3]) == [short] or short in complete(
        ["explain", str(EXAMPLE), "--now", NOW], short[:3]
    )
    assert "thank-you-note:harbor-logistics:panel:greta" in complete(["done", "--state", str(EXAMPLE), "--at", NOW], "thank")
    assert complete(["explain", str(ROOT / "missing.yaml")], "") == []  # a state that is not there completes nothing


def test_the_shell_completes_application_ids(monkeypatch: pytest.MonkeyPatch) -> None:
    assert complete(["retire", "--state", str(EXAMPLE)], "harb") == ["harbor-logistics"]
    assert complete(["log", "reply", "--state", str(EXAMPLE)], "n") == ["northwind-data"]
    assert complete(["add", "interview", "--state", str(EXAMPLE)], "lum") == ["lumen-health"]
    monkeypatch.setenv("FOLLOWUP_STATE", str(EXAMPLE))
    assert complete(["retire"], "del") == ["delta-robotics"]
