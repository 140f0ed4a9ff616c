"""Turn a validated rulebook document into plain Python callables.

Compilation happens once per rulebook. The engine's loop then calls closures only:
it never looks at a YAML mapping, a fact name or an operator name again. Every
semantic problem (an unknown fact, a fact the rule's level cannot see, an unknown
cap, an operator no plugin provides) is found here and reported with its line.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .._errors import Problem
from .._time import Offset, parse_clock
from ..state import Contact, locate, suggest
from ._scope import BOOKKEEPING_KINDS, Scope
from ._vocabulary import LEVELS, Vocabulary

__all__ = ["Check", "CompiledCap", "CompiledRule", "Compiler", "RuleTrace", "TimeFn", "Traced", "describe_time"]

TimeFn = Callable[[Scope, "dt.datetime | None"], "dt.datetime | None"]
ValueFn = Callable[[Scope, "dt.datetime | None"], Any]
MatchFn = Callable[[Scope, "dt.datetime | None"], "Contact | None"]
#: the contacts of an item's log that match one ``done_when`` entry, in log order
MatchesFn = Callable[[Scope, "dt.datetime | None"], Any]


@dataclass(frozen=True, slots=True)
class CompiledCap:
    """A cap, ready to be checked.

    Exactly one of three shapes: ``max`` with ``within`` (a ceiling over a rolling
    period), ``max`` with ``since_reply`` (patience), or ``min_gap``.
    """

    id: str
    description: str
    per: str
    kinds: frozenset[str] | None
    max: int | None = None
    within: Offset | None = None
    since_reply: bool = False
    min_gap: Offset | None = None

    def counts(self, contact: Contact) -> bool:
        """Whether ``contact`` counts against this cap."""
        if contact.direction != "out" or contact.kind in BOOKKEEPING_KINDS:
            return False
        return self.kinds is None or contact.kind in self.kinds

    @property
    def summary(self) -> str:
        if self.min_gap is not None:
            return f"at least {str(self.min_gap).lstrip('+')} between contacts per {self.per}"
        if self.since_reply:
            return f"at most {self.max} unanswered per {self.per} since the employer last replied"
        return f"at most {self.max} per {self.per} within {str(self.within).lstrip('+')}"


@dataclass(frozen=True, slots=True)
class Check:
    """One part of a rule's condition, as the compiler compiled it.

    :ivar label: what it says (``all of``, ``not``, ``interview.ended_at before ...``).
    :ivar test: the compiled test; the root check's test is the rule's condition.
    :ivar parts: the checks a group (``all``, ``any``, ``not``) is made of.
    :ivar value: for a check on a fact, what the operator looks at.
    """

    label: str
    test: Callable[[Scope], bool]
    parts: tuple[Check, ...] = ()
    value: ValueFn | None = None

    def trace(self, scope: Scope) -> Traced:
        """Run this check and every part of it on ``scope``, keeping each verdict."""
        value = self.value(scope, None) if self.value is not None else None
        return Traced(self, self.test(scope), tuple(part.trace(scope) for part in self.parts), value)


@dataclass(frozen=True, slots=True)
class Traced:
    """A :class:`Check` run on one item: its verdict, its parts' traces, the value it read."""

    check: Check
    holds: bool
    parts: tuple[Traced, ...]
    value: Any


@dataclass(frozen=True, slots=True)
class RuleTrace:
    """What the compiler recorded of a rule, so that it can be explained without reading the YAML again.

    :ivar when: the rule's condition as checks (``None``: it has none).
    :ivar opens: the window's moments in words (``interview.ended_at +2 business days``).
    :ivar done_when: each ``done_when`` entry in words, with its compiled matcher.
    """

    when: Check | None
    opens: str
    due: str
    expires: str | None
    done_when: tuple[tuple[str, MatchesFn], ...] = ()


@dataclass(frozen=True, slots=True)
class CompiledRule:
    """A rule as the engine runs it."""

    id: str
    kind: str
    description: str
    for_each: str
    priority: int
    caps: tuple[CompiledCap, ...]
    repeats: bool
    distinct: bool
    message: str
    condition: Callable[[Scope], bool] | None
    opens: TimeFn
    due: TimeFn
    expires: TimeFn | None
    done: MatchFn | None
    channel: Callable[[Scope], str | None]
    #: what the compiler recorded of the rule, for ``followup explain``
    trace: RuleTrace = field(repr=False, compare=False)
    #: the condition and window read nothing of the interviewer or reference, so
    #: they are worked out once for all of them
    shared_window: bool = False


class Compiler:
    """Compiles rule parts against a vocabulary, collecting problems as it goes."""

    def __init__(self, vocabulary: Vocabulary, document: Any, path: str) -> None:
        self.vocabulary = vocabulary
        self.document = document
        self.path = path
        self.problems: list[Problem] = []
        #: the levels the parts compiled since it was last cleared read
        self.reads: set[str] = set()

    # -- reporting ------------------------------------------------------------

    def problem(self, steps: Sequence[str | int], message: str, *, key: bool = False) -> None:
        mark = locate(self.document, steps, key=key)
        if mark is None:
            self.problems.append(Problem(self.path, 0, 0, message))
        else:
            self.problems.append(Problem(mark.path, mark.line, mark.column, message))

    # -- caps -------------------------------------------------------------------

    def cap(self, spec: Mapping[str, Any], steps: list[str | int]) -> CompiledCap | None:
        shapes = [
            "max" in spec and "within" in spec and "since" not in spec and "min_gap" not in spec,
            "max" in spec and spec.get("since") == "employer_reply" and "within" not in spec and "min_gap" not in spec,
            "min_gap" in spec and "max" not in spec and "within" not in spec and "since" not in spec,
        ]
        if sum(shapes) != 1:
            self.problem(
                steps,
                f"cap {spec['id']!r} must be one of: 'max' with 'within' (a ceiling), 'max' with "
                "'since: employer_reply' (patience), or 'min_gap' alone",
            )
            return None
        kinds = spec.get("counts")
        return CompiledCap(
            id=spec["id"],
            description=spec.get("description", ""),
            per=spec["per"],
            kinds=frozenset(kinds) if kinds else None,
            max=spec.get("max"),
            within=Offset.from_mapping(spec["within"]) if "within" in spec else None,
            since_reply=spec.get("since") == "employer_reply",
            min_gap=Offset.from_mapping(spec["min_gap"]) if "min_gap" in spec else None,
        )

    # -- facts --------------------------------------------------------------

    def fact(self, ref: str, level: str, steps: list[str | int]) -> Callable[[Scope], Any] | None:
        """The getter of a named fact that a rule fanning out over ``level`` may read."""
        fact = self.vocabulary.facts.get(ref)
        if fact is None:
            visible = sorted(f.name for f in self.vocabulary.facts_for(level))
            self.problem(
                steps,
                f"unknown fact {ref!r}{suggest(ref, self.vocabulary.facts)}; "
                f"facts a '{level}' rule can use: {', '.join(visible)}",
            )
            return None
        if fact.level not in LEVELS[level]:
            self.problem(
                steps,
                f"fact {ref!r} needs a rule with for_each: {fact.level} (or below); this rule is for_each: {level}",
            )
            return None
        self.reads.add(fact.level)
        return fact.get

    def value(self, ref: Any, level: str, steps: list[str | int]) -> ValueFn | None:
        """A fact reference (a name or a contact-log question) as a function."""
        if isinstance(ref, str):
            get = self.fact(ref, level, steps)
            if get is None:
                return None
            return lambda scope, opens: get(scope)
        ((question, spec),) = ref.items()
        matcher = self.matcher(spec, level, [*steps, question])
        if matcher is None:
            return None
        if question == "count_contacts":
            return lambda scope, opens: sum(1 for _ in matcher(scope, opens))
        if question == "first_contact":

            def first(scope: Scope, opens: dt.datetime | None) -> dt.datetime | None:
                for contact in matcher(scope, opens):
                    at: dt.datetime = contact.at
                    return at
                return None

            return first

        def last(scope: Scope, opens: dt.datetime | None) -> dt.datetime | None:
            found = None
            for contact in matcher(scope, opens):
                found = contact
            return found.at if found is not None else None

        return last

    def matcher(
        self, spec: Mapping[str, Any], level: str, steps: list[str | int]
    ) -> Callable[[Scope, dt.datetime | None], Any] | None:
        """A function yielding the contacts of the application's log that match ``spec``."""
        kinds_spec = spec.get("kind")
        kinds = frozenset([kinds_spec] if isinstance(kinds_spec, str) else kinds_spec) if kinds_spec else None
        direction = spec.get("direction", "out")
        to_recipient = spec.get("to") == "recipient"
        if to_recipient and level not in ("interviewer", "reference"):
            self.problem([*steps, "to"], f"'to: recipient' needs for_each: interviewer or reference; this rule is for_each: {level}")
        this_interview = spec.get("interview") == "current"
        self.reads.add(level if to_recipient else "interview" if this_interview else "application" if level != "candidate" else "candidate")
        if this_interview and level not in ("interview", "interviewer"):
            self.problem([*steps, "interview"], f"'interview: current' needs for_each: interview or interviewer; this rule is for_each: {level}")
        after = self.time(spec["after"], level, [*steps, "after"]) if "after" in spec else None
        before = self.time(spec["before"], level, [*steps, "before"]) if "before" in spec else None

        def matching(scope: Scope, opens: dt.datetime | None) -> Any:
            low = after(scope, opens) if after is not None else None
            high = before(scope, opens) if before is not None else None
            if (after is not None and low is None) or (before is not None and high is None):
                return  # the bound is unset: nothing can be after or before it
            recipient = scope.recipient if to_recipient else None
            interview = scope.interview.id if this_interview and scope.interview is not None else None
            for contact in scope.view.contacts:
                if kinds is not None and contact.kind not in kinds:
                    continue
                if direction != "any" and contact.direction != direction:
                    continue
                if to_recipient and contact.to != recipient:
                    continue
                if this_interview and contact.interview != interview:
                    continue
                if low is not None and contact.at <= low:
                    continue
                if high is not None and contact.at >= high:
                    continue
                yield contact

        return matching

    # -- time -----------------------------------------------------------------

    def time(self, spec: Mapping[str, Any], level: str, steps: list[str | int]) -> TimeFn:
        bases = [name for name in ("at", "earliest", "latest") if name in spec]
        if len(bases) != 1:
            self.problem(steps, "a moment needs exactly one of 'at', 'earliest' or 'latest'")
            return _never
        base: TimeFn
        if "at" in spec:
            if spec["at"] == "opens":
                if steps and steps[-1] == "opens":
                    self.problem([*steps, "at"], "'opens' cannot be counted from itself")
                    return _never
                base = _opens
            else:
                value = self.value(spec["at"], level, [*steps, "at"])
                if value is None:
                    return _never
                base = value
        else:
            pick = min if "earliest" in spec else max
            parts = [self.time(item, level, [*steps, bases[0], i]) for i, item in enumerate(spec[bases[0]])]
            base = _pick(pick, parts)
        offsets = []
        if "plus" in spec:
            offsets.append(Offset.from_mapping(spec["plus"]))
        if "minus" in spec:
            offsets.append(Offset.from_mapping(spec["minus"], sign=-1))
        clock = spec.get("time")
        if not offsets and clock is None:
            return base
        return _shifted(base, tuple(offsets), clock)

    # -- conditions ---------------------------------------------------------

    def condition(self, spec: Mapping[str, Any], level: str, steps: list[str | int]) -> Callable[[Scope], bool]:
        """The test of a condition (see :meth:`check`)."""
        return self.check(spec, level, steps).test

    def check(self, spec: Mapping[str, Any], level: str, steps: list[str | int]) -> Check:
        """Compile a condition into a :class:`Check`: its test, and the checks it is made of.

        The test is what the engine runs; ``followup explain`` traces the same
        checks (:meth:`Check.trace`), so the two cannot disagree.
        """
        groups = [name for name in ("all", "any", "not") if name in spec]
        operators = [name for name in spec if name not in ("all", "any", "not", "fact")]
        if groups:
            if len(spec) != 1:
                self.problem(steps, f"a condition with {groups[0]!r} can have nothing else beside it")
                return _unusable
            name = groups[0]
            if name == "not":
                inner = self.check(spec["not"], level, [*steps, "not"])
                test = inner.test
                return Check("not", lambda scope: not test(scope), (inner,))
            parts = tuple(self.check(item, level, [*steps, name, i]) for i, item in enumerate(spec[name]))
            tests = tuple(part.test for part in parts)
            if name == "all":
                return Check("all of", tests[0] if len(tests) == 1 else _every(tests), parts)
            return Check("any of", _some(tests), parts)
        if "fact" not in spec:
            self.problem(steps, "a condition needs 'fact' (with one operator), 'all', 'any' or 'not'")
            return _unusable
        if len(operators) != 1:
            known = ", ".join(sorted(self.vocabulary.operators))
            self.problem(steps, f"a condition on a fact needs exactly one operator ({known}); found {len(operators)}")
            return _unusable
        name = operators[0]
        predicate = self.vocabulary.operators[name].build(spec[name])
        label = f"{describe_fact(spec['fact'])} {name} {spec[name]!r}"
        if isinstance(spec["fact"], str):
            # a named fact: call its getter directly, the hot path of most conditions
            read = self.fact(spec["fact"], level, [*steps, "fact"])
            if read is None:
                return _unusable
            return Check(label, lambda scope: predicate(read(scope)), value=lambda scope, opens: read(scope))
        get = self.value(spec["fact"], level, [*steps, "fact"])
        if get is None:
            return _unusable
        return Check(label, lambda scope: predicate(get(scope, None)), value=get)

    def unknown_operators(self, spec: Any, steps: list[str | int]) -> None:
        """Report condition keys that name no operator, before the schema does."""
        if not isinstance(spec, Mapping):
            return
        for name, value in spec.items():
            if name in ("all", "any") and isinstance(value, list):
                for index, item in enumerate(value):
                    self.unknown_operators(item, [*steps, name, index])
            elif name == "not":
                self.unknown_operators(value, [*steps, name])
            elif name != "fact" and name not in self.vocabulary.operators:
                known = ", ".join(sorted(self.vocabulary.operators))
                self.problem(
                    [*steps, name],
                    f"unknown condition operator {name!r}{suggest(name, self.vocabulary.operators)}; "
                    f"known operators: {known}. An operator from a plugin needs that plugin installed.",
                    key=True,
                )

    # -- rules ----------------------------------------------------------------

    def rule(self, spec: Mapping[str, Any], steps: list[str | int], caps: Mapping[str, CompiledCap]) -> CompiledRule | None:
        before = len(self.problems)
        level = spec["for_each"]
        self.reads = set()
        when = self.check(spec["when"], level, [*steps, "when"]) if "when" in spec else None
        window = spec["window"]
        opens = self.time(window["opens"], level, [*steps, "window", "opens"])
        due = self.time(window["due"], level, [*steps, "window", "due"])
        expires = self.time(window["expires"], level, [*steps, "window", "expires"]) if "expires" in window else None
        # Conditions and windows that read nothing of the person are worked out once
        # per interview (or application) and shared by its interviewers (or references).
        shared = (level == "interviewer" and self.reads <= {"candidate", "application", "interview"}) or (
            level == "reference" and self.reads <= {"candidate", "application"}
        )
        done = None
        done_when: list[tuple[str, MatchesFn]] = []
        if "done_when" in spec:
            matchers = [
                self.matcher(item, level, [*steps, "done_when", i]) for i, item in enumerate(spec["done_when"])
            ]
            done = _first_match(tuple(m for m in matchers if m is not None))
            done_when = [(describe_match(item), m) for item, m in zip(spec["done_when"], matchers, strict=True) if m is not None]
        channel_spec = spec["channel"]
        if isinstance(channel_spec, str):
            channel_value = channel_spec

            def channel(scope: Scope) -> str | None:
                return channel_value
        else:
            getter = self.value(channel_spec["fact"], level, [*steps, "channel", "fact"])

            def channel(scope: Scope) -> str | None:
                return getter(scope, None) if getter is not None else None

        subject: list[CompiledCap] = []
        for index, name in enumerate(spec.get("caps", [])):
            if name in caps:
                subject.append(caps[name])
            elif name not in self.disabled_caps:
                self.problem(
                    [*steps, "caps", index],
                    f"unknown cap {name!r}{suggest(name, caps)}; caps in this rulebook: {', '.join(sorted(caps)) or 'none'}",
                )
        distinct = spec.get("distinct") == "recipient"
        if distinct and level != "interviewer":
            self.problem([*steps, "distinct"], "'distinct: recipient' only applies to for_each: interviewer")
        if len(self.problems) != before:
            return None
        return CompiledRule(
            id=spec["id"],
            kind=spec["kind"],
            description=spec.get("description", ""),
            for_each=level,
            priority=spec.get("priority", 50),
            caps=tuple(subject),
            repeats=bool(spec.get("repeats", False)),
            distinct=distinct,
            message=spec.get("message", spec["kind"]),
            condition=when.test if when is not None else None,
            opens=opens,
            due=due,
            expires=expires,
            done=done,
            channel=channel,
            trace=RuleTrace(
                when=when,
                opens=describe_time(window["opens"]),
                due=describe_time(window["due"]),
                expires=describe_time(window["expires"]) if "expires" in window else None,
                done_when=tuple(done_when),
            ),
            shared_window=shared,
        )

    disabled_caps: frozenset[str] = frozenset()


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def _never(scope: Scope, opens: dt.datetime | None) -> dt.datetime | None:
    return None


def _opens(scope: Scope, opens: dt.datetime | None) -> dt.datetime | None:
    return opens


def _false(scope: Scope) -> bool:
    return False


def _every(parts: tuple[Callable[[Scope], bool], ...]) -> Callable[[Scope], bool]:
    """All of ``parts``, in order, stopping at the first that fails (a loop: no generator per call)."""

    def every(scope: Scope) -> bool:
        for part in parts:  # noqa: SIM110 - all() would build a generator per call
            if not part(scope):
                return False
        return True

    return every


def _some(parts: tuple[Callable[[Scope], bool], ...]) -> Callable[[Scope], bool]:
    """Any of ``parts``, in order, stopping at the first that holds."""

    def some(scope: Scope) -> bool:
        for part in parts:  # noqa: SIM110 - any() would build a generator per call
            if part(scope):
                return True
        return False

    return some


def _pick(pick: Callable[..., dt.datetime], parts: list[TimeFn]) -> TimeFn:
    def chosen(scope: Scope, opens: dt.datetime | None) -> dt.datetime | None:
        values = [v for v in (part(scope, opens) for part in parts) if v is not None]
        return pick(values) if values else None

    return chosen


def _shifted(base: TimeFn, offsets: tuple[Offset, ...], clock: str | None) -> TimeFn:
    pin: Callable[[Any], dt.time] | None
    if clock is None:
        pin = None
    elif clock == "start_of_day":
        pin = lambda calendar: calendar.workday_start  # noqa: E731
    elif clock == "end_of_day":
        pin = lambda calendar: calendar.workday_end  # noqa: E731
    else:
        fixed = parse_clock(clock)
        pin = lambda calendar: fixed  # noqa: E731

    # The same base moment comes back for every interviewer of an interview and every
    # rule reading it: remember the last answer (one tuple, replaced atomically, so
    # engines shared between threads stay correct). Datetimes and calendars are
    # immutable, so the same objects always give the same result.
    last: list[tuple[Any, Any, dt.datetime]] = [(None, None, _EPOCH)]

    def moment(scope: Scope, opens: dt.datetime | None) -> dt.datetime | None:
        value = base(scope, opens)
        if value is None:
            return None
        calendar = scope.world.calendar
        seen = last[0]
        if seen[0] is value and seen[1] is calendar:
            return seen[2]
        start = value
        for offset in offsets:
            value = calendar.shift(value, offset)
        if pin is not None:
            value = calendar.at_clock(value, pin(calendar))
        last[0] = (start, calendar, value)
        return value

    return moment


def _first_match(matchers: tuple[Callable[[Scope, dt.datetime | None], Any], ...]) -> MatchFn:
    def done(scope: Scope, opens: dt.datetime | None) -> Contact | None:
        for matcher in matchers:
            for contact in matcher(scope, opens):
                return contact  # type: ignore[no-any-return]
        return None

    return done


_unusable = Check("(a condition that did not compile)", _false)


def describe_time(spec: Mapping[str, Any]) -> str:
    """A moment's YAML as a short phrase: ``interview.ended_at +2 business days, at end_of_day``."""
    if "at" in spec:
        base = describe_fact(spec["at"])
    else:
        name = "earliest" if "earliest" in spec else "latest"
        base = f"{name} of (" + "; ".join(describe_time(item) for item in spec[name]) + ")"
    parts = [base]
    for sign, key in (("+", "plus"), ("-", "minus")):
        if key in spec:
            ((unit, amount),) = spec[key].items()
            parts.append(f"{sign}{amount} {unit.replace('_', ' ')}")
    text = " ".join(parts)
    if "time" in spec:
        text += f", at {spec['time']}"
    return text


def describe_fact(ref: Any) -> str:
    """A fact reference in words: its name, or ``last contact matching {...}``."""
    if isinstance(ref, str):
        return ref
    ((question, spec),) = ref.items()
    return f"{question.replace('_', ' ')} matching {describe_match(spec)}"


def describe_match(spec: Mapping[str, Any]) -> str:
    """A log match in words: ``{kind=thank_you_note, after interview.ended_at}``."""
    bits = []
    for key, value in spec.items():
        if key in ("after", "before"):
            bits.append(f"{key} {describe_time(value)}")
        else:
            bits.append(f"{key}={value}")
    return "{" + ", ".join(bits) + "}"
