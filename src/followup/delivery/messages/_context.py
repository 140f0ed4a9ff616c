"""Who and what an action is about: the mapping templates and message checks read."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from typing import Any

from ..._errors import InvalidInput
from ...engine import Action
from ...state import ACTIVE_STATUSES, Application, Interview, Interviewer, Reference, State
from .._channel import MEDIA, Party

__all__ = ["WRITTEN_KINDS", "build_context", "known_words", "medium_of", "recipient_party", "state_texts"]

#: kinds whose message goes to someone other than the candidate
WRITTEN_KINDS = frozenset(
    {
        "thank_you_note",
        "bridge_note",
        "follow_up",
        "requested_follow_up",
        "leverage_follow_up",
        "reference_alert",
        "withdrawal_note",
        "reference_thanks",
        "application_follow_up",
        "close_the_loop",
    }
)
#: application-level notes that go to the recruiter first, then the latest interview's lead
_TO_CONTACT = frozenset({"withdrawal_note", "application_follow_up"})


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
    application = _application(state, action, now)
    interview = _interview(application, action)
    moment = now or action.due_at
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
    elif application is not None and action.kind in _TO_CONTACT and application.recruiter is not None:
        interviewer = application.recruiter
        interview = interview or _latest_interview(application)
    elif application is not None and action.kind in WRITTEN_KINDS | {"status_call"}:
        interview = interview or _latest_interview(application)
        if interview is not None:
            interviewer = _lead_contact(interview, medium)
    if interview is not None and interviewer is not None and application is not None:
        interview = _covering(application, interview, interviewer.id, state)
    if application is not None and application.position is None:
        # a position the state leaves out reads as "the open position"
        application = dataclasses.replace(application, position="open")
    interviewers = interview.interviewers if interview is not None else ()
    if interviewer is not None and interviewer not in interviewers and application is not None:
        interviewers = tuple(p for i in application.interviews for p in i.interviewers if p.id == interviewer.id)[:1] or interviewers
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
        "competing_offer": _competing_offer(state, application, moment) if action.kind == "leverage_follow_up" else None,
        "first_choice": _first_choice(state, application, moment) if action.kind == "leverage_follow_up" else False,
        "strength": _strength(application, interview, recipient_index),
        "thanks_owed": _thanks_owed(application, interviewer, action),
        "accepted": _accepted(state, moment),
        "met": _met(application),
        "known_words": known_words(state),
    }


def medium_of(action: Action, application: Application | None) -> str:
    """The medium of an action's message: its channel when that names a medium, else a sensible one."""
    if action.channel in MEDIA:
        return str(action.channel)
    if action.kind in WRITTEN_KINDS:
        return application.written_medium if application is not None else "email"
    return "reminder"


#: what an interviewer and a :class:`followup.Party` both know of a person
_PERSON_DETAILS = tuple(field.name for field in dataclasses.fields(Party) if field.name != "organisation")


def recipient_party(
    interviewer: Interviewer | None, reference: Reference | None, application: Application | None
) -> Party | None:
    """The addressee as a :class:`followup.Party`, with every contact detail known."""
    if interviewer is not None:
        details = {name: getattr(interviewer, name) for name in _PERSON_DETAILS}
        return Party(**details, organisation=application.company if application is not None else None)
    if reference is not None:
        return Party(name=reference.name, email=reference.email, phone=reference.phone)
    return None


def known_words(state: State) -> frozenset[str]:
    """The words the spelling check accepts from the state: people's and companies' names.

    Everything else the state carries (positions, titles, topics, strengths) is
    checked like the template's own words, so a typo there is caught before it goes out.
    """
    texts: list[str] = [state.candidate.name]
    texts.extend(r.name for r in state.candidate.references)
    for application in state.applications:
        texts.append(application.company)
        people = [p for i in application.interviews for p in i.interviewers]
        if application.recruiter is not None:
            people.append(application.recruiter)
        texts.extend(p.name for p in people if p.name)
    from ._words import words

    return frozenset(word.lower() for text in texts for word in words(text))


def state_texts(state: State) -> list[tuple[str, str]]:
    """Every free text of the state a message may quote, as ``(field label, text)``.

    Labels read like ``applications[harbor].interviews[panel].interviewers[lars].title``;
    :attr:`followup.State.sources` maps them to the file and line they came from.
    """
    found: list[tuple[str, str]] = []
    for application in state.applications:
        where = f"applications[{application.id}]"
        if application.position:
            found.append((f"{where}.position", application.position))
        found.extend((f"{where}.strengths[{i}]", text) for i, text in enumerate(application.strengths))
        if application.recruiter is not None and application.recruiter.title:
            found.append((f"{where}.recruiter.title", application.recruiter.title))
        for interview in application.interviews:
            here = f"{where}.interviews[{interview.id}]"
            found.extend((f"{here}.topics[{i}]", text) for i, text in enumerate(interview.topics))
            found.extend((f"{here}.strengths[{i}]", text) for i, text in enumerate(interview.strengths))
            found.extend(
                (f"{here}.interviewers[{p.id}].title", p.title) for p in interview.interviewers if p.title
            )
    return found


def _application(state: State, action: Action, now: dt.datetime | None) -> Application | None:
    """The action's application as the employer's replies left it (by ``now``, when given)."""
    from ...rules import as_of_replies

    if action.application is None:
        return None
    application = state.application(action.application)
    if application is None:
        raise _missing(action, f"application {action.application!r}")
    said = application.contacts if now is None else tuple(c for c in application.contacts if c.at <= now)
    return as_of_replies(application.as_of(now) if now is not None else application, said)


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


def _covering(application: Application, interview: Interview, person: str, state: State) -> Interview:
    """The interview as one note to ``person`` sees it: when they were met in
    earlier interviews of the same day too, its topics include theirs."""
    end = interview.ends_at
    if end is None:
        return interview
    tz = state.candidate.calendar.tz
    day = end.astimezone(tz).date()
    earlier = [
        other
        for other in application.interviews
        if other is not interview
        and (other_end := other.ends_at) is not None
        and other_end < end
        and other_end.astimezone(tz).date() == day
        and any(p.id == person for p in other.interviewers)
    ]
    if not earlier:
        return interview
    topics = [t for other in earlier for t in other.topics] + list(interview.topics)
    return dataclasses.replace(interview, topics=tuple(dict.fromkeys(topics)))


def _latest_interview(application: Application) -> Interview | None:
    finished = [i for i in application.interviews if i.ends_at is not None]
    pool = finished or [i for i in application.interviews if not i.called_off] or list(application.interviews)
    if not pool:
        return None
    return max(pool, key=lambda i: (i.ends_at or i.begins_at, i.id))


def _lead_contact(interview: Interview, medium: str) -> Interviewer | None:
    for person in interview.interviewers:
        if person.detail_for(medium):
            return person
    return interview.interviewers[0] if interview.interviewers else None


def _competing_offer(state: State, application: Application | None, moment: dt.datetime) -> dict[str, Any] | None:
    if application is None:
        return None
    offers = [
        other
        for other in state.applications
        if other.id != application.id
        and other.offer is not None
        and other.as_of(moment).status == "offer"
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


def _strength(application: Application | None, interview: Interview | None, index: int) -> str | None:
    """One reason the candidate fits, to mention: the interview's own first, else the
    application's; a different one for each recipient while there are enough."""
    strengths = (interview.strengths if interview is not None else ()) or (
        application.strengths if application is not None else ()
    )
    return strengths[index % len(strengths)] if strengths else None


def _thanks_owed(application: Application | None, person: Interviewer | None, action: Action) -> Interview | None:
    """For a note after an ending: the latest interview this person sat in whose thank-you
    note is not in the log (the note then carries those thanks), else ``None``."""
    if application is None or person is None or action.kind not in ("bridge_note", "withdrawal_note"):
        return None
    sat_in = [i for i in application.interviews if i.ends_at is not None and any(p.id == person.id for p in i.interviewers)]
    for interview in sorted(sat_in, key=lambda i: (i.ends_at, i.id), reverse=True):
        thanked = any(
            c.kind == "thank_you_note" and c.to == person.id and c.interview in (None, interview.id)
            for c in application.contacts
        )
        return None if thanked else interview
    return None


def _accepted(state: State, moment: dt.datetime) -> Application | None:
    """The accepted application, once its acceptance has happened by ``moment``."""
    return next((a for a in state.applications if a.as_of(moment).status == "accepted"), None)


def _met(application: Application | None) -> tuple[Interviewer, ...]:
    """Everyone met in the application's interviews, once each, in order."""
    if application is None:
        return ()
    seen: dict[str, Interviewer] = {}
    for interview in application.interviews:
        for person in interview.interviewers:
            seen.setdefault(person.id, person)
    return tuple(seen.values())


def _first_choice(state: State, application: Application | None, moment: dt.datetime) -> bool:
    """Whether the application is wanted strictly more than every other live one at ``moment``."""
    if application is None:
        return False
    others = [
        a.priority
        for a in state.applications
        if a.id != application.id and a.as_of(moment).status in ACTIVE_STATUSES
    ]
    return all(application.priority < p for p in others)


def _missing(action: Action, what: str) -> InvalidInput:
    return InvalidInput.single(
        f"action {action.key}", f"the state has no {what}; was the state changed since the agenda?"
    )
