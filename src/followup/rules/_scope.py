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
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from .._time import Calendar, Offset
from ..state import ENDED_STATUSES, LIVE_STATUSES, Offer

if TYPE_CHECKING:
    from ..state import Application, Candidate, Contact, Interview, Interviewer, Reference, State

#: how long before a deadline a letter must be posted to be of use: three business days
#: in the post and two for the employer to answer
POSTAL_LEAD = Offset("business_days", 5)

__all__ = [
    "BOOKKEEPING_KINDS",
    "POSTAL_LEAD",
    "ApplicationView",
    "CompetingOffer",
    "LogView",
    "Patience",
    "Scope",
    "StateView",
    "as_of_replies",
]

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


@dataclass(frozen=True, slots=True)
class Patience:
    """How the rulebook counts unanswered chases, and how long silence lasts before an
    application has gone quiet (from its patience cap: ``since: employer_reply``).

    :ivar kinds: the contact kinds counted (``None``: every outbound contact).
    :ivar max: how many unanswered chases spend patience.
    :ivar quiet_after: how long after the last chase, patience spent, the application
        counts as gone quiet; ``None``: never.
    """

    kinds: frozenset[str] | None
    max: int
    quiet_after: Offset | None = None

    def counts(self, contact: Contact) -> bool:
        if contact.direction != "out" or contact.kind in BOOKKEEPING_KINDS:
            return False
        return self.kinds is None or contact.kind in self.kinds


class StateView:
    """The state as of ``now``, with the facts that span applications."""

    __slots__ = (
        "_accepted",
        "_active",
        "_activity",
        "_alerted",
        "_best",
        "_live",
        "_offers",
        "applications",
        "calendar",
        "candidate",
        "journal",
        "now",
        "patience",
        "state",
    )

    def __init__(self, state: State, now: dt.datetime, patience: Patience | None = None) -> None:
        self.state = state
        self.now = now
        #: the rulebook's patience, for the facts about unanswered chases and going quiet
        self.patience = patience
        self.candidate: Candidate = state.candidate
        self.calendar: Calendar = state.candidate.calendar
        self.applications = [ApplicationView(self, application) for application in state.applications]
        #: the candidate's own log (entries tied to no application)
        self.journal = LogView(self, state.contacts)
        self._offers: list[CompetingOffer] | None = None
        self._active: int | None = None
        self._live: int | None = None
        self._activity: dt.datetime | bool | None = False
        self._accepted: Application | bool | None = False
        self._alerted: frozenset[str] | None = None
        self._best: tuple[int, int] | None = None

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
            moments = [application.applied_at, application.status_changed_at, view.recorded.status_changed_at]
            if application.offer is not None:
                moments.append(application.offer.received_at)
            moments.extend(i.ends_at for i in application.interviews)
            if self.patience is not None and self.patience.quiet_after is not None:
                moments.append(view.gone_quiet_at)  # it then stops counting as live
            times.extend(t for t in moments if t is not None and t > now)
        return times

    @property
    def active_applications(self) -> int:
        if self._active is None:
            self._active = sum(
                1 for v in self.applications if v.application.status in LIVE_STATUSES and not v.retired
            )
        return self._active

    @property
    def live_applications(self) -> int:
        """Applications still going somewhere: a live status, not retired, not gone quiet by now."""
        if self._live is None:
            now = self.now
            self._live = sum(
                1
                for v in self.applications
                if v.application.status in LIVE_STATUSES
                and not v.retired
                and (v.gone_quiet_at is None or v.gone_quiet_at > now)
            )
        return self._live

    @property
    def last_activity_at(self) -> dt.datetime | None:
        """The latest application or status change that happened by now."""
        if self._activity is False:
            times = [
                t
                for a in (v.application for v in self.applications)
                for t in (a.applied_at, a.status_changed_at)
                if t is not None and t <= self.now
            ]
            self._activity = max(times) if times else None
        return self._activity  # type: ignore[return-value]

    @property
    def accepted(self) -> Application | None:
        """The application whose offer the candidate accepted, as of now (at most one).

        An acceptance dated after now (``status_changed_at``) has not happened yet.
        """
        if self._accepted is False:
            self._accepted = next(
                (
                    a
                    for a in self.state.applications
                    if a.status == "accepted" and (a.status_changed_at is None or a.status_changed_at <= self.now)
                ),
                None,
            )
        return self._accepted  # type: ignore[return-value]

    @property
    def accepted_at(self) -> dt.datetime | None:
        """When the accepted offer was accepted: its status change, else when the offer arrived."""
        accepted = self.accepted
        if accepted is None:
            return None
        if accepted.status_changed_at is not None:
            return accepted.status_changed_at
        return accepted.offer.received_at if accepted.offer is not None else None

    @property
    def search_over(self) -> bool:
        """Whether an offer has been accepted, as of now: the search has ended."""
        return self.accepted is not None

    @property
    def alerted_references(self) -> frozenset[str]:
        """The references a ``reference_alert`` was logged to, by now, in any application."""
        if self._alerted is None:
            self._alerted = frozenset(
                c.to
                for view in self.applications
                for c in view.contacts
                if c.kind == "reference_alert" and c.to is not None
            )
        return self._alerted

    def most_wanted(self, application: Application) -> bool:
        """Whether ``application`` is live and strictly wanted more than every other live one."""
        if application.status not in LIVE_STATUSES:
            return False
        if self._best is None:
            priorities = sorted(v.application.priority for v in self.applications if v.application.status in LIVE_STATUSES)
            self._best = (priorities[0], priorities.count(priorities[0]))
        best, ties = self._best
        return application.priority == best and ties == 1

    @property
    def offers(self) -> list[CompetingOffer]:
        """Pending offers received by now, newest first."""
        if self._offers is None:
            offers = [
                CompetingOffer(a.id, a.company, a.priority, a.offer.received_at, a.offer.respond_by)
                for a in (v.application for v in self.applications)
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
    """One application as of ``now``, with its derived facts computed at most once.

    ``application`` is the application as the employer's replies left it by now
    (see :func:`as_of_replies`): the latest word wins.
    """

    __slots__ = ("_chases", "_competing", "_ended", "_last_reply", "_meetings", "_news", "recorded")

    application: Application

    def __init__(self, state: StateView, application: Application) -> None:
        super().__init__(state, application.contacts, application)
        #: the application as its state document gives it, before the replies
        self.recorded = application
        #: as of now: an ending dated later has not happened yet, then the replies
        self.application = as_of_replies(application.as_of(state.now), self.contacts)
        self._ended: list[Interview] | None = None
        self._meetings: dict[tuple[str, dt.date], list[Interview]] | None = None
        self._last_reply: dt.datetime | bool | None = False
        self._competing: CompetingOffer | bool | None = False
        self._news: dt.datetime | bool | None = False
        self._chases: list[dt.datetime] | None = None

    @property
    def ended_interviews(self) -> list[Interview]:
        """Interviews that took place and have ended by now, in the order they ended
        (cancelled, no-show and rescheduled ones never end)."""
        if self._ended is None:
            now = self.state.now
            ended = [i for i in self.application.interviews if (end := i.ends_at) is not None and end <= now]
            ended.sort(key=lambda i: (i.ends_at, i.id))
            self._ended = ended
        return self._ended

    @property
    def first_interview_ended_at(self) -> dt.datetime | None:
        ended = self.ended_interviews
        return ended[0].ends_at if ended else None

    @property
    def last_interview_ended_at(self) -> dt.datetime | None:
        ended = self.ended_interviews
        return ended[-1].ends_at if ended else None

    @property
    def next_interview_starts_at(self) -> dt.datetime | None:
        """When the first interview that is still to take place, or under way, starts."""
        upcoming = [
            i.begins_at for i in self.application.interviews if not i.called_off and not self.has_ended(i)
        ]
        return min(upcoming) if upcoming else None

    def has_ended(self, interview: Interview) -> bool:
        end = interview.ends_at
        return end is not None and end <= self.state.now

    def interview_status(self, interview: Interview) -> str:
        """scheduled, happened, cancelled, no_show or rescheduled, as of now."""
        if interview.called_off:
            return interview.status
        return "happened" if self.has_ended(interview) else "scheduled"

    @property
    def employer_calendar(self) -> Calendar:
        """The employer's calendar: the application's, else the candidate's."""
        return self.application.employer or self.state.calendar

    @property
    def repeat_meetings(self) -> dict[tuple[str, dt.date], list[Interview]]:
        """People met in more than one interview on one day (the candidate's calendar),
        by interviewer id and day: the interviews, in the order they ended. Worked out
        once per application and evaluation."""
        if self._meetings is None:
            tz = self.state.calendar.tz
            index: dict[tuple[str, dt.date], list[Interview]] = {}
            ended = self.ended_interviews
            if len(ended) > 1:
                for other in ended:
                    other_end = other.ends_at
                    assert other_end is not None
                    day = other_end.astimezone(tz).date()
                    for person_met in other.interviewers:
                        index.setdefault((person_met.id, day), []).append(other)
            self._meetings = {key: found for key, found in index.items() if len(found) > 1}
        return self._meetings

    def meetings_that_day(self, interview: Interview, person: str) -> list[Interview]:
        """When ``person`` was met in several interviews of this application that took
        place by now, on the day ``interview`` ended: those interviews, in the order
        they ended; else an empty list."""
        repeats = self.repeat_meetings
        end = interview.ends_at
        if not repeats or end is None:
            return []
        return repeats.get((person, end.astimezone(self.state.calendar.tz).date()), [])

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

    # -- the conversation -----------------------------------------------------

    @property
    def last_news_at(self) -> dt.datetime | None:
        """When the employer last said where things stand (a reply that is more than thanks), by now."""
        if self._news is False:
            self._news = next((c.at for c in reversed(self.contacts) if c.says_where_things_stand), None)
        return self._news  # type: ignore[return-value]

    def _current(self, date: dt.datetime | None) -> dt.datetime | None:
        """``date``, unless an interview or news came after that day (the word is then superseded)."""
        if date is None:
            return None
        since = self.chase_from
        if since is not None and since >= date + dt.timedelta(days=1):
            return None
        return date

    @property
    def check_back_on(self) -> dt.datetime | None:
        """The day the employer asked to hear back, unless an interview ended or news came after that day."""
        return self._current(self.application.follow_up_requested_on)

    @property
    def decision_pending_by(self) -> dt.datetime | None:
        """The date the employer said it would decide by, unless an interview ended or news came after that day."""
        return self._current(self.application.decision_expected_by)

    @property
    def employer_date(self) -> dt.datetime | None:
        """The later of the decision date and the check-back day that still stand: no chase before it."""
        dates = [d for d in (self.decision_pending_by, self.check_back_on) if d is not None]
        return max(dates) if dates else None

    @property
    def chase_from(self) -> dt.datetime | None:
        """Where the current round of chasing counts from: the later of the last interview's end and the last news."""
        moments = [m for m in (self.last_interview_ended_at, self.last_news_at) if m is not None]
        return max(moments) if moments else None

    @property
    def unanswered(self) -> list[dt.datetime]:
        """The chases the rulebook's patience counts since the employer last replied, oldest first."""
        if self._chases is None:
            patience = self.state.patience
            chases: list[dt.datetime] = []
            if patience is not None:
                for contact in reversed(self.contacts):
                    if contact.direction == "in":
                        break
                    if patience.counts(contact):
                        chases.append(contact.at)
                chases.reverse()
            self._chases = chases
        return self._chases

    @property
    def unanswered_chases(self) -> int | None:
        return len(self.unanswered) if self.state.patience is not None else None

    @property
    def last_chase_at(self) -> dt.datetime | None:
        chases = self.unanswered
        return chases[-1] if chases else None

    @property
    def gone_quiet_at(self) -> dt.datetime | None:
        """Once patience is spent: when silence since the last chase has lasted the rulebook's period."""
        patience = self.state.patience
        chases = self.unanswered
        if patience is None or patience.quiet_after is None or len(chases) < patience.max:
            return None
        return self.state.calendar.shift(chases[-1], patience.quiet_after)

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


    @property
    def closed_at(self) -> dt.datetime | None:
        """When this application came to an end, as of now: its own rejection, withdrawal or
        acceptance (``status_changed_at``), or for one still live, another offer's acceptance."""
        application = self.application
        if application.status in ENDED_STATUSES:
            changed = application.status_changed_at
            return changed if changed is not None and changed <= self.state.now else None
        if application.status in LIVE_STATUSES and self.state.search_over:
            return self.state.accepted_at
        return None

    @property
    def contact(self) -> Interviewer | None:
        """Whom notes about the whole application go to: the recruiter, else the lead
        interviewer (the first with the written medium's detail) of the latest interview."""
        application = self.application
        if application.recruiter is not None:
            return application.recruiter
        pool = self.ended_interviews or list(application.interviews)
        if not pool:
            return None
        latest = pool[-1]
        medium = application.written_medium
        lead = next((p for p in latest.interviewers if p.detail_for(medium)), None)
        return lead or (latest.interviewers[0] if latest.interviewers else None)

    @property
    def timely_medium(self) -> str:
        """The written medium, unless it is postal and a letter posted now would not reach the
        employer :data:`POSTAL_LEAD` before the competing offer's deadline: then email, or fax,
        whichever the contact has, else phone (a call)."""
        medium = self.application.written_medium
        offer = self.competing_offer
        if medium != "postal" or offer is None or offer.respond_by is None:
            return medium
        if self.state.calendar.shift(self.state.now, POSTAL_LEAD) <= offer.respond_by:
            return medium
        person = self.contact
        for fallback in ("email", "fax"):
            if person is not None and person.detail_for(fallback):
                return fallback
        return "phone"

def _contact_time(contact: Contact) -> dt.datetime:
    return contact.at


def as_of_replies(application: Application, contacts: tuple[Contact, ...]) -> Application:
    """``application`` with what its replies in ``contacts`` (oldest first) said applied.

    The latest word wins: the newest reply giving a decision date or a check-back day
    sets it, the newest giving a medium sets ``requested_medium``, and a reply with an
    ``outcome`` sets the status (and, for an offer, the offer) as of the reply, unless
    the document's ``status_changed_at`` is later.
    """
    changes: dict[str, object] = {}
    status, changed = application.status, application.status_changed_at
    for contact in contacts:
        if contact.direction != "in":
            continue
        if contact.decision_expected_by is not None:
            changes["decision_expected_by"] = contact.decision_expected_by
        if contact.follow_up_requested_on is not None:
            changes["follow_up_requested_on"] = contact.follow_up_requested_on
        if contact.medium is not None:
            changes["requested_medium"] = contact.medium
        if contact.outcome is not None and (changed is None or contact.at > changed):
            status, changed = contact.outcome, contact.at
            changes["status"], changes["status_changed_at"] = status, changed
            if status == "offer":
                changes["offer"] = Offer(received_at=contact.at, respond_by=contact.respond_by)
    return replace(application, **changes) if changes else application  # type: ignore[arg-type]


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
