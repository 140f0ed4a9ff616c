"""Bad input: every problem names the file, the line and the offending value."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest

from followup import InvalidInput, load_rulebook, load_state


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip("\n"))
    return path


def problems(call: Any, *args: Any) -> list[str]:
    with pytest.raises(InvalidInput) as caught:
        call(*args)
    return [str(p) for p in caught.value.problems]


STATE = """
version: 1
candidate:
  name: Alex
  timezone: Europe/Berlin
applications:
  - id: acme
    company: Acme
    position: Engineer
    status: interviewing
    interviews:
      - id: onsite
        starts_at: 2026-03-05T10:00:00+01:00
        ended_at: 2026-03-05T12:00:00+01:00
        interviewers:
          - {id: jane, name: Jane Roe}
    contacts:
      - {at: 2026-03-05T18:00:00+01:00, kind: thank_you_note, to: jane}
"""


def test_valid_state_loads(tmp_path: Path) -> None:
    state = load_state(write(tmp_path, "s.yaml", STATE))
    assert state.applications[0].contacts[0].to == "jane"


def test_malformed_yaml_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, "s.yaml", "version: 1\ncandidate: {name: Alex\n  timezone: UTC\n")
    (line,) = problems(load_state, path)
    assert line.startswith(f"{path}:")
    assert "not valid YAML" in line


def test_naive_datetime_is_read_on_the_candidates_clock(tmp_path: Path) -> None:
    path = write(tmp_path, "s.yaml", STATE.replace("ended_at: 2026-03-05T12:00:00+01:00", "ended_at: 2026-03-05T12:00:00"))
    ended = load_state(path).applications[0].interviews[0].ended_at
    assert ended is not None and ended.isoformat() == "2026-03-05T12:00:00+01:00"


def test_naive_datetime_in_the_dst_gap_is_an_error_naming_both_offsets(tmp_path: Path) -> None:
    # Berlin's clocks skip from 02:00 to 03:00 on 29 March 2026
    path = write(tmp_path, "s.yaml", STATE.replace("ended_at: 2026-03-05T12:00:00+01:00", "ended_at: 2026-03-29T02:30:00"))
    (line,) = problems(load_state, path)
    assert line.startswith(f"{path}:13:")
    assert "2026-03-29T02:30" in line and "does not exist" in line and "+01:00" in line and "+02:00" in line


def test_bracketed_zone_is_accepted(tmp_path: Path) -> None:
    path = write(tmp_path, "s.yaml", STATE.replace("ended_at: 2026-03-05T12:00:00+01:00", "ended_at: 2026-03-05T12:00[Europe/Berlin]"))
    ended = load_state(path).applications[0].interviews[0].ended_at
    assert ended is not None and ended.utcoffset().total_seconds() == 3600  # type: ignore[union-attr]


def test_unknown_time_zone(tmp_path: Path) -> None:
    (line,) = problems(load_state, write(tmp_path, "s.yaml", STATE.replace("Europe/Berlin", "Europe/Atlantis")))
    assert ":4:" in line and "Europe/Atlantis" in line and "IANA" in line


def test_unknown_holiday_country_and_subdivision(tmp_path: Path) -> None:
    text = STATE.replace("  timezone: Europe/Berlin\n", "  timezone: Europe/Berlin\n  holidays: {country: QQ}\n")
    (line,) = problems(load_state, write(tmp_path, "s.yaml", text))
    assert ":5:" in line and "'QQ'" in line
    text = STATE.replace("  timezone: Europe/Berlin\n", "  timezone: Europe/Berlin\n  holidays: {country: DE, subdivision: XX}\n")
    (line,) = problems(load_state, write(tmp_path, "s.yaml", text))
    assert "'XX'" in line and "BY" in line  # lists the valid subdivisions


def test_contact_to_unknown_interviewer(tmp_path: Path) -> None:
    (line,) = problems(load_state, write(tmp_path, "s.yaml", STATE.replace("to: jane}", "to: jne}")))
    assert ":17:" in line and "'jne'" in line and "did you mean 'jane'" in line


def test_unknown_field_in_state_is_an_error(tmp_path: Path) -> None:
    (line,) = problems(load_state, write(tmp_path, "s.yaml", STATE.replace("ended_at:", "endedat:")))
    assert ":13:" in line and "'endedat'" in line and "did you mean 'ended_at'" in line


def test_duplicate_ids_and_keys(tmp_path: Path) -> None:
    doubled = STATE + textwrap.indent(textwrap.dedent("""
        - id: acme
          company: Acme again
          position: Other
          status: applied
    """).lstrip("\n"), "  ")
    (line,) = problems(load_state, write(tmp_path, "s.yaml", doubled))
    assert "duplicate application id 'acme'" in line
    (line,) = problems(load_state, write(tmp_path, "d.yaml", STATE.replace("    company: Acme\n", "    company: Acme\n    company: Acme\n")))
    assert ":8:" in line and "duplicate key 'company'" in line


def test_reply_cannot_be_outbound(tmp_path: Path) -> None:
    text = STATE.replace("kind: thank_you_note, to: jane}", "kind: reply, direction: out}")
    (line,) = problems(load_state, write(tmp_path, "s.yaml", text))
    assert "reply" in line and "'in'" in line


def test_wrong_enum_value_lists_the_valid_ones(tmp_path: Path) -> None:
    (line,) = problems(load_state, write(tmp_path, "s.yaml", STATE.replace("status: interviewing", "status: interviewed")))
    assert ":9:" in line and "'interviewed'" in line and "'interviewing'" in line


def test_json_state_is_read_too(tmp_path: Path) -> None:
    import yaml

    document = yaml.safe_load(STATE)
    document["applications"][0]["interviews"][0]["ended_at"] = "2026-03-05T12:00:00+01:00"
    document["applications"][0]["interviews"][0]["starts_at"] = "2026-03-05T10:00:00+01:00"
    document["applications"][0]["contacts"][0]["at"] = "2026-03-05T18:00:00+01:00"
    path = tmp_path / "s.json"
    path.write_text(json.dumps(document, indent=2))
    assert load_state(path).applications[0].id == "acme"
    path.write_text(json.dumps(document, indent=2).replace('"company"', '"compny"'))
    found = problems(load_state, path)
    assert any("'compny'" in line and line.startswith(f"{path}:10:") for line in found)


def test_plain_dates_are_read_in_the_candidates_zone(tmp_path: Path) -> None:
    text = STATE.replace("    status: interviewing\n", "    status: interviewing\n    decision_expected_by: 2026-03-20\n")
    decided = load_state(write(tmp_path, "s.yaml", text)).applications[0].decision_expected_by
    assert decided is not None and decided.isoformat() == "2026-03-20T00:00:00+01:00"


RULES = """
version: 1
caps:
  - {id: ceiling, per: application, max: 2, within: {days: 7}}
rules:
  - id: say-thanks
    kind: thank_you_note
    for_each: interviewer
    when: {fact: interview.ended_at, is: set}
    window:
      opens: {at: interview.ended_at}
      due: {at: interview.ended_at, plus: {business_days: 2}, time: end_of_day}
    channel: email
    caps: [ceiling]
"""


def test_valid_rulebook_compiles(tmp_path: Path) -> None:
    book = load_rulebook(write(tmp_path, "r.yaml", RULES))
    assert [r.id for r in book.rules] == ["say-thanks"]


def test_unknown_rule_field_is_an_error_not_ignored(tmp_path: Path) -> None:
    (line,) = problems(load_rulebook, write(tmp_path, "r.yaml", RULES.replace("    channel: email", "    chanel: email\n    channel: email")))
    assert ":12:" in line and "'chanel'" in line and "did you mean 'channel'" in line


def test_unknown_fact_names_the_valid_ones(tmp_path: Path) -> None:
    (line,) = problems(load_rulebook, write(tmp_path, "r.yaml", RULES.replace("when: {fact: interview.ended_at", "when: {fact: interview.endedat")))
    assert ":8:" in line and "'interview.endedat'" in line and "did you mean 'interview.ended_at'" in line


def test_fact_the_level_cannot_see(tmp_path: Path) -> None:
    text = RULES.replace("for_each: interviewer", "for_each: application")
    found = problems(load_rulebook, write(tmp_path, "r.yaml", text))
    assert any("needs a rule with for_each: interview" in line for line in found)


def test_unknown_cap_name(tmp_path: Path) -> None:
    (line,) = problems(load_rulebook, write(tmp_path, "r.yaml", RULES.replace("caps: [ceiling]", "caps: [celing]")))
    assert ":13:" in line and "'celing'" in line and "did you mean 'ceiling'" in line


def test_duplicate_rule_ids(tmp_path: Path) -> None:
    rule = RULES.split("rules:\n", 1)[1]
    (line,) = problems(load_rulebook, write(tmp_path, "r.yaml", RULES + rule))
    assert "duplicate rule id 'say-thanks'" in line and ":14:" in line


def test_unknown_operator_is_named(tmp_path: Path) -> None:
    (line,) = problems(load_rulebook, write(tmp_path, "r.yaml", RULES.replace("is: set}", "starts_with: x}")))
    assert "unknown condition operator 'starts_with'" in line and "plugin" in line


def test_cap_with_two_shapes(tmp_path: Path) -> None:
    text = RULES.replace("max: 2, within: {days: 7}", "max: 2, within: {days: 7}, min_gap: {days: 1}")
    (line,) = problems(load_rulebook, write(tmp_path, "r.yaml", text))
    assert ":3:" in line and "cap 'ceiling'" in line


def test_offset_with_two_units(tmp_path: Path) -> None:
    text = RULES.replace("plus: {business_days: 2}", "plus: {business_days: 2, days: 1}")
    found = problems(load_rulebook, write(tmp_path, "r.yaml", text))
    assert any(":11:" in line for line in found)


def test_overlay_errors_point_into_the_overlay(tmp_path: Path) -> None:
    path = write(tmp_path, "mine.yaml", """
        extends: default
        rules:
          - id: thank-you-note
            window:
              due: {at: interview.ended_at, plus: {busines_days: 1}}
    """)
    (line,) = problems(load_rulebook, path)
    assert line.startswith(f"{path}:5:") and "'busines_days'" in line


def test_overlay_cannot_extend_a_missing_file_or_itself(tmp_path: Path) -> None:
    (line,) = problems(load_rulebook, write(tmp_path, "a.yaml", "extends: nothere.yaml\nrules: []\n"))
    assert "nothere.yaml" in line and "does not exist" in line
    (line,) = problems(load_rulebook, write(tmp_path, "b.yaml", "extends: b.yaml\nrules: []\n"))
    assert "extends itself" in line


def test_overlay_adding_an_incomplete_rule(tmp_path: Path) -> None:
    path = write(tmp_path, "mine.yaml", """
        extends: default
        rules:
          - id: brand-new
            kind: something
    """)
    found = problems(load_rulebook, path)
    assert any("'for_each'" in line for line in found)
