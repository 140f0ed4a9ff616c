"""Load a state document (YAML or JSON) into the model, or say exactly what is wrong."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from .._errors import InvalidInput, Problem
from .._time import (
    EARLIEST,
    LATEST,
    UTC,
    Calendar,
    HolidaySet,
    calendar_for,
    local_wall_time,
    parse_clock,
    strict_wall_time,
    supported,
    zone,
    zone_name,
)
from . import _model
from ._checker import checker
from ._model import CALLED_OFF, Application, Candidate, Contact, Interview, Interviewer, Offer, Reference, State
from ._schema import STATE_SCHEMA
from ._source import LocatedDict, excerpt, locate, parse_document, parse_plain_json, read_text_file
from ._validation import schema_problems, suggest

__all__ = ["REPLY_FIELDS", "load_state", "parse_instant", "state_from_checked_document", "state_from_document"]

#: the fields of a contact that say what the employer said (only on a reply)
REPLY_FIELDS = ("decision_expected_by", "follow_up_requested_on", "medium", "next_round", "on_hold", "outcome", "respond_by")


#: dates and datetimes in ISO 8601's extended format, which ``datetime.fromisoformat`` reads
#: exactly as pendulum does (anything else goes through pendulum's parser)
_PLAIN_ISO = re.compile(r"\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})?)?\Z", re.ASCII)


#: years well inside the supported range, whatever an offset does (see :func:`followup._time.supported`)
_INSIDE = (EARLIEST.year, LATEST.year)


def parse_instant(text: str, tz: dt.tzinfo | None = None, *, dates: bool = True) -> dt.datetime:
    """Parse an ISO 8601 date or datetime into an aware datetime.

    A datetime may carry an offset, ``Z`` or a ``[Zone]`` suffix. With ``tz`` given,
    a datetime without any of them is read on ``tz``'s clock (a wall time that does
    not exist there, or happens twice, is refused with both possible offsets named),
    and a plain date means the start of that day in ``tz`` (unless ``dates`` is
    false). Raises :class:`ValueError` with a message meant for a person.
    """
    value = text.strip()
    if _PLAIN_ISO.match(value):  # the common spellings, which datetime reads as pendulum does
        try:
            plain: dt.date | dt.datetime = (dt.date if len(value) == 10 else dt.datetime).fromisoformat(value)
        except ValueError:
            pass  # e.g. February 30th: the message below says so
        else:
            if isinstance(plain, dt.datetime) and plain.tzinfo is not None and _INSIDE[0] < plain.year < _INSIDE[1]:
                return plain  # the commonest case, and already as _aware leaves it (a fixed offset, UTC for +00:00 and Z)
            return _aware(plain, text, tz, dates)
    from pendulum.parsing import parse_iso8601
    from pendulum.parsing.exceptions import ParserError

    if len(value) > 100:
        raise ValueError(f"{excerpt(text[:40])}… ({len(text):,} characters) is not an ISO 8601 date or datetime")
    named_zone: dt.tzinfo | None = None
    if value.endswith("]") and "[" in value:
        value, _, name = value[:-1].partition("[")
        try:
            named_zone = zone(name)
        except LookupError:
            raise ValueError(f"unknown time zone {excerpt(name)} in {excerpt(text)}") from None
    try:
        parsed = parse_iso8601(value)
    except (ParserError, ValueError, OverflowError):
        raise ValueError(
            f"{excerpt(text)} is not an ISO 8601 date or datetime (e.g. 2026-03-02T14:00:00+01:00)"
        ) from None
    if isinstance(parsed, dt.date | dt.datetime):
        return _aware(parsed, text, tz, dates, named_zone)
    raise ValueError(f"{excerpt(text)} is not a date or datetime")


def _aware(
    parsed: dt.date | dt.datetime, text: str, tz: dt.tzinfo | None, dates: bool, named_zone: dt.tzinfo | None = None
) -> dt.datetime:
    """The instant ``parsed`` (read from ``text``) means, by the rules of :func:`parse_instant`."""
    supported(parsed, text)
    if isinstance(parsed, dt.datetime):
        if named_zone is not None:
            if parsed.tzinfo is not None:
                raise ValueError(f"{excerpt(text)} gives both an offset and a zone; give one")
            return local_wall_time(parsed.date(), parsed.time(), named_zone)
        if parsed.tzinfo is None:
            if tz is None:
                raise ValueError(
                    f"{excerpt(text)} has no time zone; add an offset (+01:00 or Z) or a zone ([Europe/Paris])"
                )
            return strict_wall_time(parsed, tz)
        offset = parsed.utcoffset()
        assert offset is not None
        moment = parsed.replace(tzinfo=UTC if not offset else dt.timezone(offset))
        supported(moment, text)
        return moment
    if named_zone is None:
        if tz is None or not dates:
            raise ValueError(f"{excerpt(text)} is a date; a datetime is needed here (e.g. {text}T14:00)")
        return local_wall_time(parsed, dt.time(0, 0), tz)
    raise ValueError(f"{excerpt(text)} is not a date or datetime")


def _version(value: Any) -> int:
    """The document's version as a number (``1.0`` is 1); anything else the schema has reported."""
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):
        return 1


def _zone_hint(name: str) -> str:
    from zoneinfo import available_timezones

    return suggest(name, available_timezones())


class _Reader:
    """Turns a state document into model objects, collecting every problem.

    The document may have failed its schema: then every part that can still be
    read is read, so that one run reports everything wrong with the file.
    """

    def __init__(self, document: Any, path: str, *, tolerant: bool = False, deferred: list[Any] | None = None) -> None:
        self.document = document
        self.path = path
        self.problems: list[Problem] = []
        self.tz: dt.tzinfo = UTC
        self.tolerant = tolerant
        #: while an application's log is read: the employer's zone, for the dates a reply gives
        self.employer_tz: dt.tzinfo | None = None
        #: where each free text was written, by field label (see State.sources)
        self.sources: dict[str, str] = {}
        #: for a file read without positions: (label, steps) of each free text, located later
        self.deferred = deferred
        #: whether free texts' places are wanted (a file's document, with or without positions)
        self.located = isinstance(document, LocatedDict) or deferred is not None

    def source(self, label: str, steps: list[str | int]) -> None:
        if self.deferred is not None:
            self.deferred.append((label, steps))
            return
        if not self.located:
            return  # a plain mapping: its texts were written nowhere
        mark = locate(self.document, steps)
        if mark is not None and mark.line:
            self.sources[label] = f"{mark.path}:{mark.line}"

    def problem(self, steps: list[str | int], message: str, *, key: bool = False) -> None:
        mark = locate(self.document, steps, key=key)
        line, column = (mark.line, mark.column) if mark else (0, 0)
        self.problems.append(Problem(mark.path if mark else self.path, line, column, message))

    def instant(
        self, data: Mapping[str, Any], steps: list[str | int], name: str, *, dates: bool, tz: dt.tzinfo | None = None
    ) -> dt.datetime | None:
        raw = data.get(name)
        if raw is None:
            return None
        try:
            return parse_instant(str(raw), tz if tz is not None else self.tz, dates=dates)
        except ValueError as exc:
            self.problem([*steps, name], f"{name}: {exc}")
            return None

    def guarded(self, read: Any, *args: Any) -> Any:
        """``read(*args)``; in a document that failed its schema, ``None`` when the part
        is too broken to read (the schema has said why)."""
        if not self.tolerant:
            return read(*args)
        try:
            return read(*args)
        except (KeyError, TypeError, AttributeError, ValueError, IndexError):
            return None

    def read(self) -> State:
        doc = self.document
        raw_candidate = doc.get("candidate")
        candidate = self.guarded(self.candidate, raw_candidate if isinstance(raw_candidate, Mapping) else {}, ["candidate"])
        if candidate is None:
            candidate = Candidate(name="", timezone="UTC", calendar=calendar_for("UTC"))
        companies = self.companies(doc.get("companies") or [], candidate)
        applications = []
        seen: dict[str, int] = {}
        for index, raw in enumerate(_items(doc.get("applications"))):
            steps: list[str | int] = ["applications", index]
            if not isinstance(raw, Mapping):
                continue
            if raw.get("id") in seen:
                self.problem([*steps, "id"], f"duplicate application id {excerpt(raw['id'])} (also application #{seen[raw['id']] + 1})")
                continue
            seen[str(raw.get("id"))] = index
            application = self.guarded(self.application, raw, steps, candidate, companies)
            if application is not None:
                applications.append(application)
        # the companies the document names (read or not: a broken application's
        # company is still the one it names)
        named = {
            raw["company"] for raw in _items(doc.get("applications")) if isinstance(raw, Mapping) and isinstance(raw.get("company"), str)
        }
        for name, (index, _) in sorted(companies.items(), key=lambda item: item[1][0]):
            if name not in named:
                self.problem(
                    ["companies", index, "name"],
                    f"company {excerpt(name)} is the 'company' of no application{suggest(name, named)}; "
                    f"companies applied to: {', '.join(sorted(named)) or 'none'}",
                )
        journal = self.guarded(
            self.contacts, _items(doc.get("contacts")), ["contacts"], {r.id for r in candidate.references}, set()
        )
        self.one_acceptance(_items(doc.get("applications")))
        if self.problems:
            raise InvalidInput(self.problems)
        applications.sort(key=lambda a: a.id)
        return State(
            candidate=candidate,
            applications=tuple(applications),
            version=_version(doc.get("version", 1)),
            contacts=journal or (),
            sources=self.sources,
        )

    def one_acceptance(self, raw_applications: list[Any]) -> None:
        """A search ends once: a second ``accepted`` application is an error naming the first."""
        accepted = [
            (index, raw)
            for index, raw in enumerate(raw_applications)
            if isinstance(raw, Mapping) and raw.get("status") == "accepted"
        ]
        for index, raw in accepted[1:]:
            first_index, first = accepted[0]
            mark = locate(self.document, ["applications", first_index, "status"])
            where = f" (line {mark.line})" if mark and mark.line else ""
            self.problem(
                ["applications", index, "status"],
                f"status 'accepted' for application {excerpt(raw['id'])}, but {excerpt(first['id'])}{where} is accepted already; "
                "only one offer can be accepted: set the other to withdrawn (or rejected)",
            )

    def calendar(
        self, raw: Mapping[str, Any], steps: list[str | int], base: Calendar, hours_key: str, whose: str
    ) -> Calendar:
        """A calendar from ``timezone``, ``holidays`` and ``hours_key`` of ``raw``, each
        falling back to ``base``'s."""
        tz_name = zone_name(base.tz)
        if "timezone" in raw:
            try:
                zone(raw["timezone"])
                tz_name = raw["timezone"]
            except LookupError:
                self.problem(
                    [*steps, "timezone"],
                    f"unknown time zone {excerpt(raw['timezone'])} for {whose}{_zone_hint(str(raw['timezone']))}; "
                    "use an IANA name such as Europe/Berlin or America/New_York",
                )
        holidays = base.holidays
        country, subdivision = (holidays.country, holidays.subdivision) if isinstance(holidays, HolidaySet) else (None, None)
        if "holidays" in raw:
            wanted_country = raw["holidays"]["country"]
            wanted_subdivision = raw["holidays"].get("subdivision")
            try:
                calendar_for("UTC", wanted_country, wanted_subdivision)
                country, subdivision = wanted_country, wanted_subdivision
            except NotImplementedError:
                import holidays as holidays_package

                countries = holidays_package.list_supported_countries()
                if wanted_country not in countries:
                    self.problem(
                        [*steps, "holidays", "country"],
                        f"no holiday calendar for country {excerpt(wanted_country)} ({whose}){suggest(wanted_country, countries)}; "
                        "use an ISO 3166-1 code such as US, GB, DE or FR",
                    )
                else:
                    valid = ", ".join(countries[wanted_country]) or "none"
                    self.problem(
                        [*steps, "holidays", "subdivision"],
                        f"country {excerpt(wanted_country)} has no subdivision {excerpt(wanted_subdivision)} ({whose}); valid: {valid}",
                    )
        hours = raw.get(hours_key, {})
        start = parse_clock(hours["start"]) if "start" in hours else base.workday_start
        end = parse_clock(hours["end"]) if "end" in hours else base.workday_end
        if end <= start:
            where = "end" if "end" in hours else "start"
            self.problem(
                [*steps, hours_key, where],
                f"{hours_key} of {whose} end at {end:%H:%M}, which is not after their start at {start:%H:%M}; "
                "give an end later on the same day",
            )
            start, end = base.workday_start, base.workday_end
        return calendar_for(tz_name, country, subdivision, start, end)

    def candidate(self, raw: Mapping[str, Any], steps: list[str | int]) -> Candidate:
        calendar = self.calendar(raw, steps, calendar_for("UTC"), "workday", "the candidate")
        self.tz = calendar.tz
        references = []
        seen: set[str] = set()
        for index, ref in enumerate(_items(raw.get("references"))):
            if not isinstance(ref, Mapping) or not isinstance(ref.get("id"), str):
                continue  # the schema says what is wrong
            if ref["id"] in seen:
                self.problem([*steps, "references", index, "id"], f"duplicate reference id {excerpt(ref['id'])}")
                continue
            seen.add(ref["id"])
            references.append(Reference(id=ref["id"], name=str(ref.get("name", "")), email=ref.get("email"), phone=ref.get("phone")))
        holidays = calendar.holidays
        return Candidate(
            locale=self.locale(raw.get("locale"), [*steps, "locale"]),
            name=str(raw.get("name", "")),
            timezone=zone_name(calendar.tz),
            calendar=calendar,
            email=raw.get("email"),
            holiday_country=holidays.country if isinstance(holidays, HolidaySet) else None,
            holiday_subdivision=holidays.subdivision if isinstance(holidays, HolidaySet) else None,
            references=tuple(references),
        )

    def locale(self, value: Any, steps: list[str | int]) -> str | None:
        """The candidate's locale as Babel names it (``de_DE`` for ``de-DE``), or ``None``."""
        if not isinstance(value, str):
            return None  # absent, or the schema says what is wrong
        from babel import Locale, UnknownLocaleError

        try:
            return str(Locale.parse(value, sep="-" if "-" in value else "_"))
        except (UnknownLocaleError, ValueError, TypeError):
            self.problem(steps, f"unknown locale {excerpt(value)}; valid: a CLDR locale such as en_GB, en_US, de_DE, fr_FR or es_ES")
            return None

    def companies(self, items: Any, candidate: Candidate) -> dict[str, tuple[int, Calendar]]:
        """Each company's calendar by name, with the index of its entry."""
        found: dict[str, tuple[int, Calendar]] = {}
        for index, raw in enumerate(_items(items)):
            steps: list[str | int] = ["companies", index]
            if not isinstance(raw, Mapping) or not isinstance(raw.get("name"), str):
                continue
            name = raw["name"]
            if name in found:
                self.problem([*steps, "name"], f"company {excerpt(name)} is declared twice (also companies entry #{found[name][0] + 1})")
                continue
            calendar = self.guarded(self.calendar, raw, steps, candidate.calendar, "business_hours", f"company {excerpt(name)}")
            if calendar is not None:
                found[name] = (index, calendar)
        return found

    def contacts(
        self, items: list[Any], steps: list[str | int], people: set[str], interview_ids: set[str]
    ) -> tuple[Contact, ...]:
        contacts = []
        for index, item in enumerate(items):
            here = [*steps, index]
            contact = self.guarded(self.contact, item, here, people, interview_ids)
            if contact is not None:
                contacts.append(contact)
        contacts.sort(key=lambda c: (c.at, c.kind, c.direction, c.to or "", c.interview or "", c.action or ""))
        return tuple(contacts)

    def contact(self, item: Mapping[str, Any], here: list[str | int], people: set[str], interview_ids: set[str]) -> Contact | None:
        kind = item["kind"]
        direction = item.get("direction", "in" if kind == "reply" else "out")
        if kind == "reply" and direction != "in":
            self.problem([*here, "direction"], "a contact of kind 'reply' comes from the employer; its direction is 'in'")
        to = item.get("to")
        if to is not None and to not in people:
            known = sorted(people)
            self.problem(
                [*here, "to"],
                f"contact to unknown interviewer or reference {excerpt(to)}{suggest(to, known)}; known here: {', '.join(known) or 'none'}",
            )
        interview = item.get("interview")
        if interview is not None and interview not in interview_ids:
            self.problem([*here, "interview"], f"contact about unknown interview {excerpt(interview)}; known: {', '.join(sorted(interview_ids)) or 'none'}")
        at = self.instant(item, here, "at", dates=False)
        until = self.instant(item, here, "until", dates=True)
        said = self.reply(item, here, direction, at)
        proposed = self.proposal(item, here, direction, at)
        if at is None:
            return None
        return Contact(
            at=at,
            kind=kind,
            direction=direction,
            to=to,
            interview=interview,
            channel=item.get("channel"),
            note=item.get("note"),
            action=item.get("action"),
            until=until,
            message_id=item.get("message_id"),
            proposed=proposed,
            **said,
        )

    def proposal(self, item: Mapping[str, Any], here: list[str | int], direction: str, at: dt.datetime | None) -> _model.Proposal | None:
        """The meaning ``followup mail sync`` proposed for a reply, checked like a reply's own fields."""
        raw = item.get("proposed")
        if not isinstance(raw, Mapping):
            return None
        if direction != "in":
            self.problem([*here, "proposed"], "'proposed' is a meaning proposed for a reply; this entry's direction is 'out'", key=True)
            return None
        said = self.reply(raw, [*here, "proposed"], direction, at)
        return _model.Proposal(evidence=raw.get("evidence"), **said)

    def reply(self, item: Mapping[str, Any], here: list[str | int], direction: str, at: dt.datetime | None) -> dict[str, Any]:
        """What a reply says (the fields of :data:`REPLY_FIELDS`), checked against the reply itself."""
        given = [name for name in REPLY_FIELDS if name in item]
        if not given:
            return {}
        if direction != "in":
            self.problem(
                [*here, given[0]],
                f"{excerpt(given[0])} is what the employer said, so it belongs on a reply (direction 'in'); this entry's direction is {excerpt(direction)}",
                key=True,
            )
            return {}
        said: dict[str, Any] = {name: item[name] for name in ("medium", "outcome") if name in item}
        for flag in ("next_round", "on_hold"):
            if item.get(flag):
                said[flag] = True
        for name in ("decision_expected_by", "follow_up_requested_on", "respond_by"):
            value = self.instant(item, here, name, dates=True, tz=self.employer_tz)
            if value is not None:
                said[name] = value
        if "respond_by" in item and item.get("outcome") != "offer":
            self.problem([*here, "respond_by"], "respond_by is the deadline of an offer; it needs 'outcome: offer' on the same reply", key=True)
        check_back = said.get("follow_up_requested_on")
        tz = self.employer_tz or self.tz
        if check_back is not None and at is not None and tz is not None and check_back.astimezone(tz).date() < at.astimezone(tz).date():
            self.problem(
                [*here, "follow_up_requested_on"],
                f"follow_up_requested_on {excerpt(item['follow_up_requested_on'])} is before the reply itself "
                f"({excerpt(item['at'])}); a check-back date is on or after the day the employer said it",
            )
        return said

    def employer(
        self, raw: Mapping[str, Any], steps: list[str | int], candidate: Candidate, companies: Mapping[str, tuple[int, Calendar]]
    ) -> Calendar:
        company = companies.get(raw.get("company", ""))
        calendar = company[1] if company is not None else candidate.calendar
        if isinstance(raw.get("employer"), Mapping):
            calendar = self.calendar(raw["employer"], [*steps, "employer"], calendar, "business_hours", f"the employer of application {excerpt(raw['id'])}")
        return calendar

    def interview(self, item: Mapping[str, Any], here: list[str | int], application_id: str) -> Interview | None:
        people = []
        seen_here: set[str] = set()
        for position, person in enumerate(_items(item.get("interviewers"))):
            if person["id"] in seen_here:
                self.problem([*here, "interviewers", position, "id"], f"interviewer {excerpt(person['id'])} listed twice in interview {excerpt(item['id'])}")
                continue
            seen_here.add(person["id"])
            people.append(_person(person))
        starts_at = self.instant(item, here, "starts_at", dates=False)
        ended_at = self.instant(item, here, "ended_at", dates=False)
        status = item.get("status", "happened" if "ended_at" in item else "scheduled")
        if "starts_at" not in item and "ended_at" not in item:
            self.problem(here, f"interview {excerpt(item['id'])} needs starts_at, ended_at or both; it has neither")
        if starts_at and ended_at and ended_at < starts_at:
            self.problem([*here, "ended_at"], f"ended_at {excerpt(item['ended_at'])} is before starts_at {excerpt(item['starts_at'])}")
        if status in CALLED_OFF and "ended_at" in item:
            self.problem(
                [*here, "ended_at"],
                f"interview {excerpt(item['id'])} is {status}, so it has no end; remove ended_at or use status 'happened'",
            )
        if status == "scheduled" and "ended_at" in item and "status" in item:
            self.problem([*here, "status"], f"interview {excerpt(item['id'])} has an ended_at but status 'scheduled'; use 'happened'")
        if "rescheduled_to" in item and status != "rescheduled":
            self.problem([*here, "rescheduled_to"], f"rescheduled_to is only for status 'rescheduled'; interview {excerpt(item['id'])} is {excerpt(status)}")
        if starts_at is None and ended_at is None:
            return None  # its problem is reported
        if self.located:
            where = f"applications[{application_id}].interviews[{item['id']}]"
            for name in ("topics", "strengths"):
                for position, _text in enumerate(_items(item.get(name))):
                    self.source(f"{where}.{name}[{position}]", [*here, name, position])
            for position, person in enumerate(_items(item.get("interviewers"))):
                if isinstance(person, Mapping) and person.get("title"):
                    self.source(f"{where}.interviewers[{person['id']}].title", [*here, "interviewers", position, "title"])
        return Interview(
            id=item["id"],
            starts_at=starts_at,
            ended_at=ended_at,
            interviewers=tuple(people),
            topics=tuple(item.get("topics", ())),
            strengths=tuple(item.get("strengths", ())),
            kind=item.get("kind"),
            status=status,
            rescheduled_to=item.get("rescheduled_to"),
        )

    def application(
        self,
        raw: Mapping[str, Any],
        steps: list[str | int],
        candidate: Candidate,
        companies: Mapping[str, tuple[int, Calendar]],
    ) -> Application:
        employer = self.employer(raw, steps, candidate, companies)
        interviews = []
        interviewer_ids: set[str] = set()
        interview_ids: set[str] = set()
        for index, item in enumerate(_items(raw.get("interviews"))):
            here: list[str | int] = [*steps, "interviews", index]
            if item["id"] in interview_ids:
                self.problem([*here, "id"], f"duplicate interview id {excerpt(item['id'])} in application {excerpt(raw['id'])}")
                continue
            interview_ids.add(item["id"])
            interviewer_ids.update(p["id"] for p in _items(item.get("interviewers")) if isinstance(p, Mapping) and "id" in p)
            interview = self.guarded(self.interview, item, here, raw["id"])
            if interview is not None:
                interviews.append((index, interview))
        for index, interview in interviews:
            target = interview.rescheduled_to
            if target is not None and target not in interview_ids:
                self.problem(
                    [*steps, "interviews", index, "rescheduled_to"],
                    f"rescheduled_to {excerpt(target)} names no interview of application {excerpt(raw['id'])}"
                    f"{suggest(target, interview_ids)}; interviews: {', '.join(sorted(interview_ids - {interview.id})) or 'none'}",
                )
            elif target == interview.id:
                self.problem([*steps, "interviews", index, "rescheduled_to"], f"interview {excerpt(target)} cannot be rescheduled to itself")
        ordered = sorted((i for _, i in interviews), key=lambda i: (i.begins_at, i.id))
        recruiter = None
        if isinstance(raw.get("recruiter"), Mapping):
            person = raw["recruiter"]
            recruiter = _person(person)
            interviewer_ids.add(recruiter.id)
            if person.get("title"):
                self.source(f"applications[{raw['id']}].recruiter.title", [*steps, "recruiter", "title"])
        if self.located:
            if raw.get("position"):
                self.source(f"applications[{raw['id']}].position", [*steps, "position"])
            for position, _text in enumerate(_items(raw.get("strengths"))):
                self.source(f"applications[{raw['id']}].strengths[{position}]", [*steps, "strengths", position])
        reference_ids = {r.id for r in candidate.references}
        self.employer_tz = employer.tz  # the dates a reply gives are on the employer's clock
        contacts = self.contacts(_items(raw.get("contacts")), [*steps, "contacts"], interviewer_ids | reference_ids, interview_ids)
        self.employer_tz = None
        offer = None
        if "offer" in raw:
            received = self.instant(raw["offer"], [*steps, "offer"], "received_at", dates=False)
            respond_by = self.instant(raw["offer"], [*steps, "offer"], "respond_by", dates=True, tz=employer.tz)
            if received is not None and respond_by is not None and respond_by < received:
                self.problem(
                    [*steps, "offer", "respond_by"],
                    f"respond_by {excerpt(raw['offer']['respond_by'])} is before the offer's received_at "
                    f"{excerpt(raw['offer']['received_at'])}; the deadline to answer comes after the offer arrives",
                )
            if received is not None:
                offer = Offer(received_at=received, respond_by=respond_by)
        return Application(
            id=raw["id"],
            company=raw["company"],
            position=raw.get("position"),
            status=raw["status"],
            priority=raw.get("priority", 3),
            preferred_medium=raw.get("preferred_medium", "email"),
            status_changed_at=self.instant(raw, steps, "status_changed_at", dates=False),
            applied_at=self.instant(raw, steps, "applied_at", dates=True),
            decision_expected_by=self.instant(raw, steps, "decision_expected_by", dates=True, tz=employer.tz),
            follow_up_requested_on=self.instant(raw, steps, "follow_up_requested_on", dates=True, tz=employer.tz),
            offer=offer,
            interviews=tuple(ordered),
            contacts=contacts,
            employer=None if employer is candidate.calendar else employer,
            strengths=tuple(raw.get("strengths", ())),
            recruiter=recruiter,
            domains=tuple(sorted({str(d).lower() for d in _items(raw.get("domains"))})),
        )


def _person(raw: Mapping[str, Any]) -> Interviewer:
    get: Any = raw.get  # (an id the schema found missing is read as None, as before)
    return Interviewer(get("id"), get("name"), get("title"), get("email"), get("postal_address"), get("fax"), get("phone"))


def _items(value: Any) -> list[Any]:
    """The items of a list in the document; nothing when it is not a list."""
    return value if isinstance(value, list) else []


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
    reader = _Reader(document, path, tolerant=bool(problems))
    try:
        state = reader.read()
    except InvalidInput as exc:
        problems.extend(p for p in exc.problems if p not in problems)
    if problems:
        raise InvalidInput(problems)
    return state


class _DeferredSources(Mapping[str, str]):
    """Where each free text of a file read without positions was written (see
    :attr:`State.sources`): worked out by parsing the file again, with positions,
    the first time it is asked."""

    def __init__(self, text: str, path: str, places: list[tuple[str, list[str | int]]]) -> None:
        self._text, self._path, self._places = text, path, places
        self._found: dict[str, str] | None = None

    def _resolved(self) -> dict[str, str]:
        if self._found is None:
            document = parse_document(self._text, self._path)
            found: dict[str, str] = {}
            for label, steps in self._places:
                mark = locate(document, steps)
                if mark is not None and mark.line:
                    found[label] = f"{mark.path}:{mark.line}"
            self._found = found
        return self._found

    def __getitem__(self, label: str) -> str:
        return self._resolved()[label]

    def __iter__(self) -> Iterator[str]:
        return iter(self._resolved())

    def __len__(self) -> int:
        return len(self._resolved())


def _state_from_json(document: Any, text: str, path: str) -> State | None:
    """The state of a valid JSON document read without positions; ``None`` when it
    has any problem (then it is read again with positions, to place each one)."""
    check = checker(STATE_SCHEMA)
    if not isinstance(document, dict) or check is None or not check(document):
        return None
    places: list[tuple[str, list[str | int]]] = []
    try:
        state = _Reader(document, path, deferred=places).read()
    except InvalidInput:
        return None
    return replace(state, sources=_DeferredSources(text, path, places)) if places else state


def load_state(source: str | Path | Mapping[str, Any]) -> State:
    """Load and validate a state document.

    A JSON file is read by :mod:`json` and checked without positions; only when it
    has a problem is it read again keeping the line and column of every value, to
    say where each problem is. A YAML file is read keeping them (by libyaml).

    :param source: a path to a YAML or JSON file, or an already-parsed mapping.
    :raises InvalidInput: listing every problem with file, line and column.
    """
    if isinstance(source, Mapping):
        return state_from_document(dict(source) if not isinstance(source, dict) else source)
    name = str(source)
    text = read_text_file(source)
    if name.endswith(".json"):
        plain = parse_plain_json(text)
        if plain is not None:
            state = _state_from_json(plain, text, name)
            if state is not None:
                return state
    return state_from_document(parse_document(text, name), name)
