"""The engine: a compiled rulebook applied to a state at one instant.

``Engine(rulebook).evaluate(state, now)`` is pure: it reads no clock, does no I/O and
calls nothing but the callables the rulebook was compiled into. The loop:

1. fan each rule out over its items (candidate, applications, interviews,
   interviewers, references) and keep those whose condition holds;
2. work out each action's window and key; settle what the log already did
   (``done``), what is not open yet (``upcoming``) and what has expired (dropped);
3. in priority order, let each open action through its caps — counting the
   ones let through as if sent now — or hold it back (``suppressed``);
4. note the earliest instant at which anything above can change: ``next_wake_at``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Iterator
from functools import partial

from .._errors import InvalidInput
from .._time import UTC, format_local, their_clock, zone_name
from ..rules import (
    ApplicationView,
    CompiledRule,
    LogView,
    Patience,
    Program,
    Rulebook,
    Scope,
    StateView,
    Window,
    generate,
)
from ..state import Contact, Interview, State
from ._agenda import Action, Agenda, Why
from ._caps import CapLedger, Hold

__all__ = ["Engine"]


class _Draft:
    """An action whose status is not settled yet."""

    __slots__ = ("channel", "done_at", "due", "expires", "hold", "key", "opens", "reason", "rule", "scope", "status")

    def __init__(self, rule: CompiledRule, scope: Scope, key: str, opens: dt.datetime, due: dt.datetime, expires: dt.datetime | None) -> None:
        self.rule = rule
        self.scope = scope
        self.key = key
        self.opens = opens
        self.due = due
        self.expires = expires
        self.status = ""
        #: why it has its status: the words, or what writes them when they are read
        self.reason: str | Why = ""
        self.hold: Hold | None = None
        self.done_at: dt.datetime | None = None
        #: the channel, when working it out was part of the window
        self.channel: str | None = None


def _fan_out(rule: CompiledRule, world: StateView, view: ApplicationView | None) -> Iterator[Scope]:
    level = rule.for_each
    if level == "candidate":
        yield Scope(world)
        return
    assert view is not None
    if level == "application":
        yield Scope(world, view)
    elif level == "interview":
        for interview in view.application.interviews:
            yield Scope(world, view, interview)
    elif level == "interviewer":
        for interview in view.application.interviews:
            for person in interview.interviewers:
                yield Scope(world, view, interview, person)
    elif level == "reference":
        for reference in world.candidate.references:
            yield Scope(world, view, reference=reference)


def _window(
    rule: CompiledRule, scope: Scope
) -> tuple[dt.datetime, dt.datetime, dt.datetime | None, str | None] | None:
    """The rule's window for this item, or ``None`` when its condition fails or a moment is unset."""
    if rule.condition is not None and not rule.condition(scope):
        return None
    opens = rule.opens(scope, None)
    if opens is None:
        return None
    fit = rule.fit
    channel = None
    if fit is not None and rule.fit_media is not None:
        # only some media go in working time: it depends on this item's channel
        channel = rule.channel(scope)
        if channel not in rule.fit_media:
            fit = None
    if fit is not None:
        # into the recipient's working time: the opening first, so that a due time
        # counted from it ('at: opens') starts from where the window really opens
        opens = fit(scope, opens, opens)[0]
    due = rule.due(scope, opens)
    if due is None:
        return None
    if fit is not None:
        opens, due = fit(scope, opens, due)
    return opens, due, rule.expires(scope, opens) if rule.expires is not None else None, channel


def _shared_fan_out(
    rule: CompiledRule, world: StateView, view: ApplicationView
) -> Iterator[tuple[Scope, Callable[[], Iterator[Scope]]]]:
    """For rules whose window reads nothing of the person: one shared item per
    interview (or per application), and a way to fan out over its people."""
    if rule.for_each == "interviewer":
        for interview in view.application.interviews:

            def interviewers(interview: Interview = interview) -> Iterator[Scope]:
                for person in interview.interviewers:
                    yield Scope(world, view, interview, person)

            yield Scope(world, view, interview), interviewers
    else:

        def references() -> Iterator[Scope]:
            for reference in world.candidate.references:
                yield Scope(world, view, reference=reference)

        yield Scope(world, view), references


def _stem(rule: CompiledRule, scope: Scope) -> str:
    """The key without its occurrence: rule, application, interview, recipient.

    Empty parts in the middle stay empty; trailing empty ones are dropped.
    """
    application = scope.application.id if scope.application is not None else ""
    interview = scope.interview.id if scope.interview is not None and not rule.distinct else ""
    person = scope.interviewer if scope.interviewer is not None else scope.reference
    if person is not None:
        return f"{rule.id}:{application}:{interview}:{person.id}"
    if interview:
        return f"{rule.id}:{application}:{interview}"
    return f"{rule.id}:{application}" if application else rule.id


def _key(rule: CompiledRule, scope: Scope, opens: dt.datetime) -> str:
    stem = _stem(rule, scope)
    if rule.repeats:
        return f"{stem}:{opens.astimezone(UTC).strftime('%Y%m%dT%H%MZ')}"
    return stem


class Engine:
    """Evaluates one compiled rulebook against states.

    :param rulebook: from :func:`followup.load_rulebook`; the packaged default
        rulebook when left out.
    :param reference: find the windows with the closures the rulebook was compiled
        into, rule by rule, instead of with the Python code generated from it
        (:func:`followup.rules.generate`). Both give the same agenda; the reference
        evaluation is the plainer one, kept to check the generated code against.

    Writing and compiling the code costs about as much as evaluating a few hundred
    applications, so an engine generates it the second time it evaluates (or when
    :attr:`program` is first read): a command that evaluates one state once never pays
    for it, a dispatcher or a batch pays once.
    """

    def __init__(self, rulebook: Rulebook | None = None, *, reference: bool = False) -> None:
        if rulebook is None:
            from ..rules import load_rulebook

            rulebook = load_rulebook()
        self.rulebook = rulebook
        self.patience = patience_of(rulebook)
        self.reference = reference
        self._program: Program | None = None
        self._evaluated = False
        self._candidate_rules = tuple(r for r in rulebook.rules if r.for_each == "candidate")
        self._application_rules = tuple(r for r in rulebook.rules if r.for_each != "candidate")

    @property
    def program(self) -> Program:
        """The Python code generated from the rulebook, compiled (generated on first use)."""
        if self._program is None:
            self._program = generate(self.rulebook)
        return self._program

    def evaluate(
        self,
        state: State,
        now: dt.datetime,
        *,
        applications: Collection[str] | None = None,
        candidate: bool = True,
    ) -> Agenda:
        """Every action the rulebook asks for in ``state`` as of ``now``.

        :param now: an aware datetime; naive ones are refused.
        :param applications: work out the actions of these applications (by id)
            only; the others still count as facts (a competing offer, the number of
            active applications, contacts under caps that span applications). Default:
            every application. A dispatcher handling one application at a time uses it
            so that its cost follows what is due, not what is stored.
        :param candidate: whether to work out the candidate-wide actions (rules with
            ``for_each: candidate``).
        """
        return self._evaluate(state, now, applications, candidate)[0]

    def evaluate_items(self, state: State, now: dt.datetime) -> tuple[Agenda, dict[str, Scope]]:
        """The agenda of :meth:`evaluate`, and for each action's key the item it was worked out for.

        For ``followup explain``, which traces the rule on exactly that item.
        """
        agenda, drafts = self._evaluate(state, now, None, True)
        return agenda, {key: draft.scope for key, draft in drafts.items() if draft.status}

    def _evaluate(
        self, state: State, now: dt.datetime, applications: Collection[str] | None, candidate: bool
    ) -> tuple[Agenda, dict[str, _Draft]]:
        if now.tzinfo is None or now.utcoffset() is None:
            raise InvalidInput.single("now", f"{now.isoformat()} has no time zone; pass an aware datetime")
        world = StateView(state, now, self.patience)
        drafts: dict[str, _Draft] = {}
        wake: list[dt.datetime] = world.coming_changes()
        wanted = None if applications is None else frozenset(applications)
        if not self.reference and (self._program is not None or self._evaluated):
            self._gather(world, wanted, candidate, drafts)
        else:
            if candidate:
                for rule in self._candidate_rules:
                    self._consider(rule, world, None, drafts)
            for view in world.applications:
                if wanted is not None and view.application.id not in wanted:
                    continue
                for rule in self._application_rules:
                    self._consider(rule, world, view, drafts)
        self._evaluated = True
        self._settle(world, drafts.values(), wake)
        actions = sorted(
            (self._action(d) for d in drafts.values() if d.status),
            key=lambda a: (a.due_at, a.priority, a.key),
        )
        future = [w for w in wake if w > now]
        return Agenda(now=now, actions=tuple(actions), next_wake_at=min(future) if future else None), drafts

    def _gather(self, world: StateView, wanted: frozenset[str] | None, candidate: bool, drafts: dict[str, _Draft]) -> None:
        """The drafts of the generated program: what :meth:`_consider` finds rule by rule."""
        program = self.program
        now = world.now

        def found(window: Window) -> None:
            rule, scope, opens, due, expires, channel = window
            key = _key(rule, scope, opens)
            if expires is not None and now >= expires:
                drafts.pop(key, None)  # as in _consider: expired, done or not
                return
            draft = drafts[key] = _Draft(rule, scope, key, opens, due, expires)
            draft.channel = channel

        if candidate:
            program.candidate(world, found)
        for view in world.applications:
            if wanted is None or view.application.id in wanted:
                program.application(world, view, found)

    def _consider(self, rule: CompiledRule, world: StateView, view: ApplicationView | None, drafts: dict[str, _Draft]) -> None:
        now = world.now
        if rule.shared_window and view is not None:
            # Worked out once per interview (or application), shared by its people.
            for shared, people in _shared_fan_out(rule, world, view):
                window = _window(rule, shared)
                if window is None:
                    continue
                opens, due, expires, channel = window
                if expires is not None and now >= expires:
                    if rule.distinct:  # the latest interview decides, as below
                        for scope in people():
                            drafts.pop(_key(rule, scope, opens), None)
                    continue
                for scope in people():
                    key = _key(rule, scope, opens)
                    draft = drafts[key] = _Draft(rule, scope, key, opens, due, expires)
                    draft.channel = channel
            return
        for scope in _fan_out(rule, world, view):
            window = _window(rule, scope)
            if window is None:
                continue
            opens, due, expires, channel = window
            key = _key(rule, scope, opens)
            if expires is not None and now >= expires:
                # No longer worth doing, done or not: dropped (replacing an earlier
                # draft with the same key, so the latest interview decides).
                drafts.pop(key, None)
                continue
            draft = drafts[key] = _Draft(rule, scope, key, opens, due, expires)
            draft.channel = channel

    def _settle(self, world: StateView, drafts: object, wake: list[dt.datetime]) -> None:
        now = world.now
        tz = world.calendar.tz
        open_drafts: list[_Draft] = []
        for draft in drafts:  # type: ignore[attr-defined]
            assert isinstance(draft, _Draft)
            rule, scope = draft.rule, draft.scope
            if draft.expires is not None:
                wake.append(draft.expires)  # then it leaves the agenda, whatever its status
            # Only a log with entries naming actions (or retiring) can settle one by hand.
            settled = _bookkeeping(scope.view, draft.key) if scope.view.marked else None
            if settled is not None:
                entry, status = settled
                if status == "done":
                    draft.status, draft.done_at = "done", entry.at
                    draft.reason = partial(_done_reason, entry, tz)
                    continue
                if entry.until is not None and entry.until > now:
                    draft.status = "upcoming"
                    draft.reason = partial(_snoozed_reason, entry.until, tz)
                    wake.append(entry.until)
                    continue
            contact = rule.done(scope, draft.opens) if rule.done is not None else None
            if contact is not None:
                draft.status, draft.done_at = "done", contact.at
                draft.reason = partial(_done_reason, contact, tz)
                continue
            if now < draft.opens:
                draft.status = "upcoming"
                draft.reason = partial(_upcoming_reason, draft.opens, draft.due, scope, tz)
                wake.append(draft.opens)
                continue
            open_drafts.append(draft)
        ledger = CapLedger(world, self.rulebook.caps.values())
        open_drafts.sort(
            key=lambda d: (
                d.rule.priority,
                d.scope.application.priority if d.scope.application is not None else 0,
                d.due,
                d.key,
            )
        )
        for draft in open_drafts:
            scope = draft.scope
            holds = [h for h in (ledger.check(cap, scope.view, scope.recipient) for cap in draft.rule.caps) if h]
            if holds:
                frees = [h.frees_at for h in holds]
                latest = None if any(f is None for f in frees) else max(f for f in frees if f is not None)
                hold = next(h for h in holds if h.frees_at == latest)  # latest is one of them
                draft.status, draft.hold = "suppressed", Hold(hold.cap, "; ".join(h.reason for h in holds), latest)
                draft.reason = "held back by " + draft.hold.reason
                if latest is not None:
                    wake.append(latest)
                continue
            ledger.record(draft.rule.kind, draft.key, scope.view, scope.recipient)
            if now < draft.due:
                draft.status = "due"
                draft.reason = partial(_due_reason, "due by ", draft.due, "", scope, tz)
                wake.append(draft.due)
            else:
                draft.status = "overdue"
                draft.reason = partial(_due_reason, "was due ", draft.due, "; still worth doing", scope, tz)

    @staticmethod
    def _action(draft: _Draft) -> Action:
        scope = draft.scope
        application = scope.application
        hold = draft.hold
        return Action(
            key=draft.key,
            rule=draft.rule.id,
            kind=draft.rule.kind,
            status=draft.status,
            application=application.id if application is not None else None,
            interview=scope.interview.id if scope.interview is not None else None,
            recipient=scope.recipient,
            channel=draft.channel if draft.channel is not None else draft.rule.channel(scope),
            opens_at=draft.opens,
            due_at=draft.due,
            reason=draft.reason,  # type: ignore[arg-type]  # words, or what writes them (Action takes both)
            expires_at=draft.expires,
            company=application.company if application is not None else None,
            position=application.position if application is not None else None,
            recipient_name=scope.recipient_name,
            priority=draft.rule.priority,
            cap=hold.cap if hold is not None else None,
            frees_at=hold.frees_at if hold is not None else None,
            done_at=draft.done_at,
            message=draft.rule.message,
            employer_timezone=_employer_zone(scope) if application is not None and application.employer is not None else None,
        )


def patience_of(rulebook: Rulebook) -> Patience | None:
    """The rulebook's patience (for the facts about unanswered chases and going quiet):
    its patience cap with ``quiet_after``, else its first patience cap."""
    caps = [cap for cap in rulebook.caps.values() if cap.since_reply and cap.max is not None]
    cap = next((c for c in caps if c.quiet_after is not None), caps[0] if caps else None)
    if cap is None or cap.max is None:
        return None
    return Patience(kinds=cap.kinds, max=cap.max, quiet_after=cap.quiet_after)


def _employer_zone(scope: Scope) -> str | None:
    """The employer's zone name, when it is not the candidate's."""
    application = scope.application
    employer = application.employer if application is not None else None
    if employer is None or employer.tz is scope.world.calendar.tz:
        return None
    name = zone_name(employer.tz)
    return None if name == zone_name(scope.world.calendar.tz) else name


def _bookkeeping(view: LogView, key: str) -> tuple[Contact, str] | None:
    """How a person settled this action by hand: done, dismissed, retired or snoozed."""
    found: tuple[Contact, str] | None = None
    for entry in view.log:
        if entry.kind == "retired":
            return entry, "done"
        if entry.action != key:
            continue
        if entry.kind == "snoozed":
            found = (entry, "snoozed")
        else:
            return entry, "done"
    return found


def _snoozed_reason(until: dt.datetime, tz: dt.tzinfo) -> str:
    return f"snoozed until {format_local(until, tz)}"


def _upcoming_reason(opens: dt.datetime, due: dt.datetime, scope: Scope, tz: dt.tzinfo) -> str:
    theirs = _employer_zone(scope)
    return (
        f"opens {format_local(opens, tz)}{their_clock(opens, theirs)}, "
        f"due {format_local(due, tz)}{their_clock(due, theirs)}"
    )


def _due_reason(before: str, due: dt.datetime, after: str, scope: Scope, tz: dt.tzinfo) -> str:
    theirs = _employer_zone(scope)
    return f"{before}{format_local(due, tz)}{their_clock(due, theirs)}{after}"


def _done_reason(entry: Contact, tz: dt.tzinfo) -> str:
    when = format_local(entry.at, tz)
    if entry.kind == "dismissed":
        why = f": {entry.note}" if entry.note else ""
        return f"dismissed {when}{why}"
    if entry.kind == "retired":
        return f"application retired {when}"
    if entry.direction == "in":
        return f"settled by the employer's {entry.kind.replace('_', ' ')} {when}"
    to = f" to {entry.to}" if entry.to else ""
    return f"done: {entry.kind.replace('_', ' ')}{to} {when}"
