"""done, snooze, dismiss and retire: written to a state file or a store, read back by the engine."""

from __future__ import annotations

import difflib
import json
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import EXAMPLE, at
from followup import Engine, InvalidInput, State, load_rulebook, load_state
from followup.cli import main
from followup.journal import StateFile, StoreJournal, dismiss, mark_done, retire, snooze

ENGINE = Engine(load_rulebook())
NOW = "2026-11-30T09:30:00+01:00"
JONAS = "thank-you-note:northwind-data:onsite:jonas"
CALL = "status-call:bluepeak-platform"
RAVI = "bridge-note:cobalt-retail::ravi"


def status(path: Path | State, key: str, now: str = NOW) -> tuple[str, str]:
    state = load_state(path) if isinstance(path, Path) else path
    action = ENGINE.evaluate(state, at(now)).get(key)
    assert action is not None, key
    return action.status, action.reason


@pytest.fixture
def example(tmp_path: Path) -> Path:
    target = tmp_path / "search.yaml"
    target.write_text(EXAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    return target


def only_insertions(before: str, after: str) -> list[str]:
    """The lines added; fails if any line of ``before`` was changed or removed."""
    added = []
    for line in difflib.ndiff(before.splitlines(), after.splitlines()):
        assert not line.startswith("- "), f"line changed or removed: {line}"
        if line.startswith("+ "):
            added.append(line[2:])
    return added


def test_each_verb_appends_one_line_and_the_engine_honours_it(example: Path) -> None:
    original = example.read_text(encoding="utf-8")
    journal = StateFile(example)
    assert status(example, JONAS)[0] == "due"
    assert status(example, CALL)[0] == "overdue"

    mark_done(journal, ENGINE, JONAS, at=at("2026-11-30T09:00:00+01:00"), note="sent by email")
    snooze(journal, ENGINE, CALL, until=at("2026-12-03T09:00:00+01:00"), at=at(NOW))
    dismiss(journal, ENGINE, RAVI, why="We barely spoke.", at=at(NOW))
    retire(journal, "delta-robotics", at=at(NOW), note="Took myself out of the running.")

    added = only_insertions(original, example.read_text(encoding="utf-8"))
    assert len(added) == 5  # four entries, and the 'contacts:' key delta-robotics lacked
    assert "# Two interviewers on Thursday: thank-you notes due Monday, references to warn." in example.read_text()

    later = "2026-11-30T10:00:00+01:00"
    assert status(example, JONAS, later) == ("done", "done: thank you note to jonas Mon 30 Nov 2026 09:00 CET")
    assert status(example, CALL, later)[0] == "upcoming"
    assert status(example, CALL, later)[1].startswith("snoozed until Thu 3 Dec 2026 ")
    assert status(example, CALL, "2026-12-03T09:00:00+01:00")[0] == "overdue"
    assert status(example, RAVI, later) == ("done", "dismissed Mon 30 Nov 2026 09:30 CET: We barely spoke.")
    delta = [a for a in ENGINE.evaluate(load_state(example), at(later)) if a.application == "delta-robotics"]
    assert delta and all(a.status == "done" and a.reason.startswith("application retired") for a in delta)
    # the done entry is a real contact of the action's kind, so caps count it
    northwind = load_state(example).application("northwind-data")
    assert northwind is not None
    entry = northwind.contacts[-1]
    assert (entry.kind, entry.to, entry.interview, entry.channel, entry.action) == ("thank_you_note", "jonas", "onsite", "email", JONAS)


def test_candidate_wide_actions_go_to_the_top_level_log(tmp_path: Path) -> None:
    path = tmp_path / "state.yaml"
    path.write_text(
        "version: 1\n"
        "candidate: {name: Alex, timezone: Europe/Berlin}  # one line\n"
        "applications:\n"
        "  - {id: a, company: A, position: P, status: applied, applied_at: 2026-11-02}\n",
        encoding="utf-8",
    )
    key = "keep-searching:20261102T0800Z"
    assert status(path, key, "2026-11-03T10:00:00+01:00")[0] == "due"
    mark_done(StateFile(path), ENGINE, key, at=at("2026-11-03T10:00:00+01:00"))
    text = path.read_text(encoding="utf-8")
    assert text.endswith("contacts:\n  - {at: '2026-11-03T10:00:00+01:00', kind: keep_searching, channel: reminder, action: '" + key + "'}\n")
    state = load_state(path)
    assert [c.kind for c in state.contacts] == ["keep_searching"]
    assert state.applications[0].contacts == ()
    agenda = ENGINE.evaluate(state, at("2026-11-03T11:00:00+01:00"))
    assert [a.key for a in agenda if a.rule == "keep-searching" and a.status != "done"] == ["keep-searching:20261110T0800Z"]


@pytest.mark.parametrize(
    ("layout", "expected_tail"),
    [
        pytest.param(
            "  - {id: acme, company: Acme, position: P, status: interviewing, interviews: [{id: i, starts_at: '2026-11-26T10:00:00+01:00', ended_at: '2026-11-26T12:00:00+01:00', interviewers: [{id: ann, name: Ann, title: CTO, email: a@x.example}]}]}\n",
            "ended_at: '2026-11-26T12:00:00+01:00', interviewers: [{id: ann, name: Ann, title: CTO, email: a@x.example}]}], contacts: [{",
            id="flow-mapping-without-contacts",
        ),
        pytest.param(
            "  - id: acme\n    company: Acme\n    position: P\n    status: interviewing\n"
            "    interviews:\n      - {id: i, starts_at: '2026-11-26T10:00:00+01:00', ended_at: '2026-11-26T12:00:00+01:00', interviewers: [{id: ann, name: Ann, title: CTO, email: a@x.example}]}\n"
            "    contacts: []   # nothing yet\n",
            "    contacts: [{at: '2026-11-27T09:00:00+01:00'",
            id="empty-flow-list",
        ),
        pytest.param(
            "  - id: acme\n    company: Acme\n    position: P\n    status: interviewing\n"
            "    contacts:\n      - at: 2026-11-26T13:00:00+01:00\n        kind: reference_alert\n        note: |\n          two lines\n          of notes\n\n"
            "    interviews:\n      - {id: i, starts_at: '2026-11-26T10:00:00+01:00', ended_at: '2026-11-26T12:00:00+01:00', interviewers: [{id: ann, name: Ann, title: CTO, email: a@x.example}]}\n",
            "          of notes\n\n      - {at: '2026-11-27T09:00:00+01:00'",
            id="block-list-ending-in-a-block-scalar",
        ),
    ],
)
def test_layouts_are_kept(tmp_path: Path, layout: str, expected_tail: str) -> None:
    path = tmp_path / "state.yaml"
    before = "# my job search\nversion: 1\ncandidate: {name: Alex, timezone: Europe/Berlin}\napplications:\n" + layout
    path.write_text(before, encoding="utf-8")
    mark_done(StateFile(path), ENGINE, "thank-you-note:acme:i:ann", at=at("2026-11-27T09:00:00+01:00"))
    after = path.read_text(encoding="utf-8")
    assert expected_tail in after
    assert after.startswith("# my job search\n")
    assert status(path, "thank-you-note:acme:i:ann", "2026-11-27T10:00:00+01:00")[0] == "done"


def test_json_state_files_take_entries_too(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    document = load_json_example()
    path.write_text(json.dumps(document), encoding="utf-8")
    mark_done(StateFile(path), ENGINE, JONAS, at=at("2026-11-30T09:00:00+01:00"))
    written = json.loads(path.read_text(encoding="utf-8"))
    northwind = next(a for a in written["applications"] if a["id"] == "northwind-data")
    assert northwind["contacts"][-1]["action"] == JONAS
    assert len(northwind["contacts"]) == 2
    assert status(path, JONAS, "2026-11-30T10:00:00+01:00")[0] == "done"


def load_json_example() -> dict[str, Any]:
    import yaml

    document: dict[str, Any] = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))

    def strings(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: strings(v) for k, v in value.items()}
        if isinstance(value, list):
            return [strings(v) for v in value]
        return value.isoformat() if hasattr(value, "isoformat") else value

    return strings(document)  # type: ignore[no-any-return]


def test_the_file_is_replaced_atomically_with_its_permissions(example: Path) -> None:
    os.chmod(example, 0o640)
    inode_before = example.stat().st_ino
    mark_done(StateFile(example), ENGINE, JONAS, at=at(NOW))
    assert example.stat().st_mode & 0o777 == 0o640
    assert example.stat().st_ino != inode_before  # a new file renamed over the old one
    # no temporary left; the lock file stays (removing it on release would race with the next writer)
    assert sorted(p.name for p in example.parent.iterdir()) == [".search.yaml.lock", "search.yaml"]


def test_bad_requests_are_refused_and_nothing_is_written(example: Path) -> None:
    journal = StateFile(example)
    before = example.read_text(encoding="utf-8")
    with pytest.raises(InvalidInput, match=r"no action has the key 'thank-you-note:northwind-data:onsite:jona'.*did you mean 'thank-you-note:northwind-data:onsite:jonas'"):
        mark_done(journal, ENGINE, "thank-you-note:northwind-data:onsite:jona", at=at(NOW))
    with pytest.raises(InvalidInput, match="settled already"):
        mark_done(journal, ENGINE, "thank-you-note:northwind-data:onsite:priya", at=at(NOW))
    with pytest.raises(InvalidInput, match="not after"):
        snooze(journal, ENGINE, CALL, until=at("2026-11-29T09:00:00+01:00"), at=at(NOW))
    with pytest.raises(InvalidInput, match="say why"):
        dismiss(journal, ENGINE, RAVI, why="  ", at=at(NOW))
    with pytest.raises(InvalidInput, match="did you mean 'delta-robotics'"):
        retire(journal, "delta-robotic", at=at(NOW))
    assert example.read_text(encoding="utf-8") == before
    retire(journal, "delta-robotics", at=at(NOW))
    with pytest.raises(InvalidInput, match="retired already"):
        retire(journal, "delta-robotics", at=at("2026-12-01T09:00:00+01:00"))


def test_a_contacts_field_that_is_not_a_list_is_an_error_not_a_rewrite(tmp_path: Path) -> None:
    path = tmp_path / "state.yaml"
    text = "version: 1\ncandidate: {name: Alex, timezone: Europe/Berlin}\napplications:\n  - id: a\n    company: A\n    position: P\n    status: applied\n    contacts:\n"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InvalidInput):
        retire(StateFile(path), "a", at=at(NOW))
    assert path.read_text(encoding="utf-8") == text


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_info:
        main(list(args))
    captured = capsys.readouterr()
    return int(exit_info.value.code or 0), captured.out, captured.err


def test_the_commands_write_to_a_state_file(example: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "done", JONAS, "--state", str(example), "--at", "2026-11-30T09:00:00+01:00")
    assert code == 0, err
    assert "logged thank you note to jonas" in out
    code, _out, err = run(capsys, "snooze", CALL, "--until", "2026-12-03", "--state", str(example), "--at", NOW)
    assert code == 0, err
    code, _out, err = run(capsys, "dismiss", RAVI, "--why", "We barely spoke.", "--state", str(example), "--at", NOW)
    assert code == 0, err
    code, _out, err = run(capsys, "retire", "delta-robotics", "--state", str(example), "--at", NOW)
    assert code == 0, err
    assert status(example, CALL, "2026-11-30T10:00:00+01:00")[1].startswith("snoozed until Thu 3 Dec 2026 ")
    assert status(example, CALL, "2026-12-03T00:00:00+01:00")[0] == "overdue"
    code, out, err = run(capsys, "agenda", str(example), "--now", "2026-11-30T10:00:00+01:00", "--all", "--format", "json")
    dismissed = next(a for a in json.loads(out)["actions"] if a["key"] == RAVI)
    assert dismissed["status"] == "done" and "We barely spoke." in dismissed["reason"]


def test_command_errors_exit_1_with_a_message(example: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _out, err = run(capsys, "done", "status-call:nowhere", "--state", str(example), "--at", NOW)
    assert code == 1 and "no action has the key 'status-call:nowhere'" in err and "Traceback" not in err
    code, _out, err = run(capsys, "snooze", CALL, "--until", "next week", "--state", str(example), "--at", NOW)
    assert code == 1 and "--until" in err and "ISO 8601" in err
    code, _out, err = run(capsys, "done", JONAS, "--state", str(example), "--store", "sqlite:///x.sqlite3")
    assert code == 2 and "not both" in err


def test_round_trip_through_the_sqlite_store(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from followup.stores import open_store

    url = f"sqlite:///{tmp_path / 'followup.sqlite3'}"
    store = open_store(url)
    store.import_state(load_state(EXAMPLE))
    journal = StoreJournal(store)
    mark_done(journal, ENGINE, JONAS, at=at("2026-11-30T09:00:00+01:00"))
    store.close()

    for args in (
        ("snooze", CALL, "--until", "2026-12-03T09:00:00+01:00", "--at", NOW),
        ("dismiss", RAVI, "--why", "We barely spoke.", "--at", NOW),
        ("retire", "delta-robotics", "--at", NOW),
    ):
        code, out, err = run(capsys, *args[:1], *args[1:], "--store", url)
        assert code == 0, err
        assert url in out
    code, _out, err = run(capsys, "done", "nothing:here", "--store", url, "--at", NOW)
    assert code == 1 and "no action has the key" in err

    reopened = open_store(url, create=False)
    try:
        state = reopened.load_state()
    finally:
        reopened.close()
    later = "2026-11-30T10:00:00+01:00"
    assert status(state, JONAS, later)[0] == "done"
    assert status(state, CALL, later)[1].startswith("snoozed until Thu 3 Dec 2026 ")
    assert status(state, CALL, "2026-12-03T09:00:00+01:00")[0] == "overdue"
    assert status(state, RAVI, later) == ("done", "dismissed Mon 30 Nov 2026 09:30 CET: We barely spoke.")
    delta = [a for a in ENGINE.evaluate(state, at(later)) if a.application == "delta-robotics"]
    assert delta and all(a.status == "done" for a in delta)
    # history is kept: the example's own contacts are all still there
    assert len(state.application("cobalt-retail").contacts) == 6  # type: ignore[union-attr]


def _application_text(index: int, style: str, contacts: str) -> str:
    """One application in one of the layouts people write, with comments about."""
    entries = {
        "none": [],
        "one": [f"{{at: '2026-11-0{index % 9 + 1}T10:00:00+01:00', kind: reply, note: 'first # not a comment'}}"],
        "two": ["{at: '2026-11-01T10:00:00+01:00', kind: status_call}", "{at: '2026-11-02T10:00:00+01:00', kind: reply}"],
    }[contacts.split("-")[0]]
    flow_contacts = contacts.endswith("-flow")
    head = f"id: app{index}, company: C{index}, position: P, status: applied"
    if style == "flow":
        tail = f", contacts: [{', '.join(entries)}]" if entries or flow_contacts else ""
        return f"  - {{{head}{tail}}}  # application {index}\n"
    lines = [f"  # application {index}\n", f"  - id: app{index}\n    company: C{index}   # who\n    position: P\n    status: applied\n"]
    if flow_contacts:
        lines.append(f"    contacts: [{', '.join(entries)}]\n")
    elif entries:
        lines.append("    contacts:\n" + "".join(f"      - {e}\n      # after entry\n" for e in entries))
    return "".join(lines)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    layouts=st.lists(
        st.tuples(st.sampled_from(["flow", "block"]), st.sampled_from(["none", "one", "two", "none-flow", "one-flow", "two-flow"])),
        min_size=1,
        max_size=4,
    ),
    data=st.data(),
)
def test_any_layout_keeps_every_line_and_every_entry(tmp_path: Path, layouts: list[tuple[str, str]], data: st.DataObject) -> None:
    text = "# search\nversion: 1\ncandidate: {name: Alex, timezone: Europe/Berlin}\napplications:\n"
    text += "".join(_application_text(i, style, contacts) for i, (style, contacts) in enumerate(layouts))
    text += data.draw(st.sampled_from(["", "# trailing comment\n", "\n\n"]))
    path = tmp_path / f"state-{abs(hash(text))}.yaml"
    path.write_text(text, encoding="utf-8")
    before = load_state(path)
    target = data.draw(st.integers(0, len(layouts) - 1))
    retire(StateFile(path), f"app{target}", at=at(NOW))
    after_text = path.read_text(encoding="utf-8")
    # one contiguous insertion, nothing else touched
    common = next((i for i, (a, b) in enumerate(zip(text, after_text, strict=False)) if a != b), len(text))
    assert after_text.startswith(text[:common]) and after_text.endswith(text[common:])
    assert len(after_text) > len(text)
    after = load_state(path)
    for old, new in zip(before.applications, after.applications, strict=True):
        expected = old.contacts + ((new.contacts[-1],) if old.id == f"app{target}" else ())
        assert new.contacts == expected
    retired = after.application(f"app{target}")
    assert retired is not None and retired.contacts[-1].kind == "retired"


def test_an_explicit_store_wins_over_the_state_environment_variable(
    example: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from followup.stores import open_store

    url = f"sqlite:///{tmp_path / 'followup.sqlite3'}"
    store = open_store(url)
    store.import_state(load_state(EXAMPLE))
    store.close()
    monkeypatch.setenv("FOLLOWUP_STATE", str(example))
    before = example.read_text(encoding="utf-8")
    code, out, err = run(capsys, "retire", "delta-robotics", "--store", url, "--at", NOW)
    assert code == 0, err
    assert url in out and example.read_text(encoding="utf-8") == before
    code, out, err = run(capsys, "retire", "quill-media", "--at", NOW)
    assert code == 0, err
    assert str(example) in out and example.read_text(encoding="utf-8") != before
