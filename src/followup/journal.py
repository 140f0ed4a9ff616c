"""Recording what a person decided: done, snoozed, dismissed, retired.

Each decision is one new entry in a contact log, never a change to an old one, so
history is kept and the engine reads it back (see ``_engine._bookkeeping``):

``done``
    the contact that carries the action out: its kind, to its recipient, about its
    interview, naming the action's key in ``action``. It counts against caps like any
    contact of that kind.
``snoozed``
    ``action`` and ``until``: the action shows as upcoming until then.
``dismissed``
    ``action`` and ``note`` (why): the person decided against it; it shows as done,
    with the reason, in ``followup agenda --all``.
``retired``
    in an application's log: every action of that application is settled.

Entries for an application go into its ``contacts``; entries for candidate-wide
actions (``keep-searching``) into the state's top-level ``contacts``.

Two places can take them: a state file (:class:`StateFile`; the entry is inserted
into the YAML text so comments and layout survive, then the file is replaced
atomically) and a store (:class:`StoreJournal`, through ``Store.record_contact``).
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import json
import os
import re
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from ._errors import InvalidInput
from ._time import format_local
from .engine import Action
from .state import Contact, Proposal, State, TrackerRow, suggest

if TYPE_CHECKING:
    from .engine import Engine
    from .stores import Store

__all__ = [
    "Entry",
    "ImportReport",
    "Journal",
    "Place",
    "StateFile",
    "StoreJournal",
    "add_application",
    "add_applications",
    "add_interview",
    "add_person",
    "add_reference",
    "confirm",
    "dismiss",
    "logged_message_ids",
    "mark_done",
    "on_clock",
    "proposal_to_dict",
    "proposals",
    "record_contact",
    "record_message",
    "resolve",
    "retire",
    "snooze",
]


@dataclass(frozen=True, slots=True)
class Entry:
    """One log entry to write: the contact, and whose log (``None``: the candidate's)."""

    application: str | None
    contact: Contact

    def to_document(self) -> dict[str, Any]:
        """The entry as it is written in a state document.

        Every field of :class:`~followup.state.Contact` that is set is written (so a
        field the model gains is written too), in the model's order; ``direction`` only
        when it is ``in``, flags only when true; ``note`` last.
        """
        contact = self.contact
        written: dict[str, Any] = {}
        names = [item.name for item in dataclasses.fields(contact) if item.name != "note"] + ["note"]
        for name in names:
            value = getattr(contact, name)
            if value is None or value is False or (name == "direction" and value == "out"):
                continue
            if isinstance(value, Proposal):
                value = {**_plain_document(value.said()), **({"evidence": value.evidence} if value.evidence else {})}
            elif isinstance(value, dt.datetime):
                value = value.isoformat(timespec="seconds")
            elif isinstance(value, dt.date):
                value = value.isoformat()
            written[name] = value
        return written


class Journal(Protocol):
    """Somewhere entries can be written: a state file or a store."""

    def load(self) -> State:
        """The state as it stands, to check keys against."""
        ...

    def append(self, entry: Entry) -> None:
        """Add ``entry`` to the right log, keeping everything already there."""
        ...

    def append_all(self, entries: list[Entry], *, unless_logged: str | None = None) -> bool:
        """Add every entry in one write (all or none); with ``unless_logged``, nothing when
        a contact with that ``message_id`` is in the log already (``False``)."""
        ...

    def document(self) -> dict[str, Any]:
        """The state as a plain state document (what :func:`followup.load_state` reads)."""
        ...

    def insert(self, place: Place, item: dict[str, Any], state: State) -> None:
        """Add ``item`` to the list at ``place``; ``state`` is the validated state with the item in it."""
        ...

    def insert_all(self, place: Place, items: list[dict[str, Any]], state: State) -> list[str]:
        """Add every one of ``items`` whose id the list at ``place`` does not hold yet, in one write.

        ``state`` is the validated state with all of them in it. All or nothing: a
        write that fails leaves the list as it was. Returns the ids added.
        """
        ...


# ---------------------------------------------------------------------------
# What to write
# ---------------------------------------------------------------------------


def resolve(engine: Engine, state: State, key: str, at: dt.datetime) -> Action:
    """The action with ``key`` on the agenda at ``at``.

    :raises InvalidInput: when no action has that key, naming the closest keys.
    """
    agenda = engine.evaluate(state, at)
    action = agenda.get(key)
    if action is not None:
        return action
    keys = [a.key for a in agenda]
    rule = key.split(":", 1)[0]
    same_rule = [k for k in keys if k.split(":", 1)[0] == rule]
    open_keys = [a.key for a in agenda if a.status != "done"]
    shown = same_rule or open_keys
    tz = state.candidate.calendar.tz
    listing = ", ".join(shown[:12]) + (" …" if len(shown) > 12 else "") if shown else "none"
    what = f"keys of rule {rule!r}" if same_rule else "open keys"
    raise InvalidInput.single(
        "KEY",
        f"no action has the key {key!r} at {format_local(at, tz)}{suggest(key, keys)}; {what}: {listing} "
        "(`followup agenda --all` lists every key)",
    )


def _refuse_settled(action: Action, verb: str, tz: dt.tzinfo) -> None:
    if action.status == "done":
        raise InvalidInput.single("KEY", f"{action.key} is settled already ({action.reason}); nothing to {verb}")


def done_entry(action: Action, at: dt.datetime, note: str | None = None) -> Entry:
    """The contact that carries ``action`` out at ``at``."""
    contact = Contact(
        at=at,
        kind=action.kind,
        to=action.recipient,
        interview=action.interview,
        channel=action.channel,
        note=note,
        action=action.key,
    )
    return Entry(action.application, contact)


def mark_done(journal: Journal, engine: Engine, key: str, *, at: dt.datetime, note: str | None = None) -> Entry:
    """Record that the action ``key`` was carried out at ``at``."""
    state = journal.load()
    action = resolve(engine, state, key, at)
    _refuse_settled(action, "do", state.candidate.calendar.tz)
    entry = done_entry(action, at, note)
    journal.append(entry)
    return entry


def snooze(journal: Journal, engine: Engine, key: str, *, until: dt.datetime, at: dt.datetime) -> Entry:
    """Put the action ``key`` off until ``until``; it shows as upcoming till then."""
    state = journal.load()
    tz = state.candidate.calendar.tz
    if until <= at:
        raise InvalidInput.single(
            "--until", f"{format_local(until, tz)} is not after {format_local(at, tz)}; a snooze ends in the future"
        )
    action = resolve(engine, state, key, at)
    _refuse_settled(action, "snooze", tz)
    entry = Entry(action.application, Contact(at=at, kind="snoozed", action=action.key, until=until))
    journal.append(entry)
    return entry


def dismiss(journal: Journal, engine: Engine, key: str, *, why: str, at: dt.datetime) -> Entry:
    """Decide against the action ``key``, saying why; it is settled as dismissed."""
    if not why.strip():
        raise InvalidInput.single("--why", "say why the action is dismissed; the reason is shown with it")
    state = journal.load()
    action = resolve(engine, state, key, at)
    _refuse_settled(action, "dismiss", state.candidate.calendar.tz)
    entry = Entry(action.application, Contact(at=at, kind="dismissed", action=action.key, note=why.strip()))
    journal.append(entry)
    return entry


def retire(journal: Journal, application: str, *, at: dt.datetime, note: str | None = None) -> Entry:
    """Stop every follow-up of ``application`` from ``at`` on."""
    state = journal.load()
    found = state.application(application)
    if found is None:
        known = [a.id for a in state.applications]
        raise InvalidInput.single(
            "APPLICATION",
            f"no application {application!r}{suggest(application, known)}; applications: {', '.join(known) or 'none'}",
        )
    tz = state.candidate.calendar.tz
    retired = next((c for c in found.contacts if c.kind == "retired" and c.at <= at), None)
    if retired is not None:
        raise InvalidInput.single("APPLICATION", f"{application!r} was retired already on {format_local(retired.at, tz)}")
    entry = Entry(application, Contact(at=at, kind="retired", note=note))
    journal.append(entry)
    return entry


@dataclass(frozen=True, slots=True)
class Place:
    """A list of a state document that items are added to.

    ``steps`` lead from the document to the mapping holding the list: ``("candidate",)``,
    ``("applications", ID)``, ``("applications", ID, "interviews", ID)``; ``collection``
    names the list in it (``applications``, ``interviews``, ``interviewers``,
    ``references``, ``contacts``).
    """

    steps: tuple[str, ...]
    collection: str

    def owner(self, document: Any, where: str) -> dict[str, Any]:
        """The mapping of ``document`` holding the list."""
        node = document
        steps = list(self.steps)
        while steps:
            name = steps.pop(0)
            if name == "candidate":
                node = node.get("candidate") if isinstance(node, dict) else None
                continue
            identifier = steps.pop(0)
            items = node.get(name) if isinstance(node, dict) else None
            node = next((i for i in items or [] if isinstance(i, dict) and i.get("id") == identifier), None)
            if node is None:
                raise InvalidInput.single(where, f"has no {name[:-1]} {identifier!r}")
        if not isinstance(node, dict):
            raise InvalidInput.single(where, "a state document is a mapping with 'version' and 'candidate'")
        return node

    def add(self, document: Any, item: dict[str, Any], where: str) -> None:
        owner = self.owner(document, where)
        if owner.get(self.collection) is None:
            owner[self.collection] = []
        owner[self.collection].append(item)


def _with_item(journal: Journal, place: Place, item: dict[str, Any], where: str) -> State:
    """The state ``journal`` holds with ``item`` added, validated like a state file.

    :raises InvalidInput: naming the field (``where``) when the item is not valid.
    """
    return _with_items(_plain_document(journal.document()), place, [item], where)


def _with_items(document: dict[str, Any], place: Place, items: list[dict[str, Any]], where: str) -> State:
    """The state of ``document`` (left as it is) with ``items`` added at ``place``."""
    from .state import state_from_document

    document = copy.deepcopy(document)
    for item in items:
        place.add(document, _plain_document(item), where)
    return state_from_document(document, where)


def _snapshot(journal: Journal, where: str) -> tuple[dict[str, Any], State]:
    """The journal's document and its state, from one read.

    What an entry adds is the difference between the two states built from this one
    document; reading the journal twice would count another writer's entry, written
    in between, as ours.
    """
    from .state import state_from_document

    document = _plain_document(journal.document())
    return document, state_from_document(copy.deepcopy(document), where)


def _add(journal: Journal, place: Place, fields: dict[str, Any], where: str) -> State:
    """Check ``fields`` as an item of ``place`` (its id unused there), then write it."""
    fields = _plain_document(fields)
    document = _plain_document(journal.document())
    existing = place.owner(document, where).get(place.collection) or []
    identifier = fields.get("id")
    if identifier is not None and any(isinstance(i, dict) and i.get("id") == identifier for i in existing):
        raise InvalidInput.single(where, f"the id {identifier!r} is taken already in {place.collection}; choose another")
    state = _with_items(document, place, [dict(fields)], where)  # the document just read, not a second read
    journal.insert(place, dict(fields), state)
    return state


def _plain_document(value: Any) -> Any:
    """A state document as plain dicts, lists and strings (positions and datetimes dropped)."""
    if isinstance(value, dict):
        return {str(k): _plain_document(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain_document(v) for v in value]
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


_NAIVE = re.compile(r"(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2})?)")


def on_clock(text: str, tz: dt.tzinfo) -> str:
    """A wall time typed without an offset (``2026-12-08 10:00``), as state text read on ``tz``'s clock.

    Anything else (a date, ISO 8601 with an offset, a typo) is left for the state's
    own checks to accept or name.
    """
    match = _NAIVE.fullmatch(text.strip())
    if match is None:
        return text
    return f"{match[1]}T{match[2]}[{getattr(tz, 'key', str(tz))}]"


def record_contact(journal: Journal, application: str | None, fields: dict[str, Any], *, where: str = "contact") -> Entry:
    """Log a contact given as state-document fields (``at``, ``kind``, ... as in a state file).

    The fields are checked exactly as a state file's contact entry is (the schema, the
    dates, that ``to`` and ``interview`` exist); the entry is then written like the one
    ``followup done`` writes. A reply is ``kind: reply`` (``direction: in`` is implied).

    :raises InvalidInput: when the fields are not a valid contact; nothing is written.
    """
    from collections import Counter

    document, before = _snapshot(journal, where)
    if application is not None and before.application(application) is None:
        known = [a.id for a in before.applications]
        raise InvalidInput.single(where, f"no application {application!r}{suggest(application, known)}")
    steps = ("applications", application) if application is not None else ()
    after = _with_items(document, Place(steps, "contacts"), [fields], where)

    def log(state: State) -> tuple[Contact, ...]:
        if application is None:
            return state.contacts
        found = state.application(application)
        return found.contacts if found is not None else ()

    new = Counter(log(after))
    new.subtract(Counter(log(before)))
    added = [contact for contact, count in new.items() if count > 0]
    if len(added) != 1:
        raise InvalidInput.single(where, "the entry is already in the log; nothing was written")
    entry = Entry(application, added[0])
    journal.append(entry)
    return entry


def logged_message_ids(state: State) -> set[str]:
    """The ``message_id`` of every entry in every log of ``state``."""
    logs = [state.contacts, *(a.contacts for a in state.applications)]
    return {c.message_id for log in logs for c in log if c.message_id}


def record_message(
    journal: Journal, application: str | None, documents: list[dict[str, Any]], *, where: str = "message"
) -> list[Entry] | None:
    """Log the contacts one email message is, all in one write, unless it is logged already.

    Every document needs the message's ``message_id``. The documents are checked as a
    state file's contacts are; then they are written together (a process killed
    during the write leaves all of them or none), under the journal's lock, which
    checks again that no entry with the ``message_id`` is there: two syncs at once
    log a message once.

    :returns: the entries written, or ``None`` when the message was logged already.
    :raises InvalidInput: when a document is not a valid contact; nothing is written.
    """
    from collections import Counter

    message_ids = {d.get("message_id") for d in documents}
    if len(message_ids) != 1 or None in message_ids or not documents:
        raise InvalidInput.single(where, "the contacts of one message all carry its message_id")
    message_id = str(message_ids.pop())
    document, before = _snapshot(journal, where)
    if message_id in logged_message_ids(before):
        return None
    steps = ("applications", application) if application is not None else ()
    after = _with_items(document, Place(steps, "contacts"), documents, where)

    def log(state: State) -> tuple[Contact, ...]:
        found = state.application(application) if application is not None else None
        return state.contacts if application is None else (found.contacts if found is not None else ())

    new = Counter(log(after))
    new.subtract(Counter(log(before)))
    entries = [Entry(application, contact) for contact, count in new.items() for _ in range(max(count, 0))]
    if not journal.append_all(entries, unless_logged=message_id):
        return None
    return entries


def proposals(state: State) -> list[tuple[str | None, Contact]]:
    """The replies whose proposed meaning waits for the person: ``(application, reply)``, oldest first.

    A proposal is settled by a later entry of the same log with the same
    ``message_id`` and no proposal of its own (what :func:`confirm` writes).
    """
    waiting: list[tuple[str | None, Contact]] = []
    logs: list[tuple[str | None, tuple[Contact, ...]]] = [(None, state.contacts)]
    logs += [(a.id, a.contacts) for a in state.applications]
    for application, log in logs:
        settled = {c.message_id for c in log if c.message_id and c.direction == "in" and c.proposed is None}
        waiting += [(application, c) for c in log if c.proposed is not None and c.message_id not in settled]
    return sorted(waiting, key=lambda item: item[1].at)


def proposal_to_dict(application: str | None, reply: Contact, tz: dt.tzinfo) -> dict[str, Any]:
    """A reply waiting for confirmation, as the agenda shows it (JSON-ready)."""
    assert reply.proposed is not None
    said = _plain_document(reply.proposed.said())
    meaning = ", ".join(k.replace("_", " ") if v is True else f"{k.replace('_', ' ')} {str(v)[:10]}" for k, v in said.items())
    return {
        "application": application,
        "message_id": reply.message_id,
        "at": format_local(reply.at, tz),
        "from": reply.to,
        "subject": reply.note,
        "proposed": said,
        "meaning": meaning or "an acknowledgement",
        "evidence": reply.proposed.evidence,
        "confirm": f"followup log confirm {application or '-'} '{reply.message_id}'",
    }


def confirm(
    journal: Journal, application: str | None, message_id: str | None, fields: dict[str, Any] | None, *, where: str = "followup log confirm"
) -> Entry:
    """Settle the proposed meaning of a reply: as proposed (``fields`` ``None``), or as ``fields`` say.

    ``fields`` are reply fields in state-document form (``decision_expected_by``,
    ``outcome``...); an empty mapping confirms an acknowledgement. The confirmation is
    a new entry: the reply again (same instant, sender and ``message_id``) with what
    it said and no proposal; from then on the engine reads it like any logged reply
    (an outcome changes the status). ``message_id`` may be left out when the
    application has one proposal waiting.

    :raises InvalidInput: no such proposal waiting (naming the ones there are), or the
        fields are not valid on a reply.
    """
    state = journal.load()
    waiting = [(a, c) for a, c in proposals(state) if a == application]
    chosen = [(a, c) for a, c in waiting if c.message_id == message_id] if message_id is not None else waiting
    if len(chosen) != 1:
        known = ", ".join(str(c.message_id) for _, c in waiting) or "none"
        whose = application if application is not None else "your own log"
        problem = "several replies wait" if len(chosen) > 1 else f"no proposed reply {message_id!r} waits" if message_id else "no proposed reply waits"
        raise InvalidInput.single(where, f"{problem} in {whose}; give the MESSAGE_ID of one of: {known}")
    reply = chosen[0][1]
    assert reply.proposed is not None
    said = _plain_document(reply.proposed.said()) if fields is None else _plain_document(fields)
    document: dict[str, Any] = {"at": reply.at.isoformat(timespec="seconds"), "kind": reply.kind, "direction": "in"}
    for name in ("to", "interview", "channel"):
        if getattr(reply, name) is not None:
            document[name] = getattr(reply, name)
    document.update(said)
    document["message_id"] = reply.message_id
    document["note"] = "confirmed: " + (", ".join(f"{k} {v}" if v is not True else k for k, v in said.items()) or "an acknowledgement")
    return record_contact(journal, application, document, where=where)


def add_application(journal: Journal, fields: dict[str, Any], *, where: str = "application") -> State:
    """Add an application given as state-document fields (``id``, ``company``, ``position``, ``status``...).

    :raises InvalidInput: when the fields are not a valid application or the id is taken.
    """
    return _add(journal, Place((), "applications"), fields, where)


def add_interview(journal: Journal, application: str, fields: dict[str, Any], *, where: str = "interview") -> State:
    """Add an interview (``id``, ``starts_at``, ``ended_at``, ``interviewers``...) to ``application``.

    :raises InvalidInput: when the application is unknown, the id is taken in it, or
        the fields are not a valid interview.
    """
    return _add(journal, Place(("applications", application), "interviews"), fields, where)


def add_person(journal: Journal, application: str, interview: str, fields: dict[str, Any], *, where: str = "person") -> State:
    """Add an interviewer (``id``, ``name``, ``title``, ``email``...) to an interview of ``application``."""
    return _add(journal, Place(("applications", application, "interviews", interview), "interviewers"), fields, where)


def add_reference(journal: Journal, fields: dict[str, Any], *, where: str = "reference") -> State:
    """Add a reference (``id``, ``name``, ``email``, ``phone``) to the candidate."""
    return _add(journal, Place(("candidate",), "references"), fields, where)


@dataclass(frozen=True, slots=True)
class ImportReport:
    """What :func:`add_applications` did (or, in a dry run, would do).

    :ivar added: ``(row, application id)`` of each application added.
    :ivar present: ``(row, id of the application already there)`` for rows the state
        holds already (same id, or same company and position): left as they are.
    :ivar skipped: ``(row, why)`` for rows that are not applications (a wish list).
    """

    added: tuple[tuple[int, str], ...]
    present: tuple[tuple[int, str], ...]
    skipped: tuple[tuple[int, str], ...]
    dry_run: bool = False

    def summary(self) -> str:
        verb = "would add" if self.dry_run else "added"
        parts = [f"{verb} {len(self.added)} application{'s' if len(self.added) != 1 else ''}"]
        if self.present:
            parts.append(f"{len(self.present)} already there")
        if self.skipped:
            parts.append(f"{len(self.skipped)} skipped")
        return ", ".join(parts)


def _same_job(a: dict[str, Any], b: dict[str, Any]) -> bool:
    def job(item: dict[str, Any]) -> tuple[str, str]:
        return tuple(" ".join(str(item.get(k) or "").split()).casefold() for k in ("company", "position"))  # type: ignore[return-value]

    return job(a) == job(b)


def add_applications(
    journal: Journal, rows: Sequence[TrackerRow], *, at: dt.datetime, where: str, dry_run: bool = False
) -> ImportReport:
    """Add the applications of a tracker's rows (:func:`followup.state.read_tracker_csv`) in one write.

    A row whose application the state holds already (the id the file gives it, or
    the same company and position) is left alone, so importing a file twice adds
    nothing the second time; an id made from the company and position that another
    job holds gets ``-2`` (``-3``...). A row's notes become a ``note`` entry at ``at`` in the new
    application's log. Every new application is checked as ``followup add
    application`` checks one; if any is refused, nothing is written and the error
    names its row. With ``dry_run`` nothing is written either way.

    :raises InvalidInput: naming ``where``, the line and the row of each refused one.
    """
    document = _plain_document(journal.document())
    existing = [a for a in (document.get("applications") or []) if isinstance(a, dict)]
    taken = {str(a.get("id")) for a in existing}
    claimed: set[int] = set()
    added, present, skipped = [], [], []
    items: list[tuple[TrackerRow, dict[str, Any]]] = []
    for row in rows:
        if row.application is None:
            skipped.append((row.row, row.skipped or "not an application"))
            continue
        fields = dict(row.application)
        match = next((i for i, a in enumerate(existing) if a.get("id") == fields["id"]), None)
        if match is not None and not row.named and not _same_job(existing[match], fields):
            match = None  # a made-up id that another job holds: not this one
        if match is None:
            match = next((i for i, a in enumerate(existing) if i not in claimed and _same_job(a, fields)), None)
        if match is not None:
            claimed.add(match)
            present.append((row.row, str(existing[match].get("id"))))
            continue
        if str(fields["id"]) in taken:  # only a made-up id gets here: the next free one
            base, count = str(fields["id"]), 2
            while f"{base}-{count}" in taken:
                count += 1
            fields["id"] = f"{base}-{count}"
        taken.add(str(fields["id"]))
        notes = fields.pop("notes", None)
        if notes:
            fields["contacts"] = [{"at": at.isoformat(timespec="seconds"), "kind": "note", "note": notes}]
        items.append((row, fields))
        added.append((row.row, str(fields["id"])))
    report = ImportReport(tuple(added), tuple(present), tuple(skipped), dry_run)
    if not items:
        return report
    from .state import state_from_document

    place = Place((), "applications")
    batch = copy.deepcopy(document)
    for _, fields in items:
        place.add(batch, copy.deepcopy(fields), where)
    try:
        state = state_from_document(batch, where)
    except InvalidInput:
        raise _blame_rows(journal, place, items, where) from None
    if dry_run:
        return report
    written = set(journal.insert_all(place, [fields for _, fields in items], state))
    if len(written) < len(items):  # another writer added some between the check and the lock
        late = tuple((number, identifier) for number, identifier in added if identifier not in written)
        report = dataclasses.replace(report, added=tuple(a for a in added if a[1] in written), present=report.present + late)
    return report


def _blame_rows(journal: Journal, place: Place, items: list[tuple[TrackerRow, dict[str, Any]]], where: str) -> InvalidInput:
    """The problems of each refused row on its own, named by row and line."""
    from ._errors import Problem

    problems = []
    for row, fields in items:
        try:
            _with_item(journal, place, copy.deepcopy(fields), where)
        except InvalidInput as exc:
            problems += [Problem(where, row.line, 0, f"row {row.row}: {p.message}") for p in exc.problems]
    if not problems:  # only together (two rows one id): name the file
        problems = [Problem(where, 0, 0, "the rows cannot be added together; nothing was written")]
    return InvalidInput(problems)


# ---------------------------------------------------------------------------
# Where to write: a state file
# ---------------------------------------------------------------------------


class StateFile:
    """A YAML or JSON state file that entries are appended to.

    YAML files are edited as text: the new entry is inserted as one flow-style line
    at the end of the right ``contacts`` list (the list is added when missing), so
    comments, key order and layout stay as they were. The result is parsed and
    compared with the original plus the entry before anything is written, and it
    replaces the file atomically (a temporary file in the same directory, then a
    rename), keeping the file's permissions. JSON files are re-serialised with an
    indent of two.

    Every write holds an exclusive lock (:mod:`filelock`, on ``.<name>.lock`` beside
    the file) from the moment the file is read to the moment it is replaced, so
    writers in other processes take turns and none loses another's entry. A writer
    that cannot get the lock within :attr:`lock_timeout` seconds gives up with an
    error and writes nothing.
    """

    #: seconds a writer waits for another one before giving up (nothing written)
    lock_timeout: float = 30.0

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    @property
    def lock_path(self) -> Path:
        """The lock file beside the state file."""
        return self.path.with_name(f".{self.path.name}.lock")

    def load(self) -> State:
        from .state import load_state

        return load_state(self.path)

    def append(self, entry: Entry) -> None:
        """Add ``entry``: lock, read the file as it is now, insert, check, replace, unlock."""
        self.append_all([entry])

    def append_all(self, entries: list[Entry], *, unless_logged: str | None = None) -> bool:
        """Add ``entries`` in one replacement of the file (all or none), under the lock."""
        from .state import parse_document, read_text_file, state_from_document

        with self._locked():  # re-read under the lock: another writer may just have added one

            text = read_text_file(self.path)
            parsed = parse_document(text, str(self.path))  # refuses a hostile file before it is edited
            if unless_logged is not None and unless_logged in logged_message_ids(state_from_document(parsed, str(self.path))):
                return False
            new_text = text
            for entry in entries:
                if self.path.suffix.lower() == ".json":
                    new_text = _append_json(new_text, entry)
                else:
                    new_text = _append_yaml(new_text, entry, str(self.path))
            state_from_document(parse_document(new_text, str(self.path)), str(self.path))
            _replace_atomically(self.path, new_text)
        return True

    def document(self) -> dict[str, Any]:
        from .state import load_document

        document = load_document(self.path)
        if not isinstance(document, dict):
            raise InvalidInput.single(str(self.path), "a state document is a mapping with 'version' and 'candidate'")
        return document

    def insert(self, place: Place, item: dict[str, Any], state: State) -> None:
        """Add ``item`` with ruamel.yaml's round trip, so comments and layout are kept."""
        self._insert(place, [item], only_new=False)

    def insert_all(self, place: Place, items: list[dict[str, Any]], state: State) -> list[str]:
        """Add the ``items`` whose id is not in the list yet, in one locked, atomic write."""
        return self._insert(place, items, only_new=True)

    def _insert(self, place: Place, items: list[dict[str, Any]], *, only_new: bool) -> list[str]:
        from .state import parse_document, read_text_file, state_from_document

        with self._locked():

            text = read_text_file(self.path)
            parsed = parse_document(text, str(self.path))  # refuses a hostile file before it is edited
            if only_new:  # another writer may have added some since they were checked
                there = {i.get("id") for i in place.owner(_plain_document(parsed), str(self.path)).get(place.collection) or [] if isinstance(i, dict)}
                items = [item for item in items if item.get("id") not in there]
                if not items:
                    return []
            if self.path.suffix.lower() == ".json":
                document = json.loads(text)
                for item in items:
                    place.add(document, item, str(self.path))
                new_text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
            else:
                new_text = _insert_yaml(text, place, items, str(self.path))
            state_from_document(parse_document(new_text, str(self.path)), str(self.path))
            _replace_atomically(self.path, new_text)
        return [str(item.get("id")) for item in items]

    @contextmanager
    def _locked(self) -> Iterator[None]:
        """Hold the file's write lock (:mod:`filelock`) while reading, changing and replacing it."""
        from filelock import FileLock, Timeout

        lock = FileLock(str(self.lock_path), timeout=self.lock_timeout, mode=0o600)
        try:
            lock.acquire()
        except Timeout:
            raise InvalidInput.single(
                str(self.path),
                f"another followup command has been writing this file for {self.lock_timeout:g} s "
                f"(lock {self.lock_path.name}); nothing was written, try again",
            ) from None
        except OSError as exc:  # the lock file cannot be made (a read-only folder)
            raise InvalidInput.single(str(self.path), f"cannot lock the file for writing: {exc.strerror}") from None
        try:
            yield
        finally:
            lock.release()


def _insert_yaml(text: str, place: Place, items: list[dict[str, Any]], where: str) -> str:
    """``text`` with ``items`` appended to a list, through ruamel.yaml's round-trip mode."""
    import io

    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    try:
        document = yaml.load(text)
    except YAMLError as exc:
        raise InvalidInput.single(where, f"not valid YAML: {exc}") from None
    if not isinstance(document, dict):
        raise InvalidInput.single(where, "a state document is a mapping with 'version' and 'candidate'")
    for item in items:
        place.add(document, copy.deepcopy(item), where)
    buffer = io.StringIO()
    yaml.dump(document, buffer)
    new_text = buffer.getvalue()
    import yaml as pyyaml

    expected = pyyaml.safe_load(text)
    for item in items:
        place.add(expected, copy.deepcopy(item), where)
    if _plain(pyyaml.safe_load(new_text)) != _plain(expected):
        raise InvalidInput.single(where, "the item could not be added without changing the rest of the file; nothing was written")
    return new_text


def _target(document: Any, application: str | None, where: str) -> dict[str, Any]:
    if application is None:
        if not isinstance(document, dict):
            raise InvalidInput.single(where, "a state document is a mapping")
        return document
    for item in document.get("applications") or []:
        if isinstance(item, dict) and item.get("id") == application:
            return item
    raise InvalidInput.single(where, f"has no application {application!r}")


def _append_json(text: str, entry: Entry) -> str:
    document = json.loads(text)
    target = _target(document, entry.application, "state")
    target.setdefault("contacts", []).append(entry.to_document())
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _flow(document: dict[str, Any]) -> str:
    import yaml

    text: str = yaml.safe_dump(document, default_flow_style=True, sort_keys=False, allow_unicode=True, width=1 << 30)
    return text.strip()


def _line_after(text: str, node: Any) -> int:
    """The offset just past the end of the last line ``node`` occupies.

    A block collection's own end mark lies at the next token, possibly lines
    further on, so the position comes from its last scalar or flow collection.
    """
    import yaml

    while isinstance(node, yaml.CollectionNode) and not node.flow_style and node.value:
        last = node.value[-1]
        node = last[1] if isinstance(node, yaml.MappingNode) else last
    end = node.end_mark
    index: int = end.index
    if end.column == 0 and index > 0:
        return index  # the node ended with its line break
    newline = text.find("\n", index)
    return len(text) if newline < 0 else newline + 1


def _append_yaml(text: str, entry: Entry, where: str) -> str:
    """``text`` with ``entry`` inserted into the right contacts list, layout kept."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        root = yaml.compose(text, Loader=loader)
    except yaml.YAMLError as exc:
        raise InvalidInput.single(where, f"not valid YAML: {exc}") from None
    if not isinstance(root, yaml.MappingNode):
        raise InvalidInput.single(where, "a state document is a mapping with 'version' and 'candidate'")
    mapping = root
    if entry.application is not None:
        mapping = _application_node(root, entry.application, where)
    item = _flow(entry.to_document())
    contacts = next((value for key, value in mapping.value if getattr(key, "value", None) == "contacts"), None)
    if isinstance(contacts, yaml.SequenceNode) and contacts.value and not contacts.flow_style:
        indent = " " * contacts.start_mark.column
        at = _line_after(text, contacts.value[-1])
        prefix = "" if at == 0 or text[at - 1] == "\n" else "\n"
        new_text = text[:at] + f"{prefix}{indent}- {item}\n" + text[at:]
    elif isinstance(contacts, yaml.SequenceNode) and contacts.flow_style:
        if contacts.value:
            at = contacts.value[-1].end_mark.index
            new_text = text[:at] + f", {item}" + text[at:]
        else:
            at = text.rindex("]", 0, contacts.end_mark.index)
            new_text = text[:at] + item + text[at:]
    elif contacts is None and mapping.flow_style:
        at = text.rindex("}", 0, mapping.end_mark.index)
        new_text = text[:at] + f", contacts: [{item}]" + text[at:]
    elif contacts is None:
        indent = " " * mapping.start_mark.column
        at = _line_after(text, mapping.value[-1][1])
        prefix = "" if at == 0 or text[at - 1] == "\n" else "\n"
        new_text = text[:at] + f"{prefix}{indent}contacts:\n{indent}  - {item}\n" + text[at:]
    else:
        raise InvalidInput.single(
            where,
            f"line {contacts.start_mark.line + 1}: 'contacts' is not a list; write 'contacts: []' or a list of entries",
        )
    _check_only_appended(text, new_text, entry, where)
    return new_text


def _application_node(root: Any, application: str, where: str) -> Any:
    import yaml

    applications = next((value for key, value in root.value if getattr(key, "value", None) == "applications"), None)
    if isinstance(applications, yaml.SequenceNode):
        for item in applications.value:
            if not isinstance(item, yaml.MappingNode):
                continue
            for key, value in item.value:
                if getattr(key, "value", None) == "id" and getattr(value, "value", None) == application:
                    return item
    raise InvalidInput.single(where, f"has no application {application!r}")


def _check_only_appended(old: str, new: str, entry: Entry, where: str) -> None:
    """Refuse to write unless ``new`` is exactly ``old`` plus the entry (a safety net)."""
    import yaml

    before = yaml.safe_load(old)
    after = yaml.safe_load(new)
    expected = copy.deepcopy(before)
    target = _target(expected, entry.application, where)
    written = _target(after, entry.application, where).get("contacts") or []
    if target.get("contacts") is None:
        target["contacts"] = []
    target["contacts"].append(written[-1] if written else None)
    if after != expected or not written or _plain(written[-1]) != entry.to_document():
        raise InvalidInput.single(
            where,
            "the entry could not be added without disturbing the file's layout; nothing was written "
            "(add an empty 'contacts: []' to the application and try again)",
        )


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="seconds")
    return value


def _replace_atomically(path: Path, text: str) -> None:
    """Write ``text`` to a temporary file beside ``path``, then rename it over ``path``."""
    directory = path.resolve().parent
    try:
        mode = path.stat().st_mode & 0o7777
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
        try:
            with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
                stream.write(text)
                stream.flush()
                os.fsync(stream.fileno())
            os.chmod(temporary, mode)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise InvalidInput.single(str(path), f"cannot be written: {exc.strerror}") from None


# ---------------------------------------------------------------------------
# Where to write: a store
# ---------------------------------------------------------------------------


class StoreJournal:
    """A store (SQLite, PostgreSQL, memory) whose contact log takes the entries."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def load(self) -> State:
        return self.store.load_state()

    def append(self, entry: Entry) -> None:
        self.append_all([entry])

    def append_all(self, entries: list[Entry], *, unless_logged: str | None = None) -> bool:
        """Record ``entries`` in one transaction of the store (they share one log)."""
        from .stores import JOURNAL

        subjects = {entry.application for entry in entries}
        if len(subjects) > 1:
            raise InvalidInput.single("entries", "entries written together belong to one log")
        subject = subjects.pop() if subjects else None
        with self.store.locked(subject if subject is not None else JOURNAL):
            if unless_logged is not None:
                state = self.store.load_state([subject] if subject is not None else [])
                if unless_logged in logged_message_ids(state):
                    return False
            for entry in entries:
                self.store.record_contact(entry.application, entry.contact)
        return True

    def document(self) -> dict[str, Any]:
        return self.store.export_document()

    def insert_all(self, place: Place, items: list[dict[str, Any]], state: State) -> list[str]:
        """Add the applications among ``items`` the store does not hold yet, in one transaction."""
        if place.collection != "applications":
            for item in items:
                self.insert(place, item, state)
            return [str(item.get("id")) for item in items]
        held = {a.id for a in self.store.load_state().applications}
        wanted = {item.get("id") for item in items} - held
        named = tuple(a for a in state.applications if a.id in wanted)
        if named:
            self.store.import_state(dataclasses.replace(state, applications=named, contacts=()))
        return [a.id for a in named]

    def insert(self, place: Place, item: dict[str, Any], state: State) -> None:
        if place.collection in ("applications", "references"):
            # import replaces the candidate and the applications it names, adds their contacts
            # unless logged already, and deletes nothing
            named = tuple(a for a in state.applications if a.id == item.get("id")) if place.collection == "applications" else ()
            self.store.import_state(dataclasses.replace(state, applications=named, contacts=()))
            return
        application = place.steps[1]
        interview_id = item["id"] if place.collection == "interviews" else place.steps[3]
        found = state.application(application)
        interview = next((i for i in found.interviews if i.id == interview_id), None) if found else None
        assert interview is not None
        with self.store.locked(application):
            self.store.add_interview(application, interview)
