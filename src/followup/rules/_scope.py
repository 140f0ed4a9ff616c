"""What a rule sees while it is evaluated: one fan-out item, as of one instant.

A :class:`Scope` is one item a rule fans out over (the candidate, an application,
an interview, an interviewer or a reference) with everything above it. Facts that
need work (the latest interview, the last reply, a competing offer) are computed
once per application per evaluation by :class:`ApplicationView` and cached.

Everything is "as of now": contacts logged after ``now`` and interviews that end
after ``now`` have not happened yet.
"""

from __future__ import annotations

import bisect
import datetime as dt
from dataclasses import dataclass

from .._time import Calendar
from ..state import ACTIVE_STATUSES, Application, Candidate, Contact, Interview, Interviewer, Reference, State

__all__ = ["BOOKKEEPING_KINDS", "ApplicationView", "CompetingOffer", "LogView", "Scope", "StateView"]

#: log entries that record a person's decision, not a contact with anyone
BOOKKEEPING_KINDS = frozenset({"snoozed", "dismissed", "retired"})


@dataclass(frozen=True, slots=True)
class CompetingOffer:
    """An offer from a less-wanted application that could help with this one."""

    application: str
    company: str
    priority: int
    received_at: dt.datetime
    respond_by: dt.datetime | None


class StateView:
    """The state as of ``now``, with the facts that span applications."""

    __slots__ = ("_active", "_activity", "_offers", "applications", "calendar", "candidate", "journal", "now", "state")

    def __init__(self, state: State, now: dt.datetime) -> None:
        self.state = state
        self.now = now
        self.candidate: Candidate = state.candidate
        self.calendar: Calendar = state.candidate.calendar
        self.applications = [ApplicationView(self, application) for application in state.applications]
        #: the candidate's own log (entries tied to no application)
        self.journal = LogView(self, state.contacts)
        self._offers: list[CompetingOffer] | None = None
        self._active: int | None = None
        self._activity: dt.datetime | bool | None = False

    def coming_changes(self) -> list[dt.datetime]:
        """Instants after now at which some fact will change without new input.

        Log entries, interview ends, applications, status changes and offers
        dated in the future count as not having happened until their time comes.
        """
        now = self.now
        times = [] if self.journal.next_log_entry_at is None else [self.journal.next_log_entry_at]
        for view in self.applications:
            application = view.application
            if view.next_log_entry_at is not None:
                times.append(view.next_log_entry_at)
            moments = [application.applied_at, application.status_changed_at]
            if application.offer is not None:
                moments.append(application.offer.received_at)
            moments.extend(i.ended_at for i in application.interviews)
            times.extend(t for t in moments if t is not None and t > now)
        return times

    @property
    def active_applications(self) -> int:
        if self._active is None:
            self._active = sum(
                1 for v in self.applications if v.application.status in ACTIVE_STATUSES and not v.retired
            )
        return self._active

    @property
    def last_activity_at(self) -> dt.datetime | None:
        """The latest application or status change that happened by now."""
        if self._activity is False:
            times = [
                t
                for a in self.state.applications
                for t in (a.applied_at, a.status_changed_at)
                if t is not None and t <= self.now
            ]
            self._activity = max(times) if times else None
        return self._activity  # type: ignore[return-value]

    @property
    def offers(self) -> list[CompetingOffer]:
        """Pending offers received by now, newest first."""
        if self._offers is None:
            offers = [
                CompetingOffer(a.id, a.company, a.priority, a.offer.received_at, a.offer.respond_by)
                for a in self.state.applications
                if a.status == "offer" and a.offer is not None and a.offer.received_at <= self.now
            ]
            offers.sort(key=lambda o: (o.received_at, o.application), reverse=True)
            self._offers = offers
        return self._offers


class LogView:
    """A contact log as of ``now``: the candidate's own, or an application's."""

    __slots__ = ("_future", "application", "contacts", "log", "marked", "state")

    def __init__(self, state: StateView, entries: tuple[Contact, ...], application: Application | None = None) -> None:
        self.state = state
        self.application = application
        cut = bisect.bisect_right(entries, state.now, key=_contact_time)
        #: every log entry up to now, oldest first
        self.log: tuple[Contact, ...] = entries[:cut] if cut < len(entries) else entries
        #: real contacts (no bookkeeping) up to now, oldest first
        self.contacts: tuple[Contact, ...] = tuple(c for c in self.log if c.kind not in BOOKKEEPING_KINDS)
        #: whether any entry names an action or retires the application: only then
        #: can a person's bookkeeping settle an action
        self.marked = any(c.action is not None or c.kind == "retired" for c in self.log)
        self._future = entries[cut].at if cut < len(entries) else None

    @property
    def next_log_entry_at(self) -> dt.datetime | None:
        """The first log entry after now, which will change this view when it comes."""
        return self._future

    @property
    def retired(self) -> bool:
        """Whether a person retired this application (a ``retired`` log entry), by now."""
        return any(entry.kind == "retired" for entry in self.log)


class ApplicationView(LogView):
    """One application as of ``now``, with its derived facts computed at most once."""

    __slots__ = ("_competing", "_ended", "_last_reply")

    application: Application

    def __init__(self, state: StateView, application: Application) -> None:
        super().__init__(state, application.contacts, application)
        self._ended: list[Interview] | None = None
        self._last_reply: dt.datetime | bool | None = False
        self._competing: CompetingOffer | bool | None = False

    @property
    def ended_interviews(self) -> list[Interview]:
        """Interviews that have ended by now, in the order they ended."""
        if self._ended is None:
            now = self.state.now
            ended = [i for i in self.application.interviews if i.ended_at is not None and i.ended_at <= now]
            ended.sort(key=lambda i: (i.ended_at, i.id))
            self._ended = ended
        return self._ended

    @property
    def first_interview_ended_at(self) -> dt.datetime | None:
        ended = self.ended_interviews
        return ended[0].ended_at if ended else None

    @property
    def last_interview_ended_at(self) -> dt.datetime | None:
        ended = self.ended_interviews
        return ended[-1].ended_at if ended else None

    @property
    def next_interview_starts_at(self) -> dt.datetime | None:
        """When the first interview that has not ended by now starts (or started)."""
        upcoming = [i.starts_at for i in self.application.interviews if not self.has_ended(i)]
        return min(upcoming) if upcoming else None

    def has_ended(self, interview: Interview) -> bool:
        return interview.ended_at is not None and interview.ended_at <= self.state.now

    @property
    def last_reply_at(self) -> dt.datetime | None:
        """When the employer last sent anything, by now."""
        if self._last_reply is False:
            found = None
            for contact in reversed(self.contacts):
                if contact.direction == "in":
                    found = contact.at
                    break
            self._last_reply = found
        return self._last_reply  # type: ignore[return-value]

    @property
    def last_contact_at(self) -> dt.datetime | None:
        return self.contacts[-1].at if self.contacts else None

    @property
    def competing_offer(self) -> CompetingOffer | None:
        """The newest pending offer from an application the candidate wants less."""
        if self._competing is False:
            mine = self.application
            self._competing = next(
                (o for o in self.state.offers if o.application != mine.id and o.priority > mine.priority),
                None,
            )
        return self._competing  # type: ignore[return-value]


def _contact_time(contact: Contact) -> dt.datetime:
    return contact.at


class Scope:
    """One fan-out item of a rule: the levels above it are always filled in.

    :ivar candidate: always set.
    :ivar application: set below the candidate level.
    :ivar interview: set for ``interview`` and ``interviewer`` rules.
    :ivar interviewer: set for ``interviewer`` rules.
    :ivar reference: set for ``reference`` rules.
    :ivar view: the application's log and derived facts; at candidate level, the
        candidate's own log.
    :ivar world: the whole state as of now.
    """

    __slots__ = ("application", "candidate", "interview", "interviewer", "reference", "view", "world")

    def __init__(
        self,
        world: StateView,
        view: LogView | None = None,
        interview: Interview | None = None,
        interviewer: Interviewer | None = None,
        reference: Reference | None = None,
    ) -> None:
        self.world = world
        self.view = view if view is not None else world.journal
        self.candidate = world.candidate
        self.application = self.view.application
        self.interview = interview
        self.interviewer = interviewer
        self.reference = reference

    @property
    def recipient(self) -> str | None:
        """The id of the person addressed: the interviewer or reference, if any."""
        if self.interviewer is not None:
            return self.interviewer.id
        if self.reference is not None:
            return self.reference.id
        return None

    @property
    def recipient_name(self) -> str | None:
        if self.interviewer is not None:
            return self.interviewer.name
        if self.reference is not None:
            return self.reference.name
        return None
