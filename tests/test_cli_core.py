"""The core commands, run as a person runs them: a real process, real files, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from conftest import EXAMPLE, ROOT

NOW = "2026-11-30T09:30:00+01:00"


def followup(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "followup", *args], capture_output=True, text=True, cwd=cwd, timeout=120
    )


def test_agenda_json_shows_the_default_rules_at_work_on_the_example() -> None:
    result = followup("agenda", str(EXAMPLE), "--now", NOW, "--format", "json")
    assert result.returncode == 0, result.stderr
    agenda = json.loads(result.stdout)
    assert agenda["now"] == "2026-11-30T09:30:00+01:00"
    assert agenda["next_wake_at"] == "2026-11-30T11:00:00+01:00"
    actions = agenda["actions"]
    rules = {a["rule"] for a in actions}
    assert {"thank-you-note", "alert-references", "status-call", "leverage-offer", "bridge-note",
            "collect-interviewer-details", "ask-decision-timeline", "requested-follow-up"} <= rules
    statuses = {a["status"] for a in actions}
    assert {"due", "overdue", "upcoming"} <= statuses
    assert all(a["status"] != "done" for a in actions)
    fields = {"key", "rule", "kind", "status", "application", "interview", "recipient", "channel", "opens_at", "due_at", "reason"}
    assert all(fields <= set(a) for a in actions)
    jonas = next(a for a in actions if a["key"] == "thank-you-note:northwind-data:onsite:jonas")
    assert (jonas["status"], jonas["due_at"], jonas["channel"]) == ("due", "2026-11-30T17:30:00+01:00", "email")
    letters = {a["channel"] for a in actions if a["application"] == "harbor-logistics" and a["kind"] == "thank_you_note"}
    assert letters == {"postal"}
    with_done = json.loads(followup("agenda", str(EXAMPLE), "--now", NOW, "--format", "json", "--all").stdout)
    priya = next(a for a in with_done["actions"] if a["key"] == "thank-you-note:northwind-data:onsite:priya")
    assert priya["status"] == "done"


def test_agenda_table_for_people() -> None:
    result = followup("agenda", str(EXAMPLE), "--now", NOW)
    assert result.returncode == 0, result.stderr
    assert "thank you note" in result.stdout and "Jonas Weber" in result.stdout
    assert "Next change:" in result.stdout


def test_agenda_with_an_overlay(tmp_path: Path) -> None:
    overlay = tmp_path / "overlay.yaml"
    overlay.write_text("extends: default\nrules:\n  - id: leverage-offer\n    enabled: false\n")
    result = followup("agenda", str(EXAMPLE), "--now", NOW, "--format", "json", "--rules", str(overlay))
    assert result.returncode == 0, result.stderr
    assert not [a for a in json.loads(result.stdout)["actions"] if a["rule"] == "leverage-offer"]


def test_validate_reports_path_line_column_and_exits_1(tmp_path: Path) -> None:
    bad = tmp_path / "rules.yaml"
    bad.write_text("extends: default\nrules:\n  - id: thank-you-note\n    windw: {}\n")
    result = followup("validate", str(EXAMPLE), "rules/default.yaml", str(bad))
    assert result.returncode == 1
    assert f"{EXAMPLE}: valid state" in result.stdout
    assert "rules/default.yaml: valid rulebook" in result.stdout
    assert f"{bad}:4:5: unknown field 'windw'" in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_state_exits_1_without_a_traceback(tmp_path: Path) -> None:
    state = tmp_path / "state.yaml"
    # a wall time that happens twice in Berlin (clocks go back at 03:00 on 25 October)
    state.write_text(EXAMPLE.read_text().replace("2026-11-26T13:30:00+01:00", "2026-10-25T02:30:00", 1))
    result = followup("agenda", str(state), "--now", NOW)
    assert result.returncode == 1
    assert "happens twice" in result.stderr and "Traceback" not in result.stderr
    missing = followup("agenda", str(tmp_path / "nope.yaml"))
    assert missing.returncode == 1 and "no such file" in missing.stderr


def test_usage_errors_exit_2() -> None:
    assert followup("agenda").returncode == 2
    assert followup("agenda", str(EXAMPLE), "--format", "xml").returncode == 2
    assert followup("no-such-command").returncode == 2


def test_bad_now_exits_1() -> None:
    result = followup("agenda", str(EXAMPLE), "--now", "2026-03-29T02:30")
    assert result.returncode == 1 and "--now" in result.stderr and "does not exist" in result.stderr
    naive = followup("agenda", str(EXAMPLE), "--now", "2026-11-30T09:30", "--format", "json")
    assert json.loads(naive.stdout)["now"] == "2026-11-30T09:30:00+01:00"
    plain_date = followup("agenda", str(EXAMPLE), "--now", "2026-11-30", "--format", "json")
    assert json.loads(plain_date.stdout)["now"] == "2026-11-30T00:00:00+01:00"


def test_explain_shows_window_conditions_log_and_caps() -> None:
    result = followup("explain", str(EXAMPLE), "status-call:bluepeak-platform", "--now", NOW)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "rule status-call" in out
    assert "application.status eq 'interviewing'" in out
    assert "opens: Thu 19 Nov 2026 15:00 CET (Thu 19 Nov 09:00 EST for the employer)" in out
    assert "caps: patience" in out
    assert "status: overdue" in out


def test_explain_unknown_key_is_a_clear_error() -> None:
    result = followup("explain", str(EXAMPLE), "thank-you-note:northwind-data:onsite:jonass", "--now", NOW)
    assert result.returncode == 1
    assert "did you mean 'thank-you-note:northwind-data:onsite:jonas'" in result.stderr
    unknown_rule = followup("explain", str(EXAMPLE), "thanks:x", "--now", NOW)
    assert unknown_rule.returncode == 1 and "names no rule" in unknown_rule.stderr


def test_schema_commands_print_json_schemas() -> None:
    for which in ("state", "rules"):
        result = followup("schema", which)
        assert result.returncode == 0
        schema = json.loads(result.stdout)
        assert schema["$schema"].startswith("https://json-schema.org/")
    rules = json.loads(followup("schema", "rules").stdout)
    assert "lt" in rules["$defs"]["condition"]["properties"]
