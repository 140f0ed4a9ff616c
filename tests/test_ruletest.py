"""Rule-test files: what passes, what fails and how the failure reads, and what is refused."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from conftest import EXAMPLE
from followup import InvalidInput
from followup.cli import main
from followup.ruletest import RULE_TEST_SCHEMA, collect_paths, load_test_file, run_paths

STATE = textwrap.dedent(
    """\
    state:
      version: 1
      candidate: {name: Alex, timezone: Europe/Berlin}
      applications:
        - id: acme
          company: Acme
          position: Engineer
          status: interviewing
          preferred_medium: postal
          interviews:
            - id: onsite          # a Thursday
              starts_at: 2026-11-26T10:00:00+01:00
              ended_at: 2026-11-26T12:00:00+01:00
              interviewers:
                - {id: priya, name: Priya, title: CTO, postal_address: "Kai 1"}
                - {id: jonas, name: Jonas, title: Lead, postal_address: "Kai 1"}
    """
)


def write(tmp_path: Path, body: str, name: str = "case.yaml", state: str = STATE) -> Path:
    path = tmp_path / name
    path.write_text(state + textwrap.dedent(body), encoding="utf-8")
    return path


def failures(path: Path) -> list[str]:
    report = run_paths([path])
    return [line for result in report.results for line in result.failures]


def test_a_file_whose_expectations_hold_passes(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        tests:
          - name: notes to both
            checks:
              - now: 2026-11-26T13:00:00+01:00
                expect:
                  - {rule: thank-you-note, recipient: priya, status: due, channel: postal, due_at: 2026-11-30T17:00:00+01:00}
                  - {rule: thank-you-note, recipient: jonas, due_at: 2026-11-30}
                next_wake_at: 2026-11-30T17:00:00+01:00
        """,
    )
    report = run_paths([path])
    assert report.passed
    assert report.lines()[-1] == "1 file(s), 1 test(s), 1 check(s): all passed"


def test_a_wrong_field_fails_with_a_diff_against_the_closest_action(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        tests:
          - name: a wrong status
            checks:
              - now: 2026-12-01T09:00:00+01:00
                expect:
                  - {rule: thank-you-note, recipient: priya, status: due}
                  - {rule: thank-you-note, recipient: jonas, status: overdue}
        """,
    )
    report = run_paths([path])
    assert not report.passed
    lines = report.lines()
    assert lines[0].startswith(f"FAIL  {path}:20: 'a wrong status' at Tue 1 Dec 2026 09:00 CET")
    body = [line.strip() for line in lines[1:]]
    assert "missing (line 22): rule=thank-you-note recipient=priya status=due" in body
    assert "closest: thank-you-note:acme:onsite:priya" in body
    assert "- status: due" in body
    assert any(line.startswith("+ status: overdue  (was due Mon 30 Nov 2026") for line in body)
    # the action shown in the diff is not listed a second time as unexpected
    assert not any(line.startswith("unexpected") for line in body)
    assert lines[-1].endswith("1 check(s): 1 failed")


def test_exhaustive_checks_report_actions_nobody_expected(tmp_path: Path) -> None:
    body = """\
        tests:
          - name: only one of two
            checks:
              - now: 2026-11-26T13:00:00+01:00
                {extra}expect:
                  - {{rule: thank-you-note, recipient: priya}}
        """
    strict = write(tmp_path, body.format(extra=""), "strict.yaml")
    assert [line for line in failures(strict) if line.startswith("unexpected")] == [
        "unexpected: thank-you-note:acme:onsite:jonas  due  due Mon 30 Nov 17:00  (due by Mon 30 Nov 2026 17:00 CET)"
    ]
    lenient = write(tmp_path, body.format(extra="exhaustive: false\n                "), "lenient.yaml")
    assert failures(lenient) == []


def test_expectations_are_matched_one_to_one(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        tests:
          - name: three notes for two people
            checks:
              - now: 2026-11-26T13:00:00+01:00
                expect:
                  - {rule: thank-you-note, status: due}
                  - {rule: thank-you-note, recipient: priya}
                  - {rule: thank-you-note, status: due}
        """,
    )
    lines = failures(path)
    assert lines[0] == "missing (line 24): rule=thank-you-note status=due"


def test_absent_patterns_and_next_wake_at_are_checked(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        tests:
          - name: nothing suppressed, but a status call is scheduled
            checks:
              - now: 2026-11-26T13:00:00+01:00
                absent:
                  - {status: suppressed}
                  - {rule: status-call, status: upcoming}
                next_wake_at: 2026-11-29
        """,
    )
    lines = failures(path)
    assert lines[0] == "should be absent (line 23): rule=status-call status=upcoming"
    assert lines[1].startswith("  + found: status-call:acme  upcoming")
    assert "next_wake_at differs" in lines
    assert "  - next_wake_at: 2026-11-29" in lines
    assert "  + next_wake_at: 2026-11-30T17:00:00+01:00" in lines


def test_a_plain_date_is_the_local_date_in_the_candidates_zone(tmp_path: Path) -> None:
    # 00:30 in Auckland on the 1st is still the 30th in UTC
    state = STATE.replace("Europe/Berlin", "Pacific/Auckland").replace("+01:00", "+13:00")
    path = write(
        tmp_path,
        """\
        rules:
          extends: default
          rules:
            - id: thank-you-note
              window:
                due: {at: interview.ended_at, plus: {hours: 12}, time: "00:30"}
        tests:
          - name: local dates
            checks:
              - now: 2026-11-26T13:00:00+13:00
                expect:
                  - {rule: thank-you-note, recipient: priya, due_at: 2026-11-27}
                  - {rule: thank-you-note, recipient: jonas, due_at: 2026-11-26T11:30:00Z}
        """,
        state=state,
    )
    assert failures(path) == []


def test_state_and_rulebooks_by_path_relative_to_the_test_file(tmp_path: Path) -> None:
    (tmp_path / "fixtures").mkdir()
    (tmp_path / "fixtures" / "state.yaml").write_text(EXAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "fixtures" / "sooner.yaml").write_text(
        "extends: default\nrules:\n  - id: thank-you-note\n    window:\n      due: {at: interview.ended_at, plus: {business_days: 1}, time: end_of_day}\n",
        encoding="utf-8",
    )
    path = write(
        tmp_path,
        """\
        state: fixtures/state.yaml
        tests:
          - name: default
            checks:
              - now: 2026-11-27T09:00:00+01:00
                expect: [{key: "thank-you-note:northwind-data:onsite:jonas", due_at: 2026-11-30T17:30:00+01:00}]
                exhaustive: false
          - name: overlay file
            rules: [default, fixtures/sooner.yaml]
            checks:
              - now: 2026-11-27T09:00:00+01:00
                expect: [{key: "thank-you-note:northwind-data:onsite:jonas", due_at: 2026-11-27T17:30:00+01:00}]
                exhaustive: false
        """,
        state="",
    )
    # the fixtures beside the test are not taken for tests themselves
    assert collect_paths([tmp_path]) == [path]
    report = run_paths([tmp_path])
    assert report.passed, report.lines()


@pytest.mark.parametrize(
    ("expectation", "message"),
    [
        ("{rule: thank-you-notes}", "8:25: unknown rule 'thank-you-notes' (did you mean 'thank-you-note'?)"),
        ("{kind: thank_you}", "8:25: unknown kind 'thank_you' (did you mean 'thank_you_note'?)"),
        ("{status: dune}", "8:27: tests[0].checks[0].expect[0].status: 'dune' is not one of"),
        ("{cap: patient}", "8:24: unknown cap 'patient' (did you mean 'patience'?)"),
        ("{recipient: pryia}", "8:30: unknown interviewer or reference 'pryia' (did you mean 'priya'?)"),
        ("{application: acne}", "8:32: unknown application 'acne' (did you mean 'acme'?)"),
        ("{due_at: 2026-11-30T17:00:00}", "8:27: due_at: '2026-11-30T17:00:00' has no time zone"),
        ("{rule: thank-you-note, colour: red}", "8:41: unknown field 'colour'"),
    ],
)
def test_unknown_names_are_errors_with_file_and_line(tmp_path: Path, expectation: str, message: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(
        f"state: {EXAMPLE}\n"
        "tests:\n"
        "  - name: typo\n"
        "    state:\n"
        "      {version: 1, candidate: {name: A, timezone: Europe/Berlin}, applications: [{id: acme, company: A, position: P, status: interviewing, interviews: [{id: i, starts_at: '2026-11-26T10:00:00+01:00', interviewers: [{id: priya}]}]}]}\n"
        "    checks:\n"
        "      - now: 2026-11-27\n"
        f"        expect: [{expectation}]\n",
        encoding="utf-8",
    )
    with pytest.raises(InvalidInput) as error:
        load_test_file(path)
    assert f"{path}:{message}" in str(error.value)


def test_missing_files_and_empty_checks_are_errors(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        tests:
          - name: where is it
            rules: nowhere.yaml
            checks: [{now: 2026-11-27, expect: [{rule: thank-you-note}]}]
        """,
    )
    with pytest.raises(InvalidInput, match=r"case.yaml:19:\d+: rulebook 'nowhere.yaml' does not exist"):
        load_test_file(path)
    empty = write(tmp_path, "tests:\n  - name: nothing\n    checks: [{now: 2026-11-27}]\n", "empty.yaml")
    with pytest.raises(InvalidInput, match="this check expects nothing"):
        load_test_file(empty)
    with pytest.raises(InvalidInput, match="no such file or directory"):
        run_paths([tmp_path / "missing"])


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_info:
        main(list(args))
    captured = capsys.readouterr()
    return int(exit_info.value.code or 0), captured.out, captured.err


def test_the_command_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = write(tmp_path, "tests:\n  - name: ok\n    checks: [{now: 2026-11-26T13:00:00+01:00, expect: [{rule: thank-you-note, recipient: priya}], exhaustive: false}]\n", "good.yaml")
    bad = write(tmp_path, "tests:\n  - name: nope\n    checks: [{now: 2026-11-26T13:00:00+01:00, expect: [{rule: thank-you-note, status: done}], exhaustive: false}]\n", "bad.yaml")
    typo = write(tmp_path, "tests:\n  - name: typo\n    checks: [{now: 2026-11-26, expect: [{rule: thank-you}]}]\n", "typo.yaml")
    code, out, _ = run(capsys, "test", "-v", str(good))
    assert code == 0 and out.startswith("ok    ") and "all passed" in out
    code, out, _ = run(capsys, "test", str(good), str(bad))
    assert code == 1 and "FAIL  " in out and "1 failed" in out
    code, out, err = run(capsys, "test", str(typo))
    assert code == 1 and f"{typo}:19:" in err and "unknown rule 'thank-you'" in err and "Traceback" not in err
    code, out, err = run(capsys, "test")
    assert code == 2 and "at least one" in err
    code, out, _ = run(capsys, "test", "--schema")
    assert code == 0 and json.loads(out)["$id"] == RULE_TEST_SCHEMA["$id"]


def test_every_schema_field_has_a_description() -> None:
    def walk(node: object, where: str) -> list[str]:
        missing = []
        if isinstance(node, dict):
            for name, sub in node.get("properties", {}).items():
                if "description" not in sub:
                    missing.append(f"{where}.{name}")
                missing += walk(sub, f"{where}.{name}")
            for key in ("items",):
                if key in node:
                    missing += walk(node[key], f"{where}[]")
        return missing

    assert walk(RULE_TEST_SCHEMA, "") == []


def test_the_schema_shipped_for_editors_is_current() -> None:
    from jsonschema import Draft202012Validator

    from conftest import ROOT

    shipped = json.loads((ROOT / "docs" / "schemas" / "ruletest.schema.json").read_text(encoding="utf-8"))
    assert shipped == json.loads(json.dumps(RULE_TEST_SCHEMA)), "run: followup test --schema > docs/schemas/ruletest.schema.json"
    Draft202012Validator.check_schema(shipped)
    for path in (ROOT / "rules" / "tests").glob("*.yaml"):
        assert path.read_text(encoding="utf-8").startswith(
            "# yaml-language-server: $schema=../../docs/schemas/ruletest.schema.json\n"
        ), path


def test_the_example_in_the_docs_passes(tmp_path: Path) -> None:
    from conftest import ROOT

    doc = (ROOT / "docs" / "rule-tests.md").read_text(encoding="utf-8")
    block = doc.split("## A test file", 1)[1].split("```yaml", 1)[1].split("```", 1)[0]
    assert "state: ../examples/job-search.yaml" in block
    path = tmp_path / "thank-you.test.yaml"
    path.write_text(block.replace("../examples/job-search.yaml", str(EXAMPLE)), encoding="utf-8")
    report = run_paths([path])
    assert report.passed, report.lines()
    # and it can fail: one recipient fewer breaks the exhaustive check
    path.write_text(path.read_text(encoding="utf-8").replace("recipient: lars", "recipient: greta"), encoding="utf-8")
    assert not run_paths([path]).passed


def test_the_editor_guide_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import shlex

    from jsonschema import Draft202012Validator

    from conftest import ROOT
    from followup import load_rulebook
    from followup.state import parse_document  # keeps timestamps as text, as editors do

    doc = (ROOT / "docs" / "editor.md").read_text(encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    console = doc.split("```console", 1)[1].split("```", 1)[0]
    for line in (line[2:] for line in console.splitlines() if line.startswith("$ ")):
        if line.startswith("mkdir"):
            (tmp_path / ".followup").mkdir()
            continue
        words, _, target = line.partition(" > ")
        code, out, _ = run(capsys, *shlex.split(words)[1:])
        assert code == 0
        (tmp_path / target).write_text(out, encoding="utf-8")
    schemas = {p.name: json.loads(p.read_text(encoding="utf-8")) for p in (tmp_path / ".followup").iterdir()}
    assert set(schemas) == {"rules.schema.json", "state.schema.json", "ruletest.schema.json"}
    settings = json.loads(doc.split("```json", 1)[1].split("```", 1)[0])
    assert {Path(p).name for p in settings["yaml.schemas"]} == set(schemas)
    # the modeline example is a rulebook the schema accepts and followup loads
    example = doc.split("```yaml", 1)[1].split("```", 1)[0].lstrip()
    assert example.startswith("# yaml-language-server: $schema=../.followup/rules.schema.json\n")
    assert not list(Draft202012Validator(schemas["rules.schema.json"]).iter_errors(parse_document(example, "example")))
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "mine.yaml").write_text(example, encoding="utf-8")
    assert [r.id for r in load_rulebook(tmp_path / "rules" / "mine.yaml").rules] == ["thank-you-note"]
    # the shipped rule tests are valid against their schema, as the editor will see them
    validator = Draft202012Validator(schemas["ruletest.schema.json"])
    for path in (ROOT / "rules" / "tests").glob("*.yaml"):
        assert not list(validator.iter_errors(parse_document(path.read_text(encoding="utf-8"), str(path)))), path


def test_a_key_names_its_rule_for_the_exhaustive_check(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        tests:
          - name: by key
            checks:
              - now: 2026-11-26T13:00:00+01:00
                expect:
                  - {key: "thank-you-note:acme:onsite:priya", status: due}
        """,
    )
    assert [line for line in failures(path) if line.startswith("unexpected")] == [
        "unexpected: thank-you-note:acme:onsite:jonas  due  due Mon 30 Nov 17:00  (due by Mon 30 Nov 2026 17:00 CET)"
    ]
