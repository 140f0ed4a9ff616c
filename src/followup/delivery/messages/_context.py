"""Who and what an action is about: the mapping templates and message checks read."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from ..._errors import InvalidInput
from ...engine import Action
from ...state import Application, Interview, Interviewer, Reference, State
from .._channel import MEDIA, Party

__all__ = ["WRITTEN_KINDS", "build_context", "medium_of", "recipient_party"]

#: kinds whose message goes to someone other than the candidate
WRITTEN_KINDS = frozenset(
    {"thank_you_note", "bridge_note", "follow_up", "requested_follow_up", "leverage_follow_up", "reference_alert"}
)


def build_context(
    state: State,
    action: Action,
    config: Mapping[str, Any] | None = None,
    *,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """Find everything a message for ``action`` may mention.

    Keys: ``action``, ``candidate``, ``state``, ``config``, ``now`` (when given),
    ``medium``, ``application``, ``interview``, ``interviewer``, ``reference``,
    ``recipient`` (a :class:`followup.Party` or ``None``), ``interviewers`` (everyone
    met at the interview), ``recipient_index`` (the recipient's place among them),
    ``competing_offer`` (for leverage follow-ups) and ``known_words`` (names, titles,
    companies, positions and topics of the state, for the spelling check).

    For an action addressed to an application rather than a person (status and
    requested follow-ups, leverage), the recipient is the first interviewer of the
    most recent finished interview who has the contact detail the medium needs, or
    failing that the first interviewer of that interview.

    :raises followup.InvalidInput: the action names an application, interview or
        person the state does not have.
    """
    application = _application(state, action)
    interview = _interview(application, action)
    interviewer: Interviewer | None = None
    reference: Reference | None = None
    medium = medium_of(action, application)
    if action.recipient is not None:
        reference = next((r for r in state.candidate.references if r.id == action.recipient), None)
        if reference is None:
            if application is None:
                raise _missing(action, f"recipient {action.recipient!r}")
            interviewer = _find_interviewer(application, interview, action.recipient)
            if interviewer is None:
                raise _missing(action, f"interviewer {action.recipient!r} of application {application.id!r}")
    elif application is not None and action.kind in WRITTEN_KINDS | {"status_call"}:
        interview = interview or _latest_interview(application)
        if interview is not None:
            interviewer = _lead_contact(interview, medium)
    interviewers = interview.interviewers if interview is not None else ()
    recipient_index = 0
    if interviewer is not None:
        recipient_index = next((i for i, p in enumerate(interviewers) if p.id == interviewer.id), 0)
    elif reference is not None:
        recipient_index = next((i for i, r in enumerate(state.candidate.references) if r.id == reference.id), 0)
    return {
        "action": action,
        "state": state,
        "candidate": state.candidate,
        "config": dict(config or {}),
        "now": now,
        "medium": medium,
        "application": application,
        "interview": interview,
        "interviewer": interviewer,
        "interviewers": interviewers,
        "recipient_index": recipient_index,
        "reference": reference,
        "recipient": recipient_party(interviewer, reference, application),
        "competing_offer": _competing_offer(state, application) if action.kind == "leverage_follow_up" else None,
        "known_words": known_words(state),
    }


def medium_of(action: Action, application: Application | None) -> str:
    """The medium of an action's message: its channel when that names a medium, else a sensible one."""
    if action.channel in MEDIA:
        return str(action.channel)
    if action.kind in WRITTEN_KINDS:
        return application.written_medium if application is not None else "email"
    return "reminder"


def recipient_party(
    interviewer: Interviewer | None, reference: Reference | None, application: Application | None
) -> Party | None:
    """The addressee as a :class:`followup.Party`, with every contact detail known."""
    if interviewer is not None:
        return Party(
            name=interviewer.name,
            title=interviewer.title,
            email=interviewer.email,
            postal_address=interviewer.postal_address,
            fax=interviewer.fax,
            phone=interviewer.phone,
            organisation=application.company if application is not None else None,
        )
    if reference is not None:
        return Party(name=reference.name, email=reference.email, phone=reference.phone)
    return None


def known_words(state: State) -> frozenset[str]:
    """Names, titles, companies, positions and topics: words the spelling check must accept."""
    texts: list[str] = [state.candidate.name]
    texts.extend(r.name for r in state.candidate.references)
    for application in state.applications:
        texts.extend((application.company, application.position))
        for interview in application.interviews:
            texts.extend(interview.topics)
            for person in interview.interviewers:
                texts.extend(t for t in (person.name, person.title, person.postal_address) if t)
    from ._words import words

    return frozenset(word.lower() for text in texts for word in words(text))


def _application(state: State, action: Action) -> Application | None:
    if action.application is None:
        return None
    application = state.application(action.application)
    if application is None:
        raise _missing(action, f"application {action.application!r}")
    return application


def _interview(application: Application | None, action: Action) -> Interview | None:
    if application is None or action.interview is None:
        return None
    found = next((i for i in application.interviews if i.id == action.interview), None)
    if found is None:
        raise _missing(action, f"interview {action.interview!r} of application {application.id!r}")
    return found


def _find_interviewer(application: Application, interview: Interview | None, person_id: str) -> Interviewer | None:
    if interview is not None:
        found = next((p for p in interview.interviewers if p.id == person_id), None)
        if found is not None:
            return found
    return application.interviewer(person_id)


def _latest_interview(application: Application) -> Interview | None:
    finished = [i for i in application.interviews if i.ended_at is not None]
    pool = finished or list(application.interviews)
    if not pool:
        return None
    return max(pool, key=lambda i: (i.ended_at or i.starts_at, i.id))


def _lead_contact(interview: Interview, medium: str) -> Interviewer | None:
    for person in interview.interviewers:
        if person.detail_for(medium):
            return person
    return interview.interviewers[0] if interview.interviewers else None


def _competing_offer(state: State, application: Application | None) -> dict[str, Any] | None:
    if application is None:
        return None
    offers = [
        other
        for other in state.applications
        if other.id != application.id
        and other.offer is not None
        and other.status == "offer"
        and other.priority > application.priority
    ]
    if not offers:
        return None
    best = max(offers, key=lambda a: (a.offer.received_at if a.offer else dt.datetime.min, a.id))
    assert best.offer is not None
    return {
        "company": best.company,
        "position": best.position,
        "received_at": best.offer.received_at,
        "respond_by": best.offer.respond_by,
    }


def _missing(action: Action, what: str) -> InvalidInput:
    return InvalidInput.single(
        f"action {action.key}", f"the state has no {what}; was the state changed since the agenda?"
    )
