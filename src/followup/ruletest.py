"""Rule tests: YAML files that say which actions a rulebook must produce, and when.

A rule-test file pairs a state (inline, or a path relative to the test file) with a
rulebook (``default``, a path, a list of paths stacked as overlays, or an inline
rulebook that may ``extends:`` another) and lists, for one or more instants, the
actions expected then::

    rules: default
    state: ../../examples/job-search.yaml
    tests:
      - name: a thank-you note to each interviewer
        checks:
          - now: 2026-11-27T09:00:00+01:00
            expect:
              - {rule: thank-you-note, recipient: jonas, status: due, due_at: 2026-11-30}

Each expectation is a pattern over an action's fields (``key``, ``rule``, ``kind``,
``status``, ``application``, ``interview``, ``recipient``, ``channel``, ``cap``,
``reason`` as a substring, and the instants ``opens_at``, ``due_at``, ``expires_at``,
``frees_at``, ``done_at`` as a datetime with offset, or a plain date read in the
candidate's zone; ``null`` means unset). Expectations are matched one to one with
actions. With ``exhaustive`` (the default) every action of a rule named in ``expect``
(by ``rule``, or by the first part of a ``key``) must be matched by an expectation,
the way ``promtool test rules`` treats alerts.
``absent`` lists patterns that no action may match.

:func:`run_paths` runs files and directories and returns a :class:`Report`;
``followup test`` prints it. Names of rules, kinds, caps, statuses, applications and
recipients are checked against the rulebook and the state before anything runs, so
a typo is an error with its file and line, never a silently passing test.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ._errors import InvalidInput, Problem
from ._time import format_instant, format_local
from .engine import STATUSES, Action, Agenda, Engine
from .rules import Rulebook
from .state import Mark, State, load_document, locate, schema_problems, suggest

__all__ = [
    "RULE_TEST_SCHEMA",
    "Check",
    "CheckResult",
    "Expectation",
    "Report",
    "RuleTest",
    "collect_paths",
    "load_test_file",
    "referenced_names",
    "run_paths",
    "run_test",
]

#: fields of an action an expectation may name, in the order a diff shows them
TEXT_FIELDS = ("key", "rule", "kind", "status", "application", "interview", "recipient", "channel", "cap")
INSTANT_FIELDS = ("opens_at", "due_at", "expires_at", "frees_at", "done_at")
MATCH_FIELDS = (*TEXT_FIELDS, "reason", *INSTANT_FIELDS)

_MOMENT = {
    "type": ["string", "null"],
    "minLength": 1,
    "description": (
        "A datetime with an offset (2026-03-04T17:00:00+01:00) that must equal the action's, a plain date "
        "(2026-03-04) that must be the action's local date in the candidate's zone, or null for unset."
    ),
}
_TEXT = {"type": "string", "minLength": 1}
_EXTENSIONS = {"^x[-_]": {"description": "Free-form data for other tools; ignored."}}


def _described(base: Mapping[str, Any], description: str) -> dict[str, Any]:
    return {**base, "description": description}


_MATCH = {
    "type": "object",
    "description": "A pattern over one action: every field given must match; fields left out match anything.",
    "additionalProperties": False,
    "patternProperties": _EXTENSIONS,
    "minProperties": 1,
    "properties": {
        "key": _described(_TEXT, "The action's whole key."),
        "rule": _described(_TEXT, "The id of the rule that produced the action."),
        "kind": _described(_TEXT, "The action's kind (thank_you_note, status_call, …)."),
        "status": {"enum": list(STATUSES), "description": "The action's status at `now`."},
        "application": _described(_TEXT, "The application id (candidate-wide actions have none)."),
        "interview": _described(_TEXT, "The interview id."),
        "recipient": _described(_TEXT, "The interviewer or reference id the action addresses."),
        "channel": _described(_TEXT, "The channel or medium (email, postal, fax, phone, reminder, …)."),
        "cap": _described(_TEXT, "For a suppressed action: the id of the cap holding it back."),
        "reason": _described(_TEXT, "Text the action's reason must contain."),
        **{name: _described(_MOMENT, f"The action's {name.replace('_', ' ')}.") for name in INSTANT_FIELDS},
    },
}
_RULES: dict[str, Any] = {
    "description": (
        "The rulebook: 'default', a path (relative to this file), a list of paths stacked as overlays, "
        "or an inline rulebook (which may say 'extends: default')."
    ),
    "anyOf": [
        {"type": "string", "minLength": 1},
        {"type": "array", "items": {"type": "string", "minLength": 1}, "minItems": 1},
        {"type": "object"},
    ],
}
_STATE: dict[str, Any] = {
    "description": "The state: a path to a YAML or JSON state file (relative to this file), or an inline state.",
    "anyOf": [{"type": "string", "minLength": 1}, {"type": "object"}],
}
_CHECK = {
    "type": "object",
    "description": "What the agenda must hold at one instant.",
    "additionalProperties": False,
    "patternProperties": _EXTENSIONS,
    "required": ["now"],
    "properties": {
        "now": _described(
            _TEXT, "The instant to evaluate at: a datetime with an offset, or a date (its start in the candidate's zone)."
        ),
        "name": _described(_TEXT, "What this check shows (optional)."),
        "expect": {"type": "array", "items": _MATCH, "description": "Actions that must be on the agenda, one each."},
        "absent": {"type": "array", "items": _MATCH, "description": "Patterns no action on the agenda may match."},
        "exhaustive": {
            "type": "boolean",
            "default": True,
            "description": "Every action of a rule named in 'expect' must be matched by an expectation (default true).",
        },
        "next_wake_at": _described(_MOMENT, "When the agenda says it next changes (null: never)."),
    },
}
_TEST = {
    "type": "object",
    "description": "One scenario: a state, a rulebook and checks at one or more instants.",
    "additionalProperties": False,
    "patternProperties": _EXTENSIONS,
    "required": ["name", "checks"],
    "properties": {
        "name": _described(_TEXT, "What the test shows, as a sentence."),
        "description": _described({"type": "string"}, "More words about it (optional)."),
        "rules": _RULES,
        "state": _STATE,
        "checks": {"type": "array", "items": _CHECK, "minItems": 1, "description": "The instants and what is expected at each."},
    },
}

RULE_TEST_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://followup.dev/schema/ruletest.schema.json",
    "title": "followup rule test",
    "type": "object",
    "description": "Tests for a rulebook: run them with `followup test PATH`.",
    "additionalProperties": False,
    "patternProperties": _EXTENSIONS,
    "required": ["tests"],
    "properties": {
        "description": _described({"type": "string"}, "What these tests cover."),
        "rules": {**_RULES, "description": _RULES["description"] + " Tests without their own 'rules' use it; default: 'default'."},
        "state": {**_STATE, "description": _STATE["description"] + " Tests without their own 'state' use it."},
        "tests": {"type": "array", "items": _TEST, "minItems": 1, "description": "The scenarios."},
    },
}


# ---------------------------------------------------------------------------
# The parsed form
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Moment:
    """An expected instant: exact (``instant``), a local date (``day``), or unset (neither)."""

    text: str | None
    instant: dt.datetime | None = None
    day: dt.date | None = None

    def matches(self, value: dt.datetime | None, tz: dt.tzinfo) -> bool:
        if self.instant is not None:
            return value is not None and value == self.instant
        if self.day is not None:
            return value is not None and value.astimezone(tz).date() == self.day
        return value is None


@dataclass(frozen=True)
class Expectation:
    """A pattern over one action, with where it was written."""

    fields: Mapping[str, Any]
    mark: Mark

    def matches(self, action: Action, tz: dt.tzinfo) -> bool:
        return not self.mismatches(action, tz)

    def mismatches(self, action: Action, tz: dt.tzinfo) -> list[str]:
        """The names of the fields ``action`` gets wrong."""
        wrong = []
        for name, expected in self.fields.items():
            actual = getattr(action, name)
            if isinstance(expected, _Moment):
                ok = expected.matches(actual, tz)
            elif name == "reason":
                ok = expected in actual
            else:
                ok = actual == expected
            if not ok:
                wrong.append(name)
        return wrong

    def describe(self) -> str:
        return " ".join(f"{name}={_shown_expected(value)}" for name, value in self.fields.items())


@dataclass(frozen=True)
class Check:
    """What the agenda must hold at one instant."""

    now: dt.datetime
    mark: Mark
    name: str | None = None
    expect: tuple[Expectation, ...] = ()
    absent: tuple[Expectation, ...] = ()
    exhaustive: bool = True
    #: ``None``: not checked; otherwise the expected ``next_wake_at``
    next_wake_at: _Moment | None = None


@dataclass(frozen=True)
class RuleTest:
    """One scenario of a rule-test file, loaded and ready to run."""

    name: str
    mark: Mark
    state: State
    engine: Engine
    checks: tuple[Check, ...]


@dataclass
class CheckResult:
    """The outcome of one check: ``failures`` holds the diff lines (empty: passed)."""

    test: RuleTest
    check: Check
    failures: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.failures

    def heading(self) -> str:
        tz = self.test.state.candidate.calendar.tz
        what = f" ({self.check.name})" if self.check.name else ""
        return f"{self.check.mark.path}:{self.check.mark.line}: {self.test.name!r} at {format_local(self.check.now, tz)}{what}"


@dataclass
class Report:
    """Everything a run of rule tests found."""

    files: list[str] = field(default_factory=list)
    results: list[CheckResult] = field(default_factory=list)

    @property
    def failed(self) -> list[CheckResult]:
        return [r for r in self.results if not r.passed]

    @property
    def passed(self) -> bool:
        return bool(self.results) and not self.failed

    def lines(self, *, verbose: bool = False) -> list[str]:
        """The report as text: each failure with its diff, then a summary line."""
        out: list[str] = []
        for result in self.results:
            if result.passed:
                if verbose:
                    out.append(f"ok    {result.heading()}")
                continue
            out.append(f"FAIL  {result.heading()}")
            out.extend(f"      {line}" for line in result.failures)
        tests = len({id(r.test) for r in self.results})
        failed = len(self.failed)
        summary = f"{len(self.files)} file(s), {tests} test(s), {len(self.results)} check(s): "
        out.append(summary + (f"{failed} failed" if failed else "all passed"))
        return out


# ---------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------


class _Loader:
    """Reads rule-test files, sharing rulebooks and states between them."""

    def __init__(self) -> None:
        self.rulebooks: dict[str, Engine] = {}
        self.states: dict[str, State] = {}

    def engine(self, spec: Any, doc: Any, steps: list[str | int], base: Path, path: str) -> Engine:
        if isinstance(spec, dict):
            return Engine(_inline_rulebook(spec, base, path))
        names = [spec] if isinstance(spec, str) else list(spec)
        resolved = []
        for index, name in enumerate(names):
            if name == "default":
                resolved.append(name)
                continue
            target = base / name
            if not target.is_file():
                mark = locate(doc, [*steps, index] if isinstance(spec, list) else steps)
                raise InvalidInput([_problem(mark, path, f"rulebook {name!r} does not exist (looked for {target}); use 'default' or a path relative to this file")])
            resolved.append(str(target))
        cache_key = "\0".join(resolved)
        if cache_key not in self.rulebooks:
            from .rules import load_rulebooks

            self.rulebooks[cache_key] = Engine(load_rulebooks(resolved))
        return self.rulebooks[cache_key]

    def state(self, spec: Any, doc: Any, steps: list[str | int], base: Path, path: str) -> State:
        from .state import load_state, state_from_document

        if isinstance(spec, dict):
            return state_from_document(spec, path)
        target = base / spec
        if not target.is_file():
            raise InvalidInput([_problem(locate(doc, steps), path, f"state file {spec!r} does not exist (looked for {target})")])
        key = str(target.resolve())
        if key not in self.states:
            self.states[key] = load_state(target)
        return self.states[key]


def _problem(mark: Mark | None, path: str, message: str) -> Problem:
    return Problem(mark.path if mark else path, mark.line if mark else 0, mark.column if mark else 0, message)


def _inline_rulebook(spec: dict[str, Any], base: Path, path: str) -> Rulebook:
    """An inline rulebook; ``extends`` is resolved relative to the test file."""
    from .rules import DEFAULT_RULEBOOK, compile_document, get_vocabulary, merge_overlay, read_rulebook, rules_schema

    vocabulary = get_vocabulary()
    parent = spec.get("extends")
    problems = schema_problems(spec, rules_schema(vocabulary, partial=parent is not None), path)
    if problems:
        raise InvalidInput(problems)
    if parent is None:
        return compile_document(spec, vocabulary, (path,))
    if parent != DEFAULT_RULEBOOK:
        parent = str(base / parent)
        if not Path(parent).is_file():
            raise InvalidInput([_problem(locate(spec, ["extends"]), path, f"extends {spec['extends']!r}, which does not exist; use 'default' or a path relative to this file")])
    document, sources = read_rulebook(parent, vocabulary)
    return compile_document(merge_overlay(document, spec), vocabulary, (*sources, path))


def _parse_moment(raw: Any, tz: dt.tzinfo) -> _Moment:
    """An expected instant; raises :class:`ValueError` with a message for a person."""
    from .state import parse_instant

    if raw is None:
        return _Moment(None)
    text = str(raw).strip()
    if len(text) == 10:
        try:
            return _Moment(text, day=dt.date.fromisoformat(text))
        except ValueError:
            pass
    return _Moment(text, instant=parse_instant(text, tz if len(text) == 10 else None))


def load_test_file(path: str | Path, loader: _Loader | None = None) -> list[RuleTest]:
    """Read and check one rule-test file.

    :raises InvalidInput: for a file that does not follow :data:`RULE_TEST_SCHEMA`, or
        that names a rule, kind, cap, application or recipient the rulebook or state
        does not have; every problem carries the file and line.
    """
    loader = loader or _Loader()
    name = str(path)
    doc = load_document(path)
    if not isinstance(doc, dict):
        raise InvalidInput.single(name, "a rule-test file is a mapping with 'tests' (and 'rules', 'state')", 1, 1)
    problems = schema_problems(doc, RULE_TEST_SCHEMA, name)
    if problems:
        raise InvalidInput(problems)
    base = Path(path).parent
    tests: list[RuleTest] = []
    problems = []
    for index, raw in enumerate(doc["tests"]):
        steps: list[str | int] = ["tests", index]
        if "state" in raw:
            state = loader.state(raw["state"], doc, [*steps, "state"], base, name)
        elif "state" in doc:
            state = loader.state(doc["state"], doc, ["state"], base, name)
        else:
            raise InvalidInput([_problem(locate(doc, steps), name, f"test {raw['name']!r} has no state; give 'state' here or at the top of the file")])
        if "rules" in raw:
            engine = loader.engine(raw["rules"], doc, [*steps, "rules"], base, name)
        else:
            engine = loader.engine(doc.get("rules", "default"), doc, ["rules"], base, name)
        checks = _checks(raw["checks"], doc, [*steps, "checks"], state, engine.rulebook, name, problems)
        mark = locate(doc, steps) or Mark(name, 0, 0)
        tests.append(RuleTest(raw["name"], mark, state, engine, checks))
    if problems:
        raise InvalidInput(problems)
    return tests


def _checks(
    items: list[Any], doc: Any, steps: list[str | int], state: State, rulebook: Rulebook, path: str, problems: list[Problem]
) -> tuple[Check, ...]:
    from .state import parse_instant

    tz = state.candidate.calendar.tz
    known = _Known(state, rulebook)
    checks = []
    for index, raw in enumerate(items):
        here = [*steps, index]
        mark = locate(doc, here) or Mark(path, 0, 0)
        try:
            now = parse_instant(str(raw["now"]), tz)
        except ValueError as exc:
            problems.append(_problem(locate(doc, [*here, "now"]), path, f"now: {exc}"))
            continue
        wake = None
        if "next_wake_at" in raw:
            try:
                wake = _parse_moment(raw["next_wake_at"], tz)
            except ValueError as exc:
                problems.append(_problem(locate(doc, [*here, "next_wake_at"]), path, f"next_wake_at: {exc}"))
        expect = tuple(_expectations(raw.get("expect", []), doc, [*here, "expect"], tz, known, path, problems))
        absent = tuple(_expectations(raw.get("absent", []), doc, [*here, "absent"], tz, known, path, problems))
        if not expect and not absent and wake is None:
            problems.append(_problem(mark, path, "this check expects nothing; give 'expect', 'absent' or 'next_wake_at'"))
        checks.append(Check(now, mark, raw.get("name"), expect, absent, raw.get("exhaustive", True), wake))
    return tuple(checks)


class _Known:
    """The names a test file may use, from its rulebook and state."""

    def __init__(self, state: State, rulebook: Rulebook) -> None:
        self.names: dict[str, tuple[str, set[str]]] = {
            # disabled rules and caps count: a test may show that they are gone
            "rule": ("rule", {r.id for r in rulebook.rules} | _ids(rulebook.document.get("rules"), "id")),
            "kind": ("kind", set(rulebook.kinds) | _ids(rulebook.document.get("rules"), "kind")),
            "cap": ("cap", set(rulebook.caps) | _ids(rulebook.document.get("caps"), "id")),
            "application": ("application", {a.id for a in state.applications}),
            "interview": ("interview", {i.id for a in state.applications for i in a.interviews}),
            "recipient": (
                "interviewer or reference",
                {p.id for a in state.applications for i in a.interviews for p in i.interviewers}
                | {r.id for r in state.candidate.references},
            ),
        }


def _ids(items: Any, name: str) -> set[str]:
    return {str(item[name]) for item in items or () if isinstance(item, dict) and name in item}


def _expectations(
    items: list[Any], doc: Any, steps: list[str | int], tz: dt.tzinfo, known: _Known, path: str, problems: list[Problem]
) -> Iterable[Expectation]:
    for index, raw in enumerate(items):
        here = [*steps, index]
        fields: dict[str, Any] = {}
        for name, value in raw.items():
            if name.startswith(("x-", "x_")):
                continue
            if name in INSTANT_FIELDS:
                try:
                    fields[name] = _parse_moment(value, tz)
                except ValueError as exc:
                    problems.append(_problem(locate(doc, [*here, name]), path, f"{name}: {exc}"))
                continue
            if name in known.names:
                label, valid = known.names[name]
                if value not in valid:
                    problems.append(
                        _problem(
                            locate(doc, [*here, name]),
                            path,
                            f"unknown {label} {value!r}{suggest(str(value), valid)}; known: {', '.join(sorted(valid)) or 'none'}",
                        )
                    )
            fields[name] = value
        yield Expectation(fields, locate(doc, here) or Mark(path, 0, 0))


# ---------------------------------------------------------------------------
# Running
# ---------------------------------------------------------------------------


def _pair(expectations: Sequence[Expectation], actions: Sequence[Action], tz: dt.tzinfo) -> dict[int, int]:
    """A largest one-to-one matching of expectations to actions (augmenting paths)."""
    fits = [[j for j, action in enumerate(actions) if e.matches(action, tz)] for e in expectations]
    owner: dict[int, int] = {}

    def place(i: int, seen: set[int]) -> bool:
        for j in fits[i]:
            if j in seen:
                continue
            seen.add(j)
            if j not in owner or place(owner[j], seen):
                owner[j] = i
                return True
        return False

    for i in range(len(expectations)):
        place(i, set())
    return {i: j for j, i in owner.items()}


def _action_line(action: Action, tz: dt.tzinfo) -> str:
    bits = [action.key, action.status, f"due {format_local(action.due_at, tz, short=True)}"]
    if action.cap:
        bits.append(f"cap {action.cap}")
    return "  ".join(bits)


def _shown_expected(value: Any) -> str:
    if isinstance(value, _Moment):
        return value.text if value.text is not None else "unset"
    return str(value)


def _shown_actual(name: str, action: Action, tz: dt.tzinfo) -> str:
    value = getattr(action, name)
    if value is None:
        return "unset"
    if isinstance(value, dt.datetime):
        return f"{format_instant(value.astimezone(tz))}"
    return str(value)


def _diff(expectation: Expectation, actions: Sequence[Action], tz: dt.tzinfo, compared: set[str]) -> list[str]:
    """Lines showing an unmet expectation against the closest action there is.

    The key of that action goes into ``compared`` so it is not listed again as unexpected.
    """
    where = f"line {expectation.mark.line}" if expectation.mark.line else "expectation"
    lines = [f"missing ({where}): {expectation.describe()}"]
    if not actions:
        lines.append("  no action is left to compare with")
        return lines

    def distance(action: Action) -> tuple[int, int, str]:
        wrong = expectation.mismatches(action, tz)
        return (("rule" in wrong) + ("key" in wrong), len(wrong), action.key)

    closest = min(actions, key=distance)
    compared.add(closest.key)
    lines.append(f"  closest: {closest.key}")
    for name in expectation.mismatches(closest, tz):
        expected = _shown_expected(expectation.fields[name])
        lines.append(f"  - {name}: {expected}" + (" (as part of the reason)" if name == "reason" else ""))
        lines.append(f"  + {name}: {_shown_actual(name, closest, tz)}" + (f"  ({closest.reason})" if name == "status" else ""))
    return lines


def _rule_of(expectation: Expectation) -> str | None:
    """The rule an expectation names, directly or as the first part of its key."""
    if "rule" in expectation.fields:
        return str(expectation.fields["rule"])
    if "key" in expectation.fields:
        return str(expectation.fields["key"]).split(":", 1)[0]
    return None


def run_check(test: RuleTest, check: Check) -> CheckResult:
    """Evaluate ``test`` at ``check.now`` and compare the agenda with the check."""
    agenda = test.engine.evaluate(test.state, check.now)
    return CheckResult(test, check, compare(agenda, check, test.state.candidate.calendar.tz))


def compare(agenda: Agenda, check: Check, tz: dt.tzinfo) -> list[str]:
    """The failure lines for ``agenda`` against ``check`` (empty: it passes)."""
    actions = list(agenda.actions)
    failures: list[str] = []
    pairs = _pair(check.expect, actions, tz)
    used = set(pairs.values())
    left = [a for j, a in enumerate(actions) if j not in used]
    compared: set[str] = set()
    for index, expectation in enumerate(check.expect):
        if index in pairs:
            continue
        named = expectation.fields.get("rule")
        pool = [a for a in left if named is None or a.rule == named] or left
        failures.extend(_diff(expectation, pool, tz, compared))
    if check.exhaustive:
        rules = {_rule_of(e) for e in check.expect} - {None}
        for action in left:
            if action.rule in rules and action.key not in compared:
                failures.append(f"unexpected: {_action_line(action, tz)}  ({action.reason})")
    for expectation in check.absent:
        for action in actions:
            if expectation.matches(action, tz):
                failures.append(f"should be absent (line {expectation.mark.line}): {expectation.describe()}")
                failures.append(f"  + found: {_action_line(action, tz)}  ({action.reason})")
    wake = check.next_wake_at
    if wake is not None and not wake.matches(agenda.next_wake_at, tz):
        failures.append("next_wake_at differs")
        failures.append(f"  - next_wake_at: {_shown_expected(wake)}")
        actual = format_instant(agenda.next_wake_at.astimezone(tz)) if agenda.next_wake_at else "unset"
        failures.append(f"  + next_wake_at: {actual}")
    if failures:
        named_rules = sorted({r for r in map(_rule_of, (*check.expect, *check.absent)) if r is not None})
        shown = [a for a in actions if not named_rules or a.rule in named_rules]
        label = f"rule(s) {', '.join(named_rules)}" if named_rules else "the agenda"
        failures.append(f"actions of {label} at this instant:" if shown else f"no action of {label} at this instant")
        failures.extend(f"  {_action_line(a, tz)}" for a in shown)
    return failures


def run_test(test: RuleTest) -> list[CheckResult]:
    """Run every check of one test."""
    return [run_check(test, check) for check in test.checks]


def _is_fixture(path: Path) -> bool:
    """A rulebook or state that tests point to, kept beside them: not a test itself."""
    try:
        document = load_document(path)
    except InvalidInput:
        return False  # reported when it is loaded as a test
    if not isinstance(document, dict) or "tests" in document:
        return False
    return "candidate" in document or bool({"rules", "caps", "extends"} & set(document))


def collect_paths(paths: Iterable[str | Path]) -> list[Path]:
    """The rule-test files among ``paths``: files as given, directories searched for *.yaml, *.yml, *.json.

    In a directory, rulebooks and states (files with ``rules``/``caps``/``extends`` or
    ``candidate`` and no ``tests``) are the fixtures tests point to and are skipped.

    :raises InvalidInput: for a path that does not exist, or a directory with no test files.
    """
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files = sorted(
                p
                for p in path.rglob("*")
                if p.is_file() and p.suffix in (".yaml", ".yml", ".json") and not _is_fixture(p)
            )
            if not files:
                raise InvalidInput.single(str(raw), "directory holds no rule-test files (*.yaml, *.yml, *.json)")
            found.extend(files)
        elif path.is_file():
            found.append(path)
        else:
            raise InvalidInput.single(str(raw), "no such file or directory")
    return found


def run_paths(paths: Iterable[str | Path], *, on_result: Callable[[CheckResult], None] | None = None) -> Report:
    """Load every rule-test file under ``paths`` and run it.

    All files are loaded (and checked) before any runs, so a broken file stops the
    run with every problem it has rather than half-way through.

    :raises InvalidInput: for files that cannot be used, naming file and line.
    """
    loader = _Loader()
    files = collect_paths(paths)
    loaded: list[RuleTest] = []
    problems: list[Problem] = []
    for path in files:
        try:
            loaded.extend(load_test_file(path, loader))
        except InvalidInput as exc:
            problems.extend(exc.problems)
    if problems:
        raise InvalidInput(problems)
    report = Report(files=[str(p) for p in files])
    for test in loaded:
        for result in run_test(test):
            report.results.append(result)
            if on_result is not None:
                on_result(result)
    return report


def referenced_names(paths: Iterable[str | Path]) -> dict[str, set[str]]:
    """Which rules and caps the expectations in ``paths`` name (for coverage checks)."""
    names: dict[str, set[str]] = {"rule": set(), "cap": set()}
    loader = _Loader()
    for path in collect_paths(paths):
        for test in load_test_file(path, loader):
            for check in test.checks:
                for expectation in (*check.expect, *check.absent):
                    for key in names:
                        if key in expectation.fields:
                            names[key].add(str(expectation.fields[key]))
    return names

