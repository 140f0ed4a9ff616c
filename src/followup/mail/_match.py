"""Whose mail is it: the employer's, the candidate's own note to them, or nobody's business.

:class:`Addresses` indexes a state: every interviewer's and recruiter's email by
application, every reference's email, every application's ``domains``, and the
``Message-ID`` of every logged message. A message from the employer is matched, in
this order, by the thread it answers (``In-Reply-To``/``References`` naming a
message logged for an application), by the sender's address (a person met), then by
the sender's domain (or a subdomain of it). When several applications share a
person or a domain, the one the thread names wins, then a live application over an
ended one, then the one with the latest interview or log entry.

A message matched to nothing is not read beyond its headers and never recorded.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from ..state import LIVE_STATUSES, Application, State

__all__ = ["THANK_YOU_WINDOW", "Addresses", "Found", "Person"]

#: a note sent this long after an interview, to one of its interviewers, is its thank-you note
THANK_YOU_WINDOW = dt.timedelta(days=2)


@dataclass(frozen=True)
class Person:
    """Someone on the employer's side: an id valid as a contact's ``to`` in ``application``."""

    application: str | None  # None: a reference (the candidate's own log)
    id: str


@dataclass(frozen=True)
class Found:
    """Where a message belongs: the application (``None``: the candidate's log) and the people it involves."""

    application: str | None
    people: tuple[str, ...] = ()


@dataclass
class Addresses:
    """The addresses and message ids a state knows, for matching mail to applications."""

    state: State
    own: frozenset[str] = frozenset()
    people: dict[str, list[Person]] = field(default_factory=dict)
    domains: dict[str, list[str]] = field(default_factory=dict)
    logged: dict[str, str | None] = field(default_factory=dict)

    @classmethod
    def of(cls, state: State, own: Iterable[str] = ()) -> Addresses:
        """The index of ``state``; ``own`` are the candidate's addresses (besides the state's email)."""
        mine = {a.lower() for a in own}
        if state.candidate.email:
            mine.add(state.candidate.email.lower())
        index = cls(state, frozenset(mine))
        for application in state.applications:
            people = [application.recruiter] if application.recruiter is not None else []
            people += [p for interview in application.interviews for p in interview.interviewers]
            for person in people:
                if person.email:
                    entries = index.people.setdefault(person.email.strip().lower(), [])
                    if Person(application.id, person.id) not in entries:
                        entries.append(Person(application.id, person.id))
            for domain in application.domains:
                index.domains.setdefault(domain, []).append(application.id)
            for contact in application.contacts:
                if contact.message_id:
                    index.logged[contact.message_id] = application.id
        for reference in state.candidate.references:
            if reference.email:
                index.people.setdefault(reference.email.strip().lower(), []).append(Person(None, reference.id))
        for contact in state.contacts:
            if contact.message_id:
                index.logged[contact.message_id] = None
        return index

    def is_logged(self, message_id: str) -> bool:
        return message_id in self.logged

    def _rank(self, application_id: str) -> tuple[bool, dt.datetime]:
        application = self.state.application(application_id)
        assert application is not None
        return (application.status in LIVE_STATUSES, _latest(application))

    def _best(self, candidates: Iterable[str], thread: Iterable[str]) -> str | None:
        named = [self.logged[m] for m in thread if m in self.logged and self.logged[m] is not None]
        choices = list(dict.fromkeys(candidates))
        for application in named:
            if application in choices:
                return application
        if not choices:
            return None
        return max(choices, key=self._rank)

    def _domain_applications(self, address: str) -> list[str]:
        domain = address.rpartition("@")[2]
        found: list[str] = []
        for known, applications in self.domains.items():
            if domain == known or domain.endswith("." + known):
                found += applications
        return found

    def sender(self, address: str, thread: Iterable[str] = ()) -> Found | None:
        """Where mail from ``address`` belongs, or ``None`` (not the employer's)."""
        address = address.lower()
        if not address or address in self.own:
            return None
        thread = list(thread)
        people = self.people.get(address, [])
        applications = [p.application for p in people if p.application is not None]
        chosen = self._best(applications, thread) if applications else None
        if chosen is not None:
            return Found(chosen, tuple(p.id for p in people if p.application == chosen))
        if people:  # a reference, not met in any application
            return Found(None, (people[0].id,))
        chosen = self._best(self._domain_applications(address), thread)
        return Found(chosen) if chosen is not None else None

    def recipients(self, addresses: Iterable[str], thread: Iterable[str] = ()) -> Found | None:
        """Where the candidate's note to ``addresses`` belongs: one application, and the people of it addressed."""
        wanted = [a.lower() for a in addresses if a and a.lower() not in self.own]
        thread = list(thread)
        votes: list[str] = []
        for address in wanted:
            votes += [p.application for p in self.people.get(address, []) if p.application is not None]
        if not votes:
            for address in wanted:
                votes += self._domain_applications(address)
        chosen = self._best(votes, thread)
        if chosen is None:
            return None
        people: list[str] = []
        for address in wanted:
            for person in self.people.get(address, []):
                if person.application == chosen and person.id not in people:
                    people.append(person.id)
        return Found(chosen, tuple(people))

    def kind_of_note(self, application_id: str, person: str | None, sent_at: dt.datetime) -> tuple[str, str | None]:
        """``(kind, interview)`` of a note the candidate sent: a thank-you note in the two
        days after an interview to one of its interviewers, a follow-up otherwise."""
        application = self.state.application(application_id)
        if application is None or person is None:
            return "follow_up", None
        for interview in sorted(application.interviews, key=lambda i: i.begins_at, reverse=True):
            end = interview.ends_at
            if end is None or not any(p.id == person for p in interview.interviewers):
                continue
            if end <= sent_at <= end + THANK_YOU_WINDOW:
                return "thank_you_note", interview.id
        return "follow_up", None


def _latest(application: Application) -> dt.datetime:
    moments = [i.begins_at for i in application.interviews] + [c.at for c in application.contacts]
    if application.applied_at is not None:
        moments.append(application.applied_at)
    return max(moments, default=dt.datetime.min.replace(tzinfo=dt.UTC))
