"""Generate, once per rulebook, the Python source that finds its rules' windows.

The closure compiler (:mod:`followup.rules._compiler`) turns each part of a rule into
a callable; evaluating a rule then costs a call per condition, per fact and per
moment, for every item the rule fans out over. This module writes the whole fan-out
of a rulebook as two plain Python functions instead, in the way Jinja2, attrs and
fastjsonschema do it, and compiles them with :func:`compile`:

- ``candidate(world, out)`` for the rules with ``for_each: candidate``;
- ``application(world, view, out)`` for every other rule, one application at a time:
  one loop over its interviews, one over each interview's interviewers and one over
  the references, shared by every rule.

Three things make the generated code cheaper than the closures, with the same results:

- each part of a condition is tested at the outermost loop whose items it reads (a
  check on the application is made once per application, not once per interviewer),
  so an item whose rule cannot apply is never built;
- a fact or a moment read by several rules, or by one rule for many items, is
  worked out once per item of its own level and kept in a local variable;
- the built-in operators are written out as Python comparisons.

What the generator does not write out, it calls: fact getters, plugin operators,
contact-log questions, working-time fitting and channels are the very callables the
closure compiler made (the rulebook's :class:`~followup.rules.CompiledRule`), so the
two evaluations cannot drift apart.

Safety: the source contains no text from the rulebook except literals written by
:func:`repr` of validated scalars (strings, numbers, booleans); every other value (a
callable, an offset, a compiled rule) is passed in by name, and names are made up
here (``F3``, ``M7``, ``R2``), never taken from the YAML.

The engine turns each window the functions report into an action
(:class:`followup.Engine`); ``followup rules compile --show`` prints the source.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ._compiler import CompiledRule, Compiler, describe_fact, describe_time
from ._operators import OPERATORS
from ._rulebook import Rulebook
from ._scope import Scope, StateView

__all__ = ["Program", "generate"]

#: the loops of the generated ``application`` function, outermost first, and the
#: variable holding the item of each
_SCOPE_OF = {"candidate": "sa", "application": "sa", "interview": "si", "interviewer": "sp", "reference": "sr"}
_DEPTH = {"candidate": 0, "application": 1, "interview": 2, "interviewer": 3, "reference": 2}

#: a window the generated code reports: the rule, its item, opens, due, expires, channel
Window = tuple[CompiledRule, Scope, dt.datetime, dt.datetime, "dt.datetime | None", "str | None"]
Report = Callable[[Window], None]


@dataclass(frozen=True)
class Program:
    """A rulebook's fan-out as compiled Python functions, and their source.

    :ivar source: the generated Python source, as compiled.
    :ivar candidate: ``candidate(world, out)`` calls ``out(window)`` for every window
        of a candidate-wide rule whose condition holds and whose moments are set.
    :ivar application: ``application(world, view, out)``, the same for the rules of
        one application.
    """

    source: str
    candidate: Callable[[StateView, Report], None]
    application: Callable[[StateView, Any, Report], None]
    namespace: dict[str, Any] = field(repr=False, compare=False)


class _Unset:
    """The value of a local that has not been worked out yet."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "_U"


_U = _Unset()


def _literal(value: Any) -> str | None:
    """``value`` as a Python literal, when it is a plain scalar (else ``None``)."""
    if value is None or isinstance(value, (bool, int, str)):
        return repr(value)
    if isinstance(value, float) and math.isfinite(value):
        return repr(value)
    return None


def _guard(flag: str, test: str | None) -> str:
    """``if flag and test:``, or ``if flag:`` without a test."""
    return f"if {flag} and {test}:" if test is not None else f"if {flag}:"


def _out(rule_name: str, scope: str) -> Callable[[str], list[str]]:
    """What reports a rule's window for the item in ``scope``."""

    def emit(window: str) -> list[str]:
        return [f"out(({rule_name}, {scope}) + {window})"]

    return emit


def _indent(lines: list[str], by: str) -> list[str]:
    """``lines`` (each may hold several) moved right by ``by``."""
    return [by + line.replace("\n", "\n" + by) for line in lines]


def _deepest(levels: set[str]) -> str:
    return max(levels, key=lambda level: _DEPTH[level]) if levels else "candidate"


class _Block:
    """Lines of source at one loop level, with the locals that level keeps."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.memos: list[str] = []


class _Generator:
    def __init__(self, rulebook: Rulebook) -> None:
        self.rulebook = rulebook
        self.vocabulary = rulebook.vocabulary
        self.names: dict[str, Any] = {"Scope": Scope, "_U": _U, "_td": dt.timedelta}
        self.helpers: list[str] = []
        self.shared: dict[tuple[str, str], str] = {}  # (what, canonical form) -> name
        self.counter = 0
        self.builtin = {op.name: op for op in OPERATORS}
        #: the memo locals each level keeps in the function being written
        self.memos: dict[str, list[str]] = {}
        self.in_candidate = False
        self.legend: dict[str, str] = {}

    # -- names -------------------------------------------------------------------

    def fresh(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"

    def constant(self, prefix: str, value: Any, key: str | None = None, about: str = "") -> str:
        """A name for ``value`` in the generated module's namespace (one name per ``key``);
        ``about`` says what it is, for the legend at the top of the source."""
        if key is not None and (prefix, key) in self.shared:
            return self.shared[(prefix, key)]
        name = self.fresh(prefix)
        self.names[name] = value
        self.legend[name] = about
        if key is not None:
            self.shared[(prefix, key)] = name
        return name

    def rule_name(self, rule: CompiledRule, *blocks: list[str]) -> str:
        """The name of ``rule`` in the namespace; a comment naming it starts its lines in each of ``blocks``."""
        name = self.constant("R", rule, key=rule.id, about=f"rule {rule.id}")
        for lines in blocks:
            lines.append(f"# {name}: rule {rule.id!r}")
        return name

    def scratch(self) -> Compiler:
        """A compiler for the closures the generated code calls (the rulebook compiled already)."""
        return Compiler(self.vocabulary, self.rulebook.document, self.rulebook.sources[-1])

    def reads(self, build: Callable[[Compiler], Any]) -> tuple[Any, set[str]]:
        compiler = self.scratch()
        compiler.reads = set()
        made = build(compiler)
        return made, compiler.reads

    def scope_var(self, level: str) -> str:
        return "sc" if self.in_candidate else _SCOPE_OF[level]

    def home(self, level: str) -> str:
        """The loop level at which a value read at ``level`` is worked out and kept."""
        return "candidate" if self.in_candidate else ("application" if level == "candidate" else level)

    def memo(self, kind: str, key: str, level: str, call: str) -> str:
        """An expression for ``call``, worked out once per item of ``level`` and kept."""
        home = self.home(level)
        canonical = f"{home}|{key}"
        name = self.shared.get((kind, canonical))
        if name is None:
            name = self.shared[(kind, canonical)] = self.fresh(kind)
            self.memos.setdefault(home, []).append(name)
        return f"({name} if {name} is not _U else ({name} := {call}))"

    # -- facts and conditions ------------------------------------------------------

    def fact(self, name: str) -> str:
        fact = self.vocabulary.facts[name]
        getter = self.constant("F", fact.get, key=name, about=f"fact {name}")
        return self.memo("f", name, fact.level, f"{getter}({self.scope_var(self.home(fact.level))})")

    def question(self, ref: Mapping[str, Any], level: str, scope: str) -> str:
        """A contact-log question (``count_contacts``...) as a call of the compiled closure."""
        value, _ = self.reads(lambda c: c.value(ref, level, []))
        return f"{self.constant('Q', value, about=describe_fact(ref))}({scope}, None)"

    def condition(self, spec: Mapping[str, Any], level: str, scope: str) -> str:
        """A condition as a Python expression, testing the item in variable ``scope``."""
        if "all" in spec or "any" in spec:
            joiner = " and " if "all" in spec else " or "
            parts = [self.condition(item, level, scope) for item in spec["all" if "all" in spec else "any"]]
            return "(" + joiner.join(parts) + ")"
        if "not" in spec:
            return f"(not {self.condition(spec['not'], level, scope)})"
        ((name, operand),) = ((k, v) for k, v in spec.items() if k != "fact")
        ref = spec["fact"]
        value = self.fact(ref) if isinstance(ref, str) else self.question(ref, level, scope)
        operator = self.vocabulary.operators[name]
        builtin = self.builtin.get(name)
        if builtin is not None and operator.build is builtin.build and isinstance(ref, str):
            inline = self.comparison(name, operand, value)
            if inline is not None:
                return inline
        predicate = self.constant("P", operator.build(operand), about=f"operator {name}")
        return f"{predicate}({value})"

    def comparison(self, name: str, operand: Any, value: str) -> str | None:
        """A built-in operator written out, for operands that are plain literals."""
        if name == "is":
            return f"({value} is {'not ' if operand == 'set' else ''}None)"
        if name in ("in", "not_in"):
            items = [_literal(item) for item in operand]
            if any(item is None for item in items):
                return None
            options = "frozenset({" + ", ".join(sorted(set(items))) + "})"  # type: ignore[arg-type]
            if name == "in":
                return f"({value} in {options})"
            return f"({value} is not None and {value} not in {options})"
        literal = _literal(operand)
        if literal is None:
            return None
        if name == "eq":
            return f"({value} == {literal})"
        if name == "ne":
            return f"({value} != {literal})"
        return None

    def conjuncts(self, spec: Mapping[str, Any] | None, level: str) -> list[tuple[str, Mapping[str, Any]]]:
        """The parts of a rule's condition that must all hold, each with the level it reads."""
        if spec is None:
            return []
        parts = list(spec["all"]) if "all" in spec and len(spec) == 1 else [spec]
        found = []
        for part in parts:
            compiler = self.scratch()
            compiler.reads = set()
            compiler.check(part, level, [])
            found.append((_deepest(compiler.reads | {self.home("candidate")}), part))
        return found

    def test(self, parts: list[tuple[str, Mapping[str, Any]]], level: str, rule_level: str) -> str | None:
        """The conjunction of the parts read at ``level``, or ``None`` if there are none."""
        chosen = [part for at, part in parts if self.home(at) == level]
        if not chosen:
            return None
        return " and ".join(self.condition(part, rule_level, self.scope_var(level)) for part in chosen)

    # -- moments -----------------------------------------------------------------

    def moment(self, spec: Mapping[str, Any], level: str, scope: str, opens: str) -> str:
        """An expression for a moment of a rule fanning out over ``level``."""
        name, uses_opens = self.moment_function(spec, level)
        if uses_opens:
            return f"{name}({scope}, {opens})"
        _, reads = self.reads(lambda c: c.time(spec, level, ["window"]))
        home = self.home(_deepest(reads | {self.home("candidate")}))
        base = spec.get("at")
        if isinstance(base, str) and not {"plus", "minus", "time"} & set(spec):
            return self.fact(base)  # the fact itself
        if isinstance(base, str):
            # counted from a fact: give it the fact as kept, rather than read it again
            return self.memo("m", name, home, f"{name}({self.scope_var(home)}, None, {self.fact(base)})")
        return self.memo("m", name, home, f"{name}({self.scope_var(home)}, None)")

    def moment_function(self, spec: Mapping[str, Any], level: str) -> tuple[str, bool]:
        """A helper ``M<n>(s, opens)`` working out the moment ``spec``; and whether it reads ``opens``."""
        key = json.dumps(spec, sort_keys=True, default=str) + "|" + level
        if ("M", key) in self.shared:
            return self.shared[("M", key)], self.shared[("M?", key)] == "yes"
        body: list[str] = []
        uses_opens = False
        if "at" in spec:
            at = spec["at"]
            if at == "opens":
                body.append("    v = opens")
                uses_opens = True
            elif isinstance(at, str):
                getter = self.constant("F", self.vocabulary.facts[at].get, key=at, about=f"fact {at}")
                body.append(f"    if v is _U:\n        v = {getter}(s)")
            else:
                value, _ = self.reads(lambda c: c.value(at, level, []))
                body.append(f"    v = {self.constant('Q', value, about=describe_fact(at))}(s, opens)")
                uses_opens = True
        else:
            which = next(n for n in ("earliest", "latest", "first") if n in spec)
            calls = []
            for item in spec[which]:
                part, reads_opens = self.moment_function(item, level)
                uses_opens = uses_opens or reads_opens
                calls.append(f"{part}(s, opens)")
            if which == "first":
                body.append(f"    v = {calls[0]}")
                for call in calls[1:]:
                    body.append(f"    if v is None:\n        v = {call}")
            else:
                pick = "min" if which == "earliest" else "max"
                body.append(f"    found = [x for x in ({', '.join(calls)},) if x is not None]")
                body.append(f"    v = {pick}(found) if found else None")
        offsets = []
        if "plus" in spec:
            offsets.append((spec["plus"], 1))
        if "minus" in spec:
            offsets.append((spec["minus"], -1))
        clock = spec.get("time")
        if offsets or clock is not None:
            body.append("    if v is None:\n        return None")
            body.append("    world = s.world\n    cal = world.calendar")
            if spec.get("calendar", "candidate") == "employer":
                body.append("    a = s.application\n    if a is not None and a.employer is not None:\n        cal = a.employer")
            for offset, sign in offsets:
                ((unit, amount),) = offset.items()
                amount = sign * int(amount)
                if unit in ("minutes", "hours"):
                    delta = self.constant("T", dt.timedelta(**{unit: amount}), about=f"{amount} {unit}")
                    body.append(f"    v = v + {delta}")
                elif unit in ("days", "weeks"):
                    body.append(f"    v = cal.add_days(v, {int(amount * (7 if unit == 'weeks' else 1))!r})")
                else:
                    body.append(f"    v = cal.add_business_days(v, {int(amount)!r})")
            if clock == "start_of_day":
                body.append("    v = cal.at_clock(v, cal.workday_start)")
            elif clock == "end_of_day":
                body.append("    v = cal.at_clock(v, cal.workday_end)")
            elif clock is not None:
                hours, minutes = (int(part) for part in str(clock).split(":"))
                body.append(f"    v = cal.at_clock(v, {self.constant('C', dt.time(hours, minutes), about=str(clock))})")
            body.append("    if cal is not world.calendar:\n        v = v.astimezone(world.calendar.tz)")
        body.append("    return v")
        name = self.fresh("M")
        self.helpers.append(f"def {name}(s, opens, v=_U):\n    # {describe_time(spec)!r}\n" + "\n".join(body) + "\n")
        self.shared[("M", key)] = name
        self.shared[("M?", key)] = "yes" if uses_opens else "no"
        return name, uses_opens

    # -- windows -------------------------------------------------------------------

    def window(self, rule: CompiledRule, spec: Mapping[str, Any], level: str, scope: str, indent: str, emit: Callable[[str], list[str]]) -> list[str]:
        """Lines working out a rule's window for the item in ``scope`` (its condition already
        held), then ``emit('(opens, due, expires, channel)')``. Mirrors the engine's
        reference ``_window``."""
        rule_name = self.constant("R", rule, key=rule.id, about=f"rule {rule.id}")
        window = spec["window"]
        lines = [f"o = {self.moment(window['opens'], level, scope, 'None')}", "if o is not None:"]
        inner: list[str] = []
        fitted = "True"
        channel = "None"
        if rule.fit is not None and rule.fit_media is not None:
            inner += [f"ch = {rule_name}.channel({scope})", f"fitted = ch in {rule_name}.fit_media"]
            channel, fitted = "ch", "fitted"
            inner += ["if fitted:", f"    o = {rule_name}.fit({scope}, o, o)[0]"]
        elif rule.fit is not None:
            inner.append(f"o = {rule_name}.fit({scope}, o, o)[0]")
        inner += [f"d = {self.moment(window['due'], level, scope, 'o')}", "if d is not None:"]
        last: list[str] = []
        if rule.fit is not None:
            if fitted == "True":
                last.append(f"o, d = {rule_name}.fit({scope}, o, d)")
            else:
                last += ["if fitted:", f"    o, d = {rule_name}.fit({scope}, o, d)"]
        expires = self.moment(window["expires"], level, scope, "o") if "expires" in window else "None"
        last += emit(f"(o, d, {expires}, {channel})")
        lines += _indent(inner + _indent(last, "    "), "    ")
        return _indent(lines, indent)

    # -- the two functions ---------------------------------------------------------

    def rules_by_level(self) -> dict[str, list[tuple[CompiledRule, Mapping[str, Any]]]]:
        specs = {spec["id"]: spec for spec in self.rulebook.document.get("rules", [])}
        found: dict[str, list[tuple[CompiledRule, Mapping[str, Any]]]] = {}
        for rule in self.rulebook.rules:
            found.setdefault(rule.for_each, []).append((rule, specs[rule.id]))
        return found

    def candidate_function(self, rules: list[tuple[CompiledRule, Mapping[str, Any]]]) -> str:
        self.in_candidate = True
        self.memos = {}
        body: list[str] = []
        for rule, spec in rules:
            rule_name = self.rule_name(rule)
            body.append(f"    # {rule_name}: rule {rule.id!r}")
            parts = self.conjuncts(spec.get("when"), "candidate")
            test = self.test(parts, "candidate", "candidate")
            indent = "    "
            if test is not None:
                body.append(f"    if {test}:")
                indent = "        "
            body += self.window(rule, spec, "candidate", "sc", indent, _out(rule_name, "sc"))
        self.in_candidate = False
        head = ["def candidate(world, out):", "    sc = Scope(world)"]
        head += [f"    {name} = _U" for name in self.memos.get("candidate", [])]
        return "\n".join(head + body + ["    return None"]) + "\n"

    def loop(self, flags: list[str], header: str, item: str, level: str, lines: list[str]) -> list[str]:
        """A loop over the items of ``level``, run when one of ``flags`` holds: ``lines`` for each."""
        head = [f"if {' or '.join(flags)}:", f"    {header}", f"        {item}"]
        return head + [f"        {name} = _U" for name in self.memos.get(level, [])] + _indent(lines, "        ")

    def application_function(self, levels: dict[str, list[tuple[CompiledRule, Mapping[str, Any]]]]) -> str:
        self.memos = {}
        app: list[str] = []  # in the application's body
        interview: list[str] = []  # in the loop over its interviews
        person: list[str] = []  # in the loop over an interview's interviewers
        reference: list[str] = []  # in the loop over the references
        interview_flags: list[str] = []  # a loop runs only when one of its rules may apply
        person_flags: list[str] = []
        reference_flags: list[str] = []

        def flag(lines: list[str], test: str | None, prefix: str) -> str:
            name = self.fresh(prefix)
            lines.append(f"{name} = {test if test is not None else 'True'}")
            return name

        for rule, spec in levels.get("application", []):
            rule_name = self.rule_name(rule, app)
            test = self.test(self.conjuncts(spec.get("when"), "application"), "application", "application")
            indent = "    " if test is not None else ""
            if test is not None:
                app.append(f"if {test}:")
            app += self.window(rule, spec, "application", "sa", indent, _out(rule_name, "sa"))

        for rule, spec in levels.get("interview", []):
            rule_name = self.rule_name(rule, app, interview)
            parts = self.conjuncts(spec.get("when"), "interview")
            outer = flag(app, self.test(parts, "application", "interview"), "k")
            interview_flags.append(outer)
            here = self.test(parts, "interview", "interview")
            interview.append(_guard(outer, here))
            interview += self.window(rule, spec, "interview", "si", "    ", _out(rule_name, "si"))

        for rule, spec in levels.get("interviewer", []):
            rule_name = self.rule_name(rule, app, interview, person)
            parts = self.conjuncts(spec.get("when"), "interviewer")
            outer = flag(app, self.test(parts, "application", "interviewer"), "k")
            interview_flags.append(outer)
            if rule.shared_window:
                # worked out once per interview; its interviewers each get the window
                held = self.fresh("w")
                here = self.test(parts, "interview", "interviewer")
                interview.append(f"{held} = None")
                interview.append(_guard(outer, here))

                def keep(w: str, held: str = held, distinct: bool = rule.distinct) -> list[str]:
                    window = [f"{held} = {w}"]
                    if not distinct:  # an expired window of a non-distinct rule replaces nothing
                        window.append(f"if {held}[2] is not None and now >= {held}[2]:\n    {held} = None")
                    return window

                interview += self.window(rule, spec, "interview", "si", "    ", keep)
                person_flags.append(f"{held} is not None")
                person.append(f"if {held} is not None:\n    out(({rule_name}, sp) + {held})")
                continue
            inner = flag(interview, None, "k")
            test_iv = self.test(parts, "interview", "interviewer")
            interview[-1] = f"{inner} = {outer}" + (f" and {test_iv}" if test_iv is not None else "")
            person_flags.append(inner)
            here = self.test(parts, "interviewer", "interviewer")
            person.append(_guard(inner, here))
            person += self.window(rule, spec, "interviewer", "sp", "    ", _out(rule_name, "sp"))

        for rule, spec in levels.get("reference", []):
            rule_name = self.rule_name(rule, app, reference)
            parts = self.conjuncts(spec.get("when"), "reference")
            test = self.test(parts, "application", "reference")
            if rule.shared_window:
                held = self.fresh("w")
                app.append(f"{held} = None")
                indent = ""
                if test is not None:
                    app.append(f"if {test}:")
                    indent = "    "

                def keep_reference(w: str, held: str = held) -> list[str]:
                    return [f"{held} = {w}", f"if {held}[2] is not None and now >= {held}[2]:\n    {held} = None"]

                app += self.window(rule, spec, "reference", "sa", indent, keep_reference)
                reference_flags.append(f"{held} is not None")
                reference.append(f"if {held} is not None:\n    out(({rule_name}, sr) + {held})")
                continue
            outer = flag(app, test, "k")
            reference_flags.append(outer)
            here = self.test(parts, "reference", "reference")
            reference.append(_guard(outer, here))
            reference += self.window(rule, spec, "reference", "sr", "    ", _out(rule_name, "sr"))

        body = ["def application(world, view, out):", "    now = world.now", "    sa = Scope(world, view)"]
        body += [f"    {name} = _U" for name in self.memos.get("application", [])]
        body += _indent(app, "    ")
        if person_flags:
            interview += self.loop(person_flags, "for person in interview.interviewers:", "sp = Scope(world, view, interview, person)", "interviewer", person)
        if interview_flags:
            body += _indent(self.loop(interview_flags, "for interview in view.application.interviews:", "si = Scope(world, view, interview)", "interview", interview), "    ")
        if reference_flags:
            body += _indent(self.loop(reference_flags, "for reference in world.candidate.references:", "sr = Scope(world, view, reference=reference)", "reference", reference), "    ")
        body.append("    return None")
        return "\n".join(body) + "\n"


def generate(rulebook: Rulebook) -> Program:
    """Write, compile and return the :class:`Program` of ``rulebook``."""
    generator = _Generator(rulebook)
    levels = generator.rules_by_level()
    candidate = generator.candidate_function(levels.get("candidate", []))
    application = generator.application_function(levels)
    constants = sorted(
        (name for name in generator.names if name[0] in "FQPRTC" and name[1:].isdigit()),
        key=lambda name: (name[0], int(name[1:])),
    )
    header = [
        "# Generated by followup from a validated rulebook; values from the rulebook",
        "# appear only as repr() literals. Names in the namespace, by letter:",
        "# F fact getters, Q contact-log questions, P operators, R compiled rules,",
        "# T time spans, C times of day; M helpers work out moments. _U: not worked out yet.",
        *(f"#   {name}: {generator.legend[name]!r}" for name in constants),
        "",
    ]
    source = "\n".join(header) + "\n".join(generator.helpers) + "\n" + candidate + "\n" + application
    namespace = dict(generator.names)
    code = compile(source, "<followup rulebook>", "exec")
    exec(code, namespace)  # the source was generated above from validated data only
    return Program(source=source, candidate=namespace["candidate"], application=namespace["application"], namespace=namespace)
