"""The interview state: who the candidate is, where they applied, whom they met, what was said.

Plain frozen dataclasses, built by :func:`followup.load_state` (or by an embedding
tool directly). Every datetime is time-zone aware; dates given without a time are
the start of that day in the candidate's zone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from .._time import Calendar

__all__ = [
    "ACTIVE_STATUSES",
    "CALLED_OFF",
    "ENDED_STATUSES",
    "INTERVIEW_KINDS",
    "INTERVIEW_LENGTHS",
    "INTERVIEW_STATUSES",
    "LIVE_STATUSES",
    "MEDIA",
    "OUTCOMES",
    "STATUSES",
    "Application",
    "Candidate",
    "Contact",
    "Interview",
    "Interviewer",
    "Offer",
    "Proposal",
    "Reference",
    "State",
]

STATUSES = ("applied", "interviewing", "offer", "rejected", "accepted", "withdrawn", "stale")
#: where an application is still going somewhere; ``stale`` means it went quiet
LIVE_STATUSES = frozenset({"applied", "interviewing", "offer"})
ACTIVE_STATUSES = LIVE_STATUSES
#: what a reply can say the decision was
OUTCOMES = ("rejected", "offer")
#: statuses that end an application by themselves (``stale``: it went quiet)
ENDED_STATUSES = frozenset({"rejected", "withdrawn", "accepted", "stale"})
MEDIA = ("email", "postal", "fax", "phone")
#: what an interview can be
INTERVIEW_KINDS = ("phone_screen", "video", "onsite", "technical", "panel", "informal")
#: the life of an interview; ``rescheduled`` names its replacement in ``rescheduled_to``
INTERVIEW_STATUSES = ("scheduled", "happened", "cancelled", "no_show", "rescheduled")
#: statuses of an interview that did not take place: no note, not the latest interview
CALLED_OFF = frozenset({"cancelled", "no_show", "rescheduled"})
#: how long an interview known only by its start is taken to last, by kind
INTERVIEW_LENGTHS = {"phone_screen": dt.timedelta(minutes=30)}
DEFAULT_INTERVIEW_LENGTH = dt.timedelta(hours=1)
#: which detail of an interviewer each medium needs
WRITTEN_MEDIA = ("email", "postal", "fax")
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
    #: the CLDR locale (``en_GB``, ``de_DE``...) dates in messages are written for; ``None``: the default
    locale: str | None = None


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
    """A conversation with the employer, known by its start, its end, or both.

    ``status`` is what the state says (``scheduled`` unless told otherwise); whether a
    scheduled interview has happened depends on the instant it is looked at from:
    see :attr:`ends_at`.
    """

    id: str
    starts_at: dt.datetime | None = None
    ended_at: dt.datetime | None = None
    interviewers: tuple[Interviewer, ...] = ()
    #: subjects discussed, for the notes that follow
    topics: tuple[str, ...] = ()
    #: why the candidate fits, as shown in this interview: for the notes that follow
    strengths: tuple[str, ...] = ()
    #: phone_screen, video, onsite, technical, panel, informal (or unset)
    kind: str | None = None
    status: str = "scheduled"
    #: for a rescheduled interview: the id of the interview that replaces it
    rescheduled_to: str | None = None
    #: when it ended or will end: ``ended_at``, else ``starts_at`` plus the default
    #: length of its kind; ``None`` when it was called off (worked out, not given)
    ends_at: dt.datetime | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def called_off(self) -> bool:
        """Cancelled, a no-show, or rescheduled: it did not take place."""
        return self.status in CALLED_OFF

    @property
    def end_estimated(self) -> bool:
        """Whether :attr:`ends_at` is a guess from the start and a default length."""
        return self.ended_at is None and self.starts_at is not None and not self.called_off

    def __post_init__(self) -> None:
        if self.called_off:
            end = None
        elif self.ended_at is not None:
            end = self.ended_at
        else:
            assert self.starts_at is not None, "an interview needs starts_at or ended_at"
            end = self.starts_at + INTERVIEW_LENGTHS.get(self.kind or "", DEFAULT_INTERVIEW_LENGTH)
        object.__setattr__(self, "ends_at", end)

    @property
    def begins_at(self) -> dt.datetime:
        """When it started: ``starts_at``, else ``ended_at`` (one of them is always set)."""
        moment = self.starts_at if self.starts_at is not None else self.ended_at
        assert moment is not None
        return moment


@dataclass(frozen=True, slots=True)
class Proposal:
    """What a reply found in a mailbox seems to say, waiting for the person to confirm it.

    ``followup mail sync`` reads each employer reply and proposes its meaning in the
    fields a reply has (see :class:`Contact`); ``evidence`` is the sentence it was read
    from. A proposal changes nothing by itself: the reply it sits on counts as an
    acknowledgement until ``followup log confirm`` records what it said. A proposal
    with no field set proposes that the reply is an acknowledgement.
    """

    outcome: str | None = None
    respond_by: dt.datetime | None = None
    decision_expected_by: dt.datetime | None = None
    evidence: str | None = None
    follow_up_requested_on: dt.datetime | None = None
    medium: str | None = None
    next_round: bool = False
    on_hold: bool = False

    def said(self) -> dict[str, object]:
        """The reply fields it proposes, by name (empty: an acknowledgement)."""
        return {
            name: value
            for name in ("decision_expected_by", "follow_up_requested_on", "medium", "next_round", "on_hold", "outcome", "respond_by")
            if (value := getattr(self, name)) not in (None, False)
        }


@dataclass(frozen=True, slots=True)
class Contact:
    """One entry of the contact log.

    ``direction`` is ``"out"`` for what the candidate did and ``"in"`` for anything the
    employer sent. ``to`` names an interviewer or reference id. ``action`` is the key
    of the agenda action this entry settles, snoozes or dismisses, when there is one.

    A reply (``direction`` ``"in"``) can say what the employer said: the date they will
    decide by, a date to check back on, the ``medium`` to reach them through, that a
    next round is being booked, that the process is on hold, or the ``outcome``
    (``rejected``, or ``offer`` with its ``respond_by``). A reply saying none of these
    is an acknowledgement.

    ``message_id`` is the ``Message-ID`` of the email the entry was found as (by
    ``followup mail sync``), so that the same message is never logged twice; a reply
    found that way carries the meaning the sync proposes in ``proposed``, which counts
    for nothing until it is confirmed (see :class:`Proposal`).
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
    decision_expected_by: dt.datetime | None = None
    follow_up_requested_on: dt.datetime | None = None
    medium: str | None = None
    next_round: bool = False
    on_hold: bool = False
    outcome: str | None = None
    respond_by: dt.datetime | None = None
    message_id: str | None = None
    proposed: Proposal | None = None

    @property
    def says_where_things_stand(self) -> bool:
        """Whether this reply gives news (a date, a next round, a hold, a decision), not just thanks."""
        return self.direction == "in" and (
            self.decision_expected_by is not None
            or self.follow_up_requested_on is not None
            or self.next_round
            or self.on_hold
            or self.outcome is not None
        )


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
    position: str | None
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
    #: why the candidate fits this position: every note may mention one
    strengths: tuple[str, ...] = ()
    #: the employer's contact for notes about the application as a whole
    recruiter: Interviewer | None = None
    #: the employer's calendar (zone, holidays, business hours); ``None``: the candidate's
    employer: Calendar | None = None
    #: the employer's email domains (lower case): mail from any address there is theirs
    domains: tuple[str, ...] = ()

    #: the medium the employer asked for in its latest reply giving one (see :class:`Contact`)
    requested_medium: str | None = None

    @property
    def written_medium(self) -> str:
        """The medium for a written note: the one asked for, else the preferred one, when written; else email."""
        for medium in (self.requested_medium, self.preferred_medium):
            if medium in WRITTEN_MEDIA:
                return medium  # type: ignore[return-value]
        return "email"

    @property
    def chase_medium(self) -> str:
        """How to chase: the medium asked for in the latest reply, else the preferred one (may be phone)."""
        return self.requested_medium or self.preferred_medium

    def as_of(self, now: dt.datetime) -> Application:
        """The application as it stood at ``now``.

        An ending (rejected, withdrawn, accepted) whose ``status_changed_at`` is after
        now has not happened yet: until then the application reads as ``offer`` (an
        offer received by now), else ``interviewing`` (an interview has ended), else
        ``applied``, with no ``status_changed_at`` (replies before the ending may still
        change it). Any other application is returned unchanged.
        """
        changed = self.status_changed_at
        if self.status not in ENDED_STATUSES or changed is None or changed <= now:
            return self
        if self.offer is not None and self.offer.received_at <= now:
            before = "offer"
        elif any(i.ends_at is not None and i.ends_at <= now for i in self.interviews):
            before = "interviewing"
        else:
            before = "applied"
        return replace(self, status=before, status_changed_at=None)

    def interviewer(self, interviewer_id: str) -> Interviewer | None:
        """The most recent record of an interviewer met in any interview of this application
        (or the recruiter, when the id is theirs and nobody met has it)."""
        found = self.recruiter if self.recruiter is not None and self.recruiter.id == interviewer_id else None
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
    #: where each free text of the state was written: ``{field label: "file:line"}``
    #: (labels as :func:`followup.delivery.messages.state_texts` gives them); empty for a
    #: state that did not come from a file
    sources: Mapping[str, str] = field(default_factory=dict, compare=False, hash=False)

    def application(self, application_id: str) -> Application | None:
        for application in self.applications:
            if application.id == application_id:
                return application
        return None
