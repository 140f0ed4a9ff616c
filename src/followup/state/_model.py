"""The interview state: who the candidate is, where they applied, whom they met, what was said.

Plain frozen dataclasses, built by :func:`followup.load_state` (or by an embedding
tool directly). Every datetime is time-zone aware; dates given without a time are
the start of that day in the candidate's zone.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from .._time import Calendar

__all__ = [
    "ACTIVE_STATUSES",
    "MEDIA",
    "STATUSES",
    "Application",
    "Candidate",
    "Contact",
    "Interview",
    "Interviewer",
    "Offer",
    "Reference",
    "State",
]

STATUSES = ("applied", "interviewing", "offer", "rejected", "accepted", "withdrawn")
ACTIVE_STATUSES = frozenset({"applied", "interviewing", "offer"})
MEDIA = ("email", "postal", "fax", "phone")
#: which detail of an interviewer each medium needs
MEDIUM_DETAIL = {"email": "email", "postal": "postal_address", "fax": "fax", "phone": "phone"}


@dataclass(frozen=True, slots=True)
class Reference:
    """Someone who vouches for the candidate and may get a call from an employer."""

    id: str
    name: str
    email: str | None = None
    phone: str | None = None


@dataclass(frozen=True, slots=True)
class Candidate:
    """The person looking for a job, and the calendar their deadlines are counted in."""

    name: str
    timezone: str
    calendar: Calendar
    email: str | None = None
    holiday_country: str | None = None
    holiday_subdivision: str | None = None
    references: tuple[Reference, ...] = ()


@dataclass(frozen=True, slots=True)
class Interviewer:
    """One person on the employer's side of an interview."""

    id: str
    name: str | None = None
    title: str | None = None
    email: str | None = None
    postal_address: str | None = None
    fax: str | None = None
    phone: str | None = None

    def detail_for(self, medium: str) -> str | None:
        """The contact detail a message through ``medium`` needs, if known."""
        attribute = MEDIUM_DETAIL.get(medium)
        return getattr(self, attribute) if attribute else None


@dataclass(frozen=True, slots=True)
class Interview:
    """A conversation with the employer; ``ended_at`` is unset until it has happened."""

    id: str
    starts_at: dt.datetime
    ended_at: dt.datetime | None = None
    interviewers: tuple[Interviewer, ...] = ()
    #: subjects discussed, for the notes that follow
    topics: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Contact:
    """One entry of the contact log.

    ``direction`` is ``"out"`` for what the candidate did and ``"in"`` for anything the
    employer sent. ``to`` names an interviewer or reference id. ``action`` is the key
    of the agenda action this entry settles, snoozes or dismisses, when there is one.
    """

    at: dt.datetime
    kind: str
    direction: str = "out"
    to: str | None = None
    interview: str | None = None
    channel: str | None = None
    note: str | None = None
    action: str | None = None
    until: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class Offer:
    """An offer the employer made, and by when they want an answer."""

    received_at: dt.datetime
    respond_by: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class Application:
    """One position at one employer, with its interviews and its contact log."""

    id: str
    company: str
    position: str
    status: str
    priority: int = 3
    preferred_medium: str = "email"
    status_changed_at: dt.datetime | None = None
    applied_at: dt.datetime | None = None
    decision_expected_by: dt.datetime | None = None
    follow_up_requested_on: dt.datetime | None = None
    offer: Offer | None = None
    interviews: tuple[Interview, ...] = ()
    #: the log, oldest first
    contacts: tuple[Contact, ...] = ()

    @property
    def written_medium(self) -> str:
        """The medium for a written note: the preferred one, or email for phone."""
        return self.preferred_medium if self.preferred_medium in ("email", "postal", "fax") else "email"

    def interviewer(self, interviewer_id: str) -> Interviewer | None:
        """The most recent record of an interviewer met in any interview of this application."""
        found = None
        for interview in self.interviews:
            for person in interview.interviewers:
                if person.id == interviewer_id:
                    found = person
        return found


@dataclass(frozen=True, slots=True)
class State:
    """Everything the engine needs to know: a candidate and their applications."""

    candidate: Candidate
    applications: tuple[Application, ...] = field(default=())
    version: int = 1
    #: the candidate's own log: entries tied to no application, oldest first
    contacts: tuple[Contact, ...] = ()

    def application(self, application_id: str) -> Application | None:
        for application in self.applications:
            if application.id == application_id:
                return application
        return None
