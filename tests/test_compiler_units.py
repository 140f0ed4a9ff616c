"""The rule compiler one part at a time: each mistake it finds, in its words and at its
line, and what each compiled part (moments, log matches, conditions, caps) works out."""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path
from typing import Any

import pytest

from conftest import application, at, state_doc
from followup import Engine, InvalidInput, load_rulebook, load_state
from followup._time import Offset
from followup.engine import explanation
from followup.rules import Scope, StateView
from followup.rules._compiler import Compiler, describe_time
from followup.rules._installed import get_vocabulary
from followup.state import Contact

RULE = """\
version: 1
{caps}rules:
  - id: r
    kind: follow_up
    for_each: {level}
    channel: email
{extra}    window:
      opens: {opens}
      due: {due}
"""


def rulebook(
    *,
    caps: str = "",
    level: str = "application",
    extra: str = "",
    opens: str = "{at: application.applied_at}",
    due: str = "{at: opens, plus: {days: 1}}",
) -> str:
    """A one-rule rulebook; ``caps`` and ``extra`` are YAML lines (``extra`` at the rule's indent)."""
    return RULE.format(
        caps=f"caps:\n{textwrap.indent(caps, '  ')}\n" if caps else "",
        level=level,
        extra=textwrap.indent(extra, "    ") + "\n" if extra else "",
        opens=opens,
        due=due,
    )


def problems(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "rules.yaml"
    path.write_text(text)
    with pytest.raises(InvalidInput) as caught:
        load_rulebook(path)
    return [str(problem).removeprefix(f"{path}:") for problem in caught.value.problems]


APPLICATION_FACTS = (
    "application.applied_at, application.chase_from, application.chase_medium, application.check_back_on, "
    "application.closed_at, application.company, application.competing_offer.application, "
    "application.competing_offer.company, application.competing_offer.received_at, "
    "application.competing_offer.respond_by, application.contact, application.decision_expected_by, "
    "application.decision_pending_by, application.employer.timezone, application.employer_date, "
    "application.ended_interviews, application.first_interview_ended_at, application.follow_up_requested_on, "
    "application.gone_quiet_at, application.id, application.interviews, application.last_chase_at, "
    "application.last_contact_at, application.last_interview_ended_at, application.last_news_at, "
    "application.last_reply_at, application.most_wanted, application.next_interview_starts_at, "
    "application.offer.received_at, application.offer.respond_by, application.position, "
    "application.preferred_medium, application.priority, application.requested_medium, application.status, "
    "application.status_changed_at, application.strengths, application.timely_medium, "
    "application.unanswered_chases, application.written_medium, candidate.accepted_at, "
    "candidate.active_applications, candidate.email, candidate.last_activity_at, candidate.live_applications, "
    "candidate.name, candidate.references, candidate.search_over, candidate.timezone"
)
OPERATORS = "eq, ge, gt, in, is, le, lt, ne, not_in"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            rulebook(caps="- {id: both, per: application, max: 1, within: {days: 7}, min_gap: {days: 1}}"),
            ["3:5: cap 'both' must be one of: 'max' with 'within' (a ceiling), 'max' with 'since: employer_reply' "
             "(patience), or 'min_gap' alone"],
            id="a cap of two shapes",
        ),
        *(
            pytest.param(
                rulebook(caps=f"- {{id: a, per: application, {shape}}}"),
                ["3:5: cap 'a' must be one of: 'max' with 'within' (a ceiling), 'max' with 'since: employer_reply' "
                 "(patience), or 'min_gap' alone"],
                id=f"a cap of {shape}",
            )
            for shape in ("since: employer_reply", "max: 1", "max: 1, within: {days: 1}, since: employer_reply",
                          "max: 1, since: employer_reply, within: {days: 1}", "max: 1, since: employer_reply, min_gap: {days: 1}",
                          "min_gap: {days: 1}, max: 1", "min_gap: {days: 1}, within: {days: 1}",
                          "min_gap: {days: 1}, since: employer_reply")
        ),
        pytest.param(
            rulebook(extra="when: {fact: application.id, nope_in: [a, b]}"),
            [f"7:34: unknown condition operator 'nope_in' (did you mean 'not_in'?); known operators: {OPERATORS}. An "
             "operator from a plugin needs that plugin installed."],
            id="an unknown operator given a list",
        ),
        pytest.param(
            rulebook(extra="when: {fact: {count_contacts: {kind: follow_up, after: {at: application.nope}}}, ge: 1}"),
            [f"7:65: unknown fact 'application.nope' (did you mean 'application.id'?); facts a 'application' rule "
             f"can use: {APPLICATION_FACTS}"],
            id="an unknown fact inside a log question",
        ),
        pytest.param(
            rulebook(caps="- {id: q, per: application, max: 1, within: {days: 7}, quiet_after: {days: 3}}"),
            ["3:58: cap 'q': 'quiet_after' belongs to a patience cap ('max' with 'since: employer_reply')"],
            id="quiet_after on a ceiling",
        ),
        pytest.param(
            rulebook(caps="- {id: q1, per: application, max: 1, within: {days: 7}}", extra="caps: [nope, q2]"),
            ["9:12: unknown cap 'nope'; caps in this rulebook: q1", "9:18: unknown cap 'q2'; caps in this rulebook: q1"],
            id="unknown caps",
        ),
        pytest.param(rulebook(extra="caps: [a]"), ["7:12: unknown cap 'a'; caps in this rulebook: none"], id="no caps at all"),
        pytest.param(
            rulebook(caps="- {id: q2, per: application, max: 1, within: {days: 7}}\n- {id: q1, per: company, max: 2, within: {days: 7}}",
                     extra="caps: [nope]"),
            ["10:12: unknown cap 'nope'; caps in this rulebook: q1, q2"],
            id="unknown cap among two",
        ),
        pytest.param(
            rulebook(level="interview", extra="distinct: recipient"),
            ["7:15: 'distinct: recipient' only applies to for_each: interviewer"],
            id="distinct above interviewers",
        ),
        pytest.param(
            rulebook(extra="when: {fact: interviewer.name, is: set}"),
            ["7:18: fact 'interviewer.name' needs a rule with for_each: interviewer (or below); this rule is for_each: application"],
            id="a fact below the rule's level",
        ),
        pytest.param(
            rulebook(extra="when: {fact: application.nope, is: set}"),
            [f"7:18: unknown fact 'application.nope' (did you mean 'application.id'?); facts a 'application' rule "
             f"can use: {APPLICATION_FACTS}"],
            id="an unknown fact",
        ),
        pytest.param(
            rulebook(extra="when: {not: {fact: application.nope, is: set}}"),
            [f"7:24: unknown fact 'application.nope' (did you mean 'application.id'?); facts a 'application' rule "
             f"can use: {APPLICATION_FACTS}"],
            id="an unknown fact under not",
        ),
        pytest.param(
            rulebook(opens="{at: application.applied_at, latest: [{at: application.applied_at}]}"),
            ["8:14: a moment needs exactly one of 'at', 'earliest', 'latest' or 'first'"],
            id="a moment with two bases",
        ),
        pytest.param(rulebook(opens="{at: opens}"), ["8:19: 'opens' cannot be counted from itself"], id="opens from opens"),
        pytest.param(
            rulebook(level="candidate", opens="{at: candidate.accepted_at}", due="{at: opens, calendar: employer, time: '10:00'}"),
            ["9:34: 'calendar: employer' needs for_each: application or below; this rule is for_each: candidate"],
            id="the employer's calendar for the candidate",
        ),
        pytest.param(
            rulebook(extra="when: {all: [{fact: application.applied_at, is: set}], fact: application.id}"),
            ["7:11: a condition with 'all' can have nothing else beside it"],
            id="all beside a fact",
        ),
        pytest.param(
            rulebook(extra="when: {is: set}"),
            ["7:11: a condition needs 'fact' (with one operator), 'all', 'any' or 'not'"],
            id="an operator without a fact",
        ),
        pytest.param(
            rulebook(extra="when: {fact: application.applied_at, is: set, eq: 1}"),
            [f"7:11: a condition on a fact needs exactly one operator ({OPERATORS}); found 2"],
            id="two operators",
        ),
        pytest.param(
            rulebook(extra="when: {any: [{fact: application.applied_at, frobs: set}, {not: {fact: application.id, is_it: x}}]}"),
            [f"7:49: unknown condition operator 'frobs'; known operators: {OPERATORS}. An operator from a plugin needs "
             "that plugin installed.",
             f"7:91: unknown condition operator 'is_it'; known operators: {OPERATORS}. An operator from a plugin needs "
             "that plugin installed."],
            id="unknown operators, nested",
        ),
        pytest.param(
            rulebook(level="candidate", extra="working_time: employer", opens="{at: candidate.accepted_at}"),
            ["7:19: 'working_time: employer' needs for_each: application or below; this rule is for_each: candidate"],
            id="the employer's working time for the candidate",
        ),
        pytest.param(
            rulebook(extra="done_when: [{kind: thank_you_note, to: recipient, interview: current}]"),
            ["7:44: 'to: recipient' needs for_each: interviewer or reference; this rule is for_each: application",
             "7:66: 'interview: current' needs for_each: interview or interviewer; this rule is for_each: application"],
            id="a log match beyond the rule's items",
        ),
        pytest.param(
            rulebook(level="interviewer", extra="done_when: [{kind: thank_you_note, to: recipient, interview: current}]"),
            None,
            id="the same match for interviewers",
        ),
        pytest.param(
            rulebook(level="interview", extra="when: {fact: {count_contacts: {kind: follow_up, interview: current}}, ge: 1}"),
            None,
            id="the current interview for interviews",
        ),
    ],
)  # fmt: skip
def test_each_mistake_is_reported_at_its_line(tmp_path: Path, text: str, expected: list[str] | None) -> None:
    if expected is None:
        path = tmp_path / "rules.yaml"
        path.write_text(text)
        assert load_rulebook(path).rules[0].id == "r"
    else:
        assert problems(tmp_path, text) == expected


def test_caps_compile_to_their_shape_and_say_what_they_allow() -> None:
    book = load_rulebook(
        {
            "version": 1,
            "caps": [
                {"id": "gap", "per": "recipient", "min_gap": {"business_days": 2}, "description": "breathing room"},
                {"id": "patience", "per": "application", "max": 2, "since": "employer_reply", "counts": ["follow_up"],
                 "quiet_after": {"days": 10}},
                {"id": "ceiling", "per": "company", "max": 3, "within": {"weeks": 1}, "counts": ["follow_up", "status_call"]},
                {"id": "one", "per": "everything", "max": 1, "within": {"days": 1}},
            ],
            "rules": [],
        }
    )  # fmt: skip
    gap, patience, ceiling, one = (book.caps[name] for name in ("gap", "patience", "ceiling", "one"))
    assert (gap.per, gap.kinds, gap.max, gap.within, gap.since_reply, gap.min_gap, gap.description) == (
        "recipient", None, None, None, False, Offset("business_days", 2), "breathing room",
    )  # fmt: skip
    assert (patience.kinds, patience.max, patience.since_reply, patience.within, patience.quiet_after) == (
        frozenset({"follow_up"}), 2, True, None, Offset("days", 10),
    )  # fmt: skip
    assert (ceiling.kinds, ceiling.max, ceiling.within, ceiling.since_reply, ceiling.min_gap, ceiling.description) == (
        frozenset({"follow_up", "status_call"}), 3, Offset("weeks", 1), False, None, "",
    )  # fmt: skip
    assert gap.summary == "at least 2 business days between contacts per recipient"
    assert patience.summary == "at most 2 unanswered per application since the employer last replied"
    assert ceiling.summary == "at most 3 per company within 1 week"
    assert one.summary == "at most 1 per everything within 1 day"


def test_a_cap_counts_what_goes_out_of_its_kinds_and_no_bookkeeping() -> None:
    book = load_rulebook(
        {"version": 1, "rules": [],
         "caps": [{"id": "some", "per": "application", "max": 1, "within": {"days": 7}, "counts": ["follow_up"]},
                  {"id": "all", "per": "application", "max": 1, "within": {"days": 7}}]}
    )  # fmt: skip
    some, every = book.caps["some"], book.caps["all"]
    at = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
    follow_up, call = Contact(at=at, kind="follow_up"), Contact(at=at, kind="status_call")
    reply = Contact(at=at, kind="follow_up", direction="in")
    snoozed = Contact(at=at, kind="snoozed", action="r:acme", until=at)
    assert every.counts(Contact(at=at, kind="dismissed", action="r:acme")) is False
    assert (some.counts(follow_up), some.counts(call), some.counts(reply), some.counts(snoozed)) == (True, False, False, False)
    assert (every.counts(follow_up), every.counts(call), every.counts(reply), every.counts(snoozed)) == (True, True, False, False)


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        ({"at": "interview.ended_at"}, "interview.ended_at"),
        ({"at": "interview.ended_at", "plus": {"business_days": 2}, "time": "end_of_day", "calendar": "employer"},
         "interview.ended_at +2 business days, at end_of_day (employer's calendar)"),
        ({"at": "opens", "minus": {"hours": 3}, "calendar": "candidate"}, "opens -3 hours"),
        ({"latest": [{"at": "application.applied_at"}, {"at": "opens", "minus": {"hours": 3}}]},
         "latest of (application.applied_at; opens -3 hours)"),
        ({"first": [{"at": "application.applied_at"}]}, "first set of (application.applied_at)"),
        ({"earliest": [{"at": {"last_contact": {"kind": "reply", "direction": "in", "after": {"at": "interview.ended_at"}}}}],
          "plus": {"days": 1}, "minus": {"minutes": 5}},
         "earliest of (last contact matching {kind=reply, direction=in, after interview.ended_at}) +1 days -5 minutes"),
        ({"at": {"count_contacts": {"kind": ["a", "b"], "to": "recipient", "before": {"at": "opens"}}}},
         "count contacts matching {kind=['a', 'b'], to=recipient, before opens}"),
    ],
)  # fmt: skip
def test_a_moment_is_described_in_words(spec: dict[str, Any], words: str) -> None:
    assert describe_time(spec) == words


def test_explain_traces_each_part_of_a_condition_with_the_value_it_read() -> None:
    rules = {"version": 1, "rules": [{
        "id": "r", "kind": "follow_up", "for_each": "application", "channel": "email",
        "when": {"all": [{"fact": "application.status", "eq": "interviewing"},
                         {"not": {"fact": "application.offer.received_at", "is": "set"}},
                         {"any": [{"fact": {"count_contacts": {"kind": "follow_up"}}, "ge": 1},
                                  {"fact": "application.priority", "le": 2}]}]},
        "window": {"opens": {"at": "application.applied_at"}, "due": {"at": "opens", "plus": {"days": 1}}}}]}  # fmt: skip
    state = load_state(state_doc(application(applied_at="2026-03-01T09:00:00+01:00", priority=1)))
    lines = list(explanation(Engine(load_rulebook(rules)), state, at("2026-03-02T12:00:00+01:00"), "r:acme").lines)
    start = lines.index("conditions: hold")
    assert lines[start + 1 : lines.index("window:")] == [
        "    yes all of:",
        "        yes application.status eq 'interviewing' (value: 'interviewing')",
        "        yes not:",
        "            no  application.offer.received_at is 'set' (value: unset)",
        "        yes any of:",
        "            no  count contacts matching {kind=follow_up} ge 1 (value: 0)",
        "            yes application.priority le 2 (value: 1)",
    ]


def test_a_condition_compiles_to_its_test_alone() -> None:
    compiler = Compiler(get_vocabulary(), {}, "<rules>")
    test = compiler.condition({"fact": "application.priority", "le": 2}, "application", ["when"])
    assert compiler.problems == []
    assert test(load_scope(priority=1)) is True and test(load_scope(priority=3)) is False


def test_a_condition_that_did_not_compile_never_holds() -> None:
    compiler = Compiler(get_vocabulary(), {}, "<rules>")
    check = compiler.check({"fact": "application.nope", "is": "set"}, "application", ["when"])
    assert [p.message.split(";")[0] for p in compiler.problems] == ["unknown fact 'application.nope' (did you mean 'application.id'?)"]
    assert check.test(load_scope()) is False


def load_scope(**extra: Any) -> Scope:
    """The application-level item of a one-application state, at 12:00 on 2 March 2026."""
    world = StateView(load_state(state_doc(application(**extra))), at("2026-03-02T12:00:00+01:00"))
    return Scope(world, world.applications[0])


def test_a_problem_whose_place_is_not_in_the_document_is_reported_against_the_file() -> None:
    compiler = Compiler(get_vocabulary(), {}, "rules.yaml")
    compiler.problem(["rules", 3, "when"], "something is wrong")
    (problem,) = compiler.problems
    assert (problem.path, problem.line, problem.column, problem.message) == ("rules.yaml", 0, 0, "something is wrong")


def test_all_of_needs_every_part_and_any_of_one() -> None:
    compiler = Compiler(get_vocabulary(), {}, "<rules>")
    yes, no = {"fact": "application.priority", "le": 2}, {"fact": "application.priority", "ge": 2}
    scope = load_scope(priority=1)
    assert compiler.check({"all": [yes]}, "application", ["when"]).test(scope) is True
    assert compiler.check({"all": [no]}, "application", ["when"]).test(scope) is False
    assert compiler.check({"all": [yes, no]}, "application", ["when"]).test(scope) is False
    assert compiler.check({"all": [yes, yes, no]}, "application", ["when"]).test(scope) is False
    assert compiler.check({"all": [yes, yes]}, "application", ["when"]).test(scope) is True
    assert compiler.check({"any": [no, yes]}, "application", ["when"]).test(scope) is True
    assert compiler.check({"any": [no, no]}, "application", ["when"]).test(scope) is False
    assert compiler.check({"not": no}, "application", ["when"]).test(scope) is True
    assert compiler.problems == []


LOG = [
    {"at": "2026-03-02T09:00:00+01:00", "kind": "follow_up", "to": "jane", "interview": "one"},
    {"at": "2026-03-03T09:00:00+01:00", "kind": "follow_up", "to": "kim"},
    {"at": "2026-03-04T09:00:00+01:00", "kind": "follow_up", "direction": "in"},
    {"at": "2026-03-05T09:00:00+01:00", "kind": "reply"},
    {"at": "2026-03-06T09:00:00+01:00", "kind": "status_call", "to": "jane", "interview": "two"},
]


def _answer(question: dict[str, Any], level: str = "application", person: str | None = None, interview: str | None = None) -> Any:
    compiler = Compiler(get_vocabulary(), {}, "<rules>")
    value = compiler.value(question, level, ["when", "fact"])
    assert compiler.problems == [] and value is not None
    interviews = [{"id": i, "starts_at": "2026-03-01T10:00:00+01:00", "interviewers": [{"id": "jane", "name": "Jane"}, {"id": "kim", "name": "Kim"}]}
                  for i in ("one", "two")]  # fmt: skip
    world = StateView(load_state(state_doc(application(contacts=LOG, interviews=interviews, applied_at="2026-03-03T12:00:00+01:00"))),
                      at("2026-03-08T12:00:00+01:00"))  # fmt: skip
    view = world.applications[0]
    chosen = next((i for i in view.application.interviews if i.id == interview), None)
    who = next((p for p in chosen.interviewers if p.id == person), None) if chosen is not None else None
    return value(Scope(world, view, chosen, who), at("2026-03-03T09:00:00+01:00"))


@pytest.mark.parametrize(
    ("question", "answer"),
    [
        ({"count_contacts": {"kind": "follow_up"}}, 2),  # outgoing unless asked otherwise
        ({"count_contacts": {"kind": "follow_up", "direction": "in"}}, 1),
        ({"count_contacts": {"kind": ["follow_up", "reply"], "direction": "any"}}, 4),
        ({"count_contacts": {"direction": "any"}}, 5),
        ({"count_contacts": {"kind": "follow_up", "after": {"at": "application.applied_at"}}}, 0),
        ({"count_contacts": {"direction": "any", "after": {"at": "application.applied_at"}}}, 3),
        ({"count_contacts": {"direction": "any", "before": {"at": "application.applied_at"}}}, 2),
        # strictly after and before: a contact at the bound itself is neither
        ({"count_contacts": {"after": {"at": "opens"}}}, 1),
        ({"count_contacts": {"before": {"at": "opens"}}}, 1),
        ({"count_contacts": {"after": {"at": "application.last_reply_at"}}}, 1),
        ({"count_contacts": {"after": {"at": "application.offer.received_at"}}}, 0),  # unset: nothing is after it
        ({"count_contacts": {"before": {"at": "application.offer.received_at"}}}, 0),
        ({"first_contact": {"direction": "any"}}, at("2026-03-02T09:00:00+01:00")),
        ({"last_contact": {"direction": "any"}}, at("2026-03-06T09:00:00+01:00")),
        ({"last_contact": {"kind": "follow_up"}}, at("2026-03-03T09:00:00+01:00")),
        ({"first_contact": {"kind": "thank_you_note"}}, None),
        ({"last_contact": {"kind": "thank_you_note"}}, None),
    ],
)  # fmt: skip
def test_questions_about_the_log(question: dict[str, Any], answer: Any) -> None:
    assert _answer(question) == answer


def test_questions_about_the_log_for_one_person_and_one_interview() -> None:
    assert _answer({"count_contacts": {"direction": "any", "to": "recipient"}}, "interviewer", "jane", "one") == 2
    assert _answer({"count_contacts": {"direction": "any", "to": "recipient"}}, "interviewer", "kim", "one") == 1
    assert _answer({"count_contacts": {"direction": "any", "interview": "current"}}, "interview", None, "one") == 1
    assert _answer({"count_contacts": {"direction": "any", "interview": "current", "to": "recipient"}}, "interviewer", "jane", "two") == 1
    assert _answer({"count_contacts": {"direction": "any", "interview": "current", "to": "recipient"}}, "interviewer", "kim", "two") == 0


@pytest.mark.parametrize(
    ("match", "shared"),
    [
        ({"kind": "thank_you_note"}, True),  # reads the application's log only
        ({"kind": "thank_you_note", "interview": "current"}, True),
        ({"kind": "thank_you_note", "to": "recipient"}, False),  # reads the person's
    ],
)
def test_a_window_that_reads_nothing_of_the_person_is_worked_out_once_for_all(match: dict[str, Any], shared: bool) -> None:
    rule = {"id": "r", "kind": "thank_you_note", "for_each": "interviewer", "channel": "email",
            "when": {"fact": {"count_contacts": match}, "eq": 0},
            "window": {"opens": {"at": "interview.ended_at"}, "due": {"at": "opens", "plus": {"days": 1}}}}  # fmt: skip
    assert load_rulebook({"version": 1, "rules": [rule]}).rules[0].shared_window is shared
    # a moment on the employer's calendar reads the application, which interviewers share
    rule["window"]["due"] = {"at": "opens", "plus": {"business_days": 1}, "calendar": "employer"}
    assert load_rulebook({"version": 1, "rules": [rule]}).rules[0].shared_window is shared
    # what the log says about the person once the action exists does not count
    del rule["when"]
    rule["done_when"] = [match]
    assert load_rulebook({"version": 1, "rules": [rule]}).rules[0].shared_window is True


def _one_rule(rule: dict[str, Any], now: str, candidate: dict[str, Any] | None = None, **app: Any) -> Any:
    base = {"id": "r", "kind": "follow_up", "for_each": "application"}
    state = load_state(state_doc(application(**app), **(candidate or {})))
    (action,) = Engine(load_rulebook({"version": 1, "rules": [{**base, **rule}]})).evaluate(state, at(now))
    return action


@pytest.mark.parametrize("base", ["earliest", "first"])
def test_earliest_and_first_set_can_count_from_the_opening(base: str) -> None:
    window = {"opens": {"at": "application.applied_at", "plus": {"days": 1}},
              "due": {base: [{"at": "opens", "plus": {"days": 3}}, {"at": "application.applied_at", "plus": {"days": 10}}]}}  # fmt: skip
    action = _one_rule({"channel": "email", "window": window}, "2026-03-02T12:00:00+01:00", applied_at="2026-03-02T09:00:00+01:00")
    assert (action.opens_at, action.due_at) == (at("2026-03-03T09:00:00+01:00"), at("2026-03-06T09:00:00+01:00"))


def test_a_call_is_moved_into_the_employers_hours_on_a_day_that_is_a_business_day_for_both() -> None:
    window = {"opens": {"at": "application.applied_at"}, "due": {"at": "opens", "plus": {"hours": 1}}}
    new_york = {"timezone": "America/New_York", "holidays": {"country": "US"}}
    # Thursday 2 April, 18:00 in Berlin: noon in New York, but the next day is Good Friday and
    # then Easter Monday in Berlin (a holiday calendar of Germany), so the call waits for Tuesday
    action = _one_rule({"channel": "phone", "window": window}, "2026-04-02T18:00:00+02:00", {"holidays": {"country": "DE"}},
                       applied_at="2026-04-02T23:30:00+02:00", employer=new_york)  # fmt: skip
    assert action.opens_at == at("2026-04-07T09:00:00-04:00")
    # without the candidate's holidays, Friday in New York would do
    loose = _one_rule({"channel": "phone", "window": window}, "2026-04-02T18:00:00+02:00",
                      applied_at="2026-04-02T23:30:00+02:00", employer=new_york)  # fmt: skip
    assert loose.opens_at == at("2026-04-03T09:00:00-04:00")


def _compiled(**rule: Any) -> Any:
    base = {"id": "r", "kind": "follow_up", "for_each": "application", "channel": "email",
            "window": {"opens": {"at": "application.applied_at"}, "due": {"at": "opens", "plus": {"days": 2}}}}  # fmt: skip
    (compiled,) = load_rulebook({"version": 1, "rules": [{**base, **rule}]}).rules
    return compiled


def test_a_rule_keeps_what_it_says_of_itself_and_its_defaults() -> None:
    plain = _compiled()
    assert (plain.description, plain.priority, plain.repeats, plain.message) == ("", 50, False, "follow_up")
    said = _compiled(description="Ask politely.", priority=7, repeats=True,
                     window={"opens": {"at": "application.applied_at"}, "due": {"at": "opens", "plus": {"days": 2}},
                             "expires": {"at": "opens", "plus": {"days": 9}}},
                     done_when=[{"kind": "follow_up"}, {"kind": "reply", "direction": "in"}])  # fmt: skip
    assert (said.description, said.priority, said.repeats) == ("Ask politely.", 7, True)
    assert (said.trace.opens, said.trace.due, said.trace.expires) == (
        describe_time({"at": "application.applied_at"}),
        describe_time({"at": "opens", "plus": {"days": 2}}),
        describe_time({"at": "opens", "plus": {"days": 9}}),
    )
    assert plain.trace.expires is None and plain.trace.done_when == ()
    assert [words for words, _ in said.trace.done_when] == ["{kind=follow_up}", "{kind=reply, direction=in}"]


@pytest.mark.parametrize(
    ("rule", "moved", "fit_media", "working_time"),
    [
        ({"channel": "email"}, False, frozenset({"phone"}), "none"),
        ({"channel": "phone"}, True, None, "employer"),  # every action of the rule is a call
        ({"channel": {"fact": "application.preferred_medium"}}, True, frozenset({"phone"}), "employer"),  # the calls among them
        ({"channel": "phone", "for_each": "candidate",
          "window": {"opens": {"at": "candidate.last_activity_at"}, "due": {"at": "opens", "plus": {"days": 1}}}}, True, None, "candidate"),
    ],
)  # fmt: skip
def test_calls_go_into_working_time(rule: dict[str, Any], moved: bool, fit_media: Any, working_time: str) -> None:
    compiled = _compiled(**rule)
    assert (compiled.fit is not None, compiled.fit_media, compiled.working_time) == (moved, fit_media, working_time)


@pytest.mark.parametrize(
    ("text", "where"),
    [
        (rulebook(due="{at: opens, plus: {days: 1}}\n      expires: {at: application.nope}"), "10:21"),
        (rulebook(extra="channel: {fact: application.nope}").replace("    channel: email\n", "", 1), "6:21"),
        (rulebook(extra="done_when: [{kind: follow_up, before: {at: application.nope}}]"), "7:48"),
    ],
    ids=["in the expiry", "in the channel", "in a log question's upper bound"],
)
def test_an_unknown_fact_is_placed_where_it_is_written(tmp_path: Path, text: str, where: str) -> None:
    (problem,) = problems(tmp_path, text)
    assert problem.startswith(f"{where}: unknown fact 'application.nope'"), problem


@pytest.mark.parametrize("question", ["first_contact", "last_contact"])
def test_a_log_question_in_a_moment_counts_from_this_windows_opening(question: str) -> None:
    later = {"at": {question: {"kind": "reply", "direction": "in", "after": {"at": "opens"}}}, "plus": {"days": 1}}
    rules = {"version": 1, "rules": [{"id": "r", "kind": "follow_up", "for_each": "application", "channel": "email",
             "window": {"opens": {"at": "application.applied_at"},
                        "due": {"latest": [{"at": "opens", "plus": {"days": 2}}, later]}}}]}  # fmt: skip
    rulebook_ = load_rulebook(rules)
    for replied, due in (("2026-02-28T09:00:00+01:00", "2026-03-03T09:00:00+01:00"), ("2026-03-04T09:00:00+01:00", "2026-03-05T09:00:00+01:00")):
        doc = state_doc(application(applied_at="2026-03-01T09:00:00+01:00", contacts=[{"at": replied, "kind": "reply"}]))
        for engine in (Engine(rulebook_, reference=True), Engine(rulebook_)):
            assert engine.program is not None
            (action,) = engine.evaluate(load_state(doc), at("2026-03-05T12:00:00+01:00"))
            assert action.due_at == at(due), (replied, engine.reference)
