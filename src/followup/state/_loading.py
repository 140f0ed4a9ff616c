"""Load a state document (YAML or JSON) into the model, or say exactly what is wrong."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .._errors import InvalidInput, Problem
from .._time import UTC, Calendar, HolidaySet, parse_clock, zone
from ._model import Application, Candidate, Contact, Interview, Interviewer, Offer, Reference, State
from ._schema import STATE_SCHEMA
from ._source import load_document, locate
from ._validation import schema_problems, suggest

__all__ = ["load_state", "parse_instant", "state_from_checked_document", "state_from_document"]


def parse_instant(text: str, tz: dt.tzinfo | None = None) -> dt.datetime:
    """Parse an ISO 8601 datetime that carries an offset, ``Z`` or a ``[Zone]`` suffix.

    With ``tz`` given, a plain date is also accepted and means the start of that day
    in ``tz``. Raises :class:`ValueError` with a message meant for a person.
    """
    from pendulum.parsing import parse_iso8601
    from pendulum.parsing.exceptions import ParserError

    value = text.strip()
    named_zone: dt.tzinfo | None = None
    if value.endswith("]") and "[" in value:
        value, _, name = value[:-1].partition("[")
        try:
            named_zone = zone(name)
        except LookupError:
            raise ValueError(f"unknown time zone {name!r} in {text!r}") from None
    try:
        parsed = parse_iso8601(value)
    except (ParserError, ValueError):
        raise ValueError(
            f"{text!r} is not an ISO 8601 date or datetime (e.g. 2026-03-02T14:00:00+01:00)"
        ) from None
    if isinstance(parsed, dt.datetime):
        if named_zone is not None:
            if parsed.tzinfo is not None:
                raise ValueError(f"{text!r} gives both an offset and a zone; give one")
            from .._time import local_wall_time

            return local_wall_time(parsed.date(), parsed.time(), named_zone)
        if parsed.tzinfo is None:
            raise ValueError(
                f"{text!r} has no time zone; add an offset (+01:00 or Z) or a zone ([Europe/Paris])"
            )
        offset = parsed.utcoffset()
        assert offset is not None
        return parsed.replace(tzinfo=UTC if not offset else dt.timezone(offset))
    if isinstance(parsed, dt.date) and named_zone is None:
        if tz is None:
            raise ValueError(f"{text!r} is a date; a datetime with an offset is needed here")
        from .._time import local_wall_time

        return local_wall_time(parsed, dt.time(0, 0), tz)
    raise ValueError(f"{text!r} is not a date or datetime")


class _Reader:
    """Turns a schema-valid document into model objects, collecting every problem."""

    def __init__(self, document: Any, path: str) -> None:
        self.document = document
        self.path = path
        self.problems: list[Problem] = []
        self.tz: dt.tzinfo | None = None

    def problem(self, steps: list[str | int], message: str, *, key: bool = False) -> None:
        mark = locate(self.document, steps, key=key)
        line, column = (mark.line, mark.column) if mark else (0, 0)
        self.problems.append(Problem(mark.path if mark else self.path, line, column, message))

    def instant(self, data: Mapping[str, Any], steps: list[str | int], name: str, *, dates: bool) -> dt.datetime | None:
        raw = data.get(name)
        if raw is None:
            return None
        try:
            return parse_instant(str(raw), self.tz if dates else None)
        except ValueError as exc:
            self.problem([*steps, name], f"{name}: {exc}")
            return None

    def read(self) -> State:
        doc = self.document
        candidate = self.candidate(doc["candidate"], ["candidate"])
        applications = []
        seen: dict[str, int] = {}
        for index, raw in enumerate(doc.get("applications", [])):
            steps: list[str | int] = ["applications", index]
            if raw["id"] in seen:
                self.problem([*steps, "id"], f"duplicate application id {raw['id']!r} (also application #{seen[raw['id']] + 1})")
                continue
            seen[raw["id"]] = index
            applications.append(self.application(raw, steps, candidate))
        journal = self.contacts(doc.get("contacts", []), ["contacts"], {r.id for r in candidate.references}, set())
        if self.problems:
            raise InvalidInput(self.problems)
        applications.sort(key=lambda a: a.id)
        return State(candidate=candidate, applications=tuple(applications), version=doc["version"], contacts=journal)

    def candidate(self, raw: Mapping[str, Any], steps: list[str | int]) -> Candidate:
        tz: dt.tzinfo
        try:
            tz = zone(raw["timezone"])
        except LookupError:
            self.problem([*steps, "timezone"], f"unknown time zone {raw['timezone']!r}; use an IANA name such as Europe/Berlin or America/New_York")
            tz = UTC
        self.tz = tz
        country = subdivision = None
        holidays: Any = frozenset()
        if "holidays" in raw:
            country = raw["holidays"]["country"]
            subdivision = raw["holidays"].get("subdivision")
            try:
                holidays = HolidaySet(country, subdivision)
            except NotImplementedError:
                import holidays as holidays_package

                supported = holidays_package.list_supported_countries()
                if country not in supported:
                    self.problem([*steps, "holidays", "country"], f"no holiday calendar for country {country!r}; use an ISO 3166-1 code such as US, GB, DE or FR")
                else:
                    valid = ", ".join(supported[country]) or "none"
                    self.problem([*steps, "holidays", "subdivision"], f"country {country!r} has no subdivision {subdivision!r}; valid: {valid}")
        workday = raw.get("workday", {})
        start = parse_clock(workday.get("start", "09:00"))
        end = parse_clock(workday.get("end", "17:00"))
        if end <= start:
            self.problem([*steps, "workday", "end"], f"workday end {workday.get('end')!r} must be after its start")
        references = []
        seen: set[str] = set()
        for index, ref in enumerate(raw.get("references", [])):
            if ref["id"] in seen:
                self.problem([*steps, "references", index, "id"], f"duplicate reference id {ref['id']!r}")
                continue
            seen.add(ref["id"])
            references.append(Reference(id=ref["id"], name=ref["name"], email=ref.get("email"), phone=ref.get("phone")))
        calendar = Calendar(tz=tz, holidays=holidays, workday_start=start, workday_end=end)
        return Candidate(
            name=raw["name"],
            timezone=raw["timezone"],
            calendar=calendar,
            email=raw.get("email"),
            holiday_country=country,
            holiday_subdivision=subdivision,
            references=tuple(references),
        )

    def contacts(
        self, items: list[Any], steps: list[str | int], people: set[str], interview_ids: set[str]
    ) -> tuple[Contact, ...]:
        contacts = []
        for index, item in enumerate(items):
            here = [*steps, index]
            kind = item["kind"]
            direction = item.get("direction", "in" if kind == "reply" else "out")
            if kind == "reply" and direction != "in":
                self.problem([*here, "direction"], "a contact of kind 'reply' comes from the employer; its direction is 'in'")
            to = item.get("to")
            if to is not None and to not in people:
                known = sorted(people)
                self.problem(
                    [*here, "to"],
                    f"contact to unknown interviewer or reference {to!r}{suggest(to, known)}; known here: {', '.join(known) or 'none'}",
                )
            interview = item.get("interview")
            if interview is not None and interview not in interview_ids:
                self.problem([*here, "interview"], f"contact about unknown interview {interview!r}; known: {', '.join(sorted(interview_ids)) or 'none'}")
            at = self.instant(item, here, "at", dates=False)
            until = self.instant(item, here, "until", dates=True)
            if at is None:
                continue
            contacts.append(
                Contact(
                    at=at,
                    kind=kind,
                    direction=direction,
                    to=to,
                    interview=interview,
                    channel=item.get("channel"),
                    note=item.get("note"),
                    action=item.get("action"),
                    until=until,
                )
            )
        contacts.sort(key=lambda c: (c.at, c.kind, c.direction, c.to or "", c.interview or "", c.action or ""))
        return tuple(contacts)

    def application(self, raw: Mapping[str, Any], steps: list[str | int], candidate: Candidate) -> Application:
        interviews = []
        interviewer_ids: set[str] = set()
        interview_ids: set[str] = set()
        for index, item in enumerate(raw.get("interviews", [])):
            here: list[str | int] = [*steps, "interviews", index]
            if item["id"] in interview_ids:
                self.problem([*here, "id"], f"duplicate interview id {item['id']!r} in application {raw['id']!r}")
                continue
            interview_ids.add(item["id"])
            people = []
            seen_here: set[str] = set()
            for position, person in enumerate(item.get("interviewers", [])):
                if person["id"] in seen_here:
                    self.problem([*here, "interviewers", position, "id"], f"interviewer {person['id']!r} listed twice in interview {item['id']!r}")
                    continue
                seen_here.add(person["id"])
                interviewer_ids.add(person["id"])
                people.append(Interviewer(**{k: person.get(k) for k in ("id", "name", "title", "email", "postal_address", "fax", "phone")}))
            starts_at = self.instant(item, here, "starts_at", dates=False)
            ended_at = self.instant(item, here, "ended_at", dates=False)
            if starts_at and ended_at and ended_at < starts_at:
                self.problem([*here, "ended_at"], f"ended_at {item['ended_at']!r} is before starts_at {item['starts_at']!r}")
            interviews.append(
                Interview(
                    id=item["id"],
                    starts_at=starts_at or dt.datetime.min.replace(tzinfo=UTC),
                    ended_at=ended_at,
                    interviewers=tuple(people),
                    topics=tuple(item.get("topics", ())),
                )
            )
        interviews.sort(key=lambda i: (i.starts_at, i.id))
        reference_ids = {r.id for r in candidate.references}
        contacts = self.contacts(raw.get("contacts", []), [*steps, "contacts"], interviewer_ids | reference_ids, interview_ids)
        offer = None
        if "offer" in raw:
            received = self.instant(raw["offer"], [*steps, "offer"], "received_at", dates=False)
            respond_by = self.instant(raw["offer"], [*steps, "offer"], "respond_by", dates=True)
            if received is not None:
                offer = Offer(received_at=received, respond_by=respond_by)
        return Application(
            id=raw["id"],
            company=raw["company"],
            position=raw["position"],
            status=raw["status"],
            priority=raw.get("priority", 3),
            preferred_medium=raw.get("preferred_medium", "email"),
            status_changed_at=self.instant(raw, steps, "status_changed_at", dates=False),
            applied_at=self.instant(raw, steps, "applied_at", dates=True),
            decision_expected_by=self.instant(raw, steps, "decision_expected_by", dates=True),
            follow_up_requested_on=self.instant(raw, steps, "follow_up_requested_on", dates=True),
            offer=offer,
            interviews=tuple(interviews),
            contacts=contacts,
        )


def state_from_checked_document(document: Any, path: str = "<state>") -> State:
    """The model of a document already known to be schema-valid (a store checked it when it was stored).

    Skips the schema check :func:`state_from_document` makes; the model's own checks
    (time zones, references between records) still raise :class:`InvalidInput`.
    """
    return _Reader(document, path).read()


def state_from_document(document: Any, path: str = "<state>") -> State:
    """Validate an already-parsed state document and build the model from it.

    ``document`` may be a plain ``dict`` (from an embedding tool) or what
    :func:`followup.state.load_document` returned (then errors carry lines).
    """
    if not isinstance(document, dict):
        raise InvalidInput.single(path, "a state document is a mapping with 'version' and 'candidate'", 1, 1)
    problems = schema_problems(document, STATE_SCHEMA, path)
    if problems:
        raise InvalidInput(problems)
    return _Reader(document, path).read()


def load_state(source: str | Path | Mapping[str, Any]) -> State:
    """Load and validate a state document.

    :param source: a path to a YAML or JSON file, or an already-parsed mapping.
    :raises InvalidInput: listing every problem with file, line and column.
    """
    if isinstance(source, Mapping):
        return state_from_document(dict(source) if not isinstance(source, dict) else source)
    return state_from_document(load_document(source), str(source))
