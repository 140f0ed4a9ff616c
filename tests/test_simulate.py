"""followup simulate: an event-driven walk through the weeks ahead, with and without --assume-done."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from html.parser import HTMLParser
from pathlib import Path

import pytest

from conftest import ROOT, at
from followup import Contact, Engine, InvalidInput, load_rulebook, load_state
from followup.cli import main
from followup.engine import SimulationTooLong, Timeline, render_html, simulate

EXAMPLE = ROOT / "examples" / "simulate-one-application.yaml"
ENGINE = Engine(load_rulebook())
START, UNTIL = at("2027-01-11T00:00:00+01:00"), at("2027-03-15T00:00:00+01:00")
APP = "northwind-data"


@pytest.fixture(scope="module")
def course() -> Timeline:
    return simulate(ENGINE, load_state(EXAMPLE), START, UNTIL, assume_done=True)


def events(timeline: Timeline, rule: str, label: str | None = None) -> list[tuple[str, str]]:
    return [
        (e.at.isoformat(), e.label)
        for e in timeline.events
        if e.rule == rule and (label is None or e.label == label)
    ]


def test_the_whole_course_of_one_application(course: Timeline) -> None:
    assert events(course, "ask-decision-timeline", "done (assumed)") == [("2027-01-13T10:00:00+01:00", "done (assumed)")]
    notes = [(e.recipient, e.label, e.at.isoformat()) for e in course.events if e.rule == "thank-you-note"]
    assert notes == [
        ("jonas", "opens", "2027-01-14T12:00:00+01:00"),
        ("priya", "opens", "2027-01-14T12:00:00+01:00"),
        ("jonas", "done (assumed)", "2027-01-14T12:00:00+01:00"),
        ("priya", "done (assumed)", "2027-01-14T12:00:00+01:00"),
    ]
    assert {e.recipient for e in course.events if e.rule == "alert-references" and e.assumed} == {"ref-kim", "ref-omar"}
    assert events(course, "status-call") == [
        ("2027-01-14T12:00:00+01:00", "scheduled"),
        ("2027-01-21T09:00:00+01:00", "opens"),
        ("2027-01-21T09:00:00+01:00", "done (assumed)"),
    ]
    # patient follow-ups seven business days apart, until three unanswered chases spend patience
    assert events(course, "patient-follow-up", "done (assumed)") == [
        ("2027-02-01T09:00:00+01:00", "done (assumed)"),
        ("2027-02-10T09:00:00+01:00", "done (assumed)"),
    ]
    assert not [e for e in course.events if e.status == "suppressed"]  # no held-back rows for ever
    # three weeks of silence after the last chase: one note closes the loop
    assert events(course, "close-the-loop") == [
        ("2027-02-10T09:00:00+01:00", "scheduled"),
        ("2027-03-03T09:00:00+01:00", "opens"),
        ("2027-03-03T09:00:00+01:00", "done (assumed)"),
    ]
    # nothing more happens to the application after the loop is closed
    assert max(e.at for e in course.events if e.application == APP) == at("2027-03-03T09:00:00+01:00")
    # the contacts the simulation logged are in the final state, with the actions' keys
    logged = [c for c in course.state.application(APP).contacts if c.action]  # type: ignore[union-attr]
    assert [c.kind for c in logged].count("follow_up") == 2
    assert all(c.direction == "out" and c.note == "assumed done on time by followup simulate" for c in logged)


def test_it_jumps_from_change_to_change(course: Timeline) -> None:
    # nine weeks in steps of an hour would be 1500 evaluations; change to change is a few dozen
    instants = {e.at for e in course.events}
    assert course.steps < 3 * len(instants)
    assert course.steps < 60
    twenty_years = simulate(ENGINE, load_state(EXAMPLE), START, at("2047-01-11T00:00:00+01:00"), assume_done=True)
    weekly_reminders = sum(1 for e in twenty_years.events if e.rule == "keep-searching" and e.assumed)
    assert 1040 <= weekly_reminders <= 1050
    assert twenty_years.steps <= 2 * weekly_reminders + 30


def test_without_assume_done_actions_go_overdue_and_expire(tmp_path: Path) -> None:
    timeline = simulate(ENGINE, load_state(EXAMPLE), START, UNTIL)
    assert not any(e.assumed for e in timeline.events)
    assert ("2027-01-18T17:00:00+01:00", "overdue") in events(timeline, "thank-you-note")
    # once the interview is over there is nothing left to ask in it: the reminder leaves the agenda
    assert events(timeline, "ask-decision-timeline") == [
        ("2027-01-11T00:00:00+01:00", "scheduled"),
        ("2027-01-13T10:00:00+01:00", "opens"),
        ("2027-01-14T10:00:00+01:00", "overdue"),
        ("2027-01-14T12:00:00+01:00", "dropped"),
    ]
    # no status call was made, so no follow-up is ever scheduled
    assert events(timeline, "patient-follow-up") == []


def test_a_reply_already_in_the_state_plays_out_when_its_time_comes() -> None:
    state = load_state(EXAMPLE)
    application = state.application(APP)
    assert application is not None
    reply = Contact(at=at("2027-02-22T11:00:00+01:00"), kind="reply", direction="in")
    state = dataclasses.replace(state, applications=(dataclasses.replace(application, contacts=(reply,)),))
    timeline = simulate(ENGINE, state, START, UNTIL, assume_done=True)
    # the reply (a mere acknowledgement) answers the chases: the loop is no longer to be
    # closed, and the patient pace starts again from the reply
    assert ("2027-02-22T11:00:00+01:00", "dropped") in events(timeline, "close-the-loop")
    assert ("2027-03-03T09:00:00+01:00", "done (assumed)") in events(timeline, "patient-follow-up")


def test_bad_periods_and_the_step_bound() -> None:
    state = load_state(EXAMPLE)
    with pytest.raises(InvalidInput, match="is after --until"):
        simulate(ENGINE, state, UNTIL, START)
    with pytest.raises(InvalidInput, match="has no time zone"):
        simulate(ENGINE, state, START.replace(tzinfo=None), UNTIL)
    with pytest.raises(SimulationTooLong, match=r"stopped after 40 evaluations .* before reaching --until"):
        simulate(ENGINE, state, START, at("2047-01-11T00:00:00+01:00"), assume_done=True, max_steps=40)


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str | None]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attributes.extend(attrs)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_the_html_timeline_is_one_self_contained_page(course: Timeline) -> None:
    page = _Page()
    html = render_html(course)
    page.feed(html)
    assert not {"script", "link", "img", "iframe", "object"} & set(page.tags)
    assert not [a for a in page.attributes if a[0] in ("src", "href")]
    assert "url(" not in html and "@import" not in html
    assert page.tags.count("svg") == 1
    assert page.tags.count("circle") == len(course.events)
    text = " ".join(page.text)
    assert "Northwind Analytics — Senior Data Engineer" in text
    assert "Alex Morgan (no application)" in text
    assert "close-the-loop" in text
    assert "thank-you-note → Priya Raman" in text


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_info:
        main(list(args))
    captured = capsys.readouterr()
    return int(exit_info.value.code or 0), captured.out, captured.err


def test_the_command_in_each_format(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = ("simulate", str(EXAMPLE), "--from", "2027-01-11", "--until", "2027-03-15", "--assume-done")
    code, out, err = run(capsys, *base, "--format", "json")
    assert code == 0, err
    document = json.loads(out)
    assert (document["from"], document["until"], document["assume_done"]) == ("2027-01-11T00:00:00+01:00", "2027-03-15T00:00:00+01:00", True)
    assert any(e["event"] == "done (assumed)" and e["rule"] == "close-the-loop" for e in document["events"])
    code, out, err = run(capsys, *base, "--format", "html", "-o", str(tmp_path / "timeline.html"))
    assert code == 0, err
    assert (tmp_path / "timeline.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    code, out, err = run(capsys, *base, "-o", str(tmp_path / "timeline.txt"))
    assert code == 0, err
    table = (tmp_path / "timeline.txt").read_text(encoding="utf-8")
    assert "close the loop" in table and "evaluations" in table


def test_command_errors(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "simulate", str(EXAMPLE), "--from", "2027-03-15", "--until", "2027-01-11")
    assert code == 1 and "--from: Mon 15 Mar 2027" in err and "is after --until" in err
    code, _, err = run(capsys, "simulate", str(EXAMPLE), "--from", "soon", "--until", "2027-01-11")
    assert code == 1 and "--from" in err and "ISO 8601" in err
    code, _, err = run(capsys, "simulate", str(EXAMPLE), "--from", "2027-01-11", "--until", "2040-01-01", "--assume-done", "--max-steps", "5")
    assert code == 1 and "stopped after 5 evaluations" in err and "Traceback" not in err


DOC = (ROOT / "docs" / "simulate.md").read_text(encoding="utf-8")


def test_the_python_example_in_the_docs_runs(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    code = DOC.split("From Python:", 1)[1].split("```python", 1)[1].split("```", 1)[0]
    monkeypatch.chdir(ROOT)
    namespace: dict[str, object] = {}
    exec(compile(code, "docs/simulate.md", "exec"), namespace)
    assert capsys.readouterr().out.strip() == "2027-03-03 09:00:00+01:00 email"
    assert str(namespace["page"]).startswith("<!DOCTYPE html>")


def test_the_everyday_commands_in_the_docs_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import shlex

    block = DOC.split("## Everyday commands", 1)[1].split("```console", 1)[1].split("```", 1)[0]
    commands = [shlex.split(line[2:]) for line in block.splitlines() if line.startswith("$ ")]
    assert commands[0][0] == "cp"
    (tmp_path / "my-search.yaml").write_text((ROOT / commands[0][1]).read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "400")  # the wide table with every reason on one line
    outputs = []
    for command in commands[1:]:
        assert command[0] == "followup"
        code, out, err = run(capsys, *command[1:])
        assert code == 0, (command, err)
        outputs.append(out)
    expected = block.split("\n$ followup done", 1)[1].splitlines()[1]
    assert outputs[0].strip() == expected
    agenda = outputs[-1]
    assert "snoozed until Thu 3 Dec" in agenda and "We barely spoke." in agenda and "application retired" in agenda


def test_a_hold_that_changes_cap_is_an_event() -> None:
    from followup import Action, Agenda
    from followup.engine._simulate import _Walk

    def held(cap: str) -> Action:
        moment = at("2027-01-21T09:00:00+01:00")
        return Action(
            key="status-call:acme", rule="status-call", kind="status_call", status="suppressed", application="acme",
            interview=None, recipient=None, channel="phone", opens_at=moment, due_at=moment, reason=f"cap {cap!r}", cap=cap,
        )

    class Scripted:
        def __init__(self) -> None:
            self.caps = iter(["ceiling", "ceiling", "breathing-room"])

        def evaluate(self, state: object, now: object) -> Agenda:
            return Agenda(now=now, actions=(held(next(self.caps)),), next_wake_at=None)  # type: ignore[arg-type]

    walk = _Walk(Scripted(), 10, UNTIL)  # type: ignore[arg-type]
    state = load_state(EXAMPLE)
    for day in ("2027-01-21", "2027-01-22", "2027-01-23"):
        walk.evaluate(state, at(f"{day}T09:00:00+01:00"))
    assert [(e.at.day, e.label) for e in walk.events] == [(21, "held back by ceiling"), (23, "held back by breathing-room")]
    assert walk.steps == 3


def test_contacts_the_simulation_logs_never_break_the_ceiling_or_patience() -> None:
    start = at("2026-11-25T00:00:00+01:00")
    timeline = simulate(ENGINE, load_state(ROOT / "examples" / "job-search.yaml"), start, at("2027-06-01T00:00:00+02:00"), assume_done=True)
    ceiling, patience = ENGINE.rulebook.caps["ceiling"], ENGINE.rulebook.caps["patience"]
    assert ceiling.kinds is not None and patience.kinds is not None and ceiling.within is not None
    logged = 0
    for application in timeline.state.applications:
        counted = [c for c in application.contacts if c.direction == "out" and c.kind in ceiling.kinds]
        mine = [c for c in counted if c.note == "assumed done on time by followup simulate"]
        logged += len(mine)
        for contact in mine:
            window_start = contact.at - dt.timedelta(days=ceiling.within.amount)
            assert sum(1 for c in counted if window_start < c.at <= contact.at) <= ceiling.max, (application.id, contact)
            replies = [c.at for c in application.contacts if c.direction == "in" and c.at <= contact.at]
            since = max(replies) if replies else None
            unanswered = [
                c for c in application.contacts
                if c.direction == "out" and c.kind in patience.kinds and c.at <= contact.at and (since is None or c.at > since)
            ]
            if contact.kind in patience.kinds:
                assert len(unanswered) <= patience.max, (application.id, contact)
    assert logged >= 8  # status calls, follow-ups, leverage and requested follow-ups did go out


FULL = ROOT / "examples" / "full-search.yaml"


def test_the_shipped_full_search_goes_from_thank_you_notes_to_a_closed_loop() -> None:
    timeline = simulate(ENGINE, load_state(FULL), START, at("2027-04-30T00:00:00+02:00"), assume_done=True)

    def done(application: str, rule: str) -> list[tuple[str, str | None]]:
        return [(e.at.isoformat(), e.channel) for e in timeline.events if e.application == application and e.rule == rule and e.assumed]

    assert {e.application for e in timeline.events if e.rule == "thank-you-note" and e.assumed} == {
        "northwind-data", "harbor-logistics", "bluepeak-platform",
    }
    # the decision date holds the status call until the next business day after it
    assert done("northwind-data", "status-call") == [("2027-02-01T09:00:00+01:00", "phone")]
    # "call me on the 15th": a requested follow-up that day, by phone, and the next ones by phone too
    assert done("northwind-data", "requested-follow-up") == [("2027-02-15T09:00:00+01:00", "phone")]
    assert {channel for _, channel in done("northwind-data", "patient-follow-up")} == {"phone"}
    # letters only, never an answer: patience spent, then the loop closed three weeks after the last chase
    assert done("harbor-logistics", "patient-follow-up") == [("2027-02-03T09:00:00+01:00", "postal"), ("2027-02-12T09:00:00+01:00", "postal")]
    assert done("harbor-logistics", "close-the-loop") == [("2027-03-05T09:00:00+01:00", "postal")]
    # a courtesy reply settles nothing: the call comes a week after the interview, 09:00 in New York
    assert [(at(moment), channel) for moment, channel in done("bluepeak-platform", "status-call")] == [
        (at("2027-01-27T09:00:00-05:00"), "phone")
    ]
    assert not [e for e in timeline.events if e.status == "suppressed"]
    # with the loop closed, fewer than three live applications: keep searching
    first_nudge = min(e.at for e in timeline.events if e.rule == "keep-searching")
    assert first_nudge == at("2027-03-05T09:00:00+01:00")
