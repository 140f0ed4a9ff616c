"""Stores: where the state, the contact log, the outbox and the wake index live.

A store holds one candidate's state (the candidate, their applications with their
interviews and interviewers, their references), the contact log, the *outbox*
(every action the dispatcher claimed, with its attempts and outcome) and the
*wake index*: for each application, and for the candidate's own log, the instant
at which its agenda can next change (``next_wake_at``). A dispatcher tick asks the
store only for what is due, so its cost follows what is due, not what is stored.

Backends implement :class:`Store` and are contributed by plugins through the
``followup_register_stores`` hook as :class:`followup.StoreSpec` objects, chosen by
the scheme of a store URL (``memory:``, ``sqlite:///path``, ``postgresql://...``).
:mod:`followup.testing.stores` holds the conformance suite every backend must pass.

Subjects: the wake index and the outbox are keyed by *subject*, an application id,
or :data:`JOURNAL` (the empty string) for the candidate's own log.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Callable, Collection, Iterator, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from .._errors import FollowupError, InvalidInput
from .._time import UTC, HolidaySet, zone_name
from ..engine import Action
from ..plugins import collect, describe, registry
from ..state import Application, Candidate, Contact, Interview, Interviewer, Proposal, State

__all__ = [
    "JOURNAL",
    "OUTBOX_STATUSES",
    "Activation",
    "ImportReport",
    "OutboxEntry",
    "Store",
    "StoreError",
    "StoreSpec",
    "SubjectFault",
    "action_from_dict",
    "application_to_document",
    "collect_stores",
    "contact_to_document",
    "default_store_url",
    "get_stores",
    "open_store",
    "state_to_document",
]

#: the subject of the candidate's own log in the wake index and the outbox
JOURNAL = ""

#: what can happen to a claimed action, in the order a person wants to read them
OUTBOX_STATUSES = ("uncertain", "failed", "retrying", "parked", "claimed", "delivered")

#: statuses whose contact stays in the log (it happened, or may have)
COUNTED_STATUSES = frozenset({"claimed", "retrying", "uncertain", "delivered"})


class StoreError(FollowupError):
    """A store that cannot be used: unreachable, locked, full, or from a newer followup."""


@dataclass(frozen=True)
class OutboxEntry:
    """One action the dispatcher claimed, and what became of it.

    :ivar key: the action's key; a key is claimed at most once, ever.
    :ivar identity: the action's :attr:`~followup.Action.identity` (what the person
        receives); an identity is claimed at most once too, whichever rule asks.
    :ivar application: the subject (an application id, or ``""`` for the candidate).
    :ivar status: ``claimed`` (being delivered), ``delivered``, ``retrying`` (a
        transient failure; tried again from ``next_attempt_at``), ``parked`` (the
        active rulebook no longer asks for it at the moment; ``error`` says why; sent
        when it is asked for again), ``failed`` (for good; ``error`` says why) or
        ``uncertain`` (it may or may not have gone out through a channel that cannot
        be asked twice, and is never sent again without a person deciding).
    :ivar attempts: delivery attempts so far.
    :ivar channel: the channel it was routed to; ``idempotent`` is that channel's flag.
    :ivar lease_until: while ``claimed``, when the claim is considered abandoned
        (its worker died) and recovered.
    :ivar action: the action as :meth:`followup.Action.to_dict` gave it.
    :ivar receipt: what the channel reported (``reference`` and ``detail``).
    """

    key: str
    application: str
    status: str
    attempts: int
    channel: str
    idempotent: bool
    claimed_at: dt.datetime
    updated_at: dt.datetime
    action: Mapping[str, Any]
    error: str | None = None
    next_attempt_at: dt.datetime | None = None
    lease_until: dt.datetime | None = None
    receipt: Mapping[str, Any] | None = None
    identity: str = ""

    def __post_init__(self) -> None:
        if not self.identity:
            object.__setattr__(self, "identity", identity_of(self.action, self.key))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready mapping (``followup outbox --format json``)."""
        return {
            "key": self.key,
            "identity": self.identity,
            "application": self.application or None,
            "status": self.status,
            "attempts": self.attempts,
            "channel": self.channel,
            "idempotent": self.idempotent,
            "claimed_at": _iso(self.claimed_at),
            "updated_at": _iso(self.updated_at),
            "next_attempt_at": _iso(self.next_attempt_at),
            "lease_until": _iso(self.lease_until),
            "error": self.error,
            "receipt": dict(self.receipt) if self.receipt is not None else None,
            "action": dict(self.action),
        }


def identity_of(action: Mapping[str, Any], key: str) -> str:
    """The identity of a stored action (see :attr:`followup.Action.identity`)."""
    from ..engine import action_identity

    kind, rule = action.get("kind"), action.get("rule")
    if not isinstance(kind, str) or not isinstance(rule, str):
        return key
    return action_identity(kind, rule, key)


@dataclass(frozen=True)
class SubjectFault:
    """A subject (an application, or ``""`` for the candidate's own log) that the
    dispatcher could not work on: why, and since when. Cleared by its next good pass."""

    subject: str
    error: str
    at: dt.datetime


@dataclass(frozen=True)
class Activation:
    """One entry of the activation history: a rulebook or channel configuration that
    became the active one, for every worker sharing the store.

    :ivar kind: ``rules`` or ``config``.
    :ivar fingerprint: SHA-256 of the document's canonical JSON text.
    :ivar document: the merged rulebook, or the configuration, as plain JSON data.
    :ivar source: the files it was read from, for people.
    :ivar activated_by: ``user@host`` of whoever activated it.
    :ivar summary: what changed from the previous active one.
    """

    kind: str
    fingerprint: str
    document: Mapping[str, Any]
    source: str
    activated_at: dt.datetime
    activated_by: str
    summary: str = ""


@dataclass(frozen=True)
class ImportReport:
    """What an import changed; all zeros when the same state was imported before."""

    candidate_changed: bool = False
    applications_added: int = 0
    applications_changed: int = 0
    contacts_added: int = 0
    changed_subjects: tuple[str, ...] = field(default=())

    @property
    def changed(self) -> bool:
        return bool(self.candidate_changed or self.applications_added or self.applications_changed or self.contacts_added)

    def __str__(self) -> str:
        if not self.changed:
            return "nothing new: the store already holds this state"
        parts = []
        if self.candidate_changed:
            parts.append("candidate updated")
        if self.applications_added:
            parts.append(f"{self.applications_added} application(s) added")
        if self.applications_changed:
            parts.append(f"{self.applications_changed} application(s) updated")
        if self.contacts_added:
            parts.append(f"{self.contacts_added} contact(s) added")
        return ", ".join(parts)


@runtime_checkable
class Store(Protocol):
    """What the dispatcher and the command line need from a storage backend.

    Every instant passed in is aware; every instant returned is aware (UTC).
    Methods are safe to call inside :meth:`locked`, and then take part in its
    transaction.
    """

    url: str

    def close(self) -> None:
        """Release connections and files; the store is unusable afterwards."""

    # -- state ------------------------------------------------------------

    def import_state(self, state: State) -> ImportReport:
        """Merge ``state`` in: the candidate and applications are replaced by the
        imported ones, contacts are added unless an identical one is logged already,
        and nothing is deleted. Importing the same state twice changes nothing.
        Every subject that changed is due for evaluation at once."""

    def export_document(self) -> dict[str, Any]:
        """The whole state as a state document (what :func:`followup.load_state` reads)."""

    def has_state(self) -> bool:
        """Whether a candidate has been imported."""

    def load_state(
        self, applications: Collection[str] | None = None, *, heads: str = "none", as_of: dt.datetime | None = None
    ) -> State:
        """The state with the given applications in full (``None``: all of them).

        :param heads: which other applications to add without their interviews and
            contacts, for facts spanning applications: ``"none"``, ``"offers"`` (the
            ones at the offer stage) or ``"all"``.
        :param as_of: with ``heads="offers"``, only the offers the facts can depend
            on at that instant: the newest received by then of each priority, and the
            next one to come. A store answers this from an index, so the cost does
            not grow with the number of offers stored.
        :raises StoreError: when no candidate has been imported.
        """

    def applications_of_company(self, application: str) -> list[str]:
        """The ids of the applications at the same company as ``application`` (itself included)."""

    def record_contact(self, application: str | None, contact: Contact) -> None:
        """Append to an application's log (``None``: the candidate's); makes it due."""

    def set_status(self, application: str, status: str, at: dt.datetime) -> None:
        """Change an application's status as of ``at``; makes it due."""

    def add_interview(self, application: str, interview: Interview) -> None:
        """Add an interview, or replace the one with the same id; makes it due."""

    # -- wake index -------------------------------------------------------

    def lease_due(self, now: dt.datetime, *, limit: int, worker: str, lease: dt.timedelta) -> list[str]:
        """Take up to ``limit`` subjects whose ``next_wake_at`` has come and that no
        other worker holds, and hold them until ``now + lease``. Concurrent callers
        get disjoint subjects."""

    def peek_due(self, now: dt.datetime, *, limit: int) -> list[str]:
        """The subjects :meth:`lease_due` would take, without taking them (dry runs)."""

    def release(self, subject: str, next_wake_at: dt.datetime | None, *, fault: SubjectFault | None = None) -> None:
        """Let go of a leased subject and set when it wakes next (``None``: only when
        its state changes). ``fault`` records why it could not be worked on (listed
        by :meth:`faults`); releasing without one clears an earlier fault."""

    def faults(self) -> list[SubjectFault]:
        """The subjects whose last pass failed, by subject."""

    def next_wake_at(self) -> dt.datetime | None:
        """The earliest ``next_wake_at`` of any subject."""

    # -- outbox -----------------------------------------------------------

    def locked(self, subject: str) -> AbstractContextManager[None]:
        """A transaction holding the lock of one subject: no other worker claims
        or records for it until the block ends; leaving the block by an exception
        rolls back everything done inside it."""

    def claim(self, entry: OutboxEntry, contact: Contact | None) -> bool:
        """Record a claim and the contact it will be (``None`` for a task that contacts
        nobody), atomically; ``False`` (and nothing written) if the key, or the
        identity, was claimed before."""

    def unpark(self, key: str, *, now: dt.datetime, lease_until: dt.datetime, action: Mapping[str, Any], contact: Contact | None) -> bool:
        """Take a ``parked`` claim up again: ``claimed`` with one more attempt, the
        current form of its action, and its contact logged again; ``False`` (nothing
        written) if it is not parked."""

    def forget(self, key: str) -> bool:
        """Delete a claim and its contact, so the action can be claimed again (a person
        decided that an ``uncertain`` or ``failed`` one did not go out); makes its
        subject due. ``False`` if there was no such claim."""

    def outbox_entry(self, key: str) -> OutboxEntry | None:
        """The claim of one action key."""

    def outbox_entry_for(self, identity: str) -> OutboxEntry | None:
        """The claim of one action identity, whatever rule made it."""

    def update_outbox(
        self,
        key: str,
        *,
        status: str,
        now: dt.datetime,
        attempts: int | None = None,
        error: str | None = None,
        next_attempt_at: dt.datetime | None = None,
        lease_until: dt.datetime | None = None,
        receipt: Mapping[str, Any] | None = None,
    ) -> None:
        """Record what happened to a claim. Moving to ``failed`` or ``parked`` removes
        the claim's contact from the log (it has not happened); every other status
        keeps it."""

    def outbox(self, statuses: Collection[str] | None = None, *, application: str | None = None) -> list[OutboxEntry]:
        """Claims, oldest first, optionally only those with these statuses or subject."""

    # -- activations -------------------------------------------------------

    def activate(self, activation: Activation) -> None:
        """Make ``activation`` the active one of its kind and record it in the history;
        every subject becomes due, so that what it changes is found at once."""

    def activations(self, kind: str) -> list[Activation]:
        """The history of one kind, oldest first; the last one is active."""


# ---------------------------------------------------------------------------
# Store URLs
# ---------------------------------------------------------------------------


def default_store_url() -> str:
    """``FOLLOWUP_STORE``, or a SQLite file in the user's data directory."""
    url = os.environ.get("FOLLOWUP_STORE", "").strip()
    if url:
        return url
    import platformdirs

    path = platformdirs.user_data_path("followup", appauthor=False) / "followup.sqlite3"
    return f"sqlite:///{path}"


def open_store(url: str | None = None, *, create: bool = True) -> Store:
    """Open the store at ``url`` (default: :func:`default_store_url`).

    :param create: for file-backed stores, create the database if it is missing;
        with ``False`` a missing one is an error telling to run ``followup init``.
    :raises InvalidInput: for a URL that does not parse or whose scheme no
        installed plugin serves (the message lists the schemes that would do).
    """
    if url is None:
        url = default_store_url()
    scheme, sep, _ = url.partition(":")
    if not sep or not scheme or not scheme.replace("+", "").replace("-", "").replace(".", "").isalnum():
        raise InvalidInput.single(
            "--store", f"{url!r} is not a store URL; use memory:, sqlite:///PATH or postgresql://HOST/DB"
        )
    specs = store_specs()
    spec = specs.get(scheme.lower())
    if spec is None:
        known = ", ".join(f"{s}:" for s in sorted(specs)) or "none"
        hint = " (pip install followup-postgresql)" if scheme.startswith("postgres") else ""
        raise InvalidInput.single("--store", f"no installed store serves {scheme + ':'!r}{hint}; installed: {known}")
    opener = spec.open
    try:
        store = opener(url, create=create) if _accepts_create(opener) else opener(url)
    except FollowupError:
        raise
    if not isinstance(store, Store):
        raise StoreError(f"the store plugin {spec.plugin!r} returned {type(store).__name__}, which is not a followup Store")
    return store


def _accepts_create(function: Any) -> bool:
    import inspect

    try:
        return "create" in inspect.signature(function).parameters
    except (TypeError, ValueError):
        return False


def store_specs() -> dict[str, Any]:
    """Every installed store, by URL scheme (see :func:`get_stores`)."""

    return dict(get_stores())


# ---------------------------------------------------------------------------
# The state as documents (what stores keep, and what ``followup export`` writes)
# ---------------------------------------------------------------------------


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _clean(mapping: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in mapping.items() if v is not None and v != [] and v != {}}


def contact_to_document(contact: Contact) -> dict[str, Any]:
    """A contact as an entry of a state document's ``contacts`` list."""
    document = _clean(
        {
            "at": _iso(contact.at),
            "kind": contact.kind,
            "direction": contact.direction,
            "to": contact.to,
            "interview": contact.interview,
            "channel": contact.channel,
            "note": contact.note,
            "action": contact.action,
            "until": _iso(contact.until),
            "decision_expected_by": _iso(contact.decision_expected_by),
            "follow_up_requested_on": _iso(contact.follow_up_requested_on),
            "medium": contact.medium,
            "next_round": contact.next_round or None,
            "on_hold": contact.on_hold or None,
            "outcome": contact.outcome,
            "respond_by": _iso(contact.respond_by),
            "message_id": contact.message_id,
        }
    )
    if contact.proposed is not None:  # kept even when empty: an acknowledgement is proposed
        document["proposed"] = _proposal_to_document(contact.proposed)
    return document


def _proposal_to_document(proposal: Proposal) -> dict[str, Any]:
    said = {k: (_iso(v) if isinstance(v, dt.datetime) else v) for k, v in proposal.said().items()}
    return _clean({**said, "evidence": proposal.evidence})


def _interviewer_to_document(person: Interviewer) -> dict[str, Any]:
    return _clean({k: getattr(person, k) for k in ("id", "name", "title", "email", "postal_address", "fax", "phone")})


def interview_to_document(interview: Interview) -> dict[str, Any]:
    """An interview as an entry of an application's ``interviews`` list."""
    return _clean(
        {
            "id": interview.id,
            "starts_at": _iso(interview.starts_at),
            "ended_at": _iso(interview.ended_at),
            "interviewers": [_interviewer_to_document(p) for p in interview.interviewers],
            "topics": list(interview.topics),
            "strengths": list(interview.strengths),
            "kind": interview.kind,
            "status": interview.status if interview.status != "scheduled" else None,
            "rescheduled_to": interview.rescheduled_to,
        }
    )


def employer_to_document(application: Application) -> dict[str, Any] | None:
    """The employer's calendar as an application's ``employer`` mapping (whole, so
    that it reads back the same without the state's ``companies``); ``None`` when
    the application has none of its own."""
    calendar = application.employer
    if calendar is None:
        return None
    holidays = calendar.holidays
    return _clean(
        {
            "timezone": zone_name(calendar.tz),
            "holidays": _clean({"country": holidays.country, "subdivision": holidays.subdivision})
            if isinstance(holidays, HolidaySet)
            else None,
            "business_hours": {
                "start": calendar.workday_start.strftime("%H:%M"),
                "end": calendar.workday_end.strftime("%H:%M"),
            },
        }
    )


def application_head(application: Application) -> dict[str, Any]:
    """An application without its interviews and contacts."""
    offer = None
    if application.offer is not None:
        offer = _clean({"received_at": _iso(application.offer.received_at), "respond_by": _iso(application.offer.respond_by)})
    return _clean(
        {
            "id": application.id,
            "company": application.company,
            "position": application.position,
            "status": application.status,
            "priority": application.priority,
            "preferred_medium": application.preferred_medium,
            "applied_at": _iso(application.applied_at),
            "status_changed_at": _iso(application.status_changed_at),
            "decision_expected_by": _iso(application.decision_expected_by),
            "follow_up_requested_on": _iso(application.follow_up_requested_on),
            "offer": offer,
            "strengths": list(application.strengths),
            "domains": list(application.domains),
            "recruiter": _interviewer_to_document(application.recruiter) if application.recruiter is not None else None,
            "employer": employer_to_document(application),
        }
    )


def application_to_document(application: Application) -> dict[str, Any]:
    """An application as an entry of a state document's ``applications`` list."""
    document = application_head(application)
    interviews = [interview_to_document(i) for i in application.interviews]
    if interviews:
        document["interviews"] = interviews
    contacts = [contact_to_document(c) for c in application.contacts]
    if contacts:
        document["contacts"] = contacts
    return document


def candidate_to_document(candidate: Candidate) -> dict[str, Any]:
    """The candidate as a state document's ``candidate`` mapping."""
    calendar = candidate.calendar
    holidays = None
    if candidate.holiday_country is not None:
        holidays = _clean({"country": candidate.holiday_country, "subdivision": candidate.holiday_subdivision})
    return _clean(
        {
            "name": candidate.name,
            "email": candidate.email,
            "timezone": candidate.timezone,
            "locale": candidate.locale,
            "holidays": holidays,
            "workday": {
                "start": calendar.workday_start.strftime("%H:%M"),
                "end": calendar.workday_end.strftime("%H:%M"),
            },
            "references": [_clean({"id": r.id, "name": r.name, "email": r.email, "phone": r.phone}) for r in candidate.references],
        }
    )


def state_to_document(state: State) -> dict[str, Any]:
    """A state as a document that :func:`followup.load_state` reads back to an equal state."""
    document: dict[str, Any] = {"version": state.version, "candidate": candidate_to_document(state.candidate)}
    document["applications"] = [application_to_document(a) for a in state.applications]
    if state.contacts:
        document["contacts"] = [contact_to_document(c) for c in state.contacts]
    return document


def canonical(document: Mapping[str, Any]) -> str:
    """The JSON text stores keep and compare documents by."""
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def build_state(
    version: int,
    candidate: Mapping[str, Any],
    applications: list[dict[str, Any]],
    journal: list[dict[str, Any]],
    source: str,
    sources: Mapping[str, str] | None = None,
) -> State:
    """A :class:`followup.State` from stored documents (checked when they were stored).

    :param sources: where the imported file wrote each free text (see
        :attr:`followup.State.sources`), kept by the store so a message check can
        still name the file and line.
    """
    import dataclasses

    from ..state import state_from_checked_document

    document = {"version": version, "candidate": dict(candidate), "applications": applications, "contacts": journal}
    try:
        state = state_from_checked_document(document, source)
        return dataclasses.replace(state, sources=dict(sources)) if sources else state
    except InvalidInput as exc:
        raise StoreError(f"the store {source} holds a state followup cannot read:\n{exc}") from None


def action_from_dict(data: Mapping[str, Any]) -> Action:
    """The inverse of :meth:`followup.Action.to_dict` (for actions kept in the outbox)."""

    def instant(name: str) -> dt.datetime | None:
        value = data.get(name)
        return dt.datetime.fromisoformat(value) if value else None

    opens, due = instant("opens_at"), instant("due_at")
    assert opens is not None and due is not None
    return Action(
        key=data["key"],
        rule=data["rule"],
        kind=data["kind"],
        status=data["status"],
        application=data.get("application"),
        interview=data.get("interview"),
        recipient=data.get("recipient"),
        channel=data.get("channel"),
        opens_at=opens,
        due_at=due,
        reason=data.get("reason", ""),
        expires_at=instant("expires_at"),
        company=data.get("company"),
        position=data.get("position"),
        recipient_name=data.get("recipient_name"),
        priority=data.get("priority", 50),
        cap=data.get("cap"),
        frees_at=instant("frees_at"),
        done_at=instant("done_at"),
        message=data.get("message"),
        employer_timezone=data.get("employer_timezone"),
    )


def action_to_dict(action: Action) -> dict[str, Any]:
    """An action for the outbox: :meth:`~followup.Action.to_dict` plus its message template."""
    data = action.to_dict()
    data["message"] = action.message
    return data


def utc(value: dt.datetime) -> dt.datetime:
    """``value`` in UTC; a naive datetime is refused."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInput.single("now", f"{value.isoformat()} has no time zone; pass an aware datetime")
    return value.astimezone(UTC)


def subjects(applications: Iterator[str] | Collection[str]) -> list[str]:
    """Sorted, distinct subjects."""
    return sorted(set(applications))


@dataclass(frozen=True)
class StoreSpec:
    """A storage backend a plugin offers, chosen by the scheme of a store URL.

    :param schemes: URL schemes it opens (``memory``, ``sqlite``, ``postgresql``).
    :param open: opens the store at a URL; raises :class:`followup.InvalidInput`
        for a URL it cannot use.
    """

    schemes: tuple[str, ...]
    open: Callable[[str], Any]
    description: str = ""
    plugin: str = "followup"


def collect_stores(pm: Any) -> dict[str, StoreSpec]:
    """Every store the plugins of ``pm`` register, by URL scheme.

    :raises PluginLoadError: a spec is malformed, or two plugins claim the same
        scheme (the message names both and their distributions).
    """
    def problem(spec: Any) -> str | None:
        if not isinstance(spec, StoreSpec):
            return f"registered {spec!r}, which is not a followup.StoreSpec"
        if isinstance(spec.schemes, str) or not spec.schemes or not callable(spec.open):
            return (
                f"registered a store with schemes {spec.schemes!r}: schemes must be a non-empty tuple "
                "such as ('sqlite',) and open a callable taking the URL"
            )
        return None

    def clash(scheme: str, first: str, second: str) -> str:
        return (
            f"store scheme {scheme!r} is registered by both {describe(pm, first)} and {describe(pm, second)}; "
            "uninstall one, or leave one out with FOLLOWUP_DISABLE_PLUGINS"
        )

    specs = collect(pm, "followup_register_stores", problem=problem, keys=lambda spec: spec.schemes, clash=clash)
    return dict(sorted(((scheme, spec) for spec in specs for scheme in spec.schemes), key=lambda pair: pair[0]))


def get_stores() -> dict[str, StoreSpec]:
    """The stores of the installed plugins (built-ins included), by URL scheme."""
    return registry("stores", collect_stores)
